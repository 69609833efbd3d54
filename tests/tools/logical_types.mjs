// Logical types through `prestige convert` and `prestige cat`, against DuckDB:
//  - DuckDB writes random UUID, JSON and INTERVAL columns (flat, in a list, in a struct; nulls
//    everywhere; several row groups); prestige converts the file; DuckDB reads the copy with the
//    same types, the same Parquet annotations and the same values;
//  - `prestige cat` prints UUIDs as DuckDB's text, JSON embedded (JSON lines) or as text (CSV),
//    intervals as DuckDB prints them;
//  - the corpus's FLOAT16 files (DuckDB cannot write FLOAT16) survive convert, equal in DuckDB;
//  - int96_from_spark.parquet: cat and convert agree with DuckDB value by value, and with the
//    file's notes for the value DuckDB wraps.
// argv: prestige binary, row count, seed. Prints RESULT <passed> <failed>.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isDeepStrictEqual } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';

const prestige = process.argv[2];
const N = Number(process.argv[3] || 2500);
let seed = Number(process.argv[4] || 2026);
const rnd = (n) => { seed = (seed * 1103515245 + 12345) % 2147483648; return (seed >>> 8) % n; };
const corpus = '../shared/parquet-testing/data';
const dir = mkdtempSync(`${tmpdir()}/prestige-logical-`);
let passed = 0, failed = 0;
const check = (ok, what) => { if (ok) passed++; else { failed++; console.log(`FAIL ${what}`); } };

const inst = await DuckDBInstance.create(':memory:', { threads: '1' });
const con = await inst.connect();
const rows = async (sql) => (await con.runAndReadAll(sql)).getRowObjectsJson();
const run = (args) => execFileSync(prestige, args, { encoding: 'utf8', maxBuffer: 1 << 28 });

const hex = (n) => Array.from({ length: n }, () => rnd(16).toString(16)).join('');
const uuid = () => `${hex(8)}-${hex(4)}-${hex(4)}-${hex(4)}-${hex(12)}`;
const words = ['a', 'b c', 'é', 'quote"d', 'back\\slash', 'tab\there', '✓', ''];
function jsonValue(depth) {
  const k = rnd(depth > 2 ? 5 : 8);
  if (k === 0) return null;
  if (k === 1) return rnd(2) === 0;
  if (k === 2) return rnd(2000000) - 1000000;
  if (k === 3) return (rnd(100000) - 50000) / 4; // exact in binary
  if (k === 4) return words[rnd(words.length)] + rnd(100);
  if (k === 5) return Array.from({ length: rnd(4) }, () => jsonValue(depth + 1));
  const o = {};
  for (let i = rnd(4); i > 0; i--) o[`k${rnd(20)}`] = jsonValue(depth + 1);
  return o;
}
const jsonText = () => { const v = jsonValue(0); return rnd(4) === 0 ? JSON.stringify(v, null, 1) : JSON.stringify(v); };
const sqlStr = (s) => `'${s.replace(/'/g, "''")}'`;
const maybe = (p, f, nul) => (rnd(p) === 0 ? nul : f());
const interval = () => `to_months(${rnd(3000)}) + to_days(${rnd(2000)}) + to_microseconds(${rnd(4294967) * 1000000 + rnd(1000) * 1000})`;

// ---- DuckDB writes UUID, JSON, INTERVAL ----------------------------------------------------------
const values = [];
for (let id = 0; id < N; id++) {
  const u = maybe(8, () => `'${uuid()}'::UUID`, 'NULL::UUID');
  const j = maybe(8, () => `${sqlStr(jsonText())}::JSON`, 'NULL::JSON');
  const i = maybe(8, interval, 'NULL::INTERVAL');
  const lu = maybe(6, () => `[${Array.from({ length: rnd(4) }, () => maybe(5, () => `'${uuid()}'::UUID`, 'NULL::UUID')).join(', ')}]::UUID[]`, 'NULL::UUID[]');
  const st = maybe(7, () => `{'j': ${maybe(5, () => `${sqlStr(jsonText())}::JSON`, 'NULL::JSON')}, 'i': ${maybe(5, interval, 'NULL::INTERVAL')}}`,
    'NULL::STRUCT(j JSON, i INTERVAL)');
  values.push(`(${id}, ${u}, ${j}, ${i}, ${lu}, ${st})`);
}
const src = `${dir}/duck.parquet`, dst = `${dir}/copy.parquet`;
await con.run(`CREATE TABLE t AS SELECT * FROM (VALUES ${values.join(', ')}) v(id, u, j, i, lu, st)`);
await con.run(`COPY t TO '${src}' (FORMAT parquet, ROW_GROUP_SIZE 1000)`);
run(['convert', src, dst, '--quiet', '--row-group-rows', '700']);

