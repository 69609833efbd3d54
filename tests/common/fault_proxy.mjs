// A fault-injecting HTTP proxy in front of an S3-compatible server, for the tests (loopback only).
//   node tests/common/fault_proxy.mjs --upstream http://127.0.0.1:PORT [--port 0]
// Prints "READY <port>". Control API (never forwarded):
//   POST /__proxy/faults  JSON array of rules, appended     POST /__proxy/reset  clears rules and log
//   GET  /__proxy/log     every request seen                GET  /__proxy/aborted  aborted upload ids
// Rule: {"match": {"method", "path" (regex), "query" (substring), "header" (name present)},
//        "times": N (default 1, -1 forever), "action": {...}} with actions
//   {"type":"status","status":503,"code":"SlowDown","message":"..."}   reply with an S3 XML error
//   {"type":"status_after","status":503}                                forward, then reply the status instead
//   {"type":"drop_request"}                                             close without replying
//   {"type":"drop_response","after_bytes":K}                            forward, cut the body after K bytes
//   {"type":"delay","ms":M}                                             wait, then forward
//   {"type":"slow_body","bytes_per_sec":B}                              forward, throttled
//   {"type":"reply","status":200,"body":"..."}                          a canned reply (malformed XML...)
//   {"type":"corrupt_body","offset":K}                                  flips byte K (default: the middle) of the
//                                                                       request body, as if damaged in transit
// Always on, emulating what real S3 does and s3rver does not: If-None-Match: * on PUT and on
// CompleteMultipartUpload (412 PreconditionFailed when the key exists, serialised per key),
// AbortMultipartUpload (204; the upload id is then unknown: 404 NoSuchUpload), and suffix ranges
// (bytes=-N becomes an explicit range computed from the object size). Also always on, as S3 does:
// a hex x-amz-content-sha256 must be the body's SHA-256 (400 XAmzContentSHA256Mismatch), an
// x-amz-checksum-crc32c / -crc32 must be the body's (400 BadDigest), and the part checksums listed
// in CompleteMultipartUpload must be the ones the parts were sent with (400 InvalidPart).
// POST /__proxy/config {"sigv4_secret": "..."} also verifies every SigV4 Authorization header
// (403 SignatureDoesNotMatch; 403 AccessDenied when an x-amz-* header is not signed), an
// implementation independent of prestige's. Log entries carry content_sha256, checksum_alg,
// checksum_ok, sdk_checksum_algorithm, signed_headers, sig ("ok" | "none") and complete_checksums.
import crypto from 'node:crypto';
import http from 'node:http';

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : def;
};
const upstream = new URL(opt('--upstream', ''));
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
let rules = [];
let log = [];
const aborted = new Set();
const keyLocks = new Map();
let reqSeq = 0;
let sigv4Secret = null;
const partSums = new Map(); // uploadId -> Map(partNumber -> {element, value})

function crcTable(poly) {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ poly : c >>> 1;
    t[i] = c >>> 0;
  }
  return t;
}
const CRC_TABLES = { crc32c: crcTable(0x82f63b78), crc32: crcTable(0xedb88320) };
function crcBase64(alg, buf) {
  const t = CRC_TABLES[alg];
  let c = 0xffffffff;
  for (let i = 0; i < buf.length; i++) c = t[(c ^ buf[i]) & 0xff] ^ (c >>> 8);
  const out = Buffer.alloc(4);
  out.writeUInt32BE((c ^ 0xffffffff) >>> 0);
  return out.toString('base64');
}
const sha256hex = (b) => crypto.createHash('sha256').update(b).digest('hex');
const hmac = (k, m) => crypto.createHmac('sha256', k).update(m).digest();
const enc3986 = (s) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());

