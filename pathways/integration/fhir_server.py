"""A small FHIR R4 (4.0.1) REST server under /fhir/: the CapabilityStatement at /fhir/metadata,
read and search (by `url` and `version`) of the resources in RESOURCES, and
PlanDefinition/$apply. JSON only; every error is an OperationOutcome.

What it serves is built by pathways.integration.fhir from published content alone
(pathways.public's door: `Pathway.objects.public()`, `public_entries`), so a draft pathway is a
404 here. A resource's `meta.versionId` is a digest of the resource as served, so it changes
exactly when what a reader gets changes, and its ETag is `W/"<versionId>"`. `meta.lastUpdated`
is the latest history record of the content it is built from (the pathway and its entries; for
the CodeSystem, all content): the history holds approved versions of published content and
edits of drafts, so it may be later than the resource's last change, never earlier, and a cache
revalidating with If-Modified-Since refetches too often rather than too rarely.

$apply selects entries by cds_hooks.applicable, the CDS card's one rule, so a card and a
CarePlan never disagree. A birth date is personal data: it is read from a POST body, never from
an address (which access logs keep), and neither stored nor logged.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import wraps
from http import HTTPStatus
from urllib.parse import urlencode

from django.core.exceptions import RequestDataTooBig
from django.db.models import Max
from django.http import Http404, HttpRequest, HttpResponse, UnreadablePostError
from django.urls import reverse
from django.utils.cache import get_conditional_response
from django.utils.html import format_html, format_html_join
from django.utils.http import http_date
from django.views.decorators.csrf import csrf_exempt

from .. import ages
from ..local.models import Area, LocalNote, LocalService
from ..local.reading import AreaShown, area_named, directory, published_areas
from ..models import Entry, Pathway, content_models
from ..operations.caching import content_version, kept
from ..operations.http_caching import mark_shared
from ..public import public_entries, public_pathway
from .cds_hooks import applicable
from .fhir import (
    FHIR_CONTENT_TYPE,
    PUBLISHER,
    absolute_url,
    code_names,
    code_system,
    healthcare_service,
    library,
    local_plan_definition,
    local_plan_id,
    organization,
    plan_actions,
    plan_definition,
)

FHIR_VERSION = "4.0.1"
PREFIX = "/fhir/"
# What `_format` may name: FHIR's short form and the two JSON media types.
JSON_FORMATS = {"json", "application/json", "application/fhir+json", "application/json+fhir"}
SEARCH_PARAMETERS = {"url", "version"}
# What each type is searched by, where it is not SEARCH_PARAMETERS: an area's Organization has
# no canonical URL, and its services are found by the Organization that provides them.
SEARCHED_BY = {"Organization": set(), "HealthcareService": {"organization"}}
SEARCH_DOCUMENTATION = {
    "url": ("uri", "The canonical URL; `url|version` names a version too."),
    "version": ("token", "The business version."),
    "organization": ("reference", "The area providing it: `<area>` or `Organization/<area>`."),
}
# Parameters every search and read may carry besides those searched by.
CONTROL_PARAMETERS = {"_format"}
# The issue type for an error answered by something other than our views (Django's 404, the
# CSRF check, the control-character guard, the outage page, the 500 handler).
ISSUE_CODES = {
    400: "invalid",
    403: "forbidden",
    404: "not-found",
    405: "not-supported",
    406: "not-supported",
    413: "too-costly",
    415: "not-supported",
    503: "transient",
}


class FhirError(Exception):
    """A request answered with an OperationOutcome: HTTP status, FHIR issue type, words."""

    def __init__(self, status: int, code: str, message: str, allow: str = ""):
        super().__init__(message)
        self.status, self.code, self.message, self.allow = status, code, message, allow


def operation_outcome(code: str, message: str) -> dict:
    severity = "fatal" if code in {"exception", "transient"} else "error"
    return {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": severity, "code": code, "diagnostics": message}],
    }


def fhir_response(resource: dict, status: int = 200) -> HttpResponse:
    content = json.dumps(resource, ensure_ascii=False)
    return HttpResponse(content, status=status, content_type=FHIR_CONTENT_TYPE)


def error_response(error: FhirError) -> HttpResponse:
    response = fhir_response(operation_outcome(error.code, error.message), error.status)
    response["Cache-Control"] = "no-store"
    if error.allow:
        response["Allow"] = error.allow
    return response


def is_fhir_path(path: str) -> bool:
    return path == PREFIX.rstrip("/") or path.startswith(PREFIX)


def errors_as_operation_outcomes(get_response):
    """Middleware: under /fhir/, an error answered by anything but our views (no such URL, the
    CSRF check, the control-character guard, the outage page, a 500) is an OperationOutcome
    too, with the same status and headers."""

    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        if (
            not is_fhir_path(request.path_info)
            or response.status_code < 400
            or response.streaming
            or response.get("Content-Type", "").startswith("application/fhir+json")
        ):
            return response
        status = response.status_code
        code = ISSUE_CODES.get(status, "exception" if status >= 500 else "processing")
        message = f"{HTTPStatus(status).phrase}: {request.path_info}"
        if status == 404:
            message = f"There is nothing at {request.path_info}. See {PREFIX}metadata."
        response.content = json.dumps(operation_outcome(code, message), ensure_ascii=False)
        response["Content-Type"] = FHIR_CONTENT_TYPE
        response["Content-Length"] = str(len(response.content))
        if "Content-Encoding" in response:
            del response["Content-Encoding"]
        return response

    return middleware


# What is served: each resource type's current resources, from published content only.


@dataclass(frozen=True)
class Current:
    """A resource as built, and when the content it is built from last changed (None when
    no history is recorded)."""

    resource: dict
    updated: datetime | None


def latest(*querysets) -> datetime | None:
    found = [qs.aggregate(latest=Max("history_date"))["latest"] for qs in querysets]
    found = [when for when in found if when is not None]
    return max(found) if found else None


def pathway_updated(pathway: Pathway) -> datetime | None:
    """The latest history record of the pathway and of its entries."""
    return latest(
        Pathway.history.filter(id=pathway.pk),
        Entry.history.filter(pathway_id=pathway.pk),
    )


def content_updated() -> datetime | None:
    """The latest history record of any content."""
    return latest(*(model.history.all() for model in content_models() if hasattr(model, "history")))


def per_pathway(build: Callable[[Pathway, list[Entry]], dict]) -> Callable[[], list[Current]]:
    """The resources `build(pathway, entries)` makes, one per public pathway."""

    def current() -> list[Current]:
        return [
            Current(build(pathway, list(public_entries(pathway))), pathway_updated(pathway))
            for pathway in Pathway.objects.public()
        ]

    return current


def code_systems() -> list[Current]:
    return [Current(code_system(), content_updated())]


def area_updated(area: AreaShown) -> datetime | None:
    """The latest history record of the area and of its services and notes."""
    return latest(
        Area.history.filter(id=area.pk),
        LocalService.history.filter(area_id=area.pk),
        LocalNote.history.filter(area_id=area.pk),
    )


def plan_definitions() -> list[Current]:
    """Each public pathway's PlanDefinition, then the same as each published area makes it
    its own (id `<pathway>--<area>`)."""
    areas = [(directory(area, None), area_updated(area)) for area in published_areas(None)]
    found = []
    for pathway in Pathway.objects.public():
        entries = list(public_entries(pathway))
        national, updated = plan_definition(pathway, entries), pathway_updated(pathway)
        found.append(Current(national, updated))
        for local, local_updated in areas:
            plan = local_plan_definition(national, pathway, local, entries)
            found.append(Current(plan, latest_of(updated, local_updated)))
    return found


def latest_of(*moments: datetime | None) -> datetime | None:
    return max((when for when in moments if when is not None), default=None)


def organizations() -> list[Current]:
    """Each published area, as an Organization."""
    return [Current(organization(area), area_updated(area)) for area in published_areas(None)]


def healthcare_services() -> list[Current]:
    """Each published service of each published area, as a HealthcareService."""
    names = code_names()
    updated = dict(
        LocalService.history.values_list("id").annotate(latest=Max("history_date")).order_by()
    )
    found = []
    for area in published_areas(None):
        local = directory(area, None)
        found += [
            Current(healthcare_service(local, service, names), updated.get(service.pk))
            for service in local.services
        ]
    return found


# The resource types served: adding one is one entry here (its name and a function returning
# its current resources); metadata, read, search, ETags and the tests follow from this table.
RESOURCES: dict[str, Callable[[], list[Current]]] = {
    "PlanDefinition": plan_definitions,
    "Library": per_pathway(library),
    "CodeSystem": code_systems,
    "Organization": organizations,
    "HealthcareService": healthcare_services,
}


def version_id(resource: dict) -> str:
    """A digest of the resource as built: it changes exactly when the resource does."""
    content = json.dumps(resource, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(content.encode()).hexdigest()[:16]


def with_meta(current: Current) -> dict:
    """The resource as served: its meta gains versionId and lastUpdated."""
    resource = current.resource
    meta = {**resource.get("meta", {}), "versionId": version_id(resource)}
    if current.updated is not None:
        meta["lastUpdated"] = current.updated.isoformat(timespec="seconds")
    served = {"resourceType": resource["resourceType"], "id": resource["id"], "meta": meta}
    served.update((key, value) for key, value in resource.items() if key not in served)
    return served


def current_resources(request: HttpRequest, resource_type: str) -> list[Current]:
    """The type's resources as kept for the content version and today (a plan says whether
    its review is overdue today)."""
    if resource_type not in RESOURCES:
        raise FhirError(
            404,
            "not-supported",
            f"This server serves no {resource_type[:64]} resources: see metadata.",
        )
    key = f"fhir-resources:{resource_type}:{ages.uk_today().isoformat()}"
    return kept(key, RESOURCES[resource_type], content_version(request))


# HTTP: the methods, the formats, and answers any cache may keep.


def check_request(request: HttpRequest, allowed: set[str], parameters: set[str]) -> None:
    """JSON only (by `_format` or Accept), these methods, these query parameters."""
    if request.method not in allowed:
        allow = ", ".join(sorted(allowed))
        raise FhirError(
            405, "not-supported", f"{request.method} is not supported here: {allow}.", allow
        )
    formats = request.GET.getlist("_format")
    json_only = "Only JSON is served: _format=json or Accept: application/fhir+json."
    if any(value.strip().lower() not in JSON_FORMATS for value in formats):
        raise FhirError(406, "not-supported", json_only)
    if not formats and not (
        request.accepts("application/fhir+json") or request.accepts("application/json")
    ):
        raise FhirError(406, "not-supported", json_only)
    check_parameters(request, parameters)


def check_parameters(request: HttpRequest, parameters: set[str]) -> None:
    unknown = sorted(set(request.GET) - parameters - CONTROL_PARAMETERS)
    if unknown:
        known = ", ".join(sorted(parameters)) or "none"
        raise FhirError(
            400, "not-supported", f"Unknown parameter {unknown[0]!r}; this one takes: {known}."
        )


def conditional(request: HttpRequest, etag: str, updated: datetime | None, build) -> HttpResponse:
    """304 when the reader's copy is current, else `build()`; both marked public."""
    last_modified = updated.timestamp() if updated else None
    response = get_conditional_response(request, etag=etag, last_modified=last_modified)
    if response is None:
        response = build()
    if updated is not None:
        response["Last-Modified"] = http_date(last_modified)
    mark_shared(response, etag)
    return response


