/* Extension-type metadata helpers and the text forms of UUIDs and intervals (checked against
 * DuckDB's own INTERVAL and UUID text). */
#include <jansson.h>

#include "prestige/arrow.h"
#include "test.h"

static bool meta_is(const struct ArrowSchema *s, const char *key, const char *want) {
  const char *v;
  int32_t len;
  if (!prestige_metadata_get(s->metadata, key, &v, &len)) return want == NULL;
  return want && (size_t)len == strlen(want) && !memcmp(v, want, (size_t)len);
}

TEST(test_metadata_put) {
  prestige_error_t err;
  struct ArrowSchema s;
  CHECK_OK(prestige_schema_init(&s, "l", "x", 0, &err));
  CHECK_OK(prestige_schema_metadata_put(&s, "a", "1", -1, &err));
  CHECK_OK(prestige_schema_metadata_put(&s, "b", "two\0x", 5, &err));
  CHECK_OK(prestige_schema_metadata_put(&s, "c", "3", -1, &err));
  CHECK_EQ_INT(prestige_metadata_count(s.metadata), 3);
  CHECK_OK(prestige_schema_metadata_put(&s, "b", "B", -1, &err)); /* replaced in place */
  const char *k, *v;
  int32_t kl, vl;
  CHECK(prestige_metadata_pair(s.metadata, 1, &k, &kl, &v, &vl) && kl == 1 && k[0] == 'b' && vl == 1 && v[0] == 'B');
  CHECK_OK(prestige_schema_metadata_put(&s, "a", NULL, 0, &err)); /* removed */
  CHECK_EQ_INT(prestige_metadata_count(s.metadata), 2);
  CHECK(meta_is(&s, "a", NULL) && meta_is(&s, "b", "B") && meta_is(&s, "c", "3"));
  CHECK_OK(prestige_schema_metadata_put(&s, "b", NULL, 0, &err));
  CHECK_OK(prestige_schema_metadata_put(&s, "c", NULL, 0, &err));
  CHECK_EQ_INT(prestige_metadata_count(s.metadata), 0);
  CHECK_OK(prestige_schema_metadata_put(&s, "missing", NULL, 0, &err)); /* removing nothing is fine */
  prestige_schema_release(&s);
  struct ArrowSchema foreign = {.format = "l", .release = NULL};
  CHECK_ERR(prestige_schema_metadata_put(&foreign, "a", "1", -1, &err), PRESTIGE_EINVAL, "prestige_schema_init");
}

