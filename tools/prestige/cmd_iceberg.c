/* prestige iceberg VERB: dispatch to the sub-verbs, and the options and helpers they share. */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "iceberg_cli.h"
#include "prestige/io.h"
#include "prestige/parquet_reader.h"
#include "prestige/text.h"

enum { CLI_ICE_MAX_VERBS = 32 };
static const cli_ice_verb_t *ice_verbs[CLI_ICE_MAX_VERBS];
static int n_ice_verbs;

void cli_ice_register(const cli_ice_verb_t *v) {
  if (n_ice_verbs < CLI_ICE_MAX_VERBS) ice_verbs[n_ice_verbs++] = v;
}

const cli_ice_verb_t *cli_ice_find(const char *name) {
  for (int i = 0; i < n_ice_verbs; i++)
    if (!strcmp(ice_verbs[i]->name, name)) return ice_verbs[i];
  return NULL;
}

int cli_ice_usage(const cli_ice_verb_t *v, const char *fmt, ...) {
  fprintf(stderr, "prestige %s: ", v->full);
  va_list ap;
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fprintf(stderr, "\n\n%s", v->usage);
  return CLI_USAGE_ERROR;
}

int cli_ice_fail(const cli_ice_verb_t *v, const prestige_error_t *err) { return cli_fail(v->full, err); }

const char *cli_ice_value(int argc, char **argv, int *i, const char *name, bool *missing) {
  size_t n = strlen(name);
  const char *a = argv[*i];
  *missing = false;
  if (strncmp(a, name, n)) return NULL;
  if (a[n] == '=') return a + n + 1;
  if (a[n]) return NULL;
  if (*i + 1 >= argc) {
    *missing = true;
    return NULL;
  }
  return argv[++*i];
}

int cli_ice_common(const cli_ice_verb_t *v, int argc, char **argv, cli_ice_opts_t *o) {
  o->catalog = getenv("PRESTIGE_CATALOG");
  o->warehouse = getenv("PRESTIGE_WAREHOUSE");
  o->catalog_name = NULL;
  if (o->catalog && !*o->catalog) o->catalog = NULL;
  if (o->warehouse && !*o->warehouse) o->warehouse = NULL;
  o->token = o->credential = o->scope = o->oauth2_server_uri = o->signing_region = o->signing_name = NULL;
  o->request_timeout = NULL;
  o->sigv4 = false;
  int w = 1;
  for (int i = 1; i < argc; i++) {
    static const char *const names[] = {"--catalog",   "--warehouse",         "--catalog-name",   "--token",
                                        "--credential", "--scope",            "--oauth2-server-uri", "--signing-region",
                                        "--signing-name", "--request-timeout"};
    const char **slots[] = {&o->catalog,       &o->warehouse,      &o->catalog_name,   &o->token,
                            &o->credential,    &o->scope,          &o->oauth2_server_uri, &o->signing_region,
                            &o->signing_name,  &o->request_timeout};
    bool taken = false;
    if (!strcmp(argv[i], "--sigv4")) {
      o->sigv4 = true;
      continue;
    }
    for (int k = 0; k < (int)(sizeof names / sizeof *names) && !taken; k++) {
      bool missing;
      const char *val = cli_ice_value(argc, argv, &i, names[k], &missing);
      if (missing) {
        cli_ice_usage(v, "%s needs a value", names[k]);
        return -1;
      }
      if (val) {
        if (!*val) {
          cli_ice_usage(v, "%s needs a non-empty value", names[k]);
          return -1;
        }
        *slots[k] = val;
        taken = true;
      }
    }
    if (!taken) argv[w++] = argv[i];
  }
  argv[w] = NULL;
  return w;
}

int cli_ice_open(const cli_ice_verb_t *v, const cli_ice_opts_t *o, prestige_iceberg_catalog_t **cat) {
  *cat = NULL;
  if (!o->catalog) return cli_ice_usage(v, "no catalog: give --catalog URI or set PRESTIGE_CATALOG");
  prestige_iceberg_catalog_options_t co = PRESTIGE_ICEBERG_CATALOG_OPTIONS_INIT;
  co.uri = o->catalog;
  co.warehouse = o->warehouse;
  co.name = o->catalog_name;
  co.token = o->token;
  co.credential = o->credential;
  co.scope = o->scope;
  co.oauth2_server_uri = o->oauth2_server_uri;
  co.sigv4 = o->sigv4;
  co.signing_region = o->signing_region;
  co.signing_name = o->signing_name;
  if (o->request_timeout) {
    char *end;
    double dv = strtod(o->request_timeout, &end);
    double mult = !strcmp(end, "ms") || !*end ? 1 : !strcmp(end, "s") ? 1000 : -1;
    if (end == o->request_timeout || mult < 0 || dv <= 0 || dv * mult > 1e12)
      return cli_ice_usage(v, "--request-timeout \"%s\": a positive duration (milliseconds, or with s or ms)",
                           o->request_timeout);
    co.request_timeout_ms = (int64_t)(dv * mult);
  }
  prestige_error_t err;
  prestige_error_init(&err);
  if (prestige_iceberg_catalog_open(cat, &co, &err)) return cli_ice_fail(v, &err);
  return 0;
}

