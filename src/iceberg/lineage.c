/* V3 row lineage: reading _row_id / _last_updated_sequence_number with inheritance, and writing
 * them explicitly from rewrites (see lineage.h). */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arrow/child_move.h"
#include "arrow/field_id.h"
#include "arrow/stream.h"
#include "core/queue.h"
#include "iceberg/append_internal.h"
#include "iceberg/lineage.h"
#include "prestige/parquet_reader.h"

static int oom(prestige_error_t *err) { return prestige_error_set(err, PRESTIGE_ENOMEM, "row lineage: out of memory"); }

static int long_field(struct ArrowSchema *c, const char *name, int32_t id, prestige_error_t *err) {
  PRESTIGE_TRY(prestige_schema_init(c, "l", name, ARROW_FLAG_NULLABLE, err));
  char b[16];
  snprintf(b, sizeof b, "%d", id);
  prestige_kv_t kv = {"PARQUET:field_id", b, -1};
  return prestige_schema_set_metadata(c, &kv, 1, err);
}

int ice_lineage_schema(const struct ArrowSchema *base, struct ArrowSchema *out, prestige_error_t *err) {
  memset(out, 0, sizeof(*out));
  int rc = prestige_schema_init(out, "+s", base->name ? base->name : "", base->flags, err);
  if (!rc) rc = prestige_schema_allocate_children(out, base->n_children + 2, err);
  for (int64_t i = 0; !rc && i < base->n_children; i++) rc = prestige_schema_copy(out->children[i], base->children[i], err);
  if (!rc) rc = long_field(out->children[base->n_children], ICE_ROW_ID_NAME, ICE_ROW_ID_FIELD_ID, err);
  if (!rc) rc = long_field(out->children[base->n_children + 1], ICE_LAST_UPDATED_SEQ_NAME, ICE_LAST_UPDATED_SEQ_FIELD_ID, err);
  if (rc && out->release) out->release(out);
  return rc;
}

/* ---- explicit values of a data file ------------------------------------------------------------- */
typedef struct explicit_col {
  int64_t *v;     /* by position */
  uint8_t *valid; /* bitmap by position */
} explicit_col_t;

typedef struct lineage_read {
  ice_task_batch_fn fn;
  void *user;
  const ice_data_file_t *file;
  int64_t data_seq;
  explicit_col_t col[2]; /* _row_id, _last_updated_sequence_number (v NULL: absent) */
  int64_t n_rows;
} lineage_read_t;

static void explicit_release(lineage_read_t *l) {
  for (int k = 0; k < 2; k++) free(l->col[k].v), free(l->col[k].valid);
}

