/* parquet.thrift structs <-> Thrift compact protocol. Field ids follow parquet-format. */
#include "parquet/metadata.h"

#include <stdio.h>
#include <string.h>

#include "parquet/thrift.h"

/* ================================ encode ================================================= */
static void enc_statistics(thrift_writer_t *w, int16_t fid, const pq_statistics_t *s) {
  tw_field_struct_begin(w, fid);
  if (s->has_max) tw_field_binary(w, 1, s->max.ptr, s->max.len);
  if (s->has_min) tw_field_binary(w, 2, s->min.ptr, s->min.len);
  if (s->has_null_count) tw_field_i64(w, 3, s->null_count);
  if (s->has_distinct_count) tw_field_i64(w, 4, s->distinct_count);
  if (s->has_max_value) tw_field_binary(w, 5, s->max_value.ptr, s->max_value.len);
  if (s->has_min_value) tw_field_binary(w, 6, s->min_value.ptr, s->min_value.len);
  if (s->has_is_max_value_exact) tw_field_bool(w, 7, s->is_max_value_exact);
  if (s->has_is_min_value_exact) tw_field_bool(w, 8, s->is_min_value_exact);
  if (s->has_nan_count) tw_field_i64(w, 9, s->nan_count);
  tw_struct_end(w);
}

static void enc_i64_list(thrift_writer_t *w, int16_t fid, const int64_t *v, int32_t n) {
  tw_field_list_begin(w, fid, TC_I64, n);
  for (int32_t i = 0; i < n; i++) tw_i64(w, v[i]);
}

static void enc_time_unit(thrift_writer_t *w, int16_t fid, int unit) {
  tw_field_struct_begin(w, fid);
  tw_field_struct_begin(w, (int16_t)unit); /* MILLIS=1, MICROS=2, NANOS=3: empty structs */
  tw_struct_end(w);
  tw_struct_end(w);
}

static void enc_logical_type(thrift_writer_t *w, const pq_logical_type_t *lt) {
  tw_field_struct_begin(w, 10);
  tw_field_struct_begin(w, (int16_t)lt->kind);
  switch (lt->kind) {
    case PQ_LT_DECIMAL:
      tw_field_i32(w, 1, lt->scale);
      tw_field_i32(w, 2, lt->precision);
      break;
    case PQ_LT_TIME:
    case PQ_LT_TIMESTAMP:
      tw_field_bool(w, 1, lt->is_adjusted_to_utc);
      enc_time_unit(w, 2, lt->unit);
      break;
    case PQ_LT_INTEGER:
      tw_field(w, 1, TC_BYTE);
      buf_append_u8(w->out, (uint8_t)lt->bit_width);
      tw_field_bool(w, 2, lt->is_signed);
      break;
    default: break;
  }
  tw_struct_end(w);
  tw_struct_end(w);
}

static void enc_schema_element(thrift_writer_t *w, const pq_schema_element_t *e) {
  tw_struct_begin(w);
  if (e->has_type) tw_field_i32(w, 1, e->type);
  if (e->has_type_length) tw_field_i32(w, 2, e->type_length);
  if (e->has_repetition) tw_field_i32(w, 3, e->repetition);
  tw_field_string(w, 4, e->name);
  if (e->has_num_children) tw_field_i32(w, 5, e->num_children);
  if (e->has_converted_type) tw_field_i32(w, 6, e->converted_type);
  if (e->has_scale) tw_field_i32(w, 7, e->scale);
  if (e->has_precision) tw_field_i32(w, 8, e->precision);
  if (e->has_field_id) tw_field_i32(w, 9, e->field_id);
  if (e->logical_type && e->logical_type->kind != PQ_LT_NONE) enc_logical_type(w, e->logical_type);
  tw_struct_end(w);
}

static void enc_kv_list(thrift_writer_t *w, int16_t fid, const pq_key_value_t *kv, int32_t n) {
  tw_field_list_begin(w, fid, TC_STRUCT, n);
  for (int32_t i = 0; i < n; i++) {
    tw_struct_begin(w);
    tw_field_string(w, 1, kv[i].key);
    if (kv[i].has_value) tw_field_binary(w, 2, kv[i].value.ptr, kv[i].value.len);
    tw_struct_end(w);
  }
}

static void enc_column_meta(thrift_writer_t *w, const pq_column_meta_t *m) {
  tw_field_struct_begin(w, 3);
  tw_field_i32(w, 1, m->type);
  tw_field_list_begin(w, 2, TC_I32, m->n_encodings);
  for (int32_t i = 0; i < m->n_encodings; i++) tw_i32(w, m->encodings[i]);
  tw_field_list_begin(w, 3, TC_BINARY, m->n_path_in_schema);
  for (int32_t i = 0; i < m->n_path_in_schema; i++) tw_binary(w, m->path_in_schema[i], strlen(m->path_in_schema[i]));
  tw_field_i32(w, 4, m->codec);
  tw_field_i64(w, 5, m->num_values);
  tw_field_i64(w, 6, m->total_uncompressed_size);
  tw_field_i64(w, 7, m->total_compressed_size);
  if (m->n_key_value_metadata) enc_kv_list(w, 8, m->key_value_metadata, m->n_key_value_metadata);
  tw_field_i64(w, 9, m->data_page_offset);
  if (m->has_index_page_offset) tw_field_i64(w, 10, m->index_page_offset);
  if (m->has_dictionary_page_offset) tw_field_i64(w, 11, m->dictionary_page_offset);
  if (m->statistics) enc_statistics(w, 12, m->statistics);
  if (m->n_encoding_stats) {
    tw_field_list_begin(w, 13, TC_STRUCT, m->n_encoding_stats);
    for (int32_t i = 0; i < m->n_encoding_stats; i++) {
      tw_struct_begin(w);
      tw_field_i32(w, 1, m->encoding_stats[i].page_type);
      tw_field_i32(w, 2, m->encoding_stats[i].encoding);
      tw_field_i32(w, 3, m->encoding_stats[i].count);
      tw_struct_end(w);
    }
  }
  if (m->has_bloom_filter_offset) tw_field_i64(w, 14, m->bloom_filter_offset);
  if (m->has_bloom_filter_length) tw_field_i32(w, 15, m->bloom_filter_length);
  if (m->size_statistics) {
    const pq_size_statistics_t *s = m->size_statistics;
    tw_field_struct_begin(w, 16);
    if (s->has_unencoded_byte_array_data_bytes) tw_field_i64(w, 1, s->unencoded_byte_array_data_bytes);
    if (s->repetition_level_histogram) enc_i64_list(w, 2, s->repetition_level_histogram, s->n_repetition_level_histogram);
    if (s->definition_level_histogram) enc_i64_list(w, 3, s->definition_level_histogram, s->n_definition_level_histogram);
    tw_struct_end(w);
  }
  tw_struct_end(w);
}

