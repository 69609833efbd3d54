/* UTF-8 validation on the hot paths (CSV fields, typed records' strings): Parquet's STRING
 * annotation promises UTF-8, and readers such as DuckDB refuse a file that breaks it. */
#ifndef PRESTIGE_CORE_UTF8_H
#define PRESTIGE_CORE_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Offset of the first byte that does not start a well-formed UTF-8 sequence (RFC 3629: no
 * overlong forms, no surrogates, nothing above U+10FFFF, no truncated sequence), or n when all
 * n bytes are valid. ASCII runs are checked 8 bytes at a time. */
size_t utf8_check(const uint8_t *s, size_t n);

/* Decodes the code point starting at p (valid UTF-8 assumed; a truncated sequence decodes as
 * U+FFFD of one byte) into *cp (may be NULL); returns its byte length (1 to 4, at most n). */
size_t utf8_decode(const uint8_t *p, size_t n, uint32_t *cp);
/* Encodes cp (at most U+10FFFF) into o (4 bytes of room); returns the byte length. */
size_t utf8_encode(uint32_t cp, uint8_t *o);

#endif
