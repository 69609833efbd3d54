// Independent check of ARROW:schema bytes: Arrow's own JavaScript implementation parses the
// base64 value given in the file argv[2] and prints the schema as JSON.
import { readFileSync } from 'node:fs';
import { RecordBatchReader } from 'apache-arrow';

const b64 = readFileSync(process.argv[2], 'utf8').trim();
const msg = Buffer.from(b64, 'base64');
const eos = Buffer.from([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]);
const reader = RecordBatchReader.from(Buffer.concat([msg, eos]));
reader.open();
const field = (f) => ({
  name: f.name,
  type: String(f.type),
  nullable: f.nullable,
  metadata: Object.fromEntries(f.metadata),
  children: (f.type.children || []).map(field),
});
console.log(JSON.stringify({ fields: reader.schema.fields.map(field), metadata: Object.fromEntries(reader.schema.metadata) }));