TEST(test_extension_kinds) {
  prestige_error_t err;
  struct ArrowSchema s;
  prestige_arrow_extension_t kind;
  struct {
    const char *format, *name;
    prestige_arrow_extension_t want;
  } ok[] = {
      {"w:16", PRESTIGE_EXTENSION_UUID, PRESTIGE_ARROW_EXT_UUID}, {"u", PRESTIGE_EXTENSION_JSON, PRESTIGE_ARROW_EXT_JSON},
      {"U", PRESTIGE_EXTENSION_JSON, PRESTIGE_ARROW_EXT_JSON},    {"z", PRESTIGE_EXTENSION_BSON, PRESTIGE_ARROW_EXT_BSON},
      {"Z", PRESTIGE_EXTENSION_BSON, PRESTIGE_ARROW_EXT_BSON},    {"u", PRESTIGE_EXTENSION_ENUM, PRESTIGE_ARROW_EXT_ENUM},
      {"z", PRESTIGE_EXTENSION_ENUM, PRESTIGE_ARROW_EXT_ENUM},    {"z", "geoarrow.wkb", PRESTIGE_ARROW_EXT_OTHER},
  };
  for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
    CHECK_OK(prestige_schema_init(&s, ok[i].format, "f", 0, &err));
    CHECK_OK(prestige_schema_metadata_put(&s, "PARQUET:field_id", "7", -1, &err));
    CHECK_OK(prestige_schema_set_extension(&s, ok[i].name, NULL, &err));
    CHECK_OK(prestige_schema_extension(&s, &kind, &err));
    CHECK_MSG(kind == ok[i].want, "%s on %s: kind %d", ok[i].name, ok[i].format, (int)kind);
    /* both keys, as Arrow C++ exports them; other metadata kept */
    CHECK(meta_is(&s, PRESTIGE_EXTENSION_NAME_KEY, ok[i].name) && meta_is(&s, PRESTIGE_EXTENSION_METADATA_KEY, ""));
    CHECK(meta_is(&s, "PARQUET:field_id", "7"));
    prestige_schema_release(&s);
  }
  CHECK_OK(prestige_schema_init(&s, "u", "plain", 0, &err));
  CHECK_OK(prestige_schema_extension(&s, &kind, &err));
  CHECK(kind == PRESTIGE_ARROW_EXT_NONE);
  const char *name;
  int32_t len;
  CHECK(!prestige_schema_extension_name(&s, &name, &len));
  /* parameters are kept, and removing the extension leaves the rest */
  CHECK_OK(prestige_schema_set_extension(&s, PRESTIGE_EXTENSION_JSON, "{}", &err));
  CHECK(meta_is(&s, PRESTIGE_EXTENSION_METADATA_KEY, "{}"));
  CHECK(prestige_schema_extension_name(&s, &name, &len) && len == 10 && !memcmp(name, "arrow.json", 10));
  CHECK_OK(prestige_schema_set_extension(&s, NULL, NULL, &err));
  CHECK_EQ_INT(prestige_metadata_count(s.metadata), 0);
  prestige_schema_release(&s);
  /* a canonical name on a storage type it does not allow */
  const char *bad[][2] = {{"u", PRESTIGE_EXTENSION_UUID}, {"w:8", PRESTIGE_EXTENSION_UUID}, {"z", PRESTIGE_EXTENSION_JSON},
                          {"u", PRESTIGE_EXTENSION_BSON}, {"l", PRESTIGE_EXTENSION_ENUM}};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    CHECK_OK(prestige_schema_init(&s, bad[i][0], "col9", 0, &err));
    CHECK_OK(prestige_schema_set_extension(&s, bad[i][1], NULL, &err));
    CHECK_ERR(prestige_schema_extension(&s, &kind, &err), PRESTIGE_EINVAL, "field \"col9\"");
    CHECK_MSG(strstr(err.message, bad[i][1]) && strstr(err.message, bad[i][0]), "%s", err.message);
    prestige_schema_release(&s);
  }
  CHECK_EQ_STR(prestige_arrow_extension_name(PRESTIGE_ARROW_EXT_UUID), "arrow.uuid");
  CHECK_EQ_STR(prestige_arrow_extension_name(PRESTIGE_ARROW_EXT_BSON), "parquet.bson");
  CHECK(prestige_arrow_extension_name(PRESTIGE_ARROW_EXT_OTHER) == NULL);
}

