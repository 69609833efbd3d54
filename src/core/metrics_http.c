/* GET /metrics over libmicrohttpd, bound to loopback. */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "prestige/metrics.h"

static pthread_mutex_t serve_mu = PTHREAD_MUTEX_INITIALIZER;
static struct MHD_Daemon *daemon_handle;

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                              const char *version, const char *upload_data, size_t *upload_data_size, void **req_cls) {
  (void)cls;
  (void)version;
  (void)upload_data;
  (void)upload_data_size;
  (void)req_cls;
  struct MHD_Response *resp;
  unsigned int status;
  if (strcmp(method, "GET") != 0) {
    static const char msg[] = "method not allowed\n";
    resp = MHD_create_response_from_buffer(sizeof(msg) - 1, (void *)msg, MHD_RESPMEM_PERSISTENT);
    status = MHD_HTTP_METHOD_NOT_ALLOWED;
  } else if (strcmp(url, "/metrics") != 0) {
    static const char msg[] = "not found: try /metrics\n";
    resp = MHD_create_response_from_buffer(sizeof(msg) - 1, (void *)msg, MHD_RESPMEM_PERSISTENT);
    status = MHD_HTTP_NOT_FOUND;
  } else {
    char *text = NULL;
    size_t len = 0;
    if (prestige_metrics_render_prometheus(&text, &len, NULL) != 0) return MHD_NO;
    resp = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
    MHD_add_response_header(resp, "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
    status = MHD_HTTP_OK;
  }
  if (!resp) return MHD_NO;
  enum MHD_Result r = MHD_queue_response(conn, status, resp);
  MHD_destroy_response(resp);
  return r;
}

int prestige_metrics_serve(uint16_t port, uint16_t *bound_port, prestige_error_t *err) {
  pthread_mutex_lock(&serve_mu);
  if (daemon_handle) {
    pthread_mutex_unlock(&serve_mu);
    return prestige_error_set(err, PRESTIGE_EEXISTS, "metrics server already running");
  }
  struct sockaddr_in addr;
  memset(&addr, 0, sizeof(addr));
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  daemon_handle = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG * 0, port, NULL, NULL, handle,
                                   NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr, MHD_OPTION_END);
  if (!daemon_handle) {
    pthread_mutex_unlock(&serve_mu);
    return prestige_error_set(err, PRESTIGE_EIO, "metrics server: cannot listen on 127.0.0.1:%u", (unsigned)port);
  }
  if (bound_port) {
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(daemon_handle, MHD_DAEMON_INFO_BIND_PORT);
    *bound_port = info ? info->port : port;
  }
  pthread_mutex_unlock(&serve_mu);
  return 0;
}

void prestige_metrics_serve_stop(void) {
  pthread_mutex_lock(&serve_mu);
  if (daemon_handle) MHD_stop_daemon(daemon_handle);
  daemon_handle = NULL;
  pthread_mutex_unlock(&serve_mu);
}
