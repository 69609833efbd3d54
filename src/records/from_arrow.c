/* Arrow record batches → structs described by a record descriptor. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arrow/stream.h"
#include "core/arena.h"
#include "prestige/records.h"

typedef struct records_private {
  arena_t arena;
  size_t cap; /* allocated items */
} records_private_t;

void prestige_record_read_options_init(prestige_record_read_options_t *opts) {
  memset(opts, 0, sizeof(*opts));
}

void prestige_records_release(prestige_records_t *r) {
  if (!r) return;
  records_private_t *p = r->private_data;
  if (p) {
    arena_release(&p->arena);
    free(p);
  }
  free(r->items);
  memset(r, 0, sizeof(*r));
}

static int type_error(prestige_error_t *err, const prestige_record_desc_t *d, const prestige_field_desc_t *f,
                      const char *found, const char *want) {
  return prestige_error_set(err, PRESTIGE_ETYPE, "record %s: column \"%s\" has type %s, expected %s", d->name,
                            f->name, found, want);
}

static bool kind_matches_scalar(prestige_field_kind_t k, prestige_arrow_type_t t) {
  switch (k) {
    case PRESTIGE_KIND_BOOL: return t == PRESTIGE_ARROW_BOOL;
    case PRESTIGE_KIND_I8: return t == PRESTIGE_ARROW_INT8;
    case PRESTIGE_KIND_I16: return t == PRESTIGE_ARROW_INT16;
    case PRESTIGE_KIND_I32: return t == PRESTIGE_ARROW_INT32;
    case PRESTIGE_KIND_I64: return t == PRESTIGE_ARROW_INT64;
    case PRESTIGE_KIND_U8: return t == PRESTIGE_ARROW_UINT8;
    case PRESTIGE_KIND_U16: return t == PRESTIGE_ARROW_UINT16;
    case PRESTIGE_KIND_U32: return t == PRESTIGE_ARROW_UINT32;
    case PRESTIGE_KIND_U64: return t == PRESTIGE_ARROW_UINT64;
    case PRESTIGE_KIND_F32: return t == PRESTIGE_ARROW_FLOAT;
    case PRESTIGE_KIND_F64: return t == PRESTIGE_ARROW_DOUBLE;
    case PRESTIGE_KIND_STRING: return t == PRESTIGE_ARROW_STRING || t == PRESTIGE_ARROW_LARGE_STRING;
    case PRESTIGE_KIND_DATE: return t == PRESTIGE_ARROW_DATE32;
    default: return false;
  }
}

static bool is_list_type(prestige_arrow_type_t t) { return t == PRESTIGE_ARROW_LIST || t == PRESTIGE_ARROW_LARGE_LIST; }

/* Checks that column schema s can fill field f. */
static int check_type(const prestige_record_desc_t *d, const prestige_field_desc_t *f, const struct ArrowSchema *s,
                      const prestige_record_read_options_t *o, prestige_error_t *err) {
  prestige_arrow_type_info_t t, ct;
  PRESTIGE_TRY(prestige_arrow_schema_type(s, &t, err));
  const char *found = s->format;
  if ((s->flags & ARROW_FLAG_NULLABLE) && !f->optional && !o->allow_nullable)
    return prestige_error_set(err, PRESTIGE_ETYPE,
                              "record %s: column \"%s\" is nullable but the field is not OPTIONAL", d->name, f->name);
  switch (f->kind) {
    case PRESTIGE_KIND_BYTES:
    case PRESTIGE_KIND_FIXED_BYTES: {
      if (t.type == PRESTIGE_ARROW_BINARY || t.type == PRESTIGE_ARROW_LARGE_BINARY) return 0;
      if (t.type == PRESTIGE_ARROW_FIXED_SIZE_BINARY &&
          (f->kind == PRESTIGE_KIND_BYTES || t.fixed_size == f->fixed_len))
        return 0;
      if (is_list_type(t.type) && s->n_children == 1) {
        PRESTIGE_TRY(prestige_arrow_schema_type(s->children[0], &ct, err));
        if (ct.type == PRESTIGE_ARROW_UINT8) return 0;
      }
      return type_error(err, d, f, found, f->kind == PRESTIGE_KIND_BYTES ? "binary or list<uint8>"
                                                                          : "fixed_size_binary or list<uint8>");
    }
    case PRESTIGE_KIND_TIMESTAMP: {
      if (t.type != PRESTIGE_ARROW_TIMESTAMP || t.unit != f->unit) {
        static const char *const units[] = {"s", "ms", "us", "ns"};
        char want[32];
        snprintf(want, sizeof(want), "timestamp[%s]", units[f->unit]);
        return type_error(err, d, f, found, want);
      }
      return 0;
    }
    case PRESTIGE_KIND_DECIMAL:
      if (t.type != PRESTIGE_ARROW_DECIMAL128 || t.scale != f->scale || t.precision > f->precision) {
        char want[32];
        snprintf(want, sizeof(want), "decimal128(%d,%d)", f->precision, f->scale);
        return type_error(err, d, f, found, want);
      }
      return 0;
    case PRESTIGE_KIND_LIST:
      if (is_list_type(t.type) && s->n_children == 1) {
        PRESTIGE_TRY(prestige_arrow_schema_type(s->children[0], &ct, err));
        if (kind_matches_scalar(f->element_kind, ct.type)) return 0;
      }
      return type_error(err, d, f, found, "a list of the element kind");
    default:
      if (kind_matches_scalar(f->kind, t.type)) return 0;
      return type_error(err, d, f, found, "the field's kind");
  }
}

