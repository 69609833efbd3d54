/* The REST catalog's commit model: table requirements and metadata updates (JSON forms from
 * rest-catalog-open-api.yaml), checked and applied with Java's TableMetadata.Builder semantics. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "iceberg/json_util.h"
#include "iceberg/metadata.h"

static const char *const update_names[] = {
    "assign-uuid",      "upgrade-format-version", "add-schema",         "set-current-schema",       "add-spec",
    "set-default-spec", "add-sort-order",         "set-default-sort-order", "add-snapshot",         "set-snapshot-ref",
    "remove-snapshots", "remove-snapshot-ref",    "set-location",       "set-properties",           "remove-properties",
    "set-statistics",   "remove-statistics",      "set-partition-statistics", "remove-partition-statistics"};
static const char *const req_names[] = {"assert-create",           "assert-table-uuid",
                                        "assert-ref-snapshot-id",  "assert-last-assigned-field-id",
                                        "assert-current-schema-id", "assert-last-assigned-partition-id",
                                        "assert-default-spec-id",  "assert-default-sort-order-id"};
static const char *const req_keys[] = {NULL, "uuid", "snapshot-id", "last-assigned-field-id", "current-schema-id",
                                       "last-assigned-partition-id", "default-spec-id", "default-sort-order-id"};

/* ---- release ------------------------------------------------------------------------------------ */
void ice_update_release(ice_update_t *u) {
  free(u->uuid);
  ice_schema_free(u->schema);
  ice_partition_spec_free(u->spec);
  ice_sort_order_free(u->sort_order);
  ice_snapshot_free(u->snapshot);
  ice_ref_release(&u->ref);
  free(u->snapshot_ids);
  free(u->location);
  ice_strmap_release(&u->properties);
  for (size_t i = 0; i < u->n_removals; i++) free(u->removals[i]);
  free(u->removals);
  if (u->statistics) json_decref(u->statistics);
  memset(u, 0, sizeof(*u));
}

void ice_updates_free(ice_update_t *u, size_t n) {
  for (size_t i = 0; u && i < n; i++) ice_update_release(&u[i]);
  free(u);
}

void ice_requirement_release(ice_requirement_t *r) {
  free(r->uuid);
  free(r->ref);
  memset(r, 0, sizeof(*r));
}

void ice_requirements_free(ice_requirement_t *r, size_t n) {
  for (size_t i = 0; r && i < n; i++) ice_requirement_release(&r[i]);
  free(r);
}

/* ---- update JSON ----------------------------------------------------------------------------------- */
/* Parsers of nested objects report ECORRUPT; in a request that is a bad request (EINVAL). */
static int as_request(int rc, prestige_error_t *err) {
  if (rc == PRESTIGE_ECORRUPT) {
    if (err) err->code = PRESTIGE_EINVAL;
    return PRESTIGE_EINVAL;
  }
  return rc;
}

