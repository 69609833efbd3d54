/* Table maintenance: expiring snapshots, removing orphan files, rewriting manifests (see maintenance.h). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "iceberg/maintenance.h"
#include "iceberg/rewrite.h"
#include "iceberg/table.h"
#include "iceberg/table_ops.h"

static int oom(prestige_error_t *err) { return prestige_error_set(err, PRESTIGE_ENOMEM, "maintenance: out of memory"); }

static int64_t prop_i64(const ice_table_metadata_t *md, const char *key, int64_t dflt) {
  const char *v = ice_metadata_property(md, key, NULL);
  if (!v) return dflt;
  char *end;
  long long x = strtoll(v, &end, 10);
  return (*end || end == v || x < 0) ? dflt : (int64_t)x;
}

/* Adds a location in its canonical form. */
static int add_norm(ice_pathset_t *s, const char *loc, int64_t val) {
  if (!loc || !*loc) return 0;
  char *n = NULL;
  if (ice_location_normalize(loc, &n, NULL)) return ice_pathset_add(s, loc, val);
  int rc = ice_pathset_add(s, n, val);
  free(n);
  return rc;
}

static bool has_norm(const ice_pathset_t *s, const char *loc, int64_t *val) {
  char *n = NULL;
  if (ice_location_normalize(loc, &n, NULL)) return ice_pathset_get(s, loc, val);
  bool r = ice_pathset_get(s, n, val);
  free(n);
  return r;
}

static bool keep_all(void *u, const ice_manifest_entry_t *e) {
  (void)u;
  (void)e;
  return true;
}

/* Manifests (and, with files, the files they hold) reachable from snapshot s; live_only: only
 * entries the snapshot reads (added, existing). */
static int reach_snapshot(ice_io_t *io, const ice_table_metadata_t *md, const ice_snapshot_t *s, ice_pathset_t *manifests,
                          ice_pathset_t *files, bool live_only, prestige_error_t *err) {
  ice_manifest_file_t *mfs = NULL;
  size_t n = 0;
  PRESTIGE_TRY(ice_snapshot_manifests(io, s, &mfs, &n, err));
  int rc = 0;
  for (size_t i = 0; i < n && !rc; i++) {
    if (has_norm(manifests, mfs[i].path, NULL)) continue; /* shared with a snapshot already seen */
    if (add_norm(manifests, mfs[i].path, 0)) {
      rc = oom(err);
      break;
    }
    if (!files) continue;
    ice_manifest_t m;
    if ((rc = ice_manifest_read(io, &mfs[i], md, keep_all, NULL, &m, err))) break;
    for (size_t e = 0; e < m.n_entries && !rc; e++) {
      if (live_only && m.entries[e].status == ICE_ENTRY_DELETED) continue;
      if (add_norm(files, m.entries[e].file.file_path, m.entries[e].file.content)) rc = oom(err);
    }
    ice_manifest_release(&m);
  }
  ice_manifest_files_free(mfs, n);
  return rc;
}

/* ---- expire snapshots ------------------------------------------------------------------------------ */
static int delete_list(ice_io_t *io, ice_pathset_t *s, int64_t *count, prestige_error_t *err) {
  (void)err;
  for (size_t i = 0; i < s->cap; i++) {
    if (!s->slots[i]) continue;
    prestige_error_t e;
    if (ice_io_delete(io, s->slots[i], &e)) LOG_WARN("could not delete %s: %s", s->slots[i], e.message);
    else (*count)++;
  }
  return 0;
}

