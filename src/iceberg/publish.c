/*
 * Write-audit-publish: a branch's staged commits made visible on main, by fast-forward when main
 * is an ancestor of the branch, else by cherry-picking each staged append (Java's
 * CherryPickOperation for appends: the same data files in a new snapshot on main, with
 * source-snapshot-id and published-wap-id in its summary). See prestige/iceberg_sink.h.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "iceberg/sink_internal.h"

static int oom(prestige_error_t *err) { return prestige_error_set(err, PRESTIGE_ENOMEM, "publish: out of memory"); }

/* Whether a snapshot in main's ancestry already published staged (source-snapshot-id). */
static bool published(const ice_table_metadata_t *md, const ice_snapshot_t *main_snap, int64_t staged) {
  char buf[32];
  snprintf(buf, sizeof buf, "%" PRId64, staged);
  for (const ice_snapshot_t *s = main_snap; s; s = s->has_parent ? ice_metadata_snapshot(md, s->parent_id) : NULL) {
    const char *v = ice_strmap_get(&s->summary, "source-snapshot-id");
    if (v && !strcmp(v, buf)) return true;
  }
  return false;
}

typedef struct added_ctx {
  int64_t snapshot_id;
} added_ctx_t;

static bool keep_added(void *user, const ice_manifest_entry_t *e) {
  const added_ctx_t *c = user;
  return e->status == ICE_ENTRY_ADDED && e->has_snapshot_id && e->snapshot_id == c->snapshot_id;
}

/* Appends staged's added data files to main in a new snapshot. */
static int cherry_pick(prestige_iceberg_table_t *t, const ice_snapshot_t *staged, int64_t *out, prestige_error_t *err) {
  const ice_table_metadata_t *md = t->loaded.metadata;
  if (!staged->operation || strcmp(staged->operation, "append"))
    return prestige_error_set(err, PRESTIGE_EUNSUPPORTED,
                              "publish %s: staged snapshot %" PRId64 " is a%s %s, only appends can be cherry-picked onto "
                              "main that moved",
                              t->ident_text, staged->snapshot_id, staged->operation ? "n" : "",
                              staged->operation ? staged->operation : "snapshot without operation");
  ice_manifest_file_t *mfs = NULL;
  size_t n_mfs = 0;
  PRESTIGE_TRY(ice_snapshot_manifests(t->io, staged, &mfs, &n_mfs, err));
  ice_manifest_t *ms = calloc(n_mfs ? n_mfs : 1, sizeof *ms);
  size_t n_ms = 0;
  int rc = ms ? 0 : oom(err);
  added_ctx_t ctx = {staged->snapshot_id};
  for (size_t i = 0; !rc && i < n_mfs; i++) {
    if (mfs[i].content != ICE_MANIFEST_DATA || mfs[i].added_snapshot_id != staged->snapshot_id) continue;
    if (!(rc = ice_manifest_read(t->io, &mfs[i], md, keep_added, &ctx, &ms[n_ms], err))) n_ms++;
  }
  char src[32];
  snprintf(src, sizeof src, "%" PRId64, staged->snapshot_id);
  const char *wap = ice_strmap_get(&staged->summary, "wap.id");
  prestige_kv_t kv[2] = {{"source-snapshot-id", src, -1}, {"published-wap-id", wap, -1}};
  ice_append_options_t ao = ICE_APPEND_OPTIONS_INIT;
  ao.summary = kv;
  ao.n_summary = wap ? 2 : 1;
  ice_append_t *a = NULL;
  if (!rc) rc = ice_append_new(&a, t->catalog, &t->ident, t->io, &t->loaded, &ao, err);
  for (size_t i = 0; !rc && i < n_ms; i++)
    for (size_t k = 0; !rc && k < ms[i].n_entries; k++) {
      ice_data_file_t f = ms[i].entries[k].file;
      f.spec_id = ms[i].spec_id;
      f.has_first_row_id = false;
      rc = ice_append_add_file(a, &f, err);
    }
  ice_commit_result_t res;
  ice_loaded_table_t next = {0};
  if (!rc) rc = ice_append_commit(a, &res, &next, err);
  if (!rc) {
    *out = res.snapshot_id;
    ice_commit_result_release(&res);
    if (next.metadata) rc = ice_table_replace(t, &next, err);
    ice_loaded_table_release(&next);
  }
  ice_append_free(a);
  for (size_t i = 0; i < n_ms; i++) ice_manifest_release(&ms[i]);
  free(ms);
  ice_manifest_files_free(mfs, n_mfs);
  return rc;
}

