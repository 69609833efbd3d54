/* prestige convert IN OUT: CSV / JSON lines -> Parquet. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "prestige/parquet_reader.h"
#include "prestige/parquet_writer.h"
#include "prestige/text.h"

static const char USAGE[] =
    "usage: prestige convert IN OUT [options]\n"
    "\n"
    "Converts IN (.csv, .tsv, .jsonl/.ndjson/.json, or .parquet to rewrite with other options;\n"
    "- for standard input with --format) to the Parquet file OUT. Column types of text input are\n"
    "inferred from the first 10000 rows unless --schema gives them. OUT is written under a\n"
    "temporary name and renamed when complete, so nothing half-written is ever left under its name.\n"
    "\n"
    "  --compression C[:LEVEL]  none, snappy (default), gzip, brotli, zstd, lz4 (lz4_raw)\n"
    "  --row-group-rows N       rows per row group (default 1048576)\n"
    "  --page-bytes N           target data page size (default 1048576)\n"
    "  --dictionary on|off      dictionary encoding (default on)\n"
    "  --page-version 1|2       data page version (default 1)\n"
    "  --schema \"name:type,...\" explicit column types: bool, int8..int64, uint8..uint64, float,\n"
    "                           double, string, binary, date, time, timestamp[(unit[,tz])], decimal(p,s)\n"
    "  --format csv|tsv|jsonl   input format when the extension does not say\n"
    "  --no-header              CSV without a header row (columns are column1, column2, ...)\n"
    "  --quiet                  no progress bar\n"
    "\n"
    "Input errors name the line and column; the exit status is then 1.\n";

static bool parse_int64_arg(const char *s, int64_t *v) {
  char *end;
  errno = 0;
  long long x = strtoll(s, &end, 10);
  if (errno || *end || x < 1) return false;
  *v = x;
  return true;
}

/* Parquet -> Parquet with the writer options given (codec, row groups, pages, dictionary). */
static int convert_parquet(const char *in, const char *out, const prestige_parquet_writer_options_t *wo, bool quiet) {
  prestige_error_t err;
  prestige_error_init(&err);
  prestige_parquet_reader_options_t ro;
  prestige_parquet_reader_options_init(&ro);
  ro.batch_rows = 65536;
  prestige_parquet_reader_t *r;
  if (prestige_parquet_reader_open_file(&r, in, &ro, &err)) return cli_fail("convert", &err);
  int64_t total_rows = prestige_parquet_reader_num_rows(r);
  struct ArrowArrayStream st;
  if (prestige_parquet_reader_stream(r, &st, &err)) return cli_fail("convert", &err);
  struct ArrowSchema schema;
  if (st.get_schema(&st, &schema)) {
    prestige_error_set(&err, PRESTIGE_EIO, "%s", st.get_last_error(&st));
    st.release(&st);
    return cli_fail("convert", &err);
  }
  char tmp[4096];
  snprintf(tmp, sizeof(tmp), "%s.tmp-%d", out, (int)getpid());
  prestige_parquet_writer_t *w = NULL;
  int rc = prestige_parquet_writer_open_file(&w, tmp, &schema, wo, &err);
  cli_progress_t prog;
  cli_progress_init(&prog, quiet, 0);
  int64_t rows = 0;
  while (!rc) {
    struct ArrowArray b;
    if (st.get_next(&st, &b)) {
      rc = prestige_error_set(&err, PRESTIGE_ECORRUPT, "%s", st.get_last_error(&st));
      break;
    }
    if (!b.release) break;
    rc = prestige_parquet_writer_write(w, &b, &err);
    rows += b.length;
    b.release(&b);
    cli_progress_update(&prog, rows, rows);
  }
  cli_progress_done(&prog);
  prestige_schema_release(&schema);
  st.release(&st);
  if (rc) {
    if (w) prestige_parquet_writer_abort(w);
    unlink(tmp);
    return cli_fail("convert", &err);
  }
  prestige_parquet_file_summary_t sum;
  rc = prestige_parquet_writer_close(w, &sum, &err);
  if (!rc && rename(tmp, out) != 0) {
    rc = prestige_error_set(&err, PRESTIGE_EIO, "renaming %s to %s: %s", tmp, out, strerror(errno));
    unlink(tmp);
  }
  if (rc) return cli_fail("convert", &err);
  if (!quiet) fprintf(stderr, "%s: %lld rows (of %lld), %lld bytes, %lld row groups\n", out, (long long)sum.rows,
                      (long long)total_rows, (long long)sum.file_size, (long long)sum.row_groups);
  prestige_parquet_file_summary_release(&sum);
  return CLI_OK;
}

