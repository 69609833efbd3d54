/* Reader batches: files with several pages per column chunk and row groups larger than a batch,
 * for every physical type the writer produces (BOOLEAN, INT32, INT64, FLOAT, DOUBLE, BYTE_ARRAY
 * as string and large_string, FIXED_LEN_BYTE_ARRAY), each nullable and required, with the
 * dictionary on, off and overflowing mid-chunk (dictionary pages then PLAIN pages), data pages v1
 * and v2. Read as a stream in batches of odd sizes (with one and two threads) and row group by
 * row group, every value is checked against the rows written, and every batch's length against
 * the batch boundaries (min(batch_rows, rows left in the row group)): a decoder that skips or
 * repeats a value, or a batch cut elsewhere, fails. */
#include "prestige/parquet_reader.h"
#include "prestige/parquet_writer.h"
#include "test.h"

enum { ROWS = 5000, RG_ROWS = 2100, NCOLS = 8 };
static const char *formats[NCOLS] = {"b", "i", "l", "f", "g", "u", "U", "w:16"};

static uint64_t rng;
static uint64_t next_rand(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}

/* Builds the table written: column c nullable when `nullable`; values repeat (50 distinct) so
 * the dictionary is used, strings of 0..40 bytes. */
static int build(struct ArrowSchema *s, struct ArrowArray *a, bool nullable) {
  prestige_error_t err;
  rng = 0x2545f4914f6cdd1dull;
  prestige_schema_init(s, "+s", "", 0, &err);
  prestige_schema_allocate_children(s, NCOLS, &err);
  for (int c = 0; c < NCOLS; c++) {
    char name[8];
    snprintf(name, sizeof name, "c%d", c);
    prestige_schema_init(s->children[c], formats[c], name, nullable ? ARROW_FLAG_NULLABLE : 0, &err);
  }
  prestige_array_builder_t *b;
  CHECK_OK(prestige_array_builder_new(&b, s, &err));
  int rc = 0;
  for (int i = 0; i < ROWS && !rc; i++) {
    for (int c = 0; c < NCOLS; c++) {
      uint64_t r = next_rand();
      prestige_array_builder_t *cb = prestige_array_builder_child(b, c);
      if (nullable && r % 5 == 0) { /* runs of nulls too: whole pages of them at times */
        rc |= prestige_array_builder_append_null(cb, &err);
        continue;
      }
      int64_t v = (int64_t)((r >> 8) % 50) - 20;
      char text[64];
      int len = (int)((r >> 20) % 41);
      for (int k = 0; k < len; k++) text[k] = (char)('a' + (v + 20 + k) % 26);
      switch (c) {
        case 0: rc |= prestige_array_builder_append_bool(cb, v & 1, &err); break;
        case 1: rc |= prestige_array_builder_append_int(cb, v * 1000003, &err); break;
        case 2: rc |= prestige_array_builder_append_int(cb, v * 1000000007LL, &err); break;
        case 3: case 4: rc |= prestige_array_builder_append_double(cb, (double)v / 8.0, &err); break;
        case 5: case 6: rc |= prestige_array_builder_append_bytes(cb, text, len, &err); break;
        default: memset(text, (int)(v & 0xff), 16); rc |= prestige_array_builder_append_bytes(cb, text, 16, &err);
      }
    }
    rc |= prestige_array_builder_append_struct(b, &err);
  }
  CHECK_OK(rc);
  CHECK_OK(prestige_array_builder_finish(b, a, &err));
  prestige_array_builder_free(b);
  return rc;
}

static bool valid_at(const struct ArrowArray *a, int64_t j) {
  return !a->buffers[0] || ((((const uint8_t *)a->buffers[0])[j >> 3] >> (j & 7)) & 1);
}

