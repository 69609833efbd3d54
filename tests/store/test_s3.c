/* The S3 client and store against s3rver on loopback, through the fault-injecting proxy:
 * every operation, multipart objects of several hundred MiB, retries on 5xx/SlowDown/dropped
 * connections/stalls, no retries on 4xx, aborted uploads, conditional creates, range coalescing,
 * FileUpload with metrics, configuration from the environment and profiles. */
#include <fcntl.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <unistd.h>

#include "prestige/core.h"
#include "prestige/metrics.h"
#include "prestige/store.h"
#include "prestige/upload.h"
#include "s3_test.h"
#include "test.h"

#define SECRET "S3RVER-secret-never-logged"
static test_s3_t srv, proxy;
static prestige_s3_client_t *client;      /* through the proxy */
static prestige_store_t *st;               /* s3://test-bucket/ through the proxy */
static char logged[1 << 16];
static pthread_mutex_t log_mu = PTHREAD_MUTEX_INITIALIZER;

static void capture_log(void *ud, prestige_log_level_t lvl, const char *msg) {
  (void)ud;
  (void)lvl;
  pthread_mutex_lock(&log_mu);
  size_t l = strlen(logged);
  snprintf(logged + l, sizeof logged - l, "%s\n", msg);
  pthread_mutex_unlock(&log_mu);
}

static prestige_s3_client_t *make_client_stall(const char *endpoint, int max_retries, size_t part_size, int64_t stall_ms) {
  prestige_s3_config_t cfg;
  prestige_s3_config_init(&cfg);
  cfg.endpoint = endpoint;
  cfg.region = "us-east-1";
  cfg.access_key = "S3RVER";
  cfg.secret_key = SECRET;
  cfg.part_size = part_size;
  cfg.concurrency = 4;
  cfg.max_retries = max_retries;
  cfg.retry_base_ms = 20;
  cfg.retry_max_ms = 200;
  cfg.stall_timeout_ms = stall_ms;
  prestige_s3_client_t *c = NULL;
  prestige_error_t err;
  CHECK_OK(prestige_s3_client_new(&c, &cfg, &err));
  return c;
}

static prestige_s3_client_t *make_client(const char *endpoint, int max_retries, size_t part_size) {
  return make_client_stall(endpoint, max_retries, part_size, 10000);
}

/* Requests in the proxy log matching method and a substring of path (and of query). */
static int count_requests(const char *method, const char *path_sub, const char *query_sub, json_t **last) {
  char *txt = test_proxy_get(&proxy, "log");
  json_error_t je;
  json_t *arr = txt ? json_loads(txt, 0, &je) : NULL;
  free(txt);
  int n = 0;
  if (last) *last = NULL;
  size_t i;
  json_t *e;
  json_array_foreach(arr, i, e) {
    const char *m = json_string_value(json_object_get(e, "method"));
    const char *p = json_string_value(json_object_get(e, "path"));
    const char *q = json_string_value(json_object_get(e, "query"));
    if (method && strcmp(m, method)) continue;
    if (path_sub && !strstr(p, path_sub)) continue;
    if (query_sub && !strstr(q ? q : "", query_sub)) continue;
    n++;
    if (last) {
      if (*last) json_decref(*last);
      *last = json_incref(e);
    }
  }
  json_decref(arr);
  return n;
}

static int count_with_status(const char *method, const char *query_sub, int status) {
  char *txt = test_proxy_get(&proxy, "log");
  json_error_t je;
  json_t *arr = txt ? json_loads(txt, 0, &je) : NULL;
  free(txt);
  int n = 0;
  size_t i;
  json_t *e;
  json_array_foreach(arr, i, e) {
    if (strcmp(json_string_value(json_object_get(e, "method")), method)) continue;
    const char *q = json_string_value(json_object_get(e, "query"));
    if (!strstr(q ? q : "", query_sub)) continue;
    if (json_integer_value(json_object_get(e, "status")) == status) n++;
  }
  json_decref(arr);
  return n;
}

static void sha256_file(const char *path, char out[65]) {
  EVP_MD_CTX *c = EVP_MD_CTX_new();
  EVP_DigestInit_ex(c, EVP_sha256(), NULL);
  int fd = open(path, O_RDONLY);
  static uint8_t b[1 << 20];
  ssize_t n;
  while (fd >= 0 && (n = read(fd, b, sizeof b)) > 0) EVP_DigestUpdate(c, b, (size_t)n);
  if (fd >= 0) close(fd);
  unsigned char md[32];
  unsigned int ml;
  EVP_DigestFinal_ex(c, md, &ml);
  EVP_MD_CTX_free(c);
  for (int i = 0; i < 32; i++) sprintf(out + 2 * i, "%02x", md[i]);
}

