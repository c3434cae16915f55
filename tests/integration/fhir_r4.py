"""The FHIR R4 (4.0.1) models of fhir.resources 6.4, the validator the PlanDefinition and the
CodeSystem are checked with.

fhir.resources 6.4 is the last release whose models are R4 (later ones are R5, with R4B beside
it), and it is written for pydantic 1. pydantic 2, which django-ninja needs, still ships the
pydantic 1 API as `pydantic.v1`, so the models are imported while `pydantic` names that API,
then `pydantic` is put back. Every model module is imported inside that window because the
library otherwise imports them lazily, on first validation, with pydantic 2 in place.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys

import pydantic.v1


def _load_r4_models():
    public = {
        f"pydantic.{module.name}": importlib.import_module(f"pydantic.v1.{module.name}")
        for module in pkgutil.iter_modules(pydantic.v1.__path__)
        # The mypy plugin needs mypy, and the private modules are not part of the API.
        if not module.name.startswith("_") and module.name != "mypy"
    }
    names = ["pydantic", *public]
    saved = {name: sys.modules[name] for name in names if name in sys.modules}
    sys.modules["pydantic"] = pydantic.v1
    sys.modules.update(public)
    try:
        import fhir.resources

        for module in pkgutil.iter_modules(fhir.resources.__path__):
            if not module.ispkg:
                importlib.import_module(f"fhir.resources.{module.name}")
        return fhir.resources
    finally:
        for name in names:
            sys.modules.pop(name, None)
        sys.modules.update(saved)


_resources = _load_r4_models()
FHIR_VERSION: str = _resources.__fhir_version__
PlanDefinition = _resources.plandefinition.PlanDefinition
CodeSystem = _resources.codesystem.CodeSystem
Patient = _resources.patient.Patient
Observation = _resources.observation.Observation
Bundle = _resources.bundle.Bundle
ValidationError = pydantic.v1.ValidationError


def validate(resource: dict):
    """The R4 model of `resource` (by its resourceType); raises ValidationError if invalid."""
    model = {
        "PlanDefinition": PlanDefinition,
        "CodeSystem": CodeSystem,
        "Patient": Patient,
        "Observation": Observation,
        "Bundle": Bundle,
    }[resource["resourceType"]]
    return model.parse_obj(resource)
