/* The public table API (prestige/iceberg.h) on an SQLite catalog: the header's example, appends
 * and scans round-tripping random rows of every common type (checked against DuckDB reading the
 * source rows), time travel by id and timestamp, branches, incremental ranges, projection and
 * filters, renamed and added columns, planning counters, options, and bad input (NULL err too). */
#include <dirent.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "iceberg/table.h"
#include "prestige/iceberg.h"
#include "prestige/iceberg_maintenance.h"
#include "prestige/text.h"
#include "table_util.h"

static prestige_error_t err;

typedef struct api_env {
  prestige_iceberg_catalog_t *cat;
  prestige_iceberg_table_t *t;
  struct ArrowSchema arrow; /* the table's schema */
} api_env_t;

static int env_open(api_env_t *e, const char *table, const char *spec, const char *partition) {
  memset(e, 0, sizeof *e);
  char uri[700], wh[700];
  snprintf(uri, sizeof uri, "sqlite:%s/api-catalog.db", test_tmpdir());
  snprintf(wh, sizeof wh, "file://%s/api-wh", test_tmpdir());
  prestige_iceberg_catalog_options_t co = PRESTIGE_ICEBERG_CATALOG_OPTIONS_INIT;
  co.uri = uri;
  co.warehouse = wh;
  PRESTIGE_TRY(prestige_iceberg_catalog_open(&e->cat, &co, &err));
  bool exists;
  PRESTIGE_TRY(prestige_iceberg_namespace_exists(e->cat, "db", &exists, &err));
  if (!exists) PRESTIGE_TRY(prestige_iceberg_namespace_create(e->cat, "db", NULL, 0, &err));
  struct ArrowSchema s;
  PRESTIGE_TRY(prestige_text_parse_schema(spec, &s, &err));
  s.children[0]->flags &= ~ARROW_FLAG_NULLABLE; /* the first column is required */
  prestige_iceberg_create_options_t o = PRESTIGE_ICEBERG_CREATE_OPTIONS_INIT;
  o.partition = partition;
  char ident[128];
  snprintf(ident, sizeof ident, "db.%s", table);
  int rc = prestige_iceberg_table_create(e->cat, ident, &s, &o, &e->t, &err);
  s.release(&s);
  if (!rc) rc = prestige_iceberg_table_schema(e->t, &e->arrow, &err);
  return rc;
}

static void env_close(api_env_t *e) {
  if (e->arrow.release) e->arrow.release(&e->arrow);
  prestige_iceberg_table_free(e->t);
  prestige_iceberg_catalog_close(e->cat);
  memset(e, 0, sizeof *e);
}

/* Appends a copy of batch (the original stays the caller's); *snap gets the snapshot id. */
static int append_copy(api_env_t *e, const struct ArrowArray *batch, const prestige_iceberg_append_options_t *o, int64_t *snap) {
  prestige_iceberg_append_t *a;
  PRESTIGE_TRY(prestige_iceberg_append_new(&a, e->t, o, &err));
  struct ArrowArray c;
  int rc = tt_copy(&e->arrow, batch, &c, &err);
  if (!rc) rc = prestige_iceberg_append_write(a, &c, &e->arrow, &err);
  prestige_iceberg_append_result_t res;
  if (!rc) rc = prestige_iceberg_append_commit(a, &res, &err);
  if (!rc) {
    if (snap) *snap = res.snapshot_id;
    if (res.added_records != batch->length) rc = prestige_error_set(&err, PRESTIGE_EINTERNAL, "added_records %lld", (long long)res.added_records);
    prestige_iceberg_append_result_release(&res);
  }
  prestige_iceberg_append_free(a);
  return rc;
}

static int scan_to(api_env_t *e, const prestige_iceberg_scan_options_t *o, const char *path, int64_t *rows,
                   prestige_iceberg_scan_stats_t *stats) {
  struct ArrowArrayStream st;
  PRESTIGE_TRY(prestige_iceberg_scan(e->t, o, &st, stats, &err));
  return tt_stream_to_parquet(&st, path, rows, &err);
}

static const char *TYPES = "id:int64,ts:timestamp(us,UTC),name:string,price:decimal(9,2),f:double,flag:bool,d:date,n:int32";

/* ---- the header's example, verbatim between example:begin and example:end ------------------------- */
static int header_example(prestige_iceberg_table_t *table, struct ArrowArray batch, struct ArrowSchema schema,
                          struct ArrowArrayStream *out_stream, int64_t *out_snapshot) {
  struct ArrowArrayStream stream;
  /* clang-format off */
  prestige_iceberg_append_t *a;                                      // example:begin
  prestige_iceberg_append_options_t ao = PRESTIGE_ICEBERG_APPEND_OPTIONS_INIT;
  if (prestige_iceberg_append_new(&a, table, &ao, &err)) return -1;
  prestige_iceberg_append_write(a, &batch, &schema, &err);           // batch moved in
  prestige_iceberg_append_result_t res;
  prestige_iceberg_append_commit(a, &res, &err);                     // one snapshot
  prestige_iceberg_append_free(a);
  prestige_iceberg_scan_options_t so = PRESTIGE_ICEBERG_SCAN_OPTIONS_INIT;
  so.where = "ts >= '2024-01-02'";  so.snapshot_id = res.snapshot_id;
  prestige_iceberg_scan(table, &so, &stream, NULL, &err);            // an ArrowArrayStream
  prestige_iceberg_append_result_release(&res);                      // example:end
  /* clang-format on */
  *out_stream = stream;
  *out_snapshot = prestige_iceberg_table_current_snapshot_id(table);
  return 0;
}

TEST(example_from_header) {
  api_env_t e;
  int rc = env_open(&e, "example", TYPES, "day(ts)");
  CHECK_MSG(rc == 0, "open: %s", err.message);
  if (rc) return env_close(&e);
  tt_seed(1);
  struct ArrowArray b;
  CHECK_OK(tt_batch(&e.arrow, 500, 0.1, &b, &err));
  CHECK_OK(tt_write_parquet(tt_path("ex-src.parquet"), &e.arrow, &b, 1, &err));
  struct ArrowArrayStream st;
  int64_t snap = -1;
  CHECK_EQ_INT(header_example(e.t, b, e.arrow, &st, &snap), 0); /* b moved in */
  CHECK(snap > 0);
  int64_t rows = 0;
  CHECK_OK(tt_stream_to_parquet(&st, tt_path("ex-scan.parquet"), &rows, &err));
  CHECK(rows > 0 && rows < 500);
  tt_duck_expect_same(tt_path("ex-src.parquet"), tt_path("ex-scan.parquet"), "*", "ts >= '2024-01-02'", "header example");
  env_close(&e);
}

