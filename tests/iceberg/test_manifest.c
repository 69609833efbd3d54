/* Manifests and manifest lists: written and read back (V2 and V3), inheritance of snapshot ids,
 * sequence numbers and first row ids, partition summaries, Java's Avro schemas (names, docs,
 * every field id), V1 manifests, and corrupt, truncated and missing files.
 *
 *   test_manifest                 the unit tests
 *   test_manifest write DIR       writes v2/v3 manifests and lists into DIR for the interop script
 *                                 (tests/iceberg/it_manifest_interop.sh) and their schemas as .avsc */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "avro/avro.h"
#include "iceberg/manifest.h"
#include "test.h"

static prestige_error_t err;

static const char *SCHEMA_JSON =
    "{\"type\":\"struct\",\"schema-id\":0,\"fields\":["
    "{\"id\":1,\"name\":\"id\",\"required\":true,\"type\":\"int\"},"
    "{\"id\":2,\"name\":\"ts\",\"required\":false,\"type\":\"timestamptz\"},"
    "{\"id\":3,\"name\":\"name\",\"required\":false,\"type\":\"string\"},"
    "{\"id\":4,\"name\":\"price\",\"required\":false,\"type\":\"decimal(9,2)\"},"
    "{\"id\":5,\"name\":\"f\",\"required\":false,\"type\":\"double\"},"
    "{\"id\":6,\"name\":\"u\",\"required\":false,\"type\":\"uuid\"}]}";

static const char *SPEC_JSON =
    "{\"spec-id\":0,\"fields\":["
    "{\"source-id\":1,\"field-id\":1000,\"name\":\"id\",\"transform\":\"identity\"},"
    "{\"source-id\":2,\"field-id\":1001,\"name\":\"ts_day\",\"transform\":\"day\"},"
    "{\"source-id\":3,\"field-id\":1002,\"name\":\"name_bucket\",\"transform\":\"bucket[4]\"},"
    "{\"source-id\":3,\"field-id\":1003,\"name\":\"name_trunc\",\"transform\":\"truncate[3]\"},"
    "{\"source-id\":4,\"field-id\":1004,\"name\":\"price\",\"transform\":\"identity\"},"
    "{\"source-id\":5,\"field-id\":1005,\"name\":\"f\",\"transform\":\"identity\"},"
    "{\"source-id\":6,\"field-id\":1006,\"name\":\"u\",\"transform\":\"identity\"}]}";

static ice_table_metadata_t *make_table(int version) {
  ice_schema_t *s = NULL;
  ice_partition_spec_t *spec = NULL;
  ice_table_metadata_t *md = NULL;
  json_t *j = json_loads(SPEC_JSON, 0, NULL);
  CHECK_OK(ice_schema_from_json_text(SCHEMA_JSON, &s, &err));
  CHECK_OK(ice_partition_spec_from_json(j, "spec", &spec, &err));
  if (s && spec) CHECK_OK(ice_metadata_new_table(s, spec, NULL, "file:///tmp/t", NULL, version, 1700000000000LL, &md, &err));
  json_decref(j);
  ice_schema_free(s);
  ice_partition_spec_free(spec);
  return md;
}

/* Three data files with partition tuples, metrics and the optional fields set in turn. */
typedef struct files {
  ice_data_file_t f[3];
  ice_value_t part[3][7];
  ice_id_count_t counts[4];
  ice_id_bytes_t bounds[2];
  int64_t splits[2];
  int32_t eq[1];
} files_t;

