/* JSON text whose reals are the shortest text that reads back as the same double (28.81, not
 * jansson's 17 digits 28.809999999999999), so a value printed or kept as text means what its
 * reader will parse. */
#ifndef PRESTIGE_CORE_JSON_TEXT_H
#define PRESTIGE_CORE_JSON_TEXT_H
#include <jansson.h>
#include <stddef.h>

/* x as the shortest %g text that strtod reads back as x, with ".0" when it would look like an
 * integer (20.0); n >= 32 holds any. */
void json_real_text(double x, char *out, size_t n);
/* Compact JSON text of v (malloc'd; NULL when out of memory), object keys in insertion order,
 * reals as json_real_text writes them, everything else as jansson writes it. */
char *json_text_shortest(const json_t *v);

#endif