int ice_expire_snapshots(ice_catalog_t *catalog, const ice_ident_t *ident, ice_io_t *io, ice_loaded_table_t *table,
                         const ice_expire_options_t *o, ice_expire_result_t *res, prestige_error_t *err) {
  memset(res, 0, sizeof(*res));
  ice_expire_options_t dflt = ICE_EXPIRE_OPTIONS_INIT;
  if (!o) o = &dflt;
  const ice_table_metadata_t *md = table->metadata;
  const char *name = o->what ? o->what : "table";
  if (o->retain_last < 0) return prestige_error_set(err, PRESTIGE_EINVAL, "expire %s: retain_last must not be negative", name);
  int64_t now = prestige_now_ms();
  int64_t older_than = o->older_than_ms != ICE_EXPIRE_DEFAULT
                           ? o->older_than_ms
                           : now - prop_i64(md, "history.expire.max-snapshot-age-ms", 5LL * 24 * 3600 * 1000);
  int64_t retain = o->retain_last > 0 ? o->retain_last : prop_i64(md, "history.expire.min-snapshots-to-keep", 1);
  /* what stays: ref heads; per branch, its newest `retain` ancestors and those newer than the cutoff;
   * snapshots on no branch when newer than the cutoff */
  size_t ns = md->n_snapshots;
  bool *keep = calloc(ns + 1, sizeof(bool)), *on_branch = calloc(ns + 1, sizeof(bool));
  int64_t *expired = calloc(ns + 1, sizeof(int64_t));
  if (!keep || !on_branch || !expired) {
    free(keep), free(on_branch), free(expired);
    return oom(err);
  }
  for (size_t r = 0; r < md->n_refs; r++) {
    const ice_snapshot_ref_t *ref = &md->refs[r];
    int64_t min_keep = ref->has_min_snapshots_to_keep ? ref->min_snapshots_to_keep : retain;
    int64_t depth = 0;
    for (const ice_snapshot_t *s = ice_metadata_snapshot(md, ref->snapshot_id); s;
         s = s->has_parent ? ice_metadata_snapshot(md, s->parent_id) : NULL) {
      size_t i = 0;
      while (i < ns && md->snapshots[i] != s) i++;
      if (i == ns) break;
      on_branch[i] = true;
      if (depth == 0 || (ref->type == ICE_REF_BRANCH && (depth < min_keep || s->timestamp_ms >= older_than))) keep[i] = true;
      if (ref->type == ICE_REF_TAG) break;
      depth++;
    }
  }
  if (md->current_snapshot_id != ICE_NO_SNAPSHOT)
    for (size_t i = 0; i < ns; i++) keep[i] |= md->snapshots[i]->snapshot_id == md->current_snapshot_id;
  size_t n_expired = 0;
  for (size_t i = 0; i < ns; i++) {
    if (!on_branch[i] && md->snapshots[i]->timestamp_ms >= older_than) keep[i] = true;
    if (!keep[i]) expired[n_expired++] = md->snapshots[i]->snapshot_id;
  }
  free(on_branch);
  int rc = 0;
  if (n_expired == 0) goto done;
  /* files reachable before: those of the expired snapshots; after: those of the kept ones */
  ice_pathset_t gone_lists = {0}, gone_manifests = {0}, gone_files = {0}, kept_manifests = {0}, kept_files = {0};
  for (size_t i = 0; i < ns && !rc; i++) {
    const ice_snapshot_t *s = md->snapshots[i];
    if (keep[i]) rc = reach_snapshot(io, md, s, &kept_manifests, &kept_files, true, err);
  }
  for (size_t i = 0; i < ns && !rc; i++) {
    const ice_snapshot_t *s = md->snapshots[i];
    if (keep[i]) continue;
    if (add_norm(&gone_lists, s->manifest_list, 0)) rc = oom(err);
    ice_pathset_t ms = {0};
    if (!rc) rc = reach_snapshot(io, md, s, &ms, &gone_files, true, err);
    for (size_t k = 0; !rc && k < ms.cap; k++)
      if (ms.slots[k] && !has_norm(&kept_manifests, ms.slots[k], NULL) && add_norm(&gone_manifests, ms.slots[k], 0)) rc = oom(err);
    ice_pathset_release(&ms);
  }
  if (!rc) {
    /* the commit: remove-snapshots, guarded by the table uuid and main's head */
    ice_update_t up;
    memset(&up, 0, sizeof up);
    up.kind = ICE_UP_REMOVE_SNAPSHOTS;
    up.snapshot_ids = expired;
    up.n_snapshot_ids = n_expired;
    ice_requirement_t reqs[2];
    memset(reqs, 0, sizeof reqs);
    size_t n_reqs = 0;
    if (md->table_uuid) {
      reqs[n_reqs].kind = ICE_REQ_ASSERT_TABLE_UUID;
      reqs[n_reqs++].uuid = md->table_uuid;
    }
    const ice_snapshot_ref_t *mref = ice_metadata_ref(md, "main");
    reqs[n_reqs].kind = ICE_REQ_ASSERT_REF_SNAPSHOT_ID;
    reqs[n_reqs].ref = (char *)"main";
    reqs[n_reqs].has_snapshot_id = mref != NULL;
    reqs[n_reqs++].snapshot_id = mref ? mref->snapshot_id : 0;
    ice_table_commit_t commit = {ident, reqs, n_reqs, &up, 1};
    ice_loaded_table_t next = {0};
    rc = catalog->ops->table_commit(catalog, &commit, &next, err);
    if (rc) prestige_error_prefix(err, "expire %s", name);
    else {
      ice_loaded_table_release(table);
      *table = next;
      res->snapshots_expired = (int64_t)n_expired;
    }
  }
  if (!rc && !o->dry_run) {
    /* files only the expired snapshots reached */
    ice_pathset_t del_data = {0}, del_deletes = {0};
    for (size_t k = 0; !rc && k < gone_files.cap; k++) {
      if (!gone_files.slots[k] || has_norm(&kept_files, gone_files.slots[k], NULL)) continue;
      if (ice_pathset_add(gone_files.vals[k] == ICE_CONTENT_DATA ? &del_data : &del_deletes, gone_files.slots[k], 0)) rc = oom(err);
    }
    if (!rc) {
      delete_list(io, &del_data, &res->data_files_deleted, err);
      delete_list(io, &del_deletes, &res->delete_files_deleted, err);
      delete_list(io, &gone_manifests, &res->manifests_deleted, err);
      delete_list(io, &gone_lists, &res->manifest_lists_deleted, err);
    }
    ice_pathset_release(&del_data);
    ice_pathset_release(&del_deletes);
  }
  ice_pathset_release(&gone_lists);
  ice_pathset_release(&gone_manifests);
  ice_pathset_release(&gone_files);
  ice_pathset_release(&kept_manifests);
  ice_pathset_release(&kept_files);
done:
  free(keep);
  free(expired);
  return rc;
}

