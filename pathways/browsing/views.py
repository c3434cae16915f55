"""Practitioners' pages: the list of pathways, a pathway's filterable browser, its printable
visit checklist and what changed in it, and a context document (the delivery plan).
Practitioners see published content only; editors also see drafts."""

from __future__ import annotations

import hashlib
from collections import namedtuple
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any
from urllib.parse import urlencode

from django.core.cache import caches
from django.db.models import Prefetch, prefetch_related_objects
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.template.loader import get_template
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_safe
from django_htmx.http import push_url

from .. import ages
from ..filters import PARAMETER_LIMITS, EntryFilter, canonical_query, filter_options
from ..local.reading import AREA, LocalDirectory, chosen_area, directory, published_areas
from ..models import (
    ContextDocument,
    Entry,
    EntryQuerySet,
    GlossaryTerm,
    Intervention,
    Pathway,
    Stage,
    can_preview,
    repeated_interventions,
)
from ..offline import rules as offline_rules
from ..operations.caching import PAGES_CACHE, content_version, kept
from ..operations.http_caching import shared_when_anonymous
from ..public import linkable_pathways, options_key, search_glossary
from ..publishing import with_pending_versions
from ..search import mark_matches
from ..templatetags.pathways import Abbreviations
from .changes import published_changes
from .home import search_pathways
from .timeline import build_timeline, draw, draw_lanes, linked

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
    """The pathways, and with `q` what each published one holds that matches it."""
    pathways = Pathway.objects.for_home(request.user)
    version = None if can_preview(request.user) else content_version(request)
    choice = chosen_area(request.GET, version)
    context = {
        "pathways": pathways,
        **search_pathways(request.GET, choice.area),
        # The area's choice: every pathway and search link keeps the one chosen.
        "areas": published_areas(version),
        "area": choice.area,
        "area_notice": choice.notice,
        "area_query": area_query(choice.area),
    }
    return render(request, "pathways/home.html", context)


def area_query(area) -> str:
    """What a link adds to keep the area: "?area=<slug>", or nothing without one."""
    return f"?{urlencode({AREA: area.slug})}" if area else ""


def get_pathway_with_page(request: HttpRequest, slug: str) -> Pathway:
    """The pathway at `slug` if the person asking may see it and it has entries they may see;
    404 otherwise (a draft is as absent as a pathway that does not exist)."""
    pathways = Pathway.objects.for_browser(request.user).with_has_entries(request.user)
    return get_object_or_404(pathways.filter(has_entries=True), slug=slug)


# What a page keeps of each Result it lists, per content version and selection.
ROW = (
    "stage_id",
    "pk",
    "position",
    "number",
    "rationale",
    "age_band__start_days",
    "age_band__end_days",
)
Band = namedtuple("Band", "start_days end_days")


@dataclass
class Result:
    """One entry as the browser lists it: its stage heading, its card, and this request's
    mark; its place and rationale name it (in the page's context, for whoever reads it), and
    a search's rank says why it is listed where it is."""

    stage: Stage
    pk: int
    position: int
    number: int
    rationale: str
    age_band: Band
    card: str = ""
    listed: str = ""
    applies_at: str | None = None
    applies_at_words: str = ""
    rank: float | None = None

    @classmethod
    def of(cls, entry: Entry) -> Result:
        band = Band(entry.age_band.start_days, entry.age_band.end_days)
        result = cls(entry.stage, entry.pk, entry.position, entry.number, entry.rationale, band)
        result.rank = getattr(entry, "rank", None)
        return result

    @classmethod
    def from_row(cls, stages: dict[int, Stage], row: tuple) -> Result:
        stage_id, pk, position, number, rationale, start, end = row
        return cls(stages[stage_id], pk, position, number, rationale, Band(start, end))

    def row(self) -> tuple:
        """What is kept of it: its ROW values."""
        return (self.stage.pk, self.pk, self.position, self.number, self.rationale, *self.age_band)


