#include "prestige/arrow.h"
#include "test.h"

TEST(test_format_parse) {
  prestige_error_t err;
  prestige_arrow_type_info_t t;
  CHECK_OK(prestige_arrow_type_parse("tsu:Europe/Paris", &t, &err));
  CHECK(t.type == PRESTIGE_ARROW_TIMESTAMP && t.unit == PRESTIGE_TIME_UNIT_MICRO);
  CHECK_EQ_STR(t.timezone, "Europe/Paris");
  CHECK_OK(prestige_arrow_type_parse("d:38,10", &t, &err));
  CHECK(t.type == PRESTIGE_ARROW_DECIMAL128 && t.precision == 38 && t.scale == 10 && t.byte_width == 16);
  CHECK_OK(prestige_arrow_type_parse("d:40,2,256", &t, &err));
  CHECK(t.type == PRESTIGE_ARROW_DECIMAL256);
  CHECK_OK(prestige_arrow_type_parse("w:16", &t, &err));
  CHECK(t.type == PRESTIGE_ARROW_FIXED_SIZE_BINARY && t.fixed_size == 16);
  CHECK_OK(prestige_arrow_type_parse("+w:3", &t, &err));
  CHECK(t.type == PRESTIGE_ARROW_FIXED_SIZE_LIST && t.fixed_size == 3);
  CHECK_OK(prestige_arrow_type_parse("ttm", &t, &err));
  CHECK(t.type == PRESTIGE_ARROW_TIME32);
  CHECK_ERR(prestige_arrow_type_parse("q", &t, &err), PRESTIGE_EINVAL, "\"q\"");
  CHECK_ERR(prestige_arrow_type_parse("d:39,2", &t, &err), PRESTIGE_EINVAL, "d:39,2");
  CHECK_ERR(prestige_arrow_type_parse("+ud:1,2", &t, &err), PRESTIGE_EUNSUPPORTED, "+ud");
}

/* { id: int64, name: utf8?, tags: list<utf8?>, point: struct{x: double, y: double}?, m: map<utf8, int32> } */
static void make_schema(struct ArrowSchema *s) {
  prestige_error_t err;
  prestige_schema_init(s, "+s", "", 0, &err);
  prestige_schema_allocate_children(s, 5, &err);
  prestige_schema_init(s->children[0], "l", "id", 0, &err);
  prestige_schema_init(s->children[1], "u", "name", ARROW_FLAG_NULLABLE, &err);
  prestige_schema_init(s->children[2], "+l", "tags", ARROW_FLAG_NULLABLE, &err);
  prestige_schema_allocate_children(s->children[2], 1, &err);
  prestige_schema_init(s->children[2]->children[0], "u", "element", ARROW_FLAG_NULLABLE, &err);
  prestige_schema_init(s->children[3], "+s", "point", ARROW_FLAG_NULLABLE, &err);
  prestige_schema_allocate_children(s->children[3], 2, &err);
  prestige_schema_init(s->children[3]->children[0], "g", "x", 0, &err);
  prestige_schema_init(s->children[3]->children[1], "g", "y", 0, &err);
  prestige_schema_init(s->children[4], "+m", "m", 0, &err);
  prestige_schema_allocate_children(s->children[4], 1, &err);
  struct ArrowSchema *e = s->children[4]->children[0];
  prestige_schema_init(e, "+s", "entries", 0, &err);
  prestige_schema_allocate_children(e, 2, &err);
  prestige_schema_init(e->children[0], "u", "key", 0, &err);
  prestige_schema_init(e->children[1], "i", "value", ARROW_FLAG_NULLABLE, &err);
  prestige_kv_t kv[] = {{"PARQUET:field_id", "1", -1}, {"k2", "v\0x", 3}};
  prestige_schema_set_metadata(s->children[0], kv, 2, &err);
}

