/* --metrics ADDR:PORT, shared by the long-running verbs (sink, poll; the Iceberg ones later):
 * the registry backend and the Prometheus endpoint for the life of the verb. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "prestige/metrics.h"

int cli_metrics_parse(const char *spec, char *addr, size_t cap, uint16_t *port) {
  if (!spec || !*spec) return -1;
  const char *colon = strrchr(spec, ':');
  const char *ps = spec;
  if (spec[0] == '[') { /* [v6]:port */
    const char *close = strchr(spec, ']');
    if (!close || close[1] != ':' || (size_t)(close - spec - 1) >= cap) return -1;
    snprintf(addr, cap, "%.*s", (int)(close - spec - 1), spec + 1);
    ps = close + 2;
  } else if (colon) {
    if (colon != strchr(spec, ':')) return -1; /* a bare IPv6 address needs brackets */
    size_t al = (size_t)(colon - spec);
    if (al >= cap) return -1;
    /* ":9464" is every interface, as Prometheus exporters take it */
    snprintf(addr, cap, "%.*s", (int)al, al ? spec : "::");
    ps = colon + 1;
  } else {
    snprintf(addr, cap, "127.0.0.1");
  }
  if (!*ps || strlen(ps) > 5) return -1;
  for (const char *p = ps; *p; p++)
    if (!isdigit((unsigned char)*p)) return -1;
  long v = strtol(ps, NULL, 10);
  if (v > 65535) return -1;
  *port = (uint16_t)v;
  return 0;
}

int cli_metrics_start(const char *verb, const char *spec, prestige_error_t *err) {
  char addr[64];
  uint16_t port, bound = 0;
  if (cli_metrics_parse(spec, addr, sizeof addr, &port))
    return prestige_error_set(err, PRESTIGE_EINVAL, "--metrics \"%s\": expected ADDR:PORT, [IPv6]:PORT, :PORT or PORT", spec);
  prestige_metrics_use_registry();
  int rc = prestige_metrics_serve_at(addr, port, &bound, err);
  if (rc && !strcmp(addr, "::")) { /* no IPv6 on this host: every IPv4 interface then */
    snprintf(addr, sizeof addr, "0.0.0.0");
    rc = prestige_metrics_serve_at(addr, port, &bound, err);
  }
  if (rc) {
    prestige_metrics_use_none();
    return rc;
  }
  bool v6 = strchr(addr, ':') != NULL;
  fprintf(stderr, "prestige %s: metrics at http://%s%s%s:%u/metrics\n", verb, v6 ? "[" : "", addr, v6 ? "]" : "", bound);
  return 0;
}

void cli_metrics_stop(void) {
  prestige_metrics_serve_stop();
  prestige_metrics_use_none();
}
