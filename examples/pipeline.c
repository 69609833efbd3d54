/*
 * A complete pipeline on prestige's pieces: a ParquetSink lands SensorData records as rotating
 * Parquet files, the FileUpload service puts them in the bucket, list_files finds them again by
 * the timestamps in their names, and each object is read back from the bucket with ranged reads
 * (footer, then only the projected column) to compute a summary.
 *
 * usage: pipeline WORK_PATH   (bucket: $PRESTIGE_BUCKET, an s3:// URL or a directory; default
 *        dirname(WORK_PATH)/pipeline_bucket)
 */
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <prestige/prestige.h>

#define SENSOR_DATA(F)   \
  F(timestamp, TIMESTAMP(MILLI, "UTC")) \
  F(sensor_id, STRING)   \
  F(temperature, F32)
PRESTIGE_RECORD(sensor_reading, SENSOR_DATA)

static int fail(const char *what, const prestige_error_t *err) {
  fprintf(stderr, "%s: %s\n", what, err->message);
  return 1;
}

int main(int argc, char **argv) {
  char base[1024], out_dir[1100], bucket_dir[1100];
  snprintf(base, sizeof base, "%s", argc > 1 ? argv[1] : "./pipeline");
  char *d = dirname(base);
  snprintf(out_dir, sizeof out_dir, "%s/pipeline_out", d);
  snprintf(bucket_dir, sizeof bucket_dir, "%s/pipeline_bucket", d);
  const char *bucket = getenv("PRESTIGE_BUCKET") ? getenv("PRESTIGE_BUCKET") : bucket_dir;
  prestige_error_t err;
  prestige_store_t *store;
  if (prestige_store_open(&store, bucket, NULL, &err)) return fail("bucket", &err);

  /* 1. land records */
  prestige_upload_options_t uo = PRESTIGE_UPLOAD_OPTIONS_INIT;
  uo.key_prefix = "pipeline/";
  uo.remove_local = true;
  prestige_file_upload_t *up;
  if (prestige_file_upload_new(&up, store, &uo, &err)) return fail("upload", &err);
  prestige_sink_options_t o = PRESTIGE_SINK_OPTIONS_INIT;
  o.name = "readings";
  o.dir = out_dir;
  o.upload = up;
  o.max_rows = 40000;
  o.writer.compression = PRESTIGE_COMPRESSION_ZSTD;
  prestige_sink_t *sink;
  if (prestige_sink_open(&sink, &o, sensor_reading_record(), NULL, &err) || prestige_sink_start(sink, &err))
    return fail("sink", &err);
  prestige_sink_client_t *c = prestige_sink_client_new(sink);
  char id[16];
  double expect_sum = 0;
  for (int i = 0; i < 100000; i++) {
    snprintf(id, sizeof id, "s-%02d", i % 25);
    sensor_reading_t r = {.timestamp = 1700000000000LL + i * 10, .sensor_id = {id, strlen(id)},
                          .temperature = (float)(i % 100) / 4.0f};
    expect_sum += r.temperature;
    if (prestige_sink_write(c, &r, &err)) return fail("write", &err);
  }
  prestige_sink_manifest_t m;
  if (prestige_sink_commit(c, &m, &err)) return fail("commit", &err);
  printf("1. sink: %lld rows committed in %zu files\n", (long long)m.rows, m.n_files);
  prestige_sink_manifest_release(&m);
  prestige_sink_client_free(c, NULL);
  if (prestige_sink_close(sink, NULL, &err)) return fail("close", &err);
  prestige_file_upload_free(up);

  /* 2. find the files by the timestamps in their names */
  prestige_file_meta_t *files;
  size_t n;
  if (prestige_list_files(store, "pipeline/", INT64_MIN, INT64_MAX, &files, &n, &err)) return fail("list_files", &err);
  printf("2. list_files: %zu files in %spipeline/\n", n, prestige_store_url(store));

  /* 3. read each object back: only the temperature column */
  double sum = 0;
  int64_t rows = 0;
  for (size_t i = 0; i < n; i++) {
    prestige_input_t in;
    if (prestige_store_open_input(store, files[i].key, files[i].size, &in, &err)) return fail("open", &err);
    prestige_parquet_reader_options_t ro = PRESTIGE_PARQUET_READER_OPTIONS_INIT;
    const char *cols[] = {"temperature"};
    ro.columns = cols;
    ro.n_columns = 1;
    prestige_parquet_reader_t *r;
    if (prestige_parquet_reader_open(&r, &in, &ro, &err)) return fail("reader", &err);
    struct ArrowArrayStream st;
    if (prestige_parquet_reader_stream(r, &st, &err)) return fail("stream", &err);
    struct ArrowArray b;
    while (st.get_next(&st, &b) == 0 && b.release) {
      /* a struct batch's offset applies to its children (the reader slices row groups without copying) */
      const float *t = (const float *)b.children[0]->buffers[1] + b.offset + b.children[0]->offset;
      for (int64_t k = 0; k < b.length; k++) sum += t[k];
      rows += b.length;
      b.release(&b);
    }
    st.release(&st);
  }
  printf("3. read back %lld rows from the bucket; average temperature %.4f (expected %.4f)\n", (long long)rows,
         sum / (double)rows, expect_sum / 100000);
  int ok = rows == 100000 && n == 3 && sum == expect_sum;
  prestige_file_metas_free(files, n);
  prestige_store_free(store);
  return ok ? 0 : 1;
}
