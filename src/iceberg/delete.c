/* Row-level deletes by predicate: position deletes, equality deletes, whole files removed (see rowdelta.h). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arrow/child_move.h"
#include "core/arena.h"
#include "core/log.h"
#include "iceberg/arrow_conform.h"
#include "iceberg/arrow_map.h"
#include "iceberg/arrow_value.h"
#include "iceberg/datafile.h"
#include "iceberg/delete_write.h"
#include "iceberg/puffin.h"
#include "iceberg/rewrite.h"
#include "iceberg/rowdelta.h"
#include "iceberg/scan.h"

static int oom(prestige_error_t *err) { return prestige_error_set(err, PRESTIGE_ENOMEM, "delete: out of memory"); }

/* ---- writing delete files ----------------------------------------------------------------------- */
int ice_delete_writer_options(const ice_table_metadata_t *md, prestige_parquet_writer_options_t *o, prestige_error_t *err) {
  prestige_parquet_writer_options_init(o);
  const char *codec = ice_metadata_property(md, "write.delete.parquet.compression-codec", NULL);
  if (!codec) codec = ice_metadata_property(md, "write.parquet.compression-codec", "zstd");
  prestige_compression_t c;
  if (prestige_compression_parse(codec, &c, NULL))
    return prestige_error_set(err, PRESTIGE_EINVAL, "table property write.parquet.compression-codec: unknown codec \"%s\"", codec);
  o->compression = c;
  return 0;
}

int ice_delete_location(const ice_table_metadata_t *md, const ice_data_file_t *like, const char *uuid, int n, const char *ext,
                        char **out, prestige_error_t *err) {
  *out = NULL;
  const char *dp = ice_metadata_property(md, "write.data.path", NULL);
  buf_t b = BUF_INIT;
  int rc = 0;
  char tail[160];
  snprintf(tail, sizeof tail, "/%s-deletes-%05d.%s", uuid, n, ext);
  if (dp) rc = buf_append(&b, dp, strlen(dp));
  else rc = buf_append(&b, md->location, strlen(md->location)) || buf_append(&b, "/data", 5);
  while (!rc && b.len > 1 && b.data[b.len - 1] == '/') b.len--;
  const ice_partition_spec_t *spec = like ? ice_metadata_spec(md, like->spec_id) : NULL;
  if (!rc && spec && like->n_partition && !ice_partition_spec_is_unpartitioned(spec)) {
    rc = buf_append_u8(&b, '/') ? PRESTIGE_ENOMEM : 0;
    if (!rc) rc = ice_partition_path(spec, ice_metadata_current_schema(md), like->partition, &b, err);
  }
  if (!rc) rc = buf_append(&b, tail, strlen(tail) + 1) ? PRESTIGE_ENOMEM : 0;
  if (rc) {
    buf_release(&b);
    return rc == PRESTIGE_ENOMEM ? oom(err) : rc;
  }
  *out = (char *)buf_detach(&b, NULL);
  return 0;
}

int ice_write_delete_parquet(ice_io_t *io, const ice_table_metadata_t *md, const char *loc, const ice_schema_t *schema,
                             const struct ArrowSchema *arrow, struct ArrowArray *batches, size_t n, arena_t *arena,
                             ice_data_file_t *out, prestige_error_t *err) {
  prestige_parquet_writer_options_t wo;
  PRESTIGE_TRY(ice_delete_writer_options(md, &wo, err));
  ice_metrics_config_t *mc = NULL;
  PRESTIGE_TRY(ice_metrics_config_new(NULL, schema, NULL, &mc, err));
  prestige_output_t o;
  prestige_parquet_writer_t *w = NULL;
  int rc = ice_io_open_output(io, loc, &o, err);
  if (!rc) rc = prestige_parquet_writer_open(&w, arrow, &o, &wo, err);
  for (size_t i = 0; i < n && !rc; i++) rc = prestige_parquet_writer_write(w, &batches[i], err);
  prestige_parquet_file_summary_t s;
  memset(&s, 0, sizeof s);
  if (w) {
    if (rc) prestige_parquet_writer_abort(w);
    else rc = prestige_parquet_writer_close(w, &s, err);
  }
  if (!rc) rc = ice_data_file_from_parquet(arena, &s, schema, mc, loc, out, err);
  if (w && !rc) prestige_parquet_file_summary_release(&s);
  ice_metrics_config_free(mc);
  if (rc) prestige_error_prefix(err, "delete file %s", loc);
  return rc;
}