def fhir_view(allowed: set[str], parameters: set[str] = frozenset()):
    """A view under /fhir/: checked as above, a FhirError its OperationOutcome."""

    def decorate(view):
        # Nothing here acts on a session, and a CSRF refusal would come before our error.
        @csrf_exempt
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            try:
                check_request(request, allowed, parameters)
                return view(request, *args, **kwargs)
            except FhirError as error:
                return error_response(error)

        return wrapper

    return decorate


@fhir_view({"GET", "HEAD"})
def read(request: HttpRequest, resource_type: str, resource_id: str) -> HttpResponse:
    """The resource of this type and id, with its ETag."""
    found = one_resource(request, resource_type, resource_id)
    served = with_meta(found)
    etag = f'W/"{served["meta"]["versionId"]}"'
    return conditional(request, etag, found.updated, lambda: fhir_response(served))


def one_resource(request: HttpRequest, resource_type: str, resource_id: str) -> Current:
    for current in current_resources(request, resource_type):
        if current.resource["id"] == resource_id:
            return current
    raise FhirError(404, "not-found", f"There is no {resource_type} with id {resource_id[:100]!r}.")


def matches(
    resource: dict, urls: list[str], versions: list[str], organizations: list[str] = ()
) -> bool:
    """Whether the resource has every url (a canonical, perhaps `url|version`), every
    version and every providing organization asked for (repeated parameters all apply, as
    FHIR searches combine them)."""
    provider = resource.get("providedBy", {}).get("reference")
    if any(provider != f"Organization/{o.removeprefix('Organization/')}" for o in organizations):
        return False
    for url in urls:
        url, _, version = url.partition("|")
        if resource.get("url") != url or (version and resource.get("version") != version):
            return False
    return all(resource.get("version") == version for version in versions)


