/*
 * The shared HTTP client: the curl handle pool, one exchange, the retry policy. See
 * net/http_client.h.
 */
#include "net/http_client.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"

struct http_client {
  http_client_options_t o;
  char *user_agent;
  pthread_mutex_t pool_mu;
  CURL **pool;
  int pool_n;
  CURLSH *share;
  pthread_mutex_t share_mu[CURL_LOCK_DATA_LAST];
};

/* ---- client and handle pool ------------------------------------------------------------------- */

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;
static void curl_init_once(void) { curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT); }

static void share_lock(CURL *h, curl_lock_data data, curl_lock_access access, void *ud) {
  (void)h;
  (void)access;
  http_client_t *c = ud;
  pthread_mutex_lock(&c->share_mu[data]);
}
static void share_unlock(CURL *h, curl_lock_data data, void *ud) {
  (void)h;
  http_client_t *c = ud;
  pthread_mutex_unlock(&c->share_mu[data]);
}

void http_client_options_init(http_client_options_t *o) {
  memset(o, 0, sizeof *o);
  o->pool_max = 32;
  o->connect_timeout_ms = 10000;
  o->stall_timeout_ms = 30000;
}

int http_client_new(http_client_t **out, const http_client_options_t *o_in, prestige_error_t *err) {
  *out = NULL;
  http_client_options_t o;
  http_client_options_init(&o);
  if (o_in) o = *o_in;
  if (o.pool_max < 0) return prestige_error_set(err, PRESTIGE_EINVAL, "HTTP client: pool_max %d is negative", o.pool_max);
  if (o.connect_timeout_ms <= 0)
    return prestige_error_set(err, PRESTIGE_EINVAL, "HTTP client: connect_timeout_ms must be positive (got %lld)",
                              (long long)o.connect_timeout_ms);
  if (o.stall_timeout_ms <= 0)
    return prestige_error_set(err, PRESTIGE_EINVAL, "HTTP client: stall_timeout_ms must be positive (got %lld)",
                              (long long)o.stall_timeout_ms);
  if (o.total_timeout_ms < 0)
    return prestige_error_set(err, PRESTIGE_EINVAL, "HTTP client: total_timeout_ms %lld is negative", (long long)o.total_timeout_ms);
  pthread_once(&curl_once, curl_init_once);
  if (curl_init_rc != CURLE_OK) return prestige_error_set(err, PRESTIGE_EINTERNAL, "curl_global_init failed");
  http_client_t *c = calloc(1, sizeof *c);
  if (!c) return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
  c->o = o;
  c->user_agent = strdup(o.user_agent ? o.user_agent : "prestige/" PRESTIGE_VERSION_STRING);
  c->o.user_agent = c->user_agent;
  c->pool = calloc(o.pool_max ? (size_t)o.pool_max : 1, sizeof *c->pool);
  if (!c->user_agent || !c->pool) {
    free(c->user_agent);
    free(c->pool);
    free(c);
    return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
  }
  pthread_mutex_init(&c->pool_mu, NULL);
  for (int i = 0; i < CURL_LOCK_DATA_LAST; i++) pthread_mutex_init(&c->share_mu[i], NULL);
  c->share = curl_share_init();
  if (c->share) {
    curl_share_setopt(c->share, CURLSHOPT_LOCKFUNC, share_lock);
    curl_share_setopt(c->share, CURLSHOPT_UNLOCKFUNC, share_unlock);
    curl_share_setopt(c->share, CURLSHOPT_USERDATA, c);
    curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
  }
  *out = c;
  return 0;
}

void http_client_free(http_client_t *c) {
  if (!c) return;
  for (int i = 0; i < c->pool_n; i++) curl_easy_cleanup(c->pool[i]);
  if (c->share) curl_share_cleanup(c->share);
  for (int i = 0; i < CURL_LOCK_DATA_LAST; i++) pthread_mutex_destroy(&c->share_mu[i]);
  pthread_mutex_destroy(&c->pool_mu);
  free(c->pool);
  free(c->user_agent);
  free(c);
}

static CURL *pool_get(http_client_t *c) {
  CURL *h = NULL;
  pthread_mutex_lock(&c->pool_mu);
  if (c->pool_n) h = c->pool[--c->pool_n];
  pthread_mutex_unlock(&c->pool_mu);
  if (!h) return curl_easy_init();
  curl_easy_reset(h); /* keeps live connections and the TLS session cache */
  return h;
}