const describe = async (f) => JSON.stringify(await rows(`SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet('${f}'))`));
const wantTypes = [['id', 'INTEGER'], ['u', 'UUID'], ['j', 'JSON'], ['i', 'INTERVAL'], ['lu', 'UUID[]'], ['st', 'STRUCT(j JSON, i INTERVAL)']];
check(await describe(src) === JSON.stringify(wantTypes.map(([column_name, column_type]) => ({ column_name, column_type }))),
  `DuckDB's own file has the types the test expects: ${await describe(src)}`);
check(await describe(dst) === await describe(src), `copy's types: ${await describe(dst)} vs ${await describe(src)}`);
const leaves = async (f) => JSON.stringify(await rows(`SELECT name, type, type_length, repetition_type, converted_type, logical_type
  FROM parquet_schema('${f}') WHERE type IS NOT NULL AND name <> 'id' ORDER BY name`));
check(await leaves(dst) === await leaves(src), `copy's Parquet annotations: ${await leaves(dst)} vs ${await leaves(src)}`);
const cmp = `SELECT coalesce(a.id, b.id) id FROM read_parquet('${src}') a FULL JOIN read_parquet('${dst}') b ON a.id = b.id
  WHERE a.id IS NULL OR b.id IS NULL OR NOT (a.u IS NOT DISTINCT FROM b.u AND a.j::VARCHAR IS NOT DISTINCT FROM b.j::VARCHAR
    AND a.i::VARCHAR IS NOT DISTINCT FROM b.i::VARCHAR AND a.lu IS NOT DISTINCT FROM b.lu AND (a.st IS NULL) = (b.st IS NULL)
    AND a.st.j::VARCHAR IS NOT DISTINCT FROM b.st.j::VARCHAR AND a.st.i::VARCHAR IS NOT DISTINCT FROM b.st.i::VARCHAR) LIMIT 5`;
const diff = await rows(cmp);
check(diff.length === 0, `copy's values differ at ids ${JSON.stringify(diff)}`);
check((await rows(`SELECT count(*)::INT n FROM read_parquet('${dst}')`))[0].n === N, 'copy row count');

// ---- cat: JSON lines and CSV against DuckDB's text ----------------------------------------------
const duckRows = await rows(`SELECT id, u::VARCHAR u, j::VARCHAR j, i::VARCHAR i, lu::VARCHAR[] lu, st IS NULL st_null,
  st.j::VARCHAR sj, st.i::VARCHAR si FROM read_parquet('${src}') ORDER BY id`);
const jsonl = run(['cat', dst]).trim().split('\n').map((l) => JSON.parse(l));
check(jsonl.length === N, `cat printed ${jsonl.length} rows`);
let bad = 0;
for (const [k, d] of duckRows.entries()) {
  const r = jsonl[k] || {};
  const want = {
    id: d.id, u: d.u, j: d.j === null ? null : JSON.parse(d.j), i: d.i, lu: d.lu,
    st: d.st_null ? null : { j: d.sj === null ? null : JSON.parse(d.sj), i: d.si },
  };
  if (!isDeepStrictEqual(r, want) && bad++ < 3) console.log(`jsonl row ${k}: ${JSON.stringify(r)}\n   DuckDB: ${JSON.stringify(want)}`);
}
check(bad === 0, `${bad} JSON lines rows differ from DuckDB`);

