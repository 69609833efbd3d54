/* Arrow IPC Schema message: a small flatbuffer writer and a bounds-checked reader. */
#include "arrow/ipc_schema.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Type union tags (format/Schema.fbs) */
enum {
  T_NULL = 1, T_INT = 2, T_FLOAT = 3, T_BINARY = 4, T_UTF8 = 5, T_BOOL = 6, T_DECIMAL = 7, T_DATE = 8, T_TIME = 9,
  T_TIMESTAMP = 10, T_INTERVAL = 11, T_LIST = 12, T_STRUCT = 13, T_UNION = 14, T_FSB = 15, T_FSL = 16, T_MAP = 17,
  T_DURATION = 18, T_LARGE_BINARY = 19, T_LARGE_UTF8 = 20, T_LARGE_LIST = 21
};

/* ======================================= writer ============================================= */
/* Objects are written front to back: a table's vtable sits right before it, and everything a
 * table points to is written after it, its offset slot patched once the target's position is
 * known (flatbuffer offsets are unsigned and point forward). */
typedef struct fbw {
  buf_t *b;
  size_t base; /* buffer position of the flatbuffer's first byte */
  int rc;
} fbw_t;

typedef enum { F_U8, F_BOOL, F_I16, F_I32, F_I64, F_OFF } fkind_t;
typedef struct ffield {
  int id;
  fkind_t kind;
  int64_t v;
  size_t slot; /* F_OFF: position of the offset, filled by fb_table */
} ffield_t;

static size_t pos(fbw_t *w) { return w->b->len - w->base; }

static void pad_to(fbw_t *w, size_t align) {
  while (pos(w) % align) w->rc |= buf_append_u8(w->b, 0);
}

static void put(fbw_t *w, const void *p, size_t n) { w->rc |= buf_append(w->b, p, n); }

static size_t fsize(fkind_t k) { return k == F_U8 || k == F_BOOL ? 1 : k == F_I16 ? 2 : k == F_I64 ? 8 : 4; }

/* Writes vtable + table for fields (any order of ids); returns the table position. */
static size_t fb_table(fbw_t *w, ffield_t *f, int n) {
  int max_id = -1;
  for (int i = 0; i < n; i++)
    if (f[i].id > max_id) max_id = f[i].id;
  /* inline layout: soffset, then fields by decreasing size for natural alignment */
  size_t off[32] = {0};
  size_t inline_size = 4;
  for (size_t sz = 8; sz >= 1; sz /= 2)
    for (int i = 0; i < n; i++)
      if (fsize(f[i].kind) == sz) {
        inline_size = (inline_size + sz - 1) / sz * sz;
        off[i] = inline_size;
        inline_size += sz;
      }
  uint16_t vt_len = (uint16_t)(4 + 2 * (max_id + 1));
  /* the table must start 8-aligned (for i64 fields): place the vtable so it ends there */
  pad_to(w, 2);
  size_t vt_pos = pos(w);
  size_t table_pos = (vt_pos + vt_len + 7) / 8 * 8;
  uint16_t vt[40] = {0};
  vt[0] = vt_len;
  vt[1] = (uint16_t)inline_size;
  for (int i = 0; i < n; i++) vt[2 + f[i].id] = (uint16_t)off[i];
  put(w, vt, vt_len);
  while (pos(w) < table_pos) put(w, "", 1);
  int32_t soff = (int32_t)(table_pos - vt_pos);
  uint8_t tbl[128] = {0};
  memcpy(tbl, &soff, 4);
  for (int i = 0; i < n; i++) {
    switch (f[i].kind) {
      case F_U8: case F_BOOL: tbl[off[i]] = (uint8_t)f[i].v; break;
      case F_I16: { int16_t x = (int16_t)f[i].v; memcpy(tbl + off[i], &x, 2); break; }
      case F_I32: { int32_t x = (int32_t)f[i].v; memcpy(tbl + off[i], &x, 4); break; }
      case F_I64: memcpy(tbl + off[i], &f[i].v, 8); break;
      case F_OFF: f[i].slot = table_pos + off[i]; break;
    }
  }
  put(w, tbl, inline_size);
  return table_pos;
}

