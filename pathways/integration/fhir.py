"""A pathway as an HL7 FHIR R4 PlanDefinition of the CPG-on-FHIR guide (2.0.0: its shareable
and computable plan definition profiles), the Library holding the CQL its conditions name,
and the CodeSystem of our stages, tags and services. `plan_definition(pathway)`,
`library(pathway)` and `code_system()` are plain functions: the views serve what they build.

The age an action is for is the child's age, stated three ways software can read: the plan
has a `useContext` of type age; every action with an age has an applicability condition in
CQL naming a definition of the Library (`"Aged 6 weeks - 1 year"`: any of the ages the
pathway is read at, the actual age and, for a baby born early, the corrected age, is within
the range; pathways/integration/cql.py); and the same range is the action's `timingRange`,
inclusive days from the patient's birth date (a reader without a CQL engine compares the
child's actual age and, when corrected, the corrected age with it).

An action is nested only under a parent whose age range contains its own, so a FHIR engine
that applies a parent's condition before its children's never hides an entry. An entry whose
age band reaches beyond the stage it is listed under (Birth - 5 years under 3 - 5 years) is a
top-level action after that stage, coded with the stage, instead of a child of it.

Ages are half-open whole days, [start, end); a FHIR Range is inclusive, so a band becomes
days `start` to `end - 1` in UCUM "d" (weeks, months or years would be exact for some bounds
only: 6 months is 182.625 days, rounded to 183).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import Max
from django.http import HttpResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from ..local.reading import AREA, AreaShown, LocalDirectory, ServiceShown
from ..models import AgeRange, Entry, Pathway, Service, Stage, Status, Tag
from ..public import public_entries
from . import cql

FHIR_CONTENT_TYPE = "application/fhir+json; fhirVersion=4.0"
UCUM = "http://unitsofmeasure.org"
PLAN_DEFINITION_TYPE = "http://terminology.hl7.org/CodeSystem/plan-definition-type"
USAGE_CONTEXT_TYPE = "http://terminology.hl7.org/CodeSystem/usage-context-type"
LIBRARY_TYPE = "http://terminology.hl7.org/CodeSystem/library-type"
CPG = "http://hl7.org/fhir/uv/cpg/StructureDefinition"
# The CPG-on-FHIR release whose profiles we claim (docs/integration.md says why these).
CPG_VERSION = "2.0.0"
PLAN_PROFILES = [
    f"{CPG}/cpg-shareableplandefinition|{CPG_VERSION}",
    f"{CPG}/cpg-computableplandefinition|{CPG_VERSION}",
]
LIBRARY_PROFILES = [
    f"{CPG}/cpg-shareablelibrary|{CPG_VERSION}",
    f"{CPG}/cpg-computablelibrary|{CPG_VERSION}",
]
CODE_SYSTEM_PROFILES = ["http://hl7.org/fhir/StructureDefinition/shareablecodesystem|4.0.1"]
# What CPG's knowledge extensions say of the plan and its library: shareable (canonical URL,
# version, publisher, description) and computable (structured, its logic in CQL), at the
# structured level (CQL source, not the compiled ELM an engine executes).
KNOWLEDGE_EXTENSIONS = [
    {"url": f"{CPG}/cpg-knowledgeCapability", "valueCode": "shareable"},
    {"url": f"{CPG}/cpg-knowledgeCapability", "valueCode": "computable"},
    {"url": f"{CPG}/cpg-knowledgeRepresentationLevel", "valueCode": "structured"},
]
# An R4 Expression language (its value set allows text/cql, text/fhirpath and
# application/x-fhir-query): the expression is a definition of the plan's Library.
CQL = "text/cql"
XHTML = "http://www.w3.org/1999/xhtml"
PUBLISHER = "Pathway Navigator"
CODE_SYSTEM_ID = "pathway-navigator"
# What publishing means to a FHIR reader: a published pathway is in use, a draft is not yet.
FHIR_STATUS = {Status.PUBLISHED: "active", Status.DRAFT: "draft"}


# Every ASCII character that markdown (CommonMark, with HTML and GitHub's tables and
# strikethrough) may read as formatting; a backslash makes each of them literal.
MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~&!])")


def markdown(text: str) -> str:
    """Content as literal text in markdown on one line: no character of it starts formatting
    (a CDS card's detail, a HealthcareService's extraDetails)."""
    return MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def absolute_url(path: str) -> str:
    """`path` on the site as practitioners reach it (settings.SITE_URL), whatever the request."""
    return f"{settings.SITE_URL}{path}"


def code_system_url() -> str:
    """The canonical URL of our CodeSystem, where it is also served."""
    return absolute_url(reverse("pathways:fhir_code_system"))


def plan_definition_url(pathway: Pathway) -> str:
    """The canonical URL of a pathway's PlanDefinition, where it is also served."""
    return absolute_url(reverse("api:pathway_fhir", args=[pathway.slug]))


