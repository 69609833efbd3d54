/* Logical types that survive: UUID, JSON, BSON, ENUM, INTERVAL and FLOAT16 written from Arrow
 * extension types, read back by prestige and by DuckDB, copied by `prestige convert`; the
 * interval checks of the writer; INT96 in every unit, against DuckDB and the corpus's own notes. */
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "core/buf.h"
#include "parquet/metadata.h"
#include "prestige/parquet_reader.h"
#include "prestige/parquet_writer.h"
#include "test.h"

/* ---- helpers ------------------------------------------------------------------------------- */
static uint64_t rng_state = 0x2545f4914f6cdd1dULL;
static uint64_t rnd(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return rng_state;
}
static uint32_t pick(uint32_t n) { return (uint32_t)(rnd() % n); }

/* growing SQL text */
typedef struct sb {
  char *s;
  size_t len, cap;
} sb_t;
static void sb_printf(sb_t *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (b->len + (size_t)n + 1 > b->cap) {
    b->cap = (b->len + (size_t)n + 1) * 2;
    b->s = realloc(b->s, b->cap);
  }
  va_start(ap, fmt);
  vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
  va_end(ap);
  b->len += (size_t)n;
}
static void sb_quoted(sb_t *b, const char *text) { /* SQL string literal */
  sb_printf(b, "'");
  for (const char *p = text; *p; p++) sb_printf(b, *p == '\'' ? "''" : "%c", *p);
  sb_printf(b, "'");
}

static void field(struct ArrowSchema *s, const char *format, const char *name, bool nullable, const char *ext) {
  prestige_error_t err;
  prestige_schema_init(s, format, name, nullable ? ARROW_FLAG_NULLABLE : 0, &err);
  if (ext) prestige_schema_set_extension(s, ext, NULL, &err);
}

static double half_value(uint16_t h) {
  int e = (h >> 10) & 0x1f, m = h & 0x3ff;
  double f = e == 0 ? ldexp(m, -24) : e == 31 ? (m ? NAN : INFINITY) : ldexp(m | 0x400, e - 25);
  return (h & 0x8000) ? -f : f;
}

/* element i of a and element j of b (indices relative to each array's offset) are equal */
static bool same_value(const struct ArrowSchema *s, const struct ArrowArray *a, int64_t i, const struct ArrowArray *b,
                       int64_t j) {
  bool va = prestige_array_is_valid(a, i), vb = prestige_array_is_valid(b, j);
  if (va != vb) return false;
  if (!va) return true;
  prestige_arrow_type_info_t t;
  if (prestige_arrow_type_parse(s->format, &t, NULL)) return false;
  int64_t ai = a->offset + i, bj = b->offset + j;
  switch (t.type) {
    case PRESTIGE_ARROW_STRING:
    case PRESTIGE_ARROW_BINARY: {
      const int32_t *oa = a->buffers[1], *ob = b->buffers[1];
      int32_t la = oa[ai + 1] - oa[ai], lb = ob[bj + 1] - ob[bj];
      return la == lb && !memcmp((const char *)a->buffers[2] + oa[ai], (const char *)b->buffers[2] + ob[bj], (size_t)la);
    }
    case PRESTIGE_ARROW_STRUCT:
      for (int64_t c = 0; c < s->n_children; c++)
        if (!same_value(s->children[c], a->children[c], ai, b->children[c], bj)) return false;
      return true;
    case PRESTIGE_ARROW_LIST: {
      const int32_t *oa = a->buffers[1], *ob = b->buffers[1];
      if (oa[ai + 1] - oa[ai] != ob[bj + 1] - ob[bj]) return false;
      for (int32_t k = 0; k < oa[ai + 1] - oa[ai]; k++)
        if (!same_value(s->children[0], a->children[0], oa[ai] + k, b->children[0], ob[bj] + k)) return false;
      return true;
    }
    default:
      return t.byte_width > 0 &&
             !memcmp((const uint8_t *)a->buffers[1] + ai * t.byte_width, (const uint8_t *)b->buffers[1] + bj * t.byte_width,
                     (size_t)t.byte_width);
  }
}

static bool same_schema(const struct ArrowSchema *a, const struct ArrowSchema *b) {
  if (strcmp(a->format, b->format) || strcmp(a->name, b->name) || a->n_children != b->n_children) return false;
  const char *na = "", *nb = "";
  int32_t la = 0, lb = 0;
  bool ea = prestige_schema_extension_name(a, &na, &la), eb = prestige_schema_extension_name(b, &nb, &lb);
  if (ea != eb || la != lb || memcmp(na, nb, (size_t)la)) return false;
  for (int64_t i = 0; i < a->n_children; i++)
    if (!same_schema(a->children[i], b->children[i])) return false;
  return true;
}

/* Reads every batch of path and checks it equals batch (one record batch with schema). */
static void check_reads_back(const char *path, const struct ArrowSchema *schema, const struct ArrowArray *batch) {
  prestige_error_t err;
  prestige_parquet_reader_t *r;
  CHECK_OK(prestige_parquet_reader_open_file(&r, path, NULL, &err));
  if (!r) return;
  struct ArrowArrayStream st;
  CHECK_OK(prestige_parquet_reader_stream(r, &st, &err));
  struct ArrowSchema got;
  CHECK_EQ_INT(st.get_schema(&st, &got), 0);
  CHECK_MSG(same_schema(&got, schema), "schema of %s differs", path);
  int64_t row = 0, bad = 0;
  for (;;) {
    struct ArrowArray b;
    if (st.get_next(&st, &b)) {
      CHECK_MSG(0, "get_next: %s", st.get_last_error(&st));
      break;
    }
    if (!b.release) break;
    for (int64_t i = 0; i < b.length; i++, row++)
      for (int64_t c = 0; c < schema->n_children; c++)
        if (row >= batch->length || !same_value(schema->children[c], b.children[c], i, batch->children[c], row)) {
          if (bad++ < 5) fprintf(stderr, "%s: row %lld column %s differs\n", path, (long long)row, schema->children[c]->name);
        }
    b.release(&b);
  }
  CHECK_EQ_INT(row, batch->length);
  CHECK_EQ_INT(bad, 0);
  prestige_schema_release(&got);
  st.release(&st);
}

static json_t *duck(const char *sql) {
  char *out = test_duckdb_json(sql);
  json_t *j = out ? json_loads(out, 0, NULL) : NULL;
  if (out && !j) fprintf(stderr, "unparsable DuckDB output: %.300s\n", out);
  free(out);
  return j;
}

