/* Parquet file writer: batches -> row groups of column chunks -> page index -> footer. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arrow/ipc_schema.h"
#include "arrow/stream.h"
#include "core/log.h"
#include "core/options.h"
#include "core/workers.h"
#include "parquet/writer_internal.h"
#include "prestige/core.h"

#include <time.h>

#define SLICE_ROWS 4096
/* Rows are appended in windows of whole slices: each column takes the window's slices one after
 * the other (appending, cutting pages), the columns in parallel when threads > 1. The row group's
 * byte limit is checked at the end of a window; the window's length depends only on what was
 * written (never on threads), so every thread count cuts the same pages and row groups. */
#define MAX_WINDOW_SLICES 32

struct prestige_parquet_writer {
  prestige_parquet_writer_options_t opts;
  char *created_by;
  prestige_kv_t *kv;
  prestige_parquet_column_options_t *colopts;
  struct ArrowSchema schema;
  pqw_schema_t ps;
  pqw_column_t *cols;
  prestige_output_t out;
  int64_t offset, rows, rg_rows;
  arena_t arena; /* row group metadata, statistics and page indexes until close */
  pq_row_group_t *rgs;
  int32_t n_rgs, cap_rgs;
  pq_column_index_t **cis; /* per row group: n_leaves entries (NULL entries when absent) */
  pq_offset_index_t **ois;
  pq_key_value_t *fkv; /* footer key-value metadata, built at the first footer */
  int32_t n_fkv;
  bool failed;
  workers_t *pool;       /* threads > 1 */
  int32_t *order;        /* column order of submission: most costly first */
  double last_rate;      /* buffered bytes per row of the last flushed row group (0: none yet) */
  /* the window being appended (read by the column tasks) */
  const struct ArrowArray *win_batch;
  int64_t win_r0, win_n;
};

void prestige_parquet_column_options_init(prestige_parquet_column_options_t *c, const char *path) {
  if (!c) return;
  *c = (prestige_parquet_column_options_t)PRESTIGE_PARQUET_COLUMN_OPTIONS_INIT;
  c->path = path;
}

void prestige_parquet_writer_options_init(prestige_parquet_writer_options_t *o) {
  if (o) *o = (prestige_parquet_writer_options_t)PRESTIGE_PARQUET_WRITER_OPTIONS_INIT;
}

/* The levels each codec defines (zstd's negative levels are its fast modes); a level out of range
 * would be clamped by the codec library without a word. */
static bool level_ok(int codec, int level) {
  if (level == INT32_MIN) return true;
  switch (codec) {
    case PRESTIGE_COMPRESSION_ZSTD: return level >= -131072 && level <= 22;
    case PRESTIGE_COMPRESSION_GZIP: return level >= 0 && level <= 9;
    case PRESTIGE_COMPRESSION_BROTLI: return level >= 0 && level <= 11;
    default: return false;
  }
}

