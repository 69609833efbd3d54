/* Iceberg table metadata JSON (spec Appendix C), read V1-V3 and written as Java's
 * TableMetadataParser writes V2/V3. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/json_load.h"
#include "iceberg/json_util.h"
#include "iceberg/metadata.h"

/* ---- snapshots and refs -------------------------------------------------------------------------- */
static int snapshot_parse(const ju_t *j, const json_t *o, ice_snapshot_t **out) {
  if (!json_is_object(o)) return ju_fail(j, "snapshots", "a snapshot must be an object");
  ice_snapshot_t *s = calloc(1, sizeof(*s));
  if (!s) return prestige_error_set(j->err, PRESTIGE_ENOMEM, "out of memory");
  char ctx[64] = "snapshot";
  int rc;
  bool has;
  const char *ml, *key_id;
  const json_t *summary, *manifests;
  if ((rc = ju_i64(j, o, "snapshot-id", ctx, &s->snapshot_id))) goto fail;
  snprintf(ctx, sizeof ctx, "snapshot %lld", (long long)s->snapshot_id);
  if ((rc = ju_opt_i64(j, o, "parent-snapshot-id", ctx, &s->has_parent, &s->parent_id)) ||
      (rc = ju_opt_i64(j, o, "sequence-number", ctx, &has, &s->sequence_number)) ||
      (rc = ju_i64(j, o, "timestamp-ms", ctx, &s->timestamp_ms)) || (rc = ju_opt_str(j, o, "manifest-list", ctx, &ml)) ||
      (rc = ju_opt_i32(j, o, "schema-id", ctx, &s->has_schema_id, &s->schema_id)) ||
      (rc = ju_opt_i64(j, o, "first-row-id", ctx, &s->has_first_row_id, &s->first_row_id)) ||
      (rc = ju_opt_i64(j, o, "added-rows", ctx, &s->has_added_rows, &s->added_rows)) ||
      (rc = ju_opt_str(j, o, "key-id", ctx, &key_id)) || (rc = ju_opt_object(j, o, "summary", ctx, &summary)) ||
      (rc = ju_opt_array(j, o, "manifests", ctx, &manifests)))
    goto fail;
  if (!has) s->sequence_number = 0; /* V1 */
  if ((ml && !(s->manifest_list = strdup(ml))) || (key_id && !(s->key_id = strdup(key_id)))) goto oom;
  if (!ml && !manifests) {
    rc = ju_fail(j, ctx, "required field \"manifest-list\" is missing");
    goto fail;
  }
  if (!ml && manifests) { /* V1 embedded manifest list */
    size_t n = json_array_size(manifests);
    if (n && !(s->manifests = calloc(n, sizeof(char *)))) goto oom;
    for (size_t i = 0; i < n; i++) {
      const char *m = json_string_value(json_array_get(manifests, i));
      if (!m) {
        rc = ju_fail(j, ctx, "\"manifests\" must hold strings");
        goto fail;
      }
      if (!(s->manifests[i] = strdup(m))) goto oom;
      s->n_manifests++;
    }
  }
  if (summary) {
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)summary, key, v) {
      if (!json_is_string(v)) {
        rc = ju_fail(j, ctx, "summary \"%s\" must be a string", key);
        goto fail;
      }
      if (!strcmp(key, "operation")) {
        if (!(s->operation = strdup(json_string_value(v)))) goto oom;
      } else if (ice_strmap_set(&s->summary, key, json_string_value(v))) {
        goto oom;
      }
    }
    /* Java: a summary without an operation reads as "overwrite" */
    if (json_object_size(summary) && !s->operation && !(s->operation = strdup("overwrite"))) goto oom;
  }
  *out = s;
  return 0;
oom:
  rc = prestige_error_set(j->err, PRESTIGE_ENOMEM, "out of memory");
fail:
  ice_snapshot_free(s);
  return rc;
}

int ice_snapshot_from_json(const json_t *o, const char *what, ice_snapshot_t **out, prestige_error_t *err) {
  ju_t j = {what ? what : "snapshot", PRESTIGE_ECORRUPT, err};
  return snapshot_parse(&j, o, out);
}

