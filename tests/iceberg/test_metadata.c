/* Iceberg table metadata: the Java project's example files read, written and read back equal;
 * spec-violating files refused with the field and file named; every REST update and
 * requirement applied and checked, failures included. */
#include <stdlib.h>
#include <string.h>

#include "iceberg/metadata.h"
#include "test.h"

static char *slurp(const char *name, size_t *len) {
  char path[1024];
  snprintf(path, sizeof path, "%s/tests/iceberg/data/%s", test_root(), name);
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *buf = malloc((size_t)n + 1);
  if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) n = 0;
  if (buf) buf[n] = 0;
  fclose(f);
  *len = (size_t)n;
  return buf;
}

static ice_table_metadata_t *load(const char *name, prestige_error_t *err, int *rc) {
  size_t len = 0;
  char *text = slurp(name, &len);
  CHECK_MSG(text != NULL, "cannot read %s", name);
  ice_table_metadata_t *md = NULL;
  *rc = text ? ice_metadata_read_text(text, len, name, &md, err) : -1;
  free(text);
  return md;
}

/* parse → write → parse → write gives the same text, and the second parse equals the first */
static void roundtrip(const char *name) {
  prestige_error_t err;
  int rc;
  ice_table_metadata_t *md = load(name, &err, &rc);
  CHECK_MSG(rc == 0, "%s: %s", name, err.message);
  if (!md) return;
  char *a = ice_metadata_write_text(md, &err);
  CHECK_MSG(a != NULL, "%s: %s", name, err.message);
  ice_table_metadata_t *back = NULL;
  CHECK_OK(ice_metadata_read_text(a, strlen(a), "written", &back, &err));
  char *b = back ? ice_metadata_write_text(back, &err) : NULL;
  CHECK_MSG(a && b && !strcmp(a, b), "%s: rewritten text differs", name);
  /* the written JSON carries what the file carried */
  json_t *orig = NULL, *mine = NULL;
  size_t len;
  char *text = slurp(name, &len);
  orig = json_loads(text, 0, NULL);
  mine = a ? json_loads(a, 0, NULL) : NULL;
  const char *keys[] = {"format-version", "table-uuid", "last-sequence-number", "last-updated-ms", "last-column-id",
                        "current-schema-id", "schemas", "default-spec-id", "partition-specs", "last-partition-id",
                        "default-sort-order-id", "sort-orders", "properties", "snapshots", "statistics",
                        "partition-statistics", "snapshot-log", "metadata-log", "next-row-id", "refs"};
  for (size_t i = 0; orig && mine && i < sizeof keys / sizeof keys[0]; i++) {
    json_t *x = json_object_get(orig, keys[i]), *y = json_object_get(mine, keys[i]);
    if (!x) continue;
    if (!strcmp(keys[i], "schemas") || !strcmp(keys[i], "snapshots")) { /* compare member by member */
      CHECK_EQ_INT(json_array_size(x), json_array_size(y));
      for (size_t k = 0; k < json_array_size(x); k++) {
        const char *key;
        json_t *v;
        json_object_foreach(json_array_get(x, k), key, v) {
          if (!strcmp(key, "sequence-number") && json_integer_value(v) == 0) continue; /* Java omits 0 too */
          CHECK_MSG(json_equal(v, json_object_get(json_array_get(y, k), key)), "%s: %s[%zu].%s differs", name, keys[i], k, key);
        }
      }
      continue;
    }
    CHECK_MSG(json_equal(x, y), "%s: \"%s\" differs after a round trip", name, keys[i]);
  }
  json_decref(orig);
  json_decref(mine);
  free(text);
  free(a);
  free(b);
  ice_metadata_free(back);
  ice_metadata_free(md);
}

TEST(java_example_files_round_trip) {
  roundtrip("TableMetadataV2Valid.json");
  roundtrip("TableMetadataV2ValidMinimal.json");
  roundtrip("TableMetadataV3ValidMinimal.json");
  roundtrip("TableMetadataStatisticsFiles.json");
  roundtrip("TableMetadataPartitionStatisticsFiles.json");
  roundtrip("prestige-v3-full.json");
}

TEST(v2_valid_values) {
  prestige_error_t err;
  int rc;
  ice_table_metadata_t *md = load("TableMetadataV2Valid.json", &err, &rc);
  CHECK_OK(rc);
  if (!md) return;
  CHECK_EQ_INT(md->format_version, 2);
  CHECK_EQ_STR(md->table_uuid, "9c12d441-03fe-4693-9a96-a0705ddf69c1");
  CHECK_EQ_INT(md->last_sequence_number, 34);
  CHECK_EQ_INT(md->current_schema_id, 1);
  const ice_schema_t *s = ice_metadata_current_schema(md);
  CHECK(s && s->n_identifier_ids == 2 && s->identifier_ids[1] == 2);
  CHECK_EQ_STR(ice_schema_find_name(s, "y")->doc, "comment");
  const ice_sort_order_t *o = ice_metadata_default_sort_order(md);
  CHECK(o && o->order_id == 3 && o->n_fields == 2 && o->fields[1].transform.kind == ICE_T_BUCKET &&
        o->fields[1].transform.param == 4 && o->fields[1].direction == ICE_SORT_DESC && o->fields[1].null_order == ICE_NULLS_LAST);
  const ice_snapshot_t *cur = ice_metadata_current_snapshot(md);
  CHECK(cur && cur->snapshot_id == 3055729675574597004LL && cur->has_parent && cur->parent_id == 3051729675574597004LL);
  CHECK(cur && cur->has_schema_id && cur->schema_id == 1 && !strcmp(cur->operation, "append"));
  /* no refs in the file: a main branch at the current snapshot, as Java makes it */
  const ice_snapshot_ref_t *main = ice_metadata_ref(md, "main");
  CHECK(main && main->snapshot_id == 3055729675574597004LL && main->type == ICE_REF_BRANCH);
  CHECK_EQ_INT(md->n_snapshot_log, 2);
  ice_metadata_free(md);
}

