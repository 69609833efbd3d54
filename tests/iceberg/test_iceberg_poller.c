/* IcebergPoller: appends delivered oldest first with their rows, nothing more until acked,
 * replace snapshots skipped, delete/overwrite reported without rows, checkpoints per consumer in
 * the SQLite state store (a reopened poller resumes right after the last ack), start_after,
 * staged WAP commits invisible until published, bad options; backpressure (a slow consumer
 * bounds the snapshots buffered, a stalled one gets send_timeout) and incremental planning (the
 * manifests read per delivery stay constant as the table grows). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "iceberg/metadata.h"
#include "iceberg/scan.h"
#include "iceberg/table.h"
#include "iceberg/table_ops.h"
#include "prestige/iceberg_poller.h"
#include "prestige/iceberg_sink.h"
#include "test.h"

#define ROW(F)  \
  F(id, I64)    \
  F(name, STRING)
PRESTIGE_RECORD(row, ROW, .table = "events", .namespace_ = "db")

static prestige_error_t err;

static int64_t commit_rows(prestige_iceberg_sink_t *s, int64_t from, int64_t n) {
  prestige_iceberg_sink_client_t *c = prestige_iceberg_sink_client_new(s);
  for (int64_t i = 0; i < n; i++) {
    row_t r = {from + i, PRESTIGE_STR("x")};
    if (prestige_iceberg_sink_write(c, &r, &err)) break;
  }
  prestige_iceberg_sink_commit_result_t res;
  int64_t sid = -1;
  if (!prestige_iceberg_sink_commit(c, &res, &err)) sid = res.snapshot_id;
  prestige_iceberg_sink_commit_result_release(&res);
  prestige_iceberg_sink_client_free(c, NULL);
  return sid;
}

/* A snapshot on main with the parent's manifests and another operation (as compaction's replace
 * or a delete would leave). */
static int64_t fake_snapshot(prestige_iceberg_table_t *t, const char *op) {
  if (prestige_iceberg_table_refresh(t, &err)) return -1;
  const ice_table_metadata_t *md = t->loaded.metadata;
  const ice_snapshot_t *cur = ice_metadata_current_snapshot(md);
  ice_snapshot_t s;
  memset(&s, 0, sizeof s);
  ice_new_snapshot_id(md, &s.snapshot_id, &err);
  s.has_parent = true;
  s.parent_id = cur->snapshot_id;
  s.sequence_number = md->last_sequence_number + 1;
  s.timestamp_ms = prestige_now_ms();
  s.manifest_list = cur->manifest_list;
  s.operation = (char *)op;
  s.has_schema_id = true;
  s.schema_id = md->current_schema_id;
  ice_update_t ups[2];
  memset(ups, 0, sizeof ups);
  ups[0].kind = ICE_UP_ADD_SNAPSHOT;
  ups[0].snapshot = &s;
  ups[1].kind = ICE_UP_SET_SNAPSHOT_REF;
  ups[1].ref.name = (char *)"main";
  ups[1].ref.snapshot_id = s.snapshot_id;
  ups[1].ref.type = ICE_REF_BRANCH;
  int64_t id = s.snapshot_id;
  return ice_table_commit(t, NULL, 0, ups, 2, &err) ? -1 : id;
}

/* Reads an event's rows: their count, and the sum of ids. */
static int64_t drain(prestige_iceberg_poll_event_t *ev, int64_t *sum) {
  int64_t rows = 0;
  *sum = 0;
  for (;;) {
    struct ArrowArray b;
    if (ev->rows.get_next(&ev->rows, &b) || !b.release) break;
    const int64_t *v = (const int64_t *)b.children[0]->buffers[1] + b.children[0]->offset;
    for (int64_t i = 0; i < b.length; i++) *sum += v[i];
    rows += b.length;
    b.release(&b);
  }
  ev->rows.release(&ev->rows);
  return rows;
}

