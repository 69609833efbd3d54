/*
 * `prestige iceberg VERB ...`: the sub-verbs register themselves with CLI_ICEBERG_VERB (one file
 * per verb or small group), and share the catalog options every verb takes, in any order after
 * the verb:
 *   --catalog URI        sqlite:PATH, postgresql://..., http(s)://... (default $PRESTIGE_CATALOG)
 *   --warehouse URL      file:///dir, a directory, s3://bucket/prefix (default $PRESTIGE_WAREHOUSE)
 *   --catalog-name NAME  default "prestige"
 *   --endpoint URL       S3 endpoint (taken by main for every verb)
 *
 *   static int run_thing(int argc, char **argv) {
 *     cli_ice_opts_t o;
 *     argc = cli_ice_common(&thing_verb, argc, argv, &o);   // shared options removed from argv
 *     if (argc < 0) return CLI_USAGE_ERROR;
 *     prestige_iceberg_catalog_t *cat;
 *     int rc = cli_ice_open(&thing_verb, &o, &cat);           // message printed on failure
 *     if (rc) return rc;
 *     ...
 *   }
 */
#ifndef PRESTIGE_ICEBERG_CLI_H
#define PRESTIGE_ICEBERG_CLI_H

#include <stdbool.h>

#include "cli.h"
#include "prestige/arrow.h"
#include "prestige/iceberg_catalog.h"

typedef struct cli_ice_verb {
  const char *name;    /* "create" */
  const char *full;    /* "iceberg create": for messages */
  const char *summary;
  const char *usage;
  int (*run)(int argc, char **argv); /* argv[0] is the sub-verb */
} cli_ice_verb_t;

void cli_ice_register(const cli_ice_verb_t *v);
const cli_ice_verb_t *cli_ice_find(const char *name);

#define CLI_ICEBERG_VERB(ident, name_, summary_, usage_, fn_)                                            \
  static const cli_ice_verb_t cli_ice_verb_##ident = {name_, "iceberg " name_, summary_, usage_, fn_};  \
  __attribute__((constructor)) static void cli_ice_register_##ident(void) { cli_ice_register(&cli_ice_verb_##ident); }

#define CLI_ICEBERG_COMMON_USAGE                                                                          \
  "Catalog options (every iceberg verb, any order):\n"                                                  \
  "  --catalog URI        sqlite:PATH, postgresql://user@host/db, http(s)://... (default $PRESTIGE_CATALOG)\n"         \
  "  --warehouse URL      where new tables live: file:///dir, a directory or s3://bucket/prefix\n"      \
  "                       (default $PRESTIGE_WAREHOUSE); a table is <warehouse>/<ns levels>/<table>\n"  \
  "  --catalog-name NAME  the catalog's name in the database (default prestige)\n"                     \
  "  --endpoint URL       S3 endpoint for s3:// locations (credentials from the AWS environment)\n"       \
  "REST catalogs (--catalog http(s)://host:port[/path]):\n"                                             \
  "  --token T            bearer token        --credential ID:SECRET  OAuth2 client credentials\n"       \
  "  --scope S            OAuth2 scope (default catalog)   --oauth2-server-uri URL  token endpoint\n"    \
  "  --sigv4              sign requests with AWS SigV4 (--signing-region R, --signing-name N)\n"          \
  "  --request-timeout D  per request, ms or with s/ms suffix (default 30s)\n"

typedef struct cli_ice_opts {
  const char *catalog;
  const char *warehouse;
  const char *catalog_name;
  /* REST catalogs */
  const char *token, *credential, *scope, *oauth2_server_uri, *signing_region, *signing_name, *request_timeout;
  bool sigv4;
} cli_ice_opts_t;

/* Prints "prestige iceberg VERB: <message>" and the verb's usage on stderr; CLI_USAGE_ERROR. */
int cli_ice_usage(const cli_ice_verb_t *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prints "prestige iceberg VERB: <err>" on stderr; CLI_USER_ERROR. */
int cli_ice_fail(const cli_ice_verb_t *v, const prestige_error_t *err);

/* Takes the shared options out of argv (NULL-terminated again) and fills o, with the
 * environment defaults. Returns the new argc, or -1 after printing a usage error. */
int cli_ice_common(const cli_ice_verb_t *v, int argc, char **argv, cli_ice_opts_t *o);
/* Opens the catalog o names (a missing --catalog is a usage error). Returns 0 or the exit code
 * after printing the message. */
int cli_ice_open(const cli_ice_verb_t *v, const cli_ice_opts_t *o, prestige_iceberg_catalog_t **cat);

/* A word of the verb's own arguments that no option took: the table (NS.TABLE). Returns 0, or
 * CLI_USAGE_ERROR after printing the message (an unknown option, a second table). */
int cli_ice_table_arg(const cli_ice_verb_t *v, const char *arg, const char **table);

/* Opens the catalog and loads table ident (NULL: a usage error asking which table). Returns 0 or the exit code after printing the
 * message; on success the caller frees both (table first). */
int cli_ice_open_table(const cli_ice_verb_t *v, const cli_ice_opts_t *o, const char *ident, prestige_iceberg_catalog_t **cat,
                       prestige_iceberg_table_t **t);

/* The value of option argv[*i] ("--opt V" or "--opt=V") when it is `name`; advances *i.
 * Sets *missing when the value is absent. */
const char *cli_ice_value(int argc, char **argv, int *i, const char *name, bool *missing);

/* A schema from the `name:type,...` text (as `sink` and `convert` take) where a type ending in
 * '!' makes the field required ("id:int64!"). */
int cli_ice_parse_schema(const char *spec, struct ArrowSchema *out, prestige_error_t *err);
/* The schema of a Parquet, CSV/TSV or JSON-lines file (local path, file:// or s3://). */
int cli_ice_schema_like(const char *file, struct ArrowSchema *out, prestige_error_t *err);

/* Prints a JSON value as one line on stdout (and frees it). Returns 0 or CLI_USER_ERROR. */
struct json_t;
int cli_ice_print_json(struct json_t *j);

/* The text schema ("name:type,...") of a table's columns among names (NULL: all; malloc'd), or
 * NULL when a column has a type text input cannot name (then types are inferred and converted). */
char *cli_ice_text_schema(const struct ArrowSchema *table, char **names, size_t n_names);

#endif