TEST(v3_full_values) {
  prestige_error_t err;
  int rc;
  ice_table_metadata_t *md = load("prestige-v3-full.json", &err, &rc);
  CHECK_OK(rc);
  if (!md) return;
  CHECK_EQ_STR(md->location, "s3://bucket/warehouse/db/events"); /* trailing slash stripped, as Java */
  CHECK_EQ_INT(md->next_row_id, 250);
  CHECK_EQ_INT(md->n_refs, 3);
  const ice_snapshot_ref_t *audit = ice_metadata_ref(md, "audit"), *tag = ice_metadata_ref(md, "v1.0");
  CHECK(audit && audit->has_min_snapshots_to_keep && audit->min_snapshots_to_keep == 2 && audit->max_snapshot_age_ms == 86400000);
  CHECK(tag && tag->type == ICE_REF_TAG && tag->max_ref_age_ms == 31536000000LL && !tag->has_min_snapshots_to_keep);
  const ice_snapshot_t *s = ice_metadata_snapshot(md, 20);
  CHECK(s && s->has_first_row_id && s->first_row_id == 100 && s->added_rows == 50);
  CHECK_EQ_STR(ice_strmap_get(&ice_metadata_snapshot(md, 30)->summary, "engine-name"), "prestige");
  const ice_field_t *score = ice_schema_find_name(ice_metadata_current_schema(md), "score");
  CHECK(score && json_is_string(score->initial_default) && !strcmp(json_string_value(score->initial_default), "1.50"));
  CHECK_EQ_INT(ice_schema_find_name(ice_metadata_current_schema(md), "ts")->type->id, ICE_TIMESTAMPTZ_NS);
  CHECK_EQ_STR(json_string_value(json_object_get(md->statistics[0].json, "key-metadata")), "AAEC");
  CHECK_EQ_INT(md->n_partition_statistics, 1);
  CHECK_EQ_STR(ice_metadata_property(md, "owner", NULL), "prestige");
  ice_metadata_free(md);
}

TEST(v1_reads_but_does_not_write) {
  prestige_error_t err;
  int rc;
  ice_table_metadata_t *md = load("TableMetadataV1Valid.json", &err, &rc);
  CHECK_OK(rc);
  if (!md) return;
  CHECK_EQ_INT(md->format_version, 1);
  CHECK_EQ_INT(md->n_schemas, 1);
  CHECK_EQ_INT(md->current_snapshot_id, ICE_NO_SNAPSHOT); /* -1 reads as none */
  CHECK_EQ_INT(md->n_refs, 0);
  const ice_partition_spec_t *spec = ice_metadata_default_spec(md);
  CHECK(spec && spec->spec_id == 0 && spec->n_fields == 1 && spec->fields[0].field_id == 1000);
  CHECK_EQ_INT(md->last_partition_id, 1000);
  CHECK(ice_metadata_default_sort_order(md) && ice_metadata_default_sort_order(md)->n_fields == 0);
  CHECK(ice_metadata_write_text(md, &err) == NULL);
  CHECK_EQ_INT(err.code, PRESTIGE_EUNSUPPORTED);
  /* commits refuse v1 unless they upgrade it */
  ice_update_t up = {.kind = ICE_UP_SET_PROPERTIES};
  ice_strmap_set(&up.properties, "k", "v");
  ice_table_metadata_t *next = NULL;
  CHECK_ERR(ice_metadata_apply(md, NULL, &up, 1, 1, &next, &err), PRESTIGE_EUNSUPPORTED, "v1");
  ice_update_t ups[2] = {{.kind = ICE_UP_UPGRADE_FORMAT_VERSION, .format_version = 2}, up};
  CHECK_OK(ice_metadata_apply(md, NULL, ups, 2, 1700000000000LL, &next, &err));
  if (next) {
    CHECK_EQ_INT(next->format_version, 2);
    char *t = ice_metadata_write_text(next, &err);
    CHECK(t && strstr(t, "\"current-snapshot-id\": -1"));
    free(t);
    ice_metadata_free(next);
  }
  ice_update_release(&up);
  ice_metadata_free(md);
}

static void bad_text(const char *text, int code, const char *what, const char *needle) {
  prestige_error_t err;
  ice_table_metadata_t *md = NULL;
  CHECK_ERR(ice_metadata_read_text(text, strlen(text), what, &md, &err), code, needle);
  CHECK_MSG(strstr(err.message, what) != NULL, "message \"%s\" does not name %s", err.message, what);
  CHECK(md == NULL);
}

static void bad_file(const char *name, int code, const char *needle) {
  size_t len;
  char *text = slurp(name, &len);
  CHECK(text != NULL);
  if (text) bad_text(text, code, name, needle);
  free(text);
}

