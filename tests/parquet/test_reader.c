/* Reader: prestige writer -> reader round trips restore exact Arrow types and values; batches,
 * projection and row-group selection; errors on bad input. */
#include <unistd.h>

#include "prestige/parquet_reader.h"
#include "prestige/parquet_writer.h"
#include "test.h"

static const char *FMTS[] = {"U", "Z", "tss:", "tsm:Europe/Paris", "tsu:UTC", "tsn:", "tts", "ttm", "ttu", "tdD", "tdm",
                             "tDs", "tDn", "C", "S", "I", "L", "c", "s", "e", "w:3", "d:5,2", "d:30,5", "b"};
enum { NF = sizeof(FMTS) / sizeof(FMTS[0]), N = 5000 };

static void make(struct ArrowSchema *s, struct ArrowArray *a) {
  prestige_error_t err;
  prestige_schema_init(s, "+s", "", 0, &err);
  prestige_schema_allocate_children(s, NF + 1, &err);
  for (int c = 0; c < NF; c++) {
    char name[8];
    snprintf(name, sizeof(name), "c%d", c);
    prestige_schema_init(s->children[c], FMTS[c], name, ARROW_FLAG_NULLABLE, &err);
  }
  prestige_schema_init(s->children[NF], "+L", "big_list", ARROW_FLAG_NULLABLE, &err);
  prestige_schema_allocate_children(s->children[NF], 1, &err);
  prestige_schema_init(s->children[NF]->children[0], "U", "item", ARROW_FLAG_NULLABLE, &err);
  prestige_array_builder_t *b;
  prestige_array_builder_new(&b, s, &err);
  for (int i = 0; i < N; i++) {
    for (int c = 0; c < NF; c++) {
      prestige_array_builder_t *cb = prestige_array_builder_child(b, c);
      const char *f = FMTS[c];
      if ((i + c) % 9 == 0) prestige_array_builder_append_null(cb, &err);
      else if (f[0] == 'U' || f[0] == 'Z') prestige_array_builder_append_bytes(cb, "hello world", i % 12, &err);
      else if (f[0] == 'w') prestige_array_builder_append_bytes(cb, "abc", 3, &err);
      else if (f[0] == 'd') {
        __int128 v = (__int128)(i % 1000) * (c % 2 ? 7 : -7);
        prestige_array_builder_append_decimal(cb, (const uint8_t *)&v, &err);
      } else if (f[0] == 'b') prestige_array_builder_append_bool(cb, i % 2, &err);
      else if (f[0] == 'e') prestige_array_builder_append_double(cb, (i % 64) * 0.5, &err);
      else if (!strcmp(f, "tdm")) prestige_array_builder_append_int(cb, (int64_t)(i - 2500) * 86400000LL, &err);
      else if (f[0] == 'C' || f[0] == 'c') prestige_array_builder_append_int(cb, i % 100, &err);
      else if (f[0] == 'S' || f[0] == 'I' || f[0] == 'L') prestige_array_builder_append_int(cb, (int64_t)i * 3, &err);
      else if (f[0] == 's') prestige_array_builder_append_int(cb, i - 2500, &err);
      else prestige_array_builder_append_int(cb, (int64_t)i * 3 - 7000, &err);
    }
    prestige_array_builder_t *l = prestige_array_builder_child(b, NF);
    if (i % 7 == 0) prestige_array_builder_append_null(l, &err);
    else {
      for (int k = 0; k < i % 4; k++) prestige_array_builder_append_bytes(prestige_array_builder_child(l, 0), "xy", k, &err);
      prestige_array_builder_append_list(l, &err);
    }
    if (prestige_array_builder_append_struct(b, &err)) {
      fprintf(stderr, "row %d: %s\n", i, err.message);
      break;
    }
  }
  if (prestige_array_builder_finish(b, a, &err)) fprintf(stderr, "finish: %s\n", err.message);
  prestige_array_builder_free(b);
}

/* Compares column c of two record batches value by value through their buffers (fixed width). */
static bool same_column(const struct ArrowArray *x, const struct ArrowArray *y, int64_t yoff, int c, int width) {
  const struct ArrowArray *a = x->children[c], *b = y->children[c];
  for (int64_t i = 0; i < b->length - yoff && i < y->length; i++) {
    int64_t ia = i + yoff, ib = y->offset + i;
    bool va = prestige_array_is_valid(a, ia), vb = prestige_array_is_valid(b, ib);
    if (va != vb) return false;
    if (!va || width == 0) continue;
    if (memcmp((const uint8_t *)a->buffers[1] + ia * width, (const uint8_t *)b->buffers[1] + (b->offset + ib) * width, (size_t)width))
      return false;
  }
  return true;
}

