/* Reader row filtering: the filter's columns are read even when not projected, only matching rows
 * come out and only the projected columns; binding errors at open; NaN-aware pruning from the
 * nan_count statistics the writer records; the file source filters too. */
#include <math.h>

#include "prestige/parquet_reader.h"
#include "prestige/parquet_writer.h"
#include "prestige/source.h"
#include "test.h"

#define ROWS 3000

/* a = i, b = 2i, point = {x: i/2, y: i % 7 (null when i % 11 == 0)} (null when i % 17 == 0),
 * f = i (NaN when i % 13 == 0 in the last row group), tags = [i, i+1][: i % 3] */
static void write_file(const char *path) {
  prestige_error_t err;
  struct ArrowSchema s;
  prestige_schema_init(&s, "+s", "", 0, &err);
  prestige_schema_allocate_children(&s, 5, &err);
  prestige_schema_init(s.children[0], "l", "a", 0, &err);
  prestige_schema_init(s.children[1], "l", "b", ARROW_FLAG_NULLABLE, &err);
  prestige_schema_init(s.children[2], "+s", "point", ARROW_FLAG_NULLABLE, &err);
  prestige_schema_allocate_children(s.children[2], 2, &err);
  prestige_schema_init(s.children[2]->children[0], "g", "x", ARROW_FLAG_NULLABLE, &err);
  prestige_schema_init(s.children[2]->children[1], "i", "y", ARROW_FLAG_NULLABLE, &err);
  prestige_schema_init(s.children[3], "f", "f", ARROW_FLAG_NULLABLE, &err);
  prestige_schema_init(s.children[4], "+l", "tags", ARROW_FLAG_NULLABLE, &err);
  prestige_schema_allocate_children(s.children[4], 1, &err);
  prestige_schema_init(s.children[4]->children[0], "l", "item", ARROW_FLAG_NULLABLE, &err);
  prestige_array_builder_t *b;
  CHECK_OK(prestige_array_builder_new(&b, &s, &err));
  for (int64_t i = 0; i < ROWS; i++) {
    prestige_array_builder_append_int(prestige_array_builder_child(b, 0), i, &err);
    prestige_array_builder_append_int(prestige_array_builder_child(b, 1), 2 * i, &err);
    prestige_array_builder_t *p = prestige_array_builder_child(b, 2);
    if (i % 17 == 0) {
      prestige_array_builder_append_null(p, &err);
    } else {
      prestige_array_builder_append_double(prestige_array_builder_child(p, 0), i * 0.5, &err);
      if (i % 11 == 0) prestige_array_builder_append_null(prestige_array_builder_child(p, 1), &err);
      else prestige_array_builder_append_int(prestige_array_builder_child(p, 1), i % 7, &err);
      prestige_array_builder_append_struct(p, &err);
    }
    prestige_array_builder_append_double(prestige_array_builder_child(b, 3), i >= 2000 && i % 13 == 0 ? NAN : (double)i, &err);
    prestige_array_builder_t *l = prestige_array_builder_child(b, 4);
    for (int k = 0; k < i % 3; k++) prestige_array_builder_append_int(prestige_array_builder_child(l, 0), i + k, &err);
    prestige_array_builder_append_list(l, &err);
    CHECK_OK(prestige_array_builder_append_struct(b, &err));
  }
  struct ArrowArray a;
  CHECK_OK(prestige_array_builder_finish(b, &a, &err));
  prestige_array_builder_free(b);
  prestige_parquet_writer_options_t o;
  prestige_parquet_writer_options_init(&o);
  o.row_group_rows = 1000;
  o.data_page_bytes = 1024;
  prestige_parquet_writer_t *w;
  CHECK_OK(prestige_parquet_writer_open_file(&w, path, &s, &o, &err));
  CHECK_OK(prestige_parquet_writer_write(w, &a, &err));
  CHECK_OK(prestige_parquet_writer_close(w, NULL, &err));
  a.release(&a);
  prestige_schema_release(&s);
}

