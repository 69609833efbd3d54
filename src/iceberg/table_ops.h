/*
 * Iceberg table operations on the catalog interface: appends (data files written from Arrow
 * batches, then one snapshot committed) and scans (planning over manifests, then the files read
 * by field id). Internal: prestige/iceberg.h is the public face on the catalog's table handle.
 *
 *   ice_append_t *a;
 *   ice_append_options_t o = ICE_APPEND_OPTIONS_INIT;
 *   ice_append_new(&a, catalog, &ident, io, &loaded, &o, &err);
 *   ice_append_write(a, &schema, &batch, &err);           // any number of batches; columns by name
 *   ice_commit_result_t res;
 *   ice_append_commit(a, &res, &loaded_after, &err);       // one snapshot, retried on conflicts
 *   ice_append_free(a);                                     // uncommitted: its files are deleted
 *
 * Appends (Java's MergeAppend, the default of Table.newAppend):
 *   - rows are split by partition (one open file per partition, at most max_open_files (64) open:
 *     beyond that the largest is closed and the partition gets a new file later), files roll at
 *     write.target-file-size-bytes (512 MiB), land in <write.data.path or location/data>/<partition
 *     path>/00000-0-<operation uuid>-<NNNNN>.parquet, with write.parquet.compression-codec
 *     (zstd), write.parquet.compression-level, write.parquet.row-group-size-bytes (128 MiB; unset: ICE_ROW_GROUP_ROWS rows),
 *     write.parquet.page-size-bytes and write.parquet.dict-size-bytes, field ids on every column
 *     and the iceberg.schema footer key;
 *   - a table with a sort order buffers each partition's rows (up to sort_buffer_bytes in all),
 *     sorts them by the order (transforms, directions, null orders) and writes each sorted run
 *     as one file;
 *   - commit writes one manifest for the new files, then a manifest list holding it and the
 *     parent's manifests (fast append); manifests are merged as Java's ManifestMergeManager
 *     does (commit.manifest-merge.enabled, commit.manifest.min-count-to-merge 100,
 *     commit.manifest.target-size-bytes 8 MiB): so a snapshot that would hold 100 manifests
 *     gets them merged. Requirements assert-table-uuid + assert-ref-snapshot-id on the branch;
 *     updates add-snapshot + set-snapshot-ref. A lost compare-and-set (ECONFLICT) is retried as
 *     Java does (commit.retry.num-retries 4, min-wait-ms 100, max-wait-ms 60000, total-timeout-ms
 *     1800000, exponential backoff with jitter): the table is reloaded and only the manifest list
 *     (and merged manifests) rewritten. EUNKNOWN_STATE is resolved by reloading and looking for
 *     the snapshot id; when the reload fails too it is returned and nothing is deleted.
 *   - the summary has Java's keys (added-data-files, added-records, added-files-size,
 *     changed-partition-count, total-*, manifests-created/kept/replaced) plus the caller's.
 *   - a branch that does not exist is created from main's current snapshot by the same commit;
 *     format version 1 tables are refused (EUNSUPPORTED).
 */
#ifndef PRESTIGE_ICEBERG_TABLE_OPS_H
#define PRESTIGE_ICEBERG_TABLE_OPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "iceberg/catalog.h"
#include "iceberg/io.h"
#include "iceberg/manifest.h"
#include "prestige/arrow.h"
#include "prestige/error.h"
#include "prestige/parquet_writer.h"

/* ---- appends ------------------------------------------------------------------------------------- */
typedef struct ice_append_options {
  const char *branch;                 /* NULL: "main" */
  int64_t target_file_size_bytes;     /* 0: write.target-file-size-bytes (default 512 MiB) */
  const prestige_parquet_writer_options_t *writer; /* NULL: from the table's write.parquet.* properties */
  const prestige_kv_t *summary;       /* extra snapshot summary entries */
  size_t n_summary;
  int max_open_files;                 /* 0: 64 files open at once */
  int64_t sort_buffer_bytes;          /* 0: 256 MiB of rows buffered for sorting (sorted tables) */
  const char *operation_id;           /* NULL: a random uuid (names the data files) */
  bool set_compression;               /* true: compression/compression_level below win over the table's */
  int compression;                    /* prestige_compression_t */
  int compression_level;              /* INT32_MIN: the codec's default */
  int writer_threads;                 /* 0 or 1: one; else each data file's writer encodes on that many */
} ice_append_options_t;
/* rows per row group of the data files appends, sinks and compactions write when the table does not
 * set write.parquet.row-group-size-bytes (see writer_options in append.c) */