static const char POS_SCHEMA[] =
    "{\"type\":\"struct\",\"schema-id\":0,\"fields\":[{\"id\":2147483546,\"name\":\"file_path\",\"required\":true,\"type\":"
    "\"string\"},{\"id\":2147483545,\"name\":\"pos\",\"required\":true,\"type\":\"long\"}]}";

int ice_position_delete_schema(ice_schema_t **schema, struct ArrowSchema *arrow, prestige_error_t *err) {
  PRESTIGE_TRY(ice_schema_from_json_text(POS_SCHEMA, schema, err));
  int rc = ice_schema_to_arrow(*schema, arrow, err);
  if (rc) {
    ice_schema_free(*schema);
    *schema = NULL;
  }
  return rc;
}

/* The identifier fields of the table schema as their own schema (top-level fields only). */
static int equality_schema(const ice_schema_t *ts, ice_schema_t **out, struct ArrowSchema *arrow, prestige_error_t *err) {
  *out = NULL;
  if (!ts->n_identifier_ids)
    return prestige_error_set(err, PRESTIGE_EINVAL, "equality deletes need identifier fields, and the table's schema has none");
  json_t *j = ice_schema_to_json(ts);
  if (!j) return oom(err);
  json_t *fields = json_object_get(j, "fields"), *keep = json_array();
  size_t i;
  json_t *f;
  json_array_foreach(fields, i, f) {
    int32_t id = (int32_t)json_integer_value(json_object_get(f, "id"));
    for (size_t k = 0; k < ts->n_identifier_ids; k++)
      if (ts->identifier_ids[k] == id) json_array_append(keep, f);
  }
  int rc = 0;
  if (json_array_size(keep) != ts->n_identifier_ids)
    rc = prestige_error_set(err, PRESTIGE_EUNSUPPORTED, "equality deletes: identifier fields inside structs are not supported");
  json_object_set_new(j, "fields", keep);
  if (!rc) rc = ice_schema_from_json(j, "equality delete schema", out, err);
  json_decref(j);
  if (!rc) rc = ice_schema_to_arrow(*out, arrow, err);
  return rc;
}

/* ---- reading candidates ------------------------------------------------------------------------- */
typedef struct task_ctx {
  const prestige_bound_predicate_t *bound;
  const struct ArrowSchema *out_schema;
  int64_t live, matched;
  int64_t *pos;
  size_t n_pos, cap_pos;
  /* equality mode: matching rows' key columns */
  const int *key_cols;
  size_t n_key_cols;
  struct ArrowArray *keys;
  size_t n_keys, cap_keys;
  uint8_t *sel;
  size_t cap_sel;
} task_ctx_t;

static int on_batch(void *user, struct ArrowArray *b, const int64_t *positions, prestige_error_t *err) {
  task_ctx_t *c = user;
  size_t nb = (size_t)(b->length + 7) / 8 + 1;
  if (nb > c->cap_sel) {
    uint8_t *g = realloc(c->sel, nb);
    if (!g) {
      b->release(b);
      return oom(err);
    }
    c->sel = g, c->cap_sel = nb;
  }
  int64_t n_sel = 0;
  int rc = prestige_bound_predicate_select(c->bound, b, c->sel, &n_sel, err);
  c->live += b->length;
  c->matched += rc ? 0 : n_sel;
  if (!rc && n_sel) {
    if (c->n_pos + (size_t)n_sel > c->cap_pos) {
      size_t nc = (c->n_pos + (size_t)n_sel) * 2;
      int64_t *g = realloc(c->pos, nc * sizeof(*g));
      if (!g) rc = oom(err);
      else c->pos = g, c->cap_pos = nc;
    }
    for (int64_t i = 0; !rc && i < b->length; i++)
      if (c->sel[i >> 3] & (1u << (i & 7))) c->pos[c->n_pos++] = positions[i];
  }
  if (!rc && n_sel && c->key_cols) {
    struct ArrowArray f;
    rc = prestige_array_filter(b, c->out_schema, c->sel, n_sel, &f, err);
    if (!rc) {
      struct ArrowArray k;
      rc = prestige_array_init(&k, 1, (int64_t)c->n_key_cols, err);
      if (!rc) {
        k.length = f.length;
        k.null_count = 0;
        for (size_t i = 0; i < c->n_key_cols; i++) arrow_child_move(k.children[i], &f, (int64_t)c->key_cols[i]);
      }
      f.release(&f);
      if (!rc && c->n_keys == c->cap_keys) {
        size_t nc = c->cap_keys ? c->cap_keys * 2 : 8;
        struct ArrowArray *g = realloc(c->keys, nc * sizeof(*g));
        if (!g) {
          k.release(&k);
          rc = oom(err);
        } else c->keys = g, c->cap_keys = nc;
      }
      if (!rc) c->keys[c->n_keys++] = k;
    }
  }
  b->release(b);
  return rc;
}

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

