/* Writer conformance: every type, nulls, edge values, multi-page and multi-row-group columns,
 * every codec and encoding, v1 and v2 pages, read back by DuckDB and compared row by row. */
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <unistd.h>

#include "arrow/ipc_schema.h"
#include "core/buf.h"
#include "prestige/parquet_writer.h"
#include "test.h"

enum { N = 3000 };

/* Column list: Arrow format, name, nullable, DuckDB type of the canonical form, and the SQL
 * expression turning the Parquet column into that canonical form. */
typedef struct col {
  const char *fmt, *name;
  bool nullable;
  const char *canon_type, *canon_expr;
} col_t;

static const col_t COLS[] = {
    {"l", "id", false, "BIGINT", "id"},
    {"b", "b", true, "BOOLEAN", "b"},
    {"c", "i8", false, "TINYINT", "i8"},
    {"s", "i16", true, "SMALLINT", "i16"},
    {"i", "i32", false, "INTEGER", "i32"},
    {"l", "i64", true, "BIGINT", "i64"},
    {"C", "u8", false, "UTINYINT", "u8"},
    {"S", "u16", true, "USMALLINT", "u16"},
    {"I", "u32", false, "UINTEGER", "u32"},
    {"L", "u64", true, "UBIGINT", "u64"},
    {"f", "f32", true, "DOUBLE", "f32::DOUBLE"},
    {"g", "f64", true, "DOUBLE", "f64"},
    {"u", "s", true, "VARCHAR", "s"},
    {"U", "ls", false, "VARCHAR", "ls"},
    {"z", "bin", true, "VARCHAR", "hex(bin)"},
    {"w:4", "fsb", true, "VARCHAR", "hex(fsb)"},
    {"d:9,2", "d9", true, "VARCHAR", "d9::VARCHAR"},
    {"d:18,3", "d18", false, "VARCHAR", "d18::VARCHAR"},
    {"d:38,10", "d38", true, "VARCHAR", "d38::VARCHAR"},
    {"tdD", "dt", true, "INTEGER", "(dt - DATE '1970-01-01')"},
    {"ttm", "t32", false, "BIGINT", "epoch_us(t32)"},
    {"ttu", "t64", true, "BIGINT", "epoch_us(t64)"},
    {"tsn:", "tsn", true, "BIGINT", "epoch_ns(tsn)"},
    {"tsu:UTC", "tsu", true, "BIGINT", "epoch_us(tsu)"},
    {"tss:", "tss", false, "BIGINT", "epoch_ms(tss)"},
    {"+l", "lst", true, "INTEGER[]", "lst"},
    {"+l", "lb", false, "UTINYINT[]", "lb"},
    {"+s", "st", true, "STRUCT(x INTEGER, y VARCHAR)", "st"},
    {"+l", "nested", true, "VARCHAR[][]", "nested"},
};
enum { NCOLS = sizeof(COLS) / sizeof(COLS[0]) };

static void make_schema(struct ArrowSchema *s) {
  prestige_error_t err;
  prestige_schema_init(s, "+s", "", 0, &err);
  prestige_schema_allocate_children(s, NCOLS, &err);
  for (int c = 0; c < NCOLS; c++) {
    struct ArrowSchema *f = s->children[c];
    prestige_schema_init(f, COLS[c].fmt, COLS[c].name, COLS[c].nullable ? ARROW_FLAG_NULLABLE : 0, &err);
    char id[8];
    snprintf(id, sizeof(id), "%d", c + 1);
    prestige_kv_t kv = {"PARQUET:field_id", id, -1};
    prestige_schema_set_metadata(f, &kv, 1, &err);
    if (!strcmp(COLS[c].name, "lst")) {
      prestige_schema_allocate_children(f, 1, &err);
      prestige_schema_init(f->children[0], "i", "item", ARROW_FLAG_NULLABLE, &err);
    } else if (!strcmp(COLS[c].name, "lb")) {
      prestige_schema_allocate_children(f, 1, &err);
      prestige_schema_init(f->children[0], "C", "item", 0, &err);
    } else if (!strcmp(COLS[c].name, "st")) {
      prestige_schema_allocate_children(f, 2, &err);
      prestige_schema_init(f->children[0], "i", "x", ARROW_FLAG_NULLABLE, &err);
      prestige_schema_init(f->children[1], "u", "y", 0, &err);
    } else if (!strcmp(COLS[c].name, "nested")) {
      prestige_schema_allocate_children(f, 1, &err);
      prestige_schema_init(f->children[0], "+l", "item", ARROW_FLAG_NULLABLE, &err);
      prestige_schema_allocate_children(f->children[0], 1, &err);
      prestige_schema_init(f->children[0]->children[0], "u", "item", ARROW_FLAG_NULLABLE, &err);
    }
  }
}

