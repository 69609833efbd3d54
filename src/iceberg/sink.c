/*
 * IcebergSink: clients buffer records and hand Arrow batches to the writer thread through a
 * bounded queue (backpressure, as the ParquetSink's); the writer thread writes them with an
 * internal append (partitioned fanout, sorted files) and seals a commit on max_rows,
 * max_size_bytes, roll_time, commit() and close; sealed commits (their manifest durable first)
 * go to the commit thread (sink_commit.c), at most max_pending_commits at a time.
 * See prestige/iceberg_sink.h.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "iceberg/sink_internal.h"
#include "prestige/metrics.h"
#include "records/stage.h"

enum { MSG_BATCH, MSG_COMMIT, MSG_CLOSE, MSG_PUBLISH };

typedef struct msg {
  int kind;
  struct ArrowArray batch;
  isink_reply_t *reply;
} msg_t;

struct prestige_iceberg_sink_client {
  prestige_iceberg_sink_t *sink;
  pthread_mutex_t mu;
  records_stage_t stage;
};

static int oom(prestige_error_t *err) { return prestige_error_set(err, PRESTIGE_ENOMEM, "iceberg sink: out of memory"); }

void prestige_iceberg_sink_options_init(prestige_iceberg_sink_options_t *o) {
  prestige_iceberg_sink_options_t d = PRESTIGE_ICEBERG_SINK_OPTIONS_INIT;
  *o = d;
}

void prestige_iceberg_sink_commit_result_release(prestige_iceberg_sink_commit_result_t *r) {
  if (!r) return;
  for (size_t i = 0; i < r->n_files; i++) free(r->files[i]);
  free(r->files);
  memset(r, 0, sizeof *r);
  r->snapshot_id = -1;
}

void isink_answer(isink_reply_t *r, int rc, const prestige_error_t *e) {
  pthread_mutex_lock(&r->mu);
  r->rc = rc;
  if (rc && e) r->err = *e;
  r->done = true;
  pthread_cond_broadcast(&r->cv);
  pthread_mutex_unlock(&r->mu);
}

void isink_metric_inflight(prestige_iceberg_sink_t *s) {
  prestige_label_t l[1] = {{"sink", s->label}};
  prestige_metrics_gauge_set("prestige.iceberg_sink.commits_in_flight", l, 1, (double)s->inflight);
}

/* Rough in-memory size of a batch: string/binary payloads plus 8 bytes a value elsewhere. */
static int64_t approx_bytes(const struct ArrowArray *a, const struct ArrowSchema *s) {
  int64_t total = 0;
  for (int64_t i = 0; i < a->n_children && i < s->n_children; i++) {
    const struct ArrowArray *c = a->children[i];
    const char *f = s->children[i]->format;
    if ((!strcmp(f, "u") || !strcmp(f, "z")) && c->n_buffers >= 3 && c->buffers[1] && c->length > 0) {
      const int32_t *off = c->buffers[1];
      total += off[c->offset + c->length] - off[c->offset] + 4 * c->length;
    } else if ((!strcmp(f, "U") || !strcmp(f, "Z")) && c->n_buffers >= 3 && c->buffers[1] && c->length > 0) {
      const int64_t *off = c->buffers[1];
      total += off[c->offset + c->length] - off[c->offset] + 8 * c->length;
    } else if (c->n_children) {
      total += approx_bytes(c, s->children[i]);
    } else {
      total += 8 * c->length;
    }
  }
  return total;
}

/* ---- the writer thread ---------------------------------------------------------------------------- */

static int open_cur(prestige_iceberg_sink_t *s, prestige_error_t *err) {
  ice_append_options_t ao = ICE_APPEND_OPTIONS_INIT;
  ao.branch = s->branch;
  ao.target_file_size_bytes = s->o.target_file_size_bytes;
  ao.writer_threads = s->o.writer_threads;
  prestige_iceberg_table_t *t = s->table;
  PRESTIGE_TRY(ice_append_new(&s->cur, t->catalog, &t->ident, t->io, &t->loaded, &ao, err));
  s->cur_rows = s->cur_bytes = 0;
  s->cur_opened_ms = prestige_now_ms();
  return 0;
}

