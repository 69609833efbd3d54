/* The SQL layer on SQLite and on a real PostgreSQL server started here: parameters of every kind
 * round-trip, placeholders inside literals are left alone, affected-row counts drive a
 * compare-and-set, transactions commit and roll back, a held lock is ECONFLICT and a duplicate
 * key EEXISTS with the driver's message, upserts, connection errors without the password, and
 * a PostgreSQL connection that was killed comes back. */
#include <stdio.h>
#include <unistd.h>

#include "prestige/core.h"
#include "sql/sql.h"
#include "pg_test.h"
#include "test.h"

static pg_test_server_t pg_server;

static void pg_up(void) { (void)pg_test_start(&pg_server); }
static void pg_down(void) { pg_test_stop(&pg_server); }

static const char *uri_of(const char *tag) {
  static char u[1200];
  if (!strcmp(tag, "pg")) return pg_server.url;
  snprintf(u, sizeof u, "sqlite:%s/test.db", test_tmpdir());
  return u;
}

/* Runs sql and returns the first column of its first row as a number (-1 when no row). */
static int64_t scalar(sql_db_t *db, const char *sql) {
  prestige_error_t err;
  sql_stmt_t *st;
  CHECK_OK(sql_prepare(db, sql, &st, &err));
  if (!st) return -1;
  bool row = false;
  CHECK_OK(sql_step(st, &row, &err));
  int64_t v = row ? sql_column_int64(st, 0) : -1;
  sql_finalize(st);
  return v;
}

static int insert(sql_db_t *db, const char *name, int64_t n, const void *b, size_t bl, const char *loc, prestige_error_t *err) {
  sql_stmt_t *st;
  PRESTIGE_TRY(sql_prepare(db, "INSERT INTO items (name, n, b, loc) VALUES (?, ?, ?, ?)", &st, err));
  int rc = sql_bind_text(st, 1, name, err);
  if (!rc) rc = sql_bind_int64(st, 2, n, err);
  if (!rc) rc = b ? sql_bind_blob(st, 3, b, bl, err) : sql_bind_null(st, 3, err);
  if (!rc) rc = sql_bind_text(st, 4, loc, err);
  bool row;
  if (!rc) rc = sql_step(st, &row, err);
  if (!rc && sql_changes(st) != 1) rc = prestige_error_set(err, PRESTIGE_EINTERNAL, "changes %lld", (long long)sql_changes(st));
  sql_finalize(st);
  return rc;
}