static bool is_null(int c, int i) {
  if (!COLS[c].nullable) return false;
  return (i * 7 + c) % 11 == 0 || (i >= 1500 && i < 1700 && c % 2 == 0); /* a run of nulls too */
}

static void sql_str(buf_t *b, const char *s, size_t n) {
  buf_append_u8(b, '\'');
  for (size_t k = 0; k < n; k++) {
    if (s[k] == '\'') buf_append_u8(b, '\'');
    buf_append_u8(b, (uint8_t)s[k]);
  }
  buf_append_u8(b, '\'');
}

static void appendf(buf_t *b, const char *fmt, ...) {
  va_list ap, ap2;
  va_start(ap, fmt);
  va_copy(ap2, ap);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  buf_reserve(b, (size_t)n + 1);
  vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap2);
  va_end(ap2);
  b->len += (size_t)n;
}

static void dec_str(char *out, size_t n, __int128 v, int scale) {
  uint8_t le[16];
  memcpy(le, &v, 16);
  prestige_decimal128_format(le, scale, out, n);
}

/* Appends row i to the builder and its canonical SQL tuple to sql. */
static void gen_row(prestige_array_builder_t *b, buf_t *sql, int i) {
  prestige_error_t err;
  buf_append(sql, i ? ",(" : "(", i ? 2 : 1);
  for (int c = 0; c < NCOLS; c++) {
    prestige_array_builder_t *cb = prestige_array_builder_child(b, c);
    if (c) buf_append_u8(sql, ',');
    if (is_null(c, i)) {
      prestige_array_builder_append_null(cb, &err);
      buf_append(sql, "NULL", 4);
      continue;
    }
    const char *n = COLS[c].name;
    char t[128];
    if (!strcmp(n, "id")) { prestige_array_builder_append_int(cb, i, &err); appendf(sql, "%d", i); }
    else if (!strcmp(n, "b")) { prestige_array_builder_append_bool(cb, i % 3 == 1, &err); appendf(sql, "%s", i % 3 == 1 ? "true" : "false"); }
    else if (!strcmp(n, "i8")) { int v = i == 0 ? -128 : i == 1 ? 127 : (i % 200) - 100; prestige_array_builder_append_int(cb, v, &err); appendf(sql, "%d", v); }
    else if (!strcmp(n, "i16")) { int v = i == 2 ? -32768 : (i * 37) % 30000 - 15000; prestige_array_builder_append_int(cb, v, &err); appendf(sql, "%d", v); }
    else if (!strcmp(n, "i32")) { long long v = i == 3 ? INT32_MIN : i == 4 ? INT32_MAX : (long long)i * 1000003 % 2000000000 - 1000000000; prestige_array_builder_append_int(cb, v, &err); appendf(sql, "%lld", v); }
    else if (!strcmp(n, "i64")) { long long v = i == 5 ? INT64_MIN : i == 6 ? INT64_MAX : (long long)i * 982451653LL * (i % 2 ? -1 : 1); prestige_array_builder_append_int(cb, v, &err); appendf(sql, "%lld", v); }
    else if (!strcmp(n, "u8")) { unsigned v = i % 256; prestige_array_builder_append_uint(cb, v, &err); appendf(sql, "%u", v); }
    else if (!strcmp(n, "u16")) { unsigned v = i == 7 ? 65535 : (unsigned)(i * 31) % 65536; prestige_array_builder_append_uint(cb, v, &err); appendf(sql, "%u", v); }
    else if (!strcmp(n, "u32")) { unsigned long v = i == 8 ? 4294967295UL : (unsigned long)i * 2654435761UL % 4294967296UL; prestige_array_builder_append_uint(cb, v, &err); appendf(sql, "%lu", v); }
    else if (!strcmp(n, "u64")) { unsigned long long v = i == 9 ? UINT64_MAX : (unsigned long long)i * 11400714819323198485ULL; prestige_array_builder_append_uint(cb, v, &err); appendf(sql, "%llu", v); }
    else if (!strcmp(n, "f32")) {
      float v = i == 10 ? NAN : i == 12 ? -0.0f : i == 13 ? INFINITY : (float)i * 0.25f - 100.0f;
      prestige_array_builder_append_double(cb, v, &err);
      if (isnan(v)) appendf(sql, "'nan'::DOUBLE"); else if (isinf(v)) appendf(sql, "'inf'::DOUBLE"); else appendf(sql, "%.17g", (double)v);
    } else if (!strcmp(n, "f64")) {
      double v = i == 14 ? NAN : i == 15 ? -INFINITY : i == 16 ? 1e308 : sin(i) * 1e6;
      prestige_array_builder_append_double(cb, v, &err);
      if (isnan(v)) appendf(sql, "'nan'::DOUBLE"); else if (isinf(v)) appendf(sql, "'-inf'::DOUBLE"); else appendf(sql, "%.17g", v);
    } else if (!strcmp(n, "s") || !strcmp(n, "ls")) {
      int len = i % 17 == 0 ? 0 : snprintf(t, sizeof(t), "%s-%d-é'ü", i % 5 ? "value" : "another longer string value", i % 97);
      if (i == 20) len = snprintf(t, sizeof(t), "%s", "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz-long");
      prestige_array_builder_append_bytes(cb, t, len, &err);
      sql_str(sql, t, (size_t)len);
    } else if (!strcmp(n, "bin") || !strcmp(n, "fsb")) {
      uint8_t v[6] = {(uint8_t)i, (uint8_t)(i >> 8), 0, 0xff, (uint8_t)(i * 7), 1};
      int len = !strcmp(n, "fsb") ? 4 : i % 7;
      prestige_array_builder_append_bytes(cb, v, len, &err);
      buf_append_u8(sql, '\'');
      for (int k = 0; k < len; k++) appendf(sql, "%02X", v[k]);
      buf_append_u8(sql, '\'');
    } else if (n[0] == 'd' && n[1] != 't') {
      int scale = !strcmp(n, "d9") ? 2 : !strcmp(n, "d18") ? 3 : 10;
      __int128 v = !strcmp(n, "d9") ? (__int128)((i * 7919) % 999999999 - 400000000)
                   : !strcmp(n, "d18") ? (__int128)((long long)i * 982451653LL - 999999999999999LL)
                                       : (__int128)i * (__int128)1000000000000000000LL * 1000 - (__int128)7;
      if (i == 21 && !strcmp(n, "d38")) v = -((__int128)1 << 120);
      uint8_t le[16];
      memcpy(le, &v, 16);
      prestige_array_builder_append_decimal(cb, le, &err);
      dec_str(t, sizeof(t), v, scale);
      appendf(sql, "'%s'", t);
    } else if (!strcmp(n, "dt")) { int v = i * 13 - 20000; prestige_array_builder_append_int(cb, v, &err); appendf(sql, "%d", v); }
    else if (!strcmp(n, "t32")) { long long v = (long long)i * 28800 % 86400000; prestige_array_builder_append_int(cb, v, &err); appendf(sql, "%lld", v * 1000); }
    else if (!strcmp(n, "t64")) { long long v = (long long)i * 28800123 % 86400000000LL; prestige_array_builder_append_int(cb, v, &err); appendf(sql, "%lld", v); }
    else if (!strcmp(n, "tsn")) { long long v = 1700000000000000000LL + (long long)i * 1000000007LL; prestige_array_builder_append_int(cb, v, &err); appendf(sql, "%lld", v); }
    else if (!strcmp(n, "tsu")) { long long v = 1700000000000000LL - (long long)i * 3600000001LL; prestige_array_builder_append_int(cb, v, &err); appendf(sql, "%lld", v); }
    else if (!strcmp(n, "tss")) { long long v = 1600000000LL + i; prestige_array_builder_append_int(cb, v, &err); appendf(sql, "%lld", v * 1000); }
    else if (!strcmp(n, "lst")) {
      prestige_array_builder_t *e = prestige_array_builder_child(cb, 0);
      buf_append_u8(sql, '[');
      for (int k = 0; k < i % 5; k++) {
        if (k) buf_append_u8(sql, ',');
        if (k == 2) { prestige_array_builder_append_null(e, &err); buf_append(sql, "NULL", 4); }
        else { prestige_array_builder_append_int(e, i * 10 + k, &err); appendf(sql, "%d", i * 10 + k); }
      }
      buf_append_u8(sql, ']');
      prestige_array_builder_append_list(cb, &err);
    } else if (!strcmp(n, "lb")) {
      prestige_array_builder_t *e = prestige_array_builder_child(cb, 0);
      buf_append_u8(sql, '[');
      for (int k = 0; k < i % 3; k++) {
        if (k) buf_append_u8(sql, ',');
        prestige_array_builder_append_uint(e, (unsigned)(i + k) % 256, &err);
        appendf(sql, "%u", (unsigned)(i + k) % 256);
      }
      buf_append_u8(sql, ']');
      prestige_array_builder_append_list(cb, &err);
    } else if (!strcmp(n, "st")) {
      prestige_array_builder_t *x = prestige_array_builder_child(cb, 0), *y = prestige_array_builder_child(cb, 1);
      if (i % 4 == 0) { prestige_array_builder_append_null(x, &err); appendf(sql, "{'x': NULL, 'y': "); }
      else { prestige_array_builder_append_int(x, -i, &err); appendf(sql, "{'x': %d, 'y': ", -i); }
      int len = snprintf(t, sizeof(t), "y%d", i % 13);
      prestige_array_builder_append_bytes(y, t, len, &err);
      sql_str(sql, t, (size_t)len);
      buf_append_u8(sql, '}');
      prestige_array_builder_append_struct(cb, &err);
    } else if (!strcmp(n, "nested")) {
      prestige_array_builder_t *inner = prestige_array_builder_child(cb, 0), *leaf = prestige_array_builder_child(inner, 0);
      buf_append_u8(sql, '[');
      for (int k = 0; k < i % 3; k++) {
        if (k) buf_append_u8(sql, ',');
        if ((i + k) % 4 == 0) { prestige_array_builder_append_null(inner, &err); buf_append(sql, "NULL", 4); continue; }
        buf_append_u8(sql, '[');
        for (int j = 0; j < (i + k) % 3; j++) {
          if (j) buf_append_u8(sql, ',');
          if (j == 1) { prestige_array_builder_append_null(leaf, &err); buf_append(sql, "NULL", 4); }
          else { int len = snprintf(t, sizeof(t), "n%d.%d", i, j); prestige_array_builder_append_bytes(leaf, t, len, &err); sql_str(sql, t, (size_t)len); }
        }
        buf_append_u8(sql, ']');
        prestige_array_builder_append_list(inner, &err);
      }
      buf_append_u8(sql, ']');
      prestige_array_builder_append_list(cb, &err);
    }
  }
  prestige_array_builder_append_struct(b, &err);
  buf_append_u8(sql, ')');
}

