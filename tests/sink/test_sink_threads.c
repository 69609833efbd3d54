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

/* Rotated files are finished off the sink thread: a commit still reports every file rotated
 * before it, in rotation order, each finished (renamed) on disk, and on_file sees them in the
 * same order. */
typedef struct seen_files {
  int n;
  char names[64][256];
} seen_files_t;

static void on_file_seen(void *user, const prestige_sink_file_t *f) {
  seen_files_t *sf = user;
  if (sf->n < 64) {
    const char *b = strrchr(f->path, '/');
    snprintf(sf->names[sf->n++], 256, "%s", b ? b + 1 : f->path);
  }
}

TEST(commit_reports_every_rotated_file) {
  prestige_error_t err;
  prestige_sink_options_t o;
  prestige_sink_options_init(&o);
  o.name = "events";
  o.dir = dir_of("rotated");
  o.max_rows = 1000;
  o.batch_size = 100;
  seen_files_t seen = {0};
  o.on_file = on_file_seen;
  o.user_data = &seen;
  prestige_sink_t *s = NULL;
  CHECK_OK(prestige_sink_open(&s, &o, event_record(), NULL, &err));
  if (!s) return;
  CHECK_OK(prestige_sink_start(s, &err));
  prestige_sink_client_t *c = prestige_sink_client_new(s);
  uint64_t rng = 88172645463325252ULL;
  char buf[48];
  prestige_str_t tags[2];
  int64_t id = 0;
  for (int round = 0; round < 3; round++) {
    int64_t rows = 10537 + round * 1000; /* ten or more rotations, then a part file cut by the commit */
    for (int64_t i = 0; i < rows; i++, id++) {
      event_t e = make_event(id, buf, tags, &rng);
      CHECK_OK(prestige_sink_write(c, &e, &err));
    }
    prestige_sink_manifest_t m;
    CHECK_OK(prestige_sink_commit(c, &m, &err));
    CHECK_EQ_INT(m.rows, rows);
    CHECK_EQ_INT((int64_t)m.n_files, rows / 1000 + 1);
    for (size_t i = 0; i < m.n_files; i++) {
      struct stat st;
      CHECK(stat(m.files[i].path, &st) == 0);
      CHECK_EQ_INT(m.files[i].bytes, (int64_t)st.st_size);
      CHECK_EQ_INT(m.files[i].rows, i + 1 < m.n_files ? 1000 : rows % 1000);
      if (i) CHECK(strcmp(m.files[i - 1].path, m.files[i].path) < 0);
    }
    prestige_sink_manifest_release(&m);
  }
  CHECK_OK(prestige_sink_client_free(c, &err));
  prestige_sink_manifest_t fin;
  CHECK_OK(prestige_sink_close(s, &fin, &err));
  CHECK_EQ_INT(fin.rows, 0);
  prestige_sink_manifest_release(&fin);
  static char names[64][256];
  int n = list_files(dir_of("rotated"), names, 64);
  CHECK_EQ_INT(n, 11 + 12 + 13);
  CHECK_EQ_INT(seen.n, n);
  for (int i = 0; i < n && i < seen.n; i++) CHECK_EQ_STR(seen.names[i], names[i]);
  /* every id once, in order (one client) */
  int64_t next = 0, bad = 0;
  for (int i = 0; i < n; i++) {
    char path[1400];
    snprintf(path, sizeof path, "%s/%s", dir_of("rotated"), names[i]);
    prestige_records_t back = {0};
    CHECK_OK(prestige_record_read_file(event_record(), path, NULL, &back, &err));
    const event_t *ev = back.items;
    for (size_t j = 0; j < back.n; j++)
      if (ev[j].id != next++) bad++;
    prestige_records_release(&back);
  }
  CHECK_EQ_INT(next, id);
  CHECK_EQ_INT(bad, 0);
}

/* Eight producers committing and checkpointing while files rotate every 777 rows: the commits'
 * manifests and the final one name every file once and add up to every row, and every row is in
 * the files once. */
enum { COMMITTERS = 8, PER_COMMITTER = 6000 };

typedef struct committer {
  prestige_sink_t *s;
  int id;
  int fails;
  int64_t rows;   /* rows in the manifests this producer got */
  int n_files;
  char files[128][256];
} committer_t;

