/*
 * Iceberg table metadata (spec "Table Metadata", "Snapshots", "Snapshot References",
 * Appendix C): the model, its JSON (read V1/V2/V3, write V2/V3), and the REST catalog's
 * commit model: requirements checked against the current metadata, then updates applied to
 * produce the next metadata (Java's TableMetadata.Builder semantics).
 *
 *   ice_table_metadata_t *md;
 *   ice_metadata_read_text(text, len, "s3://b/t/metadata/00001-....metadata.json", &md, &err);
 *   const ice_snapshot_t *cur = ice_metadata_current_snapshot(md);
 *   char *json = ice_metadata_write_text(md);        // malloc'd, as Java writes it
 *
 *   // a commit: requirements + updates, in their REST JSON form or built in C
 *   ice_update_t *ups; size_t n_ups;  ice_requirement_t *reqs; size_t n_reqs;
 *   ice_updates_from_json(updates_json, &ups, &n_ups, &err);
 *   ice_requirements_from_json(reqs_json, &reqs, &n_reqs, &err);
 *   ice_requirements_check(md, reqs, n_reqs, &err);           // ECONFLICT when one fails
 *   ice_table_metadata_t *next;
 *   ice_metadata_apply(md, ups, n_ups, now_ms, &next, &err);  // md unchanged; next is new
 *
 * A V2 file with current-snapshot-id but no refs gets a "main" branch (Java does the same);
 * current-snapshot-id -1 or null reads as none. Unknown top-level fields are tolerated (not
 * kept). statistics and partition-statistics entries are kept verbatim through a round trip.
 */
#ifndef PRESTIGE_ICEBERG_METADATA_H
#define PRESTIGE_ICEBERG_METADATA_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "iceberg/partition.h"
#include "iceberg/types.h"
#include "prestige/error.h"

#define ICE_FORMAT_VERSION_MAX 3
#define ICE_NO_SNAPSHOT (-1)

typedef struct ice_kv {
  char *key;
  char *value;
} ice_kv_t;

/* An ordered string map (properties, snapshot summaries). */
typedef struct ice_strmap {
  ice_kv_t *items;
  size_t n, cap;
} ice_strmap_t;

const char *ice_strmap_get(const ice_strmap_t *m, const char *key);
int ice_strmap_set(ice_strmap_t *m, const char *key, const char *value); /* ENOMEM */
bool ice_strmap_remove(ice_strmap_t *m, const char *key);
void ice_strmap_release(ice_strmap_t *m);
int ice_strmap_copy(const ice_strmap_t *src, ice_strmap_t *dst);

typedef struct ice_snapshot {
  int64_t snapshot_id;
  bool has_parent;
  int64_t parent_id;
  int64_t sequence_number;     /* 0 in V1 */
  int64_t timestamp_ms;
  char *manifest_list;         /* NULL for a V1 snapshot with embedded "manifests" */
  char **manifests;            /* V1 only */
  size_t n_manifests;
  char *operation;             /* summary "operation"; NULL when the summary is absent */
  ice_strmap_t summary;        /* the other summary entries, in order */
  bool has_schema_id;
  int32_t schema_id;
  bool has_first_row_id;       /* V3: required */
  int64_t first_row_id;
  bool has_added_rows;         /* V3: required */
  int64_t added_rows;
  char *key_id;                /* V3 encryption key id, NULL when none */
} ice_snapshot_t;

typedef enum { ICE_REF_BRANCH = 0, ICE_REF_TAG = 1 } ice_ref_type_t;

typedef struct ice_snapshot_ref {
  char *name;
  int64_t snapshot_id;
  ice_ref_type_t type;
  bool has_min_snapshots_to_keep;
  int32_t min_snapshots_to_keep;
  bool has_max_snapshot_age_ms;
  int64_t max_snapshot_age_ms;
  bool has_max_ref_age_ms;
  int64_t max_ref_age_ms;
} ice_snapshot_ref_t;

typedef struct ice_snapshot_log_entry {
  int64_t timestamp_ms;
  int64_t snapshot_id;
} ice_snapshot_log_entry_t;

typedef struct ice_metadata_log_entry {
  int64_t timestamp_ms;
  char *file;
} ice_metadata_log_entry_t;

