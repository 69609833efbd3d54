/*
 * prestige/iceberg_catalog.h — Apache Iceberg catalogs, namespaces and tables (the reference's
 * CatalogConfigBuilder + connect_catalog, and its table handle).
 *
 * A catalog maps table names to their current metadata file. Backends, chosen by the URI:
 *   "sqlite:PATH"          the SQL catalog in an embedded SQLite file (Java's JDBC catalog schema)
 *   "postgresql://..."     the same schema on PostgreSQL (several processes or hosts share it)
 *   "http(s)://host/..."   a REST catalog (the Iceberg REST OpenAPI; see prestige/iceberg_rest.h for a server)
 * Tables are named "namespace.table" ("a.b.events" for the nested namespace a.b); their files
 * live on any store (s3://bucket/prefix, file:///dir, /dir).
 *
 *   prestige_iceberg_catalog_options_t o = PRESTIGE_ICEBERG_CATALOG_OPTIONS_INIT;
 *   o.uri = "sqlite:/var/lib/app/catalog.db";
 *   o.warehouse = "s3://lake/warehouse";              // new tables: <warehouse>/<ns>/<table>
 *   prestige_iceberg_catalog_t *cat;
 *   prestige_iceberg_catalog_open(&cat, &o, &err);
 *   prestige_iceberg_namespace_create(cat, "telemetry", NULL, 0, &err);
 *   prestige_iceberg_create_options_t co = PRESTIGE_ICEBERG_CREATE_OPTIONS_INIT;
 *   co.partition = "day(ts),bucket(16,sensor_id)"; co.sort = "ts desc";
 *   prestige_iceberg_table_t *t;
 *   prestige_iceberg_table_create(cat, "telemetry.readings", &arrow_schema, &co, &t, &err);
 *   printf("%s\n", prestige_iceberg_table_metadata_location(t));
 *   prestige_iceberg_table_free(t);
 *   prestige_iceberg_catalog_close(cat);
 *
 * Errors: ENOTFOUND no such namespace or table (named); EEXISTS it already exists, or a
 * namespace is not empty on drop; ECONFLICT another writer committed first, or the catalog
 * database stayed locked beyond the busy timeout (refresh and retry); EUNSUPPORTED a feature
 * prestige does not write (format version 1); EINVAL bad names, options or spec texts;
 * ECORRUPT a metadata file that is truncated or violates the spec (the message names the file).
 *
 * Threads: a catalog may be used from any number of threads at once. A table handle is used by
 * one thread at a time and must be freed before its catalog is closed.
 */
#ifndef PRESTIGE_ICEBERG_CATALOG_H
#define PRESTIGE_ICEBERG_CATALOG_H

#include "prestige/api.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "prestige/arrow.h"
#include "prestige/error.h"
#include "prestige/records.h"
#include "prestige/s3.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- catalogs --------------------------------------------------------------------------------- */
typedef struct prestige_iceberg_catalog prestige_iceberg_catalog_t;

#define PRESTIGE_ICEBERG_CATALOG_OPTIONS_VERSION 1
typedef struct prestige_iceberg_catalog_options {
  unsigned int version;          /* PRESTIGE_ICEBERG_CATALOG_OPTIONS_VERSION */
  const char *uri;               /* required: "sqlite:PATH", "postgresql://...", "http(s)://host[:port][/prefix]" */
  const char *name;              /* catalog name; default "prestige" (SQL: the catalog_name column, so several
                                    catalogs can share one database) */
  const char *warehouse;         /* where new tables live: "s3://bucket/prefix", "file:///dir" or "/dir";
                                    default NULL (tables then need an explicit location) */
  const prestige_s3_config_t *s3;/* S3 settings for metadata and data files; NULL (default): the standard AWS
                                    sources, read on the first s3:// location */
  prestige_s3_client_t *s3_client; /* an existing client to share (a reference is taken); wins over s3 */
  /* SQL catalogs */
  int64_t busy_timeout_ms;       /* wait this long for a lock held by another writer (SQLite busy timeout,
                                    PostgreSQL lock_timeout) before ECONFLICT; default 10000; >= 0 */
  /* REST catalogs (EINVAL when set for another kind of catalog) */
  const char *token;             /* bearer token */
  const char *credential;        /* OAuth2 client credentials "id:secret" */
  const char *scope;             /* OAuth2 scope; NULL: "catalog" */
  const char *oauth2_server_uri; /* token endpoint; NULL: the config's oauth2-server-uri or <uri>/v1/oauth/tokens */
  bool sigv4;                    /* SigV4-sign requests (AWS Glue / S3 Tables endpoints) */
  const char *signing_name;      /* NULL: "execute-api" */
  const char *signing_region;    /* NULL: the S3 region */
  int64_t request_timeout_ms;    /* 0 (default): 30000; >= 0 */
  /* Catalog properties as Java names them: "jdbc.schema-version" = "V1" migrates a JDBC catalog
   * database made by an older Java (no iceberg_type column); "jdbc.init-catalog-tables" = "false"
   * never creates the catalog tables; REST: extra headers as "header.X-Name". */
  const prestige_kv_t *properties;
  int64_t n_properties;
} prestige_iceberg_catalog_options_t;

