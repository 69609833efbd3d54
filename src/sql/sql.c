/*
 * The SQL interface over SQLite and libpq. See sql/sql.h. Each public function branches on the
 * dialect once; the dialect rules (placeholders, types, upserts, error classes) are all here.
 */
#include "sql/sql.h"

#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/log.h"

#define PG_BYTEA_OID 17

typedef struct pg_param {
  char *data; /* NULL for SQL NULL */
  int len;
  int format; /* 0 text, 1 binary */
} pg_param_t;

struct sql_db {
  sql_dialect_t dialect;
  sql_options_t o;
  char *where;
  sqlite3 *lite;
  PGconn *pg;
};

struct sql_stmt {
  sql_db_t *db;
  char *sql; /* as given, for messages */
  int64_t changes;
  /* SQLite */
  sqlite3_stmt *ls;
  /* PostgreSQL */
  char *pg_sql; /* '?' rewritten to $n */
  int n_params;
  pg_param_t *params;
  PGresult *res;
  int row;       /* current row of res; -1 before the first */
  bool executed; /* res holds this run's result */
  unsigned char *blob; /* the last bytea decoded */
};

void sql_options_init(sql_options_t *o) {
  memset(o, 0, sizeof *o);
  o->busy_timeout_ms = 10000;
  o->connect_timeout_ms = 10000;
}

static int oom(prestige_error_t *err) { return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory"); }

/* "postgresql://user:secret@host/db" -> "postgresql://user:***@host/db"; "password=x" -> "password=***" */
static char *redact(const char *uri) {
  char *r = strdup(uri);
  if (!r) return NULL;
  char *at = strchr(r, '@'), *scheme = strstr(r, "://");
  if (at && scheme && scheme < at) {
    char *colon = memchr(scheme + 3, ':', (size_t)(at - scheme - 3));
    if (colon) memmove(colon + 4, at, strlen(at) + 1), memcpy(colon, ":***", 4);
  }
  char *pw = strstr(r, "password=");
  if (pw) {
    char *e = pw + 9;
    while (*e && *e != ' ' && *e != '&') e++;
    memmove(pw + 12, e, strlen(e) + 1);
    memcpy(pw + 9, "***", 3);
  }
  return r;
}

/* A statement's text for messages: its first 80 characters, on one line. */
static void sql_excerpt(char *dst, size_t cap, const char *sql) {
  size_t n = 0;
  for (const char *p = sql; *p && n + 4 < cap && n < 80; p++) dst[n++] = *p == '\n' || *p == '\t' ? ' ' : *p;
  if (sql[n] && n + 4 < cap) memcpy(dst + n, "...", 3), n += 3;
  dst[n] = 0;
}

/* ---- errors ----------------------------------------------------------------------------------- */

static int lite_code(int rc) {
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return PRESTIGE_ECONFLICT;
    case SQLITE_NOMEM: return PRESTIGE_ENOMEM;
    case SQLITE_FULL: return PRESTIGE_ENOSPC;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB: return PRESTIGE_ECORRUPT;
    case SQLITE_ERROR: /* syntax, no such table or column: the statement's fault */
    case SQLITE_RANGE:
    case SQLITE_MISMATCH: return PRESTIGE_EINVAL;
    case SQLITE_CONSTRAINT:
      return rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY ? PRESTIGE_EEXISTS : PRESTIGE_EINVAL;
    default: return PRESTIGE_EIO;
  }
}

static int lite_error(sql_db_t *db, int rc, const char *sql, prestige_error_t *err) {
  char ex[96] = "";
  if (sql) sql_excerpt(ex, sizeof ex, sql);
  int ext = db->lite ? sqlite3_extended_errcode(db->lite) : rc;
  return prestige_error_set(err, lite_code(ext), "SQL %s: %s%s%s%s", db->where, db->lite ? sqlite3_errmsg(db->lite) : sqlite3_errstr(rc),
                            sql ? " (in \"" : "", ex, sql ? "\")" : "");
}

