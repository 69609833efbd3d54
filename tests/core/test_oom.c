/* Allocation-failure injection (issue 14, SQLite's and curl's way): every scenario runs with the
 * Nth allocation failing, for N = 1, 2, 3, ... until it runs without reaching an Nth allocation.
 * Each failed run must end with a clean PRESTIGE_ENOMEM (or succeed, when the failure was
 * absorbed), no crash, and no leak (LeakSanitizer checks at exit; ASan catches use-after-free and
 * double frees on the failure paths).
 *
 * How allocations fail: this binary is linked with -Wl,--wrap=malloc,calloc,realloc,strdup,...
 * (Makefile: OOM_WRAP, for this test only), so every allocation made by the library's own code
 * (libprestige.a is linked statically into the test) goes through __wrap_* below, with no change
 * to src/ and no cost elsewhere. Allocations inside third-party libraries (curl, SQLite, zstd)
 * are not counted; jansson's are with OOM_JANSSON=1, through json_set_alloc_funcs (off by default: see setup). To fit about a minute on a loaded
 * 2-core machine, N runs densely over the first OOM_DENSE allocations (where the setup paths are),
 * then samples every k-th N, k set so that at most OOM_SAMPLED more runs are made; both shrink
 * when the clean run is slow (the runs are sized to fit the scenario's budget at its pace), and a
 * scenario stops after its budget in any case (its summary line says how far it got). The budget
 * is OOM_BUDGET_S, or less for the threaded scenarios when the test's OOM_TOTAL_S runs short.
 * OOM_FULL=1 in the environment runs every N with no time limit. A watchdog (alarm) fails a run
 * that hangs, naming the scenario and N. */
#include <jansson.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "avro/avro.h"
#include "core/arena.h"
#include "prestige/iceberg.h"
#include "prestige/iceberg_catalog.h"
#include "prestige/iceberg_poller.h"
#include "prestige/prestige.h"
#include "s3_test.h"
#include "test.h"

/* ---- the wrappers ------------------------------------------------------------------------------- */
void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t m);
void *__real_realloc(void *p, size_t n);
char *__real_strdup(const char *s);
char *__real_strndup(const char *s, size_t n);
int __real_posix_memalign(void **p, size_t a, size_t n);
void *__real_aligned_alloc(size_t a, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t m);
void *__wrap_realloc(void *p, size_t n);
char *__wrap_strdup(const char *s);
char *__wrap_strndup(const char *s, size_t n);
int __wrap_posix_memalign(void **p, size_t a, size_t n);
void *__wrap_aligned_alloc(size_t a, size_t n);

static atomic_long countdown; /* > 0: armed; the allocation that takes it to 0 fails */
static atomic_long counted;   /* allocations seen while counting */
static atomic_bool counting, injected;

void __sanitizer_print_stack_trace(void);
static bool trace_failures; /* OOM_TRACE=1: print where each injected failure happened */
static long trace_n;        /* the N of the run, for the trace */

static bool fail_now(void) {
  if (atomic_load_explicit(&counting, memory_order_relaxed)) atomic_fetch_add(&counted, 1);
  if (atomic_load_explicit(&countdown, memory_order_relaxed) <= 0) return false;
  if (atomic_fetch_sub(&countdown, 1) == 1) {
    atomic_store(&injected, true);
    if (trace_failures) {
      fprintf(stderr, "injected failure (N=%ld):\n", trace_n);
      __sanitizer_print_stack_trace();
    }
    return true;
  }
  return false;
}
void *__wrap_malloc(size_t n) { return fail_now() ? NULL : __real_malloc(n); }
void *__wrap_calloc(size_t n, size_t m) { return fail_now() ? NULL : __real_calloc(n, m); }
void *__wrap_realloc(void *p, size_t n) { return fail_now() ? NULL : __real_realloc(p, n); }
char *__wrap_strdup(const char *s) { return fail_now() ? NULL : __real_strdup(s); }
char *__wrap_strndup(const char *s, size_t n) { return fail_now() ? NULL : __real_strndup(s, n); }
int __wrap_posix_memalign(void **p, size_t a, size_t n) { return fail_now() ? 12 /* ENOMEM */ : __real_posix_memalign(p, a, n); }
void *__wrap_aligned_alloc(size_t a, size_t n) { return fail_now() ? NULL : __real_aligned_alloc(a, n); }
static void *json_malloc(size_t n) { return __wrap_malloc(n); }
static void json_free(void *p) { free(p); }

/* ---- the loop ------------------------------------------------------------------------------------- */
typedef int (*scenario_fn)(prestige_error_t *err);
#define OOM_DENSE 150
#define OOM_SAMPLED 150
#define OOM_BUDGET_S 12.0
/* The threaded scenarios (run_oom_shared) split what is left of OOM_TOTAL_S since the test began:
 * each gets at most OOM_BUDGET_S and at most an even share, so that the whole test stays about a
 * minute on a slow machine (clean runs come on top). The first scenarios keep OOM_BUDGET_S each.
 * OOM_SHARED: how many run_oom_shared calls TEST_MAIN makes. */
#define OOM_TOTAL_S 60.0
#define OOM_SHARED 8
static double test_t0;
static int shared_done;
static bool shared_budget;

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int64_t total_runs;

/* The watchdog: every run (clean or injected) is under alarm(), so a hang (a consumer waiting
 * forever for an item a failed thread never pushed) fails the test naming the scenario and N
 * instead of stalling CI until its timeout. OOM_WATCHDOG_S overrides the limit. */
static const char *volatile wd_name = "";
static volatile long wd_n;
static void watchdog_fired(int sig) {
  (void)sig;
  char m[256];
  int k = snprintf(m, sizeof m, "\nFAIL test_oom watchdog: scenario \"%s\" hung with allocation N=%ld failing (0: a clean run)\n",
                   wd_name, wd_n);
  if (k > 0) (void)!write(2, m, (size_t)k < sizeof m ? (size_t)k : sizeof m - 1);
  abort();
}
static unsigned wd_limit_s = 60;
static void watch(const char *name, long n) {
  wd_name = name;
  wd_n = n;
  alarm(wd_limit_s);
}

