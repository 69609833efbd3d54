/* Metrics backends: none (default), built-in registry (Prometheus text), user callback. */
#include "prestige/metrics.h"

#include <math.h>
#include <stdbool.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"

enum { BACKEND_NONE = 0, BACKEND_REGISTRY = 1, BACKEND_CALLBACK = 2 };
static atomic_int backend = BACKEND_NONE;
static prestige_metrics_fn user_fn;
static void *user_data;

/* Log-scale buckets (1, 2.5, 5, 10, ...) cover milliseconds and byte sizes alike. */
#define N_BUCKETS 31
static double bucket_bound(int i) {
  static const double m[3] = {1, 2.5, 5};
  return m[i % 3] * pow(10, i / 3);
}

typedef struct series {
  struct series *next;
  char *key;  /* name + canonical labels, the hash key */
  char *name; /* dotted name */
  char *labels_prom; /* {k="v",...} or "" */
  prestige_label_t *labels;
  size_t n_labels;
  prestige_metric_kind_t kind;
  double value; /* counter total or gauge value */
  uint64_t count;
  double sum;
  uint64_t buckets[N_BUCKETS];
} series_t;

#define N_SLOTS 256
static pthread_mutex_t reg_mu = PTHREAD_MUTEX_INITIALIZER;
static series_t *slots[N_SLOTS];

static int cmp_label(const void *a, const void *b) {
  return strcmp(((const prestige_label_t *)a)->key, ((const prestige_label_t *)b)->key);
}

/* Canonical key: name, then labels sorted by key. Labels are copied for sorting. */
static int make_key(buf_t *key, const char *name, const prestige_label_t *labels, size_t n,
                    prestige_label_t *sorted) {
  if (n) memcpy(sorted, labels, n * sizeof(*labels));
  qsort(sorted, n, sizeof(*sorted), cmp_label);
  int rc = buf_append(key, name, strlen(name));
  for (size_t i = 0; i < n && !rc; i++) {
    rc |= buf_append_u8(key, 0x1);
    rc |= buf_append(key, sorted[i].key, strlen(sorted[i].key));
    rc |= buf_append_u8(key, 0x2);
    rc |= buf_append(key, sorted[i].value, strlen(sorted[i].value));
  }
  rc |= buf_append_u8(key, 0);
  return rc;
}

static uint32_t hash_str(const char *s) {
  uint32_t h = 2166136261u;
  for (; *s; s++) h = (h ^ (uint8_t)*s) * 16777619u;
  return h;
}

static void prom_escape(buf_t *b, const char *s) {
  for (; *s; s++) {
    if (*s == '\\' || *s == '"') {
      buf_append_u8(b, '\\');
      buf_append_u8(b, (uint8_t)*s);
    } else if (*s == '\n') {
      buf_append(b, "\\n", 2);
    } else {
      buf_append_u8(b, (uint8_t)*s);
    }
  }
}

static void prom_name(buf_t *b, const char *s) {
  for (; *s; s++) {
    char c = *s;
    int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == ':';
    buf_append_u8(b, ok ? (uint8_t)c : '_');
  }
}

static void series_free(series_t *s) {
  for (size_t i = 0; i < s->n_labels; i++) {
    free((char *)s->labels[i].key);
    free((char *)s->labels[i].value);
  }
  free(s->labels);
  free(s->key);
  free(s->name);
  free(s->labels_prom);
  free(s);
}

