/* prestige sink: JSON lines (or CSV) from standard input into a ParquetSink, as a log shipper. */
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "batch_loop.h"
#include "cli.h"
#include "prestige/core.h"
#include "prestige/sink.h"
#include "prestige/store.h"
#include "prestige/text.h"
#include "prestige/upload.h"

#define SINK_USAGE                                                                                         \
  "usage: prestige sink --name NAME --dir DIR [--upload URL] [--schema SPEC] [--format jsonl|csv|tsv]\n"   \
  "                     [--max-rows N] [--max-bytes N] [--rotate-secs N] [--commit-every N]\n"           \
  "                     [--compression C[:LEVEL]] [--keep-local] [--no-auto-commit] [--strict]\n"        \
  "                     [--threads N] [--metrics ADDR:PORT]\n"                                       \
  "\n"                                                                                                     \
  "Reads records from standard input (JSON lines by default) as they arrive into a ParquetSink\n"         \
  "writing DIR/NAME.<timestamp_ms>.parquet, rotating by rows (--max-rows, default 1000000), bytes and\n"  \
  "time (also while the input is idle), and uploading finished files to URL (s3://bucket/prefix or a\n"  \
  "local directory) when given.\n"                                                                        \
  "\n"                                                                                                     \
  "--commit-every N makes the input durable every N rows exactly, without cutting the file: a\n"        \
  "checkpoint ends the file's row group, fdatasyncs it and keeps the footer beside it, so files still\n"  \
  "grow to --max-rows; a crash recovery finishes a file at its last checkpoint. Each checkpoint costs\n"  \
  "two fdatasyncs and a row group, so N far below the rows a second brings makes small row groups.\n"   \
  "After every checkpoint, whenever a file is finished, and at the end it prints one JSON line on\n"    \
  "standard output: {\"files\":[...],\"rows\":R,\"open_rows\":O,\"input_rows\":T}: the files finished\n" \
  "since the previous line (uploaded, when --upload is given), the durable rows of the file being\n"    \
  "written, and T, the input rows acknowledged so far (the first T rows of the input are durable).\n"   \
  "SIGINT or SIGTERM stops it cleanly: a final commit, its line printed, exit status 0 (a second\n"     \
  "signal ends it at once).\n"                                                                         \
  "\n"                                                                                                     \
  "Restarted on the same DIR it first recovers what a crash left behind: a file with a checkpoint is\n" \
  "finished at that checkpoint and uploaded; other unfinished files go to DIR/.incomplete/ (deleted\n"  \
  "with --no-auto-commit); finished files are uploaded again. Without --schema the types are\n"         \
  "inferred from the first 10000 rows (give --schema SPEC such as\n"                                    \
  "'id:int64,ts:timestamp(ms,UTC),msg:string' to stream at once). With --schema, CSV columns are\n"    \
  "matched by header name; JSON keys (CSV columns) it lacks are reported once each on stderr, or with\n" \
  "--strict stop the sink with an error.\n"                                                               \
  "\n"                                                                                                     \
  "--threads N encodes the columns of each file on N threads (default: the number of cores); the\n"     \
  "files are the same bytes whatever N.\n"                                                               \
  CLI_METRICS_USAGE

static atomic_int file_finished;
static void on_file(void *ud, const prestige_sink_file_t *f) {
  (void)ud;
  (void)f;
  atomic_store(&file_finished, 1);
}

/* Rows of the input in files this process finished (recovered files are earlier input); the
 * durable rows of the open file come on top. */
static int64_t acked_rows;
static int print_manifest(prestige_sink_manifest_t *m) {
  for (size_t i = 0; i < m->n_files; i++)
    if (!m->files[i].recovered) acked_rows += m->files[i].rows;
  int64_t input_rows = acked_rows + m->open_rows;
  char *j = prestige_sink_manifest_json(m);
  if (!j) return -1;
  size_t n = strlen(j);
  /* append ,"input_rows":T before the closing brace */
  printf("%.*s,\"input_rows\":%lld}\n", (int)(n - 1), j, (long long)input_rows);
  free(j);
  return fflush(stdout);
}

/* A checkpoint (the input so far durable, the file kept growing) and its manifest line. */
static int checkpoint_and_print(prestige_sink_client_t *c, prestige_error_t *err) {
  prestige_sink_manifest_t m;
  atomic_store(&file_finished, 0);
  PRESTIGE_TRY(prestige_sink_checkpoint(c, &m, err));
  int prc = print_manifest(&m);
  prestige_sink_manifest_release(&m);
  return prc ? prestige_error_set(err, PRESTIGE_EIO, "writing to standard output failed") : 0;
}

