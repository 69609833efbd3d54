/* prestige iceberg sink / publish / poll: streaming into and out of Iceberg tables. */
#include <inttypes.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "format.h"
#include "batch_loop.h"
#include "iceberg_cli.h"
#include "prestige/core.h"
#include "prestige/iceberg_poller.h"
#include "prestige/iceberg_sink.h"
#include "prestige/parquet_writer.h"
#include "prestige/text.h"

/* ---- sink -------------------------------------------------------------------------------------- */

#define ICE_SINK_USAGE                                                                                      \
  "usage: prestige iceberg sink NS.TABLE [--format jsonl|csv|tsv] [--schema SPEC] [--max-rows N]\n"        \
  "                             [--max-bytes N] [--roll-time DUR] [--commit-every N] [--manifest-dir DIR]\n" \
  "                             [--max-pending-commits N] [--wap BRANCH] [--no-publish]\n"                  \
  "                             [--partition SPEC] [--sort SPEC] [--strict] [--metrics ADDR:PORT]\n"         \
  "                             [--threads N] [catalog options]\n"                                          \
  "\n"                                                                                                       \
  "Reads records from standard input (JSON lines by default) as they arrive into an IcebergSink: data\n"   \
  "files are written while earlier commits land in the catalog (at most --max-pending-commits, default\n"  \
  "3, in flight). A commit is made every --commit-every rows exactly (else every --max-rows, default\n"    \
  "1000000), when --max-bytes of input are waiting, when the oldest waiting row is --roll-time old\n"      \
  "(also while the input is idle: 500ms, 5s, 1m), and at the end of the input. The table is created\n"     \
  "when missing (from --schema, with --partition such as 'day(ts),bucket(16,id)' and --sort 'ts desc').\n" \
  "\n"                                                                                                       \
  "For each acknowledged commit (its snapshot in the catalog) it prints one JSON line:\n"                   \
  "{\"snapshot_id\":S,\"commit_seq\":Q,\"files\":[...],\"rows\":R,\"input_rows\":T}: T input rows of this\n" \
  "run are now in the table (the first T). With --manifest-dir DIR each commit's data files are first\n"    \
  "recorded durably in DIR; restarted with the same DIR it first recovers what a crash left (commits\n"   \
  "that landed are confirmed, the others committed again: never twice) and prints a line with\n"          \
  "\"recovered\":true and the snapshot_id for each. SIGINT or SIGTERM: a final commit, its line, exit 0.\n" \
  "\n"                                                                                                       \
  "--wap BRANCH commits to BRANCH (created from main when missing; summary wap.id) and publishes each\n"   \
  "commit to main; with --no-publish they stay staged until `prestige iceberg publish`.\n"                 \
  "Without --schema the types are inferred from the first 10000 rows. --threads N encodes each data\n"     \
  "file's columns on N threads (default: the number of cores; the files are the same bytes whatever N).\n"  \
  CLI_METRICS_USAGE CLI_ICEBERG_COMMON_USAGE

static int run_ice_sink(int argc, char **argv);
CLI_ICEBERG_VERB(ice_sink, "sink", "stream JSON lines or CSV from stdin into a table (pipelined commits)", ICE_SINK_USAGE,
                 run_ice_sink)

static pthread_mutex_t out_mu = PTHREAD_MUTEX_INITIALIZER;
static int64_t sink_input_rows;

