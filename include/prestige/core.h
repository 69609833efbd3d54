/*
 * prestige/core.h — process-wide pieces shared by every component: the shutdown token
 * that stops sinks, pollers and schedulers together, the log hook, and the clock.
 *
 * The library never prints. Install a log callback to see what it would have said:
 *
 *   static void on_log(void *ud, prestige_log_level_t lvl, const char *msg) {
 *     fprintf(stderr, "[%s] %s\n", prestige_log_level_name(lvl), msg);
 *   }
 *   prestige_log_set_callback(on_log, NULL, PRESTIGE_LOG_INFO);
 *
 *   prestige_shutdown_t *stop = prestige_shutdown_new();
 *   // pass `stop` to sinks and pollers (options .shutdown); from a signal-handling thread:
 *   prestige_shutdown_trigger(stop);
 *   // join the components, then:
 *   prestige_shutdown_free(stop);
 */
#ifndef PRESTIGE_CORE_H
#define PRESTIGE_CORE_H

#include "prestige/api.h"

#include <stdbool.h>
#include <stdint.h>

#include "prestige/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PRESTIGE_VERSION_STRING "0.1.0"
PRESTIGE_API const char *prestige_version(void);

/* ---- shutdown token ------------------------------------------------------------------ */
typedef struct prestige_shutdown prestige_shutdown_t;

PRESTIGE_API prestige_shutdown_t *prestige_shutdown_new(void);            /* NULL on out-of-memory */
PRESTIGE_API void prestige_shutdown_free(prestige_shutdown_t *s);
PRESTIGE_API void prestige_shutdown_trigger(prestige_shutdown_t *s);      /* idempotent, thread-safe */
PRESTIGE_API bool prestige_shutdown_triggered(const prestige_shutdown_t *s);
/* Sleeps up to timeout_ms (or until triggered). Returns true when triggered. */
PRESTIGE_API bool prestige_shutdown_wait(prestige_shutdown_t *s, int64_t timeout_ms);

/* ---- logging --------------------------------------------------------------------------- */
typedef enum prestige_log_level {
  PRESTIGE_LOG_DEBUG = 0,
  PRESTIGE_LOG_INFO = 1,
  PRESTIGE_LOG_WARN = 2,
  PRESTIGE_LOG_ERROR = 3,
  PRESTIGE_LOG_OFF = 4
} prestige_log_level_t;

typedef void (*prestige_log_fn)(void *user_data, prestige_log_level_t level, const char *message);

/* Installs the process-wide log callback (NULL removes it) and the minimum level passed to it.
 * Default: no callback, nothing logged. */
PRESTIGE_API void prestige_log_set_callback(prestige_log_fn fn, void *user_data, prestige_log_level_t min_level);
PRESTIGE_API const char *prestige_log_level_name(prestige_log_level_t level);

/* ---- clock ----------------------------------------------------------------------------- */
PRESTIGE_API int64_t prestige_now_ms(void);        /* wall clock, Unix epoch milliseconds */
PRESTIGE_API int64_t prestige_monotonic_ns(void);  /* monotonic clock for durations */
/* Epoch milliseconds of an ISO 8601 UTC time ("2024-11-20", "2024-11-20T10:00:00Z",
 * "2024-11-20T10:00:00.123Z") or an HTTP date ("Wed, 20 Nov 2024 10:00:00 GMT"); -1 if malformed. */
PRESTIGE_API int64_t prestige_time_parse_ms(const char *s);

#ifdef __cplusplus
}
#endif

#endif /* PRESTIGE_CORE_H */