static int finish(thrift_writer_t *w, prestige_error_t *err, const char *what) {
  if (w->rc) return prestige_error_set(err, w->rc, "encoding %s: out of memory", what);
  return 0;
}

int pq_file_metadata_encode(const pq_file_metadata_t *m, buf_t *out, prestige_error_t *err) {
  thrift_writer_t w;
  tw_init(&w, out);
  tw_struct_begin(&w);
  tw_field_i32(&w, 1, m->version);
  tw_field_list_begin(&w, 2, TC_STRUCT, m->n_schema);
  for (int32_t i = 0; i < m->n_schema; i++) enc_schema_element(&w, &m->schema[i]);
  tw_field_i64(&w, 3, m->num_rows);
  tw_field_list_begin(&w, 4, TC_STRUCT, m->n_row_groups);
  for (int32_t g = 0; g < m->n_row_groups; g++) {
    const pq_row_group_t *rg = &m->row_groups[g];
    tw_struct_begin(&w);
    tw_field_list_begin(&w, 1, TC_STRUCT, rg->n_columns);
    for (int32_t c = 0; c < rg->n_columns; c++) {
      const pq_column_chunk_t *cc = &rg->columns[c];
      tw_struct_begin(&w);
      if (cc->file_path) tw_field_string(&w, 1, cc->file_path);
      tw_field_i64(&w, 2, cc->file_offset);
      if (cc->meta_data) enc_column_meta(&w, cc->meta_data);
      if (cc->has_offset_index) {
        tw_field_i64(&w, 4, cc->offset_index_offset);
        tw_field_i32(&w, 5, cc->offset_index_length);
      }
      if (cc->has_column_index) {
        tw_field_i64(&w, 6, cc->column_index_offset);
        tw_field_i32(&w, 7, cc->column_index_length);
      }
      tw_struct_end(&w);
    }
    tw_field_i64(&w, 2, rg->total_byte_size);
    tw_field_i64(&w, 3, rg->num_rows);
    if (rg->n_sorting_columns) {
      tw_field_list_begin(&w, 4, TC_STRUCT, rg->n_sorting_columns);
      for (int32_t i = 0; i < rg->n_sorting_columns; i++) {
        tw_struct_begin(&w);
        tw_field_i32(&w, 1, rg->sorting_columns[i].column_idx);
        tw_field_bool(&w, 2, rg->sorting_columns[i].descending);
        tw_field_bool(&w, 3, rg->sorting_columns[i].nulls_first);
        tw_struct_end(&w);
      }
    }
    if (rg->has_file_offset) tw_field_i64(&w, 5, rg->file_offset);
    if (rg->has_total_compressed_size) tw_field_i64(&w, 6, rg->total_compressed_size);
    if (rg->has_ordinal) {
      tw_field(&w, 7, TC_I16);
      tw_i32(&w, rg->ordinal);
    }
    tw_struct_end(&w);
  }
  if (m->n_key_value_metadata) enc_kv_list(&w, 5, m->key_value_metadata, m->n_key_value_metadata);
  if (m->created_by) tw_field_string(&w, 6, m->created_by);
  if (m->n_column_orders) {
    tw_field_list_begin(&w, 7, TC_STRUCT, m->n_column_orders);
    for (int32_t i = 0; i < m->n_column_orders; i++) {
      tw_struct_begin(&w);
      tw_field_struct_begin(&w, 1); /* TYPE_ORDER: TypeDefinedOrder {} */
      tw_struct_end(&w);
      tw_struct_end(&w);
    }
  }
  tw_struct_end(&w);
  return finish(&w, err, "file metadata");
}

int pq_page_header_encode(const pq_page_header_t *h, buf_t *out, prestige_error_t *err) {
  thrift_writer_t w;
  tw_init(&w, out);
  tw_struct_begin(&w);
  tw_field_i32(&w, 1, h->type);
  tw_field_i32(&w, 2, h->uncompressed_page_size);
  tw_field_i32(&w, 3, h->compressed_page_size);
  if (h->has_crc) tw_field_i32(&w, 4, h->crc);
  if (h->data_page_header) {
    const pq_data_page_header_t *d = h->data_page_header;
    tw_field_struct_begin(&w, 5);
    tw_field_i32(&w, 1, d->num_values);
    tw_field_i32(&w, 2, d->encoding);
    tw_field_i32(&w, 3, d->definition_level_encoding);
    tw_field_i32(&w, 4, d->repetition_level_encoding);
    if (d->statistics) enc_statistics(&w, 5, d->statistics);
    tw_struct_end(&w);
  }
  if (h->dictionary_page_header) {
    const pq_dictionary_page_header_t *d = h->dictionary_page_header;
    tw_field_struct_begin(&w, 7);
    tw_field_i32(&w, 1, d->num_values);
    tw_field_i32(&w, 2, d->encoding);
    if (d->has_is_sorted) tw_field_bool(&w, 3, d->is_sorted);
    tw_struct_end(&w);
  }
  if (h->data_page_header_v2) {
    const pq_data_page_header_v2_t *d = h->data_page_header_v2;
    tw_field_struct_begin(&w, 8);
    tw_field_i32(&w, 1, d->num_values);
    tw_field_i32(&w, 2, d->num_nulls);
    tw_field_i32(&w, 3, d->num_rows);
    tw_field_i32(&w, 4, d->encoding);
    tw_field_i32(&w, 5, d->definition_levels_byte_length);
    tw_field_i32(&w, 6, d->repetition_levels_byte_length);
    tw_field_bool(&w, 7, d->is_compressed);
    if (d->statistics) enc_statistics(&w, 8, d->statistics);
    tw_struct_end(&w);
  }
  tw_struct_end(&w);
  return finish(&w, err, "page header");
}

