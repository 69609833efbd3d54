/*
 * The reference's complete Iceberg pipeline in C: Event records (partitioned by day(timestamp)
 * and event_type, sorted by timestamp, event_id the identifier) written by an IcebergSink with
 * auto-commit, a roll time and crash-recovery manifests, while an IcebergPoller in another thread
 * consumes each new snapshot's rows and acks it, and a compaction scheduler in a third thread
 * checks the partitions' file counts every interval and compacts those with 3 files or more (its
 * replace snapshots are skipped by the poller, so no row is delivered twice).
 *
 *   let (sink_client, sink) = IcebergSinkBuilder::<Event>::for_type(catalog.clone(), "events")
 *       .await?.auto_commit(true).roll_time(Duration::from_secs(30))
 *       .manifest_dir("/tmp/prestige/manifests").create();
 *   let (mut rx, poller) = IcebergPollerConfigBuilder::new(table, catalog, "events-consumer")
 *       .poll_interval(Duration::from_secs(5)).create();
 *   while let Some(stream) = rx.recv().await { ...; stream.ack(); }
 *   let scheduler = CompactionSchedulerBuilder::new(table.clone(), catalog.clone(), "events")
 *       .interval(Duration::from_secs(120)).min_files_to_compact(3).deduplicate(true).build();
 *   tokio::spawn(scheduler.run(shutdown.clone()));
 *
 * Here the scheduler's interval is 100 ms (and at most MAX_RUNS runs) so the example ends quickly.
 *
 * usage: iceberg_pipeline WORK_PATH   (catalog, warehouse and manifests under dirname(WORK_PATH))
 */
#include <libgen.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <prestige/prestige.h>

#define EVENT(F)                                                                                     \
  F(event_id, STRING, .flags = PRESTIGE_IDENTIFIER)                                                  \
  F(timestamp, TIMESTAMP(MICRO, "UTC"), .partition = PRESTIGE_PARTITION_DAY, .sort_order = 1)      \
  F(event_type, STRING, .partition = PRESTIGE_PARTITION_IDENTITY)                                    \
  F(user_id, STRING)                                                                                 \
  F(payload, STRING)
PRESTIGE_RECORD(event, EVENT, .table = "events", .namespace_ = "analytics")

enum { EVENTS = 5000, PER_COMMIT = 1000 };

typedef struct consumer {
  prestige_iceberg_catalog_t *catalog;
  prestige_shutdown_t *stop;
  int64_t start_after; /* a rerun consumes only what this run writes */
  int64_t rows, snapshots;
  int rc;
  prestige_error_t err;
} consumer_t;

static void *consume(void *arg) {
  consumer_t *c = arg;
  prestige_iceberg_poller_options_t o = PRESTIGE_ICEBERG_POLLER_OPTIONS_INIT;
  o.table = "analytics.events";
  o.consumer = "events-consumer";
  o.poll_interval_ms = 50;
  o.shutdown = c->stop;
  o.start_after_snapshot = c->start_after;
  prestige_iceberg_poller_t *p;
  if ((c->rc = prestige_iceberg_poller_open(&p, c->catalog, &o, &c->err))) return NULL;
  while (c->rows < EVENTS) {
    prestige_iceberg_poll_event_t ev;
    int rc = prestige_iceberg_poller_next(p, &ev, 200, &c->err);
    if (rc == PRESTIGE_ETIMEOUT) continue;
    if (rc) {
      c->rc = rc;
      break;
    }
    if (ev.rows.release) { /* process the batches */
      struct ArrowArray b;
      while (ev.rows.get_next(&ev.rows, &b) == 0 && b.release) {
        c->rows += b.length;
        b.release(&b);
      }
      ev.rows.release(&ev.rows);
    }
    printf("snapshot %lld from %s (%s): %lld rows so far\n", (long long)ev.snapshot_id, ev.table, ev.operation,
           (long long)c->rows);
    c->snapshots++;
    if ((c->rc = prestige_iceberg_poller_ack(p, ev.snapshot_id, &c->err))) break; /* the poller waits for this */
  }
  prestige_iceberg_poller_close(p);
  return NULL;
}

/* The compaction scheduler: prestige_iceberg_maintain on its own table handle until stop fires. */
typedef struct scheduler {
  prestige_iceberg_catalog_t *catalog;
  prestige_shutdown_t *stop;
  prestige_iceberg_maintain_metrics_t metrics;
  int rc;
  prestige_error_t err;
} scheduler_t;

enum { MAX_RUNS = 600 }; /* a bound in case stop never fires: 600 x 100 ms */

static void *schedule(void *arg) {
  scheduler_t *s = arg;
  prestige_iceberg_table_t *t;
  if ((s->rc = prestige_iceberg_table_load(s->catalog, "analytics.events", &t, &s->err))) return NULL;
  prestige_iceberg_maintain_options_t o = PRESTIGE_ICEBERG_MAINTAIN_OPTIONS_INIT;
  o.interval_ms = 100;            /* the reference: 120 s */
  o.max_runs = MAX_RUNS;
  o.compaction.min_files = 3;     /* per partition */
  o.compaction.dedup = true;      /* on event_id, the identifier */
  s->rc = prestige_iceberg_maintain(t, &o, s->stop, &s->metrics, &s->err);
  prestige_iceberg_table_free(t);
  return NULL;
}