@fhir_view({"GET", "HEAD"}, SEARCH_PARAMETERS.union(*SEARCHED_BY.values()))
def search(request: HttpRequest, resource_type: str) -> HttpResponse:
    """A searchset Bundle of the type's resources with the url, version or organization asked
    for (each type its own: searched_by)."""
    resources = current_resources(request, resource_type)
    check_parameters(request, searched_by(resource_type))
    urls, versions = request.GET.getlist("url"), request.GET.getlist("version")
    organizations = request.GET.getlist("organization")
    found = [
        current for current in resources if matches(current.resource, urls, versions, organizations)
    ]
    query = urlencode(sorted((k, v) for k, vs in request.GET.lists() for v in vs if k != "_format"))
    self_url = absolute_url(f"{PREFIX}{resource_type}" + (f"?{query}" if query else ""))
    entries = [with_meta(current) for current in found]
    bundle = {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": len(entries),
        "link": [{"relation": "self", "url": self_url}],
        "entry": [
            {
                "fullUrl": absolute_url(f"{PREFIX}{resource_type}/{resource['id']}"),
                "resource": resource,
                "search": {"mode": "match"},
            }
            for resource in entries
        ],
    }
    etag = f'W/"{version_id(bundle)}"'
    updated = max((c.updated for c in found if c.updated), default=None)
    return conditional(request, etag, updated, lambda: fhir_response(bundle))


