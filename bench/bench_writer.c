/* Writer benchmark: encode + write Arrow batches already in memory to Parquet.
 * usage: bench_writer sensor|wide ROWS zstd|snappy OUT.parquet
 * Prints one JSON line: rows, seconds, rows_per_s, mb_per_s (of Arrow input), file_size, peak_rss_mb.
 * The data follows the same formulas as bench/duckdb_writer.mjs so both write identical tables. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "prestige/core.h"
#include "prestige/parquet_writer.h"

enum { BATCH = 65536 };

static void *alloc(size_t n) {
  void *p = prestige_buffer_alloc((int64_t)n);
  if (!p) {
    fprintf(stderr, "out of memory\n");
    exit(1);
  }
  return p;
}

static void sensor_schema(struct ArrowSchema *s) {
  prestige_error_t err;
  prestige_schema_init(s, "+s", "", 0, &err);
  prestige_schema_allocate_children(s, 3, &err);
  prestige_schema_init(s->children[0], "L", "timestamp", 0, &err);
  prestige_schema_init(s->children[1], "u", "sensor_id", 0, &err);
  prestige_schema_init(s->children[2], "f", "temperature", 0, &err);
}

/* rows [r0, r0+n) of SensorData */
static int64_t sensor_batch(struct ArrowArray *a, int64_t r0, int64_t n) {
  prestige_error_t err;
  prestige_array_init(a, 1, 3, &err);
  a->length = n;
  uint64_t *ts = alloc((size_t)n * 8);
  int32_t *off = alloc((size_t)(n + 1) * 4);
  char *data = alloc((size_t)n * 12);
  float *temp = alloc((size_t)n * 4);
  off[0] = 0;
  int64_t bytes = 0;
  for (int64_t k = 0; k < n; k++) {
    int64_t i = r0 + k;
    ts[k] = 1700000000000ULL + (uint64_t)i * 10;
    int len = snprintf(data + off[k], 13, "sensor-%04d", (int)((i * 7919) % 1000));
    off[k + 1] = off[k] + len;
    temp[k] = (float)((i * 37) % 4000) / 100.0f;
  }
  prestige_array_init(a->children[0], 2, 0, &err);
  prestige_array_init(a->children[1], 3, 0, &err);
  prestige_array_init(a->children[2], 2, 0, &err);
  a->children[0]->length = a->children[1]->length = a->children[2]->length = n;
  prestige_array_set_buffer(a->children[0], 1, ts);
  prestige_array_set_buffer(a->children[1], 1, off);
  prestige_array_set_buffer(a->children[1], 2, data);
  prestige_array_set_buffer(a->children[2], 1, temp);
  bytes = n * 8 + (n + 1) * 4 + off[n] + n * 4;
  return bytes;
}

/* wide: 20 columns: c0-c4 int64, c5-c9 double, c10-c14 string, c15-c17 int32, c18-c19 bool; 20% nulls */
static const char *WIDE_FMT[20] = {"l", "l", "l", "l", "l", "g", "g", "g", "g", "g",
                                   "u", "u", "u", "u", "u", "i", "i", "i", "b", "b"};
static void wide_schema(struct ArrowSchema *s) {
  prestige_error_t err;
  prestige_schema_init(s, "+s", "", 0, &err);
  prestige_schema_allocate_children(s, 20, &err);
  for (int c = 0; c < 20; c++) {
    char name[8];
    snprintf(name, sizeof(name), "c%d", c);
    prestige_schema_init(s->children[c], WIDE_FMT[c], name, ARROW_FLAG_NULLABLE, &err);
  }
}

static bool wide_null(int64_t i, int c) { return (i * 31 + c * 17) % 5 == 0; }

static int64_t wide_batch(struct ArrowArray *a, int64_t r0, int64_t n) {
  prestige_error_t err;
  prestige_array_init(a, 1, 20, &err);
  a->length = n;
  int64_t bytes = 0;
  for (int c = 0; c < 20; c++) {
    struct ArrowArray *col = a->children[c];
    bool str = c >= 10 && c < 15;
    prestige_array_init(col, str ? 3 : 2, 0, &err);
    col->length = n;
    uint8_t *valid = alloc((size_t)(n + 7) / 8);
    memset(valid, 0, (size_t)(n + 7) / 8);
    int64_t nulls = 0;
    for (int64_t k = 0; k < n; k++) {
      if (wide_null(r0 + k, c)) nulls++;
      else valid[k >> 3] |= (uint8_t)(1 << (k & 7));
    }
    col->null_count = nulls;
    prestige_array_set_buffer(col, 0, valid);
    if (c < 5) {
      int64_t *v = alloc((size_t)n * 8);
      for (int64_t k = 0; k < n; k++) v[k] = (r0 + k) * (c + 1) * 1000003LL % 1000000000000LL;
      prestige_array_set_buffer(col, 1, v);
      bytes += n * 8;
    } else if (c < 10) {
      double *v = alloc((size_t)n * 8);
      for (int64_t k = 0; k < n; k++) v[k] = (double)(r0 + k) * 0.001 * (c + 1);
      prestige_array_set_buffer(col, 1, v);
      bytes += n * 8;
    } else if (c < 15) {
      int32_t *off = alloc((size_t)(n + 1) * 4);
      char *data = alloc((size_t)n * 8);
      off[0] = 0;
      for (int64_t k = 0; k < n; k++) {
        int len = wide_null(r0 + k, c) ? 0 : snprintf(data + off[k], 8, "v%d", (int)(((r0 + k) * (c + 3)) % 5000));
        off[k + 1] = off[k] + len;
      }
      prestige_array_set_buffer(col, 1, off);
      prestige_array_set_buffer(col, 2, data);
      bytes += (n + 1) * 4 + off[n];
    } else if (c < 18) {
      int32_t *v = alloc((size_t)n * 4);
      for (int64_t k = 0; k < n; k++) v[k] = (int32_t)(((r0 + k) * (c + 7)) % 100000);
      prestige_array_set_buffer(col, 1, v);
      bytes += n * 4;
    } else {
      uint8_t *v = alloc((size_t)(n + 7) / 8);
      memset(v, 0, (size_t)(n + 7) / 8);
      for (int64_t k = 0; k < n; k++)
        if ((r0 + k + c) % 3 == 0) v[k >> 3] |= (uint8_t)(1 << (k & 7));
      prestige_array_set_buffer(col, 1, v);
      bytes += n / 8;
    }
  }
  return bytes;
}

