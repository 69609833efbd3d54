/* Avro object container codec: schemas, every type round-tripped through every codec, schema
 * resolution, corrupt/truncated/hostile files. With arguments it is the interop tool that
 * tests/avro/it_avro_interop.sh drives (see usage()). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>
#include <snappy-c.h>

#include "avro/avro.h"
#include "avro_util.h"
#include "core/buf.h"
#include "prestige/core.h"
#include "test.h"

/* Every type, Iceberg attributes on the way. Compact on purpose: to_json must give it back. */
static const char *ALL_TYPES =
    "{\"type\":\"record\",\"name\":\"All\",\"namespace\":\"t\",\"doc\":\"every type\",\"fields\":["
    "{\"name\":\"n\",\"type\":\"null\"},"
    "{\"name\":\"b\",\"type\":\"boolean\",\"field-id\":1},"
    "{\"name\":\"i\",\"type\":\"int\",\"field-id\":2,\"doc\":\"an int\"},"
    "{\"name\":\"l\",\"type\":\"long\",\"field-id\":3,\"default\":-7},"
    "{\"name\":\"f\",\"type\":\"float\",\"field-id\":4},"
    "{\"name\":\"d\",\"type\":\"double\",\"field-id\":5},"
    "{\"name\":\"by\",\"type\":\"bytes\",\"field-id\":6},"
    "{\"name\":\"s\",\"type\":\"string\",\"field-id\":7},"
    "{\"name\":\"e\",\"type\":{\"type\":\"enum\",\"name\":\"Color\",\"symbols\":[\"RED\",\"GREEN\",\"BLUE\"]},\"field-id\":8},"
    "{\"name\":\"fx\",\"type\":{\"type\":\"fixed\",\"name\":\"F4\",\"size\":4},\"field-id\":9},"
    "{\"name\":\"arr\",\"type\":{\"type\":\"array\",\"items\":\"long\",\"element-id\":11},\"field-id\":10},"
    "{\"name\":\"m\",\"type\":{\"type\":\"map\",\"values\":\"string\",\"key-id\":13,\"value-id\":14},\"field-id\":12},"
    "{\"name\":\"u\",\"type\":[\"null\",\"string\",\"long\",\"Color\",\"double\"],\"default\":null,\"field-id\":15},"
    "{\"name\":\"opt\",\"type\":[\"null\",{\"type\":\"record\",\"name\":\"Inner\",\"fields\":[{\"name\":\"x\",\"type\":\"int\",\"field-id\":17},"
    "{\"name\":\"tags\",\"type\":{\"type\":\"array\",\"items\":\"string\",\"element-id\":19},\"field-id\":18}]}],\"default\":null,\"field-id\":16},"
    "{\"name\":\"dec_b\",\"type\":{\"type\":\"bytes\",\"logicalType\":\"decimal\",\"precision\":10,\"scale\":2},\"field-id\":20},"
    "{\"name\":\"dec_f\",\"type\":{\"type\":\"fixed\",\"name\":\"D16\",\"size\":16,\"logicalType\":\"decimal\",\"precision\":38,\"scale\":5},\"field-id\":21},"
    "{\"name\":\"date\",\"type\":{\"type\":\"int\",\"logicalType\":\"date\"},\"field-id\":22},"
    "{\"name\":\"ts\",\"type\":{\"type\":\"long\",\"logicalType\":\"timestamp-micros\",\"adjust-to-utc\":true},\"field-id\":23},"
    "{\"name\":\"tm\",\"type\":{\"type\":\"long\",\"logicalType\":\"time-micros\"},\"field-id\":24},"
    "{\"name\":\"uuid\",\"type\":{\"type\":\"fixed\",\"name\":\"U\",\"size\":16,\"logicalType\":\"uuid\"},\"field-id\":25},"
    "{\"name\":\"kv\",\"type\":{\"type\":\"array\",\"items\":{\"type\":\"record\",\"name\":\"k_v\",\"fields\":["
    "{\"name\":\"key\",\"type\":\"int\",\"field-id\":27},{\"name\":\"value\",\"type\":[\"null\",\"bytes\"],\"field-id\":28}]},"
    "\"logicalType\":\"map\"},\"field-id\":26},"
    "{\"name\":\"nested\",\"type\":{\"type\":\"array\",\"items\":{\"type\":\"array\",\"items\":\"Inner\"}},\"field-id\":29},"
    "{\"name\":\"mm\",\"type\":{\"type\":\"map\",\"values\":{\"type\":\"map\",\"values\":[\"null\",\"t.k_v\"]}}},"
    "{\"name\":\"zero\",\"type\":{\"type\":\"fixed\",\"name\":\"Z0\",\"size\":0}}"
    "]}";

static avro_schema_t *parse_or_die(const char *json) {
  prestige_error_t err;
  avro_schema_t *s = NULL;
  if (avro_schema_parse(&s, json, strlen(json), &err)) {
    fprintf(stderr, "schema parse failed: %s\n", err.message);
    exit(2);
  }
  return s;
}

/* ---------------------------------------------------------------------------------------------
 * Schemas
 * ------------------------------------------------------------------------------------------- */

TEST(schema_model) {
  avro_schema_t *s = parse_or_die(ALL_TYPES);
  const avro_node_t *r = avro_schema_root(s);
  CHECK_EQ_INT(r->type, AVRO_RECORD);
  CHECK_EQ_STR(r->name, "t.All");
  CHECK_EQ_INT(r->n_fields, 24);
  CHECK_EQ_INT(avro_field_index(r, "ts"), 17);
  CHECK_EQ_INT(avro_field_index_by_id(r, 23), 17);
  CHECK_EQ_INT(avro_field_index_by_id(r, 999), -1);
  CHECK_EQ_INT(avro_field_index(r, "nope"), -1);
  CHECK_EQ_INT(r->fields[0].field_id, AVRO_NO_ID);
  CHECK_EQ_INT(r->fields[3].field_id, 3);
  CHECK(json_integer_value(r->fields[3].default_value) == -7);
  CHECK_EQ_STR(json_string_value(avro_field_attr(&r->fields[2], "doc")), "an int");
  const avro_node_t *arr = r->fields[10].type, *m = r->fields[11].type;
  CHECK_EQ_INT(arr->element_id, 11);
  CHECK_EQ_INT(m->key_id, 13);
  CHECK_EQ_INT(m->value_id, 14);
  const avro_node_t *u = r->fields[12].type;
  CHECK_EQ_INT(u->type, AVRO_UNION);
  CHECK_EQ_INT(u->null_branch, 0);
  CHECK_EQ_INT(u->some_branch, 1);
  CHECK(u->branches[3] == avro_schema_named(s, "t.Color")); /* a reference is the definition */
  const avro_node_t *inner = avro_node_nonnull(r->fields[13].type);
  CHECK_EQ_STR(inner->name, "t.Inner");
  CHECK_EQ_INT(inner->fields[1].type->element_id, 19);
  CHECK_EQ_INT(r->fields[14].type->logical, AVRO_LOGICAL_DECIMAL);
  CHECK_EQ_INT(r->fields[14].type->precision, 10);
  CHECK_EQ_INT(r->fields[14].type->scale, 2);
  CHECK_EQ_INT(r->fields[15].type->logical, AVRO_LOGICAL_DECIMAL);
  CHECK_EQ_INT(r->fields[15].type->size, 16);
  CHECK_EQ_INT(r->fields[16].type->logical, AVRO_LOGICAL_DATE);
  CHECK_EQ_INT(r->fields[17].type->logical, AVRO_LOGICAL_TIMESTAMP_MICROS);
  CHECK(json_is_true(avro_node_attr(r->fields[17].type, "adjust-to-utc")));
  CHECK_EQ_INT(r->fields[18].type->logical, AVRO_LOGICAL_TIME_MICROS);
  CHECK_EQ_INT(r->fields[19].type->logical, AVRO_LOGICAL_UUID);
  CHECK_EQ_INT(r->fields[20].type->logical, AVRO_LOGICAL_MAP);
  CHECK_EQ_INT(r->fields[20].type->items->fields[0].field_id, 27);
  CHECK_EQ_INT(r->fields[20].type->items->fields[1].field_id, 28);
  CHECK(r->fields[21].type->items->items == inner);
  CHECK(avro_node_nonnull(r->fields[22].type->values->values)->name != NULL);
  CHECK_EQ_INT(r->fields[23].type->size, 0);
  /* the least bytes a record takes: 4 (fx) + 4 (f) + 8 (d) + 16 + 16 + 1 per other field */
  CHECK_EQ_INT(r->min_bytes, 1 + 1 + 1 + 4 + 8 + 1 + 1 + 1 + 4 + 1 + 1 + 1 + 1 + 1 + 16 + 1 + 1 + 1 + 16 + 1 + 1 + 1);

  /* serialised back: byte for byte, attribute order kept */
  size_t len;
  char *j = avro_schema_to_json(s, &len);
  CHECK_EQ_STR(j, ALL_TYPES);
  CHECK_EQ_INT(len, strlen(ALL_TYPES));
  free(j);
  CHECK_EQ_STR(avro_schema_text(s, NULL), ALL_TYPES);
  avro_schema_free(s);

  /* a primitive alone, and a schema built from a jansson value */
  avro_schema_t *p = parse_or_die("\"long\"");
  CHECK_EQ_INT(avro_schema_root(p)->type, AVRO_LONG);
  avro_schema_free(p);
  prestige_error_t err;
  json_t *jv = json_pack("{s:s,s:s,s:[{s:s,s:s,s:i}]}", "type", "record", "name", "r", "fields", "name", "a", "type",
                         "int", "field-id", 5);
  avro_schema_t *fj;
  CHECK_OK(avro_schema_from_json(&fj, jv, &err));
  json_decref(jv);
  CHECK_EQ_STR(avro_schema_text(fj, NULL), "{\"type\":\"record\",\"name\":\"r\",\"fields\":[{\"name\":\"a\",\"type\":\"int\",\"field-id\":5}]}");
  CHECK_EQ_INT(avro_schema_root(fj)->fields[0].field_id, 5);
  avro_schema_free(fj);
}

