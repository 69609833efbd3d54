// avsc (npm) as a second independent Avro reader for tests/avro/it_avro_interop.sh.
//   node avsc_peer.mjs read IN.avro OUT.jsonl       values as canonical JSON lines (avro_util.h)
//   node avsc_peer.mjs header IN.avro SCHEMA.avsc   the header's avro.schema against the file
// The writer schema is handed to avsc raw (Type.forSchema on the parsed JSON), unions wrapped so
// the branch is explicit, longs as BigInt so 64-bit values stay exact. Snappy blocks go through
// hysnappy with the CRC32 trailer checked, zstandard blocks through fzstd.
import fs from 'node:fs';
import zlib from 'node:zlib';
import avsc from 'avsc';
import { snappyUncompressor } from 'hysnappy';
import { decompress as zstdDecompress } from 'fzstd';

const BigLong = avsc.types.LongType.__with({
  fromBuffer: (buf) => buf.readBigInt64LE(),
  toBuffer: (n) => {
    const buf = Buffer.alloc(8);
    buf.writeBigInt64LE(BigInt(n));
    return buf;
  },
  fromJSON: BigInt,
  toJSON: Number,
  isValid: (n) => typeof n === 'bigint',
  compare: (a, b) => (a === b ? 0 : a < b ? -1 : 1),
});
const typeHook = (s) => (s === 'long' || (s && s.type === 'long') ? BigLong : undefined);

let unsnappy = snappyUncompressor();
if (unsnappy && typeof unsnappy.then === 'function') unsnappy = await unsnappy;

function snappyLength(buf) {
  let n = 0, shift = 0;
  for (let i = 0; ; i++) {
    const b = buf[i];
    n += (b & 0x7f) * 2 ** shift;
    shift += 7;
    if (!(b & 0x80)) return n;
  }
}

const codecs = {
  null: (buf, cb) => cb(null, buf),
  deflate: zlib.inflateRaw,
  snappy: (buf, cb) => {
    try {
      const data = buf.subarray(0, buf.length - 4);
      const out = Buffer.from(unsnappy(data, snappyLength(data)));
      if ((zlib.crc32(out) >>> 0) !== buf.readUInt32BE(buf.length - 4)) throw new Error('snappy block CRC32 mismatch');
      cb(null, out);
    } catch (e) {
      cb(e);
    }
  },
  zstandard: (buf, cb) => {
    try {
      cb(null, Buffer.from(zstdDecompress(buf)));
    } catch (e) {
      cb(e);
    }
  },
};

// ---- canonical JSON, walking the raw schema beside avsc's values
const PRIMS = new Set(['null', 'boolean', 'int', 'long', 'float', 'double', 'bytes', 'string']);

function fullName(name, ns) {
  return name.includes('.') || !ns ? name : `${ns}.${name}`;
}

function resolve(s, names, ns) {
  if (typeof s === 'string' && !PRIMS.has(s)) return names.get(fullName(s, ns)) || names.get(s);
  return s;
}

function branchName(s) {
  if (typeof s === 'string') return s;
  if (s.type === 'record' || s.type === 'error' || s.type === 'enum' || s.type === 'fixed') return s.fullName;
  return s.type; // a primitive with attributes, "array" or "map"
}

// registers named types (with their full names) and returns the namespace for what they hold
function define(s, names, ns) {
  if (s && typeof s === 'object' && !Array.isArray(s) && ['record', 'error', 'enum', 'fixed'].includes(s.type)) {
    const full = fullName(s.name, s.namespace !== undefined ? s.namespace : ns);
    s.fullName = full;
    names.set(full, s);
    const dot = full.lastIndexOf('.');
    return dot < 0 ? '' : full.slice(0, dot);
  }
  return ns;
}

// every named type, in schema order (a value may skip the branch that defines one)
function defineAll(s, names, ns) {
  if (Array.isArray(s)) return s.forEach((b) => defineAll(b, names, ns));
  if (!s || typeof s !== 'object') return;
  const inner = define(s, names, ns);
  if (typeof s.type === 'object') defineAll(s.type, names, ns);
  if (s.fields) s.fields.forEach((f) => defineAll(f.type, names, inner));
  if (s.items) defineAll(s.items, names, inner);
  if (s.values) defineAll(s.values, names, inner);
}

