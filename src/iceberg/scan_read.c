/* Scan reading: the planned files as one ArrowArrayStream (see scan.h). */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arrow/child_move.h"
#include "arrow/field_id.h"
#include "arrow/predicate_internal.h"
#include "arrow/stream.h"
#include "core/log.h"
#include "core/queue.h"
#include "iceberg/arrow_conform.h"
#include "iceberg/arrow_value.h"
#include "iceberg/puffin.h"
#include "iceberg/scan.h"
#include "parquet/reader_bufpool.h"
#include "prestige/parquet_reader.h"

#define SCAN_QUEUE_BATCHES 4
#define SCAN_MAX_THREADS 64
#define SCAN_POOL_BYTES ((size_t)256 << 20) /* as a Parquet reader's own pool */

typedef struct item {
  struct ArrowArray batch;
  bool end;
  int rc;
  prestige_error_t err;
} item_t;

/* A task whose end item could not be allocated pushes this instead (the ring holds pointers and
 * never allocates), so the reader sees ENOMEM rather than waiting forever for the task's end. */
static item_t end_oom = {.end = true, .rc = PRESTIGE_ENOMEM};
static void item_free(item_t *it) {
  if (it == &end_oom) return;
  if (it->batch.release) it->batch.release(&it->batch);
  free(it);
}

/* An equality delete file loaded: its key columns and the keys of the deleted rows. */
typedef struct eq_set {
  int32_t *ids;
  uint32_t n_ids;
  ice_col_path_t *paths; /* in the read schema */
  uint8_t **keys;        /* open addressing (NULL: empty slot); key = u32 length + bytes */
  size_t n_keys, cap;
} eq_set_t;

typedef struct scan_stream {
  ice_io_t *io;
  ice_scan_plan_t *plan;
  int64_t batch_rows;
  int reader_threads;            /* each Parquet reader's threads option (>= 1) */
  struct ArrowSchema read;       /* output columns + filter and equality-delete columns (table order) */
  int32_t *read_out;             /* for each output column, its index in read */
  prestige_bound_predicate_t *post; /* the filter bound to the read schema */
  const char **read_names;       /* table names of the read columns */
  int32_t *read_ids;
  size_t n_read;
  queue_t **q;                   /* per task */
  pthread_t th[SCAN_MAX_THREADS];
  int nth;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  size_t next, cur, window;
  bool cancel;
  ice_scan_read_stats_t *stats; /* may be NULL */
  bufpool_t *bufs;               /* decoded buffers shared by every reader of the scan (a reference) */
  /* ice_scan_read_task: every row read exactly (no filter), batches to fn with their positions */
  ice_task_batch_fn fn;
  void *user;
  int64_t *positions;
  size_t cap_positions;
} scan_stream_t;

static int oom(prestige_error_t *err) { return prestige_error_set(err, PRESTIGE_ENOMEM, "scan: out of memory"); }

/* ---- equality delete keys ------------------------------------------------------------------------ */
static uint64_t hash_bytes(const uint8_t *p, size_t n) {
  uint64_t h = 1469598103934665603ULL;
  for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 1099511628211ULL;
  return h;
}

/* The key of row r: per column a null flag and the single-value bytes. */
static int row_key(const eq_set_t *s, const struct ArrowArray *batch, int64_t r, buf_t *key, buf_t *tmp) {
  buf_clear(key);
  uint32_t zero = 0;
  if (buf_append(key, &zero, 4)) return PRESTIGE_ENOMEM;
  for (uint32_t i = 0; i < s->n_ids; i++) {
    ice_value_t v;
    ice_col_value(&s->paths[i], batch, r, &v);
    if (v.is_null) {
      if (buf_append_u8(key, 0)) return PRESTIGE_ENOMEM;
      continue;
    }
    if (ice_value_to_bytes(s->paths[i].type, &v, tmp, NULL)) return PRESTIGE_EINVAL;
    uint32_t len = (uint32_t)tmp->len;
    if (buf_append_u8(key, 1) || buf_append(key, &len, 4) || buf_append(key, tmp->data, tmp->len)) return PRESTIGE_ENOMEM;
  }
  uint32_t total = (uint32_t)(key->len - 4);
  memcpy(key->data, &total, 4);
  return 0;
}

static bool eq_has(const eq_set_t *s, const buf_t *key) {
  if (!s->cap) return false;
  size_t i = (size_t)(hash_bytes(key->data, key->len) & (s->cap - 1));
  while (s->keys[i]) {
    if (!memcmp(s->keys[i], key->data, key->len)) return true;
    i = (i + 1) & (s->cap - 1);
  }
  return false;
}

