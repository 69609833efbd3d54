/* CSV (RFC 4180) and JSON-lines readers producing Arrow batches, with type inference. */
#include "core/json_load.h"
#include "core/json_text.h"
#include "core/options.h"
#include "prestige/text.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/calendar.h"
#include "core/utf8.h"
#include "prestige/core.h"

/* ---- cells ------------------------------------------------------------------------------------ */
typedef enum { CELL_NULL, CELL_TEXT, CELL_BOOL, CELL_INT, CELL_REAL, CELL_JSON_STRING } cell_kind_t;
typedef struct cell {
  cell_kind_t kind;
  uint32_t off, len; /* text in the record's text buffer */
  bool b;
  int64_t i;
  double d;
} cell_t;

typedef struct record {
  cell_t *cells;
  int32_t n, cap;
  buf_t text;
  int64_t line;
} record_t;

static void record_release(record_t *r) {
  free(r->cells);
  buf_release(&r->text);
}

static int record_push(record_t *r, cell_t c) {
  if (r->n == r->cap) {
    int32_t cap = r->cap ? r->cap * 2 : 16;
    cell_t *p = realloc(r->cells, (size_t)cap * sizeof(cell_t));
    if (!p) return PRESTIGE_ENOMEM;
    r->cells = p;
    r->cap = cap;
  }
  r->cells[r->n++] = c;
  return 0;
}

/* ---- inference ------------------------------------------------------------------------------- */
typedef struct infer {
  bool can_bool, can_int, can_double, can_date, can_ts, seen, nullable;
} infer_t;

static bool parse_bool(const char *s, size_t n, bool *v) {
  if (n == 4 && !strncasecmp(s, "true", 4)) return *v = true, true;
  if (n == 5 && !strncasecmp(s, "false", 5)) return *v = false, true;
  return false;
}

static bool parse_i64(const char *s, size_t n, int64_t *v) {
  char tmp[32];
  if (n == 0 || n >= sizeof(tmp)) return false;
  memcpy(tmp, s, n);
  tmp[n] = 0;
  if (!isdigit((unsigned char)tmp[0]) && !((tmp[0] == '-' || tmp[0] == '+') && n > 1)) return false;
  errno = 0;
  char *end;
  long long x = strtoll(tmp, &end, 10);
  if (errno || *end) return false;
  *v = x;
  return true;
}

static bool parse_u64(const char *s, size_t n, uint64_t *v) {
  char tmp[32];
  if (n == 0 || n >= sizeof(tmp) || !isdigit((unsigned char)s[0])) return false;
  memcpy(tmp, s, n);
  tmp[n] = 0;
  errno = 0;
  char *end;
  unsigned long long x = strtoull(tmp, &end, 10);
  if (errno || *end) return false;
  *v = x;
  return true;
}

static bool parse_double(const char *s, size_t n, double *v) {
  char tmp[64];
  if (n == 0 || n >= sizeof(tmp)) return false;
  memcpy(tmp, s, n);
  tmp[n] = 0;
  if (isspace((unsigned char)tmp[0])) return false;
  char *end;
  /* ERANGE is not a failure: strtod gives the correctly rounded value (a subnormal, 0 or ±inf),
   * as DuckDB does for 4.9e-324, 1e-400 and 1e309 */
  double x = strtod(tmp, &end);
  if (end == tmp || *end) return false;
  /* hex floats are not numbers in CSV */
  if (strchr(tmp, 'x') || strchr(tmp, 'X')) return false;
  *v = x;
  return true;
}

/* Inference takes a text as a number only in its plain decimal spelling: no leading '+', no
 * leading zero before another digit ("007", "00.5", "-01": zip codes, codes and ids keep their
 * text, as DuckDB's sniffer keeps "007" VARCHAR), digits on some side of the point, no inf or nan
 * spellings ("Nan" is a name). An explicit int or double column still takes all of them. */
static bool plain_number(const char *s, size_t n) {
  size_t i = 0;
  if (i < n && s[i] == '-') i++;
  if (i + 1 < n && s[i] == '0' && isdigit((unsigned char)s[i + 1])) return false;
  return i < n && (isdigit((unsigned char)s[i]) || (s[i] == '.' && i + 1 < n && isdigit((unsigned char)s[i + 1])));
}

static bool digits(const char *s, int n, int *v) {
  int x = 0;
  for (int i = 0; i < n; i++) {
    if (!isdigit((unsigned char)s[i])) return false;
    x = x * 10 + (s[i] - '0');
  }
  *v = x;
  return true;
}

static bool parse_date_prefix(const char *s, size_t n, int64_t *days) {
  int y, m, d;
  if (n < 10 || s[4] != '-' || s[7] != '-' || !digits(s, 4, &y) || !digits(s + 5, 2, &m) || !digits(s + 8, 2, &d))
    return false;
  if (m < 1 || m > 12 || d < 1 || d > cal_days_in_month(y, (unsigned)m)) return false;
  *days = cal_days_from_civil(y, (unsigned)m, (unsigned)d);
  return true;
}

static bool parse_date(const char *s, size_t n, int64_t *days) { return n == 10 && parse_date_prefix(s, n, days); }

/* HH:MM[:SS[.fffffffff]] → nanoseconds of the day; *used gets the characters consumed. */
static bool parse_time_prefix(const char *s, size_t n, int64_t *ns, size_t *used) {
  int h, mi, sec = 0;
  if (n < 5 || s[2] != ':' || !digits(s, 2, &h) || !digits(s + 3, 2, &mi)) return false;
  size_t p = 5;
  int64_t frac = 0;
  if (p < n && s[p] == ':') {
    if (n < p + 3 || !digits(s + p + 1, 2, &sec)) return false;
    p += 3;
    if (p < n && s[p] == '.') {
      p++;
      int nd = 0;
      while (p < n && isdigit((unsigned char)s[p])) {
        if (nd < 9) frac = frac * 10 + (s[p] - '0'), nd++;
        p++;
      }
      if (nd == 0) return false;
      while (nd < 9) frac *= 10, nd++;
    }
  }
  /* no leap second: 23:59:60 would silently become the next minute (DuckDB rejects it too) */
  if (h > 23 || mi > 59 || sec > 59) return false;
  *ns = ((int64_t)h * 3600 + mi * 60 + sec) * 1000000000LL + frac;
  *used = p;
  return true;
}

/* YYYY-MM-DD[T ]HH:MM[:SS[.f]][Z|±HH[:MM]] → seconds since the epoch, UTC, and nanoseconds into
 * that second (0..999999999). Apart, so that years 1..9999 never overflow: nanoseconds since the
 * epoch only span 1677..2262 (they wrapped, silently, before). */
