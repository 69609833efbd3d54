/* prestige poll: watch a bucket or directory for new timestamp-named files. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "prestige/core.h"
#include "prestige/poller.h"
#include "prestige/store.h"

#define POLL_USAGE                                                                                          \
  "usage: prestige poll URL --prefix P [--state sqlite:PATH | --state postgresql://...] [--process NAME]\n" \
  "                     [--lookback 24h | --since TS] [--interval 5s] [--once] [--metrics ADDR:PORT]\n"     \
  "\n"                                                                                                      \
  "Watches URL (s3://bucket or a local directory) for new files named P<name>.<timestamp_ms>.<ext>\n"    \
  "(the sink's naming), in timestamp order, and prints each as one JSON line\n"                          \
  "{\"key\":...,\"size\":...,\"timestamp_ms\":...}; a file is marked processed in the state store after\n" \
  "it is printed, so a restarted poll (same --process and --state) prints only files it has not\n"         \
  "printed before. --once polls one time and exits. Durations: 500ms, 5s, 10m, 24h, 7d. Without\n"        \
  "--state nothing is remembered. SIGINT/SIGTERM stop it cleanly.\n"                                        \
  CLI_METRICS_USAGE

static prestige_shutdown_t *stop_token;

static int run_poll(int argc, char **argv) {
  const cli_verb_t *v = cli_find("poll");
  const char *url = NULL, *prefix = NULL, *state_spec = NULL, *process = "default", *metrics = NULL;
  int64_t lookback_ms = -1, since_ms = INT64_MIN, interval_ms = 5000;
  bool once = false;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(a, "--once")) once = true;
    else if (a[0] == '-' && a[1] == '-') {
      if (!val) return cli_usage_error(v, "%s needs a value", a);
      i++;
      if (!strcmp(a, "--prefix")) prefix = val;
      else if (!strcmp(a, "--state")) state_spec = val;
      else if (!strcmp(a, "--process")) process = val;
      else if (!strcmp(a, "--metrics")) {
        char addr[64];
        uint16_t port;
        if (cli_metrics_parse(val, addr, sizeof addr, &port)) return cli_usage_error(v, "--metrics takes ADDR:PORT, not \"%s\"", val);
        metrics = val;
      }
      else if (!strcmp(a, "--lookback")) {
        if (cli_opt_duration_ms(v, a, val, 0, 100LL * 365 * 86400000, &lookback_ms)) return CLI_USAGE_ERROR;
      } else if (!strcmp(a, "--interval")) {
        if (cli_opt_duration_ms(v, a, val, 1, 86400000, &interval_ms)) return CLI_USAGE_ERROR;
      } else if (!strcmp(a, "--since")) {
        if (cli_parse_time_ms(val, &since_ms)) return cli_usage_error(v, "bad time \"%s\"", val);
      } else return cli_usage_error(v, "unknown option %s", a);
    } else if (!url) url = a;
    else return cli_usage_error(v, "too many arguments");
  }
  if (!url || !prefix) return cli_usage_error(v, "URL and --prefix are required");
  prestige_error_t err;
  prestige_error_init(&err);
  prestige_store_t *store = NULL;
  prestige_state_store_t *state = NULL;
  prestige_poller_t *p = NULL;
  int rc = 0;
  struct stat sb;
  /* a local store creates its directory, which a poller must not: a typo would watch nothing forever */
  if (!cli_is_s3(url) && (stat(cli_local_path(url), &sb) != 0 || !S_ISDIR(sb.st_mode)))
    rc = prestige_error_set(&err, PRESTIGE_ENOTFOUND, "%s: no such directory", url);
  if (rc == 0 && metrics) rc = cli_metrics_start("poll", metrics, &err);
  if (!rc) rc = prestige_store_open(&store, url, NULL, &err);
  if (!rc && state_spec) rc = prestige_state_store_open(&state, state_spec, &err);
  stop_token = prestige_shutdown_new();
  cli_signals_install(); /* the loop below turns a signal into the token (a handler must not lock) */
  if (!rc) {
    prestige_poller_config_t c;
    prestige_poller_config_init(&c);
    c.store = store;
    c.file_type = prefix;
    c.process_name = process;
    c.poll_interval_ms = once ? -1 : interval_ms;
    c.shutdown = stop_token;
    if (lookback_ms >= 0) c.lookback = PRESTIGE_LOOKBACK_DURATION, c.lookback_ms = lookback_ms;
    else if (since_ms != INT64_MIN) c.lookback = PRESTIGE_LOOKBACK_TIMESTAMP, c.lookback_from_ms = since_ms;
    rc = prestige_poller_start(&p, &c, state, &err);
  }
  if (!rc && once) {
    rc = prestige_poller_poll_once(p, NULL, &err);
    prestige_poller_stop(p);
  }
  while (!rc) {
    prestige_file_meta_t f;
    int nrc = prestige_poller_next(p, &f, 200, &err);
    if (cli_signal_received()) prestige_shutdown_trigger(stop_token);
    if (nrc == PRESTIGE_ETIMEOUT) {
      if (prestige_shutdown_triggered(stop_token)) break;
      continue;
    }
    if (nrc) break; /* stopped and drained */
    printf("{\"key\":\"");
    for (const char *c = f.key; *c; c++) {
      if (*c == '"' || *c == '\\') putchar('\\');
      putchar(*c);
    }
    printf("\",\"size\":%llu,\"timestamp_ms\":%lld}\n", (unsigned long long)f.size, (long long)f.timestamp_ms);
    if (fflush(stdout) != 0) rc = prestige_error_set(&err, PRESTIGE_EIO, "writing to standard output failed");
    else rc = prestige_poller_mark_processed(p, &f, "success", &err);
    prestige_file_meta_clear(&f);
  }
  prestige_poller_free(p);
  prestige_state_store_free(state);
  prestige_store_free(store);
  prestige_shutdown_free(stop_token);
  stop_token = NULL;
  if (metrics) cli_metrics_stop();
  return rc ? cli_fail("poll", &err) : CLI_OK;
}

CLI_VERB(poll, "poll", "watch a bucket for new timestamp-named files (with a state store)", POLL_USAGE, run_poll)