@fhir_view({"GET", "HEAD"})
def metadata(request: HttpRequest) -> HttpResponse:
    """The CapabilityStatement: what this server serves and how."""
    statement = capability_statement()
    etag = f'W/"{version_id(statement)}"'
    return conditional(request, etag, None, lambda: fhir_response(statement))


def searched_by(resource_type: str) -> set[str]:
    return SEARCHED_BY.get(resource_type, SEARCH_PARAMETERS)


def resource_capability(resource_type: str) -> dict:
    capability = {
        "type": resource_type,
        "interaction": [{"code": "read"}, {"code": "search-type"}],
        "versioning": "versioned",
        "readHistory": False,
        "conditionalRead": "full-support",
    }
    searched = searched_by(resource_type)
    if searched:
        capability["searchParam"] = [
            {"name": name, "type": kind, "documentation": documentation}
            for name, (kind, documentation) in SEARCH_DOCUMENTATION.items()
            if name in searched
        ]
    if resource_type == "PlanDefinition":
        capability["operation"] = [
            {
                "name": "apply",
                "definition": "http://hl7.org/fhir/OperationDefinition/PlanDefinition-apply",
                "documentation": APPLY_DOCUMENTATION,
            }
        ]
    return capability


APPLY_DOCUMENTATION = (
    "`POST [base]/PlanDefinition/[id]/$apply` with a Parameters resource, or `GET` with "
    "`age` and `gestationalAge` as query parameters. Give the child as one of: `birthDate` "
    "(valueDate, POST only: a birth date never goes in an address), `age` (valueString such "
    "as `10w`, `1y6m`), or `subject` (valueString or valueReference `Patient/<id>`) with that "
    "Patient inline as the parameter `data` (a Patient or a Bundle holding it; we hold no "
    "patients). `gestationalAge` (optional): valueQuantity in UCUM `wk` or `d`, or "
    "valueString such as `32+4`. Returns a CarePlan whose `activity` references a contained "
    "RequestGroup: one action per entry that applies, its interventions as sub-actions, each "
    "holding a contained CommunicationRequest whose payload is what to do. When "
    "the age is corrected for prematurity, each action's `prefix` says where it applies: "
    "`Applies at actual age`, `Applies at corrected age` or `Applies at both actual and "
    "corrected age`. `organization` (valueReference or valueString `Organization/<area>`, "
    "optional) applies that area's PlanDefinition: each action an area's service serves "
    "names it in `documentation`. Nothing sent is stored or logged."
)


