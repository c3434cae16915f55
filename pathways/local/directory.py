"""An area's directory of local services as a spreadsheet, out and back in.

`write_directory` gives one row per service (UTF-8 with a byte order mark, so a spreadsheet
opens it as UTF-8; every cell through `exports.safe_cell`). `read_directory` reads such a file
back, whole or in part, and checks every row as the admin form would (the model's own
validation, links to published choices only), collecting every problem before it says no.
`propose_directory` turns what the file changes into ordinary pending changes, one per service
it adds, changes or removes, all in one transaction: nothing reaches readers until a publisher
of the area approves each one (`publishing.submit`, the one gate).

A service the file does not name is left alone; a service is removed only by `remove=yes`.
"""

from __future__ import annotations

import copy
import csv
import io
import json
from dataclasses import dataclass, field
from datetime import date

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction

from ..characters import line_problem
from ..editing.importing import decode_text
from ..editing.page_text import PageTextError
from ..integration.exports import FORMULA_STARTS, safe_cell
from ..models import Entry, Service, Tag
from ..publishing import ChangeKind, PendingChange, content_fields, state_of, submit
from .models import Area, LocalService
from .scoping import may_touch

TEXT_COLUMNS = (
    "name",
    "offers",
    "referral_route",
    "referral_form_url",
    "referral_phone",
    "referral_email",
    "who_may_refer",
    "eligibility",
    "hours",
    "address",
    "web_url",
)
DATE_COLUMNS = ("last_verified", "next_verification_due")
LINK_COLUMNS = ("serves_services", "serves_tags", "serves_entries")
COLUMNS = (
    "slug",
    "name",
    "offers",
    *LINK_COLUMNS,
    *TEXT_COLUMNS[2:],
    *DATE_COLUMNS,
    "is_example",
    "remove",
)
REQUIRED = ("slug", "name")
MAX_BYTES = 1_000_000
MAX_ROWS = 2_000
YES, NO = "yes", "no"
BOM = "\ufeff"
NOTHING_CHANGES = "The file matches the directory: nothing to propose."


class DirectoryError(Exception):
    """A file that cannot be read as a directory: every problem, each naming its line and
    column (0 and "" for the file as a whole)."""

    def __init__(self, problems: list[tuple[int, str, str]]):
        super().__init__(problems)
        self.problems = problems

    @property
    def messages(self) -> list[str]:
        return [describe(line, column, what) for line, column, what in self.problems]

    def __str__(self) -> str:
        return " ".join(self.messages)


def describe(line: int, column: str, what: str) -> str:
    """ "Line 14, referral_email: Enter a valid email address." """
    what = what.strip()
    what = f"{what[:1].upper()}{what[1:]}{'' if what.endswith('.') else '.'}"
    where = ", ".join(filter(None, [f"Line {line}" if line else "", column]))
    return f"{where}: {what}" if where else what


# Writing.


def _links(service: LocalService) -> dict[str, str]:
    # Published choices only: what a local editor may name (and all the import accepts).
    services = Service.objects.in_published_entries().filter(local_services=service)
    tags = Tag.objects.in_published_entries().filter(local_services=service)
    entries = Entry.objects.published().filter(local_services=service).select_related("pathway")
    return {
        "serves_services": ";".join(sorted(s.slug for s in services)),
        "serves_tags": ";".join(sorted(t.slug for t in tags)),
        "serves_entries": ";".join(
            f"{slug}#{number}"
            for slug, number in sorted((e.pathway.slug, e.number) for e in entries)
        ),
    }


def service_row(service: LocalService) -> dict[str, str]:
    row = {name: getattr(service, name) for name in ("slug", *TEXT_COLUMNS)}
    row |= {name: (getattr(service, name) or "") for name in DATE_COLUMNS}
    row |= _links(service)
    row |= {"is_example": YES if service.is_example else NO, "remove": NO}
    return {name: str(value) for name, value in row.items()}


def write_directory(area: Area, services=None) -> str:
    """The area's services (all of them, drafts included, unless `services` is given) as the
    text of a CSV file, in directory order."""
    if services is None:
        services = live_services(area).values()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for service in services:
        row = service_row(service)
        writer.writerow([safe_cell(row[name]) for name in COLUMNS])
    return BOM + out.getvalue()


def live_services(area: Area) -> dict[str, LocalService]:
    """The area's services as stored (drafts too), by slug, in directory order."""
    services = LocalService.objects.filter(area=area).order_by("name", "pk")
    return {s.slug: s for s in services}


# Reading.


@dataclass
class DirectoryRow:
    """One row of a file, read and checked: the service as it would be (`service`, unsaved)
    and its links as ids, or a removal."""

    line: int
    slug: str
    remove: bool = False
    service: LocalService | None = None
    parts: dict[str, list[int]] = field(default_factory=dict)


def _cell(raw: str) -> str:
    # Export's guard undone: a quote safe_cell put before a formula character goes.
    if raw.startswith("'") and raw[1:].startswith(FORMULA_STARTS):
        raw = raw[1:]
    return raw.replace("\r\n", "\n").replace("\r", "\n").strip()


