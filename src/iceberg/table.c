/* The table handle: loading, commits through the catalog, snapshot lookups, describe. */
#include "iceberg/table.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "iceberg/arrow_map.h"
#include "iceberg/metadata.h"

static int oom(prestige_error_t *err) { return prestige_error_set(err, PRESTIGE_ENOMEM, "iceberg table: out of memory"); }

static void snap_views_release(prestige_iceberg_table_t *t) {
  free(t->snap_views);
  free(t->snap_kvs);
  t->snap_views = NULL;
  t->snap_kvs = NULL;
  t->n_snap_views = 0;
  t->snap_views_valid = false;
}

int ice_table_new(prestige_iceberg_catalog_t *owner, const ice_ident_t *ident, ice_loaded_table_t *loaded,
                  prestige_iceberg_table_t **out, prestige_error_t *err) {
  *out = NULL;
  prestige_iceberg_table_t *t = calloc(1, sizeof *t);
  if (!t) return oom(err);
  t->owner = owner;
  t->catalog = owner->catalog;
  int rc = ice_ident_copy(ident, &t->ident, err);
  if (!rc && !(t->ident_text = ice_ident_format(ident))) rc = oom(err);
  if (!rc) rc = ice_catalog_table_io_config(t->catalog, loaded->metadata->location, &loaded->config, &t->io, err);
  if (rc) {
    prestige_iceberg_table_free(t);
    return rc;
  }
  t->loaded = *loaded;
  memset(loaded, 0, sizeof *loaded);
  *out = t;
  return 0;
}

int ice_table_replace(prestige_iceberg_table_t *t, ice_loaded_table_t *loaded, prestige_error_t *err) {
  if (strcmp(loaded->metadata->location, t->loaded.metadata->location)) {
    ice_io_t *io;
    PRESTIGE_TRY(ice_catalog_table_io_config(t->catalog, loaded->metadata->location, &loaded->config, &io, err));
    ice_io_free(t->io);
    t->io = io;
  }
  ice_loaded_table_release(&t->loaded);
  t->loaded = *loaded;
  memset(loaded, 0, sizeof *loaded);
  snap_views_release(t);
  return 0;
}

int ice_table_commit(prestige_iceberg_table_t *t, const ice_requirement_t *reqs, size_t n_reqs, const ice_update_t *ups,
                     size_t n_ups, prestige_error_t *err) {
  ice_table_commit_t c = {&t->ident, reqs, n_reqs, ups, n_ups};
  ice_loaded_table_t next = {0};
  PRESTIGE_TRY(t->catalog->ops->table_commit(t->catalog, &c, &next, err));
  int rc = ice_table_replace(t, &next, err);
  ice_loaded_table_release(&next);
  return rc;
}

/* ---- retries ------------------------------------------------------------------------------------- */

static int64_t prop_i64(const ice_table_metadata_t *md, const char *key, int64_t dflt) {
  const char *v = md ? ice_metadata_property(md, key, NULL) : NULL;
  if (!v || !*v) return dflt;
  char *end;
  long long x = strtoll(v, &end, 10);
  return *end || x < 0 ? dflt : x;
}

void ice_retry_policy_from_table(const ice_table_metadata_t *md, ice_retry_policy_t *p) {
  int64_t n = prop_i64(md, "commit.retry.num-retries", 4);
  p->num_retries = n > 1000 ? 1000 : (int)n;
  p->min_wait_ms = prop_i64(md, "commit.retry.min-wait-ms", 100);
  p->max_wait_ms = prop_i64(md, "commit.retry.max-wait-ms", 60000);
  p->total_timeout_ms = prop_i64(md, "commit.retry.total-timeout-ms", 1800000);
  if (p->max_wait_ms < p->min_wait_ms) p->max_wait_ms = p->min_wait_ms;
}

void ice_retry_sleep(const ice_retry_policy_t *p, int attempt) {
  /* Java's Tasks: min_wait * 2^(attempt-1), capped at max_wait, with jitter (here: full jitter
   * over the upper half, so two racing writers drift apart) */
  int64_t wait = p->min_wait_ms;
  for (int i = 1; i < attempt && wait < p->max_wait_ms; i++) wait *= 2;
  if (wait > p->max_wait_ms) wait = p->max_wait_ms;
  unsigned seed = (unsigned)(time(NULL) ^ (uintptr_t)p ^ ((unsigned)attempt << 16) ^ (unsigned)clock());
  int64_t ms = wait / 2 + (wait > 1 ? (int64_t)(rand_r(&seed) % (int)(wait / 2 + 1)) : 0);
  struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0) {
  }
}

/* ---- snapshot lookups (Java's SnapshotUtil) ---------------------------------------------------------- */