# When what this server does last changed (the CapabilityStatement's required date).
CAPABILITY_DATE = "2026-12-07"


def capability_statement() -> dict:
    return {
        "resourceType": "CapabilityStatement",
        "id": "pathway-navigator",
        "url": absolute_url(reverse("pathways:fhir_metadata")),
        "name": "PathwayNavigatorFhirServer",
        "title": "Pathway Navigator FHIR server",
        "status": "active",
        "experimental": False,
        "date": CAPABILITY_DATE,
        "publisher": PUBLISHER,
        "description": (
            "Read and search the published care pathways as FHIR R4 resources, and apply a "
            "pathway's PlanDefinition to a child's age. JSON only; no patient data is held."
        ),
        "kind": "instance",
        "implementation": {
            "description": "Pathway Navigator",
            "url": absolute_url(PREFIX.rstrip("/")),
        },
        "fhirVersion": FHIR_VERSION,
        "format": ["json", "application/fhir+json"],
        "rest": [
            {
                "mode": "server",
                "documentation": (
                    "Read-only and public. Every error is an OperationOutcome. A read answers "
                    'with ETag W/"<meta.versionId>" and Last-Modified, and 304 to If-None-Match.'
                ),
                "resource": [resource_capability(name) for name in RESOURCES],
            }
        ],
    }


# PlanDefinition/$apply.


@dataclass
class Child:
    """Who the plan is applied to, as read from the request: never stored or logged."""

    born: date
    gestation_days: int | None
    subject: dict


APPLY_PARAMETERS = {"birthDate", "age", "gestationalAge", "subject", "data", "organization"}
# $apply's own R4 parameters that say nothing about the child: accepted and not used.
UNUSED_APPLY_PARAMETERS = {
    "encounter",
    "practitioner",
    "userType",
    "userLanguage",
    "userTaskContext",
    "setting",
    "settingContext",
}
NO_SUBJECT = {"display": "The child (this server holds no patient records)"}


@fhir_view({"GET", "POST"}, {"age", "gestationalAge", "birthDate", "organization"})
def apply(request: HttpRequest, resource_type: str, resource_id: str) -> HttpResponse:
    """The CarePlan for the child: what the pathway says to do at their age (with an
    `organization`, as that area makes the pathway its own)."""
    if resource_type != "PlanDefinition":
        raise FhirError(404, "not-supported", "$apply is an operation of PlanDefinition only.")
    # The plan as read, kept for the content version; its id is its pathway's slug (and its
    # area's, for an area's plan).
    plan = one_resource(request, resource_type, resource_id).resource
    pathway, area = plan_pathway(request, resource_id)
    parameters = body_parameters(request) if request.method == "POST" else query_parameters(request)
    organization = applied_area(request, parameters)
    if area is not None and organization not in (None, area):
        raise FhirError(
            400,
            "invalid",
            f"This PlanDefinition is {area.name}'s: organization "
            f"must be Organization/{area.slug}, or left out.",
        )
    if area is None and organization is not None:
        plan = one_resource(request, resource_type, local_plan_id(pathway, organization)).resource
    child = read_child(parameters)
    response = fhir_response(care_plan(pathway, plan, child))
    # About one child: no cache anywhere may keep it.
    response["Cache-Control"] = "no-store"
    return response


