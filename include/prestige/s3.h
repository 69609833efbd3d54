/*
 * prestige/s3.h — the S3 client: configuration from arguments and the standard AWS sources
 * (environment, AWS_PROFILE with ~/.aws/credentials and ~/.aws/config, AWS_ENDPOINT_URL), SigV4
 * signing, connection reuse, retries. Stores (prestige/store.h) and uploaders share one client.
 *
 *   prestige_s3_config_t cfg = PRESTIGE_S3_CONFIG_INIT;
 *   cfg.endpoint = "http://127.0.0.1:9000";     // MinIO; NULL: AWS_ENDPOINT_URL or AWS itself
 *   prestige_s3_client_t *c;
 *   if (prestige_s3_client_new(&c, &cfg, &err)) return err.code;   // AWS_PROFILE=typo fails here, naming it
 *   prestige_store_t *st;
 *   int rc = prestige_store_open_s3(&st, c, "my-bucket", "events/", &err);   // takes a reference
 *   prestige_s3_client_free(c);
 *   if (rc) return rc;
 *   prestige_store_put(st, "hello.txt", "hi", 2, &err);
 *   prestige_store_free(st);
 *
 * A client is thread-safe: any number of stores and threads may use it at once.
 */
#ifndef PRESTIGE_S3_H
#define PRESTIGE_S3_H

#include "prestige/api.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "prestige/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Every field is optional; NULL / 0 / -1 fall back to the standard AWS sources, in this order:
 *   region:      AWS_REGION, AWS_DEFAULT_REGION, the profile's `region`, "us-east-1"
 *   credentials: AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN), then the profile
 *                (AWS_PROFILE or "default") in AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials,
 *                then in AWS_CONFIG_FILE or ~/.aws/config; none found = anonymous (unsigned) requests.
 *                A profile named by `profile` or AWS_PROFILE that neither file holds is an error
 *                (EINVAL naming it); so is one using credential_process, role_arn or SSO
 *                (EUNSUPPORTED), which prestige cannot follow.
 *   endpoint:    AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, the profile's `endpoint_url`, else AWS
 *                (https://s3.<region>.amazonaws.com, virtual-hosted addressing)
 * A custom endpoint uses path-style addressing (http://host:port/bucket/key) unless
 * force_path_style is 0. TLS certificates are verified unless the endpoint is plain http. */
/* How request bodies are covered by the signature (x-amz-content-sha256). */
typedef enum prestige_s3_payload {
  PRESTIGE_S3_PAYLOAD_AUTO = 0,     /* UNSIGNED-PAYLOAD over https (TLS protects the bytes, the checksum
                                       checks them end to end), the body's SHA-256 over plain http */
  PRESTIGE_S3_PAYLOAD_SIGNED = 1,   /* always hash the body into the signature */
  PRESTIGE_S3_PAYLOAD_UNSIGNED = 2  /* always UNSIGNED-PAYLOAD, plain http included */
} prestige_s3_payload_t;

/* The flexible checksum sent with every PutObject and UploadPart body (x-amz-checksum-<alg>, and
 * the parts' checksums in CompleteMultipartUpload): S3 recomputes it and refuses a body that does
 * not match (400 BadDigest), so the bytes are checked end to end whatever the payload signing. */
typedef enum prestige_s3_checksum {
  PRESTIGE_S3_CHECKSUM_CRC32C = 0, /* default */
  PRESTIGE_S3_CHECKSUM_CRC32 = 1,
  PRESTIGE_S3_CHECKSUM_NONE = 2    /* for S3-compatible servers that refuse the headers */
} prestige_s3_checksum_t;

/* Version 2 added payload and checksum; a version 1 struct is still accepted (both default). */
#define PRESTIGE_S3_CONFIG_VERSION 2
typedef struct prestige_s3_config {
  unsigned int version;       /* PRESTIGE_S3_CONFIG_VERSION */
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
  bool sign_payload;          /* true: same as payload = PRESTIGE_S3_PAYLOAD_SIGNED (kept from version 1) */
  /* version 2 */
  prestige_s3_payload_t payload;   /* default AUTO; env PRESTIGE_S3_PAYLOAD=signed|unsigned|auto when AUTO */
  prestige_s3_checksum_t checksum; /* default CRC32C; env PRESTIGE_S3_CHECKSUM=crc32c|crc32|none when CRC32C */
} prestige_s3_config_t;

#define PRESTIGE_S3_CONFIG_INIT                                                                           \
  {                                                                                                       \
    .version = PRESTIGE_S3_CONFIG_VERSION, .region = NULL, .endpoint = NULL, .access_key = NULL,          \
    .secret_key = NULL, .session_token = NULL, .profile = NULL, .force_path_style = -1,                   \
    .part_size = 8 << 20, .concurrency = 4, .max_retries = 6, .retry_base_ms = 100,                       \
    .retry_max_ms = 10000, .connect_timeout_ms = 10000, .stall_timeout_ms = 30000, .sign_payload = false, \
    .payload = PRESTIGE_S3_PAYLOAD_AUTO, .checksum = PRESTIGE_S3_CHECKSUM_CRC32C                          \
  }

typedef struct prestige_s3_client prestige_s3_client_t;

/* Same as PRESTIGE_S3_CONFIG_INIT. */
PRESTIGE_API void prestige_s3_config_init(prestige_s3_config_t *cfg);
/* cfg NULL: every default. A version this library does not know is EINVAL naming the struct. */
PRESTIGE_API int prestige_s3_client_new(prestige_s3_client_t **out, const prestige_s3_config_t *cfg, prestige_error_t *err);
/* The reference's new_client(region, endpoint, access_key, secret_key); each may be NULL. */
PRESTIGE_API int prestige_s3_new_client(prestige_s3_client_t **out, const char *region, const char *endpoint,
                                        const char *access_key, const char *secret_key, prestige_error_t *err);
/* Clients are reference-counted: every store or uploader built on one takes a reference. */
PRESTIGE_API prestige_s3_client_t *prestige_s3_client_ref(prestige_s3_client_t *c);
PRESTIGE_API void prestige_s3_client_free(prestige_s3_client_t *c); /* drops a reference */
PRESTIGE_API const char *prestige_s3_client_region(const prestige_s3_client_t *c);
PRESTIGE_API const char *prestige_s3_client_endpoint(const prestige_s3_client_t *c);

/* Splits "s3://bucket[/rest]": the bucket into bucket[cap] and *rest to what follows its slash
 * ("" when none). EINVAL naming the URL when it is not of that form or the bucket is empty or
 * longer than cap - 1. */
PRESTIGE_API int prestige_s3_url_split(const char *url, char *bucket, size_t cap, const char **rest, prestige_error_t *err);

#ifdef __cplusplus
}
#endif

#endif /* PRESTIGE_S3_H */
