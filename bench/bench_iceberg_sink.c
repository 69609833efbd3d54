/* SensorData records from 1..N producer threads into an IcebergSink (SQLite catalog, local
 * warehouse, a commit every 100k rows, zstd) or, for comparison, a ParquetSink (100k-row files,
 * zstd); for the IcebergSink also commit latency p50/p99 and the delivery lag of an IcebergPoller
 * (poll interval 50 ms) after each commit.
 *   usage: bench_iceberg_sink iceberg|iceberg-lag|parquet THREADS RECORDS DIR  (iceberg-lag: with the poller)
 *   prints: MODE THREADS RECORDS records/s commits p50_ms p99_ms lag_p50_ms lag_max_ms */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <prestige/prestige.h>

#define SENSOR_DATA(F) \
  F(timestamp, U64)    \
  F(sensor_id, STRING) \
  F(temperature, F32)
PRESTIGE_RECORD(sensor_data, SENSOR_DATA, .table = "sensor_data", .namespace_ = "bench")

enum { MAX_COMMITS = 4096 };
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static int64_t commit_ids[MAX_COMMITS], commit_at[MAX_COMMITS], latency[MAX_COMMITS], lag[MAX_COMMITS];
static int n_commits, n_lag;

typedef struct job {
  prestige_sink_t *ps;
  prestige_iceberg_sink_t *is;
  int64_t from, to;
  int rc;
} job_t;

static void *producer(void *arg) {
  job_t *j = arg;
  prestige_sink_client_t *pc = j->ps ? prestige_sink_client_new(j->ps) : NULL;
  prestige_iceberg_sink_client_t *ic = j->is ? prestige_iceberg_sink_client_new(j->is) : NULL;
  prestige_error_t err;
  char id[16];
  for (int64_t i = j->from; i < j->to; i++) {
    int n = snprintf(id, sizeof id, "sensor-%04d", (int)((i * 7919) % 1000));
    sensor_data_t r = {.timestamp = 1700000000000ULL + (uint64_t)i, .sensor_id = {id, (size_t)n},
                       .temperature = 15.0f + (float)(i % 200) / 10.0f};
    if (pc ? prestige_sink_write(pc, &r, &err) : prestige_iceberg_sink_write(ic, &r, &err)) {
      fprintf(stderr, "write: %s\n", err.message);
      j->rc = 1;
      break;
    }
  }
  if (pc && prestige_sink_client_free(pc, &err)) j->rc = 1;
  if (ic && prestige_iceberg_sink_client_free(ic, &err)) j->rc = 1;
  return NULL;
}

static void on_commit(void *ud, const prestige_iceberg_sink_commit_info_t *c) {
  (void)ud;
  pthread_mutex_lock(&mu);
  if (n_commits < MAX_COMMITS) {
    commit_ids[n_commits] = c->snapshot_id;
    commit_at[n_commits] = prestige_now_ms();
    latency[n_commits++] = c->latency_ms;
  }
  pthread_mutex_unlock(&mu);
}

typedef struct poll_job {
  prestige_iceberg_catalog_t *cat;
  prestige_shutdown_t *stop;
} poll_job_t;

static void *poll_thread(void *arg) {
  poll_job_t *pj = arg;
  prestige_iceberg_poller_options_t o = PRESTIGE_ICEBERG_POLLER_OPTIONS_INIT;
  o.table = "bench.sensor_data";
  o.consumer = "bench";
  o.poll_interval_ms = 50;
  o.shutdown = pj->stop;
  prestige_iceberg_poller_t *p;
  prestige_error_t err;
  if (prestige_iceberg_poller_open(&p, pj->cat, &o, &err)) {
    fprintf(stderr, "poller: %s\n", err.message);
    return NULL;
  }
  for (;;) {
    prestige_iceberg_poll_event_t ev;
    int rc = prestige_iceberg_poller_next(p, &ev, -1, &err);
    if (rc) break;
    int64_t now = prestige_now_ms();
    if (ev.rows.release) ev.rows.release(&ev.rows); /* the lag is to delivery, not to reading the rows */
    pthread_mutex_lock(&mu);
    for (int i = 0; i < n_commits; i++)
      if (commit_ids[i] == ev.snapshot_id && n_lag < MAX_COMMITS) lag[n_lag++] = now - commit_at[i];
    pthread_mutex_unlock(&mu);
    prestige_iceberg_poller_ack(p, ev.snapshot_id, &err);
  }
  prestige_iceberg_poller_close(p);
  return NULL;
}

static int cmp(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return x < y ? -1 : x > y;
}
static int64_t pct(int64_t *v, int n, double q) {
  if (!n) return -1;
  qsort(v, (size_t)n, sizeof *v, cmp);
  int i = (int)(q * (n - 1) + 0.5);
  return v[i];
}