/* SQLSTATE classes (PostgreSQL Appendix A): 23505 unique_violation; 40001 serialization_failure,
 * 40P01 deadlock_detected, 55P03 lock_not_available; class 08 connection exceptions. */
static int pg_code(const char *state, bool connected) {
  if (!connected) return PRESTIGE_ENET;
  if (!state) return PRESTIGE_EIO;
  if (!strcmp(state, "23505")) return PRESTIGE_EEXISTS;
  if (!strcmp(state, "40001") || !strcmp(state, "40P01") || !strcmp(state, "55P03")) return PRESTIGE_ECONFLICT;
  if (!strncmp(state, "08", 2)) return PRESTIGE_ENET;
  if (!strcmp(state, "57014")) return PRESTIGE_ETIMEOUT;
  if (!strncmp(state, "22", 2) || !strncmp(state, "23", 2) || !strncmp(state, "42", 2)) return PRESTIGE_EINVAL;
  return PRESTIGE_EIO;
}

static int pg_error(sql_db_t *db, const PGresult *res, const char *sql, prestige_error_t *err) {
  const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
  const char *raw = res && *PQresultErrorMessage(res) ? PQresultErrorMessage(res) : PQerrorMessage(db->pg);
  char msg[600];
  size_t n = 0;
  for (const char *p = raw; *p && n + 3 < sizeof msg; p++) { /* one line: "ERROR:  x; DETAIL:  y" */
    if (*p == '\n') {
      if (p[1]) msg[n++] = ';', msg[n++] = ' ';
    } else {
      msg[n++] = *p;
    }
  }
  msg[n] = 0;
  char ex[96] = "";
  if (sql) sql_excerpt(ex, sizeof ex, sql);
  return prestige_error_set(err, pg_code(state, PQstatus(db->pg) == CONNECTION_OK), "SQL %s: %s%s%s%s%s%s", db->where, msg,
                            state ? " (SQLSTATE " : "", state ? state : "", state ? ")" : "", sql ? " in \"" : "",
                            sql ? ex : "");
}

/* ---- connections ------------------------------------------------------------------------------ */

static bool is_postgres(const char *uri) {
  return !strncmp(uri, "postgresql://", 13) || !strncmp(uri, "postgres://", 11) || strstr(uri, "dbname=") ||
         strstr(uri, "host=");
}

/* NOTICEs ("table does not exist, skipping") go to the log, never to stderr. */
static void pg_notice(void *ud, const char *msg) {
  (void)ud;
  LOG_DEBUG("PostgreSQL: %.*s", (int)strcspn(msg, "\n"), msg);
}

static int pg_session_setup(sql_db_t *db, prestige_error_t *err) {
  char q[96];
  snprintf(q, sizeof q, "SET lock_timeout = %lld", (long long)db->o.busy_timeout_ms);
  PGresult *r = PQexec(db->pg, q);
  int rc = PQresultStatus(r) == PGRES_COMMAND_OK ? 0 : pg_error(db, r, q, err);
  PQclear(r);
  return rc;
}

static int open_postgres(sql_db_t *db, const char *uri, prestige_error_t *err) {
  db->dialect = SQL_POSTGRES;
  char ct[32];
  snprintf(ct, sizeof ct, "%lld", (long long)((db->o.connect_timeout_ms + 999) / 1000));
  /* ours first: what the URI says overrides them (libpq keeps the last value of a repeated key) */
  const char *keys[] = {"application_name", "connect_timeout", "dbname", NULL};
  const char *vals[] = {"prestige", ct, uri, NULL};
  db->pg = PQconnectdbParams(keys, vals, 1);
  if (!db->pg) return oom(err);
  PQsetNoticeProcessor(db->pg, pg_notice, NULL);
  if (PQstatus(db->pg) != CONNECTION_OK)
    return prestige_error_set(err, PRESTIGE_ENET, "SQL %s: cannot connect: %.*s", db->where,
                              (int)strcspn(PQerrorMessage(db->pg), "\n"), PQerrorMessage(db->pg));
  return pg_session_setup(db, err);
}

