/* Arrow ⇄ Iceberg type mapping, record descriptors as Iceberg tables, and the time/truncate
 * transforms checked against DuckDB's calendar functions on random values (negatives too). */
#include <stdlib.h>
#include <string.h>

#include "iceberg/arrow_map.h"
#include "iceberg/transform.h"
#include "test.h"

static const char *SCHEMA =
    "{\"type\":\"struct\",\"schema-id\":0,\"fields\":["
    "{\"id\":1,\"name\":\"id\",\"required\":true,\"type\":\"long\"},"
    "{\"id\":2,\"name\":\"u\",\"required\":false,\"type\":\"uuid\"},"
    "{\"id\":3,\"name\":\"price\",\"required\":false,\"type\":\"decimal(12, 3)\"},"
    "{\"id\":4,\"name\":\"ts\",\"required\":true,\"type\":\"timestamptz\"},"
    "{\"id\":5,\"name\":\"tags\",\"required\":false,\"type\":{\"type\":\"list\",\"element-id\":8,\"element\":\"string\",\"element-required\":false}},"
    "{\"id\":6,\"name\":\"attrs\",\"required\":false,\"type\":{\"type\":\"map\",\"key-id\":9,\"key\":\"string\",\"value-id\":10,"
    "\"value\":\"fixed[4]\",\"value-required\":true}},"
    "{\"id\":7,\"name\":\"loc\",\"required\":false,\"type\":{\"type\":\"struct\",\"fields\":["
    "{\"id\":11,\"name\":\"lat\",\"required\":true,\"type\":\"double\"},{\"id\":12,\"name\":\"d\",\"required\":false,\"type\":\"date\"},"
    "{\"id\":13,\"name\":\"t\",\"required\":false,\"type\":\"time\"},{\"id\":14,\"name\":\"b\",\"required\":false,\"type\":\"binary\"},"
    "{\"id\":15,\"name\":\"ok\",\"required\":false,\"type\":\"boolean\"},{\"id\":16,\"name\":\"f\",\"required\":false,\"type\":\"float\"},"
    "{\"id\":17,\"name\":\"i\",\"required\":false,\"type\":\"int\"},{\"id\":18,\"name\":\"n\",\"required\":false,\"type\":\"timestamp\"}]}}]}";

static const char *fid(const struct ArrowSchema *a, char *buf) {
  const char *v;
  int32_t n;
  if (!prestige_metadata_get(a->metadata, "PARQUET:field_id", &v, &n)) return "";
  memcpy(buf, v, (size_t)n);
  buf[n] = 0;
  return buf;
}

TEST(iceberg_to_arrow_and_back) {
  prestige_error_t err;
  ice_schema_t *s = NULL;
  CHECK_OK(ice_schema_from_json_text(SCHEMA, &s, &err));
  if (!s) return;
  struct ArrowSchema a;
  CHECK_OK(ice_schema_to_arrow(s, &a, &err));
  CHECK_OK(prestige_schema_validate(&a, &err));
  char b[16];
  CHECK_EQ_STR(a.children[0]->format, "l");
  CHECK_EQ_INT(a.children[0]->flags & ARROW_FLAG_NULLABLE, 0);
  CHECK_EQ_STR(fid(a.children[0], b), "1");
  CHECK_EQ_STR(a.children[1]->format, "w:16");
  const char *v;
  int32_t n;
  CHECK(prestige_metadata_get(a.children[1]->metadata, "ARROW:extension:name", &v, &n) && n == 10 && !memcmp(v, "arrow.uuid", 10));
  CHECK_EQ_STR(a.children[2]->format, "d:12,3");
  CHECK_EQ_STR(a.children[3]->format, "tsu:UTC");
  CHECK_EQ_STR(a.children[4]->format, "+l");
  CHECK_EQ_STR(fid(a.children[4]->children[0], b), "8");
  CHECK_EQ_STR(a.children[5]->format, "+m");
  CHECK_EQ_STR(fid(a.children[5]->children[0]->children[0], b), "9");
  CHECK_EQ_STR(fid(a.children[5]->children[0]->children[1], b), "10");
  CHECK_EQ_INT(a.children[5]->children[0]->children[1]->flags & ARROW_FLAG_NULLABLE, 0);
  CHECK_EQ_STR(a.children[6]->children[2]->format, "ttu");
  CHECK_EQ_STR(a.children[6]->children[7]->format, "tsu:");
  CHECK_EQ_STR(fid(a.children[6]->children[7], b), "18");
  /* and back: the same schema, ids kept */
  ice_schema_t *back = NULL;
  CHECK_OK(ice_schema_from_arrow(&a, NULL, &back, &err));
  CHECK(back && ice_schema_same(s, back));
  ice_schema_free(back);
  prestige_schema_release(&a);
  ice_schema_free(s);
}