TEST(schema_logical_edge_cases) {
  /* logical types on the wrong type, or with bad parameters, are ignored (spec) */
  const char *cases[][2] = {
      {"{\"type\":\"string\",\"logicalType\":\"date\"}", "0"},
      {"{\"type\":\"bytes\",\"logicalType\":\"decimal\",\"precision\":0}", "0"},
      {"{\"type\":\"bytes\",\"logicalType\":\"decimal\",\"precision\":4,\"scale\":5}", "0"},
      {"{\"type\":\"fixed\",\"name\":\"x\",\"size\":2,\"logicalType\":\"decimal\",\"precision\":5}", "0"},
      {"{\"type\":\"fixed\",\"name\":\"x\",\"size\":2,\"logicalType\":\"decimal\",\"precision\":4}", "1"},
      {"{\"type\":\"long\",\"logicalType\":\"timestamp-nanos\"}", "1"},
      {"{\"type\":\"int\",\"logicalType\":\"something-new\"}", "x"},
      {"{\"type\":\"array\",\"items\":\"int\",\"logicalType\":\"map\"}", "0"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    avro_schema_t *s = parse_or_die(cases[i][0]);
    avro_logical_t l = avro_schema_root(s)->logical;
    if (cases[i][1][0] == '0') CHECK_MSG(l == AVRO_LOGICAL_NONE, "%s -> %d", cases[i][0], l);
    if (cases[i][1][0] == '1') CHECK_MSG(l != AVRO_LOGICAL_NONE && l != AVRO_LOGICAL_OTHER, "%s -> %d", cases[i][0], l);
    if (cases[i][1][0] == 'x') CHECK_EQ_INT(l, AVRO_LOGICAL_OTHER);
    avro_schema_free(s);
  }
}

TEST(schema_errors) {
  struct {
    const char *json, *msg;
  } bad[] = {
      {"{\"type\":\"record\",\"name\":\"r\",\"fields\":[{\"name\":\"a\",\"type\":\"nope\"}]}", "field 'a': unknown type 'nope'"},
      {"{\"type\":\"record\",\"name\":\"r\",\"fields\":[{\"name\":\"a\",\"type\":\"int\"},{\"name\":\"a\",\"type\":\"int\"}]}",
       "duplicate field name 'a'"},
      {"[\"null\",[\"int\"]]", "a union directly inside a union"},
      {"[\"int\",\"int\"]", "two branches of type int"},
      {"[]", "empty union"},
      {"{\"type\":\"fixed\",\"name\":\"f\"}", "needs a \"size\""},
      {"{\"type\":\"fixed\",\"name\":\"f\",\"size\":-1}", "needs a \"size\""},
      {"{\"type\":\"enum\",\"name\":\"e\",\"symbols\":[\"A\"],\"default\":\"B\"}", "not one of its symbols"},
      {"{\"type\":\"enum\",\"name\":\"e\",\"symbols\":[\"A\",\"A\"]}", "appears twice"},
      {"{\"type\":\"record\",\"name\":\"r\"}", "no \"fields\" array"},
      {"{\"type\":\"record\",\"fields\":[]}", "has no \"name\""},
      {"{\"type\":\"array\"}", "no \"items\""},
      {"{\"type\":\"map\"}", "no \"values\""},
      {"{\"type\":\"record\",\"name\":\"r\",\"fields\":[{\"name\":\"a\"}]}", "field 'a' has no \"type\""},
      {"[{\"type\":\"record\",\"name\":\"r\",\"fields\":[]},{\"type\":\"record\",\"name\":\"r\",\"fields\":[]}]",
       "type 'r' is defined twice"},
      {"{\"type\":\"record\",\"name\":\"r\",\"fields\":[", "invalid JSON"},
      {"42", "a type name, an object or a union array"},
      {"{\"type\":\"record\",\"name\":\"r\",\"fields\":[],\"fields\":[]}", "invalid JSON"},
  };
  prestige_error_t err;
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    avro_schema_t *s = NULL;
    CHECK_ERR(avro_schema_parse(&s, bad[i].json, strlen(bad[i].json), &err), PRESTIGE_EINVAL, bad[i].msg);
    CHECK(s == NULL);
  }
  /* nesting: 200 arrays deep */
  char deep[8192] = "";
  for (int i = 0; i < 200; i++) strcat(deep, "{\"type\":\"array\",\"items\":");
  strcat(deep, "\"int\"");
  for (int i = 0; i < 200; i++) strcat(deep, "}");
  avro_schema_t *s = NULL;
  CHECK_ERR(avro_schema_parse(&s, deep, strlen(deep), &err), PRESTIGE_EINVAL, "nesting deeper than");
  /* a NULL err is fine */
  CHECK(avro_schema_parse(&s, "[]", 2, NULL) == PRESTIGE_EINVAL);
}

TEST(schema_names_and_recursion) {
  const char *json =
      "{\"type\":\"record\",\"name\":\"a.b.Node\",\"fields\":["
      "{\"name\":\"v\",\"type\":\"int\"},"
      "{\"name\":\"next\",\"type\":[\"null\",\"Node\"]},"
      "{\"name\":\"kids\",\"type\":{\"type\":\"array\",\"items\":\"a.b.Node\"}},"
      "{\"name\":\"other\",\"type\":{\"type\":\"record\",\"name\":\"Other\",\"namespace\":\"x\",\"fields\":["
      "{\"name\":\"self\",\"type\":[\"null\",\"Other\"]},{\"name\":\"up\",\"type\":[\"null\",\"a.b.Node\"]}]}}]}";
  avro_schema_t *s = parse_or_die(json);
  const avro_node_t *r = avro_schema_root(s);
  CHECK(avro_schema_named(s, "a.b.Node") == r);
  CHECK(avro_schema_named(s, "x.Other") != NULL);
  CHECK(r->fields[1].type->branches[1] == r);
  CHECK(r->fields[2].type->items == r);
  CHECK_EQ_INT(r->min_bytes, 1 + 1 + 1 + 2);

  /* a 3-level list and a tree round-trip */
  arena_t a = ARENA_INIT;
  avro_datum_t rec;
  avro_datum_record(&a, &rec, r);
  avro_datum_t *cur = &rec;
  for (int lvl = 0; lvl < 3; lvl++) {
    cur->v.items[0].v.i32 = lvl;
    avro_datum_array(&a, &cur->v.items[2], 0, NULL);
    avro_datum_t *other = &cur->v.items[3];
    avro_datum_record(&a, other, avro_schema_named(s, "x.Other"));
    if (lvl < 2) {
      avro_datum_t *next = avro_set_some(&cur->v.items[1], r->fields[1].type);
      avro_datum_record(&a, next, r);
      cur = next;
    }
  }
  prestige_error_t err;
  uint8_t *data;
  size_t len;
  CHECK_OK(tu_write(s, &rec, 1, NULL, &data, &len, &err));
  avro_reader_t *rd;
  const avro_datum_t **recs;
  size_t n;
  CHECK_OK(tu_read_all(data, len, NULL, &rd, &recs, &n, &err));
  CHECK_EQ_INT(n, 1);
  if (n == 1) {
    CHECK(tu_equal(r, &rec, recs[0], 0));
    CHECK_EQ_INT(recs[0]->v.items[1].v.items[1].branch, 1);
    CHECK_EQ_INT(recs[0]->v.items[1].v.items[1].v.items[0].v.i32, 2);
  }
  free(recs);
  avro_reader_close(rd);
  free(data);
  arena_release(&a);
  avro_schema_free(s);
}

/* ---------------------------------------------------------------------------------------------
 * Round trips
 * ------------------------------------------------------------------------------------------- */

static void roundtrip_random(const char *json, avro_codec_t codec, uint32_t block_records, size_t n, uint64_t seed) {
  avro_schema_t *s = parse_or_die(json);
  const avro_node_t *root = avro_schema_root(s);
  arena_t a = ARENA_INIT;
  tu_seed(seed);
  avro_datum_t *recs = calloc(n, sizeof(*recs));
  for (size_t i = 0; i < n; i++) tu_gen(&a, root, &recs[i], 0);
  avro_meta_t meta[] = {{"schema", "{\"type\":\"struct\"}", 17}, {"format-version", "2", 1}, {"empty", "", 0}};
  avro_writer_options_t o = AVRO_WRITER_OPTIONS_INIT;
  o.codec = codec;
  o.block_records = block_records;
  o.meta = meta;
  o.n_meta = 3;
  prestige_error_t err;
  uint8_t *data = NULL;
  size_t len = 0;
  CHECK_OK(tu_write(s, recs, n, &o, &data, &len, &err));

  /* record by record (retained), compared value by value */
  avro_reader_t *r;
  const avro_datum_t **got;
  size_t m;
  CHECK_OK(tu_read_all(data, len, NULL, &r, &got, &m, &err));
  CHECK_MSG(m == n, "codec %s: %zu records back of %zu", avro_codec_name(codec), m, n);
  size_t bad = 0;
  for (size_t i = 0; i < m && i < n; i++) bad += !tu_equal(root, &recs[i], got[i], 0);
  CHECK_MSG(bad == 0, "codec %s: %zu records differ", avro_codec_name(codec), bad);
  CHECK_EQ_INT(avro_reader_codec(r), codec);
  CHECK_EQ_INT(avro_reader_records(r), n);
  size_t vl;
  const uint8_t *v = avro_reader_meta(r, "avro.schema", &vl);
  CHECK(v && vl == strlen(json) && memcmp(v, json, vl) == 0);
  CHECK_EQ_STR((const char *)avro_reader_meta(r, "avro.codec", NULL), avro_codec_name(codec));
  CHECK_EQ_STR((const char *)avro_reader_meta(r, "format-version", NULL), "2");
  CHECK_EQ_STR((const char *)avro_reader_meta(r, "schema", NULL), "{\"type\":\"struct\"}");
  CHECK(avro_reader_meta(r, "empty", &vl) != NULL && vl == 0);
  CHECK(avro_reader_meta(r, "missing", NULL) == NULL);
  CHECK_EQ_INT(avro_reader_meta_count(r), 5);
  free(got);
  avro_reader_close(r);

  /* block by block, without retain */
  CHECK_OK(avro_reader_open_memory(&r, data, len, "blocks.avro", NULL, &err));
  size_t seen = 0, blocks = 0;
  bad = 0;
  for (;;) {
    const avro_datum_t *b;
    size_t k;
    int rc = avro_reader_next_block(r, &b, &k, &err);
    CHECK_OK(rc);
    if (rc || k == 0) break;
    blocks++;
    for (size_t i = 0; i < k && seen + i < n; i++) bad += !tu_equal(root, &recs[seen + i], &b[i], 0);
    seen += k;
  }
  CHECK_EQ_INT(seen, n);
  CHECK_EQ_INT(bad, 0);
  if (block_records) CHECK_EQ_INT(blocks, (n + block_records - 1) / block_records);
  avro_reader_close(r);
  free(data);
  free(recs);
  arena_release(&a);
  avro_schema_free(s);
}

