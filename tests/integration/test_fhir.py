"""The pathway as an HL7 FHIR R4 PlanDefinition following CPG-on-FHIR's shareable and
computable plan profiles, and the CodeSystem of its codes: valid against the R4 models
(fhir.resources 6.4; the independent validators are test_fhir_validation.py's), and the
profile's structural rules as tests: every action nested only under a parent whose age range
contains it, unique stable ids, the age stated as the child's, canonical URLs from SITE_URL,
status and review dates from publishing. The Library its conditions name is
test_fhir_library.py's."""

import base64
import datetime
import re

import pytest
from django.http import QueryDict

from pathways.integration.fhir import FHIR_STATUS, plan_definition
from pathways.models import Entry, Pathway, Status
from pathways.public import filter_entries, public_entries

from ..conftest import IMH_URL
from ..pagetext import visible_lines
from .fhir_r4 import FHIR_VERSION, ValidationError, validate

SITE = "https://pathways.example.nhs.uk"
FHIR_URL = "/api/pathways/infant-mental-health/fhir"
CODE_SYSTEM_PATH = "/fhir/CodeSystem/pathway-navigator"
CODE_SYSTEM = f"{SITE}{CODE_SYSTEM_PATH}"
UCUM = "http://unitsofmeasure.org"
CPG = "http://hl7.org/fhir/uv/cpg/StructureDefinition"
PROFILES = [
    f"{CPG}/cpg-shareableplandefinition|2.0.0",
    f"{CPG}/cpg-computableplandefinition|2.0.0",
]
# A definition of the Library: true when an age the child is read at is in [start, end).
AGE_DEFINE = re.compile(
    r'define "(?P<name>[^"]+)":\n  exists \("Ages In Days" Age where Age >= (?P<start>\d+) '
    r"and Age < (?P<end>\d+)\)"
)
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
# The entries whose age band reaches beyond the stage they are listed under.
OUTSIDE_THEIR_STAGE = {
    "entry-50": "stage-birth-6-weeks",
    "entry-80": "stage-8-weeks-6-months",
    "entry-90": "stage-8-weeks-6-months",
    "entry-130": "stage-6-12-months",
    "entry-180": "stage-3-5-years",
    "entry-190": "stage-3-5-years",
}


@pytest.fixture(autouse=True)
def site_url(settings):
    settings.SITE_URL = SITE


@pytest.fixture
def plan(client, imh):
    response = client.get(FHIR_URL)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/fhir+json; fhirVersion=4.0"
    return response.json()


@pytest.fixture
def age_defines(client, plan) -> dict[str, tuple[int, int]]:
    """The [start, end) in days of each age definition of the plan's Library."""
    url, version = plan["library"][0].split("|")
    library = client.get(url.removeprefix(SITE)).json()
    assert library["version"] == version
    cql = base64.b64decode(library["content"][0]["data"]).decode()
    found = {m["name"]: (int(m["start"]), int(m["end"])) for m in AGE_DEFINE.finditer(cql)}
    assert found
    return found


def entry_like(source: Entry, pathway: Pathway, position: int, rationale: str, **fields) -> Entry:
    """A new entry of `pathway` at `position`, with `source`'s stage, age band and service."""
    return Entry.objects.create(
        pathway=pathway,
        position=position,
        stage=source.stage,
        age_band=source.age_band,
        service=source.service,
        rationale=rationale,
        **fields,
    )


def all_actions(actions: list[dict], parent: dict | None = None):
    """(action, parent) for every action at every depth, in document order."""
    for action in actions:
        yield action, parent
        yield from all_actions(action.get("action", []), action)


def entry_actions(plan: dict) -> list[dict]:
    return [a for a, _ in all_actions(plan["action"]) if re.fullmatch(r"entry-\d+", a["id"])]


def age_bounds(action: dict, defines: dict[str, tuple[int, int]]) -> tuple[int, int] | None:
    """The half-open [start, end) in days of an action's age condition, if it has one: the
    Library's definition it names."""
    for condition in action.get("condition", []):
        expression = condition["expression"]
        if expression["language"] == "text/cql":
            name = expression["expression"]
            assert name.startswith('"') and name.endswith('"'), expression
            return defines[name[1:-1]]
    return None


