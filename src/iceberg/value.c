/* Iceberg single values: Appendix D serializations, order, human strings, bound truncation. */
#include "iceberg/value.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/calendar.h"
#include "core/truncate.h"
#include "core/utf8.h"

static const char *tname(const ice_type_t *t, char *b, size_t n) { return ice_type_to_string(t, b, n); }

/* ---- UTF-8 (core/utf8.c, core/truncate.c) ------------------------------------------------ */
bool ice_utf8_valid(const uint8_t *p, size_t n) { return utf8_check(p, n) == n; }

size_t ice_utf8_prefix(const uint8_t *p, size_t n, size_t max_cp) { return trunc_lower_utf8(p, n, max_cp); }

/* ---- uuid --------------------------------------------------------------------------------- */
void ice_uuid_format(const uint8_t u[16], char out[37]) {
  static const char hex[] = "0123456789abcdef";
  size_t o = 0;
  for (int i = 0; i < 16; i++) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out[o++] = '-';
    out[o++] = hex[u[i] >> 4];
    out[o++] = hex[u[i] & 15];
  }
  out[o] = 0;
}

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool ice_uuid_parse(const char *s, uint8_t out[16]) {
  if (strlen(s) != 36) return false;
  int k = 0;
  for (int i = 0; i < 36;) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (s[i++] != '-') return false;
      continue;
    }
    int a = hexval(s[i]), b = hexval(s[i + 1]);
    if (a < 0 || b < 0) return false;
    out[k++] = (uint8_t)(a << 4 | b);
    i += 2;
  }
  return true;
}

/* ---- decimals ------------------------------------------------------------------------------ */
static size_t u128_digits(unsigned __int128 u, char *out) { /* reversed digits */
  size_t n = 0;
  do {
    out[n++] = (char)('0' + (int)(u % 10));
    u /= 10;
  } while (u);
  return n;
}

int ice_decimal_format(__int128 v, int32_t scale, char *out, size_t n) {
  char rev[48];
  bool neg = v < 0;
  unsigned __int128 u = neg ? (unsigned __int128)(-(v + 1)) + 1 : (unsigned __int128)v;
  size_t nd = u128_digits(u, rev);
  char buf[96];
  size_t o = 0;
  if (neg) buf[o++] = '-';
  if (scale <= 0) {
    for (size_t i = nd; i > 0; i--) buf[o++] = rev[i - 1];
    for (int32_t i = 0; i < -scale && v != 0 && o < 90; i++) buf[o++] = '0';
  } else {
    size_t sc = (size_t)scale;
    if (nd <= sc) {
      buf[o++] = '0';
      buf[o++] = '.';
      for (size_t i = nd; i < sc; i++) buf[o++] = '0';
      for (size_t i = nd; i > 0; i--) buf[o++] = rev[i - 1];
    } else {
      for (size_t i = nd; i > 0; i--) {
        buf[o++] = rev[i - 1];
        if (i - 1 == sc) buf[o++] = '.';
      }
    }
  }
  buf[o] = 0;
  return snprintf(out, n, "%s", buf);
}

/* Java BigDecimal.toString: plain unless the adjusted exponent is < -6 (scale >= 0 here). */
static int decimal_java_string(__int128 v, int32_t scale, char *out, size_t n) {
  char rev[48];
  bool neg = v < 0;
  unsigned __int128 u = neg ? (unsigned __int128)(-(v + 1)) + 1 : (unsigned __int128)v;
  size_t nd = u128_digits(u, rev);
  int64_t adjusted = -(int64_t)scale + (int64_t)nd - 1;
  if (scale >= 0 && adjusted >= -6) return ice_decimal_format(v, scale, out, n);
  char buf[96];
  size_t o = 0;
  if (neg) buf[o++] = '-';
  buf[o++] = rev[nd - 1];
  if (nd > 1) {
    buf[o++] = '.';
    for (size_t i = nd - 1; i > 0; i--) buf[o++] = rev[i - 1];
  }
  buf[o] = 0;
  return snprintf(out, n, "%sE%s%lld", buf, adjusted >= 0 ? "+" : "", (long long)adjusted);
}