/* A handle whose transfer failed may hold a broken connection: it is not reused. */
static void pool_put(http_client_t *c, CURL *h, bool healthy) {
  if (!h) return;
  pthread_mutex_lock(&c->pool_mu);
  if (healthy && c->pool_n < c->o.pool_max) {
    c->pool[c->pool_n++] = h;
    h = NULL;
  }
  pthread_mutex_unlock(&c->pool_mu);
  if (h) curl_easy_cleanup(h);
}

/* ---- requests and responses ------------------------------------------------------------------- */

void http_request_init(http_request_t *rq, const char *method, const char *url) {
  memset(rq, 0, sizeof *rq);
  rq->method = method;
  rq->url = url;
  rq->body.fd = -1;
  rq->out.fd = -1;
}

bool http_request_idempotent(const http_request_t *rq) {
  if (rq->idempotent != HTTP_IDEMPOTENT_AUTO) return rq->idempotent == HTTP_IDEMPOTENT_YES;
  static const char *const safe[] = {"GET", "HEAD", "PUT", "DELETE", "OPTIONS"};
  for (size_t i = 0; i < sizeof safe / sizeof *safe; i++)
    if (!strcmp(rq->method, safe[i])) return true;
  return false;
}

void http_response_init(http_response_t *rs) {
  memset(rs, 0, sizeof *rs);
  buf_init(&rs->headers);
  buf_init(&rs->error_body);
}

void http_response_release(http_response_t *rs) {
  buf_release(&rs->headers);
  buf_release(&rs->error_body);
}

static void response_reset(http_response_t *rs) {
  buf_t h = rs->headers, e = rs->error_body;
  int attempts = rs->attempts;
  memset(rs, 0, sizeof *rs);
  buf_clear(&h);
  buf_clear(&e);
  rs->headers = h;
  rs->error_body = e;
  rs->attempts = attempts;
}

const char *http_response_header(const http_response_t *rs, const char *name) {
  const char *p = (const char *)rs->headers.data, *end = p + rs->headers.len;
  while (p && p < end) {
    const char *v = p + strlen(p) + 1;
    if (v >= end) break;
    if (!strcasecmp(p, name)) return v;
    p = v + strlen(v) + 1;
  }
  return NULL;
}

/* ---- one exchange ----------------------------------------------------------------------------- */

typedef struct xfer {
  const http_request_t *rq;
  http_response_t *rs;
  CURL *h;
  uint64_t up_pos;   /* upload position within the body */
  buf_t wbuf;        /* file output: received bytes not yet written (coalesces small chunks) */
  uint64_t wbuf_at;  /* output position of wbuf's first byte */
  bool header_oom;
} xfer_t;

static int64_t body_read(const http_body_t *b, uint64_t pos, void *dst, size_t n) {
  if (b->read) return b->read(b->read_ud, pos, dst, n);
  if (b->fd >= 0) {
    ssize_t r;
    do r = pread(b->fd, dst, n, (off_t)(b->fd_off + pos));
    while (r < 0 && errno == EINTR);
    if (r < 0) return -errno;
    return r == 0 ? -EIO : r; /* the file shrank under us */
  }
  memcpy(dst, b->data + pos, n);
  return (int64_t)n;
}

static size_t on_read(char *p, size_t size, size_t nmemb, void *ud) {
  xfer_t *x = ud;
  const http_body_t *b = &x->rq->body;
  size_t want = size * nmemb;
  uint64_t left = x->rq->has_body ? b->len - x->up_pos : 0;
  if (want > left) want = (size_t)left;
  if (!want) return 0;
  int64_t n = body_read(b, x->up_pos, p, want);
  if (n <= 0) {
    x->rs->read_errno = n < 0 ? (int)-n : EIO;
    return CURL_READFUNC_ABORT;
  }
  x->up_pos += (uint64_t)n;
  return (size_t)n;
}

/* curl rewinds the body when it resends a request on a fresh connection. */
static int on_seek(void *ud, curl_off_t off, int origin) {
  xfer_t *x = ud;
  if (origin != SEEK_SET || off < 0 || (uint64_t)off > x->rq->body.len) return CURL_SEEKFUNC_CANTSEEK;
  x->up_pos = (uint64_t)off;
  return CURL_SEEKFUNC_OK;
}

