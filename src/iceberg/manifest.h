/*
 * Iceberg manifests and manifest lists (spec "Manifests", "Manifest Lists", Appendix A "Avro"),
 * through src/avro, as Java's ManifestWriter / ManifestListWriter write them for format
 * versions 2 and 3 (and read back from versions 1, 2 and 3).
 *
 * A manifest is an Avro file of manifest_entry records (status, snapshot id, data and file
 * sequence numbers, and the data_file struct with the file's path, partition tuple, counts and
 * bounds). Its header carries schema, schema-id, partition-spec, partition-spec-id,
 * format-version and content. A manifest list is an Avro file of manifest_file records, one per
 * manifest of a snapshot, with counts and per partition field summaries used to skip whole
 * manifests when planning.
 *
 *   ice_manifest_writer_t *w;
 *   ice_manifest_writer_open(&w, io, "s3://b/t/metadata/<uuid>-m0.avro", 2, schema, spec,
 *                            ICE_MANIFEST_DATA, snapshot_id, &err);
 *   ice_manifest_writer_add(w, &data_file, &err);          // ADDED: sequence numbers inherited
 *   ice_manifest_file_t mf;
 *   ice_manifest_writer_close(w, &mf, &err);               // path, length, counts, summaries
 *
 *   ice_manifest_list_writer_t *lw;
 *   ice_manifest_list_writer_open(&lw, io, list_location, 2, snapshot_id, parent_id, seq,
 *                                 first_row_id, &err);
 *   ice_manifest_list_writer_add(lw, &mf, &err);           // unassigned sequence numbers get seq
 *   ice_manifest_list_writer_close(lw, &next_row_id, &err);
 *
 *   ice_manifest_file_t *mfs; size_t n;
 *   ice_manifest_list_read(io, snapshot->manifest_list, &mfs, &n, &err);
 *   ice_manifest_t m;
 *   ice_manifest_read(io, &mfs[0], md, NULL, NULL, &m, &err);  // entries with inherited values
 *
 * Readers bind every field by its field id, ignore fields they do not know, read V1 manifests
 * (sequence numbers 0, content data) and apply the spec's inheritance: a null snapshot id,
 * data or file sequence number of an ADDED entry takes the manifest list entry's, and a null
 * V3 first_row_id takes the manifest's first_row_id plus the record counts of the data files
 * before it that also had none. Every count and length read is checked; a corrupt manifest is
 * ECORRUPT naming the file (and the entry), a missing one ENOTFOUND naming it.
 */
#ifndef PRESTIGE_ICEBERG_MANIFEST_H
#define PRESTIGE_ICEBERG_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "iceberg/io.h"
#include "iceberg/metadata.h"
#include "iceberg/partition.h"
#include "iceberg/types.h"
#include "iceberg/value.h"
#include "prestige/error.h"

#define ICE_UNASSIGNED_SEQ (-1)

typedef enum ice_file_content {
  ICE_CONTENT_DATA = 0,
  ICE_CONTENT_POSITION_DELETES = 1,
  ICE_CONTENT_EQUALITY_DELETES = 2
} ice_file_content_t;

typedef enum ice_manifest_content { ICE_MANIFEST_DATA = 0, ICE_MANIFEST_DELETES = 1 } ice_manifest_content_t;

typedef enum ice_entry_status { ICE_ENTRY_EXISTING = 0, ICE_ENTRY_ADDED = 1, ICE_ENTRY_DELETED = 2 } ice_entry_status_t;

/* A map from column id to a count (column_sizes, value_counts, null_value_counts,
 * nan_value_counts); present == false is a null map (absent), which is not an empty one. */
typedef struct ice_id_count {
  int32_t id;
  int64_t value;
} ice_id_count_t;
typedef struct ice_counts {
  ice_id_count_t *v;
  uint32_t n;
  bool present;
} ice_counts_t;

/* A map from column id to a serialized bound (Appendix D single-value form). */
typedef struct ice_id_bytes {
  int32_t id;
  const uint8_t *data;
  uint32_t len;
} ice_id_bytes_t;
typedef struct ice_bounds {
  ice_id_bytes_t *v;
  uint32_t n;
  bool present;
} ice_bounds_t;

/* The data_file struct. Pointers are views (into an arena or the caller's memory). */
typedef struct ice_data_file {
  ice_file_content_t content;
  const char *file_path;
  const char *file_format;     /* "parquet", "avro", "orc", "puffin" */
  int32_t spec_id;             /* the manifest's spec (not stored in the entry: field 141 is reserved) */
  ice_value_t *partition;      /* n_partition values, in spec field order, of the partition types */
  uint32_t n_partition;
  int64_t record_count;
  int64_t file_size_in_bytes;
  ice_counts_t column_sizes, value_counts, null_value_counts, nan_value_counts;
  ice_bounds_t lower_bounds, upper_bounds;
  const uint8_t *key_metadata; /* NULL: none */
  uint32_t key_metadata_len;
  int64_t *split_offsets;      /* NULL: none */
  uint32_t n_split_offsets;
  int32_t *equality_ids;       /* NULL: none (required for equality deletes) */
  uint32_t n_equality_ids;
  bool has_sort_order_id;
  int32_t sort_order_id;
  bool has_first_row_id;       /* V3 */
  int64_t first_row_id;
  const char *referenced_data_file; /* NULL: none */
  bool has_content_offset;     /* V3 deletion vectors */
  int64_t content_offset;
  bool has_content_size;
  int64_t content_size_in_bytes;
} ice_data_file_t;

