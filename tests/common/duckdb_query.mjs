// Runs the SQL in the file named by argv[2] on an in-memory DuckDB with threads=1 and prints
// the rows as JSON. By default the whole file is one script and the last statement's rows are
// printed as an array. If the file starts with "-- each", every following non-empty line is run
// as its own query and the output is an array with one entry per line: the rows, or
// {"error": message} when that query failed.
import { readFileSync } from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';

const sql = readFileSync(process.argv[2], 'utf8');
const inst = await DuckDBInstance.create(':memory:', { threads: '1' });
const con = await inst.connect();
if (sql.startsWith('-- each')) {
  const out = [];
  for (const line of sql.split('\n').slice(1)) {
    if (!line.trim()) continue;
    try {
      const reader = await con.runAndReadAll(line);
      out.push(reader.getRowObjectsJson());
    } catch (e) {
      out.push({ error: String(e && e.message ? e.message : e) });
    }
  }
  process.stdout.write(JSON.stringify(out));
} else {
  try {
    const reader = await con.runAndReadAll(sql);
    process.stdout.write(JSON.stringify(reader.getRowObjectsJson()));
  } catch (e) {
    process.stdout.write(String(e && e.message ? e.message : e));
    process.exitCode = 1;
  }
}
