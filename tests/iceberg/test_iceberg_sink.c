/* IcebergSink: four producers exactly once through pipelined commits on a partitioned, sorted
 * table (SQLite catalog), the in-flight bound, unknown commit outcomes (a catalog that answers
 * "unknown" after or before committing) resolved without a duplicate, crash recovery from the
 * manifest dir (re-commit, or confirm what had landed), write-audit-publish by fast-forward and
 * cherry-pick, and bad options. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <time.h>

#include "file_catalog.h"
#include "iceberg/scan.h"
#include "iceberg/sink_internal.h"
#include "iceberg/table.h"
#include "prestige/iceberg_sink.h"
#include "prestige/metrics.h"
#include "prestige/parquet_writer.h"
#include "prestige/text.h"
#include "test.h"

#define READING(F)                                                                                 \
  F(id, I64, .sort_order = 1)                                                                      \
  F(ts, TIMESTAMP(MICRO, "UTC"), .partition = PRESTIGE_PARTITION_DAY)                            \
  F(sensor, STRING)                                                                                \
  F(value, F64)
PRESTIGE_RECORD(reading, READING, .table = "readings", .namespace_ = "telemetry")

static prestige_error_t err;

/* Every id of the table's ref (NULL: main) into a count array of n slots; returns rows. */
static int64_t scan_ids(prestige_iceberg_table_t *t, const char *ref, int *counts, int64_t n) {
  prestige_error_t e;
  if (prestige_iceberg_table_refresh(t, &e)) return -1;
  ice_scan_options_t so = ICE_SCAN_OPTIONS_INIT;
  so.ref = ref;
  const char *cols[] = {"id"};
  so.columns = cols;
  so.n_columns = 1;
  ice_scan_plan_t *p;
  if (ice_scan_plan(t->io, t->loaded.metadata, t->ident_text, &so, &p, &e)) return -1;
  struct ArrowArrayStream st;
  if (ice_scan_stream(t->io, p, &so, &st, &e)) return -1;
  int64_t rows = 0;
  for (;;) {
    struct ArrowArray b;
    if (st.get_next(&st, &b) || !b.release) break;
    const int64_t *v = (const int64_t *)b.children[0]->buffers[1] + b.children[0]->offset;
    for (int64_t i = 0; i < b.length; i++) {
      if (v[i] >= 0 && v[i] < n) counts[v[i]]++;
      rows++;
    }
    b.release(&b);
  }
  st.release(&st);
  return rows;
}

static bool all_once(const int *counts, int64_t from, int64_t to) {
  for (int64_t i = from; i < to; i++)
    if (counts[i] != 1) return fprintf(stderr, "id %lld seen %d times\n", (long long)i, counts[i]), false;
  return true;
}

static int count_sink_snapshots(prestige_iceberg_table_t *t, const char *writer) {
  int n = 0;
  const ice_table_metadata_t *md = t->loaded.metadata;
  for (size_t i = 0; i < md->n_snapshots; i++) {
    const char *w = ice_strmap_get(&md->snapshots[i]->summary, ISINK_WRITER_ID_KEY);
    if (w && !strcmp(w, writer)) n++;
  }
  return n;
}

static int count_manifests(const char *dir) {
  DIR *d = opendir(dir);
  int n = 0;
  struct dirent *de;
  while (d && (de = readdir(d)))
    if (!strncmp(de->d_name, "commit-", 7)) n++;
  if (d) closedir(d);
  return n;
}

/* A SQLite catalog NAME.db with its warehouse WH, both in the test's scratch directory. */
static prestige_iceberg_catalog_t *open_catalog(const char *name, const char *wh_name) {
  char db[600], wh[600];
  snprintf(db, sizeof db, "sqlite:%s/%s.db", test_tmpdir(), name);
  snprintf(wh, sizeof wh, "%s/%s", test_tmpdir(), wh_name);
  prestige_iceberg_catalog_options_t co = PRESTIGE_ICEBERG_CATALOG_OPTIONS_INIT;
  co.uri = db;
  co.warehouse = wh;
  prestige_iceberg_catalog_t *cat = NULL;
  CHECK_OK(prestige_iceberg_catalog_open(&cat, &co, &err));
  return cat;
}

typedef struct producer {
  prestige_iceberg_sink_t *sink;
  int64_t from, n;
  int rc;
} producer_t;