/* Finds or creates a series; called with reg_mu held. NULL on ENOMEM or too many labels. */
static series_t *lookup(prestige_metric_kind_t kind, const char *name, const prestige_label_t *labels, size_t n,
                        bool create) {
  prestige_label_t sorted[16];
  if (n > 16) return NULL;
  buf_t key = BUF_INIT;
  if (make_key(&key, name, labels, n, sorted)) {
    buf_release(&key);
    return NULL;
  }
  uint32_t slot = hash_str((const char *)key.data) % N_SLOTS;
  for (series_t *s = slots[slot]; s; s = s->next) {
    if (strcmp(s->key, (const char *)key.data) == 0) {
      buf_release(&key);
      return s;
    }
  }
  if (!create) {
    buf_release(&key);
    return NULL;
  }
  series_t *s = calloc(1, sizeof(*s));
  if (!s) goto oom;
  s->key = (char *)buf_detach(&key, NULL);
  s->name = strdup(name);
  s->kind = kind;
  s->labels = calloc(n ? n : 1, sizeof(prestige_label_t));
  if (!s->name || !s->labels) goto oom;
  buf_t lp = BUF_INIT;
  for (size_t i = 0; i < n; i++) {
    s->labels[i].key = strdup(sorted[i].key);
    s->labels[i].value = strdup(sorted[i].value);
    s->n_labels++;
    buf_append_u8(&lp, i ? ',' : '{');
    prom_name(&lp, sorted[i].key);
    buf_append(&lp, "=\"", 2);
    prom_escape(&lp, sorted[i].value);
    buf_append_u8(&lp, '"');
  }
  if (n) buf_append_u8(&lp, '}');
  buf_append_u8(&lp, 0);
  s->labels_prom = (char *)buf_detach(&lp, NULL);
  if (!s->labels_prom) goto oom;
  s->next = slots[slot];
  slots[slot] = s;
  return s;
oom:
  buf_release(&key);
  if (s) series_free(s);
  return NULL;
}

static void report(prestige_metric_kind_t kind, const char *name, const prestige_label_t *labels, size_t n,
                   double v) {
  int b = atomic_load_explicit(&backend, memory_order_relaxed);
  if (b == BACKEND_NONE) return;
  if (b == BACKEND_CALLBACK) {
    prestige_metrics_fn fn = user_fn;
    if (fn) fn(user_data, kind, name, labels, n, v);
    return;
  }
  pthread_mutex_lock(&reg_mu);
  series_t *s = lookup(kind, name, labels, n, true);
  if (s && s->kind == kind) {
    switch (kind) {
      case PRESTIGE_METRIC_COUNTER: s->value += v; break;
      case PRESTIGE_METRIC_GAUGE: s->value = v; break;
      case PRESTIGE_METRIC_HISTOGRAM:
        s->count++;
        s->sum += v;
        for (int i = 0; i < N_BUCKETS; i++)
          if (v <= bucket_bound(i)) s->buckets[i]++;
        break;
    }
  }
  pthread_mutex_unlock(&reg_mu);
}

void prestige_metrics_counter_add(const char *name, const prestige_label_t *labels, size_t n, uint64_t delta) {
  report(PRESTIGE_METRIC_COUNTER, name, labels, n, (double)delta);
}
void prestige_metrics_gauge_set(const char *name, const prestige_label_t *labels, size_t n, double value) {
  report(PRESTIGE_METRIC_GAUGE, name, labels, n, value);
}
void prestige_metrics_histogram_record(const char *name, const prestige_label_t *labels, size_t n, double value) {
  report(PRESTIGE_METRIC_HISTOGRAM, name, labels, n, value);
}

void prestige_metrics_use_callback(prestige_metrics_fn fn, void *ud) {
  atomic_store(&backend, BACKEND_NONE);
  user_fn = fn;
  user_data = ud;
  atomic_store(&backend, fn ? BACKEND_CALLBACK : BACKEND_NONE);
}
void prestige_metrics_use_registry(void) { atomic_store(&backend, BACKEND_REGISTRY); }
void prestige_metrics_use_none(void) { atomic_store(&backend, BACKEND_NONE); }

void prestige_metrics_registry_reset(void) {
  pthread_mutex_lock(&reg_mu);
  for (int i = 0; i < N_SLOTS; i++) {
    series_t *s = slots[i];
    while (s) {
      series_t *n = s->next;
      series_free(s);
      s = n;
    }
    slots[i] = NULL;
  }
  pthread_mutex_unlock(&reg_mu);
}

int prestige_metrics_value(const char *name, const prestige_label_t *labels, size_t n, double *value, double *sum,
                           prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  pthread_mutex_lock(&reg_mu);
  series_t *s = lookup(PRESTIGE_METRIC_COUNTER, name, labels, n, false);
  if (s) {
    *value = s->kind == PRESTIGE_METRIC_HISTOGRAM ? (double)s->count : s->value;
    if (sum) *sum = s->sum;
  }
  pthread_mutex_unlock(&reg_mu);
  if (!s) return prestige_error_set(err, PRESTIGE_ENOTFOUND, "metric %s has not been reported", name);
  return 0;
}

