/* Parquet reader, row groups: each top-level column read is one task (read its chunks, decode
 * them, assemble its Arrow array) run on the reader's pool or on the caller; the row group's
 * batch is then filtered and projected on the caller, in row group order. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parquet/reader_internal.h"

int rreader_read_at(prestige_parquet_reader_t *r, uint64_t off, void *dst, size_t len, prestige_error_t *err) {
  if (!r->pool) return r->in.read_at(r->in.ctx, off, dst, len, err);
  pthread_mutex_lock(&r->io_mu);
  int rc = r->in.read_at(r->in.ctx, off, dst, len, err);
  pthread_mutex_unlock(&r->io_mu);
  return rc;
}

typedef struct coltask {
  rgjob_t *j;
  int32_t k;             /* index into the columns read */
  int rc;
  prestige_error_t err;
  int64_t pages_skipped;
} coltask_t;

struct rgjob {
  prestige_parquet_reader_t *r;
  int32_t g;                 /* row group in the file */
  const pq_row_group_t *rg;
  rnode_t **rp;              /* the columns read */
  int32_t n_rp;
  rcolumn_t *cols;           /* by file column index */
  int8_t *spaced;
  arena_t ia;                /* page indexes read by the preparation (read-only for the tasks) */
  row_ranges_t keep;
  bool all_rows;
  pq_page_index_t *idx;
  int64_t out_rows;
  struct ArrowArray read;    /* children built by the tasks */
  coltask_t *tasks;
  workers_group_t grp;
  int rc;                    /* preparation */
  prestige_error_t err;
};

static void mark_leaves(const rnode_t *n, int32_t *count) {
  if (n->kind == RN_LEAF) count[n->leaf]++;
  for (int32_t i = 0; i < n->n_children; i++) mark_leaves(n->children[i], count);
}

/* Reads and decodes leaf l of the job's row group into j->cols[l]. */
static int decode_leaf(coltask_t *t, rscratch_t *s, int32_t l, arena_t *ta) {
  rgjob_t *j = t->j;
  prestige_parquet_reader_t *r = j->r;
  const pq_row_group_t *rg = j->rg;
  int32_t g = j->g;
  prestige_error_t *err = &t->err;
  const pq_column_chunk_t *cc = &rg->columns[l];
  const pq_column_meta_t *md = cc->meta_data;
  char where[512];
  snprintf(where, sizeof(where), "%s: row group %d, column %s", r->in.name, g, r->rs.leaves[l]->name);
  if (cc->file_path)
    return prestige_error_set(err, PRESTIGE_EUNSUPPORTED, "%s: column data in another file (%s) is not supported", where,
                              cc->file_path);
  int64_t start = md->data_page_offset;
  if (md->has_dictionary_page_offset && md->dictionary_page_offset >= 4 && (md->dictionary_page_offset < start || start < 4))
    start = md->dictionary_page_offset;
  int64_t len = md->total_compressed_size;
  if (md->num_values == 0 && rg->num_rows == 0) return 0; /* nothing to read (some writers leave offsets at 0) */
  if (start < 4 || len < 0 || (uint64_t)start + (uint64_t)len > r->size)
    return prestige_error_set(err, PRESTIGE_ECORRUPT, "%s: chunk range %lld+%lld lies outside the file", where,
                              (long long)start, (long long)len);
  if ((size_t)len > s->chunk_cap || !s->chunk) {
    uint8_t *grown = realloc(s->chunk, (size_t)(len ? len : 1));
    if (!grown) return prestige_error_set(err, PRESTIGE_ENOMEM, "%s: out of memory for %lld bytes", where, (long long)len);
    s->chunk = grown;
    s->chunk_cap = (size_t)(len ? len : 1);
  }
  PRESTIGE_TRY(rreader_read_at(r, (uint64_t)start, s->chunk, (size_t)len, err));
  rcolumn_t *c = &j->cols[l];
  c->pool = r->bufs;
  c->data_hint = r->data_hint ? atomic_load_explicit(&r->data_hint[l], memory_order_relaxed) : 0;
  c->narrow = j->all_rows && j->spaced[l] == 2; /* strings with 32-bit Arrow offsets: decode them so */
  if (j->all_rows) {
    int rc = rcolumn_decode(c, r->rs.leaves[l], md, s->chunk, (size_t)len, rg->num_rows, j->spaced[l] > 0, &s->page, NULL,
                            r->opts.verify_checksums, r->opts.max_page_bytes, s->codec, where, err);
    if (!rc && r->data_hint) atomic_store_explicit(&r->data_hint[l], c->data.len, memory_order_relaxed);
    return rc;
  }
  /* some pages ruled out: decode the pages meeting the kept rows (all of them without an
   * offset index), then keep exactly those rows so every column agrees */
  rpage_sel_t sel = {.chunk_start = start, .keep = &j->keep};
  pq_offset_index_t read_oi, *oi = j->idx ? j->idx[l].oi : NULL;
  if (!oi && cc->has_offset_index) {
    PRESTIGE_TRY(rpages_read_index(r, cc->offset_index_offset, cc->offset_index_length, false, ta, &read_oi, where, err));
    oi = &read_oi;
  }
  if (oi && rpages_offset_index_fits(oi, start, len, rg->num_rows)) {
    sel.loc = oi->page_locations;
    sel.n_loc = oi->n_page_locations;
  }
  row_ranges_t everything = {&(row_range_t){0, rg->num_rows}, 1, 1};
  int rc = rcolumn_decode(c, r->rs.leaves[l], md, s->chunk, (size_t)len, rg->num_rows, j->spaced[l] > 0, &s->page,
                          sel.loc ? &sel : NULL, r->opts.verify_checksums, r->opts.max_page_bytes, s->codec, where, err);
  if (!rc) rc = rcolumn_keep_rows(c, r->rs.leaves[l], sel.loc ? &sel.decoded : &everything, &j->keep, where, err);
  t->pages_skipped += sel.pages_skipped;
  row_ranges_free(&sel.decoded);
  return rc;
}