static void fill(reading_t *r, int64_t id) {
  r->id = id;
  r->ts = 1704067200000000LL + (id % 5) * 86400000000LL + id; /* 5 days: 5 partitions */
  static const char *names[] = {"a", "bb", "ccc"};
  r->sensor = (prestige_str_t){names[id % 3], strlen(names[id % 3])};
  r->value = (double)id / 4;
}

static void *produce(void *arg) {
  producer_t *p = arg;
  prestige_iceberg_sink_client_t *c = prestige_iceberg_sink_client_new(p->sink);
  prestige_error_t e;
  for (int64_t i = 0; i < p->n && !p->rc; i++) {
    reading_t r;
    fill(&r, p->from + i);
    p->rc = prestige_iceberg_sink_write(c, &r, &e);
  }
  if (!p->rc) p->rc = prestige_iceberg_sink_client_free(c, &e);
  return NULL;
}

static int max_inflight_seen;
static void on_commit(void *ud, const prestige_iceberg_sink_commit_info_t *info) {
  (void)ud;
  double v = 0;
  prestige_label_t l[1] = {{"sink", "telemetry.readings"}};
  if (!prestige_metrics_value("prestige.iceberg_sink.commits_in_flight", l, 1, &v, NULL, NULL) && v > max_inflight_seen)
    max_inflight_seen = (int)v;
  CHECK(info->snapshot_id > 0 && info->n_files > 0 && info->rows > 0);
}

TEST(four_producers_exactly_once) {
  char db[600], wh[600], md[600];
  snprintf(db, sizeof db, "sqlite:%s/cat.db", test_tmpdir());
  snprintf(wh, sizeof wh, "%s/wh", test_tmpdir());
  snprintf(md, sizeof md, "%s/man4", test_tmpdir());
  prestige_metrics_use_registry();
  prestige_iceberg_catalog_options_t co = PRESTIGE_ICEBERG_CATALOG_OPTIONS_INIT;
  co.uri = db;
  co.warehouse = wh;
  prestige_iceberg_catalog_t *cat;
  CHECK_OK(prestige_iceberg_catalog_open(&cat, &co, &err));
  prestige_iceberg_sink_options_t o = PRESTIGE_ICEBERG_SINK_OPTIONS_INIT;
  o.max_rows = 1500;
  o.batch_size = 250;
  o.max_pending_commits = 2;
  o.manifest_dir = md;
  o.on_commit = on_commit;
  prestige_iceberg_sink_t *s;
  CHECK_OK(prestige_iceberg_sink_open(&s, cat, &o, reading_record(), NULL, &err));
  if (!s) return;
  enum { N = 4, PER = 3000 };
  producer_t ps[N];
  pthread_t th[N];
  for (int i = 0; i < N; i++) {
    ps[i] = (producer_t){s, (int64_t)i * PER, PER, 0};
    pthread_create(&th[i], NULL, produce, &ps[i]);
  }
  for (int i = 0; i < N; i++) {
    pthread_join(th[i], NULL);
    CHECK_EQ_INT(ps[i].rc, 0);
  }
  prestige_iceberg_sink_client_t *c = prestige_iceberg_sink_client_new(s);
  prestige_iceberg_sink_commit_result_t r;
  CHECK_OK(prestige_iceberg_sink_commit(c, &r, &err));
  CHECK(r.commits >= 1 && r.n_files >= 1 && r.snapshot_id > 0);
  prestige_iceberg_sink_commit_result_release(&r);
  CHECK_OK(prestige_iceberg_sink_client_free(c, &err));
  char writer[256];
  snprintf(writer, sizeof writer, "%s", prestige_iceberg_sink_writer_id(s));
  CHECK_OK(prestige_iceberg_sink_close(s, NULL, &err));
  CHECK(max_inflight_seen >= 1 && max_inflight_seen <= 2);
  CHECK_EQ_INT(count_manifests(md), 0); /* every manifest removed once its snapshot landed */
  prestige_iceberg_table_t *t;
  CHECK_OK(prestige_iceberg_table_load(cat, "telemetry.readings", &t, &err));
  int *counts = calloc(N * PER, sizeof(int));
  CHECK_EQ_INT(scan_ids(t, NULL, counts, N * PER), N * PER);
  CHECK(all_once(counts, 0, N * PER));
  CHECK(count_sink_snapshots(t, writer) >= 8); /* 12000 rows at 1500 a commit */
  /* partitioned by day: 5 partitions, so at least 5 files in the first commit */
  CHECK_EQ_INT(t->loaded.metadata->specs[0]->n_fields, 1);
  /* the writer id survives a restart (kept in the manifest dir), and commit seqs continue */
  CHECK_OK(prestige_iceberg_sink_open(&s, cat, &o, reading_record(), NULL, &err));
  CHECK(s && !strcmp(prestige_iceberg_sink_writer_id(s), writer));
  CHECK(s && s->next_seq == isink_max_seq(t->loaded.metadata, writer) + 1);
  CHECK_OK(prestige_iceberg_sink_close(s, NULL, &err));
  free(counts);
  prestige_iceberg_table_free(t);
  prestige_iceberg_catalog_close(cat);
}

