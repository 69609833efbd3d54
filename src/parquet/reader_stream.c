/* Parquet reader, stream: zero-copy slices of each row group, with up to `threads` row groups
 * decoding ahead on the reader's pool. */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "arrow/stream.h"
#include "parquet/reader_internal.h"

/* ---- stream: zero-copy slices of each row group ----------------------------------------- */
typedef struct holder {
  struct ArrowArray rg;
  atomic_int refs;
  bufpool_t *bufs;                         /* where the row group's buffers go back to */
  void (*owned_release)(struct ArrowArray *); /* the release of arrays that own their buffers */
} holder_t;

/* Gives the buffers of a (and its children) back to the pool, for the next row groups. Only
 * arrays released by prestige_array_init's release (each buffer malloc'd and its own) are taken. */
static void recycle(bufpool_t *p, struct ArrowArray *a, void (*owned)(struct ArrowArray *)) {
  if (!a || !a->release || a->release != owned) return;
  for (int64_t i = 0; a->buffers && i < a->n_buffers; i++) {
    bufpool_put(p, (void *)a->buffers[i]);
    a->buffers[i] = NULL;
  }
  for (int64_t i = 0; a->children && i < a->n_children; i++) recycle(p, a->children[i], owned);
  recycle(p, a->dictionary, owned);
}

static void holder_unref(holder_t *h) {
  if (atomic_fetch_sub(&h->refs, 1) == 1) {
    if (h->bufs && h->owned_release) recycle(h->bufs, &h->rg, h->owned_release);
    if (h->rg.release) h->rg.release(&h->rg);
    bufpool_unref(h->bufs);
    free(h);
  }
}

static void child_release(struct ArrowArray *a) {
  holder_unref(a->private_data);
  a->release = NULL;
}

static void slice_release(struct ArrowArray *a) {
  for (int64_t i = 0; i < a->n_children; i++) {
    if (a->children[i]->release) a->children[i]->release(a->children[i]);
    free(a->children[i]);
  }
  free(a->children);
  free(a->buffers);
  holder_unref(a->private_data);
  a->release = NULL;
}

static int make_slice(holder_t *h, int64_t start, int64_t len, struct ArrowArray *out) {
  memset(out, 0, sizeof(*out));
  int64_t n = h->rg.n_children;
  out->buffers = calloc(1, sizeof(void *));
  out->children = calloc((size_t)(n ? n : 1), sizeof(struct ArrowArray *));
  if (!out->buffers || !out->children) goto oom;
  for (int64_t i = 0; i < n; i++) {
    out->children[i] = malloc(sizeof(struct ArrowArray));
    if (!out->children[i]) goto oom;
    *out->children[i] = *h->rg.children[i];
    out->children[i]->release = child_release;
    out->children[i]->private_data = h;
    atomic_fetch_add(&h->refs, 1);
    out->n_children = i + 1;
  }
  out->n_children = n;
  out->length = len;
  out->offset = start;
  out->n_buffers = 1;
  out->private_data = h;
  atomic_fetch_add(&h->refs, 1);
  out->release = slice_release;
  return 0;
oom:
  for (int64_t i = 0; out->children && i < out->n_children; i++) {
    holder_unref(h);
    free(out->children[i]);
  }
  free(out->children);
  free(out->buffers);
  return PRESTIGE_ENOMEM;
}

typedef struct rstream {
  prestige_parquet_reader_t *r;
  holder_t *cur;
  int64_t next_row;
  int32_t next_rg;  /* next row group to start */
  rgjob_t **ahead;  /* ring of the row groups started, oldest first */
  int32_t n_ahead, head, window;
  void (*owned_release)(struct ArrowArray *);
} rstream_t;

static int rs_get_schema(void *state, struct ArrowSchema *out, prestige_error_t *err) {
  rstream_t *st = state;
  return prestige_parquet_reader_schema(st->r, out, err);
}

static int rs_get_next(void *state, struct ArrowArray *out, prestige_error_t *err) {
  rstream_t *st = state;
  while (!st->cur || st->next_row >= st->cur->rg.length) {
    if (st->cur) holder_unref(st->cur);
    st->cur = NULL;
    /* keep `window` row groups started: with a pool they decode while this one is handed out */
    while (st->n_ahead < st->window && st->next_rg < st->r->n_rgs) {
      rgjob_t *j;
      PRESTIGE_TRY(rgjob_start(st->r, st->next_rg, &j, err));
      st->next_rg++;
      st->ahead[(st->head + st->n_ahead++) % st->window] = j;
    }
    if (st->n_ahead == 0) return 0;
    rgjob_t *j = st->ahead[st->head];
    st->head = (st->head + 1) % st->window;
    st->n_ahead--;
    holder_t *h = calloc(1, sizeof(*h));
    if (!h) {
      rgjob_discard(j);
      return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
    }
    atomic_init(&h->refs, 1);
    h->bufs = st->r->bufs;
    bufpool_ref(h->bufs); /* batches may outlive the reader */
    h->owned_release = st->owned_release;
    int rc = rgjob_finish(j, &h->rg, err);
    if (rc) {
      bufpool_unref(h->bufs);
      free(h);
      return rc;
    }
    st->cur = h;
    st->next_row = 0;
  }
  int64_t len = st->cur->rg.length - st->next_row;
  if (len > st->r->opts.batch_rows) len = st->r->opts.batch_rows;
  if (make_slice(st->cur, st->next_row, len, out)) return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
  st->next_row += len;
  return 0;
}

static void rs_free(void *state) {
  rstream_t *st = state;
  if (st->cur) holder_unref(st->cur);
  for (; st->n_ahead > 0; st->n_ahead--, st->head = (st->head + 1) % st->window) rgjob_discard(st->ahead[st->head]);
  free(st->ahead);
  prestige_parquet_reader_close(st->r);
  free(st);
}

static const arrow_stream_ops_t reader_stream_ops = {rs_get_schema, rs_get_next, rs_free};

int prestige_parquet_reader_stream(prestige_parquet_reader_t *r, struct ArrowArrayStream *out, prestige_error_t *err) {
  rstream_t *st = calloc(1, sizeof(*st));
  if (st) {
    st->window = r->pool ? r->opts.threads : 1;
    st->ahead = calloc((size_t)st->window, sizeof(rgjob_t *));
    if (!st->ahead) {
      free(st);
      st = NULL;
    }
  }
  if (!st) {
    prestige_parquet_reader_close(r);
    return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
  }
  st->r = r;
  struct ArrowArray probe; /* the release function of arrays that own their buffers */
  if (!prestige_array_init(&probe, 0, 0, NULL)) {
    st->owned_release = probe.release;
    probe.release(&probe);
  }
  return arrow_stream_make(out, &reader_stream_ops, st, err);
}
