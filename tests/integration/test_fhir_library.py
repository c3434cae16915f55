"""The Library the PlanDefinition's conditions name: the pathway's applicability logic in CQL
(issue 26, item 1), served at /fhir/Library/<slug>, written from the rules' own data
(pathways/ages.py's corrected-age bounds, each age range's days), and a PlanDefinition that
selects the same entries as the CDS card for the same child."""

import base64
import datetime
import re

import pytest

from pathways import ages
from pathways.integration.cds_hooks import applicable
from pathways.models import AgeBand

# SITE_URL is the example site for every test here, as in test_fhir.py (its fixture).
from .test_fhir import SITE, site_url  # noqa: F401

PLAN_URL = "/api/pathways/infant-mental-health/fhir"
LIBRARY_URL = "/fhir/Library/infant-mental-health"
DEFINE = re.compile(
    r'define "(?P<name>[^"]+)":\n  exists \("Ages In Days" Age where Age >= (?P<start>\d+) '
    r"and Age < (?P<end>\d+)\)"
)
PARAMETER = re.compile(r'parameter "(?P<name>[^"]+)" (?P<type>[\w.]+) default (?P<value>.+)')
TODAY = datetime.date(2026, 12, 2)  # no birthday of the children below is a 29 February


@pytest.fixture
def plan(client, imh) -> dict:
    return client.get(PLAN_URL).json()


@pytest.fixture
def library(client, imh) -> dict:
    response = client.get(LIBRARY_URL)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/fhir+json; fhirVersion=4.0"
    return response.json()


def cql_of(library: dict) -> str:
    (content,) = library["content"]
    assert content["contentType"] == "text/cql"
    return base64.b64decode(content["data"]).decode()


def entry_actions(actions: list[dict]):
    for action in actions:
        if re.fullmatch(r"entry-\d+", action["id"]):
            yield action
        yield from entry_actions(action.get("action", []))


def test_the_library_is_the_plans_at_its_canonical_url_and_version(plan, library):
    assert plan["library"] == [f"{library['url']}|{library['version']}"]
    assert library["url"] == f"{SITE}{LIBRARY_URL}"
    assert library["version"] == plan["version"]
    assert library["name"] == "InfantMentalHealth"
    assert library["type"]["coding"][0]["code"] == "logic-library"
    assert library["relatedArtifact"] == [
        {
            "type": "depends-on",
            "display": "FHIRHelpers",
            "resource": "http://fhir.org/guides/cqf/common/Library/FHIRHelpers|4.0.1",
        }
    ]
    assert library["meta"]["profile"] == [
        "http://hl7.org/fhir/uv/cpg/StructureDefinition/cpg-shareablelibrary|2.0.0",
        "http://hl7.org/fhir/uv/cpg/StructureDefinition/cpg-computablelibrary|2.0.0",
    ]


def test_the_cql_uses_fhir_4_0_1_and_fhirhelpers_with_the_libraries_name(library):
    lines = cql_of(library).splitlines()
    assert lines[0] == f"library InfantMentalHealth version '{library['version']}'"
    assert "using FHIR version '4.0.1'" in lines
    assert "include FHIRHelpers version '4.0.1' called FHIRHelpers" in lines
    assert "context Patient" in lines
    # The gestation at birth is the Observation the CDS prefetch asks for.
    assert 'code "Gestational age at birth": \'76516-4\' from "LOINC"' in cql_of(library)
    (observation,) = [r for r in library["dataRequirement"] if r["type"] == "Observation"]
    assert observation["codeFilter"][0]["code"] == [
        {"system": "http://loinc.org", "code": "76516-4"}
    ]


def test_the_corrected_ages_bounds_are_ages_py_s(library):
    parameters = {m["name"]: m["value"] for m in PARAMETER.finditer(cql_of(library))}
    assert parameters == {
        "Full term in days": str(ages.FULL_TERM_DAYS),
        "Corrected from gestation in days": str(ages.CORRECT_FROM_GESTATION_DAYS),
        "Corrected to gestation in days": str(ages.CORRECT_TO_GESTATION_DAYS),
        "Corrected until age": f"{ages.CORRECT_UNTIL_YEARS} years",
    }
    declared = {p["name"]: p["use"] for p in library["parameter"]}
    assert {name for name, use in declared.items() if use == "in"} == set(parameters)