/* ---- round trips, time travel, incremental, projection, filters, planning ------------------------- */
TEST(round_trips_and_time_travel) {
  api_env_t e;
  int rc = env_open(&e, "rt", TYPES, "bucket(4,id),day(ts),truncate(2,name)");
  CHECK_MSG(rc == 0, "open: %s", err.message);
  if (rc) return env_close(&e);
  tt_seed(2);
  struct ArrowArray b[3];
  int64_t snap[3] = {0};
  const int64_t sizes[3] = {300, 200, 250};
  for (int k = 0; k < 3; k++) {
    char name[64];
    CHECK_OK(tt_batch(&e.arrow, sizes[k], 0.1, &b[k], &err));
    snprintf(name, sizeof name, "rt-src-%d.parquet", k);
    CHECK_OK(tt_write_parquet(tt_path(name), &e.arrow, &b[k], 1, &err));
    CHECK_OK(append_copy(&e, &b[k], NULL, &snap[k]));
    CHECK_EQ_INT(prestige_iceberg_table_current_snapshot_id(e.t), snap[k]); /* the handle follows the commit */
    struct timespec ts = {0, 20 * 1000000};
    nanosleep(&ts, NULL);
  }
  char all[2048], first_two[2048], last_two[2048];
  snprintf(all, sizeof all, "%s', '%s', '%s", tt_path("rt-src-0.parquet"), tt_path("rt-src-1.parquet"), tt_path("rt-src-2.parquet"));
  snprintf(first_two, sizeof first_two, "%s', '%s", tt_path("rt-src-0.parquet"), tt_path("rt-src-1.parquet"));
  snprintf(last_two, sizeof last_two, "%s', '%s", tt_path("rt-src-1.parquet"), tt_path("rt-src-2.parquet"));
  int64_t rows;
  prestige_iceberg_scan_options_t o = PRESTIGE_ICEBERG_SCAN_OPTIONS_INIT;
  prestige_iceberg_scan_stats_t st;
  CHECK_OK(scan_to(&e, &o, tt_path("rt-all.parquet"), &rows, &st));
  CHECK_EQ_INT(rows, 750);
  CHECK_EQ_INT(st.snapshot_id, snap[2]);
  CHECK_EQ_INT(st.manifests, 3);
  CHECK_EQ_INT(st.files_read, st.files_planned);
  CHECK(st.row_groups >= st.files_read && st.files_planned == st.files);
  tt_duck_expect_same(all, tt_path("rt-all.parquet"), "*", NULL, "current snapshot");
  /* by snapshot id */
  o.snapshot_id = snap[0];
  CHECK_OK(scan_to(&e, &o, tt_path("rt-s0.parquet"), &rows, NULL));
  CHECK_EQ_INT(rows, 300);
  tt_duck_expect_same(tt_path("rt-src-0.parquet"), tt_path("rt-s0.parquet"), "*", NULL, "snapshot 0");
  /* by timestamp: the snapshot current then */
  o.snapshot_id = PRESTIGE_ICEBERG_NONE;
  const prestige_iceberg_snapshot_t *snaps;
  int64_t ns = prestige_iceberg_table_snapshots(e.t, &snaps);
  CHECK_EQ_INT(ns, 3);
  if (ns == 3) {
    o.as_of_ms = snaps[1].timestamp_ms + 1;
    CHECK_OK(scan_to(&e, &o, tt_path("rt-asof.parquet"), &rows, &st));
    CHECK_EQ_INT(st.snapshot_id, snap[1]);
    CHECK_EQ_INT(rows, 500);
    tt_duck_expect_same(first_two, tt_path("rt-asof.parquet"), "*", NULL, "as of snapshot 1");
    o.as_of_ms = snaps[0].timestamp_ms - 1000;
    CHECK_ERR(scan_to(&e, &o, tt_path("rt-x.parquet"), &rows, NULL), PRESTIGE_ENOTFOUND, "");
  }
  o.as_of_ms = PRESTIGE_ICEBERG_NONE;
  /* incremental: (s0, current] and (s0, s1] */
  o.since_snapshot_id = snap[0];
  CHECK_OK(scan_to(&e, &o, tt_path("rt-inc.parquet"), &rows, NULL));
  CHECK_EQ_INT(rows, 450);
  tt_duck_expect_same(last_two, tt_path("rt-inc.parquet"), "*", NULL, "since s0");
  o.until_snapshot_id = snap[1];
  CHECK_OK(scan_to(&e, &o, tt_path("rt-inc1.parquet"), &rows, NULL));
  CHECK_EQ_INT(rows, 200);
  tt_duck_expect_same(tt_path("rt-src-1.parquet"), tt_path("rt-inc1.parquet"), "*", NULL, "since s0 until s1");
  o.since_snapshot_id = o.until_snapshot_id = PRESTIGE_ICEBERG_NONE;
  /* projection (in the order asked) with a filter on other columns, as text and as a predicate */
  const char *cols[] = {"price", "name", "id"};
  o.columns = cols;
  o.n_columns = 3;
  o.where = "ts < '2024-01-10' AND f > 0";
  prestige_predicate_t *p;
  CHECK_OK(prestige_predicate_parse("name IS NOT NULL", &p, &err));
  o.filter = p;
  CHECK_OK(scan_to(&e, &o, tt_path("rt-proj.parquet"), &rows, &st));
  prestige_predicate_free(p); /* the scan kept its text */
  o.filter = NULL;
  o.where = "ts < '2024-01-10' AND f > 0 AND name IS NOT NULL";
  CHECK(rows > 0 && rows < 750);
  CHECK(st.files_pruned_partition > 0);
  tt_duck_expect_same(all, tt_path("rt-proj.parquet"), "price, name, id", "ts < '2024-01-10' AND f > 0 AND name IS NOT NULL",
                      "projection + filter");
  /* column order of the output */
  struct ArrowArrayStream s;
  CHECK_OK(prestige_iceberg_scan(e.t, &o, &s, NULL, &err));
  struct ArrowSchema os;
  if (s.release && s.get_schema(&s, &os) == 0) {
    CHECK_EQ_INT(os.n_children, 3);
    if (os.n_children == 3) {
      CHECK_EQ_STR(os.children[0]->name, "price");
      CHECK_EQ_STR(os.children[2]->name, "id");
    }
    os.release(&os);
  }
  if (s.release) s.release(&s); /* released before the end: nothing leaks */
  /* planning only: the file list agrees with the counters; a filter on the partition prunes */
  prestige_iceberg_scan_options_t po = PRESTIGE_ICEBERG_SCAN_OPTIONS_INIT;
  prestige_iceberg_scan_plan_t plan;
  CHECK_OK(prestige_iceberg_scan_plan(e.t, &po, &plan, &err));
  CHECK_EQ_INT(plan.n_files, plan.stats.files_planned);
  int64_t recs = 0;
  for (int64_t i = 0; i < plan.n_files; i++) {
    recs += plan.files[i].record_count;
    CHECK(strstr(plan.files[i].partition, "id_bucket=") == plan.files[i].partition);
    CHECK(strstr(plan.files[i].path, ".parquet") != NULL);
  }
  CHECK_EQ_INT(recs, 750);
  int64_t all_files = plan.n_files;
  prestige_iceberg_scan_plan_release(&plan);
  po.where = "ts >= '2024-01-20' AND ts < '2024-01-21'";
  CHECK_OK(prestige_iceberg_scan_plan(e.t, &po, &plan, &err));
  CHECK(plan.n_files < all_files);
  CHECK_EQ_INT(plan.stats.files_pruned_partition + plan.stats.files_pruned_stats + plan.n_files, all_files);
  for (int64_t i = 0; i < plan.n_files; i++) CHECK(strstr(plan.files[i].partition, "ts_day=2024-01-20") != NULL);
  prestige_iceberg_scan_plan_release(&plan);
  for (int k = 0; k < 3; k++) b[k].release(&b[k]);
  env_close(&e);
}