json_t *ice_snapshot_to_json(const ice_snapshot_t *s) {
  json_t *o = json_object();
  if (!o) return NULL;
  /* Java SnapshotParser field order; sequence-number only when > 0 */
  if ((s->sequence_number > 0 && ju_set(o, "sequence-number", json_integer(s->sequence_number))) ||
      ju_set(o, "snapshot-id", json_integer(s->snapshot_id)) ||
      (s->has_parent && ju_set(o, "parent-snapshot-id", json_integer(s->parent_id))) ||
      ju_set(o, "timestamp-ms", json_integer(s->timestamp_ms)))
    goto fail;
  if (s->operation) {
    json_t *sum = json_object();
    if (ju_set(o, "summary", sum) || ju_set(sum, "operation", json_string(s->operation))) goto fail;
    for (size_t i = 0; i < s->summary.n; i++)
      if (ju_set(sum, s->summary.items[i].key, json_string(s->summary.items[i].value))) goto fail;
  }
  if (s->manifest_list) {
    if (ju_set(o, "manifest-list", json_string(s->manifest_list))) goto fail;
  } else {
    json_t *a = json_array();
    if (ju_set(o, "manifests", a)) goto fail;
    for (size_t i = 0; i < s->n_manifests; i++)
      if (ju_append(a, json_string(s->manifests[i]))) goto fail;
  }
  if ((s->has_schema_id && ju_set(o, "schema-id", json_integer(s->schema_id))) ||
      (s->has_first_row_id && ju_set(o, "first-row-id", json_integer(s->first_row_id))) ||
      (s->has_added_rows && ju_set(o, "added-rows", json_integer(s->added_rows))) ||
      (s->key_id && ju_set(o, "key-id", json_string(s->key_id))))
    goto fail;
  return o;
fail:
  json_decref(o);
  return NULL;
}

static int ref_parse(const ju_t *j, const json_t *o, const char *name, ice_snapshot_ref_t *r) {
  char ctx[300];
  snprintf(ctx, sizeof ctx, "ref \"%s\"", name);
  memset(r, 0, sizeof(*r));
  if (!json_is_object(o)) return ju_fail(j, ctx, "a ref must be an object");
  const char *type;
  PRESTIGE_TRY(ju_i64(j, o, "snapshot-id", ctx, &r->snapshot_id));
  PRESTIGE_TRY(ju_str(j, o, "type", ctx, &type));
  if (strcasecmp(type, "branch") && strcasecmp(type, "tag"))
    return ju_fail(j, ctx, "\"type\" must be \"branch\" or \"tag\", not \"%s\"", type);
  r->type = strcasecmp(type, "branch") ? ICE_REF_TAG : ICE_REF_BRANCH;
  PRESTIGE_TRY(ju_opt_i32(j, o, "min-snapshots-to-keep", ctx, &r->has_min_snapshots_to_keep, &r->min_snapshots_to_keep));
  PRESTIGE_TRY(ju_opt_i64(j, o, "max-snapshot-age-ms", ctx, &r->has_max_snapshot_age_ms, &r->max_snapshot_age_ms));
  PRESTIGE_TRY(ju_opt_i64(j, o, "max-ref-age-ms", ctx, &r->has_max_ref_age_ms, &r->max_ref_age_ms));
  if (r->type == ICE_REF_TAG && (r->has_min_snapshots_to_keep || r->has_max_snapshot_age_ms))
    return ju_fail(j, ctx, "tags do not take min-snapshots-to-keep or max-snapshot-age-ms");
  if ((r->has_min_snapshots_to_keep && r->min_snapshots_to_keep <= 0) ||
      (r->has_max_snapshot_age_ms && r->max_snapshot_age_ms <= 0) || (r->has_max_ref_age_ms && r->max_ref_age_ms <= 0))
    return ju_fail(j, ctx, "retention values must be positive");
  if (!(r->name = strdup(name))) return prestige_error_set(j->err, PRESTIGE_ENOMEM, "out of memory");
  return 0;
}

int ice_ref_from_json(const json_t *o, const char *name, const char *what, ice_snapshot_ref_t *out, prestige_error_t *err) {
  ju_t j = {what ? what : "ref", PRESTIGE_ECORRUPT, err};
  return ref_parse(&j, o, name, out);
}