static int cmp_series(const void *a, const void *b) {
  const series_t *x = *(series_t *const *)a, *y = *(series_t *const *)b;
  return strcmp(x->key, y->key);
}

/* The shortest text that reads back as v (0.0025, not 0.0025000000000000001). */
static void fmt_double(buf_t *b, double v) {
  char t[64];
  if (isinf(v)) snprintf(t, sizeof(t), v > 0 ? "+Inf" : "-Inf");
  else if (isnan(v)) snprintf(t, sizeof(t), "NaN");
  else if (v == floor(v) && fabs(v) < 1e15) snprintf(t, sizeof(t), "%.0f", v);
  else {
    for (int prec = 1; prec <= 17; prec++) {
      snprintf(t, sizeof(t), "%.*g", prec, v);
      if (strtod(t, NULL) == v) break;
    }
  }
  buf_append(b, t, strlen(t));
}

/* ---- Prometheus naming --------------------------------------------------------------------- */

/* What the exposition says about each metric prestige reports. Others get a generic line. */
static const struct {
  const char *name, *help;
} HELP[] = {
    {"prestige.file_sink.records_written", "Records written by the sink into Parquet files."},
    {"prestige.file_sink.files_created", "Parquet files the sink has started."},
    {"prestige.file_sink.write_duration_ms", "Time to encode and write one batch into the current file."},
    {"prestige.file_upload.count", "File uploads finished, by bucket and status (success or failure)."},
    {"prestige.file_upload.duration_ms", "Time to upload one file, retries included."},
    {"prestige.file_upload.size_bytes", "Size of the files uploaded."},
    {"prestige.file_poller.files_processed", "Files the consumer marked processed, by status."},
    {"prestige.file_poller.latency_ms", "Delivery time of a file minus the timestamp in its name."},
    {"prestige.file_poller.latest_timestamp_ms", "Timestamp (from the name) of the newest file delivered, Unix time."},
    {"prestige.s3.requests", "S3 requests made (every attempt), by operation and HTTP status (0: no response)."},
    {"prestige.s3.request_duration_ms", "Duration of one S3 request attempt, by operation."},
    {"prestige.s3.retries", "S3 request attempts that failed and were retried, by operation."},
};

static bool ends_with(const buf_t *b, const char *suffix) {
  size_t n = strlen(suffix);
  return b->len >= n && !memcmp(b->data + b->len - n, suffix, n);
}

/* Prometheus conventions (what `promtool check metrics` enforces): base units, so a name ending
 * in _ms becomes _seconds and its values are divided by 1000; counters end in _total. The dotted
 * names and millisecond values stay as they are in the registry and for the callback backend. */
static void prom_metric_name(buf_t *b, const char *dotted, prestige_metric_kind_t kind, double *scale) {
  size_t start = b->len;
  prom_name(b, dotted);
  buf_t view = {b->data + start, b->len - start, b->len - start};
  *scale = 1;
  if (ends_with(&view, "_ms")) {
    b->len -= 3;
    buf_append(b, "_seconds", 8);
    *scale = 1e-3;
  }
  view = (buf_t){b->data + start, b->len - start, b->len - start};
  if (kind == PRESTIGE_METRIC_COUNTER && !ends_with(&view, "_total")) buf_append(b, "_total", 6);
}

/* Milliseconds to seconds by division: 2.5 / 1000 is the double nearest 0.0025, 2.5 * 1e-3 is not. */
static double to_base(double v, double scale) { return scale == 1 ? v : v / 1000.0; }

static void prom_help(buf_t *b, const char *prom, const char *dotted, double scale) {
  const char *help = NULL;
  for (size_t i = 0; i < sizeof HELP / sizeof *HELP && !help; i++)
    if (!strcmp(HELP[i].name, dotted)) help = HELP[i].help;
  buf_append(b, "# HELP ", 7);
  buf_append(b, prom, strlen(prom));
  buf_append_u8(b, ' ');
  if (help) {
    buf_append(b, help, strlen(help));
  } else {
    buf_append(b, "prestige metric ", 16);
    for (const char *p = dotted; *p; p++) { /* HELP escapes: backslash and newline */
      if (*p == '\\') buf_append(b, "\\\\", 2);
      else if (*p == '\n') buf_append(b, "\\n", 2);
      else buf_append_u8(b, (uint8_t)*p);
    }
  }
  if (scale != 1) buf_append(b, " In seconds.", 12);
  buf_append_u8(b, '\n');
}

