/*
 * S3 client: configuration (from arguments, and the AWS sources through store/aws_config.c) and
 * the request executor, a short loop over the shared HTTP client: prepare the attempt (resuming a
 * dropped download from the byte where it stopped), sign it (SigV4), perform it, classify the
 * outcome (S3 retries 5xx, 429, SlowDown and transport failures, never other 4xx).
 */
#include <ctype.h>
#include <stddef.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <zlib.h>

#include "core/crc32c.h"
#include "core/options.h"
#include "core/log.h"
#include "store/aws_config.h"
#include "store/s3_internal.h"
#include "store/xml.h"

/* ---- configuration --------------------------------------------------------------------------- */

void prestige_s3_config_init(prestige_s3_config_t *cfg) {
  if (cfg) *cfg = (prestige_s3_config_t)PRESTIGE_S3_CONFIG_INIT;
}

static int validate_s3_config(const prestige_s3_config_t *c, prestige_error_t *err) {
#define BAD(field, v) \
  return prestige_error_set(err, PRESTIGE_EINVAL, "S3 config %s must not be negative (got %lld)", field, (long long)(v))
  if (c->version != 1) PRESTIGE_TRY(OPTIONS_CHECK_VERSION(c, PRESTIGE_S3_CONFIG, "prestige_s3_config_t", err));
  if (c->concurrency < 0) BAD("concurrency", c->concurrency);
  if (c->max_retries < 0) BAD("max_retries", c->max_retries);
  if (c->retry_base_ms < 0) BAD("retry_base_ms", c->retry_base_ms);
  if (c->retry_max_ms < 0) BAD("retry_max_ms", c->retry_max_ms);
  if (c->connect_timeout_ms < 0) BAD("connect_timeout_ms", c->connect_timeout_ms);
  if (c->stall_timeout_ms < 0) BAD("stall_timeout_ms", c->stall_timeout_ms);
  if (c->force_path_style < -1 || c->force_path_style > 1)
    return prestige_error_set(err, PRESTIGE_EINVAL, "S3 config force_path_style must be -1, 0 or 1 (got %d)", c->force_path_style);
  if (c->version >= 2 && ((int)c->payload < PRESTIGE_S3_PAYLOAD_AUTO || (int)c->payload > PRESTIGE_S3_PAYLOAD_UNSIGNED))
    return prestige_error_set(err, PRESTIGE_EINVAL, "S3 config payload must be AUTO, SIGNED or UNSIGNED (got %d)", (int)c->payload);
  if (c->version >= 2 && ((int)c->checksum < PRESTIGE_S3_CHECKSUM_CRC32C || (int)c->checksum > PRESTIGE_S3_CHECKSUM_NONE))
    return prestige_error_set(err, PRESTIGE_EINVAL, "S3 config checksum must be CRC32C, CRC32 or NONE (got %d)", (int)c->checksum);
  if (c->version >= 2 && c->sign_payload && c->payload == PRESTIGE_S3_PAYLOAD_UNSIGNED)
    return prestige_error_set(err, PRESTIGE_EINVAL, "S3 config sign_payload and payload UNSIGNED contradict each other");
  return 0;
#undef BAD
}

static const char *env_nonempty(const char *name) {
  const char *v = getenv(name);
  return v && *v ? v : NULL;
}

/* Splits an endpoint URL into scheme, host[:port] and base path. */
static int parse_endpoint(prestige_s3_client_t *c, const char *url, prestige_error_t *err) {
  const char *p = strstr(url, "://");
  if (!p) return prestige_error_set(err, PRESTIGE_EINVAL, "S3 endpoint \"%s\" is not a URL (expected http(s)://host[:port])", url);
  size_t sl = (size_t)(p - url);
  if (!(sl == 4 && !strncasecmp(url, "http", 4)) && !(sl == 5 && !strncasecmp(url, "https", 5)))
    return prestige_error_set(err, PRESTIGE_EINVAL, "S3 endpoint \"%s\": scheme must be http or https", url);
  c->tls = sl == 5;
  c->scheme = strdup(c->tls ? "https" : "http");
  const char *h = p + 3;
  const char *slash = strchr(h, '/');
  size_t hl = slash ? (size_t)(slash - h) : strlen(h);
  if (hl == 0) return prestige_error_set(err, PRESTIGE_EINVAL, "S3 endpoint \"%s\" has no host", url);
  if (memchr(h, '@', hl)) return prestige_error_set(err, PRESTIGE_EINVAL, "S3 endpoint must not carry credentials");
  /* drop a default port so Host matches what curl sends */
  const char *colon = memrchr(h, ':', hl);
  if (colon && !memchr(colon, ']', (size_t)(h + hl - colon))) {
    const char *port = colon + 1;
    size_t pl = (size_t)(h + hl - port);
    if ((c->tls && pl == 3 && !strncmp(port, "443", 3)) || (!c->tls && pl == 2 && !strncmp(port, "80", 2))) hl = (size_t)(colon - h);
  }
  c->host = strndup(h, hl);
  const char *bp = slash ? slash : "";
  size_t bl = strlen(bp);
  while (bl && bp[bl - 1] == '/') bl--;
  c->base_path = strndup(bp, bl);
  return c->scheme && c->host && c->base_path ? 0 : prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
}