def library_url(pathway: Pathway) -> str:
    """The canonical URL of a pathway's Library, where it is also served."""
    return absolute_url(reverse("pathways:fhir_library", args=[pathway.slug]))


# Codes: each kind of thing its own prefix, so a stage and a tag can never share a code.


def stage_code(stage: Stage) -> str:
    return f"stage-{stage.slug}"


def tag_code(tag: Tag) -> str:
    return f"tag-{tag.slug}"


def service_code(service: Service) -> str:
    return f"service-{service.slug}"


def coding(code: str, display: str) -> dict:
    return {"system": code_system_url(), "code": code, "display": display}


def days(value: int) -> dict:
    """A quantity of whole days, as UCUM writes it."""
    return {"value": value, "unit": "day" if value == 1 else "days", "system": UCUM, "code": "d"}


def age_range(age_range: AgeRange) -> dict:
    """The inclusive FHIR Range of ages, in days, that the half-open age range covers."""
    return {"low": days(age_range.start_days), "high": days(age_range.end_days - 1)}


def age_condition(age_range: AgeRange) -> dict:
    """The applicability condition saying the child's age (actual, or corrected when
    corrected) is within the range: the Library's definition for the range."""
    return {
        "kind": "applicability",
        "expression": {
            "description": f"The child is aged {age_range.label}",
            "language": CQL,
            "expression": cql.quoted(cql.range_define(age_range)),
        },
    }


def contains(outer: AgeRange, inner: AgeRange) -> bool:
    return outer.start_days <= inner.start_days and inner.end_days <= outer.end_days


def computable_name(title: str) -> str:
    """PlanDefinition.name: "Infant Mental Health" -> "InfantMentalHealth"."""
    name = "".join(word[:1].upper() + word[1:] for word in re.findall(r"[A-Za-z0-9]+", title))
    return name if name[:1].isalpha() else f"Pathway{name}"


def intervention_actions(entry: Entry) -> list[dict]:
    """Each paragraph an action; the bullets it introduces are actions nested in it. They have
    no age of their own: they are done when their entry applies."""
    actions = []
    for intervention in entry.interventions.all():
        action_id = f"entry-{entry.number}-intervention-{intervention.position}"
        action: dict = {"id": action_id}
        if intervention.text:
            action["textEquivalent"] = intervention.text
        if intervention.bullet_points:
            action["action"] = [
                {"id": f"{action_id}-bullet-{number}", "textEquivalent": point}
                for number, point in enumerate(intervention.bullet_points, start=1)
            ]
        actions.append(action)
    return actions


