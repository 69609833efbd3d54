/* prestige scan FILE: decode every selected value; print rows and per-column null counts and checksums. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "prestige/parquet_reader.h"

static const char USAGE[] =
    "usage: prestige scan FILE [--columns a,b] [--where FILTER] [--batch-rows N] [--threads N]\n"
    "\n"
    "Decodes every selected value into Arrow batches and prints one JSON object: the row count\n"
    "and, per top-level column, its null count and a checksum (the sum of numeric leaf values,\n"
    "the total byte length of string and binary values, summed over nested children). A tool for\n"
    "validating files and timing the reader without text formatting.\n"
    "\n"
    "  --where FILTER   count only rows matching FILTER: \"col op value\" terms joined by AND, OR,\n"
    "                   NOT and parentheses; ops = != <> < <= > >=, [NOT] IN (...), [NOT] BETWEEN\n"
    "                   a AND b, IS [NOT] NULL; col may be a path into structs (point.x) and need\n"
    "                   not be among --columns; values are numbers, 'strings', true/false, and\n"
    "                   'YYYY-MM-DD[ HH:MM:SS[.f]][Z|+HH:MM]' for dates, times and timestamps.\n"
    "                   Comparisons follow SQL (DuckDB): exact for integers and decimals, NULL\n"
    "                   is unknown, NaN is the greatest float. An unknown column or a value its\n"
    "                   column cannot hold is a usage error. Row groups whose statistics rule the\n"
    "                   filter out are not read, nor pages whose column index does\n"
    "                   (\"row_groups_pruned\", \"pages_pruned\", \"rows_pruned_by_pages\" and the\n"
    "                   rows read but not matching, \"rows_filtered\", in the output)\n"
    "  --threads N      decode the columns of row groups on N threads (default: the number of\n"
    "                   cores); the figures are the same for any N\n";

typedef struct acc {
  int64_t nulls;
  double sum;
} acc_t;

/* Sums one typed buffer over [base, base+len): the switch on the type sits outside the loop, and
 * the validity test only runs when the array has a validity buffer. */
#define SUM_LOOP(T, EXPR)                                                         \
  do {                                                                            \
    const T *x = (const T *)v;                                                    \
    if (!valid) {                                                                 \
      for (int64_t j = base; j < base + len; j++) { T val = x[j]; acc->sum += (EXPR); } \
    } else {                                                                      \
      for (int64_t j = base; j < base + len; j++)                                 \
        if ((valid[j >> 3] >> (j & 7)) & 1) { T val = x[j]; acc->sum += (EXPR); } \
    }                                                                             \
  } while (0)

static double half_to_double(uint16_t h) {
  int e = (h >> 10) & 0x1f, m = h & 0x3ff;
  double f = e == 0 ? ldexp(m, -24) : e == 31 ? (m ? NAN : INFINITY) : ldexp(m | 0x400, e - 25);
  if (isnan(f)) return 0;
  return (h & 0x8000) ? -f : f;
}

