/* Integrity of S3 uploads: flexible checksums (CRC32C, CRC32) on PutObject, every UploadPart
 * and in CompleteMultipartUpload, with the payload signed (SHA-256) or UNSIGNED-PAYLOAD. s3rver
 * checks neither the checksums nor SigV4, so the requests go through the fault proxy, which
 * checks both as S3 does with its own code (JavaScript: CRC tables, SigV4 from node:crypto):
 * every request's signature (the canonical request must carry UNSIGNED-PAYLOAD or the body's
 * hash, whichever was sent), every x-amz-* header signed, the body's SHA-256 when sent, the body's
 * checksum, the part checksums in the completion. A body corrupted in transit is refused (400
 * BadDigest, or XAmzContentSHA256Mismatch when signed); without a checksum and unsigned it is
 * stored corrupted, which is what the checksum is for. */
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "prestige/store.h"
#include "s3_test.h"
#include "test.h"

#define SECRET "S3RVER-checksum-secret"
static test_s3_t srv, proxy;
static char tmpdir[256];

static void fill(uint8_t *p, size_t n, uint64_t seed) {
  uint64_t s = seed * 0x9E3779B97F4A7C15ull + 1;
  for (size_t i = 0; i < n; i++) {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    p[i] = (uint8_t)(s >> 56);
  }
}

static prestige_s3_client_t *mk(const char *secret, prestige_s3_payload_t pay, prestige_s3_checksum_t sum) {
  prestige_s3_config_t cfg;
  prestige_s3_config_init(&cfg);
  cfg.endpoint = proxy.endpoint;
  cfg.region = "us-east-1";
  cfg.access_key = "S3RVER";
  cfg.secret_key = secret;
  cfg.part_size = 256u << 10;
  cfg.concurrency = 3;
  cfg.max_retries = 1;
  cfg.retry_base_ms = 10;
  cfg.retry_max_ms = 50;
  cfg.payload = pay;
  cfg.checksum = sum;
  prestige_s3_client_t *c = NULL;
  prestige_error_t err;
  CHECK_OK(prestige_s3_client_new(&c, &cfg, &err));
  return c;
}

static json_t *proxy_log(void) {
  char *txt = test_proxy_get(&proxy, "log");
  json_error_t je;
  json_t *arr = txt ? json_loads(txt, 0, &je) : NULL;
  free(txt);
  CHECK_MSG(json_is_array(arr), "proxy log is not a JSON array");
  return arr;
}

static const char *jstr(json_t *e, const char *k) {
  const char *v = json_string_value(json_object_get(e, k));
  return v ? v : "";
}

static bool is_hex64(const char *s) {
  if (strlen(s) != 64) return false;
  for (; *s; s++)
    if (!strchr("0123456789abcdef", *s)) return false;
  return true;
}

/* Every upload request of the log carried what the mode requires, and the proxy verified it. */
static void check_log(bool want_signed, prestige_s3_checksum_t sum, int want_puts, int want_parts_in_completes) {
  const char *alg = sum == PRESTIGE_S3_CHECKSUM_CRC32C ? "crc32c" : sum == PRESTIGE_S3_CHECKSUM_CRC32 ? "crc32" : NULL;
  const char *ALG = sum == PRESTIGE_S3_CHECKSUM_CRC32C ? "CRC32C" : sum == PRESTIGE_S3_CHECKSUM_CRC32 ? "CRC32" : NULL;
  json_t *arr = proxy_log(), *e;
  size_t i;
  int puts = 0, parts_completed = 0, creates = 0;
  json_array_foreach(arr, i, e) {
    const char *m = jstr(e, "method"), *q = jstr(e, "query"), *cs = jstr(e, "content_sha256");
    CHECK_MSG(!strcmp(jstr(e, "sig"), "ok"), "%s %s?%s: signature %s", m, jstr(e, "path"), q, jstr(e, "sig"));
    if (!strcmp(m, "PUT")) {
      puts++;
      if (want_signed) CHECK_MSG(is_hex64(cs), "PUT %s: x-amz-content-sha256 %s, want the body's hash", jstr(e, "path"), cs);
      else CHECK_MSG(!strcmp(cs, "UNSIGNED-PAYLOAD"), "PUT %s: x-amz-content-sha256 %s, want UNSIGNED-PAYLOAD", jstr(e, "path"), cs);
      if (alg) {
        CHECK_MSG(!strcmp(jstr(e, "checksum_alg"), alg) && json_is_true(json_object_get(e, "checksum_ok")),
                  "PUT %s?%s: checksum %s ok=%d", jstr(e, "path"), q, jstr(e, "checksum_alg"),
                  json_is_true(json_object_get(e, "checksum_ok")));
        CHECK_EQ_STR(jstr(e, "sdk_checksum_algorithm"), ALG);
        char h[40];
        snprintf(h, sizeof h, "x-amz-checksum-%s", alg);
        CHECK_MSG(strstr(jstr(e, "signed_headers"), h) != NULL, "%s not signed: %s", h, jstr(e, "signed_headers"));
      } else {
        CHECK(json_is_null(json_object_get(e, "checksum_alg")) || !json_object_get(e, "checksum_alg"));
      }
    } else if (!strcmp(m, "POST") && !strcmp(q, "uploads=")) {
      creates++;
      CHECK_EQ_STR(jstr(e, "checksum_algorithm"), ALG ? ALG : "");
    } else if (!strcmp(m, "POST") && strstr(q, "uploadId=")) {
      parts_completed += (int)json_integer_value(json_object_get(e, "complete_checksums"));
    }
  }
  CHECK_MSG(puts == want_puts, "%d PUTs, want %d", puts, want_puts);
  CHECK_MSG(parts_completed == (alg ? want_parts_in_completes : 0), "%d part checksums verified in completions, want %d",
            parts_completed, alg ? want_parts_in_completes : 0);
  CHECK(creates == 2);
  json_decref(arr);
}