class PathwayPage:
    """One request's pathway page, made of the pathway, the selection (the filters as
    asked), the rows it shows, their cards, and the context the templates read.

    What depends on the content alone is kept in the pages cache with the content version
    as its cache version (`kept`); staff, who may see pending changes, get every part
    afresh. Nothing kept holds a queryset or anything else of the request."""

    def __init__(self, request: HttpRequest, slug: str, *, for_offline=False, show_pending=False):
        self.request, self.for_offline = request, for_offline
        preview = can_preview(request.user)
        self.preview, self.show_pending = preview, preview and show_pending
        self.version = None if preview else content_version(request)
        self.pathway = self.pathway_at(slug)
        self.filters = self.selection()
        self.search = self.filters.search_text
        self.query = canonical_query(request.GET)
        # The area asked for, if any: its services and notes join the cards, which are kept
        # under keys ending in its pk (a national card's key is as it was).
        self.choice = chosen_area(request.GET, self.version)
        self.area = self.choice.area
        self.area_key = f":{self.area.pk}" if self.area else ""
        # Only the unfiltered page (in its area) is saved for offline use and filtered in the
        # browser, so only its cards carry the words offline.js searches.
        filters_only = request.GET.copy()
        filters_only.pop(AREA, None)
        self.all_cards = for_offline and not canonical_query(filters_only)
        self.variant = "all" if self.all_cards else "some"
        # Marked cards are this search's alone; unmarked ones are everyone's.
        self.keeps_cards = for_offline and self.version is not None and not self.search
        self.fetched: dict[int, Entry] = {}

    def kept(self, key: str, build: Callable[[], Any]) -> Any:
        """What `build()` returns, kept for this content version; afresh without one."""
        return kept(key, build, self.version)

    def kept_many(self, keys: list[str], build: Callable[[list[str]], dict], keep: bool) -> dict:
        """Like `kept` for many keys in one round trip (when `keep`): `build(missing)` makes
        the value of each key it is given."""
        cache = caches[PAGES_CACHE]
        found = cache.get_many(keys, version=self.version) if keep else {}
        missing = [key for key in keys if key not in found]
        if missing:
            made = build(missing)
            if keep:
                cache.set_many(made, version=self.version)
            found.update(made)
        return found

    def pathway_at(self, slug: str) -> Pathway:
        """The pathway, with its notes; staff who asked see its pending changes in place."""
        # A slug is digested: any text may be asked for, and a key has a length limit.
        key = f"pathway:{digest(slug)}"
        pathway = self.kept(key, lambda: get_pathway_with_page(self.request, slug))
        if self.show_pending:
            [pathway] = with_pending_versions([pathway])
        return pathway

    def entries_shown(self) -> EntryQuerySet:
        """The entries this person may see (a fresh queryset: it is never kept)."""
        return Entry.objects.visible_to(self.request.user)

    def pathway_entries(self) -> EntryQuerySet:
        """The pathway's entries this person may see, with all a card shows, in page order."""
        return self.entries_shown().for_browser(self.pathway)

    def selection(self) -> EntryFilter:
        """The filters as asked. They are given no entries: those they select are
        `selected()`, made into a queryset only when rows must be read (most requests find
        theirs kept, and building the queryset was a tenth of such a request)."""
        # Kept for visitors only (staff have no version), who see the published entries.
        self.options = self.kept(
            options_key(self.pathway), lambda: filter_options(self.pathway_entries())
        )
        # Search, marks, the cards' abbreviations and the offline copy read the glossary once.
        self.terms = self.kept("glossary", lambda: list(GlossaryTerm.objects.published()))
        self.glossary = search_glossary(self.version, self.terms, self.request)
        return EntryFilter(
            self.request.GET,
            queryset=Entry.objects.none(),
            options=self.options,
            glossary=self.glossary,
        )

    def selected(self) -> EntryQuerySet:
        """The pathway's entries that the filters select."""
        return self.filters.select(self.pathway_entries())

    def entries(self, *, whole: bool = True) -> list[Entry]:
        """The selection's entries as models, search matches marked and (for staff who asked)
        pending changes in place; without their interventions unless `whole`."""
        queryset = self.selected() if whole else self.selected().prefetch_related(None)
        if self.for_offline:
            queryset = queryset.with_stages_overlapped(self.filters.stages)
        entries = list(queryset)
        if self.show_pending:
            entries = with_pending_versions(entries)
        mark_matches(entries, self.search, self.glossary)
        self.fetched = {entry.pk: entry for entry in entries}
        return entries

    def rows(self) -> list[Result]:
        """The rows the selection shows. Unmarked, they are kept once per content version for
        each different selection (a child's age counts by the bands that hold it, so
        thousands of dates of birth make a few dozen selections), not once per address."""
        if not self.keeps_cards:
            return [Result.of(entry) for entry in self.entries()]
        pk = self.pathway.pk
        bands = self.kept(f"bands:{pk}", lambda: age_bands(self.pathway_entries()))
        selection = digest(self.filters.meaning(bands))
        rows = self.kept(f"rows:{pk}:{selection}", self.read_rows)
        stages = {stage.pk: stage for stage in self.filters.stages}
        return [Result.from_row(stages, row) for row in rows]

    def read_rows(self) -> list[tuple]:
        """The selection's rows: their values alone while this pathway's cards are kept
        (building a model per row was most of a long page's time), else the entries whose
        cards are to be built, with no interventions yet (only cards not kept need them)."""
        if caches[PAGES_CACHE].has_key(self.cards_key(), version=self.version):
            return list(self.selected().values_list(*ROW))
        return [Result.of(entry).row() for entry in self.entries(whole=False)]

    def cards_key(self) -> str:
        return f"cards-of:{self.pathway.pk}:{self.variant}{self.area_key}"

    @cached_property
    def local(self) -> LocalDirectory | None:
        """The area's directory and notes (staff previewing see its drafts), or None."""
        if not self.area:
            return None
        return directory(self.area, self.version, self.request.user)

    def full_entries(self, pks: list[int]) -> list[Entry]:
        """The entries with their words (interventions, and those they repeat): those not
        fetched already are fetched."""
        complete = [self.fetched[pk] for pk in pks if pk in self.fetched]
        rest = [pk for pk in pks if pk not in self.fetched]
        if rest:
            fetched = Entry.objects.filter(pk__in=rest).with_stages_overlapped(self.filters.stages)
            complete += fetched.select_related(
                "stage", "age_band", "tag", "service", "repeats__age_band"
            )
        interventions = Intervention.objects.order_by("position")
        prefetch_related_objects(
            complete, Prefetch("interventions", queryset=interventions), repeated_interventions()
        )
        return complete

    def add_cards(self, results: list[Result]) -> None:
        """Sets each result's card, its HTML, reusing those kept for this content version;
        the rest are built from their entries, made whole in one step."""
        template = get_template(f"{BROWSER}#card")
        abbreviations = [(term.term, term.title) for term in self.terms]
        by_key = {f"card:{r.pk}:{self.variant}{self.area_key}": r for r in results}

        def build(keys: list[str]) -> dict[str, str]:
            entries = self.full_entries([by_key[key].pk for key in keys])
            if self.keeps_cards:  # this pathway's cards are being kept: see read_rows
                caches[PAGES_CACHE].set(self.cards_key(), True, version=self.version)
            context = {"pathway": self.pathway, "all_cards": self.all_cards, "area": self.area}
            return {
                f"card:{entry.pk}:{self.variant}{self.area_key}": template.render(
                    {
                        **context,
                        "entry": entry,
                        "abbreviations": Abbreviations(abbreviations),
                        "local": self.local.for_entry(entry) if self.local else None,
                    }
                )
                for entry in entries
            }

        cards = self.kept_many(list(by_key), build, self.keeps_cards)
        for key, result in by_key.items():
            result.card = cards[key]

    def add_listed_items(self, results: list[Result]) -> None:
        """Sets `result.listed`, the result as the list by age shows it (its stage, this
        request's mark, its card), reusing what was kept for this version and mark."""
        template = get_template(f"{BROWSER}#by_age_item")
        by_key = {f"listed:{r.pk}:{self.variant}:{r.applies_at}{self.area_key}": r for r in results}
        items = self.kept_many(
            list(by_key),
            lambda keys: {key: template.render({"entry": by_key[key]}) for key in keys},
            self.keeps_cards,
        )
        for key, result in by_key.items():
            result.listed = items[key]

    def timeline_figure(self, shown: set[int]) -> str:
        """The pathway in one picture: its geometry kept per content version, its lanes per
        selection, the child's lines drawn per request; each bar links to a card on this
        page (keeping its filters) or, when none of its cards is shown, on the unfiltered
        page."""
        pathway, stages = self.pathway, self.filters.stages
        plain = self.kept(
            f"timeline:{pathway.pk}",
            lambda: build_timeline(pathway, self.entries_shown(), stages),
        )
        timeline = plain.for_child(self.filters.child_age)
        here = "#entry-" if self.for_offline else "#checklist-entry-"
        # The lanes differ only by the cards shown, the bars the child's ages fall in and the
        # area (the links to the unfiltered page keep it).
        covered = [bar.first for bar in plain.bars if timeline.covers_child(bar)]
        lanes_of = digest(f"{here}{sorted(shown)}{covered}")
        key = f"timeline-lanes:{pathway.pk}:{lanes_of}{self.area_key}"
        everything = f"{pathway.get_absolute_url()}{area_query(self.area)}#entry-"
        lanes = self.kept(key, lambda: draw_lanes(linked(timeline, shown, here, everything)))
        return draw(timeline, lanes, pathway.title)

    def without_search(self, shown: list) -> dict | None:
        """When the search alone emptied the page: what the other filters find."""
        if not self.search or shown or "q" in self.filters.form.errors:
            return None
        others = self.request.GET.copy()
        others.pop("q", None)
        count = EntryFilter(
            others, queryset=self.pathway_entries(), options=self.options, glossary=self.glossary
        ).qs.count()
        if not count:
            return None
        rest = canonical_query(others)
        return {
            "text": offline_rules.without_search(self.search, count),
            "show_them": offline_rules.SHOW_THEM,
            "url": self.pathway.get_absolute_url() + (f"?{rest}" if rest else ""),
        }

    def context(self, entries: list) -> dict:
        """What the browser and the checklist share, for these entries (Results or Entries)."""
        filters, pathway, child_age = self.filters, self.pathway, self.filters.child_age
        mark_applies_at(entries, child_age)
        chosen = {name: filters.chosen(name) for name in ("stage", "service", "tag")}
        today = ages.uk_today()
        total = self.kept(
            f"total:{pathway.pk}", lambda: self.entries_shown().filter(pathway=pathway).count()
        )
        return {
            # Parts of the page that depend on the content alone are kept under it
            # ({% contentcache %}); staff, who see pending changes, get every part afresh.
            "content_version": self.version,
            # Drawn only where the template shows it: the browser leaves it out when nothing
            # is shown.
            "timeline_figure": lambda: self.timeline_figure({e.number for e in entries}),
            "pathway": pathway,
            # The published pathways its notes may name, read only where a note is rendered.
            "pathway_names": lambda: self.other_pathways,
            # Read only where the related pathways are rendered (not kept as a fragment).
            "related_pathways": self.related_pathways,
            "preview": self.preview,
            "filter": filters,
            # As text: the template writes them as they are (no number formatting per request).
            "limits": {name: str(limit) for name, limit in PARAMETER_LIMITS.items()},
            "entries": entries,
            "total": total,
            "unrecognised": filters.unrecognised(),
            "chosen": chosen,
            "chosen_slugs": {name: ",".join(o.slug for o in got) for name, got in chosen.items()},
            "active": filters.active(),
            "today": today,
            "printed_on": f"{today.day} {today:%B %Y}",
            "no_matches": NO_MATCHES,
            "child_age": child_age,
            # Filtered by a child's age, the results are one list of what applies, without
            # stage headings (PRODUCT.md): no heading may suggest a stage that does not fit.
            "by_age": child_age is not None,
            "pathway_range": ages.PATHWAY_RANGE if child_age and child_age.beyond_pathway else "",
            "search": self.search,
            "without_search": self.without_search(entries),
            **self.form_context(),
            **self.links(),
            **self.area_context(),
        }

    def area_context(self) -> dict:
        """The area shown (or the notice naming one not recognised), and the address that
        clears the filters but keeps the area."""
        return {
            "area": self.area,
            "area_notice": self.choice.notice,
            "area_query": area_query(self.area),
            "clear_url": self.pathway.get_absolute_url() + area_query(self.area),
        }

    @cached_property
    def other_pathways(self) -> list[tuple[str, str]]:
        """The other pathways a reading note may link to by name, for this content version."""
        names = self.kept("pathway-names", linkable_pathways)
        own = self.pathway.get_absolute_url()
        return [(title, url) for title, url in names if url != own]

    def related_pathways(self) -> list[Pathway]:
        """Its related pathways, both ways, for this content version."""
        related = Pathway.objects.related_both_ways(self.pathway, self.request.user)
        return self.kept(f"related:{self.pathway.pk}", lambda: list(related))

    def form_context(self) -> dict:
        """What was typed in each text field, and its errors, as the form's fields show them."""
        errors = self.filters.form.errors
        return {
            "typed": {name: self.request.GET.get(name, "") for name in TYPED},
            "field_errors": {name: errors.get(name, []) for name in TYPED},
        }

    def links(self) -> dict:
        """This page's own addresses: to share, print as a checklist, or download."""
        suffix = f"?{self.query}" if self.query else ""
        address = self.pathway.get_absolute_url() + suffix
        return {
            "page_path": address,
            # The host asked for: an HTTP cache keys pages by their whole address, host
            # included, and nothing kept for reuse holds a host (see test_caching).
            "share_url": self.request.build_absolute_uri(address),
            "checklist_url": self.pathway.page_url("checklist") + suffix,
            "csv_url": self.pathway.page_url("export_csv")
            + (f"?{self.request.GET.urlencode()}" if self.request.GET else ""),
        }

    def answer(self, results: list[Result]) -> str:
        """The results listed with their cards, by age or under their stages (the template's
        `answer`), from the cards kept for this content version. The list itself is not kept:
        a whole copy per selection would hold a long pathway's cards once per selection (for
        the 208-entry pathway of the benchmark, 470 KB each), for no measured gain on a
        pathway of 19 (docs/benchmarks.md)."""
        by_age = self.filters.child_age is not None
        self.add_cards(results)
        if by_age:
            self.add_listed_items(results)
        return get_template(f"{BROWSER}#answer").render({"entries": results, "by_age": by_age})

    def browser_context(self) -> dict:
        """The browser's context: the rows, listed with their cards, and what offline.js is
        handed."""
        results = self.rows()
        context = self.context(results)  # marks each result with the age it applies at
        return {
            **context,
            "answer": self.answer(results),
            # Called by the template only when the part that shows them is not kept.
            "offline_rules": lambda: self.offline_rules(results),
            "all_cards": self.all_cards,
            # One result of the list by age with each mark it may have, for offline.js to copy.
            "blank_items": [
                {"applies_at": mark, "applies_at_words": words, "stage": {"label": ""}, "card": ""}
                for mark, words in [(None, ""), *ages.APPLIES_AT.items()]
            ],
            "blank_filters": [dict.fromkeys(["parameter", "value", "label", "text", "query"], "")],
        }

    def offline_rules(self, results: list[Result]) -> dict:
        """The rules offline.js filters by, with the address of the pathway's tables (its
        words, offline_words, among them), kept apart from the page."""
        return offline_rules.for_page(
            self.filters,
            all_cards=self.all_cards,
            tables_url=offline_rules.tables_url(self.pathway, self.version),
        )

    def offline_words(self) -> dict:
        """The words of every card of the pathway, as offline.js searches them."""
        return self.kept(
            f"search-words:{self.pathway.pk}",
            lambda: offline_rules.search_words(
                self.full_entries([result.pk for result in self.rows()]), self.glossary
            ),
        )

    def checklist_context(self) -> dict:
        """The checklist's context: the selection's entries whole (it prints everything),
        with an area's services and note beside each, and its contacts once each at the end."""
        entries = self.entries()
        context = self.context(entries)
        if self.local:
            for entry in entries:
                entry.local = self.local.for_entry(entry)
            context["contacts"] = self.local.serving(entries)
        return context


