/* Arrow values as JSON (for cat and convert's text output) and CSV fields. */
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "format.h"

#include "cli.h"

#include "core/json_text.h"


static json_t *ts_string(int64_t v, prestige_time_unit_t u, bool utc, bool date_only, bool time_only) {
  static const int64_t per_sec[] = {1, 1000, 1000000, 1000000000};
  int64_t ps = per_sec[u];
  int64_t secs = v / ps, frac = v % ps;
  if (frac < 0) frac += ps, secs--;
  char buf[64];
  if (time_only) {
    snprintf(buf, sizeof(buf), "%02" PRId64 ":%02" PRId64 ":%02" PRId64, secs / 3600, secs / 60 % 60, secs % 60);
  } else {
    time_t t = (time_t)secs;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, sizeof(buf), date_only ? "%Y-%m-%d" : "%Y-%m-%dT%H:%M:%S", &tm);
  }
  size_t n = strlen(buf);
  if (!date_only && u > 0) {
    static const int digits[] = {0, 3, 6, 9};
    snprintf(buf + n, sizeof(buf) - n, ".%0*" PRId64, digits[u], frac);
    n = strlen(buf);
  }
  if (utc && !time_only && !date_only) snprintf(buf + n, sizeof(buf) - n, "Z");
  return json_string(buf);
}

static json_t *decimal_string(const uint8_t *le, int scale) {
  char out[64];
  prestige_decimal128_format(le, scale, out, sizeof(out));
  return json_string(out);
}

static json_t *interval_string(int32_t months, int32_t days, int64_t nanos) {
  char out[96];
  prestige_interval_format(months, days, nanos, out, sizeof(out));
  return json_string(out);
}

/* An arrow.json value: the document itself, so that JSON lines output embeds it as DuckDB's JSON
 * output does. Text jansson cannot take (not JSON, or an integer beyond 64 bits) stays a string. */
static json_t *json_document(const char *text, size_t len) {
  json_t *doc = json_loadb(text, len, JSON_DECODE_ANY, NULL);
  if (doc) return doc;
  json_t *r = json_stringn(text, len);
  return r ? r : json_string("<invalid UTF-8>");
}

/* A float widened to double prints as 0.10000000149011612; a float is printed as the shortest
 * text that reads back as the same float (0.1), so it is handed on as the double of that text. */
static double float_as_printed(float f) {
  if (!isfinite(f)) return f;
  char t[32];
  for (int p = fabsf(f) < FLT_MIN ? 1 : 6; p <= 9; p++) {
    snprintf(t, sizeof t, "%.*g", p, (double)f);
    if (p == 9 || strtof(t, NULL) == f) break;
  }
  return strtod(t, NULL);
}

