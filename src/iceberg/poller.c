/*
 * IcebergPoller: main's history after the consumer's checkpoint, oldest first, one snapshot at a
 * time, acked before moving on. The position is a sequence number (strictly increasing along a
 * branch's history), so a checkpoint survives the expiry of the snapshot it names.
 *
 * A background thread (the producer) reloads the table, plans each new snapshot (an append:
 * only the manifests it wrote, ice_scan_options_t.added_only) and puts it into a ring of
 * channel_size items; next() (the consumer) takes the oldest and opens its stream. The producer
 * owns p->t (its metadata); the consumer reads data files through its own io (p->cio).
 * See prestige/iceberg_poller.h.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "iceberg/catalog.h"
#include "iceberg/scan.h"
#include "iceberg/table.h"
#include "prestige/iceberg_poller.h"

enum { ITEM_EVENT, ITEM_SKIP, ITEM_ERROR };

typedef struct item {
  int type;
  prestige_iceberg_event_kind_t kind;
  int64_t snapshot_id, seq, timestamp_ms;
  char op[32];
  ice_scan_plan_t *plan; /* APPEND */
  int64_t manifests;     /* read to plan it */
  prestige_error_t err;  /* ITEM_ERROR */
} item_t;

struct prestige_iceberg_poller {
  prestige_iceberg_poller_options_t o;
  prestige_iceberg_table_t *t; /* the producer's */
  ice_io_t *cio;               /* the consumer's streams */
  char *consumer, *prefix;
  /* consumer state */
  int64_t last_seq;      /* delivered and acked (or skipped) up to here; -1: nothing */
  int64_t last_id;       /* its snapshot id; -1 */
  int64_t pending_id;    /* delivered, not acked; -1 */
  int64_t pending_seq;
  char op[32];
  /* the channel (under mu) */
  pthread_mutex_t mu;
  pthread_cond_t cv;     /* items, space, pokes, cycles done, stop */
  pthread_t th;
  bool started, stop;
  item_t *ring;
  int cap, head, count;
  uint64_t poke_gen, done_gen;
  bool rewind;           /* the producer restarts from rewind_seq (a delivery failed after it was taken) */
  int64_t rewind_seq;
  bool timeout_pending;  /* a send timeout not yet reported by next() */
  int64_t timeout_id;
  prestige_iceberg_poller_stats_t st;
};

static int oom(prestige_error_t *err) { return prestige_error_set(err, PRESTIGE_ENOMEM, "iceberg poller: out of memory"); }

void prestige_iceberg_poller_options_init(prestige_iceberg_poller_options_t *o) {
  prestige_iceberg_poller_options_t d = PRESTIGE_ICEBERG_POLLER_OPTIONS_INIT;
  *o = d;
}

static void item_release(item_t *it) {
  ice_scan_plan_free(it->plan);
  memset(it, 0, sizeof *it);
}

void prestige_iceberg_poller_close(prestige_iceberg_poller_t *p) {
  if (!p) return;
  if (p->started) {
    pthread_mutex_lock(&p->mu);
    p->stop = true;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    pthread_join(p->th, NULL);
  }
  for (int i = 0; p->ring && i < p->count; i++) item_release(&p->ring[(p->head + i) % p->cap]);
  free(p->ring);
  pthread_mutex_destroy(&p->mu);
  pthread_cond_destroy(&p->cv);
  ice_io_free(p->cio);
  prestige_iceberg_table_free(p->t);
  free(p->consumer);
  free(p->prefix);
  free(p);
}

int64_t prestige_iceberg_poller_position(const prestige_iceberg_poller_t *p) { return p ? p->last_id : -1; }

void prestige_iceberg_poller_stats(prestige_iceberg_poller_t *p, prestige_iceberg_poller_stats_t *out) {
  if (!out) return;
  memset(out, 0, sizeof *out);
  if (!p) return;
  pthread_mutex_lock(&p->mu);
  *out = p->st;
  out->buffered = p->count;
  pthread_mutex_unlock(&p->mu);
}

/* ---- the producer -------------------------------------------------------------------------------------- */

/* Main's first snapshot after the position, or NULL. */
static const ice_snapshot_t *next_snapshot(const ice_table_metadata_t *md, int64_t last_seq) {
  const ice_snapshot_ref_t *m = ice_metadata_ref(md, "main");
  const ice_snapshot_t *found = NULL;
  for (const ice_snapshot_t *s = m ? ice_metadata_snapshot(md, m->snapshot_id) : NULL; s;
       s = s->has_parent ? ice_metadata_snapshot(md, s->parent_id) : NULL) {
    if (s->sequence_number <= last_seq) break;
    found = s;
  }
  return found;
}