/* ---- deletion vectors (V3) ---------------------------------------------------------------------------- */
typedef struct dv_out {
  const ice_data_file_t *data; /* the data file (for carried-over DVs: the old DV entry, for its partition) */
  int64_t *pos;
  size_t n;
} dv_out_t;

/* Carries over the DVs of replaced Puffin files that this delete does not rewrite, then writes one
 * Puffin file with all of them and describes each blob as a delete file. */
static int write_dvs(ice_io_t *io, const ice_table_metadata_t *md, const ice_scan_plan_t *plan, const char *uuid, int seq, dv_out_t *dvs,
                     size_t *n_dvs, const ice_pathset_t *old_puffins, arena_t *arena, ice_data_file_t *dfiles, size_t *n_dfiles,
                     char **written, size_t *n_written, prestige_error_t *err) {
  int rc = 0;
  size_t n_new = *n_dvs;
  const char **refs = calloc(plan->n_deletes + n_new + 1, sizeof(char *));
  if (!refs) return oom(err);
  for (size_t i = 0; i < n_new; i++) refs[i] = dvs[i].data->file_path;
  for (size_t d = 0; d < plan->n_deletes && !rc; d++) {
    const ice_data_file_t *df = &plan->deletes[d].file;
    if (strcasecmp(df->file_format, "puffin") || !ice_pathset_get(old_puffins, df->file_path, NULL) || !df->referenced_data_file) continue;
    bool ours = false;
    for (size_t i = 0; i < n_new && !ours; i++) ours = !strcmp(dvs[i].data->file_path, df->referenced_data_file);
    if (ours) continue;
    int64_t *pos = NULL;
    size_t n = 0;
    if ((rc = ice_dv_read(io, df, &pos, &n, err))) break;
    dvs[*n_dvs] = (dv_out_t){df, pos, n};
    refs[*n_dvs] = df->referenced_data_file;
    (*n_dvs)++;
  }
  ice_dv_blob_t *blobs = rc ? NULL : calloc(*n_dvs + 1, sizeof(*blobs));
  if (!rc && !blobs) rc = oom(err);
  for (size_t i = 0; !rc && i < *n_dvs; i++) blobs[i] = (ice_dv_blob_t){refs[i], dvs[i].pos, dvs[i].n, 0, 0};
  char *loc = NULL;
  int64_t size = 0;
  if (!rc) rc = ice_delete_location(md, NULL, uuid, seq, "puffin", &loc, err);
  if (!rc) written[(*n_written)++] = loc;
  if (!rc) rc = ice_puffin_write_dvs(io, loc, blobs, *n_dvs, &size, err);
  for (size_t i = 0; !rc && i < *n_dvs; i++) {
    ice_data_file_t *df = &dfiles[(*n_dfiles)++];
    memset(df, 0, sizeof(*df));
    df->content = ICE_CONTENT_POSITION_DELETES;
    df->file_path = arena_strndup(arena, loc, strlen(loc));
    df->file_format = "puffin";
    df->spec_id = dvs[i].data->spec_id;
    df->partition = dvs[i].data->partition;
    df->n_partition = dvs[i].data->n_partition;
    df->record_count = (int64_t)dvs[i].n;
    df->file_size_in_bytes = size;
    df->referenced_data_file = refs[i];
    df->has_content_offset = df->has_content_size = true;
    df->content_offset = blobs[i].offset;
    df->content_size_in_bytes = blobs[i].length;
    if (!df->file_path) rc = oom(err);
  }
  free(blobs);
  free(refs);
  return rc;
}

