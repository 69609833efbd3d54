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

#endif
