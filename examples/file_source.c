/*
 * The reference's file source example: stream Parquet files as Arrow record batches, from local
 * paths and from a bucket (list_files + source_s3_files), ordered and unordered.
 *
 *   let mut stream = file_source::source(paths, None, None);
 *   let metas = prestige::list_files(&client, "my-bucket", "sensor_data/", None, None);
 *   let mut stream = file_source::source_s3_files(&client, "my-bucket", metas, None, None);
 *
 * usage: file_source WORK_PATH   (bucket: $PRESTIGE_BUCKET or dirname(WORK_PATH)/source_bucket)
 */
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <prestige/prestige.h>

#define SENSOR_DATA(F) F(timestamp, U64) F(sensor_id, STRING) F(temperature, F32)
PRESTIGE_RECORD(sensor_data, SENSOR_DATA)

static int fail(const char *what, const prestige_error_t *err) {
  fprintf(stderr, "%s: %s\n", what, err->message);
  return 1;
}

static int64_t count_rows(struct ArrowArrayStream *s, const char *what) {
  int64_t rows = 0, batches = 0;
  struct ArrowArray b;
  while (s->get_next(s, &b) == 0 && b.release) {
    rows += b.length;
    batches++;
    b.release(&b); /* hand the batch to DuckDB, pyarrow or polars instead: no copy needed */
  }
  const char *e = s->get_last_error(s);
  if (e && *e) fprintf(stderr, "%s: %s\n", what, e);
  s->release(s);
  printf("%-28s %lld rows in %lld batches\n", what, (long long)rows, (long long)batches);
  return rows;
}

int main(int argc, char **argv) {
  char base[1024], dir[1100], bucket_dir[1100];
  snprintf(base, sizeof base, "%s", argc > 1 ? argv[1] : "./file_source");
  char *d = dirname(base);
  snprintf(dir, sizeof dir, "%s/source_data", d);
  snprintf(bucket_dir, sizeof bucket_dir, "%s/source_bucket", d);
  const char *bucket = getenv("PRESTIGE_BUCKET") ? getenv("PRESTIGE_BUCKET") : bucket_dir;
  prestige_error_t err;
  prestige_store_t *store, *local;
  if (prestige_store_open(&store, bucket, NULL, &err) || prestige_store_open_local(&local, dir, &err))
    return fail("stores", &err);
  /* some data: 4 files of 25000 SensorData rows, locally and in the bucket */
  sensor_data_t *rows = calloc(25000, sizeof *rows);
  char paths[4][1200];
  const char *path_ptrs[4];
  for (int f = 0; f < 4; f++) {
    for (int i = 0; i < 25000; i++)
      rows[i] = (sensor_data_t){.timestamp = 1700000000000ULL + (uint64_t)(f * 25000 + i),
                                .sensor_id = PRESTIGE_STR("sensor-1"), .temperature = 21.5f};
    snprintf(paths[f], sizeof paths[f], "%s/sensor_data.%d.parquet", dir, 1700000000 + f);
    path_ptrs[f] = paths[f];
    if (prestige_record_write_file(sensor_data_record(), paths[f], rows, 25000, NULL, &err)) return fail("write", &err);
    char key[64];
    snprintf(key, sizeof key, "sensor_data/sensor_data.%d.parquet", 1700000000 + f);
    if (prestige_store_put_file(store, key, paths[f], &err)) return fail("upload", &err);
  }
  free(rows);

  struct ArrowArrayStream s;
  if (prestige_source(&s, path_ptrs, 4, NULL, &err)) return fail("source", &err);
  int64_t a = count_rows(&s, "local files, in order");

  prestige_file_meta_t *metas;
  size_t n;
  if (prestige_list_files(store, "sensor_data/", INT64_MIN, INT64_MAX, &metas, &n, &err)) return fail("list_files", &err);
  if (prestige_source_s3_files(&s, store, metas, n, NULL, &err)) return fail("source_s3_files", &err);
  int64_t b = count_rows(&s, "bucket, in order");
  prestige_source_options_t o = PRESTIGE_SOURCE_OPTIONS_INIT;
  o.unordered = true; /* source_s3_files_unordered */
  const char *cols[] = {"temperature"};
  o.columns = cols;
  o.n_columns = 1;
  if (prestige_source_s3_files(&s, store, metas, n, &o, &err)) return fail("unordered", &err);
  int64_t c = count_rows(&s, "bucket, unordered, projected");
  prestige_file_metas_free(metas, n);
  prestige_store_free(store);
  prestige_store_free(local);
  return a == 100000 && b == 100000 && c == 100000 ? 0 : 1;
}