def plan_pathway(request: HttpRequest, resource_id: str) -> tuple[Pathway, AreaShown | None]:
    """The public pathway a PlanDefinition's id names, and the area when it is an area's plan
    (`<pathway>--<area>`)."""
    for area in [None, *published_areas(content_version(request))]:
        suffix = f"--{area.slug}" if area else ""
        if resource_id.endswith(suffix):
            try:
                return public_pathway(resource_id.removesuffix(suffix)), area
            except Http404:
                continue
    raise FhirError(404, "not-found", f"There is no PlanDefinition {resource_id[:100]!r}.")


def applied_area(request: HttpRequest, parameters: dict) -> AreaShown | None:
    """The area R4's `organization` parameter names (`Organization/<area>`), if given."""
    value = one_value(parameters, "organization", "valueReference", "valueString")
    if value is None:
        return None
    reference = value.get("reference") if isinstance(value, dict) else value
    if not isinstance(reference, str) or not reference.startswith("Organization/"):
        raise FhirError(400, "invalid", "organization must be a reference: Organization/<area>.")
    slug = reference.removeprefix("Organization/")
    area = area_named(slug, content_version(request))
    if area is None:
        raise FhirError(
            400, "not-found", f"There is no Organization {slug[:64]!r}: see /fhir/Organization."
        )
    return area


def query_parameters(request: HttpRequest) -> dict[str, list[dict]]:
    if "birthDate" in request.GET:
        raise FhirError(
            400,
            "invalid",
            "A birth date is personal data: POST it in a Parameters resource, so it never "
            "appears in an address (addresses are logged). GET takes `age` instead.",
        )
    return {name: [{"valueString": v} for v in request.GET.getlist(name)] for name in request.GET}


def body_parameters(request: HttpRequest) -> dict[str, list[dict]]:
    """The Parameters resource POSTed, as each parameter's values by name."""
    if request.content_type not in {"application/fhir+json", "application/json"}:
        raise FhirError(
            415, "not-supported", "Send a Parameters resource as application/fhir+json."
        )
    try:
        body = json.loads(request.body)
    except RequestDataTooBig:
        raise FhirError(413, "too-costly", "The request body is too large.") from None
    except (ValueError, RecursionError, UnreadablePostError):
        raise FhirError(400, "invalid", "The request body is not JSON.") from None
    if not isinstance(body, dict) or body.get("resourceType") != "Parameters":
        raise FhirError(400, "invalid", "The request body must be a Parameters resource.")
    listed = body.get("parameter", [])
    if not isinstance(listed, list) or not all(
        isinstance(p, dict) and isinstance(p.get("name"), str) for p in listed
    ):
        raise FhirError(400, "invalid", "Parameters.parameter must be a list of named parameters.")
    parameters: dict[str, list[dict]] = {}
    for parameter in listed:
        name = parameter["name"]
        if name not in APPLY_PARAMETERS | UNUSED_APPLY_PARAMETERS:
            raise FhirError(400, "not-supported", f"$apply takes no parameter {name[:50]!r}.")
        parameters.setdefault(name, []).append(parameter)
    return parameters


def one_value(parameters: dict, name: str, *kinds: str):
    """The one value of parameter `name` (None when absent), of the first kind it has."""
    given = parameters.get(name, [])
    if len(given) > 1:
        raise FhirError(400, "invalid", f"Give {name} once.")
    if not given:
        return None
    for kind in kinds:
        if kind in given[0]:
            return given[0][kind]
    raise FhirError(400, "invalid", f"{name} must be given as {' or '.join(kinds)}.")


