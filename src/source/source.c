/* File source: Parquet files (local or objects) as one ArrowArrayStream; see prestige/source.h. */
#include "core/options.h"
#include "prestige/source.h"

#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arrow/stream.h"
#include "core/bufpool.h"
#include "core/queue.h"
#include "parquet/reader_bufpool.h"
#include "prestige/parquet_reader.h"
#include "source/source_internal.h"

#define SRC_QUEUE_BATCHES 4
/* Decoded buffers kept between files: every reader of the source decodes into one pool, so file
 * N+1 reuses the blocks file N's batches gave back instead of faulting fresh pages in (a file's
 * own pool dies with it). As a Parquet reader's own pool. */
#define SRC_POOL_BYTES ((size_t)256 << 20)
/* Files opened ahead of the decoding workers (footer read, and for a small object its bytes): an
 * opener thread overlaps the next files' requests with the decoding of the current ones, so a
 * decoding thread does not wait for a round trip at each file. */
#define SRC_OPEN_AHEAD 2
/* Unordered: files decoded at once, at most the cores. Each decodes a row group into buffers far
 * larger than the caches, so more decoding threads than cores only evict each other's buffers
 * (perf: the same work took 30% more CPU with 4 than with 2 on 2 cores). The other files in
 * flight are opened (fetched) ahead instead. */
static int decoding_threads(const prestige_source_options_t *o) {
  if (!o->unordered) return o->read_ahead;
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  return cores >= 1 && o->concurrency > cores ? (int)cores : o->concurrency;
}
/* Objects up to this size are read with the footer read, one GET (holes up to 1 MiB are fetched
 * anyway when column chunks are coalesced). */
#define SRC_WHOLE_OBJECT ((uint64_t)1 << 20)

enum { OPEN_NONE, OPEN_BUSY, OPEN_DONE };

typedef struct item {
  struct ArrowArray batch;
  int file;
  bool end;   /* the file is finished (after its batches, or after its error) */
  int rc;     /* error of the file */
  prestige_error_t err;
} item_t;

/* A file whose end item could not be allocated pushes this instead (the queues hold pointers and
 * never allocate), so the reader gets ENOMEM rather than waiting forever for the file's end. */
static item_t end_oom = {.end = true, .rc = PRESTIGE_ENOMEM};
static void item_free(item_t *it) {
  if (it == &end_oom) return;
  if (it->batch.release) it->batch.release(&it->batch);
  free(it);
}

typedef struct src_file {
  char *name;
  uint64_t size;
  queue_t *q; /* ordered: this file's batches */
  int open_state;                    /* OPEN_*: who opens the file (under mu) */
  prestige_parquet_reader_t *opened; /* OPEN_DONE: the reader, or NULL with open_rc/open_err */
  int open_rc;
  prestige_error_t open_err;
} src_file_t;

typedef struct src {
  prestige_source_options_t o;
  char **cols;
  prestige_store_t *store; /* NULL: local paths */
  src_file_t *files;
  size_t n;
  struct ArrowSchema schema;
  bufpool_t *bufs; /* shared by every reader (batches hold their own references) */
  queue_t *shared; /* unordered */
  pthread_t th[64];
  int nth;
  pthread_t opener;
  bool has_opener;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  size_t next_file, cur, finished;
  size_t next_open; /* the opener's next file */
  size_t open_ahead; /* files the opener keeps open beyond the next one a worker takes */
  bool cancel;
} src_t;

void prestige_source_options_init(prestige_source_options_t *o) {
  if (o) *o = (prestige_source_options_t)PRESTIGE_SOURCE_OPTIONS_INIT;
}