/* Tuning from the environment, for tools; a value the configuration sets explicitly wins. */
static void env_tuning(prestige_s3_client_t *c, const prestige_s3_config_t *cfg, const prestige_s3_config_t *defaults,
                       bool explicit_cfg) {
  const char *eps = env_nonempty("PRESTIGE_S3_PART_SIZE");
  if (eps && (!explicit_cfg || cfg->part_size == defaults->part_size)) {
    char *end;
    unsigned long long v = strtoull(eps, &end, 10);
    if (*end == 'k' || *end == 'K') v <<= 10;
    else if (*end == 'm' || *end == 'M') v <<= 20;
    if (v >= 4096) c->part_size = (size_t)v;
  }
  const char *ecc = env_nonempty("PRESTIGE_S3_CONCURRENCY");
  if (ecc && (!explicit_cfg || cfg->concurrency == defaults->concurrency) && atoi(ecc) > 0) c->concurrency = atoi(ecc);
  if (c->concurrency > S3_POOL_MAX / 2) c->concurrency = S3_POOL_MAX / 2;
}

/* Payload signing and checksum: the configuration's, else (at their defaults) the environment's;
 * a value the environment gets wrong is an error naming the variable. */
static int resolve_integrity(prestige_s3_client_t *c, const prestige_s3_config_t *cfg, prestige_error_t *err) {
  prestige_s3_payload_t pay = cfg->version >= 2 ? cfg->payload : PRESTIGE_S3_PAYLOAD_AUTO;
  prestige_s3_checksum_t sum = cfg->version >= 2 ? cfg->checksum : PRESTIGE_S3_CHECKSUM_CRC32C;
  if (cfg->sign_payload) pay = PRESTIGE_S3_PAYLOAD_SIGNED;
  const char *ep = env_nonempty("PRESTIGE_S3_PAYLOAD");
  if (ep && pay == PRESTIGE_S3_PAYLOAD_AUTO) {
    if (!strcasecmp(ep, "signed")) pay = PRESTIGE_S3_PAYLOAD_SIGNED;
    else if (!strcasecmp(ep, "unsigned")) pay = PRESTIGE_S3_PAYLOAD_UNSIGNED;
    else if (strcasecmp(ep, "auto"))
      return prestige_error_set(err, PRESTIGE_EINVAL, "PRESTIGE_S3_PAYLOAD must be signed, unsigned or auto (got \"%s\")", ep);
  }
  const char *ec = env_nonempty("PRESTIGE_S3_CHECKSUM");
  if (ec && sum == PRESTIGE_S3_CHECKSUM_CRC32C) {
    if (!strcasecmp(ec, "crc32")) sum = PRESTIGE_S3_CHECKSUM_CRC32;
    else if (!strcasecmp(ec, "none")) sum = PRESTIGE_S3_CHECKSUM_NONE;
    else if (strcasecmp(ec, "crc32c"))
      return prestige_error_set(err, PRESTIGE_EINVAL, "PRESTIGE_S3_CHECKSUM must be crc32c, crc32 or none (got \"%s\")", ec);
  }
  c->sign_payload = pay == PRESTIGE_S3_PAYLOAD_SIGNED || (pay == PRESTIGE_S3_PAYLOAD_AUTO && !c->tls);
  c->checksum = sum;
  return 0;
}

static http_verdict_t s3_classify(void *ud, const http_request_t *rq, const http_response_t *rs, int rc);