static int eq_add(eq_set_t *s, const buf_t *key) {
  if (eq_has(s, key)) return 0;
  if ((s->n_keys + 1) * 2 > s->cap) {
    size_t nc = s->cap ? s->cap * 2 : 1024;
    uint8_t **k = calloc(nc, sizeof(*k));
    if (!k) return PRESTIGE_ENOMEM;
    for (size_t i = 0; i < s->cap; i++) {
      if (!s->keys[i]) continue;
      uint32_t len;
      memcpy(&len, s->keys[i], 4);
      size_t j = (size_t)(hash_bytes(s->keys[i], len + 4) & (nc - 1));
      while (k[j]) j = (j + 1) & (nc - 1);
      k[j] = s->keys[i];
    }
    free(s->keys);
    s->keys = k;
    s->cap = nc;
  }
  uint8_t *c = malloc(key->len);
  if (!c) return PRESTIGE_ENOMEM;
  memcpy(c, key->data, key->len);
  size_t i = (size_t)(hash_bytes(key->data, key->len) & (s->cap - 1));
  while (s->keys[i]) i = (i + 1) & (s->cap - 1);
  s->keys[i] = c;
  s->n_keys++;
  return 0;
}

static void eq_release(eq_set_t *s) {
  for (size_t i = 0; i < s->cap; i++) free(s->keys[i]);
  free(s->keys);
  free(s->ids);
  free(s->paths);
  memset(s, 0, sizeof(*s));
}

/* ---- opening a file by field id --------------------------------------------------------------------- */
/* The renamed predicate: the same tree with the file's column paths. Not freed by
 * prestige_predicate_free (the tree belongs to the plan's). */
typedef struct renamed {
  struct prestige_predicate p;
  char **cols;
} renamed_t;

static void renamed_free(renamed_t *r) {
  if (!r) return;
  for (int64_t i = 0; i < r->p.n_columns; i++) free(r->cols[i]);
  free(r->cols);
  free(r);
}

/* A dotted table path mapped onto the file's names by field id; NULL when the file lacks it. */
static char *map_path(const ice_schema_t *schema, const struct ArrowSchema *file, const char *path) {
  const ice_type_t *t = schema->type;
  const struct ArrowSchema *fs = file;
  buf_t out = BUF_INIT;
  const char *p = path;
  while (*p) {
    const char *dot = strchr(p, '.');
    size_t n = dot ? (size_t)(dot - p) : strlen(p);
    const ice_field_t *f = NULL;
    for (size_t i = 0; t && t->id == ICE_STRUCT && i < t->n_fields && !f; i++)
      if (strlen(t->fields[i].name) == n && !strncmp(t->fields[i].name, p, n)) f = &t->fields[i];
    const struct ArrowSchema *fc = NULL;
    for (int64_t i = 0; f && fs && i < fs->n_children && !fc; i++)
      if (arrow_field_id(fs->children[i]) == f->id) fc = fs->children[i];
    if (!fc || (out.len && buf_append_u8(&out, '.')) || buf_append(&out, fc->name, strlen(fc->name))) {
      buf_release(&out);
      return NULL;
    }
    t = f->type;
    fs = fc;
    p += n + (dot ? 1 : 0);
  }
  if (buf_append_u8(&out, 0)) {
    buf_release(&out);
    return NULL;
  }
  return (char *)buf_detach(&out, NULL);
}

static renamed_t *rename_filter(const ice_scan_plan_t *plan, const struct ArrowSchema *file) {
  const prestige_predicate_t *f = plan->filter;
  renamed_t *r = calloc(1, sizeof(*r));
  if (!r) return NULL;
  r->cols = calloc((size_t)(f->n_columns ? f->n_columns : 1), sizeof(char *));
  if (!r->cols) {
    free(r);
    return NULL;
  }
  r->p = *f;
  r->p.columns = r->cols;
  for (int64_t i = 0; i < f->n_columns; i++) {
    r->p.n_columns = i;
    if (!(r->cols[i] = map_path(plan->schema, file, f->columns[i]))) {
      renamed_free(r);
      return NULL;
    }
  }
  r->p.n_columns = f->n_columns;
  return r;
}

static int open_file(scan_stream_t *s, const ice_data_file_t *f, const char *const *cols, size_t n_cols,
                     const prestige_predicate_t *filter, prestige_parquet_reader_t **r, prestige_error_t *err) {
  prestige_input_t in;
  PRESTIGE_TRY(ice_io_open_input(s->io, f->file_path, (uint64_t)f->file_size_in_bytes, &in, err));
  prestige_parquet_reader_options_t ro;
  prestige_parquet_reader_options_init(&ro);
  ro.batch_rows = s->batch_rows;
  ro.threads = s->reader_threads > 0 ? s->reader_threads : 1;
  ro.columns = cols;
  ro.n_columns = (int64_t)n_cols;
  ro.filter = filter;
  PRESTIGE_TRY(prestige_parquet_reader_open(r, &in, &ro, err));
  pq_reader_share_bufpool(*r, s->bufs);
  return 0;
}