bool ice_decimal_parse(const char *s, int32_t scale, __int128 *out) {
  const char *p = s;
  bool neg = false;
  if (*p == '-' || *p == '+') neg = *p++ == '-';
  unsigned __int128 u = 0;
  int digits = 0, frac = 0;
  bool dot = false;
  for (; *p && *p != 'e' && *p != 'E'; p++) {
    if (*p == '.') {
      if (dot) return false;
      dot = true;
      continue;
    }
    if (!isdigit((unsigned char)*p)) return false;
    if (++digits > 38) return false;
    u = u * 10 + (unsigned)(*p - '0');
    if (dot) frac++;
  }
  if (!digits) return false;
  int64_t exp = 0;
  if (*p == 'e' || *p == 'E') {
    char *end;
    errno = 0;
    long long e = strtoll(p + 1, &end, 10);
    if (*end || end == p + 1 || errno || e > 1000 || e < -1000) return false;
    exp = e;
  }
  /* value = u * 10^(exp - frac); its scale is frac - exp, which must equal the type's */
  if ((int64_t)frac - exp != scale) return false;
  *out = neg ? -(__int128)u : (__int128)u;
  return true;
}

size_t ice_decimal_min_bytes(__int128 v, uint8_t out[16]) {
  uint8_t be[16];
  for (int i = 0; i < 16; i++) be[15 - i] = (uint8_t)((unsigned __int128)v >> (8 * i));
  size_t start = 0;
  /* drop leading bytes that only repeat the sign (BigInteger.toByteArray) */
  while (start < 15 && ((be[start] == 0x00 && !(be[start + 1] & 0x80)) || (be[start] == 0xff && (be[start + 1] & 0x80))))
    start++;
  memcpy(out, be + start, 16 - start);
  return 16 - start;
}

/* ---- binary single-value serialization ------------------------------------------------------ */
static void le(uint8_t *o, uint64_t v, int n) {
  for (int i = 0; i < n; i++) o[i] = (uint8_t)(v >> (8 * i));
}
static uint64_t rd_le(const uint8_t *p, int n) {
  uint64_t v = 0;
  for (int i = 0; i < n; i++) v |= (uint64_t)p[i] << (8 * i);
  return v;
}

int ice_value_to_bytes(const ice_type_t *t, const ice_value_t *v, buf_t *out, prestige_error_t *err) {
  buf_clear(out);
  uint8_t b[16];
  size_t n = 0;
  char tb[64];
  if (v->is_null) return prestige_error_set(err, PRESTIGE_EINVAL, "a null %s has no single-value serialization", tname(t, tb, sizeof tb));
  switch (t->id) {
    case ICE_BOOLEAN: b[0] = v->v.b ? 1 : 0, n = 1; break;
    case ICE_INT:
    case ICE_DATE: le(b, (uint32_t)v->v.i32, 4), n = 4; break;
    case ICE_LONG:
    case ICE_TIME:
    case ICE_TIMESTAMP:
    case ICE_TIMESTAMPTZ:
    case ICE_TIMESTAMP_NS:
    case ICE_TIMESTAMPTZ_NS: le(b, (uint64_t)v->v.i64, 8), n = 8; break;
    case ICE_FLOAT: {
      uint32_t x;
      memcpy(&x, &v->v.f32, 4);
      le(b, x, 4), n = 4;
      break;
    }
    case ICE_DOUBLE: {
      uint64_t x;
      memcpy(&x, &v->v.f64, 8);
      le(b, x, 8), n = 8;
      break;
    }
    case ICE_UUID: memcpy(b, v->v.uuid, 16), n = 16; break;
    case ICE_DECIMAL: n = ice_decimal_min_bytes(v->dec, b); break;
    case ICE_FIXED:
      if (v->len != (size_t)t->length)
        return prestige_error_set(err, PRESTIGE_EINVAL, "fixed[%d] value has %zu bytes", t->length, v->len);
      /* fall through */
    case ICE_STRING:
    case ICE_BINARY: return buf_append(out, v->ptr, v->len) ? prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory") : 0;
    default:
      return prestige_error_set(err, PRESTIGE_EUNSUPPORTED, "%s has no single-value serialization", tname(t, tb, sizeof tb));
  }
  return buf_append(out, b, n) ? prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory") : 0;
}

