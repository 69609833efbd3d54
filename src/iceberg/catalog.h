/*
 * Iceberg catalogs: one interface, several backends (Java's Catalog + TableOperations, in the
 * REST model). A backend embeds ice_catalog_t as its first member and fills in ops; the front
 * end (catalog.c, and the public prestige/iceberg_catalog.h) never carries a backend's fields,
 * and backends never include each other:
 *   catalog_sql.c    Java's JDBC catalog schema on SQLite and PostgreSQL (src/sql)
 *   catalog_rest.c   the REST catalog OpenAPI (src/net)
 *
 * Every change to a table is a commit of requirements + updates (metadata.h), checked and
 * applied atomically by the backend: the SQL backend applies the updates itself, writes the
 * next metadata file (put-if-absent) and swaps the pointer with a compare-and-set
 * UPDATE ... WHERE metadata_location = <old>; the REST backend sends them to the server, which
 * does the same. So table operations (append, delete, compaction, the sink) are written once,
 * against this interface, and the REST server is a thin layer over the SQL backend.
 *
 * Errors every backend maps to the same codes:
 *   ENOTFOUND  no such namespace / table (the message names it)
 *   EEXISTS    namespace or table already exists; namespace not empty on drop
 *   ECONFLICT  a requirement failed or a concurrent commit won: refresh, rebuild, retry
 *   EUNKNOWN_STATE  the commit may or may not have landed (REST 500/502/503/504, a dropped
 *              connection after the request was sent): table operations resolve it by
 *              reloading the table and looking for the snapshot they wrote, never by a blind retry
 *   EAUTH      not authorized; EINVAL bad request; ENET/ETIMEOUT/EHTTP transport
 */
#ifndef PRESTIGE_ICEBERG_CATALOG_INTERNAL_H
#define PRESTIGE_ICEBERG_CATALOG_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "iceberg/io.h"
#include "iceberg/metadata.h"
#include "prestige/error.h"
#include "prestige/iceberg_catalog.h"
#include "prestige/s3.h"

/* A namespace (levels) or a table (levels + name). Text form: levels joined with '.', the
 * table name last: "analytics.events", "a.b.c.tbl". */
typedef struct ice_ident {
  char **levels;
  size_t n_levels;
  char *name; /* NULL for a namespace */
} ice_ident_t;

/* Parses "a.b.tbl" (is_table: the last segment is the name). Empty segments: EINVAL. */
int ice_ident_parse(const char *text, bool is_table, ice_ident_t *out, prestige_error_t *err);
int ice_ident_copy(const ice_ident_t *src, ice_ident_t *dst, prestige_error_t *err);
void ice_ident_release(ice_ident_t *id);
void ice_idents_free(ice_ident_t *ids, size_t n);
/* "a.b.tbl" (malloc'd; NULL on ENOMEM). */
char *ice_ident_format(const ice_ident_t *id);
bool ice_ident_equal(const ice_ident_t *a, const ice_ident_t *b);

/* A loaded table: where its current metadata is, the parsed metadata, and (REST) the table's
 * config from the load response: vended storage credentials (s3.access-key-id, ...). */
typedef struct ice_loaded_table {
  char *metadata_location;
  ice_table_metadata_t *metadata;
  ice_strmap_t config;
} ice_loaded_table_t;
void ice_loaded_table_release(ice_loaded_table_t *t);

/* What a new table is made from (REST CreateTableRequest). The backend assigns fresh ids
 * (ice_metadata_new_table) and the default location when location is NULL:
 * <warehouse>/<namespace levels joined with '/'>/<table>. */
typedef struct ice_create_request {
  const ice_schema_t *schema;
  const ice_partition_spec_t *spec;  /* NULL: unpartitioned */
  const ice_sort_order_t *order;     /* NULL: unsorted */
  const char *location;              /* NULL: default */
  const ice_strmap_t *properties;    /* NULL: none */
  int format_version;                /* 2 or 3 */
  bool stage_create;                 /* REST stage-create: metadata returned, nothing committed */
} ice_create_request_t;