function floatJson(x) {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return 'Infinity';
  if (x === -Infinity) return '-Infinity';
  return new FloatText(x);
}

// JavaScript prints an integral double as an integer ("3618322617586417700"); Python would read
// that back as an int, not the double it is. Keep floats recognisable as floats.
class FloatText {
  constructor(x) {
    this.x = x;
  }
  toJSON() {
    const t = Object.is(this.x, -0) ? '-0.0' : String(this.x);
    return /[.eE]/.test(t) ? t : `${t}.0`;
  }
}

function unscaled(buf) {
  let v = 0n;
  for (const b of buf) v = (v << 8n) | BigInt(b);
  if (buf.length && buf[0] & 0x80) v -= 1n << BigInt(8 * buf.length);
  return v.toString();
}

function canon(s0, v, names, ns) {
  const s = resolve(s0, names, ns);
  if (Array.isArray(s)) {
    if (v === null) return null;
    const key = Object.keys(v)[0];
    for (const b of s) {
      const bs = resolve(b, names, ns);
      define(bs, names, ns); // an inline named branch gets its full name before it is compared
      if (branchName(bs) === key) return { [key]: canon(bs, v[key], names, ns) };
    }
    throw new Error(`no union branch ${key}`);
  }
  const t = typeof s === 'string' ? s : s.type;
  const inner = define(s, names, ns);
  if (typeof s === 'object' && s.logicalType === 'decimal' && (t === 'bytes' || t === 'fixed')) return unscaled(v);
  switch (t) {
    case 'null': return null;
    case 'boolean': case 'int': case 'string': case 'enum': return v;
    case 'long': return v; // BigInt, written unquoted below
    case 'float': case 'double': return floatJson(v);
    case 'bytes': case 'fixed': return Buffer.from(v).toString('hex');
    case 'array': return v.map((x) => canon(s.items, x, names, inner));
    case 'map': return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, canon(s.values, x, names, inner)]));
    case 'record': case 'error': {
      const o = {};
      for (const f of s.fields) o[f.name] = canon(f.type, v[f.name], names, inner);
      return o;
    }
    default:
      if (typeof t === 'object') return canon(t, v, names, ns); // {"type": {...}}
      throw new Error(`unknown type ${JSON.stringify(t)}`);
  }
}

function toJson(v) {
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof FloatText) return v.toJSON();
  if (Array.isArray(v)) return `[${v.map(toJson).join(',')}]`;
  if (v && typeof v === 'object') return `{${Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}:${toJson(x)}`).join(',')}}`;
  return JSON.stringify(v);
}

const [cmd, input, output] = process.argv.slice(2);
if (cmd === 'read') {
  let raw;
  const lines = [];
  const names = new Map();
  avsc
    .createFileDecoder(input, {
      codecs,
      parseHook: (schema) => {
        raw = schema;
        defineAll(raw, names, '');
        return avsc.Type.forSchema(schema, { typeHook, wrapUnions: true });
      },
    })
    .on('data', (v) => lines.push(toJson(canon(raw, v, names, ''))))
    .on('error', (e) => {
      console.error(`avsc: ${input}: ${e.message}`);
      process.exit(1);
    })
    .on('end', () => {
      fs.writeFileSync(output, lines.map((l) => l + '\n').join(''));
      console.log(`avsc read ${lines.length} records`);
    });
} else if (cmd === 'header') {
  // the header's avro.schema must be the file's text byte for byte; count the ids a reader finds
  const header = avsc.extractFileHeader(input, { decode: false });
  const stored = header.meta['avro.schema'];
  const given = fs.readFileSync(output);
  if (!stored.equals(given)) {
    console.error('avro.schema differs from the schema given to the writer');
    process.exit(1);
  }
  let ids = 0;
  const walk = (j) => {
    if (Array.isArray(j)) j.forEach(walk);
    else if (j && typeof j === 'object') {
      for (const k of ['field-id', 'element-id', 'key-id', 'value-id']) if (k in j) ids++;
      Object.values(j).forEach(walk);
    }
  };
  const parsed = JSON.parse(stored.toString('utf8'));
  walk(parsed);
  avsc.Type.forSchema(parsed, { typeHook }); // avsc accepts it as given
  console.log(ids);
} else {
  console.error('usage: avsc_peer.mjs read IN.avro OUT.jsonl | header IN.avro SCHEMA.avsc');
  process.exit(2);
}
