/* The Iceberg benchmark's prestige side (bench/bench_iceberg.sh runs it next to DuckDB).
 * usage:
 *   bench_iceberg gen ROWS OUT.parquet
 *       SensorData rows (timestamp as timestamp(ms, UTC), sensor_id, temperature) as Parquet (zstd)
 *   bench_iceberg scan CATALOG_URI TABLE [REPS [FILES_IN_FLIGHT [THREADS]]]
 *       full scan through prestige_iceberg_scan, touching every value as DuckDB's query does
 *       (count, sum of timestamps, sum of sensor_id lengths, sum of temperatures); REPS scans
 *       (default 3) on one table handle; files_in_flight and threads default 1 (one decoding
 *       thread: the pairing for DuckDB threads=1)
 *       -> {"rows":..,"seconds":(median),"best_seconds":..,"first_seconds":..,"rows_per_s":(median),"files":..}
 *   bench_iceberg plan CATALOG_URI WAREHOUSE FILES MANIFESTS [REPS]
 *       a table of FILES data files in MANIFESTS manifests (entries only: planning reads
 *       manifests, never data files), then planning timed (best of REPS) with and without a
 *       filter that prunes by column bounds
 *       -> {"files":..,"manifests":..,"plan_ms":..,"plan_filtered_ms":..,"planned_filtered":..,"peak_rss_mb":..}
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "iceberg/table.h"
#include "iceberg/table_ops.h"
#include "prestige/prestige.h"

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, const prestige_error_t *err) {
  fprintf(stderr, "bench_iceberg: %s: %s\n", what, err ? err->message : "failed");
  exit(1);
}

static void sensor_schema(struct ArrowSchema *s) {
  prestige_error_t err;
  prestige_schema_init(s, "+s", "", 0, &err);
  prestige_schema_allocate_children(s, 3, &err);
  prestige_schema_init(s->children[0], "tsm:UTC", "timestamp", 0, &err);
  prestige_schema_init(s->children[1], "u", "sensor_id", 0, &err);
  prestige_schema_init(s->children[2], "f", "temperature", 0, &err);
}

static int gen(int64_t rows, const char *out) {
  prestige_error_t err;
  struct ArrowSchema s;
  sensor_schema(&s);
  prestige_parquet_writer_options_t wo;
  prestige_parquet_writer_options_init(&wo);
  wo.compression = PRESTIGE_COMPRESSION_ZSTD;
  prestige_parquet_writer_t *w;
  if (prestige_parquet_writer_open_file(&w, out, &s, &wo, &err)) die("open", &err);
  const int64_t B = 65536;
  prestige_array_builder_t *b;
  for (int64_t r0 = 0; r0 < rows; r0 += B) {
    int64_t n = rows - r0 < B ? rows - r0 : B;
    if (prestige_array_builder_new(&b, &s, &err)) die("builder", &err);
    for (int64_t k = 0; k < n; k++) {
      int64_t i = r0 + k;
      char id[16];
      int len = snprintf(id, sizeof id, "sensor-%04d", (int)((i * 7919) % 1000));
      prestige_array_builder_append_int(prestige_array_builder_child(b, 0), 1700000000000LL + i * 10, &err);
      prestige_array_builder_append_bytes(prestige_array_builder_child(b, 1), id, len, &err);
      prestige_array_builder_append_double(prestige_array_builder_child(b, 2), (double)((i * 37) % 4000) / 100.0, &err);
      prestige_array_builder_append_struct(b, &err);
    }
    struct ArrowArray a;
    if (prestige_array_builder_finish(b, &a, &err)) die("finish", &err);
    prestige_array_builder_free(b);
    if (prestige_parquet_writer_write(w, &a, &err)) die("write", &err);
    a.release(&a);
  }
  if (prestige_parquet_writer_close(w, NULL, &err)) die("close", &err);
  s.release(&s);
  return 0;
}

static prestige_iceberg_catalog_t *open_cat(const char *uri, const char *wh) {
  prestige_error_t err;
  prestige_iceberg_catalog_options_t co = PRESTIGE_ICEBERG_CATALOG_OPTIONS_INIT;
  co.uri = uri;
  co.warehouse = wh;
  prestige_iceberg_catalog_t *cat;
  if (prestige_iceberg_catalog_open(&cat, &co, &err)) die("catalog", &err);
  return cat;
}

/* minor page faults of the process so far (every thread) */
static long minor_faults(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_minflt;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* REPS full scans on one table handle (as DuckDB's side runs REPS queries on one connection):
 * the first (cold: fresh memory), the median and the best. files_in_flight and threads as in
 * prestige_iceberg_scan_options_t: files_in_flight 1 and threads 1 decode on one worker thread
 * (this thread only sums), the pairing for DuckDB threads=1. */
static int scan(const char *uri, const char *table, int reps, int in_flight, int threads) {
  prestige_error_t err;
  prestige_iceberg_catalog_t *cat = open_cat(uri, NULL);
  prestige_iceberg_table_t *t;
  if (prestige_iceberg_table_load(cat, table, &t, &err)) die("load", &err);
  if (reps < 1) reps = 1;
  double *times = calloc((size_t)reps, sizeof(double)), check = 0;
  long *faults = calloc((size_t)reps, sizeof(long));
  int64_t rows = 0, files = 0;
  for (int rep = 0; rep < reps; rep++) {
    long f0 = minor_faults();
    double t0 = now_s();
    prestige_iceberg_scan_options_t so = PRESTIGE_ICEBERG_SCAN_OPTIONS_INIT;
    so.batch_rows = 65536;
    so.files_in_flight = in_flight;
    so.threads = threads;
    prestige_iceberg_scan_stats_t st;
    struct ArrowArrayStream s;
    if (prestige_iceberg_scan(t, &so, &s, &st, &err)) die("scan", &err);
    rows = 0;
    double sum_ts = 0, sum_len = 0, sum_t = 0;
    for (;;) {
      struct ArrowArray b;
      if (s.get_next(&s, &b)) die(s.get_last_error(&s), NULL);
      if (!b.release) break;
      const int64_t *ts = b.children[0]->buffers[1];
      const int32_t *off = b.children[1]->buffers[1];
      const float *temp = b.children[2]->buffers[1];
      int64_t o0 = b.children[0]->offset, o1 = b.children[1]->offset, o2 = b.children[2]->offset;
      for (int64_t i = 0; i < b.length; i++) {
        sum_ts += (double)ts[o0 + i];
        sum_len += off[o1 + i + 1] - off[o1 + i];
        sum_t += temp[o2 + i];
      }
      rows += b.length;
      b.release(&b);
    }
    s.release(&s);
    files = st.files_read;
    check = sum_ts + sum_len + sum_t;
    times[rep] = now_s() - t0;
    faults[rep] = minor_faults() - f0;
  }
  double first = times[0];
  long faults_first = faults[0], faults_later = 0;
  for (int rep = 1; rep < reps; rep++) faults_later += faults[rep];
  if (reps > 1) faults_later /= reps - 1;
  qsort(times, (size_t)reps, sizeof(double), cmp_double);
  double med = times[reps / 2];
  printf("{\"rows\":%" PRId64 ",\"seconds\":%.4f,\"best_seconds\":%.4f,\"first_seconds\":%.4f,\"rows_per_s\":%.0f,"
         "\"files\":%" PRId64 ",\"files_in_flight\":%d,\"threads\":%d,\"page_faults_first\":%ld,"
         "\"page_faults_later\":%ld,\"check\":%.6g}\n",
         rows, med, times[0], first, (double)rows / med, files, in_flight, threads, faults_first, faults_later, check);
  free(times);
  free(faults);
  prestige_iceberg_table_free(t);
  prestige_iceberg_catalog_close(cat);
  return 0;
}

static long peak_rss_kb(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

static int plan(const char *uri, const char *wh, int64_t n_files, int64_t n_manifests, int reps) {
  prestige_error_t err;
  prestige_iceberg_catalog_t *cat = open_cat(uri, wh);
  prestige_iceberg_namespace_create(cat, "bench", NULL, 0, NULL);
  struct ArrowSchema s;
  if (prestige_text_parse_schema("id:int64,v:double", &s, &err)) die("schema", &err);
  prestige_kv_t props[] = {{.key = "commit.manifest-merge.enabled", .value = "false", .value_len = -1}};
  prestige_iceberg_create_options_t co = PRESTIGE_ICEBERG_CREATE_OPTIONS_INIT;
  co.properties = props;
  co.n_properties = 1;
  prestige_iceberg_table_t *t;
  prestige_iceberg_table_drop(cat, "bench.plan", true, NULL);
  if (prestige_iceberg_table_create(cat, "bench.plan", &s, &co, &t, &err)) die("create", &err);
  s.release(&s);
  /* n_manifests commits of n_files / n_manifests entries: file k holds ids [1000k, 1000k + 999] */
  int64_t per = n_files / n_manifests, k = 0;
  double tb = now_s();
  for (int64_t m = 0; m < n_manifests; m++) {
    ice_append_t *a;
    if (ice_append_new(&a, t->catalog, &t->ident, t->io, &t->loaded, NULL, &err)) die("append", &err);
    for (int64_t j = 0; j < per; j++, k++) {
      char path[600];
      snprintf(path, sizeof path, "%s/data/f-%08" PRId64 ".parquet", t->loaded.metadata->location, k);
      int64_t lo = k * 1000, hi = k * 1000 + 999;
      ice_id_bytes_t lower = {.id = 1, .data = (const uint8_t *)&lo, .len = 8};
      ice_id_bytes_t upper = {.id = 1, .data = (const uint8_t *)&hi, .len = 8};
      ice_id_count_t vc = {.id = 1, .value = 1000}, nc = {.id = 1, .value = 0};
      ice_data_file_t f;
      memset(&f, 0, sizeof f);
      f.content = ICE_CONTENT_DATA;
      f.file_path = path;
      f.file_format = "PARQUET";
      f.spec_id = 0;
      f.record_count = 1000;
      f.file_size_in_bytes = 20000;
      f.lower_bounds = (ice_bounds_t){&lower, 1, true};
      f.upper_bounds = (ice_bounds_t){&upper, 1, true};
      f.value_counts = (ice_counts_t){&vc, 1, true};
      f.null_value_counts = (ice_counts_t){&nc, 1, true};
      if (ice_append_add_file(a, &f, &err)) die("add file", &err);
    }
    ice_commit_result_t res;
    ice_loaded_table_t cur = {0};
    if (ice_append_commit(a, &res, &cur, &err)) die("commit", &err);
    ice_commit_result_release(&res);
    ice_table_replace(t, &cur, NULL);
    ice_loaded_table_release(&cur);
    ice_append_free(a);
  }
  double build_s = now_s() - tb;
  long rss0 = peak_rss_kb();
  double best = 1e99, best_f = 1e99;
  int64_t planned = 0, planned_f = 0, manifests = 0;
  for (int rep = 0; rep < reps; rep++) {
    for (int filtered = 0; filtered < 2; filtered++) {
      prestige_iceberg_scan_options_t so = PRESTIGE_ICEBERG_SCAN_OPTIONS_INIT;
      char where[64];
      snprintf(where, sizeof where, "id >= %" PRId64 " AND id < %" PRId64, n_files * 500, n_files * 500 + 5000);
      if (filtered) so.where = where;
      prestige_iceberg_scan_plan_t p;
      double t0 = now_s();
      if (prestige_iceberg_scan_plan(t, &so, &p, &err)) die("plan", &err);
      double el = now_s() - t0;
      if (filtered) {
        best_f = el < best_f ? el : best_f;
        planned_f = p.n_files;
      } else {
        best = el < best ? el : best;
        planned = p.n_files;
        manifests = p.stats.manifests;
      }
      prestige_iceberg_scan_plan_release(&p);
    }
  }
  printf("{\"files\":%" PRId64 ",\"manifests\":%" PRId64 ",\"build_s\":%.1f,\"plan_ms\":%.1f,\"plan_filtered_ms\":%.1f,"
         "\"planned_filtered\":%" PRId64 ",\"peak_rss_mb\":%.1f,\"rss_before_plan_mb\":%.1f}\n",
         planned, manifests, build_s, best * 1000, best_f * 1000, planned_f, (double)peak_rss_kb() / 1024, (double)rss0 / 1024);
  prestige_iceberg_table_free(t);
  prestige_iceberg_catalog_close(cat);
  return 0;
}

int main(int argc, char **argv) {
  if (argc >= 4 && !strcmp(argv[1], "gen")) return gen(atoll(argv[2]), argv[3]);
  if (argc >= 4 && !strcmp(argv[1], "scan"))
    return scan(argv[2], argv[3], argc > 4 ? atoi(argv[4]) : 3, argc > 5 ? atoi(argv[5]) : 1, argc > 6 ? atoi(argv[6]) : 1);
  if (argc >= 6 && !strcmp(argv[1], "plan"))
    return plan(argv[2], argv[3], atoll(argv[4]), atoll(argv[5]), argc > 6 ? atoi(argv[6]) : 3);
  fprintf(stderr, "usage: bench_iceberg gen ROWS OUT | scan URI TABLE [REPS [FILES_IN_FLIGHT [THREADS]]] | plan URI WAREHOUSE FILES MANIFESTS [REPS]\n");
  return 2;
}
