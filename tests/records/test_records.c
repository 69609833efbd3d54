#include <jansson.h>
#include <math.h>
#include <unistd.h>

#include "prestige/records.h"
#include "test.h"

#define ALL_KINDS(F)                                                              \
  F(flag, BOOL)                                                                   \
  F(i8, I8)                                                                       \
  F(i16, I16)                                                                     \
  F(i32, I32)                                                                     \
  F(i64, I64, .flags = PRESTIGE_IDENTIFIER)                                       \
  F(u8, U8)                                                                       \
  F(u16, U16)                                                                     \
  F(u32, U32)                                                                     \
  F(u64, U64)                                                                     \
  F(f32, F32)                                                                     \
  F(f64, F64, .sort_order = 2, .sort_desc = true)                                 \
  F(name, STRING, .partition = PRESTIGE_PARTITION_IDENTITY)                       \
  F(raw, BYTES)                                                                   \
  F(payload, BYTES, .flags = PRESTIGE_AS_BINARY)                                  \
  F(raw16, FIXED_BYTES(16))                                                       \
  F(bin16, FIXED_BYTES(16), .flags = PRESTIGE_AS_BINARY)                          \
  F(ts, TIMESTAMP(MICRO, "UTC"), .partition = PRESTIGE_PARTITION_DAY, .sort_order = 1) \
  F(ts_local, TIMESTAMP(NANO, NULL))                                              \
  F(day, DATE)                                                                    \
  F(price, DECIMAL(18, 4))                                                        \
  F(big, DECIMAL(38, 10))                                                         \
  F(tags, LIST(STRING))                                                           \
  F(scores, LIST(F64))                                                            \
  F(opt_i32, OPTIONAL(I32))                                                       \
  F(opt_name, OPTIONAL(STRING))                                                   \
  F(opt_ts, OPTIONAL(TIMESTAMP(MILLI, "UTC")))                                    \
  F(opt_bin, OPTIONAL(FIXED_BYTES(4)), .flags = PRESTIGE_AS_BINARY)               \
  F(opt_bucket, OPTIONAL(I64), .partition = PRESTIGE_PARTITION_BUCKET, .partition_param = 16)
PRESTIGE_RECORD(all_kinds, ALL_KINDS, .table = "everything", .namespace_ = "tests")

static void fill(all_kinds_t *r, int i) {
  static const prestige_str_t tags[] = {PRESTIGE_STR("a"), PRESTIGE_STR(""), PRESTIGE_STR("ccc")};
  static const double scores[] = {1.5, -2.25, NAN};
  memset(r, 0, sizeof(*r));
  r->flag = i % 2;
  r->i8 = (int8_t)(i % 2 ? INT8_MIN : INT8_MAX);
  r->i16 = (int16_t)(-i);
  r->i32 = i * 1000;
  r->i64 = (int64_t)i * 10000000000LL;
  r->u8 = (uint8_t)(255 - i);
  r->u16 = 65535;
  r->u32 = 4000000000u;
  r->u64 = UINT64_MAX - (uint64_t)i;
  r->f32 = 0.5f * (float)i;
  r->f64 = -1.0 / (i + 1);
  r->name = i % 3 ? PRESTIGE_STR("sensor") : PRESTIGE_STR("");
  static uint8_t blob[3] = {0, 1, 255};
  r->raw = (prestige_bytes_t){blob, (size_t)(i % 4)};
  r->payload = (prestige_bytes_t){blob, 3};
  for (int k = 0; k < 16; k++) r->raw16[k] = (uint8_t)(k + i), r->bin16[k] = (uint8_t)(255 - k);
  r->ts = 1700000000000000LL + i;
  r->ts_local = -5;
  r->day = 19000 + i;
  r->price = prestige_decimal_from_i64(-123456789 + i);
  r->big = (prestige_decimal_t){UINT64_MAX, INT64_MAX / 2};
  r->tags = (prestige_list_t){tags, (size_t)(i % 4)};
  r->scores = (prestige_list_t){scores, 2};
  r->opt_i32.present = i % 2 == 0;
  r->opt_i32.value = i;
  r->opt_name.present = i % 3 == 0;
  r->opt_name.value = PRESTIGE_STR("maybe");
  r->opt_ts.present = true;
  r->opt_ts.value = 1700000000000LL;
  r->opt_bin.present = i == 1;
  memcpy(r->opt_bin.value, "abcd", 4);
  r->opt_bucket.present = false;
}

