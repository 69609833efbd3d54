/*
 * Row-level deletes and compaction on the catalog interface (internal; prestige/iceberg_maintenance.h
 * is the public face on the table handle).
 *
 *   ice_delete_options_t o = ICE_DELETE_OPTIONS_INIT;
 *   o.where = "level = 'debug' AND ts < '2024-01-01'";
 *   ice_delete_result_t r;
 *   ice_delete_where(catalog, &ident, io, &loaded, &o, &r, &err);   // loaded becomes current
 *
 * Deletes (spec "Row-level Deletes"): the current snapshot is planned with the predicate (files
 * that cannot match are skipped), each candidate file is read with its existing deletes applied
 * and the live rows matching the predicate (those for which it is TRUE: a NULL comparison deletes
 * nothing, as SQL's DELETE ... WHERE) are collected by position. Then, per data file:
 *   - every live row matches: the file is removed;
 *   - mode position: one position delete file per data file (file_path, pos sorted; its
 *     referenced_data_file set, Java's file-scoped deletes);
 *   - mode equality: the matching rows' identifier-field values, one equality delete file per
 *     partition touched.
 * One snapshot ("delete"), validated on retry: the files it removes and the files its position
 * deletes name must still be live (a concurrent compaction that rewrote them aborts the delete
 * with ECONFLICT naming the file).
 *
 * Compaction (Java's RewriteDataFiles with the bin-pack strategy): per partition of the default
 * spec, the data files smaller than 3/4 of the target (or with deletes applying to them) are
 * candidates; a partition with fewer than min_files candidates (and no deletes) is left alone;
 * candidates are packed in groups of about max_group_bytes; each group is read with its deletes
 * applied, optionally deduplicated on the identifier fields (the row of the highest data sequence
 * number wins), and written back through an append writer (so sorted by the table's sort order,
 * rolled at the target size). One "replace" snapshot removes the rewritten files and the delete
 * files that no longer apply to any live file; a group whose files were changed by a concurrent
 * delete or compaction is dropped (its new files deleted) and its partition re-planned from the
 * table as it is then and rewritten again in a further replace snapshot (at most 3 rounds; the
 * deletes that landed meanwhile are applied, so no deleted row comes back); appends never
 * conflict. V3: rewritten rows keep their row lineage (_row_id and _last_updated_sequence_number
 * written explicitly, see lineage.h).
 */
#ifndef PRESTIGE_ICEBERG_ROWDELTA_H
#define PRESTIGE_ICEBERG_ROWDELTA_H

#include <stdbool.h>
#include <stdint.h>

#include "iceberg/catalog.h"
#include "iceberg/io.h"
#include "prestige/arrow.h"
#include "prestige/core.h"
#include "prestige/error.h"
#include "prestige/parquet_writer.h"

typedef enum ice_delete_mode { ICE_DELETE_POSITION = 0, ICE_DELETE_EQUALITY = 1 } ice_delete_mode_t;

typedef struct ice_delete_options {
  const char *where;          /* predicate text (required) */
  ice_delete_mode_t mode;
  const char *what;           /* names the table in messages (NULL: "table") */
} ice_delete_options_t;
#define ICE_DELETE_OPTIONS_INIT {NULL, ICE_DELETE_POSITION, NULL}

typedef struct ice_delete_result {
  int64_t snapshot_id;        /* -1: nothing matched, nothing committed */
  int64_t deleted_rows;       /* live rows removed */
  int64_t removed_files;      /* data files removed whole */
  int64_t delete_files;       /* delete files written */
  int attempts;
} ice_delete_result_t;

int ice_delete_where(ice_catalog_t *catalog, const ice_ident_t *ident, ice_io_t *io, ice_loaded_table_t *table,
                     const ice_delete_options_t *o, ice_delete_result_t *res, prestige_error_t *err);

/* Equality deletes for the rows whose identifier fields equal a key row's (the upsert building
 * block): keys holds exactly the identifier columns, by name (moved in; released also on error).
 * One equality delete file per partition of the default spec (whose sources must all be
 * identifier fields: EUNSUPPORTED otherwise); deleted_rows is not counted (-: 0). */
int ice_delete_keys(ice_catalog_t *catalog, const ice_ident_t *ident, ice_io_t *io, ice_loaded_table_t *table,
                    const struct ArrowSchema *schema, struct ArrowArray *keys, const char *what, ice_delete_result_t *res,
                    prestige_error_t *err);

typedef struct ice_compact_options {
  int64_t target_file_size_bytes; /* 0: write.target-file-size-bytes (512 MiB) */
  int min_files;                  /* 0: 5 (Java's min-input-files) */
  bool dedup;                     /* on the identifier fields */
  const char *compression;        /* NULL: the table's write.parquet.compression-codec */
  int64_t max_group_bytes;        /* 0: 10 x target */
  const char *what;
  /* only these partitions (ice_partition_key text), NULL: all */
  const char *const *partitions;
  size_t n_partitions;
  prestige_shutdown_t *stop; /* triggered: stop before the commit (ECANCELED), files written deleted */
} ice_compact_options_t;
#define ICE_COMPACT_OPTIONS_INIT {0, 0, false, NULL, 0, NULL, NULL, 0, NULL}

typedef struct ice_compact_result {
  int64_t snapshot_id;            /* -1: nothing to do (or every group conflicted) */
  int64_t files_read, files_written;
  int64_t rows_read, rows_written, duplicates_eliminated;
  int64_t delete_files_removed;
  int64_t bytes_read, bytes_written;
  int64_t groups, groups_conflicted; /* groups_conflicted: in every round, re-planned ones included */
  int attempts;
  int replans;                       /* rounds re-planned after conflicts */
  int64_t groups_abandoned;          /* partitions still conflicting after the last re-plan */
} ice_compact_result_t;

int ice_compact(ice_catalog_t *catalog, const ice_ident_t *ident, ice_io_t *io, ice_loaded_table_t *table,
                const ice_compact_options_t *o, ice_compact_result_t *res, prestige_error_t *err);

/* Live data files per partition of a snapshot, from the manifests only. */
typedef struct ice_partition_count {
  char *key;          /* ice_partition_key text */
  int64_t files, delete_files, bytes;
} ice_partition_count_t;
int ice_count_partition_files(ice_io_t *io, const ice_table_metadata_t *md, ice_partition_count_t **out, size_t *n,
                              prestige_error_t *err);
void ice_partition_counts_free(ice_partition_count_t *c, size_t n);

#endif