/* One table's change in a commit. */
typedef struct ice_table_commit {
  const ice_ident_t *ident;
  const ice_requirement_t *requirements;
  size_t n_requirements;
  const ice_update_t *updates;
  size_t n_updates;
} ice_table_commit_t;

typedef struct ice_catalog ice_catalog_t;

typedef struct ice_catalog_ops {
  const char *kind; /* "sql", "rest" */
  /* Optional (NULL: the front end asks namespace_load / table_load): cheaper existence checks
   * (SQL: one indexed query; REST: HEAD). */
  int (*namespace_exists)(ice_catalog_t *c, const ice_ident_t *ns, bool *exists, prestige_error_t *err);
  int (*table_exists)(ice_catalog_t *c, const ice_ident_t *id, bool *exists, prestige_error_t *err);
  int (*namespace_create)(ice_catalog_t *c, const ice_ident_t *ns, const ice_strmap_t *props, prestige_error_t *err);
  /* Children of parent (NULL: top level). *out is malloc'd, free with ice_idents_free. */
  int (*namespace_list)(ice_catalog_t *c, const ice_ident_t *parent, ice_ident_t **out, size_t *n, prestige_error_t *err);
  int (*namespace_load)(ice_catalog_t *c, const ice_ident_t *ns, ice_strmap_t *props, prestige_error_t *err);
  int (*namespace_update)(ice_catalog_t *c, const ice_ident_t *ns, const ice_strmap_t *set, char *const *remove,
                          size_t n_remove, prestige_error_t *err);
  int (*namespace_drop)(ice_catalog_t *c, const ice_ident_t *ns, prestige_error_t *err);
  int (*table_list)(ice_catalog_t *c, const ice_ident_t *ns, ice_ident_t **out, size_t *n, prestige_error_t *err);
  int (*table_load)(ice_catalog_t *c, const ice_ident_t *id, ice_loaded_table_t *out, prestige_error_t *err);
  int (*table_create)(ice_catalog_t *c, const ice_ident_t *id, const ice_create_request_t *req, ice_loaded_table_t *out,
                      prestige_error_t *err);
  /* Checks the requirements against the table's CURRENT metadata (not the caller's copy) and
   * applies the updates to it, atomically: as in the REST protocol, the requirements are what
   * decide a conflict (an append asserts its branch's snapshot id; a property change may assert
   * nothing but the table uuid and then lands on top of whatever is current). A concurrent
   * commit between the backend's load and its swap is ECONFLICT too. out receives the new
   * current table. */
  int (*table_commit)(ice_catalog_t *c, const ice_table_commit_t *commit, ice_loaded_table_t *out, prestige_error_t *err);
  /* All-or-nothing across tables (REST /v1/transactions/commit; one SQL transaction). */
  int (*transaction_commit)(ice_catalog_t *c, const ice_table_commit_t *commits, size_t n, prestige_error_t *err);
  int (*table_rename)(ice_catalog_t *c, const ice_ident_t *from, const ice_ident_t *to, prestige_error_t *err);
  /* purge: also delete every file the table's metadata reaches (data, deletes, manifests,
   * manifest lists, metadata files). */
  int (*table_drop)(ice_catalog_t *c, const ice_ident_t *id, bool purge, prestige_error_t *err);
  int (*table_register)(ice_catalog_t *c, const ice_ident_t *id, const char *metadata_location, ice_loaded_table_t *out,
                        prestige_error_t *err);
  void (*destroy)(ice_catalog_t *c);
} ice_catalog_ops_t;

struct ice_catalog {
  const ice_catalog_ops_t *ops;
  char *name;      /* catalog name ("prestige") */
  char *warehouse; /* root of default table locations (URL form: file:///..., s3://...), may be NULL */
  char *uri;       /* the catalog URI with any password redacted, for messages (may be NULL) */
  /* The S3 client every file IO of this catalog shares (a reference; NULL: each IO makes one
   * from the standard AWS sources on its first s3:// location). */
  prestige_s3_client_t *s3;
};

