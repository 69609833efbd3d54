/*
 * The shared HTTP server over libmicrohttpd. See net/http_server.h.
 */
#include "net/http_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/log.h"
#include "prestige/core.h"

#define MAX_SEGMENTS 32

typedef struct route {
  char *method;
  char *pattern;
  char *segs[MAX_SEGMENTS];  /* pattern segments */
  char *names[MAX_SEGMENTS]; /* the param's name where the segment is "{name}", else NULL */
  int n_segs;
  http_handler_fn fn;
  void *ud;
} route_t;

struct http_server {
  http_server_options_t o;
  char *bind_address;
  route_t *routes;
  size_t n_routes;
  struct MHD_Daemon *daemon;
  uint16_t port;
  pthread_mutex_t mu;
  pthread_cond_t idle;
  int in_flight;
  bool stopping;
};

typedef struct kv {
  const char *name;
  char *value;
} kv_t;

struct http_req {
  http_server_t *srv;
  struct MHD_Connection *conn;
  const char *method;
  const char *path;
  const route_t *route;
  kv_t params[MAX_SEGMENTS];
  int n_params;
  struct qkv {
    char *name, *value;
  } *decoded; /* query arguments decoded on demand */
  size_t n_decoded;
  buf_t body;
  uint64_t discarded; /* body bytes dropped after a refusal */
  bool too_large;
  bool replied;
  int early_status; /* a reply decided on the first call (404, 405, 413, 400), 0 when none */
  char early_msg[256];
  buf_t resp_headers; /* "name\0value\0" */
  bool keep;          /* http_req_keep_reply: copy what is replied */
  int kept_status;
  buf_t kept_body;
};

/* ---- options and routes ----------------------------------------------------------------------- */

void http_server_options_init(http_server_options_t *o) {
  memset(o, 0, sizeof *o);
  o->bind_address = "127.0.0.1";
  o->max_body_bytes = 1u << 20;
  o->max_connections = 64;
  o->idle_timeout_s = 30;
  o->shutdown_grace_ms = 10000;
}

int http_server_new(http_server_t **out, const http_server_options_t *o_in, prestige_error_t *err) {
  *out = NULL;
  http_server_options_t o;
  http_server_options_init(&o);
  if (o_in) o = *o_in;
  if (!o.bind_address || !*o.bind_address) o.bind_address = "127.0.0.1";
  struct in6_addr a6;
  struct in_addr a4;
  if (inet_pton(AF_INET, o.bind_address, &a4) != 1 && inet_pton(AF_INET6, o.bind_address, &a6) != 1)
    return prestige_error_set(err, PRESTIGE_EINVAL, "HTTP server: bind_address \"%s\" is not a numeric IPv4 or IPv6 address",
                              o.bind_address);
  if (o.max_connections == 0) return prestige_error_set(err, PRESTIGE_EINVAL, "HTTP server: max_connections must be at least 1");
  if (o.shutdown_grace_ms < 0) return prestige_error_set(err, PRESTIGE_EINVAL, "HTTP server: shutdown_grace_ms is negative");
  http_server_t *s = calloc(1, sizeof *s);
  if (!s) return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
  s->o = o;
  s->bind_address = strdup(o.bind_address);
  if (!s->bind_address) {
    free(s);
    return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
  }
  s->o.bind_address = s->bind_address;
  pthread_mutex_init(&s->mu, NULL);
  pthread_cond_init(&s->idle, NULL);
  *out = s;
  return 0;
}

static void route_release(route_t *r) {
  free(r->method);
  free(r->pattern);
  for (int i = 0; i < r->n_segs; i++) {
    free(r->segs[i]);
    free(r->names[i]);
  }
}

int http_server_route(http_server_t *s, const char *method, const char *pattern, http_handler_fn fn, void *ud,
                      prestige_error_t *err) {
  if (s->daemon) return prestige_error_set(err, PRESTIGE_EINVAL, "HTTP server: routes must be added before it starts");
  if (!pattern || pattern[0] != '/') return prestige_error_set(err, PRESTIGE_EINVAL, "HTTP route \"%s\": must start with '/'", pattern ? pattern : "");
  route_t r = {0};
  r.method = strdup(method);
  r.pattern = strdup(pattern);
  r.fn = fn;
  r.ud = ud;
  int rc = r.method && r.pattern ? 0 : PRESTIGE_ENOMEM;
  for (const char *p = pattern + 1; !rc && *p;) {
    const char *e = strchr(p, '/');
    size_t n = e ? (size_t)(e - p) : strlen(p);
    if (r.n_segs == MAX_SEGMENTS) {
      route_release(&r);
      return prestige_error_set(err, PRESTIGE_EINVAL, "HTTP route \"%s\": more than %d segments", pattern, MAX_SEGMENTS);
    }
    int k = r.n_segs++;
    if (!(r.segs[k] = strndup(p, n))) rc = PRESTIGE_ENOMEM;
    else if (n >= 3 && p[0] == '{' && p[n - 1] == '}' && !(r.names[k] = strndup(p + 1, n - 2))) rc = PRESTIGE_ENOMEM;
    p += n + (e ? 1 : 0);
  }
  route_t *nr = rc ? NULL : realloc(s->routes, (s->n_routes + 1) * sizeof *nr);
  if (!nr) {
    route_release(&r);
    return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
  }
  s->routes = nr;
  s->routes[s->n_routes++] = r;
  return 0;
}

