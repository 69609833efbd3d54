/* Data-file entries from Parquet file summaries, with Java's metrics modes (MetricsConfig,
 * MetricsModes, ParquetMetrics). */
#include "iceberg/datafile.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/truncate.h"

static int oom(prestige_error_t *err) { return prestige_error_set(err, PRESTIGE_ENOMEM, "data file: out of memory"); }

/* ---- metrics modes ------------------------------------------------------------------------------ */
bool ice_metrics_mode_parse(const char *s, ice_metrics_mode_t *out) {
  if (!s) return false;
  while (isspace((unsigned char)*s)) s++;
  size_t n = strlen(s);
  while (n && isspace((unsigned char)s[n - 1])) n--;
  if (n == 4 && !strncasecmp(s, "none", 4)) return *out = (ice_metrics_mode_t){ICE_METRICS_NONE, 0}, true;
  if (n == 6 && !strncasecmp(s, "counts", 6)) return *out = (ice_metrics_mode_t){ICE_METRICS_COUNTS, 0}, true;
  if (n == 4 && !strncasecmp(s, "full", 4)) return *out = (ice_metrics_mode_t){ICE_METRICS_FULL, 0}, true;
  if (n > 10 && !strncasecmp(s, "truncate(", 9) && s[n - 1] == ')') {
    long long v = 0;
    for (size_t i = 9; i < n - 1; i++) {
      if (!isdigit((unsigned char)s[i])) return false;
      v = v * 10 + (s[i] - '0');
      if (v > INT32_MAX) return false;
    }
    if (v <= 0) return false;
    *out = (ice_metrics_mode_t){ICE_METRICS_TRUNCATE, (int32_t)v};
    return true;
  }
  return false;
}

typedef struct id_mode {
  int32_t id;
  ice_metrics_mode_t mode;
} id_mode_t;

struct ice_metrics_config {
  ice_metrics_mode_t dflt;
  id_mode_t *modes;
  size_t n, cap;
};

static int set_mode(ice_metrics_config_t *c, int32_t id, ice_metrics_mode_t m) {
  for (size_t i = 0; i < c->n; i++)
    if (c->modes[i].id == id) {
      c->modes[i].mode = m;
      return 0;
    }
  if (c->n == c->cap) {
    size_t nc = c->cap ? c->cap * 2 : 16;
    id_mode_t *g = realloc(c->modes, nc * sizeof(*g));
    if (!g) return PRESTIGE_ENOMEM;
    c->modes = g;
    c->cap = nc;
  }
  c->modes[c->n++] = (id_mode_t){id, m};
  return 0;
}

/* Java's MetricsConfig.limitFieldIds: breadth-first over structs, primitive fields first, then
 * nested types; list elements and map keys/values count too. */
typedef struct id_list {
  int32_t *v;
  size_t n, cap, limit;
} id_list_t;

static int push_id(id_list_t *l, int32_t id) {
  if (l->n >= l->limit) return 0;
  if (l->n == l->cap) {
    size_t nc = l->cap ? l->cap * 2 : 32;
    int32_t *g = realloc(l->v, nc * sizeof(*g));
    if (!g) return PRESTIGE_ENOMEM;
    l->v = g;
    l->cap = nc;
  }
  l->v[l->n++] = id;
  return 0;
}