static void run_oom(const char *name, scenario_fn fn, void (*cleanup)(void)) {
  prestige_error_t err;
  /* a clean run first: it must pass, and says how many allocations there are */
  atomic_store(&counted, 0);
  atomic_store(&counting, true);
  prestige_error_init(&err);
  const char *wd = getenv("OOM_WATCHDOG_S");
  wd_limit_s = wd && atoi(wd) > 0 ? (unsigned)atoi(wd) : 60;
  watch(name, 0);
  double tc = now_s();
  int rc = fn(&err);
  tc = now_s() - tc;
  alarm(0);
  atomic_store(&counting, false);
  if (cleanup) cleanup();
  CHECK_MSG(rc == 0, "%s: the run without failures failed: %s", name, err.message);
  if (rc) return;
  long total = atomic_load(&counted);
  /* OOM_ONLY=text: inject only into the scenarios whose name holds text (the others still make
   * their clean run: the reader reads the writer's file); OOM_FROM=N: start at N */
  const char *only = getenv("OOM_ONLY");
  if (only && !strstr(name, only)) return;
  /* a second clean run, warm: its time paces the budget below, and it must make as many
   * allocations (else "fail the Nth" would not mean the same allocation from run to run) */
  atomic_store(&counted, 0);
  atomic_store(&counting, true);
  prestige_error_init(&err);
  /* generous: a run with a failure may do less work than a clean one, never much more */
  if (!wd || atoi(wd) <= 0) wd_limit_s = 60 + (unsigned)(tc * 20);
  watch(name, 0);
  tc = now_s();
  rc = fn(&err);
  tc = now_s() - tc;
  alarm(0);
  atomic_store(&counting, false);
  if (cleanup) cleanup();
  CHECK_MSG(rc == 0, "%s: the second run without failures failed: %s", name, err.message);
  long total2 = atomic_load(&counted);
  CHECK_MSG(total2 >= total * 9 / 10 && total2 <= total * 11 / 10 + 10,
            "%s: the clean runs made %ld and %ld allocations: the scenario is not repeatable", name, total, total2);
  if (rc) return;
  bool full = getenv("OOM_FULL") != NULL;
  /* runs that fit the budget, at the clean run's pace: a third dense, the rest sampled */
  double budget = OOM_BUDGET_S;
  if (shared_budget) {
    double left = OOM_TOTAL_S - (now_s() - test_t0);
    int to_go = OOM_SHARED - shared_done > 1 ? OOM_SHARED - shared_done : 1;
    if (left / to_go < budget) budget = left / to_go;
    if (budget < 1.0) budget = 1.0;
  }
  long fit = tc > 0 ? (long)(budget / tc) : OOM_DENSE + OOM_SAMPLED;
  long dense = full ? total + 1 : fit / 3 < OOM_DENSE ? (fit / 3 > 20 ? fit / 3 : 20) : OOM_DENSE;
  long sampled = fit - dense < OOM_SAMPLED ? (fit - dense > 30 ? fit - dense : 30) : OOM_SAMPLED;
  long step = full || total <= dense ? 1 : (total - dense) / sampled + 1;
  long runs = 0, enomem = 0, absorbed = 0, last = 0;
  bool out_of_time = false;
  double t0 = now_s();
  long from = getenv("OOM_FROM") ? atol(getenv("OOM_FROM")) : 1;
  for (long n = from > 0 ? from : 1;; n += n < dense ? 1 : step) {
    if (!full && now_s() - t0 > budget) {
      out_of_time = true;
      break;
    }
    last = n;
    prestige_error_init(&err);
    atomic_store(&injected, false);
    trace_n = n;
    atomic_store(&countdown, n);
    watch(name, n);
    rc = fn(&err);
    alarm(0);
    atomic_store(&countdown, 0);
    bool hit = atomic_load(&injected);
    if (cleanup) cleanup();
    runs++;
    if (!hit) {
      CHECK_MSG(rc == 0, "%s: failed without an injected failure (N=%ld): %s %s", name, n, prestige_code_name(rc), err.message);
      break;
    }
    if (rc == 0) absorbed++;
    else if (rc == PRESTIGE_ENOMEM) enomem++;
    else
      CHECK_MSG(0, "%s: allocation %ld failed and the call returned %s, not ENOMEM: %s", name, n, prestige_code_name(rc),
                err.message);
    if (rc == PRESTIGE_ENOMEM) CHECK_MSG(err.message[0] != 0, "%s: N=%ld: ENOMEM without a message", name, n);
    if (n > total * 4 + 1000) {
      CHECK_MSG(0, "%s: still injecting at N=%ld (a clean run made %ld allocations)", name, n, total);
      break;
    }
  }
  total_runs += runs;
  printf("%-22s %6ld allocations, %4ld runs (N<%ld each, then step %ld%s%ld): %ld ENOMEM, %ld absorbed, %.1f s\n", name,
         total, runs, dense, step, out_of_time ? "; time budget spent at N=" : "; to N=", last, enomem, absorbed,
         now_s() - t0);
}

static void run_oom_shared(const char *name, scenario_fn fn) {
  shared_budget = true;
  run_oom(name, fn, NULL);
  shared_budget = false;
  shared_done++;
}

/* ---- scenarios ------------------------------------------------------------------------------------ */
static char dir[1024];
static char path_pq[1100];
static const char *csv_text = "id,name,score,ts\n1,alpha,1.5,2024-01-01T00:00:00Z\n2,beta,,2024-01-02T10:00:00Z\n"
                              "3,,3.25,2024-01-03T00:00:00Z\n4,delta,4.0,2024-02-01T00:00:00Z\n";

