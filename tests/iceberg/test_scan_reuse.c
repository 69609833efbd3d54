/* Iceberg scans reusing decoded buffers (src/iceberg/scan_read.c, parquet/reader_bufpool.h): every
 * reader of a scan, and every later scan on the same table handle, decodes into blocks the ones
 * before released, and dictionary-encoded strings are sized from the dictionary
 * (parquet/reader_column.c presize_strings). Dirty recycled blocks and mis-sized string buffers
 * must never show in the values: random rows (fixed seed) with strings whose per-row mean is far
 * from the dictionary's mean both ways, nulls, several files of several row groups, scanned
 * repeatedly with 1 and 3 files in flight and 1 and 2 decoding threads, two streams at once on
 * one handle, and a stream drained after its table handle is freed; each row checked by id
 * against the rows written. */
#include "prestige/iceberg.h"
#include "prestige/text.h"
#include "table_util.h"

static prestige_error_t err;

#define N_FILES 4
#define ROWS_PER_FILE 6000

/* The expected row of each id: a hash of its values (null flags included). */
static uint64_t *expect_hash;
static int64_t n_expect;

static uint64_t mix(uint64_t h, const void *p, size_t n) {
  const uint8_t *b = p;
  for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 1099511628211ULL;
  return h;
}

static bool valid(const struct ArrowArray *a, int64_t i) {
  const uint8_t *v = a->n_buffers > 0 ? a->buffers[0] : NULL;
  int64_t j = a->offset + i;
  return !v || ((v[j >> 3] >> (j & 7)) & 1);
}

/* The hash of row i of a struct batch (id:int64, s:string, t:string, v:double). */
static uint64_t row_hash(const struct ArrowArray *b, int64_t i) {
  uint64_t h = 1469598103934665603ULL;
  int64_t r = b->offset + i;
  for (int k = 0; k < 4; k++) {
    const struct ArrowArray *c = b->children[k];
    bool ok = valid(c, r);
    h = mix(h, &ok, 1);
    if (!ok) continue;
    int64_t j = c->offset + r;
    if (k == 0) h = mix(h, (const int64_t *)c->buffers[1] + j, 8);
    else if (k == 3) h = mix(h, (const double *)c->buffers[1] + j, 8);
    else {
      const int32_t *off = c->buffers[1];
      const uint8_t *data = c->buffers[2];
      int32_t len = off[j + 1] - off[j];
      h = mix(h, &len, 4);
      h = mix(h, data + off[j], (size_t)len);
    }
  }
  return h;
}

static int64_t row_id(const struct ArrowArray *b, int64_t i) {
  const struct ArrowArray *c = b->children[0];
  return ((const int64_t *)c->buffers[1])[c->offset + b->offset + i];
}

/* A batch of file f: ids f*ROWS_PER_FILE.., strings from a dictionary of 40 values of 1 to 400
 * bytes; s mostly picks the short ones (the dictionary's mean overestimates its bytes), t mostly
 * the long ones (underestimates: the buffer must still grow). */
static int make_batch(const struct ArrowSchema *s, int f, struct ArrowArray *out) {
  static char words[40][401];
  static int lens[40];
  for (int w = 0; w < 40; w++) {
    lens[w] = w < 30 ? 1 + w % 5 : 100 + w * 7 + f;
    for (int k = 0; k < lens[w]; k++) words[w][k] = (char)('a' + (w * 7 + k + f) % 26);
  }
  prestige_array_builder_t *b;
  PRESTIGE_TRY(prestige_array_builder_new(&b, s, &err));
  int rc = 0;
  for (int64_t r = 0; r < ROWS_PER_FILE && !rc; r++) {
    int64_t id = (int64_t)f * ROWS_PER_FILE + r;
    rc = prestige_array_builder_append_int(prestige_array_builder_child(b, 0), id, &err);
    for (int k = 1; k <= 2 && !rc; k++) {
      prestige_array_builder_t *c = prestige_array_builder_child(b, k);
      if (tt_rand() % 10 == 0) {
        rc = prestige_array_builder_append_null(c, &err);
        continue;
      }
      bool rare = tt_rand() % 20 == 0;
      int w = (k == 1) != rare ? (int)(tt_rand() % 30) : 30 + (int)(tt_rand() % 10);
      rc = prestige_array_builder_append_bytes(c, words[w], lens[w], &err);
    }
    if (!rc) rc = tt_rand() % 7 == 0 ? prestige_array_builder_append_null(prestige_array_builder_child(b, 3), &err)
                                     : prestige_array_builder_append_double(prestige_array_builder_child(b, 3),
                                                                            (double)tt_range(-100000, 100000) / 8.0, &err);
    if (!rc) rc = prestige_array_builder_append_struct(b, &err);
  }
  if (!rc) rc = prestige_array_builder_finish(b, out, &err);
  prestige_array_builder_free(b);
  return rc;
}

