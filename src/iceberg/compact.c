/* Compaction: bin-pack small files per partition, rewrite with deletes applied (deduplicated and
 * sorted), one replace snapshot (see rowdelta.h). */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "iceberg/append_internal.h"
#include "iceberg/arrow_take.h"
#include "iceberg/arrow_value.h"
#include "iceberg/lineage.h"
#include "iceberg/transform.h"
#include "iceberg/rewrite.h"
#include "iceberg/rowdelta.h"
#include "iceberg/scan.h"

static int oom(prestige_error_t *err) { return prestige_error_set(err, PRESTIGE_ENOMEM, "compaction: out of memory"); }

/* The caller's stop token, looked at between files and before the commit. */
static int stopped(const ice_compact_options_t *o, prestige_error_t *err) {
  if (!o->stop || !prestige_shutdown_triggered(o->stop)) return 0;
  return prestige_error_set(err, PRESTIGE_ECANCELED, "%s: compaction stopped before its commit (nothing was committed; the files "
                            "it wrote are deleted)", o->what ? o->what : "table");
}

static int64_t prop_i64(const ice_table_metadata_t *md, const char *key, int64_t dflt) {
  const char *v = ice_metadata_property(md, key, NULL);
  if (!v) return dflt;
  char *end;
  long long x = strtoll(v, &end, 10);
  return (*end || end == v || x <= 0) ? dflt : (int64_t)x;
}

/* ---- partitions and groups ------------------------------------------------------------------------ */
typedef struct part {
  char *key;
  size_t *tasks; /* candidate task indexes */
  size_t n, cap;
  bool any_deletes;
  int64_t bytes;
} part_t;

typedef struct group {
  const char *key; /* its partition (parts[].key) */
  size_t *tasks;
  size_t n;
  ice_append_t *append;
  const char **remove;
  int64_t rows_read, bytes_read, dups;
} group_t;

static int part_add(part_t *p, size_t t, prestige_error_t *err) {
  if (p->n == p->cap) {
    size_t nc = p->cap ? p->cap * 2 : 16;
    size_t *g = realloc(p->tasks, nc * sizeof(*g));
    if (!g) return oom(err);
    p->tasks = g, p->cap = nc;
  }
  p->tasks[p->n++] = t;
  return 0;
}

/* ---- reading a group ---------------------------------------------------------------------------------- */
typedef struct held {
  struct ArrowArray *b;
  int64_t *seq; /* per batch */
  size_t n, cap;
  int64_t cur_seq;
} held_t;

static int hold_batch(void *user, struct ArrowArray *batch, const int64_t *positions, prestige_error_t *err) {
  (void)positions;
  held_t *h = user;
  if (h->n == h->cap) {
    size_t nc = h->cap ? h->cap * 2 : 16;
    struct ArrowArray *g = realloc(h->b, nc * sizeof(*g));
    int64_t *s = g ? realloc(h->seq, nc * sizeof(*s)) : NULL;
    if (g) h->b = g;
    if (!g || !s) {
      batch->release(batch);
      return oom(err);
    }
    h->seq = s, h->cap = nc;
  }
  h->b[h->n] = *batch;
  h->seq[h->n++] = h->cur_seq;
  batch->release = NULL;
  return 0;
}

/* Dedup on the identifier columns: per key the row of the highest data sequence number (ties: the
 * later one read) survives. sel[b] gets a selection bitmap per batch, kept[b] its count. */
typedef struct slot {
  uint64_t hash;
  uint32_t off, len;
  uint32_t batch;
  int64_t row, seq;
} slot_t;

static uint64_t hash_bytes(const uint8_t *p, size_t n) {
  uint64_t h = 1469598103934665603ULL;
  for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 1099511628211ULL;
  return h ? h : 1;
}

static int dedup(const held_t *h, const ice_col_path_t *keys, size_t n_keys, uint8_t **sel, int64_t *kept, int64_t *dups,
                 prestige_error_t *err) {
  int64_t total = 0;
  for (size_t b = 0; b < h->n; b++) total += h->b[b].length;
  size_t cap = 64;
  while (cap < (size_t)total * 2) cap *= 2;
  slot_t *slots = calloc(cap, sizeof(*slots));
  buf_t keybuf = BUF_INIT, tmp = BUF_INIT, one = BUF_INIT;
  if (!slots) return oom(err);
  int rc = 0;
  for (size_t b = 0; b < h->n && !rc; b++) {
    for (int64_t r = 0; r < h->b[b].length && !rc; r++) {
      buf_clear(&one);
      for (size_t k = 0; k < n_keys && !rc; k++) {
        ice_value_t v;
        ice_col_value(&keys[k], &h->b[b], r, &v);
        if (v.is_null) {
          rc = buf_append_u8(&one, 0) ? oom(err) : 0;
          continue;
        }
        rc = ice_value_to_bytes(keys[k].type, &v, &tmp, err);
        uint32_t l = (uint32_t)tmp.len;
        if (!rc && (buf_append_u8(&one, 1) || buf_append(&one, &l, 4) || buf_append(&one, tmp.data, tmp.len))) rc = oom(err);
      }
      if (rc) break;
      uint64_t hh = hash_bytes(one.data, one.len);
      size_t i = (size_t)(hh & (cap - 1));
      while (slots[i].hash && !(slots[i].hash == hh && slots[i].len == one.len && !memcmp(keybuf.data + slots[i].off, one.data, one.len)))
        i = (i + 1) & (cap - 1);
      if (!slots[i].hash) {
        slots[i] = (slot_t){hh, (uint32_t)keybuf.len, (uint32_t)one.len, (uint32_t)b, r, h->seq[b]};
        if (buf_append(&keybuf, one.data, one.len)) rc = oom(err);
      } else {
        (*dups)++;
        if (h->seq[b] >= slots[i].seq) slots[i].batch = (uint32_t)b, slots[i].row = r, slots[i].seq = h->seq[b];
      }
    }
  }
  for (size_t i = 0; i < cap && !rc; i++) {
    if (!slots[i].hash) continue;
    sel[slots[i].batch][slots[i].row >> 3] |= (uint8_t)(1u << (slots[i].row & 7));
    kept[slots[i].batch]++;
  }
  free(slots);
  buf_release(&keybuf);
  buf_release(&tmp);
  buf_release(&one);
  return rc;
}

/* ---- sorting the group (fast path) ------------------------------------------------------------------- */
/* A one-field sort order whose key is an integer (int, long, date, time, timestamps, or a transform
 * giving one) is sorted here on 64-bit keys, far cheaper than the append's general comparator; the
 * rows then reach the append in order (its own sort is skipped). Other orders: the append sorts. */
