/*
 * Record batches made to fit a table's Arrow schema: appends match the input's columns to the
 * table's by name, scans match a data file's columns to the table's by field id
 * (PARQUET:field_id), so a column renamed later still reads and a column added later reads as
 * null from older files.
 *
 *   ice_conform_t *c;
 *   ice_conform_plan(&table_arrow, &batch_schema, ICE_MATCH_BY_NAME, &c, &err);  // ETYPE naming the column
 *   ice_conform_apply(c, &batch, &out, &err);   // batch moved in; out has the table's schema
 *   ice_conform_free(c);
 *
 * Columns whose layout already fits move without a copy (the batch's child arrays are moved into
 * the result; decimal precision widening and time-zone changes are only a schema change). Others
 * are converted: integers of any width to int/long (narrowing and unsigned values checked row by
 * row), half/float to float/double, s/ms timestamps to µs (and anything coarser to ns), ns to µs
 * and date64 to date32 only when exact, time32 to time64(µs), large strings/binary/lists to
 * their 32-bit-offset forms; structs, lists and maps convert their children. A value that does
 * not fit is ETYPE naming the column and the row. Missing optional columns (and struct fields)
 * are null; with ICE_MATCH_BY_NAME a missing required column and an input column the table lacks
 * are ETYPE; with ICE_MATCH_BY_ID columns the table lacks are dropped and any column the input
 * lacks is null (the file predates it).
 */
#ifndef PRESTIGE_ICEBERG_ARROW_CONFORM_H
#define PRESTIGE_ICEBERG_ARROW_CONFORM_H

#include <stdbool.h>

#include "prestige/arrow.h"
#include "prestige/error.h"

typedef enum ice_match { ICE_MATCH_BY_NAME = 0, ICE_MATCH_BY_ID = 1 } ice_match_t;

typedef struct ice_conform ice_conform_t;

/* Both schemas are struct schemas (record batches); both are copied. what names the input in
 * messages (a file, "input"). */
int ice_conform_plan(const struct ArrowSchema *target, const struct ArrowSchema *source, ice_match_t match,
                     const char *what, ice_conform_t **out, prestige_error_t *err);
void ice_conform_free(ice_conform_t *c);
/* The target schema (owned by c). */
const struct ArrowSchema *ice_conform_schema(const ice_conform_t *c);
/* Takes ownership of *batch (released here, also on error); *out gets a batch of the target
 * schema with offset 0 and batch->length rows. */
int ice_conform_apply(const ice_conform_t *c, struct ArrowArray *batch, struct ArrowArray *out, prestige_error_t *err);

/* An array of n nulls of any type (nested too). */
int ice_arrow_nulls(const struct ArrowSchema *schema, int64_t n, struct ArrowArray *out, prestige_error_t *err);

#endif