int ice_table_snapshot_as_of(const ice_table_metadata_t *md, int64_t ts_ms, int64_t *snapshot_id, prestige_error_t *err) {
  bool found = false;
  int64_t id = -1;
  if (md->n_snapshot_log) {
    for (size_t i = 0; i < md->n_snapshot_log; i++)
      if (md->snapshot_log[i].timestamp_ms <= ts_ms) {
        found = true;
        id = md->snapshot_log[i].snapshot_id;
      }
  } else {
    const ice_snapshot_t *s = ice_metadata_current_snapshot(md);
    for (size_t guard = 0; s && guard <= md->n_snapshots && !found; guard++) {
      if (s->timestamp_ms <= ts_ms) {
        found = true;
        id = s->snapshot_id;
      }
      s = s->has_parent ? ice_metadata_snapshot(md, s->parent_id) : NULL;
    }
  }
  if (!found)
    return prestige_error_set(err, PRESTIGE_ENOTFOUND, "no snapshot at or before %lld ms (the table's history starts later)",
                              (long long)ts_ms);
  *snapshot_id = id;
  return 0;
}

int ice_table_oldest_ancestor(const ice_table_metadata_t *md, int64_t *snapshot_id, prestige_error_t *err) {
  const ice_snapshot_t *s = ice_metadata_current_snapshot(md);
  if (!s) return prestige_error_set(err, PRESTIGE_ENOTFOUND, "the table has no snapshot");
  /* an expired parent ends the walk: the oldest ancestor still in the table */
  for (size_t guard = 0; guard <= md->n_snapshots && s->has_parent; guard++) {
    const ice_snapshot_t *p = ice_metadata_snapshot(md, s->parent_id);
    if (!p) break;
    s = p;
  }
  *snapshot_id = s->snapshot_id;
  return 0;
}

/* ---- public accessors --------------------------------------------------------------------------------- */

const char *prestige_iceberg_table_ident(const prestige_iceberg_table_t *t) { return t->ident_text; }
const char *prestige_iceberg_table_location(const prestige_iceberg_table_t *t) { return t->loaded.metadata->location; }
const char *prestige_iceberg_table_metadata_location(const prestige_iceberg_table_t *t) { return t->loaded.metadata_location; }
const char *prestige_iceberg_table_uuid(const prestige_iceberg_table_t *t) { return t->loaded.metadata->table_uuid; }
int prestige_iceberg_table_format_version(const prestige_iceberg_table_t *t) { return t->loaded.metadata->format_version; }

int64_t prestige_iceberg_table_current_snapshot_id(const prestige_iceberg_table_t *t) {
  return t->loaded.metadata->current_snapshot_id;
}

const char *prestige_iceberg_table_property(const prestige_iceberg_table_t *t, const char *key) {
  return key ? ice_metadata_property(t->loaded.metadata, key, NULL) : NULL;
}

int prestige_iceberg_table_schema(const prestige_iceberg_table_t *t, struct ArrowSchema *out, prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  if (!out) return prestige_error_set(err, PRESTIGE_EINVAL, "table schema: out is NULL");
  const ice_schema_t *s = ice_metadata_current_schema(t->loaded.metadata);
  if (!s) return prestige_error_set(err, PRESTIGE_ECORRUPT, "table %s has no current schema", t->ident_text);
  return ice_schema_to_arrow(s, out, err);
}

static int cmp_snapshot(const void *a, const void *b) {
  const prestige_iceberg_snapshot_t *x = a, *y = b;
  if (x->timestamp_ms != y->timestamp_ms) return x->timestamp_ms < y->timestamp_ms ? -1 : 1;
  if (x->sequence_number != y->sequence_number) return x->sequence_number < y->sequence_number ? -1 : 1;
  return 0;
}

static int build_snap_views(prestige_iceberg_table_t *t) {
  const ice_table_metadata_t *md = t->loaded.metadata;
  size_t n = md->n_snapshots, n_kv = 0;
  for (size_t i = 0; i < n; i++) n_kv += md->snapshots[i]->summary.n;
  prestige_iceberg_snapshot_t *v = calloc(n ? n : 1, sizeof *v);
  prestige_kv_t *kv = calloc(n_kv ? n_kv : 1, sizeof *kv);
  if (!v || !kv) {
    free(v);
    free(kv);
    return -1;
  }
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    const ice_snapshot_t *s = md->snapshots[i];
    v[i].snapshot_id = s->snapshot_id;
    v[i].parent_id = s->has_parent ? s->parent_id : -1;
    v[i].sequence_number = s->sequence_number;
    v[i].timestamp_ms = s->timestamp_ms;
    v[i].operation = s->operation;
    v[i].manifest_list = s->manifest_list;
    v[i].schema_id = s->has_schema_id ? s->schema_id : -1;
    v[i].summary = kv + k;
    v[i].n_summary = (int64_t)s->summary.n;
    for (size_t j = 0; j < s->summary.n; j++, k++) {
      kv[k].key = s->summary.items[j].key;
      kv[k].value = s->summary.items[j].value;
      kv[k].value_len = -1;
    }
  }
  qsort(v, n, sizeof *v, cmp_snapshot);
  t->snap_views = v;
  t->snap_kvs = kv;
  t->n_snap_views = (int64_t)n;
  t->snap_views_valid = true;
  return 0;
}

