/* Iceberg partition transforms and the spec's Murmur3 hashing (Appendix B). */
#include "iceberg/transform.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/calendar.h"

/* ---- names ----------------------------------------------------------------------------------- */
static const char *const kind_names[] = {"identity", "bucket", "truncate", "year", "month", "day", "hour", "void"};

int ice_transform_parse(const char *s, ice_transform_t *out, prestige_error_t *err) {
  memset(out, 0, sizeof(*out));
  for (int k = ICE_T_IDENTITY; k <= ICE_T_VOID; k++) {
    if (k == ICE_T_BUCKET || k == ICE_T_TRUNCATE) continue;
    if (!strcmp(s, kind_names[k])) {
      out->kind = (ice_transform_kind_t)k;
      return 0;
    }
  }
  for (int k = ICE_T_BUCKET; k <= ICE_T_TRUNCATE; k++) {
    size_t n = strlen(kind_names[k]);
    if (!strncmp(s, kind_names[k], n) && s[n] == '[') {
      char *end;
      long v = strtol(s + n + 1, &end, 10);
      if (end == s + n + 1 || strcmp(end, "]") || v <= 0 || v > INT32_MAX)
        return prestige_error_set(err, PRESTIGE_ECORRUPT, "bad transform \"%s\": %s needs a positive integer parameter", s,
                                  kind_names[k]);
      out->kind = (ice_transform_kind_t)k;
      out->param = (int32_t)v;
      return 0;
    }
  }
  if (strlen(s) >= sizeof(out->unknown_name))
    return prestige_error_set(err, PRESTIGE_ECORRUPT, "unknown transform \"%.60s...\" (name too long)", s);
  out->kind = ICE_T_UNKNOWN;
  strcpy(out->unknown_name, s);
  return 0;
}

const char *ice_transform_to_string(const ice_transform_t *t, char *buf, size_t n) {
  if (t->kind == ICE_T_UNKNOWN) snprintf(buf, n, "%s", t->unknown_name);
  else if (t->kind == ICE_T_BUCKET || t->kind == ICE_T_TRUNCATE) snprintf(buf, n, "%s[%d]", kind_names[t->kind], t->param);
  else snprintf(buf, n, "%s", kind_names[t->kind]);
  return buf;
}

int ice_transform_from_record(prestige_partition_transform_t kind, int32_t param, ice_transform_t *out,
                              prestige_error_t *err) {
  memset(out, 0, sizeof(*out));
  switch (kind) {
    case PRESTIGE_PARTITION_IDENTITY: out->kind = ICE_T_IDENTITY; return 0;
    case PRESTIGE_PARTITION_YEAR: out->kind = ICE_T_YEAR; return 0;
    case PRESTIGE_PARTITION_MONTH: out->kind = ICE_T_MONTH; return 0;
    case PRESTIGE_PARTITION_DAY: out->kind = ICE_T_DAY; return 0;
    case PRESTIGE_PARTITION_HOUR: out->kind = ICE_T_HOUR; return 0;
    case PRESTIGE_PARTITION_BUCKET:
    case PRESTIGE_PARTITION_TRUNCATE:
      if (param <= 0)
        return prestige_error_set(err, PRESTIGE_EINVAL, "%s partition needs a positive parameter, not %d",
                                  kind == PRESTIGE_PARTITION_BUCKET ? "bucket" : "truncate", param);
      out->kind = kind == PRESTIGE_PARTITION_BUCKET ? ICE_T_BUCKET : ICE_T_TRUNCATE;
      out->param = param;
      return 0;
    default: return prestige_error_set(err, PRESTIGE_EINVAL, "no partition transform (%d)", (int)kind);
  }
}

bool ice_transform_equal(const ice_transform_t *a, const ice_transform_t *b) {
  if (a->kind != b->kind) return false;
  if (a->kind == ICE_T_UNKNOWN) return !strcmp(a->unknown_name, b->unknown_name);
  return a->param == b->param;
}

