/* Scan planning: the snapshot, the schema, the files (see scan.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "iceberg/arrow_map.h"
#include "iceberg/scan.h"
#include "iceberg/scan_eval.h"
#include "iceberg/table_ops.h"
#include "prestige/core.h"

static int oom(prestige_error_t *err) { return prestige_error_set(err, PRESTIGE_ENOMEM, "scan: out of memory"); }

void ice_scan_plan_free(ice_scan_plan_t *p) {
  if (!p) return;
  for (size_t i = 0; i < p->n_tasks; i++) free(p->tasks[i].deletes);
  free(p->tasks);
  free(p->deletes);
  ice_schema_free(p->schema);
  prestige_schema_release(&p->arrow);
  prestige_schema_release(&p->out);
  prestige_bound_predicate_free(p->bound);
  prestige_predicate_free(p->filter);
  arena_release(&p->arena);
  free(p->table);
  free(p);
}

/* ---- which snapshot, which schema --------------------------------------------------------------- */
static int pick_snapshot(const ice_table_metadata_t *md, const char *table, const ice_scan_options_t *o, int64_t *snap,
                         const ice_schema_t **schema, prestige_error_t *err) {
  int given = (o->snapshot_id != ICE_SCAN_NONE) + (o->as_of_ms != ICE_SCAN_NONE) + (o->ref != NULL) +
              (o->since_snapshot_id != ICE_SCAN_NONE);
  if (given > 1)
    return prestige_error_set(err, PRESTIGE_EINVAL, "scan of %s: give at most one of a snapshot id, a timestamp, a ref and "
                                                    "an incremental range", table);
  if (o->until_snapshot_id != ICE_SCAN_NONE && o->since_snapshot_id == ICE_SCAN_NONE)
    return prestige_error_set(err, PRESTIGE_EINVAL, "scan of %s: an until snapshot needs a since snapshot", table);
  *schema = ice_metadata_current_schema(md);
  *snap = ICE_SCAN_NONE;
  const ice_snapshot_t *s = NULL;
  bool use_snapshot_schema = false;
  if (o->snapshot_id != ICE_SCAN_NONE) {
    if (!(s = ice_metadata_snapshot(md, o->snapshot_id)))
      return prestige_error_set(err, PRESTIGE_ENOTFOUND, "scan of %s: no snapshot %lld", table, (long long)o->snapshot_id);
    use_snapshot_schema = true;
  } else if (o->as_of_ms != ICE_SCAN_NONE) {
    int64_t id;
    int rc = ice_snapshot_as_of(md, o->as_of_ms, &id, err);
    if (rc) return prestige_error_prefix(err, "scan of %s", table), rc;
    s = ice_metadata_snapshot(md, id);
    use_snapshot_schema = true;
  } else if (o->ref) {
    const ice_snapshot_ref_t *r = ice_metadata_ref(md, o->ref);
    if (!r) return prestige_error_set(err, PRESTIGE_ENOTFOUND, "scan of %s: no branch or tag \"%s\"", table, o->ref);
    s = ice_metadata_snapshot(md, r->snapshot_id);
    use_snapshot_schema = r->type == ICE_REF_TAG;
  } else if (o->since_snapshot_id != ICE_SCAN_NONE) {
    if (!ice_metadata_snapshot(md, o->since_snapshot_id))
      return prestige_error_set(err, PRESTIGE_ENOTFOUND, "scan of %s: no snapshot %lld", table,
                                (long long)o->since_snapshot_id);
    int64_t until = o->until_snapshot_id != ICE_SCAN_NONE ? o->until_snapshot_id : md->current_snapshot_id;
    if (o->until_snapshot_id != ICE_SCAN_NONE && !ice_metadata_snapshot(md, until))
      return prestige_error_set(err, PRESTIGE_ENOTFOUND, "scan of %s: no snapshot %lld", table, (long long)until);
    if (until == ICE_NO_SNAPSHOT || !ice_snapshot_is_ancestor(md, until, o->since_snapshot_id))
      return prestige_error_set(err, PRESTIGE_EINVAL, "scan of %s: snapshot %lld is not an ancestor of snapshot %lld", table,
                                (long long)o->since_snapshot_id, (long long)until);
    *snap = until;
    return 0;
  } else {
    s = ice_metadata_current_snapshot(md);
  }
  if (s) {
    *snap = s->snapshot_id;
    if (use_snapshot_schema && s->has_schema_id && ice_metadata_schema(md, s->schema_id))
      *schema = ice_metadata_schema(md, s->schema_id);
  }
  return 0;
}

