#include <dirent.h>
#include <jansson.h>
#include <sys/stat.h>

#include "core/arena.h"
#include "parquet/metadata.h"
#include "parquet/thrift.h"
#include "test.h"

static const char *corpus(void) {
  static char dir[1024];
  snprintf(dir, sizeof(dir), "%s/../shared/parquet-testing/data", test_root());
  return dir;
}

/* Reads the footer of path into *out (malloc'd). Returns 0, or -1 when not a plain PAR1 file. */
static int read_footer(const char *path, uint8_t **out, size_t *len, char *magic) {
  FILE *f = fopen(path, "rb");
  if (!f) return -1;
  fseek(f, 0, SEEK_END);
  long size = ftell(f);
  uint8_t tail[8];
  if (size < 12 || fseek(f, size - 8, SEEK_SET) || fread(tail, 1, 8, f) != 8) {
    fclose(f);
    return -1;
  }
  memcpy(magic, tail + 4, 4);
  magic[4] = 0;
  uint32_t flen = load_le32(tail);
  if (flen > (uint32_t)size - 8) {
    fclose(f);
    return -1;
  }
  *out = malloc(flen ? flen : 1);
  fseek(f, size - 8 - (long)flen, SEEK_SET);
  size_t got = fread(*out, 1, flen, f);
  fclose(f);
  *len = flen;
  return got == flen ? 0 : -1;
}

TEST(test_thrift_primitives) {
  buf_t b = BUF_INIT;
  thrift_writer_t w;
  tw_init(&w, &b);
  tw_struct_begin(&w);
  tw_field_i32(&w, 1, -1);     /* delta 1, type 5: 0x15, zigzag(-1)=1 */
  tw_field_i64(&w, 20, 300);   /* long form: 0x06, zigzag varint 20 -> 40 = 0x28, 600 = 0xd8 0x04 */
  tw_field_bool(&w, 21, true); /* delta 1 bool true: 0x11 */
  tw_field_list_begin(&w, 22, TC_BINARY, 2);
  tw_binary(&w, "ab", 2);
  tw_binary(&w, "", 0);
  tw_struct_end(&w);
  const uint8_t want[] = {0x15, 0x01, 0x06, 0x28, 0xd8, 0x04, 0x11, 0x19, 0x28, 0x02, 'a', 'b', 0x00, 0x00};
  CHECK_EQ_INT(b.len, sizeof(want));
  CHECK(b.len == sizeof(want) && memcmp(b.data, want, sizeof(want)) == 0);
  prestige_error_t err;
  thrift_reader_t r;
  tr_init(&r, b.data, b.len, "test", &err);
  int16_t fid;
  uint8_t ft;
  int32_t i32;
  int64_t i64;
  CHECK_OK(tr_struct_begin(&r));
  CHECK_OK(tr_field(&r, &fid, &ft));
  CHECK(fid == 1 && ft == TC_I32);
  CHECK_OK(tr_i32(&r, &i32));
  CHECK_EQ_INT(i32, -1);
  CHECK_OK(tr_field(&r, &fid, &ft));
  CHECK_OK(tr_i64(&r, &i64));
  CHECK(fid == 20 && i64 == 300);
  CHECK_OK(tr_field(&r, &fid, &ft));
  CHECK(fid == 21 && ft == TC_TRUE);
  CHECK_OK(tr_field(&r, &fid, &ft));
  CHECK_OK(tr_skip(&r, ft));
  CHECK_OK(tr_field(&r, &fid, &ft));
  CHECK_EQ_INT(ft, TC_STOP);
  /* truncations fail cleanly */
  for (size_t n = 0; n < b.len - 1; n++) {
    thrift_reader_t t;
    tr_init(&t, b.data, n, "truncated", &err);
    CHECK(tr_skip(&t, TC_STRUCT) == PRESTIGE_ECORRUPT);
  }
  buf_release(&b);
}