int pq_column_index_encode(const pq_column_index_t *ci, buf_t *out, prestige_error_t *err) {
  thrift_writer_t w;
  tw_init(&w, out);
  tw_struct_begin(&w);
  tw_field_list_begin(&w, 1, TC_TRUE, ci->n_pages);
  for (int32_t i = 0; i < ci->n_pages; i++) tw_bool(&w, ci->null_pages[i]);
  tw_field_list_begin(&w, 2, TC_BINARY, ci->n_pages);
  for (int32_t i = 0; i < ci->n_pages; i++) tw_binary(&w, ci->min_values[i].ptr, ci->min_values[i].len);
  tw_field_list_begin(&w, 3, TC_BINARY, ci->n_pages);
  for (int32_t i = 0; i < ci->n_pages; i++) tw_binary(&w, ci->max_values[i].ptr, ci->max_values[i].len);
  tw_field_i32(&w, 4, ci->boundary_order);
  if (ci->null_counts) enc_i64_list(&w, 5, ci->null_counts, ci->n_pages);
  if (ci->repetition_level_histograms)
    enc_i64_list(&w, 6, ci->repetition_level_histograms, ci->n_repetition_level_histograms);
  if (ci->definition_level_histograms)
    enc_i64_list(&w, 7, ci->definition_level_histograms, ci->n_definition_level_histograms);
  if (ci->nan_counts) enc_i64_list(&w, 8, ci->nan_counts, ci->n_pages);
  tw_struct_end(&w);
  return finish(&w, err, "column index");
}

int pq_offset_index_encode(const pq_offset_index_t *oi, buf_t *out, prestige_error_t *err) {
  thrift_writer_t w;
  tw_init(&w, out);
  tw_struct_begin(&w);
  tw_field_list_begin(&w, 1, TC_STRUCT, oi->n_page_locations);
  for (int32_t i = 0; i < oi->n_page_locations; i++) {
    tw_struct_begin(&w);
    tw_field_i64(&w, 1, oi->page_locations[i].offset);
    tw_field_i32(&w, 2, oi->page_locations[i].compressed_page_size);
    tw_field_i64(&w, 3, oi->page_locations[i].first_row_index);
    tw_struct_end(&w);
  }
  if (oi->unencoded_byte_array_data_bytes)
    enc_i64_list(&w, 2, oi->unencoded_byte_array_data_bytes, oi->n_page_locations);
  tw_struct_end(&w);
  return finish(&w, err, "offset index");
}

/* ================================ decode ================================================= */
typedef struct dec {
  thrift_reader_t r;
  arena_t *arena;
} dec_t;

#define ARENA_N(d, ptr, n)                                                                          \
  do {                                                                                              \
    (ptr) = arena_calloc((d)->arena, (size_t)((n) ? (n) : 1), sizeof(*(ptr)));                      \
    if (!(ptr)) return prestige_error_set((d)->r.err, PRESTIGE_ENOMEM, "decoding %s: out of memory", (d)->r.what); \
  } while (0)

/* A known field id with an unexpected wire type is skipped, as Thrift-generated readers do
 * (some writers reused ids of optional fields). WANT returns 0 from the caller in that case. */
#define SKIPPED 1000
static int want(dec_t *d, uint8_t ft, uint8_t expected, const char *sname, int16_t fid) {
  (void)sname;
  (void)fid;
  bool ok = ft == expected || (expected == TC_TRUE && ft == TC_FALSE) || (expected == TC_SET && ft == TC_LIST) ||
            (expected == TC_LIST && ft == TC_SET);
  if (ok) return 0;
  PRESTIGE_TRY(tr_skip(&d->r, ft));
  return SKIPPED;
}
#define WANT(d, ft, expected, sname, fid)                        \
  do {                                                           \
    int want_rc_ = want((d), (ft), (expected), (sname), (fid));  \
    if (want_rc_) return want_rc_ == SKIPPED ? 0 : want_rc_;      \
  } while (0)

static int rd_i32(dec_t *d, uint8_t ft, const char *s, int16_t fid, int32_t *v) {
  WANT(d, ft, TC_I32, s, fid);
  return tr_i32(&d->r, v);
}
static int rd_i64(dec_t *d, uint8_t ft, const char *s, int16_t fid, int64_t *v) {
  WANT(d, ft, TC_I64, s, fid);
  return tr_i64(&d->r, v);
}
static int rd_bool(dec_t *d, uint8_t ft, const char *s, int16_t fid, bool *v) {
  WANT(d, ft, TC_TRUE, s, fid);
  *v = ft == TC_TRUE;
  return 0;
}
static int rd_bytes(dec_t *d, uint8_t ft, const char *s, int16_t fid, pq_bytes_t *v) {
  v->ptr = NULL;
  v->len = 0;
  WANT(d, ft, TC_BINARY, s, fid);
  return tr_binary(&d->r, &v->ptr, &v->len);
}
static int rd_string(dec_t *d, uint8_t ft, const char *s, int16_t fid, const char **v) {
  pq_bytes_t b;
  PRESTIGE_TRY(rd_bytes(d, ft, s, fid, &b));
  if (!b.ptr) return 0; /* skipped: wrong wire type */
  *v = arena_strndup(d->arena, (const char *)b.ptr, b.len);
  if (!*v) return prestige_error_set(d->r.err, PRESTIGE_ENOMEM, "decoding %s: out of memory", d->r.what);
  return 0;
}

static int rd_i64_list(dec_t *d, uint8_t ft, const char *s, int16_t fid, int64_t **v, int32_t *n) {
  WANT(d, ft, TC_LIST, s, fid);
  uint8_t et;
  PRESTIGE_TRY(tr_list_begin(&d->r, &et, n));
  if (et != TC_I64 && *n) return tr_bad_type(&d->r, s, fid, et);
  ARENA_N(d, *v, *n);
  for (int32_t i = 0; i < *n; i++) PRESTIGE_TRY(tr_i64(&d->r, &(*v)[i]));
  return 0;
}

