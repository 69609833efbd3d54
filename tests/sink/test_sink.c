/* ParquetSink: rotation by rows, bytes, time and commit with exact counts; typed records from
 * several threads exactly once; manifests; uploads to a local-directory bucket; crash recovery of
 * leftovers; shutdown token; writes after close; metrics. */
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "prestige/metrics.h"
#include "prestige/parquet_reader.h"
#include "prestige/sink.h"
#include "prestige/store.h"
#include "prestige/upload.h"
#include "test.h"

#define EVENT(F)             \
  F(ts, TIMESTAMP(MILLI, "UTC")) \
  F(id, I64)                 \
  F(source, STRING)          \
  F(tags, LIST(STRING))      \
  F(score, OPTIONAL(F64))
PRESTIGE_RECORD(event, EVENT)

static char *dir_of(const char *sub) {
  static char d[8][1024];
  static int k;
  char *p = d[k++ % 8];
  snprintf(p, 1024, "%s/%s", test_tmpdir(), sub);
  return p;
}

/* Parquet files named <name>.<ts>.parquet in dir, sorted; returns count; rows per file in rows[]. */
/* Finished files (NAME*.parquet) in dir, waiting up to TEST_WAIT_MS for at least `want` of them:
 * the sink's thread finishes files in its own time, which a loaded machine stretches. */
static int wait_parquet(const char *dir, const char *name, int want) {
  int n = 0;
  for (int waited = 0;; waited += 20) {
    n = 0;
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d))) {
      size_t l = strlen(e->d_name);
      if (!strncmp(e->d_name, name, strlen(name)) && l >= 8 && !strcmp(e->d_name + l - 8, ".parquet")) n++;
    }
    if (d) closedir(d);
    if (n >= want || waited >= TEST_WAIT_MS) return n;
    usleep(20000);
  }
}

static int list_parquet(const char *dir, const char *name, int64_t *rows, int max, int64_t *total) {
  DIR *d = opendir(dir);
  char names[256][256];
  int n = 0;
  struct dirent *e;
  while (d && (e = readdir(d)) && n < 256) {
    size_t l = strlen(e->d_name);
    if (strncmp(e->d_name, name, strlen(name)) || l < 8 || strcmp(e->d_name + l - 8, ".parquet")) continue;
    snprintf(names[n++], 256, "%s", e->d_name);
  }
  if (d) closedir(d);
  qsort(names, (size_t)n, 256, (int (*)(const void *, const void *))strcmp);
  if (total) *total = 0;
  for (int i = 0; i < n; i++) {
    char p[1400];
    snprintf(p, sizeof p, "%s/%s", dir, names[i]);
    prestige_parquet_reader_t *r;
    prestige_error_t err;
    CHECK_OK(prestige_parquet_reader_open_file(&r, p, NULL, &err));
    int64_t nr = r ? prestige_parquet_reader_num_rows(r) : -1;
    if (r) prestige_parquet_reader_close(r);
    if (i < max && rows) rows[i] = nr;
    if (total) *total += nr;
  }
  return n;
}

static event_t make_event(int64_t i, char *buf) {
  snprintf(buf, 32, "src-%lld", (long long)(i % 13));
  static prestige_str_t tags[2] = {{"a", 1}, {"bb", 2}};
  event_t e = {.ts = 1700000000000 + i, .id = i, .source = {buf, strlen(buf)}, .tags = {tags, (size_t)(i % 3)}};
  e.score.present = i % 4 != 0;
  e.score.value = (double)i / 2;
  return e;
}

static prestige_sink_t *open_sink(prestige_sink_options_t *o, const char *sub, prestige_error_t *errp) {
  o->name = "events";
  o->dir = dir_of(sub);
  prestige_sink_t *s = NULL;
  prestige_error_t err;
  CHECK_OK(prestige_sink_open(&s, o, event_record(), NULL, &err));
  if (errp) *errp = err;
  return s;
}