static int read_csv_batch(struct ArrowSchema *schema, struct ArrowArray *batch, prestige_error_t *err) {
  char p[1100];
  snprintf(p, sizeof p, "%s/in.csv", dir);
  prestige_text_options_t o = PRESTIGE_TEXT_OPTIONS_INIT;
  o.schema = "id:int64,name:string,score:double,ts:timestamp(us,UTC)";
  prestige_text_reader_t *r;
  PRESTIGE_TRY(prestige_text_reader_open(&r, p, &o, err));
  int rc = prestige_text_reader_next(r, batch, err);
  if (!rc) rc = prestige_schema_copy(schema, prestige_text_reader_schema(r), err);
  if (rc && batch->release) batch->release(batch);
  prestige_text_reader_close(r);
  return rc;
}

static int s_writer(prestige_error_t *err) {
  struct ArrowSchema schema = {0};
  struct ArrowArray batch = {0};
  PRESTIGE_TRY(read_csv_batch(&schema, &batch, err));
  prestige_parquet_writer_options_t o = PRESTIGE_PARQUET_WRITER_OPTIONS_INIT;
  o.compression = PRESTIGE_COMPRESSION_ZSTD;
  o.row_group_rows = 2;
  prestige_parquet_writer_t *w;
  int rc = prestige_parquet_writer_open_file(&w, path_pq, &schema, &o, err);
  for (int i = 0; !rc && i < 3; i++) rc = prestige_parquet_writer_write(w, &batch, err);
  if (rc && w) prestige_parquet_writer_abort(w);
  prestige_parquet_file_summary_t s;
  if (!rc) rc = prestige_parquet_writer_close(w, &s, err);
  if (!rc) prestige_parquet_file_summary_release(&s);
  batch.release(&batch);
  schema.release(&schema);
  return rc;
}

static int s_reader(prestige_error_t *err) {
  prestige_parquet_reader_options_t o = PRESTIGE_PARQUET_READER_OPTIONS_INIT;
  o.batch_rows = 3;
  prestige_predicate_t *p;
  PRESTIGE_TRY(prestige_predicate_parse("score > 1 OR name = 'beta'", &p, err));
  o.filter = p;
  const char *cols[] = {"id", "ts"};
  o.columns = cols;
  o.n_columns = 2;
  prestige_parquet_reader_t *r;
  int rc = prestige_parquet_reader_open_file(&r, path_pq, &o, err);
  struct ArrowArrayStream st = {0};
  if (!rc) rc = prestige_parquet_reader_stream(r, &st, err);
  int64_t rows = 0;
  while (!rc) {
    struct ArrowArray b;
    int e = st.get_next(&st, &b);
    if (e) {
      rc = prestige_error_set(err, e == 12 ? PRESTIGE_ENOMEM : PRESTIGE_EIO, "%s", st.get_last_error(&st));
      break;
    }
    if (!b.release) break;
    rows += b.length;
    b.release(&b);
  }
  if (st.release) st.release(&st);
  prestige_predicate_free(p);
  if (!rc && rows != 12) rc = prestige_error_set(err, PRESTIGE_EINTERNAL, "read %lld rows, expected 12", (long long)rows);
  return rc;
}

#define EV(F)             \
  F(id, I64)              \
  F(name, STRING)         \
  F(tags, LIST(STRING))   \
  F(score, OPTIONAL(F64)) \
  F(ts, TIMESTAMP(MILLI, "UTC"))
PRESTIGE_RECORD(ev, EV)

static int sink_runs;
static int s_sink(prestige_error_t *err) {
  char d[1100];
  snprintf(d, sizeof d, "%s/sink%d", dir, sink_runs++);
  prestige_sink_options_t o = PRESTIGE_SINK_OPTIONS_INIT;
  o.name = "ev";
  o.dir = d;
  o.batch_size = 3;
  o.max_rows = 4;
  prestige_sink_t *s;
  PRESTIGE_TRY(prestige_sink_open(&s, &o, ev_record(), NULL, err));
  prestige_sink_client_t *c = prestige_sink_client_new(s);
  int rc = c ? 0 : prestige_error_set(err, PRESTIGE_ENOMEM, "client: out of memory");
  prestige_str_t tags[2] = {PRESTIGE_STR("a"), PRESTIGE_STR("bb")};
  for (int i = 0; !rc && i < 7; i++) {
    ev_t e = {.id = i, .name = PRESTIGE_STR("n"), .tags = {tags, (size_t)(i % 3)}, .ts = 1700000000000 + i};
    e.score.present = i % 2;
    e.score.value = i;
    rc = prestige_sink_write(c, &e, err);
  }
  if (c) {
    prestige_error_t e2;
    int frc = prestige_sink_client_free(c, &e2);
    if (!rc && frc) {
      rc = frc;
      *err = e2;
    }
  }
  prestige_sink_manifest_t m;
  prestige_error_t e3;
  int crc = prestige_sink_close(s, &m, &e3); /* never started: commits inline */
  if (!crc) prestige_sink_manifest_release(&m);
  if (!rc && crc) {
    rc = crc;
    *err = e3;
  }
  return rc;
}