static int open_sqlite(sql_db_t *db, const char *uri, prestige_error_t *err) {
  db->dialect = SQL_SQLITE;
  const char *path = !strncmp(uri, "sqlite:", 7) ? uri + 7 : uri;
  if (!strncmp(path, "//", 2)) path += 2; /* sqlite:///abs/path */
  if (!*path) return prestige_error_set(err, PRESTIGE_EINVAL, "SQL %s: no database file named", db->where);
  int rc = sqlite3_open_v2(path, &db->lite, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, NULL);
  if (rc != SQLITE_OK) return lite_error(db, rc, NULL, err);
  sqlite3_extended_result_codes(db->lite, 1);
  sqlite3_busy_timeout(db->lite, db->o.busy_timeout_ms > INT32_MAX ? INT32_MAX : (int)db->o.busy_timeout_ms);
  /* WAL: readers do not block the writer; file databases only */
  if (strcmp(path, ":memory:") != 0) PRESTIGE_TRY(sql_exec(db, "PRAGMA journal_mode=WAL", err));
  return 0;
}

int sql_open(sql_db_t **out, const char *uri, const sql_options_t *o, prestige_error_t *err) {
  *out = NULL;
  if (!uri || !*uri) return prestige_error_set(err, PRESTIGE_EINVAL, "SQL: empty database URI");
  sql_db_t *db = calloc(1, sizeof *db);
  if (!db) return oom(err);
  sql_options_init(&db->o);
  if (o) db->o = *o;
  if (db->o.busy_timeout_ms < 0 || db->o.connect_timeout_ms <= 0) {
    bool busy = db->o.busy_timeout_ms < 0;
    free(db);
    return prestige_error_set(err, PRESTIGE_EINVAL, "SQL: %s must be %s", busy ? "busy_timeout_ms" : "connect_timeout_ms",
                              busy ? "zero or more" : "positive");
  }
  if (!(db->where = redact(uri))) {
    free(db);
    return oom(err);
  }
  int rc = is_postgres(uri) ? open_postgres(db, uri, err) : open_sqlite(db, uri, err);
  if (rc) {
    sql_close(db);
    return rc;
  }
  *out = db;
  return 0;
}

void sql_close(sql_db_t *db) {
  if (!db) return;
  if (db->lite) sqlite3_close_v2(db->lite);
  if (db->pg) PQfinish(db->pg);
  free(db->where);
  free(db);
}

sql_dialect_t sql_dialect(const sql_db_t *db) { return db->dialect; }
const char *sql_where(const sql_db_t *db) { return db->where; }

/* A dropped connection is re-established once, outside transactions (inside one, its state is gone). */
static bool pg_reconnect(sql_db_t *db) {
  if (PQstatus(db->pg) == CONNECTION_OK) return false;
  PQreset(db->pg);
  return PQstatus(db->pg) == CONNECTION_OK && pg_session_setup(db, NULL) == 0;
}

