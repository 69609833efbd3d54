/*
 * S3 client: configuration from arguments and the standard AWS sources, a pool of reusable curl
 * handles (connections and TLS sessions survive between requests), and the request executor:
 * SigV4 signing, retries with exponential backoff and jitter on transport failures, 5xx, 429 and
 * SlowDown, and downloads resumed from the byte where a dropped connection stopped them.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "core/log.h"
#include "store/s3_internal.h"
#include "store/xml.h"

/* ---- configuration --------------------------------------------------------------------------- */

void prestige_s3_config_init(prestige_s3_config_t *cfg) {
  memset(cfg, 0, sizeof *cfg);
  cfg->force_path_style = -1;
  cfg->part_size = 8u << 20;
  cfg->concurrency = 4;
  cfg->max_retries = 6;
  cfg->retry_base_ms = 100;
  cfg->retry_max_ms = 10000;
  cfg->connect_timeout_ms = 10000;
  cfg->stall_timeout_ms = 30000;
}

static const char *env_nonempty(const char *name) {
  const char *v = getenv(name);
  return v && *v ? v : NULL;
}

typedef struct profile_vals {
  char *access_key, *secret_key, *session_token, *region, *endpoint;
} profile_vals_t;

static void profile_vals_free(profile_vals_t *p) {
  free(p->access_key);
  if (p->secret_key) explicit_bzero(p->secret_key, strlen(p->secret_key));
  free(p->secret_key);
  free(p->session_token);
  free(p->region);
  free(p->endpoint);
}

static char *trim(char *s) {
  while (isspace((unsigned char)*s)) s++;
  size_t n = strlen(s);
  while (n && isspace((unsigned char)s[n - 1])) s[--n] = 0;
  return s;
}

/* Reads the [section] of an AWS INI file (credentials: "[name]"; config: "[profile name]" or
 * "[default]"). Missing files are not an error. Values already set are kept. */
static void read_profile(const char *path, const char *profile, bool config_style, profile_vals_t *out) {
  FILE *f = fopen(path, "r");
  if (!f) return;
  char line[4096];
  bool in = false;
  while (fgets(line, sizeof line, f)) {
    char *s = trim(line);
    if (*s == '#' || *s == ';' || !*s) continue;
    if (*s == '[') {
      char *e = strchr(s, ']');
      if (!e) {
        in = false;
        continue;
      }
      *e = 0;
      char *name = trim(s + 1);
      if (config_style && strcmp(profile, "default") != 0) {
        in = strncmp(name, "profile", 7) == 0 && isspace((unsigned char)name[7]) && !strcmp(trim(name + 8), profile);
      } else if (config_style) {
        in = !strcmp(name, "default") || (!strncmp(name, "profile", 7) && isspace((unsigned char)name[7]) &&
                                          !strcmp(trim(name + 8), "default"));
      } else {
        in = !strcmp(name, profile);
      }
      continue;
    }
    if (!in || isspace((unsigned char)line[0])) continue; /* nested (indented) sub-settings are skipped */
    char *eq = strchr(s, '=');
    if (!eq) continue;
    *eq = 0;
    char *k = trim(s), *v = trim(eq + 1);
    char **slot = !strcmp(k, "aws_access_key_id")       ? &out->access_key
                  : !strcmp(k, "aws_secret_access_key") ? &out->secret_key
                  : !strcmp(k, "aws_session_token")     ? &out->session_token
                  : !strcmp(k, "region")                ? &out->region
                  : !strcmp(k, "endpoint_url")          ? &out->endpoint
                                                        : NULL;
    if (slot && !*slot && *v) *slot = strdup(v);
  }
  explicit_bzero(line, sizeof line);
  fclose(f);
}

static void load_profile(const char *profile_name, profile_vals_t *pv) {
  const char *home = getenv("HOME");
  char path[4096];
  const char *creds = env_nonempty("AWS_SHARED_CREDENTIALS_FILE");
  if (!creds && home) {
    snprintf(path, sizeof path, "%s/.aws/credentials", home);
    creds = path;
  }
  if (creds) read_profile(creds, profile_name, false, pv);
  const char *conf = env_nonempty("AWS_CONFIG_FILE");
  char path2[4096];
  if (!conf && home) {
    snprintf(path2, sizeof path2, "%s/.aws/config", home);
    conf = path2;
  }
  if (conf) read_profile(conf, profile_name, true, pv);
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;
static void curl_init_once(void) { curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT); }

