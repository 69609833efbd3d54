/* prestige iceberg append: Parquet, CSV/TSV and JSON-lines inputs into a table, one commit. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "iceberg_cli.h"
#include "prestige/iceberg.h"
#include "prestige/io.h"
#include "prestige/parquet_reader.h"
#include "prestige/text.h"

#define APPEND_USAGE                                                                                          \
  "usage: prestige iceberg append NS.TABLE FILE...|- [--branch B] [--format jsonl|csv|tsv]\n"                 \
  "                               [--compression C[:LEVEL]] [--target-file-size BYTES]\n"                     \
  "                               [--summary K=V]... [--threads N] [catalog options]\n"                                    \
  "\n"                                                                                                        \
  "Appends the rows of every FILE (Parquet, CSV, TSV or JSON lines, by extension; a local path, file://\n"    \
  "or s3://) to the table in one commit, and prints\n"                                                        \
  "  {\"snapshot_id\":ID,\"files\":N,\"rows\":R,\"added_files\":N,\"added_records\":R}\n"                     \
  "(files: the data files written). '-' reads standard input (--format, default jsonl). Columns are\n"         \
  "matched to the table's by name, in any order; a missing optional column is null. Text is read with\n"     \
  "the table's types: in CSV an unquoted empty field is null and \"\" an empty string; timestamps are\n"    \
  "ISO 8601 (...Z or an offset) or integers in the column's unit. Nothing is committed when any input\n"    \
  "fails, or when SIGINT or SIGTERM arrives before the commit (the files written so far are deleted;\n"     \
  "the exit status is then 128 + the signal). A null in a required column is an error naming its line.\n"  \
  "  --branch B              commit to branch B (created from main when it does not exist)\n"              \
  "  --compression C[:L]     Parquet codec of the data files (default: write.parquet.compression-codec)\n"  \
  "  --target-file-size N    roll data files at N bytes (default: write.target-file-size-bytes)\n"         \
  "  --summary K=V           an extra snapshot summary property (repeatable)\n"                         \
  "  --threads N             encode each data file's columns on N threads (default: the number of\n"    \
  "                          cores); the files are the same bytes whatever N\n\n" CLI_ICEBERG_COMMON_USAGE

static int run_append(int argc, char **argv);
CLI_ICEBERG_VERB(append, "append", "append Parquet/CSV/JSON-lines files to a table (one commit)", APPEND_USAGE, run_append)

/* SIGINT or SIGTERM while the rows are written: nothing is committed, and freeing the append
 * deletes the data files written so far (a second signal ends the process at once). */
static int stop_requested(prestige_error_t *err) {
  return cli_signal_received() ? prestige_error_set(err, PRESTIGE_ECANCELED, "stopped by a signal") : 0;
}

/* The text schema ("name:type,...") of the table's columns among names (NULL: all), or NULL when
 * a column has a type text input cannot name (then types are inferred and converted). */
char *cli_ice_text_schema(const struct ArrowSchema *table, char **names, size_t n_names) {
  size_t cap = 256, len = 0;
  char *out = malloc(cap);
  if (!out) return NULL;
  out[0] = 0;
  for (int64_t i = 0; i < table->n_children; i++) {
    const struct ArrowSchema *c = table->children[i];
    if (names) {
      bool present = false;
      for (size_t k = 0; k < n_names && !present; k++) present = !strcmp(names[k], c->name);
      if (!present) continue;
    }
    const char *f = c->format;
    char t[64];
    if (!strcmp(f, "b")) snprintf(t, sizeof t, "bool");
    else if (!strcmp(f, "c")) snprintf(t, sizeof t, "int8");
    else if (!strcmp(f, "s")) snprintf(t, sizeof t, "int16");
    else if (!strcmp(f, "i")) snprintf(t, sizeof t, "int32");
    else if (!strcmp(f, "l")) snprintf(t, sizeof t, "int64");
    else if (!strcmp(f, "f")) snprintf(t, sizeof t, "float");
    else if (!strcmp(f, "g")) snprintf(t, sizeof t, "double");
    else if (!strcmp(f, "u") || !strcmp(f, "U")) snprintf(t, sizeof t, "string");
    else if (!strcmp(f, "z") || !strcmp(f, "Z")) snprintf(t, sizeof t, "binary");
    else if (!strcmp(f, "tdD")) snprintf(t, sizeof t, "date");
    else if (!strcmp(f, "ttu")) snprintf(t, sizeof t, "time");
    else if (!strncmp(f, "ts", 2) && strlen(f) >= 4 && f[3] == ':' && strchr("smun", f[2])) {
      const char *unit = f[2] == 's' ? "s" : f[2] == 'm' ? "ms" : f[2] == 'u' ? "us" : "ns";
      if (f[4]) snprintf(t, sizeof t, "timestamp(%s,UTC)", unit);
      else snprintf(t, sizeof t, "timestamp(%s)", unit);
    } else if (!strncmp(f, "d:", 2)) {
      int p, s;
      if (sscanf(f + 2, "%d,%d", &p, &s) != 2) goto give_up;
      snprintf(t, sizeof t, "decimal(%d,%d)", p, s);
    } else goto give_up;
    size_t need = len + strlen(c->name) + strlen(t) + 5;
    if (need > cap) {
      char *g = realloc(out, cap = need * 2);
      if (!g) goto give_up;
      out = g;
    }
    len += (size_t)sprintf(out + len, "%s%s:%s%s", len ? "," : "", c->name, t, (c->flags & ARROW_FLAG_NULLABLE) ? "" : "!");
    if (strchr(c->name, ',') || strchr(c->name, ':')) goto give_up;
  }
  if (!len) goto give_up;
  return out;
give_up:
  free(out);
  return NULL;
}

