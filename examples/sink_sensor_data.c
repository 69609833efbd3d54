/*
 * The reference's ParquetSink example: SensorData records from a producer, batched (1000), rotated
 * after 100k rows (or every hour), finished files uploaded automatically, and a commit that
 * returns the manifest.
 *
 *   let (client, sink) = ParquetSinkBuilder::<SensorData>::new("sensor_data", output_dir,
 *       file_upload, "sensor_metrics").batch_size(1000).max_rows(100_000).rotation_interval(3600)
 *       .auto_commit(true).create().await?;
 *   client.write(sensor_data, &[]).await?;
 *   let manifest = client.commit().await?;
 *
 * usage: sink_sensor_data WORK_PATH     (files go to dirname(WORK_PATH)/sink_out; the bucket is
 *        $PRESTIGE_BUCKET, an s3://bucket/prefix URL or a directory, by default dirname/bucket)
 */
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <prestige/prestige.h>

#define SENSOR_DATA(F)   \
  F(timestamp, U64)      \
  F(sensor_id, STRING)   \
  F(temperature, F32)
PRESTIGE_RECORD(sensor_data, SENSOR_DATA)

static int fail(const char *what, const prestige_error_t *err) {
  fprintf(stderr, "%s: %s\n", what, err->message);
  return 1;
}

int main(int argc, char **argv) {
  char base[1024], out_dir[1100], bucket_dir[1100];
  snprintf(base, sizeof base, "%s", argc > 1 ? argv[1] : "./sink_sensor_data");
  char *d = dirname(base);
  snprintf(out_dir, sizeof out_dir, "%s/sink_out", d);
  snprintf(bucket_dir, sizeof bucket_dir, "%s/bucket", d);
  const char *bucket = getenv("PRESTIGE_BUCKET") ? getenv("PRESTIGE_BUCKET") : bucket_dir;

  prestige_error_t err;
  prestige_store_t *store;
  if (prestige_store_open(&store, bucket, NULL, &err)) return fail("opening the bucket", &err);
  prestige_upload_options_t uo = PRESTIGE_UPLOAD_OPTIONS_INIT;
  uo.key_prefix = "sensor_data/";
  uo.remove_local = true;
  prestige_file_upload_t *file_upload;
  if (prestige_file_upload_new(&file_upload, store, &uo, &err)) return fail("file upload", &err);

  prestige_sink_options_t o = PRESTIGE_SINK_OPTIONS_INIT;
  o.name = "sensor_data";
  o.dir = out_dir;
  o.upload = file_upload;
  o.metrics_label = "sensor_metrics";
  o.batch_size = 1000;
  o.max_rows = 100000;
  o.rotation_interval_ms = 3600 * 1000;
  o.auto_commit = true;
  prestige_sink_t *sink;
  if (prestige_sink_open(&sink, &o, sensor_data_record(), NULL, &err)) return fail("opening the sink", &err);
  if (prestige_sink_start(sink, &err)) return fail("starting the sink", &err);
  prestige_sink_client_t *client = prestige_sink_client_new(sink);

  char id[32];
  for (int i = 0; i < 250000; i++) {
    snprintf(id, sizeof id, "sensor-%03d", i % 100);
    sensor_data_t reading = {.timestamp = 1700000000000ULL + (uint64_t)i,
                             .sensor_id = {id, strlen(id)},
                             .temperature = 20.0f + (float)(i % 50) / 10.0f};
    if (prestige_sink_write(client, &reading, &err)) return fail("write", &err); /* copied: id may change */
  }
  prestige_sink_manifest_t manifest;
  if (prestige_sink_commit(client, &manifest, &err)) return fail("commit", &err);
  printf("committed %lld rows in %zu files:\n", (long long)manifest.rows, manifest.n_files);
  for (size_t i = 0; i < manifest.n_files; i++)
    printf("  %s%s  %lld rows  %lld bytes\n", prestige_store_url(store), manifest.files[i].key,
           (long long)manifest.files[i].rows, (long long)manifest.files[i].bytes);
  int ok = manifest.rows == 250000 && manifest.n_files == 3;
  prestige_sink_manifest_release(&manifest);
  prestige_sink_client_free(client, NULL);
  if (prestige_sink_close(sink, NULL, &err)) return fail("close", &err);
  prestige_file_upload_free(file_upload);
  prestige_store_free(store);
  return ok ? 0 : 1;
}
