#include "core/queue.h"

#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "prestige/error.h"

struct queue {
  pthread_mutex_t mu;
  pthread_cond_t not_empty;
  pthread_cond_t not_full;
  void **items;
  size_t cap, head, count;
  bool closed;
};

queue_t *queue_new(size_t capacity) {
  if (capacity == 0) return NULL;
  queue_t *q = calloc(1, sizeof(*q));
  if (!q) return NULL;
  q->items = calloc(capacity, sizeof(void *));
  if (!q->items) {
    free(q);
    return NULL;
  }
  q->cap = capacity;
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
  free(q->items);
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
  while (!q->closed && q->count == q->cap) {
    if (wait_on(&q->not_full, &q->mu, dlp) && q->count == q->cap && !q->closed) {
      pthread_mutex_unlock(&q->mu);
      return PRESTIGE_ETIMEOUT;
    }
  }
  if (q->closed) {
    pthread_mutex_unlock(&q->mu);
    return PRESTIGE_ESHUTDOWN;
  }
  q->items[(q->head + q->count) % q->cap] = item;
  q->count++;
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
  while (!q->closed && q->count == 0) {
    if (wait_on(&q->not_empty, &q->mu, dlp) && q->count == 0 && !q->closed) {
      pthread_mutex_unlock(&q->mu);
      return PRESTIGE_ETIMEOUT;
    }
  }
  if (q->count == 0) {
    pthread_mutex_unlock(&q->mu);
    return PRESTIGE_ESHUTDOWN;
  }
  *item = q->items[q->head];
  q->head = (q->head + 1) % q->cap;
  q->count--;
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
  size_t n = q->count;
  pthread_mutex_unlock(&q->mu);
  return n;
}
