/* Iceberg table metadata: model helpers, lookups, validation, new tables, file names. */
#include "iceberg/metadata.h"

#include <fcntl.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* ---- string maps ------------------------------------------------------------------------------ */
const char *ice_strmap_get(const ice_strmap_t *m, const char *key) {
  for (size_t i = 0; i < m->n; i++)
    if (!strcmp(m->items[i].key, key)) return m->items[i].value;
  return NULL;
}

int ice_strmap_set(ice_strmap_t *m, const char *key, const char *value) {
  char *v = strdup(value);
  if (!v) return PRESTIGE_ENOMEM;
  for (size_t i = 0; i < m->n; i++)
    if (!strcmp(m->items[i].key, key)) {
      free(m->items[i].value);
      m->items[i].value = v;
      return 0;
    }
  if (m->n == m->cap) {
    size_t cap = m->cap ? m->cap * 2 : 8;
    ice_kv_t *items = realloc(m->items, cap * sizeof(*items));
    if (!items) {
      free(v);
      return PRESTIGE_ENOMEM;
    }
    m->items = items;
    m->cap = cap;
  }
  char *k = strdup(key);
  if (!k) {
    free(v);
    return PRESTIGE_ENOMEM;
  }
  m->items[m->n++] = (ice_kv_t){k, v};
  return 0;
}

bool ice_strmap_remove(ice_strmap_t *m, const char *key) {
  for (size_t i = 0; i < m->n; i++)
    if (!strcmp(m->items[i].key, key)) {
      free(m->items[i].key);
      free(m->items[i].value);
      memmove(&m->items[i], &m->items[i + 1], (m->n - i - 1) * sizeof(ice_kv_t));
      m->n--;
      return true;
    }
  return false;
}

void ice_strmap_release(ice_strmap_t *m) {
  for (size_t i = 0; i < m->n; i++) {
    free(m->items[i].key);
    free(m->items[i].value);
  }
  free(m->items);
  memset(m, 0, sizeof(*m));
}

int ice_strmap_copy(const ice_strmap_t *src, ice_strmap_t *dst) {
  memset(dst, 0, sizeof(*dst));
  for (size_t i = 0; i < src->n; i++)
    if (ice_strmap_set(dst, src->items[i].key, src->items[i].value)) {
      ice_strmap_release(dst);
      return PRESTIGE_ENOMEM;
    }
  return 0;
}

/* ---- freeing and copying ------------------------------------------------------------------------ */
void ice_snapshot_free(ice_snapshot_t *s) {
  if (!s) return;
  free(s->manifest_list);
  for (size_t i = 0; i < s->n_manifests; i++) free(s->manifests[i]);
  free(s->manifests);
  free(s->operation);
  ice_strmap_release(&s->summary);
  free(s->key_id);
  free(s);
}

static char *sdup(const char *s, bool *oom) {
  if (!s) return NULL;
  char *d = strdup(s);
  if (!d) *oom = true;
  return d;
}

int ice_snapshot_copy(const ice_snapshot_t *s, ice_snapshot_t **out, prestige_error_t *err) {
  ice_snapshot_t *c = calloc(1, sizeof(*c));
  if (!c) return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
  *c = *s;
  bool oom = false;
  c->manifest_list = sdup(s->manifest_list, &oom);
  c->operation = sdup(s->operation, &oom);
  c->key_id = sdup(s->key_id, &oom);
  c->manifests = NULL;
  c->n_manifests = 0;
  memset(&c->summary, 0, sizeof(c->summary));
  if (s->n_manifests) {
    if (!(c->manifests = calloc(s->n_manifests, sizeof(char *)))) oom = true;
    else {
      c->n_manifests = s->n_manifests;
      for (size_t i = 0; i < s->n_manifests; i++) c->manifests[i] = sdup(s->manifests[i], &oom);
    }
  }
  if (ice_strmap_copy(&s->summary, &c->summary)) oom = true;
  if (oom) {
    ice_snapshot_free(c);
    return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
  }
  *out = c;
  return 0;
}

void ice_ref_release(ice_snapshot_ref_t *r) {
  free(r->name);
  r->name = NULL;
}

static void stats_release(ice_statistics_t *s, size_t n) {
  for (size_t i = 0; i < n; i++) json_decref(s[i].json);
  free(s);
}

