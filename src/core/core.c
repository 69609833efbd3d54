#include "prestige/core.h"

#include <ctype.h>
#include <string.h>

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "core/log.h"

const char *prestige_version(void) { return PRESTIGE_VERSION_STRING; }

/* ---- shutdown token ---- */
struct prestige_shutdown {
  atomic_bool triggered;
  pthread_mutex_t mu;
  pthread_cond_t cv;
};

prestige_shutdown_t *prestige_shutdown_new(void) {
  prestige_shutdown_t *s = calloc(1, sizeof(*s));
  if (!s) return NULL;
  atomic_init(&s->triggered, false);
  pthread_mutex_init(&s->mu, NULL);
  pthread_condattr_t attr;
  pthread_condattr_init(&attr);
  pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
  pthread_cond_init(&s->cv, &attr);
  pthread_condattr_destroy(&attr);
  return s;
}

void prestige_shutdown_free(prestige_shutdown_t *s) {
  if (!s) return;
  pthread_cond_destroy(&s->cv);
  pthread_mutex_destroy(&s->mu);
  free(s);
}

void prestige_shutdown_trigger(prestige_shutdown_t *s) {
  pthread_mutex_lock(&s->mu);
  atomic_store(&s->triggered, true);
  pthread_cond_broadcast(&s->cv);
  pthread_mutex_unlock(&s->mu);
}

bool prestige_shutdown_triggered(const prestige_shutdown_t *s) {
  return s && atomic_load(&((prestige_shutdown_t *)s)->triggered);
}

bool prestige_shutdown_wait(prestige_shutdown_t *s, int64_t timeout_ms) {
  struct timespec deadline;
  clock_gettime(CLOCK_MONOTONIC, &deadline);
  if (timeout_ms < 0) timeout_ms = 0;
  deadline.tv_sec += timeout_ms / 1000;
  deadline.tv_nsec += (timeout_ms % 1000) * 1000000L;
  if (deadline.tv_nsec >= 1000000000L) {
    deadline.tv_sec++;
    deadline.tv_nsec -= 1000000000L;
  }
  pthread_mutex_lock(&s->mu);
  while (!atomic_load(&s->triggered)) {
    if (pthread_cond_timedwait(&s->cv, &s->mu, &deadline) != 0) break;
  }
  bool t = atomic_load(&s->triggered);
  pthread_mutex_unlock(&s->mu);
  return t;
}

/* ---- logging ---- */
static pthread_mutex_t log_mu = PTHREAD_MUTEX_INITIALIZER;
static prestige_log_fn log_fn;
static void *log_ud;
static atomic_int log_min = PRESTIGE_LOG_OFF;

void prestige_log_set_callback(prestige_log_fn fn, void *user_data, prestige_log_level_t min_level) {
  pthread_mutex_lock(&log_mu);
  log_fn = fn;
  log_ud = user_data;
  atomic_store(&log_min, fn ? (int)min_level : PRESTIGE_LOG_OFF);
  pthread_mutex_unlock(&log_mu);
}

const char *prestige_log_level_name(prestige_log_level_t level) {
  switch (level) {
    case PRESTIGE_LOG_DEBUG: return "debug";
    case PRESTIGE_LOG_INFO: return "info";
    case PRESTIGE_LOG_WARN: return "warn";
    case PRESTIGE_LOG_ERROR: return "error";
    default: return "off";
  }
}

bool core_log_enabled(prestige_log_level_t level) { return (int)level >= atomic_load(&log_min); }

void core_log(prestige_log_level_t level, const char *fmt, ...) {
  if (!core_log_enabled(level)) return;
  char msg[2048];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  pthread_mutex_lock(&log_mu);
  if (log_fn) log_fn(log_ud, level, msg);
  pthread_mutex_unlock(&log_mu);
}

/* ---- clock ---- */
int64_t prestige_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t prestige_monotonic_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* ---- time parsing ---- */
static int month_of(const char *m) {
  static const char *names[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  for (int i = 0; i < 12; i++)
    if (!strncmp(m, names[i], 3)) return i;
  return -1;
}

int64_t prestige_time_parse_ms(const char *s) {
  if (!s) return -1;
  struct tm tm;
  memset(&tm, 0, sizeof tm);
  int ms = 0;
  int y, mo, d, H, M, S;
  char mon[4] = {0};
  int got = sscanf(s, "%d-%d-%dT%d:%d:%d", &y, &mo, &d, &H, &M, &S);
  if (got == 3 && strlen(s) == 10) { /* a date alone: midnight UTC */
    H = M = S = 0;
    tm.tm_mon = mo - 1;
  } else if (got == 6) {
    const char *dot = strchr(s, '.');
    if (dot) {
      int digits = 0;
      for (const char *q = dot + 1; isdigit((unsigned char)*q) && digits < 3; q++, digits++) ms = ms * 10 + (*q - '0');
      while (digits && digits < 3) {
        ms *= 10;
        digits++;
      }
    }
    tm.tm_mon = mo - 1;
  } else if (sscanf(s, "%*3s, %d %3s %d %d:%d:%d", &d, mon, &y, &H, &M, &S) == 6) {
    tm.tm_mon = month_of(mon);
    if (tm.tm_mon < 0) return -1;
  } else {
    return -1;
  }
  tm.tm_year = y - 1900;
  tm.tm_mday = d;
  tm.tm_hour = H;
  tm.tm_min = M;
  tm.tm_sec = S;
  time_t t = timegm(&tm);
  if (t == (time_t)-1) return -1;
  return (int64_t)t * 1000 + ms;
}

