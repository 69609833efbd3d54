/* File poller: lists new timestamp-named files and queues them in order; see prestige/poller.h. */
#include "core/options.h"
#include "prestige/poller.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "core/queue.h"
#include "prestige/metrics.h"

/* A set of delivered keys (open addressing, grows). */
typedef struct keyset {
  char **slots;
  size_t cap, n;
} keyset_t;

static uint64_t hash_str(const char *s) {
  uint64_t h = 1469598103934665603ull;
  for (; *s; s++) h = (h ^ (uint8_t)*s) * 1099511628211ull;
  return h;
}

static bool keyset_has(const keyset_t *k, const char *key) {
  if (!k->cap) return false;
  for (size_t i = hash_str(key) & (k->cap - 1);; i = (i + 1) & (k->cap - 1)) {
    if (!k->slots[i]) return false;
    if (!strcmp(k->slots[i], key)) return true;
  }
}

static int keyset_add(keyset_t *k, const char *key) {
  if ((k->n + 1) * 2 > k->cap) {
    size_t nc = k->cap ? k->cap * 2 : 1024;
    char **ns = calloc(nc, sizeof *ns);
    if (!ns) return PRESTIGE_ENOMEM;
    for (size_t i = 0; i < k->cap; i++) {
      if (!k->slots[i]) continue;
      size_t j = hash_str(k->slots[i]) & (nc - 1);
      while (ns[j]) j = (j + 1) & (nc - 1);
      ns[j] = k->slots[i];
    }
    free(k->slots);
    k->slots = ns;
    k->cap = nc;
  }
  size_t i = hash_str(key) & (k->cap - 1);
  while (k->slots[i]) {
    if (!strcmp(k->slots[i], key)) return 0;
    i = (i + 1) & (k->cap - 1);
  }
  if (!(k->slots[i] = strdup(key))) return PRESTIGE_ENOMEM;
  k->n++;
  return 0;
}

static void keyset_free(keyset_t *k) {
  for (size_t i = 0; i < k->cap; i++) free(k->slots[i]);
  free(k->slots);
}

struct prestige_poller {
  prestige_poller_config_t c;
  char *prefix, *process;
  prestige_state_store_t *state;
  queue_t *q;
  keyset_t delivered;
  int64_t window_start;
  int64_t latest_ts;
  pthread_mutex_t mu; /* poll vs poll_once */
  pthread_mutex_t stop_mu;
  pthread_cond_t stop_cv;
  bool stop;
  pthread_t th;
  bool has_thread;
};

void prestige_poller_config_init(prestige_poller_config_t *c) {
  if (c) *c = (prestige_poller_config_t)PRESTIGE_POLLER_CONFIG_INIT;
}

void prestige_file_meta_clear(prestige_file_meta_t *f) {
  if (!f) return;
  free(f->key);
  f->key = NULL;
}

static void labels(const prestige_poller_t *p, prestige_label_t *l) {
  l[0] = (prestige_label_t){"process", p->process};
  l[1] = (prestige_label_t){"prefix", p->prefix};
}

static bool stopping(prestige_poller_t *p) {
  pthread_mutex_lock(&p->stop_mu);
  bool s = p->stop || (p->c.shutdown && prestige_shutdown_triggered(p->c.shutdown));
  pthread_mutex_unlock(&p->stop_mu);
  return s;
}

