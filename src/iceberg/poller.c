/*
 * IcebergPoller: main's history after the consumer's checkpoint, oldest first, one snapshot at a
 * time, acked before moving on. The position is a sequence number (strictly increasing along a
 * branch's history), so a checkpoint survives the expiry of the snapshot it names.
 * See prestige/iceberg_poller.h.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "iceberg/scan.h"
#include "iceberg/table.h"
#include "prestige/iceberg_poller.h"

struct prestige_iceberg_poller {
  prestige_iceberg_poller_options_t o;
  prestige_iceberg_table_t *t;
  char *consumer, *prefix;
  int64_t last_seq;      /* delivered and acked (or skipped) up to here; -1: nothing */
  int64_t last_id;       /* its snapshot id; -1 */
  int64_t pending_id;    /* delivered, not acked; -1 */
  int64_t pending_seq;
  char op[32];
};

static int oom(prestige_error_t *err) { return prestige_error_set(err, PRESTIGE_ENOMEM, "iceberg poller: out of memory"); }

void prestige_iceberg_poller_options_init(prestige_iceberg_poller_options_t *o) {
  prestige_iceberg_poller_options_t d = PRESTIGE_ICEBERG_POLLER_OPTIONS_INIT;
  *o = d;
}

void prestige_iceberg_poller_close(prestige_iceberg_poller_t *p) {
  if (!p) return;
  prestige_iceberg_table_free(p->t);
  free(p->consumer);
  free(p->prefix);
  free(p);
}

int64_t prestige_iceberg_poller_position(const prestige_iceberg_poller_t *p) { return p ? p->last_id : -1; }

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
  if (!p->o.poll_interval_ms) p->o.poll_interval_ms = 1000;
  if (!p->o.channel_size) p->o.channel_size = 2;
  p->last_seq = p->last_id = p->pending_id = -1;
  int rc = prestige_iceberg_table_load(catalog, o->table, &p->t, err);
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
  *out = p;
  return 0;
fail:
  prestige_iceberg_poller_close(p);
  return rc;
}

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

/* The rows s added, with the table's deletes as of s: a plan at s kept to the files of s's
 * sequence number (the files it added; older files keep their own data sequence numbers). */
static int added_rows(prestige_iceberg_poller_t *p, const ice_snapshot_t *s, struct ArrowArrayStream *out,
                      prestige_error_t *err) {
  ice_scan_options_t so = ICE_SCAN_OPTIONS_INIT;
  so.snapshot_id = s->snapshot_id;
  so.files_in_flight = p->o.channel_size;
  ice_scan_plan_t *plan = NULL;
  PRESTIGE_TRY(ice_scan_plan(p->t->io, p->t->loaded.metadata, p->t->ident_text, &so, &plan, err));
  size_t k = 0;
  for (size_t i = 0; i < plan->n_tasks; i++) {
    if (plan->tasks[i].data_sequence_number == s->sequence_number) plan->tasks[k++] = plan->tasks[i];
    else free(plan->tasks[i].deletes);
  }
  plan->n_tasks = k;
  return ice_scan_stream(p->t->io, plan, &so, out, err);
}

static void sleep_ms(int64_t ms) {
  struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

int prestige_iceberg_poller_next(prestige_iceberg_poller_t *p, prestige_iceberg_poll_event_t *ev, int64_t timeout_ms,
                                 prestige_error_t *err) {
  if (ev) memset(ev, 0, sizeof *ev);
  if (!p || !ev) return prestige_error_set(err, PRESTIGE_EINVAL, "iceberg poller: poller and event are required");
  if (p->pending_id >= 0)
    return prestige_error_set(err, PRESTIGE_EINVAL, "iceberg poller %s: snapshot %" PRId64 " was delivered and not acked",
                              p->t->ident_text, p->pending_id);
  int64_t deadline = timeout_ms < 0 ? INT64_MAX : prestige_now_ms() + timeout_ms;
  for (;;) {
    if (p->o.shutdown && prestige_shutdown_triggered(p->o.shutdown))
      return prestige_error_set(err, PRESTIGE_ESHUTDOWN, "iceberg poller %s: shut down", p->t->ident_text);
    PRESTIGE_TRY(prestige_iceberg_table_refresh(p->t, err));
    const ice_table_metadata_t *md = p->t->loaded.metadata;
    const ice_snapshot_t *s;
    while ((s = next_snapshot(md, p->last_seq))) {
      const char *op = s->operation ? s->operation : "";
      if (!strcmp(op, "replace")) { /* compaction: the same rows, nothing to deliver */
        p->last_seq = s->sequence_number;
        p->last_id = s->snapshot_id;
        continue;
      }
      snprintf(p->op, sizeof p->op, "%s", *op ? op : "overwrite");
      ev->snapshot_id = s->snapshot_id;
      ev->sequence_number = s->sequence_number;
      ev->timestamp_ms = s->timestamp_ms;
      ev->operation = p->op;
      ev->table = p->t->ident_text;
      if (!strcmp(op, "append")) {
        ev->kind = PRESTIGE_ICEBERG_EVENT_APPEND;
        int rc = added_rows(p, s, &ev->rows, err);
        if (rc) return prestige_error_prefix(err, "iceberg poller %s: snapshot %" PRId64, p->t->ident_text, s->snapshot_id);
      } else {
        ev->kind = !strcmp(op, "delete") ? PRESTIGE_ICEBERG_EVENT_DELETE : PRESTIGE_ICEBERG_EVENT_OVERWRITE;
      }
      p->pending_id = s->snapshot_id;
      p->pending_seq = s->sequence_number;
      return 0;
    }
    int64_t now = prestige_now_ms();
    if (now >= deadline)
      return prestige_error_set(err, PRESTIGE_ETIMEOUT, "iceberg poller %s: no new snapshot", p->t->ident_text);
    int64_t wait = p->o.poll_interval_ms;
    if (deadline - now < wait) wait = deadline - now;
    /* wait in small steps so a shutdown is seen quickly */
    for (int64_t waited = 0; waited < wait;) {
      int64_t step = wait - waited < 50 ? wait - waited : 50;
      if (p->o.shutdown && prestige_shutdown_triggered(p->o.shutdown)) break;
      sleep_ms(step);
      waited += step;
    }
  }
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