typedef struct got {
  int64_t rows, batches;
  struct ArrowSchema schema;
  int64_t sum; /* of the first column's int64 values, or of 2*x for a point.x projection */
} got_t;

/* Reads path with columns and filter; returns the rows and checks every batch against the schema. */
static int read_all(const char *path, const char *const *cols, int64_t ncols, const char *filter, bool filter_rows,
                    got_t *g, prestige_parquet_reader_t **keep_counts, prestige_error_t *errp) {
  memset(g, 0, sizeof(*g));
  prestige_error_t err;
  prestige_predicate_t *p = NULL;
  int rc = prestige_predicate_parse(filter, &p, &err);
  if (rc) {
    *errp = err;
    return rc;
  }
  prestige_parquet_reader_options_t o;
  prestige_parquet_reader_options_init(&o);
  o.columns = cols;
  o.n_columns = ncols;
  o.filter = p;
  o.filter_rows = filter_rows;
  o.batch_rows = 97;
  prestige_parquet_reader_t *r;
  rc = prestige_parquet_reader_open_file(&r, path, &o, &err);
  if (rc) {
    *errp = err;
    prestige_predicate_free(p);
    return rc;
  }
  CHECK_OK(prestige_parquet_reader_schema(r, &g->schema, &err));
  for (int32_t i = 0; i < prestige_parquet_reader_num_row_groups(r); i++) {
    struct ArrowArray a;
    CHECK_OK(prestige_parquet_reader_read_row_group(r, i, &a, &err));
    if (!a.release) break;
    g->batches++;
    g->rows += a.length;
    CHECK_OK(prestige_array_validate(&a, &g->schema, &err));
    const struct ArrowArray *c0 = a.children[0];
    for (int64_t j = 0; j < a.length; j++) {
      if (!strcmp(g->schema.children[0]->format, "l")) g->sum += ((const int64_t *)c0->buffers[1])[c0->offset + a.offset + j];
      else if (!strcmp(g->schema.children[0]->format, "+s") && prestige_array_is_valid(c0, a.offset + j)) {
        const struct ArrowArray *x = c0->children[0];
        g->sum += (int64_t)(2 * ((const double *)x->buffers[1])[x->offset + c0->offset + a.offset + j]);
      }
    }
    a.release(&a);
  }
  if (keep_counts) *keep_counts = r;
  else prestige_parquet_reader_close(r);
  prestige_predicate_free(p);
  return 0;
}