/* the V2 minimal file with one textual replacement */
static void bad_edit(const char *from, const char *to, int code, const char *needle) {
  size_t len;
  char *text = slurp("TableMetadataV2Valid.json", &len);
  char *at = text ? strstr(text, from) : NULL;
  CHECK_MSG(at != NULL, "\"%s\" not in the file", from);
  if (!at) {
    free(text);
    return;
  }
  size_t a = (size_t)(at - text), nf = strlen(from), nt = strlen(to);
  char *out = malloc(len - nf + nt + 1);
  memcpy(out, text, a);
  memcpy(out + a, to, nt);
  memcpy(out + a + nt, at + nf, len - a - nf + 1);
  bad_text(out, code, "s3://bucket/test/location/metadata/00007-x.metadata.json", needle);
  free(out);
  free(text);
}

TEST(spec_violations) {
  bad_file("TableMetadataV2CurrentSchemaNotFound.json", PRESTIGE_ECORRUPT, "current-schema-id");
  bad_file("TableMetadataV2MissingSchemas.json", PRESTIGE_ECORRUPT, "\"schemas\"");
  bad_file("TableMetadataV2MissingPartitionSpecs.json", PRESTIGE_ECORRUPT, "\"partition-specs\"");
  bad_file("TableMetadataV2MissingLastPartitionId.json", PRESTIGE_ECORRUPT, "\"last-partition-id\"");
  bad_file("TableMetadataV2MissingSortOrder.json", PRESTIGE_ECORRUPT, "\"sort-orders\"");
  bad_file("TableMetadataUnsupportedVersion.json", PRESTIGE_EUNSUPPORTED, "format-version 42");
  bad_edit("\"current-snapshot-id\": 3055729675574597004", "\"current-snapshot-id\": 1234", PRESTIGE_ECORRUPT,
           "\"current-snapshot-id\" 1234");
  bad_edit("\"format-version\": 2", "\"format-version\": \"2\"", PRESTIGE_ECORRUPT, "\"format-version\" must be an integer");
  bad_edit("\"table-uuid\": \"9c12d441-03fe-4693-9a96-a0705ddf69c1\",", "", PRESTIGE_ECORRUPT, "\"table-uuid\"");
  bad_edit("\"location\": \"s3://bucket/test/location\",", "", PRESTIGE_ECORRUPT, "\"location\"");
  bad_edit("\"last-sequence-number\": 34", "\"last-sequence-number\": 0", PRESTIGE_ECORRUPT, "last-sequence-number");
  bad_edit("\"default-spec-id\": 0", "\"default-spec-id\": 5", PRESTIGE_ECORRUPT, "\"default-spec-id\" 5");
  bad_edit("\"default-sort-order-id\": 3", "\"default-sort-order-id\": 4", PRESTIGE_ECORRUPT, "\"default-sort-order-id\" 4");
  bad_edit("\"source-id\": 1,\n          \"field-id\": 1000", "\"source-id\": 9,\n          \"field-id\": 1000", PRESTIGE_ECORRUPT, "9");
  bad_edit("\"manifest-list\": \"s3://a/b/1.avro\"", "\"manifest-list\": 7", PRESTIGE_ECORRUPT, "\"manifest-list\" must be a string");
  bad_edit("\"schema-id\": 1\n    }", "\"schema-id\": 9\n    }", PRESTIGE_ECORRUPT, "\"schema-id\" 9");
  bad_edit("\"metadata-log\": []", "\"metadata-log\": [],\n\"refs\": {\"main\": {\"snapshot-id\": 3051729675574597004, \"type\": \"branch\"}}",
           PRESTIGE_ECORRUPT, "main branch");
  bad_edit("\"metadata-log\": []", "\"metadata-log\": [],\n\"refs\": {\"t\": {\"snapshot-id\": 99, \"type\": \"tag\"}}", PRESTIGE_ECORRUPT,
           "ref \"t\"");
  bad_edit("\"type\": \"long\",\n          \"doc\"", "\"type\": \"variant\",\n          \"doc\"", PRESTIGE_EUNSUPPORTED, "column \"y\"");
  bad_edit("\"transform\": \"bucket[4]\"", "\"transform\": \"bucket[-4]\"", PRESTIGE_ECORRUPT, "bucket[-4]");
  bad_edit("\"direction\": \"desc\"", "\"direction\": \"down\"", PRESTIGE_ECORRUPT, "\"direction\"");
  bad_text("{\"format-version\": 2, \"table-uuid\": \"x\"", PRESTIGE_ECORRUPT, "truncated.json", "not valid JSON");
  bad_text("[1,2]", PRESTIGE_ECORRUPT, "array.json", "must be a JSON object");
}

/* ---- updates and requirements ---------------------------------------------------------------------- */
static json_t *J(const char *text) {
  json_error_t je;
  json_t *j = json_loads(text, 0, &je);
  CHECK_MSG(j != NULL, "bad test JSON: %s: %s", je.text, text);
  return j;
}

