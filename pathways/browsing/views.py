"""Practitioners' pages: the list of pathways, a pathway's filterable browser, its printable
visit checklist and what changed in it, and a context document (the delivery plan).
Practitioners see published content only; editors also see drafts."""

import hashlib
from dataclasses import dataclass

from django.db.models import Prefetch, prefetch_related_objects
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.template.loader import get_template
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_safe
from django_htmx.http import push_url

from .. import ages
from ..filters import PARAMETER_LIMITS, EntryFilter, canonical_query, filter_options
from ..models import (
    ContextDocument,
    Entry,
    GlossaryTerm,
    Intervention,
    Pathway,
    Stage,
    can_preview,
    repeated_interventions,
)
from ..offline import rules as offline_rules
from ..operations.caching import RELEASE, built, built_many, content_version, was_built
from ..operations.http_caching import shared_when_anonymous
from ..publishing import with_pending_versions
from ..search import load_glossary, mark_matches
from ..templatetags.pathways import Abbreviations
from .changes import published_changes
from .timeline import build_timeline, draw, linked

BROWSER = "pathways/pathway_browser.html"
# The filters typed rather than ticked.
TYPED = ("age", "dob", "born_at_weeks", "q")
# What the page says, exactly, when no rationale matches (offline.js is handed it too).
NO_MATCHES = [
    "There are no rationales that match your filters.",
    "Please amend your choices to see more rationales.",
]


def render_page_or_partial(
    request: HttpRequest, template: str, partial: str, context: dict
) -> HttpResponse:
    """The whole page, or only its named partial for an htmx request; caches vary on which.

    htmx asks for the whole page when it restores history it has not cached."""
    wants_partial = request.htmx and not request.htmx.history_restore_request
    name = f"{template}#{partial}" if wants_partial else template
    response = render(request, name, {**context, "is_partial": wants_partial})
    patch_vary_headers(response, ["HX-Request"])
    return response


@require_safe
@shared_when_anonymous
def home(request: HttpRequest) -> HttpResponse:
    pathways = Pathway.objects.for_home(request.user)
    return render(request, "pathways/home.html", {"pathways": pathways})


def get_pathway_with_page(request: HttpRequest, slug: str) -> Pathway:
    """The pathway at `slug` if the person asking may see it and it has entries they may see;
    404 otherwise (a draft is as absent as a pathway that does not exist)."""
    pathways = Pathway.objects.for_browser(request.user).with_has_entries(request.user)
    return get_object_or_404(pathways.filter(has_entries=True), slug=slug)


