"""Other systems: the JSON API, CSV export and the pathway as a FHIR PlanDefinition."""