static inline bool valid_at(const struct ArrowArray *a, int64_t i) { return prestige_array_is_valid(a, i); }

/* Offsets of element i of a string/binary/list array (32- or 64-bit), relative to data. */
static inline void offsets_at(const struct ArrowArray *a, bool large, int64_t i, int64_t *start, int64_t *end) {
  int64_t j = a->offset + i;
  if (large) {
    const int64_t *o = a->buffers[1];
    *start = o[j];
    *end = o[j + 1];
  } else {
    const int32_t *o = a->buffers[1];
    *start = o[j];
    *end = o[j + 1];
  }
}

static void *copy_bytes(arena_t *arena, const uint8_t *p, int64_t len) {
  char *q = arena_alloc(arena, (size_t)len + 1);
  if (!q) return NULL;
  if (len) memcpy(q, p, (size_t)len);
  q[len] = '\0'; /* strings come out NUL-terminated too */
  return q;
}

/* Width in bytes of a fixed-width scalar kind as Arrow stores it (bool handled apart). */
static size_t arrow_width(prestige_field_kind_t k) {
  switch (k) {
    case PRESTIGE_KIND_I8: case PRESTIGE_KIND_U8: return 1;
    case PRESTIGE_KIND_I16: case PRESTIGE_KIND_U16: return 2;
    case PRESTIGE_KIND_I32: case PRESTIGE_KIND_U32: case PRESTIGE_KIND_F32: case PRESTIGE_KIND_DATE: return 4;
    case PRESTIGE_KIND_DECIMAL: return 16;
    default: return 8;
  }
}

/* Reads element i of scalar array a (kind k) into dst (the C value). */
static int read_scalar(prestige_field_kind_t k, const struct ArrowArray *a, const struct ArrowSchema *s, int64_t i,
                       uint8_t *dst, arena_t *arena) {
  int64_t j = a->offset + i;
  if (k == PRESTIGE_KIND_BOOL) {
    const uint8_t *bits = a->buffers[1];
    *(bool *)dst = (bits[j >> 3] >> (j & 7)) & 1;
    return 0;
  }
  if (k == PRESTIGE_KIND_STRING) {
    bool large = s->format[0] == 'U';
    int64_t st, en;
    offsets_at(a, large, i, &st, &en);
    prestige_str_t *out = (prestige_str_t *)dst;
    out->ptr = copy_bytes(arena, (const uint8_t *)a->buffers[2] + st, en - st);
    out->len = (size_t)(en - st);
    return out->ptr ? 0 : PRESTIGE_ENOMEM;
  }
  size_t w = arrow_width(k);
  memcpy(dst, (const uint8_t *)a->buffers[1] + j * (int64_t)w, w);
  return 0;
}

