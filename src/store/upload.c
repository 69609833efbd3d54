/*
 * FileUpload: a FIFO of files, worker threads that upload them with retries, per-ticket results,
 * metrics and an orderly shutdown. See prestige/upload.h.
 */
#include "core/options.h"
#include "prestige/upload.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "core/queue.h"
#include "core/tsname.h"
#include "prestige/core.h"
#include "prestige/metrics.h"

#define UP_KEEP_RESULTS 10000

typedef struct up_job {
  uint64_t ticket;
  char *path, *key;
  prestige_upload_status_t status;
  prestige_error_t *error;
  int rc;         /* FAILED: the code, also when error could not be allocated */
  uint64_t size;
} up_job_t;

struct prestige_file_upload {
  prestige_store_t *store;
  prestige_upload_options_t o;
  char *key_prefix;
  pthread_mutex_t mu;
  pthread_cond_t cv_work, cv_done, cv_space;
  up_job_t **recs; /* recs[i] has ticket rec_base + i */
  size_t n_recs, cap_recs;
  uint64_t rec_base, next_ticket;
  ring_t q; /* queued jobs (up_job_t *) */
  size_t n_queued, n_running, n_done, n_failed;
  bool closed, cancel;
  pthread_t th[64];
  int nth;
};

void prestige_upload_options_init(prestige_upload_options_t *o) {
  if (o) *o = (prestige_upload_options_t)PRESTIGE_UPLOAD_OPTIONS_INIT;
}

static int validate_upload_options(const prestige_upload_options_t *o, prestige_error_t *err) {
#define BAD(field, why, v) \
  return prestige_error_set(err, PRESTIGE_EINVAL, "file upload option %s %s (got %lld)", field, why, (long long)(v))
  PRESTIGE_TRY(OPTIONS_CHECK_VERSION(o, PRESTIGE_UPLOAD_OPTIONS, "prestige_upload_options_t", err));
  if (o->workers < 1 || o->workers > 64) BAD("workers", "must be between 1 and 64", o->workers);
  if (o->queue_capacity < 1 || o->queue_capacity > ((size_t)1 << 24))
    BAD("queue_capacity", "must be between 1 and 16777216", o->queue_capacity);
  if (o->max_attempts < 1) BAD("max_attempts", "must be at least 1", o->max_attempts);
  if (o->retry_delay_ms < 0) BAD("retry_delay_ms", "must not be negative", o->retry_delay_ms);
  return 0;
#undef BAD
}

void prestige_strings_free(char **s, size_t n) {
  if (!s) return;
  for (size_t i = 0; i < n; i++) free(s[i]);
  free(s);
}

static void job_free(up_job_t *j) {
  if (!j) return;
  free(j->path);
  free(j->key);
  free(j->error);
  free(j);
}

static void abs_deadline(struct timespec *ts, int64_t timeout_ms) {
  clock_gettime(CLOCK_REALTIME, ts);
  ts->tv_sec += timeout_ms / 1000;
  ts->tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
  if (ts->tv_nsec >= 1000000000L) {
    ts->tv_sec++;
    ts->tv_nsec -= 1000000000L;
  }
}

static bool retryable(int code) {
  return code == PRESTIGE_ENET || code == PRESTIGE_EHTTP || code == PRESTIGE_ETIMEOUT || code == PRESTIGE_EIO ||
         code == PRESTIGE_ECONFLICT;
}

static void prune_locked(prestige_file_upload_t *up) {
  if (up->n_recs < UP_KEEP_RESULTS + UP_KEEP_RESULTS / 4) return;
  size_t drop = 0;
  while (up->n_recs - drop > UP_KEEP_RESULTS && up->recs[drop]->status >= PRESTIGE_UPLOAD_DONE) drop++;
  for (size_t i = 0; i < drop; i++) job_free(up->recs[i]);
  memmove(up->recs, up->recs + drop, (up->n_recs - drop) * sizeof *up->recs);
  up->n_recs -= drop;
  up->rec_base += drop;
}

