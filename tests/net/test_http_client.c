/* The shared HTTP client against the shared HTTP server and a few raw-socket servers that
 * misbehave: retries with backoff on 503 and their limit, no retry on 4xx, Retry-After, the
 * idempotency rules (a POST that may have arrived is not sent again; one that never left is),
 * the caller's classify hook, cancellation, stall and total timeouts, output limits, ranged
 * reads, bodies from memory, files and callbacks, outputs to files and callbacks. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/buf.h"
#include "net/http_client.h"
#include "net/http_server.h"
#include "test.h"

/* ---- the well-behaved server ------------------------------------------------------------------ */

static _Atomic int hits; /* requests that reached a counting handler */
static _Atomic int flaky_left;
static uint8_t pattern[100000];

static int h_flaky(void *ud, http_req_t *rq, prestige_error_t *err) {
  (void)ud;
  (void)err;
  hits++;
  if (flaky_left > 0) {
    flaky_left--;
    return http_reply(rq, 503, "text/plain", "busy", 4);
  }
  return http_reply(rq, 200, "text/plain", "ok", 2);
}

static int h_status(void *ud, http_req_t *rq, prestige_error_t *err) {
  (void)ud;
  (void)err;
  hits++;
  int st = atoi(http_req_param(rq, "code"));
  char body[32];
  snprintf(body, sizeof body, "status %d", st);
  return http_reply(rq, st, "text/plain", body, strlen(body));
}

static int h_retry_after(void *ud, http_req_t *rq, prestige_error_t *err) {
  (void)ud;
  (void)err;
  if (hits++ == 0) {
    http_reply_header(rq, "Retry-After", "1");
    return http_reply(rq, 503, "text/plain", "later", 5);
  }
  return http_reply(rq, 200, "text/plain", "now", 3);
}

static int h_echo(void *ud, http_req_t *rq, prestige_error_t *err) {
  (void)ud;
  (void)err;
  size_t n;
  const uint8_t *b = http_req_body(rq, &n);
  const char *x = http_req_header(rq, "X-Req");
  if (x) http_reply_header(rq, "X-Echo", x);
  return http_reply(rq, 200, "application/octet-stream", b, n);
}

static int h_big(void *ud, http_req_t *rq, prestige_error_t *err) {
  (void)ud;
  (void)err;
  return http_reply(rq, 200, "application/octet-stream", pattern, sizeof pattern);
}

/* honours "Range: bytes=a-b" unless ud says to ignore it */
static int h_range(void *ud, http_req_t *rq, prestige_error_t *err) {
  (void)err;
  unsigned long long a, b;
  const char *r = http_req_header(rq, "Range");
  if (ud || !r || sscanf(r, "bytes=%llu-%llu", &a, &b) != 2 || a > b || b >= 1000)
    return http_reply(rq, 200, "application/octet-stream", pattern, 1000);
  char cr[64];
  snprintf(cr, sizeof cr, "bytes %llu-%llu/1000", a, b);
  http_reply_header(rq, "Content-Range", cr);
  return http_reply(rq, 206, "application/octet-stream", pattern + a, (size_t)(b - a + 1));
}

/* ---- misbehaving raw servers ------------------------------------------------------------------ */

typedef enum { RAW_STALL, RAW_DROP, RAW_TRICKLE } raw_mode_t;

typedef struct raw_server {
  raw_mode_t mode;
  int lfd;
  uint16_t port;
  pthread_t th;
  _Atomic int stop;
  _Atomic int connections;
  int held[16];
  int n_held;
} raw_server_t;

static void read_request(int fd) {
  char buf[4096];
  size_t got = 0;
  struct pollfd p = {fd, POLLIN, 0};
  while (got < sizeof buf - 1 && poll(&p, 1, 2000) > 0) {
    ssize_t n = read(fd, buf + got, sizeof buf - 1 - got);
    if (n <= 0) break;
    got += (size_t)n;
    buf[got] = 0;
    if (strstr(buf, "\r\n\r\n")) break;
  }
}