typedef struct config {
  const char *name;
  prestige_compression_t codec;
  int page_version;
  bool dictionary;
  const char *enc_col;
  prestige_encoding_t enc;
  bool checksums;
} config_t;

TEST(test_all_types_duckdb) {
  prestige_error_t err;
  struct ArrowSchema schema;
  make_schema(&schema);
  prestige_array_builder_t *b;
  CHECK_OK(prestige_array_builder_new(&b, &schema, &err));
  buf_t sql = BUF_INIT;
  appendf(&sql, "CREATE TABLE e(");
  for (int c = 0; c < NCOLS; c++) appendf(&sql, "%s\"%s\" %s", c ? ", " : "", COLS[c].name, COLS[c].canon_type);
  appendf(&sql, "); INSERT INTO e VALUES ");
  /* two batches: 1000 rows then 2000, to cross batch boundaries */
  struct ArrowArray batches[2];
  for (int i = 0; i < N; i++) {
    gen_row(b, &sql, i);
    if (i == 999) CHECK_OK(prestige_array_builder_finish(b, &batches[0], &err));
  }
  CHECK_OK(prestige_array_builder_finish(b, &batches[1], &err));
  appendf(&sql, ";\n");
  const config_t configs[] = {
      {"snappy_v1", PRESTIGE_COMPRESSION_SNAPPY, 1, true, NULL, 0, false},
      {"zstd_v2", PRESTIGE_COMPRESSION_ZSTD, 2, true, NULL, 0, true},
      {"gzip_plain", PRESTIGE_COMPRESSION_GZIP, 1, false, NULL, 0, false},
      {"brotli", PRESTIGE_COMPRESSION_BROTLI, 2, true, NULL, 0, false},
      {"lz4raw", PRESTIGE_COMPRESSION_LZ4_RAW, 1, false, NULL, 0, true},
      {"none", PRESTIGE_COMPRESSION_UNCOMPRESSED, 1, true, NULL, 0, false},
      {"delta_int", PRESTIGE_COMPRESSION_ZSTD, 1, true, "i64", PRESTIGE_ENCODING_DELTA_BINARY_PACKED, false},
      {"delta_int32", PRESTIGE_COMPRESSION_SNAPPY, 2, true, "i32", PRESTIGE_ENCODING_DELTA_BINARY_PACKED, false},
      {"delta_len", PRESTIGE_COMPRESSION_SNAPPY, 1, true, "s", PRESTIGE_ENCODING_DELTA_LENGTH_BYTE_ARRAY, false},
      {"delta_ba", PRESTIGE_COMPRESSION_UNCOMPRESSED, 2, true, "ls", PRESTIGE_ENCODING_DELTA_BYTE_ARRAY, false},
      {"bss", PRESTIGE_COMPRESSION_ZSTD, 1, true, "f64", PRESTIGE_ENCODING_BYTE_STREAM_SPLIT, false},
      {"bss32", PRESTIGE_COMPRESSION_ZSTD, 2, true, "f32", PRESTIGE_ENCODING_BYTE_STREAM_SPLIT, false},
  };
  enum { NCONF = sizeof(configs) / sizeof(configs[0]) };
  buf_t canon = BUF_INIT;
  for (int c = 0; c < NCOLS; c++) appendf(&canon, "%s%s AS \"%s\"", c ? ", " : "", COLS[c].canon_expr, COLS[c].name);
  buf_append_u8(&canon, 0);
  appendf(&sql, "SELECT * FROM (");
  for (int k = 0; k < NCONF; k++) {
    const config_t *cf = &configs[k];
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s.parquet", test_tmpdir(), cf->name);
    prestige_parquet_writer_options_t o;
    prestige_parquet_writer_options_init(&o);
    o.compression = cf->codec;
    o.data_page_version = cf->page_version;
    o.dictionary = cf->dictionary;
    o.row_group_rows = 1100; /* 3 row groups */
    o.data_page_bytes = 2048; /* many pages */
    o.dictionary_page_bytes = 4096; /* some columns fall back to PLAIN */
    o.page_checksums = cf->checksums;
    prestige_parquet_column_options_t co;
    if (cf->enc_col) {
      prestige_parquet_column_options_init(&co, cf->enc_col);
      co.encoding = cf->enc;
      o.columns = &co;
      o.n_columns = 1;
    }
    prestige_parquet_writer_t *w;
    CHECK_OK(prestige_parquet_writer_open_file(&w, path, &schema, &o, &err));
    CHECK_OK(prestige_parquet_writer_write(w, &batches[0], &err));
    CHECK_OK(prestige_parquet_writer_write(w, &batches[1], &err));
    prestige_parquet_file_summary_t s;
    CHECK_OK(prestige_parquet_writer_close(w, &s, &err));
    CHECK_EQ_INT(s.rows, N);
    CHECK_EQ_INT(s.row_groups, 3);
    prestige_parquet_file_summary_release(&s);
    appendf(&sql,
            "%sSELECT '%s' AS cfg, (SELECT count(*) FROM read_parquet('%s')) AS n, "
            "(SELECT count(*) FROM (SELECT %s FROM read_parquet('%s') EXCEPT ALL SELECT * FROM e)) AS extra, "
            "(SELECT count(*) FROM (SELECT * FROM e EXCEPT ALL SELECT %s FROM read_parquet('%s'))) AS missing",
            k ? " UNION ALL " : "", cf->name, path, (const char *)canon.data, path, (const char *)canon.data, path);
  }
  appendf(&sql, ") ORDER BY cfg;");
  buf_append_u8(&sql, 0);
  char *js = test_duckdb_json((const char *)sql.data);
  CHECK(js != NULL);
  json_t *rows = js ? json_loads(js, 0, NULL) : NULL;
  CHECK_EQ_INT(json_array_size(rows), NCONF);
  size_t i;
  json_t *r;
  json_array_foreach(rows, i, r) {
    const char *cfg = json_string_value(json_object_get(r, "cfg"));
    const char *n = json_string_value(json_object_get(r, "n"));
    const char *extra = json_string_value(json_object_get(r, "extra"));
    const char *missing = json_string_value(json_object_get(r, "missing"));
    CHECK_MSG(n && atoi(n) == N, "%s: DuckDB read %s rows", cfg, n);
    CHECK_MSG(extra && missing && !strcmp(extra, "0") && !strcmp(missing, "0"), "%s: %s rows differ / %s missing", cfg,
              extra, missing);
  }
  json_decref(rows);
  free(js);
  /* types as DuckDB sees them, and field ids */
  char q[2048];
  snprintf(q, sizeof(q),
           "SELECT string_agg(column_name || ':' || column_type, ',') AS t FROM "
           "(DESCRIBE SELECT * FROM read_parquet('%s/snappy_v1.parquet'))",
           test_tmpdir());
  js = test_duckdb_json(q);
  CHECK(js && strstr(js, "u64:UBIGINT") && strstr(js, "d38:DECIMAL(38,10)") && strstr(js, "tsn:TIMESTAMP_NS") &&
        strstr(js, "tsu:TIMESTAMP WITH TIME ZONE") && strstr(js, "t32:TIME") && strstr(js, "lb:UTINYINT[]") &&
        strstr(js, "fsb:BLOB") && strstr(js, "st:STRUCT(x INTEGER, y VARCHAR)") && strstr(js, "nested:VARCHAR[][]"));
  if (js) printf("types: %s\n", js);
  free(js);
  snprintf(q, sizeof(q),
           "SELECT string_agg(name || '=' || field_id, ',') AS ids FROM parquet_schema('%s/zstd_v2.parquet') WHERE field_id IS NOT NULL",
           test_tmpdir());
  js = test_duckdb_json(q);
  CHECK(js && strstr(js, "id=1") && strstr(js, "nested=29") && strstr(js, "st=28"));
  free(js);
  /* ARROW:schema restores the exact Arrow types (u64, large_string, seconds timestamps) */
  snprintf(q, sizeof(q), "SELECT decode(value) v FROM parquet_kv_metadata('%s/snappy_v1.parquet') WHERE decode(key) = 'ARROW:schema'",
           test_tmpdir());
  js = test_duckdb_json(q);
  json_t *kv = js ? json_loads(js, 0, NULL) : NULL;
  const char *b64 = json_string_value(json_object_get(json_array_get(kv, 0), "v"));
  CHECK(b64 != NULL);
  struct ArrowSchema restored;
  if (b64) {
    CHECK_OK(arrow_ipc_schema_decode(b64, strlen(b64), &restored, &err));
    CHECK_EQ_INT(restored.n_children, NCOLS);
    for (int c = 0; c < NCOLS && c < restored.n_children; c++) {
      CHECK_EQ_STR(restored.children[c]->format, COLS[c].fmt);
      const char *v;
      int32_t len;
      CHECK(prestige_metadata_get(restored.children[c]->metadata, "PARQUET:field_id", &v, &len));
    }
    prestige_schema_release(&restored);
  }
  json_decref(kv);
  free(js);
  buf_release(&canon);
  buf_release(&sql);
  for (int k = 0; k < 2; k++) prestige_array_release(&batches[k]);
  prestige_array_builder_free(b);
  prestige_schema_release(&schema);
}