static void accumulate(const struct ArrowArray *a, const struct ArrowSchema *s, int64_t off, int64_t len, acc_t *acc,
                       bool top) {
  prestige_arrow_type_info_t t;
  if (prestige_arrow_type_parse(s->format, &t, NULL)) return;
  int64_t base = a->offset + off;
  const uint8_t *valid = a->n_buffers > 0 ? a->buffers[0] : NULL;
  if (top && valid)
    for (int64_t j = base; j < base + len; j++) acc->nulls += !((valid[j >> 3] >> (j & 7)) & 1);
  if (top && t.type == PRESTIGE_ARROW_NA) acc->nulls += len;
  const uint8_t *v = a->n_buffers > 1 ? a->buffers[1] : NULL;
  if (v && len > 0) {
    switch (t.type) {
      case PRESTIGE_ARROW_BOOL: {
        for (int64_t j = base; j < base + len; j++)
          if (!valid || ((valid[j >> 3] >> (j & 7)) & 1)) acc->sum += (v[j >> 3] >> (j & 7)) & 1;
        break;
      }
      case PRESTIGE_ARROW_INT8: SUM_LOOP(int8_t, val); break;
      case PRESTIGE_ARROW_UINT8: SUM_LOOP(uint8_t, val); break;
      case PRESTIGE_ARROW_INT16: SUM_LOOP(int16_t, val); break;
      case PRESTIGE_ARROW_UINT16: SUM_LOOP(uint16_t, val); break;
      case PRESTIGE_ARROW_INT32: case PRESTIGE_ARROW_DATE32: case PRESTIGE_ARROW_TIME32: SUM_LOOP(int32_t, val); break;
      case PRESTIGE_ARROW_UINT32: SUM_LOOP(uint32_t, val); break;
      case PRESTIGE_ARROW_INT64: case PRESTIGE_ARROW_TIME64: case PRESTIGE_ARROW_TIMESTAMP: case PRESTIGE_ARROW_DATE64:
      case PRESTIGE_ARROW_DURATION: SUM_LOOP(int64_t, (double)val); break;
      case PRESTIGE_ARROW_UINT64: SUM_LOOP(uint64_t, (double)val); break;
      case PRESTIGE_ARROW_HALF_FLOAT: SUM_LOOP(uint16_t, half_to_double(val)); break;
      case PRESTIGE_ARROW_FLOAT: SUM_LOOP(float, isnan(val) ? 0.0 : (double)val); break;
      case PRESTIGE_ARROW_DOUBLE: SUM_LOOP(double, isnan(val) ? 0.0 : val); break;
      case PRESTIGE_ARROW_STRING: case PRESTIGE_ARROW_BINARY: {
        const int32_t *o = (const int32_t *)v;
        if (!valid) {
          acc->sum += (double)((int64_t)o[base + len] - o[base]); /* lengths of a contiguous run add up */
        } else {
          for (int64_t j = base; j < base + len; j++)
            if ((valid[j >> 3] >> (j & 7)) & 1) acc->sum += o[j + 1] - o[j];
        }
        break;
      }
      case PRESTIGE_ARROW_LARGE_STRING: case PRESTIGE_ARROW_LARGE_BINARY: {
        const int64_t *o = (const int64_t *)v;
        if (!valid) {
          acc->sum += (double)(o[base + len] - o[base]);
        } else {
          for (int64_t j = base; j < base + len; j++)
            if ((valid[j >> 3] >> (j & 7)) & 1) acc->sum += (double)(o[j + 1] - o[j]);
        }
        break;
      }
      case PRESTIGE_ARROW_FIXED_SIZE_BINARY: {
        for (int64_t j = base; j < base + len; j++)
          if (!valid || ((valid[j >> 3] >> (j & 7)) & 1)) acc->sum += t.fixed_size;
        break;
      }
      case PRESTIGE_ARROW_DECIMAL128: {
        double scale = pow(10, t.scale);
        for (int64_t j = base; j < base + len; j++) {
          if (valid && !((valid[j >> 3] >> (j & 7)) & 1)) continue;
          __int128 x;
          memcpy(&x, v + j * 16, 16);
          acc->sum += (double)x / scale;
        }
        break;
      }
      default: break; /* nested: handled below */
    }
  }
  if (t.type == PRESTIGE_ARROW_STRUCT) {
    for (int64_t c = 0; c < a->n_children; c++) accumulate(a->children[c], s->children[c], base, len, acc, false);
  } else if ((t.type == PRESTIGE_ARROW_LIST || t.type == PRESTIGE_ARROW_MAP) && len > 0) {
    const int32_t *o = (const int32_t *)v;
    accumulate(a->children[0], s->children[0], o[base], o[base + len] - o[base], acc, false);
  } else if (t.type == PRESTIGE_ARROW_LARGE_LIST && len > 0) {
    const int64_t *o = (const int64_t *)v;
    accumulate(a->children[0], s->children[0], o[base], o[base + len] - o[base], acc, false);
  }
}

