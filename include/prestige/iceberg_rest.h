/*
 * prestige/iceberg_rest.h — an Iceberg REST catalog server (the REST OpenAPI,
 * rest-catalog-open-api.yaml) over prestige's SQL catalog: SQLite for one server, PostgreSQL for
 * several servers sharing one catalog. `prestige iceberg serve` runs it.
 *
 *   prestige_iceberg_serve_options_t o = PRESTIGE_ICEBERG_SERVE_OPTIONS_INIT;
 *   o.catalog.uri = "sqlite:/var/lib/lake/catalog.db";
 *   o.catalog.warehouse = "s3://lake/warehouse";   // new tables: <warehouse>/<ns levels>/<table>
 *   o.port = 8181;                                  // o.bind_address defaults to 127.0.0.1
 *   o.token = getenv("CATALOG_TOKEN");              // every request needs "Authorization: Bearer <token>"
 *   prestige_iceberg_rest_server_t *srv;
 *   prestige_iceberg_serve_start(&srv, &o, &err);
 *   ...                                             // clients: --catalog http://127.0.0.1:8181
 *   prestige_iceberg_serve_stop(srv);               // lets requests in flight finish
 *
 * Endpoints: GET /v1/config (with the endpoints list), POST /v1/oauth/tokens (when a credential
 * is set), namespaces (create, list with page tokens, load, exists, properties, drop), tables
 * (create incl. stage-create, list with page tokens, load, exists, commit, rename, drop with
 * purgeRequested, register) and POST /v1/transactions/commit (one SQL transaction). Errors are
 * {"error":{"message","type","code"}} with the spec's statuses: 400 malformed (naming the
 * problem), 401 no or wrong token, 404 missing, 409 conflict or already exists, 413 body too
 * large, 500 commit state unknown. Every response is application/json. Mutations (POST and
 * DELETE) honour an Idempotency-Key header: a retry with the key of a request that got a final
 * answer (2xx or 4xx) gets that answer again without running the operation (a large table result
 * is rebuilt from the table's current state); requests with the same key never run at once.
 */
#ifndef PRESTIGE_ICEBERG_REST_H
#define PRESTIGE_ICEBERG_REST_H

#include "prestige/api.h"

#include <stddef.h>
#include <stdint.h>

#include "prestige/error.h"
#include "prestige/iceberg_catalog.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct prestige_iceberg_rest_server prestige_iceberg_rest_server_t;

#define PRESTIGE_ICEBERG_SERVE_OPTIONS_VERSION 2 /* 2 added idempotency_lifetime_s; a version 1 struct still reads (1800) */
typedef struct prestige_iceberg_serve_options {
  unsigned int version;                       /* PRESTIGE_ICEBERG_SERVE_OPTIONS_VERSION */
  prestige_iceberg_catalog_options_t catalog; /* the SQL catalog served (uri sqlite:/postgresql:, warehouse, s3) */
  const char *bind_address;                   /* numeric IPv4/IPv6; default "127.0.0.1" ("::" every interface) */
  uint16_t port;                              /* default 8181; 0 a free port (prestige_iceberg_serve_port) */
  const char *token;                          /* when set, every request must carry this bearer token */
  const char *credential;                     /* "id:secret": POST /v1/oauth/tokens issues tokens to this client */
  int64_t token_lifetime_s;                   /* issued tokens expire after this; default 3600 */
  const char *prefix;                         /* when set, the config's prefix: routes are /v1/<prefix>/... */
  size_t max_body_bytes;                      /* larger request bodies get 413; default 8 MiB */
  unsigned max_connections;                   /* default 64 */
  unsigned idle_timeout_s;                    /* a silent connection is closed after this; default 30 */
  const prestige_kv_t *table_config;          /* returned as the config of every load-table response
                                                 (vended credentials: s3.access-key-id, ...) */
  int64_t n_table_config;
  int64_t idempotency_lifetime_s;             /* Idempotency-Key support: the config advertises this
                                                 lifetime (idempotency-key-lifetime) and mutations
                                                 that carry a key get their first final answer
                                                 replayed for at least this long; default 1800
                                                 (PT30M); 0 turns it off */
} prestige_iceberg_serve_options_t;

#define PRESTIGE_ICEBERG_SERVE_OPTIONS_INIT                                                                \
  {                                                                                                        \
    .version = PRESTIGE_ICEBERG_SERVE_OPTIONS_VERSION, .catalog = PRESTIGE_ICEBERG_CATALOG_OPTIONS_INIT,   \
    .bind_address = NULL, .port = 8181, .token = NULL, .credential = NULL, .token_lifetime_s = 3600,       \
    .prefix = NULL, .max_body_bytes = 8u << 20, .max_connections = 64, .idle_timeout_s = 30,              \
    .table_config = NULL, .n_table_config = 0, .idempotency_lifetime_s = 1800                              \
  }

PRESTIGE_API void prestige_iceberg_serve_options_init(prestige_iceberg_serve_options_t *o);
/* Opens the catalog, binds and serves on background threads. EINVAL naming the option; EIO
 * naming the address and port when it cannot listen. */
PRESTIGE_API int prestige_iceberg_serve_start(prestige_iceberg_rest_server_t **out, const prestige_iceberg_serve_options_t *o,
                                              prestige_error_t *err);
PRESTIGE_API uint16_t prestige_iceberg_serve_port(const prestige_iceberg_rest_server_t *s);
/* Stops accepting, lets requests in flight finish, closes the catalog. NULL is fine. */
PRESTIGE_API void prestige_iceberg_serve_stop(prestige_iceberg_rest_server_t *s);

#ifdef __cplusplus
}
#endif

#endif /* PRESTIGE_ICEBERG_REST_H */
