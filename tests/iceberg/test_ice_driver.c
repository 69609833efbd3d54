/* A driver for the shell tests of deletes and maintenance (it_iceberg_deletes.sh), until the CLI
 * has append and scan verbs of its own:
 *   test_ice_driver append CATALOG_URI WAREHOUSE NS.TABLE FILE.parquet...   one snapshot per call
 *   test_ice_driver scan CATALOG_URI WAREHOUSE NS.TABLE OUT.parquet [SNAPSHOT_ID]
 * Prints {"snapshot_id":..,"rows":N}. Run without arguments (as the unit-test runner does) it
 * checks itself: an append and a scan through a SQLite catalog. */
#include "iceberg/table.h"
#include "iceberg/table_ops.h"
#include "iceberg/scan.h"
#include "prestige/parquet_reader.h"
#include "prestige/parquet_writer.h"
#include "test.h"

static int open_table(const char *uri, const char *wh, const char *name, prestige_iceberg_catalog_t **cat, prestige_iceberg_table_t **t,
                      prestige_error_t *err) {
  prestige_iceberg_catalog_options_t o = PRESTIGE_ICEBERG_CATALOG_OPTIONS_INIT;
  o.uri = uri;
  o.warehouse = wh;
  PRESTIGE_TRY(prestige_iceberg_catalog_open(cat, &o, err));
  int rc = prestige_iceberg_table_load(*cat, name, t, err);
  if (rc) prestige_iceberg_catalog_close(*cat);
  return rc;
}

static int do_append(const char *uri, const char *wh, const char *name, char **files, int n, int64_t *snap, int64_t *rows,
                     prestige_error_t *err) {
  prestige_iceberg_catalog_t *cat;
  prestige_iceberg_table_t *t;
  PRESTIGE_TRY(open_table(uri, wh, name, &cat, &t, err));
  ice_append_t *a = NULL;
  int rc = ice_append_new(&a, t->catalog, &t->ident, t->io, &t->loaded, NULL, err);
  for (int i = 0; i < n && !rc; i++) {
    prestige_parquet_reader_t *r;
    if ((rc = prestige_parquet_reader_open_file(&r, files[i], NULL, err))) break;
    struct ArrowArrayStream st;
    if ((rc = prestige_parquet_reader_stream(r, &st, err))) break;
    rc = ice_append_write_stream(a, &st, err);
  }
  ice_commit_result_t res;
  memset(&res, 0, sizeof res);
  if (!rc) rc = ice_append_commit(a, &res, NULL, err);
  *snap = res.snapshot_id;
  *rows = res.rows;
  ice_commit_result_release(&res);
  if (a) ice_append_free(a);
  prestige_iceberg_table_free(t);
  prestige_iceberg_catalog_close(cat);
  return rc;
}

static int do_scan(const char *uri, const char *wh, const char *name, const char *out, int64_t snapshot, int64_t *snap, int64_t *rows,
                   prestige_error_t *err) {
  prestige_iceberg_catalog_t *cat;
  prestige_iceberg_table_t *t;
  PRESTIGE_TRY(open_table(uri, wh, name, &cat, &t, err));
  ice_scan_options_t o = ICE_SCAN_OPTIONS_INIT;
  o.snapshot_id = snapshot;
  ice_scan_plan_t *p = NULL;
  int rc = ice_scan_plan(t->io, t->loaded.metadata, name, &o, &p, err);
  *snap = p ? p->snapshot_id : -1;
  struct ArrowArrayStream st;
  if (!rc) rc = ice_scan_stream(t->io, p, &o, &st, err);
  *rows = 0;
  if (!rc) {
    struct ArrowSchema s;
    st.get_schema(&st, &s);
    prestige_parquet_writer_t *w;
    rc = prestige_parquet_writer_open_file(&w, out, &s, NULL, err);
    while (!rc) {
      struct ArrowArray b;
      if (st.get_next(&st, &b)) {
        rc = prestige_error_set(err, PRESTIGE_EIO, "scan: %s", st.get_last_error(&st));
        break;
      }
      if (!b.release) break;
      *rows += b.length;
      rc = prestige_parquet_writer_write(w, &b, err);
      b.release(&b);
    }
    if (!rc) rc = prestige_parquet_writer_close(w, NULL, err);
    else if (w) prestige_parquet_writer_abort(w);
    s.release(&s);
    st.release(&st);
  }
  prestige_iceberg_table_free(t);
  prestige_iceberg_catalog_close(cat);
  return rc;
}