TEST(deliver_ack_resume) {
  char db[600], wh[600], st[600];
  snprintf(db, sizeof db, "sqlite:%s/cat.db", test_tmpdir());
  snprintf(wh, sizeof wh, "%s/wh", test_tmpdir());
  snprintf(st, sizeof st, "sqlite:%s/state.db", test_tmpdir());
  prestige_iceberg_catalog_options_t co = PRESTIGE_ICEBERG_CATALOG_OPTIONS_INIT;
  co.uri = db;
  co.warehouse = wh;
  prestige_iceberg_catalog_t *cat;
  CHECK_OK(prestige_iceberg_catalog_open(&cat, &co, &err));
  prestige_iceberg_sink_options_t so = PRESTIGE_ICEBERG_SINK_OPTIONS_INIT;
  prestige_iceberg_sink_t *s;
  CHECK_OK(prestige_iceberg_sink_open(&s, cat, &so, row_record(), NULL, &err));
  if (!s) return;
  int64_t a1 = commit_rows(s, 0, 10), a2 = commit_rows(s, 10, 20);
  prestige_iceberg_table_t *t;
  CHECK_OK(prestige_iceberg_table_load(cat, "db.events", &t, &err));
  int64_t rep = fake_snapshot(t, "replace");
  int64_t a3 = commit_rows(s, 30, 5);
  int64_t del = fake_snapshot(t, "delete");
  CHECK(a1 > 0 && a2 > 0 && a3 > 0 && rep > 0 && del > 0);
  prestige_state_store_t *state;
  CHECK_OK(prestige_state_store_open(&state, st, &err));
  prestige_iceberg_poller_options_t po = PRESTIGE_ICEBERG_POLLER_OPTIONS_INIT;
  po.table = "db.events";
  po.consumer = "c1";
  po.state = state;
  po.poll_interval_ms = 20;
  prestige_iceberg_poller_t *p;
  CHECK_OK(prestige_iceberg_poller_open(&p, cat, &po, &err));
  prestige_iceberg_poll_event_t ev;
  int64_t sum;
  CHECK_OK(prestige_iceberg_poller_next(p, &ev, 0, &err));
  CHECK(ev.kind == PRESTIGE_ICEBERG_EVENT_APPEND && ev.snapshot_id == a1 && !strcmp(ev.table, "db.events"));
  CHECK_EQ_INT(drain(&ev, &sum), 10);
  CHECK_EQ_INT(sum, 45);
  CHECK_ERR(prestige_iceberg_poller_next(p, &ev, 0, &err), PRESTIGE_EINVAL, "not acked");
  CHECK_ERR(prestige_iceberg_poller_ack(p, a2, &err), PRESTIGE_EINVAL, "not the one delivered");
  CHECK_OK(prestige_iceberg_poller_ack(p, a1, &err));
  CHECK_OK(prestige_iceberg_poller_next(p, &ev, 0, &err));
  CHECK(ev.snapshot_id == a2);
  CHECK_EQ_INT(drain(&ev, &sum), 20); /* only the rows a2 added */
  CHECK_EQ_INT(sum, 390);
  /* not acked: a reopened poller delivers a2 again */
  prestige_iceberg_poller_close(p);
  CHECK_OK(prestige_iceberg_poller_open(&p, cat, &po, &err));
  CHECK_OK(prestige_iceberg_poller_next(p, &ev, 0, &err));
  CHECK_EQ_INT(ev.snapshot_id, a2);
  CHECK_EQ_INT(drain(&ev, &sum), 20);
  CHECK_OK(prestige_iceberg_poller_ack(p, a2, &err));
  /* the replace is skipped; a3 next */
  CHECK_OK(prestige_iceberg_poller_next(p, &ev, 0, &err));
  CHECK_EQ_INT(ev.snapshot_id, a3);
  CHECK_EQ_INT(drain(&ev, &sum), 5);
  CHECK_OK(prestige_iceberg_poller_ack(p, a3, &err));
  /* the delete: reported, no rows */
  CHECK_OK(prestige_iceberg_poller_next(p, &ev, 0, &err));
  CHECK(ev.kind == PRESTIGE_ICEBERG_EVENT_DELETE && ev.snapshot_id == del && ev.rows.release == NULL &&
        !strcmp(ev.operation, "delete"));
  CHECK_OK(prestige_iceberg_poller_ack(p, del, &err));
  CHECK_ERR(prestige_iceberg_poller_next(p, &ev, 0, &err), PRESTIGE_ETIMEOUT, "no new snapshot");
  /* a wait sees a commit made meanwhile */
  int64_t a4 = commit_rows(s, 35, 3);
  CHECK_OK(prestige_iceberg_poller_next(p, &ev, 5000, &err));
  CHECK_EQ_INT(ev.snapshot_id, a4);
  CHECK_EQ_INT(drain(&ev, &sum), 3);
  CHECK_OK(prestige_iceberg_poller_ack(p, a4, &err));
  CHECK_EQ_INT(prestige_iceberg_poller_position(p), a4);
  prestige_iceberg_poller_close(p);
  /* resumed after the last ack */
  CHECK_OK(prestige_iceberg_poller_open(&p, cat, &po, &err));
  CHECK_EQ_INT(prestige_iceberg_poller_position(p), a4);
  CHECK_ERR(prestige_iceberg_poller_next(p, &ev, 0, &err), PRESTIGE_ETIMEOUT, "no new snapshot");
  prestige_iceberg_poller_close(p);
  /* another consumer: its own checkpoint, a full replay */
  po.consumer = "c2";
  CHECK_OK(prestige_iceberg_poller_open(&p, cat, &po, &err));
  int64_t total = 0, n_events = 0;
  while (prestige_iceberg_poller_next(p, &ev, 0, &err) == 0) {
    if (ev.rows.release) total += drain(&ev, &sum);
    n_events++;
    prestige_iceberg_poller_ack(p, ev.snapshot_id, &err);
  }
  CHECK_EQ_INT(total, 38);
  CHECK_EQ_INT(n_events, 5);
  prestige_iceberg_poller_close(p);
  /* start_after: a consumer without a checkpoint starting after a2 */
  po.consumer = "c3";
  po.start_after_snapshot = a2;
  CHECK_OK(prestige_iceberg_poller_open(&p, cat, &po, &err));
  CHECK_OK(prestige_iceberg_poller_next(p, &ev, 0, &err));
  CHECK_EQ_INT(ev.snapshot_id, a3);
  drain(&ev, &sum);
  prestige_iceberg_poller_close(p);
  /* bad options */
  po.start_after_snapshot = 12345;
  CHECK_ERR(prestige_iceberg_poller_open(&p, cat, &po, &err), PRESTIGE_ENOTFOUND, "start_after_snapshot 12345");
  po.start_after_snapshot = -1;
  po.consumer = NULL;
  CHECK_ERR(prestige_iceberg_poller_open(&p, cat, &po, &err), PRESTIGE_EINVAL, "consumer is required");
  po.consumer = "c";
  po.table = "db.nope";
  CHECK(prestige_iceberg_poller_open(&p, cat, &po, NULL) == PRESTIGE_ENOTFOUND);
  po.version = 9;
  CHECK_ERR(prestige_iceberg_poller_open(&p, cat, &po, &err), PRESTIGE_EINVAL, "options.version 9");
  CHECK_OK(prestige_iceberg_sink_close(s, NULL, &err));
  prestige_iceberg_table_free(t);
  prestige_state_store_free(state);
  prestige_iceberg_catalog_close(cat);
}