static void patch(fbw_t *w, size_t slot, size_t target) {
  uint32_t rel = (uint32_t)(target - slot);
  if (w->rc == 0) memcpy(w->b->data + w->base + slot, &rel, 4);
}

static size_t fb_string(fbw_t *w, const char *s, size_t n) {
  pad_to(w, 4);
  size_t p = pos(w);
  uint32_t len = (uint32_t)n;
  put(w, &len, 4);
  put(w, s, n);
  put(w, "", 1);
  return p;
}

/* A vector of n offsets; returns its position, slots at pos + 4 + 4 * i. */
static size_t fb_offset_vector(fbw_t *w, int64_t n) {
  pad_to(w, 4);
  size_t p = pos(w);
  uint32_t cnt = (uint32_t)n;
  put(w, &cnt, 4);
  for (int64_t i = 0; i < n; i++) put(w, "\0\0\0\0", 4);
  return p;
}

static void write_kv_vector(fbw_t *w, size_t slot, const char *metadata) {
  int32_t n = prestige_metadata_count(metadata);
  size_t v = fb_offset_vector(w, n);
  patch(w, slot, v);
  for (int32_t i = 0; i < n; i++) {
    const char *k, *val;
    int32_t kl, vl;
    prestige_metadata_pair(metadata, i, &k, &kl, &val, &vl);
    ffield_t f[2] = {{0, F_OFF, 0, 0}, {1, F_OFF, 0, 0}};
    size_t t = fb_table(w, f, 2);
    patch(w, v + 4 + 4 * (size_t)i, t);
    patch(w, f[0].slot, fb_string(w, k, (size_t)kl));
    patch(w, f[1].slot, fb_string(w, val, (size_t)vl));
  }
}