def _header(cells: list[str]) -> tuple[list[str], list[tuple[int, str, str]]]:
    names = [_cell(name).lower() for name in cells]
    problems = []
    for name in names:
        if name not in COLUMNS:
            problems.append(
                (1, name[:40], f"not a column of the directory (expected: {', '.join(COLUMNS)})")
            )
        elif names.count(name) > 1:
            problems.append((1, name, "this column is named twice"))
    problems += [(1, name, "this column is required") for name in REQUIRED if name not in names]
    return names, list(dict.fromkeys(problems))


def _records(text: str):
    """(line, cells) for each row of the CSV text, the line where the row starts; raises
    DirectoryError when the text is not CSV or has too many rows."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    start, rows = 1, 0
    try:
        for cells in reader:
            if any(cell.strip() for cell in cells):
                rows += 1
                if rows > MAX_ROWS + 1:
                    raise DirectoryError(
                        [(start, "", f"expected at most {MAX_ROWS:,} services in one file")]
                    )
                yield start, cells
            start = reader.line_num + 1
    except csv.Error as error:
        what = f"not readable as CSV ({error})"
        if "field larger" in str(error):
            what = f"a cell is over {csv.field_size_limit():,} characters"
        raise DirectoryError([(reader.line_num, "", what)]) from None


def read_directory(data: bytes, area: Area) -> list[DirectoryRow]:
    """The rows of a directory file for `area`, each checked; DirectoryError listing every
    problem otherwise (nothing is saved either way)."""
    if len(data) > MAX_BYTES:
        raise DirectoryError([(0, "", f"the file is over {MAX_BYTES:,} bytes")])
    try:
        text = decode_text(data)
    except PageTextError as error:
        raise DirectoryError([(0, "", what) for _, what in error.problems]) from None
    records = _records(text)
    first = next(records, None)
    if first is None:
        raise DirectoryError([(0, "", "the file is empty: expected a header row, then services")])
    names, problems = _header(first[1])
    if problems:
        raise DirectoryError(problems)
    reader = _RowReader(area, names)
    rows = [row for line, cells in records if (row := reader.read(line, cells))]
    if reader.problems:
        raise DirectoryError(reader.problems)
    if not rows:
        raise DirectoryError([(0, "", "the file has a header but no services")])
    return rows


class _RowReader:
    """Reads the rows of one file against the area's services and the published choices,
    collecting the problems of them all."""

    def __init__(self, area: Area, names: list[str]):
        self.area, self.names = area, names
        self.problems: list[tuple[int, str, str]] = []
        self.live = live_services(area)
        self.seen: dict[str, int] = {}
        self.choices = {
            "serves_services": {s.slug: s.pk for s in Service.objects.in_published_entries()},
            "serves_tags": {t.slug: t.pk for t in Tag.objects.in_published_entries()},
            "serves_entries": {
                f"{slug}#{number}": pk
                for pk, slug, number in Entry.objects.published().values_list(
                    "pk", "pathway__slug", "number"
                )
            },
        }
        self.waiting_new = _waiting_new_slugs(area)

    def problem(self, line: int, column: str, what: str) -> None:
        self.problems.append((line, column, what))

    def read(self, line: int, cells: list[str]) -> DirectoryRow | None:
        if len(cells) != len(self.names):
            self.problem(line, "", f"expected {len(self.names)} cells, found {len(cells)}")
            return None
        values = {}
        for name, raw in zip(self.names, cells, strict=True):
            value = _cell(raw)
            for text in value.split("\n"):
                problem = line_problem(text)
                if problem:
                    self.problem(line, name, f"a line {problem}")
                    break
            values[name] = value
        slug = values["slug"]
        if not self._slug_fits(line, slug):
            return None
        remove = self._yes_no(line, "remove", values.get("remove", ""))
        if remove:
            if slug not in self.live:
                self.problem(line, "remove", f"{self.area} has no service “{slug}” to remove")
            return DirectoryRow(line, slug, remove=True)
        return self._service(line, slug, values)

    def _slug_fits(self, line: int, slug: str) -> bool:
        if not slug:
            self.problem(line, "slug", "enter the service's slug")
            return False
        if slug in self.seen:
            self.problem(line, "slug", f"“{slug[:40]}” is also on line {self.seen[slug]}")
            return False
        self.seen[slug] = line
        if slug in self.waiting_new:
            waits = f"a new service “{slug}” already waits for approval: decide that first"
            self.problem(line, "slug", waits)
            return False
        return True

    def _yes_no(self, line: int, column: str, value: str) -> bool:
        if value.lower() in ("", NO):
            return False
        if value.lower() == YES:
            return True
        self.problem(line, column, "expected yes or no")
        return False

    def _date(self, line: int, column: str, value: str) -> date | None:
        if not value:
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            self.problem(line, column, "expected a date as 2026-03-31 (year-month-day)")
            return None

    def _service(self, line: int, slug: str, values: dict[str, str]) -> DirectoryRow:
        live = self.live.get(slug)
        service = copy.copy(live) if live else LocalService(area=self.area, slug=slug)
        for name in TEXT_COLUMNS:
            if name in values:
                setattr(service, name, values[name])
        for name in DATE_COLUMNS:
            if name in values:
                setattr(service, name, self._date(line, name, values[name]))
        if "is_example" in values:
            service.is_example = self._yes_no(line, "is_example", values["is_example"])
        parts = {name: self._links(line, name, values, live) for name in LINK_COLUMNS}
        try:
            service.full_clean()
        except ValidationError as error:
            for column, messages in error.message_dict.items():
                column = "" if column == NON_FIELD_ERRORS else column
                for message in messages:
                    self.problem(line, column, message)
        return DirectoryRow(line, slug, service=service, parts=parts)

    def _links(self, line: int, name: str, values: dict, live: LocalService | None) -> list[int]:
        choices = self.choices[name]
        now = set(getattr(live, name).values_list("pk", flat=True)) if live else set()
        if name not in values:
            return sorted(now)
        # A link to what readers cannot see (a pathway made a draft since) stays as it was:
        # the file never names it, and it is not the area's to drop.
        hidden = now - set(choices.values())
        wanted = set()
        for slug in filter(None, (part.strip() for part in values[name].split(";"))):
            if slug not in choices:
                self.problem(line, name, f"“{slug[:60]}” is not {_CHOICE_WORDS[name]}")
            else:
                wanted.add(choices[slug])
        return sorted(wanted | hidden)


_CHOICE_WORDS = {
    "serves_services": "a service of a published entry (its slug, as health-visiting)",
    "serves_tags": "a tag of a published entry (its slug, as targeted-support)",
    "serves_entries": "a published entry (as infant-mental-health#10: the pathway's slug, "
    "#, the entry's number)",
}


def _waiting_new_slugs(area: Area) -> set[str]:
    """The slugs of new services in this area waiting for approval."""
    waiting = PendingChange.objects.pending().filter(
        content_type=ContentType.objects.get_for_model(LocalService),
        kind=ChangeKind.CREATE,
        area=area,
    )
    return {(c.proposed.get("fields") or {}).get("slug") for c in waiting}


# What changes, and proposing it.


@dataclass
class DirectoryChange:
    """What one row of the file does: "new", "changed", "removed" or "unchanged"."""

    what: str
    slug: str
    name: str
    live: LocalService | None
    proposed: dict
    line: int

    def preview(self) -> PendingChange:
        """An unsaved pending change, for the admin's word diff (`change_rows`)."""
        kind = {"new": ChangeKind.CREATE, "removed": ChangeKind.DELETE}.get(self.what)
        return PendingChange(
            content_type=ContentType.objects.get_for_model(LocalService),
            kind=kind or ChangeKind.CHANGE,
            object_repr=self.name,
            base=state_of(self.live) if self.live else {"fields": {}, "parts": {}},
            proposed=self.proposed,
        )