static int fail(const char *what, const prestige_error_t *err) {
  fprintf(stderr, "%s: %s\n", what, err->message);
  return 1;
}

int main(int argc, char **argv) {
  char base[1024], uri[1200], wh[1200], manifests[1200];
  snprintf(base, sizeof base, "%s", argc > 1 ? argv[1] : "./iceberg_pipeline");
  char *d = dirname(base);
  snprintf(uri, sizeof uri, "sqlite:%s/iceberg_pipeline.db", d);
  snprintf(wh, sizeof wh, "%s/iceberg_pipeline_wh", d);
  snprintf(manifests, sizeof manifests, "%s/iceberg_pipeline_manifests", d);
  prestige_error_t err;
  prestige_iceberg_catalog_options_t co = PRESTIGE_ICEBERG_CATALOG_OPTIONS_INIT;
  co.uri = uri;
  co.warehouse = wh;
  prestige_iceberg_catalog_t *catalog;
  if (prestige_iceberg_catalog_open(&catalog, &co, &err)) return fail("connecting to the catalog", &err);

  /* --- writer: the table is created from the record's annotations --- */
  prestige_iceberg_sink_options_t so = PRESTIGE_ICEBERG_SINK_OPTIONS_INIT;
  so.auto_commit = true;
  so.max_rows = PER_COMMIT;
  so.batch_size = 250;
  so.roll_time_ms = 30 * 1000;
  so.manifest_dir = manifests;
  prestige_iceberg_sink_t *sink;
  if (prestige_iceberg_sink_open(&sink, catalog, &so, event_record(), NULL, &err)) return fail("opening the sink", &err);

  /* --- consumer --- */
  prestige_shutdown_t *stop = prestige_shutdown_new();
  consumer_t c = {.catalog = catalog, .stop = stop, .start_after = -1};
  prestige_iceberg_table_t *table;
  if (prestige_iceberg_table_load(catalog, "analytics.events", &table, &err)) return fail("loading the table", &err);
  c.start_after = prestige_iceberg_table_current_snapshot_id(table);
  prestige_iceberg_table_free(table);
  pthread_t th;
  pthread_create(&th, NULL, consume, &c);

  /* --- compaction scheduler --- */
  scheduler_t sch = {.catalog = catalog, .stop = stop};
  pthread_t sth;
  pthread_create(&sth, NULL, schedule, &sch);

  /* --- write events --- */
  prestige_iceberg_sink_client_t *client = prestige_iceberg_sink_client_new(sink);
  static const char *types[] = {"click", "view", "purchase"};
  for (int i = 0; i < EVENTS; i++) {
    char id[32], user[32], payload[64];
    snprintf(id, sizeof id, "evt-%06d", i);
    snprintf(user, sizeof user, "user-%d", i % 97);
    snprintf(payload, sizeof payload, "{\"n\":%d}", i);
    event_t e = {.event_id = {id, strlen(id)},
                 .timestamp = 1735689600000000LL + (int64_t)i * 60000000LL, /* a minute apart from 2025-01-01 */
                 .event_type = {types[i % 3], strlen(types[i % 3])},
                 .user_id = {user, strlen(user)},
                 .payload = {payload, strlen(payload)}};
    if (prestige_iceberg_sink_write(client, &e, &err)) return fail("write", &err);
  }
  prestige_iceberg_sink_commit_result_t r;
  if (prestige_iceberg_sink_commit(client, &r, &err)) return fail("commit", &err);
  printf("commit: %zu data files, snapshot %lld\n", r.n_files, (long long)r.snapshot_id);
  prestige_iceberg_sink_commit_result_release(&r);
  prestige_iceberg_sink_client_free(client, NULL);

  pthread_join(th, NULL);
  prestige_shutdown_trigger(stop);
  pthread_join(sth, NULL);
  if (prestige_iceberg_sink_close(sink, NULL, &err)) return fail("closing the sink", &err);
  if (c.rc) return fail("consumer", &c.err);
  if (sch.rc) return fail("compaction scheduler", &sch.err);
  printf("consumed %lld events in %lld snapshots\n", (long long)c.rows, (long long)c.snapshots);
  printf("compaction scheduler: %lld runs, %lld compactions, %lld files read, %lld written, %lld failed runs%s%s\n",
         (long long)sch.metrics.runs, (long long)sch.metrics.compactions, (long long)sch.metrics.files_read,
         (long long)sch.metrics.files_written, (long long)sch.metrics.errors, sch.metrics.errors ? ": " : "",
         sch.metrics.errors ? sch.metrics.last_error : "");
  prestige_shutdown_free(stop);
  prestige_iceberg_catalog_close(catalog);
  return c.rows == EVENTS ? 0 : 1;
}
