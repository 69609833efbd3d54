/* Test helpers: a local S3 server (s3rver) and the fault-injecting proxy, as child processes
 * on loopback ports that die with the test. */
#ifndef PRESTIGE_TEST_S3_H
#define PRESTIGE_TEST_S3_H

typedef struct test_s3 {
  int pid;
  int port;
  char endpoint[64]; /* "http://127.0.0.1:PORT" */
  char dir[512];
} test_s3_t;

int test_s3rver_start(test_s3_t *s, const char *buckets_csv); /* 0 on success */
void test_s3rver_stop(test_s3_t *s);
int test_proxy_start(test_s3_t *p, const char *upstream_endpoint);
void test_proxy_stop(test_s3_t *p);
int test_proxy_faults(const test_s3_t *p, const char *json_rules);
int test_proxy_reset(const test_s3_t *p);
char *test_proxy_get(const test_s3_t *p, const char *what); /* "log" or "aborted": malloc'd JSON */
/* POST to a control path ("config", ...): the reply, malloc'd, or NULL when it failed. */
char *test_proxy_post(const test_s3_t *p, const char *what, const char *json_body);

#endif