TEST(rotation_by_rows_exact) {
  prestige_error_t err;
  prestige_sink_options_t o;
  prestige_sink_options_init(&o);
  o.max_rows = 1000;
  o.batch_size = 333; /* batches straddle file boundaries */
  prestige_sink_t *s = open_sink(&o, "rows", &err);
  CHECK_OK(prestige_sink_start(s, &err));
  prestige_sink_client_t *c = prestige_sink_client_new(s);
  char buf[32];
  for (int64_t i = 0; i < 3500; i++) {
    event_t e = make_event(i, buf);
    CHECK_OK(prestige_sink_write(c, &e, &err));
  }
  prestige_sink_manifest_t m;
  CHECK_OK(prestige_sink_commit(c, &m, &err));
  CHECK_EQ_INT(m.n_files, 4);
  CHECK_EQ_INT(m.rows, 3500);
  if (m.n_files == 4) {
    CHECK_EQ_INT(m.files[0].rows, 1000);
    CHECK_EQ_INT(m.files[3].rows, 500);
    CHECK(m.files[0].has_timestamps && m.files[0].min_timestamp_ms == 1700000000000 &&
          m.files[0].max_timestamp_ms == 1700000000999);
    CHECK(m.files[0].key == NULL); /* no uploader */
    struct stat sb;
    CHECK(stat(m.files[1].path, &sb) == 0 && sb.st_size == m.files[1].bytes);
  }
  char *j = prestige_sink_manifest_json(&m);
  CHECK(j && strstr(j, "\"rows\":3500") != NULL);
  free(j);
  prestige_sink_manifest_release(&m);
  /* a commit with nothing new: empty manifest, no empty file */
  CHECK_OK(prestige_sink_commit(c, &m, &err));
  CHECK_EQ_INT(m.n_files, 0);
  prestige_sink_manifest_release(&m);
  CHECK_OK(prestige_sink_client_free(c, &err));
  CHECK_OK(prestige_sink_close(s, NULL, &err));
  int64_t rows[16], total;
  CHECK_EQ_INT(list_parquet(dir_of("rows"), "events.", rows, 16, &total), 4);
  CHECK_EQ_INT(total, 3500);
  CHECK(rows[0] == 1000 && rows[1] == 1000 && rows[2] == 1000 && rows[3] == 500);
  /* the records read back equal what was written */
  prestige_records_t back = {0};
  char p[1400];
  DIR *d = opendir(dir_of("rows"));
  struct dirent *e;
  int64_t sum = 0, n = 0;
  while ((e = readdir(d))) {
    if (!strstr(e->d_name, ".parquet")) continue;
    snprintf(p, sizeof p, "%s/%s", dir_of("rows"), e->d_name);
    CHECK_OK(prestige_record_read_file(event_record(), p, NULL, &back, &err));
    const event_t *ev = back.items;
    for (size_t i = 0; i < back.n; i++) {
      sum += ev[i].id;
      n++;
      char b2[32];
      event_t want = make_event(ev[i].id, b2);
      CHECK(ev[i].ts == want.ts && ev[i].tags.len == want.tags.len && ev[i].score.present == want.score.present &&
            ev[i].source.len == want.source.len && !memcmp(ev[i].source.ptr, want.source.ptr, want.source.len));
    }
    prestige_records_release(&back);
  }
  closedir(d);
  CHECK_EQ_INT(n, 3500);
  CHECK_EQ_INT(sum, 3500LL * 3499 / 2);
}

TEST(rotation_by_bytes) {
  prestige_error_t err;
  prestige_sink_options_t o;
  prestige_sink_options_init(&o);
  o.max_rows = 0;
  o.max_size_bytes = 64 * 1024;
  o.writer.compression = PRESTIGE_COMPRESSION_UNCOMPRESSED;
  o.writer.row_group_rows = 2048; /* bytes become visible as row groups are flushed */
  o.writer.dictionary = false;
  prestige_sink_t *s = open_sink(&o, "bytes", &err);
  CHECK_OK(prestige_sink_start(s, &err));
  prestige_sink_client_t *c = prestige_sink_client_new(s);
  char buf[32];
  for (int64_t i = 0; i < 40000; i++) {
    event_t e = make_event(i, buf);
    CHECK_OK(prestige_sink_write(c, &e, &err));
  }
  prestige_sink_manifest_t m;
  CHECK_OK(prestige_sink_commit(c, &m, &err));
  CHECK(m.n_files >= 4);
  CHECK_EQ_INT(m.rows, 40000);
  int over = 0;
  for (size_t i = 0; i + 1 < m.n_files; i++) /* every file but the last reached the limit, none by far */
    if (m.files[i].bytes < 64 * 1024 || m.files[i].bytes > 3 * 64 * 1024) over++;
  CHECK_EQ_INT(over, 0);
  printf("bytes rotation: %zu files of ~%lld bytes for 40000 rows\n", m.n_files, (long long)m.files[0].bytes);
  prestige_sink_manifest_release(&m);
  prestige_sink_client_free(c, &err);
  CHECK_OK(prestige_sink_close(s, NULL, &err));
}

TEST(rotation_by_time) {
  prestige_error_t err;
  prestige_sink_options_t o;
  prestige_sink_options_init(&o);
  o.rotation_interval_ms = 300;
  o.batch_size = 10;
  prestige_sink_t *s = open_sink(&o, "time", &err);
  CHECK_OK(prestige_sink_start(s, &err));
  prestige_sink_client_t *c = prestige_sink_client_new(s);
  char buf[32];
  /* 10 rows, then the interval rotates the file (no commit, no row limit); three times: three
   * files. Each rotation is waited for rather than given a fixed time, so that a loaded machine,
   * whose sink thread may run late, cannot merge two batches into one file. */
  for (int k = 0; k < 3; k++) {
    for (int64_t i = 0; i < 10; i++) {
      event_t e = make_event(k * 10 + i, buf);
      CHECK_OK(prestige_sink_write(c, &e, &err));
    }
    CHECK_EQ_INT(wait_parquet(dir_of("time"), "events.", k + 1), k + 1);
  }
  int64_t rows[8], total;
  CHECK_EQ_INT(list_parquet(dir_of("time"), "events.", rows, 8, &total), 3);
  CHECK_EQ_INT(total, 30);
  prestige_sink_manifest_t m;
  CHECK_OK(prestige_sink_commit(c, &m, &err));
  CHECK_EQ_INT(m.n_files, 3);
  CHECK_EQ_INT(m.rows, 30);
  prestige_sink_manifest_release(&m);
  prestige_sink_client_free(c, &err);
  CHECK_OK(prestige_sink_close(s, NULL, &err));
}

