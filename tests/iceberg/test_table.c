/* Tables appended and scanned through the catalog interface (a file catalog of the test's own),
 * checked against DuckDB reading the source rows: every type with nulls, partitions by each
 * transform, sorted tables, time travel, incremental ranges, schema evolution, pruning counts,
 * merges, retries, unknown outcomes, branches, concurrent writers and bad input. */
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "table_util.h"

static prestige_error_t err;

static const char *ALL_TYPES =
    "{\"type\":\"struct\",\"schema-id\":0,\"fields\":["
    "{\"id\":1,\"name\":\"id\",\"required\":true,\"type\":\"long\"},"
    "{\"id\":2,\"name\":\"ts\",\"required\":false,\"type\":\"timestamptz\"},"
    "{\"id\":3,\"name\":\"name\",\"required\":false,\"type\":\"string\"},"
    "{\"id\":4,\"name\":\"price\",\"required\":false,\"type\":\"decimal(9,2)\"},"
    "{\"id\":5,\"name\":\"f\",\"required\":false,\"type\":\"double\"},"
    "{\"id\":6,\"name\":\"flag\",\"required\":false,\"type\":\"boolean\"},"
    "{\"id\":7,\"name\":\"d\",\"required\":false,\"type\":\"date\"},"
    "{\"id\":8,\"name\":\"i\",\"required\":false,\"type\":\"int\"},"
    "{\"id\":9,\"name\":\"r\",\"required\":false,\"type\":\"float\"},"
    "{\"id\":10,\"name\":\"t\",\"required\":false,\"type\":\"time\"},"
    "{\"id\":11,\"name\":\"tsl\",\"required\":false,\"type\":\"timestamp\"},"
    "{\"id\":12,\"name\":\"bin\",\"required\":false,\"type\":\"binary\"},"
    "{\"id\":13,\"name\":\"fx\",\"required\":false,\"type\":\"fixed[3]\"},"
    "{\"id\":14,\"name\":\"big\",\"required\":false,\"type\":\"decimal(30,4)\"},"
    "{\"id\":15,\"name\":\"pt\",\"required\":false,\"type\":{\"type\":\"struct\",\"fields\":["
    "{\"id\":16,\"name\":\"x\",\"required\":false,\"type\":\"double\"},{\"id\":17,\"name\":\"y\",\"required\":true,\"type\":\"int\"}]}},"
    "{\"id\":18,\"name\":\"tags\",\"required\":false,\"type\":{\"type\":\"list\",\"element-id\":19,\"element\":\"string\","
    "\"element-required\":false}},"
    "{\"id\":20,\"name\":\"attrs\",\"required\":false,\"type\":{\"type\":\"map\",\"key-id\":21,\"key\":\"string\","
    "\"value-id\":22,\"value\":\"long\",\"value-required\":false}}]}";

static const char *DAY_BUCKET =
    "{\"spec-id\":0,\"fields\":[{\"source-id\":2,\"field-id\":1000,\"name\":\"ts_day\",\"transform\":\"day\"},"
    "{\"source-id\":1,\"field-id\":1001,\"name\":\"id_bucket\",\"transform\":\"bucket[4]\"}]}";

static int64_t summary_i64(const ice_snapshot_t *s, const char *k) {
  const char *v = s ? ice_strmap_get(&s->summary, k) : NULL;
  return v ? atoll(v) : -1;
}

TEST(append_and_scan_every_type) {
  tt_table_t x;
  int crc = tt_create(&x, "all", ALL_TYPES, DAY_BUCKET, NULL, 2, NULL, &err);
  CHECK_MSG(crc == 0, "create: %s", err.message);
  if (crc) return;
  tt_seed(1);
  struct ArrowArray b[3];
  for (int i = 0; i < 3; i++) CHECK_OK(tt_batch(&x.arrow, 700, 0.15, &b[i], &err));
  CHECK_OK(tt_write_parquet(tt_path("all-src1.parquet"), &x.arrow, b, 3, &err));
  ice_commit_result_t res;
  CHECK_OK(tt_append(&x, &x.arrow, b, 3, NULL, &res, &err));
  CHECK_EQ_INT(res.rows, 2100);
  CHECK(res.files >= 4); /* 31 days x 4 buckets: several partitions */
  CHECK_EQ_INT(res.attempts, 1);
  const ice_snapshot_t *s1 = ice_metadata_current_snapshot(x.t.metadata);
  CHECK(s1 && s1->snapshot_id == res.snapshot_id);
  CHECK_EQ_INT(summary_i64(s1, "added-records"), 2100);
  CHECK_EQ_INT(summary_i64(s1, "total-records"), 2100);
  CHECK_EQ_INT(summary_i64(s1, "added-data-files"), res.files);
  CHECK_EQ_INT(summary_i64(s1, "total-data-files"), res.files);
  /* partitions: the distinct directories the files landed in */
  int64_t dirs = 0;
  for (size_t i = 0; i < res.n_paths; i++) {
    bool seen = false;
    size_t li = strrchr(res.paths[i], '/') - res.paths[i];
    for (size_t k = 0; k < i && !seen; k++)
      seen = (size_t)(strrchr(res.paths[k], '/') - res.paths[k]) == li && !strncmp(res.paths[k], res.paths[i], li);
    dirs += !seen;
  }
  CHECK_EQ_INT(summary_i64(s1, "changed-partition-count"), dirs);
  CHECK(dirs > 100); /* 31 days and null x 4 buckets */
  CHECK_EQ_INT(summary_i64(s1, "total-delete-files"), 0);
  CHECK_EQ_INT(summary_i64(s1, "manifests-created"), 1);
  CHECK(s1 && s1->operation && !strcmp(s1->operation, "append"));
  CHECK(s1 && s1->sequence_number == 1 && !s1->has_parent);
  /* data files: where Java puts them, with field ids and the iceberg.schema footer key */
  for (size_t i = 0; i < res.n_paths; i++) {
    CHECK_MSG((strstr(res.paths[i], "/warehouse/db/all/data/ts_day=2024-0") || strstr(res.paths[i], "/warehouse/db/all/data/ts_day=null/")) && strstr(res.paths[i], "/id_bucket=") &&
                  strstr(res.paths[i], "/00000-0-") && strstr(res.paths[i], ".parquet"),
              "%s", res.paths[i]);
  }
  prestige_parquet_reader_t *r;
  CHECK_OK(prestige_parquet_reader_open_file(&r, ice_location_local_path(res.paths[0]), NULL, &err));
  if (!err.code) {
    const uint8_t *v;
    int32_t len;
    CHECK(prestige_parquet_reader_metadata(r, "iceberg.schema", &v, &len) && len > 10 && !memcmp(v, "{\"type\":\"struct\"", 16));
    struct ArrowSchema sc;
    CHECK_OK(prestige_parquet_reader_schema(r, &sc, &err));
    const char *id;
    int32_t il;
    CHECK(prestige_metadata_get(sc.children[15]->children[0]->metadata, "PARQUET:field_id", &id, &il) && il == 2 &&
          !memcmp(id, "20", 2)); /* ids assigned fresh as Java does: nested fields after the top level */
    sc.release(&sc);
    prestige_parquet_reader_close(r);
  }
  /* the scan equals the source, as DuckDB sees both */
  ice_scan_options_t o = ICE_SCAN_OPTIONS_INIT;
  int64_t rows;
  CHECK_OK(tt_scan(&x, &o, tt_path("all-scan1.parquet"), &rows, NULL, &err));
  CHECK_EQ_INT(rows, 2100);
  tt_duck_expect_same(tt_path("all-src1.parquet"), tt_path("all-scan1.parquet"), "*", NULL, "tt_path(all-src1.parquet), tt_path(all-scan1.parquet), *, NU");

  /* a second append: totals add up, the first manifest is kept */
  struct ArrowArray b2[1];
  CHECK_OK(tt_batch(&x.arrow, 500, 0.3, &b2[0], &err));
  CHECK_OK(tt_write_parquet(tt_path("all-src2.parquet"), &x.arrow, b2, 1, &err));
  ice_commit_result_t res2;
  CHECK_OK(tt_append(&x, &x.arrow, b2, 1, NULL, &res2, &err));
  const ice_snapshot_t *s2 = ice_metadata_current_snapshot(x.t.metadata);
  CHECK_EQ_INT(summary_i64(s2, "total-records"), 2600);
  CHECK_EQ_INT(summary_i64(s2, "total-data-files"), res.files + res2.files);
  CHECK_EQ_INT(summary_i64(s2, "manifests-kept"), 1);
  CHECK(s2 && s2->has_parent && s2->parent_id == res.snapshot_id && s2->sequence_number == 2);
  CHECK_OK(tt_scan(&x, &o, tt_path("all-scan2.parquet"), &rows, NULL, &err));
  CHECK_EQ_INT(rows, 2600);
  char both[1400];
  snprintf(both, sizeof both, "%s', '%s", tt_path("all-src1.parquet"), tt_path("all-src2.parquet"));
  tt_duck_expect_same(both, tt_path("all-scan2.parquet"), "*", NULL, "both, tt_path(all-scan2.parquet), *, NULL");
  /* time travel to the first snapshot; the rows added since */
  o.snapshot_id = res.snapshot_id;
  CHECK_OK(tt_scan(&x, &o, tt_path("all-tt.parquet"), &rows, NULL, &err));
  CHECK_EQ_INT(rows, 2100);
  tt_duck_expect_same(tt_path("all-src1.parquet"), tt_path("all-tt.parquet"), "*", NULL, "tt_path(all-src1.parquet), tt_path(all-tt.parquet), *, NULL");
  o.snapshot_id = ICE_SCAN_NONE;
  o.since_snapshot_id = res.snapshot_id;
  CHECK_OK(tt_scan(&x, &o, tt_path("all-inc.parquet"), &rows, NULL, &err));
  CHECK_EQ_INT(rows, 500);
  tt_duck_expect_same(tt_path("all-src2.parquet"), tt_path("all-inc.parquet"), "*", NULL, "tt_path(all-src2.parquet), tt_path(all-inc.parquet), *, NULL");
  for (int i = 0; i < 3; i++) b[i].release(&b[i]);
  b2[0].release(&b2[0]);
  ice_commit_result_release(&res);
  ice_commit_result_release(&res2);
  tt_close(&x);
}


