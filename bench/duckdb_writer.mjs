// DuckDB side of the writer benchmark: builds the same table as bench_writer.c in memory
// (not timed), then times COPY ... TO (FORMAT parquet) with threads=1.
// usage: node duckdb_writer.mjs sensor|wide ROWS zstd|snappy OUT.parquet
import { statSync } from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';

const [kind, rowsArg, codec, out] = process.argv.slice(2);
const rows = Number(rowsArg);
// DUCKDB_THREADS=default leaves DuckDB its default (all cores); else the count (1 unless set)
const dt = process.env.DUCKDB_THREADS || '1';
const inst = await DuckDBInstance.create(':memory:', dt === 'default' ? {} : { threads: dt });
const con = await inst.connect();
if (kind === 'sensor') {
  await con.run(`CREATE TABLE t AS SELECT (1700000000000 + i * 10)::UBIGINT AS timestamp,
    'sensor-' || lpad(((i * 7919) % 1000)::VARCHAR, 4, '0') AS sensor_id,
    (((i * 37) % 4000)::FLOAT / 100.0::FLOAT) AS temperature FROM range(${rows}) r(i)`);
} else {
  const cols = [];
  const nul = (c, e) => `CASE WHEN (i * 31 + ${c * 17}) % 5 = 0 THEN NULL ELSE ${e} END AS c${c}`;
  for (let c = 0; c < 20; c++) {
    if (c < 5) cols.push(nul(c, `(i * ${c + 1} * 1000003::HUGEINT % 1000000000000)::BIGINT`));
    else if (c < 10) cols.push(nul(c, `(i::DOUBLE * 0.001 * ${c + 1})`));
    else if (c < 15) cols.push(nul(c, `'v' || ((i * ${c + 3}) % 5000)::VARCHAR`));
    else if (c < 18) cols.push(nul(c, `((i * ${c + 7}) % 100000)::INTEGER`));
    else cols.push(nul(c, `((i + ${c}) % 3 = 0)`));
  }
  await con.run(`CREATE TABLE t AS SELECT ${cols.join(', ')} FROM range(${rows}) r(i)`);
}
const t0 = performance.now();
await con.run(`COPY t TO '${out}' (FORMAT parquet, COMPRESSION ${codec})`);
const secs = (performance.now() - t0) / 1000;
console.log(JSON.stringify({ rows, seconds: Number(secs.toFixed(3)), rows_per_s: Math.round(rows / secs),
  file_size: statSync(out).size }));