static void share_lock(CURL *h, curl_lock_data data, curl_lock_access access, void *ud) {
  (void)h;
  (void)access;
  prestige_s3_client_t *c = ud;
  pthread_mutex_lock(&c->share_mu[data]);
}
static void share_unlock(CURL *h, curl_lock_data data, void *ud) {
  (void)h;
  prestige_s3_client_t *c = ud;
  pthread_mutex_unlock(&c->share_mu[data]);
}

static char *dup_or_null(const char *s) { return s ? strdup(s) : NULL; }

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

int prestige_s3_client_new(prestige_s3_client_t **out, const prestige_s3_config_t *cfg_in, prestige_error_t *err) {
  *out = NULL;
  prestige_s3_config_t defaults;
  prestige_s3_config_init(&defaults);
  const prestige_s3_config_t *cfg = cfg_in ? cfg_in : &defaults;
  pthread_once(&curl_once, curl_init_once);
  if (curl_init_rc != CURLE_OK) return prestige_error_set(err, PRESTIGE_EINTERNAL, "curl_global_init failed");
  prestige_s3_client_t *c = calloc(1, sizeof *c);
  if (!c) return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
  atomic_init(&c->refs, 1);
  pthread_mutex_init(&c->pool_mu, NULL);
  for (int i = 0; i < CURL_LOCK_DATA_LAST; i++) pthread_mutex_init(&c->share_mu[i], NULL);

  const char *profile = cfg->profile ? cfg->profile : env_nonempty("AWS_PROFILE");
  if (!profile) profile = "default";
  profile_vals_t pv = {0};
  load_profile(profile, &pv);

  const char *region = cfg->region ? cfg->region : env_nonempty("AWS_REGION");
  if (!region) region = env_nonempty("AWS_DEFAULT_REGION");
  if (!region) region = pv.region;
  if (!region) region = "us-east-1";
  c->region = strdup(region);

  const char *ak = cfg->access_key, *sk = cfg->secret_key, *tok = cfg->session_token;
  if (!ak && !sk) {
    ak = env_nonempty("AWS_ACCESS_KEY_ID");
    sk = env_nonempty("AWS_SECRET_ACCESS_KEY");
    tok = env_nonempty("AWS_SESSION_TOKEN");
    if (!ak || !sk) {
      ak = pv.access_key;
      sk = pv.secret_key;
      tok = pv.session_token;
    }
  }
  int rc = 0;
  if ((ak && !sk) || (!ak && sk)) {
    rc = prestige_error_set(err, PRESTIGE_EAUTH, "S3 credentials incomplete: %s given without %s",
                            ak ? "an access key id" : "a secret access key", ak ? "a secret access key" : "an access key id");
    goto fail;
  }
  c->access_key = dup_or_null(ak);
  c->secret_key = dup_or_null(sk);
  c->session_token = dup_or_null(tok);

  const char *ep = cfg->endpoint ? cfg->endpoint : env_nonempty("AWS_ENDPOINT_URL_S3");
  if (!ep) ep = env_nonempty("AWS_ENDPOINT_URL");
  if (!ep) ep = pv.endpoint;
  char aws_ep[256];
  bool custom = ep != NULL;
  if (!ep) {
    snprintf(aws_ep, sizeof aws_ep, "https://s3.%s.amazonaws.com", c->region);
    ep = aws_ep;
  }
  c->endpoint = strdup(ep);
  if ((rc = parse_endpoint(c, ep, err))) goto fail;
  c->path_style = cfg->force_path_style < 0 ? custom : cfg->force_path_style != 0;
  c->sign_payload = cfg->sign_payload;
  c->part_size = cfg->part_size ? cfg->part_size : (8u << 20);
  c->concurrency = cfg->concurrency > 0 ? cfg->concurrency : 4;
  /* tuning from the environment, for tools (the configuration wins when it sets a value) */
  const char *eps = env_nonempty("PRESTIGE_S3_PART_SIZE");
  if (eps && (!cfg_in || cfg->part_size == defaults.part_size)) {
    char *end;
    unsigned long long v = strtoull(eps, &end, 10);
    if (*end == 'k' || *end == 'K') v <<= 10;
    else if (*end == 'm' || *end == 'M') v <<= 20;
    if (v >= 4096) c->part_size = (size_t)v;
  }
  const char *ecc = env_nonempty("PRESTIGE_S3_CONCURRENCY");
  if (ecc && (!cfg_in || cfg->concurrency == defaults.concurrency) && atoi(ecc) > 0) c->concurrency = atoi(ecc);
  if (c->concurrency > S3_POOL_MAX / 2) c->concurrency = S3_POOL_MAX / 2;
  c->max_retries = cfg->max_retries >= 0 ? cfg->max_retries : 6;
  c->retry_base_ms = cfg->retry_base_ms > 0 ? cfg->retry_base_ms : 100;
  c->retry_max_ms = cfg->retry_max_ms > 0 ? cfg->retry_max_ms : 10000;
  c->connect_timeout_ms = cfg->connect_timeout_ms > 0 ? cfg->connect_timeout_ms : 10000;
  c->stall_timeout_ms = cfg->stall_timeout_ms > 0 ? cfg->stall_timeout_ms : 30000;
  if (!c->region || !c->endpoint) {
    rc = prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
    goto fail;
  }
  c->share = curl_share_init();
  if (c->share) {
    curl_share_setopt(c->share, CURLSHOPT_LOCKFUNC, share_lock);
    curl_share_setopt(c->share, CURLSHOPT_UNLOCKFUNC, share_unlock);
    curl_share_setopt(c->share, CURLSHOPT_USERDATA, c);
    curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
  }
  profile_vals_free(&pv);
  *out = c;
  return 0;
fail:
  profile_vals_free(&pv);
  c->refs = 1;
  prestige_s3_client_free(c);
  return rc;
}