def proposed_state(service: LocalService, parts: dict[str, list[int]]) -> dict:
    """The version a row proposes, in the shape of `publishing.state_of` (which reads the
    parts of a saved object: these are the file's)."""
    fields = {f.attname: getattr(service, f.attname) for f in content_fields(LocalService)}
    return json.loads(json.dumps({"fields": fields, "parts": parts}, cls=DjangoJSONEncoder))


def directory_changes(area: Area, rows: list[DirectoryRow]) -> list[DirectoryChange]:
    """What each row of the file would do to the area's live directory."""
    live = live_services(area)
    changes = []
    for row in rows:
        service = live.get(row.slug)
        if row.remove:
            changes.append(
                DirectoryChange(
                    "removed", row.slug, service.name, service, state_of(service), row.line
                )
            )
            continue
        proposed = proposed_state(row.service, row.parts)
        if service is None:
            what = "new"
        else:
            what = "unchanged" if proposed == state_of(service) else "changed"
        changes.append(
            DirectoryChange(what, row.slug, row.service.name, service, proposed, row.line)
        )
    return changes


def propose_directory(area: Area, rows: list[DirectoryRow], user, reason: str = "") -> list:
    """One pending change per service the file adds, changes or removes, all or none: raises
    DirectoryError when the file changes nothing, PermissionDenied when the area is not the
    user's."""
    if not may_touch(user, area.pk):
        raise PermissionDenied("That area is not yours to edit.")
    reason = reason or "Imported from the directory file"
    proposed = []
    with transaction.atomic():
        for change in directory_changes(area, rows):
            if change.what == "new":
                proposed.append(
                    submit(
                        LocalService,
                        change.proposed,
                        user=user,
                        reason=reason,
                        kind=ChangeKind.CREATE,
                    )
                )
            elif change.what == "changed":
                proposed.append(submit(change.live, change.proposed, user=user, reason=reason))
            elif change.what == "removed":
                proposed.append(
                    submit(
                        change.live,
                        change.proposed,
                        user=user,
                        reason=reason,
                        kind=ChangeKind.DELETE,
                    )
                )
        if not proposed:
            raise DirectoryError([(0, "", NOTHING_CHANGES)])
    return proposed
