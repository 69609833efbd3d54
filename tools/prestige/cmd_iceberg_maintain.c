/* prestige iceberg maintain: the compaction scheduler until SIGINT/SIGTERM */
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "iceberg_maint_cli.h"

#define MAINTAIN_USAGE                                                                                       \
  "usage: prestige iceberg maintain NS.TABLE --interval DUR [--max-runs N] [compaction options]\n"          \
  "                                 [catalog options]\n"                                                    \
  "\n"                                                                                                       \
  "Every DUR (500ms, 30s, 10m, 1h), counts each partition's live files from the manifests (no data file\n"  \
  "is opened) and compacts the partitions with at least --min-files files (or with delete files). Prints\n" \
  "a JSON line of metrics after each run (runs, compactions, partitions_over_threshold, files_read,\n"       \
  "files_written, duplicates_eliminated, groups_conflicted, errors, last_error); stops on SIGINT or\n"      \
  "SIGTERM (or after --max-runs runs).\n\n" CLI_ICE_COMPACT_USAGE "\n" CLI_ICEBERG_COMMON_USAGE

static int run_maintain(int argc, char **argv);
CLI_ICEBERG_VERB(maintain, "maintain", "compact partitions past a file-count threshold, on an interval", MAINTAIN_USAGE, run_maintain)

static json_t *metrics_json(const prestige_iceberg_maintain_metrics_t *m) {
  return json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:s?}", "runs", (json_int_t)m->runs, "compactions", (json_int_t)m->compactions,
                   "partitions_over_threshold", (json_int_t)m->partitions_over_threshold, "files_read", (json_int_t)m->files_read,
                   "files_written", (json_int_t)m->files_written, "duplicates_eliminated", (json_int_t)m->duplicates_eliminated,
                   "groups_conflicted", (json_int_t)m->groups_conflicted, "errors", (json_int_t)m->errors, "last_error",
                   m->last_error[0] ? m->last_error : NULL);
}

static void on_run(void *user, const prestige_iceberg_maintain_metrics_t *m) {
  (void)user;
  cli_ice_print_json(metrics_json(m));
}

static int run_maintain(int argc, char **argv) {
  const cli_ice_verb_t *v = &cli_ice_verb_maintain;
  cli_ice_opts_t co;
  if ((argc = cli_ice_common(v, argc, argv, &co)) < 0) return CLI_USAGE_ERROR;
  const char *table = NULL;
  prestige_iceberg_maintain_options_t o = PRESTIGE_ICEBERG_MAINTAIN_OPTIONS_INIT;
  cli_verb_t cv = cli_ice_as_verb(v);
  for (int i = 1; i < argc; i++) {
    int k = cli_ice_compact_option(v, argc, argv, &i, &o.compaction);
    if (k < 0) return CLI_USAGE_ERROR;
    if (k) continue;
    bool missing;
    const char *val;
    if ((val = cli_ice_value(argc, argv, &i, "--interval", &missing)) || missing) {
      if (cli_opt_duration_ms(&cv, "--interval", val, 1, 366LL * 86400000, &o.interval_ms)) return CLI_USAGE_ERROR;
    } else if ((val = cli_ice_value(argc, argv, &i, "--max-runs", &missing)) || missing) {
      if (cli_opt_int(&cv, "--max-runs", val, 1, INT64_MAX, &o.max_runs)) return CLI_USAGE_ERROR;
    } else if (argv[i][0] == '-') {
      return cli_ice_usage(v, "unknown option %s", argv[i]);
    } else if (table) {
      return cli_ice_usage(v, "expected one table");
    } else {
      table = argv[i];
    }
  }
  if (!table) return cli_ice_usage(v, "which table? (NS.TABLE)");
  if (o.interval_ms <= 0) return cli_ice_usage(v, "--interval is required");
  cli_signals_install();
  prestige_iceberg_catalog_t *cat;
  prestige_iceberg_table_t *t;
  int rc = cli_ice_open_table(v, &co, table, &cat, &t);
  if (rc) return rc;
  prestige_shutdown_t *stop = prestige_shutdown_new();
  cli_signal_watch_t w;
  cli_signal_watch_begin(&w, stop);
  o.on_run = on_run;
  prestige_error_t err;
  prestige_error_init(&err);
  prestige_iceberg_maintain_metrics_t m;
  if (!stop) rc = CLI_USER_ERROR;
  else if (prestige_iceberg_maintain(t, &o, stop, &m, &err)) rc = cli_ice_fail(v, &err);
  cli_signal_watch_end(&w);
  int sig = cli_signal_received();
  prestige_shutdown_free(stop);
  prestige_iceberg_table_free(t);
  prestige_iceberg_catalog_close(cat);
  if (!rc && sig) fprintf(stderr, "prestige iceberg maintain: stopped by signal %d after %lld runs\n", sig, (long long)m.runs);
  return rc;
}