int prestige_s3_new_client(prestige_s3_client_t **out, const char *region, const char *endpoint,
                           const char *access_key, const char *secret_key, prestige_error_t *err) {
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
  for (int i = 0; i < c->pool_n; i++) curl_easy_cleanup(c->pool[i]);
  if (c->share) curl_share_cleanup(c->share);
  for (int i = 0; i < CURL_LOCK_DATA_LAST; i++) pthread_mutex_destroy(&c->share_mu[i]);
  pthread_mutex_destroy(&c->pool_mu);
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

/* ---- handle pool ------------------------------------------------------------------------------ */

static CURL *pool_get(prestige_s3_client_t *c) {
  CURL *h = NULL;
  pthread_mutex_lock(&c->pool_mu);
  if (c->pool_n) h = c->pool[--c->pool_n];
  pthread_mutex_unlock(&c->pool_mu);
  if (!h) {
    h = curl_easy_init();
  } else {
    curl_easy_reset(h); /* keeps live connections and the TLS session cache */
  }
  return h;
}

static void pool_put(prestige_s3_client_t *c, CURL *h, bool healthy) {
  if (!h) return;
  pthread_mutex_lock(&c->pool_mu);
  if (healthy && c->pool_n < S3_POOL_MAX) {
    c->pool[c->pool_n++] = h;
    h = NULL;
  }
  pthread_mutex_unlock(&c->pool_mu);
  if (h) curl_easy_cleanup(h);
}

/* ---- helpers ---------------------------------------------------------------------------------- */

const char *s3_url(char *b, size_t cap, const char *bucket, const char *key) {
  snprintf(b, cap, "s3://%s/%s", bucket ? bucket : "", key ? key : "");
  return b;
}

int64_t s3_parse_time_ms(const char *s) { return prestige_time_parse_ms(s); }

/* ---- executor --------------------------------------------------------------------------------- */

typedef struct xfer {
  const s3_request_t *rq;
  s3_response_t *rs;
  CURL *h;
  uint64_t up_pos;          /* upload position within the body */
  uint64_t delivered;       /* body bytes delivered to the destination, across attempts */
  size_t out_base;          /* rq->out->len before the request */
  buf_t errbody;
  buf_t wbuf;               /* file downloads: received bytes not yet written (coalesces small chunks) */
  uint64_t wbuf_at;         /* offset (relative to out_off) of wbuf's first byte */
  bool overflow;
  bool sent_range;
  bool range_ignored;
  int write_errno;
  int read_errno;
} xfer_t;

#define S3_ERRBODY_MAX (64u << 10)

static size_t on_read(char *p, size_t size, size_t nmemb, void *ud) {
  xfer_t *x = ud;
  const s3_request_t *rq = x->rq;
  size_t want = size * nmemb;
  uint64_t left = rq->body_len - x->up_pos;
  if (want > left) want = (size_t)left;
  if (!want) return 0;
  if (rq->body_fd >= 0) {
    ssize_t n;
    do n = pread(rq->body_fd, p, want, (off_t)(rq->body_off + x->up_pos));
    while (n < 0 && errno == EINTR);
    if (n <= 0) {
      x->read_errno = n < 0 ? errno : EIO;
      return CURL_READFUNC_ABORT;
    }
    want = (size_t)n;
  } else {
    memcpy(p, rq->body + x->up_pos, want);
  }
  x->up_pos += want;
  return want;
}

/* curl rewinds the body when it resends a request on a fresh connection. */
static int on_seek(void *ud, curl_off_t off, int origin) {
  xfer_t *x = ud;
  if (origin != SEEK_SET || off < 0 || (uint64_t)off > x->rq->body_len) return CURL_SEEKFUNC_CANTSEEK;
  x->up_pos = (uint64_t)off;
  return CURL_SEEKFUNC_OK;
}

/* Writes the buffered part of a file download in place. */
static int flush_wbuf(xfer_t *x) {
  const s3_request_t *rq = x->rq;
  size_t off = 0;
  while (off < x->wbuf.len) {
    ssize_t w = pwrite(rq->out_fd, x->wbuf.data + off, x->wbuf.len - off, (off_t)(rq->out_off + x->wbuf_at + off));
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      x->write_errno = w < 0 ? errno : EIO;
      return -1;
    }
    off += (size_t)w;
  }
  /* start writeback now, so the fsync that makes the download durable has little left to do */
  sync_file_range(rq->out_fd, (off_t)(rq->out_off + x->wbuf_at), (off_t)x->wbuf.len, SYNC_FILE_RANGE_WRITE);
  x->wbuf_at += x->wbuf.len;
  buf_clear(&x->wbuf);
  return 0;
}

