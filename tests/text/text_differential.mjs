// CSV and JSON-lines input, prestige against DuckDB, on random files with tricky cells:
// quoting, embedded quotes / newlines / CRLF, empty vs "" fields, leading and trailing spaces,
// leading zeros, signs, exponents, inf/nan spellings, huge integers, decimals, booleans in
// several spellings, dates and timestamps with and without zones and fractions, non-ASCII.
// Each file goes through `prestige convert` (types inferred, then again with an explicit schema
// that DuckDB is given too); the Parquet file is read back with DuckDB and compared, column by
// column, with DuckDB's own read_csv / read_json of the same text: the type and every value
// (numbers by value, timestamps as epoch microseconds).
//
// Every difference is classified. Known, documented policy differences (include/prestige/text.h,
// "Differences from DuckDB") are counted by class and printed; any other difference fails. A
// column prestige keeps as a string must hold each cell's text exactly (lossless, whatever
// DuckDB did). A prestige error is accepted where DuckDB accepts the text only if it names the
// line and the column.
// argv: prestige binary, number of files, seed. Prints RESULT <passed> <failed>.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { DuckDBInstance } from '@duckdb/node-api';

const prestige = process.argv[2];
const FILES = Number(process.argv[3] || 40);
let seed = Number(process.argv[4] || 2026);
const rnd = (n) => { seed = (seed * 1103515245 + 12345) % 2147483648; return (seed >>> 8) % n; };
const pick = (a) => a[rnd(a.length)];
const dir = mkdtempSync(`${tmpdir()}/prestige-textdiff-`);
let passed = 0, failed = 0;
const known = new Map();
const fail = (what) => { failed++; console.log(`FAIL ${what}`); };
const VERBOSE = !!process.env.TEXTDIFF_VERBOSE; // prints each known difference where it is seen
const note = (cls, detail) => {
  known.set(cls, (known.get(cls) || 0) + 1);
  if (VERBOSE) console.log(`known ${cls}: ${detail || ''}`);
};

const inst = await DuckDBInstance.create(':memory:', { threads: '1' });
const con = await inst.connect();
const rows = async (sql) => (await con.runAndReadAll(sql)).getRowObjectsJson();
await con.run("SET TimeZone = 'UTC'"); // text without a zone is UTC in both

// ---- cell generators: each column draws from one kind (so inference has something to find), with
// an occasional cell from another kind
const pad = (n, w) => String(n).padStart(w, '0');
const date = () => `${pad(rnd(8) ? 1900 + rnd(150) : pick([1, 1000, 1500, 1677, 2262, 2300, 9999]), 4)}-${pad(1 + rnd(12), 2)}-${pad(1 + rnd(28), 2)}`;
const tod = () => `${pad(rnd(24), 2)}:${pad(rnd(60), 2)}:${pad(rnd(60), 2)}`;
const frac = () => pick(['', '', '.5', '.123', '.123456', '.1234567', '.000001']);
const zone = () => pick(['Z', '+02', '+05:30', '-08:00', '+0100', '-03']);
const words = ['a', 'b c', 'é', 'ünï', '✓', '日本', 'quote"d', 'comma,here', 'line\nbreak', 'crlf\r\nin', 'tab\there',
  'back\\slash', 'Nan', 'Inf', 'null', 'NULL', 'true', 'x y z'];
const kinds = {
  int: () => String(rnd(2000001) - 1000000),
  bigint: () => pick(['9223372036854775807', '-9223372036854775808', String(rnd(1e9)) + pad(rnd(1e9), 9)]),
  zeros: () => pick(['007', '02134', '0', '00', String(rnd(100000)), '0' + rnd(1000)]),
  signed: () => pick(['+5', '-5', '+0', '-0', String(rnd(100))]),
  double: () => pick([String((rnd(2000000) - 1000000) / 1000), '1e3', '1E+03', '-2.5e-3', '.5', '5.', '-.25', '0.1', '1.50',
    String(rnd(1000))]),
  special: () => pick(['inf', '-inf', 'Infinity', 'NaN', 'nan', '1.5', '1e309', '4.9e-324']),
  bool: () => pick(['true', 'false', 'TRUE', 'False', 'true', 'false']),
  boolish: () => pick(['t', 'f', 'yes', 'no', 'y', 'n', '1', '0', 'true']),
  date: () => date(),
  ts: () => `${date()}${pick([' ', 'T'])}${tod()}${frac()}`,
  tstz: () => `${date()}${pick([' ', 'T'])}${tod()}${frac()}${zone()}`,
  time: () => `${tod()}${frac()}`,
  space: () => pick([' 1', '2 ', ' 3 ', String(rnd(10))]),
  word: () => pick(words) + (rnd(3) ? '' : String(rnd(10))),
};
const kindNames = Object.keys(kinds);
const NULL = Symbol('null'); // an empty unquoted field
const EMPTY = ''; // a quoted empty field ""

