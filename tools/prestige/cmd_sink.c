/* prestige sink: JSON lines (or CSV) from standard input into a ParquetSink, as a log shipper. */
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"
#include "prestige/sink.h"
#include "prestige/store.h"
#include "prestige/text.h"
#include "prestige/upload.h"

#define SINK_USAGE                                                                                         \
  "usage: prestige sink --name NAME --dir DIR [--upload URL] [--schema SPEC] [--format jsonl|csv|tsv]\n"   \
  "                     [--max-rows N] [--max-bytes N] [--rotate-secs N] [--commit-every N]\n"           \
  "                     [--compression C] [--keep-local] [--no-auto-commit]\n"                           \
  "\n"                                                                                                     \
  "Reads records from standard input (JSON lines by default) into a ParquetSink writing\n"               \
  "DIR/NAME.<timestamp_ms>.parquet, rotating by rows (default 1000000), bytes and time, and uploading\n"  \
  "finished files to URL (s3://bucket/prefix or a local directory) when given. After every durable\n"   \
  "commit (every N input rows, whenever a file is finished, and at the end of the input) it prints the\n" \
  "commit's manifest as one JSON line on standard output: {\"files\":[...],\"rows\":R,\"input_rows\":T}\n" \
  "where T counts the input rows acknowledged so far (the first T rows of the input are durable). Restarted on the same DIR it first recovers\n"      \
  "what a crash left behind: unfinished files go to DIR/.incomplete/ (deleted with --no-auto-commit),\n" \
  "finished files are uploaded again. Without --schema the types are inferred from the first 10000\n"    \
  "rows (give --schema SPEC such as 'id:int64,ts:timestamp(ms,UTC),msg:string' to stream at once).\n"

static atomic_int file_finished;
static void on_file(void *ud, const prestige_sink_file_t *f) {
  (void)ud;
  (void)f;
  atomic_store(&file_finished, 1);
}

/* Rows of the input covered by files this process finished (recovered files are earlier input). */
static int64_t acked_rows;
static int print_manifest(prestige_sink_manifest_t *m, int64_t unused) {
  (void)unused;
  for (size_t i = 0; i < m->n_files; i++)
    if (!m->files[i].recovered) acked_rows += m->files[i].rows;
  int64_t input_rows = acked_rows;
  char *j = prestige_sink_manifest_json(m);
  if (!j) return -1;
  size_t n = strlen(j);
  /* append ,"input_rows":T before the closing brace */
  printf("%.*s,\"input_rows\":%lld}\n", (int)(n - 1), j, (long long)input_rows);
  free(j);
  return fflush(stdout);
}

static int run_sink(int argc, char **argv) {
  const cli_verb_t *v = cli_find("sink");
  const char *name = NULL, *dir = NULL, *upload = NULL, *schema = NULL, *format = "jsonl";
  int64_t max_rows = 1000000, max_bytes = 0, rotate_secs = 0, commit_every = 0;
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
    } else {
      return cli_usage_error(v, "unknown option %s", a);
    }
  }
  if (!name || !dir) return cli_usage_error(v, "--name and --dir are required");
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
  to.batch_rows = commit_every > 0 && commit_every < 65536 ? commit_every : 65536;
  if (schema && to.batch_rows > 4096 && commit_every == 0) to.batch_rows = 4096; /* stream promptly */

  prestige_store_t *store = NULL;
  prestige_file_upload_t *up = NULL;
  int rc = 0;
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
      return cli_fail("sink", &err);
    }
  }
  prestige_text_reader_t *r = NULL;
  prestige_sink_t *sink = NULL;
  prestige_sink_client_t *c = NULL;
  int64_t input_rows = 0, since_commit = 0;
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
  if ((rc = prestige_sink_open(&sink, &so, NULL, prestige_text_reader_schema(r), &err))) goto out;
  size_t moved = 0, deleted = 0;
  size_t recovered = prestige_sink_recovered_files(sink, &moved, &deleted);
  if (recovered || moved || deleted)
    fprintf(stderr, "prestige sink: recovered %zu finished files, moved %zu unfinished to .incomplete, deleted %zu\n",
            recovered, moved, deleted);
  if ((rc = prestige_sink_start(sink, &err))) goto out;
  if (!(c = prestige_sink_client_new(sink))) {
    rc = prestige_error_set(&err, PRESTIGE_ENOMEM, "out of memory");
    goto out;
  }
  for (;;) {
    struct ArrowArray b;
    if ((rc = prestige_text_reader_next(r, &b, &err))) break;
    if (!b.release) break;
    int64_t n = b.length;
    if ((rc = prestige_sink_write_batch(c, &b, &err))) break;
    input_rows += n;
    since_commit += n;
    bool full_commit = commit_every > 0 && since_commit >= commit_every;
    if (full_commit || atomic_exchange(&file_finished, 0)) {
      /* every N rows: a commit (finishes the current file); after a rotation: a checkpoint that makes
       * the finished files durable and uploaded without cutting the current one short */
      prestige_sink_manifest_t m;
      if ((rc = full_commit ? prestige_sink_commit(c, &m, &err) : prestige_sink_checkpoint(c, &m, &err))) break;
      atomic_store(&file_finished, 0);
      if (full_commit) since_commit = 0;
      int prc = print_manifest(&m, input_rows);
      prestige_sink_manifest_release(&m);
      if (prc) {
        rc = prestige_error_set(&err, PRESTIGE_EIO, "writing to standard output failed");
        break;
      }
    }
  }
  if (!rc) {
    prestige_sink_manifest_t m;
    rc = prestige_sink_commit(c, &m, &err);
    if (!rc) {
      print_manifest(&m, input_rows);
      prestige_sink_manifest_release(&m);
    }
  }
out:
  if (c) prestige_sink_client_free(c, rc ? NULL : &err);
  if (sink) {
    prestige_error_t e2;
    prestige_error_init(&e2);
    int crc = prestige_sink_close(sink, NULL, &e2);
    if (!rc && crc) {
      rc = crc;
      err = e2;
    }
  }
  if (r) prestige_text_reader_close(r);
  if (up) {
    prestige_file_upload_shutdown(up, -1, NULL, NULL, NULL);
    prestige_file_upload_free(up);
  }
  prestige_store_free(store);
  return rc ? cli_fail("sink", &err) : CLI_OK;
}

CLI_VERB(sink, "sink", "stream JSON lines or CSV from stdin into rotating Parquet files", SINK_USAGE, run_sink)