/* Whether the reader's columns are the read columns by id (so names can be trusted). */
static bool ids_match(scan_stream_t *s, prestige_parquet_reader_t *r) {
  struct ArrowSchema sc;
  if (prestige_parquet_reader_schema(r, &sc, NULL)) return false;
  bool ok = true;
  for (size_t i = 0; i < s->n_read && ok; i++) {
    bool found = false;
    for (int64_t k = 0; k < sc.n_children && !found; k++)
      if (!strcmp(sc.children[k]->name, s->read_names[i])) found = arrow_field_id(sc.children[k]) == s->read_ids[i];
    ok = found;
  }
  sc.release(&sc);
  return ok;
}

/* Opens a data file projected to the read columns. Fast path: the table's names with the filter
 * pushed down; when the file's names differ (renames, columns added later, dropped and re-added),
 * the file's schema maps ids to its names. *pushed tells whether the filter went to the reader. */
static int open_by_id(scan_stream_t *s, const ice_scan_task_t *t, bool allow_filter, prestige_parquet_reader_t **r,
                      renamed_t **renamed, bool *pushed, prestige_error_t *err) {
  const ice_data_file_t *f = &t->file;
  const prestige_predicate_t *filter = allow_filter ? s->plan->filter : NULL;
  *renamed = NULL;
  *pushed = false;
  prestige_error_t e1;
  int rc = open_file(s, f, s->read_names, s->n_read, filter, r, &e1);
  if (!rc && ids_match(s, *r)) {
    *pushed = filter != NULL;
    return 0;
  }
  if (!rc) prestige_parquet_reader_close(*r);
  *r = NULL; /* the names did not fit (or the open failed): the file's schema decides */
  /* the file's own names */
  PRESTIGE_TRY(open_file(s, f, NULL, 0, NULL, r, err));
  struct ArrowSchema fs;
  rc = prestige_parquet_reader_schema(*r, &fs, err);
  prestige_parquet_reader_close(*r);
  *r = NULL;
  if (rc) return rc;
  const char **names = calloc(s->n_read ? s->n_read : 1, sizeof(char *));
  size_t n = 0;
  if (!names) {
    fs.release(&fs);
    return oom(err);
  }
  bool any_id = false;
  for (int64_t k = 0; k < fs.n_children; k++) any_id |= arrow_field_id(fs.children[k]) >= 0;
  if (!any_id) {
    free(names);
    fs.release(&fs);
    return prestige_error_set(err, PRESTIGE_EUNSUPPORTED, "data file %s has no field ids (name mapping is not supported)",
                              f->file_path);
  }
  for (size_t i = 0; i < s->n_read; i++)
    for (int64_t k = 0; k < fs.n_children; k++)
      if (arrow_field_id(fs.children[k]) == s->read_ids[i]) names[n++] = fs.children[k]->name;
  if (filter) *renamed = rename_filter(s->plan, &fs);
  rc = open_file(s, f, names, n, *renamed ? &(*renamed)->p : NULL, r, err);
  *pushed = *renamed != NULL;
  free(names);
  fs.release(&fs);
  return rc;
}

/* ---- deletes ---------------------------------------------------------------------------------------- */
typedef struct task_deletes {
  int64_t *pos; /* sorted deleted positions of this file */
  size_t n_pos, cap_pos;
  eq_set_t *eq;
  size_t n_eq;
} task_deletes_t;

static void deletes_release(task_deletes_t *d) {
  free(d->pos);
  for (size_t i = 0; i < d->n_eq; i++) eq_release(&d->eq[i]);
  free(d->eq);
  memset(d, 0, sizeof(*d));
}

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

