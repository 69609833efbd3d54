/* prestige iceberg create / tables / drop / rename / register / set-properties */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iceberg_cli.h"

static bool split_kv(char *arg, prestige_kv_t *kv) {
  char *eq = strchr(arg, '=');
  if (!eq || eq == arg) return false;
  *eq = 0;
  kv->key = arg;
  kv->value = eq + 1;
  kv->value_len = -1;
  return true;
}

static int print_table(prestige_iceberg_table_t *t) {
  return cli_ice_print_json(json_pack("{s:s,s:s}", "table", prestige_iceberg_table_ident(t), "metadata_location",
                                      prestige_iceberg_table_metadata_location(t)));
}

/* ---- create ---------------------------------------------------------------------------------------- */

#define CREATE_USAGE                                                                                          \
  "usage: prestige iceberg create NS.TABLE (--schema SPEC | --like FILE) [--partition LIST] [--sort LIST]\n" \
  "                               [--identifier COLS] [--format-version 2|3] [--location URL]\n"             \
  "                               [--property K=V]... [catalog options]\n"                                   \
  "\n"                                                                                                       \
  "Creates a table and prints {\"table\":NS.TABLE,\"metadata_location\":URL}. The namespace must exist.\n"   \
  "  --schema SPEC      name:type,... as sink and convert take (bool, int8..int64, uint8..uint32, float,\n"  \
  "                     double, string, binary, date, time, timestamp(s|ms|us|ns[,UTC]), decimal(P,S));\n"   \
  "                     a type ending in '!' is a required field: id:int64!\n"                              \
  "  --like FILE        the schema of a Parquet, CSV/TSV or JSON-lines file (path, file:// or s3://)\n"     \
  "  --partition LIST   c or identity(c), year(c), month(c), day(c), hour(c), bucket(N,c), truncate(W,c)\n" \
  "  --sort LIST        c, c desc, c asc nulls last, day(ts) desc, ...\n"                                   \
  "  --identifier COLS  identifier columns (comma-separated; they must be required)\n"                       \
  "  --format-version   2 (default) or 3 (nanosecond timestamps); version 1 is read, never written\n"       \
  "  --location URL     default <warehouse>/<ns levels>/<table>\n"                                          \
  "  --property K=V     a table property (repeatable)\n\n" CLI_ICEBERG_COMMON_USAGE

static int run_create(int argc, char **argv);
CLI_ICEBERG_VERB(create, "create", "create a table", CREATE_USAGE, run_create)

