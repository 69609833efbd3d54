/* Partition specs and sort orders from text (see spec_text.h). */
#include "iceberg/spec_text.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define TERM_MAX 512

/* The next comma-separated term outside parentheses, trimmed, into term. Returns the position
 * after it, or NULL at the end. */
static const char *next_term(const char *p, char *term, size_t cap, bool *too_long) {
  *too_long = false;
  if (!p) return NULL;
  while (*p == ',' || isspace((unsigned char)*p)) p++;
  if (!*p) return NULL;
  const char *start = p;
  int depth = 0;
  for (; *p && (depth > 0 || *p != ','); p++) {
    if (*p == '(') depth++;
    else if (*p == ')' && depth > 0) depth--;
  }
  size_t n = (size_t)(p - start);
  while (n && isspace((unsigned char)start[n - 1])) n--;
  if (n >= cap) {
    *too_long = true;
    n = cap - 1;
  }
  memcpy(term, start, n);
  term[n] = 0;
  return p;
}

static char *trim(char *s) {
  while (isspace((unsigned char)*s)) s++;
  size_t n = strlen(s);
  while (n && isspace((unsigned char)s[n - 1])) s[--n] = 0;
  return s;
}

typedef struct parsed_term {
  ice_transform_t transform;
  const ice_field_t *column;
  char column_name[TERM_MAX];
} parsed_term_t;

static int parse_count(const char *what, const char *term, const char *s, int32_t *out, prestige_error_t *err) {
  char *end;
  long long v = strtoll(s, &end, 10);
  if (!*s || *trim(end) || v <= 0 || v > INT32_MAX)
    return prestige_error_set(err, PRESTIGE_EINVAL, "%s \"%s\": \"%s\" is not a positive count", what, term, s);
  *out = (int32_t)v;
  return 0;
}

/* "c" or "fn(c)" / "bucket(N,c)" / "truncate(W,c)". */
static int parse_term(const char *what, const char *term, const ice_schema_t *schema, parsed_term_t *out, prestige_error_t *err) {
  memset(out, 0, sizeof *out);
  char buf[TERM_MAX];
  snprintf(buf, sizeof buf, "%s", term);
  char *open = strchr(buf, '('), *col = buf;
  out->transform.kind = ICE_T_IDENTITY;
  if (open) {
    char *close = strrchr(buf, ')');
    if (!close || close < open || *trim(close + 1))
      return prestige_error_set(err, PRESTIGE_EINVAL, "%s \"%s\": unbalanced parentheses", what, term);
    *open = 0;
    *close = 0;
    char *fn = trim(buf), *args = trim(open + 1);
    static const struct {
      const char *name;
      ice_transform_kind_t kind;
      bool param;
    } fns[] = {{"identity", ICE_T_IDENTITY, false}, {"year", ICE_T_YEAR, false},         {"years", ICE_T_YEAR, false},
               {"month", ICE_T_MONTH, false},       {"months", ICE_T_MONTH, false},      {"day", ICE_T_DAY, false},
               {"days", ICE_T_DAY, false},          {"hour", ICE_T_HOUR, false},         {"hours", ICE_T_HOUR, false},
               {"bucket", ICE_T_BUCKET, true},      {"truncate", ICE_T_TRUNCATE, true}, {"void", ICE_T_VOID, false}};
    int k = -1;
    for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++)
      if (!strcasecmp(fn, fns[i].name)) k = (int)i;
    if (k < 0)
      return prestige_error_set(err, PRESTIGE_EINVAL,
                                "%s \"%s\": unknown transform \"%s\" (identity, year, month, day, hour, bucket(N,c), "
                                "truncate(W,c), void)",
                                what, term, fn);
    out->transform.kind = fns[k].kind;
    if (fns[k].param) {
      char *comma = strchr(args, ',');
      if (!comma)
        return prestige_error_set(err, PRESTIGE_EINVAL, "%s \"%s\": %s takes a count and a column: %s(N,column)", what, term,
                                  fns[k].name, fns[k].name);
      *comma = 0;
      PRESTIGE_TRY(parse_count(what, term, trim(args), &out->transform.param, err));
      col = trim(comma + 1);
    } else {
      if (strchr(args, ','))
        return prestige_error_set(err, PRESTIGE_EINVAL, "%s \"%s\": %s takes one column", what, term, fns[k].name);
      col = args;
    }
  }
  col = trim(col);
  if (!*col) return prestige_error_set(err, PRESTIGE_EINVAL, "%s \"%s\": no column named", what, term);
  for (const char *c = col; *c; c++)
    if (isspace((unsigned char)*c) || *c == '(' || *c == ')')
      return prestige_error_set(err, PRESTIGE_EINVAL, "%s \"%s\": \"%s\" is not a column name", what, term, col);
  out->column = ice_schema_find_name(schema, col);
  if (!out->column) return prestige_error_set(err, PRESTIGE_EINVAL, "%s \"%s\": no column \"%s\" in the schema", what, term, col);
  snprintf(out->column_name, sizeof out->column_name, "%s", col);
  return 0;
}