TEST(test_corpus_footers) {
  prestige_error_t err;
  DIR *d = opendir(corpus());
  CHECK(d != NULL);
  if (!d) return;
  /* One DuckDB query per file ("-- each" mode), so a file DuckDB rejects does not hide the rest. */
  buf_t sql = BUF_INIT;
  buf_append(&sql, "-- each\n", 8);
  struct dirent *e0;
  while ((e0 = readdir(d))) {
    size_t n = strlen(e0->d_name);
    if (n < 8 || strcmp(e0->d_name + n - 8, ".parquet")) continue;
    char q[2048];
    int qn = snprintf(q, sizeof(q),
                      "SELECT '%s' AS f, num_rows, num_row_groups FROM parquet_file_metadata('%s/%s')\n",
                      e0->d_name, corpus(), e0->d_name);
    buf_append(&sql, q, (size_t)qn);
  }
  buf_append_u8(&sql, 0);
  rewinddir(d);
  json_t *per_file = NULL, *expected = json_array();
  char *js = test_duckdb_json((const char *)sql.data);
  buf_release(&sql);
  if (js) per_file = json_loads(js, 0, NULL);
  free(js);
  size_t k;
  json_t *res;
  json_array_foreach(per_file, k, res) {
    if (json_is_array(res) && json_array_size(res) == 1) json_array_append(expected, json_array_get(res, 0));
  }
  json_decref(per_file);
  int decoded = 0, compared = 0;
  struct dirent *e;
  while ((e = readdir(d))) {
    size_t n = strlen(e->d_name);
    if (n < 8 || strcmp(e->d_name + n - 8, ".parquet")) continue;
    char path[2048];
    snprintf(path, sizeof(path), "%s/%s", corpus(), e->d_name);
    uint8_t *footer = NULL;
    size_t len;
    char magic[5];
    if (read_footer(path, &footer, &len, magic)) {
      free(footer);
      continue;
    }
    if (strcmp(magic, "PAR1") != 0) { /* PARE: encrypted footer */
      free(footer);
      continue;
    }
    arena_t a = ARENA_INIT;
    pq_file_metadata_t m;
    struct stat st;
    stat(path, &st);
    int rc = pq_file_metadata_decode(footer, len, &a, &m, &err);
    if (rc == 0) rc = pq_file_metadata_validate(&m, (uint64_t)st.st_size, &err);
    CHECK_MSG(rc == 0 || rc == PRESTIGE_EUNSUPPORTED, "%s: %s", e->d_name, err.message);
    if (rc == 0) {
      decoded++;
      size_t i;
      json_t *row;
      json_array_foreach(expected, i, row) {
        if (strcmp(json_string_value(json_object_get(row, "f")), e->d_name) != 0) continue;
        json_t *nr = json_object_get(row, "num_rows"), *ng = json_object_get(row, "num_row_groups");
        long long want_rows = json_is_string(nr) ? atoll(json_string_value(nr)) : json_integer_value(nr);
        long long want_groups = json_is_string(ng) ? atoll(json_string_value(ng)) : json_integer_value(ng);
        CHECK_MSG(m.num_rows == want_rows, "%s: rows %lld vs duckdb %lld", e->d_name, (long long)m.num_rows, want_rows);
        CHECK_MSG(m.n_row_groups == want_groups, "%s: groups %d vs %lld", e->d_name, m.n_row_groups, want_groups);
        compared++;
      }
      /* round trip: re-encode and decode again gives the same shape */
      buf_t b = BUF_INIT;
      CHECK_OK(pq_file_metadata_encode(&m, &b, &err));
      arena_t a2 = ARENA_INIT;
      pq_file_metadata_t m2;
      CHECK_OK(pq_file_metadata_decode(b.data, b.len, &a2, &m2, &err));
      CHECK(m2.num_rows == m.num_rows && m2.n_schema == m.n_schema && m2.n_row_groups == m.n_row_groups);
      arena_release(&a2);
      buf_release(&b);
    }
    /* every truncation and a bit flip per byte region must fail or succeed without crashing */
    for (size_t cut = 0; cut < len; cut += 1 + len / 64) {
      arena_t t = ARENA_INIT;
      pq_file_metadata_t tm;
      (void)pq_file_metadata_decode(footer, cut, &t, &tm, &err);
      arena_release(&t);
    }
    for (size_t pos = 0; pos < len; pos += 1 + len / 32) {
      footer[pos] ^= 0x5a;
      arena_t t = ARENA_INIT;
      pq_file_metadata_t tm;
      if (pq_file_metadata_decode(footer, len, &t, &tm, &err) == 0) (void)pq_file_metadata_validate(&tm, (uint64_t)st.st_size, &err);
      arena_release(&t);
      footer[pos] ^= 0x5a;
    }
    arena_release(&a);
    free(footer);
  }
  closedir(d);
  json_decref(expected);
  CHECK_MSG(decoded > 60, "decoded only %d footers", decoded);
  CHECK_MSG(compared > 60, "compared only %d footers with DuckDB", compared);
  printf("decoded %d corpus footers, %d compared with DuckDB\n", decoded, compared);
}

TEST_MAIN(RUN(test_thrift_primitives); RUN(test_corpus_footers);)