/* The files s added, planned from the manifests s wrote only (ADDED entries of s). Deletes: an
 * append adds no delete files, and older ones never apply to its files (their sequence numbers
 * are lower than the files'), so the rows are those of the table as of s. */
static int plan_added(prestige_iceberg_poller_t *p, const ice_snapshot_t *s, ice_scan_plan_t **out, prestige_error_t *err) {
  ice_scan_options_t so = ICE_SCAN_OPTIONS_INIT;
  so.snapshot_id = s->snapshot_id;
  so.added_only = true;
  return ice_scan_plan(p->t->io, p->t->loaded.metadata, p->t->ident_text, &so, out, err);
}

/* Puts it into the channel, waiting for space (reporting a send timeout once); false: stopped
 * or rewound (it is dropped). A failure right after another waiting one replaces it. */
static bool put(prestige_iceberg_poller_t *p, item_t *it) {
  pthread_mutex_lock(&p->mu);
  if (it->type == ITEM_ERROR && p->count > 0 && p->ring[(p->head + p->count - 1) % p->cap].type == ITEM_ERROR) {
    p->ring[(p->head + p->count - 1) % p->cap].err = it->err;
    pthread_mutex_unlock(&p->mu);
    return true;
  }
  int64_t deadline = p->o.send_timeout_ms > 0 ? prestige_now_ms() + p->o.send_timeout_ms : INT64_MAX;
  bool reported = false;
  while (p->count == p->cap && !p->stop && !p->rewind) {
    int64_t now = prestige_now_ms();
    if (!reported && now >= deadline) {
      reported = true;
      p->timeout_pending = true;
      p->timeout_id = it->snapshot_id;
      p->st.send_timeouts++;
      LOG_WARN("iceberg poller %s: the consumer %s took nothing for %" PRId64 " ms; snapshot %" PRId64 " waits", p->t->ident_text,
               p->consumer, p->o.send_timeout_ms, it->snapshot_id);
      pthread_cond_broadcast(&p->cv);
    }
    int64_t wake = reported ? now + 1000 : deadline;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t d = wake - now;
    ts.tv_sec += (time_t)(d / 1000);
    ts.tv_nsec += (long)(d % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
      ts.tv_sec++;
      ts.tv_nsec -= 1000000000L;
    }
    pthread_cond_timedwait(&p->cv, &p->mu, &ts);
  }
  if (p->stop || p->rewind) {
    pthread_mutex_unlock(&p->mu);
    item_release(it);
    return false;
  }
  p->ring[(p->head + p->count) % p->cap] = *it;
  p->count++;
  if (p->count > p->st.buffered_max) p->st.buffered_max = p->count;
  pthread_cond_broadcast(&p->cv);
  pthread_mutex_unlock(&p->mu);
  memset(it, 0, sizeof *it);
  return true;
}

static bool stopped(prestige_iceberg_poller_t *p) {
  pthread_mutex_lock(&p->mu);
  bool s = p->stop;
  pthread_mutex_unlock(&p->mu);
  return s;
}

/* One cycle: reload, then every new snapshot into the channel. The producer's position is
 * *seq. A failure is put into the channel for next() to report; the next cycle retries. */
static void cycle(prestige_iceberg_poller_t *p, int64_t *seq) {
  item_t it;
  memset(&it, 0, sizeof it);
  if (prestige_iceberg_table_refresh(p->t, &it.err)) {
    it.type = ITEM_ERROR;
    prestige_error_prefix(&it.err, "iceberg poller %s: reloading the table", p->t->ident_text);
    put(p, &it);
    return;
  }
  const ice_table_metadata_t *md = p->t->loaded.metadata;
  const ice_snapshot_t *s;
  while (!stopped(p) && (s = next_snapshot(md, *seq))) {
    memset(&it, 0, sizeof it);
    const char *op = s->operation ? s->operation : "";
    it.snapshot_id = s->snapshot_id;
    it.seq = s->sequence_number;
    it.timestamp_ms = s->timestamp_ms;
    snprintf(it.op, sizeof it.op, "%s", *op ? op : "overwrite");
    if (!strcmp(op, "replace")) { /* compaction: the same rows, nothing to deliver */
      it.type = ITEM_SKIP;
    } else if (!strcmp(op, "append")) {
      it.kind = PRESTIGE_ICEBERG_EVENT_APPEND;
      if (plan_added(p, s, &it.plan, &it.err)) {
        prestige_error_prefix(&it.err, "iceberg poller %s: planning snapshot %" PRId64, p->t->ident_text, s->snapshot_id);
        it.type = ITEM_ERROR;
        put(p, &it);
        return; /* retried from the same position next cycle */
      }
      it.manifests = it.plan->metrics.manifests - it.plan->metrics.manifests_skipped;
    } else {
      it.kind = !strcmp(op, "delete") ? PRESTIGE_ICEBERG_EVENT_DELETE : PRESTIGE_ICEBERG_EVENT_OVERWRITE;
    }
    int64_t sq = it.seq;
    if (!put(p, &it)) return;
    *seq = sq;
  }
}

