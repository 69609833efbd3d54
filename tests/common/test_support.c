#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test.h"

const char *test_root(void) {
  static char root[PATH_MAX];
  if (root[0]) return root;
  const char *env = getenv("PRESTIGE_ROOT");
  if (env) {
    snprintf(root, sizeof(root), "%s", env);
    return root;
  }
  if (!getcwd(root, sizeof(root))) return ".";
  for (;;) {
    char probe[PATH_MAX + 16];
    snprintf(probe, sizeof(probe), "%s/Makefile", root);
    if (access(probe, F_OK) == 0) return root;
    char *slash = strrchr(root, '/');
    if (!slash || slash == root) break;
    *slash = '\0';
  }
  return ".";
}

const char *test_tmpdir(void) {
  static char dir[PATH_MAX];
  if (dir[0]) return dir;
  snprintf(dir, sizeof(dir), "%s/build/test-tmp/%s-%d", test_root(), test_current ? "t" : "x", (int)getpid());
  char cmd[PATH_MAX + 32];
  snprintf(cmd, sizeof(cmd), "rm -rf '%s' && mkdir -p '%s'", dir, dir);
  if (system(cmd) != 0) fprintf(stderr, "cannot create %s\n", dir);
  return dir;
}

char *test_duckdb_json(const char *sql) {
  char sqlpath[PATH_MAX];
  snprintf(sqlpath, sizeof(sqlpath), "%s/duckdb-%d-%ld.sql", test_tmpdir(), (int)getpid(), random());
  FILE *f = fopen(sqlpath, "w");
  if (!f) return NULL;
  fputs(sql, f);
  fclose(f);
  char cmd[3 * PATH_MAX];
  snprintf(cmd, sizeof(cmd), "node '%s/tests/common/duckdb_query.mjs' '%s'", test_root(), sqlpath);
  FILE *p = popen(cmd, "r");
  if (!p) return NULL;
  size_t cap = 1 << 16, len = 0;
  char *out = malloc(cap);
  size_t n;
  while (out && (n = fread(out + len, 1, cap - len - 1, p)) > 0) {
    len += n;
    if (cap - len < 2) {
      char *grown = realloc(out, cap * 2);
      if (!grown) {
        free(out);
        out = NULL;
        break;
      }
      out = grown;
      cap *= 2;
    }
  }
  int status = pclose(p);
  unlink(sqlpath);
  if (!out) return NULL;
  out[len] = '\0';
  if (status != 0) {
    fprintf(stderr, "duckdb query failed: %s\n%s\n", sql, out);
    free(out);
    return NULL;
  }
  return out;
}
