/* Binding: column paths resolved against a schema, literals converted once to each column's type
 * (see prestige/predicate.h for the comparison rules, which follow SQL as DuckDB implements it). */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arrow/predicate_internal.h"
#include "core/calendar.h"

typedef __int128 i128;
#define I128_MAX ((i128)(((unsigned __int128)1 << 127) - 1))
#define I128_MIN (-I128_MAX - 1)

/* ---- exact decimal literals ---------------------------------------------------------------- */
/* value = (neg ? -1 : 1) * digits * 10^exp; digits without leading zeros (n == 0: zero) */
typedef struct dnum {
  bool neg;
  char digits[512];
  size_t n;
  int64_t exp;
  bool has_exp;
  bool sticky; /* non-zero digits were dropped past the buffer */
} dnum_t;

static bool dnum_parse(const char *s, dnum_t *d) {
  memset(d, 0, sizeof(*d));
  while (isspace((unsigned char)*s)) s++;
  if (*s == '+' || *s == '-') d->neg = *s++ == '-';
  int64_t frac = 0;
  size_t seen = 0;
  bool point = false;
  for (;; s++) {
    if (*s == '.' && !point) {
      point = true;
      continue;
    }
    if (!isdigit((unsigned char)*s)) break;
    seen++;
    if (point) frac++;
    if (d->n == 0 && *s == '0') continue;
    if (d->n == sizeof(d->digits)) { /* beyond any type's precision: the rest only tells a fraction */
      d->sticky |= *s != '0';
      if (!point) d->exp++;
      else frac--;
      continue;
    }
    d->digits[d->n++] = *s;
  }
  if (!seen) return false;
  int64_t e = 0;
  if (*s == 'e' || *s == 'E') {
    s++;
    bool eneg = false;
    if (*s == '+' || *s == '-') eneg = *s++ == '-';
    if (!isdigit((unsigned char)*s)) return false;
    for (; isdigit((unsigned char)*s); s++)
      if (e < 100000) e = e * 10 + (*s - '0'); /* further digits cannot matter: clamp */
    if (eneg) e = -e;
    d->has_exp = true;
  }
  while (isspace((unsigned char)*s)) s++;
  if (*s) return false;
  d->exp += e - frac;
  return true;
}

/* floor(value * 10^scale) in *k and whether that is exact; *overflow = +1 / -1 when beyond
 * 38 digits (every integer type and decimal128 lies within). */
static void dnum_scaled(const dnum_t *d, int32_t scale, i128 *k, bool *integral, int *overflow) {
  *k = 0;
  *integral = true;
  *overflow = 0;
  if (d->n == 0) return;
  int64_t e = d->exp + scale;
  int64_t int_digits = (int64_t)d->n + e; /* digits before the point */
  if (int_digits > 38) {
    *overflow = d->neg ? -1 : 1;
    return;
  }
  i128 v = 0;
  for (int64_t i = 0; i < int_digits; i++) v = v * 10 + (i < (int64_t)d->n ? d->digits[i] - '0' : 0);
  for (int64_t i = int_digits > 0 ? int_digits : 0; i < (int64_t)d->n; i++)
    if (d->digits[i] != '0') *integral = false;
  if (d->sticky) *integral = false;
  if (d->neg) v = !*integral ? -v - 1 : -v;
  *k = v;
}

/* Rewrites "v op L" for integers v in [lo, hi], with L = K exactly (integral) or K < L < K + 1,
 * or L beyond every integer (overflow): returns 1 or 0 when every v gives true or false, -1 when
 * it stays the comparison *op against *k. */