/* ---- branches, options ---------------------------------------------------------------------------- */
static int count_files(const char *dir) {
  DIR *d = opendir(dir);
  if (!d) return 0;
  int n = 0;
  struct dirent *de;
  while ((de = readdir(d))) {
    if (de->d_name[0] == '.') continue;
    char p[1200];
    snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
    struct stat sb;
    if (stat(p, &sb) == 0 && S_ISDIR(sb.st_mode)) n += count_files(p);
    else if (strstr(de->d_name, ".parquet")) n++;
  }
  closedir(d);
  return n;
}

TEST(branches_and_options) {
  api_env_t e;
  int rc = env_open(&e, "br", "id:int64,s:string,v:double", NULL);
  CHECK_MSG(rc == 0, "open: %s", err.message);
  if (rc) return env_close(&e);
  tt_seed(3);
  struct ArrowArray m, d;
  CHECK_OK(tt_batch(&e.arrow, 400, 0.1, &m, &err));
  CHECK_OK(tt_batch(&e.arrow, 150, 0.1, &d, &err));
  CHECK_OK(tt_write_parquet(tt_path("br-main.parquet"), &e.arrow, &m, 1, &err));
  CHECK_OK(tt_write_parquet(tt_path("br-dev.parquet"), &e.arrow, &d, 1, &err));
  int64_t s_main, s_dev;
  CHECK_OK(append_copy(&e, &m, NULL, &s_main));
  /* to a new branch, with a small target file size, another codec and summary properties */
  prestige_iceberg_append_options_t ao = PRESTIGE_ICEBERG_APPEND_OPTIONS_INIT;
  ao.branch = "dev";
  ao.target_file_size_bytes = 1;
  ao.compression = PRESTIGE_COMPRESSION_SNAPPY;
  ao.threads = 3; /* each data file's columns encoded on 3 threads: the rows below read back the same */
  prestige_kv_t kv = {.key = "app.batch", .value = "42", .value_len = -1};
  ao.summary = &kv;
  ao.n_summary = 1;
  prestige_iceberg_append_t *a;
  CHECK_OK(prestige_iceberg_append_new(&a, e.t, &ao, &err));
  struct ArrowArray c1, c2;
  CHECK_OK(tt_copy(&e.arrow, &d, &c1, &err));
  CHECK_OK(tt_copy(&e.arrow, &d, &c2, &err));
  /* two batches through a stream of one and a direct write */
  CHECK_OK(prestige_iceberg_append_write(a, &c1, &e.arrow, &err));
  CHECK_EQ_INT(prestige_iceberg_append_rows(a), 150);
  prestige_iceberg_append_result_t res;
  CHECK_OK(prestige_iceberg_append_commit(a, &res, &err));
  s_dev = res.snapshot_id;
  CHECK(res.added_files >= 1);
  CHECK_EQ_INT(res.added_records, 150);
  CHECK(res.data_files && res.data_files[0] && strstr(res.data_files[0], "/data/"));
  /* committed: more writes are refused, the batch released */
  CHECK_ERR(prestige_iceberg_append_write(a, &c2, &e.arrow, &err), PRESTIGE_EINVAL, "already committed");
  CHECK(c2.release == NULL);
  prestige_iceberg_append_result_release(&res);
  prestige_iceberg_append_free(a);
  /* main is untouched; the branch holds both */
  CHECK_EQ_INT(prestige_iceberg_table_current_snapshot_id(e.t), s_main);
  int64_t at;
  CHECK_OK(prestige_iceberg_ref_snapshot(e.t, "dev", &at, &err));
  CHECK_EQ_INT(at, s_dev);
  const prestige_iceberg_snapshot_t *snaps;
  int64_t ns = prestige_iceberg_table_snapshots(e.t, &snaps);
  bool found = false;
  for (int64_t i = 0; i < ns; i++)
    if (snaps[i].snapshot_id == s_dev)
      for (int64_t k = 0; k < snaps[i].n_summary; k++)
        found |= !strcmp(snaps[i].summary[k].key, "app.batch") && !strcmp(snaps[i].summary[k].value, "42");
  CHECK(found);
  int64_t rows;
  prestige_iceberg_scan_options_t o = PRESTIGE_ICEBERG_SCAN_OPTIONS_INIT;
  o.ref = "dev";
  CHECK_OK(scan_to(&e, &o, tt_path("br-dev-scan.parquet"), &rows, NULL));
  CHECK_EQ_INT(rows, 550);
  char both[1300];
  snprintf(both, sizeof both, "%s', '%s", tt_path("br-main.parquet"), tt_path("br-dev.parquet"));
  tt_duck_expect_same(both, tt_path("br-dev-scan.parquet"), "*", NULL, "branch dev");
  o.ref = NULL;
  CHECK_OK(scan_to(&e, &o, tt_path("br-main-scan.parquet"), &rows, NULL));
  CHECK_EQ_INT(rows, 400);
  tt_duck_expect_same(tt_path("br-main.parquet"), tt_path("br-main-scan.parquet"), "*", NULL, "branch main");
  /* an append freed without a commit leaves no file behind */
  char data[800];
  snprintf(data, sizeof data, "%s/api-wh/db/br/data", test_tmpdir());
  int before = count_files(data);
  CHECK_OK(prestige_iceberg_append_new(&a, e.t, NULL, &err));
  CHECK_OK(tt_copy(&e.arrow, &d, &c2, &err));
  CHECK_OK(prestige_iceberg_append_write(a, &c2, &e.arrow, &err));
  prestige_iceberg_append_free(a);
  CHECK_EQ_INT(count_files(data), before);
  m.release(&m);
  d.release(&d);
  env_close(&e);
}

