#include <stdio.h>
#include <unistd.h>

#include "cli.h"
#include "prestige/core.h"

void cli_progress_init(cli_progress_t *p, bool quiet, int64_t total_bytes) {
  p->enabled = !quiet && isatty(STDERR_FILENO);
  p->start_ns = p->last_ns = prestige_monotonic_ns();
  p->total_bytes = total_bytes;
}

static void human_bytes(char *out, size_t n, double b) {
  const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (b >= 1024 && u < 4) {
    b /= 1024;
    u++;
  }
  snprintf(out, n, "%.1f %s", b, units[u]);
}

void cli_progress_update(cli_progress_t *p, int64_t rows, int64_t bytes) {
  if (!p->enabled) return;
  int64_t now = prestige_monotonic_ns();
  if (now - p->last_ns < 200000000LL) return; /* redraw at most 5 times a second */
  p->last_ns = now;
  double secs = (double)(now - p->start_ns) / 1e9;
  char done[32], rate[32];
  human_bytes(done, sizeof(done), (double)bytes);
  human_bytes(rate, sizeof(rate), secs > 0 ? (double)bytes / secs : 0);
  if (p->total_bytes > 0 && bytes > 0) {
    double frac = (double)bytes / (double)p->total_bytes;
    if (frac > 1) frac = 1;
    int width = 30, filled = (int)(frac * width);
    char bar[32];
    for (int i = 0; i < width; i++) bar[i] = i < filled ? '#' : '-';
    bar[width] = '\0';
    double left = frac > 0 ? secs / frac - secs : 0;
    char rowtxt[48] = "";
    if (rows >= 0) snprintf(rowtxt, sizeof rowtxt, "%lld rows, ", (long long)rows);
    fprintf(stderr, "\r[%s] %3.0f%% %s%s, %s/s, %.0fs left   ", bar, frac * 100, rowtxt, done, rate, left);
  } else if (rows >= 0) {
    fprintf(stderr, "\r%lld rows, %s, %s/s, %.0fs   ", (long long)rows, done, rate, secs);
  } else {
    fprintf(stderr, "\r%s, %s/s, %.0fs   ", done, rate, secs);
  }
}

void cli_progress_done(cli_progress_t *p) {
  if (p->enabled) fprintf(stderr, "\r\033[K");
}