void ice_metadata_free(ice_table_metadata_t *md) {
  if (!md) return;
  free(md->table_uuid);
  free(md->location);
  for (size_t i = 0; i < md->n_schemas; i++) ice_schema_free(md->schemas[i]);
  free(md->schemas);
  for (size_t i = 0; i < md->n_specs; i++) ice_partition_spec_free(md->specs[i]);
  free(md->specs);
  for (size_t i = 0; i < md->n_sort_orders; i++) ice_sort_order_free(md->sort_orders[i]);
  free(md->sort_orders);
  ice_strmap_release(&md->properties);
  for (size_t i = 0; i < md->n_snapshots; i++) ice_snapshot_free(md->snapshots[i]);
  free(md->snapshots);
  for (size_t i = 0; i < md->n_refs; i++) ice_ref_release(&md->refs[i]);
  free(md->refs);
  free(md->snapshot_log);
  for (size_t i = 0; i < md->n_metadata_log; i++) free(md->metadata_log[i].file);
  free(md->metadata_log);
  stats_release(md->statistics, md->n_statistics);
  stats_release(md->partition_statistics, md->n_partition_statistics);
  if (md->encryption_keys) json_decref(md->encryption_keys);
  free(md);
}

static int copy_stats(const ice_statistics_t *s, size_t n, ice_statistics_t **out) {
  *out = NULL;
  if (!n) return 0;
  ice_statistics_t *c = calloc(n, sizeof(*c));
  if (!c) return PRESTIGE_ENOMEM;
  for (size_t i = 0; i < n; i++) c[i] = (ice_statistics_t){s[i].snapshot_id, json_incref(s[i].json)};
  *out = c;
  return 0;
}

int ice_metadata_copy(const ice_table_metadata_t *md, ice_table_metadata_t **out, prestige_error_t *err) {
  ice_table_metadata_t *c = calloc(1, sizeof(*c));
  if (!c) return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
  *c = *md;
  c->table_uuid = c->location = NULL;
  c->schemas = NULL, c->specs = NULL, c->sort_orders = NULL, c->snapshots = NULL, c->refs = NULL;
  c->snapshot_log = NULL, c->metadata_log = NULL, c->statistics = NULL, c->partition_statistics = NULL;
  c->n_schemas = c->n_specs = c->n_sort_orders = c->n_snapshots = c->n_refs = 0;
  c->n_snapshot_log = c->n_metadata_log = c->n_statistics = c->n_partition_statistics = 0;
  c->encryption_keys = md->encryption_keys ? json_incref(md->encryption_keys) : NULL;
  memset(&c->properties, 0, sizeof(c->properties));
  bool oom = false;
  int rc = 0;
  c->table_uuid = sdup(md->table_uuid, &oom);
  c->location = sdup(md->location, &oom);
#define ALLOC(field, n) ((n) ? ((c->field = calloc((n), sizeof(*c->field))) != NULL) : true)
  if (oom || ice_strmap_copy(&md->properties, &c->properties) || !ALLOC(schemas, md->n_schemas) ||
      !ALLOC(specs, md->n_specs) || !ALLOC(sort_orders, md->n_sort_orders) || !ALLOC(snapshots, md->n_snapshots) ||
      !ALLOC(refs, md->n_refs) || !ALLOC(snapshot_log, md->n_snapshot_log) || !ALLOC(metadata_log, md->n_metadata_log))
    goto oom;
#undef ALLOC
  for (size_t i = 0; i < md->n_schemas && !rc; i++, c->n_schemas++) rc = ice_schema_copy(md->schemas[i], &c->schemas[i], err);
  for (size_t i = 0; i < md->n_specs && !rc; i++, c->n_specs++) rc = ice_partition_spec_copy(md->specs[i], &c->specs[i], err);
  for (size_t i = 0; i < md->n_sort_orders && !rc; i++, c->n_sort_orders++)
    rc = ice_sort_order_copy(md->sort_orders[i], &c->sort_orders[i], err);
  for (size_t i = 0; i < md->n_snapshots && !rc; i++, c->n_snapshots++)
    rc = ice_snapshot_copy(md->snapshots[i], &c->snapshots[i], err);
  if (rc) goto fail;
  for (size_t i = 0; i < md->n_refs; i++, c->n_refs++) {
    c->refs[i] = md->refs[i];
    if (!(c->refs[i].name = strdup(md->refs[i].name))) goto oom;
  }
  if (md->n_snapshot_log) memcpy(c->snapshot_log, md->snapshot_log, md->n_snapshot_log * sizeof(*c->snapshot_log));
  c->n_snapshot_log = md->n_snapshot_log;
  for (size_t i = 0; i < md->n_metadata_log; i++, c->n_metadata_log++) {
    c->metadata_log[i] = md->metadata_log[i];
    if (!(c->metadata_log[i].file = strdup(md->metadata_log[i].file))) goto oom;
  }
  if (copy_stats(md->statistics, md->n_statistics, &c->statistics)) goto oom;
  c->n_statistics = md->n_statistics;
  if (copy_stats(md->partition_statistics, md->n_partition_statistics, &c->partition_statistics)) goto oom;
  c->n_partition_statistics = md->n_partition_statistics;
  *out = c;
  return 0;
oom:
  rc = prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory copying table metadata");
fail:
  ice_metadata_free(c);
  return rc;
}