/* ---- partitions by every transform, filters against DuckDB, pruning counts -------------------------- */
static const char *SMALL =
    "{\"type\":\"struct\",\"schema-id\":0,\"fields\":["
    "{\"id\":1,\"name\":\"id\",\"required\":true,\"type\":\"long\"},"
    "{\"id\":2,\"name\":\"ts\",\"required\":false,\"type\":\"timestamptz\"},"
    "{\"id\":3,\"name\":\"name\",\"required\":false,\"type\":\"string\"},"
    "{\"id\":4,\"name\":\"d\",\"required\":false,\"type\":\"date\"},"
    "{\"id\":5,\"name\":\"i\",\"required\":false,\"type\":\"int\"},"
    "{\"id\":6,\"name\":\"price\",\"required\":false,\"type\":\"decimal(9,2)\"},"
    "{\"id\":7,\"name\":\"f\",\"required\":false,\"type\":\"double\"},"
    "{\"id\":8,\"name\":\"tsn\",\"required\":false,\"type\":\"timestamp\"}]}";

typedef struct transform_case {
  const char *name, *transform;
  int source;
  const char *where[4]; /* filters whose results must equal DuckDB's and prune something */
} transform_case_t;

TEST(partitions_by_every_transform) {
  static const transform_case_t cases[] = {
      {"ident_s", "identity", 3, {"name = 'beta1'", "name IN ('gamma0', 'delta-3')", "name IS NULL", "name > 'theta'"}},
      {"ident_i", "identity", 5, {"i = 7", "i < -40", "i BETWEEN 10 AND 12", "i IS NULL OR i = 3"}},
      {"bucket_s", "bucket[8]", 3, {"name = 'kappa2'", "name IN ('alpha1', 'eta5')", "name IS NULL", NULL}},
      {"bucket_l", "bucket[16]", 1, {"id = 4242", "id IN (1, 2, 3, 99999)", NULL, NULL}},
      {"trunc_s", "truncate[3]", 3, {"name = 'zeta4'", "name < 'b'", "name >= 'th'", "name LIKE_NONE IS NULL"}},
      {"trunc_l", "truncate[1000]", 1, {"id < 2000", "id >= 99000", "id = 5", NULL}},
      {"trunc_dec", "truncate[10000]", 6, {"price > 9000000", "price < -9000000.5", "price = 0", NULL}},
      {"year_d", "year", 4, {"d < '2024-06-01'", "d >= '2025-01-01'", NULL, NULL}},
      {"month_ts", "month", 2, {"ts < '2024-01-01 00:00:00+00:00'", "ts >= '2024-01-20 00:00:00+00:00'", NULL, NULL}},
      {"day_ts", "day", 2, {"ts < '2024-01-03 12:00:00+00:00'", "ts BETWEEN '2024-01-10 00:00:00+00:00' AND '2024-01-10 23:59:59+00:00'",
                            "ts IS NULL", NULL}},
      {"hour_ts", "hour", 8, {"tsn < '2024-01-01 05:00:00'", "tsn >= '2024-01-31 20:30:00'", NULL, NULL}},
      {"day_date", "day", 4, {"d = '2024-03-05'", "d > '2025-01-20'", NULL, NULL}},
      {"ident_f", "identity", 7, {"f > 1000", "f IS NULL", NULL, NULL}},
  };
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    const transform_case_t *tc = &cases[c];
    char spec[512];
    snprintf(spec, sizeof spec,
             "{\"spec-id\":0,\"fields\":[{\"source-id\":%d,\"field-id\":1000,\"name\":\"p\",\"transform\":\"%s\"}]}",
             tc->source, tc->transform);
    tt_table_t x;
    int crc = tt_create(&x, tc->name, SMALL, spec, NULL, 2, NULL, &err);
    CHECK_MSG(crc == 0, "create: %s", err.message);
    if (crc) continue;
    tt_seed(100 + c);
    struct ArrowArray b[2];
    CHECK_OK(tt_batch(&x.arrow, 1200, 0.1, &b[0], &err));
    CHECK_OK(tt_batch(&x.arrow, 800, 0.1, &b[1], &err));
    char src[64], out[64];
    snprintf(src, sizeof src, "%s-src.parquet", tc->name);
    CHECK_OK(tt_write_parquet(tt_path(src), &x.arrow, b, 2, &err));
    /* two commits, so manifests can be pruned too */
    CHECK_OK(tt_append(&x, &x.arrow, &b[0], 1, NULL, NULL, &err));
    CHECK_OK(tt_append(&x, &x.arrow, &b[1], 1, NULL, NULL, &err));
    ice_scan_options_t o = ICE_SCAN_OPTIONS_INIT;
    int64_t rows;
    ice_scan_metrics_t m;
    snprintf(out, sizeof out, "%s-scan.parquet", tc->name);
    CHECK_OK(tt_scan(&x, &o, tt_path(out), &rows, &m, &err));
    CHECK_EQ_INT(rows, 2000);
    tt_duck_expect_same(tt_path(src), tt_path(out), "*", NULL, tc->name);
    CHECK_EQ_INT(m.manifests, 2);
    for (int w = 0; w < 4 && tc->where[w]; w++) {
      if (strstr(tc->where[w], "LIKE_NONE")) continue;
      o.filter = tc->where[w];
      snprintf(out, sizeof out, "%s-scan-%d.parquet", tc->name, w);
      CHECK_OK(tt_scan(&x, &o, tt_path(out), &rows, &m, &err));
      char label[200];
      snprintf(label, sizeof label, "%s WHERE %s", tc->name, tc->where[w]);
      tt_duck_expect_same(tt_path(src), tt_path(out), "*", tc->where[w], label);
      bool pruned = m.files_skipped_partition + m.files_skipped_metrics + m.manifests_skipped > 0;
      CHECK_MSG(pruned || rows > 1000, "%s WHERE %s: nothing pruned (%lld files, %lld rows)", tc->name, tc->where[w],
                (long long)m.files, (long long)rows);
    }
    b[0].release(&b[0]);
    b[1].release(&b[1]);
    tt_close(&x);
  }
  tt_duck_check();
}

