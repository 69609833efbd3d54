/*
 * ParquetSink: clients buffer records and hand Arrow batches to the sink thread through a bounded
 * queue; the sink thread writes them into rotating Parquet files, finishes files durably
 * (footer, fsync, rename, directory fsync), hands them to the uploader, and answers commits with
 * the manifest of the files finished since the previous commit. See prestige/sink.h.
 */
#include "prestige/sink.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "core/arena.h"
#include "core/io_file.h"
#include "core/log.h"
#include "core/options.h"
#include "core/queue.h"
#include "parquet/writer_internal.h"
#include "prestige/metrics.h"
#include "prestige/parquet_reader.h"
#include "prestige/store.h"
#include "records/copy.h"

enum { MSG_BATCH, MSG_COMMIT, MSG_CLOSE, MSG_CHECKPOINT };

typedef struct reply {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  bool done;
  int rc;
  prestige_error_t err;
  prestige_sink_manifest_t m;
} reply_t;

typedef struct msg {
  int kind;
  struct ArrowArray batch;
  reply_t *reply;
} msg_t;

typedef struct pending {
  prestige_sink_file_t f;
  uint64_t ticket; /* 0: not submitted (or to be resubmitted) */
  bool uploaded;   /* confirmed (recovered files already in the bucket) */
} pending_t;

struct prestige_sink {
  prestige_sink_options_t o;
  char *name, *dir, *label, *ts_name;
  const prestige_record_desc_t *desc;
  struct ArrowSchema schema;
  int ts_col;
  int64_t ts_div, ts_mul; /* value * mul / div = ms */
  queue_t *q;
  pthread_t th;
  bool started;
  pthread_mutex_t run_mu;
  pthread_cond_t run_cv;
  bool running, stopped;
  size_t n_clients; /* alive clients (under run_mu): close refuses while any is */
  bool closing;     /* close has begun (under run_mu): no new clients */
  atomic_bool closed;
  int run_rc;
  prestige_error_t run_err;
  /* sink-thread state */
  prestige_parquet_writer_t *w;
  void *cur_out; /* the current file's output (owned by w), synced by checkpoints */
  char *cur_tmp, *cur_final;
  int64_t cur_opened_ms, cur_rows;
  /* checkpoints of the current file: two slot files written in turn, each holding the footer
   * that completes the file's first data_len bytes (see checkpoint_current) */
  int ckpt_fd[2];
  uint64_t ckpt_seq;
  int64_t cur_durable_rows;
  bool has_final; /* stopped by the shutdown token: its final commit's manifest, for close */
  prestige_sink_manifest_t final_man;
  bool cur_has_ts;
  int64_t cur_min_ts, cur_max_ts;
  int64_t last_ts;
  pending_t *pend;
  size_t n_pend, cap_pend;
  int fail_rc;
  prestige_error_t fail_err;
  size_t recovered, moved, deleted;
  size_t restored;        /* unfinished files finished at their checkpoint by recovery */
  int64_t restored_rows;
};

struct prestige_sink_client {
  prestige_sink_t *sink;
  pthread_mutex_t mu;
  uint8_t *stage;
  size_t n;
  arena_t arena;
};

void prestige_sink_options_init(prestige_sink_options_t *o) {
  if (o) *o = (prestige_sink_options_t)PRESTIGE_SINK_OPTIONS_INIT;
}

static int validate_sink_options(const prestige_sink_options_t *o, prestige_error_t *err) {
#define BAD(field, why, v) \
  return prestige_error_set(err, PRESTIGE_EINVAL, "sink %s: option %s %s (got %lld)", o->name, field, why, (long long)(v))
  if (o->max_rows < 0) BAD("max_rows", "must not be negative (0: no limit)", o->max_rows);
  if (o->max_size_bytes < 0) BAD("max_size_bytes", "must not be negative (0: no limit)", o->max_size_bytes);
  if (o->rotation_interval_ms < 0) BAD("rotation_interval_ms", "must not be negative (0: never)", o->rotation_interval_ms);
  if (o->batch_size < 1 || o->batch_size > (1 << 24)) BAD("batch_size", "must be between 1 and 16777216", o->batch_size);
  if (o->queue_capacity < 1 || o->queue_capacity > 65536) BAD("queue_capacity", "must be between 1 and 65536", o->queue_capacity);
#undef BAD
  int rc = pqw_options_validate(&o->writer, err);
  return rc ? prestige_error_prefix(err, "sink %s: option writer", o->name) : 0;
}

static int oom(prestige_error_t *err) { return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory"); }

/* ---- manifest ------------------------------------------------------------------------------------ */

void prestige_sink_manifest_release(prestige_sink_manifest_t *m) {
  if (!m) return;
  for (size_t i = 0; i < m->n_files; i++) {
    free(m->files[i].path);
    free(m->files[i].key);
  }
  free(m->files);
  memset(m, 0, sizeof *m);
}

char *prestige_sink_manifest_json(const prestige_sink_manifest_t *m) {
  json_t *root = json_object(), *files = json_array();
  for (size_t i = 0; i < m->n_files; i++) {
    const prestige_sink_file_t *f = &m->files[i];
    json_t *j = json_object();
    json_object_set_new(j, "path", json_string(f->path));
    json_object_set_new(j, "key", f->key ? json_string(f->key) : json_null());
    json_object_set_new(j, "rows", json_integer(f->rows));
    json_object_set_new(j, "bytes", json_integer(f->bytes));
    json_object_set_new(j, "min_timestamp_ms", f->has_timestamps ? json_integer(f->min_timestamp_ms) : json_null());
    json_object_set_new(j, "max_timestamp_ms", f->has_timestamps ? json_integer(f->max_timestamp_ms) : json_null());
    if (f->recovered) json_object_set_new(j, "recovered", json_true());
    json_array_append_new(files, j);
  }
  json_object_set_new(root, "files", files);
  json_object_set_new(root, "rows", json_integer(m->rows));
  if (m->open_rows) json_object_set_new(root, "open_rows", json_integer(m->open_rows));
  char *s = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
  json_decref(root);
  return s;
}

/* ---- helpers ------------------------------------------------------------------------------------- */

static void fsync_dir(const char *dir) {
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    fsync(fd);
    close(fd);
  }
}

static int mkdir_p(const char *path, prestige_error_t *err) {
  char *p = strdup(path);
  if (!p) return oom(err);
  for (char *s = p + 1;; s++) {
    if (*s == '/' || !*s) {
      char c = *s;
      *s = 0;
      if (mkdir(p, 0755) != 0 && errno != EEXIST) {
        int rc = prestige_error_set(err, errno == ENOSPC ? PRESTIGE_ENOSPC : PRESTIGE_EIO, "creating %s: %s", p, strerror(errno));
        free(p);
        return rc;
      }
      if (!c) break;
      *s = c;
    }
  }
  free(p);
  return 0;
}

