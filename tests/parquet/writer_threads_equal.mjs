// The parallel writer writes the same bytes as one thread: `prestige convert IN OUT.parquet` with
// --threads 1 and with 2..4 must produce identical files (and fail alike), over the
// parquet-testing corpus and over random tables DuckDB writes (every scalar type, nested lists,
// structs and maps, nulls; fixed seed), rewritten with random writer options: every codec,
// dictionary on/off, page versions 1 and 2, small pages, small row groups by rows and by bytes.
// The random rewrites must also hold the input's rows (DuckDB: EXCEPT ALL both ways is empty).
// usage: node writer_threads_equal.mjs ROOT PRESTIGE [RANDOM_TABLES] [SEED]
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { DuckDBInstance } from '@duckdb/node-api';

const [root, prestige] = process.argv.slice(2, 4);
const nRandom = Number(process.argv[4] || 16);
let seed = Number(process.argv[5] || 2026);
// the corpus rewrites run this binary (the release build: the property is equal bytes, and ASan made the
// corpus most of the suite's longest test); the random tables run `prestige` (the ASan build)
const corpusBinary = process.argv[6] || prestige;
const rnd = (n) => { seed = (seed * 1103515245 + 12345) % 2147483648; return (seed >>> 12) % n; };
const pick = (a) => a[rnd(a.length)];
let passed = 0, failed = 0;
const tmp = mkdtempSync(`${tmpdir()}/prestige-wthreads-`);

function convert(input, out, opts, threads, bin = prestige) {
  rmSync(out, { force: true });
  const r = spawnSync(bin, ['convert', input, out, '--quiet', ...opts, '--threads', String(threads)], { maxBuffer: 1 << 26 });
  const err = String(r.stderr || '').trim();
  const ok = r.status === 0 && existsSync(out);
  return { status: r.status, signal: r.signal, err, sum: ok ? createHash('sha256').update(readFileSync(out)).digest('hex') : '',
           size: ok ? statSync(out).size : 0 };
}
// returns the threads-1 output path when every thread count wrote the same bytes
function compare(name, input, opts, threads, mustSucceed, bin = prestige) {
  const base = `${tmp}/one.parquet`;
  const one = convert(input, base, opts, 1, bin);
  const problems = [];
  const bad = (x) => x.signal || /Sanitizer|runtime error/.test(x.err);
  if (bad(one)) problems.push(`threads 1: ${one.signal || one.err.split('\n')[0]}`);
  if (mustSucceed && one.status !== 0) problems.push(`threads 1: exit ${one.status}: ${one.err.split('\n')[0]}`);
  for (const t of threads) {
    const n = convert(input, `${tmp}/n.parquet`, opts, t, bin);
    if (bad(n)) problems.push(`threads ${t}: ${n.signal || n.err.split('\n')[0]}`);
    if (n.status !== one.status) problems.push(`threads ${t}: exit ${n.status}, threads 1: ${one.status}`);
    else if (n.sum !== one.sum) problems.push(`threads ${t}: file differs (${n.size} bytes vs ${one.size})`);
    if (n.err !== one.err) problems.push(`threads ${t}: error "${n.err}" vs "${one.err}"`);
  }
  if (problems.length) { failed++; console.log(`FAIL ${name}: ${problems.slice(0, 3).join('; ')}`); return null; }
  passed++;
  console.log(`ok   ${name}: ${one.status === 0 ? `${one.size} bytes` : `fails alike (${one.err.split('\n')[0].slice(0, 90)})`} with threads 1 and ${threads.join(', ')}`);
  return one.status === 0 ? base : null;
}

const codecs = ['snappy', 'zstd', 'zstd:1', 'gzip', 'gzip:9', 'brotli', 'lz4', 'none'];
const randomOpts = () => {
  const o = ['--compression', pick(codecs)];
  if (rnd(2)) o.push('--row-group-rows', String(pick([500, 3000, 10000, 100000])));
  if (rnd(2)) o.push('--row-group-bytes', String(pick([4096, 30000, 200000])));
  if (rnd(2)) o.push('--page-bytes', String(pick([512, 4096, 65536])));
  if (rnd(3) === 0) o.push('--dictionary', 'off');
  if (rnd(2)) o.push('--page-version', '2');
  return o;
};