/* Pruning by partition and by bounds, counted; results equal DuckDB's WHERE. */
TEST(pruning_counts) {
  tt_table_t x;
  const char *spec = "{\"spec-id\":0,\"fields\":[{\"source-id\":2,\"field-id\":1000,\"name\":\"ts_day\",\"transform\":\"day\"}]}";
  int crc = tt_create(&x, "prune", SMALL, spec, NULL, 2, NULL, &err);
  CHECK_MSG(crc == 0, "create: %s", err.message);
  if (crc) return;
  /* 10 appends of one day each: 10 manifests, 10 files, ids increasing by day */
  char all[8192] = "";
  for (int day = 0; day < 10; day++) {
    tt_seed(500 + day);
    struct ArrowArray b;
    CHECK_OK(tt_batch(&x.arrow, 300, 0.0, &b, &err));
    /* pin ts to the day and id to a day-specific range */
    int64_t *ts = (int64_t *)b.children[1]->buffers[1], *id = (int64_t *)b.children[0]->buffers[1];
    for (int64_t r = 0; r < b.length; r++) {
      ts[r] = (1704067200LL + day * 86400LL) * 1000000LL + r * 1000000LL;
      id[r] = day * 1000 + r;
    }
    char name[64];
    snprintf(name, sizeof name, "prune-%d.parquet", day);
    CHECK_OK(tt_write_parquet(tt_path(name), &x.arrow, &b, 1, &err));
    snprintf(all + strlen(all), sizeof all - strlen(all), "%s%s", day ? "', '" : "", tt_path(name));
    CHECK_OK(tt_append(&x, &x.arrow, &b, 1, NULL, NULL, &err));
    b.release(&b);
  }
  ice_scan_options_t o = ICE_SCAN_OPTIONS_INIT;
  ice_scan_metrics_t m;
  int64_t rows;
  /* by partition: manifests skipped through their summaries */
  o.filter = "ts >= '2024-01-08 00:00:00+00:00'";
  CHECK_OK(tt_scan(&x, &o, tt_path("prune-a.parquet"), &rows, &m, &err));
  CHECK_EQ_INT(m.manifests, 10);
  CHECK_EQ_INT(m.manifests_skipped, 7);
  CHECK_EQ_INT(m.files_planned, 3);
  CHECK_EQ_INT(rows, 900);
  tt_duck_expect_same(all, tt_path("prune-a.parquet"), "*", o.filter, "all, tt_path(prune-a.parquet), *, o.filter");
  /* by bounds: id ranges are per file */
  o.filter = "id BETWEEN 4100 AND 4200 OR id = 9001";
  CHECK_OK(tt_scan(&x, &o, tt_path("prune-b.parquet"), &rows, &m, &err));
  CHECK_EQ_INT(m.manifests_skipped, 0);
  CHECK_EQ_INT(m.files, 10);
  CHECK_EQ_INT(m.files_skipped_metrics, 8);
  CHECK_EQ_INT(m.files_planned, 2);
  CHECK_EQ_INT(rows, 102);
  tt_duck_expect_same(all, tt_path("prune-b.parquet"), "*", o.filter, "all, tt_path(prune-b.parquet), *, o.filter");
  /* nothing can match */
  o.filter = "id < 0";
  CHECK_OK(tt_scan(&x, &o, tt_path("prune-c.parquet"), &rows, &m, &err));
  CHECK_EQ_INT(m.files_planned, 0);
  CHECK_EQ_INT(rows, 0);
  /* a projection and a filter on a column left out of it */
  const char *cols[] = {"name"};
  o.columns = cols;
  o.n_columns = 1;
  o.filter = "id >= 9290";
  CHECK_OK(tt_scan(&x, &o, tt_path("prune-d.parquet"), &rows, &m, &err));
  CHECK_EQ_INT(rows, 10);
  tt_duck_expect_same(all, tt_path("prune-d.parquet"), "name", o.filter, "all, tt_path(prune-d.parquet), name, o.filter");
  tt_close(&x);
}

/* ---- sorted tables -------------------------------------------------------------------------------- */
static int64_t cmp_files_sorted(const char *path, const char *order_sql) {
  /* rows out of order: compare each row with the next in file order by DuckDB's row number */
  char sql[2048];
  snprintf(sql, sizeof sql,
           "WITH t AS (SELECT *, row_number() OVER () AS rn FROM read_parquet('%s', hive_partitioning = false)), "
           "s AS (SELECT rn, row_number() OVER (ORDER BY %s, rn) AS srn FROM t) "
           "SELECT count(*) AS bad FROM s WHERE rn <> srn",
           path, order_sql);
  char *out = test_duckdb_json(sql);
  if (!out) return -1;
  json_t *j = json_loads(out, 0, NULL);
  int64_t bad = -1;
  json_t *v = json_object_get(json_array_get(j, 0), "bad");
  if (v) bad = json_is_string(v) ? atoll(json_string_value(v)) : json_integer_value(v);
  json_decref(j);
  free(out);
  return bad;
}

TEST(sorted_table_files_are_sorted) {
  tt_table_t x;
  const char *spec = "{\"spec-id\":0,\"fields\":[{\"source-id\":5,\"field-id\":1000,\"name\":\"i_trunc\",\"transform\":\"truncate[50]\"}]}";
  const char *order = "{\"order-id\":1,\"fields\":[{\"transform\":\"identity\",\"source-id\":3,\"direction\":\"asc\",\"null-order\":"
                      "\"nulls-first\"},{\"transform\":\"identity\",\"source-id\":1,\"direction\":\"desc\",\"null-order\":\"nulls-last\"}]}";
  int crc = tt_create(&x, "sorted", SMALL, spec, order, 2, NULL, &err);
  CHECK_MSG(crc == 0, "create: %s", err.message);
  if (crc) return;
  tt_seed(77);
  struct ArrowArray b[3];
  for (int i = 0; i < 3; i++) CHECK_OK(tt_batch(&x.arrow, 900, 0.1, &b[i], &err));
  CHECK_OK(tt_write_parquet(tt_path("sorted-src.parquet"), &x.arrow, b, 3, &err));
  ice_append_options_t ao = ICE_APPEND_OPTIONS_INIT;
  ao.sort_buffer_bytes = 40000; /* several sorted runs per partition */
  ice_commit_result_t res;
  CHECK_OK(tt_append(&x, &x.arrow, b, 3, &ao, &res, &err));
  CHECK(res.files >= 4);
  int unsorted = 0;
  for (size_t i = 0; i < res.n_paths; i++)
    if (cmp_files_sorted(ice_location_local_path(res.paths[i]), "name ASC NULLS FIRST, id DESC NULLS LAST") != 0) unsorted++;
  CHECK_EQ_INT(unsorted, 0);
  /* and an unsorted source file is not (the check can fail) */
  CHECK(cmp_files_sorted(tt_path("sorted-src.parquet"), "name ASC NULLS FIRST, id DESC NULLS LAST") > 0);
  /* sort_order_id of every file is the table's order */
  ice_manifest_file_t *mfs;
  size_t n;
  CHECK_OK(ice_manifest_list_read(x.io, ice_metadata_current_snapshot(x.t.metadata)->manifest_list, &mfs, &n, &err));
  ice_manifest_t m;
  CHECK_OK(ice_manifest_read(x.io, &mfs[0], x.t.metadata, NULL, NULL, &m, &err));
  CHECK_EQ_INT(m.n_entries, res.files);
  for (size_t i = 0; i < m.n_entries; i++) CHECK(m.entries[i].file.has_sort_order_id && m.entries[i].file.sort_order_id == 1);
  ice_manifest_release(&m);
  ice_manifest_files_free(mfs, n);
  ice_scan_options_t o = ICE_SCAN_OPTIONS_INIT;
  int64_t rows;
  CHECK_OK(tt_scan(&x, &o, tt_path("sorted-scan.parquet"), &rows, NULL, &err));
  tt_duck_expect_same(tt_path("sorted-src.parquet"), tt_path("sorted-scan.parquet"), "*", NULL, "tt_path(sorted-src.parquet), tt_path(sorted-scan.parquet), *");
  for (int i = 0; i < 3; i++) b[i].release(&b[i]);
  ice_commit_result_release(&res);
  tt_close(&x);
}

