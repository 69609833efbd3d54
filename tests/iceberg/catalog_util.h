/* Helpers for the catalog tests (header-only; include it in one test file): a PostgreSQL server
 * for the test's lifetime (stopped by a guard process even when the test dies), Arrow schemas
 * from the text syntax with required fields, metadata files in a directory, snapshots. */
#ifndef PRESTIGE_TEST_CATALOG_UTIL_H
#define PRESTIGE_TEST_CATALOG_UTIL_H

#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "iceberg/catalog.h"
#include "iceberg/metadata.h"
#include "prestige/arrow.h"
#include "prestige/iceberg_catalog.h"
#include "prestige/text.h"
#include "test.h"

static char cu_pg_dir[1024], cu_pg_url[256];
static pid_t cu_pg_guard;

static void cu_guard_stop(int sig) {
  (void)sig;
  execl("/bin/bash", "bash", "-c", "source \"$PRESTIGE_PG_ENV\" && pg_stop \"$PG_STOP_DIR\"", (char *)NULL);
  _exit(1);
}

/* Starts PostgreSQL through tests/common/pg_env.sh (cu_pg_url stays "" when it cannot). Besides
 * the runner's process-group kill, a guard child stops it when this process ends however it
 * ends (a test binary run on its own, or killed by a sanitizer). */
static void cu_pg_up(void) {
  char env[1100];
  snprintf(env, sizeof env, "%s/tests/common/pg_env.sh", test_root());
  setenv("PRESTIGE_PG_ENV", env, 1);
  FILE *f = popen("bash -c 'source \"$PRESTIGE_PG_ENV\" && pg_start >&2 && echo \"$PG_DIR\" && echo \"$PG_URL\"'", "r");
  if (f && fgets(cu_pg_dir, sizeof cu_pg_dir, f) && fgets(cu_pg_url, sizeof cu_pg_url, f)) {
    cu_pg_dir[strcspn(cu_pg_dir, "\n")] = 0;
    cu_pg_url[strcspn(cu_pg_url, "\n")] = 0;
  } else {
    cu_pg_dir[0] = cu_pg_url[0] = 0;
  }
  if (f) pclose(f);
  if (!cu_pg_url[0]) return;
  setenv("PG_STOP_DIR", cu_pg_dir, 1);
  cu_pg_guard = fork();
  if (cu_pg_guard == 0) {
    signal(SIGTERM, cu_guard_stop);
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() == 1) cu_guard_stop(0);
    for (;;) pause();
  }
}

static void cu_pg_down(void) {
  if (cu_pg_guard > 0) {
    kill(cu_pg_guard, SIGTERM);
    waitpid(cu_pg_guard, NULL, 0);
    cu_pg_guard = 0;
  }
}

/* "id:int64!,name:string": '!' marks a required (non-nullable) field (the text schema language). */
static int cu_schema(const char *spec, struct ArrowSchema *out, prestige_error_t *err) {
  return prestige_text_parse_schema(spec, out, err);
}

/* Files in dir whose names end with suffix. */
static int cu_count_files(const char *dir, const char *suffix) {
  DIR *d = opendir(dir);
  if (!d) return 0;
  int n = 0;
  struct dirent *e;
  size_t sl = strlen(suffix);
  while ((e = readdir(d))) {
    size_t l = strlen(e->d_name);
    if (l >= sl && !strcmp(e->d_name + l - sl, suffix)) n++;
  }
  closedir(d);
  return n;
}

static bool cu_exists(const char *path) { return access(path, F_OK) == 0; }

static void cu_write_file(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  if (!f) return;
  fputs(text, f);
  fclose(f);
}

static char *cu_read_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *b = malloc((size_t)n + 1);
  if (b && fread(b, 1, (size_t)n, f) != (size_t)n) n = 0;
  if (b) b[n] = 0;
  fclose(f);
  return b;
}

/* An ADD_SNAPSHOT + SET_SNAPSHOT_REF(main) pair for a metadata-only snapshot. */
static void cu_snapshot_updates(const ice_table_metadata_t *md, int64_t id, int64_t ts_ms, const char *op, ice_update_t ups[2]) {
  memset(ups, 0, 2 * sizeof *ups);
  ice_snapshot_t *s = calloc(1, sizeof *s);
  s->snapshot_id = id;
  s->has_parent = md->current_snapshot_id != ICE_NO_SNAPSHOT;
  s->parent_id = md->current_snapshot_id;
  s->sequence_number = md->last_sequence_number + 1;
  s->timestamp_ms = ts_ms;
  char ml[512];
  snprintf(ml, sizeof ml, "%s/metadata/snap-%lld-1-x.avro", md->location, (long long)id);
  s->manifest_list = strdup(ml);
  s->operation = strdup(op);
  ice_strmap_set(&s->summary, "added-records", "10");
  ice_strmap_set(&s->summary, "total-records", "10");
  s->has_schema_id = true;
  s->schema_id = md->current_schema_id;
  if (md->format_version >= 3) {
    s->has_first_row_id = s->has_added_rows = true;
    s->first_row_id = md->next_row_id;
    s->added_rows = 10;
  }
  ups[0].kind = ICE_UP_ADD_SNAPSHOT;
  ups[0].snapshot = s;
  ups[1].kind = ICE_UP_SET_SNAPSHOT_REF;
  ups[1].ref.name = strdup("main");
  ups[1].ref.type = ICE_REF_BRANCH;
  ups[1].ref.snapshot_id = id;
}

#endif
