/* Local-directory object store: every operation, key validation, atomicity under concurrency,
 * conditional creates racing, listing order and list_files. */
#include <pthread.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <unistd.h>

#include "prestige/store.h"
#include "prestige/upload.h"
#include "test.h"

static prestige_store_t *open_store(const char *sub) {
  char dir[1024];
  snprintf(dir, sizeof dir, "%s/%s", test_tmpdir(), sub);
  prestige_error_t err;
  prestige_store_t *st = NULL;
  CHECK_OK(prestige_store_open(&st, dir, NULL, &err));
  return st;
}

TEST(basic_ops) {
  prestige_error_t err;
  prestige_store_t *st = open_store("basic");
  CHECK(prestige_store_is_local(st));
  CHECK(strncmp(prestige_store_url(st), "file:///", 8) == 0);
  CHECK_OK(prestige_store_put(st, "a/b/c.txt", "hello world", 11, &err));
  uint8_t *d;
  size_t n;
  CHECK_OK(prestige_store_get(st, "a/b/c.txt", &d, &n, &err));
  CHECK_EQ_INT(n, 11);
  CHECK(n == 11 && !memcmp(d, "hello world", 11));
  free(d);
  char buf[5];
  CHECK_OK(prestige_store_get_range(st, "a/b/c.txt", 6, 5, buf, &err));
  CHECK(!memcmp(buf, "world", 5));
  CHECK_ERR(prestige_store_get_range(st, "a/b/c.txt", 8, 5, buf, &err), PRESTIGE_ECORRUPT, "past the end");
  prestige_object_meta_t m;
  CHECK_OK(prestige_store_head(st, "a/b/c.txt", &m, &err));
  CHECK_EQ_INT(m.size, 11);
  CHECK_EQ_STR(m.key, "a/b/c.txt");
  CHECK(m.last_modified_ms > 1700000000000LL);
  prestige_object_meta_clear(&m);
  CHECK_ERR(prestige_store_head(st, "a/b/missing", &m, &err), PRESTIGE_ENOTFOUND, "missing");
  CHECK_ERR(prestige_store_get(st, "nope", &d, &n, &err), PRESTIGE_ENOTFOUND, "nope");
  /* overwrite */
  CHECK_OK(prestige_store_put(st, "a/b/c.txt", "x", 1, &err));
  CHECK_OK(prestige_store_get(st, "a/b/c.txt", &d, &n, &err));
  CHECK_EQ_INT(n, 1);
  free(d);
  /* empty object */
  CHECK_OK(prestige_store_put(st, "empty", "", 0, &err));
  CHECK_OK(prestige_store_get(st, "empty", &d, &n, &err));
  CHECK_EQ_INT(n, 0);
  free(d);
  /* conditional create */
  CHECK_ERR(prestige_store_put_if_absent(st, "a/b/c.txt", "y", 1, &err), PRESTIGE_EEXISTS, "already exists");
  CHECK_OK(prestige_store_put_if_absent(st, "a/new", "y", 1, &err));
  /* delete: present, absent; empty parents vanish */
  CHECK_OK(prestige_store_delete(st, "a/b/c.txt", &err));
  CHECK_OK(prestige_store_delete(st, "a/b/c.txt", &err));
  char p[1200];
  struct stat sb;
  snprintf(p, sizeof p, "%s/a/b", prestige_store_local_dir(st));
  CHECK(stat(p, &sb) != 0);
  snprintf(p, sizeof p, "%s/a", prestige_store_local_dir(st));
  CHECK(stat(p, &sb) == 0); /* still holds a/new */
  /* no temporary files left behind */
  snprintf(p, sizeof p, "%s/.prestige-tmp", prestige_store_local_dir(st));
  int tmp_entries = 0;
  char cmd[1300];
  snprintf(cmd, sizeof cmd, "ls -A '%s' | wc -l", p);
  FILE *f = popen(cmd, "r");
  if (f) {
    if (fscanf(f, "%d", &tmp_entries) != 1) tmp_entries = -1;
    pclose(f);
  }
  CHECK_EQ_INT(tmp_entries, 0);
  prestige_store_free(st);
}

