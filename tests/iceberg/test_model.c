/* Iceberg spec model: types, schemas, transforms, single values, bounds (golden values from
 * the Iceberg spec's appendices and Java's behaviour). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/calendar.h"
#include "iceberg/partition.h"
#include "iceberg/transform.h"
#include "iceberg/types.h"
#include "iceberg/value.h"
#include "test.h"

static ice_type_t T(ice_type_id_t id) { return ice_type_prim(id, 0, 0); }

static int32_t hash_of(ice_type_t t, ice_value_t v) {
  int32_t h = 0;
  CHECK(ice_hash_value(&t, &v, &h));
  return h;
}

static int64_t micros(const char *iso) { /* "YYYY-MM-DDTHH:MM:SS[.ffffff]" UTC */
  int64_t days, nanos;
  size_t used;
  CHECK(cal_parse_date(iso, 10, &days));
  CHECK(cal_parse_time(iso + 11, strlen(iso + 11), &nanos, &used));
  return days * 86400000000LL + nanos / 1000;
}

TEST(spec_murmur3_examples) {
  /* Appendix B test values */
  CHECK_EQ_INT(hash_of(T(ICE_INT), ice_value_int(34)), 2017239379);
  CHECK_EQ_INT(hash_of(T(ICE_LONG), ice_value_long(34)), 2017239379);
  CHECK_EQ_INT(hash_of(ice_type_prim(ICE_DECIMAL, 4, 2), ice_value_decimal(1420)), -500754589);
  int64_t d;
  CHECK(cal_parse_date("2017-11-16", 10, &d));
  CHECK_EQ_INT(hash_of(T(ICE_DATE), ice_value_int((int32_t)d)), -653330422);
  CHECK_EQ_INT(hash_of(T(ICE_TIME), ice_value_long((22 * 3600 + 31 * 60 + 8) * 1000000LL)), -662762989);
  CHECK_EQ_INT(hash_of(T(ICE_TIMESTAMP), ice_value_long(micros("2017-11-16T22:31:08"))), -2047944441);
  CHECK_EQ_INT(hash_of(T(ICE_TIMESTAMP), ice_value_long(micros("2017-11-16T22:31:08.000001"))), -1207196810);
  CHECK_EQ_INT(hash_of(T(ICE_TIMESTAMPTZ), ice_value_long(micros("2017-11-16T22:31:08"))), -2047944441);
  CHECK_EQ_INT(hash_of(T(ICE_TIMESTAMPTZ), ice_value_long(micros("2017-11-16T22:31:08.000001"))), -1207196810);
  CHECK_EQ_INT(hash_of(T(ICE_TIMESTAMP_NS), ice_value_long(micros("2017-11-16T22:31:08") * 1000)), -2047944441);
  CHECK_EQ_INT(hash_of(T(ICE_TIMESTAMP_NS), ice_value_long(micros("2017-11-16T22:31:08.000001") * 1000 + 1)), -1207196810);
  CHECK_EQ_INT(hash_of(T(ICE_TIMESTAMPTZ_NS), ice_value_long(micros("2017-11-16T22:31:08.000001") * 1000 + 1)), -1207196810);
  CHECK_EQ_INT(hash_of(T(ICE_STRING), ice_value_bytes("iceberg", 7)), 1210000089);
  ice_value_t u = {0};
  CHECK(ice_uuid_parse("f79c3e09-677c-4bbd-a479-3f349cb785e7", u.v.uuid));
  CHECK_EQ_INT(hash_of(T(ICE_UUID), u), 1488055340);
  static const uint8_t b4[] = {0, 1, 2, 3};
  CHECK_EQ_INT(hash_of(ice_type_prim(ICE_FIXED, 4, 0), ice_value_bytes(b4, 4)), -188683207);
  CHECK_EQ_INT(hash_of(T(ICE_BINARY), ice_value_bytes(b4, 4)), -188683207);
  /* the types not valid for bucketing, as the appendix would hash them */
  CHECK_EQ_INT(hash_of(T(ICE_BOOLEAN), ice_value_bool(true)), 1392991556);
  CHECK_EQ_INT(hash_of(T(ICE_FLOAT), ice_value_float(1.0f)), -142385009);
  CHECK_EQ_INT(hash_of(T(ICE_FLOAT), ice_value_float(0.0f)), 1669671676);
  CHECK_EQ_INT(hash_of(T(ICE_FLOAT), ice_value_float(-0.0f)), 1669671676);
  CHECK_EQ_INT(hash_of(T(ICE_DOUBLE), ice_value_double(1.0)), -142385009);
  CHECK_EQ_INT(hash_of(T(ICE_DOUBLE), ice_value_double(-0.0)), 1669671676);
  /* "34" as a string hashes differently from 34 (spec, type promotion section) */
  CHECK_EQ_INT(hash_of(T(ICE_STRING), ice_value_bytes("34", 2)), -427558391);
}

