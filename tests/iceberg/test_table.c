/* Tables appended and scanned through the catalog interface (a file catalog of the test's own),
 * checked against DuckDB reading the source rows: every type with nulls, partitions by each
 * transform, sorted tables, time travel, incremental ranges, schema evolution, pruning counts,
 * merges, retries, unknown outcomes, branches, concurrent writers and bad input. */
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
  CHECK_OK(tt_create(&x, "all", ALL_TYPES, DAY_BUCKET, NULL, 2, NULL, &err));
  if (err.code) return;
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
  CHECK_EQ_INT(tt_duck_diff(tt_path("all-src1.parquet"), tt_path("all-scan1.parquet"), "*", NULL), 0);

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
  CHECK_EQ_INT(tt_duck_diff(both, tt_path("all-scan2.parquet"), "*", NULL), 0);
  /* time travel to the first snapshot; the rows added since */
  o.snapshot_id = res.snapshot_id;
  CHECK_OK(tt_scan(&x, &o, tt_path("all-tt.parquet"), &rows, NULL, &err));
  CHECK_EQ_INT(rows, 2100);
  CHECK_EQ_INT(tt_duck_diff(tt_path("all-src1.parquet"), tt_path("all-tt.parquet"), "*", NULL), 0);
  o.snapshot_id = ICE_SCAN_NONE;
  o.since_snapshot_id = res.snapshot_id;
  CHECK_OK(tt_scan(&x, &o, tt_path("all-inc.parquet"), &rows, NULL, &err));
  CHECK_EQ_INT(rows, 500);
  CHECK_EQ_INT(tt_duck_diff(tt_path("all-src2.parquet"), tt_path("all-inc.parquet"), "*", NULL), 0);
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
    CHECK_OK(tt_create(&x, tc->name, SMALL, spec, NULL, 2, NULL, &err));
    if (err.code) continue;
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
    CHECK_MSG(tt_duck_diff(tt_path(src), tt_path(out), "*", NULL) == 0, "%s", tc->name);
    CHECK_EQ_INT(m.manifests, 2);
    for (int w = 0; w < 4 && tc->where[w]; w++) {
      if (strstr(tc->where[w], "LIKE_NONE")) continue;
      o.filter = tc->where[w];
      CHECK_OK(tt_scan(&x, &o, tt_path(out), &rows, &m, &err));
      long long d = tt_duck_diff(tt_path(src), tt_path(out), "*", tc->where[w]);
      CHECK_MSG(d == 0, "%s WHERE %s: %lld rows differ", tc->name, tc->where[w], d);
      bool pruned = m.files_skipped_partition + m.files_skipped_metrics + m.manifests_skipped > 0;
      CHECK_MSG(pruned || rows > 1000, "%s WHERE %s: nothing pruned (%lld files, %lld rows)", tc->name, tc->where[w],
                (long long)m.files, (long long)rows);
    }
    b[0].release(&b[0]);
    b[1].release(&b[1]);
    tt_close(&x);
  }
}

/* Pruning by partition and by bounds, counted; results equal DuckDB's WHERE. */
TEST(pruning_counts) {
  tt_table_t x;
  const char *spec = "{\"spec-id\":0,\"fields\":[{\"source-id\":2,\"field-id\":1000,\"name\":\"ts_day\",\"transform\":\"day\"}]}";
  CHECK_OK(tt_create(&x, "prune", SMALL, spec, NULL, 2, NULL, &err));
  if (err.code) return;
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
  CHECK_EQ_INT(tt_duck_diff(all, tt_path("prune-a.parquet"), "*", o.filter), 0);
  /* by bounds: id ranges are per file */
  o.filter = "id BETWEEN 4100 AND 4200 OR id = 9001";
  CHECK_OK(tt_scan(&x, &o, tt_path("prune-b.parquet"), &rows, &m, &err));
  CHECK_EQ_INT(m.manifests_skipped, 0);
  CHECK_EQ_INT(m.files, 10);
  CHECK_EQ_INT(m.files_skipped_metrics, 8);
  CHECK_EQ_INT(m.files_planned, 2);
  CHECK_EQ_INT(rows, 102);
  CHECK_EQ_INT(tt_duck_diff(all, tt_path("prune-b.parquet"), "*", o.filter), 0);
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
  CHECK_EQ_INT(tt_duck_diff(all, tt_path("prune-d.parquet"), "name", o.filter), 0);
  tt_close(&x);
}

/* ---- sorted tables -------------------------------------------------------------------------------- */
static int64_t cmp_files_sorted(const char *path, const char *order_sql) {
  /* rows out of order: compare each row with the next in file order by DuckDB's row number */
  char sql[2048];
  snprintf(sql, sizeof sql,
           "WITH t AS (SELECT *, row_number() OVER () AS rn FROM read_parquet('%s')), "
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
  CHECK_OK(tt_create(&x, "sorted", SMALL, spec, order, 2, NULL, &err));
  if (err.code) return;
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
  CHECK_EQ_INT(tt_duck_diff(tt_path("sorted-src.parquet"), tt_path("sorted-scan.parquet"), "*", NULL), 0);
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
  CHECK_OK(tt_create(&x, "evolve", v0, spec, NULL, 2, NULL, &err));
  if (err.code) return;
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
  CHECK_EQ_INT(tt_duck_diff(tt_path("evolve-0.parquet"), tt_path("evolve-tt.parquet"), "*", NULL), 0);
  /* an incremental scan of the second append uses the current schema */
  o.snapshot_id = ICE_SCAN_NONE;
  o.since_snapshot_id = first;
  CHECK_OK(tt_scan(&x, &o, tt_path("evolve-inc.parquet"), &rows, NULL, &err));
  CHECK_EQ_INT(tt_duck_diff(tt_path("evolve-1.parquet"), tt_path("evolve-inc.parquet"), "*", NULL), 0);
  /* appends with the old names fail naming the column; a narrower type is converted */
  b0.release(&b0);
  b1.release(&b1);
  tt_close(&x);
}

TEST_MAIN(RUN(append_and_scan_every_type); RUN(partitions_by_every_transform); RUN(pruning_counts);
          RUN(sorted_table_files_are_sorted); RUN(schema_evolution_reads_by_field_id);)
