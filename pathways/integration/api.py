"""The read-only JSON API (django-ninja): public pathways, their entries filtered with the
pathway browser's own query parameters, and each pathway as an HL7 FHIR R4 PlanDefinition.

The OpenAPI document is at /api/openapi.json and the docs page at /api/docs. Unlike the
browser page, which names a value it does not recognise and carries on, the API answers 400
with the parameter named: a program that sends a wrong slug wants to know, not a guess.
"""

from __future__ import annotations

import json
from typing import Literal

from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.urls import reverse
from ninja import Field, NinjaAPI, Schema
from ninja.openapi.docs import Swagger, render_template

from ..ages import ChildAge
from ..filters import PARAMETER_LIMITS, PARAMETERS, EntryFilter, canonical_query
from ..local.reading import (
    AREA,
    AreaShown,
    LocalDirectory,
    ServiceShown,
    area_named,
    chosen_area,
    directory,
    published_areas,
)
from ..models import AgeRange, Entry, Pathway
from ..operations.caching import content_version
from ..public import filter_entries, public_entries, public_pathway
from .fhir import fhir_response, local_plan_definition, plan_definition
from .fhir_server import FhirError, error_response


class ApiDocs(Swagger):
    """Swagger UI from django-ninja's own static files, started by our script: no CDN (NHS
    networks block them) and no inline script (our Content Security Policy forbids it)."""

    template = "api/docs.html"

    def render_page(self, request: HttpRequest, api: NinjaAPI, **kwargs) -> HttpResponse:
        self.settings["url"] = self.get_openapi_url(api, kwargs)
        context = {"api": api, "swagger_settings": json.dumps(self.settings)}
        return render_template(request, self.template, self.template, context)


api = NinjaAPI(
    title="Pathway Navigator API",
    version="1",
    description=(
        "Read-only access to the published care pathways. The entries endpoint takes the "
        "same query parameters as the pathway page (`/pathways/<slug>/`), so a filtered page "
        "and its data always agree: `stage`, `service` and `tag` may be repeated (any of the "
        "values matches), different parameters narrow the results, `age` is the child's age "
        "(`45d`, `10w`, `3m`, `2y`, `1y6m`) and `q` is words in the text. A value that is not "
        "recognised, or a parameter that does not exist, gives a 400 naming the parameter. "
        "`area` (an area's slug, from `/api/areas/`) adds that area's local services and "
        "notes for the entries listed."
    ),
    urls_namespace="api",
    docs=ApiDocs(settings={"defaultModelsExpandDepth": 0}),
)


# Schemas: the shapes the OpenAPI document promises and every response is checked against.


class ParameterProblem(Schema):
    parameter: str = Field(description="The query parameter at fault.")
    message: str


class BadRequest(Schema):
    detail: str
    errors: list[ParameterProblem]


class NotFound(Schema):
    detail: str


class AgeRangeOut(Schema):
    slug: str
    label: str
    start_days: int = Field(description="First day of the range; birth is day 0.")
    end_days: int = Field(description="First day after the range: [start_days, end_days).")


class NamedOut(Schema):
    slug: str
    name: str


class InterventionOut(Schema):
    text: str = Field(description="The paragraph; empty when the intervention is only bullets.")
    bullets: list[str] = Field(description="Bullet points the paragraph introduces, in order.")


class EntryOut(Schema):
    number: int = Field(
        description="The entry's number in its pathway: given once and kept when editors "
        "reorder the pathway, so it names the entry; `url` and `report_url` use it."
    )
    position: int = Field(
        description="The entry's place in the pathway page, smallest first; it changes when "
        "editors reorder the pathway (name an entry by `number`)."
    )
    url: str = Field(description="The entry on the pathway page.")
    report_url: str = Field(description="Where a reader reports a problem with this entry.")
    stage: AgeRangeOut
    age_band: AgeRangeOut
    tag: NamedOut | None
    service: NamedOut
    rationale: str
    criteria: str | None = Field(description="When the entry applies, if it says.")
    interventions: list[InterventionOut]
    applies_at: Literal["actual", "corrected", "both"] | None = Field(
        None,
        description="With `born_at_weeks` below 2 years: whether the entry applies at the "
        "child's actual age, corrected age or both (the results are both ages' entries). "
        "Null when the age is not corrected.",
    )