static bool parse_timestamp(const char *s, size_t n, int64_t *secs, int64_t *frac_ns) {
  int64_t days, tod;
  size_t used;
  if (!parse_date_prefix(s, n, &days) || n < 16 || (s[10] != 'T' && s[10] != ' ')) return false;
  if (!parse_time_prefix(s + 11, n - 11, &tod, &used)) return false;
  size_t p = 11 + used;
  int64_t offset = 0;
  if (p < n) {
    if (s[p] == 'Z' && p + 1 == n) p++;
    else if (s[p] == '+' || s[p] == '-') {
      int oh, om = 0;
      if (n < p + 3 || !digits(s + p + 1, 2, &oh)) return false;
      size_t q = p + 3;
      if (q < n && s[q] == ':') q++;
      if (q + 2 <= n && digits(s + q, 2, &om)) q += 2;
      if (q != n) return false;
      offset = (oh * 3600LL + om * 60) * (s[p] == '-' ? -1 : 1);
      p = n;
    } else return false;
  }
  if (p != n) return false;
  *secs = days * 86400 + tod / 1000000000LL - offset;
  *frac_ns = tod % 1000000000LL;
  return true;
}

/* A timestamp in a column's unit (PRESTIGE_TIME_UNIT_*); false when it does not fit 64 bits. */
static bool timestamp_in_unit(int64_t secs, int64_t frac_ns, int unit, int64_t *v) {
  static const int64_t per_second[] = {1, 1000, 1000000, 1000000000};
  return !__builtin_mul_overflow(secs, per_second[unit], v) &&
         !__builtin_add_overflow(*v, frac_ns / (1000000000 / per_second[unit]), v);
}

static void infer_init(infer_t *f) { *f = (infer_t){true, true, true, true, true, false, false}; }

static void infer_cell(infer_t *f, const cell_t *c, const char *text) {
  switch (c->kind) {
    case CELL_NULL: f->nullable = true; return;
    case CELL_BOOL: f->seen = true; f->can_int = f->can_double = f->can_date = f->can_ts = false; return;
    case CELL_INT: f->seen = true; f->can_bool = f->can_date = f->can_ts = false; return;
    case CELL_REAL: f->seen = true; f->can_bool = f->can_int = f->can_date = f->can_ts = false; return;
    case CELL_JSON_STRING:
      f->seen = true;
      f->can_bool = f->can_int = f->can_double = false;
      break;
    case CELL_TEXT: {
      /* a quoted empty CSV field ("") says nothing about the type: NULL in a typed column, the
       * empty string in a string column (as DuckDB reads "" in a typed column) */
      if (c->len == 0) {
        f->nullable = true;
        return;
      }
      f->seen = true;
      bool b;
      int64_t i;
      double d;
      if (f->can_bool && !parse_bool(text, c->len, &b)) f->can_bool = false;
      bool plain = plain_number(text, c->len);
      if (f->can_int && (!plain || !parse_i64(text, c->len, &i))) f->can_int = false;
      if (f->can_double && (!plain || !parse_double(text, c->len, &d))) f->can_double = false;
      break;
    }
  }
  int64_t x, y;
  if (f->can_date && !parse_date(text, c->len, &x)) f->can_date = false;
  /* a date among timestamps is its midnight, UTC (as DuckDB infers such a column TIMESTAMP) */
  if (f->can_ts && !parse_timestamp(text, c->len, &x, &y) && !parse_date(text, c->len, &x)) f->can_ts = false;
}

static const char *infer_format(const infer_t *f) {
  if (!f->seen) return "u";
  if (f->can_bool) return "b";
  if (f->can_int) return "l";
  if (f->can_double) return "g";
  if (f->can_date) return "tdD";
  if (f->can_ts) return "tsu:UTC";
  return "u";
}

/* ---- explicit schemas ------------------------------------------------------------------------------ */
static int type_format(const char *t, char *fmt, size_t n) {
  static const struct {
    const char *name, *fmt;
  } simple[] = {{"bool", "b"},     {"boolean", "b"}, {"int8", "c"},     {"int16", "s"},       {"int32", "i"},
                {"int", "i"},      {"int64", "l"},   {"bigint", "l"},   {"uint8", "C"},       {"uint16", "S"},
                {"uint32", "I"},   {"uint64", "L"},  {"float", "f"},    {"float32", "f"},     {"double", "g"},
                {"float64", "g"},  {"string", "u"},  {"utf8", "u"},     {"varchar", "u"},     {"binary", "z"},
                {"date", "tdD"},   {"time", "ttu"},  {"timestamp", "tsu:"}};
  for (size_t i = 0; i < sizeof(simple) / sizeof(simple[0]); i++)
    if (!strcasecmp(t, simple[i].name)) return snprintf(fmt, n, "%s", simple[i].fmt), 0;
  int p, s;
  char unit[8], tz[64];
  if (sscanf(t, "decimal(%d,%d)", &p, &s) == 2 && p >= 1 && p <= 38 && s >= 0 && s <= p)
    return snprintf(fmt, n, "d:%d,%d", p, s), 0;
  int k = sscanf(t, "timestamp(%7[a-z],%63[^)])", unit, tz);
  if (k < 1) k = sscanf(t, "timestamp(%7[a-z])", unit);
  if (k >= 1) {
    char u = !strcmp(unit, "s") ? 's' : !strcmp(unit, "ms") ? 'm' : !strcmp(unit, "us") ? 'u' : !strcmp(unit, "ns") ? 'n' : 0;
    if (!u) return -1;
    snprintf(fmt, n, "ts%c:%s", u, k == 2 ? tz : "");
    return 0;
  }
  return -1;
}