static void drop_cur(prestige_iceberg_sink_t *s) {
  ice_append_free(s->cur); /* its files are deleted: nothing of it was acknowledged */
  s->cur = NULL;
  s->cur_rows = s->cur_bytes = 0;
}

static void wfail(prestige_iceberg_sink_t *s, int rc, const prestige_error_t *e) {
  LOG_ERROR("%s", e->message);
  if (!s->wfail_rc) {
    s->wfail_rc = rc;
    s->wfail_err = *e;
  }
  if (s->cur) drop_cur(s);
}

/* Seals the open append: handed to the commit thread once fewer than max_pending_commits are in
 * flight. */
static int seal(prestige_iceberg_sink_t *s, prestige_error_t *err) {
  if (!s->cur) return 0;
  if (!s->cur_rows) {
    drop_cur(s);
    return 0;
  }
  /* the files are closed (footers, fsyncs) and the recovery manifest written on the commit
   * thread, so the writer goes on with the next commit's rows meanwhile */
  isink_job_t *j = calloc(1, sizeof *j);
  if (!j) return oom(err);
  j->kind = ISINK_JOB_DATA;
  j->seq = s->next_seq++;
  j->w = s->cur;
  j->rows = s->cur_rows;
  s->cur = NULL;
  s->cur_rows = s->cur_bytes = 0;
  pthread_mutex_lock(&s->mu);
  while (s->inflight >= s->o.max_pending_commits) pthread_cond_wait(&s->cv, &s->mu);
  s->inflight++;
  isink_metric_inflight(s);
  pthread_mutex_unlock(&s->mu);
  j->sealed_ms = prestige_now_ms();
  queue_push(s->cq, j, -1);
  return 0;
}

/* The commit thread's last job: static, so that stopping it never needs memory (a lost END left
 * close waiting forever for the commit thread). */
isink_job_t isink_end_job = {.kind = ISINK_JOB_END};

static void push_job(prestige_iceberg_sink_t *s, int kind, isink_reply_t *reply) {
  if (kind == ISINK_JOB_END) {
    queue_push(s->cq, &isink_end_job, -1);
    return;
  }
  isink_job_t *j = calloc(1, sizeof *j);
  if (!j && !reply) { /* the final commit of a shutdown: its outcome is this failure, not "none" */
    s->has_final = true; /* no barrier is in flight to set it on the commit thread */
    s->final_rc = oom(&s->final_err);
    return;
  }
  if (!j) {
    prestige_error_t e;
    oom(&e);
    if (reply) isink_answer(reply, e.code, &e);
    return;
  }
  j->kind = kind;
  j->reply = reply;
  queue_push(s->cq, j, -1);
}

static bool due(prestige_iceberg_sink_t *s) {
  if (!s->cur || !s->cur_rows || !s->o.auto_commit) return false;
  if (s->o.max_rows > 0 && s->cur_rows >= s->o.max_rows) return true;
  if (s->o.max_size_bytes > 0 && s->cur_bytes >= s->o.max_size_bytes) return true;
  if (s->o.roll_time_ms > 0 && prestige_now_ms() - s->cur_opened_ms >= s->o.roll_time_ms) return true;
  return false;
}