static int run_scan(int argc, char **argv) {
  const cli_verb_t *v = cli_find("scan");
  const char *file = NULL, *where = NULL;
  char *cols = NULL;
  prestige_parquet_reader_options_t o;
  prestige_parquet_reader_options_init(&o);
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--columns") && i + 1 < argc) cols = argv[++i];
    else if (!strcmp(argv[i], "--batch-rows") && i + 1 < argc) {
      if (cli_opt_int(v, argv[i], argv[i + 1], 1, INT32_MAX, &o.batch_rows)) return CLI_USAGE_ERROR;
      i++;
    }
    else if (!strcmp(argv[i], "--where") && i + 1 < argc) where = argv[++i];
    else if (!strcmp(argv[i], "--threads") && i + 1 < argc) {
      int64_t th;
      if (cli_opt_int(v, argv[i], argv[i + 1], 1, 256, &th)) return CLI_USAGE_ERROR;
      cli_reader_threads = (int)th;
      i++;
    }
    else if (argv[i][0] == '-') return cli_usage_error(v, "unknown option %s", argv[i]);
    else if (file) return cli_usage_error(v, "one FILE only");
    else file = argv[i];
  }
  if (!file) return cli_usage_error(v, "FILE is required");
  if (o.batch_rows < 1) return cli_usage_error(v, "--batch-rows must be positive");
  prestige_predicate_t *filter = NULL;
  prestige_error_t perr;
  if (where && prestige_predicate_parse(where, &filter, &perr)) return cli_usage_error(v, "%s", perr.message);
  struct ArrowArrayStream st;
  struct ArrowSchema schema;
  prestige_parquet_reader_t *rd = NULL;
  int orc = cli_open_parquet_stream("scan", file, cols, o.batch_rows, filter, &rd, &st, &schema);
  if (orc) {
    prestige_predicate_free(filter);
    return orc;
  }
  acc_t *acc = calloc((size_t)(schema.n_children ? schema.n_children : 1), sizeof(acc_t));
  int64_t rows = 0;
  int rc = CLI_OK;
  for (;;) {
    struct ArrowArray b;
    if (st.get_next(&st, &b)) {
      fprintf(stderr, "prestige scan: %s\n", st.get_last_error(&st));
      rc = CLI_USER_ERROR;
      break;
    }
    if (!b.release) break;
    rows += b.length; /* the reader hands out only the rows matching the filter */
    for (int64_t c = 0; c < b.n_children; c++) accumulate(b.children[c], schema.children[c], b.offset, b.length, &acc[c], true);
    b.release(&b);
  }
  if (rc == CLI_OK) {
    json_t *out = json_object(), *jc = json_object();
    json_object_set_new(out, "rows", json_integer(rows));
    if (filter) {
      json_object_set_new(out, "row_groups_pruned", json_integer(prestige_parquet_reader_pruned_row_groups(rd)));
      json_object_set_new(out, "pages_pruned", json_integer(prestige_parquet_reader_pruned_pages(rd)));
      json_object_set_new(out, "rows_pruned_by_pages", json_integer(prestige_parquet_reader_pruned_rows(rd)));
      json_object_set_new(out, "rows_filtered", json_integer(prestige_parquet_reader_filtered_rows(rd)));
    }
    for (int64_t c = 0; c < schema.n_children; c++) {
      json_t *o1 = json_object();
      json_object_set_new(o1, "nulls", json_integer(acc[c].nulls));
      json_object_set_new(o1, "checksum", isfinite(acc[c].sum) ? json_real(acc[c].sum)
                                                                : json_string(isnan(acc[c].sum) ? "nan" : acc[c].sum > 0 ? "inf" : "-inf"));
      json_object_set_new(jc, schema.children[c]->name, o1);
    }
    json_object_set_new(out, "columns", jc);
    char *s = json_dumps(out, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15));
    puts(s);
    free(s);
    json_decref(out);
  }
  free(acc);
  prestige_predicate_free(filter);
  prestige_schema_release(&schema);
  st.release(&st);
  return rc;
}

CLI_VERB(scan, "scan", "decode a Parquet file and print row, null and checksum counts as JSON", USAGE, run_scan)