/* "<name>.<digits><suffix>" (suffix ".parquet", ".parquet.tmp", ...): the timestamp, or -1. */
static int64_t parse_name_suffix(const char *fname, const char *name, const char *suffix) {
  size_t nl = strlen(name);
  if (strncmp(fname, name, nl) != 0 || fname[nl] != '.') return -1;
  const char *d = fname + nl + 1, *e = d;
  while (isdigit((unsigned char)*e)) e++;
  if (e == d || e - d > 18) return -1;
  if (strcmp(e, suffix) != 0) return -1;
  return strtoll(d, NULL, 10);
}

static int64_t parse_name(const char *fname, const char *name, bool tmp) {
  return parse_name_suffix(fname, name, tmp ? ".parquet.tmp" : ".parquet");
}

static void labels(const prestige_sink_t *s, prestige_label_t *l) { l[0] = (prestige_label_t){"sink", s->label}; }

static int add_pending(prestige_sink_t *s, const prestige_sink_file_t *f, prestige_error_t *err) {
  if (s->n_pend == s->cap_pend) {
    size_t nc = s->cap_pend ? s->cap_pend * 2 : 16;
    pending_t *np = realloc(s->pend, nc * sizeof *np);
    if (!np) return oom(err);
    s->pend = np;
    s->cap_pend = nc;
  }
  memset(&s->pend[s->n_pend], 0, sizeof s->pend[s->n_pend]);
  s->pend[s->n_pend].f = *f;
  s->n_pend++;
  return 0;
}

static char *key_for(const prestige_sink_t *s, const char *path) {
  const char *base = strrchr(path, '/');
  base = base ? base + 1 : path;
  const char *pre = prestige_file_upload_key_prefix(s->o.upload);
  size_t n = strlen(pre) + strlen(base) + 1;
  char *k = malloc(n);
  if (k) snprintf(k, n, "%s%s", pre, base);
  return k;
}

static int submit_upload(prestige_sink_t *s, pending_t *p, prestige_error_t *err) {
  if (!s->o.upload || p->uploaded) return 0;
  if (!p->f.key && !(p->f.key = key_for(s, p->f.path))) return oom(err);
  return prestige_file_upload_submit(s->o.upload, p->f.path, p->f.key, &p->ticket, err);
}

/* ---- the current file ------------------------------------------------------------------------------ */

static int open_file(prestige_sink_t *s, prestige_error_t *err) {
  int64_t ts = prestige_now_ms();
  if (ts <= s->last_ts) ts = s->last_ts + 1;
  size_t n = strlen(s->dir) + strlen(s->name) + 64;
  char *fin = malloc(n), *tmp = malloc(n + 4);
  if (!fin || !tmp) {
    free(fin);
    free(tmp);
    return oom(err);
  }
  for (;; ts++) {
    snprintf(fin, n, "%s/%s.%lld.parquet", s->dir, s->name, (long long)ts);
    snprintf(tmp, n + 4, "%s.tmp", fin);
    if (access(fin, F_OK) != 0 && access(tmp, F_OK) != 0) break;
  }
  prestige_output_t out;
  int rc = prestige_output_open_file(&out, tmp, err);
  if (!rc) rc = prestige_parquet_writer_open(&s->w, &s->schema, &out, &s->o.writer, err);
  if (rc) {
    free(fin);
    free(tmp);
    s->w = NULL;
    return prestige_error_prefix(err, "sink %s", s->name);
  }
  s->cur_out = out.ctx;
  s->cur_durable_rows = 0;
  s->last_ts = ts;
  s->cur_tmp = tmp;
  s->cur_final = fin;
  s->cur_opened_ms = prestige_now_ms();
  s->cur_rows = 0;
  s->cur_has_ts = false;
  return 0;
}

/* "<tmp>.ckpt0" / "<tmp>.ckpt1" */
static void slot_path(char *out, size_t n, const char *tmp, int k) { snprintf(out, n, "%s.ckpt%d", tmp, k); }

/* Closes and removes the current file's checkpoint slots. */
static void drop_slots(prestige_sink_t *s, const char *tmp) {
  for (int k = 0; k < 2; k++) {
    if (s->ckpt_fd[k] >= 0) close(s->ckpt_fd[k]);
    s->ckpt_fd[k] = -1;
    if (tmp) {
      char p[4200];
      slot_path(p, sizeof p, tmp, k);
      unlink(p);
    }
  }
  s->ckpt_seq = 0;
  s->cur_durable_rows = 0;
}

/* Abandons the current file. A file with a checkpoint is left on disk with its slots (rows a
 * checkpoint made durable were acknowledged): the next open's recovery restores them. */
static void drop_file(prestige_sink_t *s) {
  bool keep = s->ckpt_seq > 0 && s->cur_tmp;
  if (s->w) {
    if (keep) io_file_output_keep(s->cur_out);
    prestige_parquet_writer_abort(s->w); /* removes the temporary file unless kept */
  }
  if (keep) {
    LOG_WARN("sink %s: kept the unfinished %s and its checkpoint (%lld rows) for the next recovery", s->name, s->cur_tmp,
             (long long)s->cur_durable_rows);
    drop_slots(s, NULL);
  } else {
    if (s->cur_tmp) unlink(s->cur_tmp);
    drop_slots(s, s->cur_tmp);
  }
  s->w = NULL;
  s->cur_out = NULL;
  free(s->cur_tmp);
  free(s->cur_final);
  s->cur_tmp = s->cur_final = NULL;
  s->cur_rows = 0;
}

/* Footer, fsync, rename, directory fsync; then the file is pending for the next commit. */
static int finish_file(prestige_sink_t *s, prestige_error_t *err) {
  if (!s->w) return 0;
  if (s->cur_rows == 0) {
    drop_file(s);
    return 0;
  }
  prestige_parquet_file_summary_t sum;
  if (s->ckpt_seq > 0) io_file_output_keep(s->cur_out); /* a failed close must not remove checkpointed rows */
  int rc = prestige_parquet_writer_close(s->w, &sum, err);
  s->w = NULL;
  s->cur_out = NULL;
  if (rc) {
    drop_file(s);
    return prestige_error_prefix(err, "sink %s: finishing a file", s->name);
  }
  int64_t file_size = sum.file_size;
  prestige_parquet_file_summary_release(&sum);
  if (rename(s->cur_tmp, s->cur_final) != 0) {
    rc = prestige_error_set(err, errno == ENOSPC ? PRESTIGE_ENOSPC : PRESTIGE_EIO, "sink %s: renaming %s: %s", s->name,
                            s->cur_tmp, strerror(errno));
    drop_file(s);
    return rc;
  }
  fsync_dir(s->dir);
  drop_slots(s, s->cur_tmp); /* the file is whole: its checkpoints are history */
  prestige_sink_file_t f = {.path = s->cur_final,
                            .rows = s->cur_rows,
                            .bytes = file_size,
                            .has_timestamps = s->cur_has_ts,
                            .min_timestamp_ms = s->cur_min_ts,
                            .max_timestamp_ms = s->cur_max_ts};
  s->cur_final = NULL;
  free(s->cur_tmp);
  s->cur_tmp = NULL;
  s->cur_rows = 0;
  prestige_label_t l[1];
  labels(s, l);
  prestige_metrics_counter_add("prestige.file_sink.files_created", l, 1, 1);
  if ((rc = add_pending(s, &f, err))) {
    free(f.path);
    return rc;
  }
  if (s->o.on_file) s->o.on_file(s->o.user_data, &s->pend[s->n_pend - 1].f);
  if (s->o.auto_commit) rc = submit_upload(s, &s->pend[s->n_pend - 1], err);
  return rc;
}

