/* prestige iceberg scan: a table's rows (any snapshot, incremental ranges, filter, projection) as
 * `prestige cat` prints them, or into a Parquet file. */
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "format.h"
#include "iceberg_cli.h"
#include "prestige/iceberg.h"
#include "prestige/parquet_writer.h"

#define SCAN_USAGE                                                                                            \
  "usage: prestige iceberg scan NS.TABLE [--snapshot ID | --ref NAME | --as-of TIME | --since ID [--until ID]]\n" \
  "                             [--where EXPR] [--columns a,b] [--limit N] [--format jsonl|csv|parquet]\n"   \
  "                             [-o FILE] [--stats] [--files-in-flight N] [--threads N] [catalog options]\n"  \
  "\n"                                                                                                        \
  "Prints a table's rows exactly as `prestige cat` prints them (JSON lines by default, or CSV with a\n"      \
  "header), or writes them to a Parquet file (--format parquet -o FILE).\n"                                   \
  "  --snapshot ID    the table as of snapshot ID (with that snapshot's schema)\n"                          \
  "  --ref NAME       a branch or tag\n"                                                                     \
  "  --as-of TIME     the snapshot current at TIME: epoch milliseconds or ISO 8601 (2024-11-20T10:00:00Z)\n"   \
  "  --since ID       incremental: the rows added by append snapshots after ID, up to --until ID (default\n"  \
  "                   the current snapshot)\n"                                                               \
  "  --where EXPR     rows matching EXPR (the filter language of `prestige scan --help`); manifests, files,\n" \
  "                   row groups and pages it rules out are not read\n"                                      \
  "  --columns a,b    these columns, in this order\n"                                                        \
  "  --limit N        at most N rows\n"                                                                      \
  "  --stats          a JSON line of planning and reading counters on standard error at the end\n"         \
  "  -o FILE          write to FILE instead of standard output (required with --format parquet)\n"         \
  "  --files-in-flight N  data files read at once (1 to 64, default 2)\n"                                  \
  "  --threads N      decoding threads of each data file's reader (1 to 256, default: the number of\n"     \
  "                   cores); the rows come out in the same order\n\n"                                     \
  CLI_ICEBERG_COMMON_USAGE

static int run_scan(int argc, char **argv);
CLI_ICEBERG_VERB(scan, "scan", "a table's rows as JSON lines, CSV or Parquet (time travel, filters)", SCAN_USAGE, run_scan)

static int parse_id(const cli_ice_verb_t *v, const char *opt, const char *val, int64_t *out) {
  char *end;
  errno = 0;
  long long x = strtoll(val, &end, 10);
  if (errno || end == val || *end) return cli_ice_usage(v, "%s takes a snapshot id, not \"%s\"", opt, val);
  *out = x;
  return 0;
}

static void print_stats(const prestige_iceberg_scan_stats_t *s, int64_t rows) {
  json_t *j = json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:f}", "manifests", (json_int_t)s->manifests,
                        "manifests_pruned", (json_int_t)s->manifests_pruned, "files", (json_int_t)s->files,
                        "files_pruned_partition", (json_int_t)s->files_pruned_partition, "files_pruned_stats",
                        (json_int_t)s->files_pruned_stats, "files_planned", (json_int_t)s->files_planned, "delete_files",
                        (json_int_t)s->delete_files, "files_read", (json_int_t)s->files_read, "row_groups",
                        (json_int_t)s->row_groups, "row_groups_pruned", (json_int_t)s->row_groups_pruned, "rows",
                        (json_int_t)rows, "planning_ms", (double)s->planning_ns / 1e6);
  if (!j) return;
  if (s->snapshot_id == PRESTIGE_ICEBERG_NONE) json_object_set_new(j, "snapshot_id", json_null());
  else json_object_set_new(j, "snapshot_id", json_integer((json_int_t)s->snapshot_id));
  char *t = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
  if (t) fprintf(stderr, "%s\n", t);
  free(t);
  json_decref(j);
}