def digest(text: str) -> str:
    """A short key for any text (a cache key may not hold spaces)."""
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def age_bands(entries) -> list[tuple[int, int]]:
    """The age bands the entries use, as (start, end) days."""
    bands = entries.order_by().values_list("age_band__start_days", "age_band__end_days")
    return sorted(set(bands))


def mark_applies_at(entries: list, child_age: ages.ChildAge | None) -> None:
    """Sets `entry.applies_at` ("actual", "corrected", "both" or None) and
    `entry.applies_at_words`: this request's mark, kept out of the kept card."""
    for entry in entries:
        band = entry.age_band
        mark = child_age.applies_at(band.start_days, band.end_days) if child_age else None
        entry.applies_at = mark
        entry.applies_at_words = ages.APPLIES_AT.get(mark, "")


@require_safe
@shared_when_anonymous
def pathway_browser(request: HttpRequest, slug: str) -> HttpResponse:
    page = PathwayPage(request, slug, for_offline=True, show_pending=True)
    context = page.browser_context()
    response = render_page_or_partial(request, BROWSER, "results", context)
    if page.all_cards:
        # Where the service worker saves this page's tables from, with the page.
        response["Offline-Tables"] = offline_rules.tables_url(page.pathway, page.version)
    if request.htmx:
        # The form sends its empty fields too; the address bar gets the tidy, shareable URL.
        response = push_url(response, context["page_path"])
    return response


@require_safe
@shared_when_anonymous
def pathway_checklist(request: HttpRequest, slug: str) -> HttpResponse:
    """A printable checklist of what applies, for the same filters as the browser."""
    context = PathwayPage(request, slug).checklist_context()
    return render(request, "pathways/checklist.html", context)


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