TEST(rotation_by_commit) {
  prestige_error_t err;
  prestige_sink_options_t o;
  prestige_sink_options_init(&o);
  prestige_sink_t *s = open_sink(&o, "commit", &err);
  CHECK_OK(prestige_sink_start(s, &err));
  prestige_sink_client_t *c = prestige_sink_client_new(s);
  char buf[32];
  for (int k = 0; k < 5; k++) {
    for (int64_t i = 0; i < 7; i++) {
      event_t e = make_event(k * 7 + i, buf);
      CHECK_OK(prestige_sink_write(c, &e, &err));
    }
    prestige_sink_manifest_t m;
    CHECK_OK(prestige_sink_commit(c, &m, &err));
    CHECK_EQ_INT(m.n_files, 1);
    CHECK_EQ_INT(m.rows, 7);
    prestige_sink_manifest_release(&m);
  }
  prestige_sink_client_free(c, &err);
  CHECK_OK(prestige_sink_close(s, NULL, &err));
  int64_t total;
  CHECK_EQ_INT(list_parquet(dir_of("commit"), "events.", NULL, 0, &total), 5);
  CHECK_EQ_INT(total, 35);
}

typedef struct producer {
  prestige_sink_t *s;
  int id;
  int fails;
} producer_t;

static void *produce(void *arg) {
  producer_t *p = arg;
  prestige_sink_client_t *c = prestige_sink_client_new(p->s);
  prestige_error_t err;
  char buf[32];
  for (int64_t i = 0; i < 25000; i++) {
    event_t e = make_event(p->id * 1000000 + i, buf);
    if (prestige_sink_write(c, &e, &err)) p->fails++;
  }
  prestige_sink_manifest_t m;
  if (prestige_sink_commit(c, &m, &err)) p->fails++;
  prestige_sink_manifest_release(&m);
  if (prestige_sink_client_free(c, &err)) p->fails++;
  return NULL;
}

TEST(threads_upload_exactly_once) {
  prestige_error_t err;
  prestige_metrics_use_registry();
  prestige_metrics_registry_reset();
  prestige_store_t *bucket;
  CHECK_OK(prestige_store_open_local(&bucket, dir_of("bucket"), &err));
  prestige_upload_options_t uo;
  prestige_upload_options_init(&uo);
  uo.key_prefix = "events/";
  uo.remove_local = true;
  prestige_file_upload_t *up;
  CHECK_OK(prestige_file_upload_new(&up, bucket, &uo, &err));
  prestige_sink_options_t o;
  prestige_sink_options_init(&o);
  o.max_rows = 9000;
  o.upload = up;
  o.metrics_label = "threads";
  prestige_sink_t *s = open_sink(&o, "threads", &err);
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
  /* local files were removed after their confirmed upload; the bucket holds 100000 rows, each id once */
  CHECK_EQ_INT(list_parquet(dir_of("threads"), "events.", NULL, 0, NULL), 0);
  char bdir[1100];
  snprintf(bdir, sizeof bdir, "%s/events", dir_of("bucket"));
  int64_t total;
  int files = list_parquet(bdir, "events.", NULL, 0, &total);
  CHECK(files >= 12 && files <= 15); /* ceil(100000 / 9000), plus one cut by each producer's commit */
  CHECK_EQ_INT(total, 100000);
  char sql[2048];
  snprintf(sql, sizeof sql,
           "SELECT count(*) n, count(DISTINCT id) d, sum(id) s FROM read_parquet('%s/*.parquet')", bdir);
  char *j = test_duckdb_json(sql);
  long long want = 0;
  for (int pid = 1; pid <= 4; pid++) want += 25000LL * pid * 1000000 + 25000LL * 24999 / 2;
  char exp[256];
  snprintf(exp, sizeof exp, "[{\"n\":\"100000\",\"d\":\"100000\",\"s\":\"%lld\"}]", want);
  CHECK(j && strstr(j, exp) != NULL);
  if (j && !strstr(j, exp)) fprintf(stderr, "duckdb: %s want %s\n", j, exp);
  free(j);
  double v = 0;
  prestige_label_t l[1] = {{"sink", "threads"}};
  CHECK_OK(prestige_metrics_value("prestige.file_sink.records_written", l, 1, &v, NULL, &err));
  CHECK_EQ_INT((int64_t)v, 100000);
  CHECK_OK(prestige_metrics_value("prestige.file_sink.files_created", l, 1, &v, NULL, &err));
  CHECK_EQ_INT((int64_t)v, files);
  CHECK_OK(prestige_metrics_value("prestige.file_sink.write_duration_ms", l, 1, &v, NULL, &err));
  CHECK(v > 0);
  prestige_metrics_use_none();
  prestige_file_upload_free(up);
  prestige_store_free(bucket);
}

