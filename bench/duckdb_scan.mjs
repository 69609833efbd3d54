// DuckDB side of the reader benchmark: threads=1, a query that touches every value of every
// column of the file; prints the time of the query alone (best of REPS runs, default 3).
import { DuckDBInstance } from '@duckdb/node-api';
const [file, kind, where] = process.argv.slice(2);
const inst = await DuckDBInstance.create(':memory:', { threads: '1' });
const con = await inst.connect();
const q = kind === 'selective'
  ? `SELECT count(*), sum(temperature) FROM read_parquet('${file}') WHERE ${where}`
  : kind === 'sensor'
  ? `SELECT count(*), sum(timestamp), sum(length(sensor_id)), sum(temperature) FROM read_parquet('${file}')`
  : `SELECT count(*), ${Array.from({ length: 20 }, (_, c) => c >= 10 && c < 15 ? `sum(length(c${c}))` : c >= 18 ? `sum(c${c}::INT)` : `sum(c${c})`).join(', ')} FROM read_parquet('${file}')`;
const reps = +(process.env.REPS || 3);
let secs = Infinity, r;
for (let i = 0; i < reps; i++) { /* best of REPS, as bench_reader does */
  const t0 = performance.now();
  r = await con.runAndReadAll(q);
  secs = Math.min(secs, (performance.now() - t0) / 1000);
}
const rows = Number(r.getRows()[0][0]);
console.log(JSON.stringify({ rows, seconds: Number(secs.toFixed(3)), rows_per_s: Math.round(rows / secs) }));
