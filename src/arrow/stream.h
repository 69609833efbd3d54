/*
 * One ArrowArrayStream wiring for every stream the library produces (batches, records, Parquet
 * reader, file source, Iceberg scan) and one reading of a failed stream callback.
 *
 * A producer supplies its state and three functions that return PRESTIGE_E* codes with a
 * prestige_error_t; arrow_stream_make wires get_schema / get_next / get_last_error / release,
 * maps the codes to errno values (the C stream interface's contract) and keeps the message for
 * get_last_error. Consumers turn a callback's errno back into a code with arrow_stream_code, or
 * set a whole error with arrow_stream_fail.
 */
#ifndef PRESTIGE_ARROW_STREAM_H
#define PRESTIGE_ARROW_STREAM_H

#include "prestige/arrow.h"
#include "prestige/error.h"

typedef struct arrow_stream_ops {
  /* The stream's schema into out; 0 or a code with err set. */
  int (*get_schema)(void *state, struct ArrowSchema *out, prestige_error_t *err);
  /* The next batch into out (zeroed before the call); at the end leave out->release NULL and
   * return 0. A code with err set on failure. */
  int (*get_next)(void *state, struct ArrowArray *out, prestige_error_t *err);
  /* Frees state (the stream is released, or arrow_stream_make failed). */
  void (*free)(void *state);
} arrow_stream_ops_t;

/* Makes out a stream over state, which it owns from now on: on failure (ENOMEM) state is freed
 * with ops->free and out is left released. ops must outlive the stream (a static). */
int arrow_stream_make(struct ArrowArrayStream *out, const arrow_stream_ops_t *ops, void *state, prestige_error_t *err);

/* The state of a live stream st made by arrow_stream_make with ops; NULL when st is released or
 * is not such a stream (for a producer's internal hooks and tests). */
void *arrow_stream_state(struct ArrowArrayStream *st, const arrow_stream_ops_t *ops);

/* The errno a stream callback returns for a PRESTIGE_E* code (ENOMEM, EINVAL, ENOENT, EIO,
 * EBADMSG for ECORRUPT, ...), and back: the code for such an errno (an unknown one is EIO). */
int arrow_stream_errno(int code);
int arrow_stream_code(int errnum);

/* After a callback of st returned errnum (non-zero): sets err to the matching code with
 * st's last error message (or "what failed" when it has none), prefixed by what when not NULL. */
int arrow_stream_fail(struct ArrowArrayStream *st, int errnum, const char *what, prestige_error_t *err);

#endif
