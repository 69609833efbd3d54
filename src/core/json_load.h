/* json_loadb that tells an allocation failure from bad JSON. jansson 2.14 reports most allocation
 * failures inside its parser as syntax errors ("string or '}' expected", or line -1 with no text),
 * not as json_error_out_of_memory. A syntax error is deterministic, so the text is parsed a second
 * time when the first parse fails: if the second parse succeeds, its value is returned (the first
 * failure was an allocation); if it fails differently, or jansson says out of memory, or gives no
 * position, *oom is set. Only the error path pays for the second parse. */
#ifndef PRESTIGE_CORE_JSON_LOAD_H
#define PRESTIGE_CORE_JSON_LOAD_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

json_t *json_loadb_checked(const char *text, size_t len, size_t flags, json_error_t *je, bool *oom);

/* json_dumps that never returns malformed text: jansson 2.14 can return a string with a broken
 * key when an allocation fails while dumping (found by tests/core/test_oom). The text is parsed
 * back; NULL (out of memory) when that fails. */
char *json_dumps_checked(const json_t *j, size_t flags);

#endif