/* ---- schema evolution: added column, rename, promotion ------------------------------------------------ */
static int commit_schema(tt_table_t *x, const char *schema_json, prestige_error_t *e) {
  ice_schema_t *s;
  PRESTIGE_TRY(ice_schema_from_json_text(schema_json, &s, e));
  ice_update_t ups[2];
  memset(ups, 0, sizeof ups);
  ups[0].kind = ICE_UP_ADD_SCHEMA;
  ups[0].schema = s;
  ups[1].kind = ICE_UP_SET_CURRENT_SCHEMA;
  ups[1].id = -1;
  ice_requirement_t req = {.kind = ICE_REQ_ASSERT_CURRENT_SCHEMA_ID, .value = x->t.metadata->current_schema_id};
  ice_table_commit_t c = {&x->ident, &req, 1, ups, 2};
  ice_loaded_table_t out;
  int rc = x->cat->base.ops->table_commit(&x->cat->base, &c, &out, e);
  ice_schema_free(s);
  if (rc) return rc;
  ice_loaded_table_release(&out);
  return tt_reload(x, e);
}

TEST(schema_evolution_reads_by_field_id) {
  const char *v0 = "{\"type\":\"struct\",\"schema-id\":0,\"fields\":["
                   "{\"id\":1,\"name\":\"id\",\"required\":true,\"type\":\"long\"},"
                   "{\"id\":2,\"name\":\"n\",\"required\":false,\"type\":\"int\"},"
                   "{\"id\":3,\"name\":\"r\",\"required\":false,\"type\":\"float\"},"
                   "{\"id\":4,\"name\":\"old\",\"required\":false,\"type\":\"string\"},"
                   "{\"id\":5,\"name\":\"p\",\"required\":false,\"type\":\"decimal(7,2)\"}]}";
  tt_table_t x;
  const char *spec = "{\"spec-id\":0,\"fields\":[{\"source-id\":2,\"field-id\":1000,\"name\":\"n_b\",\"transform\":\"bucket[2]\"}]}";
  int crc = tt_create(&x, "evolve", v0, spec, NULL, 2, NULL, &err);
  CHECK_MSG(crc == 0, "create: %s", err.message);
  if (crc) return;
  tt_seed(9);
  struct ArrowArray b0, b1;
  CHECK_OK(tt_batch(&x.arrow, 400, 0.1, &b0, &err));
  CHECK_OK(tt_write_parquet(tt_path("evolve-0.parquet"), &x.arrow, &b0, 1, &err));
  CHECK_OK(tt_append(&x, &x.arrow, &b0, 1, NULL, NULL, &err));
  int64_t first = x.t.metadata->current_snapshot_id;
  /* v1: n int->long, r float->double, old renamed to renamed, p decimal(7,2)->(12,2), a new column */
  const char *v1 = "{\"type\":\"struct\",\"schema-id\":1,\"fields\":["
                   "{\"id\":1,\"name\":\"id\",\"required\":true,\"type\":\"long\"},"
                   "{\"id\":2,\"name\":\"n\",\"required\":false,\"type\":\"long\"},"
                   "{\"id\":3,\"name\":\"r\",\"required\":false,\"type\":\"double\"},"
                   "{\"id\":4,\"name\":\"renamed\",\"required\":false,\"type\":\"string\"},"
                   "{\"id\":5,\"name\":\"p\",\"required\":false,\"type\":\"decimal(12,2)\"},"
                   "{\"id\":6,\"name\":\"added\",\"required\":false,\"type\":\"string\"}]}";
  CHECK_OK(commit_schema(&x, v1, &err));
  CHECK_EQ_INT(x.t.metadata->current_schema_id, 1);
  CHECK_OK(tt_batch(&x.arrow, 300, 0.1, &b1, &err));
  CHECK_OK(tt_write_parquet(tt_path("evolve-1.parquet"), &x.arrow, &b1, 1, &err));
  CHECK_OK(tt_append(&x, &x.arrow, &b1, 1, NULL, NULL, &err));
  ice_scan_options_t o = ICE_SCAN_OPTIONS_INIT;
  int64_t rows;
  CHECK_OK(tt_scan(&x, &o, tt_path("evolve-scan.parquet"), &rows, NULL, &err));
  CHECK_EQ_INT(rows, 700);
  /* old rows: the renamed column carries the old values, the added one is null, types promoted */
  char both[1400];
  snprintf(both, sizeof both, "%s', '%s", tt_path("evolve-0.parquet"), tt_path("evolve-1.parquet"));
  char sql[4096];
  snprintf(sql, sizeof sql,
           "WITH a AS (SELECT id, CAST(n AS BIGINT) n, CAST(r AS DOUBLE) r, old AS renamed, CAST(p AS DECIMAL(12,2)) p, "
           "NULL::VARCHAR added FROM read_parquet('%s') UNION ALL SELECT * FROM read_parquet('%s')), "
           "b AS (SELECT * FROM read_parquet('%s')) "
           "SELECT (SELECT count(*) FROM (SELECT * FROM a EXCEPT ALL SELECT * FROM b)) + "
           "(SELECT count(*) FROM (SELECT * FROM b EXCEPT ALL SELECT * FROM a)) AS d",
           tt_path("evolve-0.parquet"), tt_path("evolve-1.parquet"), tt_path("evolve-scan.parquet"));
  char *out = test_duckdb_json(sql);
  CHECK_MSG(out && strstr(out, "\"d\":\"0\"") , "%s", out ? out : "(null)");
  free(out);
  /* a filter on the renamed and on the added column */
  o.filter = "renamed >= 'k' OR added IS NOT NULL";
  CHECK_OK(tt_scan(&x, &o, tt_path("evolve-f.parquet"), &rows, NULL, &err));
  snprintf(sql, sizeof sql,
           "SELECT (SELECT count(*) FROM read_parquet('%s') WHERE old >= 'k') + (SELECT count(*) FROM read_parquet('%s') "
           "WHERE renamed >= 'k' OR added IS NOT NULL) AS n",
           tt_path("evolve-0.parquet"), tt_path("evolve-1.parquet"));
  out = test_duckdb_json(sql);
  char want[64];
  snprintf(want, sizeof want, "\"n\":\"%lld\"", (long long)rows);
  CHECK_MSG(out && strstr(out, want), "%s, scan %lld", out ? out : "(null)", (long long)rows);
  free(out);
  /* time travel reads the old snapshot with its own schema */
  o.filter = NULL;
  o.snapshot_id = first;
  CHECK_OK(tt_scan(&x, &o, tt_path("evolve-tt.parquet"), &rows, NULL, &err));
  CHECK_EQ_INT(rows, 400);
  tt_duck_expect_same(tt_path("evolve-0.parquet"), tt_path("evolve-tt.parquet"), "*", NULL, "tt_path(evolve-0.parquet), tt_path(evolve-tt.parquet), *, NU");
  /* an incremental scan of the second append uses the current schema */
  o.snapshot_id = ICE_SCAN_NONE;
  o.since_snapshot_id = first;
  CHECK_OK(tt_scan(&x, &o, tt_path("evolve-inc.parquet"), &rows, NULL, &err));
  tt_duck_expect_same(tt_path("evolve-1.parquet"), tt_path("evolve-inc.parquet"), "*", NULL, "tt_path(evolve-1.parquet), tt_path(evolve-inc.parquet), *, N");
  /* appends with the old names fail naming the column; a narrower type is converted */
  b0.release(&b0);
  b1.release(&b1);
  tt_close(&x);
}

/* ---- commits: conflicts, unknown outcomes, branches, merging, V1 --------------------------------------- */
static int count_files(const char *dir, const char *suffix) {
  char cmd[1024];
  snprintf(cmd, sizeof cmd, "find '%s' -name '*%s' | wc -l", dir, suffix);
  FILE *p = popen(cmd, "r");
  int n = -1;
  if (p) {
    if (fscanf(p, "%d", &n) != 1) n = -1;
    pclose(p);
  }
  return n;
}