static bool same(const all_kinds_t *a, const all_kinds_t *b) {
#define EQ(x) (a->x == b->x)
  if (!(EQ(flag) && EQ(i8) && EQ(i16) && EQ(i32) && EQ(i64) && EQ(u8) && EQ(u16) && EQ(u32) && EQ(u64) &&
        EQ(f32) && EQ(f64) && EQ(ts) && EQ(ts_local) && EQ(day) && EQ(price.lo) && EQ(price.hi) && EQ(big.lo) &&
        EQ(big.hi)))
    return false;
  if (a->name.len != b->name.len || memcmp(a->name.ptr, b->name.ptr, a->name.len)) return false;
  if (a->raw.len != b->raw.len || (a->raw.len && memcmp(a->raw.ptr, b->raw.ptr, a->raw.len))) return false;
  if (a->payload.len != b->payload.len || memcmp(a->payload.ptr, b->payload.ptr, 3)) return false;
  if (memcmp(a->raw16, b->raw16, 16) || memcmp(a->bin16, b->bin16, 16)) return false;
  if (a->tags.len != b->tags.len) return false;
  for (size_t k = 0; k < a->tags.len; k++) {
    const prestige_str_t *x = (const prestige_str_t *)a->tags.items + k, *y = (const prestige_str_t *)b->tags.items + k;
    if (x->len != y->len || memcmp(x->ptr, y->ptr, x->len)) return false;
  }
  if (a->scores.len != b->scores.len) return false;
  if (memcmp(a->scores.items, b->scores.items, a->scores.len * sizeof(double))) return false;
  if (a->opt_i32.present != b->opt_i32.present || (a->opt_i32.present && a->opt_i32.value != b->opt_i32.value))
    return false;
  if (a->opt_name.present != b->opt_name.present) return false;
  if (a->opt_name.present && (a->opt_name.value.len != b->opt_name.value.len ||
                              memcmp(a->opt_name.value.ptr, b->opt_name.value.ptr, a->opt_name.value.len)))
    return false;
  if (a->opt_ts.present != b->opt_ts.present || a->opt_ts.value != b->opt_ts.value) return false;
  if (a->opt_bin.present != b->opt_bin.present || (a->opt_bin.present && memcmp(a->opt_bin.value, b->opt_bin.value, 4)))
    return false;
  if (a->opt_bucket.present != b->opt_bucket.present) return false;
  return true;
#undef EQ
}

TEST(test_schema) {
  prestige_error_t err;
  struct ArrowSchema s;
  CHECK_OK(prestige_record_schema(all_kinds_record(), &s, &err));
  CHECK_EQ_STR(s.format, "+s");
  CHECK_EQ_INT(s.n_children, 28);
  const char *v;
  int32_t len;
  CHECK(prestige_metadata_get(s.metadata, "prestige:table", &v, &len) && len == 10 && !memcmp(v, "everything", 10));
  CHECK_EQ_STR(s.children[0]->format, "b");
  CHECK_EQ_STR(s.children[12]->format, "+l");
  CHECK_EQ_STR(s.children[12]->children[0]->format, "C");
  CHECK_EQ_STR(s.children[13]->format, "z");
  CHECK_EQ_STR(s.children[15]->format, "w:16");
  CHECK_EQ_STR(s.children[16]->format, "tsu:UTC");
  CHECK_EQ_STR(s.children[17]->format, "tsn:");
  CHECK_EQ_STR(s.children[19]->format, "d:18,4");
  CHECK_EQ_STR(s.children[21]->children[0]->format, "u");
  CHECK(!(s.children[0]->flags & ARROW_FLAG_NULLABLE));
  CHECK(s.children[23]->flags & ARROW_FLAG_NULLABLE);
  CHECK(prestige_metadata_get(s.children[4]->metadata, "PARQUET:field_id", &v, &len) && len == 1 && v[0] == '5');
  CHECK(prestige_metadata_get(s.children[4]->metadata, "prestige:identifier", &v, &len));
  CHECK(prestige_metadata_get(s.children[16]->metadata, "prestige:partition", &v, &len) && len == 3 && !memcmp(v, "day", 3));
  CHECK(prestige_metadata_get(s.children[16]->metadata, "prestige:sort", &v, &len) && len == 5 && !memcmp(v, "1 asc", 5));
  CHECK(prestige_metadata_get(s.children[27]->metadata, "prestige:partition", &v, &len) && len == 10 &&
        !memcmp(v, "bucket[16]", 10));
  CHECK_OK(prestige_schema_validate(&s, &err));
  prestige_schema_release(&s);
}