static void touch(const char *dir, const char *name, const char *content) {
  char p[1400];
  snprintf(p, sizeof p, "%s/%s", dir, name);
  FILE *f = fopen(p, "w");
  if (f) {
    fputs(content, f);
    fclose(f);
  }
}

TEST(crash_recovery_of_leftovers) {
  prestige_error_t err;
  /* a finished file and an unfinished one, as a crash leaves them */
  prestige_sink_options_t o;
  prestige_sink_options_init(&o);
  prestige_sink_t *s = open_sink(&o, "recover", &err);
  prestige_sink_client_t *c = prestige_sink_client_new(s);
  CHECK_OK(prestige_sink_start(s, &err));
  char buf[32];
  for (int64_t i = 0; i < 50; i++) {
    event_t e = make_event(i, buf);
    CHECK_OK(prestige_sink_write(c, &e, &err));
  }
  prestige_sink_manifest_t m;
  CHECK_OK(prestige_sink_commit(c, &m, &err));
  prestige_sink_manifest_release(&m);
  prestige_sink_client_free(c, &err);
  CHECK_OK(prestige_sink_close(s, NULL, &err));
  const char *dir = dir_of("recover");
  touch(dir, "events.1700000000123.parquet.tmp", "half a file");
  touch(dir, "other.1700000000123.parquet.tmp", "not ours");
  /* reopen with an uploader: the finished file is uploaded, the unfinished one set aside */
  prestige_store_t *bucket;
  CHECK_OK(prestige_store_open_local(&bucket, dir_of("recover-bucket"), &err));
  prestige_upload_options_t uo;
  prestige_upload_options_init(&uo);
  prestige_file_upload_t *up;
  CHECK_OK(prestige_file_upload_new(&up, bucket, &uo, &err));
  o.upload = up;
  s = open_sink(&o, "recover", &err);
  size_t moved, deleted;
  CHECK_EQ_INT(prestige_sink_recovered_files(s, &moved, &deleted), 1);
  CHECK_EQ_INT(moved, 1);
  CHECK_EQ_INT(deleted, 0);
  char p[1400];
  snprintf(p, sizeof p, "%s/.incomplete/events.1700000000123.parquet.tmp", dir);
  CHECK(access(p, F_OK) == 0);
  snprintf(p, sizeof p, "%s/other.1700000000123.parquet.tmp", dir);
  CHECK(access(p, F_OK) == 0); /* another sink's file is left alone */
  CHECK_OK(prestige_sink_start(s, &err));
  c = prestige_sink_client_new(s);
  CHECK_OK(prestige_sink_commit(c, &m, &err)); /* reports the recovered upload */
  CHECK_EQ_INT(m.n_files, 1);
  CHECK_EQ_INT(m.rows, 50);
  CHECK(m.n_files == 1 && m.files[0].key && strncmp(m.files[0].key, "events.", 7) == 0);
  prestige_sink_manifest_release(&m);
  prestige_sink_client_free(c, &err);
  CHECK_OK(prestige_sink_close(s, NULL, &err));
  int64_t total;
  CHECK_EQ_INT(list_parquet(dir_of("recover-bucket"), "events.", NULL, 0, &total), 1);
  CHECK_EQ_INT(total, 50);
  /* reopened again: the bucket already holds it at the same size, so nothing is uploaded twice */
  touch(dir, "events.1700000000999.parquet.tmp", "x");
  o.auto_commit = false;
  s = open_sink(&o, "recover", &err);
  CHECK_EQ_INT(prestige_sink_recovered_files(s, &moved, &deleted), 0); /* removed locally after upload */
  CHECK_EQ_INT(deleted, 1); /* without auto-commit unfinished files are deleted */
  CHECK_OK(prestige_sink_close(s, NULL, &err));
  prestige_file_upload_free(up);
  prestige_store_free(bucket);
}

TEST(shutdown_token_and_closed_sink) {
  prestige_error_t err;
  prestige_shutdown_t *tok = prestige_shutdown_new();
  prestige_sink_options_t o;
  prestige_sink_options_init(&o);
  o.shutdown = tok;
  o.batch_size = 1;
  prestige_sink_t *s = open_sink(&o, "token", &err);
  CHECK_OK(prestige_sink_start(s, &err));
  prestige_sink_client_t *c = prestige_sink_client_new(s);
  char buf[32];
  for (int64_t i = 0; i < 20; i++) {
    event_t e = make_event(i, buf);
    CHECK_OK(prestige_sink_write(c, &e, &err));
  }
  prestige_shutdown_trigger(tok);
  /* the sink notices, writes what it has, stops: its file appears when it is done */
  CHECK_EQ_INT(wait_parquet(dir_of("token"), "events.", 1), 1);
  event_t e = make_event(99, buf);
  CHECK_ERR(prestige_sink_write(c, &e, &err), PRESTIGE_ESHUTDOWN, "shut down");
  int64_t total;
  CHECK_EQ_INT(list_parquet(dir_of("token"), "events.", NULL, 0, &total), 1);
  CHECK_EQ_INT(total, 20); /* nothing written before the shutdown was lost */
  prestige_sink_client_free(c, NULL);
  CHECK_OK(prestige_sink_close(s, NULL, &err));
  prestige_shutdown_free(tok);
  /* bad options */
  prestige_sink_t *bad;
  prestige_sink_options_init(&o);
  CHECK_ERR(prestige_sink_open(&bad, &o, event_record(), NULL, &err), PRESTIGE_EINVAL, "name");
  o.name = "x";
  CHECK_ERR(prestige_sink_open(&bad, &o, event_record(), NULL, &err), PRESTIGE_EINVAL, "directory");
  o.dir = dir_of("bad");
  o.timestamp_column = "nope";
  CHECK_ERR(prestige_sink_open(&bad, &o, event_record(), NULL, &err), PRESTIGE_EINVAL, "no timestamp column named nope");
}