TEST(commit_retries_and_unknown_outcomes) {
  tt_table_t x;
  ice_strmap_t props = {0};
  ice_strmap_set(&props, "commit.retry.min-wait-ms", "5");
  int crc = tt_create(&x, "retry", SMALL, NULL, NULL, 2, &props, &err);
  CHECK_MSG(crc == 0, "create: %s", err.message);
  ice_strmap_release(&props);
  if (crc) return;
  tt_seed(3);
  struct ArrowArray b;
  CHECK_OK(tt_batch(&x.arrow, 100, 0.1, &b, &err));
  ice_commit_result_t res;
  /* two lost compare-and-sets, then it lands; only the manifest list is rewritten */
  x.cat->conflicts = 2;
  CHECK_OK(tt_append(&x, &x.arrow, &b, 1, NULL, &res, &err));
  CHECK_EQ_INT(res.attempts, 3);
  char meta[700];
  snprintf(meta, sizeof meta, "%s/warehouse/db/retry/metadata", test_tmpdir());
  CHECK_EQ_INT(count_files(meta, "-m0.avro"), 1);
  CHECK_EQ_INT(count_files(meta, ".avro"), 2); /* the manifest and the committed list: failed lists removed */
  ice_commit_result_release(&res);
  /* committed but reported unknown: found by reloading, not sent twice */
  x.cat->unknown_after = 1;
  int before = x.cat->commits;
  CHECK_OK(tt_append(&x, &x.arrow, &b, 1, NULL, &res, &err));
  CHECK_EQ_INT(x.cat->commits, before + 1);
  CHECK_EQ_INT(res.attempts, 1);
  CHECK(ice_metadata_snapshot(x.t.metadata, res.snapshot_id) != NULL);
  ice_commit_result_release(&res);
  /* not committed and reported unknown: not found by reloading, so retried */
  x.cat->unknown_before = 1;
  before = x.cat->commits;
  CHECK_OK(tt_append(&x, &x.arrow, &b, 1, NULL, &res, &err));
  CHECK_EQ_INT(x.cat->commits, before + 1);
  CHECK_EQ_INT(res.attempts, 2);
  ice_commit_result_release(&res);
  /* unknown and the reload fails too: EUNKNOWN_STATE, and the files stay (they may be referenced) */
  x.cat->unknown_before = 1;
  x.cat->unknown_load_fail = 1;
  int data_before = count_files(meta, ".avro");
  ice_append_t *a;
  CHECK_OK(ice_append_new(&a, &x.cat->base, &x.ident, x.io, &x.t, NULL, &err));
  struct ArrowArray c;
  CHECK_OK(tt_copy(&x.arrow, &b, &c, &err));
  CHECK_OK(ice_append_write(a, &x.arrow, &c, &err));
  CHECK_ERR(ice_append_commit(a, &res, NULL, &err), PRESTIGE_EUNKNOWN_STATE, "may or may not have been committed");
  ice_append_free(a);
  CHECK_EQ_INT(count_files(meta, ".avro"), data_before + 2);
  /* conflicts beyond the retries: ECONFLICT, and everything written is removed */
  CHECK_OK(tt_reload(&x, &err));
  char data[700];
  snprintf(data, sizeof data, "%s/warehouse/db/retry/data", test_tmpdir());
  int parquet_before = count_files(data, ".parquet");
  data_before = count_files(meta, ".avro");
  x.cat->conflicts = 5;
  CHECK_OK(ice_append_new(&a, &x.cat->base, &x.ident, x.io, &x.t, NULL, &err));
  CHECK_OK(tt_copy(&x.arrow, &b, &c, &err));
  CHECK_OK(ice_append_write(a, &x.arrow, &c, &err));
  CHECK_ERR(ice_append_commit(a, &res, NULL, &err), PRESTIGE_ECONFLICT, "gave up after 5 attempts");
  ice_append_free(a);
  CHECK_EQ_INT(count_files(data, ".parquet"), parquet_before);
  CHECK_EQ_INT(count_files(meta, ".avro"), data_before);
  /* an append that is freed without a commit deletes its files */
  CHECK_OK(ice_append_new(&a, &x.cat->base, &x.ident, x.io, &x.t, NULL, &err));
  CHECK_OK(tt_copy(&x.arrow, &b, &c, &err));
  CHECK_OK(ice_append_write(a, &x.arrow, &c, &err));
  ice_append_free(a);
  CHECK_EQ_INT(count_files(data, ".parquet"), parquet_before);
  b.release(&b);
  tt_close(&x);
}

TEST(branches_and_merging) {
  tt_table_t x;
  ice_strmap_t props = {0};
  ice_strmap_set(&props, "commit.manifest.min-count-to-merge", "5");
  int crc = tt_create(&x, "branch", SMALL, NULL, NULL, 3, &props, &err);
  CHECK_MSG(crc == 0, "create: %s", err.message);
  ice_strmap_release(&props);
  if (crc) return;
  tt_seed(4);
  struct ArrowArray b;
  CHECK_OK(tt_batch(&x.arrow, 50, 0.1, &b, &err));
  /* an append to a branch that does not exist yet: created, main untouched */
  ice_append_options_t o = ICE_APPEND_OPTIONS_INIT;
  o.branch = "audit";
  ice_commit_result_t res;
  CHECK_OK(tt_append(&x, &x.arrow, &b, 1, &o, &res, &err));
  const ice_snapshot_ref_t *r = ice_metadata_ref(x.t.metadata, "audit");
  CHECK(r && r->snapshot_id == res.snapshot_id && r->type == ICE_REF_BRANCH);
  CHECK(x.t.metadata->current_snapshot_id == ICE_NO_SNAPSHOT);
  ice_commit_result_release(&res);
  /* main gets appends; the branch's next append builds on its own head */
  for (int i = 0; i < 7; i++) {
    CHECK_OK(tt_append(&x, &x.arrow, &b, 1, NULL, &res, &err));
    ice_commit_result_release(&res);
  }
  CHECK_OK(tt_append(&x, &x.arrow, &b, 1, &o, &res, &err));
  const ice_snapshot_t *bs = ice_metadata_snapshot(x.t.metadata, res.snapshot_id);
  CHECK(bs && bs->has_parent && ice_metadata_ref(x.t.metadata, "audit")->snapshot_id == res.snapshot_id);
  CHECK_EQ_INT(summary_i64(bs, "total-records"), 100);
  ice_commit_result_release(&res);
  ice_scan_options_t so = ICE_SCAN_OPTIONS_INIT;
  so.ref = "audit";
  int64_t rows;
  CHECK_OK(tt_scan(&x, &so, tt_path("branch.parquet"), &rows, NULL, &err));
  CHECK_EQ_INT(rows, 100);
  so.ref = "nope";
  CHECK_ERR(tt_scan(&x, &so, tt_path("branch.parquet"), &rows, NULL, &err), PRESTIGE_ENOTFOUND, "nope");
  /* main: merging kicks in once the new manifest's bin would hold 5 (min-count-to-merge) */
  const ice_snapshot_t *cur = ice_metadata_current_snapshot(x.t.metadata);
  CHECK_EQ_INT(summary_i64(cur, "total-records"), 350);
  ice_manifest_file_t *mfs;
  size_t n;
  CHECK_OK(ice_manifest_list_read(x.io, cur->manifest_list, &mfs, &n, &err));
  CHECK(n < 5);
  bool merged_seen = false;
  for (const ice_snapshot_t *s = cur; s; s = s->has_parent ? ice_metadata_snapshot(x.t.metadata, s->parent_id) : NULL)
    if (summary_i64(s, "manifests-replaced") > 0) merged_seen = true;
  CHECK(merged_seen);
  /* V3: first row ids assigned; next-row-id advanced by every snapshot's added-rows, which cover the
   * rows added (450) and, as in Java, the existing rows of manifests merged without a first row id */
  int64_t added_rows = 0;
  for (size_t i = 0; i < x.t.metadata->n_snapshots; i++) added_rows += x.t.metadata->snapshots[i]->added_rows;
  CHECK_EQ_INT(x.t.metadata->next_row_id, added_rows);
  CHECK(added_rows >= 450);
  CHECK(cur->has_first_row_id && cur->has_added_rows);
  ice_manifest_files_free(mfs, n);
  so.ref = NULL;
  CHECK_OK(tt_scan(&x, &so, tt_path("main.parquet"), &rows, NULL, &err));
  CHECK_EQ_INT(rows, 350);
  /* a tag cannot be appended to */
  b.release(&b);
  tt_close(&x);
}

