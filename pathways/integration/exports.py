"""A pathway's filtered entries as CSV: the rows behind any view of the pathway page, for
spreadsheets and local intranets. Same parameters, same entries, same order as the page."""

from __future__ import annotations

import csv
from collections.abc import Iterator

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.utils.text import slugify
from django.views.decorators.http import require_safe

from ..ages import APPLIES_AT, ChildAge
from ..browsing.timeline import short_age
from ..filters import EntryFilter
from ..local.reading import AREA, LocalDirectory, ServiceShown, chosen_area, directory
from ..models import Entry, Pathway
from ..operations.caching import content_version
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


def file_name(pathway: Pathway, filterset: EntryFilter, area_slug: str = "") -> str:
    """The download's name says which results it holds, in the page's order of filters:
    "infant-mental-health-age-10w-service-health-visiting.csv". Only the filters that were
    used, in letters, digits and hyphens only. An area comes first after the pathway, so a
    long name never loses it: "infant-mental-health-area-north-example-age-10w.csv"."""
    filterset.form.is_valid()
    data = filterset.form.cleaned_data
    parts = [pathway.slug] + ([f"area-{area_slug}"] if area_slug else [])
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


def local_header(local: LocalDirectory) -> list[str]:
    """The columns an area adds after HEADER."""
    return [
        f"Local services in {local.area.name}",
        "Local services overdue for checking",
        "Local note",
    ]


def service_words(service: ServiceShown) -> str:
    """A service on one line of a cell: its name, marked when an example, and how to refer."""
    name = f"{service.name} ({service.example_words})" if service.is_example else service.name
    routes = [
        service.referral_route,
        service.referral_form_url and f"form {service.referral_form_url}",
        service.referral_phone and f"phone {service.referral_phone}",
        service.referral_email and f"email {service.referral_email}",
    ]
    how = "; ".join(" ".join(route.split()) for route in routes if route)
    return f"{name}: refer: {how}" if how else name


def local_cells(local: LocalDirectory, entry: Entry) -> list[str]:
    """What the area says beside `entry`: its services (one a line), those overdue for checking,
    and its note."""
    shown = local.for_entry(entry)
    overdue = [s.name for s in shown.services if s.is_verification_overdue]
    return [
        "\n".join(service_words(service) for service in shown.services),
        "\n".join(overdue),
        shown.note.text if shown.note else "",
    ]


def unknown_area(given: str) -> HttpResponse:
    """A spreadsheet has no notice to show, so an area it cannot find is refused, not replaced
    by the national rows a reader might take for the area's."""
    return HttpResponseBadRequest(
        f"The parameter {AREA} names no published area: \u201c{given}\u201d. Leave it out "
        "for the national pathway, or use an area's slug from /api/areas/.",
        content_type="text/plain; charset=utf-8",
    )


@require_safe
def export_csv(request: HttpRequest, slug: str) -> HttpResponse:
    pathway = public_pathway(slug)
    choice = chosen_area(request.GET, content_version(request))
    if choice.unrecognised:
        return unknown_area(choice.unrecognised)
    local = directory(choice.area, content_version(request)) if choice.area else None
    # Lenient like the page it is downloaded from: an unknown value is ignored there too.
    filterset = filter_entries(pathway, request.GET)
    entries, child_age = filterset.qs, filterset.child_age
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    name = file_name(pathway, filterset, local.area.slug if local else "")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    # The byte order mark tells Excel the file is UTF-8 (curly quotes, "é" and so on).
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow(HEADER + (local_header(local) if local else []))
    review = review_cells(pathway)
    for entry in entries:
        extra = local_cells(local, entry) if local else []
        lines = entry_rows(entry, review, child_age)
        writer.writerows([safe_cell(cell) for cell in [*row, *extra]] for row in lines)
    return response
