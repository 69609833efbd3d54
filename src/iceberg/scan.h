/*
 * Scans: which snapshot, which files (planning over the manifest list and manifests, pruned by
 * partition summaries, partition tuples and column metrics), and the files read as one
 * ArrowArrayStream with projection by field id.
 *
 *   ice_scan_options_t o = ICE_SCAN_OPTIONS_INIT;
 *   o.filter = "ts >= '2024-01-02' AND level = 'error'";
 *   ice_scan_plan_t *p;
 *   ice_scan_plan(io, md, &o, &p, &err);          // p->tasks: the data files to read
 *   struct ArrowArrayStream s;
 *   ice_scan_stream(io, p, &o, &s, &err);         // takes p
 *
 * Which snapshot (at most one of): snapshot_id; as_of_ms (the snapshot current then, from the
 * snapshot log); ref (a branch or tag); since_snapshot_id/until_snapshot_id (incremental: the
 * rows added by append snapshots after since up to and including until, or the current one;
 * until must descend from since, else EINVAL; replace, overwrite and delete snapshots add
 * nothing, as in Java's IncrementalAppendScan); default the current snapshot. The schema is the
 * table's current one, except for a snapshot id, a timestamp or a tag: then the snapshot's (as
 * Java's SnapshotUtil.schemaFor).
 *
 * Reading: each data file's columns are matched to the scan schema by field id (renamed columns
 * read, columns added later are null, int->long, float->double and decimal widening applied);
 * the filter goes to the Parquet reader (row-group and page pruning, row filtering) under the
 * file's own column names, or is applied after conversion when the file lacks one of its
 * columns. files_in_flight files are read at once by worker threads; batches come out in plan
 * order. Delete files (position and equality deletes) are applied with the spec's
 * sequence-number and partition rules, and so are V3 deletion vectors (puffin.h).
 */
#ifndef PRESTIGE_ICEBERG_SCAN_H
#define PRESTIGE_ICEBERG_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/bufpool.h"
#include "iceberg/io.h"
#include "iceberg/manifest.h"
#include "iceberg/metadata.h"
#include "prestige/arrow.h"
#include "prestige/predicate.h"

#define ICE_SCAN_NONE INT64_MIN

typedef struct ice_scan_options {
  int64_t snapshot_id;        /* ICE_SCAN_NONE: not given */
  int64_t as_of_ms;           /* ICE_SCAN_NONE */
  const char *ref;            /* NULL */
  int64_t since_snapshot_id;  /* ICE_SCAN_NONE; else incremental, exclusive */
  int64_t until_snapshot_id;  /* ICE_SCAN_NONE: the current snapshot */
  const char *filter;         /* predicate text, NULL: all rows */
  const char *const *columns; /* top-level column names, NULL: all */
  size_t n_columns;
  int64_t batch_rows;         /* 0: 8192 */
  int files_in_flight;        /* 0: 2 */
  int reader_threads;         /* decoding threads of each Parquet reader (its threads option); 0: 1 */
  /* Where the readers' decoded buffers come from and go back to (referenced by the stream): one
   * pool for every file of the scan, and for later scans when the caller keeps it (a table handle
   * does). NULL: the stream makes its own, for its files only. */
  bufpool_t *bufs;
  bool added_only;            /* with snapshot_id: only the data files that snapshot added (the ADDED entries of
                                 the manifests it wrote; no other manifest and no delete manifest is read: the
                                 poller's incremental planning of an append) */
} ice_scan_options_t;
#define ICE_SCAN_OPTIONS_INIT {ICE_SCAN_NONE, ICE_SCAN_NONE, NULL, ICE_SCAN_NONE, ICE_SCAN_NONE, NULL, NULL, 0, 0, 0, 0, NULL, false}

typedef struct ice_scan_metrics {
  int64_t manifests;           /* data manifests in the snapshot(s) */
  int64_t manifests_skipped;   /* by partition summaries (or no live files) */
  int64_t files;               /* live data files in the manifests read */
  int64_t files_skipped_partition;
  int64_t files_skipped_metrics;
  int64_t files_planned;
  int64_t delete_files;        /* delete files applied to planned files */
  int64_t planning_ns;
} ice_scan_metrics_t;

typedef struct ice_delete_file {
  ice_data_file_t file;
  int64_t data_sequence_number;
} ice_delete_file_t;

typedef struct ice_scan_task {
  ice_data_file_t file;
  int64_t data_sequence_number;
  uint32_t *deletes; /* indexes into the plan's delete files */
  uint32_t n_deletes;
} ice_scan_task_t;

typedef struct ice_scan_plan {
  arena_t arena;
  int64_t snapshot_id;          /* ICE_SCAN_NONE: the table has no snapshot (nothing to read) */
  ice_schema_t *schema;         /* the scan schema */
  struct ArrowSchema arrow;     /* its Arrow form (every column) */
  struct ArrowSchema out;       /* the projected output schema */
  prestige_predicate_t *filter; /* NULL: none */
  prestige_bound_predicate_t *bound;
  ice_scan_task_t *tasks;
  size_t n_tasks;
  ice_delete_file_t *deletes;
  size_t n_deletes;
  ice_scan_metrics_t metrics;
  char *table;                  /* names the table in messages */
} ice_scan_plan_t;

int ice_scan_plan(ice_io_t *io, const ice_table_metadata_t *md, const char *table, const ice_scan_options_t *o,
                  ice_scan_plan_t **out, prestige_error_t *err);
void ice_scan_plan_free(ice_scan_plan_t *p);

/* Takes ownership of plan (also on error). io must outlive the stream. */
int ice_scan_stream(ice_io_t *io, ice_scan_plan_t *plan, const ice_scan_options_t *o, struct ArrowArrayStream *out,
                    prestige_error_t *err);

/* Counters a stream adds to as its workers open data files (atomically; read them after the
 * stream has reported its end, or with atomic loads). */
typedef struct ice_scan_read_stats {
  _Atomic int64_t files_read;
  _Atomic int64_t row_groups;        /* row groups read (after pruning) */
  _Atomic int64_t row_groups_pruned; /* ruled out by the filter on statistics */
} ice_scan_read_stats_t;
/* ice_scan_stream, counting into stats (may be NULL; must outlive the stream). */
int ice_scan_stream_counted(ice_io_t *io, ice_scan_plan_t *plan, const ice_scan_options_t *o, ice_scan_read_stats_t *stats,
                            struct ArrowArrayStream *out, prestige_error_t *err);

/* Reads one planned task outside a stream, for rewrites (deletes, compaction): the plan's output
 * columns (plan it without a column list for every column), the task's deletes applied, the
 * filter NOT applied; fn gets each non-empty batch (moved: fn releases it) with the positions of
 * its rows in the data file (valid during the call). A non-zero return from fn stops the read
 * and is returned. The plan stays the caller's. */
typedef int (*ice_task_batch_fn)(void *user, struct ArrowArray *batch, const int64_t *positions, prestige_error_t *err);
int ice_scan_read_task(ice_io_t *io, ice_scan_plan_t *plan, size_t task, int64_t batch_rows, ice_task_batch_fn fn, void *user,
                       prestige_error_t *err);

#endif