static bool blank(const char *s) {
  if (!s) return true;
  while (isspace((unsigned char)*s)) s++;
  return !*s;
}

int ice_partition_spec_parse(const char *text, const ice_schema_t *schema, ice_partition_spec_t **out, prestige_error_t *err) {
  *out = NULL;
  ice_partition_spec_t *spec;
  PRESTIGE_TRY(ice_partition_spec_new(0, &spec, err));
  int rc = 0;
  char term[TERM_MAX];
  bool too_long;
  for (const char *p = blank(text) ? NULL : text; !rc && (p = next_term(p, term, sizeof term, &too_long));) {
    if (too_long) {
      rc = prestige_error_set(err, PRESTIGE_EINVAL, "partition term \"%.40s...\" is too long", term);
      break;
    }
    parsed_term_t t;
    if ((rc = parse_term("partition", term, schema, &t, err))) break;
    static const char *const suffix[] = {"", "_bucket", "_trunc", "_year", "_month", "_day", "_hour", "_null"};
    char name[TERM_MAX + 16];
    snprintf(name, sizeof name, "%s%s", t.column_name, suffix[t.transform.kind]);
    rc = ice_partition_spec_add(spec, t.column->id, -1, name, &t.transform, err);
  }
  if (!rc) rc = ice_partition_spec_bind(spec, schema, err);
  if (rc) {
    ice_partition_spec_free(spec);
    return rc;
  }
  *out = spec;
  return 0;
}

/* Strips a trailing word (case-insensitive) from s; true when it was there. */
static bool strip_word(char *s, const char *word) {
  size_t n = strlen(s), w = strlen(word);
  if (n < w || strcasecmp(s + n - w, word)) return false;
  if (n > w && !isspace((unsigned char)s[n - w - 1])) return false;
  s[n - w] = 0;
  trim(s);
  n = strlen(s);
  while (n && isspace((unsigned char)s[n - 1])) s[--n] = 0;
  return true;
}

int ice_sort_order_parse(const char *text, const ice_schema_t *schema, ice_sort_order_t **out, prestige_error_t *err) {
  *out = NULL;
  ice_sort_order_t *order;
  PRESTIGE_TRY(ice_sort_order_new(blank(text) ? 0 : 1, &order, err));
  int rc = 0;
  char term[TERM_MAX];
  bool too_long;
  for (const char *p = blank(text) ? NULL : text; !rc && (p = next_term(p, term, sizeof term, &too_long));) {
    if (too_long) {
      rc = prestige_error_set(err, PRESTIGE_EINVAL, "sort term \"%.40s...\" is too long", term);
      break;
    }
    char expr[TERM_MAX];
    snprintf(expr, sizeof expr, "%s", term);
    int nulls = -1;
    if (strip_word(expr, "first")) {
      if (!strip_word(expr, "nulls")) {
        rc = prestige_error_set(err, PRESTIGE_EINVAL, "sort \"%s\": \"first\" without \"nulls\"", term);
        break;
      }
      nulls = ICE_NULLS_FIRST;
    } else if (strip_word(expr, "last")) {
      if (!strip_word(expr, "nulls")) {
        rc = prestige_error_set(err, PRESTIGE_EINVAL, "sort \"%s\": \"last\" without \"nulls\"", term);
        break;
      }
      nulls = ICE_NULLS_LAST;
    }
    ice_sort_direction_t dir = ICE_SORT_ASC;
    if (strip_word(expr, "desc")) dir = ICE_SORT_DESC;
    else strip_word(expr, "asc");
    if (nulls < 0) nulls = dir == ICE_SORT_ASC ? ICE_NULLS_FIRST : ICE_NULLS_LAST;
    parsed_term_t t;
    if ((rc = parse_term("sort", expr, schema, &t, err))) break;
    rc = ice_sort_order_add(order, t.column->id, &t.transform, dir, (ice_null_order_t)nulls, err);
  }
  if (!rc) rc = ice_sort_order_bind(order, schema, err);
  if (rc) {
    ice_sort_order_free(order);
    return rc;
  }
  *out = order;
  return 0;
}