def test_is_a_valid_r4_plan_definition_of_the_cpg_computable_profile(plan):
    assert FHIR_VERSION == "4.0.1"
    resource = validate(plan)
    assert resource.title == "Infant Mental Health"
    assert resource.status == "active"
    assert resource.name == "InfantMentalHealth"
    assert plan["meta"]["profile"] == PROFILES
    # CPG's knowledge extensions, both of them (they were once overwritten).
    assert plan["extension"] == [
        {"url": f"{CPG}/cpg-knowledgeCapability", "valueCode": "shareable"},
        {"url": f"{CPG}/cpg-knowledgeCapability", "valueCode": "computable"},
        {"url": f"{CPG}/cpg-knowledgeRepresentationLevel", "valueCode": "structured"},
    ]
    assert plan["library"] == [f"{SITE}/fhir/Library/infant-mental-health|{plan['version']}"]
    assert plan["type"]["coding"][0]["code"] == "clinical-protocol"
    assert plan["usage"].startswith("The following pathway should not be read as stand-alone")
    assert re.fullmatch(r"[0-9a-f]{12}", plan["version"])
    assert plan["description"].startswith("What the Infant Mental Health pathway says to do")
    assert plan["experimental"] is False
    assert plan["publisher"] == "Pathway Navigator"


def test_the_validator_would_catch_a_malformed_resource(plan):
    broken = {**plan, "action": [{**plan["action"][0], "timingRange": {"low": {"valu": 3}}}]}
    with pytest.raises(ValidationError, match="valu"):
        validate(broken)
    without_type = {**plan, "action": [{"participant": [{"role": {"text": "Health Visiting"}}]}]}
    with pytest.raises(ValidationError, match="type"):
        validate(without_type)


def test_canonical_urls_come_from_site_url_not_the_request(client, imh, settings):
    plan = client.get(FHIR_URL, HTTP_HOST="localhost").json()
    assert plan["url"] == f"{SITE}{FHIR_URL}"
    assert {a["url"] for a in plan["relatedArtifact"] if "url" in a} == {
        f"{SITE}{IMH_URL}",
        f"{SITE}/documents/pimh-delivery-plan-2021-2022/",
    }
    settings.SITE_URL = "https://other.example.nhs.uk"
    moved = client.get(FHIR_URL).json()
    assert moved["url"] == f"https://other.example.nhs.uk{FHIR_URL}"
    assert moved["version"] == plan["version"]  # the same content wherever it is served


def test_every_action_nests_only_under_a_parent_whose_age_range_contains_it(plan, age_defines):
    checked = 0
    for action, parent in all_actions(plan["action"]):
        if parent is None or age_bounds(action, age_defines) is None:
            continue
        # A child without an age of its own has its parent's; one with an age fits inside.
        start, end = age_bounds(action, age_defines)
        parent_start, parent_end = age_bounds(parent, age_defines)
        assert parent_start <= start and end <= parent_end, (parent["id"], action["id"])
        checked += 1
    assert checked == 13  # the entries that sit inside their stage


def test_entries_beyond_their_stage_follow_it_at_the_top_level_coded_with_it(plan):
    top = [action["id"] for action in plan["action"]]
    assert top == [
        "stage-birth-6-weeks",
        "entry-50",
        "stage-8-weeks-6-months",
        "entry-80",
        "entry-90",
        "stage-6-12-months",
        "entry-130",
        "stage-1-3-years",
        "stage-3-5-years",
        "entry-180",
        "entry-190",
    ]
    for action in plan["action"]:
        if action["id"] in OUTSIDE_THEIR_STAGE:
            stage_codes = [
                coding["code"]
                for concept in action["code"]
                for coding in concept["coding"]
                if coding["code"].startswith("stage-")
            ]
            assert stage_codes == [OUTSIDE_THEIR_STAGE[action["id"]]]
    nested = {stage["id"]: len(stage.get("action", [])) for stage in plan["action"]}
    assert [nested[s] for s in top if s.startswith("stage-")] == [5, 1, 3, 3, 1]


def test_every_action_has_a_unique_id(plan):
    ids = [action["id"] for action, _ in all_actions(plan["action"])]
    assert len(ids) == len(set(ids))
    assert len(ids) == 5 + 19 + 46 + sum(1 for i in ids if "-bullet-" in i)
    assert "entry-20-intervention-1-bullet-4" in ids


def test_ids_are_stable_across_requests_and_edits_elsewhere(client, plan, imh):
    Entry.objects.filter(pathway=imh, position=10).update(rationale="Reworded rationale.")
    again = client.get(FHIR_URL).json()
    assert [a["id"] for a, _ in all_actions(again["action"])] == [
        a["id"] for a, _ in all_actions(plan["action"])
    ]
    # The words changed, so the version did.
    assert again["version"] != plan["version"]
    assert client.get(FHIR_URL).json()["version"] == again["version"]


def test_titles_are_the_rationales_not_the_age_bands(plan, imh):
    rationales = dict(Entry.objects.filter(pathway=imh).values_list("position", "rationale"))
    for entry in entry_actions(plan):
        position = int(entry["id"].removeprefix("entry-"))
        assert entry["title"] == rationales[position]
    stage_titles = [a["title"] for a in plan["action"] if a["id"].startswith("stage-")]
    assert len(stage_titles) == len(set(stage_titles)) == 5