TEST(test_round_trip) {
  prestige_error_t err;
  enum { N = 1000 };
  all_kinds_t *rows = calloc(N, sizeof(*rows));
  for (int i = 0; i < N; i++) fill(&rows[i], i);
  struct ArrowSchema s;
  struct ArrowArray a;
  CHECK_OK(prestige_record_schema(all_kinds_record(), &s, &err));
  CHECK_OK(prestige_record_to_arrow(all_kinds_record(), rows, N, &a, &err));
  CHECK_OK(prestige_array_validate(&a, &s, &err));
  CHECK_EQ_INT(a.length, N);
  CHECK_EQ_INT(a.children[23]->null_count, N / 2);
  prestige_records_t back = {0};
  CHECK_OK(prestige_record_from_arrow(all_kinds_record(), &s, &a, NULL, &back, &err));
  CHECK_OK(prestige_record_from_arrow(all_kinds_record(), &s, &a, NULL, &back, &err)); /* appends */
  CHECK_EQ_INT(back.n, 2 * N);
  prestige_array_release(&a); /* records own copies of their strings */
  int mismatches = 0;
  for (int i = 0; i < 2 * N && back.items; i++) mismatches += !same(&rows[i % N], (all_kinds_t *)back.items + i);
  CHECK_EQ_INT(mismatches, 0);
  prestige_records_release(&back);
  prestige_schema_release(&s);
  free(rows);
}

TEST(test_stream) {
  prestige_error_t err;
  enum { N = 20000 };
  all_kinds_t *rows = calloc(N, sizeof(*rows));
  for (int i = 0; i < N; i++) fill(&rows[i], i);
  struct ArrowArrayStream st;
  CHECK_OK(prestige_record_stream(all_kinds_record(), rows, N, 8192, &st, &err));
  struct ArrowSchema s;
  CHECK_EQ_INT(st.get_schema(&st, &s), 0);
  int64_t total = 0, batches = 0;
  for (;;) {
    struct ArrowArray a;
    CHECK_EQ_INT(st.get_next(&st, &a), 0);
    if (!a.release) break;
    batches++;
    total += a.length;
    prestige_array_release(&a);
  }
  CHECK_EQ_INT(total, N);
  CHECK_EQ_INT(batches, 3);
  prestige_schema_release(&s);
  st.release(&st);
  free(rows);
}

typedef struct plain {
  uint64_t id;
  prestige_str_t name;
  int32_t count;
} plain_t;

TEST(test_descriptor_errors) {
  prestige_error_t err;
  static const prestige_field_desc_t dup[] = {{.name = "id", .kind = PRESTIGE_KIND_U64, .offset = 0, .size = 8},
                                              {.name = "id", .kind = PRESTIGE_KIND_STRING, .offset = 8, .size = 16}};
  static const prestige_record_desc_t dup_rec = PRESTIGE_RECORD_DESC(plain_t, dup);
  CHECK_ERR(prestige_record_validate(&dup_rec, &err), PRESTIGE_EINVAL, "duplicate field name \"id\"");
  static const prestige_field_desc_t bin[] = {PRESTIGE_FIELD(plain_t, id, U64, .flags = PRESTIGE_AS_BINARY)};
  static const prestige_record_desc_t bin_rec = PRESTIGE_RECORD_DESC(plain_t, bin);
  CHECK_ERR(prestige_record_validate(&bin_rec, &err), PRESTIGE_EINVAL, "as_binary applies only to BYTES");
  static const prestige_field_desc_t bad_dec[] = {{.name = "d", .kind = PRESTIGE_KIND_DECIMAL, .size = 16, .precision = 40}};
  static const prestige_record_desc_t dec_rec = {.name = "d", .size = 32, .fields = bad_dec, .n_fields = 1};
  CHECK_ERR(prestige_record_validate(&dec_rec, &err), PRESTIGE_EINVAL, "decimal(40,0)");
  static const prestige_field_desc_t small[] = {{.name = "s", .kind = PRESTIGE_KIND_STRING, .size = 4}};
  static const prestige_record_desc_t small_rec = {.name = "s", .size = 4, .fields = small, .n_fields = 1};
  CHECK_ERR(prestige_record_validate(&small_rec, &err), PRESTIGE_EINVAL, "does not hold a STRING");
  static const prestige_field_desc_t ok[] = {PRESTIGE_FIELD(plain_t, id, U64), PRESTIGE_FIELD(plain_t, name, STRING),
                                             PRESTIGE_FIELD(plain_t, count, I32)};
  static const prestige_record_desc_t ok_rec = PRESTIGE_RECORD_DESC(plain_t, ok);
  CHECK_OK(prestige_record_validate(&ok_rec, &err));
}

