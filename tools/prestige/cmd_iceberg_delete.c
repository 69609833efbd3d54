/* prestige iceberg delete */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "iceberg_maint_cli.h"

#define DELETE_USAGE                                                                                        \
  "usage: prestige iceberg delete NS.TABLE --where EXPR [--mode position|equality] [catalog options]\n"     \
  "\n"                                                                                                      \
  "Deletes the live rows for which EXPR is true (a NULL comparison deletes nothing), in one snapshot.\n"     \
  "A data file whose live rows all match is removed; otherwise position delete files (default) or, with\n"  \
  "--mode equality, equality delete files on the table's identifier fields, one per partition.\n"           \
  "Prints {\"snapshot_id\":..,\"deleted_rows\":N,\"removed_files\":N,\"delete_files\":N} (snapshot_id null when\n" \
  "nothing matched).\n\n" CLI_ICEBERG_COMMON_USAGE

static int run_delete(int argc, char **argv);
CLI_ICEBERG_VERB(delete_rows, "delete", "delete rows matching a predicate (position or equality deletes)", DELETE_USAGE, run_delete)

static int run_delete(int argc, char **argv) {
  const cli_ice_verb_t *v = &cli_ice_verb_delete_rows;
  cli_ice_opts_t co;
  if ((argc = cli_ice_common(v, argc, argv, &co)) < 0) return CLI_USAGE_ERROR;
  const char *table = NULL;
  prestige_iceberg_delete_options_t o = PRESTIGE_ICEBERG_DELETE_OPTIONS_INIT;
  for (int i = 1; i < argc; i++) {
    bool missing;
    const char *val;
    if ((val = cli_ice_value(argc, argv, &i, "--where", &missing)) || missing) {
      if (missing || !*val) return cli_ice_usage(v, "--where needs a predicate");
      o.where = val;
    } else if ((val = cli_ice_value(argc, argv, &i, "--mode", &missing)) || missing) {
      if (missing) return cli_ice_usage(v, "--mode needs position or equality");
      if (!strcmp(val, "position")) o.mode = PRESTIGE_ICEBERG_DELETE_POSITION;
      else if (!strcmp(val, "equality")) o.mode = PRESTIGE_ICEBERG_DELETE_EQUALITY;
      else return cli_ice_usage(v, "--mode takes position or equality, not \"%s\"", val);
    } else if (cli_ice_table_arg(v, argv[i], &table)) {
      return CLI_USAGE_ERROR;
    }
  }
  if (!o.where) return cli_ice_usage(v, "--where is required (the rows to delete)");
  prestige_iceberg_catalog_t *cat;
  prestige_iceberg_table_t *t;
  int rc = cli_ice_open_table(v, &co, table, &cat, &t);
  if (rc) return rc;
  prestige_error_t err;
  prestige_error_init(&err);
  prestige_iceberg_delete_result_t r;
  if (prestige_iceberg_delete(t, &o, &r, &err)) rc = cli_ice_fail(v, &err);
  else
    rc = cli_ice_print_json(json_pack("{s:o,s:I,s:I,s:I}", "snapshot_id", r.snapshot_id >= 0 ? json_integer(r.snapshot_id) : json_null(),
                                      "deleted_rows", (json_int_t)r.deleted_rows, "removed_files", (json_int_t)r.removed_files,
                                      "delete_files", (json_int_t)r.delete_files));
  prestige_iceberg_table_free(t);
  prestige_iceberg_catalog_close(cat);
  return rc;
}