def entry_action(entry: Entry, *, nested: bool) -> dict:
    band = entry.age_band
    description = f"For children aged {band.label}, by {entry.service.name}."
    if entry.criteria:
        # Narrative, not computable: it belongs with the words, not in a condition's expression.
        description = f"{description} {entry.criteria}"
    action: dict = {
        "id": f"entry-{entry.number}",
        "title": entry.rationale,
        "description": description,
    }
    codes = []
    if not nested:
        # Not inside its stage's action, so the stage it is listed under travels as a code.
        codes.append({"coding": [coding(stage_code(entry.stage), entry.stage.label)]})
    if entry.tag:
        codes.append({"coding": [coding(tag_code(entry.tag), entry.tag.name)]})
    if codes:
        action["code"] = codes
    action["condition"] = [age_condition(band)]
    action["timingRange"] = age_range(band)
    # R4 requires a participant type; the people who act for a service are practitioners
    # (health visitors, early-years staff, GPs) and the service is their role.
    action["participant"] = [
        {
            "type": "practitioner",
            "role": {
                "coding": [coding(service_code(entry.service), entry.service.name)],
                "text": entry.service.name,
            },
        }
    ]
    interventions = intervention_actions(entry)
    if interventions:
        action["action"] = interventions
    return action


def stage_action(stage: Stage) -> dict:
    return {
        "id": f"stage-{stage.slug}",
        "title": stage.label,
        "description": f"What the pathway lists for children aged {stage.label}.",
        "code": [{"coding": [coding(stage_code(stage), stage.label)]}],
        "condition": [age_condition(stage)],
        "timingRange": age_range(stage),
        "action": [],
    }


def pathway_actions(entries: list[Entry]) -> list[dict]:
    """Stage actions in page order, each entry inside its stage when the stage's age range
    contains the entry's, otherwise right after that stage at the top level."""
    actions: list[dict] = []
    stage_id = None
    after_stage: list[dict] = []
    for entry in entries:
        if stage_id != f"stage-{entry.stage.slug}":
            actions.extend(after_stage)
            after_stage = []
            stage = stage_action(entry.stage)
            stage_id = stage["id"]
            actions.append(stage)
        if contains(entry.stage, entry.age_band):
            stage["action"].append(entry_action(entry, nested=True))
        else:
            after_stage.append(entry_action(entry, nested=False))
    actions.extend(after_stage)
    for action in actions:
        if action["id"].startswith("stage-") and not action["action"]:
            del action["action"]
    return actions


def age_ranges(entries: list[Entry]) -> list[AgeRange]:
    """The age ranges the actions' conditions use, in page order: stages and age bands."""
    ranges: list[AgeRange] = []
    for entry in entries:
        ranges += [entry.stage, entry.age_band]
    return ranges


class Knowledge:
    """What a pathway's PlanDefinition and Library are made of: the actions, the CQL and the
    version they share. `entries` in page order with interventions prefetched (by default the
    pathway's public entries), at least one: a pathway without entries has no page and no
    plan."""

    def __init__(self, pathway: Pathway, entries: list[Entry] | None = None):
        self.pathway = pathway
        self.entries = list(public_entries(pathway)) if entries is None else entries
        self.actions = pathway_actions(self.entries)
        self.ranges = age_ranges(self.entries)
        self.name = computable_name(pathway.title)
        self.version = self.content_version()
        self.cql = cql.cql_text(self.name, self.version, self.ranges)

    def content_version(self) -> str:
        """A version that changes exactly when what the plan or its logic says changes: a
        digest of them, the same wherever the site is served from."""
        logic = cql.cql_text(self.name, "", self.ranges)
        content = [self.pathway.title, self.pathway.summary, self.actions, logic]
        text = json.dumps(content, sort_keys=True).replace(settings.SITE_URL, "")
        return hashlib.sha256(text.encode()).hexdigest()[:12]

    def age_span(self) -> tuple[int, int]:
        return (
            min(entry.age_band.start_days for entry in self.entries),
            max(entry.age_band.end_days for entry in self.entries),
        )

    def description(self) -> str:
        start, end = self.age_span()
        return self.pathway.summary or (
            f"What the {self.pathway.title} pathway says to do for a child aged "
            f"{start} to {end - 1} days, stage by stage, and which service does it."
        )


def last_changed(pathway: Pathway) -> str | None:
    """PlanDefinition.date: when the pathway or one of its published entries last changed,
    from their history (an entry's version records its interventions)."""
    history = [
        Pathway.history.filter(id=pathway.pk),
        Entry.history.filter(pathway_id=pathway.pk, status=Status.PUBLISHED),
    ]
    dates = [records.aggregate(latest=Max("history_date"))["latest"] for records in history]
    dates = [date for date in dates if date is not None]
    return max(dates).isoformat(timespec="seconds") if dates else None


