/*
 * A small pool of worker threads running tasks in submission order (FIFO), the decode pool of the
 * Parquet reader. A task group counts the tasks of one unit of work (a row group): the submitter
 * waits for its group with workers_wait, which runs queued tasks on the calling thread while it
 * waits, so a pool of n slots uses n - 1 threads plus the caller. Each task is told the slot it
 * runs on (0: a caller in workers_wait, 1..n-1: the pool's threads) for per-thread scratch.
 */
#ifndef PRESTIGE_CORE_WORKERS_H
#define PRESTIGE_CORE_WORKERS_H

#include <stdint.h>

typedef struct workers workers_t;

typedef struct workers_group {
  int64_t pending; /* tasks submitted and not finished (guarded by the pool's lock) */
} workers_group_t;

typedef void (*workers_fn)(void *arg, int slot);

/* A pool of `slots` slots (slots - 1 threads; 1 runs everything in workers_wait). NULL on ENOMEM
 * or when a thread cannot be started. */
workers_t *workers_new(int slots);
/* Waits for every submitted task to finish, then stops the threads. */
void workers_free(workers_t *w);
int workers_slots(const workers_t *w);
/* Queues fn(arg, slot) as a task of group g. Returns 0 or PRESTIGE_ENOMEM (the task did not run). */
int workers_submit(workers_t *w, workers_group_t *g, workers_fn fn, void *arg);
/* Returns once every task of g has finished, running queued tasks (of any group) meanwhile. Only
 * one thread may wait at a time (the slot 0 scratch is the waiter's). */
void workers_wait(workers_t *w, workers_group_t *g);

#endif
