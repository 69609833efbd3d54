/* Commits that add and remove files, with Java's validations re-run on every attempt (see rewrite.h). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/log.h"
#include "iceberg/rewrite.h"
#include "iceberg/table.h"
#include "iceberg/table_ops.h"

static int oom(prestige_error_t *err) { return prestige_error_set(err, PRESTIGE_ENOMEM, "commit: out of memory"); }

/* ---- path sets ---------------------------------------------------------------------------------- */
static uint64_t hash_str(const char *p) {
  uint64_t h = 1469598103934665603ULL;
  for (; *p; p++) h = (h ^ (uint8_t)*p) * 1099511628211ULL;
  return h;
}

static size_t ps_find(const ice_pathset_t *s, const char *p) {
  size_t i = (size_t)(hash_str(p) & (s->cap - 1));
  while (s->slots[i] && strcmp(s->slots[i], p)) i = (i + 1) & (s->cap - 1);
  return i;
}

int ice_pathset_add(ice_pathset_t *s, const char *p, int64_t val) {
  if ((s->n + 1) * 2 > s->cap) {
    size_t nc = s->cap ? s->cap * 2 : 64;
    char **sl = calloc(nc, sizeof(*sl));
    int64_t *vl = calloc(nc, sizeof(*vl));
    if (!sl || !vl) {
      free(sl), free(vl);
      return PRESTIGE_ENOMEM;
    }
    ice_pathset_t g = {sl, vl, 0, nc};
    for (size_t i = 0; i < s->cap; i++)
      if (s->slots[i]) {
        size_t k = ps_find(&g, s->slots[i]);
        g.slots[k] = s->slots[i];
        g.vals[k] = s->vals[i];
      }
    free(s->slots), free(s->vals);
    s->slots = sl, s->vals = vl, s->cap = nc;
  }
  size_t i = ps_find(s, p);
  if (!s->slots[i]) {
    if (!(s->slots[i] = strdup(p))) return PRESTIGE_ENOMEM;
    s->n++;
  }
  s->vals[i] = val;
  return 0;
}

bool ice_pathset_get(const ice_pathset_t *s, const char *p, int64_t *val) {
  if (!s->cap || !p) return false;
  size_t i = ps_find(s, p);
  if (!s->slots[i]) return false;
  if (val) *val = s->vals[i];
  return true;
}

void ice_pathset_release(ice_pathset_t *s) {
  for (size_t i = 0; i < s->cap; i++) free(s->slots[i]);
  free(s->slots), free(s->vals);
  memset(s, 0, sizeof(*s));
}

void ice_rewrite_result_release(ice_rewrite_result_t *r) {
  free(r->group_ok);
  memset(r, 0, sizeof(*r));
}

int ice_partition_key(const ice_table_metadata_t *md, const ice_data_file_t *f, buf_t *out, prestige_error_t *err) {
  buf_clear(out);
  char head[32];
  int n = snprintf(head, sizeof head, "%d:", f->spec_id);
  if (buf_append(out, head, (size_t)n)) return oom(err);
  if (!f->n_partition) return buf_append_u8(out, 0) ? oom(err) : 0;
  const ice_partition_spec_t *spec = ice_metadata_spec(md, f->spec_id);
  if (!spec) return prestige_error_set(err, PRESTIGE_ECORRUPT, "file %s names partition spec %d, which the table lacks", f->file_path, f->spec_id);
  ice_type_t *pt = NULL;
  PRESTIGE_TRY(ice_partition_spec_type(spec, ice_metadata_current_schema(md), &pt, err));
  buf_t tmp = BUF_INIT;
  int rc = 0;
  static const char hex[] = "0123456789abcdef";
  for (uint32_t k = 0; k < f->n_partition && k < pt->n_fields && !rc; k++) {
    const ice_value_t *v = &f->partition[k];
    if (v->is_null) {
      rc = buf_append(out, "N/", 2) ? oom(err) : 0;
      continue;
    }
    rc = ice_value_to_bytes(pt->fields[k].type, v, &tmp, err);
    for (size_t i = 0; !rc && i < tmp.len; i++)
      if (buf_append_u8(out, (uint8_t)hex[tmp.data[i] >> 4]) || buf_append_u8(out, (uint8_t)hex[tmp.data[i] & 15])) rc = oom(err);
    if (!rc && buf_append_u8(out, '/')) rc = oom(err);
  }
  if (!rc && buf_append_u8(out, 0)) rc = oom(err);
  buf_release(&tmp);
  ice_type_free(pt);
  return rc;
}