/* ---- the operation ------------------------------------------------------------------------------- */
typedef struct eq_part {
  char *key;
  const ice_data_file_t *like; /* a data file of the partition */
  struct ArrowArray *batches;
  size_t n, cap;
} eq_part_t;

int ice_delete_where(ice_catalog_t *catalog, const ice_ident_t *ident, ice_io_t *io, ice_loaded_table_t *table,
                     const ice_delete_options_t *o, ice_delete_result_t *res, prestige_error_t *err) {
  memset(res, 0, sizeof(*res));
  res->snapshot_id = -1;
  if (!o || !o->where || !*o->where) return prestige_error_set(err, PRESTIGE_EINVAL, "delete: a predicate (where) is required");
  const char *name = o->what ? o->what : "table";
  char what[512];
  snprintf(what, sizeof what, "delete from %s", name);
  const ice_table_metadata_t *md = table->metadata;
  if (md->format_version < 2)
    return prestige_error_set(err, PRESTIGE_EUNSUPPORTED, "%s: format version 1 tables have no row-level deletes", what);
  ice_scan_options_t so = ICE_SCAN_OPTIONS_INIT;
  so.filter = o->where;
  ice_scan_plan_t *plan = NULL;
  PRESTIGE_TRY(ice_scan_plan(io, md, name, &so, &plan, err));
  int64_t base_id = plan->snapshot_id == ICE_SCAN_NONE ? -1 : plan->snapshot_id;
  arena_t arena = ARENA_INIT;
  ice_schema_t *dschema = NULL;
  struct ArrowSchema darrow;
  memset(&darrow, 0, sizeof darrow);
  int key_cols[64];
  size_t n_key_cols = 0;
  int rc = 0;
  if (o->mode == ICE_DELETE_EQUALITY) {
    rc = equality_schema(plan->schema, &dschema, &darrow, err);
    for (int64_t k = 0; !rc && k < darrow.n_children; k++)
      for (int64_t j = 0; j < plan->out.n_children; j++)
        if (!strcmp(plan->out.children[j]->name, darrow.children[k]->name) && n_key_cols < 64) key_cols[n_key_cols++] = (int)j;
    if (!rc && n_key_cols != (size_t)darrow.n_children) rc = prestige_error_set(err, PRESTIGE_EINTERNAL, "%s: key columns", what);
  } else {
    rc = ice_position_delete_schema(&dschema, &darrow, err);
  }
  const char **removed = calloc(plan->n_tasks + plan->n_deletes + 1, sizeof(char *));
  const char **referenced = calloc(plan->n_tasks + 1, sizeof(char *));
  ice_data_file_t *dfiles = calloc(plan->n_tasks + plan->n_deletes + 1, sizeof(ice_data_file_t));
  char **written = calloc(plan->n_tasks + 1, sizeof(char *));
  eq_part_t *parts = calloc(plan->n_tasks + 1, sizeof(eq_part_t));
  size_t n_removed = 0, n_ref = 0, n_dfiles = 0, n_written = 0, n_parts = 0;
  bool use_dv = md->format_version >= 3;
  dv_out_t *dvs = calloc(plan->n_tasks + plan->n_deletes + 1, sizeof(dv_out_t));
  size_t n_dvs = 0;
  ice_pathset_t old_puffins = {0};
  const char **removed_puffins = NULL;
  if (!dvs) rc = oom(err);
  if (!rc && (!removed || !referenced || !dfiles || !written || !parts)) rc = oom(err);
  char uuid[37];
  if (!rc) rc = ice_uuid_v4(uuid, err);
  buf_t pkey = BUF_INIT;
  task_ctx_t c;
  memset(&c, 0, sizeof c);
  for (size_t t = 0; t < plan->n_tasks && !rc; t++) {
    const ice_data_file_t *f = &plan->tasks[t].file;
    c.bound = plan->bound;
    c.out_schema = &plan->out;
    c.live = c.matched = 0;
    c.n_pos = 0;
    c.key_cols = o->mode == ICE_DELETE_EQUALITY ? key_cols : NULL;
    c.n_key_cols = n_key_cols;
    c.n_keys = 0;
    rc = ice_scan_read_task(io, plan, t, 0, on_batch, &c, err);
    if (rc || !c.matched) {
      for (size_t i = 0; i < c.n_keys; i++) c.keys[i].release(&c.keys[i]);
      continue;
    }
    res->deleted_rows += c.matched;
    if (c.matched == c.live) { /* every live row goes: the file goes */
      removed[n_removed++] = f->file_path;
      res->removed_files++;
      for (size_t i = 0; i < c.n_keys; i++) c.keys[i].release(&c.keys[i]);
      continue;
    }
    if (o->mode == ICE_DELETE_POSITION && use_dv) {
      /* V3: the file's deletion vector, merged with the one it has */
      qsort(c.pos, c.n_pos, sizeof(int64_t), cmp_i64);
      const ice_scan_task_t *task = &plan->tasks[t];
      int64_t *merged = NULL;
      size_t n_merged = 0;
      for (uint32_t k = 0; k < task->n_deletes && !rc; k++) {
        const ice_data_file_t *df = &plan->deletes[task->deletes[k]].file;
        if (df->content != ICE_CONTENT_POSITION_DELETES || strcasecmp(df->file_format, "puffin")) continue;
        rc = ice_dv_read(io, df, &merged, &n_merged, err);
        if (!rc && ice_pathset_add(&old_puffins, df->file_path, 1)) rc = oom(err);
        break; /* at most one DV per data file */
      }
      if (rc) {
        free(merged);
        break;
      }
      int64_t *all = realloc(merged, (n_merged + c.n_pos + 1) * sizeof(int64_t));
      if (!all) {
        free(merged);
        rc = oom(err);
        break;
      }
      memcpy(all + n_merged, c.pos, c.n_pos * sizeof(int64_t));
      size_t n_all = n_merged + c.n_pos;
      qsort(all, n_all, sizeof(int64_t), cmp_i64);
      dvs[n_dvs] = (dv_out_t){f, all, n_all};
      n_dvs++;
      referenced[n_ref++] = f->file_path;
    } else if (o->mode == ICE_DELETE_POSITION) {
      qsort(c.pos, c.n_pos, sizeof(int64_t), cmp_i64);
      prestige_array_builder_t *b = NULL;
      struct ArrowArray batch;
      memset(&batch, 0, sizeof batch);
      rc = prestige_array_builder_new(&b, &darrow, err);
      size_t plen = strlen(f->file_path);
      for (size_t i = 0; i < c.n_pos && !rc; i++) {
        rc = prestige_array_builder_append_bytes(prestige_array_builder_child(b, 0), f->file_path, (int64_t)plen, err);
        if (!rc) rc = prestige_array_builder_append_int(prestige_array_builder_child(b, 1), c.pos[i], err);
        if (!rc) rc = prestige_array_builder_append_struct(b, err);
      }
      if (!rc) rc = prestige_array_builder_finish(b, &batch, err);
      prestige_array_builder_free(b);
      char *loc = NULL;
      if (!rc) rc = ice_delete_location(md, f, uuid, (int)n_written + 1, "parquet", &loc, err);
      if (!rc) written[n_written++] = loc;
      ice_data_file_t *df = &dfiles[n_dfiles];
      if (!rc) rc = ice_write_delete_parquet(io, md, loc, dschema, &darrow, &batch, 1, &arena, df, err);
      if (batch.release) batch.release(&batch);
      if (rc) break;
      df->content = ICE_CONTENT_POSITION_DELETES;
      df->spec_id = f->spec_id;
      df->partition = f->partition;
      df->n_partition = f->n_partition;
      df->referenced_data_file = f->file_path;
      df->split_offsets = NULL, df->n_split_offsets = 0;
      n_dfiles++;
      referenced[n_ref++] = f->file_path;
    } else {
      rc = ice_partition_key(md, f, &pkey, err);
      eq_part_t *p = NULL;
      for (size_t i = 0; !rc && i < n_parts && !p; i++)
        if (!strcmp(parts[i].key, (const char *)pkey.data)) p = &parts[i];
      if (!rc && !p) {
        p = &parts[n_parts++];
        if (!(p->key = strdup((const char *)pkey.data))) rc = oom(err);
        p->like = f;
      }
      for (size_t i = 0; i < c.n_keys; i++) {
        if (!rc && p->n == p->cap) {
          size_t nc = p->cap ? p->cap * 2 : 8;
          struct ArrowArray *g = realloc(p->batches, nc * sizeof(*g));
          if (!g) rc = oom(err);
          else p->batches = g, p->cap = nc;
        }
        if (rc) c.keys[i].release(&c.keys[i]);
        else p->batches[p->n++] = c.keys[i];
      }
      c.n_keys = 0;
    }
  }
  /* V3: one Puffin file with every new DV, plus the DVs that shared a replaced Puffin file */
  if (!rc && n_dvs) rc = write_dvs(io, md, plan, uuid, (int)n_written + 1, dvs, &n_dvs, &old_puffins, &arena, dfiles, &n_dfiles,
                                   written, &n_written, err);
  for (size_t i = 0; !rc && i < old_puffins.cap; i++)
    if (old_puffins.slots[i]) removed[n_removed++] = old_puffins.slots[i];
  (void)removed_puffins;
  /* equality: one file per partition */
  for (size_t i = 0; i < n_parts && !rc; i++) {
    char *loc = NULL;
    rc = ice_delete_location(md, parts[i].like, uuid, (int)n_written + 1, "parquet", &loc, err);
    if (!rc) written[n_written++] = loc;
    ice_data_file_t *df = &dfiles[n_dfiles];
    if (!rc) rc = ice_write_delete_parquet(io, md, loc, dschema, &darrow, parts[i].batches, parts[i].n, &arena, df, err);
    if (rc) break;
    df->content = ICE_CONTENT_EQUALITY_DELETES;
    df->spec_id = parts[i].like->spec_id;
    df->partition = parts[i].like->partition;
    df->n_partition = parts[i].like->n_partition;
    df->equality_ids = dschema->identifier_ids;
    df->n_equality_ids = (uint32_t)dschema->n_identifier_ids;
    df->split_offsets = NULL, df->n_split_offsets = 0;
    n_dfiles++;
  }
  if (!rc && (n_removed || n_dfiles)) {
    ice_rewrite_group_t g;
    memset(&g, 0, sizeof g);
    g.remove = removed, g.n_remove = n_removed;
    g.add_deletes = dfiles, g.n_add_deletes = n_dfiles;
    g.require_live = referenced, g.n_require_live = n_ref;
    g.no_new_dvs = md->format_version >= 3;
    ice_rewrite_options_t ro = ICE_REWRITE_OPTIONS_INIT;
    ro.operation = "delete";
    ro.base_snapshot_id = base_id;
    ro.what = what;
    ice_rewrite_result_t rr;
    rc = ice_rewrite_commit(catalog, ident, io, table, &g, 1, &ro, &rr, err);
    res->attempts = rr.attempts;
    if (!rc) res->snapshot_id = rr.snapshot_id;
    ice_rewrite_result_release(&rr);
  }
  if (rc && rc != PRESTIGE_EUNKNOWN_STATE) { /* nothing of ours is referenced: remove what was written (an
                                              * unknown outcome may have landed: its files stay) */
    for (size_t i = 0; i < n_written; i++) {
      prestige_error_t e;
      if (ice_io_delete(io, written[i], &e)) LOG_WARN("could not delete %s: %s", written[i], e.message);
    }
    res->deleted_rows = 0;
  }
  res->delete_files = rc ? 0 : (int64_t)n_dfiles;
  for (size_t i = 0; i < n_written; i++) free(written[i]);
  for (size_t i = 0; parts && i < n_parts; i++) {
    for (size_t k = 0; k < parts[i].n; k++) parts[i].batches[k].release(&parts[i].batches[k]);
    free(parts[i].batches);
    free(parts[i].key);
  }
  free(parts);
  for (size_t i = 0; dvs && i < n_dvs; i++) free(dvs[i].pos);
  free(dvs);
  ice_pathset_release(&old_puffins);
  free(written);
  free(removed);
  free(referenced);
  free(dfiles);
  free(c.pos);
  free(c.keys);
  free(c.sel);
  buf_release(&pkey);
  if (darrow.release) darrow.release(&darrow);
  ice_schema_free(dschema);
  arena_release(&arena);
  ice_scan_plan_free(plan);
  return rc;
}