/* Loads the lineage columns the data file holds (by field id), if any. */
static int load_explicit(ice_io_t *io, lineage_read_t *l, prestige_error_t *err) {
  const ice_data_file_t *f = l->file;
  prestige_input_t in;
  PRESTIGE_TRY(ice_io_open_input(io, f->file_path, (uint64_t)f->file_size_in_bytes, &in, err));
  prestige_parquet_reader_t *r;
  PRESTIGE_TRY(prestige_parquet_reader_open(&r, &in, NULL, err));
  struct ArrowSchema sc;
  int rc = prestige_parquet_reader_schema(r, &sc, err);
  const char *names[2];
  int which[2];
  size_t n = 0;
  for (int64_t k = 0; !rc && k < sc.n_children; k++) {
    int32_t id = arrow_field_id(sc.children[k]);
    if (id != ICE_ROW_ID_FIELD_ID && id != ICE_LAST_UPDATED_SEQ_FIELD_ID) continue;
    if (strcmp(sc.children[k]->format, "l"))
      rc = prestige_error_set(err, PRESTIGE_ECORRUPT, "data file %s: row lineage column %s is not a long", f->file_path,
                              sc.children[k]->name);
    else if (n < 2) names[n] = sc.children[k]->name, which[n++] = id == ICE_ROW_ID_FIELD_ID ? 0 : 1;
  }
  l->n_rows = prestige_parquet_reader_num_rows(r);
  prestige_parquet_reader_close(r);
  if (rc || !n) {
    if (sc.release) sc.release(&sc);
    return rc;
  }
  /* again, projected to those columns (names valid while sc lives) */
  prestige_parquet_reader_options_t ro;
  prestige_parquet_reader_options_init(&ro);
  ro.columns = names;
  ro.n_columns = (int64_t)n;
  rc = ice_io_open_input(io, f->file_path, (uint64_t)f->file_size_in_bytes, &in, err);
  if (!rc) rc = prestige_parquet_reader_open(&r, &in, &ro, err);
  if (rc) {
    sc.release(&sc);
    return rc;
  }
  size_t rows = (size_t)(l->n_rows > 0 ? l->n_rows : 1);
  for (size_t i = 0; i < n && !rc; i++) {
    explicit_col_t *c = &l->col[which[i]];
    if (!(c->v = malloc(rows * sizeof(int64_t))) || !(c->valid = calloc((rows + 7) / 8, 1))) rc = oom(err);
  }
  struct ArrowArrayStream st;
  memset(&st, 0, sizeof st);
  if (!rc) rc = prestige_parquet_reader_stream(r, &st, err);
  else prestige_parquet_reader_close(r);
  int64_t at = 0;
  while (!rc) {
    struct ArrowArray b;
    int src = st.get_next(&st, &b);
    if (src) {
      rc = arrow_stream_fail(&st, src, NULL, err);
      break;
    }
    if (!b.release) break;
    if (at + b.length > l->n_rows) {
      b.release(&b);
      rc = prestige_error_set(err, PRESTIGE_ECORRUPT, "data file %s: more rows than its footer says", f->file_path);
      break;
    }
    for (size_t i = 0; i < n && i < (size_t)b.n_children; i++) {
      const struct ArrowArray *c = b.children[i];
      explicit_col_t *e = &l->col[which[i]];
      const uint8_t *valid = c->null_count ? c->buffers[0] : NULL;
      const int64_t *v = c->buffers[1];
      for (int64_t k = 0; k < b.length; k++) {
        int64_t p = c->offset + b.offset + k;
        if (valid && !(valid[p >> 3] & (1u << (p & 7)))) continue;
        e->v[at + k] = v[p];
        e->valid[(at + k) >> 3] |= (uint8_t)(1u << ((at + k) & 7));
      }
    }
    at += b.length;
    b.release(&b);
  }
  if (st.release) st.release(&st);
  sc.release(&sc);
  return rc;
}

static int long_array(struct ArrowArray *a, int64_t n, int64_t **vals, uint8_t **valid, prestige_error_t *err) {
  PRESTIGE_TRY(prestige_array_init(a, 2, 0, err));
  *vals = prestige_buffer_alloc(n * (int64_t)sizeof(int64_t) + 8);
  if (valid) *valid = prestige_buffer_alloc((n + 7) / 8 + 1);
  if (!*vals || (valid && !*valid)) {
    free(*vals);
    if (valid) free(*valid);
    a->release(a);
    return oom(err);
  }
  prestige_array_set_buffer(a, 1, *vals);
  if (valid) prestige_array_set_buffer(a, 0, *valid), memset(*valid, 0, (size_t)(n + 7) / 8 + 1);
  a->length = n;
  return 0;
}

static int with_lineage(void *user, struct ArrowArray *batch, const int64_t *positions, prestige_error_t *err) {
  lineage_read_t *l = user;
  int64_t n = batch->length, nc = batch->n_children;
  struct ArrowArray out;
  int rc = prestige_array_init(&out, 1, nc + 2, err);
  if (rc) {
    batch->release(batch);
    return rc;
  }
  out.length = n;
  out.null_count = 0;
  for (int64_t i = 0; i < nc; i++) arrow_child_move(out.children[i], batch, i);
  batch->release(batch);
  const ice_data_file_t *f = l->file;
  bool inherit_ids = f->has_first_row_id;
  int64_t *ids, *seqs;
  uint8_t *ids_valid = NULL;
  rc = long_array(out.children[nc], n, &ids, inherit_ids ? NULL : &ids_valid, err);
  if (!rc) rc = long_array(out.children[nc + 1], n, &seqs, NULL, err);
  if (rc) {
    out.release(&out);
    return rc;
  }
  int64_t null_ids = 0;
  const explicit_col_t *xi = &l->col[0], *xs = &l->col[1];
  for (int64_t i = 0; i < n; i++) {
    int64_t p = positions[i];
    bool in_file = p >= 0 && p < l->n_rows;
    if (xi->v && in_file && (xi->valid[p >> 3] & (1u << (p & 7)))) {
      ids[i] = xi->v[p];
      if (ids_valid) ids_valid[i >> 3] |= (uint8_t)(1u << (i & 7));
    } else if (inherit_ids) {
      ids[i] = f->first_row_id + p;
    } else {
      ids[i] = 0;
      null_ids++;
    }
    seqs[i] = xs->v && in_file && (xs->valid[p >> 3] & (1u << (p & 7))) ? xs->v[p] : l->data_seq;
  }
  out.children[nc]->null_count = null_ids;
  out.children[nc + 1]->null_count = 0;
  if (ids_valid && !null_ids) {
    prestige_array_set_buffer(out.children[nc], 0, NULL);
  }
  return l->fn(l->user, &out, positions, err);
}

