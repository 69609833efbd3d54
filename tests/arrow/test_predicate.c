/* The predicate layer: parsing, binding errors, SQL semantics of every comparison on a batch of
 * every primitive type (expected rows worked out by hand from the SQL rules, which
 * tests/parquet/it_filters.sh checks against DuckDB), three-valued logic, nested and dictionary
 * columns, filtering batches, and statistics. */
#include <math.h>

#include "prestige/predicate.h"
#include "test.h"

#define N 8
#define BASE_US 1704153600000000LL /* 2024-01-02 00:00:00 UTC */
#define BASE_MS (BASE_US / 1000)
#define BASE_NS (BASE_US * 1000)
#define NUL INT64_MIN + 1 /* marks a null in the int tables below */

static const char *const COLS[] = {"i8", "i64", "u64", "f", "d", "dec", "day", "ts", "tsz", "tsn", "t", "s", "bin", "flag",
                                   "point", "tags"};
static const char *const FORMATS[] = {"c", "l", "L", "f", "g", "d:9,2", "tdD", "tsu:", "tsm:UTC", "tsn:", "ttu", "u", "z", "b",
                                      "+s", "+l"};

static const int64_t I8[N] = {1, -128, 127, NUL, 0, 5, -5, 100};
static const int64_t I64[N] = {9, 10, NUL, -5, INT64_MAX, INT64_MIN, 0, 100};
static const uint64_t U64[N] = {0, UINT64_MAX, 9223372036854775808ULL, 0 /* null */, 1, 18446744073709451616ULL, 5, 100};
static const int64_t DEC[N] = {1400000, 1400001, 100, 101, NUL, -100, 100500, 0}; /* cents */
static const int64_t DAY[N] = {19723, 19724, NUL, 0, -1, 19725, 19723, 20000};
static const int64_t TS[N] = {BASE_US - 1, BASE_US, BASE_US + 1, NUL, BASE_US + 11045000000LL, BASE_US + 11045123456LL, 0, -1};
static const int64_t TSZ[N] = {BASE_MS - 7200000, BASE_MS, NUL, BASE_MS + 1, BASE_MS - 1, BASE_MS + 3600000, 0, NUL};
static const int64_t TSN[N] = {BASE_NS + 123456789, NUL, BASE_NS, BASE_NS + 123456788, 0, 0, 0, 0};
static const int64_t T[N] = {45000000000LL, 44999999999LL, NUL, 0, 86399999999LL, 45000500000LL, 1, 43200000000LL};
static const char *const S[N] = {"a", "\xc3\xa9", "z", "", NULL, "ab", "Z", "zz"};
static const int FLAG[N] = {1, 0, -1, 1, 0, 1, 0, 1};

static void make_batch(struct ArrowSchema *s, struct ArrowArray *a) {
  prestige_error_t err;
  int nc = (int)(sizeof COLS / sizeof COLS[0]);
  CHECK_OK(prestige_schema_init(s, "+s", "", 0, &err));
  CHECK_OK(prestige_schema_allocate_children(s, nc, &err));
  for (int c = 0; c < nc; c++) CHECK_OK(prestige_schema_init(s->children[c], FORMATS[c], COLS[c], ARROW_FLAG_NULLABLE, &err));
  struct ArrowSchema *pt = s->children[14], *tg = s->children[15];
  prestige_schema_allocate_children(pt, 2, &err);
  prestige_schema_init(pt->children[0], "g", "x", ARROW_FLAG_NULLABLE, &err);
  prestige_schema_init(pt->children[1], "i", "y", ARROW_FLAG_NULLABLE, &err);
  prestige_schema_allocate_children(tg, 1, &err);
  prestige_schema_init(tg->children[0], "i", "item", ARROW_FLAG_NULLABLE, &err);
  prestige_array_builder_t *b;
  CHECK_OK(prestige_array_builder_new(&b, s, &err));
  const float F[N] = {1.0f, NAN, 0, -0.0f, 0.1f, 1e30f, -INFINITY, 2.5f};
  const double D[N] = {0.5, NAN, 1e308, 0, -1, INFINITY, 0, 1};
  const double PX[N] = {1.5, 0, NAN, 3, 0, 1.5, 0, 2};
  const int64_t PY[N] = {1, 0, 2, NUL, 0, 5, 0, 2};
  for (int r = 0; r < N; r++) {
#define C(i) prestige_array_builder_child(b, i)
#define INT(i, v) ((v) == NUL ? prestige_array_builder_append_null(C(i), &err) : prestige_array_builder_append_int(C(i), v, &err))
    INT(0, I8[r]);
    INT(1, I64[r]);
    if (r == 3) prestige_array_builder_append_null(C(2), &err);
    else prestige_array_builder_append_uint(C(2), U64[r], &err);
    if (r == 2) prestige_array_builder_append_null(C(3), &err);
    else prestige_array_builder_append_double(C(3), F[r], &err);
    if (r == 3) prestige_array_builder_append_null(C(4), &err);
    else prestige_array_builder_append_double(C(4), D[r], &err);
    if (DEC[r] == NUL) prestige_array_builder_append_null(C(5), &err);
    else {
      __int128 v = DEC[r];
      uint8_t le[16];
      memcpy(le, &v, 16);
      prestige_array_builder_append_decimal(C(5), le, &err);
    }
    INT(6, DAY[r]);
    INT(7, TS[r]);
    INT(8, TSZ[r]);
    INT(9, TSN[r]);
    INT(10, T[r]);
    if (S[r]) prestige_array_builder_append_bytes(C(11), S[r], (int64_t)strlen(S[r]), &err);
    else prestige_array_builder_append_null(C(11), &err);
    if (S[r]) prestige_array_builder_append_bytes(C(12), S[r], (int64_t)strlen(S[r]), &err);
    else prestige_array_builder_append_null(C(12), &err);
    if (FLAG[r] < 0) prestige_array_builder_append_null(C(13), &err);
    else prestige_array_builder_append_bool(C(13), FLAG[r], &err);
    prestige_array_builder_t *p = C(14);
    if (r == 1 || r == 6) {
      prestige_array_builder_append_null(p, &err);
    } else {
      if (isnan(PX[r])) prestige_array_builder_append_null(prestige_array_builder_child(p, 0), &err);
      else prestige_array_builder_append_double(prestige_array_builder_child(p, 0), PX[r], &err);
      if (PY[r] == NUL) prestige_array_builder_append_null(prestige_array_builder_child(p, 1), &err);
      else prestige_array_builder_append_int(prestige_array_builder_child(p, 1), PY[r], &err);
      prestige_array_builder_append_struct(p, &err);
    }
    prestige_array_builder_t *l = C(15);
    static const int lens[N] = {1, -1, 0, 2, -1, 1, 1, 0};
    if (lens[r] < 0) {
      prestige_array_builder_append_null(l, &err);
    } else {
      for (int k = 0; k < lens[r]; k++) prestige_array_builder_append_int(prestige_array_builder_child(l, 0), r * 10 + k, &err);
      prestige_array_builder_append_list(l, &err);
    }
    CHECK_OK(prestige_array_builder_append_struct(b, &err));
#undef INT
#undef C
  }
  CHECK_OK(prestige_array_builder_finish(b, a, &err));
  prestige_array_builder_free(b);
  /* a null struct whose field holds a valid value: the field still reads as null */
  struct ArrowArray *x = a->children[14]->children[0];
  uint8_t *xv = (uint8_t *)x->buffers[0];
  xv[0] |= 1u << 1;
  ((double *)x->buffers[1])[1] = 99;
  x->null_count = -1;
}

