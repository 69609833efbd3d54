/* ParquetSink with an encoding pool (writer.threads > 1): the files are byte for byte those of
 * one thread (same rows, row groups, pages), and with several producers every row lands once,
 * each client's rows in the order it wrote them. */
#include <dirent.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#include "prestige/parquet_reader.h"
#include "prestige/sink.h"
#include "test.h"

#define EVENT(F)                 \
  F(ts, TIMESTAMP(MILLI, "UTC")) \
  F(id, I64)                     \
  F(source, STRING)              \
  F(tags, LIST(STRING))          \
  F(score, OPTIONAL(F64))        \
  F(level, OPTIONAL(I32))
PRESTIGE_RECORD(event, EVENT)

static char *dir_of(const char *sub) {
  static char d[8][1024];
  static int k;
  char *p = d[k++ % 8];
  snprintf(p, 1024, "%s/%s", test_tmpdir(), sub);
  return p;
}

static uint64_t next_rand(uint64_t *rng) {
  *rng ^= *rng << 13;
  *rng ^= *rng >> 7;
  *rng ^= *rng << 17;
  return *rng;
}

/* random but reproducible (xorshift from a fixed seed) */
static event_t make_event(int64_t i, char *buf, prestige_str_t *tags, uint64_t *rng) {
  uint64_t r = next_rand(rng);
  int len = snprintf(buf, 48, "src-%llu-%s", (unsigned long long)(r % 300), (r >> 20) % 7 == 0 ? "long-suffix-here" : "x");
  tags[0] = (prestige_str_t){"a", 1};
  tags[1] = (prestige_str_t){buf, (size_t)(len > 6 ? 6 : len)};
  event_t e = {.ts = 1700000000000 + i * 3 + (int64_t)(r % 3), .id = i, .source = {buf, (size_t)len}, .tags = {tags, (size_t)((r >> 8) % 3)}};
  e.score.present = (r >> 12) % 5 != 0;
  e.score.value = (double)(int64_t)(r >> 40) / 1000.0;
  e.level.present = (r >> 16) % 3 != 0;
  e.level.value = (int32_t)((r >> 24) % 100000);
  return e;
}

/* the events.* Parquet files of dir, sorted by name */
static int list_files(const char *dir, char names[][256], int max) {
  DIR *d = opendir(dir);
  int n = 0;
  struct dirent *e;
  while (d && (e = readdir(d)) && n < max) {
    size_t l = strlen(e->d_name);
    if (!strncmp(e->d_name, "events.", 7) && l > 8 && !strcmp(e->d_name + l - 8, ".parquet")) snprintf(names[n++], 256, "%s", e->d_name);
  }
  if (d) closedir(d);
  qsort(names, (size_t)n, 256, (int (*)(const void *, const void *))strcmp);
  return n;
}

static uint8_t *slurp(const char *dir, const char *name, size_t *len) {
  char p[1400];
  snprintf(p, sizeof p, "%s/%s", dir, name);
  FILE *f = fopen(p, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  uint8_t *b = malloc((size_t)n + 1);
  if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
    free(b);
    b = NULL;
  }
  fclose(f);
  *len = (size_t)n;
  return b;
}

static void feed(const char *sub, int threads, int64_t rows) {
  prestige_error_t err;
  prestige_sink_options_t o;
  prestige_sink_options_init(&o);
  o.name = "events";
  o.dir = dir_of(sub);
  o.max_rows = 25000;
  o.batch_size = 1000;
  o.writer.threads = threads;
  o.writer.row_group_rows = 7000; /* several row groups per file */
  o.writer.data_page_bytes = 8192; /* several pages per chunk */
  o.writer.compression = PRESTIGE_COMPRESSION_ZSTD;
  prestige_sink_t *s = NULL;
  CHECK_OK(prestige_sink_open(&s, &o, event_record(), NULL, &err));
  if (!s) return;
  CHECK_OK(prestige_sink_start(s, &err));
  prestige_sink_client_t *c = prestige_sink_client_new(s);
  uint64_t rng = 88172645463325252ULL;
  char buf[48];
  prestige_str_t tags[2];
  for (int64_t i = 0; i < rows; i++) {
    event_t e = make_event(i, buf, tags, &rng);
    CHECK_OK(prestige_sink_write(c, &e, &err));
  }
  CHECK_OK(prestige_sink_client_free(c, &err));
  prestige_sink_manifest_t fin;
  CHECK_OK(prestige_sink_close(s, &fin, &err));
  CHECK_EQ_INT(fin.rows, rows);
  prestige_sink_manifest_release(&fin);
}

