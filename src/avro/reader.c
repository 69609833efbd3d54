/* Avro object container reader: the header (magic, metadata, sync marker), then block by block
 * (count, size, data, sync), each block decompressed within max_block_bytes and decoded along
 * the resolution plan into datums allocated from one arena per block. Every count and length
 * read from the file is checked against the bytes left before it is used. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "avro/avro_internal.h"

#define WINDOW_BYTES ((size_t)1 << 20) /* read-ahead from a prestige_input_t */

typedef struct meta_entry {
  char *key;
  uint8_t *value; /* NUL-terminated after len */
  size_t len;
} meta_entry_t;

struct avro_reader {
  prestige_input_t in;
  bool own_in;
  const uint8_t *mem; /* open_memory: the whole file, no copies */
  uint64_t size;
  char name[256];
  avro_reader_options_t opts;
  /* read-ahead window over in: bytes [win_off, win_off + win.len) of the file */
  buf_t win;
  uint64_t win_off;

  avro_schema_t *writer_schema;
  const avro_node_t *root; /* reader root */
  const avro_plan_t *plan;
  arena_t plan_arena;
  avro_codec_t codec;
  avro_codec_ctx_t *codec_ctx;
  uint8_t sync[16];
  meta_entry_t *meta;
  size_t n_meta, cap_meta;
  int failed; /* sticky: the code of the error that stopped reading */

  uint64_t pos; /* file offset of the next block */
  uint64_t block_index;
  uint64_t block_offset;
  bool eof;
  /* the current block's decoded bytes and what is left of them */
  buf_t block;
  const uint8_t *data, *cur, *end;
  uint64_t left;  /* records not yet decoded in the block */
  uint64_t in_block; /* records in the block */
  arena_t values; /* datums of the current block (of all blocks with retain) */
  uint8_t **kept; /* retain: decoded blocks kept alive */
  size_t n_kept, cap_kept, kept_bytes;
  avro_datum_t *batch; /* next_block's array */
  size_t batch_cap;
  uint64_t returned;
};

/* ---------------------------------------------------------------------------------------------
 * Decoding values
 * ------------------------------------------------------------------------------------------- */

typedef struct dec {
  const uint8_t *p, *end, *base;
  arena_t *arena;
  size_t max_memory;
  prestige_error_t *err;
  bool oom; /* dalloc failed for want of memory, not for the cap */
} dec_t;

__attribute__((cold, noinline)) static int corrupt(dec_t *d, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return prestige_error_set(d->err, PRESTIGE_ECORRUPT, "%s at byte %zu of the block", msg, (size_t)(d->p - d->base));
}

__attribute__((noinline)) static int read_varint_slow(dec_t *d, uint64_t *out) {
  const uint8_t *p = d->p;
  uint64_t v = 0;
  for (int i = 0; i < 10; i++) {
    if (p >= d->end) return corrupt(d, "varint runs past the end of the data");
    uint8_t b = *p++;
    v |= (uint64_t)(b & 0x7f) << (7 * i);
    if (!(b & 0x80)) {
      if (i == 9 && b > 1) return corrupt(d, "varint overflows 64 bits");
      d->p = p;
      *out = v;
      return 0;
    }
  }
  return corrupt(d, "varint longer than 10 bytes");
}

static inline int read_long(dec_t *d, int64_t *out) {
  const uint8_t *p = d->p;
  if (__builtin_expect(d->end - p >= 10, 1)) { /* room for the longest varint: no bounds checks */
    uint64_t v = 0;
    uint8_t b;
    int shift = 0;
    do {
      b = *p++;
      v |= (uint64_t)(b & 0x7f) << shift;
      shift += 7;
    } while ((b & 0x80) && shift < 70);
    if (__builtin_expect((b & 0x80) || (shift == 70 && b > 1), 0)) {
      *out = 0;
      return read_varint_slow(d, &v); /* reports the fault */
    }
    d->p = p;
    *out = zigzag_decode64(v);
    return 0;
  }
  uint64_t u = 0;
  int rc = read_varint_slow(d, &u);
  *out = zigzag_decode64(u);
  return rc;
}

static inline int read_int(dec_t *d, int32_t *out) {
  int64_t v;
  PRESTIGE_TRY(read_long(d, &v));
  if (__builtin_expect(v < INT32_MIN || v > INT32_MAX, 0)) return corrupt(d, "int %lld out of range", (long long)v);
  *out = (int32_t)v;
  return 0;
}

static inline int need(dec_t *d, uint64_t n, const char *what) {
  if (__builtin_expect(n > (uint64_t)(d->end - d->p), 0))
    return corrupt(d, "%s of %llu bytes runs past the %zu bytes left", what, (unsigned long long)n, (size_t)(d->end - d->p));
  return 0;
}

