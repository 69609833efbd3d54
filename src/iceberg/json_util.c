/* Typed jansson getters with errors that name the document and field: see json_util.h. */
#include "iceberg/json_util.h"

#include <stdarg.h>
#include <stdio.h>

int ju_fail(const ju_t *j, const char *ctx, const char *fmt, ...) {
  char msg[768];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  if (ctx && *ctx) return prestige_error_set(j->err, j->code, "%s: %s: %s", j->what, ctx, msg);
  return prestige_error_set(j->err, j->code, "%s: %s", j->what, msg);
}

static const json_t *member(const ju_t *j, const json_t *o, const char *key, const char *ctx, int *rc) {
  const json_t *v = json_is_object(o) ? json_object_get(o, key) : NULL;
  if (!v) *rc = ju_fail(j, ctx, "required field \"%s\" is missing", key);
  return v;
}

int ju_i64(const ju_t *j, const json_t *o, const char *key, const char *ctx, int64_t *out) {
  int rc = 0;
  const json_t *v = member(j, o, key, ctx, &rc);
  if (!v) return rc;
  if (!json_is_integer(v)) return ju_fail(j, ctx, "\"%s\" must be an integer", key);
  *out = (int64_t)json_integer_value(v);
  return 0;
}

int ju_i32(const ju_t *j, const json_t *o, const char *key, const char *ctx, int32_t *out) {
  int64_t x = 0;
  PRESTIGE_TRY(ju_i64(j, o, key, ctx, &x));
  if (x < INT32_MIN || x > INT32_MAX) return ju_fail(j, ctx, "\"%s\" is out of range for an int: %lld", key, (long long)x);
  *out = (int32_t)x;
  return 0;
}

int ju_str(const ju_t *j, const json_t *o, const char *key, const char *ctx, const char **out) {
  int rc = 0;
  const json_t *v = member(j, o, key, ctx, &rc);
  if (!v) return rc;
  if (!json_is_string(v)) return ju_fail(j, ctx, "\"%s\" must be a string", key);
  *out = json_string_value(v);
  return 0;
}

int ju_bool(const ju_t *j, const json_t *o, const char *key, const char *ctx, bool *out) {
  int rc = 0;
  const json_t *v = member(j, o, key, ctx, &rc);
  if (!v) return rc;
  if (!json_is_boolean(v)) return ju_fail(j, ctx, "\"%s\" must be a boolean", key);
  *out = json_is_true(v);
  return 0;
}

int ju_opt_i64(const ju_t *j, const json_t *o, const char *key, const char *ctx, bool *has, int64_t *out) {
  const json_t *v = json_object_get(o, key);
  *has = false;
  if (!v || json_is_null(v)) return 0;
  if (!json_is_integer(v)) return ju_fail(j, ctx, "\"%s\" must be an integer", key);
  *has = true;
  *out = (int64_t)json_integer_value(v);
  return 0;
}

int ju_opt_i32(const ju_t *j, const json_t *o, const char *key, const char *ctx, bool *has, int32_t *out) {
  int64_t x = 0;
  PRESTIGE_TRY(ju_opt_i64(j, o, key, ctx, has, &x));
  if (*has && (x < INT32_MIN || x > INT32_MAX))
    return ju_fail(j, ctx, "\"%s\" is out of range for an int: %lld", key, (long long)x);
  *out = (int32_t)x;
  return 0;
}

int ju_opt_str(const ju_t *j, const json_t *o, const char *key, const char *ctx, const char **out) {
  const json_t *v = json_object_get(o, key);
  *out = NULL;
  if (!v || json_is_null(v)) return 0;
  if (!json_is_string(v)) return ju_fail(j, ctx, "\"%s\" must be a string", key);
  *out = json_string_value(v);
  return 0;
}

int ju_opt_array(const ju_t *j, const json_t *o, const char *key, const char *ctx, const json_t **out) {
  const json_t *v = json_object_get(o, key);
  *out = NULL;
  if (!v || json_is_null(v)) return 0;
  if (!json_is_array(v)) return ju_fail(j, ctx, "\"%s\" must be an array", key);
  *out = v;
  return 0;
}

int ju_opt_object(const ju_t *j, const json_t *o, const char *key, const char *ctx, const json_t **out) {
  const json_t *v = json_object_get(o, key);
  *out = NULL;
  if (!v || json_is_null(v)) return 0;
  if (!json_is_object(v)) return ju_fail(j, ctx, "\"%s\" must be an object", key);
  *out = v;
  return 0;
}

int ju_set(json_t *o, const char *key, json_t *v) { return v ? json_object_set_new(o, key, v) : -1; }
int ju_append(json_t *a, json_t *v) { return v ? json_array_append_new(a, v) : -1; }