/* ---- renamed and added columns -------------------------------------------------------------------- */
static int evolve(prestige_iceberg_table_t *t, const char *schema_json) {
  ice_schema_t *s;
  PRESTIGE_TRY(ice_schema_from_json_text(schema_json, &s, &err));
  ice_update_t ups[2];
  memset(ups, 0, sizeof ups);
  ups[0].kind = ICE_UP_ADD_SCHEMA;
  ups[0].schema = s;
  ups[1].kind = ICE_UP_SET_CURRENT_SCHEMA;
  ups[1].id = -1;
  ice_requirement_t req = {.kind = ICE_REQ_ASSERT_CURRENT_SCHEMA_ID, .value = t->loaded.metadata->current_schema_id};
  int rc = ice_table_commit(t, &req, 1, ups, 2, &err);
  ice_schema_free(s);
  return rc;
}

TEST(renamed_and_added_columns) {
  api_env_t e;
  int rc = env_open(&e, "ev", "id:int64,name:string,n:int32", "bucket(2,id)");
  CHECK_MSG(rc == 0, "open: %s", err.message);
  if (rc) return env_close(&e);
  tt_seed(4);
  struct ArrowArray b0, b1;
  CHECK_OK(tt_batch(&e.arrow, 300, 0.1, &b0, &err));
  CHECK_OK(tt_write_parquet(tt_path("ev-0.parquet"), &e.arrow, &b0, 1, &err));
  int64_t s0;
  CHECK_OK(append_copy(&e, &b0, NULL, &s0));
  CHECK_OK(evolve(e.t, "{\"type\":\"struct\",\"schema-id\":1,\"fields\":["
                       "{\"id\":1,\"name\":\"id\",\"required\":true,\"type\":\"long\"},"
                       "{\"id\":2,\"name\":\"label\",\"required\":false,\"type\":\"string\"},"
                       "{\"id\":3,\"name\":\"n\",\"required\":false,\"type\":\"long\"},"
                       "{\"id\":4,\"name\":\"extra\",\"required\":false,\"type\":\"string\"}]}"));
  e.arrow.release(&e.arrow);
  CHECK_OK(prestige_iceberg_table_schema(e.t, &e.arrow, &err));
  CHECK_OK(tt_batch(&e.arrow, 200, 0.1, &b1, &err));
  CHECK_OK(tt_write_parquet(tt_path("ev-1.parquet"), &e.arrow, &b1, 1, &err));
  CHECK_OK(append_copy(&e, &b1, NULL, NULL));
  /* the old file reads by field id: label is the old name, extra null, n widened */
  const char *cols[] = {"extra", "label", "n", "id"};
  prestige_iceberg_scan_options_t o = PRESTIGE_ICEBERG_SCAN_OPTIONS_INIT;
  o.columns = cols;
  o.n_columns = 4;
  int64_t rows;
  CHECK_OK(scan_to(&e, &o, tt_path("ev-scan.parquet"), &rows, NULL));
  CHECK_EQ_INT(rows, 500);
  char sql[4096];
  snprintf(sql, sizeof sql,
           "WITH a AS (SELECT NULL::VARCHAR extra, name AS label, CAST(n AS BIGINT) n, id FROM read_parquet('%s') UNION ALL "
           "SELECT extra, label, n, id FROM read_parquet('%s')), b AS (SELECT * FROM read_parquet('%s')) "
           "SELECT (SELECT count(*) FROM (SELECT * FROM a EXCEPT ALL SELECT * FROM b)) + "
           "(SELECT count(*) FROM (SELECT * FROM b EXCEPT ALL SELECT * FROM a)) AS d",
           tt_path("ev-0.parquet"), tt_path("ev-1.parquet"), tt_path("ev-scan.parquet"));
  char *out = test_duckdb_json(sql);
  CHECK_MSG(out && strstr(out, "\"d\":\"0\""), "%s", out ? out : "(null)");
  free(out);
  /* a filter on the renamed column reaches the old file's rows too */
  o.where = "label >= 'k' OR extra IS NOT NULL";
  CHECK_OK(scan_to(&e, &o, tt_path("ev-f.parquet"), &rows, NULL));
  snprintf(sql, sizeof sql,
           "SELECT (SELECT count(*) FROM read_parquet('%s') WHERE name >= 'k') + (SELECT count(*) FROM read_parquet('%s') "
           "WHERE label >= 'k' OR extra IS NOT NULL) AS n",
           tt_path("ev-0.parquet"), tt_path("ev-1.parquet"));
  out = test_duckdb_json(sql);
  char want[64];
  snprintf(want, sizeof want, "\"n\":\"%lld\"", (long long)rows);
  CHECK_MSG(out && strstr(out, want), "%s, scan %lld", out ? out : "(null)", (long long)rows);
  free(out);
  /* the old snapshot reads with its own schema (the old name) */
  prestige_iceberg_scan_options_t old = PRESTIGE_ICEBERG_SCAN_OPTIONS_INIT;
  old.snapshot_id = s0;
  CHECK_OK(scan_to(&e, &old, tt_path("ev-old.parquet"), &rows, NULL));
  CHECK_EQ_INT(rows, 300);
  tt_duck_expect_same(tt_path("ev-0.parquet"), tt_path("ev-old.parquet"), "id, name, n", NULL, "old snapshot, old schema");
  /* appends with the old name are refused, naming the column */
  struct ArrowSchema olds;
  CHECK_OK(prestige_text_parse_schema("id:int64,name:string", &olds, &err));
  olds.children[0]->flags &= ~ARROW_FLAG_NULLABLE;
  struct ArrowArray ob;
  CHECK_OK(tt_batch(&olds, 10, 0, &ob, &err));
  prestige_iceberg_append_t *a;
  CHECK_OK(prestige_iceberg_append_new(&a, e.t, NULL, &err));
  CHECK_ERR(prestige_iceberg_append_write(a, &ob, &olds, &err), PRESTIGE_ETYPE, "name");
  prestige_iceberg_append_free(a);
  olds.release(&olds);
  b0.release(&b0);
  b1.release(&b1);
  env_close(&e);
}