/* ---- orphan files ----------------------------------------------------------------------------------- */
typedef struct orphan_ctx {
  ice_pathset_t *reached;
  int64_t cutoff;
  char **found;
  size_t n, cap;
  int64_t listed;
} orphan_ctx_t;

static int on_listed(void *user, const char *location, uint64_t size, int64_t mtime_ms) {
  (void)size;
  orphan_ctx_t *c = user;
  c->listed++;
  if (mtime_ms >= c->cutoff || has_norm(c->reached, location, NULL)) return 0;
  if (strstr(location, "/.prestige-tmp/")) return 0; /* a writer's file in progress */
  if (c->n == c->cap) {
    size_t nc = c->cap ? c->cap * 2 : 64;
    char **g = realloc(c->found, nc * sizeof(*g));
    if (!g) return PRESTIGE_ENOMEM;
    c->found = g, c->cap = nc;
  }
  if (!(c->found[c->n] = strdup(location))) return PRESTIGE_ENOMEM;
  c->n++;
  return 0;
}

static const char *stats_path(const json_t *j) {
  const json_t *p = json_object_get(j, "statistics-path");
  return json_is_string(p) ? json_string_value(p) : NULL;
}

int ice_remove_orphans(ice_io_t *io, const ice_loaded_table_t *table, const ice_orphans_options_t *o, ice_orphans_result_t *res,
                       prestige_error_t *err) {
  memset(res, 0, sizeof(*res));
  ice_orphans_options_t dflt = ICE_ORPHANS_OPTIONS_INIT;
  if (!o) o = &dflt;
  const ice_table_metadata_t *md = table->metadata;
  int64_t older = o->older_than_ms >= 0 ? o->older_than_ms : prestige_now_ms() - 3LL * 24 * 3600 * 1000;
  ice_pathset_t reached = {0}, manifests = {0};
  int rc = 0;
  if (add_norm(&reached, table->metadata_location, 0)) rc = oom(err);
  for (size_t i = 0; i < md->n_metadata_log && !rc; i++)
    if (add_norm(&reached, md->metadata_log[i].file, 0)) rc = oom(err);
  for (size_t i = 0; i < md->n_statistics && !rc; i++)
    if (add_norm(&reached, stats_path(md->statistics[i].json), 0)) rc = oom(err);
  for (size_t i = 0; i < md->n_partition_statistics && !rc; i++)
    if (add_norm(&reached, stats_path(md->partition_statistics[i].json), 0)) rc = oom(err);
  for (size_t i = 0; i < md->n_snapshots && !rc; i++) {
    const ice_snapshot_t *s = md->snapshots[i];
    if (add_norm(&reached, s->manifest_list, 0)) rc = oom(err);
    for (size_t k = 0; k < s->n_manifests && !rc; k++)
      if (add_norm(&reached, s->manifests[k], 0)) rc = oom(err);
    if (!rc) rc = reach_snapshot(io, md, s, &manifests, &reached, false, err);
  }
  for (size_t k = 0; !rc && k < manifests.cap; k++)
    if (manifests.slots[k] && ice_pathset_add(&reached, manifests.slots[k], 0)) rc = oom(err);
  if (!rc && add_norm(&reached, "version-hint.text", 0)) rc = oom(err);
  char *hint = NULL;
  char mdir[4096];
  if (!rc && !ice_metadata_dir(md, mdir, sizeof mdir, NULL) && !ice_location_join(mdir, "version-hint.text", &hint, NULL))
    add_norm(&reached, hint, 0);
  free(hint);
  orphan_ctx_t c = {&reached, older, NULL, 0, 0, 0};
  if (!rc) {
    rc = ice_io_list(io, md->location, on_listed, &c, err);
    if (rc == PRESTIGE_ENOTFOUND) rc = 0;
    else if (rc) prestige_error_prefix(err, "remove orphans: listing %s", md->location);
  }
  res->files_listed = c.listed;
  res->orphans = (int64_t)c.n;
  for (size_t i = 0; i < c.n && !rc; i++) {
    if (o->on_orphan) o->on_orphan(o->user, c.found[i]);
    if (o->dry_run) continue;
    prestige_error_t e;
    if (ice_io_delete(io, c.found[i], &e)) LOG_WARN("could not delete %s: %s", c.found[i], e.message);
    else res->deleted++;
  }
  for (size_t i = 0; i < c.n; i++) free(c.found[i]);
  free(c.found);
  ice_pathset_release(&reached);
  ice_pathset_release(&manifests);
  return rc;
}