int prestige_text_parse_schema(const char *spec, struct ArrowSchema *out, prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  /* split on commas outside parentheses */
  char *copy = strdup(spec);
  if (!copy) return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
  char *fields[1024];
  int n = 0, depth = 0;
  char *start = copy;
  for (char *p = copy;; p++) {
    if (*p == '(') depth++;
    else if (*p == ')') depth--;
    if ((*p == ',' && depth == 0) || *p == 0) {
      bool end = *p == 0;
      *p = 0;
      if (n == 1024) {
        free(copy);
        return prestige_error_set(err, PRESTIGE_EINVAL, "schema: more than 1024 fields");
      }
      fields[n++] = start;
      start = p + 1;
      if (end) break;
    }
  }
  int rc = prestige_schema_init(out, "+s", "", 0, err);
  if (!rc) rc = prestige_schema_allocate_children(out, n, err);
  for (int i = 0; !rc && i < n; i++) {
    char *f = fields[i];
    while (isspace((unsigned char)*f)) f++;
    char *colon = strchr(f, ':');
    if (!colon || colon == f) {
      rc = prestige_error_set(err, PRESTIGE_EINVAL, "schema field %d \"%s\": expected name:type", i + 1, f);
      break;
    }
    *colon = 0;
    char *t = colon + 1;
    while (isspace((unsigned char)*t)) t++;
    char *e = t + strlen(t);
    while (e > t && isspace((unsigned char)e[-1])) *--e = 0;
    bool required = e > t && e[-1] == '!'; /* id:int64! : not nullable (a required Parquet field) */
    if (required) *--e = 0;
    while (e > t && isspace((unsigned char)e[-1])) *--e = 0;
    if (strchr(t, '!')) {
      rc = prestige_error_set(err, PRESTIGE_EINVAL, "schema field \"%s\": '!' must end a field's type (id:int64!)", f);
      break;
    }
    char fmt[96];
    if (type_format(t, fmt, sizeof(fmt))) {
      rc = prestige_error_set(err, PRESTIGE_EINVAL,
                              "schema field \"%s\": unknown type \"%s\" (bool, int8..int64, uint8..uint64, float, "
                              "double, string, binary, date, time, timestamp[(unit[,tz])], decimal(p,s); a trailing '!' "
                              "makes it required)",
                              f, t);
      break;
    }
    rc = prestige_schema_init(out->children[i], fmt, f, required ? 0 : ARROW_FLAG_NULLABLE, err);
    for (int j = 0; !rc && j < i; j++)
      if (!strcmp(out->children[j]->name, f)) rc = prestige_error_set(err, PRESTIGE_EINVAL, "schema: duplicate field \"%s\"", f);
  }
  free(copy);
  if (rc && out->release) out->release(out);
  return rc;
}

/* ---- reader ------------------------------------------------------------------------------------------ */
struct prestige_text_reader {
  prestige_text_options_t o;
  char *path;
  int fd;
  bool own_fd, eof;
  bool bom_checked; /* the input's first bytes were looked at for a UTF-8 byte order mark */
  bool can_yield;      /* streaming: the batch has rows, so a read that would block ends it */
  int64_t deadline_ns; /* next_wait's limit on the monotonic clock; -1: none */
  buf_t in;
  size_t pos;
  int64_t bytes, line, rows;
  struct ArrowSchema schema;
  prestige_array_builder_t *builder;
  char **names; /* CSV: the header's names (or generated); JSONL: the columns' names in order */
  int32_t n_cols;
  int32_t n_fields;   /* CSV: fields each record has (the header's, or the schema's without one) */
  int32_t *field_of;  /* schema column -> CSV field */
  bool *check_utf8;   /* schema column is a string column: its CSV text is validated */
  char **ignored;     /* distinct skipped names reported so far */
  size_t n_ignored;
  record_t *pending; /* inference rows, replayed first */
  int64_t n_pending, next_pending;
  record_t rec;
  buf_t scratch;
};

void prestige_text_options_init(prestige_text_options_t *o) {
  if (o) *o = (prestige_text_options_t)PRESTIGE_TEXT_OPTIONS_INIT;
}

static int validate_text_options(const prestige_text_options_t *o, prestige_error_t *err) {
  PRESTIGE_TRY(OPTIONS_CHECK_VERSION(o, PRESTIGE_TEXT_OPTIONS, "prestige_text_options_t", err));
  if (o->format != PRESTIGE_TEXT_CSV && o->format != PRESTIGE_TEXT_JSONL)
    return prestige_error_set(err, PRESTIGE_EINVAL, "text option format %d is not CSV (0) or JSONL (1)", (int)o->format);
  if (o->batch_rows < 1)
    return prestige_error_set(err, PRESTIGE_EINVAL, "text option batch_rows must be at least 1 (got %lld)", (long long)o->batch_rows);
  if (o->infer_rows < 1)
    return prestige_error_set(err, PRESTIGE_EINVAL, "text option infer_rows must be at least 1 (got %lld)", (long long)o->infer_rows);
  if (o->format == PRESTIGE_TEXT_CSV && (o->delimiter == '\n' || o->delimiter == '\r' || o->delimiter == '"' || !o->delimiter))
    return prestige_error_set(err, PRESTIGE_EINVAL, "text option delimiter cannot be a quote, a line break or NUL");
  return 0;
}

int prestige_text_format_from_path(const char *path, prestige_text_format_t *f, char *delimiter) {
  const char *dot = strrchr(path, '.');
  if (dot && (!strcasecmp(dot, ".csv") || !strcasecmp(dot, ".tsv"))) {
    *f = PRESTIGE_TEXT_CSV;
    if (delimiter) *delimiter = !strcasecmp(dot, ".tsv") ? '\t' : ',';
    return 0;
  }
  if (dot && (!strcasecmp(dot, ".jsonl") || !strcasecmp(dot, ".ndjson") || !strcasecmp(dot, ".json"))) {
    *f = PRESTIGE_TEXT_JSONL;
    return 0;
  }
  return PRESTIGE_EINVAL;
}

enum {
  FILL_LATER = -1000,              /* streaming: no complete record is waiting; hand out the batch */
  MAX_RECORD_BYTES = 256 << 20     /* one CSV record or JSON line; more is hostile input */
};

/* Reads until the buffer holds need_end bytes, taking what the input has at each read (a pipe
 * gives what was written, never a full block). Returns 1 when it holds them, 0 at the end of the
 * input, FILL_LATER when streaming with rows to hand out and nothing to read right now,
 * -PRESTIGE_ETIMEOUT when next_wait's deadline passed or a signal interrupted the wait, or minus
 * an error code. */
/* The input so far is empty or a proper prefix of a UTF-8 byte order mark (EF BB BF). Reading on
 * never waits for more than valid UTF-8 promises: text starting with EF has two more bytes. */
static bool bom_pending(const prestige_text_reader_t *r) {
  if (r->bom_checked) return false;
  const uint8_t *d = r->in.data;
  size_t n = r->in.len;
  return n == 0 || (n < 3 && d[0] == 0xEF && (n < 2 || d[1] == 0xBB));
}