static void print_commit(void *ud, const prestige_iceberg_sink_commit_info_t *c) {
  (void)ud;
  pthread_mutex_lock(&out_mu);
  if (!c->recovered) sink_input_rows += c->rows;
  json_t *j = json_object();
  json_object_set_new(j, "snapshot_id", json_integer(c->snapshot_id));
  json_object_set_new(j, "commit_seq", json_integer(c->commit_seq));
  json_t *f = json_array();
  for (size_t i = 0; i < c->n_files; i++) json_array_append_new(f, json_string(c->files[i]));
  json_object_set_new(j, "files", f);
  json_object_set_new(j, "rows", json_integer(c->rows));
  json_object_set_new(j, "input_rows", json_integer(sink_input_rows));
  if (c->recovered) json_object_set_new(j, "recovered", json_true());
  json_object_set_new(j, "latency_ms", json_integer(c->latency_ms));
  char *s = json_dumps(j, JSON_COMPACT);
  json_decref(j);
  if (s) {
    puts(s);
    fflush(stdout);
    free(s);
  }
  pthread_mutex_unlock(&out_mu);
}

static int loop_write(void *c, struct ArrowArray *b, prestige_error_t *err) {
  return prestige_iceberg_sink_write_batch(c, b, err);
}

static int run_ice_sink(int argc, char **argv) {
  const cli_ice_verb_t *iv = &cli_ice_verb_ice_sink;
  cli_verb_t v = {iv->full, iv->summary, iv->usage, NULL, false};
  cli_ice_opts_t co;
  if ((argc = cli_ice_common(iv, argc, argv, &co)) < 0) return CLI_USAGE_ERROR;
  const char *table = NULL, *schema = NULL, *format = "jsonl", *manifest_dir = NULL, *wap = NULL, *metrics = NULL;
  const char *partition = NULL, *sort = NULL;
  int64_t max_rows = 1000000, max_bytes = 0, roll_ms = 0, commit_every = 0, pending = 3, threads = 0;
  bool no_publish = false, strict = false;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (a[0] != '-') {
      if (table) return cli_ice_usage(iv, "expected one table, got %s too", a);
      table = a;
      continue;
    }
    if (!strcmp(a, "--no-publish")) {
      no_publish = true;
      continue;
    }
    if (!strcmp(a, "--strict")) {
      strict = true;
      continue;
    }
    const char *val = i + 1 < argc ? argv[i + 1] : NULL;
    if (!val) return cli_ice_usage(iv, "%s needs a value", a);
    i++;
    if (!strcmp(a, "--format")) format = val;
    else if (!strcmp(a, "--schema")) schema = val;
    else if (!strcmp(a, "--manifest-dir")) manifest_dir = val;
    else if (!strcmp(a, "--wap")) wap = val;
    else if (!strcmp(a, "--partition")) partition = val;
    else if (!strcmp(a, "--sort")) sort = val;
    else if (!strcmp(a, "--metrics")) {
      char addr[64];
      uint16_t port;
      if (cli_metrics_parse(val, addr, sizeof addr, &port)) return cli_ice_usage(iv, "--metrics takes ADDR:PORT, not \"%s\"", val);
      metrics = val;
    } else if (!strcmp(a, "--max-rows")) {
      if (cli_opt_int(&v, a, val, 1, INT64_MAX, &max_rows)) return CLI_USAGE_ERROR;
    } else if (!strcmp(a, "--max-bytes")) {
      if (cli_opt_int(&v, a, val, 0, INT64_MAX, &max_bytes)) return CLI_USAGE_ERROR;
    } else if (!strcmp(a, "--roll-time")) {
      if (cli_opt_duration_ms(&v, a, val, 1, INT64_MAX / 2, &roll_ms)) return CLI_USAGE_ERROR;
    } else if (!strcmp(a, "--commit-every")) {
      if (cli_opt_int(&v, a, val, 1, INT64_MAX, &commit_every)) return CLI_USAGE_ERROR;
    } else if (!strcmp(a, "--max-pending-commits")) {
      if (cli_opt_int(&v, a, val, 1, 1000, &pending)) return CLI_USAGE_ERROR;
    } else if (!strcmp(a, "--threads")) {
      if (cli_opt_int(&v, a, val, 1, PRESTIGE_PARQUET_WRITER_MAX_THREADS, &threads)) return CLI_USAGE_ERROR;
    } else {
      return cli_ice_usage(iv, "unknown option %s", a);
    }
  }
  if (!table) return cli_ice_usage(iv, "which table? (NS.TABLE)");
  if (no_publish && !wap) return cli_ice_usage(iv, "--no-publish goes with --wap BRANCH");
  prestige_text_options_t to;
  prestige_text_options_init(&to);
  if (!strcasecmp(format, "jsonl") || !strcasecmp(format, "json")) to.format = PRESTIGE_TEXT_JSONL;
  else if (!strcasecmp(format, "csv")) to.format = PRESTIGE_TEXT_CSV;
  else if (!strcasecmp(format, "tsv")) to.format = PRESTIGE_TEXT_CSV, to.delimiter = '\t';
  else return cli_ice_usage(iv, "--format takes jsonl, csv or tsv, not \"%s\"", format);
  prestige_error_t err;
  prestige_error_init(&err);
  if (schema) {
    struct ArrowSchema check;
    if (prestige_text_parse_schema(schema, &check, &err)) return cli_ice_usage(iv, "--schema: %s", err.message);
    prestige_schema_release(&check);
  }
  to.schema = schema;
  to.strict = strict;
  to.on_ignored = cli_text_ignored;
  to.user_data = (void *)"iceberg sink";
  to.batch_rows = 65536;
  to.streaming = true;

  prestige_iceberg_catalog_t *cat = NULL;
  int rc = cli_ice_open(iv, &co, &cat);
  if (rc) return rc;
  if (metrics && cli_metrics_start("iceberg sink", metrics, &err)) {
    prestige_iceberg_catalog_close(cat);
    return cli_ice_fail(iv, &err);
  }
  prestige_text_reader_t *r = NULL;
  char *table_spec = NULL; /* the table's types as text input reads them (when no --schema) */
  prestige_iceberg_sink_t *sink = NULL;
  prestige_iceberg_sink_client_t *c = NULL;
  prestige_shutdown_t *stop = prestige_shutdown_new();
  bool stopped = false;
  cli_signals_install();
  if (!stop) {
    rc = prestige_error_set(&err, PRESTIGE_ENOMEM, "out of memory");
    goto out;
  }
  /* Without --schema, text is read with the types of the table when it exists: inferring them
   * would wait for thousands of rows before the first one could be committed. */
  if (!to.schema) {
    prestige_iceberg_table_t *t = NULL;
    prestige_error_t e2;
    prestige_error_init(&e2);
    if (prestige_iceberg_table_load(cat, table, &t, &e2) == 0) {
      struct ArrowSchema ts;
      memset(&ts, 0, sizeof ts);
      if (prestige_iceberg_table_schema(t, &ts, &e2) == 0) {
        table_spec = cli_ice_text_schema(&ts, NULL, 0);
        ts.release(&ts);
      }
      prestige_iceberg_table_free(t);
    }
    to.schema = table_spec;
  }
  if ((rc = prestige_text_reader_open(&r, "-", &to, &err))) goto out;
  prestige_iceberg_create_options_t cro = PRESTIGE_ICEBERG_CREATE_OPTIONS_INIT;
  cro.partition = partition;
  cro.sort = sort;
  prestige_iceberg_sink_options_t so = PRESTIGE_ICEBERG_SINK_OPTIONS_INIT;
  so.table = table;
  so.max_rows = commit_every ? commit_every : max_rows;
  so.max_size_bytes = max_bytes;
  so.roll_time_ms = roll_ms;
  so.manifest_dir = manifest_dir ? cli_local_path(manifest_dir) : NULL;
  so.max_pending_commits = (int)pending;
  so.writer_threads = threads ? (int)threads : cli_core_count(PRESTIGE_PARQUET_WRITER_MAX_THREADS);
  so.wap_branch = wap;
  so.auto_publish = wap && !no_publish;
  so.on_commit = print_commit;
  so.shutdown = stop;
  so.create = &cro;
  if ((rc = prestige_iceberg_sink_open(&sink, cat, &so, NULL, prestige_text_reader_schema(r), &err))) goto out;
  int64_t rec_rows = 0;
  size_t rec = prestige_iceberg_sink_recovered(sink, &rec_rows);
  if (rec)
    fprintf(stderr, "prestige iceberg sink: recovered %zu commits (%" PRId64 " rows) left by an earlier run\n", rec, rec_rows);
  if (!(c = prestige_iceberg_sink_client_new(sink))) {
    rc = prestige_error_set(&err, PRESTIGE_ENOMEM, "out of memory");
    goto out;
  }
  /* --commit-every is the sink's max_rows: a batch never straddles it, so commits land exactly there */
  cli_batch_loop_t loop = {.every = commit_every, .write = loop_write, .ctx = c};
  rc = cli_batch_loop(r, &loop, &err);
  stopped = loop.stopped;
