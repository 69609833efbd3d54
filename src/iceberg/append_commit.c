/* Appends, the commit half: one manifest for the new files, a manifest list reusing the parent's
 * manifests (merged as Java's ManifestMergeManager does), retries on lost compare-and-sets and
 * the resolution of unknown outcomes (see table_ops.h). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "iceberg/append_internal.h"
#include "prestige/core.h"

static int oom(prestige_error_t *err) { return prestige_error_set(err, PRESTIGE_ENOMEM, "commit: out of memory"); }

typedef struct merged {
  char *key; /* the bin's manifest paths, joined */
  ice_manifest_file_t mf;
  bool used;
} merged_t;

typedef struct commit_state {
  ice_append_t *a;
  int64_t snapshot_id;
  char uuid[37];
  char mdir[4096];
  ice_manifest_file_t new_manifest;
  bool has_new;
  merged_t **merged; /* merged manifests written (any attempt) */
  size_t n_merged;
  char **lists; /* manifest lists written */
  size_t n_lists;
  int64_t replaced; /* manifests replaced by merging in the last attempt */
} commit_state_t;

static int64_t prop_i64(const ice_table_metadata_t *md, const char *key, int64_t dflt) {
  const char *v = ice_metadata_property(md, key, NULL);
  if (!v) return dflt;
  char *end;
  long long x = strtoll(v, &end, 10);
  return (*end || end == v) ? dflt : (int64_t)x;
}

static bool prop_bool(const ice_table_metadata_t *md, const char *key, bool dflt) {
  const char *v = ice_metadata_property(md, key, NULL);
  if (!v) return dflt;
  return !strcasecmp(v, "true") ? true : !strcasecmp(v, "false") ? false : dflt;
}

static void sleep_ms(int64_t ms) {
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0) {
  }
}

static uint64_t rand_u64(void) {
  char u[37];
  uint8_t b[16];
  uint64_t v = (uint64_t)prestige_monotonic_ns();
  if (!ice_uuid_v4(u, NULL) && ice_uuid_parse(u, b))
    for (int i = 0; i < 8; i++) v = (v << 8) ^ b[i];
  return v;
}

/* ---- merging (ManifestMergeManager) ------------------------------------------------------------ */
/* Java's ListPacker.packEnd with lookback 1: items packed greedily from the end, bins and their
 * items in the original order. bins[i] holds the index of the first item of bin i. */
static size_t pack_end(const ice_manifest_file_t *const *items, size_t n, int64_t target, size_t *starts) {
  /* walk backwards; a bin accepts an item while its weight stays within the target */
  size_t n_bins = 0;
  int64_t weight = 0;
  size_t *ends = starts; /* reuse: collect bin starts in reverse, then flip */
  for (size_t k = n; k-- > 0;) {
    int64_t w = items[k]->length;
    if (n_bins == 0 || weight + w > target) {
      ends[n_bins++] = k + 1; /* a new bin ending after item k */
      weight = 0;
    }
    weight += w;
  }
  /* ends[] are exclusive ends from the back; turn them into starts from the front */
  size_t *tmp = malloc((n_bins ? n_bins : 1) * sizeof(size_t));
  if (!tmp) return (size_t)-1;
  for (size_t b = 0; b < n_bins; b++) tmp[b] = ends[n_bins - 1 - b];
  /* bin b covers [start_b, end_b) with end_b = tmp[b], start_b = previous end */
  size_t prev = 0;
  for (size_t b = 0; b < n_bins; b++) {
    starts[b] = prev;
    prev = tmp[b];
  }
  free(tmp);
  return n_bins;
}

static bool keep_all(void *user, const ice_manifest_entry_t *e) {
  (void)user;
  (void)e;
  return true;
}