/* ---- the state across attempts ------------------------------------------------------------------- */
typedef struct rw {
  ice_catalog_t *catalog;
  const ice_ident_t *ident;
  ice_io_t *io;
  const ice_rewrite_group_t *groups;
  size_t n_groups;
  const ice_rewrite_options_t *o;
  const char *what;
  int64_t snapshot_id;
  char uuid[37];
  char mdir[4096];
  int n_written_manifests;
  ice_manifest_file_t *added; /* manifests of the added files (written once) */
  size_t n_added;
  char **written; /* every manifest and list written (cleanup) */
  size_t n_written;
  bool *active; /* groups still in */
  ice_rewrite_result_t *res;
} rw_t;

static int note_written(rw_t *w, const char *loc, prestige_error_t *err) {
  char **g = realloc(w->written, (w->n_written + 1) * sizeof(*g));
  if (!g) return oom(err);
  w->written = g;
  if (!(g[w->n_written] = strdup(loc))) return oom(err);
  w->n_written++;
  return 0;
}

static void next_manifest_loc(rw_t *w, char *loc, size_t n) {
  snprintf(loc, n, "%s/%s-m%d.avro", w->mdir, w->uuid, w->n_written_manifests++);
}

/* One manifest per spec for the added files of the active groups of one content. */
static int write_added(rw_t *w, const ice_table_metadata_t *md, bool deletes, prestige_error_t *err) {
  int32_t specs[64];
  size_t n_specs = 0;
  for (size_t g = 0; g < w->n_groups; g++) {
    const ice_data_file_t *fs = deletes ? w->groups[g].add_deletes : w->groups[g].add_data;
    size_t n = deletes ? w->groups[g].n_add_deletes : w->groups[g].n_add_data;
    for (size_t i = 0; i < n; i++) {
      bool seen = false;
      for (size_t k = 0; k < n_specs; k++) seen |= specs[k] == fs[i].spec_id;
      if (!seen) {
        if (n_specs == 64) return prestige_error_set(err, PRESTIGE_EUNSUPPORTED, "%s: files of more than 64 specs", w->what);
        specs[n_specs++] = fs[i].spec_id;
      }
    }
  }
  for (size_t s = 0; s < n_specs; s++) {
    const ice_partition_spec_t *spec = ice_metadata_spec(md, specs[s]);
    if (!spec) return prestige_error_set(err, PRESTIGE_EINVAL, "%s: a new file names partition spec %d, which the table lacks", w->what, specs[s]);
    char loc[4300];
    next_manifest_loc(w, loc, sizeof loc);
    ice_manifest_writer_t *mw;
    PRESTIGE_TRY(ice_manifest_writer_open(&mw, w->io, loc, md->format_version, ice_metadata_current_schema(md), spec,
                                          deletes ? ICE_MANIFEST_DELETES : ICE_MANIFEST_DATA, w->snapshot_id, err));
    int rc = 0;
    for (size_t g = 0; g < w->n_groups && !rc; g++) {
      const ice_data_file_t *fs = deletes ? w->groups[g].add_deletes : w->groups[g].add_data;
      size_t n = deletes ? w->groups[g].n_add_deletes : w->groups[g].n_add_data;
      for (size_t i = 0; i < n && !rc; i++)
        if (fs[i].spec_id == specs[s]) rc = ice_manifest_writer_add(mw, &fs[i], err);
    }
    if (rc) {
      ice_manifest_writer_abort(mw);
      return rc;
    }
    ice_manifest_file_t *g = realloc(w->added, (w->n_added + 1) * sizeof(*g));
    if (!g) {
      ice_manifest_writer_abort(mw);
      return oom(err);
    }
    w->added = g;
    PRESTIGE_TRY(ice_manifest_writer_close(mw, &w->added[w->n_added], err));
    w->n_added++;
    PRESTIGE_TRY(note_written(w, loc, err));
  }
  return 0;
}

/* ---- one attempt --------------------------------------------------------------------------------- */
typedef struct live_ref {
  uint32_t m, e;
} live_ref_t;

static int64_t enc(uint32_t m, uint32_t e) { return ((int64_t)m << 32) | e; }