static int run_create(int argc, char **argv) {
  const cli_ice_verb_t *v = &cli_ice_verb_create;
  cli_ice_opts_t o;
  if ((argc = cli_ice_common(v, argc, argv, &o)) < 0) return CLI_USAGE_ERROR;
  const char *ident = NULL, *schema = NULL, *like = NULL, *identifier = NULL, *fv = NULL;
  prestige_iceberg_create_options_t co = PRESTIGE_ICEBERG_CREATE_OPTIONS_INIT;
  prestige_kv_t *props = calloc((size_t)argc, sizeof *props);
  char **ids = calloc((size_t)argc + 64, sizeof *ids);
  char *id_copy = NULL;
  int rc = props && ids ? 0 : (fprintf(stderr, "prestige iceberg create: out of memory\n"), CLI_USER_ERROR);
  for (int i = 1; i < argc && !rc; i++) {
    static const char *const names[] = {"--schema", "--like", "--partition", "--sort", "--identifier",
                                        "--format-version", "--location", "--property"};
    const char *val = NULL;
    int k = -1;
    for (int j = 0; j < 8 && !val; j++) {
      bool missing;
      val = cli_ice_value(argc, argv, &i, names[j], &missing);
      if (missing) {
        rc = cli_ice_usage(v, "%s needs a value", names[j]);
        break;
      }
      if (val) k = j;
    }
    if (rc) break;
    switch (k) {
      case 0: schema = val; break;
      case 1: like = val; break;
      case 2: co.partition = val; break;
      case 3: co.sort = val; break;
      case 4: identifier = val; break;
      case 5: fv = val; break;
      case 6: co.location = val; break;
      case 7:
        if (!split_kv((char *)val, &props[co.n_properties++])) rc = cli_ice_usage(v, "--property takes K=V, not \"%s\"", val);
        break;
      default:
        if (argv[i][0] == '-' && argv[i][1]) rc = cli_ice_usage(v, "unknown option %s", argv[i]);
        else if (ident) rc = cli_ice_usage(v, "one table at a time (\"%s\" and \"%s\")", ident, argv[i]);
        else ident = argv[i];
    }
  }
  if (!rc && !ident) rc = cli_ice_usage(v, "which table? (NS.TABLE)");
  if (!rc && !!schema == !!like) rc = cli_ice_usage(v, "give the schema with exactly one of --schema SPEC and --like FILE");
  if (!rc && fv) {
    char *end;
    long n = strtol(fv, &end, 10);
    if (!*fv || *end) rc = cli_ice_usage(v, "--format-version takes 2 or 3, not \"%s\"", fv);
    else co.format_version = (int)n;
  }
  if (!rc && identifier) {
    if (!(id_copy = strdup(identifier))) rc = CLI_USER_ERROR;
    for (char *save = NULL, *tok = rc ? NULL : strtok_r(id_copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
      while (*tok == ' ') tok++;
      size_t n = strlen(tok);
      while (n && tok[n - 1] == ' ') tok[--n] = 0;
      if (*tok && co.n_identifier < argc + 63) ids[co.n_identifier++] = tok;
    }
    co.identifier = (const char *const *)ids;
  }
  co.properties = props;
  prestige_error_t err;
  prestige_error_init(&err);
  struct ArrowSchema s = {0};
  if (!rc) {
    int r = schema ? cli_ice_parse_schema(schema, &s, &err) : cli_ice_schema_like(like, &s, &err);
    if (r) rc = cli_ice_fail(v, &err);
  }
  prestige_iceberg_catalog_t *cat = NULL;
  if (!rc) rc = cli_ice_open(v, &o, &cat);
  if (!rc) {
    prestige_iceberg_table_t *t = NULL;
    if (prestige_iceberg_table_create(cat, ident, &s, &co, &t, &err)) rc = cli_ice_fail(v, &err);
    else rc = print_table(t);
    prestige_iceberg_table_free(t);
  }
  if (s.release) s.release(&s);
  prestige_iceberg_catalog_close(cat);
  free(props);
  free(ids);
  free(id_copy);
  return rc;
}

/* ---- tables ---------------------------------------------------------------------------------------- */

#define TABLES_USAGE                                                                                  \
  "usage: prestige iceberg tables NS [catalog options]\n"                                           \
  "\n"                                                                                               \
  "Lists the tables of a namespace in name order, one JSON line each:\n"                            \
  "{\"table\":\"ns.t\",\"namespace\":\"ns\",\"name\":\"t\"}.\n\n" CLI_ICEBERG_COMMON_USAGE

static int run_tables(int argc, char **argv);
CLI_ICEBERG_VERB(tables, "tables", "list a namespace's tables (a JSON line each)", TABLES_USAGE, run_tables)

static int run_tables(int argc, char **argv) {
  const cli_ice_verb_t *v = &cli_ice_verb_tables;
  cli_ice_opts_t o;
  if ((argc = cli_ice_common(v, argc, argv, &o)) < 0) return CLI_USAGE_ERROR;
  if (argc != 2 || argv[1][0] == '-') return cli_ice_usage(v, "expected one namespace");
  prestige_iceberg_catalog_t *cat;
  int rc = cli_ice_open(v, &o, &cat);
  if (rc) return rc;
  char **names = NULL;
  size_t n = 0;
  prestige_error_t err;
  prestige_error_init(&err);
  if (prestige_iceberg_table_list(cat, argv[1], &names, &n, &err)) rc = cli_ice_fail(v, &err);
  for (size_t i = 0; i < n && !rc; i++) {
    const char *dot = strrchr(names[i], '.');
    char *ns = dot ? strndup(names[i], (size_t)(dot - names[i])) : NULL;
    rc = cli_ice_print_json(json_pack("{s:s,s:s,s:s}", "table", names[i], "namespace", ns ? ns : "", "name", dot ? dot + 1 : names[i]));
    free(ns);
  }
  prestige_iceberg_names_free(names, n);
  prestige_iceberg_catalog_close(cat);
  return rc;
}

/* ---- drop --------------------------------------------------------------------------------------------- */

#define DROP_USAGE                                                                                       \
  "usage: prestige iceberg drop NS.TABLE [--purge] [catalog options]\n"                                \
  "\n"                                                                                                  \
  "Removes the table from the catalog; --purge also deletes every file of it (metadata, manifest\n"     \
  "lists, manifests, data). Prints {\"dropped\":NS.TABLE,\"purged\":true|false}.\n\n" CLI_ICEBERG_COMMON_USAGE

static int run_drop(int argc, char **argv);
CLI_ICEBERG_VERB(drop, "drop", "drop a table (--purge deletes its files)", DROP_USAGE, run_drop)

static int run_drop(int argc, char **argv) {
  const cli_ice_verb_t *v = &cli_ice_verb_drop;
  cli_ice_opts_t o;
  if ((argc = cli_ice_common(v, argc, argv, &o)) < 0) return CLI_USAGE_ERROR;
  const char *ident = NULL;
  bool purge = false;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--purge")) purge = true;
    else if (argv[i][0] == '-' && argv[i][1]) return cli_ice_usage(v, "unknown option %s", argv[i]);
    else if (ident) return cli_ice_usage(v, "one table at a time");
    else ident = argv[i];
  }
  if (!ident) return cli_ice_usage(v, "which table? (NS.TABLE)");
  prestige_iceberg_catalog_t *cat;
  int rc = cli_ice_open(v, &o, &cat);
  if (rc) return rc;
  prestige_error_t err;
  prestige_error_init(&err);
  if (prestige_iceberg_table_drop(cat, ident, purge, &err)) rc = cli_ice_fail(v, &err);
  else rc = cli_ice_print_json(json_pack("{s:s,s:b}", "dropped", ident, "purged", purge));
  prestige_iceberg_catalog_close(cat);
  return rc;
}