static int s_avro(prestige_error_t *err) {
  static const char *schema_json =
      "{\"type\":\"record\",\"name\":\"r\",\"fields\":[{\"name\":\"id\",\"type\":\"long\",\"field-id\":1},"
      "{\"name\":\"s\",\"type\":[\"null\",\"string\"],\"field-id\":2},"
      "{\"name\":\"xs\",\"type\":{\"type\":\"array\",\"items\":\"int\"},\"field-id\":3}]}";
  avro_schema_t *s;
  PRESTIGE_TRY(avro_schema_parse(&s, schema_json, strlen(schema_json), err));
  const avro_node_t *root = avro_schema_root(s);
  uint8_t *data = NULL;
  size_t len = 0;
  prestige_output_t out;
  int rc = prestige_output_open_memory(&out, &data, &len, err);
  avro_writer_t *w = NULL;
  avro_writer_options_t o = AVRO_WRITER_OPTIONS_INIT;
  o.codec = AVRO_CODEC_DEFLATE;
  if (!rc) rc = avro_writer_open(&w, s, out, &o, err);
  arena_t a = ARENA_INIT;
  for (int i = 0; !rc && i < 50; i++) {
    avro_datum_t rec;
    rc = avro_datum_record(&a, &rec, root);
    if (rc) {
      rc = prestige_error_set(err, rc, "avro datum: out of memory");
      break;
    }
    rec.v.items[0].v.i64 = i;
    rc = avro_writer_append(w, &rec, err);
    arena_reset(&a);
  }
  uint64_t size = 0;
  if (w) {
    if (!rc) rc = avro_writer_close(w, &size, err);
    else avro_writer_abort(w);
  }
  arena_release(&a);
  avro_reader_t *r = NULL;
  if (!rc) rc = avro_reader_open_memory(&r, data, len, "m.avro", NULL, err);
  int64_t n = 0;
  while (!rc) {
    const avro_datum_t *e;
    rc = avro_reader_next(r, &e, err);
    if (rc || !e) break;
    n++;
  }
  if (r) avro_reader_close(r);
  free(data);
  avro_schema_free(s);
  if (!rc && n != 50) rc = prestige_error_set(err, PRESTIGE_EINTERNAL, "avro: read %lld records, expected 50", (long long)n);
  return rc;
}

static test_s3_t s3srv;
static bool have_s3;
static int s_s3(prestige_error_t *err) {
  prestige_s3_config_t cfg = PRESTIGE_S3_CONFIG_INIT;
  cfg.endpoint = s3srv.endpoint;
  cfg.access_key = "S3RVER";
  cfg.secret_key = "S3RVER";
  cfg.region = "us-east-1";
  cfg.max_retries = 0;
  prestige_s3_client_t *c;
  PRESTIGE_TRY(prestige_s3_client_new(&c, &cfg, err));
  prestige_store_t *st;
  int rc = prestige_store_open_s3(&st, c, "oom", "p/", err);
  prestige_s3_client_free(c);
  if (rc) return rc;
  /* one key, overwritten by every run: the listing (and so the allocation count) stays the same */
  const char *key = "k.txt";
  static const char body[] = "hello, bucket";
  rc = prestige_store_put(st, key, body, sizeof body - 1, err);
  uint8_t *got = NULL;
  size_t got_len = 0;
  if (!rc) rc = prestige_store_get(st, key, &got, &got_len, err);
  if (!rc && (got_len != sizeof body - 1 || memcmp(got, body, got_len)))
    rc = prestige_error_set(err, PRESTIGE_EINTERNAL, "s3: read back other bytes");
  free(got);
  prestige_file_meta_t *metas = NULL;
  size_t n = 0;
  if (!rc) rc = prestige_list_files(st, "", INT64_MIN, INT64_MAX, &metas, &n, err);
  if (!rc) prestige_file_metas_free(metas, n);
  prestige_store_free(st);
  return rc;
}

/* One Iceberg table create, append and scan through the public API (include/prestige/iceberg.h;
 * SQLite catalog, local warehouse). The CSV's 4 rows go in (partitioned by day(ts): 3 data files);
 * a filtered scan must return the 3 rows with score > 1. */
static int ice_runs;
static int s_iceberg(prestige_error_t *err) {
  char uri[1200], wh[1200];
  snprintf(uri, sizeof uri, "sqlite:%s/cat.db", dir);
  snprintf(wh, sizeof wh, "file://%s/wh", dir);
  prestige_iceberg_catalog_options_t o = PRESTIGE_ICEBERG_CATALOG_OPTIONS_INIT;
  o.uri = uri;
  o.warehouse = wh;
  prestige_iceberg_catalog_t *cat;
  PRESTIGE_TRY(prestige_iceberg_catalog_open(&cat, &o, err));
  char ident[64];
  snprintf(ident, sizeof ident, "db.t%d", ice_runs++);
  prestige_iceberg_table_t *t = NULL;
  prestige_iceberg_create_options_t co = PRESTIGE_ICEBERG_CREATE_OPTIONS_INIT;
  co.partition = "day(ts)";
  struct ArrowSchema schema = {0};
  struct ArrowArray batch = {0};
  int rc = read_csv_batch(&schema, &batch, err);
  bool exists = false;
  if (!rc) rc = prestige_iceberg_namespace_exists(cat, "db", &exists, err);
  if (!rc && !exists) rc = prestige_iceberg_namespace_create(cat, "db", NULL, 0, err);
  if (!rc) rc = prestige_iceberg_table_create(cat, ident, &schema, &co, &t, err);
  char *json = NULL;
  if (!rc) rc = prestige_iceberg_table_describe(t, &json, err);
  free(json);
  prestige_iceberg_append_t *ap = NULL;
  if (!rc) rc = prestige_iceberg_append_new(&ap, t, NULL, err);
  if (!rc) rc = prestige_iceberg_append_write(ap, &batch, &schema, err); /* moves the batch in */
  prestige_iceberg_append_result_t res = {0};
  if (!rc) rc = prestige_iceberg_append_commit(ap, &res, err);
  if (!rc && res.added_records != 4)
    rc = prestige_error_set(err, PRESTIGE_EINTERNAL, "iceberg: appended %lld records, expected 4", (long long)res.added_records);
  if (res.data_files) prestige_iceberg_append_result_release(&res);
  prestige_iceberg_append_free(ap);
  prestige_iceberg_scan_options_t so = PRESTIGE_ICEBERG_SCAN_OPTIONS_INIT;
  so.where = "score > 1";
  so.batch_rows = 2;
  struct ArrowArrayStream st = {0};
  if (!rc) rc = prestige_iceberg_scan(t, &so, &st, NULL, err);
  int64_t rows = 0, id_sum = 0;
  while (!rc) {
    struct ArrowArray b;
    int e = st.get_next(&st, &b);
    if (e) {
      const char *m = st.get_last_error(&st);
      rc = prestige_error_set(err, e == 12 ? PRESTIGE_ENOMEM : PRESTIGE_EIO, "iceberg scan: %s", m ? m : "(no message)");
      break;
    }
    if (!b.release) break;
    rows += b.length;
    const int64_t *ids = b.children[0]->buffers[1];
    for (int64_t i = 0; i < b.length; i++) id_sum += ids[b.children[0]->offset + b.offset + i];
    b.release(&b);
  }
  if (st.release) st.release(&st);
  if (!rc && (rows != 3 || id_sum != 1 + 3 + 4))
    rc = prestige_error_set(err, PRESTIGE_EINTERNAL, "iceberg scan: %lld rows (id sum %lld), expected 3 (8)",
                            (long long)rows, (long long)id_sum);
  if (t) prestige_iceberg_table_free(t);
  if (batch.release) batch.release(&batch);
  if (schema.release) schema.release(&schema);
  prestige_iceberg_catalog_close(cat);
  return rc;
}