static ice_value_t apply(const char *tr, ice_type_t src, ice_value_t in) {
  prestige_error_t err;
  ice_transform_t t;
  ice_value_t out = ice_value_null();
  CHECK_OK(ice_transform_parse(tr, &t, &err));
  CHECK_OK(ice_transform_apply(&t, &src, &in, &out, &err));
  return out;
}

TEST(bucket_transform) {
  /* bucket = (hash & INT_MAX) % N */
  CHECK_EQ_INT(apply("bucket[100]", T(ICE_INT), ice_value_int(34)).v.i32, 2017239379 % 100);
  CHECK_EQ_INT(apply("bucket[16]", T(ICE_STRING), ice_value_bytes("iceberg", 7)).v.i32, 1210000089 % 16);
  CHECK_EQ_INT(apply("bucket[1000]", ice_type_prim(ICE_DECIMAL, 4, 2), ice_value_decimal(1420)).v.i32,
               (-500754589 & 0x7fffffff) % 1000);
  CHECK(apply("bucket[4]", T(ICE_INT), ice_value_null()).is_null);
  prestige_error_t err;
  ice_transform_t t;
  CHECK_ERR(ice_transform_parse("bucket[0]", &t, &err), PRESTIGE_ECORRUPT, "bucket[0]");
  ice_type_t rt, dbl = T(ICE_DOUBLE);
  CHECK_OK(ice_transform_parse("bucket[4]", &t, &err));
  CHECK_ERR(ice_transform_result_type(&t, &dbl, &rt, &err), PRESTIGE_ETYPE, "double");
  CHECK_OK(ice_transform_parse("zorder", &t, &err));
  CHECK_EQ_INT(t.kind, ICE_T_UNKNOWN);
}

TEST(truncate_transform) {
  /* spec table: W=10: 1 -> 0, -1 -> -10 */
  CHECK_EQ_INT(apply("truncate[10]", T(ICE_INT), ice_value_int(1)).v.i32, 0);
  CHECK_EQ_INT(apply("truncate[10]", T(ICE_INT), ice_value_int(-1)).v.i32, -10);
  CHECK_EQ_INT(apply("truncate[10]", T(ICE_INT), ice_value_int(-10)).v.i32, -10);
  CHECK_EQ_INT(apply("truncate[10]", T(ICE_INT), ice_value_int(-11)).v.i32, -20);
  CHECK_EQ_INT(apply("truncate[10]", T(ICE_LONG), ice_value_long(-1)).v.i64, -10);
  CHECK_EQ_INT(apply("truncate[3]", T(ICE_LONG), ice_value_long(5)).v.i64, 3);
  /* decimal: W=50, s=2: 10.65 -> 10.50 */
  CHECK(apply("truncate[50]", ice_type_prim(ICE_DECIMAL, 9, 2), ice_value_decimal(1065)).dec == 1050);
  CHECK(apply("truncate[50]", ice_type_prim(ICE_DECIMAL, 9, 2), ice_value_decimal(-1065)).dec == -1100);
  /* strings by code points: "iceberg" -> "ice"; multi-byte characters are kept whole */
  ice_value_t s = apply("truncate[3]", T(ICE_STRING), ice_value_bytes("iceberg", 7));
  CHECK(s.len == 3 && !memcmp(s.ptr, "ice", 3));
  const char *jp = "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe3\x81\xa7\xe3\x81\x99"; /* 日本語です */
  s = apply("truncate[2]", T(ICE_STRING), ice_value_bytes(jp, strlen(jp)));
  CHECK_EQ_INT(s.len, 6);
  const char *emoji = "a\xf0\x9f\x98\x80" "b"; /* a😀b */
  s = apply("truncate[2]", T(ICE_STRING), ice_value_bytes(emoji, strlen(emoji)));
  CHECK_EQ_INT(s.len, 5);
  static const uint8_t bin[] = {1, 2, 3, 4, 5};
  s = apply("truncate[3]", T(ICE_BINARY), ice_value_bytes(bin, 5));
  CHECK_EQ_INT(s.len, 3);
}

