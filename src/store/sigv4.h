/*
 * AWS Signature Version 4, header signing (the Authorization header), for S3 and generic services.
 * Verified against AWS's published test suite and against botocore on random requests.
 */
#ifndef PRESTIGE_STORE_SIGV4_H
#define PRESTIGE_STORE_SIGV4_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "prestige/error.h"

typedef struct sigv4_header {
  const char *name;
  const char *value;
} sigv4_header_t;

typedef struct sigv4_input {
  const char *method;          /* "GET", "PUT", ... */
  const char *path;            /* S3: the path exactly as sent (already URI-encoded, e.g. "/bucket/a%20b");
                                  generic services: the unencoded path (encoded by the signer) */
  const char *query;           /* query string as sent, without '?'; NULL or "" for none */
  const sigv4_header_t *headers; /* headers to sign, including Host; names in any case */
  size_t n_headers;
  const char *payload_hash;    /* lowercase hex SHA-256 of the body, or "UNSIGNED-PAYLOAD" */
  const char *access_key, *secret_key, *session_token; /* session_token NULL when none */
  const char *region, *service;
  int64_t unix_time;           /* seconds since the epoch, UTC */
  int normalize_path;          /* 1: remove "." and ".." segments and empty segments (generic); 0: S3 */
  int double_encode;           /* 1: URI-encode the path in the canonical request (generic); 0: S3 */
} sigv4_input_t;

typedef struct sigv4_output {
  char amz_date[17];           /* "20150830T123600Z": send it as X-Amz-Date */
  char signature[65];          /* lowercase hex */
  char *authorization;         /* malloc'd Authorization header value */
  char *canonical_request;     /* malloc'd, for tests and debugging */
  char *string_to_sign;        /* malloc'd */
} sigv4_output_t;

/* Signs. x-amz-date (and x-amz-security-token when session_token is set) are added to the signed
 * headers unless already listed; the caller sends them. Same-name headers are joined with ","
 * in order; values are trimmed with inner whitespace runs collapsed. Query parameters are decoded,
 * re-encoded (RFC 3986 unreserved kept, upper-case %XX) and sorted by encoded name, then value.
 * Errors never contain the secret key or the session token. */
int sigv4_sign(const sigv4_input_t *in, sigv4_output_t *out, prestige_error_t *err);
void sigv4_output_free(sigv4_output_t *out);
void sigv4_sha256_hex(const void *data, size_t len, char out[65]);
/* Appends s[0..n) URI-encoded (A-Za-z0-9-._~ kept; '/' kept when keep_slash). */
int sigv4_uri_encode(buf_t *out, const char *s, size_t n, int keep_slash);

#endif
