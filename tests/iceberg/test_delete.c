/* Row-level deletes through the catalog interface: position deletes, equality deletes and whole
 * files removed, on random tables with random predicates, checked against DuckDB computing the
 * rows left from the source rows (WHERE (pred) IS NOT TRUE: a NULL comparison deletes nothing);
 * conflicts with concurrent commits and bad input. */
#include "iceberg/rewrite.h"
#include "iceberg/rowdelta.h"
#include "table_util.h"

static prestige_error_t err;

static const char *KEYED =
    "{\"type\":\"struct\",\"schema-id\":0,\"identifier-field-ids\":[1],\"fields\":["
    "{\"id\":1,\"name\":\"id\",\"required\":true,\"type\":\"long\"},"
    "{\"id\":2,\"name\":\"ts\",\"required\":false,\"type\":\"timestamptz\"},"
    "{\"id\":3,\"name\":\"name\",\"required\":false,\"type\":\"string\"},"
    "{\"id\":4,\"name\":\"d\",\"required\":false,\"type\":\"date\"},"
    "{\"id\":5,\"name\":\"i\",\"required\":false,\"type\":\"int\"},"
    "{\"id\":6,\"name\":\"price\",\"required\":false,\"type\":\"decimal(9,2)\"},"
    "{\"id\":7,\"name\":\"f\",\"required\":false,\"type\":\"double\"}]}";

static int64_t summary_i64(const ice_snapshot_t *s, const char *k) {
  const char *v = s ? ice_strmap_get(&s->summary, k) : NULL;
  return v ? atoll(v) : -1;
}

/* n batches of rows with ids base, base+1, ... (unique across the table) */
static void keyed_batches(tt_table_t *x, struct ArrowArray *b, int n, int64_t rows, int64_t base) {
  for (int k = 0; k < n; k++) {
    CHECK_OK(tt_batch(&x->arrow, rows, 0.1, &b[k], &err));
    int64_t *id = (int64_t *)b[k].children[0]->buffers[1];
    for (int64_t r = 0; r < rows; r++) id[r] = base + k * 1000 + r;
  }
}

static int64_t scan_rows(tt_table_t *x, const char *out) {
  ice_scan_options_t o = ICE_SCAN_OPTIONS_INIT;
  int64_t rows = -1;
  int rc = tt_scan(x, &o, tt_path(out), &rows, NULL, &err);
  CHECK_MSG(rc == 0, "scan: %s", err.message);
  return rows;
}

/* V3: position deletes are deletion vectors, at most one per data file. */
static int64_t dv_violations(tt_table_t *x) {
  ice_scan_options_t o = ICE_SCAN_OPTIONS_INIT;
  ice_scan_plan_t *p;
  if (ice_scan_plan(x->io, x->t.metadata, "t", &o, &p, &err)) return -1;
  int64_t bad = 0;
  for (size_t t = 0; t < p->n_tasks; t++) {
    int dvs = 0;
    for (uint32_t k = 0; k < p->tasks[t].n_deletes; k++) {
      const ice_data_file_t *df = &p->deletes[p->tasks[t].deletes[k]].file;
      if (df->content != ICE_CONTENT_POSITION_DELETES) continue;
      if (strcmp(df->file_format, "puffin")) bad++;
      else dvs++;
    }
    if (dvs > 1) bad++;
  }
  ice_scan_plan_free(p);
  return bad;
}

static void random_pred(char *out, size_t n) {
  static const char *words[] = {"alpha", "beta", "gamma", "delta", "kappa", "zeta"};
  switch (tt_rand() % 7) {
  case 0: snprintf(out, n, "i < %d", (int)tt_range(-40, 40)); break;
  case 1: snprintf(out, n, "name >= '%s'", words[tt_rand() % 6]); break;
  case 2: {
    int64_t a = tt_range(0, 2500);
    snprintf(out, n, "id BETWEEN %lld AND %lld", (long long)a, (long long)(a + tt_range(0, 700)));
    break;
  }
  case 3: snprintf(out, n, "f > %d OR i IS NULL", (int)tt_range(-60000, 60000)); break;
  case 4: snprintf(out, n, "name IS NULL AND i > %d", (int)tt_range(-50, 50)); break;
  case 5: snprintf(out, n, "d < '2024-%02d-01' AND NOT (i = %d)", (int)tt_range(2, 12), (int)tt_range(-50, 50)); break;
  default: snprintf(out, n, "i IN (%d, %d, %d)", (int)tt_range(-50, 50), (int)tt_range(-50, 50), (int)tt_range(-50, 50)); break;
  }
}

