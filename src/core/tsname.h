/*
 * Timestamped file names and object keys, one rule for the sink that writes them, the store that
 * lists them (prestige_list_files, prestige_key_timestamp_ms) and the uploader that turns a
 * local path into a key:
 *   "<dir>/<name>.<timestamp_ms><ext>"    (ext ".parquet", ".parquet.tmp", ...)
 *   key = <prefix><basename of the path>
 */
#ifndef PRESTIGE_CORE_TSNAME_H
#define PRESTIGE_CORE_TSNAME_H

#include <stddef.h>
#include <stdint.h>

/* Writes "<dir>/<name>.<ts><ext>" (no "<dir>/" when dir is NULL) into out; returns what
 * snprintf returns. */
int tsname_format(char *out, size_t n, const char *dir, const char *name, int64_t ts_ms, const char *ext);
/* The timestamp of a file name "<name>.<digits><ext>" (1 to 18 digits) for exactly this name
 * and ext, or -1. */
int64_t tsname_parse(const char *fname, const char *name, const char *ext);
/* The timestamp of any key whose last path part reads "<prefix>.<digits>.<ext>" (1 to 18
 * digits, the extension after the last dot), or -1. */
int64_t tsname_key_timestamp(const char *key);
/* malloc'd "<prefix><basename of path>" (prefix NULL: ""); NULL when out of memory. */
char *tsname_key_for_path(const char *prefix, const char *path);

#endif