static int parse_update(const json_t *o, ice_update_t *u, prestige_error_t *err) {
  memset(u, 0, sizeof(*u));
  ju_t j = {"update", PRESTIGE_EINVAL, err};
  if (!json_is_object(o)) return ju_fail(&j, NULL, "an update must be an object");
  const char *action;
  PRESTIGE_TRY(ju_str(&j, o, "action", NULL, &action));
  int k = -1;
  for (size_t i = 0; i < sizeof(update_names) / sizeof(update_names[0]); i++)
    if (!strcmp(action, update_names[i])) k = (int)i;
  if (k < 0) return ju_fail(&j, NULL, "unknown or unsupported action \"%s\"", action);
  u->kind = (ice_update_kind_t)k;
  char what[64];
  snprintf(what, sizeof what, "update %s", action);
  j.what = what;
  const char *s;
  const json_t *x;
  switch (u->kind) {
    case ICE_UP_ASSIGN_UUID:
      PRESTIGE_TRY(ju_str(&j, o, "uuid", NULL, &s));
      if (!(u->uuid = strdup(s))) goto oom;
      return 0;
    case ICE_UP_UPGRADE_FORMAT_VERSION: {
      int32_t v;
      PRESTIGE_TRY(ju_i32(&j, o, "format-version", NULL, &v));
      u->format_version = v;
      return 0;
    }
    case ICE_UP_ADD_SCHEMA:
      if (!(x = json_object_get(o, "schema"))) return ju_fail(&j, NULL, "required field \"schema\" is missing");
      PRESTIGE_TRY(as_request(ice_schema_from_json(x, what, &u->schema, err), err));
      return ju_opt_i32(&j, o, "last-column-id", NULL, &u->has_last_column_id, &u->last_column_id);
    case ICE_UP_SET_CURRENT_SCHEMA: return ju_i32(&j, o, "schema-id", NULL, &u->id);
    case ICE_UP_SET_DEFAULT_SPEC: return ju_i32(&j, o, "spec-id", NULL, &u->id);
    case ICE_UP_SET_DEFAULT_SORT_ORDER: return ju_i32(&j, o, "sort-order-id", NULL, &u->id);
    case ICE_UP_ADD_SPEC:
      if (!(x = json_object_get(o, "spec"))) return ju_fail(&j, NULL, "required field \"spec\" is missing");
      if (json_is_object(x) && !json_object_get(x, "spec-id")) { /* the REST spec lets clients omit spec-id */
        json_t *c = json_deep_copy(x);
        if (!c || json_object_set_new(c, "spec-id", json_integer(0))) {
          json_decref(c);
          goto oom;
        }
        int rc = ice_partition_spec_from_json(c, what, &u->spec, err);
        json_decref(c);
        return as_request(rc, err);
      }
      return as_request(ice_partition_spec_from_json(x, what, &u->spec, err), err);
    case ICE_UP_ADD_SORT_ORDER:
      if (!(x = json_object_get(o, "sort-order"))) return ju_fail(&j, NULL, "required field \"sort-order\" is missing");
      return as_request(ice_sort_order_from_json(x, what, &u->sort_order, err), err);
    case ICE_UP_ADD_SNAPSHOT:
      if (!(x = json_object_get(o, "snapshot"))) return ju_fail(&j, NULL, "required field \"snapshot\" is missing");
      return as_request(ice_snapshot_from_json(x, what, &u->snapshot, err), err);
    case ICE_UP_SET_SNAPSHOT_REF:
      PRESTIGE_TRY(ju_str(&j, o, "ref-name", NULL, &s));
      return as_request(ice_ref_from_json(o, s, what, &u->ref, err), err);
    case ICE_UP_REMOVE_SNAPSHOT_REF:
      PRESTIGE_TRY(ju_str(&j, o, "ref-name", NULL, &s));
      if (!(u->ref.name = strdup(s))) goto oom;
      return 0;
    case ICE_UP_REMOVE_SNAPSHOTS: {
      PRESTIGE_TRY(ju_opt_array(&j, o, "snapshot-ids", NULL, &x));
      if (!x) return ju_fail(&j, NULL, "required field \"snapshot-ids\" is missing");
      size_t n = json_array_size(x);
      if (n && !(u->snapshot_ids = malloc(n * sizeof(int64_t)))) goto oom;
      for (size_t i = 0; i < n; i++) {
        if (!json_is_integer(json_array_get(x, i))) return ju_fail(&j, NULL, "\"snapshot-ids\" must hold integers");
        u->snapshot_ids[u->n_snapshot_ids++] = json_integer_value(json_array_get(x, i));
      }
      return 0;
    }
    case ICE_UP_SET_LOCATION:
      PRESTIGE_TRY(ju_str(&j, o, "location", NULL, &s));
      if (!(u->location = strdup(s))) goto oom;
      return 0;
    case ICE_UP_SET_PROPERTIES: {
      PRESTIGE_TRY(ju_opt_object(&j, o, "updates", NULL, &x));
      if (!x) return ju_fail(&j, NULL, "required field \"updates\" is missing");
      const char *key;
      json_t *v;
      json_object_foreach((json_t *)x, key, v) {
        if (!json_is_string(v)) return ju_fail(&j, NULL, "property \"%s\" must be a string", key);
        if (ice_strmap_set(&u->properties, key, json_string_value(v))) goto oom;
      }
      return 0;
    }
    case ICE_UP_REMOVE_PROPERTIES: {
      PRESTIGE_TRY(ju_opt_array(&j, o, "removals", NULL, &x));
      if (!x) return ju_fail(&j, NULL, "required field \"removals\" is missing");
      size_t n = json_array_size(x);
      if (n && !(u->removals = calloc(n, sizeof(char *)))) goto oom;
      for (size_t i = 0; i < n; i++) {
        const char *r = json_string_value(json_array_get(x, i));
        if (!r) return ju_fail(&j, NULL, "\"removals\" must hold strings");
        if (!(u->removals[i] = strdup(r))) goto oom;
        u->n_removals++;
      }
      return 0;
    }
    case ICE_UP_SET_STATISTICS:
    case ICE_UP_SET_PARTITION_STATISTICS: {
      bool part = u->kind == ICE_UP_SET_PARTITION_STATISTICS;
      const char *key = part ? "partition-statistics" : "statistics";
      PRESTIGE_TRY(ju_opt_object(&j, o, key, NULL, &x));
      if (!x) return ju_fail(&j, NULL, "required field \"%s\" is missing", key);
      const char *path;
      int64_t n;
      PRESTIGE_TRY(ju_i64(&j, x, "snapshot-id", key, &u->snapshot_id));
      PRESTIGE_TRY(ju_str(&j, x, "statistics-path", key, &path));
      PRESTIGE_TRY(ju_i64(&j, x, "file-size-in-bytes", key, &n));
      if (!part) {
        PRESTIGE_TRY(ju_i64(&j, x, "file-footer-size-in-bytes", key, &n));
        if (!json_is_array(json_object_get(x, "blob-metadata"))) return ju_fail(&j, key, "\"blob-metadata\" must be an array");
      }
      if (!(u->statistics = json_deep_copy(x))) goto oom;
      return 0;
    }
    case ICE_UP_REMOVE_STATISTICS:
    case ICE_UP_REMOVE_PARTITION_STATISTICS: return ju_i64(&j, o, "snapshot-id", NULL, &u->snapshot_id);
  }
  return 0;
oom:
  return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
}

int ice_update_from_json(const json_t *o, ice_update_t *out, prestige_error_t *err) {
  int rc = parse_update(o, out, err);
  if (rc) ice_update_release(out);
  return rc;
}

