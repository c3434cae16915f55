"""A pathway as an HL7 FHIR R4 PlanDefinition following the CPG-on-FHIR computable plan
profile (cpg-computableplandefinition), and the CodeSystem of our stages, tags and services.

The age an action is for is the child's age, stated twice in a way software can read: the plan
has a `useContext` of type age, and every action with an age has an applicability condition in
CQL, `AgeInDays() >= 42 and AgeInDays() < 365`, where AgeInDays() is the patient's age. The
same range is kept as `timingRange`, inclusive days from birth, for readers that only show it.

An action is nested only under a parent whose age range contains its own, so a FHIR engine
that applies a parent's condition before its children's never hides an entry. An entry whose
age band reaches beyond the stage it is listed under (Birth - 5 years under 3 - 5 years) is a
top-level action after that stage, coded with the stage, instead of a child of it.

Ages are half-open whole days, [start, end); a FHIR Range is inclusive, so a band becomes
days `start` to `end - 1` in UCUM "d" (weeks, months or years would be exact for some bounds
only: 6 months is 182.625 days, rounded to 183).
"""

from __future__ import annotations

import hashlib
import json
import re

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_GET

from ..models import AgeRange, Entry, Pathway, Service, Stage, Status, Tag

FHIR_CONTENT_TYPE = "application/fhir+json; fhirVersion=4.0"
UCUM = "http://unitsofmeasure.org"
PLAN_DEFINITION_TYPE = "http://terminology.hl7.org/CodeSystem/plan-definition-type"
USAGE_CONTEXT_TYPE = "http://terminology.hl7.org/CodeSystem/usage-context-type"
CPG = "http://hl7.org/fhir/uv/cpg/StructureDefinition"
PROFILE = f"{CPG}/cpg-computableplandefinition"
CQL_EXPRESSION = "text/cql-expression"
PUBLISHER = "Pathway Navigator"
CODE_SYSTEM_ID = "pathway-navigator"
# What publishing means to a FHIR reader: a published pathway is in use, a draft is not yet.
FHIR_STATUS = {Status.PUBLISHED: "active", Status.DRAFT: "draft"}


def absolute_url(path: str) -> str:
    """`path` on the site as practitioners reach it (settings.SITE_URL), whatever the request."""
    return f"{settings.SITE_URL}{path}"


def code_system_url() -> str:
    """The canonical URL of our CodeSystem, where it is also served."""
    return absolute_url(reverse("pathways:fhir_code_system"))


def plan_definition_url(pathway: Pathway) -> str:
    """The canonical URL of a pathway's PlanDefinition, where it is also served."""
    return absolute_url(reverse("api:pathway_fhir", args=[pathway.slug]))


# Codes: each kind of thing its own prefix, so a stage and a tag can never share a code.


def stage_code(stage: Stage) -> str:
    return f"stage-{stage.slug}"


def tag_code(tag: Tag) -> str:
    return f"tag-{tag.slug}"


def service_code(service: Service) -> str:
    return f"service-{service.slug}"


def coding(code: str, display: str) -> dict:
    return {"system": code_system_url(), "code": code, "display": display}


# FHIR has no element for "overdue" or for a review never recorded: two extensions of ours,
# named under the site's own address, say them.
REVIEW_OVERDUE = "/fhir/StructureDefinition/review-overdue"
REVIEW_STATUS = "/fhir/StructureDefinition/review-status"


def days(value: int) -> dict:
    """A quantity of whole days, as UCUM writes it."""
    return {"value": value, "unit": "day" if value == 1 else "days", "system": UCUM, "code": "d"}


def age_range(age_range: AgeRange) -> dict:
    """The inclusive FHIR Range of ages, in days, that the half-open age range covers."""
    return {"low": days(age_range.start_days), "high": days(age_range.end_days - 1)}


