/* Calendar arithmetic: see calendar.h. */
#include "core/calendar.h"

#include <stdio.h>

int64_t cal_days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  unsigned yoe = (unsigned)(y - era * 400);
  unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + (int64_t)doe - 719468;
}

void cal_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d) {
  z += 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  unsigned doe = (unsigned)(z - era * 146097);
  unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

int64_t cal_months_from_days(int64_t days) {
  int64_t y;
  unsigned m, d;
  cal_civil_from_days(days, &y, &m, &d);
  return (y - 1970) * 12 + (int64_t)m - 1;
}

int64_t cal_years_from_days(int64_t days) {
  int64_t y;
  unsigned m, d;
  cal_civil_from_days(days, &y, &m, &d);
  return y - 1970;
}

bool cal_is_leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int cal_days_in_month(int64_t y, unsigned m) {
  static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m < 1 || m > 12) return 0;
  return m == 2 && cal_is_leap(y) ? 29 : mdays[m - 1];
}

static bool digits(const char *s, int n, int *v) {
  int x = 0;
  for (int i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9') return false;
    x = x * 10 + (s[i] - '0');
  }
  *v = x;
  return true;
}

bool cal_parse_date(const char *s, size_t n, int64_t *days) {
  int y, m, d;
  if (n != 10 || s[4] != '-' || s[7] != '-' || !digits(s, 4, &y) || !digits(s + 5, 2, &m) || !digits(s + 8, 2, &d))
    return false;
  if (m < 1 || m > 12 || d < 1 || d > cal_days_in_month(y, (unsigned)m)) return false;
  *days = cal_days_from_civil(y, (unsigned)m, (unsigned)d);
  return true;
}

bool cal_parse_time(const char *s, size_t n, int64_t *nanos, size_t *used) {
  int h, mi, sec = 0;
  if (n < 5 || s[2] != ':' || !digits(s, 2, &h) || !digits(s + 3, 2, &mi) || h > 23 || mi > 59) return false;
  size_t i = 5;
  int64_t frac = 0;
  if (i < n && s[i] == ':') {
    if (n < 8 || !digits(s + 6, 2, &sec) || sec > 59) return false;
    i = 8;
    if (i < n && s[i] == '.') {
      i++;
      int nd = 0;
      while (i < n && s[i] >= '0' && s[i] <= '9') {
        if (++nd > 9) return false;
        frac = frac * 10 + (s[i++] - '0');
      }
      if (nd == 0) return false;
      for (; nd < 9; nd++) frac *= 10;
    }
  }
  *nanos = ((int64_t)h * 3600 + mi * 60 + sec) * 1000000000LL + frac;
  *used = i;
  return true;
}

int cal_format_date(int64_t days, char *out, size_t n) {
  int64_t y;
  unsigned m, d;
  cal_civil_from_days(days, &y, &m, &d);
  return snprintf(out, n, "%04lld-%02u-%02u", (long long)y, m, d);
}

int cal_format_time(int64_t nanos, char *out, size_t n) {
  int64_t secs = nanos / 1000000000LL, frac = nanos % 1000000000LL;
  int len = snprintf(out, n, "%02lld:%02lld:%02lld", (long long)(secs / 3600), (long long)(secs / 60 % 60),
                     (long long)(secs % 60));
  if (frac && len > 0 && (size_t)len < n) {
    char f[16];
    snprintf(f, sizeof(f), "%09lld", (long long)frac);
    int k = 9;
    while (k > 0 && f[k - 1] == '0') k--;
    f[k] = 0;
    len += snprintf(out + len, n - (size_t)len, ".%s", f);
  }
  return len;
}