static int from_formats(const char *fmt, const char *ext, int version, ice_uint64_mode_t u64, ice_schema_t **out,
                        prestige_error_t *err) {
  struct ArrowSchema a;
  prestige_schema_init(&a, "+s", "", 0, err);
  prestige_schema_allocate_children(&a, 2, err);
  prestige_schema_init(a.children[0], "i", "first", 0, err);
  prestige_schema_init(a.children[1], fmt, "col", ARROW_FLAG_NULLABLE, err);
  if (ext) {
    prestige_kv_t kv = {"ARROW:extension:name", ext, -1};
    prestige_schema_set_metadata(a.children[1], &kv, 1, err);
  }
  ice_arrow_options_t o = {version, u64};
  int rc = ice_schema_from_arrow(&a, &o, out, err);
  prestige_schema_release(&a);
  return rc;
}

static void maps_to(const char *fmt, const char *ext, int version, ice_uint64_mode_t u64, const char *want) {
  prestige_error_t err;
  ice_schema_t *s = NULL;
  CHECK_MSG(from_formats(fmt, ext, version, u64, &s, &err) == 0, "%s: %s", fmt, err.message);
  if (!s) return;
  char buf[64];
  const ice_field_t *f = ice_schema_find_name(s, "col");
  CHECK_MSG(!strcmp(ice_type_to_string(f->type, buf, sizeof buf), want), "%s -> %s, wanted %s", fmt, buf, want);
  CHECK_EQ_INT(f->id, 2); /* no field ids in the input: fresh ones */
  CHECK(!f->required);
  ice_schema_free(s);
}

TEST(arrow_to_iceberg_types) {
  maps_to("c", NULL, 2, 0, "int");
  maps_to("s", NULL, 2, 0, "int");
  maps_to("C", NULL, 2, 0, "int");
  maps_to("S", NULL, 2, 0, "int");
  maps_to("I", NULL, 2, 0, "long");
  maps_to("l", NULL, 2, 0, "long");
  maps_to("e", NULL, 2, 0, "float");
  maps_to("U", NULL, 2, 0, "string");
  maps_to("Z", NULL, 2, 0, "binary");
  maps_to("w:16", "arrow.uuid", 2, 0, "uuid");
  maps_to("w:16", NULL, 2, 0, "fixed[16]");
  maps_to("d:38,10", NULL, 2, 0, "decimal(38, 10)");
  maps_to("tdD", NULL, 2, 0, "date");
  maps_to("tdm", NULL, 2, 0, "date");
  maps_to("tts", NULL, 2, 0, "time");
  maps_to("ttu", NULL, 2, 0, "time");
  maps_to("tss:", NULL, 2, 0, "timestamp");
  maps_to("tsm:UTC", NULL, 2, 0, "timestamptz");
  maps_to("tsm:Europe/Paris", NULL, 2, 0, "timestamptz");
  maps_to("tsn:", NULL, 3, 0, "timestamp_ns");
  maps_to("tsn:UTC", NULL, 3, 0, "timestamptz_ns");
  maps_to("L", NULL, 2, ICE_UINT64_AS_LONG, "long");
  maps_to("L", NULL, 2, ICE_UINT64_AS_DECIMAL, "decimal(20, 0)");
  prestige_error_t err;
  ice_schema_t *s = NULL;
  CHECK_ERR(from_formats("L", NULL, 2, 0, &s, &err), PRESTIGE_EUNSUPPORTED, "column \"col\": uint64");
  CHECK_ERR(from_formats("tsn:", NULL, 2, 0, &s, &err), PRESTIGE_EUNSUPPORTED, "format version 3");
  CHECK_ERR(from_formats("ttn", NULL, 3, 0, &s, &err), PRESTIGE_EUNSUPPORTED, "col");
  CHECK_ERR(from_formats("tDs", NULL, 3, 0, &s, &err), PRESTIGE_EUNSUPPORTED, "col");
  CHECK_ERR(from_formats("d:40,2,256", NULL, 3, 0, &s, &err), PRESTIGE_EUNSUPPORTED, "precision");
}

#define SENSOR(F)                                                                                  \
  F(sensor_id, STRING, .flags = PRESTIGE_IDENTIFIER)                                               \
  F(ts, TIMESTAMP(MILLI, "UTC"), .partition = PRESTIGE_PARTITION_DAY, .sort_order = 1)             \
  F(temperature, F64, .sort_order = 2, .sort_desc = true)                                          \
  F(humidity, OPTIONAL(F64))                                                                       \
  F(location, STRING, .partition = PRESTIGE_PARTITION_IDENTITY)                                    \
  F(device, I64, .partition = PRESTIGE_PARTITION_BUCKET, .partition_param = 16)                    \
  F(counter, U64)                                                                                  \
  F(readings, LIST(F32))