static int write_merged(commit_state_t *c, const ice_table_metadata_t *md, const ice_manifest_file_t *const *bin, size_t n,
                        ice_manifest_file_t *out, prestige_error_t *err) {
  ice_append_t *a = c->a;
  const ice_partition_spec_t *spec = ice_metadata_spec(md, bin[0]->spec_id);
  if (!spec) return prestige_error_set(err, PRESTIGE_ECORRUPT, "merging manifests: spec %d is not in the table", bin[0]->spec_id);
  char loc[4200];
  snprintf(loc, sizeof loc, "%s/%s-m%zu.avro", c->mdir, c->uuid, c->n_merged + 1);
  ice_manifest_writer_t *w;
  PRESTIGE_TRY(ice_manifest_writer_open(&w, a->io, loc, md->format_version, ice_metadata_current_schema(md), spec,
                                        ICE_MANIFEST_DATA, c->snapshot_id, err));
  int rc = 0;
  for (size_t i = 0; i < n && !rc; i++) {
    ice_manifest_t m;
    rc = ice_manifest_read(a->io, bin[i], md, keep_all, NULL, &m, err);
    for (size_t k = 0; !rc && k < m.n_entries; k++) {
      const ice_manifest_entry_t *e = &m.entries[k];
      if (e->status == ICE_ENTRY_DELETED) {
        if (e->snapshot_id == c->snapshot_id) rc = ice_manifest_writer_delete(w, e, err);
      } else if (e->status == ICE_ENTRY_ADDED && e->snapshot_id == c->snapshot_id) {
        rc = ice_manifest_writer_add(w, &e->file, err);
      } else {
        rc = ice_manifest_writer_existing(w, e, err);
      }
    }
    if (!rc) ice_manifest_release(&m);
  }
  if (rc) {
    ice_manifest_writer_abort(w);
    return rc;
  }
  return ice_manifest_writer_close(w, out, err);
}

/* The merged manifest for a bin: reused from an earlier attempt when the bin is the same. */
static int merge_bin(commit_state_t *c, const ice_table_metadata_t *md, const ice_manifest_file_t *const *bin, size_t n,
                     const ice_manifest_file_t **out, prestige_error_t *err) {
  buf_t key = BUF_INIT;
  for (size_t i = 0; i < n; i++)
    if (buf_append(&key, bin[i]->path, strlen(bin[i]->path)) || buf_append_u8(&key, '\n')) {
      buf_release(&key);
      return oom(err);
    }
  if (buf_append_u8(&key, 0)) {
    buf_release(&key);
    return oom(err);
  }
  for (size_t i = 0; i < c->n_merged; i++)
    if (!strcmp(c->merged[i]->key, (const char *)key.data)) {
      buf_release(&key);
      c->merged[i]->used = true;
      *out = &c->merged[i]->mf;
      return 0;
    }
  merged_t **g = realloc(c->merged, (c->n_merged + 1) * sizeof(*g));
  merged_t *m = calloc(1, sizeof(*m));
  if (g) c->merged = g;
  if (!g || !m) {
    free(m);
    buf_release(&key);
    return oom(err);
  }
  int rc = write_merged(c, md, bin, n, &m->mf, err);
  if (rc) {
    free(m);
    buf_release(&key);
    return rc;
  }
  m->key = (char *)buf_detach(&key, NULL);
  m->used = true;
  c->merged[c->n_merged++] = m;
  *out = &m->mf;
  return 0;
}

/* The data manifests of the new snapshot: [new, parent's...] grouped by spec (highest id first),
 * each group bin-packed by length; a bin of one stays, so does the new manifest's bin while it
 * holds fewer than min-count-to-merge manifests; other bins become one merged manifest. */