static inline int read_len(dec_t *d, uint32_t *len, const char *what) {
  int64_t n;
  *len = 0;
  PRESTIGE_TRY(read_long(d, &n));
  if (__builtin_expect(n < 0, 0)) return corrupt(d, "negative %s length %lld", what, (long long)n);
  PRESTIGE_TRY(need(d, (uint64_t)n, what));
  if ((uint64_t)n > UINT32_MAX) return corrupt(d, "%s of %lld bytes is over 4 GiB", what, (long long)n);
  *len = (uint32_t)n;
  return 0;
}

static void *dalloc(dec_t *d, size_t count, size_t size) {
  if (count > (d->max_memory / size)) return NULL;
  size_t bytes = count * size;
  if (bytes > d->max_memory - (d->arena->total < d->max_memory ? d->arena->total : d->max_memory)) return NULL;
  void *p = arena_alloc(d->arena, bytes ? bytes : 1);
  d->oom = p == NULL;
  return p;
}

__attribute__((cold, noinline)) static int too_much(dec_t *d, uint64_t count, const char *what) {
  if (d->oom) return prestige_error_set(d->err, PRESTIGE_ENOMEM, "out of memory for %llu %s", (unsigned long long)count, what);
  return prestige_error_set(d->err, PRESTIGE_ECORRUPT,
                            "%llu %s at byte %zu of the block exceed max_memory (%zu bytes of decoded values)",
                            (unsigned long long)count, what, (size_t)(d->p - d->base), d->max_memory);
}

/* A block count of an array or map: negative means its byte size follows (spec "Arrays"). */
static int read_count(dec_t *d, int64_t *count, int64_t *bytes, uint64_t item_min, const char *what) {
  PRESTIGE_TRY(read_long(d, count));
  *bytes = -1;
  if (*count < 0) {
    if (*count == INT64_MIN) return corrupt(d, "%s block count out of range", what);
    *count = -*count;
    PRESTIGE_TRY(read_long(d, bytes));
    if (*bytes < 0) return corrupt(d, "negative %s block size %lld", what, (long long)*bytes);
    PRESTIGE_TRY(need(d, (uint64_t)*bytes, what));
  }
  if (item_min && (uint64_t)*count > (uint64_t)(d->end - d->p) / item_min)
    return corrupt(d, "%s block of %lld items cannot fit in the %zu bytes left", what, (long long)*count,
                   (size_t)(d->end - d->p));
  return 0;
}

static int skip(dec_t *d, const avro_node_t *t, int depth);

static int skip_items(dec_t *d, const avro_node_t *t, const avro_node_t *item, int depth) {
  bool map = t->type == AVRO_MAP;
  uint64_t item_min = item->min_bytes + (map ? 1 : 0);
  for (;;) {
    int64_t count, bytes;
    PRESTIGE_TRY(read_count(d, &count, &bytes, item_min, map ? "map" : "array"));
    if (count == 0) return 0;
    if (bytes >= 0) { /* the block's byte size lets us jump over it */
      d->p += bytes;
      continue;
    }
    if (item_min == 0) {
      /* items that encode to nothing: one is enough to catch a type with no finite value */
      PRESTIGE_TRY(skip(d, item, depth + 1));
      continue;
    }
    for (int64_t i = 0; i < count; i++) {
      if (map) {
        uint32_t n = 0;
        PRESTIGE_TRY(read_len(d, &n, "map key"));
        d->p += n;
      }
      PRESTIGE_TRY(skip(d, item, depth + 1));
    }
  }
}

static int skip(dec_t *d, const avro_node_t *t, int depth) {
  if (depth > AVRO_MAX_DEPTH) return corrupt(d, "value nested deeper than %d levels", AVRO_MAX_DEPTH);
  int64_t v;
  uint32_t n = 0;
  switch (t->type) {
    case AVRO_NULL: return 0;
    case AVRO_BOOLEAN: PRESTIGE_TRY(need(d, 1, "boolean")); d->p++; return 0;
    case AVRO_INT:
    case AVRO_LONG:
    case AVRO_ENUM: return read_long(d, &v);
    case AVRO_FLOAT: PRESTIGE_TRY(need(d, 4, "float")); d->p += 4; return 0;
    case AVRO_DOUBLE: PRESTIGE_TRY(need(d, 8, "double")); d->p += 8; return 0;
    case AVRO_BYTES:
    case AVRO_STRING:
      PRESTIGE_TRY(read_len(d, &n, t->type == AVRO_STRING ? "string" : "bytes"));
      d->p += n;
      return 0;
    case AVRO_FIXED: PRESTIGE_TRY(need(d, t->size, "fixed")); d->p += t->size; return 0;
    case AVRO_RECORD:
      for (uint32_t i = 0; i < t->n_fields; i++) {
        int rc = skip(d, t->fields[i].type, depth + 1);
        if (rc) return avro_path_prefix(d->err, rc, depth, "field '%s'", t->fields[i].name);
      }
      return 0;
    case AVRO_ARRAY: return skip_items(d, t, t->items, depth);
    case AVRO_MAP: return skip_items(d, t, t->values, depth);
    case AVRO_UNION:
      PRESTIGE_TRY(read_long(d, &v));
      if (v < 0 || (uint64_t)v >= t->n_branches) return corrupt(d, "union branch %lld of %u", (long long)v, t->n_branches);
      return skip(d, t->branches[v], depth + 1);
  }
  return 0;
}