static void *raw_main(void *arg) {
  raw_server_t *s = arg;
  while (!s->stop) {
    struct pollfd p = {s->lfd, POLLIN, 0};
    if (poll(&p, 1, 50) <= 0) continue;
    int fd = accept(s->lfd, NULL, NULL);
    if (fd < 0) continue;
    s->connections++;
    read_request(fd);
    if (s->mode == RAW_DROP) {
      close(fd); /* the request arrived; no answer */
    } else if (s->mode == RAW_STALL) {
      if (s->n_held < 16) s->held[s->n_held++] = fd; /* never answered */
      else close(fd);
    } else {
      const char *h = "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n";
      if (write(fd, h, strlen(h)) < 0) {
        close(fd);
        continue;
      }
      for (int i = 0; i < 1000 && !s->stop; i++) { /* a byte every 300 ms: moving, never done in time */
        if (write(fd, "x", 1) != 1) break;
        usleep(300 * 1000);
      }
      close(fd);
    }
  }
  for (int i = 0; i < s->n_held; i++) close(s->held[i]);
  return NULL;
}

static int raw_start(raw_server_t *s, raw_mode_t mode) {
  memset(s, 0, sizeof *s);
  s->mode = mode;
  s->lfd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t al = sizeof a;
  if (bind(s->lfd, (struct sockaddr *)&a, sizeof a) || listen(s->lfd, 16) || getsockname(s->lfd, (struct sockaddr *)&a, &al))
    return -1;
  s->port = ntohs(a.sin_port);
  return pthread_create(&s->th, NULL, raw_main, s);
}

static void raw_stop(raw_server_t *s) {
  s->stop = 1;
  pthread_join(s->th, NULL);
  close(s->lfd);
}

/* A loopback port nothing listens on. */
static uint16_t dead_port(void) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t al = sizeof a;
  bind(fd, (struct sockaddr *)&a, sizeof a);
  getsockname(fd, (struct sockaddr *)&a, &al);
  close(fd);
  return ntohs(a.sin_port);
}

/* ---- helpers ---------------------------------------------------------------------------------- */

static http_client_t *hc;
static char base[64];

static const char *url(const char *path) {
  static char u[256];
  snprintf(u, sizeof u, "%s%s", base, path);
  return u;
}

static http_retry_policy_t policy(int attempts) {
  http_retry_policy_t p;
  http_retry_policy_init(&p);
  p.max_attempts = attempts;
  p.base_ms = 20;
  p.max_ms = 200;
  return p;
}

/* ---- tests ------------------------------------------------------------------------------------ */

TEST(retries_on_503) {
  prestige_error_t err;
  http_retry_policy_t p = policy(4);
  http_request_t rq;
  http_response_t rs;
  http_response_init(&rs);
  buf_t body = BUF_INIT;
  http_request_init(&rq, "GET", url("/flaky"));
  rq.out.buf = &body;
  hits = 0;
  flaky_left = 2;
  CHECK_OK(http_execute(hc, &rq, &rs, &p, &err));
  CHECK_EQ_INT(rs.status, 200);
  CHECK_EQ_INT(rs.attempts, 3);
  CHECK_EQ_INT(hits, 3);
  CHECK(body.len == 2 && !memcmp(body.data, "ok", 2)); /* the 503 bodies went elsewhere */
  /* the limit: the last answer is returned as it is */
  hits = 0;
  flaky_left = 100;
  body.len = 0;
  http_retry_policy_t p3 = policy(3);
  CHECK_OK(http_execute(hc, &rq, &rs, &p3, &err));
  CHECK_EQ_INT(rs.status, 503);
  CHECK_EQ_INT(rs.attempts, 3);
  CHECK_EQ_INT(hits, 3);
  CHECK(rs.error_body.len == 4 && !memcmp(rs.error_body.data, "busy", 4));
  CHECK_EQ_INT(body.len, 0);
  /* a server's Retry-After is honoured */
  hits = 0;
  http_request_init(&rq, "GET", url("/retry-after"));
  int64_t t0 = prestige_monotonic_ns();
  CHECK_OK(http_execute(hc, &rq, &rs, &p3, &err));
  CHECK_EQ_INT(rs.status, 200);
  CHECK_EQ_INT(rs.attempts, 2);
  CHECK(prestige_monotonic_ns() - t0 >= 950 * 1000000LL);
  buf_release(&body);
  http_response_release(&rs);
}

