/* Manifest lists (spec "Manifest Lists", "First Row ID Assignment"), written as Java's
 * ManifestListWriter.V2Writer / V3Writer and read from any version. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iceberg/manifest_internal.h"

static int oom(prestige_error_t *err) { return prestige_error_set(err, PRESTIGE_ENOMEM, "manifest list: out of memory"); }

enum {
  ML_PATH, ML_LENGTH, ML_SPEC, ML_CONTENT, ML_SEQ, ML_MIN_SEQ, ML_SNAP, ML_ADDED_FILES, ML_EXISTING_FILES,
  ML_DELETED_FILES, ML_ADDED_ROWS, ML_EXISTING_ROWS, ML_DELETED_ROWS, ML_PARTITIONS, ML_KEY, ML_FIRST_ROW, ML_N
};
static const int32_t ml_ids[ML_N] = {500, 501, 502, 517, 515, 516, 503, 504, 505, 506, 512, 513, 514, 507, 519, 520};

struct ice_manifest_list_writer {
  char *location;
  int format_version;
  int64_t snapshot_id, sequence_number, next_row_id;
  avro_schema_t *schema;
  avro_writer_t *aw;
  arena_t arena;
  int32_t idx[ML_N];
  const avro_node_t *summary; /* r508 */
};

static void lw_free(ice_manifest_list_writer_t *w) {
  if (!w) return;
  free(w->location);
  avro_schema_free(w->schema);
  arena_release(&w->arena);
  free(w);
}

int ice_manifest_list_writer_open(ice_manifest_list_writer_t **out, ice_io_t *io, const char *location,
                                  int format_version, int64_t snapshot_id, const int64_t *parent_id,
                                  int64_t sequence_number, int64_t first_row_id, prestige_error_t *err) {
  *out = NULL;
  ice_manifest_list_writer_t *w = calloc(1, sizeof(*w));
  if (!w) return oom(err);
  w->format_version = format_version;
  w->snapshot_id = snapshot_id;
  w->sequence_number = sequence_number;
  w->next_row_id = first_row_id;
  char *json = NULL;
  int rc = 0;
  if (!(w->location = strdup(location))) {
    rc = oom(err);
    goto fail;
  }
  if ((rc = ice_manifest_list_avro_schema(format_version, &json, err))) goto fail;
  if ((rc = avro_schema_parse(&w->schema, json, strlen(json), err))) goto fail;
  const avro_node_t *root = avro_schema_root(w->schema);
  for (int k = 0; k < ML_N; k++) w->idx[k] = mf_field(root, ml_ids[k]);
  w->summary = avro_node_nonnull(root->fields[w->idx[ML_PARTITIONS]].type)->items;
  char snap[24], parent[24], seq[24], fv[4], first[24];
  snprintf(snap, sizeof snap, "%lld", (long long)snapshot_id);
  if (parent_id) snprintf(parent, sizeof parent, "%lld", (long long)*parent_id);
  else snprintf(parent, sizeof parent, "null");
  snprintf(seq, sizeof seq, "%lld", (long long)sequence_number);
  snprintf(fv, sizeof fv, "%d", format_version);
  snprintf(first, sizeof first, "%lld", (long long)first_row_id);
  avro_meta_t meta[5] = {{"snapshot-id", snap, strlen(snap)},
                         {"parent-snapshot-id", parent, strlen(parent)},
                         {"sequence-number", seq, strlen(seq)},
                         {"first-row-id", first, strlen(first)},
                         {"format-version", fv, strlen(fv)}};
  if (format_version < 3) meta[3] = meta[4];
  avro_writer_options_t o = AVRO_WRITER_OPTIONS_INIT;
  o.codec = AVRO_CODEC_DEFLATE;
  o.meta = meta;
  o.n_meta = format_version < 3 ? 4 : 5;
  prestige_output_t po;
  if ((rc = ice_io_open_output(io, location, &po, err))) goto fail;
  if ((rc = avro_writer_open(&w->aw, w->schema, po, &o, err))) goto fail;
  free(json);
  *out = w;
  return 0;
fail:
  free(json);
  lw_free(w);
  return prestige_error_prefix(err, "manifest list %s", location), rc;
}