#define PRESTIGE_ICEBERG_CATALOG_OPTIONS_INIT                                                              \
  {                                                                                                        \
    .version = PRESTIGE_ICEBERG_CATALOG_OPTIONS_VERSION, .uri = NULL, .name = NULL, .warehouse = NULL,     \
    .s3 = NULL, .s3_client = NULL, .busy_timeout_ms = 10000, .token = NULL, .credential = NULL,            \
    .scope = NULL, .oauth2_server_uri = NULL, .sigv4 = false, .signing_name = NULL,                        \
    .signing_region = NULL, .request_timeout_ms = 0, .properties = NULL, .n_properties = 0                 \
  }

PRESTIGE_API void prestige_iceberg_catalog_options_init(prestige_iceberg_catalog_options_t *o);

/* Connects (the reference's connect_catalog). An SQL catalog creates its two tables when they
 * are missing. Options are validated first (EINVAL naming the field). */
PRESTIGE_API int prestige_iceberg_catalog_open(prestige_iceberg_catalog_t **out, const prestige_iceberg_catalog_options_t *o,
                                               prestige_error_t *err);
PRESTIGE_API void prestige_iceberg_catalog_close(prestige_iceberg_catalog_t *cat);
PRESTIGE_API const char *prestige_iceberg_catalog_name(const prestige_iceberg_catalog_t *cat);

/* Names handed out as arrays of strings; free with prestige_iceberg_names_free. */
PRESTIGE_API void prestige_iceberg_names_free(char **names, size_t n);

/* String properties handed out (namespace properties). */
typedef struct prestige_iceberg_props {
  size_t n;
  char **keys;
  char **values;
} prestige_iceberg_props_t;
PRESTIGE_API void prestige_iceberg_props_release(prestige_iceberg_props_t *p);

/* ---- namespaces: dotted strings, one level per segment ("analytics", "a.b.c") ---------------- */
PRESTIGE_API int prestige_iceberg_namespace_create(prestige_iceberg_catalog_t *cat, const char *ns, const prestige_kv_t *props,
                                                   int64_t n_props, prestige_error_t *err);
/* The direct children of parent (NULL: the top level), sorted. ENOTFOUND when parent does not exist. */
PRESTIGE_API int prestige_iceberg_namespace_list(prestige_iceberg_catalog_t *cat, const char *parent, char ***names, size_t *n,
                                                 prestige_error_t *err);
PRESTIGE_API int prestige_iceberg_namespace_exists(prestige_iceberg_catalog_t *cat, const char *ns, bool *exists,
                                                   prestige_error_t *err);
/* Properties, with "location" (<warehouse>/<levels>) when none is set. */
PRESTIGE_API int prestige_iceberg_namespace_properties(prestige_iceberg_catalog_t *cat, const char *ns,
                                                       prestige_iceberg_props_t *out, prestige_error_t *err);
PRESTIGE_API int prestige_iceberg_namespace_update_properties(prestige_iceberg_catalog_t *cat, const char *ns,
                                                              const prestige_kv_t *set, int64_t n_set,
                                                              const char *const *remove, int64_t n_remove,
                                                              prestige_error_t *err);
/* EEXISTS when it still holds tables or namespaces; ENOTFOUND when it does not exist. */
PRESTIGE_API int prestige_iceberg_namespace_drop(prestige_iceberg_catalog_t *cat, const char *ns, prestige_error_t *err);

/* ---- tables ----------------------------------------------------------------------------------- */
typedef struct prestige_iceberg_table prestige_iceberg_table_t; /* a loaded table: metadata + its file IO */