static int loop_write(void *c, struct ArrowArray *b, prestige_error_t *err) { return prestige_sink_write_batch(c, b, err); }
static int loop_point(void *c, prestige_error_t *err) { return checkpoint_and_print(c, err); }
/* a file finished by rotation is committed (and printed) at once */
static int loop_after(void *c, prestige_error_t *err) { return atomic_load(&file_finished) ? checkpoint_and_print(c, err) : 0; }

static int run_sink(int argc, char **argv) {
  const cli_verb_t *v = cli_find("sink");
  const char *name = NULL, *dir = NULL, *upload = NULL, *schema = NULL, *format = "jsonl", *metrics = NULL;
  int64_t max_rows = 1000000, max_bytes = 0, rotate_secs = 0, commit_every = 0;
  int writer_threads = 0; /* --threads; 0: the core count */
  bool keep_local = false, auto_commit = true, strict = false;
  prestige_sink_options_t so;
  prestige_sink_options_init(&so);
  prestige_error_t err;
  prestige_error_init(&err);
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *val = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(a, "--keep-local")) {
      keep_local = true;
      continue;
    }
    if (!strcmp(a, "--no-auto-commit")) {
      auto_commit = false;
      continue;
    }
    if (!strcmp(a, "--strict")) {
      strict = true;
      continue;
    }
    if (!val) return cli_usage_error(v, "%s needs a value", a);
    i++;
    if (!strcmp(a, "--name")) name = val;
    else if (!strcmp(a, "--dir")) dir = val;
    else if (!strcmp(a, "--upload")) upload = val;
    else if (!strcmp(a, "--schema")) schema = val;
    else if (!strcmp(a, "--format")) format = val;
    else if (!strcmp(a, "--metrics")) {
      char addr[64];
      uint16_t port;
      if (cli_metrics_parse(val, addr, sizeof addr, &port)) return cli_usage_error(v, "--metrics takes ADDR:PORT, not \"%s\"", val);
      metrics = val;
    }
    else if (!strcmp(a, "--max-rows")) {
      if (cli_opt_int(v, a, val, 0, INT64_MAX, &max_rows)) return CLI_USAGE_ERROR;
    } else if (!strcmp(a, "--max-bytes")) {
      if (cli_opt_int(v, a, val, 0, INT64_MAX, &max_bytes)) return CLI_USAGE_ERROR;
    } else if (!strcmp(a, "--rotate-secs")) {
      if (cli_opt_int(v, a, val, 0, INT64_MAX / 1000, &rotate_secs)) return CLI_USAGE_ERROR;
    } else if (!strcmp(a, "--commit-every")) {
      if (cli_opt_int(v, a, val, 0, INT64_MAX, &commit_every)) return CLI_USAGE_ERROR;
    } else if (!strcmp(a, "--compression")) {
      int codec, level;
      if (cli_opt_compression(v, a, val, &codec, &level)) return CLI_USAGE_ERROR;
      so.writer.compression = (prestige_compression_t)codec;
      so.writer.compression_level = level;
    } else if (!strcmp(a, "--threads")) {
      int64_t th;
      if (cli_opt_int(v, a, val, 1, PRESTIGE_PARQUET_WRITER_MAX_THREADS, &th)) return CLI_USAGE_ERROR;
      writer_threads = (int)th;
    } else {
      return cli_usage_error(v, "unknown option %s", a);
    }
  }
  if (!name || !dir) return cli_usage_error(v, "--name and --dir are required");
  if (writer_threads > 0) {
    so.writer.threads = writer_threads;
  } else { /* the core count */
    so.writer.threads = cli_core_count(PRESTIGE_PARQUET_WRITER_MAX_THREADS);
  }
  prestige_text_options_t to;
  prestige_text_options_init(&to);
  if (!strcasecmp(format, "jsonl") || !strcasecmp(format, "json")) to.format = PRESTIGE_TEXT_JSONL;
  else if (!strcasecmp(format, "csv")) to.format = PRESTIGE_TEXT_CSV;
  else if (!strcasecmp(format, "tsv")) to.format = PRESTIGE_TEXT_CSV, to.delimiter = '\t';
  else return cli_usage_error(v, "--format takes jsonl, csv or tsv");
  to.schema = schema;
  to.strict = strict;
  to.on_ignored = cli_text_ignored;
  to.user_data = (void *)"sink";
  if (schema) {
    struct ArrowSchema check;
    if (prestige_text_parse_schema(schema, &check, &err)) return cli_usage_error(v, "%s", err.message);
    prestige_schema_release(&check);
  }
  to.batch_rows = 65536;
  to.streaming = true; /* a batch as soon as the lines that arrived are read */

  prestige_store_t *store = NULL;
  prestige_file_upload_t *up = NULL;
  int rc = 0;
  if (metrics && cli_metrics_start("sink", metrics, &err)) return cli_fail("sink", &err);
  if (upload) {
    char *prefix = NULL;
    if (cli_is_s3(upload)) {
      rc = cli_split_s3(upload, &store, &prefix, &err);
    } else {
      rc = prestige_store_open_local(&store, cli_local_path(upload), &err);
      prefix = strdup("");
    }
    if (!rc) {
      size_t pl = strlen(prefix);
      char *kp = malloc(pl + 2);
      snprintf(kp, pl + 2, "%s%s", prefix, pl && prefix[pl - 1] != '/' ? "/" : "");
      prestige_upload_options_t uo;
      prestige_upload_options_init(&uo);
      uo.key_prefix = kp;
      uo.remove_local = !keep_local;
      uo.workers = 2;
      rc = prestige_file_upload_new(&up, store, &uo, &err);
      free(kp);
    }
    free(prefix);
    if (rc) {
      prestige_store_free(store);
      if (metrics) cli_metrics_stop();
      return cli_fail("sink", &err);
    }
  }
  prestige_text_reader_t *r = NULL;
  prestige_sink_t *sink = NULL;
  prestige_sink_client_t *c = NULL;
  prestige_shutdown_t *stop = prestige_shutdown_new();
  bool stopped = false;
  cli_signals_install();
  if (!stop) {
    rc = prestige_error_set(&err, PRESTIGE_ENOMEM, "out of memory");
    goto out;
  }
  if ((rc = prestige_text_reader_open(&r, "-", &to, &err))) goto out;
  so.name = name;
  so.dir = cli_local_path(dir);
  so.upload = up;
  so.max_rows = max_rows;
  so.max_size_bytes = max_bytes;
  so.rotation_interval_ms = rotate_secs * 1000;
  so.auto_commit = auto_commit;
  so.keep_local = keep_local;
  so.on_file = on_file;
  so.shutdown = stop;
  if ((rc = prestige_sink_open(&sink, &so, NULL, prestige_text_reader_schema(r), &err))) goto out;
  size_t moved = 0, deleted = 0;
  size_t recovered = prestige_sink_recovered_files(sink, &moved, &deleted);
  if (recovered || moved || deleted)
    fprintf(stderr, "prestige sink: recovered %zu finished files, moved %zu unfinished to .incomplete, deleted %zu\n",
            recovered, moved, deleted);
  int64_t restored_rows = 0;
  size_t restored = prestige_sink_restored_files(sink, &restored_rows);
  if (restored)
    fprintf(stderr, "prestige sink: restored %zu unfinished files at their last checkpoint (%lld rows)\n", restored,
            (long long)restored_rows);
  if ((rc = prestige_sink_start(sink, &err))) goto out;
  if (!(c = prestige_sink_client_new(sink))) {
    rc = prestige_error_set(&err, PRESTIGE_ENOMEM, "out of memory");
    goto out;
  }
  /* rotations that happened while the input was idle are reported within a fraction of a second */
  cli_batch_loop_t loop = {.every = commit_every, .write = loop_write, .point = loop_point, .after = loop_after, .ctx = c};
  rc = cli_batch_loop(r, &loop, &err);
  stopped = loop.stopped;
  if (!rc && !stopped) { /* the end of the input: a final commit finishes the file */
    prestige_sink_manifest_t m;
    rc = prestige_sink_commit(c, &m, &err);
    if (!rc) {
      print_manifest(&m);
      prestige_sink_manifest_release(&m);
    }
  }
