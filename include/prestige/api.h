/*
 * prestige/api.h — marks the public API. The library is built with hidden visibility, so only
 * declarations carrying PRESTIGE_API are exported from libprestige.so; everything else in src/
 * stays internal however it is named (zstd's ZSTDLIB_API does the same).
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