static int make_http(prestige_s3_client_t *c, const prestige_s3_config_t *cfg, prestige_error_t *err) {
  http_client_options_t ho;
  http_client_options_init(&ho);
  ho.pool_max = S3_POOL_MAX;
  ho.connect_timeout_ms = cfg->connect_timeout_ms > 0 ? cfg->connect_timeout_ms : 10000;
  ho.stall_timeout_ms = cfg->stall_timeout_ms > 0 ? cfg->stall_timeout_ms : 30000;
  PRESTIGE_TRY(http_client_new(&c->http, &ho, err));
  http_retry_policy_init(&c->retry);
  c->retry.max_attempts = (cfg->max_retries >= 0 ? cfg->max_retries : 6) + 1;
  c->retry.base_ms = cfg->retry_base_ms > 0 ? cfg->retry_base_ms : 100;
  c->retry.max_ms = cfg->retry_max_ms > 0 ? cfg->retry_max_ms : 10000;
  c->retry.retry_after_max_ms = c->retry.max_ms;
  c->retry.classify = s3_classify;
  return 0;
}

int prestige_s3_client_new(prestige_s3_client_t **out, const prestige_s3_config_t *cfg_in, prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  if (!out) return prestige_error_set(err, PRESTIGE_EINVAL, "prestige_s3_client_new: out is NULL");
  *out = NULL;
  prestige_s3_config_t defaults;
  prestige_s3_config_init(&defaults);
  const prestige_s3_config_t *cfg = cfg_in ? cfg_in : &defaults;
  PRESTIGE_TRY(validate_s3_config(cfg, err));
  prestige_s3_config_t upgraded;
  if (cfg->version == 1) { /* a version 1 struct ends before payload: the new fields take their defaults */
    upgraded = defaults;
    memcpy(&upgraded, cfg, offsetof(prestige_s3_config_t, payload));
    upgraded.version = PRESTIGE_S3_CONFIG_VERSION;
    cfg = &upgraded;
  }
  aws_config_explicit_t ex = {.profile = cfg->profile,
                              .region = cfg->region,
                              .endpoint = cfg->endpoint,
                              .access_key = cfg->access_key,
                              .secret_key = cfg->secret_key,
                              .session_token = cfg->session_token};
  aws_config_t aws;
  PRESTIGE_TRY(aws_config_resolve(&aws, &ex, err));
  prestige_s3_client_t *c = calloc(1, sizeof *c);
  if (!c) {
    aws_config_release(&aws);
    return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
  }
  atomic_init(&c->refs, 1);
  /* the client takes the resolved strings */
  c->region = aws.region;
  c->access_key = aws.access_key;
  c->secret_key = aws.secret_key;
  c->session_token = aws.session_token;
  bool custom = aws.endpoint != NULL;
  if (custom) {
    c->endpoint = aws.endpoint;
  } else {
    size_t n = strlen(c->region) + 32;
    if ((c->endpoint = malloc(n))) snprintf(c->endpoint, n, "https://s3.%s.amazonaws.com", c->region);
  }
  free(aws.profile);
  int rc = 0;
  if (!c->endpoint) {
    rc = prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
    goto fail;
  }
  if ((rc = parse_endpoint(c, c->endpoint, err))) goto fail;
  c->path_style = cfg->force_path_style < 0 ? custom : cfg->force_path_style != 0;
  if ((rc = resolve_integrity(c, cfg, err))) goto fail;
  c->part_size = cfg->part_size ? cfg->part_size : (8u << 20);
  c->concurrency = cfg->concurrency > 0 ? cfg->concurrency : 4;
  env_tuning(c, cfg, &defaults, cfg_in != NULL);
  if ((rc = make_http(c, cfg, err))) goto fail;
  *out = c;
  return 0;
fail:
  c->refs = 1;
  prestige_s3_client_free(c);
  return rc;
}

int prestige_s3_new_client(prestige_s3_client_t **out, const char *region, const char *endpoint,
                           const char *access_key, const char *secret_key, prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  prestige_s3_config_t cfg;
  prestige_s3_config_init(&cfg);
  cfg.region = region;
  cfg.endpoint = endpoint;
  cfg.access_key = access_key;
  cfg.secret_key = secret_key;
  return prestige_s3_client_new(out, &cfg, err);
}

prestige_s3_client_t *prestige_s3_client_ref(prestige_s3_client_t *c) {
  if (c) atomic_fetch_add(&c->refs, 1);
  return c;
}

void prestige_s3_client_free(prestige_s3_client_t *c) {
  if (!c || atomic_fetch_sub(&c->refs, 1) != 1) return;
  http_client_free(c->http);
  if (c->secret_key) explicit_bzero(c->secret_key, strlen(c->secret_key));
  if (c->session_token) explicit_bzero(c->session_token, strlen(c->session_token));
  free(c->region);
  free(c->scheme);
  free(c->host);
  free(c->base_path);
  free(c->endpoint);
  free(c->access_key);
  free(c->secret_key);
  free(c->session_token);
  free(c);
}