TEST(test_filter_columns_not_projected) {
  char path[1024];
  snprintf(path, sizeof path, "%s/f.parquet", test_tmpdir());
  write_file(path);
  prestige_error_t err;
  got_t g;
  prestige_parquet_reader_t *r;
  /* issue 13 §1: the filter's column is left out of the projection */
  const char *b_only[] = {"b"};
  CHECK_OK(read_all(path, b_only, 1, "a > 2995", true, &g, &r, &err));
  CHECK_EQ_INT(g.schema.n_children, 1);
  CHECK_EQ_STR(g.schema.children[0]->name, "b");
  CHECK_EQ_INT(g.rows, 4);
  CHECK_EQ_INT(g.sum, 2 * (2996 + 2997 + 2998 + 2999));
  CHECK_EQ_INT(prestige_parquet_reader_pruned_row_groups(r), 2);
  CHECK_EQ_INT(prestige_parquet_reader_filtered_rows(r) + prestige_parquet_reader_pruned_rows(r), 1000 - 4);
  prestige_parquet_reader_close(r);
  prestige_schema_release(&g.schema);
  /* pruning only: the rows of what may match, still only the projected column */
  CHECK_OK(read_all(path, b_only, 1, "a > 2995", false, &g, NULL, &err));
  CHECK_EQ_INT(g.schema.n_children, 1);
  CHECK(g.rows >= 4 && g.rows <= 1000);
  prestige_schema_release(&g.schema);
  /* a struct cut to one field, filtered on another field and on a column left out */
  const char *px[] = {"point.x"};
  CHECK_OK(read_all(path, px, 1, "point.y = 3 AND a < 100", true, &g, NULL, &err));
  int64_t want = 0, want_sum = 0;
  for (int64_t i = 0; i < 100; i++)
    if (i % 17 && i % 11 && i % 7 == 3) want++, want_sum += i;
  CHECK_EQ_INT(g.rows, want);
  CHECK_EQ_INT(g.sum, want_sum);
  CHECK_EQ_INT(g.schema.n_children, 1);
  CHECK_EQ_INT(g.schema.children[0]->n_children, 1);
  CHECK_EQ_STR(g.schema.children[0]->children[0]->name, "x");
  prestige_schema_release(&g.schema);
  /* the filter's column also projected, and a list column filtered along */
  const char *ta[] = {"a", "tags"};
  CHECK_OK(read_all(path, ta, 2, "point IS NULL AND tags IS NOT NULL", true, &g, NULL, &err));
  want = want_sum = 0;
  for (int64_t i = 0; i < ROWS; i++)
    if (i % 17 == 0) want++, want_sum += i;
  CHECK_EQ_INT(g.rows, want);
  CHECK_EQ_INT(g.sum, want_sum);
  prestige_schema_release(&g.schema);
  /* NOT and NULL: point.y IS NULL for a null point and for a null y; NOT keeps neither */
  CHECK_OK(read_all(path, NULL, 0, "NOT point.y < 100", true, &g, NULL, &err));
  CHECK_EQ_INT(g.rows, 0);
  prestige_schema_release(&g.schema);
  CHECK_OK(read_all(path, NULL, 0, "NOT point.y >= 3", true, &g, NULL, &err));
  want = 0;
  for (int64_t i = 0; i < ROWS; i++) want += i % 17 && i % 11 && i % 7 < 3;
  CHECK_EQ_INT(g.rows, want);
  prestige_schema_release(&g.schema);
}

TEST(test_bind_errors_at_open) {
  char path[1024];
  snprintf(path, sizeof path, "%s/f.parquet", test_tmpdir());
  prestige_error_t err;
  got_t g;
  CHECK_ERR(read_all(path, NULL, 0, "c > 1", true, &g, NULL, &err), PRESTIGE_EINVAL, "no column \"c\"");
  CHECK(strstr(err.message, "f.parquet") != NULL);
  CHECK_ERR(read_all(path, NULL, 0, "a = 'x'", true, &g, NULL, &err), PRESTIGE_EINVAL, "column \"a\"");
  CHECK(strstr(err.message, "'x'") != NULL);
  CHECK_ERR(read_all(path, NULL, 0, "point.x.y = 1", false, &g, NULL, &err), PRESTIGE_EINVAL, "point.x.y");
  CHECK_ERR(read_all(path, NULL, 0, "tags > 1", true, &g, NULL, &err), PRESTIGE_EINVAL, "column \"tags\"");
}

/* NaN is greater than every number: row groups may be ruled out for f > x only when their
 * statistics say they hold no NaN (the writer records nan_count). */