/* ---- bad input ------------------------------------------------------------------------------------- */
TEST(bad_input) {
  api_env_t e;
  int rc = env_open(&e, "bad", "id:int64,s:string", NULL);
  CHECK_MSG(rc == 0, "open: %s", err.message);
  if (rc) return env_close(&e);
  /* NULL arguments, NULL err: errors, never a crash */
  prestige_iceberg_append_t *a = (prestige_iceberg_append_t *)1;
  CHECK(prestige_iceberg_append_new(&a, NULL, NULL, NULL) == PRESTIGE_EINVAL && a == NULL);
  CHECK(prestige_iceberg_append_new(NULL, e.t, NULL, NULL) == PRESTIGE_EINVAL);
  CHECK(prestige_iceberg_append_write(NULL, NULL, NULL, NULL) == PRESTIGE_EINVAL);
  CHECK(prestige_iceberg_append_write_stream(NULL, NULL, NULL) == PRESTIGE_EINVAL);
  CHECK(prestige_iceberg_append_commit(NULL, NULL, NULL) == PRESTIGE_EINVAL);
  CHECK(prestige_iceberg_append_rows(NULL) == 0);
  prestige_iceberg_append_free(NULL);
  prestige_iceberg_append_result_release(NULL);
  prestige_iceberg_scan_plan_release(NULL);
  struct ArrowArrayStream st;
  CHECK(prestige_iceberg_scan(NULL, NULL, &st, NULL, NULL) == PRESTIGE_EINVAL && st.release == NULL);
  CHECK(prestige_iceberg_scan(e.t, NULL, NULL, NULL, NULL) == PRESTIGE_EINVAL);
  CHECK(prestige_iceberg_scan_plan(e.t, NULL, NULL, NULL) == PRESTIGE_EINVAL);
  prestige_iceberg_append_options_init(NULL);
  prestige_iceberg_scan_options_init(NULL);
  /* bad options, named */
  prestige_iceberg_append_options_t ao = PRESTIGE_ICEBERG_APPEND_OPTIONS_INIT;
  ao.version = 99;
  CHECK_ERR(prestige_iceberg_append_new(&a, e.t, &ao, &err), PRESTIGE_EINVAL, "version 99");
  prestige_iceberg_append_options_init(&ao);
  ao.target_file_size_bytes = -5;
  CHECK_ERR(prestige_iceberg_append_new(&a, e.t, &ao, &err), PRESTIGE_EINVAL, "target_file_size_bytes");
  prestige_iceberg_append_options_init(&ao);
  ao.compression = 77;
  CHECK_ERR(prestige_iceberg_append_new(&a, e.t, &ao, &err), PRESTIGE_EINVAL, "compression 77");
  prestige_iceberg_append_options_init(&ao);
  ao.n_summary = 2;
  CHECK_ERR(prestige_iceberg_append_new(&a, e.t, &ao, &err), PRESTIGE_EINVAL, "summary");
  prestige_iceberg_append_options_init(&ao);
  ao.threads = 0;
  CHECK_ERR(prestige_iceberg_append_new(&a, e.t, &ao, &err), PRESTIGE_EINVAL, "threads is 0");
  ao.version = 1; /* a version 1 struct has no threads: whatever is there is not read */
  CHECK_OK(prestige_iceberg_append_new(&a, e.t, &ao, &err));
  prestige_iceberg_append_free(a);
  prestige_iceberg_scan_options_t so = PRESTIGE_ICEBERG_SCAN_OPTIONS_INIT;
  so.version = 0;
  CHECK_ERR(prestige_iceberg_scan(e.t, &so, &st, NULL, &err), PRESTIGE_EINVAL, "version 0");
  prestige_iceberg_scan_options_init(&so);
  so.until_snapshot_id = 5;
  CHECK_ERR(prestige_iceberg_scan(e.t, &so, &st, NULL, &err), PRESTIGE_EINVAL, "until_snapshot_id needs since_snapshot_id");
  prestige_iceberg_scan_options_init(&so);
  so.snapshot_id = 5;
  so.ref = "main";
  CHECK_ERR(prestige_iceberg_scan(e.t, &so, &st, NULL, &err), PRESTIGE_EINVAL, "at most one");
  prestige_iceberg_scan_options_init(&so);
  const char *nope[] = {"nope"};
  so.columns = nope;
  so.n_columns = 1;
  CHECK_ERR(prestige_iceberg_scan(e.t, &so, &st, NULL, &err), PRESTIGE_EINVAL, "no column \"nope\"");
  prestige_iceberg_scan_options_init(&so);
  so.where = "id >";
  CHECK_ERR(prestige_iceberg_scan(e.t, &so, &st, NULL, &err), PRESTIGE_EINVAL, "filter");
  so.where = "missing = 1";
  CHECK_ERR(prestige_iceberg_scan(e.t, &so, &st, NULL, &err), PRESTIGE_EINVAL, "missing");
  prestige_iceberg_scan_options_init(&so);
  so.ref = "no-such-branch";
  CHECK_ERR(prestige_iceberg_scan(e.t, &so, &st, NULL, &err), PRESTIGE_ENOTFOUND, "no-such-branch");
  /* an empty table scans to nothing */
  prestige_iceberg_scan_options_init(&so);
  prestige_iceberg_scan_stats_t stats;
  int64_t rows = -1;
  CHECK_OK(scan_to(&e, &so, tt_path("bad-empty.parquet"), &rows, &stats));
  CHECK_EQ_INT(rows, 0);
  CHECK(stats.snapshot_id == PRESTIGE_ICEBERG_NONE);
  so.snapshot_id = 12345;
  CHECK_ERR(prestige_iceberg_scan(e.t, &so, &st, NULL, &err), PRESTIGE_ENOTFOUND, "12345");
  /* input that does not fit the table: a string where a long goes */
  struct ArrowSchema ws;
  CHECK_OK(prestige_text_parse_schema("id:string,s:string", &ws, &err));
  struct ArrowArray wb;
  CHECK_OK(tt_batch(&ws, 5, 0, &wb, &err));
  CHECK_OK(prestige_iceberg_append_new(&a, e.t, NULL, &err));
  CHECK_ERR(prestige_iceberg_append_write(a, &wb, &ws, &err), PRESTIGE_ETYPE, "id");
  CHECK(wb.release == NULL);
  /* after an error the append is unusable; freeing it commits nothing */
  struct ArrowArray ok;
  CHECK_OK(tt_batch(&e.arrow, 5, 0, &ok, &err));
  CHECK_ERR(prestige_iceberg_append_write(a, &ok, &e.arrow, &err), PRESTIGE_EINVAL, "unusable");
  CHECK(ok.release == NULL);
  CHECK_ERR(prestige_iceberg_append_commit(a, NULL, &err), PRESTIGE_EINVAL, "unusable");
  prestige_iceberg_append_free(a);
  CHECK_EQ_INT(prestige_iceberg_table_current_snapshot_id(e.t), -1);
  ws.release(&ws);
  env_close(&e);
}