#define PRESTIGE_ICEBERG_CREATE_OPTIONS_VERSION 1
typedef struct prestige_iceberg_create_options {
  unsigned int version;             /* PRESTIGE_ICEBERG_CREATE_OPTIONS_VERSION */
  /* Partition fields, comma-separated: "c" or "identity(c)", "year(c)", "month(c)", "day(c)",
   * "hour(c)", "bucket(N,c)", "truncate(W,c)", "void(c)"; named as Java names them (c, c_year,
   * c_month, c_day, c_hour, c_bucket, c_trunc, c_null). NULL or "": unpartitioned. */
  const char *partition;
  /* Sort fields, comma-separated: "c", "c desc", "c asc nulls last", "day(ts) desc" (asc sorts
   * nulls first, desc nulls last unless said). NULL or "": unsorted. */
  const char *sort;
  const char *const *identifier;    /* identifier columns (required, primitive, not float/double) */
  int64_t n_identifier;
  int format_version;               /* 2 (default) or 3; 1 is refused (EUNSUPPORTED: prestige reads V1 only) */
  const char *location;             /* NULL (default): <warehouse>/<namespace levels>/<table> */
  const prestige_kv_t *properties;  /* table properties */
  int64_t n_properties;
} prestige_iceberg_create_options_t;

#define PRESTIGE_ICEBERG_CREATE_OPTIONS_INIT                                                               \
  {                                                                                                        \
    .version = PRESTIGE_ICEBERG_CREATE_OPTIONS_VERSION, .partition = NULL, .sort = NULL,                   \
    .identifier = NULL, .n_identifier = 0, .format_version = 2, .location = NULL, .properties = NULL,      \
    .n_properties = 0                                                                                      \
  }

PRESTIGE_API void prestige_iceberg_create_options_init(prestige_iceberg_create_options_t *o);

/* ident is "ns.table" (the last segment is the table); the namespace must exist. A non-nullable
 * Arrow field becomes a required Iceberg field; field ids are assigned fresh as Java does
 * (1, 2, ... in schema order). Writes <location>/metadata/00000-<uuid>.metadata.json and
 * registers it; EEXISTS when the table exists (the file is removed again). o NULL: defaults. */
PRESTIGE_API int prestige_iceberg_table_create(prestige_iceberg_catalog_t *cat, const char *ident,
                                               const struct ArrowSchema *schema, const prestige_iceberg_create_options_t *o,
                                               prestige_iceberg_table_t **out, prestige_error_t *err);
/* The reference's for_type: the table (desc->table, else desc->name) in desc->namespace_ with
 * the partition spec, sort order and identifier fields of the descriptor's annotations (o gives
 * format version, location and properties; its partition/sort/identifier must be unset). Loads
 * the table when it exists, after checking its current schema can take the records (every
 * field present by name with the same type; ETYPE naming the field otherwise), else creates it
 * (and the namespace when missing). */
PRESTIGE_API int prestige_iceberg_table_create_for_record(prestige_iceberg_catalog_t *cat, const prestige_record_desc_t *desc,
                                                          const prestige_iceberg_create_options_t *o,
                                                          prestige_iceberg_table_t **out, prestige_error_t *err);
PRESTIGE_API int prestige_iceberg_table_load(prestige_iceberg_catalog_t *cat, const char *ident, prestige_iceberg_table_t **out,
                                             prestige_error_t *err);
PRESTIGE_API int prestige_iceberg_table_exists(prestige_iceberg_catalog_t *cat, const char *ident, bool *exists,
                                               prestige_error_t *err);
/* The table names ("ns.table") in a namespace, sorted. ENOTFOUND when the namespace does not exist. */
PRESTIGE_API int prestige_iceberg_table_list(prestige_iceberg_catalog_t *cat, const char *ns, char ***names, size_t *n,
                                             prestige_error_t *err);
/* Across namespaces too; the target namespace must exist and the target name be free. */
PRESTIGE_API int prestige_iceberg_table_rename(prestige_iceberg_catalog_t *cat, const char *from, const char *to,
                                               prestige_error_t *err);
/* Removes the table from the catalog; purge also deletes every file its metadata reaches. */
PRESTIGE_API int prestige_iceberg_table_drop(prestige_iceberg_catalog_t *cat, const char *ident, bool purge,
                                             prestige_error_t *err);
/* Registers an existing metadata file (validated first) under ident. */
PRESTIGE_API int prestige_iceberg_table_register(prestige_iceberg_catalog_t *cat, const char *ident,
                                                 const char *metadata_location, prestige_iceberg_table_t **out,
                                                 prestige_error_t *err);