static int load_position_deletes(scan_stream_t *s, const ice_data_file_t *data, const ice_data_file_t *df,
                                 task_deletes_t *d, prestige_error_t *err) {
  static const char *const cols[] = {"file_path", "pos"};
  prestige_parquet_reader_t *r;
  PRESTIGE_TRY(open_file(s, df, cols, 2, NULL, &r, err));
  struct ArrowArrayStream st;
  int rc = prestige_parquet_reader_stream(r, &st, err);
  if (rc) return rc;
  struct ArrowSchema sc;
  int se = st.get_schema(&st, &sc);
  if (se) {
    rc = arrow_stream_fail(&st, se, NULL, err);
    prestige_error_prefix(err, "delete file %s: reading its schema", df->file_path);
    st.release(&st);
    return rc;
  }
  int fp = -1, ps = -1;
  for (int64_t k = 0; k < sc.n_children; k++) {
    if (!strcmp(sc.children[k]->name, "file_path") && !strcmp(sc.children[k]->format, "u")) fp = (int)k;
    if (!strcmp(sc.children[k]->name, "pos") && !strcmp(sc.children[k]->format, "l")) ps = (int)k;
  }
  sc.release(&sc);
  if (fp < 0 || ps < 0) {
    st.release(&st);
    return prestige_error_set(err, PRESTIGE_ECORRUPT, "position delete file %s lacks file_path (string) and pos (long)",
                              df->file_path);
  }
  size_t plen = strlen(data->file_path);
  for (;;) {
    struct ArrowArray b;
    int ge = st.get_next(&st, &b);
    if (ge) {
      rc = arrow_stream_fail(&st, ge, NULL, err);
      prestige_error_prefix(err, "delete file %s", df->file_path);
      break;
    }
    if (!b.release) break;
    const struct ArrowArray *pa = b.children[fp], *qa = b.children[ps];
    const int32_t *o = pa->buffers[1];
    const uint8_t *chars = pa->buffers[2];
    const int64_t *pos = qa->buffers[1];
    for (int64_t i = 0; i < b.length && !rc; i++) {
      int64_t pi = pa->offset + b.offset + i, qi = qa->offset + b.offset + i;
      if (!prestige_array_is_valid(pa, b.offset + i) || !prestige_array_is_valid(qa, b.offset + i)) continue;
      if ((size_t)(o[pi + 1] - o[pi]) != plen || memcmp(chars + o[pi], data->file_path, plen)) continue;
      if (d->n_pos == d->cap_pos) {
        size_t nc = d->cap_pos ? d->cap_pos * 2 : 256;
        int64_t *g = realloc(d->pos, nc * sizeof(*g));
        if (!g) rc = oom(err);
        else d->pos = g, d->cap_pos = nc;
      }
      if (!rc) d->pos[d->n_pos++] = pos[qi];
    }
    b.release(&b);
    if (rc) break;
  }
  st.release(&st);
  return rc;
}

/* A deletion vector (V3): its positions join the file's. */
static int load_dv(scan_stream_t *s, const ice_data_file_t *df, task_deletes_t *d, prestige_error_t *err) {
  int64_t *pos = NULL;
  size_t n = 0;
  PRESTIGE_TRY(ice_dv_read(s->io, df, &pos, &n, err));
  if (d->n_pos + n > d->cap_pos) {
    size_t nc = d->n_pos + n;
    int64_t *g = realloc(d->pos, nc * sizeof(*g));
    if (!g) {
      free(pos);
      return oom(err);
    }
    d->pos = g, d->cap_pos = nc;
  }
  memcpy(d->pos + d->n_pos, pos, n * sizeof(int64_t));
  d->n_pos += n;
  free(pos);
  return 0;
}

static int load_equality_deletes(scan_stream_t *s, const ice_data_file_t *df, eq_set_t *set, prestige_error_t *err) {
  memset(set, 0, sizeof(*set));
  set->ids = malloc(df->n_equality_ids * sizeof(int32_t));
  set->paths = calloc(df->n_equality_ids ? df->n_equality_ids : 1, sizeof(ice_col_path_t));
  if (!set->ids || !set->paths) return oom(err);
  set->n_ids = df->n_equality_ids;
  memcpy(set->ids, df->equality_ids, df->n_equality_ids * sizeof(int32_t));
  /* key columns as paths in the read schema (the plan schema restricted to the read columns) */
  ice_schema_t *rs = NULL;
  int rc = 0;
  for (uint32_t i = 0; i < set->n_ids && !rc; i++) {
    ice_col_path_t full;
    rc = ice_col_path_find(s->plan->schema, set->ids[i], &full, err);
    if (rc) return prestige_error_prefix(err, "equality delete file %s", df->file_path), rc;
    /* translate the top-level index to the read schema's */
    set->paths[i] = full;
    int32_t top = -1;
    for (size_t k = 0; k < s->n_read; k++)
      if (s->read_ids[k] == s->plan->schema->type->fields[full.idx[0]].id) top = (int32_t)k;
    if (top < 0) return prestige_error_set(err, PRESTIGE_EINTERNAL, "equality column %d not read", set->ids[i]);
    set->paths[i].idx[0] = top;
  }
  (void)rs;
  /* the delete file's rows, conformed by id to the read schema (columns it lacks are null) */
  prestige_parquet_reader_t *r;
  PRESTIGE_TRY(open_file(s, df, NULL, 0, NULL, &r, err));
  struct ArrowSchema fs;
  rc = prestige_parquet_reader_schema(r, &fs, err);
  ice_conform_t *c = NULL;
  if (!rc) rc = ice_conform_plan(&s->read, &fs, ICE_MATCH_BY_ID, df->file_path, &c, err);
  if (fs.release) fs.release(&fs);
  struct ArrowArrayStream st;
  memset(&st, 0, sizeof st);
  if (!rc) rc = prestige_parquet_reader_stream(r, &st, err);
  else prestige_parquet_reader_close(r);
  buf_t key = BUF_INIT, tmp = BUF_INIT;
  while (!rc) {
    struct ArrowArray b, t;
    int ge = st.get_next(&st, &b);
    if (ge) {
      rc = arrow_stream_fail(&st, ge, NULL, err);
      prestige_error_prefix(err, "delete file %s", df->file_path);
      break;
    }
    if (!b.release) break;
    if ((rc = ice_conform_apply(c, &b, &t, err))) break;
    for (int64_t i = 0; i < t.length && !rc; i++) {
      rc = row_key(set, &t, i, &key, &tmp);
      if (!rc) rc = eq_add(set, &key);
      if (rc) rc = prestige_error_set(err, rc, "delete file %s: row %lld", df->file_path, (long long)i);
    }
    t.release(&t);
  }
  if (st.release) st.release(&st);
  ice_conform_free(c);
  buf_release(&key);
  buf_release(&tmp);
  return rc;
}