static int limit_ids(const ice_type_t *t, id_list_t *l) {
  if (l->n >= l->limit) return 0;
  if (t->id == ICE_STRUCT) {
    for (size_t i = 0; i < t->n_fields && l->n < l->limit; i++)
      if (ice_type_is_primitive(t->fields[i].type->id)) PRESTIGE_TRY(push_id(l, t->fields[i].id));
    for (size_t i = 0; i < t->n_fields && l->n < l->limit; i++) PRESTIGE_TRY(limit_ids(t->fields[i].type, l));
  } else if (t->id == ICE_LIST) {
    if (ice_type_is_primitive(t->fields[0].type->id)) PRESTIGE_TRY(push_id(l, t->fields[0].id));
    PRESTIGE_TRY(limit_ids(t->fields[0].type, l));
  } else if (t->id == ICE_MAP) {
    if (ice_type_is_primitive(t->fields[0].type->id)) PRESTIGE_TRY(push_id(l, t->fields[0].id));
    if (ice_type_is_primitive(t->fields[1].type->id)) PRESTIGE_TRY(push_id(l, t->fields[1].id));
    PRESTIGE_TRY(limit_ids(t->fields[0].type, l));
    PRESTIGE_TRY(limit_ids(t->fields[1].type, l));
  }
  return 0;
}

static size_t count_fields(const ice_type_t *t) {
  size_t n = 0;
  for (size_t i = 0; i < t->n_fields; i++) n += 1 + count_fields(t->fields[i].type);
  return n;
}

int ice_metrics_config_new(const ice_strmap_t *props, const ice_schema_t *schema, const ice_sort_order_t *order,
                           ice_metrics_config_t **out, prestige_error_t *err) {
  *out = NULL;
  ice_metrics_config_t *c = calloc(1, sizeof(*c));
  if (!c) return oom(err);
  const ice_metrics_mode_t truncate16 = {ICE_METRICS_TRUNCATE, 16};
  c->dflt = truncate16;
  const char *d = props ? ice_strmap_get(props, "write.metadata.metrics.default") : NULL;
  int rc = 0;
  if (d) {
    if (!ice_metrics_mode_parse(d, &c->dflt)) c->dflt = truncate16;
  } else {
    long max_inferred = 100;
    const char *mi = props ? ice_strmap_get(props, "write.metadata.metrics.max-inferred-column-defaults") : NULL;
    if (mi) {
      char *end;
      long v = strtol(mi, &end, 10);
      if (!*end && v >= 0) max_inferred = v;
    }
    if (count_fields(schema->type) > (size_t)max_inferred) {
      id_list_t l = {.limit = (size_t)max_inferred};
      rc = limit_ids(schema->type, &l);
      for (size_t i = 0; !rc && i < l.n; i++) rc = set_mode(c, l.v[i], truncate16);
      free(l.v);
      c->dflt = (ice_metrics_mode_t){ICE_METRICS_NONE, 0};
    }
  }
  /* sorted columns (order-preserving transforms) get at least truncate(16) */
  ice_metrics_mode_t sorted = (c->dflt.kind == ICE_METRICS_NONE || c->dflt.kind == ICE_METRICS_COUNTS) ? truncate16 : c->dflt;
  for (size_t i = 0; !rc && order && i < order->n_fields; i++)
    if (ice_transform_preserves_order(&order->fields[i].transform) && ice_schema_find_id(schema, order->fields[i].source_id))
      rc = set_mode(c, order->fields[i].source_id, sorted);
  static const char prefix[] = "write.metadata.metrics.column.";
  for (size_t i = 0; !rc && props && i < props->n; i++) {
    const char *k = props->items[i].key;
    if (strncmp(k, prefix, sizeof prefix - 1)) continue;
    const ice_field_t *f = ice_schema_find_name(schema, k + sizeof prefix - 1);
    if (!f) continue;
    ice_metrics_mode_t m;
    if (!ice_metrics_mode_parse(props->items[i].value, &m)) m = c->dflt;
    rc = set_mode(c, f->id, m);
  }
  if (rc) {
    ice_metrics_config_free(c);
    return oom(err);
  }
  *out = c;
  return 0;
}

void ice_metrics_config_free(ice_metrics_config_t *c) {
  if (!c) return;
  free(c->modes);
  free(c);
}

ice_metrics_mode_t ice_metrics_config_mode(const ice_metrics_config_t *c, int32_t field_id) {
  for (size_t i = 0; i < c->n; i++)
    if (c->modes[i].id == field_id) return c->modes[i].mode;
  return c->dflt;
}