static void track_timestamps(prestige_sink_t *s, const struct ArrowArray *b, int64_t r0, int64_t n) {
  if (s->ts_col < 0) return;
  const struct ArrowArray *c = b->children[s->ts_col];
  const int64_t *v = c->buffers[1];
  const uint8_t *valid = c->null_count ? c->buffers[0] : NULL;
  int64_t base = b->offset + c->offset;
  for (int64_t i = r0; i < r0 + n; i++) {
    int64_t k = base + i;
    if (valid && !(valid[k >> 3] & (1u << (k & 7)))) continue;
    int64_t ms = v[k] / s->ts_div * s->ts_mul;
    if (!s->cur_has_ts) {
      s->cur_min_ts = s->cur_max_ts = ms;
      s->cur_has_ts = true;
    } else {
      if (ms < s->cur_min_ts) s->cur_min_ts = ms;
      if (ms > s->cur_max_ts) s->cur_max_ts = ms;
    }
  }
}

static int write_batch(prestige_sink_t *s, const struct ArrowArray *b, prestige_error_t *err) {
  prestige_label_t l[1];
  labels(s, l);
  int64_t step_max = s->o.max_size_bytes > 0 ? 4096 : INT64_MAX; /* check the size often enough */
  for (int64_t r = 0; r < b->length;) {
    if (!s->w) PRESTIGE_TRY(open_file(s, err));
    int64_t n = b->length - r;
    if (s->o.max_rows > 0 && n > s->o.max_rows - s->cur_rows) n = s->o.max_rows - s->cur_rows;
    if (n > step_max) n = step_max;
    int64_t t0 = prestige_monotonic_ns();
    int rc = prestige_parquet_writer_write_slice(s->w, b, r, n, err);
    if (rc) {
      drop_file(s);
      return prestige_error_prefix(err, "sink %s", s->name);
    }
    prestige_metrics_histogram_record("prestige.file_sink.write_duration_ms", l, 1,
                                      (double)(prestige_monotonic_ns() - t0) / 1e6);
    prestige_metrics_counter_add("prestige.file_sink.records_written", l, 1, (uint64_t)n);
    track_timestamps(s, b, r, n);
    s->cur_rows += n;
    r += n;
    if ((s->o.max_rows > 0 && s->cur_rows >= s->o.max_rows) ||
        (s->o.max_size_bytes > 0 && prestige_parquet_writer_bytes(s->w) >= s->o.max_size_bytes))
      PRESTIGE_TRY(finish_file(s, err));
  }
  return 0;
}

/* ---- checkpoints of the current file ------------------------------------------------------------ */

/* A slot holds: "PSCKPT01", seq, data_len, rows (u64 LE each), tail_len, crc32 (u32 LE) of the
 * 36 bytes before it and of the tail, then the tail: the footer that makes the file's first
 * data_len bytes a complete Parquet file of `rows` rows. Two slots are written in turn, so a
 * crash while one is written leaves the other, older one whole. */
enum { SLOT_HEADER = 40 };
static const char SLOT_MAGIC[8] = {'P', 'S', 'C', 'K', 'P', 'T', '0', '1'};

/* A checkpoint's footer larger than this, and than an eighth of the file's data, ends the file
 * instead: every checkpoint rewrites the whole footer, which grows with the row groups. */
enum { SLOT_FOOTER_SOFT_MAX = 64 << 10 };

static void put_u64(uint8_t *p, uint64_t v) {
  for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static uint64_t get_u64(const uint8_t *p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--) v = v << 8 | p[i];
  return v;
}

static int write_slot(prestige_sink_t *s, const uint8_t *tail, size_t tail_len, int64_t data_len, prestige_error_t *err) {
  int k = (int)(s->ckpt_seq & 1);
  char path[4200];
  slot_path(path, sizeof path, s->cur_tmp, k);
  bool created = false;
  if (s->ckpt_fd[k] < 0) {
    s->ckpt_fd[k] = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (s->ckpt_fd[k] < 0)
      return prestige_error_set(err, errno == ENOSPC ? PRESTIGE_ENOSPC : PRESTIGE_EIO, "sink %s: creating %s: %s", s->name,
                                path, strerror(errno));
    created = true;
  }
  size_t n = SLOT_HEADER + tail_len;
  uint8_t *rec = malloc(n);
  if (!rec) return oom(err);
  memcpy(rec, SLOT_MAGIC, 8);
  put_u64(rec + 8, s->ckpt_seq);
  put_u64(rec + 16, (uint64_t)data_len);
  put_u64(rec + 24, (uint64_t)s->cur_rows);
  uint32_t tl = (uint32_t)tail_len;
  for (int i = 0; i < 4; i++) rec[32 + i] = (uint8_t)(tl >> (8 * i));
  memcpy(rec + SLOT_HEADER, tail, tail_len);
  uLong crc = crc32(crc32(0L, Z_NULL, 0), rec, 36);
  crc = crc32(crc, rec + SLOT_HEADER, (uInt)tail_len);
  for (int i = 0; i < 4; i++) rec[36 + i] = (uint8_t)(crc >> (8 * i));
  int rc = 0;
  for (size_t off = 0; off < n && !rc;) {
    ssize_t w = pwrite(s->ckpt_fd[k], rec + off, n - off, (off_t)off);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) rc = prestige_error_set(err, errno == ENOSPC ? PRESTIGE_ENOSPC : PRESTIGE_EIO, "sink %s: writing %s: %s", s->name, path, strerror(errno));
    else off += (size_t)w;
  }
  free(rec);
  if (!rc && (ftruncate(s->ckpt_fd[k], (off_t)n) != 0 || fdatasync(s->ckpt_fd[k]) != 0))
    rc = prestige_error_set(err, errno == ENOSPC ? PRESTIGE_ENOSPC : PRESTIGE_EIO, "sink %s: syncing %s: %s", s->name, path,
                            strerror(errno));
  if (!rc && created) fsync_dir(s->dir); /* the slot's and the data file's names are durable too */
  if (!rc) s->ckpt_seq++;
  return rc;
}