static void *writer_thread(void *arg) {
  prestige_iceberg_sink_t *s = arg;
  bool stop = false;
  while (!stop) {
    int64_t wait = 200;
    if (s->cur && s->cur_rows && s->o.auto_commit && s->o.roll_time_ms > 0) {
      int64_t left = s->cur_opened_ms + s->o.roll_time_ms - prestige_now_ms();
      if (left < wait) wait = left < 0 ? 0 : left;
    }
    void *item = NULL;
    int prc = queue_pop(s->q, &item, wait);
    if (prc == PRESTIGE_ETIMEOUT || prc == 0) {
      if (!s->wfail_rc && due(s)) {
        prestige_error_t e;
        prestige_error_init(&e);
        int rc = seal(s, &e);
        if (rc) wfail(s, rc, &e);
      }
      if (s->o.shutdown && prestige_shutdown_triggered(s->o.shutdown) && !atomic_load(&s->closed)) {
        atomic_store(&s->closed, true);
        queue_close(s->q); /* refuse new writes; drain, then a final commit */
      }
    }
    if (prc == PRESTIGE_ESHUTDOWN) break;
    if (prc != 0) continue;
    msg_t *m = item;
    prestige_error_t e;
    prestige_error_init(&e);
    if (m->kind == MSG_BATCH) {
      if (!s->wfail_rc) {
        int64_t n = m->batch.length, bytes = approx_bytes(&m->batch, &s->schema);
        int rc = 0;
        if (!s->cur) rc = open_cur(s, &e);
        if (!rc) rc = ice_append_write(s->cur, &s->schema, &m->batch, &e); /* moved */
        if (rc) {
          wfail(s, rc, &e);
        } else {
          s->cur_rows += n;
          s->cur_bytes += bytes;
          prestige_label_t l[1] = {{"sink", s->label}};
          prestige_metrics_counter_add("prestige.iceberg_sink.records_written", l, 1, (uint64_t)n);
          if (due(s) && (rc = seal(s, &e))) wfail(s, rc, &e);
        }
      }
      if (m->batch.release) m->batch.release(&m->batch);
      free(m);
      continue;
    }
    int rc = s->wfail_rc ? 0 : seal(s, &e);
    if (rc) wfail(s, rc, &e);
    if (s->wfail_rc) {
      isink_answer(m->reply, s->wfail_rc, &s->wfail_err);
    } else {
      push_job(s, m->kind == MSG_PUBLISH ? ISINK_JOB_PUBLISH : ISINK_JOB_BARRIER, m->reply);
    }
    if (m->kind == MSG_CLOSE) stop = true;
    free(m);
  }
  if (!stop) { /* stopped by the shutdown token: a final commit */
    prestige_error_t e;
    prestige_error_init(&e);
    int rc = s->wfail_rc ? 0 : seal(s, &e);
    if (rc) wfail(s, rc, &e);
    if (s->wfail_rc) {
      s->has_final = true;
      s->final_rc = s->wfail_rc;
      s->final_err = s->wfail_err;
    } else {
      push_job(s, ISINK_JOB_BARRIER, NULL);
    }
  }
  push_job(s, ISINK_JOB_END, NULL);
  return NULL;
}

/* ---- open / close ---------------------------------------------------------------------------------- */

static int split_ident(const char *ident, char **ns, char **name) {
  const char *dot = strrchr(ident, '.');
  *ns = dot ? strndup(ident, (size_t)(dot - ident)) : NULL;
  *name = strdup(dot ? dot + 1 : ident);
  return *name && (!dot || *ns) ? 0 : PRESTIGE_ENOMEM;
}

