// Reads a table's current snapshot with icebird (an independent Iceberg reader; fetch is shimmed
// for file:// and plain paths) and prints one JSON object: rows, the sorted values of COLUMN,
// the live data files (count and paths) and how many of them are referenced more than once.
//   node icebird_rows.mjs METADATA_LOCATION COLUMN
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { icebergMetadata, icebergManifests, icebergRead } from 'icebird'

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

const [metadataLocation, column] = process.argv.slice(2)
const cut = metadataLocation.lastIndexOf('/metadata/')
const tableUrl = metadataLocation.slice(0, cut)
const metadataFileName = metadataLocation.slice(cut + '/metadata/'.length)
const metadata = await icebergMetadata({ tableUrl, metadataFileName })
const manifests = await icebergManifests(metadata)
const files = []
for (const { entries } of manifests) for (const e of entries) if (e.status !== 2 && !e.data_file.content) files.push(e.data_file.file_path)
const seen = new Map()
for (const f of files) seen.set(f, (seen.get(f) || 0) + 1)
const dupFiles = [...seen.values()].filter(n => n > 1).length
const rows = await icebergRead({ tableUrl, metadata })
const values = rows.map(r => Number(r[column])).sort((a, b) => a - b)
console.log(JSON.stringify({ rows: rows.length, values, files: files.length, dup_files: dupFiles, paths: files }))