/* Makes the current file's rows durable without finishing it: the writer ends its row group and
 * hands out the footer those row groups need; the data is fdatasync'd, then the footer goes into
 * a slot and is fdatasync'd. A crash recovery cuts the file back to the data the footer describes
 * and finishes it with that footer, so every row covered by a checkpoint survives. */
static int checkpoint_current(prestige_sink_t *s, prestige_error_t *err) {
  if (!s->w || s->cur_rows == s->cur_durable_rows) return 0;
  uint8_t *tail;
  size_t tail_len;
  int64_t data_len;
  int rc = prestige_parquet_writer_checkpoint(s->w, &tail, &tail_len, &data_len, err);
  if (rc) {
    drop_file(s);
    return prestige_error_prefix(err, "sink %s: checkpoint", s->name);
  }
  if (tail_len > SLOT_FOOTER_SOFT_MAX && (int64_t)tail_len > data_len / 8) {
    free(tail);
    return finish_file(s, err);
  }
  rc = io_file_output_sync(s->cur_out, err);
  if (!rc) rc = write_slot(s, tail, tail_len, data_len, err);
  free(tail);
  if (rc) {
    drop_file(s);
    return prestige_error_prefix(err, "sink %s: checkpoint", s->name);
  }
  s->cur_durable_rows = s->cur_rows;
  return 0;
}

/* Finishes the file (commit) or checkpoints it (checkpoint), uploads what is pending and waits
 * for it; fills the manifest. */
static int do_commit(prestige_sink_t *s, prestige_sink_manifest_t *m, bool finish, prestige_error_t *err) {
  memset(m, 0, sizeof *m);
  int rc = 0;
  if (s->fail_rc) {
    rc = s->fail_rc;
    if (err) *err = s->fail_err;
    prestige_error_prefix(err, "records written since the last commit were not saved");
    s->fail_rc = 0;
    drop_file(s);
    return rc;
  }
  if (finish && (rc = finish_file(s, err))) return rc;
  if (!finish && (rc = checkpoint_current(s, err))) return rc;
  if (s->o.upload) {
    for (size_t i = 0; i < s->n_pend && !rc; i++)
      if (!s->pend[i].ticket) rc = submit_upload(s, &s->pend[i], err);
    for (size_t i = 0; i < s->n_pend; i++) {
      pending_t *p = &s->pend[i];
      if (p->uploaded || !p->ticket) continue;
      prestige_error_t e;
      prestige_error_init(&e);
      int urc = prestige_file_upload_wait(s->o.upload, p->ticket, -1, &e);
      if (urc) {
        p->ticket = 0; /* submitted again by the next commit */
        if (!rc) {
          rc = urc;
          if (err) *err = e;
          prestige_error_prefix(err, "sink %s: commit", s->name);
        }
      } else {
        p->uploaded = true;
        if (!s->o.keep_local) unlink(p->f.path); /* confirmed: the bucket has it */
      }
    }
    if (rc) return rc;
  }
  m->files = calloc(s->n_pend ? s->n_pend : 1, sizeof *m->files);
  if (!m->files) return oom(err);
  for (size_t i = 0; i < s->n_pend; i++) {
    m->files[i] = s->pend[i].f;
    m->rows += s->pend[i].f.rows;
  }
  m->n_files = s->n_pend;
  m->open_rows = s->w ? s->cur_durable_rows : 0;
  s->n_pend = 0;
  return 0;
}

static void answer(reply_t *r, int rc, const prestige_error_t *e, prestige_sink_manifest_t *m) {
  pthread_mutex_lock(&r->mu);
  r->rc = rc;
  if (rc && e) r->err = *e;
  if (m) r->m = *m;
  r->done = true;
  pthread_cond_broadcast(&r->cv);
  pthread_mutex_unlock(&r->mu);
}

/* ---- the sink thread --------------------------------------------------------------------------------- */

int prestige_sink_run(prestige_sink_t *s, prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  pthread_mutex_lock(&s->run_mu);
  if (s->running || s->stopped) {
    pthread_mutex_unlock(&s->run_mu);
    return prestige_error_set(err, PRESTIGE_EINVAL, "sink %s is already running or stopped", s->name);
  }
  s->running = true;
  pthread_mutex_unlock(&s->run_mu);
  bool stop = false;
  while (!stop) {
    int64_t wait = 200;
    if (s->w && s->o.rotation_interval_ms > 0) {
      int64_t left = s->cur_opened_ms + s->o.rotation_interval_ms - prestige_now_ms();
      if (left < wait) wait = left < 0 ? 0 : left;
    }
    void *item = NULL;
    int prc = queue_pop(s->q, &item, wait);
    if (prc == PRESTIGE_ETIMEOUT || prc == 0) {
      if (s->w && s->o.rotation_interval_ms > 0 && prestige_now_ms() - s->cur_opened_ms >= s->o.rotation_interval_ms &&
          !s->fail_rc) {
        prestige_error_t e;
        prestige_error_init(&e);
        int rc = finish_file(s, &e);
        if (rc) {
          s->fail_rc = rc;
          s->fail_err = e;
        }
      }
      if (s->o.shutdown && prestige_shutdown_triggered(s->o.shutdown) && !atomic_load(&s->closed)) {
        atomic_store(&s->closed, true);
        queue_close(s->q); /* refuse new writes; drain what is queued, then a final commit */
      }
    }
    if (prc == PRESTIGE_ESHUTDOWN) break; /* closed and drained */
    if (prc != 0) continue;
    msg_t *m = item;
    if (m->kind == MSG_BATCH) {
      if (!s->fail_rc) {
        prestige_error_t e;
        prestige_error_init(&e);
        int rc = write_batch(s, &m->batch, &e);
        if (rc) {
          LOG_ERROR("%s", e.message);
          s->fail_rc = rc;
          s->fail_err = e;
        }
      }
      if (m->batch.release) m->batch.release(&m->batch);
      free(m);
    } else {
      prestige_error_t e;
      prestige_error_init(&e);
      prestige_sink_manifest_t man;
      int rc = do_commit(s, &man, m->kind != MSG_CHECKPOINT, &e);
      if (m->kind == MSG_CLOSE) stop = true;
      answer(m->reply, rc, &e, rc ? NULL : &man);
      free(m);
    }
  }
  /* closed by a shutdown token (or queue closed): a final commit of what was written */
  int rc = 0;
  if (!stop) {
    prestige_sink_manifest_t man;
    prestige_error_t e;
    prestige_error_init(&e);
    rc = do_commit(s, &man, true, &e);
    if (rc) {
      LOG_ERROR("sink %s: final commit at shutdown: %s", s->name, e.message);
      if (err) *err = e;
    } else {
      s->final_man = man; /* handed to prestige_sink_close */
      s->has_final = true;
    }
  }
  pthread_mutex_lock(&s->run_mu);
  s->running = false;
  s->stopped = true;
  s->run_rc = rc;
  pthread_cond_broadcast(&s->run_cv);
  pthread_mutex_unlock(&s->run_mu);
  return rc;
}