/* ---- percent-decoding ------------------------------------------------------------------------- */

static int hexval(char c) {
  return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Decodes %XX (and '+' as a space in query arguments). NULL when malformed or when it would
 * decode to a NUL byte; *oom tells the two apart. */
static char *pct_decode(const char *s, size_t n, bool plus_space, bool *oom) {
  char *d = malloc(n + 1);
  *oom = d == NULL;
  if (!d) return NULL;
  size_t o = 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] == '%') {
      int hi = i + 1 < n ? hexval(s[i + 1]) : -1, lo = i + 2 < n ? hexval(s[i + 2]) : -1;
      if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
        free(d);
        return NULL;
      }
      d[o++] = (char)(hi * 16 + lo);
      i += 2;
    } else {
      d[o++] = plus_space && s[i] == '+' ? ' ' : s[i];
    }
  }
  d[o] = 0;
  return d;
}

/* ---- request state ---------------------------------------------------------------------------- */

static void req_free(http_req_t *rq) {
  for (int i = 0; i < rq->n_params; i++) free(rq->params[i].value);
  for (size_t i = 0; i < rq->n_decoded; i++) {
    free(rq->decoded[i].name);
    free(rq->decoded[i].value);
  }
  free(rq->decoded);
  buf_release(&rq->body);
  buf_release(&rq->resp_headers);
  buf_release(&rq->kept_body);
  free(rq);
}

const char *http_req_method(const http_req_t *rq) { return rq->method; }
const char *http_req_path(const http_req_t *rq) { return rq->path; }
const uint8_t *http_req_body(const http_req_t *rq, size_t *len) {
  if (len) *len = rq->body.len;
  return rq->body.len ? rq->body.data : (const uint8_t *)"";
}

const char *http_req_param(const http_req_t *rq, const char *name) {
  for (int i = 0; i < rq->n_params; i++)
    if (!strcmp(rq->params[i].name, name)) return rq->params[i].value;
  return NULL;
}

const char *http_req_header(const http_req_t *rq, const char *name) {
  return MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, name);
}

const char *http_req_query(http_req_t *rq, const char *name) {
  for (size_t i = 0; i < rq->n_decoded; i++)
    if (!strcmp(rq->decoded[i].name, name)) return rq->decoded[i].value;
  const char *raw = MHD_lookup_connection_value(rq->conn, MHD_GET_ARGUMENT_KIND, name);
  if (!raw) return NULL;
  bool oom;
  char *v = pct_decode(raw, strlen(raw), true, &oom), *k = strdup(name);
  struct qkv *nd = v && k ? realloc(rq->decoded, (rq->n_decoded + 1) * sizeof *nd) : NULL;
  if (!nd) {
    free(v);
    free(k);
    return NULL;
  }
  rq->decoded = nd;
  rq->decoded[rq->n_decoded++] = (struct qkv){k, v};
  return v;
}

/* ---- replies ---------------------------------------------------------------------------------- */

int http_reply_header(http_req_t *rq, const char *name, const char *value) {
  if (buf_append(&rq->resp_headers, name, strlen(name) + 1) || buf_append(&rq->resp_headers, value, strlen(value) + 1))
    return PRESTIGE_ENOMEM;
  return 0;
}