/* A manifest_entry. After reading, the inherited values are filled in (has_* true). */
typedef struct ice_manifest_entry {
  ice_entry_status_t status;
  bool has_snapshot_id;
  int64_t snapshot_id;
  bool has_sequence_number; /* data sequence number */
  int64_t sequence_number;
  bool has_file_sequence_number;
  int64_t file_sequence_number;
  ice_data_file_t file;
} ice_manifest_entry_t;

/* One partition field's summary in a manifest list entry. */
typedef struct ice_field_summary {
  bool contains_null;
  bool has_contains_nan;
  bool contains_nan;
  uint8_t *lower_bound; /* malloc'd; NULL: none */
  uint32_t lower_len;
  uint8_t *upper_bound;
  uint32_t upper_len;
} ice_field_summary_t;

/* A manifest_file record (a manifest list entry). Owns its strings and summaries. */
typedef struct ice_manifest_file {
  char *path;
  int64_t length;
  int32_t spec_id;
  ice_manifest_content_t content;
  int64_t sequence_number;     /* ICE_UNASSIGNED_SEQ for a manifest of the commit being written */
  int64_t min_sequence_number; /* ICE_UNASSIGNED_SEQ likewise */
  int64_t added_snapshot_id;
  bool has_counts;             /* V1 lists may omit them (then: assume non-zero) */
  int32_t added_files_count, existing_files_count, deleted_files_count;
  int64_t added_rows_count, existing_rows_count, deleted_rows_count;
  ice_field_summary_t *partitions; /* NULL: none */
  uint32_t n_partitions;
  uint8_t *key_metadata;
  uint32_t key_metadata_len;
  bool has_first_row_id;       /* V3 */
  int64_t first_row_id;
} ice_manifest_file_t;

void ice_manifest_file_release(ice_manifest_file_t *m);
void ice_manifest_files_free(ice_manifest_file_t *m, size_t n);
int ice_manifest_file_copy(const ice_manifest_file_t *src, ice_manifest_file_t *dst, prestige_error_t *err);
/* Whether the manifest may hold live (added or existing) files. */
bool ice_manifest_file_has_live(const ice_manifest_file_t *m);

/* Deep copy of a data file into arena a (every pointer the copy holds points into a). */
int ice_data_file_copy(arena_t *a, const ice_data_file_t *src, ice_data_file_t *dst, prestige_error_t *err);
/* Lookups in the metric maps; false when the map or the id is absent. */
bool ice_counts_get(const ice_counts_t *c, int32_t id, int64_t *out);
bool ice_bounds_get(const ice_bounds_t *b, int32_t id, const uint8_t **data, uint32_t *len);

/* ---- Avro schemas --------------------------------------------------------------------------- */
/* The manifest_entry Avro schema JSON text for a format version (2 or 3) and a partition type
 * (ice_partition_spec_type), with Java's record names (manifest_entry, r2, r102, k117_v118, ...),
 * docs and field ids. Caller frees. */
int ice_manifest_entry_avro_schema(int format_version, const ice_type_t *partition_type, char **out,
                                   prestige_error_t *err);
/* The manifest_file Avro schema JSON text for a format version (2 or 3). Caller frees. */
int ice_manifest_list_avro_schema(int format_version, char **out, prestige_error_t *err);
/* The Avro JSON of an Iceberg type (Appendix A), named types (fixed, decimal, records) defined
 * once and then referenced by name, as Avro's schema printer does. */
json_t *ice_type_to_avro(const ice_type_t *t, int32_t field_id, json_t *names);

/* ---- manifests ------------------------------------------------------------------------------ */
typedef struct ice_manifest_writer ice_manifest_writer_t;

/* Opens a manifest for writing. schema is the table schema (its JSON goes in the header), spec
 * the partition spec of every file added. snapshot_id is the snapshot the manifest is written
 * for (ADDED and DELETED entries carry it). Nothing is visible at location until close. */
int ice_manifest_writer_open(ice_manifest_writer_t **out, ice_io_t *io, const char *location, int format_version,
                             const ice_schema_t *schema, const ice_partition_spec_t *spec,
                             ice_manifest_content_t content, int64_t snapshot_id, prestige_error_t *err);
/* An ADDED entry: snapshot id of the writer, sequence numbers and first_row_id left null (to be
 * inherited). The file's partition must have one value per spec field. */