TEST(time_transforms_negative) {
  /* day -1 is 1969-12-31: year -1, month -1, day -1 (floor, not truncation toward zero) */
  CHECK_EQ_INT(apply("year", T(ICE_DATE), ice_value_int(-1)).v.i32, -1);
  CHECK_EQ_INT(apply("month", T(ICE_DATE), ice_value_int(-1)).v.i32, -1);
  CHECK_EQ_INT(apply("day", T(ICE_DATE), ice_value_int(-1)).v.i32, -1);
  CHECK_EQ_INT(apply("month", T(ICE_DATE), ice_value_int(-31)).v.i32, -1);
  CHECK_EQ_INT(apply("month", T(ICE_DATE), ice_value_int(-32)).v.i32, -2);
  CHECK_EQ_INT(apply("year", T(ICE_DATE), ice_value_int(-365)).v.i32, -1);
  CHECK_EQ_INT(apply("year", T(ICE_DATE), ice_value_int(-366)).v.i32, -2);
  /* one microsecond before the epoch */
  CHECK_EQ_INT(apply("hour", T(ICE_TIMESTAMP), ice_value_long(-1)).v.i32, -1);
  CHECK_EQ_INT(apply("day", T(ICE_TIMESTAMPTZ), ice_value_long(-1)).v.i32, -1);
  CHECK_EQ_INT(apply("month", T(ICE_TIMESTAMP), ice_value_long(-1)).v.i32, -1);
  CHECK_EQ_INT(apply("year", T(ICE_TIMESTAMP), ice_value_long(-1)).v.i32, -1);
  CHECK_EQ_INT(apply("hour", T(ICE_TIMESTAMP_NS), ice_value_long(-1)).v.i32, -1);
  CHECK_EQ_INT(apply("day", T(ICE_TIMESTAMP_NS), ice_value_long(86400000000000LL)).v.i32, 1);
  int64_t ts = micros("2024-01-02T03:04:05");
  CHECK_EQ_INT(apply("year", T(ICE_TIMESTAMP), ice_value_long(ts)).v.i32, 54);
  CHECK_EQ_INT(apply("month", T(ICE_TIMESTAMP), ice_value_long(ts)).v.i32, 54 * 12);
  CHECK_EQ_INT(apply("hour", T(ICE_TIMESTAMP), ice_value_long(ts)).v.i32, ts / 3600000000LL);
}

static const char *human(const char *tr, ice_type_t src, ice_value_t in, char *out) {
  prestige_error_t err;
  ice_transform_t t;
  ice_type_t rt;
  ice_value_t v;
  buf_t b = BUF_INIT;
  CHECK_OK(ice_transform_parse(tr, &t, &err));
  CHECK_OK(ice_transform_result_type(&t, &src, &rt, &err));
  CHECK_OK(ice_transform_apply(&t, &src, &in, &v, &err));
  CHECK_OK(ice_transform_human(&t, &rt, &v, &b, &err));
  memcpy(out, b.data, b.len);
  out[b.len] = 0;
  buf_release(&b);
  return out;
}

