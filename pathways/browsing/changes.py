"""What changed in a pathway, in words, for practitioners: built from the history of the
pathway and its entries. The history holds approved versions only (a pending change writes
none), and a version is listed only if it was public: the entry published inside a pathway
that was published at that moment. Edits to drafts are never listed."""

from __future__ import annotations

import bisect
import hashlib
from dataclasses import dataclass, field
from datetime import datetime

from django.utils.text import capfirst

from ..history import BASELINE_REASON, parts_changes
from ..models import AgeBand, Entry, Pathway, Service, Stage, Status, Tag
from ..publishing import ChangeKind

# Fields whose change a practitioner would notice, with how to say it. An entry's position
# only orders the page and its pathway is implied, so neither is worth a line of its own.
ENTRY_CHANGES = {
    "rationale": "rationale edited",
    "criteria": "criteria edited",
    "stage_id": "moved to another stage",
    "age_band_id": "age band changed",
    "service_id": "service changed",
    "tag_id": "tag changed",
}
PATHWAY_CHANGES = {
    "title": "title edited",
    "summary": "summary edited",
    "policy_context_id": "policy context changed",
    "last_reviewed": "reviewed",
    "next_review_due": "next review date changed",
    "reviewed_by": "reviewer changed",
}
# Read with each version, so naming who approved it costs no query per change.
APPROVAL_PEOPLE = ["approval__proposed_by", "approval__decided_by"]
PARTS_CHANGES = {
    "interventions": "interventions edited",
    "reading_notes": "reading notes edited",
    "related_pathways": "related pathways changed",
}


@dataclass(frozen=True)
class Detail:
    """One changed field of a change: its name and its words before and after."""

    field: str
    before: str
    after: str


@dataclass(frozen=True)
class Change:
    """One item of the "What changed" page: a summary line, what changed field by field, and
    where to read the content now (None once it is gone)."""

    when: datetime
    text: str
    details: tuple[Detail, ...] = field(default=())
    url: str | None = None
    approval: Approval | None = None

    @property
    def anchor(self) -> str:
        """Its id on the "What changed" page (a feed links to it): the same for the same
        change however many come after it."""
        said = f"{self.when.isoformat()}\n{self.text}".encode()
        return "change-" + hashlib.sha256(said).hexdigest()[:12]


@dataclass(frozen=True)
class Approval:
    """Who approved a change and why, as the page says it: the approver's role to everyone,
    staff accounts' names only to signed-in staff. No public page names a staff account (a
    pathway's "Reviewed by" is words its editors chose to publish)."""

    by: str
    reason: str = ""
    comment: str = ""


# What PendingChange.approve records when the proposer gave no reason: not a reason.
UNSAID_REASONS = {
    "",
    "Approved change",
    "Reverted",
    *(f"{kind} approved" for kind in ChangeKind.labels),
}


def approval_of(record, *, show_names: bool) -> Approval | None:
    """How `record`'s version went live, if through an approved change."""
    change = record.approval
    if change is None:
        return None
    if show_names:
        by = f"Proposed by {change.proposed_by}, approved by {change.decided_by}"
    else:
        by = "Approved by a second publisher"
    reason = record.history_change_reason or ""
    return Approval(
        by=by,
        reason="" if reason in UNSAID_REASONS else reason,
        comment=change.comment,
    )


class _Names:
    """Names of what entries and pathways point at, read once per page, so the page's queries
    do not grow with the history."""

    def __init__(self):
        self.by_field = {
            "stage_id": dict(Stage.objects.values_list("pk", "label")),
            "age_band_id": dict(AgeBand.objects.values_list("pk", "label")),
            "service_id": dict(Service.objects.values_list("pk", "name")),
            "tag_id": dict(Tag.objects.values_list("pk", "name")),
        }

    def shown(self, attname: str, value) -> str:
        if value in (None, ""):
            return ""
        names = self.by_field.get(attname)
        return names.get(value, "(removed)") if names is not None else str(value)


def _label(model, attname: str) -> str:
    return capfirst(model._meta.get_field(attname.removesuffix("_id")).verbose_name)


def _details(model, before, after, fields: dict[str, str], names: _Names) -> list[Detail]:
    details = [
        Detail(
            _label(model, name),
            names.shown(name, getattr(before, name)),
            names.shown(name, getattr(after, name)),
        )
        for name in fields
        if getattr(before, name) != getattr(after, name)
    ]
    for item in parts_changes(model, before.parts or {}, after.parts or {}):
        details.append(Detail(item["field"], item["old"], item["new"]))
    return details