static int validate_source_options(const prestige_source_options_t *o, prestige_error_t *err) {
#define BAD(field, why, v) \
  return prestige_error_set(err, PRESTIGE_EINVAL, "source option %s %s (got %lld)", field, why, (long long)(v))
  if (o->version != 1) PRESTIGE_TRY(OPTIONS_CHECK_VERSION(o, PRESTIGE_SOURCE_OPTIONS, "prestige_source_options_t", err));
  if (o->batch_rows < 0) BAD("batch_rows", "must not be negative (0: the reader's default)", o->batch_rows);
  if (o->n_columns < 0 || (o->n_columns && !o->columns)) BAD("columns", "count and pointer disagree", o->n_columns);
  for (int64_t i = 0; i < o->n_columns; i++)
    if (!o->columns[i]) BAD("columns[]", "holds a NULL name at index", i);
  if (o->read_ahead < 1) BAD("read_ahead", "must be at least 1", o->read_ahead);
  if (o->concurrency < 1) BAD("concurrency", "must be at least 1", o->concurrency);
  if (o->version >= 2 && (o->threads < 1 || o->threads > PRESTIGE_PARQUET_READER_MAX_THREADS))
    BAD("threads", "must be 1..256", o->threads);
  return 0;
#undef BAD
}

static int open_reader(src_t *s, size_t f, int threads, prestige_parquet_reader_t **r, prestige_error_t *err) {
  prestige_input_t in;
  int rc = s->store ? prestige_store_open_input(s->store, s->files[f].name, s->files[f].size, &in, err)
                    : prestige_input_open_file(&in, s->files[f].name, err);
  if (rc) return rc;
  prestige_parquet_reader_options_t ro;
  prestige_parquet_reader_options_init(&ro);
  if (s->o.batch_rows > 0) ro.batch_rows = s->o.batch_rows;
  ro.columns = (const char *const *)s->cols;
  ro.n_columns = s->o.n_columns;
  ro.filter = s->o.filter;
  ro.threads = threads;
  if (s->store && s->files[f].size > 0 && s->files[f].size <= SRC_WHOLE_OBJECT) ro.footer_prefetch = (int64_t)s->files[f].size;
  PRESTIGE_TRY(prestige_parquet_reader_open(r, &in, &ro, err));
  pq_reader_share_bufpool(*r, s->bufs);
  return 0;
}

static bool same_schema(const struct ArrowSchema *a, const struct ArrowSchema *b) {
  if (strcmp(a->format, b->format) != 0 || a->n_children != b->n_children) return false;
  if ((a->name == NULL) != (b->name == NULL) || (a->name && strcmp(a->name, b->name) != 0)) return false;
  for (int64_t i = 0; i < a->n_children; i++)
    if (!same_schema(a->children[i], b->children[i])) return false;
  return true;
}

static queue_t *queue_of(src_t *s, size_t f) { return s->o.unordered ? s->shared : s->files[f].q; }

static void push(src_t *s, size_t f, item_t *it) {
  if (queue_push(queue_of(s, f), it, -1) != 0) item_free(it); /* cancelled */
}

/* The reader of file f: the opener's, waiting for it while it opens the file, or opened here when
 * the opener has not claimed the file yet. */
static int take_reader(src_t *s, size_t f, prestige_parquet_reader_t **r, prestige_error_t *err) {
  src_file_t *sf = &s->files[f];
  pthread_mutex_lock(&s->mu);
  while (sf->open_state == OPEN_BUSY && !s->cancel) pthread_cond_wait(&s->cv, &s->mu);
  int state = sf->open_state;
  if (state == OPEN_NONE) sf->open_state = OPEN_DONE; /* claimed: the opener skips it */
  bool cancel = s->cancel;
  pthread_mutex_unlock(&s->mu);
  if (state == OPEN_NONE) return open_reader(s, f, s->o.threads, r, err);
  if (state == OPEN_BUSY || cancel) return prestige_error_set(err, PRESTIGE_ECANCELED, "cancelled");
  *r = sf->opened; /* OPEN_DONE by the opener; no one else takes file f */
  sf->opened = NULL;
  if (sf->open_rc) prestige_error_set(err, sf->open_rc, "%s", sf->open_err.message);
  return sf->open_rc;
}