int main(int argc, char **argv) {
  if (argc < 5) return 2;
  bool lag_mode = !strcmp(argv[1], "iceberg-lag"); /* with a poller (its reads compete for the CPU) */
  bool ice = lag_mode || !strcmp(argv[1], "iceberg");
  int threads = atoi(argv[2]);
  int64_t n = atoll(argv[3]);
  const char *dir = argv[4];
  /* WRITER_THREADS: each data file encoded on that many threads, on both sides (default 1) */
  int wthreads = getenv("WRITER_THREADS") ? atoi(getenv("WRITER_THREADS")) : 1;
  if (wthreads < 1) wthreads = 1;
  prestige_error_t err;
  prestige_sink_t *ps = NULL;
  prestige_iceberg_sink_t *is = NULL;
  prestige_iceberg_catalog_t *cat = NULL;
  prestige_shutdown_t *stop = prestige_shutdown_new();
  pthread_t pth;
  poll_job_t pj;
  char uri[1200], wh[1200];
  if (ice) {
    snprintf(uri, sizeof uri, "sqlite:%s/cat.db", dir);
    snprintf(wh, sizeof wh, "%s/wh", dir);
    prestige_iceberg_catalog_options_t co = PRESTIGE_ICEBERG_CATALOG_OPTIONS_INIT;
    co.uri = uri;
    co.warehouse = wh;
    char mkd[1300];
    snprintf(mkd, sizeof mkd, "mkdir -p '%s'", dir);
    if (system(mkd) != 0) return 1;
    if (prestige_iceberg_catalog_open(&cat, &co, &err)) return fprintf(stderr, "catalog: %s\n", err.message), 1;
    prestige_kv_t props[1] = {{"write.parquet.compression-codec", "zstd", -1}};
    prestige_iceberg_create_options_t cro = PRESTIGE_ICEBERG_CREATE_OPTIONS_INIT;
    cro.properties = props;
    cro.n_properties = 1;
    prestige_iceberg_namespace_create(cat, "bench", NULL, 0, NULL);
    prestige_iceberg_sink_options_t o = PRESTIGE_ICEBERG_SINK_OPTIONS_INIT;
    o.max_rows = 100000;
    o.on_commit = on_commit;
    o.create = &cro;
    o.writer_threads = wthreads;
    if (prestige_iceberg_sink_open(&is, cat, &o, sensor_data_record(), NULL, &err))
      return fprintf(stderr, "sink: %s\n", err.message), 1;
    pj.cat = cat;
    pj.stop = stop;
    if (lag_mode) pthread_create(&pth, NULL, poll_thread, &pj);
  } else {
    prestige_sink_options_t o;
    prestige_sink_options_init(&o);
    o.name = "sensor_data";
    o.dir = dir;
    o.max_rows = 100000;
    o.writer.compression = PRESTIGE_COMPRESSION_ZSTD;
    o.writer.threads = wthreads;
    if (prestige_sink_open(&ps, &o, sensor_data_record(), NULL, &err)) return fprintf(stderr, "sink: %s\n", err.message), 1;
    if (prestige_sink_start(ps, &err)) return 1;
  }
  int64_t t0 = prestige_monotonic_ns();
  job_t jobs[64];
  pthread_t th[64];
  if (threads < 1 || threads > 64) return 2;
  for (int i = 0; i < threads; i++) {
    jobs[i] = (job_t){ps, is, n * i / threads, n * (i + 1) / threads, 0};
    pthread_create(&th[i], NULL, producer, &jobs[i]);
  }
  int rc = 0;
  for (int i = 0; i < threads; i++) {
    pthread_join(th[i], NULL);
    rc |= jobs[i].rc;
  }
  if (ice) {
    if (prestige_iceberg_sink_close(is, NULL, &err)) return fprintf(stderr, "close: %s\n", err.message), 1;
  } else if (prestige_sink_close(ps, NULL, &err)) {
    return fprintf(stderr, "close: %s\n", err.message), 1;
  }
  double secs = (double)(prestige_monotonic_ns() - t0) / 1e9;
  if (ice) { /* let the poller see the last commit */
    for (int k = 0; lag_mode && k < 100; k++) {
      pthread_mutex_lock(&mu);
      bool done = n_lag >= n_commits;
      pthread_mutex_unlock(&mu);
      if (done) break;
      struct timespec ts = {0, 50000000};
      nanosleep(&ts, NULL);
    }
    prestige_shutdown_trigger(stop);
    if (lag_mode) pthread_join(pth, NULL);
    prestige_iceberg_catalog_close(cat);
  }
  int64_t lat_copy[MAX_COMMITS], lag_copy[MAX_COMMITS];
  memcpy(lat_copy, latency, sizeof latency);
  memcpy(lag_copy, lag, sizeof lag);
  printf("%s %d %lld %.0f %d %lld %lld %lld %lld\n", argv[1], threads, (long long)n, (double)n / secs, n_commits,
         (long long)pct(lat_copy, n_commits, 0.5), (long long)pct(lat_copy, n_commits, 0.99),
         (long long)pct(lag_copy, n_lag, 0.5), (long long)pct(lag_copy, n_lag, 1.0));
  prestige_shutdown_free(stop);
  return rc;
}