#define NARROW(F) F(id, U64) F(name, STRING) F(count, I32)
PRESTIGE_RECORD(narrow, NARROW)
#define WIDE(F) F(count, I32) F(extra, F64) F(id, U64) F(name, STRING)
PRESTIGE_RECORD(wide, WIDE)
#define WRONG(F) F(id, I64) F(name, STRING) F(count, I32)
PRESTIGE_RECORD(wrong, WRONG)
#define MISSING(F) F(id, U64) F(nope, STRING)
PRESTIGE_RECORD(missing, MISSING)
#define OPTCOUNT(F) F(count, OPTIONAL(I32))
PRESTIGE_RECORD(optcount, OPTCOUNT)

TEST(test_schema_mismatch) {
  prestige_error_t err;
  wide_t w[3] = {{1, 0.5, 10, PRESTIGE_STR("x")}, {2, 1.5, 20, PRESTIGE_STR("yy")}, {3, 2.5, 30, PRESTIGE_STR("")}};
  struct ArrowSchema s;
  struct ArrowArray a;
  CHECK_OK(prestige_record_schema(wide_record(), &s, &err));
  CHECK_OK(prestige_record_to_arrow(wide_record(), w, 3, &a, &err));
  prestige_records_t r = {0};
  /* columns in another order plus an extra column: fine */
  CHECK_OK(prestige_record_from_arrow(narrow_record(), &s, &a, NULL, &r, &err));
  CHECK_EQ_INT(r.n, 3);
  const narrow_t *n = r.items;
  CHECK(n && n[1].id == 20 && n[1].count == 2 && n[1].name.len == 2 && strcmp(n[1].name.ptr, "yy") == 0);
  prestige_records_release(&r);
  CHECK_ERR(prestige_record_from_arrow(wrong_record(), &s, &a, NULL, &r, &err), PRESTIGE_ETYPE, "column \"id\" has type L");
  CHECK_ERR(prestige_record_from_arrow(missing_record(), &s, &a, NULL, &r, &err), PRESTIGE_ETYPE, "column \"nope\" is missing");
  prestige_records_release(&r);
  /* nullable column into a non-optional field */
  optcount_t oc[2] = {{{true, 5}}, {{false, 0}}};
  struct ArrowSchema os;
  struct ArrowArray oa;
  CHECK_OK(prestige_record_schema(optcount_record(), &os, &err));
  CHECK_OK(prestige_record_to_arrow(optcount_record(), oc, 2, &oa, &err));
  static const prestige_field_desc_t cf[] = {PRESTIGE_FIELD(plain_t, count, I32)};
  static const prestige_record_desc_t count_rec = PRESTIGE_RECORD_DESC(plain_t, cf);
  CHECK_ERR(prestige_record_from_arrow(&count_rec, &os, &oa, NULL, &r, &err), PRESTIGE_ETYPE, "\"count\" is nullable");
  prestige_record_read_options_t ro;
  prestige_record_read_options_init(&ro);
  ro.allow_nullable = true;
  CHECK_ERR(prestige_record_from_arrow(&count_rec, &os, &oa, &ro, &r, &err), PRESTIGE_ETYPE, "null at row 1");
  prestige_records_release(&r);
  prestige_array_release(&oa);
  prestige_schema_release(&os);
  prestige_array_release(&a);
  prestige_schema_release(&s);
}

