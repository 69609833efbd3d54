/* File source: ordered output equals the files' contents in order, unordered the same multiset,
 * locally and on s3rver; projection on S3 fetches only the needed byte ranges (counted at the
 * proxy), and an object of up to 1 MiB with one GET; failing files are named, or skipped and
 * reported. */
#include <jansson.h>
#include <unistd.h>

#include "prestige/source.h"
#include "prestige/store.h"
#include "prestige/records.h"
#include "s3_test.h"
#include "source/source_internal.h"
#include "test.h"

#define ROW(F)           \
  F(id, I64)             \
  F(payload, STRING)     \
  F(small, I32)
PRESTIGE_RECORD(row, ROW)

enum { NFILES = 5, ROWS = 30000 };
static char paths[NFILES][1024];
static uint64_t sizes[NFILES];

static void make_files(void) {
  prestige_error_t err;
  row_t *rows = calloc(ROWS, sizeof *rows);
  static char payload[200];
  memset(payload, 'p', sizeof payload - 1);
  prestige_parquet_writer_options_t o;
  prestige_parquet_writer_options_init(&o);
  o.row_group_rows = 10000;
  o.compression = PRESTIGE_COMPRESSION_UNCOMPRESSED;
  o.dictionary = false;
  for (int f = 0; f < NFILES; f++) {
    for (int i = 0; i < ROWS; i++) {
      int64_t id = (int64_t)f * ROWS + i;
      rows[i] = (row_t){.id = id, .payload = {payload, 100 + (size_t)(id % 90)}, .small = (int32_t)(id % 1000)};
    }
    snprintf(paths[f], sizeof paths[f], "%s/ev.%d.parquet", test_tmpdir(), 1700000000 + f);
    CHECK_OK(prestige_record_write_file(row_record(), paths[f], rows, ROWS, &o, &err));
    FILE *fp = fopen(paths[f], "rb");
    fseek(fp, 0, SEEK_END);
    sizes[f] = (uint64_t)ftell(fp);
    fclose(fp);
  }
  free(rows);
}

typedef struct summary {
  int64_t rows, sum, batches;
  bool ordered;
  int64_t last;
  int cols;
} summary_t;

static int drain(struct ArrowArrayStream *st, summary_t *s) {
  memset(s, 0, sizeof *s);
  s->ordered = true;
  s->last = -1;
  struct ArrowSchema sc;
  if (st->get_schema(st, &sc)) return -1;
  s->cols = (int)sc.n_children;
  int id_col = -1;
  for (int64_t i = 0; i < sc.n_children; i++)
    if (!strcmp(sc.children[i]->name, "id") || (id_col < 0 && !strcmp(sc.children[i]->name, "small"))) id_col = (int)i;
  bool is_id = id_col >= 0 && !strcmp(sc.children[id_col]->name, "id");
  sc.release(&sc);
  for (;;) {
    struct ArrowArray b;
    int rc = st->get_next(st, &b);
    if (rc) return rc;
    if (!b.release) break;
    s->batches++;
    const struct ArrowArray *c = b.children[id_col];
    for (int64_t i = 0; i < b.length; i++) {
      int64_t v = is_id ? ((const int64_t *)c->buffers[1])[b.offset + c->offset + i]
                        : ((const int32_t *)c->buffers[1])[b.offset + c->offset + i];
      s->sum += v;
      if (is_id && v != s->last + 1) s->ordered = false;
      s->last = v;
    }
    s->rows += b.length;
    b.release(&b);
  }
  return 0;
}

static const int64_t TOTAL = (int64_t)NFILES * ROWS;
static const int64_t ID_SUM = (int64_t)NFILES * ROWS * (NFILES * ROWS - 1) / 2;