function csvCell(v) {
  if (v === NULL) return '';
  if (v === EMPTY) return '""';
  const must = /[",\r\n]/.test(v);
  return must || rnd(6) === 0 ? `"${v.replaceAll('"', '""')}"` : v;
}

// ---- DuckDB types as prestige's classes; prestige always infers timestamps as UTC instants
// (DuckDB's JSON reader types a column of mixed JSON values JSON: compared as prestige's string of
// each value, a JSON string unquoted; it may pick HUGEINT for integers)
const cls = (t) => ({ BIGINT: 'int', HUGEINT: 'int', JSON: 'string', DOUBLE: 'double', BOOLEAN: 'bool', DATE: 'date', TIME: 'time', VARCHAR: 'string',
  TIMESTAMP: 'ts', 'TIMESTAMP WITH TIME ZONE': 'ts' })[t] || t;
const canon = (t, c) => { // SQL giving a comparable JSON value of column c (doubles: see table)
  const q = `"${c}"`;
  switch (cls(t)) {
    case 'ts': return `epoch_us(${q})::VARCHAR`;
    case 'int': case 'date': case 'time': return `${q}::VARCHAR`;
    default: return t === 'JSON' ? `CASE WHEN json_type(${q}) = 'VARCHAR' THEN ${q}->>'$' ELSE ${q}::VARCHAR END` : q;
  }
};
// the column types by name, in cols' order (a JSON reader orders columns by first appearance)
async function typesOf(from, cols) {
  const t = new Map((await rows(`DESCRIBE SELECT * FROM ${from}`)).map((r) => [r.column_name, r.column_type]));
  return cols.map((c) => t.get(c) || 'MISSING');
}
async function table(from, cols, types) {
  const sel = cols.map((c, i) => {
    const e = canon(types[i], c);
    return cls(types[i]) === 'double'
      ? `CASE WHEN isnan("${c}") THEN 'nan' WHEN isinf("${c}") THEN "${c}"::VARCHAR ELSE NULL END AS "s${i}", "${c}" AS "v${i}"`
      : `${e} AS "v${i}"`;
  });
  const got = await rows(`SELECT ${sel.join(', ')} FROM ${from}`);
  return got.map((r) => cols.map((_, i) => (cls(types[i]) === 'double' && r[`s${i}`] !== null ? r[`s${i}`] : r[`v${i}`])));
}
const same = (a, b, t) => {
  if (a === null || b === null) return a === b;
  if (cls(t) === 'double' && typeof a === 'number' && typeof b === 'number') return a === b; // -0 == 0
  return String(a) === String(b);
};

// ---- the known, documented differences: which raw texts explain a column prestige keeps as string
// (DuckDB typed it), or a cell where the values differ
const explains = [
  ['quoted "" is an empty string (DuckDB: NULL)', (v) => v === EMPTY],
  ['spaces around a value are kept (DuckDB trims)', (v) => typeof v === 'string' && v !== v.trim()],
  ['bool spellings other than true/false stay strings', (v) => /^(t|f|yes|no|y|n)$/i.test(v)],
  ['inf/nan spellings stay strings in inference', (v) => /^[-+]?(inf|infinity|nan)$/i.test(v)],
  ['a leading + keeps a number a string', (v) => /^\+/.test(v)],
  ['negative with a leading zero stays a string (DuckDB: -007 -> -7)', (v) => /^-0\d/.test(v)],
  ['time of day is not inferred (string)', (v) => /^\d\d:\d\d(:\d\d(\.\d+)?)?$/.test(v)],
  ['huge integers are doubles (as DuckDB)', (v) => /^-?\d{19,}$/.test(v)],
];
function explain(raws) { // the first class that one of the raw texts falls into
  for (const [name, f] of explains) if (raws.some((v) => v !== NULL && f(v))) return name;
  return null;
}

function prestigeConvert(src, out, schema) {
  const args = ['convert', src, out, '--quiet'];
  if (schema) args.push('--schema', schema);
  try {
    execFileSync(prestige, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return null;
  } catch (e) {
    return String(e.stderr || e.message).trim();
  }
}

const prestigeType = { int: 'int64', double: 'double', bool: 'bool', date: 'date', time: 'time', string: 'string',
  ts: 'timestamp(us,UTC)', dec: 'decimal(18,3)' };
const duckType = { int: 'BIGINT', double: 'DOUBLE', bool: 'BOOLEAN', date: 'DATE', time: 'TIME', string: 'VARCHAR', ts: 'TIMESTAMPTZ',
  dec: 'DECIMAL(18,3)' };

// Compares prestige's Parquet file with DuckDB's reading of the same text. raw[r][c]: the texts.
async function compare(what, file, out, duckFrom, cols, raw, explicit, json) {
  const err = prestigeConvert(file, out, explicit && explicit.spec);
  let dTypes, dVals, dErr = null;
  try {
    dTypes = await typesOf(duckFrom, cols);
    dVals = await table(duckFrom, cols, dTypes);
  } catch (e) { dErr = e.message.split('\n')[0]; }
  if (err) {
    if (dErr) { note('both reject the file', `${what}: ${err} | ${dErr}`); passed++; return; }
    if (/line \d+/.test(err) && /column|key|character/.test(err)) { note(`prestige error with line and column where DuckDB reads it: ${err.replace(/^.*?: line \d+(, column \d+)?( \(".*?"\))?: /, '').replace(/"[^"]*"/g, '"…"').slice(0, 60)}`, `${what}: ${err}`); passed++; }
    else fail(`${what}: prestige fails without naming line and column: ${err}`);
    return;
  }
  if (dErr) { note(`DuckDB rejects what prestige reads: ${dErr.slice(0, 60)}`, what); passed++; return; }
  const pFrom = `read_parquet('${out}')`;
  const pTypes = await typesOf(pFrom, cols);
  const pVals = await table(pFrom, cols, pTypes);
  let ok = true;
  for (let c = 0; c < cols.length; c++) {
    const pt = cls(pTypes[c]), dt = cls(dTypes[c]);
    const texts = raw.map((r) => r[c]);
    if (pt === 'string') { // lossless whatever DuckDB did: each cell's exact text, empty fields NULL
      for (let r = 0; r < raw.length; r++) {
        const want = texts[r] === NULL ? null : texts[r];
        if (pVals[r][c] !== want) { ok = false; fail(`${what} column ${cols[c]} row ${r + 1}: string ${JSON.stringify(pVals[r][c])}, text ${JSON.stringify(want)}`); }
      }
    }
    if (pt === 'ts' && dt === 'string') {
      // DuckDB keeps some mixes of ISO 8601 spellings VARCHAR (its JSON reader: T and space, zones
      // or not; its CSV sniffer: dates before a timestamp with a zone); the instants must still be
      // DuckDB's own reading of each text
      const d = await rows(`SELECT epoch_us(TRY_CAST("${cols[c]}" AS TIMESTAMPTZ))::VARCHAR AS v FROM ${duckFrom}`);
      const bad = d.findIndex((x, r) => x.v !== pVals[r][c]);
      if (bad < 0) { note('type: mixed dates and timestamp spellings are a timestamp column (DuckDB: sometimes VARCHAR)', `${what} ${cols[c]}`); continue; }
      ok = false;
      fail(`${what} column ${cols[c]} row ${bad + 1} text ${JSON.stringify(texts[bad])}: prestige ${pVals[bad][c]}, DuckDB ${d[bad].v}`);
      continue;
    }
    if (pt !== dt) {
      const why = pt === 'string' ? explain(texts) : (pt === 'double' && dt === 'int' ? explain(texts) : null);
      if (why) { note(`type: ${why}`, `${what} ${cols[c]}`); continue; }
      ok = false;
      fail(`${what} column ${cols[c]}: prestige ${pTypes[c]}, DuckDB ${dTypes[c]}: ${JSON.stringify(texts.filter((v) => v !== NULL))}`);
      continue;
    }
    for (let r = 0; r < raw.length; r++) {
      if (same(pVals[r][c], dVals[r][c], pTypes[c])) continue;
      const why = explain([texts[r]]);
      if (why) { note(`value: ${why}`); continue; }
      ok = false;
      fail(`${what} column ${cols[c]} (${pTypes[c]}) row ${r + 1} text ${JSON.stringify(texts[r])}: prestige ${JSON.stringify(pVals[r][c])}, DuckDB ${JSON.stringify(dVals[r][c])}`);
    }
  }
  if (ok) passed++;
}

for (let f = 0; f < FILES; f++) {
  const json = f % 3 === 2;
  const ncol = 3 + rnd(5), nrow = 3 + rnd(25);
  const cols = Array.from({ length: ncol }, (_, c) => (rnd(5) ? `c${c}` : `ç${c}`));
  const colKinds = cols.map(() => pick(kindNames));
  const raw = Array.from({ length: nrow }, () => colKinds.map((k) => {
    const x = rnd(20);
    if (x === 0) return NULL;
    if (x === 1 && !json) return EMPTY;
    return kinds[x === 2 ? pick(kindNames) : k]();
  }));
  const file = `${dir}/f${f}.${json ? 'jsonl' : 'csv'}`;
  const out = `${dir}/f${f}.parquet`;
  let duckFrom, explicitFrom;
  if (!json) {
    const eol = rnd(2) ? '\r\n' : '\n';
    writeFileSync(file, [cols.join(','), ...raw.map((r) => r.map(csvCell).join(','))].join(eol) + eol);
    const o = "header=true, delim=',', quote='\"', escape='\"'";
    duckFrom = `read_csv('${file}', ${o})`;
    explicitFrom = (types) => `read_csv('${file}', ${o}, columns={${cols.map((c, i) => `'${c}': '${types[i]}'`).join(', ')}})`;
  } else { // JSON: the kind decides whether a value is written as a JSON number, bool or string
    const lines = raw.map((r) => '{' + r.map((v, c) => {
      if (v === NULL) return rnd(2) ? null : `"${cols[c]}":null`;
      const k = colKinds[c];
      // a JSON number only in its shortest spelling: a string column then holds the same text
      const asNum = (k === 'int' || k === 'double' || k === 'bigint' && rnd(2)) && /^-?(0|[1-9]\d*)(\.\d+)?$/.test(v) &&
        String(Number(v)) === v;
      const asBool = (k === 'bool') && /^(true|false)$/.test(v);
      return `"${cols[c]}":${asNum || asBool ? v : JSON.stringify(v)}`;
    }).filter((x) => x !== null).join(',') + '}');
    writeFileSync(file, lines.join('\n') + '\n');
    // the text a string column must hold for each cell: JSON numbers as written, strings unescaped
    duckFrom = `read_json('${file}', format='newline_delimited')`;
    explicitFrom = (types) => `read_json('${file}', format='newline_delimited', columns={${cols.map((c, i) => `'${c}': '${types[i]}'`).join(', ')}})`;
  }
  await compare(`file ${f} (${json ? 'json' : 'csv'}; ${colKinds.join(',')}) inferred`, file, out, duckFrom, cols, raw, null, json);
  // explicit: the types DuckDB inferred (prestige's names), sometimes string or double instead
  let dTypes;
  try { dTypes = (await typesOf(duckFrom, cols)).map(cls); } catch { continue; }
  const types = dTypes.map((t) => (prestigeType[t] ? (rnd(4) ? t : pick(['string', 'double', 'dec'])) : 'string'));
  const spec = cols.map((c, i) => `${c}:${prestigeType[types[i]]}`).join(',');
  await compare(`file ${f} explicit ${spec}`, file, `${dir}/f${f}.x.parquet`, explicitFrom(types.map((t) => duckType[t])), cols, raw,
    { spec }, json);
}

for (const [k, n] of [...known].sort()) console.log(`known: ${n} x ${k}`);
rmSync(dir, { recursive: true, force: true });
console.log(`RESULT ${passed} ${failed}`);
process.exit(failed ? 1 : 0);
