/*
 * The reference's file poller example: watch a bucket for new sensor_data files with a 24-hour
 * lookback and a state store, and receive each new file once.
 *
 *   let config = FilePollerConfigBuilder::default().bucket("my-bucket").file_type("sensor_data/")
 *       .poll_interval(Duration::seconds(60)).lookback(LookbackBehavior::from_duration(Duration::hours(24)))
 *       .build()?;
 *   let (poller, mut file_stream) = FilePollerServer::new(config, state_store).await?;
 *   while let Some(file_meta) = file_stream.recv().await { println!("New file: {}", file_meta.key); }
 *
 * usage: file_poller WORK_PATH   (bucket: $PRESTIGE_BUCKET or dirname(WORK_PATH)/poller_bucket;
 *        state: SQLite at dirname(WORK_PATH)/poller_state.db)
 */
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <prestige/prestige.h>

static int fail(const char *what, const prestige_error_t *err) {
  fprintf(stderr, "%s: %s\n", what, err->message);
  return 1;
}

int main(int argc, char **argv) {
  char base[1024], bucket_dir[1100], state_spec[1200];
  snprintf(base, sizeof base, "%s", argc > 1 ? argv[1] : "./file_poller");
  char *d = dirname(base);
  snprintf(bucket_dir, sizeof bucket_dir, "%s/poller_bucket", d);
  snprintf(state_spec, sizeof state_spec, "sqlite:%s/poller_state.db", d);
  const char *bucket = getenv("PRESTIGE_BUCKET") ? getenv("PRESTIGE_BUCKET") : bucket_dir;
  prestige_error_t err;
  prestige_store_t *store;
  prestige_state_store_t *state;
  if (prestige_store_open(&store, bucket, NULL, &err)) return fail("bucket", &err);
  if (prestige_state_store_open(&state, state_spec, &err)) return fail("state store", &err);

  prestige_poller_config_t c = PRESTIGE_POLLER_CONFIG_INIT;
  c.store = store;
  c.file_type = "sensor_data/";
  c.poll_interval_ms = 200; /* the reference polls every 60 s; faster for the example */
  c.lookback = PRESTIGE_LOOKBACK_DURATION;
  c.lookback_ms = 24LL * 3600 * 1000;
  c.process_name = "example";
  prestige_poller_t *poller;
  if (prestige_poller_start(&poller, &c, state, &err)) return fail("poller", &err);

  /* files appear while the poller runs (as a sink would write them) */
  int64_t now = prestige_now_ms();
  for (int i = 0; i < 3; i++) {
    char key[96];
    snprintf(key, sizeof key, "sensor_data/sensor_data.%lld.parquet", (long long)(now + i));
    if (prestige_store_put(store, key, "PAR1", 4, &err)) return fail("put", &err);
  }
  int seen = 0;
  prestige_file_meta_t f;
  while (seen < 3 && prestige_poller_next(poller, &f, 60000, &err) == 0) { /* returns as soon as one is due */
    printf("New file: %s (%llu bytes, timestamp %lld)\n", f.key, (unsigned long long)f.size, (long long)f.timestamp_ms);
    if (prestige_poller_mark_processed(poller, &f, "success", &err)) return fail("mark", &err);
    prestige_file_meta_clear(&f);
    seen++;
  }
  prestige_poller_free(poller);
  prestige_state_store_free(state);
  prestige_store_free(store);
  return seen == 3 ? 0 : 1;
}
