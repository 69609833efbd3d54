/*
 * Partition specs and sort orders written as text (the CLI's --partition / --sort and the
 * public create options), bound to a schema by column name:
 *   partition: "day(ts),bucket(16,id),truncate(4,name),region"  (c = identity(c); also year,
 *              month, hour, void) named as Java's PartitionSpec.Builder names them: c, c_year,
 *              c_month, c_day, c_hour, c_bucket, c_trunc, c_null
 *   sort:      "ts desc, id asc nulls last, day(ts)"             (asc: nulls first; desc: nulls
 *              last, Java's defaults)
 * Column names are dotted for nested fields ("point.x"). Mistakes are EINVAL naming the term
 * (unknown transform, missing column, bad count); a transform that does not apply to the
 * column's type is ETYPE naming both.
 */
#ifndef PRESTIGE_ICEBERG_SPEC_TEXT_H
#define PRESTIGE_ICEBERG_SPEC_TEXT_H

#include "iceberg/partition.h"
#include "iceberg/types.h"
#include "prestige/error.h"

/* NULL or blank text: an unpartitioned spec (spec id 0). */
int ice_partition_spec_parse(const char *text, const ice_schema_t *schema, ice_partition_spec_t **out, prestige_error_t *err);
/* NULL or blank text: the unsorted order (id 0); otherwise order id 1. */
int ice_sort_order_parse(const char *text, const ice_schema_t *schema, ice_sort_order_t **out, prestige_error_t *err);

#endif