/* ---- lookups ------------------------------------------------------------------------------------- */
const ice_schema_t *ice_metadata_schema(const ice_table_metadata_t *md, int32_t id) {
  for (size_t i = 0; i < md->n_schemas; i++)
    if (md->schemas[i]->schema_id == id) return md->schemas[i];
  return NULL;
}
const ice_schema_t *ice_metadata_current_schema(const ice_table_metadata_t *md) {
  return ice_metadata_schema(md, md->current_schema_id);
}
const ice_partition_spec_t *ice_metadata_spec(const ice_table_metadata_t *md, int32_t id) {
  for (size_t i = 0; i < md->n_specs; i++)
    if (md->specs[i]->spec_id == id) return md->specs[i];
  return NULL;
}
const ice_partition_spec_t *ice_metadata_default_spec(const ice_table_metadata_t *md) {
  return ice_metadata_spec(md, md->default_spec_id);
}
const ice_sort_order_t *ice_metadata_sort_order(const ice_table_metadata_t *md, int32_t id) {
  for (size_t i = 0; i < md->n_sort_orders; i++)
    if (md->sort_orders[i]->order_id == id) return md->sort_orders[i];
  return NULL;
}
const ice_sort_order_t *ice_metadata_default_sort_order(const ice_table_metadata_t *md) {
  return ice_metadata_sort_order(md, md->default_sort_order_id);
}
const ice_snapshot_t *ice_metadata_snapshot(const ice_table_metadata_t *md, int64_t id) {
  for (size_t i = 0; i < md->n_snapshots; i++)
    if (md->snapshots[i]->snapshot_id == id) return md->snapshots[i];
  return NULL;
}
const ice_snapshot_t *ice_metadata_current_snapshot(const ice_table_metadata_t *md) {
  return md->current_snapshot_id == ICE_NO_SNAPSHOT ? NULL : ice_metadata_snapshot(md, md->current_snapshot_id);
}
const ice_snapshot_ref_t *ice_metadata_ref(const ice_table_metadata_t *md, const char *name) {
  for (size_t i = 0; i < md->n_refs; i++)
    if (!strcmp(md->refs[i].name, name)) return &md->refs[i];
  return NULL;
}
const char *ice_metadata_property(const ice_table_metadata_t *md, const char *key, const char *dflt) {
  const char *v = ice_strmap_get(&md->properties, key);
  return v ? v : dflt;
}