TEST(roundtrip_every_type_every_codec) {
  for (int c = AVRO_CODEC_NULL; c <= AVRO_CODEC_ZSTANDARD; c++) {
    roundtrip_random(ALL_TYPES, (avro_codec_t)c, 0, 400, 100 + (uint64_t)c);  /* one or two blocks */
    roundtrip_random(ALL_TYPES, (avro_codec_t)c, 7, 400, 200 + (uint64_t)c);  /* 58 blocks */
  }
  roundtrip_random("\"string\"", AVRO_CODEC_DEFLATE, 1, 50, 3); /* a non-record root, a block per value */
  roundtrip_random("[\"null\",\"double\"]", AVRO_CODEC_NULL, 0, 50, 4);
}

TEST(roundtrip_extremes) {
  avro_schema_t *s = parse_or_die(
      "{\"type\":\"record\",\"name\":\"x\",\"fields\":[{\"name\":\"i\",\"type\":{\"type\":\"array\",\"items\":\"int\"}},"
      "{\"name\":\"l\",\"type\":{\"type\":\"array\",\"items\":\"long\"}},{\"name\":\"f\",\"type\":{\"type\":\"array\",\"items\":\"float\"}},"
      "{\"name\":\"d\",\"type\":{\"type\":\"array\",\"items\":\"double\"}},{\"name\":\"s\",\"type\":\"string\"},"
      "{\"name\":\"b\",\"type\":\"bytes\"},{\"name\":\"m\",\"type\":{\"type\":\"map\",\"values\":\"int\"}}]}");
  const avro_node_t *root = avro_schema_root(s);
  arena_t a = ARENA_INIT;
  avro_datum_t rec, *it;
  avro_datum_record(&a, &rec, root);
  int32_t ints[] = {0, -1, 1, INT32_MIN, INT32_MAX, -64, 64};
  avro_datum_array(&a, &rec.v.items[0], 7, &it);
  for (int i = 0; i < 7; i++) it[i].v.i32 = ints[i];
  int64_t longs[] = {0, -1, 1, INT64_MIN, INT64_MAX, INT64_MIN + 1, INT64_MAX - 1, (int64_t)1 << 62};
  avro_datum_array(&a, &rec.v.items[1], 8, &it);
  for (int i = 0; i < 8; i++) it[i].v.i64 = longs[i];
  float floats[] = {NAN, INFINITY, -INFINITY, -0.0f, 1.17549435e-38f, 1.4e-45f};
  avro_datum_array(&a, &rec.v.items[2], 6, &it);
  for (int i = 0; i < 6; i++) it[i].v.f32 = floats[i];
  double doubles[] = {NAN, -NAN, INFINITY, -INFINITY, -0.0, 4.9e-324, 1.7976931348623157e308};
  avro_datum_array(&a, &rec.v.items[3], 7, &it);
  for (int i = 0; i < 7; i++) it[i].v.f64 = doubles[i];
  avro_set_string(&rec.v.items[4], "");
  avro_set_bytes(&rec.v.items[5], NULL, 0);
  avro_datum_map(&a, &rec.v.items[6], 0, NULL);
  prestige_error_t err;
  uint8_t *data;
  size_t len;
  CHECK_OK(tu_write(s, &rec, 1, NULL, &data, &len, &err));
  avro_reader_t *r;
  const avro_datum_t **got;
  size_t n;
  CHECK_OK(tu_read_all(data, len, NULL, &r, &got, &n, &err));
  CHECK_EQ_INT(n, 1);
  if (n == 1) {
    const avro_datum_t *g = got[0];
    CHECK(tu_equal(root, &rec, g, 0));
    CHECK_EQ_INT(g->v.items[0].v.items[3].v.i32, INT32_MIN);
    CHECK(g->v.items[1].v.items[3].v.i64 == INT64_MIN);
    CHECK(g->v.items[1].v.items[4].v.i64 == INT64_MAX);
    CHECK(isnan(g->v.items[2].v.items[0].v.f32));
    CHECK(signbit(g->v.items[2].v.items[3].v.f32));
    CHECK(isinf(g->v.items[3].v.items[3].v.f64) && g->v.items[3].v.items[3].v.f64 < 0);
    CHECK_EQ_INT(g->v.items[4].len, 0);
    CHECK_EQ_INT(g->v.items[5].len, 0);
    CHECK_EQ_INT(g->v.items[6].len, 0);
  }
  /* the encoding itself: INT64_MIN zigzags to 2^64-1, ten bytes 0xff..0x01 */
  static const uint8_t min_long[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
  CHECK(memmem(data, len, min_long, sizeof min_long) != NULL);
  free(got);
  avro_reader_close(r);
  free(data);
  arena_release(&a);
  avro_schema_free(s);
}

/* The schema text is what we were given, whitespace and all, and the sync marker is ours. */
TEST(header_exact) {
  const char *pretty = "{ \"type\": \"record\",\n  \"name\": \"r\",\n  \"fields\": [ {\"name\": \"a\", \"type\": \"int\", "
                       "\"field-id\": 1, \"default\": 0.10} ] }";
  avro_schema_t *s = parse_or_die(pretty);
  static const uint8_t sync[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
  avro_writer_options_t o = AVRO_WRITER_OPTIONS_INIT;
  o.sync = sync;
  prestige_error_t err;
  uint8_t *data;
  size_t len;
  CHECK_OK(tu_write(s, NULL, 0, &o, &data, &len, &err));
  /* magic, 2 entries, "avro.schema" <text>, "avro.codec" "null", 0, sync */
  buf_t want = BUF_INIT;
  buf_append(&want, "Obj\x01", 4);
  buf_append_uvarint(&want, zigzag_encode64(2));
  buf_append_uvarint(&want, zigzag_encode64(11));
  buf_append(&want, "avro.schema", 11);
  buf_append_uvarint(&want, zigzag_encode64((int64_t)strlen(pretty)));
  buf_append(&want, pretty, strlen(pretty));
  buf_append_uvarint(&want, zigzag_encode64(10));
  buf_append(&want, "avro.codec", 10);
  buf_append_uvarint(&want, zigzag_encode64(4));
  buf_append(&want, "null", 4);
  buf_append_u8(&want, 0);
  buf_append(&want, sync, 16);
  CHECK_EQ_INT(len, want.len);
  CHECK(len == want.len && memcmp(data, want.data, len) == 0);
  buf_release(&want);
  free(data);
  /* two random markers differ */
  uint8_t *d1, *d2;
  size_t l1, l2;
  CHECK_OK(tu_write(s, NULL, 0, NULL, &d1, &l1, &err));
  CHECK_OK(tu_write(s, NULL, 0, NULL, &d2, &l2, &err));
  CHECK(l1 == l2 && memcmp(d1 + l1 - 16, d2 + l2 - 16, 16) != 0);
  /* an empty file reads as no records */
  avro_reader_t *r;
  CHECK_OK(avro_reader_open_memory(&r, d1, l1, "empty.avro", NULL, &err));
  const avro_datum_t *rec = (const avro_datum_t *)1;
  CHECK_OK(avro_reader_next(r, &rec, &err));
  CHECK(rec == NULL);
  avro_reader_close(r);
  free(d1);
  free(d2);
  avro_schema_free(s);
}

/* Through a file and prestige_input_t: blocks straddle the 1 MiB read-ahead window. */
TEST(file_input_many_blocks) {
  avro_schema_t *s = parse_or_die("{\"type\":\"record\",\"name\":\"r\",\"fields\":[{\"name\":\"i\",\"type\":\"long\"},"
                                  "{\"name\":\"s\",\"type\":\"string\"}]}");
  const avro_node_t *root = avro_schema_root(s);
  char path[512];
  snprintf(path, sizeof path, "%s/many.avro", test_tmpdir());
  prestige_error_t err;
  prestige_output_t out;
  CHECK_OK(prestige_output_open_file(&out, path, &err));
  avro_writer_options_t o = AVRO_WRITER_OPTIONS_INIT;
  o.block_bytes = 100000;
  avro_writer_t *w;
  CHECK_OK(avro_writer_open(&w, s, out, &o, &err));
  char text[1400];
  for (size_t i = 0; i < sizeof text; i++) text[i] = (char)('a' + i % 26);
  arena_t a = ARENA_INIT;
  const size_t n = 6000; /* ~4.2 MB */
  for (size_t i = 0; i < n; i++) {
    avro_datum_t rec;
    avro_datum_record(&a, &rec, root);
    rec.v.items[0].v.i64 = (int64_t)(i * 7919);
    avro_set_bytes(&rec.v.items[1], text, (i * 13) % sizeof text);
    CHECK_OK(avro_writer_append(w, &rec, &err));
    if (i % 500 == 0) arena_release(&a);
  }
  arena_release(&a);
  uint64_t size = 0;
  CHECK_OK(avro_writer_close(w, &size, &err));
  CHECK(size > 4000000);
  prestige_input_t in;
  CHECK_OK(prestige_input_open_file(&in, path, &err));
  avro_reader_t *r;
  CHECK_OK(avro_reader_open(&r, in, NULL, &err));
  size_t i = 0, bad = 0;
  for (;;) {
    const avro_datum_t *rec;
    int rc = avro_reader_next(r, &rec, &err);
    CHECK_OK(rc);
    if (rc || !rec) break;
    bad += rec->v.items[0].v.i64 != (int64_t)(i * 7919) || rec->v.items[1].len != (i * 13) % sizeof text ||
           memcmp(rec->v.items[1].v.bytes, text, rec->v.items[1].len) != 0;
    i++;
  }
  CHECK_EQ_INT(i, n);
  CHECK_EQ_INT(bad, 0);
  avro_reader_close(r);
  avro_schema_free(s);
}

/* ---------------------------------------------------------------------------------------------
 * Resolution
 * ------------------------------------------------------------------------------------------- */

/* Writes one record given as canonical JSON with writer schema w, reads it with reader
 * schema rd and returns the canonical JSON of what came back (or NULL and err). */
static char *resolve_one(const char *w, const char *rd, const char *value_cjson, prestige_error_t *err) {
  avro_schema_t *ws = parse_or_die(w), *rs = parse_or_die(rd);
  arena_t a = ARENA_INIT;
  avro_datum_t rec;
  json_t *jv = json_loads(value_cjson, JSON_DECODE_ANY, NULL);
  char *result = NULL;
  uint8_t *data = NULL;
  size_t len;
  if (!jv || tu_from_cjson(&a, avro_schema_root(ws), jv, &rec)) {
    fprintf(stderr, "bad test value %s\n", value_cjson);
    goto done;
  }
  if (tu_write(ws, &rec, 1, NULL, &data, &len, err)) goto done;
  avro_reader_options_t o = AVRO_READER_OPTIONS_INIT;
  o.reader_schema = rs;
  avro_reader_t *r;
  if (avro_reader_open_memory(&r, data, len, "resolve.avro", &o, err) == 0) {
    const avro_datum_t *got;
    if (avro_reader_next(r, &got, err) == 0 && got) {
      json_t *j = tu_to_cjson(avro_reader_root(r), got);
      result = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY | JSON_SORT_KEYS);
      json_decref(j);
    }
    avro_reader_close(r);
  }
done:
  json_decref(jv);
  free(data);
  arena_release(&a);
  avro_schema_free(ws);
  avro_schema_free(rs);
  return result;
}

#define RESOLVES(w, r, value, want)                      \
  do {                                                   \
    char *got_ = resolve_one(w, r, value, &err);         \
    CHECK_MSG(got_ && strcmp(got_, want) == 0, "got %s, want %s (%s)", got_ ? got_ : "(null)", want, err.message); \
    free(got_);                                          \
  } while (0)

TEST(resolution) {
  prestige_error_t err;
  const char *w = "{\"type\":\"record\",\"name\":\"r\",\"fields\":["
                  "{\"name\":\"a\",\"type\":\"int\",\"field-id\":1},"
                  "{\"name\":\"b\",\"type\":\"string\",\"field-id\":2},"
                  "{\"name\":\"gone\",\"type\":{\"type\":\"array\",\"items\":{\"type\":\"map\",\"values\":[\"null\",\"string\"]}},\"field-id\":3},"
                  "{\"name\":\"f\",\"type\":\"float\",\"field-id\":4},"
                  "{\"name\":\"o\",\"type\":[\"null\",\"int\"],\"field-id\":5}]}";
  const char *v = "{\"a\":7,\"b\":\"hi\",\"gone\":[{\"x\":null,\"y\":{\"string\":\"z\"}}],\"f\":1.5,\"o\":{\"int\":-3}}";
  /* by field id after renames and reordering; dropped field skipped; int->long, float->double,
   * [null,int] -> [null,long] */
  RESOLVES(w,
           "{\"type\":\"record\",\"name\":\"r\",\"fields\":["
           "{\"name\":\"renamed_o\",\"type\":[\"null\",\"long\"],\"field-id\":5},"
           "{\"name\":\"title\",\"type\":\"string\",\"field-id\":2},"
           "{\"name\":\"count\",\"type\":\"long\",\"field-id\":1},"
           "{\"name\":\"ratio\",\"type\":\"double\",\"field-id\":4}]}",
           v, "{\"count\":7,\"ratio\":1.5,\"renamed_o\":{\"long\":-3},\"title\":\"hi\"}");
  /* by name when the reader has no ids; missing optional -> null; defaults used */
  RESOLVES(w,
           "{\"type\":\"record\",\"name\":\"r\",\"fields\":["
           "{\"name\":\"b\",\"type\":\"bytes\"},"
           "{\"name\":\"new_opt\",\"type\":[\"null\",\"string\"]},"
           "{\"name\":\"with_default\",\"type\":\"int\",\"default\":42},"
           "{\"name\":\"rec_default\",\"type\":{\"type\":\"record\",\"name\":\"q\",\"fields\":[{\"name\":\"z\",\"type\":\"string\",\"default\":\"zz\"}]},\"default\":{}},"
           "{\"name\":\"a\",\"type\":\"double\"}]}",
           v, "{\"a\":7.0,\"b\":\"6869\",\"new_opt\":null,\"rec_default\":{\"z\":\"zz\"},\"with_default\":42}");
  /* an id that differs is a different column, even with the same name: not bound */
  RESOLVES(w,
           "{\"type\":\"record\",\"name\":\"r\",\"fields\":[{\"name\":\"a\",\"type\":[\"null\",\"int\"],\"field-id\":99}]}",
           v, "{\"a\":null}");
  /* aliases bind when names differ */
  RESOLVES(w, "{\"type\":\"record\",\"name\":\"r\",\"fields\":[{\"name\":\"aa\",\"aliases\":[\"a\"],\"type\":\"int\"}]}", v,
           "{\"aa\":7}");
  /* writer non-union into a reader union, with promotion; string -> bytes */
  RESOLVES("\"int\"", "[\"null\",\"string\",\"long\"]", "5", "{\"long\":5}");
  RESOLVES("\"long\"", "\"float\"", "16777217", "16777216.0");
  RESOLVES("\"string\"", "\"bytes\"", "\"AB\"", "\"4142\"");
  RESOLVES("\"bytes\"", "\"string\"", "\"4142\"", "\"AB\"");
  /* writer union into a reader non-union: fine while the values fit */
  RESOLVES("[\"null\",\"int\"]", "\"long\"", "{\"int\":9}", "9");
  char *got = resolve_one("[\"null\",\"int\"]", "\"long\"", "null", &err);
  CHECK(got == NULL);
  CHECK_MSG(err.code == PRESTIGE_ETYPE && strstr(err.message, "written union branch null"), "%s", err.message);
  /* enums: a symbol the reader lacks takes the reader's default */
  RESOLVES("{\"type\":\"enum\",\"name\":\"e\",\"symbols\":[\"A\",\"B\",\"C\"]}",
           "{\"type\":\"enum\",\"name\":\"e\",\"symbols\":[\"C\",\"X\"],\"default\":\"X\"}", "\"B\"", "\"X\"");
  RESOLVES("{\"type\":\"enum\",\"name\":\"e\",\"symbols\":[\"A\",\"B\",\"C\"]}",
           "{\"type\":\"enum\",\"name\":\"e\",\"symbols\":[\"C\",\"X\"],\"default\":\"X\"}", "\"C\"", "\"C\"");
  /* arrays of records (Iceberg's maps) with a field added and one dropped, ids bind */
  RESOLVES("{\"type\":\"array\",\"items\":{\"type\":\"record\",\"name\":\"kv\",\"fields\":[{\"name\":\"key\",\"type\":\"int\",\"field-id\":1},"
           "{\"name\":\"value\",\"type\":\"long\",\"field-id\":2}]}}",
           "{\"type\":\"array\",\"items\":{\"type\":\"record\",\"name\":\"kv\",\"fields\":[{\"name\":\"k\",\"type\":\"long\",\"field-id\":1},"
           "{\"name\":\"note\",\"type\":\"string\",\"default\":\"-\",\"field-id\":3}]}}",
           "[{\"key\":1,\"value\":10},{\"key\":2,\"value\":20}]", "[{\"k\":1,\"note\":\"-\"},{\"k\":2,\"note\":\"-\"}]");
  /* arrays and maps resolve their items; nested records too */
  RESOLVES("{\"type\":\"map\",\"values\":{\"type\":\"array\",\"items\":\"int\"}}",
           "{\"type\":\"map\",\"values\":{\"type\":\"array\",\"items\":\"double\"}}", "{\"k\":[1,2]}", "{\"k\":[1.0,2.0]}");

  /* failures name the field */
  got = resolve_one(w, "{\"type\":\"record\",\"name\":\"r\",\"fields\":[{\"name\":\"req\",\"type\":\"int\",\"field-id\":50}]}", v, &err);
  CHECK(got == NULL);
  CHECK_ERR(err.code, PRESTIGE_ETYPE, "reader field 'req' (field-id 50) is not in the written data and has no default");
  CHECK(strstr(err.message, "resolve.avro") != NULL);
  got = resolve_one(w, "{\"type\":\"record\",\"name\":\"r\",\"fields\":[{\"name\":\"b\",\"type\":\"int\",\"field-id\":2}]}", v, &err);
  CHECK(got == NULL);
  CHECK_ERR(err.code, PRESTIGE_ETYPE, "field 'b': written type string cannot be read as int");
  got = resolve_one("\"long\"", "\"int\"", "1", &err);
  CHECK(got == NULL);
  CHECK_ERR(err.code, PRESTIGE_ETYPE, "written type long cannot be read as int");
  got = resolve_one("{\"type\":\"fixed\",\"name\":\"f\",\"size\":2}", "{\"type\":\"fixed\",\"name\":\"f\",\"size\":3}", "\"0102\"", &err);
  CHECK(got == NULL);
  CHECK_ERR(err.code, PRESTIGE_ETYPE, "cannot be read as f");
  got = resolve_one("{\"type\":\"enum\",\"name\":\"e\",\"symbols\":[\"A\",\"B\"]}",
                    "{\"type\":\"enum\",\"name\":\"e\",\"symbols\":[\"A\"]}", "\"B\"", &err);
  CHECK(got == NULL);
  CHECK_ERR(err.code, PRESTIGE_ETYPE, "enum symbol 'B' of e is not in the reader's enum");
  got = resolve_one(w, "{\"type\":\"record\",\"name\":\"r\",\"fields\":[{\"name\":\"x\",\"type\":\"int\",\"default\":\"no\"}]}", v, &err);
  CHECK(got == NULL);
  CHECK_ERR(err.code, PRESTIGE_ETYPE, "reader field 'x': default value does not match type int");
}

/* Iceberg's manifest evolution: a v1-style reader over a file with more fields, recursive
 * records, and records shared between fields resolve once. */
TEST(resolution_recursive) {
  prestige_error_t err;
  const char *w = "{\"type\":\"record\",\"name\":\"N\",\"fields\":[{\"name\":\"v\",\"type\":\"int\"},{\"name\":\"extra\",\"type\":\"string\"},"
                  "{\"name\":\"next\",\"type\":[\"null\",\"N\"]}]}";
  const char *r = "{\"type\":\"record\",\"name\":\"N\",\"fields\":[{\"name\":\"v\",\"type\":\"long\"},"
                  "{\"name\":\"next\",\"type\":[\"null\",\"N\"]}]}";
  RESOLVES(w, r, "{\"v\":1,\"extra\":\"x\",\"next\":{\"N\":{\"v\":2,\"extra\":\"y\",\"next\":null}}}",
           "{\"next\":{\"N\":{\"next\":null,\"v\":2}},\"v\":1}");
}

/* ---------------------------------------------------------------------------------------------
 * Writer errors
 * ------------------------------------------------------------------------------------------- */

TEST(writer_errors) {
  avro_schema_t *s = parse_or_die(ALL_TYPES);
  const avro_node_t *root = avro_schema_root(s);
  prestige_error_t err;
  arena_t a = ARENA_INIT;
  tu_seed(5);
  avro_datum_t good;
  tu_gen(&a, root, &good, 0);
  uint8_t *data;
  size_t len;
  prestige_output_t out;
  CHECK_OK(prestige_output_open_memory(&out, &data, &len, &err));
  avro_writer_t *w;
  CHECK_OK(avro_writer_open(&w, s, out, NULL, &err));
  CHECK_OK(avro_writer_append(w, &good, &err));
  avro_datum_t bad = good;
  bad.v.items = arena_alloc(&a, root->n_fields * sizeof(avro_datum_t));
  memcpy(bad.v.items, good.v.items, root->n_fields * sizeof(avro_datum_t));
  bad.v.items[12].branch = 9;
  CHECK_ERR(avro_writer_append(w, &bad, &err), PRESTIGE_EINVAL, "record 1: field 'u': union has no branch 9");
  bad.v.items[12] = good.v.items[12];
  bad.v.items[9].len = 3;
  CHECK_ERR(avro_writer_append(w, &bad, &err), PRESTIGE_EINVAL, "field 'fx': fixed t.F4 holds 4 bytes, not 3");
  bad.v.items[9] = good.v.items[9];
  bad.v.items[8].v.i32 = 3;
  CHECK_ERR(avro_writer_append(w, &bad, &err), PRESTIGE_EINVAL, "field 'e': enum t.Color has no symbol 3");
  bad.v.items[8] = good.v.items[8];
  avro_datum_t *tags = NULL;
  avro_datum_t *opt = avro_set_some(&bad.v.items[13], root->fields[13].type);
  avro_datum_record(&a, opt, avro_node_nonnull(root->fields[13].type));
  avro_datum_array(&a, &opt->v.items[1], 2, &tags);
  tags[1].len = 5; /* no bytes */
  CHECK_ERR(avro_writer_append(w, &bad, &err), PRESTIGE_EINVAL, "field 'opt': field 'tags': item 1: string of 5 bytes has no data");
  CHECK_OK(avro_writer_append(w, &good, &err)); /* still usable: the bad records left nothing behind */
  CHECK_EQ_INT(avro_writer_records(w), 2);
  CHECK_OK(avro_writer_close(w, NULL, &err));
  avro_reader_t *r;
  const avro_datum_t **got;
  size_t n;
  CHECK_OK(tu_read_all(data, len, NULL, &r, &got, &n, &err));
  CHECK_EQ_INT(n, 2);
  for (size_t i = 0; i < n; i++) CHECK(tu_equal(root, &good, got[i], 0));
  free(got);
  avro_reader_close(r);
  free(data);

  /* options */
  avro_meta_t reserved = {"avro.codec", "x", 1}, dup[] = {{"k", "1", 1}, {"k", "2", 1}};
  struct {
    avro_writer_options_t o;
    const char *msg;
  } opts[] = {
      {{AVRO_CODEC_NULL, AVRO_LEVEL_DEFAULT, 64000, 0, &reserved, 1, NULL}, "metadata key 'avro.codec' is reserved"},
      {{AVRO_CODEC_NULL, AVRO_LEVEL_DEFAULT, 64000, 0, dup, 2, NULL}, "metadata key 'k' given twice"},
      {{AVRO_CODEC_DEFLATE, 10, 64000, 0, NULL, 0, NULL}, "deflate level 10"},
      {{AVRO_CODEC_ZSTANDARD, 0, 64000, 0, NULL, 0, NULL}, "zstandard level 0"},
      {{AVRO_CODEC_NULL, AVRO_LEVEL_DEFAULT, 0, 0, NULL, 0, NULL}, "block_bytes 0"},
      {{(avro_codec_t)9, AVRO_LEVEL_DEFAULT, 64000, 0, NULL, 0, NULL}, "codec 9 is not a codec"},
  };
  for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++) {
    CHECK_OK(prestige_output_open_memory(&out, &data, &len, &err));
    w = NULL;
    CHECK_ERR(avro_writer_open(&w, s, out, &opts[i].o, &err), PRESTIGE_EINVAL, opts[i].msg);
    CHECK(w == NULL);
  }
  arena_release(&a);
  avro_schema_free(s);
}