/* ---- threaded paths: every scenario below runs work on threads (pools, workers, producer and
 * consumer pairs), where a failed allocation on one thread must reach the caller as ENOMEM (or be
 * absorbed), never hang the other side, lose the error, or drop rows. Which allocation is "the
 * Nth" varies between runs with threads; the checks hold whichever thread it hits. */

static char path_pq3[1100];
/* The same file as s_writer's, encoded on 3 threads: it must be the same bytes. */
static int s_writer_threads(prestige_error_t *err) {
  struct ArrowSchema schema = {0};
  struct ArrowArray batch = {0};
  PRESTIGE_TRY(read_csv_batch(&schema, &batch, err));
  prestige_parquet_writer_options_t o = PRESTIGE_PARQUET_WRITER_OPTIONS_INIT;
  o.compression = PRESTIGE_COMPRESSION_ZSTD;
  o.row_group_rows = 2;
  o.threads = 3;
  prestige_parquet_writer_t *w;
  int rc = prestige_parquet_writer_open_file(&w, path_pq3, &schema, &o, err);
  for (int i = 0; !rc && i < 3; i++) rc = prestige_parquet_writer_write(w, &batch, err);
  if (rc && w) prestige_parquet_writer_abort(w);
  prestige_parquet_file_summary_t s;
  if (!rc) rc = prestige_parquet_writer_close(w, &s, err);
  if (!rc) prestige_parquet_file_summary_release(&s);
  batch.release(&batch);
  schema.release(&schema);
  if (rc) return rc;
  /* byte for byte against the single-threaded file (stdio allocates inside libc, unwrapped) */
  FILE *a = fopen(path_pq, "rb"), *b = fopen(path_pq3, "rb");
  bool same = a && b;
  while (same) {
    int ca = fgetc(a), cb = fgetc(b);
    if (ca != cb) same = false;
    if (ca == EOF) break;
  }
  if (a) fclose(a);
  if (b) fclose(b);
  return same ? 0 : prestige_error_set(err, PRESTIGE_EINTERNAL, "writer threads: %s differs from %s", path_pq3, path_pq);
}

/* Drains a stream: rows and the sum of the first column (int64) times the row's position, so
 * that rows out of order show. */
static int drain_stream(struct ArrowArrayStream *st, const char *what, int64_t *rows, int64_t *weighted, prestige_error_t *err) {
  int rc = 0;
  *rows = *weighted = 0;
  while (!rc) {
    struct ArrowArray b;
    int e = st->get_next(st, &b);
    if (e) {
      const char *m = st->get_last_error(st);
      rc = prestige_error_set(err, e == 12 ? PRESTIGE_ENOMEM : PRESTIGE_EIO, "%s: %s", what, m ? m : "(no message)");
      break;
    }
    if (!b.release) break;
    const struct ArrowArray *c = b.children[0];
    const int64_t *v = c->buffers[1];
    for (int64_t i = 0; i < b.length; i++) *weighted += (*rows + i + 1) * v[c->offset + b.offset + i];
    *rows += b.length;
    b.release(&b);
  }
  if (st->release) st->release(st);
  return rc;
}

/* 12 rows, ids 1..4 three times, in 6 row groups: every column decoded on a pool of 3. */
static int s_reader_threads(prestige_error_t *err) {
  prestige_parquet_reader_options_t o = PRESTIGE_PARQUET_READER_OPTIONS_INIT;
  o.batch_rows = 5;
  o.threads = 3;
  prestige_parquet_reader_t *r;
  PRESTIGE_TRY(prestige_parquet_reader_open_file(&r, path_pq, &o, err));
  struct ArrowArrayStream st = {0};
  int rc = prestige_parquet_reader_stream(r, &st, err);
  if (rc) return rc;
  int64_t rows, w;
  PRESTIGE_TRY(drain_stream(&st, "reader threads", &rows, &w, err));
  int64_t want = 0;
  for (int64_t i = 0; i < 12; i++) want += (i + 1) * (i % 4 + 1);
  if (rows != 12 || w != want)
    return prestige_error_set(err, PRESTIGE_EINTERNAL, "reader threads: %lld rows (weighted %lld), expected 12 (%lld)",
                              (long long)rows, (long long)w, (long long)want);
  return 0;
}

/* Three files (the writer's, twice, and the threaded writer's) as one stream, 2 decoding threads
 * per file: ordered, the rows in file order; unordered (with skip_errors), the same rows. */