const char *prestige_s3_client_region(const prestige_s3_client_t *c) { return c->region; }
const char *prestige_s3_client_endpoint(const prestige_s3_client_t *c) { return c->endpoint; }

/* ---- helpers ---------------------------------------------------------------------------------- */

const char *s3_url(char *b, size_t cap, const char *bucket, const char *key) {
  snprintf(b, cap, "s3://%s/%s", bucket ? bucket : "", key ? key : "");
  return b;
}

int64_t s3_parse_time_ms(const char *s) { return prestige_time_parse_ms(s); }

#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

static void parse_error_body(const buf_t *b, s3_response_t *rs) {
  rs->code[0] = 0;
  rs->message[0] = 0;
  if (!b->len) return;
  xml_doc_t d;
  if (xml_parse(&d, (const char *)b->data, b->len, NULL)) return;
  int root = xml_child(&d, -1, "Error");
  if (root >= 0) {
    const char *code = xml_child_text(&d, root, "Code");
    const char *msg = xml_child_text(&d, root, "Message");
    const char *rid = xml_child_text(&d, root, "RequestId");
    if (code) snprintf(rs->code, sizeof rs->code, "%s", code);
    if (msg) snprintf(rs->message, sizeof rs->message, "%s", msg);
    if (rid && !rs->request_id[0]) snprintf(rs->request_id, sizeof rs->request_id, "%s", rid);
  }
  xml_free(&d);
}

static const char *status_default_code(long st) {
  switch (st) {
    case 301: return "PermanentRedirect";
    case 400: return "BadRequest";
    case 401: return "Unauthorized";
    case 403: return "AccessDenied";
    case 404: return "NotFound";
    case 405: return "MethodNotAllowed";
    case 409: return "Conflict";
    case 412: return "PreconditionFailed";
    case 416: return "InvalidRange";
    case 429: return "TooManyRequests";
    case 500: return "InternalError";
    case 503: return "ServiceUnavailable";
    default: return "";
  }
}

static int status_to_code(long st) {
  if (st == 404) return PRESTIGE_ENOTFOUND;
  if (st == 401 || st == 403) return PRESTIGE_EAUTH;
  if (st == 412) return PRESTIGE_EEXISTS;
  if (st == 409) return PRESTIGE_ECONFLICT;
  if (st == 416) return PRESTIGE_ECORRUPT;
  return PRESTIGE_EHTTP;
}

/* Builds the wire path "/bucket/key" (path style) or "/key" (virtual-hosted). */
static int build_path(const prestige_s3_client_t *c, const s3_request_t *rq, buf_t *path) {
  if (buf_append(path, c->base_path, strlen(c->base_path))) return PRESTIGE_ENOMEM;
  if (c->path_style || !rq->bucket) {
    if (rq->bucket) {
      if (buf_append_u8(path, '/') || sigv4_uri_encode(path, rq->bucket, strlen(rq->bucket), 0)) return PRESTIGE_ENOMEM;
    }
  }
  if (rq->key) {
    if (buf_append_u8(path, '/') || sigv4_uri_encode(path, rq->key, strlen(rq->key), 1)) return PRESTIGE_ENOMEM;
  } else if (!c->path_style || !rq->bucket) {
    if (buf_append_u8(path, '/')) return PRESTIGE_ENOMEM;
  }
  return buf_append_u8(path, 0);
}

const char *s3_checksum_header(prestige_s3_checksum_t alg) {
  return alg == PRESTIGE_S3_CHECKSUM_CRC32C ? "x-amz-checksum-crc32c" : alg == PRESTIGE_S3_CHECKSUM_CRC32 ? "x-amz-checksum-crc32" : NULL;
}
const char *s3_checksum_algorithm(prestige_s3_checksum_t alg) {
  return alg == PRESTIGE_S3_CHECKSUM_CRC32C ? "CRC32C" : alg == PRESTIGE_S3_CHECKSUM_CRC32 ? "CRC32" : NULL;
}
const char *s3_checksum_element(prestige_s3_checksum_t alg) {
  return alg == PRESTIGE_S3_CHECKSUM_CRC32C ? "ChecksumCRC32C" : alg == PRESTIGE_S3_CHECKSUM_CRC32 ? "ChecksumCRC32" : NULL;
}

/* Both digests advance over the same chunk while it is in cache: one read of the body (a file
 * range is read through a 256 KiB buffer). */
#define DIGEST_CHUNK (256u << 10)