TEST(failed_upload_loses_nothing) {
  prestige_error_t err;
  /* a bucket that cannot be reached: the commit fails, the files stay, a restart uploads them */
  prestige_s3_config_t cfg;
  prestige_s3_config_init(&cfg);
  cfg.endpoint = "http://127.0.0.1:9";
  cfg.access_key = "k";
  cfg.secret_key = "s";
  cfg.max_retries = 0;
  cfg.connect_timeout_ms = 500;
  prestige_s3_client_t *cl;
  CHECK_OK(prestige_s3_client_new(&cl, &cfg, &err));
  prestige_store_t *dead;
  CHECK_OK(prestige_store_open_s3(&dead, cl, "nowhere", NULL, &err));
  prestige_upload_options_t uo;
  prestige_upload_options_init(&uo);
  uo.max_attempts = 2;
  uo.retry_delay_ms = 10;
  uo.remove_local = true;
  prestige_file_upload_t *up;
  CHECK_OK(prestige_file_upload_new(&up, dead, &uo, &err));
  prestige_sink_options_t o;
  prestige_sink_options_init(&o);
  o.upload = up;
  o.max_rows = 100;
  prestige_sink_t *s = open_sink(&o, "deadbucket", &err);
  CHECK_OK(prestige_sink_start(s, &err));
  prestige_sink_client_t *c = prestige_sink_client_new(s);
  char buf[32];
  for (int64_t i = 0; i < 250; i++) {
    event_t e = make_event(i, buf);
    CHECK_OK(prestige_sink_write(c, &e, &err));
  }
  prestige_sink_manifest_t m;
  CHECK_ERR(prestige_sink_commit(c, &m, &err), PRESTIGE_ENET, "127.0.0.1:9");
  int64_t total;
  CHECK_EQ_INT(list_parquet(dir_of("deadbucket"), "events.", NULL, 0, &total), 3); /* all still here */
  CHECK_EQ_INT(total, 250);
  prestige_sink_client_free(c, NULL);
  prestige_sink_close(s, NULL, NULL); /* its final commit fails the same way */
  prestige_file_upload_free(up);
  prestige_store_free(dead);
  prestige_s3_client_free(cl);
  CHECK_EQ_INT(list_parquet(dir_of("deadbucket"), "events.", NULL, 0, &total), 3);
  /* restarted with a reachable bucket: recovery uploads all three, the commit reports them */
  prestige_store_t *ok;
  CHECK_OK(prestige_store_open_local(&ok, dir_of("deadbucket-ok"), &err));
  CHECK_OK(prestige_file_upload_new(&up, ok, &uo, &err));
  o.upload = up;
  s = open_sink(&o, "deadbucket", &err);
  CHECK_EQ_INT(prestige_sink_recovered_files(s, NULL, NULL), 3);
  CHECK_OK(prestige_sink_start(s, &err));
  c = prestige_sink_client_new(s);
  CHECK_OK(prestige_sink_commit(c, &m, &err));
  CHECK_EQ_INT(m.rows, 250);
  prestige_sink_manifest_release(&m);
  prestige_sink_client_free(c, NULL);
  CHECK_OK(prestige_sink_close(s, NULL, &err));
  CHECK_EQ_INT(list_parquet(dir_of("deadbucket-ok"), "events.", NULL, 0, &total), 3);
  CHECK_EQ_INT(total, 250);
  CHECK_EQ_INT(list_parquet(dir_of("deadbucket"), "events.", NULL, 0, NULL), 0); /* removed once uploaded */
  prestige_file_upload_free(up);
  prestige_store_free(ok);
}

/* ids of every row of the events.* files in dir, in file then row order; returns the count */
static int64_t read_ids(const char *dir, int64_t *ids, int64_t max) {
  DIR *d = opendir(dir);
  char names[64][256];
  int n = 0;
  struct dirent *e;
  while (d && (e = readdir(d)) && n < 64) {
    size_t l = strlen(e->d_name);
    if (!strncmp(e->d_name, "events.", 7) && l > 8 && !strcmp(e->d_name + l - 8, ".parquet")) snprintf(names[n++], 256, "%s", e->d_name);
  }
  if (d) closedir(d);
  qsort(names, (size_t)n, 256, (int (*)(const void *, const void *))strcmp);
  int64_t k = 0;
  for (int i = 0; i < n; i++) {
    char p[1400];
    snprintf(p, sizeof p, "%s/%s", dir, names[i]);
    prestige_records_t back = {0};
    prestige_error_t err;
    CHECK_OK(prestige_record_read_file(event_record(), p, NULL, &back, &err));
    const event_t *ev = back.items;
    for (size_t j = 0; j < back.n; j++, k++)
      if (k < max) ids[k] = ev[j].id;
    prestige_records_release(&back);
  }
  return k;
}