static int source_run(bool unordered, prestige_error_t *err) {
  const char *paths[3] = {path_pq, path_pq3, path_pq};
  prestige_source_options_t o = PRESTIGE_SOURCE_OPTIONS_INIT;
  o.batch_rows = 5;
  o.threads = 2;
  o.unordered = unordered;
  o.skip_errors = unordered; /* a file that runs out of memory must not be skipped as a bad one */
  o.read_ahead = 2;
  o.concurrency = 3;
  struct ArrowArrayStream st;
  PRESTIGE_TRY(prestige_source(&st, paths, 3, &o, err));
  int64_t rows, w;
  PRESTIGE_TRY(drain_stream(&st, unordered ? "source unordered" : "source ordered", &rows, &w, err));
  int64_t want = 0;
  for (int64_t i = 0; i < 36; i++) want += (i + 1) * (i % 4 + 1);
  if (rows != 36 || (!unordered && w != want))
    return prestige_error_set(err, PRESTIGE_EINTERNAL, "source: %lld rows (weighted %lld), expected 36 (%lld)", (long long)rows,
                              (long long)w, (long long)want);
  return 0;
}
static int s_source_ordered(prestige_error_t *err) { return source_run(false, err); }
static int s_source_unordered(prestige_error_t *err) { return source_run(true, err); }

/* A started ParquetSink (its thread, the finisher of rotated files, the uploader's workers)
 * rotating every 4 rows with 2 encoding threads, a commit in the middle and the final one on
 * close: every record in the manifests' files. */
static int sink_threads_runs;
static int s_sink_threads(prestige_error_t *err) {
  char d[1100], up_dir[1100];
  snprintf(d, sizeof d, "%s/tsink%d", dir, sink_threads_runs);
  snprintf(up_dir, sizeof up_dir, "%s/tsink_up%d", dir, sink_threads_runs++);
  prestige_store_t *store = NULL;
  PRESTIGE_TRY(prestige_store_open_local(&store, up_dir, err));
  prestige_upload_options_t uo = PRESTIGE_UPLOAD_OPTIONS_INIT;
  prestige_file_upload_t *up = NULL;
  int rc = prestige_file_upload_new(&up, store, &uo, err);
  prestige_sink_options_t o = PRESTIGE_SINK_OPTIONS_INIT;
  o.name = "ev";
  o.dir = d;
  o.batch_size = 3;
  o.max_rows = 4;
  o.upload = up;
  o.writer.threads = 2;
  prestige_sink_t *s = NULL;
  if (!rc) rc = prestige_sink_open(&s, &o, ev_record(), NULL, err);
  if (!rc) rc = prestige_sink_start(s, err);
  prestige_sink_client_t *c = NULL;
  if (!rc && !(c = prestige_sink_client_new(s))) rc = prestige_error_set(err, PRESTIGE_ENOMEM, "client: out of memory");
  prestige_str_t tags[2] = {PRESTIGE_STR("a"), PRESTIGE_STR("bb")};
  int64_t rows = 0;
  for (int i = 0; !rc && i < 11; i++) {
    ev_t e = {.id = i, .name = PRESTIGE_STR("n"), .tags = {tags, (size_t)(i % 3)}, .ts = 1700000000000 + i};
    e.score.present = i % 2;
    e.score.value = i;
    rc = prestige_sink_write(c, &e, err);
    if (!rc && i == 5) {
      prestige_sink_manifest_t m;
      rc = prestige_sink_commit(c, &m, err);
      if (!rc) {
        rows += m.rows;
        prestige_sink_manifest_release(&m);
      }
    }
  }
  if (c) {
    prestige_error_t e2;
    int frc = prestige_sink_client_free(c, &e2);
    if (!rc && frc) {
      rc = frc;
      *err = e2;
    }
  }
  if (s) {
    prestige_sink_manifest_t m;
    prestige_error_t e3;
    int crc = prestige_sink_close(s, &m, &e3);
    if (!crc) {
      rows += m.rows;
      prestige_sink_manifest_release(&m);
    }
    if (!rc && crc) {
      rc = crc;
      *err = e3;
    }
  }
  if (up) prestige_file_upload_free(up);
  prestige_store_free(store);
  if (!rc && rows != 11) rc = prestige_error_set(err, PRESTIGE_EINTERNAL, "sink threads: manifests hold %lld rows, expected 11", (long long)rows);
  return rc;
}

static int open_catalog(prestige_iceberg_catalog_t **cat, prestige_error_t *err) {
  char uri[1200], wh[1200];
  snprintf(uri, sizeof uri, "sqlite:%s/cat.db", dir);
  snprintf(wh, sizeof wh, "file://%s/wh", dir);
  prestige_iceberg_catalog_options_t o = PRESTIGE_ICEBERG_CATALOG_OPTIONS_INIT;
  o.uri = uri;
  o.warehouse = wh;
  PRESTIGE_TRY(prestige_iceberg_catalog_open(cat, &o, err));
  bool exists = false;
  int rc = prestige_iceberg_namespace_exists(*cat, "db", &exists, err);
  if (!rc && !exists) rc = prestige_iceberg_namespace_create(*cat, "db", NULL, 0, err);
  if (rc) prestige_iceberg_catalog_close(*cat);
  return rc;
}

/* An IcebergSink taking Arrow batches: every 4 rows a commit (pipelined, 2 in flight), files
 * encoded on 2 threads, a client commit, then close: 12 rows in the results. */