/* Whether value i of a equals value k of b (format f); positions include the arrays' offsets. */
static bool same_value(const char *f, const struct ArrowArray *a, int64_t i, const struct ArrowArray *b, int64_t k) {
  bool va = valid_at(a, i), vb = valid_at(b, k);
  if (va != vb) return false;
  if (!va) return true;
  switch (f[0]) {
    case 'b': {
      const uint8_t *x = a->buffers[1], *y = b->buffers[1];
      return ((x[i >> 3] >> (i & 7)) & 1) == ((y[k >> 3] >> (k & 7)) & 1);
    }
    case 'i': case 'f': return !memcmp((const uint8_t *)a->buffers[1] + i * 4, (const uint8_t *)b->buffers[1] + k * 4, 4);
    case 'l': case 'g': return !memcmp((const uint8_t *)a->buffers[1] + i * 8, (const uint8_t *)b->buffers[1] + k * 8, 8);
    case 'w': return !memcmp((const uint8_t *)a->buffers[1] + i * 16, (const uint8_t *)b->buffers[1] + k * 16, 16);
    case 'u': {
      const int32_t *oa = a->buffers[1], *ob = b->buffers[1];
      return oa[i + 1] - oa[i] == ob[k + 1] - ob[k] &&
             !memcmp((const uint8_t *)a->buffers[2] + oa[i], (const uint8_t *)b->buffers[2] + ob[k], (size_t)(oa[i + 1] - oa[i]));
    }
    case 'U': {
      const int64_t *oa = a->buffers[1], *ob = b->buffers[1];
      return oa[i + 1] - oa[i] == ob[k + 1] - ob[k] &&
             !memcmp((const uint8_t *)a->buffers[2] + oa[i], (const uint8_t *)b->buffers[2] + ob[k], (size_t)(oa[i + 1] - oa[i]));
    }
  }
  return false;
}

/* Checks batch `got` (rows first..first+len of the file) against the rows written; counts bad
 * values per column and remembers the first. */
static void check_rows(const struct ArrowArray *want, const struct ArrowArray *got, int64_t first, int64_t *bad,
                       int64_t *first_bad) {
  for (int c = 0; c < NCOLS; c++) {
    const struct ArrowArray *x = want->children[c], *y = got->children[c];
    for (int64_t i = 0; i < got->length; i++) {
      if (first + i >= ROWS || !same_value(formats[c], x, first + i, y, got->offset + y->offset + i)) {
        if (!bad[c]++) first_bad[c] = first + i;
      }
    }
  }
}

static void read_and_check(const char *path, const struct ArrowArray *want, int64_t batch, int threads, const char *what) {
  prestige_error_t err;
  prestige_parquet_reader_options_t o;
  prestige_parquet_reader_options_init(&o);
  o.batch_rows = batch;
  o.threads = threads;
  prestige_parquet_reader_t *r;
  CHECK_OK(prestige_parquet_reader_open_file(&r, path, &o, &err));
  if (!r) return;
  struct ArrowSchema s;
  CHECK_OK(prestige_parquet_reader_schema(r, &s, &err));
  for (int c = 0; c < NCOLS && c < s.n_children; c++) CHECK_EQ_STR(s.children[c]->format, formats[c]);
  prestige_schema_release(&s);
  struct ArrowArrayStream st;
  CHECK_OK(prestige_parquet_reader_stream(r, &st, &err));
  int64_t row = 0, bad[NCOLS] = {0}, first_bad[NCOLS] = {0}, bad_len = 0;
  for (;;) {
    struct ArrowArray b;
    int rc = st.get_next(&st, &b);
    CHECK_MSG(rc == 0, "%s: %s", what, st.get_last_error(&st));
    if (rc || !b.release) break;
    int64_t left = RG_ROWS - row % RG_ROWS; /* rows left in this row group */
    if (left > ROWS - row) left = ROWS - row;
    int64_t expect = batch < left ? batch : left;
    if (b.length != expect && !bad_len++)
      fprintf(stderr, "%s: batch at row %lld has %lld rows, expected %lld\n", what, (long long)row, (long long)b.length,
              (long long)expect);
    check_rows(want, &b, row, bad, first_bad);
    row += b.length;
    b.release(&b);
  }
  st.release(&st);
  CHECK_MSG(row == ROWS, "%s: %lld rows read", what, (long long)row);
  CHECK_MSG(bad_len == 0, "%s: %lld batches cut elsewhere", what, (long long)bad_len);
  for (int c = 0; c < NCOLS; c++)
    CHECK_MSG(bad[c] == 0, "%s: column c%d (%s): %lld values differ, the first at row %lld", what, c, formats[c],
              (long long)bad[c], (long long)first_bad[c]);
}

