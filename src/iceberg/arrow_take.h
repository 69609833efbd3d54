/*
 * Gathers rows of several record batches, in any order, into one new batch (a "take" kernel):
 * appends sort a file's rows by the table's sort order and group rows by partition with it.
 * Every type a table schema maps to is handled (fixed width, booleans, strings/binary with 32-
 * or 64-bit offsets, fixed-size binary, structs, lists and maps nested to any depth).
 *
 *   ice_row_ref_t rows[] = {{1, 0}, {0, 5}};        // chunk 1 row 0, then chunk 0 row 5
 *   struct ArrowArray out;
 *   ice_arrow_take(&schema, chunks, 2, rows, 2, &out, &err);
 */
#ifndef PRESTIGE_ICEBERG_ARROW_TAKE_H
#define PRESTIGE_ICEBERG_ARROW_TAKE_H

#include <stddef.h>
#include <stdint.h>

#include "prestige/arrow.h"
#include "prestige/error.h"

typedef struct ice_row_ref {
  uint32_t chunk; /* index into chunks */
  int64_t row;    /* row of that batch (its offset not included) */
} ice_row_ref_t;

int ice_arrow_take(const struct ArrowSchema *schema, const struct ArrowArray *const *chunks, size_t n_chunks,
                   const ice_row_ref_t *rows, int64_t n, struct ArrowArray *out, prestige_error_t *err);

#endif