json_t *cli_json_value(const struct ArrowArray *a, const struct ArrowSchema *s, int64_t i) {
  if (!prestige_array_is_valid(a, i)) return json_null();
  prestige_arrow_type_info_t t;
  if (prestige_arrow_type_parse(s->format, &t, NULL)) return json_null();
  int64_t j = a->offset + i;
  const uint8_t *v = a->n_buffers > 1 ? a->buffers[1] : NULL;
  prestige_arrow_extension_t ext;
  if (prestige_schema_extension(s, &ext, NULL)) ext = PRESTIGE_ARROW_EXT_NONE; /* a misplaced name: the storage type */
  if (ext == PRESTIGE_ARROW_EXT_UUID) {
    char text[37];
    prestige_uuid_format(v + j * 16, text);
    return json_string(text);
  }
  if (ext == PRESTIGE_ARROW_EXT_JSON) {
    int64_t st, en;
    if (t.type == PRESTIGE_ARROW_STRING) st = ((const int32_t *)v)[j], en = ((const int32_t *)v)[j + 1];
    else st = ((const int64_t *)v)[j], en = ((const int64_t *)v)[j + 1];
    return json_document((const char *)a->buffers[2] + st, (size_t)(en - st));
  }
  switch (t.type) {
    case PRESTIGE_ARROW_NA: return json_null();
    case PRESTIGE_ARROW_BOOL: return json_boolean((v[j >> 3] >> (j & 7)) & 1);
    case PRESTIGE_ARROW_INT8: return json_integer(((const int8_t *)v)[j]);
    case PRESTIGE_ARROW_UINT8: return json_integer(((const uint8_t *)v)[j]);
    case PRESTIGE_ARROW_INT16: return json_integer(((const int16_t *)v)[j]);
    case PRESTIGE_ARROW_UINT16: return json_integer(((const uint16_t *)v)[j]);
    case PRESTIGE_ARROW_INT32: return json_integer(((const int32_t *)v)[j]);
    case PRESTIGE_ARROW_UINT32: return json_integer(((const uint32_t *)v)[j]);
    case PRESTIGE_ARROW_INT64: case PRESTIGE_ARROW_DURATION: return json_integer(((const int64_t *)v)[j]);
    case PRESTIGE_ARROW_UINT64: {
      uint64_t x = ((const uint64_t *)v)[j];
      if (x <= INT64_MAX) return json_integer((json_int_t)x);
      char b[32];
      snprintf(b, sizeof(b), "%" PRIu64, x);
      return json_string(b); /* beyond JSON's safe integers */
    }
    case PRESTIGE_ARROW_HALF_FLOAT: {
      uint16_t h = ((const uint16_t *)v)[j];
      int e = (h >> 10) & 0x1f, m = h & 0x3ff;
      double f = e == 0 ? ldexp(m, -24) : e == 31 ? (m ? NAN : INFINITY) : ldexp(m | 0x400, e - 25);
      f = (h & 0x8000) ? -f : f;
      return isfinite(f) ? json_real(f) : json_string(isnan(f) ? "NaN" : f > 0 ? "Infinity" : "-Infinity");
    }
    case PRESTIGE_ARROW_FLOAT: case PRESTIGE_ARROW_DOUBLE: {
      double f = t.type == PRESTIGE_ARROW_FLOAT ? float_as_printed(((const float *)v)[j]) : ((const double *)v)[j];
      return isfinite(f) ? json_real(f) : json_string(isnan(f) ? "NaN" : f > 0 ? "Infinity" : "-Infinity");
    }
    case PRESTIGE_ARROW_STRING: case PRESTIGE_ARROW_LARGE_STRING: {
      int64_t st, en;
      if (t.type == PRESTIGE_ARROW_STRING) st = ((const int32_t *)v)[j], en = ((const int32_t *)v)[j + 1];
      else st = ((const int64_t *)v)[j], en = ((const int64_t *)v)[j + 1];
      json_t *r = json_stringn((const char *)a->buffers[2] + st, (size_t)(en - st));
      return r ? r : json_string("<invalid UTF-8>");
    }
    case PRESTIGE_ARROW_BINARY: case PRESTIGE_ARROW_LARGE_BINARY: case PRESTIGE_ARROW_FIXED_SIZE_BINARY: {
      const uint8_t *p;
      int64_t len;
      if (t.type == PRESTIGE_ARROW_FIXED_SIZE_BINARY) p = v + j * t.fixed_size, len = t.fixed_size;
      else if (t.type == PRESTIGE_ARROW_BINARY) {
        int32_t st = ((const int32_t *)v)[j];
        p = (const uint8_t *)a->buffers[2] + st, len = ((const int32_t *)v)[j + 1] - st;
      } else {
        int64_t st = ((const int64_t *)v)[j];
        p = (const uint8_t *)a->buffers[2] + st, len = ((const int64_t *)v)[j + 1] - st;
      }
      char *hex = malloc((size_t)len * 2 + 1);
      if (!hex) return json_null();
      for (int64_t k = 0; k < len; k++) snprintf(hex + 2 * k, 3, "%02x", p[k]);
      hex[len * 2] = 0;
      json_t *r = json_string(hex);
      free(hex);
      return r;
    }
    case PRESTIGE_ARROW_DECIMAL128: return decimal_string(v + j * 16, t.scale);
    case PRESTIGE_ARROW_DATE32: return ts_string((int64_t)((const int32_t *)v)[j] * 86400, PRESTIGE_TIME_UNIT_SECOND, false, true, false);
    case PRESTIGE_ARROW_DATE64: return ts_string(((const int64_t *)v)[j], PRESTIGE_TIME_UNIT_MILLI, false, true, false);
    case PRESTIGE_ARROW_TIME32: return ts_string(((const int32_t *)v)[j], t.unit, false, false, true);
    case PRESTIGE_ARROW_TIME64: return ts_string(((const int64_t *)v)[j], t.unit, false, false, true);
    case PRESTIGE_ARROW_TIMESTAMP: return ts_string(((const int64_t *)v)[j], t.unit, t.timezone[0] != 0, false, false);
    case PRESTIGE_ARROW_INTERVAL_MONTHS: return interval_string(((const int32_t *)v)[j], 0, 0);
    case PRESTIGE_ARROW_INTERVAL_DAY_TIME: {
      int32_t dt[2];
      memcpy(dt, v + j * 8, 8);
      return interval_string(0, dt[0], (int64_t)dt[1] * 1000000);
    }
    case PRESTIGE_ARROW_INTERVAL_MONTH_DAY_NANO: {
      int32_t md[2];
      int64_t ns;
      memcpy(md, v + j * 16, 8);
      memcpy(&ns, v + j * 16 + 8, 8);
      return interval_string(md[0], md[1], ns);
    }
    case PRESTIGE_ARROW_STRUCT: {
      json_t *o = json_object();
      for (int64_t c = 0; c < a->n_children; c++) json_object_set_new(o, s->children[c]->name, cli_json_value(a->children[c], s->children[c], j));
      return o;
    }
    case PRESTIGE_ARROW_LIST: case PRESTIGE_ARROW_LARGE_LIST: case PRESTIGE_ARROW_MAP: {
      int64_t st, en;
      if (t.type == PRESTIGE_ARROW_LARGE_LIST) st = ((const int64_t *)v)[j], en = ((const int64_t *)v)[j + 1];
      else st = ((const int32_t *)v)[j], en = ((const int32_t *)v)[j + 1];
      if (t.type == PRESTIGE_ARROW_MAP) {
        json_t *o = json_object();
        const struct ArrowArray *e = a->children[0];
        const struct ArrowSchema *es = s->children[0];
        for (int64_t k = st; k < en; k++) {
          json_t *key = cli_json_value(e->children[0], es->children[0], e->offset + k);
          char *ks = json_is_string(key) ? strdup(json_string_value(key)) : json_text_shortest(key);
          json_object_set_new(o, ks ? ks : "", cli_json_value(e->children[1], es->children[1], e->offset + k));
          free(ks);
          json_decref(key);
        }
        return o;
      }
      json_t *arr = json_array();
      for (int64_t k = st; k < en; k++) json_array_append_new(arr, cli_json_value(a->children[0], s->children[0], k));
      return arr;
    }
    default: return json_string("<unsupported type>");
  }
}