/* Queues an ordered comparison: the same rows at the same positions (DuckDB's file_row_number). */
static void expect_same_order(const char *a, const char *b, const char *label) {
  char sql[4096];
  snprintf(sql, sizeof sql,
           "WITH x AS (SELECT * FROM read_parquet(['%s'], file_row_number=true)), "
           "y AS (SELECT * FROM read_parquet(['%s'], file_row_number=true)) "
           "SELECT (SELECT count(*) FROM (SELECT * FROM x EXCEPT ALL SELECT * FROM y)) + "
           "(SELECT count(*) FROM (SELECT * FROM y EXCEPT ALL SELECT * FROM x)) AS d, (SELECT count(*) FROM x) AS nx, "
           "(SELECT count(*) FROM y) AS ny",
           a, b);
  if (tt_ndq == (int)(sizeof tt_dq / sizeof tt_dq[0])) return;
  tt_dq[tt_ndq].sql = strdup(sql);
  snprintf(tt_dq[tt_ndq].label, sizeof tt_dq[tt_ndq].label, "%s", label);
  tt_ndq++;
}

/* Drains a scan, recording each batch's length (at most cap); *n gets the batch count. */
static int scan_batches(api_env_t *e, const prestige_iceberg_scan_options_t *o, int64_t *lens, int cap, int *n) {
  struct ArrowArrayStream st;
  *n = 0;
  PRESTIGE_TRY(prestige_iceberg_scan(e->t, o, &st, NULL, &err));
  int rc = 0;
  for (;;) {
    struct ArrowArray b;
    int ge = st.get_next(&st, &b);
    if (ge) {
      rc = prestige_error_set(&err, PRESTIGE_EIO, "get_next: %s", st.get_last_error(&st));
      break;
    }
    if (!b.release) break;
    if (*n < cap) lens[*n] = b.length;
    (*n)++;
    b.release(&b);
  }
  st.release(&st);
  return rc;
}

TEST(threads_same_rows_same_order) {
  api_env_t e;
  int rc = env_open(&e, "threads", TYPES, "bucket(3,id)");
  CHECK_MSG(rc == 0, "open: %s", err.message);
  if (rc) return env_close(&e);
  tt_seed(31);
  char src[3][700];
  for (int k = 0; k < 3; k++) {
    struct ArrowArray b;
    char name[64];
    CHECK_OK(tt_batch(&e.arrow, 700 + 450 * k, 0.15, &b, &err));
    snprintf(name, sizeof name, "th-src-%d.parquet", k);
    snprintf(src[k], sizeof src[k], "%s", tt_path(name));
    CHECK_OK(tt_write_parquet(src[k], &e.arrow, &b, 1, &err));
    CHECK_OK(append_copy(&e, &b, NULL, NULL));
    b.release(&b);
  }
  char all[2200];
  snprintf(all, sizeof all, "%s', '%s', '%s", src[0], src[1], src[2]);
  static const char *const wheres[] = {NULL, "n > 0 OR flag = true"};
  for (int w = 0; w < 2; w++) {
    char p1[700], p3[700], label[128];
    int64_t rows1 = -1, rows3 = -2, lens1[256], lens3[256];
    int nb1 = 0, nb3 = 0;
    prestige_iceberg_scan_options_t o = PRESTIGE_ICEBERG_SCAN_OPTIONS_INIT;
    CHECK_EQ_INT(o.threads, 1); /* the library's default */
    o.batch_rows = 97;
    o.files_in_flight = 3;
    o.where = wheres[w];
    snprintf(p1, sizeof p1, "%s", tt_path(w ? "th-1-where.parquet" : "th-1.parquet"));
    snprintf(p3, sizeof p3, "%s", tt_path(w ? "th-3-where.parquet" : "th-3.parquet"));
    CHECK_OK(scan_to(&e, &o, p1, &rows1, NULL));
    CHECK_OK(scan_batches(&e, &o, lens1, 256, &nb1));
    o.threads = 3;
    CHECK_OK(scan_to(&e, &o, p3, &rows3, NULL));
    CHECK_OK(scan_batches(&e, &o, lens3, 256, &nb3));
    CHECK_EQ_INT(rows1, rows3);
    if (!w) CHECK_EQ_INT(rows1, 700 + 1150 + 1600);
    CHECK(nb1 > 3 && nb1 <= 256);
    CHECK_EQ_INT(nb1, nb3);
    for (int i = 0; i < nb1 && i < nb3 && i < 256; i++) CHECK_MSG(lens1[i] == lens3[i], "batch %d: %lld vs %lld rows", i,
                                                                    (long long)lens1[i], (long long)lens3[i]);
    snprintf(label, sizeof label, "threads 1 vs 3, same order%s", w ? " (where)" : "");
    expect_same_order(p1, p3, label);
    snprintf(label, sizeof label, "threads 3 vs the source rows%s", w ? " (where)" : "");
    tt_duck_expect_same(all, p3, "*", wheres[w], label);
  }
  /* bad thread counts are named; a version 1 struct (no threads field) still scans */
  struct ArrowArrayStream st;
  prestige_iceberg_scan_options_t o = PRESTIGE_ICEBERG_SCAN_OPTIONS_INIT;
  o.threads = 0;
  CHECK_ERR(prestige_iceberg_scan(e.t, &o, &st, NULL, &err), PRESTIGE_EINVAL, "threads 0");
  o.threads = 257;
  CHECK_ERR(prestige_iceberg_scan(e.t, &o, &st, NULL, &err), PRESTIGE_EINVAL, "threads 257");
  CHECK(prestige_iceberg_scan(e.t, &o, &st, NULL, NULL) == PRESTIGE_EINVAL); /* NULL err */
  o.version = 1;
  o.threads = -7; /* not read for version 1 */
  int64_t rows = 0;
  CHECK_OK(scan_to(&e, &o, tt_path("th-v1.parquet"), &rows, NULL));
  CHECK_EQ_INT(rows, 700 + 1150 + 1600);
  env_close(&e);
}