/* The type table of a format: fills fields of the type table and returns the union tag. */
static int type_fields(const prestige_arrow_type_info_t *t, ffield_t *f, int *n, prestige_error_t *err) {
  static const int bits[] = {0, 0, 8, 8, 16, 16, 32, 32, 64, 64};
  *n = 0;
  switch (t->type) {
    case PRESTIGE_ARROW_NA: return T_NULL;
    case PRESTIGE_ARROW_BOOL: return T_BOOL;
    case PRESTIGE_ARROW_INT8: case PRESTIGE_ARROW_UINT8: case PRESTIGE_ARROW_INT16: case PRESTIGE_ARROW_UINT16:
    case PRESTIGE_ARROW_INT32: case PRESTIGE_ARROW_UINT32: case PRESTIGE_ARROW_INT64: case PRESTIGE_ARROW_UINT64: {
      bool is_signed = t->type == PRESTIGE_ARROW_INT8 || t->type == PRESTIGE_ARROW_INT16 || t->type == PRESTIGE_ARROW_INT32 ||
                       t->type == PRESTIGE_ARROW_INT64;
      f[(*n)++] = (ffield_t){0, F_I32, bits[t->type], 0};
      f[(*n)++] = (ffield_t){1, F_BOOL, is_signed, 0};
      return T_INT;
    }
    case PRESTIGE_ARROW_HALF_FLOAT: f[(*n)++] = (ffield_t){0, F_I16, 0, 0}; return T_FLOAT;
    case PRESTIGE_ARROW_FLOAT: f[(*n)++] = (ffield_t){0, F_I16, 1, 0}; return T_FLOAT;
    case PRESTIGE_ARROW_DOUBLE: f[(*n)++] = (ffield_t){0, F_I16, 2, 0}; return T_FLOAT;
    case PRESTIGE_ARROW_STRING: return T_UTF8;
    case PRESTIGE_ARROW_LARGE_STRING: return T_LARGE_UTF8;
    case PRESTIGE_ARROW_BINARY: return T_BINARY;
    case PRESTIGE_ARROW_LARGE_BINARY: return T_LARGE_BINARY;
    case PRESTIGE_ARROW_FIXED_SIZE_BINARY: f[(*n)++] = (ffield_t){0, F_I32, t->fixed_size, 0}; return T_FSB;
    case PRESTIGE_ARROW_DECIMAL128: case PRESTIGE_ARROW_DECIMAL256:
      f[(*n)++] = (ffield_t){0, F_I32, t->precision, 0};
      f[(*n)++] = (ffield_t){1, F_I32, t->scale, 0};
      f[(*n)++] = (ffield_t){2, F_I32, t->type == PRESTIGE_ARROW_DECIMAL128 ? 128 : 256, 0};
      return T_DECIMAL;
    case PRESTIGE_ARROW_DATE32: f[(*n)++] = (ffield_t){0, F_I16, 0, 0}; return T_DATE;
    case PRESTIGE_ARROW_DATE64: f[(*n)++] = (ffield_t){0, F_I16, 1, 0}; return T_DATE;
    case PRESTIGE_ARROW_TIME32: case PRESTIGE_ARROW_TIME64:
      f[(*n)++] = (ffield_t){0, F_I16, t->unit, 0};
      f[(*n)++] = (ffield_t){1, F_I32, t->type == PRESTIGE_ARROW_TIME32 ? 32 : 64, 0};
      return T_TIME;
    case PRESTIGE_ARROW_TIMESTAMP:
      f[(*n)++] = (ffield_t){0, F_I16, t->unit, 0};
      if (t->timezone && t->timezone[0]) f[(*n)++] = (ffield_t){1, F_OFF, 0, 0}; /* timezone string */
      return T_TIMESTAMP;
    case PRESTIGE_ARROW_DURATION: f[(*n)++] = (ffield_t){0, F_I16, t->unit, 0}; return T_DURATION;
    case PRESTIGE_ARROW_INTERVAL_MONTHS: f[(*n)++] = (ffield_t){0, F_I16, 0, 0}; return T_INTERVAL;
    case PRESTIGE_ARROW_INTERVAL_DAY_TIME: f[(*n)++] = (ffield_t){0, F_I16, 1, 0}; return T_INTERVAL;
    case PRESTIGE_ARROW_INTERVAL_MONTH_DAY_NANO: f[(*n)++] = (ffield_t){0, F_I16, 2, 0}; return T_INTERVAL;
    case PRESTIGE_ARROW_LIST: return T_LIST;
    case PRESTIGE_ARROW_LARGE_LIST: return T_LARGE_LIST;
    case PRESTIGE_ARROW_FIXED_SIZE_LIST: f[(*n)++] = (ffield_t){0, F_I32, t->fixed_size, 0}; return T_FSL;
    case PRESTIGE_ARROW_STRUCT: return T_STRUCT;
    case PRESTIGE_ARROW_MAP: f[(*n)++] = (ffield_t){0, F_BOOL, 0, 0}; return T_MAP;
    default:
      return -prestige_error_set(err, PRESTIGE_EUNSUPPORTED, "ARROW:schema: type %s cannot be serialised",
                                 prestige_arrow_type_name(t->type));
  }
}