TEST(human_strings) {
  char o[128];
  int64_t ts = micros("2024-01-02T03:04:05");
  CHECK_EQ_STR(human("day", T(ICE_TIMESTAMP), ice_value_long(ts), o), "2024-01-02");
  CHECK_EQ_STR(human("month", T(ICE_TIMESTAMP), ice_value_long(ts), o), "2024-01");
  CHECK_EQ_STR(human("year", T(ICE_TIMESTAMP), ice_value_long(ts), o), "2024");
  CHECK_EQ_STR(human("hour", T(ICE_TIMESTAMP), ice_value_long(ts), o), "2024-01-02-03");
  CHECK_EQ_STR(human("hour", T(ICE_TIMESTAMP), ice_value_long(-1), o), "1969-12-31-23");
  CHECK_EQ_STR(human("month", T(ICE_DATE), ice_value_int(-1), o), "1969-12");
  CHECK_EQ_STR(human("bucket[16]", T(ICE_STRING), ice_value_bytes("iceberg", 7), o), "9");
  CHECK_EQ_STR(human("identity", T(ICE_TIMESTAMP), ice_value_long(ts), o), "2024-01-02T03:04:05");
  CHECK_EQ_STR(human("identity", T(ICE_TIMESTAMPTZ), ice_value_long(ts + 500), o), "2024-01-02T03:04:05.0005+00:00");
  CHECK_EQ_STR(human("identity", T(ICE_TIME), ice_value_long(3600000000LL), o), "01:00");
  CHECK_EQ_STR(human("identity", T(ICE_TIME), ice_value_long(3601500000LL), o), "01:00:01.500");
  CHECK_EQ_STR(human("identity", T(ICE_FLOAT), ice_value_float(1.0f), o), "1.0");
  CHECK_EQ_STR(human("identity", T(ICE_DOUBLE), ice_value_double(0.1), o), "0.1");
  CHECK_EQ_STR(human("identity", T(ICE_DOUBLE), ice_value_double(1e7), o), "1.0E7");
  CHECK_EQ_STR(human("identity", T(ICE_DOUBLE), ice_value_double(-1.5e-5), o), "-1.5E-5");
  CHECK_EQ_STR(human("identity", T(ICE_FLOAT), ice_value_float(0.1f), o), "0.1");
  CHECK_EQ_STR(human("identity", ice_type_prim(ICE_DECIMAL, 9, 2), ice_value_decimal(-5), o), "-0.05");
  CHECK_EQ_STR(human("identity", ice_type_prim(ICE_DECIMAL, 20, 10), ice_value_decimal(1234), o), "1.234E-7");
  static const uint8_t b4[] = {0, 1, 2, 3};
  CHECK_EQ_STR(human("identity", T(ICE_BINARY), ice_value_bytes(b4, 4), o), "AAECAw==");
  CHECK_EQ_STR(human("void", T(ICE_INT), ice_value_int(3), o), "null");

  /* a partition path as Java writes it: names and values URL-encoded */
  prestige_error_t err;
  ice_schema_t *s;
  CHECK_OK(ice_schema_from_json_text("{\"type\":\"struct\",\"schema-id\":0,\"fields\":["
                                     "{\"id\":1,\"name\":\"ts\",\"required\":true,\"type\":\"timestamptz\"},"
                                     "{\"id\":2,\"name\":\"id\",\"required\":false,\"type\":\"long\"},"
                                     "{\"id\":3,\"name\":\"city\",\"required\":false,\"type\":\"string\"}]}",
                                     &s, &err));
  if (!s) return;
  ice_partition_spec_t *spec;
  ice_transform_t day, bucket, ident;
  ice_transform_parse("day", &day, &err);
  ice_transform_parse("bucket[8]", &bucket, &err);
  ice_transform_parse("identity", &ident, &err);
  CHECK_OK(ice_partition_spec_new(0, &spec, &err));
  CHECK_OK(ice_partition_spec_add(spec, 1, -1, "ts_day", &day, &err));
  CHECK_OK(ice_partition_spec_add(spec, 2, -1, "id_bucket", &bucket, &err));
  CHECK_OK(ice_partition_spec_add(spec, 3, -1, "city", &ident, &err));
  CHECK_OK(ice_partition_spec_bind(spec, s, &err));
  CHECK_EQ_INT(spec->fields[0].field_id, 1000);
  CHECK_EQ_INT(spec->fields[2].field_id, 1002);
  const char *city = "S\xc3\xa3o Paulo/=&";
  ice_value_t src[3] = {ice_value_long(ts), ice_value_long(34), ice_value_bytes(city, strlen(city))}, part[3];
  CHECK_OK(ice_partition_apply(spec, s, src, part, &err));
  buf_t path = BUF_INIT;
  CHECK_OK(ice_partition_path(spec, s, part, &path, &err));
  CHECK(path.len < sizeof(o));
  memcpy(o, path.data, path.len);
  o[path.len] = 0;
  char want[128];
  snprintf(want, sizeof want, "ts_day=2024-01-02/id_bucket=%d/city=S%%C3%%A3o+Paulo%%2F%%3D%%26", 2017239379 % 8);
  CHECK_EQ_STR(o, want);
  buf_release(&path);
  /* a spec that names a missing column or misapplies a transform */
  ice_partition_spec_t *bad;
  CHECK_OK(ice_partition_spec_new(1, &bad, &err));
  ice_transform_t hour;
  ice_transform_parse("hour", &hour, &err);
  CHECK_OK(ice_partition_spec_add(bad, 2, -1, "id_hour", &hour, &err));
  CHECK_ERR(ice_partition_spec_bind(bad, s, &err), PRESTIGE_ETYPE, "id_hour");
  bad->fields[0].source_id = 99;
  CHECK_ERR(ice_partition_spec_bind(bad, s, &err), PRESTIGE_EINVAL, "99");
  ice_partition_spec_free(bad);
  ice_partition_spec_free(spec);
  ice_schema_free(s);
}

