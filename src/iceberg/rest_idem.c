/*
 * The REST server's Idempotency-Key store (rest_idem.h): a hash of keys, each entry also on a
 * list in the order keys were first seen (expiry and eviction take from its head), one mutex and
 * one condition variable that requests waiting for a running key sleep on.
 */
#include "iceberg/rest_idem.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "prestige/core.h"

#define NBUCKETS 16384u

typedef struct ent {
  char key[37];
  char *op;
  uint64_t body_hash;
  bool done;
  int status;
  char *body;
  size_t len;
  char *reload;
  int64_t at_ms;
  size_t bytes;
  struct ent *hnext;
  struct ent *prev, *next;
} ent_t;

struct ice_idem {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int64_t keep_ms;
  ent_t **buckets;
  ent_t *head, *tail;
  size_t n, bytes;
};

uint64_t ice_idem_hash(const void *p, size_t n) {
  const unsigned char *s = p;
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < n; i++) h = (h ^ s[i]) * 1099511628211ull;
  return h;
}

bool ice_idem_key_valid(const char *key) {
  if (!key || strlen(key) != 36) return false;
  for (int i = 0; i < 36; i++) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? key[i] != '-' : !isxdigit((unsigned char)key[i])) return false;
  }
  return true;
}

int ice_idem_new(ice_idem_t **out, int64_t lifetime_ms, prestige_error_t *err) {
  *out = NULL;
  ice_idem_t *st = calloc(1, sizeof *st);
  if (st) st->buckets = calloc(NBUCKETS, sizeof *st->buckets);
  if (!st || !st->buckets) {
    free(st);
    return prestige_error_set(err, PRESTIGE_ENOMEM, "REST server: out of memory for the Idempotency-Key store");
  }
  pthread_mutex_init(&st->mu, NULL);
  pthread_cond_init(&st->cv, NULL);
  st->keep_ms = lifetime_ms + lifetime_ms / 10;
  *out = st;
  return 0;
}

static void ent_free(ent_t *e) {
  free(e->op);
  free(e->body);
  free(e->reload);
  free(e);
}

void ice_idem_free(ice_idem_t *st) {
  if (!st) return;
  for (ent_t *e = st->head, *nx; e; e = nx) {
    nx = e->next;
    ent_free(e);
  }
  free(st->buckets);
  pthread_cond_destroy(&st->cv);
  pthread_mutex_destroy(&st->mu);
  free(st);
}

static void norm_key(const char *key, char out[37]) {
  for (int i = 0; i < 36; i++) out[i] = (char)tolower((unsigned char)key[i]);
  out[36] = 0;
}

static ent_t **slot(ice_idem_t *st, const char *k) {
  ent_t **p = &st->buckets[ice_idem_hash(k, 36) % NBUCKETS];
  while (*p && strcmp((*p)->key, k)) p = &(*p)->hnext;
  return p;
}

static void unlink_ent(ice_idem_t *st, ent_t *e) {
  ent_t **p = slot(st, e->key);
  if (*p == e) *p = e->hnext;
  if (e->prev) e->prev->next = e->next;
  else st->head = e->next;
  if (e->next) e->next->prev = e->prev;
  else st->tail = e->prev;
  st->n--;
  st->bytes -= e->bytes;
  ent_free(e);
}

/* Drops expired final answers, then the oldest ones while over the bounds. */
static void sweep(ice_idem_t *st, int64_t now) {
  for (ent_t *e = st->head, *nx; e; e = nx) {
    nx = e->next;
    if (now - e->at_ms < st->keep_ms) break;
    if (e->done) unlink_ent(st, e);
  }
  for (ent_t *e = st->head, *nx; e && (st->n >= ICE_IDEM_MAX_ENTRIES || st->bytes > ICE_IDEM_MAX_BYTES); e = nx) {
    nx = e->next;
    if (e->done) unlink_ent(st, e);
  }
}