static int refill(prestige_text_reader_t *r, size_t need_end, prestige_error_t *err) {
  while ((r->in.len < need_end || bom_pending(r)) && !r->eof) {
    if (r->pos > 0 && r->pos > r->in.len / 2) {
      memmove(r->in.data, r->in.data + r->pos, r->in.len - r->pos);
      r->in.len -= r->pos;
      need_end -= r->pos;
      r->pos = 0;
    }
    if (r->in.len - r->pos > MAX_RECORD_BYTES)
      return -prestige_error_set(err, PRESTIGE_ECORRUPT, "%s: line %lld: a record longer than %d MiB", r->path,
                                (long long)r->line + 1, MAX_RECORD_BYTES >> 20);
    if (buf_reserve(&r->in, 1 << 20)) return -prestige_error_set(err, PRESTIGE_ENOMEM, "%s: out of memory", r->path);
    int timeout = -1;
    if (r->can_yield) timeout = 0;
    else if (r->deadline_ns >= 0) {
      int64_t left = (r->deadline_ns - prestige_monotonic_ns()) / 1000000;
      timeout = left < 0 ? 0 : left > INT_MAX ? INT_MAX : (int)left;
    }
    if (timeout >= 0) {
      struct pollfd pfd = {.fd = r->fd, .events = POLLIN};
      int k = poll(&pfd, 1, timeout);
      if (k < 0 && errno != EINTR)
        return -prestige_error_set(err, PRESTIGE_EIO, "%s: waiting for input: %s", r->path, strerror(errno));
      if (k <= 0) {
        if (r->can_yield) return FILL_LATER;
        return -prestige_error_set(err, PRESTIGE_ETIMEOUT, "%s: no input within the wait", r->path);
      }
    }
    ssize_t got = read(r->fd, r->in.data + r->in.len, r->in.cap - r->in.len);
    if (got < 0) {
      if (errno == EINTR || errno == EAGAIN) {
        if (r->can_yield) return FILL_LATER;
        if (errno == EAGAIN && r->deadline_ns < 0) { /* a non-blocking descriptor: wait for it */
          struct pollfd pfd = {.fd = r->fd, .events = POLLIN};
          poll(&pfd, 1, -1);
          continue;
        }
        if (r->deadline_ns >= 0) return -prestige_error_set(err, PRESTIGE_ETIMEOUT, "%s: no input within the wait", r->path);
        /* a handler installed without SA_RESTART asks for blocking reads to end */
        return -prestige_error_set(err, PRESTIGE_ECANCELED, "%s: reading was interrupted by a signal", r->path);
      }
      return -prestige_error_set(err, PRESTIGE_EIO, "%s: reading: %s", r->path, strerror(errno));
    }
    if (got == 0) r->eof = true;
    r->in.len += (size_t)got;
  }
  if (!r->bom_checked) { /* the loop read past a prefix of it, or to the end */
    /* a UTF-8 byte order mark (Excel writes one) is not part of the first column's name or
     * value: skipped, as DuckDB and Python's utf-8-sig do */
    r->bom_checked = true;
    if (r->pos == 0 && r->in.len >= 3 && !memcmp(r->in.data, "\xEF\xBB\xBF", 3)) {
      r->pos = 3;
      r->bytes += 3;
      return refill(r, need_end + 3, err); /* the caller counted need_end from position 0 */
    }
  }
  return r->in.len >= need_end;
}

/* Reads one CSV record into r->rec. Returns 1 when a record was read, 0 at the end of the
 * input, or minus an error code. */
static int csv_record(prestige_text_reader_t *r, prestige_error_t *err) {
  record_t *rec = &r->rec;
  char d = r->o.delimiter;
  for (;;) {
    rec->n = 0;
    buf_clear(&rec->text);
    rec->line = r->line + 1;
    int64_t lines = 0;
    bool need_more = false;
    int got = refill(r, r->pos + 1, err);
    if (got <= 0) return got;
    size_t p = r->pos; /* after refill, which may have moved the unread bytes to the front */
    for (;;) {
      /* one field */
      if (p >= r->in.len) {
        if (!r->eof) {
          need_more = true;
          break;
        }
      }
      cell_t c = {.kind = CELL_TEXT, .off = (uint32_t)rec->text.len};
      bool quoted = p < r->in.len && r->in.data[p] == '"';
      if (quoted) {
        p++;
        for (;;) {
          if (p >= r->in.len) {
            if (r->eof)
              return -prestige_error_set(err, PRESTIGE_ECORRUPT, "%s: line %lld: unterminated quoted field", r->path,
                                        (long long)rec->line);
            need_more = true;
            break;
          }
          char ch = (char)r->in.data[p];
          if (ch == '"') {
            if (p + 1 >= r->in.len && !r->eof) {
              need_more = true;
              break;
            }
            if (p + 1 < r->in.len && r->in.data[p + 1] == '"') {
              if (buf_append_u8(&rec->text, '"')) return -prestige_error_set(err, PRESTIGE_ENOMEM, "%s: out of memory", r->path);
              p += 2;
              continue;
            }
            p++;
            break;
          }
          if (ch == '\n') lines++;
          if (buf_append_u8(&rec->text, (uint8_t)ch)) return -prestige_error_set(err, PRESTIGE_ENOMEM, "%s: out of memory", r->path);
          p++;
        }
        if (need_more) break;
      } else {
        while (p < r->in.len && r->in.data[p] != d && r->in.data[p] != '\n' && r->in.data[p] != '\r') {
          if (r->in.data[p] == '"')
            return -prestige_error_set(err, PRESTIGE_ECORRUPT, "%s: line %lld, column %d: quote inside an unquoted field",
                                      r->path, (long long)(rec->line + lines), rec->n + 1);
          if (buf_append_u8(&rec->text, r->in.data[p])) return -prestige_error_set(err, PRESTIGE_ENOMEM, "%s: out of memory", r->path);
          p++;
        }
        if (p >= r->in.len && !r->eof) {
          need_more = true;
          break;
        }
      }
      c.len = (uint32_t)(rec->text.len - c.off);
      if (!quoted && c.len == 0) c.kind = CELL_NULL;
      if (buf_append_u8(&rec->text, 0)) return -prestige_error_set(err, PRESTIGE_ENOMEM, "%s: out of memory", r->path); /* NUL-terminate each field for the parsers */
      if (record_push(rec, c)) return -prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
      if (p < r->in.len && r->in.data[p] == d) {
        p++;
        continue;
      }
      if (p < r->in.len && r->in.data[p] == '\r') {
        if (p + 1 >= r->in.len && !r->eof) {
          need_more = true;
          break;
        }
        p++;
      }
      if (p < r->in.len && r->in.data[p] == '\n') p++;
      else if (p < r->in.len)
        return -prestige_error_set(err, PRESTIGE_ECORRUPT, "%s: line %lld, column %d: text after a closing quote",
                                  r->path, (long long)(rec->line + lines), rec->n);
      break;
    }
    if (need_more) { /* reparse the record from its start with more input (or end-of-input rules) */
      int more = refill(r, r->in.len + 1, err);
      if (more < 0) return more;
      continue;
    }
    r->bytes += (int64_t)(p - r->pos);
    r->pos = p;
    r->line += lines + 1;
    /* a blank line (single null cell) is skipped */
    if (rec->n == 1 && rec->cells[0].kind == CELL_NULL) {
      if (r->pos >= r->in.len && r->eof) return 0;
      continue;
    }
    return 1;
  }
}

