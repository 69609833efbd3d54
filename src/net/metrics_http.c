/* GET /metrics: the registry's Prometheus exposition over the shared HTTP server. One endpoint
 * per process (prestige_metrics_serve*). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "net/http_server.h"
#include "prestige/metrics.h"

static pthread_mutex_t serve_mu = PTHREAD_MUTEX_INITIALIZER;
static http_server_t *server;

static int get_metrics(void *ud, http_req_t *rq, prestige_error_t *err) {
  (void)ud;
  char *text = NULL;
  size_t len = 0;
  PRESTIGE_TRY(prestige_metrics_render_prometheus(&text, &len, err));
  int rc = http_reply(rq, 200, "text/plain; version=0.0.4; charset=utf-8", text, len);
  free(text);
  return rc ? prestige_error_set(err, rc, "queueing the metrics response failed") : 0;
}

int prestige_metrics_serve_at(const char *bind_address, uint16_t port, uint16_t *bound_port, prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  pthread_mutex_lock(&serve_mu);
  int rc = 0;
  if (server) {
    rc = prestige_error_set(err, PRESTIGE_EEXISTS, "metrics server already running on port %u", http_server_port(server));
    goto out;
  }
  http_server_options_t o;
  http_server_options_init(&o);
  if (bind_address && *bind_address) o.bind_address = bind_address;
  o.port = port;
  o.max_body_bytes = 0;         /* scrapes carry no body */
  o.max_connections = 16;
  o.shutdown_grace_ms = 2000;
  http_server_t *s = NULL;
  if ((rc = http_server_new(&s, &o, err)) || (rc = http_server_route(s, "GET", "/metrics", get_metrics, NULL, err)) ||
      (rc = http_server_route(s, "HEAD", "/metrics", get_metrics, NULL, err)) || (rc = http_server_start(s, err))) {
    prestige_error_prefix(err, "metrics endpoint");
    http_server_free(s);
    goto out;
  }
  server = s;
  if (bound_port) *bound_port = http_server_port(s);
out:
  pthread_mutex_unlock(&serve_mu);
  return rc;
}

int prestige_metrics_serve(uint16_t port, uint16_t *bound_port, prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  return prestige_metrics_serve_at(NULL, port, bound_port, err);
}

void prestige_metrics_serve_stop(void) {
  pthread_mutex_lock(&serve_mu);
  http_server_free(server);
  server = NULL;
  pthread_mutex_unlock(&serve_mu);
}