/* ---------------------------------------------------------------------------------------------
 * Corrupt, truncated and hostile input
 * ------------------------------------------------------------------------------------------- */

/* Reads everything; returns the code and the number of records. */
static int read_count(const uint8_t *data, size_t len, const avro_reader_options_t *o, size_t *n, prestige_error_t *err) {
  avro_reader_t *r;
  *n = 0;
  PRESTIGE_TRY(avro_reader_open_memory(&r, data, len, "bad.avro", o, err));
  int rc;
  for (;;) {
    const avro_datum_t *d;
    rc = avro_reader_next(r, &d, err);
    if (rc || !d) break;
    (*n)++;
  }
  avro_reader_close(r);
  return rc;
}

static uint8_t *small_file(const char *json, avro_codec_t codec, uint32_t block_records, size_t n, uint64_t seed,
                           size_t *len, size_t **block_ends, size_t *n_blocks) {
  avro_schema_t *s = parse_or_die(json);
  arena_t a = ARENA_INIT;
  tu_seed(seed);
  avro_datum_t *recs = calloc(n, sizeof(*recs));
  for (size_t i = 0; i < n; i++) tu_gen(&a, avro_schema_root(s), &recs[i], 3);
  avro_writer_options_t o = AVRO_WRITER_OPTIONS_INIT;
  o.codec = codec;
  o.block_records = block_records;
  prestige_error_t err;
  uint8_t *data = NULL;
  tu_write(s, recs, n, &o, &data, len, &err);
  /* block boundaries: write the same records again, flushing by hand, and note the sizes */
  if (block_ends) {
    *n_blocks = 0;
    *block_ends = calloc(n + 2, sizeof(size_t));
    uint8_t *d2;
    size_t l2;
    prestige_output_t out;
    prestige_output_open_memory(&out, &d2, &l2, &err);
    avro_writer_t *w;
    avro_writer_open(&w, s, out, &o, &err);
    avro_writer_close(w, &l2, &err);
    free(d2);
    /* the header is l2 bytes (same schema and codec, no metadata): walk the blocks after it */
    size_t pos = l2;
    (*block_ends)[(*n_blocks)++] = pos;
    while (pos < *len) {
      uint64_t u = 0, v = 0;
      int sh = 0;
      while (data[pos] & 0x80) u |= (uint64_t)(data[pos++] & 0x7f) << sh, sh += 7;
      u |= (uint64_t)data[pos++] << sh;
      sh = 0;
      while (data[pos] & 0x80) v |= (uint64_t)(data[pos++] & 0x7f) << sh, sh += 7;
      v |= (uint64_t)data[pos++] << sh;
      pos += (size_t)zigzag_decode64(v) + 16;
      (*block_ends)[(*n_blocks)++] = pos;
      (void)u;
    }
  }
  free(recs);
  arena_release(&a);
  avro_schema_free(s);
  return data;
}