typedef struct sort_entry {
  int64_t key;
  uint32_t chunk;
  uint32_t row;
} sort_entry_t;

/* LSD radix sort on the keys (as unsigned: sign bit flipped), 11 bits a pass, passes whose digit is
 * the same for every key skipped; stable, so ties keep the input order (older data first). */
static int radix_sort(sort_entry_t *e, size_t n, prestige_error_t *err) {
  if (n < 2) return 0;
  sort_entry_t *tmp = malloc(n * sizeof(*tmp));
  size_t *count = malloc(2048 * sizeof(size_t));
  if (!tmp || !count) {
    free(tmp), free(count);
    return oom(err);
  }
  sort_entry_t *src = e, *dst = tmp;
  for (int pass = 0; pass < 6; pass++) {
    int shift = pass * 11;
    memset(count, 0, 2048 * sizeof(size_t));
    for (size_t i = 0; i < n; i++) count[(((uint64_t)src[i].key ^ (1ULL << 63)) >> shift) & 0x7ff]++;
    bool one = false;
    for (size_t d = 0; d < 2048 && !one; d++) one = count[d] == n;
    if (one) continue;
    size_t sum = 0;
    for (size_t d = 0; d < 2048; d++) {
      size_t c = count[d];
      count[d] = sum;
      sum += c;
    }
    for (size_t i = 0; i < n; i++) dst[count[(((uint64_t)src[i].key ^ (1ULL << 63)) >> shift) & 0x7ff]++] = src[i];
    sort_entry_t *t = src;
    src = dst;
    dst = t;
  }
  if (src != e) memcpy(e, src, n * sizeof(*e));
  free(tmp);
  free(count);
  return 0;
}

/* Natural merge: when the entries are a few non-decreasing runs (the input files were written
 * sorted by the same order, as an append to a sorted table writes them), a loser-tree merge of
 * the runs replaces the radix sort; ties go to the earlier run (stable, as the radix sort).
 * Returns 1 when it did not apply (too many runs), 0 when sorted. */
#define MERGE_MAX_RUNS 4096

typedef struct runs {
  const sort_entry_t *e;
  size_t *pos, *end;
  int64_t *key; /* the head of each run (INT64_MAX when done, then done[] tells) */
  uint8_t *done;
} runs_t;

static inline bool run_less(const runs_t *r, size_t a, size_t b) {
  int64_t ka = r->key[a], kb = r->key[b];
  if (ka != kb) return ka < kb;
  if (r->done[a] != r->done[b]) return r->done[b];
  return a < b;
}

/* *e may be replaced by another array (the old one freed). */
static int merge_runs(sort_entry_t **ep, size_t n, prestige_error_t *err) {
  sort_entry_t *e = *ep;
  if (n < 2) return 0;
  size_t k = 1;
  for (size_t i = 1; i < n; i++)
    if (e[i].key < e[i - 1].key && ++k > MERGE_MAX_RUNS) return 1;
  if (k == 1) return 0; /* sorted already */
  size_t K = 1;
  while (K < k) K <<= 1;
  runs_t r = {e, calloc(K, sizeof(size_t)), calloc(K, sizeof(size_t)), malloc(K * sizeof(int64_t)), malloc(K)};
  size_t *w = malloc(2 * K * sizeof(size_t)), *win = malloc(2 * K * sizeof(size_t));
  sort_entry_t *out = malloc(n * sizeof(*out));
  if (!r.pos || !r.end || !r.key || !r.done || !w || !win || !out) {
    free(r.pos), free(r.end), free(r.key), free(r.done), free(w), free(win), free(out);
    return oom(err);
  }
  size_t ri = 0;
  for (size_t i = 1; i < n; i++)
    if (e[i].key < e[i - 1].key) r.end[ri] = i, r.pos[++ri] = i;
  r.end[ri] = n;
  for (size_t i = 0; i < K; i++) {
    r.done[i] = i >= k;
    r.key[i] = i < k ? e[r.pos[i]].key : INT64_MAX;
  }
  /* w[1..K-1]: the loser of each match (leaves are K + run) */
  for (size_t i = 0; i < K; i++) win[K + i] = i;
  for (size_t x = K - 1; x >= 1; x--) {
    size_t a = win[2 * x], b = win[2 * x + 1];
    if (run_less(&r, b, a)) win[x] = b, w[x] = a;
    else win[x] = a, w[x] = b;
  }
  size_t cur = win[1];
  for (size_t o = 0; o < n; o++) {
    size_t p = r.pos[cur]++;
    out[o] = e[p];
    if (p + 1 < r.end[cur]) r.key[cur] = e[p + 1].key;
    else r.key[cur] = INT64_MAX, r.done[cur] = 1;
    for (size_t x = (K + cur) >> 1; x >= 1; x >>= 1)
      if (run_less(&r, w[x], cur)) {
        size_t t = w[x];
        w[x] = cur;
        cur = t;
      }
  }
  free(e);
  *ep = out;
  free(w), free(win), free(r.pos), free(r.end), free(r.key), free(r.done);
  return 0;
}

static bool int_like(ice_type_id_t id) {
  return id == ICE_INT || id == ICE_LONG || id == ICE_DATE || id == ICE_TIME || id == ICE_TIMESTAMP || id == ICE_TIMESTAMPTZ ||
         id == ICE_TIMESTAMP_NS || id == ICE_TIMESTAMPTZ_NS;
}

typedef struct fast_sort {
  const ice_sort_field_t *f;
  ice_col_path_t col;
  ice_type_t result;
} fast_sort_t;

static bool fast_sort_plan(const ice_sort_order_t *order, const ice_schema_t *schema, fast_sort_t *fs) {
  if (!order || order->n_fields != 1 || order->fields[0].source_ids) return false;
  fs->f = &order->fields[0];
  if (ice_col_path_find(schema, fs->f->source_id, &fs->col, NULL) || fs->col.depth != 1) return false;
  if (ice_transform_result_type(&fs->f->transform, fs->col.type, &fs->result, NULL)) return false;
  return int_like(fs->col.type->id) && int_like(fs->result.id);
}

static int64_t as_i64(ice_type_id_t id, const ice_value_t *v) { return id == ICE_INT || id == ICE_DATE ? v->v.i32 : v->v.i64; }

/* Sorted runs merged straight from the batches read: when the sort key is the column itself
 * (identity, no nulls) and the rows read are a few non-decreasing runs in key order (files
 * written sorted by this order: every file an append to the table wrote), a loser-tree merge of
 * the runs makes the take slices directly; no per-row sort entries are built (on a 10M-row group
 * those were 160 MB of fresh memory twice, whose page faults cost more than the sort itself).
 * Returns 1 (nothing written) when it does not apply. */