int http_reply(http_req_t *rq, int status, const char *content_type, const void *body, size_t len) {
  if (rq->replied) return PRESTIGE_EINVAL;
  struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)(len ? body : ""), MHD_RESPMEM_MUST_COPY);
  if (!r) return PRESTIGE_ENOMEM;
  if (content_type) MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
  const char *p = (const char *)rq->resp_headers.data, *end = p + rq->resp_headers.len;
  while (p && p < end) {
    const char *v = p + strlen(p) + 1;
    MHD_add_response_header(r, p, v);
    p = v + strlen(v) + 1;
  }
  enum MHD_Result ok = MHD_queue_response(rq->conn, (unsigned)status, r);
  MHD_destroy_response(r);
  if (ok != MHD_YES) return PRESTIGE_EIO;
  rq->replied = true;
  if (rq->keep) {
    rq->kept_status = status;
    rq->kept_body.len = 0;
    if (len && buf_append(&rq->kept_body, body, len)) rq->kept_status = -1; /* the copy failed: nothing kept */
  }
  return 0;
}

void http_req_keep_reply(http_req_t *rq) { rq->keep = true; }

int http_req_kept_reply(const http_req_t *rq, const uint8_t **body, size_t *len) {
  *body = rq->kept_body.data;
  *len = rq->kept_body.len;
  return rq->keep && rq->replied ? rq->kept_status : 0;
}

const char *http_error_type(int status) {
  switch (status) {
    case 400: return "BadRequestException";
    case 401: return "NotAuthorizedException";
    case 403: return "ForbiddenException";
    case 404: return "NotFoundException";
    case 405: return "MethodNotAllowedException";
    case 406: return "UnsupportedOperationException";
    case 409: return "AlreadyExistsException";
    case 413: return "RequestTooLargeException";
    case 503: return "ServiceUnavailableException";
    default: return status >= 500 ? "InternalServerError" : "BadRequestException";
  }
}

int http_status_for_code(int code) {
  switch (code) {
    case PRESTIGE_EINVAL:
    case PRESTIGE_ECORRUPT:
    case PRESTIGE_ETYPE: return 400;
    case PRESTIGE_EAUTH: return 403;
    case PRESTIGE_ENOTFOUND: return 404;
    case PRESTIGE_EUNSUPPORTED: return 406; /* the Iceberg REST spec's UnsupportedOperationException */
    case PRESTIGE_EEXISTS:
    case PRESTIGE_ECONFLICT: return 409;
    case PRESTIGE_ESHUTDOWN: return 503;
    case PRESTIGE_ETIMEOUT: return 504;
    default: return 500;
  }
}

static int reply_error_msg(http_req_t *rq, int status, const char *type, const char *msg) {
  json_t *j = json_pack("{s:{s:s, s:s, s:i}}", "error", "message", msg, "type", type ? type : http_error_type(status),
                        "code", status);
  char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
  json_decref(j);
  if (!text) return PRESTIGE_ENOMEM;
  int rc = http_reply(rq, status, "application/json", text, strlen(text));
  free(text);
  return rc;
}

int http_reply_error(http_req_t *rq, int status, const char *type, const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return reply_error_msg(rq, status, type, msg);
}

/* ---- dispatch --------------------------------------------------------------------------------- */

/* Splits the raw path into segments (pointers into a copy). -1 when there are too many. */
static int split_path(char *p, char **segs) {
  int n = 0;
  if (*p == '/') p++;
  while (*p || n == 0) {
    if (n == MAX_SEGMENTS) return -1;
    segs[n++] = p;
    char *e = strchr(p, '/');
    if (!e) break;
    *e = 0;
    p = e + 1;
    if (!*p) { /* a trailing slash is an empty last segment */
      if (n == MAX_SEGMENTS) return -1;
      segs[n++] = p;
      break;
    }
  }
  return n;
}

static bool route_matches(const route_t *r, char **segs, int n) {
  if (r->n_segs != n) return false;
  for (int i = 0; i < n; i++) {
    const char *ps = r->segs[i];
    if (r->names[i]) {
      if (!segs[i][0]) return false;
    } else if (strcmp(ps, segs[i]) != 0) {
      return false;
    }
  }
  return true;
}