static void fill(uint8_t *p, size_t n, uint64_t seed) {
  uint64_t s = seed * 0x9E3779B97F4A7C15ull + 1;
  for (size_t i = 0; i + 8 <= n; i += 8) {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    memcpy(p + i, &s, 8);
  }
  for (size_t i = n & ~(size_t)7; i < n; i++) p[i] = (uint8_t)i;
}

TEST(objects) {
  prestige_error_t err;
  test_proxy_reset(&proxy);
  CHECK_EQ_STR(prestige_store_url(st), "s3://test-bucket/");
  CHECK_OK(prestige_store_put(st, "dir/hello.txt", "hello world", 11, &err));
  uint8_t *d = NULL;
  size_t n = 0;
  CHECK_OK(prestige_store_get(st, "dir/hello.txt", &d, &n, &err));
  CHECK(n == 11 && d && !memcmp(d, "hello world", 11));
  free(d);
  char r[5];
  CHECK_OK(prestige_store_get_range(st, "dir/hello.txt", 6, 5, r, &err));
  CHECK(!memcmp(r, "world", 5));
  json_t *last;
  CHECK_EQ_INT(count_requests("GET", "dir/hello.txt", NULL, &last), 2);
  CHECK_EQ_STR(json_string_value(json_object_get(last, "range")), "bytes=6-10");
  json_decref(last);
  CHECK_ERR(prestige_store_get_range(st, "dir/hello.txt", 8, 5, r, &err), PRESTIGE_ECORRUPT, "short read");
  prestige_object_meta_t m;
  CHECK_OK(prestige_store_head(st, "dir/hello.txt", &m, &err));
  CHECK_EQ_INT(m.size, 11);
  CHECK_EQ_STR(m.key, "dir/hello.txt");
  CHECK(m.etag && strlen(m.etag) == 32); /* MD5 hex for a simple put */
  CHECK(m.last_modified_ms > prestige_now_ms() - 600000 && m.last_modified_ms < prestige_now_ms() + 600000);
  prestige_object_meta_clear(&m);
  CHECK_ERR(prestige_store_head(st, "dir/missing", &m, &err), PRESTIGE_ENOTFOUND, "s3://test-bucket/dir/missing");
  CHECK_ERR(prestige_store_get(st, "dir/missing", &d, &n, &err), PRESTIGE_ENOTFOUND, "NoSuchKey");
  CHECK_OK(prestige_store_put(st, "weird/ünï cødé +=&?#.txt", "x", 1, &err));
  CHECK_OK(prestige_store_head(st, "weird/ünï cødé +=&?#.txt", &m, &err));
  prestige_object_meta_clear(&m);
  CHECK_OK(prestige_store_put(st, "empty", "", 0, &err));
  CHECK_OK(prestige_store_get(st, "empty", &d, &n, &err));
  CHECK_EQ_INT(n, 0);
  free(d);
  CHECK_OK(prestige_store_delete(st, "dir/hello.txt", &err));
  CHECK_OK(prestige_store_delete(st, "dir/hello.txt", &err)); /* absent: fine, as on S3 */
  CHECK_ERR(prestige_store_head(st, "dir/hello.txt", &m, &err), PRESTIGE_ENOTFOUND, "hello");
  /* no request was retried */
  CHECK_EQ_INT(count_requests(NULL, NULL, NULL, NULL), 14);
}