bool ice_metrics_config_any_full(const ice_metrics_config_t *c) {
  if (c->dflt.kind == ICE_METRICS_FULL) return true;
  for (size_t i = 0; i < c->n; i++)
    if (c->modes[i].mode.kind == ICE_METRICS_FULL) return true;
  return false;
}

/* ---- Parquet statistics values ---------------------------------------------------------------------- */
static int64_t rd_le(const uint8_t *p, int n) {
  uint64_t v = 0;
  for (int i = 0; i < n; i++) v |= (uint64_t)p[i] << (8 * i);
  return (int64_t)v;
}

bool ice_value_from_parquet_plain(const ice_type_t *t, prestige_physical_type_t physical, const uint8_t *p,
                                  int32_t len, ice_value_t *out) {
  memset(out, 0, sizeof(*out));
  switch (t->id) {
    case ICE_BOOLEAN:
      if (physical != PRESTIGE_PHYSICAL_BOOLEAN || len < 1) return false;
      out->v.b = p[0] != 0;
      return true;
    case ICE_INT:
    case ICE_DATE:
      if (physical != PRESTIGE_PHYSICAL_INT32 || len != 4) return false;
      out->v.i32 = (int32_t)rd_le(p, 4);
      return true;
    case ICE_LONG:
    case ICE_TIME:
    case ICE_TIMESTAMP:
    case ICE_TIMESTAMPTZ:
    case ICE_TIMESTAMP_NS:
    case ICE_TIMESTAMPTZ_NS:
      if (physical == PRESTIGE_PHYSICAL_INT64 && len == 8) out->v.i64 = rd_le(p, 8);
      else if (physical == PRESTIGE_PHYSICAL_INT32 && len == 4) out->v.i64 = (int32_t)rd_le(p, 4);
      else return false;
      return true;
    case ICE_FLOAT:
      if (physical != PRESTIGE_PHYSICAL_FLOAT || len != 4) return false;
      memcpy(&out->v.f32, p, 4);
      return true;
    case ICE_DOUBLE:
      if (physical == PRESTIGE_PHYSICAL_DOUBLE && len == 8) memcpy(&out->v.f64, p, 8);
      else if (physical == PRESTIGE_PHYSICAL_FLOAT && len == 4) {
        float f;
        memcpy(&f, p, 4);
        out->v.f64 = f;
      } else return false;
      return true;
    case ICE_DECIMAL:
      if (physical == PRESTIGE_PHYSICAL_INT32 && len == 4) out->dec = (int32_t)rd_le(p, 4);
      else if (physical == PRESTIGE_PHYSICAL_INT64 && len == 8) out->dec = rd_le(p, 8);
      else if ((physical == PRESTIGE_PHYSICAL_FIXED_LEN_BYTE_ARRAY || physical == PRESTIGE_PHYSICAL_BYTE_ARRAY) &&
               len >= 1 && len <= 16) {
        unsigned __int128 v = (p[0] & 0x80) ? ~(unsigned __int128)0 : 0;
        for (int32_t i = 0; i < len; i++) v = (v << 8) | p[i];
        out->dec = (__int128)v;
      } else return false;
      return true;
    case ICE_UUID:
      if (physical != PRESTIGE_PHYSICAL_FIXED_LEN_BYTE_ARRAY || len != 16) return false;
      memcpy(out->v.uuid, p, 16);
      return true;
    case ICE_FIXED:
      if (physical != PRESTIGE_PHYSICAL_FIXED_LEN_BYTE_ARRAY || len != t->length) return false;
      out->ptr = p, out->len = (size_t)len;
      return true;
    case ICE_STRING:
    case ICE_BINARY:
      if (physical != PRESTIGE_PHYSICAL_BYTE_ARRAY) return false;
      out->ptr = p, out->len = (size_t)len;
      return true;
    default: return false;
  }
}

