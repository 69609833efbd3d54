/* Parallel reader: the worker pool runs every task once; the reader's threads option is
 * validated; with threads = N the stream and read_row_group hand out the same rows in the same
 * order as with one thread (random data, fixed seed; nested, nullable, strings; with and without
 * a filter), the same error at the same batch on a corrupt file, and a stream released with row
 * groups in flight leaks nothing (ASan). */
#include <stdatomic.h>
#include <unistd.h>

#include "core/workers.h"
#include "prestige/parquet_reader.h"
#include "prestige/parquet_writer.h"
#include "prestige/predicate.h"
#include "test.h"

/* ---- pool ----------------------------------------------------------------------------------- */
typedef struct {
  atomic_int runs;
  atomic_int bad_slot;
  int slots;
} tally_t;
typedef struct {
  tally_t *t;
  int id;
  int *seen;
} ptask_t;

static void ptask_run(void *arg, int slot) {
  ptask_t *p = arg;
  if (slot < 0 || slot >= p->t->slots) atomic_fetch_add(&p->t->bad_slot, 1);
  p->seen[p->id]++;
  atomic_fetch_add(&p->t->runs, 1);
}

TEST(pool_runs_every_task_once) {
  for (int slots = 1; slots <= 4; slots++) {
    workers_t *w = workers_new(slots);
    CHECK(w != NULL);
    if (!w) return;
    CHECK_EQ_INT(workers_slots(w), slots);
    enum { G = 20, K = 37 };
    static ptask_t tasks[G][K];
    static int seen[G * K];
    memset(seen, 0, sizeof seen);
    tally_t t = {.slots = slots};
    workers_group_t groups[G];
    memset(groups, 0, sizeof groups);
    for (int g = 0; g < G; g++) {
      for (int k = 0; k < K; k++) {
        tasks[g][k] = (ptask_t){&t, g * K + k, seen};
        CHECK_EQ_INT(workers_submit(w, &groups[g], ptask_run, &tasks[g][k]), 0);
      }
      if (g >= 3) workers_wait(w, &groups[g - 3]); /* a few groups in flight, as the stream keeps */
    }
    for (int g = 0; g < G; g++) {
      workers_wait(w, &groups[g]);
      CHECK_EQ_INT(groups[g].pending, 0);
    }
    int once = 0;
    for (int i = 0; i < G * K; i++) once += seen[i] == 1;
    CHECK_EQ_INT(once, G * K);
    CHECK_EQ_INT(atomic_load(&t.runs), G * K);
    CHECK_EQ_INT(atomic_load(&t.bad_slot), 0);
    /* tasks left queued when the pool is freed still run */
    workers_group_t last = {0};
    for (int k = 0; k < K; k++) workers_submit(w, &last, ptask_run, &tasks[0][k]);
    workers_free(w);
    CHECK_EQ_INT(atomic_load(&t.runs), G * K + K);
  }
}

/* ---- a random file ----------------------------------------------------------------------- */
enum { ROWS = 30000 };
static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t next_rand(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}

