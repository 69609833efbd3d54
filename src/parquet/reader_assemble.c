/* Parquet reader, assembly: the decoded levels and values of a row group's leaves become Arrow
 * arrays (validity from definition levels, list offsets from repetition levels, flat leaves
 * handed over without a copy). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parquet/reader_internal.h"

typedef struct slots {
  int64_t *pos;
  int64_t n;
} slots_t;

static inline int16_t def_at(const rcolumn_t *c, int64_t p) { return c->def ? c->def[p] : 0; }
static inline int16_t rep_at(const rcolumn_t *c, int64_t p) { return c->rep ? c->rep[p] : 0; }

/* Slots of node target in the level sequence of column c (a leaf below target). */
static int compute_slots(const rnode_t *target, const rcolumn_t *c, slots_t *out) {
  const rnode_t *chain[128];
  int depth = 0;
  for (const rnode_t *n = target; n && depth < 128; n = n->parent) chain[depth++] = n;
  int64_t *pos = malloc((size_t)(c->n_levels ? c->n_levels : 1) * sizeof(int64_t));
  if (!pos) return PRESTIGE_ENOMEM;
  int64_t n = 0;
  for (int64_t p = 0; p < c->n_levels; p++)
    if (rep_at(c, p) == 0) pos[n++] = p;
  for (int i = depth - 1; i > 0; i--) { /* from the top-level field down to target's parent */
    const rnode_t *L = chain[i];
    if (L->kind != RN_LIST && L->kind != RN_MAP) continue;
    int64_t *next = malloc((size_t)(c->n_levels ? c->n_levels : 1) * sizeof(int64_t));
    if (!next) {
      free(pos);
      return PRESTIGE_ENOMEM;
    }
    int64_t m = 0;
    for (int64_t k = 0; k < n; k++) {
      int64_t p = pos[k];
      if (def_at(c, p) < L->elem_def) continue;
      next[m++] = p;
      for (int64_t q = p + 1; q < c->n_levels && rep_at(c, q) >= L->rep; q++)
        if (rep_at(c, q) == L->rep) next[m++] = q;
    }
    free(pos);
    pos = next;
    n = m;
  }
  out->pos = pos;
  out->n = n;
  return 0;
}

static int bad_shape(prestige_error_t *err, const char *where, const rnode_t *n) {
  return prestige_error_set(err, PRESTIGE_ECORRUPT, "%s: column \"%s\": repetition/definition levels of its columns disagree",
                            where, n->name);
}

static int validity(const rnode_t *n, const rcolumn_t *c, const slots_t *s, struct ArrowArray *a, prestige_error_t *err) {
  a->null_count = 0;
  if (!n->nullable) return 0;
  uint8_t *bits = prestige_buffer_alloc((s->n + 7) / 8);
  if (!bits) return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
  memset(bits, 0, (size_t)(s->n + 7) / 8);
  int64_t nulls = 0;
  for (int64_t i = 0; i < s->n; i++) {
    if (def_at(c, s->pos[i]) >= n->def) bits[i >> 3] |= (uint8_t)(1u << (i & 7));
    else nulls++;
  }
  a->null_count = nulls;
  prestige_array_set_buffer(a, 0, bits);
  return 0;
}