int prestige_poller_poll_once(prestige_poller_t *p, size_t *queued, prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  if (queued) *queued = 0;
  pthread_mutex_lock(&p->mu);
  prestige_file_meta_t *files = NULL;
  size_t n = 0;
  int rc = prestige_list_files(p->c.store, p->prefix, p->window_start, INT64_MAX, &files, &n, err);
  size_t i = 0;
  for (; !rc && i < n; i++) {
    prestige_file_meta_t *f = &files[i];
    if (keyset_has(&p->delivered, f->key)) continue;
    if (p->state) {
      int done = prestige_state_store_is_processed(p->state, p->process, p->prefix, f->key, err);
      if (done < 0) {
        rc = -done;
        break;
      }
      if (done) {
        if (keyset_add(&p->delivered, f->key)) rc = prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
        continue;
      }
    }
    prestige_file_meta_t *item = malloc(sizeof *item);
    if (!item || keyset_add(&p->delivered, f->key)) {
      free(item);
      rc = prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
      break;
    }
    *item = *f;
    f->key = NULL; /* moved */
    for (;;) { /* blocks while the consumer is behind, but notices a stop */
      int prc = queue_push(p->q, item, 200);
      if (prc == 0) break;
      if (prc == PRESTIGE_ESHUTDOWN || stopping(p)) {
        free(item->key);
        free(item);
        item = NULL;
        break;
      }
    }
    if (!item) break;
    if (queued) (*queued)++;
  }
  prestige_file_metas_free(files, n);
  pthread_mutex_unlock(&p->mu);
  return rc;
}

static void *poll_thread(void *arg) {
  prestige_poller_t *p = arg;
  while (!stopping(p)) {
    prestige_error_t e;
    prestige_error_init(&e);
    if (prestige_poller_poll_once(p, NULL, &e)) LOG_WARN("file poller %s: %s", p->process, e.message);
    pthread_mutex_lock(&p->stop_mu);
    if (!p->stop) {
      struct timespec ts;
      clock_gettime(CLOCK_REALTIME, &ts);
      int64_t ms = p->c.poll_interval_ms;
      ts.tv_sec += ms / 1000;
      ts.tv_nsec += (ms % 1000) * 1000000L;
      if (ts.tv_nsec >= 1000000000L) ts.tv_sec++, ts.tv_nsec -= 1000000000L;
      /* wake early for a stop; a shared shutdown token is checked every 200 ms */
      for (;;) {
        struct timespec step;
        clock_gettime(CLOCK_REALTIME, &step);
        step.tv_nsec += 200000000L;
        if (step.tv_nsec >= 1000000000L) step.tv_sec++, step.tv_nsec -= 1000000000L;
        bool last = step.tv_sec > ts.tv_sec || (step.tv_sec == ts.tv_sec && step.tv_nsec >= ts.tv_nsec);
        int r = pthread_cond_timedwait(&p->stop_cv, &p->stop_mu, last ? &ts : &step);
        if (p->stop || (p->c.shutdown && prestige_shutdown_triggered(p->c.shutdown)) || (last && r == ETIMEDOUT)) break;
      }
    }
    pthread_mutex_unlock(&p->stop_mu);
  }
  queue_close(p->q);
  return NULL;
}

int prestige_poller_start(prestige_poller_t **out, const prestige_poller_config_t *c, prestige_state_store_t *state,
                          prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  if (!out) return prestige_error_set(err, PRESTIGE_EINVAL, "prestige_poller_start: out is NULL");
  *out = NULL;
  if (!c) return prestige_error_set(err, PRESTIGE_EINVAL, "file poller: config is NULL");
  PRESTIGE_TRY(OPTIONS_CHECK_VERSION(c, PRESTIGE_POLLER_CONFIG, "prestige_poller_config_t", err));
  if (!c->store || !c->file_type)
    return prestige_error_set(err, PRESTIGE_EINVAL, "file poller: a store and a file type (key prefix) are required");
  if (c->queue_capacity < 1) return prestige_error_set(err, PRESTIGE_EINVAL, "file poller option queue_capacity must be at least 1");
  if ((int)c->lookback < PRESTIGE_LOOKBACK_NONE || (int)c->lookback > PRESTIGE_LOOKBACK_TIMESTAMP)
    return prestige_error_set(err, PRESTIGE_EINVAL, "file poller option lookback %d is not a prestige_lookback_t", (int)c->lookback);
  if (c->lookback == PRESTIGE_LOOKBACK_DURATION && c->lookback_ms < 0)
    return prestige_error_set(err, PRESTIGE_EINVAL, "file poller option lookback_ms must not be negative");
  prestige_poller_t *p = calloc(1, sizeof *p);
  if (!p) return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
  p->c = *c;
  p->prefix = strdup(c->file_type);
  p->process = strdup(c->process_name ? c->process_name : "default");
  p->state = state;
  p->q = queue_new(p->c.queue_capacity);
  p->latest_ts = INT64_MIN;
  pthread_mutex_init(&p->mu, NULL);
  pthread_mutex_init(&p->stop_mu, NULL);
  pthread_cond_init(&p->stop_cv, NULL);
  int64_t now = prestige_now_ms();
  p->window_start = c->lookback == PRESTIGE_LOOKBACK_DURATION    ? now - c->lookback_ms
                    : c->lookback == PRESTIGE_LOOKBACK_TIMESTAMP ? c->lookback_from_ms
                                                                 : INT64_MIN;
  if (!p->prefix || !p->process || !p->q) {
    prestige_poller_free(p);
    return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
  }
  if (c->poll_interval_ms >= 0) {
    if (p->c.poll_interval_ms == 0) p->c.poll_interval_ms = 60000;
    if (pthread_create(&p->th, NULL, poll_thread, p) != 0) {
      prestige_poller_free(p);
      return prestige_error_set(err, PRESTIGE_EINTERNAL, "file poller: cannot start its thread");
    }
    p->has_thread = true;
  }
  *out = p;
  return 0;
}