static int run_convert(int argc, char **argv) {
  const cli_verb_t *v = cli_find("convert");
  const char *in = NULL, *out = NULL, *schema = NULL, *format = NULL;
  bool quiet = false, header = true;
  prestige_parquet_writer_options_t wo;
  prestige_parquet_writer_options_init(&wo);
  prestige_error_t err;
  prestige_error_init(&err);
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *val = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(a, "--quiet")) quiet = true;
    else if (!strcmp(a, "--no-header")) header = false;
    else if (a[0] == '-' && a[1] == '-') {
      if (!val) return cli_usage_error(v, "%s needs a value", a);
      i++;
      if (!strcmp(a, "--compression")) {
        char name[32];
        snprintf(name, sizeof(name), "%s", val);
        char *colon = strchr(name, ':');
        if (colon) {
          *colon = 0;
          char *end;
          long lvl = strtol(colon + 1, &end, 10);
          if (*end || colon[1] == 0) return cli_usage_error(v, "bad compression level in \"%s\"", val);
          wo.compression_level = (int)lvl;
        }
        prestige_compression_t c;
        if (prestige_compression_parse(name, &c, &err)) return cli_usage_error(v, "%s", err.message);
        wo.compression = c;
      } else if (!strcmp(a, "--row-group-rows")) {
        if (!parse_int64_arg(val, &wo.row_group_rows)) return cli_usage_error(v, "--row-group-rows needs a positive integer");
      } else if (!strcmp(a, "--page-bytes")) {
        if (!parse_int64_arg(val, &wo.data_page_bytes)) return cli_usage_error(v, "--page-bytes needs a positive integer");
      } else if (!strcmp(a, "--dictionary")) {
        if (strcmp(val, "on") && strcmp(val, "off")) return cli_usage_error(v, "--dictionary takes on or off");
        wo.dictionary = !strcmp(val, "on");
      } else if (!strcmp(a, "--page-version")) {
        if (strcmp(val, "1") && strcmp(val, "2")) return cli_usage_error(v, "--page-version takes 1 or 2");
        wo.data_page_version = atoi(val);
      } else if (!strcmp(a, "--schema")) schema = val;
      else if (!strcmp(a, "--format")) format = val;
      else return cli_usage_error(v, "unknown option %s", a);
    } else if (!in) in = a;
    else if (!out) out = a;
    else return cli_usage_error(v, "too many arguments");
  }
  if (!in || !out) return cli_usage_error(v, "IN and OUT are required");
  prestige_text_options_t to;
  prestige_text_options_init(&to);
  to.header = header;
  to.schema = schema;
  if (format) {
    if (!strcasecmp(format, "csv")) to.format = PRESTIGE_TEXT_CSV;
    else if (!strcasecmp(format, "tsv")) to.format = PRESTIGE_TEXT_CSV, to.delimiter = '\t';
    else if (!strcasecmp(format, "jsonl") || !strcasecmp(format, "json")) to.format = PRESTIGE_TEXT_JSONL;
    else return cli_usage_error(v, "--format takes csv, tsv or jsonl");
  } else {
    const char *dot = strrchr(in, '.');
    if (dot && !strcasecmp(dot, ".parquet")) {
      if (schema) return cli_usage_error(v, "--schema applies to text input only");
      return convert_parquet(in, out, &wo, quiet);
    }
    if (prestige_text_format_from_path(in, &to.format, &to.delimiter))
      return cli_usage_error(v, "cannot tell the format of %s from its name; use --format", in);
  }
  const char *odot = strrchr(out, '.');
  if (!odot || strcasecmp(odot, ".parquet")) return cli_usage_error(v, "OUT must be a .parquet file");

  struct stat st;
  int64_t total = (strcmp(in, "-") && stat(in, &st) == 0) ? (int64_t)st.st_size : 0;
  prestige_text_reader_t *r = NULL;
  if (prestige_text_reader_open(&r, in, &to, &err)) return cli_fail("convert", &err);
  char tmp[4096];
  snprintf(tmp, sizeof(tmp), "%s.tmp-%d", out, (int)getpid());
  prestige_parquet_writer_t *w = NULL;
  int rc = prestige_parquet_writer_open_file(&w, tmp, prestige_text_reader_schema(r), &wo, &err);
  cli_progress_t prog;
  cli_progress_init(&prog, quiet, total);
  while (!rc) {
    struct ArrowArray batch;
    rc = prestige_text_reader_next(r, &batch, &err);
    if (rc || !batch.release) break;
    rc = prestige_parquet_writer_write(w, &batch, &err);
    batch.release(&batch);
    cli_progress_update(&prog, prestige_text_reader_rows(r), prestige_text_reader_bytes(r));
  }
  cli_progress_done(&prog);
  if (rc) {
    if (w) prestige_parquet_writer_abort(w);
    prestige_text_reader_close(r);
    unlink(tmp);
    return cli_fail("convert", &err);
  }
  prestige_parquet_file_summary_t sum;
  rc = prestige_parquet_writer_close(w, &sum, &err);
  prestige_text_reader_close(r);
  if (!rc && rename(tmp, out) != 0) {
    rc = prestige_error_set(&err, PRESTIGE_EIO, "renaming %s to %s: %s", tmp, out, strerror(errno));
    unlink(tmp);
  }
  if (rc) return cli_fail("convert", &err);
  if (!quiet) fprintf(stderr, "%s: %lld rows, %lld bytes, %lld row groups\n", out, (long long)sum.rows,
                      (long long)sum.file_size, (long long)sum.row_groups);
  prestige_parquet_file_summary_release(&sum);
  return CLI_OK;
}

CLI_VERB(convert, "convert", "convert CSV or JSON lines to Parquet", USAGE, run_convert)