/* Generic struct loop: calls field(d, fid, ft, ctx) for each field, skipping what it returns 1 for. */
typedef int (*field_fn)(dec_t *d, int16_t fid, uint8_t ft, void *ctx);
static int rd_struct(dec_t *d, field_fn fn, void *ctx) {
  PRESTIGE_TRY(tr_struct_begin(&d->r));
  for (;;) {
    int16_t fid = 0;
    uint8_t ft;
    PRESTIGE_TRY(tr_field(&d->r, &fid, &ft));
    if (ft == TC_STOP) break;
    int rc = fn(d, fid, ft, ctx);
    if (rc < 0) PRESTIGE_TRY(tr_skip(&d->r, ft));
    else if (rc > 0) return rc;
  }
  return tr_struct_end(&d->r);
}

/* Lists of structs: allocates *items (n of size sz) and decodes each with fn. */
static int rd_struct_list(dec_t *d, uint8_t ft, const char *s, int16_t fid, void **items, int32_t *n, size_t sz,
                          field_fn fn) {
  WANT(d, ft, TC_LIST, s, fid);
  uint8_t et;
  PRESTIGE_TRY(tr_list_begin(&d->r, &et, n));
  if (et != TC_STRUCT && *n) return tr_bad_type(&d->r, s, fid, et);
  uint8_t *arr = arena_calloc(d->arena, (size_t)(*n ? *n : 1), sz);
  if (!arr) return prestige_error_set(d->r.err, PRESTIGE_ENOMEM, "decoding %s: out of memory", d->r.what);
  for (int32_t i = 0; i < *n; i++) PRESTIGE_TRY(rd_struct(d, fn, arr + (size_t)i * sz));
  *items = arr;
  return 0;
}

static int f_statistics(dec_t *d, int16_t fid, uint8_t ft, void *ctx) {
  pq_statistics_t *s = ctx;
  const char *n = "Statistics";
  switch (fid) {
    case 1: s->has_max = true; return rd_bytes(d, ft, n, fid, &s->max);
    case 2: s->has_min = true; return rd_bytes(d, ft, n, fid, &s->min);
    case 3: s->has_null_count = true; return rd_i64(d, ft, n, fid, &s->null_count);
    case 4: s->has_distinct_count = true; return rd_i64(d, ft, n, fid, &s->distinct_count);
    case 5: s->has_max_value = true; return rd_bytes(d, ft, n, fid, &s->max_value);
    case 6: s->has_min_value = true; return rd_bytes(d, ft, n, fid, &s->min_value);
    case 7: s->has_is_max_value_exact = true; return rd_bool(d, ft, n, fid, &s->is_max_value_exact);
    case 8: s->has_is_min_value_exact = true; return rd_bool(d, ft, n, fid, &s->is_min_value_exact);
    case 9: s->has_nan_count = true; return rd_i64(d, ft, n, fid, &s->nan_count);
    default: return -1;
  }
}

static int rd_statistics(dec_t *d, uint8_t ft, int16_t fid, const char *s, pq_statistics_t **out) {
  WANT(d, ft, TC_STRUCT, s, fid);
  ARENA_N(d, *out, 1);
  return rd_struct(d, f_statistics, *out);
}

static int f_time_unit(dec_t *d, int16_t fid, uint8_t ft, void *ctx) {
  if (ft == TC_STRUCT && fid >= 1 && fid <= 3) *(int *)ctx = fid;
  return -1; /* skip the (empty) struct itself */
}

static int f_logical_member(dec_t *d, int16_t fid, uint8_t ft, void *ctx) {
  pq_logical_type_t *lt = ctx;
  const char *n = "LogicalType";
  switch (lt->kind) {
    case PQ_LT_DECIMAL:
      if (fid == 1) return rd_i32(d, ft, n, fid, &lt->scale);
      if (fid == 2) return rd_i32(d, ft, n, fid, &lt->precision);
      return -1;
    case PQ_LT_TIME:
    case PQ_LT_TIMESTAMP:
      if (fid == 1) return rd_bool(d, ft, n, fid, &lt->is_adjusted_to_utc);
      if (fid == 2) {
        WANT(d, ft, TC_STRUCT, n, fid);
        return rd_struct(d, f_time_unit, &lt->unit);
      }
      return -1;
    case PQ_LT_INTEGER:
      if (fid == 1) {
        WANT(d, ft, TC_BYTE, n, fid);
        return tr_byte(&d->r, &lt->bit_width);
      }
      if (fid == 2) return rd_bool(d, ft, n, fid, &lt->is_signed);
      return -1;
    default: return -1;
  }
}

static int f_logical(dec_t *d, int16_t fid, uint8_t ft, void *ctx) {
  pq_logical_type_t *lt = ctx;
  if (ft != TC_STRUCT) return -1;
  lt->kind = fid;
  return rd_struct(d, f_logical_member, lt);
}

static int f_schema_element(dec_t *d, int16_t fid, uint8_t ft, void *ctx) {
  pq_schema_element_t *e = ctx;
  const char *n = "SchemaElement";
  switch (fid) {
    case 1: e->has_type = true; return rd_i32(d, ft, n, fid, &e->type);
    case 2: e->has_type_length = true; return rd_i32(d, ft, n, fid, &e->type_length);
    case 3: e->has_repetition = true; return rd_i32(d, ft, n, fid, &e->repetition);
    case 4: return rd_string(d, ft, n, fid, &e->name);
    case 5: e->has_num_children = true; return rd_i32(d, ft, n, fid, &e->num_children);
    case 6: e->has_converted_type = true; return rd_i32(d, ft, n, fid, &e->converted_type);
    case 7: e->has_scale = true; return rd_i32(d, ft, n, fid, &e->scale);
    case 8: e->has_precision = true; return rd_i32(d, ft, n, fid, &e->precision);
    case 9: e->has_field_id = true; return rd_i32(d, ft, n, fid, &e->field_id);
    case 10:
      WANT(d, ft, TC_STRUCT, n, fid);
      ARENA_N(d, e->logical_type, 1);
      return rd_struct(d, f_logical, e->logical_type);
    default: return -1;
  }
}