static void bytes_roundtrip(ice_type_t t, ice_value_t v, const char *hex) {
  prestige_error_t err;
  buf_t b = BUF_INIT;
  char got[80] = {0};
  CHECK_OK(ice_value_to_bytes(&t, &v, &b, &err));
  for (size_t i = 0; i < b.len && i < 39; i++) snprintf(got + 2 * i, 3, "%02x", b.data[i]);
  CHECK_EQ_STR(got, hex);
  ice_value_t back;
  CHECK_OK(ice_value_from_bytes(&t, b.data, b.len, &back, &err));
  CHECK_EQ_INT(ice_value_compare(&t, &v, &back), 0);
  buf_release(&b);
}

TEST(binary_single_values) {
  bytes_roundtrip(T(ICE_BOOLEAN), ice_value_bool(true), "01");
  bytes_roundtrip(T(ICE_INT), ice_value_int(34), "22000000");
  bytes_roundtrip(T(ICE_INT), ice_value_int(-2), "feffffff");
  bytes_roundtrip(T(ICE_LONG), ice_value_long(34), "2200000000000000");
  bytes_roundtrip(T(ICE_FLOAT), ice_value_float(1.0f), "0000803f");
  bytes_roundtrip(T(ICE_DOUBLE), ice_value_double(1.0), "000000000000f03f");
  bytes_roundtrip(T(ICE_DATE), ice_value_int(17486), "4e440000");
  bytes_roundtrip(T(ICE_TIMESTAMP), ice_value_long(1510871468000000LL), "00c3262d215e0500");
  bytes_roundtrip(T(ICE_STRING), ice_value_bytes("iceberg", 7), "69636562657267");
  bytes_roundtrip(ice_type_prim(ICE_DECIMAL, 4, 2), ice_value_decimal(1420), "058c");
  bytes_roundtrip(ice_type_prim(ICE_DECIMAL, 9, 2), ice_value_decimal(-1), "ff");
  bytes_roundtrip(ice_type_prim(ICE_DECIMAL, 9, 2), ice_value_decimal(128), "0080");
  bytes_roundtrip(ice_type_prim(ICE_DECIMAL, 9, 2), ice_value_decimal(-129), "ff7f");
  bytes_roundtrip(ice_type_prim(ICE_DECIMAL, 38, 0), ice_value_decimal(0), "00");
  ice_value_t u = {0};
  ice_uuid_parse("f79c3e09-677c-4bbd-a479-3f349cb785e7", u.v.uuid);
  bytes_roundtrip(T(ICE_UUID), u, "f79c3e09677c4bbda4793f349cb785e7");
  /* promoted types read the narrower bounds (spec "Schema Evolution") */
  prestige_error_t err;
  ice_value_t v;
  static const uint8_t four[] = {0x22, 0, 0, 0}, one_f[] = {0, 0, 0x80, 0x3f}, day[] = {1, 0, 0, 0};
  ice_type_t lt = T(ICE_LONG), dt = T(ICE_DOUBLE), tt = T(ICE_TIMESTAMP);
  CHECK_OK(ice_value_from_bytes(&lt, four, 4, &v, &err));
  CHECK_EQ_INT(v.v.i64, 34);
  CHECK_OK(ice_value_from_bytes(&dt, one_f, 4, &v, &err));
  CHECK(v.v.f64 == 1.0);
  CHECK_OK(ice_value_from_bytes(&tt, day, 4, &v, &err));
  CHECK_EQ_INT(v.v.i64, 86400000000LL);
  ice_type_t it = T(ICE_INT), st = T(ICE_STRING);
  CHECK_ERR(ice_value_from_bytes(&it, four, 3, &v, &err), PRESTIGE_ECORRUPT, "int");
  static const uint8_t badutf[] = {'a', 0xc3};
  CHECK_ERR(ice_value_from_bytes(&st, badutf, 2, &v, &err), PRESTIGE_ECORRUPT, "UTF-8");
}

static void json_roundtrip(ice_type_t t, ice_value_t v, const char *want) {
  prestige_error_t err;
  json_t *j = ice_value_to_json(&t, &v);
  char *s = json_dumps(j, JSON_ENCODE_ANY | JSON_COMPACT);
  CHECK_EQ_STR(s, want);
  buf_t storage = BUF_INIT;
  ice_value_t back;
  CHECK_OK(ice_value_from_json(&t, j, &storage, &back, &err));
  CHECK_EQ_INT(ice_value_compare(&t, &v, &back), 0);
  buf_release(&storage);
  free(s);
  json_decref(j);
}