static void values_round_trip(sql_db_t *db) {
  prestige_error_t err;
  char ddl[512];
  snprintf(ddl, sizeof ddl, "DROP TABLE IF EXISTS items; CREATE TABLE items (name TEXT PRIMARY KEY, n %s, b %s, loc TEXT)",
           sql_type(db, SQL_TYPE_INT64), sql_type(db, SQL_TYPE_BLOB));
  CHECK_OK(sql_exec(db, ddl, &err));
  uint8_t all[256];
  for (int i = 0; i < 256; i++) all[i] = (uint8_t)i;
  CHECK_OK(insert(db, "it's \"quoted\" ünïcødé ?", INT64_MIN, all, sizeof all, "s3://b/m1.json", &err));
  CHECK_OK(insert(db, "max", INT64_MAX, "", 0, NULL, &err)); /* an empty blob, a NULL text */
  CHECK_OK(insert(db, "none", 0, NULL, 0, "x", &err));       /* a NULL blob */
  sql_stmt_t *st;
  CHECK_OK(sql_prepare(db, "SELECT name, n, b, loc FROM items WHERE n >= ? ORDER BY n", &st, &err));
  CHECK_OK(sql_bind_int64(st, 1, INT64_MIN, &err));
  bool row;
  CHECK_OK(sql_step(st, &row, &err));
  CHECK(row);
  CHECK_EQ_INT(sql_column_count(st), 4);
  CHECK_EQ_STR(sql_column_name(st, 3), "loc");
  CHECK_EQ_STR(sql_column_text(st, 0), "it's \"quoted\" ünïcødé ?");
  CHECK(sql_column_int64(st, 1) == INT64_MIN);
  size_t bl;
  const uint8_t *b = sql_column_blob(st, 2, &bl);
  CHECK(b && bl == 256 && !memcmp(b, all, 256));
  CHECK_EQ_STR(sql_column_text(st, 3), "s3://b/m1.json");
  CHECK_OK(sql_step(st, &row, &err));
  CHECK(row);
  CHECK_EQ_STR(sql_column_text(st, 0), "none");
  CHECK(sql_column_is_null(st, 2));
  CHECK(sql_column_blob(st, 2, &bl) == NULL && bl == 0);
  CHECK_OK(sql_step(st, &row, &err));
  CHECK(row);
  CHECK_EQ_STR(sql_column_text(st, 0), "max");
  CHECK(sql_column_int64(st, 1) == INT64_MAX);
  b = sql_column_blob(st, 2, &bl);
  CHECK(b != NULL && bl == 0); /* empty, not NULL */
  CHECK(sql_column_is_null(st, 3) && sql_column_text(st, 3) == NULL);
  CHECK_OK(sql_step(st, &row, &err));
  CHECK(!row);
  /* again with another binding */
  CHECK_OK(sql_reset(st, &err));
  CHECK_OK(sql_bind_int64(st, 1, 1, &err));
  CHECK_OK(sql_step(st, &row, &err));
  CHECK(row && !strcmp(sql_column_text(st, 0), "max"));
  CHECK_OK(sql_step(st, &row, &err));
  CHECK(!row);
  sql_finalize(st);
  /* '?' inside literals, quoted identifiers and comments is not a placeholder */
  CHECK_OK(sql_prepare(db, "SELECT 'a?''b' AS \"q?\", ? /* ? */ AS p -- ?\n", &st, &err));
  CHECK_OK(sql_bind_text(st, 1, "bound", &err));
  CHECK_OK(sql_step(st, &row, &err));
  CHECK(row);
  CHECK_EQ_STR(sql_column_text(st, 0), "a?'b");
  CHECK_EQ_STR(sql_column_name(st, 0), "q?");
  CHECK_EQ_STR(sql_column_text(st, 1), "bound");
  CHECK_ERR(sql_bind_text(st, 2, "x", &err), PRESTIGE_EINVAL, "parameter 2 out of range (the statement has 1)");
  CHECK_ERR(sql_bind_int64(st, 0, 1, &err), PRESTIGE_EINVAL, "parameter 0 out of range");
  sql_finalize(st);
}

static void compare_and_set(sql_db_t *db) {
  prestige_error_t err;
  sql_stmt_t *st;
  CHECK_OK(sql_prepare(db, "UPDATE items SET loc = ? WHERE name = ? AND loc = ?", &st, &err));
  const char *name = "it's \"quoted\" ünïcødé ?";
  bool row;
  CHECK_OK(sql_bind_text(st, 1, "s3://b/m2.json", &err));
  CHECK_OK(sql_bind_text(st, 2, name, &err));
  CHECK_OK(sql_bind_text(st, 3, "s3://b/m1.json", &err));
  CHECK_OK(sql_step(st, &row, &err));
  CHECK_EQ_INT(sql_changes(st), 1);
  /* a second writer that still believes m1 loses */
  CHECK_OK(sql_reset(st, &err));
  CHECK_OK(sql_bind_text(st, 1, "s3://b/m2-other.json", &err));
  CHECK_OK(sql_step(st, &row, &err));
  CHECK_EQ_INT(sql_changes(st), 0);
  sql_finalize(st);
  CHECK_EQ_INT(scalar(db, "SELECT count(*) FROM items WHERE loc = 's3://b/m2.json'"), 1);
  CHECK_EQ_INT(scalar(db, "SELECT count(*) FROM items"), 3);
  CHECK_OK(sql_prepare(db, "DELETE FROM items WHERE n = 0 OR n = ?", &st, &err));
  CHECK_OK(sql_bind_int64(st, 1, INT64_MAX, &err));
  CHECK_OK(sql_step(st, &row, &err));
  CHECK_EQ_INT(sql_changes(st), 2);
  sql_finalize(st);
}