/* Random deletes of both kinds, one after the other, on a partitioned and an unpartitioned table. */
TEST(random_deletes_match_duckdb) {
  static const char *specs[] = {
      NULL, "{\"spec-id\":0,\"fields\":[{\"source-id\":1,\"field-id\":1000,\"name\":\"id_b\",\"transform\":\"bucket[3]\"}]}",
      "{\"spec-id\":0,\"fields\":[{\"source-id\":5,\"field-id\":1000,\"name\":\"i_t\",\"transform\":\"truncate[20]\"}]}"};
  for (int sc = 0; sc < 3; sc++) {
    for (int version = 2; version <= 3; version++) {
      tt_table_t x;
      char name[32];
      snprintf(name, sizeof name, "rd%d_v%d", sc, version);
      int crc = tt_create(&x, name, KEYED, specs[sc], NULL, version, NULL, &err);
      CHECK_MSG(crc == 0, "create: %s", err.message);
      if (crc) continue;
      tt_seed(700 + sc * 10 + version);
      struct ArrowArray b[3];
      keyed_batches(&x, b, 3, 600, 0);
      char src[64];
      snprintf(src, sizeof src, "%s-src.parquet", name);
      CHECK_OK(tt_write_parquet(tt_path(src), &x.arrow, b, 3, &err));
      for (int k = 0; k < 3; k++) CHECK_OK(tt_append(&x, &x.arrow, &b[k], 1, NULL, NULL, &err));
      char where[2048] = "";
      int64_t before = 1800;
      for (int step = 0; step < 4; step++) {
        char pred[256];
        random_pred(pred, sizeof pred);
        ice_delete_options_t o = ICE_DELETE_OPTIONS_INIT;
        o.where = pred;
        o.mode = (step & 1) ? ICE_DELETE_EQUALITY : ICE_DELETE_POSITION;
        o.what = name;
        ice_delete_result_t r;
        int rc = ice_delete_where(&x.cat->base, &x.ident, x.io, &x.t, &o, &r, &err);
        CHECK_MSG(rc == 0, "%s: delete where %s: %s", name, pred, err.message);
        if (rc) break;
        size_t wl = strlen(where);
        snprintf(where + wl, sizeof where - wl, "%s(%s) IS NOT TRUE", wl ? " AND " : "", pred);
        char out[64];
        snprintf(out, sizeof out, "%s-after-%d.parquet", name, step);
        int64_t after = scan_rows(&x, out);
        CHECK_MSG(after == before - r.deleted_rows, "%s step %d (%s): %lld rows before, %lld deleted, %lld after", name, step, pred,
                  (long long)before, (long long)r.deleted_rows, (long long)after);
        char label[2300];
        snprintf(label, sizeof label, "%s step %d: %s", name, step, where);
        tt_duck_expect_same(tt_path(src), tt_path(out), "*", where, label);
        if (version >= 3) CHECK_EQ_INT(dv_violations(&x), 0);
        if (r.snapshot_id >= 0) {
          const ice_snapshot_t *s = ice_metadata_current_snapshot(x.t.metadata);
          CHECK(s && s->snapshot_id == r.snapshot_id && !strcmp(s->operation, "delete"));
        } else {
          CHECK_EQ_INT(r.deleted_rows, 0);
        }
        before = after;
      }
      for (int k = 0; k < 3; k++) b[k].release(&b[k]);
      tt_close(&x);
    }
  }
  tt_duck_check();
}