int ice_value_from_bytes(const ice_type_t *t, const uint8_t *p, size_t n, ice_value_t *out, prestige_error_t *err) {
  ice_value_t v = {0};
  char tb[64];
  size_t want = 0;
  switch (t->id) {
    case ICE_BOOLEAN:
      if (n != 1) goto bad_len;
      v.v.b = p[0] != 0;
      break;
    case ICE_INT:
    case ICE_DATE:
      if (n != 4) goto bad_len;
      v.v.i32 = (int32_t)(uint32_t)rd_le(p, 4);
      break;
    case ICE_LONG:
    case ICE_TIME:
      if (n == 4 && t->id == ICE_LONG) v.v.i64 = (int32_t)(uint32_t)rd_le(p, 4); /* promoted from int */
      else if (n == 8) v.v.i64 = (int64_t)rd_le(p, 8);
      else goto bad_len;
      break;
    case ICE_TIMESTAMP:
    case ICE_TIMESTAMPTZ:
    case ICE_TIMESTAMP_NS:
    case ICE_TIMESTAMPTZ_NS:
      if (n == 4 && (t->id == ICE_TIMESTAMP || t->id == ICE_TIMESTAMP_NS)) { /* promoted from date */
        int64_t days = (int32_t)(uint32_t)rd_le(p, 4);
        v.v.i64 = days * 86400LL * (t->id == ICE_TIMESTAMP ? 1000000LL : 1000000000LL);
      } else if (n == 8) {
        v.v.i64 = (int64_t)rd_le(p, 8);
      } else {
        goto bad_len;
      }
      break;
    case ICE_FLOAT: {
      if (n != 4) goto bad_len;
      uint32_t x = (uint32_t)rd_le(p, 4);
      memcpy(&v.v.f32, &x, 4);
      break;
    }
    case ICE_DOUBLE:
      if (n == 4) { /* promoted from float */
        uint32_t x = (uint32_t)rd_le(p, 4);
        float f;
        memcpy(&f, &x, 4);
        v.v.f64 = f;
      } else if (n == 8) {
        uint64_t x = rd_le(p, 8);
        memcpy(&v.v.f64, &x, 8);
      } else {
        goto bad_len;
      }
      break;
    case ICE_UUID:
      if (n != 16) goto bad_len;
      memcpy(v.v.uuid, p, 16);
      break;
    case ICE_DECIMAL: {
      if (n < 1 || n > 16) goto bad_len;
      unsigned __int128 u = (p[0] & 0x80) ? ~(unsigned __int128)0 : 0;
      for (size_t i = 0; i < n; i++) u = (u << 8) | p[i];
      v.dec = (__int128)u;
      break;
    }
    case ICE_STRING:
      if (!ice_utf8_valid(p, n))
        return prestige_error_set(err, PRESTIGE_ECORRUPT, "string value is not valid UTF-8 (%zu bytes)", n);
      v.ptr = p, v.len = n;
      break;
    case ICE_FIXED:
      want = (size_t)t->length;
      if (n != want) goto bad_len;
      /* fall through */
    case ICE_BINARY: v.ptr = p, v.len = n; break;
    default:
      return prestige_error_set(err, PRESTIGE_EUNSUPPORTED, "%s has no single-value serialization", tname(t, tb, sizeof tb));
  }
  *out = v;
  return 0;
bad_len:
  return prestige_error_set(err, PRESTIGE_ECORRUPT, "%s value has a bad length: %zu bytes", tname(t, tb, sizeof tb), n);
}