def test_age_is_the_childs_age_in_use_context_and_every_age_condition(plan, age_defines):
    (context,) = plan["useContext"]
    assert context["code"] == {
        "system": "http://terminology.hl7.org/CodeSystem/usage-context-type",
        "code": "age",
        "display": "Age Range",
    }
    assert context["valueRange"] == {
        "low": {"value": 0, "unit": "days", "system": UCUM, "code": "d"},
        "high": {"value": 1825, "unit": "days", "system": UCUM, "code": "d"},
    }
    for entry in entry_actions(plan):
        (condition,) = entry["condition"]
        assert condition["kind"] == "applicability"
        low, high = ENTRY_RANGES[int(entry["id"].removeprefix("entry-"))]
        assert age_bounds(entry, age_defines) == (low, high + 1)
        assert condition["expression"]["description"].startswith("The child is aged ")


def test_all_19_entries_with_their_age_ranges(plan):
    entries = entry_actions(plan)
    assert sorted(int(e["id"].removeprefix("entry-")) for e in entries) == list(ENTRY_RANGES)
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
        return {f"entry-{entry.number}" for entry in entries}

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
    assert nicu["title"] == "Ensure appropriate ongoing and consistent care provision."
    assert nicu["description"] == "For children aged Birth - 6 weeks, by Health Visiting."
    assert nicu["participant"] == [
        {
            "type": "practitioner",
            "role": {
                "coding": [
                    {
                        "system": CODE_SYSTEM,
                        "code": "service-health-visiting",
                        "display": "Health Visiting",
                    }
                ],
                "text": "Health Visiting",
            },
        }
    ]
    assert "code" not in nicu
    assert nicu["action"] == [
        {
            "id": "entry-20-intervention-1",
            "textEquivalent": "In partnership with SW/HV team and family Assess who will care "
            "for baby and support family and transfer as required to:",
            "action": [
                {"id": "entry-20-intervention-1-bullet-1", "textEquivalent": "NICU"},
                {"id": "entry-20-intervention-1-bullet-2", "textEquivalent": "Post Natal Ward"},
                {"id": "entry-20-intervention-1-bullet-3", "textEquivalent": "Home with relative"},
                {"id": "entry-20-intervention-1-bullet-4", "textEquivalent": "Paediatric Ward"},
            ],
        }
    ]
    joint = entries["entry-190"]
    assert {
        "system": CODE_SYSTEM,
        "code": "tag-targeted-support",
        "display": "Targeted Support",
    } in [coding for concept in joint["code"] for coding in concept["coding"]]
    assert joint["participant"][0]["role"]["text"] == "Primary Care & GP"
    # Criteria are words, kept with the words: never dressed up as a computable expression.
    with_criteria = [e for e in entries.values() if "In cases where" in e["description"]]
    assert with_criteria
    for entry in with_criteria:
        assert [c["expression"]["language"] for c in entry["condition"]] == ["text/cql"]
    # Entries without interventions are there, with no nested actions.
    assert "action" not in entries["entry-30"] and "action" not in entries["entry-120"]


def test_codes_come_from_their_required_value_sets(plan):
    """The validator checks structure, not bindings; these are the R4 required codes."""
    for action, _ in all_actions(plan["action"]):
        for participant in action.get("participant", []):
            assert participant["type"] in {"patient", "practitioner", "related-person", "device"}
        for condition in action.get("condition", []):
            assert condition["kind"] in {"applicability", "start", "stop"}
        if "timingRange" in action:
            bounds = action["timingRange"]
            assert bounds["low"]["code"] == bounds["high"]["code"] == "d"  # one unit per Range
            assert bounds["low"]["value"] <= bounds["high"]["value"]
    assert plan["status"] in {"draft", "active", "retired", "unknown"}
    assert [a["type"] for a in plan["relatedArtifact"]] == ["documentation", "justification"]


def test_related_artifacts_are_the_delivery_plan_and_the_related_pathway(client, plan, imh):
    page, delivery_plan = plan["relatedArtifact"]
    assert page["url"] == f"{SITE}{IMH_URL}"
    assert delivery_plan["type"] == "justification"
    assert delivery_plan["display"].startswith("Perinatal and Infant Mental Health Programme")
    assert delivery_plan["url"] == f"{SITE}/documents/pimh-delivery-plan-2021-2022/"
    # The related pathway has no entries, so no page and no plan: nothing to link to, so it
    # is not listed. Once it has a published entry it is, linked to its page and its plan.
    related = imh.related_pathways.get()
    source = Entry.objects.get(pathway=imh, position=10)
    entry_like(source, related, 10, "A published entry.", status=Status.PUBLISHED)
    *_, linked = client.get(FHIR_URL).json()["relatedArtifact"]
    assert linked == {
        "type": "documentation",
        "label": "Related pathway",
        "display": "Parental Mental Health and Wellbeing",
        "url": f"{SITE}/pathways/{related.slug}/",
        "resource": f"{SITE}/api/pathways/{related.slug}/fhir",
    }
    assert client.get(linked["resource"].removeprefix(SITE)).status_code == 200