TEST(no_retry_on_4xx) {
  prestige_error_t err;
  http_retry_policy_t p = policy(4);
  http_request_t rq;
  http_response_t rs;
  http_response_init(&rs);
  const char *paths[] = {"/status/400", "/status/403", "/status/404", "/status/409", "/status/501"};
  for (size_t i = 0; i < sizeof paths / sizeof *paths; i++) {
    hits = 0;
    http_request_init(&rq, "GET", url(paths[i]));
    CHECK_OK(http_execute(hc, &rq, &rs, &p, &err));
    CHECK_EQ_INT(rs.status, atoi(paths[i] + 8));
    CHECK_EQ_INT(rs.attempts, 1);
    CHECK_EQ_INT(hits, 1);
  }
  CHECK_EQ_INT(http_status_code(404), PRESTIGE_ENOTFOUND);
  CHECK_EQ_INT(http_status_code(409), PRESTIGE_ECONFLICT);
  CHECK_EQ_INT(http_status_code(403), PRESTIGE_EAUTH);
  CHECK_EQ_INT(http_status_code(502), PRESTIGE_EHTTP);
  http_response_release(&rs);
}

static http_verdict_t classify_400_slowdown(void *ud, const http_request_t *rq, const http_response_t *rs, int rc) {
  (void)ud;
  (void)rq;
  if (rc) return HTTP_VERDICT_DEFAULT;
  if (rs->status == 400 && rs->error_body.len >= 10 && !memcmp(rs->error_body.data, "status 400", 10)) return HTTP_VERDICT_RETRY;
  if (rs->status == 503) return HTTP_VERDICT_STOP;
  return HTTP_VERDICT_DEFAULT;
}

TEST(idempotency_and_classify) {
  prestige_error_t err;
  http_retry_policy_t p = policy(3);
  http_request_t rq;
  http_response_t rs;
  http_response_init(&rs);
  struct {
    const char *method, *path;
    http_idempotency_t idem;
    int attempts;
  } cases[] = {
      {"POST", "/status/503", HTTP_IDEMPOTENT_AUTO, 1},  /* a commit that got a 503 is not sent again */
      {"POST", "/status/502", HTTP_IDEMPOTENT_AUTO, 1},
      {"POST", "/status/503", HTTP_IDEMPOTENT_YES, 3},   /* unless the caller says it may be */
      {"PUT", "/status/503", HTTP_IDEMPOTENT_AUTO, 3},
      {"DELETE", "/status/500", HTTP_IDEMPOTENT_AUTO, 3},
      {"GET", "/status/504", HTTP_IDEMPOTENT_NO, 1},
      {"POST", "/status/429", HTTP_IDEMPOTENT_AUTO, 3},  /* 429: the server did not act on it */
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    hits = 0;
    http_request_init(&rq, cases[i].method, url(cases[i].path));
    rq.idempotent = cases[i].idem;
    CHECK_OK(http_execute(hc, &rq, &rs, &p, &err));
    CHECK_MSG(rs.attempts == cases[i].attempts && hits == cases[i].attempts, "%s %s: %d attempts, %d hits", cases[i].method,
              cases[i].path, rs.attempts, (int)hits);
  }
  CHECK(!http_request_idempotent(&(http_request_t){.method = "POST"}));
  CHECK(http_request_idempotent(&(http_request_t){.method = "HEAD"}));
  /* retry_5xx off */
  http_retry_policy_t no5 = policy(3);
  no5.retry_5xx = false;
  hits = 0;
  http_request_init(&rq, "GET", url("/status/503"));
  CHECK_OK(http_execute(hc, &rq, &rs, &no5, &err));
  CHECK_EQ_INT(rs.attempts, 1);
  /* the caller's hook: S3-style retry of a 400 it recognises, and a veto on 503 */
  http_retry_policy_t hk = policy(3);
  hk.classify = classify_400_slowdown;
  hits = 0;
  http_request_init(&rq, "GET", url("/status/400"));
  CHECK_OK(http_execute(hc, &rq, &rs, &hk, &err));
  CHECK_EQ_INT(rs.attempts, 3);
  http_request_init(&rq, "GET", url("/status/503"));
  CHECK_OK(http_execute(hc, &rq, &rs, &hk, &err));
  CHECK_EQ_INT(rs.attempts, 1);
  http_response_release(&rs);
}