TEST(test_uuid_text) {
  prestige_error_t err;
  const uint8_t b[16] = {0xf8, 0x1d, 0x4f, 0xae, 0x7d, 0xec, 0x11, 0xd0, 0xa7, 0x65, 0x00, 0xa0, 0xc9, 0x1e, 0x6b, 0xf6};
  char text[37];
  prestige_uuid_format(b, text);
  CHECK_EQ_STR(text, "f81d4fae-7dec-11d0-a765-00a0c91e6bf6");
  uint8_t back[16];
  const char *forms[] = {"f81d4fae-7dec-11d0-a765-00a0c91e6bf6", "F81D4FAE-7DEC-11D0-A765-00A0C91E6BF6",
                         "f81d4fae7dec11d0a76500a0c91e6bf6", "{f81d4fae-7dec-11d0-a765-00a0c91e6bf6}"};
  for (size_t i = 0; i < 4; i++) {
    memset(back, 0, 16);
    CHECK_OK(prestige_uuid_parse(forms[i], strlen(forms[i]), back, &err));
    CHECK_MSG(!memcmp(back, b, 16), "%s", forms[i]);
  }
  const char *bad[] = {"", "f81d4fae-7dec-11d0-a765-00a0c91e6bf",   "f81d4fae-7dec-11d0-a765-00a0c91e6bf6a",
                       "f81d4fae_7dec-11d0-a765-00a0c91e6bf6",    "g81d4fae-7dec-11d0-a765-00a0c91e6bf6",
                       "f81d4fae7-dec-11d0-a765-00a0c91e6bf6",    "f81d4fae-7dec-11d0-a765-00a0c91e6bf-"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    CHECK_ERR(prestige_uuid_parse(bad[i], strlen(bad[i]), back, &err), PRESTIGE_EINVAL, "is not a UUID");
    CHECK_MSG(strstr(err.message, bad[i]) != NULL, "%s", err.message);
  }
  /* every byte value survives format -> parse, and the text is what DuckDB prints */
  uint32_t seed = 12345;
  char sql[4096] = "SELECT ";
  char expect[8][37];
  for (int k = 0; k < 8; k++) {
    uint8_t r[16];
    for (int i = 0; i < 16; i++) r[i] = (uint8_t)((seed = seed * 1103515245u + 12345u) >> 16);
    prestige_uuid_format(r, expect[k]);
    CHECK_OK(prestige_uuid_parse(expect[k], 36, back, &err));
    CHECK(!memcmp(back, r, 16));
    char hex[33];
    for (int i = 0; i < 16; i++) snprintf(hex + 2 * i, 3, "%02X", r[i]);
    snprintf(sql + strlen(sql), sizeof(sql) - strlen(sql), "%s'%s'::UUID::VARCHAR AS u%d", k ? ", " : "", hex, k);
  }
  char *out = test_duckdb_json(sql);
  json_t *rows = out ? json_loads(out, 0, NULL) : NULL;
  CHECK(rows && json_array_size(rows) == 1);
  for (int k = 0; rows && k < 8; k++) {
    char key[8];
    snprintf(key, sizeof(key), "u%d", k);
    CHECK_EQ_STR(json_string_value(json_object_get(json_array_get(rows, 0), key)), expect[k]);
  }
  json_decref(rows);
  free(out);
}

TEST(test_interval_text) {
  /* months, days, nanoseconds: DuckDB's INTERVAL text (microseconds) is the reference */
  struct {
    int32_t months, days;
    int64_t ns;
  } cases[] = {
      {0, 0, 0},           {1, 0, 0},          {12, 0, 0},           {14, 2, 3001500000LL},   {0, 1, 0},
      {0, 0, 90000000000LL * 4 + 1000}, {-1, 0, 0},  {-13, 0, 0},  {0, -1, 0},  {0, 1, -1500000000LL},
      {24, 31, 86399999000000LL}, {1, -1, 0}, {0, 0, 1000}, {25, 0, 360000000000000LL},
  };
  size_t n = sizeof(cases) / sizeof(cases[0]);
  char sql[8192] = "SELECT ";
  for (size_t i = 0; i < n; i++)
    snprintf(sql + strlen(sql), sizeof(sql) - strlen(sql), "%s(to_months(%d) + to_days(%d) + to_microseconds(%lld))::VARCHAR AS i%zu",
             i ? ", " : "", cases[i].months, cases[i].days, (long long)(cases[i].ns / 1000), i);
  char *out = test_duckdb_json(sql);
  json_t *rows = out ? json_loads(out, 0, NULL) : NULL;
  CHECK(rows && json_array_size(rows) == 1);
  for (size_t i = 0; rows && i < n; i++) {
    char key[8], text[96];
    snprintf(key, sizeof(key), "i%zu", i);
    prestige_interval_format(cases[i].months, cases[i].days, cases[i].ns, text, sizeof(text));
    CHECK_EQ_STR(text, json_string_value(json_object_get(json_array_get(rows, 0), key)));
  }
  json_decref(rows);
  free(out);
  /* nanoseconds beyond DuckDB's microseconds, and the extremes */
  char text[96];
  prestige_interval_format(0, 0, 1, text, sizeof(text));
  CHECK_EQ_STR(text, "00:00:00.000000001");
  prestige_interval_format(INT32_MIN, INT32_MIN, INT64_MIN, text, sizeof(text));
  CHECK_EQ_STR(text, "-178956970 years -8 months -2147483648 days -2562047:47:16.854775808");
  CHECK_EQ_INT(prestige_interval_format(1, 0, 0, text, 4), (int)strlen("1 month"));
  CHECK_EQ_STR(text, "1 m");
}

TEST_MAIN(RUN(test_metadata_put); RUN(test_extension_kinds); RUN(test_uuid_text); RUN(test_interval_text);)