/* ---- validation (the invariants of Java's TableMetadata constructor) ---------------------------- */
int ice_metadata_validate(const ice_table_metadata_t *md, const char *what, prestige_error_t *err) {
  const int C = PRESTIGE_ECORRUPT;
  if (md->format_version < 1 || md->format_version > ICE_FORMAT_VERSION_MAX)
    return prestige_error_set(err, PRESTIGE_EUNSUPPORTED, "%s: format-version %d is not supported (1 to %d)", what,
                              md->format_version, ICE_FORMAT_VERSION_MAX);
  if (md->format_version > 1 && !md->table_uuid)
    return prestige_error_set(err, C, "%s: \"table-uuid\" is required in format v%d", what, md->format_version);
  if (!md->location) return prestige_error_set(err, C, "%s: \"location\" is required", what);
  if (!md->n_schemas) return prestige_error_set(err, C, "%s: \"schemas\" is empty", what);
  for (size_t i = 0; i < md->n_schemas; i++)
    for (size_t k = 0; k < i; k++)
      if (md->schemas[i]->schema_id == md->schemas[k]->schema_id)
        return prestige_error_set(err, C, "%s: \"schemas\": schema id %d appears twice", what, md->schemas[i]->schema_id);
  const ice_schema_t *cur = ice_metadata_current_schema(md);
  if (!cur)
    return prestige_error_set(err, C, "%s: \"current-schema-id\" %d names no schema in \"schemas\"", what, md->current_schema_id);
  if (!md->n_specs) return prestige_error_set(err, C, "%s: \"partition-specs\" is empty", what);
  const ice_partition_spec_t *spec = ice_metadata_default_spec(md);
  if (!spec)
    return prestige_error_set(err, C, "%s: \"default-spec-id\" %d names no spec in \"partition-specs\"", what, md->default_spec_id);
  int rc = ice_partition_spec_bind(spec, cur, err);
  if (rc) return prestige_error_prefix(err, "%s: default partition spec", what), C;
  for (size_t i = 0; i < md->n_specs; i++) {
    for (size_t k = 0; k < i; k++)
      if (md->specs[i]->spec_id == md->specs[k]->spec_id)
        return prestige_error_set(err, C, "%s: \"partition-specs\": spec id %d appears twice", what, md->specs[i]->spec_id);
    if (md->format_version > 1 && ice_partition_spec_last_field_id(md->specs[i]) > md->last_partition_id)
      return prestige_error_set(err, C, "%s: \"last-partition-id\" %d is below field id %d of spec %d", what,
                                md->last_partition_id, ice_partition_spec_last_field_id(md->specs[i]), md->specs[i]->spec_id);
  }
  if (!md->n_sort_orders) return prestige_error_set(err, C, "%s: \"sort-orders\" is empty", what);
  const ice_sort_order_t *order = ice_metadata_default_sort_order(md);
  if (!order)
    return prestige_error_set(err, C, "%s: \"default-sort-order-id\" %d names no sort order in \"sort-orders\"", what,
                              md->default_sort_order_id);
  if ((rc = ice_sort_order_bind(order, cur, err))) return prestige_error_prefix(err, "%s: default sort order", what), C;
  for (size_t i = 0; i < md->n_snapshots; i++) {
    const ice_snapshot_t *s = md->snapshots[i];
    for (size_t k = 0; k < i; k++)
      if (md->snapshots[k]->snapshot_id == s->snapshot_id)
        return prestige_error_set(err, C, "%s: \"snapshots\": snapshot %lld appears twice", what, (long long)s->snapshot_id);
    if (s->sequence_number > md->last_sequence_number)
      return prestige_error_set(err, C, "%s: snapshot %lld has sequence number %lld above last-sequence-number %lld", what,
                                (long long)s->snapshot_id, (long long)s->sequence_number, (long long)md->last_sequence_number);
    if (md->format_version > 1 && !s->manifest_list)
      return prestige_error_set(err, C, "%s: snapshot %lld: \"manifest-list\" is required in format v%d", what,
                                (long long)s->snapshot_id, md->format_version);
    if (s->has_schema_id && !ice_metadata_schema(md, s->schema_id))
      return prestige_error_set(err, C, "%s: snapshot %lld: \"schema-id\" %d names no schema", what,
                                (long long)s->snapshot_id, s->schema_id);
  }
  if (md->current_snapshot_id != ICE_NO_SNAPSHOT && !ice_metadata_current_snapshot(md))
    return prestige_error_set(err, C, "%s: \"current-snapshot-id\" %lld names no snapshot in \"snapshots\"", what,
                              (long long)md->current_snapshot_id);
  for (size_t i = 0; i < md->n_refs; i++) {
    const ice_snapshot_ref_t *r = &md->refs[i];
    if (!ice_metadata_snapshot(md, r->snapshot_id))
      return prestige_error_set(err, C, "%s: ref \"%s\" names snapshot %lld, which is not in \"snapshots\"", what, r->name,
                                (long long)r->snapshot_id);
  }
  const ice_snapshot_ref_t *main = ice_metadata_ref(md, "main");
  if (md->current_snapshot_id != ICE_NO_SNAPSHOT && main && main->snapshot_id != md->current_snapshot_id)
    return prestige_error_set(err, C, "%s: \"current-snapshot-id\" %lld does not match the main branch (%lld)", what,
                              (long long)md->current_snapshot_id, (long long)main->snapshot_id);
  if (md->current_snapshot_id == ICE_NO_SNAPSHOT && main)
    return prestige_error_set(err, C, "%s: there is no current snapshot, but the main branch names %lld", what,
                              (long long)main->snapshot_id);
  if (main && main->type != ICE_REF_BRANCH) return prestige_error_set(err, C, "%s: ref \"main\" must be a branch", what);
  for (size_t i = 0; i < md->n_schemas; i++)
    if ((rc = ice_schema_check_version(md->schemas[i], md->format_version, err)))
      return prestige_error_prefix(err, "%s: schema %d", what, md->schemas[i]->schema_id), C;
  return 0;
}