def age_condition(age_range: AgeRange) -> dict:
    """The applicability condition saying the child's age is within the range."""
    start, end = age_range.start_days, age_range.end_days
    return {
        "kind": "applicability",
        "expression": {
            "description": f"The child is aged {age_range.label}",
            "language": CQL_EXPRESSION,
            "expression": f"AgeInDays() >= {start} and AgeInDays() < {end}",
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


def content_version(actions: list[dict], pathway: Pathway) -> str:
    """A version that changes exactly when what the plan says changes: a digest of it, the
    same wherever the site is served from."""
    content = json.dumps([pathway.title, pathway.summary, actions], sort_keys=True)
    content = content.replace(settings.SITE_URL, "")
    return hashlib.sha256(content.encode()).hexdigest()[:12]


def pathway_age_range(entries: list[Entry]) -> tuple[int, int]:
    return (
        min(entry.age_band.start_days for entry in entries),
        max(entry.age_band.end_days for entry in entries),
    )


def plan_definition(pathway: Pathway, entries: list[Entry]) -> dict:
    """The PlanDefinition of `pathway` with `entries` (in page order, interventions prefetched,
    at least one: a pathway without entries has no page and no plan)."""
    actions = pathway_actions(entries)
    start, end = pathway_age_range(entries)
    resource: dict = {
        "resourceType": "PlanDefinition",
        "id": pathway.slug,
        "meta": {"profile": [PROFILE]},
        "extension": [
            {"url": f"{CPG}/cpg-knowledgeCapability", "valueCode": "computable"},
            {"url": f"{CPG}/cpg-knowledgeRepresentationLevel", "valueCode": "structured"},
        ],
        "url": plan_definition_url(pathway),
        "version": content_version(actions, pathway),
        "name": computable_name(pathway.title),
        "title": pathway.title,
        "type": {
            "coding": [
                {
                    "system": PLAN_DEFINITION_TYPE,
                    "code": "clinical-protocol",
                    "display": "Clinical Protocol",
                }
            ]
        },
        "status": FHIR_STATUS.get(pathway.status, "unknown"),
        "experimental": False,
        "publisher": PUBLISHER,
        "description": pathway.summary
        or (
            f"What the {pathway.title} pathway says to do for a child aged "
            f"{start} to {end - 1} days, stage by stage, and which service does it."
        ),
        "useContext": [
            {
                "code": {"system": USAGE_CONTEXT_TYPE, "code": "age", "display": "Age Range"},
                "valueRange": {"low": days(start), "high": days(end - 1)},
            }
        ],
    }
    resource["extension"] = [
        {"url": absolute_url(REVIEW_STATUS), "valueString": pathway.review_status},
        {"url": absolute_url(REVIEW_OVERDUE), "valueBoolean": pathway.is_review_overdue},
    ]
    resource.update(reading_and_review(pathway))
    resource["relatedArtifact"] = related_artifacts(pathway)
    resource["action"] = actions
    return resource


def reading_and_review(pathway: Pathway) -> dict:
    """Who reviewed the pathway and when, and its reading notes as the plan's usage."""
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
    """The pathway's page, the policy it is read against and its related pathways."""
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
    public = set(Pathway.objects.public().values_list("pk", flat=True))
    # A draft is never named: only published related pathways, as the page lists them.
    for other in pathway.related_pathways.published():
        artifact = {"type": "documentation", "label": "Related pathway", "display": other.title}
        if other.pk in public:
            # Only a pathway with a page has a plan: never a link to nothing.
            artifact["url"] = absolute_url(other.get_absolute_url())
            artifact["resource"] = plan_definition_url(other)
        related.append(artifact)
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
    return {
        "resourceType": "CodeSystem",
        "id": CODE_SYSTEM_ID,
        "url": code_system_url(),
        "name": "PathwayNavigator",
        "title": "Pathway Navigator stages, tags and services",
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
        "count": sum(len(group["concept"]) for group in concepts) + len(concepts),
        "concept": concepts,
    }


@require_GET
def code_system_resource(request: HttpRequest) -> HttpResponse:
    """The CodeSystem, served at its canonical URL so a FHIR reader can look a code up."""
    content = json.dumps(code_system(), ensure_ascii=False)
    return HttpResponse(content, content_type=FHIR_CONTENT_TYPE)