/* Writes the buffered part of a file output in place. */
static int flush_wbuf(xfer_t *x) {
  const http_output_t *o = &x->rq->out;
  size_t off = 0;
  while (off < x->wbuf.len) {
    ssize_t w = pwrite(o->fd, x->wbuf.data + off, x->wbuf.len - off, (off_t)(o->fd_off + x->wbuf_at + off));
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      x->rs->write_errno = w < 0 ? errno : EIO;
      return -1;
    }
    off += (size_t)w;
  }
  /* start writeback now, so the fsync that makes a download durable has little left to do */
  sync_file_range(o->fd, (off_t)(o->fd_off + x->wbuf_at), (off_t)x->wbuf.len, SYNC_FILE_RANGE_WRITE);
  x->wbuf_at += x->wbuf.len;
  buf_clear(&x->wbuf);
  return 0;
}

static size_t on_write(char *p, size_t size, size_t nmemb, void *ud) {
  xfer_t *x = ud;
  const http_request_t *rq = x->rq;
  const http_output_t *o = &rq->out;
  http_response_t *rs = x->rs;
  size_t n = size * nmemb;
  long st = 0;
  curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &st);
  if (st < 200 || st >= 300) {
    size_t room = HTTP_ERROR_BODY_MAX - rs->error_body.len;
    if (buf_append(&rs->error_body, p, n < room ? n : room)) return 0;
    return n;
  }
  if (rq->expect_partial && st == 200) { /* the server ignored Range: never splice a whole body in */
    rs->range_ignored = true;
    return 0;
  }
  uint64_t pos = rq->out_pos + rs->delivered;
  if (o->mem) {
    if (pos > o->mem_len || n > o->mem_len - pos) {
      rs->overflow = true;
      return 0;
    }
    memcpy(o->mem + pos, p, n);
  } else if (o->fd >= 0) {
    if (!x->wbuf.len) x->wbuf_at = pos;
    if (buf_append(&x->wbuf, p, n)) {
      rs->write_errno = ENOMEM;
      return 0;
    }
    if (x->wbuf.len >= (1u << 20) && flush_wbuf(x)) return 0;
  } else if (o->write) {
    int e = o->write(o->write_ud, pos, p, n);
    if (e) {
      rs->write_errno = e;
      return 0;
    }
  } else if (o->buf) {
    size_t cap = o->buf_max ? o->buf_max : (16u << 20);
    if (o->buf->len + n > cap) {
      rs->overflow = true;
      return 0;
    }
    if (buf_append(o->buf, p, n)) {
      rs->write_errno = ENOMEM;
      return 0;
    }
  }
  rs->delivered += n;
  if (o->progress) atomic_fetch_add(o->progress, n);
  return n;
}

static void trim_span(const char **v, size_t *n) {
  while (*n && ((*v)[*n - 1] == '\r' || (*v)[*n - 1] == '\n' || (*v)[*n - 1] == ' ' || (*v)[*n - 1] == '\t')) (*n)--;
  while (*n && (**v == ' ' || **v == '\t')) {
    (*v)++;
    (*n)--;
  }
}

static size_t on_header(char *p, size_t size, size_t nmemb, void *ud) {
  xfer_t *x = ud;
  http_response_t *rs = x->rs;
  size_t n = size * nmemb;
  if (n >= 5 && !strncmp(p, "HTTP/", 5)) { /* a new response (after 100 Continue or a redirect) */
    buf_clear(&rs->headers);
    rs->has_content_length = false;
    rs->content_length = 0;
    rs->range_total = 0;
    return n;
  }
  const char *colon = memchr(p, ':', n);
  if (!colon) return n;
  const char *k = p, *v = colon + 1;
  size_t kl = (size_t)(colon - p), vl = n - kl - 1;
  trim_span(&k, &kl);
  trim_span(&v, &vl);
  if (!kl) return n;
  if (buf_append(&rs->headers, k, kl) || buf_append_u8(&rs->headers, 0) || buf_append(&rs->headers, v, vl) ||
      buf_append_u8(&rs->headers, 0)) {
    x->header_oom = true;
    return 0;
  }
  char tmp[128];
  if (vl >= sizeof tmp) return n;
  memcpy(tmp, v, vl);
  tmp[vl] = 0;
  if (kl == 14 && !strncasecmp(k, "content-length", 14)) {
    char *e;
    errno = 0;
    unsigned long long cl = strtoull(tmp, &e, 10);
    if (!errno && e != tmp && !*e && tmp[0] != '-') {
      rs->content_length = cl;
      rs->has_content_length = true;
    }
  } else if (kl == 13 && !strncasecmp(k, "content-range", 13)) {
    const char *sl = strchr(tmp, '/');
    if (sl && sl[1] != '*') rs->range_total = strtoull(sl + 1, NULL, 10);
  }
  return n;
}