static int write_field(fbw_t *w, size_t slot, const struct ArrowSchema *s, prestige_error_t *err, int depth) {
  if (depth > 64) return prestige_error_set(err, PRESTIGE_EUNSUPPORTED, "ARROW:schema: nested too deeply");
  prestige_arrow_type_info_t t;
  PRESTIGE_TRY(prestige_arrow_type_parse(s->format, &t, err));
  ffield_t tf[4];
  int ntf;
  int tag = type_fields(&t, tf, &ntf, err);
  if (tag < 0) return -tag;
  if (s->dictionary) return prestige_error_set(err, PRESTIGE_EUNSUPPORTED, "ARROW:schema: dictionary fields are not supported");
  ffield_t f[6];
  int n = 0;
  f[n++] = (ffield_t){0, F_OFF, 0, 0};                                   /* name */
  f[n++] = (ffield_t){1, F_BOOL, (s->flags & ARROW_FLAG_NULLABLE) != 0, 0}; /* nullable */
  f[n++] = (ffield_t){2, F_U8, tag, 0};                                  /* type_type */
  f[n++] = (ffield_t){3, F_OFF, 0, 0};                                   /* type */
  f[n++] = (ffield_t){5, F_OFF, 0, 0};                                   /* children */
  if (s->metadata) f[n++] = (ffield_t){6, F_OFF, 0, 0};                  /* custom_metadata */
  if (t.type == PRESTIGE_ARROW_MAP && (s->flags & ARROW_FLAG_MAP_KEYS_SORTED)) tf[0].v = 1;
  size_t table = fb_table(w, f, n);
  patch(w, slot, table);
  patch(w, f[0].slot, fb_string(w, s->name ? s->name : "", s->name ? strlen(s->name) : 0));
  size_t tt = fb_table(w, tf, ntf);
  patch(w, f[3].slot, tt);
  if (t.type == PRESTIGE_ARROW_TIMESTAMP && ntf == 2) patch(w, tf[1].slot, fb_string(w, t.timezone, strlen(t.timezone)));
  size_t cv = fb_offset_vector(w, s->n_children);
  patch(w, f[4].slot, cv);
  for (int64_t i = 0; i < s->n_children; i++) PRESTIGE_TRY(write_field(w, cv + 4 + 4 * (size_t)i, s->children[i], err, depth + 1));
  if (s->metadata) write_kv_vector(w, f[5].slot, s->metadata);
  return 0;
}

int arrow_ipc_schema_message(const struct ArrowSchema *schema, buf_t *out, prestige_error_t *err) {
  if (!schema || strcmp(schema->format, "+s") != 0)
    return prestige_error_set(err, PRESTIGE_EINVAL, "ARROW:schema: the schema must be a struct");
  size_t frame = out->len;
  int rc = buf_append_le32(out, 0xFFFFFFFFu) | buf_append_le32(out, 0);
  if (rc) return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
  fbw_t w = {out, out->len, 0};
  put(&w, "\0\0\0\0", 4); /* root offset */
  /* Message { version: V5, header_type: Schema, header, bodyLength: 0 } */
  ffield_t m[3] = {{0, F_I16, 4, 0}, {1, F_U8, 1, 0}, {2, F_OFF, 0, 0}};
  size_t mt = fb_table(&w, m, 3);
  patch(&w, 0, mt);
  /* Schema { endianness: Little (default), fields, custom_metadata } */
  ffield_t sf[2] = {{1, F_OFF, 0, 0}, {2, F_OFF, 0, 0}};
  size_t st = fb_table(&w, sf, schema->metadata ? 2 : 1);
  patch(&w, m[2].slot, st);
  size_t fv = fb_offset_vector(&w, schema->n_children);
  patch(&w, sf[0].slot, fv);
  for (int64_t i = 0; i < schema->n_children; i++) {
    rc = write_field(&w, fv + 4 + 4 * (size_t)i, schema->children[i], err, 0);
    if (rc) return rc;
  }
  if (schema->metadata) write_kv_vector(&w, sf[1].slot, schema->metadata);
  pad_to(&w, 8);
  if (w.rc) return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
  uint32_t len = (uint32_t)pos(&w);
  memcpy(out->data + frame + 4, &len, 4);
  return 0;
}

int arrow_ipc_schema_encode(const struct ArrowSchema *schema, buf_t *out, prestige_error_t *err) {
  buf_t msg = BUF_INIT;
  int rc = arrow_ipc_schema_message(schema, &msg, err);
  if (!rc) {
    size_t need = 4 * ((msg.len + 2) / 3) + 1;
    if (buf_reserve(out, need)) rc = prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
    else out->len += (size_t)EVP_EncodeBlock(out->data + out->len, msg.data, (int)msg.len);
  }
  buf_release(&msg);
  return rc;
}