json_t *ice_update_to_json(const ice_update_t *u) {
  json_t *o = json_object(), *a;
  if (!o || ju_set(o, "action", json_string(update_names[u->kind]))) goto fail;
  switch (u->kind) {
    case ICE_UP_ASSIGN_UUID: if (ju_set(o, "uuid", json_string(u->uuid))) goto fail; break;
    case ICE_UP_UPGRADE_FORMAT_VERSION: if (ju_set(o, "format-version", json_integer(u->format_version))) goto fail; break;
    case ICE_UP_ADD_SCHEMA:
      if (ju_set(o, "schema", ice_schema_to_json(u->schema)) ||
          (u->has_last_column_id && ju_set(o, "last-column-id", json_integer(u->last_column_id))))
        goto fail;
      break;
    case ICE_UP_SET_CURRENT_SCHEMA: if (ju_set(o, "schema-id", json_integer(u->id))) goto fail; break;
    case ICE_UP_SET_DEFAULT_SPEC: if (ju_set(o, "spec-id", json_integer(u->id))) goto fail; break;
    case ICE_UP_SET_DEFAULT_SORT_ORDER: if (ju_set(o, "sort-order-id", json_integer(u->id))) goto fail; break;
    case ICE_UP_ADD_SPEC: if (ju_set(o, "spec", ice_partition_spec_to_json(u->spec))) goto fail; break;
    case ICE_UP_ADD_SORT_ORDER: if (ju_set(o, "sort-order", ice_sort_order_to_json(u->sort_order))) goto fail; break;
    case ICE_UP_ADD_SNAPSHOT: if (ju_set(o, "snapshot", ice_snapshot_to_json(u->snapshot))) goto fail; break;
    case ICE_UP_SET_SNAPSHOT_REF: {
      json_t *r = ice_ref_to_json(&u->ref);
      if (!r || ju_set(o, "ref-name", json_string(u->ref.name)) || json_object_update(o, r)) {
        json_decref(r);
        goto fail;
      }
      json_decref(r);
      break;
    }
    case ICE_UP_REMOVE_SNAPSHOT_REF: if (ju_set(o, "ref-name", json_string(u->ref.name))) goto fail; break;
    case ICE_UP_REMOVE_SNAPSHOTS:
      if (ju_set(o, "snapshot-ids", a = json_array())) goto fail;
      for (size_t i = 0; i < u->n_snapshot_ids; i++)
        if (ju_append(a, json_integer(u->snapshot_ids[i]))) goto fail;
      break;
    case ICE_UP_SET_LOCATION: if (ju_set(o, "location", json_string(u->location))) goto fail; break;
    case ICE_UP_SET_PROPERTIES:
      if (ju_set(o, "updates", a = json_object())) goto fail;
      for (size_t i = 0; i < u->properties.n; i++)
        if (ju_set(a, u->properties.items[i].key, json_string(u->properties.items[i].value))) goto fail;
      break;
    case ICE_UP_REMOVE_PROPERTIES:
      if (ju_set(o, "removals", a = json_array())) goto fail;
      for (size_t i = 0; i < u->n_removals; i++)
        if (ju_append(a, json_string(u->removals[i]))) goto fail;
      break;
    case ICE_UP_SET_STATISTICS: if (ju_set(o, "statistics", json_deep_copy(u->statistics))) goto fail; break;
    case ICE_UP_SET_PARTITION_STATISTICS:
      if (ju_set(o, "partition-statistics", json_deep_copy(u->statistics))) goto fail;
      break;
    case ICE_UP_REMOVE_STATISTICS:
    case ICE_UP_REMOVE_PARTITION_STATISTICS: if (ju_set(o, "snapshot-id", json_integer(u->snapshot_id))) goto fail; break;
  }
  return o;
fail:
  json_decref(o);
  return NULL;
}

int ice_updates_from_json(const json_t *a, ice_update_t **out, size_t *n, prestige_error_t *err) {
  *out = NULL;
  *n = 0;
  if (!json_is_array(a)) return prestige_error_set(err, PRESTIGE_EINVAL, "updates must be a JSON array");
  size_t m = json_array_size(a);
  ice_update_t *u = calloc(m ? m : 1, sizeof(*u));
  if (!u) return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
  for (size_t i = 0; i < m; i++) {
    int rc = ice_update_from_json(json_array_get(a, i), &u[i], err);
    if (rc) {
      ice_updates_free(u, i);
      return prestige_error_prefix(err, "updates[%zu]", i), rc;
    }
  }
  *out = u;
  *n = m;
  return 0;
}

/* ---- requirement JSON ------------------------------------------------------------------------------- */
int ice_requirement_from_json(const json_t *o, ice_requirement_t *r, prestige_error_t *err) {
  memset(r, 0, sizeof(*r));
  ju_t j = {"requirement", PRESTIGE_EINVAL, err};
  if (!json_is_object(o)) return ju_fail(&j, NULL, "a requirement must be an object");
  const char *type, *s;
  PRESTIGE_TRY(ju_str(&j, o, "type", NULL, &type));
  int k = -1;
  for (size_t i = 0; i < sizeof(req_names) / sizeof(req_names[0]); i++)
    if (!strcmp(type, req_names[i])) k = (int)i;
  if (k < 0) return ju_fail(&j, NULL, "unknown requirement type \"%s\"", type);
  r->kind = (ice_requirement_kind_t)k;
  j.what = req_names[k];
  switch (r->kind) {
    case ICE_REQ_ASSERT_CREATE: return 0;
    case ICE_REQ_ASSERT_TABLE_UUID:
      PRESTIGE_TRY(ju_str(&j, o, "uuid", NULL, &s));
      if (!(r->uuid = strdup(s))) return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
      return 0;
    case ICE_REQ_ASSERT_REF_SNAPSHOT_ID:
      PRESTIGE_TRY(ju_str(&j, o, "ref", NULL, &s));
      if (!json_object_get(o, "snapshot-id")) return ju_fail(&j, NULL, "required field \"snapshot-id\" is missing (null when the ref must not exist)");
      PRESTIGE_TRY(ju_opt_i64(&j, o, "snapshot-id", NULL, &r->has_snapshot_id, &r->snapshot_id));
      if (!(r->ref = strdup(s))) return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
      return 0;
    default: {
      int32_t v;
      PRESTIGE_TRY(ju_i32(&j, o, req_keys[k], NULL, &v));
      r->value = v;
      return 0;
    }
  }
}