static int load_or_create(prestige_iceberg_sink_t *s, prestige_iceberg_catalog_t *cat, const prestige_error_t *unused,
                          prestige_error_t *err) {
  (void)unused;
  const prestige_iceberg_sink_options_t *o = &s->o;
  char *ident = NULL;
  if (o->table) {
    ident = strdup(o->table);
  } else if (s->desc) {
    const char *tn = s->desc->table ? s->desc->table : s->desc->name;
    size_t n = (s->desc->namespace_ ? strlen(s->desc->namespace_) + 1 : 0) + strlen(tn) + 1;
    if ((ident = malloc(n)))
      snprintf(ident, n, "%s%s%s", s->desc->namespace_ ? s->desc->namespace_ : "", s->desc->namespace_ ? "." : "", tn);
  } else {
    return prestige_error_set(err, PRESTIGE_EINVAL, "iceberg sink: options.table is required without a record type");
  }
  if (!ident) return oom(err);
  prestige_error_t lerr;
  prestige_error_init(&lerr);
  int rc = prestige_iceberg_table_load(cat, ident, &s->table, &lerr);
  if (rc == PRESTIGE_ENOTFOUND) {
    char *ns = NULL, *name = NULL;
    if (split_ident(ident, &ns, &name)) {
      free(ns);
      free(name);
      free(ident);
      return oom(err);
    }
    if (ns) {
      bool exists = false;
      rc = prestige_iceberg_namespace_exists(cat, ns, &exists, err);
      if (!rc && !exists) {
        rc = prestige_iceberg_namespace_create(cat, ns, NULL, 0, err);
        if (rc == PRESTIGE_EEXISTS) rc = 0;
      }
    }
    if (!rc) {
      if (s->desc) {
        prestige_record_desc_t d = *s->desc;
        d.namespace_ = ns;
        d.table = name;
        rc = prestige_iceberg_table_create_for_record(cat, &d, NULL, &s->table, err);
      } else {
        rc = prestige_iceberg_table_create(cat, ident, &s->schema, o->create, &s->table, err);
      }
      if (rc == PRESTIGE_EEXISTS) rc = prestige_iceberg_table_load(cat, ident, &s->table, err); /* another sink made it */
    }
    free(ns);
    free(name);
  } else if (rc) {
    if (err) *err = lerr;
  } else if (s->desc) {
    /* check the records fit (create_for_record does on an existing table) */
    prestige_iceberg_table_free(s->table);
    s->table = NULL;
    char *ns = NULL, *name = NULL;
    if (split_ident(ident, &ns, &name)) rc = oom(err);
    else {
      prestige_record_desc_t d = *s->desc;
      d.namespace_ = ns;
      d.table = name;
      rc = prestige_iceberg_table_create_for_record(cat, &d, NULL, &s->table, err);
    }
    free(ns);
    free(name);
  }
  free(ident);
  return rc;
}

static void sink_free(prestige_iceberg_sink_t *s) {
  if (!s) return;
  if (s->cur) ice_append_free(s->cur);
  if (s->q) {
    void *item;
    queue_close(s->q);
    while (queue_pop(s->q, &item, 0) == 0) {
      msg_t *m = item;
      if (m->batch.release) m->batch.release(&m->batch);
      free(m);
    }
    queue_free(s->q);
  }
  if (s->cq) queue_free(s->cq);
  prestige_iceberg_sink_commit_result_release(&s->acc);
  prestige_iceberg_sink_commit_result_release(&s->final_res);
  ice_loaded_table_release(&s->latest);
  if (s->table) prestige_iceberg_table_free(s->table);
  if (s->mio) ice_io_free(s->mio);
  if (s->schema.release) s->schema.release(&s->schema);
  pthread_mutex_destroy(&s->mu);
  pthread_cond_destroy(&s->cv);
  free(s->label);
  free(s->branch);
  free(s->manifest_dir);
  free(s->writer_id);
  free(s);
}