static void make_files(files_t *x) {
  memset(x, 0, sizeof(*x));
  static const uint8_t uuid[16] = {0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 1, 2, 3, 4, 5, 6, 7, 8};
  x->counts[0] = (ice_id_count_t){1, 100};
  x->counts[1] = (ice_id_count_t){3, 7};
  x->counts[2] = (ice_id_count_t){5, 0};
  x->counts[3] = (ice_id_count_t){2, 12345678901LL};
  x->bounds[0] = (ice_id_bytes_t){1, (const uint8_t *)"\x01\x00\x00\x00", 4};
  x->bounds[1] = (ice_id_bytes_t){3, (const uint8_t *)"abc", 3};
  x->splits[0] = 4;
  x->splits[1] = 1048580;
  for (int i = 0; i < 3; i++) {
    ice_data_file_t *f = &x->f[i];
    static const char *paths[] = {"file:///tmp/t/data/id=1/a.parquet", "file:///tmp/t/data/id=2/b.parquet",
                                  "file:///tmp/t/data/id=3/c.parquet"};
    f->content = ICE_CONTENT_DATA;
    f->file_path = paths[i];
    f->file_format = "parquet";
    f->record_count = 10 * (i + 1);
    f->file_size_in_bytes = 1000 + i;
    ice_value_t *p = x->part[i];
    p[0] = ice_value_int(i + 1);
    p[1] = i == 1 ? ice_value_null() : ice_value_int(19700 + i); /* day: date */
    p[2] = ice_value_int(i);
    p[3] = i == 2 ? ice_value_null() : ice_value_bytes(i ? "xyz" : "abc", 3);
    p[4] = ice_value_decimal(i == 0 ? -1234 : 99999);
    p[5] = i == 2 ? ice_value_double(NAN) : ice_value_double(i == 0 ? -0.5 : 2.5);
    p[6] = ice_value_null();
    if (i == 0) memcpy(p[6].v.uuid, uuid, 16), p[6].is_null = false;
    f->partition = p;
    f->n_partition = 7;
    if (i != 1) {
      f->column_sizes = (ice_counts_t){x->counts, 4, true};
      f->value_counts = (ice_counts_t){x->counts, 2, true};
      f->null_value_counts = (ice_counts_t){x->counts + 2, 1, true};
      f->nan_value_counts = (ice_counts_t){x->counts + 2, 1, true};
      f->lower_bounds = (ice_bounds_t){x->bounds, 2, true};
      f->upper_bounds = (ice_bounds_t){x->bounds, 1, true};
      f->split_offsets = x->splits;
      f->n_split_offsets = 2;
    }
    if (i == 2) {
      f->has_sort_order_id = true;
      f->sort_order_id = 1;
      f->key_metadata = (const uint8_t *)"\x00\x01\x02";
      f->key_metadata_len = 3;
    }
  }
}

static bool counts_eq(const ice_counts_t *a, const ice_counts_t *b) {
  if (a->present != b->present || a->n != b->n) return false;
  for (uint32_t i = 0; i < a->n; i++)
    if (a->v[i].id != b->v[i].id || a->v[i].value != b->v[i].value) return false;
  return true;
}

static bool bounds_eq(const ice_bounds_t *a, const ice_bounds_t *b) {
  if (a->present != b->present || a->n != b->n) return false;
  for (uint32_t i = 0; i < a->n; i++)
    if (a->v[i].id != b->v[i].id || a->v[i].len != b->v[i].len || memcmp(a->v[i].data, b->v[i].data, a->v[i].len))
      return false;
  return true;
}

static void check_file_equal(const ice_data_file_t *got, const ice_data_file_t *want, const ice_type_t *ptype) {
  CHECK_EQ_STR(got->file_path, want->file_path);
  CHECK_EQ_STR(got->file_format, want->file_format);
  CHECK_EQ_INT(got->content, want->content);
  CHECK_EQ_INT(got->record_count, want->record_count);
  CHECK_EQ_INT(got->file_size_in_bytes, want->file_size_in_bytes);
  CHECK_EQ_INT(got->n_partition, want->n_partition);
  for (uint32_t i = 0; i < got->n_partition && i < want->n_partition; i++) {
    const ice_type_t *t = ptype->fields[i].type;
    CHECK_EQ_INT(got->partition[i].is_null, want->partition[i].is_null);
    if (!want->partition[i].is_null && !got->partition[i].is_null) {
      bool nan = t->id == ICE_DOUBLE && isnan(want->partition[i].v.f64);
      if (nan) CHECK(isnan(got->partition[i].v.f64));
      else CHECK_MSG(ice_value_compare(t, &got->partition[i], &want->partition[i]) == 0, "partition field %u", i);
    }
  }
  CHECK(counts_eq(&got->column_sizes, &want->column_sizes));
  CHECK(counts_eq(&got->value_counts, &want->value_counts));
  CHECK(counts_eq(&got->null_value_counts, &want->null_value_counts));
  CHECK(counts_eq(&got->nan_value_counts, &want->nan_value_counts));
  CHECK(bounds_eq(&got->lower_bounds, &want->lower_bounds));
  CHECK(bounds_eq(&got->upper_bounds, &want->upper_bounds));
  CHECK_EQ_INT(got->n_split_offsets, want->n_split_offsets);
  if (got->split_offsets && want->split_offsets)
    CHECK(!memcmp(got->split_offsets, want->split_offsets, want->n_split_offsets * sizeof(int64_t)));
  CHECK_EQ_INT(got->has_sort_order_id, want->has_sort_order_id);
  CHECK_EQ_INT(got->sort_order_id, want->sort_order_id);
  CHECK_EQ_INT(got->key_metadata_len, want->key_metadata_len);
  CHECK((got->key_metadata == NULL) == (want->key_metadata == NULL));
}

static char *loc(const char *name) {
  static char buf[4][600];
  static int k;
  char *b = buf[k++ % 4];
  snprintf(b, 600, "file://%s/%s", test_tmpdir(), name);
  return b;
}

static ice_io_t *new_io(void) {
  ice_io_t *io = NULL;
  CHECK_OK(ice_io_new(NULL, &io, &err));
  char root[600];
  snprintf(root, sizeof root, "file://%s", test_tmpdir());
  CHECK_OK(ice_io_add_root(io, root, &err));
  return io;
}