out:
  if (c) prestige_sink_client_free(c, rc ? NULL : &err);
  if (sink) {
    prestige_error_t e2;
    prestige_error_init(&e2);
    prestige_sink_manifest_t fin;
    if (stopped) prestige_shutdown_trigger(stop); /* the sink's thread commits what it has and stops */
    int crc = prestige_sink_close(sink, stopped ? &fin : NULL, &e2);
    if (!rc && crc) {
      rc = crc;
      err = e2;
    }
    if (stopped && !crc) {
      print_manifest(&fin);
      prestige_sink_manifest_release(&fin);
    }
  }
  if (r) prestige_text_reader_close(r);
  if (up) {
    prestige_file_upload_shutdown(up, -1, NULL, NULL, NULL);
    prestige_file_upload_free(up);
  }
  prestige_store_free(store);
  if (metrics) cli_metrics_stop();
  prestige_shutdown_free(stop);
  if (!rc && stopped)
    fprintf(stderr, "prestige sink: stopped by %s after a final commit\n", cli_signal_received() == SIGINT ? "SIGINT" : "SIGTERM");
  if (rc == PRESTIGE_ECANCELED && cli_signal_received()) return cli_interrupted("sink", "before any input was read");
  return rc ? cli_fail("sink", &err) : CLI_OK;
}

CLI_VERB(sink, "sink", "stream JSON lines or CSV from stdin into rotating Parquet files", SINK_USAGE, run_sink)
