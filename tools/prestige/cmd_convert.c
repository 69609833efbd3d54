/* prestige convert IN OUT: CSV / JSON lines -> Parquet. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "format.h"
#include "core/json_text.h"
#include "prestige/parquet_reader.h"
#include "prestige/parquet_writer.h"
#include "prestige/text.h"

static const char USAGE[] =
    "usage: prestige convert IN OUT [options]\n"
    "\n"
    "Converts IN (.csv, .tsv, .jsonl/.ndjson/.json, or .parquet to rewrite with other options;\n"
    "- for standard input with --format) to OUT: .parquet, or .csv / .jsonl (rows as `prestige cat`\n"
    "prints them). Column types of text input are\n"
    "inferred from the first 10000 rows unless --schema gives them. OUT is written under a\n"
    "temporary name and renamed when complete, so nothing half-written is ever left under its name.\n"
    "\n"
    "  --compression C[:LEVEL]  none, snappy (default), gzip, brotli, zstd, lz4 (lz4_raw)\n"
    "  --row-group-rows N       rows per row group (default 1048576)\n"
    "  --row-group-bytes N      cut a row group at N bytes of encoded data too (default 128 MiB)\n"
    "  --page-bytes N           target data page size (default 1048576)\n"
    "  --dictionary on|off      dictionary encoding (default on)\n"
    "  --page-version 1|2       data page version (default 1)\n"
    "  --threads N              encode (and read Parquet input) on N threads (default: the number\n"
    "                           of cores); the output is the same bytes whatever N\n"
    "  --schema \"name:type,...\" explicit column types: bool, int8..int64, uint8..uint64, float,\n"
    "                           double, string, binary, date, time, timestamp[(unit[,tz])], decimal(p,s);\n"
    "                           a type ending in '!' is required (id:int64!): a row without it fails\n"
    "  --format csv|tsv|jsonl   input format when the extension does not say\n"
    "  --no-header              CSV without a header row (columns are column1, column2, ...)\n"
    "  --strict                 a JSON key or CSV column the schema lacks is an error (default:\n"
    "                           skipped, reported once on stderr)\n"
    "  --quiet                  no progress bar\n"
    "\n"
    "With --schema, CSV columns are matched by their header names (in any order). Text for string\n"
    "columns must be UTF-8 (declare a column binary to keep other bytes); timestamp columns take ISO\n"
    "8601 or an integer in the column's unit. Input errors name the line and column; the exit status\n"
    "is then 1.\n";

/* Where converted batches go: a Parquet writer, or CSV / JSON lines text. Written under a
 * temporary name and renamed into place by out_close. */
typedef struct out {
  const char *path;
  char tmp[4096];
  enum { OUT_PARQUET, OUT_CSV, OUT_JSONL } kind;
  prestige_parquet_writer_t *w;
  FILE *f;
  const struct ArrowSchema *schema;
  int64_t rows;
} out_t;

static int out_kind(const char *path, int *kind) {
  const char *dot = strrchr(path, '.');
  if (!dot) return -1;
  if (!strcasecmp(dot, ".parquet")) *kind = OUT_PARQUET;
  else if (!strcasecmp(dot, ".csv")) *kind = OUT_CSV;
  else if (!strcasecmp(dot, ".jsonl") || !strcasecmp(dot, ".ndjson") || !strcasecmp(dot, ".json")) *kind = OUT_JSONL;
  else return -1;
  return 0;
}

static int out_open(out_t *o, const char *path, int kind, const struct ArrowSchema *schema,
                    const prestige_parquet_writer_options_t *wo, prestige_error_t *err) {
  memset(o, 0, sizeof(*o));
  o->path = path;
  o->kind = kind;
  o->schema = schema;
  snprintf(o->tmp, sizeof(o->tmp), "%s.tmp-%d", path, (int)getpid());
  if (kind == OUT_PARQUET) return prestige_parquet_writer_open_file(&o->w, o->tmp, schema, wo, err);
  if (!(o->f = fopen(o->tmp, "w")))
    return prestige_error_set(err, PRESTIGE_EIO, "creating %s: %s", o->tmp, strerror(errno));
  if (kind == OUT_CSV) {
    for (int64_t c = 0; c < schema->n_children; c++) {
      if (c) fputc(',', o->f);
      json_t *name = json_string(schema->children[c]->name);
      cli_csv_field(o->f, name);
      json_decref(name);
    }
    fputc('\n', o->f);
  }
  return 0;
}

