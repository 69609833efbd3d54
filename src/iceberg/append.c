/* Appends, the writing half: batches conformed to the table schema, split by partition, sorted
 * when the table has a sort order, written as rolled Parquet files (see table_ops.h). The commit
 * half is append_commit.c. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arrow/stream.h"
#include "core/log.h"
#include "iceberg/append_internal.h"
#include "iceberg/arrow_map.h"
#include "iceberg/arrow_take.h"
#include "iceberg/partition_runs.h"

static int oom(prestige_error_t *err) { return prestige_error_set(err, PRESTIGE_ENOMEM, "append: out of memory"); }

void ice_commit_result_release(ice_commit_result_t *r) {
  if (!r) return;
  for (size_t i = 0; i < r->n_paths; i++) free(r->paths[i]);
  free(r->paths);
  memset(r, 0, sizeof(*r));
}

/* ---- options from table properties --------------------------------------------------------------- */
static int64_t prop_i64(const ice_table_metadata_t *md, const char *key, int64_t dflt) {
  const char *v = ice_metadata_property(md, key, NULL);
  if (!v) return dflt;
  char *end;
  long long x = strtoll(v, &end, 10);
  return (*end || end == v) ? dflt : (int64_t)x;
}

static int writer_options(ice_append_t *a, const ice_append_options_t *o, prestige_error_t *err) {
  const ice_table_metadata_t *md = a->base.metadata;
  if (o && o->writer) {
    a->wopts = *o->writer;
  } else {
    prestige_parquet_writer_options_init(&a->wopts);
    const char *codec = ice_metadata_property(md, "write.parquet.compression-codec", "zstd");
    prestige_compression_t c;
    if (prestige_compression_parse(codec, &c, NULL))
      return prestige_error_set(err, PRESTIGE_EINVAL, "table property write.parquet.compression-codec: unknown codec \"%s\"",
                                codec);
    a->wopts.compression = c;
    const char *level = ice_metadata_property(md, "write.parquet.compression-level", NULL);
    if (level) a->wopts.compression_level = atoi(level);
    /* Row groups: the table's write.parquet.row-group-size-bytes when set (a byte target, Java's
     * meaning; the writer's row cap stays as a memory bound); otherwise ICE_ROW_GROUP_ROWS rows
     * (and 128 MiB, Java's default): a reader decodes a row group at a time, so 1M-row groups
     * cost a first scan ~35 MB of fresh buffers per file in flight, DuckDB writes 122,880 rows. */
    const char *rg = ice_metadata_property(md, "write.parquet.row-group-size-bytes", NULL);
    a->wopts.row_group_bytes = prop_i64(md, "write.parquet.row-group-size-bytes", 128LL << 20);
    if (!rg) a->wopts.row_group_rows = ICE_ROW_GROUP_ROWS;
    a->wopts.data_page_bytes = prop_i64(md, "write.parquet.page-size-bytes", 1LL << 20);
    a->wopts.dictionary_page_bytes = prop_i64(md, "write.parquet.dict-size-bytes", 2LL << 20);
  }
  if (o && o->set_compression) {
    a->wopts.compression = (prestige_compression_t)o->compression;
    a->wopts.compression_level = o->compression_level; /* the table's level is for the table's codec */
  }
  if (o && o->writer_threads > 1) a->wopts.threads = o->writer_threads;
  if (ice_metrics_config_any_full(a->mc) && a->wopts.max_statistics_bytes < 4096) a->wopts.max_statistics_bytes = 4096;
  /* the iceberg.schema footer key, as Java's Parquet writer stores it, after the caller's keys */
  size_t n = a->wopts.n_metadata > 0 ? (size_t)a->wopts.n_metadata : 0;
  a->footer = calloc(n + 1, sizeof(prestige_kv_t));
  if (!a->footer) return oom(err);
  for (size_t i = 0; i < n; i++) a->footer[i] = a->wopts.metadata[i];
  a->footer[n] = (prestige_kv_t){"iceberg.schema", a->schema_json, -1};
  a->wopts.metadata = a->footer;
  a->wopts.n_metadata = (int64_t)n + 1;
  return 0;
}

/* ---- partitions ------------------------------------------------------------------------------------ */
static uint64_t fnv1a(const uint8_t *p, size_t n) {
  uint64_t h = 1469598103934665603ULL;
  for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 1099511628211ULL;
  return h;
}