/* A test catalog with fault injection behind the public handle. */
typedef struct fcat {
  prestige_iceberg_catalog_t pub;
  file_catalog_t *fc;
  ice_io_t *io;
} fcat_t;

static void fcat_open(fcat_t *f, const char *name) {
  char root[600], wh[600];
  snprintf(root, sizeof root, "%s/%s-cat", test_tmpdir(), name);
  snprintf(wh, sizeof wh, "file://%s/%s-wh", test_tmpdir(), name);
  ice_io_new(NULL, &f->io, &err);
  f->fc = file_catalog_new(root, wh, f->io);
  f->pub.catalog = &f->fc->base;
}
static void fcat_close(fcat_t *f) {
  f->fc->base.ops->destroy(&f->fc->base);
  ice_io_free(f->io);
}

static int write_rows(prestige_iceberg_sink_t *s, int64_t from, int64_t n, prestige_iceberg_sink_commit_result_t *r) {
  prestige_iceberg_sink_client_t *c = prestige_iceberg_sink_client_new(s);
  int rc = 0;
  for (int64_t i = 0; i < n && !rc; i++) {
    reading_t x;
    fill(&x, from + i);
    rc = prestige_iceberg_sink_write(c, &x, &err);
  }
  if (!rc) rc = prestige_iceberg_sink_commit(c, r, &err);
  prestige_iceberg_sink_client_free(c, NULL);
  return rc;
}