typedef struct mcur {
  uint32_t b, eb; /* batch now, batch of the end */
  int64_t r, er;  /* row now, row of the end */
} mcur_t;

typedef struct merge {
  const held_t *h;
  uint8_t *const *sel;
  const void **base; /* per batch: the key values at the batch's row 0 */
  bool narrow, desc;
  mcur_t *c;
  int64_t *key;
  uint8_t *done;
} merge_t;

static inline int64_t mkey(const merge_t *m, uint32_t b, int64_t r) {
  int64_t k = m->narrow ? ((const int32_t *)m->base[b])[r] : ((const int64_t *)m->base[b])[r];
  return m->desc ? (k == INT64_MIN ? INT64_MAX : -k) : k;
}

static inline bool msel(const merge_t *m, uint32_t b, int64_t r) { return !m->sel || (m->sel[b][r >> 3] & (1u << (r & 7))); }

/* The next selected row at or after (b, r), or (n, 0). */
static inline void mnext(const merge_t *m, uint32_t *b, int64_t *r) {
  while (*b < m->h->n) {
    if (*r >= m->h->b[*b].length) {
      (*b)++, *r = 0;
      continue;
    }
    if (msel(m, *b, *r)) return;
    (*r)++;
  }
  *r = 0;
}

/* (key, done, run) ordered, without branches (the keys of random runs defeat prediction). */
static inline bool mless(const merge_t *m, size_t a, size_t b) {
  int64_t ka = m->key[a], kb = m->key[b];
  unsigned da = m->done[a], db = m->done[b];
  return (ka < kb) | ((ka == kb) & ((da < db) | ((da == db) & (a < b))));
}

static inline void mload(merge_t *m, size_t i) {
  mcur_t *c = &m->c[i];
  if (c->b == c->eb && c->r == c->er) m->key[i] = INT64_MAX, m->done[i] = 1;
  else m->key[i] = mkey(m, c->b, c->r);
}

/* The take + write half of write_merged on a thread of its own, fed ref slices: the merge makes
 * the next slice while this one is gathered and encoded. Three slices rotate: the one being
 * filled, the one handed over (pending), the one being written. */
#define PIPE_SLICE 65536

typedef struct wpipe {
  ice_append_t *ap;
  const struct ArrowSchema *schema;
  const struct ArrowArray **chunks;
  size_t n_chunks;
  ice_row_ref_t *buf[3];
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int pending;      /* -1: none */
  int64_t pending_n;
  bool closed;
  int rc;
  prestige_error_t err;
} wpipe_t;

static int take_write(wpipe_t *w, const ice_row_ref_t *refs, int64_t n, prestige_error_t *err) {
  struct ArrowArray out;
  PRESTIGE_TRY(ice_arrow_take(w->schema, w->chunks, w->n_chunks, refs, n, &out, err));
  return ice_append_write(w->ap, w->schema, &out, err);
}

static void *pipe_worker(void *arg) {
  wpipe_t *w = arg;
  for (;;) {
    pthread_mutex_lock(&w->mu);
    while (w->pending < 0 && !w->closed) pthread_cond_wait(&w->cv, &w->mu);
    if (w->pending < 0) {
      pthread_mutex_unlock(&w->mu);
      return NULL;
    }
    int i = w->pending;
    int64_t n = w->pending_n;
    w->pending = -1;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    prestige_error_t e;
    prestige_error_init(&e);
    int rc = take_write(w, w->buf[i], n, &e);
    if (rc) {
      pthread_mutex_lock(&w->mu);
      w->rc = rc, w->err = e;
      pthread_cond_broadcast(&w->cv);
      pthread_mutex_unlock(&w->mu);
      return NULL;
    }
  }
}

/* Hands slice i (n refs) over; non-zero when the writer failed. */
static int pipe_hand(wpipe_t *w, int i, int64_t n) {
  pthread_mutex_lock(&w->mu);
  while (w->pending >= 0 && !w->rc) pthread_cond_wait(&w->cv, &w->mu);
  if (!w->rc) {
    w->pending = i, w->pending_n = n;
    pthread_cond_broadcast(&w->cv);
  }
  int rc = w->rc;
  pthread_mutex_unlock(&w->mu);
  return rc;
}

