/* Helpers for the table tests (header-only): random record batches for any table schema (fixed
 * seed), Parquet files of batches and of scan results, DuckDB comparisons of two files as
 * multisets of rows, and a file-catalog test table. */
#ifndef PRESTIGE_TEST_TABLE_UTIL_H
#define PRESTIGE_TEST_TABLE_UTIL_H

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "file_catalog.h"
#include "iceberg/arrow_map.h"
#include "iceberg/table_ops.h"
#include "iceberg/scan.h"
#include "prestige/parquet_reader.h"
#include "prestige/parquet_writer.h"
#include "test.h"

static uint64_t tt_rng = 0x243F6A8885A308D3ULL;
static inline void tt_seed(uint64_t s) { tt_rng = s * 0x9E3779B97F4A7C15ULL + 7; }
static inline uint64_t tt_rand(void) {
  tt_rng ^= tt_rng >> 12;
  tt_rng ^= tt_rng << 25;
  tt_rng ^= tt_rng >> 27;
  return tt_rng * 0x2545F4914F6CDD1DULL;
}
static inline int64_t tt_range(int64_t lo, int64_t hi) { return lo + (int64_t)(tt_rand() % (uint64_t)(hi - lo + 1)); }

/* Value ranges: small enough that identity/truncate partitions repeat, timestamps in 2024. */
static inline int tt_gen(prestige_array_builder_t *b, const struct ArrowSchema *s, double null_frac, int depth,
                  prestige_error_t *err) {
  if ((s->flags & ARROW_FLAG_NULLABLE) && (double)(tt_rand() % 1000) / 1000.0 < null_frac)
    return prestige_array_builder_append_null(b, err);
  const char *f = s->format;
  static const char *words[] = {"alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota",
                                "kappa", "héllo wörld", "日本語テキスト", "", "a/b=c d", "longer string value number 7"};
  if (!strcmp(f, "b")) return prestige_array_builder_append_bool(b, tt_rand() & 1, err);
  if (!strcmp(f, "i")) return prestige_array_builder_append_int(b, tt_range(-50, 50), err);
  if (!strcmp(f, "l")) return prestige_array_builder_append_int(b, tt_range(-1000, 100000), err);
  if (!strcmp(f, "f")) return prestige_array_builder_append_double(b, (double)tt_range(-10000, 10000) / 8.0, err);
  if (!strcmp(f, "g")) {
    int k = (int)(tt_rand() % 50);
    double v = k == 0 ? NAN : k == 1 ? -0.0 : k == 2 ? INFINITY : (double)tt_range(-1000000, 1000000) / 16.0;
    return prestige_array_builder_append_double(b, v, err);
  }
  if (!strncmp(f, "d:", 2)) {
    int p = atoi(f + 2);
    __int128 lim = 1;
    for (int i = 0; i < p && i < 18; i++) lim *= 10;
    __int128 v = (__int128)(tt_rand() % (uint64_t)lim) * ((tt_rand() & 1) ? -1 : 1);
    uint8_t le[16];
    memcpy(le, &v, 16);
    return prestige_array_builder_append_decimal(b, le, err);
  }
  if (!strcmp(f, "tdD")) return prestige_array_builder_append_int(b, tt_range(19723, 19723 + 400), err);
  if (!strcmp(f, "ttu")) return prestige_array_builder_append_int(b, tt_range(0, 86399999999LL), err);
  if (!strncmp(f, "tsu:", 4)) return prestige_array_builder_append_int(b, tt_range(1704067200000000LL, 1706745600000000LL), err);
  if (!strncmp(f, "tsn:", 4))
    return prestige_array_builder_append_int(b, tt_range(1704067200000000LL, 1706745600000000LL) * 1000 + tt_range(0, 999), err);
  if (!strcmp(f, "u")) {
    const char *w = words[tt_rand() % (sizeof words / sizeof words[0])];
    char buf[96];
    int n = snprintf(buf, sizeof buf, "%s%s%d", w, (tt_rand() & 3) ? "" : "-", (int)(tt_rand() % 7));
    return prestige_array_builder_append_bytes(b, buf, n, err);
  }
  if (!strcmp(f, "z")) {
    uint8_t buf[24];
    int n = (int)(tt_rand() % 20);
    for (int i = 0; i < n; i++) buf[i] = (uint8_t)tt_rand();
    return prestige_array_builder_append_bytes(b, buf, n, err);
  }
  if (!strncmp(f, "w:", 2)) {
    int n = atoi(f + 2);
    uint8_t buf[64];
    for (int i = 0; i < n && i < 64; i++) buf[i] = (uint8_t)(tt_rand() % 4); /* few distinct values */
    return prestige_array_builder_append_bytes(b, buf, n, err);
  }
  if (!strcmp(f, "+s")) {
    for (int64_t i = 0; i < s->n_children; i++)
      PRESTIGE_TRY(tt_gen(prestige_array_builder_child(b, i), s->children[i], null_frac, depth + 1, err));
    return prestige_array_builder_append_struct(b, err);
  }
  if (!strcmp(f, "+l")) {
    int n = (int)(tt_rand() % 4);
    for (int i = 0; i < n; i++) PRESTIGE_TRY(tt_gen(prestige_array_builder_child(b, 0), s->children[0], null_frac, depth + 1, err));
    return prestige_array_builder_append_list(b, err);
  }
  if (!strcmp(f, "+m")) {
    int n = (int)(tt_rand() % 3);
    prestige_array_builder_t *e = prestige_array_builder_child(b, 0);
    for (int i = 0; i < n; i++) {
      /* distinct keys per map */
      char key[16];
      int kl = snprintf(key, sizeof key, "k%d", i);
      const struct ArrowSchema *ks = s->children[0]->children[0];
      if (!strcmp(ks->format, "u")) PRESTIGE_TRY(prestige_array_builder_append_bytes(prestige_array_builder_child(e, 0), key, kl, err));
      else PRESTIGE_TRY(prestige_array_builder_append_int(prestige_array_builder_child(e, 0), i, err));
      PRESTIGE_TRY(tt_gen(prestige_array_builder_child(e, 1), s->children[0]->children[1], null_frac, depth + 1, err));
      PRESTIGE_TRY(prestige_array_builder_append_struct(e, err));
    }
    return prestige_array_builder_append_list(b, err);
  }
  return prestige_error_set(err, PRESTIGE_EUNSUPPORTED, "tt_gen: format %s", f);
}

