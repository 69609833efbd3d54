/* prestige iceberg serve: an Iceberg REST catalog server over the SQL catalog. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "iceberg_cli.h"
#include "prestige/iceberg_rest.h"

#define SERVE_USAGE                                                                                          \
  "usage: prestige iceberg serve --catalog sqlite:PATH|postgresql://... --warehouse URL [--port N]\n"      \
  "                              [--bind ADDR] [--token T] [--credential ID:SECRET] [--prefix P]\n"         \
  "                              [--token-lifetime SECONDS] [--body-limit BYTES] [--idle-timeout SECONDS]\n" \
  "                              [--idempotency-lifetime SECONDS]\n"                                        \
  "\n"                                                                                                       \
  "Serves the catalog over the Iceberg REST protocol until SIGTERM or SIGINT (then lets requests in\n"      \
  "flight finish). New tables live under --warehouse (<warehouse>/<namespace levels>/<table>), so\n"        \
  "clients need none. Prints {\"uri\":\"http://ADDR:PORT\"} once listening.\n"                             \
  "  --port N            default 8181 (0: a free port)\n"                                                   \
  "  --bind ADDR         numeric IPv4/IPv6 address; default 127.0.0.1 (\"::\" every interface)\n"        \
  "  --token T           require \"Authorization: Bearer T\" on every request\n"                           \
  "  --credential ID:SECRET  issue OAuth2 tokens to this client at POST /v1/oauth/tokens\n"                \
  "  --prefix P          serve under /v1/P/... (announced as the config's prefix)\n"                      \
  "  --idempotency-lifetime SECONDS  replay the answer of a mutation retried with its Idempotency-Key\n" \
  "                      for this long (advertised as idempotency-key-lifetime); default 1800, 0 off\n\n" \
  CLI_ICEBERG_COMMON_USAGE

static int run_serve(int argc, char **argv);
CLI_ICEBERG_VERB(serve, "serve", "serve the catalog over the Iceberg REST protocol", SERVE_USAGE, run_serve)

static int num(const cli_ice_verb_t *v, const char *opt, const char *val, long long min, long long max, long long *out) {
  char *end;
  errno = 0;
  long long x = strtoll(val, &end, 10);
  if (errno || end == val || *end || x < min || x > max)
    return cli_ice_usage(v, "%s \"%s\": an integer from %lld to %lld", opt, val, min, max);
  *out = x;
  return 0;
}

static int run_serve(int argc, char **argv) {
  const cli_ice_verb_t *v = &cli_ice_verb_serve;
  cli_ice_opts_t o;
  if ((argc = cli_ice_common(v, argc, argv, &o)) < 0) return CLI_USAGE_ERROR;
  prestige_iceberg_serve_options_t so = PRESTIGE_ICEBERG_SERVE_OPTIONS_INIT;
  long long x = 0;
  for (int i = 1; i < argc; i++) {
    bool missing = false;
    const char *val;
    if ((val = cli_ice_value(argc, argv, &i, "--port", &missing))) {
      if (num(v, "--port", val, 0, 65535, &x)) return CLI_USAGE_ERROR;
      so.port = (uint16_t)x;
    } else if (!missing && (val = cli_ice_value(argc, argv, &i, "--bind", &missing))) {
      so.bind_address = val;
    } else if (!missing && (val = cli_ice_value(argc, argv, &i, "--prefix", &missing))) {
      so.prefix = val;
    } else if (!missing && (val = cli_ice_value(argc, argv, &i, "--token-lifetime", &missing))) {
      if (num(v, "--token-lifetime", val, 1, 365LL * 86400, &x)) return CLI_USAGE_ERROR;
      so.token_lifetime_s = x;
    } else if (!missing && (val = cli_ice_value(argc, argv, &i, "--idempotency-lifetime", &missing))) {
      if (num(v, "--idempotency-lifetime", val, 0, 7LL * 86400, &x)) return CLI_USAGE_ERROR;
      so.idempotency_lifetime_s = x;
    } else if (!missing && (val = cli_ice_value(argc, argv, &i, "--body-limit", &missing))) {
      if (num(v, "--body-limit", val, 1024, 1LL << 30, &x)) return CLI_USAGE_ERROR;
      so.max_body_bytes = (size_t)x;
    } else if (!missing && (val = cli_ice_value(argc, argv, &i, "--idle-timeout", &missing))) {
      if (num(v, "--idle-timeout", val, 1, 86400, &x)) return CLI_USAGE_ERROR;
      so.idle_timeout_s = (unsigned)x;
    } else if (missing) {
      return cli_ice_usage(v, "%s needs a value", argv[i]);
    } else {
      return cli_ice_usage(v, "unexpected argument \"%s\"", argv[i]);
    }
    if (missing) return cli_ice_usage(v, "%s needs a value", argv[i]);
  }
  if (!o.catalog) return cli_ice_usage(v, "no catalog: give --catalog sqlite:PATH or postgresql://... (or set PRESTIGE_CATALOG)");
  if (o.scope || o.oauth2_server_uri || o.sigv4 || o.signing_region || o.signing_name || o.request_timeout)
    return cli_ice_usage(v, "--scope, --oauth2-server-uri, --sigv4, --signing-* and --request-timeout are client options");
  so.catalog.uri = o.catalog;
  so.catalog.warehouse = o.warehouse;
  so.catalog.name = o.catalog_name;
  so.token = o.token;
  so.credential = o.credential;
  cli_signals_install();
  prestige_error_t err;
  prestige_error_init(&err);
  prestige_iceberg_rest_server_t *srv;
  if (prestige_iceberg_serve_start(&srv, &so, &err)) return cli_ice_fail(v, &err);
  const char *bind = so.bind_address ? so.bind_address : "127.0.0.1";
  bool v6 = strchr(bind, ':') != NULL;
  printf("{\"uri\":\"http://%s%s%s:%u\"}\n", v6 ? "[" : "", bind, v6 ? "]" : "", (unsigned)prestige_iceberg_serve_port(srv));
  fflush(stdout);
  while (!cli_signal_received()) {
    struct timespec ts = {0, 100 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  prestige_iceberg_serve_stop(srv);
  fprintf(stderr, "prestige iceberg serve: stopped by %s\n", cli_signal_received() == 2 ? "SIGINT" : "SIGTERM");
  return 0;
}
