/*
 * The streaming loop of `sink` and `iceberg sink`: batches of text input are taken as lines
 * arrive (a pipe that stays open is fine), each handed to a write callback, until the input ends,
 * a signal comes (SIGINT/SIGTERM: the verb then makes its final commit), or a callback fails.
 *
 *   cli_batch_loop_t l = {.every = commit_every, .write = write_cb, .point = commit_cb, .idle = idle_cb, .ctx = c};
 *   rc = cli_batch_loop(reader, &l, &err);   // l.stopped: a signal ended it
 *
 * A batch never straddles a multiple of `every` rows (0: no such points), so that `point` runs
 * exactly there. The wait for input is short (200 ms), so `idle` runs, and a signal is seen,
 * within a fraction of a second while the input is quiet.
 */
#ifndef PRESTIGE_CLI_BATCH_LOOP_H
#define PRESTIGE_CLI_BATCH_LOOP_H

#include <stdbool.h>
#include <stdint.h>

#include "prestige/text.h"

typedef struct cli_batch_loop {
  int64_t every;                                                            /* rows between points; 0: none */
  int (*write)(void *ctx, struct ArrowArray *batch, prestige_error_t *err); /* takes the batch (moved) */
  int (*point)(void *ctx, prestige_error_t *err);                           /* at every `every` rows; may be NULL */
  int (*after)(void *ctx, prestige_error_t *err); /* after a write that reached no point, and when idle; may be NULL */
  void *ctx;
  bool stopped; /* out: a signal ended the loop */
} cli_batch_loop_t;

/* 0 at the end of the input or on a signal; else the failing call's code (err set). */
int cli_batch_loop(prestige_text_reader_t *r, cli_batch_loop_t *l, prestige_error_t *err);

#endif
