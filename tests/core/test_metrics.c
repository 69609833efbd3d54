#include <curl/curl.h>
#include <sys/wait.h>

#include "core/buf.h"
#include "prestige/metrics.h"
#include "test.h"

typedef struct {
  int calls;
  double last;
  char name[128];
} seen_t;

static void on_metric(void *ud, prestige_metric_kind_t kind, const char *name, const prestige_label_t *labels,
                      size_t n, double value) {
  seen_t *s = ud;
  s->calls++;
  s->last = value;
  snprintf(s->name, sizeof(s->name), "%s/%d/%zu", name, (int)kind, n);
}

/* Runs `promtool check metrics` on text; its output (problems found) into out. */
static int promtool_check(const char *text, char *out, size_t cap) {
  char path[1100], cmd[2400];
  snprintf(path, sizeof path, "%s/exposition.txt", test_tmpdir());
  FILE *f = fopen(path, "w");
  if (!f) return -1;
  fputs(text, f);
  fclose(f);
  snprintf(cmd, sizeof cmd, "promtool check metrics < '%s' 2>&1", path);
  FILE *p = popen(cmd, "r");
  if (!p) return -1;
  size_t n = fread(out, 1, cap - 1, p);
  out[n] = 0;
  int st = pclose(p);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

TEST(test_none_and_callback) {
  prestige_metrics_use_none();
  prestige_metrics_counter_add("x.y", NULL, 0, 5);
  seen_t s = {0};
  prestige_metrics_use_callback(on_metric, &s);
  prestige_label_t l[] = {{"status", "ok"}};
  prestige_metrics_histogram_record("prestige.a.b", l, 1, 12.5);
  CHECK_EQ_INT(s.calls, 1);
  CHECK(s.last == 12.5);
  CHECK_EQ_STR(s.name, "prestige.a.b/2/1");
  /* the callback backend keeps the reference's dotted names and milliseconds */
  prestige_metrics_histogram_record("prestige.file_upload.duration_ms", NULL, 0, 250);
  CHECK_EQ_STR(s.name, "prestige.file_upload.duration_ms/2/0");
  CHECK(s.last == 250);
  prestige_metrics_use_none();
}

TEST(test_registry) {
  prestige_error_t err;
  prestige_metrics_registry_reset();
  prestige_metrics_use_registry();
  prestige_label_t a[] = {{"status", "success"}, {"bucket", "b1"}};
  prestige_label_t a_rev[] = {{"bucket", "b1"}, {"status", "success"}};
  prestige_label_t f[] = {{"status", "failure"}, {"bucket", "b1"}};
  for (int i = 0; i < 10; i++) prestige_metrics_counter_add("prestige.file_upload.count", a, 2, 1);
  prestige_metrics_counter_add("prestige.file_upload.count", f, 2, 3);
  prestige_metrics_gauge_set("prestige.file_poller.latest_timestamp_ms", NULL, 0, 1700000000123.0);
  prestige_metrics_histogram_record("prestige.file_upload.duration_ms", NULL, 0, 3);
  prestige_metrics_histogram_record("prestige.file_upload.duration_ms", NULL, 0, 700);
  double v = 0, sum = 0;
  CHECK_OK(prestige_metrics_value("prestige.file_upload.count", a_rev, 2, &v, NULL, &err));
  CHECK(v == 10);
  CHECK_OK(prestige_metrics_value("prestige.file_upload.duration_ms", NULL, 0, &v, &sum, &err));
  CHECK(v == 2 && sum == 703);
  CHECK_ERR(prestige_metrics_value("nope", NULL, 0, &v, NULL, &err), PRESTIGE_ENOTFOUND, "nope");
  char *text;
  size_t len;
  CHECK_OK(prestige_metrics_render_prometheus(&text, &len, &err));
  /* Prometheus conventions: counters end in _total, milliseconds become seconds (names, bucket
   * bounds, sums, gauge values), every metric has HELP before TYPE */
  CHECK(strstr(text, "# HELP prestige_file_upload_count_total File uploads finished") != NULL);
  CHECK(strstr(text, "# TYPE prestige_file_upload_count_total counter\n") != NULL);
  CHECK(strstr(text, "prestige_file_upload_count_total{bucket=\"b1\",status=\"success\"} 10\n") != NULL);
  CHECK(strstr(text, "prestige_file_upload_count_total{bucket=\"b1\",status=\"failure\"} 3\n") != NULL);
  CHECK(strstr(text, "# TYPE prestige_file_poller_latest_timestamp_seconds gauge\n") != NULL);
  CHECK(strstr(text, "prestige_file_poller_latest_timestamp_seconds 1700000000.123\n") != NULL);
  CHECK(strstr(text, "# TYPE prestige_file_upload_duration_seconds histogram\n") != NULL);
  CHECK(strstr(text, "prestige_file_upload_duration_seconds_bucket{le=\"0.0025\"} 0\n") != NULL);
  CHECK(strstr(text, "prestige_file_upload_duration_seconds_bucket{le=\"0.005\"} 1\n") != NULL);
  CHECK(strstr(text, "prestige_file_upload_duration_seconds_bucket{le=\"1\"} 2\n") != NULL);
  CHECK(strstr(text, "prestige_file_upload_duration_seconds_bucket{le=\"+Inf\"} 2\n") != NULL);
  CHECK(strstr(text, "prestige_file_upload_duration_seconds_sum 0.703\n") != NULL);
  CHECK(strstr(text, "prestige_file_upload_duration_seconds_count 2\n") != NULL);
  CHECK(strstr(text, "_ms") == NULL);
  char out[4096];
  int prc = promtool_check(text, out, sizeof out);
  CHECK_MSG(prc == 0 && !out[0], "promtool check metrics: exit %d: %s", prc, out);
  free(text);
  /* what promtool refuses is caught (the check can fail) */
  prc = promtool_check("# TYPE x_ms counter\nx_ms 1\n", out, sizeof out);
  CHECK_MSG(prc != 0 && strstr(out, "_total"), "exit %d: %s", prc, out);
}

static size_t collect(char *p, size_t sz, size_t n, void *ud) {
  buf_append((buf_t *)ud, p, sz * n);
  return sz * n;
}

TEST(test_http) {
  prestige_error_t err;
  uint16_t port = 0;
  CHECK_OK(prestige_metrics_serve(0, &port, &err));
  CHECK(port != 0);
  CHECK_ERR(prestige_metrics_serve(0, NULL, &err), PRESTIGE_EEXISTS, "already");
  CURL *c = curl_easy_init();
  char url[64];
  snprintf(url, sizeof(url), "http://127.0.0.1:%u/metrics", port);
  buf_t body = BUF_INIT;
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
  CHECK_EQ_INT(curl_easy_perform(c), CURLE_OK);
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  CHECK_EQ_INT(status, 200);
  buf_append_u8(&body, 0);
  CHECK(strstr((char *)body.data, "prestige_file_upload_count_total{bucket=\"b1\",status=\"success\"} 10") != NULL);
  buf_release(&body);
  /* other paths and methods get the server's JSON errors */
  snprintf(url, sizeof(url), "http://127.0.0.1:%u/other", port);
  curl_easy_setopt(c, CURLOPT_URL, url);
  CHECK_EQ_INT(curl_easy_perform(c), CURLE_OK);
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  CHECK_EQ_INT(status, 404);
  snprintf(url, sizeof(url), "http://127.0.0.1:%u/metrics", port);
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "POST");
  CHECK_EQ_INT(curl_easy_perform(c), CURLE_OK);
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  CHECK_EQ_INT(status, 405);
  buf_release(&body);
  curl_easy_cleanup(c);
  prestige_metrics_serve_stop();
  /* a bind address: IPv6 loopback here (0.0.0.0 or :: for a Prometheus elsewhere) */
  CHECK_OK(prestige_metrics_serve_at("::1", 0, &port, &err));
  c = curl_easy_init();
  snprintf(url, sizeof(url), "http://[::1]:%u/metrics", port);
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
  CHECK_EQ_INT(curl_easy_perform(c), CURLE_OK);
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  CHECK_EQ_INT(status, 200);
  curl_easy_cleanup(c);
  buf_release(&body);
  prestige_metrics_serve_stop();
  CHECK_ERR(prestige_metrics_serve_at("example.org", 0, &port, &err), PRESTIGE_EINVAL, "\"example.org\" is not a numeric");
  prestige_metrics_registry_reset();
  prestige_metrics_use_none();
}

TEST_MAIN(RUN(test_none_and_callback); RUN(test_registry); RUN(test_http);)