TEST(every_truncation) {
  for (int c = AVRO_CODEC_NULL; c <= AVRO_CODEC_ZSTANDARD; c++) {
    size_t len, *ends, n_ends;
    uint8_t *data = small_file(ALL_TYPES, (avro_codec_t)c, 4, 10, 77, &len, &ends, &n_ends);
    CHECK_EQ_INT(ends[n_ends - 1], len);
    size_t clean = 0, corrupt_ok = 0, wrong = 0;
    for (size_t cut = 0; cut < len; cut++) {
      uint8_t *copy = malloc(cut ? cut : 1); /* exact size: ASan sees any read past the cut */
      memcpy(copy, data, cut);
      prestige_error_t err;
      size_t n;
      int rc = read_count(copy, cut, NULL, &n, &err);
      bool boundary = false;
      size_t expect = 0;
      for (size_t b = 0; b < n_ends; b++)
        if (ends[b] == cut) {
          boundary = true;
          expect = b * 4 > 10 ? 10 : b * 4;
        }
      if (boundary) {
        clean += rc == 0 && n == expect;
        if (rc != 0 || n != expect) {
          wrong++;
          fprintf(stderr, "cut %zu (block boundary): rc %d n %zu: %s\n", cut, rc, n, err.message);
        }
      } else if (rc == PRESTIGE_ECORRUPT && strstr(err.message, "bad.avro")) {
        corrupt_ok++;
      } else {
        wrong++;
        if (wrong < 5) fprintf(stderr, "codec %d cut %zu of %zu: rc %d n %zu: %s\n", c, cut, len, rc, n, err.message);
      }
      free(copy);
    }
    CHECK_MSG(wrong == 0, "codec %s: %zu truncations misread", avro_codec_name((avro_codec_t)c), wrong);
    CHECK_EQ_INT(clean, n_ends - 1); /* every boundary but the full length */
    CHECK_EQ_INT(corrupt_ok + clean, len);
    free(ends);
    free(data);
  }
}