/* ======================================= reader ============================================= */
typedef struct fbr {
  const uint8_t *d;
  size_t n;
  prestige_error_t *err;
} fbr_t;

static int fb_bad(fbr_t *r, const char *what) {
  return prestige_error_set(r->err, PRESTIGE_ECORRUPT, "corrupt ARROW:schema: %s", what);
}

static bool in_bounds(const fbr_t *r, size_t p, size_t len) { return p <= r->n && len <= r->n - p; }

static uint32_t rd_u32(const fbr_t *r, size_t p) {
  uint32_t v;
  memcpy(&v, r->d + p, 4);
  return v;
}

/* Position of field id of the table at t, or 0 when absent. */
static int fb_field(fbr_t *r, size_t t, int id, size_t size, size_t *out) {
  *out = 0;
  if (!in_bounds(r, t, 4)) return fb_bad(r, "table outside the buffer");
  int32_t soff;
  memcpy(&soff, r->d + t, 4);
  int64_t vt = (int64_t)t - soff;
  if (vt < 0 || !in_bounds(r, (size_t)vt, 4)) return fb_bad(r, "vtable outside the buffer");
  uint16_t vlen, tlen;
  memcpy(&vlen, r->d + vt, 2);
  memcpy(&tlen, r->d + vt + 2, 2);
  if (vlen < 4 || !in_bounds(r, (size_t)vt, vlen) || !in_bounds(r, t, tlen)) return fb_bad(r, "bad vtable");
  if (4 + 2 * (size_t)id + 2 > vlen) return 0;
  uint16_t fo;
  memcpy(&fo, r->d + vt + 4 + 2 * id, 2);
  if (fo == 0) return 0;
  if ((size_t)fo + size > tlen) return fb_bad(r, "field outside its table");
  *out = t + fo;
  return 0;
}

static int fb_deref(fbr_t *r, size_t slot, size_t *target) {
  if (!in_bounds(r, slot, 4)) return fb_bad(r, "offset outside the buffer");
  uint64_t t = (uint64_t)slot + rd_u32(r, slot);
  if (t >= r->n) return fb_bad(r, "offset points past the end");
  *target = (size_t)t;
  return 0;
}

static int64_t fb_scalar(fbr_t *r, size_t t, int id, size_t size, int64_t def, int *rc) {
  size_t p;
  *rc = fb_field(r, t, id, size, &p);
  if (*rc || !p) return def;
  switch (size) {
    case 1: return r->d[p];
    case 2: { int16_t v; memcpy(&v, r->d + p, 2); return v; }
    case 4: { int32_t v; memcpy(&v, r->d + p, 4); return v; }
    default: { int64_t v; memcpy(&v, r->d + p, 8); return v; }
  }
}

/* String field id of table t: *s points into the buffer (not NUL-terminated by contract). */
static int fb_string_field(fbr_t *r, size_t t, int id, const char **s, uint32_t *len) {
  size_t p = 0, sp = 0;
  *s = NULL;
  *len = 0;
  PRESTIGE_TRY(fb_field(r, t, id, 4, &p));
  if (!p) return 0;
  PRESTIGE_TRY(fb_deref(r, p, &sp));
  if (!in_bounds(r, sp, 4)) return fb_bad(r, "string header outside the buffer");
  uint32_t n = rd_u32(r, sp);
  if (!in_bounds(r, sp + 4, n)) return fb_bad(r, "string longer than the buffer");
  *s = (const char *)r->d + sp + 4;
  *len = n;
  return 0;
}

