"""A pathway's page text turned into content, and content into page text (issue 24).

`page_text_of` reads what readers see of a pathway as a `PageText`; `apply_page_text` makes a
pathway's live rows say what a `PageText` says, in one transaction, every write through save()
so the history records it. An editor's import never goes live by itself: `propose_import`
keeps it as one pending change of kind IMPORT on the Pathway model, and its approval
(`PendingChange.approve`, through `apply_import`) is the only way it is applied, except an
operator's bootstrap from the command line into a database without the pathway.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.text import slugify

from ..ages import parse_band_label
from ..errors import error_text
from ..history import record_version, restore_parts
from ..models import (
    AgeBand,
    Entry,
    GlossaryTerm,
    Intervention,
    Pathway,
    Service,
    Stage,
    Status,
    Tag,
)
from ..publishing import APPLIED_BY_KIND, ChangeKind, PendingChange, state_of, submit
from .page_text import (
    MAX_TEXT_LENGTH,
    PageText,
    PageTextError,
    Stray,
    TextEntry,
    TextIntervention,
    TextNote,
    read_page_text,
)
from .textdiff import word_diff

# What the bootstrap's history says: an operator's load, like fixtures, not anyone's change.
BOOTSTRAP_REASON = "Operator's bootstrap: imported from page text {source}"


# Content to page text.


def page_text_of(pathway: Pathway, *, published_only: bool = True) -> PageText:
    """The pathway as a PageText: its title, reading notes and entries in page order (the
    published ones: what readers see, unless `published_only` is False)."""
    entries = Entry.objects.filter(pathway=pathway)
    if published_only:
        entries = entries.filter(status=Status.PUBLISHED)
    entries = list(
        entries.select_related("stage", "age_band", "service", "tag")
        .prefetch_related(
            models.Prefetch("interventions", Intervention.objects.order_by("position"))
        )
        .in_page_order()
    )
    index = {entry.pk: i for i, entry in enumerate(entries)}
    notes = [
        TextNote(note.text, note.is_bullet) for note in pathway.reading_notes.order_by("position")
    ]
    return PageText(
        title=pathway.title,
        notes=notes,
        entries=[_text_entry(entry, index.get(entry.repeats_id)) for entry in entries],
    )


def _text_entry(entry: Entry, repeats: int | None) -> TextEntry:
    return TextEntry(
        stage=entry.stage.label,
        band=entry.age_band.label,
        rationale=entry.rationale,
        service=entry.service.name,
        tag=entry.tag.name if entry.tag_id else "",
        criteria=entry.criteria,
        interventions=[
            TextIntervention(i.text, i.bullet_points) for i in entry.interventions.all()
        ],
        repeats=repeats,
    )


def page_as_json(page: PageText) -> dict:
    """A PageText as JSON, as a pending import keeps it (the line numbers left out: where an
    entry stood in a file is not content)."""
    data = dataclasses.asdict(page)
    for entry in data["entries"]:
        entry.pop("line", None)
    return data


def page_from_json(data: dict) -> PageText:
    entries = [
        TextEntry(
            **{**entry, "interventions": [TextIntervention(**i) for i in entry["interventions"]]}
        )
        for entry in data["entries"]
    ]
    return PageText(
        title=data["title"],
        notes=[TextNote(**note) for note in data["notes"]],
        entries=entries,
        stray=[Stray(**line) for line in data.get("stray", [])],
    )


# Matching the text's entries to the live ones, and what changes.


def _content(entry: TextEntry) -> tuple:
    interventions = tuple((i.text, tuple(i.bullets)) for i in entry.interventions)
    return (entry.stage, entry.band, entry.tag, entry.rationale, entry.service, entry.criteria,
            interventions)  # fmt: skip


def match_entries(live: list[TextEntry], new: list[TextEntry]) -> list[int | None]:
    """For each entry of `new`, the index of the live entry it is (None: a new entry). The same
    content first (wherever it stands: a move), then the entry in the same place, then one of
    the same rationale, band and stage (changed, and perhaps moved)."""
    found: list[int | None] = [None] * len(new)
    free = set(range(len(live)))
    rules = [
        _content,
        None,  # the same place
        lambda e: (e.stage, e.band, e.rationale),
    ]
    for rule in rules:
        for i, entry in enumerate(new):
            if found[i] is not None:
                continue
            if rule is None:
                candidates = [i] if i in free else []
            else:
                key = rule(entry)
                candidates = [j for j in sorted(free) if rule(live[j]) == key]
            if candidates:
                j = min(candidates, key=lambda j: abs(j - i))
                found[i] = j
                free.discard(j)
    return found


@dataclass
class EntryChange:
    """One entry of an import against the live pathway: added, changed, moved, removed or
    unchanged, with its words diffed (safe HTML, textdiff's markup)."""

    what: str
    rationale: str
    old: str = ""
    new: str = ""


def _entry_words(entry: TextEntry) -> str:
    lines = [entry.stage, entry.band, entry.tag, entry.rationale, entry.criteria, entry.service]
    for intervention in entry.interventions:
        lines.append(intervention.text)
        lines += [f"• {bullet}" for bullet in intervention.bullets]
    return " / ".join(line for line in lines if line)


def entry_changes(live: PageText, new: PageText) -> list[EntryChange]:
    """What the import does to each entry, in the new order, then the removed ones. An entry
    is moved when it stands elsewhere among the entries kept (not merely shifted by an entry
    added or removed before it)."""
    found = match_entries(live.entries, new.entries)
    kept = [j for j in found if j is not None]
    rank_in_live = {j: rank for rank, j in enumerate(sorted(kept))}
    rank_in_new = {j: rank for rank, j in enumerate(kept)}
    changes = []
    for entry, j in zip(new.entries, found, strict=True):
        if j is None:
            changes.append(
                EntryChange("Added", entry.rationale, *word_diff("", _entry_words(entry)))
            )
            continue
        old = live.entries[j]
        same = _content(old) == _content(entry)
        moved = rank_in_live[j] != rank_in_new[j]
        if same and not moved:
            continue
        what = "Moved" if same else ("Changed and moved" if moved else "Changed")
        before, after = word_diff(_entry_words(old), _entry_words(entry))
        changes.append(EntryChange(what, entry.rationale, before, after))
    for j, old in enumerate(live.entries):
        if j not in rank_in_new:
            changes.append(EntryChange("Removed", old.rationale, *word_diff(_entry_words(old), "")))
    return changes


# Checks an editor can act on, by line, before anything is written.

MAX_NAME = 100


def check_page_text(page: PageText) -> list[tuple[int, str]]:
    """Problems the reader cannot see (it knows no band rule, no field sizes), each with the
    line of its entry: an unreadable or reversed band, a band outside its stage, a name too
    long to keep."""
    problems = []
    if not page.title or len(page.title) > 200:
        problems.append((1, "expected a title of 1 to 200 characters"))
    for entry in page.entries:
        days = {}
        for what, label in (("stage heading", entry.stage), ("age band", entry.band)):
            try:
                days[what] = parse_band_label(label)
            except ValueError:
                problems.append((entry.line, f"the {what} “{label}” is not an age range"))
                continue
            if days[what][0] >= days[what][1] or len(label) > MAX_NAME:
                problems.append((entry.line, f"the {what} “{label}” cannot be kept"))
        if len(days) == 2:
            (start, end), (stage_start, stage_end) = days["age band"], days["stage heading"]
            if not (start < stage_end and stage_start < end):
                problems.append(
                    (entry.line, f"the age band {entry.band} is outside the stage {entry.stage}")
                )
        for what, name in (("service", entry.service), ("tag", entry.tag)):
            if len(name) > MAX_NAME or (what == "service" and not name):
                problems.append(
                    (entry.line, f"expected a {what} name of 1 to {MAX_NAME} characters")
                )
    return problems


# Page text to content.


@dataclass
class Stamp:
    """What every record an import writes says: why, by whom, through which approval."""

    reason: str
    user: object = None
    approval: PendingChange | None = None

    def on(self, obj: models.Model) -> models.Model:
        obj._change_reason = self.reason
        obj._history_user = self.user
        obj._approval = self.approval
        return obj


def _unique_slug(model, text: str) -> str:
    base = slugify(text)[:90] or model._meta.model_name
    slug, n = base, 1
    while model.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def _option(model, field: str, value: str, stamp: Stamp, cache: dict):
    """The stage, band, service or tag of that label or name, made if there is none."""
    key = (model, value)
    if key not in cache:
        found = model.objects.filter(**{field: value}).first()
        if found is None:
            last = model.objects.aggregate(last=models.Max("position"))["last"] or 0
            found = model(**{field: value}, slug=_unique_slug(model, value), position=last + 1)
            if field == "label":  # a stage or band: its days are its label's (the band rule)
                found.start_days, found.end_days = parse_band_label(value)
            found.full_clean()
            stamp.on(found).save()
        cache[key] = found
    return cache[key]


def _save_with_parts(obj, parts: dict, stamp: Stamp, before: dict | None) -> None:
    """Saves `obj` and its parts, with one version of it when anything changed since `before`
    (its state as it was; None: it is new)."""
    obj.full_clean()
    stamp.on(obj).save_without_historical_record()
    restore_parts(obj, parts, stamp.reason, user=stamp.user, approval=stamp.approval)
    if before is None or state_of(obj) != before:
        record_version(obj, created=before is None)


def _part_rows(existing: list, rows: list[dict]) -> list[dict]:
    """Rows for restore_parts: each row takes the id of the part in its place, if any, so a
    part that did not change keeps its id and gets no new version."""
    return [
        {"id": existing[i].pk if i < len(existing) else None, "position": i + 1, **row}
        for i, row in enumerate(rows)
    ]


def _apply_pathway(page: PageText, slug: str, stamp: Stamp) -> tuple[Pathway, bool]:
    pathway = Pathway.objects.filter(slug=slug).first()
    created = pathway is None
    if created:
        last = Pathway.objects.aggregate(last=models.Max("position"))["last"] or 0
        pathway = Pathway(slug=slug, status=Status.PUBLISHED, position=last + 1)
    pathway.title = page.title
    if created:
        pathway.full_clean()
        stamp.on(pathway).save_without_historical_record()
    notes = [{"text": n.text, "is_bullet": n.is_bullet} for n in page.notes]
    existing = list(pathway.reading_notes.order_by("position")) if not created else []
    before = None if created else state_of(Pathway.objects.get(pk=pathway.pk))
    _save_with_parts(pathway, {"reading_notes": _part_rows(existing, notes)}, stamp, before)
    return pathway, created


def apply_page_text(page: PageText, slug: str, *, links=(), stamp: Stamp) -> Pathway:
    """Makes the pathway of `slug` say what `page` says (creating it, published, if there is
    none): title, reading notes, entries matched to the live published ones and created,
    changed, moved or deleted; `repeats` only for the entries (indexes) in `links`. Raises
    ValidationError (or PageTextError, with lines), writing nothing, when anything does not
    fit."""
    problems = check_page_text(page)
    if problems:
        raise PageTextError(problems=problems)
    with transaction.atomic():
        pathway, created = _apply_pathway(page, slug, stamp)
        live = [] if created else _live_entries(pathway)
        found = match_entries([text for _, text in live], page.entries)
        taken = {j for j in found if j is not None}
        for j, (entry, _) in enumerate(live):
            if j not in taken:
                stamp.on(entry).delete()
        entries = [live[j][0] if j is not None else None for j in found]
        _write_entries(pathway, page, entries, stamp, set(links))
        _link_repeats(page, entries, set(links), stamp)
    return pathway


def _live_entries(pathway: Pathway) -> list[tuple[Entry, TextEntry]]:
    text = page_text_of(pathway)
    rows = Entry.objects.filter(pathway=pathway, status=Status.PUBLISHED).in_page_order()
    return list(zip(rows, text.entries, strict=True))


def _write_entries(
    pathway: Pathway, page: PageText, entries: list, stamp: Stamp, links: set[int]
) -> None:
    """Each entry of the text, in its place: the matched live entry changed, or a new one.
    Places held by drafts (not in the text) are left to them. A confirmed "as above" link to
    an entry before it is made with it; one to a later entry waits for `_link_repeats`."""
    held = set(
        Entry.objects.filter(pathway=pathway)
        .exclude(status=Status.PUBLISHED)
        .values_list("position", flat=True)
    )
    befores = {entry.pk: state_of(entry) for entry in entries if entry is not None}
    for entry in entries:
        if entry is not None:  # parked, so no two entries ever share a place
            entry.position = PARKING + entry.pk
            entry.save_without_historical_record()
    cache: dict = {}
    position = 0
    for i, text in enumerate(page.entries):
        entry = entries[i]
        old = befores[entry.pk]["fields"]["position"] if entry is not None else 0
        position = _next_place(position, old, held)
        created = entry is None
        if created:
            entry = entries[i] = Entry(pathway=pathway, status=Status.PUBLISHED)
        entry.position = position
        entry.stage = _option(Stage, "label", text.stage, stamp, cache)
        entry.age_band = _option(AgeBand, "label", text.band, stamp, cache)
        entry.service = _option(Service, "name", text.service, stamp, cache)
        entry.tag = _option(Tag, "name", text.tag, stamp, cache) if text.tag else None
        entry.rationale, entry.criteria = text.rationale, text.criteria
        earlier = i in links and text.repeats is not None and 0 <= text.repeats < i
        entry.repeats = entries[text.repeats] if earlier else None
        if created:
            entry.full_clean()
            stamp.on(entry).save_without_historical_record()
        rows = [{"text": i.text, "bullets": "\n".join(i.bullets)} for i in text.interventions]
        existing = [] if created else list(entry.interventions.order_by("position"))
        parts = {"interventions": _part_rows(existing, rows)}
        _save_with_parts(entry, parts, stamp, befores.get(entry.pk))


PARKING = 1_000_000_000


def _next_place(previous: int, old: int, held: set[int]) -> int:
    """An entry's place after `previous`: its old one while that keeps the order (so an
    entry that did not move keeps its place and gets no new version), else the next free."""
    if old > previous and old not in held:
        return old
    position = previous + 1
    while position in held:
        position += 1
    return position


def _link_repeats(page: PageText, entries: list[Entry], links: set[int], stamp: Stamp) -> None:
    """`repeats` as the editor confirmed: a link for each confirmed entry, none for others."""
    for i, text in enumerate(page.entries):
        wanted = None
        if i in links and text.repeats is not None and i < text.repeats < len(entries):
            wanted = entries[text.repeats]
        entry = entries[i]
        if wanted is not None:
            entry.repeats = wanted
            entry.full_clean()
            stamp.on(entry).save()


# The two-person rule: an import waits, whole, for another publisher.


def propose_import(
    page: PageText, slug: str, *, user, text: str, links=(), file_name: str = "", reason=""
) -> PendingChange:
    """Keeps the import as the pathway's pending import (a new pathway's: with no object).
    Raises PageTextError when the text cannot be kept, proposing nothing."""
    preview_cards(page, slug, links, render=False)  # applies, rolled back: it would fit
    live = Pathway.objects.filter(slug=slug).first()
    proposed = {
        "title": page.title,
        "slug": slug,
        "text": text,
        "page": page_as_json(page),
        "links": sorted(set(links)),
        "file_name": file_name,
    }
    base = {"page": page_as_json(page_text_of(live)) if live is not None else None}
    reason = reason or f"Imported from page text {file_name or '(pasted)'}"
    return submit(
        live if live is not None else Pathway,
        proposed,
        user=user,
        reason=reason,
        kind=ChangeKind.IMPORT,
        base=base,
    )


def import_base_changed(change: PendingChange, live: Pathway | None) -> bool:
    """Whether the live pathway no longer says what the import was made from."""
    if live is None:
        return Pathway.objects.filter(slug=change.proposed["slug"]).exists()
    return page_as_json(page_text_of(live)) != change.base.get("page")


def apply_import(change: PendingChange, live: Pathway | None, reason: str) -> Pathway:
    """The approval of a pending import (from PendingChange.approve, inside its transaction):
    refused, writing nothing, when the live pathway changed since the import was made."""
    if import_base_changed(change, live):
        raise ValidationError(
            "The live pathway changed after this import was made (another change was "
            "approved). Reject this one and import the text again."
        )
    page = page_from_json(change.proposed["page"])
    stamp = Stamp(reason, change.proposed_by, change)
    try:
        pathway = apply_page_text(
            page, change.proposed["slug"], links=change.proposed["links"], stamp=stamp
        )
    except PageTextError as error:
        raise ValidationError(str(error)) from None
    if change.object_id is None:
        change.object_id = pathway.pk
        change.save(update_fields=["object_id"])
    return pathway


def connect() -> None:
    """The gate applies an approved import through `apply_import` (from AppConfig.ready)."""
    APPLIED_BY_KIND[ChangeKind.IMPORT] = apply_import


def bootstrap(page: PageText, slug: str, *, source: str, links=()) -> Pathway:
    """An operator's load into a database without a published pathway of `slug`: applied
    directly, recorded in history as an operator's bootstrap (no person, like fixtures)."""
    if Pathway.objects.filter(slug=slug, status=Status.PUBLISHED).exists():
        raise ValidationError(
            f"A published pathway “{slug}” is already here: --publish only loads a pathway "
            "into a database without it. Import without --publish (with --by) to propose "
            "a change."
        )
    stamp = Stamp(BOOTSTRAP_REASON.format(source=source))
    return apply_page_text(page, slug, links=links, stamp=stamp)


def describe_error(error: Exception) -> list[tuple[int, str]]:
    """Problems as (line, what): a PageTextError's, or a ValidationError's on no line."""
    if isinstance(error, PageTextError):
        return list(error.problems)
    if isinstance(error, ValidationError):
        return [(0, error_text(error))]
    return [(0, str(error))]


# Reading text from people: the reader with the options we know, and files checked first.

# The reader's limit is in characters (page_text.MAX_TEXT_LENGTH); a file's bytes are checked
# only so far as no file of more bytes than that many characters could ever take is read.
MAX_TEXT_BYTES = 4 * MAX_TEXT_LENGTH


def read_text(text: str) -> PageText:
    """The page text read with the services and tags the database knows (the reader tells a
    service line from a rationale by them). Raises PageTextError."""
    services = list(Service.objects.values_list("name", flat=True))
    tags = list(Tag.objects.values_list("name", flat=True))
    return read_page_text(text, services=services, tags=tags)


def write_text(page: PageText) -> str:
    from .page_text import write_page_text

    return write_page_text(page)


def check_size(size: int) -> None:
    """Raises PageTextError when a file of `size` bytes is too large to hold a page text."""
    if size > MAX_TEXT_BYTES:
        limit = f"{MAX_TEXT_LENGTH + 1:,}"
        raise PageTextError(problems=[(0, f"expected a text of fewer than {limit} characters")])


def decode_text(data: bytes) -> str:
    """A file's bytes as text, or PageTextError saying why not (too large, binary, not
    UTF-8), on line 0: the file as a whole."""
    check_size(len(data))
    if b"\x00" in data:
        raise PageTextError(problems=[(0, "expected a text file (this one is binary)")])
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise PageTextError(
            problems=[(0, f"expected UTF-8 text (byte {error.start + 1} is not UTF-8)")]
        ) from None


def proposed_links(page: PageText) -> list[int]:
    """The entries whose "as above" the reader proposes as a link (indexes)."""
    return [i for i, entry in enumerate(page.entries) if entry.repeats is not None]


class _Rollback(Exception):
    pass


def preview_cards(page: PageText, slug: str, links=(), *, render: bool = True) -> list[str]:
    """The import's entries as practitioners will see them: the pathway page's own card
    template, rendered from the import applied inside a savepoint that is rolled back.
    Raises ValidationError or PageTextError when it would not apply (all `render=False`
    checks)."""
    from django.template.loader import get_template

    from ..browsing.views import BROWSER
    from ..templatetags.pathways import Abbreviations

    template = get_template(f"{BROWSER}#card")
    cards: list[str] = []
    try:
        with transaction.atomic():
            pathway = apply_page_text(page, slug, links=links, stamp=Stamp("Preview"))
            if not render:
                raise _Rollback
            entries = (
                Entry.objects.for_browser(pathway)
                .filter(status=Status.PUBLISHED)
                .with_stages_overlapped(Stage.objects.all())
            )
            terms = GlossaryTerm.objects.published()
            context = {"pathway": pathway, "all_cards": False}
            for entry in entries:
                words = Abbreviations([(term.term, term.title) for term in terms])
                cards.append(template.render({**context, "entry": entry, "abbreviations": words}))
            raise _Rollback
    except _Rollback:
        pass
    return cards


def import_rows(change: PendingChange) -> list[dict]:
    """A pending import as the pending change page's rows (`diff_rows`)."""
    new = page_from_json(change.proposed["page"])
    old = page_from_json(change.base["page"]) if change.base.get("page") else PageText("")
    return diff_rows(old, new)


def diff_rows(old: PageText, new: PageText) -> list[dict]:
    """What `new` changes in `old` as word-diff rows {field, old, new}: the title and the
    reading notes, then one row per entry added, changed, moved or removed."""
    rows = []
    notes = ["\n".join(n.text for n in page.notes) for page in (old, new)]
    for field, before, after in (("Title", old.title, new.title), ("Reading notes", *notes)):
        if before != after:
            shown_old, shown_new = word_diff(before, after)
            rows.append({"field": field, "old": shown_old, "new": shown_new})
    for item in entry_changes(old, new):
        rows.append({"field": f"{item.what}: {item.rationale}", "old": item.old, "new": item.new})
    return rows
