/*
 * prestige/iceberg_sink.h — IcebergSink (the reference's IcebergSinkBuilder): records from many
 * producer threads land in an Iceberg table as pipelined commits, with crash recovery; and
 * write-audit-publish (commits staged on a branch, published to main later).
 *
 *   prestige_iceberg_catalog_t *catalog = NULL;  // from prestige_iceberg_catalog_open
 *   const prestige_record_desc_t *desc = NULL;   // &sensor_data_desc from PRESTIGE_RECORD (records.h)
 *   struct { int64_t ts; double temp; } reading = {0};  // one record of that type
 *   prestige_iceberg_sink_options_t o = PRESTIGE_ICEBERG_SINK_OPTIONS_INIT;
 *   o.table = "telemetry.readings";            // or from the record type (.namespace_, .table)
 *   o.max_rows = 100000;  o.roll_time_ms = 5000;  o.manifest_dir = "/var/lib/app/ice-sink";
 *   prestige_iceberg_sink_t *sink;
 *   prestige_iceberg_sink_open(&sink, catalog, &o, desc, NULL, &err); // recovery here
 *   prestige_iceberg_sink_client_t *c = prestige_iceberg_sink_client_new(sink);    // one per thread
 *   prestige_iceberg_sink_write(c, &reading, &err);
 *   prestige_iceberg_sink_commit_result_t r;
 *   prestige_iceberg_sink_commit(c, &r, &err);  // every record written before is in the table
 *   prestige_iceberg_sink_commit_result_release(&r);
 *   prestige_iceberg_sink_client_free(c, &err);
 *   prestige_iceberg_sink_close(sink, NULL, &err);  // final commit, waits for commits in flight
 *
 * Pipelining: the sink's writer thread writes the data files of commit N+1 (partitioned fanout,
 * one open file per partition, sorted by the table's sort order; internal append) while its
 * commit thread lands commit N in the catalog. At most max_pending_commits commits are sealed
 * and not yet in the catalog (metric prestige.iceberg_sink.commits_in_flight); commits land in
 * order. A commit is acknowledged when its snapshot is in the catalog.
 *
 * Crash recovery (manifest_dir set): before a commit is sent to the catalog its data files (with
 * their stats) are written to <manifest_dir>/<seq>.avro (an Iceberg manifest; fsync'd, directory
 * fsync'd). Every snapshot the sink commits carries prestige.writer-id (kept in
 * <manifest_dir>/writer-id) and prestige.commit-seq in its summary. A manifest is deleted once
 * its snapshot is in the catalog. On open, each leftover manifest is checked against the table's
 * snapshots: already committed -> deleted; not committed and its files present -> committed again
 * (same writer id and seq); files missing -> deleted (its rows were never acknowledged). A commit
 * whose outcome is unknown (EUNKNOWN_STATE) is resolved the same way, by looking for its
 * writer-id/seq: a file is never committed twice.
 *
 * Write-audit-publish: wap_branch set, commits go to that branch (created from main's current
 * snapshot when missing) with wap.id = the branch name in the summary; main does not move until
 * prestige_iceberg_publish (or auto_publish after each commit).
 *
 * Metrics (label sink = metrics_label): prestige.iceberg_sink.records_written (counter),
 * .files_created (counter), .write_duration_ms (histogram), .commits (counter),
 * .commit_latency_ms (histogram: seal to acknowledgement), .commits_in_flight (gauge),
 * .commit_retries (counter: catalog conflicts retried and unknown outcomes resolved).
 */
#ifndef PRESTIGE_ICEBERG_SINK_H
#define PRESTIGE_ICEBERG_SINK_H

#include "prestige/api.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "prestige/arrow.h"
#include "prestige/core.h"
#include "prestige/error.h"
#include "prestige/iceberg_catalog.h"
#include "prestige/records.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One acknowledged commit, as given to on_commit. */
typedef struct prestige_iceberg_sink_commit_info {
  int64_t snapshot_id;
  int64_t commit_seq;       /* prestige.commit-seq */
  const char *const *files; /* data file locations */
  size_t n_files;
  int64_t rows;
  bool recovered;           /* a commit left by an earlier run, landed (or found landed) by recovery */
  int attempts;             /* catalog attempts (1: no conflict) */
  int64_t latency_ms;       /* seal to acknowledgement */
} prestige_iceberg_sink_commit_info_t;