/* Rows of the batch selected by text, as a bit mask; -1 on error (printed). */
static int select_rows(const struct ArrowSchema *s, const struct ArrowArray *a, const char *text) {
  prestige_error_t err;
  prestige_predicate_t *p;
  prestige_bound_predicate_t *b;
  if (prestige_predicate_parse(text, &p, &err) || prestige_predicate_bind(p, s, &b, &err)) {
    if (p) prestige_predicate_free(p);
    fprintf(stderr, "%s: %s\n", text, err.message);
    return -1;
  }
  prestige_predicate_free(p);
  uint8_t sel[8] = {0};
  int64_t n = -1;
  int rc = prestige_bound_predicate_select(b, a, sel, &n, &err);
  prestige_bound_predicate_free(b);
  if (rc) {
    fprintf(stderr, "%s: %s\n", text, err.message);
    return -1;
  }
  int mask = 0, count = 0;
  for (int i = 0; i < a->length; i++)
    if ((sel[i >> 3] >> (i & 7)) & 1) mask |= 1 << i, count++;
  if (count != n) return -2;
  return mask;
}

/* "0,3,5" -> mask */
static int rows(const char *list) {
  int m = 0;
  for (const char *p = list; *p; p++)
    if (*p >= '0' && *p <= '9') m |= 1 << (*p - '0');
  return m;
}

