"""What changed in a pathway, in words, for practitioners: built from the history of the
pathway and its entries, listing only what was public (published) before or after a change.
Edits to drafts are never listed: practitioners never saw them."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import datetime

from ..history import BASELINE_REASON
from ..models import AgeBand, Entry, Pathway, Status

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
PARTS_CHANGES = {
    "interventions": "interventions edited",
    "reading_notes": "reading notes edited",
    "related_pathways": "related pathways changed",
}


@dataclass(frozen=True)
class Change:
    """One line of the "What changed" page."""

    when: datetime
    text: str


def _is_public(record, pathway_records=None) -> bool:
    """Whether practitioners could see this version when it was made: published, not deleted
    and, for an entry (`pathway_records` given), in a pathway that was published then too."""
    if record is None or record.history_type == "-" or record.status != Status.PUBLISHED:
        return False
    if pathway_records is None:
        return True
    return _is_public(_as_of(pathway_records, record.history_date))


def _as_of(records, when):
    """The version among `records` (oldest first) current at `when`; before the first one
    was recorded, the first, as history begins with the content as loaded."""
    at = bisect_right([record.history_date for record in records], when)
    return records[max(at - 1, 0)] if records else None


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


def _describe(records, name, fields: dict[str, str], pathway_records=None) -> list[Change]:
    """The public changes in one object's records, oldest first. The first version recorded
    when content was loaded is where the story starts, not a change."""
    changes = []
    previous = None
    for record in records:
        before_public = _is_public(previous, pathway_records)
        now_public = _is_public(record, pathway_records)
        if previous is None and record.history_change_reason == BASELINE_REASON:
            previous = record
            continue
        if now_public and not before_public:
            words = "added and published" if record.history_type == "+" else "published"
            changes.append(Change(record.history_date, f"{name(record)}: {words}"))
        elif before_public and not now_public:
            words = "removed" if record.history_type == "-" else "withdrawn for review"
            changes.append(Change(record.history_date, f"{name(previous)}: {words}"))
        elif before_public and now_public:
            said = _what_changed(previous, record, fields)
            if said:
                changes.append(Change(record.history_date, f"{name(record)}: {_join(said)}"))
        previous = record
    return changes


def _join(words: list[str]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def published_changes(pathway: Pathway) -> list[Change]:
    """The "What changed" page's list for a pathway, newest first."""
    bands = dict(AgeBand.objects.values_list("pk", "label"))

    def entry_name(record) -> str:
        band = bands.get(record.age_band_id)
        return f"Entry ‘{record.rationale}’" + (f" ({band})" if band else "")

    def pathway_name(record) -> str:
        return f"Pathway ‘{record.title}’"

    by_entry: dict[int, list] = {}
    entry_records = Entry.history.filter(pathway_id=pathway.pk).order_by("history_date", "pk")
    for record in entry_records:
        by_entry.setdefault(record.id, []).append(record)
    pathway_records = list(Pathway.history.filter(id=pathway.pk).order_by("history_date", "pk"))
    changes = []
    for records in by_entry.values():
        changes += _describe(records, entry_name, ENTRY_CHANGES, pathway_records)
    changes += _describe(pathway_records, pathway_name, PATHWAY_CHANGES)
    return sorted(changes, key=lambda change: change.when, reverse=True)
