/* The shared HTTP server, driven by plain curl and raw sockets: routing with decoded path
 * parameters, 404/405, 413 over the body limit (declared and chunked), malformed requests,
 * handler errors as JSON, concurrent clients, shutdown with a request in flight, IPv6 binding. */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/buf.h"
#include "net/http_server.h"
#include "prestige/core.h"
#include "test.h"

/* ---- a plain curl client ---------------------------------------------------------------------- */

typedef struct reply {
  long status;
  buf_t body;
  char allow[128];
  char ctype[128];
  CURLcode cc;
} reply_t;

static size_t collect(char *p, size_t s, size_t n, void *ud) {
  buf_append(ud, p, s * n);
  return s * n;
}

static size_t header_cb(char *p, size_t s, size_t n, void *ud) {
  reply_t *r = ud;
  size_t len = s * n;
  if (len > 7 && !strncasecmp(p, "Allow: ", 7)) snprintf(r->allow, sizeof r->allow, "%.*s", (int)strcspn(p + 7, "\r\n"), p + 7);
  if (len > 14 && !strncasecmp(p, "Content-Type: ", 14))
    snprintf(r->ctype, sizeof r->ctype, "%.*s", (int)strcspn(p + 14, "\r\n"), p + 14);
  return len;
}

typedef struct src {
  const char *p;
  size_t left;
} src_t;

static size_t feed(char *dst, size_t s, size_t n, void *ud) {
  src_t *src = ud;
  size_t k = s * n < src->left ? s * n : src->left;
  if (k > 1000) k = 1000; /* several chunks */
  memcpy(dst, src->p, k);
  src->p += k;
  src->left -= k;
  return k;
}

/* body NULL = none; chunked sends it without a Content-Length */
static void fetch(reply_t *r, const char *method, const char *url, const char *body, size_t len, bool chunked) {
  memset(r, 0, sizeof *r);
  CURL *c = curl_easy_init();
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &r->body);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, header_cb);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  struct curl_slist *h = NULL;
  h = curl_slist_append(h, "Expect:");
  if (chunked) h = curl_slist_append(h, "Transfer-Encoding: chunked");
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
  src_t src = {body, len};
  if (body && !chunked) {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
  } else if (body) {
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_READFUNCTION, feed);
    curl_easy_setopt(c, CURLOPT_READDATA, &src);
  }
  r->cc = curl_easy_perform(c);
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
  buf_append_u8(&r->body, 0);
  r->body.len--;
  curl_slist_free_all(h);
  curl_easy_cleanup(c);
}

static json_t *reply_json(const reply_t *r) { return json_loadb((const char *)r->body.data, r->body.len, 0, NULL); }

/* "error" object fields of a JSON error reply */
static void check_error_body(const reply_t *r, int status, const char *type, const char *msg_part) {
  json_t *j = reply_json(r);
  CHECK_MSG(j != NULL, "not JSON: %s", (const char *)r->body.data);
  json_t *e = json_object_get(j, "error");
  CHECK_EQ_INT(json_integer_value(json_object_get(e, "code")), status);
  if (type) CHECK_EQ_STR(json_string_value(json_object_get(e, "type")), type);
  const char *m = json_string_value(json_object_get(e, "message"));
  CHECK_MSG(m && strstr(m, msg_part), "message \"%s\" lacks \"%s\"", m ? m : "(null)", msg_part);
  CHECK_EQ_STR(r->ctype, "application/json");
  json_decref(j);
}

/* ---- handlers --------------------------------------------------------------------------------- */

static int h_table(void *ud, http_req_t *rq, prestige_error_t *err) {
  (void)ud;
  (void)err;
  json_t *j = json_pack("{s:s, s:s, s:s?, s:s?}", "namespace", http_req_param(rq, "namespace"), "table",
                        http_req_param(rq, "table"), "pageToken", http_req_query(rq, "pageToken"), "x-test",
                        http_req_header(rq, "X-Test"));
  char *t = json_dumps(j, JSON_COMPACT);
  json_decref(j);
  http_reply_header(rq, "X-Served-By", "prestige-test");
  int rc = http_reply(rq, 200, "application/json", t, strlen(t));
  free(t);
  return rc;
}

static int h_echo(void *ud, http_req_t *rq, prestige_error_t *err) {
  (void)ud;
  (void)err;
  size_t n;
  const uint8_t *b = http_req_body(rq, &n);
  return http_reply(rq, 201, "application/octet-stream", b, n);
}

static int h_missing(void *ud, http_req_t *rq, prestige_error_t *err) {
  (void)ud;
  return prestige_error_set(err, PRESTIGE_ENOTFOUND, "no such table: %s", http_req_param(rq, "name"));
}

static int h_silent(void *ud, http_req_t *rq, prestige_error_t *err) {
  (void)ud;
  (void)rq;
  (void)err;
  return 0;
}