/* ---- time strings --------------------------------------------------------------------------- */
/* ISO_LOCAL_DATE_TIME of an epoch count in units per second (1e6 or 1e9). */
static int format_timestamp(int64_t v, int64_t per_sec, bool tz, char *out, size_t n) {
  int64_t secs = cal_floor_div(v, per_sec), frac = cal_floor_mod(v, per_sec);
  int64_t days = cal_floor_div(secs, 86400), sod = cal_floor_mod(secs, 86400);
  char d[32], t[32];
  cal_format_date(days, d, sizeof d);
  cal_format_time(sod * 1000000000LL + frac * (1000000000LL / per_sec), t, sizeof t);
  return snprintf(out, n, "%sT%s%s", d, t, tz ? "+00:00" : "");
}

/* Parses an ISO timestamp; tz: requires a zero offset ("+00:00", "Z", "-00:00"). */
static bool parse_timestamp(const char *s, int64_t per_sec, bool tz, int64_t *out) {
  size_t n = strlen(s);
  int64_t days, nanos;
  size_t used;
  if (n < 16 || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || !cal_parse_date(s, 10, &days)) return false;
  if (!cal_parse_time(s + 11, n - 11, &nanos, &used)) return false;
  const char *rest = s + 11 + used;
  if (tz) {
    if (strcmp(rest, "Z") && strcmp(rest, "+00:00") && strcmp(rest, "-00:00") && strcmp(rest, "+00:00:00")) return false;
  } else if (*rest) {
    return false;
  }
  if (per_sec == 1000000 && nanos % 1000) return false; /* finer than the type */
  *out = days * 86400 * per_sec + nanos / (1000000000LL / per_sec);
  return true;
}

/* ---- JSON single-value serialization -------------------------------------------------------- */
static void hex_encode(const uint8_t *p, size_t n, char *o) {
  static const char hex[] = "0123456789abcdef";
  for (size_t i = 0; i < n; i++) o[2 * i] = hex[p[i] >> 4], o[2 * i + 1] = hex[p[i] & 15];
  o[2 * n] = 0;
}

json_t *ice_value_to_json(const ice_type_t *t, const ice_value_t *v) {
  char buf[128];
  if (v->is_null) return json_null();
  switch (t->id) {
    case ICE_BOOLEAN: return json_boolean(v->v.b);
    case ICE_INT: return json_integer(v->v.i32);
    case ICE_LONG: return json_integer(v->v.i64);
    case ICE_FLOAT: return json_real(v->v.f32);
    case ICE_DOUBLE: return json_real(v->v.f64);
    case ICE_DECIMAL: ice_decimal_format(v->dec, t->scale, buf, sizeof buf); return json_string(buf);
    case ICE_DATE: cal_format_date(v->v.i32, buf, sizeof buf); return json_string(buf);
    case ICE_TIME: cal_format_time(v->v.i64 * 1000, buf, sizeof buf); return json_string(buf);
    case ICE_TIMESTAMP:
    case ICE_TIMESTAMPTZ:
      format_timestamp(v->v.i64, 1000000, t->id == ICE_TIMESTAMPTZ, buf, sizeof buf);
      return json_string(buf);
    case ICE_TIMESTAMP_NS:
    case ICE_TIMESTAMPTZ_NS:
      format_timestamp(v->v.i64, 1000000000, t->id == ICE_TIMESTAMPTZ_NS, buf, sizeof buf);
      return json_string(buf);
    case ICE_STRING: return json_stringn((const char *)v->ptr, v->len);
    case ICE_UUID: ice_uuid_format(v->v.uuid, buf); return json_string(buf);
    case ICE_FIXED:
    case ICE_BINARY: {
      char *h = malloc(2 * v->len + 1);
      if (!h) return NULL;
      hex_encode(v->ptr, v->len, h);
      json_t *j = json_string(h);
      free(h);
      return j;
    }
    default: return NULL;
  }
}