typedef struct drain {
  struct ArrowArrayStream st;
  uint8_t *seen;
  int64_t rows, bad, dup;
  bool done;
  int rc;
} drain_t;

static void drain_init(drain_t *d) {
  memset(d, 0, sizeof *d);
  d->seen = calloc((size_t)n_expect, 1);
}

/* Reads one batch of d->st and checks its rows; false at the end or on error. */
static bool drain_step(drain_t *d) {
  if (d->done) return false;
  struct ArrowArray b;
  int ge = d->st.get_next(&d->st, &b);
  if (ge || !b.release) {
    if (ge) {
      d->rc = ge;
      CHECK_MSG(0, "get_next: %s", d->st.get_last_error(&d->st));
    }
    d->done = true;
    return false;
  }
  for (int64_t i = 0; i < b.length; i++) {
    int64_t id = row_id(&b, i);
    if (id < 0 || id >= n_expect) {
      d->bad++;
      continue;
    }
    if (d->seen[id]++) d->dup++;
    if (row_hash(&b, i) != expect_hash[id]) d->bad++;
  }
  d->rows += b.length;
  b.release(&b);
  return true;
}

static void drain_finish(drain_t *d, const char *label) {
  while (drain_step(d)) {
  }
  if (d->st.release) d->st.release(&d->st);
  CHECK_MSG(d->rc == 0, "%s: stream failed", label);
  CHECK_MSG(d->rows == n_expect, "%s: %lld rows, want %lld", label, (long long)d->rows, (long long)n_expect);
  CHECK_MSG(d->bad == 0, "%s: %lld rows differ from the rows written", label, (long long)d->bad);
  CHECK_MSG(d->dup == 0, "%s: %lld ids seen twice", label, (long long)d->dup);
  free(d->seen);
}

static int open_table(prestige_iceberg_catalog_t **cat, prestige_iceberg_table_t **t) {
  char uri[700], wh[700];
  snprintf(uri, sizeof uri, "sqlite:%s/reuse-catalog.db", test_tmpdir());
  snprintf(wh, sizeof wh, "file://%s/reuse-wh", test_tmpdir());
  prestige_iceberg_catalog_options_t co = PRESTIGE_ICEBERG_CATALOG_OPTIONS_INIT;
  co.uri = uri;
  co.warehouse = wh;
  PRESTIGE_TRY(prestige_iceberg_catalog_open(cat, &co, &err));
  return prestige_iceberg_table_load(*cat, "db.reuse", t, &err);
}