static inline int tt_batch(const struct ArrowSchema *s, int64_t n, double null_frac, struct ArrowArray *out, prestige_error_t *err) {
  prestige_array_builder_t *b;
  PRESTIGE_TRY(prestige_array_builder_new(&b, s, err));
  int rc = 0;
  for (int64_t r = 0; r < n && !rc; r++) {
    for (int64_t i = 0; i < s->n_children && !rc; i++)
      rc = tt_gen(prestige_array_builder_child(b, i), s->children[i], null_frac, 0, err);
    if (!rc) rc = prestige_array_builder_append_struct(b, err);
  }
  if (!rc) rc = prestige_array_builder_finish(b, out, err);
  prestige_array_builder_free(b);
  return rc;
}

/* A batch that shares nothing with src (a deep copy through a take of every row). */
#include "iceberg/arrow_take.h"
static inline int tt_copy(const struct ArrowSchema *s, const struct ArrowArray *src, struct ArrowArray *out, prestige_error_t *err) {
  ice_row_ref_t *rows = malloc((size_t)(src->length ? src->length : 1) * sizeof(*rows));
  for (int64_t i = 0; i < src->length; i++) rows[i] = (ice_row_ref_t){0, i};
  int rc = ice_arrow_take(s, &src, 1, rows, src->length, out, err);
  free(rows);
  return rc;
}

/* Writes batches to a Parquet file (the batches are not consumed). */
static inline int tt_write_parquet(const char *path, const struct ArrowSchema *s, const struct ArrowArray *batches, size_t n,
                            prestige_error_t *err) {
  prestige_parquet_writer_t *w;
  PRESTIGE_TRY(prestige_parquet_writer_open_file(&w, path, s, NULL, err));
  for (size_t i = 0; i < n; i++) {
    int rc = prestige_parquet_writer_write(w, &batches[i], err);
    if (rc) {
      prestige_parquet_writer_abort(w);
      return rc;
    }
  }
  return prestige_parquet_writer_close(w, NULL, err);
}

/* Drains a stream into a Parquet file; *rows gets the row count. */
static inline int tt_stream_to_parquet(struct ArrowArrayStream *st, const char *path, int64_t *rows, prestige_error_t *err) {
  struct ArrowSchema s;
  *rows = 0;
  if (st->get_schema(st, &s)) return prestige_error_set(err, PRESTIGE_EIO, "get_schema failed");
  prestige_parquet_writer_t *w;
  int rc = prestige_parquet_writer_open_file(&w, path, &s, NULL, err);
  while (!rc) {
    struct ArrowArray b;
    if (st->get_next(st, &b)) {
      rc = prestige_error_set(err, PRESTIGE_EIO, "get_next: %s", st->get_last_error(st));
      break;
    }
    if (!b.release) break;
    *rows += b.length;
    rc = prestige_parquet_writer_write(w, &b, err);
    b.release(&b);
  }
  if (rc) prestige_parquet_writer_abort(w);
  else rc = prestige_parquet_writer_close(w, NULL, err);
  s.release(&s);
  st->release(st);
  return rc;
}