def narrative(title: str, paragraphs: list[str], items: list[tuple[str, str]]) -> dict:
    """A generated Narrative: the title, paragraphs, then items (bold, then plain text)."""
    listed = format_html_join("", "<li><b>{}</b> {}</li>", items)
    div = format_html(
        '<div xmlns="{}"><p><b>{}</b></p>{}{}</div>',
        XHTML,
        title,
        format_html_join("", "<p>{}</p>", ((text,) for text in paragraphs)),
        format_html("<ul>{}</ul>", listed) if items else "",
    )
    return {"status": "generated", "div": str(div)}


def plan_narrative(knowledge: Knowledge) -> dict:
    pathway = knowledge.pathway
    items = [
        (entry.rationale, f"({entry.age_band.label}; {entry.service.name})")
        for entry in knowledge.entries
    ]
    paragraphs = [
        knowledge.description(),
        "Ages are the child's age from birth; below the second birthday a baby born from "
        "22+0 to 36+6 weeks is also read at the corrected age (the Library's CQL).",
        pathway.review_status,
    ]
    return narrative(pathway.title, paragraphs, items)


def plan_definition(pathway: Pathway, entries: list[Entry] | None = None) -> dict:
    """The PlanDefinition of `pathway` (see Knowledge for `entries`)."""
    knowledge = Knowledge(pathway, entries)
    start, end = knowledge.age_span()
    resource: dict = {
        "resourceType": "PlanDefinition",
        "id": pathway.slug,
        "meta": {"profile": PLAN_PROFILES},
        "text": plan_narrative(knowledge),
        "extension": KNOWLEDGE_EXTENSIONS,
        **canonical_metadata(knowledge, plan_definition_url(pathway)),
        "type": {
            "coding": [
                {
                    "system": PLAN_DEFINITION_TYPE,
                    "code": "clinical-protocol",
                    "display": "Clinical Protocol",
                }
            ]
        },
        "useContext": [
            {
                "code": {"system": USAGE_CONTEXT_TYPE, "code": "age", "display": "Age Range"},
                "valueRange": {"low": days(start), "high": days(end - 1)},
            }
        ],
    }
    resource.update(reading_and_review(pathway))
    resource["relatedArtifact"] = related_artifacts(pathway)
    resource["library"] = [f"{library_url(pathway)}|{knowledge.version}"]
    resource["action"] = knowledge.actions
    return resource


def canonical_metadata(knowledge: Knowledge, url: str, title: str | None = None) -> dict:
    """What the shareable profiles require of a knowledge artifact, in R4's order."""
    pathway = knowledge.pathway
    fields = {
        "url": url,
        "version": knowledge.version,
        "name": knowledge.name,
        "title": title or pathway.title,
        "status": FHIR_STATUS.get(pathway.status, "unknown"),
        "experimental": False,
    }
    changed = last_changed(pathway)
    if changed:
        fields["date"] = changed
    fields["publisher"] = PUBLISHER
    fields["description"] = knowledge.description()
    return fields


def library(pathway: Pathway, entries: list[Entry] | None = None) -> dict:
    """The Library of `pathway`'s PlanDefinition: its CQL, as text/cql (see Knowledge)."""
    knowledge = Knowledge(pathway, entries)
    title = f"{pathway.title}: who each action is for"
    defines = [(name, "") for name, _, _ in cql.definitions(knowledge.ranges)]
    return {
        "resourceType": "Library",
        "id": pathway.slug,
        "meta": {"profile": LIBRARY_PROFILES},
        "text": narrative(title, ["The CQL definitions of this library:"], defines),
        "extension": KNOWLEDGE_EXTENSIONS,
        **canonical_metadata(knowledge, library_url(pathway), title),
        "type": {
            "coding": [
                {"system": LIBRARY_TYPE, "code": "logic-library", "display": "Logic Library"}
            ]
        },
        "relatedArtifact": [
            {
                "type": "depends-on",
                "display": "FHIRHelpers",
                "resource": f"{cql.FHIR_HELPERS}|{cql.FHIR_HELPERS_VERSION}",
            }
        ],
        "parameter": cql.library_parameters(knowledge.ranges),
        "dataRequirement": cql.data_requirements(),
        "content": [
            {"contentType": CQL, "data": base64.b64encode(knowledge.cql.encode()).decode()}
        ],
    }