static void write_random(const char *path, bool checksums) {
  prestige_error_t err;
  struct ArrowSchema s;
  prestige_schema_init(&s, "+s", "", 0, &err);
  prestige_schema_allocate_children(&s, 6, &err);
  prestige_schema_init(s.children[0], "l", "id", 0, &err);
  prestige_schema_init(s.children[1], "l", "n", ARROW_FLAG_NULLABLE, &err);
  prestige_schema_init(s.children[2], "u", "name", ARROW_FLAG_NULLABLE, &err);
  prestige_schema_init(s.children[3], "g", "x", ARROW_FLAG_NULLABLE, &err);
  prestige_schema_init(s.children[4], "+l", "tags", ARROW_FLAG_NULLABLE, &err);
  prestige_schema_allocate_children(s.children[4], 1, &err);
  prestige_schema_init(s.children[4]->children[0], "i", "item", ARROW_FLAG_NULLABLE, &err);
  prestige_schema_init(s.children[5], "+s", "pt", ARROW_FLAG_NULLABLE, &err);
  prestige_schema_allocate_children(s.children[5], 2, &err);
  prestige_schema_init(s.children[5]->children[0], "i", "a", ARROW_FLAG_NULLABLE, &err);
  prestige_schema_init(s.children[5]->children[1], "u", "b", ARROW_FLAG_NULLABLE, &err);
  prestige_array_builder_t *b;
  CHECK_OK(prestige_array_builder_new(&b, &s, &err));
  static const char *words[] = {"alpha", "beta", "gamma", "delta", "", "a much longer string value to vary the sizes"};
  int rc = 0;
  for (int i = 0; i < ROWS && !rc; i++) {
    uint64_t r = next_rand();
    rc |= prestige_array_builder_append_int(prestige_array_builder_child(b, 0), i, &err);
    prestige_array_builder_t *c1 = prestige_array_builder_child(b, 1);
    rc |= r % 5 == 0 ? prestige_array_builder_append_null(c1, &err)
                     : prestige_array_builder_append_int(c1, (int64_t)(r >> 20) % 1000, &err);
    prestige_array_builder_t *c2 = prestige_array_builder_child(b, 2);
    const char *wd = words[(r >> 8) % 6];
    rc |= r % 7 == 1 ? prestige_array_builder_append_null(c2, &err) : prestige_array_builder_append_bytes(c2, wd, strlen(wd), &err);
    prestige_array_builder_t *c3 = prestige_array_builder_child(b, 3);
    rc |= r % 11 == 2 ? prestige_array_builder_append_null(c3, &err)
                      : prestige_array_builder_append_double(c3, (double)(int64_t)(r >> 30) / 1024.0, &err);
    prestige_array_builder_t *c4 = prestige_array_builder_child(b, 4);
    if (r % 9 == 3) rc |= prestige_array_builder_append_null(c4, &err);
    else {
      for (int k = 0; k < (int)((r >> 40) % 5); k++) {
        prestige_array_builder_t *it = prestige_array_builder_child(c4, 0);
        rc |= k == 2 ? prestige_array_builder_append_null(it, &err) : prestige_array_builder_append_int(it, i * 10 + k, &err);
      }
      rc |= prestige_array_builder_append_list(c4, &err);
    }
    prestige_array_builder_t *c5 = prestige_array_builder_child(b, 5);
    if (r % 13 == 4) rc |= prestige_array_builder_append_null(c5, &err);
    else {
      rc |= prestige_array_builder_append_int(prestige_array_builder_child(c5, 0), (int64_t)(r % 77), &err);
      rc |= prestige_array_builder_append_bytes(prestige_array_builder_child(c5, 1), wd, strlen(wd) / 2, &err);
      rc |= prestige_array_builder_append_struct(c5, &err);
    }
    rc |= prestige_array_builder_append_struct(b, &err);
  }
  CHECK_OK(rc);
  struct ArrowArray a;
  CHECK_OK(prestige_array_builder_finish(b, &a, &err));
  prestige_array_builder_free(b);
  prestige_parquet_writer_options_t o;
  prestige_parquet_writer_options_init(&o);
  o.row_group_rows = 1000 + (int64_t)(next_rand() % 500); /* many row groups */
  o.data_page_bytes = 4096;                                /* several pages each: page pruning */
  o.page_checksums = checksums;
  prestige_parquet_writer_t *w;
  CHECK_OK(prestige_parquet_writer_open_file(&w, path, &s, &o, &err));
  CHECK_OK(prestige_parquet_writer_write(w, &a, &err));
  CHECK_OK(prestige_parquet_writer_close(w, NULL, &err));
  a.release(&a);
  prestige_schema_release(&s);
}

/* ---- a digest of rows ------------------------------------------------------------------------ */
static uint64_t mix(uint64_t h, uint64_t v) {
  h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
  return h * 0x100000001b3ull;
}
static uint64_t mix_bytes(uint64_t h, const uint8_t *p, size_t n) {
  for (size_t i = 0; i < n; i++) h = mix(h, p[i]);
  return mix(h, n);
}