int prestige_iceberg_sink_open(prestige_iceberg_sink_t **out, prestige_iceberg_catalog_t *catalog,
                               const prestige_iceberg_sink_options_t *o, const prestige_record_desc_t *desc,
                               const struct ArrowSchema *schema, prestige_error_t *err) {
  if (!out) return prestige_error_set(err, PRESTIGE_EINVAL, "iceberg sink: out is NULL");
  *out = NULL;
  if (!catalog || !o) return prestige_error_set(err, PRESTIGE_EINVAL, "iceberg sink: catalog and options are required");
  if (o->version < 1 || o->version > PRESTIGE_ICEBERG_SINK_OPTIONS_VERSION)
    return prestige_error_set(err, PRESTIGE_EINVAL, "iceberg sink: options.version %u is not supported (this library: %d)",
                              o->version, PRESTIGE_ICEBERG_SINK_OPTIONS_VERSION);
  if (!desc && !schema)
    return prestige_error_set(err, PRESTIGE_EINVAL, "iceberg sink: a record type or an Arrow schema is required");
  if (o->max_pending_commits < 1)
    return prestige_error_set(err, PRESTIGE_EINVAL, "iceberg sink: max_pending_commits must be at least 1, not %d",
                              o->max_pending_commits);
  if (o->max_rows < 0 || o->max_size_bytes < 0 || o->roll_time_ms < 0 || o->batch_size < 0 || o->queue_capacity < 0 ||
      o->target_file_size_bytes < 0)
    return prestige_error_set(err, PRESTIGE_EINVAL,
                              "iceberg sink: max_rows, max_size_bytes, roll_time_ms, batch_size, queue_capacity and "
                              "target_file_size_bytes must not be negative");
  if (o->version >= 2 && o->commit_retry_timeout_ms < 0)
    return prestige_error_set(err, PRESTIGE_EINVAL, "iceberg sink: commit_retry_timeout_ms must not be negative");
  if (o->version >= 3 && (o->writer_threads < 1 || o->writer_threads > PRESTIGE_PARQUET_WRITER_MAX_THREADS))
    return prestige_error_set(err, PRESTIGE_EINVAL, "iceberg sink: writer_threads must be 1 to %d, not %d",
                              PRESTIGE_PARQUET_WRITER_MAX_THREADS, o->writer_threads);
  if (o->auto_publish && !o->wap_branch)
    return prestige_error_set(err, PRESTIGE_EINVAL, "iceberg sink: auto_publish needs wap_branch");
  if (o->wap_branch && (!*o->wap_branch || !strcmp(o->wap_branch, "main")))
    return prestige_error_set(err, PRESTIGE_EINVAL, "iceberg sink: wap_branch must name a branch other than main");
  prestige_iceberg_sink_t *s = calloc(1, sizeof *s);
  if (!s) return oom(err);
  s->o = *o;
  if (o->version < 2) s->o.commit_retry_timeout_ms = 0; /* not in a version 1 struct */
  if (o->version < 3) s->o.writer_threads = 1;          /* not in a version 1 or 2 struct */
  if (!s->o.batch_size) s->o.batch_size = 8192;
  if (!s->o.queue_capacity) s->o.queue_capacity = 16;
  s->desc = desc;
  pthread_mutex_init(&s->mu, NULL);
  pthread_cond_init(&s->cv, NULL);
  s->acc.snapshot_id = s->final_res.snapshot_id = -1;
  s->next_seq = 1;
  int rc = 0;
  if (desc) {
    if ((rc = prestige_record_validate(desc, err)) || (rc = prestige_record_schema(desc, &s->schema, err))) goto fail;
  } else if ((rc = prestige_schema_copy(&s->schema, schema, err))) {
    goto fail;
  }
  if ((rc = load_or_create(s, catalog, NULL, err))) goto fail;
  const char *ident = prestige_iceberg_table_ident(s->table);
  s->label = strdup(o->metrics_label ? o->metrics_label : ident);
  s->branch = strdup(o->wap_branch ? o->wap_branch : "main");
  if (!s->label || !s->branch) {
    rc = oom(err);
    goto fail;
  }
  if ((rc = isink_loaded_copy(&s->table->loaded, &s->latest, err))) goto fail;
  if ((rc = isink_recovery_open(s, err))) goto fail; /* writer id, manifest dir */
  if ((rc = isink_recover(s, err))) goto fail;
  s->q = queue_new((size_t)s->o.queue_capacity);
  s->cq = queue_new((size_t)s->o.max_pending_commits + 64);
  if (!s->q || !s->cq) {
    rc = oom(err);
    goto fail;
  }
  if (pthread_create(&s->cth, NULL, isink_commit_thread, s)) {
    rc = prestige_error_set(err, PRESTIGE_EINTERNAL, "iceberg sink %s: cannot start its commit thread", ident);
    goto fail;
  }
  if (pthread_create(&s->wth, NULL, writer_thread, s)) {
    push_job(s, ISINK_JOB_END, NULL);
    pthread_join(s->cth, NULL);
    rc = prestige_error_set(err, PRESTIGE_EINTERNAL, "iceberg sink %s: cannot start its writer thread", ident);
    goto fail;
  }
  s->threads = true;
  *out = s;
  return 0;
fail:
  sink_free(s);
  return rc;
}