/* Writes a manifest of the three files for snapshot 77 (and a manifest list around it). */
static int write_manifest(ice_io_t *io, const ice_table_metadata_t *md, const char *path, int version, files_t *x,
                          ice_manifest_file_t *mf) {
  ice_manifest_writer_t *w;
  int rc = ice_manifest_writer_open(&w, io, path, version, ice_metadata_current_schema(md), ice_metadata_default_spec(md),
                                    ICE_MANIFEST_DATA, 77, &err);
  if (rc) return rc;
  for (int i = 0; i < 3 && !rc; i++) rc = ice_manifest_writer_add(w, &x->f[i], &err);
  if (rc) {
    ice_manifest_writer_abort(w);
    return rc;
  }
  return ice_manifest_writer_close(w, mf, &err);
}

TEST(manifest_roundtrip_v2) {
  ice_table_metadata_t *md = make_table(2);
  ice_io_t *io = new_io();
  files_t x;
  make_files(&x);
  ice_manifest_file_t mf;
  CHECK_OK(write_manifest(io, md, loc("m-v2.avro"), 2, &x, &mf));
  CHECK_EQ_INT(mf.added_files_count, 3);
  CHECK_EQ_INT(mf.added_rows_count, 60);
  CHECK_EQ_INT(mf.existing_files_count, 0);
  CHECK_EQ_INT(mf.sequence_number, ICE_UNASSIGNED_SEQ);
  CHECK_EQ_INT(mf.min_sequence_number, ICE_UNASSIGNED_SEQ);
  CHECK_EQ_INT(mf.added_snapshot_id, 77);
  CHECK_EQ_INT(mf.n_partitions, 7);
  if (mf.n_partitions == 7) {
    /* identity(id): 1..3, no nulls */
    CHECK(!mf.partitions[0].contains_null && mf.partitions[0].lower_len == 4 && mf.partitions[0].lower_bound[0] == 1 &&
          mf.partitions[0].upper_bound[0] == 3);
    CHECK(mf.partitions[1].contains_null && mf.partitions[1].lower_bound && mf.partitions[1].upper_bound);
    CHECK(mf.partitions[3].contains_null && mf.partitions[3].lower_len == 3 && !memcmp(mf.partitions[3].lower_bound, "abc", 3) &&
          !memcmp(mf.partitions[3].upper_bound, "xyz", 3));
    CHECK(mf.partitions[5].contains_nan && mf.partitions[5].has_contains_nan);
    double lo = 0, hi = 0;
    if (mf.partitions[5].lower_bound) memcpy(&lo, mf.partitions[5].lower_bound, 8);
    if (mf.partitions[5].upper_bound) memcpy(&hi, mf.partitions[5].upper_bound, 8);
    CHECK(lo == -0.5 && hi == 2.5);
    CHECK(mf.partitions[6].contains_null && mf.partitions[6].lower_len == 16);
    CHECK(!mf.partitions[0].contains_nan);
  }
  /* the list assigns the sequence number; another manifest from an older snapshot keeps its own */
  ice_manifest_file_t old;
  CHECK_OK(ice_manifest_file_copy(&mf, &old, &err));
  free(old.path);
  old.path = strdup(loc("old.avro"));
  old.sequence_number = 3;
  old.min_sequence_number = 2;
  old.added_snapshot_id = 55;
  ice_manifest_list_writer_t *lw;
  int64_t parent = 55;
  CHECK_OK(ice_manifest_list_writer_open(&lw, io, loc("snap-77.avro"), 2, 77, &parent, 5, 0, &err));
  CHECK_OK(ice_manifest_list_writer_add(lw, &mf, &err));
  CHECK_OK(ice_manifest_list_writer_add(lw, &old, &err));
  CHECK_OK(ice_manifest_list_writer_close(lw, NULL, &err));
  ice_manifest_file_t *mfs = NULL;
  size_t n = 0;
  CHECK_OK(ice_manifest_list_read(io, loc("snap-77.avro"), &mfs, &n, &err));
  CHECK_EQ_INT(n, 2);
  if (n == 2) {
    CHECK_EQ_STR(mfs[0].path, mf.path);
    CHECK_EQ_INT(mfs[0].sequence_number, 5);
    CHECK_EQ_INT(mfs[0].min_sequence_number, 5);
    CHECK_EQ_INT(mfs[0].length, mf.length);
    CHECK_EQ_INT(mfs[0].added_rows_count, 60);
    CHECK_EQ_INT(mfs[0].n_partitions, 7);
    CHECK(!mfs[0].has_first_row_id);
    CHECK_EQ_INT(mfs[1].sequence_number, 3);
    CHECK_EQ_INT(mfs[1].min_sequence_number, 2);
    CHECK_EQ_INT(mfs[1].added_snapshot_id, 55);
    if (mfs[0].n_partitions == 7)
      CHECK(mfs[0].partitions[3].upper_len == 3 && !memcmp(mfs[0].partitions[3].upper_bound, "xyz", 3));
    /* entries inherit the snapshot id and both sequence numbers */
    ice_manifest_t m;
    CHECK_OK(ice_manifest_read(io, &mfs[0], md, NULL, NULL, &m, &err));
    CHECK_EQ_INT(m.n_entries, 3);
    CHECK_EQ_INT(m.format_version, 2);
    ice_type_t *pt = NULL;
    CHECK_OK(ice_partition_spec_type(ice_metadata_default_spec(md), ice_metadata_current_schema(md), &pt, &err));
    for (size_t i = 0; i < m.n_entries && i < 3 && pt; i++) {
      const ice_manifest_entry_t *e = &m.entries[i];
      CHECK_EQ_INT(e->status, ICE_ENTRY_ADDED);
      CHECK(e->has_snapshot_id && e->snapshot_id == 77);
      CHECK(e->has_sequence_number && e->sequence_number == 5);
      CHECK(e->has_file_sequence_number && e->file_sequence_number == 5);
      CHECK(!e->file.has_first_row_id);
      check_file_equal(&e->file, &x.f[i], pt);
    }
    ice_type_free(pt);
    ice_manifest_release(&m);
  }
  /* a manifest of an older snapshot cannot be missing its sequence number */
  old.sequence_number = ICE_UNASSIGNED_SEQ;
  CHECK_OK(ice_manifest_list_writer_open(&lw, io, loc("snap-bad.avro"), 2, 77, NULL, 5, 0, &err));
  CHECK_ERR(ice_manifest_list_writer_add(lw, &old, &err), PRESTIGE_EINTERNAL, "no sequence number");
  ice_manifest_list_writer_abort(lw);
  ice_manifest_files_free(mfs, n);
  ice_manifest_file_release(&old);
  ice_manifest_file_release(&mf);
  ice_io_free(io);
  ice_metadata_free(md);
}