void cli_csv_field(FILE *out, json_t *v) {
  if (json_is_null(v)) return;
  char *text = json_is_string(v) ? strdup(json_string_value(v)) : json_text_shortest(v);
  if (!text) return;
  bool quote = strpbrk(text, ",\"\n\r") != NULL || text[0] == 0;
  if (!quote) {
    fputs(text, out);
  } else {
    fputc('"', out);
    for (char *p = text; *p; p++) {
      if (*p == '"') fputc('"', out);
      fputc(*p, out);
    }
    fputc('"', out);
  }
  free(text);
}


void cli_csv_value(FILE *out, const struct ArrowArray *a, const struct ArrowSchema *s, int64_t i) {
  prestige_arrow_extension_t ext;
  if (!prestige_schema_extension(s, &ext, NULL) && ext == PRESTIGE_ARROW_EXT_JSON && prestige_array_is_valid(a, i)) {
    const uint8_t *v = a->buffers[1];
    int64_t j = a->offset + i, st, en;
    if (!strcmp(s->format, "u")) st = ((const int32_t *)v)[j], en = ((const int32_t *)v)[j + 1];
    else st = ((const int64_t *)v)[j], en = ((const int64_t *)v)[j + 1];
    json_t *text = json_stringn((const char *)a->buffers[2] + st, (size_t)(en - st));
    if (!text) text = json_string("<invalid UTF-8>");
    cli_csv_field(out, text);
    json_decref(text);
    return;
  }
  json_t *v = cli_json_value(a, s, i);
  cli_csv_field(out, v);
  json_decref(v);
}

int cli_print_rows(FILE *out, const char *verb, struct ArrowArrayStream *st, const struct ArrowSchema *schema, bool csv, int64_t limit,
                   int64_t *printed_out) {
  if (csv) {
    for (int64_t c = 0; c < schema->n_children; c++) {
      if (c) fputc(',', out);
      json_t *name = json_string(schema->children[c]->name);
      cli_csv_field(out, name);
      json_decref(name);
    }
    fputc('\n', out);
  }
  int rc = 0;
  int64_t printed = 0;
  while (limit < 0 || printed < limit) {
    struct ArrowArray b;
    if (st->get_next(st, &b)) {
      const char *m = st->get_last_error ? st->get_last_error(st) : NULL;
      fprintf(stderr, "prestige %s: %s\n", verb, m ? m : "reading failed");
      rc = 1;
      break;
    }
    if (!b.release) break;
    if (cli_signal_received()) { /* a verb that installed the handlers: it says so itself */
      b.release(&b);
      rc = 1;
      break;
    }
    for (int64_t i = 0; i < b.length && (limit < 0 || printed < limit); i++) {
      printed++;
      if (csv) {
        for (int64_t c = 0; c < b.n_children; c++) {
          if (c) fputc(',', out);
          cli_csv_value(out, b.children[c], schema->children[c], b.offset + i);
        }
        fputc('\n', out);
      } else {
        json_t *row = json_object();
        for (int64_t c = 0; c < b.n_children; c++)
          json_object_set_new(row, schema->children[c]->name, cli_json_value(b.children[c], schema->children[c], b.offset + i));
        char *line = json_text_shortest(row);
        if (line) {
          fputs(line, out);
          fputc('\n', out);
        }
        free(line);
        json_decref(row);
      }
    }
    b.release(&b);
  }
  if (printed_out) *printed_out = printed;
  return rc;
}