/* ---- one task ------------------------------------------------------------------------------------------ */
static void push(scan_stream_t *s, size_t t, item_t *it) {
  if (queue_push(s->q[t], it, -1) != 0) item_free(it);
}

/* The output columns of a read batch (moved). */
static int to_output(scan_stream_t *s, struct ArrowArray *rb, struct ArrowArray *out, prestige_error_t *err) {
  int64_t n = s->plan->out.n_children;
  int rc = prestige_array_init(out, 1, n, err);
  if (rc) { /* rb is consumed either way */
    rb->release(rb);
    return rc;
  }
  out->length = rb->length;
  out->null_count = 0;
  for (int64_t i = 0; i < n; i++) arrow_child_move(out->children[i], rb, s->read_out[i]);
  rb->release(rb);
  return 0;
}

static int read_task(scan_stream_t *s, size_t ti, prestige_error_t *err) {
  const ice_scan_task_t *t = &s->plan->tasks[ti];
  task_deletes_t d;
  memset(&d, 0, sizeof d);
  int rc = 0;
  bool positions = false;
  for (uint32_t k = 0; k < t->n_deletes && !rc; k++) {
    const ice_data_file_t *df = &s->plan->deletes[t->deletes[k]].file;
    if (df->content == ICE_CONTENT_POSITION_DELETES && !strcasecmp(df->file_format, "puffin")) {
      positions = true;
      rc = load_dv(s, df, &d, err);
    } else if (df->content == ICE_CONTENT_POSITION_DELETES) {
      positions = true;
      rc = load_position_deletes(s, &t->file, df, &d, err);
    } else {
      eq_set_t *g = realloc(d.eq, (d.n_eq + 1) * sizeof(*g));
      if (!g) rc = oom(err);
      else {
        d.eq = g;
        rc = load_equality_deletes(s, df, &d.eq[d.n_eq], err);
        d.n_eq++;
      }
    }
  }
  if (!rc && d.n_pos) qsort(d.pos, d.n_pos, sizeof(int64_t), cmp_i64);
  prestige_parquet_reader_t *r = NULL;
  renamed_t *ren = NULL;
  bool pushed = false;
  /* positions must be exact: no row pruning then */
  if (!rc) rc = open_by_id(s, t, !positions && !s->fn, &r, &ren, &pushed, err);
  if (!rc && s->stats) {
    atomic_fetch_add(&s->stats->files_read, 1);
    atomic_fetch_add(&s->stats->row_groups, prestige_parquet_reader_num_row_groups(r));
    atomic_fetch_add(&s->stats->row_groups_pruned, prestige_parquet_reader_pruned_row_groups(r));
  }
  struct ArrowSchema fs;
  memset(&fs, 0, sizeof fs);
  ice_conform_t *c = NULL;
  if (!rc) rc = prestige_parquet_reader_schema(r, &fs, err);
  if (!rc) rc = ice_conform_plan(&s->read, &fs, ICE_MATCH_BY_ID, t->file.file_path, &c, err);
  if (fs.release) fs.release(&fs);
  struct ArrowArrayStream st;
  memset(&st, 0, sizeof st);
  if (!rc) {
    rc = prestige_parquet_reader_stream(r, &st, err);
    r = NULL;
  }
  int64_t position = 0;
  size_t pos_at = 0;
  buf_t key = BUF_INIT, tmp = BUF_INIT;
  uint8_t *sel = NULL;
  while (!rc) {
    pthread_mutex_lock(&s->mu);
    bool cancel = s->cancel;
    pthread_mutex_unlock(&s->mu);
    if (cancel) break;
    struct ArrowArray b, rb;
    int src = st.get_next(&st, &b);
    if (src) {
      rc = arrow_stream_fail(&st, src, NULL, err);
      break;
    }
    if (!b.release) break;
    if ((rc = ice_conform_apply(c, &b, &rb, err))) break;
    int64_t n = rb.length;
    if (s->fn && (size_t)n > s->cap_positions) {
      int64_t *g = realloc(s->positions, (size_t)n * sizeof(int64_t));
      if (!g) {
        rb.release(&rb);
        rc = oom(err);
        break;
      }
      s->positions = g;
      s->cap_positions = (size_t)n;
    }
    if (s->fn && !d.n_pos && !d.n_eq) {
      for (int64_t i = 0; i < n; i++) s->positions[i] = position + i;
      position += n;
    }
    /* deleted rows out */
    if (d.n_pos || d.n_eq) {
      uint8_t *g = realloc(sel, (size_t)(n + 7) / 8 + 1);
      if (!g) {
        rb.release(&rb);
        rc = oom(err);
        break;
      }
      sel = g;
      memset(sel, 0, (size_t)(n + 7) / 8 + 1);
      int64_t kept = 0;
      for (int64_t i = 0; i < n && !rc; i++) {
        int64_t p = position + i;
        while (pos_at < d.n_pos && d.pos[pos_at] < p) pos_at++;
        bool del = pos_at < d.n_pos && d.pos[pos_at] == p;
        for (size_t k = 0; k < d.n_eq && !del && !rc; k++) {
          rc = row_key(&d.eq[k], &rb, i, &key, &tmp);
          del = !rc && eq_has(&d.eq[k], &key);
        }
        if (!del) {
          sel[i >> 3] |= (uint8_t)(1u << (i & 7));
          if (s->fn) s->positions[kept] = p;
          kept++;
        }
      }
      position += n;
      if (rc) {
        rb.release(&rb);
        rc = prestige_error_set(err, rc, "applying deletes");
        break;
      }
      if (kept < n) {
        struct ArrowArray f;
        rc = prestige_array_filter(&rb, &s->read, sel, kept, &f, err);
        rb.release(&rb);
        if (rc) break;
        rb = f;
      }
    }
    /* the filter, when the reader could not apply it */
    if (s->post && !pushed && !s->fn) {
      struct ArrowArray f;
      if ((rc = prestige_bound_predicate_filter(s->post, &rb, &f, err))) {
        rb.release(&rb);
        break;
      }
      rb = f;
    }
    if (rb.length == 0) {
      rb.release(&rb);
      continue;
    }
    if (s->fn) {
      struct ArrowArray ob;
      if ((rc = to_output(s, &rb, &ob, err))) break;
      if ((rc = s->fn(s->user, &ob, s->positions, err))) break;
      continue;
    }
    item_t *it = calloc(1, sizeof *it);
    if (!it) {
      rb.release(&rb);
      rc = oom(err);
      break;
    }
    if ((rc = to_output(s, &rb, &it->batch, err))) {
      free(it);
      break;
    }
    push(s, ti, it);
  }
  free(sel);
  buf_release(&key);
  buf_release(&tmp);
  if (st.release) st.release(&st);
  if (r) prestige_parquet_reader_close(r);
  renamed_free(ren);
  ice_conform_free(c);
  deletes_release(&d);
  return rc;
}