static int merge_manifests(commit_state_t *c, const ice_table_metadata_t *md, const ice_manifest_file_t **in, size_t n,
                           const ice_manifest_file_t ***out, size_t *n_out, prestige_error_t *err) {
  *out = NULL;
  *n_out = 0;
  c->replaced = 0;
  for (size_t i = 0; i < c->n_merged; i++) c->merged[i]->used = false;
  const ice_manifest_file_t **res = malloc((n ? n : 1) * sizeof(*res));
  if (!res) return oom(err);
  bool enabled = prop_bool(md, "commit.manifest-merge.enabled", true);
  int64_t min_count = prop_i64(md, "commit.manifest.min-count-to-merge", 100);
  int64_t target = prop_i64(md, "commit.manifest.target-size-bytes", 8LL << 20);
  if (!enabled || n == 0) {
    memcpy(res, in, n * sizeof(*res));
    *out = res;
    *n_out = n;
    return 0;
  }
  const ice_manifest_file_t *first = in[0];
  /* distinct spec ids, highest first */
  int32_t *specs = malloc(n * sizeof(int32_t));
  const ice_manifest_file_t **group = malloc(n * sizeof(*group));
  size_t *starts = malloc((n + 1) * sizeof(size_t));
  if (!specs || !group || !starts) {
    free(specs), free(group), free(starts), free(res);
    return oom(err);
  }
  size_t n_specs = 0;
  for (size_t i = 0; i < n; i++) {
    bool seen = false;
    for (size_t k = 0; k < n_specs; k++) seen |= specs[k] == in[i]->spec_id;
    if (!seen) specs[n_specs++] = in[i]->spec_id;
  }
  for (size_t i = 1; i < n_specs; i++) /* insertion sort, descending */
    for (size_t k = i; k > 0 && specs[k] > specs[k - 1]; k--) {
      int32_t t = specs[k];
      specs[k] = specs[k - 1];
      specs[k - 1] = t;
    }
  int rc = 0;
  size_t m = 0;
  for (size_t s = 0; s < n_specs && !rc; s++) {
    size_t gn = 0;
    for (size_t i = 0; i < n; i++)
      if (in[i]->spec_id == specs[s]) group[gn++] = in[i];
    size_t n_bins = pack_end(group, gn, target, starts);
    if (n_bins == (size_t)-1) {
      rc = oom(err);
      break;
    }
    for (size_t b = 0; b < n_bins && !rc; b++) {
      size_t lo = starts[b], hi = b + 1 < n_bins ? starts[b + 1] : gn;
      size_t bn = hi - lo;
      bool has_first = false;
      for (size_t k = lo; k < hi; k++) has_first |= group[k] == first;
      if (bn == 1 || (has_first && (int64_t)bn < min_count)) {
        for (size_t k = lo; k < hi; k++) res[m++] = group[k];
        continue;
      }
      const ice_manifest_file_t *merged = NULL;
      rc = merge_bin(c, md, group + lo, bn, &merged, err);
      if (!rc) {
        res[m++] = merged;
        for (size_t k = lo; k < hi; k++)
          if (group[k]->added_snapshot_id != c->snapshot_id) c->replaced++;
      }
    }
  }
  free(specs), free(group), free(starts);
  if (rc) {
    free(res);
    return rc;
  }
  *out = res;
  *n_out = m;
  return 0;
}

/* ---- the summary ------------------------------------------------------------------------------------ */
static int set_i64(ice_strmap_t *m, const char *k, int64_t v) {
  char b[32];
  snprintf(b, sizeof b, "%" PRId64, v);
  return ice_strmap_set(m, k, b);
}