// the corpus: every file prestige reads, rewritten
const dir = `${root}/../shared/parquet-testing/data`;
for (const f of readdirSync(dir).filter((n) => n.endsWith('.parquet')).sort()) {
  const path = `${dir}/${f}`;
  if (statSync(path).size > 1 << 20) { console.log(`note ${f}: over 1 MiB, skipped (ASan)`); continue; }
  // 1 GiB of dictionary strings behind 1 MiB of brotli: 70 s a rewrite, most of this test's time; the
  // reader and corpus tests cover it
  if (f === 'large_string_map.brotli.parquet') { console.log(`note ${f}: 1 GiB uncompressed, skipped`); continue; }
  compare(f, path, randomOpts(), [3], false, corpusBinary);
}

// random tables
const scalars = [
  ['TINYINT', 'i % 120'], ['SMALLINT', '(i * 37) % 30000 - 15000'], ['INTEGER', 'i * 7919 - 500000'],
  ['BIGINT', 'i * 982451653'], ['UTINYINT', 'i % 250'], ['USMALLINT', 'i % 60000'], ['UINTEGER', 'i * 3'],
  ['UBIGINT', 'i * 1000003'], ['FLOAT', 'i / 7.0'], ['DOUBLE', 'i * 0.001 - 3'], ['BOOLEAN', 'i % 3 = 0'],
  ['VARCHAR', "'s' || (i % 997)::VARCHAR || repeat('x', i % 13)"], ['VARCHAR', "md5(i::VARCHAR)"],
  ['BLOB', "('b' || (i % 51)::VARCHAR)::BLOB"], ['DATE', "DATE '2000-01-01' + (i % 9000)::INTEGER"],
  ['TIMESTAMP', "TIMESTAMP '2020-01-01' + to_microseconds(i * 1000003)"],
  ['DECIMAL(9,2)', '((i % 100000) / 100.0)::DECIMAL(9,2)'], ['DECIMAL(18,4)', '(i * 1.0001)::DECIMAL(18,4)'],
  ['DECIMAL(38,6)', '(i * 12345.678901)::DECIMAL(38,6)'], ['UUID', "gen_random_uuid()"],
];
const gen = (depth) => {
  const k = depth > 1 ? 0 : rnd(9);
  if (k < 5) { const [t, e] = pick(scalars); return t === 'UUID' ? `md5(i::VARCHAR)::UUID` : `(${e})::${t}`; }
  const a = gen(depth + 1), b = gen(depth + 1);
  if (k < 7) return `CASE WHEN i % 5 = 0 THEN [] ELSE [${a}, NULL, ${a.replace(/\bi\b/g, '(i + 1)')}][1:(i % 3) + 1] END`;
  if (k === 7) return `{'a': ${a}, 'b': CASE WHEN i % 4 = 0 THEN NULL ELSE ${b} END}`;
  return `MAP {(i % 5)::VARCHAR: ${a}}`;
};
const inst = await DuckDBInstance.create(':memory:', { threads: '1' });
const con = await inst.connect();
const count = async (sql) => Number((await (await con.run(sql)).getRows())[0][0]);
for (let t = 0; t < nRandom; t++) {
  const ncols = 1 + rnd(8), rows = 2000 + rnd(20000), nulls = [0, 100, 500, 1000][rnd(4)];
  const select = ['i AS id', ...Array.from({ length: ncols }, (_, c) =>
    `CASE WHEN hash(i * ${c + 7}) % 1000 < ${nulls} THEN NULL ELSE ${gen(0)} END AS c${c}`)].join(', ');
  const file = `${tmp}/r${t}.parquet`;
  await con.run(`COPY (SELECT ${select} FROM range(${rows}) r(i)) TO '${file}' (FORMAT parquet, ROW_GROUP_SIZE 5000)`);
  const opts = randomOpts();
  const out = compare(`random r${t} (${ncols + 1} columns, ${rows} rows, ${opts.join(' ')})`, file, opts, [2, 3, 4], true);
  if (out) { /* the rewrite holds the same rows */
    const diff = await count(`SELECT count(*) FROM ((SELECT * FROM '${file}' EXCEPT ALL SELECT * FROM '${out}')
      UNION ALL (SELECT * FROM '${out}' EXCEPT ALL SELECT * FROM '${file}'))`);
    const n = await count(`SELECT count(*) FROM '${out}'`);
    if (diff !== 0 || n !== rows) { failed++; console.log(`FAIL random r${t}: ${n} rows of ${rows}, ${diff} rows differ from the input`); }
    else passed++;
  }
}
rmSync(tmp, { recursive: true, force: true });
console.log(`writer threads: ${passed} equal, ${failed} failed`);
console.log(`RESULT ${passed} ${failed}`);
process.exitCode = failed ? 1 : 0;