static int f_key_value(dec_t *d, int16_t fid, uint8_t ft, void *ctx) {
  pq_key_value_t *kv = ctx;
  if (fid == 1) return rd_string(d, ft, "KeyValue", fid, &kv->key);
  if (fid == 2) {
    kv->has_value = true;
    return rd_bytes(d, ft, "KeyValue", fid, &kv->value);
  }
  return -1;
}

static int f_encoding_stats(dec_t *d, int16_t fid, uint8_t ft, void *ctx) {
  pq_page_encoding_stats_t *s = ctx;
  if (fid == 1) return rd_i32(d, ft, "PageEncodingStats", fid, &s->page_type);
  if (fid == 2) return rd_i32(d, ft, "PageEncodingStats", fid, &s->encoding);
  if (fid == 3) return rd_i32(d, ft, "PageEncodingStats", fid, &s->count);
  return -1;
}

static int f_size_statistics(dec_t *d, int16_t fid, uint8_t ft, void *ctx) {
  pq_size_statistics_t *s = ctx;
  const char *n = "SizeStatistics";
  if (fid == 1) {
    s->has_unencoded_byte_array_data_bytes = true;
    return rd_i64(d, ft, n, fid, &s->unencoded_byte_array_data_bytes);
  }
  if (fid == 2) return rd_i64_list(d, ft, n, fid, &s->repetition_level_histogram, &s->n_repetition_level_histogram);
  if (fid == 3) return rd_i64_list(d, ft, n, fid, &s->definition_level_histogram, &s->n_definition_level_histogram);
  return -1;
}

static int f_column_meta(dec_t *d, int16_t fid, uint8_t ft, void *ctx) {
  pq_column_meta_t *m = ctx;
  const char *n = "ColumnMetaData";
  switch (fid) {
    case 1: return rd_i32(d, ft, n, fid, &m->type);
    case 2: {
      WANT(d, ft, TC_LIST, n, fid);
      uint8_t et;
      PRESTIGE_TRY(tr_list_begin(&d->r, &et, &m->n_encodings));
      ARENA_N(d, m->encodings, m->n_encodings);
      for (int32_t i = 0; i < m->n_encodings; i++) PRESTIGE_TRY(tr_i32(&d->r, &m->encodings[i]));
      return 0;
    }
    case 3: {
      WANT(d, ft, TC_LIST, n, fid);
      uint8_t et;
      PRESTIGE_TRY(tr_list_begin(&d->r, &et, &m->n_path_in_schema));
      if (et != TC_BINARY && m->n_path_in_schema) return tr_bad_type(&d->r, n, fid, et);
      ARENA_N(d, m->path_in_schema, m->n_path_in_schema);
      for (int32_t i = 0; i < m->n_path_in_schema; i++) {
        const uint8_t *p;
        uint32_t len;
        PRESTIGE_TRY(tr_binary(&d->r, &p, &len));
        if (!(m->path_in_schema[i] = arena_strndup(d->arena, (const char *)p, len)))
          return prestige_error_set(d->r.err, PRESTIGE_ENOMEM, "decoding %s: out of memory", d->r.what);
      }
      return 0;
    }
    case 4: return rd_i32(d, ft, n, fid, &m->codec);
    case 5: return rd_i64(d, ft, n, fid, &m->num_values);
    case 6: return rd_i64(d, ft, n, fid, &m->total_uncompressed_size);
    case 7: return rd_i64(d, ft, n, fid, &m->total_compressed_size);
    case 8:
      return rd_struct_list(d, ft, n, fid, (void **)&m->key_value_metadata, &m->n_key_value_metadata,
                            sizeof(pq_key_value_t), f_key_value);
    case 9: return rd_i64(d, ft, n, fid, &m->data_page_offset);
    case 10: m->has_index_page_offset = true; return rd_i64(d, ft, n, fid, &m->index_page_offset);
    case 11: m->has_dictionary_page_offset = true; return rd_i64(d, ft, n, fid, &m->dictionary_page_offset);
    case 12: return rd_statistics(d, ft, fid, n, &m->statistics);
    case 13:
      return rd_struct_list(d, ft, n, fid, (void **)&m->encoding_stats, &m->n_encoding_stats,
                            sizeof(pq_page_encoding_stats_t), f_encoding_stats);
    case 14: m->has_bloom_filter_offset = true; return rd_i64(d, ft, n, fid, &m->bloom_filter_offset);
    case 15: m->has_bloom_filter_length = true; return rd_i32(d, ft, n, fid, &m->bloom_filter_length);
    case 16:
      WANT(d, ft, TC_STRUCT, n, fid);
      ARENA_N(d, m->size_statistics, 1);
      return rd_struct(d, f_size_statistics, m->size_statistics);
    default: return -1;
  }
}

static int f_column_chunk(dec_t *d, int16_t fid, uint8_t ft, void *ctx) {
  pq_column_chunk_t *c = ctx;
  const char *n = "ColumnChunk";
  switch (fid) {
    case 1: return rd_string(d, ft, n, fid, &c->file_path);
    case 2: return rd_i64(d, ft, n, fid, &c->file_offset);
    case 3:
      WANT(d, ft, TC_STRUCT, n, fid);
      ARENA_N(d, c->meta_data, 1);
      return rd_struct(d, f_column_meta, c->meta_data);
    case 4: c->has_offset_index = true; return rd_i64(d, ft, n, fid, &c->offset_index_offset);
    case 5: return rd_i32(d, ft, n, fid, &c->offset_index_length);
    case 6: c->has_column_index = true; return rd_i64(d, ft, n, fid, &c->column_index_offset);
    case 7: return rd_i32(d, ft, n, fid, &c->column_index_length);
    case 8: c->has_crypto_metadata = true; return -1;
    case 9: c->has_encrypted_column_metadata = true; return -1;
    default: return -1;
  }
}

static int f_sorting_column(dec_t *d, int16_t fid, uint8_t ft, void *ctx) {
  pq_sorting_column_t *s = ctx;
  if (fid == 1) return rd_i32(d, ft, "SortingColumn", fid, &s->column_idx);
  if (fid == 2) return rd_bool(d, ft, "SortingColumn", fid, &s->descending);
  if (fid == 3) return rd_bool(d, ft, "SortingColumn", fid, &s->nulls_first);
  return -1;
}