static bool keep_second(void *user, const ice_manifest_entry_t *e) {
  (*(int *)user)++;
  return e->file.record_count == 20;
}

TEST(manifest_v3_row_ids_and_existing) {
  ice_table_metadata_t *md = make_table(3);
  ice_io_t *io = new_io();
  files_t x;
  make_files(&x);
  ice_manifest_file_t mf;
  CHECK_OK(write_manifest(io, md, loc("m-v3.avro"), 3, &x, &mf));
  /* an already assigned manifest keeps its first_row_id; a delete manifest gets none */
  ice_manifest_file_t assigned, deletes;
  CHECK_OK(ice_manifest_file_copy(&mf, &assigned, &err));
  CHECK_OK(ice_manifest_file_copy(&mf, &deletes, &err));
  assigned.has_first_row_id = true;
  assigned.first_row_id = 7;
  assigned.sequence_number = assigned.min_sequence_number = 1;
  assigned.added_snapshot_id = 1;
  deletes.content = ICE_MANIFEST_DELETES;
  ice_manifest_list_writer_t *lw;
  CHECK_OK(ice_manifest_list_writer_open(&lw, io, loc("snap-v3.avro"), 3, 77, NULL, 2, 1000, &err));
  CHECK_OK(ice_manifest_list_writer_add(lw, &assigned, &err));
  CHECK_OK(ice_manifest_list_writer_add(lw, &mf, &err));
  CHECK_OK(ice_manifest_list_writer_add(lw, &deletes, &err));
  CHECK_OK(ice_manifest_list_writer_add(lw, &mf, &err));
  int64_t next = 0;
  CHECK_OK(ice_manifest_list_writer_close(lw, &next, &err));
  CHECK_EQ_INT(next, 1120);
  ice_manifest_file_t *mfs = NULL;
  size_t n = 0;
  CHECK_OK(ice_manifest_list_read(io, loc("snap-v3.avro"), &mfs, &n, &err));
  CHECK_EQ_INT(n, 4);
  if (n == 4) {
    CHECK(mfs[0].has_first_row_id && mfs[0].first_row_id == 7);
    CHECK(mfs[1].has_first_row_id && mfs[1].first_row_id == 1000);
    CHECK(!mfs[2].has_first_row_id && mfs[2].content == ICE_MANIFEST_DELETES);
    CHECK(mfs[3].has_first_row_id && mfs[3].first_row_id == 1060);
    ice_manifest_t m;
    CHECK_OK(ice_manifest_read(io, &mfs[3], md, NULL, NULL, &m, &err));
    CHECK_EQ_INT(m.n_entries, 3);
    CHECK_EQ_INT(m.format_version, 3);
    if (m.n_entries == 3) {
      CHECK(m.entries[0].file.has_first_row_id && m.entries[0].file.first_row_id == 1060);
      CHECK(m.entries[1].file.has_first_row_id && m.entries[1].file.first_row_id == 1070);
      CHECK(m.entries[2].file.has_first_row_id && m.entries[2].file.first_row_id == 1090);
      /* a merged manifest rewrites them as EXISTING with explicit values */
      ice_manifest_writer_t *w;
      CHECK_OK(ice_manifest_writer_open(&w, io, loc("m-merged.avro"), 3, ice_metadata_current_schema(md),
                                        ice_metadata_default_spec(md), ICE_MANIFEST_DATA, 99, &err));
      for (size_t i = 0; i < 3; i++) CHECK_OK(ice_manifest_writer_existing(w, &m.entries[i], &err));
      ice_manifest_file_t merged;
      CHECK_OK(ice_manifest_writer_close(w, &merged, &err));
      CHECK_EQ_INT(merged.existing_files_count, 3);
      CHECK_EQ_INT(merged.added_files_count, 0);
      CHECK_EQ_INT(merged.existing_rows_count, 60);
      CHECK_EQ_INT(merged.min_sequence_number, 2);
      CHECK_EQ_INT(merged.sequence_number, ICE_UNASSIGNED_SEQ);
      merged.sequence_number = 9;
      merged.has_first_row_id = true;
      merged.first_row_id = 5000; /* would be wrong for inheritance: explicit values must win */
      ice_manifest_t m2;
      int seen = 0;
      CHECK_OK(ice_manifest_read(io, &merged, md, keep_second, &seen, &m2, &err));
      CHECK_EQ_INT(seen, 3);
      CHECK_EQ_INT(m2.n_entries, 1);
      if (m2.n_entries == 1) {
        const ice_manifest_entry_t *e = &m2.entries[0];
        CHECK_EQ_INT(e->status, ICE_ENTRY_EXISTING);
        CHECK_EQ_INT(e->snapshot_id, 77);
        CHECK_EQ_INT(e->sequence_number, 2);
        CHECK_EQ_INT(e->file_sequence_number, 2);
        CHECK_EQ_INT(e->file.first_row_id, 1070);
      }
      ice_manifest_release(&m2);
      ice_manifest_file_release(&merged);
    }
    ice_manifest_release(&m);
  }
  ice_manifest_files_free(mfs, n);
  ice_manifest_file_release(&assigned);
  ice_manifest_file_release(&deletes);
  ice_manifest_file_release(&mf);
  ice_io_free(io);
  ice_metadata_free(md);
}