out:
  if (c) {
    prestige_error_t e2;
    if (prestige_iceberg_sink_client_free(c, &e2) && !rc) {
      rc = e2.code;
      err = e2;
    }
  }
  if (sink) {
    prestige_error_t e2;
    prestige_error_init(&e2);
    int crc = prestige_iceberg_sink_close(sink, NULL, &e2); /* final commit (printed by the callback) */
    if (!rc && crc) {
      rc = crc;
      err = e2;
    }
  }
  if (r) prestige_text_reader_close(r);
  free(table_spec);
  prestige_iceberg_catalog_close(cat);
  if (metrics) cli_metrics_stop();
  prestige_shutdown_free(stop);
  if (!rc && stopped)
    fprintf(stderr, "prestige iceberg sink: stopped by %s after a final commit\n",
            cli_signal_received() == SIGINT ? "SIGINT" : "SIGTERM");
  if (rc == PRESTIGE_ECANCELED && cli_signal_received()) return cli_interrupted("iceberg sink", "before any input was read");
  return rc ? cli_ice_fail(iv, &err) : CLI_OK;
}

/* ---- publish ------------------------------------------------------------------------------------ */

#define ICE_PUBLISH_USAGE                                                                                   \
  "usage: prestige iceberg publish NS.TABLE --branch BRANCH [catalog options]\n"                          \
  "\n"                                                                                                       \
  "Write-audit-publish: makes the commits staged on BRANCH visible on main, by fast-forward when main\n"   \
  "has not moved since the branch left it, else by cherry-picking each staged append onto main. Prints\n"  \
  "{\"snapshot_id\":S}, main's snapshot afterwards. Publishing again publishes nothing twice.\n\n"          \
  CLI_ICEBERG_COMMON_USAGE

