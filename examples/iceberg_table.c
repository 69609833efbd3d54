/*
 * An Iceberg table end to end with prestige/iceberg.h: a catalog in SQLite, a table partitioned
 * by day, two appends, then a filtered, projected scan of the current snapshot and a time-travel
 * scan of the first one. The README's "Iceberg tables" section shows this code.
 *
 * usage: iceberg_table WORK_DIR   (the catalog and warehouse go there)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <prestige/prestige.h>

static int fail(const char *what, const prestige_error_t *err) {
  fprintf(stderr, "%s: %s\n", what, err->message);
  return 1;
}

/* n rows of (ts, sensor, temp) starting at row r0, one reading a minute */
static int readings(const struct ArrowSchema *s, int64_t r0, int64_t n, struct ArrowArray *out, prestige_error_t *err) {
  prestige_array_builder_t *b;
  PRESTIGE_TRY(prestige_array_builder_new(&b, s, err));
  int rc = 0;
  for (int64_t i = r0; i < r0 + n && !rc; i++) {
    char id[16];
    int len = snprintf(id, sizeof id, "s-%d", (int)(i % 5));
    rc = prestige_array_builder_append_int(prestige_array_builder_child(b, 0), 1704067200000000LL + i * 60000000LL, err);
    if (!rc) rc = prestige_array_builder_append_bytes(prestige_array_builder_child(b, 1), id, len, err);
    if (!rc) rc = prestige_array_builder_append_double(prestige_array_builder_child(b, 2), 20.0 + (double)(i % 70) / 10, err);
    if (!rc) rc = prestige_array_builder_append_struct(b, err);
  }
  if (!rc) rc = prestige_array_builder_finish(b, out, err);
  prestige_array_builder_free(b);
  return rc;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: iceberg_table WORK_DIR\n");
    return 2;
  }
  mkdir(argv[1], 0755); /* WORK_DIR may exist already */
  char uri[4200], wh[4200];
  snprintf(uri, sizeof uri, "sqlite:%s/catalog.db", argv[1]);
  snprintf(wh, sizeof wh, "%s/warehouse", argv[1]);
  prestige_error_t err;
  prestige_error_init(&err);
  struct ArrowSchema schema;
  if (prestige_text_parse_schema("ts:timestamp(us,UTC),sensor:string,temp:double", &schema, &err)) return fail("schema", &err);

  /* readme:begin */
  prestige_iceberg_catalog_options_t o = PRESTIGE_ICEBERG_CATALOG_OPTIONS_INIT;
  o.uri = uri;                                   // "sqlite:/path/catalog.db"
  o.warehouse = wh;                              // a directory, file:///dir or s3://bucket/prefix
  prestige_iceberg_catalog_t *cat;
  if (prestige_iceberg_catalog_open(&cat, &o, &err)) return fail("open", &err);
  prestige_iceberg_namespace_create(cat, "telemetry", NULL, 0, NULL);   // may exist already
  prestige_iceberg_create_options_t co = PRESTIGE_ICEBERG_CREATE_OPTIONS_INIT;
  co.partition = "day(ts)";
  prestige_iceberg_table_t *t;
  if (prestige_iceberg_table_create(cat, "telemetry.readings", &schema, &co, &t, &err)) return fail("create", &err);

  int64_t first = -1;
  for (int k = 0; k < 2; k++) {                  // two appends: two snapshots
    struct ArrowArray batch;
    if (readings(&schema, k * 2000, 2000, &batch, &err)) return fail("rows", &err);
    prestige_iceberg_append_t *a;
    prestige_iceberg_append_options_t ao = PRESTIGE_ICEBERG_APPEND_OPTIONS_INIT;
    if (prestige_iceberg_append_new(&a, t, &ao, &err)) return fail("append", &err);
    prestige_iceberg_append_result_t res;
    if (prestige_iceberg_append_write(a, &batch, &schema, &err) ||   // batch moved in
        prestige_iceberg_append_commit(a, &res, &err))
      return fail("append", &err);
    printf("snapshot %lld: %lld rows in %lld files\n", (long long)res.snapshot_id, (long long)res.added_records,
           (long long)res.added_files);
    if (k == 0) first = res.snapshot_id;
    prestige_iceberg_append_result_release(&res);
    prestige_iceberg_append_free(a);
  }

  const char *cols[] = {"sensor", "temp"};
  prestige_iceberg_scan_options_t so = PRESTIGE_ICEBERG_SCAN_OPTIONS_INIT;
  so.where = "ts >= '2024-01-03' AND sensor = 's-1'";   // the day partitions before it are not read
  so.columns = cols;
  so.n_columns = 2;
  prestige_iceberg_scan_stats_t st;
  struct ArrowArrayStream s;
  if (prestige_iceberg_scan(t, &so, &s, &st, &err)) return fail("scan", &err);
  int64_t rows = 0;
  struct ArrowArray b;
  while (s.get_next(&s, &b) == 0 && b.release) {
    rows += b.length;
    b.release(&b);
  }
  s.release(&s);
  printf("filtered scan: %lld rows; %lld of %lld files pruned by partition\n", (long long)rows,
         (long long)st.files_pruned_partition, (long long)st.files);

  prestige_iceberg_scan_options_t tt = PRESTIGE_ICEBERG_SCAN_OPTIONS_INIT;
  tt.snapshot_id = first;                        // or tt.ref = "branch", tt.as_of_ms, tt.since_snapshot_id
  prestige_iceberg_scan_plan_t plan;
  if (prestige_iceberg_scan_plan(t, &tt, &plan, &err)) return fail("plan", &err);
  printf("first snapshot: %lld files, e.g. %s\n", (long long)plan.n_files, plan.n_files ? plan.files[0].partition : "");
  prestige_iceberg_scan_plan_release(&plan);
  prestige_iceberg_table_free(t);
  prestige_iceberg_catalog_close(cat);
  /* readme:end */
  schema.release(&schema);
  return 0;
}
