#include "pg_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"

static void set_env_script(void) {
  char env[1100];
  snprintf(env, sizeof env, "%s/tests/common/pg_env.sh", test_root());
  setenv("PRESTIGE_PG_ENV", env, 1);
}

int pg_test_start(pg_test_server_t *pg) {
  pg->dir[0] = pg->url[0] = 0;
  set_env_script();
  FILE *f = popen("bash -c 'source \"$PRESTIGE_PG_ENV\" && pg_start >&2 && echo \"$PG_DIR\" && echo \"$PG_URL\"'", "r");
  if (!f) return -1;
  if (fgets(pg->dir, sizeof pg->dir, f) && fgets(pg->url, sizeof pg->url, f)) {
    pg->dir[strcspn(pg->dir, "\n")] = 0;
    pg->url[strcspn(pg->url, "\n")] = 0;
  } else {
    pg->dir[0] = pg->url[0] = 0;
  }
  pclose(f);
  return pg->url[0] ? 0 : -1;
}

void pg_test_stop(pg_test_server_t *pg) {
  if (!pg->dir[0]) return;
  set_env_script();
  setenv("PG_STOP_DIR", pg->dir, 1);
  if (system("bash -c 'source \"$PRESTIGE_PG_ENV\" && pg_stop \"$PG_STOP_DIR\"'") != 0)
    fprintf(stderr, "stopping PostgreSQL failed\n");
  pg->dir[0] = pg->url[0] = 0;
}