static int decode_leaves(coltask_t *t, rscratch_t *s, const rnode_t *n, arena_t *ta) {
  if (n->kind == RN_LEAF) return decode_leaf(t, s, n->leaf, ta);
  for (int32_t i = 0; i < n->n_children; i++) PRESTIGE_TRY(decode_leaves(t, s, n->children[i], ta));
  return 0;
}

static void release_leaves(rcolumn_t *cols, const rnode_t *n) {
  if (n->kind == RN_LEAF) rcolumn_release(&cols[n->leaf]);
  for (int32_t i = 0; i < n->n_children; i++) release_leaves(cols, n->children[i]);
}

/* One task: top-level column k of the columns read, from its chunks to its Arrow array. */
static void column_task(void *arg, int slot) {
  coltask_t *t = arg;
  rgjob_t *j = t->j;
  prestige_parquet_reader_t *r = j->r;
  rscratch_t *s = &r->scratch[slot < r->n_scratch ? slot : 0];
  const rnode_t *n = j->rp[t->k];
  arena_t ta = ARENA_INIT; /* offset indexes this task reads */
  t->rc = decode_leaves(t, s, n, &ta);
  if (!t->rc) {
    char where[512];
    snprintf(where, sizeof(where), "%s: row group %d", r->in.name, j->g);
    t->rc = rassemble_build(n, j->cols, j->read.children[t->k], where, &t->err);
    if (!t->rc && j->read.children[t->k]->length != j->out_rows)
      t->rc = prestige_error_set(&t->err, PRESTIGE_ECORRUPT, "%s: row group %d: column \"%s\" has %lld rows, the row group %lld",
                                 r->in.name, j->g, n->name, (long long)j->read.children[t->k]->length, (long long)j->out_rows);
  }
  if (t->rc == PRESTIGE_ENOMEM && !t->err.message[0]) prestige_error_set(&t->err, PRESTIGE_ENOMEM, "out of memory");
  release_leaves(j->cols, n);
  arena_release(&ta);
  /* a big chunk or page is not kept beyond 64 MiB */
  if (s->chunk_cap > ((size_t)64 << 20)) {
    free(s->chunk);
    s->chunk = NULL;
    s->chunk_cap = 0;
  }
  if (s->page.cap > ((size_t)64 << 20)) buf_release(&s->page);
}
/* Moves array a, built for node u, into out shaped as node o: u itself, or a struct that keeps
 * some of u's fields (o's fields are found in u by name). Buffers move, nothing is copied. */