static int decode(dec_t *d, const avro_plan_t *p, avro_datum_t *out, int depth);
static int decode_fields(dec_t *d, const avro_plan_t *p, avro_datum_t *f, int depth);

static int decode_items(dec_t *d, const avro_plan_t *p, avro_datum_t *out, int depth) {
  bool map = p->op == OP_MAP;
  const avro_node_t *witem = map ? p->writer->values : p->writer->items;
  uint64_t item_min = witem->min_bytes + (map ? 1 : 0);
  size_t per = map ? 2 : 1;
  avro_datum_t *items = NULL;
  uint64_t total = 0;
  for (;;) {
    int64_t count, bytes;
    PRESTIGE_TRY(read_count(d, &count, &bytes, item_min, map ? "map" : "array"));
    if (count == 0) break;
    if (total + (uint64_t)count > UINT32_MAX) return corrupt(d, "%s of more than 2^32 items", map ? "map" : "array");
    avro_datum_t *grown = dalloc(d, (size_t)(total + (uint64_t)count) * per, sizeof(avro_datum_t));
    if (!grown) return too_much(d, (uint64_t)count, map ? "map entries" : "array items");
    if (total) memcpy(grown, items, (size_t)total * per * sizeof(avro_datum_t)); /* a second block: rare */
    items = grown;
    /* arrays of plain records (Iceberg's maps): the fields of all items in one allocation */
    const avro_plan_t *ip = p->item;
    avro_datum_t *fields = NULL;
    if (!map && ip->op == OP_RECORD && ip->reader_branch < 0 && ip->n_fields) {
      if (depth + 1 > AVRO_MAX_DEPTH) return corrupt(d, "value nested deeper than %d levels", AVRO_MAX_DEPTH);
      if (!(fields = dalloc(d, (size_t)count * ip->n_fields, sizeof(avro_datum_t))))
        return too_much(d, (uint64_t)count, "array items");
    }
    for (uint64_t i = total; i < total + (uint64_t)count; i++) {
      int rc;
      if (fields) {
        avro_datum_t *it = &items[i], *f = fields + (size_t)(i - total) * ip->n_fields;
        it->v.items = f;
        it->len = ip->n_fields;
        it->branch = 0;
        rc = decode_fields(d, ip, f, depth + 1);
      } else if (map) {
        avro_datum_t *k = &items[2 * i];
        uint32_t n = 0;
        PRESTIGE_TRY(read_len(d, &n, "map key"));
        k->v.bytes = d->p;
        k->len = n;
        k->branch = 0;
        d->p += n;
        rc = decode(d, p->item, &items[2 * i + 1], depth + 1);
      } else {
        rc = decode(d, p->item, &items[i], depth + 1);
      }
      if (rc) return avro_path_prefix(d->err, rc, depth, "%s %llu", map ? "map value" : "item", (unsigned long long)i);
    }
    total += (uint64_t)count;
  }
  out->v.items = items;
  out->len = (uint32_t)total;
  return 0;
}

/* Decodes a record's fields into f (p->n_fields datums). */
static int decode_fields(dec_t *d, const avro_plan_t *p, avro_datum_t *f, int depth) {
  if (p->fill) memcpy(f, p->fill, p->n_fields * sizeof(avro_datum_t));
  for (uint32_t i = 0; i < p->n_steps; i++) {
    const avro_step_t *s = &p->steps[i];
    int rc;
    if (s->target < 0) {
      rc = skip(d, s->field->type, depth + 1);
    } else {
      avro_datum_t *o = &f[s->target];
      const avro_plan_t *q = s->plan;
      /* the common plain fields without a call */
      if (q->op == OP_LONG && q->reader_branch < 0) {
        o->branch = 0;
        o->len = 0;
        rc = read_long(d, &o->v.i64);
      } else if (q->op == OP_INT && q->reader_branch < 0) {
        o->branch = 0;
        o->len = 0;
        rc = read_int(d, &o->v.i32);
      } else {
        rc = decode(d, q, o, depth + 1);
      }
    }
    if (__builtin_expect(rc != 0, 0))
      return avro_path_prefix(d->err, rc, depth, "field '%s'", s->field->name);
  }
  return 0;
}

static int decode_record(dec_t *d, const avro_plan_t *p, avro_datum_t *out, int depth) {
  avro_datum_t *f = dalloc(d, p->n_fields, sizeof(avro_datum_t));
  if (!f) return too_much(d, p->n_fields, "record fields");
  out->v.items = f;
  out->len = p->n_fields;
  return decode_fields(d, p, f, depth);
}

