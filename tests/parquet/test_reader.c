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


/* Page pruning with the column index: many small pages, nullable int/string/list columns, v1 and
 * v2 pages. Every row returned must be whole (its columns agree with each other), every matching
 * row must be returned, and the index must actually skip pages. */
#define PP_N 20000
static void pp_write(const char *path, int page_version) {
  prestige_error_t err;
  struct ArrowSchema s;
  prestige_schema_init(&s, "+s", "", 0, &err);
  prestige_schema_allocate_children(&s, 4, &err);
  prestige_schema_init(s.children[0], "l", "id", 0, &err);
  prestige_schema_init(s.children[1], "i", "v", ARROW_FLAG_NULLABLE, &err);
  prestige_schema_init(s.children[2], "u", "s", ARROW_FLAG_NULLABLE, &err);
  prestige_schema_init(s.children[3], "+l", "tags", ARROW_FLAG_NULLABLE, &err);
  prestige_schema_allocate_children(s.children[3], 1, &err);
  prestige_schema_init(s.children[3]->children[0], "i", "item", ARROW_FLAG_NULLABLE, &err);
  prestige_array_builder_t *b;
  CHECK_OK(prestige_array_builder_new(&b, &s, &err));
  for (int64_t i = 0; i < PP_N; i++) {
    prestige_array_builder_append_int(prestige_array_builder_child(b, 0), i, &err);
    if (i % 7 == 0) prestige_array_builder_append_null(prestige_array_builder_child(b, 1), &err);
    else prestige_array_builder_append_int(prestige_array_builder_child(b, 1), i * 3, &err);
    char t[32];
    int tl = snprintf(t, sizeof t, "s%lld", (long long)i);
    if (i % 5 == 0) prestige_array_builder_append_null(prestige_array_builder_child(b, 2), &err);
    else prestige_array_builder_append_bytes(prestige_array_builder_child(b, 2), t, tl, &err);
    prestige_array_builder_t *l = prestige_array_builder_child(b, 3);
    if (i % 11 == 0) {
      prestige_array_builder_append_null(l, &err);
    } else {
      for (int k = 0; k < i % 4; k++) prestige_array_builder_append_int(prestige_array_builder_child(l, 0), i * 10 + k, &err);
      prestige_array_builder_append_list(l, &err);
    }
    CHECK_OK(prestige_array_builder_append_struct(b, &err));
  }
  struct ArrowArray a;
  CHECK_OK(prestige_array_builder_finish(b, &a, &err));
  prestige_array_builder_free(b);
  prestige_parquet_writer_options_t o;
  prestige_parquet_writer_options_init(&o);
  o.row_group_rows = 8000;
  o.data_page_bytes = 2048;
  o.compression = PRESTIGE_COMPRESSION_ZSTD;
  o.data_page_version = page_version;
  prestige_parquet_writer_t *w;
  CHECK_OK(prestige_parquet_writer_open_file(&w, path, &s, &o, &err));
  CHECK_OK(prestige_parquet_writer_write(w, &a, &err));
  CHECK_OK(prestige_parquet_writer_close(w, NULL, &err));
  a.release(&a);
  prestige_schema_release(&s);
}

/* id of row j from whichever columns are present; -1 when nothing tells; -2 on disagreement */
static int64_t pp_row_id(const struct ArrowSchema *sc, const struct ArrowArray *bt, int64_t j) {
  int64_t id = -1;
  for (int64_t c = 0; c < bt->n_children; c++) {
    const char *name = sc->children[c]->name;
    const struct ArrowArray *col = bt->children[c];
    int64_t at = bt->offset + col->offset + j, got = -1;
    bool valid = prestige_array_is_valid(col, bt->offset + j);
    if (!strcmp(name, "id")) {
      got = ((const int64_t *)col->buffers[1])[at];
    } else if (!strcmp(name, "v")) {
      if (!valid) continue;
      got = ((const int32_t *)col->buffers[1])[at] / 3;
      if (got % 7 == 0) return -2;
    } else if (!strcmp(name, "s")) {
      if (!valid) continue;
      const int32_t *off = col->buffers[1];
      char t[32] = {0};
      memcpy(t, (const char *)col->buffers[2] + off[at], (size_t)(off[at + 1] - off[at]) < 31 ? (size_t)(off[at + 1] - off[at]) : 31);
      got = atoll(t + 1);
    } else if (!strcmp(name, "tags")) {
      if (!valid) continue;
      const int32_t *off = col->buffers[1];
      const struct ArrowArray *it = col->children[0];
      int32_t n = off[at + 1] - off[at];
      if (n == 0) continue;
      got = ((const int32_t *)it->buffers[1])[it->offset + off[at]] / 10;
      if (n != got % 4) return -2;
    }
    if (id == -1) id = got;
    else if (id != got) return -2;
  }
  return id;
}

