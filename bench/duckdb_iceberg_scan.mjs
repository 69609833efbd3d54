// DuckDB side of the Iceberg scan benchmark: threads=1, every value of the SensorData data files
// touched as bench_iceberg scan does (count, sum of timestamps, of sensor_id lengths, of
// temperatures); prints the query time alone (best of REPS, default 3).
//   node duckdb_iceberg_scan.mjs 'DIR/**/*.parquet'
import { DuckDBInstance } from '@duckdb/node-api';
const [glob] = process.argv.slice(2);
const inst = await DuckDBInstance.create(':memory:', { threads: '1' });
const con = await inst.connect();
const q = `SELECT count(*), sum(epoch_ms(timestamp)), sum(length(sensor_id)), sum(temperature) FROM read_parquet('${glob}', hive_partitioning=false)`;
const reps = +(process.env.REPS || 3);
let secs = Infinity, r;
for (let i = 0; i < reps; i++) {
  const t0 = performance.now();
  r = await con.runAndReadAll(q);
  secs = Math.min(secs, (performance.now() - t0) / 1000);
}
const rows = Number(r.getRows()[0][0]);
console.log(JSON.stringify({ rows, seconds: Number(secs.toFixed(3)), rows_per_s: Math.round(rows / secs) }));
