/* prestige cat / prestige schema: a Parquet file's rows as JSON lines or CSV, and its Arrow schema. */
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "format.h"
#include "prestige/parquet_reader.h"

static const char CAT_USAGE[] =
    "usage: prestige cat FILE [--columns a,b] [--where FILTER] [--limit N] [--format jsonl|csv]\n"
    "\n"
    "Prints the rows of a Parquet file, one JSON object per line (default) or as CSV with a header.\n"
    "Dates, times and timestamps print as ISO 8601 (timestamps with a time zone end in Z), decimals\n"
    "exactly, binary as hexadecimal, lists as JSON arrays, structs and maps as JSON objects (in CSV,\n"
    "nested values are their JSON text). --where prints only rows matching FILTER (see\n"
    "`prestige scan --help`); row groups whose statistics rule it out are not read.\n";

static const char SCHEMA_USAGE[] =
    "usage: prestige schema FILE\n"
    "\n"
    "Prints the Arrow schema a Parquet file is read as: one line per field with its Arrow type,\n"
    "nullability and field id, nested fields indented.\n";

static int run_cat(int argc, char **argv) {
  const cli_verb_t *v = cli_find("cat");
  const char *file = NULL, *format = "jsonl", *where = NULL;
  char *cols = NULL;
  long long limit = -1;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--columns") && i + 1 < argc) cols = argv[++i];
    else if (!strcmp(argv[i], "--limit") && i + 1 < argc) limit = atoll(argv[++i]);
    else if (!strcmp(argv[i], "--format") && i + 1 < argc) format = argv[++i];
    else if (!strcmp(argv[i], "--where") && i + 1 < argc) where = argv[++i];
    else if (argv[i][0] == '-') return cli_usage_error(v, "unknown option or missing value: %s", argv[i]);
    else if (file) return cli_usage_error(v, "one FILE only");
    else file = argv[i];
  }
  if (!file) return cli_usage_error(v, "FILE is required");
  bool csv = !strcmp(format, "csv");
  if (!csv && strcmp(format, "jsonl")) return cli_usage_error(v, "--format takes jsonl or csv");
  prestige_predicate_t *filter = NULL;
  prestige_error_t perr;
  if (where && prestige_predicate_parse(where, &filter, &perr)) return cli_usage_error(v, "%s", perr.message);
  struct ArrowArrayStream st;
  struct ArrowSchema schema;
  int orc = cli_open_parquet_stream("cat", file, cols, 0, filter, NULL, &st, &schema);
  if (orc) {
    prestige_predicate_free(filter);
    return orc;
  }
  if (csv) {
    for (int64_t c = 0; c < schema.n_children; c++) {
      if (c) fputc(',', stdout);
      json_t *name = json_string(schema.children[c]->name);
      cli_csv_field(stdout, name);
      json_decref(name);
    }
    fputc('\n', stdout);
  }
  int rc = CLI_OK;
  long long printed = 0;
  while (limit < 0 || printed < limit) {
    struct ArrowArray b;
    if (st.get_next(&st, &b)) {
      fprintf(stderr, "prestige cat: %s\n", st.get_last_error(&st));
      rc = CLI_USER_ERROR;
      break;
    }
    if (!b.release) break;
    for (int64_t i = 0; i < b.length && (limit < 0 || printed < limit); i++) {
      if (filter && !prestige_predicate_match(filter, &schema, &b, i)) continue;
      printed++;
      if (csv) {
        for (int64_t c = 0; c < b.n_children; c++) {
          if (c) fputc(',', stdout);
          json_t *val = cli_json_value(b.children[c], schema.children[c], b.offset + i);
          cli_csv_field(stdout, val);
          json_decref(val);
        }
        fputc('\n', stdout);
      } else {
        json_t *row = json_object();
        for (int64_t c = 0; c < b.n_children; c++)
          json_object_set_new(row, schema.children[c]->name, cli_json_value(b.children[c], schema.children[c], b.offset + i));
        char *line = json_dumps(row, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17));
        if (line) puts(line);
        free(line);
        json_decref(row);
      }
    }
    b.release(&b);
  }
  prestige_predicate_free(filter);
  prestige_schema_release(&schema);
  st.release(&st);
  return rc;
}

static void print_field(const struct ArrowSchema *s, int depth) {
  prestige_arrow_type_info_t t;
  const char *tn = prestige_arrow_type_parse(s->format, &t, NULL) ? "?" : prestige_arrow_type_name(t.type);
  printf("%*s%s: %s (%s)%s", depth * 2, "", s->name ? s->name : "", tn, s->format,
         (s->flags & ARROW_FLAG_NULLABLE) ? "" : " not null");
  const char *id;
  int32_t len;
  if (prestige_metadata_get(s->metadata, "PARQUET:field_id", &id, &len)) printf(" [id %.*s]", (int)len, id);
  printf("\n");
  for (int64_t i = 0; i < s->n_children; i++) print_field(s->children[i], depth + 1);
}

static int run_schema(int argc, char **argv) {
  const cli_verb_t *v = cli_find("schema");
  if (argc != 2 || argv[1][0] == '-') return cli_usage_error(v, "FILE is required");
  prestige_error_t err;
  prestige_error_init(&err);
  prestige_parquet_reader_t *r;
  if (prestige_parquet_reader_open_file(&r, argv[1], NULL, &err)) return cli_fail("schema", &err);
  struct ArrowSchema s;
  int rc = prestige_parquet_reader_schema(r, &s, &err);
  prestige_parquet_reader_close(r);
  if (rc) return cli_fail("schema", &err);
  for (int64_t i = 0; i < s.n_children; i++) print_field(s.children[i], 0);
  prestige_schema_release(&s);
  return CLI_OK;
}

CLI_VERB(cat, "cat", "print a Parquet file's rows as JSON lines or CSV", CAT_USAGE, run_cat)
CLI_VERB(schema, "schema", "print the Arrow schema a Parquet file is read as", SCHEMA_USAGE, run_schema)