static void roundtrip(prestige_store_t *st, const char *key, const uint8_t *data, size_t n) {
  uint8_t *back = NULL;
  size_t bn = 0;
  prestige_error_t err;
  CHECK_OK(prestige_store_get(st, key, &back, &bn, &err));
  CHECK_MSG(bn == n && back && !memcmp(back, data, n), "%s: %zu bytes back, want %zu, equal %d", key, bn, n,
            back && bn == n ? !memcmp(back, data, n) : 0);
  free(back);
}

/* A PutObject, a file in 5 parts and a streamed output in 3 parts, in one mode. */
static void one_mode(prestige_s3_payload_t pay, prestige_s3_checksum_t sum, bool want_signed) {
  prestige_error_t err;
  prestige_s3_client_t *c = mk(SECRET, pay, sum);
  prestige_store_t *st = NULL;
  CHECK_OK(prestige_store_open_s3(&st, c, "ck-bucket", NULL, &err));
  prestige_s3_client_free(c);
  if (!st) return;
  test_proxy_reset(&proxy);
  size_t small = 100000, file_n = (1u << 20) + 123, stream_n = 600000;
  uint8_t *a = malloc(small), *b = malloc(file_n), *d = malloc(stream_n);
  fill(a, small, (uint64_t)pay * 10 + sum);
  fill(b, file_n, (uint64_t)pay * 10 + sum + 100);
  fill(d, stream_n, (uint64_t)pay * 10 + sum + 200);
  char path[400];
  snprintf(path, sizeof path, "%s/file.bin", tmpdir);
  FILE *f = fopen(path, "wb");
  CHECK(f && fwrite(b, 1, file_n, f) == file_n);
  if (f) fclose(f);
  CHECK_OK(prestige_store_put(st, "m/small", a, small, &err));
  CHECK_OK(prestige_store_put_file(st, "m/file", path, &err));
  prestige_output_t out;
  CHECK_OK(prestige_store_open_output(st, "m/stream", &out, &err));
  for (size_t off = 0; off < stream_n; off += 70001) CHECK_OK(out.write(out.ctx, d + off, stream_n - off < 70001 ? stream_n - off : 70001, &err));
  CHECK_OK(out.close(out.ctx, &err));
  check_log(want_signed, sum, 1 + 5 + 3, 5 + 3);
  roundtrip(st, "m/small", a, small);
  roundtrip(st, "m/file", b, file_n);
  roundtrip(st, "m/stream", d, stream_n);
  free(a);
  free(b);
  free(d);
  prestige_store_free(st);
}

TEST(modes_verified_by_an_independent_server) {
  one_mode(PRESTIGE_S3_PAYLOAD_AUTO, PRESTIGE_S3_CHECKSUM_CRC32C, true); /* plain http: signed */
  one_mode(PRESTIGE_S3_PAYLOAD_UNSIGNED, PRESTIGE_S3_CHECKSUM_CRC32C, false);
  one_mode(PRESTIGE_S3_PAYLOAD_UNSIGNED, PRESTIGE_S3_CHECKSUM_CRC32, false);
  one_mode(PRESTIGE_S3_PAYLOAD_SIGNED, PRESTIGE_S3_CHECKSUM_CRC32, true);
  one_mode(PRESTIGE_S3_PAYLOAD_UNSIGNED, PRESTIGE_S3_CHECKSUM_NONE, false);
}

