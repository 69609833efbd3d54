#include "core/json_load.h"

#include <stdlib.h>
#include <string.h>

static bool looks_oom(const json_error_t *je) {
  return json_error_code(je) == json_error_out_of_memory || je->line < 0 || je->text[0] == '\0';
}

json_t *json_loadb_checked(const char *text, size_t len, size_t flags, json_error_t *je, bool *oom) {
  *oom = false;
  json_t *j = json_loadb(text, len, flags, je);
  if (j) return j;
  json_error_t again;
  j = json_loadb(text, len, flags, &again);
  if (j) return j; /* the first failure was not the text's */
  if (looks_oom(je) || looks_oom(&again) || je->position != again.position || strcmp(je->text, again.text) != 0) *oom = true;
  return NULL;
}

char *json_dumps_checked(const json_t *j, size_t flags) {
  char *s = json_dumps(j, flags);
  if (!s) return NULL;
  json_error_t je;
  json_t *back = json_loads(s, JSON_DECODE_ANY, &je);
  if (!back) {
    free(s);
    return NULL;
  }
  json_decref(back);
  return s;
}
