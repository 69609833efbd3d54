/* File source with decoding threads (options.threads, each file's reader pool): the same rows in
 * the same order as with 1 thread, ordered (the whole sequence) and unordered (each file's rows in
 * order, the same rows overall), on random files of several row groups (fixed seed); option
 * validation and version 1 structs. */
#include <stddef.h>

#include "prestige/records.h"
#include "prestige/source.h"
#include "test.h"

#define ROW(F)        \
  F(file, I32)        \
  F(seq, I64)         \
  F(name, STRING)     \
  F(value, F64)
PRESTIGE_RECORD(trow, ROW)

enum { NF = 6, MAXROWS = 25000 };
static char paths[NF][1024];
static int64_t nrows[NF];
static uint64_t rng = 0x5eed2026;

static uint64_t next(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}

static void make_files(void) {
  prestige_error_t err;
  trow_t *rows = calloc(MAXROWS, sizeof *rows);
  char *text = malloc((size_t)MAXROWS * 40);
  for (int f = 0; f < NF; f++) {
    nrows[f] = 5000 + (int64_t)(next() % (MAXROWS - 5000));
    for (int64_t i = 0; i < nrows[f]; i++) {
      size_t len = next() % 40;
      char *t = text + i * 40;
      for (size_t k = 0; k < len; k++) t[k] = (char)('a' + next() % 26);
      rows[i] = (trow_t){.file = f, .seq = i, .name = {t, len}, .value = (double)(int64_t)(next() % 2000001) / 7.0 - 1e5};
    }
    prestige_parquet_writer_options_t o;
    prestige_parquet_writer_options_init(&o);
    o.row_group_rows = 1000 + (int64_t)(next() % 4000);
    o.compression = f % 2 ? PRESTIGE_COMPRESSION_ZSTD : PRESTIGE_COMPRESSION_SNAPPY;
    snprintf(paths[f], sizeof paths[f], "%s/t.%d.parquet", test_tmpdir(), f);
    CHECK_OK(prestige_record_write_file(trow_record(), paths[f], rows, (size_t)nrows[f], &o, &err));
  }
  free(rows);
  free(text);
}

/* One row's identity: file, seq and a hash of its values. */
typedef struct seen {
  int32_t file;
  int64_t seq;
  uint64_t h;
} seen_t;

static uint64_t mix(uint64_t h, uint64_t v) { return (h ^ v) * 0x100000001b3ull; }

static size_t drain(struct ArrowArrayStream *st, seen_t *out, size_t cap, int64_t *batches) {
  size_t n = 0;
  *batches = 0;
  for (;;) {
    struct ArrowArray b;
    if (st->get_next(st, &b) != 0) {
      CHECK_MSG(0, "get_next: %s", st->get_last_error(st));
      break;
    }
    if (!b.release) break;
    (*batches)++;
    const struct ArrowArray *cf = b.children[0], *cs = b.children[1], *cn = b.children[2], *cv = b.children[3];
    for (int64_t i = 0; i < b.length && n < cap; i++, n++) {
      int64_t r = b.offset + i;
      const int32_t *off = (const int32_t *)cn->buffers[1] + cn->offset;
      const char *txt = (const char *)cn->buffers[2];
      uint64_t h = 0xcbf29ce484222325ull;
      for (int32_t k = off[r]; k < off[r + 1]; k++) h = mix(h, (uint8_t)txt[k]);
      double d = ((const double *)cv->buffers[1])[cv->offset + r];
      uint64_t bits;
      memcpy(&bits, &d, 8);
      out[n] = (seen_t){((const int32_t *)cf->buffers[1])[cf->offset + r], ((const int64_t *)cs->buffers[1])[cs->offset + r],
                        mix(h, bits)};
    }
    b.release(&b);
  }
  return n;
}

static int by_file_seq(const void *a, const void *b) {
  const seen_t *x = a, *y = b;
  if (x->file != y->file) return x->file < y->file ? -1 : 1;
  return x->seq < y->seq ? -1 : x->seq > y->seq;
}