static void *producer(void *arg) {
  prestige_iceberg_poller_t *p = arg;
  pthread_mutex_lock(&p->mu);
  int64_t seq = p->last_seq;
  while (!p->stop) {
    if (p->rewind) {
      p->rewind = false;
      seq = p->rewind_seq;
    }
    uint64_t gen = p->poke_gen;
    pthread_mutex_unlock(&p->mu);
    cycle(p, &seq);
    pthread_mutex_lock(&p->mu);
    p->done_gen = gen;
    pthread_cond_broadcast(&p->cv);
    if (p->stop || p->poke_gen != gen || p->rewind) continue;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += (time_t)(p->o.poll_interval_ms / 1000);
    ts.tv_nsec += (long)(p->o.poll_interval_ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
      ts.tv_sec++;
      ts.tv_nsec -= 1000000000L;
    }
    while (!p->stop && p->poke_gen == gen && !p->rewind)
      if (pthread_cond_timedwait(&p->cv, &p->mu, &ts) == ETIMEDOUT) break;
  }
  pthread_mutex_unlock(&p->mu);
  return NULL;
}

/* ---- open ---------------------------------------------------------------------------------------------- */

int prestige_iceberg_poller_open(prestige_iceberg_poller_t **out, prestige_iceberg_catalog_t *catalog,
                                 const prestige_iceberg_poller_options_t *o, prestige_error_t *err) {
  if (!out) return prestige_error_set(err, PRESTIGE_EINVAL, "iceberg poller: out is NULL");
  *out = NULL;
  if (!catalog || !o) return prestige_error_set(err, PRESTIGE_EINVAL, "iceberg poller: catalog and options are required");
  if (o->version < 1 || o->version > PRESTIGE_ICEBERG_POLLER_OPTIONS_VERSION)
    return prestige_error_set(err, PRESTIGE_EINVAL, "iceberg poller: options.version %u is not supported (this library: %d)",
                              o->version, PRESTIGE_ICEBERG_POLLER_OPTIONS_VERSION);
  if (!o->table || !*o->table) return prestige_error_set(err, PRESTIGE_EINVAL, "iceberg poller: options.table is required");
  if (!o->consumer || !*o->consumer)
    return prestige_error_set(err, PRESTIGE_EINVAL, "iceberg poller: options.consumer is required");
  if (o->poll_interval_ms < 0 || o->channel_size < 0)
    return prestige_error_set(err, PRESTIGE_EINVAL, "iceberg poller: poll_interval_ms and channel_size must not be negative");
  prestige_iceberg_poller_t *p = calloc(1, sizeof *p);
  if (!p) return oom(err);
  p->o = *o;
  if (o->version < 2) { /* version 1: channel_size was the files read ahead */
    p->o.files_in_flight = o->channel_size;
    p->o.send_timeout_ms = 0;
    p->o.channel_size = 2;
  } else if (o->send_timeout_ms < 0 || o->files_in_flight < 0) {
    free(p);
    return prestige_error_set(err, PRESTIGE_EINVAL, "iceberg poller: send_timeout_ms and files_in_flight must not be negative");
  }
  if (!p->o.poll_interval_ms) p->o.poll_interval_ms = 1000;
  if (!p->o.channel_size) p->o.channel_size = 2;
  if (!p->o.files_in_flight) p->o.files_in_flight = 2;
  p->last_seq = p->last_id = p->pending_id = -1;
  pthread_mutex_init(&p->mu, NULL);
  pthread_cond_init(&p->cv, NULL);
  p->cap = p->o.channel_size;
  int rc = 0;
  if (!(p->ring = calloc((size_t)p->cap, sizeof(item_t)))) {
    rc = oom(err);
    goto fail;
  }
  rc = prestige_iceberg_table_load(catalog, o->table, &p->t, err);
  if (rc) goto fail;
  rc = ice_catalog_table_io_config(p->t->catalog, p->t->loaded.metadata->location, &p->t->loaded.config, &p->cio, err);
  if (rc) goto fail;
  size_t n = strlen(p->t->ident_text) + 9;
  p->consumer = strdup(o->consumer);
  p->prefix = malloc(n);
  if (!p->consumer || !p->prefix) {
    rc = oom(err);
    goto fail;
  }
  snprintf(p->prefix, n, "iceberg:%s", p->t->ident_text);
  const ice_table_metadata_t *md = p->t->loaded.metadata;
  int64_t ts = INT64_MIN;
  if (o->state && (rc = prestige_state_store_latest(o->state, p->consumer, p->prefix, &ts, err))) {
    prestige_error_prefix(err, "iceberg poller %s: reading the checkpoint of %s", p->t->ident_text, p->consumer);
    goto fail;
  }
  if (ts != INT64_MIN) {
    p->last_seq = ts;
    for (size_t i = 0; i < md->n_snapshots; i++)
      if (md->snapshots[i]->sequence_number == ts) p->last_id = md->snapshots[i]->snapshot_id;
  } else if (o->start_after_snapshot >= 0) {
    const ice_snapshot_t *s = ice_metadata_snapshot(md, o->start_after_snapshot);
    if (!s) {
      rc = prestige_error_set(err, PRESTIGE_ENOTFOUND, "iceberg poller %s: start_after_snapshot %" PRId64 " is not a snapshot",
                              p->t->ident_text, o->start_after_snapshot);
      goto fail;
    }
    p->last_seq = s->sequence_number;
    p->last_id = s->snapshot_id;
  }
  if ((rc = pthread_create(&p->th, NULL, producer, p))) {
    rc = prestige_error_set(err, PRESTIGE_ENOMEM, "iceberg poller %s: starting its thread failed (%s)", p->t->ident_text,
                            strerror(rc));
    goto fail;
  }
  p->started = true;
  *out = p;
  return 0;
fail:
  prestige_iceberg_poller_close(p);
  return rc;
}

