/*
 * prestige/iceberg_maintenance.h — row-level deletes, compaction, the compaction scheduler and
 * table maintenance on an Iceberg table handle (prestige/iceberg_catalog.h): the reference's
 * IcebergCompactorConfigBuilder and CompactionSchedulerBuilder, plus what every Iceberg operator
 * runs (expire snapshots, remove orphan files, rewrite manifests).
 *
 *   prestige_iceberg_catalog_t *cat = NULL;    // from prestige_iceberg_catalog_open
 *   prestige_iceberg_table_t *t;
 *   prestige_iceberg_table_load(cat, "telemetry.readings", &t, &err);
 *   prestige_iceberg_delete_options_t d = PRESTIGE_ICEBERG_DELETE_OPTIONS_INIT;
 *   d.where = "sensor_id = 17 AND ts < '2024-01-01'";
 *   prestige_iceberg_delete_result_t dr;
 *   prestige_iceberg_delete(t, &d, &dr, &err);                 // one "delete" snapshot
 *   prestige_iceberg_compact_options_t c = PRESTIGE_ICEBERG_COMPACT_OPTIONS_INIT;
 *   c.target_file_size_bytes = 256 << 20; c.dedup = true;
 *   prestige_iceberg_compact_result_t cr;
 *   prestige_iceberg_compact(t, &c, &cr, &err);                // one "replace" snapshot
 *   prestige_iceberg_table_free(t);
 *
 * Deletes: the live rows for which the predicate (prestige/predicate.h) is TRUE are removed. A
 * data file whose live rows all match is removed whole; otherwise position deletes (one
 * file-scoped delete file per data file, sorted by position) or, in equality mode, equality
 * deletes on the table's identifier fields (one file per partition touched). The commit is
 * re-validated on retry: a concurrent commit that removed a file the delete removes or masks
 * (a compaction) makes it fail with ECONFLICT naming the file; nothing is left behind.
 *
 * Compaction: per partition, files smaller than 3/4 of the target (and files with deletes) are
 * bin-packed into groups; a partition with fewer than min_files candidates and no deletes is left
 * alone. Each group is read with its deletes applied, deduplicated on the identifier fields when
 * asked (the row of the highest data sequence number wins: the latest write; a partition is then
 * one group, and one holding more than max_group_bytes is refused with EINVAL naming it, since
 * groups deduplicated apart would keep duplicates across them), sorted by the
 * table's sort order and written in files of the target size. One replace snapshot removes the
 * rewritten files and the delete files that no longer apply to any live file. Appends committed
 * meanwhile never conflict; a group whose files a concurrent delete or compaction changed is
 * dropped (its new files deleted), the others land.
 *
 * Threads: like every call on a table handle, one thread at a time per handle; the handle is
 * current after each call. Errors: EINVAL bad options (named), ECONFLICT as above,
 * EUNSUPPORTED format version 1 tables.
 */
#ifndef PRESTIGE_ICEBERG_MAINTENANCE_H_PUBLIC
#define PRESTIGE_ICEBERG_MAINTENANCE_H_PUBLIC

#include "prestige/api.h"

#include <stdbool.h>
#include <stdint.h>

#include "prestige/arrow.h"
#include "prestige/core.h"
#include "prestige/error.h"
#include "prestige/iceberg_catalog.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- deletes ------------------------------------------------------------------------------------ */
typedef enum prestige_iceberg_delete_mode {
  PRESTIGE_ICEBERG_DELETE_POSITION = 0, /* position delete files (file_path, pos) */
  PRESTIGE_ICEBERG_DELETE_EQUALITY = 1  /* equality delete files on the identifier fields */
} prestige_iceberg_delete_mode_t;

#define PRESTIGE_ICEBERG_DELETE_OPTIONS_VERSION 1
typedef struct prestige_iceberg_delete_options {
  unsigned int version;                 /* PRESTIGE_ICEBERG_DELETE_OPTIONS_VERSION */
  const char *where;                    /* required: the rows to delete */
  prestige_iceberg_delete_mode_t mode;  /* default position */
} prestige_iceberg_delete_options_t;
#define PRESTIGE_ICEBERG_DELETE_OPTIONS_INIT \
  { .version = PRESTIGE_ICEBERG_DELETE_OPTIONS_VERSION, .where = NULL, .mode = PRESTIGE_ICEBERG_DELETE_POSITION }