int ice_scan_read_task_lineage(ice_io_t *io, ice_scan_plan_t *plan, size_t task, int64_t batch_rows, ice_task_batch_fn fn,
                               void *user, prestige_error_t *err) {
  if (task >= plan->n_tasks) return prestige_error_set(err, PRESTIGE_EINVAL, "scan of %s: no task %zu", plan->table, task);
  lineage_read_t l;
  memset(&l, 0, sizeof l);
  l.fn = fn, l.user = user;
  l.file = &plan->tasks[task].file;
  l.data_seq = plan->tasks[task].data_sequence_number;
  int rc = load_explicit(io, &l, err);
  if (!rc) rc = ice_scan_read_task(io, plan, task, batch_rows, with_lineage, &l, err);
  else prestige_error_prefix(err, "reading the row lineage of %s", l.file->file_path);
  explicit_release(&l);
  return rc;
}

/* ---- the scan stream with lineage columns ------------------------------------------------------------ */
bool ice_is_lineage_column(const char *name) {
  return name && (!strcmp(name, ICE_ROW_ID_NAME) || !strcmp(name, ICE_LAST_UPDATED_SEQ_NAME));
}

#define LIN_QUEUE_BATCHES 4

typedef struct lin_stream {
  ice_io_t *io;
  ice_scan_plan_t *plan;
  struct ArrowSchema full; /* plan->out + the two lineage columns */
  struct ArrowSchema outs; /* the columns asked for */
  int64_t *pick;           /* for each output column, its index in full */
  size_t n;
  prestige_bound_predicate_t *post;
  int64_t batch_rows;
  ice_scan_read_stats_t *stats;
  queue_t *q;
  pthread_t th;
  bool started, done;
  int rc; /* the producer's end (written before it pushes the end mark) */
  prestige_error_t err;
} lin_stream_t;

static char lin_end_mark;

/* A batch of full's columns: filtered, its columns picked, queued. */
static int lin_batch(void *user, struct ArrowArray *batch, const int64_t *positions, prestige_error_t *err) {
  (void)positions;
  lin_stream_t *s = user;
  struct ArrowArray b = *batch;
  batch->release = NULL;
  if (s->post) {
    struct ArrowArray f;
    int rc = prestige_bound_predicate_filter(s->post, &b, &f, err); /* b moved in, left as it was on error */
    if (rc) {
      b.release(&b);
      return rc;
    }
    b = f;
  }
  if (b.length == 0) {
    b.release(&b);
    return 0;
  }
  struct ArrowArray *o = calloc(1, sizeof(*o));
  int rc = o ? prestige_array_init(o, 1, (int64_t)s->n, err) : oom(err);
  if (rc) {
    free(o);
    b.release(&b);
    return rc;
  }
  o->length = b.length;
  o->null_count = 0;
  for (size_t i = 0; i < s->n; i++) arrow_child_move(o->children[i], &b, s->pick[i]);
  b.release(&b);
  if (queue_push(s->q, o, -1) != 0) { /* closed: the consumer released the stream */
    o->release(o);
    free(o);
    return prestige_error_set(err, PRESTIGE_ECANCELED, "scan stream released");
  }
  return 0;
}

static void *lin_producer(void *arg) {
  lin_stream_t *s = arg;
  int rc = 0;
  for (size_t t = 0; t < s->plan->n_tasks && !rc; t++) {
    if (s->stats) atomic_fetch_add(&s->stats->files_read, 1);
    rc = ice_scan_read_task_lineage(s->io, s->plan, t, s->batch_rows, lin_batch, s, &s->err);
    if (rc && rc != PRESTIGE_ECANCELED) prestige_error_prefix(&s->err, "scan of %s", s->plan->table);
  }
  s->rc = rc;
  queue_push(s->q, &lin_end_mark, -1); /* fails only when closed */
  return NULL;
}

static int lin_get_schema(void *state, struct ArrowSchema *out, prestige_error_t *err) {
  lin_stream_t *s = state;
  return prestige_schema_copy(out, &s->outs, err);
}