json_t *ice_requirement_to_json(const ice_requirement_t *r) {
  json_t *o = json_object();
  if (!o || ju_set(o, "type", json_string(req_names[r->kind]))) goto fail;
  switch (r->kind) {
    case ICE_REQ_ASSERT_CREATE: break;
    case ICE_REQ_ASSERT_TABLE_UUID: if (ju_set(o, "uuid", json_string(r->uuid))) goto fail; break;
    case ICE_REQ_ASSERT_REF_SNAPSHOT_ID:
      if (ju_set(o, "ref", json_string(r->ref)) ||
          ju_set(o, "snapshot-id", r->has_snapshot_id ? json_integer(r->snapshot_id) : json_null()))
        goto fail;
      break;
    default: if (ju_set(o, req_keys[r->kind], json_integer(r->value))) goto fail;
  }
  return o;
fail:
  json_decref(o);
  return NULL;
}

int ice_requirements_from_json(const json_t *a, ice_requirement_t **out, size_t *n, prestige_error_t *err) {
  *out = NULL;
  *n = 0;
  if (!json_is_array(a)) return prestige_error_set(err, PRESTIGE_EINVAL, "requirements must be a JSON array");
  size_t m = json_array_size(a);
  ice_requirement_t *r = calloc(m ? m : 1, sizeof(*r));
  if (!r) return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
  for (size_t i = 0; i < m; i++) {
    int rc = ice_requirement_from_json(json_array_get(a, i), &r[i], err);
    if (rc) {
      ice_requirements_free(r, i + 1);
      return prestige_error_prefix(err, "requirements[%zu]", i), rc;
    }
  }
  *out = r;
  *n = m;
  return 0;
}

/* ---- requirement checks (Java UpdateRequirement.validate) ---------------------------------------- */
int ice_requirements_check(const ice_table_metadata_t *md, const ice_requirement_t *reqs, size_t n, prestige_error_t *err) {
  const int C = PRESTIGE_ECONFLICT;
  for (size_t i = 0; i < n; i++) {
    const ice_requirement_t *r = &reqs[i];
    if (r->kind == ICE_REQ_ASSERT_CREATE) {
      if (md) return prestige_error_set(err, C, "requirement failed: assert-create: the table already exists");
      continue;
    }
    if (!md) {
      if (r->kind == ICE_REQ_ASSERT_LAST_ASSIGNED_FIELD_ID || r->kind == ICE_REQ_ASSERT_LAST_ASSIGNED_PARTITION_ID) continue;
      return prestige_error_set(err, C, "requirement failed: %s: the table does not exist", req_names[r->kind]);
    }
    int64_t have = 0;
    switch (r->kind) {
      case ICE_REQ_ASSERT_TABLE_UUID:
        if (!md->table_uuid || strcasecmp(r->uuid, md->table_uuid))
          return prestige_error_set(err, C, "requirement failed: assert-table-uuid: table uuid is %s, expected %s",
                                    md->table_uuid ? md->table_uuid : "(none)", r->uuid);
        continue;
      case ICE_REQ_ASSERT_REF_SNAPSHOT_ID: {
        const ice_snapshot_ref_t *ref = ice_metadata_ref(md, r->ref);
        const char *type = ref && ref->type == ICE_REF_TAG ? "tag" : "branch";
        if (ref && !r->has_snapshot_id)
          return prestige_error_set(err, C, "requirement failed: assert-ref-snapshot-id: %s %s was created concurrently (at snapshot %lld)",
                                    type, r->ref, (long long)ref->snapshot_id);
        if (ref && ref->snapshot_id != r->snapshot_id)
          return prestige_error_set(err, C, "requirement failed: assert-ref-snapshot-id: %s %s has changed: expected snapshot %lld, found %lld",
                                    type, r->ref, (long long)r->snapshot_id, (long long)ref->snapshot_id);
        if (!ref && r->has_snapshot_id)
          return prestige_error_set(err, C, "requirement failed: assert-ref-snapshot-id: branch or tag %s is missing, expected snapshot %lld",
                                    r->ref, (long long)r->snapshot_id);
        continue;
      }
      case ICE_REQ_ASSERT_LAST_ASSIGNED_FIELD_ID: have = md->last_column_id; break;
      case ICE_REQ_ASSERT_CURRENT_SCHEMA_ID: have = md->current_schema_id; break;
      case ICE_REQ_ASSERT_LAST_ASSIGNED_PARTITION_ID: have = md->last_partition_id; break;
      case ICE_REQ_ASSERT_DEFAULT_SPEC_ID: have = md->default_spec_id; break;
      case ICE_REQ_ASSERT_DEFAULT_SORT_ORDER_ID: have = md->default_sort_order_id; break;
      default: break;
    }
    if (have != r->value)
      return prestige_error_set(err, C, "requirement failed: %s: expected %lld, found %lld", req_names[r->kind],
                                (long long)r->value, (long long)have);
  }
  return 0;
}

/* ---- applying updates ------------------------------------------------------------------------------ */
typedef struct ids {
  int64_t *v;
  size_t n;
} ids_t;