static int leaf_array(const rnode_t *n, const rcolumn_t *c, const slots_t *s, struct ArrowArray *a, const char *where,
                      prestige_error_t *err) {
  prestige_arrow_type_info_t t;
  PRESTIGE_TRY(prestige_arrow_type_parse(n->format, &t, err));
  if (t.type == PRESTIGE_ARROW_NA) {
    PRESTIGE_TRY(prestige_array_init(a, 0, 0, err));
    a->length = s->n;
    a->null_count = s->n;
    return 0;
  }
  bool var = t.type == PRESTIGE_ARROW_STRING || t.type == PRESTIGE_ARROW_BINARY || t.type == PRESTIGE_ARROW_LARGE_STRING ||
             t.type == PRESTIGE_ARROW_LARGE_BINARY;
  bool large = t.type == PRESTIGE_ARROW_LARGE_STRING || t.type == PRESTIGE_ARROW_LARGE_BINARY;
  PRESTIGE_TRY(prestige_array_init(a, var ? 3 : 2, 0, err));
  a->length = s->n;
  PRESTIGE_TRY(validity(n, c, s, a, err));
  /* value index of each slot: count present values while walking the levels in order */
  int64_t vi = 0, p = 0;
  int16_t maxd = n->def;
  int64_t *vidx = malloc((size_t)(s->n ? s->n : 1) * sizeof(int64_t));
  if (!vidx) return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
  for (int64_t i = 0; i < s->n; i++) {
    for (; p < s->pos[i]; p++) vi += def_at(c, p) >= maxd;
    vidx[i] = def_at(c, s->pos[i]) >= maxd ? vi : -1;
  }
  for (; p < c->n_levels; p++) vi += def_at(c, p) >= maxd;
  int rc = 0;
  if (vi != c->n_values) rc = prestige_error_set(err, PRESTIGE_ECORRUPT, "%s: %lld values decoded, levels need %lld", where,
                                                 (long long)c->n_values, (long long)vi);
  const uint8_t *v = c->values.data;
  int64_t n_slots = s->n;
  if (!rc && var) {
    int64_t total = 0;
    for (int64_t i = 0; i < n_slots; i++)
      if (vidx[i] >= 0) total += c->offsets[vidx[i] + 1] - c->offsets[vidx[i]];
    if (total > INT32_MAX && !large)
      rc = prestige_error_set(err, PRESTIGE_EUNSUPPORTED, "%s: more than 2 GiB of strings in one row group (large_string output needed)", where);
    void *off = rc ? NULL : prestige_buffer_alloc((n_slots + 1) * (large ? 8 : 4));
    uint8_t *data = rc ? NULL : prestige_buffer_alloc(total);
    if (!rc && (!off || !data)) rc = prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
    if (!rc) {
      int64_t o = 0;
      if (large) ((int64_t *)off)[0] = 0;
      else ((int32_t *)off)[0] = 0;
      for (int64_t i = 0; i < n_slots; i++) {
        if (vidx[i] >= 0) {
          int64_t st = c->offsets[vidx[i]], len = c->offsets[vidx[i] + 1] - st;
          if (len) memcpy(data + o, c->data.data + st, (size_t)len);
          o += len;
        }
        if (large) ((int64_t *)off)[i + 1] = o;
        else ((int32_t *)off)[i + 1] = (int32_t)o;
      }
    }
    prestige_array_set_buffer(a, 1, off);
    prestige_array_set_buffer(a, 2, data);
  } else if (!rc) {
    int w = t.type == PRESTIGE_ARROW_BOOL ? 1 : t.byte_width;
    uint8_t *out = prestige_buffer_alloc(t.type == PRESTIGE_ARROW_BOOL ? (n_slots + 7) / 8 : n_slots * w);
    if (!out) rc = prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
    else memset(out, 0, t.type == PRESTIGE_ARROW_BOOL ? (size_t)(n_slots + 7) / 8 : (size_t)(n_slots * w));
    int sw = c->width;
    for (int64_t i = 0; !rc && i < n_slots; i++) {
      if (vidx[i] < 0) continue;
      const uint8_t *src = c->width ? v + vidx[i] * sw : NULL;
      uint8_t *dst = out + i * w;
      switch (t.type) {
        case PRESTIGE_ARROW_BOOL: if (src[0]) out[i >> 3] |= (uint8_t)(1u << (i & 7)); break;
        case PRESTIGE_ARROW_INT8: case PRESTIGE_ARROW_UINT8: case PRESTIGE_ARROW_INT16: case PRESTIGE_ARROW_UINT16:
          memcpy(dst, src, (size_t)w); /* low bytes of the little-endian INT32 */
          break;
        case PRESTIGE_ARROW_DECIMAL128: {
          uint8_t le[16];
          if (n->physical == PRESTIGE_PHYSICAL_INT32) {
            int32_t x;
            memcpy(&x, src, 4);
            __int128 y = x;
            memcpy(le, &y, 16);
          } else if (n->physical == PRESTIGE_PHYSICAL_INT64) {
            int64_t x;
            memcpy(&x, src, 8);
            __int128 y = x;
            memcpy(le, &y, 16);
          } else {
            const uint8_t *be = src;
            int64_t len = sw;
            if (!src) {
              len = c->offsets[vidx[i] + 1] - c->offsets[vidx[i]];
              be = len > 0 ? c->data.data + c->offsets[vidx[i]] : NULL;
            }
            if (len > 16 || len < 1) {
              rc = prestige_error_set(err, PRESTIGE_ECORRUPT, "%s: decimal of %lld bytes", where, (long long)len);
              break;
            }
            memset(le, (be[0] & 0x80) ? 0xff : 0, 16);
            for (int64_t k = 0; k < len; k++) le[k] = be[len - 1 - k];
          }
          memcpy(dst, le, 16);
          break;
        }
        case PRESTIGE_ARROW_DATE64: { /* days -> milliseconds */
          int32_t days;
          memcpy(&days, src, 4);
          int64_t ms = (int64_t)days * 86400000LL;
          memcpy(dst, &ms, 8);
          break;
        }
        default:
          if (sw != w) {
            rc = prestige_error_set(err, PRESTIGE_EUNSUPPORTED, "%s: cannot read %s as %s", where,
                                    prestige_physical_type_name((prestige_physical_type_t)n->physical), n->format);
            break;
          }
          memcpy(dst, src, (size_t)w);
      }
    }
    if (!rc && n->div > 1) { /* restored seconds units: the file holds milliseconds */
      for (int64_t i = 0; i < n_slots; i++) {
        if (w == 8) {
          int64_t x;
          memcpy(&x, out + i * 8, 8);
          x /= n->div;
          memcpy(out + i * 8, &x, 8);
        } else {
          int32_t x;
          memcpy(&x, out + i * 4, 4);
          x /= n->div;
          memcpy(out + i * 4, &x, 4);
        }
      }
    }
    prestige_array_set_buffer(a, 1, out);
  }
  free(vidx);
  return rc;
}


