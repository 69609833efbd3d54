/* A PostgreSQL server for C tests, through tests/common/pg_env.sh: the cluster lives outside the
 * checkout (which the postgres user may not be able to enter) and is reached over TCP on a free
 * loopback port. Paths go through the environment, not a command line, so any checkout path works.
 *
 *   pg_test_server_t pg;
 *   if (pg_test_start(&pg) == 0) { ... use pg.url ...; pg_test_stop(&pg); }
 */
#ifndef PRESTIGE_TEST_PG_H
#define PRESTIGE_TEST_PG_H

typedef struct pg_test_server {
  char dir[1024]; /* the cluster's directory (removed by pg_test_stop) */
  char url[256];  /* postgresql://postgres@127.0.0.1:PORT/postgres */
} pg_test_server_t;

/* Starts a server; 0 when it answers, -1 (with the reason on stderr) otherwise. */
int pg_test_start(pg_test_server_t *pg);
/* Stops it and removes its directory. Safe on a server that did not start, and twice. */
void pg_test_stop(pg_test_server_t *pg);

#endif
