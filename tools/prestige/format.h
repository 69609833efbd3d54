/* Text rendering of Arrow values for the CLI. */
#ifndef PRESTIGE_CLI_FORMAT_H
#define PRESTIGE_CLI_FORMAT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "prestige/arrow.h"

/* Element i (relative to a->offset) of array a as JSON: numbers, strings, ISO 8601 dates and
 * times, exact decimals as strings, binary as hex, lists as arrays, structs and maps as objects;
 * arrow.uuid as its 8-4-4-4-12 text, arrow.json as the document itself (a string when jansson
 * cannot parse it), intervals as DuckDB prints them ("1 year 2 months 3 days 04:05:06.789"). */
json_t *cli_json_value(const struct ArrowArray *a, const struct ArrowSchema *s, int64_t i);
/* Writes v as one CSV field (strings quoted when needed, nested values as JSON text, NULL empty). */
void cli_csv_field(FILE *out, json_t *v);
/* Element i of array a as one CSV field: cli_json_value's text, except that an arrow.json value
 * is its JSON text as stored (as DuckDB writes it), so a JSON string keeps its quotes. */
void cli_csv_value(FILE *out, const struct ArrowArray *a, const struct ArrowSchema *s, int64_t i);

/* The rows of a stream on out as `prestige cat` prints them: one JSON object per line, or
 * CSV with a header (csv); at most limit rows (-1: all). A stream error is printed as
 * "prestige VERB: message" and gives CLI_USER_ERROR (1); else 0. *printed (may be NULL) gets the
 * rows printed. The stream is not released. */
int cli_print_rows(FILE *out, const char *verb, struct ArrowArrayStream *st, const struct ArrowSchema *schema, bool csv, int64_t limit,
                   int64_t *printed);

#endif