static bool ids_has(const ids_t *s, int64_t x) {
  for (size_t i = 0; i < s->n; i++)
    if (s->v[i] == x) return true;
  return false;
}
static int ids_add(ids_t *s, int64_t x) {
  int64_t *v = realloc(s->v, (s->n + 1) * sizeof(int64_t));
  if (!v) return PRESTIGE_ENOMEM;
  v[s->n++] = x;
  s->v = v;
  return 0;
}

typedef struct builder {
  ice_table_metadata_t *md;
  int64_t now_ms;
  bool has_last_schema, has_last_spec, has_last_order;
  int32_t last_schema, last_spec, last_order;
  ids_t added_schemas, added_specs, added_orders, added_snapshots;
  bool removed_snapshots;
  size_t log_start; /* snapshot-log entries from this commit start here */
  prestige_error_t *err;
} builder_t;

static int bad(builder_t *b, const char *update, const char *fmt, const char *detail) {
  return prestige_error_set(b->err, PRESTIGE_EINVAL, "update %s: %s%s", update, fmt, detail ? detail : "");
}

#define OOM() prestige_error_set(b->err, PRESTIGE_ENOMEM, "out of memory applying updates")

static int push(void ***arr, size_t *n, void *p) {
  void **a = realloc(*arr, (*n + 1) * sizeof(void *));
  if (!a) return PRESTIGE_ENOMEM;
  a[(*n)++] = p;
  *arr = a;
  return 0;
}

static int add_schema(builder_t *b, const ice_update_t *u) {
  ice_table_metadata_t *md = b->md;
  int32_t new_last = md->last_column_id;
  int32_t hi = ice_schema_highest_field_id(u->schema);
  if (hi > new_last) new_last = hi;
  if (u->has_last_column_id && u->last_column_id > new_last) new_last = u->last_column_id;
  int rc = ice_schema_check_version(u->schema, md->format_version, b->err);
  if (rc) return prestige_error_prefix(b->err, "update add-schema"), PRESTIGE_EINVAL;
  int32_t id = md->n_schemas ? md->current_schema_id : 0;
  for (size_t i = 0; i < md->n_schemas; i++) {
    if (ice_schema_same(md->schemas[i], u->schema)) {
      md->last_column_id = new_last;
      b->has_last_schema = ids_has(&b->added_schemas, md->schemas[i]->schema_id);
      b->last_schema = md->schemas[i]->schema_id;
      return 0;
    }
    if (md->schemas[i]->schema_id >= id) id = md->schemas[i]->schema_id + 1;
  }
  ice_schema_t *s;
  PRESTIGE_TRY(ice_schema_copy(u->schema, &s, b->err));
  s->schema_id = id;
  if (push((void ***)&md->schemas, &md->n_schemas, s)) {
    ice_schema_free(s);
    return OOM();
  }
  md->last_column_id = new_last;
  b->has_last_schema = true;
  b->last_schema = id;
  return ids_add(&b->added_schemas, id) ? OOM() : 0;
}

static int set_current_schema(builder_t *b, int32_t id) {
  if (id == -1) {
    if (!b->has_last_schema) return bad(b, "set-current-schema", "-1 names the last added schema, but none was added", NULL);
    id = b->last_schema;
  }
  if (!ice_metadata_schema(b->md, id))
    return prestige_error_set(b->err, PRESTIGE_EINVAL, "update set-current-schema: schema %d does not exist", id);
  b->md->current_schema_id = id;
  return 0;
}

static int add_spec(builder_t *b, const ice_update_t *u) {
  ice_table_metadata_t *md = b->md;
  int32_t id = 0;
  for (size_t i = 0; i < md->n_specs; i++) {
    if (ice_partition_spec_compatible(md->specs[i], u->spec)) {
      b->has_last_spec = ids_has(&b->added_specs, md->specs[i]->spec_id);
      b->last_spec = md->specs[i]->spec_id;
      return 0;
    }
    if (md->specs[i]->spec_id >= id) id = md->specs[i]->spec_id + 1;
  }
  const ice_schema_t *cur = ice_metadata_current_schema(md);
  if (!cur) return bad(b, "add-spec", "the table has no schema yet", NULL);
  int rc = ice_partition_spec_bind(u->spec, cur, b->err);
  if (rc) return prestige_error_prefix(b->err, "update add-spec"), rc;
  ice_partition_spec_t *s;
  PRESTIGE_TRY(ice_partition_spec_copy(u->spec, &s, b->err));
  s->spec_id = id;
  if (push((void ***)&md->specs, &md->n_specs, s)) {
    ice_partition_spec_free(s);
    return OOM();
  }
  int32_t last = ice_partition_spec_last_field_id(s);
  if (last > md->last_partition_id) md->last_partition_id = last;
  b->has_last_spec = true;
  b->last_spec = id;
  return ids_add(&b->added_specs, id) ? OOM() : 0;
}

static int set_default_spec(builder_t *b, int32_t id) {
  if (id == -1) {
    if (!b->has_last_spec) return bad(b, "set-default-spec", "-1 names the last added spec, but none was added", NULL);
    id = b->last_spec;
  }
  if (!ice_metadata_spec(b->md, id))
    return prestige_error_set(b->err, PRESTIGE_EINVAL, "update set-default-spec: partition spec %d does not exist", id);
  b->md->default_spec_id = id;
  return 0;
}