def filtered_pathway(
    request: HttpRequest, slug: str, *, for_offline: bool = False, show_pending: bool = False
) -> dict:
    """What the browser and the checklist share: the pathway, the entries this person may
    see filtered by the query string (search matches marked), and the filters in words.

    `for_offline` (the browser) also gives each entry its result card's HTML as `entry.card`,
    carrying what offline.js filters the cards by. For people who see published content only,
    what depends on the content alone (the pathway with its notes, the filter options, the
    count, each card without search marks) is built once per content version and reused.
    With `show_pending`, staff see pending changes in place (the browser marks them)."""
    preview = can_preview(request.user)
    version = None if preview else content_version(request)
    # A slug is digested: any text may be asked for, and a cache key has a length limit.
    pathway = built(
        version, f"pathway:{digest(slug)}", lambda: get_pathway_with_page(request, slug)
    )
    if preview and show_pending:
        # Staff read what is waiting for approval where it will appear, marked as pending.
        [pathway] = with_pending_versions([pathway])
    # The querysets are only the start of the queries each request makes (never evaluated
    # themselves), so visitors' are made once per process and content version.
    entries_shown = built(
        version, "entries-shown", lambda: Entry.objects.visible_to(request.user), shared=False
    )
    pathway_entries = built(
        version,
        f"entries-of:{pathway.pk}",
        lambda: entries_shown.for_browser(pathway),
        shared=False,
    )
    options = built(
        version, f"filter-options:{pathway.pk}", lambda: filter_options(pathway_entries)
    )
    # Search, marks, the cards' abbreviations and the offline copy read the glossary once.
    terms = built(version, "glossary", lambda: list(GlossaryTerm.objects.published()))
    glossary = built(version, "glossary-names", lambda: load_glossary(terms=terms))
    filterset = EntryFilter(
        request.GET, queryset=pathway_entries, options=options, glossary=glossary
    )
    search = filterset.search_text
    query = canonical_query(request.GET)
    # Only the unfiltered page is saved for offline use and filtered in the browser, so only
    # it carries the cards' words (and the page their stems).
    all_cards = for_offline and not query
    # Marked cards are this search's alone; unmarked ones are everyone's (in two kinds: with
    # the words offline.js searches, for the unfiltered page, and without).
    reuse_cards = for_offline and version is not None and not search
    variant = "all" if all_cards else "some"
    warm = f"cards-of:{pathway.pk}:{variant}"
    if reuse_cards:
        # What the list needs of each row is kept once per content version for each
        # different selection (a child's age counts by the bands that hold it, so thousands of
        # dates of birth make a few dozen selections), not once per address.
        bands = built(version, f"bands:{pathway.pk}", lambda: age_bands(pathway_entries))
        selection = f"rows:{pathway.pk}:{digest(filterset.meaning(bands))}"
    if reuse_cards and was_built(version, warm):
        # Cards of this pathway are being reused: the rows' ids and stages are all the list
        # needs, and building a model per row (and its stage, band, tag, service) was most
        # of a long page's time.
        stages = {stage.pk: stage for stage in filterset.stages}
        rows = built(version, selection, lambda: list(filterset.qs.values_list(*LISTED)))
        entries = [ListedEntry(stages[stage_id], *row) for stage_id, *row in rows]
    else:
        queryset = filterset.qs
        if reuse_cards:
            queryset = queryset.prefetch_related(None)  # only cards not yet built need them
        if for_offline:
            queryset = queryset.with_stages_overlapped(filterset.stages)
        entries = list(queryset)
        if preview and show_pending:
            entries = with_pending_versions(entries)
        mark_matches(entries, search, glossary)
        if reuse_cards:
            built(version, selection, lambda: [listed_row(entry) for entry in entries])
    if for_offline:
        abbreviations = [(term.term, term.title) for term in terms]
        add_cards(
            entries,
            pathway,
            filterset,
            all_cards,
            version if reuse_cards else None,
            abbreviations,
        )
        if reuse_cards:
            built(version, warm, lambda: True)
    child_age = filterset.child_age
    mark_applies_at(entries, child_age)
    if for_offline and child_age is not None:
        add_listed_items(entries, variant, version if reuse_cards else None)
    suffix = f"?{query}" if query else ""
    without_search = None
    if search and not entries and "q" not in filterset.form.errors:
        # The search alone emptied the page: say what the other filters find.
        others = request.GET.copy()
        others.pop("q", None)
        count = EntryFilter(
            others, queryset=pathway_entries, options=options, glossary=glossary
        ).qs.count()
        if count:
            rest = canonical_query(others)
            without_search = {
                "text": offline_rules.without_search(search, count),
                "show_them": offline_rules.SHOW_THEM,
                "url": pathway.get_absolute_url() + (f"?{rest}" if rest else ""),
            }
    chosen = {name: filterset.chosen(name) for name in ("stage", "service", "tag")}
    today = ages.uk_today()
    context = {
        # Parts of the page that depend on the content alone are reused under it
        # ({% reuse %}); staff, who see pending changes, get every part afresh.
        "reuse_version": version,
        **timeline_context(
            version,
            pathway,
            entries_shown,
            filterset.stages,
            child_age,
            shown={entry.number for entry in entries},
            here="#entry-" if for_offline else "#checklist-entry-",
        ),
        "pathway": pathway,
        "preview": preview,
        "filter": filterset,
        # As text: the template writes them as they are (no number formatting per request).
        "limits": {name: str(limit) for name, limit in PARAMETER_LIMITS.items()},
        "entries": entries,
        "total": built(
            version, f"total:{pathway.pk}", lambda: entries_shown.filter(pathway=pathway).count()
        ),
        "unrecognised": filterset.unrecognised(),
        "chosen": chosen,
        # What was typed in each text field, and its errors, as the form's fields show them.
        "typed": {name: request.GET.get(name, "") for name in TYPED},
        "field_errors": {name: filterset.form.errors.get(name, []) for name in TYPED},
        "chosen_slugs": {
            name: ",".join(o.slug for o in options) for name, options in chosen.items()
        },
        "active": filterset.active(),
        "today": today,
        "printed_on": f"{today.day} {today:%B %Y}",
        "page_path": pathway.get_absolute_url() + suffix,
        # The host asked for: an HTTP cache keys pages by their whole address, host included,
        # and nothing the app keeps for reuse holds a host (see test_caching).
        "share_url": request.build_absolute_uri(pathway.get_absolute_url() + suffix),
        "checklist_url": pathway.page_url("checklist") + suffix,
        "csv_url": pathway.page_url("export_csv")
        + (f"?{request.GET.urlencode()}" if request.GET else ""),
        "no_matches": NO_MATCHES,
        "child_age": child_age,
        # Filtered by a child's age, the results are one list of what applies, without
        # stage headings (PRODUCT.md): no heading may suggest a stage that does not fit.
        "by_age": child_age is not None,
        "pathway_range": ages.PATHWAY_RANGE if child_age and child_age.beyond_pathway else "",
        "search": search,
        "without_search": without_search,
    }
    if for_offline:
        # Called by the template only when the part that shows them is not being reused.
        context["offline_rules"] = lambda: offline_rules.for_page(
            filterset,
            all_cards=all_cards,
            no_matches=NO_MATCHES,
            review_status=pathway.review_status,
            words=built(
                version,
                f"search-words:{pathway.pk}",
                lambda: offline_rules.search_words(
                    full_entries(entries, filterset.stages), glossary
                ),
            )
            if all_cards
            else None,
        )
        context["all_cards"] = all_cards
        # One result of the list by age, marked, for offline.js to copy.
        context["blank_item"] = {"applies_at": "both", "stage": {"label": ""}, "card": ""}
        context["blank_filters"] = [
            dict.fromkeys(["parameter", "value", "label", "text", "query"], "")
        ]
    return context


