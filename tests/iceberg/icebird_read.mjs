// Reads an Iceberg table with icebird (an independent reader that applies position and equality
// deletes) and prints "id<TAB>name" for every row, sorted by id (fetch shimmed for local files).
//   node icebird_read.mjs METADATA_LOCATION
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { icebergRead } from 'icebird'

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

const [metadataLocation] = process.argv.slice(2)
const cut = metadataLocation.lastIndexOf('/metadata/')
const rows = await icebergRead({
  tableUrl: metadataLocation.slice(0, cut),
  metadataFileName: metadataLocation.slice(cut + '/metadata/'.length),
})
const lines = rows.map(r => [BigInt(r.id), r.name ?? '\\N'])
lines.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
process.stdout.write(lines.map(([id, n]) => `${id}\t${n}`).join('\n') + (lines.length ? '\n' : ''))