size_t prestige_iceberg_sink_recovered(const prestige_iceberg_sink_t *s, int64_t *rows) {
  if (rows) *rows = s ? s->recovered_rows : 0;
  return s ? s->recovered : 0;
}

const char *prestige_iceberg_sink_writer_id(const prestige_iceberg_sink_t *s) { return s ? s->writer_id : NULL; }

static int send_and_wait(prestige_iceberg_sink_t *s, int kind, prestige_iceberg_sink_commit_result_t *res,
                         int64_t *snapshot_id, prestige_error_t *err) {
  isink_reply_t r;
  memset(&r, 0, sizeof r);
  r.res.snapshot_id = -1;
  pthread_mutex_init(&r.mu, NULL);
  pthread_cond_init(&r.cv, NULL);
  msg_t *m = calloc(1, sizeof *m);
  int rc;
  if (!m) {
    rc = oom(err);
  } else {
    m->kind = kind;
    m->reply = &r;
    if (queue_push(s->q, m, -1) != 0) {
      free(m);
      rc = prestige_error_set(err, PRESTIGE_ESHUTDOWN, "iceberg sink %s is shut down", s->label);
    } else {
      pthread_mutex_lock(&r.mu);
      while (!r.done) pthread_cond_wait(&r.cv, &r.mu);
      pthread_mutex_unlock(&r.mu);
      rc = r.rc;
      if (rc && err) *err = r.err;
    }
  }
  if (!rc && res) *res = r.res;
  else prestige_iceberg_sink_commit_result_release(&r.res);
  if (!rc && snapshot_id) *snapshot_id = r.snapshot_id;
  pthread_mutex_destroy(&r.mu);
  pthread_cond_destroy(&r.cv);
  return rc;
}

int prestige_iceberg_sink_close(prestige_iceberg_sink_t *s, prestige_iceberg_sink_commit_result_t *final,
                                prestige_error_t *err) {
  if (final) {
    memset(final, 0, sizeof *final);
    final->snapshot_id = -1;
  }
  if (!s) return 0;
  int rc = 0;
  if (!atomic_load(&s->closed)) {
    rc = send_and_wait(s, MSG_CLOSE, final, NULL, err);
    if (rc == PRESTIGE_ESHUTDOWN) rc = 0; /* stopped by its shutdown token meanwhile */
  }
  atomic_store(&s->closed, true);
  queue_close(s->q);
  if (s->threads) {
    pthread_join(s->wth, NULL);
    pthread_join(s->cth, NULL);
  }
  if (s->has_final) { /* the final commit of a shutdown */
    if (!rc && s->final_rc) {
      rc = s->final_rc;
      if (err) *err = s->final_err;
    } else if (!rc && final && final->commits == 0) {
      *final = s->final_res;
      memset(&s->final_res, 0, sizeof s->final_res);
    }
  }
  sink_free(s);
  return rc;
}

/* ---- clients ---------------------------------------------------------------------------------------- */

prestige_iceberg_sink_client_t *prestige_iceberg_sink_client_new(prestige_iceberg_sink_t *s) {
  if (!s) return NULL;
  prestige_iceberg_sink_client_t *c = calloc(1, sizeof *c);
  if (!c) return NULL;
  c->sink = s;
  pthread_mutex_init(&c->mu, NULL);
  if (records_stage_init(&c->stage, s->desc, (size_t)s->o.batch_size, "iceberg sink", s->label)) {
    pthread_mutex_destroy(&c->mu);
    free(c);
    return NULL;
  }
  return c;
}

/* Takes the batch (moved in, also on failure). */
static int push_batch(prestige_iceberg_sink_t *s, struct ArrowArray *b, prestige_error_t *err) {
  msg_t *m = calloc(1, sizeof *m);
  if (!m) {
    if (b->release) b->release(b);
    return oom(err);
  }
  m->kind = MSG_BATCH;
  m->batch = *b;
  int64_t rows = b->length;
  b->release = NULL;
  if (queue_push(s->q, m, -1) != 0) {
    if (m->batch.release) m->batch.release(&m->batch);
    free(m);
    return prestige_error_set(err, PRESTIGE_ESHUTDOWN, "iceberg sink %s is shut down: %lld records not written", s->label,
                              (long long)rows);
  }
  return 0;
}