static int header_lines(const http_request_t *rq, struct curl_slist **out) {
  struct curl_slist *sl = NULL;
  bool expect = false;
  buf_t line = BUF_INIT;
  int rc = 0;
  for (size_t i = 0; i < rq->n_headers && !rc; i++) {
    const http_header_t *h = &rq->headers[i];
    if (!strcasecmp(h->name, "expect")) expect = true;
    buf_clear(&line);
    if (buf_append(&line, h->name, strlen(h->name)) || buf_append_u8(&line, ':') ||
        (h->value && (buf_append_u8(&line, ' ') || buf_append(&line, h->value, strlen(h->value)))) ||
        buf_append_u8(&line, 0)) {
      rc = PRESTIGE_ENOMEM;
      break;
    }
    struct curl_slist *n = curl_slist_append(sl, (const char *)line.data);
    if (!n) rc = PRESTIGE_ENOMEM;
    else sl = n;
  }
  if (line.data) explicit_bzero(line.data, line.cap); /* may have held an Authorization value */
  buf_release(&line);
  /* no 100-continue round trip: the body follows the headers at once */
  if (!rc && !expect) {
    struct curl_slist *n = curl_slist_append(sl, "Expect:");
    if (!n) rc = PRESTIGE_ENOMEM;
    else sl = n;
  }
  if (rc) {
    curl_slist_free_all(sl);
    return rc;
  }
  *out = sl;
  return 0;
}

static void set_method(CURL *h, const http_request_t *rq, xfer_t *x) {
  const char *m = rq->method;
  if (!strcmp(m, "HEAD")) {
    curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
  } else if (rq->has_body || !strcmp(m, "PUT") || !strcmp(m, "POST")) {
    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
    curl_easy_setopt(h, CURLOPT_READDATA, x);
    curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, on_seek);
    curl_easy_setopt(h, CURLOPT_SEEKDATA, x);
    curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)(rq->has_body ? rq->body.len : 0));
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, m);
  } else if (strcmp(m, "GET") != 0) {
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, m);
  }
}

int http_exchange(http_client_t *c, const http_request_t *rq, http_response_t *rs, prestige_error_t *err) {
  response_reset(rs);
  int64_t t0 = prestige_monotonic_ns();
  struct curl_slist *sl = NULL;
  if (header_lines(rq, &sl)) return prestige_error_set(err, PRESTIGE_ENOMEM, "%s %s: out of memory", rq->method, rq->url);
  CURL *h = pool_get(c);
  if (!h) {
    curl_slist_free_all(sl);
    return prestige_error_set(err, PRESTIGE_ENOMEM, "%s %s: curl_easy_init failed", rq->method, rq->url);
  }
  xfer_t x = {.rq = rq, .rs = rs, .h = h};
  buf_init(&x.wbuf);
  char errbuf[CURL_ERROR_SIZE] = "";
  curl_easy_setopt(h, CURLOPT_URL, rq->url);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, sl);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_PATH_AS_IS, 1L);
  curl_easy_setopt(h, CURLOPT_SHARE, c->share);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)c->o.connect_timeout_ms);
  long stall_s = (long)((c->o.stall_timeout_ms + 999) / 1000);
  curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, stall_s < 1 ? 1L : stall_s);
  int64_t total = rq->timeout_ms > 0 ? rq->timeout_ms : c->o.total_timeout_ms;
  if (total > 0) curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)total);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
  curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
  /* A request that must not be sent twice gets a new connection: on a reused connection the
   * server may already have closed, curl re-sends the request by itself, unseen by the retry
   * policy (an Iceberg commit POST would then land twice). */
  if (!http_request_idempotent(rq)) curl_easy_setopt(h, CURLOPT_FRESH_CONNECT, 1L);
  if (rq->out.fd >= 0 || (rq->out.mem && rq->out.mem_len >= (1u << 20))) curl_easy_setopt(h, CURLOPT_BUFFERSIZE, 512L * 1024);
  if (rq->has_body && rq->body.len >= (1u << 20)) curl_easy_setopt(h, CURLOPT_UPLOAD_BUFFERSIZE, 512L * 1024);
  curl_easy_setopt(h, CURLOPT_USERAGENT, c->o.user_agent);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &x);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_write);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &x);
  set_method(h, rq, &x);

  CURLcode cc = curl_easy_perform(h);
  if (x.wbuf.len && !rs->write_errno) flush_wbuf(&x);
  buf_release(&x.wbuf);
  long st = 0, req_size = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &st);
  curl_easy_getinfo(h, CURLINFO_REQUEST_SIZE, &req_size);
  curl_slist_free_all(sl);
  pool_put(c, h, cc == CURLE_OK);
  rs->duration_ns = prestige_monotonic_ns() - t0;
  rs->sent = req_size > 0;
  rs->transport = cc;
  rs->status = st; /* also after a transport failure mid-body: the caller may resume the transfer */
  if (cc != CURLE_OK) snprintf(rs->transport_message, sizeof rs->transport_message, "%s", errbuf[0] ? errbuf : curl_easy_strerror(cc));
  if (x.header_oom) rs->write_errno = ENOMEM;
  if (cc == CURLE_OK && !rs->write_errno && !rs->read_errno && !rs->range_ignored && !rs->overflow) return 0;
  char what[CURL_ERROR_SIZE + 64];
  int code = http_failure_describe(rq, rs, what, sizeof what);
  return prestige_error_set(err, code, "%s %s: %s", rq->method, rq->url, what);
}

