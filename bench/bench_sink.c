/* SensorData records into a ParquetSink (ZSTD, 100k-row files) from 1..N producer threads:
 * records/s and peak RSS.   usage: bench_sink THREADS RECORDS DIR */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>
#include <sys/resource.h>

#include <prestige/prestige.h>

#define SENSOR_DATA(F) \
  F(timestamp, U64)    \
  F(sensor_id, STRING) \
  F(temperature, F32)
PRESTIGE_RECORD(sensor_data, SENSOR_DATA)

typedef struct job {
  prestige_sink_t *sink;
  int64_t from, to;
  int rc;
} job_t;

static void *producer(void *arg) {
  job_t *j = arg;
  prestige_sink_client_t *c = prestige_sink_client_new(j->sink);
  prestige_error_t err;
  char id[16];
  for (int64_t i = j->from; i < j->to; i++) {
    int n = snprintf(id, sizeof id, "sensor-%04d", (int)((i * 7919) % 1000));
    sensor_data_t r = {.timestamp = 1700000000000ULL + (uint64_t)i, .sensor_id = {id, (size_t)n},
                       .temperature = 15.0f + (float)(i % 200) / 10.0f};
    if (prestige_sink_write(c, &r, &err)) {
      fprintf(stderr, "write: %s\n", err.message);
      j->rc = 1;
      break;
    }
  }
  if (prestige_sink_client_free(c, &err)) j->rc = 1;
  return NULL;
}

int main(int argc, char **argv) {
  if (argc < 4) return 2;
  int threads = atoi(argv[1]);
  int64_t n = atoll(argv[2]);
  prestige_error_t err;
  prestige_sink_options_t o = PRESTIGE_SINK_OPTIONS_INIT;
  o.name = "sensor_data";
  o.dir = argv[3];
  o.max_rows = 100000;
  o.batch_size = 8192;
  o.writer.compression = PRESTIGE_COMPRESSION_ZSTD;
  /* encoding threads of the sink's writer (WRITER_THREADS; default: the number of cores) */
  long nc = sysconf(_SC_NPROCESSORS_ONLN);
  o.writer.threads = getenv("WRITER_THREADS") ? atoi(getenv("WRITER_THREADS")) : nc < 1 ? 1 : nc > 8 ? 8 : (int)nc;
  prestige_sink_t *s;
  if (prestige_sink_open(&s, &o, sensor_data_record(), NULL, &err) || prestige_sink_start(s, &err)) {
    fprintf(stderr, "%s\n", err.message);
    return 1;
  }
  int64_t t0 = prestige_monotonic_ns();
  pthread_t th[64];
  job_t jobs[64];
  for (int t = 0; t < threads; t++) {
    jobs[t] = (job_t){s, n * t / threads, n * (t + 1) / threads, 0};
    pthread_create(&th[t], NULL, producer, &jobs[t]);
  }
  int rc = 0;
  for (int t = 0; t < threads; t++) {
    pthread_join(th[t], NULL);
    rc |= jobs[t].rc;
  }
  prestige_sink_manifest_t m;
  if (prestige_sink_close(s, &m, &err)) {
    fprintf(stderr, "%s\n", err.message);
    return 1;
  }
  double secs = (double)(prestige_monotonic_ns() - t0) / 1e9;
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  printf("%d %lld %.3f %.0f %ld %zu\n", threads, (long long)n, secs, (double)n / secs, ru.ru_maxrss / 1024, m.n_files);
  prestige_sink_manifest_release(&m);
  return rc;
}