def test_every_condition_names_a_definition_whose_days_are_the_actions_timing(plan, library):
    defines = {
        m["name"]: (int(m["start"]), int(m["end"])) for m in DEFINE.finditer(cql_of(library))
    }
    outputs = {p["name"] for p in library["parameter"] if p["use"] == "out"}
    assert set(defines) <= outputs
    named = set()
    for action in entry_actions(plan["action"]):
        (condition,) = action["condition"]
        name = condition["expression"]["expression"].strip('"')
        timing = action["timingRange"]
        assert defines[name] == (timing["low"]["value"], timing["high"]["value"] + 1), name
        named.add(name)
    # Every age band the entries use has its definition, each once.
    assert {f"Aged {band.label}" for band in AgeBand.objects.filter(entries__isnull=False)} <= named


def test_the_definitions_follow_an_age_bands_days(client, imh):
    """Written from the band's days, never by hand: change the band and the CQL follows."""
    band = AgeBand.objects.get(label="3 - 8 weeks")
    band.end_days = 63
    band.save()
    defines = {
        m["name"]: (int(m["start"]), int(m["end"]))
        for m in DEFINE.finditer(cql_of(client.get(LIBRARY_URL).json()))
    }
    assert defines["Aged 3 - 8 weeks"] == (21, 63)


def test_only_a_public_pathway_has_a_library(client, imh):
    assert client.get("/fhir/Library/parental-mental-health-and-wellbeing").status_code == 404
    assert client.get("/fhir/Library/no-such-pathway").status_code == 404
    assert client.post(LIBRARY_URL).status_code == 405


# The PlanDefinition and the CDS card agree.


def plan_selects(plan: dict, library: dict, born: datetime.date, gestation: int | None) -> set:
    """The entries whose timingRange holds an age the child is read at: the actual age and,
    for a baby born early below the second birthday, the corrected age (0 before the due
    date), by the Library's own parameters, as its "Ages In Days" reads them."""
    numbers = {m["name"]: m["value"] for m in PARAMETER.finditer(cql_of(library))}
    full_term = int(numbers["Full term in days"])
    lowest = int(numbers["Corrected from gestation in days"])
    highest = int(numbers["Corrected to gestation in days"])
    years = int(numbers["Corrected until age"].removesuffix(" years"))
    today = ages.uk_today()
    actual = (today - born).days
    read_at = [actual]
    before = today < born.replace(year=born.year + years)
    if gestation is not None and lowest <= gestation <= highest and before:
        read_at.append(max(actual - (full_term - gestation), 0))
    selected = set()
    for action in entry_actions(plan["action"]):
        low, high = action["timingRange"]["low"]["value"], action["timingRange"]["high"]["value"]
        if any(low <= age <= high for age in read_at):
            selected.add(int(action["id"].removeprefix("entry-")))
    return selected


def card_selects(imh, born: datetime.date, gestation: int | None) -> set:
    filterset, _ = applicable(imh, born, gestation)
    return {entry.number for entry in filterset.qs}


def days_ago(days: int) -> datetime.date:
    return ages.uk_today() - datetime.timedelta(days=days)


CHILDREN = {
    "10 weeks, born at 32 weeks": (ages.to_days(weeks=10), 32 * 7),
    "2 years": (ages.to_days(years=2), None),
    "6 years": (ages.to_days(years=6), None),
    "8 weeks, born at 24 weeks: not yet at the due date": (ages.to_days(weeks=8), 24 * 7),
    "the second birthday, born at 30 weeks: no longer corrected": (None, 30 * 7),
}


@pytest.mark.parametrize("child", CHILDREN)
def test_the_plan_and_the_cds_card_select_the_same_entries(plan, library, imh, child, monkeypatch):
    monkeypatch.setattr("pathways.ages.uk_today", lambda: TODAY)
    days, gestation = CHILDREN[child]
    born = days_ago(days) if days is not None else TODAY.replace(year=TODAY.year - 2)
    selected = plan_selects(plan, library, born, gestation)
    assert selected == card_selects(imh, born, gestation)
    at_actual_age = plan_selects(plan, library, born, None)
    if child.startswith(("10 weeks", "8 weeks")):
        # The corrected age matters: it adds what applies at it (at birth, before the due date).
        assert at_actual_age < selected
    else:
        assert at_actual_age == selected
    assert bool(selected) == (child != "6 years")  # nothing applies beyond the pathway
