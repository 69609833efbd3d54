/* The one ArrowArrayStream wiring (arrow/stream.h): codes to errno values and back, messages
 * through get_last_error, the state freed on release, and a consumer's error. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "arrow/stream.h"
#include "test.h"

typedef struct counter {
  int next, n, fail_at, fail_code;
  int *freed;
} counter_t;

static int c_schema(void *state, struct ArrowSchema *out, prestige_error_t *err) {
  counter_t *c = state;
  if (c->fail_at == -1) return prestige_error_set(err, c->fail_code, "no schema for you");
  return prestige_schema_init(out, "+s", "", 0, err);
}

static int c_next(void *state, struct ArrowArray *out, prestige_error_t *err) {
  counter_t *c = state;
  if (c->next == c->fail_at) return prestige_error_set(err, c->fail_code, "batch %d is corrupt", c->next);
  if (c->next >= c->n) return 0;
  c->next++;
  PRESTIGE_TRY(prestige_array_init(out, 0, 0, err));
  out->length = c->next;
  return 0;
}

static void c_free(void *state) {
  counter_t *c = state;
  (*c->freed)++;
  free(c);
}

static const arrow_stream_ops_t counter_ops = {c_schema, c_next, c_free};

static int make(struct ArrowArrayStream *st, int n, int fail_at, int code, int *freed) {
  counter_t *c = calloc(1, sizeof(*c));
  c->n = n, c->fail_at = fail_at, c->fail_code = code, c->freed = freed;
  prestige_error_t err;
  return arrow_stream_make(st, &counter_ops, c, &err);
}

TEST(errno_mapping) {
  /* every code has its own errno and comes back as itself */
  for (int code = PRESTIGE_EINVAL; code <= PRESTIGE_EBUSY; code++) {
    int e = arrow_stream_errno(code);
    CHECK_MSG(e > 0, "code %d maps to errno %d", code, e);
    CHECK_MSG(arrow_stream_code(e) == code, "code %d -> errno %d -> code %d", code, e, arrow_stream_code(e));
    for (int other = PRESTIGE_EINVAL; other < code; other++) CHECK(arrow_stream_errno(other) != e);
  }
  CHECK_EQ_INT(arrow_stream_errno(0), 0);
  CHECK_EQ_INT(arrow_stream_code(0), 0);
  CHECK_EQ_INT(arrow_stream_errno(PRESTIGE_ENOMEM), ENOMEM);
  CHECK_EQ_INT(arrow_stream_errno(PRESTIGE_EIO), EIO);
  CHECK_EQ_INT(arrow_stream_errno(PRESTIGE_EINVAL), EINVAL);
  CHECK_EQ_INT(arrow_stream_errno(PRESTIGE_EBUSY), EBUSY);
  CHECK_EQ_INT(arrow_stream_errno(PRESTIGE_EBUSY + 1), EIO); /* a code this build does not know */
  CHECK_EQ_INT(arrow_stream_code(EPIPE), PRESTIGE_EIO); /* unknown errno values read as I/O errors */
}

TEST(stream_reads_and_frees) {
  prestige_error_t err;
  prestige_error_init(&err);
  int freed = 0;
  struct ArrowArrayStream st;
  CHECK_OK(make(&st, 3, 99, 0, &freed));
  struct ArrowSchema s;
  CHECK_EQ_INT(st.get_schema(&st, &s), 0);
  CHECK_EQ_STR(s.format, "+s");
  s.release(&s);
  int64_t total = 0, batches = 0;
  for (;;) {
    struct ArrowArray a;
    CHECK_EQ_INT(st.get_next(&st, &a), 0);
    if (!a.release) break;
    total += a.length, batches++;
    a.release(&a);
  }
  CHECK_EQ_INT(batches, 3);
  CHECK_EQ_INT(total, 6);
  CHECK_EQ_STR(st.get_last_error(&st), "");
  CHECK_EQ_INT(freed, 0);
  st.release(&st);
  CHECK(st.release == NULL);
  CHECK_EQ_INT(freed, 1);
}

TEST(stream_errors) {
  prestige_error_t err;
  prestige_error_init(&err);
  int freed = 0;
  struct ArrowArrayStream st;
  CHECK_OK(make(&st, 5, 2, PRESTIGE_ECORRUPT, &freed));
  struct ArrowArray a;
  for (int i = 0; i < 2; i++) {
    CHECK_EQ_INT(st.get_next(&st, &a), 0);
    CHECK(a.release != NULL);
    a.release(&a);
  }
  int e = st.get_next(&st, &a);
  CHECK_EQ_INT(e, EBADMSG);
  CHECK(a.release == NULL);
  CHECK_EQ_STR(st.get_last_error(&st), "batch 2 is corrupt");
  CHECK_ERR(arrow_stream_fail(&st, e, "reading t.parquet", &err), PRESTIGE_ECORRUPT, "reading t.parquet: batch 2 is corrupt");
  st.release(&st);
  CHECK_EQ_INT(freed, 1);

  CHECK_OK(make(&st, 1, -1, PRESTIGE_ENOMEM, &freed));
  struct ArrowSchema s;
  CHECK_EQ_INT(st.get_schema(&st, &s), ENOMEM);
  CHECK_ERR(arrow_stream_fail(&st, ENOMEM, NULL, &err), PRESTIGE_ENOMEM, "no schema for you");
  st.release(&st);
  CHECK_EQ_INT(freed, 2);
  /* a foreign stream without a message */
  CHECK_ERR(arrow_stream_fail(NULL, EACCES, "input", &err), PRESTIGE_EAUTH, "input: stream read failed");
}

/* The library's own streams go through it: a batch stream ends cleanly and reports no error. */
TEST(batch_stream) {
  prestige_error_t err;
  struct ArrowSchema s;
  CHECK_OK(prestige_schema_init(&s, "+s", "", 0, &err));
  struct ArrowArray b[2];
  for (int i = 0; i < 2; i++) {
    CHECK_OK(prestige_array_init(&b[i], 0, 0, &err));
    b[i].length = 10 + i;
  }
  struct ArrowArrayStream st;
  CHECK_OK(prestige_array_stream_from_batches(&st, &s, b, 2, &err));
  struct ArrowArray a;
  CHECK_EQ_INT(st.get_next(&st, &a), 0);
  CHECK_EQ_INT(a.length, 10);
  a.release(&a);
  st.release(&st); /* the second batch is released with the stream */
}

TEST_MAIN(RUN(errno_mapping); RUN(stream_reads_and_frees); RUN(stream_errors); RUN(batch_stream);)
