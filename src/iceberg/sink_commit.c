/*
 * IcebergSink commits: the commit thread lands sealed commits in order, each as one append
 * snapshot whose summary carries prestige.writer-id and prestige.commit-seq; an unknown outcome
 * is resolved by looking for that pair in the reloaded table, never by a blind resend.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "iceberg/sink_internal.h"
#include "prestige/metrics.h"

int isink_loaded_copy(const ice_loaded_table_t *src, ice_loaded_table_t *dst, prestige_error_t *err) {
  memset(dst, 0, sizeof *dst);
  if (!(dst->metadata_location = strdup(src->metadata_location ? src->metadata_location : "")))
    return prestige_error_set(err, PRESTIGE_ENOMEM, "iceberg sink: out of memory");
  int rc = ice_metadata_copy(src->metadata, &dst->metadata, err);
  if (rc) ice_loaded_table_release(dst);
  return rc;
}

static bool summary_is(const ice_snapshot_t *sn, const char *writer_id) {
  const char *w = ice_strmap_get(&sn->summary, ISINK_WRITER_ID_KEY);
  return w && !strcmp(w, writer_id);
}

int64_t isink_find_committed(const ice_table_metadata_t *md, const char *writer_id, int64_t seq) {
  char buf[32];
  snprintf(buf, sizeof buf, "%" PRId64, seq);
  for (size_t i = 0; i < md->n_snapshots; i++) {
    const ice_snapshot_t *sn = md->snapshots[i];
    if (!summary_is(sn, writer_id)) continue;
    const char *c = ice_strmap_get(&sn->summary, ISINK_COMMIT_SEQ_KEY);
    if (c && !strcmp(c, buf)) return sn->snapshot_id;
  }
  return -1;
}

int64_t isink_max_seq(const ice_table_metadata_t *md, const char *writer_id) {
  int64_t max = 0;
  for (size_t i = 0; i < md->n_snapshots; i++) {
    const ice_snapshot_t *sn = md->snapshots[i];
    if (!summary_is(sn, writer_id)) continue;
    const char *c = ice_strmap_get(&sn->summary, ISINK_COMMIT_SEQ_KEY);
    int64_t v = c ? strtoll(c, NULL, 10) : 0;
    if (v > max) max = v;
  }
  return max;
}

static void sleep_ms(int64_t ms) {
  struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

static int reload(prestige_iceberg_sink_t *s, prestige_error_t *err) {
  prestige_iceberg_table_t *t = s->table;
  ice_loaded_table_t cur;
  memset(&cur, 0, sizeof cur);
  PRESTIGE_TRY(t->catalog->ops->table_load(t->catalog, &t->ident, &cur, err));
  ice_loaded_table_release(&s->latest);
  s->latest = cur;
  return 0;
}

/* Failures after which the commit may be tried again: the outcome was unknown (5xx, a dropped
 * connection, a timeout), the catalog could not be reached, or another writer won. */
static bool retryable(int rc) {
  return rc == PRESTIGE_EUNKNOWN_STATE || rc == PRESTIGE_ECONFLICT || rc == PRESTIGE_ENET || rc == PRESTIGE_ETIMEOUT ||
         rc == PRESTIGE_EHTTP || rc == PRESTIGE_EIO;
}

static int64_t prop_ms(const ice_table_metadata_t *md, const char *key, int64_t dflt) {
  const char *v = md ? ice_metadata_property(md, key, NULL) : NULL;
  if (!v || !*v) return dflt;
  char *end;
  long long x = strtoll(v, &end, 10);
  return *end || x < 0 ? dflt : (int64_t)x;
}

/* A failed attempt is resolved in-process as the restart path does: reload the table (retrying
 * while the catalog is unreachable), look for this writer's seq in every snapshot (found: it
 * landed, acknowledged), else commit again; with exponential backoff, for at most the table's
 * commit.retry.total-timeout-ms (or the sink's commit_retry_timeout_ms). A file is never committed twice: a new attempt is made only
 * after a reload that does not hold the seq. */
