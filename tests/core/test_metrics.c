#include <curl/curl.h>

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
  CHECK(strstr(text, "# TYPE prestige_file_upload_count counter\n") != NULL);
  CHECK(strstr(text, "prestige_file_upload_count{bucket=\"b1\",status=\"success\"} 10\n") != NULL);
  CHECK(strstr(text, "prestige_file_upload_count{bucket=\"b1\",status=\"failure\"} 3\n") != NULL);
  CHECK(strstr(text, "prestige_file_poller_latest_timestamp_ms 1700000000123\n") != NULL);
  CHECK(strstr(text, "prestige_file_upload_duration_ms_bucket{le=\"5\"} 1\n") != NULL);
  CHECK(strstr(text, "prestige_file_upload_duration_ms_bucket{le=\"1000\"} 2\n") != NULL);
  CHECK(strstr(text, "prestige_file_upload_duration_ms_bucket{le=\"+Inf\"} 2\n") != NULL);
  CHECK(strstr(text, "prestige_file_upload_duration_ms_count 2\n") != NULL);
  free(text);
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
  CHECK(strstr((char *)body.data, "prestige_file_upload_count{bucket=\"b1\",status=\"success\"} 10") != NULL);
  curl_easy_cleanup(c);
  buf_release(&body);
  prestige_metrics_serve_stop();
  prestige_metrics_registry_reset();
  prestige_metrics_use_none();
}

TEST_MAIN(RUN(test_none_and_callback); RUN(test_registry); RUN(test_http);)