static int add_sort_order(builder_t *b, const ice_update_t *u) {
  ice_table_metadata_t *md = b->md;
  bool unsorted = u->sort_order->n_fields == 0;
  int32_t id = unsorted ? 0 : 1;
  for (size_t i = 0; i < md->n_sort_orders; i++) {
    if (ice_sort_order_same(md->sort_orders[i], u->sort_order)) {
      b->has_last_order = ids_has(&b->added_orders, md->sort_orders[i]->order_id);
      b->last_order = md->sort_orders[i]->order_id;
      return 0;
    }
    if (!unsorted && md->sort_orders[i]->order_id >= id) id = md->sort_orders[i]->order_id + 1;
  }
  const ice_schema_t *cur = ice_metadata_current_schema(md);
  if (!cur) return bad(b, "add-sort-order", "the table has no schema yet", NULL);
  ice_sort_order_t *o;
  PRESTIGE_TRY(ice_sort_order_copy(u->sort_order, &o, b->err));
  o->order_id = id;
  int rc = ice_sort_order_bind(o, cur, b->err);
  if (rc || push((void ***)&md->sort_orders, &md->n_sort_orders, o)) {
    ice_sort_order_free(o);
    return rc ? (prestige_error_prefix(b->err, "update add-sort-order"), rc) : OOM();
  }
  b->has_last_order = true;
  b->last_order = id;
  return ids_add(&b->added_orders, id) ? OOM() : 0;
}

static int set_default_sort_order(builder_t *b, int32_t id) {
  if (id == -1) {
    if (!b->has_last_order) return bad(b, "set-default-sort-order", "-1 names the last added sort order, but none was added", NULL);
    id = b->last_order;
  }
  if (!ice_metadata_sort_order(b->md, id))
    return prestige_error_set(b->err, PRESTIGE_EINVAL, "update set-default-sort-order: sort order %d does not exist", id);
  b->md->default_sort_order_id = id;
  return 0;
}

static int add_snapshot(builder_t *b, const ice_snapshot_t *s) {
  ice_table_metadata_t *md = b->md;
  char id[32];
  snprintf(id, sizeof id, "%lld", (long long)s->snapshot_id);
  if (!md->n_schemas || !md->n_specs || !md->n_sort_orders)
    return bad(b, "add-snapshot", "a snapshot needs a schema, a partition spec and a sort order first", NULL);
  if (ice_metadata_snapshot(md, s->snapshot_id)) return bad(b, "add-snapshot", "snapshot already exists: ", id);
  if (!s->manifest_list) return bad(b, "add-snapshot", "\"manifest-list\" is required: snapshot ", id);
  if (s->has_schema_id && !ice_metadata_schema(md, s->schema_id))
    return bad(b, "add-snapshot", "\"schema-id\" names no schema: snapshot ", id);
  if (s->sequence_number <= md->last_sequence_number && s->has_parent)
    return prestige_error_set(b->err, PRESTIGE_ECONFLICT,
                              "update add-snapshot: snapshot %s has sequence number %lld, not above the table's last %lld (retry)", id,
                              (long long)s->sequence_number, (long long)md->last_sequence_number);
  if (md->format_version >= 3) {
    if (!s->has_first_row_id || !s->has_added_rows)
      return bad(b, "add-snapshot", "format v3 needs \"first-row-id\" and \"added-rows\": snapshot ", id);
    if (s->first_row_id < md->next_row_id)
      return prestige_error_set(b->err, PRESTIGE_ECONFLICT,
                                "update add-snapshot: snapshot %s first-row-id %lld is behind the table's next-row-id %lld (retry)", id,
                                (long long)s->first_row_id, (long long)md->next_row_id);
  }
  ice_snapshot_t *c;
  PRESTIGE_TRY(ice_snapshot_copy(s, &c, b->err));
  if (push((void ***)&md->snapshots, &md->n_snapshots, c)) {
    ice_snapshot_free(c);
    return OOM();
  }
  md->last_sequence_number = s->sequence_number;
  if (md->format_version >= 3) md->next_row_id += s->added_rows;
  return ids_add(&b->added_snapshots, s->snapshot_id) ? OOM() : 0;
}

static int log_main(builder_t *b, const ice_snapshot_t *s) {
  ice_table_metadata_t *md = b->md;
  bool added = ids_has(&b->added_snapshots, s->snapshot_id);
  int64_t ts = added ? s->timestamp_ms : b->now_ms;
  /* Java drops intermediate snapshots added and made current within one commit from the log */
  if (md->n_snapshot_log > b->log_start && ids_has(&b->added_snapshots, md->snapshot_log[md->n_snapshot_log - 1].snapshot_id))
    md->n_snapshot_log--;
  ice_snapshot_log_entry_t *l = realloc(md->snapshot_log, (md->n_snapshot_log + 1) * sizeof(*l));
  if (!l) return OOM();
  md->snapshot_log = l;
  l[md->n_snapshot_log++] = (ice_snapshot_log_entry_t){ts, s->snapshot_id};
  return 0;
}