/* Rows in a but not b plus rows in b but not a (multisets), by DuckDB; -1 on failure. cols: a
 * select list ("*" for all). where: NULL or a condition applied to a only. */
static inline long long tt_duck_diff(const char *a, const char *b, const char *cols, const char *where) {
  char sql[4096];
  snprintf(sql, sizeof sql,
           "WITH x AS (SELECT %s FROM read_parquet(['%s']) %s%s), y AS (SELECT %s FROM read_parquet(['%s'])) "
           "SELECT (SELECT count(*) FROM (SELECT * FROM x EXCEPT ALL SELECT * FROM y)) + "
           "(SELECT count(*) FROM (SELECT * FROM y EXCEPT ALL SELECT * FROM x)) AS d, (SELECT count(*) FROM x) AS nx, "
           "(SELECT count(*) FROM y) AS ny",
           cols, a, where ? "WHERE " : "", where ? where : "", cols, b);
  char *out = test_duckdb_json(sql);
  if (!out) return -1;
  json_t *j = json_loads(out, 0, NULL);
  long long d = -1;
  json_t *row = j ? json_array_get(j, 0) : NULL;
  json_t *dv = row ? json_object_get(row, "d") : NULL;
  if (dv) d = json_is_string(dv) ? atoll(json_string_value(dv)) : (long long)json_integer_value(dv);
  if (d != 0) fprintf(stderr, "duckdb diff: %s\n", out);
  json_decref(j);
  free(out);
  return d;
}

/* The same comparison queued, to run many in one DuckDB process (node starts slowly on a busy
 * machine): tt_duck_check runs the queue and checks every difference is 0. The files must stay
 * until then. */
typedef struct tt_dq {
  char *sql;
  char label[256];
} tt_dq_t;
static tt_dq_t tt_dq[512];
static int tt_ndq;

static inline void tt_duck_expect_same(const char *a, const char *b, const char *cols, const char *where, const char *label) {
  char sql[4096];
  snprintf(sql, sizeof sql,
           "WITH x AS (SELECT %s FROM read_parquet(['%s']) %s%s), y AS (SELECT %s FROM read_parquet(['%s'])) "
           "SELECT (SELECT count(*) FROM (SELECT * FROM x EXCEPT ALL SELECT * FROM y)) + "
           "(SELECT count(*) FROM (SELECT * FROM y EXCEPT ALL SELECT * FROM x)) AS d, (SELECT count(*) FROM x) AS nx, "
           "(SELECT count(*) FROM y) AS ny",
           cols, a, where ? "WHERE " : "", where ? where : "", cols, b);
  if (tt_ndq == (int)(sizeof tt_dq / sizeof tt_dq[0])) {
    CHECK_MSG(0, "too many queued DuckDB checks (%s)", label);
    return;
  }
  tt_dq[tt_ndq].sql = strdup(sql);
  snprintf(tt_dq[tt_ndq].label, sizeof tt_dq[tt_ndq].label, "%s", label);
  tt_ndq++;
}

static inline void tt_duck_check(void) {
  if (!tt_ndq) return;
  size_t len = 16;
  for (int i = 0; i < tt_ndq; i++) len += strlen(tt_dq[i].sql) + 1;
  char *all = malloc(len);
  strcpy(all, "-- each\n");
  for (int i = 0; i < tt_ndq; i++) {
    strcat(all, tt_dq[i].sql);
    strcat(all, "\n");
  }
  char *out = test_duckdb_json(all);
  json_t *j = out ? json_loads(out, 0, NULL) : NULL;
  CHECK_MSG(json_is_array(j) && (int)json_array_size(j) == tt_ndq, "DuckDB answered %s", out ? out : "nothing");
  for (int i = 0; i < tt_ndq; i++) {
    json_t *rows = json_array_get(j, (size_t)i);
    json_t *dv = json_object_get(json_array_get(rows, 0), "d");
    long long d = dv ? (json_is_string(dv) ? atoll(json_string_value(dv)) : (long long)json_integer_value(dv)) : -1;
    char *text = rows ? json_dumps(rows, JSON_COMPACT) : NULL;
    CHECK_MSG(d == 0, "%s: %s", tt_dq[i].label, text ? text : "no answer");
    free(text);
    free(tt_dq[i].sql);
  }
  json_decref(j);
  free(out);
  free(all);
  tt_ndq = 0;
}

/* ---- a table in a file catalog ---------------------------------------------------------------------- */
typedef struct tt_table {
  ice_io_t *io;
  file_catalog_t *cat;
  ice_ident_t ident;
  ice_loaded_table_t t;
  struct ArrowSchema arrow; /* the table's Arrow schema */
} tt_table_t;

