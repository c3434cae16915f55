"""A pathway's applicability logic in CQL (Clinical Quality Language 1.5), the text its FHIR
Library carries and its PlanDefinition's conditions name.

The CQL is written from the rules' own data, never restated by hand: the corrected age's
bounds come from pathways/ages.py (full term, 22+0 to 36+6 weeks, below the second birthday) as
the library's parameters, and each age range's days from the range itself (which
ages.parse_band_label worked out from its label). One `define` per age range an action uses,
true when any age the pathway is read at (the actual age, and the corrected age when
corrected, 0 before the due date) is within it: the rule of ages.ChildAge.in_band, which the
browser's filter and the CDS card use.
"""

from __future__ import annotations

from ..ages import (
    CORRECT_FROM_GESTATION_DAYS,
    CORRECT_TO_GESTATION_DAYS,
    CORRECT_UNTIL_YEARS,
    FULL_TERM_DAYS,
)
from ..models import AgeRange

# The gestation at birth: the Observation the CQL reads and the CDS service prefetches.
LOINC = "http://loinc.org"
GESTATION_AT_BIRTH = "76516-4"
FHIR_VERSION = "4.0.1"
FHIR_HELPERS_VERSION = "4.0.1"
# Where FHIRHelpers is published (the CQF common library every CQL-on-FHIR engine ships).
FHIR_HELPERS = "http://fhir.org/guides/cqf/common/Library/FHIRHelpers"

# The library's parameters: name, CQL type, value, FHIR type of Library.parameter.
PARAMETERS = [
    ("Full term in days", "System.Integer", str(FULL_TERM_DAYS), "integer"),
    (
        "Corrected from gestation in days",
        "System.Integer",
        str(CORRECT_FROM_GESTATION_DAYS),
        "integer",
    ),
    ("Corrected to gestation in days", "System.Integer", str(CORRECT_TO_GESTATION_DAYS), "integer"),
    ("Corrected until age", "System.Quantity", f"{CORRECT_UNTIL_YEARS} years", "Quantity"),
]

# The definitions every pathway's library has, before its age ranges': name, FHIR type of its
# result, CQL.
RULES = [
    ("Birth Date", "date", "FHIRHelpers.ToDate(Patient.birthDate)"),
    ("Age In Days", "integer", "AgeInDays()"),
    (
        "Gestation At Birth In Days",
        "integer",
        "First(\n"
        '    [Observation: "Gestational age at birth"] O\n'
        "      let Gestation: FHIRHelpers.ToQuantity(O.value as FHIR.Quantity)\n"
        "      where O.status.value != 'entered-in-error'\n"
        "      return Truncate(Round((convert Gestation to 'd').value))\n"
        "  )",
    ),
    ("Days Early", "integer", '"Full term in days" - "Gestation At Birth In Days"'),
    (
        "Is Corrected",
        "boolean",
        '"Gestation At Birth In Days" between "Corrected from gestation in days"'
        ' and "Corrected to gestation in days"\n'
        '    and Today() < "Birth Date" + "Corrected until age"',
    ),
    ("Corrected Age In Days", "integer", 'Max({ "Age In Days" - "Days Early", 0 })'),
    (
        "Ages In Days",
        "integer",
        'if "Is Corrected" then { "Age In Days", "Corrected Age In Days" }\n'
        '    else { "Age In Days" }',
    ),
]
# The rules' results that are lists.
LISTS = {"Ages In Days"}


def quoted(name: str) -> str:
    """A CQL quoted identifier."""
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def range_define(age_range: AgeRange) -> str:
    """The name of the definition that is true when the child is aged within the range."""
    return f"Aged {age_range.label}"


def range_rule(age_range: AgeRange) -> str:
    start, end = age_range.start_days, age_range.end_days
    return f'exists ("Ages In Days" Age where Age >= {start} and Age < {end})'


def definitions(ranges: list[AgeRange]) -> list[tuple[str, str, str]]:
    """(name, FHIR type, CQL) of every definition: the rules, then one per distinct range."""
    by_name = {range_define(r): range_rule(r) for r in ranges}
    return RULES + [(name, "boolean", rule) for name, rule in by_name.items()]


def cql_text(name: str, version: str, ranges: list[AgeRange]) -> str:
    """The CQL library `name` at `version` with a definition for each of `ranges`."""
    lines = [
        f"library {name} version '{version}'",
        "",
        f"using FHIR version '{FHIR_VERSION}'",
        "",
        f"include FHIRHelpers version '{FHIR_HELPERS_VERSION}' called FHIRHelpers",
        "",
        f"codesystem \"LOINC\": '{LOINC}'",
        "",
        f'code "Gestational age at birth": \'{GESTATION_AT_BIRTH}\' from "LOINC"'
        " display 'Gestational age at birth'",
        "",
    ]
    lines += [f"parameter {quoted(p)} {kind} default {value}" for p, kind, value, _ in PARAMETERS]
    lines += ["", "context Patient", ""]
    for define, _, rule in definitions(ranges):
        lines += [f"define {quoted(define)}:", f"  {rule}", ""]
    return "\n".join(lines)


def library_parameters(ranges: list[AgeRange]) -> list[dict]:
    """Library.parameter: the CQL parameters going in, every definition's result coming out."""
    into = [
        {"name": p, "use": "in", "min": 0, "max": "1", "type": fhir_type}
        for p, _, _, fhir_type in PARAMETERS
    ]
    out = [
        {"name": d, "use": "out", "min": 0, "max": "*" if d in LISTS else "1", "type": fhir_type}
        for d, fhir_type, _ in definitions(ranges)
    ]
    return into + out


def data_requirements() -> list[dict]:
    """What the library reads: the Patient (its birth date) and the gestation at birth."""
    return [
        {"type": "Patient", "profile": ["http://hl7.org/fhir/StructureDefinition/Patient"]},
        {
            "type": "Observation",
            "profile": ["http://hl7.org/fhir/StructureDefinition/Observation"],
            "codeFilter": [
                {
                    "path": "code",
                    "code": [{"system": LOINC, "code": GESTATION_AT_BIRTH}],
                }
            ],
        },
    ]
