/*
 * A producer's staging area for typed records (the ParquetSink's and the IcebergSink's clients):
 * records are copied in (strings checked as UTF-8 and copied to the stage's arena) until the
 * stage holds its capacity, then handed on as one Arrow batch through a callback.
 *
 *   records_stage_t st;
 *   records_stage_init(&st, desc, 8192, "sink", "events");
 *   records_stage_add(&st, recs, n, push, sink, &err);  // push(sink, &batch, err) takes each full batch
 *   records_stage_flush(&st, push, sink, &err);         // what is left
 *   records_stage_release(&st);
 *
 * Not thread-safe: a client serialises its calls.
 */
#ifndef PRESTIGE_RECORDS_STAGE_H
#define PRESTIGE_RECORDS_STAGE_H

#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "prestige/records.h"

/* Takes the batch (moved in, also on failure). */
typedef int (*records_stage_push_fn)(void *user, struct ArrowArray *batch, prestige_error_t *err);

typedef struct records_stage {
  const prestige_record_desc_t *desc;
  const char *kind, *name; /* "sink", "events": prefix the errors (not owned; they outlive the stage) */
  uint8_t *rows;
  size_t n, cap;
  arena_t arena;
} records_stage_t;

/* PRESTIGE_ENOMEM when the stage's rows cannot be allocated. */
/* A stage without a record type (desc NULL) holds nothing: flush does nothing, add refuses. */
int records_stage_init(records_stage_t *st, const prestige_record_desc_t *desc, size_t cap, const char *kind,
                       const char *name);
void records_stage_release(records_stage_t *st);
/* Copies n records in, pushing a batch each time the stage fills. On a record whose strings are
 * not UTF-8 it stops there (the records before it were taken) with an error naming its index. */
int records_stage_add(records_stage_t *st, const void *records, size_t n, records_stage_push_fn push, void *user,
                      prestige_error_t *err);
/* An Arrow batch from the same producer: checked against schema, pushed after what the stage
 * holds (so a producer's rows keep their order). Takes the batch (released on every path). */
int records_stage_write_batch(records_stage_t *st, const struct ArrowSchema *schema, struct ArrowArray *batch,
                              records_stage_push_fn push, void *user, prestige_error_t *err);
/* Pushes what the stage holds (nothing to do when empty). */
int records_stage_flush(records_stage_t *st, records_stage_push_fn push, void *user, prestige_error_t *err);

#endif