/* A partition tuple as bytes: per field a null flag and the single-value form (NaN canonical). */
static int partition_key(ice_append_t *a, const ice_value_t *vals, buf_t *key, prestige_error_t *err) {
  buf_clear(key);
  for (size_t i = 0; i < a->ptype->n_fields; i++) {
    const ice_type_t *t = a->ptype->fields[i].type;
    ice_value_t v = vals[i];
    if (v.is_null) {
      if (buf_append_u8(key, 0)) return oom(err);
      continue;
    }
    if (t->id == ICE_FLOAT && isnan(v.v.f32)) v.v.f32 = NAN;
    if (t->id == ICE_DOUBLE && isnan(v.v.f64)) v.v.f64 = NAN;
    PRESTIGE_TRY(ice_value_to_bytes(t, &v, &a->scratch, err));
    uint32_t len = (uint32_t)a->scratch.len;
    if (buf_append_u8(key, 1) || buf_append(key, &len, 4) || buf_append(key, a->scratch.data, a->scratch.len))
      return oom(err);
  }
  return 0;
}

static int grow_table(ice_append_t *a) {
  size_t ns = a->n_slots ? a->n_slots * 2 : 64;
  int32_t *slots = malloc(ns * sizeof(int32_t));
  if (!slots) return PRESTIGE_ENOMEM;
  for (size_t i = 0; i < ns; i++) slots[i] = -1;
  for (size_t p = 0; p < a->n_parts; p++) {
    size_t s = (size_t)(a->parts[p]->hash & (ns - 1));
    while (slots[s] >= 0) s = (s + 1) & (ns - 1);
    slots[s] = (int32_t)p;
  }
  free(a->slots);
  a->slots = slots;
  a->n_slots = ns;
  return 0;
}

/* The partition state for a tuple, created on first sight. */
static int partition_for(ice_append_t *a, const ice_value_t *vals, int32_t *out, prestige_error_t *err) {
  PRESTIGE_TRY(partition_key(a, vals, &a->key, err));
  uint64_t h = fnv1a(a->key.data, a->key.len);
  if (a->n_slots) {
    size_t s = (size_t)(h & (a->n_slots - 1));
    while (a->slots[s] >= 0) {
      part_state_t *p = a->parts[a->slots[s]];
      if (p->hash == h && p->key_len == a->key.len && !memcmp(p->key, a->key.data, a->key.len)) {
        *out = a->slots[s];
        return 0;
      }
      s = (s + 1) & (a->n_slots - 1);
    }
  }
  if ((a->n_parts + 1) * 2 > a->n_slots && grow_table(a)) return oom(err);
  if (a->n_parts == a->cap_parts) {
    size_t nc = a->cap_parts ? a->cap_parts * 2 : 16;
    part_state_t **g = realloc(a->parts, nc * sizeof(*g));
    if (!g) return oom(err);
    a->parts = g;
    a->cap_parts = nc;
  }
  part_state_t *p = calloc(1, sizeof(*p));
  if (!p) return oom(err);
  p->hash = h;
  p->key_len = a->key.len;
  p->key = arena_alloc(&a->arena, a->key.len ? a->key.len : 1);
  p->values = arena_calloc(&a->arena, a->ptype->n_fields ? a->ptype->n_fields : 1, sizeof(ice_value_t));
  if (!p->key || !p->values) {
    free(p);
    return oom(err);
  }
  if (a->key.len) memcpy(p->key, a->key.data, a->key.len);
  for (size_t i = 0; i < a->ptype->n_fields; i++) {
    p->values[i] = vals[i];
    if (vals[i].ptr) {
      uint8_t *c = arena_alloc(&a->arena, vals[i].len ? vals[i].len : 1);
      if (!c) {
        free(p);
        return oom(err);
      }
      if (vals[i].len) memcpy(c, vals[i].ptr, vals[i].len);
      p->values[i].ptr = c;
    }
  }
  buf_t path = BUF_INIT;
  int rc = ice_partition_path(a->spec, a->schema, p->values, &path, err);
  if (!rc) rc = buf_append_u8(&path, 0) ? oom(err) : 0;
  if (rc) {
    buf_release(&path);
    free(p);
    return rc;
  }
  p->path = (char *)buf_detach(&path, NULL);
  a->parts[a->n_parts] = p;
  size_t s = (size_t)(h & (a->n_slots - 1));
  while (a->slots[s] >= 0) s = (s + 1) & (a->n_slots - 1);
  a->slots[s] = (int32_t)a->n_parts;
  *out = (int32_t)a->n_parts++;
  return 0;
}