static void transactions(sql_db_t *db) {
  prestige_error_t err;
  CHECK(!sql_in_transaction(db));
  CHECK_OK(sql_begin(db, &err));
  CHECK(sql_in_transaction(db));
  CHECK_OK(insert(db, "rolled-back", 1, "x", 1, "l", &err));
  CHECK_OK(sql_rollback(db, &err));
  CHECK(!sql_in_transaction(db));
  CHECK_EQ_INT(scalar(db, "SELECT count(*) FROM items WHERE name = 'rolled-back'"), 0);
  CHECK_OK(sql_begin(db, &err));
  CHECK_OK(insert(db, "committed", 2, "y", 1, "l", &err));
  CHECK_OK(sql_commit(db, &err));
  CHECK_EQ_INT(scalar(db, "SELECT count(*) FROM items WHERE name = 'committed'"), 1);
  CHECK_OK(sql_rollback(db, &err)); /* nothing to roll back: fine */
}

static void conflicts(sql_db_t *db, const char *uri, bool pg) {
  prestige_error_t err;
  /* a duplicate key: EEXISTS with the driver's words */
  CHECK_ERR(insert(db, "committed", 3, "z", 1, "l", &err), PRESTIGE_EEXISTS, pg ? "duplicate key value" : "UNIQUE constraint failed");
  CHECK(strstr(err.message, "INSERT INTO items") != NULL); /* which statement */
  /* a lock held by another connection, waited for busy_timeout_ms, then ECONFLICT */
  sql_options_t o;
  sql_options_init(&o);
  o.busy_timeout_ms = 200;
  sql_db_t *other;
  CHECK_OK(sql_open(&other, uri, &o, &err));
  if (!other) return;
  CHECK_OK(sql_begin(db, &err));
  CHECK_OK(sql_exec(db, "UPDATE items SET loc = 'held' WHERE name = 'committed'", &err));
  int64_t t0 = prestige_monotonic_ns();
  if (pg) {
    CHECK_OK(sql_begin(other, &err));
    CHECK_ERR(sql_exec(other, "UPDATE items SET loc = 'mine' WHERE name = 'committed'", &err), PRESTIGE_ECONFLICT, "lock");
    CHECK(strstr(err.message, "55P03") != NULL);
    CHECK_OK(sql_rollback(other, &err));
  } else {
    CHECK_ERR(sql_begin(other, &err), PRESTIGE_ECONFLICT, "database is locked");
    CHECK(!sql_in_transaction(other));
  }
  CHECK(prestige_monotonic_ns() - t0 >= 150 * 1000000LL); /* it did wait */
  CHECK_OK(sql_commit(db, &err));
  /* once released, the other connection gets through and sees the commit */
  CHECK_OK(sql_begin(other, &err));
  CHECK_EQ_INT(scalar(other, "SELECT count(*) FROM items WHERE loc = 'held'"), 1);
  CHECK_OK(sql_commit(other, &err));
  sql_close(other);
  /* statements the database refuses */
  sql_stmt_t *st;
  int rc = sql_prepare(db, "SELEC nonsense", &st, &err);
  if (!rc) { /* PostgreSQL reports at execution */
    bool row;
    rc = sql_step(st, &row, &err);
    sql_finalize(st);
  }
  CHECK_EQ_INT(rc, PRESTIGE_EINVAL);
  CHECK(strstr(err.message, "syntax error") != NULL && strstr(err.message, "SELEC nonsense") != NULL);
  CHECK_ERR(sql_exec(db, "SELECT * FROM no_such_table", &err), PRESTIGE_EINVAL, "no_such_table");
}

static void upserts(sql_db_t *db) {
  prestige_error_t err;
  const char *cols[] = {"name", "n", "loc"}, *keys[] = {"name"};
  char *sql;
  CHECK_OK(sql_upsert_sql(db, "items", cols, 3, keys, 1, &sql, &err));
  CHECK_EQ_STR(sql, "INSERT INTO items (name, n, loc) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET n = excluded.n, loc = excluded.loc");
  for (int i = 0; i < 2; i++) {
    sql_stmt_t *st;
    CHECK_OK(sql_prepare(db, sql, &st, &err));
    CHECK_OK(sql_bind_text(st, 1, "up", &err));
    CHECK_OK(sql_bind_int64(st, 2, 10 + i, &err));
    CHECK_OK(sql_bind_text(st, 3, i ? "second" : "first", &err));
    bool row;
    CHECK_OK(sql_step(st, &row, &err));
    CHECK_EQ_INT(sql_changes(st), 1);
    sql_finalize(st);
  }
  free(sql);
  CHECK_EQ_INT(scalar(db, "SELECT n FROM items WHERE name = 'up' AND loc = 'second'"), 11);
  CHECK_EQ_INT(scalar(db, "SELECT count(*) FROM items WHERE name = 'up'"), 1);
  CHECK_OK(sql_upsert_sql(db, "items", keys, 1, keys, 1, &sql, &err));
  CHECK_EQ_STR(sql, "INSERT INTO items (name) VALUES (?) ON CONFLICT (name) DO NOTHING");
  free(sql);
}

