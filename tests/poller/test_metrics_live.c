/* Scrapes the Prometheus endpoint while a sink, an uploader and a poller run, and checks every
 * counter against what happened. */
#include <curl/curl.h>
#include <math.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/buf.h"
#include "prestige/metrics.h"
#include "prestige/poller.h"
#include "prestige/sink.h"
#include "prestige/store.h"
#include "prestige/upload.h"
#include "test.h"

#define EV(F) F(ts, TIMESTAMP(MILLI, "UTC")) F(n, I64)
PRESTIGE_RECORD(ev, EV)

static size_t collect(char *p, size_t s, size_t n, void *ud) {
  buf_append(ud, p, s * n);
  return s * n;
}

static char *scrape(uint16_t port) {
  CURL *c = curl_easy_init();
  char url[64];
  snprintf(url, sizeof url, "http://127.0.0.1:%u/metrics", port);
  buf_t body = BUF_INIT;
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
  CURLcode rc = curl_easy_perform(c);
  curl_easy_cleanup(c);
  buf_append_u8(&body, 0);
  if (rc != CURLE_OK) {
    buf_release(&body);
    return NULL;
  }
  return (char *)body.data;
}

/* Runs `promtool check metrics` on text; the problems it reports into out. */
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

/* Value of the first sample line starting with prefix, or -1. */
static double sample(const char *text, const char *prefix) {
  const char *p = text;
  size_t pl = strlen(prefix);
  while (p && *p) {
    if (!strncmp(p, prefix, pl)) {
      char line[1024];
      snprintf(line, sizeof line, "%.*s", (int)strcspn(p, "\n"), p);
      return atof(strrchr(line, ' ') + 1);
    }
    p = strchr(p, '\n');
    if (p) p++;
  }
  return -1;
}

TEST(live_scrape) {
  prestige_error_t err;
  prestige_metrics_use_registry();
  prestige_metrics_registry_reset();
  uint16_t port = 0;
  CHECK_OK(prestige_metrics_serve(0, &port, &err));
  char dir[1024], bdir[1024], db[1100];
  snprintf(dir, sizeof dir, "%s/spool", test_tmpdir());
  snprintf(bdir, sizeof bdir, "%s/bucket", test_tmpdir());
  snprintf(db, sizeof db, "sqlite:%s/state.db", test_tmpdir());
  prestige_store_t *bucket;
  CHECK_OK(prestige_store_open_local(&bucket, bdir, &err));
  prestige_upload_options_t uo;
  prestige_upload_options_init(&uo);
  uo.key_prefix = "ev/";
  prestige_file_upload_t *up;
  CHECK_OK(prestige_file_upload_new(&up, bucket, &uo, &err));
  prestige_state_store_t *state;
  CHECK_OK(prestige_state_store_open(&state, db, &err));
  prestige_poller_config_t pc;
  prestige_poller_config_init(&pc);
  pc.store = bucket;
  pc.file_type = "ev/";
  pc.poll_interval_ms = 100;
  pc.process_name = "live";
  prestige_poller_t *poller;
  CHECK_OK(prestige_poller_start(&poller, &pc, state, &err));

  prestige_sink_options_t so;
  prestige_sink_options_init(&so);
  so.name = "ev";
  so.dir = dir;
  so.upload = up;
  so.max_rows = 2500;
  so.metrics_label = "live";
  prestige_sink_t *sink;
  CHECK_OK(prestige_sink_open(&sink, &so, ev_record(), NULL, &err));
  CHECK_OK(prestige_sink_start(sink, &err));
  prestige_sink_client_t *c = prestige_sink_client_new(sink);
  for (int64_t i = 0; i < 10000; i++) {
    ev_t e = {.ts = prestige_now_ms(), .n = i};
    CHECK_OK(prestige_sink_write(c, &e, &err));
  }
  prestige_sink_manifest_t m;
  CHECK_OK(prestige_sink_commit(c, &m, &err));
  CHECK_EQ_INT(m.n_files, 4);
  int64_t max_ts = 0;
  for (size_t i = 0; i < m.n_files; i++) {
    int64_t t = prestige_key_timestamp_ms(m.files[i].key);
    if (t > max_ts) max_ts = t;
  }
  prestige_sink_manifest_release(&m);
  /* the poller picks the 4 uploaded files up, the consumer marks them */
  int got = 0;
  while (got < 4) {
    prestige_file_meta_t f;
    if (prestige_poller_next(poller, &f, 5000, &err)) break;
    CHECK_OK(prestige_poller_mark_processed(poller, &f, got == 3 ? "failure" : "success", &err));
    prestige_file_meta_clear(&f);
    got++;
  }
  CHECK_EQ_INT(got, 4);
  char *text = scrape(port); /* while everything still runs */
  CHECK(text != NULL);
  if (text) {
    CHECK_EQ_INT(sample(text, "prestige_file_sink_records_written_total{sink=\"live\"}"), 10000);
    CHECK_EQ_INT(sample(text, "prestige_file_sink_files_created_total{sink=\"live\"}"), 4);
    CHECK(sample(text, "prestige_file_sink_write_duration_seconds_count{sink=\"live\"}") >= 4);
    char key[2048];
    /* the bucket label is the bucket's name; a local store's bucket is its directory */
    snprintf(key, sizeof key, "prestige_file_upload_count_total{bucket=\"%s\",status=\"success\"}", prestige_store_local_dir(bucket));
    CHECK_EQ_INT(sample(text, key), 4);
    snprintf(key, sizeof key, "prestige_file_upload_size_bytes_count{bucket=\"%s\"}", prestige_store_local_dir(bucket));
    CHECK_EQ_INT(sample(text, key), 4);
    snprintf(key, sizeof key, "prestige_file_upload_duration_seconds_count{bucket=\"%s\",status=\"success\"}", prestige_store_local_dir(bucket));
    CHECK_EQ_INT(sample(text, key), 4);
    CHECK_EQ_INT(sample(text, "prestige_file_poller_files_processed_total{prefix=\"ev/\",process=\"live\",status=\"success\"}"), 3);
    CHECK_EQ_INT(sample(text, "prestige_file_poller_files_processed_total{prefix=\"ev/\",process=\"live\",status=\"failure\"}"), 1);
    CHECK_EQ_INT(sample(text, "prestige_file_poller_latency_seconds_count{prefix=\"ev/\",process=\"live\"}"), 4);
    /* milliseconds in the name's timestamp, seconds in the exposition */
    double latest = sample(text, "prestige_file_poller_latest_timestamp_seconds{prefix=\"ev/\",process=\"live\"}");
    CHECK_MSG(llround(latest * 1000) == max_ts, "%.3f vs %lld", latest, (long long)max_ts);
    /* and the whole exposition passes Prometheus's own linter */
    char out[4096];
    int prc = promtool_check(text, out, sizeof out);
    CHECK_MSG(prc == 0 && !out[0], "promtool check metrics: exit %d: %s", prc, out);
    if (sample(text, "prestige_file_sink_records_written_total{sink=\"live\"}") != 10000) fprintf(stderr, "%s\n", text);
    free(text);
  }
  prestige_sink_client_free(c, NULL);
  CHECK_OK(prestige_sink_close(sink, NULL, &err));
  prestige_poller_free(poller);
  prestige_state_store_free(state);
  prestige_file_upload_free(up);
  prestige_store_free(bucket);
  prestige_metrics_serve_stop();
  prestige_metrics_use_none();
}

TEST_MAIN(RUN(live_scrape);)