TEST(test_nan_pruning) {
  char path[1024];
  snprintf(path, sizeof path, "%s/f.parquet", test_tmpdir());
  prestige_error_t err;
  got_t g;
  prestige_parquet_reader_t *r;
  const char *a_only[] = {"a"};
  int64_t nans = 0, nan_sum = 0;
  for (int64_t i = 2000; i < ROWS; i++)
    if (i % 13 == 0) nans++, nan_sum += i;
  CHECK_OK(read_all(path, a_only, 1, "f > 5000", true, &g, &r, &err));
  CHECK_EQ_INT(g.rows, nans);
  CHECK_EQ_INT(g.sum, nan_sum);
  CHECK_EQ_INT(prestige_parquet_reader_pruned_row_groups(r), 2);
  prestige_parquet_reader_close(r);
  prestige_schema_release(&g.schema);
  CHECK_OK(read_all(path, a_only, 1, "f < 0", true, &g, &r, &err));
  CHECK_EQ_INT(g.rows, 0);
  CHECK_EQ_INT(prestige_parquet_reader_pruned_row_groups(r), 3);
  prestige_parquet_reader_close(r);
  prestige_schema_release(&g.schema);
  CHECK_OK(read_all(path, a_only, 1, "f != 1", true, &g, NULL, &err));
  CHECK_EQ_INT(g.rows, ROWS - 1);
  prestige_schema_release(&g.schema);
  CHECK_OK(read_all(path, a_only, 1, "f = 'NaN' OR f = 7", true, &g, &r, &err));
  CHECK_EQ_INT(g.rows, nans + 1);
  CHECK_EQ_INT(prestige_parquet_reader_pruned_row_groups(r), 1);
  prestige_parquet_reader_close(r);
  prestige_schema_release(&g.schema);
}

TEST(test_source_filter) {
  char path[1024];
  snprintf(path, sizeof path, "%s/f.parquet", test_tmpdir());
  prestige_error_t err;
  prestige_predicate_t *p;
  CHECK_OK(prestige_predicate_parse("a > 2995 OR a < 2", &p, &err));
  const char *paths[] = {path, path, path};
  const char *cols[] = {"b"};
  for (int unordered = 0; unordered < 2; unordered++) {
    prestige_source_options_t so;
    prestige_source_options_init(&so);
    so.columns = cols;
    so.n_columns = 1;
    so.filter = p;
    so.unordered = unordered;
    struct ArrowArrayStream st;
    CHECK_OK(prestige_source(&st, paths, 3, &so, &err));
    struct ArrowSchema sc;
    CHECK(st.get_schema(&st, &sc) == 0);
    CHECK_EQ_INT(sc.n_children, 1);
    int64_t rows = 0, sum = 0;
    for (;;) {
      struct ArrowArray b;
      if (st.get_next(&st, &b)) {
        CHECK_MSG(false, "%s", st.get_last_error(&st));
        break;
      }
      if (!b.release) break;
      rows += b.length;
      for (int64_t j = 0; j < b.length; j++) sum += ((const int64_t *)b.children[0]->buffers[1])[b.children[0]->offset + b.offset + j];
      b.release(&b);
    }
    CHECK_EQ_INT(rows, 3 * 6);
    CHECK_EQ_INT(sum, 3 * 2 * (0 + 1 + 2996 + 2997 + 2998 + 2999));
    prestige_schema_release(&sc);
    st.release(&st);
  }
  prestige_predicate_free(p);
  /* a filter that does not fit the files is an error when the source opens */
  CHECK_OK(prestige_predicate_parse("nope = 1", &p, &err));
  prestige_source_options_t so;
  prestige_source_options_init(&so);
  so.filter = p;
  struct ArrowArrayStream st;
  CHECK_ERR(prestige_source(&st, paths, 3, &so, &err), PRESTIGE_EINVAL, "no column \"nope\"");
  prestige_predicate_free(p);
}

/* A struct inside a struct cut to one field, filtered on its siblings: the batch keeps only the
 * projected path. */