TEST(test_semantics) {
  struct ArrowSchema s;
  struct ArrowArray a;
  make_batch(&s, &a);
  static const struct {
    const char *filter, *want;
  } cases[] = {
      /* integers: exact, across widths and beyond the type's range */
      {"i64 > 9.5", "1,4,7"},
      {"i64 >= 9.5", "1,4,7"},
      {"i64 < 9.5", "0,3,5,6"},
      {"i64 = 9.0", "0"},
      {"i64 = 9.5", ""},
      {"i64 != 9.5", "0,1,3,4,5,6,7"},
      {"i64 > 9223372036854775806.5", "4"},
      {"i64 > 9223372036854775807", ""},
      {"i64 <= 9223372036854775808", "0,1,3,4,5,6,7"},
      {"i64 < -9223372036854775808", ""},
      {"i64 = -9223372036854775808", "5"},
      {"i64 < -1e30", ""},
      {"i64 IN (9, 100, 9.5, 1e40)", "0,7"},
      {"i8 > 126.99", "2"},
      {"i8 < -127.5", "1"},
      {"i8 > 300", ""},
      {"i8 < 300", "0,1,2,4,5,6,7"},
      {"i8 = '5'", "5"},
      {"u64 <= 18446744073709451616", "0,2,4,5,6,7"},
      {"u64 > 9223372036854775807", "1,2,5"},
      {"u64 = 18446744073709551615", "1"},
      {"u64 > 18446744073709551615", ""},
      {"u64 = -1", ""},
      {"u64 > -1", "0,1,2,4,5,6,7"},
      {"u64 < 0.5", "0"},
      /* floats: NaN is the greatest value and equals NaN; -0 = 0; literal rounding as DuckDB */
      {"f != 1", "1,3,4,5,6,7"},
      {"f > 1e30", "1,5"},
      {"f = 0.1", "4"},
      {"f = 1e-1", ""},
      {"f = 0", "3"},
      {"f = 'NaN'", "1"},
      {"f != 'NaN'", "0,3,4,5,6,7"},
      {"f < 'nan'", "0,3,4,5,6,7"},
      {"f >= 'NaN'", "1"},
      {"f > 'NaN'", ""},
      {"f <= 'NaN'", "0,1,3,4,5,6,7"},
      {"f IN (1, 'NaN')", "0,1"},
      {"f < '-inf'", ""},
      {"f = '-inf'", "6"},
      {"d > 1e308", "1,5"},
      {"d >= 1e308", "1,2,5"},
      {"d <= 'inf'", "0,2,4,5,6,7"},
      {"d BETWEEN 0 AND 1", "0,6,7"},
      /* decimals: exact, the literal scaled to the column */
      {"dec > 14000", "1"},
      {"dec >= 14000", "0,1"},
      {"dec > 1.005", "0,1,3,6"},
      {"dec = 1.005", ""},
      {"dec = 1.0", "2"},
      {"dec = 1", "2"},
      {"dec < -0.999", "5"},
      {"dec IN (1, 1.01, 3.333)", "2,3"},
      {"dec > 100000000000000000000000000000000000000000", ""},
      {"dec < 100000000000000000000000000000000000000000", "0,1,2,3,5,6,7"},
      /* dates: a literal is truncated to a day, as DuckDB casts it */
      {"day = '2024-01-01'", "0,6"},
      {"day > '2024-01-01 23:00'", "1,5,7"},
      {"day < '2024-01-02T23:00:00Z'", "0,3,4,6"},
      {"day < '1970-01-01'", "4"},
      /* timestamps: every unit, truncated to microseconds (nanoseconds for ns columns) */
      {"ts >= '2024-01-02'", "1,2,4,5"},
      {"ts = '2024-01-02 03:04:05'", "4"},
      {"ts = '2024-01-02T03:04:05.123456'", "5"},
      {"ts = '2024-01-02 03:04:05.1234569'", "5"},
      {"ts = '2024-01-02 03:04:05+02:00'", ""}, /* an instant: 01:04:05 UTC */
      {"ts = '2024-01-02 05:04:05+02:00'", "4"},
      {"ts = '2024-01-02 01:34:05.123456-0130'", "5"},
      {"tsn = '2024-01-02 02:00:00.123456789+02'", "0"},
      {"ts = '2024-01-02 03:04:05 UTC'", "4"},
      {"ts < '1970-01-01'", "7"},
      {"ts = '1970-01-01T00:00:00Z'", "6"},
      {"ts > '2024-01-01 23:59:59.999999'", "1,2,4,5"},
      {"tsz = '2024-01-02 00:00:00+02:00'", "0"},
      {"tsz = '2024-01-01T23:00:00-01'", "1"},
      {"tsz = '2024-01-02'", "1"},
      {"tsz > '2024-01-02 00:00:00.0005'", "3,5"},
      {"tsz >= '2024-01-02 00:00:00.0005'", "3,5"},
      {"tsz <= '2024-01-02 00:00:00.0005'", "0,1,4,6"},
      {"tsz < '2024-01-02 00:00:00.0005'", "0,1,4,6"},
      {"tsz = 1704153600000", "1"},
      {"tsn = '2024-01-02 00:00:00.123456789'", "0"},
      {"tsn > '2024-01-02 00:00:00.1234567885'", "0"},
      {"tsn = '2024-01-02 00:00:00.1234567889'", "3"},
      /* times */
      {"t > '12:29:59.9999999'", "0,4,5"},
      {"t = '12:30:00.5'", "5"},
      {"t < '00:00:00.000001'", "3"},
      {"t >= '12:00'", "0,1,4,5,7"},
      /* strings and binary: bytes, UTF-8 order */
      {"s > 'z'", "1,7"},
      {"s < 'a'", "3,6"},
      {"s IN ('a', 'zz', 'q')", "0,7"},
      {"s = ''", "3"},
      {"s NOT IN ('a')", "1,2,3,5,6,7"},
      {"s BETWEEN 'a' AND 'b'", "0,5"},
      {"s NOT BETWEEN 'a' AND 'b'", "1,2,3,6,7"},
      {"bin = 'ab'", "5"},
      {"bin = '\\x61\\x62'", "5"},
      {"bin > '\\xC3'", "1"},
      /* booleans */
      {"flag = true", "0,3,5,7"},
      {"flag = 1", "0,3,5,7"},
      {"flag = 'false'", "1,4,6"},
      {"flag > false", "0,3,5,7"},
      /* three-valued logic */
      {"NOT (i64 > 9.5)", "0,3,5,6"},
      {"NOT i64 > 9.5", "0,3,5,6"},
      {"i64 > 9.5 OR f IS NULL", "1,2,4,7"},
      {"NOT (i64 > 9 AND s > 'b')", "0,3,5,6"},
      {"NOT (i64 > 9 OR s > 'b')", "0,3,5,6"},
      {"i64 IS NULL OR s IS NULL", "2,4"},
      {"NOT (i64 IS NULL OR s IS NULL)", "0,1,3,5,6,7"},
      {"(i64 > 9.5 OR flag = true) AND NOT s = 'zz'", "0,1,3,5"},
      {"NOT NOT i64 = 9", "0"},
      /* nested: a null struct makes its fields null */
      {"point.x > 1", "0,3,5,7"},
      {"point.x = 99", ""},
      {"point.x IS NULL", "1,2,6"},
      {"point.y IS NULL", "1,3,6"},
      {"point IS NULL", "1,6"},
      {"point IS NOT NULL AND point.y >= 2", "2,5,7"},
      {"point.x = 1.5 AND point.y = 5", "5"},
      {"tags IS NULL", "1,4"},
      {"\"tags\" IS NOT NULL", "0,2,3,5,6,7"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    int got = select_rows(&s, &a, cases[i].filter);
    CHECK_MSG(got == rows(cases[i].want), "%s: rows 0x%x, want %s (0x%x)", cases[i].filter, got, cases[i].want,
              rows(cases[i].want));
  }
  /* a batch with an offset: the same rows, shifted */
  struct ArrowArray view = a;
  view.offset = 2;
  view.length = 5;
  view.release = NULL;
  CHECK_EQ_INT(select_rows(&s, &view, "i64 > 9.5"), rows("2") /* row 4 */);
  CHECK_EQ_INT(select_rows(&s, &view, "point.y IS NULL"), rows("1,4") /* rows 3 and 6 */);
  CHECK_EQ_INT(select_rows(&s, &view, "s > 'z' OR s < 'a'"), rows("1,4") /* rows 3 and 6 */);
  a.release(&a);
  prestige_schema_release(&s);
}

TEST(test_parse_and_bind_errors) {
  struct ArrowSchema s;
  struct ArrowArray a;
  make_batch(&s, &a);
  prestige_error_t err;
  prestige_predicate_t *p = NULL;
  static const struct {
    const char *text, *says;
  } syntax[] = {{"i64 >", "expected a value"},
                {"i64 = 1 AND", "expected a column name"},
                {"(i64 = 1", "expected )"},
                {"i64 = NULL", "IS NULL"},
                {"s = 'open", "unterminated string"},
                {"", "empty filter"},
                {"i64 BETWEEN 1 2", "expected AND in BETWEEN"},
                {"s NOT LIKE 'x'", "expected IN or BETWEEN after NOT"},
                {"i64 = 1 i64 = 2", "unexpected text"},
                {"i64 = 0x10", "expected a value"},
                {"i64 = 1.2.3", "expected a value"},
                {"i64 ~ 1", "expected an operator"}};
  for (size_t i = 0; i < sizeof syntax / sizeof syntax[0]; i++) {
    CHECK_ERR(prestige_predicate_parse(syntax[i].text, &p, &err), PRESTIGE_EINVAL, syntax[i].says);
    CHECK(p == NULL);
  }
  /* binding: the message names the column (and the literal) */
  static const struct {
    const char *text, *says1, *says2;
  } bind[] = {{"zz > 1", "no column \"zz\"", "i8, i64"},
              {"i64 = 'x'", "column \"i64\"", "'x'"},
              {"i8 = true", "column \"i8\"", "true"},
              {"s = 5", "column \"s\"", "5"},
              {"day = '2024-13-01'", "column \"day\"", "'2024-13-01'"},
              {"day = '2024-02-30'", "column \"day\"", "not a date"},
              {"ts = 'yesterday'", "column \"ts\"", "'yesterday'"},
              {"ts = '2024-01-02 25:00'", "column \"ts\"", "not a timestamp"},
              {"t = '12:60'", "column \"t\"", "not a time"},
              {"flag = 2", "column \"flag\"", "not a boolean"},
              {"f = 'abc'", "column \"f\"", "not a number"},
              {"tags = 1", "column \"tags\"", "IS [NOT] NULL"},
              {"point = 1", "column \"point\"", "IS [NOT] NULL"},
              {"point.z = 1", "no column \"point.z\"", "x, y"},
              {"i64.x = 1", "column \"i64.x\"", "not a struct"},
              {"i64 > 1 AND dec IN (1, 'x')", "column \"dec\"", "'x'"}};
  for (size_t i = 0; i < sizeof bind / sizeof bind[0]; i++) {
    CHECK_OK(prestige_predicate_parse(bind[i].text, &p, &err));
    prestige_bound_predicate_t *b = (void *)1;
    CHECK_ERR(prestige_predicate_bind(p, &s, &b, &err), PRESTIGE_EINVAL, bind[i].says1);
    CHECK_MSG(strstr(err.message, bind[i].says2) != NULL, "%s: \"%s\" lacks %s", bind[i].text, err.message, bind[i].says2);
    CHECK(b == NULL);
    prestige_predicate_free(p);
  }
  /* the columns a predicate names, once each */
  CHECK_OK(prestige_predicate_parse("point.x > 1 AND (s = 'a' OR point.x < 0) AND \"i64\" IS NULL", &p, &err));
  CHECK_EQ_INT(prestige_predicate_column_count(p), 3);
  CHECK_EQ_STR(prestige_predicate_column(p, 0), "point.x");
  CHECK_EQ_STR(prestige_predicate_column(p, 2), "i64");
  prestige_bound_predicate_t *b;
  CHECK_OK(prestige_predicate_bind(p, &s, &b, &err));
  CHECK_EQ_INT(prestige_bound_predicate_column_count(b), 3);
  CHECK_EQ_STR(prestige_bound_predicate_column_schema(b, 0)->format, "g");
  CHECK_EQ_STR(prestige_bound_predicate_column(b, 1), "s");
  prestige_bound_predicate_free(b);
  prestige_predicate_free(p);
  /* a batch that does not fit the bound schema */
  CHECK_OK(prestige_predicate_parse("tags IS NULL", &p, &err));
  CHECK_OK(prestige_predicate_bind(p, &s, &b, &err));
  struct ArrowArray thin = a;
  thin.n_children = 3;
  thin.release = NULL;
  uint8_t sel[2];
  int64_t n;
  CHECK_ERR(prestige_bound_predicate_select(b, &thin, sel, &n, &err), PRESTIGE_EINVAL, "tags");
  prestige_bound_predicate_free(b);
  prestige_predicate_free(p);
  a.release(&a);
  prestige_schema_release(&s);
}

static const char *str_at(const struct ArrowArray *c, int64_t i, int32_t *len) {
  const int32_t *o = c->buffers[1];
  int64_t j = c->offset + i;
  *len = o[j + 1] - o[j];
  return (const char *)c->buffers[2] + o[j];
}

TEST(test_filter_batches) {
  struct ArrowSchema s;
  struct ArrowArray a;
  make_batch(&s, &a);
  prestige_error_t err;
  prestige_predicate_t *p;
  prestige_bound_predicate_t *b;
  CHECK_OK(prestige_predicate_parse("i64 > 9.5", &p, &err));
  CHECK_OK(prestige_predicate_bind(p, &s, &b, &err));
  struct ArrowArray out;
  CHECK_OK(prestige_bound_predicate_filter(b, &a, &out, &err));
  CHECK(a.release == NULL); /* consumed */
  CHECK_EQ_INT(out.length, 3);
  CHECK_OK(prestige_array_validate(&out, &s, &err));
  /* rows 1, 4, 7 */
  CHECK_EQ_INT(((const int64_t *)out.children[1]->buffers[1])[0], 10);
  CHECK_EQ_INT(((const int64_t *)out.children[1]->buffers[1])[2], 100);
  int32_t len;
  const char *v = str_at(out.children[11], 0, &len);
  CHECK(len == 2 && !memcmp(v, "\xc3\xa9", 2));
  CHECK(!prestige_array_is_valid(out.children[11], 1));
  v = str_at(out.children[11], 2, &len);
  CHECK(len == 2 && !memcmp(v, "zz", 2));
  CHECK(((const uint8_t *)out.children[13]->buffers[1])[0] == 0x4); /* flag false, false, true */
  const struct ArrowArray *pt = out.children[14];
  CHECK(!prestige_array_is_valid(pt, 0) && prestige_array_is_valid(pt, 1) && prestige_array_is_valid(pt, 2));
  CHECK(((const double *)pt->children[0]->buffers[1])[2] == 2);
  CHECK(((const int32_t *)pt->children[1]->buffers[1])[2] == 2);
  const struct ArrowArray *tg = out.children[15];
  const int32_t *to = tg->buffers[1];
  CHECK(!prestige_array_is_valid(tg, 0) && !prestige_array_is_valid(tg, 1) && to[3] - to[2] == 0);
  CHECK_EQ_INT(out.children[5]->null_count, 1); /* dec is null in row 4 */
  prestige_bound_predicate_free(b);
  prestige_predicate_free(p);
  /* a list column keeps exactly its selected rows' elements */
  CHECK_OK(prestige_predicate_parse("tags IS NOT NULL AND i8 >= 0", &p, &err)); /* rows 0, 2, 5, 7 */
  CHECK_OK(prestige_predicate_bind(p, &s, &b, &err));
  prestige_schema_release(&s); /* b holds its own copy */
  make_batch(&s, &a);
  struct ArrowArray o2;
  CHECK_OK(prestige_bound_predicate_filter(b, &a, &o2, &err));
  CHECK_EQ_INT(o2.length, 4);
  CHECK_OK(prestige_array_validate(&o2, &s, &err));
  const struct ArrowArray *l = o2.children[15];
  const int32_t *lo = l->buffers[1];
  CHECK(lo[0] == 0 && lo[1] == 1 && lo[2] == 1 && lo[3] == 2 && lo[4] == 2);
  CHECK_EQ_INT(l->children[0]->length, 2);
  CHECK_EQ_INT(((const int32_t *)l->children[0]->buffers[1])[0], 0);
  CHECK_EQ_INT(((const int32_t *)l->children[0]->buffers[1])[1], 50);
  prestige_array_release(&o2);
  prestige_bound_predicate_free(b);
  prestige_predicate_free(p);
  /* every row matches: the batch moves through with no copy */
  prestige_schema_release(&s);
  make_batch(&s, &a);
  const void *ids = a.children[1]->buffers[1];
  CHECK_OK(prestige_predicate_parse("i64 IS NULL OR i64 IS NOT NULL", &p, &err));
  CHECK_OK(prestige_predicate_bind(p, &s, &b, &err));
  CHECK_OK(prestige_bound_predicate_filter(b, &a, &o2, &err));
  CHECK(o2.length == N && o2.children[1]->buffers[1] == ids);
  prestige_array_release(&o2);
  prestige_bound_predicate_free(b);
  prestige_predicate_free(p);
  /* no row matches: an empty batch of the same schema */
  prestige_schema_release(&s);
  make_batch(&s, &a);
  CHECK_OK(prestige_predicate_parse("i64 > 1000 AND i64 < 0", &p, &err));
  CHECK_OK(prestige_predicate_bind(p, &s, &b, &err));
  CHECK_OK(prestige_bound_predicate_filter(b, &a, &o2, &err));
  CHECK_EQ_INT(o2.length, 0);
  CHECK_OK(prestige_array_validate(&o2, &s, &err));
  prestige_array_release(&o2);
  prestige_bound_predicate_free(b);
  prestige_predicate_free(p);
  prestige_array_release(&out);
  prestige_schema_release(&s);
}

/* A dictionary-encoded string column: int32 indices into ["x", "y", null]. */
TEST(test_dictionary) {
  prestige_error_t err;
  struct ArrowSchema s;
  CHECK_OK(prestige_schema_init(&s, "+s", "", 0, &err));
  CHECK_OK(prestige_schema_allocate_children(&s, 1, &err));
  CHECK_OK(prestige_schema_init(s.children[0], "i", "k", ARROW_FLAG_NULLABLE, &err));
  CHECK_OK(prestige_schema_allocate_dictionary(s.children[0], &err));
  CHECK_OK(prestige_schema_init(s.children[0]->dictionary, "u", "", ARROW_FLAG_NULLABLE, &err));
  struct ArrowArray a;
  CHECK_OK(prestige_array_init(&a, 1, 1, &err));
  a.length = 6;
  struct ArrowArray *k = a.children[0];
  CHECK_OK(prestige_array_init(k, 2, 0, &err));
  k->length = 6;
  k->null_count = 1;
  uint8_t *valid = prestige_buffer_alloc(1);
  valid[0] = 0x3f & ~(1u << 4);
  int32_t *idx = prestige_buffer_alloc(6 * 4);
  const int32_t iv[6] = {0, 1, 0, 2, 7 /* null row: never read */, 1};
  memcpy(idx, iv, sizeof iv);
  prestige_array_set_buffer(k, 0, valid);
  prestige_array_set_buffer(k, 1, idx);
  CHECK_OK(prestige_array_allocate_dictionary(k, &err));
  struct ArrowArray *d = k->dictionary;
  CHECK_OK(prestige_array_init(d, 3, 0, &err));
  d->length = 3;
  d->null_count = 1;
  uint8_t *dv = prestige_buffer_alloc(1);
  dv[0] = 0x3;
  int32_t *off = prestige_buffer_alloc(4 * 4);
  off[0] = 0, off[1] = 1, off[2] = 2, off[3] = 2;
  char *data = prestige_buffer_alloc(2);
  memcpy(data, "xy", 2);
  prestige_array_set_buffer(d, 0, dv);
  prestige_array_set_buffer(d, 1, off);
  prestige_array_set_buffer(d, 2, data);
  CHECK_EQ_INT(select_rows(&s, &a, "k = 'x'"), rows("0,2"));
  CHECK_EQ_INT(select_rows(&s, &a, "k IS NULL"), rows("3,4"));
  CHECK_EQ_INT(select_rows(&s, &a, "k != 'x'"), rows("1,5"));
  CHECK_EQ_INT(select_rows(&s, &a, "k > 'a'"), rows("0,1,2,5"));
  prestige_predicate_t *p;
  prestige_bound_predicate_t *b;
  CHECK_OK(prestige_predicate_parse("k = 'y'", &p, &err));
  CHECK_OK(prestige_predicate_bind(p, &s, &b, &err));
  struct ArrowArray out;
  CHECK_OK(prestige_bound_predicate_filter(b, &a, &out, &err));
  CHECK_EQ_INT(out.length, 2);
  CHECK_OK(prestige_array_validate(&out, &s, &err));
  CHECK(out.children[0]->dictionary && out.children[0]->dictionary->length == 3);
  CHECK_EQ_INT(((const int32_t *)out.children[0]->buffers[1])[1], 1);
  prestige_array_release(&out);
  prestige_bound_predicate_free(b);
  prestige_predicate_free(p);
  /* an index beyond the dictionary is an error, not a read out of bounds */
  CHECK_OK(prestige_array_init(&a, 1, 1, &err));
  a.length = 2;
  k = a.children[0];
  CHECK_OK(prestige_array_init(k, 2, 0, &err));
  k->length = 2;
  idx = prestige_buffer_alloc(2 * 4);
  idx[0] = 1, idx[1] = 3;
  prestige_array_set_buffer(k, 1, idx);
  CHECK_OK(prestige_array_allocate_dictionary(k, &err));
  d = k->dictionary;
  CHECK_OK(prestige_array_init(d, 3, 0, &err));
  d->length = 3;
  off = prestige_buffer_alloc(4 * 4);
  off[0] = 0, off[1] = 1, off[2] = 2, off[3] = 3;
  data = prestige_buffer_alloc(3);
  memcpy(data, "xyz", 3);
  prestige_array_set_buffer(d, 1, off);
  prestige_array_set_buffer(d, 2, data);
  CHECK_OK(prestige_predicate_parse("k = 'x'", &p, &err));
  CHECK_OK(prestige_predicate_bind(p, &s, &b, &err));
  uint8_t sel[1];
  int64_t n;
  CHECK_ERR(prestige_bound_predicate_select(b, &a, sel, &n, &err), PRESTIGE_EINVAL, "dictionary index");
  a.release(&a);
  prestige_bound_predicate_free(b);
  prestige_predicate_free(p);
  prestige_schema_release(&s);
}

static prestige_column_stats_t ist(int64_t rows, int64_t nulls, int64_t lo, int64_t hi) {
  prestige_column_stats_t s;
  prestige_column_stats_init(&s);
  s.value_count = rows;
  s.null_count = nulls;
  s.has_min = s.has_max = true;
  s.min.i64 = lo;
  s.max.i64 = hi;
  return s;
}

static prestige_stats_match_t eval(const struct ArrowSchema *s, const char *text, const prestige_column_stats_t *st) {
  prestige_error_t err;
  prestige_predicate_t *p;
  prestige_bound_predicate_t *b;
  if (prestige_predicate_parse(text, &p, &err) || prestige_predicate_bind(p, s, &b, &err)) {
    fprintf(stderr, "%s: %s\n", text, err.message);
    return (prestige_stats_match_t)-1;
  }
  prestige_stats_match_t m = prestige_bound_predicate_eval_stats(b, st);
  prestige_bound_predicate_free(b);
  prestige_predicate_free(p);
  return m;
}

TEST(test_statistics) {
  struct ArrowSchema s;
  struct ArrowArray a;
  make_batch(&s, &a);
  a.release(&a);
  prestige_column_stats_t st[2];
  /* integers */
  st[0] = ist(100, 0, 10, 20);
  CHECK_EQ_INT(eval(&s, "i64 > 9.5", st), PRESTIGE_STATS_ALL);
  CHECK_EQ_INT(eval(&s, "NOT i64 > 9.5", st), PRESTIGE_STATS_NONE);
  CHECK_EQ_INT(eval(&s, "i64 = 15", st), PRESTIGE_STATS_SOME);
  CHECK_EQ_INT(eval(&s, "i64 = 21", st), PRESTIGE_STATS_NONE);
  CHECK_EQ_INT(eval(&s, "i64 != 21", st), PRESTIGE_STATS_ALL);
  CHECK_EQ_INT(eval(&s, "i64 IN (1, 2, 25)", st), PRESTIGE_STATS_NONE);
  CHECK_EQ_INT(eval(&s, "i64 IN (1, 12)", st), PRESTIGE_STATS_SOME);
  CHECK_EQ_INT(eval(&s, "i64 IS NULL", st), PRESTIGE_STATS_NONE);
  st[0] = ist(100, 3, 10, 20);
  CHECK_EQ_INT(eval(&s, "i64 > 9.5", st), PRESTIGE_STATS_SOME); /* the nulls are not true */
  CHECK_EQ_INT(eval(&s, "NOT i64 > 9.5", st), PRESTIGE_STATS_NONE);
  /* terms are judged one by one: that the nulls are exactly the rows IS NULL keeps is not seen */
  CHECK_EQ_INT(eval(&s, "i64 > 9.5 OR i64 IS NULL", st), PRESTIGE_STATS_SOME);
  st[0] = ist(100, 100, 0, 0);
  st[0].has_min = st[0].has_max = false;
  CHECK_EQ_INT(eval(&s, "i64 > 9.5", st), PRESTIGE_STATS_NONE);
  CHECK_EQ_INT(eval(&s, "NOT i64 > 9.5", st), PRESTIGE_STATS_NONE);
  CHECK_EQ_INT(eval(&s, "i64 IS NULL", st), PRESTIGE_STATS_ALL);
  st[0] = ist(0, 0, 0, 0);
  CHECK_EQ_INT(eval(&s, "i64 IS NULL OR i64 IS NOT NULL", st), PRESTIGE_STATS_NONE); /* no rows */
  st[0] = ist(100, -1, 0, 9);
  CHECK_EQ_INT(eval(&s, "i64 > 9.5", st), PRESTIGE_STATS_NONE);
  st[0].has_max = false;
  CHECK_EQ_INT(eval(&s, "i64 > 9.5", st), PRESTIGE_STATS_SOME);
  /* two columns (both unknown but for one) */
  st[0] = ist(100, 0, 0, 9);
  prestige_column_stats_init(&st[1]);
  CHECK_EQ_INT(eval(&s, "i64 > 9.5 AND s = 'x'", st), PRESTIGE_STATS_NONE);
  CHECK_EQ_INT(eval(&s, "i64 > 9.5 OR s = 'x'", st), PRESTIGE_STATS_SOME);
  st[1].null_count = 0;
  CHECK_EQ_INT(eval(&s, "i64 > 9.5 OR s IS NULL", st), PRESTIGE_STATS_NONE);
  /* unsigned above 2^63, decimals */
  prestige_column_stats_init(&st[0]);
  st[0].has_min = st[0].has_max = true;
  st[0].min.u64 = 9223372036854775808ULL;
  st[0].max.u64 = UINT64_MAX;
  CHECK_EQ_INT(eval(&s, "u64 > 9223372036854775807", st), PRESTIGE_STATS_SOME); /* null count unknown */
  st[0].null_count = 0;
  CHECK_EQ_INT(eval(&s, "u64 > 9223372036854775807", st), PRESTIGE_STATS_ALL);
  CHECK_EQ_INT(eval(&s, "u64 < 100", st), PRESTIGE_STATS_NONE);
  prestige_column_stats_init(&st[0]);
  st[0].null_count = 0;
  st[0].has_min = st[0].has_max = true;
  __int128 lo = 101, hi = 200;
  memcpy(st[0].min.decimal, &lo, 16);
  memcpy(st[0].max.decimal, &hi, 16);
  CHECK_EQ_INT(eval(&s, "dec > 1.005", st), PRESTIGE_STATS_ALL);
  CHECK_EQ_INT(eval(&s, "dec <= 1.005", st), PRESTIGE_STATS_NONE);
  CHECK_EQ_INT(eval(&s, "dec = 1.5", st), PRESTIGE_STATS_SOME);
  /* floats: NaN is greater than every bound, so only a known NaN count rules > out */
  prestige_column_stats_init(&st[0]);
  st[0].value_count = 10;
  st[0].null_count = 0;
  st[0].has_min = st[0].has_max = true;
  st[0].min.f64 = 0;
  st[0].max.f64 = 50;
  CHECK_EQ_INT(eval(&s, "f > 100", st), PRESTIGE_STATS_SOME);
  CHECK_EQ_INT(eval(&s, "f < -1", st), PRESTIGE_STATS_NONE); /* NaN is not smaller */
  CHECK_EQ_INT(eval(&s, "f != 100", st), PRESTIGE_STATS_ALL);
  CHECK_EQ_INT(eval(&s, "f = 'NaN'", st), PRESTIGE_STATS_SOME);
  st[0].nan_count = 0;
  CHECK_EQ_INT(eval(&s, "f > 100", st), PRESTIGE_STATS_NONE);
  CHECK_EQ_INT(eval(&s, "f = 'NaN'", st), PRESTIGE_STATS_NONE);
  CHECK_EQ_INT(eval(&s, "f <= 50", st), PRESTIGE_STATS_ALL);
  st[0].nan_count = 10; /* only NaN */
  st[0].has_min = st[0].has_max = false;
  CHECK_EQ_INT(eval(&s, "f > 1e308", st), PRESTIGE_STATS_ALL);
  CHECK_EQ_INT(eval(&s, "f <= 1e308", st), PRESTIGE_STATS_NONE);
  CHECK_EQ_INT(eval(&s, "f IN (1, 'NaN')", st), PRESTIGE_STATS_ALL);
  /* strings (truncated bounds are still bounds) and a single value */
  prestige_column_stats_init(&st[0]);
  st[0].null_count = 0;
  st[0].has_min = st[0].has_max = true;
  st[0].min.bytes = (const uint8_t *)"a";
  st[0].min.len = 1;
  st[0].max.bytes = (const uint8_t *)"k";
  st[0].max.len = 1;
  prestige_column_stats_init(&st[1]);
  CHECK_EQ_INT(eval(&s, "s = 'm'", st), PRESTIGE_STATS_NONE);
  CHECK_EQ_INT(eval(&s, "s > 'k'", st), PRESTIGE_STATS_NONE);
  CHECK_EQ_INT(eval(&s, "s >= 'k'", st), PRESTIGE_STATS_SOME);
  CHECK_EQ_INT(eval(&s, "s < 'zz'", st), PRESTIGE_STATS_ALL);
  st[0].max = st[0].min;
  CHECK_EQ_INT(eval(&s, "s IN ('a', 'b')", st), PRESTIGE_STATS_ALL);
  CHECK_EQ_INT(eval(&s, "s NOT IN ('a', 'b')", st), PRESTIGE_STATS_NONE);
  /* timestamps compare in the column's unit */
  st[0] = ist(10, 0, BASE_MS - 10, BASE_MS - 1);
  CHECK_EQ_INT(eval(&s, "tsz >= '2024-01-02'", st), PRESTIGE_STATS_NONE);
  CHECK_EQ_INT(eval(&s, "tsz < '2024-01-02T01:00:00+01:00'", st), PRESTIGE_STATS_ALL);
  prestige_schema_release(&s);
}

/* Fixed-size binary (2 buffers, no offsets) and a string batch whose producer left no data buffer. */
TEST(test_fixed_size_binary) {
  prestige_error_t err;
  struct ArrowSchema s;
  CHECK_OK(prestige_schema_init(&s, "+s", "", 0, &err));
  CHECK_OK(prestige_schema_allocate_children(&s, 2, &err));
  CHECK_OK(prestige_schema_init(s.children[0], "w:3", "k", 0, &err));
  CHECK_OK(prestige_schema_init(s.children[1], "u", "e", 0, &err));
  struct ArrowArray a;
  CHECK_OK(prestige_array_init(&a, 1, 2, &err));
  a.length = 3;
  CHECK_OK(prestige_array_init(a.children[0], 2, 0, &err));
  a.children[0]->length = 3;
  uint8_t *v = prestige_buffer_alloc(9);
  memcpy(v, "abcabdxyz", 9);
  prestige_array_set_buffer(a.children[0], 1, v);
  CHECK_OK(prestige_array_init(a.children[1], 3, 0, &err));
  a.children[1]->length = 3;
  int32_t *off = prestige_buffer_alloc(16);
  memset(off, 0, 16);
  prestige_array_set_buffer(a.children[1], 1, off); /* every value empty, no data buffer */
  CHECK_EQ_INT(select_rows(&s, &a, "k = 'abd'"), rows("1"));
  CHECK_EQ_INT(select_rows(&s, &a, "k >= 'abd'"), rows("1,2"));
  CHECK_EQ_INT(select_rows(&s, &a, "k IN ('xyz', 'abc', 'ab')"), rows("0,2"));
  CHECK_EQ_INT(select_rows(&s, &a, "e = ''"), rows("0,1,2"));
  CHECK_EQ_INT(select_rows(&s, &a, "e > 'a' OR k < 'b'"), rows("0,1"));
  a.release(&a);
  prestige_schema_release(&s);
}

TEST_MAIN(RUN(test_semantics); RUN(test_parse_and_bind_errors); RUN(test_filter_batches); RUN(test_dictionary);
          RUN(test_statistics); RUN(test_fixed_size_binary);)
