// prestige cat prints every float and double as the shortest text that reads back as the same
// value (as DuckDB, JavaScript and Python print them), not 17 digits. Random bit patterns (normal,
// subnormal, huge, tiny, negative zero) are written to Parquet by DuckDB; each printed number must
// read back to the exact value and have no more significant digits than the shortest text
// (for floats: the shortest that reads back as the same float).
// usage: node reals.mjs PRESTIGE_CLI DIR
import { DuckDBInstance } from '@duckdb/node-api';
import { execFileSync } from 'node:child_process';

const [cli, dir] = process.argv.slice(2);
let passed = 0, failed = 0;
const bad = (m) => { if (failed++ < 20) console.log('FAIL ' + m); };

let seed = 0x9e3779b9;
const rnd32 = () => { seed ^= seed << 13; seed >>>= 0; seed ^= seed >>> 17; seed ^= seed << 5; seed >>>= 0; return seed; };
const buf = new DataView(new ArrayBuffer(8));
function randDouble() {
  for (;;) {
    buf.setUint32(0, rnd32()); buf.setUint32(4, rnd32());
    if (rnd32() % 4 === 0) buf.setUint16(0, (buf.getUint16(0) & 0x800f) | ((rnd32() % 3 === 0 ? 0 : 1023 + (rnd32() % 40) - 20) << 4));
    const x = buf.getFloat64(0);
    if (Number.isFinite(x)) return x;
  }
}
function randFloat() {
  for (;;) {
    buf.setUint32(0, rnd32());
    if (rnd32() % 4 === 0) buf.setUint32(0, (buf.getUint32(0) & 0x807fffff) | ((rnd32() % 3 === 0 ? 0 : 127 + (rnd32() % 20) - 10) << 23));
    const x = buf.getFloat32(0);
    if (Number.isFinite(x)) return x;
  }
}
const digits = (t) => t.replace(/^-/, '').replace(/e.*$/i, '').replace('.', '').replace(/^0+/, '').replace(/0+$/, '').length || 1;
function shortestFloatDigits(f) {
  for (let p = 1; p <= 9; p++) if (Math.fround(Number(f.toPrecision(p))) === f) return p;
  return 9;
}

const N = 4000;
const ds = [0, -0, 1, 0.1, 28.81, 1e300, 5e-324, 2.2250738585072014e-308, 9007199254740993, 123456789012345680];
const fs = [0, -0, 0.1, 28.81, 3.4028234663852886e38, 1e-45, 16777217, 0.3];
while (ds.length < N) ds.push(randDouble());
for (let i = 0; i < fs.length; i++) fs[i] = Math.fround(fs[i]);
while (fs.length < N) fs.push(Math.fround(randFloat()));
const lit = (x) => (Object.is(x, -0) ? "'-0.0'" : `'${String(x)}'`);
const rows = ds.map((d, i) => `(${i}, ${lit(d)}::DOUBLE, ${lit(Math.fround(fs[i]))}::FLOAT)`).join(',');
const db = await (await DuckDBInstance.create()).connect();
await db.run(`COPY (SELECT * FROM (VALUES ${rows}) t(i, d, f) ORDER BY i) TO '${dir}/reals.parquet' (FORMAT parquet)`);
// DuckDB holds the exact values: check the literals went in as written
const back = (await db.runAndReadAll(`SELECT d, f FROM '${dir}/reals.parquet' ORDER BY i`)).getRows();
for (let i = 0; i < N; i++) {
  if (!Object.is(back[i][0], ds[i]) || !Object.is(Math.fround(back[i][1]), fs[i])) { bad(`DuckDB did not keep row ${i}`); process.exit(1); }
}
for (const fmt of ['jsonl', 'csv']) {
  const out = execFileSync(cli, ['cat', `${dir}/reals.parquet`, '--format', fmt], { maxBuffer: 1 << 28 }).toString().trim().split('\n');
  if (fmt === 'csv') out.shift();
  if (out.length !== N) { bad(`${fmt}: ${out.length} rows`); continue; }
  for (let i = 0; i < N; i++) {
    const m = fmt === 'jsonl' ? out[i].match(/"d":([^,]*),"f":([^}]*)}/) : out[i].split(',').slice(1);
    const [dt, ft] = fmt === 'jsonl' ? [m[1], m[2]] : m;
    const d = Number(dt), f = Number(ft);
    if (!Object.is(d, ds[i])) bad(`${fmt} row ${i}: double ${String(ds[i])} printed as ${dt}`);
    else if (digits(dt) > digits(String(ds[i]))) bad(`${fmt} row ${i}: double ${String(ds[i])} printed as ${dt} (${digits(dt)} digits)`);
    else if (!/[.e]/.test(dt)) bad(`${fmt} row ${i}: double printed as ${dt} (not a real)`);
    else passed++;
    if (!Object.is(Math.fround(f), fs[i])) bad(`${fmt} row ${i}: float ${fs[i]} printed as ${ft}`);
    else if (digits(ft) > shortestFloatDigits(fs[i])) bad(`${fmt} row ${i}: float ${fs[i]} printed as ${ft} (shortest has ${shortestFloatDigits(fs[i])} digits)`);
    else passed++;
  }
}
console.log(`RESULT ${passed} ${failed}`);
process.exit(failed ? 1 : 0);
