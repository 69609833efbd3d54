/*
 * Internal S3 client: configuration, the request executor (signing, retries with backoff and
 * jitter, resumable downloads) and the operations the store and uploader are built from.
 */
#ifndef PRESTIGE_STORE_S3_INTERNAL_H
#define PRESTIGE_STORE_S3_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "core/buf.h"
#include "net/http_client.h"
#include "prestige/s3.h"
#include "prestige/store.h"
#include "store/sigv4.h"

#define S3_POOL_MAX 32 /* threads of one transfer: 2 * concurrency at most */

struct prestige_s3_client {
  atomic_int refs;
  char *region;
  char *scheme;       /* "http" or "https" */
  char *host;         /* host[:port] as sent in Host (default ports omitted) */
  char *base_path;    /* path prefix of a custom endpoint ("" normally), no trailing '/' */
  char *endpoint;     /* as configured, for messages */
  char *access_key, *secret_key, *session_token; /* NULL access_key = anonymous */
  bool path_style;
  bool tls;
  bool sign_payload;  /* resolved: hash bodies into the signature (else UNSIGNED-PAYLOAD) */
  prestige_s3_checksum_t checksum; /* flexible checksum of PutObject / UploadPart bodies */
  size_t part_size;
  int concurrency;
  http_client_t *http;      /* handle pool, timeouts */
  http_retry_policy_t retry; /* 5xx, 429, SlowDown and transport failures, every S3 request */
};

typedef struct s3_request {
  const char *op;       /* "GetObject" ... for messages and metrics */
  const char *method;
  const char *bucket;
  const char *key;      /* full object key (unencoded); NULL for bucket-level requests */
  const char *query;    /* wire query (already encoded), NULL for none */
  const sigv4_header_t *headers; /* extra headers, signed */
  size_t n_headers;
  /* body: memory, or a file range when body_fd >= 0 */
  bool has_body;
  const uint8_t *body;
  size_t body_len;
  int body_fd;
  uint64_t body_off;
  /* response body destination (first that is set): exact-size dst, fd at offset, growable buf */
  uint8_t *dst;
  size_t dst_len;
  int out_fd;           /* -1 when unused */
  uint64_t out_off;
  buf_t *out;
  size_t out_max;       /* cap for out (0 = 16 MiB) */
  /* GET range [range_off, range_off + range_len); resumed after a dropped connection */
  bool has_range;
  uint64_t range_off, range_len;
  const char *if_match; /* ETag the object must still have (resumed and parallel reads) */
  _Atomic uint64_t *progress; /* body bytes received are added here (may be NULL) */
  /* integrity of the body: send the client's flexible checksum of it (PutObject, UploadPart);
   * digests already computed by the caller (NULL: computed here when needed) */
  bool checksum;
  const char *payload_sha256; /* lowercase hex */
  const char *checksum_value; /* base64, as sent */
} s3_request_t;

typedef struct s3_response {
  long status;
  char etag[160];
  uint64_t content_length;
  bool has_content_length;
  uint64_t total_size;  /* from Content-Range when present */
  int64_t last_modified_ms;
  char request_id[128];
  char code[64];
  char message[256];
  int attempts;
  char checksum[16];    /* the body checksum sent (base64), "" when none */
} s3_response_t;

/* A request for operation op (its name in errors and metrics) on bucket/key (key may be NULL). */
static inline void s3_request_init(s3_request_t *rq, const char *op, const char *method, const char *bucket,
                                   const char *key) {
  memset(rq, 0, sizeof *rq);
  rq->op = op;
  rq->method = method;
  rq->bucket = bucket;
  rq->key = key;
  rq->body_fd = -1;
  rq->out_fd = -1;
}

int s3_execute(prestige_s3_client_t *c, const s3_request_t *rq, s3_response_t *rs, prestige_error_t *err);

/* The digests of a body (memory when fd < 0, else the file range [off, off + len)) in one pass:
 * its SHA-256 in hex when sha256 is not NULL, the client's checksum in base64 when sum is not NULL
 * and the client sends one (sum[0] = 0 otherwise). */
int s3_body_digest(const prestige_s3_client_t *c, const uint8_t *data, size_t len, int fd, uint64_t off, char *sha256,
                   char *sum, prestige_error_t *err);
/* The checksum's names: header ("x-amz-checksum-crc32c"), algorithm ("CRC32C"), XML element of
 * CompleteMultipartUpload ("ChecksumCRC32C"); NULL for NONE. */
const char *s3_checksum_header(prestige_s3_checksum_t alg);
const char *s3_checksum_algorithm(prestige_s3_checksum_t alg);
const char *s3_checksum_element(prestige_s3_checksum_t alg);

/* Operations (keys are full S3 keys). */
int s3_put_object(prestige_s3_client_t *c, const char *bucket, const char *key, const void *data, size_t len,
                  bool if_absent, prestige_error_t *err);
int s3_put_file(prestige_s3_client_t *c, const char *bucket, const char *key, const char *path, bool if_absent,
                prestige_error_t *err);
int s3_open_output(prestige_s3_client_t *c, const char *bucket, const char *key, bool if_absent,
                   prestige_output_t *out, prestige_error_t *err);
int s3_get_object(prestige_s3_client_t *c, const char *bucket, const char *key, uint8_t **data, size_t *len,
                  prestige_error_t *err);
int s3_get_range(prestige_s3_client_t *c, const char *bucket, const char *key, uint64_t off, size_t len, void *dst,
                 const char *if_match, prestige_error_t *err);
int s3_get_file(prestige_s3_client_t *c, const char *bucket, const char *key, const char *path,
                prestige_progress_fn progress, void *user_data, prestige_error_t *err);
int s3_head_object(prestige_s3_client_t *c, const char *bucket, const char *key, prestige_object_meta_t *meta,
                   prestige_error_t *err);
int s3_delete_object(prestige_s3_client_t *c, const char *bucket, const char *key, prestige_error_t *err);
int s3_delete_objects(prestige_s3_client_t *c, const char *bucket, const char *const *keys, size_t n,
                      prestige_error_t *err);
/* One ListObjectsV2 page. *items malloc'd (keys full); *next_token malloc'd or NULL at the end. */
int s3_list_page(prestige_s3_client_t *c, const char *bucket, const char *prefix, const char *start_after,
                 const char *token, prestige_object_meta_t **items, size_t *n, char **next_token,
                 prestige_error_t *err);
/* Parses an HTTP date (RFC 1123) or ISO 8601 timestamp into epoch ms; -1 when malformed. */
int64_t s3_parse_time_ms(const char *s);
/* "s3://bucket/key" for messages, into a fixed buffer. */
const char *s3_url(char *buf, size_t cap, const char *bucket, const char *key);

#endif
