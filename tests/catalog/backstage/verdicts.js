// Backstage's verdict on catalog documents, for the differential test of insights' catalog reader.
//
// Reads JSON lines on stdin, each {"id": ..., "yaml": "<descriptor text>"}, and writes one JSON line per
// input: {"id": ..., "documents": [{"verdict": "ok" | "error" | "foreign" | "empty", "stage", "message"}]}.
// Each document goes through what Backstage's catalog backend does to it, with its own code: the `yaml`
// parser (parseAllDocuments, no merge keys), the envelope validator, placeholder substitution (stubbed:
// `$text`, `$json` and `$yaml` become a string, as a read `$text` does), the entity policies the catalog
// builder installs by default, the entity schema, and the built-in kinds' validators. "foreign" means no
// built-in kind validator recognised the entity (Backstage refuses it unless a plugin adds the kind).
'use strict';

const readline = require('readline');
const { parseAllDocuments } = require('yaml');
const model = require('@backstage/catalog-model');

const validateEnvelope = model.entityEnvelopeSchemaValidator();
const validateEntity = model.entitySchemaValidator();
const policy = model.EntityPolicies.allOf([
  new model.SchemaValidEntityPolicy(),
  new model.DefaultNamespaceEntityPolicy(),
  new model.NoForeignRootFieldsEntityPolicy(),
  new model.FieldFormatEntityPolicy(model.makeValidator()),
]);
const kindValidators = [
  model.apiEntityV1alpha1Validator,
  model.componentEntityV1alpha1Validator,
  model.resourceEntityV1alpha1Validator,
  model.groupEntityV1alpha1Validator,
  model.locationEntityV1alpha1Validator,
  model.userEntityV1alpha1Validator,
  model.systemEntityV1alpha1Validator,
  model.domainEntityV1alpha1Validator,
];
const RESOLVERS = ['$text', '$json', '$yaml'];

function stubPlaceholders(data) {
  if (!data || typeof data !== 'object') return data;
  if (Array.isArray(data)) return data.map(stubPlaceholders);
  const keys = Object.keys(data);
  if (keys.some(k => k.startsWith('$'))) {
    if (keys.length === 1 && RESOLVERS.includes(keys[0]) && typeof data[keys[0]] === 'string') {
      return `(read from ${data[keys[0]]})`;
    }
    return data;
  }
  return Object.fromEntries(keys.map(k => [k, stubPlaceholders(data[k])]));
}

async function judge(entity) {
  const fail = (stage, error) => ({ verdict: 'error', stage, message: String(error && error.message || error) });
  try {
    validateEnvelope(entity);
  } catch (error) {
    return fail('envelope', error);
  }
  let current = stubPlaceholders(entity);
  try {
    current = await policy.enforce(current);
  } catch (error) {
    return fail('policy', error);
  }
  try {
    validateEntity(current);
  } catch (error) {
    return fail('entity', error);
  }
  for (const validator of kindValidators) {
    try {
      if (await validator.check(current)) return { verdict: 'ok' };
    } catch (error) {
      return fail('kind', error);
    }
  }
  return { verdict: 'foreign', stage: 'kind', message: 'no built-in kind validator recognised the entity' };
}

async function judgeText(text) {
  const results = [];
  let documents;
  try {
    documents = parseAllDocuments(text, { merge: false });
  } catch (error) {
    return [{ verdict: 'error', stage: 'yaml', message: String(error) }];
  }
  for (const document of Array.from(documents).filter(d => d)) {
    if (document.errors && document.errors.length) {
      results.push({ verdict: 'error', stage: 'yaml', message: String(document.errors[0]) });
      continue;
    }
    let json;
    try {
      json = document.toJSON();
    } catch (error) {
      results.push({ verdict: 'error', stage: 'yaml', message: String(error) });
      continue;
    }
    if (json === null || json === undefined) {
      results.push({ verdict: 'empty' });
    } else if (typeof json !== 'object' || Array.isArray(json)) {
      results.push({ verdict: 'error', stage: 'yaml', message: `Expected object at root, got ${typeof json}` });
    } else {
      results.push(await judge(json));
    }
  }
  return results;
}

async function main() {
  const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of lines) {
    if (!line.trim()) continue;
    const { id, yaml } = JSON.parse(line);
    process.stdout.write(JSON.stringify({ id, documents: await judgeText(yaml) }) + '\n');
  }
}

main().catch(error => {
  process.stderr.write(String(error && error.stack || error) + '\n');
  process.exit(1);
});