int http_failure_describe(const http_request_t *rq, const http_response_t *rs, char *buf, size_t cap) {
  /* a failure of ours first: curl only saw its symptom (an aborted write or read) */
  if (rs->write_errno) {
    int e = rs->write_errno;
    snprintf(buf, cap, "writing the response: %s", strerror(e));
    return e == ENOSPC ? PRESTIGE_ENOSPC : e == ENOMEM ? PRESTIGE_ENOMEM : PRESTIGE_EIO;
  }
  if (rs->read_errno) {
    snprintf(buf, cap, "reading the request body: %s", strerror(rs->read_errno));
    return PRESTIGE_EIO;
  }
  if (rs->range_ignored) {
    snprintf(buf, cap, "the server ignored the Range header (HTTP 200 instead of 206)");
    return PRESTIGE_EHTTP;
  }
  if (rs->overflow) {
    snprintf(buf, cap, "response larger than expected (%zu bytes)",
             rq->out.mem ? rq->out.mem_len : (rq->out.buf_max ? rq->out.buf_max : (size_t)(16u << 20)));
    return PRESTIGE_ECORRUPT;
  }
  if (rs->transport != CURLE_OK) {
    snprintf(buf, cap, "%s", rs->transport_message[0] ? rs->transport_message : curl_easy_strerror(rs->transport));
    return rs->transport == CURLE_OPERATION_TIMEDOUT ? PRESTIGE_ETIMEOUT : PRESTIGE_ENET;
  }
  snprintf(buf, cap, "HTTP %ld", rs->status);
  return http_status_code(rs->status);
}

/* ---- retry policy ----------------------------------------------------------------------------- */

void http_retry_policy_init(http_retry_policy_t *p) {
  memset(p, 0, sizeof *p);
  p->max_attempts = 3;
  p->base_ms = 100;
  p->max_ms = 10000;
  p->retry_after_max_ms = 30000;
  p->retry_5xx = true;
  p->retry_429 = true;
}