/* Parses an update array, applies it; returns the new metadata (NULL on failure, rc set). */
static ice_table_metadata_t *apply_json(const ice_table_metadata_t *base, const char *updates, int *rc, prestige_error_t *err) {
  json_t *j = J(updates);
  ice_update_t *ups = NULL;
  size_t n = 0;
  ice_table_metadata_t *out = NULL;
  *rc = ice_updates_from_json(j, &ups, &n, err);
  CHECK_MSG(*rc == 0, "updates do not parse: %s", err->message);
  if (!*rc) {
    /* every update writes back to the JSON it came from */
    for (size_t i = 0; i < n; i++) {
      json_t *w = ice_update_to_json(&ups[i]);
      ice_update_t again;
      CHECK_MSG(w && ice_update_from_json(w, &again, err) == 0, "update %zu does not re-parse", i);
      json_t *w2 = ice_update_to_json(&again);
      CHECK_MSG(json_equal(w, w2), "update %zu changes in a round trip", i);
      json_decref(w);
      json_decref(w2);
      ice_update_release(&again);
    }
    *rc = ice_metadata_apply(base, "s3://b/t/metadata/00000-a.metadata.json", ups, n, 1700000500000LL, &out, err);
  }
  ice_updates_free(ups, n);
  json_decref(j);
  return out;
}

static int check_reqs(const ice_table_metadata_t *md, const char *reqs, prestige_error_t *err) {
  json_t *j = J(reqs);
  ice_requirement_t *r = NULL;
  size_t n = 0;
  int rc = ice_requirements_from_json(j, &r, &n, err);
  CHECK_MSG(rc == 0, "requirements do not parse: %s", err->message);
  for (size_t i = 0; !rc && i < n; i++) {
    json_t *w = ice_requirement_to_json(&r[i]);
    CHECK(json_equal(w, json_array_get(j, i)));
    json_decref(w);
  }
  if (!rc) rc = ice_requirements_check(md, r, n, err);
  ice_requirements_free(r, n);
  json_decref(j);
  return rc;
}

static const char *CREATE =
    "[{\"action\":\"assign-uuid\",\"uuid\":\"0d4c1a6e-6d8e-4c3e-9a0e-1c2b3a4d5e6f\"},"
    "{\"action\":\"upgrade-format-version\",\"format-version\":2},"
    "{\"action\":\"add-schema\",\"schema\":{\"type\":\"struct\",\"schema-id\":0,\"fields\":["
    "{\"id\":1,\"name\":\"id\",\"required\":true,\"type\":\"long\"},{\"id\":2,\"name\":\"ts\",\"required\":false,\"type\":\"timestamptz\"}]},"
    "\"last-column-id\":2},"
    "{\"action\":\"set-current-schema\",\"schema-id\":-1},"
    "{\"action\":\"add-spec\",\"spec\":{\"spec-id\":0,\"fields\":[{\"name\":\"ts_day\",\"transform\":\"day\",\"source-id\":2,\"field-id\":1000}]}},"
    "{\"action\":\"set-default-spec\",\"spec-id\":-1},"
    "{\"action\":\"add-sort-order\",\"sort-order\":{\"order-id\":1,\"fields\":[{\"transform\":\"identity\",\"source-id\":1,"
    "\"direction\":\"asc\",\"null-order\":\"nulls-first\"}]}},"
    "{\"action\":\"set-default-sort-order\",\"sort-order-id\":-1},"
    "{\"action\":\"set-location\",\"location\":\"s3://b/t/\"},"
    "{\"action\":\"set-properties\",\"updates\":{\"owner\":\"me\",\"a\":\"1\"}}]";

static const char *snap_update(long long id, long long parent, long long seq, const char *branch) {
  static char buf[1024];
  char parent_s[64] = "";
  if (parent) snprintf(parent_s, sizeof parent_s, "\"parent-snapshot-id\":%lld,", parent);
  snprintf(buf, sizeof buf,
           "[{\"action\":\"add-snapshot\",\"snapshot\":{\"snapshot-id\":%lld,%s\"sequence-number\":%lld,"
           "\"timestamp-ms\":%lld,\"manifest-list\":\"s3://b/t/metadata/snap-%lld.avro\",\"summary\":{\"operation\":\"append\"},"
           "\"schema-id\":0}},"
           "{\"action\":\"set-snapshot-ref\",\"ref-name\":\"%s\",\"snapshot-id\":%lld,\"type\":\"branch\"}]",
           id, parent_s, seq, 1700000000000LL + id, id, branch, id);
  return buf;
}