def reading_and_review(pathway: Pathway) -> dict:
    """Who reviewed the pathway and when, and its reading notes as the plan's usage. The
    review is R4's own elements: overdue when effectivePeriod.end (the next review due) is
    past; no lastReviewDate when no review was recorded."""
    fields: dict = {}
    if pathway.reviewed_by:
        fields["reviewer"] = [{"name": pathway.reviewed_by}]
    notes = [note.text for note in pathway.reading_notes.all()]
    if notes:
        fields["usage"] = "\n".join(notes)
    if pathway.last_reviewed:
        fields["lastReviewDate"] = pathway.last_reviewed.isoformat()
    period = {}
    if pathway.last_reviewed:
        period["start"] = pathway.last_reviewed.isoformat()
    if pathway.next_review_due:
        period["end"] = pathway.next_review_due.isoformat()
    if period:
        fields["effectivePeriod"] = period
    return fields


def related_artifacts(pathway: Pathway) -> list[dict]:
    """The pathway's page, the policy it is read against and its related pathways that have
    a page (each linked to its page, with its PlanDefinition as the resource)."""
    related = [
        {
            "type": "documentation",
            "label": "Pathway page",
            "display": pathway.title,
            "url": absolute_url(pathway.get_absolute_url()),
        }
    ]
    policy = pathway.policy_context
    if policy:
        # The delivery plan gives the clinical and policy context the pathway is read in.
        related.append(
            {
                "type": "justification",
                "label": "Policy context",
                "display": policy.title,
                "url": absolute_url(policy.get_absolute_url()),
            }
        )
    # A draft is never named, nor a pathway without a page: only a plan can be linked to.
    for other in Pathway.objects.public().filter(pk__in=pathway.related_pathways.all()):
        related.append(
            {
                "type": "documentation",
                "label": "Related pathway",
                "display": other.title,
                "url": absolute_url(other.get_absolute_url()),
                "resource": plan_definition_url(other),
            }
        )
    return related


def code_system() -> dict:
    """The CodeSystem of the stages, tags and services plans and cards are coded with: those
    published entries of published pathways use, so none that only a draft uses is named."""
    groups = [
        ("stage", "Stage", "The section of the pathway an entry is listed under.", Stage, "label"),
        ("tag", "Tag", "A badge on an entry.", Tag, "name"),
        ("service", "Service", "The service whose practitioners act on an entry.", Service, "name"),
    ]
    concepts = []
    for prefix, display, definition, model, attribute in groups:
        concepts.append(
            {
                "code": prefix,
                "display": display,
                "definition": definition,
                "concept": [
                    {"code": f"{prefix}-{item.slug}", "display": getattr(item, attribute)}
                    for item in model.objects.in_published_entries()
                ],
            }
        )
    count = sum(len(group["concept"]) for group in concepts) + len(concepts)
    # The version: a digest of the codes, which change only as published content does.
    version = hashlib.sha256(json.dumps(concepts, sort_keys=True).encode()).hexdigest()[:12]
    title = "Pathway Navigator stages, tags and services"
    return {
        "resourceType": "CodeSystem",
        "id": CODE_SYSTEM_ID,
        "meta": {"profile": CODE_SYSTEM_PROFILES},
        "text": narrative(
            title,
            [f"{count} codes, grouped under stage, tag and service."],
            [(child["code"], child["display"]) for group in concepts for child in group["concept"]],
        ),
        "url": code_system_url(),
        "version": version,
        "name": "PathwayNavigator",
        "title": title,
        "status": "active",
        "experimental": False,
        "publisher": PUBLISHER,
        "description": (
            "The stages (age sections), tags and services of the care pathways in Pathway "
            "Navigator, as their PlanDefinitions and CDS Hooks cards code them."
        ),
        "caseSensitive": True,
        "hierarchyMeaning": "grouped-by",
        "content": "complete",
        "count": count,
        "concept": concepts,
    }