static int decode(dec_t *d, const avro_plan_t *p, avro_datum_t *out, int depth) {
  if (__builtin_expect(depth > AVRO_MAX_DEPTH, 0)) return corrupt(d, "value nested deeper than %d levels", AVRO_MAX_DEPTH);
  int64_t v;
  int32_t i32 = 0;
again:
  out->branch = p->reader_branch >= 0 ? p->reader_branch : 0;
  out->len = 0;
  switch (p->op) {
    case OP_NULL: out->v.i64 = 0; return 0;
    case OP_BOOLEAN:
      PRESTIGE_TRY(need(d, 1, "boolean"));
      if (*d->p > 1) return corrupt(d, "boolean byte %u", *d->p);
      out->v.boolean = *d->p++ != 0;
      return 0;
    case OP_INT: return read_int(d, &out->v.i32);
    case OP_LONG: return read_long(d, &out->v.i64);
    case OP_FLOAT: PRESTIGE_TRY(need(d, 4, "float")); memcpy(&out->v.f32, d->p, 4); d->p += 4; return 0;
    case OP_DOUBLE: PRESTIGE_TRY(need(d, 8, "double")); memcpy(&out->v.f64, d->p, 8); d->p += 8; return 0;
    case OP_BYTES: {
      uint32_t n = 0;
      PRESTIGE_TRY(read_len(d, &n, p->writer->type == AVRO_STRING ? "string" : "bytes"));
      out->v.bytes = d->p;
      out->len = n;
      d->p += n;
      return 0;
    }
    case OP_FIXED:
      PRESTIGE_TRY(need(d, p->writer->size, "fixed"));
      out->v.bytes = d->p;
      out->len = p->writer->size;
      d->p += p->writer->size;
      return 0;
    case OP_ENUM:
      PRESTIGE_TRY(read_int(d, &i32));
      if (i32 < 0 || (uint32_t)i32 >= p->writer->n_symbols)
        return corrupt(d, "enum %s index %d of %u symbols", p->writer->name, i32, p->writer->n_symbols);
      if (p->enum_map[i32] < 0)
        return prestige_error_set(d->err, PRESTIGE_ETYPE, "enum symbol '%s' of %s is not in the reader's enum",
                                  p->writer->symbols[i32], p->writer->name);
      out->v.i32 = p->enum_map[i32];
      return 0;
    case OP_RECORD: return decode_record(d, p, out, depth);
    case OP_ARRAY:
    case OP_MAP: return decode_items(d, p, out, depth);
    case OP_UNION: {
      PRESTIGE_TRY(read_long(d, &v));
      if (v < 0 || (uint64_t)v >= p->writer->n_branches)
        return corrupt(d, "union branch %lld of %u", (long long)v, p->writer->n_branches);
      const avro_plan_t *bp = p->branch_plans[v];
      if (!bp)
        return prestige_error_set(d->err, PRESTIGE_ETYPE, "written union branch %s cannot be read as the reader's type",
                                  p->writer->branches[v]->name ? p->writer->branches[v]->name
                                                                : avro_type_name(p->writer->branches[v]->type));
      p = bp; /* a union never holds a union: one more step */
      goto again;
    }
    case OP_INT_LONG: PRESTIGE_TRY(read_int(d, &i32)); out->v.i64 = i32; return 0;
    case OP_INT_FLOAT: PRESTIGE_TRY(read_int(d, &i32)); out->v.f32 = (float)i32; return 0;
    case OP_INT_DOUBLE: PRESTIGE_TRY(read_int(d, &i32)); out->v.f64 = i32; return 0;
    case OP_LONG_FLOAT: PRESTIGE_TRY(read_long(d, &v)); out->v.f32 = (float)v; return 0;
    case OP_LONG_DOUBLE: PRESTIGE_TRY(read_long(d, &v)); out->v.f64 = (double)v; return 0;
    case OP_FLOAT_DOUBLE: {
      float f;
      PRESTIGE_TRY(need(d, 4, "float"));
      memcpy(&f, d->p, 4);
      d->p += 4;
      out->v.f64 = f;
      return 0;
    }
  }
  return corrupt(d, "internal: unknown plan op %d", (int)p->op);
}

/* ---------------------------------------------------------------------------------------------
 * The file
 * ------------------------------------------------------------------------------------------- */

/* n bytes at file offset off (the caller checked they are within the file), valid until the
 * next call. */
