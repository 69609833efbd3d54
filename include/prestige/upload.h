/*
 * prestige/upload.h — the FileUpload service: hand it a local file and it returns at once;
 * background workers upload the file to a store (S3 or a local-directory bucket) with retries.
 * Completion and failure are observable by ticket (status / wait), by callback, and in metrics:
 *   prestige.file_upload.duration_ms   histogram  {bucket, status}
 *   prestige.file_upload.count         counter    {bucket, status = "success" | "failure"}
 *   prestige.file_upload.size_bytes    histogram  {bucket}       (bucket = the store's URL)
 * A local file is removed only after its upload is confirmed, and only when remove_local is set.
 * Shutdown waits for queued and in-flight uploads, or (after its timeout) returns those not done:
 * nothing is dropped silently.
 *
 *   prestige_store_t *store;
 *   if (prestige_store_open(&store, "s3://my-bucket/", NULL, &err)) return err.code;
 *   prestige_upload_options_t o = PRESTIGE_UPLOAD_OPTIONS_INIT;
 *   o.key_prefix = "sensor_data/";
 *   prestige_file_upload_t *up;
 *   if (prestige_file_upload_new(&up, store, &o, &err)) return err.code;
 *   uint64_t t;
 *   if (prestige_file_upload_submit(up, "/data/out/sensor.1732000000000.parquet", NULL, &t, &err) == 0)
 *     prestige_file_upload_wait(up, t, -1, &err);           // optional
 *   prestige_file_upload_shutdown(up, 30000, NULL, NULL, &err);
 *   prestige_file_upload_free(up);
 *   prestige_store_free(store);
 *
 * Thread safety: submit, status, wait, flush and counts may be called from any number of
 * threads at once; shutdown and free once, after the other calls have returned.
 */
#ifndef PRESTIGE_UPLOAD_H
#define PRESTIGE_UPLOAD_H

#include "prestige/api.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "prestige/error.h"
#include "prestige/store.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum prestige_upload_status {
  PRESTIGE_UPLOAD_QUEUED = 0,
  PRESTIGE_UPLOAD_RUNNING = 1,
  PRESTIGE_UPLOAD_DONE = 2,
  PRESTIGE_UPLOAD_FAILED = 3,
  PRESTIGE_UPLOAD_UNKNOWN = 4 /* ticket never issued, or forgotten (results are kept for the last 10000) */
} prestige_upload_status_t;

typedef struct prestige_upload_result {
  uint64_t ticket;
  const char *path;   /* local file */
  const char *key;    /* object key in the store */
  uint64_t size_bytes;
  double duration_ms;
  prestige_upload_status_t status; /* DONE or FAILED */
  const prestige_error_t *error;   /* when FAILED */
} prestige_upload_result_t;

typedef void (*prestige_upload_callback_fn)(void *user_data, const prestige_upload_result_t *result);

#define PRESTIGE_UPLOAD_OPTIONS_VERSION 1
typedef struct prestige_upload_options {
  unsigned int version;    /* PRESTIGE_UPLOAD_OPTIONS_VERSION */
  int workers;             /* upload threads, 1..64; default 2 */
  size_t queue_capacity;   /* submissions waiting, >= 1; submit blocks when full (backpressure); default 1024 */
  const char *key_prefix;  /* key = key_prefix + file name when submit gets no key; default "" */
  bool remove_local;       /* delete the local file after a confirmed upload; default false */
  int max_attempts;        /* whole-file attempts (each with the client's request retries), >= 1; default 3 */
  int64_t retry_delay_ms;  /* pause between whole-file attempts, >= 0; default 1000 */
  prestige_upload_callback_fn on_done; /* called from a worker thread; may be NULL */
  void *user_data;
} prestige_upload_options_t;

#define PRESTIGE_UPLOAD_OPTIONS_INIT                                                                      \
  {                                                                                                       \
    .version = PRESTIGE_UPLOAD_OPTIONS_VERSION, .workers = 2, .queue_capacity = 1024, .key_prefix = "",   \
    .remove_local = false, .max_attempts = 3, .retry_delay_ms = 1000, .on_done = NULL, .user_data = NULL  \
  }

typedef struct prestige_file_upload prestige_file_upload_t;

/* Same as PRESTIGE_UPLOAD_OPTIONS_INIT. */
PRESTIGE_API void prestige_upload_options_init(prestige_upload_options_t *o);
/* Takes a reference on nothing: store must outlive the uploader. Options (NULL: defaults) are
 * validated: EINVAL naming the field out of range, or the struct for an unknown version. */
PRESTIGE_API int prestige_file_upload_new(prestige_file_upload_t **out, prestige_store_t *store, const prestige_upload_options_t *o,
                                          prestige_error_t *err);
/* Queues path for upload under key (NULL: key_prefix + basename). Returns at once unless the queue
 * is full. ESHUTDOWN after shutdown. ticket may be NULL. */
PRESTIGE_API int prestige_file_upload_submit(prestige_file_upload_t *up, const char *path, const char *key, uint64_t *ticket,
                                             prestige_error_t *err);
/* Status of a ticket; when FAILED, *failure (if non-NULL) receives the error. */
PRESTIGE_API prestige_upload_status_t prestige_file_upload_status(prestige_file_upload_t *up, uint64_t ticket,
                                                                  prestige_error_t *failure);
/* Waits until the ticket is DONE (0) or FAILED (its error); timeout_ms < 0 waits forever (ETIMEOUT). */
PRESTIGE_API int prestige_file_upload_wait(prestige_file_upload_t *up, uint64_t ticket, int64_t timeout_ms, prestige_error_t *err);
/* Waits until everything submitted so far is DONE or FAILED; returns the number that failed in *failed. */
PRESTIGE_API int prestige_file_upload_flush(prestige_file_upload_t *up, int64_t timeout_ms, size_t *failed, prestige_error_t *err);
/* Counts of uploads by state. */
PRESTIGE_API void prestige_file_upload_counts(prestige_file_upload_t *up, size_t *queued, size_t *running, size_t *done,
                                              size_t *failed);
/* Stops accepting uploads and waits up to timeout_ms (< 0: forever) for queued and in-flight ones.
 * Uploads not started by then are not attempted; their paths are returned in *not_done (malloc'd
 * array of malloc'd strings; free with prestige_strings_free), or, when not_done is NULL, reported
 * in the error (ETIMEOUT). In-flight uploads always finish their current attempt. */
PRESTIGE_API int prestige_file_upload_shutdown(prestige_file_upload_t *up, int64_t timeout_ms, char ***not_done, size_t *n_not_done,
                                               prestige_error_t *err);
PRESTIGE_API void prestige_file_upload_free(prestige_file_upload_t *up);
/* The store and key prefix the uploader was made with. */
PRESTIGE_API prestige_store_t *prestige_file_upload_store(const prestige_file_upload_t *up);
PRESTIGE_API const char *prestige_file_upload_key_prefix(const prestige_file_upload_t *up);
PRESTIGE_API void prestige_strings_free(char **strings, size_t n);

#ifdef __cplusplus
}
#endif

#endif /* PRESTIGE_UPLOAD_H */