json_t *ice_ref_to_json(const ice_snapshot_ref_t *r) {
  json_t *o = json_object();
  if (!o || ju_set(o, "snapshot-id", json_integer(r->snapshot_id)) ||
      ju_set(o, "type", json_string(r->type == ICE_REF_BRANCH ? "branch" : "tag")) ||
      (r->has_min_snapshots_to_keep && ju_set(o, "min-snapshots-to-keep", json_integer(r->min_snapshots_to_keep))) ||
      (r->has_max_snapshot_age_ms && ju_set(o, "max-snapshot-age-ms", json_integer(r->max_snapshot_age_ms))) ||
      (r->has_max_ref_age_ms && ju_set(o, "max-ref-age-ms", json_integer(r->max_ref_age_ms)))) {
    json_decref(o);
    return NULL;
  }
  return o;
}

/* ---- statistics: kept verbatim after checking the required fields -------------------------------- */
static int stats_parse(const ju_t *j, const json_t *a, const char *key, bool partition, ice_statistics_t **out, size_t *n) {
  *out = NULL;
  *n = 0;
  if (!a) return 0;
  size_t m = json_array_size(a);
  if (!m) return 0;
  ice_statistics_t *s = calloc(m, sizeof(*s));
  if (!s) return prestige_error_set(j->err, PRESTIGE_ENOMEM, "out of memory");
  for (size_t i = 0; i < m; i++) {
    const json_t *o = json_array_get(a, i);
    char ctx[64];
    snprintf(ctx, sizeof ctx, "%s[%zu]", key, i);
    const char *path;
    int64_t x;
    int rc = json_is_object(o) ? 0 : ju_fail(j, ctx, "must be an object");
    if (!rc) rc = ju_i64(j, o, "snapshot-id", ctx, &s[i].snapshot_id);
    if (!rc) rc = ju_str(j, o, "statistics-path", ctx, &path);
    if (!rc) rc = ju_i64(j, o, "file-size-in-bytes", ctx, &x);
    if (!rc && !partition) rc = ju_i64(j, o, "file-footer-size-in-bytes", ctx, &x);
    if (!rc && !partition && !json_is_array(json_object_get(o, "blob-metadata")))
      rc = ju_fail(j, ctx, "\"blob-metadata\" must be an array");
    if (rc) {
      for (size_t k = 0; k < i; k++) json_decref(s[k].json);
      free(s);
      return rc;
    }
    s[i].json = json_deep_copy(o);
    (*n)++;
  }
  *out = s;
  return 0;
}