/* ---- files --------------------------------------------------------------------------------------- */
static int remember_path(ice_append_t *a, const char *path, prestige_error_t *err) {
  if (a->n_written == a->cap_written) {
    size_t nc = a->cap_written ? a->cap_written * 2 : 16;
    char **g = realloc(a->written, nc * sizeof(*g));
    if (!g) return oom(err);
    a->written = g;
    a->cap_written = nc;
  }
  if (!(a->written[a->n_written] = strdup(path))) return oom(err);
  a->n_written++;
  return 0;
}

static int open_file(ice_append_t *a, part_state_t *p, prestige_error_t *err) {
  char name[128];
  snprintf(name, sizeof name, "00000-0-%s-%05d.parquet", a->op_uuid, ++a->file_count);
  size_t len = strlen(a->data_dir) + strlen(p->path) + strlen(name) + 3;
  char *loc = malloc(len);
  if (!loc) return oom(err);
  if (p->path[0]) snprintf(loc, len, "%s/%s/%s", a->data_dir, p->path, name);
  else snprintf(loc, len, "%s/%s", a->data_dir, name);
  prestige_output_t out;
  int rc = remember_path(a, loc, err);
  if (!rc) rc = ice_io_open_output(a->io, loc, &out, err);
  if (!rc) rc = prestige_parquet_writer_open(&p->w, &a->arrow, &out, &a->wopts, err);
  if (rc) {
    prestige_error_prefix(err, "data file %s", loc);
    free(loc);
    p->w = NULL;
    return rc;
  }
  p->file = loc;
  p->opened = ++a->open_seq;
  a->open_files++;
  return 0;
}

static int add_file_entry(ice_append_t *a, const ice_data_file_t *f, prestige_error_t *err) {
  if (a->n_files == a->cap_files) {
    size_t nc = a->cap_files ? a->cap_files * 2 : 16;
    ice_data_file_t *g = realloc(a->files, nc * sizeof(*g));
    if (!g) return oom(err);
    a->files = g;
    a->cap_files = nc;
  }
  PRESTIGE_TRY(ice_data_file_copy(&a->arena, f, &a->files[a->n_files], err));
  a->n_files++;
  a->rows_written += f->record_count;
  return 0;
}

static int close_file(ice_append_t *a, part_state_t *p, prestige_error_t *err) {
  if (!p->w) return 0;
  prestige_parquet_file_summary_t s;
  int rc = prestige_parquet_writer_close(p->w, &s, err);
  p->w = NULL;
  a->open_files--;
  if (rc) {
    free(p->file);
    p->file = NULL;
    return rc;
  }
  arena_t tmp = ARENA_INIT;
  ice_data_file_t f;
  rc = ice_data_file_from_parquet(&tmp, &s, a->schema, a->mc, p->file, &f, err);
  if (!rc) {
    f.spec_id = a->spec->spec_id;
    f.partition = p->values;
    f.n_partition = (uint32_t)a->ptype->n_fields;
    f.has_sort_order_id = true;
    f.sort_order_id = a->order ? a->order->order_id : 0;
    rc = add_file_entry(a, &f, err);
  }
  LOG_DEBUG("append %s: file %s, %lld rows, %lld bytes", a->ident_text, p->file, (long long)s.rows, (long long)s.file_size);
  arena_release(&tmp);
  prestige_parquet_file_summary_release(&s);
  free(p->file);
  p->file = NULL;
  return rc;
}

/* Makes room for one more open file: closes the one holding the most bytes (on ties the oldest). */
static int make_room(ice_append_t *a, prestige_error_t *err) {
  while (a->open_files >= a->max_open) {
    part_state_t *victim = NULL;
    int64_t best = -1;
    for (size_t i = 0; i < a->n_parts; i++) {
      part_state_t *p = a->parts[i];
      if (!p->w) continue;
      int64_t b = prestige_parquet_writer_bytes(p->w);
      if (b > best || (b == best && victim && p->opened < victim->opened)) best = b, victim = p;
    }
    if (!victim) break;
    a->evictions++;
    PRESTIGE_TRY(close_file(a, victim, err));
  }
  return 0;
}