enum { MAX_IGNORED_NAMES = 1024 };

/* A JSON key or CSV column the schema lacks: an error with strict, else reported once. */
static int ignored_name(prestige_text_reader_t *r, const char *name, int64_t line, prestige_error_t *err) {
  const char *why = r->o.schema ? "the schema does not name it" : "it is not among the columns inferred from the first rows";
  if (r->o.strict)
    return prestige_error_set(err, PRESTIGE_ECORRUPT, "%s: line %lld: %s \"%s\": %s", r->path, (long long)line,
                              r->o.format == PRESTIGE_TEXT_CSV ? "column" : "key", name, why);
  for (size_t i = 0; i < r->n_ignored; i++)
    if (!strcmp(r->ignored[i], name)) return 0;
  if (r->n_ignored == MAX_IGNORED_NAMES) return 0;
  char **n = realloc(r->ignored, (r->n_ignored + 1) * sizeof *n);
  if (!n) return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
  r->ignored = n;
  if (!(r->ignored[r->n_ignored] = strdup(name))) return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
  r->n_ignored++;
  if (r->o.on_ignored) r->o.on_ignored(r->o.user_data, name, line);
  return 0;
}

/* Reads one JSON line into r->rec, cells ordered by r->names (adding new names while inferring). */
static int json_record(prestige_text_reader_t *r, bool may_add_columns, prestige_error_t *err) {
  record_t *rec = &r->rec;
  for (;;) {
    size_t p = r->pos;
    size_t e = p;
    for (;;) {
      while (e < r->in.len && r->in.data[e] != '\n') e++;
      if (e < r->in.len || r->eof) break;
      size_t off = e - r->pos;
      int got = refill(r, r->in.len + 1, err);
      if (got < 0) return got;
      p = r->pos;
      e = p + off;
    }
    if (p >= r->in.len && r->eof) return 0;
    size_t len = e - p;
    r->line++;
    r->bytes += (int64_t)(len + (e < r->in.len));
    r->pos = e < r->in.len ? e + 1 : e;
    const char *s = (const char *)r->in.data + p;
    size_t k = 0;
    while (k < len && isspace((unsigned char)s[k])) k++;
    if (k == len) continue; /* blank line */
    json_error_t je;
    bool oom;
    json_t *obj = json_loadb_checked(s, len, JSON_DECODE_ANY | JSON_ALLOW_NUL | JSON_REJECT_DUPLICATES, &je, &oom);
    if (!obj && oom)
      return -prestige_error_set(err, PRESTIGE_ENOMEM, "%s: line %lld: out of memory parsing the JSON", r->path,
                                 (long long)r->line);
    if (!obj && !strncmp(je.text, "duplicate object key near '", 27)) { /* jansson quotes the key in '' */
      int kl = (int)strlen(je.text + 27);
      if (kl > 0 && je.text[27 + kl - 1] == '\'') kl--;
      return -prestige_error_set(err, PRESTIGE_ECORRUPT, "%s: line %lld, character %d: duplicate key %.*s in one object",
                                r->path, (long long)r->line, je.column, kl, je.text + 27);
    }
    if (!obj)
      return -prestige_error_set(err, PRESTIGE_ECORRUPT, "%s: line %lld, character %d: invalid JSON: %s", r->path,
                                (long long)r->line, je.column, je.text);
    if (!json_is_object(obj)) {
      json_decref(obj);
      return -prestige_error_set(err, PRESTIGE_ECORRUPT, "%s: line %lld: expected a JSON object", r->path, (long long)r->line);
    }
    rec->n = 0;
    buf_clear(&rec->text);
    rec->line = r->line;
    const char *key;
    json_t *val;
    json_object_foreach(obj, key, val) {
      int32_t idx = -1;
      for (int32_t c = 0; c < r->n_cols; c++)
        if (!strcmp(r->names[c], key)) idx = c;
      if (idx < 0) {
        if (!may_add_columns) {
          int irc = ignored_name(r, key, r->line, err);
          if (irc) {
            json_decref(obj);
            return -irc;
          }
          continue;
        }
        char **names = realloc(r->names, (size_t)(r->n_cols + 1) * sizeof(char *));
        if (!names) {
          json_decref(obj);
          return -prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
        }
        r->names = names;
        r->names[r->n_cols] = strdup(key);
        idx = r->n_cols++;
      }
      while (rec->n <= idx) record_push(rec, (cell_t){.kind = CELL_NULL});
      cell_t c = {.kind = CELL_NULL};
      char *dump = NULL;
      const char *t = NULL;
      size_t tl = 0;
      switch (json_typeof(val)) {
        case JSON_TRUE: case JSON_FALSE: c.kind = CELL_BOOL; c.b = json_is_true(val); t = c.b ? "true" : "false"; tl = strlen(t); break;
        case JSON_INTEGER: c.kind = CELL_INT; c.i = json_integer_value(val); break;
        case JSON_REAL: c.kind = CELL_REAL; c.d = json_real_value(val); break;
        case JSON_STRING: c.kind = CELL_JSON_STRING; t = json_string_value(val); tl = json_string_length(val); break;
        case JSON_NULL: break;
        default:
          c.kind = CELL_JSON_STRING;
          dump = json_text_shortest(val); /* 0.1 stays 0.1 (jansson's own text has 17 digits) */
          t = dump ? dump : "";
          tl = strlen(t);
      }
      char num[64];
      if (c.kind == CELL_INT) tl = (size_t)snprintf(num, sizeof(num), "%lld", (long long)c.i), t = num;
      if (c.kind == CELL_REAL) json_real_text(c.d, num, sizeof num), tl = strlen(num), t = num;
      c.off = (uint32_t)rec->text.len;
      c.len = (uint32_t)tl;
      bool nomem = (t && buf_append(&rec->text, t, tl)) || buf_append_u8(&rec->text, 0);
      free(dump);
      if (nomem) {
        json_decref(obj);
        return -prestige_error_set(err, PRESTIGE_ENOMEM, "%s: out of memory", r->path);
      }
      rec->cells[idx] = c;
    }
    json_decref(obj);
    while (rec->n < r->n_cols)
      if (record_push(rec, (cell_t){.kind = CELL_NULL})) return -prestige_error_set(err, PRESTIGE_ENOMEM, "%s: out of memory", r->path);
    return 1;
  }
}

