/*
 * Portable 64-bit Roaring bitmaps (the serialization the Iceberg spec names for deletion vectors,
 * "Deletion Vectors": a little-endian uint64 count of 32-bit bitmaps, then per bitmap its uint32
 * key (the high 32 bits) and the portable 32-bit Roaring format: cookie 12346 + container count,
 * or 12347 with the run-container flags; per container a uint16 key and cardinality - 1; offsets
 * when there are no runs or at least 4 containers; array, bitset and run containers).
 *
 *   int64_t *pos; size_t n;
 *   ice_roaring64_decode(bytes, len, "dv of x.parquet", &pos, &n, &err);  // sorted, unique
 *   buf_t out = BUF_INIT;
 *   ice_roaring64_encode(pos, n, &out, &err);   // containers as Java's runOptimize leaves them
 *
 * Every count and length is checked against what is left (ECORRUPT naming what and the offset).
 */
#ifndef PRESTIGE_ICEBERG_ROARING_H
#define PRESTIGE_ICEBERG_ROARING_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "prestige/error.h"

int ice_roaring64_decode(const uint8_t *p, size_t len, const char *what, int64_t **out, size_t *n, prestige_error_t *err);
/* pos: sorted ascending, unique, non-negative. */
int ice_roaring64_encode(const int64_t *pos, size_t n, buf_t *out, prestige_error_t *err);

#endif