TEST(same_rows_with_threads) {
  prestige_error_t err;
  const char *p[NF];
  int64_t total = 0;
  for (int i = 0; i < NF; i++) {
    p[i] = paths[i];
    total += nrows[i];
  }
  seen_t *ref = calloc((size_t)total, sizeof *ref), *got = calloc((size_t)total, sizeof *got);
  struct ArrowArrayStream st;
  int64_t ref_batches = 0, batches = 0;
  prestige_source_options_t o;
  prestige_source_options_init(&o);
  o.batch_rows = 777;
  CHECK_OK(prestige_source(&st, p, NF, &o, &err));
  size_t n1 = drain(&st, ref, (size_t)total, &ref_batches);
  st.release(&st);
  CHECK_EQ_INT(n1, total);
  /* the reference is the files in order, each row once */
  size_t k = 0;
  for (int f = 0; f < NF; f++)
    for (int64_t i = 0; i < nrows[f]; i++, k++) CHECK_MSG(ref[k].file == f && ref[k].seq == i, "row %zu: file %d seq %lld", k, ref[k].file, (long long)ref[k].seq);
  for (int threads = 2; threads <= 4; threads++) {
    for (int ra = 1; ra <= 3; ra += 2) {
      prestige_source_options_init(&o);
      o.batch_rows = 777;
      o.threads = threads;
      o.read_ahead = ra;
      CHECK_OK(prestige_source(&st, p, NF, &o, &err));
      size_t n = drain(&st, got, (size_t)total, &batches);
      st.release(&st);
      CHECK_MSG(n == (size_t)total && !memcmp(got, ref, (size_t)total * sizeof *ref) && batches == ref_batches,
                "threads %d read_ahead %d: %zu rows, %lld batches (want %lld, %lld), equal %d", threads, ra, n,
                (long long)batches, (long long)total, (long long)ref_batches, n == (size_t)total ? !memcmp(got, ref, n * sizeof *ref) : 0);
    }
    /* unordered: each file's rows in order, the same rows overall */
    prestige_source_options_init(&o);
    o.batch_rows = 777;
    o.threads = threads;
    o.unordered = true;
    o.concurrency = 3;
    CHECK_OK(prestige_source(&st, p, NF, &o, &err));
    size_t n = drain(&st, got, (size_t)total, &batches);
    st.release(&st);
    CHECK_EQ_INT(n, total);
    int64_t last[NF];
    for (int f = 0; f < NF; f++) last[f] = -1;
    int out_of_order = 0;
    for (size_t i = 0; i < n; i++) {
      if (got[i].file < 0 || got[i].file >= NF) {
        out_of_order++;
        continue;
      }
      if (got[i].seq != last[got[i].file] + 1) out_of_order++;
      last[got[i].file] = got[i].seq;
    }
    CHECK_MSG(out_of_order == 0, "threads %d unordered: %d rows out of their file's order", threads, out_of_order);
    qsort(got, n, sizeof *got, by_file_seq);
    CHECK_MSG(n == (size_t)total && !memcmp(got, ref, n * sizeof *ref), "threads %d unordered: different rows", threads);
  }
  free(ref);
  free(got);
}

TEST(options) {
  prestige_error_t err;
  const char *p[1] = {paths[0]};
  struct ArrowArrayStream st;
  prestige_source_options_t o;
  prestige_source_options_init(&o);
  CHECK_EQ_INT(o.version, PRESTIGE_SOURCE_OPTIONS_VERSION);
  CHECK_EQ_INT(o.threads, 1);
  o.threads = 0;
  CHECK_ERR(prestige_source(&st, p, 1, &o, &err), PRESTIGE_EINVAL, "threads");
  o.threads = 257;
  CHECK_ERR(prestige_source(&st, p, 1, &o, &err), PRESTIGE_EINVAL, "threads");
  /* a version 1 struct ends before threads: whatever follows is not read */
  prestige_source_options_init(&o);
  o.version = 1;
  o.threads = -5;
  CHECK_OK(prestige_source(&st, p, 1, &o, &err));
  int64_t batches;
  seen_t *got = calloc((size_t)nrows[0], sizeof *got);
  CHECK_EQ_INT(drain(&st, got, (size_t)nrows[0], &batches), nrows[0]);
  free(got);
  st.release(&st);
  o.version = 3;
  CHECK_ERR(prestige_source(&st, p, 1, &o, &err), PRESTIGE_EINVAL, "prestige_source_options_t");
}

TEST_MAIN(make_files(); RUN(same_rows_with_threads); RUN(options);)