/* ---- typing ------------------------------------------------------------------------------------ */
static bool is_timestamp(ice_type_id_t id) {
  return id == ICE_TIMESTAMP || id == ICE_TIMESTAMPTZ || id == ICE_TIMESTAMP_NS || id == ICE_TIMESTAMPTZ_NS;
}

bool ice_transform_can_apply(const ice_transform_t *t, const ice_type_t *src) {
  ice_type_id_t id = src->id;
  switch (t->kind) {
    case ICE_T_IDENTITY: return ice_type_is_primitive(id);
    case ICE_T_VOID: return true;
    case ICE_T_BUCKET:
      return id == ICE_INT || id == ICE_LONG || id == ICE_DECIMAL || id == ICE_DATE || id == ICE_TIME || is_timestamp(id) ||
             id == ICE_STRING || id == ICE_UUID || id == ICE_FIXED || id == ICE_BINARY;
    case ICE_T_TRUNCATE: return id == ICE_INT || id == ICE_LONG || id == ICE_DECIMAL || id == ICE_STRING || id == ICE_BINARY;
    case ICE_T_YEAR:
    case ICE_T_MONTH:
    case ICE_T_DAY: return id == ICE_DATE || is_timestamp(id);
    case ICE_T_HOUR: return is_timestamp(id);
    default: return false;
  }
}

int ice_transform_result_type(const ice_transform_t *t, const ice_type_t *src, ice_type_t *out, prestige_error_t *err) {
  char tb[64], sb[64];
  if (t->kind == ICE_T_UNKNOWN)
    return prestige_error_set(err, PRESTIGE_EUNSUPPORTED, "unknown transform \"%s\"", t->unknown_name);
  if (!ice_transform_can_apply(t, src))
    return prestige_error_set(err, PRESTIGE_ETYPE, "transform %s cannot apply to %s", ice_transform_to_string(t, tb, sizeof tb),
                              ice_type_to_string(src, sb, sizeof sb));
  switch (t->kind) {
    case ICE_T_BUCKET:
    case ICE_T_YEAR:
    case ICE_T_MONTH:
    case ICE_T_HOUR: *out = ice_type_prim(ICE_INT, 0, 0); break;
    case ICE_T_DAY: *out = ice_type_prim(ICE_DATE, 0, 0); break;
    default:
      *out = *src;
      out->fields = NULL, out->n_fields = 0;
  }
  return 0;
}

bool ice_transform_preserves_order(const ice_transform_t *t) {
  return t->kind == ICE_T_IDENTITY || t->kind == ICE_T_TRUNCATE || t->kind == ICE_T_YEAR || t->kind == ICE_T_MONTH ||
         t->kind == ICE_T_DAY || t->kind == ICE_T_HOUR;
}

static int granularity_hours(ice_transform_kind_t k) {
  switch (k) {
    case ICE_T_HOUR: return 1;
    case ICE_T_DAY: return 24;
    case ICE_T_MONTH: return 24 * 31;
    case ICE_T_YEAR: return 24 * 366;
    default: return 0;
  }
}

bool ice_transform_satisfies_order_of(const ice_transform_t *a, const ice_transform_t *b) {
  if (ice_transform_equal(a, b)) return true;
  if (a->kind == ICE_T_IDENTITY) return ice_transform_preserves_order(b);
  if (granularity_hours(a->kind) && granularity_hours(b->kind))
    return granularity_hours(a->kind) <= granularity_hours(b->kind);
  /* truncate[W] orders truncate[V] when the prefix/multiple of V is determined by W's */
  if (a->kind == ICE_T_TRUNCATE && b->kind == ICE_T_TRUNCATE) return a->param >= b->param && a->param % b->param == 0;
  return false;
}

/* ---- Murmur3 x86_32 ------------------------------------------------------------------------------ */
static inline uint32_t rotl32(uint32_t x, int r) { return (x << r) | (x >> (32 - r)); }

