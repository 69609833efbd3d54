// Conformance over ../shared/parquet-testing/data: for every file, `prestige scan` (row count,
// per-column null counts and checksums) must equal the same figures computed by DuckDB.
// Files that are corrupt on purpose must fail with the expected message. Prints one line per
// file and "N passed, N failed".
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';

const root = process.argv[2];
const prestige = process.argv[3];
// Files whose row groups hold more than 256 MiB once decompressed (large_string_map: 2 GiB in two
// values, about 90 s of CPU under ASan) are read by the release build, still compared with DuckDB;
// the ASan build reads every other file.
const release = `${root}/build/release/prestige`;
const uncompressedBytes = (path) => {
  const m = [...execFileSync(release, ['meta', path], { encoding: 'utf8' }).matchAll(/ rows, (\d+) bytes uncompressed/g)];
  return Math.max(0, ...m.map((x) => Number(x[1])));
};
const dir = `${root}/../shared/parquet-testing/data`;
const expectedErrors = {
  'datapage_v1-corrupt-checksum.parquet': 'CRC mismatch',
  'rle-dict-uncompressed-corrupt-checksum.parquet': 'CRC mismatch',
  'nation.dict-malformed.parquet': 'runs past the end',
};
// Reasons a file cannot be compared with DuckDB value by value (still read by prestige).
const knownDifferences = {
};
// Files DuckDB cannot read, checked against what their documentation says instead
// (parquet-testing's README and companion .md files, and Arrow C++'s reader tests for LZ4).
const rowsOf = (path) => execFileSync(prestige, ['cat', path, '--format', 'jsonl'], { encoding: 'utf8', maxBuffer: 1 << 28 })
  .trim().split('\n').map((l) => JSON.parse(l));
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
const lz4Rows = [
  { c0: 1593604800, c1: '616263', v11: 42.0 }, { c0: 1593604800, c1: '646566', v11: 7.7 },
  { c0: 1593604801, c1: '616263', v11: 42.125 }, { c0: 1593604801, c1: '646566', v11: 7.7 }];