static int build_with_slots(const rnode_t *n, rcolumn_t *cols, const slots_t *s, struct ArrowArray *a, const char *where,
                            prestige_error_t *err) {
  const rcolumn_t *c = &cols[n->first_leaf];
  if (n->kind == RN_LEAF) return leaf_array(n, c, s, a, where, err);
  PRESTIGE_TRY(prestige_array_init(a, n->kind == RN_STRUCT ? 1 : 2, n->n_children, err));
  a->length = s->n;
  PRESTIGE_TRY(validity(n, c, s, a, err));
  if (n->kind == RN_STRUCT) {
    for (int32_t i = 0; i < n->n_children; i++) {
      PRESTIGE_TRY(rassemble_build(n->children[i], cols, a->children[i], where, err));
      if (a->children[i]->length != s->n) return bad_shape(err, where, n);
    }
    return 0;
  }
  /* list / map: offsets from the element counts of each slot */
  void *off = prestige_buffer_alloc((s->n + 1) * (n->large ? 8 : 4));
  if (!off) return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
  prestige_array_set_buffer(a, 1, off);
  int64_t total = 0;
  if (n->large) ((int64_t *)off)[0] = 0;
  else ((int32_t *)off)[0] = 0;
  for (int64_t i = 0; i < s->n; i++) {
    int64_t p = s->pos[i];
    if (def_at(c, p) >= n->elem_def) {
      total++;
      for (int64_t q = p + 1; q < c->n_levels && rep_at(c, q) >= n->rep; q++) total += rep_at(c, q) == n->rep;
    }
    if (total > INT32_MAX && !n->large) return prestige_error_set(err, PRESTIGE_EUNSUPPORTED, "%s: list too long", where);
    if (n->large) ((int64_t *)off)[i + 1] = total;
    else ((int32_t *)off)[i + 1] = (int32_t)total;
  }
  PRESTIGE_TRY(rassemble_build(n->children[0], cols, a->children[0], where, err));
  if (a->children[0]->length != total) return bad_shape(err, where, n);
  return 0;
}

/* How a top-level leaf without repetition maps onto Arrow: 1 when its decoded fixed-width values
 * are the Arrow values buffer as they are, 2 for strings/binary with 32-bit offsets, 0 otherwise
 * (the generic assembly). */