TEST(json_single_values) {
  /* Appendix D JSON single-value examples */
  json_roundtrip(T(ICE_BOOLEAN), ice_value_bool(true), "true");
  json_roundtrip(T(ICE_INT), ice_value_int(34), "34");
  json_roundtrip(T(ICE_LONG), ice_value_long(34), "34");
  json_roundtrip(T(ICE_DOUBLE), ice_value_double(1.0), "1.0");
  json_roundtrip(ice_type_prim(ICE_DECIMAL, 4, 2), ice_value_decimal(1420), "\"14.20\"");
  json_roundtrip(T(ICE_DATE), ice_value_int(17486), "\"2017-11-16\"");
  json_roundtrip(T(ICE_TIME), ice_value_long(81068123456LL), "\"22:31:08.123456\"");
  json_roundtrip(T(ICE_TIMESTAMP), ice_value_long(1510871468123456LL), "\"2017-11-16T22:31:08.123456\"");
  json_roundtrip(T(ICE_TIMESTAMPTZ), ice_value_long(1510871468123456LL), "\"2017-11-16T22:31:08.123456+00:00\"");
  json_roundtrip(T(ICE_TIMESTAMP_NS), ice_value_long(1510871468123456789LL), "\"2017-11-16T22:31:08.123456789\"");
  json_roundtrip(T(ICE_TIMESTAMPTZ_NS), ice_value_long(1510871468123456789LL), "\"2017-11-16T22:31:08.123456789+00:00\"");
  json_roundtrip(T(ICE_TIMESTAMP), ice_value_long(-1), "\"1969-12-31T23:59:59.999999\"");
  json_roundtrip(T(ICE_STRING), ice_value_bytes("iceberg", 7), "\"iceberg\"");
  ice_value_t u = {0};
  ice_uuid_parse("f79c3e09-677c-4bbd-a479-3f349cb785e7", u.v.uuid);
  json_roundtrip(T(ICE_UUID), u, "\"f79c3e09-677c-4bbd-a479-3f349cb785e7\"");
  static const uint8_t b4[] = {0, 1, 2, 0xff};
  json_roundtrip(ice_type_prim(ICE_FIXED, 4, 0), ice_value_bytes(b4, 4), "\"000102ff\"");
  json_roundtrip(T(ICE_BINARY), ice_value_bytes(b4, 4), "\"000102ff\"");
  /* readers accept other spellings Java accepts */
  prestige_error_t err;
  buf_t st = BUF_INIT;
  ice_value_t v;
  json_t *j = json_string("2017-11-16T22:31:08Z");
  ice_type_t tz = T(ICE_TIMESTAMPTZ), dec = ice_type_prim(ICE_DECIMAL, 4, 2), d0 = ice_type_prim(ICE_DECIMAL, 21, 0);
  CHECK_OK(ice_value_from_json(&tz, j, &st, &v, &err));
  CHECK_EQ_INT(v.v.i64, 1510871468000000LL);
  json_decref(j);
  j = json_string("2017-11-16T14:31:08-08:00");
  CHECK_ERR(ice_value_from_json(&tz, j, &st, &v, &err), PRESTIGE_ECORRUPT, "timestamptz");
  json_decref(j);
  j = json_string("14.2");
  CHECK_ERR(ice_value_from_json(&dec, j, &st, &v, &err), PRESTIGE_ECORRUPT, "decimal(4, 2)");
  json_decref(j);
  j = json_string("2E+20"); /* scale -20 does not match scale 0 */
  CHECK_ERR(ice_value_from_json(&d0, j, &st, &v, &err), PRESTIGE_ECORRUPT, "2E+20");
  json_decref(j);
  buf_release(&st);
}

static void check_upper(ice_type_t t, const char *in, size_t n, int width, const char *want, size_t want_len, bool has) {
  prestige_error_t err;
  buf_t st = BUF_INIT;
  ice_value_t v = ice_value_bytes(in, n), up;
  bool has_upper;
  CHECK_OK(ice_bound_upper(&t, &v, width, &st, &up, &has_upper, &err));
  CHECK_EQ_INT(has_upper, has);
  if (has && has_upper) CHECK_MSG(up.len == want_len && !memcmp(up.ptr, want, want_len), "upper bound of %.*s", (int)n, in);
  if (has_upper) CHECK(ice_value_compare(&t, &up, &v) >= 0);
  buf_release(&st);
}