TEST(unknown_outcomes_and_recovery) {
  fcat_t f;
  fcat_open(&f, "unk");
  char md[600];
  snprintf(md, sizeof md, "%s/man-unk", test_tmpdir());
  prestige_iceberg_sink_options_t o = PRESTIGE_ICEBERG_SINK_OPTIONS_INIT;
  o.manifest_dir = md;
  o.max_rows = 0;
  o.commit_retry_timeout_ms = 1000; /* the reload-failing cases below give up after it: left for a restart */
  prestige_iceberg_sink_t *s;
  CHECK_OK(prestige_iceberg_sink_open(&s, &f.pub, &o, reading_record(), NULL, &err));
  if (!s) return;
  char writer[256];
  snprintf(writer, sizeof writer, "%s", prestige_iceberg_sink_writer_id(s));
  prestige_iceberg_sink_commit_result_t r;
  /* landed, reported unknown: found by its writer-id/commit-seq, not sent again */
  f.fc->unknown_after = 1;
  int before = f.fc->commits;
  CHECK_OK(write_rows(s, 0, 100, &r));
  CHECK_EQ_INT(f.fc->commits, before + 1);
  prestige_iceberg_sink_commit_result_release(&r);
  /* not landed, reported unknown: retried */
  f.fc->unknown_before = 1;
  CHECK_OK(write_rows(s, 100, 100, &r));
  prestige_iceberg_sink_commit_result_release(&r);
  /* landed, reported unknown, and the table cannot be reloaded: left for recovery */
  f.fc->unknown_after = 1;
  f.fc->unknown_load_fail = 100;
  CHECK_ERR(write_rows(s, 200, 100, &r), PRESTIGE_EUNKNOWN_STATE, "may or may not have landed");
  CHECK_EQ_INT(count_manifests(md), 1);
  prestige_iceberg_sink_close(s, NULL, NULL);
  f.fc->unknown_load_fail = 0;
  /* not landed and unknown, reload failing: left for recovery too (a second sink, same dir) */
  CHECK_OK(prestige_iceberg_sink_open(&s, &f.pub, &o, reading_record(), NULL, &err));
  int64_t rec_rows = 0;
  CHECK_EQ_INT(prestige_iceberg_sink_recovered(s, &rec_rows), 1); /* found landed: confirmed, not re-sent */
  CHECK_EQ_INT(rec_rows, 100);
  CHECK_EQ_INT(count_manifests(md), 0);
  f.fc->unknown_before = 1;
  f.fc->unknown_load_fail = 100;
  CHECK_ERR(write_rows(s, 300, 100, &r), PRESTIGE_EUNKNOWN_STATE, "may or may not have landed");
  prestige_iceberg_sink_close(s, NULL, NULL);
  f.fc->unknown_load_fail = 0;
  f.fc->unknown_before = 0;
  before = f.fc->commits;
  CHECK_OK(prestige_iceberg_sink_open(&s, &f.pub, &o, reading_record(), NULL, &err));
  CHECK_EQ_INT(prestige_iceberg_sink_recovered(s, &rec_rows), 1); /* committed by recovery */
  CHECK_EQ_INT(f.fc->commits, before + 1);
  CHECK_OK(prestige_iceberg_sink_close(s, NULL, &err));
  prestige_iceberg_table_t *t;
  CHECK_OK(prestige_iceberg_table_load(&f.pub, "telemetry.readings", &t, &err));
  int counts[400] = {0};
  CHECK_EQ_INT(scan_ids(t, NULL, counts, 400), 400);
  CHECK(all_once(counts, 0, 400));
  CHECK_EQ_INT(count_sink_snapshots(t, writer), 4);
  /* a recovery manifest that is not one: an error naming it */
  char bad[700];
  snprintf(bad, sizeof bad, "%s/commit-00000000000000000099.avro", md);
  FILE *fp = fopen(bad, "w");
  fputs("not avro", fp);
  fclose(fp);
  CHECK_ERR(prestige_iceberg_sink_open(&s, &f.pub, &o, reading_record(), NULL, &err), PRESTIGE_ECORRUPT,
            "commit-00000000000000000099.avro");
  remove(bad);
  prestige_iceberg_table_free(t);
  fcat_close(&f);
}

TEST(write_audit_publish) {
  prestige_iceberg_catalog_t *cat = open_catalog("wap", "wapwh");
  if (!cat) return;
  prestige_iceberg_sink_options_t o = PRESTIGE_ICEBERG_SINK_OPTIONS_INIT;
  o.wap_branch = "audit";
  prestige_iceberg_sink_t *s, *m;
  CHECK_OK(prestige_iceberg_sink_open(&s, cat, &o, reading_record(), NULL, &err));
  prestige_iceberg_sink_options_t mo = PRESTIGE_ICEBERG_SINK_OPTIONS_INIT;
  CHECK_OK(prestige_iceberg_sink_open(&m, cat, &mo, reading_record(), NULL, &err));
  if (!s || !m) return;
  prestige_iceberg_sink_commit_result_t r;
  CHECK_OK(write_rows(s, 0, 50, &r));
  int64_t staged = r.snapshot_id;
  prestige_iceberg_sink_commit_result_release(&r);
  prestige_iceberg_table_t *t;
  CHECK_OK(prestige_iceberg_table_load(cat, "telemetry.readings", &t, &err));
  CHECK_EQ_INT(prestige_iceberg_table_current_snapshot_id(t), -1); /* main did not move */
  int counts[200] = {0};
  CHECK_EQ_INT(scan_ids(t, "audit", counts, 200), 50);
  const ice_snapshot_t *sn = ice_metadata_snapshot(t->loaded.metadata, staged);
  CHECK(sn && ice_strmap_get(&sn->summary, "wap.id") && !strcmp(ice_strmap_get(&sn->summary, "wap.id"), "audit"));
  /* fast-forward */
  prestige_iceberg_sink_client_t *c = prestige_iceberg_sink_client_new(s);
  int64_t pub = 0;
  CHECK_OK(prestige_iceberg_sink_publish(c, &pub, &err));
  CHECK_EQ_INT(pub, staged);
  /* stage more, move main, publish: a cherry-pick */
  CHECK_OK(write_rows(s, 50, 30, &r));
  prestige_iceberg_sink_commit_result_release(&r);
  CHECK_OK(write_rows(m, 80, 20, &r));
  int64_t main_before = r.snapshot_id;
  prestige_iceberg_sink_commit_result_release(&r);
  CHECK_OK(prestige_iceberg_sink_publish(c, &pub, &err));
  CHECK(pub != main_before && pub > 0);
  int64_t again = 0;
  CHECK_OK(prestige_iceberg_publish(t, "audit", &again, &err)); /* nothing new */
  CHECK_EQ_INT(again, pub);
  memset(counts, 0, sizeof counts);
  CHECK_EQ_INT(scan_ids(t, NULL, counts, 200), 100);
  CHECK(all_once(counts, 0, 100));
  sn = ice_metadata_snapshot(t->loaded.metadata, pub);
  CHECK(sn && ice_strmap_get(&sn->summary, "source-snapshot-id") && ice_strmap_get(&sn->summary, "published-wap-id"));
  CHECK_ERR(prestige_iceberg_publish(t, "nope", NULL, &err), PRESTIGE_ENOTFOUND, "no branch nope");
  CHECK_ERR(prestige_iceberg_publish(t, "main", NULL, &err), PRESTIGE_EINVAL, "other than main");
  prestige_iceberg_sink_client_free(c, NULL);
  /* publish without a WAP branch */
  c = prestige_iceberg_sink_client_new(m);
  CHECK_ERR(prestige_iceberg_sink_publish(c, NULL, &err), PRESTIGE_EINVAL, "needs a WAP branch");
  prestige_iceberg_sink_client_free(c, NULL);
  CHECK_OK(prestige_iceberg_sink_close(s, NULL, &err));
  CHECK_OK(prestige_iceberg_sink_close(m, NULL, &err));
  prestige_iceberg_table_free(t);
  prestige_iceberg_catalog_close(cat);
}