static int write_rows(ice_append_t *a, part_state_t *p, const struct ArrowArray *batch, prestige_error_t *err) {
  if (!p->w) {
    PRESTIGE_TRY(make_room(a, err));
    PRESTIGE_TRY(open_file(a, p, err));
  }
  PRESTIGE_TRY(prestige_parquet_writer_write(p->w, batch, err));
  if (prestige_parquet_writer_bytes(p->w) >= a->target) PRESTIGE_TRY(close_file(a, p, err));
  return 0;
}

/* ---- sorting --------------------------------------------------------------------------------------- */
typedef struct sort_ctx {
  ice_append_t *a;
  const struct ArrowArray *const *chunks;
} sort_ctx_t;

static int sort_key(ice_append_t *a, size_t k, const struct ArrowArray *chunk, int64_t row, ice_value_t *out) {
  ice_value_t src;
  ice_col_value(&a->sort_cols[k], chunk, row, &src);
  const ice_sort_field_t *f = &a->order->fields[k];
  if (f->transform.kind == ICE_T_IDENTITY || src.is_null) {
    *out = src;
    return 0;
  }
  return ice_transform_apply(&f->transform, a->sort_cols[k].type, &src, out, NULL);
}

static int compare_rows(const void *x, const void *y, void *user) {
  const sort_ctx_t *c = user;
  const ice_row_ref_t *ra = x, *rb = y;
  ice_append_t *a = c->a;
  for (size_t k = 0; k < a->order->n_fields; k++) {
    const ice_sort_field_t *f = &a->order->fields[k];
    if (!a->sort_types[k]) continue; /* unknown transform: ignored */
    ice_value_t va, vb;
    sort_key(a, k, c->chunks[ra->chunk], ra->row, &va);
    sort_key(a, k, c->chunks[rb->chunk], rb->row, &vb);
    int r;
    if (va.is_null || vb.is_null) {
      if (va.is_null && vb.is_null) continue;
      r = va.is_null ? -1 : 1;
      if (f->null_order == ICE_NULLS_LAST) r = -r;
      return r; /* null placement does not flip with the direction */
    }
    r = ice_value_compare(a->sort_types[k], &va, &vb);
    if (r) return f->direction == ICE_SORT_DESC ? -r : r;
  }
  /* stable: input order */
  if (ra->chunk != rb->chunk) return ra->chunk < rb->chunk ? -1 : 1;
  return (ra->row > rb->row) - (ra->row < rb->row);
}

static int64_t batch_bytes(const struct ArrowArray *b, const struct ArrowSchema *s) {
  int64_t n = 0;
  for (int64_t i = 0; i < b->n_buffers; i++) {
    (void)s;
    if (!b->buffers[i]) continue;
    n += b->length * 8 / (i == 0 ? 64 : 1); /* a rough in-memory size */
  }
  for (int64_t i = 0; i < b->n_children; i++) n += batch_bytes(b->children[i], s);
  if (b->n_buffers == 3 && b->buffers[1]) { /* strings: the data bytes */
    const int32_t *o = b->buffers[1];
    n += o[b->offset + b->length] - o[b->offset];
  }
  return n;
}

/* Sorts a partition's buffered rows and writes them as one file. */
static int flush_sorted(ice_append_t *a, part_state_t *p, prestige_error_t *err) {
  if (!p->n_buf) return 0;
  int64_t n = p->buf_rows;
  ice_row_ref_t *rows = malloc((size_t)(n ? n : 1) * sizeof(*rows));
  const struct ArrowArray **chunks = malloc(p->n_buf * sizeof(*chunks));
  if (!rows || !chunks) {
    free(rows);
    free(chunks);
    return oom(err);
  }
  int64_t k = 0;
  for (size_t c = 0; c < p->n_buf; c++) {
    chunks[c] = &p->buf[c];
    for (int64_t r = 0; r < p->buf[c].length; r++) rows[k++] = (ice_row_ref_t){(uint32_t)c, r};
  }
  sort_ctx_t ctx = {a, chunks};
  qsort_r(rows, (size_t)n, sizeof(*rows), compare_rows, &ctx);
  struct ArrowArray sorted;
  int rc = ice_arrow_take(&a->arrow, chunks, p->n_buf, rows, n, &sorted, err);
  free(rows);
  free(chunks);
  for (size_t c = 0; c < p->n_buf; c++) prestige_array_release(&p->buf[c]);
  a->buffered -= p->buf_bytes;
  p->n_buf = 0;
  p->buf_rows = p->buf_bytes = 0;
  if (rc) return rc;
  rc = make_room(a, err);
  if (!rc) rc = open_file(a, p, err);
  if (!rc) rc = prestige_parquet_writer_write(p->w, &sorted, err);
  prestige_array_release(&sorted);
  if (!rc) rc = close_file(a, p, err);
  return rc;
}