static int build_summary(commit_state_t *c, const ice_snapshot_t *parent, const ice_manifest_file_t *const *mfs, size_t n,
                         ice_strmap_t *out, prestige_error_t *err) {
  ice_append_t *a = c->a;
  memset(out, 0, sizeof(*out));
  int rc = ice_strmap_copy(&a->extra_summary, out);
  int64_t created = 0, kept = 0;
  for (size_t i = 0; i < n; i++) {
    if (mfs[i]->added_snapshot_id == c->snapshot_id) created++;
    else kept++;
  }
  int64_t added_size = 0;
  size_t parts = 0;
  for (size_t i = 0; i < a->n_files; i++) {
    added_size += a->files[i].file_size_in_bytes;
    bool dup = false; /* distinct partition tuples among the added files */
    for (size_t k = 0; k < i && !dup; k++) {
      bool same = true;
      for (uint32_t f = 0; f < a->files[i].n_partition && same; f++) {
        const ice_value_t *x = &a->files[i].partition[f], *y = &a->files[k].partition[f];
        same = x->is_null == y->is_null && (x->is_null || !ice_value_compare(a->ptype->fields[f].type, x, y));
      }
      dup = same;
    }
    if (!dup) parts++;
  }
  if (!rc) rc = set_i64(out, "manifests-created", created);
  if (!rc) rc = set_i64(out, "manifests-kept", kept);
  if (!rc) rc = set_i64(out, "manifests-replaced", c->replaced);
  if (!rc && a->n_files) rc = set_i64(out, "added-data-files", (int64_t)a->n_files);
  if (!rc && a->rows_written) rc = set_i64(out, "added-records", a->rows_written);
  if (!rc && added_size) rc = set_i64(out, "added-files-size", added_size);
  if (!rc) rc = set_i64(out, "changed-partition-count", (int64_t)parts);
  /* totals: the previous head's plus what was added (Java SnapshotProducer.updateTotal) */
  static const struct {
    const char *total, *added;
  } totals[] = {{"total-records", "added-records"},         {"total-files-size", "added-files-size"},
                {"total-data-files", "added-data-files"},   {"total-delete-files", "added-delete-files"},
                {"total-position-deletes", "added-position-deletes"}, {"total-equality-deletes", "added-equality-deletes"}};
  for (size_t i = 0; i < sizeof totals / sizeof totals[0] && !rc; i++) {
    const char *prev = parent ? ice_strmap_get(&parent->summary, totals[i].total) : "0";
    if (!prev) continue;
    char *end;
    long long t = strtoll(prev, &end, 10);
    if (*end || end == prev || t < 0) continue;
    const char *add = ice_strmap_get(out, totals[i].added);
    if (add) t += strtoll(add, NULL, 10);
    rc = set_i64(out, totals[i].total, t);
  }
  if (rc) {
    ice_strmap_release(out);
    return oom(err);
  }
  return 0;
}

/* ---- one attempt --------------------------------------------------------------------------------------- */
static void delete_quietly(ice_io_t *io, const char *loc) {
  prestige_error_t e;
  if (ice_io_delete(io, loc, &e)) LOG_WARN("could not delete %s: %s", loc, e.message);
}