TEST(random_byte_flips) {
  for (int c = AVRO_CODEC_NULL; c <= AVRO_CODEC_ZSTANDARD; c++) {
    size_t len;
    uint8_t *data = small_file(ALL_TYPES, (avro_codec_t)c, 5, 12, 99, &len, NULL, NULL);
    tu_seed(1000 + (uint64_t)c);
    size_t ok = 0, corrupt = 0, unsupported = 0, other = 0;
    uint8_t *copy = malloc(len);
    for (int iter = 0; iter < 1500; iter++) {
      memcpy(copy, data, len);
      int flips = 1 + (int)tu_below(3);
      for (int k = 0; k < flips; k++) {
        /* half the flips in the header (the first ~1.9 KB), half anywhere */
        size_t at = iter % 2 ? tu_below((uint32_t)(len < 1900 ? len : 1900)) : tu_below((uint32_t)len);
        copy[at] ^= (uint8_t)(1 + tu_below(255));
      }
      prestige_error_t err;
      prestige_error_init(&err);
      size_t n;
      int rc = read_count(copy, len, NULL, &n, &err);
      if (rc == 0) ok++;
      else if (rc == PRESTIGE_ECORRUPT && strstr(err.message, "bad.avro")) corrupt++;
      else if (rc == PRESTIGE_EUNSUPPORTED && strstr(err.message, "codec")) unsupported++;
      else {
        other++;
        if (other < 5) fprintf(stderr, "flip: rc %s: %s\n", prestige_code_name(rc), err.message);
      }
    }
    free(copy);
    CHECK_MSG(other == 0, "codec %s: %zu flips gave an unexpected result", avro_codec_name((avro_codec_t)c), other);
    CHECK(corrupt > 500); /* most flips are caught */
    if (c == AVRO_CODEC_SNAPPY) CHECK(ok < 100); /* the CRC catches flips in the data */
    free(data);
  }
}

/* header bytes of a file with this schema and codec, through the writer (no records) */
static void header_for(buf_t *b, const char *schema, avro_codec_t codec, const uint8_t sync[16]) {
  avro_schema_t *s = parse_or_die(schema);
  avro_writer_options_t o = AVRO_WRITER_OPTIONS_INIT;
  o.codec = codec;
  o.sync = sync;
  uint8_t *data;
  size_t len;
  prestige_error_t err;
  tu_write(s, NULL, 0, &o, &data, &len, &err);
  buf_append(b, data, len);
  free(data);
  avro_schema_free(s);
}

static void put_long(buf_t *b, int64_t v) { buf_append_uvarint(b, zigzag_encode64(v)); }

static void block_raw(buf_t *b, int64_t count, const void *data, size_t len, const uint8_t sync[16]) {
  put_long(b, count);
  put_long(b, (int64_t)len);
  buf_append(b, data, len);
  buf_append(b, sync, 16);
}

static const uint8_t SYNC[16] = {0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};

/* One block of hand-made record bytes after a header; expects ECORRUPT with msg. */
static void expect_block(const char *schema, int64_t count, const uint8_t *rec, size_t n, const char *msg) {
  buf_t f = BUF_INIT;
  header_for(&f, schema, AVRO_CODEC_NULL, SYNC);
  block_raw(&f, count, rec, n, SYNC);
  prestige_error_t err;
  size_t got;
  /* exact-size copy so ASan sees any overread */
  uint8_t *copy = malloc(f.len);
  memcpy(copy, f.data, f.len);
  avro_reader_options_t o = AVRO_READER_OPTIONS_INIT;
  o.max_memory = 64 << 20;
  CHECK_ERR(read_count(copy, f.len, &o, &got, &err), PRESTIGE_ECORRUPT, msg);
  CHECK_MSG(strstr(err.message, "bad.avro") != NULL, "%s", err.message);
  free(copy);
  buf_release(&f);
}