/* ---- rename ------------------------------------------------------------------------------------------- */

#define RENAME_USAGE                                                                                 \
  "usage: prestige iceberg rename NS.TABLE NEW_NS.NEW_TABLE [catalog options]\n"                   \
  "\n"                                                                                              \
  "Renames a table, also into another (existing) namespace; its files stay where they are.\n\n"    \
  CLI_ICEBERG_COMMON_USAGE

static int run_rename(int argc, char **argv);
CLI_ICEBERG_VERB(rename, "rename", "rename a table (across namespaces too)", RENAME_USAGE, run_rename)

static int run_rename(int argc, char **argv) {
  const cli_ice_verb_t *v = &cli_ice_verb_rename;
  cli_ice_opts_t o;
  if ((argc = cli_ice_common(v, argc, argv, &o)) < 0) return CLI_USAGE_ERROR;
  if (argc != 3 || argv[1][0] == '-' || argv[2][0] == '-') return cli_ice_usage(v, "expected FROM and TO");
  prestige_iceberg_catalog_t *cat;
  int rc = cli_ice_open(v, &o, &cat);
  if (rc) return rc;
  prestige_error_t err;
  prestige_error_init(&err);
  if (prestige_iceberg_table_rename(cat, argv[1], argv[2], &err)) rc = cli_ice_fail(v, &err);
  else rc = cli_ice_print_json(json_pack("{s:s,s:s}", "renamed", argv[1], "to", argv[2]));
  prestige_iceberg_catalog_close(cat);
  return rc;
}

/* ---- register ----------------------------------------------------------------------------------------- */