/* Reloads the current metadata (another writer may have committed). */
PRESTIGE_API int prestige_iceberg_table_refresh(prestige_iceberg_table_t *t, prestige_error_t *err);
PRESTIGE_API void prestige_iceberg_table_free(prestige_iceberg_table_t *t);

/* Sets and removes table properties in one commit, retried on conflicts as Java does
 * (commit.retry.num-retries, default 4, backoff from commit.retry.min-wait-ms 100 ms). */
PRESTIGE_API int prestige_iceberg_table_update_properties(prestige_iceberg_table_t *t, const prestige_kv_t *set, int64_t n_set,
                                                          const char *const *remove, int64_t n_remove,
                                                          prestige_error_t *err);

/* ---- the table handle: valid until the next refresh, commit or free ------------------------- */
PRESTIGE_API const char *prestige_iceberg_table_ident(const prestige_iceberg_table_t *t); /* "ns.table" */
PRESTIGE_API const char *prestige_iceberg_table_location(const prestige_iceberg_table_t *t);
PRESTIGE_API const char *prestige_iceberg_table_metadata_location(const prestige_iceberg_table_t *t);
PRESTIGE_API const char *prestige_iceberg_table_uuid(const prestige_iceberg_table_t *t);
PRESTIGE_API int prestige_iceberg_table_format_version(const prestige_iceberg_table_t *t);
PRESTIGE_API int64_t prestige_iceberg_table_current_snapshot_id(const prestige_iceberg_table_t *t); /* -1: none */
/* A table property, or NULL. */
PRESTIGE_API const char *prestige_iceberg_table_property(const prestige_iceberg_table_t *t, const char *key);
/* The current schema as Arrow: every field carries PARQUET:field_id; optional fields are nullable. */
PRESTIGE_API int prestige_iceberg_table_schema(const prestige_iceberg_table_t *t, struct ArrowSchema *out,
                                               prestige_error_t *err);
/* One JSON object (malloc'd): table, format_version, table_uuid, location, metadata_location,
 * current_snapshot_id (null when none), last_updated_ms, schema (Iceberg JSON), partition_spec,
 * sort_order, identifier_fields (names), properties, refs ({name: {snapshot-id, type}}),
 * snapshot_count. */
PRESTIGE_API int prestige_iceberg_table_describe(const prestige_iceberg_table_t *t, char **json, prestige_error_t *err);

typedef struct prestige_iceberg_snapshot {
  int64_t snapshot_id;
  int64_t parent_id;            /* -1: none */
  int64_t sequence_number;
  int64_t timestamp_ms;
  const char *operation;        /* append, replace, overwrite, delete; NULL when the summary has none */
  const char *manifest_list;    /* NULL for a V1 snapshot with inline manifests */
  int32_t schema_id;            /* -1: not recorded */
  const prestige_kv_t *summary; /* the other summary entries as stored, in order */
  int64_t n_summary;
} prestige_iceberg_snapshot_t;

/* Every snapshot, oldest first (by timestamp, then sequence number); *out valid until the next
 * refresh, commit or free. Returns the count. */
PRESTIGE_API int64_t prestige_iceberg_table_snapshots(prestige_iceberg_table_t *t, const prestige_iceberg_snapshot_t **out);
/* The snapshot that was current at ts_ms: the latest snapshot-log entry at or before it (without
 * a log, the latest ancestor of the current snapshot at or before it), as Java's
 * SnapshotUtil.snapshotIdAsOfTime. ENOTFOUND when the table's history starts later. */
PRESTIGE_API int prestige_iceberg_snapshot_at_timestamp(const prestige_iceberg_table_t *t, int64_t ts_ms, int64_t *snapshot_id,
                                                        prestige_error_t *err);
/* The oldest ancestor of the current snapshot (where a full replay starts); ENOTFOUND when the
 * table has no snapshot. */
PRESTIGE_API int prestige_iceberg_earliest_snapshot(const prestige_iceberg_table_t *t, int64_t *snapshot_id,
                                                    prestige_error_t *err);
/* The snapshot a branch or tag points at; ENOTFOUND naming the ref. */
PRESTIGE_API int prestige_iceberg_ref_snapshot(const prestige_iceberg_table_t *t, const char *ref, int64_t *snapshot_id,
                                               prestige_error_t *err);

#ifdef __cplusplus
}
#endif

#endif /* PRESTIGE_ICEBERG_CATALOG_H */