TEST(v1_tables_refused) {
  tt_table_t x;
  int crc = tt_create(&x, "v1src", SMALL, NULL, NULL, 2, NULL, &err);
  CHECK_MSG(crc == 0, "create: %s", err.message);
  if (crc) return;
  /* a V1 table: metadata from the spec's own example file */
  char path[700];
  snprintf(path, sizeof path, "%s/tests/iceberg/data/TableMetadataV1Valid.json", test_root());
  FILE *f = fopen(path, "rb");
  char text[65536];
  size_t n = f ? fread(text, 1, sizeof text - 1, f) : 0;
  if (f) fclose(f);
  text[n] = 0;
  ice_loaded_table_t v1 = {0};
  CHECK_OK(ice_metadata_read_text(text, n, path, &v1.metadata, &err));
  v1.metadata_location = strdup(path);
  ice_append_t *a;
  CHECK_ERR(ice_append_new(&a, &x.cat->base, &x.ident, x.io, &v1, NULL, &err), PRESTIGE_EUNSUPPORTED,
            "format version 1: prestige writes only to format version 2 and 3");
  ice_loaded_table_release(&v1);
  tt_close(&x);
}

/* ---- two processes appending at the same moment ---------------------------------------------------------- */
TEST(concurrent_processes) {
  tt_table_t x;
  ice_strmap_t props = {0};
  ice_strmap_set(&props, "commit.retry.num-retries", "40");
  ice_strmap_set(&props, "commit.retry.min-wait-ms", "5");
  ice_strmap_set(&props, "commit.retry.max-wait-ms", "200");
  int crc = tt_create(&x, "race", SMALL, "{\"spec-id\":0,\"fields\":[{\"source-id\":5,\"field-id\":1000,\"name\":\"i\",\"transform\":\"identity\"}]}",
                     NULL, 2, &props, &err);
  CHECK_MSG(crc == 0, "create: %s", err.message);
  ice_strmap_release(&props);
  if (crc) return;
  pid_t kids[2];
  for (int k = 0; k < 2; k++) {
    kids[k] = fork();
    if (kids[k] == 0) {
      int bad = 0;
      for (int i = 0; i < 20; i++) {
        tt_seed(1000 + k * 100 + i);
        struct ArrowArray b;
        prestige_error_t e;
        if (tt_reload(&x, &e) || tt_batch(&x.arrow, 25, 0.1, &b, &e)) {
          bad++;
          continue;
        }
        /* ids tell the writer and the round */
        int64_t *id = (int64_t *)b.children[0]->buffers[1];
        for (int64_t r = 0; r < b.length; r++) id[r] = k * 100000 + i * 100 + r;
        if (tt_append(&x, &x.arrow, &b, 1, NULL, NULL, &e)) {
          fprintf(stderr, "child %d append %d: %s\n", k, i, e.message);
          bad++;
        }
        b.release(&b);
      }
      _exit(bad ? 1 : 0);
    }
  }
  for (int k = 0; k < 2; k++) {
    int st = 0;
    waitpid(kids[k], &st, 0);
    CHECK_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child %d", k);
  }
  CHECK_OK(tt_reload(&x, &err));
  CHECK_EQ_INT(x.t.metadata->n_snapshots, 40);
  CHECK_EQ_INT(x.t.metadata->last_sequence_number, 40);
  ice_scan_options_t o = ICE_SCAN_OPTIONS_INIT;
  int64_t rows;
  CHECK_OK(tt_scan(&x, &o, tt_path("race.parquet"), &rows, NULL, &err));
  CHECK_EQ_INT(rows, 1000);
  char sql[1024];
  snprintf(sql, sizeof sql, "SELECT count(DISTINCT id) AS n, count(DISTINCT id // 100) AS rounds FROM read_parquet('%s')",
           tt_path("race.parquet"));
  char *out = test_duckdb_json(sql);
  CHECK_MSG(out && strstr(out, "\"n\":\"1000\"") && strstr(out, "\"rounds\":\"40\""), "%s", out ? out : "(null)");
  free(out);
  /* one chain of snapshots: every snapshot's parent is the one before it */
  const ice_snapshot_t *s = ice_metadata_current_snapshot(x.t.metadata);
  int chain = 0;
  for (; s; s = s->has_parent ? ice_metadata_snapshot(x.t.metadata, s->parent_id) : NULL) chain++;
  CHECK_EQ_INT(chain, 40);
  tt_close(&x);
}

/* ---- delete files --------------------------------------------------------------------------------------- */
/* Writes a Parquet delete file and returns its entry (in arena a). */
static int write_delete_file(tt_table_t *x, arena_t *a, const char *name, const struct ArrowSchema *s, struct ArrowArray *b,
                             ice_file_content_t content, int32_t *eq_ids, uint32_t n_eq, ice_data_file_t *out) {
  char loc[700];
  snprintf(loc, sizeof loc, "%s/data/%s", x->t.metadata->location, name);
  prestige_output_t po;
  prestige_parquet_writer_t *w;
  PRESTIGE_TRY(ice_io_open_output(x->io, loc, &po, &err));
  PRESTIGE_TRY(prestige_parquet_writer_open(&w, s, &po, NULL, &err));
  PRESTIGE_TRY(prestige_parquet_writer_write(w, b, &err));
  prestige_parquet_file_summary_t sum;
  PRESTIGE_TRY(prestige_parquet_writer_close(w, &sum, &err));
  memset(out, 0, sizeof(*out));
  out->content = content;
  out->file_path = arena_strndup(a, loc, strlen(loc));
  out->file_format = "parquet";
  out->record_count = sum.rows;
  out->file_size_in_bytes = sum.file_size;
  out->spec_id = 0;
  if (eq_ids) {
    out->equality_ids = arena_alloc(a, n_eq * sizeof(int32_t));
    memcpy(out->equality_ids, eq_ids, n_eq * sizeof(int32_t));
    out->n_equality_ids = n_eq;
  }
  prestige_parquet_file_summary_release(&sum);
  return 0;
}

/* Commits a "delete" snapshot: the parent's manifests plus one delete manifest of the files. */
static int commit_deletes(tt_table_t *x, const ice_data_file_t *files, size_t n) {
  const ice_table_metadata_t *md = x->t.metadata;
  const ice_snapshot_t *parent = ice_metadata_current_snapshot(md);
  int64_t id;
  PRESTIGE_TRY(ice_new_snapshot_id(md, &id, &err));
  char loc[700], list[700];
  snprintf(loc, sizeof loc, "%s/metadata/del-%lld-m0.avro", md->location, (long long)id);
  snprintf(list, sizeof list, "%s/metadata/snap-%lld-1-del.avro", md->location, (long long)id);
  ice_manifest_writer_t *w;
  PRESTIGE_TRY(ice_manifest_writer_open(&w, x->io, loc, md->format_version, ice_metadata_current_schema(md),
                                        ice_metadata_default_spec(md), ICE_MANIFEST_DELETES, id, &err));
  for (size_t i = 0; i < n; i++) PRESTIGE_TRY(ice_manifest_writer_add(w, &files[i], &err));
  ice_manifest_file_t mf;
  PRESTIGE_TRY(ice_manifest_writer_close(w, &mf, &err));
  ice_manifest_file_t *pm;
  size_t np;
  PRESTIGE_TRY(ice_manifest_list_read(x->io, parent->manifest_list, &pm, &np, &err));
  ice_manifest_list_writer_t *lw;
  int64_t seq = md->last_sequence_number + 1;
  PRESTIGE_TRY(ice_manifest_list_writer_open(&lw, x->io, list, md->format_version, id, &parent->snapshot_id, seq, md->next_row_id, &err));
  for (size_t i = 0; i < np; i++) PRESTIGE_TRY(ice_manifest_list_writer_add(lw, &pm[i], &err));
  PRESTIGE_TRY(ice_manifest_list_writer_add(lw, &mf, &err));
  int64_t next;
  PRESTIGE_TRY(ice_manifest_list_writer_close(lw, &next, &err));
  ice_snapshot_t s = {.snapshot_id = id, .has_parent = true, .parent_id = parent->snapshot_id, .sequence_number = seq,
                      .timestamp_ms = prestige_now_ms(), .manifest_list = list, .operation = (char *)"delete"};
  if (md->format_version >= 3) s.has_first_row_id = s.has_added_rows = true, s.first_row_id = md->next_row_id, s.added_rows = next - md->next_row_id;
  ice_update_t ups[2];
  memset(ups, 0, sizeof ups);
  ups[0].kind = ICE_UP_ADD_SNAPSHOT;
  ups[0].snapshot = &s;
  ups[1].kind = ICE_UP_SET_SNAPSHOT_REF;
  ups[1].ref.name = (char *)"main";
  ups[1].ref.snapshot_id = id;
  ice_table_commit_t c = {&x->ident, NULL, 0, ups, 2};
  ice_loaded_table_t out;
  int rc = x->cat->base.ops->table_commit(&x->cat->base, &c, &out, &err);
  ice_manifest_files_free(pm, np);
  ice_manifest_file_release(&mf);
  if (rc) return rc;
  ice_loaded_table_release(&x->t);
  x->t = out;
  return 0;
}