static void *produce_and_commit(void *arg) {
  committer_t *p = arg;
  prestige_sink_client_t *c = prestige_sink_client_new(p->s);
  prestige_error_t err;
  char buf[48];
  prestige_str_t tags[2];
  uint64_t rng = 88172645463325252ULL + (uint64_t)p->id;
  for (int64_t i = 0; i < PER_COMMITTER; i++) {
    event_t e = make_event(p->id * 1000000 + i, buf, tags, &rng);
    if (prestige_sink_write(c, &e, &err)) p->fails++;
    if (i % 1500 == 1499) {
      prestige_sink_manifest_t m;
      bool ckpt = (i / 1500 + p->id) % 2;
      if ((ckpt ? prestige_sink_checkpoint(c, &m, &err) : prestige_sink_commit(c, &m, &err))) {
        p->fails++;
        continue;
      }
      p->rows += m.rows;
      for (size_t k = 0; k < m.n_files && p->n_files < 128; k++) {
        const char *b = strrchr(m.files[k].path, '/');
        snprintf(p->files[p->n_files++], 256, "%s", b ? b + 1 : m.files[k].path);
      }
      prestige_sink_manifest_release(&m);
    }
  }
  if (prestige_sink_client_free(c, &err)) p->fails++;
  return NULL;
}

TEST(eight_producers_commits_name_every_file_once) {
  prestige_error_t err;
  prestige_sink_options_t o;
  prestige_sink_options_init(&o);
  o.name = "events";
  o.dir = dir_of("committers");
  o.max_rows = 777;
  o.batch_size = 200;
  o.writer.threads = 2;
  prestige_sink_t *s = NULL;
  CHECK_OK(prestige_sink_open(&s, &o, event_record(), NULL, &err));
  if (!s) return;
  CHECK_OK(prestige_sink_start(s, &err));
  static committer_t p[COMMITTERS];
  pthread_t t[COMMITTERS];
  for (int i = 0; i < COMMITTERS; i++) {
    memset(&p[i], 0, sizeof p[i]);
    p[i].s = s;
    p[i].id = i + 1;
    pthread_create(&t[i], NULL, produce_and_commit, &p[i]);
  }
  int64_t reported = 0;
  static char listed[512][256];
  int n_listed = 0;
  for (int i = 0; i < COMMITTERS; i++) {
    pthread_join(t[i], NULL);
    CHECK_EQ_INT(p[i].fails, 0);
    reported += p[i].rows;
    for (int k = 0; k < p[i].n_files && n_listed < 512; k++) memcpy(listed[n_listed++], p[i].files[k], 256);
  }
  prestige_sink_manifest_t fin;
  CHECK_OK(prestige_sink_close(s, &fin, &err));
  reported += fin.rows;
  for (size_t k = 0; k < fin.n_files && n_listed < 512; k++) {
    const char *b = strrchr(fin.files[k].path, '/');
    snprintf(listed[n_listed++], 256, "%s", b ? b + 1 : fin.files[k].path);
  }
  prestige_sink_manifest_release(&fin);
  CHECK_EQ_INT(reported, COMMITTERS * PER_COMMITTER);
  static char names[512][256];
  int n = list_files(dir_of("committers"), names, 512);
  CHECK_EQ_INT(n_listed, n);
  qsort(listed, (size_t)n_listed, 256, (int (*)(const void *, const void *))strcmp);
  for (int i = 0; i < n && i < n_listed; i++) CHECK_EQ_STR(listed[i], names[i]);
  int64_t count[COMMITTERS + 1] = {0}, last[COMMITTERS + 1], total = 0, bad = 0;
  for (int i = 0; i <= COMMITTERS; i++) last[i] = -1;
  for (int i = 0; i < n; i++) {
    char path[1400];
    snprintf(path, sizeof path, "%s/%s", dir_of("committers"), names[i]);
    prestige_records_t back = {0};
    CHECK_OK(prestige_record_read_file(event_record(), path, NULL, &back, &err));
    const event_t *ev = back.items;
    for (size_t j = 0; j < back.n; j++) {
      int pid = (int)(ev[j].id / 1000000);
      int64_t k = ev[j].id % 1000000;
      if (pid < 1 || pid > COMMITTERS || k != last[pid] + 1) {
        bad++;
        continue;
      }
      last[pid] = k;
      count[pid]++;
      total++;
    }
    prestige_records_release(&back);
  }
  CHECK_EQ_INT(total, COMMITTERS * PER_COMMITTER);
  CHECK_EQ_INT(bad, 0);
  for (int i = 1; i <= COMMITTERS; i++) CHECK_EQ_INT(count[i], PER_COMMITTER);
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

TEST_MAIN(RUN(same_files_as_one_thread); RUN(producers_rows_once_in_client_order); RUN(commit_reports_every_rotated_file);
          RUN(eight_producers_commits_name_every_file_once); RUN(threads_option_checked);)
