#include "core/queue.h"

#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "prestige/error.h"

struct queue {
  pthread_mutex_t mu;
  pthread_cond_t not_empty;
  pthread_cond_t not_full;
  ring_t r;
  bool closed;
};

int ring_init(ring_t *r, size_t capacity) {
  r->head = r->count = 0;
  r->cap = capacity;
  r->items = NULL;
  if (capacity == 0) return PRESTIGE_EINVAL;
  r->items = calloc(capacity, sizeof(void *));
  return r->items ? 0 : PRESTIGE_ENOMEM;
}

void ring_release(ring_t *r) {
  free(r->items);
  r->items = NULL;
  r->cap = r->head = r->count = 0;
}

queue_t *queue_new(size_t capacity) {
  if (capacity == 0) return NULL;
  queue_t *q = calloc(1, sizeof(*q));
  if (!q) return NULL;
  if (ring_init(&q->r, capacity)) {
    free(q);
    return NULL;
  }
  pthread_mutex_init(&q->mu, NULL);
  pthread_condattr_t attr;
  pthread_condattr_init(&attr);
  pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
  pthread_cond_init(&q->not_empty, &attr);
  pthread_cond_init(&q->not_full, &attr);
  pthread_condattr_destroy(&attr);
  return q;
}

void queue_free(queue_t *q) {
  if (!q) return;
  pthread_cond_destroy(&q->not_empty);
  pthread_cond_destroy(&q->not_full);
  pthread_mutex_destroy(&q->mu);
  ring_release(&q->r);
  free(q);
}

static void deadline_after(struct timespec *ts, int64_t ms) {
  clock_gettime(CLOCK_MONOTONIC, ts);
  ts->tv_sec += ms / 1000;
  ts->tv_nsec += (ms % 1000) * 1000000L;
  if (ts->tv_nsec >= 1000000000L) {
    ts->tv_sec++;
    ts->tv_nsec -= 1000000000L;
  }
}

/* Waits on cv until pred holds; returns 0, or ETIMEOUT once the deadline passes. */
static int wait_on(pthread_cond_t *cv, pthread_mutex_t *mu, const struct timespec *deadline) {
  if (!deadline) {
    pthread_cond_wait(cv, mu);
    return 0;
  }
  return pthread_cond_timedwait(cv, mu, deadline) == 0 ? 0 : PRESTIGE_ETIMEOUT;
}

int queue_push(queue_t *q, void *item, int64_t timeout_ms) {
  struct timespec dl, *dlp = NULL;
  if (timeout_ms >= 0) {
    deadline_after(&dl, timeout_ms);
    dlp = &dl;
  }
  pthread_mutex_lock(&q->mu);
  while (!q->closed && ring_full(&q->r)) {
    if (wait_on(&q->not_full, &q->mu, dlp) && ring_full(&q->r) && !q->closed) {
      pthread_mutex_unlock(&q->mu);
      return PRESTIGE_ETIMEOUT;
    }
  }
  if (q->closed) {
    pthread_mutex_unlock(&q->mu);
    return PRESTIGE_ESHUTDOWN;
  }
  ring_push(&q->r, item);
  pthread_cond_signal(&q->not_empty);
  pthread_mutex_unlock(&q->mu);
  return 0;
}

int queue_pop(queue_t *q, void **item, int64_t timeout_ms) {
  struct timespec dl, *dlp = NULL;
  if (timeout_ms >= 0) {
    deadline_after(&dl, timeout_ms);
    dlp = &dl;
  }
  pthread_mutex_lock(&q->mu);
  while (!q->closed && q->r.count == 0) {
    if (wait_on(&q->not_empty, &q->mu, dlp) && q->r.count == 0 && !q->closed) {
      pthread_mutex_unlock(&q->mu);
      return PRESTIGE_ETIMEOUT;
    }
  }
  if (q->r.count == 0) {
    pthread_mutex_unlock(&q->mu);
    return PRESTIGE_ESHUTDOWN;
  }
  *item = ring_pop(&q->r);
  pthread_cond_signal(&q->not_full);
  pthread_mutex_unlock(&q->mu);
  return 0;
}

void queue_close(queue_t *q) {
  pthread_mutex_lock(&q->mu);
  q->closed = true;
  pthread_cond_broadcast(&q->not_empty);
  pthread_cond_broadcast(&q->not_full);
  pthread_mutex_unlock(&q->mu);
}

bool queue_closed(queue_t *q) {
  pthread_mutex_lock(&q->mu);
  bool c = q->closed;
  pthread_mutex_unlock(&q->mu);
  return c;
}

size_t queue_size(queue_t *q) {
  pthread_mutex_lock(&q->mu);
  size_t n = q->r.count;
  pthread_mutex_unlock(&q->mu);
  return n;
}
