/* Compaction benchmark (bench_compact.sh):
 *   bench_compact setup DIR FILE.parquet...   a table in a SQLite catalog under DIR, sorted by id,
 *                                             one append per file (so one data file each)
 *   bench_compact compact DIR TARGET_BYTES    times one compaction of the whole table
 * Prints JSON: seconds, cpu_seconds (user + system, every thread), files_read, files_written, rows_written, bytes_read, bytes_written. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "iceberg/table.h"
#include "iceberg/table_ops.h"
#include "prestige/iceberg_maintenance.h"
#include "prestige/parquet_reader.h"

static int open_cat(const char *dir, prestige_iceberg_catalog_t **cat, prestige_error_t *err) {
  char uri[4200], wh[4200];
  snprintf(uri, sizeof uri, "sqlite:%s/cat.db", dir);
  snprintf(wh, sizeof wh, "%s/wh", dir);
  prestige_iceberg_catalog_options_t o = PRESTIGE_ICEBERG_CATALOG_OPTIONS_INIT;
  o.uri = uri;
  o.warehouse = wh;
  return prestige_iceberg_catalog_open(cat, &o, err);
}

static int setup(const char *dir, char **files, int n, prestige_error_t *err) {
  prestige_iceberg_catalog_t *cat;
  PRESTIGE_TRY(open_cat(dir, &cat, err));
  int rc = prestige_iceberg_namespace_create(cat, "bench", NULL, 0, err);
  prestige_parquet_reader_t *r = NULL;
  struct ArrowSchema s;
  memset(&s, 0, sizeof s);
  if (!rc) rc = prestige_parquet_reader_open_file(&r, files[0], NULL, err);
  if (!rc) rc = prestige_parquet_reader_schema(r, &s, err);
  if (r) prestige_parquet_reader_close(r);
  prestige_iceberg_create_options_t co = PRESTIGE_ICEBERG_CREATE_OPTIONS_INIT;
  co.sort = "id";
  prestige_kv_t props[] = {{"write.parquet.compression-codec", "snappy", -1}};
  co.properties = props;
  co.n_properties = 1;
  prestige_iceberg_table_t *t = NULL;
  if (!rc) rc = prestige_iceberg_table_create(cat, "bench.t", &s, &co, &t, err);
  if (s.release) s.release(&s);
  for (int i = 0; i < n && !rc; i++) {
    ice_append_t *a;
    if ((rc = ice_append_new(&a, t->catalog, &t->ident, t->io, &t->loaded, NULL, err))) break;
    struct ArrowArrayStream st;
    rc = prestige_parquet_reader_open_file(&r, files[i], NULL, err);
    if (!rc) rc = prestige_parquet_reader_stream(r, &st, err);
    if (!rc) rc = ice_append_write_stream(a, &st, err);
    ice_commit_result_t res;
    ice_loaded_table_t cur;
    if (!rc) rc = ice_append_commit(a, &res, &cur, err);
    ice_append_free(a);
    if (!rc) {
      ice_commit_result_release(&res);
      rc = ice_table_replace(t, &cur, err);
      ice_loaded_table_release(&cur);
    }
  }
  if (t) prestige_iceberg_table_free(t);
  prestige_iceberg_catalog_close(cat);
  return rc;
}

static double cpu_seconds(void) {
  struct rusage u;
  getrusage(RUSAGE_SELF, &u);
  return (double)u.ru_utime.tv_sec + (double)u.ru_stime.tv_sec + (double)(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

static int compact(const char *dir, int64_t target, prestige_error_t *err) {
  prestige_iceberg_catalog_t *cat;
  PRESTIGE_TRY(open_cat(dir, &cat, err));
  prestige_iceberg_table_t *t = NULL;
  int rc = prestige_iceberg_table_load(cat, "bench.t", &t, err);
  prestige_iceberg_compact_options_t o = PRESTIGE_ICEBERG_COMPACT_OPTIONS_INIT;
  o.target_file_size_bytes = target;
  o.min_files = 2;
  o.compression = "snappy";
  o.max_group_bytes = INT64_MAX / 4; /* the whole table in one group: one sorted run, as DuckDB's ORDER BY */
  prestige_iceberg_compact_result_t r;
  int64_t t0 = prestige_monotonic_ns();
  double c0 = cpu_seconds();
  if (!rc) rc = prestige_iceberg_compact(t, &o, &r, err);
  double secs = (double)(prestige_monotonic_ns() - t0) / 1e9, cpu = cpu_seconds() - c0;
  if (!rc)
    printf("{\"seconds\":%.3f,\"cpu_seconds\":%.3f,\"files_read\":%lld,\"files_written\":%lld,\"rows_written\":%lld,\"bytes_read\":%lld,\"bytes_written\":%lld}\n",
           secs, cpu, (long long)r.files_read, (long long)r.files_written, (long long)r.rows_written, (long long)r.bytes_read,
           (long long)r.bytes_written);
  if (t) prestige_iceberg_table_free(t);
  prestige_iceberg_catalog_close(cat);
  return rc;
}

int main(int argc, char **argv) {
  prestige_error_t err;
  prestige_error_init(&err);
  int rc;
  if (argc >= 4 && !strcmp(argv[1], "setup")) rc = setup(argv[2], argv + 3, argc - 3, &err);
  else if (argc == 4 && !strcmp(argv[1], "compact")) rc = compact(argv[2], atoll(argv[3]), &err);
  else {
    fprintf(stderr, "usage: bench_compact setup DIR FILE... | compact DIR TARGET_BYTES\n");
    return 2;
  }
  if (rc) fprintf(stderr, "bench_compact: %s\n", err.message);
  return rc ? 1 : 0;
}
