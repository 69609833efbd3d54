/*
 * Commit latency and commits per second of appends through the REST catalog (prestige iceberg
 * serve's server, in this process, over SQLite) against the same appends straight to the SQLite
 * catalog.
 *   bench_rest rest|sql APPENDERS COMMITS DIR
 * Each appender (a thread with a table of its own) makes COMMITS appends of 100 rows; the time of
 * each ice_append_commit (manifest, manifest list, catalog commit) is recorded. Prints one line:
 *   <mode> <appenders> <commits> <seconds> <commits/s> <p50 ms> <p99 ms>
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "iceberg/table.h"
#include "iceberg/table_ops.h"
#include "prestige/arrow.h"
#include "prestige/iceberg_rest.h"
#include "prestige/text.h"

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

typedef struct worker {
  prestige_iceberg_catalog_t *cat;
  char ident[64];
  int commits;
  int64_t *lat_ns;
  int failed;
  struct ArrowSchema *schema;
} worker_t;

static int one_append(worker_t *w, int round, int64_t *ns, prestige_error_t *err) {
  ice_catalog_t *c = w->cat->catalog;
  ice_ident_t id;
  PRESTIGE_TRY(ice_ident_parse(w->ident, true, &id, err));
  ice_loaded_table_t t = {0};
  ice_io_t *io = NULL;
  ice_append_t *a = NULL;
  prestige_array_builder_t *b = NULL;
  struct ArrowArray batch = {0};
  int rc = c->ops->table_load(c, &id, &t, err);
  if (!rc) rc = ice_catalog_table_io_config(c, t.metadata->location, &t.config, &io, err);
  if (!rc) rc = prestige_array_builder_new(&b, w->schema, err);
  for (int r = 0; !rc && r < 100; r++) {
    rc = prestige_array_builder_append_int(prestige_array_builder_child(b, 0), (int64_t)round * 100 + r, err);
    if (!rc) rc = prestige_array_builder_append_struct(b, err);
  }
  if (!rc) rc = prestige_array_builder_finish(b, &batch, err);
  if (!rc) rc = ice_append_new(&a, c, &id, io, &t, NULL, err);
  if (!rc) rc = ice_append_write(a, w->schema, &batch, err);
  else if (batch.release) batch.release(&batch);
  int64_t t0 = now_ns();
  ice_commit_result_t res = {0};
  if (!rc) rc = ice_append_commit(a, &res, NULL, err);
  ice_commit_result_release(&res);
  *ns = now_ns() - t0;
  ice_append_free(a);
  prestige_array_builder_free(b);
  ice_io_free(io);
  ice_loaded_table_release(&t);
  ice_ident_release(&id);
  return rc;
}

static void *run(void *ud) {
  worker_t *w = ud;
  for (int i = 0; i < w->commits; i++) {
    prestige_error_t err;
    prestige_error_init(&err);
    if (one_append(w, i, &w->lat_ns[i], &err)) {
      fprintf(stderr, "%s: %s\n", w->ident, err.message);
      w->failed = 1;
      return NULL;
    }
  }
  return NULL;
}

static int cmp64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: bench_rest rest|sql APPENDERS COMMITS DIR\n");
    return 2;
  }
  bool rest = !strcmp(argv[1], "rest");
  int n = atoi(argv[2]), commits = atoi(argv[3]);
  const char *dir = argv[4];
  char uri[1100], wh[1100];
  snprintf(uri, sizeof uri, "sqlite:%s/%s.db", dir, argv[1]);
  snprintf(wh, sizeof wh, "%s/wh-%s", dir, argv[1]);
  prestige_error_t err;
  prestige_error_init(&err);
  prestige_iceberg_rest_server_t *srv = NULL;
  prestige_iceberg_catalog_options_t o = PRESTIGE_ICEBERG_CATALOG_OPTIONS_INIT;
  char url[128];
  if (rest) {
    prestige_iceberg_serve_options_t so = PRESTIGE_ICEBERG_SERVE_OPTIONS_INIT;
    so.catalog.uri = uri;
    so.catalog.warehouse = wh;
    so.port = 0;
    if (prestige_iceberg_serve_start(&srv, &so, &err)) {
      fprintf(stderr, "serve: %s\n", err.message);
      return 1;
    }
    snprintf(url, sizeof url, "http://127.0.0.1:%u", (unsigned)prestige_iceberg_serve_port(srv));
    o.uri = url;
  } else {
    o.uri = uri;
    o.warehouse = wh;
  }
  prestige_iceberg_catalog_t *cat;
  if (prestige_iceberg_catalog_open(&cat, &o, &err) || prestige_iceberg_namespace_create(cat, "bench", NULL, 0, &err)) {
    fprintf(stderr, "catalog: %s\n", err.message);
    return 1;
  }
  struct ArrowSchema schema;
  memset(&schema, 0, sizeof schema);
  if (prestige_text_parse_schema("id:int64", &schema, &err)) {
    fprintf(stderr, "schema: %s\n", err.message);
    return 1;
  }
  worker_t *ws = calloc((size_t)n, sizeof *ws);
  pthread_t *th = calloc((size_t)n, sizeof *th);
  for (int i = 0; i < n; i++) {
    ws[i].cat = cat;
    ws[i].commits = commits;
    ws[i].schema = &schema;
    ws[i].lat_ns = calloc((size_t)commits, sizeof(int64_t));
    snprintf(ws[i].ident, sizeof ws[i].ident, "bench.t%d", i);
    prestige_iceberg_table_t *t;
    if (prestige_iceberg_table_create(cat, ws[i].ident, &schema, NULL, &t, &err)) {
      fprintf(stderr, "create: %s\n", err.message);
      return 1;
    }
    prestige_iceberg_table_free(t);
  }
  int64_t t0 = now_ns();
  for (int i = 0; i < n; i++) pthread_create(&th[i], NULL, run, &ws[i]);
  for (int i = 0; i < n; i++) pthread_join(th[i], NULL);
  double secs = (double)(now_ns() - t0) / 1e9;
  int64_t *all = calloc((size_t)n * (size_t)commits, sizeof(int64_t));
  int failed = 0;
  for (int i = 0; i < n; i++) {
    memcpy(all + (size_t)i * (size_t)commits, ws[i].lat_ns, (size_t)commits * sizeof(int64_t));
    failed |= ws[i].failed;
    free(ws[i].lat_ns);
  }
  size_t total = (size_t)n * (size_t)commits;
  qsort(all, total, sizeof *all, cmp64);
  printf("%s %d %d %.3f %.1f %.3f %.3f\n", argv[1], n, commits, secs, (double)total / secs, (double)all[total / 2] / 1e6,
         (double)all[(size_t)((double)total * 0.99) < total ? (size_t)((double)total * 0.99) : total - 1] / 1e6);
  free(all);
  free(ws);
  free(th);
  schema.release(&schema);
  prestige_iceberg_catalog_close(cat);
  prestige_iceberg_serve_stop(srv);
  return failed;
}
