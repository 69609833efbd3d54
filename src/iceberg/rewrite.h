/*
 * Commits that remove files as well as add them (row-level deletes, compaction, expiry helpers):
 * one snapshot on the table's main branch that adds data files and delete files and removes
 * live files by path, retried on lost compare-and-sets with Java's validations re-run against
 * the table as it is then.
 *
 *   ice_rewrite_group_t g = {0};
 *   g.remove = paths; g.n_remove = n;                // data or delete files, by location
 *   g.add_data = files; g.n_add_data = k;            // written elsewhere (e.g. by an ice_append)
 *   g.no_new_deletes = true;                         // compaction: a delete added since base aborts g
 *   ice_rewrite_options_t o = ICE_REWRITE_OPTIONS_INIT;
 *   o.operation = "replace"; o.base_snapshot_id = planned_on; o.drop_conflicting_groups = true;
 *   ice_rewrite_result_t res;
 *   ice_rewrite_commit(catalog, &ident, io, &loaded, &g, 1, &o, &res, &err);  // loaded becomes current
 *
 * Validation on every attempt (against the branch head being replaced):
 *   - every path a group removes and every path in require_live is a live file;
 *   - no_new_deletes: no delete file that applies to a removed data file was added after the
 *     base snapshot (Java's validateNoNewDeletesForDataFiles): position deletes naming it (or
 *     without a single referenced file, in its partition), equality deletes in its partition (or
 *     under an unpartitioned spec);
 *   - no_new_dvs: no position delete file naming one of require_live was added after the base
 *     (V3: at most one deletion vector per data file).
 * A group that fails is dropped when drop_conflicting_groups (its result flag false), else the
 * commit fails with ECONFLICT naming the file. remove_dangling_deletes also removes the live delete
 * files that would apply to no live data file after the commit.
 */
#ifndef PRESTIGE_ICEBERG_REWRITE_H
#define PRESTIGE_ICEBERG_REWRITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "iceberg/catalog.h"
#include "iceberg/io.h"
#include "iceberg/manifest.h"
#include "prestige/core.h"

typedef struct ice_rewrite_group {
  const char *const *remove; /* live data or delete file locations */
  size_t n_remove;
  const ice_data_file_t *add_data; /* the table's default spec or the spec they name */
  size_t n_add_data;
  const ice_data_file_t *add_deletes;
  size_t n_add_deletes;
  const char *const *require_live; /* data files the added deletes reference */
  size_t n_require_live;
  bool no_new_deletes;
  bool no_new_dvs;
} ice_rewrite_group_t;

typedef struct ice_rewrite_options {
  const char *operation;          /* "delete", "overwrite", "replace" */
  int64_t base_snapshot_id;       /* the snapshot the work read (-1: none) */
  bool remove_dangling_deletes;
  bool drop_conflicting_groups;
  const prestige_kv_t *summary;   /* extra summary entries */
  size_t n_summary;
  const char *what;               /* names the operation in messages ("delete from db.t") */
} ice_rewrite_options_t;
#define ICE_REWRITE_OPTIONS_INIT {"overwrite", -1, false, false, NULL, 0, NULL}

typedef struct ice_rewrite_result {
  int64_t snapshot_id;     /* -1: nothing committed (every group dropped) */
  int attempts;
  bool *group_ok;          /* n groups; malloc'd */
  size_t n_groups;
  int64_t removed_data_files, removed_delete_files, dangling_delete_files;
  int64_t added_data_files, added_delete_files;
} ice_rewrite_result_t;
void ice_rewrite_result_release(ice_rewrite_result_t *r);

/* table: in, the table as the caller loaded it; out (on success), the table after the commit.
 * Files of dropped groups are not deleted here (the caller owns what it wrote). */
int ice_rewrite_commit(ice_catalog_t *catalog, const ice_ident_t *ident, ice_io_t *io, ice_loaded_table_t *table,
                       const ice_rewrite_group_t *groups, size_t n_groups, const ice_rewrite_options_t *o,
                       ice_rewrite_result_t *res, prestige_error_t *err);

/* A file's partition as comparable bytes: spec id, then per field a null flag and the
 * single-value bytes. */
int ice_partition_key(const ice_table_metadata_t *md, const ice_data_file_t *f, buf_t *out, prestige_error_t *err);

/* A set of strings (paths): open addressing over malloc'd copies. */
typedef struct ice_pathset {
  char **slots;
  int64_t *vals;
  size_t n, cap;
} ice_pathset_t;
int ice_pathset_add(ice_pathset_t *s, const char *p, int64_t val); /* replaces val when present */
bool ice_pathset_get(const ice_pathset_t *s, const char *p, int64_t *val);
void ice_pathset_release(ice_pathset_t *s);

#endif