/* Builds and sends the commit against cur. *sent: the catalog was asked (its answer in the return code). */
static int attempt(commit_state_t *c, const ice_loaded_table_t *cur, int attempt_no, ice_loaded_table_t *out,
                   int64_t *n_manifests, prestige_error_t *err) {
  ice_append_t *a = c->a;
  const ice_table_metadata_t *md = cur->metadata;
  if (md->format_version < 2)
    return prestige_error_set(err, PRESTIGE_EUNSUPPORTED, "table %s is format version %d: prestige writes only to v2 and v3",
                              a->ident_text, md->format_version);
  if (a->base.metadata->table_uuid && md->table_uuid && strcmp(a->base.metadata->table_uuid, md->table_uuid))
    return prestige_error_set(err, PRESTIGE_ECONFLICT, "table %s was replaced (uuid %s, was %s) while appending",
                              a->ident_text, md->table_uuid, a->base.metadata->table_uuid);
  const ice_snapshot_ref_t *ref = ice_metadata_ref(md, a->branch);
  if (ref && ref->type != ICE_REF_BRANCH)
    return prestige_error_set(err, PRESTIGE_EINVAL, "%s: %s is a tag, not a branch", a->ident_text, a->branch);
  const ice_snapshot_t *parent = ref ? ice_metadata_snapshot(md, ref->snapshot_id) : ice_metadata_current_snapshot(md);
  if (ref && !parent)
    return prestige_error_set(err, PRESTIGE_ECORRUPT, "%s: branch %s names a missing snapshot", a->ident_text, a->branch);
  ice_manifest_file_t *parent_mfs = NULL;
  size_t n_parent = 0;
  int rc = parent ? ice_snapshot_manifests(a->io, parent, &parent_mfs, &n_parent, err) : 0;
  if (rc) return rc;
  const ice_manifest_file_t **data = malloc((n_parent + 1) * sizeof(*data));
  const ice_manifest_file_t **deletes = malloc((n_parent + 1) * sizeof(*deletes));
  const ice_manifest_file_t **merged = NULL;
  size_t n_data = 0, n_deletes = 0, n_merged = 0;
  ice_manifest_list_writer_t *lw = NULL;
  ice_snapshot_t snap;
  memset(&snap, 0, sizeof snap);
  char list_loc[4300];
  if (!data || !deletes) {
    rc = oom(err);
    goto done;
  }
  if (c->has_new) data[n_data++] = &c->new_manifest;
  for (size_t i = 0; i < n_parent; i++) {
    if (!parent_mfs[i].has_counts) {
      rc = prestige_error_set(err, PRESTIGE_EUNSUPPORTED, "%s: parent snapshot has V1 manifests without counts",
                              a->ident_text);
      goto done;
    }
    if (parent_mfs[i].content == ICE_MANIFEST_DATA) data[n_data++] = &parent_mfs[i];
    else deletes[n_deletes++] = &parent_mfs[i];
  }
  if ((rc = merge_manifests(c, md, data, n_data, &merged, &n_merged, err))) goto done;
  int64_t seq = md->last_sequence_number + 1;
  int64_t first_row_id = md->format_version >= 3 ? md->next_row_id : 0;
  snprintf(list_loc, sizeof list_loc, "%s/snap-%" PRId64 "-%d-%s.avro", c->mdir, c->snapshot_id, attempt_no, c->uuid);
  int64_t parent_id = parent ? parent->snapshot_id : 0;
  if ((rc = ice_manifest_list_writer_open(&lw, a->io, list_loc, md->format_version, c->snapshot_id,
                                          parent ? &parent_id : NULL, seq, first_row_id, err)))
    goto done;
  char **gl = realloc(c->lists, (c->n_lists + 1) * sizeof(*gl));
  if (!gl || !(gl[c->n_lists] = strdup(list_loc))) {
    if (gl) c->lists = gl;
    ice_manifest_list_writer_abort(lw);
    rc = oom(err);
    goto done;
  }
  c->lists = gl;
  c->n_lists++;
  for (size_t i = 0; i < n_merged && !rc; i++) rc = ice_manifest_list_writer_add(lw, merged[i], err);
  for (size_t i = 0; i < n_deletes && !rc; i++) rc = ice_manifest_list_writer_add(lw, deletes[i], err);
  if (rc) {
    ice_manifest_list_writer_abort(lw);
    goto done;
  }
  int64_t next_row_id = 0;
  if ((rc = ice_manifest_list_writer_close(lw, &next_row_id, err))) goto done;
  *n_manifests = (int64_t)(n_merged + n_deletes);
  /* the snapshot */
  const ice_manifest_file_t **all = malloc((n_merged + n_deletes + 1) * sizeof(*all));
  if (!all) {
    rc = oom(err);
    goto done;
  }
  memcpy(all, merged, n_merged * sizeof(*all));
  memcpy(all + n_merged, deletes, n_deletes * sizeof(*all));
  rc = build_summary(c, parent, all, n_merged + n_deletes, &snap.summary, err);
  free(all);
  if (rc) goto done;
  snap.snapshot_id = c->snapshot_id;
  snap.has_parent = parent != NULL;
  snap.parent_id = parent_id;
  snap.sequence_number = seq;
  snap.manifest_list = list_loc;
  snap.operation = (char *)"append";
  rc = ice_commit_snapshot(a->catalog, &a->ident, md, &snap, a->branch, ref ? &ref->snapshot_id : NULL, first_row_id,
                           next_row_id, out, err);
done:
  ice_strmap_release(&snap.summary);
  free(merged);
  free(data);
  free(deletes);
  ice_manifest_files_free(parent_mfs, n_parent);
  return rc;
}

