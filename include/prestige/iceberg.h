/*
 * prestige/iceberg.h — appends to and scans of Apache Iceberg tables (the reference's
 * IcebergTable writes and scan_table / scan_snapshot / scan_since_snapshot /
 * scan_snapshot_range / scan_at_timestamp / scan_with_filter / scan_columns), on a table handle
 * from prestige/iceberg_catalog.h.
 *
 *   prestige_iceberg_table_t *table = NULL;     // from prestige_iceberg_table_load (iceberg_catalog.h)
 *   struct ArrowSchema schema = {0};             // your batch and its schema (Arrow C Data Interface)
 *   struct ArrowArray batch = {0};
 *   struct ArrowArrayStream stream;
 *
 *   prestige_iceberg_append_t *a;                                      // example:begin
 *   prestige_iceberg_append_options_t ao = PRESTIGE_ICEBERG_APPEND_OPTIONS_INIT;
 *   if (prestige_iceberg_append_new(&a, table, &ao, &err)) return -1;
 *   prestige_iceberg_append_write(a, &batch, &schema, &err);           // batch moved in
 *   prestige_iceberg_append_result_t res;
 *   prestige_iceberg_append_commit(a, &res, &err);                     // one snapshot
 *   prestige_iceberg_append_free(a);
 *   prestige_iceberg_scan_options_t so = PRESTIGE_ICEBERG_SCAN_OPTIONS_INIT;
 *   so.where = "ts >= '2024-01-02'";  so.snapshot_id = res.snapshot_id;
 *   prestige_iceberg_scan(table, &so, &stream, NULL, &err);            // an ArrowArrayStream
 *   prestige_iceberg_append_result_release(&res);                      // example:end
 *
 * Appends: rows are converted to the table's current schema (columns matched by name, in any
 * order; integers widen or narrow with a check, s/ms timestamps widen to µs, a missing optional
 * column is null), split by partition, sorted by the table's sort order, written as Parquet data
 * files (field ids on every column) under <location>/data/<partition path>/ and committed as one
 * snapshot (fast append, manifests merged as Java merges them; a lost compare-and-set is retried
 * as Java retries it). Nothing is visible to readers before commit; an append freed without a
 * commit (or whose commit failed) deletes the files it wrote.
 *
 * Scans: which snapshot (at most one of snapshot_id, ref, as_of_ms, since_snapshot_id); which
 * rows (where: the predicate language of prestige/predicate.h, applied to the table's current
 * column names, pruning manifests by partition summaries, files by partition values and column
 * bounds, row groups and pages by statistics, then filtering rows exactly); which columns
 * (top-level, by current name; files written before a rename or before a column was added read
 * by field id, the missing column as null); delete files are applied.
 *
 * Errors: EINVAL bad options (named); ENOTFOUND an unknown snapshot, ref or column; ETYPE input
 * that cannot be converted to the table's schema (naming the column and row); ECONFLICT the
 * commit lost every retry; EUNKNOWN_STATE the catalog may or may not have taken the commit (the
 * files are kept); EUNSUPPORTED a format version 1 table (read only); ECORRUPT metadata,
 * manifests or data files that are truncated or violate the spec (the message names the file).
 * Every function accepts err == NULL.
 *
 * Threads: an append is used by one thread at a time. A scan stream is used by one thread at a
 * time but does not depend on the table handle once created (it may outlive it, the catalog
 * must not be closed before the stream is released). Appends and scans on different handles of
 * one table may run in parallel threads or processes: commits are serialised by the catalog.
 */
#ifndef PRESTIGE_ICEBERG_H
#define PRESTIGE_ICEBERG_H

#include "prestige/api.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "prestige/arrow.h"
#include "prestige/error.h"
#include "prestige/iceberg_catalog.h"
#include "prestige/predicate.h"