TEST(staged_commits_wait_for_publish) {
  char db[600], wh[600];
  snprintf(db, sizeof db, "sqlite:%s/wap.db", test_tmpdir());
  snprintf(wh, sizeof wh, "%s/wapwh", test_tmpdir());
  prestige_iceberg_catalog_options_t co = PRESTIGE_ICEBERG_CATALOG_OPTIONS_INIT;
  co.uri = db;
  co.warehouse = wh;
  prestige_iceberg_catalog_t *cat;
  CHECK_OK(prestige_iceberg_catalog_open(&cat, &co, &err));
  prestige_iceberg_sink_options_t so = PRESTIGE_ICEBERG_SINK_OPTIONS_INIT;
  so.wap_branch = "stage";
  prestige_iceberg_sink_t *s;
  CHECK_OK(prestige_iceberg_sink_open(&s, cat, &so, row_record(), NULL, &err));
  if (!s) return;
  int64_t staged = commit_rows(s, 0, 7);
  prestige_iceberg_poller_options_t po = PRESTIGE_ICEBERG_POLLER_OPTIONS_INIT;
  po.table = "db.events";
  po.consumer = "w";
  prestige_iceberg_poller_t *p;
  CHECK_OK(prestige_iceberg_poller_open(&p, cat, &po, &err));
  prestige_iceberg_poll_event_t ev;
  CHECK_ERR(prestige_iceberg_poller_next(p, &ev, 0, &err), PRESTIGE_ETIMEOUT, "no new snapshot");
  prestige_iceberg_table_t *t;
  CHECK_OK(prestige_iceberg_table_load(cat, "db.events", &t, &err));
  CHECK_OK(prestige_iceberg_publish(t, "stage", NULL, &err));
  int64_t sum;
  CHECK_OK(prestige_iceberg_poller_next(p, &ev, 0, &err));
  CHECK_EQ_INT(ev.snapshot_id, staged);
  CHECK_EQ_INT(drain(&ev, &sum), 7);
  prestige_iceberg_poller_close(p);
  prestige_iceberg_table_free(t);
  CHECK_OK(prestige_iceberg_sink_close(s, NULL, &err));
  prestige_iceberg_catalog_close(cat);
}