static void write_range(prestige_sink_client_t *c, int64_t from, int64_t to) {
  prestige_error_t err;
  char buf[32];
  for (int64_t i = from; i < to; i++) {
    event_t e = make_event(i, buf);
    CHECK_OK(prestige_sink_write(c, &e, &err));
  }
}

static int count_suffix(const char *dir, const char *suffix) {
  DIR *d = opendir(dir);
  int n = 0;
  struct dirent *e;
  size_t sl = strlen(suffix);
  while (d && (e = readdir(d))) {
    size_t l = strlen(e->d_name);
    if (l >= sl && !strcmp(e->d_name + l - sl, suffix)) n++;
  }
  if (d) closedir(d);
  return n;
}

/* A checkpoint makes the rows durable without cutting the file: files still grow to max_rows, and
 * each checkpoint ends a row group. */
TEST(checkpoint_keeps_file_growing) {
  prestige_error_t err;
  prestige_sink_options_t o;
  prestige_sink_options_init(&o);
  o.max_rows = 1000;
  prestige_sink_t *s = open_sink(&o, "ckpt", &err);
  CHECK_OK(prestige_sink_start(s, &err));
  prestige_sink_client_t *c = prestige_sink_client_new(s);
  const char *dir = dir_of("ckpt");
  prestige_sink_manifest_t m;
  write_range(c, 0, 100);
  CHECK_OK(prestige_sink_checkpoint(c, &m, &err));
  CHECK_EQ_INT(m.n_files, 0);
  CHECK_EQ_INT(m.open_rows, 100);
  prestige_sink_manifest_release(&m);
  CHECK_EQ_INT(count_suffix(dir, ".parquet.tmp"), 1);
  CHECK_EQ_INT(count_suffix(dir, ".parquet.tmp.ckpt0"), 1);
  CHECK_EQ_INT(count_suffix(dir, ".parquet"), 0); /* readers see finished files only */
  write_range(c, 100, 250);
  CHECK_OK(prestige_sink_checkpoint(c, &m, &err));
  CHECK_EQ_INT(m.n_files, 0);
  CHECK_EQ_INT(m.open_rows, 250);
  char *j = prestige_sink_manifest_json(&m);
  CHECK(j && strstr(j, "\"open_rows\":250"));
  free(j);
  prestige_sink_manifest_release(&m);
  /* a checkpoint with nothing new costs nothing and says the same */
  CHECK_OK(prestige_sink_checkpoint(c, &m, &err));
  CHECK_EQ_INT(m.open_rows, 250);
  prestige_sink_manifest_release(&m);
  write_range(c, 250, 1100); /* the file reaches max_rows: finished, 100 rows into the next */
  CHECK_OK(prestige_sink_checkpoint(c, &m, &err));
  CHECK_EQ_INT(m.n_files, 1);
  if (m.n_files == 1) CHECK_EQ_INT(m.files[0].rows, 1000);
  CHECK_EQ_INT(m.open_rows, 100);
  prestige_sink_manifest_release(&m);
  CHECK_EQ_INT(count_suffix(dir, ".ckpt0") + count_suffix(dir, ".ckpt1"), 1); /* the finished file's slots are gone */
  CHECK_OK(prestige_sink_commit(c, &m, &err));
  CHECK_EQ_INT(m.n_files, 1);
  CHECK_EQ_INT(m.open_rows, 0);
  prestige_sink_manifest_release(&m);
  prestige_sink_client_free(c, &err);
  CHECK_OK(prestige_sink_close(s, NULL, &err));
  CHECK_EQ_INT(count_suffix(dir, ".tmp") + count_suffix(dir, ".ckpt0") + count_suffix(dir, ".ckpt1"), 0);
  int64_t rows[4], total;
  CHECK_EQ_INT(list_parquet(dir, "events.", rows, 4, &total), 2);
  CHECK(rows[0] == 1000 && rows[1] == 100);
  /* the first file: one row group per checkpoint (100, 150, then the rest) */
  DIR *d = opendir(dir);
  struct dirent *e;
  char first[1400] = "";
  while (d && (e = readdir(d)))
    if (strstr(e->d_name, ".parquet") && (!first[0] || strcmp(e->d_name, strrchr(first, '/') + 1) < 0))
      snprintf(first, sizeof first, "%s/%s", dir, e->d_name);
  if (d) closedir(d);
  prestige_parquet_reader_t *r;
  CHECK_OK(prestige_parquet_reader_open_file(&r, first, NULL, &err));
  if (r) {
    CHECK_EQ_INT(prestige_parquet_reader_num_row_groups(r), 3);
    prestige_parquet_reader_close(r);
  }
  int64_t ids[1200];
  CHECK_EQ_INT(read_ids(dir, ids, 1200), 1100);
  int wrong = 0;
  for (int64_t i = 0; i < 1100; i++) wrong += ids[i] != i;
  CHECK_EQ_INT(wrong, 0);
  /* DuckDB reads the grown file */
  char q[1600], *js;
  snprintf(q, sizeof q, "SELECT count(*)::VARCHAR n, sum(id)::VARCHAR s FROM read_parquet('%s')", first);
  js = test_duckdb_json(q);
  CHECK_MSG(js && strstr(js, "\"n\":\"1000\",\"s\":\"499500\""), "%s", js ? js : "(null)");
  free(js);
}

