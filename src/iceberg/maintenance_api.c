/* prestige/iceberg_maintenance.h on the table handle: thin wrappers over rowdelta.h and maintenance.h. */
#include <stdio.h>
#include <string.h>

#include "iceberg/maintenance.h"
#include "iceberg/rowdelta.h"
#include "iceberg/table.h"
#include "prestige/iceberg_maintenance.h"

static int check(const void *t, const void *o, const void *res, unsigned int version, unsigned int known, const char *what,
                 prestige_error_t *err) {
  if (!t || !res) return prestige_error_set(err, PRESTIGE_EINVAL, "%s: table and result are required", what);
  if (o && (version == 0 || version > known))
    return prestige_error_set(err, PRESTIGE_EINVAL, "%s: options version %u is not one this library knows (1..%u)", what, version, known);
  return 0;
}

/* The handle is current after the call (whatever happened), and its snapshot views are rebuilt. */
static void touched(prestige_iceberg_table_t *t) { t->snap_views_valid = false; }

int prestige_iceberg_delete(prestige_iceberg_table_t *t, const prestige_iceberg_delete_options_t *o,
                            prestige_iceberg_delete_result_t *res, prestige_error_t *err) {
  PRESTIGE_TRY(check(t, o, res, o ? o->version : 1, PRESTIGE_ICEBERG_DELETE_OPTIONS_VERSION, "delete", err));
  memset(res, 0, sizeof(*res));
  res->snapshot_id = -1;
  if (!o || !o->where) return prestige_error_set(err, PRESTIGE_EINVAL, "delete from %s: where is required", t->ident_text);
  if (o->mode != PRESTIGE_ICEBERG_DELETE_POSITION && o->mode != PRESTIGE_ICEBERG_DELETE_EQUALITY)
    return prestige_error_set(err, PRESTIGE_EINVAL, "delete from %s: unknown mode %d", t->ident_text, (int)o->mode);
  ice_delete_options_t io = ICE_DELETE_OPTIONS_INIT;
  io.where = o->where;
  io.mode = o->mode == PRESTIGE_ICEBERG_DELETE_EQUALITY ? ICE_DELETE_EQUALITY : ICE_DELETE_POSITION;
  io.what = t->ident_text;
  ice_delete_result_t r;
  int rc = ice_delete_where(t->catalog, &t->ident, t->io, &t->loaded, &io, &r, err);
  touched(t);
  if (rc) return rc;
  res->snapshot_id = r.snapshot_id;
  res->deleted_rows = r.deleted_rows;
  res->removed_files = r.removed_files;
  res->delete_files = r.delete_files;
  return 0;
}

int prestige_iceberg_delete_keys(prestige_iceberg_table_t *t, const struct ArrowSchema *schema, struct ArrowArray *keys,
                                 prestige_iceberg_delete_result_t *res, prestige_error_t *err) {
  if (!t || !schema || !keys || !res) {
    if (keys && keys->release) keys->release(keys);
    return prestige_error_set(err, PRESTIGE_EINVAL, "delete keys: table, schema, keys and result are required");
  }
  memset(res, 0, sizeof(*res));
  res->snapshot_id = -1;
  ice_delete_result_t r;
  int rc = ice_delete_keys(t->catalog, &t->ident, t->io, &t->loaded, schema, keys, t->ident_text, &r, err);
  touched(t);
  if (rc) return rc;
  res->snapshot_id = r.snapshot_id;
  res->delete_files = r.delete_files;
  return 0;
}

static void compact_opts(const prestige_iceberg_compact_options_t *o, const char *what, ice_compact_options_t *co) {
  ice_compact_options_t d = ICE_COMPACT_OPTIONS_INIT;
  *co = d;
  co->what = what;
  if (!o) return;
  co->target_file_size_bytes = o->target_file_size_bytes;
  co->min_files = o->min_files;
  co->dedup = o->dedup;
  co->compression = o->compression;
  co->max_group_bytes = o->max_group_bytes;
  if (o->version >= 2) co->stop = o->shutdown;
}

int prestige_iceberg_compact(prestige_iceberg_table_t *t, const prestige_iceberg_compact_options_t *o,
                             prestige_iceberg_compact_result_t *res, prestige_error_t *err) {
  PRESTIGE_TRY(check(t, o, res, o ? o->version : 1, PRESTIGE_ICEBERG_COMPACT_OPTIONS_VERSION, "compact", err));
  memset(res, 0, sizeof(*res));
  res->snapshot_id = -1;
  ice_compact_options_t co;
  compact_opts(o, t->ident_text, &co);
  ice_compact_result_t r;
  int rc = ice_compact(t->catalog, &t->ident, t->io, &t->loaded, &co, &r, err);
  touched(t);
  if (rc) return rc;
  res->snapshot_id = r.snapshot_id;
  res->files_read = r.files_read, res->files_written = r.files_written;
  res->rows_read = r.rows_read, res->rows_written = r.rows_written;
  res->duplicates_eliminated = r.duplicates_eliminated;
  res->delete_files_removed = r.delete_files_removed;
  res->bytes_read = r.bytes_read, res->bytes_written = r.bytes_written;
  res->groups = r.groups, res->groups_conflicted = r.groups_conflicted;
  res->replans = r.replans, res->groups_abandoned = r.groups_abandoned;
  return 0;
}

typedef struct run_cb {
  const prestige_iceberg_maintain_options_t *o;
  prestige_iceberg_maintain_metrics_t *m;
} run_cb_t;