/* Byte payload of element i for BYTES/FIXED_BYTES from binary, fixed_size_binary or list<uint8>. */
static void bytes_at(const struct ArrowArray *a, const struct ArrowSchema *s, const prestige_arrow_type_info_t *t,
                     int64_t i, const uint8_t **p, int64_t *len) {
  int64_t st, en;
  switch (t->type) {
    case PRESTIGE_ARROW_FIXED_SIZE_BINARY:
      *p = (const uint8_t *)a->buffers[1] + (a->offset + i) * t->fixed_size;
      *len = t->fixed_size;
      return;
    case PRESTIGE_ARROW_BINARY:
    case PRESTIGE_ARROW_LARGE_BINARY:
      offsets_at(a, t->type == PRESTIGE_ARROW_LARGE_BINARY, i, &st, &en);
      *p = (const uint8_t *)a->buffers[2] + st;
      *len = en - st;
      return;
    default: { /* list<uint8> */
      offsets_at(a, t->type == PRESTIGE_ARROW_LARGE_LIST, i, &st, &en);
      const struct ArrowArray *c = a->children[0];
      *p = (const uint8_t *)c->buffers[1] + c->offset + st;
      *len = en - st;
      (void)s;
      return;
    }
  }
}

static int fill_field(const prestige_record_desc_t *d, const prestige_field_desc_t *f, const struct ArrowSchema *s,
                      const struct ArrowArray *a, uint8_t *items, size_t n, arena_t *arena, prestige_error_t *err) {
  prestige_arrow_type_info_t t;
  PRESTIGE_TRY(prestige_arrow_schema_type(s, &t, err));
  for (size_t i = 0; i < n; i++) {
    uint8_t *m = items + i * d->size + f->offset;
    uint8_t *v = m + (f->optional ? f->value_offset : 0);
    bool ok = valid_at(a, (int64_t)i);
    if (f->optional) *(bool *)m = ok;
    if (!ok) {
      if (!f->optional)
        return prestige_error_set(err, PRESTIGE_ETYPE, "record %s: column \"%s\" holds a null at row %zu but the field is not OPTIONAL",
                                  d->name, f->name, i);
      continue;
    }
    switch (f->kind) {
      case PRESTIGE_KIND_BYTES:
      case PRESTIGE_KIND_FIXED_BYTES: {
        const uint8_t *p;
        int64_t len;
        bytes_at(a, s, &t, (int64_t)i, &p, &len);
        if (f->kind == PRESTIGE_KIND_FIXED_BYTES) {
          if (len != f->fixed_len)
            return prestige_error_set(err, PRESTIGE_ETYPE, "record %s: column \"%s\" row %zu has %lld bytes, expected %d",
                                      d->name, f->name, i, (long long)len, f->fixed_len);
          memcpy(v, p, (size_t)len);
        } else {
          prestige_bytes_t *b = (prestige_bytes_t *)v;
          b->ptr = copy_bytes(arena, p, len);
          b->len = (size_t)len;
          if (!b->ptr) goto nomem;
        }
        break;
      }
      case PRESTIGE_KIND_LIST: {
        int64_t st, en;
        offsets_at(a, t.type == PRESTIGE_ARROW_LARGE_LIST, (int64_t)i, &st, &en);
        const struct ArrowArray *c = a->children[0];
        size_t es = f->element_kind == PRESTIGE_KIND_STRING ? sizeof(prestige_str_t)
                    : f->element_kind == PRESTIGE_KIND_BOOL ? sizeof(bool)
                                                           : arrow_width(f->element_kind);
        uint8_t *elems = arena_alloc(arena, (size_t)(en - st) * es + 1);
        if (!elems) goto nomem;
        for (int64_t k = st; k < en; k++) {
          if (!valid_at(c, k))
            return prestige_error_set(err, PRESTIGE_ETYPE, "record %s: list column \"%s\" holds a null element at row %zu",
                                      d->name, f->name, i);
          if (read_scalar(f->element_kind, c, s->children[0], k, elems + (k - st) * es, arena)) goto nomem;
        }
        prestige_list_t *l = (prestige_list_t *)v;
        l->items = elems;
        l->len = (size_t)(en - st);
        break;
      }
      default:
        if (read_scalar(f->kind, a, s, (int64_t)i, v, arena)) goto nomem;
    }
  }
  return 0;
nomem:
  return prestige_error_set(err, PRESTIGE_ENOMEM, "record %s: out of memory reading column \"%s\"", d->name, f->name);
}