static int f_row_group(dec_t *d, int16_t fid, uint8_t ft, void *ctx) {
  pq_row_group_t *g = ctx;
  const char *n = "RowGroup";
  switch (fid) {
    case 1:
      return rd_struct_list(d, ft, n, fid, (void **)&g->columns, &g->n_columns, sizeof(pq_column_chunk_t),
                            f_column_chunk);
    case 2: return rd_i64(d, ft, n, fid, &g->total_byte_size);
    case 3: return rd_i64(d, ft, n, fid, &g->num_rows);
    case 4:
      return rd_struct_list(d, ft, n, fid, (void **)&g->sorting_columns, &g->n_sorting_columns,
                            sizeof(pq_sorting_column_t), f_sorting_column);
    case 5: g->has_file_offset = true; return rd_i64(d, ft, n, fid, &g->file_offset);
    case 6: g->has_total_compressed_size = true; return rd_i64(d, ft, n, fid, &g->total_compressed_size);
    case 7:
      g->has_ordinal = true;
      WANT(d, ft, TC_I16, n, fid);
      return tr_i16(&d->r, &g->ordinal);
    default: return -1;
  }
}

static int f_file_metadata(dec_t *d, int16_t fid, uint8_t ft, void *ctx) {
  pq_file_metadata_t *m = ctx;
  const char *n = "FileMetaData";
  switch (fid) {
    case 1: return rd_i32(d, ft, n, fid, &m->version);
    case 2:
      return rd_struct_list(d, ft, n, fid, (void **)&m->schema, &m->n_schema, sizeof(pq_schema_element_t),
                            f_schema_element);
    case 3: return rd_i64(d, ft, n, fid, &m->num_rows);
    case 4:
      return rd_struct_list(d, ft, n, fid, (void **)&m->row_groups, &m->n_row_groups, sizeof(pq_row_group_t),
                            f_row_group);
    case 5:
      return rd_struct_list(d, ft, n, fid, (void **)&m->key_value_metadata, &m->n_key_value_metadata,
                            sizeof(pq_key_value_t), f_key_value);
    case 6: return rd_string(d, ft, n, fid, &m->created_by);
    case 7: {
      WANT(d, ft, TC_LIST, n, fid);
      uint8_t et;
      PRESTIGE_TRY(tr_list_begin(&d->r, &et, &m->n_column_orders));
      for (int32_t i = 0; i < m->n_column_orders; i++) PRESTIGE_TRY(tr_skip(&d->r, et));
      return 0;
    }
    case 8: m->has_encryption_algorithm = true; return -1;
    case 9: m->has_footer_signing_key_metadata = true; return -1;
    default: return -1;
  }
}

int pq_file_metadata_decode(const uint8_t *data, size_t len, arena_t *arena, pq_file_metadata_t *m, prestige_error_t *err) {
  memset(m, 0, sizeof(*m));
  dec_t d = {.arena = arena};
  tr_init(&d.r, data, len, "file metadata", err);
  PRESTIGE_TRY(rd_struct(&d, f_file_metadata, m));
  if (m->n_schema == 0) return prestige_error_set(err, PRESTIGE_ECORRUPT, "corrupt file metadata: no schema");
  return 0;
}

static int f_data_page_header(dec_t *d, int16_t fid, uint8_t ft, void *ctx) {
  pq_data_page_header_t *h = ctx;
  const char *n = "DataPageHeader";
  switch (fid) {
    case 1: return rd_i32(d, ft, n, fid, &h->num_values);
    case 2: return rd_i32(d, ft, n, fid, &h->encoding);
    case 3: return rd_i32(d, ft, n, fid, &h->definition_level_encoding);
    case 4: return rd_i32(d, ft, n, fid, &h->repetition_level_encoding);
    case 5: return rd_statistics(d, ft, fid, n, &h->statistics);
    default: return -1;
  }
}

static int f_dictionary_page_header(dec_t *d, int16_t fid, uint8_t ft, void *ctx) {
  pq_dictionary_page_header_t *h = ctx;
  const char *n = "DictionaryPageHeader";
  switch (fid) {
    case 1: return rd_i32(d, ft, n, fid, &h->num_values);
    case 2: return rd_i32(d, ft, n, fid, &h->encoding);
    case 3: h->has_is_sorted = true; return rd_bool(d, ft, n, fid, &h->is_sorted);
    default: return -1;
  }
}

static int f_data_page_header_v2(dec_t *d, int16_t fid, uint8_t ft, void *ctx) {
  pq_data_page_header_v2_t *h = ctx;
  const char *n = "DataPageHeaderV2";
  switch (fid) {
    case 1: return rd_i32(d, ft, n, fid, &h->num_values);
    case 2: return rd_i32(d, ft, n, fid, &h->num_nulls);
    case 3: return rd_i32(d, ft, n, fid, &h->num_rows);
    case 4: return rd_i32(d, ft, n, fid, &h->encoding);
    case 5: return rd_i32(d, ft, n, fid, &h->definition_levels_byte_length);
    case 6: return rd_i32(d, ft, n, fid, &h->repetition_levels_byte_length);
    case 7: return rd_bool(d, ft, n, fid, &h->is_compressed);
    case 8: return rd_statistics(d, ft, fid, n, &h->statistics);
    default: return -1;
  }
}

static int f_page_header(dec_t *d, int16_t fid, uint8_t ft, void *ctx) {
  pq_page_header_t *h = ctx;
  const char *n = "PageHeader";
  switch (fid) {
    case 1: return rd_i32(d, ft, n, fid, &h->type);
    case 2: return rd_i32(d, ft, n, fid, &h->uncompressed_page_size);
    case 3: return rd_i32(d, ft, n, fid, &h->compressed_page_size);
    case 4: h->has_crc = true; return rd_i32(d, ft, n, fid, &h->crc);
    case 5:
      WANT(d, ft, TC_STRUCT, n, fid);
      ARENA_N(d, h->data_page_header, 1);
      return rd_struct(d, f_data_page_header, h->data_page_header);
    case 7:
      WANT(d, ft, TC_STRUCT, n, fid);
      ARENA_N(d, h->dictionary_page_header, 1);
      return rd_struct(d, f_dictionary_page_header, h->dictionary_page_header);
    case 8:
      WANT(d, ft, TC_STRUCT, n, fid);
      ARENA_N(d, h->data_page_header_v2, 1);
      h->data_page_header_v2->is_compressed = true;
      return rd_struct(d, f_data_page_header_v2, h->data_page_header_v2);
    default: return -1;
  }
}

