/*
 * Bounded multi-producer multi-consumer queue of pointers, the backpressure primitive of
 * sinks, uploaders, pollers and read-ahead. push blocks while full, pop blocks while empty;
 * close wakes everyone: after close, push fails with ESHUTDOWN and pop drains what is left
 * and then returns ESHUTDOWN.
 */
#ifndef PRESTIGE_CORE_QUEUE_H
#define PRESTIGE_CORE_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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