/* Every field kind through a Parquet file and back, and DuckDB's view of the file. */
TEST(test_parquet_file) {
  prestige_error_t err;
  enum { N = 5000 };
  all_kinds_t *rows = calloc(N, sizeof(*rows));
  for (int i = 0; i < N; i++) fill(&rows[i], i);
  char path[1024];
  snprintf(path, sizeof(path), "%s/all_kinds.parquet", test_tmpdir());
  prestige_parquet_writer_options_t o;
  prestige_parquet_writer_options_init(&o);
  o.row_group_rows = 2000;
  o.compression = PRESTIGE_COMPRESSION_ZSTD;
  CHECK_OK(prestige_record_write_file(all_kinds_record(), path, rows, N, &o, &err));
  prestige_records_t back = {0};
  CHECK_OK(prestige_record_read_file(all_kinds_record(), path, NULL, &back, &err));
  CHECK_EQ_INT(back.n, N);
  int mismatches = 0;
  for (size_t i = 0; i < back.n && i < N; i++) mismatches += !same(&rows[i], (all_kinds_t *)back.items + i);
  CHECK_EQ_INT(mismatches, 0);
  prestige_records_release(&back);
  /* a narrower record reads just its columns, in any order */
  prestige_records_t nb = {0};
  static const prestige_field_desc_t sub[] = {{.name = "ts", .kind = PRESTIGE_KIND_TIMESTAMP, .unit = PRESTIGE_TIME_UNIT_MICRO,
                                               .timezone = "UTC", .offset = 8, .size = 8},
                                              {.name = "u8", .kind = PRESTIGE_KIND_U8, .offset = 0, .size = 1}};
  static const prestige_record_desc_t sub_rec = {.name = "sub", .size = 16, .fields = sub, .n_fields = 2};
  CHECK_OK(prestige_record_read_file(&sub_rec, path, NULL, &nb, &err));
  CHECK_EQ_INT(nb.n, N);
  if (nb.n == N) {
    const uint8_t *it = nb.items;
    int64_t ts;
    memcpy(&ts, it + 16 * 7 + 8, 8);
    CHECK(it[16 * 7] == rows[7].u8 && ts == rows[7].ts);
  }
  prestige_records_release(&nb);
  /* a record whose column is missing from the file names it */
  prestige_records_t mb = {0};
  static const prestige_field_desc_t miss[] = {{.name = "nope", .kind = PRESTIGE_KIND_I32, .size = 4}};
  static const prestige_record_desc_t miss_rec = {.name = "miss", .size = 4, .fields = miss, .n_fields = 1};
  CHECK_ERR(prestige_record_read_file(&miss_rec, path, NULL, &mb, &err), PRESTIGE_ETYPE, "\"nope\" is missing");
  prestige_records_release(&mb);
  /* DuckDB's SQL types for each kind */
  char q[2048];
  snprintf(q, sizeof(q), "SELECT string_agg(column_name || ':' || column_type, ',') t FROM (DESCRIBE SELECT * FROM read_parquet('%s'))",
           path);
  char *js = test_duckdb_json(q);
  CHECK(js != NULL);
  const char *want[] = {"flag:BOOLEAN", "i8:TINYINT", "u64:UBIGINT", "f32:FLOAT", "name:VARCHAR", "raw:UTINYINT[]",
                        "payload:BLOB", "raw16:UTINYINT[]", "bin16:BLOB", "ts:TIMESTAMP WITH TIME ZONE",
                        "ts_local:TIMESTAMP_NS", "day:DATE", "price:DECIMAL(18,4)", "big:DECIMAL(38,10)",
                        "tags:VARCHAR[]", "scores:DOUBLE[]", "opt_i32:INTEGER", "opt_ts:TIMESTAMP WITH TIME ZONE"};
  for (size_t k = 0; js && k < sizeof(want) / sizeof(want[0]); k++) CHECK_MSG(strstr(js, want[k]) != NULL, "%s not in %s", want[k], js);
  free(js);
  /* and the values: a few aggregates DuckDB computes from the file equal the structs' */
  snprintf(q, sizeof(q),
           "SELECT count(*)::VARCHAR n, count(opt_i32)::VARCHAR o, sum(len(tags))::VARCHAR t, sum(u8)::VARCHAR u, "
           "max(price)::VARCHAR p, sum(len(raw16))::VARCHAR r, min(big)::VARCHAR b FROM read_parquet('%s')", path);
  js = test_duckdb_json(q);
  long long tags = 0, u8 = 0;
  for (int i = 0; i < N; i++) tags += rows[i].tags.len, u8 += rows[i].u8;
  char expect[256];
  snprintf(expect, sizeof(expect), "\"n\":\"%d\",\"o\":\"%d\",\"t\":\"%lld\",\"u\":\"%lld\",\"p\":\"-12345.1790\",\"r\":\"%d\"",
           N, N / 2, tags, u8, N * 16);
  CHECK_MSG(js && strstr(js, expect), "%s vs %s", js, expect);
  free(js);
  free(rows);
}