static int src_peek(avro_reader_t *r, uint64_t off, size_t n, const uint8_t **out, prestige_error_t *err) {
  if (r->mem) {
    *out = r->mem + off;
    return 0;
  }
  if (off >= r->win_off && off + n <= r->win_off + r->win.len) {
    *out = r->win.data + (off - r->win_off);
    return 0;
  }
  size_t want = n > WINDOW_BYTES ? n : WINDOW_BYTES;
  if (want > r->size - off) want = (size_t)(r->size - off);
  buf_clear(&r->win);
  if (buf_reserve(&r->win, want ? want : 1)) return prestige_error_set(err, PRESTIGE_ENOMEM, "%s: out of memory", r->name);
  if (want) PRESTIGE_TRY(r->in.read_at(r->in.ctx, off, r->win.data, want, err));
  r->win.len = want;
  r->win_off = off;
  *out = r->win.data;
  return 0;
}

static int meta_find(const avro_reader_t *r, const char *key) {
  for (size_t i = 0; i < r->n_meta; i++)
    if (strcmp(r->meta[i].key, key) == 0) return (int)i;
  return -1;
}

/* Parses the header from a window of its first bytes; EAGAIN-like 1 when the window is short. */
static int parse_header(avro_reader_t *r, const uint8_t *h, size_t n, size_t *header_len, prestige_error_t *err) {
  dec_t d = {.p = h, .end = h + n, .base = h, .err = err};
  if (n < 4) return 1;
  if (memcmp(h, "Obj\x01", 4) != 0)
    return prestige_error_set(err, PRESTIGE_ECORRUPT, "%s: not an Avro object container file (bad magic)", r->name);
  d.p += 4;
  for (;;) {
    int64_t count;
    if (read_long(&d, &count)) return 1;
    if (count == 0) break;
    if (count < 0) {
      int64_t bytes;
      if (count == INT64_MIN)
        return prestige_error_set(err, PRESTIGE_ECORRUPT, "%s: header metadata count out of range", r->name);
      if (read_long(&d, &bytes)) return 1;
      count = -count;
    }
    /* each entry takes at least 2 bytes (two lengths) */
    if ((uint64_t)count > (r->size - (uint64_t)(d.p - h)) / 2)
      return prestige_error_set(err, PRESTIGE_ECORRUPT, "%s: header metadata claims %lld entries in a %llu-byte file",
                                r->name, (long long)count, (unsigned long long)r->size);
    for (int64_t i = 0; i < count; i++) {
      if (r->n_meta == r->cap_meta) { /* grown as entries are read, never by the claimed count */
        size_t cap = r->cap_meta ? r->cap_meta * 2 : 8;
        meta_entry_t *m = realloc(r->meta, cap * sizeof(*m));
        if (!m) return prestige_error_set(err, PRESTIGE_ENOMEM, "%s: out of memory", r->name);
        r->meta = m;
        r->cap_meta = cap;
      }
      int64_t kl, vl;
      if (read_long(&d, &kl)) return 1;
      if (kl < 0) return prestige_error_set(err, PRESTIGE_ECORRUPT, "%s: negative metadata key length", r->name);
      if ((uint64_t)kl > (uint64_t)(d.end - d.p)) return (uint64_t)kl > r->size ? prestige_error_set(err, PRESTIGE_ECORRUPT, "%s: metadata key length %lld beyond the file", r->name, (long long)kl) : 1;
      const uint8_t *k = d.p;
      d.p += kl;
      if (read_long(&d, &vl)) return 1;
      if (vl < 0) return prestige_error_set(err, PRESTIGE_ECORRUPT, "%s: negative metadata value length", r->name);
      if ((uint64_t)vl > (uint64_t)(d.end - d.p)) return (uint64_t)vl > r->size ? prestige_error_set(err, PRESTIGE_ECORRUPT, "%s: metadata value length %lld beyond the file", r->name, (long long)vl) : 1;
      meta_entry_t *e = &r->meta[r->n_meta];
      e->key = malloc((size_t)kl + 1);
      e->value = malloc((size_t)vl + 1);
      if (!e->key || !e->value) {
        free(e->key);
        free(e->value);
        return prestige_error_set(err, PRESTIGE_ENOMEM, "%s: out of memory", r->name);
      }
      memcpy(e->key, k, (size_t)kl);
      e->key[kl] = '\0';
      memcpy(e->value, d.p, (size_t)vl);
      e->value[vl] = '\0';
      e->len = (size_t)vl;
      r->n_meta++;
      d.p += vl;
    }
  }
  if (d.end - d.p < 16) return 1;
  memcpy(r->sync, d.p, 16);
  *header_len = (size_t)(d.p + 16 - h);
  return 0;
}

static void meta_free(avro_reader_t *r) {
  for (size_t i = 0; i < r->n_meta; i++) {
    free(r->meta[i].key);
    free(r->meta[i].value);
  }
  free(r->meta);
  r->meta = NULL;
  r->n_meta = r->cap_meta = 0;
}