int ice_manifest_writer_add(ice_manifest_writer_t *w, const ice_data_file_t *file, prestige_error_t *err);
/* An EXISTING entry (merge append rewrites): the entry's snapshot id and sequence numbers are
 * kept (they must be set), and a first_row_id it inherited is written explicitly. */
int ice_manifest_writer_existing(ice_manifest_writer_t *w, const ice_manifest_entry_t *entry, prestige_error_t *err);
/* A DELETED entry for the writer's snapshot, keeping the entry's sequence numbers. */
int ice_manifest_writer_delete(ice_manifest_writer_t *w, const ice_manifest_entry_t *entry, prestige_error_t *err);
/* Finishes the file and describes it (sequence numbers unassigned unless every live entry had
 * one). Frees w whatever happens. */
int ice_manifest_writer_close(ice_manifest_writer_t *w, ice_manifest_file_t *out, prestige_error_t *err);
void ice_manifest_writer_abort(ice_manifest_writer_t *w);

/* A manifest's entries, every pointer into arena. */
typedef struct ice_manifest {
  arena_t arena;
  ice_manifest_entry_t *entries;
  size_t n_entries;
  int format_version;          /* from the header (1 when absent) */
  int32_t spec_id;
  ice_manifest_content_t content;
} ice_manifest_t;
void ice_manifest_release(ice_manifest_t *m);

/* Called for each entry read (inheritance applied); return true to keep it in the result.
 * The entry is valid only during the call. */
typedef bool (*ice_manifest_keep_fn)(void *user, const ice_manifest_entry_t *e);

/* Reads the manifest mf names. The partition tuple is read with the types of mf's spec in md
 * (ECORRUPT when the table has no such spec). keep NULL keeps every entry. */
int ice_manifest_read(ice_io_t *io, const ice_manifest_file_t *mf, const ice_table_metadata_t *md,
                      ice_manifest_keep_fn keep, void *user, ice_manifest_t *out, prestige_error_t *err);
/* Same from bytes already in memory (what names the file in messages). */
int ice_manifest_read_memory(const uint8_t *data, size_t len, const char *what, const ice_manifest_file_t *mf,
                             const ice_table_metadata_t *md, ice_manifest_keep_fn keep, void *user,
                             ice_manifest_t *out, prestige_error_t *err);

/* ---- manifest lists ------------------------------------------------------------------------- */
typedef struct ice_manifest_list_writer ice_manifest_list_writer_t;

/* Header keys snapshot-id, parent-snapshot-id ("null" when none), sequence-number,
 * format-version and (V3) first-row-id, as Java writes them. */
int ice_manifest_list_writer_open(ice_manifest_list_writer_t **out, ice_io_t *io, const char *location,
                                  int format_version, int64_t snapshot_id, const int64_t *parent_id,
                                  int64_t sequence_number, int64_t first_row_id, prestige_error_t *err);
/* Unassigned sequence numbers take the list's (only for manifests of this snapshot: EINTERNAL
 * otherwise). V3: a data manifest without first_row_id is assigned the next row id, which then
 * advances by its added and existing row counts. */
int ice_manifest_list_writer_add(ice_manifest_list_writer_t *w, const ice_manifest_file_t *m, prestige_error_t *err);
/* *next_row_id (may be NULL) gets the row id after the last one assigned (V3). */
int ice_manifest_list_writer_close(ice_manifest_list_writer_t *w, int64_t *next_row_id, prestige_error_t *err);
void ice_manifest_list_writer_abort(ice_manifest_list_writer_t *w);

int ice_manifest_list_read(ice_io_t *io, const char *location, ice_manifest_file_t **out, size_t *n,
                           prestige_error_t *err);
int ice_manifest_list_read_memory(const uint8_t *data, size_t len, const char *what, ice_manifest_file_t **out,
                                  size_t *n, prestige_error_t *err);

/* The manifests of a snapshot: its manifest list, or for a V1 snapshot without one its
 * "manifests" (read from each manifest's header: counts unknown). */
int ice_snapshot_manifests(ice_io_t *io, const ice_snapshot_t *s, ice_manifest_file_t **out, size_t *n,
                           prestige_error_t *err);

/* ---- values in Avro ------------------------------------------------------------------------- */
/* Partition summary accumulation for one spec: one ice_field_summary_t per field. */
typedef struct ice_partition_summary {
  const ice_type_t *types; /* the partition struct type (borrowed; must outlive the summary) */
  uint32_t n;
  ice_field_summary_t *fields;
  buf_t scratch;
} ice_partition_summary_t;
int ice_partition_summary_init(ice_partition_summary_t *s, const ice_type_t *partition_type, prestige_error_t *err);
int ice_partition_summary_update(ice_partition_summary_t *s, const ice_value_t *values, prestige_error_t *err);
/* Moves the summaries out (*out malloc'd, n fields). */
void ice_partition_summary_take(ice_partition_summary_t *s, ice_field_summary_t **out, uint32_t *n);
void ice_partition_summary_release(ice_partition_summary_t *s);

#endif