int s3_body_digest(const prestige_s3_client_t *c, const uint8_t *data, size_t len, int fd, uint64_t off, char *sha256,
                   char *sum, prestige_error_t *err) {
  prestige_s3_checksum_t alg = sum ? c->checksum : PRESTIGE_S3_CHECKSUM_NONE;
  if (sum) sum[0] = 0;
  if (!sha256 && alg == PRESTIGE_S3_CHECKSUM_NONE) return 0;
  uint8_t *chunk = NULL;
  if (fd >= 0 && len && !(chunk = malloc(DIGEST_CHUNK))) return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
  int rc = 0;
  EVP_MD_CTX *ctx = NULL;
  if (sha256 && (!(ctx = EVP_MD_CTX_new()) || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)) {
    rc = prestige_error_set(err, PRESTIGE_EINTERNAL, "SHA-256 init failed");
    goto out;
  }
  uint32_t crc = 0;
  uLong zcrc = crc32(0L, Z_NULL, 0);
  for (size_t done = 0; done < len;) {
    size_t want = len - done < DIGEST_CHUNK ? len - done : DIGEST_CHUNK;
    const uint8_t *p = data ? data + done : NULL;
    if (fd >= 0) {
      ssize_t n = pread(fd, chunk, want, (off_t)(off + done));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        rc = prestige_error_set(err, PRESTIGE_EIO, "reading upload body: %s", n < 0 ? strerror(errno) : "file shrank");
        goto out;
      }
      want = (size_t)n;
      p = chunk;
    }
    if (ctx) EVP_DigestUpdate(ctx, p, want);
    if (alg == PRESTIGE_S3_CHECKSUM_CRC32C) crc = crc32c_update(crc, p, want);
    else if (alg == PRESTIGE_S3_CHECKSUM_CRC32) zcrc = crc32(zcrc, p, (uInt)want);
    done += want;
  }
  if (ctx) {
    unsigned char md[32];
    unsigned int ml = 0;
    EVP_DigestFinal_ex(ctx, md, &ml);
    for (int i = 0; i < 32; i++) sprintf(sha256 + 2 * i, "%02x", md[i]);
  }
  if (alg == PRESTIGE_S3_CHECKSUM_CRC32C) crc32c_base64(crc, sum);
  else if (alg == PRESTIGE_S3_CHECKSUM_CRC32) crc32c_base64((uint32_t)zcrc, sum); /* same text form: base64 of 4 BE bytes */
out:
  EVP_MD_CTX_free(ctx);
  free(chunk);
  return rc;
}

/* ---- executor --------------------------------------------------------------------------------- */

static bool code_retryable(const char *code) {
  static const char *const codes[] = {"SlowDown", "RequestTimeout", "InternalError", "ServiceUnavailable",
                                      "RequestTimeTooSkewed"};
  for (size_t i = 0; i < sizeof codes / sizeof *codes; i++)
    if (!strcmp(code, codes[i])) return true;
  return false;
}

/* S3 names some retryable conditions in the error body of a 4xx (400 RequestTimeout, 403
 * RequestTimeTooSkewed, 503 SlowDown is a 5xx anyway); every other 4xx is final. */
static http_verdict_t s3_classify(void *ud, const http_request_t *rq, const http_response_t *rs, int rc) {
  (void)ud;
  (void)rq;
  if (rc || rs->status < 400 || rs->status >= 500 || rs->status == 429) return HTTP_VERDICT_DEFAULT;
  s3_response_t tmp;
  parse_error_body(&rs->error_body, &tmp);
  return code_retryable(tmp.code) ? HTTP_VERDICT_RETRY : HTTP_VERDICT_DEFAULT;
}

/* What stays the same across attempts: the URL, the Host, the payload hash. */
typedef struct s3_target {
  char where[512];  /* "s3://bucket/key" for messages */
  char host[512];
  buf_t path;       /* wire path, NUL-terminated */
  buf_t url;
  char payload_hash[65];
  char checksum[16]; /* base64 flexible checksum of the body, "" when none is sent */
} s3_target_t;