static int fb_vector(fbr_t *r, size_t t, int id, size_t *elems, uint32_t *count) {
  size_t p = 0, vp = 0;
  *count = 0;
  *elems = 0;
  PRESTIGE_TRY(fb_field(r, t, id, 4, &p));
  if (!p) return 0;
  PRESTIGE_TRY(fb_deref(r, p, &vp));
  if (!in_bounds(r, vp, 4)) return fb_bad(r, "vector header outside the buffer");
  uint32_t n = rd_u32(r, vp);
  if (!in_bounds(r, vp + 4, (size_t)n * 4)) return fb_bad(r, "vector longer than the buffer");
  *elems = vp + 4;
  *count = n;
  return 0;
}

static int read_metadata(fbr_t *r, size_t t, int id, struct ArrowSchema *s) {
  size_t el;
  uint32_t n;
  PRESTIGE_TRY(fb_vector(r, t, id, &el, &n));
  if (!n) return 0;
  prestige_kv_t *kv = calloc(n, sizeof(*kv));
  char **owned = calloc(2 * (size_t)n, sizeof(char *));
  int rc = kv && owned ? 0 : prestige_error_set(r->err, PRESTIGE_ENOMEM, "out of memory");
  for (uint32_t i = 0; !rc && i < n; i++) {
    size_t kt = 0;
    const char *k, *v;
    uint32_t kl, vl;
    rc = fb_deref(r, el + 4 * i, &kt);
    if (!rc) rc = fb_string_field(r, kt, 0, &k, &kl);
    if (!rc) rc = fb_string_field(r, kt, 1, &v, &vl);
    if (rc) break;
    owned[2 * i] = strndup(k ? k : "", kl);
    owned[2 * i + 1] = malloc(vl + 1);
    if (!owned[2 * i] || !owned[2 * i + 1]) {
      rc = prestige_error_set(r->err, PRESTIGE_ENOMEM, "out of memory");
      break;
    }
    if (vl) memcpy(owned[2 * i + 1], v, vl);
    kv[i] = (prestige_kv_t){owned[2 * i], owned[2 * i + 1], (int32_t)vl};
  }
  if (!rc) rc = prestige_schema_set_metadata(s, kv, n, r->err);
  for (uint32_t i = 0; owned && i < 2 * n; i++) free(owned[i]);
  free(owned);
  free(kv);
  return rc;
}