TEST(transport_failures_and_idempotency) {
  prestige_error_t err;
  http_retry_policy_t p = policy(3);
  http_request_t rq;
  http_response_t rs;
  http_response_init(&rs);
  raw_server_t drop;
  CHECK(raw_start(&drop, RAW_DROP) == 0);
  char u[128];
  snprintf(u, sizeof u, "http://127.0.0.1:%u/x", drop.port);
  /* the server read the request and hung up: a GET is retried */
  http_request_init(&rq, "GET", u);
  CHECK_ERR(http_execute(hc, &rq, &rs, &p, &err), PRESTIGE_ENET, "gave up after 3 attempts");
  CHECK(strstr(err.message, u) != NULL);
  CHECK_EQ_INT(rs.attempts, 3);
  CHECK_EQ_INT(drop.connections, 3);
  CHECK(rs.sent);
  /* a POST that may have arrived is not */
  drop.connections = 0;
  http_request_init(&rq, "POST", u);
  rq.has_body = true;
  rq.body.data = (const uint8_t *)"{\"commit\":1}";
  rq.body.len = 12;
  CHECK_EQ_INT(http_execute(hc, &rq, &rs, &p, &err), PRESTIGE_ENET);
  CHECK(strstr(err.message, "gave up") == NULL);
  CHECK_EQ_INT(rs.attempts, 1);
  CHECK_EQ_INT(drop.connections, 1);
  raw_stop(&drop);
  /* a POST that never left (nothing listens) is */
  snprintf(u, sizeof u, "http://127.0.0.1:%u/x", dead_port());
  rq.url = u;
  CHECK_ERR(http_execute(hc, &rq, &rs, &p, &err), PRESTIGE_ENET, "gave up after 3 attempts");
  CHECK_EQ_INT(rs.attempts, 3);
  CHECK(!rs.sent);
  http_response_release(&rs);
}

TEST(timeouts) {
  prestige_error_t err;
  http_client_options_t o;
  http_client_options_init(&o);
  o.stall_timeout_ms = 1000;
  http_client_t *c;
  CHECK_OK(http_client_new(&c, &o, &err));
  http_retry_policy_t one = policy(1);
  http_request_t rq;
  http_response_t rs;
  http_response_init(&rs);
  raw_server_t stall;
  CHECK(raw_start(&stall, RAW_STALL) == 0);
  char u[128];
  snprintf(u, sizeof u, "http://127.0.0.1:%u/slow", stall.port);
  http_request_init(&rq, "GET", u);
  int64_t t0 = prestige_monotonic_ns();
  CHECK_ERR(http_execute(c, &rq, &rs, &one, &err), PRESTIGE_ETIMEOUT, u);
  int64_t ms = (prestige_monotonic_ns() - t0) / 1000000;
  CHECK_MSG(ms >= 900 && ms < 30000, "stalled for %lld ms", (long long)ms); /* fired, and not the 30 s default */
  raw_stop(&stall);
  /* a body that keeps moving is no stall, but the total timeout ends it */
  raw_server_t trickle;
  CHECK(raw_start(&trickle, RAW_TRICKLE) == 0);
  snprintf(u, sizeof u, "http://127.0.0.1:%u/trickle", trickle.port);
  http_request_init(&rq, "GET", u);
  rq.timeout_ms = 2500;
  buf_t body = BUF_INIT;
  rq.out.buf = &body;
  t0 = prestige_monotonic_ns();
  CHECK_ERR(http_execute(c, &rq, &rs, &one, &err), PRESTIGE_ETIMEOUT, u);
  ms = (prestige_monotonic_ns() - t0) / 1000000;
  CHECK_MSG(ms >= 2400 && ms < 30000, "trickled for %lld ms", (long long)ms);
  CHECK(body.len >= 3 && body.len < 1000); /* bytes did arrive, more than a stall would allow */
  raw_stop(&trickle);
  buf_release(&body);
  http_client_free(c);
  http_response_release(&rs);
  /* option validation names the field */
  o.connect_timeout_ms = 0;
  CHECK_ERR(http_client_new(&c, &o, &err), PRESTIGE_EINVAL, "connect_timeout_ms");
}

