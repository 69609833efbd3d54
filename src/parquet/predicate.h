/* Predicate internals shared by the reader (pruning by row-group statistics). */
#ifndef PRESTIGE_PARQUET_PREDICATE_H
#define PRESTIGE_PARQUET_PREDICATE_H

#include "core/buf.h"
#include "parquet/metadata.h"
#include "prestige/parquet_reader.h"

typedef enum { PRED_EQ, PRED_NE, PRED_LT, PRED_LE, PRED_GT, PRED_GE, PRED_IN, PRED_IS_NULL, PRED_NOT_NULL, PRED_AND, PRED_OR } pred_op_t;

/* A top-level primitive column the predicate may refer to. */
typedef struct pred_column {
  const char *name;
  int32_t leaf; /* file column index */
  int32_t physical;
  bool is_unsigned, is_decimal, domain_differs;
} pred_column_t;

bool pred_may_match(const prestige_predicate_t *p, const pred_column_t *cols, int32_t n_cols, const pq_row_group_t *rg);

/* Whether p refers to the top-level column name. */
bool pred_uses_column(const prestige_predicate_t *p, const char *name);

/* Sorted, disjoint, non-adjacent [start, end) row ranges of one row group. */
typedef struct pq_row_range {
  int64_t start, end;
} pq_row_range_t;
typedef struct pq_row_ranges {
  pq_row_range_t *v;
  size_t n, cap;
} pq_row_ranges_t;
void pq_row_ranges_free(pq_row_ranges_t *r);
int64_t pq_row_ranges_count(const pq_row_ranges_t *r);

/* The page index of one column chunk (either part may be NULL). */
typedef struct pq_page_index {
  pq_column_index_t *ci;
  pq_offset_index_t *oi;
} pq_page_index_t;

/* The rows of a row group that may satisfy p, page by page from the column indexes (idx is by
 * file column index; columns without one select every row). */
int pred_row_ranges(const prestige_predicate_t *p, const pred_column_t *cols, int32_t n_cols, int32_t n_leaves,
                    const pq_page_index_t *idx, int64_t num_rows, pq_row_ranges_t *out);

#endif