/* Serialized bounds for one column under a metrics mode. Parquet bounds of strings may already be
 * truncated (not exact): the lower is then a prefix of the minimum, the upper a prefix of the
 * maximum with its last byte incremented; both are turned into bounds on whole code points. */
static int column_bounds(arena_t *a, const ice_type_t *t, const prestige_parquet_column_summary_t *c,
                         ice_metrics_mode_t mode, const uint8_t **lo, uint32_t *lo_len, const uint8_t **hi,
                         uint32_t *hi_len, prestige_error_t *err) {
  *lo = *hi = NULL;
  ice_value_t lv, uv;
  if (!ice_value_from_parquet_plain(t, c->physical_type, c->lower, c->lower_len, &lv) ||
      !ice_value_from_parquet_plain(t, c->physical_type, c->upper, c->upper_len, &uv))
    return 0; /* statistics this type cannot use: no bounds */
  if ((t->id == ICE_FLOAT && (isnan(lv.v.f32) || isnan(uv.v.f32))) || (t->id == ICE_DOUBLE && (isnan(lv.v.f64) || isnan(uv.v.f64))))
    return 0;
  int32_t limit = mode.kind == ICE_METRICS_TRUNCATE ? mode.length : -1, ulimit = limit;
  bool upper_known = true;
  buf_t storage = BUF_INIT, extended = BUF_INIT, out = BUF_INIT;
  int rc = 0;
  if (t->id == ICE_STRING) {
    if (!c->lower_exact) lv.len = trunc_utf8_whole(lv.ptr, lv.len);
    if (!c->upper_exact) {
      /* the maximum starts with upper[0 .. len-1): increment the last whole code point of that */
      size_t q = trunc_utf8_whole(uv.ptr, uv.len ? uv.len - 1 : 0);
      size_t cps = 0;
      for (size_t i = 0; i < q; i++) cps += (uv.ptr[i] & 0xC0) != 0x80;
      if (ulimit < 0 || (size_t)ulimit > cps) ulimit = (int32_t)cps;
      if (q == 0) upper_known = false;
      /* one more code point than the limit makes ice_bound_upper increment the prefix */
      if (buf_append(&extended, uv.ptr, q) || buf_append_u8(&extended, 'x')) rc = oom(err);
      uv.ptr = extended.data, uv.len = extended.len;
    }
  } else if (t->id == ICE_BINARY && !c->upper_exact) {
    size_t q = uv.len ? uv.len - 1 : 0;
    if (ulimit < 0 || (size_t)ulimit > q) ulimit = (int32_t)q;
    if (q == 0) upper_known = false;
    if (buf_append(&extended, uv.ptr, q) || buf_append_u8(&extended, 0)) rc = oom(err);
    uv.ptr = extended.data, uv.len = extended.len;
  }
  if (!rc) {
    ice_value_t l = limit >= 0 ? ice_bound_lower(t, &lv, limit) : lv;
    rc = ice_value_to_bytes(t, &l, &out, err);
    if (!rc) {
      uint8_t *p = arena_alloc(a, out.len ? out.len : 1);
      if (!p) rc = oom(err);
      else {
        if (out.len) memcpy(p, out.data, out.len);
        *lo = p, *lo_len = (uint32_t)out.len;
      }
    }
  }
  if (!rc && upper_known) {
    ice_value_t u = uv;
    bool has = true;
    if (ulimit >= 0) rc = ice_bound_upper(t, &uv, ulimit, &storage, &u, &has, err);
    if (!rc && has) rc = ice_value_to_bytes(t, &u, &out, err);
    if (!rc && has) {
      uint8_t *p = arena_alloc(a, out.len ? out.len : 1);
      if (!p) rc = oom(err);
      else {
        if (out.len) memcpy(p, out.data, out.len);
        *hi = p, *hi_len = (uint32_t)out.len;
      }
    }
  }
  buf_release(&storage);
  buf_release(&extended);
  buf_release(&out);
  return rc;
}