TEST(test_statistics_and_index) {
  prestige_error_t err;
  char path[1024];
  snprintf(path, sizeof(path), "%s/stats.parquet", test_tmpdir());
  struct ArrowSchema s;
  prestige_schema_init(&s, "+s", "", 0, &err);
  prestige_schema_allocate_children(&s, 4, &err);
  prestige_schema_init(s.children[0], "L", "u", 0, &err);
  prestige_schema_init(s.children[1], "u", "name", ARROW_FLAG_NULLABLE, &err);
  prestige_schema_init(s.children[2], "g", "d", ARROW_FLAG_NULLABLE, &err);
  prestige_schema_init(s.children[3], "l", "sorted", 0, &err);
  prestige_array_builder_t *b;
  prestige_array_builder_new(&b, &s, &err);
  char longs[200];
  memset(longs, 'q', sizeof(longs));
  for (int i = 0; i < 5000; i++) {
    prestige_array_builder_append_uint(prestige_array_builder_child(b, 0), i == 7 ? UINT64_MAX : (uint64_t)i, &err);
    if (i % 10 == 0) prestige_array_builder_append_null(prestige_array_builder_child(b, 1), &err);
    else if (i == 3) prestige_array_builder_append_bytes(prestige_array_builder_child(b, 1), longs, 200, &err);
    else prestige_array_builder_append_bytes(prestige_array_builder_child(b, 1), i % 2 ? "b" : "a", 1, &err);
    prestige_array_builder_append_double(prestige_array_builder_child(b, 2), i == 4 ? NAN : i - 2500.0, &err);
    prestige_array_builder_append_int(prestige_array_builder_child(b, 3), i, &err);
    prestige_array_builder_append_struct(b, &err);
  }
  struct ArrowArray a;
  prestige_array_builder_finish(b, &a, &err);
  prestige_parquet_writer_options_t o;
  prestige_parquet_writer_options_init(&o);
  o.data_page_bytes = 1024;
  prestige_parquet_writer_t *w;
  CHECK_OK(prestige_parquet_writer_open_file(&w, path, &s, &o, &err));
  CHECK_OK(prestige_parquet_writer_write(w, &a, &err));
  prestige_parquet_file_summary_t sum;
  CHECK_OK(prestige_parquet_writer_close(w, &sum, &err));
  /* summary: bounds in Parquet plain encoding, counts */
  uint64_t umax;
  memcpy(&umax, sum.columns[0].upper, 8);
  CHECK(umax == UINT64_MAX); /* unsigned order */
  CHECK_EQ_INT(sum.columns[1].null_count, 500);
  CHECK(sum.columns[1].upper_len == 64 && !sum.columns[1].upper_exact && sum.columns[1].upper[63] == 'r');
  CHECK_EQ_INT(sum.columns[2].nan_count, 1);
  double dmin;
  memcpy(&dmin, sum.columns[2].lower, 8);
  CHECK(dmin == -2500.0);
  prestige_parquet_file_summary_release(&sum);
  char q[1024];
  snprintf(q, sizeof(q),
           "SELECT path_in_schema p, stats_min_value mn, stats_max_value mx, stats_null_count nc FROM parquet_metadata('%s') "
           "WHERE row_group_id = 0 ORDER BY column_id",
           path);
  char *js = test_duckdb_json(q);
  CHECK(js && strstr(js, "\"mx\":\"18446744073709551615\"") && strstr(js, "\"nc\":\"500\""));
  if (js) printf("stats: %.400s\n", js);
  free(js);
  /* the page index lets DuckDB... at least it must parse the file with many pages */
  snprintf(q, sizeof(q), "SELECT count(*) c FROM read_parquet('%s') WHERE sorted BETWEEN 1000 AND 1099", path);
  js = test_duckdb_json(q);
  CHECK(js && strstr(js, "\"c\":\"100\""));
  free(js);
  prestige_array_release(&a);
  prestige_array_builder_free(b);
  prestige_schema_release(&s);
}