/* Runs the CLI (the sanitizer build) and returns its exit status. */
static int cli(const char *args) {
  char cmd[4096];
  snprintf(cmd, sizeof(cmd), "%s/build/asan/prestige %s", test_root(), args);
  int st = system(cmd);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* ---- UUID, JSON, BSON, ENUM, INTERVAL, FLOAT16 ---------------------------------------------- */
#define NROWS 3000
static const char *ENUMS[] = {"red", "green", "blue", "\xc3\xbc" "n\xc3\xaf" "c\xc3\xb6" "d\xc3\xa9", "with space", "it's"};
static const uint16_t HALF_SPECIAL[] = {0x0000, 0x8000, 0x7c00, 0xfc00, 0x7e00, 0x0001, 0x03ff, 0x0400, 0x7bff, 0xfbff, 0x3c00};

typedef struct row {
  int u_null, j_null, b_null, e_null, i_null, h_null, lu_null, s_null, sj_null, siv_null;
  uint8_t u[16];
  char j[160], sj[64];
  uint8_t b[24];
  int b_len;
  const char *e;
  int32_t im, id, sm, sd;
  int64_t ins, sns;
  uint16_t h;
  int lu_n;
  int lu_el_null[3];
  uint8_t lu[3][16];
} row_t;

static void random_json(char *out, size_t n) {
  switch (pick(6)) {
    case 0: snprintf(out, n, "{\"k\":%u,\"s\":\"v%u\",\"a\":[%u,%u.5,true,null]}", pick(100000), pick(1000), pick(50), pick(50)); break;
    case 1: snprintf(out, n, "[%u,\"x\\\"y\",{\"n\":null},-%u]", pick(1000), pick(1000)); break;
    case 2: snprintf(out, n, "\"just a string \xc3\xa9 %u\"", pick(100)); break;
    case 3: snprintf(out, n, "%u", pick(1000000)); break;
    case 4: snprintf(out, n, "{\"nested\":{\"deep\":[[],{}]},\"u\":\"\\u00e9\",\"f\":%u.25}", pick(1000)); break;
    default: snprintf(out, n, "  {\"ws\" : %u }  ", pick(10)); break;
  }
}

static void random_rows(row_t *rows, int n) {
  for (int r = 0; r < n; r++) {
    row_t *x = &rows[r];
    memset(x, 0, sizeof(*x));
    x->u_null = pick(8) == 0, x->j_null = pick(8) == 0, x->b_null = pick(8) == 0, x->e_null = pick(8) == 0;
    x->i_null = pick(8) == 0, x->h_null = pick(8) == 0, x->lu_null = pick(6) == 0, x->s_null = pick(7) == 0;
    x->sj_null = pick(5) == 0, x->siv_null = pick(5) == 0;
    for (int k = 0; k < 16; k++) x->u[k] = (uint8_t)rnd();
    random_json(x->j, sizeof(x->j));
    random_json(x->sj, sizeof(x->sj));
    x->b_len = 5 + (int)pick(19);
    for (int k = 0; k < x->b_len; k++) x->b[k] = (uint8_t)rnd();
    x->e = ENUMS[pick(sizeof(ENUMS) / sizeof(ENUMS[0]))];
    x->im = (int32_t)pick(3000), x->id = (int32_t)pick(2000), x->ins = (int64_t)(rnd() % 4294967296ULL) * 1000000;
    x->sm = (int32_t)pick(30), x->sd = (int32_t)pick(60), x->sns = (int64_t)pick(86400000) * 1000000;
    x->h = pick(4) == 0 ? HALF_SPECIAL[pick(sizeof(HALF_SPECIAL) / sizeof(HALF_SPECIAL[0]))] : (uint16_t)(rnd() & 0xffff);
    if (((x->h >> 10) & 0x1f) == 31 && (x->h & 0x3ff)) x->h = (uint16_t)((x->h & 0x8000) | 0x7e00); /* one NaN form */
    x->lu_n = (int)pick(4);
    for (int k = 0; k < x->lu_n; k++) {
      x->lu_el_null[k] = pick(5) == 0;
      for (int q = 0; q < 16; q++) x->lu[k][q] = (uint8_t)rnd();
    }
  }
}

static void logical_schema(struct ArrowSchema *s) {
  prestige_error_t err;
  prestige_schema_init(s, "+s", "", 0, &err);
  prestige_schema_allocate_children(s, 9, &err);
  field(s->children[0], "i", "id", false, NULL);
  field(s->children[1], "w:16", "u", true, PRESTIGE_EXTENSION_UUID);
  field(s->children[2], "u", "j", true, PRESTIGE_EXTENSION_JSON);
  field(s->children[3], "z", "b", true, PRESTIGE_EXTENSION_BSON);
  field(s->children[4], "u", "e", true, PRESTIGE_EXTENSION_ENUM);
  field(s->children[5], "tin", "i", true, NULL);
  field(s->children[6], "e", "h", true, NULL);
  field(s->children[7], "+l", "lu", true, NULL);
  prestige_schema_allocate_children(s->children[7], 1, &err);
  field(s->children[7]->children[0], "w:16", "element", true, PRESTIGE_EXTENSION_UUID);
  field(s->children[8], "+s", "s", true, NULL);
  prestige_schema_allocate_children(s->children[8], 2, &err);
  field(s->children[8]->children[0], "u", "js", true, PRESTIGE_EXTENSION_JSON);
  field(s->children[8]->children[1], "tin", "iv", true, NULL);
}

static void build_batch(const struct ArrowSchema *schema, const row_t *rows, int n, struct ArrowArray *out) {
  prestige_error_t err;
  prestige_array_builder_t *b;
  CHECK_OK(prestige_array_builder_new(&b, schema, &err));
  prestige_array_builder_t *c[9];
  for (int k = 0; k < 9; k++) c[k] = prestige_array_builder_child(b, k);
  prestige_array_builder_t *lu_el = prestige_array_builder_child(c[7], 0);
  prestige_array_builder_t *sj = prestige_array_builder_child(c[8], 0), *siv = prestige_array_builder_child(c[8], 1);
  int rc = 0;
  for (int r = 0; r < n && !rc; r++) {
    const row_t *x = &rows[r];
    rc |= prestige_array_builder_append_int(c[0], r, &err);
    rc |= x->u_null ? prestige_array_builder_append_null(c[1], &err) : prestige_array_builder_append_bytes(c[1], x->u, 16, &err);
    rc |= x->j_null ? prestige_array_builder_append_null(c[2], &err)
                    : prestige_array_builder_append_bytes(c[2], x->j, (int64_t)strlen(x->j), &err);
    rc |= x->b_null ? prestige_array_builder_append_null(c[3], &err) : prestige_array_builder_append_bytes(c[3], x->b, x->b_len, &err);
    rc |= x->e_null ? prestige_array_builder_append_null(c[4], &err)
                    : prestige_array_builder_append_bytes(c[4], x->e, (int64_t)strlen(x->e), &err);
    rc |= x->i_null ? prestige_array_builder_append_null(c[5], &err)
                    : prestige_array_builder_append_interval(c[5], x->im, x->id, x->ins, &err);
    rc |= x->h_null ? prestige_array_builder_append_null(c[6], &err)
                    : prestige_array_builder_append_double(c[6], half_value(x->h), &err);
    if (x->lu_null) {
      rc |= prestige_array_builder_append_null(c[7], &err);
    } else {
      for (int k = 0; k < x->lu_n; k++)
        rc |= x->lu_el_null[k] ? prestige_array_builder_append_null(lu_el, &err)
                               : prestige_array_builder_append_bytes(lu_el, x->lu[k], 16, &err);
      rc |= prestige_array_builder_append_list(c[7], &err);
    }
    if (x->s_null) {
      rc |= prestige_array_builder_append_null(c[8], &err);
    } else {
      rc |= x->sj_null ? prestige_array_builder_append_null(sj, &err)
                       : prestige_array_builder_append_bytes(sj, x->sj, (int64_t)strlen(x->sj), &err);
      rc |= x->siv_null ? prestige_array_builder_append_null(siv, &err)
                        : prestige_array_builder_append_interval(siv, x->sm, x->sd, x->sns, &err);
      rc |= prestige_array_builder_append_struct(c[8], &err);
    }
    rc |= prestige_array_builder_append_struct(b, &err);
  }
  CHECK_MSG(rc == 0, "building the batch: %s", err.message);
  CHECK_OK(prestige_array_builder_finish(b, out, &err));
  prestige_array_builder_free(b);
}

static void sql_uuid(sb_t *q, const uint8_t *u) {
  char text[37];
  prestige_uuid_format(u, text);
  sb_printf(q, "'%s'::UUID", text);
}

static void sql_interval(sb_t *q, int32_t m, int32_t d, int64_t ns) {
  sb_printf(q, "(to_months(%d) + to_days(%d) + to_microseconds(%lld))::VARCHAR", m, d, (long long)(ns / 1000));
}

/* A VALUES list of what each row must read as in DuckDB (intervals as DuckDB's text, so that
 * 30 days never passes for a month; JSON as its exact text). */
static void expected_values(sb_t *q, const row_t *rows, int n) {
  sb_printf(q, "(VALUES ");
  for (int r = 0; r < n; r++) {
    const row_t *x = &rows[r];
    sb_printf(q, "%s(%d, ", r ? ", " : "", r);
    if (x->u_null) sb_printf(q, "NULL::UUID");
    else sql_uuid(q, x->u);
    sb_printf(q, ", ");
    if (x->j_null) sb_printf(q, "NULL::VARCHAR");
    else sb_quoted(q, x->j);
    sb_printf(q, ", ");
    if (x->b_null) sb_printf(q, "NULL::BLOB");
    else {
      sb_printf(q, "from_hex('");
      for (int k = 0; k < x->b_len; k++) sb_printf(q, "%02x", x->b[k]);
      sb_printf(q, "')");
    }
    sb_printf(q, ", ");
    if (x->e_null) sb_printf(q, "NULL::VARCHAR");
    else sb_quoted(q, x->e);
    sb_printf(q, ", ");
    if (x->i_null) sb_printf(q, "NULL::VARCHAR");
    else sql_interval(q, x->im, x->id, x->ins);
    sb_printf(q, ", ");
    double h = half_value(x->h);
    if (x->h_null) sb_printf(q, "NULL::FLOAT");
    else if (isnan(h)) sb_printf(q, "'nan'::FLOAT");
    else if (isinf(h)) sb_printf(q, "'%sinf'::FLOAT", h < 0 ? "-" : "");
    else sb_printf(q, "'%.17g'::FLOAT", h); /* from text: DuckDB's DECIMAL -> FLOAT cast rounds badly */
    sb_printf(q, ", ");
    if (x->lu_null) sb_printf(q, "NULL::UUID[]");
    else {
      sb_printf(q, "[");
      for (int k = 0; k < x->lu_n; k++) {
        if (k) sb_printf(q, ", ");
        if (x->lu_el_null[k]) sb_printf(q, "NULL::UUID");
        else sql_uuid(q, x->lu[k]);
      }
      sb_printf(q, "]::UUID[]");
    }
    sb_printf(q, ", %s, ", x->s_null ? "true" : "false");
    if (x->s_null || x->sj_null) sb_printf(q, "NULL::VARCHAR");
    else sb_quoted(q, x->sj);
    sb_printf(q, ", ");
    if (x->s_null || x->siv_null) sb_printf(q, "NULL::VARCHAR");
    else sql_interval(q, x->sm, x->sd, x->sns);
    sb_printf(q, ")");
  }
  sb_printf(q, ") e(id, u, j, b, en, i, h, lu, s_null, sj, siv)");
}

static void check_duckdb_values(const char *path, const row_t *rows, int n) {
  sb_t q = {0};
  sb_printf(&q, "SELECT p.id FROM read_parquet('%s') p FULL JOIN ", path);
  expected_values(&q, rows, n);
  sb_printf(&q, " ON p.id = e.id WHERE p.id IS NULL OR e.id IS NULL OR NOT ("
                "p.u IS NOT DISTINCT FROM e.u AND p.j::VARCHAR IS NOT DISTINCT FROM e.j AND p.b IS NOT DISTINCT FROM e.b "
                "AND p.e IS NOT DISTINCT FROM e.en AND p.i::VARCHAR IS NOT DISTINCT FROM e.i AND p.h IS NOT DISTINCT FROM e.h "
                "AND p.lu IS NOT DISTINCT FROM e.lu AND (p.s IS NULL) = e.s_null "
                "AND p.s.js::VARCHAR IS NOT DISTINCT FROM e.sj AND p.s.iv::VARCHAR IS NOT DISTINCT FROM e.siv) "
                "ORDER BY 1 LIMIT 5");
  json_t *bad = duck(q.s);
  CHECK_MSG(bad && json_array_size(bad) == 0, "%s: DuckDB reads other values (first ids: %s)", path,
            bad ? json_dumps(bad, JSON_COMPACT) : "query failed");
  json_decref(bad);
  free(q.s);
}

/* DuckDB's type of every column, and the annotations of the leaves in the Parquet schema. */
static void check_duckdb_types(const char *path) {
  char sql[2048];
  snprintf(sql, sizeof(sql),
           "SELECT typeof(u) u, typeof(j) j, typeof(b) b, typeof(e) e, typeof(i) i, typeof(h) h, typeof(lu) lu, "
           "typeof(s) s FROM read_parquet('%s') LIMIT 1", path);
  json_t *t = duck(sql);
  json_t *row = json_array_get(t, 0);
  const char *want[][2] = {{"u", "UUID"},  {"j", "JSON"},  {"b", "BLOB"},     {"e", "VARCHAR"},
                           {"i", "INTERVAL"}, {"h", "FLOAT"}, {"lu", "UUID[]"}, {"s", "STRUCT(js JSON, iv INTERVAL)"}};
  for (size_t k = 0; k < sizeof(want) / sizeof(want[0]); k++)
    CHECK_EQ_STR(json_string_value(json_object_get(row, want[k][0])), want[k][1]);
  json_decref(t);
  snprintf(sql, sizeof(sql),
           "SELECT name, type, type_length::VARCHAR tl, converted_type ct, logical_type lt FROM parquet_schema('%s') "
           "WHERE type IS NOT NULL ORDER BY name", path);
  t = duck(sql);
  const char *leaves[][5] = {
      {"b", "BYTE_ARRAY", "", "", "Bson"},        {"e", "BYTE_ARRAY", "", "ENUM", "Enum"},
      {"element", "FIXED_LEN_BYTE_ARRAY", "16", "", "UUID"}, {"h", "FIXED_LEN_BYTE_ARRAY", "2", "", "Float16"},
      {"i", "FIXED_LEN_BYTE_ARRAY", "12", "INTERVAL", ""}, {"id", "INT32", "", "", ""},
      {"iv", "FIXED_LEN_BYTE_ARRAY", "12", "INTERVAL", ""}, {"j", "BYTE_ARRAY", "", "JSON", "Json"},
      {"js", "BYTE_ARRAY", "", "JSON", "Json"},          {"u", "FIXED_LEN_BYTE_ARRAY", "16", "", "UUID"},
  };
  CHECK_EQ_INT(json_array_size(t), sizeof(leaves) / sizeof(leaves[0]));
  for (size_t k = 0; k < json_array_size(t) && k < sizeof(leaves) / sizeof(leaves[0]); k++) {
    json_t *r = json_array_get(t, k);
    const char *got[5];
    const char *keys[] = {"name", "type", "tl", "ct", "lt"};
    for (int f = 0; f < 5; f++) got[f] = json_is_string(json_object_get(r, keys[f])) ? json_string_value(json_object_get(r, keys[f])) : "";
    CHECK_EQ_STR(got[0], leaves[k][0]);
    CHECK_EQ_STR(got[1], leaves[k][1]);
    CHECK_EQ_STR(got[2], leaves[k][2]);
    CHECK_EQ_STR(got[3], leaves[k][3]);
    CHECK_MSG(leaves[k][4][0] ? strstr(got[4], leaves[k][4]) != NULL : !got[4][0], "%s: logical type %s", got[0], got[4]);
  }
  json_decref(t);
}

TEST(test_logical_types_round_trip) {
  prestige_error_t err;
  static row_t rows[NROWS];
  random_rows(rows, NROWS);
  struct ArrowSchema schema;
  logical_schema(&schema);
  struct ArrowArray batch;
  build_batch(&schema, rows, NROWS, &batch);
  char src[1024], dst[1024], args[3000];
  snprintf(src, sizeof(src), "%s/logical.parquet", test_tmpdir());
  snprintf(dst, sizeof(dst), "%s/logical-copy.parquet", test_tmpdir());
  prestige_parquet_writer_options_t o;
  prestige_parquet_writer_options_init(&o);
  o.row_group_rows = 1000;
  prestige_parquet_writer_t *w;
  CHECK_OK(prestige_parquet_writer_open_file(&w, src, &schema, &o, &err));
  CHECK_OK(prestige_parquet_writer_write(w, &batch, &err));
  CHECK_OK(prestige_parquet_writer_close(w, NULL, &err));
  /* prestige reads the types and values it wrote; DuckDB reads the annotations as its own types */
  check_reads_back(src, &schema, &batch);
  check_duckdb_types(src);
  check_duckdb_values(src, rows, NROWS);
  /* convert copies them: same Parquet schema, same DuckDB types and values, same Arrow schema */
  snprintf(args, sizeof(args), "convert '%s' '%s' --quiet --row-group-rows 700", src, dst);
  CHECK_EQ_INT(cli(args), 0);
  check_reads_back(dst, &schema, &batch);
  check_duckdb_types(dst);
  check_duckdb_values(dst, rows, NROWS);
  char sql[4096];
  snprintf(sql, sizeof(sql),
           "SELECT count(*)::INT n FROM (SELECT name, type, type_length, repetition_type, converted_type, logical_type "
           "FROM parquet_schema('%s') EXCEPT SELECT name, type, type_length, repetition_type, converted_type, logical_type "
           "FROM parquet_schema('%s'))", src, dst);
  json_t *t = duck(sql);
  CHECK_EQ_INT(json_integer_value(json_object_get(json_array_get(t, 0), "n")), 0);
  json_decref(t);
  batch.release(&batch);
  prestige_schema_release(&schema);
}

/* The ARROW:schema footer carries the extension metadata, so Arrow readers see arrow.uuid:
 * checked with Arrow's JavaScript implementation. Field metadata prestige does not interpret
 * (another extension, a comment) comes back from it on reading. */
TEST(test_arrow_schema_footer) {
  prestige_error_t err;
  struct ArrowSchema s;
  prestige_schema_init(&s, "+s", "", 0, &err);
  prestige_schema_allocate_children(&s, 4, &err);
  field(s.children[0], "w:16", "id", false, PRESTIGE_EXTENSION_UUID);
  field(s.children[1], "z", "geom", true, "geoarrow.wkb");
  prestige_schema_metadata_put(s.children[1], PRESTIGE_EXTENSION_METADATA_KEY, "{\"crs\":\"OGC:CRS84\"}", -1, &err);
  prestige_schema_metadata_put(s.children[1], "comment", "kept", -1, &err);
  field(s.children[2], "e", "half", true, NULL);
  field(s.children[3], "u", "doc", true, PRESTIGE_EXTENSION_JSON);
  prestige_schema_metadata_put(s.children[3], "PARQUET:field_id", "42", -1, &err);
  prestige_array_builder_t *b;
  CHECK_OK(prestige_array_builder_new(&b, &s, &err));
  uint8_t id[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
  CHECK_OK(prestige_array_builder_append_bytes(prestige_array_builder_child(b, 0), id, 16, &err));
  CHECK_OK(prestige_array_builder_append_bytes(prestige_array_builder_child(b, 1), "\x01\x01", 2, &err));
  CHECK_OK(prestige_array_builder_append_double(prestige_array_builder_child(b, 2), -2.5, &err));
  CHECK_OK(prestige_array_builder_append_bytes(prestige_array_builder_child(b, 3), "{}", 2, &err));
  CHECK_OK(prestige_array_builder_append_struct(b, &err));
  struct ArrowArray batch;
  CHECK_OK(prestige_array_builder_finish(b, &batch, &err));
  prestige_array_builder_free(b);
  char path[1024];
  snprintf(path, sizeof(path), "%s/footer.parquet", test_tmpdir());
  prestige_parquet_writer_t *w;
  CHECK_OK(prestige_parquet_writer_open_file(&w, path, &s, NULL, &err));
  CHECK_OK(prestige_parquet_writer_write(w, &batch, &err));
  CHECK_OK(prestige_parquet_writer_close(w, NULL, &err));
  batch.release(&batch);
  prestige_parquet_reader_t *r;
  CHECK_OK(prestige_parquet_reader_open_file(&r, path, NULL, &err));
  const uint8_t *v;
  int32_t len;
  CHECK(r && prestige_parquet_reader_metadata(r, "ARROW:schema", &v, &len));
  char b64[1024];
  snprintf(b64, sizeof(b64), "%s/footer.b64", test_tmpdir());
  FILE *f = fopen(b64, "w");
  fwrite(v, 1, (size_t)len, f);
  fclose(f);
  struct ArrowSchema got;
  CHECK_OK(prestige_parquet_reader_schema(r, &got, &err));
  prestige_parquet_reader_close(r);
  CHECK(same_schema(&got, &s));
  const char *mv;
  int32_t ml;
  CHECK(prestige_metadata_get(got.children[1]->metadata, "comment", &mv, &ml) && ml == 4 && !memcmp(mv, "kept", 4));
  CHECK(prestige_metadata_get(got.children[1]->metadata, PRESTIGE_EXTENSION_METADATA_KEY, &mv, &ml) &&
        (size_t)ml == strlen("{\"crs\":\"OGC:CRS84\"}") && !memcmp(mv, "{\"crs\"", 6));
  CHECK(prestige_metadata_get(got.children[3]->metadata, "PARQUET:field_id", &mv, &ml) && ml == 2 && !memcmp(mv, "42", 2));
  prestige_schema_release(&got);
  char cmd[3000];
  snprintf(cmd, sizeof(cmd), "node %s/tests/arrow/arrow_js_schema.mjs %s", test_root(), b64);
  FILE *p = popen(cmd, "r");
  char out[16384];
  size_t n = fread(out, 1, sizeof(out) - 1, p);
  out[n] = 0;
  CHECK_EQ_INT(pclose(p), 0);
  json_t *js = json_loads(out, 0, NULL);
  json_t *fields = json_object_get(js, "fields");
  CHECK_EQ_INT(json_array_size(fields), 4);
  json_t *f0 = json_array_get(fields, 0), *f1 = json_array_get(fields, 1), *f2 = json_array_get(fields, 2);
  CHECK_EQ_STR(json_string_value(json_object_get(f0, "type")), "FixedSizeBinary[16]");
  CHECK_EQ_STR(json_string_value(json_object_get(json_object_get(f0, "metadata"), "ARROW:extension:name")), "arrow.uuid");
  CHECK_EQ_STR(json_string_value(json_object_get(json_object_get(f1, "metadata"), "ARROW:extension:name")), "geoarrow.wkb");
  CHECK_EQ_STR(json_string_value(json_object_get(f2, "type")), "Float16");
  CHECK_EQ_STR(json_string_value(json_object_get(json_object_get(json_array_get(fields, 3), "metadata"), "ARROW:extension:name")),
               "arrow.json");
  json_decref(js);
  prestige_schema_release(&s);
}

TEST(test_extension_on_wrong_storage) {
  prestige_error_t err;
  struct ArrowSchema s;
  prestige_schema_init(&s, "+s", "", 0, &err);
  prestige_schema_allocate_children(&s, 1, &err);
  field(s.children[0], "u", "token", true, PRESTIGE_EXTENSION_UUID);
  char path[1024];
  snprintf(path, sizeof(path), "%s/wrong.parquet", test_tmpdir());
  prestige_parquet_writer_t *w = NULL;
  CHECK_ERR(prestige_parquet_writer_open_file(&w, path, &s, NULL, &err), PRESTIGE_EINVAL, "field \"token\"");
  CHECK(strstr(err.message, "arrow.uuid") && strstr(err.message, "utf8"));
  struct stat st;
  CHECK(stat(path, &st) != 0); /* nothing left behind */
  prestige_schema_release(&s);
}

/* ---- INTERVAL: what Parquet cannot hold is refused before the writer takes the batch ------- */
/* Rows of {flat interval, list of [1 month 1 day 1 ms, the value]}; nested_only puts a good
 * value in the flat column. */
static void interval_batch(const struct ArrowSchema *s, const int64_t (*vals)[3], const bool *nulls, int n, bool nested_only,
                           struct ArrowArray *out) {
  prestige_error_t err;
  prestige_array_builder_t *b;
  prestige_array_builder_new(&b, s, &err);
  prestige_array_builder_t *flat = prestige_array_builder_child(b, 0), *list = prestige_array_builder_child(b, 1);
  prestige_array_builder_t *el = prestige_array_builder_child(list, 0);
  for (int r = 0; r < n; r++) {
    if (nulls[r]) prestige_array_builder_append_null(flat, &err);
    else if (nested_only) prestige_array_builder_append_interval(flat, 2, 0, 0, &err);
    else prestige_array_builder_append_interval(flat, (int32_t)vals[r][0], (int32_t)vals[r][1], vals[r][2], &err);
    prestige_array_builder_append_interval(el, 1, 1, 1000000, &err);
    if (nulls[r]) prestige_array_builder_append_null(el, &err);
    else prestige_array_builder_append_interval(el, (int32_t)vals[r][0], (int32_t)vals[r][1], vals[r][2], &err);
    prestige_array_builder_append_list(list, &err);
    prestige_array_builder_append_struct(b, &err);
  }
  CHECK_OK(prestige_array_builder_finish(b, out, &err));
  prestige_array_builder_free(b);
}

TEST(test_interval_write_checks) {
  prestige_error_t err;
  struct ArrowSchema s;
  prestige_schema_init(&s, "+s", "", 0, &err);
  prestige_schema_allocate_children(&s, 2, &err);
  field(s.children[0], "tin", "flat", true, NULL);
  field(s.children[1], "+l", "nested", true, NULL);
  prestige_schema_allocate_children(s.children[1], 1, &err);
  field(s.children[1]->children[0], "tin", "element", true, NULL);
  char path[1024];
  snprintf(path, sizeof(path), "%s/intervals.parquet", test_tmpdir());
  prestige_parquet_writer_t *w;
  CHECK_OK(prestige_parquet_writer_open_file(&w, path, &s, NULL, &err));
  /* the largest Parquet INTERVAL: every field at 2^32 - 1 would not fit Arrow's int32 months */
  const int64_t good[3][3] = {{0, 0, 0}, {14, 3, 4294967295LL * 1000000}, {5, 0, 1000000}};
  const bool no_nulls[3] = {false, false, false}, last_null[3] = {false, false, true};
  struct ArrowArray a;
  interval_batch(&s, good, last_null, 3, false, &a);
  CHECK_OK(prestige_parquet_writer_write(w, &a, &err));
  a.release(&a);
  struct {
    int64_t v[3][3];
    bool nested_only;
    int row;
    const char *col, *why;
  } bad[] = {
      {{{1, 0, 0}, {-1, 0, 0}, {0, 0, 0}}, false, 1, "column \"flat\"", "negative"},
      {{{1, 0, 0}, {1, 0, 0}, {0, 2, 1500}}, false, 2, "column \"flat\"", "finer than a millisecond"},
      {{{1, 0, 0}, {0, -3, 0}, {0, 0, 0}}, false, 1, "column \"flat\"", "negative"},
      {{{1, 0, 0}, {0, 0, 4294967296LL * 1000000}, {0, 0, 0}}, false, 1, "column \"flat\"", "more milliseconds"},
      {{{1, 0, 0}, {1, 0, 0}, {0, 0, -5000000}}, true, 2, "column \"nested.list.element\"", "negative"},
  };
  for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
    interval_batch(&s, (const int64_t(*)[3])bad[k].v, no_nulls, 3, bad[k].nested_only, &a);
    CHECK_ERR(prestige_parquet_writer_write(w, &a, &err), PRESTIGE_ETYPE, bad[k].why);
    char at[32];
    snprintf(at, sizeof(at), "at row %d", bad[k].row);
    CHECK_MSG(strstr(err.message, bad[k].col) && strstr(err.message, at), "%s", err.message);
    /* the rows before the bad one go in: the refused batch left the writer usable */
    CHECK_OK(prestige_parquet_writer_write_slice(w, &a, 0, bad[k].row, &err));
    a.release(&a);
  }
  CHECK_OK(prestige_parquet_writer_close(w, NULL, &err));
  /* 3 good rows, then 1 + 2 + 1 + 1 + 2 rows of the slices */
  char sql[2048];
  snprintf(sql, sizeof(sql),
           "SELECT count(*)::INT n, string_agg(coalesce(flat::VARCHAR, 'NULL'), '|') f, "
           "string_agg(nested::VARCHAR, '|') l, typeof(any_value(nested)) t FROM read_parquet('%s')", path);
  json_t *t = duck(sql);
  json_t *r0 = json_array_get(t, 0);
  char big[96], want[512];
  prestige_interval_format(14, 3, 4294967295LL * 1000000, big, sizeof(big));
  CHECK_EQ_INT(json_integer_value(json_object_get(r0, "n")), 10);
  snprintf(want, sizeof(want), "00:00:00|%s|NULL|1 month|1 month|1 month|1 month|1 month|2 months|2 months", big);
  CHECK_EQ_STR(json_string_value(json_object_get(r0, "f")), want);
  CHECK_EQ_STR(json_string_value(json_object_get(r0, "t")), "INTERVAL[]");
  const char *l = json_string_value(json_object_get(r0, "l"));
  snprintf(want, sizeof(want), "['1 month 1 day 00:00:00.001', '00:00:00']|['1 month 1 day 00:00:00.001', '%s']|"
           "['1 month 1 day 00:00:00.001', NULL]|['1 month 1 day 00:00:00.001', 1 month]", big);
  CHECK_MSG(l && !strncmp(l, want, strlen(want)), "%s", l ? l : "(null)");
  json_decref(t);
  prestige_schema_release(&s);
}

/* ---- files with annotations prestige does not write: patch a footer --------------------------- */
/* Writes `name` (one FIXED_LEN_BYTE_ARRAY(12) column "a", nullable, no dictionary) with row groups
 * of the given raw values (NULL for a null), then rewrites its footer through fix(). */
static void write_raw12(const char *path, const uint8_t (*vals)[12], const int *nulls, const int *rg_sizes, int n_rgs,
                        void (*fix)(pq_file_metadata_t *)) {
  prestige_error_t err;
  struct ArrowSchema s;
  prestige_schema_init(&s, "+s", "", 0, &err);
  prestige_schema_allocate_children(&s, 1, &err);
  field(s.children[0], "w:12", "a", true, NULL);
  prestige_parquet_writer_options_t o;
  prestige_parquet_writer_options_init(&o);
  o.dictionary = false;
  o.store_arrow_schema = false;
  char tmp[1100];
  snprintf(tmp, sizeof(tmp), "%s.raw", path);
  prestige_parquet_writer_t *w;
  CHECK_OK(prestige_parquet_writer_open_file(&w, tmp, &s, &o, &err));
  int at = 0;
  for (int g = 0; g < n_rgs; g++) {
    prestige_array_builder_t *b;
    prestige_array_builder_new(&b, &s, &err);
    for (int k = 0; k < rg_sizes[g]; k++, at++) {
      if (nulls[at]) prestige_array_builder_append_null(prestige_array_builder_child(b, 0), &err);
      else prestige_array_builder_append_bytes(prestige_array_builder_child(b, 0), vals[at], 12, &err);
      prestige_array_builder_append_struct(b, &err);
    }
    struct ArrowArray a;
    CHECK_OK(prestige_array_builder_finish(b, &a, &err));
    prestige_array_builder_free(b);
    CHECK_OK(prestige_parquet_writer_write(w, &a, &err));
    CHECK_OK(prestige_parquet_writer_flush_row_group(w, &err));
    a.release(&a);
  }
  CHECK_OK(prestige_parquet_writer_close(w, NULL, &err));
  prestige_schema_release(&s);
  /* the footer: decode, fix, encode in place of the old one */
  FILE *f = fopen(tmp, "rb");
  fseek(f, 0, SEEK_END);
  long size = ftell(f);
  uint8_t *data = malloc((size_t)size);
  fseek(f, 0, SEEK_SET);
  CHECK_EQ_INT(fread(data, 1, (size_t)size, f), size);
  fclose(f);
  uint32_t flen;
  memcpy(&flen, data + size - 8, 4);
  arena_t a = ARENA_INIT;
  pq_file_metadata_t m;
  CHECK_OK(pq_file_metadata_decode(data + size - 8 - flen, flen, &a, &m, &err));
  fix(&m);
  buf_t footer = BUF_INIT;
  CHECK_OK(pq_file_metadata_encode(&m, &footer, &err));
  f = fopen(path, "wb");
  fwrite(data, 1, (size_t)(size - 8 - flen), f);
  fwrite(footer.data, 1, footer.len, f);
  uint32_t nl = (uint32_t)footer.len;
  fwrite(&nl, 4, 1, f);
  fwrite("PAR1", 1, 4, f);
  fclose(f);
  buf_release(&footer);
  arena_release(&a);
  free(data);
  unlink(tmp);
}

static void make_int96(pq_file_metadata_t *m) {
  m->schema[1].type = PRESTIGE_PHYSICAL_INT96;
  m->schema[1].has_type_length = false;
  for (int32_t g = 0; g < m->n_row_groups; g++) {
    m->row_groups[g].columns[0].meta_data->type = PRESTIGE_PHYSICAL_INT96;
    m->row_groups[g].columns[0].meta_data->statistics = NULL; /* INT96 has no defined order */
    m->row_groups[g].columns[0].has_column_index = false;
    m->row_groups[g].columns[0].has_offset_index = false;
  }
}

static void make_interval(pq_file_metadata_t *m) {
  m->schema[1].has_converted_type = true;
  m->schema[1].converted_type = PQ_CT_INTERVAL;
  for (int32_t g = 0; g < m->n_row_groups; g++) m->row_groups[g].columns[0].meta_data->statistics = NULL;
}

static void int96(uint8_t out[12], int32_t julian_day, int64_t nanos) {
  memcpy(out, &nanos, 8);
  memcpy(out + 8, &julian_day, 4);
}

/* Reads row group g of path with int96_unit; values into out (INT64_MIN + 1 marks a null). */
static int read_int96(const char *path, prestige_int96_unit_t unit, int32_t g, int64_t *out, int n, char *fmt,
                      prestige_error_t *err) {
  prestige_parquet_reader_options_t o;
  prestige_parquet_reader_options_init(&o);
  o.int96_unit = unit;
  o.row_groups = &g;
  o.n_row_groups = 1;
  prestige_parquet_reader_t *r;
  PRESTIGE_TRY(prestige_parquet_reader_open_file(&r, path, &o, err));
  struct ArrowSchema s;
  int rc = prestige_parquet_reader_schema(r, &s, err);
  if (!rc) snprintf(fmt, 16, "%s", s.children[0]->format), prestige_schema_release(&s);
  struct ArrowArray a = {0};
  if (!rc) rc = prestige_parquet_reader_read_row_group(r, 0, &a, err);
  for (int i = 0; !rc && i < n && i < a.length; i++)
    out[i] = prestige_array_is_valid(a.children[0], i) ? ((const int64_t *)a.children[0]->buffers[1])[a.children[0]->offset + i]
                                                       : INT64_MIN + 1;
  if (!rc && a.length != n) rc = prestige_error_set(err, PRESTIGE_EINTERNAL, "%lld rows, wanted %d", (long long)a.length, n);
  if (a.release) a.release(&a);
  prestige_parquet_reader_close(r);
  return rc;
}

#define NUL (INT64_MIN + 1)

TEST(test_int96_units) {
  prestige_error_t err;
  char path[1024], fmt[16];
  snprintf(path, sizeof(path), "%s/int96.parquet", test_tmpdir());
  uint8_t v[12][12];
  int nulls[12] = {0};
  /* row group 0: inside the nanosecond range */
  int96(v[0], 2460311, 74096123456000LL);             /* 2024-01-01 20:34:56.123456 (Spark) */
  nulls[1] = 1;
  int96(v[2], 2440588, 1);                            /* 1970-01-01 + 1 ns */
  int96(v[3], 2440587, 86399999999999LL);             /* 1 ns before the epoch */
  int96(v[4], 2440588 + 106751, 85636854775807LL);    /* INT64_MAX ns: 2262-04-11 23:47:16.854775807 */
  int96(v[5], 2440588 - 106752, 763145224192LL);      /* INT64_MIN ns: 1677-09-21 00:12:43.145224192 */
  /* row group 1: microseconds only */
  int96(v[6], 5373484, 10800000000000LL);             /* 9999-12-31 03:00 */
  int96(v[7], 1721426, 0);                            /* 0001-01-01 */
  int96(v[8], -105862232, -32509551616000LL);         /* Spark's overflowed 290000-12-30 23:00 */
  int96(v[9], 2440588 + 106751, 85636854775808LL);    /* INT64_MAX + 1 ns */
  nulls[10] = 1;
  /* row group 2: beyond microseconds, within milliseconds */
  int96(v[11], INT32_MAX, 0);
  int sizes[3] = {6, 5, 1};
  write_raw12(path, (const uint8_t(*)[12])v, nulls, sizes, 3, make_int96);

  int64_t got[6];
  const int64_t us0[6] = {1704141296123456LL, NUL, 0, -1, 9223372036854775LL, -9223372036854776LL};
  const int64_t us1[5] = {253402225200000000LL, -62135596800000000LL, 9089380393200000000LL, 9223372036854775LL, NUL};
  CHECK_OK(read_int96(path, PRESTIGE_INT96_MICROS, 0, got, 6, fmt, &err));
  CHECK_EQ_STR(fmt, "tsu:");
  for (int i = 0; i < 6; i++) CHECK_EQ_INT(got[i], us0[i]);
  CHECK_OK(read_int96(path, PRESTIGE_INT96_MICROS, 1, got, 5, fmt, &err));
  for (int i = 0; i < 5; i++) CHECK_EQ_INT(got[i], us1[i]);
  CHECK_ERR(read_int96(path, PRESTIGE_INT96_MICROS, 2, got, 1, fmt, &err), PRESTIGE_ETYPE, "row group 2, column a");
  CHECK_MSG(strstr(err.message, "at row 0") && strstr(err.message, "Julian day 2147483647") &&
                strstr(err.message, "timestamp[us]") && strstr(err.message, "5874898-06-03 00:00:00"), "%s", err.message);

  const int64_t ns0[6] = {1704141296123456000LL, NUL, 1, -1, INT64_MAX, INT64_MIN};
  CHECK_OK(read_int96(path, PRESTIGE_INT96_NANOS, 0, got, 6, fmt, &err));
  CHECK_EQ_STR(fmt, "tsn:");
  for (int i = 0; i < 6; i++) CHECK_EQ_INT(got[i], ns0[i]);
  CHECK_ERR(read_int96(path, PRESTIGE_INT96_NANOS, 1, got, 5, fmt, &err), PRESTIGE_ETYPE, "row group 1, column a");
  CHECK_MSG(strstr(err.message, "9999-12-31 03:00:00.000000000") && strstr(err.message, "at row 0") &&
                strstr(err.message, "timestamp[ns]") && strstr(err.message, "microseconds"), "%s", err.message);

  const int64_t ms1[5] = {253402225200000LL, -62135596800000LL, 9089380393200000LL, 9223372036854LL, NUL};
  CHECK_OK(read_int96(path, PRESTIGE_INT96_MILLIS, 1, got, 5, fmt, &err));
  CHECK_EQ_STR(fmt, "tsm:");
  for (int i = 0; i < 5; i++) CHECK_EQ_INT(got[i], ms1[i]);
  CHECK_OK(read_int96(path, PRESTIGE_INT96_MILLIS, 2, got, 1, fmt, &err)); /* fits in milliseconds */
  CHECK_EQ_INT(got[0], (int64_t)(INT32_MAX - 2440588LL) * 86400000LL);
  CHECK_OK(read_int96(path, PRESTIGE_INT96_SECONDS, 0, got, 6, fmt, &err));
  CHECK_EQ_STR(fmt, "tss:");
  const int64_t s0[6] = {1704141296LL, NUL, 0, -1, 9223372036LL, -9223372037LL};
  for (int i = 0; i < 6; i++) CHECK_EQ_INT(got[i], s0[i]);
  CHECK_ERR(read_int96(path, (prestige_int96_unit_t)7, 0, got, 6, fmt, &err), PRESTIGE_EINVAL, "int96_unit");

  /* DuckDB reads INT96 as microseconds too: the same values, except Spark's overflowed one, which
   * DuckDB turns into another date (it reads the Julian day unsigned and wraps) */
  char sql[1024];
  snprintf(sql, sizeof(sql), "SELECT epoch_us(a)::VARCHAR us FROM read_parquet('%s')", path);
  json_t *t = duck(sql);
  CHECK_EQ_INT(json_array_size(t), 12);
  const int64_t *all[2] = {us0, us1};
  for (int i = 0; i < 11; i++) {
    int64_t want = i < 6 ? all[0][i] : all[1][i - 6];
    json_t *cell = json_object_get(json_array_get(t, (size_t)i), "us");
    if (i == 8) continue;
    if (want == NUL) CHECK(json_is_null(cell));
    else CHECK_MSG(cell && json_string_value(cell) && strtoll(json_string_value(cell), NULL, 10) == want, "row %d: %s vs %lld", i,
                   json_string_value(cell), (long long)want);
  }
  json_decref(t);
}

/* The corpus's int96_from_spark.parquet, value by value against DuckDB, and its last value
 * against the microseconds int96_from_spark.md says Spark wrote. */
TEST(test_int96_from_spark) {
  prestige_error_t err;
  char path[1024], fmt[16], sql[1200];
  snprintf(path, sizeof(path), "%s/../shared/parquet-testing/data/int96_from_spark.parquet", test_root());
  int64_t got[6];
  CHECK_OK(read_int96(path, PRESTIGE_INT96_MICROS, 0, got, 6, fmt, &err));
  snprintf(sql, sizeof(sql), "SELECT epoch_us(a)::VARCHAR us, a::VARCHAR t FROM read_parquet('%s')", path);
  json_t *t = duck(sql);
  CHECK_EQ_INT(json_array_size(t), 6);
  for (int i = 0; i < 5; i++) {
    json_t *cell = json_object_get(json_array_get(t, (size_t)i), "us");
    if (json_is_null(cell)) CHECK_EQ_INT(got[i], NUL);
    else CHECK_MSG(got[i] == strtoll(json_string_value(cell), NULL, 10), "row %d: %lld vs DuckDB %s", i, (long long)got[i],
                   json_string_value(cell));
  }
  CHECK_EQ_STR(json_string_value(json_object_get(json_array_get(t, 2), "t")), "9999-12-31 03:00:00");
  json_decref(t);
  CHECK_EQ_INT(got[2], 253402225200000000LL);
  CHECK_EQ_INT(got[5], 9089380393200000000LL); /* int96_from_spark.md: 290000-12-31T01:00:00+02:00 */
  CHECK_ERR(read_int96(path, PRESTIGE_INT96_NANOS, 0, got, 6, fmt, &err), PRESTIGE_ETYPE, "row group 0, column a");
  CHECK_MSG(strstr(err.message, "at row 2") && strstr(err.message, "9999-12-31 03:00:00"), "%s", err.message);
  /* the CLI shows them as DuckDB does */
  char out[1100], cmd[3000];
  snprintf(out, sizeof(out), "%s/int96.csv", test_tmpdir());
  snprintf(cmd, sizeof(cmd), "cat '%s' --format csv > '%s'", path, out);
  CHECK_EQ_INT(cli(cmd), 0);
  FILE *f = fopen(out, "r");
  char text[1024] = {0};
  size_t n = f ? fread(text, 1, sizeof(text) - 1, f) : 0;
  text[n] = 0;
  if (f) fclose(f);
  CHECK_EQ_STR(text, "a\n2024-01-01T20:34:56.123456\n2024-01-01T01:00:00.000000\n9999-12-31T03:00:00.000000\n"
                     "2024-12-30T23:00:00.000000\n\n290000-12-30T23:00:00.000000\n");
}

TEST(test_interval_read_range) {
  prestige_error_t err;
  char path[1024];
  snprintf(path, sizeof(path), "%s/interval-range.parquet", test_tmpdir());
  uint8_t v[3][12];
  int nulls[3] = {0, 1, 0};
  uint32_t ok[3] = {7, 8, 9}, big[3] = {0, 0x80000000u, 1};
  memcpy(v[0], ok, 12);
  memcpy(v[2], big, 12);
  int sizes[1] = {3};
  write_raw12(path, (const uint8_t(*)[12])v, nulls, sizes, 1, make_interval);
  prestige_parquet_reader_t *r;
  CHECK_OK(prestige_parquet_reader_open_file(&r, path, NULL, &err));
  struct ArrowArray a;
  CHECK_ERR(prestige_parquet_reader_read_row_group(r, 0, &a, &err), PRESTIGE_ETYPE, "row group 0, column a");
  CHECK_MSG(strstr(err.message, "at row 2") && strstr(err.message, "2147483648 days"), "%s", err.message);
  prestige_parquet_reader_close(r);
}

TEST_MAIN(RUN(test_logical_types_round_trip); RUN(test_arrow_schema_footer); RUN(test_extension_on_wrong_storage);
          RUN(test_interval_write_checks); RUN(test_int96_units); RUN(test_int96_from_spark); RUN(test_interval_read_range);)