static int h_config(void *ud, http_req_t *rq, prestige_error_t *err) {
  (void)ud;
  (void)err;
  return http_reply(rq, 200, "text/plain", "config", 6);
}

/* concurrency: each request waits until `want` handlers are inside at once (or 20 s pass) */
typedef struct gate {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int inside, max_inside, want;
} gate_t;

static int h_gate(void *ud, http_req_t *rq, prestige_error_t *err) {
  (void)err;
  gate_t *g = ud;
  pthread_mutex_lock(&g->mu);
  g->inside++;
  if (g->inside > g->max_inside) g->max_inside = g->inside;
  pthread_cond_broadcast(&g->cv);
  struct timespec dl;
  clock_gettime(CLOCK_REALTIME, &dl);
  dl.tv_sec += 20;
  while (g->max_inside < g->want)
    if (pthread_cond_timedwait(&g->cv, &g->mu, &dl) != 0) break;
  g->inside--;
  pthread_mutex_unlock(&g->mu);
  return http_reply(rq, 200, "text/plain", "through", 7);
}

typedef struct slow {
  _Atomic int entered, finished;
} slow_t;

static int h_slow(void *ud, http_req_t *rq, prestige_error_t *err) {
  (void)err;
  slow_t *s = ud;
  s->entered = 1;
  usleep(700 * 1000);
  int rc = http_reply(rq, 200, "text/plain", "finished", 8);
  s->finished = 1;
  return rc;
}

static gate_t gate = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, 4};
static slow_t slow;

static http_server_t *start_server(const char *addr, size_t max_body, prestige_error_t *err) {
  http_server_options_t o;
  http_server_options_init(&o);
  o.bind_address = addr;
  o.max_body_bytes = max_body;
  http_server_t *s;
  if (http_server_new(&s, &o, err)) return NULL;
  int rc = http_server_route(s, "GET", "/v1/namespaces/{namespace}/tables/{table}", h_table, NULL, err);
  if (!rc) rc = http_server_route(s, "POST", "/v1/namespaces/{namespace}/tables/{table}", h_echo, NULL, err);
  if (!rc) rc = http_server_route(s, "GET", "/v1/config", h_config, NULL, err);
  if (!rc) rc = http_server_route(s, "HEAD", "/v1/config", h_config, NULL, err);
  if (!rc) rc = http_server_route(s, "GET", "/missing/{name}", h_missing, NULL, err);
  if (!rc) rc = http_server_route(s, "GET", "/silent", h_silent, NULL, err);
  if (!rc) rc = http_server_route(s, "GET", "/gate", h_gate, &gate, err);
  if (!rc) rc = http_server_route(s, "GET", "/slow", h_slow, &slow, err);
  if (!rc) rc = http_server_start(s, err);
  if (rc) {
    http_server_free(s);
    return NULL;
  }
  return s;
}

/* ---- raw sockets ------------------------------------------------------------------------------ */

/* Sends raw bytes, returns what came back (until the server closes or 10 s pass). */
static char *raw_exchange(uint16_t port, const char *data) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  struct timeval tv = {10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
    close(fd);
    return NULL;
  }
  if (write(fd, data, strlen(data)) < 0) {
    close(fd);
    return NULL;
  }
  buf_t b = BUF_INIT;
  char tmp[4096];
  ssize_t n;
  while ((n = read(fd, tmp, sizeof tmp)) > 0) buf_append(&b, tmp, (size_t)n);
  close(fd);
  buf_append_u8(&b, 0);
  return (char *)b.data;
}

/* ---- tests ------------------------------------------------------------------------------------ */

static uint16_t port;
static char base[64];

TEST(routing_and_params) {
  reply_t r;
  char url[256];
  /* %1F is the Iceberg namespace separator; %2F must stay inside the parameter */
  snprintf(url, sizeof url, "%s/v1/namespaces/a%%1Fb/tables/t%%2Fx%%20y?pageToken=p%%26q+r", base);
  fetch(&r, "GET", url, NULL, 0, false);
  CHECK_EQ_INT(r.status, 200);
  json_t *j = reply_json(&r);
  CHECK_EQ_STR(json_string_value(json_object_get(j, "namespace")), "a\x1f" "b");
  CHECK_EQ_STR(json_string_value(json_object_get(j, "table")), "t/x y");
  CHECK_EQ_STR(json_string_value(json_object_get(j, "pageToken")), "p&q r");
  CHECK(json_is_null(json_object_get(j, "x-test"))); /* no such header */
  json_decref(j);
  buf_release(&r.body);
  snprintf(url, sizeof url, "%s/v1/config", base);
  fetch(&r, "GET", url, NULL, 0, false);
  CHECK_EQ_INT(r.status, 200);
  CHECK_EQ_STR((const char *)r.body.data, "config");
  buf_release(&r.body);
  /* POST on the same pattern goes to its own handler, the body arrives whole */
  char body[5000];
  for (size_t i = 0; i < sizeof body; i++) body[i] = (char)('a' + i % 26);
  snprintf(url, sizeof url, "%s/v1/namespaces/n/tables/t", base);
  fetch(&r, "POST", url, body, sizeof body, false);
  CHECK_EQ_INT(r.status, 201);
  CHECK(r.body.len == sizeof body && !memcmp(r.body.data, body, sizeof body));
  buf_release(&r.body);
  fetch(&r, "POST", url, body, sizeof body, true); /* chunked, under the limit */
  CHECK_EQ_INT(r.status, 201);
  CHECK(r.body.len == sizeof body && !memcmp(r.body.data, body, sizeof body));
  buf_release(&r.body);
}