/* A slow catalog (150 ms before each swap): the writer keeps sealing while commits land, so the
 * in-flight gauge reaches max_pending_commits, and the commits still land in order. */
static void slow_swap(void *user) {
  (void)user;
  struct timespec ts = {0, 150000000L};
  nanosleep(&ts, NULL);
}
static int64_t last_seq_seen;
static bool in_order = true;
static void on_commit_order(void *ud, const prestige_iceberg_sink_commit_info_t *info) {
  on_commit(ud, info);
  if (info->commit_seq != last_seq_seen + 1) in_order = false;
  last_seq_seen = info->commit_seq;
}

TEST(pipelined_commits_with_a_slow_catalog) {
  prestige_iceberg_catalog_t *cat = open_catalog("slow", "slowwh");
  if (!cat) return;
  prestige_iceberg_sink_options_t o = PRESTIGE_ICEBERG_SINK_OPTIONS_INIT;
  o.max_rows = 200;
  o.batch_size = 100;
  o.max_pending_commits = 3;
  o.on_commit = on_commit_order;
  prestige_iceberg_sink_t *s;
  CHECK_OK(prestige_iceberg_sink_open(&s, cat, &o, reading_record(), NULL, &err));
  if (!s) return;
  max_inflight_seen = 0;
  ice_catalog_sql_before_swap = slow_swap;
  prestige_iceberg_sink_commit_result_t r;
  CHECK_OK(write_rows(s, 0, 3000, &r)); /* 15 commits */
  ice_catalog_sql_before_swap = NULL;
  CHECK_EQ_INT(r.rows, 3000);
  CHECK_EQ_INT(r.commits, 15);
  prestige_iceberg_sink_commit_result_release(&r);
  CHECK_EQ_INT(max_inflight_seen, 3);
  CHECK(in_order);
  CHECK_OK(prestige_iceberg_sink_close(s, NULL, &err));
  prestige_iceberg_catalog_close(cat);
}

