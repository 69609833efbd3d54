/* Poller state stores: SQLite (embedded default) and PostgreSQL (libpq), one table. */
#include <libpq-fe.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prestige/core.h"
#include "prestige/poller.h"

struct prestige_state_store {
  bool pg;
  sqlite3 *db;
  PGconn *conn;
  pthread_mutex_t mu;
  char *where; /* for messages, without passwords */
};

static const char *SQL_CREATE_SQLITE =
    "CREATE TABLE IF NOT EXISTS prestige_poller_state (process TEXT NOT NULL, prefix TEXT NOT NULL, key TEXT NOT NULL,"
    " ts INTEGER NOT NULL, status TEXT NOT NULL, processed_at INTEGER NOT NULL, PRIMARY KEY (process, prefix, key));"
    "CREATE INDEX IF NOT EXISTS prestige_poller_state_ts ON prestige_poller_state (process, prefix, ts);";
static const char *SQL_CREATE_PG =
    "CREATE TABLE IF NOT EXISTS prestige_poller_state (process TEXT NOT NULL, prefix TEXT NOT NULL, key TEXT NOT NULL,"
    " ts BIGINT NOT NULL, status TEXT NOT NULL, processed_at BIGINT NOT NULL, PRIMARY KEY (process, prefix, key));"
    "CREATE INDEX IF NOT EXISTS prestige_poller_state_ts ON prestige_poller_state (process, prefix, ts);";
static const char *SQL_MARK =
    "INSERT INTO prestige_poller_state (process, prefix, key, ts, status, processed_at) VALUES ($1, $2, $3, $4, $5, $6)"
    " ON CONFLICT (process, prefix, key) DO UPDATE SET ts = excluded.ts, status = excluded.status,"
    " processed_at = excluded.processed_at";
static const char *SQL_IS = "SELECT 1 FROM prestige_poller_state WHERE process = $1 AND prefix = $2 AND key = $3";
static const char *SQL_LATEST = "SELECT max(ts) FROM prestige_poller_state WHERE process = $1 AND prefix = $2";

/* "postgresql://user:secret@host/db" -> "postgresql://user:***@host/db" for messages */
static char *redact(const char *spec) {
  char *r = strdup(spec);
  if (!r) return NULL;
  char *at = strchr(r, '@'), *scheme = strstr(r, "://");
  if (at && scheme && scheme < at) {
    char *colon = memchr(scheme + 3, ':', (size_t)(at - scheme - 3));
    if (colon) memmove(colon + 4, at, strlen(at) + 1), memcpy(colon, ":***", 4);
  }
  char *pw = strstr(r, "password=");
  if (pw) {
    char *e = pw + 9;
    while (*e && *e != ' ') e++;
    memmove(pw + 12, e, strlen(e) + 1);
    memcpy(pw + 9, "***", 3);
  }
  return r;
}

int prestige_state_store_open(prestige_state_store_t **out, const char *spec, prestige_error_t *err) {
  *out = NULL;
  if (!spec || !*spec) return prestige_error_set(err, PRESTIGE_EINVAL, "state store: empty specification");
  prestige_state_store_t *s = calloc(1, sizeof *s);
  if (!s) return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
  pthread_mutex_init(&s->mu, NULL);
  s->where = redact(spec);
  int rc = 0;
  if (!strncmp(spec, "postgresql://", 13) || !strncmp(spec, "postgres://", 11) || strstr(spec, "dbname=") ||
      strstr(spec, "host=")) {
    s->pg = true;
    s->conn = PQconnectdb(spec);
    if (!s->conn || PQstatus(s->conn) != CONNECTION_OK) {
      rc = prestige_error_set(err, PRESTIGE_ENET, "state store %s: cannot connect: %s", s->where,
                              s->conn ? PQerrorMessage(s->conn) : "out of memory");
    } else {
      PGresult *res = PQexec(s->conn, SQL_CREATE_PG);
      if (PQresultStatus(res) != PGRES_COMMAND_OK)
        rc = prestige_error_set(err, PRESTIGE_EIO, "state store %s: creating the table: %s", s->where, PQerrorMessage(s->conn));
      PQclear(res);
    }
  } else {
    const char *path = !strncmp(spec, "sqlite:", 7) ? spec + 7 : spec;
    if (!strncmp(path, "//", 2)) path += 2; /* sqlite:///abs/path */
    if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, NULL) != SQLITE_OK) {
      rc = prestige_error_set(err, PRESTIGE_EIO, "state store %s: %s", path, s->db ? sqlite3_errmsg(s->db) : "out of memory");
    } else {
      sqlite3_busy_timeout(s->db, 10000);
      char *msg = NULL;
      if (sqlite3_exec(s->db, "PRAGMA journal_mode=WAL;", NULL, NULL, &msg) != SQLITE_OK ||
          sqlite3_exec(s->db, SQL_CREATE_SQLITE, NULL, NULL, &msg) != SQLITE_OK) {
        rc = prestige_error_set(err, PRESTIGE_EIO, "state store %s: %s", path, msg ? msg : "error");
        sqlite3_free(msg);
      }
    }
  }
  if (rc) {
    prestige_state_store_free(s);
    return rc;
  }
  *out = s;
  return 0;
}

void prestige_state_store_free(prestige_state_store_t *s) {
  if (!s) return;
  if (s->db) sqlite3_close(s->db);
  if (s->conn) PQfinish(s->conn);
  pthread_mutex_destroy(&s->mu);
  free(s->where);
  free(s);
}