static int isink_runs;
static int s_iceberg_sink(prestige_error_t *err) {
  prestige_iceberg_catalog_t *cat;
  PRESTIGE_TRY(open_catalog(&cat, err));
  char ident[64];
  snprintf(ident, sizeof ident, "db.sink%d", isink_runs++);
  struct ArrowSchema schema = {0};
  struct ArrowArray batch = {0};
  int rc = read_csv_batch(&schema, &batch, err);
  if (batch.release) batch.release(&batch);
  prestige_iceberg_sink_options_t o = PRESTIGE_ICEBERG_SINK_OPTIONS_INIT;
  o.table = ident;
  o.max_rows = 4;
  o.max_pending_commits = 2;
  o.writer_threads = 2;
  prestige_iceberg_sink_t *s = NULL;
  if (!rc) rc = prestige_iceberg_sink_open(&s, cat, &o, NULL, &schema, err);
  prestige_iceberg_sink_client_t *c = NULL;
  if (!rc && !(c = prestige_iceberg_sink_client_new(s))) rc = prestige_error_set(err, PRESTIGE_ENOMEM, "client: out of memory");
  int64_t rows = 0;
  for (int i = 0; !rc && i < 3; i++) {
    struct ArrowSchema sc = {0};
    rc = read_csv_batch(&sc, &batch, err);
    if (sc.release) sc.release(&sc);
    if (!rc) rc = prestige_iceberg_sink_write_batch(c, &batch, err); /* moved */
    if (!rc && i == 1) {
      prestige_iceberg_sink_commit_result_t r;
      rc = prestige_iceberg_sink_commit(c, &r, err);
      if (!rc) {
        rows += r.rows;
        prestige_iceberg_sink_commit_result_release(&r);
      }
    }
  }
  if (c) {
    prestige_error_t e2;
    int frc = prestige_iceberg_sink_client_free(c, &e2);
    if (!rc && frc) {
      rc = frc;
      *err = e2;
    }
  }
  if (s) {
    prestige_iceberg_sink_commit_result_t r;
    prestige_error_t e3;
    int crc = prestige_iceberg_sink_close(s, &r, &e3);
    if (!crc) {
      rows += r.rows;
      prestige_iceberg_sink_commit_result_release(&r);
    }
    if (!rc && crc) {
      rc = crc;
      *err = e3;
    }
  }
  if (schema.release) schema.release(&schema);
  prestige_iceberg_catalog_close(cat);
  if (!rc && rows != 12) rc = prestige_error_set(err, PRESTIGE_EINTERNAL, "iceberg sink: results hold %lld rows, expected 12", (long long)rows);
  return rc;
}

/* Compaction and a threaded scan: a table sorted by id gets three appends (three sorted files,
 * written on 2 threads), is compacted (files read on threads, the sorted runs merged while a
 * thread writes), then scanned with 3 files in flight and 2 decoding threads each. */
static int compact_runs;
static int scan_table(prestige_iceberg_table_t *t, int64_t want_rows, prestige_error_t *err) {
  prestige_iceberg_scan_options_t so = PRESTIGE_ICEBERG_SCAN_OPTIONS_INIT;
  so.batch_rows = 3;
  so.files_in_flight = 3;
  so.threads = 2;
  struct ArrowArrayStream st = {0};
  PRESTIGE_TRY(prestige_iceberg_scan(t, &so, &st, NULL, err));
  int64_t rows, w;
  PRESTIGE_TRY(drain_stream(&st, "iceberg scan", &rows, &w, err));
  if (rows != want_rows)
    return prestige_error_set(err, PRESTIGE_EINTERNAL, "iceberg scan: %lld rows, expected %lld", (long long)rows, (long long)want_rows);
  return 0;
}
static int s_compact(prestige_error_t *err) {
  prestige_iceberg_catalog_t *cat;
  PRESTIGE_TRY(open_catalog(&cat, err));
  char ident[64];
  snprintf(ident, sizeof ident, "db.c%d", compact_runs++);
  struct ArrowSchema schema = {0};
  struct ArrowArray batch = {0};
  int rc = read_csv_batch(&schema, &batch, err);
  if (batch.release) batch.release(&batch);
  prestige_iceberg_create_options_t co = PRESTIGE_ICEBERG_CREATE_OPTIONS_INIT;
  co.sort = "id";
  prestige_iceberg_table_t *t = NULL;
  if (!rc) rc = prestige_iceberg_table_create(cat, ident, &schema, &co, &t, err);
  prestige_iceberg_append_options_t ao = PRESTIGE_ICEBERG_APPEND_OPTIONS_INIT;
  ao.threads = 2;
  for (int i = 0; !rc && i < 3; i++) {
    struct ArrowSchema sc = {0};
    rc = read_csv_batch(&sc, &batch, err);
    prestige_iceberg_append_t *ap = NULL;
    if (!rc) rc = prestige_iceberg_append_new(&ap, t, &ao, err);
    if (!rc) rc = prestige_iceberg_append_write(ap, &batch, &sc, err); /* moves the batch in */
    prestige_iceberg_append_result_t res = {0};
    if (!rc) rc = prestige_iceberg_append_commit(ap, &res, err);
    if (res.data_files) prestige_iceberg_append_result_release(&res);
    prestige_iceberg_append_free(ap);
    if (batch.release) batch.release(&batch);
    if (sc.release) sc.release(&sc);
  }
  if (!rc) rc = scan_table(t, 12, err);
  prestige_iceberg_compact_options_t o = PRESTIGE_ICEBERG_COMPACT_OPTIONS_INIT;
  o.min_files = 2;
  prestige_iceberg_compact_result_t cr;
  if (!rc) rc = prestige_iceberg_compact(t, &o, &cr, err);
  if (!rc && (cr.files_read != 3 || cr.rows_written != 12))
    rc = prestige_error_set(err, PRESTIGE_EINTERNAL, "compaction: read %lld files, wrote %lld rows, expected 3 and 12",
                            (long long)cr.files_read, (long long)cr.rows_written);
  if (!rc) {
    prestige_iceberg_table_t *h = NULL;
    rc = prestige_iceberg_table_load(cat, ident, &h, err);
    if (!rc) rc = scan_table(h, 12, err);
    if (h) prestige_iceberg_table_free(h);
  }
  if (t) prestige_iceberg_table_free(t);
  if (schema.release) schema.release(&schema);
  prestige_iceberg_catalog_close(cat);
  return rc;
}

/* The IcebergPoller: its producer thread plans each new snapshot into the channel while next()
 * hands out each append's rows as a stream read by scan threads. A table partitioned by day(ts)
 * gets two appends (three files each); the poller must deliver both, 4 rows each, in order (a
 * failure on the producer reaches next() as its error). */
