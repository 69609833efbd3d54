/* prestige cat / prestige schema: a Parquet file's rows as JSON lines or CSV, and its Arrow schema. */
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
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

static json_t *value(const struct ArrowArray *a, const struct ArrowSchema *s, int64_t i);

static json_t *ts_string(int64_t v, prestige_time_unit_t u, bool utc, bool date_only, bool time_only) {
  static const int64_t per_sec[] = {1, 1000, 1000000, 1000000000};
  int64_t ps = per_sec[u];
  int64_t secs = v / ps, frac = v % ps;
  if (frac < 0) frac += ps, secs--;
  char buf[64];
  if (time_only) {
    snprintf(buf, sizeof(buf), "%02" PRId64 ":%02" PRId64 ":%02" PRId64, secs / 3600, secs / 60 % 60, secs % 60);
  } else {
    time_t t = (time_t)secs;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, sizeof(buf), date_only ? "%Y-%m-%d" : "%Y-%m-%dT%H:%M:%S", &tm);
  }
  size_t n = strlen(buf);
  if (!date_only && u > 0) {
    static const int digits[] = {0, 3, 6, 9};
    snprintf(buf + n, sizeof(buf) - n, ".%0*" PRId64, digits[u], frac);
    n = strlen(buf);
  }
  if (utc && !time_only && !date_only) snprintf(buf + n, sizeof(buf) - n, "Z");
  return json_string(buf);
}

static json_t *decimal_string(const uint8_t *le, int scale) {
  char out[64];
  prestige_decimal128_format(le, scale, out, sizeof(out));
  return json_string(out);
}