TEST(test_round_trip_types) {
  prestige_error_t err;
  struct ArrowSchema s;
  struct ArrowArray a;
  make(&s, &a);
  char path[1024];
  snprintf(path, sizeof(path), "%s/types.parquet", test_tmpdir());
  prestige_parquet_writer_options_t o;
  prestige_parquet_writer_options_init(&o);
  o.row_group_rows = 1500;
  prestige_parquet_writer_t *w;
  CHECK_OK(prestige_parquet_writer_open_file(&w, path, &s, &o, &err));
  CHECK_OK(prestige_parquet_writer_write(w, &a, &err));
  CHECK_OK(prestige_parquet_writer_close(w, NULL, &err));
  prestige_parquet_reader_options_t ro;
  prestige_parquet_reader_options_init(&ro);
  ro.batch_rows = 1000;
  prestige_parquet_reader_t *r;
  CHECK_OK(prestige_parquet_reader_open_file(&r, path, &ro, &err));
  CHECK_EQ_INT(prestige_parquet_reader_num_rows(r), N);
  CHECK_EQ_INT(prestige_parquet_reader_num_row_groups(r), 4);
  struct ArrowArrayStream st;
  CHECK_OK(prestige_parquet_reader_stream(r, &st, &err));
  struct ArrowSchema got;
  CHECK_EQ_INT(st.get_schema(&st, &got), 0);
  CHECK_EQ_INT(got.n_children, NF + 1);
  for (int c = 0; c < NF && c < got.n_children; c++)
    CHECK_MSG(!strcmp(got.children[c]->format, FMTS[c]), "column %d: read %s, wrote %s", c, got.children[c]->format, FMTS[c]);
  CHECK_EQ_STR(got.children[NF]->format, "+L");
  CHECK_EQ_STR(got.children[NF]->children[0]->format, "U");
  int64_t row = 0, batches = 0;
  int mismatches = 0;
  for (;;) {
    struct ArrowArray bt;
    CHECK_EQ_INT(st.get_next(&st, &bt), 0);
    if (!bt.release) break;
    batches++;
    CHECK_OK(prestige_array_validate(&bt, &got, &err));
    for (int c = 0; c < NF; c++) {
      prestige_arrow_type_info_t t;
      prestige_arrow_type_parse(FMTS[c], &t, &err);
      int width = t.type == PRESTIGE_ARROW_BOOL || FMTS[c][0] == 'U' || FMTS[c][0] == 'Z' ? 0 : t.byte_width;
      /* compare against the input rows [row, row + length) */
      struct ArrowArray view = bt;
      mismatches += !same_column(&a, &view, row, c, width) ? 1 : 0;
    }
    row += bt.length;
    bt.release(&bt);
  }
  CHECK_EQ_INT(row, N);
  CHECK_EQ_INT(batches, 7); /* 1500-row groups in 1000-row batches: 1000+500 three times, then 500 */
  CHECK_EQ_INT(mismatches, 0);
  prestige_schema_release(&got);
  st.release(&st);
  /* projection and row-group selection */
  const char *cols[] = {"c3", "big_list"};
  const int32_t groups[] = {3, 0};
  prestige_parquet_reader_options_init(&ro);
  ro.columns = cols;
  ro.n_columns = 2;
  ro.row_groups = groups;
  ro.n_row_groups = 2;
  CHECK_OK(prestige_parquet_reader_open_file(&r, path, &ro, &err));
  struct ArrowArray g;
  CHECK_OK(prestige_parquet_reader_read_row_group(r, 0, &g, &err));
  CHECK_EQ_INT(g.length, 500);
  CHECK_EQ_INT(g.n_children, 2);
  int64_t first;
  memcpy(&first, (const uint8_t *)g.children[0]->buffers[1] + 8, 8);
  CHECK_EQ_INT(first, (int64_t)4501 * 3 - 7000);
  g.release(&g);
  prestige_parquet_reader_close(r);
  const char *bad[] = {"nope"};
  ro.columns = bad;
  ro.n_columns = 1;
  CHECK_ERR(prestige_parquet_reader_open_file(&r, path, &ro, &err), PRESTIGE_ENOTFOUND, "no column \"nope\"");
  prestige_parquet_reader_options_init(&ro);
  const int32_t nog[] = {9};
  ro.row_groups = nog;
  ro.n_row_groups = 1;
  CHECK_ERR(prestige_parquet_reader_open_file(&r, path, &ro, &err), PRESTIGE_EINVAL, "no row group 9");
  CHECK_ERR(prestige_parquet_reader_open_file(&r, "/nonexistent.parquet", NULL, &err), PRESTIGE_ENOTFOUND, "nonexistent");
  /* a footer bigger than the prefetch takes a second read and still works */
  prestige_parquet_reader_options_init(&ro);
  ro.footer_prefetch = 16;
  CHECK_OK(prestige_parquet_reader_open_file(&r, path, &ro, &err));
  prestige_parquet_reader_close(r);
  prestige_array_release(&a);
  prestige_schema_release(&s);
}

TEST_MAIN(RUN(test_round_trip_types);)