static int write_merged(ice_append_t *ap, const struct ArrowSchema *schema, held_t *h, uint8_t **sel, const fast_sort_t *fs,
                        prestige_error_t *err) {
  if (fs->f->transform.kind != ICE_T_IDENTITY || h->n == 0 || h->n > UINT32_MAX - 1) return 1;
  merge_t m;
  memset(&m, 0, sizeof m);
  m.h = h, m.sel = sel;
  m.narrow = fs->col.type->id == ICE_INT || fs->col.type->id == ICE_DATE;
  m.desc = fs->f->direction == ICE_SORT_DESC;
  if (!(m.base = malloc(h->n * sizeof(*m.base)))) return oom(err);
  for (size_t b = 0; b < h->n; b++) {
    const struct ArrowArray *col = h->b[b].children[fs->col.idx[0]];
    int64_t off = col->offset + h->b[b].offset;
    bool nulls = col->null_count > 0;
    if (col->null_count < 0 && col->n_buffers >= 1 && col->buffers[0]) { /* not known: count */
      const uint8_t *v = col->buffers[0];
      for (int64_t i = 0; i < h->b[b].length && !nulls; i++) nulls = !(v[(off + i) >> 3] & (1u << ((off + i) & 7)));
    }
    if (nulls || col->n_buffers < 2 || !col->buffers[1]) { /* nulls: the general path */
      free(m.base);
      return 1;
    }
    m.base[b] = m.narrow ? (const void *)((const int32_t *)col->buffers[1] + off) : (const void *)((const int64_t *)col->buffers[1] + off);
  }
  /* the runs: where the key goes down */
  size_t k = 0, cap = 64;
  m.c = malloc(cap * sizeof(*m.c));
  if (!m.c) {
    free(m.base);
    return oom(err);
  }
  uint32_t b = 0;
  int64_t r = 0, prev = 0;
  bool first = true;
  for (mnext(&m, &b, &r); b < h->n; r++, mnext(&m, &b, &r)) {
    int64_t key = mkey(&m, b, r);
    if (first || key < prev) {
      if (k == MERGE_MAX_RUNS) {
        free(m.c), free(m.base);
        return 1;
      }
      if (k == cap) {
        mcur_t *g = realloc(m.c, (cap *= 2) * sizeof(*g));
        if (!g) {
          free(m.c), free(m.base);
          return oom(err);
        }
        m.c = g;
      }
      if (k) m.c[k - 1].eb = b, m.c[k - 1].er = r;
      m.c[k++] = (mcur_t){b, 0, r, 0};
      first = false;
    }
    prev = key;
  }
  if (k) m.c[k - 1].eb = (uint32_t)h->n, m.c[k - 1].er = 0;
  size_t K = 1;
  while (K < k) K <<= 1;
  size_t *w = malloc(2 * K * sizeof(size_t)), *win = malloc(2 * K * sizeof(size_t));
  m.key = malloc(K * sizeof(int64_t));
  m.done = calloc(K, 1);
  wpipe_t p;
  memset(&p, 0, sizeof p);
  p.ap = ap, p.schema = schema, p.n_chunks = h->n, p.pending = -1;
  p.chunks = malloc(h->n * sizeof(*p.chunks));
  for (int i = 0; i < 3; i++) p.buf[i] = malloc(PIPE_SLICE * sizeof(ice_row_ref_t));
  int rc = w && win && m.key && m.done && p.chunks && p.buf[0] && p.buf[1] && p.buf[2] ? 0 : oom(err);
  for (size_t i = 0; !rc && i < h->n; i++) p.chunks[i] = &h->b[i];
  for (size_t i = 0; !rc && i < K; i++) {
    if (i < k) mload(&m, i);
    else m.key[i] = INT64_MAX, m.done[i] = 1;
    win[K + i] = i;
  }
  for (size_t x = K - 1; !rc && x >= 1; x--) {
    size_t a = win[2 * x], c = win[2 * x + 1];
    if (mless(&m, c, a)) win[x] = c, w[x] = a;
    else win[x] = a, w[x] = c;
  }
  pthread_mutex_init(&p.mu, NULL);
  pthread_cond_init(&p.cv, NULL);
  pthread_t th;
  bool threaded = !rc && pthread_create(&th, NULL, pipe_worker, &p) == 0;
  size_t cur = rc || !k ? 0 : win[1];
  int fill = 0;
  ice_row_ref_t *refs = p.buf[0];
  int64_t n_out = 0;
  while (!rc && k && !m.done[cur]) {
    mcur_t *c = &m.c[cur];
    refs[n_out++] = (ice_row_ref_t){c->b, c->r};
    c->r++;
    mnext(&m, &c->b, &c->r);
    if (c->b >= c->eb && !(c->b == c->eb && c->r < c->er)) c->b = c->eb, c->r = c->er;
    mload(&m, cur);
    for (size_t x = (K + cur) >> 1; x >= 1; x >>= 1) {
      size_t o = w[x];
      bool sw = mless(&m, o, cur);
      w[x] = sw ? cur : o;
      cur = sw ? o : cur;
    }
    if (n_out == PIPE_SLICE || m.done[cur]) {
      if (threaded) {
        rc = pipe_hand(&p, fill, n_out);
        fill = (fill + 1) % 3;
        refs = p.buf[fill];
      } else {
        rc = take_write(&p, refs, n_out, err);
      }
      n_out = 0;
    }
  }
  if (threaded) {
    pthread_mutex_lock(&p.mu);
    while (p.pending >= 0 && !p.rc) pthread_cond_wait(&p.cv, &p.mu);
    p.closed = true;
    pthread_cond_broadcast(&p.cv);
    pthread_mutex_unlock(&p.mu);
    pthread_join(th, NULL);
    if (p.rc) {
      rc = p.rc;
      if (err) *err = p.err;
    }
  }
  pthread_mutex_destroy(&p.mu);
  pthread_cond_destroy(&p.cv);
  for (int i = 0; i < 3; i++) free(p.buf[i]);
  free(p.chunks);
  free(w), free(win), free(m.key), free(m.done), free(m.c), free(m.base);
  return rc;
}

/* Writes the held rows (those selected, when sel) to the append in sort order. */
static int write_sorted(ice_append_t *ap, const struct ArrowSchema *schema, held_t *h, uint8_t **sel, const fast_sort_t *fs,
                        prestige_error_t *err) {
  int mrc = write_merged(ap, schema, h, sel, fs, err);
  if (mrc != 1) return mrc;
  size_t total = 0;
  for (size_t b = 0; b < h->n; b++) total += (size_t)h->b[b].length;
  sort_entry_t *e = malloc((total ? total : 1) * sizeof(*e));
  ice_row_ref_t *nulls = malloc((total ? total : 1) * sizeof(*nulls));
  if (!e || !nulls) {
    free(e), free(nulls);
    return oom(err);
  }
  size_t n = 0, n_null = 0;
  bool desc = fs->f->direction == ICE_SORT_DESC;
  bool identity = fs->f->transform.kind == ICE_T_IDENTITY;
  bool narrow = fs->col.type->id == ICE_INT || fs->col.type->id == ICE_DATE;
  int rc = 0;
  for (size_t b = 0; b < h->n && !rc; b++) {
    const struct ArrowArray *c = &h->b[b];
    for (int64_t r = 0; r < c->length && !rc; r++) {
      if (sel && !(sel[b][r >> 3] & (1u << (r & 7)))) continue;
      ice_value_t v, t;
      if (identity) { /* the column's buffer, read directly */
        const struct ArrowArray *col = c->children[fs->col.idx[0]];
        int64_t at = col->offset + c->offset + r;
        const uint8_t *valid = col->null_count ? col->buffers[0] : NULL;
        if (valid && !(valid[at >> 3] & (1u << (at & 7)))) {
          nulls[n_null++] = (ice_row_ref_t){(uint32_t)b, r};
          continue;
        }
        int64_t k = narrow ? ((const int32_t *)col->buffers[1])[at] : ((const int64_t *)col->buffers[1])[at];
        e[n++] = (sort_entry_t){desc ? (k == INT64_MIN ? INT64_MAX : -k) : k, (uint32_t)b, (uint32_t)r};
        continue;
      }
      ice_col_value(&fs->col, c, r, &v);
      if (!v.is_null && !identity) {
        rc = ice_transform_apply(&fs->f->transform, fs->col.type, &v, &t, err);
        v = t;
      }
      if (v.is_null) {
        nulls[n_null++] = (ice_row_ref_t){(uint32_t)b, r};
        continue;
      }
      int64_t k = as_i64(identity ? fs->col.type->id : fs->result.id, &v);
      e[n++] = (sort_entry_t){desc ? (k == INT64_MIN ? INT64_MAX : -k) : k, (uint32_t)b, (uint32_t)r};
    }
  }
  if (!rc && (rc = merge_runs(&e, n, err)) == 1) rc = radix_sort(e, n, err);
  /* out in slices: nulls first or last as the order says */
  const struct ArrowArray **chunks = malloc((h->n ? h->n : 1) * sizeof(*chunks));
  enum { SLICE = 65536 };
  ice_row_ref_t *refs = malloc(SLICE * sizeof(*refs));
  if (!rc && (!chunks || !refs)) rc = oom(err);
  for (size_t b = 0; !rc && b < h->n; b++) chunks[b] = &h->b[b];
  bool nulls_first = fs->f->null_order != ICE_NULLS_LAST;
  size_t order_n = n + n_null;
  for (size_t at = 0; at < order_n && !rc;) {
    size_t m = 0;
    for (; m < SLICE && at < order_n; m++, at++) {
      size_t i = at;
      if (nulls_first) refs[m] = i < n_null ? nulls[i] : (ice_row_ref_t){e[i - n_null].chunk, e[i - n_null].row};
      else refs[m] = i < n ? (ice_row_ref_t){e[i].chunk, e[i].row} : nulls[i - n];
    }
    struct ArrowArray out;
    rc = ice_arrow_take(schema, chunks, h->n, refs, (int64_t)m, &out, err);
    if (!rc) rc = ice_append_write(ap, schema, &out, err);
  }
  free(chunks), free(refs), free(e), free(nulls);
  return rc;
}