static int run_ice_publish(int argc, char **argv);
CLI_ICEBERG_VERB(ice_publish, "publish", "publish a write-audit-publish branch to main", ICE_PUBLISH_USAGE, run_ice_publish)

static int run_ice_publish(int argc, char **argv) {
  const cli_ice_verb_t *iv = &cli_ice_verb_ice_publish;
  cli_ice_opts_t co;
  if ((argc = cli_ice_common(iv, argc, argv, &co)) < 0) return CLI_USAGE_ERROR;
  const char *table = NULL, *branch = NULL;
  for (int i = 1; i < argc; i++) {
    bool missing;
    const char *val = cli_ice_value(argc, argv, &i, "--branch", &missing);
    if (missing) return cli_ice_usage(iv, "--branch needs a value");
    if (val) branch = val;
    else if (argv[i][0] == '-') return cli_ice_usage(iv, "unknown option %s", argv[i]);
    else if (table) return cli_ice_usage(iv, "expected one table, got %s too", argv[i]);
    else table = argv[i];
  }
  if (!table) return cli_ice_usage(iv, "which table? (NS.TABLE)");
  if (!branch) return cli_ice_usage(iv, "--branch is required");
  prestige_iceberg_catalog_t *cat;
  prestige_iceberg_table_t *t;
  int rc = cli_ice_open_table(iv, &co, table, &cat, &t);
  if (rc) return rc;
  prestige_error_t err;
  prestige_error_init(&err);
  int64_t sid = -1;
  if (prestige_iceberg_publish(t, branch, &sid, &err)) {
    rc = cli_ice_fail(iv, &err);
  } else {
    json_t *j = json_object();
    json_object_set_new(j, "snapshot_id", json_integer(sid));
    rc = cli_ice_print_json(j);
  }
  prestige_iceberg_table_free(t);
  prestige_iceberg_catalog_close(cat);
  return rc;
}