/* Hashes row i of array a (schema s), following offsets into children. */
static uint64_t hash_value(uint64_t h, const struct ArrowArray *a, const struct ArrowSchema *s, int64_t i) {
  int64_t j = a->offset + i;
  bool valid = !a->buffers[0] || ((((const uint8_t *)a->buffers[0])[j >> 3] >> (j & 7)) & 1);
  if (!valid) return mix(h, 0xdead);
  const char *f = s->format;
  if (!strcmp(f, "l") || !strcmp(f, "g")) return mix(h, ((const uint64_t *)a->buffers[1])[j]);
  if (!strcmp(f, "i")) return mix(h, (uint32_t)((const int32_t *)a->buffers[1])[j]);
  if (!strcmp(f, "u")) {
    const int32_t *o = a->buffers[1];
    return mix_bytes(h, (const uint8_t *)a->buffers[2] + o[j], (size_t)(o[j + 1] - o[j]));
  }
  if (!strcmp(f, "+l")) {
    const int32_t *o = a->buffers[1];
    h = mix(h, (uint64_t)(o[j + 1] - o[j]));
    for (int32_t k = o[j]; k < o[j + 1]; k++) h = hash_value(h, a->children[0], s->children[0], k);
    return h;
  }
  if (!strcmp(f, "+s")) {
    for (int64_t c = 0; c < a->n_children; c++) h = hash_value(h, a->children[c], s->children[c], a->offset + i);
    return h;
  }
  return mix(h, 0xbad);
}

typedef struct {
  uint64_t hash;
  int64_t rows, batches;
  int rc;
  char error[512];
} digest_t;

static digest_t read_all(const char *path, int threads, const prestige_predicate_t *filter, bool by_row_group) {
  digest_t d = {0};
  prestige_error_t err;
  prestige_parquet_reader_options_t o;
  prestige_parquet_reader_options_init(&o);
  o.threads = threads;
  o.batch_rows = 777;
  o.filter = filter;
  prestige_parquet_reader_t *r;
  if ((d.rc = prestige_parquet_reader_open_file(&r, path, &o, &err))) {
    snprintf(d.error, sizeof d.error, "%s", err.message);
    return d;
  }
  struct ArrowSchema s;
  CHECK_OK(prestige_parquet_reader_schema(r, &s, &err));
  if (by_row_group) {
    for (int32_t g = 0; g < prestige_parquet_reader_num_row_groups(r); g++) {
      struct ArrowArray b;
      if ((d.rc = prestige_parquet_reader_read_row_group(r, g, &b, &err))) {
        snprintf(d.error, sizeof d.error, "%s", err.message);
        break;
      }
      for (int64_t i = 0; i < b.length; i++) {
        uint64_t h = 0;
        for (int64_t c = 0; c < b.n_children; c++) h = hash_value(h, b.children[c], s.children[c], i + b.offset);
        d.hash = mix(d.hash, h);
      }
      d.rows += b.length;
      d.batches++;
      b.release(&b);
    }
    prestige_parquet_reader_close(r);
  } else {
    struct ArrowArrayStream st;
    CHECK_OK(prestige_parquet_reader_stream(r, &st, &err));
    for (;;) {
      struct ArrowArray b;
      if ((d.rc = st.get_next(&st, &b))) {
        snprintf(d.error, sizeof d.error, "%s", st.get_last_error(&st));
        break;
      }
      if (!b.release) break;
      for (int64_t i = 0; i < b.length; i++) {
        uint64_t h = 0;
        for (int64_t c = 0; c < b.n_children; c++) h = hash_value(h, b.children[c], s.children[c], i + b.offset);
        d.hash = mix(d.hash, h);
      }
      d.rows += b.length;
      d.batches++;
      b.release(&b);
    }
    st.release(&st);
  }
  prestige_schema_release(&s);
  return d;
}

static void same_digest(const digest_t *a, const digest_t *b, int threads) {
  CHECK_MSG(a->hash == b->hash, "threads=%d: rows differ from threads=1", threads);
  CHECK_EQ_INT(a->rows, b->rows);
  CHECK_EQ_INT(a->batches, b->batches);
  CHECK_EQ_INT(a->rc, b->rc);
  CHECK_EQ_STR(a->error, b->error);
}

TEST(same_rows_any_threads) {
  char path[1024];
  snprintf(path, sizeof(path), "%s/random.parquet", test_tmpdir());
  write_random(path, false);
  digest_t one = read_all(path, 1, NULL, false);
  CHECK_EQ_INT(one.rc, 0);
  CHECK_EQ_INT(one.rows, ROWS);
  for (int t = 2; t <= 5; t++) {
    digest_t n = read_all(path, t, NULL, false);
    same_digest(&n, &one, t);
    digest_t g1 = read_all(path, 1, NULL, true), gn = read_all(path, t, NULL, true);
    CHECK_EQ_INT(g1.rows, ROWS);
    same_digest(&gn, &g1, t);
  }
  /* with a filter: row groups and pages pruned, rows filtered, on every thread count alike */
  prestige_predicate_t *f;
  prestige_error_t err;
  CHECK_OK(prestige_predicate_parse("(id >= 4000 AND id < 9000 AND n > 300) OR name = 'beta'", &f, &err));
  digest_t fone = read_all(path, 1, f, false);
  CHECK(fone.rows > 100 && fone.rows < ROWS);
  for (int t = 2; t <= 4; t++) {
    digest_t fn = read_all(path, t, f, false);
    same_digest(&fn, &fone, t);
  }
  prestige_predicate_free(f);
}