/* ---- reading a group's files on a few threads ---------------------------------------------------------- */
#define COMPACT_READ_THREADS 4

typedef int (*read_task_fn)(ice_io_t *io, ice_scan_plan_t *plan, size_t task, int64_t batch_rows, ice_task_batch_fn fn, void *user,
                            prestige_error_t *err);

typedef struct par_read {
  read_task_fn read;
  ice_io_t *io;
  ice_scan_plan_t *plan;
  const size_t *tasks;
  size_t n;
  held_t *per_task;
  pthread_mutex_t mu;
  size_t next;
  int rc;
  prestige_error_t err;
} par_read_t;

static void *par_worker(void *arg) {
  par_read_t *p = arg;
  for (;;) {
    pthread_mutex_lock(&p->mu);
    size_t i = p->rc ? p->n : p->next++;
    pthread_mutex_unlock(&p->mu);
    if (i >= p->n) return NULL;
    held_t *h = &p->per_task[i];
    h->cur_seq = p->plan->tasks[p->tasks[i]].data_sequence_number;
    prestige_error_t e;
    prestige_error_init(&e);
    int rc = p->read(p->io, p->plan, p->tasks[i], 0, hold_batch, h, &e);
    if (rc) {
      pthread_mutex_lock(&p->mu);
      if (!p->rc) p->rc = rc, p->err = e;
      pthread_mutex_unlock(&p->mu);
    }
  }
}

static int read_parallel(read_task_fn read, ice_io_t *io, ice_scan_plan_t *plan, const size_t *tasks, size_t n, held_t *out,
                         prestige_error_t *err) {
  par_read_t p;
  memset(&p, 0, sizeof p);
  p.read = read;
  p.io = io, p.plan = plan, p.tasks = tasks, p.n = n;
  p.per_task = calloc(n ? n : 1, sizeof(held_t));
  if (!p.per_task) return oom(err);
  pthread_mutex_init(&p.mu, NULL);
  pthread_t th[COMPACT_READ_THREADS];
  int nth = 0;
  for (int i = 0; i < COMPACT_READ_THREADS && (size_t)i < n; i++)
    if (pthread_create(&th[nth], NULL, par_worker, &p) == 0) nth++;
  if (nth == 0 && n) par_worker(&p);
  for (int i = 0; i < nth; i++) pthread_join(th[i], NULL);
  pthread_mutex_destroy(&p.mu);
  int rc = p.rc;
  if (rc && err) *err = p.err;
  size_t total = 0;
  for (size_t i = 0; i < n; i++) total += p.per_task[i].n;
  out->b = malloc((total ? total : 1) * sizeof(*out->b));
  out->seq = malloc((total ? total : 1) * sizeof(*out->seq));
  if (!rc && (!out->b || !out->seq)) rc = oom(err);
  out->n = 0;
  out->cap = total;
  for (size_t i = 0; i < n; i++) {
    held_t *h = &p.per_task[i];
    for (size_t b = 0; b < h->n; b++) {
      if (!rc) {
        out->b[out->n] = h->b[b];
        out->seq[out->n++] = h->seq[b];
      } else {
        h->b[b].release(&h->b[b]);
      }
    }
    free(h->b), free(h->seq);
  }
  free(p.per_task);
  return rc;
}

