/*
 * Iceberg file IO (Java's FileIO): every file of a table (metadata JSON, manifest lists,
 * manifests, data and delete files) is named by an absolute location, and this maps each
 * location onto an object store (store.h):
 *   "s3://bucket/key"                 the S3 store of that bucket (one per bucket, shared)
 *   "file:///abs/path", "file:/abs/path", "/abs/path"   a local-directory store
 * A local store needs a root directory: atomic writes put their temporary file in
 * <root>/.prestige-tmp and rename it, so the root must be on the same file system as the file.
 * The root is the longest registered root (ice_io_add_root: a table's location) that contains
 * the path, else the file's own directory.
 *
 *   ice_io_t *io;
 *   ice_io_new(NULL, &io, &err);                           // S3 client from the environment when needed
 *   ice_io_add_root(io, "file:///data/wh/db/events", &err);
 *   ice_io_write(io, "file:///data/wh/db/events/metadata/00000-x.metadata.json", text, len, true, &err);
 *   uint8_t *data; size_t len;
 *   ice_io_read(io, "s3://bucket/wh/db/events/metadata/snap-1.avro", &data, &len, &err);
 *
 * Thread-safe: one io serves every thread of a table's readers and writers.
 */
#ifndef PRESTIGE_ICEBERG_IO_H
#define PRESTIGE_ICEBERG_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "prestige/error.h"
#include "prestige/io.h"
#include "prestige/store.h"

typedef struct ice_io ice_io_t;

/* s3 may be NULL: a client is made from the standard AWS sources on the first S3 location.
 * A reference to s3 is kept. */
int ice_io_new(prestige_s3_client_t *s3, ice_io_t **out, prestige_error_t *err);
void ice_io_free(ice_io_t *io);

/* Registers a root directory (local locations only; S3 locations are accepted and ignored). */
int ice_io_add_root(ice_io_t *io, const char *location, prestige_error_t *err);

/* The canonical form of a location: "s3://bucket/key" unchanged; local paths as
 * "file:///abs/path" (relative paths made absolute against the working directory; "." and ".."
 * segments and repeated slashes removed). *out is malloc'd. */
int ice_location_normalize(const char *location, char **out, prestige_error_t *err);
/* base + "/" + rel without doubling the slash; *out malloc'd. */
int ice_location_join(const char *base, const char *rel, char **out, prestige_error_t *err);
/* A local location's absolute path (pointer into location), or NULL for S3. */
const char *ice_location_local_path(const char *location);

/* The store and key for a location (the store is owned by io). */
int ice_io_resolve(ice_io_t *io, const char *location, prestige_store_t **store, const char **key, char **key_buf,
                   prestige_error_t *err);

/* Whole file; *data malloc'd. ENOTFOUND naming the location when it does not exist. */
int ice_io_read(ice_io_t *io, const char *location, uint8_t **data, size_t *len, prestige_error_t *err);
/* Whole file, atomically. if_absent: EEXISTS when it already exists (metadata files: two
 * writers can never overwrite each other). */
int ice_io_write(ice_io_t *io, const char *location, const void *data, size_t len, bool if_absent,
                 prestige_error_t *err);
int ice_io_open_input(ice_io_t *io, const char *location, uint64_t known_size, prestige_input_t *in,
                      prestige_error_t *err);
/* Nothing is visible under location until the output is closed successfully. */
int ice_io_open_output(ice_io_t *io, const char *location, prestige_output_t *out, prestige_error_t *err);
/* Size (and last-modified, ms) of a file; ENOTFOUND when absent. */
int ice_io_head(ice_io_t *io, const char *location, uint64_t *size, int64_t *mtime_ms, prestige_error_t *err);
/* Deleting a missing file is not an error. */
int ice_io_delete(ice_io_t *io, const char *location, prestige_error_t *err);
int ice_io_delete_many(ice_io_t *io, char *const *locations, size_t n, prestige_error_t *err);

/* Every file below prefix (a directory location), in key order. fn returns non-zero to stop
 * (that value is returned). */
typedef int (*ice_io_list_fn)(void *user, const char *location, uint64_t size, int64_t mtime_ms);
int ice_io_list(ice_io_t *io, const char *prefix, ice_io_list_fn fn, void *user, prestige_error_t *err);

#endif