int rassemble_flat_class(const rnode_t *n) {
  if (n->kind != RN_LEAF || n->parent || n->max_rep > 0 || n->div > 1) return 0;
  prestige_arrow_type_info_t t;
  if (prestige_arrow_type_parse(n->format, &t, NULL)) return 0;
  bool direct = (t.type == PRESTIGE_ARROW_INT32 && n->physical == PRESTIGE_PHYSICAL_INT32) ||
                (t.type == PRESTIGE_ARROW_UINT32 && n->physical == PRESTIGE_PHYSICAL_INT32) ||
                (t.type == PRESTIGE_ARROW_DATE32 && n->physical == PRESTIGE_PHYSICAL_INT32) ||
                (t.type == PRESTIGE_ARROW_TIME32 && n->physical == PRESTIGE_PHYSICAL_INT32) ||
                ((t.type == PRESTIGE_ARROW_INT64 || t.type == PRESTIGE_ARROW_UINT64 || t.type == PRESTIGE_ARROW_TIME64 ||
                  t.type == PRESTIGE_ARROW_DURATION || t.type == PRESTIGE_ARROW_TIMESTAMP) &&
                 n->physical == PRESTIGE_PHYSICAL_INT64) ||
                (t.type == PRESTIGE_ARROW_FLOAT && n->physical == PRESTIGE_PHYSICAL_FLOAT) ||
                (t.type == PRESTIGE_ARROW_DOUBLE && n->physical == PRESTIGE_PHYSICAL_DOUBLE) ||
                (t.type == PRESTIGE_ARROW_FIXED_SIZE_BINARY && n->physical == PRESTIGE_PHYSICAL_FIXED_LEN_BYTE_ARRAY);
  if (direct) return 1;
  if ((t.type == PRESTIGE_ARROW_STRING || t.type == PRESTIGE_ARROW_BINARY) && n->physical == PRESTIGE_PHYSICAL_BYTE_ARRAY)
    return 2;
  if ((t.type == PRESTIGE_ARROW_LARGE_STRING || t.type == PRESTIGE_ARROW_LARGE_BINARY) && n->physical == PRESTIGE_PHYSICAL_BYTE_ARRAY)
    return 4; /* 64-bit offsets: the decoded offsets are the Arrow offsets */
  if (t.type == PRESTIGE_ARROW_BOOL && n->physical == PRESTIGE_PHYSICAL_BOOLEAN) return 3;
  return 0;
}

/* Validity bitmap from definition levels; returns the null count. */
static int64_t def_bitmap(const int16_t *def, int64_t n, int16_t max, uint8_t *bits) {
  int64_t valid = 0, i = 0; /* counted from the bits as they are made: one pass over the levels */
  for (; i + 8 <= n; i += 8) {
    unsigned b = 0;
    for (int k = 0; k < 8; k++) b |= (unsigned)(def[i + k] >= max) << k;
    bits[i >> 3] = (uint8_t)b;
    valid += __builtin_popcount(b);
  }
  if (i < n) {
    unsigned b = 0;
    for (int k = 0; i + k < n; k++) b |= (unsigned)(def[i + k] >= max) << k;
    bits[i >> 3] = (uint8_t)b;
    valid += __builtin_popcount(b);
  }
  return n - valid;
}

static void *detach_or_empty(buf_t *b) { return b->len ? buf_detach(b, NULL) : prestige_buffer_alloc(0); }

/* 32-bit Arrow offsets from the decoded 64-bit ones. */
static int32_t *narrow_offsets(bufpool_t *pool, const int64_t *o, int64_t n) {
  size_t cap;
  int32_t *off = bufpool_get(pool, (size_t)(n + 1) * 4, &cap);
  if (!off) return NULL;
  for (int64_t i = 0; i <= n; i++) off[i] = o ? (int32_t)o[i] : 0;
  return off;
}

/* Top-level leaf without repetition: the decoded buffers become the Arrow buffers (booleans are
 * packed into a bitmap). Returns -1 when the fast path does not apply. */