static const char *pos_delete_target(const ice_data_file_t *f) {
  if (f->referenced_data_file) return f->referenced_data_file;
  const uint8_t *lo, *hi;
  uint32_t ll, hl;
  /* file_path (2147483546) bounds equal: every row names one data file */
  static __thread char one[4096];
  if (ice_bounds_get(&f->lower_bounds, 2147483546, &lo, &ll) && ice_bounds_get(&f->upper_bounds, 2147483546, &hi, &hl) &&
      ll == hl && !memcmp(lo, hi, ll) && ll < sizeof one) {
    memcpy(one, lo, ll);
    one[ll] = 0;
    return one;
  }
  return NULL;
}

typedef struct attempt_ctx {
  ice_manifest_file_t *mfs;
  size_t n_mfs;
  ice_manifest_t *ms;
  ice_pathset_t live;    /* path -> enc(manifest, entry) */
  ice_pathset_t removed; /* paths this attempt removes */
} attempt_ctx_t;

static void attempt_release(attempt_ctx_t *a) {
  for (size_t i = 0; a->ms && i < a->n_mfs; i++) ice_manifest_release(&a->ms[i]);
  free(a->ms);
  ice_manifest_files_free(a->mfs, a->n_mfs);
  ice_pathset_release(&a->live);
  ice_pathset_release(&a->removed);
  memset(a, 0, sizeof(*a));
}

static bool keep_live(void *u, const ice_manifest_entry_t *e) {
  (void)u;
  return e->status != ICE_ENTRY_DELETED;
}

static const ice_manifest_entry_t *live_entry(const attempt_ctx_t *a, const char *path) {
  int64_t v;
  if (!ice_pathset_get(&a->live, path, &v)) return NULL;
  return &a->ms[v >> 32].entries[(uint32_t)v];
}

/* Whether group g still holds against the head: ECONFLICT naming the file when not. */
static int validate_group(rw_t *w, const ice_table_metadata_t *md, const attempt_ctx_t *a, const ice_rewrite_group_t *g,
                          int64_t base_seq, prestige_error_t *err) {
  for (size_t i = 0; i < g->n_remove; i++)
    if (!live_entry(a, g->remove[i]))
      return prestige_error_set(err, PRESTIGE_ECONFLICT, "%s: file %s was removed by a concurrent commit", w->what, g->remove[i]);
  for (size_t i = 0; i < g->n_require_live; i++) {
    const ice_manifest_entry_t *e = live_entry(a, g->require_live[i]);
    if (!e || e->file.content != ICE_CONTENT_DATA)
      return prestige_error_set(err, PRESTIGE_ECONFLICT, "%s: data file %s was removed by a concurrent commit", w->what,
                                g->require_live[i]);
  }
  if (!g->no_new_deletes && !g->no_new_dvs) return 0;
  /* delete files added after the base */
  buf_t k1 = BUF_INIT, k2 = BUF_INIT;
  int rc = 0;
  for (size_t m = 0; m < a->n_mfs && !rc; m++) {
    if (a->mfs[m].content != ICE_MANIFEST_DELETES) continue;
    for (size_t e = 0; e < a->ms[m].n_entries && !rc; e++) {
      const ice_manifest_entry_t *d = &a->ms[m].entries[e];
      if (d->sequence_number <= base_seq) continue;
      const ice_data_file_t *df = &d->file;
      if (df->content == ICE_CONTENT_POSITION_DELETES) {
        const char *target = pos_delete_target(df);
        for (size_t i = 0; g->no_new_dvs && target && i < g->n_require_live && !rc; i++)
          if (!strcmp(target, g->require_live[i]))
            rc = prestige_error_set(err, PRESTIGE_ECONFLICT, "%s: a concurrent commit added deletes (%s) for data file %s",
                                    w->what, df->file_path, target);
      }
      if (!g->no_new_deletes) continue;
      bool global = false;
      if (df->content == ICE_CONTENT_EQUALITY_DELETES) {
        const ice_partition_spec_t *ds = ice_metadata_spec(md, df->spec_id);
        global = ds && ice_partition_spec_is_unpartitioned(ds);
      }
      const char *target = df->content == ICE_CONTENT_POSITION_DELETES ? pos_delete_target(df) : NULL;
      if (!global && (rc = ice_partition_key(md, df, &k1, err))) break;
      for (size_t i = 0; i < g->n_remove && !rc; i++) {
        const ice_manifest_entry_t *r = live_entry(a, g->remove[i]);
        if (!r || r->file.content != ICE_CONTENT_DATA) continue;
        bool applies;
        if (target) applies = !strcmp(target, g->remove[i]);
        else if (global) applies = true;
        else {
          if ((rc = ice_partition_key(md, &r->file, &k2, err))) break;
          applies = k1.len == k2.len && !memcmp(k1.data, k2.data, k1.len);
        }
        if (applies)
          rc = prestige_error_set(err, PRESTIGE_ECONFLICT, "%s: a concurrent commit added deletes (%s) that apply to %s", w->what,
                                  df->file_path, g->remove[i]);
      }
    }
  }
  buf_release(&k1);
  buf_release(&k2);
  return rc;
}