uint32_t ice_murmur3_32(const void *data, size_t len, uint32_t seed) {
  const uint8_t *p = data;
  const uint32_t c1 = 0xcc9e2d51, c2 = 0x1b873593;
  uint32_t h = seed;
  size_t nblocks = len / 4;
  for (size_t i = 0; i < nblocks; i++) {
    uint32_t k = (uint32_t)p[4 * i] | (uint32_t)p[4 * i + 1] << 8 | (uint32_t)p[4 * i + 2] << 16 | (uint32_t)p[4 * i + 3] << 24;
    k *= c1;
    k = rotl32(k, 15);
    k *= c2;
    h ^= k;
    h = rotl32(h, 13);
    h = h * 5 + 0xe6546b64;
  }
  const uint8_t *tail = p + nblocks * 4;
  uint32_t k = 0;
  switch (len & 3) {
    case 3: k ^= (uint32_t)tail[2] << 16; /* fall through */
    case 2: k ^= (uint32_t)tail[1] << 8;  /* fall through */
    case 1:
      k ^= tail[0];
      k *= c1;
      k = rotl32(k, 15);
      k *= c2;
      h ^= k;
  }
  h ^= (uint32_t)len;
  h ^= h >> 16;
  h *= 0x85ebca6b;
  h ^= h >> 13;
  h *= 0xc2b2ae35;
  h ^= h >> 16;
  return h;
}

static int32_t hash_long(int64_t v) {
  uint8_t b[8];
  for (int i = 0; i < 8; i++) b[i] = (uint8_t)((uint64_t)v >> (8 * i));
  return (int32_t)ice_murmur3_32(b, 8, 0);
}

static int32_t hash_double(double d) {
  uint64_t bits;
  if (isnan(d)) bits = 0x7ff8000000000000ULL; /* canonical NaN */
  else {
    if (d == 0) d = 0.0; /* -0.0 hashes as 0.0 */
    memcpy(&bits, &d, 8);
  }
  return hash_long((int64_t)bits);
}

bool ice_hash_value(const ice_type_t *t, const ice_value_t *v, int32_t *hash) {
  if (v->is_null) return false;
  switch (t->id) {
    case ICE_BOOLEAN: *hash = hash_long(v->v.b ? 1 : 0); return true; /* hashInt is hashLong(long) */
    case ICE_INT:
    case ICE_DATE: *hash = hash_long(v->v.i32); return true;
    case ICE_LONG:
    case ICE_TIME:
    case ICE_TIMESTAMP:
    case ICE_TIMESTAMPTZ: *hash = hash_long(v->v.i64); return true;
    case ICE_TIMESTAMP_NS:
    case ICE_TIMESTAMPTZ_NS: *hash = hash_long(cal_floor_div(v->v.i64, 1000)); return true;
    case ICE_FLOAT: *hash = hash_double(v->v.f32); return true;
    case ICE_DOUBLE: *hash = hash_double(v->v.f64); return true;
    case ICE_DECIMAL: {
      uint8_t b[16];
      size_t n = ice_decimal_min_bytes(v->dec, b);
      *hash = (int32_t)ice_murmur3_32(b, n, 0);
      return true;
    }
    case ICE_UUID: *hash = (int32_t)ice_murmur3_32(v->v.uuid, 16, 0); return true;
    case ICE_STRING:
    case ICE_FIXED:
    case ICE_BINARY: *hash = (int32_t)ice_murmur3_32(v->ptr, v->len, 0); return true;
    default: return false;
  }
}

/* ---- epoch arithmetic ---------------------------------------------------------------------------- */
int32_t ice_years_from_days(int32_t days) { return (int32_t)cal_years_from_days(days); }
int32_t ice_months_from_days(int32_t days) { return (int32_t)cal_months_from_days(days); }
int64_t ice_days_from_micros(int64_t micros) { return cal_floor_div(micros, 86400000000LL); }
int64_t ice_hours_from_micros(int64_t micros) { return cal_floor_div(micros, 3600000000LL); }

/* ---- apply ----------------------------------------------------------------------------------------- */
static int64_t truncate_i64(int64_t v, int64_t w) {
  int64_t r = ((v % w) + w) % w;
  return (int64_t)((uint64_t)v - (uint64_t)r); /* wraps like Java at the extremes */
}

