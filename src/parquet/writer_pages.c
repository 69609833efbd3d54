/* Parquet writer pages: levels and values encoded into data pages (v1/v2), the page index entries,
 * and a finished column chunk with its dictionary page, statistics and page index. */
#include "parquet/thrift.h"
#include "parquet/writer_column_internal.h"

/* ---- pages ---------------------------------------------------------------------------------------- */
static int encode_levels(pqw_column_t *c, const buf_t *levels, int16_t max, bool prefix, buf_t *out) {
  size_t at = out->len;
  if (prefix && buf_append_le32(out, 0)) return PRESTIGE_ENOMEM;
  pq_rle_encoder_reset(c->rle, pq_bit_width((uint64_t)max));
  if (pq_rle_encoder_put_i16(c->rle, (const int16_t *)levels->data, levels->len / 2)) return PRESTIGE_ENOMEM;
  if (pq_rle_encoder_flush(c->rle, out)) return PRESTIGE_ENOMEM;
  if (prefix) store_le32(out->data + at, (uint32_t)(out->len - at - 4));
  return 0;
}

static int encode_values(pqw_column_t *c, buf_t *out, int *encoding, prestige_error_t *err) {
  const pqw_leaf_t *l = c->leaf;
  if (c->dict_on) {
    *encoding = PRESTIGE_ENCODING_RLE_DICTIONARY;
    int bw = pq_bit_width(c->dict_n > 1 ? c->dict_n - 1 : 1);
    if (buf_append_u8(out, (uint8_t)bw)) return pqw_oom(err, c);
    pq_rle_encoder_reset(c->rle, bw);
    if (pq_rle_encoder_put_u32(c->rle, (const uint32_t *)c->indices.data, c->indices.len / 4) ||
        pq_rle_encoder_flush(c->rle, out))
      return pqw_oom(err, c);
    return 0;
  }
  *encoding = l->encoding;
  size_t width = l->physical == PRESTIGE_PHYSICAL_INT32 || l->physical == PRESTIGE_PHYSICAL_FLOAT ? 4
                 : l->physical == PRESTIGE_PHYSICAL_FIXED_LEN_BYTE_ARRAY                           ? (size_t)l->type_length
                                                                                                    : 8;
  if (l->physical == PRESTIGE_PHYSICAL_BOOLEAN) {
    *encoding = PRESTIGE_ENCODING_PLAIN;
    size_t n = c->values.len, bytes = (n + 7) / 8;
    if (buf_reserve(out, bytes)) return pqw_oom(err, c);
    pq_plain_bool_encode(c->values.data, n, out->data + out->len);
    out->len += bytes;
    return 0;
  }
  switch (l->encoding) {
    case PRESTIGE_ENCODING_DELTA_BINARY_PACKED:
      if (l->physical == PRESTIGE_PHYSICAL_INT32)
        return pq_delta_binary_encode_i32((const int32_t *)c->values.data, c->values.len / 4, out, err);
      return pq_delta_binary_encode_i64((const int64_t *)c->values.data, c->values.len / 8, out, err);
    case PRESTIGE_ENCODING_BYTE_STREAM_SPLIT: {
      size_t n = c->values.len / width;
      if (buf_reserve(out, c->values.len)) return pqw_oom(err, c);
      pq_byte_stream_split_encode(c->values.data, n, (int)width, out->data + out->len);
      out->len += c->values.len;
      return 0;
    }
    case PRESTIGE_ENCODING_DELTA_LENGTH_BYTE_ARRAY:
    case PRESTIGE_ENCODING_DELTA_BYTE_ARRAY: {
      /* values hold PLAIN byte arrays (or fixed-width values): list them, then encode */
      size_t cap = 1024, n = 0;
      pq_byte_array_t *v = malloc(cap * sizeof(*v));
      if (!v) return pqw_oom(err, c);
      size_t pos = 0;
      while (pos < c->values.len) {
        if (n == cap) {
          pq_byte_array_t *g = realloc(v, cap * 2 * sizeof(*v));
          if (!g) {
            free(v);
            return pqw_oom(err, c);
          }
          v = g;
          cap *= 2;
        }
        if (l->physical == PRESTIGE_PHYSICAL_BYTE_ARRAY) {
          uint32_t len = load_le32(c->values.data + pos);
          v[n++] = (pq_byte_array_t){c->values.data + pos + 4, len};
          pos += 4 + len;
        } else {
          v[n++] = (pq_byte_array_t){c->values.data + pos, (uint32_t)width};
          pos += width;
        }
      }
      int rc = l->encoding == PRESTIGE_ENCODING_DELTA_LENGTH_BYTE_ARRAY ? pq_delta_length_encode(v, n, out, err)
                                                                        : pq_delta_byte_array_encode(v, n, out, err);
      free(v);
      return rc;
    }
    default:
      *encoding = PRESTIGE_ENCODING_PLAIN;
      if (buf_append(out, c->values.data, c->values.len)) return pqw_oom(err, c);
      return 0;
  }
}