TEST(not_found_and_method_not_allowed) {
  reply_t r;
  char url[256];
  snprintf(url, sizeof url, "%s/v1/nothing/here", base);
  fetch(&r, "GET", url, NULL, 0, false);
  CHECK_EQ_INT(r.status, 404);
  check_error_body(&r, 404, "NotFoundException", "no route for GET /v1/nothing/here");
  buf_release(&r.body);
  snprintf(url, sizeof url, "%s/v1/namespaces/n/tables", base); /* one segment short */
  fetch(&r, "GET", url, NULL, 0, false);
  CHECK_EQ_INT(r.status, 404);
  buf_release(&r.body);
  snprintf(url, sizeof url, "%s/v1/config", base);
  fetch(&r, "DELETE", url, NULL, 0, false);
  CHECK_EQ_INT(r.status, 405);
  CHECK_EQ_STR(r.allow, "GET, HEAD");
  check_error_body(&r, 405, NULL, "method DELETE not allowed on /v1/config");
  buf_release(&r.body);
  /* a handler's error becomes its status and a JSON body carrying its message */
  snprintf(url, sizeof url, "%s/missing/orders", base);
  fetch(&r, "GET", url, NULL, 0, false);
  CHECK_EQ_INT(r.status, 404);
  check_error_body(&r, 404, "NotFoundException", "no such table: orders");
  buf_release(&r.body);
  snprintf(url, sizeof url, "%s/silent", base);
  fetch(&r, "GET", url, NULL, 0, false);
  CHECK_EQ_INT(r.status, 500);
  check_error_body(&r, 500, NULL, "no response");
  buf_release(&r.body);
}

TEST(body_limit) {
  reply_t r;
  char url[256];
  snprintf(url, sizeof url, "%s/v1/namespaces/n/tables/t", base);
  size_t n = 64 * 1024 + 1; /* the server's limit is 64 KiB */
  char *big = malloc(n);
  memset(big, 'x', n);
  fetch(&r, "POST", url, big, n, false);
  CHECK_EQ_INT(r.status, 413);
  check_error_body(&r, 413, NULL, "over the limit of 65536 bytes");
  buf_release(&r.body);
  fetch(&r, "POST", url, big, n, true); /* chunked: no length to refuse up front */
  CHECK_EQ_INT(r.status, 413);
  check_error_body(&r, 413, NULL, "over the limit of 65536 bytes");
  buf_release(&r.body);
  fetch(&r, "POST", url, big, n - 1, false); /* exactly the limit */
  CHECK_EQ_INT(r.status, 201);
  CHECK_EQ_INT(r.body.len, n - 1);
  buf_release(&r.body);
  free(big);
}