static void *sink_thread(void *arg) {
  prestige_sink_t *s = arg;
  prestige_error_t e;
  prestige_error_init(&e);
  if (prestige_sink_run(s, &e)) s->run_err = e;
  return NULL;
}

int prestige_sink_start(prestige_sink_t *s, prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  if (s->started) return prestige_error_set(err, PRESTIGE_EINVAL, "sink %s already started", s->name);
  if (pthread_create(&s->th, NULL, sink_thread, s) != 0)
    return prestige_error_set(err, PRESTIGE_EINTERNAL, "sink %s: cannot start its thread", s->name);
  s->started = true;
  return 0;
}

/* ---- recovery ------------------------------------------------------------------------------------------ */

/* Reads a checkpoint slot: 1 with its fields when it is whole (magic, length, CRC), else 0. */
static int read_slot(const char *path, uint64_t *seq, int64_t *data_len, int64_t *rows, uint8_t **tail, size_t *tail_len) {
  *tail = NULL;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  struct stat sb;
  uint8_t *buf = NULL;
  int ok = 0;
  if (fstat(fd, &sb) == 0 && sb.st_size >= SLOT_HEADER && sb.st_size <= (SLOT_HEADER + (64 << 20)) &&
      (buf = malloc((size_t)sb.st_size))) {
    size_t n = (size_t)sb.st_size, got = 0;
    while (got < n) {
      ssize_t k = pread(fd, buf + got, n - got, (off_t)got);
      if (k <= 0 && !(k < 0 && errno == EINTR)) break;
      if (k > 0) got += (size_t)k;
    }
    uint32_t tl = (uint32_t)buf[32] | (uint32_t)buf[33] << 8 | (uint32_t)buf[34] << 16 | (uint32_t)buf[35] << 24;
    uint32_t want = (uint32_t)buf[36] | (uint32_t)buf[37] << 8 | (uint32_t)buf[38] << 16 | (uint32_t)buf[39] << 24;
    if (got == n && !memcmp(buf, SLOT_MAGIC, 8) && tl <= n - SLOT_HEADER) {
      uLong crc = crc32(crc32(0L, Z_NULL, 0), buf, 36);
      crc = crc32(crc, buf + SLOT_HEADER, tl);
      if ((uint32_t)crc == want && (*tail = malloc(tl ? tl : 1))) {
        memcpy(*tail, buf + SLOT_HEADER, tl);
        *tail_len = tl;
        *seq = get_u64(buf + 8);
        *data_len = (int64_t)get_u64(buf + 16);
        *rows = (int64_t)get_u64(buf + 24);
        ok = 1;
      }
    }
  }
  free(buf);
  close(fd);
  return ok;
}

/* Cuts tmp back to data_len bytes and appends tail; 1 when the result reads as `rows` rows. */
static int apply_slot(const char *tmp, int64_t data_len, int64_t rows, const uint8_t *tail, size_t tail_len) {
  struct stat sb;
  if (stat(tmp, &sb) != 0 || sb.st_size < data_len || data_len < 4) return 0;
  int fd = open(tmp, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  bool ok = ftruncate(fd, (off_t)data_len) == 0;
  for (size_t off = 0; ok && off < tail_len;) {
    ssize_t k = pwrite(fd, tail + off, tail_len - off, (off_t)(data_len + (int64_t)off));
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) ok = false;
    else off += (size_t)k;
  }
  if (ok && fsync(fd) != 0) ok = false;
  close(fd);
  if (!ok) return 0;
  prestige_parquet_reader_t *r;
  prestige_error_t e;
  prestige_error_init(&e);
  if (prestige_parquet_reader_open_file(&r, tmp, NULL, &e) != 0) return 0;
  bool same = prestige_parquet_reader_num_rows(r) == rows;
  prestige_parquet_reader_close(r);
  return same;
}

/* An unfinished file with a checkpoint is cut back to the data its newest whole checkpoint
 * describes, finished with that footer and given its final name (*final, malloc'd): the rows
 * acknowledged by the checkpoint survive the crash. 1 when restored, 0 when there is no usable
 * checkpoint. The slots are removed either way once the file is dealt with. */
static int restore_file(prestige_sink_t *s, const char *tmp, char **final) {
  *final = NULL;
  char slot[2][4200];
  uint64_t seq[2] = {0, 0};
  int64_t dl[2], rows[2];
  uint8_t *tail[2] = {NULL, NULL};
  size_t tl[2] = {0, 0};
  int ok[2];
  for (int k = 0; k < 2; k++) {
    slot_path(slot[k], sizeof slot[k], tmp, k);
    ok[k] = read_slot(slot[k], &seq[k], &dl[k], &rows[k], &tail[k], &tl[k]);
  }
  int order[2] = {0, 1};
  if (ok[1] && (!ok[0] || seq[1] > seq[0])) order[0] = 1, order[1] = 0;
  int restored = 0;
  for (int i = 0; i < 2 && !restored; i++) {
    int k = order[i];
    if (!ok[k] || !apply_slot(tmp, dl[k], rows[k], tail[k], tl[k])) continue;
    size_t n = strlen(tmp);
    char *fin = strndup(tmp, n - 4); /* drop ".tmp" */
    if (fin && rename(tmp, fin) == 0) {
      fsync_dir(s->dir);
      LOG_WARN("sink %s: restored %lld rows of the unfinished %s from its checkpoint", s->name, (long long)rows[k], tmp);
      s->restored++;
      s->restored_rows += rows[k];
      *final = fin;
      restored = 1;
    } else {
      free(fin);
    }
  }
  free(tail[0]);
  free(tail[1]);
  unlink(slot[0]);
  unlink(slot[1]);
  return restored;
}

static int push_path(char ***list, size_t *n, size_t *cap, char *path) {
  if (*n == *cap) {
    size_t c = *cap ? *cap * 2 : 16;
    char **l = realloc(*list, c * sizeof *l);
    if (!l) return PRESTIGE_ENOMEM;
    *list = l;
    *cap = c;
  }
  (*list)[(*n)++] = path;
  return 0;
}