/* The header names of a local CSV/TSV file (simple quoting), or NULL. */
static char **csv_header(const char *path, char delim, size_t *n) {
  *n = 0;
  FILE *f = fopen(path, "r");
  if (!f) return NULL;
  char *line = NULL;
  size_t cap = 0;
  ssize_t len = getline(&line, &cap, f);
  fclose(f);
  if (len <= 0) {
    free(line);
    return NULL;
  }
  while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) line[--len] = 0;
  if (len >= 3 && !memcmp(line, "\xEF\xBB\xBF", 3)) { /* a UTF-8 byte order mark, skipped as the text reader does */
    memmove(line, line + 3, (size_t)len - 2);
    len -= 3;
  }
  char **names = calloc((size_t)len + 2, sizeof *names);
  char *cur = malloc((size_t)len + 1);
  size_t k = 0;
  bool q = false;
  for (ssize_t i = 0; names && cur && i <= len; i++) {
    char ch = i < len ? line[i] : delim;
    if (q) {
      if (ch == '"' && i + 1 < len && line[i + 1] == '"') cur[k++] = line[++i];
      else if (ch == '"') q = false;
      else cur[k++] = ch;
    } else if (ch == '"') q = true;
    else if (ch == delim) {
      cur[k] = 0;
      names[(*n)++] = strdup(cur);
      k = 0;
    } else cur[k++] = ch;
  }
  free(cur);
  free(line);
  return names;
}

static int write_text(prestige_iceberg_append_t *a, const char *file, prestige_text_format_t fmt, char delim,
                      const struct ArrowSchema *table, prestige_error_t *err) {
  prestige_text_options_t to;
  prestige_text_options_init(&to);
  to.format = fmt;
  if (fmt == PRESTIGE_TEXT_CSV) to.delimiter = delim;
  to.on_ignored = cli_text_ignored;
  to.user_data = (void *)"iceberg append";
  char *tmp = NULL;
  const char *path = strcmp(file, "-") ? cli_local_path(file) : "-";
  if (cli_is_s3(file)) {
    PRESTIGE_TRY(cli_fetch_to_temp(file, &tmp, err));
    path = tmp;
  }
  char **names = NULL;
  size_t n_names = 0;
  if (fmt == PRESTIGE_TEXT_CSV && strcmp(path, "-")) names = csv_header(path, to.delimiter, &n_names);
  char *spec = cli_ice_text_schema(table, names, n_names);
  for (size_t i = 0; i < n_names; i++) free(names[i]);
  free(names);
  to.schema = spec;
  prestige_text_reader_t *r = NULL;
  int rc = prestige_text_reader_open(&r, path, &to, err);
  const struct ArrowSchema *schema = rc ? NULL : prestige_text_reader_schema(r);
  while (!rc) {
    struct ArrowArray b;
    if ((rc = stop_requested(err))) break;
    if ((rc = prestige_text_reader_next(r, &b, err))) break;
    if (!b.release) break;
    rc = prestige_iceberg_append_write(a, &b, schema, err);
  }
  if (schema) prestige_text_reader_close(r);
  free(spec);
  if (tmp) {
    unlink(tmp);
    free(tmp);
  }
  return rc;
}