int ice_value_from_json(const ice_type_t *t, const json_t *j, buf_t *storage, ice_value_t *out, prestige_error_t *err) {
  char tb[64];
  ice_value_t v = {0};
  if (json_is_null(j)) {
    *out = ice_value_null();
    return 0;
  }
  const char *s = json_is_string(j) ? json_string_value(j) : NULL;
  switch (t->id) {
    case ICE_BOOLEAN:
      if (!json_is_boolean(j)) goto bad;
      v.v.b = json_is_true(j);
      break;
    case ICE_INT:
      if (!json_is_integer(j) || json_integer_value(j) < INT32_MIN || json_integer_value(j) > INT32_MAX) goto bad;
      v.v.i32 = (int32_t)json_integer_value(j);
      break;
    case ICE_LONG:
      if (!json_is_integer(j)) goto bad;
      v.v.i64 = json_integer_value(j);
      break;
    case ICE_FLOAT:
    case ICE_DOUBLE: {
      if (!json_is_number(j)) goto bad;
      double d = json_number_value(j);
      if (t->id == ICE_FLOAT) v.v.f32 = (float)d;
      else v.v.f64 = d;
      break;
    }
    case ICE_DECIMAL:
      if (!s || !ice_decimal_parse(s, t->scale, &v.dec)) goto bad;
      break;
    case ICE_DATE: {
      int64_t days;
      if (!s || !cal_parse_date(s, strlen(s), &days) || days < INT32_MIN || days > INT32_MAX) goto bad;
      v.v.i32 = (int32_t)days;
      break;
    }
    case ICE_TIME: {
      int64_t nanos;
      size_t used;
      if (!s || !cal_parse_time(s, strlen(s), &nanos, &used) || s[used] || nanos % 1000) goto bad;
      v.v.i64 = nanos / 1000;
      break;
    }
    case ICE_TIMESTAMP:
    case ICE_TIMESTAMPTZ:
    case ICE_TIMESTAMP_NS:
    case ICE_TIMESTAMPTZ_NS: {
      bool ns = t->id == ICE_TIMESTAMP_NS || t->id == ICE_TIMESTAMPTZ_NS;
      bool tz = t->id == ICE_TIMESTAMPTZ || t->id == ICE_TIMESTAMPTZ_NS;
      if (!s || !parse_timestamp(s, ns ? 1000000000 : 1000000, tz, &v.v.i64)) goto bad;
      break;
    }
    case ICE_STRING:
      if (!s) goto bad;
      v.ptr = (const uint8_t *)s, v.len = json_string_length(j);
      break;
    case ICE_UUID:
      if (!s || !ice_uuid_parse(s, v.v.uuid)) goto bad;
      break;
    case ICE_FIXED:
    case ICE_BINARY: {
      if (!s) goto bad;
      size_t n = strlen(s);
      if (n % 2 || (t->id == ICE_FIXED && n != 2 * (size_t)t->length)) goto bad;
      buf_clear(storage);
      if (buf_reserve(storage, n / 2 + 1)) return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
      for (size_t i = 0; i < n; i += 2) {
        int a = hexval(s[i]), b = hexval(s[i + 1]);
        if (a < 0 || b < 0) goto bad;
        storage->data[storage->len++] = (uint8_t)(a << 4 | b);
      }
      v.ptr = storage->data, v.len = storage->len;
      break;
    }
    default:
      return prestige_error_set(err, PRESTIGE_EUNSUPPORTED, "%s has no single-value form", tname(t, tb, sizeof tb));
  }
  *out = v;
  return 0;
bad: {
  char *txt = json_dumps(j, JSON_ENCODE_ANY | JSON_COMPACT);
  int rc = prestige_error_set(err, PRESTIGE_ECORRUPT, "cannot read %.200s as a %s value", txt ? txt : "?",
                              tname(t, tb, sizeof tb));
  free(txt);
  return rc;
}
}