static size_t on_write(char *p, size_t size, size_t nmemb, void *ud) {
  xfer_t *x = ud;
  const s3_request_t *rq = x->rq;
  size_t n = size * nmemb;
  long st = 0;
  curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &st);
  if (st < 200 || st >= 300) {
    size_t room = S3_ERRBODY_MAX - x->errbody.len;
    if (buf_append(&x->errbody, p, n < room ? n : room)) return 0;
    return n;
  }
  if (x->sent_range && st == 200) { /* the server ignored Range: never splice a whole body in */
    x->range_ignored = true;
    return 0;
  }
  if (rq->dst) {
    if (x->delivered + n > rq->dst_len) {
      x->overflow = true;
      return 0;
    }
    memcpy(rq->dst + x->delivered, p, n);
  } else if (rq->out_fd >= 0) {
    if (!x->wbuf.len) x->wbuf_at = x->delivered;
    if (buf_append(&x->wbuf, p, n)) {
      x->write_errno = ENOMEM;
      return 0;
    }
    if (x->wbuf.len >= (1u << 20) && flush_wbuf(x)) return 0;
  } else if (rq->out) {
    size_t cap = rq->out_max ? rq->out_max : (16u << 20);
    if (rq->out->len + n > cap) {
      x->overflow = true;
      return 0;
    }
    if (buf_append(rq->out, p, n)) {
      x->write_errno = ENOMEM;
      return 0;
    }
  }
  x->delivered += n;
  if (rq->progress) atomic_fetch_add(rq->progress, n);
  return n;
}

static void copy_header_value(char *dst, size_t cap, const char *v, size_t n) {
  while (n && (v[n - 1] == '\r' || v[n - 1] == '\n' || v[n - 1] == ' ')) n--;
  while (n && *v == ' ') {
    v++;
    n--;
  }
  if (n >= 2 && v[0] == '"' && v[n - 1] == '"') {
    v++;
    n -= 2;
  }
  if (n >= cap) n = cap - 1;
  memcpy(dst, v, n);
  dst[n] = 0;
}