int isink_commit_files(prestige_iceberg_sink_t *s, int64_t seq, ice_append_t *w, const ice_data_file_t *files, size_t n_files,
                       int64_t *snapshot_id, int *attempts, prestige_error_t *err) {
  prestige_iceberg_table_t *t = s->table;
  char seqbuf[32];
  snprintf(seqbuf, sizeof seqbuf, "%" PRId64, seq);
  prestige_kv_t kv[3] = {{ISINK_WRITER_ID_KEY, s->writer_id, -1}, {ISINK_COMMIT_SEQ_KEY, seqbuf, -1}, {"wap.id", s->branch, -1}};
  ice_append_options_t ao = ICE_APPEND_OPTIONS_INIT;
  ao.branch = s->branch;
  ao.summary = kv;
  ao.n_summary = s->o.wap_branch ? 3 : 2;
  if (w) {
    files = w->files;
    n_files = w->n_files;
  }
  prestige_label_t l[1] = {{"sink", s->label}};
  *attempts = 0;
  const ice_table_metadata_t *md = s->latest.metadata;
  int64_t budget = s->o.commit_retry_timeout_ms > 0 ? s->o.commit_retry_timeout_ms
                                                    : prop_ms(md, "commit.retry.total-timeout-ms", 1800000);
  int64_t min_wait = prop_ms(md, "commit.retry.min-wait-ms", 100), max_wait = prop_ms(md, "commit.retry.max-wait-ms", 60000);
  if (max_wait > 5000) max_wait = 5000; /* a sink keeps trying: short steps */
  if (min_wait < 1) min_wait = 1;
  if (max_wait < min_wait) max_wait = min_wait;
  int64_t start = prestige_now_ms(), delay = min_wait;
  prestige_error_t last;
  prestige_error_init(&last);
  for (int round = 0;; round++) {
    if (round > 0) {
      /* where do we stand? reload until the catalog answers */
      prestige_error_t lerr;
      while (reload(s, &lerr)) {
        if (prestige_now_ms() - start > budget)
          return prestige_error_set(err, PRESTIGE_EUNKNOWN_STATE,
                                    "iceberg sink %s: commit %" PRId64 " may or may not have landed (%s) and reloading the table "
                                    "failed for %" PRId64 " ms: %s (a restart with the same manifest_dir resolves it)",
                                    s->label, seq, last.message, prestige_now_ms() - start, lerr.message);
        LOG_WARN("iceberg sink %s: commit %" PRId64 ": reloading the table failed (%s); retrying in %" PRId64 " ms", s->label, seq,
                 lerr.message, delay);
        sleep_ms(delay);
        delay = delay * 2 > max_wait ? max_wait : delay * 2;
      }
      int64_t found = isink_find_committed(s->latest.metadata, s->writer_id, seq);
      if (found >= 0) {
        LOG_INFO("iceberg sink %s: commit %" PRId64 " found in the table as snapshot %" PRId64 " after a failed attempt", s->label,
                 seq, found);
        *snapshot_id = found;
        return 0;
      }
    }
    ice_append_t *a = NULL;
    int rc = ice_append_new(&a, t->catalog, &t->ident, t->io, &s->latest, &ao, err);
    for (size_t i = 0; !rc && i < n_files; i++) rc = ice_append_add_file(a, &files[i], err);
    if (rc) {
      ice_append_free(a);
      return prestige_error_prefix(err, "iceberg sink %s: commit %" PRId64, s->label, seq);
    }
    ice_commit_result_t res;
    ice_loaded_table_t next;
    prestige_error_t cerr;
    prestige_error_init(&cerr);
    rc = ice_append_commit(a, &res, &next, &cerr);
    ice_append_free(a);
    if (!rc) {
      *attempts += res.attempts;
      if (res.attempts > 1) prestige_metrics_counter_add("prestige.iceberg_sink.commit_retries", l, 1, (uint64_t)(res.attempts - 1));
      *snapshot_id = res.snapshot_id;
      ice_commit_result_release(&res);
      if (next.metadata) {
        ice_loaded_table_release(&s->latest);
        s->latest = next;
      }
      return 0;
    }
    *attempts += 1;
    prestige_metrics_counter_add("prestige.iceberg_sink.commit_retries", l, 1, 1);
    if (!retryable(rc)) {
      if (err) *err = cerr;
      return prestige_error_prefix(err, "iceberg sink %s: commit %" PRId64, s->label, seq);
    }
    last = cerr;
    int64_t elapsed = prestige_now_ms() - start;
    if (elapsed > budget) {
      if (err) *err = cerr;
      return prestige_error_prefix(err, "iceberg sink %s: commit %" PRId64 ": gave up after %d attempts in %" PRId64 " ms", s->label,
                                   seq, *attempts, elapsed);
    }
    LOG_WARN("iceberg sink %s: commit %" PRId64 " attempt %d failed (%s); checking the table and retrying in %" PRId64 " ms",
             s->label, seq, *attempts, cerr.message, delay);
    sleep_ms(delay);
    delay = delay * 2 > max_wait ? max_wait : delay * 2;
  }
}