TEST(test_errors) {
  prestige_error_t err;
  struct ArrowSchema s;
  prestige_schema_init(&s, "+s", "", 0, &err);
  prestige_schema_allocate_children(&s, 1, &err);
  prestige_schema_init(s.children[0], "u", "name", 0, &err);
  prestige_parquet_writer_options_t o;
  prestige_parquet_writer_options_init(&o);
  prestige_parquet_writer_t *w;
  char path[1024];
  snprintf(path, sizeof(path), "%s/err.parquet", test_tmpdir());
  o.row_group_rows = 0;
  CHECK_ERR(prestige_parquet_writer_open_file(&w, path, &s, &o, &err), PRESTIGE_EINVAL, "row_group_rows");
  prestige_parquet_writer_options_init(&o);
  prestige_parquet_column_options_t co;
  prestige_parquet_column_options_init(&co, "name");
  co.encoding = PRESTIGE_ENCODING_DELTA_BINARY_PACKED;
  o.columns = &co;
  o.n_columns = 1;
  CHECK_ERR(prestige_parquet_writer_open_file(&w, path, &s, &o, &err), PRESTIGE_EINVAL, "DELTA_BINARY_PACKED does not apply");
  CHECK(access(path, F_OK) != 0); /* nothing left behind */
  prestige_parquet_writer_options_init(&o);
  CHECK_OK(prestige_parquet_writer_open_file(&w, path, &s, &o, &err));
  /* an invalid array is refused before a byte of it is read */
  struct ArrowArray a;
  prestige_array_init(&a, 1, 1, &err);
  a.length = 2;
  prestige_array_init(a.children[0], 3, 0, &err);
  a.children[0]->length = 2;
  int32_t *off = prestige_buffer_alloc(12);
  off[0] = 0, off[1] = 5, off[2] = 3;
  prestige_array_set_buffer(a.children[0], 1, off);
  prestige_array_set_buffer(a.children[0], 2, prestige_buffer_alloc(8));
  CHECK_ERR(prestige_parquet_writer_write(w, &a, &err), PRESTIGE_EINVAL, "decreasing");
  prestige_array_release(&a);
  prestige_parquet_writer_abort(w);
  CHECK(access(path, F_OK) != 0);
  /* a struct schema is required */
  struct ArrowSchema flat;
  prestige_schema_init(&flat, "i", "x", 0, &err);
  CHECK_ERR(prestige_parquet_writer_open_file(&w, path, &flat, NULL, &err), PRESTIGE_EINVAL, "struct schema");
  prestige_schema_release(&flat);
  prestige_schema_release(&s);
}