/* The whole-row-group read gives the same values. */
static void read_row_groups(const char *path, const struct ArrowArray *want, const char *what) {
  prestige_error_t err;
  prestige_parquet_reader_t *r;
  CHECK_OK(prestige_parquet_reader_open_file(&r, path, NULL, &err));
  if (!r) return;
  int32_t n = prestige_parquet_reader_num_row_groups(r);
  CHECK_EQ_INT(n, (ROWS + RG_ROWS - 1) / RG_ROWS);
  int64_t row = 0, bad[NCOLS] = {0}, first_bad[NCOLS] = {0};
  for (int32_t g = 0; g < n; g++) {
    struct ArrowArray b;
    CHECK_OK(prestige_parquet_reader_read_row_group(r, g, &b, &err));
    if (!b.release) break;
    check_rows(want, &b, row, bad, first_bad);
    for (int c = 0; c < NCOLS && c < b.n_children; c++) { /* null counts agree with the validity bits */
      int64_t nulls = 0;
      for (int64_t i = 0; i < b.length; i++) nulls += !valid_at(want->children[c], row + i);
      CHECK_MSG(b.children[c]->null_count == nulls, "%s: row group %d, column c%d: null_count %lld, %lld nulls", what, g, c,
                (long long)b.children[c]->null_count, (long long)nulls);
    }
    row += b.length;
    b.release(&b);
  }
  prestige_parquet_reader_close(r);
  CHECK_EQ_INT(row, ROWS);
  for (int c = 0; c < NCOLS; c++)
    CHECK_MSG(bad[c] == 0, "%s: row groups: column c%d: %lld values differ, the first at row %lld", what, c, (long long)bad[c],
              (long long)first_bad[c]);
}

TEST(every_value_in_batches_of_odd_sizes) {
  static const int64_t batches[] = {1, 7, 333, 2099, 2100, 4096};
  for (int nullable = 0; nullable <= 1; nullable++) {
    struct ArrowSchema s;
    struct ArrowArray a;
    if (build(&s, &a, nullable)) return;
    for (int dict = 0; dict <= 2; dict++) {     /* off, on, overflowing into PLAIN pages */
      for (int v = 1; v <= 2; v++) {            /* data page version */
        prestige_error_t err;
        char path[1024], what[128];
        snprintf(path, sizeof path, "%s/b-%d-%d-%d.parquet", test_tmpdir(), nullable, dict, v);
        prestige_parquet_writer_options_t o;
        prestige_parquet_writer_options_init(&o);
        o.row_group_rows = RG_ROWS;
        o.data_page_bytes = 1024; /* several pages per chunk */
        o.dictionary = dict > 0;
        if (dict == 2) o.dictionary_page_bytes = 200;
        o.data_page_version = v;
        o.compression = v == 1 ? PRESTIGE_COMPRESSION_ZSTD : PRESTIGE_COMPRESSION_UNCOMPRESSED;
        prestige_parquet_writer_t *w;
        CHECK_OK(prestige_parquet_writer_open_file(&w, path, &s, &o, &err));
        CHECK_OK(prestige_parquet_writer_write(w, &a, &err));
        CHECK_OK(prestige_parquet_writer_close(w, NULL, &err));
        snprintf(what, sizeof what, "nullable %d, dictionary %d, pages v%d", nullable, dict, v);
        read_row_groups(path, &a, what);
        for (size_t k = 0; k < sizeof batches / sizeof batches[0]; k++) {
          char w2[160];
          for (int threads = 1; threads <= 2; threads++) {
            snprintf(w2, sizeof w2, "%s, batch %lld, threads %d", what, (long long)batches[k], threads);
            read_and_check(path, &a, batches[k], threads, w2);
          }
        }
      }
    }
    a.release(&a);
    prestige_schema_release(&s);
  }
}

TEST_MAIN(RUN(every_value_in_batches_of_odd_sizes);)