TEST(keys_validated) {
  prestige_error_t err;
  prestige_store_t *st = open_store("keys");
  const char *bad[] = {"../escape", "a/../../b", "/abs", "a//b", "a/./b", "", "a/..", ".prestige-tmp/x", "tab\there"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    CHECK_ERR(prestige_store_put(st, bad[i], "x", 1, &err), PRESTIGE_EINVAL, "invalid key");
    CHECK_ERR(prestige_store_validate_key(st, bad[i], &err), PRESTIGE_EINVAL, "invalid key");
  }
  char longkey[1100];
  memset(longkey, 'k', 1025);
  longkey[1025] = 0;
  CHECK_ERR(prestige_store_put(st, longkey, "x", 1, &err), PRESTIGE_EINVAL, "1024");
  CHECK_ERR(prestige_store_put(st, "bad\xff", "x", 1, &err), PRESTIGE_EINVAL, "UTF-8");
  /* nothing was written outside the directory */
  char p[1200];
  struct stat sb;
  snprintf(p, sizeof p, "%s/escape", test_tmpdir());
  CHECK(stat(p, &sb) != 0);
  CHECK_OK(prestige_store_put(st, "ok/ünï cødé ~.txt", "x", 1, &err));
  prestige_object_meta_t om;
  CHECK_OK(prestige_store_head(st, "ok/ünï cødé ~.txt", &om, &err));
  prestige_object_meta_clear(&om);
  prestige_store_free(st);
  /* an s3 URL store allows S3 keys that a directory cannot hold */
  prestige_store_t *s3;
  setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9", 1);
  CHECK_OK(prestige_store_open(&s3, "s3://some-bucket/pre/fix", NULL, &err));
  CHECK_EQ_STR(prestige_store_url(s3), "s3://some-bucket/pre/fix/");
  CHECK_OK(prestige_store_validate_key(s3, "a//b/../c", &err));
  CHECK_ERR(prestige_store_validate_key(s3, "nul\x01", &err), PRESTIGE_EINVAL, "control");
  prestige_store_free(s3);
  unsetenv("AWS_ENDPOINT_URL");
  CHECK_ERR(prestige_store_open(&s3, "gs://x/y", NULL, &err), PRESTIGE_EINVAL, "unsupported store URL");
  CHECK_ERR(prestige_store_open(&s3, "s3:///nobucket", NULL, &err), PRESTIGE_EINVAL, "bucket");
}

TEST(listing) {
  prestige_error_t err;
  prestige_store_t *st = open_store("list");
  const char *keys[] = {"z", "a/1", "a/2", "a/10", "ab", "a/sub/x", "b/y", "a/sub/w", "a-"};
  for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) CHECK_OK(prestige_store_put(st, keys[i], keys[i], strlen(keys[i]), &err));
  struct {
    const char *prefix, *after, *expect;
  } cases[] = {
      {NULL, NULL, "a-,a/1,a/10,a/2,a/sub/w,a/sub/x,ab,b/y,z"},
      {"a/", NULL, "a/1,a/10,a/2,a/sub/w,a/sub/x"},
      {"a", NULL, "a-,a/1,a/10,a/2,a/sub/w,a/sub/x,ab"},
      {"a/s", NULL, "a/sub/w,a/sub/x"},
      {"a/sub/", "a/sub/w", "a/sub/x"},
      {NULL, "a/sub/x", "ab,b/y,z"},
      {"q", NULL, ""},
      {"a/sub/x/", NULL, ""},
  };
  for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
    prestige_store_list_t *it;
    CHECK_OK(prestige_store_list_open(st, cases[c].prefix, cases[c].after, &it, &err));
    char got[512] = "";
    const prestige_object_meta_t *m;
    while (prestige_store_list_next(it, &m, &err) == 0 && m) {
      if (*got) strcat(got, ",");
      strcat(got, m->key);
      CHECK_EQ_INT(m->size, strlen(m->key));
    }
    prestige_store_list_free(it);
    CHECK_EQ_STR(got, cases[c].expect);
  }
  prestige_store_free(st);
}