static void run_task(scan_stream_t *s, size_t ti) {
  item_t *end = calloc(1, sizeof *end);
  if (!end) {
    push(s, ti, &end_oom);
    return;
  }
  end->end = true;
  int rc = read_task(s, ti, &end->err);
  if (rc) {
    end->rc = rc;
    const char *path = s->plan->tasks[ti].file.file_path;
    if (!strstr(end->err.message, path)) prestige_error_prefix(&end->err, "data file %s", path);
    prestige_error_prefix(&end->err, "scan of %s", s->plan->table);
  }
  push(s, ti, end);
}

static void *worker(void *arg) {
  scan_stream_t *s = arg;
  for (;;) {
    pthread_mutex_lock(&s->mu);
    while (!s->cancel && s->next < s->plan->n_tasks && s->next >= s->cur + s->window) pthread_cond_wait(&s->cv, &s->mu);
    if (s->cancel || s->next >= s->plan->n_tasks) {
      pthread_mutex_unlock(&s->mu);
      return NULL;
    }
    size_t t = s->next++;
    pthread_mutex_unlock(&s->mu);
    run_task(s, t);
  }
}

/* ---- the stream ---------------------------------------------------------------------------------------- */
static int s_get_schema(void *state, struct ArrowSchema *out, prestige_error_t *err) {
  scan_stream_t *s = state;
  return prestige_schema_copy(out, &s->plan->out, err);
}