TEST(same_error_any_threads) {
  char path[1024];
  snprintf(path, sizeof(path), "%s/corrupt.parquet", test_tmpdir());
  write_random(path, true);
  FILE *fp = fopen(path, "r+b");
  CHECK(fp != NULL);
  if (!fp) return;
  fseek(fp, 0, SEEK_END);
  long size = ftell(fp);
  /* bytes in the middle of the file flipped: a page of some row group fails its CRC */
  for (long at = size / 2; at < size / 2 + 64; at++) {
    fseek(fp, at, SEEK_SET);
    int ch = fgetc(fp);
    fseek(fp, at, SEEK_SET);
    fputc(ch ^ 0x5a, fp);
  }
  fclose(fp);
  digest_t one = read_all(path, 1, NULL, false);
  CHECK(one.rc != 0);
  CHECK(one.batches > 0);
  for (int t = 2; t <= 4; t++) {
    digest_t n = read_all(path, t, NULL, false);
    same_digest(&n, &one, t);
  }
}

TEST(release_with_row_groups_in_flight) {
  char path[1024];
  snprintf(path, sizeof(path), "%s/random.parquet", test_tmpdir());
  prestige_error_t err;
  for (int t = 1; t <= 4; t++) {
    prestige_parquet_reader_options_t o;
    prestige_parquet_reader_options_init(&o);
    o.threads = t;
    o.batch_rows = 100;
    prestige_parquet_reader_t *r;
    CHECK_OK(prestige_parquet_reader_open_file(&r, path, &o, &err));
    struct ArrowArrayStream st;
    CHECK_OK(prestige_parquet_reader_stream(r, &st, &err));
    struct ArrowArray b;
    CHECK_EQ_INT(st.get_next(&st, &b), 0);
    CHECK(b.release != NULL && b.length == 100);
    st.release(&st); /* row groups still decoding on the pool */
    if (b.release) b.release(&b); /* a batch outlives its stream */
  }
}

TEST(threads_option_checked) {
  prestige_error_t err;
  char path[1024];
  snprintf(path, sizeof(path), "%s/random.parquet", test_tmpdir());
  prestige_parquet_reader_options_t o;
  prestige_parquet_reader_options_init(&o);
  CHECK_EQ_INT(o.threads, 1);
  CHECK_EQ_INT(o.version, PRESTIGE_PARQUET_READER_OPTIONS_VERSION);
  prestige_parquet_reader_options_t m = PRESTIGE_PARQUET_READER_OPTIONS_INIT;
  CHECK(memcmp(&m, &o, sizeof m) == 0 || (m.threads == 1 && m.batch_rows == o.batch_rows && m.max_page_bytes == o.max_page_bytes));
  prestige_parquet_reader_t *r = NULL;
  o.threads = 0;
  CHECK_ERR(prestige_parquet_reader_open_file(&r, path, &o, &err), PRESTIGE_EINVAL, "threads");
  o.threads = PRESTIGE_PARQUET_READER_MAX_THREADS + 1;
  CHECK_ERR(prestige_parquet_reader_open_file(&r, path, &o, &err), PRESTIGE_EINVAL, "threads");
  o.threads = 2;
  o.version = 1;
  CHECK_ERR(prestige_parquet_reader_open_file(&r, path, &o, &err), PRESTIGE_EINVAL, "version");
  CHECK(r == NULL);
  /* a NULL err is safe */
  CHECK(prestige_parquet_reader_open_file(&r, path, &o, NULL) == PRESTIGE_EINVAL);
}

TEST_MAIN(RUN(pool_runs_every_task_once); RUN(same_rows_any_threads); RUN(same_error_any_threads);
          RUN(release_with_row_groups_in_flight); RUN(threads_option_checked);)