static int set_ref(builder_t *b, const ice_snapshot_ref_t *r) {
  ice_table_metadata_t *md = b->md;
  const ice_snapshot_t *s = ice_metadata_snapshot(md, r->snapshot_id);
  if (!s)
    return prestige_error_set(b->err, PRESTIGE_EINVAL, "update set-snapshot-ref: cannot set %s to unknown snapshot %lld", r->name,
                              (long long)r->snapshot_id);
  bool main = !strcmp(r->name, "main");
  if (main && r->type != ICE_REF_BRANCH) return bad(b, "set-snapshot-ref", "main must be a branch, not a tag", NULL);
  ice_snapshot_ref_t *existing = (ice_snapshot_ref_t *)ice_metadata_ref(md, r->name);
  if (existing && existing->snapshot_id == r->snapshot_id && existing->type == r->type &&
      existing->has_min_snapshots_to_keep == r->has_min_snapshots_to_keep &&
      existing->has_max_snapshot_age_ms == r->has_max_snapshot_age_ms && existing->has_max_ref_age_ms == r->has_max_ref_age_ms &&
      existing->min_snapshots_to_keep == r->min_snapshots_to_keep && existing->max_snapshot_age_ms == r->max_snapshot_age_ms &&
      existing->max_ref_age_ms == r->max_ref_age_ms)
    return 0; /* unchanged */
  if (main) {
    md->current_snapshot_id = r->snapshot_id;
    PRESTIGE_TRY(log_main(b, s));
  }
  ice_snapshot_ref_t c = *r;
  if (!(c.name = strdup(r->name))) return OOM();
  if (existing) {
    ice_ref_release(existing);
    *existing = c;
    return 0;
  }
  ice_snapshot_ref_t *refs = realloc(md->refs, (md->n_refs + 1) * sizeof(*refs));
  if (!refs) {
    free(c.name);
    return OOM();
  }
  md->refs = refs;
  refs[md->n_refs++] = c;
  return 0;
}

static void remove_ref(builder_t *b, const char *name) {
  ice_table_metadata_t *md = b->md;
  if (!strcmp(name, "main")) md->current_snapshot_id = ICE_NO_SNAPSHOT;
  for (size_t i = 0; i < md->n_refs; i++)
    if (!strcmp(md->refs[i].name, name)) {
      ice_ref_release(&md->refs[i]);
      memmove(&md->refs[i], &md->refs[i + 1], (md->n_refs - i - 1) * sizeof(*md->refs));
      md->n_refs--;
      return;
    }
}

static void remove_stats(ice_statistics_t *s, size_t *n, int64_t snapshot_id) {
  for (size_t i = 0; i < *n;) {
    if (s[i].snapshot_id == snapshot_id) {
      json_decref(s[i].json);
      memmove(&s[i], &s[i + 1], (*n - i - 1) * sizeof(*s));
      (*n)--;
    } else {
      i++;
    }
  }
}

static int set_stats(builder_t *b, ice_statistics_t **s, size_t *n, const ice_update_t *u) {
  remove_stats(*s, n, u->snapshot_id);
  ice_statistics_t *a = realloc(*s, (*n + 1) * sizeof(**s));
  if (!a) return OOM();
  *s = a;
  a[(*n)++] = (ice_statistics_t){u->snapshot_id, json_incref(u->statistics)};
  return 0;
}

static void remove_snapshots(builder_t *b, const int64_t *ids, size_t n) {
  ice_table_metadata_t *md = b->md;
  for (size_t k = 0; k < n; k++) {
    for (size_t i = 0; i < md->n_snapshots; i++)
      if (md->snapshots[i]->snapshot_id == ids[k]) {
        ice_snapshot_free(md->snapshots[i]);
        memmove(&md->snapshots[i], &md->snapshots[i + 1], (md->n_snapshots - i - 1) * sizeof(void *));
        md->n_snapshots--;
        b->removed_snapshots = true;
        break;
      }
    remove_stats(md->statistics, &md->n_statistics, ids[k]);
    remove_stats(md->partition_statistics, &md->n_partition_statistics, ids[k]);
  }
  /* refs left dangling go (Java rewriteSnapshotsInternal) */
  for (size_t i = 0; i < md->n_refs;) {
    if (!ice_metadata_snapshot(md, md->refs[i].snapshot_id)) {
      char name[256];
      snprintf(name, sizeof name, "%s", md->refs[i].name);
      remove_ref(b, name);
    } else {
      i++;
    }
  }
  /* snapshot log: drop everything up to the last entry whose snapshot is gone */
  size_t keep_from = 0;
  for (size_t i = 0; i < md->n_snapshot_log; i++)
    if (!ice_metadata_snapshot(md, md->snapshot_log[i].snapshot_id)) keep_from = i + 1;
  if (keep_from) {
    memmove(md->snapshot_log, md->snapshot_log + keep_from, (md->n_snapshot_log - keep_from) * sizeof(*md->snapshot_log));
    md->n_snapshot_log -= keep_from;
    b->log_start = b->log_start > keep_from ? b->log_start - keep_from : 0;
  }
}