/* What an acknowledged commit adds to the result, allocated before the commit: once it landed,
 * recording it cannot fail (an allocation failing after the commit would have dropped its files
 * and rows from the result the caller gets). */
typedef struct report_prep {
  const char **paths; /* for on_commit: the append's own strings */
  char **dups;        /* the result's copies */
} report_prep_t;

static void prep_release(report_prep_t *p, size_t n) {
  for (size_t i = 0; p->dups && i < n; i++) free(p->dups[i]);
  free(p->dups);
  free(p->paths);
  memset(p, 0, sizeof *p);
}

static int report_prepare(prestige_iceberg_sink_t *s, const isink_job_t *j, report_prep_t *p, prestige_error_t *err) {
  ice_append_t *w = j->w;
  size_t n = w->n_files;
  memset(p, 0, sizeof *p);
  p->paths = calloc(n ? n : 1, sizeof(char *));
  p->dups = calloc(n ? n : 1, sizeof(char *));
  bool ok = p->paths && p->dups;
  for (size_t i = 0; ok && i < n; i++) {
    p->paths[i] = w->files[i].file_path;
    ok = (p->dups[i] = strdup(w->files[i].file_path)) != NULL;
  }
  if (ok && n) { /* room in the result for these files (n_files grows once the commit landed) */
    char **f = realloc(s->acc.files, (s->acc.n_files + n) * sizeof(*f));
    if (f) s->acc.files = f;
    ok = f != NULL;
  }
  if (ok) return 0;
  prep_release(p, n);
  return prestige_error_set(err, PRESTIGE_ENOMEM, "iceberg sink %s: commit %" PRId64 ": out of memory before committing", s->label,
                            j->seq);
}

static void report(prestige_iceberg_sink_t *s, const isink_job_t *j, int64_t sid, int attempts, report_prep_t *p) {
  ice_append_t *w = j->w;
  int64_t lat = prestige_now_ms() - j->sealed_ms;
  prestige_label_t l[1] = {{"sink", s->label}};
  prestige_metrics_counter_add("prestige.iceberg_sink.commits", l, 1, 1);
  prestige_metrics_histogram_record("prestige.iceberg_sink.commit_latency_ms", l, 1, (double)lat);
  if (s->o.on_commit) {
    prestige_iceberg_sink_commit_info_t info = {sid, j->seq, p->paths, w->n_files, j->rows, false, attempts, lat};
    s->o.on_commit(s->o.user_data, &info);
  }
  for (size_t i = 0; i < w->n_files; i++) s->acc.files[s->acc.n_files++] = p->dups[i]; /* room made by report_prepare */
  s->acc.snapshot_id = sid;
  s->acc.rows += j->rows;
  s->acc.commits++;
  free(p->dups);
  p->dups = NULL;
  prep_release(p, 0);
}

static int publish(prestige_iceberg_sink_t *s, int64_t *sid, prestige_error_t *err) {
  prestige_iceberg_table_t *h = NULL;
  PRESTIGE_TRY(prestige_iceberg_table_load(s->table->owner, s->table->ident_text, &h, err));
  int rc = ice_publish_branch(h, s->branch, sid, err);
  prestige_iceberg_table_free(h);
  return rc;
}