/* The live delete files that would apply to no live data file once the removals land. */
static int mark_dangling(rw_t *w, const ice_table_metadata_t *md, attempt_ctx_t *a, int64_t *n_dangling, prestige_error_t *err) {
  ice_pathset_t live_data = {0}, part_min = {0}, candidates = {0}, puffin_keep = {0};
  int64_t global_min = INT64_MAX;
  buf_t key = BUF_INIT;
  int rc = 0;
  for (size_t m = 0; m < a->n_mfs && !rc; m++) {
    if (a->mfs[m].content != ICE_MANIFEST_DATA) continue;
    for (size_t e = 0; e < a->ms[m].n_entries && !rc; e++) {
      const ice_manifest_entry_t *x = &a->ms[m].entries[e];
      if (ice_pathset_get(&a->removed, x->file.file_path, NULL)) continue;
      if (ice_pathset_add(&live_data, x->file.file_path, x->sequence_number)) rc = oom(err);
      if (!rc) rc = ice_partition_key(md, &x->file, &key, err);
      int64_t cur;
      if (!rc && (!ice_pathset_get(&part_min, (const char *)key.data, &cur) || x->sequence_number < cur) &&
          ice_pathset_add(&part_min, (const char *)key.data, x->sequence_number))
        rc = oom(err);
      if (x->sequence_number < global_min) global_min = x->sequence_number;
    }
  }
  for (size_t m = 0; m < a->n_mfs && !rc; m++) {
    if (a->mfs[m].content != ICE_MANIFEST_DELETES) continue;
    for (size_t e = 0; e < a->ms[m].n_entries && !rc; e++) {
      const ice_manifest_entry_t *d = &a->ms[m].entries[e];
      const ice_data_file_t *df = &d->file;
      if (ice_pathset_get(&a->removed, df->file_path, NULL)) continue;
      bool dangling;
      if (df->content == ICE_CONTENT_POSITION_DELETES) {
        const char *target = pos_delete_target(df);
        int64_t seq;
        if (target) dangling = !ice_pathset_get(&live_data, target, &seq) || seq > d->sequence_number;
        else {
          if ((rc = ice_partition_key(md, df, &key, err))) break;
          dangling = !ice_pathset_get(&part_min, (const char *)key.data, &seq) || seq > d->sequence_number;
        }
      } else {
        const ice_partition_spec_t *ds = ice_metadata_spec(md, df->spec_id);
        int64_t seq = global_min;
        if (!(ds && ice_partition_spec_is_unpartitioned(ds))) {
          if ((rc = ice_partition_key(md, df, &key, err))) break;
          if (!ice_pathset_get(&part_min, (const char *)key.data, &seq)) seq = INT64_MAX;
        }
        dangling = !(seq < d->sequence_number);
      }
      /* a Puffin file holds several DVs and goes only when every one of them dangles */
      if (!dangling && !strcasecmp(df->file_format, "puffin") && ice_pathset_add(&puffin_keep, df->file_path, 1)) rc = oom(err);
      if (dangling && ice_pathset_add(&candidates, df->file_path, 1)) rc = oom(err);
    }
  }
  for (size_t i = 0; !rc && i < candidates.cap; i++) {
    if (!candidates.slots[i] || ice_pathset_get(&puffin_keep, candidates.slots[i], NULL)) continue;
    if (ice_pathset_add(&a->removed, candidates.slots[i], 1)) rc = oom(err);
    else (*n_dangling)++;
  }
  ice_pathset_release(&candidates);
  ice_pathset_release(&puffin_keep);
  buf_release(&key);
  ice_pathset_release(&live_data);
  ice_pathset_release(&part_min);
  return rc;
}

static int set_i64(ice_strmap_t *m, const char *k, int64_t v) {
  char b[32];
  snprintf(b, sizeof b, "%" PRId64, v);
  return ice_strmap_set(m, k, b);
}

typedef struct counts {
  int64_t data_files, records, size, delete_files, pos_deletes, eq_deletes;
} counts_t;