static int add_page_entry(pqw_column_t *c, int64_t offset, int32_t size, prestige_error_t *err) {
  if (c->n_pages == c->cap_pages) {
    int32_t cap = c->cap_pages ? c->cap_pages * 2 : 16;
    pqw_page_entry_t *p = realloc(c->page_index, (size_t)cap * sizeof(*p));
    if (!p) return pqw_oom(err, c);
    c->page_index = p;
    c->cap_pages = cap;
  }
  pqw_page_entry_t *e = &c->page_index[c->n_pages++];
  memset(e, 0, sizeof(*e));
  e->offset = offset;
  e->size = size;
  e->first_row = c->page_first_row;
  e->null_count = c->page_stats.null_count;
  e->nan_count = c->page_stats.nan_count;
  e->null_page = !c->page_stats.has;
  if (c->page_stats.has) {
    const pqw_leaf_t *l = c->leaf;
    size_t limit = (size_t)c->opts->max_statistics_bytes;
    bool var = l->physical == PRESTIGE_PHYSICAL_BYTE_ARRAY;
    uint8_t tmp[1024];
    const uint8_t *mn, *mx;
    size_t mnl, mxl;
    bool ex;
    if (limit > sizeof(tmp)) limit = sizeof(tmp);
    pqw_stat_bound(c->page_stats.min.data, c->page_stats.min.len, var ? limit : SIZE_MAX, false, tmp, &mn, &mnl, &ex);
    e->min_off = (uint32_t)c->page_stat_bytes.len;
    e->min_len = (uint32_t)mnl;
    if (buf_append(&c->page_stat_bytes, mn, mnl)) return pqw_oom(err, c);
    pqw_stat_bound(c->page_stats.max.data, c->page_stats.max.len, var ? limit : SIZE_MAX, true, tmp, &mx, &mxl, &ex);
    e->max_off = (uint32_t)c->page_stat_bytes.len;
    e->max_len = (uint32_t)mxl;
    if (buf_append(&c->page_stat_bytes, mx, mxl)) return pqw_oom(err, c);
  }
  return 0;
}