def timeline_context(version, pathway, entries_shown, stages, child_age, shown, here) -> dict:
    """The pathway in one picture: its geometry built once per content version; the child's
    lines are added per request (a few dozen bars: cheaper than a round trip to a shared
    cache, and no cache entry per child); each bar links to a card on this page (keeping its
    filters) or, when none of its cards is shown, on the unfiltered page."""
    plain = built(
        version, f"timeline:{pathway.pk}", lambda: build_timeline(pathway, entries_shown, stages)
    )
    timeline = plain.for_child(child_age)
    everything = f"{pathway.get_absolute_url()}#entry-"
    lanes = linked(timeline, shown, here, everything)
    return {"timeline_figure": draw(timeline, lanes, pathway.title)}


def digest(text: str) -> str:
    """A short key for any text (a cache key may not hold spaces)."""
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def age_bands(entries) -> list[tuple[int, int]]:
    """The age bands the entries use, as (start, end) days."""
    bands = entries.order_by().values_list("age_band__start_days", "age_band__end_days")
    return sorted(set(bands))


# What the list by stage or by age needs of an entry whose card is reused (ListedEntry).
LISTED = (
    "stage_id",
    "pk",
    "position",
    "number",
    "rationale",
    "age_band__start_days",
    "age_band__end_days",
)


def listed_row(entry: Entry) -> tuple:
    """An entry's LISTED values, from the entry."""
    band = entry.age_band
    return (
        entry.stage_id,
        entry.pk,
        entry.position,
        entry.number,
        entry.rationale,
        band.start_days,
        band.end_days,
    )


@dataclass
class ListedEntry:
    """A result whose card is reused: the list needs its stage heading and its card; its
    place and rationale name it (in the page's context, for whoever reads it)."""

    stage: Stage
    pk: int
    position: int
    number: int
    rationale: str
    start_days: int
    end_days: int
    card: str = ""
    applies_at: str | None = None
    applies_at_words: str = ""


def mark_applies_at(entries: list, child_age: ages.ChildAge | None) -> None:
    """Sets `entry.applies_at` ("actual", "corrected", "both" or None) and
    `entry.applies_at_words`: this request's mark, kept out of the cached card."""
    for entry in entries:
        if isinstance(entry, ListedEntry):
            start, end = entry.start_days, entry.end_days
        else:
            start, end = entry.age_band.start_days, entry.age_band.end_days
        mark = child_age.applies_at(start, end) if child_age else None
        entry.applies_at = mark
        entry.applies_at_words = ages.APPLIES_AT.get(mark, "")