TEST(same_files_as_one_thread) {
  int64_t rows = 60000;
  feed("one", 1, rows);
  static char a[16][256], b[16][256];
  int na = list_files(dir_of("one"), a, 16);
  CHECK_EQ_INT(na, 3);
  for (int threads = 2; threads <= 4; threads++) {
    char sub[32];
    snprintf(sub, sizeof sub, "t%d", threads);
    feed(sub, threads, rows);
    int nb = list_files(dir_of(sub), b, 16);
    CHECK_EQ_INT(nb, na);
    for (int i = 0; i < na && i < nb; i++) {
      size_t la = 0, lb = 0;
      uint8_t *x = slurp(dir_of("one"), a[i], &la), *y = slurp(dir_of(sub), b[i], &lb);
      CHECK(x && y);
      CHECK(la > 1000);
      CHECK_EQ_INT((int64_t)lb, (int64_t)la);
      bool same = x && y && la == lb && memcmp(x, y, la) == 0;
      if (!same) fprintf(stderr, "threads %d: file %d (%s) differs from one thread's (%s)\n", threads, i, b[i], a[i]);
      CHECK(same);
      free(x);
      free(y);
    }
  }
}

typedef struct producer {
  prestige_sink_t *s;
  int id;
  int fails;
} producer_t;

enum { PER_PRODUCER = 20000 };

static void *produce(void *arg) {
  producer_t *p = arg;
  prestige_sink_client_t *c = prestige_sink_client_new(p->s);
  prestige_error_t err;
  char buf[48];
  prestige_str_t tags[2];
  uint64_t rng = 88172645463325252ULL + (uint64_t)p->id;
  for (int64_t i = 0; i < PER_PRODUCER; i++) {
    event_t e = make_event(p->id * 1000000 + i, buf, tags, &rng);
    if (prestige_sink_write(c, &e, &err)) p->fails++;
  }
  if (prestige_sink_client_free(c, &err)) p->fails++;
  return NULL;
}

TEST(producers_rows_once_in_client_order) {
  prestige_error_t err;
  prestige_sink_options_t o;
  prestige_sink_options_init(&o);
  o.name = "events";
  o.dir = dir_of("producers");
  o.max_rows = 17000;
  o.writer.threads = 3;
  o.writer.row_group_rows = 5000;
  prestige_sink_t *s = NULL;
  CHECK_OK(prestige_sink_open(&s, &o, event_record(), NULL, &err));
  if (!s) return;
  CHECK_OK(prestige_sink_start(s, &err));
  producer_t p[4];
  pthread_t t[4];
  for (int i = 0; i < 4; i++) {
    p[i] = (producer_t){s, i + 1, 0};
    pthread_create(&t[i], NULL, produce, &p[i]);
  }
  for (int i = 0; i < 4; i++) {
    pthread_join(t[i], NULL);
    CHECK_EQ_INT(p[i].fails, 0);
  }
  prestige_sink_manifest_t fin;
  CHECK_OK(prestige_sink_close(s, &fin, &err));
  prestige_sink_manifest_release(&fin);
  /* every id once; each producer's ids ascending in file-then-row order */
  static char names[64][256];
  int n = list_files(dir_of("producers"), names, 64);
  CHECK(n >= 5);
  int64_t last[5] = {-1, -1, -1, -1, -1}, count[5] = {0}, out_of_order = 0, total = 0;
  for (int i = 0; i < n; i++) {
    char path[1400];
    snprintf(path, sizeof path, "%s/%s", dir_of("producers"), names[i]);
    prestige_records_t back = {0};
    CHECK_OK(prestige_record_read_file(event_record(), path, NULL, &back, &err));
    const event_t *ev = back.items;
    for (size_t j = 0; j < back.n; j++) {
      int pid = (int)(ev[j].id / 1000000);
      int64_t k = ev[j].id % 1000000;
      if (pid < 1 || pid > 4) {
        out_of_order++;
        continue;
      }
      if (k != last[pid] + 1) out_of_order++;
      last[pid] = k;
      count[pid]++;
      total++;
    }
    prestige_records_release(&back);
  }
  CHECK_EQ_INT(total, 4 * PER_PRODUCER);
  CHECK_EQ_INT(out_of_order, 0);
  for (int pid = 1; pid <= 4; pid++) CHECK_EQ_INT(count[pid], PER_PRODUCER);
}

TEST(threads_option_checked) {
  prestige_error_t err;
  prestige_sink_options_t o;
  prestige_sink_options_init(&o);
  o.name = "events";
  o.dir = dir_of("bad");
  o.writer.threads = 0;
  prestige_sink_t *s = NULL;
  CHECK_ERR(prestige_sink_open(&s, &o, event_record(), NULL, &err), PRESTIGE_EINVAL, "threads");
  o.writer.threads = PRESTIGE_PARQUET_WRITER_MAX_THREADS + 1;
  CHECK_ERR(prestige_sink_open(&s, &o, event_record(), NULL, &err), PRESTIGE_EINVAL, "threads");
  /* a version 1 writer options struct (before threads) still opens, with one thread */
  o.writer.threads = 1;
  o.writer.version = 1;
  CHECK_OK(prestige_sink_open(&s, &o, event_record(), NULL, &err));
  prestige_sink_manifest_t fin;
  if (s) CHECK_OK(prestige_sink_close(s, &fin, &err));
  if (s) prestige_sink_manifest_release(&fin);
}

TEST_MAIN(RUN(same_files_as_one_thread); RUN(producers_rows_once_in_client_order); RUN(threads_option_checked);)
