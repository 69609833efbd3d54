/*
 * One SQL interface over SQLite and PostgreSQL (libpq), for the file poller's state stores and the
 * Iceberg SQL catalog (Java's JDBC catalog schema): open by URI, prepared statements with '?'
 * placeholders, text/int64/blob/NULL parameters, row iteration, transactions, affected-row counts
 * (compare-and-set updates), and errors carrying the driver's message with a classification:
 * a lock that could not be had in time is ECONFLICT, a unique or primary-key violation EEXISTS.
 *
 *   sql_db_t *db;
 *   sql_open(&db, "sqlite:/var/lib/app/catalog.db", NULL, &err);     // or "postgresql://u@h/db"
 *   sql_begin(db, &err);                                             // SQLite: BEGIN IMMEDIATE
 *   sql_stmt_t *st;
 *   sql_prepare(db, "UPDATE t SET loc = ? WHERE name = ? AND loc = ?", &st, &err);
 *   sql_bind_text(st, 1, new_loc, &err); sql_bind_text(st, 2, name, &err); sql_bind_text(st, 3, old_loc, &err);
 *   bool row;
 *   sql_step(st, &row, &err);
 *   if (sql_changes(st) != 1) ... someone else committed first: roll back, ECONFLICT ...
 *   sql_finalize(st);
 *   sql_commit(db, &err);
 *
 * Dialect differences live here only: placeholders ('?' is rewritten to $1, $2... for
 * PostgreSQL), column types (sql_type), upsert statements (sql_upsert_sql). A connection and its
 * statements are used by one thread at a time (the caller locks).
 */
#ifndef PRESTIGE_SQL_SQL_H
#define PRESTIGE_SQL_SQL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "prestige/error.h"

typedef struct sql_db sql_db_t;
typedef struct sql_stmt sql_stmt_t;

typedef enum sql_dialect { SQL_SQLITE = 1, SQL_POSTGRES = 2 } sql_dialect_t;

typedef struct sql_options {
  /* How long to wait for a lock before ECONFLICT: SQLite's busy timeout (BEGIN IMMEDIATE and
   * writes), PostgreSQL's lock_timeout. Default 10000. */
  int64_t busy_timeout_ms;
  int64_t connect_timeout_ms; /* PostgreSQL; default 10000 */
} sql_options_t;

void sql_options_init(sql_options_t *o);

/* uri: "sqlite:PATH" (also "sqlite:///abs/path", "sqlite::memory:", or a plain path) or
 * "postgresql://..." / "postgres://..." / a libpq "host=... dbname=..." string. Passwords never
 * appear in messages. ENET when the server cannot be reached, EIO/ECORRUPT for SQLite files. */
int sql_open(sql_db_t **out, const char *uri, const sql_options_t *o, prestige_error_t *err);
void sql_close(sql_db_t *db);
sql_dialect_t sql_dialect(const sql_db_t *db);
/* The URI with any password replaced by "***", for messages. */
const char *sql_where(const sql_db_t *db);

/* Runs statements without parameters (DDL, PRAGMAs); several separated by ';' are fine. */
int sql_exec(sql_db_t *db, const char *sql, prestige_error_t *err);

int sql_prepare(sql_db_t *db, const char *sql, sql_stmt_t **out, prestige_error_t *err);
/* Parameters count from 1; values are copied. A NULL text binds SQL NULL, as does a parameter
 * never bound. Bind before the first step or after a reset (EINVAL while SQLite runs it). */
int sql_bind_text(sql_stmt_t *st, int i, const char *v, prestige_error_t *err);
int sql_bind_int64(sql_stmt_t *st, int i, int64_t v, prestige_error_t *err);
int sql_bind_blob(sql_stmt_t *st, int i, const void *p, size_t n, prestige_error_t *err);
int sql_bind_null(sql_stmt_t *st, int i, prestige_error_t *err);
/* Advances: *row is true while a row is available (read it with sql_column_*), false when the
 * statement is done (then sql_changes holds its count). */
int sql_step(sql_stmt_t *st, bool *row, prestige_error_t *err);
/* Rows inserted, updated or deleted by the statement's last completed run. */
int64_t sql_changes(const sql_stmt_t *st);
/* For another run with new bindings (the old ones are kept until replaced). */
int sql_reset(sql_stmt_t *st, prestige_error_t *err);
void sql_finalize(sql_stmt_t *st);

/* Columns of the current row, counted from 0. Pointers stay valid until the next step or reset. */
int sql_column_count(const sql_stmt_t *st);
const char *sql_column_name(const sql_stmt_t *st, int col);
bool sql_column_is_null(const sql_stmt_t *st, int col);
const char *sql_column_text(sql_stmt_t *st, int col);                   /* NULL for SQL NULL */
int64_t sql_column_int64(sql_stmt_t *st, int col);                      /* 0 for NULL */
const void *sql_column_blob(sql_stmt_t *st, int col, size_t *len);      /* NULL for SQL NULL */

/* Transactions. SQLite takes the write lock at BEGIN (BEGIN IMMEDIATE, waiting busy_timeout_ms),
 * so a transaction that reads then writes cannot fail half-way on a lock. */
int sql_begin(sql_db_t *db, prestige_error_t *err);
int sql_commit(sql_db_t *db, prestige_error_t *err);
int sql_rollback(sql_db_t *db, prestige_error_t *err);
bool sql_in_transaction(const sql_db_t *db);

/* ---- dialect -------------------------------------------------------------------------------- */

typedef enum sql_type { SQL_TYPE_TEXT, SQL_TYPE_INT64, SQL_TYPE_BLOB } sql_type_t;
/* The column type to write in DDL: TEXT; INTEGER / BIGINT; BLOB / BYTEA. */
const char *sql_type(const sql_db_t *db, sql_type_t t);
/* "INSERT INTO table (c1, ...) VALUES (?, ...) ON CONFLICT (k1, ...) DO UPDATE SET c = excluded.c
 * ..." for the columns not in the key (DO NOTHING when all are). *out malloc'd. */
int sql_upsert_sql(const sql_db_t *db, const char *table, const char *const *cols, size_t n_cols,
                   const char *const *key_cols, size_t n_keys, char **out, prestige_error_t *err);

#endif