int ice_value_check_json(const ice_type_t *t, const json_t *j, const char *path, prestige_error_t *err) {
  if (json_is_null(j)) return 0;
  switch (t->id) {
    case ICE_STRUCT: {
      if (!json_is_object(j)) return prestige_error_set(err, PRESTIGE_ECORRUPT, "a struct default must be an object");
      for (size_t i = 0; i < t->n_fields; i++) {
        char key[16];
        snprintf(key, sizeof key, "%d", t->fields[i].id);
        const json_t *x = json_object_get(j, key);
        if (x) PRESTIGE_TRY(ice_value_check_json(t->fields[i].type, x, path, err));
      }
      return 0;
    }
    case ICE_LIST: {
      if (!json_is_array(j)) return prestige_error_set(err, PRESTIGE_ECORRUPT, "a list default must be an array");
      for (size_t i = 0; i < json_array_size(j); i++)
        PRESTIGE_TRY(ice_value_check_json(t->fields[0].type, json_array_get(j, i), path, err));
      return 0;
    }
    case ICE_MAP: {
      const json_t *k = json_object_get(j, "keys"), *v = json_object_get(j, "values");
      if (!json_is_array(k) || !json_is_array(v) || json_array_size(k) != json_array_size(v))
        return prestige_error_set(err, PRESTIGE_ECORRUPT,
                                  "a map default must be {\"keys\": [...], \"values\": [...]} of equal lengths");
      for (size_t i = 0; i < json_array_size(k); i++) {
        PRESTIGE_TRY(ice_value_check_json(t->fields[0].type, json_array_get(k, i), path, err));
        PRESTIGE_TRY(ice_value_check_json(t->fields[1].type, json_array_get(v, i), path, err));
      }
      return 0;
    }
    default: {
      buf_t storage = BUF_INIT;
      ice_value_t v;
      int rc = ice_value_from_json(t, j, &storage, &v, err);
      buf_release(&storage);
      return rc;
    }
  }
}

/* ---- human strings ------------------------------------------------------------------------- */
/* Java Float.toString / Double.toString: the shortest digits that round-trip, plain between
 * 1e-3 and 1e7, else d.dddE[-]n. */
static int java_float_string(double x, bool is_float, char *out, size_t n) {
  if (isnan(x)) return snprintf(out, n, "NaN");
  if (isinf(x)) return snprintf(out, n, x > 0 ? "Infinity" : "-Infinity");
  if (x == 0) return snprintf(out, n, signbit(x) ? "-0.0" : "0.0");
  char e[40];
  for (int p = 0; p < 17; p++) {
    snprintf(e, sizeof e, "%.*e", p, x);
    if (is_float ? strtof(e, NULL) == (float)x : strtod(e, NULL) == x) break;
  }
  /* e = [-]d[.ddd]e[+-]XX */
  char digits[24];
  size_t nd = 0;
  const char *q = e;
  bool neg = *q == '-';
  if (neg) q++;
  for (; *q && *q != 'e'; q++)
    if (isdigit((unsigned char)*q)) digits[nd++] = *q;
  int exp = atoi(q + 1);
  while (nd > 1 && digits[nd - 1] == '0') nd--;
  digits[nd] = 0;
  char buf[64];
  size_t o = 0;
  if (neg) buf[o++] = '-';
  double ax = fabs(x);
  if (ax >= 1e-3 && ax < 1e7) {
    if (exp >= 0) {
      for (int i = 0; i <= exp; i++) buf[o++] = (size_t)i < nd ? digits[i] : '0';
      buf[o++] = '.';
      if ((size_t)exp + 1 < nd)
        for (size_t i = (size_t)exp + 1; i < nd; i++) buf[o++] = digits[i];
      else
        buf[o++] = '0';
    } else {
      buf[o++] = '0';
      buf[o++] = '.';
      for (int i = 0; i < -exp - 1; i++) buf[o++] = '0';
      for (size_t i = 0; i < nd; i++) buf[o++] = digits[i];
    }
    buf[o] = 0;
    return snprintf(out, n, "%s", buf);
  }
  buf[o++] = digits[0];
  buf[o++] = '.';
  if (nd > 1)
    for (size_t i = 1; i < nd; i++) buf[o++] = digits[i];
  else
    buf[o++] = '0';
  buf[o] = 0;
  return snprintf(out, n, "%sE%d", buf, exp);
}