/* ---- nulls in fields that are not nullable ------------------------------------------------------ */
/* A leaf array: n int32 or int64 values, with validity bits when valid is not NULL. */
static void prim(struct ArrowArray *a, int64_t n, int width, const int64_t *vals, const bool *valid) {
  prestige_error_t err;
  prestige_array_init(a, 2, 0, &err);
  a->length = n;
  a->null_count = 0;
  uint8_t *bits = NULL;
  if (valid) {
    bits = prestige_buffer_alloc(8);
    memset(bits, 0, 8);
    for (int64_t i = 0; i < n; i++) {
      if (valid[i]) bits[i >> 3] |= (uint8_t)(1 << (i & 7));
      else a->null_count++;
    }
  }
  prestige_array_set_buffer(a, 0, bits);
  void *v = prestige_buffer_alloc((size_t)(n ? n : 1) * (size_t)width);
  for (int64_t i = 0; i < n; i++) {
    if (width == 8) ((int64_t *)v)[i] = vals[i];
    else ((int32_t *)v)[i] = (int32_t)vals[i];
  }
  prestige_array_set_buffer(a, 1, v);
}

TEST(test_required_nulls) {
  prestige_error_t err;
  /* id int64 not null; st struct (nullable) { x int32 not null }; l list (nullable) of int32 not null */
  struct ArrowSchema s;
  prestige_schema_init(&s, "+s", "", 0, &err);
  prestige_schema_allocate_children(&s, 3, &err);
  prestige_schema_init(s.children[0], "l", "id", 0, &err);
  prestige_schema_init(s.children[1], "+s", "st", ARROW_FLAG_NULLABLE, &err);
  prestige_schema_allocate_children(s.children[1], 1, &err);
  prestige_schema_init(s.children[1]->children[0], "i", "x", 0, &err);
  prestige_schema_init(s.children[2], "+l", "l", ARROW_FLAG_NULLABLE, &err);
  prestige_schema_allocate_children(s.children[2], 1, &err);
  prestige_schema_init(s.children[2]->children[0], "i", "item", 0, &err);
  char path[1024];
  snprintf(path, sizeof(path), "%s/required.parquet", test_tmpdir());
  prestige_parquet_writer_t *w;
  CHECK_OK(prestige_parquet_writer_open_file(&w, path, &s, NULL, &err));
  if (!w) return;
  /* builds a 3-row batch: id (nulls where id_ok is false), st (row 0 null, with x null under it:
   * unreachable, allowed), l = [1,2], [x_null ? null : 3], null */
  for (int round = 0; round < 4; round++) {
    bool id_ok[3] = {true, round != 1, true};
    bool st_valid[3] = {false, true, true};
    bool x_valid[3] = {false, round != 2, true}; /* row 0's null is under a null struct */
    bool l_valid[3] = {true, true, false};
    bool item_valid[3] = {true, true, round != 3};
    int64_t ids[3] = {10, 11, 12}, xs[3] = {0, 5, 6}, items[3] = {1, 2, 3};
    struct ArrowArray b;
    prestige_array_init(&b, 1, 3, &err);
    b.length = 3;
    b.null_count = 0;
    prim(b.children[0], 3, 8, ids, id_ok);
    struct ArrowArray *st = b.children[1];
    prestige_array_release(st);
    prestige_array_init(st, 1, 1, &err);
    st->length = 3;
    uint8_t *sb = prestige_buffer_alloc(1);
    sb[0] = 0;
    for (int i = 0; i < 3; i++) sb[0] |= (uint8_t)(st_valid[i] << i);
    st->null_count = 1;
    prestige_array_set_buffer(st, 0, sb);
    prim(st->children[0], 3, 4, xs, x_valid);
    struct ArrowArray *l = b.children[2];
    prestige_array_release(l);
    prestige_array_init(l, 2, 1, &err);
    l->length = 3;
    uint8_t *lb = prestige_buffer_alloc(1);
    lb[0] = 0;
    for (int i = 0; i < 3; i++) lb[0] |= (uint8_t)(l_valid[i] << i);
    l->null_count = 1;
    prestige_array_set_buffer(l, 0, lb);
    int32_t *off = prestige_buffer_alloc(16);
    off[0] = 0, off[1] = 2, off[2] = 3, off[3] = 3;
    prestige_array_set_buffer(l, 1, off);
    prim(l->children[0], 3, 4, items, item_valid);
    int rc = prestige_parquet_writer_write(w, &b, &err);
    if (round == 0) CHECK_OK(rc);
    if (round == 1) CHECK_ERR(rc, PRESTIGE_EINVAL, "column \"id\": a null at row 1, in a field that is not nullable");
    if (round == 2) CHECK_ERR(rc, PRESTIGE_EINVAL, "column \"st.x\": a null at row 1");
    if (round == 3) CHECK_ERR(rc, PRESTIGE_EINVAL, "a null at row 1, in a field that is not nullable");
    /* a sliced batch numbers its own rows: rows 1.. of round 1 hold the null at row 0 */
    if (round == 1) {
      b.offset = 1;
      b.length = 2;
      CHECK_ERR(prestige_parquet_writer_write(w, &b, &err), PRESTIGE_EINVAL, "column \"id\": a null at row 0");
      b.offset = 2;
      b.length = 1;
      CHECK_OK(prestige_parquet_writer_write(w, &b, &err)); /* row 2 alone is fine */
    }
    prestige_array_release(&b);
  }
  /* a refused batch writes nothing and leaves the writer usable: 3 + 1 rows */
  prestige_parquet_file_summary_t sum;
  CHECK_OK(prestige_parquet_writer_close(w, &sum, &err));
  CHECK_EQ_INT(sum.rows, 4);
  prestige_parquet_file_summary_release(&sum);
  prestige_schema_release(&s);
}

TEST_MAIN(RUN(test_all_types_duckdb); RUN(test_statistics_and_index); RUN(test_errors); RUN(test_required_nulls);)