bool http_transport_retryable(CURLcode cc) {
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

bool http_retryable(const http_retry_policy_t *p, const http_request_t *rq, const http_response_t *rs, int rc) {
  if (!rc && rs->status >= 200 && rs->status < 300) return false;
  bool retry = false;
  if (rc) {
    /* local failures (output, body, overflow) are final; the wire's are retried when the request
     * never left, or when sending it twice does no harm */
    bool local = rs->write_errno || rs->read_errno || rs->overflow || rs->range_ignored || rs->transport == CURLE_OK;
    retry = !local && http_transport_retryable(rs->transport) && (!rs->sent || http_request_idempotent(rq));
  } else if (rs->status == 429) {
    retry = p->retry_429;
  } else if (rs->status >= 500 && rs->status != 501 && rs->status != 505) {
    retry = p->retry_5xx && http_request_idempotent(rq);
  }
  if (p->classify) {
    http_verdict_t v = p->classify(p->classify_ud, rq, rs, rc);
    if (v != HTTP_VERDICT_DEFAULT) retry = v == HTTP_VERDICT_RETRY;
  }
  return retry;
}

bool http_should_retry(const http_retry_policy_t *p, const http_request_t *rq, const http_response_t *rs, int rc,
                       int attempt) {
  return attempt < p->max_attempts && http_retryable(p, rq, rs, rc);
}

static uint64_t jitter_rand(void) {
  static _Thread_local uint64_t s;
  if (!s) s = (uint64_t)prestige_monotonic_ns() ^ ((uint64_t)(uintptr_t)&s << 17) ^ 0x9E3779B97F4A7C15ull;
  s ^= s << 13;
  s ^= s >> 7;
  s ^= s << 17;
  return s;
}

int64_t http_backoff_ms(const http_retry_policy_t *p, int attempt, uint64_t r) {
  int64_t cap = p->base_ms > 0 ? p->base_ms : 1;
  for (int i = 1; i < attempt && cap < p->max_ms; i++) cap *= 2;
  if (cap > p->max_ms) cap = p->max_ms;
  if (cap <= 0) return 0;
  return (int64_t)(r % (uint64_t)(cap + 1)); /* "full jitter" (AWS architecture blog): spreads retries out best */
}

/* Retry-After: delay-seconds or an HTTP date (RFC 9110 §10.2.3); -1 when absent or unreadable. */
static int64_t retry_after_ms(const http_response_t *rs) {
  const char *v = rs ? http_response_header(rs, "retry-after") : NULL;
  if (!v || !*v) return -1;
  if (isdigit((unsigned char)v[0])) {
    char *e;
    long long s = strtoll(v, &e, 10);
    return *e || s > 86400 ? -1 : (int64_t)s * 1000;
  }
  int64_t t = prestige_time_parse_ms(v);
  if (t < 0) return -1;
  int64_t d = t - prestige_now_ms();
  return d < 0 ? 0 : d;
}

int http_backoff_wait(const http_retry_policy_t *p, int attempt, const http_response_t *rs, prestige_error_t *err) {
  int64_t ms = retry_after_ms(rs);
  if (ms >= 0) {
    if (ms > p->retry_after_max_ms) ms = p->retry_after_max_ms;
  } else {
    ms = http_backoff_ms(p, attempt, jitter_rand());
  }
  if (p->cancel) {
    if (prestige_shutdown_wait(p->cancel, ms))
      return prestige_error_set(err, PRESTIGE_ECANCELED, "canceled while waiting to retry");
    return 0;
  }
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
  return 0;
}

int http_execute(http_client_t *c, const http_request_t *rq, http_response_t *rs, const http_retry_policy_t *p,
                 prestige_error_t *err) {
  size_t buf_base = rq->out.buf ? rq->out.buf->len : 0;
  rs->attempts = 0;
  for (int attempt = 1;; attempt++) {
    if (rq->out.buf) rq->out.buf->len = buf_base; /* a retried body starts over */
    int rc = http_exchange(c, rq, rs, err);
    rs->attempts = attempt;
    if (!http_should_retry(p, rq, rs, rc, attempt)) {
      if (rc && attempt >= p->max_attempts && http_retryable(p, rq, rs, rc))
        prestige_error_prefix(err, "gave up after %d attempts", attempt);
      return rc;
    }
    if (rc) LOG_WARN("%s (attempt %d of %d; retrying)", err ? err->message : rq->url, attempt, p->max_attempts);
    else LOG_WARN("%s %s: HTTP %ld (attempt %d of %d; retrying)", rq->method, rq->url, rs->status, attempt, p->max_attempts);
    PRESTIGE_TRY(http_backoff_wait(p, attempt, rs, err));
  }
}

/* ---- helpers ---------------------------------------------------------------------------------- */

int http_status_code(long st) {
  switch (st) {
    case 400:
    case 413:
    case 422: return PRESTIGE_EINVAL;
    case 401:
    case 403: return PRESTIGE_EAUTH;
    case 404: return PRESTIGE_ENOTFOUND;
    case 409: return PRESTIGE_ECONFLICT;
    default: return st >= 200 && st < 300 ? 0 : PRESTIGE_EHTTP;
  }
}

const char *http_status_reason(long st) {
  switch (st) {
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 206: return "Partial Content";
    case 301: return "Moved Permanently";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 412: return "Precondition Failed";
    case 413: return "Content Too Large";
    case 415: return "Unsupported Media Type";
    case 416: return "Range Not Satisfiable";
    case 419: return "Authentication Timeout";
    case 422: return "Unprocessable Content";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "";
  }
}