int sql_exec(sql_db_t *db, const char *sql, prestige_error_t *err) {
  if (db->dialect == SQL_SQLITE) {
    int rc = sqlite3_exec(db->lite, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? 0 : lite_error(db, rc, sql, err);
  }
  for (int attempt = 0;; attempt++) {
    PGresult *r = PQexec(db->pg, sql);
    ExecStatusType s = PQresultStatus(r);
    if (s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK) {
      PQclear(r);
      return 0;
    }
    if (attempt == 0 && PQtransactionStatus(db->pg) == PQTRANS_UNKNOWN && pg_reconnect(db)) {
      PQclear(r);
      continue;
    }
    int rc = pg_error(db, r, sql, err);
    PQclear(r);
    return rc;
  }
}

/* ---- statements ------------------------------------------------------------------------------- */

/* '?' outside quotes and comments becomes $1, $2, ... (PostgreSQL's placeholders). Statements
 * with E'...' backslash escapes or $$ quoting are not ours to write. */
static char *pg_placeholders(const char *sql, int *n_params) {
  buf_t b = BUF_INIT;
  int n = 0;
  for (const char *p = sql; *p; p++) {
    char c = *p;
    if (c == '\'' || c == '"') { /* a literal or quoted identifier; doubled quotes stay inside */
      const char *e = p + 1;
      while (*e && !(*e == c && e[1] != c)) e += *e == c ? 2 : 1;
      size_t l = (size_t)(e - p) + (*e ? 1 : 0);
      buf_append(&b, p, l);
      p += l - 1;
    } else if (c == '-' && p[1] == '-') {
      size_t l = strcspn(p, "\n");
      buf_append(&b, p, l);
      p += l - 1;
    } else if (c == '/' && p[1] == '*') {
      const char *e = strstr(p + 2, "*/");
      size_t l = e ? (size_t)(e + 2 - p) : strlen(p);
      buf_append(&b, p, l);
      p += l - 1;
    } else if (c == '?') {
      char t[16];
      snprintf(t, sizeof t, "$%d", ++n);
      buf_append(&b, t, strlen(t));
    } else {
      buf_append_u8(&b, (uint8_t)c);
    }
  }
  if (buf_append_u8(&b, 0)) {
    buf_release(&b);
    return NULL;
  }
  *n_params = n;
  return (char *)buf_detach(&b, NULL);
}

int sql_prepare(sql_db_t *db, const char *sql, sql_stmt_t **out, prestige_error_t *err) {
  *out = NULL;
  sql_stmt_t *st = calloc(1, sizeof *st);
  if (!st) return oom(err);
  st->db = db;
  st->row = -1;
  st->sql = strdup(sql);
  int rc = st->sql ? 0 : oom(err);
  if (!rc && db->dialect == SQL_SQLITE) {
    int r = sqlite3_prepare_v2(db->lite, sql, -1, &st->ls, NULL);
    if (r != SQLITE_OK) rc = lite_error(db, r, sql, err);
    else if (!st->ls) rc = prestige_error_set(err, PRESTIGE_EINVAL, "SQL %s: no statement in \"%s\"", db->where, sql);
  } else if (!rc) {
    st->pg_sql = pg_placeholders(sql, &st->n_params);
    st->params = calloc(st->n_params ? (size_t)st->n_params : 1, sizeof *st->params);
    if (!st->pg_sql || !st->params) rc = oom(err);
  }
  if (rc) {
    sql_finalize(st);
    return rc;
  }
  *out = st;
  return 0;
}

void sql_finalize(sql_stmt_t *st) {
  if (!st) return;
  if (st->ls) sqlite3_finalize(st->ls);
  if (st->res) PQclear(st->res);
  for (int i = 0; i < st->n_params; i++) free(st->params[i].data);
  free(st->params);
  if (st->blob) PQfreemem(st->blob);
  free(st->pg_sql);
  free(st->sql);
  free(st);
}

static int pg_set_param(sql_stmt_t *st, int i, const void *p, size_t n, int format, prestige_error_t *err) {
  if (i < 1 || i > st->n_params)
    return prestige_error_set(err, PRESTIGE_EINVAL, "SQL %s: parameter %d out of range (the statement has %d)", st->db->where, i,
                              st->n_params);
  if (n > INT32_MAX) return prestige_error_set(err, PRESTIGE_EINVAL, "SQL %s: parameter %d is too large", st->db->where, i);
  pg_param_t *pp = &st->params[i - 1];
  char *d = NULL;
  if (p) {
    if (!(d = malloc(n + 1))) return oom(err);
    memcpy(d, p, n);
    d[n] = 0;
  }
  free(pp->data);
  *pp = (pg_param_t){d, (int)n, format};
  return 0;
}

static int lite_bind_rc(sql_stmt_t *st, int i, int r, prestige_error_t *err) {
  if (r == SQLITE_OK) return 0;
  if (r == SQLITE_RANGE)
    return prestige_error_set(err, PRESTIGE_EINVAL, "SQL %s: parameter %d out of range (the statement has %d)", st->db->where, i,
                              sqlite3_bind_parameter_count(st->ls));
  if (r == SQLITE_MISUSE)
    return prestige_error_set(err, PRESTIGE_EINVAL, "SQL %s: parameter %d bound while the statement runs (reset it first)",
                              st->db->where, i);
  return lite_error(st->db, r, st->sql, err);
}

/* The range first: SQLite reports a running statement before a bad index. */
#define LITE_CHECK_INDEX(st, i, err)                                                                                  \
  do {                                                                                                                \
    if ((i) < 1 || (i) > sqlite3_bind_parameter_count((st)->ls)) return lite_bind_rc(st, i, SQLITE_RANGE, err);       \
  } while (0)

int sql_bind_text(sql_stmt_t *st, int i, const char *v, prestige_error_t *err) {
  if (!v) return sql_bind_null(st, i, err);
  if (st->db->dialect == SQL_SQLITE) {
    LITE_CHECK_INDEX(st, i, err);
    return lite_bind_rc(st, i, sqlite3_bind_text(st->ls, i, v, -1, SQLITE_TRANSIENT), err);
  }
  return pg_set_param(st, i, v, strlen(v), 0, err);
}

int sql_bind_int64(sql_stmt_t *st, int i, int64_t v, prestige_error_t *err) {
  if (st->db->dialect == SQL_SQLITE) {
    LITE_CHECK_INDEX(st, i, err);
    return lite_bind_rc(st, i, sqlite3_bind_int64(st->ls, i, v), err);
  }
  char t[24];
  int n = snprintf(t, sizeof t, "%lld", (long long)v);
  return pg_set_param(st, i, t, (size_t)n, 0, err);
}

int sql_bind_blob(sql_stmt_t *st, int i, const void *p, size_t n, prestige_error_t *err) {
  if (st->db->dialect == SQL_SQLITE) {
    LITE_CHECK_INDEX(st, i, err);
    if (n > INT32_MAX) return prestige_error_set(err, PRESTIGE_EINVAL, "SQL %s: parameter %d is too large", st->db->where, i);
    return lite_bind_rc(st, i, sqlite3_bind_blob(st->ls, i, n ? p : "", (int)n, SQLITE_TRANSIENT), err);
  }
  return pg_set_param(st, i, n ? p : "", n, 1, err); /* binary: the bytes as they are */
}

int sql_bind_null(sql_stmt_t *st, int i, prestige_error_t *err) {
  if (st->db->dialect == SQL_SQLITE) {
    LITE_CHECK_INDEX(st, i, err);
    return lite_bind_rc(st, i, sqlite3_bind_null(st->ls, i), err);
  }
  return pg_set_param(st, i, NULL, 0, 0, err);
}

static int pg_run(sql_stmt_t *st, const char *const *vals, const int *lens, const int *fmts, prestige_error_t *err);

static int pg_execute(sql_stmt_t *st, prestige_error_t *err) {
  size_t np = st->n_params ? (size_t)st->n_params : 1;
  const char **vals = calloc(np, sizeof *vals);
  int *lens = calloc(np, sizeof *lens), *fmts = calloc(np, sizeof *fmts);
  int rc = vals && lens && fmts ? 0 : oom(err);
  for (int i = 0; !rc && i < st->n_params; i++) { /* never bound: NULL, as SQLite has it */
    vals[i] = st->params[i].data;
    lens[i] = st->params[i].len;
    fmts[i] = st->params[i].format;
  }
  if (!rc) rc = pg_run(st, vals, lens, fmts, err);
  free(vals);
  free(lens);
  free(fmts);
  return rc;
}

static int pg_run(sql_stmt_t *st, const char *const *vals, const int *lens, const int *fmts, prestige_error_t *err) {
  sql_db_t *db = st->db;
  for (int attempt = 0;; attempt++) {
    PGresult *r = PQexecParams(db->pg, st->pg_sql, st->n_params, NULL, vals, lens, fmts, 0);
    ExecStatusType s = PQresultStatus(r);
    if (s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK) {
      st->res = r;
      st->row = -1;
      st->executed = true;
      const char *ct = PQcmdTuples(r);
      st->changes = s == PGRES_COMMAND_OK && *ct ? strtoll(ct, NULL, 10) : 0;
      return 0;
    }
    if (attempt == 0 && PQtransactionStatus(db->pg) == PQTRANS_UNKNOWN && pg_reconnect(db)) {
      PQclear(r);
      continue;
    }
    int rc = pg_error(db, r, st->sql, err);
    PQclear(r);
    return rc;
  }
}

int sql_step(sql_stmt_t *st, bool *row, prestige_error_t *err) {
  *row = false;
  if (st->db->dialect == SQL_SQLITE) {
    int r = sqlite3_step(st->ls);
    if (r == SQLITE_ROW) {
      *row = true;
      return 0;
    }
    if (r != SQLITE_DONE) return lite_error(st->db, r, st->sql, err);
    st->changes = sqlite3_stmt_readonly(st->ls) ? 0 : sqlite3_changes(st->db->lite);
    return 0;
  }
  if (st->blob) {
    PQfreemem(st->blob);
    st->blob = NULL;
  }
  if (!st->executed) PRESTIGE_TRY(pg_execute(st, err));
  if (PQresultStatus(st->res) == PGRES_TUPLES_OK && st->row + 1 < PQntuples(st->res)) {
    st->row++;
    *row = true;
  } else {
    st->row = PQresultStatus(st->res) == PGRES_TUPLES_OK ? PQntuples(st->res) : -1;
  }
  return 0;
}

int64_t sql_changes(const sql_stmt_t *st) { return st->changes; }

int sql_reset(sql_stmt_t *st, prestige_error_t *err) {
  (void)err;
  st->changes = 0;
  if (st->db->dialect == SQL_SQLITE) {
    sqlite3_reset(st->ls); /* its return repeats the last step's error, reported then */
    return 0;
  }
  if (st->res) PQclear(st->res);
  if (st->blob) PQfreemem(st->blob);
  st->res = NULL;
  st->blob = NULL;
  st->row = -1;
  st->executed = false;
  return 0;
}

/* ---- columns ---------------------------------------------------------------------------------- */

static bool pg_has_row(const sql_stmt_t *st, int col) {
  return st->res && st->row >= 0 && st->row < PQntuples(st->res) && col >= 0 && col < PQnfields(st->res);
}

int sql_column_count(const sql_stmt_t *st) {
  if (st->db->dialect == SQL_SQLITE) return sqlite3_column_count(st->ls);
  return st->res ? PQnfields(st->res) : 0;
}

const char *sql_column_name(const sql_stmt_t *st, int col) {
  if (st->db->dialect == SQL_SQLITE) return sqlite3_column_name(st->ls, col);
  return st->res && col >= 0 && col < PQnfields(st->res) ? PQfname(st->res, col) : NULL;
}

bool sql_column_is_null(const sql_stmt_t *st, int col) {
  if (st->db->dialect == SQL_SQLITE) return sqlite3_column_type(st->ls, col) == SQLITE_NULL;
  return !pg_has_row(st, col) || PQgetisnull(st->res, st->row, col);
}

const char *sql_column_text(sql_stmt_t *st, int col) {
  if (st->db->dialect == SQL_SQLITE) return (const char *)sqlite3_column_text(st->ls, col);
  return sql_column_is_null(st, col) ? NULL : PQgetvalue(st->res, st->row, col);
}

int64_t sql_column_int64(sql_stmt_t *st, int col) {
  if (st->db->dialect == SQL_SQLITE) return sqlite3_column_int64(st->ls, col);
  const char *t = sql_column_text(st, col);
  return t ? strtoll(t, NULL, 10) : 0;
}

const void *sql_column_blob(sql_stmt_t *st, int col, size_t *len) {
  *len = 0;
  if (sql_column_is_null(st, col)) return NULL;
  if (st->db->dialect == SQL_SQLITE) {
    const void *p = sqlite3_column_blob(st->ls, col);
    *len = (size_t)sqlite3_column_bytes(st->ls, col);
    return p ? p : ""; /* an empty blob is not NULL */
  }
  const char *v = PQgetvalue(st->res, st->row, col);
  if (PQftype(st->res, col) != PG_BYTEA_OID) {
    *len = (size_t)PQgetlength(st->res, st->row, col);
    return v;
  }
  if (st->blob) PQfreemem(st->blob);
  st->blob = PQunescapeBytea((const unsigned char *)v, len);
  return st->blob;
}

/* ---- transactions ----------------------------------------------------------------------------- */

int sql_begin(sql_db_t *db, prestige_error_t *err) {
  return sql_exec(db, db->dialect == SQL_SQLITE ? "BEGIN IMMEDIATE" : "BEGIN", err);
}

int sql_commit(sql_db_t *db, prestige_error_t *err) { return sql_exec(db, "COMMIT", err); }

int sql_rollback(sql_db_t *db, prestige_error_t *err) {
  if (!sql_in_transaction(db)) return 0;
  return sql_exec(db, "ROLLBACK", err);
}

bool sql_in_transaction(const sql_db_t *db) {
  if (db->dialect == SQL_SQLITE) return !sqlite3_get_autocommit(db->lite);
  PGTransactionStatusType t = PQtransactionStatus(db->pg);
  return t == PQTRANS_INTRANS || t == PQTRANS_INERROR || t == PQTRANS_ACTIVE;
}

/* ---- dialect ---------------------------------------------------------------------------------- */

const char *sql_type(const sql_db_t *db, sql_type_t t) {
  bool pg = db->dialect == SQL_POSTGRES;
  switch (t) {
    case SQL_TYPE_INT64: return pg ? "BIGINT" : "INTEGER";
    case SQL_TYPE_BLOB: return pg ? "BYTEA" : "BLOB";
    default: return "TEXT";
  }
}

/* Both dialects take PostgreSQL's form (SQLite since 3.24); a third would branch here. */
int sql_upsert_sql(const sql_db_t *db, const char *table, const char *const *cols, size_t n_cols,
                   const char *const *key_cols, size_t n_keys, char **out, prestige_error_t *err) {
  (void)db;
  *out = NULL;
  buf_t b = BUF_INIT;
  int rc = buf_append(&b, "INSERT INTO ", 12) | buf_append(&b, table, strlen(table)) | buf_append(&b, " (", 2);
  for (size_t i = 0; i < n_cols; i++) rc |= buf_append(&b, i ? ", " : "", i ? 2 : 0) | buf_append(&b, cols[i], strlen(cols[i]));
  rc |= buf_append(&b, ") VALUES (", 10);
  for (size_t i = 0; i < n_cols; i++) rc |= buf_append(&b, i ? ", ?" : "?", i ? 3 : 1);
  rc |= buf_append(&b, ") ON CONFLICT (", 15);
  for (size_t i = 0; i < n_keys; i++)
    rc |= buf_append(&b, i ? ", " : "", i ? 2 : 0) | buf_append(&b, key_cols[i], strlen(key_cols[i]));
  rc |= buf_append(&b, ") DO ", 5);
  bool first = true;
  for (size_t i = 0; i < n_cols; i++) {
    bool key = false;
    for (size_t k = 0; k < n_keys && !key; k++) key = !strcmp(cols[i], key_cols[k]);
    if (key) continue;
    rc |= buf_append(&b, first ? "UPDATE SET " : ", ", first ? 11 : 2) | buf_append(&b, cols[i], strlen(cols[i])) |
          buf_append(&b, " = excluded.", 12) | buf_append(&b, cols[i], strlen(cols[i]));
    first = false;
  }
  if (first) rc |= buf_append(&b, "NOTHING", 7);
  rc |= buf_append_u8(&b, 0);
  if (rc) {
    buf_release(&b);
    return oom(err);
  }
  *out = (char *)buf_detach(&b, NULL);
  return 0;
}