static int read_header(avro_reader_t *r, prestige_error_t *err) {
  size_t window = 65536, header_len = 0;
  for (;;) {
    if (window > r->size) window = (size_t)r->size;
    const uint8_t *h;
    PRESTIGE_TRY(src_peek(r, 0, window, &h, err));
    meta_free(r);
    int rc = parse_header(r, h, window, &header_len, err);
    if (rc == 0) break;
    if (rc != 1) return rc;
    if (window == r->size)
      return prestige_error_set(err, PRESTIGE_ECORRUPT, "%s: the header is truncated or corrupt (file of %llu bytes)", r->name,
                                (unsigned long long)r->size);
    if (window >= r->opts.max_block_bytes)
      return prestige_error_set(err, PRESTIGE_ECORRUPT, "%s: the header is corrupt or larger than max_block_bytes (%zu)",
                                r->name, r->opts.max_block_bytes);
    window = window > r->size / 4 ? (size_t)r->size : window * 4;
    if (window > r->opts.max_block_bytes) window = r->opts.max_block_bytes;
  }
  r->pos = header_len;
  int i = meta_find(r, "avro.schema");
  if (i < 0) return prestige_error_set(err, PRESTIGE_ECORRUPT, "%s: header has no avro.schema", r->name);
  int rc = avro_schema_parse(&r->writer_schema, (const char *)r->meta[i].value, r->meta[i].len, err);
  if (rc) {
    if (rc == PRESTIGE_EINVAL) err->code = PRESTIGE_ECORRUPT; /* a bad schema in a file is a bad file */
    return rc == PRESTIGE_EINVAL ? prestige_error_prefix(err, "%s: avro.schema", r->name) : rc;
  }
  r->codec = AVRO_CODEC_NULL;
  if ((i = meta_find(r, "avro.codec")) >= 0) {
    rc = avro_codec_parse(r->meta[i].value, r->meta[i].len, &r->codec, err);
    if (rc) return prestige_error_prefix(err, "%s", r->name);
  }
  const avro_node_t *wroot = avro_schema_root(r->writer_schema);
  r->root = r->opts.reader_schema ? avro_schema_root(r->opts.reader_schema) : wroot;
  rc = avro_resolve(&r->plan_arena, wroot, r->root, &r->plan, err);
  if (rc) return rc == PRESTIGE_ENOMEM ? rc : prestige_error_prefix(err, "%s: reader schema", r->name);
  return 0;
}

static int reader_new(avro_reader_t **out, const avro_reader_options_t *opts, const char *name, prestige_error_t *err) {
  avro_reader_options_t defaults = AVRO_READER_OPTIONS_INIT;
  if (!opts) opts = &defaults;
  if (opts->max_block_bytes == 0 || opts->max_memory == 0)
    return prestige_error_set(err, PRESTIGE_EINVAL, "Avro reader: max_block_bytes and max_memory must be positive");
  avro_reader_t *r = calloc(1, sizeof(*r));
  if (!r) return prestige_error_set(err, PRESTIGE_ENOMEM, "Avro reader: out of memory");
  r->opts = *opts;
  snprintf(r->name, sizeof r->name, "%s", name ? name : "Avro file");
  if (!(r->codec_ctx = avro_codec_ctx_new())) {
    free(r);
    return prestige_error_set(err, PRESTIGE_ENOMEM, "Avro reader: out of memory");
  }
  *out = r;
  return 0;
}

int avro_reader_open(avro_reader_t **out, prestige_input_t in, const avro_reader_options_t *opts,
                     prestige_error_t *err) {
  prestige_error_t local;
  if (!err) err = &local;
  *out = NULL;
  avro_reader_t *r = NULL;
  int rc = reader_new(&r, opts, in.name, err);
  if (rc) {
    in.close(in.ctx);
    return rc;
  }
  r->in = in;
  r->own_in = true;
  if ((rc = in.size(in.ctx, &r->size, err)) != 0 || (rc = read_header(r, err)) != 0) {
    avro_reader_close(r);
    return rc;
  }
  *out = r;
  return 0;
}

int avro_reader_open_memory(avro_reader_t **out, const void *data, size_t len, const char *name,
                            const avro_reader_options_t *opts, prestige_error_t *err) {
  prestige_error_t local;
  if (!err) err = &local;
  *out = NULL;
  avro_reader_t *r = NULL;
  PRESTIGE_TRY(reader_new(&r, opts, name, err));
  r->mem = data ? data : (const uint8_t *)"";
  r->size = len;
  int rc = read_header(r, err);
  if (rc) {
    avro_reader_close(r);
    return rc;
  }
  *out = r;
  return 0;
}

void avro_reader_close(avro_reader_t *r) {
  if (!r) return;
  if (r->own_in) r->in.close(r->in.ctx);
  buf_release(&r->win);
  buf_release(&r->block);
  avro_schema_free(r->writer_schema);
  arena_release(&r->plan_arena);
  arena_release(&r->values);
  for (size_t i = 0; i < r->n_kept; i++) free(r->kept[i]);
  free(r->kept);
  free(r->batch);
  avro_codec_ctx_free(r->codec_ctx);
  meta_free(r);
  free(r);
}