int test_passed, test_failed;
const char *test_current = "driver";

int main(int argc, char **argv) {
  prestige_error_t err;
  prestige_error_init(&err);
  int64_t snap = -1, rows = 0;
  int rc;
  if (argc >= 6 && !strcmp(argv[1], "append")) {
    rc = do_append(argv[2], argv[3], argv[4], argv + 5, argc - 5, &snap, &rows, &err);
  } else if ((argc == 6 || argc == 7) && !strcmp(argv[1], "scan")) {
    rc = do_scan(argv[2], argv[3], argv[4], argv[5], argc == 7 ? atoll(argv[6]) : ICE_SCAN_NONE, &snap, &rows, &err);
  } else if (argc == 1) {
    /* self-check */
    char uri[700], wh[700], src[700], out[700];
    snprintf(uri, sizeof uri, "sqlite:%s/cat.db", test_tmpdir());
    snprintf(wh, sizeof wh, "%s/wh", test_tmpdir());
    snprintf(src, sizeof src, "%s/src.parquet", test_tmpdir());
    snprintf(out, sizeof out, "%s/out.parquet", test_tmpdir());
    prestige_iceberg_catalog_options_t o = PRESTIGE_ICEBERG_CATALOG_OPTIONS_INIT;
    o.uri = uri;
    o.warehouse = wh;
    prestige_iceberg_catalog_t *cat = NULL;
    prestige_iceberg_table_t *t = NULL;
    struct ArrowSchema s;
    CHECK_OK(prestige_iceberg_catalog_open(&cat, &o, &err));
    CHECK_OK(prestige_iceberg_namespace_create(cat, "db", NULL, 0, &err));
    CHECK_OK(prestige_schema_init(&s, "+s", "", 0, &err));
    CHECK_OK(prestige_schema_allocate_children(&s, 1, &err));
    CHECK_OK(prestige_schema_init(s.children[0], "l", "id", 0, &err));
    prestige_iceberg_create_options_t co = PRESTIGE_ICEBERG_CREATE_OPTIONS_INIT;
    CHECK_OK(prestige_iceberg_table_create(cat, "db.t", &s, &co, &t, &err));
    prestige_iceberg_table_free(t);
    prestige_iceberg_catalog_close(cat);
    prestige_array_builder_t *b;
    CHECK_OK(prestige_array_builder_new(&b, &s, &err));
    for (int i = 0; i < 100; i++) {
      prestige_array_builder_append_int(prestige_array_builder_child(b, 0), i, &err);
      prestige_array_builder_append_struct(b, &err);
    }
    struct ArrowArray batch;
    CHECK_OK(prestige_array_builder_finish(b, &batch, &err));
    prestige_array_builder_free(b);
    prestige_parquet_writer_t *w;
    CHECK_OK(prestige_parquet_writer_open_file(&w, src, &s, NULL, &err));
    CHECK_OK(prestige_parquet_writer_write(w, &batch, &err));
    CHECK_OK(prestige_parquet_writer_close(w, NULL, &err));
    batch.release(&batch);
    s.release(&s);
    char *files[] = {src};
    CHECK_OK(do_append(uri, wh, "db.t", files, 1, &snap, &rows, &err));
    CHECK_EQ_INT(rows, 100);
    int64_t snap2;
    CHECK_OK(do_scan(uri, wh, "db.t", out, ICE_SCAN_NONE, &snap2, &rows, &err));
    CHECK_EQ_INT(rows, 100);
    CHECK_EQ_INT(snap2, snap);
    CHECK_EQ_INT(do_scan(uri, wh, "db.nope", out, ICE_SCAN_NONE, &snap2, &rows, &err), PRESTIGE_ENOTFOUND);
    printf("RESULT %d %d\n", test_passed, test_failed);
    return test_failed ? 1 : 0;
  } else {
    fprintf(stderr, "usage: test_ice_driver append URI WAREHOUSE NS.TABLE FILE... | scan URI WAREHOUSE NS.TABLE OUT [SNAPSHOT]\n");
    return 2;
  }
  if (rc) {
    fprintf(stderr, "test_ice_driver %s: %s\n", argv[1], err.message);
    return 1;
  }
  printf("{\"snapshot_id\":%lld,\"rows\":%lld}\n", (long long)snap, (long long)rows);
  return 0;
}