/* Labels of a histogram bucket: the series labels plus le. */
static void bucket_labels(buf_t *b, const series_t *s, double le) {
  if (s->labels_prom[0]) {
    buf_append(b, s->labels_prom, strlen(s->labels_prom) - 1);
    buf_append(b, ",le=\"", 5);
  } else {
    buf_append(b, "{le=\"", 5);
  }
  fmt_double(b, le);
  buf_append(b, "\"}", 2);
}

int prestige_metrics_render_prometheus(char **out, size_t *len, prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  buf_t b = BUF_INIT;
  pthread_mutex_lock(&reg_mu);
  size_t n = 0;
  for (int i = 0; i < N_SLOTS; i++)
    for (series_t *s = slots[i]; s; s = s->next) n++;
  series_t **all = calloc(n ? n : 1, sizeof(*all));
  if (!all) {
    pthread_mutex_unlock(&reg_mu);
    return prestige_error_set(err, PRESTIGE_ENOMEM, "rendering metrics: out of memory");
  }
  n = 0;
  for (int i = 0; i < N_SLOTS; i++)
    for (series_t *s = slots[i]; s; s = s->next) all[n++] = s;
  qsort(all, n, sizeof(*all), cmp_series);
  const char *last_name = "";
  buf_t pn = BUF_INIT; /* the current metric's Prometheus name */
  double scale = 1;
  for (size_t i = 0; i < n; i++) {
    series_t *s = all[i];
    if (strcmp(s->name, last_name) != 0) {
      static const char *const kinds[] = {"counter", "gauge", "histogram"};
      buf_clear(&pn);
      prom_metric_name(&pn, s->name, s->kind, &scale);
      buf_append_u8(&pn, 0);
      pn.len--;
      prom_help(&b, (const char *)pn.data, s->name, scale);
      buf_append(&b, "# TYPE ", 7);
      buf_append(&b, pn.data, pn.len);
      buf_append_u8(&b, ' ');
      buf_append(&b, kinds[s->kind], strlen(kinds[s->kind]));
      buf_append_u8(&b, '\n');
      last_name = s->name;
    }
    if (s->kind != PRESTIGE_METRIC_HISTOGRAM) {
      buf_append(&b, pn.data, pn.len);
      buf_append(&b, s->labels_prom, strlen(s->labels_prom));
      buf_append_u8(&b, ' ');
      fmt_double(&b, to_base(s->value, scale));
      buf_append_u8(&b, '\n');
      continue;
    }
    for (int k = 0; k <= N_BUCKETS; k++) {
      buf_append(&b, pn.data, pn.len);
      buf_append(&b, "_bucket", 7);
      bucket_labels(&b, s, k < N_BUCKETS ? to_base(bucket_bound(k), scale) : INFINITY);
      buf_append_u8(&b, ' ');
      fmt_double(&b, (double)(k < N_BUCKETS ? s->buckets[k] : s->count));
      buf_append_u8(&b, '\n');
    }
    buf_append(&b, pn.data, pn.len);
    buf_append(&b, "_sum", 4);
    buf_append(&b, s->labels_prom, strlen(s->labels_prom));
    buf_append_u8(&b, ' ');
    fmt_double(&b, to_base(s->sum, scale));
    buf_append_u8(&b, '\n');
    buf_append(&b, pn.data, pn.len);
    buf_append(&b, "_count", 6);
    buf_append(&b, s->labels_prom, strlen(s->labels_prom));
    buf_append_u8(&b, ' ');
    fmt_double(&b, (double)s->count);
    buf_append_u8(&b, '\n');
  }
  buf_release(&pn);
  pthread_mutex_unlock(&reg_mu);
  free(all);
  if (buf_append_u8(&b, 0)) {
    buf_release(&b);
    return prestige_error_set(err, PRESTIGE_ENOMEM, "rendering metrics: out of memory");
  }
  *len = b.len - 1;
  *out = (char *)buf_detach(&b, NULL);
  return 0;
}