/* in: the schema of the batches read (plan->out, plus the row lineage columns on V3 tables). */
static int rewrite_group(ice_io_t *io, ice_scan_plan_t *plan, group_t *g, const ice_table_metadata_t *md,
                         const ice_compact_options_t *o, const struct ArrowSchema *in, prestige_error_t *err) {
  bool dedup_rows = o->dedup;
  read_task_fn read = in != &plan->out ? ice_scan_read_task_lineage : ice_scan_read_task;
  held_t h;
  memset(&h, 0, sizeof h);
  int rc = 0;
  fast_sort_t fs;
  bool fast = fast_sort_plan(ice_metadata_default_sort_order(md), plan->schema, &fs);
  if (fast) g->append->sorted = false; /* rows arrive sorted */
  /* oldest data first, so a later (higher sequence number) row wins ties in order */
  for (size_t i = 1; i < g->n; i++)
    for (size_t k = i; k > 0 && plan->tasks[g->tasks[k]].data_sequence_number < plan->tasks[g->tasks[k - 1]].data_sequence_number; k--) {
      size_t t = g->tasks[k];
      g->tasks[k] = g->tasks[k - 1];
      g->tasks[k - 1] = t;
    }
  if (dedup_rows || fast) {
    /* everything is held anyway: read the files on a few threads, then line the batches up in task order */
    for (size_t i = 0; i < g->n; i++) g->bytes_read += plan->tasks[g->tasks[i]].file.file_size_in_bytes;
    rc = read_parallel(read, io, plan, g->tasks, g->n, &h, err);
    for (size_t b = 0; b < h.n; b++) g->rows_read += h.b[b].length;
    if (!rc) rc = stopped(o, err);
  }
  for (size_t i = 0; i < g->n && !rc && !(dedup_rows || fast); i++) {
    if ((rc = stopped(o, err))) break;
    const ice_scan_task_t *t = &plan->tasks[g->tasks[i]];
    h.cur_seq = t->data_sequence_number;
    g->bytes_read += t->file.file_size_in_bytes;
    size_t before = h.n;
    rc = read(io, plan, g->tasks[i], 0, hold_batch, &h, err);
    for (size_t b = before; b < h.n; b++) g->rows_read += h.b[b].length;
    /* the rows go out as they come */
    for (size_t b = before; b < h.n && !rc; b++) {
      rc = ice_append_write(g->append, in, &h.b[b], err);
      h.b[b].release = NULL;
    }
    h.n = before;
  }
  const ice_schema_t *schema = plan->schema;
  if (!rc && dedup_rows) {
    if (!schema->n_identifier_ids) {
      rc = prestige_error_set(err, PRESTIGE_EINVAL, "compaction with dedup needs identifier fields, and the table's schema has none");
    } else {
      ice_col_path_t *keys = calloc(schema->n_identifier_ids, sizeof(*keys));
      uint8_t **sel = calloc(h.n + 1, sizeof(*sel));
      int64_t *kept = calloc(h.n + 1, sizeof(*kept));
      if (!keys || !sel || !kept) rc = oom(err);
      for (size_t k = 0; !rc && k < schema->n_identifier_ids; k++) rc = ice_col_path_find(schema, schema->identifier_ids[k], &keys[k], err);
      for (size_t b = 0; !rc && b < h.n; b++)
        if (!(sel[b] = calloc((size_t)(h.b[b].length + 7) / 8 + 1, 1))) rc = oom(err);
      if (!rc) rc = dedup(&h, keys, schema->n_identifier_ids, sel, kept, &g->dups, err);
      if (!rc && fast) rc = write_sorted(g->append, in, &h, sel, &fs, err);
      for (size_t b = 0; !rc && !fast && b < h.n; b++) {
        if (kept[b] == h.b[b].length) {
          rc = ice_append_write(g->append, in, &h.b[b], err);
        } else if (kept[b]) {
          struct ArrowArray f;
          rc = prestige_array_filter(&h.b[b], in, sel[b], kept[b], &f, err);
          h.b[b].release(&h.b[b]);
          if (!rc) rc = ice_append_write(g->append, in, &f, err);
        } else {
          h.b[b].release(&h.b[b]);
        }
        h.b[b].release = NULL;
      }
      for (size_t b = 0; sel && b < h.n; b++) free(sel[b]);
      free(sel), free(kept), free(keys);
    }
  }
  if (!rc && fast && !dedup_rows) rc = write_sorted(g->append, in, &h, NULL, &fs, err);
  for (size_t b = 0; b < h.n; b++)
    if (h.b[b].release) h.b[b].release(&h.b[b]);
  free(h.b), free(h.seq);
  if (!rc) rc = ice_append_finish_files(g->append, err);
  (void)md;
  return rc;
}

/* ---- the operation -------------------------------------------------------------------------------------- */
/* Keys of the partitions whose groups conflicted (malloc'd copies), for the re-plan. */
typedef struct keys {
  char **k;
  size_t n;
} keys_t;

static void keys_release(keys_t *k) {
  for (size_t i = 0; i < k->n; i++) free(k->k[i]);
  free(k->k);
  k->k = NULL, k->n = 0;
}

static int keys_add(keys_t *k, const char *key) {
  for (size_t i = 0; i < k->n; i++)
    if (!strcmp(k->k[i], key)) return 0;
  char **g = realloc(k->k, (k->n + 1) * sizeof(*g));
  if (!g) return PRESTIGE_ENOMEM;
  k->k = g;
  if (!(g[k->n] = strdup(key))) return PRESTIGE_ENOMEM;
  k->n++;
  return 0;
}

/* One round: plan on table, rewrite, commit; the partitions of the groups that conflicted go to
 * *conflicted. */