/* The Avro schema text has Java's shape: names, docs and every field id of the spec. */
static void collect_ids(json_t *j, int *seen, int n) {
  if (json_is_object(j)) {
    const char *k;
    json_t *v;
    json_object_foreach(j, k, v) {
      if ((!strcmp(k, "field-id") || !strcmp(k, "element-id") || !strcmp(k, "key-id") || !strcmp(k, "value-id")) &&
          json_is_integer(v) && json_integer_value(v) >= 0 && json_integer_value(v) < n)
        seen[json_integer_value(v)]++;
      else collect_ids(v, seen, n);
    }
  } else if (json_is_array(j)) {
    size_t i;
    json_t *v;
    json_array_foreach(j, i, v) collect_ids(v, seen, n);
  }
}

TEST(avro_schemas_have_every_id) {
  ice_table_metadata_t *md = make_table(3);
  ice_type_t *pt = NULL;
  CHECK_OK(ice_partition_spec_type(ice_metadata_default_spec(md), ice_metadata_current_schema(md), &pt, &err));
  for (int v = 2; v <= 3 && pt; v++) {
    char *text = NULL;
    CHECK_OK(ice_manifest_entry_avro_schema(v, pt, &text, &err));
    json_t *j = text ? json_loads(text, 0, NULL) : NULL;
    CHECK(j != NULL);
    int seen[1100] = {0};
    collect_ids(j, seen, 1100);
    static const int v2ids[] = {0,   1,   2,   3,   4,   100, 101, 102, 103, 104, 108, 109, 110, 117, 118, 119, 120, 121,
                                122, 125, 126, 127, 128, 129, 130, 131, 132, 133, 134, 135, 136, 137, 138, 139, 140, 143};
    for (size_t i = 0; i < sizeof v2ids / sizeof v2ids[0]; i++) CHECK_MSG(seen[v2ids[i]] == 1, "v%d id %d", v, v2ids[i]);
    CHECK_EQ_INT(seen[142], v == 3);
    CHECK_EQ_INT(seen[144], v == 3);
    CHECK_EQ_INT(seen[145], v == 3);
    for (int id = 1000; id <= 1006; id++) CHECK_EQ_INT(seen[id], 1);
    CHECK(text && strstr(text, "\"name\":\"manifest_entry\"") && strstr(text, "\"name\":\"r2\"") &&
          strstr(text, "\"name\":\"r102\"") && strstr(text, "\"name\":\"k117_v118\"") &&
          strstr(text, "\"logicalType\":\"map\"") && strstr(text, "\"name\":\"uuid_fixed\"") &&
          strstr(text, "\"name\":\"decimal_9_2\",\"size\":4,\"logicalType\":\"decimal\",\"precision\":9,\"scale\":2") &&
          strstr(text, "{\"name\":\"snapshot_id\",\"type\":[\"null\",\"long\"],\"default\":null,\"field-id\":1}") &&
          strstr(text, "{\"name\":\"ts_day\",\"type\":[\"null\",{\"type\":\"int\",\"logicalType\":\"date\"}],\"default\":null,\"field-id\":1001}"));
    /* our Avro parser accepts it, with the ids where the spec puts them */
    avro_schema_t *as = NULL;
    CHECK_OK(avro_schema_parse(&as, text, strlen(text), &err));
    if (as) {
      const avro_node_t *root = avro_schema_root(as);
      int32_t df = avro_field_index_by_id(root, 2);
      CHECK(df == 4);
      const avro_node_t *dft = root->fields[df].type;
      int32_t cs = avro_field_index_by_id(dft, 108);
      const avro_node_t *arr = avro_node_nonnull(dft->fields[cs].type);
      CHECK(arr->type == AVRO_ARRAY && arr->logical == AVRO_LOGICAL_MAP && arr->items->fields[0].field_id == 117);
      avro_schema_free(as);
    }
    json_decref(j);
    free(text);
    CHECK_OK(ice_manifest_list_avro_schema(v, &text, &err));
    j = text ? json_loads(text, 0, NULL) : NULL;
    memset(seen, 0, sizeof seen);
    collect_ids(j, seen, 1100);
    for (int id = 500; id <= 519; id++) CHECK_MSG(seen[id] == 1, "list v%d id %d", v, id);
    CHECK_EQ_INT(seen[520], v == 3);
    CHECK(text && strstr(text, "\"name\":\"manifest_file\"") && strstr(text, "\"name\":\"r508\""));
    json_decref(j);
    free(text);
  }
  /* names that are not Avro names are sanitized as Java does, the original kept */
  ice_type_t st = {.id = ICE_STRUCT};
  ice_type_t it = ice_type_prim(ICE_INT, 0, 0);
  ice_field_t fs[2] = {{.id = 1000, .name = "1st", .type = &it}, {.id = 1001, .name = "a-b", .type = &it}};
  st.fields = fs;
  st.n_fields = 2;
  char *text = NULL;
  CHECK_OK(ice_manifest_entry_avro_schema(2, &st, &text, &err));
  CHECK(text && strstr(text, "\"name\":\"_1st\"") && strstr(text, "\"iceberg-field-name\":\"1st\"") &&
        strstr(text, "\"name\":\"a_x2Db\""));
  free(text);
  ice_type_free(pt);
  ice_metadata_free(md);
}