static void cleanup_attempts(commit_state_t *c, bool success, const char *committed_list, bool keep_manifests) {
  ice_append_t *a = c->a;
  for (size_t i = 0; i < c->n_lists; i++) {
    if (!keep_manifests && (!success || !committed_list || strcmp(c->lists[i], committed_list)))
      delete_quietly(a->io, c->lists[i]);
    free(c->lists[i]);
  }
  free(c->lists);
  c->lists = NULL;
  c->n_lists = 0;
  for (size_t i = 0; i < c->n_merged; i++) {
    if (!keep_manifests && (!success || !c->merged[i]->used)) delete_quietly(a->io, c->merged[i]->mf.path);
    ice_manifest_file_release(&c->merged[i]->mf);
    free(c->merged[i]->key);
    free(c->merged[i]);
  }
  free(c->merged);
  c->merged = NULL;
  c->n_merged = 0;
  if (c->has_new) {
    if (!success && !keep_manifests) delete_quietly(a->io, c->new_manifest.path);
    ice_manifest_file_release(&c->new_manifest);
  }
}

int ice_append_commit(ice_append_t *a, ice_commit_result_t *res, ice_loaded_table_t *current, prestige_error_t *err) {
  memset(res, 0, sizeof(*res));
  if (current) memset(current, 0, sizeof(*current));
  if (a->failed || a->committed)
    return prestige_error_set(err, PRESTIGE_EINVAL, "append to %s: %s", a->ident_text,
                              a->committed ? "already committed" : "an earlier error left it unusable");
  commit_state_t c;
  memset(&c, 0, sizeof c);
  c.a = a;
  ice_loaded_table_t cur = {0}, next = {0};
  int rc = ice_append_finish_files(a, err);
  if (!rc) rc = ice_new_snapshot_id(a->base.metadata, &c.snapshot_id, err);
  if (!rc) rc = ice_uuid_v4(c.uuid, err);
  if (!rc) rc = ice_metadata_dir(a->base.metadata, c.mdir, sizeof c.mdir, err);
  if (rc) {
    a->failed = true;
    return rc;
  }
  if (a->n_files) {
    char loc[4200];
    snprintf(loc, sizeof loc, "%s/%s-m0.avro", c.mdir, c.uuid);
    ice_manifest_writer_t *w;
    rc = ice_manifest_writer_open(&w, a->io, loc, a->base.metadata->format_version, a->schema, a->spec,
                                  ICE_MANIFEST_DATA, c.snapshot_id, err);
    for (size_t i = 0; !rc && i < a->n_files; i++) rc = ice_manifest_writer_add(w, &a->files[i], err);
    if (!rc) rc = ice_manifest_writer_close(w, &c.new_manifest, err);
    else ice_manifest_writer_abort(w);
    if (rc) {
      a->failed = true;
      return rc;
    }
    c.has_new = true;
  }
  const ice_table_metadata_t *bmd = a->base.metadata;
  int retries = (int)prop_i64(bmd, "commit.retry.num-retries", 4);
  int64_t min_wait = prop_i64(bmd, "commit.retry.min-wait-ms", 100);
  int64_t max_wait = prop_i64(bmd, "commit.retry.max-wait-ms", 60000);
  int64_t total = prop_i64(bmd, "commit.retry.total-timeout-ms", 1800000);
  int64_t start = prestige_now_ms();
  const ice_loaded_table_t *base = &a->base;
  int64_t n_manifests = 0;
  bool unknown = false;
  int attempt_no = 0;
  for (;;) {
    attempt_no++;
    prestige_error_t aerr;
    prestige_error_init(&aerr);
    rc = attempt(&c, base, attempt_no, &next, &n_manifests, &aerr);
    if (rc == PRESTIGE_EUNKNOWN_STATE) {
      /* the commit may have landed: reload and look for our snapshot, never send it blindly again */
      ice_loaded_table_release(&cur);
      prestige_error_t lerr;
      int lrc = a->catalog->ops->table_load(a->catalog, &a->ident, &cur, &lerr);
      if (lrc) {
        unknown = true;
        rc = prestige_error_set(err, PRESTIGE_EUNKNOWN_STATE,
                                "append to %s: snapshot %" PRId64 " may or may not have been committed (%s), and reloading "
                                "the table failed: %s",
                                a->ident_text, c.snapshot_id, aerr.message, lerr.message);
        break;
      }
      if (ice_metadata_snapshot(cur.metadata, c.snapshot_id)) {
        rc = 0;
        next = cur;
        memset(&cur, 0, sizeof cur);
        LOG_INFO("append to %s: commit outcome was unknown; snapshot %" PRId64 " found after reloading", a->ident_text,
                 c.snapshot_id);
        break;
      }
      rc = PRESTIGE_ECONFLICT; /* not there: it failed, so it can be retried */
      base = &cur;
      LOG_INFO("append to %s: commit outcome was unknown; snapshot %" PRId64 " not in the table, retrying", a->ident_text,
               c.snapshot_id);
    } else if (rc == PRESTIGE_ECONFLICT) {
      ice_loaded_table_release(&cur);
      prestige_error_t lerr;
      if (a->catalog->ops->table_load(a->catalog, &a->ident, &cur, &lerr)) {
        rc = prestige_error_set(err, lerr.code, "append to %s: reloading after a conflict: %s", a->ident_text, lerr.message);
        break;
      }
      base = &cur;
    } else {
      if (rc && err) *err = aerr;
      break;
    }
    /* a conflict: wait as Java's Tasks.exponentialBackoff does, then try again */
    int64_t elapsed = prestige_now_ms() - start;
    if (attempt_no > retries || elapsed > total) {
      rc = prestige_error_set(err, PRESTIGE_ECONFLICT, "append to %s: gave up after %d attempts (%lld ms): %s",
                              a->ident_text, attempt_no, (long long)elapsed, aerr.message);
      break;
    }
    int64_t delay = min_wait;
    for (int k = 1; k < attempt_no && delay < max_wait; k++) delay *= 2;
    if (delay > max_wait) delay = max_wait;
    int64_t jitter = delay / 10 > 1 ? (int64_t)(rand_u64() % (uint64_t)(delay / 10)) : 0;
    LOG_DEBUG("append to %s: conflict on attempt %d, retrying in %lld ms", a->ident_text, attempt_no,
              (long long)(delay + jitter));
    sleep_ms(delay + jitter);
  }
  if (rc) {
    a->failed = true;
    a->outcome_unknown = unknown;
    cleanup_attempts(&c, false, NULL, unknown);
    if (!unknown) ice_append_delete_written(a);
    ice_loaded_table_release(&cur);
    return rc;
  }
  a->committed = true;
  const ice_snapshot_t *snap = ice_metadata_snapshot(next.metadata, c.snapshot_id);
  cleanup_attempts(&c, true, snap ? snap->manifest_list : NULL, false);
  res->snapshot_id = c.snapshot_id;
  res->files = (int64_t)a->n_files;
  res->rows = a->rows_written;
  res->attempts = attempt_no;
  res->manifests = n_manifests;
  res->merged = c.replaced;
  res->paths = calloc(a->n_files ? a->n_files : 1, sizeof(char *));
  for (size_t i = 0; res->paths && i < a->n_files; i++) { /* the paths are contiguous: stop at a failure */
    if (!(res->paths[i] = strdup(a->files[i].file_path))) break;
    res->n_paths++;
  }
  ice_loaded_table_release(&cur);
  if (current) *current = next;
  else ice_loaded_table_release(&next);
  return 0;
}
