/*
 * ParquetSink: clients buffer records and hand Arrow batches to the sink thread through a bounded
 * queue; the sink thread writes them into rotating Parquet files, finishes files durably
 * (footer, fsync, rename, directory fsync), hands them to the uploader, and answers commits with
 * the manifest of the files finished since the previous commit. See prestige/sink.h.
 */
#include "prestige/sink.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/arena.h"
#include "core/io_file.h"
#include "core/log.h"
#include "core/options.h"
#include "core/queue.h"
#include "core/tsname.h"
#include "parquet/writer_internal.h"
#include "prestige/metrics.h"
#include "prestige/parquet_reader.h"
#include "prestige/store.h"
#include "records/copy.h"
#include "sink/sink_internal.h"

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

/* ---- helpers ------------------------------------------------------------------------------------- */

int sink_oom(prestige_error_t *err) { return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory"); }

void sink_fsync_dir(const char *dir) {
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    fsync(fd);
    close(fd);
  }
}

int sink_mkdir_p(const char *path, prestige_error_t *err) {
  char *p = strdup(path);
  if (!p) return sink_oom(err);
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

int64_t sink_parse_name(const char *fname, const char *name, bool tmp) {
  return tsname_parse(fname, name, tmp ? ".parquet.tmp" : ".parquet");
}

static void labels(const prestige_sink_t *s, prestige_label_t *l) { l[0] = (prestige_label_t){"sink", s->label}; }

/* ---- the current file ------------------------------------------------------------------------------ */

static int open_file(prestige_sink_t *s, prestige_error_t *err) {
  int64_t ts = prestige_now_ms();
  if (ts <= s->last_ts) ts = s->last_ts + 1;
  size_t n = strlen(s->dir) + strlen(s->name) + 64;
  char *fin = malloc(n), *tmp = malloc(n + 4);
  if (!fin || !tmp) {
    free(fin);
    free(tmp);
    return sink_oom(err);
  }
  for (;; ts++) {
    tsname_format(fin, n, s->dir, s->name, ts, ".parquet");
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

/* Abandons the current file. A file with a checkpoint is left on disk with its slots (rows a
 * checkpoint made durable were acknowledged): the next open's recovery restores them. */
void sink_drop_file(prestige_sink_t *s) {
  bool keep = s->ckpt_seq > 0 && s->cur_tmp;
  if (s->w) {
    if (keep) io_file_output_keep(s->cur_out);
    prestige_parquet_writer_abort(s->w); /* removes the temporary file unless kept */
  }
  if (keep) {
    LOG_WARN("sink %s: kept the unfinished %s and its checkpoint (%lld rows) for the next recovery", s->name, s->cur_tmp,
             (long long)s->cur_durable_rows);
    sink_drop_slots(s, NULL);
  } else {
    if (s->cur_tmp) unlink(s->cur_tmp);
    sink_drop_slots(s, s->cur_tmp);
  }
  s->w = NULL;
  s->cur_out = NULL;
  free(s->cur_tmp);
  free(s->cur_final);
  s->cur_tmp = s->cur_final = NULL;
  s->cur_rows = 0;
}

/* Footer, fsync, rename, directory fsync; then the file is pending for the next commit. */
int sink_finish_file(prestige_sink_t *s, prestige_error_t *err) {
  sink_take_finished(s);
  if (!s->w) return 0;
  if (s->cur_rows == 0) {
    sink_drop_file(s);
    return 0;
  }
  prestige_parquet_file_summary_t sum;
  if (s->ckpt_seq > 0) io_file_output_keep(s->cur_out); /* a failed close must not remove checkpointed rows */
  int rc = prestige_parquet_writer_close(s->w, &sum, err);
  s->w = NULL;
  s->cur_out = NULL;
  if (rc) {
    sink_drop_file(s);
    return prestige_error_prefix(err, "sink %s: finishing a file", s->name);
  }
  int64_t file_size = sum.file_size;
  prestige_parquet_file_summary_release(&sum);
  if (rename(s->cur_tmp, s->cur_final) != 0) {
    rc = prestige_error_set(err, errno == ENOSPC ? PRESTIGE_ENOSPC : PRESTIGE_EIO, "sink %s: renaming %s: %s", s->name,
                            s->cur_tmp, strerror(errno));
    sink_drop_file(s);
    return rc;
  }
  sink_fsync_dir(s->dir);
  sink_drop_slots(s, s->cur_tmp); /* the file is whole: its checkpoints are history */
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
  if ((rc = sink_add_pending(s, &f, err))) {
    free(f.path);
    return rc;
  }
  if (s->o.on_file) s->o.on_file(s->o.user_data, &s->pend[s->n_pend - 1].f);
  if (s->o.auto_commit) rc = sink_submit_upload(s, &s->pend[s->n_pend - 1], err);
  return rc;
}

/* ---- the finisher: rotated files finished off the sink thread ---------------------------------------- */

/* A rotated file that cannot be finished: as sink_drop_file, a checkpointed one stays with its
 * slots for the next recovery. The writer is gone (closed or aborted). */
static void finishing_drop(prestige_sink_t *s, sink_finishing_t *j) {
  if (j->ckpt_seq > 0) {
    LOG_WARN("sink %s: kept the unfinished %s and its checkpoint (%lld rows) for the next recovery", s->name, j->tmp,
             (long long)j->durable_rows);
    sink_close_slots(j->ckpt_fd, NULL);
  } else {
    unlink(j->tmp);
    sink_close_slots(j->ckpt_fd, j->tmp);
  }
}

/* On the finisher thread: what sink_finish_file does before the file is pending. Touches only j
 * and the sink's fields fixed at open (name, dir). */
static void finishing_run(prestige_sink_t *s, sink_finishing_t *j) {
  prestige_error_init(&j->err);
  prestige_parquet_file_summary_t sum;
  if (j->ckpt_seq > 0) io_file_output_keep(j->out); /* a failed close must not remove checkpointed rows */
  int rc = prestige_parquet_writer_close(j->w, &sum, &j->err);
  j->w = NULL;
  j->out = NULL;
  if (rc) {
    j->rc = prestige_error_prefix(&j->err, "sink %s: finishing a file", s->name);
    finishing_drop(s, j);
    return;
  }
  j->f.bytes = sum.file_size;
  prestige_parquet_file_summary_release(&sum);
  if (rename(j->tmp, j->f.path) != 0) {
    j->rc = prestige_error_set(&j->err, errno == ENOSPC ? PRESTIGE_ENOSPC : PRESTIGE_EIO, "sink %s: renaming %s: %s",
                               s->name, j->tmp, strerror(errno));
    finishing_drop(s, j);
    return;
  }
  sink_fsync_dir(s->dir);
  sink_close_slots(j->ckpt_fd, j->tmp); /* the file is whole: its checkpoints are history */
  j->rc = 0;
}

static void *finisher_thread(void *arg) {
  prestige_sink_t *s = arg;
  pthread_mutex_lock(&s->fin_mu);
  for (;;) {
    while (!s->fin_todo && !s->fin_stop) pthread_cond_wait(&s->fin_cv, &s->fin_mu);
    sink_finishing_t *j = s->fin_todo;
    if (!j) break; /* stopped, and nothing left to finish */
    s->fin_todo = j->next;
    if (!s->fin_todo) s->fin_todo_tail = NULL;
    pthread_mutex_unlock(&s->fin_mu);
    finishing_run(s, j);
    pthread_mutex_lock(&s->fin_mu);
    j->next = NULL;
    if (s->fin_done_tail) s->fin_done_tail->next = j;
    else s->fin_done = j;
    s->fin_done_tail = j;
    pthread_cond_broadcast(&s->fin_done_cv);
  }
  pthread_mutex_unlock(&s->fin_mu);
  return NULL;
}

/* On the sink thread: a finished (or failed) rotated file joins the pending files, as
 * sink_finish_file's tail does. */
static void finishing_take(prestige_sink_t *s, sink_finishing_t *j) {
  int rc = j->rc;
  prestige_error_t e = j->err;
  if (!rc) {
    prestige_label_t l[1];
    labels(s, l);
    prestige_metrics_counter_add("prestige.file_sink.files_created", l, 1, 1);
    if ((rc = sink_add_pending(s, &j->f, &e))) {
      free(j->f.path);
    } else {
      if (s->o.on_file) s->o.on_file(s->o.user_data, &s->pend[s->n_pend - 1].f);
      if (s->o.auto_commit) rc = sink_submit_upload(s, &s->pend[s->n_pend - 1], &e);
    }
  } else {
    free(j->f.path);
  }
  if (rc && !s->fail_rc) {
    LOG_ERROR("%s", e.message);
    s->fail_rc = rc;
    s->fail_err = e;
  }
  free(j->tmp);
  free(j);
}

/* Takes back finished files in rotation order, waiting while more than `keep` are in flight. */
static void take_finished(prestige_sink_t *s, size_t keep) {
  if (!s->fin_started) return;
  for (;;) {
    pthread_mutex_lock(&s->fin_mu);
    while (s->fin_inflight > keep && !s->fin_done) pthread_cond_wait(&s->fin_done_cv, &s->fin_mu);
    sink_finishing_t *j = s->fin_done;
    s->fin_done = s->fin_done_tail = NULL;
    for (sink_finishing_t *k = j; k; k = k->next) s->fin_inflight--;
    pthread_mutex_unlock(&s->fin_mu);
    if (!j) return;
    while (j) {
      sink_finishing_t *next = j->next;
      finishing_take(s, j);
      j = next;
    }
  }
}

void sink_take_finished(prestige_sink_t *s) { take_finished(s, 0); }

/* Ends the current file because a rotation rule says so: handed to the finisher (the sink thread
 * goes on with the next file while the last row group, footer and fsyncs are done), or finished
 * here when there is no finisher or no memory for the hand-over. */
static int rotate_file(prestige_sink_t *s, prestige_error_t *err) {
  if (!s->w) return 0;
  sink_finishing_t *j = s->fin_started && s->cur_rows > 0 ? calloc(1, sizeof *j) : NULL;
  if (!j) return sink_finish_file(s, err);
  take_finished(s, SINK_FINISH_MAX - 1); /* room for this one */
  j->w = s->w;
  j->out = s->cur_out;
  j->tmp = s->cur_tmp;
  j->ckpt_fd[0] = s->ckpt_fd[0];
  j->ckpt_fd[1] = s->ckpt_fd[1];
  j->ckpt_seq = s->ckpt_seq;
  j->durable_rows = s->cur_durable_rows;
  j->f = (prestige_sink_file_t){.path = s->cur_final,
                                .rows = s->cur_rows,
                                .has_timestamps = s->cur_has_ts,
                                .min_timestamp_ms = s->cur_min_ts,
                                .max_timestamp_ms = s->cur_max_ts};
  s->w = NULL;
  s->cur_out = NULL;
  s->cur_tmp = s->cur_final = NULL;
  s->cur_rows = 0;
  s->ckpt_fd[0] = s->ckpt_fd[1] = -1;
  s->ckpt_seq = 0;
  s->cur_durable_rows = 0;
  pthread_mutex_lock(&s->fin_mu);
  if (s->fin_todo_tail) s->fin_todo_tail->next = j;
  else s->fin_todo = j;
  s->fin_todo_tail = j;
  s->fin_inflight++;
  pthread_cond_signal(&s->fin_cv);
  pthread_mutex_unlock(&s->fin_mu);
  return 0;
}

static void finisher_start(prestige_sink_t *s) {
  s->fin_started = pthread_create(&s->fin_th, NULL, finisher_thread, s) == 0; /* else files finish on the sink thread */
}

/* Finishes what is still handed over, joins the thread; results not taken are dropped (their
 * files are finished on disk, as a file finished just before a crash). */
static void finisher_stop(prestige_sink_t *s) {
  if (!s->fin_started) return;
  pthread_mutex_lock(&s->fin_mu);
  s->fin_stop = true;
  pthread_cond_signal(&s->fin_cv);
  pthread_mutex_unlock(&s->fin_mu);
  pthread_join(s->fin_th, NULL);
  s->fin_started = false;
  for (sink_finishing_t *j = s->fin_done, *next; j; j = next) {
    next = j->next;
    free(j->f.path);
    free(j->tmp);
    free(j);
  }
  s->fin_done = s->fin_done_tail = NULL;
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
    int rc = pqw_write_validated(s->w, b, r, n, err); /* validated once by the caller */
    if (rc) {
      sink_drop_file(s);
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
      PRESTIGE_TRY(rotate_file(s, err));
  }
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
    take_finished(s, SIZE_MAX); /* what the finisher is done with: pending, on_file, uploads */
    int64_t wait = s->fin_inflight ? 10 : 200;
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
        int rc = rotate_file(s, &e);
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
      int rc = sink_do_commit(s, &man, m->kind != MSG_CHECKPOINT, &e);
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
    rc = sink_do_commit(s, &man, true, &e);
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

/* ---- open / close ---------------------------------------------------------------------------------------- */

static void sink_free(prestige_sink_t *s) {
  if (!s) return;
  sink_drop_file(s);
  finisher_stop(s);
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
  pthread_mutex_destroy(&s->fin_mu);
  pthread_cond_destroy(&s->fin_cv);
  pthread_cond_destroy(&s->fin_done_cv);
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
  if (!s) return sink_oom(err);
  s->o = *o;
  s->name = strdup(o->name);
  s->dir = strdup(o->dir);
  s->label = strdup(o->metrics_label ? o->metrics_label : o->name);
  s->ts_name = o->timestamp_column ? strdup(o->timestamp_column) : NULL;
  pthread_mutex_init(&s->run_mu, NULL);
  pthread_cond_init(&s->run_cv, NULL);
  pthread_mutex_init(&s->fin_mu, NULL);
  pthread_cond_init(&s->fin_cv, NULL);
  pthread_cond_init(&s->fin_done_cv, NULL);
  s->desc = desc;
  s->ts_col = -1;
  s->ckpt_fd[0] = s->ckpt_fd[1] = -1;
  s->q = queue_new(s->o.queue_capacity);
  int rc = 0;
  if (!s->name || !s->dir || !s->label || !s->q || (o->timestamp_column && !s->ts_name)) {
    rc = sink_oom(err);
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
  if ((rc = sink_mkdir_p(s->dir, err)) || (rc = sink_recover(s, err))) goto fail;
  finisher_start(s);
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
  if (!m) return sink_oom(err);
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
    rc = sink_do_commit(s, &man, true, err);
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
  if (records_stage_init(&c->stage, s->desc, (size_t)s->o.batch_size, "sink", s->name)) {
    free(c);
    return NULL;
  }
  pthread_mutex_lock(&s->run_mu);
  bool ok = !s->closing && !atomic_load(&s->closed);
  if (ok) s->n_clients++;
  pthread_mutex_unlock(&s->run_mu);
  if (!ok) {
    records_stage_release(&c->stage);
    free(c);
    return NULL;
  }
  pthread_mutex_init(&c->mu, NULL);
  return c;
}

static int push_batch(prestige_sink_t *s, struct ArrowArray *b, prestige_error_t *err) {
  msg_t *m = calloc(1, sizeof *m);
  if (!m) {
    if (b->release) b->release(b); /* the batch was moved in */
    return sink_oom(err);
  }
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

static int push_staged(void *sink, struct ArrowArray *b, prestige_error_t *err) { return push_batch(sink, b, err); }

static int flush_locked(prestige_sink_client_t *c, prestige_error_t *err) {
  return records_stage_flush(&c->stage, push_staged, c->sink, err);
}

int prestige_sink_write_many(prestige_sink_client_t *c, const void *records, size_t n, prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  prestige_sink_t *s = c->sink;
  if (!s->desc) return prestige_error_set(err, PRESTIGE_EINVAL, "sink %s takes Arrow batches (it has no record type)", s->name);
  if (atomic_load(&s->closed)) return prestige_error_set(err, PRESTIGE_ESHUTDOWN, "sink %s is shut down", s->name);
  pthread_mutex_lock(&c->mu);
  int rc = records_stage_add(&c->stage, records, n, push_staged, s, err);
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
  pthread_mutex_lock(&c->mu);
  int rc = records_stage_write_batch(&c->stage, &s->schema, batch, push_staged, s, err);
  pthread_mutex_unlock(&c->mu);
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
  records_stage_release(&c->stage);
  pthread_mutex_destroy(&c->mu);
  free(c);
  pthread_mutex_lock(&s->run_mu);
  s->n_clients--;
  pthread_mutex_unlock(&s->run_mu);
  return rc;
}