#define REGISTER_USAGE                                                                               \
  "usage: prestige iceberg register NS.TABLE METADATA_FILE [catalog options]\n"                    \
  "\n"                                                                                              \
  "Registers an existing table by its metadata file (checked first); prints\n"                     \
  "{\"table\":NS.TABLE,\"metadata_location\":URL}.\n\n" CLI_ICEBERG_COMMON_USAGE

static int run_register(int argc, char **argv);
CLI_ICEBERG_VERB(register_table, "register", "register a table from its metadata file", REGISTER_USAGE, run_register)

static int run_register(int argc, char **argv) {
  const cli_ice_verb_t *v = &cli_ice_verb_register_table;
  cli_ice_opts_t o;
  if ((argc = cli_ice_common(v, argc, argv, &o)) < 0) return CLI_USAGE_ERROR;
  if (argc != 3 || argv[1][0] == '-' || argv[2][0] == '-') return cli_ice_usage(v, "expected NS.TABLE and METADATA_FILE");
  prestige_iceberg_catalog_t *cat;
  int rc = cli_ice_open(v, &o, &cat);
  if (rc) return rc;
  prestige_error_t err;
  prestige_error_init(&err);
  prestige_iceberg_table_t *t = NULL;
  if (prestige_iceberg_table_register(cat, argv[1], argv[2], &t, &err)) rc = cli_ice_fail(v, &err);
  else rc = print_table(t);
  prestige_iceberg_table_free(t);
  prestige_iceberg_catalog_close(cat);
  return rc;
}

/* ---- set-properties ------------------------------------------------------------------------------------ */

#define SET_PROPS_USAGE                                                                               \
  "usage: prestige iceberg set-properties NS.TABLE [K=V]... [--remove K]... [catalog options]\n"    \
  "\n"                                                                                               \
  "Sets and removes table properties in one commit (retried on conflicts); prints\n"               \
  "{\"table\":NS.TABLE,\"metadata_location\":URL}.\n\n" CLI_ICEBERG_COMMON_USAGE

static int run_set_props(int argc, char **argv);
CLI_ICEBERG_VERB(set_props, "set-properties", "set or remove table properties", SET_PROPS_USAGE, run_set_props)

static int run_set_props(int argc, char **argv) {
  const cli_ice_verb_t *v = &cli_ice_verb_set_props;
  cli_ice_opts_t o;
  if ((argc = cli_ice_common(v, argc, argv, &o)) < 0) return CLI_USAGE_ERROR;
  const char *ident = NULL;
  prestige_kv_t *set = calloc((size_t)argc, sizeof *set);
  const char **rm = calloc((size_t)argc, sizeof *rm);
  int64_t n_set = 0, n_rm = 0;
  int rc = set && rm ? 0 : CLI_USER_ERROR;
  for (int i = 1; i < argc && !rc; i++) {
    bool missing;
    const char *val = cli_ice_value(argc, argv, &i, "--remove", &missing);
    if (missing) rc = cli_ice_usage(v, "--remove needs a property name");
    else if (val) rm[n_rm++] = val;
    else if (argv[i][0] == '-' && argv[i][1]) rc = cli_ice_usage(v, "unknown option %s", argv[i]);
    else if (!ident) ident = argv[i];
    else if (!split_kv(argv[i], &set[n_set++])) rc = cli_ice_usage(v, "expected K=V, not \"%s\"", argv[i]);
  }
  if (!rc && !ident) rc = cli_ice_usage(v, "which table? (NS.TABLE)");
  if (!rc && !n_set && !n_rm) rc = cli_ice_usage(v, "nothing to set or remove");
  prestige_iceberg_catalog_t *cat = NULL;
  prestige_iceberg_table_t *t = NULL;
  if (!rc) rc = cli_ice_open_table(v, &o, ident, &cat, &t);
  if (!rc) {
    prestige_error_t err;
    prestige_error_init(&err);
    if (prestige_iceberg_table_update_properties(t, set, n_set, rm, n_rm, &err)) rc = cli_ice_fail(v, &err);
    else rc = print_table(t);
  }
  prestige_iceberg_table_free(t);
  prestige_iceberg_catalog_close(cat);
  free(set);
  free(rm);
  return rc;
}