int pqw_options_validate(const prestige_parquet_writer_options_t *o, prestige_error_t *err) {
#define BAD(field, why) return prestige_error_set(err, PRESTIGE_EINVAL, "parquet writer option %s %s", field, why)
  if (o->version != 1) /* version 1 (before threads) still reads */
    PRESTIGE_TRY(OPTIONS_CHECK_VERSION(o, PRESTIGE_PARQUET_WRITER_OPTIONS, "prestige_parquet_writer_options_t", err));
  if (o->version == 2 && (o->threads < 1 || o->threads > PRESTIGE_PARQUET_WRITER_MAX_THREADS))
    return prestige_error_set(err, PRESTIGE_EINVAL,
                              "parquet writer option threads %d must be 1..PRESTIGE_PARQUET_WRITER_MAX_THREADS (%d)", o->threads,
                              PRESTIGE_PARQUET_WRITER_MAX_THREADS);
  if (o->row_group_rows < 1) BAD("row_group_rows", "must be at least 1");
  if (o->row_group_bytes < 1) BAD("row_group_bytes", "must be at least 1");
  if (o->data_page_bytes < 1 || o->data_page_bytes > (1LL << 30)) BAD("data_page_bytes", "must be between 1 and 1 GiB");
  if (o->dictionary_page_bytes < 1 || o->dictionary_page_bytes > (1LL << 30))
    BAD("dictionary_page_bytes", "must be between 1 and 1 GiB");
  if (o->data_page_version != 1 && o->data_page_version != 2) BAD("data_page_version", "must be 1 or 2");
  if (o->max_statistics_bytes < 1) BAD("max_statistics_bytes", "must be at least 1");
  if (!pq_codec_supported((pq_codec_t)o->compression) || o->compression == PRESTIGE_COMPRESSION_LZ4)
    BAD("compression", "names a codec prestige cannot write (use none, snappy, gzip, brotli, zstd or lz4_raw)");
  if (!level_ok(o->compression, o->compression_level))
    return prestige_error_set(err, PRESTIGE_EINVAL,
                              "parquet writer option compression_level %d is not a level of %s (zstd -131072..22, gzip "
                              "0..9, brotli 0..11, none for the others)",
                              o->compression_level, prestige_compression_name(o->compression));
  if (o->n_metadata < 0 || (o->n_metadata && !o->metadata)) BAD("metadata", "count and pointer disagree");
  if (o->n_columns < 0 || (o->n_columns && !o->columns)) BAD("columns", "count and pointer disagree");
  for (int64_t i = 0; i < o->n_columns; i++) {
    if (o->columns[i].version != PRESTIGE_PARQUET_COLUMN_OPTIONS_VERSION)
      return prestige_error_set(err, PRESTIGE_EINVAL,
                                "prestige_parquet_column_options_t (parquet writer option columns[%lld]): version %u not "
                                "supported (this library knows %u); start from PRESTIGE_PARQUET_COLUMN_OPTIONS_INIT or "
                                "prestige_parquet_column_options_init",
                                (long long)i, o->columns[i].version, PRESTIGE_PARQUET_COLUMN_OPTIONS_VERSION);
    if (!o->columns[i].path) BAD("columns[].path", "is NULL");
    int codec = o->columns[i].compression >= 0 ? o->columns[i].compression : (int)o->compression;
    if (o->columns[i].compression_level != INT32_MIN && !level_ok(codec, o->columns[i].compression_level))
      return prestige_error_set(err, PRESTIGE_EINVAL, "parquet writer option columns[\"%s\"].compression_level %d is not a level of %s",
                                o->columns[i].path, o->columns[i].compression_level,
                                prestige_compression_name((prestige_compression_t)codec));
  }
  return 0;
#undef BAD
}

static int copy_options(prestige_parquet_writer_t *w, const prestige_parquet_writer_options_t *o, prestige_error_t *err) {
  if (o->version == 1) { /* the struct ends before threads */
    prestige_parquet_writer_options_init(&w->opts);
    memcpy(&w->opts, o, offsetof(prestige_parquet_writer_options_t, threads));
    w->opts.version = PRESTIGE_PARQUET_WRITER_OPTIONS_VERSION;
  } else {
    w->opts = *o;
  }
  char def[64];
  snprintf(def, sizeof(def), "prestige version %s", prestige_version());
  w->created_by = strdup(o->created_by ? o->created_by : def);
  w->kv = calloc((size_t)(o->n_metadata + 1), sizeof(prestige_kv_t));
  w->colopts = calloc((size_t)(o->n_columns + 1), sizeof(prestige_parquet_column_options_t));
  if (!w->created_by || !w->kv || !w->colopts) return prestige_error_set(err, PRESTIGE_ENOMEM, "parquet writer: out of memory");
  for (int64_t i = 0; i < o->n_metadata; i++) {
    size_t vl = o->metadata[i].value_len < 0 ? strlen(o->metadata[i].value) : (size_t)o->metadata[i].value_len;
    char *k = arena_strndup(&w->arena, o->metadata[i].key, strlen(o->metadata[i].key));
    char *v = arena_strndup(&w->arena, o->metadata[i].value, vl);
    if (!k || !v) return prestige_error_set(err, PRESTIGE_ENOMEM, "parquet writer: out of memory");
    w->kv[i] = (prestige_kv_t){k, v, (int32_t)vl};
  }
  for (int64_t i = 0; i < o->n_columns; i++) {
    w->colopts[i] = o->columns[i];
    w->colopts[i].path = arena_strndup(&w->arena, o->columns[i].path, strlen(o->columns[i].path));
    if (!w->colopts[i].path) return prestige_error_set(err, PRESTIGE_ENOMEM, "parquet writer: out of memory");
  }
  w->opts.created_by = w->created_by;
  w->opts.metadata = w->kv;
  w->opts.columns = w->colopts;
  return 0;
}