static int base64_append(const uint8_t *p, size_t n, buf_t *out) {
  static const char tb[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (size_t i = 0; i < n; i += 3) {
    uint32_t x = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0) | (i + 2 < n ? p[i + 2] : 0);
    char q[4] = {tb[x >> 18], tb[(x >> 12) & 63], i + 1 < n ? tb[(x >> 6) & 63] : '=', i + 2 < n ? tb[x & 63] : '='};
    if (buf_append(out, q, 4)) return PRESTIGE_ENOMEM;
  }
  return 0;
}

/* LocalTime.toString: HH:mm, then :ss when seconds or nanos, then .SSS/.SSSSSS/.SSSSSSSSS. */
static int java_local_time(int64_t nanos, char *out, size_t n) {
  int64_t secs = nanos / 1000000000LL, ns = nanos % 1000000000LL;
  int len = snprintf(out, n, "%02lld:%02lld", (long long)(secs / 3600), (long long)(secs / 60 % 60));
  if (secs % 60 || ns) len += snprintf(out + len, n - (size_t)len, ":%02lld", (long long)(secs % 60));
  if (ns) {
    if (ns % 1000000 == 0) len += snprintf(out + len, n - (size_t)len, ".%03lld", (long long)(ns / 1000000));
    else if (ns % 1000 == 0) len += snprintf(out + len, n - (size_t)len, ".%06lld", (long long)(ns / 1000));
    else len += snprintf(out + len, n - (size_t)len, ".%09lld", (long long)ns);
  }
  return len;
}

int ice_value_human(const ice_type_t *t, const ice_value_t *v, buf_t *out, prestige_error_t *err) {
  char b[128];
  int n = 0;
  if (v->is_null) return buf_append(out, "null", 4) ? prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory") : 0;
  switch (t->id) {
    case ICE_BOOLEAN: n = snprintf(b, sizeof b, "%s", v->v.b ? "true" : "false"); break;
    case ICE_INT: n = snprintf(b, sizeof b, "%d", v->v.i32); break;
    case ICE_LONG: n = snprintf(b, sizeof b, "%lld", (long long)v->v.i64); break;
    case ICE_FLOAT: n = java_float_string(v->v.f32, true, b, sizeof b); break;
    case ICE_DOUBLE: n = java_float_string(v->v.f64, false, b, sizeof b); break;
    case ICE_DECIMAL: n = decimal_java_string(v->dec, t->scale, b, sizeof b); break;
    case ICE_DATE: n = cal_format_date(v->v.i32, b, sizeof b); break;
    case ICE_TIME: n = java_local_time(v->v.i64 * 1000, b, sizeof b); break;
    case ICE_TIMESTAMP:
    case ICE_TIMESTAMPTZ: n = format_timestamp(v->v.i64, 1000000, t->id == ICE_TIMESTAMPTZ, b, sizeof b); break;
    case ICE_TIMESTAMP_NS:
    case ICE_TIMESTAMPTZ_NS: n = format_timestamp(v->v.i64, 1000000000, t->id == ICE_TIMESTAMPTZ_NS, b, sizeof b); break;
    case ICE_UUID: ice_uuid_format(v->v.uuid, b), n = 36; break;
    case ICE_STRING: return buf_append(out, v->ptr, v->len) ? prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory") : 0;
    case ICE_FIXED:
    case ICE_BINARY: return base64_append(v->ptr, v->len, out) ? prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory") : 0;
    default: return prestige_error_set(err, PRESTIGE_EUNSUPPORTED, "nested values have no human string");
  }
  return buf_append(out, b, (size_t)n) ? prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory") : 0;
}