int pq_page_header_decode(const uint8_t *data, size_t len, arena_t *arena, pq_page_header_t *h, size_t *consumed,
                          prestige_error_t *err) {
  memset(h, 0, sizeof(*h));
  dec_t d = {.arena = arena};
  tr_init(&d.r, data, len, "page header", err);
  PRESTIGE_TRY(rd_struct(&d, f_page_header, h));
  if (h->compressed_page_size < 0 || h->uncompressed_page_size < 0)
    return prestige_error_set(err, PRESTIGE_ECORRUPT, "corrupt page header: negative page size");
  *consumed = tr_offset(&d.r);
  return 0;
}

static int f_column_index(dec_t *d, int16_t fid, uint8_t ft, void *ctx) {
  pq_column_index_t *ci = ctx;
  const char *n = "ColumnIndex";
  uint8_t et;
  int32_t cnt;
  switch (fid) {
    case 1:
      WANT(d, ft, TC_LIST, n, fid);
      PRESTIGE_TRY(tr_list_begin(&d->r, &et, &cnt));
      ARENA_N(d, ci->null_pages, cnt);
      for (int32_t i = 0; i < cnt; i++) PRESTIGE_TRY(tr_bool_elem(&d->r, &ci->null_pages[i]));
      ci->n_pages = cnt;
      return 0;
    case 2:
    case 3: {
      WANT(d, ft, TC_LIST, n, fid);
      PRESTIGE_TRY(tr_list_begin(&d->r, &et, &cnt));
      pq_bytes_t *v;
      ARENA_N(d, v, cnt);
      for (int32_t i = 0; i < cnt; i++) PRESTIGE_TRY(tr_binary(&d->r, &v[i].ptr, &v[i].len));
      if (fid == 2) ci->min_values = v;
      else ci->max_values = v;
      if (cnt != ci->n_pages)
        return prestige_error_set(d->r.err, PRESTIGE_ECORRUPT, "corrupt column index: %d values for %d pages", cnt, ci->n_pages);
      return 0;
    }
    case 4: return rd_i32(d, ft, n, fid, &ci->boundary_order);
    case 5:
      PRESTIGE_TRY(rd_i64_list(d, ft, n, fid, &ci->null_counts, &cnt));
      if (cnt != ci->n_pages) ci->null_counts = NULL;
      return 0;
    case 6: return rd_i64_list(d, ft, n, fid, &ci->repetition_level_histograms, &ci->n_repetition_level_histograms);
    case 7: return rd_i64_list(d, ft, n, fid, &ci->definition_level_histograms, &ci->n_definition_level_histograms);
    case 8:
      PRESTIGE_TRY(rd_i64_list(d, ft, n, fid, &ci->nan_counts, &cnt));
      if (cnt != ci->n_pages) ci->nan_counts = NULL;
      return 0;
    default: return -1;
  }
}

int pq_column_index_decode(const uint8_t *data, size_t len, arena_t *arena, pq_column_index_t *ci, prestige_error_t *err) {
  memset(ci, 0, sizeof(*ci));
  dec_t d = {.arena = arena};
  tr_init(&d.r, data, len, "column index", err);
  PRESTIGE_TRY(rd_struct(&d, f_column_index, ci));
  if (ci->n_pages && (!ci->min_values || !ci->max_values))
    return prestige_error_set(err, PRESTIGE_ECORRUPT, "corrupt column index: min/max values missing");
  return 0;
}

static int f_page_location(dec_t *d, int16_t fid, uint8_t ft, void *ctx) {
  pq_page_location_t *p = ctx;
  if (fid == 1) return rd_i64(d, ft, "PageLocation", fid, &p->offset);
  if (fid == 2) return rd_i32(d, ft, "PageLocation", fid, &p->compressed_page_size);
  if (fid == 3) return rd_i64(d, ft, "PageLocation", fid, &p->first_row_index);
  return -1;
}

static int f_offset_index(dec_t *d, int16_t fid, uint8_t ft, void *ctx) {
  pq_offset_index_t *oi = ctx;
  if (fid == 1)
    return rd_struct_list(d, ft, "OffsetIndex", fid, (void **)&oi->page_locations, &oi->n_page_locations,
                          sizeof(pq_page_location_t), f_page_location);
  if (fid == 2) {
    int32_t cnt;
    PRESTIGE_TRY(rd_i64_list(d, ft, "OffsetIndex", fid, &oi->unencoded_byte_array_data_bytes, &cnt));
    if (cnt != oi->n_page_locations) oi->unencoded_byte_array_data_bytes = NULL;
    return 0;
  }
  return -1;
}

int pq_offset_index_decode(const uint8_t *data, size_t len, arena_t *arena, pq_offset_index_t *oi, prestige_error_t *err) {
  memset(oi, 0, sizeof(*oi));
  dec_t d = {.arena = arena};
  tr_init(&d.r, data, len, "offset index", err);
  return rd_struct(&d, f_offset_index, oi);
}

/* ================================ validation & names ====================================== */
static int count_leaves(const pq_file_metadata_t *m, int32_t *pos, int depth, int32_t *leaves, prestige_error_t *err) {
  if (*pos >= m->n_schema) return prestige_error_set(err, PRESTIGE_ECORRUPT, "corrupt schema: num_children runs past the end");
  if (depth > 64) return prestige_error_set(err, PRESTIGE_ECORRUPT, "corrupt schema: nested too deeply");
  const pq_schema_element_t *e = &m->schema[(*pos)++];
  if (!e->name) return prestige_error_set(err, PRESTIGE_ECORRUPT, "corrupt schema: element %d has no name", *pos - 1);
  if (e->has_num_children && e->num_children > 0) {
    if (e->num_children > m->n_schema) return prestige_error_set(err, PRESTIGE_ECORRUPT, "corrupt schema: bad num_children");
    for (int32_t i = 0; i < e->num_children; i++) PRESTIGE_TRY(count_leaves(m, pos, depth + 1, leaves, err));
  } else {
    if (depth > 0 && !e->has_type)
      return prestige_error_set(err, PRESTIGE_ECORRUPT, "corrupt schema: leaf \"%s\" has no type", e->name);
    if (depth > 0) (*leaves)++;
  }
  return 0;
}