TEST(test_schema_metadata_copy) {
  prestige_error_t err;
  struct ArrowSchema s, c;
  make_schema(&s);
  CHECK_OK(prestige_schema_validate(&s, &err));
  CHECK_OK(prestige_schema_copy(&c, &s, &err));
  prestige_schema_release(&s);
  const char *v;
  int32_t len;
  CHECK(prestige_metadata_get(c.children[0]->metadata, "PARQUET:field_id", &v, &len) && len == 1 && v[0] == '1');
  CHECK(prestige_metadata_get(c.children[0]->metadata, "k2", &v, &len) && len == 3 && v[1] == 0);
  CHECK_EQ_INT(prestige_metadata_count(c.children[0]->metadata), 2);
  CHECK(!prestige_metadata_get(c.children[0]->metadata, "nope", &v, &len));
  CHECK_EQ_STR(c.children[4]->children[0]->children[1]->name, "value");
  prestige_schema_release(&c);
  CHECK(c.release == NULL);
}

TEST(test_builder_nested) {
  prestige_error_t err;
  struct ArrowSchema s;
  make_schema(&s);
  prestige_array_builder_t *b;
  CHECK_OK(prestige_array_builder_new(&b, &s, &err));
  prestige_array_builder_t *id = prestige_array_builder_child(b, 0), *name = prestige_array_builder_child(b, 1),
                           *tags = prestige_array_builder_child(b, 2), *pt = prestige_array_builder_child(b, 3),
                           *m = prestige_array_builder_child(b, 4);
  prestige_array_builder_t *tag = prestige_array_builder_child(tags, 0), *ent = prestige_array_builder_child(m, 0);
  for (int r = 0; r < 3; r++) {
    CHECK_OK(prestige_array_builder_append_int(id, r, &err));
    if (r == 1) CHECK_OK(prestige_array_builder_append_null(name, &err));
    else CHECK_OK(prestige_array_builder_append_bytes(name, "abc", r + 1, &err));
    if (r == 2) {
      CHECK_OK(prestige_array_builder_append_null(tags, &err));
    } else {
      CHECK_OK(prestige_array_builder_append_bytes(tag, "t", 1, &err));
      CHECK_OK(prestige_array_builder_append_null(tag, &err));
      CHECK_OK(prestige_array_builder_append_list(tags, &err));
    }
    if (r == 0) {
      CHECK_OK(prestige_array_builder_append_null(pt, &err));
    } else {
      CHECK_OK(prestige_array_builder_append_double(prestige_array_builder_child(pt, 0), r * 1.5, &err));
      CHECK_OK(prestige_array_builder_append_double(prestige_array_builder_child(pt, 1), -r, &err));
      CHECK_OK(prestige_array_builder_append_struct(pt, &err));
    }
    CHECK_OK(prestige_array_builder_append_bytes(prestige_array_builder_child(ent, 0), "k", 1, &err));
    CHECK_OK(prestige_array_builder_append_int(prestige_array_builder_child(ent, 1), r * 10, &err));
    CHECK_OK(prestige_array_builder_append_struct(ent, &err));
    CHECK_OK(prestige_array_builder_append_list(m, &err));
    CHECK_OK(prestige_array_builder_append_struct(b, &err));
  }
  CHECK_ERR(prestige_array_builder_append_struct(b, &err), PRESTIGE_EINVAL, "child \"id\" has 3 values");
  CHECK_ERR(prestige_array_builder_append_bool(id, true, &err), PRESTIGE_ETYPE, "field \"id\"");
  struct ArrowArray a;
  CHECK_OK(prestige_array_builder_finish(b, &a, &err));
  CHECK_OK(prestige_array_validate(&a, &s, &err));
  CHECK_EQ_INT(a.length, 3);
  CHECK_EQ_INT(a.children[1]->null_count, 1);
  const int32_t *off = a.children[1]->buffers[1];
  CHECK(off[0] == 0 && off[1] == 1 && off[2] == 1 && off[3] == 4);
  CHECK(!prestige_array_is_valid(a.children[1], 1) && prestige_array_is_valid(a.children[1], 2));
  const int32_t *toff = a.children[2]->buffers[1];
  CHECK(toff[3] == 4 && a.children[2]->children[0]->length == 4 && a.children[2]->children[0]->null_count == 2);
  CHECK_EQ_INT(a.children[3]->children[0]->length, 3); /* null struct keeps child slots */
  CHECK(((const double *)a.children[3]->children[0]->buffers[1])[2] == 3.0);
  CHECK_EQ_INT(a.children[4]->children[0]->length, 3);
  CHECK(a.children[0]->buffers[0] == NULL); /* no nulls: no validity buffer */
  /* corrupt offsets are caught */
  int32_t *bad = (int32_t *)a.children[1]->buffers[1];
  bad[2] = 100;
  CHECK_ERR(prestige_array_validate(&a, &s, &err), PRESTIGE_EINVAL, "decreasing");
  bad[2] = 1;
  /* the builder is reusable */
  CHECK_EQ_INT(prestige_array_builder_length(b), 0);
  CHECK_ERR(prestige_array_builder_append_int(prestige_array_builder_child(ent, 1), 1LL << 40, &err), PRESTIGE_EINVAL,
            "out of range");
  struct ArrowArrayStream st;
  struct ArrowSchema sc;
  CHECK_OK(prestige_schema_copy(&sc, &s, &err));
  CHECK_OK(prestige_array_stream_from_batches(&st, &sc, &a, 1, &err));
  CHECK(a.release == NULL && sc.release == NULL);
  struct ArrowSchema got;
  CHECK_EQ_INT(st.get_schema(&st, &got), 0);
  CHECK_EQ_INT(got.n_children, 5);
  prestige_schema_release(&got);
  struct ArrowArray next;
  CHECK_EQ_INT(st.get_next(&st, &next), 0);
  CHECK(next.release != NULL && next.length == 3);
  prestige_array_release(&next);
  CHECK_EQ_INT(st.get_next(&st, &next), 0);
  CHECK(next.release == NULL);
  st.release(&st);
  prestige_array_builder_free(b);
  prestige_schema_release(&s);
}