/* ---- V3 row lineage columns in scans ------------------------------------------------------------------ */
/* ids from..from+n-1 in order, a string beside */
static int id_batch(const struct ArrowSchema *s, int64_t from, int64_t n, struct ArrowArray *out) {
  prestige_array_builder_t *b;
  PRESTIGE_TRY(prestige_array_builder_new(&b, s, &err));
  int rc = 0;
  for (int64_t i = 0; i < n && !rc; i++) {
    char v[32];
    int l = snprintf(v, sizeof v, "v%lld", (long long)(from + i));
    rc = prestige_array_builder_append_int(prestige_array_builder_child(b, 0), from + i, &err);
    if (!rc) rc = prestige_array_builder_append_bytes(prestige_array_builder_child(b, 1), v, l, &err);
    if (!rc) rc = prestige_array_builder_append_struct(b, &err);
  }
  if (!rc) rc = prestige_array_builder_finish(b, out, &err);
  prestige_array_builder_free(b);
  return rc;
}

/* Scans (columns: names) into per-row arrays indexed by id (< cap); columns asked for are
 * id, _row_id, _last_updated_sequence_number in any order. Returns rows or -1. */
static int64_t lineage_scan(prestige_iceberg_table_t *t, const char *const *names, int n, const char *where, int64_t cap,
                            int64_t *row_id, int64_t *seq, int *seen) {
  prestige_iceberg_scan_options_t o = PRESTIGE_ICEBERG_SCAN_OPTIONS_INIT;
  o.columns = names;
  o.n_columns = n;
  o.where = where;
  o.batch_rows = 333;
  struct ArrowArrayStream st;
  if (prestige_iceberg_scan(t, &o, &st, NULL, &err)) return -1;
  struct ArrowSchema sc;
  int ci = -1, cr = -1, cs = -1;
  if (st.get_schema(&st, &sc) == 0) {
    for (int k = 0; k < (int)sc.n_children; k++) {
      if (!strcmp(sc.children[k]->name, "id")) ci = k;
      if (!strcmp(sc.children[k]->name, "_row_id")) cr = k;
      if (!strcmp(sc.children[k]->name, "_last_updated_sequence_number")) cs = k;
    }
    CHECK_EQ_INT(sc.n_children, n);
    for (int k = 0; k < n && k < (int)sc.n_children; k++) CHECK_EQ_STR(sc.children[k]->name, names[k]);
    sc.release(&sc);
  }
  int64_t rows = 0;
  for (;;) {
    struct ArrowArray b;
    if (st.get_next(&st, &b)) {
      rows = -1;
      break;
    }
    if (!b.release) break;
    for (int64_t i = 0; i < b.length && ci >= 0; i++) {
      int64_t id = ((const int64_t *)b.children[ci]->buffers[1])[b.children[ci]->offset + b.offset + i];
      if (id < 0 || id >= cap) continue;
      seen[id]++;
      if (cr >= 0) row_id[id] = ((const int64_t *)b.children[cr]->buffers[1])[b.children[cr]->offset + b.offset + i];
      if (cs >= 0) seq[id] = ((const int64_t *)b.children[cs]->buffers[1])[b.children[cs]->offset + b.offset + i];
    }
    rows += b.length;
    b.release(&b);
  }
  st.release(&st);
  return rows;
}