static size_t on_header(char *p, size_t size, size_t nmemb, void *ud) {
  xfer_t *x = ud;
  s3_response_t *rs = x->rs;
  size_t n = size * nmemb;
  if (n >= 5 && !strncmp(p, "HTTP/", 5)) { /* a new response (e.g. after 100 Continue) */
    rs->etag[0] = 0;
    rs->request_id[0] = 0;
    rs->has_content_length = false;
    rs->total_size = 0;
    rs->last_modified_ms = -1;
    return n;
  }
  const char *colon = memchr(p, ':', n);
  if (!colon) return n;
  size_t kl = (size_t)(colon - p);
  const char *v = colon + 1;
  size_t vl = n - kl - 1;
  char tmp[256];
  if (kl == 4 && !strncasecmp(p, "etag", 4)) {
    copy_header_value(rs->etag, sizeof rs->etag, v, vl);
  } else if (kl == 16 && !strncasecmp(p, "x-amz-request-id", 16)) {
    copy_header_value(rs->request_id, sizeof rs->request_id, v, vl);
  } else if (kl == 14 && !strncasecmp(p, "content-length", 14)) {
    copy_header_value(tmp, sizeof tmp, v, vl);
    char *e;
    errno = 0;
    unsigned long long cl = strtoull(tmp, &e, 10);
    if (!errno && e != tmp) {
      rs->content_length = cl;
      rs->has_content_length = true;
    }
  } else if (kl == 13 && !strncasecmp(p, "content-range", 13)) {
    copy_header_value(tmp, sizeof tmp, v, vl);
    const char *sl = strchr(tmp, '/');
    if (sl && sl[1] != '*') rs->total_size = strtoull(sl + 1, NULL, 10);
  } else if (kl == 13 && !strncasecmp(p, "last-modified", 13)) {
    copy_header_value(tmp, sizeof tmp, v, vl);
    rs->last_modified_ms = s3_parse_time_ms(tmp);
  }
  return n;
}

static bool curl_retryable(CURLcode cc) {
  switch (cc) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_SEND_FAIL_REWIND:
      return true;
    default:
      return false;
  }
}

static bool status_retryable(long st, const char *code) {
  if (st >= 500 || st == 429) return true;
  if (!strcmp(code, "SlowDown") || !strcmp(code, "RequestTimeout") || !strcmp(code, "InternalError") ||
      !strcmp(code, "ServiceUnavailable") || !strcmp(code, "RequestTimeTooSkewed"))
    return true;
  return false;
}

static uint64_t jitter_rand(void) {
  static _Thread_local uint64_t s;
  if (!s) s = (uint64_t)prestige_monotonic_ns() ^ ((uint64_t)(uintptr_t)&s << 17) ^ 0x9E3779B97F4A7C15ull;
  s ^= s << 13;
  s ^= s >> 7;
  s ^= s << 17;
  return s;
}

static void backoff_sleep(const prestige_s3_client_t *c, int attempt) {
  int64_t cap = c->retry_base_ms;
  for (int i = 1; i < attempt && cap < c->retry_max_ms; i++) cap *= 2;
  if (cap > c->retry_max_ms) cap = c->retry_max_ms;
  /* "equal jitter": half the ceiling plus a random half, so retries spread out but never spin */
  int64_t ms = cap / 2 + (int64_t)(jitter_rand() % (uint64_t)(cap / 2 + 1));
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

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

static int hash_body(const s3_request_t *rq, char out[65], prestige_error_t *err) {
  if (rq->body_fd < 0) {
    sigv4_sha256_hex(rq->body_len ? rq->body : (const uint8_t *)"", rq->body_len, out);
    return 0;
  }
  /* a file range: hash it in chunks */
  uint8_t *chunk = malloc(1u << 20);
  if (!chunk) return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
  buf_t all = BUF_INIT;
  int rc = 0;
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
    rc = prestige_error_set(err, PRESTIGE_EINTERNAL, "SHA-256 init failed");
    goto out;
  }
  for (uint64_t off = 0; off < rq->body_len;) {
    size_t want = rq->body_len - off < (1u << 20) ? (size_t)(rq->body_len - off) : (1u << 20);
    ssize_t n = pread(rq->body_fd, chunk, want, (off_t)(rq->body_off + off));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      rc = prestige_error_set(err, PRESTIGE_EIO, "reading upload body: %s", n < 0 ? strerror(errno) : "file shrank");
      goto out;
    }
    EVP_DigestUpdate(ctx, chunk, (size_t)n);
    off += (uint64_t)n;
  }
  unsigned char md[32];
  unsigned int ml = 0;
  EVP_DigestFinal_ex(ctx, md, &ml);
  for (int i = 0; i < 32; i++) sprintf(out + 2 * i, "%02x", md[i]);