static int reshape(const rnode_t *o, const rnode_t *u, struct ArrowArray *a, struct ArrowArray *out, prestige_error_t *err) {
  if (o == u || o->kind != RN_STRUCT) {
    prestige_array_move(a, out);
    return 0;
  }
  PRESTIGE_TRY(prestige_array_init(out, 1, o->n_children, err));
  out->length = a->length;
  out->offset = a->offset;
  out->null_count = a->null_count;
  if (a->n_buffers > 0) {
    out->buffers[0] = a->buffers[0];
    a->buffers[0] = NULL;
  }
  for (int32_t i = 0; i < o->n_children; i++) {
    int32_t j = 0;
    while (j < u->n_children && strcmp(u->children[j]->name, o->children[i]->name)) j++;
    if (j == u->n_children || j >= a->n_children)
      return prestige_error_set(err, PRESTIGE_EINTERNAL, "reader: field \"%s\" missing from the columns read", o->children[i]->name);
    PRESTIGE_TRY(reshape(o->children[i], u->children[j], a->children[j], out->children[i], err));
  }
  return 0;
}

/* The projected batch from the batch of the columns read (projection plus filter columns). */
static int reshape_batch(prestige_parquet_reader_t *r, struct ArrowArray *read, struct ArrowArray *out, prestige_error_t *err) {
  PRESTIGE_TRY(prestige_array_init(out, 1, r->n_proj, err));
  out->length = read->length;
  out->offset = read->offset;
  int rc = 0;
  for (int32_t k = 0, j = 0; !rc && k < r->n_proj; k++) {
    while (j < r->n_rproj && strcmp(r->rproj[j]->name, r->proj[k]->name)) j++; /* both in file order */
    if (j == r->n_rproj) rc = prestige_error_set(err, PRESTIGE_EINTERNAL, "reader: column \"%s\" not read", r->proj[k]->name);
    else rc = reshape(r->proj[k], r->rproj[j], read->children[j], out->children[k], err);
  }
  return rc;
}

static void job_free(rgjob_t *j) {
  int32_t nl = j->r->rs.n_leaves;
  for (int32_t l = 0; j->cols && l < nl; l++) rcolumn_release(&j->cols[l]);
  free(j->cols);
  free(j->spaced);
  free(j->tasks);
  row_ranges_free(&j->keep);
  arena_release(&j->ia);
  prestige_array_release(&j->read);
  free(j);
}

/* Announces the projected chunks so an object store fetches them in few, coalesced requests. */
static int announce(rgjob_t *j, const int32_t *count, prestige_error_t *err) {
  prestige_parquet_reader_t *r = j->r;
  int32_t nl = r->rs.n_leaves;
  uint64_t *offs = calloc((size_t)(nl ? nl : 1), sizeof *offs), *lens = calloc((size_t)(nl ? nl : 1), sizeof *lens);
  size_t n = 0;
  for (int32_t l = 0; offs && lens && l < nl; l++) {
    if (!count[l] || j->rg->columns[l].file_path || !j->rg->columns[l].meta_data) continue;
    const pq_column_meta_t *md = j->rg->columns[l].meta_data;
    int64_t start = md->data_page_offset;
    if (md->has_dictionary_page_offset && md->dictionary_page_offset >= 4 && (md->dictionary_page_offset < start || start < 4))
      start = md->dictionary_page_offset;
    int64_t len = md->total_compressed_size;
    if (start < 4 || len <= 0 || (uint64_t)start + (uint64_t)len > r->size) continue; /* reported when read */
    offs[n] = (uint64_t)start;
    lens[n++] = (uint64_t)len;
  }
  int rc = 0;
  if (n) {
    if (r->pool) pthread_mutex_lock(&r->io_mu);
    rc = r->in.will_need(r->in.ctx, offs, lens, n, err);
    if (r->pool) pthread_mutex_unlock(&r->io_mu);
  }
  free(offs);
  free(lens);
  return rc;
}

