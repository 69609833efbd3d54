/*
 * prestige/api.h — marks the public API. The library is built with hidden visibility, so only
 * declarations carrying PRESTIGE_API are exported from libprestige.so; everything else in src/
 * stays internal however it is named (zstd's ZSTDLIB_API does the same).
 *
 * Declaring an options struct (libgit2's convention, include/prestige/iceberg_catalog.h shows it):
 *   - its first member is `unsigned int version;`, with `#define PRESTIGE_<NAME>_VERSION 1` above
 *     the struct, raised when a field is added (fields are only ever added at the end);
 *   - `#define PRESTIGE_<NAME>_INIT { .version = PRESTIGE_<NAME>_VERSION, <every default> }`, using
 *     the inner struct's INIT for a nested options struct, so that callers write
 *     `prestige_<name>_t o = PRESTIGE_<NAME>_INIT;` and then set fields;
 *   - an `_init(prestige_<name>_t *)` function, if there is one, does exactly what the macro does;
 *   - the entry point taking it checks the version first (EINVAL naming the struct, via
 *     src/core/options.h's OPTIONS_CHECK_VERSION) and then every field (EINVAL naming the field):
 *     no value is clamped or silently replaced.
 * Every function taking `prestige_error_t *err` accepts NULL and returns the real code anyway
 * (library code starts with PRESTIGE_ERR_LOCAL(err)), and documents who owns what it takes when it
 * fails, and which threads may call it.
 */
#ifndef PRESTIGE_API_H
#define PRESTIGE_API_H

#if defined(_WIN32) || defined(__CYGWIN__)
#if defined(PRESTIGE_BUILDING_DLL)
#define PRESTIGE_API __declspec(dllexport)
#else
#define PRESTIGE_API
#endif
#elif defined(__GNUC__) || defined(__clang__)
#define PRESTIGE_API __attribute__((visibility("default")))
#else
#define PRESTIGE_API
#endif

#endif /* PRESTIGE_API_H */