TEST(hostile_blocks) {
  const char *rec_schema = "{\"type\":\"record\",\"name\":\"r\",\"fields\":[{\"name\":\"s\",\"type\":\"string\"},"
                           "{\"name\":\"a\",\"type\":{\"type\":\"array\",\"items\":\"long\"}},"
                           "{\"name\":\"m\",\"type\":{\"type\":\"map\",\"values\":\"null\"}},"
                           "{\"name\":\"u\",\"type\":[\"null\",\"int\"]}]}";
  /* string length beyond the block */
  expect_block(rec_schema, 1, (const uint8_t[]){0x80, 0x80, 0x80, 0x80, 0x10}, 5,
               "field 's': string of 2147483648 bytes runs past the 0 bytes left");
  /* a 2^62-item array of longs: zigzag(2^62) = 2^63, ten bytes */
  expect_block(rec_schema, 1, (const uint8_t[]){0x00, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01}, 11,
               "field 'a': array block of 4611686018427387904 items cannot fit in the 0 bytes left");
  /* a negative count with a byte size beyond the block */
  expect_block(rec_schema, 1, (const uint8_t[]){0x00, 0x01, 0x7e, 0, 0, 0}, 6, "array of 63 bytes runs past");
  /* a map of 2^40 nulls: zero-size values are bounded by max_memory */
  expect_block(rec_schema, 1, (const uint8_t[]){0x00, 0x00, 0x80, 0x80, 0x80, 0x80, 0x80, 0x40}, 8,
               "field 'm': map block of");
  expect_block("{\"type\":\"array\",\"items\":\"null\"}", 1, (const uint8_t[]){0x80, 0x80, 0x80, 0x80, 0x80, 0x40, 0, 0}, 8,
               "array of more than 2^32 items");
  /* 2^27 nulls: 2 GiB of values from 5 bytes, over the 64 MiB max_memory of expect_block */
  expect_block("{\"type\":\"array\",\"items\":\"null\"}", 1, (const uint8_t[]){0x80, 0x80, 0x80, 0x80, 0x01, 0}, 6,
               "134217728 array items at byte 5 of the block exceed max_memory (67108864 bytes");
  /* varint of 11 bytes, and one that overflows in its 10th byte */
  expect_block("\"long\"", 1, (const uint8_t[]){0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, 11,
               "varint longer than 10 bytes");
  expect_block("\"long\"", 1, (const uint8_t[]){0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02}, 10,
               "varint overflows 64 bits");
  expect_block("\"int\"", 1, (const uint8_t[]){0x80, 0x80, 0x80, 0x80, 0x10}, 5, "int 2147483648 out of range");
  /* union branch out of range, bad boolean, enum index */
  expect_block(rec_schema, 1, (const uint8_t[]){0, 0, 0, 0x04}, 4, "field 'u': union branch 2 of 2");
  expect_block("\"boolean\"", 1, (const uint8_t[]){2}, 1, "boolean byte 2");
  expect_block("{\"type\":\"enum\",\"name\":\"e\",\"symbols\":[\"A\"]}", 1, (const uint8_t[]){2}, 1, "enum e index 1 of 1 symbols");
  /* more records than bytes, bytes left over, zero records with data */
  expect_block("\"long\"", 1000, (const uint8_t[]){0, 0}, 2, "1000 records cannot fit in 2 bytes");
  expect_block("\"long\"", 1, (const uint8_t[]){0, 0}, 2, "1 bytes left over after its 1 records");
  expect_block("\"long\"", 0, (const uint8_t[]){0}, 1, "a block of 0 records holds 1 bytes");
  expect_block("\"null\"", INT64_MAX, (const uint8_t[]){0}, 0, "records exceed max_memory");
  /* a value nested past the depth cap: a linked list 200 deep */
  uint8_t deep[201];
  memset(deep, 0x02, 200);
  deep[200] = 0;
  expect_block("{\"type\":\"record\",\"name\":\"N\",\"fields\":[{\"name\":\"next\",\"type\":[\"null\",\"N\"]}]}", 1, deep, 201,
               "nested deeper than 128 levels");
  /* and an infinitely recursive record with no data at all */
  expect_block("{\"type\":\"record\",\"name\":\"L\",\"fields\":[{\"name\":\"l\",\"type\":\"L\"}]}", 1, deep, 0,
               "nested deeper than");

  /* block header faults */
  buf_t f = BUF_INIT;
  prestige_error_t err;
  size_t n;
  header_for(&f, "\"long\"", AVRO_CODEC_NULL, SYNC);
  size_t hl = f.len;
  block_raw(&f, 1, (const uint8_t[]){0x02}, 1, SYNC);
  f.data[f.len - 1] ^= 1; /* sync marker */
  CHECK_ERR(read_count(f.data, f.len, NULL, &n, &err), PRESTIGE_ECORRUPT, "block 0 at offset");
  CHECK(strstr(err.message, "sync marker mismatch") != NULL);
  f.len = hl;
  put_long(&f, 1);
  put_long(&f, 1000000);
  buf_append(&f, SYNC, 16);
  CHECK_ERR(read_count(f.data, f.len, NULL, &n, &err), PRESTIGE_ECORRUPT, "run past the end of the file");
  f.len = hl;
  put_long(&f, -1);
  put_long(&f, 0);
  buf_append(&f, SYNC, 16);
  CHECK_ERR(read_count(f.data, f.len, NULL, &n, &err), PRESTIGE_ECORRUPT, "negative record count");
  f.len = hl;
  uint8_t big[300];
  memset(big, 0, sizeof big);
  block_raw(&f, 300, big, sizeof big, SYNC);
  avro_reader_options_t o = AVRO_READER_OPTIONS_INIT;
  o.max_block_bytes = 200;
  CHECK_ERR(read_count(f.data, f.len, &o, &n, &err), PRESTIGE_ECORRUPT, "exceeds max_block_bytes (200)");
  buf_release(&f);
}

TEST(hostile_headers) {
  prestige_error_t err;
  size_t n;
  CHECK_ERR(read_count((const uint8_t *)"PAR1xxxxxxxxxxxxxxxxxxxxxxxxx", 29, NULL, &n, &err), PRESTIGE_ECORRUPT, "bad magic");
  CHECK_ERR(read_count((const uint8_t *)"Obj", 3, NULL, &n, &err), PRESTIGE_ECORRUPT, "header is truncated");
  CHECK_ERR(read_count(NULL, 0, NULL, &n, &err), PRESTIGE_ECORRUPT, "header is truncated");
  buf_t f = BUF_INIT;
  /* no avro.schema */
  buf_append(&f, "Obj\x01", 4);
  put_long(&f, 1);
  put_long(&f, 1);
  buf_append(&f, "k", 1);
  put_long(&f, 1);
  buf_append(&f, "v", 1);
  put_long(&f, 0);
  buf_append(&f, SYNC, 16);
  CHECK_ERR(read_count(f.data, f.len, NULL, &n, &err), PRESTIGE_ECORRUPT, "header has no avro.schema");
  /* a metadata count of 2^60 */
  buf_clear(&f);
  buf_append(&f, "Obj\x01", 4);
  put_long(&f, (int64_t)1 << 60);
  buf_append(&f, SYNC, 16);
  CHECK_ERR(read_count(f.data, f.len, NULL, &n, &err), PRESTIGE_ECORRUPT, "header metadata claims");
  /* a key length of 2^50 */
  buf_clear(&f);
  buf_append(&f, "Obj\x01", 4);
  put_long(&f, 1);
  put_long(&f, (int64_t)1 << 50);
  buf_append(&f, SYNC, 16);
  CHECK_ERR(read_count(f.data, f.len, NULL, &n, &err), PRESTIGE_ECORRUPT, "metadata key length");
  /* schema that is not JSON, schema too deep, unknown codec */
  const char *schemas[][3] = {
      {"{\"type\":", "null", "bad.avro: avro.schema: Avro schema: invalid JSON"},
      {"\"long\"", "bzip2", "unsupported Avro codec 'bzip2'"},
      {"{\"type\":\"record\",\"name\":\"r\",\"fields\":[{\"name\":\"a\",\"type\":\"zzz\"}]}", "null", "unknown type 'zzz'"},
  };
  for (size_t i = 0; i < 3; i++) {
    buf_clear(&f);
    buf_append(&f, "Obj\x01", 4);
    put_long(&f, 2);
    put_long(&f, 11);
    buf_append(&f, "avro.schema", 11);
    put_long(&f, (int64_t)strlen(schemas[i][0]));
    buf_append(&f, schemas[i][0], strlen(schemas[i][0]));
    put_long(&f, 10);
    buf_append(&f, "avro.codec", 10);
    put_long(&f, (int64_t)strlen(schemas[i][1]));
    buf_append(&f, schemas[i][1], strlen(schemas[i][1]));
    put_long(&f, 0);
    buf_append(&f, SYNC, 16);
    int want = i == 1 ? PRESTIGE_EUNSUPPORTED : PRESTIGE_ECORRUPT;
    CHECK_ERR(read_count(f.data, f.len, NULL, &n, &err), want, schemas[i][2]);
  }
  buf_release(&f);
}

/* Snappy's CRC covers the uncompressed bytes; zstd and deflate faults are named. */
TEST(codec_faults) {
  prestige_error_t err;
  size_t len, n;
  uint8_t *data = small_file("{\"type\":\"array\",\"items\":\"string\"}", AVRO_CODEC_SNAPPY, 0, 20, 7, &len, NULL, NULL);
  CHECK_OK(read_count(data, len, NULL, &n, &err));
  CHECK_EQ_INT(n, 20);
  data[len - 17] ^= 0x40; /* last CRC byte, just before the sync marker */
  CHECK_ERR(read_count(data, len, NULL, &n, &err), PRESTIGE_ECORRUPT, "snappy block CRC32 mismatch");
  CHECK(strstr(err.message, "block 0 at offset") != NULL);
  free(data);

  /* bombs: 8 MiB of zeros in one block, refused at a 1 MiB cap by every codec */
  size_t big = 8 << 20;
  uint8_t *zeros = calloc(1, big);
  buf_t comp = BUF_INIT;
  for (int c = AVRO_CODEC_DEFLATE; c <= AVRO_CODEC_ZSTANDARD; c++) {
    buf_clear(&comp);
    if (c == AVRO_CODEC_DEFLATE) {
      z_stream zs;
      memset(&zs, 0, sizeof zs);
      deflateInit2(&zs, 9, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY);
      buf_reserve(&comp, deflateBound(&zs, big));
      zs.next_in = zeros;
      zs.avail_in = (uInt)big;
      zs.next_out = comp.data;
      zs.avail_out = (uInt)comp.cap;
      deflate(&zs, Z_FINISH);
      comp.len = comp.cap - zs.avail_out;
      deflateEnd(&zs);
    } else if (c == AVRO_CODEC_SNAPPY) {
      size_t cl = snappy_max_compressed_length(big);
      buf_reserve(&comp, cl + 4);
      snappy_compress((const char *)zeros, big, (char *)comp.data, &cl);
      comp.len = cl;
      uLong crc = crc32(0, zeros, (uInt)big);
      uint8_t be[4] = {(uint8_t)(crc >> 24), (uint8_t)(crc >> 16), (uint8_t)(crc >> 8), (uint8_t)crc};
      buf_append(&comp, be, 4);
    } else {
      buf_reserve(&comp, ZSTD_compressBound(big));
      comp.len = ZSTD_compress(comp.data, comp.cap, zeros, big, 3);
    }
    buf_t f = BUF_INIT;
    header_for(&f, "\"boolean\"", (avro_codec_t)c, SYNC);
    block_raw(&f, (int64_t)big, comp.data, comp.len, SYNC);
    avro_reader_options_t o = AVRO_READER_OPTIONS_INIT;
    o.max_block_bytes = 1 << 20;
    CHECK_ERR(read_count(f.data, f.len, &o, &n, &err), PRESTIGE_ECORRUPT, "decompresses to more than max_block_bytes (1048576 bytes)");
    /* at the default cap the same block reads: 8 Mi false booleans */
    CHECK_OK(read_count(f.data, f.len, NULL, &n, &err));
    CHECK_EQ_INT(n, big);
    /* truncated compressed data */
    buf_t t = BUF_INIT;
    header_for(&t, "\"boolean\"", (avro_codec_t)c, SYNC);
    block_raw(&t, (int64_t)big, comp.data, comp.len / 2, SYNC);
    CHECK_ERR(read_count(t.data, t.len, NULL, &n, &err), PRESTIGE_ECORRUPT, avro_codec_name((avro_codec_t)c));
    buf_release(&t);
    buf_release(&f);
  }
  buf_release(&comp);
  free(zeros);
  avro_reader_options_t o = AVRO_READER_OPTIONS_INIT;
  CHECK_EQ_INT(o.max_block_bytes, (size_t)256 << 20);
}

/* With retain every block's values stay valid until close; the memory cap still holds. */
TEST(retain_mode) {
  size_t len, n;
  uint8_t *data = small_file(ALL_TYPES, AVRO_CODEC_DEFLATE, 3, 30, 11, &len, NULL, NULL);
  prestige_error_t err;
  avro_reader_t *r;
  const avro_datum_t **recs;
  CHECK_OK(tu_read_all(data, len, NULL, &r, &recs, &n, &err));
  CHECK_EQ_INT(n, 30);
  /* the first records (block 0) are intact after reading every other block */
  avro_schema_t *s = parse_or_die(ALL_TYPES);
  arena_t a = ARENA_INIT;
  tu_seed(11);
  size_t bad = 0;
  for (size_t i = 0; i < n; i++) {
    avro_datum_t want;
    tu_gen(&a, avro_schema_root(s), &want, 3);
    bad += !tu_equal(avro_schema_root(s), &want, recs[i], 0);
  }
  CHECK_EQ_INT(bad, 0);
  free(recs);
  avro_reader_close(r);
  avro_reader_options_t o = AVRO_READER_OPTIONS_INIT;
  o.max_memory = 4096;
  CHECK_ERR(tu_read_all(data, len, &o, &r, &recs, &n, &err), PRESTIGE_ECORRUPT, "max_memory (4096");
  free(recs);
  avro_reader_close(r);
  arena_release(&a);
  avro_schema_free(s);
  free(data);
}

/* A NULL err is accepted everywhere. */
TEST(null_error_pointers) {
  avro_schema_t *s = parse_or_die("\"long\"");
  uint8_t *data;
  size_t len;
  prestige_output_t out;
  prestige_output_open_memory(&out, &data, &len, NULL);
  avro_writer_t *w;
  CHECK(avro_writer_open(&w, s, out, NULL, NULL) == 0);
  avro_datum_t d = {.v.i64 = 5};
  CHECK(avro_writer_append(w, &d, NULL) == 0);
  CHECK(avro_writer_close(w, NULL, NULL) == 0);
  data[len - 1] ^= 1;
  avro_reader_t *r;
  CHECK(avro_reader_open_memory(&r, data, len, "x", NULL, NULL) == 0);
  const avro_datum_t *got;
  CHECK(avro_reader_next(r, &got, NULL) == PRESTIGE_ECORRUPT);
  CHECK(avro_reader_next(r, &got, NULL) == PRESTIGE_ECORRUPT); /* sticky */
  avro_reader_close(r);
  CHECK(avro_reader_open_memory(&r, data, 3, "x", NULL, NULL) == PRESTIGE_ECORRUPT);
  free(data);
  avro_schema_free(s);
}

/* ---------------------------------------------------------------------------------------------
 * Manifest-like records: the Iceberg layer's shape, at volume
 * ------------------------------------------------------------------------------------------- */

static char *slurp(const char *path, size_t *len);

static avro_schema_t *schema_file(const char *name) {
  char path[1024];
  snprintf(path, sizeof path, "%s/tests/avro/schemas/%s", test_root(), name);
  size_t len;
  char *text = slurp(path, &len);
  if (!text) {
    fprintf(stderr, "cannot read %s\n", path);
    exit(2);
  }
  avro_schema_t *s = parse_or_die(text);
  free(text);
  return s;
}

TEST(manifest_like_volume) {
  avro_schema_t *s = schema_file("manifest_entry.avsc");
  const avro_node_t *root = avro_schema_root(s);
  const size_t n = 20000;
  arena_t a = ARENA_INIT;
  tu_seed(2024);
  avro_datum_t *recs = calloc(n, sizeof(*recs));
  for (size_t i = 0; i < n; i++) tu_gen(&a, root, &recs[i], 0);
  for (int c = AVRO_CODEC_NULL; c <= AVRO_CODEC_DEFLATE; c++) {
    avro_writer_options_t o = AVRO_WRITER_OPTIONS_INIT;
    o.codec = (avro_codec_t)c;
    prestige_error_t err;
    uint8_t *data;
    size_t len;
    int64_t t0 = prestige_monotonic_ns();
    CHECK_OK(tu_write(s, recs, n, &o, &data, &len, &err));
    int64_t t1 = prestige_monotonic_ns();
    avro_reader_t *r;
    CHECK_OK(avro_reader_open_memory(&r, data, len, "manifest.avro", NULL, &err));
    size_t seen = 0, bad = 0;
    for (;;) {
      const avro_datum_t *b;
      size_t k;
      if (avro_reader_next_block(r, &b, &k, &err) || k == 0) break;
      for (size_t i = 0; i < k; i++) bad += !tu_equal(root, &recs[seen + i], &b[i], 0);
      seen += k;
    }
    int64_t t2 = prestige_monotonic_ns();
    avro_reader_close(r);
    CHECK_EQ_INT(seen, n);
    CHECK_EQ_INT(bad, 0);
    printf("manifest-like %s (ASan build): %zu records, %zu bytes, write %.0f rec/s, read+compare %.0f rec/s\n",
           avro_codec_name((avro_codec_t)c), n, len, n / ((t1 - t0) / 1e9), n / ((t2 - t1) / 1e9));
    free(data);
  }
  free(recs);
  arena_release(&a);
  avro_schema_free(s);
}

/* ---------------------------------------------------------------------------------------------
 * Interop tool (driven by it_avro_interop.sh)
 * ------------------------------------------------------------------------------------------- */

static char *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  buf_t b = BUF_INIT;
  char tmp[65536];
  size_t n;
  while ((n = fread(tmp, 1, sizeof tmp, f)) > 0) buf_append(&b, tmp, n);
  fclose(f);
  buf_append_u8(&b, 0);
  *len = b.len - 1;
  return (char *)b.data;
}

