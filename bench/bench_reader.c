/* Full scan of a Parquet file into Arrow batches, in process, touching every value the way the
 * DuckDB side's query does: integers summed exactly, floating point summed as double, strings by
 * length, booleans counted. Times open + scan of the whole file (best of REPS runs).
 * With WHERE, the reader prunes by it (row groups and pages) and only the rows satisfying it are
 * counted and summed, as DuckDB's SELECT count(*), sum(..) ... WHERE does.
 * usage: [THREADS=n] bench_reader FILE [REPS] [BATCH_ROWS] [COLUMNS|-] [WHERE]
 *   THREADS: the reader's decoding threads (default 1)
 *   -> {"rows":..,"seconds":..,"best_seconds":..,"rows_per_s":..,"check":..} (seconds: the median run) */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <prestige/prestige.h>

static inline bool valid_at(const uint8_t *v, int64_t j) { return !v || ((v[j >> 3] >> (j & 7)) & 1); }

/* Sums one top-level column of a batch; returns a value folded into the run's check so the work
 * cannot be optimised away. */
static double column_sum(const struct ArrowArray *a, const struct ArrowSchema *s, int64_t off, int64_t len) {
  prestige_arrow_type_info_t t;
  if (prestige_arrow_type_parse(s->format, &t, NULL)) return 0;
  int64_t base = a->offset + off;
  const uint8_t *v = a->n_buffers > 0 ? a->buffers[0] : NULL;
  const void *d = a->n_buffers > 1 ? a->buffers[1] : NULL;
  if (!d) return 0;
  switch (t.type) {
    case PRESTIGE_ARROW_BOOL: {
      int64_t n = 0;
      for (int64_t j = base; j < base + len; j++) n += valid_at(v, j) && ((((const uint8_t *)d)[j >> 3] >> (j & 7)) & 1);
      return (double)n;
    }
    case PRESTIGE_ARROW_INT32: case PRESTIGE_ARROW_DATE32: case PRESTIGE_ARROW_UINT32: {
      const int32_t *x = d;
      int64_t sum = 0;
      if (!v) for (int64_t j = base; j < base + len; j++) sum += x[j];
      else for (int64_t j = base; j < base + len; j++) sum += valid_at(v, j) ? x[j] : 0;
      return (double)sum;
    }
    case PRESTIGE_ARROW_INT64: case PRESTIGE_ARROW_UINT64: case PRESTIGE_ARROW_TIMESTAMP: case PRESTIGE_ARROW_TIME64: {
      const int64_t *x = d;
      __int128 sum = 0;
      if (!v) for (int64_t j = base; j < base + len; j++) sum += x[j];
      else for (int64_t j = base; j < base + len; j++) sum += valid_at(v, j) ? x[j] : 0;
      return (double)sum;
    }
    case PRESTIGE_ARROW_FLOAT: {
      const float *x = d;
      double sum = 0;
      if (!v) for (int64_t j = base; j < base + len; j++) sum += x[j];
      else for (int64_t j = base; j < base + len; j++) sum += valid_at(v, j) ? x[j] : 0;
      return sum;
    }
    case PRESTIGE_ARROW_DOUBLE: {
      const double *x = d;
      double sum = 0;
      if (!v) for (int64_t j = base; j < base + len; j++) sum += x[j];
      else for (int64_t j = base; j < base + len; j++) sum += valid_at(v, j) ? x[j] : 0;
      return sum;
    }
    case PRESTIGE_ARROW_STRING: case PRESTIGE_ARROW_BINARY: {
      const int32_t *o = d;
      int64_t sum = 0;
      if (!v) sum = o[base + len] - o[base];
      else for (int64_t j = base; j < base + len; j++) sum += valid_at(v, j) ? o[j + 1] - o[j] : 0;
      return (double)sum;
    }
    case PRESTIGE_ARROW_LARGE_STRING: case PRESTIGE_ARROW_LARGE_BINARY: {
      const int64_t *o = d;
      int64_t sum = 0;
      for (int64_t j = base; j < base + len; j++) sum += valid_at(v, j) ? o[j + 1] - o[j] : 0;
      return (double)sum;
    }
    default: return 0;
  }
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: bench_reader FILE [REPS] [BATCH_ROWS] [COLUMN]\n");
    return 2;
  }
  int reps = argc > 2 ? atoi(argv[2]) : 3;
  prestige_parquet_reader_options_t o = PRESTIGE_PARQUET_READER_OPTIONS_INIT;
  if (argc > 3) o.batch_rows = atoll(argv[3]);
  if (getenv("THREADS")) o.threads = atoi(getenv("THREADS"));
  const char *cols[16];
  char colbuf[512] = "";
  if (argc > 4 && strcmp(argv[4], "-")) {
    snprintf(colbuf, sizeof colbuf, "%s", argv[4]);
    char *save = NULL;
    for (char *t = strtok_r(colbuf, ",", &save); t && o.n_columns < 16; t = strtok_r(NULL, ",", &save)) cols[o.n_columns++] = t;
    o.columns = cols;
  }
  prestige_predicate_t *filter = NULL;
  if (argc > 5) {
    prestige_error_t perr;
    if (prestige_predicate_parse(argv[5], &filter, &perr)) {
      fprintf(stderr, "bench_reader: %s\n", perr.message);
      return 2;
    }
    o.filter = filter;
  }
  double best = 1e30, check = 0, times[64];
  int n_times = 0;
  int64_t rows = 0;
  for (int r = 0; r < (reps < 1 ? 1 : reps); r++) {
    prestige_error_t err;
    int64_t t0 = prestige_monotonic_ns();
    prestige_parquet_reader_t *rd;
    if (prestige_parquet_reader_open_file(&rd, argv[1], &o, &err)) {
      fprintf(stderr, "bench_reader: %s\n", err.message);
      return 1;
    }
    struct ArrowArrayStream st;
    struct ArrowSchema schema;
    if (prestige_parquet_reader_schema(rd, &schema, &err) || prestige_parquet_reader_stream(rd, &st, &err)) {
      fprintf(stderr, "bench_reader: %s\n", err.message);
      return 1;
    }
    rows = 0;
    check = 0;
    struct ArrowArray b;
    while (st.get_next(&st, &b) == 0 && b.release) {
      rows += b.length; /* with a filter, the reader hands out only the matching rows */
      for (int64_t c = 0; c < b.n_children; c++) check += column_sum(b.children[c], schema.children[c], b.offset, b.length);
      b.release(&b);
    }
    const char *e = st.get_last_error(&st);
    if (e && *e) {
      fprintf(stderr, "bench_reader: %s\n", e);
      return 1;
    }
    st.release(&st);
    prestige_schema_release(&schema);
    double secs = (double)(prestige_monotonic_ns() - t0) / 1e9;
    if (secs < best) best = secs;
    if (n_times < 64) times[n_times++] = secs;
  }
  for (int i = 1; i < n_times; i++) /* median */
    for (int j = i; j > 0 && times[j] < times[j - 1]; j--) {
      double t = times[j];
      times[j] = times[j - 1];
      times[j - 1] = t;
    }
  double median = n_times ? times[n_times / 2] : best;
  prestige_predicate_free(filter);
  printf("{\"rows\":%" PRId64 ",\"seconds\":%.4f,\"best_seconds\":%.4f,\"rows_per_s\":%.0f,\"check\":%.6g}\n", rows, median,
         best, (double)rows / median, check);
  return 0;
}