/* ---- new tables (Java TableMetadata.newTableMetadata) -------------------------------------------- */
static int push_ptr(void ***arr, size_t *n, void *p) {
  void **a = realloc(*arr, (*n + 1) * sizeof(void *));
  if (!a) return PRESTIGE_ENOMEM;
  a[(*n)++] = p;
  *arr = a;
  return 0;
}

int ice_metadata_new_table(const ice_schema_t *schema, const ice_partition_spec_t *spec, const ice_sort_order_t *order,
                           const char *location, const ice_strmap_t *properties, int format_version, int64_t now_ms,
                           ice_table_metadata_t **out, prestige_error_t *err) {
  if (format_version < 2 || format_version > ICE_FORMAT_VERSION_MAX)
    return prestige_error_set(err, PRESTIGE_EINVAL, "new tables are format version 2 or 3, not %d", format_version);
  if (!location || !*location) return prestige_error_set(err, PRESTIGE_EINVAL, "a new table needs a location");
  ice_table_metadata_t *md = calloc(1, sizeof(*md));
  if (!md) return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
  md->format_version = format_version;
  md->current_snapshot_id = ICE_NO_SNAPSHOT;
  md->last_updated_ms = now_ms;
  char uuid[37];
  int rc = ice_uuid_v4(uuid, err);
  ice_schema_t *fresh = NULL;
  ice_partition_spec_t *fspec = NULL;
  ice_sort_order_t *forder = NULL;
  if (rc) goto fail;
  size_t loc_len = strlen(location);
  while (loc_len > 1 && location[loc_len - 1] == '/') loc_len--; /* Java strips the trailing slash */
  if (!(md->table_uuid = strdup(uuid)) || !(md->location = strndup(location, loc_len)) ||
      (properties && ice_strmap_copy(properties, &md->properties)))
    goto oom;
  int32_t last = 0;
  if ((rc = ice_schema_assign_fresh_ids(schema, 0, &last, &fresh, err))) goto fail;
  md->last_column_id = last;
  if ((rc = ice_schema_check_version(fresh, format_version, err))) goto fail;
  if ((rc = ice_partition_spec_new(0, &fspec, err))) goto fail;
  for (size_t i = 0; spec && i < spec->n_fields; i++) {
    const ice_partition_field_t *f = &spec->fields[i];
    const char *name = ice_schema_field_name(schema, f->source_id);
    const ice_field_t *nf = name ? ice_schema_find_name(fresh, name) : NULL;
    if (!nf) {
      rc = prestige_error_set(err, PRESTIGE_EINVAL, "partition field \"%s\": source column id %d is not in the schema", f->name,
                              f->source_id);
      goto fail;
    }
    if ((rc = ice_partition_spec_add(fspec, nf->id, ICE_PARTITION_DATA_ID_START + (int32_t)i, f->name, &f->transform, err)))
      goto fail;
  }
  if ((rc = ice_partition_spec_bind(fspec, fresh, err))) goto fail;
  bool sorted = order && order->n_fields;
  if ((rc = ice_sort_order_new(sorted ? 1 : 0, &forder, err))) goto fail;
  for (size_t i = 0; sorted && i < order->n_fields; i++) {
    const ice_sort_field_t *f = &order->fields[i];
    const char *name = ice_schema_field_name(schema, f->source_id);
    const ice_field_t *nf = name ? ice_schema_find_name(fresh, name) : NULL;
    if (!nf) {
      rc = prestige_error_set(err, PRESTIGE_EINVAL, "sort field %zu: source column id %d is not in the schema", i, f->source_id);
      goto fail;
    }
    if ((rc = ice_sort_order_add(forder, nf->id, &f->transform, f->direction, f->null_order, err))) goto fail;
  }
  if ((rc = ice_sort_order_bind(forder, fresh, err))) goto fail;
  md->last_partition_id = ice_partition_spec_last_field_id(fspec);
  md->current_schema_id = 0;
  md->default_spec_id = 0;
  md->default_sort_order_id = forder->order_id;
  if (push_ptr((void ***)&md->schemas, &md->n_schemas, fresh)) goto oom;
  fresh = NULL;
  if (push_ptr((void ***)&md->specs, &md->n_specs, fspec)) goto oom;
  fspec = NULL;
  if (push_ptr((void ***)&md->sort_orders, &md->n_sort_orders, forder)) goto oom;
  forder = NULL;
  if ((rc = ice_metadata_validate(md, "new table", err))) goto fail;
  *out = md;
  return 0;
oom:
  rc = prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory creating table metadata");
fail:
  ice_schema_free(fresh);
  ice_partition_spec_free(fspec);
  ice_sort_order_free(forder);
  ice_metadata_free(md);
  return rc;
}