static void *trigger_later(void *arg) {
  usleep(200 * 1000);
  prestige_shutdown_trigger(arg);
  return NULL;
}

TEST(backoff) {
  http_retry_policy_t p;
  http_retry_policy_init(&p);
  p.base_ms = 100;
  p.max_ms = 1000;
  /* full jitter: uniform in [0, min(max, base * 2^(attempt-1))], both ends reachable */
  CHECK_EQ_INT(http_backoff_ms(&p, 1, 0), 0);
  CHECK_EQ_INT(http_backoff_ms(&p, 1, 100), 100);
  CHECK_EQ_INT(http_backoff_ms(&p, 1, 101), 0);
  CHECK_EQ_INT(http_backoff_ms(&p, 3, 400), 400);
  CHECK_EQ_INT(http_backoff_ms(&p, 4, 800), 800);
  CHECK_EQ_INT(http_backoff_ms(&p, 5, 1000), 1000); /* capped */
  CHECK_EQ_INT(http_backoff_ms(&p, 60, 1000), 1000);
  uint64_t r = 88172645463325252ull;
  int64_t worst = 0;
  for (int i = 0; i < 10000; i++) {
    r ^= r << 13, r ^= r >> 7, r ^= r << 17;
    int a = 1 + i % 8;
    int64_t cap = 100LL << (a - 1);
    if (cap > 1000) cap = 1000;
    int64_t v = http_backoff_ms(&p, a, r);
    if (v < 0 || v > cap) worst = v;
  }
  CHECK_EQ_INT(worst, 0);
  /* a waiting retry ends when the cancel token fires */
  prestige_error_t err;
  prestige_shutdown_t *stop = prestige_shutdown_new();
  http_retry_policy_t slow = policy(5);
  slow.base_ms = slow.max_ms = 60000;
  slow.cancel = stop;
  http_request_t rq;
  http_request_init(&rq, "GET", url("/status/503"));
  http_response_t rs;
  http_response_init(&rs);
  pthread_t th;
  pthread_create(&th, NULL, trigger_later, stop);
  int64_t t0 = prestige_monotonic_ns();
  int rc = PRESTIGE_ECANCELED;
  /* the jitter may pick a short wait: retry until one is long enough to be canceled */
  for (int i = 0; i < 50; i++)
    if ((rc = http_execute(hc, &rq, &rs, &slow, &err)) == PRESTIGE_ECANCELED) break;
  CHECK_ERR(rc, PRESTIGE_ECANCELED, "canceled");
  CHECK(prestige_monotonic_ns() - t0 < 30000 * 1000000LL);
  pthread_join(th, NULL);
  prestige_shutdown_free(stop);
  http_response_release(&rs);
}

static int64_t read_cb(void *ud, uint64_t pos, void *dst, size_t cap) {
  const uint8_t *src = ud;
  size_t n = cap < 7 ? cap : 7; /* small pieces */
  memcpy(dst, src + pos, n);
  return (int64_t)n;
}

typedef struct sink_cb {
  uint8_t data[2000];
  uint64_t min_pos, max_end;
} sink_cb_t;

static int write_cb(void *ud, uint64_t pos, const void *p, size_t n) {
  sink_cb_t *s = ud;
  if (pos + n > sizeof s->data) return ENOSPC;
  memcpy(s->data + pos, p, n);
  if (pos < s->min_pos) s->min_pos = pos;
  if (pos + n > s->max_end) s->max_end = pos + n;
  return 0;
}