static int tool_json2avro(int argc, char **argv) {
  /* json2avro SCHEMA.json IN.jsonl OUT.avro CODEC BLOCK_RECORDS [key=value]... */
  if (argc < 7) return 2;
  size_t sl, jl;
  char *schema_text = slurp(argv[2], &sl), *jsonl = slurp(argv[3], &jl);
  if (!schema_text || !jsonl) return fprintf(stderr, "cannot read inputs\n"), 1;
  prestige_error_t err;
  avro_schema_t *s;
  if (avro_schema_parse(&s, schema_text, sl, &err)) return fprintf(stderr, "%s\n", err.message), 1;
  avro_writer_options_t o = AVRO_WRITER_OPTIONS_INIT;
  o.codec = strcmp(argv[5], "deflate") == 0 ? AVRO_CODEC_DEFLATE
            : strcmp(argv[5], "snappy") == 0 ? AVRO_CODEC_SNAPPY
            : strcmp(argv[5], "zstandard") == 0 ? AVRO_CODEC_ZSTANDARD
                                                : AVRO_CODEC_NULL;
  o.block_records = (uint32_t)atoi(argv[6]);
  avro_meta_t meta[16];
  size_t nm = 0;
  for (int i = 7; i < argc && nm < 16; i++) {
    char *eq = strchr(argv[i], '=');
    if (!eq) continue;
    *eq = '\0';
    meta[nm++] = (avro_meta_t){argv[i], eq + 1, strlen(eq + 1)};
  }
  o.meta = meta;
  o.n_meta = nm;
  prestige_output_t out;
  avro_writer_t *w;
  if (prestige_output_open_file(&out, argv[4], &err) || avro_writer_open(&w, s, out, &o, &err))
    return fprintf(stderr, "%s\n", err.message), 1;
  arena_t a = ARENA_INIT;
  size_t line = 0;
  for (char *p = jsonl, *nl; *p; p = nl + 1) {
    nl = strchr(p, '\n');
    if (!nl) nl = p + strlen(p);
    line++;
    json_error_t je;
    json_t *j = json_loadb(p, (size_t)(nl - p), JSON_DECODE_ANY, &je);
    avro_datum_t d;
    if (!j || tu_from_cjson(&a, avro_schema_root(s), j, &d)) return fprintf(stderr, "line %zu does not fit the schema\n", line), 1;
    if (avro_writer_append(w, &d, &err)) return fprintf(stderr, "line %zu: %s\n", line, err.message), 1;
    json_decref(j);
    arena_release(&a);
    if (!*nl) break;
  }
  if (avro_writer_close(w, NULL, &err)) return fprintf(stderr, "%s\n", err.message), 1;
  avro_schema_free(s);
  free(schema_text);
  free(jsonl);
  return 0;
}

static int tool_avro2json(int argc, char **argv) {
  /* avro2json IN.avro [READER_SCHEMA.json] */
  if (argc < 3) return 2;
  prestige_error_t err;
  avro_schema_t *rs = NULL;
  if (argc > 3) {
    size_t sl;
    char *t = slurp(argv[3], &sl);
    if (!t || avro_schema_parse(&rs, t, sl, &err)) return fprintf(stderr, "reader schema: %s\n", t ? err.message : "unreadable"), 1;
    free(t);
  }
  avro_reader_options_t o = AVRO_READER_OPTIONS_INIT;
  o.reader_schema = rs;
  prestige_input_t in;
  avro_reader_t *r;
  if (prestige_input_open_file(&in, argv[2], &err) || avro_reader_open(&r, in, &o, &err))
    return fprintf(stderr, "%s\n", err.message), 1;
  for (;;) {
    const avro_datum_t *d;
    if (avro_reader_next(r, &d, &err)) return fprintf(stderr, "%s\n", err.message), 1;
    if (!d) break;
    json_t *j = tu_to_cjson(avro_reader_root(r), d);
    char *text = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(17));
    puts(text);
    free(text);
    json_decref(j);
  }
  avro_reader_close(r);
  avro_schema_free(rs);
  return 0;
}

static int tool_gen(int argc, char **argv) {
  /* gen SCHEMA.json SEED N: random canonical JSON lines from our generator */
  if (argc < 5) return 2;
  size_t sl;
  char *t = slurp(argv[2], &sl);
  prestige_error_t err;
  avro_schema_t *s;
  if (!t || avro_schema_parse(&s, t, sl, &err)) return 1;
  tu_seed(strtoull(argv[3], NULL, 10));
  arena_t a = ARENA_INIT;
  for (long i = 0; i < atol(argv[4]); i++) {
    avro_datum_t d;
    tu_gen(&a, avro_schema_root(s), &d, 0);
    json_t *j = tu_to_cjson(avro_schema_root(s), &d);
    char *text = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(17));
    puts(text);
    free(text);
    json_decref(j);
    arena_release(&a);
  }
  avro_schema_free(s);
  free(t);
  return 0;
}

int test_passed, test_failed;
const char *test_current = "";

int main(int argc, char **argv) {
  if (argc > 1) {
    if (strcmp(argv[1], "json2avro") == 0) return tool_json2avro(argc, argv);
    if (strcmp(argv[1], "avro2json") == 0) return tool_avro2json(argc, argv);
    if (strcmp(argv[1], "gen") == 0) return tool_gen(argc, argv);
    fprintf(stderr, "usage: test_avro [json2avro SCHEMA IN.jsonl OUT.avro CODEC BLOCK_RECORDS [k=v]... |"
                    " avro2json IN.avro [READER_SCHEMA] | gen SCHEMA SEED N]\n");
    return 2;
  }
  RUN(schema_model);
  RUN(schema_logical_edge_cases);
  RUN(schema_errors);
  RUN(schema_names_and_recursion);
  RUN(roundtrip_every_type_every_codec);
  RUN(roundtrip_extremes);
  RUN(header_exact);
  RUN(file_input_many_blocks);
  RUN(resolution);
  RUN(resolution_recursive);
  RUN(writer_errors);
  RUN(every_truncation);
  RUN(random_byte_flips);
  RUN(hostile_blocks);
  RUN(hostile_headers);
  RUN(codec_faults);
  RUN(retain_mode);
  RUN(null_error_pointers);
  RUN(manifest_like_volume);
  printf("RESULT %d %d\n", test_passed, test_failed);
  return test_failed ? 1 : 0;
}