/* ---- the consumer -------------------------------------------------------------------------------------- */

static int abs_deadline(struct timespec *ts, int64_t ms) {
  clock_gettime(CLOCK_REALTIME, ts);
  ts->tv_sec += (time_t)(ms / 1000);
  ts->tv_nsec += (long)(ms % 1000) * 1000000L;
  if (ts->tv_nsec >= 1000000000L) {
    ts->tv_sec++;
    ts->tv_nsec -= 1000000000L;
  }
  return 0;
}

int prestige_iceberg_poller_next(prestige_iceberg_poller_t *p, prestige_iceberg_poll_event_t *ev, int64_t timeout_ms,
                                 prestige_error_t *err) {
  if (ev) memset(ev, 0, sizeof *ev);
  if (!p || !ev) return prestige_error_set(err, PRESTIGE_EINVAL, "iceberg poller: poller and event are required");
  if (p->pending_id >= 0)
    return prestige_error_set(err, PRESTIGE_EINVAL, "iceberg poller %s: snapshot %" PRId64 " was delivered and not acked",
                              p->t->ident_text, p->pending_id);
  int64_t deadline = timeout_ms < 0 ? INT64_MAX : prestige_now_ms() + timeout_ms;
  pthread_mutex_lock(&p->mu);
  /* what is there now includes what one reload finds: poke the producer and wait for a cycle
   * that started after this call (when the channel is empty) */
  uint64_t gen = 0;
  bool poked = false;
  item_t it;
  for (;;) {
    if (p->timeout_pending) {
      p->timeout_pending = false;
      int64_t id = p->timeout_id;
      pthread_mutex_unlock(&p->mu);
      return prestige_error_set(err, PRESTIGE_ETIMEOUT,
                                "iceberg poller %s: the consumer %s did not take snapshot %" PRId64 " within send_timeout_ms %" PRId64
                                " (it is delivered after the ones before it)",
                                p->t->ident_text, p->consumer, id, p->o.send_timeout_ms);
    }
    if (p->count > 0) {
      it = p->ring[p->head];
      memset(&p->ring[p->head], 0, sizeof(item_t));
      p->head = (p->head + 1) % p->cap;
      p->count--;
      pthread_cond_broadcast(&p->cv);
      if (it.type == ITEM_SKIP) {
        p->last_seq = it.seq;
        p->last_id = it.snapshot_id;
        continue;
      }
      break;
    }
    if (p->o.shutdown && prestige_shutdown_triggered(p->o.shutdown)) {
      pthread_mutex_unlock(&p->mu);
      return prestige_error_set(err, PRESTIGE_ESHUTDOWN, "iceberg poller %s: shut down", p->t->ident_text);
    }
    if (!poked) {
      poked = true;
      gen = ++p->poke_gen;
      pthread_cond_broadcast(&p->cv);
    }
    int64_t now = prestige_now_ms();
    bool cycled = p->done_gen >= gen;
    if (cycled && now >= deadline) {
      pthread_mutex_unlock(&p->mu);
      return prestige_error_set(err, PRESTIGE_ETIMEOUT, "iceberg poller %s: no new snapshot", p->t->ident_text);
    }
    int64_t wait = 50; /* small steps: a shutdown is seen quickly */
    if (cycled && deadline - now < wait) wait = deadline - now;
    struct timespec ts;
    abs_deadline(&ts, wait);
    pthread_cond_timedwait(&p->cv, &p->mu, &ts);
  }
  pthread_mutex_unlock(&p->mu);
  if (it.type == ITEM_ERROR) {
    if (err) *err = it.err;
    return it.err.code ? it.err.code : PRESTIGE_EINTERNAL;
  }
  snprintf(p->op, sizeof p->op, "%s", it.op);
  ev->kind = it.kind;
  ev->snapshot_id = it.snapshot_id;
  ev->sequence_number = it.seq;
  ev->timestamp_ms = it.timestamp_ms;
  ev->operation = p->op;
  ev->table = p->t->ident_text;
  if (it.kind == PRESTIGE_ICEBERG_EVENT_APPEND) {
    ice_scan_options_t so = ICE_SCAN_OPTIONS_INIT;
    so.files_in_flight = p->o.files_in_flight;
    ice_scan_plan_t *plan = it.plan;
    it.plan = NULL;
    int rc = ice_scan_stream(p->cio, plan, &so, &ev->rows, err);
    if (rc) { /* not delivered: the producer starts again after the last ack, so it comes again */
      memset(ev, 0, sizeof *ev);
      pthread_mutex_lock(&p->mu);
      for (int i = 0; i < p->count; i++) item_release(&p->ring[(p->head + i) % p->cap]);
      p->head = p->count = 0;
      p->rewind = true;
      p->rewind_seq = p->last_seq;
      pthread_cond_broadcast(&p->cv);
      pthread_mutex_unlock(&p->mu);
      return prestige_error_prefix(err, "iceberg poller %s: snapshot %" PRId64, p->t->ident_text, it.snapshot_id);
    }
  }
  pthread_mutex_lock(&p->mu);
  p->st.delivered++;
  if (it.kind == PRESTIGE_ICEBERG_EVENT_APPEND) {
    p->st.manifests_read += it.manifests;
    p->st.last_manifests_read = it.manifests;
  }
  pthread_mutex_unlock(&p->mu);
  p->pending_id = it.snapshot_id;
  p->pending_seq = it.seq;
  return 0;
}

int prestige_iceberg_poller_ack(prestige_iceberg_poller_t *p, int64_t snapshot_id, prestige_error_t *err) {
  if (!p) return prestige_error_set(err, PRESTIGE_EINVAL, "iceberg poller: poller is NULL");
  if (p->pending_id < 0 || p->pending_id != snapshot_id)
    return prestige_error_set(err, PRESTIGE_EINVAL, "iceberg poller %s: ack of snapshot %" PRId64 ", %s", p->t->ident_text,
                              snapshot_id, p->pending_id < 0 ? "but nothing is waiting for an ack" : "not the one delivered");
  if (p->o.state) {
    char key[32];
    snprintf(key, sizeof key, "%" PRId64, snapshot_id);
    int rc = prestige_state_store_mark(p->o.state, p->consumer, p->prefix, key, p->pending_seq, "success", err);
    if (rc) return prestige_error_prefix(err, "iceberg poller %s: storing the checkpoint of %s", p->t->ident_text, p->consumer);
  }
  p->last_seq = p->pending_seq;
  p->last_id = p->pending_id;
  p->pending_id = -1;
  return 0;
}
