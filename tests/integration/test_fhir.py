"""The pathway as an HL7 FHIR R4 PlanDefinition: structurally valid (checked with the
fhir.resources models), one action per stage, every entry with its age range, service,
criteria and interventions, and age ranges that agree with the browser's age filter."""

import pytest
from django.http import QueryDict
from fhir.resources.R4B.plandefinition import PlanDefinition

from pathways.public import filter_entries

from ..conftest import IMH_URL

FHIR_URL = "/api/pathways/infant-mental-health/fhir"
UCUM = "http://unitsofmeasure.org"
# Each entry's age band as an inclusive FHIR range in days: first day to last whole day.
ENTRY_RANGES = {
    10: (0, 41),  # Birth - 6 weeks: 6 weeks is day 42, the first day after the band
    20: (0, 41),
    30: (0, 41),
    40: (0, 41),
    50: (21, 55),  # 3 - 8 weeks
    60: (0, 41),  # 0 - 6 weeks
    70: (56, 182),  # 8 weeks - 6 months: 6 months is 182.625 days, day 183
    80: (42, 182),  # 6 weeks - 6 months
    90: (42, 182),
    100: (183, 364),  # 6-12 months
    110: (183, 364),  # 6 months - 1 year
    120: (183, 364),
    130: (42, 364),  # 6 weeks - 1 year
    140: (365, 1095),  # 1 - 3 years: 3 years is 1095.75 days, day 1096
    150: (365, 1095),
    160: (365, 1095),
    170: (1096, 1825),  # 3 - 5 years
    180: (0, 1825),  # Birth - 5 years
    190: (0, 1825),
}


@pytest.fixture
def plan(client, imh):
    response = client.get(FHIR_URL)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/fhir+json; fhirVersion=4.0"
    return response.json()


def entry_actions(plan: dict) -> list[dict]:
    return [entry for stage in plan["action"] for entry in stage["action"]]


def test_is_a_structurally_valid_plan_definition(plan):
    resource = PlanDefinition.model_validate(plan)
    assert resource.title == "Infant Mental Health"
    assert resource.status == "active"
    assert resource.name == "InfantMentalHealth"
    assert plan["type"]["coding"][0]["code"] == "clinical-protocol"
    assert plan["url"] == f"http://testserver{FHIR_URL}"
    assert plan["usage"].startswith("The following pathway should not be read as stand-alone")
    assert {a["url"] for a in plan["relatedArtifact"]} == {
        f"http://testserver{IMH_URL}",
        "http://testserver/documents/pimh-delivery-plan-2021-2022/",
    }


def test_the_validator_would_catch_a_malformed_resource(plan):
    broken = {**plan, "action": [{**plan["action"][0], "timingRange": {"low": {"valu": 3}}}]}
    with pytest.raises(ValueError, match="valu"):
        PlanDefinition.model_validate(broken)


def test_one_action_per_stage_in_page_order(plan):
    assert [(stage["id"], stage["title"]) for stage in plan["action"]] == [
        ("stage-birth-6-weeks", "Birth - 6 weeks"),
        ("stage-8-weeks-6-months", "8 weeks - 6 months"),
        ("stage-6-12-months", "6-12 months"),
        ("stage-1-3-years", "1 - 3 years"),
        ("stage-3-5-years", "3 - 5 years"),
    ]
    assert [len(stage["action"]) for stage in plan["action"]] == [6, 3, 4, 3, 3]
    assert plan["action"][1]["timingRange"] == {
        "low": {"value": 56, "unit": "days", "system": UCUM, "code": "d"},
        "high": {"value": 182, "unit": "days", "system": UCUM, "code": "d"},
    }


def test_all_19_entries_with_their_age_ranges(plan):
    entries = entry_actions(plan)
    assert [entry["id"] for entry in entries] == [f"entry-{p}" for p in ENTRY_RANGES]
    for entry in entries:
        low, high = ENTRY_RANGES[int(entry["id"].removeprefix("entry-"))]
        assert entry["timingRange"] == {
            "low": {"value": low, "unit": "days", "system": UCUM, "code": "d"},
            "high": {"value": high, "unit": "days", "system": UCUM, "code": "d"},
        }, entry["id"]


def test_age_ranges_agree_with_the_browsers_age_filter(plan, imh):
    """A child aged `low` or `high` days gets the entry on the page; a day outside does not."""

    def shown_at(days: int) -> set[str]:
        entries = filter_entries(imh, QueryDict(f"age={days}d")).qs
        return {f"entry-{entry.position}" for entry in entries}

    for entry in entry_actions(plan):
        low = entry["timingRange"]["low"]["value"]
        high = entry["timingRange"]["high"]["value"]
        assert entry["id"] in shown_at(low)
        assert entry["id"] in shown_at(high)
        assert entry["id"] not in shown_at(high + 1)
        if low > 0:
            assert entry["id"] not in shown_at(low - 1)


def test_an_entry_carries_its_rationale_service_tag_criteria_and_interventions(plan):
    entries = {entry["id"]: entry for entry in entry_actions(plan)}
    nicu = entries["entry-20"]
    assert nicu["title"] == "Birth - 6 weeks"
    assert nicu["description"] == "Ensure appropriate ongoing and consistent care provision."
    assert nicu["participant"] == [{"type": "practitioner", "role": {"text": "Health Visiting"}}]
    assert "code" not in nicu and "condition" not in nicu
    assert nicu["action"] == [
        {
            "textEquivalent": "In partnership with SW/HV team and family Assess who will care "
            "for baby and support family and transfer as required to:",
            "action": [
                {"textEquivalent": "NICU"},
                {"textEquivalent": "Post Natal Ward"},
                {"textEquivalent": "Home with relative"},
                {"textEquivalent": "Paediatric Ward"},
            ],
        }
    ]
    joint = entries["entry-190"]
    assert joint["code"] == [{"text": "Targeted Support"}]
    assert joint["participant"][0]["role"]["text"] == "Primary Care & GP"
    with_criteria = [entry for entry in entries.values() if "condition" in entry]
    assert with_criteria
    for entry in with_criteria:
        (condition,) = entry["condition"]
        assert condition["kind"] == "applicability"
        assert condition["expression"]["language"] == "text/plain"
        assert condition["expression"]["expression"].startswith("In cases where")
    # Entries without interventions are there, with no nested actions.
    assert "action" not in entries["entry-30"] and "action" not in entries["entry-120"]


def test_codes_come_from_their_required_value_sets(plan):
    """The validator checks structure, not bindings; these are the R4 required codes."""
    for entry in entry_actions(plan):
        for participant in entry["participant"]:
            assert participant["type"] in {"patient", "practitioner", "related-person", "device"}
        for condition in entry.get("condition", []):
            assert condition["kind"] in {"applicability", "start", "stop"}
        bounds = entry["timingRange"]
        assert bounds["low"]["code"] == bounds["high"]["code"] == "d"  # one unit per Range
        assert bounds["low"]["value"] <= bounds["high"]["value"]
    assert {a["type"] for a in plan["relatedArtifact"]} == {"documentation"}


def test_only_public_pathways_have_a_plan(client, imh):
    assert client.get("/api/pathways/parental-mental-health-and-wellbeing/fhir").status_code == 404