/* The verifier itself refuses a wrong signature (else the checks above prove nothing). */
TEST(verifier_refuses_a_bad_signature) {
  prestige_error_t err;
  prestige_s3_client_t *c = mk("not-the-secret", PRESTIGE_S3_PAYLOAD_UNSIGNED, PRESTIGE_S3_CHECKSUM_CRC32C);
  prestige_store_t *st = NULL;
  CHECK_OK(prestige_store_open_s3(&st, c, "ck-bucket", NULL, &err));
  prestige_s3_client_free(c);
  if (!st) return;
  CHECK_ERR(prestige_store_put(st, "bad/sig", "x", 1, &err), PRESTIGE_EAUTH, "SignatureDoesNotMatch");
  prestige_store_free(st);
}

static void corrupt_put(prestige_s3_payload_t pay, prestige_s3_checksum_t sum, const char *key, const char *want_code) {
  prestige_error_t err;
  prestige_s3_client_t *c = mk(SECRET, pay, sum);
  prestige_store_t *st = NULL;
  CHECK_OK(prestige_store_open_s3(&st, c, "ck-bucket", NULL, &err));
  prestige_s3_client_free(c);
  if (!st) return;
  test_proxy_reset(&proxy);
  char rule[256];
  snprintf(rule, sizeof rule, "[{\"match\":{\"method\":\"PUT\",\"path\":\"%s\"},\"action\":{\"type\":\"corrupt_body\"}}]", key);
  test_proxy_faults(&proxy, rule);
  uint8_t data[5000];
  fill(data, sizeof data, 7);
  if (want_code) {
    CHECK_ERR(prestige_store_put(st, key, data, sizeof data, &err), PRESTIGE_EHTTP, want_code);
    prestige_object_meta_t m;
    CHECK_ERR(prestige_store_head(st, key, &m, &err), PRESTIGE_ENOTFOUND, key);
  } else { /* nothing checks the bytes: the object is stored damaged */
    CHECK_OK(prestige_store_put(st, key, data, sizeof data, &err));
    uint8_t *back = NULL;
    size_t n = 0;
    CHECK_OK(prestige_store_get(st, key, &back, &n, &err));
    CHECK(n == sizeof data && back && memcmp(back, data, n) != 0);
    free(back);
  }
  prestige_store_free(st);
}

TEST(corrupted_bodies_are_refused) {
  corrupt_put(PRESTIGE_S3_PAYLOAD_UNSIGNED, PRESTIGE_S3_CHECKSUM_CRC32C, "bad/u-crc32c", "BadDigest");
  corrupt_put(PRESTIGE_S3_PAYLOAD_UNSIGNED, PRESTIGE_S3_CHECKSUM_CRC32, "bad/u-crc32", "BadDigest");
  corrupt_put(PRESTIGE_S3_PAYLOAD_SIGNED, PRESTIGE_S3_CHECKSUM_CRC32C, "bad/s-crc32c", "XAmzContentSHA256Mismatch");
  corrupt_put(PRESTIGE_S3_PAYLOAD_UNSIGNED, PRESTIGE_S3_CHECKSUM_NONE, "bad/u-none", NULL);
  /* a damaged part fails the upload, which is aborted */
  prestige_error_t err;
  prestige_s3_client_t *c = mk(SECRET, PRESTIGE_S3_PAYLOAD_UNSIGNED, PRESTIGE_S3_CHECKSUM_CRC32C);
  prestige_store_t *st = NULL;
  CHECK_OK(prestige_store_open_s3(&st, c, "ck-bucket", NULL, &err));
  prestige_s3_client_free(c);
  if (!st) return;
  test_proxy_reset(&proxy);
  test_proxy_faults(&proxy, "[{\"match\":{\"method\":\"PUT\",\"path\":\"bad/mp\",\"query\":\"partNumber=2\"},"
                            "\"action\":{\"type\":\"corrupt_body\",\"offset\":12345}}]");
  size_t n = (1u << 20) + 5;
  uint8_t *b = malloc(n);
  fill(b, n, 99);
  char path[400];
  snprintf(path, sizeof path, "%s/mp.bin", tmpdir);
  FILE *f = fopen(path, "wb");
  CHECK(f && fwrite(b, 1, n, f) == n);
  if (f) fclose(f);
  CHECK_ERR(prestige_store_put_file(st, "bad/mp", path, &err), PRESTIGE_EHTTP, "BadDigest");
  char *ab = test_proxy_get(&proxy, "aborted");
  CHECK_MSG(ab && strlen(ab) > 4, "the upload was not aborted: %s", ab ? ab : "(null)");
  free(ab);
  prestige_object_meta_t m;
  CHECK_ERR(prestige_store_head(st, "bad/mp", &m, &err), PRESTIGE_ENOTFOUND, "bad/mp");
  free(b);
  prestige_store_free(st);
}