/* ---- equality deletes by key batches (the upsert building block) -------------------------------------- */
int ice_delete_keys(ice_catalog_t *catalog, const ice_ident_t *ident, ice_io_t *io, ice_loaded_table_t *table,
                    const struct ArrowSchema *schema, struct ArrowArray *keys, const char *what_name, ice_delete_result_t *res,
                    prestige_error_t *err) {
  memset(res, 0, sizeof(*res));
  res->snapshot_id = -1;
  const char *name = what_name ? what_name : "table";
  char what[512];
  snprintf(what, sizeof what, "delete keys from %s", name);
  const ice_table_metadata_t *md = table->metadata;
  const ice_schema_t *ts = ice_metadata_current_schema(md);
  const ice_partition_spec_t *spec = ice_metadata_default_spec(md);
  ice_schema_t *ks = NULL;
  struct ArrowSchema karrow;
  memset(&karrow, 0, sizeof karrow);
  ice_conform_t *conf = NULL;
  struct ArrowArray batch;
  memset(&batch, 0, sizeof batch);
  int rc = 0;
  if (md->format_version < 2) rc = prestige_error_set(err, PRESTIGE_EUNSUPPORTED, "%s: format version 1 tables have no row-level deletes", what);
  if (!rc && (!ts || !spec)) rc = prestige_error_set(err, PRESTIGE_ECORRUPT, "%s: no current schema or spec", what);
  if (!rc) rc = equality_schema(ts, &ks, &karrow, err);
  if (!rc) rc = ice_conform_plan(&karrow, schema, ICE_MATCH_BY_NAME, "keys", &conf, err);
  if (!rc) {
    rc = ice_conform_apply(conf, keys, &batch, err);
    keys = NULL;
  }
  if (keys && keys->release) keys->release(keys);
  if (rc) prestige_error_prefix(err, "%s", what);
  /* the partition of each key row: every partition source must be a key column */
  bool partitioned = spec && !ice_partition_spec_is_unpartitioned(spec);
  ice_col_path_t *src = NULL;
  ice_value_t *sv = NULL, *pv = NULL;
  if (!rc && partitioned) {
    src = calloc(spec->n_fields, sizeof(*src));
    sv = calloc(spec->n_fields, sizeof(*sv));
    pv = calloc(spec->n_fields, sizeof(*pv));
    if (!src || !sv || !pv) rc = oom(err);
    for (size_t k = 0; !rc && k < spec->n_fields; k++)
      if (ice_col_path_find(ks, spec->fields[k].source_id, &src[k], NULL))
        rc = prestige_error_set(err, PRESTIGE_EUNSUPPORTED,
                                "%s: the table is partitioned by %s, which is not an identifier field (equality deletes apply "
                                "within one partition: delete by predicate instead)",
                                what, spec->fields[k].name);
  }
  /* rows grouped by partition */
  int64_t n_rows = batch.release ? batch.length : 0;
  char **pkeys = NULL;
  int64_t *row_part = NULL;
  size_t n_p = 0;
  arena_t arena = ARENA_INIT;
  ice_data_file_t *likes = NULL, *dfiles = NULL;
  char **written = NULL;
  size_t n_written = 0;
  buf_t kb = BUF_INIT;
  if (!rc && n_rows) {
    pkeys = calloc((size_t)n_rows + 1, sizeof(char *));
    row_part = calloc((size_t)n_rows + 1, sizeof(int64_t));
    likes = calloc((size_t)n_rows + 1, sizeof(*likes));
    if (!pkeys || !row_part || !likes) rc = oom(err);
  }
  for (int64_t r = 0; !rc && r < n_rows; r++) {
    ice_data_file_t f;
    memset(&f, 0, sizeof f);
    f.spec_id = spec->spec_id;
    if (partitioned) {
      for (size_t k = 0; k < spec->n_fields; k++) ice_col_value(&src[k], &batch, r, &sv[k]);
      if ((rc = ice_partition_apply(spec, ts, sv, pv, err))) break;
      f.partition = pv;
      f.n_partition = (uint32_t)spec->n_fields;
    }
    if ((rc = ice_partition_key(md, &f, &kb, err))) break;
    size_t i = 0;
    while (i < n_p && strcmp(pkeys[i], (const char *)kb.data)) i++;
    if (i == n_p) {
      if (!(pkeys[n_p] = strdup((const char *)kb.data))) {
        rc = oom(err);
        break;
      }
      likes[n_p] = f;
      if (partitioned) {
        likes[n_p].partition = arena_calloc(&arena, spec->n_fields, sizeof(ice_value_t));
        if (!likes[n_p].partition) {
          rc = oom(err);
          break;
        }
        for (size_t k = 0; k < spec->n_fields; k++) {
          likes[n_p].partition[k] = pv[k];
          if (pv[k].ptr) { /* strings and binaries: copied out of the batch */
            uint8_t *c = arena_alloc(&arena, pv[k].len + 1);
            if (!c) {
              rc = oom(err);
              break;
            }
            memcpy(c, pv[k].ptr, pv[k].len);
            likes[n_p].partition[k].ptr = c;
          }
        }
      }
      n_p++;
    }
    row_part[r] = (int64_t)i;
  }
  char uuid[37];
  if (!rc && n_p) rc = ice_uuid_v4(uuid, err);
  if (!rc && n_p) {
    dfiles = calloc(n_p, sizeof(*dfiles));
    written = calloc(n_p, sizeof(char *));
    if (!dfiles || !written) rc = oom(err);
  }
  uint8_t *sel = n_rows ? malloc((size_t)(n_rows + 7) / 8 + 1) : NULL;
  if (!rc && n_rows && !sel) rc = oom(err);
  for (size_t i = 0; !rc && i < n_p; i++) {
    memset(sel, 0, (size_t)(n_rows + 7) / 8 + 1);
    int64_t k = 0;
    for (int64_t r = 0; r < n_rows; r++)
      if (row_part[r] == (int64_t)i) sel[r >> 3] |= (uint8_t)(1u << (r & 7)), k++;
    struct ArrowArray part;
    if ((rc = prestige_array_filter(&batch, &karrow, sel, k, &part, err))) break;
    char *loc = NULL;
    rc = ice_delete_location(md, partitioned ? &likes[i] : NULL, uuid, (int)i + 1, "parquet", &loc, err);
    if (!rc) written[n_written++] = loc;
    if (!rc) rc = ice_write_delete_parquet(io, md, loc, ks, &karrow, &part, 1, &arena, &dfiles[i], err);
    part.release(&part);
    if (rc) break;
    dfiles[i].content = ICE_CONTENT_EQUALITY_DELETES;
    dfiles[i].spec_id = spec->spec_id;
    dfiles[i].partition = likes[i].partition;
    dfiles[i].n_partition = likes[i].n_partition;
    dfiles[i].equality_ids = ks->identifier_ids;
    dfiles[i].n_equality_ids = (uint32_t)ks->n_identifier_ids;
    dfiles[i].split_offsets = NULL, dfiles[i].n_split_offsets = 0;
  }
  if (!rc && n_p) {
    ice_rewrite_group_t g;
    memset(&g, 0, sizeof g);
    g.add_deletes = dfiles, g.n_add_deletes = n_p;
    ice_rewrite_options_t ro = ICE_REWRITE_OPTIONS_INIT;
    ro.operation = "delete";
    ro.base_snapshot_id = md->current_snapshot_id;
    ro.what = what;
    ice_rewrite_result_t rr;
    rc = ice_rewrite_commit(catalog, ident, io, table, &g, 1, &ro, &rr, err);
    res->attempts = rr.attempts;
    if (!rc) res->snapshot_id = rr.snapshot_id, res->delete_files = (int64_t)n_p;
    ice_rewrite_result_release(&rr);
  }
  if (rc && rc != PRESTIGE_EUNKNOWN_STATE) /* an unknown outcome may have landed: its files stay */
    for (size_t i = 0; i < n_written; i++) ice_io_delete(io, written[i], NULL);
  for (size_t i = 0; i < n_written; i++) free(written[i]);
  for (size_t i = 0; pkeys && i < n_p; i++) free(pkeys[i]);
  free(written), free(dfiles), free(likes), free(pkeys), free(row_part), free(sel), free(src), free(sv), free(pv);
  buf_release(&kb);
  arena_release(&arena);
  if (batch.release) batch.release(&batch);
  ice_conform_free(conf);
  if (karrow.release) karrow.release(&karrow);
  ice_schema_free(ks);
  return rc;
}