TEST(bad_options) {
  char db[600];
  snprintf(db, sizeof db, "sqlite:%s/bad.db", test_tmpdir());
  prestige_iceberg_catalog_options_t co = PRESTIGE_ICEBERG_CATALOG_OPTIONS_INIT;
  co.uri = db;
  prestige_iceberg_catalog_t *cat;
  CHECK_OK(prestige_iceberg_catalog_open(&cat, &co, &err));
  prestige_iceberg_sink_t *s = NULL;
  prestige_iceberg_sink_options_t o = PRESTIGE_ICEBERG_SINK_OPTIONS_INIT;
  o.version = 0;
  CHECK_ERR(prestige_iceberg_sink_open(&s, cat, &o, reading_record(), NULL, &err), PRESTIGE_EINVAL, "options.version 0");
  o.version = PRESTIGE_ICEBERG_SINK_OPTIONS_VERSION;
  o.max_pending_commits = 0;
  CHECK_ERR(prestige_iceberg_sink_open(&s, cat, &o, reading_record(), NULL, &err), PRESTIGE_EINVAL, "max_pending_commits");
  o.max_pending_commits = 3;
  o.auto_publish = true;
  CHECK_ERR(prestige_iceberg_sink_open(&s, cat, &o, reading_record(), NULL, &err), PRESTIGE_EINVAL, "auto_publish needs");
  o.auto_publish = false;
  o.wap_branch = "main";
  CHECK_ERR(prestige_iceberg_sink_open(&s, cat, &o, reading_record(), NULL, &err), PRESTIGE_EINVAL, "other than main");
  o.wap_branch = NULL;
  CHECK_ERR(prestige_iceberg_sink_open(&s, cat, &o, NULL, NULL, &err), PRESTIGE_EINVAL, "record type or an Arrow schema");
  CHECK(prestige_iceberg_sink_open(&s, cat, &o, NULL, NULL, NULL) == PRESTIGE_EINVAL); /* NULL err is fine */
  /* without a warehouse the table cannot be created: the catalog's message */
  CHECK(prestige_iceberg_sink_open(&s, cat, &o, reading_record(), NULL, &err) != 0 && s == NULL);
  CHECK(prestige_iceberg_sink_client_new(NULL) == NULL);
  CHECK(prestige_iceberg_sink_close(NULL, NULL, NULL) == 0);
  prestige_iceberg_catalog_close(cat);
}

/* writer_threads (options version 3): the data files are the same bytes with 1 and 3 encoding
 * threads; out-of-range counts are refused; a version 2 struct ignores the field. */
typedef struct file_list {
  char *paths[64];
  size_t n;
} file_list_t;
static void keep_files(void *ud, const prestige_iceberg_sink_commit_info_t *info) {
  file_list_t *l = ud;
  for (size_t i = 0; i < info->n_files && l->n < 64; i++) l->paths[l->n++] = strdup(info->files[i]);
}
/* by partition directory (the part after the warehouse), then name */
static int by_dir(const void *a, const void *b) {
  const char *x = strstr(*(char *const *)a, "/data/"), *y = strstr(*(char *const *)b, "/data/");
  if (!x || !y) return !x - !y;
  size_t lx = (size_t)(strrchr(x, '/') - x), ly = (size_t)(strrchr(y, '/') - y);
  int c = strncmp(x, y, lx < ly ? lx : ly);
  return c ? c : lx != ly ? (lx < ly ? -1 : 1) : strcmp(x, y);
}
static char *slurp(const char *loc, size_t *n) {
  const char *path = !strncmp(loc, "file://", 7) ? loc + 7 : loc;
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long len = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *d = malloc((size_t)len + 1);
  *n = d ? fread(d, 1, (size_t)len, f) : 0;
  fclose(f);
  return d;
}

