/* Poller state stores: one table on the shared SQL layer (SQLite embedded, or PostgreSQL). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prestige/core.h"
#include "prestige/poller.h"
#include "sql/sql.h"

struct prestige_state_store {
  sql_db_t *db;
  pthread_mutex_t mu; /* a connection serves one thread at a time */
  sql_stmt_t *mark, *is, *latest;
};

static const char *const MARK_COLS[] = {"process", "prefix", "key", "ts", "status", "processed_at"};
static const char *const MARK_KEY[] = {"process", "prefix", "key"};

static int create_table(sql_db_t *db, prestige_error_t *err) {
  char ddl[768];
  const char *i64 = sql_type(db, SQL_TYPE_INT64);
  snprintf(ddl, sizeof ddl,
           "CREATE TABLE IF NOT EXISTS prestige_poller_state (process TEXT NOT NULL, prefix TEXT NOT NULL, key TEXT NOT NULL,"
           " ts %s NOT NULL, status TEXT NOT NULL, processed_at %s NOT NULL, PRIMARY KEY (process, prefix, key));"
           "CREATE INDEX IF NOT EXISTS prestige_poller_state_ts ON prestige_poller_state (process, prefix, ts);",
           i64, i64);
  return sql_exec(db, ddl, err);
}

int prestige_state_store_open(prestige_state_store_t **out, const char *spec, prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  *out = NULL;
  if (!spec || !*spec) return prestige_error_set(err, PRESTIGE_EINVAL, "state store: empty specification");
  prestige_state_store_t *s = calloc(1, sizeof *s);
  if (!s) return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
  pthread_mutex_init(&s->mu, NULL);
  char *upsert = NULL;
  int rc = sql_open(&s->db, spec, NULL, err);
  if (!rc) rc = create_table(s->db, err);
  if (!rc) rc = sql_upsert_sql(s->db, "prestige_poller_state", MARK_COLS, 6, MARK_KEY, 3, &upsert, err);
  if (!rc) rc = sql_prepare(s->db, upsert, &s->mark, err);
  if (!rc)
    rc = sql_prepare(s->db, "SELECT 1 FROM prestige_poller_state WHERE process = ? AND prefix = ? AND key = ?", &s->is, err);
  if (!rc) rc = sql_prepare(s->db, "SELECT max(ts) FROM prestige_poller_state WHERE process = ? AND prefix = ?", &s->latest, err);
  free(upsert);
  if (rc) {
    prestige_error_prefix(err, "state store");
    prestige_state_store_free(s);
    return rc;
  }
  *out = s;
  return 0;
}

void prestige_state_store_free(prestige_state_store_t *s) {
  if (!s) return;
  sql_finalize(s->mark);
  sql_finalize(s->is);
  sql_finalize(s->latest);
  sql_close(s->db);
  pthread_mutex_destroy(&s->mu);
  free(s);
}

/* Binds process and prefix (and key) and runs st to its first row. */
static int run(sql_stmt_t *st, const char *process, const char *prefix, const char *key, bool *row, prestige_error_t *err) {
  int rc = sql_reset(st, err);
  if (!rc) rc = sql_bind_text(st, 1, process, err);
  if (!rc) rc = sql_bind_text(st, 2, prefix, err);
  if (!rc && key) rc = sql_bind_text(st, 3, key, err);
  if (!rc) rc = sql_step(st, row, err);
  return rc;
}

int prestige_state_store_mark(prestige_state_store_t *s, const char *process, const char *prefix, const char *key,
                              int64_t ts, const char *status, prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  pthread_mutex_lock(&s->mu);
  bool row;
  int rc = sql_reset(s->mark, err);
  if (!rc) rc = sql_bind_text(s->mark, 1, process, err);
  if (!rc) rc = sql_bind_text(s->mark, 2, prefix, err);
  if (!rc) rc = sql_bind_text(s->mark, 3, key, err);
  if (!rc) rc = sql_bind_int64(s->mark, 4, ts, err);
  if (!rc) rc = sql_bind_text(s->mark, 5, status, err);
  if (!rc) rc = sql_bind_int64(s->mark, 6, prestige_now_ms(), err);
  if (!rc) rc = sql_step(s->mark, &row, err);
  pthread_mutex_unlock(&s->mu);
  if (rc) prestige_error_prefix(err, "state store: marking %s", key);
  return rc;
}

int prestige_state_store_is_processed(prestige_state_store_t *s, const char *process, const char *prefix, const char *key,
                                      prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  pthread_mutex_lock(&s->mu);
  bool row = false;
  int rc = run(s->is, process, prefix, key, &row, err);
  sql_reset(s->is, NULL); /* ends SQLite's read of the table */
  pthread_mutex_unlock(&s->mu);
  if (rc) prestige_error_prefix(err, "state store");
  return rc ? -rc : row;
}

int prestige_state_store_latest(prestige_state_store_t *s, const char *process, const char *prefix, int64_t *ts,
                                prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  *ts = INT64_MIN;
  pthread_mutex_lock(&s->mu);
  bool row = false;
  int rc = run(s->latest, process, prefix, NULL, &row, err);
  if (!rc && row && !sql_column_is_null(s->latest, 0)) *ts = sql_column_int64(s->latest, 0);
  sql_reset(s->latest, NULL);
  pthread_mutex_unlock(&s->mu);
  if (rc) prestige_error_prefix(err, "state store");
  return rc;
}