TEST(list_files_by_timestamp) {
  prestige_error_t err;
  prestige_store_t *st = open_store("ts");
  const char *keys[] = {"sensor/sensor.1700000003000.parquet", "sensor/sensor.1700000001000.parquet",
                        "sensor/sensor.1700000002000.parquet", "sensor/readme.txt", "sensor/sensor.x.parquet",
                        "other/sensor.1700000001500.parquet"};
  for (size_t i = 0; i < 6; i++) CHECK_OK(prestige_store_put(st, keys[i], "p", 1, &err));
  CHECK_EQ_INT(prestige_key_timestamp_ms("a/b.1700000003000.parquet"), 1700000003000LL);
  CHECK_EQ_INT(prestige_key_timestamp_ms("b.parquet"), -1);
  CHECK_EQ_INT(prestige_key_timestamp_ms(".1700000003000.parquet"), -1);
  prestige_file_meta_t *f;
  size_t n;
  CHECK_OK(prestige_list_files(st, "sensor/", INT64_MIN, INT64_MAX, &f, &n, &err));
  CHECK_EQ_INT(n, 3);
  if (n == 3) {
    CHECK_EQ_INT(f[0].timestamp_ms, 1700000001000LL);
    CHECK_EQ_INT(f[1].timestamp_ms, 1700000002000LL);
    CHECK_EQ_INT(f[2].timestamp_ms, 1700000003000LL);
    CHECK_EQ_STR(f[0].key, "sensor/sensor.1700000001000.parquet");
  }
  prestige_file_metas_free(f, n);
  CHECK_OK(prestige_list_files(st, "sensor/", 1700000002000LL, 1700000003000LL, &f, &n, &err));
  CHECK_EQ_INT(n, 1);
  if (n == 1) CHECK_EQ_STR(f[0].key, "sensor/sensor.1700000002000.parquet");
  prestige_file_metas_free(f, n);
  prestige_store_free(st);
}