TEST(local_ordered_and_unordered) {
  prestige_error_t err;
  const char *p[NFILES];
  for (int i = 0; i < NFILES; i++) p[i] = paths[i];
  struct ArrowArrayStream st;
  summary_t s;
  for (int ra = 1; ra <= 3; ra++) {
    prestige_source_options_t o;
    prestige_source_options_init(&o);
    o.read_ahead = ra;
    o.batch_rows = 4096;
    CHECK_OK(prestige_source(&st, p, NFILES, &o, &err));
    CHECK_EQ_INT(drain(&st, &s), 0);
    st.release(&st);
    CHECK_EQ_INT(s.rows, TOTAL);
    CHECK_EQ_INT(s.sum, ID_SUM);
    CHECK(s.ordered); /* every id follows the previous one: file after file, row after row */
    CHECK(s.batches >= TOTAL / 4096);
  }
  prestige_source_options_t o;
  prestige_source_options_init(&o);
  o.unordered = true;
  o.concurrency = 3;
  CHECK_OK(prestige_source(&st, p, NFILES, &o, &err));
  CHECK_EQ_INT(drain(&st, &s), 0);
  st.release(&st);
  CHECK_EQ_INT(s.rows, TOTAL);
  CHECK_EQ_INT(s.sum, ID_SUM);
  /* an empty list: an empty stream */
  CHECK_OK(prestige_source(&st, p, 0, NULL, &err));
  CHECK_EQ_INT(drain(&st, &s), 0);
  CHECK_EQ_INT(s.rows, 0);
  st.release(&st);
  /* released early: no leak, no hang */
  CHECK_OK(prestige_source(&st, p, NFILES, NULL, &err));
  struct ArrowArray b;
  CHECK_EQ_INT(st.get_next(&st, &b), 0);
  b.release(&b);
  st.release(&st);
}

/* Files of one row group each: a reader's own pool never gets a block back before its file ends,
 * so only a pool shared by every reader of the source lets file N+1 reuse file N's buffers. */
TEST(files_share_one_buffer_pool) {
  prestige_error_t err;
  enum { NF = 4, N = 20000 };
  static char one[NF][1024];
  const char *p[NF];
  row_t *rows = calloc(N, sizeof *rows);
  static char payload[200];
  memset(payload, 'q', sizeof payload - 1);
  prestige_parquet_writer_options_t wo;
  prestige_parquet_writer_options_init(&wo);
  wo.row_group_rows = N; /* one row group per file */
  wo.compression = PRESTIGE_COMPRESSION_UNCOMPRESSED;
  wo.dictionary = false;
  for (int f = 0; f < NF; f++) {
    for (int i = 0; i < N; i++) {
      int64_t id = (int64_t)f * N + i;
      rows[i] = (row_t){.id = id, .payload = {payload, 100 + (size_t)(id % 90)}, .small = (int32_t)(id % 1000)};
    }
    snprintf(one[f], sizeof one[f], "%s/one.%d.parquet", test_tmpdir(), f);
    CHECK_OK(prestige_record_write_file(row_record(), one[f], rows, N, &wo, &err));
    p[f] = one[f];
  }
  free(rows);
  prestige_source_options_t o;
  prestige_source_options_init(&o);
  o.read_ahead = 1; /* file N+1 opens once file N's batches are all released */
  struct ArrowArrayStream st;
  summary_t s;
  CHECK_OK(prestige_source(&st, p, NF, &o, &err));
  CHECK_EQ_INT(drain(&st, &s), 0);
  CHECK_EQ_INT(s.rows, (int64_t)NF * N);
  CHECK(s.ordered);
  /* each later file decodes its three columns (each over 64 KiB) into blocks of the one before */
  size_t reused = source_bufpool_reused(&st);
  CHECK(reused >= (size_t)(NF - 1) * 3);
  st.release(&st);
  CHECK_EQ_INT(source_bufpool_reused(&st), 0); /* released: not a source any more */
}

static int reported;
static char reported_file[1024];
static void on_error(void *ud, const char *file, const prestige_error_t *e) {
  (void)ud;
  (void)e;
  reported++;
  snprintf(reported_file, sizeof reported_file, "%s", file);
}