static int buffer_rows(ice_append_t *a, part_state_t *p, struct ArrowArray *batch, prestige_error_t *err) {
  if (p->n_buf == p->cap_buf) {
    size_t nc = p->cap_buf ? p->cap_buf * 2 : 8;
    struct ArrowArray *g = realloc(p->buf, nc * sizeof(*g));
    if (!g) {
      prestige_array_release(batch);
      return oom(err);
    }
    p->buf = g;
    p->cap_buf = nc;
  }
  int64_t bytes = batch_bytes(batch, &a->arrow);
  prestige_array_move(batch, &p->buf[p->n_buf++]);
  p->buf_rows += p->buf[p->n_buf - 1].length;
  p->buf_bytes += bytes;
  a->buffered += bytes;
  if (p->buf_bytes >= a->target || p->buf_bytes >= a->sort_budget) return flush_sorted(a, p, err);
  while (a->buffered > a->sort_budget) { /* the biggest buffer goes out first */
    part_state_t *big = NULL;
    for (size_t i = 0; i < a->n_parts; i++)
      if (a->parts[i]->n_buf && (!big || a->parts[i]->buf_bytes > big->buf_bytes)) big = a->parts[i];
    if (!big) break;
    PRESTIGE_TRY(flush_sorted(a, big, err));
  }
  return 0;
}

/* Rows of one partition: written now, or buffered for sorting. Takes ownership of batch. */
static int route(ice_append_t *a, part_state_t *p, struct ArrowArray *batch, prestige_error_t *err) {
  if (a->sorted) return buffer_rows(a, p, batch, err);
  int rc = write_rows(a, p, batch, err);
  prestige_array_release(batch);
  return rc;
}

/* ---- the append ------------------------------------------------------------------------------------ */
bool ice_arrow_schema_equal(const struct ArrowSchema *a, const struct ArrowSchema *b) {
  if (strcmp(a->format, b->format) || a->flags != b->flags || a->n_children != b->n_children) return false;
  if ((a->name == NULL) != (b->name == NULL) || (a->name && strcmp(a->name, b->name))) return false;
  if ((a->dictionary == NULL) != (b->dictionary == NULL)) return false;
  if (a->dictionary && !ice_arrow_schema_equal(a->dictionary, b->dictionary)) return false;
  for (int64_t i = 0; i < a->n_children; i++)
    if (!ice_arrow_schema_equal(a->children[i], b->children[i])) return false;
  return true;
}

int64_t ice_append_rows(const ice_append_t *a) { return a->rows_written; }
int64_t ice_append_files(const ice_append_t *a) { return (int64_t)a->n_files; }