TEST(streaming_output_and_files) {
  prestige_error_t err;
  prestige_store_t *st = open_store("stream");
  prestige_output_t out;
  CHECK_OK(prestige_store_open_output(st, "big/obj.bin", &out, &err));
  uint8_t chunk[4096];
  for (int i = 0; i < 1000; i++) {
    memset(chunk, i & 0xFF, sizeof chunk);
    CHECK_OK(out.write(out.ctx, chunk, sizeof chunk, &err));
  }
  prestige_object_meta_t m;
  CHECK_ERR(prestige_store_head(st, "big/obj.bin", &m, &err), PRESTIGE_ENOTFOUND, "obj.bin"); /* invisible until close */
  CHECK_OK(out.close(out.ctx, &err));
  CHECK_OK(prestige_store_head(st, "big/obj.bin", &m, &err));
  CHECK_EQ_INT(m.size, 4096000);
  prestige_object_meta_clear(&m);
  CHECK_OK(prestige_store_open_output(st, "big/aborted.bin", &out, &err));
  CHECK_OK(out.write(out.ctx, chunk, sizeof chunk, &err));
  out.abort(out.ctx);
  CHECK_ERR(prestige_store_head(st, "big/aborted.bin", &m, &err), PRESTIGE_ENOTFOUND, "aborted");
  /* get_file / put_file round trip, and input */
  char path[1200], path2[1200];
  snprintf(path, sizeof path, "%s/download.bin", test_tmpdir());
  CHECK_OK(prestige_store_get_file(st, "big/obj.bin", path, &err));
  CHECK_OK(prestige_store_put_file(st, "copy.bin", path, &err));
  uint8_t *a, *b;
  size_t na, nb;
  CHECK_OK(prestige_store_get(st, "big/obj.bin", &a, &na, &err));
  CHECK_OK(prestige_store_get(st, "copy.bin", &b, &nb, &err));
  CHECK(na == nb && !memcmp(a, b, na));
  free(a);
  free(b);
  prestige_input_t in;
  CHECK_OK(prestige_store_open_input(st, "copy.bin", 0, &in, &err));
  uint64_t sz;
  CHECK_OK(in.size(in.ctx, &sz, &err));
  CHECK_EQ_INT(sz, 4096000);
  CHECK_OK(in.read_at(in.ctx, 4096 * 7, chunk, 10, &err));
  CHECK_EQ_INT(chunk[0], 7);
  in.close(in.ctx);
  snprintf(path2, sizeof path2, "%s/does-not-exist", test_tmpdir());
  CHECK_ERR(prestige_store_put_file(st, "x", path2, &err), PRESTIGE_ENOTFOUND, "does-not-exist");
  const char *many[] = {"copy.bin", "big/obj.bin", "never-there"};
  CHECK_OK(prestige_store_delete_many(st, many, 3, &err));
  prestige_store_list_t *it;
  const prestige_object_meta_t *mm;
  CHECK_OK(prestige_store_list_open(st, NULL, NULL, &it, &err));
  CHECK_OK(prestige_store_list_next(it, &mm, &err));
  CHECK(mm == NULL);
  prestige_store_list_free(it);
  prestige_store_free(st);
}

/* Writers replace an object with whole versions (every byte = version number) while readers
 * read it: a reader must never see a mix, a short object, or an error other than "not found". */
typedef struct conc {
  prestige_store_t *st;
  atomic_int stop;
  atomic_int torn;
  atomic_int reads;
  int id;
} conc_t;

static void *conc_writer(void *arg) {
  conc_t *c = arg;
  uint8_t *buf = malloc(256 * 1024);
  prestige_error_t err;
  for (int v = 1; v <= 40; v++) {
    memset(buf, (c->id * 40 + v) & 0xFF, 256 * 1024);
    if (prestige_store_put(c->st, "hot/object", buf, 256 * 1024, &err)) atomic_fetch_add(&c->torn, 1);
  }
  free(buf);
  return NULL;
}

static void *conc_reader(void *arg) {
  conc_t *c = arg;
  prestige_error_t err;
  while (!atomic_load(&c->stop)) {
    uint8_t *d;
    size_t n;
    int rc = prestige_store_get(c->st, "hot/object", &d, &n, &err);
    if (rc == PRESTIGE_ENOTFOUND) continue;
    if (rc || n != 256 * 1024) {
      atomic_fetch_add(&c->torn, 1);
      if (!rc) free(d);
      continue;
    }
    for (size_t i = 1; i < n; i++)
      if (d[i] != d[0]) {
        atomic_fetch_add(&c->torn, 1);
        break;
      }
    free(d);
    atomic_fetch_add(&c->reads, 1);
  }
  return NULL;
}

TEST(concurrent_writers_and_readers) {
  prestige_store_t *st = open_store("conc");
  conc_t w[3], r;
  memset(&r, 0, sizeof r);
  r.st = st;
  pthread_t tw[3], tr[2];
  for (int i = 0; i < 2; i++) pthread_create(&tr[i], NULL, conc_reader, &r);
  for (int i = 0; i < 3; i++) {
    memset(&w[i], 0, sizeof w[i]);
    w[i].st = st;
    w[i].id = i;
    pthread_create(&tw[i], NULL, conc_writer, &w[i]);
  }
  for (int i = 0; i < 3; i++) pthread_join(tw[i], NULL);
  atomic_store(&r.stop, 1);
  for (int i = 0; i < 2; i++) pthread_join(tr[i], NULL);
  int werr = 0;
  for (int i = 0; i < 3; i++) werr += atomic_load(&w[i].torn);
  CHECK_EQ_INT(werr, 0);
  CHECK_EQ_INT(atomic_load(&r.torn), 0);
  CHECK(atomic_load(&r.reads) > 0);
  printf("concurrent: %d whole reads, 0 torn\n", atomic_load(&r.reads));
  prestige_store_free(st);
}

