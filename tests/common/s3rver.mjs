// Starts s3rver (a local S3-compatible server) on 127.0.0.1 for the tests.
//   node tests/common/s3rver.mjs --dir D [--port 0] [--buckets a,b]
// Prints "READY <port>" once listening; stops cleanly on SIGTERM/SIGINT.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'package.json'));
const S3rver = require('s3rver');

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : def;
};
const dir = opt('--dir');
if (!dir) {
  console.error('usage: s3rver.mjs --dir D [--port 0] [--buckets a,b]');
  process.exit(2);
}
fs.mkdirSync(dir, { recursive: true });
const buckets = opt('--buckets', '').split(',').filter(Boolean).map((name) => ({ name }));
const server = new S3rver({
  port: Number(opt('--port', '0')),
  address: '127.0.0.1',
  directory: dir,
  silent: true,
  configureBuckets: buckets,
});
const addr = await server.run();
process.stdout.write(`READY ${addr.port}\n`);
const stop = async () => {
  try {
    await server.close();
  } finally {
    process.exit(0);
  }
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