/* A statistics or partition-statistics entry: its snapshot id plus the whole JSON object
 * (kept verbatim). */
typedef struct ice_statistics {
  int64_t snapshot_id;
  json_t *json;
} ice_statistics_t;

typedef struct ice_table_metadata {
  int format_version;
  char *table_uuid;         /* NULL only for old V1 files */
  char *location;
  int64_t last_sequence_number;
  int64_t last_updated_ms;
  int32_t last_column_id;
  ice_schema_t **schemas;
  size_t n_schemas;
  int32_t current_schema_id;
  ice_partition_spec_t **specs;
  size_t n_specs;
  int32_t default_spec_id;
  int32_t last_partition_id;
  ice_sort_order_t **sort_orders;
  size_t n_sort_orders;
  int32_t default_sort_order_id;
  ice_strmap_t properties;
  int64_t current_snapshot_id; /* ICE_NO_SNAPSHOT when none */
  ice_snapshot_t **snapshots;
  size_t n_snapshots;
  ice_snapshot_ref_t *refs;
  size_t n_refs;
  ice_snapshot_log_entry_t *snapshot_log;
  size_t n_snapshot_log;
  ice_metadata_log_entry_t *metadata_log;
  size_t n_metadata_log;
  ice_statistics_t *statistics;
  size_t n_statistics;
  ice_statistics_t *partition_statistics;
  size_t n_partition_statistics;
  int64_t next_row_id;         /* V3 */
  json_t *encryption_keys;     /* V3, kept verbatim (NULL when absent) */
} ice_table_metadata_t;

void ice_metadata_free(ice_table_metadata_t *md);
int ice_metadata_copy(const ice_table_metadata_t *md, ice_table_metadata_t **out, prestige_error_t *err);

/* ---- lookups --------------------------------------------------------------------------- */
const ice_schema_t *ice_metadata_schema(const ice_table_metadata_t *md, int32_t schema_id);
const ice_schema_t *ice_metadata_current_schema(const ice_table_metadata_t *md);
const ice_partition_spec_t *ice_metadata_spec(const ice_table_metadata_t *md, int32_t spec_id);
const ice_partition_spec_t *ice_metadata_default_spec(const ice_table_metadata_t *md);
const ice_sort_order_t *ice_metadata_sort_order(const ice_table_metadata_t *md, int32_t order_id);
const ice_sort_order_t *ice_metadata_default_sort_order(const ice_table_metadata_t *md);
const ice_snapshot_t *ice_metadata_snapshot(const ice_table_metadata_t *md, int64_t snapshot_id);
const ice_snapshot_t *ice_metadata_current_snapshot(const ice_table_metadata_t *md);
const ice_snapshot_ref_t *ice_metadata_ref(const ice_table_metadata_t *md, const char *name);
const char *ice_metadata_property(const ice_table_metadata_t *md, const char *key, const char *dflt);

/* ---- JSON -------------------------------------------------------------------------------- */
/* Parses and validates metadata. what names the file for messages. Spec violations (missing
 * or mistyped required fields, ids that name nothing, current-snapshot-id naming a missing
 * snapshot, refs disagreeing with it, unsupported versions) give ECORRUPT naming the field
 * and the file; unsupported V3 types EUNSUPPORTED naming the column. */
int ice_metadata_from_json(const json_t *j, const char *what, ice_table_metadata_t **out, prestige_error_t *err);
int ice_metadata_read_text(const char *text, size_t len, const char *what, ice_table_metadata_t **out,
                           prestige_error_t *err);
/* The metadata as Java's TableMetadataParser writes it (V1 metadata: EUNSUPPORTED, we read
 * V1 only). NULL on ENOMEM. */
int ice_metadata_to_json(const ice_table_metadata_t *md, json_t **out, prestige_error_t *err);
/* Pretty-printed text (malloc'd), or NULL with err set. */
char *ice_metadata_write_text(const ice_table_metadata_t *md, prestige_error_t *err);
/* Checks the invariants the parser checks (for metadata built in memory). */
int ice_metadata_validate(const ice_table_metadata_t *md, const char *what, prestige_error_t *err);

