/*
 * prestige/store.h — object storage: a local directory that behaves like a bucket, and S3 (AWS,
 * MinIO, LocalStack, Ceph, R2 and other S3-compatible stores), behind one interface.
 *
 *   prestige_store_t *st;
 *   if (prestige_store_open(&st, "s3://my-bucket/events/", NULL, &err)) ...   // or "file:///data/bucket"
 *   prestige_store_put(st, "a/b.parquet", data, len, &err);
 *   prestige_store_list_t *it;
 *   prestige_store_list_open(st, "a/", NULL, &it, &err);
 *   const prestige_object_meta_t *m;
 *   while (prestige_store_list_next(it, &m, &err) == 0 && m) printf("%s %llu\n", m->key, ...);
 *   prestige_store_list_free(it);
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

#ifdef __cplusplus
extern "C" {
#endif

/* ---- S3 client ------------------------------------------------------------------------------- */

/* Every field is optional; NULL / 0 / -1 fall back to the standard AWS sources, in this order:
 *   region:      AWS_REGION, AWS_DEFAULT_REGION, the profile's `region`, "us-east-1"
 *   credentials: AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN), then the profile
 *                (AWS_PROFILE or "default") in AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials,
 *                then in AWS_CONFIG_FILE or ~/.aws/config; none found = anonymous (unsigned) requests
 *   endpoint:    AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, the profile's `endpoint_url`, else AWS
 *                (https://s3.<region>.amazonaws.com, virtual-hosted addressing)
 * A custom endpoint uses path-style addressing (http://host:port/bucket/key) unless
 * force_path_style is 0. TLS certificates are verified unless the endpoint is plain http. */
typedef struct prestige_s3_config {
  const char *region;
  const char *endpoint;
  const char *access_key;
  const char *secret_key;
  const char *session_token;
  const char *profile;
  int force_path_style;       /* -1 (default): path style for custom endpoints, virtual-hosted for AWS */
  size_t part_size;           /* multipart part size; default 8 MiB (S3 minimum 5 MiB, except tests) */
  int concurrency;            /* parts (or ranges) in flight per transfer; default 4 */
  int max_retries;            /* retries after the first attempt; default 6 */
  int64_t retry_base_ms;      /* first backoff ceiling; default 100 (doubles; full jitter) */
  int64_t retry_max_ms;       /* backoff ceiling cap; default 10000 */
  int64_t connect_timeout_ms; /* default 10000 */
  int64_t stall_timeout_ms;   /* a transfer that moves no byte for this long fails (retried); default 30000 */
  bool sign_payload;          /* hash bodies even over TLS (default: UNSIGNED-PAYLOAD over https) */
} prestige_s3_config_t;

typedef struct prestige_s3_client prestige_s3_client_t;

PRESTIGE_API void prestige_s3_config_init(prestige_s3_config_t *cfg);
PRESTIGE_API int prestige_s3_client_new(prestige_s3_client_t **out, const prestige_s3_config_t *cfg, prestige_error_t *err);
/* The reference's new_client(region, endpoint, access_key, secret_key); each may be NULL. */
PRESTIGE_API int prestige_s3_new_client(prestige_s3_client_t **out, const char *region, const char *endpoint,
                                        const char *access_key, const char *secret_key, prestige_error_t *err);
/* Clients are reference-counted: every store or uploader built on one takes a reference. */
PRESTIGE_API prestige_s3_client_t *prestige_s3_client_ref(prestige_s3_client_t *c);
PRESTIGE_API void prestige_s3_client_free(prestige_s3_client_t *c); /* drops a reference */
PRESTIGE_API const char *prestige_s3_client_region(const prestige_s3_client_t *c);
PRESTIGE_API const char *prestige_s3_client_endpoint(const prestige_s3_client_t *c);

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
/* Splits "s3://bucket[/rest]": the bucket into bucket[cap] and *rest to what follows its slash
 * ("" when none). EINVAL naming the URL when it is not of that form or the bucket is empty or
 * longer than cap - 1. */
PRESTIGE_API int prestige_s3_url_split(const char *url, char *bucket, size_t cap, const char **rest, prestige_error_t *err);
PRESTIGE_API void prestige_store_free(prestige_store_t *st);
/* "file:///abs/dir/" or "s3://bucket/prefix/" */
PRESTIGE_API const char *prestige_store_url(const prestige_store_t *st);
PRESTIGE_API bool prestige_store_is_local(const prestige_store_t *st);
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
