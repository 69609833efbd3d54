// Conformance of a REST catalog server to the Iceberg REST OpenAPI (tests/iceberg/rest-catalog-open-api.yaml):
// drives every endpoint (successes and the usual errors) with fetch and validates every response body against
// the response schema the spec gives for that path, method and status (ajv, JSON Schema 2020-12 as OpenAPI 3.1
// uses), and checks every JSON response says Content-Type: application/json.
//   node tests/iceberg/rest_conformance.mjs --spec SPEC.json --url http://127.0.0.1:PORT [--token T] [--credential ID:SECRET]
// Prints "VALIDATED <n>" and exits 0, or prints each failure and exits 1.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : def;
};
const base = opt('--url', '').replace(/\/$/, '');
const credential = opt('--credential', null);
let token = opt('--token', null);
const here = path.dirname(fileURLToPath(import.meta.url));
// the yaml as JSON (js-yaml 4 rejects the spec's flow-style examples; the shell test converts it with PyYAML)
const doc = JSON.parse(fs.readFileSync(opt('--spec', path.join(here, 'rest-catalog-open-api.json')), 'utf8'));
doc.$id = 'openapi';
const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true });
addFormats(ajv);
ajv.addSchema(doc, 'openapi');

const failures = [];
let validated = 0;
const esc = (s) => s.replace(/~/g, '~0').replace(/\//g, '~1');

function resolve(node, ptrParts) {
  // follows a $ref to components/responses; returns [node, pointer parts]
  while (node && node.$ref) {
    const parts = node.$ref.replace(/^#\//, '').split('/');
    node = parts.reduce((n, p) => n[p.replace(/~1/g, '/').replace(/~0/g, '~')], doc);
    ptrParts = parts;
  }
  return [node, ptrParts];
}

const validators = new Map();
function validatorFor(template, method, status) {
  const key = `${method} ${template} ${status}`;
  if (validators.has(key)) return validators.get(key);
  const op = doc.paths[template]?.[method.toLowerCase()];
  if (!op) throw new Error(`the spec has no ${method} ${template}`);
  const s = String(status);
  const code = op.responses[s] ? s : op.responses[`${s[0]}XX`] ? `${s[0]}XX` : op.responses.default ? 'default' : null;
  if (!code) {
    validators.set(key, null);
    return null;
  }
  let [resp, parts] = resolve(op.responses[code], ['paths', template, method.toLowerCase(), 'responses', code]);
  const schema = resp?.content?.['application/json']?.schema;
  let v = null;
  if (schema) {
    const ptr = '#/' + [...parts, 'content', 'application/json', 'schema'].map(esc).join('/');
    v = ajv.compile({ $ref: `openapi${ptr}` });
  } else {
    v = 'no-body';
  }
  validators.set(key, v);
  return v;
}

async function call(method, template, concrete, { body, query, expect, raw, form, idem } = {}) {
  const url = `${base}${concrete}${query ? '?' + query : ''}`;
  const headers = {};
  if (idem) headers['idempotency-key'] = idem;
  if (token) headers.authorization = `Bearer ${token}`;
  let payload;
  if (raw !== undefined) {
    headers['content-type'] = 'application/json';
    payload = raw;
  } else if (form) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    payload = new URLSearchParams(form).toString();
  } else if (body !== undefined) {
    headers['content-type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  const res = await fetch(url, { method, headers, body: payload });
  const text = await res.text();
  const where = `${method} ${concrete} -> ${res.status}`;
  if (expect && res.status !== expect) failures.push(`${where}: wanted ${expect}: ${text.slice(0, 300)}`);
  let json = null;
  if (text.length) {
    const ct = res.headers.get('content-type') || '';
    if (!ct.startsWith('application/json')) failures.push(`${where}: Content-Type "${ct}"`);
    try {
      json = JSON.parse(text);
    } catch (e) {
      failures.push(`${where}: body is not JSON: ${text.slice(0, 200)}`);
    }
  }
  const v = validatorFor(template, method, res.status);
  if (v === null) failures.push(`${where}: the spec lists no response ${res.status} for ${method} ${template}`);
  else if (v === 'no-body') {
    if (method !== 'HEAD' && text.length) failures.push(`${where}: the spec gives this response no body, got ${text.slice(0, 100)}`);
    validated++;
  } else if (json !== null) {
    if (!v(json)) failures.push(`${where}: ${ajv.errorsText(v.errors)}\n  body: ${text.slice(0, 400)}`);
    validated++;
  } else if (method !== 'HEAD') {
    failures.push(`${where}: no body where the spec wants one`);
  }
  return { status: res.status, json };
}

const P = '/v1/{prefix}';
const NS = `${P}/namespaces/{namespace}`;
const T = `${NS}/tables/{table}`;
const schema = {
  type: 'struct',
  'schema-id': 0,
  fields: [
    { id: 1, name: 'id', required: true, type: 'long' },
    { id: 2, name: 'ts', required: false, type: 'timestamptz' },
    { id: 3, name: 'tags', required: false, type: { type: 'list', 'element-id': 4, element: 'string', 'element-required': false } },
  ],
};

if (credential) {
  const [id, secret] = credential.split(':');
  const r = await call('POST', '/v1/oauth/tokens', '/v1/oauth/tokens', {
    form: { grant_type: 'client_credentials', client_id: id, client_secret: secret, scope: 'catalog' },
    expect: 200,
  });
  token = r.json?.access_token;
  await call('POST', '/v1/oauth/tokens', '/v1/oauth/tokens', {
    form: { grant_type: 'client_credentials', client_id: id, client_secret: 'wrong' },
    expect: 401,
  });
}
const cfg = await call('GET', '/v1/config', '/v1/config', { expect: 200 });
const prefix = cfg.json?.overrides?.prefix;
const pre = prefix ? `/v1/${encodeURIComponent(prefix)}` : '/v1';
if (!Array.isArray(cfg.json?.endpoints)) failures.push('config: no endpoints list');
if (cfg.json?.['idempotency-key-lifetime'] !== 'PT30M') failures.push(`config: idempotency-key-lifetime ${cfg.json?.['idempotency-key-lifetime']}, wanted PT30M`);

// Idempotency-Key: the replay is the same final answer, and valid against the spec
{
  const k1 = '01890a5d-ac96-7000-8000-00000000c0f1', k2 = '01890a5d-ac96-7000-8000-00000000c0f2';
  const a = await call('POST', `${P}/namespaces`, `${pre}/namespaces`, { body: { namespace: ['idem'] }, idem: k1, expect: 200 });
  const b = await call('POST', `${P}/namespaces`, `${pre}/namespaces`, { body: { namespace: ['idem'] }, idem: k1, expect: 200 });
  if (JSON.stringify(a.json) !== JSON.stringify(b.json)) failures.push('Idempotency-Key: the replay differs from the first answer');
  await call('POST', `${P}/namespaces`, `${pre}/namespaces`, { body: { namespace: ['idem', 'x'] }, idem: k1, expect: 400 });
  await call('DELETE', NS, `${pre}/namespaces/idem`, { idem: k2, expect: 204 });
  await call('DELETE', NS, `${pre}/namespaces/idem`, { idem: k2, expect: 204 });
  await call('DELETE', NS, `${pre}/namespaces/idem`, { expect: 404 });
  await call('POST', `${P}/namespaces`, `${pre}/namespaces`, { body: { namespace: ['idem'] }, idem: 'nope', expect: 400 });
}

await call('POST', `${P}/namespaces`, `${pre}/namespaces`, { body: { namespace: ['conf'], properties: { owner: 'x' } }, expect: 200 });
await call('POST', `${P}/namespaces`, `${pre}/namespaces`, { body: { namespace: ['conf', 'inner'] }, expect: 200 });
await call('POST', `${P}/namespaces`, `${pre}/namespaces`, { body: { namespace: ['conf'] }, expect: 409 });
await call('POST', `${P}/namespaces`, `${pre}/namespaces`, { raw: '{"namespace": [', expect: 400 });
await call('GET', `${P}/namespaces`, `${pre}/namespaces`, { expect: 200 });
const page = await call('GET', `${P}/namespaces`, `${pre}/namespaces`, { query: 'pageSize=1', expect: 200 });
if (page.json && page.json['next-page-token'] === undefined) failures.push('namespaces pageSize=1: no next-page-token');
await call('GET', `${P}/namespaces`, `${pre}/namespaces`, { query: 'parent=conf', expect: 200 });
await call('GET', `${P}/namespaces`, `${pre}/namespaces`, { query: 'pageToken=zz', expect: 400 });
await call('GET', NS, `${pre}/namespaces/conf`, { expect: 200 });
await call('GET', NS, `${pre}/namespaces/conf%1Finner`, { expect: 200 });
await call('GET', NS, `${pre}/namespaces/missing`, { expect: 404 });
await call('HEAD', NS, `${pre}/namespaces/conf`, { expect: 204 });
await call('HEAD', NS, `${pre}/namespaces/missing`, { expect: 404 });
await call('POST', `${NS}/properties`, `${pre}/namespaces/conf/properties`, {
  body: { removals: ['owner', 'absent'], updates: { team: 'data' } },
  expect: 200,
});
await call('POST', `${NS}/properties`, `${pre}/namespaces/missing/properties`, { body: { updates: { a: 'b' } }, expect: 404 });

const created = await call('POST', `${NS}/tables`, `${pre}/namespaces/conf%1Finner/tables`, {
  body: { name: 'events', schema, 'partition-spec': { 'spec-id': 0, fields: [{ 'source-id': 1, 'field-id': 1000, name: 'id_bucket', transform: 'bucket[8]' }] },
    'write-order': { 'order-id': 1, fields: [{ 'source-id': 1, transform: 'identity', direction: 'asc', 'null-order': 'nulls-first' }] },
    properties: { 'format-version': '2', a: 'b' } },
  expect: 200,
});
await call('POST', `${NS}/tables`, `${pre}/namespaces/conf%1Finner/tables`, { body: { name: 'events', schema }, expect: 409 });
await call('POST', `${NS}/tables`, `${pre}/namespaces/missing/tables`, { body: { name: 'x', schema }, expect: 404 });
await call('POST', `${NS}/tables`, `${pre}/namespaces/conf/tables`, { body: { name: 'x' }, expect: 400 });
const staged = await call('POST', `${NS}/tables`, `${pre}/namespaces/conf/tables`, { body: { name: 'staged', schema, 'stage-create': true }, expect: 200 });
await call('HEAD', T, `${pre}/namespaces/conf/tables/staged`, { expect: 404 });
// a staged table is created by a commit asserting it does not exist yet, as Java's create transactions do
const smd = staged.json?.metadata ?? {};
const createUpdates = [
  { action: 'assign-uuid', uuid: smd['table-uuid'] },
  { action: 'upgrade-format-version', 'format-version': smd['format-version'] },
  { action: 'add-schema', schema: smd.schemas?.[0] },
  { action: 'set-current-schema', 'schema-id': -1 },
  { action: 'add-spec', spec: smd['partition-specs']?.[0] },
  { action: 'set-default-spec', 'spec-id': -1 },
  { action: 'add-sort-order', 'sort-order': smd['sort-orders']?.[0] },
  { action: 'set-default-sort-order', 'sort-order-id': -1 },
  { action: 'set-location', location: smd.location },
  { action: 'set-properties', updates: { ...(smd.properties ?? {}), staged: 'yes' } },
];
const committed = await call('POST', T, `${pre}/namespaces/conf/tables/staged`, {
  body: { requirements: [{ type: 'assert-create' }], updates: createUpdates }, expect: 200 });
if (committed.json?.metadata?.['table-uuid'] !== smd['table-uuid']) failures.push('staged create: the uuid changed');
await call('POST', T, `${pre}/namespaces/conf/tables/staged`, {
  body: { requirements: [{ type: 'assert-create' }], updates: createUpdates }, expect: 409 });
const st = await call('GET', T, `${pre}/namespaces/conf/tables/staged`, { expect: 200 });
if (st.json?.metadata?.properties?.staged !== 'yes') failures.push('staged create: not loaded back');
await call('DELETE', T, `${pre}/namespaces/conf/tables/staged`, { query: 'purgeRequested=true', expect: 204 });
await call('GET', `${NS}/tables`, `${pre}/namespaces/conf%1Finner/tables`, { expect: 200 });
await call('GET', `${NS}/tables`, `${pre}/namespaces/conf%1Finner/tables`, { query: 'pageSize=1', expect: 200 });
await call('GET', `${NS}/tables`, `${pre}/namespaces/missing/tables`, { expect: 404 });
const loaded = await call('GET', T, `${pre}/namespaces/conf%1Finner/tables/events`, { expect: 200 });
await call('GET', T, `${pre}/namespaces/conf%1Finner/tables/nothere`, { expect: 404 });
await call('HEAD', T, `${pre}/namespaces/conf%1Finner/tables/events`, { expect: 204 });
await call('HEAD', T, `${pre}/namespaces/conf%1Finner/tables/nothere`, { expect: 404 });
const uuid = loaded.json?.metadata?.['table-uuid'];
await call('POST', T, `${pre}/namespaces/conf%1Finner/tables/events`, {
  body: { requirements: [{ type: 'assert-table-uuid', uuid }, { type: 'assert-current-schema-id', 'current-schema-id': 0 }],
    updates: [{ action: 'set-properties', updates: { k: 'v' } }, { action: 'remove-properties', removals: ['a'] },
      { action: 'add-schema', schema: { ...schema, 'schema-id': 1, fields: [...schema.fields, { id: 5, name: 'extra', required: false, type: 'string' }] } },
      { action: 'set-current-schema', 'schema-id': -1 }] },
  expect: 200,
});
await call('POST', T, `${pre}/namespaces/conf%1Finner/tables/events`, {
  body: { requirements: [{ type: 'assert-current-schema-id', 'current-schema-id': 0 }], updates: [{ action: 'set-properties', updates: { k: 'w' } }] },
  expect: 409,
});
await call('POST', T, `${pre}/namespaces/conf%1Finner/tables/events`, {
  body: { requirements: [], updates: [{ action: 'no-such-action' }] },
  expect: 400,
});
await call('POST', T, `${pre}/namespaces/conf%1Finner/tables/nothere`, {
  body: { requirements: [{ type: 'assert-table-uuid', uuid: '00000000-0000-4000-8000-000000000000' }], updates: [] },
  expect: 404,
});
await call('POST', `${P}/transactions/commit`, `${pre}/transactions/commit`, {
  body: { 'table-changes': [{ identifier: { namespace: ['conf', 'inner'], name: 'events' }, requirements: [{ type: 'assert-table-uuid', uuid }],
    updates: [{ action: 'set-properties', updates: { txn: '1' } }] }] },
  expect: 204,
});
await call('POST', `${P}/transactions/commit`, `${pre}/transactions/commit`, {
  body: { 'table-changes': [{ identifier: { namespace: ['conf', 'inner'], name: 'events' }, requirements: [{ type: 'assert-current-schema-id', 'current-schema-id': 0 }],
    updates: [{ action: 'set-properties', updates: { txn: '2' } }] }] },
  expect: 409,
});
await call('POST', `${P}/tables/rename`, `${pre}/tables/rename`, {
  body: { source: { namespace: ['conf', 'inner'], name: 'events' }, destination: { namespace: ['conf'], name: 'events2' } },
  expect: 204,
});
await call('POST', `${P}/tables/rename`, `${pre}/tables/rename`, {
  body: { source: { namespace: ['conf', 'inner'], name: 'events' }, destination: { namespace: ['conf'], name: 'events3' } },
  expect: 404,
});
await call('DELETE', T, `${pre}/namespaces/conf/tables/events2`, { expect: 204 });
const mloc = created.json?.['metadata-location'];
await call('POST', `${NS}/register`, `${pre}/namespaces/conf/register`, { body: { name: 'back', 'metadata-location': mloc }, expect: 200 });
await call('POST', `${NS}/register`, `${pre}/namespaces/conf/register`, { body: { name: 'back', 'metadata-location': mloc }, expect: 409 });
await call('DELETE', T, `${pre}/namespaces/conf/tables/back`, { query: 'purgeRequested=true', expect: 204 });
await call('DELETE', T, `${pre}/namespaces/conf/tables/back`, { expect: 404 });
await call('DELETE', NS, `${pre}/namespaces/conf`, { expect: 409 });
await call('DELETE', NS, `${pre}/namespaces/conf%1Finner`, { expect: 204 });
await call('DELETE', NS, `${pre}/namespaces/conf`, { expect: 204 });
await call('DELETE', NS, `${pre}/namespaces/conf`, { expect: 404 });
if (token) {
  const saved = token;
  token = 'not-the-token';
  await call('GET', `${P}/namespaces`, `${pre}/namespaces`, { expect: 401 });
  token = saved;
}

for (const f of failures) console.log(`FAIL ${f}`);
console.log(`VALIDATED ${validated}`);
process.exit(failures.length ? 1 : 0);