/* Writes the stream (up to limit rows) to a Parquet file. */
static int write_parquet(struct ArrowArrayStream *st, const struct ArrowSchema *schema, const char *path, int64_t limit,
                         int64_t *rows, prestige_error_t *err) {
  prestige_parquet_writer_t *w;
  prestige_parquet_writer_options_t wo;
  prestige_parquet_writer_options_init(&wo);
  PRESTIGE_TRY(prestige_parquet_writer_open_file(&w, path, schema, &wo, err));
  int rc = 0;
  *rows = 0;
  while (!rc && (limit < 0 || *rows < limit)) {
    struct ArrowArray b;
    if (st->get_next(st, &b)) {
      rc = prestige_error_set(err, PRESTIGE_EIO, "%s", st->get_last_error(st));
      break;
    }
    if (!b.release) break;
    if (cli_signal_received()) {
      b.release(&b);
      rc = prestige_error_set(err, PRESTIGE_ECANCELED, "stopped by a signal");
      break;
    }
    int64_t n = b.length;
    if (limit >= 0 && *rows + n > limit) n = limit - *rows;
    rc = prestige_parquet_writer_write_slice(w, &b, 0, n, err);
    *rows += n;
    b.release(&b);
  }
  if (rc) {
    prestige_parquet_writer_abort(w);
    return rc;
  }
  return prestige_parquet_writer_close(w, NULL, err);
}