TEST(writer_threads_same_files) {
  file_list_t lists[2] = {{{0}, 0}, {{0}, 0}};
  for (int run = 0; run < 2; run++) {
    char name[16], wh[16];
    snprintf(name, sizeof name, "wt%d", run);
    snprintf(wh, sizeof wh, "wt%dwh", run);
    prestige_iceberg_catalog_t *cat = open_catalog(name, wh);
    if (!cat) return;
    prestige_iceberg_sink_options_t o = PRESTIGE_ICEBERG_SINK_OPTIONS_INIT;
    CHECK_EQ_INT(o.writer_threads, 1);
    o.max_rows = 0;
    o.writer_threads = run ? 3 : 1;
    o.on_commit = keep_files;
    o.user_data = &lists[run];
    prestige_iceberg_sink_t *s = NULL;
    if (run) {
      o.writer_threads = 0;
      CHECK_ERR(prestige_iceberg_sink_open(&s, cat, &o, reading_record(), NULL, &err), PRESTIGE_EINVAL, "writer_threads");
      o.writer_threads = PRESTIGE_PARQUET_WRITER_MAX_THREADS + 1;
      CHECK_ERR(prestige_iceberg_sink_open(&s, cat, &o, reading_record(), NULL, &err), PRESTIGE_EINVAL, "writer_threads");
      o.version = 2; /* the field is not read from a version 2 struct */
      CHECK_OK(prestige_iceberg_sink_open(&s, cat, &o, reading_record(), NULL, &err));
      if (s) CHECK_OK(prestige_iceberg_sink_close(s, NULL, &err));
      o.version = PRESTIGE_ICEBERG_SINK_OPTIONS_VERSION;
      o.writer_threads = 3;
    }
    CHECK_OK(prestige_iceberg_sink_open(&s, cat, &o, reading_record(), NULL, &err));
    if (!s) {
      prestige_iceberg_catalog_close(cat);
      return;
    }
    producer_t p = {s, 0, 60000, 0};
    produce(&p);
    CHECK_EQ_INT(p.rc, 0);
    CHECK_OK(prestige_iceberg_sink_close(s, NULL, &err));
    prestige_iceberg_catalog_close(cat);
    qsort(lists[run].paths, lists[run].n, sizeof(char *), by_dir);
  }
  CHECK_EQ_INT(lists[0].n, 5); /* 5 days */
  CHECK_EQ_INT(lists[1].n, lists[0].n);
  for (size_t i = 0; i < lists[0].n && i < lists[1].n; i++) {
    size_t n0 = 0, n1 = 0;
    char *a = slurp(lists[0].paths[i], &n0), *b = slurp(lists[1].paths[i], &n1);
    CHECK_MSG(a && b && n0 == n1 && n0 > 0 && !memcmp(a, b, n0), "%s and %s differ", lists[0].paths[i], lists[1].paths[i]);
    free(a);
    free(b);
  }
  for (int run = 0; run < 2; run++)
    for (size_t i = 0; i < lists[run].n; i++) free(lists[run].paths[i]);
}

/* write_batch moves the batch on every path: refused ones are released too (ASan finds a leak) */
TEST(batches_are_moved) {
  prestige_iceberg_catalog_t *cat = open_catalog("moved", "movedwh");
  if (!cat) return;
  prestige_iceberg_sink_options_t o = PRESTIGE_ICEBERG_SINK_OPTIONS_INIT;
  prestige_iceberg_sink_t *s = NULL;
  CHECK_OK(prestige_iceberg_sink_open(&s, cat, &o, reading_record(), NULL, &err));
  if (!s) return;
  prestige_iceberg_sink_client_t *c = prestige_iceberg_sink_client_new(s);
  /* a batch of another schema: one int64 column */
  struct ArrowSchema other;
  CHECK_OK(prestige_text_parse_schema("x:int64", &other, &err));
  prestige_array_builder_t *b = NULL;
  CHECK_OK(prestige_array_builder_new(&b, &other, &err));
  struct ArrowArray batch = {0};
  if (b) {
    CHECK_OK(prestige_array_builder_append_int(prestige_array_builder_child(b, 0), 7, &err));
    CHECK_OK(prestige_array_builder_append_struct(b, &err));
    CHECK_OK(prestige_array_builder_finish(b, &batch, &err));
    prestige_array_builder_free(b);
  }
  CHECK_ERR(prestige_iceberg_sink_write_batch(c, &batch, &err), PRESTIGE_EINVAL, "does not match the schema");
  CHECK(batch.release == NULL);
  CHECK_ERR(prestige_iceberg_sink_write_batch(c, &batch, &err), PRESTIGE_EINVAL, "already released");
  CHECK_OK(prestige_iceberg_sink_write_many(c, NULL, 0, &err));
  CHECK_OK(prestige_iceberg_sink_client_free(c, &err));
  CHECK_OK(prestige_iceberg_sink_close(s, NULL, &err));
  other.release(&other);
  prestige_iceberg_catalog_close(cat);
}

TEST_MAIN(RUN(batches_are_moved); RUN(writer_threads_same_files); RUN(four_producers_exactly_once); RUN(unknown_outcomes_and_recovery); RUN(write_audit_publish);
          RUN(pipelined_commits_with_a_slow_catalog); RUN(bad_options);)