#ifdef __cplusplus
extern "C" {
#endif

/* "Not given" for snapshot ids and timestamps in the options below. */
#define PRESTIGE_ICEBERG_NONE INT64_MIN

/* ---- appends -------------------------------------------------------------------------------------- */
typedef struct prestige_iceberg_append prestige_iceberg_append_t;

#define PRESTIGE_ICEBERG_APPEND_OPTIONS_VERSION 2 /* 2 added threads; a version 1 struct still works (threads 1) */
typedef struct prestige_iceberg_append_options {
  unsigned int version;            /* PRESTIGE_ICEBERG_APPEND_OPTIONS_VERSION */
  const char *branch;              /* NULL: "main"; a branch that does not exist is created from main's
                                      current snapshot by the commit */
  int64_t target_file_size_bytes;  /* 0: the table's write.target-file-size-bytes (default 512 MiB); >= 0 */
  int compression;                 /* a prestige_compression_t, or -1 (default): the table's
                                      write.parquet.compression-codec (default zstd) */
  int compression_level;           /* INT32_MIN (default): the table's write.parquet.compression-level,
                                      else the codec's default */
  const prestige_kv_t *summary;    /* extra snapshot summary properties (must not be Iceberg's own keys) */
  int64_t n_summary;
  /* Encoding threads of each data file's Parquet writer (its threads option, 1..256): the columns
   * of a file are encoded in parallel; the files are the same bytes whatever the count. 1 (default). */
  int threads;
} prestige_iceberg_append_options_t;

#define PRESTIGE_ICEBERG_APPEND_OPTIONS_INIT                                                              \
  {                                                                                                       \
    .version = PRESTIGE_ICEBERG_APPEND_OPTIONS_VERSION, .branch = NULL, .target_file_size_bytes = 0,      \
    .compression = -1, .compression_level = INT32_MIN, .summary = NULL, .n_summary = 0, .threads = 1      \
  }

PRESTIGE_API void prestige_iceberg_append_options_init(prestige_iceberg_append_options_t *o);

typedef struct prestige_iceberg_append_result {
  int64_t snapshot_id;    /* the new snapshot */
  int64_t added_files;    /* data files added */
  int64_t added_records;  /* rows added */
  char **data_files;      /* their locations (added_files of them) */
  int64_t attempts;       /* commit attempts (1: no conflict) */
} prestige_iceberg_append_result_t;
PRESTIGE_API void prestige_iceberg_append_result_release(prestige_iceberg_append_result_t *r);

/* Starts an append to table (its current metadata is the base; a format version 1 table is
 * EUNSUPPORTED). o NULL: defaults. The table handle and its catalog must outlive the append; a
 * successful commit makes the handle current (the new snapshot is then its current one, on main). */
PRESTIGE_API int prestige_iceberg_append_new(prestige_iceberg_append_t **out, prestige_iceberg_table_t *table,
                                             const prestige_iceberg_append_options_t *o, prestige_error_t *err);
/* Writes one record batch (a struct array with schema's children as columns). The batch is moved
 * in: released by the append, also on error (when batch->release is set). The schema is only read
 * (the caller keeps and releases it). After an error the append can only be freed. */
PRESTIGE_API int prestige_iceberg_append_write(prestige_iceberg_append_t *a, struct ArrowArray *batch,
                                               const struct ArrowSchema *schema, prestige_error_t *err);
/* Writes every batch of a stream, then releases the stream (also on error). */
PRESTIGE_API int prestige_iceberg_append_write_stream(prestige_iceberg_append_t *a, struct ArrowArrayStream *stream,
                                                      prestige_error_t *err);
/* Closes the data files and commits one snapshot (an append with no rows commits a snapshot with
 * no files, as Java does). result (may be NULL) is filled on success; release it. Commit once. */
PRESTIGE_API int prestige_iceberg_append_commit(prestige_iceberg_append_t *a, prestige_iceberg_append_result_t *result,
                                                prestige_error_t *err);
/* Rows written so far. */
PRESTIGE_API int64_t prestige_iceberg_append_rows(const prestige_iceberg_append_t *a);
/* Frees (NULL is fine); the data files of an append not committed are deleted. */
PRESTIGE_API void prestige_iceberg_append_free(prestige_iceberg_append_t *a);

/* ---- scans ---------------------------------------------------------------------------------------- */
#define PRESTIGE_ICEBERG_SCAN_OPTIONS_VERSION 2 /* 2 added threads; a version 1 struct still reads (threads 1) */
typedef struct prestige_iceberg_scan_options {
  unsigned int version;        /* PRESTIGE_ICEBERG_SCAN_OPTIONS_VERSION */
  /* Which snapshot: at most one of these (default: the current snapshot of main). A snapshot id,
   * a tag or a timestamp reads with the schema of that snapshot; a branch with the current one. */
  int64_t snapshot_id;         /* PRESTIGE_ICEBERG_NONE */
  const char *ref;             /* a branch or tag name; NULL */
  int64_t as_of_ms;            /* the snapshot current at this time (epoch ms); PRESTIGE_ICEBERG_NONE */
  /* Incremental: the rows added by append snapshots after since_snapshot_id (exclusive) up to
   * until_snapshot_id (inclusive; NONE: the current snapshot), which must descend from it. */
  int64_t since_snapshot_id;   /* PRESTIGE_ICEBERG_NONE */
  int64_t until_snapshot_id;   /* PRESTIGE_ICEBERG_NONE */
  /* Row filter (both may be given: they are ANDed). The filter's text is what counts: a parsed
   * predicate need not outlive the call. */
  const char *where;                  /* predicate text; NULL */
  const prestige_predicate_t *filter; /* from prestige_predicate_parse; NULL */
  /* Top-level columns to return, in this order; NULL: all. On format version 3 tables the row
   * lineage columns _row_id and _last_updated_sequence_number (longs, inherited values filled in)
   * may be named too, here and in the filter; the files are then read one at a time with every
   * row's position (a filter naming them prunes no files; EINVAL on older tables). */
  const char *const *columns;
  int64_t n_columns;
  int64_t batch_rows;          /* rows per batch; 0: 8192 */
  int files_in_flight;         /* data files read at once by worker threads; 0: 2 */
  /* Decoding threads of each data file's Parquet reader (its threads option, version 2): columns
   * of a row group decode in parallel; rows and batches come out in the same order as with 1.
   * 1..PRESTIGE_PARQUET_READER_MAX_THREADS (256); default 1. Up to files_in_flight readers run at
   * once, each with its own threads. */
  int threads;
} prestige_iceberg_scan_options_t;

#define PRESTIGE_ICEBERG_SCAN_OPTIONS_INIT                                                                \
  {                                                                                                       \
    .version = PRESTIGE_ICEBERG_SCAN_OPTIONS_VERSION, .snapshot_id = PRESTIGE_ICEBERG_NONE, .ref = NULL,  \
    .as_of_ms = PRESTIGE_ICEBERG_NONE, .since_snapshot_id = PRESTIGE_ICEBERG_NONE,                        \
    .until_snapshot_id = PRESTIGE_ICEBERG_NONE, .where = NULL, .filter = NULL, .columns = NULL,           \
    .n_columns = 0, .batch_rows = 0, .files_in_flight = 0, .threads = 1                                   \
  }

PRESTIGE_API void prestige_iceberg_scan_options_init(prestige_iceberg_scan_options_t *o);

/* Planning and reading counters. */
typedef struct prestige_iceberg_scan_stats {
  int64_t snapshot_id;              /* the snapshot read; PRESTIGE_ICEBERG_NONE: the table is empty */
  int64_t manifests;                /* data manifests in the snapshot(s) */
  int64_t manifests_pruned;         /* skipped by partition summaries (or holding no live file) */
  int64_t files;                    /* live data files in the manifests read */
  int64_t files_pruned_partition;   /* ruled out by their partition values */
  int64_t files_pruned_stats;       /* ruled out by their column bounds and counts */
  int64_t files_planned;            /* to be read */
  int64_t delete_files;             /* delete files applied */
  int64_t planning_ns;
  /* filled while a stream is read (final once it has reported its end): */
  int64_t files_read;
  int64_t row_groups;               /* row groups read */
  int64_t row_groups_pruned;        /* row groups the filter ruled out by statistics */
} prestige_iceberg_scan_stats_t;

/* The table's rows as a stream of record batches (struct arrays of the projected columns; field
 * ids on every field of the stream's schema). stats (may be NULL): the planning counters at once,
 * the reading ones updated on every get_next; it must stay valid until the stream reports its
 * end or is released. The stream is independent of the table handle (see Threads). The handle
 * keeps the decoded buffers its scans released (at most 256 MiB, until it is freed) so that its
 * next scans reuse them rather than fault in fresh memory. */
PRESTIGE_API int prestige_iceberg_scan(prestige_iceberg_table_t *table, const prestige_iceberg_scan_options_t *o,
                                       struct ArrowArrayStream *out, prestige_iceberg_scan_stats_t *stats,
                                       prestige_error_t *err);

/* One data file a scan would read. */
typedef struct prestige_iceberg_scan_file {
  const char *path;             /* its location */
  int64_t record_count;
  int64_t file_size_bytes;
  int32_t spec_id;
  const char *partition;        /* the partition path ("ts_day=2024-01-02/id_bucket=3"; "" unpartitioned) */
  int64_t data_sequence_number;
  int64_t delete_files;         /* delete files that apply to it */
} prestige_iceberg_scan_file_t;

typedef struct prestige_iceberg_scan_plan {
  prestige_iceberg_scan_stats_t stats; /* the planning counters (reading ones 0) */
  prestige_iceberg_scan_file_t *files;
  int64_t n_files;
  void *internal;
} prestige_iceberg_scan_plan_t;

/* Plans a scan without reading data files: the files it would read and the pruning counters. */
PRESTIGE_API int prestige_iceberg_scan_plan(prestige_iceberg_table_t *table, const prestige_iceberg_scan_options_t *o,
                                            prestige_iceberg_scan_plan_t *out, prestige_error_t *err);
PRESTIGE_API void prestige_iceberg_scan_plan_release(prestige_iceberg_scan_plan_t *p);

#ifdef __cplusplus
}
#endif

#endif /* PRESTIGE_ICEBERG_H */