/* ---- uuids and file names ---------------------------------------------------------------------------- */
int ice_uuid_v4(char out[37], prestige_error_t *err) {
  uint8_t b[16];
  if (RAND_bytes(b, 16) != 1) {
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    ssize_t got = fd >= 0 ? read(fd, b, 16) : -1;
    if (fd >= 0) close(fd);
    if (got != 16) return prestige_error_set(err, PRESTIGE_EIO, "cannot read random bytes for a uuid");
  }
  b[6] = (uint8_t)((b[6] & 0x0f) | 0x40); /* version 4 */
  b[8] = (uint8_t)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
  ice_uuid_format(b, out);
  return 0;
}

int ice_metadata_dir(const ice_table_metadata_t *md, char *out, size_t n, prestige_error_t *err) {
  const char *p = ice_metadata_property(md, "write.metadata.path", NULL);
  int len;
  if (p) len = snprintf(out, n, "%s", p);
  else len = snprintf(out, n, "%s/metadata", md->location);
  while (len > 1 && out[len - 1] == '/') out[--len] = 0;
  if (len < 0 || (size_t)len >= n) return prestige_error_set(err, PRESTIGE_EINVAL, "metadata location too long");
  return 0;
}

int ice_metadata_file_version(const char *path) {
  const char *base = strrchr(path, '/');
  base = base ? base + 1 : path;
  if (base[0] == 'v') base++; /* Hadoop tables: v3.metadata.json */
  int v = 0, nd = 0;
  for (; base[nd] >= '0' && base[nd] <= '9' && nd < 9; nd++) v = v * 10 + (base[nd] - '0');
  if (!nd || (base[nd] != '-' && base[nd] != '.')) return -1;
  return v;
}

int ice_metadata_next_file_name(const ice_table_metadata_t *md, const char *previous, char *out, size_t n,
                                prestige_error_t *err) {
  char dir[2048], uuid[37];
  PRESTIGE_TRY(ice_metadata_dir(md, dir, sizeof dir, err));
  PRESTIGE_TRY(ice_uuid_v4(uuid, err));
  int version = previous ? ice_metadata_file_version(previous) + 1 : 0;
  if (previous && version == 0)
    return prestige_error_set(err, PRESTIGE_EINVAL, "metadata file \"%s\" carries no version number", previous);
  /* prestige writes uncompressed metadata whatever write.metadata.compression-codec says */
  int len = snprintf(out, n, "%s/%05d-%s.metadata.json", dir, version, uuid);
  if (len < 0 || (size_t)len >= n) return prestige_error_set(err, PRESTIGE_EINVAL, "metadata file name too long");
  return 0;
}