const avro_schema_t *avro_reader_writer_schema(const avro_reader_t *r) { return r->writer_schema; }
const avro_node_t *avro_reader_root(const avro_reader_t *r) { return r->root; }
avro_codec_t avro_reader_codec(const avro_reader_t *r) { return r->codec; }
uint64_t avro_reader_records(const avro_reader_t *r) { return r->returned; }
size_t avro_reader_meta_count(const avro_reader_t *r) { return r->n_meta; }

const uint8_t *avro_reader_meta(const avro_reader_t *r, const char *key, size_t *len) {
  int i = meta_find(r, key);
  if (i < 0) return NULL;
  if (len) *len = r->meta[i].len;
  return r->meta[i].value;
}

void avro_reader_meta_at(const avro_reader_t *r, size_t i, const char **key, const uint8_t **value, size_t *len) {
  *key = r->meta[i].key;
  *value = r->meta[i].value;
  *len = r->meta[i].len;
}

__attribute__((format(printf, 3, 4))) static int block_error(avro_reader_t *r, prestige_error_t *err, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return prestige_error_set(err, PRESTIGE_ECORRUPT, "%s: block %llu at offset %llu: %s", r->name,
                            (unsigned long long)r->block_index, (unsigned long long)r->block_offset, msg);
}

/* Loads the next non-empty block; r->eof at the end of the file. */
static int load_block(avro_reader_t *r, prestige_error_t *err) {
  for (;;) {
    if (!r->opts.retain) arena_reset(&r->values);
    r->data = r->cur = r->end = NULL;
    r->left = 0;
    if (r->pos == r->size) {
      r->eof = true;
      return 0;
    }
    r->block_offset = r->pos;
    uint64_t rest = r->size - r->pos;
    const uint8_t *h;
    size_t hn = rest < 20 ? (size_t)rest : 20;
    PRESTIGE_TRY(src_peek(r, r->pos, hn, &h, err));
    dec_t d = {.p = h, .end = h + hn, .base = h, .err = err};
    int64_t count, size;
    if (read_long(&d, &count) || read_long(&d, &size))
      return block_error(r, err, "the block header is truncated or corrupt (%llu bytes left in the file)",
                         (unsigned long long)rest);
    size_t head = (size_t)(d.p - h);
    if (count < 0 || size < 0) return block_error(r, err, "negative record count %lld or size %lld", (long long)count, (long long)size);
    if ((uint64_t)size > rest - head || rest - head - (uint64_t)size < 16)
      return block_error(r, err, "block of %lld bytes and its sync marker run past the end of the file (%llu bytes left)",
                         (long long)size, (unsigned long long)(rest - head));
    if ((uint64_t)size > r->opts.max_block_bytes)
      return block_error(r, err, "block of %lld bytes exceeds max_block_bytes (%zu)", (long long)size, r->opts.max_block_bytes);
    const uint8_t *raw;
    PRESTIGE_TRY(src_peek(r, r->pos + head, (size_t)size + 16, &raw, err));
    if (memcmp(raw + size, r->sync, 16) != 0)
      return block_error(r, err, "sync marker mismatch after %lld bytes of data (corrupt or truncated block)", (long long)size);
    r->pos += head + (uint64_t)size + 16;
    if (r->codec == AVRO_CODEC_NULL && r->mem) {
      r->data = raw; /* the caller's memory outlives every value */
    } else {
      int rc = avro_decompress(r->codec_ctx, r->codec, raw, (size_t)size, r->opts.max_block_bytes, &r->block, err);
      if (rc) return rc == PRESTIGE_ENOMEM ? rc : block_error(r, err, "%s", err->message);
      if (r->opts.retain) { /* values point into the block: keep it until close */
        if (r->n_kept == r->cap_kept) {
          size_t cap = r->cap_kept ? r->cap_kept * 2 : 16;
          uint8_t **k = realloc(r->kept, cap * sizeof(*k));
          if (!k) return prestige_error_set(err, PRESTIGE_ENOMEM, "%s: out of memory", r->name);
          r->kept = k;
          r->cap_kept = cap;
        }
        size_t len;
        r->kept[r->n_kept++] = buf_detach(&r->block, &len);
        r->kept_bytes += len;
        if (r->kept_bytes > r->opts.max_memory)
          return block_error(r, err, "retained blocks exceed max_memory (%zu bytes)", r->opts.max_memory);
        r->data = r->kept[r->n_kept - 1];
        r->end = r->data + len;
      } else {
        r->data = r->block.data;
        r->end = r->data + r->block.len;
      }
    }
    if (!r->end) r->end = r->data + size;
    r->cur = r->data;
    r->block_index++;
    uint64_t min = r->plan->writer->min_bytes;
    if (min && (uint64_t)count > (uint64_t)(r->end - r->data) / min)
      return block_error(r, err, "%lld records cannot fit in %zu bytes", (long long)count, (size_t)(r->end - r->data));
    if ((uint64_t)count > r->opts.max_memory / sizeof(avro_datum_t))
      return block_error(r, err, "%lld records exceed max_memory (%zu bytes)", (long long)count, r->opts.max_memory);
    if (count == 0) {
      if (r->end != r->data) return block_error(r, err, "a block of 0 records holds %zu bytes", (size_t)(r->end - r->data));
      continue;
    }
    r->in_block = r->left = (uint64_t)count;
    return 0;
  }
}