static int run_scan(int argc, char **argv) {
  const cli_ice_verb_t *v = &cli_ice_verb_scan;
  cli_ice_opts_t o;
  if ((argc = cli_ice_common(v, argc, argv, &o)) < 0) return CLI_USAGE_ERROR;
  const char *ident = NULL, *format = "jsonl", *output = NULL;
  char *cols = NULL;
  int64_t limit = -1;
  bool stats_wanted = false, threads_given = false;
  prestige_iceberg_scan_options_t so = PRESTIGE_ICEBERG_SCAN_OPTIONS_INIT;
  cli_verb_t cv = {v->full, v->summary, v->usage, NULL, false};
  int rc = 0;
  for (int i = 1; i < argc && !rc; i++) {
    bool missing = false;
    const char *val;
    if (!strcmp(argv[i], "--stats")) stats_wanted = true;
    else if ((val = cli_ice_value(argc, argv, &i, "--snapshot", &missing))) rc = parse_id(v, "--snapshot", val, &so.snapshot_id);
    else if (!missing && (val = cli_ice_value(argc, argv, &i, "--since", &missing)))
      rc = parse_id(v, "--since", val, &so.since_snapshot_id);
    else if (!missing && (val = cli_ice_value(argc, argv, &i, "--until", &missing)))
      rc = parse_id(v, "--until", val, &so.until_snapshot_id);
    else if (!missing && (val = cli_ice_value(argc, argv, &i, "--ref", &missing))) so.ref = val;
    else if (!missing && (val = cli_ice_value(argc, argv, &i, "--as-of", &missing))) {
      if (cli_parse_time_ms(val, &so.as_of_ms)) rc = cli_ice_usage(v, "--as-of takes epoch milliseconds or ISO 8601, not \"%s\"", val);
    } else if (!missing && (val = cli_ice_value(argc, argv, &i, "--where", &missing))) so.where = val;
    else if (!missing && (val = cli_ice_value(argc, argv, &i, "--columns", &missing))) cols = (char *)val;
    else if (!missing && (val = cli_ice_value(argc, argv, &i, "--limit", &missing))) rc = cli_opt_int(&cv, "--limit", val, 0, INT64_MAX, &limit);
    else if (!missing && (val = cli_ice_value(argc, argv, &i, "--format", &missing))) format = val;
    else if (!missing && ((val = cli_ice_value(argc, argv, &i, "-o", &missing)) ||
                          (!missing && (val = cli_ice_value(argc, argv, &i, "--output", &missing)))))
      output = val;
    else if (!missing && (val = cli_ice_value(argc, argv, &i, "--files-in-flight", &missing))) {
      int64_t n;
      rc = cli_opt_int(&cv, "--files-in-flight", val, 1, 64, &n);
      so.files_in_flight = (int)n;
    } else if (!missing && (val = cli_ice_value(argc, argv, &i, "--threads", &missing))) {
      int64_t n;
      rc = cli_opt_int(&cv, "--threads", val, 1, 256, &n);
      so.threads = (int)n;
      threads_given = true;
    } else if (missing) rc = cli_ice_usage(v, "%s needs a value", argv[i]);
    else if (argv[i][0] == '-') rc = cli_ice_usage(v, "unknown option %s", argv[i]);
    else if (!ident) ident = argv[i];
    else rc = cli_ice_usage(v, "unexpected argument \"%s\"", argv[i]);
  }
  if (rc) return rc;
  if (!threads_given) { /* like cat: the number of online cores */
    so.threads = cli_core_count(64);
  }
  if (!ident) return cli_ice_usage(v, "NS.TABLE is required");
  bool csv = !strcmp(format, "csv"), parquet = !strcmp(format, "parquet");
  if (!csv && !parquet && strcmp(format, "jsonl")) return cli_ice_usage(v, "--format takes jsonl, csv or parquet, not \"%s\"", format);
  if (parquet && !output) return cli_ice_usage(v, "--format parquet needs -o FILE");
  int given = (so.snapshot_id != PRESTIGE_ICEBERG_NONE) + (so.ref != NULL) + (so.as_of_ms != PRESTIGE_ICEBERG_NONE) +
              (so.since_snapshot_id != PRESTIGE_ICEBERG_NONE);
  if (given > 1) return cli_ice_usage(v, "give at most one of --snapshot, --ref, --as-of and --since");
  if (so.until_snapshot_id != PRESTIGE_ICEBERG_NONE && so.since_snapshot_id == PRESTIGE_ICEBERG_NONE)
    return cli_ice_usage(v, "--until needs --since");
  if (so.where) {
    prestige_predicate_t *p;
    prestige_error_t perr;
    prestige_error_init(&perr);
    if (prestige_predicate_parse(so.where, &p, &perr)) return cli_ice_usage(v, "--where: %s", perr.message);
    prestige_predicate_free(p);
  }
  const char *names[1024];
  if (cols) {
    char *save = NULL;
    for (char *t = strtok_r(cols, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
      if (so.n_columns == 1024) return cli_ice_usage(v, "--columns: more than 1024 columns");
      while (*t == ' ') t++;
      names[so.n_columns++] = t;
    }
    if (!so.n_columns) return cli_ice_usage(v, "--columns is empty");
    so.columns = names;
  }
  prestige_iceberg_catalog_t *cat;
  prestige_iceberg_table_t *t;
  if ((rc = cli_ice_open_table(v, &o, ident, &cat, &t))) return rc;
  prestige_error_t err;
  prestige_error_init(&err);
  prestige_iceberg_scan_stats_t stats;
  memset(&stats, 0, sizeof stats);
  struct ArrowArrayStream st;
  struct ArrowSchema schema;
  memset(&schema, 0, sizeof schema);
  int e = prestige_iceberg_scan(t, &so, &st, &stats, &err);
  if (!e && st.get_schema(&st, &schema)) {
    e = prestige_error_set(&err, PRESTIGE_EIO, "%s", st.get_last_error(&st));
    st.release(&st);
  }
  if (e) {
    prestige_iceberg_table_free(t);
    prestige_iceberg_catalog_close(cat);
    /* EINVAL from options/filter binding: a usage problem of the command line */
    return err.code == PRESTIGE_EINVAL ? cli_ice_usage(v, "%s", err.message) : cli_ice_fail(v, &err);
  }
  int64_t rows = 0;
  /* -o FILE: written under FILE.tmp-PID and renamed when complete, so nothing half-written is left
   * under its name (a failure or SIGINT/SIGTERM removes the temporary) */
  char *tmp = NULL;
  if (output) {
    const char *path = cli_local_path(output);
    size_t n = strlen(path) + 32;
    if ((tmp = malloc(n))) snprintf(tmp, n, "%s.tmp-%d", path, (int)getpid());
    else rc = (fprintf(stderr, "prestige %s: out of memory\n", v->full), CLI_USER_ERROR);
    cli_signals_install();
  }
  if (rc) {
  } else if (parquet) {
    int e2 = write_parquet(&st, &schema, tmp, limit, &rows, &err);
    if (e2 == PRESTIGE_ECANCELED && cli_signal_received()) rc = cli_interrupted(v->full, "nothing was written");
    else if (e2) rc = cli_ice_fail(v, &err);
  } else {
    FILE *out = stdout;
    if (tmp && !(out = fopen(tmp, "w"))) {
      prestige_error_set(&err, PRESTIGE_EIO, "creating %s: %s", tmp, strerror(errno));
      rc = cli_ice_fail(v, &err);
    }
    if (!rc) rc = cli_print_rows(out, v->full, &st, &schema, csv, limit, &rows);
    if (tmp && out && fclose(out) && !rc) {
      fprintf(stderr, "prestige %s: writing %s failed\n", v->full, output);
      rc = CLI_USER_ERROR;
    }
    if (tmp && cli_signal_received()) rc = cli_interrupted(v->full, "nothing was written");
  }
  if (tmp) {
    if (!rc && rename(tmp, cli_local_path(output)) != 0) {
      fprintf(stderr, "prestige %s: renaming %s to %s: %s\n", v->full, tmp, output, strerror(errno));
      rc = CLI_USER_ERROR;
    }
    if (rc) unlink(tmp);
    free(tmp);
  }
  st.release(&st);
  schema.release(&schema);
  if (stats_wanted) print_stats(&stats, rows);
  prestige_iceberg_table_free(t);
  prestige_iceberg_catalog_close(cat);
  return rc ? rc : (fflush(stdout) ? CLI_USER_ERROR : CLI_OK);
}