static int s3_target_init(prestige_s3_client_t *c, const s3_request_t *rq, s3_target_t *t, prestige_error_t *err) {
  s3_url(t->where, sizeof t->where, rq->bucket, rq->key);
  buf_init(&t->path);
  buf_init(&t->url);
  if (rq->key && !*rq->key) return prestige_error_set(err, PRESTIGE_EINVAL, "S3 %s %s: empty key", rq->op, t->where);
  t->checksum[0] = 0;
  if (!rq->has_body) {
    strcpy(t->payload_hash, EMPTY_SHA256);
  } else {
    bool want_sha = c->sign_payload && !rq->payload_sha256;
    bool want_sum = rq->checksum && c->checksum != PRESTIGE_S3_CHECKSUM_NONE && !rq->checksum_value;
    if (want_sha || want_sum)
      PRESTIGE_TRY(s3_body_digest(c, rq->body_fd < 0 ? (rq->body_len ? rq->body : (const uint8_t *)"") : NULL, rq->body_len,
                                  rq->body_fd, rq->body_off, want_sha ? t->payload_hash : NULL, want_sum ? t->checksum : NULL, err));
    if (!c->sign_payload) strcpy(t->payload_hash, "UNSIGNED-PAYLOAD");
    else if (rq->payload_sha256) snprintf(t->payload_hash, sizeof t->payload_hash, "%s", rq->payload_sha256);
    if (rq->checksum && c->checksum != PRESTIGE_S3_CHECKSUM_NONE && rq->checksum_value)
      snprintf(t->checksum, sizeof t->checksum, "%s", rq->checksum_value);
  }
  if (!c->path_style && rq->bucket) snprintf(t->host, sizeof t->host, "%s.%s", rq->bucket, c->host);
  else snprintf(t->host, sizeof t->host, "%s", c->host);
  if (build_path(c, rq, &t->path) || buf_append(&t->url, c->scheme, strlen(c->scheme)) || buf_append(&t->url, "://", 3) ||
      buf_append(&t->url, t->host, strlen(t->host)) || buf_append(&t->url, t->path.data, t->path.len - 1) ||
      (rq->query && *rq->query && (buf_append_u8(&t->url, '?') || buf_append(&t->url, rq->query, strlen(rq->query)))) ||
      buf_append_u8(&t->url, 0))
    return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
  return 0;
}

static void s3_target_release(s3_target_t *t) {
  buf_release(&t->path);
  buf_release(&t->url);
}

/* Where a GET that lost its connection continues: the bytes delivered so far, the end of the
 * wanted range once known, and the version (ETag) it must still be. */
typedef struct s3_resume {
  bool resumable;
  uint64_t delivered;
  uint64_t total;  /* exclusive absolute end of the wanted bytes */
  bool have_total;
  char etag[160];
} s3_resume_t;

#define S3_MAX_HEADERS 24

/* One attempt's headers: Host, the payload hash, Range and If-Match for ranges and resumptions,
 * the caller's, then (after signing) Authorization, X-Amz-Date and the session token. */
typedef struct s3_attempt {
  sigv4_header_t signed_h[S3_MAX_HEADERS];
  size_t n_signed;
  http_header_t wire[S3_MAX_HEADERS + 3];
  size_t n_wire;
  char range[96];
  char if_match[176];
  sigv4_output_t so;
} s3_attempt_t;

static void s3_prepare(const prestige_s3_client_t *c, const s3_request_t *rq, const s3_target_t *t, s3_resume_t *rz,
                       s3_attempt_t *a, http_request_t *hrq) {
  memset(a, 0, sizeof *a);
  if (!rz->resumable || !rz->have_total) rz->delivered = 0; /* restart from scratch */
  a->signed_h[a->n_signed++] = (sigv4_header_t){"host", t->host};
  a->signed_h[a->n_signed++] = (sigv4_header_t){"x-amz-content-sha256", t->payload_hash};
  if (t->checksum[0]) { /* S3 flexible checksums, as the SDKs send them (signed, like every x-amz- header) */
    a->signed_h[a->n_signed++] = (sigv4_header_t){s3_checksum_header(c->checksum), t->checksum};
    a->signed_h[a->n_signed++] = (sigv4_header_t){"x-amz-sdk-checksum-algorithm", s3_checksum_algorithm(c->checksum)};
  }
  bool sent_range = rq->has_range || (rz->resumable && rz->delivered > 0);
  if (sent_range) {
    uint64_t start = (rq->has_range ? rq->range_off : 0) + rz->delivered;
    snprintf(a->range, sizeof a->range, "bytes=%llu-%llu", (unsigned long long)start,
             (unsigned long long)(rz->total ? rz->total - 1 : 0));
    a->signed_h[a->n_signed++] = (sigv4_header_t){"range", a->range};
  }
  const char *im = rq->if_match ? rq->if_match : (rz->delivered > 0 && rz->etag[0] ? rz->etag : NULL);
  if (im) {
    snprintf(a->if_match, sizeof a->if_match, "\"%s\"", im);
    a->signed_h[a->n_signed++] = (sigv4_header_t){"if-match", a->if_match};
  }
  for (size_t i = 0; i < rq->n_headers && a->n_signed < S3_MAX_HEADERS - 4; i++) a->signed_h[a->n_signed++] = rq->headers[i];
  hrq->expect_partial = sent_range;
  hrq->out_pos = rz->delivered;
}