static void writer_free(prestige_parquet_writer_t *w) {
  if (!w) return;
  workers_free(w->pool);
  free(w->order);
  if (w->cols)
    for (int32_t i = 0; i < w->ps.n_leaves; i++) pqw_column_release(&w->cols[i]);
  free(w->cols);
  pqw_schema_release(&w->ps);
  prestige_schema_release(&w->schema);
  free(w->rgs);
  free(w->cis);
  free(w->ois);
  free(w->created_by);
  free(w->kv);
  free(w->colopts);
  arena_release(&w->arena);
  free(w);
}

int prestige_parquet_writer_open(prestige_parquet_writer_t **wp, const struct ArrowSchema *schema, prestige_output_t *out,
                                 const prestige_parquet_writer_options_t *opts, prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  if (!wp || !out) {
    if (out && out->abort) out->abort(out->ctx);
    return prestige_error_set(err, PRESTIGE_EINVAL, "prestige_parquet_writer_open: %s is NULL", wp ? "out" : "w");
  }
  *wp = NULL;
  prestige_parquet_writer_options_t defaults;
  if (!opts) {
    prestige_parquet_writer_options_init(&defaults);
    opts = &defaults;
  }
  int rc = pqw_options_validate(opts, err);
  prestige_parquet_writer_t *w = NULL;
  if (!rc) rc = prestige_schema_validate(schema, err);
  if (!rc && !(w = calloc(1, sizeof(*w)))) rc = prestige_error_set(err, PRESTIGE_ENOMEM, "parquet writer: out of memory");
  if (!rc) rc = copy_options(w, opts, err);
  if (!rc) rc = prestige_schema_copy(&w->schema, schema, err);
  if (!rc) rc = pqw_schema_build(&w->ps, &w->schema, &w->opts, err);
  if (!rc && !(w->cols = calloc((size_t)w->ps.n_leaves, sizeof(pqw_column_t))))
    rc = prestige_error_set(err, PRESTIGE_ENOMEM, "parquet writer: out of memory");
  for (int32_t i = 0; !rc && i < w->ps.n_leaves; i++) rc = pqw_column_init(&w->cols[i], &w->ps.leaves[i], &w->opts, err);
  if (!rc && !(w->order = calloc((size_t)w->ps.n_leaves + 1, sizeof(int32_t))))
    rc = prestige_error_set(err, PRESTIGE_ENOMEM, "parquet writer: out of memory");
  for (int32_t i = 0; !rc && i < w->ps.n_leaves; i++) w->order[i] = i;
  int threads = rc ? 1 : w->opts.threads < w->ps.n_leaves ? w->opts.threads : w->ps.n_leaves; /* a column is one task */
  if (!rc && threads > 1 && !(w->pool = workers_new(threads)))
    rc = prestige_error_set(err, PRESTIGE_ENOMEM, "parquet writer: cannot start %d encoding threads", threads);
  if (!rc) {
    w->out = *out;
    rc = w->out.write(w->out.ctx, "PAR1", 4, err);
    w->offset = 4;
  } else {
    out->abort(out->ctx);
  }
  if (rc) {
    if (w && w->out.ctx) w->out.abort(w->out.ctx);
    writer_free(w);
    return rc;
  }
  *wp = w;
  return 0;
}

int prestige_parquet_writer_open_file(prestige_parquet_writer_t **w, const char *path, const struct ArrowSchema *schema,
                                      const prestige_parquet_writer_options_t *opts, prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  if (w) *w = NULL;
  prestige_output_t out;
  PRESTIGE_TRY(prestige_output_open_file(&out, path, err));
  return prestige_parquet_writer_open(w, schema, &out, opts, err);
}

int64_t prestige_parquet_writer_rows(const prestige_parquet_writer_t *w) { return w->rows; }

int64_t prestige_parquet_writer_bytes(const prestige_parquet_writer_t *w) {
  int64_t b = w->offset;
  for (int32_t i = 0; i < w->ps.n_leaves; i++) b += pqw_column_buffered(&w->cols[i]);
  return b;
}

