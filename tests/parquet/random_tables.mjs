// Reader check on files DuckDB writes from randomly generated tables: random column types
// (including nested lists, structs and maps), null fractions, codecs and row-group sizes.
// For each file, prestige scan's row count, per-column null counts and checksums (the sum of
// numeric leaves and string/blob lengths, over every nesting level) must equal DuckDB's.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { DuckDBInstance } from '@duckdb/node-api';

const prestige = process.argv[2];
const tables = Number(process.argv[3] || 24);
let seed = Number(process.argv[4] || 12345);
const rnd = (n) => { seed = (seed * 1103515245 + 12345) % 2147483648; return (seed >>> 12) % n; };
const pick = (a) => a[rnd(a.length)];

const scalars = [
  ['TINYINT', 'i % 120'], ['SMALLINT', '(i * 37) % 30000 - 15000'], ['INTEGER', 'i * 7919 - 500000'],
  ['BIGINT', 'i * 982451653'], ['UTINYINT', 'i % 250'], ['USMALLINT', 'i % 60000'], ['UINTEGER', 'i * 3'],
  ['UBIGINT', 'i * 1000003'], ['FLOAT', 'i / 7.0'], ['DOUBLE', 'i * 0.001 - 3'], ['BOOLEAN', 'i % 3 = 0'],
  ['VARCHAR', "'s' || (i % 997)::VARCHAR || repeat('x', i % 13)"], ['BLOB', "('b' || (i % 51)::VARCHAR)::BLOB"],
  ['DATE', "DATE '2000-01-01' + (i % 9000)::INTEGER"], ['TIMESTAMP', "TIMESTAMP '2020-01-01' + to_microseconds(i * 1000003)"],
  ['DECIMAL(9,2)', '((i % 100000) / 100.0)::DECIMAL(9,2)'], ['DECIMAL(18,4)', '(i * 1.0001)::DECIMAL(18,4)'],
  ['DECIMAL(38,6)', '(i * 12345.678901)::DECIMAL(38,6)'],
];
// a random (possibly nested) type: { sql, expr, kind, el/a/b/v }
function gen(depth) {
  const k = depth > 1 ? 0 : rnd(10);
  if (k < 6) { const [sql, expr] = pick(scalars); return { sql, expr, kind: 'scalar' }; }
  if (k < 8) {
    const el = gen(depth + 1);
    return { sql: `${el.sql}[]`, kind: 'list', el,
      expr: `CASE WHEN i % 5 = 0 THEN []::${el.sql}[] ELSE [${el.expr}, NULL, ${el.expr.replace(/\bi\b/g, '(i+1)')}][1:(i % 3) + 1] END` };
  }
  if (k < 9) {
    const a = gen(depth + 1), b = gen(depth + 1);
    return { sql: `STRUCT(a ${a.sql}, b ${b.sql})`, kind: 'struct', a, b,
      expr: `{'a': ${a.expr}, 'b': CASE WHEN i % 4 = 0 THEN NULL ELSE ${b.expr} END}` };
  }
  const [vsql, vexpr] = pick(scalars.filter(([t]) => t !== 'FLOAT' && t !== 'DOUBLE'));
  const v = { sql: vsql, expr: vexpr, kind: 'scalar' };
  return { sql: `MAP(VARCHAR, ${vsql})`, kind: 'map', v,
    expr: `MAP(['k' || (i % 3)::VARCHAR, 'z' || (i % 5)::VARCHAR], [${vexpr}, NULL::${vsql}])` };
}
// checksum of one value, as prestige scan computes it; NULL counts 0
function chk(ty, x) {
  if (ty.kind === 'list') return `COALESCE(list_sum(list_transform(${x}, e${ty.el.kind.length} -> ${chk(ty.el, `e${ty.el.kind.length}`)})), 0)`;
  if (ty.kind === 'struct') return `(${chk(ty.a, `(${x}).a`)} + ${chk(ty.b, `(${x}).b`)})`;
  if (ty.kind === 'map')
    return `(COALESCE(list_sum(list_transform(map_keys(${x}), k -> strlen(k))), 0) + COALESCE(list_sum(list_transform(map_values(${x}), v -> ${chk(ty.v, 'v')})), 0))`;
  const t = ty.sql;
  if (t === 'VARCHAR') return `COALESCE(strlen(${x}), 0)`;
  if (t === 'BLOB') return `COALESCE(octet_length(${x}), 0)`;
  if (t === 'BOOLEAN') return `COALESCE(${x}::INT, 0)`;
  if (t === 'DATE') return `COALESCE((${x} - DATE '1970-01-01'), 0)::DOUBLE`;
  if (t === 'TIMESTAMP') return `COALESCE(epoch_us(${x}), 0)::DOUBLE`;
  if (t === 'FLOAT' || t === 'DOUBLE') return `COALESCE(CASE WHEN isnan(${x}) THEN 0 ELSE ${x}::DOUBLE END, 0)`;
  return `COALESCE(${x}::DOUBLE, 0)`;
}

