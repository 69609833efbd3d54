// iceberg-js (npm, the 0.8 line) against a REST catalog server: creates, lists, loads, updates and drops
// namespaces and tables, checking what comes back.
//   node tests/iceberg/rest_icebergjs.mjs --url http://127.0.0.1:PORT [--token T]
// Prints "ICEBERGJS OK <checks>" and exits 0, or the failed checks and exits 1.
import { IcebergRestCatalog } from 'iceberg-js';

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : def;
};
const url = opt('--url', '').replace(/\/?$/, '/');
const token = opt('--token', null);
const cat = new IcebergRestCatalog({ baseUrl: url, auth: token ? { type: 'bearer', token } : { type: 'none' } });
let checks = 0;
const failures = [];
const check = (cond, what) => {
  checks++;
  if (!cond) failures.push(what);
};
const eq = (a, b, what) => check(JSON.stringify(a) === JSON.stringify(b), `${what}: ${JSON.stringify(a)} != ${JSON.stringify(b)}`);

try {
  await cat.createNamespace({ namespace: ['js'] }, { properties: { owner: 'node' } });
  await cat.createNamespace({ namespace: ['js', 'nested'] });
  const all = await cat.listNamespaces();
  check(all.some((n) => JSON.stringify(n.namespace ?? n) === '["js"]'), `listNamespaces: ${JSON.stringify(all)}`);
  const kids = await cat.listNamespaces({ namespace: ['js'] });
  check(kids.some((n) => JSON.stringify(n.namespace ?? n) === '["js","nested"]'), `listNamespaces(js): ${JSON.stringify(kids)}`);
  const md = await cat.loadNamespaceMetadata({ namespace: ['js'] });
  eq(md.properties.owner, 'node', 'namespace property');
  check(await cat.namespaceExists({ namespace: ['js', 'nested'] }), 'namespaceExists');
  check(!(await cat.namespaceExists({ namespace: ['nope'] })), 'namespaceExists(nope)');

  const schema = {
    type: 'struct',
    fields: [
      { id: 1, name: 'id', type: 'long', required: true },
      { id: 2, name: 'name', type: 'string', required: false },
      { id: 3, name: 'amount', type: 'decimal(10,2)', required: false },
    ],
    'schema-id': 0,
    'identifier-field-ids': [1],
  };
  const created = await cat.createTable({ namespace: ['js', 'nested'] }, { name: 'orders', schema, properties: { p: '1' } });
  eq(created['format-version'], 2, 'created format-version');
  eq(created.schemas[0].fields.map((f) => [f.name, String(f.type).replace(/ /g, ''), f.required]), [['id', 'long', true], ['name', 'string', false], ['amount', 'decimal(10,2)', false]],
    'created schema');
  check(created.location.endsWith('/js/nested/orders'), `location ${created.location}`);
  const tables = await cat.listTables({ namespace: ['js', 'nested'] });
  eq(tables.map((t) => t.name), ['orders'], 'listTables');
  const loaded = await cat.loadTable({ namespace: ['js', 'nested'], name: 'orders' });
  eq(loaded['table-uuid'], created['table-uuid'], 'loadTable uuid');
  eq(loaded.properties.p, '1', 'loadTable property');
  check(await cat.tableExists({ namespace: ['js', 'nested'], name: 'orders' }), 'tableExists');
  check(!(await cat.tableExists({ namespace: ['js', 'nested'], name: 'none' })), 'tableExists(none)');
  // an update in the spec's CommitTableRequest form, passed through by iceberg-js
  const upd = await cat.updateTable({ namespace: ['js', 'nested'], name: 'orders' }, {
    requirements: [{ type: 'assert-table-uuid', uuid: created['table-uuid'] }],
    updates: [{ action: 'set-properties', updates: { q: '2' } }],
  });
  eq(upd.metadata.properties.q, '2', 'updateTable property');
  check(typeof upd['metadata-location'] === 'string' && upd['metadata-location'].endsWith('.metadata.json'), 'updateTable metadata-location');
  const again = await cat.loadTable({ namespace: ['js', 'nested'], name: 'orders' });
  eq(again.properties.q, '2', 'property after reload');
  let conflict = null;
  try {
    await cat.updateTable({ namespace: ['js', 'nested'], name: 'orders' }, {
      requirements: [{ type: 'assert-current-schema-id', 'current-schema-id': 5 }],
      updates: [{ action: 'set-properties', updates: { q: '3' } }],
    });
  } catch (e) {
    conflict = e;
  }
  eq(conflict?.status, 409, 'stale update is a 409');
  await cat.dropTable({ namespace: ['js', 'nested'], name: 'orders' }, { purge: true });
  check(!(await cat.tableExists({ namespace: ['js', 'nested'], name: 'orders' })), 'dropped');
  let missing = null;
  try {
    await cat.loadTable({ namespace: ['js', 'nested'], name: 'orders' });
  } catch (e) {
    missing = e;
  }
  eq(missing?.status, 404, 'load after drop');
  await cat.dropNamespace({ namespace: ['js', 'nested'] });
  await cat.dropNamespace({ namespace: ['js'] });
  check(!(await cat.namespaceExists({ namespace: ['js'] })), 'namespace dropped');
} catch (e) {
  failures.push(`exception: ${e.stack || e}`);
}
for (const f of failures) console.log(`FAIL ${f}`);
console.log(`ICEBERGJS ${failures.length ? 'FAILED' : 'OK'} ${checks}`);
process.exit(failures.length ? 1 : 0);
