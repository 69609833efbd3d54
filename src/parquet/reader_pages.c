/* Parquet reader, page selection: the page indexes (column and offset indexes) of a row group's
 * chunks, and the rows of it a filter may match. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parquet/reader_internal.h"

/* Reads and decodes one page-index structure (column index or offset index) of a chunk. */
int rpages_read_index(prestige_parquet_reader_t *r, int64_t off, int32_t len, bool column_index, arena_t *a, void *out,
                      const char *where, prestige_error_t *err) {
  if (off < 4 || len <= 0 || (uint64_t)off + (uint64_t)len > r->size)
    return prestige_error_set(err, PRESTIGE_ECORRUPT, "%s: %s at %lld+%d lies outside the file", where,
                              column_index ? "column index" : "offset index", (long long)off, len);
  uint8_t *b = arena_alloc(a, (size_t)len);
  if (!b) return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
  PRESTIGE_TRY(rreader_read_at(r, (uint64_t)off, b, (size_t)len, err));
  int rc = column_index ? pq_column_index_decode(b, (size_t)len, a, out, err) : pq_offset_index_decode(b, (size_t)len, a, out, err);
  if (rc) return prestige_error_prefix(err, "%s: %s", where, column_index ? "column index" : "offset index");
  return 0;
}

/* An offset index usable for page selection: pages in file order inside the chunk, rows from 0
 * upwards inside the row group. */
bool rpages_offset_index_fits(const pq_offset_index_t *oi, int64_t start, int64_t len, int64_t num_rows) {
  if (oi->n_page_locations <= 0 || oi->page_locations[0].first_row_index != 0) return false;
  for (int32_t i = 0; i < oi->n_page_locations; i++) {
    const pq_page_location_t *l = &oi->page_locations[i];
    if (l->offset < start || l->offset >= start + len || l->first_row_index >= (num_rows > 0 ? num_rows : 1)) return false;
    if (i > 0 && (l->offset <= l[-1].offset || l->first_row_index <= l[-1].first_row_index)) return false;
  }
  return true;
}

/* The rows of row group g the filter may match, from the column indexes of the filter's columns;
 * *all when every row may (no index, or nothing pruned). */
int rpages_ranges(prestige_parquet_reader_t *r, const pq_row_group_t *rg, int32_t g, arena_t *a,
                       row_ranges_t *keep, bool *all, pq_page_index_t **idx_out, prestige_error_t *err) {
  *all = true;
  *idx_out = NULL;
  memset(keep, 0, sizeof(*keep));
  if (!r->fbound || !r->opts.use_page_index) return 0;
  int32_t nl = r->rs.n_leaves;
  pq_page_index_t *idx = arena_alloc(a, sizeof(*idx) * (size_t)(nl ? nl : 1));
  *idx_out = idx; /* the offset indexes read here serve page selection too */
  bool *use = arena_alloc(a, (size_t)(nl ? nl : 1));
  if (!idx || !use) return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
  memset(idx, 0, sizeof(*idx) * (size_t)(nl ? nl : 1));
  memset(use, 0, (size_t)(nl ? nl : 1));
  for (int64_t c = 0; c < r->fleaves.n; c++)
    if (r->fleaves.leaves[c]) use[r->fleaves.leaves[c]->leaf] = true;
  bool any = false;
  for (int32_t l = 0; l < nl && l < rg->n_columns; l++) {
    const pq_column_chunk_t *cc = &rg->columns[l];
    if (!use[l] || !cc->has_column_index || !cc->has_offset_index || !cc->meta_data) continue;
    char where[512];
    snprintf(where, sizeof(where), "%s: row group %d, column %s", r->in.name, g, r->rs.leaves[l]->name);
    pq_column_index_t *ci = arena_alloc(a, sizeof(*ci));
    pq_offset_index_t *oi = arena_alloc(a, sizeof(*oi));
    if (!ci || !oi) return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
    PRESTIGE_TRY(rpages_read_index(r, cc->column_index_offset, cc->column_index_length, true, a, ci, where, err));
    PRESTIGE_TRY(rpages_read_index(r, cc->offset_index_offset, cc->offset_index_length, false, a, oi, where, err));
    if (!rpages_offset_index_fits(oi, 0, INT64_MAX, rg->num_rows) || ci->n_pages != oi->n_page_locations) continue;
    idx[l].ci = ci;
    idx[l].oi = oi;
    any = true;
  }
  if (!any) return 0;
  if (pq_filter_page_ranges(r->fbound, &r->fleaves, idx, rg->n_columns < nl ? rg->n_columns : nl, rg->num_rows, keep))
    return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
  *all = row_ranges_count(keep) >= rg->num_rows;
  if (*all) row_ranges_free(keep);
  return 0;
}
