/*
 * prestige/store.h — object storage: a local directory that behaves like a bucket, and S3 (AWS,
 * MinIO, LocalStack, Ceph, R2 and other S3-compatible stores), behind one interface.
 *
 *   prestige_store_t *st;
 *   if (prestige_store_open(&st, "s3://my-bucket/events/", NULL, &err)) return err.code;   // or "file:///data/bucket"
 *   const char data[] = "hello";
 *   prestige_store_put(st, "a/b.txt", data, sizeof data - 1, &err);
 *   prestige_store_list_t *it;
 *   if (prestige_store_list_open(st, "a/", NULL, &it, &err) == 0) {
 *     const prestige_object_meta_t *m;
 *     while (prestige_store_list_next(it, &m, &err) == 0 && m) printf("%s %llu\n", m->key, (unsigned long long)m->size);
 *     prestige_store_list_free(it);
 *   }
 *   prestige_store_free(st);
 *
 * Keys are relative to the store's root (the directory, or the bucket plus the URL's prefix). They
 * are validated: 1 to 1024 bytes of UTF-8, no NUL or control characters, and for local stores no
 * leading '/', no empty, "." or ".." segments (nothing can escape the directory).
 *
 * Every function is thread-safe on a shared store. Local writes are atomic (temporary file, fsync,
 * rename, directory fsync): a reader sees the old object, the whole new object, or nothing.
 */
#ifndef PRESTIGE_STORE_H
#define PRESTIGE_STORE_H

#include "prestige/api.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "prestige/error.h"
#include "prestige/io.h"
#include "prestige/metrics.h"
#include "prestige/s3.h" /* the S3 client, declared here before it had its own header */