/* STRING promises UTF-8: a string that breaks it is refused with the record, field and byte named,
 * in plain fields, optional ones and list elements; BYTES take anything. */
static void to_arrow_ok(const all_kinds_t *rows, size_t n) {
  prestige_error_t err;
  struct ArrowArray b;
  int rc = prestige_record_to_arrow(all_kinds_record(), rows, n, &b, &err);
  CHECK_MSG(rc == 0, "%s", err.message);
  if (!rc) prestige_array_release(&b);
}

TEST(test_invalid_utf8) {
  prestige_error_t err;
  all_kinds_t rows[3];
  for (int i = 0; i < 3; i++) fill(&rows[i], i);
  static const char bad[] = "ok\xc3\x28";   /* a 2-byte lead followed by a non-continuation byte */
  static const char overlong[] = "\xc0\xaf"; /* overlong '/' */
  static const char surrogate[] = "a\xed\xa0\x80";
  static const char good[] = "h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80"; /* é € 😀 */
  struct ArrowArray b;
  rows[2].name = (prestige_str_t){bad, 4};
  CHECK_ERR(prestige_record_to_arrow(all_kinds_record(), rows, 3, &b, &err), PRESTIGE_ECORRUPT, "record 2, field name: invalid UTF-8 at byte 3");
  rows[2].name = (prestige_str_t){overlong, 2};
  CHECK_ERR(prestige_record_to_arrow(all_kinds_record(), rows, 3, &b, &err), PRESTIGE_ECORRUPT, "invalid UTF-8 at byte 1");
  rows[2].name = (prestige_str_t){surrogate, 4};
  CHECK_ERR(prestige_record_to_arrow(all_kinds_record(), rows, 3, &b, &err), PRESTIGE_ECORRUPT, "invalid UTF-8 at byte 2");
  rows[2].name = (prestige_str_t){good, sizeof good - 1};
  to_arrow_ok(rows, 3);
  rows[0].opt_name.present = true;
  rows[0].opt_name.value = (prestige_str_t){bad, 4};
  CHECK_ERR(prestige_record_to_arrow(all_kinds_record(), rows, 3, &b, &err), PRESTIGE_ECORRUPT, "record 0, field opt_name");
  rows[0].opt_name.present = false; /* an absent value is not looked at */
  to_arrow_ok(rows, 3);
  prestige_str_t tags[2] = {PRESTIGE_STR("fine"), {bad, 4}};
  rows[1].tags = (prestige_list_t){tags, 2};
  CHECK_ERR(prestige_record_to_arrow(all_kinds_record(), rows, 3, &b, &err), PRESTIGE_ECORRUPT, "record 1, field tags, element 1");
  rows[1].tags = (prestige_list_t){tags, 1};
  static uint8_t junk[4] = {0xff, 0xfe, 0xc0, 0x80};
  rows[1].raw = (prestige_bytes_t){junk, 4};
  to_arrow_ok(rows, 3);
  /* and nothing is left behind by a refused file write */
  char path[1024];
  snprintf(path, sizeof(path), "%s/bad_utf8.parquet", test_tmpdir());
  rows[2].name = (prestige_str_t){bad, 4};
  CHECK_ERR(prestige_record_write_file(all_kinds_record(), path, rows, 3, NULL, &err), PRESTIGE_ECORRUPT, "field name");
  CHECK(access(path, F_OK) != 0);
}

TEST_MAIN(RUN(test_schema); RUN(test_round_trip); RUN(test_parquet_file); RUN(test_stream); RUN(test_descriptor_errors); RUN(test_schema_mismatch); RUN(test_invalid_utf8);)
