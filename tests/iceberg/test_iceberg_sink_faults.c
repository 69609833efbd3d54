/*
 * A running IcebergSink resolves failed catalog commits in-process (no restart): the REST
 * catalog (our server over SQLite) sits behind tests/common/fault_proxy.mjs, which answers 503
 * after committing, drops responses, fails commits before the server sees them and fails the
 * reloads that would tell what happened. Every commit the sink acknowledges is in the table
 * exactly once: one snapshot per commit seq, no data file twice, every row once (ids checked).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iceberg/metadata.h"
#include "iceberg/scan.h"
#include "iceberg/table.h"
#include "prestige/core.h"
#include "prestige/iceberg_rest.h"
#include "prestige/iceberg_sink.h"
#include "s3_test.h"
#include "test.h"

#define ROW(F) \
  F(id, I64)   \
  F(name, STRING)
PRESTIGE_RECORD(row, ROW, .table = "events", .namespace_ = "db")

static prestige_error_t err;

/* What the sink said: proof that the in-process resolution ran (not only the append's own). */
static _Atomic int n_found, n_retry, n_reload_failed;
static void on_log(void *ud, prestige_log_level_t lvl, const char *msg) {
  (void)ud;
  fprintf(stderr, "[%s] %s\n", prestige_log_level_name(lvl), msg);
  if (strstr(msg, "iceberg sink") && strstr(msg, "found in the table as snapshot")) n_found++;
  if (strstr(msg, "iceberg sink") && strstr(msg, "checking the table and retrying")) n_retry++;
  if (strstr(msg, "iceberg sink") && strstr(msg, "reloading the table failed")) n_reload_failed++;
}

/* Writes ids [from, from+n) through a client and commits: 0 when acknowledged. */
static int write_commit(prestige_iceberg_sink_t *s, int64_t from, int64_t n, int64_t *sid) {
  prestige_iceberg_sink_client_t *c = prestige_iceberg_sink_client_new(s);
  int rc = c ? 0 : PRESTIGE_ENOMEM;
  for (int64_t i = 0; !rc && i < n; i++) {
    row_t r = {from + i, PRESTIGE_STR("v")};
    rc = prestige_iceberg_sink_write(c, &r, &err);
  }
  prestige_iceberg_sink_commit_result_t res;
  memset(&res, 0, sizeof res);
  if (!rc) rc = prestige_iceberg_sink_commit(c, &res, &err);
  if (!rc) *sid = res.snapshot_id;
  prestige_iceberg_sink_commit_result_release(&res);
  prestige_iceberg_sink_client_free(c, NULL);
  return rc;
}