typedef struct race {
  prestige_store_t *st;
  int id;
  int won;
  int lost;
} race_t;

static void *racer(void *arg) {
  race_t *r = arg;
  prestige_error_t err;
  for (int k = 0; k < 50; k++) {
    char key[32], val[32];
    snprintf(key, sizeof key, "race/%d", k);
    snprintf(val, sizeof val, "%d", r->id);
    int rc = prestige_store_put_if_absent(r->st, key, val, strlen(val), &err);
    if (rc == 0) r->won++;
    else if (rc == PRESTIGE_EEXISTS) r->lost++;
  }
  return NULL;
}

TEST(conditional_create_race) {
  prestige_store_t *st = open_store("race");
  race_t r[4];
  pthread_t t[4];
  for (int i = 0; i < 4; i++) {
    memset(&r[i], 0, sizeof r[i]);
    r[i].st = st;
    r[i].id = i;
    pthread_create(&t[i], NULL, racer, &r[i]);
  }
  int won = 0, lost = 0;
  for (int i = 0; i < 4; i++) {
    pthread_join(t[i], NULL);
    won += r[i].won;
    lost += r[i].lost;
  }
  CHECK_EQ_INT(won, 50); /* exactly one winner per key */
  CHECK_EQ_INT(lost, 150);
  prestige_store_free(st);
}

typedef struct up_cb {
  atomic_int done, failed;
} up_cb_t;
static void on_done(void *ud, const prestige_upload_result_t *r) {
  up_cb_t *c = ud;
  if (r->status == PRESTIGE_UPLOAD_DONE) atomic_fetch_add(&c->done, 1);
  else atomic_fetch_add(&c->failed, 1);
}

TEST(file_upload_to_local_bucket) {
  prestige_error_t err;
  prestige_store_t *bucket = open_store("upload-bucket");
  char src[1200];
  snprintf(src, sizeof src, "%s/upload-src", test_tmpdir());
  mkdir(src, 0755);
  up_cb_t cb = {0};
  prestige_upload_options_t o;
  prestige_upload_options_init(&o);
  o.key_prefix = "landing/";
  o.remove_local = true;
  o.on_done = on_done;
  o.user_data = &cb;
  o.retry_delay_ms = 10;
  prestige_file_upload_t *up;
  CHECK_OK(prestige_file_upload_new(&up, bucket, &o, &err));
  uint64_t tickets[20];
  for (int i = 0; i < 20; i++) {
    char p[1300];
    snprintf(p, sizeof p, "%s/f.%d.parquet", src, 1700000000 + i);
    FILE *f = fopen(p, "w");
    fprintf(f, "file %d", i);
    fclose(f);
    CHECK_OK(prestige_file_upload_submit(up, p, NULL, &tickets[i], &err));
  }
  char missing[1300];
  snprintf(missing, sizeof missing, "%s/missing.parquet", src);
  uint64_t tm;
  CHECK_OK(prestige_file_upload_submit(up, missing, NULL, &tm, &err));
  CHECK_ERR(prestige_file_upload_wait(up, tm, 10000, &err), PRESTIGE_ENOTFOUND, "missing.parquet");
  CHECK_EQ_INT(prestige_file_upload_status(up, tm, NULL), PRESTIGE_UPLOAD_FAILED);
  for (int i = 0; i < 20; i++) CHECK_OK(prestige_file_upload_wait(up, tickets[i], 10000, &err));
  CHECK_EQ_INT(prestige_file_upload_status(up, tickets[3], NULL), PRESTIGE_UPLOAD_DONE);
  CHECK_EQ_INT(prestige_file_upload_status(up, 999999, NULL), PRESTIGE_UPLOAD_UNKNOWN);
  CHECK_OK(prestige_file_upload_shutdown(up, 10000, NULL, NULL, &err));
  CHECK_ERR(prestige_file_upload_submit(up, missing, NULL, NULL, &err), PRESTIGE_ESHUTDOWN, "shut down");
  prestige_file_upload_free(up);
  CHECK_EQ_INT(atomic_load(&cb.done), 20);
  CHECK_EQ_INT(atomic_load(&cb.failed), 1);
  for (int i = 0; i < 20; i++) {
    char key[64], p[1300], want[32];
    snprintf(key, sizeof key, "landing/f.%d.parquet", 1700000000 + i);
    uint8_t *d;
    size_t n;
    CHECK_OK(prestige_store_get(bucket, key, &d, &n, &err));
    snprintf(want, sizeof want, "file %d", i);
    CHECK(n == strlen(want) && !memcmp(d, want, n));
    free(d);
    snprintf(p, sizeof p, "%s/f.%d.parquet", src, 1700000000 + i);
    CHECK(access(p, F_OK) != 0); /* removed after the confirmed upload */
  }
  prestige_store_free(bucket);
}

