/* prestige iceberg compact (and the compaction options every maintenance verb shares) */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "iceberg_maint_cli.h"
#include "prestige/parquet_writer.h"

int cli_ice_compact_option(const cli_ice_verb_t *v, int argc, char **argv, int *i, prestige_iceberg_compact_options_t *o) {
  bool missing;
  const char *val;
  cli_verb_t cv = cli_ice_as_verb(v);
  int64_t x;
  if ((val = cli_ice_value(argc, argv, i, "--target-file-size", &missing)) || missing) {
    if (cli_opt_int(&cv, "--target-file-size", val, 1024, INT64_MAX / 16, &x)) return -1;
    o->target_file_size_bytes = x;
    return 1;
  }
  if ((val = cli_ice_value(argc, argv, i, "--min-files", &missing)) || missing) {
    if (cli_opt_int(&cv, "--min-files", val, 1, 1000000, &x)) return -1;
    o->min_files = (int)x;
    return 1;
  }
  if ((val = cli_ice_value(argc, argv, i, "--compression", &missing)) || missing) {
    prestige_compression_t c;
    if (missing || prestige_compression_parse(val, &c, NULL)) {
      cli_ice_usage(v, "--compression takes a codec (zstd, snappy, gzip, lz4_raw, brotli, none), not \"%s\"", val ? val : "");
      return -1;
    }
    o->compression = val;
    return 1;
  }
  if (!strcmp(argv[*i], "--dedup")) {
    o->dedup = true;
    return 1;
  }
  return 0;
}

#define COMPACT_USAGE                                                                                        \
  "usage: prestige iceberg compact NS.TABLE [--target-file-size BYTES] [--min-files N] [--dedup]\n"          \
  "                                [--compression C] [catalog options]\n"                                   \
  "\n"                                                                                                       \
  "Rewrites each partition's small files (and files with deletes) into files of the target size, sorted\n"  \
  "by the table's sort order, with deletes applied, in one replace snapshot; delete files that no longer\n"  \
  "apply are removed. Prints {\"snapshot_id\":..,\"files_read\":N,\"files_written\":N,\"duplicates_eliminated\":N,\n" \
  "\"rows_written\":N,\"delete_files_removed\":N,\"bytes_read\":N,\"bytes_written\":N,\"groups_conflicted\":N,\n" \
  "\"replans\":N,\"groups_abandoned\":N}. Groups that conflict with a concurrent delete or compaction are\n" \
  "re-planned from the table as it is then (at most 3 rounds).\n\n" \
  CLI_ICE_COMPACT_USAGE "\n" CLI_ICEBERG_COMMON_USAGE

static int run_compact(int argc, char **argv);
CLI_ICEBERG_VERB(compact, "compact", "rewrite small files into sorted target-size files", COMPACT_USAGE, run_compact)

static int run_compact(int argc, char **argv) {
  const cli_ice_verb_t *v = &cli_ice_verb_compact;
  cli_ice_opts_t co;
  if ((argc = cli_ice_common(v, argc, argv, &co)) < 0) return CLI_USAGE_ERROR;
  const char *table = NULL;
  prestige_iceberg_compact_options_t o = PRESTIGE_ICEBERG_COMPACT_OPTIONS_INIT;
  for (int i = 1; i < argc; i++) {
    int k = cli_ice_compact_option(v, argc, argv, &i, &o);
    if (k < 0) return CLI_USAGE_ERROR;
    if (k) continue;
    if (argv[i][0] == '-') return cli_ice_usage(v, "unknown option %s", argv[i]);
    if (table) return cli_ice_usage(v, "expected one table");
    table = argv[i];
  }
  if (!table) return cli_ice_usage(v, "which table? (NS.TABLE)");
  prestige_iceberg_catalog_t *cat;
  prestige_iceberg_table_t *t;
  int rc = cli_ice_open_table(v, &co, table, &cat, &t);
  if (rc) return rc;
  prestige_error_t err;
  prestige_error_init(&err);
  prestige_iceberg_compact_result_t r;
  /* SIGINT/SIGTERM: the compaction stops before its commit and deletes what it wrote */
  cli_signals_install();
  prestige_shutdown_t *stop = prestige_shutdown_new();
  cli_signal_watch_t w;
  cli_signal_watch_begin(&w, stop);
  o.shutdown = stop;
  int e = stop ? prestige_iceberg_compact(t, &o, &r, &err) : prestige_error_set(&err, PRESTIGE_ENOMEM, "out of memory");
  cli_signal_watch_end(&w);
  prestige_shutdown_free(stop);
  if (e == PRESTIGE_ECANCELED && cli_signal_received())
    rc = cli_interrupted("iceberg compact", "nothing was committed and the files written were deleted");
  else if (e) rc = cli_ice_fail(v, &err);
  else
    rc = cli_ice_print_json(json_pack("{s:o,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "snapshot_id",
                                      r.snapshot_id >= 0 ? json_integer(r.snapshot_id) : json_null(), "files_read",
                                      (json_int_t)r.files_read, "files_written", (json_int_t)r.files_written,
                                      "duplicates_eliminated", (json_int_t)r.duplicates_eliminated, "rows_written",
                                      (json_int_t)r.rows_written, "delete_files_removed", (json_int_t)r.delete_files_removed,
                                      "bytes_read", (json_int_t)r.bytes_read, "bytes_written", (json_int_t)r.bytes_written,
                                      "groups_conflicted", (json_int_t)r.groups_conflicted, "replans",
                                      (json_int_t)r.replans, "groups_abandoned", (json_int_t)r.groups_abandoned));
  prestige_iceberg_table_free(t);
  prestige_iceberg_catalog_close(cat);
  return rc;
}