TEST(failing_files) {
  prestige_error_t err;
  char missing[1100], corrupt[1100], other[1100];
  snprintf(missing, sizeof missing, "%s/missing.parquet", test_tmpdir());
  snprintf(corrupt, sizeof corrupt, "%s/corrupt.parquet", test_tmpdir());
  snprintf(other, sizeof other, "%s/other-schema.parquet", test_tmpdir());
  FILE *f = fopen(corrupt, "wb");
  fputs("PAR1 this is not a parquet file PAR1", f);
  fclose(f);
  prestige_parquet_writer_options_t wo;
  prestige_parquet_writer_options_init(&wo);
  /* a file with another schema: the first 3 columns of a different record */
  {
    struct ArrowSchema sc;
    CHECK_OK(prestige_schema_init(&sc, "+s", NULL, 0, &err));
    CHECK_OK(prestige_schema_allocate_children(&sc, 1, &err));
    CHECK_OK(prestige_schema_init(sc.children[0], "u", "name", ARROW_FLAG_NULLABLE, &err));
    prestige_parquet_writer_t *w;
    CHECK_OK(prestige_parquet_writer_open_file(&w, other, &sc, &wo, &err));
    CHECK_OK(prestige_parquet_writer_close(w, NULL, &err));
    sc.release(&sc);
  }
  struct ArrowArrayStream st;
  summary_t s;
  const char *bad[3] = {paths[0], missing, paths[1]};
  CHECK_OK(prestige_source(&st, bad, 3, NULL, &err));
  int rc = drain(&st, &s);
  CHECK(rc != 0);
  CHECK(strstr(st.get_last_error(&st), "missing.parquet") != NULL);
  st.release(&st);
  const char *bad2[2] = {paths[0], corrupt};
  CHECK_OK(prestige_source(&st, bad2, 2, NULL, &err));
  CHECK(drain(&st, &s) != 0);
  CHECK(strstr(st.get_last_error(&st), "corrupt.parquet") != NULL);
  st.release(&st);
  const char *bad3[2] = {paths[0], other};
  CHECK_OK(prestige_source(&st, bad3, 2, NULL, &err));
  CHECK(drain(&st, &s) != 0);
  CHECK(strstr(st.get_last_error(&st), "schema differs") != NULL);
  st.release(&st);
  /* the first file missing: the open fails naming it */
  const char *bad4[1] = {missing};
  CHECK_ERR(prestige_source(&st, bad4, 1, NULL, &err), PRESTIGE_ENOTFOUND, "missing.parquet");
  /* skip_errors: reported and skipped, the rest read */
  prestige_source_options_t o;
  prestige_source_options_init(&o);
  o.skip_errors = true;
  o.on_file_error = on_error;
  CHECK_OK(prestige_source(&st, bad, 3, &o, &err));
  CHECK_EQ_INT(drain(&st, &s), 0);
  CHECK_EQ_INT(s.rows, 2 * ROWS);
  CHECK_EQ_INT(reported, 1);
  CHECK(strstr(reported_file, "missing.parquet") != NULL);
  st.release(&st);
}

/* Every id of a stream in the order it came (NULL on a stream error). */
static int64_t *collect_ids(struct ArrowArrayStream *st, int64_t cap, int64_t *n) {
  int64_t *ids = calloc((size_t)cap, sizeof *ids);
  *n = 0;
  for (;;) {
    struct ArrowArray b;
    if (st->get_next(st, &b)) {
      free(ids);
      return NULL;
    }
    if (!b.release) break;
    const struct ArrowArray *c = b.children[0];
    for (int64_t i = 0; i < b.length; i++)
      if (*n < cap) ids[(*n)++] = ((const int64_t *)c->buffers[1])[b.offset + c->offset + i];
    b.release(&b);
  }
  return ids;
}

static int64_t count_gets(test_s3_t *proxy) {
  char *log = test_proxy_get(proxy, "log");
  json_error_t je;
  json_t *arr = json_loads(log ? log : "[]", 0, &je);
  free(log);
  size_t i;
  json_t *e;
  int64_t gets = 0;
  json_array_foreach(arr, i, e) gets += !strcmp(json_string_value(json_object_get(e, "method")), "GET");
  json_decref(arr);
  return gets;
}

/* Unordered with more files in flight than cores: as many decoding threads as cores (the rest of
 * the files opened ahead), every row once. */
TEST(unordered_decodes_on_the_cores) {
  prestige_error_t err;
  const char *p[NFILES];
  for (int i = 0; i < NFILES; i++) p[i] = paths[i];
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  for (int conc = 1; conc <= NFILES + 2; conc += 3) {
    prestige_source_options_t o;
    prestige_source_options_init(&o);
    o.unordered = true;
    o.concurrency = conc;
    o.batch_rows = 3000;
    struct ArrowArrayStream st;
    CHECK_OK(prestige_source(&st, p, NFILES, &o, &err));
    int want = conc < cores ? conc : (int)cores;
    if (want > NFILES) want = NFILES;
    CHECK_EQ_INT(source_decoding_threads(&st), want);
    int64_t got;
    int64_t *ids = collect_ids(&st, TOTAL + 1, &got);
    st.release(&st);
    CHECK(ids != NULL);
    CHECK_EQ_INT(got, TOTAL);
    uint8_t *seen = calloc((size_t)TOTAL, 1);
    int64_t dup = 0;
    for (int64_t i = 0; ids && i < got; i++) {
      if (ids[i] < 0 || ids[i] >= TOTAL || seen[ids[i]]) dup++;
      else seen[ids[i]] = 1;
    }
    CHECK_EQ_INT(dup, 0);
    free(seen);
    free(ids);
  }
}