TEST(test_page_pruning) {
  const char *preds[] = {"id >= 5000 AND id < 5100", "id < 300 OR id >= 19900", "v = 30003", "id IN (17, 9000, 15000)",
                         "v IS NULL AND id < 1000", "id > 100000", "s = 's12346'"};
  for (int version = 1; version <= 2; version++) {
    char path[1024];
    snprintf(path, sizeof(path), "%s/pages-v%d.parquet", test_tmpdir(), version);
    pp_write(path, version);
    for (size_t pi = 0; pi < sizeof preds / sizeof preds[0]; pi++) {
      for (int proj = 0; proj < 4; proj++) { /* 0, 1: pruning only, all columns / s and tags; 2, 3: filtering */
        prestige_error_t err;
        prestige_predicate_t *pred;
        CHECK_OK(prestige_predicate_parse(preds[pi], &pred, &err));
        prestige_parquet_reader_options_t ro;
        prestige_parquet_reader_options_init(&ro);
        ro.filter = pred;
        ro.filter_rows = proj >= 2;
        ro.batch_rows = 777;
        const char *cols[] = {"s", "tags"};
        if (proj & 1) {
          ro.columns = cols;
          ro.n_columns = 2;
        }
        prestige_parquet_reader_t *r;
        CHECK_OK(prestige_parquet_reader_open_file(&r, path, &ro, &err));
        struct ArrowArrayStream st;
        struct ArrowSchema sc;
        CHECK_OK(prestige_parquet_reader_schema(r, &sc, &err));
        CHECK_EQ_INT(sc.n_children, (proj & 1) ? 2 : 4);
        prestige_bound_predicate_t *bound = NULL;
        if (proj == 0) CHECK_OK(prestige_predicate_bind(pred, &sc, &bound, &err));
        CHECK_OK(prestige_parquet_reader_stream(r, &st, &err));
        int64_t rows = 0, matched = 0, broken = 0;
        struct ArrowSchema full;
        memset(&full, 0, sizeof full);
        for (;;) {
          struct ArrowArray bt;
          if (st.get_next(&st, &bt)) {
            CHECK_MSG(false, "%s: %s", preds[pi], st.get_last_error(&st));
            break;
          }
          if (!bt.release) break;
          CHECK_OK(prestige_array_validate(&bt, &sc, &err));
          for (int64_t j = 0; j < bt.length; j++) broken += pp_row_id(&sc, &bt, j) == -2;
          if (bound) {
            uint8_t sel[1000 / 8 + 1];
            int64_t n_sel = 0;
            CHECK_OK(prestige_bound_predicate_select(bound, &bt, sel, &n_sel, &err));
            matched += n_sel;
          }
          rows += bt.length;
          bt.release(&bt);
        }
        int64_t want = 0; /* brute force over the generated rows */
        for (int64_t i = 0; i < PP_N; i++) {
          bool v_null = i % 7 == 0;
          switch (pi) {
            case 0: want += i >= 5000 && i < 5100; break;
            case 1: want += i < 300 || i >= 19900; break;
            case 2: want += !v_null && i * 3 == 30003; break;
            case 3: want += i == 17 || i == 9000 || i == 15000; break;
            case 4: want += v_null && i < 1000; break;
            case 5: break;
            case 6: want += i == 12346; break;
          }
        }
        CHECK_MSG(broken == 0, "%s (v%d, proj %d): %lld rows whose columns disagree", preds[pi], version, proj, (long long)broken);
        if (!proj) CHECK_MSG(matched == want, "%s (v%d): %lld matching rows, want %lld", preds[pi], version, (long long)matched, (long long)want);
        if (proj < 2)
          CHECK_MSG(rows >= want && rows < PP_N, "%s (v%d, proj %d): %lld rows returned", preds[pi], version, proj, (long long)rows);
        else /* filtering: exactly the matching rows, whether or not the filter's columns are projected */
          CHECK_MSG(rows == want, "%s (v%d, proj %d): %lld rows returned, want %lld", preds[pi], version, proj, (long long)rows,
                    (long long)want);
        prestige_bound_predicate_free(bound);
        if (pi != 6) /* strings are not sorted by id: their pages cannot be ruled out */
          CHECK_MSG(prestige_parquet_reader_pruned_pages(r) > 0 || prestige_parquet_reader_pruned_row_groups(r) == 3,
                    "%s (v%d): no page pruned", preds[pi], version);
        CHECK_EQ_INT(prestige_parquet_reader_pruned_rows(r) + rows + prestige_parquet_reader_filtered_rows(r) +
                         (int64_t)prestige_parquet_reader_pruned_row_groups(r) * 8000 >= PP_N - 4000,
                     1);
        prestige_schema_release(&sc);
        st.release(&st);
        prestige_predicate_free(pred);
      }
    }
    /* use_page_index off: the same predicate returns whole row groups */
    prestige_error_t err;
    prestige_predicate_t *pred;
    CHECK_OK(prestige_predicate_parse("id >= 5000 AND id < 5100", &pred, &err));
    prestige_parquet_reader_options_t ro;
    prestige_parquet_reader_options_init(&ro);
    ro.filter = pred;
    ro.use_page_index = false;
    ro.filter_rows = false;
    prestige_parquet_reader_t *r;
    CHECK_OK(prestige_parquet_reader_open_file(&r, path, &ro, &err));
    struct ArrowArray bt;
    CHECK_OK(prestige_parquet_reader_read_row_group(r, 0, &bt, &err));
    CHECK_EQ_INT(bt.length, 8000);
    bt.release(&bt);
    CHECK_EQ_INT(prestige_parquet_reader_pruned_pages(r), 0);
    prestige_parquet_reader_close(r);
    prestige_predicate_free(pred);
  }
}

TEST_MAIN(RUN(test_round_trip_types); RUN(test_page_pruning);)