class PathwayOut(Schema):
    slug: str
    title: str
    summary: str
    url: str = Field(description="The pathway page.")
    api_url: str
    entries_url: str
    csv_url: str
    fhir_url: str
    last_reviewed: str | None = Field(description="When a clinician last reviewed it (ISO 8601).")
    next_review_due: str | None = Field(description="When its next review is due (ISO 8601).")
    reviewed_by: str | None = Field(description="Who approved the last review.")
    review_overdue: bool = Field(description="True once the next review date has passed.")
    review_status: str = Field(
        description='The review in words, e.g. "No clinical review recorded.", as pages say it.'
    )


class PathwayList(Schema):
    pathways: list[PathwayOut]


class ReadingNoteOut(Schema):
    text: str
    is_bullet: bool


class DocumentOut(Schema):
    title: str
    url: str


class FilterValues(Schema):
    stage: list[AgeRangeOut]
    service: list[NamedOut]
    tag: list[NamedOut]


class PathwayDetail(PathwayOut):
    reading_notes: list[ReadingNoteOut] = Field(description="How to read the pathway.")
    policy_context: DocumentOut | None
    entry_count: int
    filters: FilterValues = Field(
        description="The values the entries endpoint's stage, service and tag parameters take."
    )


class EntryList(Schema):
    pathway: PathwayOut
    count: int = Field(description="How many entries match.")
    total: int = Field(description="How many entries the pathway has.")
    entries: list[EntryOut]


class ServiceOut(Schema):
    """A local service as the area's directory lists it."""

    slug: str
    name: str
    offers: str = Field(description="What it offers; paragraphs separated by a blank line.")
    referral_route: str = Field(description="How to refer, in words.")
    referral_form_url: str
    referral_phone: str
    referral_email: str
    who_may_refer: str
    eligibility: str
    hours: str
    address: str
    web_url: str
    last_verified: str | None = Field(description="When its details were last checked.")
    next_verification_due: str | None = Field(description="When they are next due a check.")
    verification_overdue: bool = Field(description="True once that date has passed.")
    verification_status: str = Field(description="The check in words, as pages say it.")
    is_example: bool = Field(
        description='An example for tests and screenshots: "Example, not a real service".'
    )


class LocalServiceOut(ServiceOut):
    serves: list[int] = Field(description="The numbers of the entries listed that it serves.")


class LocalNoteOut(Schema):
    entry: int = Field(description="The number of the entry the note is on.")
    text: str = Field(description="Local to the area, below the entry's national text.")


class LocalEntryList(EntryList):
    area: NamedOut
    local_services: list[LocalServiceOut] = Field(
        description="The area's services serving any of the entries listed, in directory order."
    )
    local_notes: list[LocalNoteOut] = Field(description="The area's notes on the entries listed.")


class AreaList(Schema):
    areas: list[NamedOut]


class ServedEntryOut(Schema):
    pathway: str
    number: int


class DirectoryServiceOut(ServiceOut):
    serves_entries: list[ServedEntryOut] = Field(description="Entries it serves by name.")
    serves_services: list[str] = Field(description="Slugs of the services whose entries it serves.")
    serves_tags: list[str] = Field(description="Slugs of the tags whose entries it serves.")


class AreaDirectory(Schema):
    area: NamedOut
    services: list[DirectoryServiceOut]


class EntryQuery(Schema):
    """The pathway browser's parameters, for the OpenAPI document only (`query_parameters`);
    EntryFilter reads them from the request exactly as the browser page does."""

    stage: list[str] = Field(
        [], description="Stage slug, e.g. `birth-6-weeks`; entries whose age band overlaps it."
    )
    age: str = Field(
        "",
        description="The child's age: `45d`, `10w`, `3m`, `2y` or `1y6m`.",
        json_schema_extra={"maxLength": PARAMETER_LIMITS["age"]},
    )
    dob: str = Field(
        "",
        description="Date of birth instead of `age`: `2026-09-23`, `23/09/2026`, `23/9/26`, "
        "`23 Sep 2026` or `23 September 2026` (a two-digit year is 20YY); the age is worked "
        "out for today in the UK. Under 19 years ago; a child of 5 or more gets no entries.",
        json_schema_extra={"maxLength": PARAMETER_LIMITS["dob"]},
    )
    born_at_weeks: str = Field(
        "",
        description="Gestation at birth, with `age` or `dob`: `32`, `32+4`, `32w4d` or "
        "`32 weeks 4 days`. From 22+0 to 36+6 and below the second birthday, the entries are "
        "those that apply at the actual age and at the corrected age, each marked "
        "(`applies_at`); other gestations are not corrected.",
        json_schema_extra={"maxLength": PARAMETER_LIMITS["born_at_weeks"]},
    )
    service: list[str] = Field([], description="Service slug, e.g. `health-visiting`.")
    tag: list[str] = Field([], description="Tag slug, e.g. `core-purpose-2`.")
    q: str = Field(
        "",
        description='Search: words (and "phrases") that must appear in the rationale, criteria '
        "or interventions, -word to leave one out; full-text with stemming on PostgreSQL.",
        json_schema_extra={"maxLength": PARAMETER_LIMITS["q"]},
    )
    area: str = Field(
        "",
        description="An area's slug (`/api/areas/`): adds its local services and notes for the "
        "entries listed.",
    )