def read_child(parameters: dict) -> Child:
    """The child's birth date (from birthDate, age, or the subject's Patient), gestation at
    birth in days, and the CarePlan's subject."""
    ways = [name for name in ("birthDate", "age", "subject") if name in parameters]
    if not ways:
        raise FhirError(400, "required", "Give the child as birthDate, age or subject.")
    if len(ways) > 1:
        raise FhirError(400, "invalid", f"Give only one of {', '.join(ways)}.")
    subject = NO_SUBJECT
    if ways == ["birthDate"]:
        born = full_date(one_value(parameters, "birthDate", "valueDate", "valueString"))
    elif ways == ["age"]:
        text = one_value(parameters, "age", "valueString", "valueCode")
        try:
            days, _ = ages.read_age(text if isinstance(text, str) else "")
        except ages.AgeError as error:
            raise FhirError(400, "invalid", f"age: {error}") from None
        born = ages.uk_today() - timedelta(days=days)
    else:
        subject, born = subject_born(parameters)
    return Child(born, gestation(parameters), subject)


def full_date(value) -> date:
    try:
        if isinstance(value, str) and len(value) == 10:
            return date.fromisoformat(value)
    except ValueError:
        pass
    raise FhirError(400, "invalid", "The birth date must be a real date, YYYY-MM-DD.")


def subject_born(parameters: dict) -> tuple[dict, date]:
    """The subject's reference and its Patient's birth date, the Patient given as `data`."""
    reference = one_value(parameters, "subject", "valueString", "valueReference")
    if isinstance(reference, dict):
        reference = reference.get("reference")
    if not isinstance(reference, str) or not reference.startswith("Patient/"):
        raise FhirError(400, "invalid", "subject must be a reference to a Patient: Patient/<id>.")
    patient_id = reference.removeprefix("Patient/")
    data = one_value(parameters, "data", "resource")
    found = data.get("entry", []) if isinstance(data, dict) else []
    resources = [data] + [e.get("resource") for e in found if isinstance(e, dict)]
    for resource in resources:
        if (
            isinstance(resource, dict)
            and resource.get("resourceType") == "Patient"
            and resource.get("id") == patient_id
        ):
            return {"reference": reference}, full_date(resource.get("birthDate"))
    raise FhirError(400, "required", f"Give the Patient {patient_id[:64]!r} as the parameter data.")


def gestation(parameters: dict) -> int | None:
    """Days of pregnancy at birth, from a Quantity in weeks or days or a text like 32+4."""
    value = one_value(parameters, "gestationalAge", "valueQuantity", "valueString")
    if value is None:
        return None
    if isinstance(value, dict):
        number, unit = value.get("value"), value.get("code") or value.get("unit")
        if isinstance(number, int | float) and not isinstance(number, bool) and 0 < number < 400:
            days = ages.quantity_days(number, unit)
            if days is not None:
                return days
        raise FhirError(400, "invalid", "gestationalAge must be a Quantity in wk or d.")
    try:
        return ages.parse_gestation(value if isinstance(value, str) else "")
    except ages.AgeError as error:
        raise FhirError(400, "invalid", f"gestationalAge: {error}") from None


def care_plan(pathway: Pathway, plan: dict, child: Child) -> dict:
    """R4's $apply result: a CarePlan whose activity is the contained RequestGroup."""
    filterset, note = applicable(pathway, child.born, child.gestation_days)
    problems = filterset.form.errors.as_data()
    if "dob" in problems and not any(p.code == "too_old" for p in problems["dob"]):
        raise FhirError(400, "invalid", f"The birth date: {problems['dob'][0].messages[0]}")
    child_age = filterset.child_age
    entries = list(filterset.qs) if child_age is not None and "dob" not in problems else []
    canonical = f"{plan['url']}|{plan['version']}"
    requests: list[dict] = []
    actions = request_actions(plan, entries, child_age, Requests(child.subject, requests))
    group = {
        "resourceType": "RequestGroup",
        "id": "request-group",
        "instantiatesCanonical": [canonical],
        "status": "draft",
        "intent": "proposal",
        "subject": child.subject,
        "action": actions,
    }
    if note:
        group["note"] = [{"text": note}]
    description = applied_description(pathway, child_age, len(actions))
    return {
        "resourceType": "CarePlan",
        "text": narrative(description, actions),
        # The RequestGroup first, then the requests its leaf actions reference ("#id").
        "contained": [group, *requests],
        "instantiatesCanonical": [canonical],
        "status": "draft",
        "intent": "proposal",
        "title": f"{pathway.title}: what applies to this child",
        "description": description,
        "subject": child.subject,
        "activity": [{"reference": {"reference": "#request-group"}}],
    }