TEST(create_commit_and_requirements) {
  prestige_error_t err;
  int rc;
  /* assert-create against no table passes; against a table it is a conflict */
  CHECK_OK(check_reqs(NULL, "[{\"type\":\"assert-create\"}]", &err));
  ice_table_metadata_t *md = apply_json(NULL, CREATE, &rc, &err);
  CHECK_MSG(rc == 0, "create: %s", err.message);
  if (!md) return;
  CHECK_EQ_STR(md->table_uuid, "0d4c1a6e-6d8e-4c3e-9a0e-1c2b3a4d5e6f");
  CHECK_EQ_STR(md->location, "s3://b/t");
  CHECK_EQ_INT(md->last_column_id, 2);
  CHECK_EQ_INT(md->last_partition_id, 1000);
  CHECK_EQ_INT(md->default_sort_order_id, 1);
  CHECK_EQ_INT(md->last_updated_ms, 1700000500000LL);
  CHECK_EQ_INT(md->n_metadata_log, 0); /* a new table has no previous file */
  CHECK_ERR(check_reqs(md, "[{\"type\":\"assert-create\"}]", &err), PRESTIGE_ECONFLICT, "already exists");
  CHECK_OK(check_reqs(md, "[{\"type\":\"assert-table-uuid\",\"uuid\":\"0D4C1A6E-6D8E-4C3E-9A0E-1C2B3A4D5E6F\"},"
                          "{\"type\":\"assert-ref-snapshot-id\",\"ref\":\"main\",\"snapshot-id\":null},"
                          "{\"type\":\"assert-last-assigned-field-id\",\"last-assigned-field-id\":2},"
                          "{\"type\":\"assert-current-schema-id\",\"current-schema-id\":0},"
                          "{\"type\":\"assert-last-assigned-partition-id\",\"last-assigned-partition-id\":1000},"
                          "{\"type\":\"assert-default-spec-id\",\"default-spec-id\":0},"
                          "{\"type\":\"assert-default-sort-order-id\",\"default-sort-order-id\":1}]",
                          &err));
  CHECK_ERR(check_reqs(md, "[{\"type\":\"assert-table-uuid\",\"uuid\":\"11111111-1111-1111-1111-111111111111\"}]", &err),
            PRESTIGE_ECONFLICT, "assert-table-uuid");
  CHECK_ERR(check_reqs(md, "[{\"type\":\"assert-last-assigned-field-id\",\"last-assigned-field-id\":3}]", &err), PRESTIGE_ECONFLICT,
            "expected 3, found 2");
  CHECK_ERR(check_reqs(md, "[{\"type\":\"assert-current-schema-id\",\"current-schema-id\":1}]", &err), PRESTIGE_ECONFLICT,
            "assert-current-schema-id");
  CHECK_ERR(check_reqs(md, "[{\"type\":\"assert-last-assigned-partition-id\",\"last-assigned-partition-id\":999}]", &err),
            PRESTIGE_ECONFLICT, "assert-last-assigned-partition-id");
  CHECK_ERR(check_reqs(md, "[{\"type\":\"assert-default-spec-id\",\"default-spec-id\":1}]", &err), PRESTIGE_ECONFLICT,
            "assert-default-spec-id");
  CHECK_ERR(check_reqs(md, "[{\"type\":\"assert-default-sort-order-id\",\"default-sort-order-id\":0}]", &err), PRESTIGE_ECONFLICT,
            "assert-default-sort-order-id");
  CHECK_ERR(check_reqs(NULL, "[{\"type\":\"assert-current-schema-id\",\"current-schema-id\":0}]", &err), PRESTIGE_ECONFLICT,
            "does not exist");

  /* an append: add-snapshot + main */
  ice_table_metadata_t *s1 = apply_json(md, snap_update(101, 0, 1, "main"), &rc, &err);
  CHECK_MSG(rc == 0, "append: %s", err.message);
  if (s1) {
    CHECK_EQ_INT(s1->current_snapshot_id, 101);
    CHECK_EQ_INT(s1->last_sequence_number, 1);
    CHECK_EQ_INT(s1->n_snapshot_log, 1);
    CHECK_EQ_INT(s1->snapshot_log[0].timestamp_ms, 1700000000101LL); /* the added snapshot's own time */
    CHECK_EQ_INT(s1->n_metadata_log, 1);
    CHECK_EQ_STR(s1->metadata_log[0].file, "s3://b/t/metadata/00000-a.metadata.json");
    CHECK_OK(check_reqs(s1, "[{\"type\":\"assert-ref-snapshot-id\",\"ref\":\"main\",\"snapshot-id\":101}]", &err));
    CHECK_ERR(check_reqs(s1, "[{\"type\":\"assert-ref-snapshot-id\",\"ref\":\"main\",\"snapshot-id\":100}]", &err), PRESTIGE_ECONFLICT,
              "has changed");
    CHECK_ERR(check_reqs(s1, "[{\"type\":\"assert-ref-snapshot-id\",\"ref\":\"main\",\"snapshot-id\":null}]", &err), PRESTIGE_ECONFLICT,
              "created concurrently");
    CHECK_ERR(check_reqs(s1, "[{\"type\":\"assert-ref-snapshot-id\",\"ref\":\"dev\",\"snapshot-id\":101}]", &err), PRESTIGE_ECONFLICT,
              "is missing");
    /* a stale writer: sequence number not above the table's (retryable conflict) */
    ice_table_metadata_t *x = apply_json(s1, snap_update(102, 101, 1, "main"), &rc, &err);
    CHECK_EQ_INT(rc, PRESTIGE_ECONFLICT);
    CHECK(strstr(err.message, "sequence number") != NULL);
    CHECK(x == NULL);
    /* a second append, then a branch and a tag; then remove the first snapshot */
    ice_table_metadata_t *s2 = apply_json(s1, snap_update(102, 101, 2, "main"), &rc, &err);
    CHECK_OK(rc);
    ice_table_metadata_t *s3 = s2 ? apply_json(s2,
                                              "[{\"action\":\"set-snapshot-ref\",\"ref-name\":\"dev\",\"snapshot-id\":101,\"type\":\"branch\","
                                              "\"min-snapshots-to-keep\":3,\"max-ref-age-ms\":1000},"
                                              "{\"action\":\"set-snapshot-ref\",\"ref-name\":\"release\",\"snapshot-id\":102,\"type\":\"tag\"},"
                                              "{\"action\":\"set-statistics\",\"statistics\":{\"snapshot-id\":101,\"statistics-path\":\"s3://b/s.puffin\","
                                              "\"file-size-in-bytes\":10,\"file-footer-size-in-bytes\":4,\"blob-metadata\":[]}},"
                                              "{\"action\":\"set-partition-statistics\",\"partition-statistics\":{\"snapshot-id\":102,"
                                              "\"statistics-path\":\"s3://b/p.parquet\",\"file-size-in-bytes\":10}}]",
                                              &rc, &err)
                                   : NULL;
    CHECK_OK(rc);
    if (s3) {
      CHECK_EQ_INT(ice_metadata_ref(s3, "dev")->min_snapshots_to_keep, 3);
      CHECK_EQ_INT(ice_metadata_ref(s3, "release")->type, ICE_REF_TAG);
      CHECK_EQ_INT(s3->n_statistics, 1);
      CHECK_EQ_INT(s3->n_partition_statistics, 1);
      CHECK_EQ_INT(s3->current_snapshot_id, 102);
      ice_table_metadata_t *s4 = apply_json(s3, "[{\"action\":\"remove-snapshots\",\"snapshot-ids\":[101]}]", &rc, &err);
      CHECK_OK(rc);
      if (s4) {
        CHECK(ice_metadata_snapshot(s4, 101) == NULL);
        CHECK(ice_metadata_ref(s4, "dev") == NULL); /* dangling ref removed */
        CHECK_EQ_INT(s4->n_statistics, 0);          /* its statistics too */
        CHECK_EQ_INT(s4->n_snapshot_log, 1);        /* log entries up to the removed snapshot dropped */
        CHECK_EQ_INT(s4->snapshot_log[0].snapshot_id, 102);
        ice_table_metadata_t *s5 = apply_json(s4,
                                              "[{\"action\":\"remove-snapshot-ref\",\"ref-name\":\"main\"},"
                                              "{\"action\":\"remove-properties\",\"removals\":[\"a\",\"missing\"]},"
                                              "{\"action\":\"remove-partition-statistics\",\"snapshot-id\":102},"
                                              "{\"action\":\"remove-statistics\",\"snapshot-id\":5}]",
                                              &rc, &err);
        CHECK_OK(rc);
        if (s5) {
          CHECK_EQ_INT(s5->current_snapshot_id, ICE_NO_SNAPSHOT);
          CHECK(ice_metadata_property(s5, "a", NULL) == NULL && !strcmp(ice_metadata_property(s5, "owner", ""), "me"));
          CHECK_EQ_INT(s5->n_partition_statistics, 0);
          char *t = ice_metadata_write_text(s5, &err);
          CHECK(t && strstr(t, "\"current-snapshot-id\": -1"));
          free(t);
          ice_metadata_free(s5);
        }
        ice_metadata_free(s4);
      }
      ice_metadata_free(s3);
    }
    ice_metadata_free(s2);
    ice_metadata_free(s1);
  }

  /* schema evolution: add a column, reuse an equal schema, -1 without an added schema */
  ice_table_metadata_t *e = apply_json(md,
                                       "[{\"action\":\"add-schema\",\"schema\":{\"type\":\"struct\",\"schema-id\":7,\"fields\":["
                                       "{\"id\":1,\"name\":\"id\",\"required\":true,\"type\":\"long\"},"
                                       "{\"id\":2,\"name\":\"ts\",\"required\":false,\"type\":\"timestamptz\"},"
                                       "{\"id\":3,\"name\":\"note\",\"required\":false,\"type\":\"string\"}]}},"
                                       "{\"action\":\"set-current-schema\",\"schema-id\":-1},"
                                       "{\"action\":\"add-spec\",\"spec\":{\"fields\":[{\"name\":\"id_b\",\"transform\":\"bucket[4]\","
                                       "\"source-id\":1,\"field-id\":1001}]}},"
                                       "{\"action\":\"set-default-spec\",\"spec-id\":-1}]",
                                       &rc, &err);
  CHECK_MSG(rc == 0, "evolve: %s", err.message);
  if (e) {
    CHECK_EQ_INT(e->current_schema_id, 1); /* a fresh id, not the 7 the client sent */
    CHECK_EQ_INT(e->last_column_id, 3);
    CHECK_EQ_INT(e->default_spec_id, 1);
    CHECK_EQ_INT(e->last_partition_id, 1001);
    ice_metadata_free(e);
  }
  e = apply_json(md, "[{\"action\":\"set-current-schema\",\"schema-id\":-1}]", &rc, &err);
  CHECK_EQ_INT(rc, PRESTIGE_EINVAL);
  CHECK(strstr(err.message, "set-current-schema") != NULL);
  e = apply_json(md, "[{\"action\":\"set-current-schema\",\"schema-id\":5}]", &rc, &err);
  CHECK_EQ_INT(rc, PRESTIGE_EINVAL);
  e = apply_json(md, "[{\"action\":\"set-default-spec\",\"spec-id\":3}]", &rc, &err);
  CHECK_EQ_INT(rc, PRESTIGE_EINVAL);
  e = apply_json(md, "[{\"action\":\"set-default-sort-order\",\"sort-order-id\":9}]", &rc, &err);
  CHECK_EQ_INT(rc, PRESTIGE_EINVAL);
  e = apply_json(md, "[{\"action\":\"upgrade-format-version\",\"format-version\":1}]", &rc, &err);
  CHECK_EQ_INT(rc, PRESTIGE_EINVAL);
  CHECK(strstr(err.message, "downgrade") != NULL);
  e = apply_json(md, "[{\"action\":\"upgrade-format-version\",\"format-version\":4}]", &rc, &err);
  CHECK_EQ_INT(rc, PRESTIGE_EINVAL);
  e = apply_json(md, "[{\"action\":\"assign-uuid\",\"uuid\":\"11111111-1111-1111-1111-111111111111\"}]", &rc, &err);
  CHECK_EQ_INT(rc, PRESTIGE_EINVAL);
  e = apply_json(md, "[{\"action\":\"set-snapshot-ref\",\"ref-name\":\"main\",\"snapshot-id\":77,\"type\":\"branch\"}]", &rc, &err);
  CHECK_EQ_INT(rc, PRESTIGE_EINVAL);
  CHECK(strstr(err.message, "unknown snapshot 77") != NULL);
  e = apply_json(md, "[{\"action\":\"add-spec\",\"spec\":{\"spec-id\":1,\"fields\":[{\"name\":\"h\",\"transform\":\"hour\","
                     "\"source-id\":1,\"field-id\":1001}]}}]",
                 &rc, &err);
  CHECK_EQ_INT(rc, PRESTIGE_ETYPE);
  CHECK(e == NULL);
  ice_metadata_free(md);

  /* malformed requests */
  ice_update_t u;
  json_t *j = J("{\"action\":\"add-schema\"}");
  CHECK_ERR(ice_update_from_json(j, &u, &err), PRESTIGE_EINVAL, "\"schema\"");
  json_decref(j);
  j = J("{\"action\":\"explode\"}");
  CHECK_ERR(ice_update_from_json(j, &u, &err), PRESTIGE_EINVAL, "explode");
  json_decref(j);
  j = J("{\"action\":\"add-snapshot\",\"snapshot\":{\"snapshot-id\":\"x\"}}");
  CHECK_ERR(ice_update_from_json(j, &u, &err), PRESTIGE_EINVAL, "snapshot-id");
  json_decref(j);
  ice_requirement_t r;
  j = J("{\"type\":\"assert-ref-snapshot-id\",\"ref\":\"main\"}");
  CHECK_ERR(ice_requirement_from_json(j, &r, &err), PRESTIGE_EINVAL, "snapshot-id");
  json_decref(j);
}