static int copy_out(const ent_t *e, ice_idem_entry_t *out) {
  memset(out, 0, sizeof *out);
  out->status = e->status;
  out->len = e->len;
  if (e->body && !(out->body = malloc(e->len ? e->len : 1))) return -1;
  if (e->body) memcpy(out->body, e->body, e->len);
  if (e->reload && !(out->reload = strdup(e->reload))) return -1;
  if (e->op && !(out->op = strdup(e->op))) return -1;
  return 0;
}

ice_idem_verdict_t ice_idem_begin(ice_idem_t *st, const char *key, const char *op, uint64_t body_hash, int64_t wait_ms,
                                  ice_idem_entry_t *out) {
  memset(out, 0, sizeof *out);
  char k[37];
  norm_key(key, k);
  int64_t deadline = prestige_now_ms() + wait_ms;
  ice_idem_verdict_t v;
  pthread_mutex_lock(&st->mu);
  for (;;) {
    int64_t now = prestige_now_ms();
    sweep(st, now);
    ent_t *e = *slot(st, k);
    if (!e) {
      e = calloc(1, sizeof *e);
      if (!e || !(e->op = strdup(op))) {
        free(e);
        v = ICE_IDEM_NOMEM;
        break;
      }
      memcpy(e->key, k, sizeof k);
      e->body_hash = body_hash;
      e->at_ms = now;
      e->bytes = sizeof *e + strlen(op);
      *slot(st, k) = e;
      e->prev = st->tail;
      if (st->tail) st->tail->next = e;
      else st->head = e;
      st->tail = e;
      st->n++;
      st->bytes += e->bytes;
      v = ICE_IDEM_RUN;
      break;
    }
    if (strcmp(e->op, op) || e->body_hash != body_hash) {
      v = copy_out(e, out) ? ICE_IDEM_NOMEM : ICE_IDEM_MISMATCH;
      break;
    }
    if (e->done) {
      v = copy_out(e, out) ? ICE_IDEM_NOMEM : ICE_IDEM_REPLAY;
      break;
    }
    if (now >= deadline) {
      v = ICE_IDEM_BUSY;
      break;
    }
    /* the same request is running: wait for its answer (or for it to give the key back) */
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t step = deadline - now < 200 ? deadline - now : 200;
    ts.tv_nsec += (long)(step % 1000) * 1000000L;
    ts.tv_sec += step / 1000 + ts.tv_nsec / 1000000000L;
    ts.tv_nsec %= 1000000000L;
    pthread_cond_timedwait(&st->cv, &st->mu, &ts);
  }
  pthread_mutex_unlock(&st->mu);
  if (v == ICE_IDEM_NOMEM) ice_idem_entry_release(out);
  return v;
}

void ice_idem_finish(ice_idem_t *st, const char *key, int status, const void *body, size_t len, const char *reload) {
  char k[37];
  norm_key(key, k);
  pthread_mutex_lock(&st->mu);
  ent_t *e = *slot(st, k);
  if (e && !e->done) {
    bool keep = status > 0 && status < 500;
    if (keep) {
      if (len > ICE_IDEM_BODY_MAX && reload) {
        if (!(e->reload = strdup(reload))) keep = false;
      } else if (len && (e->body = malloc(len))) {
        memcpy(e->body, body, len);
        e->len = len;
      } else if (len) keep = false;
    }
    if (!keep) unlink_ent(st, e);
    else {
      size_t add = e->len + (e->reload ? strlen(e->reload) : 0);
      e->bytes += add;
      st->bytes += add;
      e->status = status;
      e->done = true;
    }
  }
  pthread_cond_broadcast(&st->cv);
  pthread_mutex_unlock(&st->mu);
}

void ice_idem_entry_release(ice_idem_entry_t *e) {
  free(e->body);
  free(e->reload);
  free(e->op);
  memset(e, 0, sizeof *e);
}

size_t ice_idem_count(ice_idem_t *st) {
  pthread_mutex_lock(&st->mu);
  size_t n = st->n;
  pthread_mutex_unlock(&st->mu);
  return n;
}
