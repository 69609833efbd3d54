/*
 * The table handle behind prestige_iceberg_table_t (prestige/iceberg_catalog.h), for the table
 * operations built on it (appends, scans, the sink): the catalog it came from, its identifier,
 * the loaded metadata and a file IO rooted at the table's location.
 *
 *   prestige_iceberg_table_t *t;                       // from prestige_iceberg_table_load
 *   const ice_table_metadata_t *md = t->loaded.metadata;
 *   ice_update_t up = {.kind = ICE_UP_SET_PROPERTIES};  ...
 *   ice_requirement_t req = {.kind = ICE_REQ_ASSERT_TABLE_UUID, .uuid = md->table_uuid};
 *   ice_table_commit(t, &req, 1, &up, 1, &err);         // the backend's commit, then t is current
 *
 * A handle is used by one thread at a time; the catalog outlives it.
 */
#ifndef PRESTIGE_ICEBERG_TABLE_H
#define PRESTIGE_ICEBERG_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/bufpool.h"
#include "iceberg/catalog.h"
#include "iceberg/io.h"
#include "prestige/iceberg_catalog.h"

struct prestige_iceberg_catalog {
  ice_catalog_t *catalog;
};

struct prestige_iceberg_table {
  prestige_iceberg_catalog_t *owner; /* the public catalog (not owned) */
  ice_catalog_t *catalog;            /* owner->catalog */
  ice_ident_t ident;
  char *ident_text;                  /* "ns.table" */
  ice_loaded_table_t loaded;         /* current metadata and where it lives */
  ice_io_t *io;                      /* rooted at the table location; shares the catalog's S3 client */
  /* public snapshot views (prestige_iceberg_table_snapshots), rebuilt after a change */
  prestige_iceberg_snapshot_t *snap_views;
  prestige_kv_t *snap_kvs;
  int64_t n_snap_views;
  bool snap_views_valid;
  /* decoded Parquet buffers kept between this handle's scans (created by the first scan, capped;
   * each stream holds a reference, so a stream may outlive the handle) */
  bufpool_t *scan_bufs;
};

/* A handle for a loaded table (moved into the handle: *loaded is zeroed). */
int ice_table_new(prestige_iceberg_catalog_t *owner, const ice_ident_t *ident, ice_loaded_table_t *loaded,
                  prestige_iceberg_table_t **out, prestige_error_t *err);
/* Replaces the handle's table with loaded (moved in; a new location gets a new IO). */
int ice_table_replace(prestige_iceberg_table_t *t, ice_loaded_table_t *loaded, prestige_error_t *err);

/* Commits requirements + updates through the catalog backend and, on success, makes the handle
 * current. On ECONFLICT the handle is unchanged (refresh, rebuild, retry). */
int ice_table_commit(prestige_iceberg_table_t *t, const ice_requirement_t *reqs, size_t n_reqs, const ice_update_t *ups,
                     size_t n_ups, prestige_error_t *err);

/* Java's commit retry settings from the table properties: commit.retry.num-retries (4),
 * commit.retry.min-wait-ms (100), commit.retry.max-wait-ms (60000), commit.retry.total-timeout-ms
 * (1800000). */
typedef struct ice_retry_policy {
  int num_retries;
  int64_t min_wait_ms, max_wait_ms, total_timeout_ms;
} ice_retry_policy_t;
void ice_retry_policy_from_table(const ice_table_metadata_t *md, ice_retry_policy_t *p);
/* Sleep before retry attempt (1, 2, ...): exponential from min_wait, capped, with full jitter. */
void ice_retry_sleep(const ice_retry_policy_t *p, int attempt);

/* Snapshot lookups on metadata (Java's SnapshotUtil). */
int ice_table_snapshot_as_of(const ice_table_metadata_t *md, int64_t ts_ms, int64_t *snapshot_id, prestige_error_t *err);
int ice_table_oldest_ancestor(const ice_table_metadata_t *md, int64_t *snapshot_id, prestige_error_t *err);

#endif