TEST(v3_row_lineage_commits) {
  prestige_error_t err;
  int rc;
  ice_table_metadata_t *md = load("prestige-v3-full.json", &err, &rc);
  CHECK_OK(rc);
  if (!md) return;
  const char *good = "[{\"action\":\"add-snapshot\",\"snapshot\":{\"snapshot-id\":40,\"parent-snapshot-id\":30,\"sequence-number\":4,"
                     "\"timestamp-ms\":1700000400000,\"manifest-list\":\"s3://x/snap-40.avro\",\"summary\":{\"operation\":\"append\"},"
                     "\"first-row-id\":250,\"added-rows\":75}},"
                     "{\"action\":\"set-snapshot-ref\",\"ref-name\":\"main\",\"snapshot-id\":40,\"type\":\"branch\"}]";
  ice_table_metadata_t *n = apply_json(md, good, &rc, &err);
  CHECK_OK(rc);
  if (n) {
    CHECK_EQ_INT(n->next_row_id, 325);
    CHECK_EQ_INT(n->current_snapshot_id, 40);
    char *t = ice_metadata_write_text(n, &err);
    CHECK(t && strstr(t, "\"next-row-id\": 325") && strstr(t, "\"first-row-id\": 250"));
    free(t);
    ice_metadata_free(n);
  }
  const char *behind = "[{\"action\":\"add-snapshot\",\"snapshot\":{\"snapshot-id\":41,\"parent-snapshot-id\":30,\"sequence-number\":4,"
                       "\"timestamp-ms\":1700000400000,\"manifest-list\":\"s3://x/snap-41.avro\",\"summary\":{\"operation\":\"append\"},"
                       "\"first-row-id\":200,\"added-rows\":75}}]";
  n = apply_json(md, behind, &rc, &err);
  CHECK_EQ_INT(rc, PRESTIGE_ECONFLICT);
  CHECK(strstr(err.message, "next-row-id") != NULL);
  const char *missing = "[{\"action\":\"add-snapshot\",\"snapshot\":{\"snapshot-id\":42,\"parent-snapshot-id\":30,\"sequence-number\":4,"
                        "\"timestamp-ms\":1700000400000,\"manifest-list\":\"s3://x/snap-42.avro\",\"summary\":{\"operation\":\"append\"}}}]";
  n = apply_json(md, missing, &rc, &err);
  CHECK_EQ_INT(rc, PRESTIGE_EINVAL);
  CHECK(strstr(err.message, "first-row-id") != NULL);
  ice_metadata_free(md);
}