// SigV4 (S3 flavour: the path as sent, no normalisation): null when it verifies, else why not.
function sigv4Problem(req, rawPath, rawQuery) {
  const auth = req.headers.authorization || '';
  const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(auth);
  if (!m) return ['AccessDenied', 'no SigV4 Authorization header'];
  const [, , date, region, service, signedList, sig] = m;
  const signed = signedList.split(';');
  for (const h of Object.keys(req.headers))
    if (h.startsWith('x-amz-') && !signed.includes(h)) return ['AccessDenied', `There were headers present in the request which were not signed: ${h}`];
  const q = rawQuery.split('&').filter(Boolean).map((kv) => {
    const i = kv.indexOf('=');
    const k = decodeURIComponent(i < 0 ? kv : kv.slice(0, i));
    const v = i < 0 ? '' : decodeURIComponent(kv.slice(i + 1));
    return [enc3986(k), enc3986(v)];
  }).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  const headers = signed.map((h) => `${h}:${String(req.headers[h] ?? '').trim().replace(/\s+/g, ' ')}\n`).join('');
  const canonical = [req.method, rawPath, q.map(([k, v]) => `${k}=${v}`).join('&'), headers, signedList,
    req.headers['x-amz-content-sha256'] || ''].join('\n');
  const sts = ['AWS4-HMAC-SHA256', req.headers['x-amz-date'] || '', `${date}/${region}/${service}/aws4_request`, sha256hex(canonical)].join('\n');
  const key = hmac(hmac(hmac(hmac('AWS4' + sigv4Secret, date), region), service), 'aws4_request');
  if (hmac(key, sts).toString('hex') !== sig) return ['SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided.'];
  return null;
}

// What S3 checks of a request's integrity before acting on it: the reply to send instead, or null.
function integrityProblem(req, u, body, entry) {
  const raw = req.url.split('?');
  entry.signed_headers = (/SignedHeaders=([^,]+)/.exec(req.headers.authorization || '') || [])[1] || null;
  if (sigv4Secret !== null) {
    const p = sigv4Problem(req, raw[0], raw[1] || '');
    entry.sig = p ? 'bad' : 'ok';
    if (p) return [403, ...p];
  }
  const cs = req.headers['x-amz-content-sha256'];
  entry.content_sha256 = cs || null;
  if (cs && /^[0-9a-fA-F]{64}$/.test(cs) && cs.toLowerCase() !== sha256hex(body))
    return [400, 'XAmzContentSHA256Mismatch', "The provided 'x-amz-content-sha256' header does not match what was computed."];
  entry.sdk_checksum_algorithm = req.headers['x-amz-sdk-checksum-algorithm'] || null;
  entry.checksum_algorithm = req.headers['x-amz-checksum-algorithm'] || null; // CreateMultipartUpload
  for (const alg of ['crc32c', 'crc32']) {
    const v = req.headers[`x-amz-checksum-${alg}`];
    if (v === undefined) continue;
    entry.checksum_alg = alg;
    entry.checksum_ok = crcBase64(alg, body) === v;
    if (!entry.checksum_ok) return [400, 'BadDigest', `The ${alg.toUpperCase()} you specified did not match the calculated checksum.`];
    const uploadId = u.searchParams.get('uploadId');
    const part = u.searchParams.get('partNumber');
    if (req.method === 'PUT' && uploadId && part) {
      if (!partSums.has(uploadId)) partSums.set(uploadId, new Map());
      partSums.get(uploadId).set(Number(part), { element: `Checksum${alg.toUpperCase()}`, value: v });
    }
  }
  const uploadId = u.searchParams.get('uploadId');
  if (req.method === 'POST' && uploadId && partSums.has(uploadId)) {
    const sums = partSums.get(uploadId);
    let n = 0;
    for (const [, part] of body.toString().matchAll(/<Part>([\s\S]*?)<\/Part>/g)) {
      const num = Number((/<PartNumber>(\d+)<\/PartNumber>/.exec(part) || [])[1]);
      const want = sums.get(num);
      if (!want) continue;
      const got = (new RegExp(`<${want.element}>([^<]*)</${want.element}>`).exec(part) || [])[1];
      if (got !== want.value) return [400, 'InvalidPart', `part ${num}: ${want.element} ${got ?? 'missing'}, the part was sent with ${want.value}`];
      n++;
    }
    entry.complete_checksums = n;
  }
  return null;
}