#define PRESTIGE_ICEBERG_SINK_OPTIONS_VERSION 3
typedef struct prestige_iceberg_sink_options {
  unsigned int version;            /* PRESTIGE_ICEBERG_SINK_OPTIONS_VERSION */
  const char *table;               /* "ns.table"; NULL: the record type's namespace_ + table (or name) */
  int64_t max_rows;                /* commit after this many rows; 0: no limit; default 1000000 */
  int64_t max_size_bytes;          /* commit after this many bytes of input (Arrow buffers); 0: none; default 0 */
  int64_t roll_time_ms;            /* commit rows older than this; 0: never; default 0 */
  bool auto_commit;                /* commit on max_rows / max_size_bytes / roll_time; default true */
  const char *manifest_dir;        /* local directory for crash-recovery manifests; NULL: none */
  int max_pending_commits;         /* commits sealed and not yet in the catalog; default 3; >= 1 */
  const char *wap_branch;          /* write-audit-publish branch; NULL: commit to main */
  bool auto_publish;               /* with wap_branch: publish to main after each commit; default false */
  int64_t batch_size;              /* records a client buffers before handing a batch over; default 8192 */
  int queue_capacity;              /* batches waiting for the writer thread (backpressure); default 16 */
  int64_t target_file_size_bytes;  /* 0: the table's write.target-file-size-bytes */
  const char *metrics_label;       /* default: the table name */
  const char *writer_id;           /* NULL: kept in manifest_dir/writer-id (random once), else random */
  prestige_shutdown_t *shutdown;   /* when triggered: final commit, then the sink refuses writes */
  /* Called on the commit thread for each acknowledged commit (recovered ones first, on open). */
  void (*on_commit)(void *user_data, const prestige_iceberg_sink_commit_info_t *info);
  void *user_data;
  const prestige_iceberg_create_options_t *create; /* a table made from an Arrow schema: partition, sort, ... */
  /* version 2 */
  /* A failed catalog commit (unknown outcome: 5xx, timeout, dropped connection; unreachable
   * catalog; conflicts) is resolved by the running sink: it reloads the table (retrying while
   * that fails), looks for the commit's writer-id/commit-seq (found: acknowledged), else commits
   * again, with backoff, for at most this long; then the error is the sink's and the manifest is
   * left for a restart. 0 (default): the table's commit.retry.total-timeout-ms (30 min). */
  int64_t commit_retry_timeout_ms;
  /* version 3 */
  /* Threads encoding each data file's column chunks (the Parquet writer's threads option; the
   * files are byte-identical whatever the count). 1 (default): the writer thread encodes;
   * 1..PRESTIGE_PARQUET_WRITER_MAX_THREADS. `prestige iceberg sink` defaults to the core count. */
  int writer_threads;
} prestige_iceberg_sink_options_t;

#define PRESTIGE_ICEBERG_SINK_OPTIONS_INIT                                                               \
  {                                                                                                      \
    .version = PRESTIGE_ICEBERG_SINK_OPTIONS_VERSION, .table = NULL, .max_rows = 1000000,               \
    .max_size_bytes = 0, .roll_time_ms = 0, .auto_commit = true, .manifest_dir = NULL,                   \
    .max_pending_commits = 3, .wap_branch = NULL, .auto_publish = false, .batch_size = 8192,             \
    .queue_capacity = 16, .target_file_size_bytes = 0, .metrics_label = NULL, .writer_id = NULL,        \
    .shutdown = NULL, .on_commit = NULL, .user_data = NULL, .create = NULL,                              \
    .commit_retry_timeout_ms = 0, .writer_threads = 1                                                    \
  }

PRESTIGE_API void prestige_iceberg_sink_options_init(prestige_iceberg_sink_options_t *o);