static void count_file(counts_t *c, const ice_data_file_t *f) {
  c->size += f->file_size_in_bytes;
  if (f->content == ICE_CONTENT_DATA) c->data_files++, c->records += f->record_count;
  else if (f->content == ICE_CONTENT_POSITION_DELETES) c->delete_files++, c->pos_deletes += f->record_count;
  else c->delete_files++, c->eq_deletes += f->record_count;
}

static int build_summary(rw_t *w, const ice_snapshot_t *parent, const counts_t *add, const counts_t *rem, ice_strmap_t *out) {
  memset(out, 0, sizeof(*out));
  int rc = 0;
  for (size_t i = 0; i < w->o->n_summary && !rc; i++) rc = ice_strmap_set(out, w->o->summary[i].key, w->o->summary[i].value);
  struct {
    const char *added, *removed, *total;
    int64_t a, r;
  } rows[] = {{"added-data-files", "deleted-data-files", "total-data-files", add->data_files, rem->data_files},
              {"added-records", "deleted-records", "total-records", add->records, rem->records},
              {"added-files-size", "removed-files-size", "total-files-size", add->size, rem->size},
              {"added-delete-files", "removed-delete-files", "total-delete-files", add->delete_files, rem->delete_files},
              {"added-position-deletes", "removed-position-deletes", "total-position-deletes", add->pos_deletes, rem->pos_deletes},
              {"added-equality-deletes", "removed-equality-deletes", "total-equality-deletes", add->eq_deletes, rem->eq_deletes}};
  for (size_t i = 0; i < sizeof rows / sizeof rows[0] && !rc; i++) {
    if (rows[i].a) rc = set_i64(out, rows[i].added, rows[i].a);
    if (!rc && rows[i].r) rc = set_i64(out, rows[i].removed, rows[i].r);
    const char *prev = parent ? ice_strmap_get(&parent->summary, rows[i].total) : "0";
    if (!prev || rc) continue;
    char *end;
    long long t = strtoll(prev, &end, 10);
    if (*end || end == prev) continue;
    t += rows[i].a - rows[i].r;
    rc = set_i64(out, rows[i].total, t < 0 ? 0 : t);
  }
  return rc;
}

/* Writes the removal into one manifest: DELETED entries for removed files, EXISTING for the rest. */
static int rewrite_manifest(rw_t *w, const ice_table_metadata_t *md, const ice_manifest_file_t *mf, const ice_manifest_t *m,
                            const attempt_ctx_t *a, counts_t *rem, ice_manifest_file_t *out, prestige_error_t *err) {
  const ice_partition_spec_t *spec = ice_metadata_spec(md, mf->spec_id);
  if (!spec) return prestige_error_set(err, PRESTIGE_ECORRUPT, "%s: manifest %s names a missing spec", w->what, mf->path);
  char loc[4300];
  next_manifest_loc(w, loc, sizeof loc);
  ice_manifest_writer_t *mw;
  PRESTIGE_TRY(ice_manifest_writer_open(&mw, w->io, loc, md->format_version, ice_metadata_current_schema(md), spec,
                                        mf->content, w->snapshot_id, err));
  int rc = note_written(w, loc, err);
  for (size_t e = 0; e < m->n_entries && !rc; e++) {
    const ice_manifest_entry_t *x = &m->entries[e];
    if (ice_pathset_get(&a->removed, x->file.file_path, NULL)) {
      count_file(rem, &x->file);
      rc = ice_manifest_writer_delete(mw, x, err);
    } else {
      rc = ice_manifest_writer_existing(mw, x, err);
    }
  }
  if (rc) {
    ice_manifest_writer_abort(mw);
    return rc;
  }
  return ice_manifest_writer_close(mw, out, err);
}