static int type_format(fbr_t *r, int tag, size_t tt, char *fmt, size_t n) {
  int rc = 0;
  static const char units[] = "smun";
  switch (tag) {
    case T_NULL: snprintf(fmt, n, "n"); return 0;
    case T_BOOL: snprintf(fmt, n, "b"); return 0;
    case T_INT: {
      int64_t bw = fb_scalar(r, tt, 0, 4, 0, &rc);
      bool sg = !rc && fb_scalar(r, tt, 1, 1, 0, &rc);
      if (rc) return rc;
      const char *f = bw == 8 ? (sg ? "c" : "C") : bw == 16 ? (sg ? "s" : "S") : bw == 32 ? (sg ? "i" : "I") : bw == 64 ? (sg ? "l" : "L") : NULL;
      if (!f) return fb_bad(r, "Int bit width");
      snprintf(fmt, n, "%s", f);
      return 0;
    }
    case T_FLOAT: {
      int64_t p = fb_scalar(r, tt, 0, 2, 0, &rc);
      if (rc || p < 0 || p > 2) return rc ? rc : fb_bad(r, "FloatingPoint precision");
      snprintf(fmt, n, "%s", p == 0 ? "e" : p == 1 ? "f" : "g");
      return 0;
    }
    case T_BINARY: snprintf(fmt, n, "z"); return 0;
    case T_UTF8: snprintf(fmt, n, "u"); return 0;
    case T_LARGE_BINARY: snprintf(fmt, n, "Z"); return 0;
    case T_LARGE_UTF8: snprintf(fmt, n, "U"); return 0;
    case T_DECIMAL: {
      int64_t p = fb_scalar(r, tt, 0, 4, 0, &rc), s = rc ? 0 : fb_scalar(r, tt, 1, 4, 0, &rc),
              bw = rc ? 0 : fb_scalar(r, tt, 2, 4, 128, &rc);
      if (rc) return rc;
      if (bw == 128) snprintf(fmt, n, "d:%d,%d", (int)p, (int)s);
      else snprintf(fmt, n, "d:%d,%d,%d", (int)p, (int)s, (int)bw);
      return 0;
    }
    case T_DATE: {
      int64_t u = fb_scalar(r, tt, 0, 2, 1, &rc);
      snprintf(fmt, n, "%s", u == 0 ? "tdD" : "tdm");
      return rc;
    }
    case T_TIME: {
      int64_t u = fb_scalar(r, tt, 0, 2, 1, &rc);
      if (rc || u < 0 || u > 3) return rc ? rc : fb_bad(r, "Time unit");
      snprintf(fmt, n, "tt%c", units[u]);
      return 0;
    }
    case T_TIMESTAMP: {
      int64_t u = fb_scalar(r, tt, 0, 2, 0, &rc);
      if (rc || u < 0 || u > 3) return rc ? rc : fb_bad(r, "Timestamp unit");
      const char *tz;
      uint32_t tl;
      PRESTIGE_TRY(fb_string_field(r, tt, 1, &tz, &tl));
      snprintf(fmt, n, "ts%c:%.*s", units[u], (int)tl, tz ? tz : "");
      return 0;
    }
    case T_DURATION: {
      int64_t u = fb_scalar(r, tt, 0, 2, 1, &rc);
      if (rc || u < 0 || u > 3) return rc ? rc : fb_bad(r, "Duration unit");
      snprintf(fmt, n, "tD%c", units[u]);
      return 0;
    }
    case T_INTERVAL: {
      int64_t u = fb_scalar(r, tt, 0, 2, 0, &rc);
      snprintf(fmt, n, "%s", u == 0 ? "tiM" : u == 1 ? "tiD" : "tin");
      return rc;
    }
    case T_FSB: snprintf(fmt, n, "w:%d", (int)fb_scalar(r, tt, 0, 4, 0, &rc)); return rc;
    case T_FSL: snprintf(fmt, n, "+w:%d", (int)fb_scalar(r, tt, 0, 4, 0, &rc)); return rc;
    case T_LIST: snprintf(fmt, n, "+l"); return 0;
    case T_LARGE_LIST: snprintf(fmt, n, "+L"); return 0;
    case T_STRUCT: snprintf(fmt, n, "+s"); return 0;
    case T_MAP: snprintf(fmt, n, "+m"); return 0;
    default:
      return prestige_error_set(r->err, PRESTIGE_EUNSUPPORTED, "ARROW:schema: Arrow type tag %d is not supported", tag);
  }
}

static int read_field(fbr_t *r, size_t ft, struct ArrowSchema *s, int depth) {
  if (depth > 64) return fb_bad(r, "nested too deeply");
  int rc = 0;
  const char *name;
  uint32_t nl;
  PRESTIGE_TRY(fb_string_field(r, ft, 0, &name, &nl));
  bool nullable = fb_scalar(r, ft, 1, 1, 0, &rc) != 0;
  int tag = rc ? 0 : (int)fb_scalar(r, ft, 2, 1, 0, &rc);
  if (rc) return rc;
  size_t tp = 0, tt = 0;
  PRESTIGE_TRY(fb_field(r, ft, 3, 4, &tp));
  if (!tp) return fb_bad(r, "field without a type");
  PRESTIGE_TRY(fb_deref(r, tp, &tt));
  size_t dp;
  PRESTIGE_TRY(fb_field(r, ft, 4, 4, &dp));
  if (dp) return prestige_error_set(r->err, PRESTIGE_EUNSUPPORTED, "ARROW:schema: dictionary-encoded fields are not supported");
  char fmt[128];
  PRESTIGE_TRY(type_format(r, tag, tt, fmt, sizeof(fmt)));
  char *nm = strndup(name ? name : "", nl);
  if (!nm) return prestige_error_set(r->err, PRESTIGE_ENOMEM, "out of memory");
  int64_t flags = nullable ? ARROW_FLAG_NULLABLE : 0;
  if (tag == T_MAP && fb_scalar(r, tt, 0, 1, 0, &rc)) flags |= ARROW_FLAG_MAP_KEYS_SORTED;
  rc = prestige_schema_init(s, fmt, nm, flags, r->err);
  free(nm);
  if (rc) return rc;
  size_t el;
  uint32_t n;
  if ((rc = fb_vector(r, ft, 5, &el, &n))) return rc;
  if (n && (rc = prestige_schema_allocate_children(s, n, r->err))) return rc;
  for (uint32_t i = 0; i < n; i++) {
    size_t ct = 0;
    if ((rc = fb_deref(r, el + 4 * i, &ct)) || (rc = read_field(r, ct, s->children[i], depth + 1))) return rc;
  }
  return read_metadata(r, ft, 6, s);
}