/* An unfinished file without a usable checkpoint: moved to .incomplete/ (auto_commit) or deleted. */
static int set_aside(prestige_sink_t *s, const char *path, prestige_error_t *err) {
  const char *base = strrchr(path, '/') + 1;
  int rc = 0;
  if (s->o.auto_commit) {
    size_t il = strlen(s->dir) + 16;
    char *inc = malloc(il);
    if (!inc) return oom(err);
    snprintf(inc, il, "%s/.incomplete", s->dir);
    rc = mkdir_p(inc, err);
    size_t ql = il + strlen(base) + 2;
    char *dst = malloc(ql);
    if (!rc && !dst) rc = oom(err);
    if (!rc) snprintf(dst, ql, "%s/%s", inc, base);
    if (!rc && rename(path, dst) != 0)
      rc = prestige_error_set(err, PRESTIGE_EIO, "sink %s: moving %s to %s: %s", s->name, path, inc, strerror(errno));
    if (!rc) {
      s->moved++;
      LOG_WARN("sink %s: moved the unfinished %s to %s", s->name, base, inc);
    }
    free(dst);
    free(inc);
  } else {
    if (unlink(path) == 0) s->deleted++;
    LOG_WARN("sink %s: deleted the unfinished %s", s->name, base);
  }
  return rc;
}

static int recover(prestige_sink_t *s, prestige_error_t *err) {
  DIR *d = opendir(s->dir);
  if (!d) return prestige_error_set(err, PRESTIGE_EIO, "sink %s: listing %s: %s", s->name, s->dir, strerror(errno));
  struct dirent *e;
  int rc = 0;
  char **done = NULL, **tmps = NULL, **slots = NULL;
  size_t n_done = 0, cap_done = 0, n_tmps = 0, cap_tmps = 0, n_slots = 0, cap_slots = 0;
  /* names first, changes after: renaming entries while readdir walks the directory may show
   * them twice or not at all */
  while ((e = readdir(d)) && !rc) {
    int64_t ts = -1;
    int kind = (ts = parse_name(e->d_name, s->name, true)) >= 0                                ? 1
               : (ts = parse_name(e->d_name, s->name, false)) >= 0                             ? 2
               : (ts = parse_name_suffix(e->d_name, s->name, ".parquet.tmp.ckpt0")) >= 0 ||
                       (ts = parse_name_suffix(e->d_name, s->name, ".parquet.tmp.ckpt1")) >= 0 ? 3
                                                                                                : 0;
    if (!kind) continue;
    if (ts > s->last_ts) s->last_ts = ts;
    size_t pl = strlen(s->dir) + strlen(e->d_name) + 2;
    char *path = malloc(pl);
    if (!path) {
      rc = oom(err);
      break;
    }
    snprintf(path, pl, "%s/%s", s->dir, e->d_name);
    if (push_path(kind == 1 ? &tmps : kind == 2 ? &done : &slots, kind == 1 ? &n_tmps : kind == 2 ? &n_done : &n_slots,
                  kind == 1 ? &cap_tmps : kind == 2 ? &cap_done : &cap_slots, path)) {
      free(path);
      rc = oom(err);
    }
  }
  closedir(d);
  for (size_t i = 0; i < n_tmps; i++) {
    char *fin = NULL;
    if (!rc && restore_file(s, tmps[i], &fin)) {
      if (push_path(&done, &n_done, &cap_done, fin)) {
        free(fin);
        rc = oom(err);
      }
    } else if (!rc) {
      rc = set_aside(s, tmps[i], err);
    }
    free(tmps[i]);
  }
  free(tmps);
  for (size_t i = 0; i < n_slots; i++) { /* slots whose file was finished (or dealt with above) */
    unlink(slots[i]);
    free(slots[i]);
  }
  free(slots);
  if (!rc) fsync_dir(s->dir);
  /* completed files: uploaded again unless the bucket already holds them */
  for (size_t i = 0; i < n_done; i++) {
    if (rc || !s->o.upload) {
      free(done[i]);
      continue;
    }
    prestige_sink_file_t f = {.path = done[i], .recovered = true};
    prestige_parquet_reader_t *r;
    prestige_error_t e2;
    prestige_error_init(&e2);
    if (prestige_parquet_reader_open_file(&r, f.path, NULL, &e2) == 0) {
      f.rows = prestige_parquet_reader_num_rows(r);
      prestige_parquet_reader_close(r);
    } else {
      LOG_WARN("sink %s: completed file %s cannot be read (%s); uploading it as it is", s->name, f.path, e2.message);
    }
    struct stat sb;
    if (stat(f.path, &sb) == 0) f.bytes = sb.st_size;
    if ((rc = add_pending(s, &f, err))) {
      free(done[i]);
      continue;
    }
    pending_t *p = &s->pend[s->n_pend - 1];
    if (!(p->f.key = key_for(s, p->f.path))) {
      rc = oom(err);
      continue;
    }
    prestige_object_meta_t meta;
    if (prestige_store_head(prestige_file_upload_store(s->o.upload), p->f.key, &meta, &e2) == 0 &&
        meta.size == (uint64_t)f.bytes) {
      p->uploaded = true;
      if (!s->o.keep_local) unlink(p->f.path);
    } else {
      rc = submit_upload(s, p, err);
    }
    if (meta.key || meta.etag) prestige_object_meta_clear(&meta);
    s->recovered++;
  }
  free(done);
  return rc;
}

/* ---- open / close ---------------------------------------------------------------------------------------- */

static void sink_free(prestige_sink_t *s) {
  if (!s) return;
  drop_file(s);
  if (s->has_final) prestige_sink_manifest_release(&s->final_man);
  for (size_t i = 0; i < s->n_pend; i++) {
    free(s->pend[i].f.path);
    free(s->pend[i].f.key);
  }
  free(s->pend);
  if (s->q) {
    void *item;
    queue_close(s->q);
    while (queue_pop(s->q, &item, 0) == 0) {
      msg_t *m = item;
      if (m->kind == MSG_BATCH && m->batch.release) m->batch.release(&m->batch);
      else if (m->reply) answer(m->reply, PRESTIGE_ESHUTDOWN, NULL, NULL);
      free(m);
    }
    queue_free(s->q);
  }
  if (s->schema.release) s->schema.release(&s->schema);
  pthread_mutex_destroy(&s->run_mu);
  pthread_cond_destroy(&s->run_cv);
  free(s->name);
  free(s->dir);
  free(s->label);
  free(s->ts_name);
  free(s);
}