/* ---- poll --------------------------------------------------------------------------------------- */

#define ICE_POLL_USAGE                                                                                      \
  "usage: prestige iceberg poll NS.TABLE --process NAME [--state URI] [--once] [--summary]\n"              \
  "                             [--poll-interval DUR] [--start-after SNAPSHOT_ID] [catalog options]\n"     \
  "\n"                                                                                                       \
  "An IcebergPoller: for each new snapshot of main, oldest first, prints the rows it added (deletes as\n"  \
  "of that snapshot applied) as JSON lines, then acks it: the checkpoint of consumer NAME (--consumer\n"   \
  "is the same) is stored in the state store URI (sqlite:PATH or postgresql://...), so a restart\n"       \
  "resumes right after the last ack. Without a checkpoint it starts from the earliest snapshot (or after\n" \
  "--start-after). Replace snapshots (compaction) print nothing; delete and overwrite snapshots print\n"   \
  "nothing without --summary. --summary prints one line per snapshot instead: {\"snapshot_id\",\n"         \
  "\"operation\",\"rows\"}. --once stops when caught up; otherwise it polls every --poll-interval\n"         \
  "(default 1s) until SIGINT or SIGTERM. Commits staged on a WAP branch appear once published.\n\n"        \
  CLI_ICEBERG_COMMON_USAGE

static int run_ice_poll(int argc, char **argv);
CLI_ICEBERG_VERB(ice_poll, "poll", "stream a table's new snapshots (rows or one line each), with checkpoints",
                 ICE_POLL_USAGE, run_ice_poll)

static int print_rows(struct ArrowArrayStream *st, int64_t *rows, bool quiet, prestige_error_t *err) {
  struct ArrowSchema sc;
  memset(&sc, 0, sizeof sc);
  if (st->get_schema(st, &sc))
    return prestige_error_set(err, PRESTIGE_EIO, "reading rows: %s", st->get_last_error(st) ? st->get_last_error(st) : "?");
  int rc = 0;
  for (;;) {
    struct ArrowArray b;
    memset(&b, 0, sizeof b);
    if (st->get_next(st, &b)) {
      const char *m = st->get_last_error(st);
      rc = prestige_error_set(err, PRESTIGE_EIO, "reading rows: %s", m ? m : "stream error");
      break;
    }
    if (!b.release) break;
    *rows += b.length;
    for (int64_t i = 0; !quiet && i < b.length; i++) {
      json_t *o = json_object();
      for (int64_t k = 0; k < sc.n_children; k++)
        json_object_set_new(o, sc.children[k]->name, cli_json_value(b.children[k], sc.children[k], i));
      char *s = json_dumps(o, JSON_COMPACT);
      json_decref(o);
      if (s) {
        puts(s);
        free(s);
      }
    }
    b.release(&b);
  }
  sc.release(&sc);
  if (!rc && fflush(stdout)) rc = prestige_error_set(err, PRESTIGE_EIO, "writing to standard output failed");
  return rc;
}