TEST(bound_truncation) {
  ice_type_t st = T(ICE_STRING), bt = T(ICE_BINARY);
  const char *s = "iceberg-table-name-longer-than-16";
  ice_value_t v = ice_value_bytes(s, strlen(s));
  ice_value_t lo = ice_bound_lower(&st, &v, 16);
  CHECK(lo.len == 16 && !memcmp(lo.ptr, "iceberg-table-na", 16));
  check_upper(st, s, strlen(s), 16, "iceberg-table-nb", 16, true);
  check_upper(st, "short", 5, 16, "short", 5, true);
  /* multi-byte: the 2nd code point of "aé€😀" is é (U+00E9) -> ê (U+00EA) */
  const char *m = "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80";
  check_upper(st, m, strlen(m), 2, "a\xc3\xaa", 3, true);
  /* U+D7FF increments past the surrogates to U+E000 */
  check_upper(st, "\xed\x9f\xbfzz", 5, 1, "\xee\x80\x80", 3, true);
  /* U+10FFFF cannot be incremented: carry to the previous code point */
  check_upper(st, "a\xf4\x8f\xbf\xbf" "b", 6, 2, "b", 1, true);
  check_upper(st, "\xf4\x8f\xbf\xbf\xf4\x8f\xbf\xbf" "b", 9, 2, NULL, 0, false);
  static const uint8_t b1[] = {1, 2, 0xff, 4}, b2[] = {0xff, 0xff, 0xff};
  static const uint8_t want1[] = {1, 3};
  check_upper(bt, (const char *)b1, 4, 3, (const char *)want1, 2, true);
  check_upper(bt, (const char *)b2, 3, 2, NULL, 0, false);
  ice_value_t bl = ice_value_bytes(b1, 4);
  CHECK_EQ_INT(ice_bound_lower(&bt, &bl, 2).len, 2);
}