static int poller_runs;
static int s_iceberg_poller(prestige_error_t *err) {
  prestige_iceberg_catalog_t *cat;
  PRESTIGE_TRY(open_catalog(&cat, err));
  char ident[64];
  snprintf(ident, sizeof ident, "db.p%d", poller_runs++);
  struct ArrowSchema schema = {0};
  struct ArrowArray batch = {0};
  int rc = read_csv_batch(&schema, &batch, err);
  if (batch.release) batch.release(&batch);
  prestige_iceberg_create_options_t co = PRESTIGE_ICEBERG_CREATE_OPTIONS_INIT;
  co.partition = "day(ts)";
  prestige_iceberg_table_t *t = NULL;
  if (!rc) rc = prestige_iceberg_table_create(cat, ident, &schema, &co, &t, err);
  int64_t sids[2] = {-1, -1};
  for (int i = 0; !rc && i < 2; i++) {
    struct ArrowSchema sc = {0};
    rc = read_csv_batch(&sc, &batch, err);
    prestige_iceberg_append_t *ap = NULL;
    if (!rc) rc = prestige_iceberg_append_new(&ap, t, NULL, err);
    if (!rc) rc = prestige_iceberg_append_write(ap, &batch, &sc, err); /* moves the batch in */
    prestige_iceberg_append_result_t res = {0};
    if (!rc) rc = prestige_iceberg_append_commit(ap, &res, err);
    if (!rc) sids[i] = res.snapshot_id;
    if (res.data_files) prestige_iceberg_append_result_release(&res);
    prestige_iceberg_append_free(ap);
    if (batch.release) batch.release(&batch);
    if (sc.release) sc.release(&sc);
  }
  prestige_iceberg_poller_options_t o = PRESTIGE_ICEBERG_POLLER_OPTIONS_INIT;
  o.table = ident;
  o.consumer = "oom";
  o.poll_interval_ms = 1000; /* one cycle plans both; a failed one is next()'s error */
  o.files_in_flight = 3;
  prestige_iceberg_poller_t *p = NULL;
  if (!rc) rc = prestige_iceberg_poller_open(&p, cat, &o, err);
  for (int i = 0; !rc && i < 2; i++) {
    prestige_iceberg_poll_event_t ev;
    rc = prestige_iceberg_poller_next(p, &ev, -1, err);
    if (rc) break;
    int64_t rows = 0, w = 0;
    if (ev.rows.release) rc = drain_stream(&ev.rows, "iceberg poller", &rows, &w, err);
    if (!rc && (ev.kind != PRESTIGE_ICEBERG_EVENT_APPEND || ev.snapshot_id != sids[i] || rows != 4))
      rc = prestige_error_set(err, PRESTIGE_EINTERNAL, "iceberg poller: event %d: kind %d, snapshot %lld (expected %lld), %lld rows",
                              i, (int)ev.kind, (long long)ev.snapshot_id, (long long)sids[i], (long long)rows);
    if (!rc) rc = prestige_iceberg_poller_ack(p, ev.snapshot_id, err);
  }
  prestige_iceberg_poller_close(p);
  if (t) prestige_iceberg_table_free(t);
  if (schema.release) schema.release(&schema);
  prestige_iceberg_catalog_close(cat);
  return rc;
}

static void setup(void) {
  snprintf(dir, sizeof dir, "%s", test_tmpdir());
  snprintf(path_pq, sizeof path_pq, "%s/t.parquet", dir);
  snprintf(path_pq3, sizeof path_pq3, "%s/t3.parquet", dir);
  char p[1100];
  snprintf(p, sizeof p, "%s/in.csv", dir);
  FILE *f = fopen(p, "w");
  fputs(csv_text, f);
  fclose(f);
  /* jansson 2.14's parser frees a bad pointer on one of its own out-of-memory paths (seen under
   * OOM_FULL: an ASan bad-free inside json_loads); the sampled N of a suite run would hit it at
   * random, so jansson's allocations fail only on request. */
  if (getenv("OOM_JANSSON")) json_set_alloc_funcs(json_malloc, json_free);
  trace_failures = getenv("OOM_TRACE") != NULL;
  signal(SIGALRM, watchdog_fired);
  test_t0 = now_s();
}

TEST(writer) { run_oom("parquet writer", s_writer, NULL); }
TEST(reader) { run_oom("parquet reader", s_reader, NULL); }
TEST(sink) { run_oom("sink", s_sink, NULL); }
TEST(avro) { run_oom("avro codec", s_avro, NULL); }
TEST(s3) {
  if (test_s3rver_start(&s3srv, "oom") != 0) {
    CHECK_MSG(0, "cannot start s3rver");
    return;
  }
  have_s3 = true;
  run_oom("s3 client", s_s3, NULL);
  test_s3rver_stop(&s3srv);
}
TEST(iceberg) { run_oom("iceberg append+scan", s_iceberg, NULL); }

TEST(writer_threads) { run_oom_shared("writer threads", s_writer_threads); }
TEST(reader_threads) { run_oom_shared("reader threads", s_reader_threads); }
TEST(source_ordered) { run_oom_shared("source ordered", s_source_ordered); }
TEST(source_unordered) { run_oom_shared("source unordered", s_source_unordered); }
TEST(sink_threads) { run_oom_shared("sink threads", s_sink_threads); }
TEST(iceberg_sink) { run_oom_shared("iceberg sink", s_iceberg_sink); }
TEST(compact) { run_oom_shared("compaction+scan", s_compact); }
TEST(iceberg_poller) { run_oom_shared("iceberg poller", s_iceberg_poller); }

TEST_MAIN(setup(); RUN(writer); RUN(reader); RUN(sink); RUN(avro); RUN(s3); RUN(iceberg); RUN(writer_threads);
          RUN(reader_threads); RUN(source_ordered); RUN(source_unordered); RUN(sink_threads); RUN(iceberg_sink); RUN(compact); RUN(iceberg_poller);
          printf("%lld runs in all\n", (long long)total_runs);)
