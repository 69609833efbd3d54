/* prestige iceberg rewrite-manifests */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "iceberg_maint_cli.h"

#define REWRITE_MANIFESTS_USAGE                                                                              \
  "usage: prestige iceberg rewrite-manifests NS.TABLE [--target-size BYTES] [catalog options]\n"            \
  "\n"                                                                                                       \
  "Merges the current snapshot's data manifests smaller than the target (default:\n"                        \
  "commit.manifest.target-size-bytes, 8 MiB) per partition spec, in one replace snapshot. Prints\n"         \
  "{\"snapshot_id\":..,\"manifests_replaced\":N,\"manifests_written\":N} (snapshot_id null: nothing to merge).\n\n" \
  CLI_ICEBERG_COMMON_USAGE

static int run_rewrite_manifests(int argc, char **argv);
CLI_ICEBERG_VERB(rewrite_manifests, "rewrite-manifests", "merge small manifests", REWRITE_MANIFESTS_USAGE, run_rewrite_manifests)

static int run_rewrite_manifests(int argc, char **argv) {
  const cli_ice_verb_t *v = &cli_ice_verb_rewrite_manifests;
  cli_ice_opts_t co;
  if ((argc = cli_ice_common(v, argc, argv, &co)) < 0) return CLI_USAGE_ERROR;
  const char *table = NULL;
  int64_t target = 0;
  cli_verb_t cv = cli_ice_as_verb(v);
  for (int i = 1; i < argc; i++) {
    bool missing;
    const char *val;
    if ((val = cli_ice_value(argc, argv, &i, "--target-size", &missing)) || missing) {
      if (cli_opt_int(&cv, "--target-size", val, 1024, INT64_MAX / 16, &target)) return CLI_USAGE_ERROR;
    } else if (cli_ice_table_arg(v, argv[i], &table)) {
      return CLI_USAGE_ERROR;
    }
  }
  prestige_iceberg_catalog_t *cat;
  prestige_iceberg_table_t *t;
  int rc = cli_ice_open_table(v, &co, table, &cat, &t);
  if (rc) return rc;
  prestige_error_t err;
  prestige_error_init(&err);
  prestige_iceberg_rewrite_manifests_result_t r;
  if (prestige_iceberg_rewrite_manifests(t, target, &r, &err)) rc = cli_ice_fail(v, &err);
  else
    rc = cli_ice_print_json(json_pack("{s:o,s:I,s:I}", "snapshot_id", r.snapshot_id ? json_integer(r.snapshot_id) : json_null(),
                                      "manifests_replaced", (json_int_t)r.manifests_replaced, "manifests_written",
                                      (json_int_t)r.manifests_written));
  prestige_iceberg_table_free(t);
  prestige_iceberg_catalog_close(cat);
  return rc;
}