def _what_changed(before, after, fields: dict[str, str]) -> list[str]:
    said = [
        words for name, words in fields.items() if getattr(before, name) != getattr(after, name)
    ]
    for name, words in PARTS_CHANGES.items():
        if name in (before.parts or {}) and (before.parts or {}).get(name) != (
            after.parts or {}
        ).get(name):
            said.append(words)
    return said


class _PathwayStatus:
    """Whether the pathway was published at a given moment, from its own history."""

    def __init__(self, records):
        self.dates = [record.history_date for record in records]
        self.public = [
            record.history_type != "-" and record.status == Status.PUBLISHED for record in records
        ]

    def at(self, when: datetime) -> bool:
        index = bisect.bisect_right(self.dates, when) - 1
        # Content loaded before history was kept has no earlier record: as first recorded.
        return self.public[max(index, 0)] if self.public else False


def _describe(
    records, name, fields, *, model, names, is_public, url, seen=None, show_names=False
) -> list[Change]:
    """The public changes in one object's records, oldest first. The first version recorded
    when content was loaded is where the story starts, not a change. Records `seen` says
    nobody could see (an entry's while its pathway was a draft) are passed over: the
    pathway's own line says it was withdrawn."""
    changes = []
    previous = None
    for record in records:
        if seen is not None and not seen(record):
            previous = previous or record
            continue
        before_public, now_public = is_public(previous), is_public(record)
        if previous is None and record.history_change_reason == BASELINE_REASON:
            previous = record
            continue
        if now_public and not before_public:
            words = "added and published" if record.history_type == "+" else "published"
            changes.append(
                Change(
                    record.history_date,
                    f"{name(record)}: {words}",
                    url=url(record),
                    approval=approval_of(record, show_names=show_names),
                )
            )
        elif before_public and not now_public:
            words = "removed" if record.history_type == "-" else "withdrawn for review"
            changes.append(
                Change(
                    record.history_date,
                    f"{name(previous)}: {words}",
                    approval=approval_of(record, show_names=show_names),
                )
            )
        elif before_public and now_public:
            said = _what_changed(previous, record, fields)
            if said:
                approval = record.approval
                if approval is not None and approval.kind == ChangeKind.REVERT:
                    said = ["reverted to an earlier version"]
                changes.append(
                    Change(
                        record.history_date,
                        f"{name(record)}: {_join(said)}",
                        tuple(_details(model, previous, record, fields, names)),
                        url(record),
                        approval_of(record, show_names=show_names),
                    )
                )
        previous = record
    return changes


def _join(words: list[str]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def _entry_records(pathway: Pathway) -> list[list]:
    """Each entry's versions while in this pathway, oldest first, one list per entry."""
    by_entry: dict[int, list] = {}
    entry_records = (
        Entry.history.filter(pathway_id=pathway.pk)
        .select_related(*APPROVAL_PEOPLE)
        .order_by("history_date", "pk")
    )
    for record in entry_records:
        by_entry.setdefault(record.id, []).append(record)
    return list(by_entry.values())


def published_changes(pathway: Pathway, *, show_names: bool = False) -> list[Change]:
    """The "What changed" page's list for a pathway, newest first; `show_names` (signed-in
    staff only) names who proposed and who approved each change."""
    names = _Names()
    bands = names.by_field["age_band_id"]
    page = pathway.get_absolute_url()
    pathway_records = list(
        Pathway.history.filter(id=pathway.pk)
        .select_related(*APPROVAL_PEOPLE)
        .order_by("history_date", "pk")
    )
    pathway_status = _PathwayStatus(pathway_records)

    def entry_name(record) -> str:
        band = bands.get(record.age_band_id)
        return f"Entry ‘{record.rationale}’" + (f" ({band})" if band else "")

    def entry_is_public(record) -> bool:
        return (
            record is not None
            and record.history_type != "-"
            and record.status == Status.PUBLISHED
            and record.pathway_id == pathway.pk
        )

    def pathway_is_public(record) -> bool:
        return (
            record is not None and record.history_type != "-" and record.status == Status.PUBLISHED
        )

    changes = []
    for records in _entry_records(pathway):
        changes += _describe(
            records,
            entry_name,
            ENTRY_CHANGES,
            model=Entry,
            names=names,
            is_public=entry_is_public,
            url=lambda record: f"{page}#entry-{record.number}",
            seen=lambda record: pathway_status.at(record.history_date),
            show_names=show_names,
        )
    changes += _describe(
        pathway_records,
        lambda record: f"Pathway ‘{record.title}’",
        PATHWAY_CHANGES,
        model=Pathway,
        names=names,
        is_public=pathway_is_public,
        url=lambda record: page,
        show_names=show_names,
    )
    return sorted(changes, key=lambda change: change.when, reverse=True)
