/*
 * Single values of a table's columns read out of record batches that have the table's Arrow
 * schema (ice_schema_to_arrow): what partition transforms and sort orders are computed from.
 *
 *   ice_col_path_t p;
 *   ice_col_path_find(schema, field_id, &p, &err);       // a column reachable through structs
 *   ice_value_t v;
 *   ice_col_value(&p, &batch, row, &v);                    // is_null when it or a parent is null
 */
#ifndef PRESTIGE_ICEBERG_ARROW_VALUE_H
#define PRESTIGE_ICEBERG_ARROW_VALUE_H

#include <stdbool.h>
#include <stdint.h>

#include "iceberg/types.h"
#include "iceberg/value.h"
#include "prestige/arrow.h"
#include "prestige/error.h"

#define ICE_COL_PATH_MAX 32

typedef struct ice_col_path {
  int32_t idx[ICE_COL_PATH_MAX]; /* child index at each struct level, from the batch down */
  int32_t depth;
  const ice_type_t *type; /* the column's type (borrowed from the schema) */
  int32_t field_id;
} ice_col_path_t;

/* EINVAL when the id is not in the schema or sits inside a list or map. */
int ice_col_path_find(const ice_schema_t *s, int32_t field_id, ice_col_path_t *out, prestige_error_t *err);
/* The value at row of a batch with the table's Arrow schema; views point into the batch. */
void ice_col_value(const ice_col_path_t *p, const struct ArrowArray *batch, int64_t row, ice_value_t *out);

#endif