static int write_parquet(prestige_iceberg_append_t *a, const char *file, prestige_error_t *err) {
  prestige_input_t in;
  PRESTIGE_TRY(cli_open_input(file, &in, err));
  prestige_parquet_reader_t *r;
  PRESTIGE_TRY(prestige_parquet_reader_open(&r, &in, NULL, err));
  struct ArrowArrayStream st;
  int rc = prestige_parquet_reader_stream(r, &st, err); /* the stream owns the reader */
  if (rc) {
    prestige_parquet_reader_close(r);
    return rc;
  }
  struct ArrowSchema sc;
  memset(&sc, 0, sizeof sc);
  rc = st.get_schema(&st, &sc);
  if (rc) rc = prestige_error_set(err, rc, "%s", st.get_last_error(&st) ? st.get_last_error(&st) : "no schema");
  while (!rc && !(rc = stop_requested(err))) { /* batch by batch, so that a signal stops it */
    struct ArrowArray b;
    int ge = st.get_next(&st, &b);
    if (ge) rc = prestige_error_set(err, ge, "%s", st.get_last_error(&st) ? st.get_last_error(&st) : "reading failed");
    else if (!b.release) break;
    else rc = prestige_iceberg_append_write(a, &b, &sc, err);
  }
  if (sc.release) sc.release(&sc);
  st.release(&st);
  return rc;
}

static bool split_kv(char *arg, prestige_kv_t *kv) {
  char *eq = strchr(arg, '=');
  if (!eq || eq == arg) return false;
  *eq = 0;
  kv->key = arg;
  kv->value = eq + 1;
  kv->value_len = -1;
  return true;
}