static int int_normalize(cmp_op_t *op, i128 *k, bool integral, int overflow, i128 lo, i128 hi) {
  if (overflow) {
    switch (*op) {
      case OP_EQ: return 0;
      case OP_NE: return 1;
      case OP_LT: case OP_LE: return overflow > 0;
      default: return overflow < 0; /* GT, GE */
    }
  }
  if (!integral) {
    switch (*op) {
      case OP_EQ: return 0;
      case OP_NE: return 1;
      case OP_LT: *op = OP_LE; break; /* v < 9.5: v <= 9 */
      case OP_GE: *op = OP_GT; break; /* v >= 9.5: v > 9 */
      default: break;
    }
  }
  i128 K = *k;
  switch (*op) {
    case OP_EQ: if (K < lo || K > hi) return 0; break;
    case OP_NE: if (K < lo || K > hi) return 1; break;
    case OP_LT: if (K <= lo) return 0; if (K > hi) return 1; break;
    case OP_LE: if (K < lo) return 0; if (K >= hi) return 1; break;
    case OP_GT: if (K >= hi) return 0; if (K < lo) return 1; break;
    case OP_GE: if (K > hi) return 0; if (K <= lo) return 1; break;
    default: break;
  }
  return -1;
}

/* ---- dates and times ------------------------------------------------------------------------ */
static int read_digits(const char **p, int min, int max, int64_t *v) {
  int n = 0;
  *v = 0;
  while (n < max && isdigit((unsigned char)**p)) *v = *v * 10 + (*(*p)++ - '0'), n++;
  return n >= min && !isdigit((unsigned char)**p) ? n : -1;
}

static bool parse_date(const char **p, int64_t *days) {
  int64_t y, m, d;
  if (read_digits(p, 4, 6, &y) < 0 || *(*p)++ != '-' || read_digits(p, 1, 2, &m) < 0 || *(*p)++ != '-' ||
      read_digits(p, 1, 2, &d) < 0)
    return false;
  if (m < 1 || m > 12 || d < 1 || d > cal_days_in_month(y, (unsigned)m)) return false;
  *days = cal_days_from_civil(y, (unsigned)m, (unsigned)d);
  return true;
}

/* HH:MM[:SS[.fraction]] -> nanoseconds of the day (digits beyond nanoseconds are dropped) */
static bool parse_time(const char **p, int64_t *ns) {
  int64_t h, m, s = 0, frac = 0;
  if (read_digits(p, 1, 2, &h) < 0 || *(*p)++ != ':' || read_digits(p, 2, 2, &m) < 0) return false;
  if (**p == ':') {
    (*p)++;
    if (read_digits(p, 2, 2, &s) < 0) return false;
    if (**p == '.') {
      (*p)++;
      int n = 0;
      if (!isdigit((unsigned char)**p)) return false;
      for (; isdigit((unsigned char)**p); (*p)++, n++)
        if (n < 9) frac = frac * 10 + (**p - '0');
      for (; n < 9; n++) frac *= 10;
    }
  }
  if (h > 23 || m > 59 || s > 59) return false;
  *ns = ((h * 60 + m) * 60 + s) * 1000000000LL + frac;
  return true;
}

/* [space] Z | UTC | +HH | +HHMM | +HH:MM (or -) at the end of the text */
static bool parse_zone(const char *p, bool *has, int64_t *offset_s) {
  *has = false;
  *offset_s = 0;
  while (*p == ' ') p++;
  if (!*p) return true;
  *has = true;
  if ((p[0] == 'Z' || p[0] == 'z') && !p[1]) return true;
  if (!strcasecmp(p, "UTC")) return true;
  if (*p != '+' && *p != '-') return false;
  int sign = *p++ == '-' ? -1 : 1;
  if (!isdigit((unsigned char)p[0]) || !isdigit((unsigned char)p[1])) return false;
  int64_t h = (p[0] - '0') * 10 + (p[1] - '0'), m = 0;
  p += 2;
  if (*p == ':') p++;
  if (*p && read_digits(&p, 2, 2, &m) < 0) return false;
  if (*p || h > 18 || m > 59) return false;
  *offset_s = sign * (h * 3600 + m * 60);
  return true;
}

/* A date or timestamp literal: days and nanoseconds of the day, and its zone offset. */
static bool parse_timestamp(const char *s, int64_t *days, int64_t *tod_ns, bool *has_zone, int64_t *offset_s) {
  while (*s == ' ') s++;
  *tod_ns = 0;
  if (!parse_date(&s, days)) return false;
  if ((*s == 'T' || *s == 't' || *s == ' ') && isdigit((unsigned char)s[1])) {
    s++;
    if (!parse_time(&s, tod_ns)) return false;
  }
  return parse_zone(s, has_zone, offset_s);
}

