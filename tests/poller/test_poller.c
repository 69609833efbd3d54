/* File poller and state stores (SQLite, and PostgreSQL on a server this test starts): delivery in
 * timestamp order, once per run; after a crash only files not marked processed come again; lookback
 * windows; processes sharing a store. */
#include <stdio.h>
#include <unistd.h>

#include "prestige/poller.h"
#include "prestige/store.h"
#include "pg_test.h"
#include "test.h"

static pg_test_server_t pg_server;

static void pg_up(void) { (void)pg_test_start(&pg_server); }
static void pg_down(void) { pg_test_stop(&pg_server); }

static void put(prestige_store_t *st, int64_t ts) {
  char key[128];
  prestige_error_t err;
  snprintf(key, sizeof key, "ev/ev.%lld.parquet", (long long)ts);
  CHECK_OK(prestige_store_put(st, key, "x", 1, &err));
}

static int64_t next_ts(prestige_poller_t *p, int64_t timeout_ms, prestige_file_meta_t *f) {
  prestige_error_t err;
  if (prestige_poller_next(p, f, timeout_ms, &err)) return -1;
  return f->timestamp_ms;
}

static void run_with(const char *spec, const char *tag) {
  prestige_error_t err;
  char dir[1100];
  snprintf(dir, sizeof dir, "%s/bucket-%s", test_tmpdir(), tag);
  prestige_store_t *st;
  CHECK_OK(prestige_store_open_local(&st, dir, &err));
  prestige_state_store_t *state;
  CHECK_OK(prestige_state_store_open(&state, spec, &err));
  if (!state) return;
  int64_t now = prestige_now_ms();
  for (int i = 1; i <= 5; i++) put(st, now + i);
  prestige_poller_config_t c;
  prestige_poller_config_init(&c);
  c.store = st;
  c.file_type = "ev/";
  c.poll_interval_ms = 100;
  c.process_name = "proc-a";
  prestige_poller_t *p;
  CHECK_OK(prestige_poller_start(&p, &c, state, &err));
  prestige_file_meta_t f;
  for (int i = 1; i <= 5; i++) {
    CHECK_EQ_INT(next_ts(p, TEST_WAIT_MS, &f), now + i);
    if (i <= 3) CHECK_OK(prestige_poller_mark_processed(p, &f, "success", &err));
    prestige_file_meta_clear(&f);
  }
  put(st, now + 6); /* appears while it runs */
  CHECK_EQ_INT(next_ts(p, TEST_WAIT_MS, &f), now + 6);
  prestige_file_meta_clear(&f);
  CHECK_EQ_INT(next_ts(p, 400, &f), -1); /* nothing is delivered twice in a run */
  prestige_poller_free(p);               /* a crash: 4, 5 and 6 were never marked */
  int64_t latest;
  CHECK_OK(prestige_state_store_latest(state, "proc-a", "ev/", &latest, &err));
  CHECK_EQ_INT(latest, now + 3);
  char key[128];
  snprintf(key, sizeof key, "ev/ev.%lld.parquet", (long long)(now + 2));
  CHECK_EQ_INT(prestige_state_store_is_processed(state, "proc-a", "ev/", key, &err), 1);
  CHECK_EQ_INT(prestige_state_store_is_processed(state, "proc-b", "ev/", key, &err), 0);
  /* restart: exactly the unmarked ones, in order */
  CHECK_OK(prestige_poller_start(&p, &c, state, &err));
  for (int i = 4; i <= 6; i++) {
    CHECK_EQ_INT(next_ts(p, TEST_WAIT_MS, &f), now + i);
    CHECK_OK(prestige_poller_mark_processed(p, &f, "success", &err));
    prestige_file_meta_clear(&f);
  }
  CHECK_EQ_INT(next_ts(p, 400, &f), -1);
  prestige_poller_free(p);
  /* a second process shares the store and sees all six */
  c.process_name = "proc-b";
  CHECK_OK(prestige_poller_start(&p, &c, state, &err));
  int n = 0; /* six are due: each is waited for as long as it takes, a seventh only 400 ms */
  while (next_ts(p, n < 6 ? TEST_WAIT_MS : 400, &f) > 0) {
    n++;
    prestige_file_meta_clear(&f);
  }
  CHECK_EQ_INT(n, 6);
  prestige_poller_free(p);
  /* lookback: a file two hours old is outside a one-hour lookback, inside a timestamp lookback */
  put(st, now - 7200000);
  c.process_name = "proc-c";
  c.poll_interval_ms = -1; /* manual polls */
  c.lookback = PRESTIGE_LOOKBACK_DURATION;
  c.lookback_ms = 3600000;
  CHECK_OK(prestige_poller_start(&p, &c, state, &err));
  size_t q;
  CHECK_OK(prestige_poller_poll_once(p, &q, &err));
  CHECK_EQ_INT(q, 6);
  prestige_poller_free(p);
  c.lookback = PRESTIGE_LOOKBACK_TIMESTAMP;
  c.lookback_from_ms = now - 8000000;
  CHECK_OK(prestige_poller_start(&p, &c, state, &err));
  CHECK_OK(prestige_poller_poll_once(p, &q, &err));
  CHECK_EQ_INT(q, 7);
  CHECK_EQ_INT(next_ts(p, TEST_WAIT_MS, &f), now - 7200000); /* oldest first */
  prestige_file_meta_clear(&f);
  prestige_poller_free(p);
  prestige_state_store_free(state);
  prestige_store_free(st);
}

TEST(sqlite_store) {
  char spec[1100];
  snprintf(spec, sizeof spec, "sqlite:%s/state.db", test_tmpdir());
  run_with(spec, "sqlite");
}

TEST(postgresql_store) {
  pg_up();
  CHECK_MSG(pg_server.url[0] != 0, "PostgreSQL did not start");
  if (pg_server.url[0]) run_with(pg_server.url, "pg");
  pg_down();
}

TEST(errors) {
  prestige_error_t err;
  prestige_state_store_t *s;
  CHECK_ERR(prestige_state_store_open(&s, "postgresql://nobody:hunter2@127.0.0.1:9/x", &err), PRESTIGE_ENET, "cannot connect");
  CHECK(strstr(err.message, "hunter2") == NULL); /* the password is redacted */
  char bad[1100];
  snprintf(bad, sizeof bad, "sqlite:%s/no/such/dir/state.db", test_tmpdir());
  CHECK_ERR(prestige_state_store_open(&s, bad, &err), PRESTIGE_EIO, "state store");
  prestige_poller_config_t c;
  prestige_poller_config_init(&c);
  prestige_poller_t *p;
  CHECK_ERR(prestige_poller_start(&p, &c, NULL, &err), PRESTIGE_EINVAL, "required");
}

TEST_MAIN(RUN(sqlite_store); RUN(postgresql_store); RUN(errors);)