static int s3_sign(const prestige_s3_client_t *c, const s3_request_t *rq, const s3_target_t *t, s3_attempt_t *a,
                   prestige_error_t *err) {
  if (c->access_key) {
    sigv4_input_t si = {.method = rq->method,
                        .path = (const char *)t->path.data,
                        .query = rq->query,
                        .headers = a->signed_h,
                        .n_headers = a->n_signed,
                        .payload_hash = t->payload_hash,
                        .access_key = c->access_key,
                        .secret_key = c->secret_key,
                        .session_token = c->session_token,
                        .region = c->region,
                        .service = "s3",
                        .unix_time = prestige_now_ms() / 1000,
                        .normalize_path = 0,
                        .double_encode = 0};
    PRESTIGE_TRY(sigv4_sign(&si, &a->so, err));
    a->wire[a->n_wire++] = (http_header_t){"Authorization", a->so.authorization};
    a->wire[a->n_wire++] = (http_header_t){"X-Amz-Date", a->so.amz_date};
    if (c->session_token) a->wire[a->n_wire++] = (http_header_t){"X-Amz-Security-Token", c->session_token};
  }
  for (size_t i = 0; i < a->n_signed; i++)
    a->wire[a->n_wire++] = (http_header_t){!strcmp(a->signed_h[i].name, "host") ? "Host" : a->signed_h[i].name,
                                           a->signed_h[i].value};
  return 0;
}

static void copy_header(char *dst, size_t cap, const char *v) {
  size_t n = v ? strlen(v) : 0;
  if (n >= 2 && v[0] == '"' && v[n - 1] == '"') {
    v++;
    n -= 2;
  }
  if (n >= cap) n = cap - 1;
  if (n) memcpy(dst, v, n);
  dst[n] = 0;
}

static void s3_response_fill(s3_response_t *rs, const http_response_t *hr) {
  rs->status = hr->status;
  copy_header(rs->etag, sizeof rs->etag, http_response_header(hr, "etag"));
  copy_header(rs->request_id, sizeof rs->request_id, http_response_header(hr, "x-amz-request-id"));
  rs->has_content_length = hr->has_content_length;
  rs->content_length = hr->content_length;
  rs->total_size = hr->range_total;
  const char *lm = http_response_header(hr, "last-modified");
  rs->last_modified_ms = lm ? s3_parse_time_ms(lm) : -1;
}

/* The error of a failed attempt, in S3's terms; remembers where a dropped download stopped. */
static int s3_classify_failure(const prestige_s3_client_t *c, const s3_request_t *rq, const s3_target_t *t, int rc,
                               const http_response_t *hr, s3_response_t *rs, s3_resume_t *rz, prestige_error_t *err) {
  if (rc) {
    char what[CURL_ERROR_SIZE + 64];
    http_failure_describe(&(http_request_t){.method = rq->method}, hr, what, sizeof what);
    if (hr->transport == CURLE_OK || hr->write_errno || hr->read_errno || hr->overflow || hr->range_ignored)
      return prestige_error_set(err, rc, "S3 %s %s: %s", rq->op, t->where, what);
    rc = prestige_error_set(err, rc, "S3 %s %s: %s (endpoint %s)", rq->op, t->where, what, c->endpoint);
    if (rz->resumable && hr->delivered > 0 && hr->status >= 200 && hr->status < 300) {
      if (!rz->have_total) {
        uint64_t total = rs->total_size ? rs->total_size : (rs->has_content_length ? rs->content_length : 0);
        if (total) {
          rz->total = total;
          rz->have_total = true;
        }
      }
      if (!rz->etag[0] && rs->etag[0]) snprintf(rz->etag, sizeof rz->etag, "%s", rs->etag);
    }
    return rc;
  }
  long st = hr->status;
  parse_error_body(&hr->error_body, rs);
  if (!rs->code[0]) snprintf(rs->code, sizeof rs->code, "%s", st == 404 && rq->key ? "NoSuchKey" : status_default_code(st));
  int code = status_to_code(st);
  if (st == 412 && rz->delivered > 0) code = PRESTIGE_ECONFLICT; /* changed while being resumed */
  rc = prestige_error_set(err, code, "S3 %s %s: HTTP %ld %s%s%s%s%s%s", rq->op, t->where, st, rs->code,
                          rs->message[0] ? ": " : "", rs->message, rs->request_id[0] ? " (request id " : "", rs->request_id,
                          rs->request_id[0] ? ")" : "");
  if ((st == 401 || st == 403) && !c->access_key)
    prestige_error_prefix(err, "no S3 credentials found (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY or AWS_PROFILE)");
  return rc;
}