static int compact_round(ice_catalog_t *catalog, const ice_ident_t *ident, ice_io_t *io, ice_loaded_table_t *table,
                         const ice_compact_options_t *o, ice_compact_result_t *res, keys_t *conflicted, prestige_error_t *err) {
  memset(res, 0, sizeof(*res));
  res->snapshot_id = -1;
  ice_compact_options_t dflt = ICE_COMPACT_OPTIONS_INIT;
  if (!o) o = &dflt;
  const char *name = o->what ? o->what : "table";
  char what[512];
  snprintf(what, sizeof what, "compaction of %s", name);
  const ice_table_metadata_t *md = table->metadata;
  if (o->target_file_size_bytes < 0 || o->min_files < 0 || o->max_group_bytes < 0)
    return prestige_error_set(err, PRESTIGE_EINVAL, "%s: target_file_size_bytes, min_files and max_group_bytes must not be negative", what);
  int64_t target = o->target_file_size_bytes > 0 ? o->target_file_size_bytes : prop_i64(md, "write.target-file-size-bytes", 512LL << 20);
  int min_files = o->min_files > 0 ? o->min_files : 5;
  int64_t max_group = o->max_group_bytes > 0 ? o->max_group_bytes : target * 10;
  prestige_parquet_writer_options_t wo;
  bool custom_writer = o->compression != NULL;
  if (custom_writer) {
    prestige_parquet_writer_options_init(&wo);
    prestige_compression_t c;
    if (prestige_compression_parse(o->compression, &c, NULL))
      return prestige_error_set(err, PRESTIGE_EINVAL, "%s: unknown compression \"%s\"", what, o->compression);
    wo.compression = c;
    wo.row_group_bytes = prop_i64(md, "write.parquet.row-group-size-bytes", 128LL << 20);
    if (!ice_metadata_property(md, "write.parquet.row-group-size-bytes", NULL)) wo.row_group_rows = ICE_ROW_GROUP_ROWS;
  }
  if (md->format_version < 2) return prestige_error_set(err, PRESTIGE_EUNSUPPORTED, "%s: format version 1 tables are read-only", what);
  ice_scan_options_t so = ICE_SCAN_OPTIONS_INIT;
  ice_scan_plan_t *plan = NULL;
  PRESTIGE_TRY(ice_scan_plan(io, md, name, &so, &plan, err));
  int64_t base_id = plan->snapshot_id == ICE_SCAN_NONE ? -1 : plan->snapshot_id;
  /* V3: the rows keep their row lineage, written explicitly */
  bool lineage = md->format_version >= 3;
  struct ArrowSchema lin;
  memset(&lin, 0, sizeof lin);
  if (lineage && ice_lineage_schema(&plan->out, &lin, err)) {
    ice_scan_plan_free(plan);
    return PRESTIGE_ENOMEM;
  }
  part_t *parts = calloc(plan->n_tasks + 1, sizeof(*parts));
  group_t *groups = calloc(plan->n_tasks + 1, sizeof(*groups));
  ice_rewrite_group_t *rg = calloc(plan->n_tasks + 1, sizeof(*rg));
  size_t *order = calloc(plan->n_tasks + 1, sizeof(size_t));
  size_t n_parts = 0, n_groups = 0;
  buf_t key = BUF_INIT;
  int rc = parts && groups && rg && order ? 0 : oom(err);
  for (size_t t = 0; t < plan->n_tasks && !rc; t++) {
    const ice_scan_task_t *task = &plan->tasks[t];
    bool small = task->file.file_size_in_bytes < target * 3 / 4;
    if (!small && !task->n_deletes && !o->dedup) continue;
    if ((rc = ice_partition_key(md, &task->file, &key, err))) break;
    if (o->partitions) {
      bool wanted = false;
      for (size_t i = 0; i < o->n_partitions && !wanted; i++) wanted = !strcmp(o->partitions[i], (const char *)key.data);
      if (!wanted) continue;
    }
    part_t *p = NULL;
    for (size_t i = 0; i < n_parts && !p; i++)
      if (!strcmp(parts[i].key, (const char *)key.data)) p = &parts[i];
    if (!p) {
      p = &parts[n_parts++];
      if (!(p->key = strdup((const char *)key.data))) rc = oom(err);
    }
    if (!rc) rc = part_add(p, t, err);
    p->any_deletes |= task->n_deletes > 0;
    p->bytes += task->file.file_size_in_bytes;
  }
  /* bin-pack each partition's candidates (first fit by size, largest first) */
  for (size_t pi = 0; pi < n_parts && !rc; pi++) {
    part_t *p = &parts[pi];
    if ((int)p->n < min_files && !p->any_deletes && !(o->dedup && p->n > 1)) continue;
    if (o->dedup && p->n > 1 && p->bytes > max_group) { /* split groups would keep duplicates across them */
      rc = prestige_error_set(err, PRESTIGE_EINVAL,
                              "%s: partition \"%s\" holds %lld bytes of data files, more than max_group_bytes (%lld); "
                              "deduplication reads a partition as one group, so it cannot dedup this partition: raise "
                              "max_group_bytes or compact it without dedup",
                              what, p->key, (long long)p->bytes, (long long)max_group);
      break;
    }
    for (size_t i = 1; i < p->n; i++)
      for (size_t k = i; k > 0 && plan->tasks[p->tasks[k]].file.file_size_in_bytes > plan->tasks[p->tasks[k - 1]].file.file_size_in_bytes; k--) {
        size_t x = p->tasks[k];
        p->tasks[k] = p->tasks[k - 1];
        p->tasks[k - 1] = x;
      }
    size_t first = n_groups;
    int64_t *gbytes = calloc(p->n + 1, sizeof(int64_t));
    if (!gbytes) {
      rc = oom(err);
      break;
    }
    for (size_t i = 0; i < p->n && !rc; i++) {
      int64_t sz = plan->tasks[p->tasks[i]].file.file_size_in_bytes;
      size_t gi = n_groups;
      for (size_t k = first; k < n_groups && gi == n_groups; k++)
        if (gbytes[k - first] + sz <= max_group) gi = k;
      if (gi == n_groups) {
        groups[n_groups].tasks = calloc(p->n, sizeof(size_t));
        groups[n_groups].key = p->key;
        if (!groups[n_groups].tasks) rc = oom(err);
        n_groups++;
      }
      if (!rc) {
        groups[gi].tasks[groups[gi].n++] = p->tasks[i];
        gbytes[gi - first] += sz;
      }
    }
    free(gbytes);
  }
  /* rewrite every group */
  ice_append_options_t ao = ICE_APPEND_OPTIONS_INIT;
  ao.target_file_size_bytes = target;
  ao.writer = custom_writer ? &wo : NULL;
  for (size_t gi = 0; gi < n_groups && !rc; gi++) {
    group_t *g = &groups[gi];
    if ((rc = stopped(o, err))) break;
    rc = ice_append_new(&g->append, catalog, ident, io, table, &ao, err);
    if (!rc && lineage) rc = ice_append_keep_lineage(g->append, err);
    if (!rc) rc = rewrite_group(io, plan, g, md, o, lineage ? &lin : &plan->out, err);
    if (rc) break;
    g->remove = calloc(g->n + 1, sizeof(char *));
    if (!g->remove) {
      rc = oom(err);
      break;
    }
    for (size_t i = 0; i < g->n; i++) g->remove[i] = plan->tasks[g->tasks[i]].file.file_path;
    rg[gi].remove = g->remove;
    rg[gi].n_remove = g->n;
    rg[gi].add_data = g->append->files;
    rg[gi].n_add_data = g->append->n_files;
    rg[gi].no_new_deletes = true;
  }
  res->groups = (int64_t)n_groups;
  if (!rc && n_groups) rc = stopped(o, err); /* the last moment: after it the commit runs to its end */
  if (!rc && n_groups) {
    ice_rewrite_options_t ro = ICE_REWRITE_OPTIONS_INIT;
    ro.operation = "replace";
    ro.base_snapshot_id = base_id;
    ro.remove_dangling_deletes = true;
    ro.drop_conflicting_groups = true;
    ro.what = what;
    ice_rewrite_result_t rr;
    rc = ice_rewrite_commit(catalog, ident, io, table, rg, n_groups, &ro, &rr, err);
    res->attempts = rr.attempts;
    if (!rc) {
      res->snapshot_id = rr.snapshot_id;
      res->delete_files_removed = rr.removed_delete_files;
      for (size_t gi = 0; gi < n_groups; gi++) {
        group_t *g = &groups[gi];
        if (!rr.group_ok[gi]) {
          res->groups_conflicted++;
          if (keys_add(conflicted, g->key)) rc = oom(err);
          continue;
        }
        g->append->committed = true; /* its files are the table's now */
        res->files_read += (int64_t)g->n;
        res->rows_read += g->rows_read;
        res->bytes_read += g->bytes_read;
        res->duplicates_eliminated += g->dups;
        res->files_written += (int64_t)g->append->n_files;
        res->rows_written += g->append->rows_written;
        for (size_t i = 0; i < g->append->n_files; i++) res->bytes_written += g->append->files[i].file_size_in_bytes;
      }
    } else if (rc == PRESTIGE_ECONFLICT) {
      res->groups_conflicted = (int64_t)n_groups;
      for (size_t gi = 0; gi < n_groups; gi++)
        if (keys_add(conflicted, groups[gi].key)) {
          rc = oom(err);
          break;
        }
    }
    bool unknown = rc == PRESTIGE_EUNKNOWN_STATE;
    for (size_t gi = 0; unknown && gi < n_groups; gi++) groups[gi].append->committed = true; /* keep: may be referenced */
    ice_rewrite_result_release(&rr);
  }
  for (size_t gi = 0; groups && gi < n_groups; gi++) {
    if (groups[gi].append) ice_append_free(groups[gi].append); /* uncommitted: its files are deleted */
    free(groups[gi].tasks);
    free(groups[gi].remove);
  }
  for (size_t pi = 0; parts && pi < n_parts; pi++) {
    free(parts[pi].key);
    free(parts[pi].tasks);
  }
  free(parts), free(groups), free(rg), free(order);
  buf_release(&key);
  if (lin.release) lin.release(&lin);
  ice_scan_plan_free(plan);
  return rc;
}

