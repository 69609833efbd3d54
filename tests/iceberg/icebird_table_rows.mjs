// Reads an Iceberg table's current snapshot with icebird (an independent reader) and prints the
// given columns of every row as JSON lines (BigInt as strings, Dates as ISO text).
//   node icebird_table_rows.mjs METADATA_LOCATION col1,col2,...
// fetch is shimmed for file:// URLs and plain paths: HEAD gives the length, Range reads a slice.
import { open, readFile } from 'node:fs/promises'
import { icebergRead } from 'icebird'

const realFetch = globalThis.fetch
globalThis.fetch = async (url, init = {}) => {
  const u = String(url)
  if (!u.startsWith('file:') && !u.startsWith('/')) return realFetch(url, init)
  const path = u.startsWith('file://') ? u.slice(7) : u // as stored: partition directories keep their %XX
  try {
    if ((init.method || 'GET') === 'HEAD') {
      const fh = await open(path)
      const { size } = await fh.stat()
      await fh.close()
      return new Response(null, { status: 200, headers: { 'content-length': String(size) } })
    }
    const range = init.headers && (init.headers.Range || init.headers.range || (init.headers.get && init.headers.get('range')))
    const data = await readFile(path)
    if (range) {
      const m = /bytes=(\d+)-(\d*)/.exec(range)
      const start = Number(m[1]), end = m[2] ? Number(m[2]) + 1 : data.length
      return new Response(data.subarray(start, end), { status: 206, headers: { 'content-length': String(end - start) } })
    }
    return new Response(data, { status: 200, headers: { 'content-length': String(data.length) } })
  } catch {
    return new Response('not found', { status: 404, statusText: 'Not Found' })
  }
}

const [metadataLocation, cols] = process.argv.slice(2)
const cut = metadataLocation.lastIndexOf('/metadata/')
const tableUrl = metadataLocation.slice(0, cut)
const metadataFileName = metadataLocation.slice(cut + '/metadata/'.length)
const rows = await icebergRead({ tableUrl, metadataFileName })
const names = cols.split(',')
const norm = v => (typeof v === 'bigint' ? v.toString() : v instanceof Date ? v.toISOString() : v === undefined ? null : v)
for (const r of rows) {
  const o = {}
  for (const n of names) o[n] = norm(r[n])
  process.stdout.write(JSON.stringify(o) + '\n')
}
