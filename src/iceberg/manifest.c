/* Manifests: the data_file model, values in Avro, partition summaries, the writer and the reader
 * (spec "Manifests", "Sequence Number Inheritance", "First Row ID Inheritance"). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iceberg/manifest_internal.h"

static int oom(prestige_error_t *err) { return prestige_error_set(err, PRESTIGE_ENOMEM, "manifest: out of memory"); }

/* ---- manifest files (list entries) ------------------------------------------------------------ */
void ice_manifest_file_release(ice_manifest_file_t *m) {
  if (!m) return;
  free(m->path);
  for (uint32_t i = 0; i < m->n_partitions; i++) {
    free(m->partitions[i].lower_bound);
    free(m->partitions[i].upper_bound);
  }
  free(m->partitions);
  free(m->key_metadata);
  memset(m, 0, sizeof(*m));
}

void ice_manifest_files_free(ice_manifest_file_t *m, size_t n) {
  if (!m) return;
  for (size_t i = 0; i < n; i++) ice_manifest_file_release(&m[i]);
  free(m);
}

static uint8_t *dup_bytes(const uint8_t *p, uint32_t n, bool *ok) {
  if (!p) return NULL;
  uint8_t *c = malloc(n ? n : 1);
  if (!c) {
    *ok = false;
    return NULL;
  }
  if (n) memcpy(c, p, n);
  return c;
}

int ice_manifest_file_copy(const ice_manifest_file_t *src, ice_manifest_file_t *dst, prestige_error_t *err) {
  *dst = *src;
  dst->path = NULL;
  dst->partitions = NULL;
  dst->n_partitions = 0;
  dst->key_metadata = NULL;
  bool ok = true;
  dst->path = src->path ? strdup(src->path) : NULL;
  if (src->path && !dst->path) ok = false;
  dst->key_metadata = dup_bytes(src->key_metadata, src->key_metadata_len, &ok);
  if (ok && src->partitions) {
    dst->partitions = calloc(src->n_partitions ? src->n_partitions : 1, sizeof(ice_field_summary_t));
    if (!dst->partitions) ok = false;
    for (uint32_t i = 0; ok && i < src->n_partitions; i++) {
      const ice_field_summary_t *s = &src->partitions[i];
      ice_field_summary_t *d = &dst->partitions[i];
      *d = *s;
      d->lower_bound = dup_bytes(s->lower_bound, s->lower_len, &ok);
      d->upper_bound = dup_bytes(s->upper_bound, s->upper_len, &ok);
      dst->n_partitions = i + 1;
    }
  }
  if (!ok) {
    ice_manifest_file_release(dst);
    return oom(err);
  }
  return 0;
}

bool ice_manifest_file_has_live(const ice_manifest_file_t *m) {
  if (!m->has_counts) return true;
  return m->added_files_count != 0 || m->existing_files_count != 0;
}

/* ---- data files ------------------------------------------------------------------------------- */
static const char *arena_str(arena_t *a, const char *s, bool *ok) {
  if (!s) return NULL;
  char *c = arena_strndup(a, s, strlen(s));
  if (!c) *ok = false;
  return c;
}

static const void *arena_mem(arena_t *a, const void *p, size_t n, bool *ok) {
  if (!p) return NULL;
  void *c = arena_alloc(a, n ? n : 1);
  if (!c) {
    *ok = false;
    return NULL;
  }
  if (n) memcpy(c, p, n);
  return c;
}

static void copy_counts(arena_t *a, const ice_counts_t *s, ice_counts_t *d, bool *ok) {
  *d = *s;
  if (s->v) d->v = (ice_id_count_t *)arena_mem(a, s->v, (size_t)s->n * sizeof(*s->v), ok);
}

static void copy_bounds(arena_t *a, const ice_bounds_t *s, ice_bounds_t *d, bool *ok) {
  *d = *s;
  if (!s->v) return;
  d->v = arena_alloc(a, (size_t)(s->n ? s->n : 1) * sizeof(*s->v));
  if (!d->v) {
    *ok = false;
    return;
  }
  for (uint32_t i = 0; i < s->n; i++) {
    d->v[i].id = s->v[i].id;
    d->v[i].len = s->v[i].len;
    d->v[i].data = arena_mem(a, s->v[i].data ? s->v[i].data : (const uint8_t *)"", s->v[i].len, ok);
  }
}

int ice_data_file_copy(arena_t *a, const ice_data_file_t *s, ice_data_file_t *d, prestige_error_t *err) {
  bool ok = true;
  *d = *s;
  d->file_path = arena_str(a, s->file_path, &ok);
  d->file_format = arena_str(a, s->file_format, &ok);
  d->referenced_data_file = arena_str(a, s->referenced_data_file, &ok);
  if (s->partition) {
    d->partition = (ice_value_t *)arena_mem(a, s->partition, (size_t)s->n_partition * sizeof(ice_value_t), &ok);
    for (uint32_t i = 0; ok && i < s->n_partition; i++)
      if (s->partition[i].ptr) d->partition[i].ptr = arena_mem(a, s->partition[i].ptr, s->partition[i].len, &ok);
  }
  copy_counts(a, &s->column_sizes, &d->column_sizes, &ok);
  copy_counts(a, &s->value_counts, &d->value_counts, &ok);
  copy_counts(a, &s->null_value_counts, &d->null_value_counts, &ok);
  copy_counts(a, &s->nan_value_counts, &d->nan_value_counts, &ok);
  copy_bounds(a, &s->lower_bounds, &d->lower_bounds, &ok);
  copy_bounds(a, &s->upper_bounds, &d->upper_bounds, &ok);
  d->key_metadata = arena_mem(a, s->key_metadata, s->key_metadata_len, &ok);
  d->split_offsets = (int64_t *)arena_mem(a, s->split_offsets, (size_t)s->n_split_offsets * sizeof(int64_t), &ok);
  d->equality_ids = (int32_t *)arena_mem(a, s->equality_ids, (size_t)s->n_equality_ids * sizeof(int32_t), &ok);
  return ok ? 0 : oom(err);
}

bool ice_counts_get(const ice_counts_t *c, int32_t id, int64_t *out) {
  for (uint32_t i = 0; i < c->n; i++)
    if (c->v[i].id == id) {
      *out = c->v[i].value;
      return true;
    }
  return false;
}

bool ice_bounds_get(const ice_bounds_t *b, int32_t id, const uint8_t **data, uint32_t *len) {
  for (uint32_t i = 0; i < b->n; i++)
    if (b->v[i].id == id) {
      *data = b->v[i].data;
      *len = b->v[i].len;
      return true;
    }
  return false;
}

