/* prestige iceberg create-namespace / namespaces / drop-namespace */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iceberg_cli.h"

/* "K=V" into kv (pointing into arg, which is modified). */
static bool split_kv(char *arg, prestige_kv_t *kv) {
  char *eq = strchr(arg, '=');
  if (!eq || eq == arg) return false;
  *eq = 0;
  kv->key = arg;
  kv->value = eq + 1;
  kv->value_len = -1;
  return true;
}

/* ---- create-namespace ----------------------------------------------------------------------------- */

#define CREATE_NS_USAGE                                                                             \
  "usage: prestige iceberg create-namespace NS [--property K=V]... [catalog options]\n"           \
  "\n"                                                                                             \
  "Creates a namespace (a.b for a nested one) with properties; prints {\"namespace\":NS}.\n\n"    \
  CLI_ICEBERG_COMMON_USAGE

static int run_create_ns(int argc, char **argv);
CLI_ICEBERG_VERB(create_ns, "create-namespace", "create a namespace", CREATE_NS_USAGE, run_create_ns)

static int run_create_ns(int argc, char **argv) {
  const cli_ice_verb_t *v = &cli_ice_verb_create_ns;
  cli_ice_opts_t o;
  if ((argc = cli_ice_common(v, argc, argv, &o)) < 0) return CLI_USAGE_ERROR;
  const char *ns = NULL;
  prestige_kv_t *props = calloc((size_t)argc, sizeof *props);
  int64_t n_props = 0;
  int rc = 0;
  for (int i = 1; i < argc && !rc; i++) {
    bool missing;
    const char *val = cli_ice_value(argc, argv, &i, "--property", &missing);
    if (missing) rc = cli_ice_usage(v, "--property needs K=V");
    else if (val) {
      if (!split_kv((char *)val, &props[n_props++])) rc = cli_ice_usage(v, "--property takes K=V, not \"%s\"", val);
    } else if (argv[i][0] == '-' && argv[i][1]) rc = cli_ice_usage(v, "unknown option %s", argv[i]);
    else if (ns) rc = cli_ice_usage(v, "one namespace at a time (\"%s\" and \"%s\")", ns, argv[i]);
    else ns = argv[i];
  }
  if (!rc && !ns) rc = cli_ice_usage(v, "which namespace? (prestige iceberg create-namespace NS)");
  prestige_iceberg_catalog_t *cat = NULL;
  if (!rc) rc = cli_ice_open(v, &o, &cat);
  if (!rc) {
    prestige_error_t err;
    prestige_error_init(&err);
    if (prestige_iceberg_namespace_create(cat, ns, props, n_props, &err)) rc = cli_ice_fail(v, &err);
    else rc = cli_ice_print_json(json_pack("{s:s}", "namespace", ns));
  }
  prestige_iceberg_catalog_close(cat);
  free(props);
  return rc;
}

/* ---- namespaces ------------------------------------------------------------------------------------- */

#define NAMESPACES_USAGE                                                                                   \
  "usage: prestige iceberg namespaces [--parent NS] [catalog options]\n"                                  \
  "\n"                                                                                                    \
  "Lists every namespace (or those below --parent), nested ones too, in name order: one JSON line each,\n" \
  "{\"namespace\":\"a.b\",\"properties\":{...}}.\n\n" CLI_ICEBERG_COMMON_USAGE

static int run_namespaces(int argc, char **argv);
CLI_ICEBERG_VERB(namespaces, "namespaces", "list namespaces (a JSON line each)", NAMESPACES_USAGE, run_namespaces)

static int print_tree(const cli_ice_verb_t *v, prestige_iceberg_catalog_t *cat, const char *parent, int depth) {
  char **names = NULL;
  size_t n = 0;
  prestige_error_t err;
  prestige_error_init(&err);
  if (prestige_iceberg_namespace_list(cat, parent, &names, &n, &err)) return cli_ice_fail(v, &err);
  int rc = 0;
  for (size_t i = 0; i < n && !rc; i++) {
    prestige_iceberg_props_t p;
    if (prestige_iceberg_namespace_properties(cat, names[i], &p, &err)) {
      rc = cli_ice_fail(v, &err);
      break;
    }
    json_t *props = json_object();
    for (size_t k = 0; props && k < p.n; k++) json_object_set_new(props, p.keys[k], json_string(p.values[k]));
    prestige_iceberg_props_release(&p);
    rc = cli_ice_print_json(json_pack("{s:s,s:o}", "namespace", names[i], "properties", props));
    if (!rc && depth < 64) rc = print_tree(v, cat, names[i], depth + 1);
  }
  prestige_iceberg_names_free(names, n);
  return rc;
}

static int run_namespaces(int argc, char **argv) {
  const cli_ice_verb_t *v = &cli_ice_verb_namespaces;
  cli_ice_opts_t o;
  if ((argc = cli_ice_common(v, argc, argv, &o)) < 0) return CLI_USAGE_ERROR;
  const char *parent = NULL;
  for (int i = 1; i < argc; i++) {
    bool missing;
    const char *val = cli_ice_value(argc, argv, &i, "--parent", &missing);
    if (missing) return cli_ice_usage(v, "--parent needs a namespace");
    if (val) parent = val;
    else return cli_ice_usage(v, "unexpected argument %s", argv[i]);
  }
  prestige_iceberg_catalog_t *cat;
  int rc = cli_ice_open(v, &o, &cat);
  if (rc) return rc;
  rc = print_tree(v, cat, parent, 0);
  prestige_iceberg_catalog_close(cat);
  return rc;
}

/* ---- drop-namespace ----------------------------------------------------------------------------------- */

#define DROP_NS_USAGE                                                                                 \
  "usage: prestige iceberg drop-namespace NS [catalog options]\n"                                   \
  "\n"                                                                                               \
  "Drops an empty namespace (one holding tables or namespaces is refused); prints {\"dropped\":NS}.\n\n" \
  CLI_ICEBERG_COMMON_USAGE

static int run_drop_ns(int argc, char **argv);
CLI_ICEBERG_VERB(drop_ns, "drop-namespace", "drop an empty namespace", DROP_NS_USAGE, run_drop_ns)

static int run_drop_ns(int argc, char **argv) {
  const cli_ice_verb_t *v = &cli_ice_verb_drop_ns;
  cli_ice_opts_t o;
  if ((argc = cli_ice_common(v, argc, argv, &o)) < 0) return CLI_USAGE_ERROR;
  if (argc != 2 || argv[1][0] == '-') return cli_ice_usage(v, "expected one namespace");
  prestige_iceberg_catalog_t *cat;
  int rc = cli_ice_open(v, &o, &cat);
  if (rc) return rc;
  prestige_error_t err;
  prestige_error_init(&err);
  if (prestige_iceberg_namespace_drop(cat, argv[1], &err)) rc = cli_ice_fail(v, &err);
  else rc = cli_ice_print_json(json_pack("{s:s}", "dropped", argv[1]));
  prestige_iceberg_catalog_close(cat);
  return rc;
}