int pq_file_metadata_validate(const pq_file_metadata_t *m, uint64_t file_size, prestige_error_t *err) {
  int32_t pos = 0, leaves = 0;
  PRESTIGE_TRY(count_leaves(m, &pos, 0, &leaves, err));
  if (pos != m->n_schema)
    return prestige_error_set(err, PRESTIGE_ECORRUPT, "corrupt schema: %d elements but the tree covers %d", m->n_schema, pos);
  if (m->num_rows < 0) return prestige_error_set(err, PRESTIGE_ECORRUPT, "corrupt file metadata: negative num_rows");
  for (int32_t g = 0; g < m->n_row_groups; g++) {
    const pq_row_group_t *rg = &m->row_groups[g];
    if (rg->n_columns != leaves)
      return prestige_error_set(err, PRESTIGE_ECORRUPT, "corrupt row group %d: %d column chunks for %d leaf columns", g,
                                rg->n_columns, leaves);
    if (rg->num_rows < 0) return prestige_error_set(err, PRESTIGE_ECORRUPT, "corrupt row group %d: negative num_rows", g);
    for (int32_t c = 0; c < rg->n_columns; c++) {
      const pq_column_chunk_t *cc = &rg->columns[c];
      const pq_column_meta_t *md = cc->meta_data;
      if (cc->has_crypto_metadata || cc->has_encrypted_column_metadata)
        return prestige_error_set(err, PRESTIGE_EUNSUPPORTED, "encrypted files are not supported (row group %d, column %d)", g, c);
      if (!md) return prestige_error_set(err, PRESTIGE_ECORRUPT, "corrupt row group %d: column %d has no metadata", g, c);
      if (cc->file_path) continue; /* data in another file: checked when opened */
      int64_t start = md->has_dictionary_page_offset && md->dictionary_page_offset > 0 &&
                              md->dictionary_page_offset < md->data_page_offset
                          ? md->dictionary_page_offset
                          : md->data_page_offset;
      if (start < 0 || md->total_compressed_size < 0 || md->num_values < 0 ||
          (uint64_t)start > file_size || (uint64_t)md->total_compressed_size > file_size - (uint64_t)start)
        return prestige_error_set(err, PRESTIGE_ECORRUPT,
                                  "corrupt row group %d, column %d: chunk at offset %lld, %lld bytes, lies outside the file (%llu bytes)",
                                  g, c, (long long)start, (long long)md->total_compressed_size, (unsigned long long)file_size);
    }
  }
  return 0;
}

const char *pq_converted_type_name(int32_t ct) {
  static const char *const n[] = {"UTF8", "MAP", "MAP_KEY_VALUE", "LIST", "ENUM", "DECIMAL", "DATE", "TIME_MILLIS",
                                  "TIME_MICROS", "TIMESTAMP_MILLIS", "TIMESTAMP_MICROS", "UINT_8", "UINT_16",
                                  "UINT_32", "UINT_64", "INT_8", "INT_16", "INT_32", "INT_64", "JSON", "BSON",
                                  "INTERVAL"};
  return ct >= 0 && ct < (int32_t)(sizeof(n) / sizeof(n[0])) ? n[ct] : "UNKNOWN";
}
const char *pq_repetition_name(int32_t r) {
  return r == PQ_REQUIRED ? "REQUIRED" : r == PQ_OPTIONAL ? "OPTIONAL" : r == PQ_REPEATED ? "REPEATED" : "UNKNOWN";
}
const char *pq_page_type_name(int32_t t) {
  static const char *const n[] = {"DATA_PAGE", "INDEX_PAGE", "DICTIONARY_PAGE", "DATA_PAGE_V2"};
  return t >= 0 && t < 4 ? n[t] : "UNKNOWN";
}

void pq_logical_type_format(const pq_logical_type_t *lt, char *out, size_t n) {
  static const char *const units[] = {"?", "MILLIS", "MICROS", "NANOS"};
  const char *u = lt->unit >= 1 && lt->unit <= 3 ? units[lt->unit] : "?";
  switch (lt->kind) {
    case PQ_LT_STRING: snprintf(out, n, "STRING"); break;
    case PQ_LT_MAP: snprintf(out, n, "MAP"); break;
    case PQ_LT_LIST: snprintf(out, n, "LIST"); break;
    case PQ_LT_ENUM: snprintf(out, n, "ENUM"); break;
    case PQ_LT_DECIMAL: snprintf(out, n, "DECIMAL(%d,%d)", lt->precision, lt->scale); break;
    case PQ_LT_DATE: snprintf(out, n, "DATE"); break;
    case PQ_LT_TIME: snprintf(out, n, "TIME(%s,%s)", u, lt->is_adjusted_to_utc ? "true" : "false"); break;
    case PQ_LT_TIMESTAMP: snprintf(out, n, "TIMESTAMP(%s,%s)", u, lt->is_adjusted_to_utc ? "true" : "false"); break;
    case PQ_LT_INTEGER: snprintf(out, n, "INTEGER(%d,%s)", lt->bit_width, lt->is_signed ? "true" : "false"); break;
    case PQ_LT_UNKNOWN: snprintf(out, n, "UNKNOWN"); break;
    case PQ_LT_JSON: snprintf(out, n, "JSON"); break;
    case PQ_LT_BSON: snprintf(out, n, "BSON"); break;
    case PQ_LT_UUID: snprintf(out, n, "UUID"); break;
    case PQ_LT_FLOAT16: snprintf(out, n, "FLOAT16"); break;
    case PQ_LT_VARIANT: snprintf(out, n, "VARIANT"); break;
    case PQ_LT_GEOMETRY: snprintf(out, n, "GEOMETRY"); break;
    case PQ_LT_GEOGRAPHY: snprintf(out, n, "GEOGRAPHY"); break;
    default: snprintf(out, n, "NONE"); break;
  }
}