out:
  EVP_MD_CTX_free(ctx);
  buf_release(&all);
  free(chunk);
  return rc;
}

int s3_execute(prestige_s3_client_t *c, const s3_request_t *rq, s3_response_t *rs, prestige_error_t *err) {
  memset(rs, 0, sizeof *rs);
  rs->last_modified_ms = -1;
  char urlbuf[512];
  s3_url(urlbuf, sizeof urlbuf, rq->bucket, rq->key);
  if (rq->key && !*rq->key) return prestige_error_set(err, PRESTIGE_EINVAL, "S3 %s %s: empty key", rq->op, urlbuf);
  xfer_t x;
  memset(&x, 0, sizeof x);
  char payload_hash[65];
  if (!rq->has_body) {
    strcpy(payload_hash, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  } else if (!c->tls || c->sign_payload) {
    PRESTIGE_TRY(hash_body(rq, payload_hash, err));
  } else {
    strcpy(payload_hash, "UNSIGNED-PAYLOAD");
  }
  buf_t path = BUF_INIT, url = BUF_INIT;
  if (build_path(c, rq, &path)) return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
  char host[512];
  if (!c->path_style && rq->bucket)
    snprintf(host, sizeof host, "%s.%s", rq->bucket, c->host);
  else
    snprintf(host, sizeof host, "%s", c->host);
  int rc = 0;
  if (buf_append(&url, c->scheme, strlen(c->scheme)) || buf_append(&url, "://", 3) ||
      buf_append(&url, host, strlen(host)) || buf_append(&url, path.data, path.len - 1) ||
      (rq->query && *rq->query && (buf_append_u8(&url, '?') || buf_append(&url, rq->query, strlen(rq->query)))) ||
      buf_append_u8(&url, 0)) {
    rc = prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
    goto done;
  }

  x.rq = rq;
  x.rs = rs;
  x.out_base = rq->out ? rq->out->len : 0;
  bool resumable = !strcmp(rq->method, "GET") && rq->key && (rq->dst || rq->out_fd >= 0 || rq->out);
  char resume_etag[160] = "";
  uint64_t resume_total = 0; /* known end (exclusive, absolute) of the wanted bytes */
  bool have_total = false;
  if (rq->has_range) {
    resume_total = rq->range_off + rq->range_len;
    have_total = true;
  }
  int attempt = 0;
  for (;;) {
    attempt++;
    rs->attempts = attempt;
    int64_t t0 = prestige_monotonic_ns();
    CURL *h = pool_get(c);
    if (!h) {
      rc = prestige_error_set(err, PRESTIGE_ENOMEM, "curl_easy_init failed");
      goto done;
    }
    x.h = h;
    x.up_pos = 0;
    x.overflow = false;
    x.range_ignored = false;
    x.write_errno = x.read_errno = 0;
    buf_clear(&x.errbody);
    if (!resumable || !have_total) {
      /* restart from scratch */
      x.delivered = 0;
      if (rq->out) rq->out->len = x.out_base;
    }
    /* headers: extras + range + signing */
    sigv4_header_t hdrs[24];
    size_t nh = 0;
    hdrs[nh++] = (sigv4_header_t){"host", host};
    hdrs[nh++] = (sigv4_header_t){"x-amz-content-sha256", payload_hash};
    char range[96];
    uint64_t start = (rq->has_range ? rq->range_off : 0) + x.delivered;
    x.sent_range = rq->has_range || (resumable && x.delivered > 0);
    if (x.sent_range) {
      snprintf(range, sizeof range, "bytes=%llu-%llu", (unsigned long long)start,
               (unsigned long long)(resume_total ? resume_total - 1 : 0));
      hdrs[nh++] = (sigv4_header_t){"range", range};
    }
    const char *im = rq->if_match ? rq->if_match : (x.delivered > 0 && resume_etag[0] ? resume_etag : NULL);
    char imq[176];
    if (im) {
      snprintf(imq, sizeof imq, "\"%s\"", im);
      hdrs[nh++] = (sigv4_header_t){"if-match", imq};
    }
    for (size_t i = 0; i < rq->n_headers && nh < 20; i++) hdrs[nh++] = rq->headers[i];

    struct curl_slist *sl = NULL;
    sigv4_output_t so;
    memset(&so, 0, sizeof so);
    char line[2048];
    bool sl_fail = false;
    if (c->access_key) {
      sigv4_input_t si = {.method = rq->method,
                          .path = (const char *)path.data,
                          .query = rq->query,
                          .headers = hdrs,
                          .n_headers = nh,
                          .payload_hash = payload_hash,
                          .access_key = c->access_key,
                          .secret_key = c->secret_key,
                          .session_token = c->session_token,
                          .region = c->region,
                          .service = "s3",
                          .unix_time = prestige_now_ms() / 1000,
                          .normalize_path = 0,
                          .double_encode = 0};
      if ((rc = sigv4_sign(&si, &so, err))) {
        pool_put(c, h, true);
        goto done;
      }
      snprintf(line, sizeof line, "Authorization: %s", so.authorization);
      sl_fail |= !(sl = curl_slist_append(sl, line));
      snprintf(line, sizeof line, "X-Amz-Date: %s", so.amz_date);
      sl_fail |= !(sl = curl_slist_append(sl, line));
      if (c->session_token) {
        size_t tl = strlen(c->session_token) + 32;
        char *tline = malloc(tl);
        if (tline) {
          snprintf(tline, tl, "X-Amz-Security-Token: %s", c->session_token);
          sl_fail |= !(sl = curl_slist_append(sl, tline));
          explicit_bzero(tline, tl);
          free(tline);
        } else {
          sl_fail = true;
        }
      }
      sigv4_output_free(&so);
    }
    for (size_t i = 0; i < nh; i++) {
      if (!strcmp(hdrs[i].name, "host")) {
        snprintf(line, sizeof line, "Host: %s", host);
      } else {
        snprintf(line, sizeof line, "%s: %s", hdrs[i].name, hdrs[i].value);
      }
      sl_fail |= !(sl = curl_slist_append(sl, line));
    }
    sl_fail |= !(sl = curl_slist_append(sl, "Expect:"));
    if (sl_fail) {
      curl_slist_free_all(sl);
      pool_put(c, h, true);
      rc = prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
      goto done;
    }

    curl_easy_setopt(h, CURLOPT_URL, (const char *)url.data);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, sl);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_PATH_AS_IS, 1L);
    curl_easy_setopt(h, CURLOPT_SHARE, c->share);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)c->connect_timeout_ms);
    long stall_s = (long)((c->stall_timeout_ms + 999) / 1000);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, stall_s < 1 ? 1L : stall_s);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
    if (rq->out_fd >= 0 || (rq->dst && rq->dst_len >= (1u << 20))) curl_easy_setopt(h, CURLOPT_BUFFERSIZE, 512L * 1024);
    if (rq->has_body && rq->body_len >= (1u << 20)) curl_easy_setopt(h, CURLOPT_UPLOAD_BUFFERSIZE, 512L * 1024);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "prestige/" PRESTIGE_VERSION_STRING);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &x);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &x);
    if (!strcmp(rq->method, "HEAD")) {
      curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    } else if (rq->has_body || !strcmp(rq->method, "PUT") || !strcmp(rq->method, "POST")) {
      curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
      curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
      curl_easy_setopt(h, CURLOPT_READDATA, &x);
      curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, on_seek);
      curl_easy_setopt(h, CURLOPT_SEEKDATA, &x);
      curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)(rq->has_body ? rq->body_len : 0));
      curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, rq->method);
    } else if (strcmp(rq->method, "GET") != 0) {
      curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, rq->method);
    }
    CURLcode cc = curl_easy_perform(h);
    if (x.wbuf.len && !x.write_errno) flush_wbuf(&x);
    buf_clear(&x.wbuf);
    long st = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &st);
    rs->status = st;
    curl_slist_free_all(sl);
    pool_put(c, h, cc == CURLE_OK);
    double ms = (double)(prestige_monotonic_ns() - t0) / 1e6;
    char stbuf[16];
    snprintf(stbuf, sizeof stbuf, "%ld", cc == CURLE_OK ? st : 0L);
    prestige_label_t lb[2] = {{"op", rq->op}, {"status", stbuf}};
    prestige_metrics_counter_add("prestige.s3.requests", lb, 2, 1);
    prestige_metrics_histogram_record("prestige.s3.request_duration_ms", lb, 1, ms);

    if (cc == CURLE_OK && st >= 200 && st < 300) {
      if (rq->dst && x.delivered != rq->dst_len) {
        rc = prestige_error_set(err, PRESTIGE_ECORRUPT, "S3 %s %s: short read, got %llu of %zu bytes (object smaller than the range?)",
                                rq->op, urlbuf, (unsigned long long)x.delivered, rq->dst_len);
      }
      break;
    }
    bool retry = false;
    if (x.write_errno) {
      rc = prestige_error_set(err, x.write_errno == ENOSPC ? PRESTIGE_ENOSPC : x.write_errno == ENOMEM ? PRESTIGE_ENOMEM : PRESTIGE_EIO,
                              "S3 %s %s: writing the download: %s", rq->op, urlbuf, strerror(x.write_errno));
      break;
    }
    if (x.read_errno) {
      rc = prestige_error_set(err, PRESTIGE_EIO, "S3 %s %s: reading the upload body: %s", rq->op, urlbuf, strerror(x.read_errno));
      break;
    }
    if (x.range_ignored) {
      rc = prestige_error_set(err, PRESTIGE_EHTTP, "S3 %s %s: the server ignored the Range header (HTTP 200 instead of 206)",
                              rq->op, urlbuf);
      break;
    }
    if (x.overflow) {
      rc = prestige_error_set(err, PRESTIGE_ECORRUPT, "S3 %s %s: response larger than expected (%zu bytes)", rq->op, urlbuf,
                              rq->dst ? rq->dst_len : (rq->out_max ? rq->out_max : (size_t)(16u << 20)));
      break;
    }
    if (cc != CURLE_OK) {
      retry = curl_retryable(cc);
      rc = prestige_error_set(err, cc == CURLE_OPERATION_TIMEDOUT ? PRESTIGE_ETIMEOUT : PRESTIGE_ENET,
                              "S3 %s %s: %s (endpoint %s)", rq->op, urlbuf, curl_easy_strerror(cc), c->endpoint);
      /* a partial download: remember where it stopped and which version it was */
      if (resumable && x.delivered > 0 && st >= 200 && st < 300) {
        if (!have_total) {
          uint64_t total = rs->total_size ? rs->total_size : (rs->has_content_length ? rs->content_length : 0);
          if (total) {
            resume_total = total;
            have_total = true;
          }
        }
        if (!resume_etag[0] && rs->etag[0]) snprintf(resume_etag, sizeof resume_etag, "%s", rs->etag);
      }
    } else {
      parse_error_body(&x.errbody, rs);
      if (!rs->code[0])
        snprintf(rs->code, sizeof rs->code, "%s", st == 404 && rq->key ? "NoSuchKey" : status_default_code(st));
      retry = status_retryable(st, rs->code);
      int code = status_to_code(st);
      if (st == 412 && x.delivered > 0) code = PRESTIGE_ECONFLICT; /* changed while being resumed */
      rc = prestige_error_set(err, code, "S3 %s %s: HTTP %ld %s%s%s%s%s%s", rq->op, urlbuf, st, rs->code,
                              rs->message[0] ? ": " : "", rs->message, rs->request_id[0] ? " (request id " : "",
                              rs->request_id, rs->request_id[0] ? ")" : "");
      if ((st == 401 || st == 403) && !c->access_key)
        prestige_error_prefix(err, "no S3 credentials found (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY or AWS_PROFILE)");
    }
    if (!retry || attempt > c->max_retries) {
      if (retry) prestige_error_prefix(err, "gave up after %d attempts", attempt);
      break;
    }
    prestige_metrics_counter_add("prestige.s3.retries", lb, 1, 1);
    LOG_WARN("%s (attempt %d of %d; retrying)", err ? err->message : rq->op, attempt, c->max_retries + 1);
    rc = 0;
    backoff_sleep(c, attempt);
  }
done:
  buf_release(&x.errbody);
  buf_release(&x.wbuf);
  buf_release(&path);
  buf_release(&url);
  return rc;
}