static int attempt(rw_t *w, const ice_loaded_table_t *cur, int attempt_no, bool *fatal, ice_loaded_table_t *out,
                   prestige_error_t *err) {
  const ice_table_metadata_t *md = cur->metadata;
  *fatal = false;
  if (md->format_version < 2)
    return *fatal = true, prestige_error_set(err, PRESTIGE_EUNSUPPORTED, "%s: format version %d tables are read-only", w->what,
                                             md->format_version);
  const ice_snapshot_ref_t *ref = ice_metadata_ref(md, "main");
  const ice_snapshot_t *parent = ref ? ice_metadata_snapshot(md, ref->snapshot_id) : NULL;
  const ice_snapshot_t *base = w->o->base_snapshot_id >= 0 ? ice_metadata_snapshot(md, w->o->base_snapshot_id) : NULL;
  int64_t base_seq = base ? base->sequence_number : (w->o->base_snapshot_id >= 0 ? INT64_MAX : 0);
  attempt_ctx_t a;
  memset(&a, 0, sizeof a);
  ice_manifest_file_t *rewritten = NULL;
  size_t n_rewritten = 0;
  ice_manifest_list_writer_t *lw = NULL;
  ice_snapshot_t snap;
  memset(&snap, 0, sizeof snap);
  int rc = parent ? ice_snapshot_manifests(w->io, parent, &a.mfs, &a.n_mfs, err) : 0;
  if (!rc && !(a.ms = calloc(a.n_mfs ? a.n_mfs : 1, sizeof(*a.ms)))) rc = oom(err);
  for (size_t m = 0; m < a.n_mfs && !rc; m++) {
    if (!ice_manifest_file_has_live(&a.mfs[m])) continue;
    rc = ice_manifest_read(w->io, &a.mfs[m], md, keep_live, NULL, &a.ms[m], err);
    for (size_t e = 0; !rc && e < a.ms[m].n_entries; e++)
      if (ice_pathset_add(&a.live, a.ms[m].entries[e].file.file_path, enc((uint32_t)m, (uint32_t)e))) rc = oom(err);
  }
  if (rc) goto done;
  /* validation, per group */
  size_t n_active = 0;
  for (size_t g = 0; g < w->n_groups && !rc; g++) {
    if (!w->active[g]) continue;
    prestige_error_t verr;
    prestige_error_init(&verr);
    int vr = validate_group(w, md, &a, &w->groups[g], base_seq, &verr);
    if (vr == PRESTIGE_ECONFLICT && w->o->drop_conflicting_groups) {
      LOG_INFO("%s: group %zu dropped: %s", w->what, g, verr.message);
      w->active[g] = false;
      continue;
    }
    if (vr) {
      *fatal = true;
      if (err) *err = verr;
      rc = vr;
      break;
    }
    n_active++;
    for (size_t i = 0; i < w->groups[g].n_remove && !rc; i++)
      if (ice_pathset_add(&a.removed, w->groups[g].remove[i], 0)) rc = oom(err);
  }
  if (rc) goto done;
  if (n_active == 0) {
    *fatal = true;
    rc = prestige_error_set(err, PRESTIGE_ECONFLICT, "%s: every part conflicted with a concurrent commit", w->what);
    goto done;
  }
  int64_t dangling = 0;
  if (w->o->remove_dangling_deletes && (rc = mark_dangling(w, md, &a, &dangling, err))) goto done;
  /* the new files' manifests (once; files of dropped groups are left out by rewriting them) */
  bool all_active = true;
  for (size_t g = 0; g < w->n_groups; g++) all_active &= w->active[g];
  if (!all_active || !w->added) {
    ice_manifest_files_free(w->added, w->n_added);
    w->added = NULL;
    w->n_added = 0;
    /* only active groups: temporarily hide the others */
    const ice_rewrite_group_t *saved = w->groups;
    size_t saved_n = w->n_groups;
    ice_rewrite_group_t *only = calloc(saved_n ? saved_n : 1, sizeof(*only));
    if (!only) {
      rc = oom(err);
      goto done;
    }
    size_t k = 0;
    for (size_t g = 0; g < saved_n; g++)
      if (w->active[g]) only[k++] = saved[g];
    w->groups = only;
    w->n_groups = k;
    rc = write_added(w, md, false, err);
    if (!rc) rc = write_added(w, md, true, err);
    w->groups = saved;
    w->n_groups = saved_n;
    free(only);
    if (!rc && !w->added) w->added = calloc(1, sizeof(*w->added)); /* none, but written */
    if (rc) goto done;
  }
  counts_t add = {0}, rem = {0};
  for (size_t g = 0; g < w->n_groups; g++) {
    if (!w->active[g]) continue;
    for (size_t i = 0; i < w->groups[g].n_add_data; i++) count_file(&add, &w->groups[g].add_data[i]);
    for (size_t i = 0; i < w->groups[g].n_add_deletes; i++) count_file(&add, &w->groups[g].add_deletes[i]);
  }
  /* manifests holding removed files are rewritten */
  if (!(rewritten = calloc(a.n_mfs ? a.n_mfs : 1, sizeof(*rewritten)))) {
    rc = oom(err);
    goto done;
  }
  bool *is_rw = calloc(a.n_mfs ? a.n_mfs : 1, sizeof(bool));
  if (!is_rw) {
    rc = oom(err);
    goto done;
  }
  for (size_t m = 0; m < a.n_mfs && !rc; m++) {
    bool touched = false;
    for (size_t e = 0; e < a.ms[m].n_entries && !touched; e++) touched = ice_pathset_get(&a.removed, a.ms[m].entries[e].file.file_path, NULL);
    if (!touched) continue;
    rc = rewrite_manifest(w, md, &a.mfs[m], &a.ms[m], &a, &rem, &rewritten[m], err);
    if (!rc) is_rw[m] = true, n_rewritten++;
  }
  if (rc) {
    free(is_rw);
    goto done;
  }
  int64_t seq = md->last_sequence_number + 1;
  int64_t first_row_id = md->format_version >= 3 ? md->next_row_id : 0;
  char list_loc[4400];
  snprintf(list_loc, sizeof list_loc, "%s/snap-%" PRId64 "-%d-%s.avro", w->mdir, w->snapshot_id, attempt_no, w->uuid);
  int64_t parent_id = parent ? parent->snapshot_id : 0;
  rc = ice_manifest_list_writer_open(&lw, w->io, list_loc, md->format_version, w->snapshot_id, parent ? &parent_id : NULL, seq,
                                     first_row_id, err);
  if (!rc) rc = note_written(w, list_loc, err);
  /* data manifests first (new, then kept), delete manifests after */
  for (int pass = 0; pass < 2 && !rc; pass++) {
    ice_manifest_content_t want = pass ? ICE_MANIFEST_DELETES : ICE_MANIFEST_DATA;
    for (size_t i = 0; i < w->n_added && !rc; i++)
      if (w->added[i].content == want && w->added[i].path) rc = ice_manifest_list_writer_add(lw, &w->added[i], err);
    for (size_t m = 0; m < a.n_mfs && !rc; m++) {
      if (a.mfs[m].content != want) continue;
      const ice_manifest_file_t *mf = is_rw[m] ? &rewritten[m] : &a.mfs[m];
      if (is_rw[m] && !ice_manifest_file_has_live(mf) && mf->deleted_files_count == 0) continue;
      rc = ice_manifest_list_writer_add(lw, mf, err);
    }
  }
  free(is_rw);
  int64_t next_row_id = 0;
  if (!rc) rc = ice_manifest_list_writer_close(lw, &next_row_id, err);
  else if (lw) ice_manifest_list_writer_abort(lw);
  lw = NULL;
  if (rc) goto done;
  if ((rc = build_summary(w, parent, &add, &rem, &snap.summary))) {
    rc = oom(err);
    goto done;
  }
  snap.snapshot_id = w->snapshot_id;
  snap.has_parent = parent != NULL;
  snap.parent_id = parent_id;
  snap.sequence_number = seq;
  snap.manifest_list = list_loc;
  snap.operation = (char *)w->o->operation;
  rc = ice_commit_snapshot(w->catalog, w->ident, md, &snap, "main", ref ? &ref->snapshot_id : NULL, first_row_id, next_row_id,
                           out, err);
  if (!rc) {
    w->res->removed_data_files = rem.data_files;
    w->res->removed_delete_files = rem.delete_files;
    w->res->dangling_delete_files = dangling;
    w->res->added_data_files = add.data_files;
    w->res->added_delete_files = add.delete_files;
  }
done:
  ice_strmap_release(&snap.summary);
  for (size_t m = 0; rewritten && m < a.n_mfs; m++) ice_manifest_file_release(&rewritten[m]);
  free(rewritten);
  attempt_release(&a);
  return rc;
}