static int lin_get_next(void *state, struct ArrowArray *out, prestige_error_t *err) {
  lin_stream_t *s = state;
  if (s->done) return 0;
  void *p;
  if (queue_pop(s->q, &p, -1) != 0 || p == &lin_end_mark) {
    s->done = true;
    return s->rc ? prestige_error_set(err, s->rc, "%s", s->err.message) : 0;
  }
  struct ArrowArray *a = p;
  *out = *a;
  free(a);
  return 0;
}

static void lin_free(void *state) {
  lin_stream_t *s = state;
  if (!s) return;
  if (s->q) queue_close(s->q);
  if (s->started) pthread_join(s->th, NULL);
  void *p;
  while (s->q && queue_pop(s->q, &p, 0) == 0)
    if (p != &lin_end_mark) {
      struct ArrowArray *a = p;
      if (a->release) a->release(a);
      free(a);
    }
  queue_free(s->q);
  prestige_bound_predicate_free(s->post);
  if (s->full.release) s->full.release(&s->full);
  if (s->outs.release) s->outs.release(&s->outs);
  free(s->pick);
  ice_scan_plan_free(s->plan);
  free(s);
}

static const arrow_stream_ops_t lin_ops = {lin_get_schema, lin_get_next, lin_free};

int ice_scan_stream_lineage(ice_io_t *io, ice_scan_plan_t *plan, const char *const *names, size_t n,
                            const prestige_predicate_t *filter, int64_t batch_rows, ice_scan_read_stats_t *stats,
                            struct ArrowArrayStream *out, prestige_error_t *err) {
  memset(out, 0, sizeof(*out));
  lin_stream_t *s = calloc(1, sizeof(*s));
  if (!s) {
    ice_scan_plan_free(plan);
    return oom(err);
  }
  s->io = io;
  s->plan = plan;
  s->n = n;
  s->stats = stats;
  s->batch_rows = batch_rows > 0 ? batch_rows : 8192;
  int rc = ice_lineage_schema(&plan->out, &s->full, err);
  if (!rc && !(s->pick = calloc(n ? n : 1, sizeof(int64_t)))) rc = oom(err);
  for (size_t i = 0; i < n && !rc; i++) {
    int64_t k = 0;
    while (k < s->full.n_children && strcmp(s->full.children[k]->name, names[i])) k++;
    if (k == s->full.n_children)
      rc = prestige_error_set(err, PRESTIGE_EINVAL, "scan of %s: no column \"%s\"", plan->table, names[i]);
    for (size_t j = 0; j < i && !rc; j++)
      if (s->pick[j] == k) rc = prestige_error_set(err, PRESTIGE_EINVAL, "scan of %s: column \"%s\" asked for twice", plan->table, names[i]);
    s->pick[i] = k;
  }
  if (!rc) rc = prestige_schema_init(&s->outs, "+s", "", 0, err);
  if (!rc) rc = prestige_schema_allocate_children(&s->outs, (int64_t)n, err);
  for (size_t i = 0; i < n && !rc; i++) rc = prestige_schema_copy(s->outs.children[i], s->full.children[s->pick[i]], err);
  if (!filter) filter = plan->filter;
  if (!rc && filter) rc = prestige_predicate_bind(filter, &s->full, &s->post, err);
  if (!rc && !(s->q = queue_new(LIN_QUEUE_BATCHES))) rc = oom(err);
  if (!rc) {
    if (pthread_create(&s->th, NULL, lin_producer, s) != 0) rc = prestige_error_set(err, PRESTIGE_EINTERNAL, "cannot start a scan thread");
    else s->started = true;
  }
  if (rc) {
    lin_free(s);
    return rc;
  }
  return arrow_stream_make(out, &lin_ops, s, err);
}

/* ---- writing ------------------------------------------------------------------------------------------ */
int ice_append_keep_lineage(ice_append_t *a, prestige_error_t *err) {
  if (a->rows_written || a->n_parts || a->conform)
    return prestige_error_set(err, PRESTIGE_EINVAL, "row lineage columns must be asked for before the append's first write");
  for (int64_t i = 0; i < a->arrow.n_children; i++)
    if (arrow_field_id(a->arrow.children[i]) == ICE_ROW_ID_FIELD_ID) return 0; /* already */
  struct ArrowSchema s;
  PRESTIGE_TRY(ice_lineage_schema(&a->arrow, &s, err));
  a->arrow.release(&a->arrow);
  a->arrow = s;
  return 0;
}