static int read_record(prestige_text_reader_t *r, bool inferring, prestige_error_t *err) {
  return r->o.format == PRESTIGE_TEXT_CSV ? csv_record(r, err) : json_record(r, inferring, err);
}

static int copy_record(record_t *dst, const record_t *src) {
  memset(dst, 0, sizeof(*dst));
  dst->cells = malloc((size_t)(src->n ? src->n : 1) * sizeof(cell_t));
  if (!dst->cells || buf_append(&dst->text, src->text.data, src->text.len)) return PRESTIGE_ENOMEM;
  if (src->n) memcpy(dst->cells, src->cells, (size_t)src->n * sizeof(cell_t));
  dst->n = dst->cap = src->n;
  dst->line = src->line;
  return 0;
}

void prestige_text_reader_close(prestige_text_reader_t *r) {
  if (!r) return;
  if (r->own_fd) close(r->fd);
  buf_release(&r->in);
  buf_release(&r->scratch);
  record_release(&r->rec);
  for (int64_t i = 0; i < r->n_pending; i++) record_release(&r->pending[i]);
  free(r->pending);
  for (int32_t i = 0; i < r->n_cols; i++) free(r->names[i]);
  free(r->names);
  free(r->field_of);
  free(r->check_utf8);
  for (size_t i = 0; i < r->n_ignored; i++) free(r->ignored[i]);
  free(r->ignored);
  prestige_array_builder_free(r->builder);
  prestige_schema_release(&r->schema);
  free(r->path);
  free(r);
}

/* The header row: names (generated for empty ones), each UTF-8 and given once. */
static int read_header(prestige_text_reader_t *r, prestige_error_t *err) {
  int got = csv_record(r, err);
  if (got < 0) return -got;
  if (got == 0) return prestige_error_set(err, PRESTIGE_ECORRUPT, "%s: empty input (no header row)", r->path);
  if (!(r->names = calloc((size_t)r->rec.n + 1, sizeof(char *)))) return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
  r->n_cols = r->n_fields = r->rec.n; /* after the allocation: close frees n_cols names */
  for (int32_t c = 0; c < r->n_cols; c++) {
    const cell_t *cell = &r->rec.cells[c];
    const char *t = (const char *)r->rec.text.data + cell->off;
    char gen[32];
    if (cell->kind == CELL_NULL || !cell->len) {
      snprintf(gen, sizeof(gen), "column%d", c + 1);
      t = gen;
    } else if (utf8_check((const uint8_t *)t, cell->len) != cell->len) {
      return prestige_error_set(err, PRESTIGE_ECORRUPT, "%s: line 1, column %d: the header name is not UTF-8", r->path, c + 1);
    }
    if (!(r->names[c] = strdup(t))) return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
    for (int32_t k = 0; k < c; k++)
      if (!strcmp(r->names[k], r->names[c]))
        return prestige_error_set(err, PRESTIGE_ECORRUPT, "%s: line 1: columns %d and %d are both named \"%s\"", r->path, k + 1,
                                  c + 1, r->names[c]);
  }
  return 0;
}

/* CSV with a header and an explicit schema: each schema column is found in the header by name. */
static int map_header(prestige_text_reader_t *r, prestige_error_t *err) {
  bool *used = calloc((size_t)r->n_cols + 1, sizeof(bool));
  if (!used) return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
  int rc = 0;
  for (int64_t c = 0; !rc && c < r->schema.n_children; c++) {
    const char *want = r->schema.children[c]->name;
    r->field_of[c] = -1;
    for (int32_t h = 0; h < r->n_cols; h++)
      if (!strcmp(r->names[h], want)) r->field_of[c] = h, used[h] = true;
    if (r->field_of[c] < 0)
      rc = prestige_error_set(err, PRESTIGE_ECORRUPT, "%s: the header has no column \"%s\" (column %lld of the schema)", r->path,
                              want, (long long)c + 1);
  }
  for (int32_t h = 0; !rc && h < r->n_cols; h++)
    if (!used[h]) rc = ignored_name(r, r->names[h], 1, err);
  free(used);
  return rc;
}

/* Reads the first infer_rows records (kept to be replayed) and infers the columns' types. */
static int infer_schema(prestige_text_reader_t *r, prestige_error_t *err) {
  int rc = 0;
  int64_t cap = 0;
  while (r->n_pending < r->o.infer_rows) {
    int got = read_record(r, true, err);
    if (got < 0) return -got;
    if (got == 0) break;
    if (r->n_pending == cap) {
      cap = cap ? cap * 2 : 256;
      record_t *p = realloc(r->pending, (size_t)cap * sizeof(record_t));
      if (!p) return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
      r->pending = p;
    }
    if (copy_record(&r->pending[r->n_pending], &r->rec)) {
      record_release(&r->pending[r->n_pending]);
      return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
    }
    r->n_pending++;
  }
  if (r->o.format == PRESTIGE_TEXT_CSV && !r->o.header) {
    r->n_cols = r->n_fields = r->n_pending ? r->pending[0].n : 0;
    if (!(r->names = calloc((size_t)r->n_cols + 1, sizeof(char *)))) return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
    for (int32_t c = 0; c < r->n_cols; c++) {
      char gen[32];
      snprintf(gen, sizeof(gen), "column%d", c + 1);
      if (!(r->names[c] = strdup(gen))) return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
    }
  }
  if (r->n_cols == 0) return prestige_error_set(err, PRESTIGE_ECORRUPT, "%s: no columns found", r->path);
  infer_t *inf = calloc((size_t)r->n_cols, sizeof(infer_t));
  if (!inf) return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
  for (int32_t c = 0; c < r->n_cols; c++) infer_init(&inf[c]);
  for (int64_t i = 0; i < r->n_pending; i++) {
    const record_t *rec = &r->pending[i];
    for (int32_t c = 0; c < r->n_cols; c++) {
      if (c >= rec->n) {
        inf[c].nullable = true;
        continue;
      }
      infer_cell(&inf[c], &rec->cells[c], (const char *)rec->text.data + rec->cells[c].off);
    }
  }
  rc = prestige_schema_init(&r->schema, "+s", "", 0, err);
  if (!rc) rc = prestige_schema_allocate_children(&r->schema, r->n_cols, err);
  for (int32_t c = 0; !rc && c < r->n_cols; c++)
    rc = prestige_schema_init(r->schema.children[c], infer_format(&inf[c]), r->names[c], ARROW_FLAG_NULLABLE, err);
  free(inf);
  return rc;
}