/* A data file whose live rows all match is removed, not masked; deleting again deletes nothing. */
TEST(whole_files_removed) {
  tt_table_t x;
  int crc = tt_create(&x, "whole", KEYED, NULL, NULL, 2, NULL, &err);
  CHECK_MSG(crc == 0, "create: %s", err.message);
  if (crc) return;
  tt_seed(5);
  struct ArrowArray b[2];
  keyed_batches(&x, b, 2, 400, 0); /* ids 0..399 and 1000..1399, one file each */
  CHECK_OK(tt_append(&x, &x.arrow, &b[0], 1, NULL, NULL, &err));
  CHECK_OK(tt_append(&x, &x.arrow, &b[1], 1, NULL, NULL, &err));
  ice_delete_options_t o = ICE_DELETE_OPTIONS_INIT;
  o.where = "id < 100";
  ice_delete_result_t r;
  CHECK_OK(ice_delete_where(&x.cat->base, &x.ident, x.io, &x.t, &o, &r, &err));
  CHECK_EQ_INT(r.deleted_rows, 100);
  CHECK_EQ_INT(r.removed_files, 0);
  CHECK_EQ_INT(r.delete_files, 1);
  /* the rest of the first file: its 300 live rows all match now */
  o.where = "id < 1000";
  CHECK_OK(ice_delete_where(&x.cat->base, &x.ident, x.io, &x.t, &o, &r, &err));
  CHECK_EQ_INT(r.deleted_rows, 300);
  CHECK_EQ_INT(r.removed_files, 1);
  CHECK_EQ_INT(r.delete_files, 0);
  const ice_snapshot_t *s = ice_metadata_current_snapshot(x.t.metadata);
  CHECK_EQ_INT(summary_i64(s, "deleted-data-files"), 1);
  CHECK_EQ_INT(summary_i64(s, "total-data-files"), 1);
  CHECK_EQ_INT(summary_i64(s, "total-records"), 400);
  CHECK_EQ_INT(scan_rows(&x, "whole-a.parquet"), 400);
  int64_t snap = s->snapshot_id;
  CHECK_OK(ice_delete_where(&x.cat->base, &x.ident, x.io, &x.t, &o, &r, &err));
  CHECK_EQ_INT(r.deleted_rows, 0);
  CHECK_EQ_INT(r.snapshot_id, -1);
  CHECK_EQ_INT(ice_metadata_current_snapshot(x.t.metadata)->snapshot_id, snap);
  /* time travel to before the deletes still sees every row */
  ice_scan_options_t so = ICE_SCAN_OPTIONS_INIT;
  so.snapshot_id = ice_metadata_snapshot(x.t.metadata, ice_metadata_current_snapshot(x.t.metadata)->parent_id)->parent_id;
  int64_t rows;
  CHECK_OK(tt_scan(&x, &so, tt_path("whole-tt.parquet"), &rows, NULL, &err));
  CHECK_EQ_INT(rows, 800);
  b[0].release(&b[0]);
  b[1].release(&b[1]);
  tt_close(&x);
}

/* Equality deletes by key batches: partitioned by an identifier field (one file per partition) and
 * unpartitioned; the scan equals DuckDB's WHERE id NOT IN (...); a spec on a non-key column is refused. */