typedef struct prestige_iceberg_sink prestige_iceberg_sink_t;
typedef struct prestige_iceberg_sink_client prestige_iceberg_sink_client_t;

typedef struct prestige_iceberg_sink_commit_result {
  int64_t snapshot_id; /* the last snapshot landed (-1: nothing was committed) */
  char **files;        /* data files of every commit acknowledged since the previous commit() */
  size_t n_files;
  int64_t rows;
  int64_t commits;
} prestige_iceberg_sink_commit_result_t;
PRESTIGE_API void prestige_iceberg_sink_commit_result_release(prestige_iceberg_sink_commit_result_t *r);

/* desc: the record type (typed writes; the table is created from its annotations when missing);
 * or schema (Arrow batches; the table is created with o->create when missing). Loads or creates
 * the table, performs crash recovery, starts the writer and commit threads. */
PRESTIGE_API int prestige_iceberg_sink_open(prestige_iceberg_sink_t **out, prestige_iceberg_catalog_t *catalog,
                                            const prestige_iceberg_sink_options_t *o, const prestige_record_desc_t *desc,
                                            const struct ArrowSchema *schema, prestige_error_t *err);
/* Commits recovery found and landed or found landed on open; their rows. */
PRESTIGE_API size_t prestige_iceberg_sink_recovered(const prestige_iceberg_sink_t *sink, int64_t *rows);
PRESTIGE_API const char *prestige_iceberg_sink_writer_id(const prestige_iceberg_sink_t *sink);

PRESTIGE_API prestige_iceberg_sink_client_t *prestige_iceberg_sink_client_new(prestige_iceberg_sink_t *sink);
PRESTIGE_API int prestige_iceberg_sink_client_free(prestige_iceberg_sink_client_t *c, prestige_error_t *err);
PRESTIGE_API int prestige_iceberg_sink_write(prestige_iceberg_sink_client_t *c, const void *record, prestige_error_t *err);
PRESTIGE_API int prestige_iceberg_sink_write_many(prestige_iceberg_sink_client_t *c, const void *records, size_t n,
                                                  prestige_error_t *err);
/* An Arrow batch matching the sink's schema; moved. */
PRESTIGE_API int prestige_iceberg_sink_write_batch(prestige_iceberg_sink_client_t *c, struct ArrowArray *batch,
                                                   prestige_error_t *err);
/* Seals what was written and returns after every commit in flight (this one included) landed.
 * result may be NULL. */
PRESTIGE_API int prestige_iceberg_sink_commit(prestige_iceberg_sink_client_t *c, prestige_iceberg_sink_commit_result_t *result,
                                              prestige_error_t *err);
/* WAP: publishes the sink's branch to main (the reference's client.publish()). */
PRESTIGE_API int prestige_iceberg_sink_publish(prestige_iceberg_sink_client_t *c, int64_t *snapshot_id, prestige_error_t *err);
/* Final commit, waits for commits in flight, stops the threads, frees. final may be NULL. */
PRESTIGE_API int prestige_iceberg_sink_close(prestige_iceberg_sink_t *sink, prestige_iceberg_sink_commit_result_t *final,
                                             prestige_error_t *err);

/* Write-audit-publish: makes branch's commits visible on main. A fast-forward when main is an
 * ancestor of the branch; otherwise each staged append (the branch's snapshots since it forked
 * from main's history, oldest first, not yet published) is cherry-picked onto main as a new
 * append snapshot with source-snapshot-id and published-wap-id in its summary. Staged snapshots
 * that are not appends: EUNSUPPORTED. *snapshot_id: main's snapshot afterwards (may be NULL).
 * Publishing twice publishes nothing new. Conflicts are retried. */
PRESTIGE_API int prestige_iceberg_publish(prestige_iceberg_table_t *t, const char *branch, int64_t *snapshot_id,
                                          prestige_error_t *err);

#ifdef __cplusplus
}
#endif

#endif /* PRESTIGE_ICEBERG_SINK_H */