static int make_schema2(struct ArrowSchema *s, const char *f0, const char *n0, const char *id0, const char *f1,
                        const char *n1, const char *id1) {
  prestige_error_init(&err);
  prestige_schema_init(s, "+s", "", 0, &err);
  prestige_schema_allocate_children(s, f1 ? 2 : 1, &err);
  prestige_schema_init(s->children[0], f0, n0, 0, &err);
  prestige_kv_t kv0 = {"PARQUET:field_id", id0, -1};
  prestige_schema_set_metadata(s->children[0], &kv0, 1, &err);
  if (f1) {
    prestige_schema_init(s->children[1], f1, n1, 0, &err);
    prestige_kv_t kv1 = {"PARQUET:field_id", id1, -1};
    prestige_schema_set_metadata(s->children[1], &kv1, 1, &err);
  }
  return err.code;
}

TEST(position_and_equality_deletes) {
  tt_table_t x;
  const char *spec = "{\"spec-id\":0,\"fields\":[{\"source-id\":5,\"field-id\":1000,\"name\":\"i_b\",\"transform\":\"bucket[2]\"}]}";
  int crc = tt_create(&x, "deletes", SMALL, spec, NULL, 2, NULL, &err);
  CHECK_MSG(crc == 0, "create: %s", err.message);
  if (crc) return;
  tt_seed(31);
  struct ArrowArray b;
  CHECK_OK(tt_batch(&x.arrow, 600, 0.0, &b, &err));
  int64_t *id = (int64_t *)b.children[0]->buffers[1];
  for (int64_t r = 0; r < b.length; r++) id[r] = r; /* ids 0..599 */
  ice_commit_result_t res;
  CHECK_OK(tt_append(&x, &x.arrow, &b, 1, NULL, &res, &err));
  /* position deletes: rows 0, 5, 10, ... of the first data file; equality deletes: ids 300..349 */
  arena_t a = ARENA_INIT;
  ice_data_file_t dels[2];
  struct ArrowSchema ps, es;
  CHECK_OK(make_schema2(&ps, "u", "file_path", "2147483546", "l", "pos", "2147483545"));
  prestige_array_builder_t *pb;
  CHECK_OK(prestige_array_builder_new(&pb, &ps, &err));
  const char *first = res.paths[0];
  for (int64_t p = 0; p < 200; p += 5) {
    prestige_array_builder_append_bytes(prestige_array_builder_child(pb, 0), first, (int64_t)strlen(first), &err);
    prestige_array_builder_append_int(prestige_array_builder_child(pb, 1), p, &err);
    prestige_array_builder_append_struct(pb, &err);
  }
  struct ArrowArray pa;
  CHECK_OK(prestige_array_builder_finish(pb, &pa, &err));
  prestige_array_builder_free(pb);
  CHECK_OK(write_delete_file(&x, &a, "pos-del.parquet", &ps, &pa, ICE_CONTENT_POSITION_DELETES, NULL, 0, &dels[0]));
  /* position deletes are partitioned like the data file they name */
  ice_manifest_file_t *mfs;
  size_t nm;
  CHECK_OK(ice_manifest_list_read(x.io, ice_metadata_current_snapshot(x.t.metadata)->manifest_list, &mfs, &nm, &err));
  ice_manifest_t m;
  CHECK_OK(ice_manifest_read(x.io, &mfs[0], x.t.metadata, NULL, NULL, &m, &err));
  int64_t first_rows = 0;
  for (size_t i = 0; i < m.n_entries; i++)
    if (!strcmp(m.entries[i].file.file_path, first)) {
      dels[0].partition = m.entries[i].file.partition;
      dels[0].n_partition = m.entries[i].file.n_partition;
      first_rows = m.entries[i].file.record_count;
    }
  CHECK_OK(make_schema2(&es, "l", "id", "1", NULL, NULL, NULL));
  prestige_array_builder_t *eb;
  CHECK_OK(prestige_array_builder_new(&eb, &es, &err));
  for (int64_t v = 300; v < 350; v++) {
    prestige_array_builder_append_int(prestige_array_builder_child(eb, 0), v, &err);
    prestige_array_builder_append_struct(eb, &err);
  }
  struct ArrowArray ea;
  CHECK_OK(prestige_array_builder_finish(eb, &ea, &err));
  prestige_array_builder_free(eb);
  int32_t eq[] = {1};
  /* an equality delete in an unpartitioned spec would be global; this table is partitioned, so one
   * file per bucket carries the keys of that bucket: write it twice, with each bucket's tuple */
  CHECK_OK(write_delete_file(&x, &a, "eq-del.parquet", &es, &ea, ICE_CONTENT_EQUALITY_DELETES, eq, 1, &dels[1]));
  ice_data_file_t eq2 = dels[1];
  ice_value_t b0 = ice_value_int(0), b1 = ice_value_int(1);
  dels[1].partition = &b0;
  dels[1].n_partition = 1;
  eq2.partition = &b1;
  eq2.n_partition = 1;
  ice_data_file_t all[3] = {dels[0], dels[1], eq2};
  CHECK_OK(commit_deletes(&x, all, 3));
  /* rows appended after the delete keep ids 300..349: equality deletes only hit older data */
  struct ArrowArray b2;
  CHECK_OK(tt_batch(&x.arrow, 100, 0.0, &b2, &err));
  int64_t *id2 = (int64_t *)b2.children[0]->buffers[1];
  for (int64_t r = 0; r < b2.length; r++) id2[r] = 300 + r; /* 300..399 */
  CHECK_OK(tt_append(&x, &x.arrow, &b2, 1, NULL, NULL, &err));
  CHECK_OK(tt_write_parquet(tt_path("del-src1.parquet"), &x.arrow, &b, 1, &err));
  CHECK_OK(tt_write_parquet(tt_path("del-src2.parquet"), &x.arrow, &b2, 1, &err));
  ice_scan_options_t o = ICE_SCAN_OPTIONS_INIT;
  int64_t rows;
  ice_scan_metrics_t sm;
  CHECK_OK(tt_scan(&x, &o, tt_path("del-scan.parquet"), &rows, &sm, &err));
  CHECK(sm.delete_files >= 2);
  /* expected: old rows minus the deleted positions of the first file minus ids 300..349, plus the new rows */
  char sql[4096];
  snprintf(sql, sizeof sql,
           "WITH f AS (SELECT *, row_number() OVER () - 1 AS pos FROM read_parquet('%s', hive_partitioning = false)), "
           "want AS ((SELECT * FROM read_parquet('%s') WHERE NOT (id BETWEEN 300 AND 349) "
           "EXCEPT ALL SELECT * EXCLUDE (pos) FROM f WHERE pos %% 5 = 0 AND pos < 200 AND NOT (id BETWEEN 300 AND 349)) "
           "UNION ALL SELECT * FROM read_parquet('%s')), got AS (SELECT * FROM read_parquet('%s')) "
           "SELECT (SELECT count(*) FROM (SELECT * FROM want EXCEPT ALL SELECT * FROM got)) + "
           "(SELECT count(*) FROM (SELECT * FROM got EXCEPT ALL SELECT * FROM want)) AS d, (SELECT count(*) FROM got) AS n",
           ice_location_local_path(first), tt_path("del-src1.parquet"), tt_path("del-src2.parquet"), tt_path("del-scan.parquet"));
  char *out = test_duckdb_json(sql);
  CHECK_MSG(out && strstr(out, "\"d\":\"0\""), "%s", out ? out : "(null)");
  free(out);
  /* rows count: 600 - 50 (eq) - 40 positions (minus those positions whose ids are in 300..349) + 100 */
  CHECK(rows < 650 && rows >= 600 - 50 - 40 + 100);
  CHECK(first_rows > 0);
  /* with a filter (no pushdown on files with deletes) */
  o.filter = "id >= 290 AND id < 360";
  CHECK_OK(tt_scan(&x, &o, tt_path("del-scan-f.parquet"), &rows, NULL, &err));
  snprintf(sql, sizeof sql, "SELECT count(*) AS n FROM read_parquet('%s') WHERE id >= 290 AND id < 360", tt_path("del-scan.parquet"));
  out = test_duckdb_json(sql);
  char want[64];
  snprintf(want, sizeof want, "\"n\":\"%lld\"", (long long)rows);
  CHECK_MSG(out && strstr(out, want), "%s vs %lld", out ? out : "", (long long)rows);
  free(out);
  /* a deletion vector is refused naming it */
  ice_manifest_release(&m);
  ice_manifest_files_free(mfs, nm);
  ps.release(&ps);
  es.release(&es);
  pa.release(&pa);
  ea.release(&ea);
  b.release(&b);
  b2.release(&b2);
  arena_release(&a);
  ice_commit_result_release(&res);
  tt_close(&x);
}