int prestige_poller_next(prestige_poller_t *p, prestige_file_meta_t *file, int64_t timeout_ms, prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  memset(file, 0, sizeof *file);
  void *item;
  int rc = queue_pop(p->q, &item, timeout_ms);
  if (rc == PRESTIGE_ETIMEOUT) return prestige_error_set(err, PRESTIGE_ETIMEOUT, "no new file within %lld ms", (long long)timeout_ms);
  if (rc) return prestige_error_set(err, PRESTIGE_ESHUTDOWN, "file poller %s stopped", p->process);
  prestige_file_meta_t *f = item;
  *file = *f;
  free(f);
  prestige_label_t l[2];
  labels(p, l);
  prestige_metrics_histogram_record("prestige.file_poller.latency_ms", l, 2, (double)(prestige_now_ms() - file->timestamp_ms));
  if (file->timestamp_ms > p->latest_ts) {
    p->latest_ts = file->timestamp_ms;
    prestige_metrics_gauge_set("prestige.file_poller.latest_timestamp_ms", l, 2, (double)file->timestamp_ms);
  }
  return 0;
}

int prestige_poller_mark_processed(prestige_poller_t *p, const prestige_file_meta_t *file, const char *status,
                                   prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  const char *st = status ? status : "success";
  if (p->state) PRESTIGE_TRY(prestige_state_store_mark(p->state, p->process, p->prefix, file->key, file->timestamp_ms, st, err));
  prestige_label_t l[3];
  labels(p, l);
  l[2] = (prestige_label_t){"status", st};
  prestige_metrics_counter_add("prestige.file_poller.files_processed", l, 3, 1);
  return 0;
}

void prestige_poller_stop(prestige_poller_t *p) {
  pthread_mutex_lock(&p->stop_mu);
  p->stop = true;
  pthread_cond_broadcast(&p->stop_cv);
  pthread_mutex_unlock(&p->stop_mu);
  if (p->has_thread) {
    pthread_join(p->th, NULL);
    p->has_thread = false;
  }
  queue_close(p->q);
}

void prestige_poller_free(prestige_poller_t *p) {
  if (!p) return;
  prestige_poller_stop(p);
  void *item;
  while (p->q && queue_pop(p->q, &item, 0) == 0) {
    prestige_file_meta_t *f = item;
    free(f->key);
    free(f);
  }
  if (p->q) queue_free(p->q);
  keyset_free(&p->delivered);
  pthread_mutex_destroy(&p->mu);
  pthread_mutex_destroy(&p->stop_mu);
  pthread_cond_destroy(&p->stop_cv);
  free(p->prefix);
  free(p->process);
  free(p);
}