TEST(running_sink_resolves_failed_commits) {
  char uri[1200], wh[1100];
  snprintf(uri, sizeof uri, "sqlite:%s/faults.db", test_tmpdir());
  snprintf(wh, sizeof wh, "%s/warehouse", test_tmpdir());
  prestige_iceberg_serve_options_t so = PRESTIGE_ICEBERG_SERVE_OPTIONS_INIT;
  so.catalog.uri = uri;
  so.catalog.warehouse = wh;
  so.port = 0;
  prestige_iceberg_rest_server_t *srv = NULL;
  CHECK_OK(prestige_iceberg_serve_start(&srv, &so, &err));
  if (!srv) return;
  char url[128];
  snprintf(url, sizeof url, "http://127.0.0.1:%u", (unsigned)prestige_iceberg_serve_port(srv));
  prestige_log_set_callback(on_log, NULL, PRESTIGE_LOG_INFO);
  test_s3_t px;
  if (test_proxy_start(&px, url)) {
    CHECK_MSG(0, "fault proxy did not start");
    prestige_iceberg_serve_stop(srv);
    return;
  }
  prestige_iceberg_catalog_options_t co = PRESTIGE_ICEBERG_CATALOG_OPTIONS_INIT;
  co.uri = px.endpoint;
  co.request_timeout_ms = 3000;
  prestige_iceberg_catalog_t *cat = NULL;
  CHECK_OK(prestige_iceberg_catalog_open(&cat, &co, &err));
  if (!cat) goto out;
  CHECK_OK(prestige_iceberg_namespace_create(cat, "db", NULL, 0, &err));
  prestige_iceberg_sink_options_t o = PRESTIGE_ICEBERG_SINK_OPTIONS_INIT;
  o.writer_id = "faulty-writer";
  prestige_iceberg_sink_t *s = NULL;
  CHECK_OK(prestige_iceberg_sink_open(&s, cat, &o, row_record(), NULL, &err));
  if (!s) goto out_cat;
  /* each round: the faults, then a commit that must be acknowledged */
#define COMMIT "{\"match\":{\"method\":\"POST\",\"path\":\"^/v1/namespaces/db/tables/events$\"}"
#define LOAD "{\"match\":{\"method\":\"GET\",\"path\":\"^/v1/namespaces/db/tables/events$\"}"
  const char *rounds[] = {
      /* 503 after the commit landed */
      "[" COMMIT ",\"action\":{\"type\":\"status_after\",\"status\":503}}]",
      /* 503 after the commit landed, and the reloads that would find it fail for a while (3
       * loads of 3 attempts: the append's own check and two of the sink's) */
      "[" COMMIT ",\"action\":{\"type\":\"status_after\",\"status\":503}}," LOAD
      ",\"times\":9,\"action\":{\"type\":\"status\",\"status\":503}}]",
      /* the response dropped after the commit, reloads dropped too */
      "[" COMMIT ",\"action\":{\"type\":\"drop_response\",\"after_bytes\":0}}," LOAD
      ",\"times\":6,\"action\":{\"type\":\"drop_request\"}}]",
      /* 503 before the server saw it, the reloads failing: not there, so committed again */
      "[" COMMIT ",\"action\":{\"type\":\"status\",\"status\":503}}," LOAD
      ",\"times\":7,\"action\":{\"type\":\"status\",\"status\":503}}]",
      /* every request of several attempts dropped before the server saw it (more than the
       * append's own retries): the sink keeps going */
      "[" COMMIT ",\"times\":7,\"action\":{\"type\":\"drop_request\"}}]",
      /* no fault */
      "[]",
  };
  int n_rounds = (int)(sizeof rounds / sizeof rounds[0]);
  int64_t acked = 0, per = 25;
  int64_t sids[8];
  for (int r = 0; r < n_rounds; r++) {
    test_proxy_reset(&px);
    if (strcmp(rounds[r], "[]")) CHECK_EQ_INT(test_proxy_faults(&px, rounds[r]), 0);
    sids[r] = -1;
    int rc = write_commit(s, acked, per, &sids[r]);
    CHECK_MSG(rc == 0, "round %d: %s", r, err.message);
    if (rc) break;
    acked += per;
  }
  test_proxy_reset(&px);
  CHECK_EQ_INT(acked, per * n_rounds);
  CHECK(n_retry >= 3);         /* attempts that failed beyond the append's own handling */
  CHECK(n_reload_failed >= 1); /* reloads retried while the catalog failed them */
  CHECK(n_found >= 2);         /* landed commits found by writer-id / commit-seq */
  CHECK_OK(prestige_iceberg_sink_close(s, NULL, &err));
  /* exactly once, read straight from the server */
  prestige_iceberg_catalog_options_t dco = PRESTIGE_ICEBERG_CATALOG_OPTIONS_INIT;
  dco.uri = url;
  prestige_iceberg_catalog_t *direct = NULL;
  CHECK_OK(prestige_iceberg_catalog_open(&direct, &dco, &err));
  prestige_iceberg_table_t *t = NULL;
  if (direct) CHECK_OK(prestige_iceberg_table_load(direct, "db.events", &t, &err));
  if (t) {
    const ice_table_metadata_t *md = t->loaded.metadata;
    /* one snapshot per commit seq, each the one the sink reported */
    int per_seq[16] = {0};
    int64_t n_ours = 0;
    for (size_t i = 0; i < md->n_snapshots; i++) {
      const char *w = ice_strmap_get(&md->snapshots[i]->summary, "prestige.writer-id");
      const char *q = ice_strmap_get(&md->snapshots[i]->summary, "prestige.commit-seq");
      if (!w || strcmp(w, "faulty-writer") || !q) continue;
      n_ours++;
      long k = strtol(q, NULL, 10);
      if (k >= 0 && k < 16) per_seq[k]++;
    }
    CHECK_EQ_INT(n_ours, n_rounds);
    for (int k = 0; k < 16; k++) CHECK_MSG(per_seq[k] <= 1, "commit seq %d landed %d times", k, per_seq[k]);
    for (int r = 0; r < n_rounds; r++) CHECK_MSG(ice_metadata_snapshot(md, sids[r]) != NULL, "round %d: snapshot %lld", r, (long long)sids[r]);
    /* no data file twice, every id once */
    ice_scan_options_t sco = ICE_SCAN_OPTIONS_INIT;
    ice_scan_plan_t *plan = NULL;
    CHECK_OK(ice_scan_plan(t->io, md, "db.events", &sco, &plan, &err));
    for (size_t i = 0; plan && i < plan->n_tasks; i++)
      for (size_t j = i + 1; j < plan->n_tasks; j++)
        CHECK_MSG(strcmp(plan->tasks[i].file.file_path, plan->tasks[j].file.file_path), "%s twice", plan->tasks[i].file.file_path);
    struct ArrowArrayStream st;
    memset(&st, 0, sizeof st);
    if (plan) CHECK_OK(ice_scan_stream(t->io, plan, &sco, &st, &err));
    int *seen = calloc((size_t)acked, sizeof(int));
    int64_t rows = 0, bad = 0;
    for (; st.release;) {
      struct ArrowArray b;
      if (st.get_next(&st, &b) || !b.release) break;
      const int64_t *v = (const int64_t *)b.children[0]->buffers[1] + b.children[0]->offset;
      for (int64_t i = 0; i < b.length; i++) {
        if (v[i] < 0 || v[i] >= acked || seen[v[i]]++) bad++;
      }
      rows += b.length;
      b.release(&b);
    }
    if (st.release) st.release(&st);
    CHECK_EQ_INT(rows, acked);
    CHECK_EQ_INT(bad, 0);
    free(seen);
    prestige_iceberg_table_free(t);
  }
  prestige_iceberg_catalog_close(direct);
out_cat:
  prestige_iceberg_catalog_close(cat);
out:
  test_proxy_stop(&px);
  prestige_iceberg_serve_stop(srv);
  prestige_log_set_callback(NULL, NULL, PRESTIGE_LOG_OFF);
}

TEST_MAIN(RUN(running_sink_resolves_failed_commits);)