TEST(row_lineage_columns) {
  char uri[700], wh[700];
  snprintf(uri, sizeof uri, "sqlite:%s/lin-catalog.db", test_tmpdir());
  snprintf(wh, sizeof wh, "file://%s/lin-wh", test_tmpdir());
  prestige_iceberg_catalog_options_t co = PRESTIGE_ICEBERG_CATALOG_OPTIONS_INIT;
  co.uri = uri;
  co.warehouse = wh;
  prestige_iceberg_catalog_t *cat = NULL;
  CHECK_OK(prestige_iceberg_catalog_open(&cat, &co, &err));
  if (!cat) return;
  CHECK_OK(prestige_iceberg_namespace_create(cat, "db", NULL, 0, &err));
  struct ArrowSchema s;
  CHECK_OK(prestige_text_parse_schema("id:int64,v:string", &s, &err));
  s.children[0]->flags &= ~ARROW_FLAG_NULLABLE;
  prestige_iceberg_table_t *t = NULL, *t2 = NULL;
  prestige_iceberg_create_options_t o = PRESTIGE_ICEBERG_CREATE_OPTIONS_INIT;
  CHECK_OK(prestige_iceberg_table_create(cat, "db.v2", &s, &o, &t2, &err));
  o.format_version = 3;
  CHECK_OK(prestige_iceberg_table_create(cat, "db.v3", &s, &o, &t, &err));
  if (!t || !t2) goto out;
  enum { CAP = 2100 };
  static int64_t rid[CAP], seq[CAP];
  static int seen[CAP];
  const char *three[] = {"id", "_row_id", "_last_updated_sequence_number"};
  /* two appends: row ids first-row-id + position (0.. and 1000..), sequence numbers 1 and 2 */
  api_env_t e = {cat, t, s};
  for (int k = 0; k < 2; k++) {
    struct ArrowArray b;
    CHECK_OK(id_batch(&s, k * 1000, 1000, &b));
    CHECK_OK(append_copy(&e, &b, NULL, NULL));
    b.release(&b);
  }
  memset(seen, 0, sizeof seen);
  CHECK_EQ_INT(lineage_scan(t, three, 3, NULL, CAP, rid, seq, seen), 2000);
  int bad = 0;
  for (int64_t i = 0; i < 2000; i++) bad += seen[i] != 1 || rid[i] != i || seq[i] != (i < 1000 ? 1 : 2);
  CHECK_MSG(bad == 0, "%d rows with a wrong _row_id or sequence number after two appends", bad);
  /* a delete (deletion vector) does not change the rows left */
  prestige_iceberg_delete_options_t d = PRESTIGE_ICEBERG_DELETE_OPTIONS_INIT;
  d.where = "id < 300 OR (id >= 1200 AND id < 1250)";
  prestige_iceberg_delete_result_t dr;
  CHECK_OK(prestige_iceberg_delete(t, &d, &dr, &err));
  CHECK_EQ_INT(dr.deleted_rows, 350);
  /* compaction writes the values explicitly: they survive the rewrite */
  prestige_iceberg_compact_options_t c = PRESTIGE_ICEBERG_COMPACT_OPTIONS_INIT;
  c.min_files = 2;
  prestige_iceberg_compact_result_t cr;
  CHECK_OK(prestige_iceberg_compact(t, &c, &cr, &err));
  CHECK_EQ_INT(cr.files_read, 2);
  /* a third append: new row ids after every earlier one, its own sequence number */
  struct ArrowArray b3;
  CHECK_OK(id_batch(&s, 2000, 100, &b3));
  CHECK_OK(append_copy(&e, &b3, NULL, NULL));
  b3.release(&b3);
  const char *order[] = {"_last_updated_sequence_number", "id", "_row_id"};
  memset(seen, 0, sizeof seen);
  CHECK_EQ_INT(lineage_scan(t, order, 3, NULL, CAP, rid, seq, seen), 2000 - 350 + 100);
  bad = 0;
  int64_t max_old = -1;
  for (int64_t i = 0; i < 2000; i++) {
    bool deleted = i < 300 || (i >= 1200 && i < 1250);
    bad += seen[i] != !deleted || (!deleted && (rid[i] != i || seq[i] != (i < 1000 ? 1 : 2)));
    if (!deleted && rid[i] > max_old) max_old = rid[i];
  }
  CHECK_MSG(bad == 0, "%d rows with a wrong _row_id or sequence number after a delete and a compaction", bad);
  bad = 0;
  for (int64_t i = 2000; i < 2100; i++)
    bad += seen[i] != 1 || rid[i] != rid[2000] + (i - 2000) || seq[i] != seq[2000] || rid[i] <= max_old;
  CHECK_MSG(bad == 0 && seq[2000] > 2, "%d rows of the third append with wrong lineage (seq %lld)", bad, (long long)seq[2000]);
  /* a filter, a lineage column alone */
  memset(seen, 0, sizeof seen);
  CHECK_EQ_INT(lineage_scan(t, three, 3, "id >= 1500", CAP, rid, seq, seen), 600);
  for (int64_t i = 0; i < 1500; i++) bad += seen[i] != 0;
  CHECK_EQ_INT(bad, 0);
  const char *only[] = {"_row_id"};
  CHECK_EQ_INT(lineage_scan(t, only, 1, "v = 'v1700'", CAP, rid, seq, seen), 1);
  /* a filter on a lineage column: with lineage columns asked for, and with every column (none of lineage) */
  memset(seen, 0, sizeof seen);
  CHECK_EQ_INT(lineage_scan(t, three, 3, "_row_id >= 1900 AND _last_updated_sequence_number = 2", CAP, rid, seq, seen), 100);
  bad = 0;
  for (int64_t i = 0; i < CAP; i++) bad += seen[i] != (i >= 1900 && i < 2000);
  CHECK_EQ_INT(bad, 0);
  {
    prestige_iceberg_scan_options_t fo = PRESTIGE_ICEBERG_SCAN_OPTIONS_INIT;
    fo.where = "_row_id < 310 OR v = 'v2050'";
    struct ArrowArrayStream fs;
    CHECK_OK(prestige_iceberg_scan(t, &fo, &fs, NULL, &err));
    struct ArrowSchema fsc;
    if (fs.release && fs.get_schema(&fs, &fsc) == 0) {
      CHECK_EQ_INT(fsc.n_children, 2); /* id, v: the table's columns */
      if (fsc.n_children == 2) CHECK_EQ_STR(fsc.children[1]->name, "v");
      fsc.release(&fsc);
    }
    int64_t rows = 0, ids = 0;
    for (;;) {
      struct ArrowArray b;
      if (!fs.release || fs.get_next(&fs, &b) || !b.release) break;
      for (int64_t i = 0; i < b.length; i++) ids += ((const int64_t *)b.children[0]->buffers[1])[b.children[0]->offset + b.offset + i];
      rows += b.length;
      b.release(&b);
    }
    if (fs.release) fs.release(&fs);
    CHECK_EQ_INT(rows, 11); /* ids 300..309 (0..299 deleted) and 2050 */
    CHECK_EQ_INT(ids, 3045 + 2050);
  }
  /* bad input: a V2 table, an unknown column, a column twice */
  struct ArrowArrayStream st;
  prestige_iceberg_scan_options_t so = PRESTIGE_ICEBERG_SCAN_OPTIONS_INIT;
  so.columns = three;
  so.n_columns = 3;
  CHECK_ERR(prestige_iceberg_scan(t2, &so, &st, NULL, &err), PRESTIGE_EINVAL, "format version 3");
  prestige_iceberg_scan_options_t wo = PRESTIGE_ICEBERG_SCAN_OPTIONS_INIT;
  wo.where = "_row_id > 3";
  CHECK_ERR(prestige_iceberg_scan(t2, &wo, &st, NULL, &err), PRESTIGE_EINVAL, "format version 3");
  const char *unknown[] = {"_row_id", "nope"}, *twice[] = {"_row_id", "id", "_row_id"};
  so.columns = unknown;
  so.n_columns = 2;
  CHECK_ERR(prestige_iceberg_scan(t, &so, &st, NULL, &err), PRESTIGE_EINVAL, "nope");
  so.columns = twice;
  so.n_columns = 3;
  CHECK_ERR(prestige_iceberg_scan(t, &so, &st, NULL, &err), PRESTIGE_EINVAL, "twice");
  /* a stream released after one small batch, its producer still reading (no leak, no hang) */
  so.columns = three;
  so.batch_rows = 7;
  CHECK_OK(prestige_iceberg_scan(t, &so, &st, NULL, &err));
  struct ArrowArray one;
  if (st.get_next(&st, &one) == 0 && one.release) one.release(&one);
  st.release(&st);
out:
  s.release(&s);
  prestige_iceberg_table_free(t);
  prestige_iceberg_table_free(t2);
  prestige_iceberg_catalog_close(cat);
}

TEST_MAIN(RUN(row_lineage_columns); RUN(example_from_header); RUN(round_trips_and_time_travel); RUN(branches_and_options); RUN(renamed_and_added_columns);
          RUN(bad_input); RUN(threads_same_rows_same_order); tt_duck_check();)