void *isink_commit_thread(void *arg) {
  prestige_iceberg_sink_t *s = arg;
  for (;;) {
    void *item = NULL;
    if (queue_pop(s->cq, &item, -1) != 0) break;
    isink_job_t *j = item;
    prestige_error_t e;
    prestige_error_init(&e);
    if (j->kind == ISINK_JOB_END) {
      if (j != &isink_end_job) free(j);
      break;
    }
    if (j->kind == ISINK_JOB_DATA) {
      int rc = s->cfail_rc;
      if (!rc) { /* the files closed, then the recovery manifest made durable, then the commit */
        int64_t sid = -1;
        int attempts = 0;
        prestige_label_t l[1] = {{"sink", s->label}};
        int64_t t0 = prestige_now_ms();
        rc = ice_append_finish_files(j->w, &e);
        if (!rc) prestige_metrics_counter_add("prestige.iceberg_sink.files_created", l, 1, (uint64_t)j->w->n_files);
        if (!rc && s->mio) rc = isink_write_manifest(s, j->seq, j->w, &j->manifest_path, &e);
        report_prep_t prep = {0};
        if (!rc) rc = report_prepare(s, j, &prep, &e);
        if (!rc) {
          prestige_metrics_histogram_record("prestige.iceberg_sink.write_duration_ms", l, 1, (double)(prestige_now_ms() - t0));
          rc = isink_commit_files(s, j->seq, j->w, NULL, 0, &sid, &attempts, &e);
          if (rc) prep_release(&prep, j->w->n_files);
        } else {
          j->w->failed = true;
        }
        if (rc) {
          LOG_ERROR("%s", e.message);
          s->cfail_rc = rc;
          s->cfail_err = e;
        } else {
          if (j->manifest_path) isink_remove_manifest(s, j->manifest_path);
          report(s, j, sid, attempts, &prep);
          if (s->o.auto_publish) {
            int64_t psid;
            prestige_error_t pe;
            if (publish(s, &psid, &pe)) {
              LOG_ERROR("%s", pe.message);
              s->cfail_rc = pe.code;
              s->cfail_err = pe;
            }
          }
        }
      } else if (s->mio && !j->manifest_path) { /* skipped after an earlier failure: left for recovery */
        prestige_error_t ke;
        if (!ice_append_finish_files(j->w, &ke)) isink_write_manifest(s, j->seq, j->w, &j->manifest_path, &ke);
      }
      /* committed: the files are the table's; failed: kept for recovery when a manifest names them */
      j->w->outcome_unknown = !rc || j->manifest_path || rc == PRESTIGE_EUNKNOWN_STATE;
      ice_append_free(j->w);
      free(j->manifest_path);
      pthread_mutex_lock(&s->mu);
      s->inflight--;
      isink_metric_inflight(s);
      pthread_cond_broadcast(&s->cv);
      pthread_mutex_unlock(&s->mu);
    } else if (j->kind == ISINK_JOB_BARRIER) {
      if (!j->reply) { /* the final commit of a shutdown */
        s->has_final = true;
        s->final_rc = s->cfail_rc;
        s->final_err = s->cfail_err;
        prestige_iceberg_sink_commit_result_release(&s->final_res);
        s->final_res = s->acc;
        memset(&s->acc, 0, sizeof s->acc);
        s->acc.snapshot_id = -1;
      } else if (s->cfail_rc) {
        isink_answer(j->reply, s->cfail_rc, &s->cfail_err);
      } else {
        j->reply->res = s->acc;
        memset(&s->acc, 0, sizeof s->acc);
        s->acc.snapshot_id = -1;
        isink_answer(j->reply, 0, NULL);
      }
    } else if (j->kind == ISINK_JOB_PUBLISH) {
      if (s->cfail_rc) {
        isink_answer(j->reply, s->cfail_rc, &s->cfail_err);
      } else {
        int rc = publish(s, &j->reply->snapshot_id, &e);
        isink_answer(j->reply, rc, &e);
      }
    }
    free(j);
  }
  return NULL;
}