/* ---- the output schema ---------------------------------------------------------------------------- */
static int project(ice_scan_plan_t *p, const ice_scan_options_t *o, prestige_error_t *err) {
  const struct ArrowSchema *a = &p->arrow;
  if (!o->columns) return prestige_schema_copy(&p->out, a, err);
  /* the columns in the order asked for, each once */
  int64_t *pick = calloc(o->n_columns ? o->n_columns : 1, sizeof(int64_t));
  if (!pick) return oom(err);
  int rc = 0;
  for (size_t i = 0; i < o->n_columns && !rc; i++) {
    int64_t k = 0;
    while (k < a->n_children && strcmp(a->children[k]->name, o->columns[i])) k++;
    if (k == a->n_children) rc = prestige_error_set(err, PRESTIGE_EINVAL, "scan of %s: no column \"%s\"", p->table, o->columns[i]);
    for (size_t j = 0; j < i && !rc; j++)
      if (pick[j] == k) rc = prestige_error_set(err, PRESTIGE_EINVAL, "scan of %s: column \"%s\" asked for twice", p->table, o->columns[i]);
    pick[i] = k;
  }
  if (!rc) rc = prestige_schema_init(&p->out, "+s", "", 0, err);
  if (!rc) rc = prestige_schema_allocate_children(&p->out, (int64_t)o->n_columns, err);
  for (size_t i = 0; i < o->n_columns && !rc; i++) rc = prestige_schema_copy(p->out.children[i], a->children[pick[i]], err);
  free(pick);
  return rc;
}

/* ---- manifests -------------------------------------------------------------------------------------- */
typedef struct plan_ctx {
  ice_scan_plan_t *p;
  const ice_table_metadata_t *md;
  ice_scan_eval_t *eval;
  const ice_partition_spec_t *spec;
  const int64_t *ids; /* incremental: snapshot ids whose ADDED entries count */
  size_t n_ids;
  bool deletes;       /* reading a delete manifest */
} plan_ctx_t;

static bool in_ids(const plan_ctx_t *c, int64_t id) {
  for (size_t i = 0; i < c->n_ids; i++)
    if (c->ids[i] == id) return true;
  return false;
}

static bool keep_entry(void *user, const ice_manifest_entry_t *e) {
  plan_ctx_t *c = user;
  if (e->status == ICE_ENTRY_DELETED) return false;
  if (c->ids && (e->status != ICE_ENTRY_ADDED || !in_ids(c, e->snapshot_id))) return false;
  if (c->deletes) return true;
  c->p->metrics.files++;
  int r = c->eval ? ice_scan_eval_file(c->eval, c->spec, &e->file) : 2;
  if (r == 0) c->p->metrics.files_skipped_partition++;
  else if (r == 1) c->p->metrics.files_skipped_metrics++;
  return r == 2;
}

static int add_manifest(plan_ctx_t *c, ice_io_t *io, const ice_manifest_file_t *mf, prestige_error_t *err) {
  ice_scan_plan_t *p = c->p;
  c->spec = ice_metadata_spec(c->md, mf->spec_id);
  if (!c->spec)
    return prestige_error_set(err, PRESTIGE_ECORRUPT, "scan of %s: manifest %s names partition spec %d, which the table lacks",
                              p->table, mf->path, mf->spec_id);
  c->deletes = mf->content == ICE_MANIFEST_DELETES;
  if (!c->deletes) {
    p->metrics.manifests++;
    if (!ice_manifest_file_has_live(mf) || (c->eval && !ice_scan_eval_manifest(c->eval, c->spec, mf))) {
      p->metrics.manifests_skipped++;
      return 0;
    }
  }
  ice_manifest_t m;
  PRESTIGE_TRY(ice_manifest_read(io, mf, c->md, keep_entry, c, &m, err));
  int rc = 0;
  if (c->deletes) {
    ice_delete_file_t *g = realloc(p->deletes, (p->n_deletes + m.n_entries + 1) * sizeof(*g));
    if (!g) rc = oom(err);
    else p->deletes = g;
    for (size_t i = 0; !rc && i < m.n_entries; i++) {
      ice_delete_file_t *d = &p->deletes[p->n_deletes];
      d->data_sequence_number = m.entries[i].sequence_number;
      rc = ice_data_file_copy(&p->arena, &m.entries[i].file, &d->file, err);
      if (!rc) p->n_deletes++;
    }
  } else {
    ice_scan_task_t *g = realloc(p->tasks, (p->n_tasks + m.n_entries + 1) * sizeof(*g));
    if (!g) rc = oom(err);
    else p->tasks = g;
    for (size_t i = 0; !rc && i < m.n_entries; i++) {
      ice_scan_task_t *t = &p->tasks[p->n_tasks];
      memset(t, 0, sizeof(*t));
      t->data_sequence_number = m.entries[i].sequence_number;
      rc = ice_data_file_copy(&p->arena, &m.entries[i].file, &t->file, err);
      if (!rc) p->n_tasks++;
    }
  }
  ice_manifest_release(&m);
  return rc;
}