/* ---- rewrite manifests -------------------------------------------------------------------------------- */
int ice_rewrite_manifests(ice_catalog_t *catalog, const ice_ident_t *ident, ice_io_t *io, ice_loaded_table_t *table,
                          const ice_rewrite_manifests_options_t *o, ice_rewrite_manifests_result_t *res, prestige_error_t *err) {
  memset(res, 0, sizeof(*res));
  ice_rewrite_manifests_options_t dflt = ICE_REWRITE_MANIFESTS_OPTIONS_INIT;
  if (!o) o = &dflt;
  const char *name = o->what ? o->what : "table";
  ice_retry_policy_t pol;
  ice_retry_policy_from_table(table->metadata, &pol);
  for (int attempt = 1;; attempt++) {
    const ice_table_metadata_t *md = table->metadata;
    const ice_snapshot_t *parent = ice_metadata_current_snapshot(md);
    if (!parent) return 0;
    if (md->format_version < 2) return prestige_error_set(err, PRESTIGE_EUNSUPPORTED, "rewrite manifests of %s: format version 1", name);
    int64_t target = o->target_manifest_bytes > 0 ? o->target_manifest_bytes : prop_i64(md, "commit.manifest.target-size-bytes", 8LL << 20);
    ice_manifest_file_t *mfs = NULL;
    size_t n = 0;
    PRESTIGE_TRY(ice_snapshot_manifests(io, parent, &mfs, &n, err));
    int64_t snapshot_id;
    char uuid[37], mdir[4096];
    int rc = ice_new_snapshot_id(md, &snapshot_id, err);
    if (!rc) rc = ice_uuid_v4(uuid, err);
    if (!rc) rc = ice_metadata_dir(md, mdir, sizeof mdir, err);
    /* small data manifests (below the target) are merged, per spec */
    ice_manifest_file_t *out = calloc(n + 1, sizeof(*out));
    bool *merged = calloc(n + 1, sizeof(bool));
    size_t n_out = 0, n_merged = 0;
    char **written = calloc(n + 2, sizeof(char *));
    size_t n_written = 0;
    if (!rc && (!out || !merged || !written)) rc = oom(err);
    for (size_t i = 0; i < n && !rc; i++) {
      if (merged[i] || mfs[i].content != ICE_MANIFEST_DATA || mfs[i].length >= target) continue;
      size_t count = 0;
      for (size_t k = i; k < n; k++)
        count += !merged[k] && mfs[k].content == ICE_MANIFEST_DATA && mfs[k].length < target && mfs[k].spec_id == mfs[i].spec_id;
      if (count < 2) continue;
      const ice_partition_spec_t *spec = ice_metadata_spec(md, mfs[i].spec_id);
      char loc[4300];
      snprintf(loc, sizeof loc, "%s/%s-m%zu.avro", mdir, uuid, n_out);
      ice_manifest_writer_t *w = NULL;
      rc = spec ? ice_manifest_writer_open(&w, io, loc, md->format_version, ice_metadata_current_schema(md), spec, ICE_MANIFEST_DATA,
                                           snapshot_id, err)
                : prestige_error_set(err, PRESTIGE_ECORRUPT, "manifest %s names a missing spec", mfs[i].path);
      if (!rc && !(written[n_written++] = strdup(loc))) rc = oom(err);
      int64_t bytes = 0;
      for (size_t k = i; k < n && !rc; k++) {
        if (merged[k] || mfs[k].content != ICE_MANIFEST_DATA || mfs[k].length >= target || mfs[k].spec_id != mfs[i].spec_id) continue;
        if (bytes && bytes + mfs[k].length > target) break;
        ice_manifest_t m;
        if ((rc = ice_manifest_read(io, &mfs[k], md, keep_all, NULL, &m, err))) break;
        for (size_t e = 0; e < m.n_entries && !rc; e++)
          if (m.entries[e].status != ICE_ENTRY_DELETED) rc = ice_manifest_writer_existing(w, &m.entries[e], err);
        ice_manifest_release(&m);
        merged[k] = true;
        n_merged++;
        bytes += mfs[k].length;
      }
      if (w) {
        if (rc) ice_manifest_writer_abort(w);
        else if (!(rc = ice_manifest_writer_close(w, &out[n_out], err))) n_out++;
      }
    }
    bool committed = false;
    if (!rc && n_out) {
      char list_loc[4400];
      snprintf(list_loc, sizeof list_loc, "%s/snap-%" PRId64 "-1-%s.avro", mdir, snapshot_id, uuid);
      int64_t seq = md->last_sequence_number + 1, first_row_id = md->format_version >= 3 ? md->next_row_id : 0, next_row = 0;
      ice_manifest_list_writer_t *lw;
      rc = ice_manifest_list_writer_open(&lw, io, list_loc, md->format_version, snapshot_id, &parent->snapshot_id, seq, first_row_id, err);
      if (!rc && !(written[n_written++] = strdup(list_loc))) rc = oom(err);
      for (size_t i = 0; i < n_out && !rc; i++) rc = ice_manifest_list_writer_add(lw, &out[i], err);
      for (size_t i = 0; i < n && !rc; i++)
        if (!merged[i]) rc = ice_manifest_list_writer_add(lw, &mfs[i], err);
      if (!rc) rc = ice_manifest_list_writer_close(lw, &next_row, err);
      else ice_manifest_list_writer_abort(lw);
      ice_snapshot_t snap;
      memset(&snap, 0, sizeof snap);
      if (!rc) {
        char b[32];
        snprintf(b, sizeof b, "%zu", n_out);
        rc = ice_strmap_set(&snap.summary, "manifests-created", b);
        snprintf(b, sizeof b, "%zu", n_merged);
        if (!rc) rc = ice_strmap_set(&snap.summary, "manifests-replaced", b);
        snprintf(b, sizeof b, "%zu", n - n_merged);
        if (!rc) rc = ice_strmap_set(&snap.summary, "manifests-kept", b);
        static const char *const totals[] = {"total-records", "total-files-size", "total-data-files", "total-delete-files",
                                             "total-position-deletes", "total-equality-deletes"};
        for (size_t t = 0; t < 6 && !rc; t++) {
          const char *v = ice_strmap_get(&parent->summary, totals[t]);
          if (v) rc = ice_strmap_set(&snap.summary, totals[t], v);
        }
        if (rc) rc = oom(err);
      }
      if (!rc) {
        snap.snapshot_id = snapshot_id;
        snap.has_parent = true;
        snap.parent_id = parent->snapshot_id;
        snap.sequence_number = seq;
        snap.manifest_list = list_loc;
        snap.operation = (char *)"replace";
        ice_loaded_table_t next = {0};
        rc = ice_commit_snapshot(catalog, ident, md, &snap, "main", &parent->snapshot_id, first_row_id, next_row, &next, err);
        if (!rc) {
          ice_loaded_table_release(table);
          *table = next;
          committed = true;
          res->snapshot_id = snapshot_id;
          res->manifests_replaced = (int64_t)n_merged;
          res->manifests_written = (int64_t)n_out;
          res->attempts = attempt;
        }
      }
      ice_strmap_release(&snap.summary);
    }
    if (!committed && rc != PRESTIGE_EUNKNOWN_STATE)
      for (size_t i = 0; i < n_written; i++) ice_io_delete(io, written[i], NULL);
    for (size_t i = 0; written && i < n_written; i++) free(written[i]);
    free(written);
    for (size_t i = 0; out && i < n_out; i++) ice_manifest_file_release(&out[i]);
    free(out);
    free(merged);
    ice_manifest_files_free(mfs, n);
    if (rc != PRESTIGE_ECONFLICT || attempt > pol.num_retries) return rc ? prestige_error_prefix(err, "rewrite manifests of %s", name), rc : 0;
    ice_loaded_table_t cur = {0};
    PRESTIGE_TRY(catalog->ops->table_load(catalog, ident, &cur, err));
    ice_loaded_table_release(table);
    *table = cur;
    ice_retry_sleep(&pol, attempt);
  }
}

