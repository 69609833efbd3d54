/*
 * A ring of pointers (no locking: the owner's lock guards it), and on top of it a bounded
 * multi-producer multi-consumer queue of pointers, the backpressure primitive of
 * sinks, uploaders, pollers and read-ahead. push blocks while full, pop blocks while empty;
 * close wakes everyone: after close, push fails with ESHUTDOWN and pop drains what is left
 * and then returns ESHUTDOWN.
 */
#ifndef PRESTIGE_CORE_QUEUE_H
#define PRESTIGE_CORE_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- ring: fixed capacity, first in first out ---------------------------------------------- */
typedef struct ring {
  void **items;
  size_t cap, head, count;
} ring_t;

int ring_init(ring_t *r, size_t capacity); /* PRESTIGE_ENOMEM, or PRESTIGE_EINVAL for capacity 0 */
void ring_release(ring_t *r);              /* items left inside are not freed */
static inline bool ring_full(const ring_t *r) { return r->count == r->cap; }
/* The item i places from the front (i < count). */
static inline void *ring_at(const ring_t *r, size_t i) { return r->items[(r->head + i) % r->cap]; }
/* Callers check ring_full / count first. */
static inline void ring_push(ring_t *r, void *item) { r->items[(r->head + r->count++) % r->cap] = item; }
static inline void *ring_pop(ring_t *r) {
  void *it = r->items[r->head];
  r->head = (r->head + 1) % r->cap;
  r->count--;
  return it;
}

/* ---- blocking queue ------------------------------------------------------------------------ */
typedef struct queue queue_t;

queue_t *queue_new(size_t capacity);          /* NULL on ENOMEM or capacity 0 */
void queue_free(queue_t *q);                  /* items left inside are not freed */
/* timeout_ms < 0 waits forever. Returns 0, PRESTIGE_ESHUTDOWN (closed) or PRESTIGE_ETIMEOUT. */
int queue_push(queue_t *q, void *item, int64_t timeout_ms);
int queue_pop(queue_t *q, void **item, int64_t timeout_ms);
void queue_close(queue_t *q);
bool queue_closed(queue_t *q);
size_t queue_size(queue_t *q);

#endif
