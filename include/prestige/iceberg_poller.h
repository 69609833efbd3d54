/*
 * prestige/iceberg_poller.h — IcebergPoller (the reference's IcebergPollerConfigBuilder): the
 * rows of each new snapshot of a table's main branch, oldest first, each acknowledged by the
 * consumer before the poller moves on, with per-consumer checkpoints in the file poller's state
 * stores (SQLite, PostgreSQL).
 *
 *   prestige_iceberg_catalog_t *catalog = NULL;  // from prestige_iceberg_catalog_open
 *   prestige_state_store_t *state;
 *   prestige_state_store_open(&state, "sqlite:/var/lib/app/poller.db", &err);
 *   prestige_iceberg_poller_options_t o = PRESTIGE_ICEBERG_POLLER_OPTIONS_INIT;
 *   o.table = "telemetry.readings";  o.consumer = "alerts";  o.state = state;
 *   prestige_iceberg_poller_t *p;
 *   prestige_iceberg_poller_open(&p, catalog, &o, &err);
 *   prestige_iceberg_poll_event_t ev;
 *   while (prestige_iceberg_poller_next(p, &ev, -1, &err) == 0) {
 *     if (ev.rows.release) ev.rows.release(&ev.rows);          // APPEND: read ev.rows, then release
 *     prestige_iceberg_poller_ack(p, ev.snapshot_id, &err);       // checkpoint, then the next one
 *   }
 *   prestige_iceberg_poller_close(p);
 *
 * Events, per snapshot of main's history after the checkpoint, oldest first:
 *   APPEND      ev.rows streams the rows the snapshot added, with the deletes of the table as of
 *               that snapshot applied (a full plan at the snapshot, kept to the files it added);
 *   DELETE, OVERWRITE  reported so the consumer can react; no rows are redelivered;
 *   replace snapshots (compaction) deliver nothing and need no ack.
 * A consumer without a checkpoint starts from the table's earliest snapshot (full replay), or
 * after start_after_snapshot. Commits staged on other branches (write-audit-publish) deliver
 * nothing until they are on main. The checkpoint is the last acked snapshot (stored as its
 * sequence number under process = consumer, prefix = "iceberg:<table>"); a restarted poller
 * resumes right after it.
 *
 * Backpressure (as the reference's channel): a background thread polls the table every
 * poll_interval_ms and plans each new snapshot (an append is planned incrementally: only the
 * manifests that snapshot wrote are read, never a full scan) into a channel of channel_size
 * snapshots; next() takes from it and opens the rows' stream, which reads files_in_flight data
 * files ahead of the consumer. So a slow consumer bounds memory: at most channel_size planned
 * snapshots wait, and only the delivered one is being read. When the channel stays full for
 * send_timeout_ms (the consumer takes nothing), the next call to next() reports it once
 * (PRESTIGE_ETIMEOUT naming the snapshot that could not be handed over); nothing is lost: that
 * snapshot is delivered after the ones before it when the consumer catches up. send_timeout_ms
 * 0 (default): the poller waits for the consumer as long as it takes, silently. An event's
 * stream must be released before the next call to next().
 */
#ifndef PRESTIGE_ICEBERG_POLLER_H
#define PRESTIGE_ICEBERG_POLLER_H

#include "prestige/api.h"

#include <stdbool.h>
#include <stdint.h>

#include "prestige/arrow.h"
#include "prestige/core.h"
#include "prestige/error.h"
#include "prestige/iceberg_catalog.h"
#include "prestige/poller.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PRESTIGE_ICEBERG_POLLER_OPTIONS_VERSION 2
typedef struct prestige_iceberg_poller_options {
  unsigned int version;             /* PRESTIGE_ICEBERG_POLLER_OPTIONS_VERSION */
  const char *table;                /* "ns.table" (required) */
  const char *consumer;             /* checkpoint name (required) */
  prestige_state_store_t *state;    /* checkpoints; NULL: none (every open replays from the start) */
  int64_t poll_interval_ms;         /* how often the table is reloaded while caught up; default 1000 */
  int channel_size;                 /* snapshots planned ahead of the consumer; default 2 */
  int64_t start_after_snapshot;     /* without a checkpoint: start after this snapshot; -1 (default): full replay */
  prestige_shutdown_t *shutdown;    /* when triggered, a waiting next() returns PRESTIGE_ESHUTDOWN */
  /* version 2 */
  int64_t send_timeout_ms;          /* a full channel for this long is reported by next(); 0 (default): never */
  int files_in_flight;              /* data files an event's stream reads ahead; default 2 (version 1: channel_size) */
} prestige_iceberg_poller_options_t;