/* Opens the files the workers will take next, up to open_ahead of them. */
static void *opener(void *arg) {
  src_t *s = arg;
  pthread_mutex_lock(&s->mu);
  for (;;) {
    while (!s->cancel && s->next_open < s->n && s->next_open >= s->next_file + s->open_ahead) pthread_cond_wait(&s->cv, &s->mu);
    if (s->cancel || s->next_open >= s->n) break;
    size_t f = s->next_open++;
    src_file_t *sf = &s->files[f];
    if (sf->open_state != OPEN_NONE) continue; /* a worker got there first */
    sf->open_state = OPEN_BUSY;
    pthread_mutex_unlock(&s->mu);
    prestige_parquet_reader_t *r = NULL;
    prestige_error_t e;
    int rc = open_reader(s, f, s->o.threads, &r, &e);
    pthread_mutex_lock(&s->mu);
    sf->opened = rc ? NULL : r;
    sf->open_rc = rc;
    if (rc) sf->open_err = e;
    sf->open_state = OPEN_DONE;
    pthread_cond_broadcast(&s->cv);
  }
  pthread_mutex_unlock(&s->mu);
  return NULL;
}

/* Reads one file into its queue; the last item is always an end marker (with the error, if any). */
static void read_file(src_t *s, size_t f) {
  item_t *end = calloc(1, sizeof *end);
  if (!end) {
    push(s, f, &end_oom);
    return;
  }
  end->file = (int)f;
  end->end = true;
  prestige_parquet_reader_t *r = NULL;
  struct ArrowArrayStream st;
  memset(&st, 0, sizeof st);
  int rc = take_reader(s, f, &r, &end->err);
  if (!rc) {
    struct ArrowSchema sc;
    rc = prestige_parquet_reader_schema(r, &sc, &end->err);
    if (!rc) {
      if (!same_schema(&sc, &s->schema))
        rc = prestige_error_set(&end->err, PRESTIGE_ETYPE, "its schema differs from the first file's (%s)", s->files[0].name);
      sc.release(&sc);
    }
    if (!rc) {
      rc = prestige_parquet_reader_stream(r, &st, &end->err);
      r = NULL; /* owned by the stream now */
    }
  }
  while (!rc) {
    pthread_mutex_lock(&s->mu);
    bool cancel = s->cancel;
    pthread_mutex_unlock(&s->mu);
    if (cancel) break;
    item_t *it = calloc(1, sizeof *it);
    if (!it) {
      rc = prestige_error_set(&end->err, PRESTIGE_ENOMEM, "out of memory");
      break;
    }
    it->file = (int)f;
    int src = st.get_next(&st, &it->batch);
    if (src) {
      rc = arrow_stream_fail(&st, src, NULL, &end->err);
      free(it);
      break;
    }
    if (!it->batch.release) {
      free(it);
      break;
    }
    push(s, f, it);
  }
  if (r) prestige_parquet_reader_close(r);
  if (st.release) st.release(&st);
  if (rc) {
    end->rc = rc;
    if (!strstr(end->err.message, s->files[f].name)) prestige_error_prefix(&end->err, "%s", s->files[f].name);
  }
  push(s, f, end);
}

static void *worker(void *arg) {
  src_t *s = arg;
  for (;;) {
    pthread_mutex_lock(&s->mu);
    while (!s->cancel && !s->o.unordered && s->next_file < s->n && s->next_file >= s->cur + (size_t)s->o.read_ahead)
      pthread_cond_wait(&s->cv, &s->mu);
    if (s->cancel || s->next_file >= s->n) {
      pthread_mutex_unlock(&s->mu);
      return NULL;
    }
    size_t f = s->next_file++;
    pthread_cond_broadcast(&s->cv); /* the opener may open one more */
    pthread_mutex_unlock(&s->mu);
    read_file(s, f);
  }
}

/* ---- the stream ------------------------------------------------------------------------------------ */

static int s_get_schema(void *state, struct ArrowSchema *out, prestige_error_t *err) {
  src_t *s = state;
  return prestige_schema_copy(out, &s->schema, err);
}

static int fail_item(item_t *it, prestige_error_t *err) {
  int code = prestige_error_set(err, it->rc, "%s", it->err.message);
  free(it);
  return code;
}