static void suite(const char *tag) {
  prestige_error_t err;
  bool pg = !strcmp(tag, "pg");
  const char *uri = uri_of(tag);
  sql_db_t *db;
  CHECK_OK(sql_open(&db, uri, NULL, &err));
  if (!db) return;
  CHECK_EQ_INT(sql_dialect(db), pg ? SQL_POSTGRES : SQL_SQLITE);
  CHECK_EQ_STR(sql_type(db, SQL_TYPE_BLOB), pg ? "BYTEA" : "BLOB");
  values_round_trip(db);
  compare_and_set(db);
  transactions(db);
  conflicts(db, uri, pg);
  upserts(db);
  sql_close(db);
}

TEST(sqlite) { suite("sqlite"); }

TEST(postgresql) {
  if (!pg_server.url[0]) {
    CHECK_MSG(0, "PostgreSQL did not start (see the log above)");
    return;
  }
  suite("pg");
  /* a killed backend: the next statement outside a transaction reconnects */
  prestige_error_t err;
  sql_db_t *a, *b;
  CHECK_OK(sql_open(&a, pg_server.url, NULL, &err));
  CHECK_OK(sql_open(&b, pg_server.url, NULL, &err));
  if (!a || !b) return;
  int64_t pid = scalar(a, "SELECT pg_backend_pid()");
  char kill[128];
  snprintf(kill, sizeof kill, "SELECT pg_terminate_backend(%lld)::int", (long long)pid);
  CHECK_EQ_INT(scalar(b, kill), 1);
  usleep(100 * 1000);
  CHECK_EQ_INT(scalar(a, "SELECT 41 + 1"), 42);
  CHECK(scalar(a, "SELECT pg_backend_pid()") != pid);
  sql_close(a);
  sql_close(b);
}

TEST(open_errors) {
  prestige_error_t err;
  sql_db_t *db;
  CHECK_ERR(sql_open(&db, "", NULL, &err), PRESTIGE_EINVAL, "empty");
  /* nothing listens on port 1; the password never shows */
  sql_options_t o;
  sql_options_init(&o);
  o.connect_timeout_ms = 2000;
  CHECK_ERR(sql_open(&db, "postgresql://app:s3cret@127.0.0.1:1/db", &o, &err), PRESTIGE_ENET, "cannot connect");
  CHECK(strstr(err.message, "s3cret") == NULL && strstr(err.message, "postgresql://app:***@127.0.0.1:1/db") != NULL);
  CHECK_ERR(sql_open(&db, "host=127.0.0.1 port=1 password=s3cret dbname=x", &o, &err), PRESTIGE_ENET, "password=***");
  CHECK(strstr(err.message, "s3cret") == NULL);
  char path[1200];
  snprintf(path, sizeof path, "sqlite:%s/no/such/dir/x.db", test_tmpdir());
  CHECK_ERR(sql_open(&db, path, NULL, &err), PRESTIGE_EIO, "unable to open database file");
  CHECK(strstr(err.message, "no/such/dir") != NULL);
  snprintf(path, sizeof path, "%s/not-a-db", test_tmpdir());
  FILE *f = fopen(path, "w");
  fputs("this is not an SQLite database, just text long enough to have a header page of sorts\n", f);
  fclose(f);
  CHECK_ERR(sql_open(&db, path, NULL, &err), PRESTIGE_ECORRUPT, "not a database");
  o.busy_timeout_ms = -1;
  CHECK_ERR(sql_open(&db, "sqlite::memory:", &o, &err), PRESTIGE_EINVAL, "busy_timeout_ms");
  CHECK_OK(sql_open(&db, "sqlite::memory:", NULL, &err));
  CHECK_EQ_INT(scalar(db, "SELECT 7"), 7);
  sql_close(db);
}

TEST_MAIN(
  pg_up();
  RUN(sqlite);
  RUN(postgresql);
  RUN(open_errors);
  if (pg_server.url[0]) pg_down();
)