TEST(listing_pages) {
  prestige_error_t err;
  const int N = 1100;
  for (int i = 0; i < N; i++) {
    char k[64];
    snprintf(k, sizeof k, "many/obj-%05d", i);
    CHECK_OK(prestige_store_put(st, k, k, strlen(k), &err));
  }
  CHECK_OK(prestige_store_put(st, "manyx", "x", 1, &err));
  test_proxy_reset(&proxy);
  prestige_store_list_t *it;
  CHECK_OK(prestige_store_list_open(st, "many/", NULL, &it, &err));
  const prestige_object_meta_t *mm;
  int cnt = 0, ordered = 1, lrc;
  char prev[64] = "";
  while ((lrc = prestige_store_list_next(it, &mm, &err)) == 0 && mm) {
    if (strcmp(prev, mm->key) >= 0) ordered = 0;
    snprintf(prev, sizeof prev, "%s", mm->key);
    if (mm->size != strlen(mm->key)) ordered = 0;
    cnt++;
  }
  CHECK_OK(lrc);
  prestige_store_list_free(it);
  CHECK_EQ_INT(cnt, N);
  CHECK(ordered);
  CHECK_EQ_INT(count_requests("GET", NULL, "list-type=2", NULL), 2); /* two pages of 1000 */
  CHECK_OK(prestige_store_list_open(st, "many/", "many/obj-01090", &it, &err));
  cnt = 0;
  while (prestige_store_list_next(it, &mm, &err) == 0 && mm) cnt++;
  prestige_store_list_free(it);
  CHECK_EQ_INT(cnt, 9);
  /* a store rooted at a prefix sees relative keys */
  prestige_store_t *sub;
  CHECK_OK(prestige_store_open_s3(&sub, client, "test-bucket", "many", &err));
  CHECK_OK(prestige_store_list_open(sub, "obj-0000", NULL, &it, &err));
  cnt = 0;
  while (prestige_store_list_next(it, &mm, &err) == 0 && mm) {
    if (cnt == 0) CHECK_EQ_STR(mm->key, "obj-00000");
    cnt++;
  }
  prestige_store_list_free(it);
  CHECK_EQ_INT(cnt, 10);
  prestige_store_free(sub);
  /* batched delete: 1100 keys in 2 DeleteObjects requests */
  const char **keys = calloc(N, sizeof *keys);
  char(*kb)[64] = calloc(N, 64);
  for (int i = 0; i < N; i++) {
    snprintf(kb[i], 64, "many/obj-%05d", i);
    keys[i] = kb[i];
  }
  test_proxy_reset(&proxy);
  CHECK_OK(prestige_store_delete_many(st, keys, N, &err));
  /* two batches answered 200 (s3rver occasionally answers a DeleteObjects with 500: retried) */
  CHECK_EQ_INT(count_with_status("POST", "delete=", 200), 2);
  free(keys);
  free(kb);
  CHECK_OK(prestige_store_list_open(st, "many/", NULL, &it, &err));
  CHECK_OK(prestige_store_list_next(it, &mm, &err));
  CHECK(mm == NULL);
  prestige_store_list_free(it);
}

TEST(big_multipart_roundtrip) {
  prestige_error_t err;
  const size_t size = 300u << 20; /* 300 MiB: 60 parts of 5 MiB */
  char src[1024], dst[1024];
  snprintf(src, sizeof src, "%s/big.src", test_tmpdir());
  snprintf(dst, sizeof dst, "%s/big.dst", test_tmpdir());
  int fd = open(src, O_CREAT | O_TRUNC | O_WRONLY, 0644);
  uint8_t *chunk = malloc(16u << 20);
  for (size_t off = 0; off < size; off += 16u << 20) {
    size_t take = size - off < (16u << 20) ? size - off : (16u << 20);
    fill(chunk, take, off);
    CHECK(write(fd, chunk, take) == (ssize_t)take);
  }
  close(fd);
  free(chunk);
  test_proxy_reset(&proxy);
  int64_t t0 = prestige_monotonic_ns();
  CHECK_OK(prestige_store_put_file(st, "big/object.bin", src, &err));
  int64_t t1 = prestige_monotonic_ns();
  CHECK_EQ_INT(count_with_status("PUT", "partNumber=", 200), 60);
  CHECK_EQ_INT(count_requests("POST", "big/object.bin", "uploadId=", NULL), 1);
  prestige_object_meta_t m;
  CHECK_OK(prestige_store_head(st, "big/object.bin", &m, &err));
  CHECK_EQ_INT(m.size, size);
  prestige_object_meta_clear(&m);
  CHECK_OK(prestige_store_get_file(st, "big/object.bin", dst, &err));
  int64_t t2 = prestige_monotonic_ns();
  char h1[65], h2[65];
  sha256_file(src, h1);
  sha256_file(dst, h2);
  CHECK_EQ_STR(h1, h2);
  printf("300 MiB multipart: upload %.1f MiB/s, parallel download %.1f MiB/s (through the proxy, ASan)\n",
         300.0 / ((double)(t1 - t0) / 1e9), 300.0 / ((double)(t2 - t1) / 1e9));
  unlink(dst);
  unlink(src);
  CHECK_OK(prestige_store_delete(st, "big/object.bin", &err));
}

TEST(streaming_output) {
  prestige_error_t err;
  size_t size = (23u << 20) + 12345;
  uint8_t *data = malloc(size);
  fill(data, size, 42);
  prestige_output_t out;
  CHECK_OK(prestige_store_open_output(st, "stream/obj", &out, &err));
  size_t off = 0, step = 777777;
  while (off < size) {
    size_t take = size - off < step ? size - off : step;
    CHECK_OK(out.write(out.ctx, data + off, take, &err));
    off += take;
  }
  CHECK_EQ_INT(out.tell(out.ctx), size);
  prestige_object_meta_t m;
  CHECK_ERR(prestige_store_head(st, "stream/obj", &m, &err), PRESTIGE_ENOTFOUND, "stream/obj"); /* not visible yet */
  CHECK_OK(out.close(out.ctx, &err));
  uint8_t *back;
  size_t n;
  CHECK_OK(prestige_store_get(st, "stream/obj", &back, &n, &err));
  CHECK(n == size && !memcmp(back, data, size));
  free(back);
  /* a small object goes as one PutObject */
  test_proxy_reset(&proxy);
  CHECK_OK(prestige_store_open_output(st, "stream/small", &out, &err));
  CHECK_OK(out.write(out.ctx, "abc", 3, &err));
  CHECK_OK(out.close(out.ctx, &err));
  CHECK_EQ_INT(count_requests("POST", NULL, "uploads", NULL), 0);
  /* abort: the multipart upload is aborted and nothing appears */
  test_proxy_reset(&proxy);
  CHECK_OK(prestige_store_open_output(st, "stream/aborted", &out, &err));
  CHECK_OK(out.write(out.ctx, data, 12u << 20, &err));
  out.abort(out.ctx);
  CHECK_EQ_INT(count_requests("DELETE", "stream/aborted", "uploadId=", NULL), 1);
  CHECK_ERR(prestige_store_head(st, "stream/aborted", &m, &err), PRESTIGE_ENOTFOUND, "aborted");
  free(data);
}