TEST(test_builder_scalars) {
  prestige_error_t err;
  const char *fmts[] = {"b", "C", "S", "I", "L", "e", "w:2", "d:10,2", "tdD", "tsn:", "Z", "U"};
  for (size_t i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
    struct ArrowSchema s;
    prestige_schema_init(&s, fmts[i], "f", ARROW_FLAG_NULLABLE, &err);
    prestige_array_builder_t *b;
    CHECK_OK(prestige_array_builder_new(&b, &s, &err));
    for (int k = 0; k < 100; k++) {
      int rc;
      if (k % 7 == 0) rc = prestige_array_builder_append_null(b, &err);
      else if (fmts[i][0] == 'b') rc = prestige_array_builder_append_bool(b, k % 2, &err);
      else if (fmts[i][0] == 'e') rc = prestige_array_builder_append_double(b, 1.5, &err);
      else if (fmts[i][0] == 'w' || fmts[i][0] == 'Z' || fmts[i][0] == 'U') rc = prestige_array_builder_append_bytes(b, "xy", 2, &err);
      else if (fmts[i][0] == 'd') rc = prestige_array_builder_append_decimal(b, (const uint8_t *)"0123456789abcdef", &err);
      else rc = prestige_array_builder_append_uint(b, (uint64_t)k, &err);
      CHECK_MSG(rc == 0, "%s: %s", fmts[i], err.message);
    }
    struct ArrowArray a;
    CHECK_OK(prestige_array_builder_finish(b, &a, &err));
    CHECK_OK(prestige_array_validate(&a, &s, &err));
    CHECK_EQ_INT(a.null_count, 15);
    if (fmts[i][0] == 'e') CHECK_EQ_INT(((const uint16_t *)a.buffers[1])[1], 0x3e00);
    if (fmts[i][0] == 'b') CHECK(!prestige_array_is_valid(&a, 0) && prestige_array_is_valid(&a, 1));
    prestige_array_release(&a);
    prestige_array_builder_free(b);
    prestige_schema_release(&s);
  }
}

TEST_MAIN(RUN(test_format_parse); RUN(test_schema_metadata_copy); RUN(test_builder_nested); RUN(test_builder_scalars);)