TEST(new_table_and_file_names) {
  prestige_error_t err;
  ice_schema_t *s = NULL;
  /* ids as a client might send them (not 1..n): the new table renumbers them as Java does */
  CHECK_OK(ice_schema_from_json_text("{\"type\":\"struct\",\"schema-id\":4,\"identifier-field-ids\":[10],\"fields\":["
                                     "{\"id\":10,\"name\":\"id\",\"required\":true,\"type\":\"long\"},"
                                     "{\"id\":20,\"name\":\"loc\",\"required\":false,\"type\":{\"type\":\"struct\",\"fields\":["
                                     "{\"id\":21,\"name\":\"lat\",\"required\":false,\"type\":\"double\"}]}},"
                                     "{\"id\":30,\"name\":\"ts\",\"required\":true,\"type\":\"timestamp\"}]}",
                                     &s, &err));
  if (!s) return;
  ice_partition_spec_t *spec;
  ice_sort_order_t *order;
  ice_transform_t day, ident;
  ice_transform_parse("day", &day, &err);
  ice_transform_parse("identity", &ident, &err);
  ice_partition_spec_new(0, &spec, &err);
  ice_partition_spec_add(spec, 30, 1500, "ts_day", &day, &err);
  ice_sort_order_new(5, &order, &err);
  ice_sort_order_add(order, 10, &ident, ICE_SORT_DESC, ICE_NULLS_LAST, &err);
  ice_table_metadata_t *md = NULL;
  CHECK_OK(ice_metadata_new_table(s, spec, order, "file:///tmp/wh/db/t/", NULL, 3, 1700000000000LL, &md, &err));
  if (md) {
    const ice_schema_t *fs = ice_metadata_current_schema(md);
    CHECK_EQ_INT(ice_schema_find_name(fs, "id")->id, 1);
    CHECK_EQ_INT(ice_schema_find_name(fs, "loc")->id, 2);
    CHECK_EQ_INT(ice_schema_find_name(fs, "ts")->id, 3);
    CHECK_EQ_INT(ice_schema_find_name(fs, "loc.lat")->id, 4);
    CHECK_EQ_INT(fs->identifier_ids[0], 1);
    CHECK_EQ_INT(md->last_column_id, 4);
    CHECK_EQ_INT(md->specs[0]->fields[0].source_id, 3);
    CHECK_EQ_INT(md->specs[0]->fields[0].field_id, 1000);
    CHECK_EQ_INT(md->last_partition_id, 1000);
    CHECK_EQ_INT(md->default_sort_order_id, 1);
    CHECK_EQ_INT(md->sort_orders[0]->fields[0].source_id, 1);
    CHECK_EQ_INT(md->next_row_id, 0);
    CHECK_EQ_STR(md->location, "file:///tmp/wh/db/t");
    CHECK_EQ_INT(strlen(md->table_uuid), 36);
    CHECK(md->table_uuid[14] == '4');
    char *t = ice_metadata_write_text(md, &err);
    CHECK(t && strstr(t, "\"current-snapshot-id\": null")); /* v3 writes null */
    ice_table_metadata_t *back = NULL;
    CHECK_OK(ice_metadata_read_text(t, strlen(t), "new", &back, &err));
    ice_metadata_free(back);
    free(t);

    char name[1024], next[1024];
    CHECK_OK(ice_metadata_next_file_name(md, NULL, name, sizeof name, &err));
    CHECK(!strncmp(name, "file:///tmp/wh/db/t/metadata/00000-", 35) && strlen(name) == 35 + 36 + 14);
    CHECK(!strcmp(name + strlen(name) - 14, ".metadata.json"));
    CHECK_EQ_INT(ice_metadata_file_version(name), 0);
    CHECK_OK(ice_metadata_next_file_name(md, name, next, sizeof next, &err));
    CHECK_EQ_INT(ice_metadata_file_version(next), 1);
    CHECK(strcmp(name + 35, next + 35) != 0); /* a fresh uuid each time */
    CHECK_EQ_INT(ice_metadata_file_version("s3://b/t/metadata/v12.metadata.json"), 12);
    CHECK_EQ_INT(ice_metadata_file_version("s3://b/t/metadata/abc.metadata.json"), -1);
    ice_strmap_set(&md->properties, "write.metadata.path", "s3://other/meta/");
    CHECK_OK(ice_metadata_next_file_name(md, "x/00041-u.metadata.json", next, sizeof next, &err));
    CHECK(!strncmp(next, "s3://other/meta/00042-", 22));
    ice_metadata_free(md);
  }
  /* v2 refuses nanosecond timestamps */
  ice_schema_t *ns = NULL;
  CHECK_OK(ice_schema_from_json_text("{\"type\":\"struct\",\"schema-id\":0,\"fields\":["
                                     "{\"id\":1,\"name\":\"t\",\"required\":true,\"type\":\"timestamp_ns\"}]}",
                                     &ns, &err));
  if (ns) {
    CHECK_ERR(ice_metadata_new_table(ns, NULL, NULL, "s3://b/t", NULL, 2, 1, &md, &err), PRESTIGE_EINVAL, "format version 3");
    ice_schema_free(ns);
  }
  ice_sort_order_free(order);
  ice_partition_spec_free(spec);
  ice_schema_free(s);
}

TEST_MAIN(RUN(java_example_files_round_trip); RUN(v2_valid_values); RUN(v3_full_values); RUN(v1_reads_but_does_not_write);
          RUN(spec_violations); RUN(create_commit_and_requirements); RUN(v3_row_lineage_commits);
          RUN(new_table_and_file_names);)
