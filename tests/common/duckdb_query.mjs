// Runs the SQL in the file named by argv[2] (statements separated by ';' are run in order)
// on an in-memory DuckDB with threads=1 and prints the last statement's rows as a JSON
// array. Values are rendered by DuckDB's JSON conversion: big integers and decimals as
// strings, blobs as escaped strings, timestamps as ISO text.
import { readFileSync } from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';

const sql = readFileSync(process.argv[2], 'utf8');
const inst = await DuckDBInstance.create(':memory:', { threads: '1' });
const con = await inst.connect();
try {
  const reader = await con.runAndReadAll(sql);
  process.stdout.write(JSON.stringify(reader.getRowObjectsJson()));
} catch (e) {
  process.stdout.write(String(e && e.message ? e.message : e));
  process.exitCode = 1;
}