PRESTIGE_RECORD(sensor, SENSOR, .table = "sensor_readings", .namespace_ = "telemetry")

TEST(record_descriptor_to_table) {
  prestige_error_t err;
  ice_schema_t *s = NULL;
  ice_partition_spec_t *spec = NULL;
  ice_sort_order_t *order = NULL;
  CHECK_OK(ice_schema_from_record(sensor_record(), 2, &s, &spec, &order, &err));
  if (!s) return;
  char buf[64];
  const ice_field_t *ts = ice_schema_find_name(s, "ts");
  CHECK_EQ_STR(ice_type_to_string(ts->type, buf, sizeof buf), "timestamptz"); /* ms widened to µs */
  CHECK(ts->required);
  CHECK(!ice_schema_find_name(s, "humidity")->required);
  CHECK_EQ_INT(ice_schema_find_name(s, "counter")->type->id, ICE_LONG);
  CHECK_EQ_INT(ice_schema_find_name(s, "readings.element")->type->id, ICE_FLOAT);
  CHECK_EQ_INT(ice_schema_find_name(s, "sensor_id")->id, 1);
  CHECK(s->n_identifier_ids == 1 && s->identifier_ids[0] == 1);
  CHECK_EQ_INT(spec->n_fields, 3);
  CHECK_EQ_STR(spec->fields[0].name, "ts_day");
  CHECK_EQ_INT(spec->fields[0].source_id, ts->id);
  CHECK_EQ_INT(spec->fields[0].field_id, 1000);
  CHECK_EQ_STR(spec->fields[1].name, "location");
  CHECK_EQ_STR(spec->fields[2].name, "device_bucket");
  CHECK_EQ_INT(spec->fields[2].transform.param, 16);
  CHECK_EQ_INT(order->order_id, 1);
  CHECK_EQ_INT(order->n_fields, 2);
  CHECK_EQ_INT(order->fields[0].source_id, ts->id);
  CHECK(order->fields[1].direction == ICE_SORT_DESC && order->fields[1].null_order == ICE_NULLS_LAST);
  CHECK_EQ_STR(sensor_record()->table, "sensor_readings");
  ice_schema_free(s);
  ice_partition_spec_free(spec);
  ice_sort_order_free(order);
}

#define OPTID(F) F(key, OPTIONAL(I64), .flags = PRESTIGE_IDENTIFIER)
PRESTIGE_RECORD(optid, OPTID)

TEST(record_identifier_must_be_required) {
  prestige_error_t err;
  ice_schema_t *s;
  ice_partition_spec_t *spec;
  ice_sort_order_t *order;
  CHECK_ERR(ice_schema_from_record(optid_record(), 2, &s, &spec, &order, &err), PRESTIGE_EINVAL, "\"key\" must be required");
}

/* ---- differential: time and truncate transforms against DuckDB ------------------------------------ */
static uint64_t rng = 0x9e3779b97f4a7c15ULL;
static uint64_t next_rand(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}