static i128 floor_div(i128 a, i128 b) {
  i128 q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

static int64_t unit_ns(prestige_time_unit_t u) {
  switch (u) {
    case PRESTIGE_TIME_UNIT_SECOND: return 1000000000LL;
    case PRESTIGE_TIME_UNIT_MILLI: return 1000000LL;
    case PRESTIGE_TIME_UNIT_MICRO: return 1000LL;
    default: return 1;
  }
}

/* ---- binding ----------------------------------------------------------------------------------- */
typedef struct binder {
  const prestige_predicate_t *p;
  prestige_bound_predicate_t *b;
  prestige_error_t *err;
} binder_t;

static int lit_err(binder_t *bd, const bcol_t *c, const plit_t *l, const char *why) {
  const char *q = l->kind == LIT_STRING ? "'" : "";
  return prestige_error_set(bd->err, PRESTIGE_EINVAL, "filter \"%s\": column \"%s\" (%s %s) cannot be compared with %s%s%s: %s",
                            bd->p->text, c->path, prestige_arrow_type_name(c->type.type), c->schema->format, q, l->text, q,
                            why);
}

/* The range of integer values a column of an I64/U64 class holds. */
static void int_range(const bcol_t *c, i128 *lo, i128 *hi) {
  switch (c->type.type) {
    case PRESTIGE_ARROW_INT8: *lo = INT8_MIN, *hi = INT8_MAX; return;
    case PRESTIGE_ARROW_INT16: *lo = INT16_MIN, *hi = INT16_MAX; return;
    case PRESTIGE_ARROW_INT32: case PRESTIGE_ARROW_DATE32: case PRESTIGE_ARROW_TIME32: *lo = INT32_MIN, *hi = INT32_MAX; return;
    case PRESTIGE_ARROW_UINT8: *lo = 0, *hi = UINT8_MAX; return;
    case PRESTIGE_ARROW_UINT16: *lo = 0, *hi = UINT16_MAX; return;
    case PRESTIGE_ARROW_UINT32: *lo = 0, *hi = UINT32_MAX; return;
    case PRESTIGE_ARROW_UINT64: *lo = 0, *hi = UINT64_MAX; return;
    case PRESTIGE_ARROW_DECIMAL128: *lo = I128_MIN, *hi = I128_MAX; return;
    default: *lo = INT64_MIN, *hi = INT64_MAX; return;
  }
}

static bool is_temporal(prestige_arrow_type_t t) {
  return t == PRESTIGE_ARROW_DATE32 || t == PRESTIGE_ARROW_DATE64 || t == PRESTIGE_ARROW_TIME32 ||
         t == PRESTIGE_ARROW_TIME64 || t == PRESTIGE_ARROW_TIMESTAMP;
}

/* A quoted literal on a date, time or timestamp column: the value in the column's unit as floor
 * and exactness, truncated first to the precision DuckDB gives the literal. */
static int temporal_value(binder_t *bd, const bcol_t *c, const plit_t *l, i128 *k, bool *integral) {
  prestige_arrow_type_t t = c->type.type;
  int64_t days = 0, tod = 0, off = 0;
  bool zone = false;
  if (t == PRESTIGE_ARROW_TIME32 || t == PRESTIGE_ARROW_TIME64) {
    const char *s = l->text;
    while (*s == ' ') s++;
    if (!parse_time(&s, &tod) || (*s && !parse_zone(s, &zone, &off)))
      return lit_err(bd, c, l, "not a time (HH:MM[:SS[.fraction]])");
  } else if (!parse_timestamp(l->text, &days, &tod, &zone, &off)) {
    return lit_err(bd, c, l, t == PRESTIGE_ARROW_TIMESTAMP ? "not a timestamp (YYYY-MM-DD[ HH:MM[:SS[.fraction]]][zone])"
                                                           : "not a date (YYYY-MM-DD)");
  }
  *integral = true;
  if (t == PRESTIGE_ARROW_DATE32) {
    *k = days;
    return 0;
  }
  if (t == PRESTIGE_ARROW_DATE64) {
    *k = (i128)days * 86400000;
    return 0;
  }
  i128 ns = t == PRESTIGE_ARROW_TIMESTAMP ? (i128)days * 86400 * 1000000000 + tod : tod;
  /* A zone makes the literal an instant: it compares in UTC, on a column with a zone and on one
   * without (whose values are taken as UTC wall-clock times). DuckDB does so for TIMESTAMP_NS but
   * drops the offset for TIMESTAMP; converting is the reading that cannot silently shift hours. */
  if (t == PRESTIGE_ARROW_TIMESTAMP && zone) ns -= (i128)off * 1000000000;
  if (c->type.unit != PRESTIGE_TIME_UNIT_NANO) ns = floor_div(ns, 1000) * 1000; /* DuckDB: microseconds */
  i128 u = unit_ns(c->type.unit);
  *k = floor_div(ns, u);
  *integral = ns - *k * u == 0;
  return 0;
}

/* Converts literal l for column c. For integer-like classes the result is a floor *k with
 * exactness (or overflow); otherwise v is filled. */
typedef struct conv {
  i128 k;
  bool integral;
  int overflow;
  bool nan;
} conv_t;

static int hexval(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = tolower(c);
  return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static int convert(binder_t *bd, const bcol_t *c, const plit_t *l, conv_t *cv, bval_t *v) {
  memset(cv, 0, sizeof(*cv));
  memset(v, 0, sizeof(*v));
  cv->integral = true;
  switch (c->vc) {
    case VC_BOOL: {
      if (l->kind == LIT_BOOL) v->i = l->b;
      else if (l->kind == LIT_NUMBER && (!strcmp(l->text, "0") || !strcmp(l->text, "1"))) v->i = l->text[0] == '1';
      else if (l->kind == LIT_STRING && (!strcasecmp(l->text, "true") || !strcasecmp(l->text, "t") || !strcmp(l->text, "1")))
        v->i = 1;
      else if (l->kind == LIT_STRING && (!strcasecmp(l->text, "false") || !strcasecmp(l->text, "f") || !strcmp(l->text, "0")))
        v->i = 0;
      else return lit_err(bd, c, l, "not a boolean (true or false)");
      cv->k = v->i;
      return 0;
    }
    case VC_I64: case VC_U64: case VC_DEC: {
      if (l->kind == LIT_BOOL) return lit_err(bd, c, l, "a boolean is not a number");
      if (l->kind == LIT_STRING && is_temporal(c->type.type)) return temporal_value(bd, c, l, &cv->k, &cv->integral);
      dnum_t d;
      if (!dnum_parse(l->text, &d)) return lit_err(bd, c, l, "not a number");
      dnum_scaled(&d, c->vc == VC_DEC ? c->type.scale : 0, &cv->k, &cv->integral, &cv->overflow);
      return 0;
    }
    case VC_F64: {
      if (l->kind == LIT_BOOL) return lit_err(bd, c, l, "a boolean is not a number");
      const char *s = l->text;
      while (*s == ' ') s++;
      char sign = *s == '-' || *s == '+' ? *s++ : 0;
      if (l->kind == LIT_STRING && !strcasecmp(s, "nan") && !sign) {
        v->d = NAN;
        cv->nan = true;
        return 0;
      }
      if (l->kind == LIT_STRING && (!strcasecmp(s, "inf") || !strcasecmp(s, "infinity"))) {
        v->d = sign == '-' ? -INFINITY : INFINITY;
        return 0;
      }
      dnum_t d;
      if (!dnum_parse(l->text, &d)) return lit_err(bd, c, l, "not a number");
      /* DuckDB: a literal without exponent (DECIMAL) is cast to the column's type; with one it is a DOUBLE */
      bool single = c->type.type != PRESTIGE_ARROW_DOUBLE && !d.has_exp;
      v->d = single ? (double)strtof(l->text, NULL) : strtod(l->text, NULL);
      return 0;
    }
    case VC_BYTES: {
      if (l->kind != LIT_STRING) return lit_err(bd, c, l, "quote the value ('...')");
      size_t n = strlen(l->text);
      v->bytes = malloc(n ? n : 1);
      if (!v->bytes) return prestige_error_set(bd->err, PRESTIGE_ENOMEM, "out of memory");
      bool binary = c->type.type == PRESTIGE_ARROW_BINARY || c->type.type == PRESTIGE_ARROW_LARGE_BINARY ||
                    c->type.type == PRESTIGE_ARROW_FIXED_SIZE_BINARY;
      size_t o = 0;
      for (size_t i = 0; i < n; i++) { /* DuckDB's BLOB literals: \xHH is one byte */
        if (binary && l->text[i] == '\\' && i + 3 < n && (l->text[i + 1] == 'x' || l->text[i + 1] == 'X') &&
            hexval((unsigned char)l->text[i + 2]) >= 0 && hexval((unsigned char)l->text[i + 3]) >= 0) {
          v->bytes[o++] = (uint8_t)(hexval((unsigned char)l->text[i + 2]) * 16 + hexval((unsigned char)l->text[i + 3]));
          i += 3;
        } else {
          v->bytes[o++] = (uint8_t)l->text[i];
        }
      }
      v->len = (int64_t)o;
      return 0;
    }
    default: return lit_err(bd, c, l, "the column's type has no comparisons here");
  }
}

static void bnode_free(bnode_t *n) {
  if (!n) return;
  bnode_free(n->l);
  bnode_free(n->r);
  for (int32_t i = 0; i < n->n_vals; i++) free(n->vals[i].bytes);
  free(n->vals);
  free(n);
}

static void set_int(const bcol_t *c, bval_t *v, i128 k) {
  if (c->vc == VC_U64) v->u = (uint64_t)k;
  else if (c->vc == VC_DEC) v->dec = k;
  else v->i = (int64_t)k;
}

static int make_const(bnode_t *n, bool value) {
  for (int32_t i = 0; i < n->n_vals; i++) free(n->vals[i].bytes);
  free(n->vals);
  n->vals = NULL;
  n->n_vals = 0;
  n->kind = PN_CONST;
  n->const_value = value;
  return 0;
}

static int bind_cmp(binder_t *bd, const pnode_t *pn, bnode_t *n) {
  const bcol_t *c = &bd->b->cols[n->col];
  if (c->vc == VC_NONE) {
    if (c->type.type == PRESTIGE_ARROW_NA) return make_const(n, false); /* every value is null */
    return lit_err(bd, c, &pn->lits[0], "only IS [NOT] NULL applies to this column");
  }
  int32_t nl = pn->n_lits;
  n->vals = calloc((size_t)(nl ? nl : 1), sizeof(bval_t));
  if (!n->vals) return prestige_error_set(bd->err, PRESTIGE_ENOMEM, "out of memory");
  bool is_int = c->vc == VC_I64 || c->vc == VC_U64 || c->vc == VC_DEC;
  i128 lo = 0, hi = 0;
  if (is_int) int_range(c, &lo, &hi);
  if (pn->kind == PN_IN) {
    for (int32_t i = 0; i < nl; i++) {
      conv_t cv;
      bval_t v;
      PRESTIGE_TRY(convert(bd, c, &pn->lits[i], &cv, &v));
      if (cv.nan) {
        n->has_nan = true;
        continue;
      }
      if (is_int) {
        cmp_op_t op = OP_EQ;
        if (int_normalize(&op, &cv.k, cv.integral, cv.overflow, lo, hi) == 0) continue; /* can never be equal */
        set_int(c, &v, cv.k);
      }
      n->vals[n->n_vals++] = v;
    }
    if (n->n_vals == 0 && !n->has_nan) return make_const(n, false);
    return 0;
  }
  conv_t cv;
  PRESTIGE_TRY(convert(bd, c, &pn->lits[0], &cv, &n->vals[0]));
  n->n_vals = 1;
  if (cv.nan) { /* NaN is the greatest value and equals itself */
    switch (n->op) {
      case OP_EQ: case OP_GE: n->op = OP_ISNAN; break;
      case OP_NE: case OP_LT: n->op = OP_NOTNAN; break;
      case OP_LE: return make_const(n, true);
      default: return make_const(n, false); /* GT */
    }
    return 0;
  }
  if (is_int) {
    int r = int_normalize(&n->op, &cv.k, cv.integral, cv.overflow, lo, hi);
    if (r >= 0) return make_const(n, r == 1);
    set_int(c, &n->vals[0], cv.k);
  }
  return 0;
}

static int bind_node(binder_t *bd, const pnode_t *pn, bnode_t **out) {
  bnode_t *n = calloc(1, sizeof(*n));
  *out = n;
  if (!n) return prestige_error_set(bd->err, PRESTIGE_ENOMEM, "out of memory");
  n->kind = pn->kind;
  n->op = pn->op;
  n->col = pn->col;
  switch (pn->kind) {
    case PN_AND: case PN_OR:
      PRESTIGE_TRY(bind_node(bd, pn->l, &n->l));
      return bind_node(bd, pn->r, &n->r);
    case PN_NOT: return bind_node(bd, pn->l, &n->l);
    case PN_CMP: case PN_IN: return bind_cmp(bd, pn, n);
    default: return 0; /* IS [NOT] NULL */
  }
}

static vclass_t value_class(prestige_arrow_type_t t) {
  switch (t) {
    case PRESTIGE_ARROW_BOOL: return VC_BOOL;
    case PRESTIGE_ARROW_INT8: case PRESTIGE_ARROW_INT16: case PRESTIGE_ARROW_INT32: case PRESTIGE_ARROW_INT64:
    case PRESTIGE_ARROW_DATE32: case PRESTIGE_ARROW_DATE64: case PRESTIGE_ARROW_TIME32: case PRESTIGE_ARROW_TIME64:
    case PRESTIGE_ARROW_TIMESTAMP: case PRESTIGE_ARROW_DURATION:
      return VC_I64;
    case PRESTIGE_ARROW_UINT8: case PRESTIGE_ARROW_UINT16: case PRESTIGE_ARROW_UINT32: case PRESTIGE_ARROW_UINT64:
      return VC_U64;
    case PRESTIGE_ARROW_HALF_FLOAT: case PRESTIGE_ARROW_FLOAT: case PRESTIGE_ARROW_DOUBLE: return VC_F64;
    case PRESTIGE_ARROW_STRING: case PRESTIGE_ARROW_LARGE_STRING: case PRESTIGE_ARROW_BINARY:
    case PRESTIGE_ARROW_LARGE_BINARY: case PRESTIGE_ARROW_FIXED_SIZE_BINARY:
      return VC_BYTES;
    case PRESTIGE_ARROW_DECIMAL128: return VC_DEC;
    default: return VC_NONE;
  }
}

/* Resolves a dotted path through struct fields; a field name may itself hold dots (the longest
 * matching name wins). */
static int resolve(binder_t *bd, const char *path, bcol_t *c) {
  const struct ArrowSchema *s = &bd->b->schema;
  const char *rest = path;
  int32_t cap = 4;
  c->idx = malloc((size_t)cap * sizeof(int32_t));
  if (!c->idx) return prestige_error_set(bd->err, PRESTIGE_ENOMEM, "out of memory");
  for (;;) {
    if (strcmp(s->format, "+s") != 0)
      return prestige_error_set(bd->err, PRESTIGE_EINVAL,
                                "filter \"%s\": column \"%s\": \"%.*s\" is a %s, not a struct; a path can only reach "
                                "into struct fields",
                                bd->p->text, path, (int)(rest - path - 1), path, s->format);
    int64_t best = -1;
    size_t best_len = 0;
    for (int64_t i = 0; i < s->n_children; i++) {
      const char *name = s->children[i]->name ? s->children[i]->name : "";
      size_t len = strlen(name);
      if (len >= best_len && !strncmp(rest, name, len) && (rest[len] == 0 || rest[len] == '.')) best = i, best_len = len;
    }
    if (best < 0) {
      char names[512] = "";
      size_t o = 0;
      for (int64_t i = 0; i < s->n_children && o < sizeof(names) - 8; i++)
        o += (size_t)snprintf(names + o, sizeof(names) - o, "%s%s", i ? ", " : "",
                              s->children[i]->name ? s->children[i]->name : "");
      if (o >= sizeof(names) - 8) snprintf(names + sizeof(names) - 8, 8, ", ...");
      if (rest == path)
        return prestige_error_set(bd->err, PRESTIGE_EINVAL, "filter \"%s\": no column \"%s\" (the columns are %s)",
                                  bd->p->text, path, names);
      return prestige_error_set(bd->err, PRESTIGE_EINVAL, "filter \"%s\": no column \"%s\": \"%.*s\" has the fields %s",
                                bd->p->text, path, (int)(rest - path - 1), path, names);
    }
    if (c->depth == cap) {
      int32_t *g = realloc(c->idx, (size_t)(cap *= 2) * sizeof(int32_t));
      if (!g) return prestige_error_set(bd->err, PRESTIGE_ENOMEM, "out of memory");
      c->idx = g;
    }
    c->idx[c->depth++] = (int32_t)best;
    s = s->children[best];
    rest += best_len;
    if (!*rest) break;
    rest++;
  }
  c->schema = s;
  if (s->dictionary) {
    c->dict_owner = s;
    c->schema = s->dictionary;
    if (prestige_arrow_type_parse(s->format, &c->index_type, NULL) ||
        c->index_type.type < PRESTIGE_ARROW_INT8 || c->index_type.type > PRESTIGE_ARROW_UINT64)
      return prestige_error_set(bd->err, PRESTIGE_EINVAL, "filter \"%s\": column \"%s\": dictionary indices of type %s",
                                bd->p->text, path, s->format);
  }
  if (prestige_arrow_type_parse(c->schema->format, &c->type, NULL) || c->schema->dictionary) {
    c->type.type = PRESTIGE_ARROW_STRUCT; /* something only null tests apply to */
    c->vc = VC_NONE;
    return 0;
  }
  c->vc = value_class(c->type.type);
  return 0;
}

void prestige_bound_predicate_free(prestige_bound_predicate_t *b) {
  if (!b) return;
  bnode_free(b->root);
  for (int64_t i = 0; b->cols && i < b->n_cols; i++) {
    free(b->cols[i].path);
    free(b->cols[i].idx);
  }
  free(b->cols);
  prestige_schema_release(&b->schema);
  free(b);
}

int prestige_predicate_bind(const prestige_predicate_t *p, const struct ArrowSchema *schema,
                            prestige_bound_predicate_t **out, prestige_error_t *err) {
  *out = NULL;
  if (!p || !schema || !schema->format || strcmp(schema->format, "+s") != 0)
    return prestige_error_set(err, PRESTIGE_EINVAL, "filter: binding needs a predicate and a struct schema");
  prestige_bound_predicate_t *b = calloc(1, sizeof(*b));
  if (!b) return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
  int rc = prestige_schema_copy(&b->schema, schema, err);
  if (rc) {
    free(b);
    return rc;
  }
  binder_t bd = {p, b, err};
  b->cols = calloc((size_t)(p->n_columns ? p->n_columns : 1), sizeof(bcol_t));
  if (!b->cols) rc = prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
  for (int64_t i = 0; !rc && i < p->n_columns; i++) {
    b->n_cols = i + 1;
    b->cols[i].path = strdup(p->columns[i]);
    rc = b->cols[i].path ? resolve(&bd, p->columns[i], &b->cols[i]) : prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
  }
  if (!rc) rc = bind_node(&bd, p->root, &b->root);
  if (rc) {
    prestige_bound_predicate_free(b);
    return rc;
  }
  *out = b;
  return 0;
}

int64_t prestige_bound_predicate_column_count(const prestige_bound_predicate_t *b) { return b ? b->n_cols : 0; }

const char *prestige_bound_predicate_column(const prestige_bound_predicate_t *b, int64_t i) {
  return b && i >= 0 && i < b->n_cols ? b->cols[i].path : NULL;
}

const struct ArrowSchema *prestige_bound_predicate_column_schema(const prestige_bound_predicate_t *b, int64_t i) {
  return b && i >= 0 && i < b->n_cols ? b->cols[i].schema : NULL;
}