int main(int argc, char **argv) {
  if (argc < 5) {
    fprintf(stderr, "usage: bench_writer sensor|wide ROWS zstd|snappy OUT\n");
    return 2;
  }
  bool wide = !strcmp(argv[1], "wide");
  int64_t rows = atoll(argv[2]);
  prestige_error_t err;
  prestige_parquet_writer_options_t o = PRESTIGE_PARQUET_WRITER_OPTIONS_INIT;
  if (prestige_compression_parse(argv[3], &o.compression, &err)) {
    fprintf(stderr, "%s\n", err.message);
    return 2;
  }
  /* same row group size as DuckDB's default, so both make the same number of row groups
   * (stream mode keeps prestige's default, the memory bound being the point there) */
  if (!(argc > 5 && !strcmp(argv[5], "stream"))) o.row_group_rows = 122880;
  if (getenv("THREADS")) o.threads = atoi(getenv("THREADS")); /* encoding threads (default 1) */
  struct ArrowSchema s;
  wide ? wide_schema(&s) : sensor_schema(&s);
  /* "stream" mode makes each batch just before writing it and frees it after: peak RSS then
   * shows the writer's own memory, which must not grow with the row count. */
  bool stream = argc > 5 && !strcmp(argv[5], "stream");
  if (stream) {
    prestige_parquet_writer_t *w;
    if (prestige_parquet_writer_open_file(&w, argv[4], &s, &o, &err)) return fprintf(stderr, "%s\n", err.message), 1;
    for (int64_t r = 0; r < rows; r += BATCH) {
      struct ArrowArray a;
      int64_t n = rows - r < BATCH ? rows - r : BATCH;
      wide ? wide_batch(&a, r, n) : sensor_batch(&a, r, n);
      if (prestige_parquet_writer_write(w, &a, &err)) return fprintf(stderr, "%s\n", err.message), 1;
      prestige_array_release(&a);
    }
    if (prestige_parquet_writer_close(w, NULL, &err)) return fprintf(stderr, "%s\n", err.message), 1;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("{\"rows\": %lld, \"peak_rss_mb\": %.1f}\n", (long long)rows, (double)ru.ru_maxrss / 1024.0);
    prestige_schema_release(&s);
    return 0;
  }
  /* the input is built before timing: the benchmark measures encoding and writing only */
  int64_t nb = (rows + BATCH - 1) / BATCH, in_bytes = 0;
  struct ArrowArray *batches = calloc((size_t)nb, sizeof(*batches));
  for (int64_t b = 0; b < nb; b++) {
    int64_t n = rows - b * BATCH < BATCH ? rows - b * BATCH : BATCH;
    in_bytes += wide ? wide_batch(&batches[b], b * BATCH, n) : sensor_batch(&batches[b], b * BATCH, n);
  }
  int64_t t0 = prestige_monotonic_ns();
  struct timespec c0, c1;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
  prestige_parquet_writer_t *w;
  if (prestige_parquet_writer_open_file(&w, argv[4], &s, &o, &err)) {
    fprintf(stderr, "%s\n", err.message);
    return 1;
  }
  for (int64_t b = 0; b < nb; b++) {
    if (prestige_parquet_writer_write(w, &batches[b], &err)) {
      fprintf(stderr, "%s\n", err.message);
      return 1;
    }
  }
  prestige_parquet_file_summary_t sum;
  if (prestige_parquet_writer_close(w, &sum, &err)) {
    fprintf(stderr, "%s\n", err.message);
    return 1;
  }
  double secs = (double)(prestige_monotonic_ns() - t0) / 1e9;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
  double cpu = (double)(c1.tv_sec - c0.tv_sec) + (double)(c1.tv_nsec - c0.tv_nsec) * 1e-9;
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  printf("{\"rows\": %lld, \"seconds\": %.3f, \"rows_per_s\": %.0f, \"mb_per_s\": %.1f, \"file_size\": %lld, "
         "\"input_mb\": %.1f, \"peak_rss_mb\": %.1f, \"cpu_s\": %.3f}\n",
         (long long)rows, secs, (double)rows / secs, (double)in_bytes / 1e6 / secs, (long long)sum.file_size,
         (double)in_bytes / 1e6, (double)ru.ru_maxrss / 1024.0, cpu);
  prestige_parquet_file_summary_release(&sum);
  for (int64_t b = 0; b < nb; b++) prestige_array_release(&batches[b]);
  free(batches);
  prestige_schema_release(&s);
  return 0;
}