static int s_get_next(void *state, struct ArrowArray *out, prestige_error_t *err) {
  scan_stream_t *s = state;
  for (;;) {
    if (s->cur >= s->plan->n_tasks) return 0;
    void *p;
    if (queue_pop(s->q[s->cur], &p, -1) != 0) return 0;
    item_t *it = p;
    if (!it->end) {
      *out = it->batch;
      free(it);
      return 0;
    }
    const char *oom_path = it == &end_oom ? s->plan->tasks[s->cur].file.file_path : NULL;
    pthread_mutex_lock(&s->mu);
    s->cur = oom_path ? s->plan->n_tasks : s->cur + 1; /* out of memory ends the stream */
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
    if (oom_path)
      return prestige_error_set(err, PRESTIGE_ENOMEM, "scan of %s: data file %s: out of memory", s->plan->table, oom_path);
    if (it->rc) {
      int code = prestige_error_set(err, it->rc, "%s", it->err.message);
      free(it);
      s->cur = s->plan->n_tasks; /* the stream ends with the error */
      return code;
    }
    free(it);
  }
}

static void stream_free(scan_stream_t *s) {
  pthread_mutex_lock(&s->mu);
  s->cancel = true;
  pthread_cond_broadcast(&s->cv);
  pthread_mutex_unlock(&s->mu);
  size_t n = s->plan ? s->plan->n_tasks : 0;
  for (size_t i = 0; s->q && i < n; i++)
    if (s->q[i]) queue_close(s->q[i]);
  for (int i = 0; i < s->nth; i++) pthread_join(s->th[i], NULL);
  for (size_t i = 0; s->q && i < n; i++) {
    void *p;
    while (s->q[i] && queue_pop(s->q[i], &p, 0) == 0) item_free(p);
    if (s->q[i]) queue_free(s->q[i]);
  }
  free(s->q);
  free(s->positions);
  bufpool_unref(s->bufs);
  prestige_schema_release(&s->read);
  free(s->read_out);
  free((void *)s->read_names);
  free(s->read_ids);
  prestige_bound_predicate_free(s->post);
  ice_scan_plan_free(s->plan);
  pthread_mutex_destroy(&s->mu);
  pthread_cond_destroy(&s->cv);
  free(s);
}

static void s_free(void *state) { stream_free(state); }

static const arrow_stream_ops_t scan_stream_ops = {s_get_schema, s_get_next, s_free};

/* The read schema: the output columns plus those the filter and equality deletes need. */
static int build_read_schema(scan_stream_t *s, prestige_error_t *err) {
  const ice_scan_plan_t *p = s->plan;
  const struct ArrowSchema *a = &p->arrow;
  bool *want = calloc((size_t)(a->n_children ? a->n_children : 1), sizeof(bool));
  if (!want) return oom(err);
  for (int64_t k = 0; k < a->n_children; k++) {
    for (int64_t j = 0; j < p->out.n_children; j++)
      if (!strcmp(a->children[k]->name, p->out.children[j]->name)) want[k] = true;
    for (int64_t j = 0; p->filter && j < p->filter->n_columns; j++) {
      const char *c = p->filter->columns[j];
      size_t l = strlen(a->children[k]->name);
      if (!strncmp(c, a->children[k]->name, l) && (c[l] == 0 || c[l] == '.')) want[k] = true;
    }
    int32_t id = arrow_field_id(a->children[k]);
    for (size_t d = 0; d < p->n_deletes; d++) {
      const ice_data_file_t *df = &p->deletes[d].file;
      for (uint32_t e = 0; e < df->n_equality_ids; e++) {
        ice_col_path_t cp;
        if (!ice_col_path_find(p->schema, df->equality_ids[e], &cp, NULL) && p->schema->type->fields[cp.idx[0]].id == id)
          want[k] = true;
      }
    }
  }
  size_t n = 0;
  for (int64_t k = 0; k < a->n_children; k++) n += want[k];
  s->n_read = n;
  s->read_names = calloc(n ? n : 1, sizeof(char *));
  s->read_ids = calloc(n ? n : 1, sizeof(int32_t));
  s->read_out = calloc((size_t)(p->out.n_children ? p->out.n_children : 1), sizeof(int32_t));
  int rc = s->read_names && s->read_ids && s->read_out ? 0 : oom(err);
  if (!rc) rc = prestige_schema_init(&s->read, "+s", "", 0, err);
  if (!rc) rc = prestige_schema_allocate_children(&s->read, (int64_t)n, err);
  for (int64_t k = 0, j = 0; k < a->n_children && !rc; k++) {
    if (!want[k]) continue;
    rc = prestige_schema_copy(s->read.children[j], a->children[k], err);
    s->read_names[j] = a->children[k]->name;
    s->read_ids[j] = arrow_field_id(a->children[k]);
    for (int64_t o = 0; o < p->out.n_children; o++)
      if (!strcmp(p->out.children[o]->name, a->children[k]->name)) s->read_out[o] = (int32_t)j;
    j++;
  }
  free(want);
  if (!rc && p->filter) rc = prestige_predicate_bind(p->filter, &s->read, &s->post, err);
  return rc;
}