/* Runs a PostgreSQL statement with text parameters, reconnecting once if the connection dropped. */
static int pg_run(prestige_state_store_t *s, const char *sql, int n, const char *const *vals, PGresult **res,
                  prestige_error_t *err) {
  for (int attempt = 0; attempt < 2; attempt++) {
    if (PQstatus(s->conn) != CONNECTION_OK) PQreset(s->conn);
    *res = PQexecParams(s->conn, sql, n, NULL, vals, NULL, NULL, 0);
    ExecStatusType st = PQresultStatus(*res);
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) return 0;
    if (PQstatus(s->conn) == CONNECTION_OK || attempt == 1) {
      int rc = prestige_error_set(err, PQstatus(s->conn) == CONNECTION_OK ? PRESTIGE_EIO : PRESTIGE_ENET,
                                  "state store %s: %s", s->where, PQerrorMessage(s->conn));
      PQclear(*res);
      *res = NULL;
      return rc;
    }
    PQclear(*res);
  }
  return PRESTIGE_EINTERNAL;
}

static int sq_prepare(prestige_state_store_t *s, const char *sql, sqlite3_stmt **st, prestige_error_t *err) {
  if (sqlite3_prepare_v2(s->db, sql, -1, st, NULL) != SQLITE_OK)
    return prestige_error_set(err, PRESTIGE_EIO, "state store %s: %s", s->where, sqlite3_errmsg(s->db));
  return 0;
}

int prestige_state_store_mark(prestige_state_store_t *s, const char *process, const char *prefix, const char *key,
                              int64_t ts, const char *status, prestige_error_t *err) {
  int rc = 0;
  int64_t now = prestige_now_ms();
  pthread_mutex_lock(&s->mu);
  if (s->pg) {
    char tsb[24], nowb[24];
    snprintf(tsb, sizeof tsb, "%lld", (long long)ts);
    snprintf(nowb, sizeof nowb, "%lld", (long long)now);
    const char *v[6] = {process, prefix, key, tsb, status, nowb};
    PGresult *res;
    rc = pg_run(s, SQL_MARK, 6, v, &res, err);
    if (!rc) PQclear(res);
  } else {
    sqlite3_stmt *st;
    if (!(rc = sq_prepare(s, SQL_MARK, &st, err))) {
      sqlite3_bind_text(st, 1, process, -1, SQLITE_STATIC);
      sqlite3_bind_text(st, 2, prefix, -1, SQLITE_STATIC);
      sqlite3_bind_text(st, 3, key, -1, SQLITE_STATIC);
      sqlite3_bind_int64(st, 4, ts);
      sqlite3_bind_text(st, 5, status, -1, SQLITE_STATIC);
      sqlite3_bind_int64(st, 6, now);
      if (sqlite3_step(st) != SQLITE_DONE) rc = prestige_error_set(err, PRESTIGE_EIO, "state store %s: %s", s->where, sqlite3_errmsg(s->db));
      sqlite3_finalize(st);
    }
  }
  pthread_mutex_unlock(&s->mu);
  return rc;
}

int prestige_state_store_is_processed(prestige_state_store_t *s, const char *process, const char *prefix, const char *key,
                                      prestige_error_t *err) {
  int rc = 0, found = 0;
  pthread_mutex_lock(&s->mu);
  if (s->pg) {
    const char *v[3] = {process, prefix, key};
    PGresult *res;
    if (!(rc = pg_run(s, SQL_IS, 3, v, &res, err))) {
      found = PQntuples(res) > 0;
      PQclear(res);
    }
  } else {
    sqlite3_stmt *st;
    if (!(rc = sq_prepare(s, SQL_IS, &st, err))) {
      sqlite3_bind_text(st, 1, process, -1, SQLITE_STATIC);
      sqlite3_bind_text(st, 2, prefix, -1, SQLITE_STATIC);
      sqlite3_bind_text(st, 3, key, -1, SQLITE_STATIC);
      int r = sqlite3_step(st);
      if (r == SQLITE_ROW) found = 1;
      else if (r != SQLITE_DONE) rc = prestige_error_set(err, PRESTIGE_EIO, "state store %s: %s", s->where, sqlite3_errmsg(s->db));
      sqlite3_finalize(st);
    }
  }
  pthread_mutex_unlock(&s->mu);
  return rc ? -rc : found;
}

int prestige_state_store_latest(prestige_state_store_t *s, const char *process, const char *prefix, int64_t *ts,
                                prestige_error_t *err) {
  *ts = INT64_MIN;
  int rc = 0;
  pthread_mutex_lock(&s->mu);
  if (s->pg) {
    const char *v[2] = {process, prefix};
    PGresult *res;
    if (!(rc = pg_run(s, SQL_LATEST, 2, v, &res, err))) {
      if (PQntuples(res) > 0 && !PQgetisnull(res, 0, 0)) *ts = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
      PQclear(res);
    }
  } else {
    sqlite3_stmt *st;
    if (!(rc = sq_prepare(s, SQL_LATEST, &st, err))) {
      sqlite3_bind_text(st, 1, process, -1, SQLITE_STATIC);
      sqlite3_bind_text(st, 2, prefix, -1, SQLITE_STATIC);
      if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) *ts = sqlite3_column_int64(st, 0);
      sqlite3_finalize(st);
    }
  }
  pthread_mutex_unlock(&s->mu);
  return rc;
}
