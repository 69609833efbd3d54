/*
 * Runs of rows that share a partition, found without transforming every row.
 *
 * An append assigns each row of a batch to a partition: transform the source values, build the
 * tuple's key, hash it, look it up. Event streams arrive in long runs of one partition (a day of
 * timestamps, one tenant), so that work is wasted on almost every row. For an anchor row, this
 * module finds how far the rows after it are sure to have the anchor's partition tuple:
 *
 *   - a source column of integers, dates, times or timestamps, under identity, truncate, year,
 *     month, day or hour: the exact interval of source values the transform maps to the anchor's
 *     result (a day of microseconds, a calendar month of days, a multiple of the truncate width),
 *     so a run ends exactly where the partition value changes;
 *   - any other column or transform (bucket, strings, decimals, ...): values equal to the
 *     anchor's, bit for bit (a transform is a function of its input, so equal inputs give equal
 *     results; unequal ones are left to the caller's full computation);
 *   - void: never ends a run. Null ends a run that began non-null, and the reverse.
 *
 * Exact by construction: every row inside a run has the anchor's partition tuple; a run may end
 * early (at a bucket or string change that maps to the same value), never late.
 *
 *   ice_part_runs_t *r;
 *   ice_part_runs_new(spec, cols, &r, &err);       // cols: the source column of each spec field
 *   for (int64_t i = 0; i < n;) {
 *     ... full computation of row i's partition p ...
 *     int64_t end = ice_part_runs_extent(r, &batch, i, n);  // rows [i, end) are all in p
 *     i = end;
 *   }
 */
#ifndef PRESTIGE_ICEBERG_PARTITION_RUNS_H
#define PRESTIGE_ICEBERG_PARTITION_RUNS_H

#include <stdint.h>

#include "iceberg/arrow_value.h"
#include "iceberg/partition.h"

typedef struct ice_part_runs ice_part_runs_t;

/* cols[i] is the source column of spec->fields[i] (borrowed until free). */
int ice_part_runs_new(const ice_partition_spec_t *spec, const ice_col_path_t *cols, ice_part_runs_t **out,
                      prestige_error_t *err);
/* The first row after anchor (anchor < end <= n) that may have another partition tuple than the
 * anchor; n when every row up to n is sure to share it. batch has the table's Arrow schema. */
int64_t ice_part_runs_extent(ice_part_runs_t *r, const struct ArrowArray *batch, int64_t anchor, int64_t n);
void ice_part_runs_free(ice_part_runs_t *r);

#endif
