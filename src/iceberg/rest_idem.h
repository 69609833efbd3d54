/*
 * The REST server's Idempotency-Key store (rest-catalog-open-api.yaml, parameter idempotency-key):
 * the final answer of every mutation that carried a key, so a retry with the same key gets that
 * answer again instead of running the operation twice.
 *
 *   ice_idem_t *st;
 *   ice_idem_new(&st, 30 * 60 * 1000, &err);
 *   ice_idem_entry_t rep = {0};
 *   switch (ice_idem_begin(st, key, "POST /v1/namespaces", body_hash, 10000, &rep)) {
 *     case ICE_IDEM_RUN: ...run it...; ice_idem_finish(st, key, status, body, len, reload); break;
 *     case ICE_IDEM_REPLAY: ...reply rep.status, rep.body...; ice_idem_entry_release(&rep); break;
 *     ...
 *   }
 *
 * A key is claimed while its request runs: a second request with the same key waits for the first
 * to finish (then gets its answer), so the two never both run. Answers below 500 are final and
 * kept at least the lifetime; a 5xx (or a request that never answered) releases the key so a
 * retry runs the operation. Memory is bounded: bodies above ICE_IDEM_BODY_MAX are not kept (the
 * caller stores a reload target instead and answers a replay from the current state, which the
 * spec allows), and past ICE_IDEM_MAX_ENTRIES or ICE_IDEM_MAX_BYTES the oldest final answers go
 * first, even inside their lifetime.
 */
#ifndef PRESTIGE_ICEBERG_REST_IDEM_H
#define PRESTIGE_ICEBERG_REST_IDEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "prestige/error.h"

#define ICE_IDEM_BODY_MAX (8u << 10)
#define ICE_IDEM_MAX_ENTRIES 100000u
#define ICE_IDEM_MAX_BYTES (64u << 20)

typedef struct ice_idem ice_idem_t;

typedef enum ice_idem_verdict {
  ICE_IDEM_RUN = 0,  /* claimed: run the operation, then ice_idem_finish (or ice_idem_abandon) */
  ICE_IDEM_REPLAY,   /* a final answer is in the entry */
  ICE_IDEM_MISMATCH, /* the key was used for another request (op or body differ) */
  ICE_IDEM_BUSY,     /* a request with this key is still running after the wait */
  ICE_IDEM_NOMEM
} ice_idem_verdict_t;

typedef struct ice_idem_entry {
  int status;
  char *body;   /* malloc'd copy; NULL when reload is set or the body was empty */
  size_t len;
  char *reload; /* what the caller stored to rebuild a large answer (malloc'd), or NULL */
  char *op;     /* the operation the key was first used for (malloc'd) */
} ice_idem_entry_t;

/* lifetime_ms: final answers are kept at least this long (plus a grace of a tenth). */
int ice_idem_new(ice_idem_t **out, int64_t lifetime_ms, prestige_error_t *err);
void ice_idem_free(ice_idem_t *st);
/* A well-formed key: a UUID in its 36-character form (any case). */
bool ice_idem_key_valid(const char *key);
/* op names the request ("POST /v1/namespaces/db/tables/t"); body_hash its body. wait_ms bounds
 * the wait for a request with the same key that is still running. */
ice_idem_verdict_t ice_idem_begin(ice_idem_t *st, const char *key, const char *op, uint64_t body_hash, int64_t wait_ms,
                                  ice_idem_entry_t *out);
/* Records the answer of a claimed key. status >= 500 or <= 0 releases the key instead. reload,
 * when not NULL, replaces a body larger than ICE_IDEM_BODY_MAX. */
void ice_idem_finish(ice_idem_t *st, const char *key, int status, const void *body, size_t len, const char *reload);
void ice_idem_entry_release(ice_idem_entry_t *e);
/* Entries held (final and running), for tests. */
size_t ice_idem_count(ice_idem_t *st);
uint64_t ice_idem_hash(const void *p, size_t n);

#endif