int cli_ice_table_arg(const cli_ice_verb_t *v, const char *arg, const char **table) {
  if (arg[0] == '-') return cli_ice_usage(v, "unknown option %s", arg);
  if (*table) return cli_ice_usage(v, "expected one table");
  *table = arg;
  return 0;
}

int cli_ice_open_table(const cli_ice_verb_t *v, const cli_ice_opts_t *o, const char *ident, prestige_iceberg_catalog_t **cat,
                       prestige_iceberg_table_t **t) {
  *t = NULL;
  *cat = NULL;
  if (!ident) return cli_ice_usage(v, "which table? (NS.TABLE)");
  int rc = cli_ice_open(v, o, cat);
  if (rc) return rc;
  prestige_error_t err;
  prestige_error_init(&err);
  if (prestige_iceberg_table_load(*cat, ident, t, &err)) {
    prestige_iceberg_catalog_close(*cat);
    *cat = NULL;
    return cli_ice_fail(v, &err);
  }
  return 0;
}

/* ---- schemas ----------------------------------------------------------------------------------- */

/* The text schema language, '!' included (a required field), is prestige_text_parse_schema's. */
int cli_ice_parse_schema(const char *spec, struct ArrowSchema *out, prestige_error_t *err) {
  return prestige_text_parse_schema(spec, out, err);
}

static bool is_parquet(const char *file) {
  size_t n = strlen(file);
  return n >= 8 && !strcasecmp(file + n - 8, ".parquet");
}

int cli_ice_schema_like(const char *file, struct ArrowSchema *out, prestige_error_t *err) {
  if (is_parquet(file)) {
    prestige_input_t in;
    PRESTIGE_TRY(cli_open_input(file, &in, err));
    prestige_parquet_reader_t *r;
    PRESTIGE_TRY(prestige_parquet_reader_open(&r, &in, NULL, err));
    int rc = prestige_parquet_reader_schema(r, out, err);
    prestige_parquet_reader_close(r);
    return rc;
  }
  prestige_text_options_t to;
  prestige_text_options_init(&to);
  if (prestige_text_format_from_path(file, &to.format, &to.delimiter))
    return prestige_error_set(err, PRESTIGE_EINVAL, "%s: not a .parquet, .csv, .tsv or .jsonl file", file);
  char *tmp = NULL;
  const char *path = cli_local_path(file);
  if (cli_is_s3(file)) {
    PRESTIGE_TRY(cli_fetch_to_temp(file, &tmp, err));
    path = tmp;
  }
  prestige_text_reader_t *r;
  int rc = prestige_text_reader_open(&r, path, &to, err);
  if (!rc) {
    rc = prestige_schema_copy(out, prestige_text_reader_schema(r), err);
    prestige_text_reader_close(r);
  }
  if (tmp) {
    unlink(tmp);
    free(tmp);
  }
  return rc;
}

int cli_ice_print_json(json_t *j) {
  char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
  json_decref(j);
  if (!s) {
    fprintf(stderr, "prestige iceberg: out of memory\n");
    return CLI_USER_ERROR;
  }
  puts(s);
  free(s);
  return fflush(stdout) ? CLI_USER_ERROR : 0;
}

/* ---- the group ------------------------------------------------------------------------------------- */

static int cmp_verbs(const void *a, const void *b) {
  return strcmp((*(const cli_ice_verb_t *const *)a)->name, (*(const cli_ice_verb_t *const *)b)->name);
}

static void print_group_help(FILE *out) {
  qsort(ice_verbs, (size_t)n_ice_verbs, sizeof ice_verbs[0], cmp_verbs);
  fprintf(out, "usage: prestige iceberg VERB [options] ...\n       prestige iceberg VERB --help\n\n"
               "Apache Iceberg tables in a catalog. Tables are NS.TABLE (a.b.TABLE for a nested namespace).\n\nverbs:\n");
  for (int i = 0; i < n_ice_verbs; i++) fprintf(out, "  %-17s %s\n", ice_verbs[i]->name, ice_verbs[i]->summary);
  fprintf(out, "\n" CLI_ICEBERG_COMMON_USAGE "\nexit status: 0 success, 1 failure (the message names it), 2 usage error\n");
}

#define ICEBERG_USAGE "usage: prestige iceberg VERB [options] ... (prestige iceberg --help lists the verbs)\n"

static int run_iceberg(int argc, char **argv) {
  if (argc < 2) {
    print_group_help(stderr);
    return CLI_USAGE_ERROR;
  }
  if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
    print_group_help(stdout);
    return CLI_OK;
  }
  const cli_ice_verb_t *v = cli_ice_find(argv[1]);
  if (!v) {
    fprintf(stderr, "prestige iceberg: unknown verb \"%s\"\n\n", argv[1]);
    print_group_help(stderr);
    return CLI_USAGE_ERROR;
  }
  if (cli_wants_help(argc - 1, argv + 1)) {
    fputs(v->usage, stdout);
    return CLI_OK;
  }
  return v->run(argc - 1, argv + 1);
}

CLI_VERB_GROUP(iceberg, "iceberg", "Iceberg catalogs and tables (create, describe, snapshots, ...)", ICEBERG_USAGE, run_iceberg)