static int out_write(out_t *o, const struct ArrowArray *b, prestige_error_t *err) {
  o->rows += b->length;
  if (o->kind == OUT_PARQUET) return prestige_parquet_writer_write(o->w, b, err);
  for (int64_t i = 0; i < b->length; i++) {
    if (o->kind == OUT_CSV) {
      for (int64_t c = 0; c < b->n_children; c++) {
        if (c) fputc(',', o->f);
        cli_csv_value(o->f, b->children[c], o->schema->children[c], b->offset + i);
      }
      fputc('\n', o->f);
    } else {
      json_t *row = json_object();
      for (int64_t c = 0; c < b->n_children; c++)
        json_object_set_new(row, o->schema->children[c]->name, cli_json_value(b->children[c], o->schema->children[c], b->offset + i));
      char *line = json_text_shortest(row);
      if (line) fputs(line, o->f), fputc('\n', o->f);
      free(line);
      json_decref(row);
    }
  }
  if (ferror(o->f)) return prestige_error_set(err, errno == ENOSPC ? PRESTIGE_ENOSPC : PRESTIGE_EIO, "writing %s: %s", o->tmp, strerror(errno));
  return 0;
}

static void out_abort(out_t *o) {
  if (o->w) prestige_parquet_writer_abort(o->w);
  if (o->f) fclose(o->f);
  unlink(o->tmp);
}

static int out_close(out_t *o, bool quiet, prestige_error_t *err) {
  int rc = 0;
  prestige_parquet_file_summary_t sum = {0};
  if (o->kind == OUT_PARQUET) {
    rc = prestige_parquet_writer_close(o->w, &sum, err);
    o->w = NULL;
  } else {
    if (fflush(o->f) != 0 || fsync(fileno(o->f)) != 0)
      rc = prestige_error_set(err, errno == ENOSPC ? PRESTIGE_ENOSPC : PRESTIGE_EIO, "writing %s: %s", o->tmp, strerror(errno));
    if (fclose(o->f) != 0 && !rc) rc = prestige_error_set(err, PRESTIGE_EIO, "closing %s: %s", o->tmp, strerror(errno));
    o->f = NULL;
  }
  if (!rc && rename(o->tmp, o->path) != 0) rc = prestige_error_set(err, PRESTIGE_EIO, "renaming %s to %s: %s", o->tmp, o->path, strerror(errno));
  if (rc) {
    unlink(o->tmp);
    return rc;
  }
  if (!quiet) {
    if (o->kind == OUT_PARQUET)
      fprintf(stderr, "%s: %lld rows, %lld bytes, %lld row groups\n", o->path, (long long)sum.rows, (long long)sum.file_size,
              (long long)sum.row_groups);
    else fprintf(stderr, "%s: %lld rows\n", o->path, (long long)o->rows);
  }
  prestige_parquet_file_summary_release(&sum);
  return 0;
}

/* Parquet -> Parquet with the writer options given (codec, row groups, pages, dictionary). */
static int convert_parquet(const char *in, const char *outp, int kind, const prestige_parquet_writer_options_t *wo,
                           bool quiet) {
  prestige_error_t err;
  prestige_error_init(&err);
  struct ArrowArrayStream st;
  struct ArrowSchema schema;
  int orc = cli_open_parquet_stream("convert", in, NULL, 65536, NULL, NULL, &st, &schema);
  if (orc) return orc;
  out_t o;
  int rc = out_open(&o, outp, kind, &schema, wo, &err);
  cli_progress_t prog;
  cli_progress_init(&prog, quiet, 0);
  while (!rc) {
    struct ArrowArray b;
    if (cli_signal_received()) {
      rc = prestige_error_set(&err, PRESTIGE_ECANCELED, "interrupted");
      break;
    }
    if (st.get_next(&st, &b)) {
      rc = prestige_error_set(&err, PRESTIGE_ECORRUPT, "%s", st.get_last_error(&st));
      break;
    }
    if (!b.release) break;
    rc = out_write(&o, &b, &err);
    b.release(&b);
    cli_progress_update(&prog, o.rows, o.rows);
  }
  cli_progress_done(&prog);
  if (rc) out_abort(&o);
  else rc = out_close(&o, quiet, &err);
  prestige_schema_release(&schema);
  st.release(&st);
  if (rc == PRESTIGE_ECANCELED) return cli_interrupted("convert", "nothing was written");
  return rc ? cli_fail("convert", &err) : CLI_OK;
}

