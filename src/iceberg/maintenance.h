/*
 * Table maintenance on the catalog interface (internal; prestige/iceberg_maintenance.h is the
 * public face):
 *   - expire snapshots (Java's ExpireSnapshots): snapshots older than a cutoff go, except the
 *     current one, every ref's head, and per branch its newest retain_last ancestors (a ref's
 *     min-snapshots-to-keep wins); one remove-snapshots commit (guarded by main's head); then the
 *     manifest lists, manifests, data and delete files that only expired snapshots reached are
 *     deleted (reachability, as Java's ReachableFileCleanup: the live entries of the kept snapshots' manifests);
 *   - remove orphans (Java's DeleteOrphanFiles): files under the table location that no metadata
 *     references (metadata files and their log, manifest lists, manifests, every file any manifest
 *     names, statistics files, version-hint.text) and last modified before the cutoff (default
 *     three days ago: a writer's uncommitted files are younger); files under .prestige-tmp/ are
 *     never touched;
 *   - rewrite manifests: the current snapshot's data manifests smaller than the target
 *     (commit.manifest.target-size-bytes, 8 MiB) merged per spec into manifests of about the
 *     target, one "replace" snapshot, retried on conflicts;
 *   - the scheduler (the reference's CompactionScheduler): every interval, counts live files per
 *     partition from the manifests only (no data file opened) and compacts the partitions with
 *     at least min_files files (or with delete files), until the shutdown token fires.
 */
#ifndef PRESTIGE_ICEBERG_MAINTENANCE_H
#define PRESTIGE_ICEBERG_MAINTENANCE_H

#include <stdbool.h>
#include <stdint.h>

#include "iceberg/catalog.h"
#include "iceberg/io.h"
#include "iceberg/rowdelta.h"
#include "prestige/core.h"

#define ICE_EXPIRE_DEFAULT INT64_MIN

typedef struct ice_expire_options {
  int64_t older_than_ms; /* a timestamp (ms since the epoch); ICE_EXPIRE_DEFAULT: now - history.expire.max-snapshot-age-ms (5 days) */
  int64_t retain_last;   /* 0: history.expire.min-snapshots-to-keep (1) */
  bool dry_run;          /* commit, but delete no file */
  const char *what;
} ice_expire_options_t;
#define ICE_EXPIRE_OPTIONS_INIT {ICE_EXPIRE_DEFAULT, 0, false, NULL}

typedef struct ice_expire_result {
  int64_t snapshots_expired;
  int64_t data_files_deleted, delete_files_deleted, manifests_deleted, manifest_lists_deleted;
} ice_expire_result_t;

int ice_expire_snapshots(ice_catalog_t *catalog, const ice_ident_t *ident, ice_io_t *io, ice_loaded_table_t *table,
                         const ice_expire_options_t *o, ice_expire_result_t *res, prestige_error_t *err);

typedef struct ice_orphans_options {
  int64_t older_than_ms; /* a timestamp; -1: three days ago */
  bool dry_run;
  void (*on_orphan)(void *user, const char *location); /* each orphan found (may be NULL) */
  void *user;
} ice_orphans_options_t;
#define ICE_ORPHANS_OPTIONS_INIT {-1, false, NULL, NULL}

typedef struct ice_orphans_result {
  int64_t files_listed, orphans, deleted;
} ice_orphans_result_t;

int ice_remove_orphans(ice_io_t *io, const ice_loaded_table_t *table, const ice_orphans_options_t *o, ice_orphans_result_t *res,
                       prestige_error_t *err);

typedef struct ice_rewrite_manifests_options {
  int64_t target_manifest_bytes; /* 0: commit.manifest.target-size-bytes (8 MiB) */
  const char *what;
} ice_rewrite_manifests_options_t;
#define ICE_REWRITE_MANIFESTS_OPTIONS_INIT {0, NULL}

typedef struct ice_rewrite_manifests_result {
  int64_t snapshot_id; /* 0: nothing to merge */
  int64_t manifests_replaced, manifests_written;
  int attempts;
} ice_rewrite_manifests_result_t;

int ice_rewrite_manifests(ice_catalog_t *catalog, const ice_ident_t *ident, ice_io_t *io, ice_loaded_table_t *table,
                          const ice_rewrite_manifests_options_t *o, ice_rewrite_manifests_result_t *res, prestige_error_t *err);

typedef struct ice_maintain_metrics {
  int64_t runs, compactions, partitions_over_threshold, files_read, files_written, duplicates_eliminated;
  int64_t groups_conflicted, errors, last_snapshot_id;
  char last_error[256];
} ice_maintain_metrics_t;

typedef struct ice_maintain_options {
  int64_t interval_ms;
  ice_compact_options_t compact; /* min_files is the per-partition threshold (default 5) */
  int64_t max_runs;              /* 0: until stopped */
  void (*on_run)(void *user, const ice_maintain_metrics_t *m);
  void *user;
} ice_maintain_options_t;

/* Runs until stop fires (or max_runs); errors of one run are counted and logged, the loop goes on
 * (out of memory and bad options end it). */
int ice_maintain(ice_catalog_t *catalog, const ice_ident_t *ident, ice_io_t *io, ice_loaded_table_t *table,
                 const ice_maintain_options_t *o, prestige_shutdown_t *stop, ice_maintain_metrics_t *m, prestige_error_t *err);

#endif