TEST(schema_json_and_lookup) {
  prestige_error_t err;
  ice_schema_t *s = NULL;
  const char *js =
      "{\"type\":\"struct\",\"schema-id\":3,\"identifier-field-ids\":[1],\"fields\":["
      "{\"id\":1,\"name\":\"id\",\"required\":true,\"type\":\"long\"},"
      "{\"id\":2,\"name\":\"points\",\"required\":false,\"type\":{\"type\":\"list\",\"element-id\":5,\"element\":"
      "{\"type\":\"struct\",\"fields\":[{\"id\":6,\"name\":\"x\",\"required\":true,\"type\":\"double\"}]},"
      "\"element-required\":true}},"
      "{\"id\":3,\"name\":\"attrs\",\"required\":false,\"type\":{\"type\":\"map\",\"key-id\":7,\"key\":\"string\","
      "\"value-id\":8,\"value\":\"decimal(9, 2)\",\"value-required\":false}},"
      "{\"id\":4,\"name\":\"loc\",\"required\":false,\"doc\":\"where\",\"type\":{\"type\":\"struct\",\"fields\":["
      "{\"id\":9,\"name\":\"lat\",\"required\":false,\"type\":\"Fixed[ 16 ]\",\"initial-default\":\"000102030405060708090a0b0c0d0e0f\"}]}}]}";
  CHECK_OK(ice_schema_from_json_text(js, &s, &err));
  if (!s) return;
  CHECK_EQ_INT(s->schema_id, 3);
  CHECK_EQ_INT(ice_schema_highest_field_id(s), 9);
  CHECK_EQ_STR(ice_schema_field_name(s, 6), "points.element.x");
  CHECK_EQ_STR(ice_schema_field_name(s, 8), "attrs.value");
  CHECK(ice_schema_find_name(s, "points.x") == ice_schema_find_id(s, 6)); /* Java's short name */
  CHECK(ice_schema_find_name(s, "loc.lat") == ice_schema_find_id(s, 9));
  CHECK(ice_schema_find_name(s, "attrs.key") == ice_schema_find_id(s, 7));
  CHECK(ice_schema_find_name(s, "nope") == NULL);
  CHECK(!ice_schema_id_outside_collections(s, 6));
  CHECK(ice_schema_id_outside_collections(s, 9));
  CHECK_EQ_INT(ice_schema_find_id(s, 9)->type->length, 16);
  /* written as Java writes it, then read back equal */
  json_t *j = ice_schema_to_json(s);
  char *text = json_dumps(j, JSON_COMPACT);
  CHECK(strstr(text, "\"value\":\"decimal(9, 2)\"") != NULL);
  CHECK(strstr(text, "\"type\":\"fixed[16]\"") != NULL);
  ice_schema_t *back = NULL;
  CHECK_OK(ice_schema_from_json_text(text, &back, &err));
  CHECK(back && ice_schema_same(s, back));
  ice_schema_free(back);
  free(text);
  json_decref(j);
  /* fresh ids in Java's order: top-level fields 1-4, then points' element 5 and its x 6,
   * then attrs' key 7 / value 8, then loc.lat 9 */
  ice_schema_t *fresh = NULL;
  int32_t last = 0;
  CHECK_OK(ice_schema_assign_fresh_ids(s, 0, &last, &fresh, &err));
  CHECK_EQ_INT(last, 9);
  if (fresh) {
    CHECK_EQ_INT(ice_schema_find_name(fresh, "loc")->id, 4);
    CHECK_EQ_INT(ice_schema_find_name(fresh, "points.element")->id, 5);
    CHECK_EQ_INT(ice_schema_find_name(fresh, "points.element.x")->id, 6);
    CHECK_EQ_INT(ice_schema_find_name(fresh, "attrs.key")->id, 7);
    CHECK_EQ_INT(ice_schema_find_name(fresh, "loc.lat")->id, 9);
    CHECK_EQ_INT(fresh->identifier_ids[0], 1);
    ice_schema_free(fresh);
  }
  last = 100;
  CHECK_OK(ice_schema_assign_fresh_ids(s, 1, &last, &fresh, &err));
  CHECK_EQ_INT(last, 109);
  if (fresh) {
    CHECK_EQ_INT(fresh->identifier_ids[0], 101);
    ice_schema_free(fresh);
  }
  ice_schema_free(s);

  /* bad schemas */
  CHECK_ERR(ice_schema_from_json_text("{\"type\":\"struct\",\"schema-id\":0,\"fields\":[{\"id\":1,\"name\":\"v\","
                                      "\"required\":false,\"type\":\"variant\"}]}", &s, &err),
            PRESTIGE_EUNSUPPORTED, "column \"v\"");
  CHECK_ERR(ice_schema_from_json_text("{\"type\":\"struct\",\"schema-id\":0,\"fields\":[{\"id\":1,\"name\":\"g\","
                                      "\"required\":false,\"type\":\"geometry(srid:4326)\"}]}", &s, &err),
            PRESTIGE_EUNSUPPORTED, "geometry");
  CHECK_ERR(ice_schema_from_json_text("{\"type\":\"struct\",\"schema-id\":0,\"fields\":[{\"id\":1,\"name\":\"a\","
                                      "\"required\":true,\"type\":\"int\"},{\"id\":1,\"name\":\"b\",\"required\":true,"
                                      "\"type\":\"int\"}]}", &s, &err),
            PRESTIGE_ECORRUPT, "field id 1");
  CHECK_ERR(ice_schema_from_json_text("{\"type\":\"struct\",\"schema-id\":0,\"fields\":[{\"id\":1,\"name\":\"a\","
                                      "\"type\":\"int\"}]}", &s, &err),
            PRESTIGE_ECORRUPT, "\"required\"");
  CHECK_ERR(ice_schema_from_json_text("{\"type\":\"struct\",\"schema-id\":0,\"fields\":[{\"id\":1,\"name\":\"a\","
                                      "\"required\":true,\"type\":\"decimal(39,2)\"}]}", &s, &err),
            PRESTIGE_ECORRUPT, "precision");
  CHECK_ERR(ice_schema_from_json_text("{\"type\":\"struct\",\"schema-id\":0,\"fields\":[{\"id\":1,\"name\":\"a\","
                                      "\"required\":true,\"type\":\"int\",\"initial-default\":\"x\"}]}", &s, &err),
            PRESTIGE_ECORRUPT, "initial-default");
  CHECK_ERR(ice_schema_from_json_text("{\"type\":\"struct\",\"schema-id\":0,\"identifier-field-ids\":[1],\"fields\":["
                                      "{\"id\":1,\"name\":\"a\",\"required\":false,\"type\":\"int\"}]}", &s, &err),
            PRESTIGE_ECORRUPT, "must be required");
}

TEST_MAIN(RUN(spec_murmur3_examples); RUN(bucket_transform); RUN(truncate_transform); RUN(time_transforms_negative);
          RUN(human_strings); RUN(binary_single_values); RUN(json_single_values); RUN(bound_truncation);
          RUN(schema_json_and_lookup);)