class AreaQuery(Schema):
    """The FHIR PlanDefinition's one parameter, for the OpenAPI document only."""

    area: str = Field(
        "",
        description="An area's slug (`/api/areas/`): the area's local PlanDefinition, each "
        "action its services serve naming them.",
    )


FHIR_RESPONSE = {
    "description": (
        "An HL7 FHIR R4 PlanDefinition (CPG-on-FHIR computable plan): stage actions, and "
        "entry actions inside the stage whose age range contains them."
    ),
    "content": {
        "application/fhir+json": {
            "schema": {
                "type": "object",
                "required": ["resourceType", "status", "action"],
                "properties": {
                    "resourceType": {"type": "string", "enum": ["PlanDefinition"]},
                    "status": {"type": "string"},
                    "action": {"type": "array", "items": {"type": "object"}},
                },
            }
        }
    },
}


# Every FHIR error is an OperationOutcome.
OPERATION_OUTCOME = {
    "application/fhir+json": {
        "schema": {
            "type": "object",
            "required": ["resourceType", "issue"],
            "properties": {
                "resourceType": {"type": "string", "enum": ["OperationOutcome"]},
                "issue": {"type": "array", "items": {"type": "object"}},
            },
        }
    }
}
FHIR_BAD_REQUEST = {
    "description": (
        "No published area has the slug `area` gives: a FHIR OperationOutcome. (An address "
        "holding a control character is refused before, as everywhere in the API.)"
    ),
    "content": {
        **OPERATION_OUTCOME,
        "application/json": {"schema": {"$ref": "#/components/schemas/BadRequest"}},
    },
}
FHIR_NOT_FOUND = {
    "description": "No published pathway has this slug: a FHIR OperationOutcome.",
    "content": OPERATION_OUTCOME,
}


# Serialisers: plain dicts, so what the API says about an entry is visible in one place.


def absolute(request: HttpRequest, path: str) -> str:
    return request.build_absolute_uri(path)


def pathway_data(request: HttpRequest, pathway: Pathway) -> dict:
    slug = pathway.slug
    return {
        "slug": slug,
        "title": pathway.title,
        "summary": pathway.summary,
        "url": absolute(request, pathway.get_absolute_url()),
        "api_url": absolute(request, reverse("api:pathway", args=[slug])),
        "entries_url": absolute(request, reverse("api:pathway_entries", args=[slug])),
        "csv_url": absolute(request, reverse("pathways:export_csv", args=[slug])),
        "fhir_url": absolute(request, reverse("api:pathway_fhir", args=[slug])),
        **pathway.review_data(),
    }


def age_range_data(age_range: AgeRange) -> dict:
    return {
        "slug": age_range.slug,
        "label": age_range.label,
        "start_days": age_range.start_days,
        "end_days": age_range.end_days,
    }


def named_data(thing) -> dict | None:
    return {"slug": thing.slug, "name": thing.name} if thing else None


def entry_data(
    request: HttpRequest, pathway: Pathway, entry: Entry, child_age: ChildAge | None = None
) -> dict:
    page = absolute(request, pathway.get_absolute_url())
    band = entry.age_band
    return {
        "applies_at": child_age.applies_at(band.start_days, band.end_days) if child_age else None,
        "number": entry.number,
        "position": entry.position,
        "url": f"{page}#entry-{entry.number}",
        "report_url": absolute(
            request, reverse("pathways:report_problem", args=[pathway.slug, entry.number])
        ),
        "stage": age_range_data(entry.stage),
        "age_band": age_range_data(entry.age_band),
        "tag": named_data(entry.tag),
        "service": named_data(entry.service),
        "rationale": entry.rationale,
        "criteria": entry.criteria or None,
        "interventions": [
            {"text": intervention.text, "bullets": intervention.bullet_points}
            for intervention in entry.interventions.all()
        ],
    }