static int s_get_next(void *state, struct ArrowArray *out, prestige_error_t *err) {
  src_t *s = state;
  for (;;) {
    void *p;
    if (s->o.unordered) {
      if (s->finished == s->n) return 0;
      if (queue_pop(s->shared, &p, -1) != 0) return 0;
    } else {
      if (s->cur >= s->n) return 0;
      if (queue_pop(s->files[s->cur].q, &p, -1) != 0) return 0;
    }
    item_t *it = p;
    if (!it->end) {
      *out = it->batch;
      free(it);
      return 0;
    }
    const char *oom_name = it != &end_oom ? NULL : s->o.unordered ? "a file" : s->files[s->cur].name;
    pthread_mutex_lock(&s->mu);
    if (s->o.unordered) s->finished = oom_name ? s->n : s->finished + 1;
    else s->cur = oom_name ? s->n : s->cur + 1; /* out of memory is not the file's fault: the stream ends */
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
    if (oom_name) return prestige_error_set(err, PRESTIGE_ENOMEM, "%s: out of memory", oom_name);
    if (it->rc) {
      /* out of memory is not the file's fault: skip_errors does not skip it (the file's rows would
       * be missing from a stream that ends well) */
      if (!s->o.skip_errors || it->rc == PRESTIGE_ENOMEM) return fail_item(it, err);
      if (s->o.on_file_error) s->o.on_file_error(s->o.user_data, s->files[it->file].name, &it->err);
    }
    free(it);
  }
}

static void drain(queue_t *q) {
  void *p;
  while (q && queue_pop(q, &p, 0) == 0) item_free(p);
}

static void src_free(src_t *s) {
  pthread_mutex_lock(&s->mu);
  s->cancel = true;
  pthread_cond_broadcast(&s->cv);
  pthread_mutex_unlock(&s->mu);
  if (s->shared) queue_close(s->shared);
  for (size_t i = 0; i < s->n; i++)
    if (s->files[i].q) queue_close(s->files[i].q);
  for (int i = 0; i < s->nth; i++) pthread_join(s->th[i], NULL);
  if (s->has_opener) pthread_join(s->opener, NULL);
  drain(s->shared);
  if (s->shared) queue_free(s->shared);
  for (size_t i = 0; i < s->n; i++) {
    drain(s->files[i].q);
    if (s->files[i].q) queue_free(s->files[i].q);
    if (s->files[i].opened) prestige_parquet_reader_close(s->files[i].opened);
    free(s->files[i].name);
  }
  free(s->files);
  for (int64_t i = 0; s->cols && i < s->o.n_columns; i++) free(s->cols[i]);
  free(s->cols);
  if (s->schema.release) s->schema.release(&s->schema);
  bufpool_unref(s->bufs);
  pthread_mutex_destroy(&s->mu);
  pthread_cond_destroy(&s->cv);
  free(s);
}

static void s_free(void *state) { src_free(state); }

static const arrow_stream_ops_t source_stream_ops = {s_get_schema, s_get_next, s_free};

size_t source_bufpool_reused(struct ArrowArrayStream *st) {
  if (!st || !st->release) return 0;
  src_t *s = arrow_stream_state(st, &source_stream_ops);
  return s ? bufpool_reused(s->bufs) : 0;
}

int source_decoding_threads(struct ArrowArrayStream *st) {
  if (!st || !st->release) return 0;
  src_t *s = arrow_stream_state(st, &source_stream_ops);
  return s ? s->nth : 0;
}