int ice_rewrite_commit(ice_catalog_t *catalog, const ice_ident_t *ident, ice_io_t *io, ice_loaded_table_t *table,
                       const ice_rewrite_group_t *groups, size_t n_groups, const ice_rewrite_options_t *o,
                       ice_rewrite_result_t *res, prestige_error_t *err) {
  memset(res, 0, sizeof(*res));
  res->snapshot_id = -1;
  ice_rewrite_options_t dflt = ICE_REWRITE_OPTIONS_INIT;
  if (!o) o = &dflt;
  rw_t w;
  memset(&w, 0, sizeof w);
  w.catalog = catalog, w.ident = ident, w.io = io, w.groups = groups, w.n_groups = n_groups, w.o = o, w.res = res;
  w.what = o->what ? o->what : "commit";
  res->n_groups = n_groups;
  res->group_ok = calloc(n_groups ? n_groups : 1, sizeof(bool));
  w.active = calloc(n_groups ? n_groups : 1, sizeof(bool));
  if (!res->group_ok || !w.active) {
    free(w.active);
    ice_rewrite_result_release(res);
    return oom(err);
  }
  for (size_t g = 0; g < n_groups; g++) w.active[g] = true;
  int rc = ice_new_snapshot_id(table->metadata, &w.snapshot_id, err);
  if (!rc) rc = ice_uuid_v4(w.uuid, err);
  if (!rc) rc = ice_metadata_dir(table->metadata, w.mdir, sizeof w.mdir, err);
  ice_retry_policy_t pol;
  ice_retry_policy_from_table(table->metadata, &pol);
  int64_t start = prestige_now_ms();
  ice_loaded_table_t cur = {0}, next = {0};
  const ice_loaded_table_t *base = table;
  bool landed = false;
  for (int attempt_no = 1; !rc; attempt_no++) {
    res->attempts = attempt_no;
    bool fatal = false;
    prestige_error_t aerr;
    prestige_error_init(&aerr);
    rc = attempt(&w, base, attempt_no, &fatal, &next, &aerr);
    if (!rc) {
      landed = true;
      break;
    }
    if (fatal || (rc != PRESTIGE_ECONFLICT && rc != PRESTIGE_EUNKNOWN_STATE)) {
      if (err) *err = aerr;
      break;
    }
    ice_loaded_table_release(&cur);
    prestige_error_t lerr;
    int lrc = catalog->ops->table_load(catalog, ident, &cur, &lerr);
    if (rc == PRESTIGE_EUNKNOWN_STATE) {
      if (lrc) {
        rc = prestige_error_set(err, PRESTIGE_EUNKNOWN_STATE, "%s: snapshot %" PRId64 " may or may not have been committed (%s)",
                                w.what, w.snapshot_id, aerr.message);
        w.n_written = 0; /* keep every file: they may be referenced */
        break;
      }
      if (ice_metadata_snapshot(cur.metadata, w.snapshot_id)) {
        next = cur;
        memset(&cur, 0, sizeof cur);
        rc = 0;
        landed = true;
        break;
      }
    } else if (lrc) {
      rc = prestige_error_set(err, lerr.code, "%s: reloading after a conflict: %s", w.what, lerr.message);
      break;
    }
    base = &cur;
    int64_t elapsed = prestige_now_ms() - start;
    if (attempt_no > pol.num_retries || elapsed > pol.total_timeout_ms) {
      rc = prestige_error_set(err, PRESTIGE_ECONFLICT, "%s: gave up after %d attempts: %s", w.what, attempt_no, aerr.message);
      break;
    }
    ice_retry_sleep(&pol, attempt_no);
    rc = 0;
  }
  /* cleanup: every manifest and list written that the committed snapshot does not hold */
  const ice_snapshot_t *snap = landed ? ice_metadata_snapshot(next.metadata, w.snapshot_id) : NULL;
  ice_manifest_file_t *kept = NULL;
  size_t n_kept = 0;
  /* the snapshot's manifests unreadable (out of memory): cannot tell which it holds, so keep every
   * one (deleting them would leave the committed snapshot naming missing files) */
  bool unknown = landed && !snap;
  if (snap && ice_snapshot_manifests(io, snap, &kept, &n_kept, NULL)) kept = NULL, n_kept = 0, unknown = true;
  for (size_t i = 0; i < w.n_written; i++) {
    bool keep = unknown || (snap && snap->manifest_list && !strcmp(snap->manifest_list, w.written[i]));
    for (size_t k = 0; k < n_kept && !keep; k++) keep = !strcmp(kept[k].path, w.written[i]);
    prestige_error_t e;
    if (!keep && ice_io_delete(io, w.written[i], &e)) LOG_WARN("could not delete %s: %s", w.written[i], e.message);
  }
  for (size_t i = 0; i < w.n_written; i++) free(w.written[i]);
  free(w.written);
  ice_manifest_files_free(kept, n_kept);
  ice_manifest_files_free(w.added, w.n_added);
  ice_loaded_table_release(&cur);
  if (landed) {
    res->snapshot_id = w.snapshot_id;
    for (size_t g = 0; g < n_groups; g++) res->group_ok[g] = w.active[g];
    ice_loaded_table_release(table);
    *table = next;
  } else {
    ice_loaded_table_release(&next);
  }
  free(w.active);
  return rc;
}
