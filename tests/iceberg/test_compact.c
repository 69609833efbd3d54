/* Compaction through the catalog interface: bin-packing per partition, deletes applied (never
 * resurrected), deduplication on the identifier fields against DuckDB's
 * QUALIFY row_number() OVER (PARTITION BY id ORDER BY seq DESC) = 1, sorted output, incremental
 * scans across the replace snapshot, and races with appends and deletes. */
#include "iceberg/lineage.h"
#include "iceberg/rewrite.h"
#include "iceberg/rowdelta.h"
#include "table_util.h"

#undef RUN
#define RUN(name)                                                                   \
  do {                                                                              \
    if (!getenv("TEST_ONLY") || strstr(#name, getenv("TEST_ONLY"))) {               \
      test_current = #name;                                                         \
      name();                                                                       \
    }                                                                               \
  } while (0)

static prestige_error_t err;

static const char *KEYED =
    "{\"type\":\"struct\",\"schema-id\":0,\"identifier-field-ids\":[1],\"fields\":["
    "{\"id\":1,\"name\":\"id\",\"required\":true,\"type\":\"long\"},"
    "{\"id\":2,\"name\":\"ts\",\"required\":false,\"type\":\"timestamptz\"},"
    "{\"id\":3,\"name\":\"name\",\"required\":false,\"type\":\"string\"},"
    "{\"id\":5,\"name\":\"i\",\"required\":false,\"type\":\"int\"},"
    "{\"id\":7,\"name\":\"f\",\"required\":false,\"type\":\"double\"}]}";
static const char *BUCKET = "{\"spec-id\":0,\"fields\":[{\"source-id\":1,\"field-id\":1000,\"name\":\"id_b\",\"transform\":\"bucket[2]\"}]}";
static const char *BY_ID = "{\"order-id\":1,\"fields\":[{\"source-id\":1,\"transform\":\"identity\",\"direction\":\"asc\",\"null-order\":\"nulls-first\"}]}";

static int64_t summary_i64(const ice_snapshot_t *s, const char *k) {
  const char *v = s ? ice_strmap_get(&s->summary, k) : NULL;
  return v ? atoll(v) : -1;
}

/* Batch k: 300 rows, ids unique within the batch but shared across batches (0..499). */
static void overlapping_batch(tt_table_t *x, int k, struct ArrowArray *b) {
  CHECK_OK(tt_batch(&x->arrow, 300, 0.1, b, &err));
  int64_t *id = (int64_t *)b->children[0]->buffers[1];
  for (int64_t r = 0; r < 300; r++) id[r] = (r * 7 + k * 131) % 500;
}

static int64_t scan_to(tt_table_t *x, const char *out) {
  ice_scan_options_t o = ICE_SCAN_OPTIONS_INIT;
  int64_t rows = -1;
  int rc = tt_scan(x, &o, tt_path(out), &rows, NULL, &err);
  CHECK_MSG(rc == 0, "scan: %s", err.message);
  return rows;
}

static long long duck_count(const char *sql) {
  char *out = test_duckdb_json(sql);
  json_t *j = out ? json_loads(out, 0, NULL) : NULL;
  json_t *v = json_object_get(json_array_get(j, 0), "d");
  long long d = v ? (json_is_string(v) ? atoll(json_string_value(v)) : (long long)json_integer_value(v)) : -1;
  if (d != 0) fprintf(stderr, "duckdb: %s\n", out ? out : "(nothing)");
  json_decref(j);
  free(out);
  return d;
}

/* Rows out of order in the data files of the current snapshot: ids non-decreasing (non-increasing
 * when check_desc); with check_ties, equal ids must come with non-decreasing i (older rows first). */
static bool check_desc, check_ties;
static int64_t unsorted_files(tt_table_t *x, int64_t *n_files) {
  ice_scan_options_t o = ICE_SCAN_OPTIONS_INIT;
  ice_scan_plan_t *p;
  *n_files = -1;
  if (ice_scan_plan(x->io, x->t.metadata, "t", &o, &p, &err)) return -1;
  *n_files = (int64_t)p->n_tasks;
  int64_t bad = 0;
  for (size_t t = 0; t < p->n_tasks; t++) {
    prestige_parquet_reader_t *r;
    prestige_input_t in;
    if (ice_io_open_input(x->io, p->tasks[t].file.file_path, 0, &in, &err)) return -1;
    prestige_parquet_reader_options_t ro;
    prestige_parquet_reader_options_init(&ro);
    static const char *const cols[] = {"id", "i"};
    ro.columns = cols;
    ro.n_columns = 2;
    if (prestige_parquet_reader_open(&r, &in, &ro, &err)) return -1;
    struct ArrowArrayStream st;
    if (prestige_parquet_reader_stream(r, &st, &err)) return -1;
    int64_t last = check_desc ? INT64_MAX : INT64_MIN;
    int32_t last_i = INT32_MIN;
    for (;;) {
      struct ArrowArray b;
      if (st.get_next(&st, &b) || !b.release) break;
      const int64_t *id = (const int64_t *)b.children[0]->buffers[1] + b.children[0]->offset + b.offset;
      const int32_t *iv = (const int32_t *)b.children[1]->buffers[1] + b.children[1]->offset + b.offset;
      for (int64_t i = 0; i < b.length; i++) {
        if (check_desc ? id[i] > last : id[i] < last) bad++;
        if (check_ties && id[i] == last && iv[i] < last_i) bad++;
        last = id[i];
        last_i = iv[i];
      }
      b.release(&b);
    }
    st.release(&st);
  }
  ice_scan_plan_free(p);
  return bad;
}

TEST(dedup_sort_and_deletes_match_duckdb) {
  for (int partitioned = 0; partitioned < 2; partitioned++) {
    tt_table_t x;
    const char *name = partitioned ? "cdp" : "cdu";
    int crc = tt_create(&x, name, KEYED, partitioned ? BUCKET : NULL, BY_ID, 2, NULL, &err);
    CHECK_MSG(crc == 0, "create: %s", err.message);
    if (crc) continue;
    tt_seed(900 + partitioned);
    enum { NB = 6 };
    struct ArrowArray b[NB];
    char union_sql[8192] = "";
    for (int k = 0; k < NB; k++) {
      overlapping_batch(&x, k, &b[k]);
      char src[64];
      snprintf(src, sizeof src, "%s-b%d.parquet", name, k);
      CHECK_OK(tt_write_parquet(tt_path(src), &x.arrow, &b[k], 1, &err));
      CHECK_OK(tt_append(&x, &x.arrow, &b[k], 1, NULL, NULL, &err));
      size_t l = strlen(union_sql);
      snprintf(union_sql + l, sizeof union_sql - l, "%sSELECT *, %d AS s FROM read_parquet('%s')", k ? " UNION ALL " : "", k,
               tt_path(src));
    }
    /* deletes of both kinds before compacting */
    const char *preds[] = {"i < -30", "name >= 'kappa'"};
    for (int d = 0; d < 2; d++) {
      ice_delete_options_t o = ICE_DELETE_OPTIONS_INIT;
      o.where = preds[d];
      o.mode = d ? ICE_DELETE_EQUALITY : ICE_DELETE_POSITION;
      ice_delete_result_t r;
      CHECK_OK(ice_delete_where(&x.cat->base, &x.ident, x.io, &x.t, &o, &r, &err));
      CHECK(r.deleted_rows > 0);
    }
    char before[64], after[64], deduped[64];
    snprintf(before, sizeof before, "%s-before.parquet", name);
    snprintf(after, sizeof after, "%s-after.parquet", name);
    snprintf(deduped, sizeof deduped, "%s-dedup.parquet", name);
    int64_t n_before = scan_to(&x, before);
    int64_t pre_snapshot = ice_metadata_current_snapshot(x.t.metadata)->snapshot_id;
    /* plain compaction: the same rows, fewer files, no delete files left */
    ice_compact_options_t co = ICE_COMPACT_OPTIONS_INIT;
    co.min_files = 2;
    co.what = name;
    ice_compact_result_t cr;
    CHECK_OK(ice_compact(&x.cat->base, &x.ident, x.io, &x.t, &co, &cr, &err));
    CHECK(cr.snapshot_id > 0);
    CHECK_EQ_INT(cr.files_written, partitioned ? 2 : 1);
    CHECK_EQ_INT(cr.files_read, partitioned ? 2 * NB : NB);
    CHECK_EQ_INT(cr.rows_written, n_before);
    CHECK_EQ_INT(cr.duplicates_eliminated, 0);
    CHECK(cr.delete_files_removed > 0);
    const ice_snapshot_t *s = ice_metadata_current_snapshot(x.t.metadata);
    CHECK(s && !strcmp(s->operation, "replace"));
    CHECK_EQ_INT(summary_i64(s, "total-delete-files"), 0);
    CHECK_EQ_INT(summary_i64(s, "total-records"), n_before);
    CHECK_EQ_INT(scan_to(&x, after), n_before);
    tt_duck_expect_same(tt_path(before), tt_path(after), "*", NULL, "compaction keeps every live row");
    int64_t n_files;
    CHECK_EQ_INT(unsorted_files(&x, &n_files), 0);
    CHECK_EQ_INT(n_files, partitioned ? 2 : 1);
    /* an incremental scan across the replace delivers nothing */
    ice_scan_options_t io = ICE_SCAN_OPTIONS_INIT;
    io.since_snapshot_id = pre_snapshot;
    int64_t rows = -1;
    CHECK_OK(tt_scan(&x, &io, tt_path("inc.parquet"), &rows, NULL, &err));
    CHECK_EQ_INT(rows, 0);
    /* dedup: needs more than one file per partition, so append once more */
    struct ArrowArray extra;
    overlapping_batch(&x, NB, &extra);
    char src[64];
    snprintf(src, sizeof src, "%s-b%d.parquet", name, NB);
    CHECK_OK(tt_write_parquet(tt_path(src), &x.arrow, &extra, 1, &err));
    CHECK_OK(tt_append(&x, &x.arrow, &extra, 1, NULL, NULL, &err));
    co.dedup = true;
    CHECK_OK(ice_compact(&x.cat->base, &x.ident, x.io, &x.t, &co, &cr, &err));
    CHECK(cr.duplicates_eliminated > 0);
    int64_t n_dedup = scan_to(&x, deduped);
    CHECK_EQ_INT(n_dedup, cr.rows_written);
    CHECK_EQ_INT(cr.rows_read - cr.duplicates_eliminated, cr.rows_written);
    CHECK_EQ_INT(unsorted_files(&x, &n_files), 0);
    /* DuckDB: the live rows (each batch minus what the deletes removed; the last batch came after them), the
     * latest version of each id */
    char sql[16384];
    snprintf(sql, sizeof sql,
             "WITH src AS (%s UNION ALL SELECT *, %d AS s FROM read_parquet('%s')), "
             "live AS (SELECT * FROM src WHERE s = %d OR ((i < -30) IS NOT TRUE AND id NOT IN (SELECT id FROM src WHERE s < %d AND "
             "name >= 'kappa' AND (i < -30) IS NOT TRUE))), "
             "x AS (SELECT * EXCLUDE (s) FROM live QUALIFY row_number() OVER (PARTITION BY id ORDER BY s DESC) = 1), "
             "y AS (SELECT * FROM read_parquet('%s')) "
             "SELECT (SELECT count(*) FROM (SELECT * FROM x EXCEPT ALL SELECT * FROM y)) + "
             "(SELECT count(*) FROM (SELECT * FROM y EXCEPT ALL SELECT * FROM x)) AS d, (SELECT count(*) FROM x) AS nx",
             union_sql, NB, tt_path(src), NB, NB, tt_path(deduped));
    CHECK_EQ_INT(duck_count(sql), 0);
    for (int k = 0; k < NB; k++) b[k].release(&b[k]);
    extra.release(&extra);
    tt_close(&x);
  }
  tt_duck_check();
}

/* Races, played with a stale copy of the table: the loser plans on the old snapshot. */
TEST(races_with_appends_and_deletes) {
  tt_table_t x;
  int crc = tt_create(&x, "race", KEYED, BUCKET, NULL, 2, NULL, &err);
  CHECK_MSG(crc == 0, "create: %s", err.message);
  if (crc) return;
  tt_seed(77);
  struct ArrowArray b[4];
  for (int k = 0; k < 4; k++) {
    CHECK_OK(tt_batch(&x.arrow, 200, 0.1, &b[k], &err));
    int64_t *id = (int64_t *)b[k].children[0]->buffers[1];
    for (int64_t r = 0; r < 200; r++) id[r] = k * 1000 + r;
    CHECK_OK(tt_append(&x, &x.arrow, &b[k], 1, NULL, NULL, &err));
  }
  /* an append lands while a compaction runs: both land, nothing lost */
  ice_loaded_table_t stale;
  CHECK_OK(x.cat->base.ops->table_load(&x.cat->base, &x.ident, &stale, &err));
  struct ArrowArray more;
  CHECK_OK(tt_batch(&x.arrow, 150, 0.1, &more, &err));
  int64_t *mid = (int64_t *)more.children[0]->buffers[1];
  for (int64_t r = 0; r < 150; r++) mid[r] = 9000 + r;
  CHECK_OK(tt_append(&x, &x.arrow, &more, 1, NULL, NULL, &err));
  ice_compact_options_t co = ICE_COMPACT_OPTIONS_INIT;
  co.min_files = 2;
  ice_compact_result_t cr;
  CHECK_OK(ice_compact(&x.cat->base, &x.ident, x.io, &stale, &co, &cr, &err));
  CHECK(cr.snapshot_id > 0 && cr.attempts >= 2);
  CHECK_EQ_INT(cr.groups_conflicted, 0);
  CHECK_OK(tt_reload(&x, &err));
  CHECK_EQ_INT(scan_to(&x, "race-a.parquet"), 950);
  ice_loaded_table_release(&stale);
  /* a delete lands on files a compaction is rewriting: the compaction re-plans those partitions
   * from the table as it is now and rewrites them with the delete applied */
  for (int k = 0; k < 2; k++) CHECK_OK(tt_append(&x, &x.arrow, &b[k], 1, NULL, NULL, &err)); /* more small files */
  CHECK_OK(x.cat->base.ops->table_load(&x.cat->base, &x.ident, &stale, &err));
  ice_delete_options_t dopt = ICE_DELETE_OPTIONS_INIT;
  dopt.where = "id < 100";
  ice_delete_result_t dr;
  CHECK_OK(ice_delete_where(&x.cat->base, &x.ident, x.io, &x.t, &dopt, &dr, &err));
  CHECK_EQ_INT(dr.deleted_rows, 200); /* ids 0..99 twice */
  int64_t n_after_delete = scan_to(&x, "race-b.parquet");
  int64_t files_before = -1;
  unsorted_files(&x, &files_before);
  int rc = ice_compact(&x.cat->base, &x.ident, x.io, &stale, &co, &cr, &err);
  CHECK_MSG(rc == 0, "%s: %s", prestige_code_name(rc), err.message);
  CHECK(cr.groups_conflicted > 0);
  CHECK(cr.replans >= 1);
  CHECK_EQ_INT(cr.groups_abandoned, 0);
  CHECK(cr.snapshot_id > 0);
  CHECK_EQ_INT(cr.rows_written, n_after_delete); /* every live row rewritten once, the deleted ones not */
  CHECK_EQ_INT(stale.metadata->current_snapshot_id, cr.snapshot_id); /* the table handed back is the new one */
  CHECK_OK(tt_reload(&x, &err));
  CHECK_EQ_INT(x.t.metadata->current_snapshot_id, cr.snapshot_id);
  int64_t files_after = -1;
  unsorted_files(&x, &files_after);
  CHECK_MSG(files_after >= 1 && files_after <= 2 && files_after < files_before, "files %lld -> %lld", (long long)files_before,
            (long long)files_after); /* one per bucket */
  CHECK_EQ_INT(summary_i64(ice_metadata_current_snapshot(x.t.metadata), "total-delete-files"), 0);
  CHECK_EQ_INT(scan_to(&x, "race-c.parquet"), n_after_delete);
  tt_duck_expect_same(tt_path("race-b.parquet"), tt_path("race-c.parquet"), "*", NULL, "a re-planned compaction does not undo a delete");
  ice_loaded_table_release(&stale);
  /* the other order: a delete planned before a compaction landed aborts cleanly */
  for (int k = 0; k < 2; k++) CHECK_OK(tt_append(&x, &x.arrow, &b[k], 1, NULL, NULL, &err)); /* small files again */
  n_after_delete = scan_to(&x, "race-b2.parquet");
  CHECK_OK(x.cat->base.ops->table_load(&x.cat->base, &x.ident, &stale, &err));
  CHECK_OK(ice_compact(&x.cat->base, &x.ident, x.io, &x.t, &co, &cr, &err));
  CHECK(cr.snapshot_id > 0);
  dopt.where = "id BETWEEN 1000 AND 1010";
  rc = ice_delete_where(&x.cat->base, &x.ident, x.io, &stale, &dopt, &dr, &err);
  CHECK_MSG(rc == PRESTIGE_ECONFLICT && strstr(err.message, "removed by a concurrent commit"), "%s: %s", prestige_code_name(rc),
            err.message);
  CHECK_OK(tt_reload(&x, &err));
  CHECK_EQ_INT(scan_to(&x, "race-d.parquet"), n_after_delete);
  ice_loaded_table_release(&stale);
  /* two compactions planned on the same snapshot: the second one's groups conflict, its re-plan
   * finds the partitions already compacted (nothing to do), nothing is lost or doubled */
  for (int k = 2; k < 4; k++) CHECK_OK(tt_append(&x, &x.arrow, &b[k], 1, NULL, NULL, &err));
  int64_t n_two = scan_to(&x, "race-e.parquet");
  CHECK_OK(x.cat->base.ops->table_load(&x.cat->base, &x.ident, &stale, &err));
  CHECK_OK(ice_compact(&x.cat->base, &x.ident, x.io, &x.t, &co, &cr, &err));
  CHECK(cr.snapshot_id > 0 && cr.groups_conflicted == 0);
  int64_t first_snap = cr.snapshot_id;
  rc = ice_compact(&x.cat->base, &x.ident, x.io, &stale, &co, &cr, &err);
  CHECK_MSG(rc == 0 || rc == PRESTIGE_ECONFLICT, "%s: %s", prestige_code_name(rc), err.message);
  CHECK(cr.groups_conflicted > 0 && cr.replans >= 1);
  CHECK_EQ_INT(cr.groups_abandoned, 0);
  CHECK_OK(tt_reload(&x, &err));
  CHECK_EQ_INT(x.t.metadata->current_snapshot_id, first_snap); /* the re-plan had nothing left to do */
  CHECK_EQ_INT(scan_to(&x, "race-f.parquet"), n_two);
  tt_duck_expect_same(tt_path("race-e.parquet"), tt_path("race-f.parquet"), "*", NULL, "a second compaction loses nothing");
  ice_loaded_table_release(&stale);
  for (int k = 0; k < 4; k++) b[k].release(&b[k]);
  more.release(&more);
  tt_close(&x);
  tt_duck_check();
}

TEST(options_and_nothing_to_do) {
  tt_table_t x;
  int crc = tt_create(&x, "opts", KEYED, NULL, NULL, 2, NULL, &err);
  CHECK_MSG(crc == 0, "create: %s", err.message);
  if (crc) return;
  ice_compact_options_t co = ICE_COMPACT_OPTIONS_INIT;
  ice_compact_result_t cr;
  CHECK_OK(ice_compact(&x.cat->base, &x.ident, x.io, &x.t, &co, &cr, &err)); /* empty table */
  CHECK_EQ_INT(cr.snapshot_id, -1);
  struct ArrowArray b;
  CHECK_OK(tt_batch(&x.arrow, 50, 0.1, &b, &err));
  for (int k = 0; k < 3; k++) CHECK_OK(tt_append(&x, &x.arrow, &b, 1, NULL, NULL, &err));
  CHECK_OK(ice_compact(&x.cat->base, &x.ident, x.io, &x.t, &co, &cr, &err)); /* 3 < 5 files */
  CHECK_EQ_INT(cr.snapshot_id, -1);
  co.compression = "nope";
  int rc = ice_compact(&x.cat->base, &x.ident, x.io, &x.t, &co, &cr, &err);
  CHECK_MSG(rc == PRESTIGE_EINVAL && strstr(err.message, "nope"), "%s", err.message);
  co.compression = "snappy";
  co.min_files = -1;
  rc = ice_compact(&x.cat->base, &x.ident, x.io, &x.t, &co, &cr, NULL);
  CHECK_EQ_INT(rc, PRESTIGE_EINVAL);
  co.min_files = 3;
  CHECK_OK(ice_compact(&x.cat->base, &x.ident, x.io, &x.t, &co, &cr, &err));
  CHECK_EQ_INT(cr.files_read, 3);
  CHECK_EQ_INT(cr.files_written, 1);
  CHECK_EQ_INT(cr.rows_written, 150);
  /* partition counts from the manifests */
  ice_partition_count_t *pc;
  size_t n;
  CHECK_OK(ice_count_partition_files(x.io, x.t.metadata, &pc, &n, &err));
  CHECK_EQ_INT(n, 1);
  if (n) CHECK_EQ_INT(pc[0].files, 1);
  ice_partition_counts_free(pc, n);
  /* dedup of a partition larger than max_group_bytes would split it into groups deduplicated
   * apart (duplicates across groups kept): refused, naming the partition, nothing committed */
  for (int k = 0; k < 2; k++) CHECK_OK(tt_append(&x, &x.arrow, &b, 1, NULL, NULL, &err));
  int64_t before = ice_metadata_current_snapshot(x.t.metadata)->snapshot_id;
  co.dedup = true;
  co.max_group_bytes = 1;
  rc = ice_compact(&x.cat->base, &x.ident, x.io, &x.t, &co, &cr, &err);
  CHECK_MSG(rc == PRESTIGE_EINVAL && strstr(err.message, "max_group_bytes") && strstr(err.message, "partition"), "%s",
            err.message);
  CHECK_EQ_INT(ice_metadata_current_snapshot(x.t.metadata)->snapshot_id, before);
  co.max_group_bytes = 0; /* the default: 10x the target */
  CHECK_OK(ice_compact(&x.cat->base, &x.ident, x.io, &x.t, &co, &cr, &err));
  CHECK_EQ_INT(cr.rows_written, 50);
  CHECK_EQ_INT(cr.duplicates_eliminated, 200); /* the compacted file (3 copies) and 2 more */
  /* a triggered stop token: ECANCELED before anything is committed, the table as it was */
  for (int k = 0; k < 3; k++) CHECK_OK(tt_append(&x, &x.arrow, &b, 1, NULL, NULL, &err));
  before = ice_metadata_current_snapshot(x.t.metadata)->snapshot_id;
  prestige_shutdown_t *stop = prestige_shutdown_new();
  prestige_shutdown_trigger(stop);
  co.dedup = false;
  co.stop = stop;
  rc = ice_compact(&x.cat->base, &x.ident, x.io, &x.t, &co, &cr, &err);
  CHECK_MSG(rc == PRESTIGE_ECANCELED && strstr(err.message, "nothing was committed"), "%s", err.message);
  CHECK_EQ_INT(ice_metadata_current_snapshot(x.t.metadata)->snapshot_id, before);
  co.stop = NULL;
  CHECK_OK(ice_compact(&x.cat->base, &x.ident, x.io, &x.t, &co, &cr, &err));
  CHECK_EQ_INT(cr.files_read, 4);
  prestige_shutdown_free(stop);
  b.release(&b);
  tt_close(&x);
}

/* V3: deletion vectors are applied by compaction and removed with the files they masked. */
TEST(v3_deletion_vectors_compacted) {
  tt_table_t x;
  int crc = tt_create(&x, "v3dv", KEYED, BUCKET, BY_ID, 3, NULL, &err);
  CHECK_MSG(crc == 0, "create: %s", err.message);
  if (crc) return;
  tt_seed(33);
  struct ArrowArray b[3];
  for (int k = 0; k < 3; k++) {
    CHECK_OK(tt_batch(&x.arrow, 300, 0.1, &b[k], &err));
    int64_t *id = (int64_t *)b[k].children[0]->buffers[1];
    for (int64_t r = 0; r < 300; r++) id[r] = k * 1000 + r;
    CHECK_OK(tt_append(&x, &x.arrow, &b[k], 1, NULL, NULL, &err));
  }
  const char *preds[] = {"i < 0", "name >= 'kappa'"};
  for (int d = 0; d < 2; d++) {
    ice_delete_options_t o = ICE_DELETE_OPTIONS_INIT;
    o.where = preds[d];
    ice_delete_result_t r;
    CHECK_OK(ice_delete_where(&x.cat->base, &x.ident, x.io, &x.t, &o, &r, &err));
    CHECK(r.deleted_rows > 0 && r.delete_files > 0);
  }
  const ice_snapshot_t *s = ice_metadata_current_snapshot(x.t.metadata);
  CHECK(summary_i64(s, "total-delete-files") > 0);
  int64_t before = scan_to(&x, "v3-before.parquet");
  ice_compact_options_t co = ICE_COMPACT_OPTIONS_INIT;
  co.min_files = 2;
  ice_compact_result_t cr;
  CHECK_OK(ice_compact(&x.cat->base, &x.ident, x.io, &x.t, &co, &cr, &err));
  CHECK_EQ_INT(cr.rows_written, before);
  s = ice_metadata_current_snapshot(x.t.metadata);
  CHECK_EQ_INT(summary_i64(s, "total-delete-files"), 0);
  CHECK_EQ_INT(scan_to(&x, "v3-after.parquet"), before);
  tt_duck_expect_same(tt_path("v3-before.parquet"), tt_path("v3-after.parquet"), "*", NULL, "V3 compaction keeps the live rows");
  for (int k = 0; k < 3; k++) b[k].release(&b[k]);
  tt_close(&x);
  tt_duck_check();
}

/* V3 row lineage: the _row_id and _last_updated_sequence_number of every row, by id (ids < LIN_MAX). */
enum { LIN_MAX = 8192 };
typedef struct lin {
  int64_t row_id[LIN_MAX], seq[LIN_MAX];
  int64_t rows, dup_ids, null_ids;
} lin_t;

static int lin_batch(void *user, struct ArrowArray *b, const int64_t *positions, prestige_error_t *e) {
  (void)positions, (void)e;
  lin_t *l = user;
  int64_t nc = b->n_children;
  const struct ArrowArray *id = b->children[0], *rid = b->children[nc - 2], *sq = b->children[nc - 1];
  for (int64_t r = 0; r < b->length; r++) {
    int64_t k = ((const int64_t *)id->buffers[1])[id->offset + r];
    int64_t at = rid->offset + r;
    if (rid->null_count && rid->buffers[0] && !(((const uint8_t *)rid->buffers[0])[at >> 3] & (1u << (at & 7)))) l->null_ids++;
    if (k < 0 || k >= LIN_MAX) continue;
    if (l->row_id[k] != -1) l->dup_ids++;
    l->row_id[k] = ((const int64_t *)rid->buffers[1])[at];
    l->seq[k] = ((const int64_t *)sq->buffers[1])[sq->offset + r];
    l->rows++;
  }
  b->release(b);
  return 0;
}

/* Reads the table's lineage; files: the data files' locations as a DuckDB list ('a','b'). */
static int read_lineage(tt_table_t *x, lin_t *l, char *files, size_t n_files) {
  for (int i = 0; i < LIN_MAX; i++) l->row_id[i] = l->seq[i] = -1;
  l->rows = l->dup_ids = l->null_ids = 0;
  ice_scan_options_t o = ICE_SCAN_OPTIONS_INIT;
  ice_scan_plan_t *p;
  if (ice_scan_plan(x->io, x->t.metadata, "t", &o, &p, &err)) return -1;
  int rc = 0;
  if (files) files[0] = 0;
  for (size_t t = 0; t < p->n_tasks && !rc; t++) {
    rc = ice_scan_read_task_lineage(x->io, p, t, 100, lin_batch, l, &err);
    if (files) {
      size_t n = strlen(files);
      snprintf(files + n, n_files - n, "%s'%s'", t ? "," : "", p->tasks[t].file.file_path);
    }
  }
  ice_scan_plan_free(p);
  return rc;
}

/* Live ids whose lineage differs between a and b (or live in one only). */
static int64_t lin_diff(const lin_t *a, const lin_t *b) {
  int64_t d = 0;
  for (int i = 0; i < LIN_MAX; i++)
    if (a->row_id[i] != b->row_id[i] || a->seq[i] != b->seq[i]) {
      if (d < 5) fprintf(stderr, "id %d: row id %lld seq %lld, then %lld %lld\n", i, (long long)a->row_id[i], (long long)a->seq[i],
                         (long long)b->row_id[i], (long long)b->seq[i]);
      d++;
    }
  return d;
}

/* The lineage as CSV (id,_row_id,_last_updated_sequence_number) for DuckDB. */
static void lin_csv(const lin_t *l, const char *path) {
  FILE *f = fopen(path, "w");
  if (!f) return;
  fprintf(f, "id,_row_id,_last_updated_sequence_number\n");
  for (int i = 0; i < LIN_MAX; i++)
    if (l->row_id[i] >= 0) fprintf(f, "%d,%lld,%lld\n", i, (long long)l->row_id[i], (long long)l->seq[i]);
  fclose(f);
}

/* V3: compaction carries each row's _row_id and _last_updated_sequence_number over (written
 * explicitly, checked by DuckDB reading the new data files), through deletion vectors, twice
 * (the second time from explicit values); the replace snapshot's first-row-id/added-rows follow
 * the manifest-list assignment. */
TEST(v3_row_lineage_kept) {
  static lin_t before, after, again;
  static char files[65536];
  for (int sorted = 0; sorted < 2; sorted++) {
    tt_table_t x;
    const char *name = sorted ? "lin-s" : "lin-u";
    /* sorted by id: the fast sort path; unsorted (no order): rows go through as read */
    int crc = tt_create(&x, name, KEYED, BUCKET, sorted ? BY_ID : NULL, 3, NULL, &err);
    CHECK_MSG(crc == 0, "create: %s", err.message);
    if (crc) continue;
    tt_seed(4242 + sorted);
    struct ArrowArray b[4];
    for (int k = 0; k < 4; k++) {
      CHECK_OK(tt_batch(&x.arrow, 400, 0.1, &b[k], &err));
      int64_t *id = (int64_t *)b[k].children[0]->buffers[1];
      for (int64_t r = 0; r < 400; r++) id[r] = k * 1000 + ((r * 37 + k) % 400); /* unique, not in order */
    }
    for (int k = 0; k < 3; k++) CHECK_OK(tt_append(&x, &x.arrow, &b[k], 1, NULL, NULL, &err));
    ice_delete_options_t dopt = ICE_DELETE_OPTIONS_INIT;
    dopt.where = "i < 0";
    ice_delete_result_t dr;
    CHECK_OK(ice_delete_where(&x.cat->base, &x.ident, x.io, &x.t, &dopt, &dr, &err));
    CHECK(dr.deleted_rows > 0);
    CHECK_OK(read_lineage(&x, &before, NULL, 0));
    CHECK_EQ_INT(before.rows, 1200 - dr.deleted_rows);
    CHECK_EQ_INT(before.dup_ids + before.null_ids, 0);
    /* inherited: append k was sequence number k + 1, row ids below next-row-id and unique */
    int64_t next_before = x.t.metadata->next_row_id;
    CHECK_EQ_INT(next_before, 1200);
    static uint8_t seen[LIN_MAX];
    memset(seen, 0, sizeof seen);
    int64_t bad = 0;
    for (int i = 0; i < LIN_MAX; i++) {
      if (before.row_id[i] < 0) continue;
      if (before.seq[i] != i / 1000 + 1 || before.row_id[i] >= next_before || seen[before.row_id[i]]) bad++;
      else seen[before.row_id[i]] = 1;
    }
    CHECK_EQ_INT(bad, 0);
    ice_compact_options_t co = ICE_COMPACT_OPTIONS_INIT;
    co.min_files = 2;
    ice_compact_result_t cr;
    CHECK_OK(ice_compact(&x.cat->base, &x.ident, x.io, &x.t, &co, &cr, &err));
    CHECK(cr.snapshot_id > 0);
    CHECK_EQ_INT(cr.rows_written, before.rows);
    const ice_snapshot_t *s = ice_metadata_current_snapshot(x.t.metadata);
    CHECK(s && s->has_first_row_id && s->has_added_rows);
    if (s) {
      CHECK_EQ_INT(s->first_row_id, next_before);
      CHECK_EQ_INT(x.t.metadata->next_row_id, next_before + s->added_rows);
      CHECK(s->added_rows >= cr.rows_written); /* the new files' manifest gets a first_row_id too */
    }
    CHECK_OK(read_lineage(&x, &after, files, sizeof files));
    CHECK_EQ_INT(after.rows, before.rows);
    CHECK_EQ_INT(after.dup_ids + after.null_ids, 0);
    CHECK_EQ_INT(lin_diff(&before, &after), 0);
    /* independently: DuckDB reads the explicit columns of the new files */
    char csv[64], sql[70000];
    snprintf(csv, sizeof csv, "%s.csv", name);
    lin_csv(&before, tt_path(csv));
    snprintf(sql, sizeof sql,
             "WITH x AS (SELECT id, _row_id, _last_updated_sequence_number FROM read_parquet([%s])), "
             "y AS (SELECT * FROM read_csv('%s', header=true, columns={'id':'BIGINT','_row_id':'BIGINT',"
             "'_last_updated_sequence_number':'BIGINT'})) "
             "SELECT (SELECT count(*) FROM (SELECT * FROM x EXCEPT ALL SELECT * FROM y)) + "
             "(SELECT count(*) FROM (SELECT * FROM y EXCEPT ALL SELECT * FROM x)) + "
             "(SELECT count(*) FROM parquet_schema([%s]) WHERE (name = '_row_id' AND field_id <> 2147483540) OR "
             "(name = '_last_updated_sequence_number' AND field_id <> 2147483539)) AS d",
             files, tt_path(csv), files);
    CHECK_EQ_INT(duck_count(sql), 0);
    /* more rows, a delete on the compacted files, compaction again: the compacted rows keep their
     * explicit values, the new ones their inherited ones */
    CHECK_OK(tt_append(&x, &x.arrow, &b[3], 1, NULL, NULL, &err));
    int64_t append_seq = x.t.metadata->last_sequence_number, append_first = x.t.metadata->next_row_id - 400;
    dopt.where = "name >= 'kappa'";
    CHECK_OK(ice_delete_where(&x.cat->base, &x.ident, x.io, &x.t, &dopt, &dr, &err));
    CHECK(dr.deleted_rows > 0);
    CHECK_OK(read_lineage(&x, &before, NULL, 0));
    int64_t n_new = 0;
    for (int i = 3000; i < 4000; i++) n_new += before.row_id[i] >= 0;
    for (int i = 3000; i < 4000; i++)
      if (before.row_id[i] >= 0 && (before.row_id[i] < append_first || before.row_id[i] >= append_first + 400 || before.seq[i] != append_seq))
        bad++;
    CHECK_EQ_INT(bad, 0);
    CHECK(n_new > 0);
    for (int i = 0; i < 3000; i++) /* the old rows still live kept what they had */
      if (before.row_id[i] >= 0 && (before.row_id[i] != after.row_id[i] || before.seq[i] != after.seq[i])) bad++;
    CHECK_EQ_INT(bad, 0);
    CHECK_OK(ice_compact(&x.cat->base, &x.ident, x.io, &x.t, &co, &cr, &err));
    CHECK(cr.snapshot_id > 0);
    CHECK_OK(read_lineage(&x, &again, NULL, 0));
    CHECK_EQ_INT(again.rows, before.rows);
    CHECK_EQ_INT(again.dup_ids + again.null_ids, 0);
    CHECK_EQ_INT(lin_diff(&before, &again), 0);
    for (int k = 0; k < 4; k++) b[k].release(&b[k]);
    tt_close(&x);
  }
}

/* The sort paths of compaction: sorted input files merged (descending order, ties kept in
 * write order), and input files that are not sorted (added as they are) radix-sorted. */
static const char *BY_ID_DESC =
    "{\"order-id\":1,\"fields\":[{\"source-id\":1,\"transform\":\"identity\",\"direction\":\"desc\",\"null-order\":\"nulls-last\"}]}";

static void set_all_valid(struct ArrowArray *c) {
  if (c->buffers[0]) memset((void *)c->buffers[0], 0xff, (size_t)(c->offset + c->length + 7) / 8);
  c->null_count = 0;
}

TEST(merge_and_radix_sort_paths) {
  /* merged: 4 appends of overlapping ids to a table sorted by id desc, i = the append number */
  tt_table_t x;
  int crc = tt_create(&x, "mdesc", KEYED, NULL, BY_ID_DESC, 2, NULL, &err);
  CHECK_MSG(crc == 0, "create: %s", err.message);
  if (crc) return;
  tt_seed(515);
  for (int k = 0; k < 4; k++) {
    struct ArrowArray b;
    overlapping_batch(&x, k, &b);
    int32_t *iv = (int32_t *)b.children[3]->buffers[1];
    for (int64_t r = 0; r < b.length; r++) iv[r] = k;
    set_all_valid(b.children[3]);
    CHECK_OK(tt_append(&x, &x.arrow, &b, 1, NULL, NULL, &err));
    b.release(&b);
  }
  int64_t n_before = scan_to(&x, "mdesc-before.parquet"), n_files = 0;
  check_desc = true;
  CHECK_EQ_INT(unsorted_files(&x, &n_files), 0); /* each input file sorted: the merge applies */
  ice_compact_options_t co = ICE_COMPACT_OPTIONS_INIT;
  co.min_files = 2;
  ice_compact_result_t cr;
  CHECK_OK(ice_compact(&x.cat->base, &x.ident, x.io, &x.t, &co, &cr, &err));
  CHECK_EQ_INT(cr.files_written, 1);
  check_ties = true;
  CHECK_EQ_INT(unsorted_files(&x, &n_files), 0);
  check_desc = check_ties = false;
  CHECK_EQ_INT(scan_to(&x, "mdesc-after.parquet"), n_before);
  tt_duck_expect_same(tt_path("mdesc-before.parquet"), tt_path("mdesc-after.parquet"), "*", NULL, "merged descending keeps rows");
  tt_close(&x);
  /* radix: a file written unsorted (20000 random ids: thousands of runs) added to a sorted table */
  tt_table_t u, s;
  crc = tt_create(&u, "rsrc", KEYED, NULL, NULL, 2, NULL, &err);
  if (!crc) crc = tt_create(&s, "rsorted", KEYED, NULL, BY_ID, 2, NULL, &err);
  CHECK_MSG(crc == 0, "create: %s", err.message);
  if (crc) return;
  struct ArrowArray big;
  CHECK_OK(tt_batch(&u.arrow, 20000, 0.1, &big, &err));
  int64_t *id = (int64_t *)big.children[0]->buffers[1];
  for (int64_t r = 0; r < 20000; r++) id[r] = (int64_t)(tt_rand() % 1000000) - 500000;
  CHECK_OK(tt_append(&u, &u.arrow, &big, 1, NULL, NULL, &err));
  ice_scan_options_t so = ICE_SCAN_OPTIONS_INIT;
  ice_scan_plan_t *p = NULL;
  CHECK_OK(ice_scan_plan(u.io, u.t.metadata, "u", &so, &p, &err));
  ice_append_t *a = NULL;
  CHECK_OK(ice_append_new(&a, &s.cat->base, &s.ident, s.io, &s.t, NULL, &err));
  if (p && a && p->n_tasks == 1) {
    CHECK_OK(ice_append_add_file(a, &p->tasks[0].file, &err));
    ice_commit_result_t res;
    ice_loaded_table_t cur;
    CHECK_OK(ice_append_commit(a, &res, &cur, &err));
    ice_commit_result_release(&res);
    ice_loaded_table_release(&cur);
  }
  if (a) ice_append_free(a);
  ice_scan_plan_free(p);
  CHECK_OK(tt_append(&s, &s.arrow, &big, 1, NULL, NULL, &err)); /* and the same rows sorted */
  CHECK_OK(tt_reload(&s, &err));
  CHECK(unsorted_files(&s, &n_files) > 4096); /* the added file is far from sorted */
  int64_t n = scan_to(&s, "radix-before.parquet");
  CHECK_EQ_INT(n, 40000);
  CHECK_OK(ice_compact(&s.cat->base, &s.ident, s.io, &s.t, &co, &cr, &err));
  CHECK_EQ_INT(cr.files_read, 2);
  CHECK_EQ_INT(unsorted_files(&s, &n_files), 0);
  CHECK_EQ_INT(n_files, 1);
  CHECK_EQ_INT(scan_to(&s, "radix-after.parquet"), n);
  tt_duck_expect_same(tt_path("radix-before.parquet"), tt_path("radix-after.parquet"), "*", NULL, "radix-sorted keeps rows");
  big.release(&big);
  tt_close(&u);
  tt_close(&s);
  tt_duck_check();
}

TEST_MAIN(RUN(merge_and_radix_sort_paths); RUN(v3_row_lineage_kept); RUN(v3_deletion_vectors_compacted); RUN(dedup_sort_and_deletes_match_duckdb); RUN(races_with_appends_and_deletes); RUN(options_and_nothing_to_do); tt_duck_check();)