#define PRESTIGE_ICEBERG_POLLER_OPTIONS_INIT                                                              \
  {                                                                                                       \
    .version = PRESTIGE_ICEBERG_POLLER_OPTIONS_VERSION, .table = NULL, .consumer = NULL, .state = NULL,  \
    .poll_interval_ms = 1000, .channel_size = 2, .start_after_snapshot = -1, .shutdown = NULL,           \
    .send_timeout_ms = 0, .files_in_flight = 2                                                            \
  }

PRESTIGE_API void prestige_iceberg_poller_options_init(prestige_iceberg_poller_options_t *o);

typedef enum prestige_iceberg_event_kind {
  PRESTIGE_ICEBERG_EVENT_APPEND = 1,
  PRESTIGE_ICEBERG_EVENT_DELETE = 2,
  PRESTIGE_ICEBERG_EVENT_OVERWRITE = 3
} prestige_iceberg_event_kind_t;

typedef struct prestige_iceberg_poll_event {
  prestige_iceberg_event_kind_t kind;
  int64_t snapshot_id;
  int64_t sequence_number;
  int64_t timestamp_ms;
  const char *operation;          /* "append", "delete", "overwrite" (valid until the next call) */
  const char *table;              /* "ns.table" */
  struct ArrowArrayStream rows;   /* APPEND: the added rows (the consumer releases it); else release == NULL */
} prestige_iceberg_poll_event_t;

typedef struct prestige_iceberg_poller prestige_iceberg_poller_t;

/* Loads the table and the consumer's checkpoint (ENOTFOUND when the checkpointed snapshot is no
 * longer in main's history). */
PRESTIGE_API int prestige_iceberg_poller_open(prestige_iceberg_poller_t **out, prestige_iceberg_catalog_t *catalog,
                                              const prestige_iceberg_poller_options_t *o, prestige_error_t *err);
/* The next event: waits up to timeout_ms (-1: forever, 0: only what is there now) for a new
 * snapshot; PRESTIGE_ETIMEOUT when none came, PRESTIGE_ESHUTDOWN when the token was triggered.
 * EINVAL while the previous event is not acked. */
PRESTIGE_API int prestige_iceberg_poller_next(prestige_iceberg_poller_t *p, prestige_iceberg_poll_event_t *ev,
                                              int64_t timeout_ms, prestige_error_t *err);
/* Acknowledges the event of snapshot_id: the checkpoint is stored, then the poller moves on. */
PRESTIGE_API int prestige_iceberg_poller_ack(prestige_iceberg_poller_t *p, int64_t snapshot_id, prestige_error_t *err);
/* Counters of a poller (a snapshot of them, safe from any thread). */
typedef struct prestige_iceberg_poller_stats {
  int64_t delivered;            /* events returned by next() */
  int64_t buffered;             /* snapshots planned and waiting in the channel now */
  int64_t buffered_max;         /* the most that ever waited at once (at most channel_size) */
  int64_t manifests_read;       /* data manifests read to plan appends, in total */
  int64_t last_manifests_read;  /* by the plan of the last delivered append */
  int64_t send_timeouts;        /* times the channel stayed full for send_timeout_ms */
} prestige_iceberg_poller_stats_t;
PRESTIGE_API void prestige_iceberg_poller_stats(prestige_iceberg_poller_t *p, prestige_iceberg_poller_stats_t *out);

/* The last acked (or skipped) snapshot; -1: none. */
PRESTIGE_API int64_t prestige_iceberg_poller_position(const prestige_iceberg_poller_t *p);
PRESTIGE_API void prestige_iceberg_poller_close(prestige_iceberg_poller_t *p);

#ifdef __cplusplus
}
#endif

#endif /* PRESTIGE_ICEBERG_POLLER_H */