static int push_staged(void *sink, struct ArrowArray *b, prestige_error_t *err) { return push_batch(sink, b, err); }

static int flush_locked(prestige_iceberg_sink_client_t *c, prestige_error_t *err) {
  return records_stage_flush(&c->stage, push_staged, c->sink, err);
}

int prestige_iceberg_sink_write_many(prestige_iceberg_sink_client_t *c, const void *records, size_t n, prestige_error_t *err) {
  if (!c) return prestige_error_set(err, PRESTIGE_EINVAL, "iceberg sink: client is NULL");
  prestige_iceberg_sink_t *s = c->sink;
  if (!s->desc)
    return prestige_error_set(err, PRESTIGE_EINVAL, "iceberg sink %s takes Arrow batches (it has no record type)", s->label);
  if (atomic_load(&s->closed)) return prestige_error_set(err, PRESTIGE_ESHUTDOWN, "iceberg sink %s is shut down", s->label);
  pthread_mutex_lock(&c->mu);
  int rc = records_stage_add(&c->stage, records, n, push_staged, s, err);
  pthread_mutex_unlock(&c->mu);
  return rc;
}

int prestige_iceberg_sink_write(prestige_iceberg_sink_client_t *c, const void *record, prestige_error_t *err) {
  return prestige_iceberg_sink_write_many(c, record, 1, err);
}

int prestige_iceberg_sink_write_batch(prestige_iceberg_sink_client_t *c, struct ArrowArray *batch, prestige_error_t *err) {
  if (!c || !batch || !batch->release) {
    if (batch && batch->release) batch->release(batch);
    return prestige_error_set(err, PRESTIGE_EINVAL, "iceberg sink: %s",
                              !c ? "client is NULL" : !batch ? "batch is NULL" : "batch is already released");
  }
  prestige_iceberg_sink_t *s = c->sink;
  pthread_mutex_lock(&c->mu);
  int rc = records_stage_write_batch(&c->stage, &s->schema, batch, push_staged, s, err);
  pthread_mutex_unlock(&c->mu);
  return rc;
}

int prestige_iceberg_sink_commit(prestige_iceberg_sink_client_t *c, prestige_iceberg_sink_commit_result_t *result,
                                 prestige_error_t *err) {
  if (result) {
    memset(result, 0, sizeof *result);
    result->snapshot_id = -1;
  }
  if (!c) return prestige_error_set(err, PRESTIGE_EINVAL, "iceberg sink: client is NULL");
  pthread_mutex_lock(&c->mu);
  int rc = flush_locked(c, err);
  pthread_mutex_unlock(&c->mu);
  if (rc) return rc;
  return send_and_wait(c->sink, MSG_COMMIT, result, NULL, err);
}

int prestige_iceberg_sink_publish(prestige_iceberg_sink_client_t *c, int64_t *snapshot_id, prestige_error_t *err) {
  if (!c) return prestige_error_set(err, PRESTIGE_EINVAL, "iceberg sink: client is NULL");
  if (!c->sink->o.wap_branch)
    return prestige_error_set(err, PRESTIGE_EINVAL, "iceberg sink %s: publish needs a WAP branch (options.wap_branch)",
                              c->sink->label);
  pthread_mutex_lock(&c->mu);
  int rc = flush_locked(c, err);
  pthread_mutex_unlock(&c->mu);
  if (rc) return rc;
  return send_and_wait(c->sink, MSG_PUBLISH, NULL, snapshot_id, err);
}

int prestige_iceberg_sink_client_free(prestige_iceberg_sink_client_t *c, prestige_error_t *err) {
  if (!c) return 0;
  pthread_mutex_lock(&c->mu);
  int rc = flush_locked(c, err);
  pthread_mutex_unlock(&c->mu);
  records_stage_release(&c->stage);
  pthread_mutex_destroy(&c->mu);
  free(c);
  return rc;
}