/* ---- snapshots and refs as JSON ---------------------------------------------------------- */
int ice_snapshot_from_json(const json_t *j, const char *what, ice_snapshot_t **out, prestige_error_t *err);
json_t *ice_snapshot_to_json(const ice_snapshot_t *s);
void ice_snapshot_free(ice_snapshot_t *s);
int ice_snapshot_copy(const ice_snapshot_t *s, ice_snapshot_t **out, prestige_error_t *err);
/* Parses a ref object (name given separately). */
int ice_ref_from_json(const json_t *j, const char *name, const char *what, ice_snapshot_ref_t *out,
                      prestige_error_t *err);
json_t *ice_ref_to_json(const ice_snapshot_ref_t *r);
void ice_ref_release(ice_snapshot_ref_t *r);

/* ---- new metadata --------------------------------------------------------------------------- */
/* A new table's metadata as Java's newTableMetadata makes it: the schema's ids assigned
 * fresh (1, 2, ... in Java's order), the spec's and sort order's sources remapped by column
 * name, partition field ids from 1000, sort order id 1 (0 when unsorted), schema and spec id
 * 0, a random table uuid, last-updated-ms = now_ms. spec/order may be NULL (unpartitioned,
 * unsorted). Properties are copied (may be NULL). format_version 2 or 3. */
int ice_metadata_new_table(const ice_schema_t *schema, const ice_partition_spec_t *spec, const ice_sort_order_t *order,
                           const char *location, const ice_strmap_t *properties, int format_version, int64_t now_ms,
                           ice_table_metadata_t **out, prestige_error_t *err);

/* ---- the commit model (REST "TableUpdate" / "TableRequirement") ---------------------------- */
typedef enum ice_update_kind {
  ICE_UP_ASSIGN_UUID = 0,
  ICE_UP_UPGRADE_FORMAT_VERSION,
  ICE_UP_ADD_SCHEMA,
  ICE_UP_SET_CURRENT_SCHEMA,
  ICE_UP_ADD_SPEC,
  ICE_UP_SET_DEFAULT_SPEC,
  ICE_UP_ADD_SORT_ORDER,
  ICE_UP_SET_DEFAULT_SORT_ORDER,
  ICE_UP_ADD_SNAPSHOT,
  ICE_UP_SET_SNAPSHOT_REF,
  ICE_UP_REMOVE_SNAPSHOTS,
  ICE_UP_REMOVE_SNAPSHOT_REF,
  ICE_UP_SET_LOCATION,
  ICE_UP_SET_PROPERTIES,
  ICE_UP_REMOVE_PROPERTIES,
  ICE_UP_SET_STATISTICS,
  ICE_UP_REMOVE_STATISTICS,
  ICE_UP_SET_PARTITION_STATISTICS,
  ICE_UP_REMOVE_PARTITION_STATISTICS
} ice_update_kind_t;

/* One update. Owned members are freed by ice_update_release. -1 for schema_id/spec_id/
 * order_id means "the last one added in this commit". */
typedef struct ice_update {
  ice_update_kind_t kind;
  char *uuid;                   /* ASSIGN_UUID */
  int format_version;           /* UPGRADE_FORMAT_VERSION */
  ice_schema_t *schema;         /* ADD_SCHEMA */
  bool has_last_column_id;      /* ADD_SCHEMA (deprecated field, honoured when larger) */
  int32_t last_column_id;
  int32_t id;                   /* SET_CURRENT_SCHEMA, SET_DEFAULT_SPEC, SET_DEFAULT_SORT_ORDER */
  ice_partition_spec_t *spec;   /* ADD_SPEC */
  ice_sort_order_t *sort_order; /* ADD_SORT_ORDER */
  ice_snapshot_t *snapshot;     /* ADD_SNAPSHOT */
  ice_snapshot_ref_t ref;       /* SET_SNAPSHOT_REF (ref.name), REMOVE_SNAPSHOT_REF (ref.name) */
  int64_t *snapshot_ids;        /* REMOVE_SNAPSHOTS */
  size_t n_snapshot_ids;
  char *location;               /* SET_LOCATION */
  ice_strmap_t properties;      /* SET_PROPERTIES */
  char **removals;              /* REMOVE_PROPERTIES */
  size_t n_removals;
  json_t *statistics;           /* SET_STATISTICS / SET_PARTITION_STATISTICS: the file object */
  int64_t snapshot_id;          /* REMOVE_STATISTICS / REMOVE_PARTITION_STATISTICS */
} ice_update_t;