int ice_manifest_list_writer_add(ice_manifest_list_writer_t *w, const ice_manifest_file_t *m, prestige_error_t *err) {
  const avro_node_t *root = avro_schema_root(w->schema);
  avro_datum_t rec;
  int64_t seq = m->sequence_number, min_seq = m->min_sequence_number;
  if (seq == ICE_UNASSIGNED_SEQ || min_seq == ICE_UNASSIGNED_SEQ) {
    /* only a manifest written for this commit may still lack its sequence number (V2Metadata) */
    if (m->added_snapshot_id != w->snapshot_id)
      return prestige_error_set(err, PRESTIGE_EINTERNAL, "manifest %s from snapshot %lld has no sequence number",
                                m->path, (long long)m->added_snapshot_id);
    if (seq == ICE_UNASSIGNED_SEQ) seq = w->sequence_number;
    if (min_seq == ICE_UNASSIGNED_SEQ) min_seq = w->sequence_number;
  }
  if (avro_datum_record(&w->arena, &rec, root)) return oom(err);
  avro_datum_t *f = rec.v.items;
  avro_set_string(&f[w->idx[ML_PATH]], m->path);
  f[w->idx[ML_LENGTH]].v.i64 = m->length;
  f[w->idx[ML_SPEC]].v.i32 = m->spec_id;
  f[w->idx[ML_CONTENT]].v.i32 = (int32_t)m->content;
  f[w->idx[ML_SEQ]].v.i64 = seq;
  f[w->idx[ML_MIN_SEQ]].v.i64 = min_seq;
  f[w->idx[ML_SNAP]].v.i64 = m->added_snapshot_id;
  if (!m->has_counts)
    return prestige_error_set(err, PRESTIGE_EINTERNAL, "manifest %s: counts unknown (V1) cannot be written to V%d",
                              m->path, w->format_version);
  f[w->idx[ML_ADDED_FILES]].v.i32 = m->added_files_count;
  f[w->idx[ML_EXISTING_FILES]].v.i32 = m->existing_files_count;
  f[w->idx[ML_DELETED_FILES]].v.i32 = m->deleted_files_count;
  f[w->idx[ML_ADDED_ROWS]].v.i64 = m->added_rows_count;
  f[w->idx[ML_EXISTING_ROWS]].v.i64 = m->existing_rows_count;
  f[w->idx[ML_DELETED_ROWS]].v.i64 = m->deleted_rows_count;
  if (m->partitions) {
    const avro_node_t *pt = root->fields[w->idx[ML_PARTITIONS]].type;
    avro_datum_t *list = avro_set_some(&f[w->idx[ML_PARTITIONS]], pt), *items;
    if (avro_datum_array(&w->arena, list, m->n_partitions, &items)) return oom(err);
    for (uint32_t i = 0; i < m->n_partitions; i++) {
      const ice_field_summary_t *s = &m->partitions[i];
      if (avro_datum_record(&w->arena, &items[i], w->summary)) return oom(err);
      avro_datum_t *sf = items[i].v.items;
      sf[0].v.boolean = s->contains_null;
      if (s->has_contains_nan) avro_set_some(&sf[1], w->summary->fields[1].type)->v.boolean = s->contains_nan;
      if (s->lower_bound) avro_set_bytes(avro_set_some(&sf[2], w->summary->fields[2].type), s->lower_bound, s->lower_len);
      if (s->upper_bound) avro_set_bytes(avro_set_some(&sf[3], w->summary->fields[3].type), s->upper_bound, s->upper_len);
    }
  }
  if (m->key_metadata)
    avro_set_bytes(avro_set_some(&f[w->idx[ML_KEY]], root->fields[w->idx[ML_KEY]].type), m->key_metadata,
                   m->key_metadata_len);
  if (w->format_version >= 3) {
    avro_datum_t *d = &f[w->idx[ML_FIRST_ROW]];
    const avro_node_t *t = root->fields[w->idx[ML_FIRST_ROW]].type;
    if (m->content != ICE_MANIFEST_DATA) {
      /* delete manifests never carry a first_row_id */
    } else if (m->has_first_row_id) {
      avro_set_some(d, t)->v.i64 = m->first_row_id;
    } else {
      avro_set_some(d, t)->v.i64 = w->next_row_id;
      /* room for existing rows too: files of pre-V3 manifests may lack first_row_id */
      w->next_row_id += m->existing_rows_count + m->added_rows_count;
    }
  }
  int rc = avro_writer_append(w->aw, &rec, err);
  arena_reset(&w->arena);
  return rc;
}

int ice_manifest_list_writer_close(ice_manifest_list_writer_t *w, int64_t *next_row_id, prestige_error_t *err) {
  uint64_t size;
  int rc = avro_writer_close(w->aw, &size, err);
  if (rc) prestige_error_prefix(err, "manifest list %s", w->location);
  if (next_row_id) *next_row_id = w->next_row_id;
  lw_free(w);
  return rc;
}

void ice_manifest_list_writer_abort(ice_manifest_list_writer_t *w) {
  if (!w) return;
  avro_writer_abort(w->aw);
  lw_free(w);
}

/* ---- reading -------------------------------------------------------------------------------------- */
static uint8_t *copy_bytes(const avro_datum_t *d, uint32_t *len) {
  uint8_t *c = malloc(d->len ? d->len : 1);
  if (c && d->len) memcpy(c, d->v.bytes, d->len);
  *len = d->len;
  return c;
}