int ice_scan_stream(ice_io_t *io, ice_scan_plan_t *plan, const ice_scan_options_t *o, struct ArrowArrayStream *out,
                    prestige_error_t *err) {
  return ice_scan_stream_counted(io, plan, o, NULL, out, err);
}

int ice_scan_stream_counted(ice_io_t *io, ice_scan_plan_t *plan, const ice_scan_options_t *o, ice_scan_read_stats_t *stats,
                            struct ArrowArrayStream *out, prestige_error_t *err) {
  memset(out, 0, sizeof *out);
  scan_stream_t *s = calloc(1, sizeof *s);
  if (!s) {
    ice_scan_plan_free(plan);
    return oom(err);
  }
  pthread_mutex_init(&s->mu, NULL);
  pthread_cond_init(&s->cv, NULL);
  s->io = io;
  s->plan = plan;
  s->stats = stats;
  s->batch_rows = o && o->batch_rows > 0 ? o->batch_rows : 8192;
  s->reader_threads = o && o->reader_threads > 0 ? o->reader_threads : 1;
  if (o && o->bufs) bufpool_ref(s->bufs = o->bufs);
  else if (!(s->bufs = bufpool_new(SCAN_POOL_BYTES))) {
    stream_free(s);
    return oom(err);
  }
  int threads = o && o->files_in_flight > 0 ? o->files_in_flight : 2;
  if (threads > SCAN_MAX_THREADS) threads = SCAN_MAX_THREADS;
  s->window = (size_t)threads * 2;
  int rc = build_read_schema(s, err);
  if (!rc) {
    s->q = calloc(plan->n_tasks ? plan->n_tasks : 1, sizeof(queue_t *));
    if (!s->q) rc = oom(err);
    for (size_t i = 0; !rc && i < plan->n_tasks; i++)
      if (!(s->q[i] = queue_new(SCAN_QUEUE_BATCHES))) rc = oom(err);
  }
  if ((size_t)threads > plan->n_tasks) threads = (int)plan->n_tasks;
  for (int i = 0; !rc && i < threads; i++) {
    if (pthread_create(&s->th[s->nth], NULL, worker, s) != 0) break;
    s->nth++;
  }
  if (!rc && plan->n_tasks > 0 && s->nth == 0) rc = prestige_error_set(err, PRESTIGE_EINTERNAL, "cannot start scan threads");
  if (rc) {
    stream_free(s);
    return rc;
  }
  return arrow_stream_make(out, &scan_stream_ops, s, err);
}

int ice_scan_read_task(ice_io_t *io, ice_scan_plan_t *plan, size_t task, int64_t batch_rows, ice_task_batch_fn fn, void *user,
                       prestige_error_t *err) {
  if (task >= plan->n_tasks) return prestige_error_set(err, PRESTIGE_EINVAL, "scan of %s: no task %zu", plan->table, task);
  scan_stream_t *s = calloc(1, sizeof *s);
  if (!s) return oom(err);
  pthread_mutex_init(&s->mu, NULL);
  pthread_cond_init(&s->cv, NULL);
  s->io = io;
  s->plan = plan;
  s->batch_rows = batch_rows > 0 ? batch_rows : 8192;
  s->fn = fn;
  s->user = user;
  int rc = build_read_schema(s, err);
  if (!rc) {
    rc = read_task(s, task, err);
    if (rc) {
      const char *path = plan->tasks[task].file.file_path;
      if (err && !strstr(err->message, path)) prestige_error_prefix(err, "data file %s", path);
    }
  }
  s->plan = NULL; /* the caller's */
  stream_free(s);
  return rc;
}
