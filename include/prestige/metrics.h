/*
 * prestige/metrics.h — the one small metrics interface every component reports through:
 * counters, gauges and histograms with labels. Three backends:
 *   - none (the default): every call is a relaxed atomic load and a return;
 *   - the built-in registry, rendered as Prometheus text and served over HTTP by
 *     prestige_metrics_serve_at(address, port) (libmicrohttpd);
 *   - a user callback, to forward to OpenTelemetry, statsd or anything else.
 * Metric names use the reference's dotted form ("prestige.file_sink.records_written") and
 * durations in milliseconds ("prestige.file_upload.duration_ms"); the callback backend and
 * prestige_metrics_value see exactly that. The Prometheus exposition follows Prometheus's
 * conventions (it passes `promtool check metrics`): every character outside [a-zA-Z0-9_:]
 * becomes '_', counters end in _total (prestige_file_sink_records_written_total), names in _ms
 * end in _seconds with their values, bucket bounds and sums in seconds
 * (prestige_file_upload_duration_seconds), and every metric has a # HELP line.
 *
 *   prestige_metrics_use_registry();
 *   prestige_metrics_serve_at("0.0.0.0", 9464, NULL, &err);   // GET http://HOST:9464/metrics
 *   prestige_label_t l[] = {{"status", "success"}};
 *   prestige_metrics_counter_add("prestige.file_upload.count", l, 1, 1);
 *   prestige_metrics_serve_stop();
 */
#ifndef PRESTIGE_METRICS_H
#define PRESTIGE_METRICS_H

#include "prestige/api.h"

#include <stddef.h>
#include <stdint.h>

#include "prestige/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct prestige_label {
  const char *key;
  const char *value;
} prestige_label_t;

typedef enum prestige_metric_kind {
  PRESTIGE_METRIC_COUNTER = 0,
  PRESTIGE_METRIC_GAUGE = 1,
  PRESTIGE_METRIC_HISTOGRAM = 2
} prestige_metric_kind_t;

/* ---- reporting (called by components; cheap no-ops with the default backend) ---------- */
PRESTIGE_API void prestige_metrics_counter_add(const char *name, const prestige_label_t *labels, size_t n_labels, uint64_t delta);
PRESTIGE_API void prestige_metrics_gauge_set(const char *name, const prestige_label_t *labels, size_t n_labels, double value);
PRESTIGE_API void prestige_metrics_histogram_record(const char *name, const prestige_label_t *labels, size_t n_labels,
                                                    double value);

/* ---- choosing a backend ----------------------------------------------------------------- */
typedef void (*prestige_metrics_fn)(void *user_data, prestige_metric_kind_t kind, const char *name,
                                    const prestige_label_t *labels, size_t n_labels, double value);
/* Every report goes to fn (from the reporting thread; fn must be thread-safe). */
PRESTIGE_API void prestige_metrics_use_callback(prestige_metrics_fn fn, void *user_data);
/* Reports accumulate in the built-in registry (kept across backend switches). */
PRESTIGE_API void prestige_metrics_use_registry(void);
/* Back to the default: reports are dropped. */
PRESTIGE_API void prestige_metrics_use_none(void);
/* Empties the built-in registry. */
PRESTIGE_API void prestige_metrics_registry_reset(void);

/* ---- reading the registry --------------------------------------------------------------- */
/* Prometheus text exposition format 0.0.4 of the registry. *out is malloc'd (caller frees). */
PRESTIGE_API int prestige_metrics_render_prometheus(char **out, size_t *len, prestige_error_t *err);
/* Current value of one series: counter total, gauge value, or histogram count (sum in *sum
 * when non-NULL). ENOTFOUND when the series has never been reported. Labels in any order. */
PRESTIGE_API int prestige_metrics_value(const char *name, const prestige_label_t *labels, size_t n_labels, double *value,
                                        double *sum, prestige_error_t *err);

/* Serves GET /metrics (Prometheus text) on bind_address:port: a numeric IPv4 or IPv6 address
 * ("0.0.0.0" or "::" for every interface, so a Prometheus elsewhere can scrape; NULL for
 * 127.0.0.1). Port 0 picks a free port; the chosen one is returned in *bound_port when non-NULL.
 * One endpoint per process: EEXISTS while one runs; EIO naming the address when it cannot listen. */
PRESTIGE_API int prestige_metrics_serve_at(const char *bind_address, uint16_t port, uint16_t *bound_port,
                                           prestige_error_t *err);
/* prestige_metrics_serve_at(NULL, port, bound_port, err): loopback only. */
PRESTIGE_API int prestige_metrics_serve(uint16_t port, uint16_t *bound_port, prestige_error_t *err);
PRESTIGE_API void prestige_metrics_serve_stop(void);

#ifdef __cplusplus
}
#endif

#endif /* PRESTIGE_METRICS_H */