int ice_data_file_from_parquet(arena_t *a, const prestige_parquet_file_summary_t *s, const ice_schema_t *schema,
                               const ice_metrics_config_t *mc, const char *path, ice_data_file_t *out,
                               prestige_error_t *err) {
  memset(out, 0, sizeof(*out));
  out->content = ICE_CONTENT_DATA;
  out->file_path = arena_strndup(a, path, strlen(path));
  out->file_format = "parquet";
  out->record_count = s->rows;
  out->file_size_in_bytes = s->file_size;
  if (!out->file_path) return oom(err);
  size_t n = (size_t)s->n_columns;
  ice_id_count_t *sizes = arena_calloc(a, n ? n : 1, sizeof(ice_id_count_t));
  ice_id_count_t *values = arena_calloc(a, n ? n : 1, sizeof(ice_id_count_t));
  ice_id_count_t *nulls = arena_calloc(a, n ? n : 1, sizeof(ice_id_count_t));
  ice_id_count_t *nans = arena_calloc(a, n ? n : 1, sizeof(ice_id_count_t));
  ice_id_bytes_t *lows = arena_calloc(a, n ? n : 1, sizeof(ice_id_bytes_t));
  ice_id_bytes_t *highs = arena_calloc(a, n ? n : 1, sizeof(ice_id_bytes_t));
  if (!sizes || !values || !nulls || !nans || !lows || !highs) return oom(err);
  out->column_sizes = (ice_counts_t){sizes, 0, true};
  out->value_counts = (ice_counts_t){values, 0, true};
  out->null_value_counts = (ice_counts_t){nulls, 0, true};
  out->nan_value_counts = (ice_counts_t){nans, 0, true};
  out->lower_bounds = (ice_bounds_t){lows, 0, true};
  out->upper_bounds = (ice_bounds_t){highs, 0, true};
  for (size_t i = 0; i < n; i++) {
    const prestige_parquet_column_summary_t *c = &s->columns[i];
    if (c->field_id < 0) continue;
    ice_metrics_mode_t mode = ice_metrics_config_mode(mc, c->field_id);
    if (mode.kind == ICE_METRICS_NONE) continue;
    sizes[out->column_sizes.n++] = (ice_id_count_t){c->field_id, c->compressed_size};
    const ice_field_t *f = ice_schema_find_id(schema, c->field_id);
    if (!f || !ice_type_is_primitive(f->type->id) || !ice_schema_id_outside_collections(schema, c->field_id)) continue;
    values[out->value_counts.n++] = (ice_id_count_t){c->field_id, c->value_count};
    nulls[out->null_value_counts.n++] = (ice_id_count_t){c->field_id, c->null_count};
    if (f->type->id == ICE_FLOAT || f->type->id == ICE_DOUBLE)
      nans[out->nan_value_counts.n++] = (ice_id_count_t){c->field_id, c->nan_count};
    if (mode.kind == ICE_METRICS_COUNTS || !c->has_bounds) continue;
    const uint8_t *lo, *hi;
    uint32_t lo_len = 0, hi_len = 0;
    PRESTIGE_TRY(column_bounds(a, f->type, c, mode, &lo, &lo_len, &hi, &hi_len, err));
    if (lo) lows[out->lower_bounds.n++] = (ice_id_bytes_t){c->field_id, lo, lo_len};
    if (hi) highs[out->upper_bounds.n++] = (ice_id_bytes_t){c->field_id, hi, hi_len};
  }
  if (s->row_groups > 0 && s->row_group_offsets) {
    out->split_offsets = arena_alloc(a, (size_t)s->row_groups * sizeof(int64_t));
    if (!out->split_offsets) return oom(err);
    memcpy(out->split_offsets, s->row_group_offsets, (size_t)s->row_groups * sizeof(int64_t));
    out->n_split_offsets = (uint32_t)s->row_groups;
  }
  return 0;
}