int prestige_text_reader_open(prestige_text_reader_t **out, const char *path, const prestige_text_options_t *o,
                              prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  if (!out || !path) return prestige_error_set(err, PRESTIGE_EINVAL, "prestige_text_reader_open: %s is NULL", out ? "path" : "out");
  *out = NULL;
  if (o) PRESTIGE_TRY(validate_text_options(o, err));
  prestige_text_reader_t *r = calloc(1, sizeof(*r));
  if (!r) return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
  prestige_text_options_init(&r->o);
  if (o) r->o = *o;
  r->fd = -1;
  r->deadline_ns = -1;
  r->path = strdup(strcmp(path, "-") ? path : "<stdin>");
  int rc = r->path ? 0 : prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
  if (rc) {
  } else if (!strcmp(path, "-")) {
    r->fd = STDIN_FILENO;
  } else if ((r->fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
    rc = prestige_error_set(err, errno == ENOENT ? PRESTIGE_ENOTFOUND : PRESTIGE_EIO, "%s: %s", path, strerror(errno));
  } else {
    r->own_fd = true;
  }
  bool explicit_schema = r->o.schema != NULL;
  bool csv = r->o.format == PRESTIGE_TEXT_CSV;
  if (!rc && explicit_schema) rc = prestige_text_parse_schema(r->o.schema, &r->schema, err);
  if (!rc && csv && r->o.header) rc = read_header(r, err);
  if (!rc && explicit_schema && !csv) {
    r->n_cols = (int32_t)r->schema.n_children;
    r->names = calloc((size_t)r->n_cols + 1, sizeof(char *));
    for (int32_t c = 0; r->names && c < r->n_cols; c++)
      if (!(r->names[c] = strdup(r->schema.children[c]->name))) break;
    if (!r->names || (r->n_cols && !r->names[r->n_cols - 1])) rc = prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
  }
  if (!rc && !explicit_schema) rc = infer_schema(r, err);
  int64_t n = r->schema.release ? r->schema.n_children : 0;
  if (!rc && (!(r->field_of = calloc((size_t)n + 1, sizeof(int32_t))) || !(r->check_utf8 = calloc((size_t)n + 1, sizeof(bool)))))
    rc = prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
  for (int64_t c = 0; !rc && c < n; c++) {
    r->field_of[c] = (int32_t)c;
    const char *f = r->schema.children[c]->format;
    r->check_utf8[c] = !strcmp(f, "u") || !strcmp(f, "U");
  }
  if (!rc && explicit_schema && csv) {
    if (r->o.header) rc = map_header(r, err);
    else r->n_fields = (int32_t)n;
  }
  if (!rc) rc = prestige_array_builder_new(&r->builder, &r->schema, err);
  if (rc) {
    prestige_text_reader_close(r);
    return rc;
  }
  *out = r;
  return 0;
}

const struct ArrowSchema *prestige_text_reader_schema(const prestige_text_reader_t *r) { return &r->schema; }
int64_t prestige_text_reader_bytes(const prestige_text_reader_t *r) { return r->bytes; }
int64_t prestige_text_reader_rows(const prestige_text_reader_t *r) { return r->rows; }

/* ---- appending cells --------------------------------------------------------------------------- */
/* c: the schema column; the message numbers the column as the input has it (the CSV field). */
static int bad_value(prestige_text_reader_t *r, const record_t *rec, int32_t c, const char *text, const char *want,
                     prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  return prestige_error_set(err, PRESTIGE_ECORRUPT, "%s: line %lld, column %d (\"%s\"): \"%.60s\" is not %s", r->path,
                            (long long)rec->line, r->field_of[c] + 1, r->schema.children[c]->name, text, want);
}

static int parse_decimal(const char *s, size_t n, int scale, int precision, uint8_t le[16]) {
  __int128 v = 0;
  bool neg = false, dot = false;
  int frac = 0, nd = 0;
  size_t i = 0;
  if (i < n && (s[i] == '-' || s[i] == '+')) neg = s[i++] == '-';
  if (i == n) return -1;
  for (; i < n; i++) {
    if (s[i] == '.' && !dot) {
      dot = true;
      continue;
    }
    if (!isdigit((unsigned char)s[i])) return -1;
    if (dot) {
      if (frac == scale) {
        if (s[i] != '0') return -1; /* more fractional digits than the scale holds */
        continue;
      }
      frac++;
    }
    v = v * 10 + (s[i] - '0');
    if (v != 0 || dot) nd++;
    if (nd > precision) return -1;
  }
  while (frac < scale) {
    v *= 10;
    frac++;
    if (++nd > precision) return -1;
  }
  if (neg) v = -v;
  memcpy(le, &v, 16);
  return 0;
}

static int append_cell(prestige_text_reader_t *r, const record_t *rec, int32_t c, prestige_error_t *err) {
  prestige_array_builder_t *b = prestige_array_builder_child(r->builder, c);
  int32_t f = r->o.format == PRESTIGE_TEXT_CSV ? r->field_of[c] : c;
  const cell_t *cell = f < rec->n ? &rec->cells[f] : NULL;
  const char *fmt = r->schema.children[c]->format;
  bool text_column = !strcmp(fmt, "u") || !strcmp(fmt, "U") || !strcmp(fmt, "z") || !strcmp(fmt, "Z");
  /* a quoted empty CSV field: the empty string in a string column, NULL in any other */
  if (!cell || cell->kind == CELL_NULL || (cell->kind == CELL_TEXT && cell->len == 0 && !text_column)) {
    if (!(r->schema.children[c]->flags & ARROW_FLAG_NULLABLE))
      return prestige_error_set(err, PRESTIGE_ECORRUPT, "%s: line %lld: column \"%s\" is required (not null) but has no value",
                                r->path, (long long)rec->line, r->schema.children[c]->name);
    return prestige_array_builder_append_null(b, err);
  }
  const char *text = (const char *)rec->text.data + cell->off;
  size_t n = cell->len;
  prestige_arrow_type_info_t t;
  PRESTIGE_TRY(prestige_arrow_type_parse(r->schema.children[c]->format, &t, err));
  switch (t.type) {
    case PRESTIGE_ARROW_BOOL: {
      bool v;
      if (cell->kind == CELL_BOOL) v = cell->b;
      else if (cell->kind != CELL_TEXT || !parse_bool(text, n, &v)) return bad_value(r, rec, c, text, "a boolean", err);
      return prestige_array_builder_append_bool(b, v, err);
    }
    case PRESTIGE_ARROW_INT8: case PRESTIGE_ARROW_INT16: case PRESTIGE_ARROW_INT32: case PRESTIGE_ARROW_INT64: {
      int64_t v;
      if (cell->kind == CELL_INT) v = cell->i;
      else if (cell->kind != CELL_TEXT || !parse_i64(text, n, &v)) return bad_value(r, rec, c, text, "an integer", err);
      int rc = prestige_array_builder_append_int(b, v, err);
      return rc == PRESTIGE_ENOMEM ? rc : rc ? bad_value(r, rec, c, text, "in range", err) : 0;
    }
    case PRESTIGE_ARROW_UINT8: case PRESTIGE_ARROW_UINT16: case PRESTIGE_ARROW_UINT32: case PRESTIGE_ARROW_UINT64: {
      uint64_t v;
      if (cell->kind == CELL_INT && cell->i >= 0) v = (uint64_t)cell->i;
      else if (!parse_u64(text, n, &v)) return bad_value(r, rec, c, text, "an unsigned integer", err);
      int rc = prestige_array_builder_append_uint(b, v, err);
      return rc == PRESTIGE_ENOMEM ? rc : rc ? bad_value(r, rec, c, text, "in range", err) : 0;
    }
    case PRESTIGE_ARROW_FLOAT: case PRESTIGE_ARROW_DOUBLE: {
      double v;
      if (cell->kind == CELL_REAL) v = cell->d;
      else if (cell->kind == CELL_INT) v = (double)cell->i;
      else if (cell->kind != CELL_TEXT || !parse_double(text, n, &v)) return bad_value(r, rec, c, text, "a number", err);
      return prestige_array_builder_append_double(b, v, err);
    }
    case PRESTIGE_ARROW_DATE32: {
      int64_t d;
      if (!parse_date(text, n, &d)) return bad_value(r, rec, c, text, "a date (YYYY-MM-DD)", err);
      return prestige_array_builder_append_int(b, d, err);
    }
    case PRESTIGE_ARROW_TIME64: {
      int64_t ns;
      size_t used;
      if (!parse_time_prefix(text, n, &ns, &used) || used != n) return bad_value(r, rec, c, text, "a time (HH:MM:SS[.f])", err);
      return prestige_array_builder_append_int(b, t.unit == PRESTIGE_TIME_UNIT_NANO ? ns : ns / 1000, err);
    }
    case PRESTIGE_ARROW_TIMESTAMP: {
      int64_t secs, frac_ns = 0, epoch, v;
      /* an integer counts the column's unit since the epoch (epoch milliseconds for timestamp(ms)) */
      if (cell->kind == CELL_INT) return prestige_array_builder_append_int(b, cell->i, err);
      if (cell->kind != CELL_BOOL && parse_i64(text, n, &epoch)) return prestige_array_builder_append_int(b, epoch, err);
      if (parse_date(text, n, &secs)) secs *= 86400; /* a date: its midnight, UTC */
      else if (!parse_timestamp(text, n, &secs, &frac_ns))
        return bad_value(r, rec, c, text, "a timestamp (ISO 8601, or an integer in the column's unit)", err);
      if (!timestamp_in_unit(secs, frac_ns, t.unit, &v))
        return bad_value(r, rec, c, text, "in the range of the column's unit (timestamp(ns): 1677..2262)", err);
      return prestige_array_builder_append_int(b, v, err);
    }
    case PRESTIGE_ARROW_DECIMAL128: {
      uint8_t le[16];
      if (parse_decimal(text, n, t.scale, t.precision, le)) {
        char want[48];
        snprintf(want, sizeof(want), "a decimal(%d,%d)", t.precision, t.scale);
        return bad_value(r, rec, c, text, want, err);
      }
      return prestige_array_builder_append_decimal(b, le, err);
    }
    default:
      /* JSON strings are UTF-8 already (the parser checks); CSV text for a string column is checked here */
      if (r->check_utf8[c] && cell->kind == CELL_TEXT) {
        size_t at = utf8_check((const uint8_t *)text, n);
        if (at != n)
          return prestige_error_set(err, PRESTIGE_ECORRUPT,
                                    "%s: line %lld, column %d (\"%s\"): invalid UTF-8 at byte %zu of the field (declare "
                                    "the column binary to keep arbitrary bytes)",
                                    r->path, (long long)rec->line, f + 1, r->schema.children[c]->name, at + 1);
      }
      return prestige_array_builder_append_bytes(b, text, (int64_t)n, err);
  }
}

static int append_record(prestige_text_reader_t *r, const record_t *rec, prestige_error_t *err) {
  if (r->o.format == PRESTIGE_TEXT_CSV && rec->n != r->n_fields)
    return prestige_error_set(err, PRESTIGE_ECORRUPT, "%s: line %lld has %d fields, expected %d", r->path,
                              (long long)rec->line, rec->n, r->n_fields);
  for (int32_t c = 0; c < (int32_t)r->schema.n_children; c++) PRESTIGE_TRY(append_cell(r, rec, c, err));
  return prestige_array_builder_append_struct(r->builder, err);
}

int prestige_text_reader_next_wait(prestige_text_reader_t *r, struct ArrowArray *out, int64_t max_rows, int64_t timeout_ms,
                                   prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  out->release = NULL;
  r->deadline_ns = timeout_ms < 0 ? -1 : prestige_monotonic_ns() + timeout_ms * 1000000;
  int64_t limit = max_rows > 0 && max_rows < r->o.batch_rows ? max_rows : r->o.batch_rows;
  int rc = 0;
  int64_t n = 0;
  while (n < limit) {
    if (r->next_pending < r->n_pending) {
      rc = append_record(r, &r->pending[r->next_pending], err);
      if (rc) break;
      record_release(&r->pending[r->next_pending]);
      memset(&r->pending[r->next_pending], 0, sizeof(record_t));
      r->next_pending++;
    } else {
      /* streaming: once the batch has rows, a read that would block hands them out */
      r->can_yield = r->o.streaming && n > 0;
      int got = read_record(r, false, err);
      if (got == FILL_LATER) break;
      if (got < 0) {
        rc = -got;
        break;
      }
      if (got == 0) break;
      if ((rc = append_record(r, &r->rec, err))) break;
    }
    n++;
  }
  r->can_yield = false;
  r->deadline_ns = -1;
  r->rows += n;
  if (rc == PRESTIGE_ETIMEOUT && n > 0) rc = 0; /* cannot happen: a batch with rows never waits */
  if (rc || n == 0) return rc;
  return prestige_array_builder_finish(r->builder, out, err);
}

int prestige_text_reader_next(prestige_text_reader_t *r, struct ArrowArray *out, prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  return prestige_text_reader_next_wait(r, out, 0, -1, err);
}
