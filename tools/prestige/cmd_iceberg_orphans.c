/* prestige iceberg remove-orphans */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "iceberg_maint_cli.h"

#define ORPHANS_USAGE                                                                                        \
  "usage: prestige iceberg remove-orphans NS.TABLE [--older-than DUR] [--dry-run] [catalog options]\n"      \
  "\n"                                                                                                       \
  "Deletes the files under the table location that no metadata references (metadata files, manifest\n"    \
  "lists, manifests, data and delete files of every snapshot, statistics) and that were last modified\n"   \
  "more than DUR ago (default 3d: a writer's uncommitted files are younger). Prints\n"                       \
  "{\"files_listed\":N,\"orphans\":N,\"deleted\":N}.\n\n" CLI_ICEBERG_COMMON_USAGE

static int run_orphans(int argc, char **argv);
CLI_ICEBERG_VERB(remove_orphans, "remove-orphans", "delete files under the table location no metadata references", ORPHANS_USAGE,
                 run_orphans)

static int run_orphans(int argc, char **argv) {
  const cli_ice_verb_t *v = &cli_ice_verb_remove_orphans;
  cli_ice_opts_t co;
  if ((argc = cli_ice_common(v, argc, argv, &co)) < 0) return CLI_USAGE_ERROR;
  const char *table = NULL;
  prestige_iceberg_orphans_options_t o = PRESTIGE_ICEBERG_ORPHANS_OPTIONS_INIT;
  cli_verb_t cv = cli_ice_as_verb(v);
  for (int i = 1; i < argc; i++) {
    bool missing;
    const char *val;
    int64_t x;
    if ((val = cli_ice_value(argc, argv, &i, "--older-than", &missing)) || missing) {
      if (cli_opt_duration_ms(&cv, "--older-than", val, 0, 100LL * 365 * 86400000, &x)) return CLI_USAGE_ERROR;
      o.older_than_ms = prestige_now_ms() - x;
      if (o.older_than_ms == 0) o.older_than_ms = 1;
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
  prestige_iceberg_orphans_result_t r;
  if (prestige_iceberg_remove_orphans(t, &o, &r, &err)) rc = cli_ice_fail(v, &err);
  else
    rc = cli_ice_print_json(json_pack("{s:I,s:I,s:I}", "files_listed", (json_int_t)r.files_listed, "orphans", (json_int_t)r.orphans,
                                      "deleted", (json_int_t)r.deleted));
  prestige_iceberg_table_free(t);
  prestige_iceberg_catalog_close(cat);
  return rc;
}
