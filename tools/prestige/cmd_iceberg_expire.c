/* prestige iceberg expire */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "iceberg_maint_cli.h"

#define EXPIRE_USAGE                                                                                         \
  "usage: prestige iceberg expire NS.TABLE [--older-than DUR] [--retain-last N] [--dry-run] [catalog options]\n" \
  "\n"                                                                                                       \
  "Removes the snapshots older than DUR ago (default: history.expire.max-snapshot-age-ms, 5 days), never\n" \
  "the current one, one a branch or tag points to, or a branch's last N ancestors (default\n"               \
  "history.expire.min-snapshots-to-keep, 1); then deletes the manifest lists, manifests, data and delete\n"  \
  "files only they reached (--dry-run: none). Prints {\"snapshots_expired\":N,\"data_files_deleted\":N,\n"   \
  "\"delete_files_deleted\":N,\"manifests_deleted\":N,\"manifest_lists_deleted\":N}.\n\n" CLI_ICEBERG_COMMON_USAGE

static int run_expire(int argc, char **argv);
CLI_ICEBERG_VERB(expire, "expire", "expire old snapshots and delete the files only they reached", EXPIRE_USAGE, run_expire)

static int run_expire(int argc, char **argv) {
  const cli_ice_verb_t *v = &cli_ice_verb_expire;
  cli_ice_opts_t co;
  if ((argc = cli_ice_common(v, argc, argv, &co)) < 0) return CLI_USAGE_ERROR;
  const char *table = NULL;
  prestige_iceberg_expire_options_t o = PRESTIGE_ICEBERG_EXPIRE_OPTIONS_INIT;
  cli_verb_t cv = cli_ice_as_verb(v);
  for (int i = 1; i < argc; i++) {
    bool missing;
    const char *val;
    int64_t x;
    if ((val = cli_ice_value(argc, argv, &i, "--older-than", &missing)) || missing) {
      if (cli_opt_duration_ms(&cv, "--older-than", val, 0, 100LL * 365 * 86400000, &x)) return CLI_USAGE_ERROR;
      o.older_than_ms = prestige_now_ms() - x;
    } else if ((val = cli_ice_value(argc, argv, &i, "--retain-last", &missing)) || missing) {
      if (cli_opt_int(&cv, "--retain-last", val, 1, 1000000000, &o.retain_last)) return CLI_USAGE_ERROR;
    } else if (!strcmp(argv[i], "--dry-run")) {
      o.dry_run = true;
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
  prestige_iceberg_expire_result_t r;
  if (prestige_iceberg_expire_snapshots(t, &o, &r, &err)) rc = cli_ice_fail(v, &err);
  else
    rc = cli_ice_print_json(json_pack("{s:I,s:I,s:I,s:I,s:I}", "snapshots_expired", (json_int_t)r.snapshots_expired,
                                      "data_files_deleted", (json_int_t)r.data_files_deleted, "delete_files_deleted",
                                      (json_int_t)r.delete_files_deleted, "manifests_deleted", (json_int_t)r.manifests_deleted,
                                      "manifest_lists_deleted", (json_int_t)r.manifest_lists_deleted));
  prestige_iceberg_table_free(t);
  prestige_iceberg_catalog_close(cat);
  return rc;
}