typedef struct racer {
  int won, lost, other;
} racer_t;
static void *race(void *arg) {
  racer_t *r = arg;
  prestige_error_t err;
  for (int k = 0; k < 20; k++) {
    char key[32];
    snprintf(key, sizeof key, "race/%d", k);
    int rc = prestige_store_put_if_absent(st, key, "v", 1, &err);
    if (rc == 0) r->won++;
    else if (rc == PRESTIGE_EEXISTS) r->lost++;
    else r->other++;
  }
  return NULL;
}

TEST(conditional_create) {
  prestige_error_t err;
  CHECK_OK(prestige_store_put_if_absent(st, "cond/a", "1", 1, &err));
  CHECK_ERR(prestige_store_put_if_absent(st, "cond/a", "2", 1, &err), PRESTIGE_EEXISTS, "already exists");
  uint8_t *d;
  size_t n;
  CHECK_OK(prestige_store_get(st, "cond/a", &d, &n, &err));
  CHECK(n == 1 && d[0] == '1');
  free(d);
  racer_t r[4];
  memset(r, 0, sizeof r);
  pthread_t t[4];
  for (int i = 0; i < 4; i++) pthread_create(&t[i], NULL, race, &r[i]);
  int won = 0, lost = 0, other = 0;
  for (int i = 0; i < 4; i++) {
    pthread_join(t[i], NULL);
    won += r[i].won;
    lost += r[i].lost;
    other += r[i].other;
  }
  CHECK_EQ_INT(won, 20);
  CHECK_EQ_INT(lost, 60);
  CHECK_EQ_INT(other, 0);
}