/* A catalog, a sink and n appends of `rows` rows each (ids from 0); ids of the snapshots in sids. */
static int setup(const char *name, prestige_iceberg_catalog_t **cat, prestige_iceberg_sink_t **s, int n, int rows, int64_t *sids) {
  char db[600], wh[600];
  snprintf(db, sizeof db, "sqlite:%s/%s.db", test_tmpdir(), name);
  snprintf(wh, sizeof wh, "%s/%swh", test_tmpdir(), name);
  prestige_iceberg_catalog_options_t co = PRESTIGE_ICEBERG_CATALOG_OPTIONS_INIT;
  co.uri = db;
  co.warehouse = wh;
  *s = NULL;
  if (prestige_iceberg_catalog_open(cat, &co, &err)) return -1;
  prestige_iceberg_sink_options_t so = PRESTIGE_ICEBERG_SINK_OPTIONS_INIT;
  if (prestige_iceberg_sink_open(s, *cat, &so, row_record(), NULL, &err)) return -1;
  for (int i = 0; i < n; i++)
    if ((sids[i] = commit_rows(*s, (int64_t)i * rows, rows)) < 0) return -1;
  return 0;
}

static void sleep_ms(int ms) {
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

/* A slow consumer: the producer plans ahead, but never more than channel_size snapshots wait. */
TEST(slow_consumer_bounds_buffering) {
  enum { N = 12 };
  int64_t sids[N];
  prestige_iceberg_catalog_t *cat = NULL;
  prestige_iceberg_sink_t *s = NULL;
  CHECK_OK(setup("slow", &cat, &s, N, 5, sids));
  prestige_iceberg_poller_options_t po = PRESTIGE_ICEBERG_POLLER_OPTIONS_INIT;
  po.table = "db.events";
  po.consumer = "slow";
  po.poll_interval_ms = 10;
  po.channel_size = 3;
  prestige_iceberg_poller_t *p = NULL;
  CHECK_OK(prestige_iceberg_poller_open(&p, cat, &po, &err));
  int64_t max_seen = 0, got = 0, sum, total = 0;
  prestige_iceberg_poller_stats_t st;
  for (int i = 0; p && i < N; i++) {
    prestige_iceberg_poll_event_t ev;
    if (prestige_iceberg_poller_next(p, &ev, 5000, &err)) {
      CHECK_MSG(0, "next %d: %s", i, err.message);
      break;
    }
    CHECK_EQ_INT(ev.snapshot_id, sids[i]);
    total += drain(&ev, &sum);
    CHECK_EQ_INT(sum, 5 * (5 * i) + 10);
    sleep_ms(40); /* slow: the producer fills the channel meanwhile */
    prestige_iceberg_poller_stats(p, &st);
    if (st.buffered > max_seen) max_seen = st.buffered;
    CHECK_OK(prestige_iceberg_poller_ack(p, ev.snapshot_id, &err));
    got++;
  }
  CHECK_EQ_INT(got, N);
  CHECK_EQ_INT(total, 5 * N);
  prestige_iceberg_poller_stats(p, &st);
  CHECK(st.buffered_max <= 3);      /* bounded */
  CHECK_EQ_INT(st.buffered_max, 3); /* and the producer did run ahead */
  CHECK_EQ_INT(max_seen, 3);
  CHECK_EQ_INT(st.delivered, N);
  CHECK_EQ_INT(st.send_timeouts, 0);
  prestige_iceberg_poller_close(p);
  CHECK_OK(prestige_iceberg_sink_close(s, NULL, &err));
  prestige_iceberg_catalog_close(cat);
}

/* A stalled consumer: the channel stays full for send_timeout_ms; the next call says so, names
 * the snapshot that could not be handed over, and nothing is lost. */
TEST(stalled_consumer_gets_send_timeout) {
  enum { N = 4 };
  int64_t sids[N];
  prestige_iceberg_catalog_t *cat = NULL;
  prestige_iceberg_sink_t *s = NULL;
  CHECK_OK(setup("stall", &cat, &s, N, 3, sids));
  prestige_iceberg_poller_options_t po = PRESTIGE_ICEBERG_POLLER_OPTIONS_INIT;
  po.table = "db.events";
  po.consumer = "stall";
  po.poll_interval_ms = 10;
  po.channel_size = 1;
  po.send_timeout_ms = 100;
  prestige_iceberg_poller_t *p = NULL;
  CHECK_OK(prestige_iceberg_poller_open(&p, cat, &po, &err));
  if (!p) return;
  prestige_iceberg_poll_event_t ev;
  int64_t sum;
  CHECK_OK(prestige_iceberg_poller_next(p, &ev, 5000, &err));
  CHECK_EQ_INT(ev.snapshot_id, sids[0]);
  drain(&ev, &sum);
  sleep_ms(600); /* stalled: sids[1] waits in the channel, sids[2] cannot be handed over */
  prestige_iceberg_poller_stats_t st;
  prestige_iceberg_poller_stats(p, &st);
  CHECK_EQ_INT(st.send_timeouts, 1);
  CHECK_EQ_INT(st.buffered, 1);
  CHECK_OK(prestige_iceberg_poller_ack(p, sids[0], &err));
  char want[128];
  snprintf(want, sizeof want, "did not take snapshot %lld within send_timeout_ms 100", (long long)sids[2]);
  CHECK_ERR(prestige_iceberg_poller_next(p, &ev, 5000, &err), PRESTIGE_ETIMEOUT, want);
  for (int i = 1; i < N; i++) { /* then all of them, in order */
    if (prestige_iceberg_poller_next(p, &ev, 5000, &err)) {
      CHECK_MSG(0, "next %d: %s", i, err.message);
      break;
    }
    CHECK_EQ_INT(ev.snapshot_id, sids[i]);
    CHECK_EQ_INT(drain(&ev, &sum), 3);
    CHECK_OK(prestige_iceberg_poller_ack(p, ev.snapshot_id, &err));
  }
  CHECK_ERR(prestige_iceberg_poller_next(p, &ev, 0, &err), PRESTIGE_ETIMEOUT, "no new snapshot");
  po.send_timeout_ms = -1;
  prestige_iceberg_poller_t *bad = NULL;
  CHECK_ERR(prestige_iceberg_poller_open(&bad, cat, &po, &err), PRESTIGE_EINVAL, "send_timeout_ms");
  prestige_iceberg_poller_close(p);
  CHECK_OK(prestige_iceberg_sink_close(s, NULL, &err));
  prestige_iceberg_catalog_close(cat);
}

/* Incremental planning: each append is planned from the manifests it wrote, so the manifests
 * read per delivery stay the same as the table grows (a full plan would read all of them). */
TEST(incremental_planning_reads_only_new_manifests) {
  enum { N = 40 };
  int64_t sids[N];
  prestige_iceberg_catalog_t *cat = NULL;
  prestige_iceberg_sink_t *s = NULL;
  CHECK_OK(setup("incr", &cat, &s, N, 2, sids));
  prestige_iceberg_table_t *t = NULL;
  CHECK_OK(prestige_iceberg_table_load(cat, "db.events", &t, &err));
  if (!t) return;
  /* the last snapshot's manifest list names many manifests: a full plan reads them all */
  ice_scan_options_t so = ICE_SCAN_OPTIONS_INIT;
  so.snapshot_id = sids[N - 1];
  ice_scan_plan_t *full = NULL;
  CHECK_OK(ice_scan_plan(t->io, t->loaded.metadata, "db.events", &so, &full, &err));
  int64_t full_manifests = full ? full->metrics.manifests : 0;
  CHECK(full_manifests >= N / 2);
  ice_scan_plan_free(full);
  prestige_iceberg_poller_options_t po = PRESTIGE_ICEBERG_POLLER_OPTIONS_INIT;
  po.table = "db.events";
  po.consumer = "incr";
  po.poll_interval_ms = 10;
  prestige_iceberg_poller_t *p = NULL;
  CHECK_OK(prestige_iceberg_poller_open(&p, cat, &po, &err));
  int64_t prev = 0, sum;
  for (int i = 0; p && i < N; i++) {
    prestige_iceberg_poll_event_t ev;
    if (prestige_iceberg_poller_next(p, &ev, 5000, &err)) {
      CHECK_MSG(0, "next %d: %s", i, err.message);
      break;
    }
    CHECK_EQ_INT(ev.snapshot_id, sids[i]);
    CHECK_EQ_INT(drain(&ev, &sum), 2);
    CHECK_EQ_INT(sum, 4 * i + 1);
    prestige_iceberg_poller_stats_t st;
    prestige_iceberg_poller_stats(p, &st);
    CHECK_EQ_INT(st.last_manifests_read, 1);
    CHECK_EQ_INT(st.manifests_read - prev, 1);
    prev = st.manifests_read;
    CHECK_OK(prestige_iceberg_poller_ack(p, ev.snapshot_id, &err));
  }
  CHECK_EQ_INT(prev, N);
  prestige_iceberg_poller_close(p);
  prestige_iceberg_table_free(t);
  CHECK_OK(prestige_iceberg_sink_close(s, NULL, &err));
  prestige_iceberg_catalog_close(cat);
}

TEST_MAIN(RUN(deliver_ack_resume); RUN(staged_commits_wait_for_publish); RUN(slow_consumer_bounds_buffering);
          RUN(stalled_consumer_gets_send_timeout); RUN(incremental_planning_reads_only_new_manifests);)
