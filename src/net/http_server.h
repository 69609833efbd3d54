/*
 * The HTTP server the metrics endpoint and the Iceberg REST catalog server share, over
 * libmicrohttpd: routes (method + path pattern with {params}), request bodies up to a limit (413
 * beyond it), JSON error bodies in the Iceberg REST ErrorModel shape, a configurable bind address
 * (IPv4 or IPv6, default 127.0.0.1), a thread per connection (bounded), idle-connection timeouts,
 * and a shutdown that stops accepting, lets requests in flight finish, then closes.
 *
 *   static int get_table(void *ud, http_req_t *rq, prestige_error_t *err) {
 *     const char *ns = http_req_param(rq, "namespace");          // percent-decoded
 *     if (!found) return prestige_error_set(err, PRESTIGE_ENOTFOUND, "no table %s", ...);  // 404 JSON
 *     return http_reply(rq, 200, "application/json", json, len);
 *   }
 *   http_server_options_t o;
 *   http_server_options_init(&o);
 *   o.bind_address = "::";                                      // every interface, IPv6 and IPv4
 *   http_server_t *srv;
 *   http_server_new(&srv, &o, &err);
 *   http_server_route(srv, "GET", "/v1/namespaces/{namespace}/tables/{table}", get_table, cat, &err);
 *   http_server_start(srv, &err);                               // http_server_port(srv) when port 0
 *   ...
 *   http_server_free(srv);                                      // waits for requests in flight
 *
 * Unknown paths answer 404 and known paths with another method 405 (with Allow); handlers run on
 * the connection's thread, several at once, so they must be thread-safe.
 */
#ifndef PRESTIGE_NET_HTTP_SERVER_H
#define PRESTIGE_NET_HTTP_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "prestige/error.h"

typedef struct http_server http_server_t;
typedef struct http_req http_req_t;

typedef struct http_server_options {
  const char *bind_address;      /* numeric IPv4 or IPv6 address; default "127.0.0.1"; "::" = every interface */
  uint16_t port;                 /* 0 = a free port (see http_server_port) */
  size_t max_body_bytes;         /* larger request bodies get 413; default 1 MiB */
  unsigned max_connections;      /* connections (threads) at once; default 64 */
  unsigned idle_timeout_s;       /* a connection silent this long is closed; default 30 */
  int64_t shutdown_grace_ms;     /* requests in flight get this long to finish; default 10000 */
} http_server_options_t;

/* Returns 0 with the response queued (http_reply*), or an error: when the handler has not
 * replied, the server answers with the error as JSON, its status from the code (EINVAL 400,
 * EAUTH 403, ENOTFOUND 404, EEXISTS/ECONFLICT 409, EUNSUPPORTED 501, others 500). */
typedef int (*http_handler_fn)(void *ud, http_req_t *rq, prestige_error_t *err);

void http_server_options_init(http_server_options_t *o);
/* EINVAL naming the option for an address that is not a numeric IPv4/IPv6 address. */
int http_server_new(http_server_t **out, const http_server_options_t *o, prestige_error_t *err);
/* Before start. pattern: "/a/{name}/b"; {name} matches one non-empty segment. Routes are tried in
 * the order added. */
int http_server_route(http_server_t *s, const char *method, const char *pattern, http_handler_fn fn, void *ud,
                      prestige_error_t *err);
/* Binds and starts serving. EIO naming the address and port when it cannot listen. */
int http_server_start(http_server_t *s, prestige_error_t *err);
uint16_t http_server_port(const http_server_t *s);
/* Stops accepting, waits up to shutdown_grace_ms for requests in flight, closes everything.
 * Idempotent; also done by http_server_free. */
void http_server_stop(http_server_t *s);
void http_server_free(http_server_t *s);

/* ---- inside a handler ------------------------------------------------------------------------- */

const char *http_req_method(const http_req_t *rq);
const char *http_req_path(const http_req_t *rq);          /* as received (still percent-encoded) */
const char *http_req_param(const http_req_t *rq, const char *name); /* a {param}, decoded; NULL if none */
const char *http_req_query(http_req_t *rq, const char *name);       /* a query argument, decoded; NULL if absent or malformed */
const char *http_req_header(const http_req_t *rq, const char *name);
const uint8_t *http_req_body(const http_req_t *rq, size_t *len);

/* Replies (body copied). Once per request; a second reply is EINVAL. */
int http_reply(http_req_t *rq, int status, const char *content_type, const void *body, size_t len);
/* Keeps a copy of the reply that follows (status and body) for http_req_kept_reply: a server
 * that replays answers (Idempotency-Key) records them this way. */
void http_req_keep_reply(http_req_t *rq);
/* The kept reply's status (0: none yet; -1: copying the body ran out of memory) and body (valid
 * until the request ends). */
int http_req_kept_reply(const http_req_t *rq, const uint8_t **body, size_t *len);
/* Adds a response header to the reply that follows. */
int http_reply_header(http_req_t *rq, const char *name, const char *value);
/* {"error":{"message":"...","type":"...","code":status}}, the Iceberg REST ErrorModel. */
int http_reply_error(http_req_t *rq, int status, const char *type, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* The status an error code stands for, and its ErrorModel type name. */
int http_status_for_code(int code);
const char *http_error_type(int status);

#endif