int arrow_ipc_schema_parse_message(const uint8_t *data, size_t len, struct ArrowSchema *out, prestige_error_t *err) {
  memset(out, 0, sizeof(*out));
  fbr_t r = {data, len, err};
  size_t p = 0;
  if (len >= 8 && rd_u32(&r, 0) == 0xFFFFFFFFu) p = 4; /* continuation marker; legacy framing lacks it */
  if (!in_bounds(&r, p, 4)) return fb_bad(&r, "truncated message");
  uint32_t mlen = rd_u32(&r, p);
  p += 4;
  if (!in_bounds(&r, p, mlen) || mlen < 8) return fb_bad(&r, "message length exceeds the data");
  fbr_t m = {data + p, mlen, err};
  size_t root = 0, st = 0, sp = 0;
  int rc = 0;
  PRESTIGE_TRY(fb_deref(&m, 0, &root));
  if (fb_scalar(&m, root, 1, 1, 0, &rc) != 1 || rc) return rc ? rc : fb_bad(&m, "message is not a Schema");
  PRESTIGE_TRY(fb_field(&m, root, 2, 4, &sp));
  if (!sp) return fb_bad(&m, "message without a header");
  PRESTIGE_TRY(fb_deref(&m, sp, &st));
  PRESTIGE_TRY(prestige_schema_init(out, "+s", "", 0, err));
  size_t el;
  uint32_t n;
  rc = fb_vector(&m, st, 1, &el, &n);
  if (!rc && n) rc = prestige_schema_allocate_children(out, n, err);
  for (uint32_t i = 0; !rc && i < n; i++) {
    size_t ft = 0;
    rc = fb_deref(&m, el + 4 * i, &ft);
    if (!rc) rc = read_field(&m, ft, out->children[i], 0);
  }
  if (!rc) rc = read_metadata(&m, st, 2, out);
  if (rc) prestige_schema_release(out);
  return rc;
}

int arrow_ipc_schema_decode(const char *b64, size_t len, struct ArrowSchema *out, prestige_error_t *err) {
  memset(out, 0, sizeof(*out));
  if (len > (64u << 20)) return prestige_error_set(err, PRESTIGE_ECORRUPT, "ARROW:schema value is too large");
  uint8_t *raw = malloc(len / 4 * 3 + 4);
  if (!raw) return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
  while (len > 0 && (b64[len - 1] == '\n' || b64[len - 1] == '\r')) len--;
  int n = len % 4 == 0 ? EVP_DecodeBlock(raw, (const unsigned char *)b64, (int)len) : -1;
  int rc;
  if (n < 0) rc = prestige_error_set(err, PRESTIGE_ECORRUPT, "corrupt ARROW:schema: not valid base64");
  else {
    /* EVP_DecodeBlock counts '=' padding as zero bytes; the framing length tells the real size */
    rc = arrow_ipc_schema_parse_message(raw, (size_t)n, out, err);
  }
  free(raw);
  return rc;
}