def service_data(service: ServiceShown) -> dict:
    """A local service's fields, as every endpoint that names one gives them."""
    dates = (service.last_verified, service.next_verification_due)
    last_verified, next_due = (when.isoformat() if when else None for when in dates)
    return {
        "slug": service.slug,
        "name": service.name,
        "offers": service.offers,
        "referral_route": service.referral_route,
        "referral_form_url": service.referral_form_url,
        "referral_phone": service.referral_phone,
        "referral_email": service.referral_email,
        "who_may_refer": service.who_may_refer,
        "eligibility": service.eligibility,
        "hours": service.hours,
        "address": service.address,
        "web_url": service.web_url,
        "last_verified": last_verified,
        "next_verification_due": next_due,
        "verification_overdue": service.is_verification_overdue,
        "verification_status": service.verification_status,
        "is_example": service.is_example,
    }


def local_data(local: LocalDirectory, entries: list[Entry]) -> dict:
    """What an area adds to a list of entries: its services serving any of them (each with the
    numbers of those it serves) and its notes on them, by local/reading's one rule."""
    services = [
        {**service_data(service), "serves": [e.number for e in entries if service.serves(e)]}
        for service in local.serving(entries)
    ]
    notes = [
        {"entry": entry.number, "text": local.notes[entry.pk].text}
        for entry in entries
        if entry.pk in local.notes
    ]
    return {"area": named_data(local.area), "local_services": services, "local_notes": notes}


# Parameter checking: the browser's FilterSet decides; the API only refuses what it set aside.


class ParameterError(Exception):
    def __init__(self, problems: list[dict]):
        super().__init__(problems)
        self.problems = problems


def bad_request(problems: list[dict]) -> dict:
    return {"detail": "Some query parameters could not be used.", "errors": problems}


def checked_filter(request: HttpRequest, pathway: Pathway) -> tuple[EntryFilter, AreaShown | None]:
    """The browser's EntryFilter for this request and the area asked for, or ParameterError
    naming what it could not use: unknown parameter names, unrecognised slugs and areas, and
    ages or text it cannot read."""
    names = [*PARAMETERS, AREA]
    problems = [
        {"parameter": name, "message": f"Unknown parameter: use {', '.join(names)}."}
        for name in request.GET
        if name not in names
    ]
    # Empty values mean "not chosen", as they do when the browser's form sends them.
    filterset = filter_entries(pathway, QueryDict(canonical_query(request.GET)))
    form = filterset.form
    form.is_valid()
    for name in ("stage", "service", "tag"):
        field = form.fields[name]
        if field.unrecognised:
            given = ", ".join(f'"{value}"' for value in field.unrecognised)
            known = ", ".join(value for value, _ in field.choices)
            problems.append(
                {"parameter": name, "message": f"Not recognised: {given}. Use one of: {known}."}
            )
    for name, messages in form.errors.items():
        # The only error of the whole form is giving both ages.
        parameter = "age, dob" if name == "__all__" else name
        problems.extend({"parameter": parameter, "message": message} for message in messages)
    area, area_problems = checked_area(request)
    problems += area_problems
    if problems:
        raise ParameterError(problems)
    return filterset, area


def checked_area(request: HttpRequest) -> tuple[AreaShown | None, list[dict]]:
    """The published area `area=` names (None without one), and the problem when it names
    none: local/reading decides, as for the pages, which answer the same address with the
    national content and a notice where a program gets a 400."""
    version = content_version(request)
    choice = chosen_area(request.GET, version)
    if not choice.unrecognised:
        return choice.area, []
    known = ", ".join(area.slug for area in published_areas(version)) or "none is published yet"
    message = f'Not recognised: "{choice.unrecognised}". Use one of: {known}.'
    return None, [{"parameter": AREA, "message": message}]


@api.exception_handler(ParameterError)
def parameter_error(request: HttpRequest, error: ParameterError) -> HttpResponse:
    return api.create_response(request, bad_request(error.problems), status=400)


# Endpoints.