def fhir_response(resource: dict) -> HttpResponse:
    return HttpResponse(json.dumps(resource, ensure_ascii=False), content_type=FHIR_CONTENT_TYPE)


# Local services: an area as an Organization, its services as HealthcareServices, and the
# pathway as the area makes it its own (pathways.local.reading decides what is shown).

SERVICE_REFERRAL_METHOD = "http://terminology.hl7.org/CodeSystem/service-referral-method"
# How a practitioner refers, by the field that says it, as R4's service-referral-method codes.
REFERRAL_METHODS = [
    ("referral_form_url", "elec", "Secure Messaging"),
    ("referral_phone", "phone", "Phone"),
    ("referral_email", "semail", "Secure Email"),
]


def healthcare_service_id(local: LocalDirectory, service: ServiceShown) -> str:
    """A service's FHIR id: its area's slug and its own, which is unique within the area."""
    return f"{local.area.slug}--{service.slug}"


def healthcare_service_url(local: LocalDirectory, service: ServiceShown) -> str:
    resource_id = healthcare_service_id(local, service)
    return absolute_url(reverse("pathways:fhir_read", args=["HealthcareService", resource_id]))


def organization(area: AreaShown) -> dict:
    """A published area as the Organization its services are provided by."""
    return {
        "resourceType": "Organization",
        "id": area.slug,
        "text": narrative(area.name, ["An area of Pathway Navigator's local services."], []),
        "active": True,
        "name": area.name,
    }


def how_to_refer(service: ServiceShown) -> list[str]:
    """The ways to refer, in words: the route, the form, the phone and the email."""
    ways = [
        service.referral_route,
        service.referral_form_url and f"Referral form: {service.referral_form_url}",
        service.referral_phone and f"Phone: {service.referral_phone}",
        service.referral_email and f"Email: {service.referral_email}",
    ]
    return [way for way in ways if way]


def extra_details(service: ServiceShown) -> str:
    """HealthcareService.extraDetails: the service in markdown, every line literal text."""
    blocks = [f"**{service.example_words}**"] if service.is_example else []
    blocks += [markdown(paragraph) for paragraph in service.offers_paragraphs]
    ways = [f"- {markdown(way)}" for way in how_to_refer(service)]
    blocks.append("\n".join(["**How to refer:**", *ways]))
    if service.who_may_refer:
        blocks.append(f"**Who may refer:** {markdown(service.who_may_refer)}")
    blocks.append(markdown(service.verification_status))
    return "\n\n".join(blocks)


def service_characteristics(service: ServiceShown, names: dict[str, str]) -> list[dict]:
    """The pathway's services and tags it serves, as our CodeSystem codes them (`names`: each
    code's display)."""
    codes = [f"service-{slug}" for slug in service.served_services]
    codes += [f"tag-{slug}" for slug in service.served_tags]
    return [{"coding": [coding(code, names.get(code, code))]} for code in codes]


