/*
 * prestige/poller.h — file poller: watches a bucket (or a local directory) for new files named
 * <prefix>.<timestamp_ms>.<ext> (the sink's naming) and hands each new file to the consumer, in
 * timestamp order, through a bounded queue; and the state stores that make a restarted poller
 * neither skip nor repeat files.
 *
 *   prestige_store_t *bucket;
 *   if (prestige_store_open(&bucket, "s3://my-bucket/", NULL, &err)) return err.code;
 *   prestige_state_store_t *state;
 *   if (prestige_state_store_open(&state, "sqlite:/var/lib/app/poller.db", &err)) return err.code; // or "postgresql://..."
 *   prestige_poller_config_t c = PRESTIGE_POLLER_CONFIG_INIT;
 *   c.store = bucket; c.file_type = "sensor_data/"; c.poll_interval_ms = 60000;
 *   c.lookback = PRESTIGE_LOOKBACK_DURATION; c.lookback_ms = 24 * 3600 * 1000; c.process_name = "loader";
 *   prestige_poller_t *p;
 *   if (prestige_poller_start(&p, &c, state, &err)) return err.code;
 *   prestige_file_meta_t f;
 *   while (prestige_poller_next(p, &f, -1, &err) == 0) {
 *     printf("new file %s\n", f.key);
 *     prestige_poller_mark_processed(p, &f, "success", &err);   // at-least-once: unmarked files come again
 *     prestige_file_meta_clear(&f);
 *   }
 *   prestige_poller_free(p);
 *   prestige_state_store_free(state);
 *   prestige_store_free(bucket);
 *
 * Delivery is at-least-once: a file is delivered once per poller run, and again after a restart
 * unless it was marked processed. Several pollers with different process names share one store.
 * Metrics (labels process, prefix): prestige.file_poller.latency_ms (histogram: delivery time minus
 * the file's timestamp), prestige.file_poller.latest_timestamp_ms (gauge), and
 * prestige.file_poller.files_processed (counter, with status).
 */
#ifndef PRESTIGE_POLLER_H
#define PRESTIGE_POLLER_H

#include "prestige/api.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "prestige/core.h"
#include "prestige/error.h"
#include "prestige/store.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- state stores --------------------------------------------------------------------------- */

typedef struct prestige_state_store prestige_state_store_t;

/* "sqlite:PATH" (or a plain path) for the embedded SQLite store; "postgresql://..." or
 * "postgres://..." (or a libpq "host=... dbname=..." string) for PostgreSQL. The table
 * prestige_poller_state is created if missing. Thread-safe. */
PRESTIGE_API int prestige_state_store_open(prestige_state_store_t **out, const char *spec, prestige_error_t *err);
PRESTIGE_API void prestige_state_store_free(prestige_state_store_t *s);
/* Records that process handled key (timestamp ts) with status ("success", "failure", ...). */
PRESTIGE_API int prestige_state_store_mark(prestige_state_store_t *s, const char *process, const char *prefix, const char *key,
                                           int64_t ts, const char *status, prestige_error_t *err);
/* 1 when process has marked key, 0 when not. */
PRESTIGE_API int prestige_state_store_is_processed(prestige_state_store_t *s, const char *process, const char *prefix, const char *key,
                                                   prestige_error_t *err);
/* Highest timestamp process has marked for prefix (INT64_MIN when none). */
PRESTIGE_API int prestige_state_store_latest(prestige_state_store_t *s, const char *process, const char *prefix, int64_t *ts,
                                             prestige_error_t *err);

/* ---- poller ------------------------------------------------------------------------------------ */

typedef enum prestige_lookback {
  PRESTIGE_LOOKBACK_NONE = 0,      /* from the beginning (everything not processed) */
  PRESTIGE_LOOKBACK_DURATION = 1,  /* files no older than lookback_ms before the poller started */
  PRESTIGE_LOOKBACK_TIMESTAMP = 2  /* files from lookback_from_ms on */
} prestige_lookback_t;

#define PRESTIGE_POLLER_CONFIG_VERSION 1
typedef struct prestige_poller_config {
  unsigned int version;         /* PRESTIGE_POLLER_CONFIG_VERSION */
  prestige_store_t *store;      /* the bucket or local directory (required; must outlive the poller) */
  const char *file_type;        /* key prefix, e.g. "sensor_data/" (required) */
  int64_t poll_interval_ms;     /* default 60000 */
  prestige_lookback_t lookback; /* default NONE */
  int64_t lookback_ms;          /* DURATION */
  int64_t lookback_from_ms;     /* TIMESTAMP */
  const char *process_name;     /* default "default" */
  size_t queue_capacity;        /* files waiting for the consumer; default 1000 */
  prestige_shutdown_t *shutdown; /* optional shared token */
} prestige_poller_config_t;

#define PRESTIGE_POLLER_CONFIG_INIT                                                                       \
  {                                                                                                       \
    .version = PRESTIGE_POLLER_CONFIG_VERSION, .store = NULL, .file_type = NULL, .poll_interval_ms = 60000, \
    .lookback = PRESTIGE_LOOKBACK_NONE, .lookback_ms = 0, .lookback_from_ms = 0, .process_name = NULL,    \
    .queue_capacity = 1000, .shutdown = NULL                                                              \
  }

typedef struct prestige_poller prestige_poller_t;

/* Same as PRESTIGE_POLLER_CONFIG_INIT. */
PRESTIGE_API void prestige_poller_config_init(prestige_poller_config_t *c);
/* Starts the polling thread (the first poll happens at once). state may be NULL (no memory across
 * restarts). */
PRESTIGE_API int prestige_poller_start(prestige_poller_t **out, const prestige_poller_config_t *c, prestige_state_store_t *state,
                                       prestige_error_t *err);
/* Next new file (key, size, timestamp); ETIMEOUT after timeout_ms (< 0 waits), ESHUTDOWN once
 * stopped and drained. *file is owned by the caller (prestige_file_meta_clear). */
PRESTIGE_API int prestige_poller_next(prestige_poller_t *p, prestige_file_meta_t *file, int64_t timeout_ms, prestige_error_t *err);
PRESTIGE_API int prestige_poller_mark_processed(prestige_poller_t *p, const prestige_file_meta_t *file, const char *status,
                                                prestige_error_t *err);
/* One poll now, synchronously (what --once does); returns how many new files were queued. With
 * poll_interval_ms < 0 the poller has no thread and polls only when asked to. */
PRESTIGE_API int prestige_poller_poll_once(prestige_poller_t *p, size_t *queued, prestige_error_t *err);
PRESTIGE_API void prestige_poller_stop(prestige_poller_t *p);  /* stops polling; queued files can still be taken */
PRESTIGE_API void prestige_poller_free(prestige_poller_t *p);
PRESTIGE_API void prestige_file_meta_clear(prestige_file_meta_t *f);

#ifdef __cplusplus
}
#endif

#endif /* PRESTIGE_POLLER_H */
