/*
 * Statistics bounds cut to a length limit: one rule for Parquet column statistics, the
 * Parquet writer's file summary and Iceberg's MetricsModes truncate(N).
 *
 * A lower bound is a prefix of the value (a prefix sorts at or before the value). An upper
 * bound is a prefix with its last unit incremented and everything after it dropped, the unit
 * being a byte for binary and a code point for UTF-8; when the last unit cannot be incremented
 * (0xFF, U+10FFFF) the one before it is, and so on leftwards. When no unit of the prefix can be
 * incremented there is no shorter upper bound (TRUNC_NONE): the caller keeps the exact value
 * (Parquet) or drops the bound (Iceberg).
 *
 * Both orders are unsigned byte order, which for valid UTF-8 is code point order.
 */
#ifndef PRESTIGE_CORE_TRUNCATE_H
#define PRESTIGE_CORE_TRUNCATE_H

#include <stddef.h>
#include <stdint.h>

typedef enum trunc_result {
  TRUNC_SAME = 0, /* the value fits the limit: it is its own bound, nothing written */
  TRUNC_CUT = 1,  /* a shorter bound was written to out */
  TRUNC_NONE = 2  /* the value is longer than the limit and no shorter upper bound exists */
} trunc_result_t;

/* ---- binary: the limit counts bytes ------------------------------------------------------ */
/* Length of the lower bound of a len-byte value: min(len, limit). */
static inline size_t trunc_lower_bytes(size_t len, size_t limit) { return len < limit ? len : limit; }
/* Upper bound of v no longer than limit bytes. out needs room for limit bytes. */
trunc_result_t trunc_upper_bytes(const uint8_t *v, size_t len, size_t limit, uint8_t *out, size_t *out_len);

/* ---- UTF-8: the limit counts code points (v is valid UTF-8) ------------------------------- */
/* Byte length of the first max_cp code points of v (the lower bound). */
size_t trunc_lower_utf8(const uint8_t *v, size_t len, size_t max_cp);
/* Upper bound of v no longer than max_cp code points; U+D7FF increments to U+E000 (skipping
 * the surrogates). out needs room for trunc_lower_utf8(v, len, max_cp) + 1 bytes (an
 * incremented code point may take one byte more). */
trunc_result_t trunc_upper_utf8(const uint8_t *v, size_t len, size_t max_cp, uint8_t *out, size_t *out_len);

/* Length of the longest prefix of p made of whole UTF-8 sequences (a byte-truncated bound may
 * end inside one). */
size_t trunc_utf8_whole(const uint8_t *p, size_t n);

#endif