#define ICE_ROW_GROUP_ROWS ((int64_t)128 * 1024)
#define ICE_APPEND_OPTIONS_INIT {NULL, 0, NULL, NULL, 0, 0, 0, NULL, false, 0, INT32_MIN, 0}

typedef struct ice_commit_result {
  int64_t snapshot_id;
  int64_t files;     /* data files added */
  int64_t rows;      /* rows added */
  char **paths;      /* the data files' locations */
  size_t n_paths;
  int attempts;      /* commit attempts (1: no conflict) */
  int64_t manifests; /* manifests in the new snapshot */
  int64_t merged;    /* manifests replaced by merging */
} ice_commit_result_t;
void ice_commit_result_release(ice_commit_result_t *r);

typedef struct ice_append ice_append_t;

/* The table as loaded (copied). The catalog and io must outlive the append. */
int ice_append_new(ice_append_t **out, ice_catalog_t *catalog, const ice_ident_t *ident, ice_io_t *io,
                   const ice_loaded_table_t *table, const ice_append_options_t *o, prestige_error_t *err);
/* Writes a batch (moved in; released also on error). Columns are matched to the table's by
 * name (arrow_conform.h). After an error the append can only be freed. */
int ice_append_write(ice_append_t *a, const struct ArrowSchema *schema, struct ArrowArray *batch, prestige_error_t *err);
/* Every batch of a stream (the stream is released). */
int ice_append_write_stream(ice_append_t *a, struct ArrowArrayStream *in, prestige_error_t *err);
/* A data file written elsewhere (copied): it must belong to the table's default spec. */
int ice_append_add_file(ice_append_t *a, const ice_data_file_t *f, prestige_error_t *err);
/* Closes every file and commits one snapshot. current (may be NULL) receives the table after the
 * commit. After a failed commit the written files are deleted (unless the outcome is unknown). */
int ice_append_commit(ice_append_t *a, ice_commit_result_t *res, ice_loaded_table_t *current, prestige_error_t *err);
/* Frees; the files of an uncommitted append are deleted. */
void ice_append_free(ice_append_t *a);

/* Rows and files written so far (files closed). */
int64_t ice_append_rows(const ice_append_t *a);
int64_t ice_append_files(const ice_append_t *a);

/* ---- snapshots ------------------------------------------------------------------------------------ */
/* A random positive snapshot id (Java: uuid halves xor'ed) not used by md. */
int ice_new_snapshot_id(const ice_table_metadata_t *md, int64_t *out, prestige_error_t *err);

/* The requirements of a commit that moves branch from head (NULL: the branch must not exist yet):
 * the table's uuid when it has one, and the branch's current snapshot. Returns how many (1 or 2). */
size_t ice_branch_requirements(const ice_table_metadata_t *md, const char *branch, const int64_t *head,
                               ice_requirement_t reqs[2]);
/* Commits snap as the new head of branch on md's table: the caller sets its id, parent, sequence
 * number, manifest list, operation and summary; this sets its timestamp (never before the table's
 * last update: clocks may disagree), schema id and, on V3, its row lineage (first_row_id and the
 * rows from first_row_id up to next_row_id), then sends ADD_SNAPSHOT + SET_SNAPSHOT_REF(branch)
 * with the requirements ASSERT_TABLE_UUID and ASSERT_REF_SNAPSHOT_ID(branch, head), head NULL
 * meaning the branch must not exist yet. The one commit of appends, rewrites and manifest
 * rewrites; ECONFLICT when another writer moved the branch first. */
int ice_commit_snapshot(ice_catalog_t *catalog, const ice_ident_t *ident, const ice_table_metadata_t *md, ice_snapshot_t *snap,
                        const char *branch, const int64_t *head, int64_t first_row_id, int64_t next_row_id,
                        ice_loaded_table_t *out, prestige_error_t *err);
/* Whether `ancestor` is `snapshot_id` or one of its ancestors in md. */
bool ice_snapshot_is_ancestor(const ice_table_metadata_t *md, int64_t snapshot_id, int64_t ancestor);
/* The snapshot current at ts_ms (the last snapshot-log entry at or before it; without a log,
 * main's ancestry). ENOTFOUND when there is none. */
int ice_snapshot_as_of(const ice_table_metadata_t *md, int64_t ts_ms, int64_t *snapshot_id, prestige_error_t *err);

#endif
