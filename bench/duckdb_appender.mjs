// DuckDB's appender inserting SensorData rows (same values as bench_sink), then COPY to Parquet
// (ZSTD, 100k-row row groups). Prints "<rows> <seconds>". usage: node duckdb_appender.mjs ROWS OUT
import { DuckDBInstance } from '@duckdb/node-api';
const n = Number(process.argv[2]);
const out = process.argv[3];
const db = await DuckDBInstance.create(':memory:', { threads: '1' });
const con = await db.connect();
await con.run('CREATE TABLE sensor_data (timestamp UBIGINT, sensor_id VARCHAR, temperature FLOAT)');
const t0 = process.hrtime.bigint();
const app = await con.createAppender('sensor_data');
for (let i = 0; i < n; i++) {
  app.appendUBigInt(1700000000000n + BigInt(i));
  app.appendVarchar('sensor-' + String((i * 7919) % 1000).padStart(4, '0'));
  app.appendFloat(15 + (i % 200) / 10);
  app.endRow();
}
app.closeSync();
await con.run(`COPY sensor_data TO '${out}' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 100000)`);
const secs = Number(process.hrtime.bigint() - t0) / 1e9;
console.log(`${n} ${secs.toFixed(3)}`);