static int run_append(int argc, char **argv) {
  const cli_ice_verb_t *v = &cli_ice_verb_append;
  cli_ice_opts_t o;
  if ((argc = cli_ice_common(v, argc, argv, &o)) < 0) return CLI_USAGE_ERROR;
  const char *ident = NULL, *format = NULL;
  prestige_iceberg_append_options_t ao = PRESTIGE_ICEBERG_APPEND_OPTIONS_INIT;
  char **files = calloc((size_t)argc, sizeof *files);
  prestige_kv_t *summary = calloc((size_t)argc, sizeof *summary);
  size_t n_files = 0;
  int rc = 0, threads = 0; /* --threads; 0: the core count */
  if (!files || !summary) rc = (fprintf(stderr, "prestige iceberg append: out of memory\n"), CLI_USER_ERROR);
  for (int i = 1; i < argc && !rc; i++) {
    bool missing = false;
    const char *val;
    if ((val = cli_ice_value(argc, argv, &i, "--branch", &missing))) ao.branch = val;
    else if (!missing && (val = cli_ice_value(argc, argv, &i, "--format", &missing))) format = val;
    else if (!missing && (val = cli_ice_value(argc, argv, &i, "--compression", &missing))) {
      cli_verb_t cv = {v->full, v->summary, v->usage, NULL, false};
      if (cli_opt_compression(&cv, "--compression", val, &ao.compression, &ao.compression_level)) rc = CLI_USAGE_ERROR;
    } else if (!missing && (val = cli_ice_value(argc, argv, &i, "--target-file-size", &missing))) {
      cli_verb_t cv = {v->full, v->summary, v->usage, NULL, false};
      if (cli_opt_int(&cv, "--target-file-size", val, 1, INT64_MAX, &ao.target_file_size_bytes)) rc = CLI_USAGE_ERROR;
    } else if (!missing && (val = cli_ice_value(argc, argv, &i, "--threads", &missing))) {
      cli_verb_t cv = {v->full, v->summary, v->usage, NULL, false};
      int64_t th;
      if (cli_opt_int(&cv, "--threads", val, 1, PRESTIGE_PARQUET_WRITER_MAX_THREADS, &th)) rc = CLI_USAGE_ERROR;
      else threads = (int)th;
    } else if (!missing && (val = cli_ice_value(argc, argv, &i, "--summary", &missing))) {
      if (!split_kv((char *)val, &summary[ao.n_summary])) rc = cli_ice_usage(v, "--summary takes K=V, not \"%s\"", val);
      else ao.n_summary++;
    } else if (missing) rc = cli_ice_usage(v, "%s needs a value", argv[i]);
    else if (argv[i][0] == '-' && argv[i][1]) rc = cli_ice_usage(v, "unknown option %s", argv[i]);
    else if (!ident) ident = argv[i];
    else files[n_files++] = argv[i];
  }
  if (!rc && !ident) rc = cli_ice_usage(v, "NS.TABLE is required");
  if (threads > 0) ao.threads = threads;
  else { /* the core count, as convert */
    ao.threads = cli_core_count(PRESTIGE_PARQUET_WRITER_MAX_THREADS);
  }
  if (!rc && !n_files) rc = cli_ice_usage(v, "give at least one FILE (or - for standard input)");
  prestige_text_format_t stdin_fmt = PRESTIGE_TEXT_JSONL;
  char stdin_delim = ',';
  if (!rc && format) {
    if (!strcmp(format, "jsonl")) stdin_fmt = PRESTIGE_TEXT_JSONL;
    else if (!strcmp(format, "csv")) stdin_fmt = PRESTIGE_TEXT_CSV;
    else if (!strcmp(format, "tsv")) {
      stdin_fmt = PRESTIGE_TEXT_CSV;
      stdin_delim = '\t';
    } else rc = cli_ice_usage(v, "--format takes jsonl, csv or tsv, not \"%s\"", format);
  }
  for (size_t i = 0; !rc && i < n_files; i++) {
    size_t n = strlen(files[i]);
    prestige_text_format_t f;
    char d;
    if (strcmp(files[i], "-") && !(n >= 8 && !strcasecmp(files[i] + n - 8, ".parquet")) &&
        prestige_text_format_from_path(files[i], &f, &d))
      rc = cli_ice_usage(v, "%s: not a .parquet, .csv, .tsv or .jsonl file", files[i]);
  }
  prestige_iceberg_catalog_t *cat = NULL;
  prestige_iceberg_table_t *t = NULL;
  if (!rc) rc = cli_ice_open_table(v, &o, ident, &cat, &t);
  prestige_error_t err;
  prestige_error_init(&err);
  prestige_iceberg_append_t *a = NULL;
  struct ArrowSchema table_schema;
  memset(&table_schema, 0, sizeof table_schema);
  int e = 0;
  if (!rc) e = prestige_iceberg_table_schema(t, &table_schema, &err);
  if (!rc && !e) e = prestige_iceberg_append_new(&a, t, &ao, &err);
  if (!rc && !e) cli_signals_install();
  for (size_t i = 0; !rc && !e && i < n_files; i++) {
    const char *file = files[i];
    size_t n = strlen(file);
    if (!strcmp(file, "-")) e = write_text(a, file, stdin_fmt, stdin_delim, &table_schema, &err);
    else if (n >= 8 && !strcasecmp(file + n - 8, ".parquet")) e = write_parquet(a, file, &err);
    else {
      prestige_text_format_t f;
      char d = ',';
      prestige_text_format_from_path(file, &f, &d);
      e = write_text(a, file, f, d, &table_schema, &err);
    }
    size_t fl = strlen(file); /* readers that name the file already are not prefixed again */
    if (e && err.code != PRESTIGE_ENOMEM && (strncmp(err.message, file, fl) != 0 || err.message[fl] != ':'))
      prestige_error_prefix(&err, "%s", file);
  }
  prestige_iceberg_append_result_t res;
  memset(&res, 0, sizeof res);
  if (!rc && !e) e = stop_requested(&err); /* the last moment to stop without a commit */
  if (!rc && !e) e = prestige_iceberg_append_commit(a, &res, &err);
  if (!rc && e == PRESTIGE_ECANCELED && cli_signal_received()) {
    prestige_iceberg_append_free(a); /* the files written are deleted before the message says so */
    a = NULL;
    rc = cli_interrupted("iceberg append", "nothing was committed and the data files written were deleted");
  } else if (!rc && e) rc = cli_ice_fail(v, &err);
  if (!rc)
    rc = cli_ice_print_json(json_pack("{s:I,s:I,s:I,s:I,s:I}", "snapshot_id", (json_int_t)res.snapshot_id, "files",
                                      (json_int_t)res.added_files, "rows", (json_int_t)res.added_records, "added_files",
                                      (json_int_t)res.added_files, "added_records", (json_int_t)res.added_records));
  prestige_iceberg_append_result_release(&res);
  prestige_iceberg_append_free(a);
  if (table_schema.release) table_schema.release(&table_schema);
  prestige_iceberg_table_free(t);
  prestige_iceberg_catalog_close(cat);
  free(files);
  free(summary);
  return rc;
}