static int flat_leaf(const rnode_t *n, rcolumn_t *c, struct ArrowArray *a, const char *where, prestige_error_t *err) {
  int cls = rassemble_flat_class(n);
  if (!cls) return -1;
  bool strings = cls == 2 || cls == 4;
  if (cls == 2 && c->data.len > INT32_MAX) {
    return prestige_error_set(err, PRESTIGE_EUNSUPPORTED,
                              "%s, column \"%s\": %lld bytes of strings in one row group exceed the 2 GiB of one Arrow "
                              "string array", where, n->name, (long long)c->data.len);
  }
  int64_t n_slots = c->n_levels;
  uint8_t *bits = NULL;
  int64_t nulls = 0;
  if (c->def && c->n_nulls > 0) {
    bits = prestige_buffer_alloc((n_slots + 7) / 8);
    if (!bits) return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
    nulls = def_bitmap(c->def, n_slots, n->def, bits);
    if (nulls == 0) {
      free(bits);
      bits = NULL;
    }
  }
  /* booleans are dense (one value per present slot), the other classes spaced (one per slot) */
  bool per_slot = cls != 3 || nulls == 0;
  if ((cls != 3 && !c->spaced && nulls > 0) || (per_slot ? c->n_values != n_slots : c->n_values + nulls != n_slots)) {
    free(bits);
    return bad_shape(err, where, n);
  }
  int irc = prestige_array_init(a, strings ? 3 : 2, 0, err);
  if (irc) {
    free(bits);
    return irc;
  }
  a->length = n_slots;
  a->null_count = nulls;
  prestige_array_set_buffer(a, 0, bits);
  void *v1 = NULL, *v2 = NULL;
  if (cls == 3) { /* booleans: one decoded byte per present value, packed into the values bitmap */
    uint8_t *vb = prestige_buffer_alloc((n_slots + 7) / 8);
    if (!vb) return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
    memset(vb, 0, (size_t)(n_slots + 7) / 8);
    const uint8_t *v = c->values.data;
    if (nulls == 0) {
      for (int64_t i = 0; i < n_slots; i++) vb[i >> 3] |= (uint8_t)((v[i] & 1) << (i & 7));
    } else {
      int64_t k = 0, last = c->n_values > 0 ? c->n_values - 1 : 0;
      for (int64_t i = 0; i < n_slots; i++) {
        bool ok = c->def[i] >= n->def;
        uint8_t b = c->n_values ? v[k < last ? k : last] & ok : 0;
        vb[i >> 3] |= (uint8_t)(b << (i & 7));
        k += ok;
      }
    }
    prestige_array_set_buffer(a, 1, vb);
    return 0;
  }
  /* strings and fixed widths were decoded spaced (read_row_group asks for it for every flat
   * class): their buffers are the Arrow buffers */
  if (cls == 4) { /* the decoded 64-bit offsets move over (n_slots + 1 of them, spaced) */
    v1 = c->offsets;
    c->offsets = NULL;
    if (!v1 && (v1 = prestige_buffer_alloc(8))) memset(v1, 0, 8); /* a chunk with nothing to decode */
  } else if (strings && c->offsets32) { /* decoded as 32-bit offsets: they move over */
    v1 = c->offsets32;
    c->offsets32 = NULL;
  } else {
    v1 = strings ? (void *)narrow_offsets(c->pool, c->offsets, n_slots) : detach_or_empty(&c->values);
  }
  if (strings) v2 = detach_or_empty(&c->data);
  if (v1) prestige_array_set_buffer(a, 1, v1);
  if (v2) prestige_array_set_buffer(a, 2, v2);
  if (!v1 || (strings && !v2)) return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
  return 0;
}

int rassemble_build(const rnode_t *n, rcolumn_t *cols, struct ArrowArray *a, const char *where, prestige_error_t *err) {
  if (n->kind == RN_LEAF) {
    int fr = flat_leaf(n, &cols[n->first_leaf], a, where, err);
    if (fr >= 0) return fr;
  }
  slots_t s;
  if (compute_slots(n, &cols[n->first_leaf], &s)) return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
  int rc = build_with_slots(n, cols, &s, a, where, err);
  free(s.pos);
  return rc;
}