/* ---- deletes ------------------------------------------------------------------------------------------ */
static bool same_partition(const ice_table_metadata_t *md, const ice_data_file_t *a, const ice_data_file_t *b) {
  if (a->spec_id != b->spec_id || a->n_partition != b->n_partition) return false;
  const ice_partition_spec_t *spec = ice_metadata_spec(md, a->spec_id);
  const ice_schema_t *s = ice_metadata_current_schema(md);
  for (uint32_t k = 0; k < a->n_partition && spec; k++) {
    const ice_value_t *x = &a->partition[k], *y = &b->partition[k];
    if (x->is_null != y->is_null) return false;
    if (x->is_null) continue;
    const ice_field_t *src = ice_schema_find_id(s, spec->fields[k].source_id);
    ice_type_t rt;
    if (!src || ice_transform_result_type(&spec->fields[k].transform, src->type, &rt, NULL)) return false;
    if (rt.id == ICE_FLOAT || rt.id == ICE_DOUBLE) { /* equal as floatToIntBits, NaN normalized */
      buf_t bx = BUF_INIT, by = BUF_INIT;
      bool eq = !ice_value_to_bytes(&rt, x, &bx, NULL) && !ice_value_to_bytes(&rt, y, &by, NULL) && bx.len == by.len &&
                !memcmp(bx.data, by.data, bx.len);
      buf_release(&bx);
      buf_release(&by);
      if (!eq) return false;
    } else if (ice_value_compare(&rt, x, y)) {
      return false;
    }
  }
  return true;
}

/* Which delete files apply to which data files (spec "Scan Planning"). */
static int match_deletes(ice_scan_plan_t *p, const ice_table_metadata_t *md, prestige_error_t *err) {
  for (size_t t = 0; t < p->n_tasks; t++) {
    ice_scan_task_t *task = &p->tasks[t];
    for (size_t d = 0; d < p->n_deletes; d++) {
      const ice_delete_file_t *del = &p->deletes[d];
      const ice_data_file_t *df = &del->file;
      bool applies;
      if (df->content == ICE_CONTENT_POSITION_DELETES) {
        applies = task->data_sequence_number <= del->data_sequence_number &&
                  (!df->referenced_data_file || !strcmp(df->referenced_data_file, task->file.file_path)) &&
                  same_partition(md, &task->file, df);
      } else {
        const ice_partition_spec_t *ds = ice_metadata_spec(md, df->spec_id);
        bool global = ds && ice_partition_spec_is_unpartitioned(ds);
        applies = task->data_sequence_number < del->data_sequence_number && (global || same_partition(md, &task->file, df));
      }
      if (!applies) continue;
      bool dv = !strcasecmp(df->file_format, "puffin");
      if (dv && !df->referenced_data_file)
        return prestige_error_set(err, PRESTIGE_ECORRUPT, "scan of %s: deletion vector in %s names no referenced_data_file",
                                  p->table, df->file_path);
      if (df->content == ICE_CONTENT_POSITION_DELETES && !dv && strcasecmp(df->file_format, "parquet"))
        return prestige_error_set(err, PRESTIGE_EUNSUPPORTED, "scan of %s: delete file %s is %s (position deletes are read from "
                                  "Parquet files and Puffin deletion vectors)",
                                  p->table, df->file_path, df->file_format);
      if (df->content == ICE_CONTENT_EQUALITY_DELETES && strcmp(df->file_format, "parquet") &&
          strcmp(df->file_format, "PARQUET"))
        return prestige_error_set(err, PRESTIGE_EUNSUPPORTED, "scan of %s: equality delete file %s is %s, not Parquet",
                                  p->table, df->file_path, df->file_format);
      uint32_t *g = realloc(task->deletes, (task->n_deletes + 1) * sizeof(*g));
      if (!g) return oom(err);
      task->deletes = g;
      task->deletes[task->n_deletes++] = (uint32_t)d;
    }
  }
  bool *used = calloc(p->n_deletes ? p->n_deletes : 1, sizeof(bool));
  if (!used) return oom(err);
  for (size_t t = 0; t < p->n_tasks; t++)
    for (uint32_t k = 0; k < p->tasks[t].n_deletes; k++) used[p->tasks[t].deletes[k]] = true;
  for (size_t d = 0; d < p->n_deletes; d++) p->metrics.delete_files += used[d];
  free(used);
  return 0;
}