TEST(malformed_requests) {
  char *resp = raw_exchange(port, "THIS IS NOT HTTP\r\n\r\n");
  CHECK_MSG(resp && !strncmp(resp, "HTTP/1.1 400", 12), "got \"%.40s\"", resp ? resp : "(nothing)");
  free(resp);
  resp = raw_exchange(port, "GET /v1/config HTTP/1.1\r\nHost: x\r\nBad Header Without Colon\r\n\r\n");
  CHECK_MSG(resp && !strncmp(resp, "HTTP/1.1 400", 12), "got \"%.40s\"", resp ? resp : "(nothing)");
  free(resp);
  resp = raw_exchange(port, "GET /v1/namespaces/%zz/tables/t HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  CHECK_MSG(resp && !strncmp(resp, "HTTP/1.1 400", 12), "got \"%.40s\"", resp ? resp : "(nothing)");
  CHECK(resp && strstr(resp, "malformed percent-encoding in path segment 3"));
  free(resp);
  /* %00 would cut the parameter short: refused */
  resp = raw_exchange(port, "GET /v1/namespaces/a%00b/tables/t HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  CHECK_MSG(resp && !strncmp(resp, "HTTP/1.1 400", 12), "got \"%.40s\"", resp ? resp : "(nothing)");
  free(resp);
  /* the server still answers afterwards */
  resp = raw_exchange(port, "GET /v1/config HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  CHECK(resp && !strncmp(resp, "HTTP/1.1 200", 12) && strstr(resp, "\r\n\r\nconfig"));
  free(resp);
}

static void *gate_client(void *arg) {
  reply_t *r = arg;
  char url[128];
  snprintf(url, sizeof url, "%s/gate", base);
  fetch(r, "GET", url, NULL, 0, false);
  return NULL;
}

TEST(concurrent_clients) {
  pthread_t th[4];
  reply_t r[4];
  for (int i = 0; i < 4; i++) pthread_create(&th[i], NULL, gate_client, &r[i]);
  for (int i = 0; i < 4; i++) pthread_join(th[i], NULL);
  for (int i = 0; i < 4; i++) {
    CHECK_EQ_INT(r[i].status, 200);
    CHECK_EQ_STR((const char *)r[i].body.data, "through");
    buf_release(&r[i].body);
  }
  CHECK_EQ_INT(gate.max_inside, 4); /* all four handlers ran at the same time */
}

static void *slow_client(void *arg) {
  reply_t *r = arg;
  char url[128];
  snprintf(url, sizeof url, "%s/slow", base);
  fetch(r, "GET", url, NULL, 0, false);
  return NULL;
}

TEST(shutdown_with_request_in_flight) {
  prestige_error_t err;
  http_server_t *s = start_server("127.0.0.1", 1024, &err);
  CHECK_MSG(s != NULL, "%s", err.message);
  if (!s) return;
  char saved[64];
  snprintf(saved, sizeof saved, "%s", base);
  snprintf(base, sizeof base, "http://127.0.0.1:%u", http_server_port(s));
  uint16_t p2 = http_server_port(s);
  pthread_t th;
  reply_t r;
  pthread_create(&th, NULL, slow_client, &r);
  for (int i = 0; i < 2000 && !slow.entered; i++) usleep(10000);
  CHECK(slow.entered);
  http_server_free(s); /* waits for the handler and its reply */
  CHECK(slow.finished);
  pthread_join(th, NULL);
  CHECK_EQ_INT(r.status, 200);
  CHECK_EQ_STR((const char *)r.body.data, "finished");
  buf_release(&r.body);
  /* nothing listens any more */
  reply_t r2;
  char url[128];
  snprintf(url, sizeof url, "http://127.0.0.1:%u/v1/config", p2);
  fetch(&r2, "GET", url, NULL, 0, false);
  CHECK_EQ_INT(r2.cc, CURLE_COULDNT_CONNECT);
  buf_release(&r2.body);
  snprintf(base, sizeof base, "%s", saved);
}

TEST(bind_addresses) {
  prestige_error_t err;
  http_server_t *s = start_server("::1", 1024, &err);
  CHECK_MSG(s != NULL, "%s", err.message);
  if (s) {
    reply_t r;
    char url[128];
    snprintf(url, sizeof url, "http://[::1]:%u/v1/config", http_server_port(s));
    fetch(&r, "GET", url, NULL, 0, false);
    CHECK_EQ_INT(r.status, 200);
    buf_release(&r.body);
    snprintf(url, sizeof url, "http://127.0.0.1:%u/v1/config", http_server_port(s));
    fetch(&r, "GET", url, NULL, 0, false); /* ::1 only: IPv4 loopback is another address */
    CHECK_EQ_INT(r.cc, CURLE_COULDNT_CONNECT);
    buf_release(&r.body);
    http_server_free(s);
  }
  http_server_options_t o;
  http_server_options_init(&o);
  o.bind_address = "localhost"; /* names are refused: say which address to bind */
  CHECK_ERR(http_server_new(&s, &o, &err), PRESTIGE_EINVAL, "\"localhost\" is not a numeric");
  o.bind_address = "127.0.0.1";
  o.port = port; /* taken by the main server */
  CHECK_OK(http_server_new(&s, &o, &err));
  char want[64];
  snprintf(want, sizeof want, "cannot listen on 127.0.0.1:%u", port);
  CHECK_ERR(http_server_start(s, &err), PRESTIGE_EIO, want);
  http_server_free(s);
}

TEST_MAIN(
  prestige_error_t err;
  http_server_t *srv = start_server("127.0.0.1", 64 * 1024, &err);
  CHECK_MSG(srv != NULL, "%s", err.message);
  if (srv) {
    port = http_server_port(srv);
    snprintf(base, sizeof base, "http://127.0.0.1:%u", port);
    RUN(routing_and_params);
    RUN(not_found_and_method_not_allowed);
    RUN(body_limit);
    RUN(malformed_requests);
    RUN(concurrent_clients);
    RUN(shutdown_with_request_in_flight);
    RUN(bind_addresses);
    http_server_free(srv);
  }
)