/* In a child process: a sink writes `a` records, checkpoints, writes up to `b` with a second
 * checkpoint when ckpt2, then up to `c` records, and dies without closing (a crash). */
static void crash_child(const char *sub, int64_t a, int64_t b, bool ckpt2, int64_t cend) {
  pid_t pid = fork();
  if (pid == 0) {
    prestige_error_t err;
    prestige_sink_options_t o;
    prestige_sink_options_init(&o);
    o.name = "events";
    o.dir = dir_of(sub);
    o.batch_size = 10;
    o.writer.row_group_rows = 25; /* rows after the checkpoint reach the file, to be cut off */
    prestige_sink_t *s;
    if (prestige_sink_open(&s, &o, event_record(), NULL, &err) || prestige_sink_start(s, &err)) _exit(2);
    prestige_sink_client_t *c = prestige_sink_client_new(s);
    char buf[32];
    prestige_sink_manifest_t m;
    for (int64_t i = 0; i < cend; i++) {
      event_t e = make_event(i, buf);
      if (prestige_sink_write(c, &e, &err)) _exit(3);
      if ((i + 1 == a || (ckpt2 && i + 1 == b)) && prestige_sink_checkpoint(c, &m, &err)) _exit(4);
    }
    prestige_sink_client_free(c, &err); /* hands the last records to the sink thread */
    usleep(300000);
    _exit(0); /* no close: as if killed */
  }
  int st = 0;
  waitpid(pid, &st, 0);
  CHECK_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child status %d", st);
}

TEST(checkpoint_survives_crash) {
  prestige_error_t err;
  const char *dir = dir_of("ckptcrash");
  crash_child("ckptcrash", 120, 0, false, 200);
  CHECK_EQ_INT(count_suffix(dir, ".parquet.tmp"), 1);
  CHECK_EQ_INT(count_suffix(dir, ".parquet"), 0);
  /* reopened with an uploader: the file is cut back to its checkpoint, finished and uploaded */
  prestige_store_t *bucket;
  CHECK_OK(prestige_store_open_local(&bucket, dir_of("ckptcrash-bucket"), &err));
  prestige_upload_options_t uo;
  prestige_upload_options_init(&uo);
  uo.remove_local = true;
  prestige_file_upload_t *up;
  CHECK_OK(prestige_file_upload_new(&up, bucket, &uo, &err));
  prestige_sink_options_t o;
  prestige_sink_options_init(&o);
  o.upload = up;
  prestige_sink_t *s = open_sink(&o, "ckptcrash", &err);
  int64_t restored_rows = 0;
  CHECK_EQ_INT(prestige_sink_restored_files(s, &restored_rows), 1);
  CHECK_EQ_INT(restored_rows, 120);
  size_t moved;
  CHECK_EQ_INT(prestige_sink_recovered_files(s, &moved, NULL), 1);
  CHECK_EQ_INT(moved, 0);
  CHECK_EQ_INT(count_suffix(dir, ".tmp") + count_suffix(dir, ".ckpt0") + count_suffix(dir, ".ckpt1"), 0);
  CHECK_OK(prestige_sink_start(s, &err));
  prestige_sink_client_t *c = prestige_sink_client_new(s);
  prestige_sink_manifest_t m;
  CHECK_OK(prestige_sink_commit(c, &m, &err));
  CHECK(m.n_files == 1 && m.files[0].recovered && m.files[0].rows == 120);
  prestige_sink_manifest_release(&m);
  prestige_sink_client_free(c, &err);
  CHECK_OK(prestige_sink_close(s, NULL, &err));
  int64_t ids[300];
  CHECK_EQ_INT(read_ids(dir_of("ckptcrash-bucket"), ids, 300), 120); /* exactly the checkpointed rows, once */
  int wrong = 0;
  for (int64_t i = 0; i < 120; i++) wrong += ids[i] != i;
  CHECK_EQ_INT(wrong, 0);
  prestige_file_upload_free(up);
  prestige_store_free(bucket);

  /* two checkpoints, the newer slot torn (a crash while it was written): the older one is used */
  dir = dir_of("ckpttorn");
  crash_child("ckpttorn", 60, 130, true, 150);
  char slot[1400] = "";
  DIR *d = opendir(dir);
  struct dirent *e;
  while (d && (e = readdir(d)))
    if (strstr(e->d_name, ".ckpt1")) snprintf(slot, sizeof slot, "%s/%s", dir, e->d_name);
  if (d) closedir(d);
  CHECK(slot[0] != 0);
  int fd = open(slot, O_RDWR);
  CHECK(fd >= 0);
  if (fd >= 0) {
    uint8_t x;
    CHECK(pread(fd, &x, 1, 60) == 1);
    x ^= 0x5a;
    CHECK(pwrite(fd, &x, 1, 60) == 1);
    close(fd);
  }
  prestige_sink_options_init(&o);
  s = open_sink(&o, "ckpttorn", &err);
  CHECK_EQ_INT(prestige_sink_restored_files(s, &restored_rows), 1);
  CHECK_EQ_INT(restored_rows, 60);
  CHECK_OK(prestige_sink_close(s, NULL, &err));
  CHECK_EQ_INT(read_ids(dir, ids, 300), 60);
  /* both slots torn: no checkpoint to trust, the file goes to .incomplete as before */
  dir = dir_of("ckptnone");
  crash_child("ckptnone", 40, 0, false, 80);
  d = opendir(dir);
  while (d && (e = readdir(d))) {
    if (!strstr(e->d_name, ".ckpt")) continue;
    char p[1400];
    snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
    truncate(p, 20);
  }
  if (d) closedir(d);
  s = open_sink(&o, "ckptnone", &err);
  CHECK_EQ_INT(prestige_sink_restored_files(s, NULL), 0);
  CHECK_EQ_INT(prestige_sink_recovered_files(s, &moved, NULL), 0);
  CHECK_EQ_INT(moved, 1);
  CHECK_OK(prestige_sink_close(s, NULL, &err));
  CHECK_EQ_INT(count_suffix(dir, ".ckpt0") + count_suffix(dir, ".ckpt1"), 0);
}

