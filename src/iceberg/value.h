/*
 * Iceberg literal values of primitive types, their single-value serializations (Appendix D:
 * the binary form used for manifest bounds and partition summaries, the JSON form used by V3
 * defaults and partition statistics), ordering, human-readable strings, and the truncated
 * bounds Java's MetricsModes truncate(N) writes.
 *
 * A value is a view: strings, binary and fixed values point at bytes owned by someone else
 * (the input, or a buf_t the caller passes to the functions that make new bytes).
 *
 *   ice_value_t v = ice_value_long(34);
 *   buf_t b = BUF_INIT;
 *   ice_value_to_bytes(&ice_long_type, &v, &b, &err);          // 22 00 00 00 00 00 00 00
 *   ice_value_t back;
 *   ice_value_from_bytes(&ice_long_type, b.data, b.len, &back, &err);
 *   ice_value_t s = ice_value_string("iceberg-table-name-longer-than-16", 33);
 *   bool has_upper;
 *   ice_bound_upper(&string_type, &s, 16, &b, &s_upper, &has_upper);  // "iceberg-table-nb"
 */
#ifndef PRESTIGE_ICEBERG_VALUE_H
#define PRESTIGE_ICEBERG_VALUE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/buf.h"
#include "iceberg/types.h"
#include "prestige/error.h"

typedef struct ice_value {
  bool is_null;
  union {
    bool b;
    int32_t i32;   /* INT, DATE */
    int64_t i64;   /* LONG, TIME, TIMESTAMP, TIMESTAMPTZ, TIMESTAMP_NS, TIMESTAMPTZ_NS */
    float f32;
    double f64;
    uint8_t uuid[16]; /* big-endian, as written */
  } v;
  __int128 dec;        /* DECIMAL: unscaled value */
  const uint8_t *ptr;  /* STRING (UTF-8), BINARY, FIXED */
  size_t len;
} ice_value_t;

static inline ice_value_t ice_value_null(void) {
  ice_value_t v = {.is_null = true};
  return v;
}
static inline ice_value_t ice_value_bool(bool b) {
  ice_value_t v = {.v.b = b};
  return v;
}
static inline ice_value_t ice_value_int(int32_t x) {
  ice_value_t v = {.v.i32 = x};
  return v;
}
static inline ice_value_t ice_value_long(int64_t x) {
  ice_value_t v = {.v.i64 = x};
  return v;
}
static inline ice_value_t ice_value_float(float x) {
  ice_value_t v = {.v.f32 = x};
  return v;
}
static inline ice_value_t ice_value_double(double x) {
  ice_value_t v = {.v.f64 = x};
  return v;
}
static inline ice_value_t ice_value_decimal(__int128 unscaled) {
  ice_value_t v = {.dec = unscaled};
  return v;
}
static inline ice_value_t ice_value_bytes(const void *p, size_t n) {
  ice_value_t v = {.ptr = (const uint8_t *)p, .len = n};
  return v;
}

/* ---- binary single-value serialization (Appendix D) ----------------------------------- */
/* Appends the serialized value to out (cleared first). Nested types: EUNSUPPORTED. */
int ice_value_to_bytes(const ice_type_t *t, const ice_value_t *v, buf_t *out, prestige_error_t *err);
/* Reads a serialized value. Accepts the narrower forms a promoted type may find (spec
 * "Schema Evolution": 4 bytes for long → int, double → float, timestamp(_ns) → date).
 * Strings must be valid UTF-8; lengths are checked. ECORRUPT naming the type on bad input. */
int ice_value_from_bytes(const ice_type_t *t, const uint8_t *p, size_t n, ice_value_t *out, prestige_error_t *err);

/* ---- JSON single-value serialization ---------------------------------------------------- */
/* Primitive value → JSON (NULL on ENOMEM; json null for a null value). */
json_t *ice_value_to_json(const ice_type_t *t, const ice_value_t *v);
/* JSON → primitive value. storage receives decoded bytes for binary/fixed (v points into
 * it, so keep storage alive and unchanged); strings point into j. ECORRUPT naming the type. */
int ice_value_from_json(const ice_type_t *t, const json_t *j, buf_t *storage, ice_value_t *out, prestige_error_t *err);
/* Validates a JSON default of any type, nested ones included (struct by field id, list as
 * array, map as {"keys":[...],"values":[...]}). path names the column. */
int ice_value_check_json(const ice_type_t *t, const json_t *j, const char *path, prestige_error_t *err);

/* ---- strings ----------------------------------------------------------------------------- */
/* The string Java's Transform.toHumanString gives a value of this type (identity partition
 * paths): ints as decimal, dates "2024-01-02", times as LocalTime.toString, timestamps ISO
 * ("...+00:00" with zone), binary/fixed base64, uuid lowercase, decimals BigDecimal.toString.
 * Appended to out (not cleared); "null" for null. */
int ice_value_human(const ice_type_t *t, const ice_value_t *v, buf_t *out, prestige_error_t *err);
/* Decimal text of an unscaled value with scale digits after the point ("14.20"). */
int ice_decimal_format(__int128 unscaled, int32_t scale, char *out, size_t n);
/* Parses "-14.20" / "2E+20" with the given scale; EINVAL/ECORRUPT when the scale differs. */
bool ice_decimal_parse(const char *s, int32_t scale, __int128 *out);
/* Minimal two's-complement big-endian bytes of an unscaled decimal (Java's
 * BigInteger.toByteArray); returns the length (1..16), bytes in out[16]. */
size_t ice_decimal_min_bytes(__int128 v, uint8_t out[16]);

/* ---- ordering ---------------------------------------------------------------------------- */
/* <0, 0, >0 in Iceberg's order for the type: floats as Java compares them (-0.0 < 0.0, NaN
 * last), strings by UTF-8 bytes unsigned (= code point order), binary, fixed and uuid as
 * unsigned bytes. Nulls first. */
int ice_value_compare(const ice_type_t *t, const ice_value_t *a, const ice_value_t *b);

/* ---- bounds truncation (MetricsModes truncate(N)) ---------------------------------------- */
/* Lower bound: the first n code points of a string / n bytes of binary (a view, no copy);
 * other types unchanged. */
ice_value_t ice_bound_lower(const ice_type_t *t, const ice_value_t *v, int32_t n);
/* Upper bound: the value itself when it is no longer than n; otherwise the n-prefix with
 * its last code point (string, skipping the surrogate range U+D800..DFFF) or byte (binary)
 * incremented, carrying leftwards; *has_upper false when no increment is possible (all
 * U+10FFFF / all 0xFF). New bytes go into storage. */
int ice_bound_upper(const ice_type_t *t, const ice_value_t *v, int32_t n, buf_t *storage, ice_value_t *out,
                    bool *has_upper, prestige_error_t *err);

/* ---- UTF-8 helpers ------------------------------------------------------------------------ */
bool ice_utf8_valid(const uint8_t *p, size_t n);
/* Byte length of the first max_code_points code points of valid UTF-8. */
size_t ice_utf8_prefix(const uint8_t *p, size_t n, size_t max_code_points);

/* ---- uuid text --------------------------------------------------------------------------- */
void ice_uuid_format(const uint8_t u[16], char out[37]);
bool ice_uuid_parse(const char *s, uint8_t out[16]);

#endif