static int write_file(const char *path, const uint8_t *data, size_t len) {
  FILE *f = fopen(path, "wb");
  if (!f) return -1;
  size_t w = fwrite(data, 1, len, f);
  fclose(f);
  return w == len ? 0 : -1;
}

static uint8_t *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  uint8_t *d = malloc(n ? (size_t)n : 1);
  if (d && fread(d, 1, (size_t)n, f) != (size_t)n) {
    free(d);
    d = NULL;
  }
  fclose(f);
  *len = (size_t)n;
  return d;
}

TEST(bad_manifests) {
  ice_table_metadata_t *md = make_table(2);
  ice_io_t *io = new_io();
  files_t x;
  make_files(&x);
  ice_manifest_file_t mf;
  CHECK_OK(write_manifest(io, md, loc("m-bad.avro"), 2, &x, &mf));
  mf.sequence_number = mf.min_sequence_number = 1;
  size_t len = 0;
  char path[600];
  snprintf(path, sizeof path, "%s/m-bad.avro", test_tmpdir());
  uint8_t *good = slurp(path, &len);
  CHECK(good && len > 100);
  ice_manifest_t m;
  /* a missing manifest: ENOTFOUND naming it */
  ice_manifest_file_t missing = mf;
  missing.path = loc("nope.avro");
  CHECK_ERR(ice_manifest_read(io, &missing, md, NULL, NULL, &m, &err), PRESTIGE_ENOTFOUND, "nope.avro");
  /* truncated at every tenth byte: an error naming the file, never a crash */
  int clean = 0, total = 0;
  for (size_t cut = 0; good && cut < len; cut += 1 + len / 40) {
    total++;
    int rc = ice_manifest_read_memory(good, cut, "cut.avro", &mf, md, NULL, NULL, &m, &err);
    if (rc && strstr(err.message, "cut.avro")) clean++;
    if (!rc) ice_manifest_release(&m);
  }
  CHECK_EQ_INT(clean, total);
  /* bit flips in the body: errors name the file; a flip may also survive as another value */
  uint8_t *copy = good ? malloc(len) : NULL;
  int errors = 0, named = 0;
  for (size_t i = 0; copy && i < 200; i++) {
    memcpy(copy, good, len);
    size_t at = (size_t)((i * 2654435761u) % len);
    copy[at] ^= (uint8_t)(1u << (i % 8));
    int rc = ice_manifest_read_memory(copy, len, "flip.avro", &mf, md, NULL, NULL, &m, &err);
    if (rc) {
      errors++;
      if (strstr(err.message, "flip.avro")) named++;
    } else {
      ice_manifest_release(&m);
    }
  }
  CHECK(errors > 0);
  CHECK_EQ_INT(named, errors);
  /* a length that disagrees with the manifest list */
  ice_manifest_file_t wrong = mf;
  wrong.length = mf.length + 1;
  CHECK_ERR(ice_manifest_read(io, &wrong, md, NULL, NULL, &m, &err), PRESTIGE_ECORRUPT, "m-bad.avro");
  /* a spec the table does not have */
  wrong = mf;
  wrong.spec_id = 9;
  CHECK_ERR(ice_manifest_read(io, &wrong, md, NULL, NULL, &m, &err), PRESTIGE_ECORRUPT, "partition spec 9");
  /* not a manifest at all: a manifest list read as a manifest, and the other way round */
  ice_manifest_list_writer_t *lw;
  CHECK_OK(ice_manifest_list_writer_open(&lw, io, loc("list.avro"), 2, 77, NULL, 1, 0, &err));
  CHECK_OK(ice_manifest_list_writer_add(lw, &mf, &err));
  CHECK_OK(ice_manifest_list_writer_close(lw, NULL, &err));
  ice_manifest_file_t as_manifest = mf;
  as_manifest.path = loc("list.avro");
  as_manifest.length = 0;
  CHECK_ERR(ice_manifest_read(io, &as_manifest, md, NULL, NULL, &m, &err), PRESTIGE_ECORRUPT, "not a manifest");
  ice_manifest_file_t *mfs;
  size_t n;
  CHECK_ERR(ice_manifest_list_read(io, loc("m-bad.avro"), &mfs, &n, &err), PRESTIGE_ECORRUPT, "not a manifest list");
  CHECK_ERR(ice_manifest_list_read(io, loc("gone.avro"), &mfs, &n, &err), PRESTIGE_ENOTFOUND, "gone.avro");
  /* garbage */
  char gpath[600];
  snprintf(gpath, sizeof gpath, "%s/garbage.avro", test_tmpdir());
  CHECK(write_file(gpath, (const uint8_t *)"Obj\x01garbage", 11) == 0);
  CHECK_ERR(ice_manifest_list_read(io, loc("garbage.avro"), &mfs, &n, &err), PRESTIGE_ECORRUPT, "garbage.avro");
  free(copy);
  free(good);
  ice_manifest_file_release(&mf);
  ice_io_free(io);
  ice_metadata_free(md);
}