int64_t prestige_iceberg_table_snapshots(prestige_iceberg_table_t *t, const prestige_iceberg_snapshot_t **out) {
  *out = NULL;
  if (!t->snap_views_valid && build_snap_views(t)) return -1;
  *out = t->snap_views;
  return t->n_snap_views;
}

int prestige_iceberg_snapshot_at_timestamp(const prestige_iceberg_table_t *t, int64_t ts_ms, int64_t *snapshot_id,
                                           prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  int rc = ice_table_snapshot_as_of(t->loaded.metadata, ts_ms, snapshot_id, err);
  if (rc && err) prestige_error_prefix(err, "table %s", t->ident_text);
  return rc;
}

int prestige_iceberg_earliest_snapshot(const prestige_iceberg_table_t *t, int64_t *snapshot_id, prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  int rc = ice_table_oldest_ancestor(t->loaded.metadata, snapshot_id, err);
  if (rc && err) prestige_error_prefix(err, "table %s", t->ident_text);
  return rc;
}

int prestige_iceberg_ref_snapshot(const prestige_iceberg_table_t *t, const char *ref, int64_t *snapshot_id,
                                  prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  if (!ref || !*ref) return prestige_error_set(err, PRESTIGE_EINVAL, "table %s: empty ref name", t->ident_text);
  const ice_snapshot_ref_t *r = ice_metadata_ref(t->loaded.metadata, ref);
  if (!r) return prestige_error_set(err, PRESTIGE_ENOTFOUND, "table %s has no branch or tag \"%s\"", t->ident_text, ref);
  *snapshot_id = r->snapshot_id;
  return 0;
}

/* ---- describe ------------------------------------------------------------------------------------------- */

static json_t *strmap_json(const ice_strmap_t *m) {
  json_t *o = json_object();
  for (size_t i = 0; o && i < m->n; i++)
    if (json_object_set_new(o, m->items[i].key, json_string(m->items[i].value))) {
      json_decref(o);
      return NULL;
    }
  return o;
}

static int set(json_t *o, const char *key, json_t *v) { return !v || json_object_set_new(o, key, v); }

int prestige_iceberg_table_describe(const prestige_iceberg_table_t *t, char **json, prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  if (!json) return prestige_error_set(err, PRESTIGE_EINVAL, "describe: json is NULL");
  *json = NULL;
  const ice_table_metadata_t *md = t->loaded.metadata;
  const ice_schema_t *schema = ice_metadata_current_schema(md);
  const ice_partition_spec_t *spec = ice_metadata_default_spec(md);
  const ice_sort_order_t *order = ice_metadata_default_sort_order(md);
  json_t *o = json_object(), *ids = json_array(), *refs = json_object();
  bool bad = !o || !ids || !refs;
  for (size_t i = 0; !bad && schema && i < schema->n_identifier_ids; i++) {
    const char *name = ice_schema_field_name(schema, schema->identifier_ids[i]);
    bad = json_array_append_new(ids, json_string(name ? name : "?")) != 0;
  }
  for (size_t i = 0; !bad && i < md->n_refs; i++) bad = set(refs, md->refs[i].name, ice_ref_to_json(&md->refs[i]));
  /* one at a time, so that ids and refs are freed (below) when a step before theirs fails */
  if (!bad) bad = set(o, "table", json_string(t->ident_text));
  if (!bad) bad = set(o, "format_version", json_integer(md->format_version));
  if (!bad) bad = set(o, "table_uuid", md->table_uuid ? json_string(md->table_uuid) : json_null());
  if (!bad) bad = set(o, "location", json_string(md->location));
  if (!bad)
    bad = set(o, "metadata_location", t->loaded.metadata_location ? json_string(t->loaded.metadata_location) : json_null());
  if (!bad)
    bad = set(o, "current_snapshot_id",
              md->current_snapshot_id == ICE_NO_SNAPSHOT ? json_null() : json_integer(md->current_snapshot_id));
  if (!bad) bad = set(o, "last_updated_ms", json_integer(md->last_updated_ms));
  if (!bad) bad = set(o, "last_sequence_number", json_integer(md->last_sequence_number));
  if (!bad) bad = set(o, "schema", schema ? ice_schema_to_json(schema) : json_null());
  if (!bad) bad = set(o, "partition_spec", spec ? ice_partition_spec_to_json(spec) : json_null());
  if (!bad) bad = set(o, "sort_order", order ? ice_sort_order_to_json(order) : json_null());
  if (!bad) {
    bad = set(o, "identifier_fields", ids); /* taken (or released) by jansson */
    ids = NULL;
  }
  if (!bad) bad = set(o, "properties", strmap_json(&md->properties));
  if (!bad) {
    bad = set(o, "refs", refs);
    refs = NULL;
  }
  if (!bad) bad = set(o, "snapshot_count", json_integer((json_int_t)md->n_snapshots));
  json_decref(ids);
  json_decref(refs);
  char *text = bad ? NULL : json_dumps(o, JSON_COMPACT);
  json_decref(o);
  if (!text) return oom(err);
  *json = text;
  return 0;
}
