// bench_compact.sh's DuckDB side (threads=1):
//   node duckdb_compact.mjs gen DIR FILES ROWS_PER_FILE   writes the small input files
//   node duckdb_compact.mjs copy DIR OUT                  times COPY (SELECT * ... ORDER BY id) TO OUT
import { statSync } from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';

const [mode, dir, a, b] = process.argv.slice(2);
const inst = await DuckDBInstance.create(':memory:', { threads: '1' });
const con = await inst.connect();
if (mode === 'gen') {
  const files = Number(a), per = Number(b);
  await con.run('SELECT setseed(0.5)');
  for (let f = 0; f < files; f++) {
    const name = `${dir}/part-${String(f).padStart(4, '0')}.parquet`;
    await con.run(`COPY (SELECT (random() * 1e12)::BIGINT AS id, (i % 1000)::INT AS sensor, random() AS value,
                   ['ok','warn','error'][1 + (i % 3)] AS level, TIMESTAMP '2024-01-01' + to_seconds(i) AS ts
                   FROM range(${per}) t(i)) TO '${name}' (FORMAT parquet, COMPRESSION snappy)`);
  }
} else {
  const t0 = process.hrtime.bigint(), c0 = process.cpuUsage();
  await con.run(`COPY (SELECT * FROM read_parquet('${dir}/*.parquet') ORDER BY id) TO '${a}' (FORMAT parquet, COMPRESSION snappy)`);
  const secs = Number(process.hrtime.bigint() - t0) / 1e9, c = process.cpuUsage(c0);
  process.stdout.write(JSON.stringify({ seconds: secs, cpu_seconds: (c.user + c.system) / 1e6, bytes: statSync(a).size }));
}