/* Stopped by its shutdown token, the sink commits; close hands back that commit's manifest. */
TEST(shutdown_token_final_manifest) {
  prestige_error_t err;
  prestige_shutdown_t *tok = prestige_shutdown_new();
  prestige_sink_options_t o;
  prestige_sink_options_init(&o);
  o.shutdown = tok;
  prestige_sink_t *s = open_sink(&o, "tokenfinal", &err);
  CHECK_OK(prestige_sink_start(s, &err));
  prestige_sink_client_t *c = prestige_sink_client_new(s);
  write_range(c, 0, 30);
  prestige_sink_manifest_t m;
  CHECK_OK(prestige_sink_checkpoint(c, &m, &err));
  prestige_sink_manifest_release(&m);
  write_range(c, 30, 45);
  CHECK_OK(prestige_sink_client_free(c, &err)); /* flushed to the sink before the token */
  prestige_shutdown_trigger(tok);
  usleep(400000);
  prestige_sink_manifest_t fin;
  CHECK_OK(prestige_sink_close(s, &fin, &err));
  CHECK_EQ_INT(fin.n_files, 1);
  CHECK_EQ_INT(fin.rows, 45);
  CHECK_EQ_INT(fin.open_rows, 0);
  prestige_sink_manifest_release(&fin);
  prestige_shutdown_free(tok);
}

/* A typed STRING that is not UTF-8 is refused at the write, naming the record and field. */
TEST(write_refuses_invalid_utf8) {
  prestige_error_t err;
  prestige_sink_options_t o;
  prestige_sink_options_init(&o);
  prestige_sink_t *s = open_sink(&o, "utf8", &err);
  CHECK_OK(prestige_sink_start(s, &err));
  prestige_sink_client_t *c = prestige_sink_client_new(s);
  char b0[32], b1[32], b2[32];
  event_t ev[3] = {make_event(0, b0), make_event(1, b1), make_event(2, b2)};
  ev[1].source = (prestige_str_t){"bad\xe2\x82", 5};
  CHECK_ERR(prestige_sink_write_many(c, ev, 3, &err), PRESTIGE_ECORRUPT, "record 1 of this write");
  CHECK(strstr(err.message, "field source: invalid UTF-8 at byte 4"));
  static prestige_str_t badtags[1] = {{"\xff", 1}};
  ev[1] = make_event(1, b1);
  ev[1].tags = (prestige_list_t){badtags, 1};
  CHECK_ERR(prestige_sink_write(c, &ev[1], &err), PRESTIGE_ECORRUPT, "field tags, element 0");
  CHECK_OK(prestige_sink_write(c, &ev[2], &err));
  prestige_sink_manifest_t m;
  CHECK_OK(prestige_sink_commit(c, &m, &err));
  CHECK_EQ_INT(m.rows, 2); /* the record before the bad one, and the good one after */
  prestige_sink_manifest_release(&m);
  prestige_sink_client_free(c, &err);
  CHECK_OK(prestige_sink_close(s, NULL, &err));
}

TEST_MAIN(RUN(rotation_by_rows_exact); RUN(failed_upload_loses_nothing); RUN(rotation_by_bytes); RUN(rotation_by_time); RUN(rotation_by_commit);
          RUN(threads_upload_exactly_once); RUN(crash_recovery_of_leftovers); RUN(shutdown_token_and_closed_sink);
          RUN(checkpoint_keeps_file_growing); RUN(checkpoint_survives_crash); RUN(shutdown_token_final_manifest);
          RUN(write_refuses_invalid_utf8);)