TEST(transforms_match_duckdb) {
  enum { N = 300 };
  int64_t us[N];
  int32_t days[N];
  int64_t lv[N];
  int32_t w[N];
  const char *env = getenv("PRESTIGE_FUZZ_SEED");
  if (env) rng = strtoull(env, NULL, 10) | 1;
  for (int i = 0; i < N; i++) {
    /* timestamps between 1700 and 2300, many near the epoch and near day/month/year edges */
    int64_t span = (int64_t)(600LL * 365 * 86400) * 1000000LL;
    us[i] = (int64_t)(next_rand() % (uint64_t)span) - (int64_t)(270LL * 365 * 86400) * 1000000LL;
    if (i % 5 == 0) us[i] = (int64_t)(next_rand() % 200000000) - 100000000;
    if (i % 7 == 0) us[i] = (us[i] / 86400000000LL) * 86400000000LL - (int64_t)(i % 3);
    days[i] = (int32_t)((int64_t)(next_rand() % 200000) - 100000);
    lv[i] = (int64_t)(next_rand() % 2000000000000ULL) - 1000000000000LL;
    w[i] = 1 + (int32_t)(next_rand() % 1000);
  }
  size_t cap = (size_t)N * 160 + 1024, len = 0;
  char *sql = malloc(cap);
  len += (size_t)snprintf(sql + len, cap - len,
                          "SELECT i, year(ts) - 1970 AS y, (year(ts) - 1970) * 12 + month(ts) - 1 AS m,"
                          " date_diff('day', DATE '1970-01-01', CAST(ts AS DATE)) AS d,"
                          " date_diff('hour', TIMESTAMP '1970-01-01', date_trunc('hour', ts)) AS h,"
                          " strftime(ts, '%%Y-%%m-%%d') AS dh, strftime(ts, '%%Y-%%m-%%d-%%H') AS hh,"
                          " year(dd) - 1970 AS dy, (year(dd) - 1970) * 12 + month(dd) - 1 AS dm,"
                          " CAST(floor(CAST(v AS DOUBLE) / w) AS BIGINT) * w AS tr"
                          " FROM (SELECT i, make_timestamp(us) AS ts, DATE '1970-01-01' + CAST(dn AS INTEGER) AS dd, v, w FROM (VALUES ");
  for (int i = 0; i < N; i++)
    len += (size_t)snprintf(sql + len, cap - len, "%s(%d, %lld, %d, %lld, %d)", i ? "," : "", i, (long long)us[i], days[i],
                            (long long)lv[i], w[i]);
  snprintf(sql + len, cap - len, ") t(i, us, dn, v, w)) ORDER BY i");
  char *out = test_duckdb_json(sql);
  free(sql);
  CHECK_MSG(out != NULL, "DuckDB did not answer");
  if (!out) return;
  json_t *rows = json_loads(out, 0, NULL);
  free(out);
  CHECK(json_is_array(rows) && json_array_size(rows) == N);
  ice_type_t ts_t = ice_type_prim(ICE_TIMESTAMP, 0, 0), date_t = ice_type_prim(ICE_DATE, 0, 0), long_t = ice_type_prim(ICE_LONG, 0, 0);
  ice_transform_t year, month, day, hour, trunc;
  ice_transform_parse("year", &year, NULL);
  ice_transform_parse("month", &month, NULL);
  ice_transform_parse("day", &day, NULL);
  ice_transform_parse("hour", &hour, NULL);
  int mismatches = 0;
  for (size_t i = 0; i < json_array_size(rows); i++) {
    json_t *r = json_array_get(rows, i);
    /* getRowObjectsJson gives BIGINT as strings and INTEGER as numbers */
#define NUM(k) (json_is_string(json_object_get(r, k)) ? atoll(json_string_value(json_object_get(r, k))) : (long long)json_integer_value(json_object_get(r, k)))
    ice_value_t in = ice_value_long(us[i]), o;
    prestige_error_t err;
    ice_transform_apply(&year, &ts_t, &in, &o, &err);
    if (o.v.i32 != NUM("y")) mismatches++;
    ice_transform_apply(&month, &ts_t, &in, &o, &err);
    if (o.v.i32 != NUM("m")) mismatches++;
    ice_transform_apply(&day, &ts_t, &in, &o, &err);
    if (o.v.i32 != NUM("d")) mismatches++;
    buf_t hb = BUF_INIT;
    ice_type_t rt = ice_type_prim(ICE_DATE, 0, 0);
    ice_transform_human(&day, &rt, &o, &hb, &err);
    if (hb.len != strlen(json_string_value(json_object_get(r, "dh"))) || memcmp(hb.data, json_string_value(json_object_get(r, "dh")), hb.len))
      mismatches++;
    ice_transform_apply(&hour, &ts_t, &in, &o, &err);
    CHECK_MSG(o.v.i32 == NUM("h"), "hour(%lld): %d vs %lld", (long long)us[i], o.v.i32, NUM("h"));
    buf_clear(&hb);
    rt = ice_type_prim(ICE_INT, 0, 0);
    ice_transform_human(&hour, &rt, &o, &hb, &err);
    if (hb.len != strlen(json_string_value(json_object_get(r, "hh"))) || memcmp(hb.data, json_string_value(json_object_get(r, "hh")), hb.len))
      mismatches++;
    buf_release(&hb);
    ice_value_t dv = ice_value_int(days[i]);
    ice_transform_apply(&year, &date_t, &dv, &o, &err);
    if (o.v.i32 != NUM("dy")) mismatches++;
    ice_transform_apply(&month, &date_t, &dv, &o, &err);
    if (o.v.i32 != NUM("dm")) mismatches++;
    char tr[32];
    snprintf(tr, sizeof tr, "truncate[%d]", w[i]);
    ice_transform_parse(tr, &trunc, NULL);
    ice_value_t lvv = ice_value_long(lv[i]);
    ice_transform_apply(&trunc, &long_t, &lvv, &o, &err);
    CHECK_MSG(o.v.i64 == NUM("tr"), "truncate[%d](%lld): %lld vs %lld", w[i], (long long)lv[i], (long long)o.v.i64, NUM("tr"));
#undef NUM
  }
  CHECK_EQ_INT(mismatches, 0);
  json_decref(rows);
}

TEST_MAIN(RUN(iceberg_to_arrow_and_back); RUN(arrow_to_iceberg_types); RUN(record_descriptor_to_table);
          RUN(record_identifier_must_be_required); RUN(transforms_match_duckdb);)