/* ---- planning ------------------------------------------------------------------------------------------- */
int ice_scan_plan(ice_io_t *io, const ice_table_metadata_t *md, const char *table, const ice_scan_options_t *o,
                  ice_scan_plan_t **out, prestige_error_t *err) {
  *out = NULL;
  int64_t t0 = prestige_monotonic_ns();
  ice_scan_plan_t *p = calloc(1, sizeof(*p));
  if (!p) return oom(err);
  p->table = strdup(table ? table : "table");
  if (!p->table) {
    free(p);
    return oom(err);
  }
  const ice_schema_t *schema = NULL;
  ice_manifest_file_t *mfs = NULL;
  size_t n_mfs = 0;
  ice_scan_eval_t *eval = NULL;
  int64_t *ids = NULL;
  size_t n_ids = 0;
  int rc = pick_snapshot(md, p->table, o, &p->snapshot_id, &schema, err);
  if (!rc && !schema) rc = prestige_error_set(err, PRESTIGE_ECORRUPT, "scan of %s: no current schema", p->table);
  if (!rc) rc = ice_schema_copy(schema, &p->schema, err);
  if (!rc) rc = ice_schema_to_arrow(p->schema, &p->arrow, err);
  if (!rc) rc = project(p, o, err);
  if (!rc && o->filter) {
    rc = prestige_predicate_parse(o->filter, &p->filter, err);
    if (!rc) rc = prestige_predicate_bind(p->filter, &p->arrow, &p->bound, err);
    if (!rc) rc = ice_scan_eval_new(p->bound, p->schema, &eval, err);
    if (rc) prestige_error_prefix(err, "scan of %s: filter", p->table);
  }
  if (rc || p->snapshot_id == ICE_SCAN_NONE) goto done;
  plan_ctx_t c = {.p = p, .md = md, .eval = eval};
  if (o->since_snapshot_id != ICE_SCAN_NONE) {
    /* append snapshots in (since, until], newest first, and their data manifests added by them */
    for (const ice_snapshot_t *s = ice_metadata_snapshot(md, p->snapshot_id);
         s && s->snapshot_id != o->since_snapshot_id;
         s = s->has_parent ? ice_metadata_snapshot(md, s->parent_id) : NULL) {
      if (!s->operation || strcmp(s->operation, "append")) continue;
      int64_t *g = realloc(ids, (n_ids + 1) * sizeof(*g));
      if (!g) {
        rc = oom(err);
        goto done;
      }
      ids = g;
      ids[n_ids++] = s->snapshot_id;
    }
    c.ids = ids;
    c.n_ids = n_ids;
    for (size_t i = 0; i < n_ids && !rc; i++) {
      const ice_snapshot_t *s = ice_metadata_snapshot(md, ids[i]);
      rc = ice_snapshot_manifests(io, s, &mfs, &n_mfs, err);
      for (size_t k = 0; !rc && k < n_mfs; k++)
        if (mfs[k].content == ICE_MANIFEST_DATA && mfs[k].added_snapshot_id == s->snapshot_id)
          rc = add_manifest(&c, io, &mfs[k], err);
      ice_manifest_files_free(mfs, n_mfs);
      mfs = NULL;
      n_mfs = 0;
    }
  } else {
    const ice_snapshot_t *s = ice_metadata_snapshot(md, p->snapshot_id);
    rc = ice_snapshot_manifests(io, s, &mfs, &n_mfs, err);
    if (rc) prestige_error_prefix(err, "scan of %s", p->table);
    if (o->added_only && o->snapshot_id != ICE_SCAN_NONE) { /* the files s added: its own data manifests */
      c.ids = &p->snapshot_id;
      c.n_ids = 1;
    }
    for (size_t k = 0; !rc && k < n_mfs; k++)
      if (!c.ids || (mfs[k].content == ICE_MANIFEST_DATA && mfs[k].added_snapshot_id == p->snapshot_id))
        rc = add_manifest(&c, io, &mfs[k], err);
    if (!rc) rc = match_deletes(p, md, err);
  }
done:
  p->metrics.files_planned = (int64_t)p->n_tasks;
  p->metrics.planning_ns = prestige_monotonic_ns() - t0;
  ice_manifest_files_free(mfs, n_mfs);
  ice_scan_eval_free(eval);
  free(ids);
  if (rc) {
    ice_scan_plan_free(p);
    return rc;
  }
  *out = p;
  return 0;
}