/* Finds the route for the request; sets early_status for 404/405/400. */
static void resolve(http_server_t *s, http_req_t *rq) {
  size_t pl = strlen(rq->path);
  char *copy = strdup(rq->path);
  if (!copy) {
    rq->early_status = 500;
    snprintf(rq->early_msg, sizeof rq->early_msg, "out of memory");
    return;
  }
  char *segs[MAX_SEGMENTS];
  int n = split_path(copy, segs);
  buf_t allow = BUF_INIT;
  bool path_known = false;
  for (size_t i = 0; n >= 0 && i < s->n_routes; i++) {
    const route_t *r = &s->routes[i];
    if (!route_matches(r, segs, n)) continue;
    path_known = true;
    if (strcmp(r->method, rq->method) != 0) {
      if (!strstr(allow.len ? (const char *)allow.data : "", r->method)) {
        if (allow.len) buf_append(&allow, ", ", 2);
        buf_append(&allow, r->method, strlen(r->method));
        buf_append_u8(&allow, 0);
        allow.len--;
      }
      continue;
    }
    rq->route = r;
    for (int k = 0; k < n; k++) {
      if (!r->names[k]) continue;
      bool oom;
      char *v = pct_decode(segs[k], strlen(segs[k]), false, &oom);
      if (!v) {
        rq->early_status = oom ? 500 : 400;
        snprintf(rq->early_msg, sizeof rq->early_msg, oom ? "out of memory" : "malformed percent-encoding in path segment %d of %.*s",
                 k + 1, (int)(pl > 128 ? 128 : pl), rq->path);
        break;
      }
      rq->params[rq->n_params].name = r->names[k];
      rq->params[rq->n_params++].value = v;
    }
    break;
  }
  if (!rq->route && !rq->early_status) {
    if (n < 0) {
      rq->early_status = 404;
      snprintf(rq->early_msg, sizeof rq->early_msg, "no route for a path of more than %d segments", MAX_SEGMENTS);
    } else if (path_known) {
      rq->early_status = 405;
      snprintf(rq->early_msg, sizeof rq->early_msg, "method %s not allowed on %.128s (allowed: %s)", rq->method, rq->path,
               allow.len ? (const char *)allow.data : "");
      if (allow.len) http_reply_header(rq, "Allow", (const char *)allow.data);
    } else {
      rq->early_status = 404;
      snprintf(rq->early_msg, sizeof rq->early_msg, "no route for %s %.128s", rq->method, rq->path);
    }
  }
  buf_release(&allow);
  free(copy);
}


/* ---- libmicrohttpd callbacks ------------------------------------------------------------------ */

/* Paths and query arguments are kept as received: segments are decoded after the split, so an
 * encoded '/' (%2F) inside a path parameter stays inside it. */
static size_t keep_escaped(void *cls, struct MHD_Connection *c, char *s) {
  (void)cls;
  (void)c;
  return strlen(s);
}

static void mhd_log(void *cls, const char *fmt, va_list ap) {
  (void)cls;
  char m[512];
  vsnprintf(m, sizeof m, fmt, ap);
  m[strcspn(m, "\n")] = 0;
  LOG_DEBUG("HTTP server: %s", m);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **req_cls, enum MHD_RequestTerminationCode toe) {
  (void)c;
  (void)toe;
  http_server_t *s = cls;
  http_req_t *rq = *req_cls;
  if (!rq) return;
  *req_cls = NULL;
  req_free(rq);
  pthread_mutex_lock(&s->mu);
  if (--s->in_flight == 0) pthread_cond_broadcast(&s->idle);
  pthread_mutex_unlock(&s->mu);
}

static enum MHD_Result first_call(http_server_t *s, struct MHD_Connection *conn, const char *url, const char *method,
                                  void **req_cls) {
  http_req_t *rq = calloc(1, sizeof *rq);
  if (!rq) return MHD_NO;
  rq->srv = s;
  rq->conn = conn;
  rq->method = method;
  rq->path = url;
  *req_cls = rq;
  pthread_mutex_lock(&s->mu);
  s->in_flight++;
  pthread_mutex_unlock(&s->mu);
  resolve(s, rq);
  const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
  if (!rq->early_status && cl) {
    char *e;
    errno = 0;
    unsigned long long n = strtoull(cl, &e, 10);
    if (errno || *e || n > s->o.max_body_bytes) {
      rq->early_status = 413;
      snprintf(rq->early_msg, sizeof rq->early_msg, "request body of %s bytes is over the limit of %zu bytes", cl,
               s->o.max_body_bytes);
    }
  }
  /* refused before the body is read: libmicrohttpd closes the connection instead of reading it */
  if (rq->early_status) reply_error_msg(rq, rq->early_status, NULL, rq->early_msg);
  return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size, void **req_cls) {
  (void)version;
  http_server_t *s = cls;
  http_req_t *rq = *req_cls;
  if (!rq) return first_call(s, conn, url, method, req_cls);
  if (*upload_data_size) {
    size_t n = *upload_data_size;
    *upload_data_size = 0;
    if (rq->early_status || rq->too_large) {
      /* discarded (a chunked body has no length to refuse up front); a client that keeps
       * sending far past the limit loses its connection */
      rq->discarded += n;
      return rq->discarded > 16 * (uint64_t)s->o.max_body_bytes + (1u << 20) ? MHD_NO : MHD_YES;
    }
    if (n > s->o.max_body_bytes - rq->body.len) {
      rq->too_large = true;
      rq->discarded = rq->body.len + n;
      buf_release(&rq->body);
      rq->early_status = 413;
      snprintf(rq->early_msg, sizeof rq->early_msg, "request body is over the limit of %zu bytes", s->o.max_body_bytes);
      return MHD_YES;
    }
    return buf_append(&rq->body, upload_data, n) ? MHD_NO : MHD_YES;
  }
  if (rq->replied) return MHD_YES;
  if (rq->early_status) return reply_error_msg(rq, rq->early_status, NULL, rq->early_msg) ? MHD_NO : MHD_YES;
  prestige_error_t e;
  prestige_error_init(&e);
  int rc = rq->route->fn(rq->route->ud, rq, &e);
  if (!rq->replied) {
    if (rc) reply_error_msg(rq, http_status_for_code(rc), NULL, e.message);
    else reply_error_msg(rq, 500, NULL, "the handler sent no response");
  }
  return rq->replied ? MHD_YES : MHD_NO;
}