/* ---- bad input ---------------------------------------------------------------------------------------- */
static void write_bytes_at(const char *path, long off, const void *p, size_t n, bool truncate_after) {
  FILE *f = fopen(path, "r+b");
  if (!f) return;
  fseek(f, off, SEEK_SET);
  fwrite(p, 1, n, f);
  fflush(f);
  if (truncate_after && ftruncate(fileno(f), off + (long)n) != 0) fprintf(stderr, "truncate failed\n");
  fclose(f);
}

TEST(bad_metadata_and_manifests) {
  tt_table_t x;
  int crc = tt_create(&x, "bad", SMALL, NULL, NULL, 2, NULL, &err);
  CHECK_MSG(crc == 0, "create: %s", err.message);
  if (crc) return;
  tt_seed(8);
  struct ArrowArray b;
  CHECK_OK(tt_batch(&x.arrow, 100, 0.1, &b, &err));
  CHECK_OK(tt_append(&x, &x.arrow, &b, 1, NULL, NULL, &err));
  CHECK_OK(tt_append(&x, &x.arrow, &b, 1, NULL, NULL, &err));
  const ice_snapshot_t *cur = ice_metadata_current_snapshot(x.t.metadata);
  ice_manifest_file_t *mfs;
  size_t n;
  CHECK_OK(ice_manifest_list_read(x.io, cur->manifest_list, &mfs, &n, &err));
  CHECK_EQ_INT(n, 2);
  if (n != 2) return;
  char data_dir[700], meta_dir[700];
  snprintf(data_dir, sizeof data_dir, "%s/warehouse/db/bad/data", test_tmpdir());
  snprintf(meta_dir, sizeof meta_dir, "%s/warehouse/db/bad/metadata", test_tmpdir());
  /* a corrupt manifest: scans and appends fail naming it, and the append leaves nothing behind */
  const char *m0 = ice_location_local_path(mfs[0].path);
  FILE *f = fopen(m0, "rb");
  uint8_t saved[64];
  fseek(f, 200, SEEK_SET);
  size_t got = fread(saved, 1, sizeof saved, f);
  fclose(f);
  uint8_t junk[64];
  memset(junk, 0xA5, sizeof junk);
  write_bytes_at(m0, 200, junk, sizeof junk, false);
  ice_scan_options_t o = ICE_SCAN_OPTIONS_INIT;
  int64_t rows;
  int rc = tt_scan(&x, &o, tt_path("bad.parquet"), &rows, NULL, &err);
  CHECK(rc == PRESTIGE_ECORRUPT && strstr(err.message, mfs[0].path));
  int parquet_before = count_files(data_dir, ".parquet"), avro_before = count_files(meta_dir, ".avro");
  int json_before = count_files(meta_dir, ".json");
  /* merging makes the append read every manifest */
  ice_strmap_t props = {0};
  (void)props;
  ice_append_options_t ao = ICE_APPEND_OPTIONS_INIT;
  ice_table_metadata_t *md = x.t.metadata;
  ice_strmap_set(&md->properties, "commit.manifest.min-count-to-merge", "2");
  rc = tt_append(&x, &x.arrow, &b, 1, &ao, NULL, &err);
  CHECK_MSG(rc == PRESTIGE_ECORRUPT && strstr(err.message, mfs[0].path), "%s: %s", prestige_code_name(rc), err.message);
  CHECK_EQ_INT(count_files(data_dir, ".parquet"), parquet_before);
  CHECK_EQ_INT(count_files(meta_dir, ".avro"), avro_before);
  CHECK_EQ_INT(count_files(meta_dir, ".json"), json_before);
  write_bytes_at(m0, 200, saved, got, false);
  ice_strmap_remove(&md->properties, "commit.manifest.min-count-to-merge");
  /* a manifest list naming a missing manifest */
  char moved[800];
  snprintf(moved, sizeof moved, "%s.moved", m0);
  CHECK(rename(m0, moved) == 0);
  rc = tt_scan(&x, &o, tt_path("bad.parquet"), &rows, NULL, &err);
  CHECK_MSG(rc == PRESTIGE_ENOTFOUND && strstr(err.message, mfs[0].path), "%s: %s", prestige_code_name(rc), err.message);
  CHECK(rename(moved, m0) == 0);
  /* a missing data file: the stream ends with an error naming it */
  CHECK_OK(tt_scan(&x, &o, tt_path("ok.parquet"), &rows, NULL, &err));
  CHECK_EQ_INT(rows, 200);
  /* a truncated manifest list */
  const char *list = ice_location_local_path(cur->manifest_list);
  struct stat st;
  stat(list, &st);
  uint8_t one = 0;
  f = fopen(list, "rb");
  fseek(f, st.st_size / 2, SEEK_SET);
  if (fread(&one, 1, 1, f) != 1) one = 0;
  fclose(f);
  write_bytes_at(list, st.st_size / 2, &one, 1, true);
  rc = tt_scan(&x, &o, tt_path("bad.parquet"), &rows, NULL, &err);
  CHECK_MSG(rc == PRESTIGE_ECORRUPT && strstr(err.message, cur->manifest_list), "%s: %s", prestige_code_name(rc), err.message);
  /* a truncated and a spec-violating metadata file: loading fails naming it */
  const char *meta = ice_location_local_path(x.t.metadata_location);
  stat(meta, &st);
  write_bytes_at(meta, st.st_size / 2, "", 0, true);
  ice_loaded_table_t lt;
  rc = x.cat->base.ops->table_load(&x.cat->base, &x.ident, &lt, &err);
  CHECK_MSG(rc == PRESTIGE_ECORRUPT && strstr(err.message, x.t.metadata_location), "%s: %s", prestige_code_name(rc), err.message);
  f = fopen(meta, "w");
  fputs("{\"format-version\":2,\"table-uuid\":\"9c12d441-03fe-4693-9a96-a0705ddf69c1\",\"location\":\"s3://b/t\","
        "\"last-sequence-number\":1,\"last-updated-ms\":1,\"last-column-id\":1,\"current-schema-id\":0,"
        "\"schemas\":[{\"type\":\"struct\",\"schema-id\":0,\"fields\":[]}],\"default-spec-id\":0,\"partition-specs\":"
        "[{\"spec-id\":0,\"fields\":[]}],\"last-partition-id\":999,\"default-sort-order-id\":0,\"sort-orders\":"
        "[{\"order-id\":0,\"fields\":[]}],\"current-snapshot-id\":77}",
        f);
  fclose(f);
  rc = x.cat->base.ops->table_load(&x.cat->base, &x.ident, &lt, &err);
  CHECK_MSG(rc == PRESTIGE_ECORRUPT && strstr(err.message, x.t.metadata_location) && strstr(err.message, "77"), "%s: %s",
            prestige_code_name(rc), err.message);
  ice_manifest_files_free(mfs, n);
  b.release(&b);
  tt_close(&x);
}

TEST_MAIN(RUN(append_and_scan_every_type); tt_duck_check(); RUN(partitions_by_every_transform); tt_duck_check(); RUN(pruning_counts); tt_duck_check();
          RUN(sorted_table_files_are_sorted); tt_duck_check(); RUN(schema_evolution_reads_by_field_id); tt_duck_check();
          RUN(commit_retries_and_unknown_outcomes); tt_duck_check(); RUN(branches_and_merging); tt_duck_check(); RUN(v1_tables_refused); tt_duck_check(); RUN(concurrent_processes); tt_duck_check();
          RUN(position_and_equality_deletes); tt_duck_check();
          RUN(bad_metadata_and_manifests);)