function s3Error(res, status, code, message) {
  const id = `proxy-${++reqSeq}`;
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>${id}</RequestId></Error>`;
  res.writeHead(status, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body), 'x-amz-request-id': id });
  res.end(body);
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const want = req.headers['content-length'];
      // never forward a body cut short by a client that gave up (real S3 rejects it too)
      if (!req.complete || (want !== undefined && Number(want) !== body.length)) reject(new Error('incomplete body'));
      else resolve(body);
    });
    req.on('aborted', () => reject(new Error('client aborted')));
    req.on('error', reject);
  });
}

function findRule(req, u) {
  for (const r of rules) {
    if (r.times === 0) continue;
    const m = r.match || {};
    if (m.method && m.method !== req.method) continue;
    if (m.path && !new RegExp(m.path).test(decodeURIComponent(u.pathname))) continue;
    if (m.query && !u.search.includes(m.query)) continue;
    if (m.header && !(m.header.toLowerCase() in req.headers)) continue;
    if (r.times > 0) r.times--;
    return r;
  }
  return null;
}

function upstreamRequest(method, pathAndQuery, headers, body) {
  return new Promise((resolve, reject) => {
    const h = { ...headers, host: upstream.host };
    delete h['if-none-match'];
    delete h['connection'];
    if (body) h['content-length'] = String(body.length);
    const r = http.request({ host: upstream.hostname, port: upstream.port, method, path: pathAndQuery, headers: h, agent }, resolve);
    r.on('error', reject);
    if (body && body.length) r.write(body);
    r.end();
  });
}

async function headStatus(pathname, headers) {
  const h = { ...headers };
  delete h.range;
  delete h['content-length'];
  const r = await upstreamRequest('HEAD', pathname, h, null);
  r.resume();
  return { status: r.statusCode, size: Number(r.headers['content-length'] || 0) };
}

async function withKeyLock(key, fn) {
  while (keyLocks.has(key)) await keyLocks.get(key);
  let release;
  keyLocks.set(key, new Promise((r) => (release = r)));
  try {
    return await fn();
  } finally {
    keyLocks.delete(key);
    release();
  }
}

async function forward(req, res, u, body, entry, action) {
  const headers = { ...req.headers };
  for (const k of Object.keys(headers)) if (headers[k] === undefined) delete headers[k];
  const up = await upstreamRequest(req.method, u.pathname + u.search, headers, req.method === 'GET' || req.method === 'HEAD' ? null : body);
  entry.status = up.statusCode;
  if (action && action.type === 'status_after') { // the upstream acted on it; the client sees an error
    up.resume();
    entry.status = action.status;
    entry.upstream_status = up.statusCode;
    return s3Error(res, action.status, action.code || 'InternalError', action.message || 'injected fault after forwarding');
  }
  const outHeaders = { ...up.headers };
  delete outHeaders['connection'];
  delete outHeaders['keep-alive'];
  res.writeHead(up.statusCode, outHeaders);
  if (action && action.type === 'drop_response') {
    let sent = 0;
    const limit = action.after_bytes || 0;
    up.on('data', (c) => {
      if (sent >= limit) return;
      const take = Math.min(c.length, limit - sent);
      res.write(c.subarray(0, take));
      sent += take;
      entry.resp_bytes = sent;
      if (sent >= limit) {
        up.destroy();
        res.socket.destroy();
      }
    });
    up.on('end', () => {
      res.socket.destroy();
    });
    return;
  }
  if (action && action.type === 'slow_body') {
    const bps = action.bytes_per_sec || 1024;
    up.pause();
    const chunks = [];
    up.on('data', (c) => chunks.push(c));
    up.on('end', async () => {
      const all = Buffer.concat(chunks);
      const step = Math.max(1, Math.floor(bps / 10));
      for (let off = 0; off < all.length; off += step) {
        if (res.destroyed) return;
        res.write(all.subarray(off, off + step));
        entry.resp_bytes += Math.min(step, all.length - off);
        await new Promise((r) => setTimeout(r, 100));
      }
      res.end();
    });
    up.resume();
    return;
  }
  up.on('data', (c) => (entry.resp_bytes += c.length));
  up.pipe(res);
}

async function handle(req, res) {
  const u = new URL(req.url, 'http://proxy');
  if (u.pathname.startsWith('/__proxy/')) {
    const body = await readBody(req);
    const what = u.pathname.slice(9);
    if (req.method === 'POST' && what === 'faults') {
      for (const r of JSON.parse(body.toString() || '[]')) rules.push({ times: 1, ...r });
    } else if (req.method === 'POST' && what === 'config') {
      const c = JSON.parse(body.toString() || '{}');
      if ('sigv4_secret' in c) sigv4Secret = c.sigv4_secret;
    } else if (req.method === 'POST' && what === 'reset') {
      rules = [];
      log = [];
    } else if (req.method === 'GET' && what === 'log') {
      return res.end(JSON.stringify(log));
    } else if (req.method === 'GET' && what === 'aborted') {
      return res.end(JSON.stringify([...aborted]));
    } else {
      res.writeHead(404);
      return res.end('unknown control request');
    }
    return res.end('{}');
  }
  const entry = { method: req.method, path: decodeURIComponent(u.pathname), query: u.search.slice(1), range: req.headers.range || null,
    idem: req.headers['idempotency-key'] || null,
    status: null, req_bytes: 0, resp_bytes: 0, fault: null };
  log.push(entry);
  let body;
  try {
    body = await readBody(req);
  } catch (e) {
    entry.fault = 'client_aborted';
    return req.socket.destroy();
  }
  entry.req_bytes = body.length;
  const rule = findRule(req, u);
  const action = rule ? rule.action : null;
  if (action) entry.fault = action.type;
  if (action && action.type === 'status') {
    entry.status = action.status;
    return s3Error(res, action.status, action.code || 'InternalError', action.message || 'injected fault');
  }
  if (action && action.type === 'reply') { // a canned reply, e.g. a malformed or truncated XML body
    entry.status = action.status || 200;
    const b = Buffer.from(action.body || '');
    res.writeHead(entry.status, { 'content-type': 'application/xml', 'content-length': b.length });
    return res.end(b);
  }
  if (action && action.type === 'drop_request') {
    return req.socket.destroy();
  }
  if (action && action.type === 'delay') await new Promise((r) => setTimeout(r, action.ms || 0));
  if (action && action.type === 'corrupt_body' && body.length) {
    body = Buffer.from(body);
    body[Math.min(body.length - 1, action.offset ?? body.length >> 1)] ^= 0xff;
  }
  const problem = integrityProblem(req, u, body, entry);
  if (problem) {
    entry.status = problem[0];
    return s3Error(res, problem[0], problem[1], problem[2]);
  }

  const uploadId = u.searchParams.get('uploadId');
  if (uploadId && req.method === 'DELETE') {
    aborted.add(uploadId);
    entry.status = 204;
    res.writeHead(204);
    return res.end();
  }
  if (uploadId && aborted.has(uploadId)) {
    entry.status = 404;
    return s3Error(res, 404, 'NoSuchUpload', 'The specified upload does not exist.');
  }
  const range = req.headers.range;
  if (req.method === 'GET' && range && /^bytes=-\d+$/.test(range)) {
    const n = Number(range.slice(7));
    const { status, size } = await headStatus(u.pathname, req.headers);
    if (status !== 200) {
      entry.status = status;
      return s3Error(res, status, status === 404 ? 'NoSuchKey' : 'Error', 'HEAD for suffix range failed');
    }
    const start = Math.max(0, size - n);
    req.headers.range = `bytes=${start}-${size - 1}`;
  }
  const conditional = req.headers['if-none-match'] === '*' &&
    (req.method === 'PUT' || (req.method === 'POST' && uploadId));
  if (conditional) {
    return withKeyLock(u.pathname, async () => {
      const { status } = await headStatus(u.pathname, req.headers);
      if (status === 200) {
        entry.status = 412;
        return s3Error(res, 412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold');
      }
      await forward(req, res, u, body, entry, action);
      await new Promise((r) => (res.writableFinished ? r() : res.on('finish', r).on('close', r)));
    });
  }
  return forward(req, res, u, body, entry, action);
}

const server = http.createServer((req, res) => {
  handle(req, res).catch((e) => {
    try {
      s3Error(res, 502, 'ProxyError', String(e && e.message));
    } catch {
      res.destroy();
    }
  });
});
server.keepAliveTimeout = 30000;
server.listen(Number(opt('--port', '0')), '127.0.0.1', () => {
  process.stdout.write(`READY ${server.address().port}\n`);
});
const stop = () => server.close(() => process.exit(0)) && setTimeout(() => process.exit(0), 500);
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