/* ---- lifecycle -------------------------------------------------------------------------------- */

int http_server_start(http_server_t *s, prestige_error_t *err) {
  if (s->daemon) return prestige_error_set(err, PRESTIGE_EEXISTS, "HTTP server already running on port %u", s->port);
  struct sockaddr_storage ss;
  memset(&ss, 0, sizeof ss);
  unsigned int flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ITC |
                       MHD_USE_ERROR_LOG | MHD_USE_AUTO;
  struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
  struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
  if (inet_pton(AF_INET, s->bind_address, &a4->sin_addr) == 1) {
    a4->sin_family = AF_INET;
    a4->sin_port = htons(s->o.port);
  } else {
    inet_pton(AF_INET6, s->bind_address, &a6->sin6_addr);
    a6->sin6_family = AF_INET6;
    a6->sin6_port = htons(s->o.port);
    /* "::" takes IPv4 connections too, as most servers' "every interface" does */
    flags |= IN6_IS_ADDR_UNSPECIFIED(&a6->sin6_addr) ? MHD_USE_DUAL_STACK : MHD_USE_IPv6;
  }
  s->daemon = MHD_start_daemon(flags, s->o.port, NULL, NULL, on_request, s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
                               MHD_OPTION_CONNECTION_LIMIT, s->o.max_connections, MHD_OPTION_CONNECTION_TIMEOUT,
                               s->o.idle_timeout_s, MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
                               MHD_OPTION_UNESCAPE_CALLBACK, keep_escaped, NULL, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
                               MHD_OPTION_END);
  if (!s->daemon) {
    bool v6 = strchr(s->bind_address, ':') != NULL;
    return prestige_error_set(err, PRESTIGE_EIO, "HTTP server: cannot listen on %s%s%s:%u", v6 ? "[" : "", s->bind_address,
                              v6 ? "]" : "", (unsigned)s->o.port);
  }
  const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
  s->port = info && info->port ? info->port : s->o.port;
  return 0;
}

uint16_t http_server_port(const http_server_t *s) { return s->port; }

void http_server_stop(http_server_t *s) {
  if (!s || !s->daemon) return;
  MHD_socket lfd = MHD_quiesce_daemon(s->daemon);
  struct timespec deadline;
  clock_gettime(CLOCK_REALTIME, &deadline);
  deadline.tv_sec += s->o.shutdown_grace_ms / 1000;
  deadline.tv_nsec += (long)(s->o.shutdown_grace_ms % 1000) * 1000000L;
  if (deadline.tv_nsec >= 1000000000L) {
    deadline.tv_sec++;
    deadline.tv_nsec -= 1000000000L;
  }
  pthread_mutex_lock(&s->mu);
  while (s->in_flight > 0)
    if (pthread_cond_timedwait(&s->idle, &s->mu, &deadline) == ETIMEDOUT) break;
  if (s->in_flight > 0) LOG_WARN("HTTP server on port %u: %d request(s) still running after the grace period", s->port, s->in_flight);
  pthread_mutex_unlock(&s->mu);
  MHD_stop_daemon(s->daemon);
  if (lfd != MHD_INVALID_SOCKET) close(lfd); /* after the stop: a connection thread may still have used it */
  s->daemon = NULL;
}

void http_server_free(http_server_t *s) {
  if (!s) return;
  http_server_stop(s);
  for (size_t i = 0; i < s->n_routes; i++) route_release(&s->routes[i]);
  free(s->routes);
  pthread_cond_destroy(&s->idle);
  pthread_mutex_destroy(&s->mu);
  free(s->bind_address);
  free(s);
}