/* A V1 manifest (as Java's V1 writer lays it out: no content, no sequence numbers, required
 * snapshot_id and block_size_in_bytes) reads with sequence numbers 0. */
TEST(v1_manifest_reads) {
  ice_table_metadata_t *md = make_table(2);
  const char *v1 =
      "{\"type\":\"record\",\"name\":\"manifest_entry\",\"fields\":["
      "{\"name\":\"status\",\"type\":\"int\",\"field-id\":0},"
      "{\"name\":\"snapshot_id\",\"type\":\"long\",\"field-id\":1},"
      "{\"name\":\"data_file\",\"type\":{\"type\":\"record\",\"name\":\"r2\",\"fields\":["
      "{\"name\":\"file_path\",\"type\":\"string\",\"field-id\":100},"
      "{\"name\":\"file_format\",\"type\":\"string\",\"field-id\":101},"
      "{\"name\":\"partition\",\"type\":{\"type\":\"record\",\"name\":\"r102\",\"fields\":["
      "{\"name\":\"id\",\"type\":[\"null\",\"int\"],\"default\":null,\"field-id\":1000}]},\"field-id\":102},"
      "{\"name\":\"record_count\",\"type\":\"long\",\"field-id\":103},"
      "{\"name\":\"file_size_in_bytes\",\"type\":\"long\",\"field-id\":104},"
      "{\"name\":\"block_size_in_bytes\",\"type\":\"long\",\"field-id\":105},"
      "{\"name\":\"extra\",\"type\":\"string\",\"field-id\":9999}"
      "]},\"field-id\":2}]}";
  avro_schema_t *s = NULL;
  CHECK_OK(avro_schema_parse(&s, v1, strlen(v1), &err));
  uint8_t *data = NULL;
  size_t len = 0;
  prestige_output_t out;
  CHECK_OK(prestige_output_open_memory(&out, &data, &len, &err));
  avro_writer_options_t o = AVRO_WRITER_OPTIONS_INIT;
  avro_meta_t meta[] = {{"partition-spec-id", "0", 1}};
  o.meta = meta;
  o.n_meta = 1;
  avro_writer_t *w = NULL;
  if (s) CHECK_OK(avro_writer_open(&w, s, out, &o, &err));
  arena_t a = ARENA_INIT;
  for (int i = 0; w && i < 2; i++) {
    const avro_node_t *root = avro_schema_root(s);
    avro_datum_t rec;
    avro_datum_record(&a, &rec, root);
    rec.v.items[0].v.i32 = 1;
    rec.v.items[1].v.i64 = 40 + i;
    avro_datum_t *df = &rec.v.items[2];
    avro_datum_record(&a, df, root->fields[2].type);
    avro_set_string(&df->v.items[0], "s3://b/v1.parquet");
    avro_set_string(&df->v.items[1], "PARQUET");
    avro_datum_record(&a, &df->v.items[2], root->fields[2].type->fields[2].type);
    avro_set_some(&df->v.items[2].v.items[0], root->fields[2].type->fields[2].type->fields[0].type)->v.i32 = 5 + i;
    df->v.items[3].v.i64 = 10;
    df->v.items[4].v.i64 = 100;
    df->v.items[5].v.i64 = 64 << 20;
    avro_set_string(&df->v.items[6], "x");
    CHECK_OK(avro_writer_append(w, &rec, &err));
  }
  if (w) CHECK_OK(avro_writer_close(w, NULL, &err));
  ice_manifest_file_t mf = {.path = "v1.avro", .length = 0, .spec_id = 0, .added_snapshot_id = 40};
  ice_manifest_t m;
  CHECK_OK(ice_manifest_read_memory(data, len, "v1.avro", &mf, md, NULL, NULL, &m, &err));
  CHECK_EQ_INT(m.n_entries, 2);
  CHECK_EQ_INT(m.format_version, 1);
  for (size_t i = 0; i < m.n_entries; i++) {
    CHECK_EQ_INT(m.entries[i].snapshot_id, 40 + (int64_t)i);
    CHECK_EQ_INT(m.entries[i].sequence_number, 0);
    CHECK_EQ_INT(m.entries[i].file_sequence_number, 0);
    CHECK_EQ_INT(m.entries[i].file.content, ICE_CONTENT_DATA);
    CHECK_EQ_INT(m.entries[i].file.partition[0].v.i32, 5 + (int)i);
    CHECK(m.entries[i].file.partition[1].is_null); /* fields the V1 tuple lacks read as null */
    CHECK(!m.entries[i].file.column_sizes.present);
  }
  ice_manifest_release(&m);
  arena_release(&a);
  free(data);
  avro_schema_free(s);
  ice_metadata_free(md);
}