static int apply_one(builder_t *b, const ice_update_t *u) {
  ice_table_metadata_t *md = b->md;
  switch (u->kind) {
    case ICE_UP_ASSIGN_UUID:
      if (md->table_uuid && strcasecmp(md->table_uuid, u->uuid))
        return prestige_error_set(b->err, PRESTIGE_EINVAL, "update assign-uuid: the table already has uuid %s", md->table_uuid);
      if (!md->table_uuid && !(md->table_uuid = strdup(u->uuid))) return OOM();
      return 0;
    case ICE_UP_UPGRADE_FORMAT_VERSION:
      if (u->format_version > ICE_FORMAT_VERSION_MAX || u->format_version < 1)
        return prestige_error_set(b->err, PRESTIGE_EINVAL, "update upgrade-format-version: format version %d is not supported (up to %d)",
                                  u->format_version, ICE_FORMAT_VERSION_MAX);
      if (u->format_version < md->format_version)
        return prestige_error_set(b->err, PRESTIGE_EINVAL, "update upgrade-format-version: cannot downgrade a v%d table to v%d",
                                  md->format_version, u->format_version);
      md->format_version = u->format_version; /* a table upgraded to v3 starts next-row-id at 0 */
      return 0;
    case ICE_UP_ADD_SCHEMA: return add_schema(b, u);
    case ICE_UP_SET_CURRENT_SCHEMA: return set_current_schema(b, u->id);
    case ICE_UP_ADD_SPEC: return add_spec(b, u);
    case ICE_UP_SET_DEFAULT_SPEC: return set_default_spec(b, u->id);
    case ICE_UP_ADD_SORT_ORDER: return add_sort_order(b, u);
    case ICE_UP_SET_DEFAULT_SORT_ORDER: return set_default_sort_order(b, u->id);
    case ICE_UP_ADD_SNAPSHOT: return add_snapshot(b, u->snapshot);
    case ICE_UP_SET_SNAPSHOT_REF: return set_ref(b, &u->ref);
    case ICE_UP_REMOVE_SNAPSHOTS: remove_snapshots(b, u->snapshot_ids, u->n_snapshot_ids); return 0;
    case ICE_UP_REMOVE_SNAPSHOT_REF: remove_ref(b, u->ref.name); return 0;
    case ICE_UP_SET_LOCATION: {
      size_t n = strlen(u->location);
      while (n > 1 && u->location[n - 1] == '/') n--;
      if (!n) return bad(b, "set-location", "the location is empty", NULL);
      char *l = strndup(u->location, n);
      if (!l) return OOM();
      free(md->location);
      md->location = l;
      return 0;
    }
    case ICE_UP_SET_PROPERTIES:
      for (size_t i = 0; i < u->properties.n; i++)
        if (ice_strmap_set(&md->properties, u->properties.items[i].key, u->properties.items[i].value)) return OOM();
      return 0;
    case ICE_UP_REMOVE_PROPERTIES:
      for (size_t i = 0; i < u->n_removals; i++) ice_strmap_remove(&md->properties, u->removals[i]);
      return 0;
    case ICE_UP_SET_STATISTICS: return set_stats(b, &md->statistics, &md->n_statistics, u);
    case ICE_UP_SET_PARTITION_STATISTICS: return set_stats(b, &md->partition_statistics, &md->n_partition_statistics, u);
    case ICE_UP_REMOVE_STATISTICS: remove_stats(md->statistics, &md->n_statistics, u->snapshot_id); return 0;
    case ICE_UP_REMOVE_PARTITION_STATISTICS:
      remove_stats(md->partition_statistics, &md->n_partition_statistics, u->snapshot_id);
      return 0;
  }
  return 0;
}

static int add_previous_file(builder_t *b, const ice_table_metadata_t *base, const char *location) {
  ice_table_metadata_t *md = b->md;
  long max = strtol(ice_metadata_property(md, "write.metadata.previous-versions-max", "100"), NULL, 10);
  if (max < 1) max = 1;
  char *f = strdup(location);
  ice_metadata_log_entry_t *l = realloc(md->metadata_log, (md->n_metadata_log + 1) * sizeof(*l));
  if (!f || !l) {
    free(f);
    if (l) md->metadata_log = l;
    return OOM();
  }
  md->metadata_log = l;
  l[md->n_metadata_log++] = (ice_metadata_log_entry_t){base->last_updated_ms, f};
  while (md->n_metadata_log > (size_t)max) {
    free(md->metadata_log[0].file);
    memmove(md->metadata_log, md->metadata_log + 1, (md->n_metadata_log - 1) * sizeof(*l));
    md->n_metadata_log--;
  }
  return 0;
}

int ice_metadata_apply(const ice_table_metadata_t *base, const char *metadata_location, const ice_update_t *updates,
                       size_t n, int64_t now_ms, ice_table_metadata_t **out, prestige_error_t *err) {
  builder_t b = {.now_ms = now_ms, .err = err};
  int rc = 0;
  if (base) {
    PRESTIGE_TRY(ice_metadata_copy(base, &b.md, err));
  } else {
    if (!(b.md = calloc(1, sizeof(*b.md)))) return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
    b.md->format_version = 2; /* Java's default; upgrade-format-version raises it */
    b.md->current_snapshot_id = ICE_NO_SNAPSHOT;
  }
  b.log_start = b.md->n_snapshot_log;
  for (size_t i = 0; i < n && !rc; i++) rc = apply_one(&b, &updates[i]);
  if (rc) goto done;
  ice_table_metadata_t *md = b.md;
  if (md->format_version < 2) {
    rc = prestige_error_set(err, PRESTIGE_EUNSUPPORTED,
                            "cannot commit to a format v1 table; prestige reads v1 tables but writes only v2 and v3 (add upgrade-format-version)");
    goto done;
  }
  if (!md->table_uuid) {
    char uuid[37];
    if ((rc = ice_uuid_v4(uuid, err))) goto done;
    if (!(md->table_uuid = strdup(uuid))) {
      rc = prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
      goto done;
    }
  }
  md->last_updated_ms = now_ms;
  if (base && metadata_location && (rc = add_previous_file(&b, base, metadata_location))) goto done;
  rc = ice_metadata_validate(md, "metadata after the updates", err);
  if (rc == PRESTIGE_ECORRUPT) rc = err ? (err->code = PRESTIGE_EINVAL) : PRESTIGE_EINVAL;
done:
  free(b.added_schemas.v);
  free(b.added_specs.v);
  free(b.added_orders.v);
  free(b.added_snapshots.v);
  if (rc) {
    ice_metadata_free(b.md);
    return rc;
  }
  *out = b.md;
  return 0;
}