/* Groups that conflicted with a concurrent delete or compaction are re-planned from the table as
 * it is then (their partitions only) and retried, at most COMPACT_REPLANS times; a partition
 * still conflicting after that is given up (groups_abandoned). */
#define COMPACT_REPLANS 3

int ice_compact(ice_catalog_t *catalog, const ice_ident_t *ident, ice_io_t *io, ice_loaded_table_t *table,
                const ice_compact_options_t *o, ice_compact_result_t *res, prestige_error_t *err) {
  keys_t conflicted = {NULL, 0};
  int rc = compact_round(catalog, ident, io, table, o, res, &conflicted, err);
  bool landed = rc == 0 && res->snapshot_id >= 0;
  ice_compact_options_t dflt = ICE_COMPACT_OPTIONS_INIT;
  ice_compact_options_t again = o ? *o : dflt;
  for (int round = 1; round <= COMPACT_REPLANS && conflicted.n && (rc == 0 || rc == PRESTIGE_ECONFLICT); round++) {
    if (rc == PRESTIGE_ECONFLICT) { /* nothing landed: the table as it is now */
      ice_loaded_table_t fresh;
      prestige_error_t lerr;
      prestige_error_init(&lerr);
      if (catalog->ops->table_load(catalog, ident, &fresh, &lerr)) break; /* the conflict stays the error */
      ice_loaded_table_release(table);
      *table = fresh;
    }
    keys_t these = conflicted;
    conflicted = (keys_t){NULL, 0};
    again.partitions = (const char *const *)these.k;
    again.n_partitions = these.n;
    LOG_INFO("compaction of %s: re-planning %zu partition(s) after a conflict (round %d)", o && o->what ? o->what : "table",
             these.n, round);
    ice_compact_result_t r;
    prestige_error_t rerr;
    prestige_error_init(&rerr);
    rc = compact_round(catalog, ident, io, table, &again, &r, &conflicted, &rerr);
    keys_release(&these);
    res->replans++;
    res->attempts += r.attempts;
    res->groups += r.groups;
    res->groups_conflicted += r.groups_conflicted;
    if (rc && rc != PRESTIGE_ECONFLICT) {
      if (err) *err = rerr;
      break;
    }
    if (rc == 0 && r.snapshot_id >= 0) {
      landed = true;
      res->snapshot_id = r.snapshot_id;
      res->files_read += r.files_read, res->files_written += r.files_written;
      res->rows_read += r.rows_read, res->rows_written += r.rows_written;
      res->duplicates_eliminated += r.duplicates_eliminated;
      res->delete_files_removed += r.delete_files_removed;
      res->bytes_read += r.bytes_read, res->bytes_written += r.bytes_written;
    }
    if (rc == PRESTIGE_ECONFLICT && err) *err = rerr;
  }
  if (rc == 0 || rc == PRESTIGE_ECONFLICT) {
    res->groups_abandoned = (int64_t)conflicted.n;
    if (rc == PRESTIGE_ECONFLICT && landed) rc = 0; /* part of it landed */
  }
  keys_release(&conflicted);
  return rc;
}

/* ---- counting files per partition from the manifests ------------------------------------------------- */
void ice_partition_counts_free(ice_partition_count_t *c, size_t n) {
  for (size_t i = 0; c && i < n; i++) free(c[i].key);
  free(c);
}

static bool keep_live(void *u, const ice_manifest_entry_t *e) {
  (void)u;
  return e->status != ICE_ENTRY_DELETED;
}

int ice_count_partition_files(ice_io_t *io, const ice_table_metadata_t *md, ice_partition_count_t **out, size_t *n,
                              prestige_error_t *err) {
  *out = NULL;
  *n = 0;
  const ice_snapshot_t *s = ice_metadata_current_snapshot(md);
  if (!s) return 0;
  ice_manifest_file_t *mfs = NULL;
  size_t n_mfs = 0;
  PRESTIGE_TRY(ice_snapshot_manifests(io, s, &mfs, &n_mfs, err));
  ice_partition_count_t *c = NULL;
  size_t nc = 0, cap = 0;
  buf_t key = BUF_INIT;
  int rc = 0;
  for (size_t m = 0; m < n_mfs && !rc; m++) {
    if (!ice_manifest_file_has_live(&mfs[m])) continue;
    ice_manifest_t man;
    if ((rc = ice_manifest_read(io, &mfs[m], md, keep_live, NULL, &man, err))) break;
    for (size_t e = 0; e < man.n_entries && !rc; e++) {
      const ice_data_file_t *f = &man.entries[e].file;
      if ((rc = ice_partition_key(md, f, &key, err))) break;
      size_t i = 0;
      while (i < nc && strcmp(c[i].key, (const char *)key.data)) i++;
      if (i == nc) {
        if (nc == cap) {
          cap = cap ? cap * 2 : 16;
          ice_partition_count_t *g = realloc(c, cap * sizeof(*g));
          if (!g) {
            rc = oom(err);
            break;
          }
          c = g;
        }
        memset(&c[nc], 0, sizeof(c[nc]));
        if (!(c[nc].key = strdup((const char *)key.data))) {
          rc = oom(err);
          break;
        }
        nc++;
      }
      if (f->content == ICE_CONTENT_DATA) c[i].files++, c[i].bytes += f->file_size_in_bytes;
      else c[i].delete_files++;
    }
    ice_manifest_release(&man);
  }
  buf_release(&key);
  ice_manifest_files_free(mfs, n_mfs);
  if (rc) {
    ice_partition_counts_free(c, nc);
    return rc;
  }
  *out = c;
  *n = nc;
  return 0;
}