static int flush_page(pqw_column_t *c, prestige_error_t *err) {
  if (c->page_levels == 0) return 0;
  const pqw_leaf_t *l = c->leaf;
  PRESTIGE_TRY(pqw_check_dictionary(c, err));
  bool v2 = c->opts->data_page_version == 2;
  buf_t *body = &c->scratch, *comp = &c->scratch2;
  buf_clear(body);
  buf_clear(comp);
  int encoding;
  size_t rep_len = 0, def_len = 0;
  if (l->max_rep > 0) {
    if (encode_levels(c, &c->rep, l->max_rep, !v2, body)) return pqw_oom(err, c);
    rep_len = body->len;
  }
  if (l->max_def > 0) {
    if (encode_levels(c, &c->def, l->max_def, !v2, body)) return pqw_oom(err, c);
    def_len = body->len - rep_len;
  }
  size_t levels_len = body->len;
  PRESTIGE_TRY(encode_values(c, body, &encoding, err));
  size_t uncompressed = body->len;
  if (!v2) {
    PRESTIGE_TRY(pq_compress(c->codec, l->codec, l->level, body->data, body->len, comp, err));
  } else {
    if (buf_append(comp, body->data, levels_len)) return pqw_oom(err, c);
    PRESTIGE_TRY(pq_compress(c->codec, l->codec, l->level, body->data + levels_len, body->len - levels_len, comp, err));
  }
  if (comp->len > INT32_MAX || uncompressed > INT32_MAX)
    return prestige_error_set(err, PRESTIGE_EINVAL, "column \"%s\": a page exceeds 2 GiB; lower data_page_bytes", l->path);
  pq_page_header_t h = {.type = v2 ? PQ_PAGE_DATA_V2 : PQ_PAGE_DATA,
                        .uncompressed_page_size = (int32_t)uncompressed,
                        .compressed_page_size = (int32_t)comp->len};
  pq_data_page_header_t d1 = {.num_values = (int32_t)c->page_levels, .encoding = encoding,
                              .definition_level_encoding = PRESTIGE_ENCODING_RLE,
                              .repetition_level_encoding = PRESTIGE_ENCODING_RLE};
  pq_data_page_header_v2_t d2 = {.num_values = (int32_t)c->page_levels, .num_nulls = (int32_t)c->page_nulls,
                                 .num_rows = (int32_t)c->page_rows, .encoding = encoding,
                                 .definition_levels_byte_length = (int32_t)def_len,
                                 .repetition_levels_byte_length = (int32_t)rep_len, .is_compressed = true};
  if (v2) h.data_page_header_v2 = &d2;
  else h.data_page_header = &d1;
  if (c->opts->page_checksums) {
    h.has_crc = true;
    h.crc = (int32_t)pq_crc32(comp->data, comp->len);
  }
  int64_t offset = (int64_t)c->pages.len;
  PRESTIGE_TRY(pq_page_header_encode(&h, &c->pages, err));
  size_t header_len = c->pages.len - (size_t)offset;
  if (buf_append(&c->pages, comp->data, comp->len)) return pqw_oom(err, c);
  PRESTIGE_TRY(add_page_entry(c, offset, (int32_t)(c->pages.len - (size_t)offset), err));
  c->chunk_uncompressed += (int64_t)(header_len + uncompressed);
  c->chunk_values += c->page_levels;
  if (encoding == PRESTIGE_ENCODING_RLE_DICTIONARY) c->used_dict = true;
  else c->used_plain = true;
  if (pqw_stats_merge(&c->chunk_stats, &c->page_stats, l)) return pqw_oom(err, c);
  c->page_first_row += c->page_rows;
  c->page_levels = c->page_rows = c->page_nulls = 0;
  buf_clear(&c->def);
  buf_clear(&c->rep);
  buf_clear(&c->values);
  buf_clear(&c->indices);
  pqw_stats_reset(&c->page_stats);
  pqw_page_seen_reset(c);
  return 0;
}

int pqw_column_maybe_flush_page(pqw_column_t *c, prestige_error_t *err) {
  /* a dictionary past its limit: finish this page with it, then continue in PLAIN */
  if (c->dict_on && (int64_t)c->dict.len > c->opts->dictionary_page_bytes) {
    PRESTIGE_TRY(flush_page(c, err));
    c->dict_on = false;
    c->dict_fell_back = true;
    return 0;
  }
  /* Pages hold at most 20,000 rows' levels (as Arrow C++ does): page statistics stay useful
   * and the dictionary is judged on a sample before it grows large. */
  if (c->page_levels >= 20000) return flush_page(c, err);
  int64_t est = (int64_t)(c->values.len + c->def.len / 4 + c->rep.len / 4);
  if (c->dict_on) est += (int64_t)(c->indices.len / 4) * (pq_bit_width(c->dict_n) + 1) / 8;
  if (est >= c->opts->data_page_bytes) return flush_page(c, err);
  return 0;
}

/* ---- chunk ------------------------------------------------------------------------------------------ */
static int write_out(prestige_output_t *out, const void *p, size_t n, prestige_error_t *err) {
  return out->write(out->ctx, p, n, err);
}

static int stat_copy(arena_t *a, pq_bytes_t *dst, const uint8_t *p, size_t n) {
  uint8_t *q = arena_alloc(a, n ? n : 1);
  if (!q) return PRESTIGE_ENOMEM;
  if (n) memcpy(q, p, n);
  dst->ptr = q;
  dst->len = (uint32_t)n;
  return 0;
}