static int decode_one(avro_reader_t *r, avro_datum_t *out, prestige_error_t *err) {
  dec_t d = {.p = r->cur, .end = r->end, .base = r->data, .arena = &r->values, .max_memory = r->opts.max_memory, .err = err};
  int rc = decode(&d, r->plan, out, 0);
  if (rc) {
    r->left = 0;
    r->failed = rc; /* no reading past a fault */
    if (rc == PRESTIGE_ENOMEM) return rc;
    return prestige_error_prefix(err, "%s: block %llu at offset %llu, record %llu", r->name,
                                 (unsigned long long)r->block_index - 1, (unsigned long long)r->block_offset,
                                 (unsigned long long)(r->in_block - r->left));
  }
  r->cur = d.p;
  r->left--;
  if (r->left == 0 && r->cur != r->end) {
    r->failed = PRESTIGE_ECORRUPT;
    return prestige_error_set(err, PRESTIGE_ECORRUPT, "%s: block %llu at offset %llu: %zu bytes left over after its %llu records",
                              r->name, (unsigned long long)r->block_index - 1, (unsigned long long)r->block_offset,
                              (size_t)(r->end - r->cur), (unsigned long long)r->in_block);
  }
  return 0;
}

static int stopped(avro_reader_t *r, prestige_error_t *err) {
  return prestige_error_set(err, r->failed, "%s: reading stopped at an earlier error", r->name);
}

/* Makes sure a block with records left is loaded; 1 at the end of the file. */
static int ensure_block(avro_reader_t *r, prestige_error_t *err) {
  if (r->failed) return stopped(r, err);
  if (r->left) return 0;
  if (r->eof) return 1;
  int rc = load_block(r, err);
  if (rc) {
    r->failed = rc;
    return rc;
  }
  return r->eof ? 1 : 0;
}

int avro_reader_next(avro_reader_t *r, const avro_datum_t **record, prestige_error_t *err) {
  prestige_error_t local;
  if (!err) err = &local;
  *record = NULL;
  int rc = ensure_block(r, err);
  if (rc) return rc == 1 ? 0 : rc;
  dec_t dd = {.arena = &r->values, .max_memory = r->opts.max_memory};
  avro_datum_t *d = dalloc(&dd, 1, sizeof(*d));
  if (!d && dd.oom) return prestige_error_set(err, PRESTIGE_ENOMEM, "%s: out of memory for a record", r->name);
  if (!d) return prestige_error_set(err, PRESTIGE_ECORRUPT, "%s: decoded values exceed max_memory (%zu bytes)", r->name, r->opts.max_memory);
  PRESTIGE_TRY(decode_one(r, d, err));
  r->returned++;
  *record = d;
  return 0;
}

int avro_reader_next_block(avro_reader_t *r, const avro_datum_t **records, size_t *n, prestige_error_t *err) {
  prestige_error_t local;
  if (!err) err = &local;
  *records = NULL;
  *n = 0;
  int rc = ensure_block(r, err);
  if (rc) return rc == 1 ? 0 : rc;
  avro_datum_t *all;
  dec_t dd = {.arena = &r->values, .max_memory = r->opts.max_memory};
  if (r->opts.retain) {
    all = dalloc(&dd, (size_t)r->left, sizeof(*all));
  } else { /* reused across blocks: the records themselves live in the block's arena */
    if (r->left > r->batch_cap) {
      avro_datum_t *b = realloc(r->batch, (size_t)r->left * sizeof(*b));
      if (!b) return prestige_error_set(err, PRESTIGE_ENOMEM, "%s: out of memory", r->name);
      r->batch = b;
      r->batch_cap = (size_t)r->left;
    }
    all = r->batch;
  }
  if (!all && dd.oom) return prestige_error_set(err, PRESTIGE_ENOMEM, "%s: out of memory for a block's records", r->name);
  if (!all) return prestige_error_set(err, PRESTIGE_ECORRUPT, "%s: decoded values exceed max_memory (%zu bytes)", r->name, r->opts.max_memory);
  size_t k = 0;
  while (r->left > 0) {
    PRESTIGE_TRY(decode_one(r, &all[k], err));
    k++;
  }
  r->returned += k;
  *records = all;
  *n = k;
  return 0;
}
