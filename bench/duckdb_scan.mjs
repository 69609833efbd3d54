// DuckDB side of the reader benchmark: a query that touches every value of every column of the
// file; prints the time of the query alone (the median of REPS runs, default 3; the best too).
// THREADS: DuckDB's threads (default 1; "default" leaves DuckDB's own default, the core count).
import { DuckDBInstance } from '@duckdb/node-api';
const [file, kind, where] = process.argv.slice(2);
const threads = process.env.THREADS || '1';
const inst = await DuckDBInstance.create(':memory:', threads === 'default' ? {} : { threads });
const con = await inst.connect();
const q = kind === 'selective'
  ? `SELECT count(*), sum(temperature) FROM read_parquet('${file}') WHERE ${where}`
  : kind === 'sensor'
  ? `SELECT count(*), sum(timestamp), sum(length(sensor_id)), sum(temperature) FROM read_parquet('${file}')`
  : `SELECT count(*), ${Array.from({ length: 20 }, (_, c) => c >= 10 && c < 15 ? `sum(length(c${c}))` : c >= 18 ? `sum(c${c}::INT)` : `sum(c${c})`).join(', ')} FROM read_parquet('${file}')`;
const reps = +(process.env.REPS || 3);
let r;
const times = [];
for (let i = 0; i < reps; i++) { /* median of REPS, as bench_reader does */
  const t0 = performance.now();
  r = await con.runAndReadAll(q);
  times.push((performance.now() - t0) / 1000);
}
times.sort((a, b) => a - b);
const secs = times[Math.floor(times.length / 2)];
const rows = Number(r.getRows()[0][0]);
console.log(JSON.stringify({ rows, seconds: Number(secs.toFixed(4)), best_seconds: Number(times[0].toFixed(4)), rows_per_s: Math.round(rows / secs) }));