static int decode(const avro_node_t *root, const int32_t *idx, const avro_datum_t *rec, size_t i, const char *what,
                  ice_manifest_file_t *m, prestige_error_t *err) {
  memset(m, 0, sizeof(*m));
  const avro_datum_t *p = &rec->v.items[idx[ML_PATH]];
  if (avro_datum_is_null(root->fields[idx[ML_PATH]].type, p))
    return prestige_error_set(err, PRESTIGE_ECORRUPT, "%s: entry %zu has no manifest_path", what, i);
  m->path = malloc((size_t)p->len + 1);
  if (!m->path) return oom(err);
  memcpy(m->path, p->v.bytes, p->len);
  m->path[p->len] = 0;
  if (strlen(m->path) != p->len || p->len == 0)
    return prestige_error_set(err, PRESTIGE_ECORRUPT, "%s: entry %zu has a bad manifest_path", what, i);
  if (!avro_record_long(root, rec, idx[ML_LENGTH], &m->length) || m->length < 0)
    return prestige_error_set(err, PRESTIGE_ECORRUPT, "%s: manifest %s: bad manifest_length", what, m->path);
  if (!avro_record_int(root, rec, idx[ML_SPEC], &m->spec_id))
    return prestige_error_set(err, PRESTIGE_ECORRUPT, "%s: manifest %s: bad partition_spec_id", what, m->path);
  int32_t content = 0;
  if (idx[ML_CONTENT] >= 0 && !avro_record_int(root, rec, idx[ML_CONTENT], &content)) content = 0;
  if (content != 0 && content != 1)
    return prestige_error_set(err, PRESTIGE_ECORRUPT, "%s: manifest %s: bad content %d", what, m->path, content);
  m->content = (ice_manifest_content_t)content;
  if (!avro_record_long(root, rec, idx[ML_SEQ], &m->sequence_number)) m->sequence_number = 0; /* V1 */
  if (!avro_record_long(root, rec, idx[ML_MIN_SEQ], &m->min_sequence_number)) m->min_sequence_number = 0;
  if (!avro_record_long(root, rec, idx[ML_SNAP], &m->added_snapshot_id))
    return prestige_error_set(err, PRESTIGE_ECORRUPT, "%s: manifest %s: no added_snapshot_id", what, m->path);
  m->has_counts = avro_record_int(root, rec, idx[ML_ADDED_FILES], &m->added_files_count) &&
                  avro_record_int(root, rec, idx[ML_EXISTING_FILES], &m->existing_files_count) &&
                  avro_record_int(root, rec, idx[ML_DELETED_FILES], &m->deleted_files_count);
  if (m->has_counts) {
    if (!avro_record_long(root, rec, idx[ML_ADDED_ROWS], &m->added_rows_count)) m->added_rows_count = 0;
    if (!avro_record_long(root, rec, idx[ML_EXISTING_ROWS], &m->existing_rows_count)) m->existing_rows_count = 0;
    if (!avro_record_long(root, rec, idx[ML_DELETED_ROWS], &m->deleted_rows_count)) m->deleted_rows_count = 0;
  }
  int32_t k = idx[ML_PARTITIONS];
  if (k >= 0 && !avro_datum_is_null(root->fields[k].type, &rec->v.items[k])) {
    const avro_datum_t *l = &rec->v.items[k];
    const avro_node_t *lt = avro_datum_type(root->fields[k].type, l);
    if (lt->type != AVRO_ARRAY || avro_node_nonnull(lt->items)->type != AVRO_RECORD)
      return prestige_error_set(err, PRESTIGE_ECORRUPT, "%s: manifest %s: partitions is not a list of records", what,
                                m->path);
    const avro_node_t *st = avro_node_nonnull(lt->items);
    int32_t i_null = mf_field(st, 509), i_nan = mf_field(st, 518), i_lo = mf_field(st, 510), i_hi = mf_field(st, 511);
    m->partitions = calloc(l->len ? l->len : 1, sizeof(ice_field_summary_t));
    if (!m->partitions) return oom(err);
    m->n_partitions = l->len;
    for (uint32_t j = 0; j < l->len; j++) {
      const avro_datum_t *s = &l->v.items[j];
      ice_field_summary_t *fs = &m->partitions[j];
      if (i_null >= 0 && !avro_datum_is_null(st->fields[i_null].type, &s->v.items[i_null]))
        fs->contains_null = s->v.items[i_null].v.boolean;
      else
        fs->contains_null = true; /* unknown: assume nulls */
      if (i_nan >= 0 && !avro_datum_is_null(st->fields[i_nan].type, &s->v.items[i_nan])) {
        fs->has_contains_nan = true;
        fs->contains_nan = s->v.items[i_nan].v.boolean;
      }
      if (i_lo >= 0 && !avro_datum_is_null(st->fields[i_lo].type, &s->v.items[i_lo]))
        if (!(fs->lower_bound = copy_bytes(&s->v.items[i_lo], &fs->lower_len))) return oom(err);
      if (i_hi >= 0 && !avro_datum_is_null(st->fields[i_hi].type, &s->v.items[i_hi]))
        if (!(fs->upper_bound = copy_bytes(&s->v.items[i_hi], &fs->upper_len))) return oom(err);
    }
  }
  k = idx[ML_KEY];
  if (k >= 0 && !avro_datum_is_null(root->fields[k].type, &rec->v.items[k]))
    if (!(m->key_metadata = copy_bytes(&rec->v.items[k], &m->key_metadata_len))) return oom(err);
  m->has_first_row_id = avro_record_long(root, rec, idx[ML_FIRST_ROW], &m->first_row_id);
  return 0;
}