static int convert_local(int argc, char **argv) {
  const cli_verb_t *v = cli_find("convert");
  const char *in = NULL, *out = NULL, *schema = NULL, *format = NULL;
  bool quiet = false, header = true, strict = false, threads_set = false;
  prestige_parquet_writer_options_t wo;
  prestige_parquet_writer_options_init(&wo);
  prestige_error_t err;
  prestige_error_init(&err);
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *val = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(a, "--quiet")) quiet = true;
    else if (!strcmp(a, "--no-header")) header = false;
    else if (!strcmp(a, "--strict")) strict = true;
    else if (a[0] == '-' && a[1] == '-') {
      if (!val) return cli_usage_error(v, "%s needs a value", a);
      i++;
      if (!strcmp(a, "--compression")) {
        int codec, level;
        if (cli_opt_compression(v, a, val, &codec, &level)) return CLI_USAGE_ERROR;
        wo.compression = (prestige_compression_t)codec;
        wo.compression_level = level;
      } else if (!strcmp(a, "--row-group-rows")) {
        if (cli_opt_int(v, a, val, 1, INT64_MAX, &wo.row_group_rows)) return CLI_USAGE_ERROR;
      } else if (!strcmp(a, "--row-group-bytes")) {
        if (cli_opt_int(v, a, val, 1, INT64_MAX, &wo.row_group_bytes)) return CLI_USAGE_ERROR;
      } else if (!strcmp(a, "--page-bytes")) {
        if (cli_opt_int(v, a, val, 1, 1LL << 30, &wo.data_page_bytes)) return CLI_USAGE_ERROR;
      } else if (!strcmp(a, "--dictionary")) {
        if (strcmp(val, "on") && strcmp(val, "off")) return cli_usage_error(v, "--dictionary takes on or off");
        wo.dictionary = !strcmp(val, "on");
      } else if (!strcmp(a, "--page-version")) {
        int64_t pv;
        if (cli_opt_int(v, a, val, 1, 2, &pv)) return CLI_USAGE_ERROR;
        wo.data_page_version = (int)pv;
      } else if (!strcmp(a, "--threads")) {
        int64_t th;
        if (cli_opt_int(v, a, val, 1, PRESTIGE_PARQUET_WRITER_MAX_THREADS, &th)) return CLI_USAGE_ERROR;
        wo.threads = (int)th;
        cli_reader_threads = (int)th;
        threads_set = true;
      } else if (!strcmp(a, "--schema")) schema = val;
      else if (!strcmp(a, "--format")) format = val;
      else return cli_usage_error(v, "unknown option %s", a);
    } else if (!in) in = a;
    else if (!out) out = a;
    else return cli_usage_error(v, "too many arguments");
  }
  if (!in || !out) return cli_usage_error(v, "IN and OUT are required");
  if (!threads_set) { /* the core count */
    wo.threads = cli_core_count(PRESTIGE_PARQUET_WRITER_MAX_THREADS);
  }
  in = cli_local_path(in);
  out = cli_local_path(out);
  prestige_text_options_t to;
  prestige_text_options_init(&to);
  to.header = header;
  to.schema = schema;
  to.strict = strict;
  to.on_ignored = cli_text_ignored;
  to.user_data = (void *)"convert";
  if (format) {
    if (!strcasecmp(format, "csv")) to.format = PRESTIGE_TEXT_CSV;
    else if (!strcasecmp(format, "tsv")) to.format = PRESTIGE_TEXT_CSV, to.delimiter = '\t';
    else if (!strcasecmp(format, "jsonl") || !strcasecmp(format, "json")) to.format = PRESTIGE_TEXT_JSONL;
    else return cli_usage_error(v, "--format takes csv, tsv or jsonl");
  } else {
    const char *dot = strrchr(in, '.');
    if (dot && !strcasecmp(dot, ".parquet")) {
      if (schema) return cli_usage_error(v, "--schema applies to text input only");
      int k;
      if (out_kind(out, &k)) return cli_usage_error(v, "OUT must end in .parquet, .csv or .jsonl");
      return convert_parquet(in, out, k, &wo, quiet);
    }
    if (prestige_text_format_from_path(in, &to.format, &to.delimiter))
      return cli_usage_error(v, "cannot tell the format of %s from its name; use --format", in);
  }
  int kind;
  if (out_kind(out, &kind)) return cli_usage_error(v, "OUT must end in .parquet, .csv or .jsonl");
  if (schema) { /* a malformed --schema is a usage error, reported before any input is read */
    struct ArrowSchema check;
    if (prestige_text_parse_schema(schema, &check, &err)) return cli_usage_error(v, "%s", err.message);
    prestige_schema_release(&check);
  }

  struct stat st;
  int64_t total = (strcmp(in, "-") && stat(in, &st) == 0) ? (int64_t)st.st_size : 0;
  prestige_text_reader_t *r = NULL;
  if (prestige_text_reader_open(&r, in, &to, &err)) {
    if (cli_signal_received()) return cli_interrupted("convert", "nothing was written");
    return cli_fail("convert", &err);
  }
  out_t o;
  int rc = out_open(&o, out, kind, prestige_text_reader_schema(r), &wo, &err);
  cli_progress_t prog;
  cli_progress_init(&prog, quiet, total);
  while (!rc) {
    struct ArrowArray batch;
    if (cli_signal_received()) {
      rc = prestige_error_set(&err, PRESTIGE_ECANCELED, "interrupted");
      break;
    }
    /* short waits, so a signal is seen while a pipe or FIFO is idle */
    rc = prestige_text_reader_next_wait(r, &batch, 0, 200, &err);
    if (rc == PRESTIGE_ETIMEOUT) {
      rc = 0;
      continue;
    }
    if (rc || !batch.release) break;
    rc = out_write(&o, &batch, &err);
    batch.release(&batch);
    cli_progress_update(&prog, prestige_text_reader_rows(r), prestige_text_reader_bytes(r));
  }
  cli_progress_done(&prog);
  if (rc) out_abort(&o);
  else rc = out_close(&o, quiet, &err);
  prestige_text_reader_close(r);
  if (rc == PRESTIGE_ECANCELED) return cli_interrupted("convert", "nothing was written");
  return rc ? cli_fail("convert", &err) : CLI_OK;
}