def full_entries(entries: list[Entry | ListedEntry], stages) -> list[Entry]:
    """The entries with their words (interventions, and those they repeat): those listed
    only (their cards reused) are fetched."""
    complete = [entry for entry in entries if isinstance(entry, Entry)]
    listed = [entry.pk for entry in entries if not isinstance(entry, Entry)]
    if listed:
        fetched = Entry.objects.filter(pk__in=listed).with_stages_overlapped(stages)
        complete += fetched.select_related(
            "stage", "age_band", "tag", "service", "repeats__age_band"
        )
    interventions = Intervention.objects.order_by("position")
    prefetch_related_objects(
        complete, Prefetch("interventions", queryset=interventions), repeated_interventions()
    )
    return complete


def add_cards(
    entries: list[Entry | ListedEntry],
    pathway: Pathway,
    filterset: EntryFilter,
    all_cards: bool,
    version: str | None,
    abbreviations: list[tuple[str, str]],
) -> None:
    """Sets `entry.card`, the entry's result card as HTML, reusing cards built for this
    content version; cards not yet built are built from their entries, fetched (if only
    listed) with what offline.js filters by, and given their interventions in one query."""
    template = get_template(f"{BROWSER}#card")
    variant = "all" if all_cards else "some"
    # Keyed by release too: a card built by another release's code is not reused.
    by_key = {f"card:{RELEASE}:{entry.pk}:{variant}": entry for entry in entries}

    def build(keys: list[str]) -> dict[str, str]:
        # Entries that already have their (marked) interventions keep them.
        complete = full_entries([by_key[key] for key in keys], filterset.stages)
        return {
            f"card:{RELEASE}:{entry.pk}:{variant}": template.render(
                {
                    "entry": entry,
                    "pathway": pathway,
                    "all_cards": all_cards,
                    "abbreviations": Abbreviations(abbreviations),
                }
            )
            for entry in complete
        }

    cards = built_many(version, by_key, build)
    for key, entry in by_key.items():
        entry.card = cards[key]


def add_listed_items(entries: list, variant: str, version: str | None) -> None:
    """Sets `entry.listed`, the entry as the list by age shows it (its stage, this request's
    mark, its card), reusing what was built for this content version and mark."""
    template = get_template(f"{BROWSER}#by_age_item")
    by_key = {
        f"listed:{RELEASE}:{entry.pk}:{variant}:{entry.applies_at}": entry for entry in entries
    }
    items = built_many(
        version,
        by_key,
        lambda keys: {key: template.render({"entry": by_key[key]}) for key in keys},
    )
    for key, entry in by_key.items():
        entry.listed = items[key]


@require_safe
@shared_when_anonymous
def pathway_browser(request: HttpRequest, slug: str) -> HttpResponse:
    context = filtered_pathway(request, slug, for_offline=True, show_pending=True)
    response = render_page_or_partial(request, BROWSER, "results", context)
    if request.htmx:
        # The form sends its empty fields too; the address bar gets the tidy, shareable URL.
        response = push_url(response, context["page_path"])
    return response


@require_safe
@shared_when_anonymous
def pathway_checklist(request: HttpRequest, slug: str) -> HttpResponse:
    """A printable checklist of what applies, for the same filters as the browser."""
    return render(request, "pathways/checklist.html", filtered_pathway(request, slug))


@require_safe
@shared_when_anonymous
def pathway_changes(request: HttpRequest, slug: str) -> HttpResponse:
    pathway = get_pathway_with_page(request, slug)
    # Staff names are for staff: readers are told a second publisher approved.
    changes = published_changes(pathway, show_names=can_preview(request.user))
    context = {"pathway": pathway, "changes": changes}
    return render(request, "pathways/pathway_changes.html", context)


@require_safe
@shared_when_anonymous
def document_detail(request: HttpRequest, slug: str) -> HttpResponse:
    # Only the pathways this person may open are listed: never a draft, never a dead link.
    pathways = Pathway.objects.visible_to(request.user).with_has_entries(request.user)
    document = get_object_or_404(
        ContextDocument.objects.prefetch_related(
            "sections", Prefetch("pathways", queryset=pathways.filter(has_entries=True))
        ),
        slug=slug,
    )
    return render(request, "pathways/document_detail.html", {"document": document})