int prestige_record_from_arrow(const prestige_record_desc_t *d, const struct ArrowSchema *schema,
                               const struct ArrowArray *batch, const prestige_record_read_options_t *opts,
                               prestige_records_t *out, prestige_error_t *err) {
  PRESTIGE_TRY(prestige_record_validate(d, err));
  prestige_record_read_options_t defaults;
  if (!opts) {
    prestige_record_read_options_init(&defaults);
    opts = &defaults;
  }
  if (!schema || strcmp(schema->format, "+s") != 0 || batch->n_children != schema->n_children)
    return prestige_error_set(err, PRESTIGE_ETYPE, "record %s: input is not a record batch (struct array)", d->name);
  PRESTIGE_TRY(prestige_array_validate(batch, schema, err));
  int64_t col[256];
  int64_t *cols = d->n_fields <= 256 ? col : malloc(d->n_fields * sizeof(int64_t));
  if (!cols) return prestige_error_set(err, PRESTIGE_ENOMEM, "record %s: out of memory", d->name);
  int rc = 0;
  for (size_t i = 0; i < d->n_fields && !rc; i++) {
    cols[i] = -1;
    for (int64_t c = 0; c < schema->n_children; c++)
      if (schema->children[c]->name && strcmp(schema->children[c]->name, d->fields[i].name) == 0) cols[i] = c;
    if (cols[i] < 0)
      rc = prestige_error_set(err, PRESTIGE_ETYPE, "record %s: column \"%s\" is missing", d->name, d->fields[i].name);
    else
      rc = check_type(d, &d->fields[i], schema->children[cols[i]], opts, err);
  }
  records_private_t *p = out->private_data;
  size_t n = (size_t)batch->length;
  if (!rc && !p) {
    p = calloc(1, sizeof(*p));
    if (!p) rc = prestige_error_set(err, PRESTIGE_ENOMEM, "record %s: out of memory", d->name);
    else {
      p->cap = out->n; /* items supplied by an earlier call are owned as well */
      out->private_data = p;
    }
  }
  if (!rc && out->n + n > p->cap) {
    size_t cap = p->cap ? p->cap : 1024;
    while (cap < out->n + n) cap *= 2;
    void *items = realloc(out->items, cap * d->size);
    if (!items) rc = prestige_error_set(err, PRESTIGE_ENOMEM, "record %s: out of memory for %zu records", d->name, cap);
    else {
      out->items = items;
      p->cap = cap;
    }
  }
  if (!rc) {
    uint8_t *items = (uint8_t *)out->items + out->n * d->size;
    memset(items, 0, n * d->size);
    for (size_t i = 0; i < d->n_fields && !rc; i++) {
      const struct ArrowArray *a = batch->children[cols[i]];
      /* A struct-level offset shifts every child. */
      struct ArrowArray view = *a;
      view.offset += batch->offset;
      rc = fill_field(d, &d->fields[i], schema->children[cols[i]], &view, items, n, &p->arena, err);
    }
    if (!rc) out->n += n;
  }
  if (cols != col) free(cols);
  return rc;
}

/* ---- stream over structs ----------------------------------------------------------------- */
typedef struct record_stream {
  const prestige_record_desc_t *desc;
  const uint8_t *records;
  size_t n, next, batch_rows;
} record_stream_t;

static int rs_get_schema(void *state, struct ArrowSchema *out, prestige_error_t *err) {
  record_stream_t *r = state;
  return prestige_record_schema(r->desc, out, err);
}

static int rs_get_next(void *state, struct ArrowArray *out, prestige_error_t *err) {
  record_stream_t *r = state;
  if (r->next >= r->n) return 0;
  size_t k = r->n - r->next < r->batch_rows ? r->n - r->next : r->batch_rows;
  PRESTIGE_TRY(prestige_record_to_arrow(r->desc, r->records + r->next * r->desc->size, k, out, err));
  r->next += k;
  return 0;
}

static const arrow_stream_ops_t record_stream_ops = {rs_get_schema, rs_get_next, free};

int prestige_record_stream(const prestige_record_desc_t *d, const void *records, size_t n, size_t batch_rows,
                           struct ArrowArrayStream *out, prestige_error_t *err) {
  PRESTIGE_TRY(prestige_record_validate(d, err));
  record_stream_t *r = calloc(1, sizeof(*r));
  if (!r) return prestige_error_set(err, PRESTIGE_ENOMEM, "record stream: out of memory");
  r->desc = d;
  r->records = records;
  r->n = n;
  r->batch_rows = batch_rows ? batch_rows : 8192;
  return arrow_stream_make(out, &record_stream_ops, r, err);
}