/* s3:// arguments: a text input is downloaded to a temporary file first (Parquet inputs are read
 * with ranged GETs); an S3 output is written locally and uploaded once complete. */
static int run_convert(int argc, char **argv) {
  int pos[2] = {-1, -1}, np = 0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "--quiet") || !strcmp(a, "--no-header") || !strcmp(a, "--strict")) continue;
    if (a[0] == '-' && a[1] == '-') {
      i++;
      continue;
    }
    if (np < 2) pos[np] = i;
    np++;
  }
  cli_signals_install();
  if (np != 2 || (!cli_is_s3(argv[pos[0]]) && !cli_is_s3(argv[pos[1]]))) return convert_local(argc, argv);
  prestige_error_t err;
  prestige_error_init(&err);
  char *tmp_in = NULL, *tmp_out = NULL;
  const char *in = argv[pos[0]], *out = argv[pos[1]];
  const char *dot = strrchr(in, '.');
  int rc = CLI_OK;
  if (cli_is_s3(in) && !(dot && !strcasecmp(dot, ".parquet"))) {
    int frc = cli_fetch_to_temp(in, &tmp_in, &err);
    if (frc == PRESTIGE_ECANCELED) return cli_interrupted("convert", "nothing was written");
    if (frc) return cli_fail("convert", &err);
    argv[pos[0]] = tmp_in;
  }
  if (cli_is_s3(out)) {
    tmp_out = cli_temp_name(out, NULL);
    if (!tmp_out) {
      rc = cli_fail("convert", &(prestige_error_t){PRESTIGE_EIO, "cannot create a temporary file"});
      goto out;
    }
    argv[pos[1]] = tmp_out;
  }
  rc = convert_local(argc, argv);
  if (rc == CLI_OK && tmp_out) {
    int urc = cli_upload_file(tmp_out, out, &err);
    if (urc == PRESTIGE_ECANCELED) rc = cli_interrupted("convert", "the upload was aborted, nothing was written");
    else if (urc) rc = cli_fail("convert", &err);
  }
out:
  if (tmp_in) unlink(tmp_in);
  if (tmp_out) unlink(tmp_out);
  free(tmp_in);
  free(tmp_out);
  argv[pos[0]] = (char *)in;
  argv[pos[1]] = (char *)out;
  return rc;
}

CLI_VERB(convert, "convert", "convert CSV or JSON lines to Parquet", USAGE, run_convert)