/* ---- values in Avro --------------------------------------------------------------------------- */
int ice_value_to_datum(arena_t *a, const avro_node_t *t, const ice_type_t *type, const ice_value_t *v, avro_datum_t *d,
                       prestige_error_t *err) {
  if (v->is_null) {
    if (t->type != AVRO_UNION || t->null_branch < 0)
      return prestige_error_set(err, PRESTIGE_EINVAL, "a null value for a required Avro field");
    avro_set_null(d, t);
    return 0;
  }
  avro_set_some(d, t);
  switch (type->id) {
    case ICE_BOOLEAN: d->v.boolean = v->v.b; break;
    case ICE_INT:
    case ICE_DATE: d->v.i32 = v->v.i32; break;
    case ICE_LONG:
    case ICE_TIME:
    case ICE_TIMESTAMP:
    case ICE_TIMESTAMPTZ:
    case ICE_TIMESTAMP_NS:
    case ICE_TIMESTAMPTZ_NS: d->v.i64 = v->v.i64; break;
    case ICE_FLOAT: d->v.f32 = v->v.f32; break;
    case ICE_DOUBLE: d->v.f64 = v->v.f64; break;
    case ICE_STRING:
    case ICE_BINARY:
    case ICE_FIXED:
      if (avro_datum_copy_bytes(a, d, v->ptr, v->len)) return oom(err);
      break;
    case ICE_UUID:
      if (avro_datum_copy_bytes(a, d, v->v.uuid, 16)) return oom(err);
      break;
    case ICE_DECIMAL: {
      /* fixed(minBytesRequired(P)): big-endian two's complement, sign-extended to the size */
      const avro_node_t *n = avro_datum_type(t, d);
      uint32_t size = n->type == AVRO_FIXED ? n->size : 16;
      uint8_t be[16];
      size_t k = ice_decimal_min_bytes(v->dec, be);
      if (n->type == AVRO_BYTES) size = (uint32_t)k;
      if (k > size) return prestige_error_set(err, PRESTIGE_EINVAL, "decimal value does not fit %u bytes", size);
      uint8_t *o = arena_alloc(a, size);
      if (!o) return oom(err);
      memset(o, v->dec < 0 ? 0xff : 0, size - k);
      memcpy(o + size - k, be, k);
      avro_set_bytes(d, o, size);
      break;
    }
    default: return prestige_error_set(err, PRESTIGE_EUNSUPPORTED, "nested values are not partition values");
  }
  return 0;
}

static __int128 be_to_i128(const uint8_t *p, uint32_t n) {
  unsigned __int128 v = (n && (p[0] & 0x80)) ? ~(unsigned __int128)0 : 0;
  for (uint32_t i = 0; i < n; i++) v = (v << 8) | p[i];
  return (__int128)v;
}

int ice_value_from_datum(arena_t *a, const avro_node_t *t, const avro_datum_t *d, const ice_type_t *type,
                         ice_value_t *out, const char *what, prestige_error_t *err) {
  memset(out, 0, sizeof(*out));
  if (avro_datum_is_null(t, d)) {
    out->is_null = true;
    return 0;
  }
  const avro_node_t *n = avro_datum_type(t, d);
  avro_type_t at = n->type;
  char tb[48];
  switch (type->id) {
    case ICE_BOOLEAN:
      if (at != AVRO_BOOLEAN) goto mismatch;
      out->v.b = d->v.boolean;
      return 0;
    case ICE_INT:
    case ICE_DATE:
      if (at != AVRO_INT) goto mismatch;
      out->v.i32 = d->v.i32;
      return 0;
    case ICE_LONG:
    case ICE_TIME:
    case ICE_TIMESTAMP:
    case ICE_TIMESTAMPTZ:
    case ICE_TIMESTAMP_NS:
    case ICE_TIMESTAMPTZ_NS:
      if (at == AVRO_INT) out->v.i64 = d->v.i32; /* promoted int -> long */
      else if (at == AVRO_LONG) out->v.i64 = d->v.i64;
      else goto mismatch;
      return 0;
    case ICE_FLOAT:
      if (at != AVRO_FLOAT) goto mismatch;
      out->v.f32 = d->v.f32;
      return 0;
    case ICE_DOUBLE:
      if (at == AVRO_FLOAT) out->v.f64 = d->v.f32;
      else if (at == AVRO_DOUBLE) out->v.f64 = d->v.f64;
      else goto mismatch;
      return 0;
    case ICE_STRING:
    case ICE_BINARY:
    case ICE_FIXED:
      if (at != AVRO_STRING && at != AVRO_BYTES && at != AVRO_FIXED) goto mismatch;
      if (type->id == ICE_STRING && !ice_utf8_valid(d->v.bytes, d->len))
        return prestige_error_set(err, PRESTIGE_ECORRUPT, "%s: string value is not valid UTF-8", what);
      if (type->id == ICE_FIXED && d->len != (uint32_t)type->length)
        return prestige_error_set(err, PRESTIGE_ECORRUPT, "%s: fixed[%d] value has %u bytes", what, type->length, d->len);
      out->len = d->len;
      out->ptr = arena_alloc(a, d->len ? d->len : 1);
      if (!out->ptr) return oom(err);
      if (d->len) memcpy((uint8_t *)out->ptr, d->v.bytes, d->len);
      return 0;
    case ICE_UUID:
      if ((at != AVRO_FIXED && at != AVRO_BYTES) || d->len != 16) goto mismatch;
      memcpy(out->v.uuid, d->v.bytes, 16);
      return 0;
    case ICE_DECIMAL:
      if (at != AVRO_FIXED && at != AVRO_BYTES) goto mismatch;
      if (d->len > 16) return prestige_error_set(err, PRESTIGE_ECORRUPT, "%s: decimal of %u bytes", what, d->len);
      out->dec = be_to_i128(d->v.bytes, d->len);
      return 0;
    default: break;
  }
mismatch:
  return prestige_error_set(err, PRESTIGE_ECORRUPT, "%s: Avro %s cannot hold a %s value", what, avro_type_name(at),
                            ice_type_to_string(type, tb, sizeof tb));
}

int ice_spec_partition_type(const ice_table_metadata_t *md, const ice_partition_spec_t *spec, ice_type_t **out,
                            prestige_error_t *err) {
  const ice_schema_t *cur = ice_metadata_current_schema(md);
  prestige_error_t first;
  prestige_error_init(&first);
  if (cur && !ice_partition_spec_type(spec, cur, out, &first)) return 0;
  for (size_t i = md->n_schemas; i-- > 0;) {
    if (md->schemas[i] == cur) continue;
    if (!ice_partition_spec_type(spec, md->schemas[i], out, NULL)) return 0;
  }
  if (err) *err = first;
  return first.code ? first.code : prestige_error_set(err, PRESTIGE_ECORRUPT, "partition spec %d: no schema", spec->spec_id);
}