int ice_transform_apply(const ice_transform_t *t, const ice_type_t *src, const ice_value_t *in, ice_value_t *out,
                        prestige_error_t *err) {
  char tb[64], sb[64];
  if (t->kind == ICE_T_UNKNOWN)
    return prestige_error_set(err, PRESTIGE_EUNSUPPORTED, "cannot apply unknown transform \"%s\"", t->unknown_name);
  if (!ice_transform_can_apply(t, src))
    return prestige_error_set(err, PRESTIGE_ETYPE, "transform %s cannot apply to %s", ice_transform_to_string(t, tb, sizeof tb),
                              ice_type_to_string(src, sb, sizeof sb));
  if (in->is_null || t->kind == ICE_T_VOID) {
    *out = ice_value_null();
    return 0;
  }
  ice_value_t r = {0};
  /* time transforms work on days (dates) or microseconds (timestamps, ns floored) */
  int64_t micros = 0, days = 0;
  if (t->kind >= ICE_T_YEAR && t->kind <= ICE_T_HOUR) {
    if (src->id == ICE_DATE) {
      days = in->v.i32;
    } else {
      micros = (src->id == ICE_TIMESTAMP_NS || src->id == ICE_TIMESTAMPTZ_NS) ? cal_floor_div(in->v.i64, 1000) : in->v.i64;
      days = ice_days_from_micros(micros);
    }
  }
  switch (t->kind) {
    case ICE_T_IDENTITY: r = *in; break;
    case ICE_T_BUCKET: {
      int32_t h = 0;
      ice_hash_value(src, in, &h);
      r.v.i32 = (int32_t)((uint32_t)h & INT_MAX) % t->param;
      break;
    }
    case ICE_T_TRUNCATE:
      r = *in;
      switch (src->id) {
        case ICE_INT: r.v.i32 = (int32_t)truncate_i64(in->v.i32, t->param); break;
        case ICE_LONG: r.v.i64 = truncate_i64(in->v.i64, t->param); break;
        case ICE_DECIMAL: {
          __int128 w = t->param, m = ((in->dec % w) + w) % w; /* width in units of the scale */
          r.dec = in->dec - m;
          break;
        }
        case ICE_STRING: r.len = ice_utf8_prefix(in->ptr, in->len, (size_t)t->param); break;
        default: r.len = in->len < (size_t)t->param ? in->len : (size_t)t->param; break;
      }
      break;
    case ICE_T_YEAR: r.v.i32 = (int32_t)cal_years_from_days(days); break;
    case ICE_T_MONTH: r.v.i32 = (int32_t)cal_months_from_days(days); break;
    case ICE_T_DAY: r.v.i32 = (int32_t)days; break;
    case ICE_T_HOUR: r.v.i32 = (int32_t)ice_hours_from_micros(micros); break;
    default: break;
  }
  *out = r;
  return 0;
}

int ice_transform_human(const ice_transform_t *t, const ice_type_t *rt, const ice_value_t *v, buf_t *out,
                        prestige_error_t *err) {
  char b[64];
  int n;
  if (v->is_null || t->kind == ICE_T_VOID) n = snprintf(b, sizeof b, "null");
  else if (t->kind == ICE_T_YEAR) n = snprintf(b, sizeof b, "%04lld", 1970LL + v->v.i32);
  else if (t->kind == ICE_T_MONTH)
    n = snprintf(b, sizeof b, "%04lld-%02lld", 1970 + (long long)cal_floor_div(v->v.i32, 12),
                 1 + (long long)cal_floor_mod(v->v.i32, 12));
  else if (t->kind == ICE_T_DAY) n = cal_format_date(v->v.i32, b, sizeof b);
  else if (t->kind == ICE_T_HOUR) {
    int64_t d = cal_floor_div(v->v.i32, 24);
    n = cal_format_date(d, b, sizeof b);
    n += snprintf(b + n, sizeof b - (size_t)n, "-%02lld", (long long)cal_floor_mod(v->v.i32, 24));
  } else
    return ice_value_human(rt, v, out, err);
  return buf_append(out, b, (size_t)n) ? prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory") : 0;
}