/* tool mode: write the interop files */
static int tool_write(const char *dir) {
  ice_io_t *io = NULL;
  char root[600], path[700];
  snprintf(root, sizeof root, "file://%s", dir);
  if (ice_io_new(NULL, &io, &err) || ice_io_add_root(io, root, &err)) return fprintf(stderr, "%s\n", err.message), 1;
  for (int v = 2; v <= 3; v++) {
    ice_table_metadata_t *md = make_table(v);
    files_t x;
    make_files(&x);
    ice_manifest_file_t mf;
    snprintf(path, sizeof path, "%s/manifest-v%d.avro", root, v);
    if (!md || write_manifest(io, md, path, v, &x, &mf)) return fprintf(stderr, "%s\n", err.message), 1;
    ice_manifest_list_writer_t *lw;
    snprintf(path, sizeof path, "%s/list-v%d.avro", root, v);
    if (ice_manifest_list_writer_open(&lw, io, path, v, 77, NULL, 1, 0, &err) || ice_manifest_list_writer_add(lw, &mf, &err) ||
        ice_manifest_list_writer_close(lw, NULL, &err))
      return fprintf(stderr, "%s\n", err.message), 1;
    ice_manifest_file_release(&mf);
    ice_metadata_free(md);
  }
  ice_io_free(io);
  return 0;
}

int test_passed, test_failed;
const char *test_current = "";

int main(int argc, char **argv) {
  if (argc > 2 && !strcmp(argv[1], "write")) return tool_write(argv[2]);
  RUN(manifest_roundtrip_v2);
  RUN(manifest_v3_row_ids_and_existing);
  RUN(avro_schemas_have_every_id);
  RUN(bad_manifests);
  RUN(v1_manifest_reads);
  printf("RESULT %d %d\n", test_passed, test_failed);
  return test_failed ? 1 : 0;
}
