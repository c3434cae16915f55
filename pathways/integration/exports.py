"""A pathway's filtered entries as CSV: the rows behind any view of the pathway page, for
spreadsheets and local intranets. Same parameters, same entries, same order as the page."""

from __future__ import annotations

import csv
from collections.abc import Iterator

from django.http import HttpRequest, HttpResponse
from django.utils.text import slugify
from django.views.decorators.http import require_safe

from ..ages import APPLIES_AT, ChildAge
from ..browsing.timeline import short_age
from ..filters import EntryFilter
from ..models import Entry, Pathway
from ..public import filter_entries, public_pathway

HEADER = [
    "Entry",
    "Stage",
    "Age band",
    # With a corrected age in use: the age the entry applies at (actual, corrected or both).
    "Applies at",
    "Tag",
    "Service",
    "Rationale",
    "Criteria",
    "Intervention",
    "Line type",
    # The pathway's clinical review, on every row, so a copied-out row keeps its warning.
    "Last reviewed",
    "Next review due",
    "Reviewed by",
    "Review overdue",
    "Review status",
]
# A spreadsheet runs a cell that starts with one of these as a formula (or as the start of
# one, after a tab or carriage return), so such cells get a leading quote to stay text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# The longest file name offered, without ".csv": well inside every file system's limit.
FILE_NAME_LIMIT = 120


def file_name(pathway: Pathway, filterset: EntryFilter) -> str:
    """The download's name says which results it holds, in the page's order of filters:
    "infant-mental-health-age-10w-service-health-visiting.csv". Only the filters that were
    used, in letters, digits and hyphens only."""
    filterset.form.is_valid()
    data = filterset.form.cleaned_data
    parts = [pathway.slug]
    for name in ("stage", "age", "dob", "born_at_weeks", "service", "tag", "q"):
        if name in ("stage", "service", "tag"):
            parts += [f"{name}-{option.slug}" for option in filterset.chosen(name)]
        elif name == "age" and data.get("age") is not None:
            parts.append(f"age-{short_age(data['age'][0])}")
        elif name == "dob" and data.get("dob"):
            parts.append(f"born-{data['dob'].isoformat()}")
        elif name == "born_at_weeks" and data.get("born_at_weeks"):
            weeks, days = divmod(data["born_at_weeks"], 7)
            parts.append(f"at-{weeks}-weeks" + (f"-{days}-days" if days else ""))
        elif name == "q" and data.get("q"):
            parts.append(f"search-{data['q']}")
    name = slugify("-".join(parts))[:FILE_NAME_LIMIT].strip("-_")
    return f"{name.replace('_', '-') or pathway.slug}.csv"


def safe_cell(value: object) -> str:
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def review_cells(pathway: Pathway) -> list:
    review = pathway.review_data()
    return [
        review["last_reviewed"] or "",
        review["next_review_due"] or "",
        review["reviewed_by"] or "",
        "yes" if review["review_overdue"] else "no",
        review["review_status"],
    ]


def entry_rows(
    entry: Entry, review: list | None = None, child_age: ChildAge | None = None
) -> Iterator[list]:
    """One row per intervention line: each paragraph, then each of its bullet points. An entry
    without interventions still has its row, so no entry goes missing from the sheet."""
    band = entry.age_band
    applies_at = child_age.applies_at(band.start_days, band.end_days) if child_age else None
    about = [
        entry.number,
        entry.stage.label,
        band.label,
        APPLIES_AT.get(applies_at, ""),
        entry.tag.name if entry.tag else "",
        entry.service.name,
        entry.rationale,
        entry.criteria,
    ]
    lines = []
    for intervention in entry.interventions.all():
        if intervention.text:
            lines.append([intervention.text, "paragraph"])
        lines.extend([point, "bullet point"] for point in intervention.bullet_points)
    for line in lines or [["", ""]]:
        yield about + line + (review or [])


@require_safe
def export_csv(request: HttpRequest, slug: str) -> HttpResponse:
    pathway = public_pathway(slug)
    # Lenient like the page it is downloaded from: an unknown value is ignored there too.
    filterset = filter_entries(pathway, request.GET)
    entries, child_age = filterset.qs, filterset.child_age
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{file_name(pathway, filterset)}"'
    # The byte order mark tells Excel the file is UTF-8 (curly quotes, "é" and so on).
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow(HEADER)
    review = review_cells(pathway)
    for entry in entries:
        lines = entry_rows(entry, review, child_age)
        writer.writerows([safe_cell(cell) for cell in row] for row in lines)
    return response
