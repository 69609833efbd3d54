// DuckDB side of the Iceberg scan benchmark: every value of the SensorData data files touched as
// bench_iceberg scan does (count, sum of timestamps, of sensor_id lengths, of temperatures);
// prints the query time alone: the median of REPS runs (default 3) on one connection, the best
// and the first.
//   [THREADS=1|n|default] node duckdb_iceberg_scan.mjs 'DIR/**/*.parquet'
// THREADS: DuckDB's threads (default 1; "default" leaves DuckDB's own default, the core count).
import { DuckDBInstance } from '@duckdb/node-api';
const [glob] = process.argv.slice(2);
const threads = process.env.THREADS || '1';
const inst = await DuckDBInstance.create(':memory:', threads === 'default' ? {} : { threads });
const con = await inst.connect();
const q = `SELECT count(*), sum(epoch_ms(timestamp)), sum(length(sensor_id)), sum(temperature) FROM read_parquet('${glob}', hive_partitioning=false)`;
const reps = +(process.env.REPS || 3);
let r;
const times = [];
for (let i = 0; i < reps; i++) {
  const t0 = performance.now();
  r = await con.runAndReadAll(q);
  times.push((performance.now() - t0) / 1000);
}
const first = times[0];
times.sort((a, b) => a - b);
const secs = times[Math.floor(times.length / 2)];
const rows = Number(r.getRows()[0][0]);
const dthreads = Number((await con.runAndReadAll(`SELECT current_setting('threads')`)).getRows()[0][0]);
console.log(JSON.stringify({ rows, seconds: Number(secs.toFixed(4)), best_seconds: Number(times[0].toFixed(4)),
  first_seconds: Number(first.toFixed(4)), rows_per_s: Math.round(rows / secs), threads: dthreads }));