/* ---- shared by every backend -------------------------------------------------------------- */
/* Fills the common part (copies of name, warehouse (normalized: file:///abs or s3://...) and
 * uri; a reference to s3, which may be NULL). */
int ice_catalog_base_init(ice_catalog_t *c, const ice_catalog_ops_t *ops, const char *name, const char *warehouse,
                          const char *uri, prestige_s3_client_t *s3, prestige_error_t *err);
void ice_catalog_base_release(ice_catalog_t *c);
/* Destroys any backend (NULL is fine). */
void ice_catalog_free(ice_catalog_t *c);

/* A backend constructor. o has been validated by the front end; s3 is the client to share (may
 * be NULL). */
typedef int (*ice_catalog_open_fn)(const prestige_iceberg_catalog_options_t *o, prestige_s3_client_t *s3,
                                   ice_catalog_t **out, prestige_error_t *err);
/* The backends (one file each; front end only). */
int ice_catalog_sql_open(const prestige_iceberg_catalog_options_t *o, prestige_s3_client_t *s3, ice_catalog_t **out,
                         prestige_error_t *err);
int ice_catalog_rest_open(const prestige_iceberg_catalog_options_t *o, prestige_s3_client_t *s3, ice_catalog_t **out,
                          prestige_error_t *err);
bool ice_catalog_uri_is_rest(const char *uri);
/* Tests only: the SQL backend calls this (when set) after a commit's metadata files are
 * written and before the pointers are swapped, so a test can commit in between. */
extern void (*ice_catalog_sql_before_swap)(void *user);
extern void *ice_catalog_sql_before_swap_user;
/* Opens the backend the URI names: "sqlite:..." and "postgresql://..." (also "postgres://")
 * the SQL catalog; "http://" / "https://" the REST catalog. */
int ice_catalog_open(const prestige_iceberg_catalog_options_t *o, prestige_s3_client_t *s3, ice_catalog_t **out,
                     prestige_error_t *err);

/* Where a new table lives when the request names no location: <warehouse>/<levels joined with
 * '/'>/<table> (Java's defaultWarehouseLocation). EINVAL when the catalog has no warehouse. */
int ice_catalog_default_location(const ice_catalog_t *c, const ice_ident_t *id, char **out, prestige_error_t *err);
/* The existence checks through the optional ops or a load. */
int ice_catalog_namespace_exists(ice_catalog_t *c, const ice_ident_t *ns, bool *exists, prestige_error_t *err);
int ice_catalog_table_exists(ice_catalog_t *c, const ice_ident_t *id, bool *exists, prestige_error_t *err);
/* Reads and parses a metadata file (ENOTFOUND naming it when missing; ECORRUPT naming it
 * when truncated or violating the spec). Local files are checked before any directory is
 * touched. */
int ice_catalog_read_metadata(ice_io_t *io, const char *location, ice_table_metadata_t **out, prestige_error_t *err);
/* Deletes every file the metadata reaches (purge): metadata files (current and the
 * metadata-log), manifest lists, statistics files, and the files under the table's location
 * (and write.data.path / write.metadata.path) that a listing finds. Best effort over all of
 * them; the first failure is returned. */
int ice_table_purge_files(ice_io_t *io, const ice_table_metadata_t *md, const char *metadata_location,
                          prestige_error_t *err);
/* A new file IO for a table: shares the catalog's S3 client, the table location registered as
 * a root (local atomic writes keep their temporaries inside the table). */
int ice_catalog_table_io(const ice_catalog_t *c, const char *location, ice_io_t **out, prestige_error_t *err);
/* The same, with a REST load-table response's config: vended S3 credentials (s3.access-key-id,
 * s3.secret-access-key, s3.session-token, s3.endpoint, s3.region, s3.path-style-access) give the
 * table a client of its own. config may be NULL. */
int ice_catalog_table_io_config(const ice_catalog_t *c, const char *location, const ice_strmap_t *config, ice_io_t **out,
                                prestige_error_t *err);

#endif
