/*
 * The HTTP client every network component shares (S3 today, the Iceberg REST client next): a
 * pool of reusable curl handles (live connections and TLS sessions survive between requests; DNS
 * and TLS session caches are shared), one request/response exchange with the body from memory, a
 * file range or a callback and the response into memory, a file or a callback, timeouts, and the
 * retry policy (exponential backoff with full jitter; what is retryable is the policy's and the
 * caller's say).
 *
 *   http_client_t *hc;
 *   http_client_new(&hc, NULL, &err);
 *   buf_t body = BUF_INIT;
 *   http_request_t rq;
 *   http_request_init(&rq, "GET", "http://127.0.0.1:8181/v1/config");
 *   rq.out.buf = &body;
 *   http_response_t rs;
 *   http_response_init(&rs);
 *   http_retry_policy_t rp;
 *   http_retry_policy_init(&rp);                        // 5xx and 429 retried when idempotent
 *   if (http_execute(hc, &rq, &rs, &rp, &err) == 0 && rs.status == 200) ... body ...
 *   http_response_release(&rs);
 *
 * Idempotency decides what a transport failure may do: a request that never reached the server
 * (refused connection, unresolvable host) is always retried; one that may have been received is
 * retried only when idempotent (GET, HEAD, PUT, DELETE, OPTIONS by default; POST only when the
 * caller says so). 5xx answers are retried only for idempotent requests: an Iceberg commit
 * (POST) that got a 502 must not be sent again blindly.
 */
#ifndef PRESTIGE_NET_HTTP_CLIENT_H
#define PRESTIGE_NET_HTTP_CLIENT_H

#include <curl/curl.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "prestige/core.h"
#include "prestige/error.h"

typedef struct http_client http_client_t;

typedef struct http_client_options {
  int pool_max;               /* idle handles kept for reuse; default 32 */
  int64_t connect_timeout_ms; /* default 10000 */
  int64_t stall_timeout_ms;   /* a transfer that moves no byte for this long fails; default 30000 */
  int64_t total_timeout_ms;   /* the whole exchange; 0 (default) = no limit */
  const char *user_agent;     /* default "prestige/<version>" */
} http_client_options_t;

void http_client_options_init(http_client_options_t *o);
/* o may be NULL (defaults). EINVAL naming the field for negative timeouts or pool sizes. */
int http_client_new(http_client_t **out, const http_client_options_t *o, prestige_error_t *err);
void http_client_free(http_client_t *c);

typedef struct http_header {
  const char *name;
  const char *value; /* NULL removes a header curl would add by itself (e.g. "Expect") */
} http_header_t;

/* Request body: memory, a file range (pread, so a resend rewinds for free) or a callback that
 * reads at a position. The first that is set wins: read, then fd >= 0, then data. */
typedef struct http_body {
  const uint8_t *data;
  uint64_t len;
  int fd;
  uint64_t fd_off;
  /* returns bytes read (> 0), or -errno */
  int64_t (*read)(void *ud, uint64_t pos, void *dst, size_t cap);
  void *read_ud;
} http_body_t;

/* Where a 2xx body goes (the first that is set): an exact-size window (more is an error), a file
 * at an offset (pwrite, coalesced into 1 MiB writes), a callback, a growable buffer (capped).
 * Positions count from the request's out_pos, so a resumed download continues in place. Bodies
 * of other statuses go to the response's error_body instead. */
typedef struct http_output {
  uint8_t *mem;
  size_t mem_len;
  int fd;
  uint64_t fd_off;
  int (*write)(void *ud, uint64_t pos, const void *p, size_t n); /* returns 0 or an errno */
  void *write_ud;
  buf_t *buf;
  size_t buf_max;                /* 0 = 16 MiB */
  _Atomic uint64_t *progress;    /* body bytes received are added here (may be NULL) */
} http_output_t;

typedef enum http_idempotency {
  HTTP_IDEMPOTENT_AUTO = 0, /* from the method: GET, HEAD, PUT, DELETE, OPTIONS are idempotent */
  HTTP_IDEMPOTENT_YES = 1,
  HTTP_IDEMPOTENT_NO = 2
} http_idempotency_t;

typedef struct http_request {
  const char *method;
  const char *url;
  const http_header_t *headers;
  size_t n_headers;
  bool has_body; /* PUT and POST send a (possibly empty) body even when false */
  http_body_t body;
  http_output_t out;
  uint64_t out_pos;     /* output position of the body's first byte (resumed downloads) */
  bool expect_partial;  /* a Range request: a 200 answer means the server ignored the range, an error */
  http_idempotency_t idempotent;
  int64_t timeout_ms;   /* overrides the client's total timeout when > 0 */
} http_request_t;

void http_request_init(http_request_t *rq, const char *method, const char *url);
bool http_request_idempotent(const http_request_t *rq);

#define HTTP_ERROR_BODY_MAX (64u << 10)