/* ---- ordering -------------------------------------------------------------------------------- */
static int cmp_bytes(const uint8_t *a, size_t na, const uint8_t *b, size_t nb) {
  size_t n = na < nb ? na : nb;
  int c = n ? memcmp(a, b, n) : 0;
  if (c) return c < 0 ? -1 : 1;
  return (na > nb) - (na < nb);
}

/* Java Double.compare: -0.0 < 0.0, NaN above everything, NaNs equal. */
static int cmp_double(double a, double b) {
  if (a < b) return -1;
  if (a > b) return 1;
  if (isnan(a) || isnan(b)) return isnan(a) - isnan(b);
  return (int)(signbit(b) != 0) - (int)(signbit(a) != 0);
}

int ice_value_compare(const ice_type_t *t, const ice_value_t *a, const ice_value_t *b) {
  if (a->is_null || b->is_null) return a->is_null && b->is_null ? 0 : a->is_null ? -1 : 1;
  switch (t->id) {
    case ICE_BOOLEAN: return (int)a->v.b - (int)b->v.b;
    case ICE_INT:
    case ICE_DATE: return (a->v.i32 > b->v.i32) - (a->v.i32 < b->v.i32);
    case ICE_FLOAT: return cmp_double(a->v.f32, b->v.f32);
    case ICE_DOUBLE: return cmp_double(a->v.f64, b->v.f64);
    case ICE_DECIMAL: return (a->dec > b->dec) - (a->dec < b->dec);
    case ICE_UUID: return cmp_bytes(a->v.uuid, 16, b->v.uuid, 16);
    case ICE_STRING:
    case ICE_FIXED:
    case ICE_BINARY: return cmp_bytes(a->ptr, a->len, b->ptr, b->len);
    default: return (a->v.i64 > b->v.i64) - (a->v.i64 < b->v.i64);
  }
}

/* ---- bounds ----------------------------------------------------------------------------------- */
ice_value_t ice_bound_lower(const ice_type_t *t, const ice_value_t *v, int32_t n) {
  ice_value_t r = *v;
  if (v->is_null || n < 0) return r;
  if (t->id == ICE_STRING) r.len = ice_utf8_prefix(v->ptr, v->len, (size_t)n);
  else if (t->id == ICE_BINARY) r.len = trunc_lower_bytes(v->len, (size_t)n);
  return r;
}

int ice_bound_upper(const ice_type_t *t, const ice_value_t *v, int32_t n, buf_t *storage, ice_value_t *out,
                    bool *has_upper, prestige_error_t *err) {
  *out = *v;
  *has_upper = true;
  if (v->is_null || n < 0 || (t->id != ICE_STRING && t->id != ICE_BINARY)) return 0;
  buf_clear(storage);
  bool bin = t->id == ICE_BINARY;
  size_t room = bin ? (v->len < (size_t)n ? v->len : (size_t)n) : trunc_lower_utf8(v->ptr, v->len, (size_t)n) + 1;
  if (buf_reserve(storage, room)) return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
  size_t len = 0;
  trunc_result_t r = bin ? trunc_upper_bytes(v->ptr, v->len, (size_t)n, storage->data, &len)
                         : trunc_upper_utf8(v->ptr, v->len, (size_t)n, storage->data, &len);
  if (r == TRUNC_CUT) storage->len = len, out->ptr = storage->data, out->len = len;
  *has_upper = r != TRUNC_NONE;
  return 0;
}