TEST(config_validation) {
  prestige_error_t err;
  prestige_s3_client_t *c = NULL;
  prestige_s3_config_t cfg;
  prestige_s3_config_init(&cfg);
  CHECK_EQ_INT(cfg.version, PRESTIGE_S3_CONFIG_VERSION);
  CHECK_EQ_INT(cfg.payload, PRESTIGE_S3_PAYLOAD_AUTO);
  CHECK_EQ_INT(cfg.checksum, PRESTIGE_S3_CHECKSUM_CRC32C);
  cfg.endpoint = proxy.endpoint;
  cfg.access_key = "S3RVER";
  cfg.secret_key = SECRET;
  cfg.payload = (prestige_s3_payload_t)7;
  CHECK_ERR(prestige_s3_client_new(&c, &cfg, &err), PRESTIGE_EINVAL, "payload");
  cfg.payload = PRESTIGE_S3_PAYLOAD_UNSIGNED;
  cfg.sign_payload = true;
  CHECK_ERR(prestige_s3_client_new(&c, &cfg, &err), PRESTIGE_EINVAL, "sign_payload");
  cfg.sign_payload = false;
  cfg.checksum = (prestige_s3_checksum_t)-1;
  CHECK_ERR(prestige_s3_client_new(&c, &cfg, &err), PRESTIGE_EINVAL, "checksum");
  cfg.checksum = PRESTIGE_S3_CHECKSUM_CRC32C;
  setenv("PRESTIGE_S3_CHECKSUM", "md5", 1);
  CHECK_ERR(prestige_s3_client_new(&c, &cfg, &err), PRESTIGE_EINVAL, "PRESTIGE_S3_CHECKSUM");
  unsetenv("PRESTIGE_S3_CHECKSUM");
  cfg.payload = PRESTIGE_S3_PAYLOAD_AUTO;
  setenv("PRESTIGE_S3_PAYLOAD", "sometimes", 1);
  CHECK_ERR(prestige_s3_client_new(&c, &cfg, &err), PRESTIGE_EINVAL, "PRESTIGE_S3_PAYLOAD");
  /* the environment forces unsigned payloads over plain http when the config says AUTO */
  setenv("PRESTIGE_S3_PAYLOAD", "unsigned", 1);
  setenv("PRESTIGE_S3_CHECKSUM", "crc32", 1);
  cfg.region = "us-east-1";
  CHECK_OK(prestige_s3_client_new(&c, &cfg, &err));
  unsetenv("PRESTIGE_S3_PAYLOAD");
  unsetenv("PRESTIGE_S3_CHECKSUM");
  prestige_store_t *st = NULL;
  if (c) {
    CHECK_OK(prestige_store_open_s3(&st, c, "ck-bucket", NULL, &err));
    prestige_s3_client_free(c);
    c = NULL;
  }
  if (st) {
    test_proxy_reset(&proxy);
    CHECK_OK(prestige_store_put(st, "env/x", "hello", 5, &err));
    json_t *arr = proxy_log(), *e;
    size_t i;
    int seen = 0;
    json_array_foreach(arr, i, e) {
      if (strcmp(jstr(e, "method"), "PUT")) continue;
      seen++;
      CHECK_EQ_STR(jstr(e, "content_sha256"), "UNSIGNED-PAYLOAD");
      CHECK_EQ_STR(jstr(e, "checksum_alg"), "crc32");
    }
    CHECK_EQ_INT(seen, 1);
    json_decref(arr);
    prestige_store_free(st);
  }
  /* a version 1 struct (before payload and checksum) still works, with both at their defaults */
  prestige_s3_config_t v1;
  prestige_s3_config_init(&v1);
  v1.version = 1;
  v1.endpoint = proxy.endpoint;
  v1.region = "us-east-1";
  v1.access_key = "S3RVER";
  v1.secret_key = SECRET;
  v1.payload = (prestige_s3_payload_t)99; /* not part of a version 1 struct: ignored */
  CHECK_OK(prestige_s3_client_new(&c, &v1, &err));
  prestige_s3_client_free(c);
  v1.version = 3;
  CHECK_ERR(prestige_s3_client_new(&c, &v1, &err), PRESTIGE_EINVAL, "prestige_s3_config_t");
}

TEST_MAIN(
  snprintf(tmpdir, sizeof tmpdir, "%s/prestige-s3ck-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
  if (!mkdtemp(tmpdir) || test_s3rver_start(&srv, "ck-bucket") != 0 || test_proxy_start(&proxy, srv.endpoint) != 0) {
    CHECK_MSG(0, "could not start s3rver and the proxy");
  } else {
    char *r = test_proxy_post(&proxy, "config", "{\"sigv4_secret\":\"" SECRET "\"}");
    CHECK_MSG(r != NULL, "proxy config refused");
    free(r);
    RUN(modes_verified_by_an_independent_server);
    RUN(verifier_refuses_a_bad_signature);
    RUN(corrupted_bodies_are_refused);
    RUN(config_validation);
  }
  test_proxy_stop(&proxy);
  test_s3rver_stop(&srv);
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmpdir);
)