typedef struct prestige_iceberg_delete_result {
  int64_t snapshot_id;    /* -1: no live row matched (nothing committed) */
  int64_t deleted_rows;   /* live rows removed */
  int64_t removed_files;  /* data files removed whole */
  int64_t delete_files;   /* delete files written */
} prestige_iceberg_delete_result_t;

PRESTIGE_API int prestige_iceberg_delete(prestige_iceberg_table_t *t, const prestige_iceberg_delete_options_t *o,
                                         prestige_iceberg_delete_result_t *res, prestige_error_t *err);

/* Equality deletes by key (the upsert building block: delete the keys, then append the new rows):
 * keys has exactly the table's identifier columns, matched by name (takes ownership of *keys,
 * released also on error). One equality delete file per partition of the table's spec, whose
 * source columns must all be identifier columns (EUNSUPPORTED otherwise). The rows they match
 * are not counted (deleted_rows 0); one "delete" snapshot. */
PRESTIGE_API int prestige_iceberg_delete_keys(prestige_iceberg_table_t *t, const struct ArrowSchema *schema, struct ArrowArray *keys,
                                              prestige_iceberg_delete_result_t *res, prestige_error_t *err);

/* ---- compaction --------------------------------------------------------------------------------- */
#define PRESTIGE_ICEBERG_COMPACT_OPTIONS_VERSION 2
typedef struct prestige_iceberg_compact_options {
  unsigned int version;            /* PRESTIGE_ICEBERG_COMPACT_OPTIONS_VERSION */
  int64_t target_file_size_bytes;  /* 0: write.target-file-size-bytes (512 MiB) */
  int min_files;                   /* 0: 5 small files in a partition before it is compacted */
  bool dedup;                      /* deduplicate on the identifier fields */
  const char *compression;         /* NULL: write.parquet.compression-codec (zstd) */
  int64_t max_group_bytes;         /* 0: 10 x the target */
  /* version 2: when triggered, the compaction stops before its commit and returns
   * PRESTIGE_ECANCELED; the files it wrote are deleted and the table is as it was */
  prestige_shutdown_t *shutdown;
} prestige_iceberg_compact_options_t;
#define PRESTIGE_ICEBERG_COMPACT_OPTIONS_INIT                                                          \
  {                                                                                                    \
    .version = PRESTIGE_ICEBERG_COMPACT_OPTIONS_VERSION, .target_file_size_bytes = 0, .min_files = 0, \
    .dedup = false, .compression = NULL, .max_group_bytes = 0, .shutdown = NULL                        \
  }

typedef struct prestige_iceberg_compact_result {
  int64_t snapshot_id;  /* -1: nothing to compact */
  int64_t files_read, files_written, rows_read, rows_written, duplicates_eliminated;
  int64_t delete_files_removed, bytes_read, bytes_written;
  int64_t groups, groups_conflicted; /* groups_conflicted: in every round */
  int64_t replans;          /* rounds re-planned after concurrent deletes or compactions (at most 3) */
  int64_t groups_abandoned; /* partitions still conflicting after the last round (not compacted) */
} prestige_iceberg_compact_result_t;

PRESTIGE_API int prestige_iceberg_compact(prestige_iceberg_table_t *t, const prestige_iceberg_compact_options_t *o,
                                          prestige_iceberg_compact_result_t *res, prestige_error_t *err);

/* ---- the scheduler ------------------------------------------------------------------------------- */
typedef struct prestige_iceberg_maintain_metrics {
  int64_t runs, compactions, partitions_over_threshold, files_read, files_written, duplicates_eliminated;
  int64_t groups_conflicted, errors, last_snapshot_id;
  char last_error[256];
} prestige_iceberg_maintain_metrics_t;

#define PRESTIGE_ICEBERG_MAINTAIN_OPTIONS_VERSION 1
typedef struct prestige_iceberg_maintain_options {
  unsigned int version;                            /* PRESTIGE_ICEBERG_MAINTAIN_OPTIONS_VERSION */
  int64_t interval_ms;                             /* required, > 0 */
  prestige_iceberg_compact_options_t compaction;   /* min_files: the per-partition threshold */
  int64_t max_runs;                                /* 0: until the token fires */
  void (*on_run)(void *user, const prestige_iceberg_maintain_metrics_t *m); /* after each run (may be NULL) */
  void *user;
} prestige_iceberg_maintain_options_t;
#define PRESTIGE_ICEBERG_MAINTAIN_OPTIONS_INIT                                                           \
  {                                                                                                      \
    .version = PRESTIGE_ICEBERG_MAINTAIN_OPTIONS_VERSION, .interval_ms = 0,                              \
    .compaction = PRESTIGE_ICEBERG_COMPACT_OPTIONS_INIT, .max_runs = 0, .on_run = NULL, .user = NULL     \
  }