static int fail(prestige_parquet_writer_t *w, int rc) {
  w->failed = true;
  return rc;
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* One column's share of a window: its slices in order, each appended then the page maybe cut
 * (exactly what the single-threaded writer does to that column). */
static int column_window(prestige_parquet_writer_t *w, pqw_column_t *c, prestige_error_t *err) {
  int64_t end = w->win_r0 + w->win_n;
  for (int64_t r = w->win_r0; r < end;) {
    int64_t n = end - r < SLICE_ROWS ? end - r : SLICE_ROWS;
    PRESTIGE_TRY(pqw_column_append(c, w->win_batch, r, n, err));
    PRESTIGE_TRY(pqw_column_maybe_flush_page(c, err));
    r += n;
  }
  return 0;
}

typedef struct {
  prestige_parquet_writer_t *w;
  int32_t col;
  bool finish; /* prepare the chunk instead of appending the window */
} col_task_t;

static void col_task_run(void *arg, int slot) {
  (void)slot;
  col_task_t *t = arg;
  pqw_column_t *c = &t->w->cols[t->col];
  double t0 = now_s();
  prestige_error_init(&c->task_err);
  c->task_rc = t->finish ? pqw_column_prepare_chunk(c, &c->task_err) : column_window(t->w, c, &c->task_err);
  if (!t->finish) c->task_cost = c->task_cost * 0.5 + (now_s() - t0);
}

/* Runs the window (or the chunk preparation) of every column: on the pool, the costliest columns
 * first, or here in column order. The first error in column order is reported. */
static int run_columns(prestige_parquet_writer_t *w, bool finish, prestige_error_t *err) {
  int32_t n = w->ps.n_leaves;
  if (!w->pool) {
    for (int32_t i = 0; i < n; i++) {
      int rc = finish ? pqw_column_prepare_chunk(&w->cols[i], err) : column_window(w, &w->cols[i], err);
      if (rc) return rc;
    }
    return 0;
  }
  /* longest first (by the last measured windows): the pool's FIFO then balances the threads */
  for (int32_t i = 1; i < n; i++) {
    int32_t x = w->order[i], j = i;
    while (j > 0 && w->cols[w->order[j - 1]].task_cost < w->cols[x].task_cost) {
      w->order[j] = w->order[j - 1];
      j--;
    }
    w->order[j] = x;
  }
  col_task_t stack[64], *tasks = n <= 64 ? stack : malloc((size_t)n * sizeof(*tasks));
  if (!tasks) return prestige_error_set(err, PRESTIGE_ENOMEM, "parquet writer: out of memory");
  workers_group_t g = {0};
  int rc = 0;
  for (int32_t k = 0; k < n; k++) {
    int32_t i = w->order[k];
    tasks[k] = (col_task_t){w, i, finish};
    w->cols[i].task_rc = 0;
    if (workers_submit(w->pool, &g, col_task_run, &tasks[k])) col_task_run(&tasks[k], 0); /* no memory to queue: run it here */
  }
  workers_wait(w->pool, &g);
  for (int32_t i = 0; i < n && !rc; i++)
    if (w->cols[i].task_rc) {
      rc = w->cols[i].task_rc;
      if (err) *err = w->cols[i].task_err;
    }
  if (tasks != stack) free(tasks);
  return rc;
}

/* Rows of the next window starting at row r of [.., total): whole slices, within the row group's
 * rows, and short enough that the row group's byte limit (checked after the window) is not passed
 * by much: at most half the bytes left at the rate seen so far. Depends only on what was written. */
static int64_t window_rows(const prestige_parquet_writer_t *w, int64_t left) {
  int64_t room = w->opts.row_group_rows - w->rg_rows;
  int64_t max = left < room ? left : room;
  int64_t used = prestige_parquet_writer_bytes(w) - w->offset;
  double rate = w->rg_rows > 0 ? (double)used / (double)w->rg_rows : w->last_rate;
  int64_t slices = 1;
  if (rate > 0) {
    double fit = (double)(w->opts.row_group_bytes - used) / (2.0 * rate * SLICE_ROWS);
    slices = fit >= MAX_WINDOW_SLICES ? MAX_WINDOW_SLICES : fit >= 1 ? (int64_t)fit : 1;
  }
  int64_t rows = slices * SLICE_ROWS;
  return rows < max ? rows : max;
}

int prestige_parquet_writer_flush_row_group(prestige_parquet_writer_t *w, prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  if (w->failed) return prestige_error_set(err, PRESTIGE_EINVAL, "parquet writer: an earlier error left the file unusable");
  if (w->rg_rows == 0) return 0;
  if (w->n_rgs == w->cap_rgs) {
    int32_t cap = w->cap_rgs ? w->cap_rgs * 2 : 8;
    pq_row_group_t *r = realloc(w->rgs, (size_t)cap * sizeof(*r));
    pq_column_index_t **ci = realloc(w->cis, (size_t)cap * sizeof(*ci));
    if (r) w->rgs = r;
    if (ci) w->cis = ci;
    pq_offset_index_t **oi = realloc(w->ois, (size_t)cap * sizeof(*oi));
    if (oi) w->ois = oi;
    if (!r || !ci || !oi) return fail(w, prestige_error_set(err, PRESTIGE_ENOMEM, "parquet writer: out of memory"));
    w->cap_rgs = cap;
  }
  int32_t n = w->ps.n_leaves;
  if (w->pool) { /* last pages and dictionary pages of every column in parallel */
    int rc = run_columns(w, true, err);
    if (rc) return fail(w, rc);
  }
  w->last_rate = (double)(prestige_parquet_writer_bytes(w) - w->offset) / (double)w->rg_rows;
  pq_row_group_t *rg = &w->rgs[w->n_rgs];
  memset(rg, 0, sizeof(*rg));
  rg->columns = arena_calloc(&w->arena, (size_t)n, sizeof(pq_column_chunk_t));
  pq_column_index_t *cis = arena_calloc(&w->arena, (size_t)n, sizeof(pq_column_index_t));
  pq_offset_index_t *ois = arena_calloc(&w->arena, (size_t)n, sizeof(pq_offset_index_t));
  if (!rg->columns || !cis || !ois) return fail(w, prestige_error_set(err, PRESTIGE_ENOMEM, "parquet writer: out of memory"));
  rg->n_columns = n;
  rg->num_rows = w->rg_rows;
  rg->has_file_offset = rg->has_total_compressed_size = rg->has_ordinal = true;
  rg->file_offset = w->offset;
  rg->ordinal = (int16_t)w->n_rgs;
  for (int32_t i = 0; i < n; i++) {
    pqw_chunk_out_t ch;
    int64_t start = w->offset;
    int rc = pqw_column_finish_chunk(&w->cols[i], &w->out, start, &w->arena, &ch, err);
    if (rc) return fail(w, rc);
    pq_column_meta_t *m = arena_alloc(&w->arena, sizeof(*m));
    int32_t *enc = arena_alloc(&w->arena, sizeof(ch.encodings));
    pq_statistics_t *st = arena_alloc(&w->arena, sizeof(*st));
    if (!m || !enc || !st) return fail(w, prestige_error_set(err, PRESTIGE_ENOMEM, "parquet writer: out of memory"));
    *m = ch.meta;
    memcpy(enc, ch.encodings, sizeof(ch.encodings));
    m->encodings = enc;
    if (ch.meta.statistics) {
      *st = ch.stats;
      m->statistics = st;
    }
    rg->columns[i].file_offset = start;
    rg->columns[i].meta_data = m;
    cis[i] = ch.column_index;
    ois[i] = ch.offset_index;
    w->offset += m->total_compressed_size;
    rg->total_byte_size += m->total_uncompressed_size;
    rg->total_compressed_size += m->total_compressed_size;
  }
  w->cis[w->n_rgs] = cis;
  w->ois[w->n_rgs] = ois;
  w->n_rgs++;
  w->rg_rows = 0;
  LOG_DEBUG("parquet writer %s: row group %d written, %lld bytes so far", w->out.name, w->n_rgs - 1, (long long)w->offset);
  return 0;
}

int prestige_parquet_writer_write(prestige_parquet_writer_t *w, const struct ArrowArray *batch, prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  return prestige_parquet_writer_write_slice(w, batch, 0, batch->length, err);
}

int prestige_parquet_writer_write_slice(prestige_parquet_writer_t *w, const struct ArrowArray *batch, int64_t row0,
                                        int64_t n_rows, prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  if (w->failed) return prestige_error_set(err, PRESTIGE_EINVAL, "parquet writer: an earlier error left the file unusable");
  int rc = prestige_array_validate(batch, &w->schema, err);
  if (rc) return prestige_error_prefix(err, "writing %s", w->out.name);
  return pqw_write_validated(w, batch, row0, n_rows, err);
}

int pqw_write_validated(prestige_parquet_writer_t *w, const struct ArrowArray *batch, int64_t row0, int64_t n_rows,
                        prestige_error_t *err) {
  int rc;
  if (w->failed) return prestige_error_set(err, PRESTIGE_EINVAL, "parquet writer: an earlier error left the file unusable");
  if (row0 < 0 || n_rows < 0 || row0 > batch->length || n_rows > batch->length - row0)
    return prestige_error_set(err, PRESTIGE_EINVAL, "writing %s: rows [%lld, +%lld) lie outside a batch of %lld", w->out.name,
                              (long long)row0, (long long)n_rows, (long long)batch->length);
  int64_t total = row0 + n_rows;
  if (batch->null_count != 0 && batch->buffers[0])
    return prestige_error_set(err, PRESTIGE_EINVAL, "writing %s: a record batch cannot have null rows", w->out.name);
  for (int32_t i = 0; i < w->ps.n_leaves; i++)
    if ((rc = pqw_column_check(&w->cols[i], batch, row0, n_rows, err))) return prestige_error_prefix(err, "writing %s", w->out.name);
  for (int64_t r = row0; r < total;) {
    int64_t n = window_rows(w, total - r);
    w->win_batch = batch;
    w->win_r0 = r;
    w->win_n = n;
    rc = run_columns(w, false, err);
    w->win_batch = NULL;
    if (rc) {
      prestige_error_prefix(err, "writing %s", w->out.name);
      return fail(w, rc);
    }
    r += n;
    w->rows += n;
    w->rg_rows += n;
    if (w->rg_rows >= w->opts.row_group_rows || prestige_parquet_writer_bytes(w) - w->offset >= w->opts.row_group_bytes)
      PRESTIGE_TRY(prestige_parquet_writer_flush_row_group(w, err));
  }
  return 0;
}

int prestige_parquet_writer_write_stream(prestige_parquet_writer_t *w, struct ArrowArrayStream *stream,
                                         prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  for (;;) {
    struct ArrowArray a;
    int rc = stream->get_next(stream, &a);
    if (rc) return arrow_stream_fail(stream, rc, "reading the input stream", err);
    if (!a.release) return 0;
    rc = prestige_parquet_writer_write(w, &a, err);
    a.release(&a);
    if (rc) return rc;
  }
}

static int write_bytes(prestige_parquet_writer_t *w, const void *p, size_t n, prestige_error_t *err) {
  int rc = w->out.write(w->out.ctx, p, n, err);
  if (!rc) w->offset += (int64_t)n;
  return rc;
}

/* Page indexes of every row group, appended to out as if out started at file offset `at`; the
 * row groups' column chunks get their index offsets. */
static int encode_page_indexes(prestige_parquet_writer_t *w, int64_t at, buf_t *out, prestige_error_t *err) {
  buf_t b = BUF_INIT;
  int rc = 0;
  for (int pass = 0; pass < 2 && !rc; pass++) { /* every ColumnIndex first, then every OffsetIndex */
    for (int32_t g = 0; g < w->n_rgs && !rc; g++) {
      for (int32_t i = 0; i < w->ps.n_leaves && !rc; i++) {
        pq_column_chunk_t *cc = &w->rgs[g].columns[i];
        buf_clear(&b);
        if (pass == 0) {
          pq_column_index_t *ci = &w->cis[g][i];
          if (ci->n_pages == 0) continue;
          if ((rc = pq_column_index_encode(ci, &b, err))) break;
          cc->has_column_index = true;
          cc->column_index_offset = at + (int64_t)out->len;
          cc->column_index_length = (int32_t)b.len;
        } else {
          pq_offset_index_t *oi = &w->ois[g][i];
          if (oi->n_page_locations == 0) continue;
          if ((rc = pq_offset_index_encode(oi, &b, err))) break;
          cc->has_offset_index = true;
          cc->offset_index_offset = at + (int64_t)out->len;
          cc->offset_index_length = (int32_t)b.len;
        }
        if (buf_append(out, b.data, b.len)) rc = prestige_error_set(err, PRESTIGE_ENOMEM, "parquet writer: out of memory");
      }
    }
  }
  buf_release(&b);
  return rc;
}

/* The key-value metadata of the footer, built once (ARROW:schema encoded from the schema). */
static int footer_kv(prestige_parquet_writer_t *w, prestige_error_t *err) {
  if (w->fkv) return 0;
  pq_key_value_t *kv = arena_calloc(&w->arena, (size_t)(w->opts.n_metadata + 1), sizeof(pq_key_value_t));
  if (!kv) return prestige_error_set(err, PRESTIGE_ENOMEM, "parquet writer: out of memory");
  int32_t nkv = 0;
  for (int64_t i = 0; i < w->opts.n_metadata; i++)
    if (strcmp(w->kv[i].key, "ARROW:schema") != 0 || !w->opts.store_arrow_schema)
      kv[nkv++] = (pq_key_value_t){w->kv[i].key, {(const uint8_t *)w->kv[i].value, (uint32_t)w->kv[i].value_len}, true};
  /* ARROW:schema, as Arrow C++ writes it, lets Arrow readers restore the exact types
   * (unsigned widths, large strings, second timestamps, durations, field metadata). */
  if (w->opts.store_arrow_schema) {
    buf_t b = BUF_INIT;
    int rc = arrow_ipc_schema_encode(&w->schema, &b, err);
    char *v = rc ? NULL : arena_strndup(&w->arena, (const char *)b.data, b.len);
    uint32_t len = (uint32_t)b.len;
    buf_release(&b);
    if (rc) return rc;
    if (!v) return prestige_error_set(err, PRESTIGE_ENOMEM, "parquet writer: out of memory");
    kv[nkv++] = (pq_key_value_t){"ARROW:schema", {(const uint8_t *)v, len}, true};
  }
  w->fkv = kv;
  w->n_fkv = nkv;
  return 0;
}

/* Everything after the row groups, as it would be written at file offset `at`: page indexes,
 * FileMetaData, its length and the magic. */
static int encode_tail(prestige_parquet_writer_t *w, int64_t at, buf_t *out, prestige_error_t *err) {
  if (w->opts.page_index) PRESTIGE_TRY(encode_page_indexes(w, at, out, err));
  PRESTIGE_TRY(footer_kv(w, err));
  pq_file_metadata_t m = {.version = 2, .schema = w->ps.elements, .n_schema = w->ps.n_elements, .num_rows = w->rows,
                          .row_groups = w->rgs, .n_row_groups = w->n_rgs, .key_value_metadata = w->fkv,
                          .n_key_value_metadata = w->n_fkv, .created_by = w->created_by, .n_column_orders = w->ps.n_leaves};
  size_t start = out->len;
  PRESTIGE_TRY(pq_file_metadata_encode(&m, out, err));
  uint8_t tail[8];
  store_le32(tail, (uint32_t)(out->len - start));
  memcpy(tail + 4, "PAR1", 4);
  if (buf_append(out, tail, 8)) return prestige_error_set(err, PRESTIGE_ENOMEM, "parquet writer: out of memory");
  return 0;
}

int prestige_parquet_writer_checkpoint(prestige_parquet_writer_t *w, uint8_t **tail, size_t *tail_len, int64_t *data_len,
                                       prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  *tail = NULL;
  *tail_len = 0;
  *data_len = 0;
  if (w->failed) return prestige_error_set(err, PRESTIGE_EINVAL, "parquet writer: an earlier error left %s unusable", w->out.name);
  PRESTIGE_TRY(prestige_parquet_writer_flush_row_group(w, err));
  buf_t b = BUF_INIT;
  int rc = encode_tail(w, w->offset, &b, err);
  if (rc) {
    buf_release(&b);
    return rc;
  }
  *data_len = w->offset;
  *tail = buf_detach(&b, tail_len);
  return 0;
}

/* A summary bound: a copy of the value, cut for byte arrays (pqw_stat_bound). */
static void summary_bound(const buf_t *v, bool var, size_t limit, bool is_max, uint8_t **out, int32_t *len, bool *exact) {
  *len = 0;
  *exact = true;
  *out = malloc(v->len ? v->len : 1);
  if (!*out) return;
  const uint8_t *p;
  size_t n;
  pqw_stat_bound(v->data, v->len, var ? limit : SIZE_MAX, is_max, *out, &p, &n, exact);
  if (p != *out && n) memcpy(*out, p, n);
  *len = (int32_t)n;
}

static int build_summary(prestige_parquet_writer_t *w, prestige_parquet_file_summary_t *s, prestige_error_t *err) {
  memset(s, 0, sizeof(*s));
  s->rows = w->rows;
  s->file_size = w->offset;
  s->row_groups = w->n_rgs;
  s->n_columns = w->ps.n_leaves;
  s->columns = calloc((size_t)(s->n_columns ? s->n_columns : 1), sizeof(*s->columns));
  s->row_group_offsets = calloc((size_t)(w->n_rgs ? w->n_rgs : 1), sizeof(int64_t));
  if (!s->columns || !s->row_group_offsets)
    return prestige_error_set(err, PRESTIGE_ENOMEM, "parquet writer: out of memory for the summary");
  for (int32_t g = 0; g < w->n_rgs; g++) s->row_group_offsets[g] = w->rgs[g].file_offset;
  for (int32_t i = 0; i < w->ps.n_leaves; i++) {
    const pqw_column_t *c = &w->cols[i];
    const pqw_leaf_t *l = c->leaf;
    prestige_parquet_column_summary_t *cs = &s->columns[i];
    cs->path = strdup(l->path);
    cs->field_id = l->field_id;
    cs->physical_type = (prestige_physical_type_t)l->physical;
    cs->compressed_size = c->file_compressed;
    cs->uncompressed_size = c->file_uncompressed;
    cs->value_count = c->file_values;
    cs->null_count = c->file_stats.null_count;
    cs->nan_count = c->file_stats.nan_count;
    if (!cs->path) return prestige_error_set(err, PRESTIGE_ENOMEM, "parquet writer: out of memory for the summary");
    if (l->statistics && c->file_stats.has) {
      bool var = l->physical == PRESTIGE_PHYSICAL_BYTE_ARRAY;
      buf_t mn = c->file_stats.min, mx = c->file_stats.max;
      summary_bound(&mn, var, (size_t)w->opts.max_statistics_bytes, false, &cs->lower, &cs->lower_len, &cs->lower_exact);
      summary_bound(&mx, var, (size_t)w->opts.max_statistics_bytes, true, &cs->upper, &cs->upper_len, &cs->upper_exact);
      if (!cs->lower || !cs->upper) return prestige_error_set(err, PRESTIGE_ENOMEM, "parquet writer: out of memory for the summary");
      cs->has_bounds = true;
    }
  }
  return 0;
}

void prestige_parquet_file_summary_release(prestige_parquet_file_summary_t *s) {
  if (!s) return;
  free(s->row_group_offsets);
  s->row_group_offsets = NULL;
  if (!s->columns) return;
  for (int64_t i = 0; i < s->n_columns; i++) {
    free(s->columns[i].path);
    free(s->columns[i].lower);
    free(s->columns[i].upper);
  }
  free(s->columns);
  memset(s, 0, sizeof(*s));
}

int prestige_parquet_writer_close(prestige_parquet_writer_t *w, prestige_parquet_file_summary_t *summary,
                                  prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  if (summary) memset(summary, 0, sizeof(*summary));
  int rc = w->failed ? prestige_error_set(err, PRESTIGE_EINVAL, "parquet writer: an earlier error left %s unusable", w->out.name) : 0;
  if (!rc) rc = prestige_parquet_writer_flush_row_group(w, err);
  buf_t tail = BUF_INIT;
  if (!rc) rc = encode_tail(w, w->offset, &tail, err);
  if (!rc) rc = write_bytes(w, tail.data, tail.len, err);
  buf_release(&tail);
  if (!rc) {
    rc = w->out.close(w->out.ctx, err);
    w->out.ctx = NULL;
  }
  if (!rc && summary) rc = build_summary(w, summary, err);
  if (rc) {
    if (w->out.ctx) w->out.abort(w->out.ctx);
    if (summary) prestige_parquet_file_summary_release(summary);
  }
  writer_free(w);
  return rc;
}

void prestige_parquet_writer_abort(prestige_parquet_writer_t *w) {
  if (!w) return;
  if (w->out.ctx) w->out.abort(w->out.ctx);
  writer_free(w);
}