int pqw_column_prepare_chunk(pqw_column_t *c, prestige_error_t *err) {
  const pqw_leaf_t *l = c->leaf;
  if (c->prepared) return 0;
  PRESTIGE_TRY(flush_page(c, err));
  if (c->used_dict) {
    buf_clear(&c->scratch2);
    PRESTIGE_TRY(pq_compress(c->codec, l->codec, l->level, c->dict.data, c->dict.len, &c->scratch2, err));
    pq_dictionary_page_header_t dh = {.num_values = (int32_t)c->dict_n, .encoding = PRESTIGE_ENCODING_PLAIN};
    pq_page_header_t h = {.type = PQ_PAGE_DICTIONARY, .uncompressed_page_size = (int32_t)c->dict.len,
                          .compressed_page_size = (int32_t)c->scratch2.len, .dictionary_page_header = &dh};
    if (c->opts->page_checksums) {
      h.has_crc = true;
      h.crc = (int32_t)pq_crc32(c->scratch2.data, c->scratch2.len);
    }
    buf_clear(&c->scratch);
    PRESTIGE_TRY(pq_page_header_encode(&h, &c->scratch, err));
    c->chunk_uncompressed += (int64_t)(c->scratch.len + c->dict.len);
  }
  c->prepared = true;
  return 0;
}