int ice_manifest_list_read_memory(const uint8_t *data, size_t len, const char *what, ice_manifest_file_t **out,
                                  size_t *n, prestige_error_t *err) {
  *out = NULL;
  *n = 0;
  avro_reader_t *ar;
  int rc = avro_reader_open_memory(&ar, data, len, what, NULL, err);
  if (rc) return rc;
  const avro_node_t *root = avro_reader_root(ar);
  int32_t idx[ML_N];
  for (int k = 0; k < ML_N; k++) idx[k] = mf_field(root, ml_ids[k]);
  ice_manifest_file_t *v = NULL;
  size_t cap = 0, count = 0;
  if (root->type != AVRO_RECORD || idx[ML_PATH] < 0 || idx[ML_LENGTH] < 0 || idx[ML_SPEC] < 0 || idx[ML_SNAP] < 0) {
    rc = prestige_error_set(err, PRESTIGE_ECORRUPT, "%s: not a manifest list (no manifest_path/length/spec/snapshot fields)",
                            what);
    goto done;
  }
  for (;;) {
    const avro_datum_t *rec;
    if ((rc = avro_reader_next(ar, &rec, err))) goto done;
    if (!rec) break;
    if (count == cap) {
      size_t nc = cap ? cap * 2 : 16;
      ice_manifest_file_t *g = realloc(v, nc * sizeof(*g));
      if (!g) {
        rc = oom(err);
        goto done;
      }
      v = g;
      cap = nc;
    }
    rc = decode(root, idx, rec, count, what, &v[count], err);
    count++;
    if (rc) goto done;
  }
done:
  avro_reader_close(ar);
  if (rc) {
    ice_manifest_files_free(v, count);
    return rc;
  }
  *out = v;
  *n = count;
  return 0;
}

int ice_manifest_list_read(ice_io_t *io, const char *location, ice_manifest_file_t **out, size_t *n,
                           prestige_error_t *err) {
  uint8_t *data = NULL;
  size_t len = 0;
  int rc = ice_io_read(io, location, &data, &len, err);
  if (rc) return prestige_error_prefix(err, "manifest list %s", location), rc;
  rc = ice_manifest_list_read_memory(data, len, location, out, n, err);
  free(data);
  return rc;
}

int ice_snapshot_manifests(ice_io_t *io, const ice_snapshot_t *s, ice_manifest_file_t **out, size_t *n,
                           prestige_error_t *err) {
  *out = NULL;
  *n = 0;
  if (s->manifest_list) return ice_manifest_list_read(io, s->manifest_list, out, n, err);
  /* V1: a list of manifest locations in the snapshot; each one's spec id from its header */
  ice_manifest_file_t *v = calloc(s->n_manifests ? s->n_manifests : 1, sizeof(*v));
  if (!v) return oom(err);
  for (size_t i = 0; i < s->n_manifests; i++) {
    uint8_t *data = NULL;
    size_t len = 0;
    int rc = ice_io_read(io, s->manifests[i], &data, &len, err);
    avro_reader_t *ar = NULL;
    if (!rc) rc = avro_reader_open_memory(&ar, data, len, s->manifests[i], NULL, err);
    if (!rc) {
      size_t sl;
      const uint8_t *sv = avro_reader_meta(ar, "partition-spec-id", &sl);
      char b[16] = "0";
      if (sv && sl < sizeof b) memcpy(b, sv, sl), b[sl] = 0;
      v[i].spec_id = atoi(b);
      avro_reader_close(ar);
    }
    free(data);
    if (!rc && !(v[i].path = strdup(s->manifests[i]))) rc = oom(err);
    if (rc) {
      ice_manifest_files_free(v, s->n_manifests);
      return prestige_error_prefix(err, "snapshot %lld", (long long)s->snapshot_id), rc;
    }
    v[i].length = (int64_t)len;
    v[i].added_snapshot_id = s->snapshot_id;
  }
  *out = v;
  *n = s->n_manifests;
  return 0;
}