TEST(retries_and_faults) {
  prestige_error_t err;
  test_proxy_reset(&proxy);
  /* 503 SlowDown twice, then success */
  CHECK_EQ_INT(test_proxy_faults(&proxy, "[{\"match\":{\"method\":\"PUT\",\"path\":\"fault/a\"},\"times\":2,"
                                         "\"action\":{\"type\":\"status\",\"status\":503,\"code\":\"SlowDown\"}}]"), 0);
  CHECK_OK(prestige_store_put(st, "fault/a", "abc", 3, &err));
  CHECK_EQ_INT(count_requests("PUT", "fault/a", NULL, NULL), 3);
  /* 500 InternalError on GET, then success */
  test_proxy_faults(&proxy, "[{\"match\":{\"method\":\"GET\",\"path\":\"fault/a\"},"
                            "\"action\":{\"type\":\"status\",\"status\":500,\"code\":\"InternalError\"}}]");
  uint8_t *d;
  size_t n;
  CHECK_OK(prestige_store_get(st, "fault/a", &d, &n, &err));
  CHECK(n == 3 && !memcmp(d, "abc", 3));
  free(d);
  /* a connection dropped mid-body: the download resumes from where it stopped, bytes identical */
  size_t size = 6u << 20;
  uint8_t *data = malloc(size), *back = malloc(size);
  fill(data, size, 7);
  CHECK_OK(prestige_store_put(st, "fault/big", data, size, &err));
  test_proxy_reset(&proxy);
  test_proxy_faults(&proxy, "[{\"match\":{\"method\":\"GET\",\"path\":\"fault/big\"},"
                            "\"action\":{\"type\":\"drop_response\",\"after_bytes\":1500000}}]");
  CHECK_OK(prestige_store_get_range(st, "fault/big", 0, size, back, &err));
  CHECK(!memcmp(back, data, size));
  json_t *last;
  CHECK_EQ_INT(count_requests("GET", "fault/big", NULL, &last), 2);
  const char *rg = json_string_value(json_object_get(last, "range"));
  unsigned long long rs = 0, re = 0;
  CHECK(rg && sscanf(rg, "bytes=%llu-%llu", &rs, &re) == 2 && rs >= 1000000 && re == size - 1);
  json_decref(last);
  /* whole-object get resumes too */
  test_proxy_faults(&proxy, "[{\"match\":{\"method\":\"GET\",\"path\":\"fault/big\"},"
                            "\"action\":{\"type\":\"drop_response\",\"after_bytes\":3000000}}]");
  CHECK_OK(prestige_store_get(st, "fault/big", &d, &n, &err));
  CHECK(n == size && !memcmp(d, data, size));
  free(d);
  /* a dropped request on an upload part: retried, the object is whole */
  test_proxy_reset(&proxy);
  test_proxy_faults(&proxy, "[{\"match\":{\"method\":\"PUT\",\"path\":\"fault/mp\",\"query\":\"partNumber=2\"},"
                            "\"action\":{\"type\":\"drop_request\"}}]");
  prestige_output_t out;
  CHECK_OK(prestige_store_open_output(st, "fault/mp", &out, &err));
  CHECK_OK(out.write(out.ctx, data, size, &err));
  CHECK_OK(out.write(out.ctx, data, size, &err));
  CHECK_OK(out.close(out.ctx, &err));
  CHECK_EQ_INT(count_requests("PUT", "fault/mp", "partNumber=2", NULL), 2);
  CHECK_OK(prestige_store_get(st, "fault/mp", &d, &n, &err));
  CHECK(n == 2 * size && !memcmp(d, data, size) && !memcmp(d + size, data, size));
  free(d);
  /* a stalled response: the stall timeout fires, the retry succeeds */
  test_proxy_reset(&proxy);
  test_proxy_faults(&proxy, "[{\"match\":{\"method\":\"GET\",\"path\":\"fault/a\"},"
                            "\"action\":{\"type\":\"delay\",\"ms\":3000}}]");
  prestige_s3_client_t *cs = make_client_stall(proxy.endpoint, 3, 5u << 20, 1000);
  prestige_store_t *sts;
  CHECK_OK(prestige_store_open_s3(&sts, cs, "test-bucket", NULL, &err));
  int64_t t0 = prestige_monotonic_ns();
  CHECK_OK(prestige_store_get(sts, "fault/a", &d, &n, &err));
  free(d);
  CHECK(prestige_monotonic_ns() - t0 < 2900000000LL); /* did not wait for the slow reply */
  CHECK_EQ_INT(count_requests("GET", "fault/a", NULL, NULL), 2);
  /* a slow but moving body is not a stall */
  test_proxy_faults(&proxy, "[{\"match\":{\"method\":\"GET\",\"path\":\"fault/big\"},"
                            "\"action\":{\"type\":\"slow_body\",\"bytes_per_sec\":4000}}]");
  CHECK_OK(prestige_store_get_range(sts, "fault/big", 0, 10000, back, &err));
  CHECK(!memcmp(back, data, 10000));
  CHECK_EQ_INT(count_requests("GET", "fault/big", NULL, NULL), 1);
  prestige_store_free(sts);
  prestige_s3_client_free(cs);
  /* 4xx are not retried */
  test_proxy_reset(&proxy);
  test_proxy_faults(&proxy, "[{\"match\":{\"method\":\"GET\",\"path\":\"fault/a\"},"
                            "\"action\":{\"type\":\"status\",\"status\":403,\"code\":\"AccessDenied\",\"message\":\"Access Denied\"}}]");
  CHECK_ERR(prestige_store_get(st, "fault/a", &d, &n, &err), PRESTIGE_EAUTH, "AccessDenied: Access Denied");
  CHECK(strstr(err.message, "request id proxy-") != NULL);
  CHECK(strstr(err.message, SECRET) == NULL);
  test_proxy_faults(&proxy, "[{\"match\":{\"method\":\"PUT\",\"path\":\"fault/b\"},"
                            "\"action\":{\"type\":\"status\",\"status\":400,\"code\":\"InvalidArgument\"}}]");
  CHECK_ERR(prestige_store_put(st, "fault/b", "x", 1, &err), PRESTIGE_EHTTP, "HTTP 400 InvalidArgument");
  CHECK_EQ_INT(count_requests("GET", "fault/a", NULL, NULL), 1);
  CHECK_EQ_INT(count_requests("PUT", "fault/b", NULL, NULL), 1);
  /* persistent failure of one part: the upload fails, is aborted, and nothing appears */
  prestige_s3_client_t *c2 = make_client(proxy.endpoint, 2, 5u << 20);
  prestige_store_t *st2;
  CHECK_OK(prestige_store_open_s3(&st2, c2, "test-bucket", NULL, &err));
  test_proxy_reset(&proxy);
  test_proxy_faults(&proxy, "[{\"match\":{\"method\":\"PUT\",\"path\":\"fault/doomed\",\"query\":\"partNumber=3\"},\"times\":-1,"
                            "\"action\":{\"type\":\"status\",\"status\":500,\"code\":\"InternalError\"}}]");
  CHECK_OK(prestige_store_open_output(st2, "fault/doomed", &out, &err));
  int rc = 0;
  for (int i = 0; i < 4 && !rc; i++) rc = out.write(out.ctx, data, size, &err);
  if (!rc) rc = out.close(out.ctx, &err);
  else out.abort(out.ctx);
  CHECK_EQ_INT(rc, PRESTIGE_EHTTP);
  CHECK(strstr(err.message, "gave up after 3 attempts") != NULL);
  CHECK_EQ_INT(count_requests("PUT", "fault/doomed", "partNumber=3", NULL), 3);
  CHECK_EQ_INT(count_requests("DELETE", "fault/doomed", "uploadId=", NULL), 1);
  CHECK_EQ_INT(count_requests("POST", "fault/doomed", "uploadId=", NULL), 0); /* never completed */
  prestige_object_meta_t m;
  CHECK_ERR(prestige_store_head(st, "fault/doomed", &m, &err), PRESTIGE_ENOTFOUND, "doomed");
  prestige_store_free(st2);
  prestige_s3_client_free(c2);
  /* an unreachable endpoint: a transport error naming the endpoint */
  prestige_s3_client_t *c3 = make_client("http://127.0.0.1:9", 1, 5u << 20);
  prestige_store_t *st3;
  CHECK_OK(prestige_store_open_s3(&st3, c3, "test-bucket", NULL, &err));
  CHECK_ERR(prestige_store_get(st3, "x", &d, &n, &err), PRESTIGE_ENET, "http://127.0.0.1:9");
  CHECK(strstr(err.message, "gave up after 2 attempts") != NULL);
  prestige_store_free(st3);
  prestige_s3_client_free(c3);
  free(data);
  free(back);
  pthread_mutex_lock(&log_mu);
  CHECK(strstr(logged, "retrying") != NULL);
  CHECK(strstr(logged, SECRET) == NULL);
  pthread_mutex_unlock(&log_mu);
}