/* ---- metadata ------------------------------------------------------------------------------------- */
static int md_parse(const ju_t *j, const json_t *o, ice_table_metadata_t *md) {
  const char *M = ""; /* top-level context */
  if (!json_is_object(o)) return ju_fail(j, M, "table metadata must be a JSON object");
  int32_t fv;
  PRESTIGE_TRY(ju_i32(j, o, "format-version", M, &fv));
  if (fv < 1 || fv > ICE_FORMAT_VERSION_MAX)
    return prestige_error_set(j->err, PRESTIGE_EUNSUPPORTED, "%s: format-version %d is not supported (1 to %d)", j->what, fv,
                              ICE_FORMAT_VERSION_MAX);
  md->format_version = fv;
  const char *uuid, *location;
  PRESTIGE_TRY(fv > 1 ? ju_str(j, o, "table-uuid", M, &uuid) : ju_opt_str(j, o, "table-uuid", M, &uuid));
  PRESTIGE_TRY(ju_str(j, o, "location", M, &location));
  size_t loc_len = strlen(location);
  while (loc_len > 1 && location[loc_len - 1] == '/') loc_len--; /* Java strips a trailing slash */
  if ((uuid && !(md->table_uuid = strdup(uuid))) || !(md->location = strndup(location, loc_len)))
    return prestige_error_set(j->err, PRESTIGE_ENOMEM, "out of memory");
  if (fv > 1) PRESTIGE_TRY(ju_i64(j, o, "last-sequence-number", M, &md->last_sequence_number));
  PRESTIGE_TRY(ju_i64(j, o, "last-updated-ms", M, &md->last_updated_ms));
  PRESTIGE_TRY(ju_i32(j, o, "last-column-id", M, &md->last_column_id));

  /* schemas */
  const json_t *schemas;
  PRESTIGE_TRY(ju_opt_array(j, o, "schemas", M, &schemas));
  if (schemas) {
    PRESTIGE_TRY(ju_i32(j, o, "current-schema-id", M, &md->current_schema_id));
    size_t n = json_array_size(schemas);
    if (!(md->schemas = calloc(n ? n : 1, sizeof(ice_schema_t *)))) return prestige_error_set(j->err, PRESTIGE_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
      PRESTIGE_TRY(ice_schema_from_json(json_array_get(schemas, i), j->what, &md->schemas[i], j->err));
      md->n_schemas++;
    }
  } else {
    if (fv > 1) return ju_fail(j, M, "required field \"schemas\" is missing (format v%d)", fv);
    const json_t *schema = json_object_get(o, "schema");
    if (!schema) return ju_fail(j, M, "required field \"schema\" is missing");
    if (!(md->schemas = calloc(1, sizeof(ice_schema_t *)))) return prestige_error_set(j->err, PRESTIGE_ENOMEM, "out of memory");
    PRESTIGE_TRY(ice_schema_from_json(schema, j->what, &md->schemas[0], j->err));
    md->n_schemas = 1;
    md->current_schema_id = md->schemas[0]->schema_id;
  }
  if (!ice_metadata_current_schema(md))
    return ju_fail(j, M, "\"current-schema-id\" %d names no schema in \"schemas\"", md->current_schema_id);

  /* partition specs */
  const json_t *specs;
  PRESTIGE_TRY(ju_opt_array(j, o, "partition-specs", M, &specs));
  if (specs) {
    PRESTIGE_TRY(ju_i32(j, o, "default-spec-id", M, &md->default_spec_id));
    size_t n = json_array_size(specs);
    if (!(md->specs = calloc(n ? n : 1, sizeof(void *)))) return prestige_error_set(j->err, PRESTIGE_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
      PRESTIGE_TRY(ice_partition_spec_from_json(json_array_get(specs, i), j->what, &md->specs[i], j->err));
      md->n_specs++;
    }
  } else {
    if (fv > 1) return ju_fail(j, M, "required field \"partition-specs\" is missing (format v%d)", fv);
    const json_t *fields = json_object_get(o, "partition-spec");
    if (!fields) return ju_fail(j, M, "required field \"partition-spec\" is missing");
    if (!(md->specs = calloc(1, sizeof(void *)))) return prestige_error_set(j->err, PRESTIGE_ENOMEM, "out of memory");
    PRESTIGE_TRY(ice_partition_spec_from_json_fields(fields, 0, j->what, &md->specs[0], j->err));
    md->n_specs = 1;
    md->default_spec_id = 0;
  }
  bool has;
  PRESTIGE_TRY(ju_opt_i32(j, o, "last-partition-id", M, &has, &md->last_partition_id));
  if (!has) {
    if (fv > 1) return ju_fail(j, M, "required field \"last-partition-id\" is missing (format v%d)", fv);
    md->last_partition_id = ICE_PARTITION_DATA_ID_START - 1;
    for (size_t i = 0; i < md->n_specs; i++) {
      int32_t l = ice_partition_spec_last_field_id(md->specs[i]);
      if (l > md->last_partition_id) md->last_partition_id = l;
    }
  }

  /* sort orders */
  const json_t *orders;
  PRESTIGE_TRY(ju_opt_array(j, o, "sort-orders", M, &orders));
  if (orders) {
    PRESTIGE_TRY(ju_i32(j, o, "default-sort-order-id", M, &md->default_sort_order_id));
    size_t n = json_array_size(orders);
    if (!(md->sort_orders = calloc(n ? n : 1, sizeof(void *)))) return prestige_error_set(j->err, PRESTIGE_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
      PRESTIGE_TRY(ice_sort_order_from_json(json_array_get(orders, i), j->what, &md->sort_orders[i], j->err));
      md->n_sort_orders++;
    }
  } else {
    if (fv > 1) return ju_fail(j, M, "required field \"sort-orders\" is missing (format v%d)", fv);
    if (!(md->sort_orders = calloc(1, sizeof(void *)))) return prestige_error_set(j->err, PRESTIGE_ENOMEM, "out of memory");
    PRESTIGE_TRY(ice_sort_order_new(0, &md->sort_orders[0], j->err));
    md->n_sort_orders = 1;
    md->default_sort_order_id = 0;
  }

  /* properties */
  const json_t *props;
  PRESTIGE_TRY(ju_opt_object(j, o, "properties", M, &props));
  if (props) {
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)props, key, v) {
      if (!json_is_string(v)) return ju_fail(j, "properties", "\"%s\" must be a string", key);
      if (ice_strmap_set(&md->properties, key, json_string_value(v))) return prestige_error_set(j->err, PRESTIGE_ENOMEM, "out of memory");
    }
  }

  /* current snapshot: -1 and null both mean none (Java) */
  int64_t cur;
  PRESTIGE_TRY(ju_opt_i64(j, o, "current-snapshot-id", M, &has, &cur));
  md->current_snapshot_id = has ? cur : ICE_NO_SNAPSHOT;
  if (md->current_snapshot_id < 0) md->current_snapshot_id = ICE_NO_SNAPSHOT;
  if (fv >= 3) PRESTIGE_TRY(ju_i64(j, o, "next-row-id", M, &md->next_row_id));

  const json_t *keys = json_object_get(o, "encryption-keys");
  if (keys && !json_is_null(keys)) {
    if (!json_is_array(keys)) return ju_fail(j, M, "\"encryption-keys\" must be an array");
    md->encryption_keys = json_deep_copy(keys);
  }

  /* snapshots */
  const json_t *snaps;
  PRESTIGE_TRY(ju_opt_array(j, o, "snapshots", M, &snaps));
  size_t ns = snaps ? json_array_size(snaps) : 0;
  if (ns && !(md->snapshots = calloc(ns, sizeof(void *)))) return prestige_error_set(j->err, PRESTIGE_ENOMEM, "out of memory");
  for (size_t i = 0; i < ns; i++) {
    PRESTIGE_TRY(snapshot_parse(j, json_array_get(snaps, i), &md->snapshots[i]));
    md->n_snapshots++;
    const ice_snapshot_t *s = md->snapshots[i];
    if (fv >= 3 && (!s->has_first_row_id || !s->has_added_rows) && s->has_first_row_id != s->has_added_rows) {
      char ctx[64];
      snprintf(ctx, sizeof ctx, "snapshot %lld", (long long)s->snapshot_id);
      return ju_fail(j, ctx, "\"first-row-id\" and \"added-rows\" go together");
    }
  }

  /* refs: a file with a current snapshot and no refs gets a main branch (Java) */
  const json_t *refs;
  PRESTIGE_TRY(ju_opt_object(j, o, "refs", M, &refs));
  if (refs) {
    size_t n = json_object_size(refs);
    if (n && !(md->refs = calloc(n, sizeof(ice_snapshot_ref_t)))) return prestige_error_set(j->err, PRESTIGE_ENOMEM, "out of memory");
    const char *name;
    json_t *v;
    json_object_foreach((json_t *)refs, name, v) {
      PRESTIGE_TRY(ref_parse(j, v, name, &md->refs[md->n_refs]));
      md->n_refs++;
    }
  } else if (md->current_snapshot_id != ICE_NO_SNAPSHOT) {
    if (!(md->refs = calloc(1, sizeof(ice_snapshot_ref_t))) || !(md->refs[0].name = strdup("main")))
      return prestige_error_set(j->err, PRESTIGE_ENOMEM, "out of memory");
    md->refs[0].snapshot_id = md->current_snapshot_id;
    md->refs[0].type = ICE_REF_BRANCH;
    md->n_refs = 1;
  }

  const json_t *stats, *pstats;
  PRESTIGE_TRY(ju_opt_array(j, o, "statistics", M, &stats));
  PRESTIGE_TRY(stats_parse(j, stats, "statistics", false, &md->statistics, &md->n_statistics));
  PRESTIGE_TRY(ju_opt_array(j, o, "partition-statistics", M, &pstats));
  PRESTIGE_TRY(stats_parse(j, pstats, "partition-statistics", true, &md->partition_statistics, &md->n_partition_statistics));

  /* logs */
  const json_t *slog, *mlog;
  PRESTIGE_TRY(ju_opt_array(j, o, "snapshot-log", M, &slog));
  size_t n = slog ? json_array_size(slog) : 0;
  if (n && !(md->snapshot_log = calloc(n, sizeof(*md->snapshot_log)))) return prestige_error_set(j->err, PRESTIGE_ENOMEM, "out of memory");
  for (size_t i = 0; i < n; i++) {
    const json_t *e = json_array_get(slog, i);
    char ctx[48];
    snprintf(ctx, sizeof ctx, "snapshot-log[%zu]", i);
    PRESTIGE_TRY(ju_i64(j, e, "timestamp-ms", ctx, &md->snapshot_log[i].timestamp_ms));
    PRESTIGE_TRY(ju_i64(j, e, "snapshot-id", ctx, &md->snapshot_log[i].snapshot_id));
    md->n_snapshot_log++;
  }
  PRESTIGE_TRY(ju_opt_array(j, o, "metadata-log", M, &mlog));
  n = mlog ? json_array_size(mlog) : 0;
  if (n && !(md->metadata_log = calloc(n, sizeof(*md->metadata_log)))) return prestige_error_set(j->err, PRESTIGE_ENOMEM, "out of memory");
  for (size_t i = 0; i < n; i++) {
    const json_t *e = json_array_get(mlog, i);
    char ctx[48];
    const char *file;
    snprintf(ctx, sizeof ctx, "metadata-log[%zu]", i);
    PRESTIGE_TRY(ju_i64(j, e, "timestamp-ms", ctx, &md->metadata_log[i].timestamp_ms));
    PRESTIGE_TRY(ju_str(j, e, "metadata-file", ctx, &file));
    if (!(md->metadata_log[i].file = strdup(file))) return prestige_error_set(j->err, PRESTIGE_ENOMEM, "out of memory");
    md->n_metadata_log++;
  }
  return 0;
}