int prestige_sink_open(prestige_sink_t **out, const prestige_sink_options_t *o, const prestige_record_desc_t *desc,
                       const struct ArrowSchema *schema, prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  if (!out) return prestige_error_set(err, PRESTIGE_EINVAL, "prestige_sink_open: out is NULL");
  *out = NULL;
  if (!o) return prestige_error_set(err, PRESTIGE_EINVAL, "sink: options are required (start from PRESTIGE_SINK_OPTIONS_INIT)");
  PRESTIGE_TRY(OPTIONS_CHECK_VERSION(o, PRESTIGE_SINK_OPTIONS, "prestige_sink_options_t", err));
  if (!o->name || !*o->name || strchr(o->name, '/'))
    return prestige_error_set(err, PRESTIGE_EINVAL, "sink: option name is required, without '/'");
  if (!o->dir || !*o->dir) return prestige_error_set(err, PRESTIGE_EINVAL, "sink %s: option dir (the output directory) is required", o->name);
  if (!desc && !schema) return prestige_error_set(err, PRESTIGE_EINVAL, "sink %s: a record type or an Arrow schema is required", o->name);
  PRESTIGE_TRY(validate_sink_options(o, err));
  prestige_sink_t *s = calloc(1, sizeof *s);
  if (!s) return oom(err);
  s->o = *o;
  s->name = strdup(o->name);
  s->dir = strdup(o->dir);
  s->label = strdup(o->metrics_label ? o->metrics_label : o->name);
  s->ts_name = o->timestamp_column ? strdup(o->timestamp_column) : NULL;
  pthread_mutex_init(&s->run_mu, NULL);
  pthread_cond_init(&s->run_cv, NULL);
  s->desc = desc;
  s->ts_col = -1;
  s->ckpt_fd[0] = s->ckpt_fd[1] = -1;
  s->q = queue_new(s->o.queue_capacity);
  int rc = 0;
  if (!s->name || !s->dir || !s->label || !s->q || (o->timestamp_column && !s->ts_name)) {
    rc = oom(err);
    goto fail;
  }
  size_t dl = strlen(s->dir);
  while (dl > 1 && s->dir[dl - 1] == '/') s->dir[--dl] = 0;
  if (desc) {
    if ((rc = prestige_record_validate(desc, err)) || (rc = prestige_record_schema(desc, &s->schema, err))) goto fail;
  } else if ((rc = prestige_schema_copy(&s->schema, schema, err))) {
    goto fail;
  }
  if (!s->schema.format || strcmp(s->schema.format, "+s") != 0) {
    rc = prestige_error_set(err, PRESTIGE_ETYPE, "sink %s: the schema must be a struct", s->name);
    goto fail;
  }
  for (int64_t i = 0; i < s->schema.n_children; i++) {
    const struct ArrowSchema *c = s->schema.children[i];
    if (strncmp(c->format, "ts", 2) != 0 || strlen(c->format) < 4) continue;
    if (s->ts_name ? strcmp(c->name, s->ts_name) != 0 : s->ts_col >= 0) continue;
    s->ts_col = (int)i;
    switch (c->format[2]) {
      case 's': s->ts_div = 1, s->ts_mul = 1000; break;
      case 'm': s->ts_div = 1, s->ts_mul = 1; break;
      case 'u': s->ts_div = 1000, s->ts_mul = 1; break;
      default: s->ts_div = 1000000, s->ts_mul = 1; break;
    }
  }
  if (s->ts_name && s->ts_col < 0) {
    rc = prestige_error_set(err, PRESTIGE_EINVAL, "sink %s: no timestamp column named %s", s->name, s->ts_name);
    goto fail;
  }
  if ((rc = mkdir_p(s->dir, err)) || (rc = recover(s, err))) goto fail;
  *out = s;
  return 0;
fail:
  sink_free(s);
  return rc;
}

size_t prestige_sink_restored_files(const prestige_sink_t *s, int64_t *rows) {
  if (rows) *rows = s->restored_rows;
  return s->restored;
}

size_t prestige_sink_recovered_files(const prestige_sink_t *s, size_t *moved, size_t *deleted) {
  if (moved) *moved = s->moved;
  if (deleted) *deleted = s->deleted;
  return s->recovered;
}

static int send_and_wait(prestige_sink_t *s, int kind, prestige_sink_manifest_t *man, prestige_error_t *err) {
  reply_t r;
  memset(&r, 0, sizeof r);
  pthread_mutex_init(&r.mu, NULL);
  pthread_cond_init(&r.cv, NULL);
  msg_t *m = calloc(1, sizeof *m);
  if (!m) return oom(err);
  m->kind = kind;
  m->reply = &r;
  int rc;
  if (queue_push(s->q, m, -1) != 0) {
    free(m);
    rc = prestige_error_set(err, PRESTIGE_ESHUTDOWN, "sink %s is shut down", s->name);
  } else {
    pthread_mutex_lock(&r.mu);
    while (!r.done) pthread_cond_wait(&r.cv, &r.mu);
    pthread_mutex_unlock(&r.mu);
    rc = r.rc;
    if (rc) {
      if (err) *err = r.err;
      if (rc == PRESTIGE_ESHUTDOWN && err && !err->message[0])
        prestige_error_set(err, PRESTIGE_ESHUTDOWN, "sink %s is shut down", s->name);
    } else if (man) {
      *man = r.m;
    } else {
      prestige_sink_manifest_release(&r.m);
    }
  }
  pthread_mutex_destroy(&r.mu);
  pthread_cond_destroy(&r.cv);
  return rc;
}

int prestige_sink_close(prestige_sink_t *s, prestige_sink_manifest_t *final, prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  if (final) memset(final, 0, sizeof *final);
  if (!s) return 0;
  int rc = 0;
  pthread_mutex_lock(&s->run_mu);
  if (s->n_clients) {
    size_t n = s->n_clients;
    pthread_mutex_unlock(&s->run_mu);
    return prestige_error_set(err, PRESTIGE_EBUSY,
                              "sink %s: close while %zu client%s alive; free every client (prestige_sink_client_free) "
                              "first: the sink is still open",
                              s->name, n, n == 1 ? " is" : "s are");
  }
  s->closing = true;
  bool live = s->running || (s->started && !s->stopped);
  pthread_mutex_unlock(&s->run_mu);
  if (live && !atomic_load(&s->closed)) {
    rc = send_and_wait(s, MSG_CLOSE, final, err);
    if (rc == PRESTIGE_ESHUTDOWN) rc = 0; /* already stopped by its shutdown token */
  } else if (!s->started && !s->running && !s->stopped) {
    /* never ran: commit inline so nothing written is lost */
    atomic_store(&s->closed, true);
    queue_close(s->q);
    void *item;
    while (queue_pop(s->q, &item, 0) == 0) {
      msg_t *m = item;
      if (m->kind == MSG_BATCH) {
        prestige_error_t e;
        prestige_error_init(&e);
        if (!s->fail_rc && write_batch(s, &m->batch, &e)) {
          s->fail_rc = e.code;
          s->fail_err = e;
        }
        if (m->batch.release) m->batch.release(&m->batch);
      } else {
        answer(m->reply, PRESTIGE_ESHUTDOWN, NULL, NULL);
      }
      free(m);
    }
    prestige_sink_manifest_t man;
    rc = do_commit(s, &man, true, err);
    if (!rc) {
      if (final) *final = man;
      else prestige_sink_manifest_release(&man);
    }
  }
  atomic_store(&s->closed, true);
  queue_close(s->q);
  if (s->started) pthread_join(s->th, NULL);
  pthread_mutex_lock(&s->run_mu);
  while (s->running) pthread_cond_wait(&s->run_cv, &s->run_mu);
  pthread_mutex_unlock(&s->run_mu);
  if (!rc && s->run_rc) {
    rc = s->run_rc;
    if (err) *err = s->run_err;
  }
  if (!rc && s->has_final && final) { /* stopped by the token: the manifest of its final commit */
    *final = s->final_man;
    s->has_final = false;
  }
  sink_free(s);
  return rc;
}