typedef struct http_response {
  long status;              /* 0 when no response arrived; kept when the body broke off midway */
  CURLcode transport;       /* CURLE_OK, or what failed on the wire */
  bool sent;                /* request bytes were written to a connection */
  uint64_t delivered;       /* body bytes written to the output in this exchange */
  bool has_content_length;
  uint64_t content_length;
  uint64_t range_total;     /* total size from Content-Range ("bytes a-b/N"), 0 when absent */
  buf_t headers;            /* the final response's headers: "name\0value\0" pairs */
  buf_t error_body;         /* body of a non-2xx response, at most HTTP_ERROR_BODY_MAX bytes */
  int write_errno;          /* the output failed */
  int read_errno;           /* the request body failed */
  bool overflow;            /* more than the output could take */
  bool range_ignored;       /* 200 to an expect_partial request */
  char transport_message[CURL_ERROR_SIZE]; /* curl's detail of a transport failure */
  int attempts;             /* http_execute: exchanges made */
  int64_t duration_ns;      /* the last exchange */
} http_response_t;

void http_response_init(http_response_t *rs);
void http_response_release(http_response_t *rs);
/* Value of a response header (case-insensitive name; the first occurrence), or NULL. */
const char *http_response_header(const http_response_t *rs, const char *name);

/* One exchange, no retry. 0 when a response arrived (whatever its status: the caller judges it);
 * ENET or ETIMEOUT naming the URL on a transport failure; ENOMEM/EIO/ENOSPC when the output or
 * the body failed; ECORRUPT when the response overflowed the output; EHTTP when a range was
 * ignored. rs is reset first (its buffers reused). */
int http_exchange(http_client_t *c, const http_request_t *rq, http_response_t *rs, prestige_error_t *err);

/* What made http_exchange fail, without the method and URL ("writing the response: No space left
 * on device", curl's detail of a transport failure...), into buf. Returns the error code. */
int http_failure_describe(const http_request_t *rq, const http_response_t *rs, char *buf, size_t cap);

/* ---- retry policy ----------------------------------------------------------------------------- */

typedef enum http_verdict { HTTP_VERDICT_DEFAULT = -1, HTTP_VERDICT_STOP = 0, HTTP_VERDICT_RETRY = 1 } http_verdict_t;

typedef struct http_retry_policy {
  int max_attempts;      /* including the first; default 3 */
  int64_t base_ms;       /* first backoff ceiling; doubles per attempt; default 100 */
  int64_t max_ms;        /* ceiling cap; default 10000 */
  int64_t retry_after_max_ms; /* a server's Retry-After is honoured up to this; default 30000 */
  bool retry_5xx;        /* 500, 502, 503, 504 for idempotent requests; default true */
  bool retry_429;        /* any request (the server did not act on it); default true */
  /* The caller's say after the rules above (rc: what http_exchange returned): DEFAULT keeps the
   * rules' verdict. S3 retries SlowDown and RequestTimeout answers this way. */
  http_verdict_t (*classify)(void *ud, const http_request_t *rq, const http_response_t *rs, int rc);
  void *classify_ud;
  prestige_shutdown_t *cancel; /* backoff waits end early (ECANCELED) when triggered; may be NULL */
} http_retry_policy_t;

void http_retry_policy_init(http_retry_policy_t *p);
bool http_transport_retryable(CURLcode cc);
/* Whether the outcome (rc: what http_exchange returned, rs) is worth another attempt, ignoring
 * the attempt count; http_should_retry also stops at max_attempts. A 2xx is never retried. */
bool http_retryable(const http_retry_policy_t *p, const http_request_t *rq, const http_response_t *rs, int rc);
bool http_should_retry(const http_retry_policy_t *p, const http_request_t *rq, const http_response_t *rs, int rc,
                       int attempt);
/* Full jitter: uniform in [0, min(max_ms, base_ms * 2^(attempt-1))], from random bits r. */
int64_t http_backoff_ms(const http_retry_policy_t *p, int attempt, uint64_t r);
/* Sleeps before attempt + 1: the server's Retry-After (seconds or an HTTP date) when rs carries
 * one, else the jittered backoff. ECANCELED when the policy's cancel token fires. */
int http_backoff_wait(const http_retry_policy_t *p, int attempt, const http_response_t *rs, prestige_error_t *err);

/* Exchanges until success or the policy says stop: 0 with the final response in rs (any status;
 * rs->attempts says how many were made), or the last transport/local error. A message of a
 * retried failure says "gave up after N attempts". */
int http_execute(http_client_t *c, const http_request_t *rq, http_response_t *rs, const http_retry_policy_t *p,
                 prestige_error_t *err);

/* ---- helpers ---------------------------------------------------------------------------------- */

/* The PRESTIGE_E* code an HTTP error status stands for: 400/413/422 EINVAL, 401/403 EAUTH,
 * 404 ENOTFOUND, 409 ECONFLICT, every other one EHTTP. Protocols with their own meanings (S3's
 * 412 after If-None-Match) map them first. */
int http_status_code(long status);
const char *http_status_reason(long status);

#endif
