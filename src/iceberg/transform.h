/*
 * Iceberg partition transforms (spec "Partition Transforms", Appendix B): identity,
 * bucket[N], truncate[W], year, month, day, hour, void; unknown transform names are kept
 * (readers must ignore them, writers must refuse them). Implements the semantics of the
 * transform enum records.h declares.
 *
 *   ice_transform_t t;
 *   ice_transform_parse("bucket[16]", &t, &err);
 *   ice_type_t rt;
 *   ice_transform_result_type(&t, &source_type, &rt, &err);      // int
 *   ice_value_t out;
 *   ice_transform_apply(&t, &source_type, &in, &out, &err);      // (murmur3(x) & INT_MAX) % 16
 *   buf_t path = BUF_INIT;
 *   ice_transform_human(&t, &rt, &out, &path, &err);             // "3"
 */
#ifndef PRESTIGE_ICEBERG_TRANSFORM_H
#define PRESTIGE_ICEBERG_TRANSFORM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "iceberg/types.h"
#include "iceberg/value.h"
#include "prestige/error.h"
#include "prestige/records.h"

typedef enum ice_transform_kind {
  ICE_T_IDENTITY = 0,
  ICE_T_BUCKET,   /* param: number of buckets (> 0) */
  ICE_T_TRUNCATE, /* param: width (> 0) */
  ICE_T_YEAR,
  ICE_T_MONTH,
  ICE_T_DAY,
  ICE_T_HOUR,
  ICE_T_VOID,
  ICE_T_UNKNOWN   /* name kept in unknown_name */
} ice_transform_kind_t;

typedef struct ice_transform {
  ice_transform_kind_t kind;
  int32_t param;
  char unknown_name[64];
} ice_transform_t;

/* "identity", "bucket[16]", "truncate[4]", "year", ..., "void"; anything else is
 * ICE_T_UNKNOWN (names longer than 63 bytes: ECORRUPT). Bad parameters ("bucket[0]",
 * "bucket[x]"): ECORRUPT naming the transform. */
int ice_transform_parse(const char *s, ice_transform_t *out, prestige_error_t *err);
/* The canonical string ("bucket[16]"). */
const char *ice_transform_to_string(const ice_transform_t *t, char *buf, size_t n);
/* From the records.h annotation (PRESTIGE_PARTITION_NONE is not a transform: EINVAL). */
int ice_transform_from_record(prestige_partition_transform_t kind, int32_t param, ice_transform_t *out,
                              prestige_error_t *err);
bool ice_transform_equal(const ice_transform_t *a, const ice_transform_t *b);

/* Whether the transform accepts a source type (spec table "Partition Transforms"). */
bool ice_transform_can_apply(const ice_transform_t *t, const ice_type_t *source);
/* The result type: bucket/year/month/hour int, day date, identity/truncate/void the source
 * type. ETYPE naming the transform and type when it cannot apply; unknown: EUNSUPPORTED. */
int ice_transform_result_type(const ice_transform_t *t, const ice_type_t *source, ice_type_t *out,
                              prestige_error_t *err);
/* True for transforms whose result order follows the source order (identity, truncate,
 * year/month/day/hour): range predicates project through them. Bucket and void do not. */
bool ice_transform_preserves_order(const ice_transform_t *t);
/* Java's satisfiesOrderOf: data ordered by a is also ordered by b. */
bool ice_transform_satisfies_order_of(const ice_transform_t *a, const ice_transform_t *b);

/* Applies the transform to one value of the source type. Null in gives null out (void:
 * always null). Truncated strings/binary point into the input (no copy). */
int ice_transform_apply(const ice_transform_t *t, const ice_type_t *source, const ice_value_t *in, ice_value_t *out,
                        prestige_error_t *err);
/* The human string of a transformed value (Java's toHumanString): year "2024", month
 * "2024-01", day "2024-01-02", hour "2024-01-02-03", others as ice_value_human of the
 * result type. Appended to out. */
int ice_transform_human(const ice_transform_t *t, const ice_type_t *result_type, const ice_value_t *v, buf_t *out,
                        prestige_error_t *err);

/* ---- Murmur3 (Appendix B) ---------------------------------------------------------------- */
uint32_t ice_murmur3_32(const void *data, size_t len, uint32_t seed);
/* The spec's 32-bit hash of a value of a primitive type (int and date hashed as longs,
 * decimals as minimal big-endian bytes, uuid big-endian, timestamp_ns as micros (floor),
 * float/double canonicalized as doubles). Null: false returned. */
bool ice_hash_value(const ice_type_t *t, const ice_value_t *v, int32_t *hash);

/* ---- epoch arithmetic (floor, correct for negatives) -------------------------------------- */
int32_t ice_years_from_days(int32_t days);
int32_t ice_months_from_days(int32_t days);
int64_t ice_days_from_micros(int64_t micros);
int64_t ice_hours_from_micros(int64_t micros);

#endif