TEST(malformed_responses) {
  prestige_error_t err;
  test_proxy_reset(&proxy);
  struct {
    const char *body, *want;
  } cases[] = {
      {"<ListBucketResult><Contents><Key>a</Key><Size>1</Size>", "document ends inside"},
      {"<ListBucketResult><Contents><Key>a</Key><Size>x</Size></Contents></ListBucketResult>", "valid Key or Size"},
      {"<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>", "without a continuation token"},
      {"<Something/>", "unexpected response <Something>"},
      {"not xml at all", "malformed XML"},
      {"<ListBucketResult><Contents><Key>&bogus;</Key></Contents></ListBucketResult>", "unknown entity"},
      {"<a></b>", "does not match"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    json_t *rule = json_pack("[{s:{s:s,s:s},s:{s:s,s:i,s:s}}]", "match", "method", "GET", "query", "list-type", "action",
                             "type", "reply", "status", 200, "body", cases[i].body);
    char *txt = json_dumps(rule, 0);
    test_proxy_faults(&proxy, txt);
    free(txt);
    json_decref(rule);
    prestige_store_list_t *it;
    CHECK_OK(prestige_store_list_open(st, "x/", NULL, &it, &err));
    const prestige_object_meta_t *m;
    CHECK_ERR(prestige_store_list_next(it, &m, &err), PRESTIGE_ECORRUPT, cases[i].want);
    prestige_store_list_free(it);
  }
  /* a CompleteMultipartUpload answered 200 with an <Error> inside: not mistaken for success */
  test_proxy_faults(&proxy, "[{\"match\":{\"method\":\"POST\",\"path\":\"bad/complete\",\"query\":\"uploadId\"},\"times\":-1,"
                            "\"action\":{\"type\":\"reply\",\"status\":200,\"body\":\"<Error><Code>AccessDenied</Code><Message>no</Message></Error>\"}}]");
  size_t size = 6u << 20;
  uint8_t *data = calloc(1, size);
  prestige_output_t out;
  CHECK_OK(prestige_store_open_output(st, "bad/complete", &out, &err));
  CHECK_OK(out.write(out.ctx, data, size, &err));
  CHECK_ERR(out.close(out.ctx, &err), PRESTIGE_EHTTP, "AccessDenied");
  free(data);
  test_proxy_reset(&proxy);
}

TEST(ranged_input_coalesces) {
  prestige_error_t err;
  size_t size = 3u << 20;
  uint8_t *data = malloc(size);
  fill(data, size, 9);
  CHECK_OK(prestige_store_put(st, "ranges/obj", data, size, &err));
  test_proxy_reset(&proxy);
  prestige_input_t in;
  CHECK_OK(prestige_store_open_input(st, "ranges/obj", size, &in, &err));
  CHECK_EQ_INT(count_requests(NULL, NULL, NULL, NULL), 0); /* known size: no HEAD */
  uint64_t offs[3] = {200, 0, 2u << 20}, lens[3] = {100, 100, 10};
  CHECK_OK(in.will_need(in.ctx, offs, lens, 3, &err));
  CHECK_EQ_INT(count_requests("GET", "ranges/obj", NULL, NULL), 2); /* [0,300) and [2 MiB, +10) */
  uint8_t b[100];
  CHECK_OK(in.read_at(in.ctx, 210, b, 50, &err));
  CHECK(!memcmp(b, data + 210, 50));
  CHECK_OK(in.read_at(in.ctx, (2u << 20) + 2, b, 8, &err));
  CHECK(!memcmp(b, data + (2u << 20) + 2, 8));
  CHECK_EQ_INT(count_requests("GET", "ranges/obj", NULL, NULL), 2); /* served from the prefetched ranges */
  CHECK_OK(in.read_at(in.ctx, size - 8, b, 8, &err));
  CHECK(!memcmp(b, data + size - 8, 8));
  json_t *last;
  CHECK_EQ_INT(count_requests("GET", "ranges/obj", NULL, &last), 3);
  char want[64];
  snprintf(want, sizeof want, "bytes=%zu-%zu", size - 8, size - 1); /* explicit, never a suffix range */
  CHECK_EQ_STR(json_string_value(json_object_get(last, "range")), want);
  json_decref(last);
  CHECK_ERR(in.read_at(in.ctx, size - 4, b, 8, &err), PRESTIGE_ECORRUPT, "past the end");
  in.close(in.ctx);
  free(data);
}

TEST(file_upload_with_faults) {
  prestige_error_t err;
  prestige_metrics_use_registry();
  prestige_metrics_registry_reset();
  char src[1024];
  snprintf(src, sizeof src, "%s/up", test_tmpdir());
  mkdir(src, 0755);
  test_proxy_reset(&proxy);
  test_proxy_faults(&proxy, "[{\"match\":{\"method\":\"PUT\",\"path\":\"landing/\"},\"times\":4,"
                            "\"action\":{\"type\":\"status\",\"status\":503,\"code\":\"SlowDown\"}}]");
  prestige_upload_options_t o;
  prestige_upload_options_init(&o);
  o.key_prefix = "landing/";
  o.remove_local = true;
  o.workers = 3;
  prestige_file_upload_t *up;
  CHECK_OK(prestige_file_upload_new(&up, st, &o, &err));
  uint64_t t[10];
  for (int i = 0; i < 10; i++) {
    char p[1200];
    snprintf(p, sizeof p, "%s/sensor.%d.parquet", src, 1700000000 + i);
    FILE *f = fopen(p, "w");
    for (int k = 0; k <= i; k++) fprintf(f, "line %d of file %d\n", k, i);
    fclose(f);
    CHECK_OK(prestige_file_upload_submit(up, p, NULL, &t[i], &err));
  }
  size_t failed = 99;
  CHECK_OK(prestige_file_upload_flush(up, 60000, &failed, &err));
  CHECK_EQ_INT(failed, 0);
  for (int i = 0; i < 10; i++) CHECK_EQ_INT(prestige_file_upload_status(up, t[i], NULL), PRESTIGE_UPLOAD_DONE);
  CHECK_OK(prestige_file_upload_shutdown(up, 10000, NULL, NULL, &err));
  prestige_file_upload_free(up);
  prestige_file_meta_t *fm;
  size_t nf;
  CHECK_OK(prestige_list_files(st, "landing/", INT64_MIN, INT64_MAX, &fm, &nf, &err));
  CHECK_EQ_INT(nf, 10);
  for (size_t i = 0; i < nf; i++) CHECK_EQ_INT(fm[i].timestamp_ms, 1700000000 + (int64_t)i);
  prestige_file_metas_free(fm, nf);
  double v = 0;
  prestige_label_t ok[2] = {{"status", "success"}, {"bucket", "test-bucket"}}; /* the bucket's name, not the URL */
  CHECK_OK(prestige_metrics_value("prestige.file_upload.count", ok, 2, &v, NULL, &err));
  CHECK_EQ_INT((int)v, 10);
  char *prom;
  size_t plen;
  CHECK_OK(prestige_metrics_render_prometheus(&prom, &plen, &err));
  CHECK(strstr(prom, "prestige_file_upload_duration_seconds_count{bucket=\"test-bucket\",status=\"success\"} 10\n") != NULL);
  CHECK(strstr(prom, "prestige_file_upload_size_bytes") != NULL);
  CHECK(strstr(prom, "prestige_s3_requests_total{op=\"PutObject\",status=\"200\"}") != NULL);
  free(prom);
  prestige_metrics_use_none();
}

TEST(config_from_environment) {
  prestige_error_t err;
  char creds[1024], conf[1024];
  snprintf(creds, sizeof creds, "%s/aws-credentials", test_tmpdir());
  snprintf(conf, sizeof conf, "%s/aws-config", test_tmpdir());
  FILE *f = fopen(creds, "w");
  fprintf(f, "[default]\naws_access_key_id = DEFAULTKEY\naws_secret_access_key = defaultsecret\n\n"
             "[ci]\naws_access_key_id=S3RVER\naws_secret_access_key=cisecret\n");
  fclose(f);
  f = fopen(conf, "w");
  fprintf(f, "[default]\nregion = eu-west-1\n[profile ci]\nregion = ap-south-1\nendpoint_url = %s\n", srv.endpoint);
  fclose(f);
  unsetenv("AWS_ACCESS_KEY_ID");
  unsetenv("AWS_SECRET_ACCESS_KEY");
  unsetenv("AWS_REGION");
  unsetenv("AWS_DEFAULT_REGION");
  unsetenv("AWS_ENDPOINT_URL");
  setenv("AWS_SHARED_CREDENTIALS_FILE", creds, 1);
  setenv("AWS_CONFIG_FILE", conf, 1);
  setenv("AWS_PROFILE", "ci", 1);
  prestige_s3_client_t *c;
  CHECK_OK(prestige_s3_new_client(&c, NULL, NULL, NULL, NULL, &err));
  CHECK_EQ_STR(prestige_s3_client_region(c), "ap-south-1");
  CHECK_EQ_STR(prestige_s3_client_endpoint(c), srv.endpoint);
  prestige_store_t *s;
  CHECK_OK(prestige_store_open_s3(&s, c, "test-bucket", NULL, &err));
  CHECK_OK(prestige_store_put(s, "from-profile", "p", 1, &err)); /* reaches s3rver directly */
  prestige_store_free(s);
  prestige_s3_client_free(c);
  /* an access key the server does not know: EAUTH with S3's code, not retried */
  CHECK_OK(prestige_s3_new_client(&c, NULL, srv.endpoint, "WRONGKEY", "wrongsecret", &err));
  CHECK_OK(prestige_store_open_s3(&s, c, "test-bucket", NULL, &err));
  CHECK_ERR(prestige_store_put(s, "nope", "p", 1, &err), PRESTIGE_EAUTH, "HTTP 403 InvalidAccessKeyId");
  CHECK(strstr(err.message, "gave up") == NULL);
  CHECK(strstr(err.message, "wrongsecret") == NULL);
  prestige_store_free(s);
  prestige_s3_client_free(c);
  unsetenv("AWS_PROFILE");
  setenv("AWS_REGION", "us-west-2", 1);
  CHECK_OK(prestige_s3_new_client(&c, NULL, NULL, NULL, NULL, &err));
  CHECK_EQ_STR(prestige_s3_client_region(c), "us-west-2");
  CHECK_EQ_STR(prestige_s3_client_endpoint(c), "https://s3.us-west-2.amazonaws.com"); /* AWS, virtual-hosted */
  prestige_s3_client_free(c);
  CHECK_OK(prestige_s3_new_client(&c, "eu-central-1", "http://localhost:1234", "AK", "SK", &err));
  CHECK_EQ_STR(prestige_s3_client_region(c), "eu-central-1");
  prestige_s3_client_free(c);
  CHECK_ERR(prestige_s3_new_client(&c, NULL, NULL, "AK", NULL, &err), PRESTIGE_EAUTH, "incomplete");
  CHECK_ERR(prestige_s3_new_client(&c, NULL, "ftp://x", NULL, NULL, &err), PRESTIGE_EINVAL, "http or https");
  unsetenv("AWS_REGION");
  unsetenv("AWS_SHARED_CREDENTIALS_FILE");
  unsetenv("AWS_CONFIG_FILE");
}

TEST_MAIN(
  prestige_log_set_callback(capture_log, NULL, PRESTIGE_LOG_WARN);
  if (test_s3rver_start(&srv, "test-bucket") != 0 || test_proxy_start(&proxy, srv.endpoint) != 0) {
    CHECK_MSG(0, "could not start s3rver and the proxy");
  } else {
    prestige_error_t err;
    client = make_client(proxy.endpoint, 4, 5u << 20);
    CHECK_OK(prestige_store_open_s3(&st, client, "test-bucket", NULL, &err));
    RUN(objects);
    RUN(listing_pages);
    RUN(streaming_output);
    RUN(conditional_create);
    RUN(retries_and_faults);
    RUN(ranged_input_coalesces);
    RUN(malformed_responses);
    RUN(file_upload_with_faults);
    RUN(big_multipart_roundtrip);
    RUN(config_from_environment);
    prestige_store_free(st);
    prestige_s3_client_free(client);
  }
  test_proxy_stop(&proxy);
  test_s3rver_stop(&srv);
)