int pqw_column_finish_chunk(pqw_column_t *c, prestige_output_t *out, int64_t offset, arena_t *arena,
                            pqw_chunk_out_t *ch, prestige_error_t *err) {
  const pqw_leaf_t *l = c->leaf;
  PRESTIGE_TRY(pqw_column_prepare_chunk(c, err));
  c->prepared = false;
  memset(ch, 0, sizeof(*ch));
  pq_column_meta_t *m = &ch->meta;
  int64_t dict_size = 0;
  if (c->used_dict) { /* the dictionary page's header and compressed bytes, from prepare */
    PRESTIGE_TRY(write_out(out, c->scratch.data, c->scratch.len, err));
    PRESTIGE_TRY(write_out(out, c->scratch2.data, c->scratch2.len, err));
    dict_size = (int64_t)(c->scratch.len + c->scratch2.len);
  }
  PRESTIGE_TRY(write_out(out, c->pages.data, c->pages.len, err));
  m->type = l->physical;
  int32_t ne = 0;
  if (c->used_dict) ch->encodings[ne++] = PRESTIGE_ENCODING_PLAIN, ch->encodings[ne++] = PRESTIGE_ENCODING_RLE_DICTIONARY;
  if (c->used_plain) {
    int e = l->physical == PRESTIGE_PHYSICAL_BOOLEAN ? PRESTIGE_ENCODING_PLAIN : l->encoding;
    if (!(c->used_dict && e == PRESTIGE_ENCODING_PLAIN)) ch->encodings[ne++] = e;
  }
  ch->encodings[ne++] = PRESTIGE_ENCODING_RLE;
  m->encodings = ch->encodings;
  m->n_encodings = ne;
  m->path_in_schema = l->parts;
  m->n_path_in_schema = l->n_parts;
  m->codec = l->codec;
  m->num_values = c->chunk_values;
  m->total_uncompressed_size = c->chunk_uncompressed;
  m->total_compressed_size = dict_size + (int64_t)c->pages.len;
  m->data_page_offset = offset + dict_size;
  if (c->used_dict) {
    m->has_dictionary_page_offset = true;
    m->dictionary_page_offset = offset;
  }
  if (l->statistics) {
    pq_statistics_t *s = &ch->stats;
    s->has_null_count = true;
    s->null_count = c->chunk_stats.null_count;
    if (is_float_leaf(l)) { /* PARQUET-2249: without it readers must assume NaN may be present */
      s->has_nan_count = true;
      s->nan_count = c->chunk_stats.nan_count;
    }
    if (c->chunk_stats.has) {
      pqw_float_zero_sign(l, &c->chunk_stats.min, &c->chunk_stats.max);
      bool var = l->physical == PRESTIGE_PHYSICAL_BYTE_ARRAY;
      size_t limit = var ? (size_t)c->opts->max_statistics_bytes : SIZE_MAX;
      uint8_t tmp[1024];
      if (limit != SIZE_MAX && limit > sizeof(tmp)) limit = sizeof(tmp);
      const uint8_t *p;
      size_t n;
      bool exact;
      pqw_stat_bound(c->chunk_stats.min.data, c->chunk_stats.min.len, limit, false, tmp, &p, &n, &exact);
      if (stat_copy(arena, &s->min_value, p, n)) return pqw_oom(err, c);
      s->has_min_value = true;
      if (var) s->has_is_min_value_exact = true, s->is_min_value_exact = exact;
      pqw_stat_bound(c->chunk_stats.max.data, c->chunk_stats.max.len, limit, true, tmp, &p, &n, &exact);
      if (stat_copy(arena, &s->max_value, p, n)) return pqw_oom(err, c);
      s->has_max_value = true;
      if (var) s->has_is_max_value_exact = true, s->is_max_value_exact = exact;
    }
    m->statistics = s;
  }
  /* page index */
  if (c->opts->page_index && c->n_pages > 0) {
    pq_offset_index_t *oi = &ch->offset_index;
    oi->n_page_locations = c->n_pages;
    oi->page_locations = arena_calloc(arena, (size_t)c->n_pages, sizeof(pq_page_location_t));
    if (!oi->page_locations) return pqw_oom(err, c);
    for (int32_t p = 0; p < c->n_pages; p++)
      oi->page_locations[p] = (pq_page_location_t){offset + dict_size + c->page_index[p].offset, c->page_index[p].size,
                                                   c->page_index[p].first_row};
    bool usable = l->statistics;
    for (int32_t p = 0; p < c->n_pages && usable; p++)
      if (c->page_index[p].null_page && (c->page_index[p].null_count == 0 || c->page_index[p].nan_count > 0))
        usable = false; /* a page of NaN (and nulls) has no bounds, nor is it a null page; or an empty-list page */
    if (usable) {
      pq_column_index_t *ci = &ch->column_index;
      ci->n_pages = c->n_pages;
      ci->null_pages = arena_calloc(arena, (size_t)c->n_pages, sizeof(bool));
      ci->min_values = arena_calloc(arena, (size_t)c->n_pages, sizeof(pq_bytes_t));
      ci->max_values = arena_calloc(arena, (size_t)c->n_pages, sizeof(pq_bytes_t));
      ci->null_counts = arena_calloc(arena, (size_t)c->n_pages, sizeof(int64_t));
      if (!ci->null_pages || !ci->min_values || !ci->max_values || !ci->null_counts) return pqw_oom(err, c);
      if (is_float_leaf(l)) {
        ci->nan_counts = arena_calloc(arena, (size_t)c->n_pages, sizeof(int64_t));
        if (!ci->nan_counts) return pqw_oom(err, c);
        for (int32_t p = 0; p < c->n_pages; p++) ci->nan_counts[p] = c->page_index[p].nan_count;
      }
      bool asc = true, desc = true;
      int32_t prev = -1;
      for (int32_t p = 0; p < c->n_pages; p++) {
        const pqw_page_entry_t *e = &c->page_index[p];
        ci->null_pages[p] = e->null_page;
        ci->null_counts[p] = e->null_count;
        if (e->null_page) continue;
        if (stat_copy(arena, &ci->min_values[p], c->page_stat_bytes.data + e->min_off, e->min_len) ||
            stat_copy(arena, &ci->max_values[p], c->page_stat_bytes.data + e->max_off, e->max_len))
          return pqw_oom(err, c);
        if (prev >= 0) {
          const pqw_page_entry_t *q = &c->page_index[prev];
          const uint8_t *sb = c->page_stat_bytes.data;
          if (pqw_compare(l->sort, l->physical, sb + e->min_off, e->min_len, sb + q->min_off, q->min_len) < 0 ||
              pqw_compare(l->sort, l->physical, sb + e->max_off, e->max_len, sb + q->max_off, q->max_len) < 0)
            asc = false;
          if (pqw_compare(l->sort, l->physical, sb + e->min_off, e->min_len, sb + q->min_off, q->min_len) > 0 ||
              pqw_compare(l->sort, l->physical, sb + e->max_off, e->max_len, sb + q->max_off, q->max_len) > 0)
            desc = false;
        }
        prev = p;
      }
      ci->boundary_order = asc ? PQ_BOUNDARY_ASCENDING : desc ? PQ_BOUNDARY_DESCENDING : PQ_BOUNDARY_UNORDERED;
    }
  }
  /* file-wide summary */
  c->file_values += c->chunk_values;
  c->file_compressed += m->total_compressed_size;
  c->file_uncompressed += m->total_uncompressed_size;
  if (pqw_stats_merge(&c->file_stats, &c->chunk_stats, l)) return pqw_oom(err, c);
  /* reset for the next row group */
  buf_clear(&c->pages);
  buf_clear(&c->page_stat_bytes);
  c->n_pages = 0;
  c->chunk_values = c->chunk_uncompressed = 0;
  c->page_first_row = 0;
  pqw_stats_reset(&c->chunk_stats);
  pqw_dict_reset(c);
  c->dict_on = l->dictionary;
  c->dict_fell_back = false;
  c->used_dict = c->used_plain = false;
  return 0;
}