TEST(shutdown_reports_not_done) {
  prestige_error_t err;
  prestige_store_t *bucket = open_store("shutdown-bucket");
  char src[1200];
  snprintf(src, sizeof src, "%s/shutdown-src", test_tmpdir());
  mkdir(src, 0755);
  /* one slow-to-read file: a FIFO nobody writes would hang; use many files and a zero timeout */
  prestige_upload_options_t o;
  prestige_upload_options_init(&o);
  o.workers = 1;
  prestige_file_upload_t *up;
  CHECK_OK(prestige_file_upload_new(&up, bucket, &o, &err));
  int n = 200;
  for (int i = 0; i < n; i++) {
    char p[1300];
    snprintf(p, sizeof p, "%s/g%03d", src, i);
    FILE *f = fopen(p, "w");
    for (int k = 0; k < 2000; k++) fputs("0123456789abcdef", f);
    fclose(f);
    CHECK_OK(prestige_file_upload_submit(up, p, NULL, NULL, &err));
  }
  char **left;
  size_t nleft;
  CHECK_OK(prestige_file_upload_shutdown(up, 0, &left, &nleft, &err));
  size_t queued, running, done, failed;
  prestige_file_upload_counts(up, &queued, &running, &done, &failed);
  CHECK_EQ_INT(done + nleft, (size_t)n); /* every file is either uploaded or handed back */
  CHECK_EQ_INT(failed, 0);
  CHECK_EQ_INT(running, 0);
  /* the files handed back are exactly those not in the bucket, and still on disk */
  for (size_t i = 0; i < nleft; i++) {
    const char *base = strrchr(left[i], '/') + 1;
    prestige_object_meta_t m;
    CHECK_ERR(prestige_store_head(bucket, base, &m, &err), PRESTIGE_ENOTFOUND, base);
    CHECK(access(left[i], F_OK) == 0);
  }
  printf("shutdown with timeout 0: %zu uploaded, %zu handed back\n", done, nleft);
  prestige_strings_free(left, nleft);
  prestige_file_upload_free(up);
  prestige_store_free(bucket);
}

TEST_MAIN(RUN(basic_ops); RUN(keys_validated); RUN(listing); RUN(list_files_by_timestamp);
          RUN(streaming_output_and_files); RUN(concurrent_writers_and_readers); RUN(conditional_create_race);
          RUN(file_upload_to_local_bucket); RUN(shutdown_reports_not_done);)