def test_every_code_is_in_our_code_system_served_at_its_canonical_url(client, plan):
    response = client.get(CODE_SYSTEM_PATH)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/fhir+json; fhirVersion=4.0"
    code_system = response.json()
    validate(code_system)
    assert code_system["url"] == CODE_SYSTEM
    defined = {
        child["code"]: child["display"]
        for group in code_system["concept"]
        for child in group["concept"]
    }
    assert {code for code in defined if code.startswith("tag-")} == {
        "tag-core-purpose-2",
        "tag-targeted-support",
    }
    assert len([code for code in defined if code.startswith("stage-")]) == 5
    assert len([code for code in defined if code.startswith("service-")]) == 3
    used = [
        coding
        for action, _ in all_actions(plan["action"])
        for concept in action.get("code", []) + [p["role"] for p in action.get("participant", [])]
        for coding in concept["coding"]
    ]
    assert used
    for coding in used:
        assert coding["system"] == CODE_SYSTEM
        assert defined[coding["code"]] == coding["display"]


def test_review_dates_come_from_the_pathways_review(client, imh):
    # The fixtures record a review (issue 12): without one, FHIR carries no dates.
    imh.last_reviewed = imh.next_review_due = None
    imh.save()
    plan = client.get(FHIR_URL).json()
    assert "lastReviewDate" not in plan and "effectivePeriod" not in plan
    imh.last_reviewed = datetime.date(2026, 3, 1)
    imh.next_review_due = datetime.date(2027, 3, 1)
    imh.save()
    plan = client.get(FHIR_URL).json()
    validate(plan)
    assert plan["lastReviewDate"] == "2026-03-01"
    assert plan["effectivePeriod"] == {"start": "2026-03-01", "end": "2027-03-01"}


def test_status_follows_publishing(imh):
    assert FHIR_STATUS == {Status.PUBLISHED: "active", Status.DRAFT: "draft"}
    entries = list(public_entries(imh))
    imh.status = Status.DRAFT
    assert plan_definition(imh, entries)["status"] == "draft"


def test_draft_entries_are_not_in_the_plan(client, imh):
    source = Entry.objects.get(pathway=imh, position=10)
    draft = entry_like(source, imh, 15, "Zebracrossing draft wording.")
    content = client.get(FHIR_URL).content.decode()
    assert "Zebracrossing" not in content
    assert f'"entry-{draft.number}"' not in content


def test_only_public_pathways_have_a_plan(client, imh):
    assert client.get("/api/pathways/parental-mental-health-and-wellbeing/fhir").status_code == 404
    Pathway.objects.filter(slug="infant-mental-health").update(status=Status.DRAFT)
    assert client.get(FHIR_URL).status_code == 404


def test_date_is_when_the_pathway_or_a_published_entry_last_changed(client, imh, plan):
    def latest(records) -> str:
        return records.latest("history_date").history_date.isoformat(timespec="seconds")

    published = Entry.history.filter(pathway_id=imh.pk, status=Status.PUBLISHED)
    assert plan["date"] == max(latest(Pathway.history.filter(id=imh.pk)), latest(published))
    entry = Entry.objects.get(pathway=imh, position=10)
    entry.rationale = "Reworded rationale."
    entry.save()
    changed = client.get(FHIR_URL).json()["date"]
    assert changed == latest(published) >= plan["date"]
    # A draft changes nothing a reader gets, so not the date either.
    entry_like(entry, imh, 15, "A draft.")
    assert client.get(FHIR_URL).json()["date"] == changed


def test_the_narrative_says_the_plan_in_words(plan, imh):
    assert plan["text"]["status"] == "generated"
    lines = visible_lines(plan["text"]["div"])
    assert lines[0] == "Infant Mental Health"
    assert "Last reviewed 2 March 2026" in " ".join(lines)
    rationale = Entry.objects.get(pathway=imh, position=20).rationale
    assert f"{rationale} (Birth - 6 weeks; Health Visiting)" in lines


def test_every_extension_is_cpgs_and_review_is_in_r4s_own_elements(plan):
    """The two local extensions (review status, overdue) resolved to nothing: dropped. The
    review is lastReviewDate, effectivePeriod (overdue once its end is past) and reviewer."""
    assert {extension["url"].rsplit("/", 1)[0] for extension in plan["extension"]} == {CPG}
    assert SITE not in str(plan["extension"])
    assert plan["lastReviewDate"] == "2026-03-02"
    assert plan["effectivePeriod"] == {"start": "2026-03-02", "end": "2027-03-02"}
    assert plan["reviewer"] == [{"name": "Infant Mental Health clinical lead, Health Visiting"}]