/* ---- partition summaries ---------------------------------------------------------------------- */
int ice_partition_summary_init(ice_partition_summary_t *s, const ice_type_t *partition_type, prestige_error_t *err) {
  memset(s, 0, sizeof(*s));
  s->n = (uint32_t)partition_type->n_fields;
  s->fields = calloc(s->n ? s->n : 1, sizeof(ice_field_summary_t));
  if (!s->fields) return oom(err);
  s->types = NULL;
  /* types are the partition fields' types; keep a pointer to the struct's fields */
  s->types = (const ice_type_t *)partition_type;
  return 0;
}

static bool is_nan(const ice_type_t *t, const ice_value_t *v) {
  return (t->id == ICE_FLOAT && isnan(v->v.f32)) || (t->id == ICE_DOUBLE && isnan(v->v.f64));
}

static int set_bound(uint8_t **dst, uint32_t *len, const buf_t *b) {
  uint8_t *c = realloc(*dst, b->len ? b->len : 1);
  if (!c) return PRESTIGE_ENOMEM;
  if (b->len) memcpy(c, b->data, b->len);
  *dst = c;
  *len = (uint32_t)b->len;
  return 0;
}

int ice_partition_summary_update(ice_partition_summary_t *s, const ice_value_t *values, prestige_error_t *err) {
  const ice_type_t *st = s->types;
  for (uint32_t i = 0; i < s->n; i++) {
    const ice_type_t *t = st->fields[i].type;
    ice_field_summary_t *f = &s->fields[i];
    f->has_contains_nan = true;
    const ice_value_t *v = &values[i];
    if (v->is_null) {
      f->contains_null = true;
      continue;
    }
    if (is_nan(t, v)) {
      f->contains_nan = true;
      continue;
    }
    bool lower = !f->lower_bound, upper = !f->upper_bound;
    if (!lower || !upper) {
      ice_value_t cur;
      if (!lower) {
        if (ice_value_from_bytes(t, f->lower_bound, f->lower_len, &cur, err)) return err ? err->code : PRESTIGE_EINTERNAL;
        lower = ice_value_compare(t, v, &cur) < 0;
      }
      if (!upper) {
        if (ice_value_from_bytes(t, f->upper_bound, f->upper_len, &cur, err)) return err ? err->code : PRESTIGE_EINTERNAL;
        upper = ice_value_compare(t, v, &cur) > 0;
      }
    }
    if (!lower && !upper) continue;
    PRESTIGE_TRY(ice_value_to_bytes(t, v, &s->scratch, err));
    if (lower && set_bound(&f->lower_bound, &f->lower_len, &s->scratch)) return oom(err);
    if (upper && set_bound(&f->upper_bound, &f->upper_len, &s->scratch)) return oom(err);
  }
  return 0;
}

void ice_partition_summary_take(ice_partition_summary_t *s, ice_field_summary_t **out, uint32_t *n) {
  *out = s->fields;
  *n = s->n;
  s->fields = NULL;
  s->n = 0;
}

void ice_partition_summary_release(ice_partition_summary_t *s) {
  if (s->fields)
    for (uint32_t i = 0; i < s->n; i++) {
      free(s->fields[i].lower_bound);
      free(s->fields[i].upper_bound);
    }
  free(s->fields);
  buf_release(&s->scratch);
  memset(s, 0, sizeof(*s));
}

/* ---- the writer --------------------------------------------------------------------------------- */
/* data_file field ids, in the order the indexes below are kept */
enum {
  DF_CONTENT, DF_PATH, DF_FORMAT, DF_PARTITION, DF_RECORDS, DF_SIZE, DF_COL_SIZES, DF_VALUES, DF_NULLS, DF_NANS,
  DF_LOWER, DF_UPPER, DF_KEY, DF_SPLITS, DF_EQ_IDS, DF_SORT, DF_FIRST_ROW, DF_REF_FILE, DF_CONTENT_OFFSET,
  DF_CONTENT_SIZE, DF_N
};
static const int32_t df_ids[DF_N] = {134, 100, 101, 102, 103, 104, 108, 109, 110, 137,
                                     125, 128, 131, 132, 135, 140, 142, 143, 144, 145};

struct ice_manifest_writer {
  ice_io_t *io;
  char *location;
  int format_version;
  int64_t snapshot_id;
  int32_t spec_id;
  ice_manifest_content_t content;
  ice_type_t *ptype;
  avro_schema_t *schema;
  avro_writer_t *aw;
  arena_t arena;
  int32_t i_status, i_snap, i_seq, i_fseq, i_df;
  const avro_node_t *df, *part;
  int32_t df_idx[DF_N];
  int32_t *part_idx;
  int32_t added_files, existing_files, deleted_files;
  int64_t added_rows, existing_rows, deleted_rows;
  bool has_min_seq;
  int64_t min_seq;
  ice_partition_summary_t summary;
};

static void writer_free(ice_manifest_writer_t *w) {
  if (!w) return;
  free(w->location);
  ice_type_free(w->ptype);
  avro_schema_free(w->schema);
  arena_release(&w->arena);
  free(w->part_idx);
  ice_partition_summary_release(&w->summary);
  free(w);
}