TEST(repeated_scans_reuse_buffers_and_keep_values) {
  char uri[700], wh[700];
  snprintf(uri, sizeof uri, "sqlite:%s/reuse-catalog.db", test_tmpdir());
  snprintf(wh, sizeof wh, "file://%s/reuse-wh", test_tmpdir());
  prestige_iceberg_catalog_options_t co = PRESTIGE_ICEBERG_CATALOG_OPTIONS_INIT;
  co.uri = uri;
  co.warehouse = wh;
  (void)tt_path; /* table_util.h's helper, unused here */
  prestige_iceberg_catalog_t *cat = NULL;
  CHECK_OK(prestige_iceberg_catalog_open(&cat, &co, &err));
  if (!cat) return;
  CHECK_OK(prestige_iceberg_namespace_create(cat, "db", NULL, 0, &err));
  struct ArrowSchema s;
  CHECK_OK(prestige_text_parse_schema("id:int64,s:string,t:string,v:double", &s, &err));
  s.children[0]->flags &= ~ARROW_FLAG_NULLABLE;
  /* small row groups: several per file, so buffers are recycled inside files and across them */
  prestige_kv_t props[] = {{.key = "write.parquet.row-group-size-bytes", .value = "30000", .value_len = -1},
                           {.key = "write.parquet.page-size-bytes", .value = "8192", .value_len = -1}};
  prestige_iceberg_create_options_t o = PRESTIGE_ICEBERG_CREATE_OPTIONS_INIT;
  o.properties = props;
  o.n_properties = 2;
  prestige_iceberg_table_t *t = NULL;
  CHECK_OK(prestige_iceberg_table_create(cat, "db.reuse", &s, &o, &t, &err));
  if (!t) {
    s.release(&s);
    prestige_iceberg_catalog_close(cat);
    return;
  }
  tt_seed(15);
  n_expect = (int64_t)N_FILES * ROWS_PER_FILE;
  expect_hash = calloc((size_t)n_expect, sizeof(uint64_t));
  for (int f = 0; f < N_FILES; f++) {
    struct ArrowArray b;
    CHECK_OK(make_batch(&s, f, &b));
    if (!b.release) break;
    for (int64_t i = 0; i < b.length; i++) expect_hash[row_id(&b, i)] = row_hash(&b, i);
    prestige_iceberg_append_t *a;
    CHECK_OK(prestige_iceberg_append_new(&a, t, NULL, &err));
    CHECK_OK(prestige_iceberg_append_write(a, &b, &s, &err)); /* takes b */
    prestige_iceberg_append_result_t res;
    CHECK_OK(prestige_iceberg_append_commit(a, &res, &err));
    prestige_iceberg_append_result_release(&res);
    prestige_iceberg_append_free(a);
  }
  s.release(&s);

  /* scans one after another on one handle: the later ones decode into the earlier ones' blocks */
  static const struct {
    int in_flight, threads;
    int64_t batch_rows;
  } runs[] = {{1, 1, 0}, {1, 1, 1000}, {3, 1, 777}, {3, 2, 4096}, {1, 2, 0}, {2, 1, 65536}};
  int64_t row_groups = 0;
  for (size_t k = 0; k < sizeof runs / sizeof runs[0]; k++) {
    prestige_iceberg_scan_options_t so = PRESTIGE_ICEBERG_SCAN_OPTIONS_INIT;
    so.files_in_flight = runs[k].in_flight;
    so.threads = runs[k].threads;
    so.batch_rows = runs[k].batch_rows;
    prestige_iceberg_scan_stats_t st;
    drain_t d;
    drain_init(&d);
    CHECK_OK(prestige_iceberg_scan(t, &so, &d.st, &st, &err));
    char label[96];
    snprintf(label, sizeof label, "scan %zu (files in flight %d, threads %d)", k, runs[k].in_flight, runs[k].threads);
    drain_finish(&d, label);
    CHECK_EQ_INT(st.files_read, N_FILES);
    row_groups = st.row_groups;
  }
  CHECK_MSG(row_groups > N_FILES, "%lld row groups in %d files: the test wants several per file", (long long)row_groups, N_FILES);

  /* two streams at once on the handle's pool, read in turns */
  drain_t x, y;
  drain_init(&x);
  drain_init(&y);
  prestige_iceberg_scan_options_t so = PRESTIGE_ICEBERG_SCAN_OPTIONS_INIT;
  so.files_in_flight = 2;
  so.batch_rows = 1500;
  CHECK_OK(prestige_iceberg_scan(t, &so, &x.st, NULL, &err));
  so.files_in_flight = 1;
  so.batch_rows = 2500;
  CHECK_OK(prestige_iceberg_scan(t, &so, &y.st, NULL, &err));
  for (bool more = true; more;) {
    bool a = drain_step(&x), b = drain_step(&y);
    more = a || b;
  }
  drain_finish(&x, "two streams at once, first");
  drain_finish(&y, "two streams at once, second");

  /* a stream outlives its handle (the pool is referenced by the stream) */
  drain_t z;
  drain_init(&z);
  CHECK_OK(prestige_iceberg_scan(t, &so, &z.st, NULL, &err));
  drain_step(&z);
  prestige_iceberg_table_free(t);
  drain_finish(&z, "stream after its table handle is freed");

  /* a fresh handle (cold pool) reads the same */
  prestige_iceberg_catalog_t *cat2 = NULL;
  t = NULL;
  CHECK_OK(open_table(&cat2, &t));
  if (t) {
    drain_t w;
    drain_init(&w);
    CHECK_OK(prestige_iceberg_scan(t, NULL, &w.st, NULL, &err));
    drain_finish(&w, "fresh handle");
  }
  prestige_iceberg_table_free(t);
  prestige_iceberg_catalog_close(cat2);
  prestige_iceberg_catalog_close(cat);
  free(expect_hash);
}

TEST_MAIN(RUN(repeated_scans_reuse_buffers_and_keep_values);)