/* schema_json: an Iceberg schema; spec_json / order_json may be NULL. */
static inline int tt_create(tt_table_t *x, const char *name, const char *schema_json, const char *spec_json, const char *order_json,
                     int version, const ice_strmap_t *props, prestige_error_t *err) {
  memset(x, 0, sizeof(*x));
  char root[600], wh[600];
  snprintf(root, sizeof root, "%s/catalog", test_tmpdir());
  snprintf(wh, sizeof wh, "file://%s/warehouse", test_tmpdir());
  PRESTIGE_TRY(ice_io_new(NULL, &x->io, err));
  x->cat = file_catalog_new(root, wh, x->io);
  ice_schema_t *s = NULL;
  ice_partition_spec_t *spec = NULL;
  ice_sort_order_t *order = NULL;
  int rc = ice_schema_from_json_text(schema_json, &s, err);
  if (!rc && spec_json) {
    json_t *j = json_loads(spec_json, 0, NULL);
    rc = ice_partition_spec_from_json(j, "spec", &spec, err);
    json_decref(j);
  }
  if (!rc && order_json) {
    json_t *j = json_loads(order_json, 0, NULL);
    rc = ice_sort_order_from_json(j, "order", &order, err);
    json_decref(j);
  }
  char ident[128];
  snprintf(ident, sizeof ident, "db.%s", name);
  if (!rc) rc = ice_ident_parse(ident, true, &x->ident, err);
  ice_create_request_t req = {s, spec, order, NULL, props, version, false};
  if (!rc) rc = x->cat->base.ops->table_create(&x->cat->base, &x->ident, &req, &x->t, err);
  if (!rc) rc = ice_schema_to_arrow(ice_metadata_current_schema(x->t.metadata), &x->arrow, err);
  ice_schema_free(s);
  ice_partition_spec_free(spec);
  ice_sort_order_free(order);
  return rc;
}

static inline int tt_reload(tt_table_t *x, prestige_error_t *err) {
  ice_loaded_table_release(&x->t);
  PRESTIGE_TRY(x->cat->base.ops->table_load(&x->cat->base, &x->ident, &x->t, err));
  prestige_schema_release(&x->arrow);
  return ice_schema_to_arrow(ice_metadata_current_schema(x->t.metadata), &x->arrow, err);
}

/* Appends batches (copied) in one commit; res may be NULL. */
static inline int tt_append(tt_table_t *x, const struct ArrowSchema *s, const struct ArrowArray *batches, size_t n,
                     const ice_append_options_t *o, ice_commit_result_t *res, prestige_error_t *err) {
  ice_append_t *a;
  PRESTIGE_TRY(ice_append_new(&a, &x->cat->base, &x->ident, x->io, &x->t, o, err));
  int rc = 0;
  for (size_t i = 0; i < n && !rc; i++) {
    struct ArrowArray c;
    rc = tt_copy(s, &batches[i], &c, err);
    if (!rc) rc = ice_append_write(a, s, &c, err);
  }
  ice_commit_result_t r;
  ice_loaded_table_t cur;
  if (!rc) rc = ice_append_commit(a, &r, &cur, err);
  ice_append_free(a);
  if (rc) return rc;
  ice_loaded_table_release(&x->t);
  x->t = cur;
  if (res) *res = r;
  else ice_commit_result_release(&r);
  return 0;
}

/* Scans into a Parquet file; *rows the row count; plan metrics to m (may be NULL). */
static inline int tt_scan(tt_table_t *x, const ice_scan_options_t *o, const char *path, int64_t *rows, ice_scan_metrics_t *m,
                   prestige_error_t *err) {
  ice_scan_plan_t *p;
  PRESTIGE_TRY(ice_scan_plan(x->io, x->t.metadata, "db.t", o, &p, err));
  if (m) *m = p->metrics;
  struct ArrowArrayStream st;
  PRESTIGE_TRY(ice_scan_stream(x->io, p, o, &st, err));
  return tt_stream_to_parquet(&st, path, rows, err);
}

static inline void tt_close(tt_table_t *x) {
  ice_loaded_table_release(&x->t);
  ice_ident_release(&x->ident);
  prestige_schema_release(&x->arrow);
  if (x->cat) fc_destroy(&x->cat->base);
  ice_io_free(x->io);
  memset(x, 0, sizeof(*x));
}

static char *tt_path(const char *name) {
  static char b[8][600];
  static int k;
  char *p = b[k++ % 8];
  snprintf(p, 600, "%s/%s", test_tmpdir(), name);
  return p;
}

#endif