/* Every interval: counts the live files of each partition from the manifests only (no data file
 * is opened) and compacts the partitions with at least compaction.min_files files (or with delete
 * files). Runs until stop fires (stop may be NULL with max_runs > 0). A failed run is counted in
 * metrics (errors, last_error) and the loop goes on. */
PRESTIGE_API int prestige_iceberg_maintain(prestige_iceberg_table_t *t, const prestige_iceberg_maintain_options_t *o,
                                           prestige_shutdown_t *stop, prestige_iceberg_maintain_metrics_t *metrics,
                                           prestige_error_t *err);

/* ---- maintenance --------------------------------------------------------------------------------- */
#define PRESTIGE_ICEBERG_EXPIRE_OPTIONS_VERSION 1
typedef struct prestige_iceberg_expire_options {
  unsigned int version;    /* PRESTIGE_ICEBERG_EXPIRE_OPTIONS_VERSION */
  int64_t older_than_ms;   /* a timestamp (ms since the epoch); 0: now - history.expire.max-snapshot-age-ms (5 days) */
  int64_t retain_last;     /* 0: history.expire.min-snapshots-to-keep (1) ancestors of each branch kept */
  bool dry_run;            /* expire, but delete no file */
} prestige_iceberg_expire_options_t;
#define PRESTIGE_ICEBERG_EXPIRE_OPTIONS_INIT \
  { .version = PRESTIGE_ICEBERG_EXPIRE_OPTIONS_VERSION, .older_than_ms = 0, .retain_last = 0, .dry_run = false }

typedef struct prestige_iceberg_expire_result {
  int64_t snapshots_expired, data_files_deleted, delete_files_deleted, manifests_deleted, manifest_lists_deleted;
} prestige_iceberg_expire_result_t;

/* Never the current snapshot or one a ref (branch, tag) points to; then deletes the manifest
 * lists, manifests, data and delete files that only the expired snapshots reached. */
PRESTIGE_API int prestige_iceberg_expire_snapshots(prestige_iceberg_table_t *t, const prestige_iceberg_expire_options_t *o,
                                                   prestige_iceberg_expire_result_t *res, prestige_error_t *err);

#define PRESTIGE_ICEBERG_ORPHANS_OPTIONS_VERSION 1
typedef struct prestige_iceberg_orphans_options {
  unsigned int version;    /* PRESTIGE_ICEBERG_ORPHANS_OPTIONS_VERSION */
  int64_t older_than_ms;   /* a timestamp; 0: three days ago */
  bool dry_run;
} prestige_iceberg_orphans_options_t;
#define PRESTIGE_ICEBERG_ORPHANS_OPTIONS_INIT { .version = PRESTIGE_ICEBERG_ORPHANS_OPTIONS_VERSION, .older_than_ms = 0, .dry_run = false }

typedef struct prestige_iceberg_orphans_result {
  int64_t files_listed, orphans, deleted;
} prestige_iceberg_orphans_result_t;

/* Deletes the files under the table location that no metadata references and that were last
 * modified before the cutoff. */
PRESTIGE_API int prestige_iceberg_remove_orphans(prestige_iceberg_table_t *t, const prestige_iceberg_orphans_options_t *o,
                                                 prestige_iceberg_orphans_result_t *res, prestige_error_t *err);

typedef struct prestige_iceberg_rewrite_manifests_result {
  int64_t snapshot_id; /* 0: nothing to merge */
  int64_t manifests_replaced, manifests_written;
} prestige_iceberg_rewrite_manifests_result_t;

/* Merges the current snapshot's small data manifests (below target_bytes; 0:
 * commit.manifest.target-size-bytes, 8 MiB) per partition spec; one replace snapshot. */
PRESTIGE_API int prestige_iceberg_rewrite_manifests(prestige_iceberg_table_t *t, int64_t target_bytes,
                                                    prestige_iceberg_rewrite_manifests_result_t *res, prestige_error_t *err);

#ifdef __cplusplus
}
#endif

#endif