function parseCsv(text) { // RFC 4180: quoted fields, doubled quotes, newlines inside quotes
  const out = []; let row = [], f = '', q = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (q) { if (c === '"') { if (text[i + 1] === '"') { f += '"'; i++; } else q = false; } else f += c; }
    else if (c === '"') q = true;
    else if (c === ',') { row.push(f); f = ''; }
    else if (c === '\n') { row.push(f); out.push(row); row = []; f = ''; }
    else f += c;
  }
  if (f || row.length) { row.push(f); out.push(row); }
  return out;
}
const csv = parseCsv(run(['cat', dst, '--format', 'csv']));
check(JSON.stringify(csv[0]) === '["id","u","j","i","lu","st"]', `csv header ${csv[0]}`);
bad = 0;
for (const [k, d] of duckRows.entries()) {
  const r = csv[k + 1] || [];
  const ok = r[0] === String(d.id) && r[1] === (d.u ?? '') && r[3] === (d.i ?? '') && r[2] === (d.j ?? ''); // JSON as stored
  if (!ok && bad++ < 3) console.log(`csv row ${k}: ${JSON.stringify(r.slice(0, 4))} DuckDB: ${JSON.stringify([d.id, d.u, d.j, d.i])}`);
}
check(bad === 0, `${bad} CSV rows differ from DuckDB`);

// ---- FLOAT16: DuckDB reads it (as FLOAT) but cannot write it: the corpus's files ---------------
for (const f of ['float16_nonzeros_and_nans', 'float16_zeros_and_nans']) {
  const s = `${corpus}/${f}.parquet`, d = `${dir}/${f}.parquet`;
  run(['convert', s, d, '--quiet']);
  const lt = await rows(`SELECT logical_type lt, type_length::INT tl FROM parquet_schema('${d}') WHERE name = 'x'`);
  check(lt.length === 1 && /Float16/.test(lt[0].lt) && lt[0].tl === 2, `${f}: copy's annotation ${JSON.stringify(lt)}`);
  const q = (p) => `SELECT row_number() OVER () r, x, typeof(x) t FROM read_parquet('${p}')`;
  const neq = await rows(`SELECT a.r FROM (${q(s)}) a FULL JOIN (${q(d)}) b ON a.r = b.r
    WHERE a.r IS NULL OR b.r IS NULL OR a.x IS DISTINCT FROM b.x OR a.t <> b.t OR a.t <> 'FLOAT'`);
  check(neq.length === 0, `${f}: copy differs in DuckDB at rows ${JSON.stringify(neq)}`);
  const mine = run(['cat', d]).trim().split('\n').map((l) => JSON.parse(l).x);
  const theirs = (await rows(`SELECT x::DOUBLE x FROM read_parquet('${s}')`)).map((r) => r.x);
  check(isDeepStrictEqual(mine, theirs), `${f}: cat ${JSON.stringify(mine)} vs DuckDB ${JSON.stringify(theirs)}`);
}

// ---- INT96 ---------------------------------------------------------------------------------------
{
  const s = `${corpus}/int96_from_spark.parquet`, d = `${dir}/int96.parquet`;
  const duck = await rows(`SELECT epoch_us(a)::VARCHAR us, a::VARCHAR t FROM read_parquet('${s}')`);
  // int96_from_spark.md: the microseconds Spark wrote; DuckDB wraps the last one into 226414 BC
  const spark = ['1704141296123456', '1704070800000000', '253402225200000000', '1735599600000000', null, '9089380393200000000'];
  for (let k = 0; k < 5; k++) check(duck[k].us === spark[k], `DuckDB row ${k}: ${duck[k].us}`);
  const text = run(['cat', s, '--format', 'csv']).split('\n').slice(1, 7);
  const norm = (t) => t.replace('T', ' ').replace(/\.?0+$/, '');
  for (let k = 0; k < 5; k++) check(norm(text[k]) === (duck[k].t ?? ''), `cat row ${k}: ${text[k]} vs DuckDB ${duck[k].t}`);
  check(text[5] === '290000-12-30T23:00:00.000000', `cat row 5: ${text[5]}`);
  run(['convert', s, d, '--quiet']);
  const copy = await rows(`SELECT epoch_us(a)::VARCHAR us, typeof(a) t FROM read_parquet('${d}')`);
  check(isDeepStrictEqual(copy.map((r) => r.us), spark), `copy: ${JSON.stringify(copy.map((r) => r.us))}`);
  check(copy[0].t === 'TIMESTAMP', `copy's type ${copy[0].t}`);
}

rmSync(dir, { recursive: true, force: true });
console.log(`RESULT ${passed} ${failed}`);
process.exitCode = failed ? 1 : 0;