static json_t *value(const struct ArrowArray *a, const struct ArrowSchema *s, int64_t i) {
  if (!prestige_array_is_valid(a, i)) return json_null();
  prestige_arrow_type_info_t t;
  if (prestige_arrow_type_parse(s->format, &t, NULL)) return json_null();
  int64_t j = a->offset + i;
  const uint8_t *v = a->n_buffers > 1 ? a->buffers[1] : NULL;
  switch (t.type) {
    case PRESTIGE_ARROW_NA: return json_null();
    case PRESTIGE_ARROW_BOOL: return json_boolean((v[j >> 3] >> (j & 7)) & 1);
    case PRESTIGE_ARROW_INT8: return json_integer(((const int8_t *)v)[j]);
    case PRESTIGE_ARROW_UINT8: return json_integer(((const uint8_t *)v)[j]);
    case PRESTIGE_ARROW_INT16: return json_integer(((const int16_t *)v)[j]);
    case PRESTIGE_ARROW_UINT16: return json_integer(((const uint16_t *)v)[j]);
    case PRESTIGE_ARROW_INT32: return json_integer(((const int32_t *)v)[j]);
    case PRESTIGE_ARROW_UINT32: return json_integer(((const uint32_t *)v)[j]);
    case PRESTIGE_ARROW_INT64: case PRESTIGE_ARROW_DURATION: return json_integer(((const int64_t *)v)[j]);
    case PRESTIGE_ARROW_UINT64: {
      uint64_t x = ((const uint64_t *)v)[j];
      if (x <= INT64_MAX) return json_integer((json_int_t)x);
      char b[32];
      snprintf(b, sizeof(b), "%" PRIu64, x);
      return json_string(b); /* beyond JSON's safe integers */
    }
    case PRESTIGE_ARROW_HALF_FLOAT: {
      uint16_t h = ((const uint16_t *)v)[j];
      int e = (h >> 10) & 0x1f, m = h & 0x3ff;
      double f = e == 0 ? ldexp(m, -24) : e == 31 ? (m ? NAN : INFINITY) : ldexp(m | 0x400, e - 25);
      f = (h & 0x8000) ? -f : f;
      return isfinite(f) ? json_real(f) : json_string(isnan(f) ? "NaN" : f > 0 ? "Infinity" : "-Infinity");
    }
    case PRESTIGE_ARROW_FLOAT: case PRESTIGE_ARROW_DOUBLE: {
      double f = t.type == PRESTIGE_ARROW_FLOAT ? ((const float *)v)[j] : ((const double *)v)[j];
      return isfinite(f) ? json_real(f) : json_string(isnan(f) ? "NaN" : f > 0 ? "Infinity" : "-Infinity");
    }
    case PRESTIGE_ARROW_STRING: case PRESTIGE_ARROW_LARGE_STRING: {
      int64_t st, en;
      if (t.type == PRESTIGE_ARROW_STRING) st = ((const int32_t *)v)[j], en = ((const int32_t *)v)[j + 1];
      else st = ((const int64_t *)v)[j], en = ((const int64_t *)v)[j + 1];
      json_t *r = json_stringn((const char *)a->buffers[2] + st, (size_t)(en - st));
      return r ? r : json_string("<invalid UTF-8>");
    }
    case PRESTIGE_ARROW_BINARY: case PRESTIGE_ARROW_LARGE_BINARY: case PRESTIGE_ARROW_FIXED_SIZE_BINARY: {
      const uint8_t *p;
      int64_t len;
      if (t.type == PRESTIGE_ARROW_FIXED_SIZE_BINARY) p = v + j * t.fixed_size, len = t.fixed_size;
      else if (t.type == PRESTIGE_ARROW_BINARY) {
        int32_t st = ((const int32_t *)v)[j];
        p = (const uint8_t *)a->buffers[2] + st, len = ((const int32_t *)v)[j + 1] - st;
      } else {
        int64_t st = ((const int64_t *)v)[j];
        p = (const uint8_t *)a->buffers[2] + st, len = ((const int64_t *)v)[j + 1] - st;
      }
      char *hex = malloc((size_t)len * 2 + 1);
      if (!hex) return json_null();
      for (int64_t k = 0; k < len; k++) snprintf(hex + 2 * k, 3, "%02x", p[k]);
      hex[len * 2] = 0;
      json_t *r = json_string(hex);
      free(hex);
      return r;
    }
    case PRESTIGE_ARROW_DECIMAL128: return decimal_string(v + j * 16, t.scale);
    case PRESTIGE_ARROW_DATE32: return ts_string((int64_t)((const int32_t *)v)[j] * 86400, PRESTIGE_TIME_UNIT_SECOND, false, true, false);
    case PRESTIGE_ARROW_DATE64: return ts_string(((const int64_t *)v)[j], PRESTIGE_TIME_UNIT_MILLI, false, true, false);
    case PRESTIGE_ARROW_TIME32: return ts_string(((const int32_t *)v)[j], t.unit, false, false, true);
    case PRESTIGE_ARROW_TIME64: return ts_string(((const int64_t *)v)[j], t.unit, false, false, true);
    case PRESTIGE_ARROW_TIMESTAMP: return ts_string(((const int64_t *)v)[j], t.unit, t.timezone[0] != 0, false, false);
    case PRESTIGE_ARROW_STRUCT: {
      json_t *o = json_object();
      for (int64_t c = 0; c < a->n_children; c++) json_object_set_new(o, s->children[c]->name, value(a->children[c], s->children[c], j));
      return o;
    }
    case PRESTIGE_ARROW_LIST: case PRESTIGE_ARROW_LARGE_LIST: case PRESTIGE_ARROW_MAP: {
      int64_t st, en;
      if (t.type == PRESTIGE_ARROW_LARGE_LIST) st = ((const int64_t *)v)[j], en = ((const int64_t *)v)[j + 1];
      else st = ((const int32_t *)v)[j], en = ((const int32_t *)v)[j + 1];
      if (t.type == PRESTIGE_ARROW_MAP) {
        json_t *o = json_object();
        const struct ArrowArray *e = a->children[0];
        const struct ArrowSchema *es = s->children[0];
        for (int64_t k = st; k < en; k++) {
          json_t *key = value(e->children[0], es->children[0], e->offset + k);
          char *ks = json_is_string(key) ? strdup(json_string_value(key)) : json_dumps(key, JSON_ENCODE_ANY | JSON_COMPACT);
          json_object_set_new(o, ks ? ks : "", value(e->children[1], es->children[1], e->offset + k));
          free(ks);
          json_decref(key);
        }
        return o;
      }
      json_t *arr = json_array();
      for (int64_t k = st; k < en; k++) json_array_append_new(arr, value(a->children[0], s->children[0], k));
      return arr;
    }
    default: return json_string("<unsupported type>");
  }
}

static void csv_field(FILE *out, json_t *v) {
  if (json_is_null(v)) return;
  char *text = json_is_string(v) ? strdup(json_string_value(v)) : json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
  if (!text) return;
  bool quote = strpbrk(text, ",\"\n\r") != NULL || text[0] == 0;
  if (!quote) {
    fputs(text, out);
  } else {
    fputc('"', out);
    for (char *p = text; *p; p++) {
      if (*p == '"') fputc('"', out);
      fputc(*p, out);
    }
    fputc('"', out);
  }
  free(text);
}

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
      csv_field(stdout, name);
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
          json_t *val = value(b.children[c], schema.children[c], b.offset + i);
          csv_field(stdout, val);
          json_decref(val);
        }
        fputc('\n', stdout);
      } else {
        json_t *row = json_object();
        for (int64_t c = 0; c < b.n_children; c++)
          json_object_set_new(row, schema.children[c]->name, value(b.children[c], schema.children[c], b.offset + i));
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
