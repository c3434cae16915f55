"""A pathway as an HL7 FHIR R4 PlanDefinition, shaped like the CPG-on-FHIR pathway
(cpg-pathwaydefinition): one action per stage, one nested action per entry, and the entry's
interventions as actions nested in that.

Age bands are half-open whole days, [start, end). A FHIR Range is inclusive at both ends and
its two bounds share one unit, so each band becomes a Range in days (UCUM "d") from its first
day to its last whole day: "6 weeks - 1 year", [42, 365), is 42 d to 364 d. Weeks, months or
years would be exact for some bounds only (6 months is 182.625 days, rounded to 183), and a
Range cannot mix units.
"""

from __future__ import annotations

import re

from django.http import HttpRequest
from django.urls import reverse

from ..models import AgeRange, Entry, Pathway

FHIR_CONTENT_TYPE = "application/fhir+json; fhirVersion=4.0"
UCUM = "http://unitsofmeasure.org"
PLAN_DEFINITION_TYPE = "http://terminology.hl7.org/CodeSystem/plan-definition-type"
PUBLISHER = "Pathway Navigator"
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


def computable_name(title: str) -> str:
    """PlanDefinition.name: "Infant Mental Health" -> "InfantMentalHealth"."""
    name = "".join(word[:1].upper() + word[1:] for word in re.findall(r"[A-Za-z0-9]+", title))
    return name if name[:1].isalpha() else f"Pathway{name}"


def intervention_actions(entry: Entry) -> list[dict]:
    """Each paragraph an action; the bullets it introduces are actions nested in it."""
    actions = []
    for intervention in entry.interventions.all():
        action = {}
        if intervention.text:
            action["textEquivalent"] = intervention.text
        if intervention.bullet_points:
            action["action"] = [{"textEquivalent": point} for point in intervention.bullet_points]
        actions.append(action)
    return actions


def entry_action(entry: Entry) -> dict:
    action = {
        "id": f"entry-{entry.position}",
        "title": entry.age_band.label,
        "description": entry.rationale,
    }
    if entry.tag:
        action["code"] = [{"text": entry.tag.name}]
    if entry.criteria:
        # Narrative criteria, not computable: the expression is the text itself.
        action["condition"] = [
            {
                "kind": "applicability",
                "expression": {
                    "description": entry.criteria,
                    "language": "text/plain",
                    "expression": entry.criteria,
                },
            }
        ]
    action["timingRange"] = age_range(entry.age_band)
    action["participant"] = [{"type": "practitioner", "role": {"text": entry.service.name}}]
    interventions = intervention_actions(entry)
    if interventions:
        action["action"] = interventions
    return action


def plan_definition(request: HttpRequest, pathway: Pathway, entries: list[Entry]) -> dict:
    """The PlanDefinition of `pathway` with `entries` (in page order, interventions prefetched)."""
    page = request.build_absolute_uri(pathway.get_absolute_url())
    stages: list[dict] = []
    for entry in entries:
        if not stages or stages[-1]["id"] != f"stage-{entry.stage.slug}":
            stages.append(
                {
                    "id": f"stage-{entry.stage.slug}",
                    "title": entry.stage.label,
                    "timingRange": age_range(entry.stage),
                    "action": [],
                }
            )
        stages[-1]["action"].append(entry_action(entry))

    resource = {
        "resourceType": "PlanDefinition",
        "id": pathway.slug,
        "url": request.build_absolute_uri(reverse("api:pathway_fhir", args=[pathway.slug])),
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
        "status": "active",
        "experimental": False,
        "publisher": PUBLISHER,
    }
    resource["extension"] = [
        {"url": request.build_absolute_uri(REVIEW_STATUS), "valueString": pathway.review_status},
        {
            "url": request.build_absolute_uri(REVIEW_OVERDUE),
            "valueBoolean": pathway.is_review_overdue,
        },
    ]
    if pathway.last_reviewed:
        resource["lastReviewDate"] = pathway.last_reviewed.isoformat()
    period = {}
    if pathway.last_reviewed:
        period["start"] = pathway.last_reviewed.isoformat()
    if pathway.next_review_due:
        period["end"] = pathway.next_review_due.isoformat()
    if period:
        # In use from its last review until its next is due (CPG-on-FHIR's effectivePeriod).
        resource["effectivePeriod"] = period
    if pathway.reviewed_by:
        resource["reviewer"] = [{"name": pathway.reviewed_by}]
    if pathway.summary:
        resource["description"] = pathway.summary
    notes = [note.text for note in pathway.reading_notes.all()]
    if notes:
        resource["usage"] = "\n".join(notes)
    related = [{"type": "documentation", "display": pathway.title, "url": page}]
    if pathway.policy_context:
        related.append(
            {
                "type": "documentation",
                "display": pathway.policy_context.title,
                "url": request.build_absolute_uri(pathway.policy_context.get_absolute_url()),
            }
        )
    resource["relatedArtifact"] = related
    resource["action"] = stages
    return resource