def healthcare_service(local: LocalDirectory, service: ServiceShown, names: dict) -> dict:
    """A published local service as an R4 HealthcareService of its area's Organization."""
    resource: dict = {
        "resourceType": "HealthcareService",
        "id": healthcare_service_id(local, service),
        "text": service_narrative(local, service),
    }
    if service.address:
        resource["contained"] = [
            {"resourceType": "Location", "id": "location", "address": {"text": service.address}}
        ]
    resource["active"] = True
    resource["providedBy"] = {
        "reference": f"Organization/{local.area.slug}",
        "display": local.area.name,
    }
    if service.address:
        resource["location"] = [{"reference": "#location"}]
    resource["name"] = service.name
    if service.summary:
        resource["comment"] = service.summary
    resource["extraDetails"] = extra_details(service)
    telecom = [
        {"system": system, "value": value, "use": "work"}
        for system, value in [
            ("phone", service.referral_phone),
            ("email", service.referral_email),
            ("url", service.web_url),
        ]
        if value
    ]
    if telecom:
        resource["telecom"] = telecom
    if service.eligibility:
        resource["eligibility"] = [{"comment": markdown(service.eligibility)}]
    characteristics = service_characteristics(service, names)
    if characteristics:
        resource["characteristic"] = characteristics
    methods = [
        {"coding": [{"system": SERVICE_REFERRAL_METHOD, "code": code, "display": display}]}
        for field, code, display in REFERRAL_METHODS
        if getattr(service, field)
    ]
    if methods:
        resource["referralMethod"] = methods
    if service.hours:
        resource["availabilityExceptions"] = service.hours
    return resource


def service_narrative(local: LocalDirectory, service: ServiceShown) -> dict:
    paragraphs = [f"In {local.area.name}."]
    paragraphs += [service.example_words] if service.is_example else []
    paragraphs += [*service.offers_paragraphs, *how_to_refer(service)]
    paragraphs.append(service.verification_status)
    return narrative(service.name, paragraphs, [])


def code_names() -> dict[str, str]:
    """Each service's and tag's code in our CodeSystem, with its display."""
    names = {f"service-{s.slug}": s.name for s in Service.objects.only("slug", "name")}
    names.update((f"tag-{t.slug}", t.name) for t in Tag.objects.only("slug", "name"))
    return names


def local_plan_id(pathway: Pathway, area: AreaShown) -> str:
    return f"{pathway.slug}--{area.slug}"


def local_plan_url(pathway: Pathway, area: AreaShown) -> str:
    """The canonical URL of a pathway as an area makes it its own, where it is also served."""
    return f"{plan_definition_url(pathway)}?{urlencode({AREA: area.slug})}"


def local_plan_definition(
    national: dict, pathway: Pathway, local: LocalDirectory, entries: list[Entry] | None = None
) -> dict:
    """The pathway's PlanDefinition as `local`'s area makes it its own: derived from the
    national plan (`national`, as plan_definition built it from `entries`), each entry action
    an area's service serves naming that service's HealthcareService as its documentation."""
    area = local.area
    plan = json.loads(json.dumps(national))
    listed = public_entries(pathway) if entries is None else entries
    entries_by_id = {f"entry-{entry.number}": entry for entry in listed}
    served = []
    for action in plan_actions(plan["action"]):
        entry = entries_by_id.get(action.get("id"))
        services = local.for_entry(entry).services if entry is not None else ()
        if services:
            action["documentation"] = [
                {
                    "type": "documentation",
                    "label": f"In {area.name}",
                    "display": service.name,
                    "url": healthcare_service_url(local, service),
                }
                for service in services
            ]
            served.append(action["documentation"])
    digest = json.dumps([national["version"], served], sort_keys=True)
    plan["id"] = local_plan_id(pathway, area)
    plan["url"] = local_plan_url(pathway, area)
    plan["version"] = hashlib.sha256(digest.replace(settings.SITE_URL, "").encode()).hexdigest()[
        :12
    ]
    plan["name"] = computable_name(f"{pathway.title} {area.name}")
    plan["title"] = f"{pathway.title} ({area.name})"
    page = absolute_url(pathway.get_absolute_url())
    for artifact in plan["relatedArtifact"]:
        if artifact.get("url") == page:
            # The area's page, with its services beside the entries.
            artifact["url"] = f"{page}?{urlencode({AREA: area.slug})}"
    plan["relatedArtifact"].insert(
        0,
        {
            "type": "derived-from",
            "display": pathway.title,
            "resource": f"{national['url']}|{national['version']}",
        },
    )
    return plan


def plan_actions(actions: list[dict]):
    """Every action of a plan, depth first."""
    for action in actions:
        yield action
        yield from plan_actions(action.get("action", []))