/* Objects of up to 1 MiB are read with their footer read: one GET each (the schema probe's reader
 * reads file 0), opened ahead of the decoding; rows come out in file order, each once. */
static void small_objects(prestige_store_t *st, test_s3_t *proxy) {
  prestige_error_t err;
  enum { NS = 7, NR = 3000 };
  row_t *rows = calloc(NR, sizeof *rows);
  static char payload[200];
  memset(payload, 's', sizeof payload - 1);
  prestige_parquet_writer_options_t wo;
  prestige_parquet_writer_options_init(&wo);
  wo.row_group_rows = 1000; /* 3 row groups: 3 ranges a reader would otherwise fetch */
  wo.compression = PRESTIGE_COMPRESSION_UNCOMPRESSED;
  wo.dictionary = false;
  for (int f = 0; f < NS; f++) {
    for (int i = 0; i < NR; i++) {
      int64_t id = (int64_t)f * NR + i;
      rows[i] = (row_t){.id = id, .payload = {payload, 20 + (size_t)(id % 90)}, .small = (int32_t)(id % 1000)};
    }
    char path[1100], key[64];
    snprintf(path, sizeof path, "%s/small.%d.parquet", test_tmpdir(), f);
    CHECK_OK(prestige_record_write_file(row_record(), path, rows, NR, &wo, &err));
    snprintf(key, sizeof key, "small/s.%d.parquet", 1700000000 + f);
    CHECK_OK(prestige_store_put_file(st, key, path, &err));
  }
  free(rows);
  prestige_file_meta_t *metas;
  size_t n;
  CHECK_OK(prestige_list_files(st, "small/", INT64_MIN, INT64_MAX, &metas, &n, &err));
  CHECK_EQ_INT(n, NS);
  for (size_t i = 0; i < n; i++) CHECK(metas[i].size > 64 * 1024 && metas[i].size < (1 << 20));
  for (int mode = 0; mode < 3; mode++) { /* ordered read-ahead 1, ordered read-ahead 2, unordered */
    prestige_source_options_t o;
    prestige_source_options_init(&o);
    o.read_ahead = mode == 0 ? 1 : 2;
    o.unordered = mode == 2;
    o.batch_rows = 700;
    test_proxy_reset(proxy);
    struct ArrowArrayStream s;
    CHECK_OK(prestige_source_s3_files(&s, st, metas, n, &o, &err));
    int64_t got;
    int64_t *ids = collect_ids(&s, (int64_t)NS * NR + 1, &got);
    CHECK(ids != NULL);
    s.release(&s);
    CHECK_EQ_INT(got, (int64_t)NS * NR);
    if (!ids) continue;
    if (mode < 2) {
      int64_t out_of_order = 0;
      for (int64_t i = 0; i < got; i++) out_of_order += ids[i] != i;
      CHECK_EQ_INT(out_of_order, 0);
    } else { /* every id once */
      uint8_t *seen = calloc((size_t)NS * NR, 1);
      int64_t dup = 0;
      for (int64_t i = 0; i < got; i++) {
        if (ids[i] < 0 || ids[i] >= (int64_t)NS * NR || seen[ids[i]]) dup++;
        else seen[ids[i]] = 1;
      }
      CHECK_EQ_INT(dup, 0);
      free(seen);
    }
    free(ids);
    CHECK_EQ_INT(count_gets(proxy), NS);
  }
  /* released while files are open ahead: no leak, no hang */
  struct ArrowArrayStream s;
  CHECK_OK(prestige_source_s3_files(&s, st, metas, n, NULL, &err));
  struct ArrowArray b;
  CHECK_EQ_INT(s.get_next(&s, &b), 0);
  if (b.release) b.release(&b);
  s.release(&s);
  prestige_file_metas_free(metas, n);
}