static void sleep_ms(int64_t ms) {
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

static void *worker(void *arg) {
  prestige_file_upload_t *up = arg;
  for (;;) {
    pthread_mutex_lock(&up->mu);
    while (!up->q.count && !up->closed) pthread_cond_wait(&up->cv_work, &up->mu);
    if (up->cancel || !up->q.count) {
      pthread_mutex_unlock(&up->mu);
      return NULL;
    }
    up_job_t *j = ring_pop(&up->q);
    up->n_queued--;
    up->n_running++;
    j->status = PRESTIGE_UPLOAD_RUNNING;
    pthread_cond_signal(&up->cv_space);
    pthread_mutex_unlock(&up->mu);

    int64_t t0 = prestige_monotonic_ns();
    prestige_error_t e;
    prestige_error_init(&e);
    int rc = 0;
    struct stat sb;
    if (stat(j->path, &sb) != 0) {
      rc = prestige_error_set(&e, errno == ENOENT ? PRESTIGE_ENOTFOUND : PRESTIGE_EIO, "upload of %s: %s", j->path, strerror(errno));
    } else {
      j->size = (uint64_t)sb.st_size;
      for (int attempt = 1;; attempt++) {
        prestige_error_init(&e);
        rc = prestige_store_put_file(up->store, j->key, j->path, &e);
        if (!rc || !retryable(rc) || attempt >= up->o.max_attempts) break;
        LOG_WARN("upload of %s to %s%s failed (attempt %d of %d), retrying: %s", j->path, prestige_store_url(up->store),
                 j->key, attempt, up->o.max_attempts, e.message);
        sleep_ms(up->o.retry_delay_ms);
      }
      if (!rc && up->o.remove_local && unlink(j->path) != 0 && errno != ENOENT)
        LOG_WARN("uploaded %s but could not remove it: %s", j->path, strerror(errno));
    }
    double ms = (double)(prestige_monotonic_ns() - t0) / 1e6;
    prestige_label_t lb[2] = {{"bucket", prestige_store_bucket(up->store)}, {"status", rc ? "failure" : "success"}};
    prestige_metrics_counter_add("prestige.file_upload.count", lb, 2, 1);
    prestige_metrics_histogram_record("prestige.file_upload.duration_ms", lb, 2, ms);
    if (!rc) prestige_metrics_histogram_record("prestige.file_upload.size_bytes", lb, 1, (double)j->size);
    if (rc) LOG_ERROR("upload of %s failed: %s", j->path, e.message);

    prestige_upload_result_t res = {.ticket = j->ticket,
                                    .path = j->path,
                                    .key = j->key,
                                    .size_bytes = j->size,
                                    .duration_ms = ms,
                                    .status = rc ? PRESTIGE_UPLOAD_FAILED : PRESTIGE_UPLOAD_DONE,
                                    .error = rc ? &e : NULL};
    if (up->o.on_done) up->o.on_done(up->o.user_data, &res);

    pthread_mutex_lock(&up->mu);
    if (rc) {
      j->rc = rc;
      j->error = malloc(sizeof *j->error);
      if (j->error) *j->error = e;
      j->status = PRESTIGE_UPLOAD_FAILED;
      up->n_failed++;
    } else {
      j->status = PRESTIGE_UPLOAD_DONE;
      up->n_done++;
    }
    up->n_running--;
    prune_locked(up);
    pthread_cond_broadcast(&up->cv_done);
    pthread_mutex_unlock(&up->mu);
  }
}

int prestige_file_upload_new(prestige_file_upload_t **out, prestige_store_t *store, const prestige_upload_options_t *o,
                             prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  if (!out) return prestige_error_set(err, PRESTIGE_EINVAL, "prestige_file_upload_new: out is NULL");
  *out = NULL;
  if (!store) return prestige_error_set(err, PRESTIGE_EINVAL, "file upload needs a store");
  prestige_upload_options_t def;
  prestige_upload_options_init(&def);
  if (!o) o = &def;
  PRESTIGE_TRY(validate_upload_options(o, err));
  prestige_file_upload_t *up = calloc(1, sizeof *up);
  if (!up) return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
  up->store = store;
  up->o = *o;
  up->key_prefix = strdup(o->key_prefix ? o->key_prefix : "");
  up->o.key_prefix = up->key_prefix;
  int qrc = ring_init(&up->q, up->o.queue_capacity);
  up->next_ticket = 1;
  up->rec_base = 1;
  if (!up->key_prefix || qrc) {
    free(up->key_prefix);
    ring_release(&up->q);
    free(up);
    return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
  }
  pthread_mutex_init(&up->mu, NULL);
  pthread_cond_init(&up->cv_work, NULL);
  pthread_cond_init(&up->cv_done, NULL);
  pthread_cond_init(&up->cv_space, NULL);
  for (int i = 0; i < up->o.workers; i++) {
    if (pthread_create(&up->th[up->nth], NULL, worker, up) != 0) break;
    up->nth++;
  }
  if (!up->nth) {
    prestige_file_upload_free(up);
    return prestige_error_set(err, PRESTIGE_EINTERNAL, "cannot start upload threads");
  }
  *out = up;
  return 0;
}

int prestige_file_upload_submit(prestige_file_upload_t *up, const char *path, const char *key, uint64_t *ticket,
                                prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  if (ticket) *ticket = 0;
  if (!path || !*path) return prestige_error_set(err, PRESTIGE_EINVAL, "upload: empty path");
  up_job_t *j = calloc(1, sizeof *j);
  if (!j) return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
  j->path = strdup(path);
  if (key) {
    j->key = strdup(key);
  } else {
    j->key = tsname_key_for_path(up->key_prefix, path);
  }
  if (!j->path || !j->key) {
    job_free(j);
    return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
  }
  int rc = prestige_store_validate_key(up->store, j->key, err);
  if (rc) {
    job_free(j);
    return rc;
  }
  j->status = PRESTIGE_UPLOAD_QUEUED;
  pthread_mutex_lock(&up->mu);
  while (!up->closed && ring_full(&up->q)) pthread_cond_wait(&up->cv_space, &up->mu);
  if (up->closed) {
    pthread_mutex_unlock(&up->mu);
    job_free(j);
    return prestige_error_set(err, PRESTIGE_ESHUTDOWN, "upload of %s refused: the uploader is shut down", path);
  }
  if (up->n_recs == up->cap_recs) {
    size_t nc = up->cap_recs ? up->cap_recs * 2 : 256;
    up_job_t **nr = realloc(up->recs, nc * sizeof *nr);
    if (!nr) {
      pthread_mutex_unlock(&up->mu);
      job_free(j);
      return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
    }
    up->recs = nr;
    up->cap_recs = nc;
  }
  j->ticket = up->next_ticket++;
  up->recs[up->n_recs++] = j;
  ring_push(&up->q, j);
  up->n_queued++;
  pthread_cond_signal(&up->cv_work);
  pthread_mutex_unlock(&up->mu);
  if (ticket) *ticket = j->ticket;
  return 0;
}

static up_job_t *find_locked(prestige_file_upload_t *up, uint64_t ticket) {
  if (ticket < up->rec_base || ticket - up->rec_base >= up->n_recs) return NULL;
  return up->recs[ticket - up->rec_base];
}

prestige_upload_status_t prestige_file_upload_status(prestige_file_upload_t *up, uint64_t ticket,
                                                     prestige_error_t *failure) {
  PRESTIGE_ERR_LOCAL(failure);
  pthread_mutex_lock(&up->mu);
  up_job_t *j = find_locked(up, ticket);
  prestige_upload_status_t st = j ? j->status : PRESTIGE_UPLOAD_UNKNOWN;
  if (j && st == PRESTIGE_UPLOAD_FAILED && failure && j->error) *failure = *j->error;
  else if (j && st == PRESTIGE_UPLOAD_FAILED)
    prestige_error_set(failure, j->rc, "upload of %s failed (%s; no memory for its message)", j->path, prestige_code_name(j->rc));
  pthread_mutex_unlock(&up->mu);
  return st;
}

int prestige_file_upload_wait(prestige_file_upload_t *up, uint64_t ticket, int64_t timeout_ms, prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  struct timespec dl;
  if (timeout_ms >= 0) abs_deadline(&dl, timeout_ms);
  pthread_mutex_lock(&up->mu);
  int rc = 0;
  for (;;) {
    up_job_t *j = find_locked(up, ticket);
    if (!j) {
      rc = prestige_error_set(err, PRESTIGE_ENOTFOUND, "upload ticket %llu unknown (or its result was forgotten)",
                              (unsigned long long)ticket);
      break;
    }
    if (j->status == PRESTIGE_UPLOAD_DONE) break;
    if (j->status == PRESTIGE_UPLOAD_FAILED) {
      if (j->error) {
        rc = j->error->code ? j->error->code : PRESTIGE_EIO;
        if (err) *err = *j->error;
      } else {
        rc = prestige_error_set(err, j->rc, "upload of %s failed (%s; no memory for its message)", j->path,
                                prestige_code_name(j->rc));
      }
      break;
    }
    if (up->cancel && j->status == PRESTIGE_UPLOAD_QUEUED) {
      rc = prestige_error_set(err, PRESTIGE_ESHUTDOWN, "upload of %s not done: the uploader was shut down", j->path);
      break;
    }
    if (timeout_ms < 0) {
      pthread_cond_wait(&up->cv_done, &up->mu);
    } else if (pthread_cond_timedwait(&up->cv_done, &up->mu, &dl) == ETIMEDOUT) {
      rc = prestige_error_set(err, PRESTIGE_ETIMEOUT, "upload of %s still in progress after %lld ms", j->path,
                              (long long)timeout_ms);
      break;
    }
  }
  pthread_mutex_unlock(&up->mu);
  return rc;
}

int prestige_file_upload_flush(prestige_file_upload_t *up, int64_t timeout_ms, size_t *failed, prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  struct timespec dl;
  if (timeout_ms >= 0) abs_deadline(&dl, timeout_ms);
  int rc = 0;
  pthread_mutex_lock(&up->mu);
  size_t failed0 = up->n_failed;
  while (up->n_queued + up->n_running > 0 && !(up->cancel && up->n_running == 0)) {
    if (timeout_ms < 0) {
      pthread_cond_wait(&up->cv_done, &up->mu);
    } else if (pthread_cond_timedwait(&up->cv_done, &up->mu, &dl) == ETIMEDOUT) {
      rc = prestige_error_set(err, PRESTIGE_ETIMEOUT, "%zu uploads still queued and %zu running after %lld ms", up->n_queued,
                              up->n_running, (long long)timeout_ms);
      break;
    }
  }
  if (failed) *failed = up->n_failed - failed0;
  pthread_mutex_unlock(&up->mu);
  return rc;
}

void prestige_file_upload_counts(prestige_file_upload_t *up, size_t *queued, size_t *running, size_t *done, size_t *failed) {
  pthread_mutex_lock(&up->mu);
  if (queued) *queued = up->n_queued;
  if (running) *running = up->n_running;
  if (done) *done = up->n_done;
  if (failed) *failed = up->n_failed;
  pthread_mutex_unlock(&up->mu);
}

int prestige_file_upload_shutdown(prestige_file_upload_t *up, int64_t timeout_ms, char ***not_done, size_t *n_not_done,
                                  prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  if (not_done) *not_done = NULL;
  if (n_not_done) *n_not_done = 0;
  pthread_mutex_lock(&up->mu);
  up->closed = true;
  pthread_cond_broadcast(&up->cv_work);
  pthread_cond_broadcast(&up->cv_space);
  pthread_mutex_unlock(&up->mu);
  int rc = 0;
  prestige_error_t e;
  prestige_error_init(&e);
  if (prestige_file_upload_flush(up, timeout_ms, NULL, &e) != 0) {
    pthread_mutex_lock(&up->mu);
    up->cancel = true; /* workers finish their current upload and stop */
    pthread_cond_broadcast(&up->cv_work);
    pthread_cond_broadcast(&up->cv_done);
    pthread_mutex_unlock(&up->mu);
  }
  for (int i = 0; i < up->nth; i++) pthread_join(up->th[i], NULL);
  up->nth = 0;
  pthread_mutex_lock(&up->mu);
  size_t left = up->q.count;
  if (left) {
    char **paths = not_done ? calloc(left, sizeof *paths) : NULL;
    for (size_t i = 0; i < left && paths; i++) paths[i] = strdup(((up_job_t *)ring_at(&up->q, i))->path);
    if (not_done && paths) {
      *not_done = paths;
      if (n_not_done) *n_not_done = left;
    }
    rc = prestige_error_set(err, PRESTIGE_ETIMEOUT, "uploader shut down with %zu files not uploaded (first: %s)", left,
                            ((up_job_t *)ring_at(&up->q, 0))->path);
    if (not_done && paths) rc = 0; /* the caller takes the list */
  }
  pthread_mutex_unlock(&up->mu);
  return rc;
}

void prestige_file_upload_free(prestige_file_upload_t *up) {
  if (!up) return;
  if (up->nth) prestige_file_upload_shutdown(up, -1, NULL, NULL, NULL);
  for (size_t i = 0; i < up->n_recs; i++) job_free(up->recs[i]);
  free(up->recs);
  ring_release(&up->q);
  free(up->key_prefix);
  pthread_mutex_destroy(&up->mu);
  pthread_cond_destroy(&up->cv_work);
  pthread_cond_destroy(&up->cv_done);
  pthread_cond_destroy(&up->cv_space);
  free(up);
}

prestige_store_t *prestige_file_upload_store(const prestige_file_upload_t *up) { return up->store; }
const char *prestige_file_upload_key_prefix(const prestige_file_upload_t *up) { return up->key_prefix; }