/* ---- clients ------------------------------------------------------------------------------------------------ */

prestige_sink_client_t *prestige_sink_client_new(prestige_sink_t *s) {
  if (!s) return NULL;
  prestige_sink_client_t *c = calloc(1, sizeof *c);
  if (!c) return NULL;
  c->sink = s;
  if (s->desc && !(c->stage = malloc((size_t)s->o.batch_size * s->desc->size))) {
    free(c);
    return NULL;
  }
  pthread_mutex_lock(&s->run_mu);
  bool ok = !s->closing && !atomic_load(&s->closed);
  if (ok) s->n_clients++;
  pthread_mutex_unlock(&s->run_mu);
  if (!ok) {
    free(c->stage);
    free(c);
    return NULL;
  }
  pthread_mutex_init(&c->mu, NULL);
  return c;
}

static int push_batch(prestige_sink_t *s, struct ArrowArray *b, prestige_error_t *err) {
  msg_t *m = calloc(1, sizeof *m);
  if (!m) return oom(err);
  m->kind = MSG_BATCH;
  m->batch = *b;
  int64_t rows = b->length;
  b->release = NULL;
  if (queue_push(s->q, m, -1) != 0) {
    if (m->batch.release) m->batch.release(&m->batch);
    free(m);
    return prestige_error_set(err, PRESTIGE_ESHUTDOWN, "sink %s is shut down: %lld records not written", s->name,
                              (long long)rows);
  }
  return 0;
}

static int flush_locked(prestige_sink_client_t *c, prestige_error_t *err) {
  if (!c->n) return 0;
  struct ArrowArray b;
  int rc = records_to_arrow_prechecked(c->sink->desc, c->stage, c->n, &b, err); /* strings checked at write */
  size_t n = c->n;
  c->n = 0;
  arena_release(&c->arena);
  if (rc) return prestige_error_prefix(err, "sink %s: %zu buffered records", c->sink->name, n);
  return push_batch(c->sink, &b, err);
}

int prestige_sink_write_many(prestige_sink_client_t *c, const void *records, size_t n, prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  prestige_sink_t *s = c->sink;
  if (!s->desc) return prestige_error_set(err, PRESTIGE_EINVAL, "sink %s takes Arrow batches (it has no record type)", s->name);
  if (atomic_load(&s->closed)) return prestige_error_set(err, PRESTIGE_ESHUTDOWN, "sink %s is shut down", s->name);
  pthread_mutex_lock(&c->mu);
  int rc = 0;
  for (size_t i = 0; i < n && !rc; i++) {
    const uint8_t *rec = (const uint8_t *)records + i * s->desc->size;
    if ((rc = records_check_utf8(s->desc, rec, err))) {
      prestige_error_prefix(err, "sink %s: record %zu of this write (the %zu before it were taken)", s->name, i, i);
      break;
    }
    if (records_copy(s->desc, rec, c->stage + c->n * s->desc->size, &c->arena)) {
      rc = oom(err);
      break;
    }
    if (++c->n == (size_t)s->o.batch_size) rc = flush_locked(c, err);
  }
  pthread_mutex_unlock(&c->mu);
  return rc;
}

int prestige_sink_write(prestige_sink_client_t *c, const void *record, prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  return prestige_sink_write_many(c, record, 1, err);
}

int prestige_sink_write_batch(prestige_sink_client_t *c, struct ArrowArray *batch, prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  if (!c || !batch || !batch->release) {
    if (batch && batch->release) batch->release(batch);
    return prestige_error_set(err, PRESTIGE_EINVAL, "prestige_sink_write_batch: %s", !c ? "client is NULL" : !batch ? "batch is NULL" : "batch is already released");
  }
  prestige_sink_t *s = c->sink;
  int rc = prestige_array_validate(batch, &s->schema, err);
  if (rc) rc = prestige_error_prefix(err, "sink %s: batch does not match the schema", s->name);
  if (!rc) {
    pthread_mutex_lock(&c->mu);
    rc = flush_locked(c, err);
    if (!rc) rc = push_batch(s, batch, err); /* moves the batch, also on failure */
    pthread_mutex_unlock(&c->mu);
  }
  if (batch->release) batch->release(batch); /* moved: released on failure too */
  return rc;
}

int prestige_sink_commit(prestige_sink_client_t *c, prestige_sink_manifest_t *manifest, prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  if (manifest) memset(manifest, 0, sizeof *manifest);
  pthread_mutex_lock(&c->mu);
  int rc = flush_locked(c, err);
  pthread_mutex_unlock(&c->mu);
  if (rc) return rc;
  return send_and_wait(c->sink, MSG_COMMIT, manifest, err);
}

int prestige_sink_checkpoint(prestige_sink_client_t *c, prestige_sink_manifest_t *manifest, prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  if (manifest) memset(manifest, 0, sizeof *manifest);
  pthread_mutex_lock(&c->mu);
  int rc = flush_locked(c, err);
  pthread_mutex_unlock(&c->mu);
  if (rc) return rc;
  return send_and_wait(c->sink, MSG_CHECKPOINT, manifest, err);
}

int prestige_sink_client_free(prestige_sink_client_t *c, prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  if (!c) return 0;
  pthread_mutex_lock(&c->mu);
  int rc = flush_locked(c, err);
  pthread_mutex_unlock(&c->mu);
  prestige_sink_t *s = c->sink;
  arena_release(&c->arena);
  free(c->stage);
  pthread_mutex_destroy(&c->mu);
  free(c);
  pthread_mutex_lock(&s->run_mu);
  s->n_clients--;
  pthread_mutex_unlock(&s->run_mu);
  return rc;
}