int ice_metadata_from_json(const json_t *o, const char *what, ice_table_metadata_t **out, prestige_error_t *err) {
  ju_t j = {what ? what : "table metadata", PRESTIGE_ECORRUPT, err};
  ice_table_metadata_t *md = calloc(1, sizeof(*md));
  if (!md) return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
  int rc = md_parse(&j, o, md);
  if (!rc) rc = ice_metadata_validate(md, j.what, err);
  if (rc) {
    ice_metadata_free(md);
    return rc;
  }
  *out = md;
  return 0;
}

int ice_metadata_read_text(const char *text, size_t len, const char *what, ice_table_metadata_t **out,
                           prestige_error_t *err) {
  json_error_t je;
  bool oom;
  json_t *o = json_loadb_checked(text, len, JSON_REJECT_DUPLICATES, &je, &oom);
  if (!o && oom)
    return prestige_error_set(err, PRESTIGE_ENOMEM, "%s: out of memory parsing the JSON", what ? what : "table metadata");
  if (!o)
    return prestige_error_set(err, PRESTIGE_ECORRUPT, "%s: not valid JSON at line %d column %d: %s", what ? what : "table metadata",
                              je.line, je.column, je.text);
  int rc = ice_metadata_from_json(o, what, out, err);
  json_decref(o);
  return rc;
}