TEST(test_nested_projection) {
  char path[1024];
  snprintf(path, sizeof path, "%s/nested.parquet", test_tmpdir());
  prestige_error_t err;
  struct ArrowSchema s;
  prestige_schema_init(&s, "+s", "", 0, &err);
  prestige_schema_allocate_children(&s, 1, &err);
  struct ArrowSchema *o = s.children[0];
  prestige_schema_init(o, "+s", "s", ARROW_FLAG_NULLABLE, &err);
  prestige_schema_allocate_children(o, 2, &err);
  prestige_schema_init(o->children[0], "+s", "inner", ARROW_FLAG_NULLABLE, &err);
  prestige_schema_allocate_children(o->children[0], 2, &err);
  prestige_schema_init(o->children[0]->children[0], "l", "a", ARROW_FLAG_NULLABLE, &err);
  prestige_schema_init(o->children[0]->children[1], "u", "b", ARROW_FLAG_NULLABLE, &err);
  prestige_schema_init(o->children[1], "i", "c", ARROW_FLAG_NULLABLE, &err);
  prestige_array_builder_t *b;
  CHECK_OK(prestige_array_builder_new(&b, &s, &err));
  int64_t want = 0, want_sum = 0;
  for (int64_t i = 0; i < 500; i++) {
    prestige_array_builder_t *sb = prestige_array_builder_child(b, 0), *ib = prestige_array_builder_child(sb, 0);
    if (i % 10 == 0) {
      prestige_array_builder_append_null(sb, &err);
    } else {
      if (i % 10 == 1) {
        prestige_array_builder_append_null(ib, &err);
      } else {
        prestige_array_builder_append_int(prestige_array_builder_child(ib, 0), i, &err);
        prestige_array_builder_append_bytes(prestige_array_builder_child(ib, 1), i % 3 ? "y" : "x", 1, &err);
        prestige_array_builder_append_struct(ib, &err);
      }
      prestige_array_builder_append_int(prestige_array_builder_child(sb, 1), (int32_t)(i % 5), &err);
      prestige_array_builder_append_struct(sb, &err);
    }
    CHECK_OK(prestige_array_builder_append_struct(b, &err));
    if (i % 10 > 1 && i % 3 == 0 && i % 5 > 1) want++, want_sum += i;
  }
  struct ArrowArray a;
  CHECK_OK(prestige_array_builder_finish(b, &a, &err));
  prestige_array_builder_free(b);
  prestige_parquet_writer_t *w;
  CHECK_OK(prestige_parquet_writer_open_file(&w, path, &s, NULL, &err));
  CHECK_OK(prestige_parquet_writer_write(w, &a, &err));
  CHECK_OK(prestige_parquet_writer_close(w, NULL, &err));
  a.release(&a);
  prestige_schema_release(&s);
  prestige_predicate_t *p;
  CHECK_OK(prestige_predicate_parse("s.inner.b = 'x' AND s.c > 1", &p, &err));
  prestige_parquet_reader_options_t ro;
  prestige_parquet_reader_options_init(&ro);
  const char *cols[] = {"s.inner.a"};
  ro.columns = cols;
  ro.n_columns = 1;
  ro.filter = p;
  prestige_parquet_reader_t *r;
  CHECK_OK(prestige_parquet_reader_open_file(&r, path, &ro, &err));
  struct ArrowSchema sc;
  CHECK_OK(prestige_parquet_reader_schema(r, &sc, &err));
  CHECK(sc.n_children == 1 && sc.children[0]->n_children == 1 && sc.children[0]->children[0]->n_children == 1);
  CHECK_EQ_STR(sc.children[0]->children[0]->children[0]->name, "a");
  struct ArrowArray rg;
  CHECK_OK(prestige_parquet_reader_read_row_group(r, 0, &rg, &err));
  CHECK_OK(prestige_array_validate(&rg, &sc, &err));
  CHECK_EQ_INT(rg.length, want);
  int64_t sum = 0;
  const struct ArrowArray *av = rg.children[0]->children[0]->children[0];
  for (int64_t j = 0; j < rg.length; j++) sum += ((const int64_t *)av->buffers[1])[av->offset + j];
  CHECK_EQ_INT(sum, want_sum);
  rg.release(&rg);
  prestige_schema_release(&sc);
  prestige_parquet_reader_close(r);
  prestige_predicate_free(p);
}

TEST_MAIN(RUN(test_filter_columns_not_projected); RUN(test_bind_errors_at_open); RUN(test_nan_pruning);
          RUN(test_source_filter); RUN(test_nested_projection);)