static void copy_metrics(const ice_maintain_metrics_t *s, prestige_iceberg_maintain_metrics_t *d) {
  d->runs = s->runs, d->compactions = s->compactions, d->partitions_over_threshold = s->partitions_over_threshold;
  d->files_read = s->files_read, d->files_written = s->files_written, d->duplicates_eliminated = s->duplicates_eliminated;
  d->groups_conflicted = s->groups_conflicted, d->errors = s->errors, d->last_snapshot_id = s->last_snapshot_id;
  snprintf(d->last_error, sizeof d->last_error, "%s", s->last_error);
}

static void on_run(void *user, const ice_maintain_metrics_t *m) {
  run_cb_t *c = user;
  copy_metrics(m, c->m);
  if (c->o->on_run) c->o->on_run(c->o->user, c->m);
}

int prestige_iceberg_maintain(prestige_iceberg_table_t *t, const prestige_iceberg_maintain_options_t *o, prestige_shutdown_t *stop,
                              prestige_iceberg_maintain_metrics_t *metrics, prestige_error_t *err) {
  PRESTIGE_TRY(check(t, o, metrics, o ? o->version : 0, PRESTIGE_ICEBERG_MAINTAIN_OPTIONS_VERSION, "maintain", err));
  memset(metrics, 0, sizeof(*metrics));
  if (!o || o->interval_ms <= 0) return prestige_error_set(err, PRESTIGE_EINVAL, "maintain %s: interval_ms must be positive", t->ident_text);
  if (!stop && o->max_runs <= 0) return prestige_error_set(err, PRESTIGE_EINVAL, "maintain %s: a shutdown token or max_runs is required", t->ident_text);
  ice_maintain_options_t mo;
  memset(&mo, 0, sizeof mo);
  mo.interval_ms = o->interval_ms;
  compact_opts(&o->compaction, t->ident_text, &mo.compact);
  mo.max_runs = o->max_runs;
  run_cb_t cb = {o, metrics};
  mo.on_run = on_run;
  mo.user = &cb;
  ice_maintain_metrics_t m;
  int rc = ice_maintain(t->catalog, &t->ident, t->io, &t->loaded, &mo, stop, &m, err);
  copy_metrics(&m, metrics);
  touched(t);
  return rc;
}

int prestige_iceberg_expire_snapshots(prestige_iceberg_table_t *t, const prestige_iceberg_expire_options_t *o,
                                      prestige_iceberg_expire_result_t *res, prestige_error_t *err) {
  PRESTIGE_TRY(check(t, o, res, o ? o->version : 1, PRESTIGE_ICEBERG_EXPIRE_OPTIONS_VERSION, "expire", err));
  memset(res, 0, sizeof(*res));
  ice_expire_options_t eo = ICE_EXPIRE_OPTIONS_INIT;
  eo.what = t->ident_text;
  if (o) {
    if (o->older_than_ms) eo.older_than_ms = o->older_than_ms;
    eo.retain_last = o->retain_last;
    eo.dry_run = o->dry_run;
  }
  ice_expire_result_t r;
  int rc = ice_expire_snapshots(t->catalog, &t->ident, t->io, &t->loaded, &eo, &r, err);
  touched(t);
  if (rc) return rc;
  res->snapshots_expired = r.snapshots_expired;
  res->data_files_deleted = r.data_files_deleted, res->delete_files_deleted = r.delete_files_deleted;
  res->manifests_deleted = r.manifests_deleted, res->manifest_lists_deleted = r.manifest_lists_deleted;
  return 0;
}

int prestige_iceberg_remove_orphans(prestige_iceberg_table_t *t, const prestige_iceberg_orphans_options_t *o,
                                    prestige_iceberg_orphans_result_t *res, prestige_error_t *err) {
  PRESTIGE_TRY(check(t, o, res, o ? o->version : 1, PRESTIGE_ICEBERG_ORPHANS_OPTIONS_VERSION, "remove orphans", err));
  memset(res, 0, sizeof(*res));
  ice_orphans_options_t oo = ICE_ORPHANS_OPTIONS_INIT;
  if (o) {
    if (o->older_than_ms) oo.older_than_ms = o->older_than_ms;
    oo.dry_run = o->dry_run;
  }
  ice_orphans_result_t r;
  PRESTIGE_TRY(ice_remove_orphans(t->io, &t->loaded, &oo, &r, err));
  res->files_listed = r.files_listed, res->orphans = r.orphans, res->deleted = r.deleted;
  return 0;
}

int prestige_iceberg_rewrite_manifests(prestige_iceberg_table_t *t, int64_t target_bytes, prestige_iceberg_rewrite_manifests_result_t *res,
                                       prestige_error_t *err) {
  PRESTIGE_TRY(check(t, NULL, res, 1, 1, "rewrite manifests", err));
  memset(res, 0, sizeof(*res));
  if (target_bytes < 0) return prestige_error_set(err, PRESTIGE_EINVAL, "rewrite manifests of %s: target_bytes must not be negative", t->ident_text);
  ice_rewrite_manifests_options_t ro = ICE_REWRITE_MANIFESTS_OPTIONS_INIT;
  ro.target_manifest_bytes = target_bytes;
  ro.what = t->ident_text;
  ice_rewrite_manifests_result_t r;
  int rc = ice_rewrite_manifests(t->catalog, &t->ident, t->io, &t->loaded, &ro, &r, err);
  touched(t);
  if (rc) return rc;
  res->snapshot_id = r.snapshot_id, res->manifests_replaced = r.manifests_replaced, res->manifests_written = r.manifests_written;
  return 0;
}