/* ---- writing ------------------------------------------------------------------------------------------ */
int ice_metadata_to_json(const ice_table_metadata_t *md, json_t **out, prestige_error_t *err) {
  if (md->format_version < 2)
    return prestige_error_set(err, PRESTIGE_EUNSUPPORTED,
                              "prestige reads format v1 metadata but does not write it; upgrade the table to v2 first");
  json_t *o = json_object(), *a;
  if (!o) goto oom;
  /* Java TableMetadataParser.toJson field order */
  if (ju_set(o, "format-version", json_integer(md->format_version)) || ju_set(o, "table-uuid", json_string(md->table_uuid)) ||
      ju_set(o, "location", json_string(md->location)) ||
      ju_set(o, "last-sequence-number", json_integer(md->last_sequence_number)) ||
      ju_set(o, "last-updated-ms", json_integer(md->last_updated_ms)) ||
      ju_set(o, "last-column-id", json_integer(md->last_column_id)) ||
      ju_set(o, "current-schema-id", json_integer(md->current_schema_id)) || ju_set(o, "schemas", a = json_array()))
    goto oom;
  for (size_t i = 0; i < md->n_schemas; i++)
    if (ju_append(a, ice_schema_to_json(md->schemas[i]))) goto oom;
  if (ju_set(o, "default-spec-id", json_integer(md->default_spec_id)) || ju_set(o, "partition-specs", a = json_array())) goto oom;
  for (size_t i = 0; i < md->n_specs; i++)
    if (ju_append(a, ice_partition_spec_to_json(md->specs[i]))) goto oom;
  if (ju_set(o, "last-partition-id", json_integer(md->last_partition_id)) ||
      ju_set(o, "default-sort-order-id", json_integer(md->default_sort_order_id)) || ju_set(o, "sort-orders", a = json_array()))
    goto oom;
  for (size_t i = 0; i < md->n_sort_orders; i++)
    if (ju_append(a, ice_sort_order_to_json(md->sort_orders[i]))) goto oom;
  json_t *props = json_object();
  if (ju_set(o, "properties", props)) goto oom;
  for (size_t i = 0; i < md->properties.n; i++)
    if (ju_set(props, md->properties.items[i].key, json_string(md->properties.items[i].value))) goto oom;
  /* Java writes -1 for "no current snapshot" before v3 and null from v3 on */
  json_t *cur = md->current_snapshot_id != ICE_NO_SNAPSHOT ? json_integer(md->current_snapshot_id)
                : md->format_version >= 3                  ? json_null()
                                                           : json_integer(-1);
  if (ju_set(o, "current-snapshot-id", cur)) goto oom;
  if (md->format_version >= 3 && ju_set(o, "next-row-id", json_integer(md->next_row_id))) goto oom;
  if (md->encryption_keys && json_array_size(md->encryption_keys) &&
      ju_set(o, "encryption-keys", json_deep_copy(md->encryption_keys)))
    goto oom;
  json_t *refs = json_object();
  if (ju_set(o, "refs", refs)) goto oom;
  for (size_t i = 0; i < md->n_refs; i++)
    if (ju_set(refs, md->refs[i].name, ice_ref_to_json(&md->refs[i]))) goto oom;
  if (ju_set(o, "snapshots", a = json_array())) goto oom;
  for (size_t i = 0; i < md->n_snapshots; i++)
    if (ju_append(a, ice_snapshot_to_json(md->snapshots[i]))) goto oom;
  if (ju_set(o, "statistics", a = json_array())) goto oom;
  for (size_t i = 0; i < md->n_statistics; i++)
    if (ju_append(a, json_deep_copy(md->statistics[i].json))) goto oom;
  if (ju_set(o, "partition-statistics", a = json_array())) goto oom;
  for (size_t i = 0; i < md->n_partition_statistics; i++)
    if (ju_append(a, json_deep_copy(md->partition_statistics[i].json))) goto oom;
  if (ju_set(o, "snapshot-log", a = json_array())) goto oom;
  for (size_t i = 0; i < md->n_snapshot_log; i++) {
    json_t *e = json_object();
    if (ju_append(a, e) || ju_set(e, "timestamp-ms", json_integer(md->snapshot_log[i].timestamp_ms)) ||
        ju_set(e, "snapshot-id", json_integer(md->snapshot_log[i].snapshot_id)))
      goto oom;
  }
  if (ju_set(o, "metadata-log", a = json_array())) goto oom;
  for (size_t i = 0; i < md->n_metadata_log; i++) {
    json_t *e = json_object();
    if (ju_append(a, e) || ju_set(e, "timestamp-ms", json_integer(md->metadata_log[i].timestamp_ms)) ||
        ju_set(e, "metadata-file", json_string(md->metadata_log[i].file)))
      goto oom;
  }
  *out = o;
  return 0;
oom:
  json_decref(o);
  return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory writing table metadata");
}

char *ice_metadata_write_text(const ice_table_metadata_t *md, prestige_error_t *err) {
  json_t *o;
  if (ice_metadata_to_json(md, &o, err)) return NULL;
  char *s = json_dumps_checked(o, JSON_INDENT(2));
  json_decref(o);
  if (!s) prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory writing table metadata");
  return s;
}