#ifdef __cplusplus
extern "C" {
#endif

/* ---- object metadata ---------------------------------------------------------------------- */

typedef struct prestige_object_meta {
  char *key;                /* relative to the store root */
  uint64_t size;
  int64_t last_modified_ms; /* Unix epoch milliseconds */
  char *etag;               /* without quotes; local stores derive one from size and mtime */
} prestige_object_meta_t;

PRESTIGE_API void prestige_object_meta_clear(prestige_object_meta_t *m); /* frees key and etag */

/* ---- stores ------------------------------------------------------------------------------------ */

typedef struct prestige_store prestige_store_t;

/* url: "s3://bucket[/prefix]", "file:///abs/dir", or a plain local path. s3 may be NULL (a client
 * is made from the environment) and is not retained beyond the call except through a reference. */
PRESTIGE_API int prestige_store_open(prestige_store_t **out, const char *url, prestige_s3_client_t *s3, prestige_error_t *err);
PRESTIGE_API int prestige_store_open_local(prestige_store_t **out, const char *dir, prestige_error_t *err);
PRESTIGE_API int prestige_store_open_s3(prestige_store_t **out, prestige_s3_client_t *client, const char *bucket,
                                        const char *prefix, prestige_error_t *err);
PRESTIGE_API void prestige_store_free(prestige_store_t *st);
/* "file:///abs/dir/" or "s3://bucket/prefix/" */
PRESTIGE_API const char *prestige_store_url(const prestige_store_t *st);
PRESTIGE_API bool prestige_store_is_local(const prestige_store_t *st);
/* The bucket's name: S3's bucket (without the prefix), or a local store's directory (the
 * directory is the bucket). The metrics' `bucket` label. */
PRESTIGE_API const char *prestige_store_bucket(const prestige_store_t *st);
/* Local stores: the directory (absolute). NULL for S3. */
PRESTIGE_API const char *prestige_store_local_dir(const prestige_store_t *st);

PRESTIGE_API int prestige_store_validate_key(const prestige_store_t *st, const char *key, prestige_error_t *err);

/* Whole-object put (atomic). */
PRESTIGE_API int prestige_store_put(prestige_store_t *st, const char *key, const void *data, size_t len, prestige_error_t *err);
/* Conditional create: EEXISTS when the key already exists (If-None-Match: * on S3; link(2) on local). */
PRESTIGE_API int prestige_store_put_if_absent(prestige_store_t *st, const char *key, const void *data, size_t len,
                                              prestige_error_t *err);
/* Uploads a local file; multipart with parallel parts when larger than the part size. */
PRESTIGE_API int prestige_store_put_file(prestige_store_t *st, const char *key, const char *path, prestige_error_t *err);
/* A streaming writer for one object: multipart on S3 (parts in flight in the background), a
 * temporary file on local. Nothing is visible until close succeeds; abort discards everything
 * (AbortMultipartUpload). */
PRESTIGE_API int prestige_store_open_output(prestige_store_t *st, const char *key, prestige_output_t *out, prestige_error_t *err);

/* Whole-object get; *data is malloc'd (free it). */
PRESTIGE_API int prestige_store_get(prestige_store_t *st, const char *key, uint8_t **data, size_t *len, prestige_error_t *err);
/* Reads exactly len bytes at offset (explicit ranges only, never suffix ranges). */
PRESTIGE_API int prestige_store_get_range(prestige_store_t *st, const char *key, uint64_t offset, size_t len, void *dst,
                                          prestige_error_t *err);
/* Downloads to a local file (written to a temporary name, fsync'd, renamed); for objects larger than
 * two parts, `concurrency` ranges are fetched in parallel and written in place. */
PRESTIGE_API int prestige_store_get_file(prestige_store_t *st, const char *key, const char *path, prestige_error_t *err);
/* Progress callback: bytes done so far and the total (0 when unknown). Called from the calling
 * thread, at most a few times a second. */
typedef void (*prestige_progress_fn)(void *user_data, uint64_t done, uint64_t total);
PRESTIGE_API int prestige_store_get_file_progress(prestige_store_t *st, const char *key, const char *path,
                                                  prestige_progress_fn progress, void *user_data, prestige_error_t *err);
/* Stops a transfer when it returns non-zero; polled from the calling thread. */
typedef int (*prestige_stop_fn)(void *user_data);
/* prestige_store_put_file with progress (bytes whose parts were sent, after each part; may be
 * NULL) and a way to stop: stop (may be NULL) is polled before each part and while waiting for a
 * free upload slot; once it returns non-zero the upload ends with PRESTIGE_ECANCELED and a
 * multipart upload is aborted, so nothing is left behind. On S3 the parts are read from the file
 * where they lie (never copied into memory first). */
PRESTIGE_API int prestige_store_put_file_progress(prestige_store_t *st, const char *key, const char *path,
                                                  prestige_progress_fn progress, prestige_stop_fn stop, void *user_data,
                                                  prestige_error_t *err);
/* Random-access input over an object (ranged GETs); size from a HEAD, or from known_size when > 0
 * (e.g. from a listing) to save the request. */
PRESTIGE_API int prestige_store_open_input(prestige_store_t *st, const char *key, uint64_t known_size, prestige_input_t *in,
                                           prestige_error_t *err);

/* ENOTFOUND when absent. */
PRESTIGE_API int prestige_store_head(prestige_store_t *st, const char *key, prestige_object_meta_t *meta, prestige_error_t *err);
/* Deleting an absent key succeeds (as on S3). */
PRESTIGE_API int prestige_store_delete(prestige_store_t *st, const char *key, prestige_error_t *err);
/* Batched (DeleteObjects, 1000 keys a request). Fails with the first key that could not be deleted. */
PRESTIGE_API int prestige_store_delete_many(prestige_store_t *st, const char *const *keys, size_t n, prestige_error_t *err);

/* Listing in key order (UTF-8 byte order), pages fetched as the iterator advances. prefix and
 * start_after may be NULL. next sets *meta to NULL at the end; the meta is valid until the next call. */
typedef struct prestige_store_list prestige_store_list_t;
PRESTIGE_API int prestige_store_list_open(prestige_store_t *st, const char *prefix, const char *start_after,
                                          prestige_store_list_t **out, prestige_error_t *err);
PRESTIGE_API int prestige_store_list_next(prestige_store_list_t *it, const prestige_object_meta_t **meta, prestige_error_t *err);
PRESTIGE_API void prestige_store_list_free(prestige_store_list_t *it);

/* ---- timestamped files (the sink's naming) --------------------------------------------------- */

/* The timestamp in a key named "<prefix>.<timestamp_ms>.<ext>" (the last two dot-separated parts
 * before the extension), or -1 when the key does not follow the naming. */
PRESTIGE_API int64_t prestige_key_timestamp_ms(const char *key);

typedef struct prestige_file_meta {
  char *key;
  uint64_t size;
  int64_t timestamp_ms;     /* from the name */
  int64_t last_modified_ms;
} prestige_file_meta_t;

/* The reference's list_files(client, bucket, prefix, after, before): objects under prefix whose
 * names carry a millisecond timestamp with after <= ts < before (INT64_MIN / INT64_MAX for none),
 * in timestamp order (then key). *files is malloc'd; free with prestige_file_metas_free. */
PRESTIGE_API int prestige_list_files(prestige_store_t *st, const char *prefix, int64_t after_ms, int64_t before_ms,
                                     prestige_file_meta_t **files, size_t *n, prestige_error_t *err);
PRESTIGE_API void prestige_file_metas_free(prestige_file_meta_t *files, size_t n);

#ifdef __cplusplus
}
#endif

#endif /* PRESTIGE_STORE_H */