static int open_source(struct ArrowArrayStream *out, prestige_store_t *store, const char *const *names, const uint64_t *sizes,
                       size_t n, const prestige_source_options_t *o, prestige_error_t *err) {
  if (!out) return prestige_error_set(err, PRESTIGE_EINVAL, "file source: out is NULL");
  memset(out, 0, sizeof *out);
  if (n && !names) return prestige_error_set(err, PRESTIGE_EINVAL, "file source: %zu files but no list", n);
  for (size_t i = 0; i < n; i++)
    if (!names[i]) return prestige_error_set(err, PRESTIGE_EINVAL, "file source: file %zu is NULL", i);
  if (o) PRESTIGE_TRY(validate_source_options(o, err));
  src_t *s = calloc(1, sizeof *s);
  if (!s) return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
  pthread_mutex_init(&s->mu, NULL);
  pthread_cond_init(&s->cv, NULL);
  prestige_source_options_init(&s->o);
  if (o && o->version == 1) { /* a version 1 struct ends before threads */
    memcpy(&s->o, o, offsetof(prestige_source_options_t, threads));
    s->o.version = PRESTIGE_SOURCE_OPTIONS_VERSION;
  } else if (o) {
    s->o = *o;
  }
  s->store = store;
  s->files = calloc(n ? n : 1, sizeof *s->files);
  s->n = s->files ? n : 0; /* src_free walks s->n files */
  s->bufs = bufpool_new(SRC_POOL_BYTES);
  int rc = s->files && s->bufs ? 0 : prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
  if (!rc && s->o.columns && s->o.n_columns > 0) {
    s->cols = calloc((size_t)s->o.n_columns, sizeof *s->cols);
    bool ok = s->cols != NULL;
    for (int64_t i = 0; ok && i < s->o.n_columns; i++) ok = (s->cols[i] = strdup(s->o.columns[i])) != NULL;
    if (!ok) rc = prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
  } else {
    s->o.n_columns = 0;
  }
  for (size_t i = 0; !rc && i < n; i++) {
    s->files[i].name = strdup(names[i]);
    s->files[i].size = sizes ? sizes[i] : 0;
    if (!s->o.unordered) s->files[i].q = queue_new(SRC_QUEUE_BATCHES);
    if (!s->files[i].name || (!s->o.unordered && !s->files[i].q)) rc = prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
  }
  if (!rc && s->o.unordered && !(s->shared = queue_new((size_t)s->o.concurrency * 2)))
    rc = prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
  /* the schema: the first file's (an empty list yields an empty struct) */
  if (!rc && n > 0) {
    prestige_parquet_reader_t *r;
    rc = open_reader(s, 0, s->o.threads, &r, err);
    if (!rc) {
      rc = prestige_parquet_reader_schema(r, &s->schema, err);
      if (rc) prestige_parquet_reader_close(r);
      else { /* file 0's worker reads with this reader: its footer is not fetched twice */
        s->files[0].opened = r;
        s->files[0].open_state = OPEN_DONE;
      }
    }
    if (rc && !strstr(err ? err->message : "", names[0])) prestige_error_prefix(err, "%s", names[0]);
  } else if (!rc) {
    rc = prestige_schema_init(&s->schema, "+s", NULL, 0, err);
  }
  int want = decoding_threads(&s->o);
  if (want > 64) want = 64;
  /* unordered: the files in flight are `concurrency`, decoding or opened ahead */
  s->open_ahead = SRC_OPEN_AHEAD;
  if (s->o.unordered && s->o.concurrency - want > SRC_OPEN_AHEAD) s->open_ahead = (size_t)(s->o.concurrency - want);
  if ((size_t)want > n) want = (int)n;
  for (int i = 0; !rc && i < want; i++) {
    if (pthread_create(&s->th[s->nth], NULL, worker, s) != 0) break;
    s->nth++;
  }
  if (!rc && n > 0 && s->nth == 0) rc = prestige_error_set(err, PRESTIGE_EINTERNAL, "cannot start source threads");
  if (!rc && n > 1 && pthread_create(&s->opener, NULL, opener, s) == 0) s->has_opener = true; /* else workers open */
  if (rc) {
    src_free(s);
    return rc;
  }
  return arrow_stream_make(out, &source_stream_ops, s, err);
}

int prestige_source(struct ArrowArrayStream *out, const char *const *paths, size_t n, const prestige_source_options_t *o,
                    prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  return open_source(out, NULL, paths, NULL, n, o, err);
}

int prestige_source_s3_files(struct ArrowArrayStream *out, prestige_store_t *store, const prestige_file_meta_t *files,
                             size_t n, const prestige_source_options_t *o, prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  const char **names = calloc(n ? n : 1, sizeof *names);
  uint64_t *sizes = calloc(n ? n : 1, sizeof *sizes);
  int rc = names && sizes ? 0 : prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
  for (size_t i = 0; !rc && i < n; i++) {
    names[i] = files[i].key;
    sizes[i] = files[i].size;
  }
  if (!rc) rc = open_source(out, store, names, sizes, n, o, err);
  free(names);
  free(sizes);
  return rc;
}