const documented = {
  // README: 7 pairs of columns, PLAIN and BYTE_STREAM_SPLIT, holding the same values
  'byte_stream_split_extended.gzip.parquet': (path) => {
    const rows = rowsOf(path), bad = [];
    if (rows.length !== 200) bad.push(`${rows.length} rows, README says 200`);
    for (const k of ['float16', 'float', 'double', 'int32', 'int64', 'flba5', 'decimal'])
      if (rows.some((r) => !(`${k}_plain` in r) || !same(r[`${k}_plain`], r[`${k}_byte_stream_split`]))) bad.push(`${k}: BYTE_STREAM_SPLIT differs from PLAIN`);
    return bad;
  },
  // map_no_value.md: my_map has keys with null values, my_map_no_v the same keys without values,
  // my_list the same integers
  'map_no_value.parquet': (path) => {
    const rows = rowsOf(path), bad = [];
    const want = [[1, 2, 3], [4, 5, 6], [7, 8, 9]];
    if (rows.length !== 3) bad.push(`${rows.length} rows, want 3`);
    rows.forEach((r, i) => {
      if (!same(r.my_list, want[i]) || !same(r.my_map_no_v, want[i])) bad.push(`row ${i}: lists ${JSON.stringify(r)}`);
      if (!same(Object.keys(r.my_map || {}).map(Number), want[i]) || Object.values(r.my_map || {}).some((v) => v !== null))
        bad.push(`row ${i}: map ${JSON.stringify(r.my_map)}`);
    });
    return bad;
  },
  // Arrow C++ reader tests: the same 4 rows in both LZ4 framings
  'hadoop_lz4_compressed.parquet': (path) => same(rowsOf(path), lz4Rows) ? [] : ['rows differ from Arrow C++\'s expected values'],
  'non_hadoop_lz4_compressed.parquet': (path) => same(rowsOf(path), lz4Rows) ? [] : ['rows differ from Arrow C++\'s expected values'],
  'hadoop_lz4_compressed_larger.parquet': (path) => {
    const rows = rowsOf(path);
    const bad = [];
    if (rows.length !== 10000) bad.push(`${rows.length} rows, want 10000`);
    if (rows[0]?.a !== 'c7ce6bef-d5b0-4863-b199-8ea8c7fb117b') bad.push(`first value ${rows[0]?.a}`);
    if (rows.some((r) => !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(r.a))) bad.push('a value is not a UUID string');
    return bad;
  },
};
const cpuLimit = Number(process.env.SCAN_CPU_SECONDS || 300);
const inst = await DuckDBInstance.create(':memory:', { threads: '1' });
const con = await inst.connect();
let passed = 0, failed = 0, skipped = 0;
const q = (s) => `"${s.replace(/"/g, '""')}"`;
for (const f of readdirSync(dir).filter((n) => n.endsWith('.parquet')).sort()) {
  const path = `${dir}/${f}`;
  let scan = null, scanErr = null;
  try {
    // a CPU-time limit (work, not wall time: large_string_map takes about 90 s of CPU under ASan,
    // and far longer by the clock on a loaded machine)
    let bin = prestige;
    try { if (uncompressedBytes(path) > 256 * 1024 * 1024) { bin = release; console.log(`note ${f}: read by the release build (over 256 MiB decompressed)`); } } catch { /* meta fails: scan decides */ }
    scan = JSON.parse(execFileSync('prlimit', [`--cpu=${cpuLimit}:${cpuLimit}`, '--', bin, 'scan', path],
                                   { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }));
  } catch (e) {
    scanErr = String(e.stderr || e.message);
  }
  if (expectedErrors[f]) {
    if (scanErr && scanErr.includes(expectedErrors[f]) && !/Sanitizer|runtime error/.test(scanErr)) { passed++; console.log(`ok   ${f}: fails as expected (${expectedErrors[f]})`); }
    else { failed++; console.log(`FAIL ${f}: expected an error containing "${expectedErrors[f]}", got ${scanErr || 'success'}`); }
    continue;
  }
  if (knownDifferences[f]) {
    skipped++;
    console.log(`skip ${f}: ${knownDifferences[f]}${scanErr ? ` (prestige: ${scanErr.trim().split('\n')[0]})` : ''}`);
    continue;
  }
  if (scanErr) { failed++; console.log(`FAIL ${f}: ${scanErr.trim().split('\n').slice(0, 3).join(' | ')}`); continue; }
  if (documented[f]) {
    let bad;
    try { bad = documented[f](path); } catch (e) { bad = [String(e.message).split('\n')[0]]; }
    if (bad.length) { failed++; console.log(`FAIL ${f}: ${bad.slice(0, 4).join('; ')}`); }
    else { passed++; console.log(`ok   ${f}: ${scan.rows} rows equal to the documented contents`); }
    continue;
  }
  let cols;
  try {
    cols = (await con.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet('${path}')`)).getRowObjectsJson();
  } catch (e) {
    skipped++;
    console.log(`skip ${f}: DuckDB cannot read it (${String(e.message).split('\n')[0]}); prestige read ${scan.rows} rows`);
    continue;
  }
  const exprs = ['count(*)::VARCHAR AS rows'];
  cols.forEach((c, i) => {
    const t = c.column_type, n = q(c.column_name);
    exprs.push(`(count(*) - count(${n}))::VARCHAR AS n${i}`);
    let s = null;
    if (t === 'BOOLEAN') s = `sum(${n}::INT)`;
    else if (/^(TINYINT|SMALLINT|INTEGER|BIGINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|HUGEINT|DECIMAL(\(\d+,\d+\))?)$/.test(t)) s = `sum(${n}::DOUBLE)`;
    else if (t === 'FLOAT' || t === 'DOUBLE') s = `sum(CASE WHEN isnan(${n}) OR isinf(${n}) THEN 0 ELSE ${n}::DOUBLE END)`;
    else if (t === 'VARCHAR') s = `sum(strlen(${n}))`;
    else if (t === 'BLOB') s = `sum(octet_length(${n}))`;
    else if (t === 'DATE') s = `sum((${n} - DATE '1970-01-01')::DOUBLE)`;
    exprs.push(`${s ? `(${s})::DOUBLE` : 'NULL::DOUBLE'} AS s${i}`);
  });
  let row;
  try {
    row = (await con.runAndReadAll(`SELECT ${exprs.join(', ')} FROM read_parquet('${path}')`)).getRowObjectsJson()[0];
  } catch (e) {
    skipped++;
    console.log(`skip ${f}: DuckDB cannot read it (${String(e.message).split('\n')[0]}); prestige read ${scan.rows} rows`);
    continue;
  }
  const problems = [];
  if (String(scan.rows) !== row.rows) problems.push(`rows ${scan.rows} vs ${row.rows}`);
  cols.forEach((c, i) => {
    const mine = scan.columns[c.column_name];
    if (!mine) { problems.push(`column ${c.column_name} missing`); return; }
    if (String(mine.nulls) !== row[`n${i}`]) problems.push(`${c.column_name}: nulls ${mine.nulls} vs ${row[`n${i}`]}`);
    const want = row[`s${i}`];
    if (want !== null && want !== undefined && typeof mine.checksum === 'number') {
      const w = Number(want), m = mine.checksum;
      if (Math.abs(w - m) > 1e-6 * Math.max(1, Math.abs(w))) problems.push(`${c.column_name}: checksum ${m} vs ${w}`);
    }
  });
  if (problems.length) { failed++; console.log(`FAIL ${f}: ${problems.slice(0, 4).join('; ')}`); }
  else { passed++; console.log(`ok   ${f}: ${scan.rows} rows, ${cols.length} columns`); }
}
console.log(`corpus: ${passed} equal to DuckDB, to their documented contents, or failing as expected; ${skipped} skipped, ${failed} failed`);
console.log(`RESULT ${passed} ${failed}`);
process.exitCode = failed ? 1 : 0;