int rgjob_start(prestige_parquet_reader_t *r, int32_t i, rgjob_t **out, prestige_error_t *err) {
  *out = NULL;
  rgjob_t *j = calloc(1, sizeof(*j));
  if (!j) return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
  j->r = r;
  j->ia = (arena_t)ARENA_INIT;
  *out = j;
  if (i < 0 || i >= r->n_rgs) {
    j->rc = prestige_error_set(&j->err, PRESTIGE_EINVAL, "no row group %d", i);
    return 0;
  }
  j->g = r->rgs[i];
  j->rg = &r->meta.row_groups[j->g];
  j->rp = r->rproj ? r->rproj : r->proj;
  j->n_rp = r->rproj ? r->n_rproj : r->n_proj;
  int32_t nl = r->rs.n_leaves;
  int32_t *count = calloc((size_t)(nl ? nl : 1), sizeof(int32_t));
  j->cols = calloc((size_t)(nl ? nl : 1), sizeof(rcolumn_t));
  j->spaced = calloc((size_t)(nl ? nl : 1), 1);
  j->tasks = calloc((size_t)(j->n_rp ? j->n_rp : 1), sizeof(coltask_t));
  int rc = count && j->cols && j->spaced && j->tasks ? 0 : prestige_error_set(&j->err, PRESTIGE_ENOMEM, "out of memory");
  for (int32_t k = 0; !rc && k < j->n_rp; k++) {
    mark_leaves(j->rp[k], count);
    if (j->rp[k]->kind == RN_LEAF) j->spaced[j->rp[k]->leaf] = (int8_t)rassemble_flat_class(j->rp[k]);
  }
  bool shared = false; /* a leaf under two columns read: those tasks would share it, so run them here */
  for (int32_t l = 0; !rc && l < nl; l++) shared |= count[l] > 1;
  j->all_rows = true;
  if (!rc) rc = rpages_ranges(r, j->rg, j->g, &j->ia, &j->keep, &j->all_rows, &j->idx, &j->err);
  j->out_rows = j->all_rows ? j->rg->num_rows : row_ranges_count(&j->keep);
  if (!rc && r->in.will_need) rc = announce(j, count, &j->err);
  free(count);
  memset(&j->read, 0, sizeof(j->read));
  if (!rc) rc = prestige_array_init(&j->read, 1, j->n_rp, &j->err);
  if (!rc) j->read.length = j->out_rows;
  j->rc = rc;
  if (rc) return 0;
  for (int32_t k = 0; k < j->n_rp; k++) {
    j->tasks[k].j = j;
    j->tasks[k].k = k;
    if (!r->pool || shared || workers_submit(r->pool, &j->grp, column_task, &j->tasks[k])) column_task(&j->tasks[k], 0);
  }
  return 0;
}

static void job_wait(rgjob_t *j) {
  if (j->r->pool) workers_wait(j->r->pool, &j->grp);
}

void rgjob_discard(rgjob_t *j) {
  if (!j) return;
  job_wait(j);
  job_free(j);
}

int rgjob_finish(rgjob_t *j, struct ArrowArray *out, prestige_error_t *err) {
  memset(out, 0, sizeof(*out));
  job_wait(j);
  prestige_parquet_reader_t *r = j->r;
  int rc = j->rc;
  if (rc && err) *err = j->err;
  for (int32_t k = 0; !rc && k < j->n_rp; k++) {
    r->pages_pruned += j->tasks[k].pages_skipped;
    if ((rc = j->tasks[k].rc) && err) *err = j->tasks[k].err;
  }
  if (!rc && !j->all_rows) r->rows_pruned += j->rg->num_rows - j->out_rows;
  struct ArrowArray read;
  prestige_array_move(&j->read, &read);
  int32_t g = j->g;
  bool projected = j->rp == r->proj;
  int64_t out_rows = j->out_rows;
  job_free(j);
  if (!rc && r->rbound) { /* the rows that satisfy the filter */
    struct ArrowArray kept;
    rc = prestige_bound_predicate_filter(r->rbound, &read, &kept, err);
    if (rc) prestige_error_prefix(err, "%s: row group %d", r->in.name, g);
    else {
      r->rows_filtered += out_rows - kept.length;
      read = kept;
    }
  }
  if (!rc && projected) prestige_array_move(&read, out);
  else if (!rc) rc = reshape_batch(r, &read, out, err); /* drop what only the filter needed */
  prestige_array_release(&read);
  if (rc && out->release) out->release(out);
  return rc;
}

int prestige_parquet_reader_read_row_group(prestige_parquet_reader_t *r, int32_t i, struct ArrowArray *out,
                                           prestige_error_t *err) {
  rgjob_t *j;
  memset(out, 0, sizeof(*out));
  PRESTIGE_TRY(rgjob_start(r, i, &j, err));
  return rgjob_finish(j, out, err);
}