def applied_description(pathway: Pathway, child_age, count: int) -> str:
    if child_age is None:
        return f"No entry of the {pathway.title} pathway applies: the child is past its ages."
    age = child_age.actual_in_words
    if child_age.is_corrected:
        age = f"{age} (corrected age {child_age.in_words})"
    things = "entry applies" if count == 1 else "entries apply"
    return f"{count} {pathway.title} {things} at {age}."


# What a RequestGroup's action may hold of a PlanDefinition's action (the condition has been
# applied; a participant there is a Reference, not a PlanDefinition's participant type).
REQUEST_ACTION_FIELDS = (
    "id",
    "prefix",
    "title",
    "description",
    "textEquivalent",
    "priority",
    "code",
    "documentation",
    "timingRange",
)


@dataclass(frozen=True)
class Requests:
    """The request resources of an $apply result: each one made for a leaf action is added to
    `made`, about `subject`."""

    subject: dict
    made: list[dict]

    def communicate(self, request_id: str, lines: list[str | None]) -> dict:
        """A CommunicationRequest proposing that the practitioner convey `lines` (what the
        pathway says to do), as the leaf action's `resource`: a local reference."""
        self.made.append(
            {
                "resourceType": "CommunicationRequest",
                "id": request_id,
                "status": "draft",
                "subject": self.subject,
                "payload": [{"contentString": "\n".join(line for line in lines if line)}],
            }
        )
        return {"reference": f"#{request_id}"}


def request_action(action: dict, requests: Requests) -> dict:
    """An entry's PlanDefinition action as a RequestGroup's: each intervention a leaf action
    with its request (R4's rqg-1: a RequestGroup's action has a resource or sub-actions, not
    both); an entry with no interventions is itself a leaf, its request what it is for."""
    converted = {key: action[key] for key in REQUEST_ACTION_FIELDS if key in action}
    if action.get("action"):
        converted["action"] = [intervention(child, requests) for child in action["action"]]
    else:
        lines = [action.get("title"), action.get("description")]
        converted["resource"] = requests.communicate(action["id"], lines)
    return converted


def intervention(action: dict, requests: Requests) -> dict:
    """An intervention's action as a leaf: its text and its bullets are its request's payload."""
    converted = {key: action[key] for key in REQUEST_ACTION_FIELDS if key in action}
    bullets = [f"- {point['textEquivalent']}" for point in action.get("action", [])]
    lines = [action.get("textEquivalent"), *bullets]
    converted["resource"] = requests.communicate(action["id"], lines)
    return converted


def request_actions(plan: dict, entries: list[Entry], child_age, requests: Requests) -> list[dict]:
    """The plan's entry actions (id `entry-<number>`) for the entries that apply, in their
    order, each marked with the age it applies at when the age is corrected."""
    by_id = {action.get("id"): action for action in plan_actions(plan.get("action", []))}
    actions = []
    for entry in entries:
        action = request_action(by_id[f"entry-{entry.number}"], requests)
        band = entry.age_band
        mark = child_age.applies_at(band.start_days, band.end_days)
        if mark:
            action = {"prefix": f"Applies at {ages.APPLIES_AT[mark]}", **action}
        actions.append(action)
    return actions


def narrative(description: str, actions: list[dict]) -> dict:
    """The CarePlan's human-readable text: the description and each action, marked."""
    items = format_html_join(
        "",
        "<li>{}{}</li>",
        (
            (f"{action['prefix']}: " if "prefix" in action else "", action.get("title", ""))
            for action in actions
        ),
    )
    listed = format_html("<ul>{}</ul>", items) if actions else ""
    div = format_html(
        '<div xmlns="http://www.w3.org/1999/xhtml"><p>{}</p>{}</div>', description, listed
    )
    return {"status": "generated", "div": str(div)}