static void s3_record(const s3_request_t *rq, const http_response_t *hr, int rc) {
  char stbuf[16];
  snprintf(stbuf, sizeof stbuf, "%ld", rc && hr->transport != CURLE_OK ? 0L : hr->status);
  prestige_label_t lb[2] = {{"op", rq->op}, {"status", stbuf}};
  prestige_metrics_counter_add("prestige.s3.requests", lb, 2, 1);
  prestige_metrics_histogram_record("prestige.s3.request_duration_ms", lb, 1, (double)hr->duration_ns / 1e6);
}

int s3_execute(prestige_s3_client_t *c, const s3_request_t *rq, s3_response_t *rs, prestige_error_t *err) {
  memset(rs, 0, sizeof *rs);
  rs->last_modified_ms = -1;
  s3_target_t t;
  int rc = s3_target_init(c, rq, &t, err);
  if (rc) {
    s3_target_release(&t);
    return rc;
  }
  memcpy(rs->checksum, t.checksum, sizeof rs->checksum);
  http_request_t hrq;
  http_request_init(&hrq, rq->method, (const char *)t.url.data);
  hrq.idempotent = HTTP_IDEMPOTENT_YES; /* every S3 request may be sent twice (the SDKs retry them all) */
  hrq.has_body = rq->has_body;
  hrq.body = (http_body_t){.data = rq->body, .len = rq->body_len, .fd = rq->body_fd, .fd_off = rq->body_off};
  hrq.out = (http_output_t){.mem = rq->dst, .mem_len = rq->dst_len, .fd = rq->out_fd, .fd_off = rq->out_off,
                            .buf = rq->dst || rq->out_fd >= 0 ? NULL : rq->out, .buf_max = rq->out_max,
                            .progress = rq->progress};
  http_response_t hr;
  http_response_init(&hr);
  size_t out_base = rq->out ? rq->out->len : 0;
  s3_resume_t rz = {.resumable = !strcmp(rq->method, "GET") && rq->key && (rq->dst || rq->out_fd >= 0 || rq->out)};
  if (rq->has_range) {
    rz.total = rq->range_off + rq->range_len;
    rz.have_total = true;
  }
  s3_attempt_t a;
  for (int attempt = 1;; attempt++) {
    rs->attempts = attempt;
    if ((!rz.resumable || !rz.have_total) && rq->out) rq->out->len = out_base;
    s3_prepare(c, rq, &t, &rz, &a, &hrq);
    if ((rc = s3_sign(c, rq, &t, &a, err))) break;
    hrq.headers = a.wire;
    hrq.n_headers = a.n_wire;
    int xrc = rc = http_exchange(c->http, &hrq, &hr, err);
    sigv4_output_free(&a.so);
    rz.delivered += hr.delivered;
    s3_response_fill(rs, &hr);
    s3_record(rq, &hr, rc);
    if (!rc && hr.status >= 200 && hr.status < 300) {
      if (rq->dst && rz.delivered != rq->dst_len)
        rc = prestige_error_set(err, PRESTIGE_ECORRUPT, "S3 %s %s: short read, got %llu of %zu bytes (object smaller than the range?)",
                                rq->op, t.where, (unsigned long long)rz.delivered, rq->dst_len);
      break;
    }
    rc = s3_classify_failure(c, rq, &t, rc, &hr, rs, &rz, err);
    if (!http_should_retry(&c->retry, &hrq, &hr, xrc, attempt)) {
      if (http_retryable(&c->retry, &hrq, &hr, xrc)) prestige_error_prefix(err, "gave up after %d attempts", attempt);
      break;
    }
    prestige_label_t lb[1] = {{"op", rq->op}};
    prestige_metrics_counter_add("prestige.s3.retries", lb, 1, 1);
    LOG_WARN("%s (attempt %d of %d; retrying)", err ? err->message : rq->op, attempt, c->retry.max_attempts);
    if ((rc = http_backoff_wait(&c->retry, attempt, &hr, err))) break;
  }
  http_response_release(&hr);
  s3_target_release(&t);
  return rc;
}