int ice_manifest_writer_open(ice_manifest_writer_t **out, ice_io_t *io, const char *location, int format_version,
                             const ice_schema_t *schema, const ice_partition_spec_t *spec,
                             ice_manifest_content_t content, int64_t snapshot_id, prestige_error_t *err) {
  *out = NULL;
  if (format_version < 2 || format_version > 3)
    return prestige_error_set(err, PRESTIGE_EUNSUPPORTED, "manifest %s: format version %d is read only", location,
                              format_version);
  ice_manifest_writer_t *w = calloc(1, sizeof(*w));
  if (!w) return oom(err);
  w->io = io;
  w->format_version = format_version;
  w->snapshot_id = snapshot_id;
  w->spec_id = spec->spec_id;
  w->content = content;
  char *avro_json = NULL, *schema_json = NULL, *spec_json = NULL;
  json_t *sj = NULL, *pj = NULL;
  int rc = 0;
  if (!(w->location = strdup(location))) {
    rc = oom(err);
    goto fail;
  }
  if ((rc = ice_partition_spec_type(spec, schema, &w->ptype, err))) goto fail;
  if ((rc = ice_manifest_entry_avro_schema(format_version, w->ptype, &avro_json, err))) goto fail;
  if ((rc = avro_schema_parse(&w->schema, avro_json, strlen(avro_json), err))) goto fail;
  const avro_node_t *root = avro_schema_root(w->schema);
  w->i_status = mf_field(root, 0);
  w->i_snap = mf_field(root, 1);
  w->i_seq = mf_field(root, 3);
  w->i_fseq = mf_field(root, 4);
  w->i_df = mf_field(root, 2);
  w->df = root->fields[w->i_df].type;
  for (int k = 0; k < DF_N; k++) w->df_idx[k] = mf_field(w->df, df_ids[k]);
  w->part = w->df->fields[w->df_idx[DF_PARTITION]].type;
  w->part_idx = calloc(w->ptype->n_fields ? w->ptype->n_fields : 1, sizeof(int32_t));
  if (!w->part_idx) {
    rc = oom(err);
    goto fail;
  }
  for (size_t i = 0; i < w->ptype->n_fields; i++) w->part_idx[i] = mf_field(w->part, w->ptype->fields[i].id);
  if ((rc = ice_partition_summary_init(&w->summary, w->ptype, err))) goto fail;

  /* header metadata, as Java's ManifestWriter.V2Writer/V3Writer (plus the spec's schema-id) */
  sj = ice_schema_to_json(schema);
  pj = ice_partition_spec_fields_to_json(spec);
  schema_json = sj ? json_dumps(sj, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
  spec_json = pj ? json_dumps(pj, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
  if (!schema_json || !spec_json) {
    rc = oom(err);
    goto fail;
  }
  char schema_id[16], spec_id[16], fv[4];
  snprintf(schema_id, sizeof schema_id, "%d", schema->schema_id);
  snprintf(spec_id, sizeof spec_id, "%d", spec->spec_id);
  snprintf(fv, sizeof fv, "%d", format_version);
  const char *ct = content == ICE_MANIFEST_DATA ? "data" : "deletes";
  avro_meta_t meta[] = {{"schema", schema_json, strlen(schema_json)},
                        {"schema-id", schema_id, strlen(schema_id)},
                        {"partition-spec", spec_json, strlen(spec_json)},
                        {"partition-spec-id", spec_id, strlen(spec_id)},
                        {"format-version", fv, strlen(fv)},
                        {"content", ct, strlen(ct)}};
  avro_writer_options_t o = AVRO_WRITER_OPTIONS_INIT;
  o.codec = AVRO_CODEC_DEFLATE; /* Java's write.avro.compression-codec default (gzip = deflate) */
  o.meta = meta;
  o.n_meta = sizeof meta / sizeof meta[0];
  prestige_output_t po;
  if ((rc = ice_io_open_output(io, location, &po, err))) goto fail;
  if ((rc = avro_writer_open(&w->aw, w->schema, po, &o, err))) goto fail;
  free(avro_json);
  free(schema_json);
  free(spec_json);
  json_decref(sj);
  json_decref(pj);
  *out = w;
  return 0;
fail:
  free(avro_json);
  free(schema_json);
  free(spec_json);
  json_decref(sj);
  json_decref(pj);
  writer_free(w);
  return prestige_error_prefix(err, "manifest %s", location), rc;
}

static avro_datum_t *df_slot(ice_manifest_writer_t *w, avro_datum_t *rec, int k) {
  return w->df_idx[k] >= 0 ? &rec->v.items[w->df_idx[k]] : NULL;
}

static const avro_node_t *df_type(ice_manifest_writer_t *w, int k) { return w->df->fields[w->df_idx[k]].type; }

/* A metrics map (Avro array of n key/value records) in data-file field k; *items NULL when the field
 * stays null (absent from the schema, or present false). */
static int put_kv_array(ice_manifest_writer_t *w, avro_datum_t *rec, int k, bool present, uint32_t n, avro_datum_t **items) {
  *items = NULL;
  avro_datum_t *d = df_slot(w, rec, k);
  if (!d || !present) return 0; /* stays null */
  const avro_node_t *t = df_type(w, k);
  avro_set_some(d, t);
  const avro_node_t *arr = avro_datum_type(t, d), *kv = arr->items;
  if (avro_datum_array(&w->arena, d, n, items)) return PRESTIGE_ENOMEM;
  for (uint32_t i = 0; i < n; i++)
    if (avro_datum_record(&w->arena, &(*items)[i], kv)) return PRESTIGE_ENOMEM;
  return 0;
}

static int put_counts(ice_manifest_writer_t *w, avro_datum_t *rec, int k, const ice_counts_t *c) {
  avro_datum_t *items;
  PRESTIGE_TRY(put_kv_array(w, rec, k, c->present, c->n, &items));
  for (uint32_t i = 0; items && i < c->n; i++) {
    items[i].v.items[0].v.i32 = c->v[i].id;
    items[i].v.items[1].v.i64 = c->v[i].value;
  }
  return 0;
}

static int put_bounds(ice_manifest_writer_t *w, avro_datum_t *rec, int k, const ice_bounds_t *b) {
  avro_datum_t *items;
  PRESTIGE_TRY(put_kv_array(w, rec, k, b->present, b->n, &items));
  for (uint32_t i = 0; items && i < b->n; i++) {
    items[i].v.items[0].v.i32 = b->v[i].id;
    avro_set_bytes(&items[i].v.items[1], b->v[i].data ? b->v[i].data : (const uint8_t *)"", b->v[i].len);
  }
  return 0;
}

static void put_opt_i64(ice_manifest_writer_t *w, avro_datum_t *rec, int k, bool has, int64_t v) {
  avro_datum_t *d = df_slot(w, rec, k);
  if (!d || !has) return;
  avro_set_some(d, df_type(w, k))->v.i64 = v;
}

static int build_entry(ice_manifest_writer_t *w, ice_entry_status_t status, bool has_snap, int64_t snap, bool has_seq,
                       int64_t seq, bool has_fseq, int64_t fseq, const ice_data_file_t *f, avro_datum_t *rec,
                       prestige_error_t *err) {
  const avro_node_t *root = avro_schema_root(w->schema);
  if (f->n_partition != w->ptype->n_fields)
    return prestige_error_set(err, PRESTIGE_EINVAL, "data file %s: %u partition values for a spec of %zu fields",
                              f->file_path, f->n_partition, w->ptype->n_fields);
  if (avro_datum_record(&w->arena, rec, root)) return oom(err);
  rec->v.items[w->i_status].v.i32 = (int32_t)status;
  if (has_snap) avro_set_some(&rec->v.items[w->i_snap], root->fields[w->i_snap].type)->v.i64 = snap;
  if (has_seq) avro_set_some(&rec->v.items[w->i_seq], root->fields[w->i_seq].type)->v.i64 = seq;
  if (has_fseq) avro_set_some(&rec->v.items[w->i_fseq], root->fields[w->i_fseq].type)->v.i64 = fseq;
  avro_datum_t *df = &rec->v.items[w->i_df];
  if (avro_datum_record(&w->arena, df, w->df)) return oom(err);
  df_slot(w, df, DF_CONTENT)->v.i32 = (int32_t)f->content;
  avro_set_string(df_slot(w, df, DF_PATH), f->file_path);
  avro_set_string(df_slot(w, df, DF_FORMAT), f->file_format ? f->file_format : "parquet");
  avro_datum_t *part = df_slot(w, df, DF_PARTITION);
  if (avro_datum_record(&w->arena, part, w->part)) return oom(err);
  for (size_t i = 0; i < w->ptype->n_fields; i++) {
    int32_t pi = w->part_idx[i];
    int rc = ice_value_to_datum(&w->arena, w->part->fields[pi].type, w->ptype->fields[i].type, &f->partition[i],
                                &part->v.items[pi], err);
    if (rc) return prestige_error_prefix(err, "data file %s: partition field %s", f->file_path, w->ptype->fields[i].name), rc;
  }
  df_slot(w, df, DF_RECORDS)->v.i64 = f->record_count;
  df_slot(w, df, DF_SIZE)->v.i64 = f->file_size_in_bytes;
  if (put_counts(w, df, DF_COL_SIZES, &f->column_sizes) || put_counts(w, df, DF_VALUES, &f->value_counts) ||
      put_counts(w, df, DF_NULLS, &f->null_value_counts) || put_counts(w, df, DF_NANS, &f->nan_value_counts) ||
      put_bounds(w, df, DF_LOWER, &f->lower_bounds) || put_bounds(w, df, DF_UPPER, &f->upper_bounds))
    return oom(err);
  if (f->key_metadata) avro_set_bytes(avro_set_some(df_slot(w, df, DF_KEY), df_type(w, DF_KEY)), f->key_metadata, f->key_metadata_len);
  if (f->split_offsets) {
    avro_datum_t *d = avro_set_some(df_slot(w, df, DF_SPLITS), df_type(w, DF_SPLITS)), *items;
    if (avro_datum_array(&w->arena, d, f->n_split_offsets, &items)) return oom(err);
    for (uint32_t i = 0; i < f->n_split_offsets; i++) items[i].v.i64 = f->split_offsets[i];
  }
  if (f->equality_ids) {
    avro_datum_t *d = avro_set_some(df_slot(w, df, DF_EQ_IDS), df_type(w, DF_EQ_IDS)), *items;
    if (avro_datum_array(&w->arena, d, f->n_equality_ids, &items)) return oom(err);
    for (uint32_t i = 0; i < f->n_equality_ids; i++) items[i].v.i32 = f->equality_ids[i];
  }
  if (f->has_sort_order_id) avro_set_some(df_slot(w, df, DF_SORT), df_type(w, DF_SORT))->v.i32 = f->sort_order_id;
  put_opt_i64(w, df, DF_FIRST_ROW, f->has_first_row_id, f->first_row_id);
  if (f->referenced_data_file && df_slot(w, df, DF_REF_FILE))
    avro_set_string(avro_set_some(df_slot(w, df, DF_REF_FILE), df_type(w, DF_REF_FILE)), f->referenced_data_file);
  put_opt_i64(w, df, DF_CONTENT_OFFSET, f->has_content_offset, f->content_offset);
  put_opt_i64(w, df, DF_CONTENT_SIZE, f->has_content_size, f->content_size_in_bytes);
  return 0;
}

static int add_entry(ice_manifest_writer_t *w, ice_entry_status_t status, bool has_snap, int64_t snap, bool has_seq,
                     int64_t seq, bool has_fseq, int64_t fseq, const ice_data_file_t *f, prestige_error_t *err) {
  bool data_manifest = w->content == ICE_MANIFEST_DATA;
  if (data_manifest != (f->content == ICE_CONTENT_DATA))
    return prestige_error_set(err, PRESTIGE_EINVAL, "file %s: %s file in a %s manifest", f->file_path,
                              f->content == ICE_CONTENT_DATA ? "a data" : "a delete", data_manifest ? "data" : "delete");
  avro_datum_t rec;
  int rc = build_entry(w, status, has_snap, snap, has_seq, seq, has_fseq, fseq, f, &rec, err);
  if (!rc) rc = avro_writer_append(w->aw, &rec, err);
  if (!rc) rc = ice_partition_summary_update(&w->summary, f->partition, err);
  arena_reset(&w->arena);
  if (rc) return rc;
  switch (status) {
    case ICE_ENTRY_ADDED: w->added_files++, w->added_rows += f->record_count; break;
    case ICE_ENTRY_EXISTING: w->existing_files++, w->existing_rows += f->record_count; break;
    case ICE_ENTRY_DELETED: w->deleted_files++, w->deleted_rows += f->record_count; break;
  }
  if (status != ICE_ENTRY_DELETED && has_seq && (!w->has_min_seq || seq < w->min_seq)) {
    w->has_min_seq = true;
    w->min_seq = seq;
  }
  return 0;
}

int ice_manifest_writer_add(ice_manifest_writer_t *w, const ice_data_file_t *file, prestige_error_t *err) {
  ice_data_file_t f = *file;
  f.has_first_row_id = false; /* assigned by inheritance when the manifest list is written */
  return add_entry(w, ICE_ENTRY_ADDED, true, w->snapshot_id, false, 0, false, 0, &f, err);
}

int ice_manifest_writer_existing(ice_manifest_writer_t *w, const ice_manifest_entry_t *e, prestige_error_t *err) {
  if (!e->has_snapshot_id || !e->has_sequence_number)
    return prestige_error_set(err, PRESTIGE_EINTERNAL, "existing entry %s without snapshot id or sequence number",
                              e->file.file_path);
  return add_entry(w, ICE_ENTRY_EXISTING, true, e->snapshot_id, true, e->sequence_number, e->has_file_sequence_number,
                   e->file_sequence_number, &e->file, err);
}

int ice_manifest_writer_delete(ice_manifest_writer_t *w, const ice_manifest_entry_t *e, prestige_error_t *err) {
  return add_entry(w, ICE_ENTRY_DELETED, true, w->snapshot_id, e->has_sequence_number, e->sequence_number,
                   e->has_file_sequence_number, e->file_sequence_number, &e->file, err);
}

int ice_manifest_writer_close(ice_manifest_writer_t *w, ice_manifest_file_t *out, prestige_error_t *err) {
  memset(out, 0, sizeof(*out));
  uint64_t size = 0;
  int rc = avro_writer_close(w->aw, &size, err);
  w->aw = NULL;
  if (rc) {
    prestige_error_prefix(err, "manifest %s", w->location);
    writer_free(w);
    return rc;
  }
  out->path = w->location;
  w->location = NULL;
  out->length = (int64_t)size;
  out->spec_id = w->spec_id;
  out->content = w->content;
  out->sequence_number = ICE_UNASSIGNED_SEQ;
  out->min_sequence_number = w->has_min_seq ? w->min_seq : ICE_UNASSIGNED_SEQ;
  out->added_snapshot_id = w->snapshot_id;
  out->has_counts = true;
  out->added_files_count = w->added_files;
  out->existing_files_count = w->existing_files;
  out->deleted_files_count = w->deleted_files;
  out->added_rows_count = w->added_rows;
  out->existing_rows_count = w->existing_rows;
  out->deleted_rows_count = w->deleted_rows;
  ice_partition_summary_take(&w->summary, &out->partitions, &out->n_partitions);
  writer_free(w);
  return 0;
}

void ice_manifest_writer_abort(ice_manifest_writer_t *w) {
  if (!w) return;
  if (w->aw) avro_writer_abort(w->aw);
  writer_free(w);
}

/* ---- the reader --------------------------------------------------------------------------------- */
void ice_manifest_release(ice_manifest_t *m) {
  if (!m) return;
  arena_release(&m->arena);
  free(m->entries);
  memset(m, 0, sizeof(*m));
}

/* A metrics map: Avro array of k/v records (or an Avro map with string keys, which some writers
 * used; keys then are decimal ids). */
static int read_counts(arena_t *a, const avro_node_t *rec, const avro_datum_t *d, int32_t idx, ice_counts_t *out,
                       const char *what, const char *name, prestige_error_t *err) {
  memset(out, 0, sizeof(*out));
  if (idx < 0) return 0;
  const avro_node_t *t = rec->fields[idx].type;
  const avro_datum_t *v = &d->v.items[idx];
  if (avro_datum_is_null(t, v)) return 0;
  const avro_node_t *n = avro_datum_type(t, v);
  out->present = true;
  out->n = v->len;
  out->v = arena_alloc(a, (size_t)(v->len ? v->len : 1) * sizeof(ice_id_count_t));
  if (!out->v) return oom(err);
  if (n->type == AVRO_ARRAY && n->items->type == AVRO_RECORD && n->items->n_fields == 2) {
    const avro_node_t *kv = n->items;
    for (uint32_t i = 0; i < v->len; i++) {
      int32_t k;
      int64_t x;
      const avro_datum_t *it = &v->v.items[i];
      if (!avro_record_int(kv, it, 0, &k) || !avro_record_long(kv, it, 1, &x))
        return prestige_error_set(err, PRESTIGE_ECORRUPT, "%s: %s entry %u is not an int/long pair", what, name, i);
      out->v[i] = (ice_id_count_t){k, x};
    }
    return 0;
  }
  return prestige_error_set(err, PRESTIGE_ECORRUPT, "%s: %s is not an array of key/value records", what, name);
}

static int read_bounds(arena_t *a, const avro_node_t *rec, const avro_datum_t *d, int32_t idx, ice_bounds_t *out,
                       const char *what, const char *name, prestige_error_t *err) {
  memset(out, 0, sizeof(*out));
  if (idx < 0) return 0;
  const avro_node_t *t = rec->fields[idx].type;
  const avro_datum_t *v = &d->v.items[idx];
  if (avro_datum_is_null(t, v)) return 0;
  const avro_node_t *n = avro_datum_type(t, v);
  if (n->type != AVRO_ARRAY || n->items->type != AVRO_RECORD || n->items->n_fields != 2 ||
      n->items->fields[1].type->type != AVRO_BYTES)
    return prestige_error_set(err, PRESTIGE_ECORRUPT, "%s: %s is not an array of int/bytes records", what, name);
  out->present = true;
  out->n = v->len;
  out->v = arena_alloc(a, (size_t)(v->len ? v->len : 1) * sizeof(ice_id_bytes_t));
  if (!out->v) return oom(err);
  const avro_node_t *kv = n->items;
  for (uint32_t i = 0; i < v->len; i++) {
    const avro_datum_t *it = &v->v.items[i];
    int32_t k;
    if (!avro_record_int(kv, it, 0, &k)) return prestige_error_set(err, PRESTIGE_ECORRUPT, "%s: %s entry %u has no int key", what, name, i);
    const avro_datum_t *b = &it->v.items[1];
    uint8_t *c = arena_alloc(a, b->len ? b->len : 1);
    if (!c) return oom(err);
    if (b->len) memcpy(c, b->v.bytes, b->len);
    out->v[i] = (ice_id_bytes_t){k, c, b->len};
  }
  return 0;
}

static int read_string(arena_t *a, const avro_node_t *rec, const avro_datum_t *d, int32_t idx, const char **out,
                       prestige_error_t *err) {
  *out = NULL;
  if (idx < 0) return 0;
  const avro_node_t *t = rec->fields[idx].type;
  const avro_datum_t *v = &d->v.items[idx];
  if (avro_datum_is_null(t, v)) return 0;
  const avro_node_t *n = avro_datum_type(t, v);
  if (n->type != AVRO_STRING && n->type != AVRO_BYTES) return PRESTIGE_ECORRUPT;
  *out = avro_datum_strdup(a, v);
  return *out ? 0 : oom(err);
}

typedef struct mreader {
  const char *what;
  const avro_node_t *root, *df, *part;
  int32_t i_status, i_snap, i_seq, i_fseq, i_df;
  int32_t df_idx[DF_N];
  const ice_type_t *ptype;
  int32_t *part_idx; /* per spec field: index in the partition record or -1 */
  int format_version;
} mreader_t;

static int decode_entry(const mreader_t *r, arena_t *a, const avro_datum_t *rec, uint64_t n, ice_manifest_entry_t *e,
                        prestige_error_t *err) {
  memset(e, 0, sizeof(*e));
  char what[256];
  snprintf(what, sizeof what, "%s: entry %llu", r->what, (unsigned long long)n);
  int32_t status;
  if (!avro_record_int(r->root, rec, r->i_status, &status) || status < 0 || status > 2)
    return prestige_error_set(err, PRESTIGE_ECORRUPT, "%s: bad status", what);
  e->status = (ice_entry_status_t)status;
  e->has_snapshot_id = avro_record_long(r->root, rec, r->i_snap, &e->snapshot_id);
  e->has_sequence_number = avro_record_long(r->root, rec, r->i_seq, &e->sequence_number);
  e->has_file_sequence_number = avro_record_long(r->root, rec, r->i_fseq, &e->file_sequence_number);
  const avro_datum_t *df = &rec->v.items[r->i_df];
  const avro_node_t *dft = avro_node_nonnull(r->root->fields[r->i_df].type);
  (void)dft;
  ice_data_file_t *f = &e->file;
  int32_t content = 0;
  if (r->df_idx[DF_CONTENT] >= 0 && !avro_record_int(r->df, df, r->df_idx[DF_CONTENT], &content)) content = 0;
  if (content < 0 || content > 2) return prestige_error_set(err, PRESTIGE_ECORRUPT, "%s: bad content %d", what, content);
  f->content = (ice_file_content_t)content;
  /* read_string's ENOMEM is passed on as it is: only a missing or mistyped field is corruption */
  int rs = read_string(a, r->df, df, r->df_idx[DF_PATH], &f->file_path, err);
  if (rs == PRESTIGE_ENOMEM) return rs;
  if (rs || !f->file_path) return prestige_error_set(err, PRESTIGE_ECORRUPT, "%s: no file_path", what);
  rs = read_string(a, r->df, df, r->df_idx[DF_FORMAT], &f->file_format, err);
  if (rs == PRESTIGE_ENOMEM) return rs;
  if (rs || !f->file_format)
    return prestige_error_set(err, PRESTIGE_ECORRUPT, "%s (%s): no file_format", what, f->file_path);
  if (!avro_record_long(r->df, df, r->df_idx[DF_RECORDS], &f->record_count) || f->record_count < 0)
    return prestige_error_set(err, PRESTIGE_ECORRUPT, "%s (%s): bad record_count", what, f->file_path);
  if (!avro_record_long(r->df, df, r->df_idx[DF_SIZE], &f->file_size_in_bytes) || f->file_size_in_bytes < 0)
    return prestige_error_set(err, PRESTIGE_ECORRUPT, "%s (%s): bad file_size_in_bytes", what, f->file_path);
  /* partition tuple by field id */
  f->n_partition = (uint32_t)r->ptype->n_fields;
  f->partition = arena_calloc(a, f->n_partition ? f->n_partition : 1, sizeof(ice_value_t));
  if (!f->partition) return oom(err);
  const avro_datum_t *part = r->df_idx[DF_PARTITION] >= 0 ? &df->v.items[r->df_idx[DF_PARTITION]] : NULL;
  for (uint32_t i = 0; i < f->n_partition; i++) {
    if (!part || r->part_idx[i] < 0) {
      f->partition[i].is_null = true;
      continue;
    }
    char pw[320];
    snprintf(pw, sizeof pw, "%s: partition field %s", what, r->ptype->fields[i].name);
    PRESTIGE_TRY(ice_value_from_datum(a, r->part->fields[r->part_idx[i]].type, &part->v.items[r->part_idx[i]],
                                      r->ptype->fields[i].type, &f->partition[i], pw, err));
  }
  PRESTIGE_TRY(read_counts(a, r->df, df, r->df_idx[DF_COL_SIZES], &f->column_sizes, what, "column_sizes", err));
  PRESTIGE_TRY(read_counts(a, r->df, df, r->df_idx[DF_VALUES], &f->value_counts, what, "value_counts", err));
  PRESTIGE_TRY(read_counts(a, r->df, df, r->df_idx[DF_NULLS], &f->null_value_counts, what, "null_value_counts", err));
  PRESTIGE_TRY(read_counts(a, r->df, df, r->df_idx[DF_NANS], &f->nan_value_counts, what, "nan_value_counts", err));
  PRESTIGE_TRY(read_bounds(a, r->df, df, r->df_idx[DF_LOWER], &f->lower_bounds, what, "lower_bounds", err));
  PRESTIGE_TRY(read_bounds(a, r->df, df, r->df_idx[DF_UPPER], &f->upper_bounds, what, "upper_bounds", err));
  int32_t k = r->df_idx[DF_KEY];
  if (k >= 0 && !avro_datum_is_null(r->df->fields[k].type, &df->v.items[k])) {
    const avro_datum_t *b = &df->v.items[k];
    uint8_t *c = arena_alloc(a, b->len ? b->len : 1);
    if (!c) return oom(err);
    if (b->len) memcpy(c, b->v.bytes, b->len);
    f->key_metadata = c;
    f->key_metadata_len = b->len;
  }
  k = r->df_idx[DF_SPLITS];
  if (k >= 0 && !avro_datum_is_null(r->df->fields[k].type, &df->v.items[k])) {
    const avro_datum_t *l = &df->v.items[k];
    const avro_node_t *lt = avro_datum_type(r->df->fields[k].type, l);
    if (lt->type != AVRO_ARRAY || (lt->items->type != AVRO_LONG && lt->items->type != AVRO_INT))
      return prestige_error_set(err, PRESTIGE_ECORRUPT, "%s: split_offsets is not a list of long", what);
    f->split_offsets = arena_alloc(a, (size_t)(l->len ? l->len : 1) * sizeof(int64_t));
    if (!f->split_offsets) return oom(err);
    for (uint32_t i = 0; i < l->len; i++)
      f->split_offsets[i] = lt->items->type == AVRO_LONG ? l->v.items[i].v.i64 : l->v.items[i].v.i32;
    f->n_split_offsets = l->len;
  }
  k = r->df_idx[DF_EQ_IDS];
  if (k >= 0 && !avro_datum_is_null(r->df->fields[k].type, &df->v.items[k])) {
    const avro_datum_t *l = &df->v.items[k];
    const avro_node_t *lt = avro_datum_type(r->df->fields[k].type, l);
    if (lt->type != AVRO_ARRAY || lt->items->type != AVRO_INT)
      return prestige_error_set(err, PRESTIGE_ECORRUPT, "%s: equality_ids is not a list of int", what);
    f->equality_ids = arena_alloc(a, (size_t)(l->len ? l->len : 1) * sizeof(int32_t));
    if (!f->equality_ids) return oom(err);
    for (uint32_t i = 0; i < l->len; i++) f->equality_ids[i] = l->v.items[i].v.i32;
    f->n_equality_ids = l->len;
  }
  f->has_sort_order_id = avro_record_int(r->df, df, r->df_idx[DF_SORT], &f->sort_order_id);
  f->has_first_row_id = avro_record_long(r->df, df, r->df_idx[DF_FIRST_ROW], &f->first_row_id);
  rs = read_string(a, r->df, df, r->df_idx[DF_REF_FILE], &f->referenced_data_file, err);
  if (rs == PRESTIGE_ENOMEM) return rs;
  if (rs) return prestige_error_set(err, PRESTIGE_ECORRUPT, "%s: bad referenced_data_file", what);
  f->has_content_offset = avro_record_long(r->df, df, r->df_idx[DF_CONTENT_OFFSET], &f->content_offset);
  f->has_content_size = avro_record_long(r->df, df, r->df_idx[DF_CONTENT_SIZE], &f->content_size_in_bytes);
  if (f->content == ICE_CONTENT_EQUALITY_DELETES && !f->equality_ids)
    return prestige_error_set(err, PRESTIGE_ECORRUPT, "%s (%s): equality delete file without equality_ids", what,
                              f->file_path);
  return 0;
}

static int meta_int(avro_reader_t *ar, const char *key, int64_t *out) {
  size_t len;
  const uint8_t *v = avro_reader_meta(ar, key, &len);
  if (!v || len == 0 || len > 20) return -1;
  char b[24];
  memcpy(b, v, len);
  b[len] = 0;
  char *end;
  long long x = strtoll(b, &end, 10);
  if (*end) return -1;
  *out = x;
  return 0;
}

int ice_manifest_read_memory(const uint8_t *data, size_t len, const char *what, const ice_manifest_file_t *mf,
                             const ice_table_metadata_t *md, ice_manifest_keep_fn keep, void *user,
                             ice_manifest_t *out, prestige_error_t *err) {
  memset(out, 0, sizeof(*out));
  avro_reader_t *ar = NULL;
  ice_type_t *ptype = NULL;
  mreader_t r = {.what = what};
  arena_t scratch = ARENA_INIT;
  size_t cap = 0;
  int rc = avro_reader_open_memory(&ar, data, len, what, NULL, err);
  if (rc) return rc;
  int64_t fv = 1, spec_id = mf ? mf->spec_id : 0;
  if (meta_int(ar, "format-version", &fv)) fv = 1;
  if (!mf && meta_int(ar, "partition-spec-id", &spec_id)) spec_id = 0;
  size_t clen;
  const uint8_t *content = avro_reader_meta(ar, "content", &clen);
  out->format_version = (int)fv;
  out->spec_id = (int32_t)spec_id;
  out->content = content && clen == 7 && !memcmp(content, "deletes", 7) ? ICE_MANIFEST_DELETES : ICE_MANIFEST_DATA;
  if (mf) out->content = mf->content;
  const ice_partition_spec_t *spec = ice_metadata_spec(md, (int32_t)spec_id);
  if (!spec) {
    rc = prestige_error_set(err, PRESTIGE_ECORRUPT, "%s: partition spec %lld is not in the table metadata", what,
                            (long long)spec_id);
    goto done;
  }
  if ((rc = ice_spec_partition_type(md, spec, &ptype, err))) goto done;
  r.format_version = (int)fv;
  r.ptype = ptype;
  r.root = avro_reader_root(ar);
  if (r.root->type != AVRO_RECORD) {
    rc = prestige_error_set(err, PRESTIGE_ECORRUPT, "%s: not a manifest (the Avro schema is not a record)", what);
    goto done;
  }
  r.i_status = mf_field(r.root, 0);
  r.i_snap = mf_field(r.root, 1);
  r.i_seq = mf_field(r.root, 3);
  r.i_fseq = mf_field(r.root, 4);
  r.i_df = mf_field(r.root, 2);
  if (r.i_status < 0 || r.i_df < 0) {
    rc = prestige_error_set(err, PRESTIGE_ECORRUPT, "%s: not a manifest (no status or data_file field)", what);
    goto done;
  }
  r.df = avro_node_nonnull(r.root->fields[r.i_df].type);
  if (r.df->type != AVRO_RECORD) {
    rc = prestige_error_set(err, PRESTIGE_ECORRUPT, "%s: data_file is not a record", what);
    goto done;
  }
  for (int k = 0; k < DF_N; k++) r.df_idx[k] = mf_field(r.df, df_ids[k]);
  if (r.df_idx[DF_PATH] < 0 || r.df_idx[DF_RECORDS] < 0) {
    rc = prestige_error_set(err, PRESTIGE_ECORRUPT, "%s: data_file lacks file_path or record_count", what);
    goto done;
  }
  r.part = r.df_idx[DF_PARTITION] >= 0 ? avro_node_nonnull(r.df->fields[r.df_idx[DF_PARTITION]].type) : NULL;
  r.part_idx = calloc(ptype->n_fields ? ptype->n_fields : 1, sizeof(int32_t));
  if (!r.part_idx) {
    rc = oom(err);
    goto done;
  }
  for (size_t i = 0; i < ptype->n_fields; i++) {
    r.part_idx[i] = r.part && r.part->type == AVRO_RECORD ? avro_field_index_by_id(r.part, ptype->fields[i].id) : -1;
    if (r.part_idx[i] < 0 && r.part && r.part->type == AVRO_RECORD)
      r.part_idx[i] = avro_field_index(r.part, ptype->fields[i].name);
  }
  /* inheritance (spec "Sequence Number Inheritance", "First Row ID Inheritance") */
  int64_t list_seq = mf ? mf->sequence_number : 0;
  if (fv <= 1) list_seq = 0;
  bool inherit_row_ids = mf && mf->has_first_row_id && out->content == ICE_MANIFEST_DATA;
  int64_t next_row_id = inherit_row_ids ? mf->first_row_id : 0;
  uint64_t n = 0;
  for (;;) {
    const avro_datum_t *rec;
    if ((rc = avro_reader_next(ar, &rec, err))) goto done;
    if (!rec) break;
    ice_manifest_entry_t e;
    arena_reset(&scratch);
    if ((rc = decode_entry(&r, &scratch, rec, n, &e, err))) goto done;
    n++;
    if (!e.has_snapshot_id) {
      if (!mf) {
        rc = prestige_error_set(err, PRESTIGE_ECORRUPT, "%s: entry %llu has no snapshot id to inherit", what,
                                (unsigned long long)(n - 1));
        goto done;
      }
      e.has_snapshot_id = true;
      e.snapshot_id = mf->added_snapshot_id;
    }
    if (!e.has_sequence_number && (e.status == ICE_ENTRY_ADDED || fv <= 1)) {
      e.has_sequence_number = true;
      e.sequence_number = list_seq;
    }
    if (!e.has_file_sequence_number && (e.status == ICE_ENTRY_ADDED || fv <= 1)) {
      e.has_file_sequence_number = true;
      e.file_sequence_number = list_seq;
    }
    if (inherit_row_ids && e.file.content == ICE_CONTENT_DATA && !e.file.has_first_row_id) {
      e.file.has_first_row_id = true;
      e.file.first_row_id = next_row_id;
      next_row_id += e.file.record_count;
    }
    e.file.spec_id = (int32_t)spec_id;
    if (keep && !keep(user, &e)) continue;
    if (out->n_entries == cap) {
      size_t nc = cap ? cap * 2 : 16;
      ice_manifest_entry_t *g = realloc(out->entries, nc * sizeof(*g));
      if (!g) {
        rc = oom(err);
        goto done;
      }
      out->entries = g;
      cap = nc;
    }
    ice_manifest_entry_t *d = &out->entries[out->n_entries];
    *d = e;
    if ((rc = ice_data_file_copy(&out->arena, &e.file, &d->file, err))) goto done;
    out->n_entries++;
  }
done:
  avro_reader_close(ar);
  arena_release(&scratch);
  free(r.part_idx);
  ice_type_free(ptype);
  if (rc) ice_manifest_release(out);
  return rc;
}

int ice_manifest_read(ice_io_t *io, const ice_manifest_file_t *mf, const ice_table_metadata_t *md,
                      ice_manifest_keep_fn keep, void *user, ice_manifest_t *out, prestige_error_t *err) {
  memset(out, 0, sizeof(*out));
  uint8_t *data = NULL;
  size_t len = 0;
  int rc = ice_io_read(io, mf->path, &data, &len, err);
  if (rc) return prestige_error_prefix(err, "manifest %s", mf->path), rc;
  if (mf->length > 0 && (uint64_t)mf->length != len) {
    free(data);
    return prestige_error_set(err, PRESTIGE_ECORRUPT, "manifest %s: %zu bytes, the manifest list says %lld", mf->path, len,
                              (long long)mf->length);
  }
  rc = ice_manifest_read_memory(data, len, mf->path, mf, md, keep, user, out, err);
  free(data);
  return rc;
}