int ice_append_new(ice_append_t **out, ice_catalog_t *catalog, const ice_ident_t *ident, ice_io_t *io,
                   const ice_loaded_table_t *table, const ice_append_options_t *o, prestige_error_t *err) {
  *out = NULL;
  const ice_table_metadata_t *md = table->metadata;
  char *name = ice_ident_format(ident);
  if (!name) return oom(err);
  if (md->format_version < 2) {
    int rc = prestige_error_set(err, PRESTIGE_EUNSUPPORTED,
                                "table %s is format version %d: prestige writes only to format version 2 and 3 tables "
                                "(upgrade it with the update upgrade-format-version)",
                                name, md->format_version);
    free(name);
    return rc;
  }
  ice_append_t *a = calloc(1, sizeof(*a));
  if (!a) {
    free(name);
    return oom(err);
  }
  a->ident_text = name;
  a->catalog = catalog;
  a->io = io;
  int rc = ice_ident_copy(ident, &a->ident, err);
  if (!rc && !(a->base.metadata_location = strdup(table->metadata_location))) rc = oom(err);
  if (!rc) rc = ice_metadata_copy(md, &a->base.metadata, err);
  if (rc) goto fail;
  md = a->base.metadata;
  a->schema = ice_metadata_current_schema(md);
  a->spec = ice_metadata_default_spec(md);
  a->order = ice_metadata_default_sort_order(md);
  if (a->order && a->order->n_fields == 0) a->order = NULL;
  if (!a->schema || !a->spec) {
    rc = prestige_error_set(err, PRESTIGE_ECORRUPT, "table %s: no current schema or default spec", name);
    goto fail;
  }
  for (size_t i = 0; i < a->spec->n_fields; i++)
    if (a->spec->fields[i].transform.kind == ICE_T_UNKNOWN) {
      rc = prestige_error_set(err, PRESTIGE_EUNSUPPORTED, "table %s: partition field \"%s\" has an unknown transform %s",
                              name, a->spec->fields[i].name, a->spec->fields[i].transform.unknown_name);
      goto fail;
    }
  if ((rc = ice_partition_spec_type(a->spec, a->schema, &a->ptype, err))) goto fail;
  if ((rc = ice_schema_to_arrow(a->schema, &a->arrow, err))) goto fail;
  json_t *sj = ice_schema_to_json(a->schema);
  a->schema_json = sj ? json_dumps(sj, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
  json_decref(sj);
  if (!a->schema_json) {
    rc = oom(err);
    goto fail;
  }
  if ((rc = ice_metrics_config_new(&md->properties, a->schema, a->order, &a->mc, err))) goto fail;
  if ((rc = writer_options(a, o, err))) goto fail;
  a->target = o && o->target_file_size_bytes > 0 ? o->target_file_size_bytes
                                                 : prop_i64(md, "write.target-file-size-bytes", 512LL << 20);
  if (a->target <= 0) a->target = 512LL << 20;
  a->max_open = o && o->max_open_files > 0 ? o->max_open_files : 64;
  a->sort_budget = o && o->sort_buffer_bytes > 0 ? o->sort_buffer_bytes : 256LL << 20;
  if (!(a->branch = strdup(o && o->branch ? o->branch : "main"))) {
    rc = oom(err);
    goto fail;
  }
  if (o && o->operation_id) snprintf(a->op_uuid, sizeof a->op_uuid, "%s", o->operation_id);
  else if ((rc = ice_uuid_v4(a->op_uuid, err))) goto fail;
  const char *dp = ice_metadata_property(md, "write.data.path", NULL);
  size_t dl = strlen(dp ? dp : md->location) + 8;
  if (!(a->data_dir = malloc(dl))) {
    rc = oom(err);
    goto fail;
  }
  if (dp) snprintf(a->data_dir, dl, "%s", dp);
  else snprintf(a->data_dir, dl, "%s/data", md->location);
  for (size_t n = strlen(a->data_dir); n > 1 && a->data_dir[n - 1] == '/'; n--) a->data_dir[n - 1] = 0;
  /* partition sources and sort keys, as paths into the batches */
  a->part_cols = calloc(a->spec->n_fields ? a->spec->n_fields : 1, sizeof(ice_col_path_t));
  a->part_src = calloc(a->spec->n_fields ? a->spec->n_fields : 1, sizeof(ice_value_t));
  a->part_vals = calloc(a->spec->n_fields ? a->spec->n_fields : 1, sizeof(ice_value_t));
  if (!a->part_cols || !a->part_src || !a->part_vals) {
    rc = oom(err);
    goto fail;
  }
  for (size_t i = 0; i < a->spec->n_fields && !rc; i++)
    rc = ice_col_path_find(a->schema, a->spec->fields[i].source_id, &a->part_cols[i], err);
  if (!rc && a->spec->n_fields) rc = ice_part_runs_new(a->spec, a->part_cols, &a->runs, err);
  if (rc) goto fail;
  if (a->order) {
    a->sorted = true;
    a->sort_cols = calloc(a->order->n_fields, sizeof(ice_col_path_t));
    a->sort_types = calloc(a->order->n_fields, sizeof(ice_type_t *));
    a->sort_type_store = calloc(a->order->n_fields, sizeof(ice_type_t));
    if (!a->sort_cols || !a->sort_types || !a->sort_type_store) {
      rc = oom(err);
      goto fail;
    }
    for (size_t i = 0; i < a->order->n_fields && !rc; i++) {
      const ice_sort_field_t *f = &a->order->fields[i];
      rc = ice_col_path_find(a->schema, f->source_id, &a->sort_cols[i], err);
      if (!rc && f->transform.kind != ICE_T_UNKNOWN) {
        rc = ice_transform_result_type(&f->transform, a->sort_cols[i].type, &a->sort_type_store[i], err);
        if (!rc) a->sort_types[i] = &a->sort_type_store[i];
      }
    }
    if (rc) goto fail;
  }
  if (o && o->n_summary) {
    for (size_t i = 0; i < o->n_summary && !rc; i++)
      if (ice_strmap_set(&a->extra_summary, o->summary[i].key, o->summary[i].value)) rc = oom(err);
    if (rc) goto fail;
  }
  *out = a;
  return 0;
fail:
  ice_append_free(a);
  return rc;
}

int ice_append_write(ice_append_t *a, const struct ArrowSchema *schema, struct ArrowArray *batch, prestige_error_t *err) {
  if (a->failed || a->committed) {
    prestige_array_release(batch);
    return prestige_error_set(err, PRESTIGE_EINVAL, "append to %s: %s", a->ident_text,
                              a->committed ? "already committed" : "an earlier error left it unusable");
  }
  int rc = 0;
  if (!a->conform || !a->conform_src.release || prestige_schema_validate(schema, NULL) ||
      !ice_arrow_schema_equal(&a->conform_src, schema)) {
    ice_conform_free(a->conform);
    a->conform = NULL;
    prestige_schema_release(&a->conform_src);
    char what[300];
    snprintf(what, sizeof what, "append to %s", a->ident_text);
    rc = ice_conform_plan(&a->arrow, schema, ICE_MATCH_BY_NAME, what, &a->conform, err);
    if (!rc) rc = prestige_schema_copy(&a->conform_src, schema, err);
    if (rc) {
      prestige_array_release(batch);
      return rc; /* a schema mismatch leaves the append usable */
    }
  }
  struct ArrowArray tb;
  rc = ice_conform_apply(a->conform, batch, &tb, err);
  if (rc) return rc; /* a value that does not convert: nothing of the batch was written */
  int64_t n = tb.length;
  if (n == 0) {
    prestige_array_release(&tb);
    return 0;
  }
  if (a->spec->n_fields == 0) {
    if (a->n_parts == 0 && (rc = partition_for(a, NULL, &(int32_t){0}, err))) goto fail;
    rc = route(a, a->parts[0], &tb, err);
    if (rc) goto fail_written;
    return 0;
  }
  /* each row's partition */
  int32_t *slot = malloc((size_t)n * sizeof(int32_t));
  if (!slot) {
    rc = oom(err);
    goto fail;
  }
  int32_t first = -1;
  bool single = true;
  /* the tuple is computed where a run of rows sure to share it begins (partition_runs.h) */
  for (int64_t r = 0; r < n && !rc;) {
    for (size_t i = 0; i < a->spec->n_fields; i++) ice_col_value(&a->part_cols[i], &tb, r, &a->part_src[i]);
    rc = ice_partition_apply(a->spec, a->schema, a->part_src, a->part_vals, err);
    if (!rc) rc = partition_for(a, a->part_vals, &slot[r], err);
    if (rc) break;
    if (r == 0) first = slot[0];
    if (slot[r] != first) single = false;
    int64_t end = a->runs ? ice_part_runs_extent(a->runs, &tb, r, n) : r + 1;
    for (int64_t k = r + 1; k < end; k++) slot[k] = slot[r];
    r = end;
  }
  if (rc) {
    free(slot);
    goto fail;
  }
  if (single) {
    free(slot);
    rc = route(a, a->parts[first], &tb, err);
    if (rc) goto fail_written;
    return 0;
  }
  /* rows grouped by partition, in order of first appearance; one gathered batch per partition */
  int32_t *order = malloc((size_t)n * sizeof(int32_t));
  int64_t *count = calloc(a->n_parts, sizeof(int64_t)), *next = malloc(a->n_parts * sizeof(int64_t));
  ice_row_ref_t *refs = malloc((size_t)n * sizeof(*refs));
  if (!order || !count || !next || !refs) {
    free(slot), free(order), free(count), free(next), free(refs);
    rc = oom(err);
    goto fail;
  }
  int32_t n_seen = 0;
  for (int64_t r = 0; r < n; r++)
    if (count[slot[r]]++ == 0) order[n_seen++] = slot[r];
  int64_t at = 0; /* a counting sort: each partition's rows contiguous, in input order */
  for (int32_t k = 0; k < n_seen; k++) next[order[k]] = at, at += count[order[k]];
  for (int64_t r = 0; r < n; r++) refs[next[slot[r]]++] = (ice_row_ref_t){0, r};
  const struct ArrowArray *chunk = &tb;
  at = 0;
  for (int32_t k = 0; k < n_seen && !rc; k++) {
    int32_t p = order[k];
    struct ArrowArray sub;
    rc = ice_arrow_take(&a->arrow, &chunk, 1, refs + at, count[p], &sub, err);
    at += count[p];
    if (!rc) rc = route(a, a->parts[p], &sub, err);
  }
  free(next);
  free(slot), free(order), free(count), free(refs);
  prestige_array_release(&tb);
  if (rc) {
    a->failed = true;
    return rc;
  }
  return 0;
fail:
  prestige_array_release(&tb);
fail_written:
  a->failed = true;
  return rc;
}

int ice_append_write_stream(ice_append_t *a, struct ArrowArrayStream *in, prestige_error_t *err) {
  struct ArrowSchema s;
  int rc = in->get_schema(in, &s);
  if (rc) {
    rc = arrow_stream_fail(in, rc, NULL, err);
    prestige_error_prefix(err, "append to %s: reading the input schema", a->ident_text);
    in->release(in);
    return rc;
  }
  for (;;) {
    struct ArrowArray b;
    int e = in->get_next(in, &b);
    if (e) {
      rc = arrow_stream_fail(in, e, NULL, err);
      prestige_error_prefix(err, "append to %s: reading the input", a->ident_text);
      break;
    }
    if (!b.release) break;
    if ((rc = ice_append_write(a, &s, &b, err))) break;
  }
  prestige_schema_release(&s);
  in->release(in);
  return rc;
}

int ice_append_add_file(ice_append_t *a, const ice_data_file_t *f, prestige_error_t *err) {
  if (f->spec_id != a->spec->spec_id || f->n_partition != a->ptype->n_fields)
    return prestige_error_set(err, PRESTIGE_EINVAL, "append to %s: data file %s is not of the default partition spec %d",
                              a->ident_text, f->file_path, a->spec->spec_id);
  if (f->content != ICE_CONTENT_DATA)
    return prestige_error_set(err, PRESTIGE_EINVAL, "append to %s: %s is a delete file", a->ident_text, f->file_path);
  return add_file_entry(a, f, err);
}

/* Closes every open file and flushes sort buffers (before a commit). */
int ice_append_finish_files(ice_append_t *a, prestige_error_t *err) {
  for (size_t i = 0; i < a->n_parts; i++) {
    part_state_t *p = a->parts[i];
    if (a->sorted) PRESTIGE_TRY(flush_sorted(a, p, err));
    PRESTIGE_TRY(close_file(a, p, err));
  }
  return 0;
}

void ice_append_delete_written(ice_append_t *a) {
  if (a->n_written) {
    prestige_error_t e;
    if (ice_io_delete_many(a->io, a->written, a->n_written, &e))
      LOG_WARN("append %s: could not delete its data files: %s", a->ident_text, e.message);
  }
}

void ice_append_free(ice_append_t *a) {
  if (!a) return;
  for (size_t i = 0; i < a->n_parts; i++) {
    part_state_t *p = a->parts[i];
    if (p->w) prestige_parquet_writer_abort(p->w);
    for (size_t c = 0; c < p->n_buf; c++) prestige_array_release(&p->buf[c]);
    free(p->buf);
    free(p->file);
    free(p->path);
    free(p);
  }
  if (!a->committed && !a->outcome_unknown) ice_append_delete_written(a);
  for (size_t i = 0; i < a->n_written; i++) free(a->written[i]);
  free(a->written);
  free(a->parts);
  free(a->slots);
  free(a->files);
  ice_part_runs_free(a->runs);
  free(a->part_cols);
  free(a->part_src);
  free(a->part_vals);
  free(a->sort_cols);
  free(a->sort_types);
  free(a->sort_type_store);
  ice_conform_free(a->conform);
  prestige_schema_release(&a->conform_src);
  prestige_schema_release(&a->arrow);
  ice_type_free(a->ptype);
  ice_metrics_config_free(a->mc);
  free(a->footer);
  free(a->schema_json);
  free(a->branch);
  free(a->data_dir);
  free(a->ident_text);
  ice_strmap_release(&a->extra_summary);
  ice_ident_release(&a->ident);
  ice_loaded_table_release(&a->base);
  buf_release(&a->key);
  buf_release(&a->scratch);
  arena_release(&a->arena);
  free(a);
}