int ice_publish_branch(prestige_iceberg_table_t *t, const char *branch, int64_t *snapshot_id, prestige_error_t *err) {
  if (snapshot_id) *snapshot_id = -1;
  if (!branch || !*branch || !strcmp(branch, "main"))
    return prestige_error_set(err, PRESTIGE_EINVAL, "publish: a branch other than main is required");
  for (int attempt = 0;; attempt++) {
    PRESTIGE_TRY(prestige_iceberg_table_refresh(t, err));
    const ice_table_metadata_t *md = t->loaded.metadata;
    const ice_snapshot_ref_t *b = ice_metadata_ref(md, branch);
    if (!b) return prestige_error_set(err, PRESTIGE_ENOTFOUND, "publish %s: no branch %s", t->ident_text, branch);
    if (b->type != ICE_REF_BRANCH)
      return prestige_error_set(err, PRESTIGE_EINVAL, "publish %s: %s is a tag, not a branch", t->ident_text, branch);
    const ice_snapshot_ref_t *m = ice_metadata_ref(md, "main");
    int64_t bsid = b->snapshot_id;
    if (m && m->snapshot_id == bsid) {
      if (snapshot_id) *snapshot_id = bsid;
      return 0;
    }
    int rc;
    if (!m || ice_snapshot_is_ancestor(md, bsid, m->snapshot_id)) {
      /* fast-forward */
      ice_update_t up;
      memset(&up, 0, sizeof up);
      up.kind = ICE_UP_SET_SNAPSHOT_REF;
      up.ref.name = (char *)"main";
      up.ref.snapshot_id = bsid;
      up.ref.type = ICE_REF_BRANCH;
      ice_requirement_t reqs[2];
      size_t n = ice_branch_requirements(md, "main", m ? &m->snapshot_id : NULL, reqs);
      prestige_error_t cerr;
      rc = ice_table_commit(t, reqs, n, &up, 1, &cerr);
      if (!rc) {
        if (snapshot_id) *snapshot_id = bsid;
        return 0;
      }
      if (rc != PRESTIGE_ECONFLICT || attempt >= 5) {
        if (err) *err = cerr;
        return prestige_error_prefix(err, "publish %s: fast-forward of main to %s", t->ident_text, branch);
      }
      continue;
    }
    /* cherry-pick: the branch's snapshots since it left main's history, oldest first */
    const ice_snapshot_t *msnap = ice_metadata_snapshot(md, m->snapshot_id);
    int64_t *staged = NULL;
    size_t n = 0;
    for (const ice_snapshot_t *s = ice_metadata_snapshot(md, bsid); s;
         s = s->has_parent ? ice_metadata_snapshot(md, s->parent_id) : NULL) {
      if (ice_snapshot_is_ancestor(md, m->snapshot_id, s->snapshot_id)) break;
      int64_t *g = realloc(staged, (n + 1) * sizeof *g);
      if (!g) {
        free(staged);
        return oom(err);
      }
      staged = g;
      staged[n++] = s->snapshot_id;
    }
    int64_t last = m->snapshot_id;
    rc = 0;
    for (size_t i = n; i-- > 0 && !rc;) {
      md = t->loaded.metadata;
      msnap = ice_metadata_current_snapshot(md);
      if (published(md, msnap, staged[i])) continue;
      const ice_snapshot_t *s = ice_metadata_snapshot(md, staged[i]);
      if (!s) {
        rc = prestige_error_set(err, PRESTIGE_ECONFLICT, "publish %s: staged snapshot %" PRId64 " disappeared", t->ident_text,
                                staged[i]);
        break;
      }
      rc = cherry_pick(t, s, &last, err);
    }
    free(staged);
    if (rc) return prestige_error_prefix(err, "publish %s: cherry-pick from %s", t->ident_text, branch);
    if (snapshot_id) *snapshot_id = last;
    return 0;
  }
}

int prestige_iceberg_publish(prestige_iceberg_table_t *t, const char *branch, int64_t *snapshot_id, prestige_error_t *err) {
  if (snapshot_id) *snapshot_id = -1;
  if (!t) return prestige_error_set(err, PRESTIGE_EINVAL, "publish: table is NULL");
  return ice_publish_branch(t, branch, snapshot_id, err);
}