TEST(s3_ordered_unordered_projection) {
  prestige_error_t err;
  test_s3_t srv, proxy;
  if (test_s3rver_start(&srv, "src") || test_proxy_start(&proxy, srv.endpoint)) {
    CHECK_MSG(0, "s3rver/proxy did not start");
    return;
  }
  prestige_s3_client_t *c;
  CHECK_OK(prestige_s3_new_client(&c, "us-east-1", proxy.endpoint, "S3RVER", "S3RVER", &err));
  prestige_store_t *st;
  CHECK_OK(prestige_store_open_s3(&st, c, "src", NULL, &err));
  uint64_t total_bytes = 0;
  for (int i = 0; i < NFILES; i++) {
    char key[64];
    snprintf(key, sizeof key, "data/ev.%d.parquet", 1700000000 + i);
    CHECK_OK(prestige_store_put_file(st, key, paths[i], &err));
    total_bytes += sizes[i];
  }
  prestige_file_meta_t *metas;
  size_t n;
  CHECK_OK(prestige_list_files(st, "data/", INT64_MIN, INT64_MAX, &metas, &n, &err));
  CHECK_EQ_INT(n, NFILES);
  struct ArrowArrayStream s;
  summary_t sum;
  CHECK_OK(prestige_source_s3_files(&s, st, metas, n, NULL, &err));
  CHECK_EQ_INT(drain(&s, &sum), 0);
  s.release(&s);
  CHECK_EQ_INT(sum.rows, TOTAL);
  CHECK_EQ_INT(sum.sum, ID_SUM);
  CHECK(sum.ordered);
  prestige_source_options_t o;
  prestige_source_options_init(&o);
  o.unordered = true;
  o.concurrency = 4;
  CHECK_OK(prestige_source_s3_files(&s, st, metas, n, &o, &err));
  CHECK_EQ_INT(drain(&s, &sum), 0);
  s.release(&s);
  CHECK_EQ_INT(sum.rows, TOTAL);
  CHECK_EQ_INT(sum.sum, ID_SUM);
  /* projection: only `small` is fetched (plus footers), never the big payload column */
  test_proxy_reset(&proxy);
  const char *cols[] = {"small"};
  prestige_source_options_init(&o);
  o.columns = cols;
  o.n_columns = 1;
  CHECK_OK(prestige_source_s3_files(&s, st, metas, n, &o, &err));
  CHECK_EQ_INT(drain(&s, &sum), 0);
  s.release(&s);
  CHECK_EQ_INT(sum.rows, TOTAL);
  CHECK_EQ_INT(sum.cols, 1);
  int64_t want_small = 0;
  for (int64_t i = 0; i < TOTAL; i++) want_small += i % 1000;
  CHECK_EQ_INT(sum.sum, want_small);
  char *log = test_proxy_get(&proxy, "log");
  json_error_t je;
  json_t *arr = json_loads(log ? log : "[]", 0, &je);
  free(log);
  size_t i;
  json_t *e;
  int64_t fetched = 0, gets = 0, heads = 0, whole = 0;
  json_array_foreach(arr, i, e) {
    const char *m = json_string_value(json_object_get(e, "method"));
    if (!strcmp(m, "HEAD")) heads++;
    if (strcmp(m, "GET")) continue;
    gets++;
    fetched += json_integer_value(json_object_get(e, "resp_bytes"));
    if (json_is_null(json_object_get(e, "range"))) whole++;
  }
  json_decref(arr);
  printf("projection on S3: %lld GETs (%lld whole-object), %lld of %llu bytes fetched\n", (long long)gets,
         (long long)whole, (long long)fetched, (unsigned long long)total_bytes);
  CHECK_EQ_INT(whole, 0);
  CHECK_EQ_INT(heads, 0); /* sizes came from the listing */
  /* per file: the schema probe's footer + the reader's footer + one coalesced range per row group */
  CHECK(gets <= NFILES * (2 + 3) && gets >= NFILES * 2);
  CHECK(fetched < (int64_t)total_bytes / 8);
  small_objects(st, &proxy);
  prestige_file_metas_free(metas, n);
  prestige_store_free(st);
  prestige_s3_client_free(c);
  test_proxy_stop(&proxy);
  test_s3rver_stop(&srv);
}

TEST_MAIN(make_files(); RUN(local_ordered_and_unordered); RUN(files_share_one_buffer_pool); RUN(failing_files); RUN(unordered_decodes_on_the_cores); RUN(s3_ordered_unordered_projection);)