TEST(bodies_and_outputs) {
  prestige_error_t err;
  http_retry_policy_t p = policy(2);
  http_request_t rq;
  http_response_t rs;
  http_response_init(&rs);
  buf_t out = BUF_INIT;
  /* memory body, a request header, a response header */
  http_header_t h[] = {{"X-Req", "hello"}};
  http_request_init(&rq, "PUT", url("/echo"));
  rq.headers = h;
  rq.n_headers = 1;
  rq.has_body = true;
  rq.body.data = pattern;
  rq.body.len = 5000;
  rq.out.buf = &out;
  CHECK_OK(http_execute(hc, &rq, &rs, &p, &err));
  CHECK(out.len == 5000 && !memcmp(out.data, pattern, 5000));
  CHECK_EQ_STR(http_response_header(&rs, "x-echo"), "hello");
  CHECK(rs.has_content_length && rs.content_length == 5000);
  CHECK(http_response_header(&rs, "no-such-header") == NULL);
  /* a file range body */
  char path[1100];
  snprintf(path, sizeof path, "%s/body.bin", test_tmpdir());
  int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
  CHECK(write(fd, pattern, 10000) == 10000);
  http_request_init(&rq, "POST", url("/echo"));
  rq.has_body = true;
  rq.body.fd = fd;
  rq.body.fd_off = 1000;
  rq.body.len = 3000;
  out.len = 0;
  rq.out.buf = &out;
  CHECK_OK(http_execute(hc, &rq, &rs, &p, &err));
  CHECK(out.len == 3000 && !memcmp(out.data, pattern + 1000, 3000));
  /* a callback body; the response into a file at an offset */
  http_request_init(&rq, "POST", url("/echo"));
  rq.has_body = true;
  rq.body.read = read_cb;
  rq.body.read_ud = pattern;
  rq.body.len = 1500;
  rq.out.fd = fd;
  rq.out.fd_off = 20000;
  CHECK_OK(http_execute(hc, &rq, &rs, &p, &err));
  CHECK_EQ_INT(rs.delivered, 1500);
  uint8_t back[1500];
  CHECK(pread(fd, back, 1500, 20000) == 1500 && !memcmp(back, pattern, 1500));
  close(fd);
  /* into a callback, positions counted from out_pos (a resumed download) */
  sink_cb_t sc = {.min_pos = UINT64_MAX};
  http_request_init(&rq, "POST", url("/echo"));
  rq.has_body = true;
  rq.body.data = pattern;
  rq.body.len = 1000;
  rq.out.write = write_cb;
  rq.out.write_ud = &sc;
  rq.out_pos = 500;
  CHECK_OK(http_execute(hc, &rq, &rs, &p, &err));
  CHECK_EQ_INT(sc.min_pos, 500);
  CHECK_EQ_INT(sc.max_end, 1500);
  CHECK(!memcmp(sc.data + 500, pattern, 1000));
  /* a callback that fails: the write error, not a transport one, and no retry */
  rq.out_pos = 1500;
  CHECK_ERR(http_execute(hc, &rq, &rs, &p, &err), PRESTIGE_ENOSPC, "writing the response");
  CHECK_EQ_INT(rs.attempts, 1);
  /* output limits */
  http_request_init(&rq, "GET", url("/big"));
  out.len = 0;
  rq.out.buf = &out;
  rq.out.buf_max = 1000;
  CHECK_ERR(http_execute(hc, &rq, &rs, &p, &err), PRESTIGE_ECORRUPT, "larger than expected (1000 bytes)");
  CHECK_EQ_INT(rs.attempts, 1);
  uint8_t *win = malloc(sizeof pattern);
  http_request_init(&rq, "GET", url("/big"));
  rq.out.mem = win;
  rq.out.mem_len = sizeof pattern - 1;
  CHECK_ERR(http_execute(hc, &rq, &rs, &p, &err), PRESTIGE_ECORRUPT, "larger than expected");
  rq.out.mem_len = sizeof pattern;
  CHECK_OK(http_execute(hc, &rq, &rs, &p, &err));
  CHECK(rs.delivered == sizeof pattern && !memcmp(win, pattern, sizeof pattern));
  free(win);
  /* an error status's body goes to error_body, never to the output */
  http_request_init(&rq, "GET", url("/status/404"));
  out.len = 0;
  rq.out.buf = &out;
  CHECK_OK(http_execute(hc, &rq, &rs, &p, &err));
  CHECK_EQ_INT(out.len, 0);
  CHECK(rs.error_body.len == 10 && !memcmp(rs.error_body.data, "status 404", 10));
  buf_release(&out);
  http_response_release(&rs);
}

