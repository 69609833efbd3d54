/*
 * Proleptic Gregorian calendar arithmetic on epoch values (days, months, years, hours since
 * 1970-01-01 UTC), correct for negative values: every division floors, never truncates toward
 * zero. Shared by the Iceberg transforms and anything else that turns epoch counts into
 * calendar fields or back.
 */
#ifndef PRESTIGE_CORE_CALENDAR_H
#define PRESTIGE_CORE_CALENDAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Floor division and the matching non-negative remainder (b > 0). */
static inline int64_t cal_floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}
static inline int64_t cal_floor_mod(int64_t a, int64_t b) { return a - cal_floor_div(a, b) * b; }

/* Days since 1970-01-01 of year/month(1-12)/day(1-31) (Howard Hinnant's algorithm). */
int64_t cal_days_from_civil(int64_t y, unsigned m, unsigned d);
/* The inverse: year, month (1-12) and day (1-31) of a day count. */
void cal_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d);
/* Whole months / years since 1970-01 of a day count (floor: -1 day is month -1, year -1). */
int64_t cal_months_from_days(int64_t days);
int64_t cal_years_from_days(int64_t days);
bool cal_is_leap(int64_t y);
int cal_days_in_month(int64_t y, unsigned m);

/* Parses "YYYY-MM-DD" (exactly n characters, a valid date) into days since the epoch. */
bool cal_parse_date(const char *s, size_t n, int64_t *days);
/* Parses "HH:MM[:SS[.fraction]]" (1-9 fraction digits) into nanoseconds of the day; *used gets
 * the characters consumed. Hours 0-23, minutes and seconds 0-59. */
bool cal_parse_time(const char *s, size_t n, int64_t *nanos, size_t *used);

/* Formats days since the epoch as "YYYY-MM-DD" (years outside 0..9999 keep their sign and
 * digits, as Java prints them). Returns the length written (out needs 24 bytes). */
int cal_format_date(int64_t days, char *out, size_t n);
/* Formats nanoseconds of the day as "HH:MM:SS" plus ".fraction" with trailing zeros removed
 * (ISO_LOCAL_TIME as Java formats it). */
int cal_format_time(int64_t nanos_of_day, char *out, size_t n);

#endif