const dir = mkdtempSync(`${tmpdir()}/prestige-random-`);
const inst = await DuckDBInstance.create(':memory:', { threads: '1' });
const con = await inst.connect();
let passed = 0, failed = 0;
for (let t = 0; t < tables; t++) {
  const ncols = 1 + rnd(6), rows = 1 + rnd(5000);
  const cols = Array.from({ length: ncols }, () => gen(0));
  const nulls = [0, 0.1, 0.5, 1][rnd(4)];
  const select = cols.map(({ expr: e }, c) => `CASE WHEN hash(i * ${c + 7}) % 1000 < ${Math.round(nulls * 1000)} THEN NULL ELSE ${e} END AS c${c}`).join(', ');
  const codec = pick(['snappy', 'zstd', 'gzip', 'uncompressed', 'brotli', 'lz4']);
  const rg = pick([100, 1000, 122880]);
  const file = `${dir}/t${t}.parquet`;
  try {
    await con.run(`COPY (SELECT ${select} FROM range(${rows}) r(i)) TO '${file}' (FORMAT parquet, COMPRESSION ${codec}, ROW_GROUP_SIZE ${rg})`);
  } catch (e) { console.log(`skip t${t}: DuckDB could not write it: ${String(e.message).split('\n')[0]}`); continue; }
  const exprs = ['count(*)::VARCHAR AS rows'];
  cols.forEach((ty, c) => { exprs.push(`(count(*) - count(c${c}))::VARCHAR AS n${c}`, `sum(${chk(ty, `c${c}`)})::DOUBLE AS s${c}`); });
  const want = (await con.runAndReadAll(`SELECT ${exprs.join(', ')} FROM read_parquet('${file}')`)).getRowObjectsJson()[0];
  let got;
  try { got = JSON.parse(execFileSync(prestige, ['scan', file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })); }
  catch (e) { failed++; console.log(`FAIL t${t} (${cols.map((ty) => ty.sql).join(', ')}): ${String(e.stderr || e.message).trim()}`); continue; }
  const problems = [];
  if (String(got.rows) !== want.rows) problems.push(`rows ${got.rows} vs ${want.rows}`);
  cols.forEach(({ sql: ty }, c) => {
    const m = got.columns[`c${c}`];
    if (String(m.nulls) !== want[`n${c}`]) problems.push(`c${c} ${ty}: nulls ${m.nulls} vs ${want[`n${c}`]}`);
    const w = Number(want[`s${c}`] ?? 0), g = typeof m.checksum === 'number' ? m.checksum : NaN;
    if (!(Math.abs(w - g) <= 1e-6 * Math.max(1, Math.abs(w)))) problems.push(`c${c} ${ty}: checksum ${g} vs ${w}`);
  });
  if (problems.length) { failed++; console.log(`FAIL t${t} [${codec}, rg ${rg}, ${rows} rows, nulls ${nulls}]: ${problems.join('; ')}`); }
  else { passed++; console.log(`ok   t${t}: ${rows} rows, ${codec}, row groups of ${rg}: ${cols.map((ty) => ty.sql).join(', ')}`); }
}
rmSync(dir, { recursive: true, force: true });
console.log(`RESULT ${passed} ${failed}`);
process.exitCode = failed ? 1 : 0;