TEST(ranged_reads) {
  prestige_error_t err;
  http_retry_policy_t p = policy(2);
  http_request_t rq;
  http_response_t rs;
  http_response_init(&rs);
  uint8_t dst[100];
  http_header_t h[] = {{"Range", "bytes=100-199"}};
  http_request_init(&rq, "GET", url("/range"));
  rq.headers = h;
  rq.n_headers = 1;
  rq.expect_partial = true;
  rq.out.mem = dst;
  rq.out.mem_len = sizeof dst;
  CHECK_OK(http_execute(hc, &rq, &rs, &p, &err));
  CHECK_EQ_INT(rs.status, 206);
  CHECK_EQ_INT(rs.range_total, 1000);
  CHECK(!memcmp(dst, pattern + 100, 100));
  /* a server that ignores Range must not splice a whole object into the window */
  http_request_init(&rq, "GET", url("/norange"));
  rq.headers = h;
  rq.n_headers = 1;
  rq.expect_partial = true;
  rq.out.mem = dst;
  rq.out.mem_len = sizeof dst;
  CHECK_ERR(http_execute(hc, &rq, &rs, &p, &err), PRESTIGE_EHTTP, "ignored the Range header");
  CHECK_EQ_INT(rs.attempts, 1);
  http_response_release(&rs);
}

TEST_MAIN(
  for (size_t i = 0; i < sizeof pattern; i++) pattern[i] = (uint8_t)(i * 7 + i / 251);
  prestige_error_t err;
  http_server_options_t so;
  http_server_options_init(&so);
  http_server_t *srv = NULL;
  int rc = http_server_new(&srv, &so, &err);
  if (!rc) rc = http_server_route(srv, "GET", "/flaky", h_flaky, NULL, &err);
  const char *methods[] = {"GET", "POST", "PUT", "DELETE"};
  for (int i = 0; i < 4 && !rc; i++) rc = http_server_route(srv, methods[i], "/status/{code}", h_status, NULL, &err);
  if (!rc) rc = http_server_route(srv, "GET", "/retry-after", h_retry_after, NULL, &err);
  if (!rc) rc = http_server_route(srv, "PUT", "/echo", h_echo, NULL, &err);
  if (!rc) rc = http_server_route(srv, "POST", "/echo", h_echo, NULL, &err);
  if (!rc) rc = http_server_route(srv, "GET", "/big", h_big, NULL, &err);
  if (!rc) rc = http_server_route(srv, "GET", "/range", h_range, NULL, &err);
  if (!rc) rc = http_server_route(srv, "GET", "/norange", h_range, (void *)1, &err);
  if (!rc) rc = http_server_start(srv, &err);
  if (!rc) rc = http_client_new(&hc, NULL, &err);
  CHECK_MSG(rc == 0, "%s", err.message);
  if (!rc) {
    snprintf(base, sizeof base, "http://127.0.0.1:%u", http_server_port(srv));
    RUN(retries_on_503);
    RUN(no_retry_on_4xx);
    RUN(idempotency_and_classify);
    RUN(transport_failures_and_idempotency);
    RUN(timeouts);
    RUN(backoff);
    RUN(bodies_and_outputs);
    RUN(ranged_reads);
  }
  http_client_free(hc);
  http_server_free(srv);
)