static int run_ice_poll(int argc, char **argv) {
  const cli_ice_verb_t *iv = &cli_ice_verb_ice_poll;
  cli_verb_t v = {iv->full, iv->summary, iv->usage, NULL, false};
  cli_ice_opts_t co;
  if ((argc = cli_ice_common(iv, argc, argv, &co)) < 0) return CLI_USAGE_ERROR;
  const char *table = NULL, *consumer = NULL, *state = NULL;
  bool once = false, summary = false;
  int64_t interval = 1000, start_after = -1;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (a[0] != '-') {
      if (table) return cli_ice_usage(iv, "expected one table, got %s too", a);
      table = a;
      continue;
    }
    if (!strcmp(a, "--once")) {
      once = true;
      continue;
    }
    if (!strcmp(a, "--summary")) {
      summary = true;
      continue;
    }
    const char *val = i + 1 < argc ? argv[i + 1] : NULL;
    if (!val) return cli_ice_usage(iv, "%s needs a value", a);
    i++;
    if (!strcmp(a, "--process") || !strcmp(a, "--consumer")) consumer = val;
    else if (!strcmp(a, "--state")) state = val;
    else if (!strcmp(a, "--poll-interval")) {
      if (cli_opt_duration_ms(&v, a, val, 1, 86400000, &interval)) return CLI_USAGE_ERROR;
    } else if (!strcmp(a, "--start-after")) {
      if (cli_opt_int(&v, a, val, 0, INT64_MAX, &start_after)) return CLI_USAGE_ERROR;
    } else {
      return cli_ice_usage(iv, "unknown option %s", a);
    }
  }
  if (!table) return cli_ice_usage(iv, "which table? (NS.TABLE)");
  if (!consumer) return cli_ice_usage(iv, "--process NAME is required (the checkpoint's name)");
  prestige_error_t err;
  prestige_error_init(&err);
  prestige_iceberg_catalog_t *cat = NULL;
  int rc = cli_ice_open(iv, &co, &cat);
  if (rc) return rc;
  prestige_state_store_t *st = NULL;
  prestige_iceberg_poller_t *p = NULL;
  prestige_shutdown_t *stop = prestige_shutdown_new();
  cli_signals_install();
  if (!stop) {
    rc = prestige_error_set(&err, PRESTIGE_ENOMEM, "out of memory");
    goto out;
  }
  if (state && (rc = prestige_state_store_open(&st, state, &err))) goto out;
  prestige_iceberg_poller_options_t po = PRESTIGE_ICEBERG_POLLER_OPTIONS_INIT;
  po.table = table;
  po.consumer = consumer;
  po.state = st;
  po.poll_interval_ms = interval;
  po.start_after_snapshot = start_after;
  po.shutdown = stop;
  if ((rc = prestige_iceberg_poller_open(&p, cat, &po, &err))) goto out;
  for (;;) {
    if (cli_signal_received()) break;
    prestige_iceberg_poll_event_t ev;
    rc = prestige_iceberg_poller_next(p, &ev, once ? 0 : 200, &err);
    if (rc == PRESTIGE_ETIMEOUT) {
      rc = 0;
      if (once) break;
      continue;
    }
    if (rc) break;
    int64_t rows = 0;
    if (ev.rows.release) {
      rc = print_rows(&ev.rows, &rows, summary, &err);
      ev.rows.release(&ev.rows);
      if (rc) break;
    }
    if (summary) {
      json_t *j = json_object();
      json_object_set_new(j, "snapshot_id", json_integer(ev.snapshot_id));
      json_object_set_new(j, "operation", json_string(ev.operation));
      json_object_set_new(j, "rows", json_integer(rows));
      if (cli_ice_print_json(j)) {
        rc = prestige_error_set(&err, PRESTIGE_EIO, "writing to standard output failed");
        break;
      }
    }
    if ((rc = prestige_iceberg_poller_ack(p, ev.snapshot_id, &err))) break;
  }
out:
  prestige_iceberg_poller_close(p);
  prestige_state_store_free(st);
  prestige_iceberg_catalog_close(cat);
  prestige_shutdown_free(stop);
  return rc ? cli_ice_fail(iv, &err) : CLI_OK;
}
