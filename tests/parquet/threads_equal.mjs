// The parallel reader hands out the same rows in the same order as one thread: for every file of
// ../shared/parquet-testing/data and for random files DuckDB writes with many small row groups
// (nested, nullable, every codec; fixed seed), `prestige cat` with --threads 1 and with more
// threads must print the same bytes, exit the same way and fail with the same message. Files
// over 256 MiB decompressed (large_string_map: minutes per read on a loaded machine) are left to
// it_corpus, whose scans run with the CLI's default threads (the core count) against DuckDB.
// usage: node threads_equal.mjs ROOT PRESTIGE [RANDOM_FILES] [SEED]
import { spawnSync, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { DuckDBInstance } from '@duckdb/node-api';

const [root, prestige] = process.argv.slice(2, 4);
const nRandom = Number(process.argv[4] || 12);
let seed = Number(process.argv[5] || 2026);
const rnd = (n) => { seed = (seed * 1103515245 + 12345) % 2147483648; return (seed >>> 12) % n; };
const release = `${root}/build/release/prestige`;
let passed = 0, failed = 0;

function run(bin, args) {
  const r = spawnSync(bin, args, { maxBuffer: 1 << 30 });
  return { status: r.status, signal: r.signal, out: createHash('sha256').update(r.stdout || '').digest('hex'),
           bytes: (r.stdout || '').length, err: String(r.stderr || '').trim() };
}
function compare(name, bin, args, threads, mustSucceed = false) {
  const one = run(bin, [...args, '--threads', '1']);
  const problems = [];
  if (mustSucceed && one.status !== 0) problems.push(`threads 1: exit ${one.status}: ${one.err.split('\n')[0]}`);
  if (one.signal || /Sanitizer|runtime error/.test(one.err)) problems.push(`threads 1: ${one.signal || one.err.split('\n')[0]}`);
  for (const t of threads) {
    const n = run(bin, [...args, '--threads', String(t)]);
    if (n.signal || /Sanitizer|runtime error/.test(n.err)) problems.push(`threads ${t}: ${n.signal || n.err.split('\n')[0]}`);
    if (n.status !== one.status) problems.push(`threads ${t}: exit ${n.status}, threads 1: ${one.status}`);
    if (n.out !== one.out) problems.push(`threads ${t}: output differs (${n.bytes} bytes vs ${one.bytes})`);
    if (n.err !== one.err) problems.push(`threads ${t}: error "${n.err}" vs "${one.err}"`);
  }
  if (problems.length) { failed++; console.log(`FAIL ${name}: ${problems.slice(0, 3).join('; ')}`); }
  else { passed++; console.log(`ok   ${name}: ${one.status === 0 ? `${one.bytes} bytes` : `fails alike (${one.err.split('\n')[0].slice(0, 100)})`} with threads 1 and ${threads.join(', ')}`); }
}

// the corpus
const dir = `${root}/../shared/parquet-testing/data`;
const bigBytes = (path) => {
  try {
    const m = [...execFileSync(release, ['meta', path], { encoding: 'utf8' }).matchAll(/ rows, (\d+) bytes uncompressed/g)];
    return Math.max(0, ...m.map((x) => Number(x[1]))) > 256 * 1024 * 1024;
  } catch { return false; }
};
for (const f of readdirSync(dir).filter((n) => n.endsWith('.parquet')).sort()) {
  const path = `${dir}/${f}`;
  if (bigBytes(path)) console.log(`note ${f}: over 256 MiB decompressed, left to it_corpus (read there with the core count's threads)`);
  else compare(f, prestige, ['cat', path], [3]);
}

// random files: many row groups, nested and nullable columns, a filter too
const scalars = [['BIGINT', 'i * 982451653'], ['INTEGER', 'i * 7919 - 500000'], ['DOUBLE', 'i * 0.001 - 3'],
  ['BOOLEAN', 'i % 3 = 0'], ['VARCHAR', "'s' || (i % 997)::VARCHAR || repeat('x', i % 13)"],
  ['DATE', "DATE '2000-01-01' + (i % 9000)::INTEGER"], ['DECIMAL(18,4)', '(i * 1.0001)::DECIMAL(18,4)']];
const gen = (depth) => {
  const k = depth > 1 ? 0 : rnd(8);
  if (k < 5) return scalars[rnd(scalars.length)][1];
  const a = gen(depth + 1), b = gen(depth + 1);
  if (k === 5) return `[${a}, ${a.replace(/\bi\b/g, '(i + 1)')}, NULL]`;
  if (k === 6) return `{'a': ${a}, 'b': ${b}}`;
  return `MAP {(i % 5)::VARCHAR: ${a}}`;
};
const tmp = mkdtempSync(`${tmpdir()}/prestige-threads-`);
const inst = await DuckDBInstance.create(':memory:', { threads: '1' });
const con = await inst.connect();
for (let t = 0; t < nRandom; t++) {
  const ncols = 1 + rnd(6), rows = 1000 + rnd(20000), nulls = [0, 100, 500][rnd(3)];
  const select = ['i AS id', ...Array.from({ length: ncols }, (_, c) =>
    `CASE WHEN hash(i * ${c + 7}) % 1000 < ${nulls} THEN NULL ELSE ${gen(0)} END AS c${c}`)].join(', ');
  const codec = ['snappy', 'zstd', 'gzip', 'uncompressed', 'lz4'][rnd(5)];
  const rg = [100, 777, 2048][rnd(3)];
  const file = `${tmp}/r${t}.parquet`;
  await con.run(`COPY (SELECT ${select} FROM range(${rows}) r(i)) TO '${file}' (FORMAT parquet, COMPRESSION ${codec}, ROW_GROUP_SIZE ${rg})`);
  compare(`random r${t} (${rows} rows, row groups of ${rg}, ${codec})`, prestige, ['cat', file], [2, 4], true);
  const lo = rnd(rows), hi = lo + rnd(rows);
  compare(`random r${t} --where`, prestige, ['cat', file, '--where', `id >= ${lo} AND id < ${hi} OR id IN (3, ${rnd(rows)}, ${rnd(rows)})`], [3], true);
}
rmSync(tmp, { recursive: true, force: true });
console.log(`threads: ${passed} equal, ${failed} failed`);
console.log(`RESULT ${passed} ${failed}`);
process.exitCode = failed ? 1 : 0;