typedef enum ice_requirement_kind {
  ICE_REQ_ASSERT_CREATE = 0,
  ICE_REQ_ASSERT_TABLE_UUID,
  ICE_REQ_ASSERT_REF_SNAPSHOT_ID,
  ICE_REQ_ASSERT_LAST_ASSIGNED_FIELD_ID,
  ICE_REQ_ASSERT_CURRENT_SCHEMA_ID,
  ICE_REQ_ASSERT_LAST_ASSIGNED_PARTITION_ID,
  ICE_REQ_ASSERT_DEFAULT_SPEC_ID,
  ICE_REQ_ASSERT_DEFAULT_SORT_ORDER_ID
} ice_requirement_kind_t;

typedef struct ice_requirement {
  ice_requirement_kind_t kind;
  char *uuid;       /* ASSERT_TABLE_UUID */
  char *ref;        /* ASSERT_REF_SNAPSHOT_ID */
  bool has_snapshot_id; /* ASSERT_REF_SNAPSHOT_ID: false = the ref must not exist */
  int64_t snapshot_id;
  int64_t value;    /* the asserted id of the other kinds */
} ice_requirement_t;

void ice_update_release(ice_update_t *u);
void ice_updates_free(ice_update_t *u, size_t n);
void ice_requirement_release(ice_requirement_t *r);
void ice_requirements_free(ice_requirement_t *r, size_t n);

/* JSON forms from the REST OpenAPI (rest-catalog-open-api.yaml): an update object with
 * "action", a requirement object with "type". Arrays of them for a commit. Malformed input:
 * EINVAL naming the action/type and field. */
int ice_update_from_json(const json_t *j, ice_update_t *out, prestige_error_t *err);
json_t *ice_update_to_json(const ice_update_t *u);
int ice_updates_from_json(const json_t *array, ice_update_t **out, size_t *n, prestige_error_t *err);
int ice_requirement_from_json(const json_t *j, ice_requirement_t *out, prestige_error_t *err);
json_t *ice_requirement_to_json(const ice_requirement_t *r);
int ice_requirements_from_json(const json_t *array, ice_requirement_t **out, size_t *n, prestige_error_t *err);

/* Checks requirements against the current metadata (md NULL: the table does not exist).
 * The first failure: ECONFLICT with a message naming the requirement and both values. */
int ice_requirements_check(const ice_table_metadata_t *md, const ice_requirement_t *reqs, size_t n,
                           prestige_error_t *err);

/* Applies updates in order to a copy of base (base NULL: a new table, which must start with
 * assign-uuid or get a random uuid, then add-schema/add-spec/add-sort-order...). now_ms
 * stamps last-updated-ms and snapshot-log entries for refs set to existing snapshots.
 * metadata_location is the file base was read from (NULL: none): when set it joins the
 * metadata-log (capped by write.metadata.previous-versions-max, default 100). A rejected
 * update gives EINVAL (bad request) or ECONFLICT (retryable: stale sequence number or
 * first-row-id) naming the update; base is never modified. */
int ice_metadata_apply(const ice_table_metadata_t *base, const char *metadata_location, const ice_update_t *updates,
                       size_t n, int64_t now_ms, ice_table_metadata_t **out, prestige_error_t *err);

/* ---- metadata file names ------------------------------------------------------------------ */
/* A random (version 4) UUID, lowercase text, from OpenSSL's RAND_bytes (falling back to
 * /dev/urandom). */
int ice_uuid_v4(char out[37], prestige_error_t *err);
/* The metadata directory: write.metadata.path when set (absolute), else <location>/metadata. */
int ice_metadata_dir(const ice_table_metadata_t *md, char *out, size_t n, prestige_error_t *err);
/* "<metadata dir>/NNNNN-<uuid>.metadata.json" (5 digits, as Java's
 * BaseMetastoreTableOperations). version = the previous file's version + 1, or 0 when
 * previous is NULL (a new table). */
int ice_metadata_next_file_name(const ice_table_metadata_t *md, const char *previous, char *out, size_t n,
                                prestige_error_t *err);
/* The version a metadata file name carries ("00003-<uuid>.metadata.json" → 3,
 * "v3.metadata.json" → 3); -1 when it carries none. */
int ice_metadata_file_version(const char *path);

#endif