@api.get(
    "/pathways/",
    response={200: PathwayList},
    url_name="pathways",
    summary="The published pathways",
)
def pathways(request: HttpRequest):
    return {"pathways": [pathway_data(request, p) for p in Pathway.objects.public()]}


@api.get(
    "/pathways/{slug}/",
    response={200: PathwayDetail, 404: NotFound},
    url_name="pathway",
    summary="A pathway, its reading notes and the values its filters take",
)
def pathway(request: HttpRequest, slug: str):
    found = public_pathway(slug)
    filterset = filter_entries(found, QueryDict())
    policy = found.policy_context
    return {
        **pathway_data(request, found),
        "reading_notes": [
            {"text": note.text, "is_bullet": note.is_bullet} for note in found.reading_notes.all()
        ],
        "policy_context": policy
        and {"title": policy.title, "url": absolute(request, policy.get_absolute_url())},
        "entry_count": public_entries(found).count(),
        "filters": {
            "stage": [age_range_data(stage) for stage in filterset.stages],
            "service": [named_data(service) for service in filterset.services],
            "tag": [named_data(tag) for tag in filterset.tags],
        },
    }


def query_parameters(schema: type[Schema]) -> list[dict]:
    """A schema's fields as OpenAPI query parameters: the document describes them, while the
    browser's own EntryFilter reads and checks them, so they are never parsed twice."""
    properties = schema.model_json_schema()["properties"]
    return [
        {
            "name": name,
            "in": "query",
            "required": False,
            "description": spec.pop("description", ""),
            "schema": {key: value for key, value in spec.items() if key != "title"},
        }
        for name, spec in properties.items()
    ]


@api.get(
    "/pathways/{slug}/entries/",
    # An area's list first: the national list, having no `area`, is never read as one.
    response={200: LocalEntryList | EntryList, 400: BadRequest, 404: NotFound},
    url_name="pathway_entries",
    summary="A pathway's entries, filtered like the pathway page",
    openapi_extra={"parameters": query_parameters(EntryQuery)},
)
def pathway_entries(request: HttpRequest, slug: str):
    found = public_pathway(slug)
    filterset, area = checked_filter(request, found)
    entries, child_age = list(filterset.qs), filterset.child_age
    listed = {
        "pathway": pathway_data(request, found),
        "count": len(entries),
        "total": public_entries(found).count(),
        "entries": [entry_data(request, found, entry, child_age) for entry in entries],
    }
    if area is None:
        return listed
    return {**listed, **local_data(directory(area, content_version(request)), entries)}


@api.get(
    "/pathways/{slug}/fhir",
    url_name="pathway_fhir",
    summary="A pathway as an HL7 FHIR R4 PlanDefinition",
    openapi_extra={
        "parameters": query_parameters(AreaQuery),
        "responses": {200: FHIR_RESPONSE, 400: FHIR_BAD_REQUEST, 404: FHIR_NOT_FOUND},
    },
)
def pathway_fhir(request: HttpRequest, slug: str):
    try:
        found = public_pathway(slug)
    except Http404:
        # A FHIR client reads a FHIR error, as everywhere under /fhir/.
        return error_response(FhirError(404, "not-found", f"There is no pathway {slug!r}."))
    version = content_version(request)
    choice = chosen_area(request.GET, version)
    if choice.unrecognised:
        message = f"No published area has the slug {choice.unrecognised!r}: see /api/areas/."
        return error_response(FhirError(400, "not-found", message))
    if choice.area is None:
        return fhir_response(plan_definition(found))
    local = directory(choice.area, version)
    return fhir_response(local_plan_definition(plan_definition(found), found, local))


@api.get("/areas/", response={200: AreaList}, url_name="areas", summary="The published areas")
def areas(request: HttpRequest):
    return {"areas": [named_data(area) for area in published_areas(content_version(request))]}


@api.get(
    "/areas/{slug}/services/",
    response={200: AreaDirectory, 404: NotFound},
    url_name="area_services",
    summary="An area's directory of local services",
)
def area_services(request: HttpRequest, slug: str):
    version = content_version(request)
    area = area_named(slug, version)
    if area is None:
        raise Http404(f"There is no published area {slug!r}.")
    services = [
        {
            **service_data(service),
            "serves_entries": [{"pathway": p, "number": n} for p, n in service.served_entries],
            "serves_services": list(service.served_services),
            "serves_tags": list(service.served_tags),
        }
        for service in directory(area, version).services
    ]
    return {"area": named_data(area), "services": services}
