// Reads a table's metadata file with icebird (an independent Iceberg reader; fetch is shimmed for
// file:// and plain paths) and compares what it sees with prestige's `iceberg describe` output.
//   node icebird_meta.mjs METADATA_LOCATION DESCRIBE_JSON_FILE
// Prints "OK" and exits 0 when they agree; otherwise prints each difference and exits 1.
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { icebergMetadata } from 'icebird'

const realFetch = globalThis.fetch
globalThis.fetch = async (url, init) => {
  const u = String(url)
  if (u.startsWith('file:') || u.startsWith('/')) {
    try {
      const data = await readFile(u.startsWith('file:') ? fileURLToPath(u) : u)
      return new Response(data, { status: 200 })
    } catch {
      return new Response('not found', { status: 404, statusText: 'Not Found' })
    }
  }
  return realFetch(url, init)
}

const [metadataLocation, describeFile] = process.argv.slice(2)
const cut = metadataLocation.lastIndexOf('/metadata/')
const tableUrl = metadataLocation.slice(0, cut)
const metadataFileName = metadataLocation.slice(cut + '/metadata/'.length)
const md = await icebergMetadata({ tableUrl, metadataFileName })
const ours = JSON.parse(await readFile(describeFile, 'utf8'))

const diffs = []
const same = (what, a, b) => {
  const x = JSON.stringify(a), y = JSON.stringify(b)
  if (x !== y) diffs.push(`${what}: icebird ${x} != prestige ${y}`)
}
same('format-version', md['format-version'], ours.format_version)
same('table-uuid', md['table-uuid'], ours.table_uuid)
same('location', md.location, ours.location)
const cur = md['current-snapshot-id']
same('current-snapshot-id', cur === undefined || cur === null || cur === -1 ? null : cur, ours.current_snapshot_id)
const schema = md.schemas.find(s => s['schema-id'] === md['current-schema-id'])
same('schema', schema, ours.schema)
const spec = md['partition-specs'].find(s => s['spec-id'] === md['default-spec-id'])
same('partition spec', spec, ours.partition_spec)
const order = md['sort-orders'].find(o => o['order-id'] === md['default-sort-order-id'])
same('sort order', order, ours.sort_order)
same('properties', md.properties ?? {}, ours.properties)
const names = (schema['identifier-field-ids'] ?? []).map(id => schema.fields.find(f => f.id === id)?.name)
same('identifier fields', names, ours.identifier_fields)
same('snapshots', (md.snapshots ?? []).length, ours.snapshot_count)
same('refs', md.refs ?? {}, ours.refs)
if (diffs.length) {
  for (const d of diffs) console.log(d)
  process.exit(1)
}
console.log('OK')
