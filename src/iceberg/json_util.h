/*
 * Typed getters over jansson objects for the Iceberg JSON parsers. Every failure names the
 * document (what: a file path, "update add-schema"), the object it sits in (ctx) and the
 * field, with the code the caller chose (ECORRUPT for files, EINVAL for requests).
 */
#ifndef PRESTIGE_ICEBERG_JSON_UTIL_H
#define PRESTIGE_ICEBERG_JSON_UTIL_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "prestige/error.h"

typedef struct ju {
  const char *what; /* the document */
  int code;         /* PRESTIGE_ECORRUPT or PRESTIGE_EINVAL */
  prestige_error_t *err;
} ju_t;

int ju_fail(const ju_t *j, const char *ctx, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Required members: missing or mistyped → error. */
int ju_i64(const ju_t *j, const json_t *o, const char *key, const char *ctx, int64_t *out);
int ju_i32(const ju_t *j, const json_t *o, const char *key, const char *ctx, int32_t *out);
int ju_str(const ju_t *j, const json_t *o, const char *key, const char *ctx, const char **out);
int ju_bool(const ju_t *j, const json_t *o, const char *key, const char *ctx, bool *out);
/* Optional members: absent or null → *has = false. */
int ju_opt_i64(const ju_t *j, const json_t *o, const char *key, const char *ctx, bool *has, int64_t *out);
int ju_opt_i32(const ju_t *j, const json_t *o, const char *key, const char *ctx, bool *has, int32_t *out);
int ju_opt_str(const ju_t *j, const json_t *o, const char *key, const char *ctx, const char **out);
/* A member that must be an array / object when present (absent: *out = NULL). */
int ju_opt_array(const ju_t *j, const json_t *o, const char *key, const char *ctx, const json_t **out);
int ju_opt_object(const ju_t *j, const json_t *o, const char *key, const char *ctx, const json_t **out);

/* json_object_set_new that reports failure (returns nonzero when v is NULL or on ENOMEM). */
int ju_set(json_t *o, const char *key, json_t *v);
int ju_append(json_t *a, json_t *v);

#endif