TEST(delete_keys) {
  static const char *specs[] = {NULL, "{\"spec-id\":0,\"fields\":[{\"source-id\":1,\"field-id\":1000,\"name\":\"id_b\",\"transform\":\"bucket[4]\"}]}",
                                "{\"spec-id\":0,\"fields\":[{\"source-id\":5,\"field-id\":1000,\"name\":\"i_b\",\"transform\":\"bucket[4]\"}]}"};
  for (int sc = 0; sc < 3; sc++) {
    tt_table_t x;
    char name[32];
    snprintf(name, sizeof name, "keys%d", sc);
    int crc = tt_create(&x, name, KEYED, specs[sc], NULL, 2, NULL, &err);
    CHECK_MSG(crc == 0, "create: %s", err.message);
    if (crc) continue;
    tt_seed(60 + sc);
    struct ArrowArray b[2];
    keyed_batches(&x, b, 2, 300, 0);
    char src[64], out[64];
    snprintf(src, sizeof src, "%s-src.parquet", name);
    CHECK_OK(tt_write_parquet(tt_path(src), &x.arrow, b, 2, &err));
    CHECK_OK(tt_append(&x, &x.arrow, b, 2, NULL, NULL, &err));
    /* keys: every 7th id of the first batch, plus ids that match nothing */
    struct ArrowSchema ks;
    CHECK_OK(prestige_schema_init(&ks, "+s", "", 0, &err));
    CHECK_OK(prestige_schema_allocate_children(&ks, 1, &err));
    CHECK_OK(prestige_schema_init(ks.children[0], "l", "id", 0, &err));
    prestige_array_builder_t *kb;
    CHECK_OK(prestige_array_builder_new(&kb, &ks, &err));
    char where[4096] = "id NOT IN (";
    for (int64_t id = 0; id < 300; id += 7) {
      prestige_array_builder_append_int(prestige_array_builder_child(kb, 0), id, &err);
      prestige_array_builder_append_struct(kb, &err);
      size_t l = strlen(where);
      snprintf(where + l, sizeof where - l, "%s%lld", id ? ", " : "", (long long)id);
    }
    prestige_array_builder_append_int(prestige_array_builder_child(kb, 0), 999999, &err);
    prestige_array_builder_append_struct(kb, &err);
    strcat(where, ")");
    struct ArrowArray keys;
    CHECK_OK(prestige_array_builder_finish(kb, &keys, &err));
    prestige_array_builder_free(kb);
    ice_delete_result_t r;
    int rc = ice_delete_keys(&x.cat->base, &x.ident, x.io, &x.t, &ks, &keys, name, &r, &err);
    if (sc == 2) {
      CHECK_MSG(rc == PRESTIGE_EUNSUPPORTED && strstr(err.message, "i_b"), "%s", err.message);
    } else {
      CHECK_MSG(rc == 0, "delete keys: %s", err.message);
      CHECK_EQ_INT(r.delete_files, sc == 1 ? 4 : 1);
      snprintf(out, sizeof out, "%s-after.parquet", name);
      CHECK_EQ_INT(scan_rows(&x, out), 600 - 43);
      tt_duck_expect_same(tt_path(src), tt_path(out), "*", where, name);
    }
    ks.release(&ks);
    for (int k = 0; k < 2; k++) b[k].release(&b[k]);
    tt_close(&x);
  }
  tt_duck_check();
}

TEST(bad_input) {
  tt_table_t x;
  const char *nokey = "{\"type\":\"struct\",\"schema-id\":0,\"fields\":[{\"id\":1,\"name\":\"id\",\"required\":true,\"type\":\"long\"}]}";
  int crc = tt_create(&x, "bad", nokey, NULL, NULL, 2, NULL, &err);
  CHECK_MSG(crc == 0, "create: %s", err.message);
  if (crc) return;
  ice_delete_options_t o = ICE_DELETE_OPTIONS_INIT;
  ice_delete_result_t r;
  int rc = ice_delete_where(&x.cat->base, &x.ident, x.io, &x.t, &o, &r, NULL);
  CHECK_EQ_INT(rc, PRESTIGE_EINVAL);
  o.where = "nosuch = 1";
  rc = ice_delete_where(&x.cat->base, &x.ident, x.io, &x.t, &o, &r, &err);
  CHECK_MSG(rc != 0 && strstr(err.message, "nosuch"), "%s", err.message);
  o.where = "id = ";
  rc = ice_delete_where(&x.cat->base, &x.ident, x.io, &x.t, &o, &r, &err);
  CHECK(rc != 0);
  struct ArrowArray b;
  CHECK_OK(tt_batch(&x.arrow, 10, 0, &b, &err));
  CHECK_OK(tt_append(&x, &x.arrow, &b, 1, NULL, NULL, &err));
  o.where = "id > -100000000";
  o.mode = ICE_DELETE_EQUALITY;
  rc = ice_delete_where(&x.cat->base, &x.ident, x.io, &x.t, &o, &r, &err);
  CHECK_MSG(rc == PRESTIGE_EINVAL && strstr(err.message, "identifier"), "%s", err.message);
  b.release(&b);
  tt_close(&x);
}

TEST_MAIN(RUN(random_deletes_match_duckdb); RUN(whole_files_removed); RUN(delete_keys); RUN(bad_input); tt_duck_check();)