static bool sleep_ms(int64_t ms) {
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0) {
  }
  return false;
}

/* ---- the scheduler ------------------------------------------------------------------------------------- */
int ice_maintain(ice_catalog_t *catalog, const ice_ident_t *ident, ice_io_t *io, ice_loaded_table_t *table,
                 const ice_maintain_options_t *o, prestige_shutdown_t *stop, ice_maintain_metrics_t *m, prestige_error_t *err) {
  memset(m, 0, sizeof(*m));
  if (!o || o->interval_ms <= 0) return prestige_error_set(err, PRESTIGE_EINVAL, "maintain: interval_ms must be positive");
  int threshold = o->compact.min_files > 0 ? o->compact.min_files : 5;
  int rc = 0;
  for (;;) {
    if (stop && prestige_shutdown_triggered(stop)) break;
    m->runs++;
    prestige_error_t e;
    prestige_error_init(&e);
    ice_loaded_table_t cur = {0};
    int r = catalog->ops->table_load(catalog, ident, &cur, &e);
    if (!r) {
      ice_loaded_table_release(table);
      *table = cur;
    }
    ice_partition_count_t *pc = NULL;
    size_t n = 0;
    if (!r) r = ice_count_partition_files(io, table->metadata, &pc, &n, &e);
    const char **want = r ? NULL : calloc(n + 1, sizeof(char *));
    size_t n_want = 0;
    for (size_t i = 0; want && i < n; i++)
      if (pc[i].files >= threshold || (pc[i].delete_files > 0 && pc[i].files > 0)) want[n_want++] = pc[i].key;
    m->partitions_over_threshold += (int64_t)n_want;
    if (!r && n_want) {
      ice_compact_options_t co = o->compact;
      co.partitions = want;
      co.n_partitions = n_want;
      ice_compact_result_t cr;
      r = ice_compact(catalog, ident, io, table, &co, &cr, &e);
      if (!r && cr.snapshot_id >= 0) {
        m->compactions++;
        m->files_read += cr.files_read;
        m->files_written += cr.files_written;
        m->duplicates_eliminated += cr.duplicates_eliminated;
        m->last_snapshot_id = cr.snapshot_id;
      }
      m->groups_conflicted += r ? 0 : cr.groups_conflicted;
    }
    free(want);
    ice_partition_counts_free(pc, n);
    if (r) {
      m->errors++;
      snprintf(m->last_error, sizeof m->last_error, "%s", e.message);
      LOG_WARN("maintain: %s", e.message);
      if (r == PRESTIGE_ENOMEM || r == PRESTIGE_EINVAL) {
        rc = r;
        if (err) *err = e;
        break;
      }
    }
    if (o->on_run) o->on_run(o->user, m);
    if (o->max_runs > 0 && m->runs >= o->max_runs) break;
    if (stop ? prestige_shutdown_wait(stop, o->interval_ms) : sleep_ms(o->interval_ms)) break;
  }
  return rc;
}
