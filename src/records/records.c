/* Typed records: descriptor validation, Arrow schema, and struct ↔ Arrow conversion. */
#include "prestige/records.h"
#include "records/copy.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/utf8.h"

/* ---- kinds ---------------------------------------------------------------------------- */
size_t records_kind_size(prestige_field_kind_t k) {
  switch (k) {
    case PRESTIGE_KIND_BOOL: return sizeof(bool);
    case PRESTIGE_KIND_I8: case PRESTIGE_KIND_U8: return 1;
    case PRESTIGE_KIND_I16: case PRESTIGE_KIND_U16: return 2;
    case PRESTIGE_KIND_I32: case PRESTIGE_KIND_U32: case PRESTIGE_KIND_F32: case PRESTIGE_KIND_DATE: return 4;
    case PRESTIGE_KIND_I64: case PRESTIGE_KIND_U64: case PRESTIGE_KIND_F64: case PRESTIGE_KIND_TIMESTAMP: return 8;
    case PRESTIGE_KIND_STRING: return sizeof(prestige_str_t);
    case PRESTIGE_KIND_BYTES: return sizeof(prestige_bytes_t);
    case PRESTIGE_KIND_DECIMAL: return sizeof(prestige_decimal_t);
    case PRESTIGE_KIND_LIST: return sizeof(prestige_list_t);
    case PRESTIGE_KIND_FIXED_BYTES: return 0; /* fixed_len */
  }
  return 0;
}

static const char *kind_name(prestige_field_kind_t k) {
  static const char *const names[] = {"BOOL", "I8", "I16", "I32", "I64", "U8", "U16", "U32", "U64", "F32",
                                      "F64", "STRING", "BYTES", "FIXED_BYTES", "TIMESTAMP", "DATE", "DECIMAL", "LIST"};
  return (unsigned)k < sizeof(names) / sizeof(names[0]) ? names[k] : "?";
}

static bool kind_is_list_element(prestige_field_kind_t k) {
  return k != PRESTIGE_KIND_LIST && k != PRESTIGE_KIND_FIXED_BYTES && k != PRESTIGE_KIND_BYTES &&
         k != PRESTIGE_KIND_DECIMAL && k != PRESTIGE_KIND_TIMESTAMP;
}

/* Arrow format of a scalar kind (not BYTES/FIXED_BYTES/LIST defaults, which are lists). */
static const char *scalar_format(prestige_field_kind_t k) {
  switch (k) {
    case PRESTIGE_KIND_BOOL: return "b";
    case PRESTIGE_KIND_I8: return "c";
    case PRESTIGE_KIND_I16: return "s";
    case PRESTIGE_KIND_I32: return "i";
    case PRESTIGE_KIND_I64: return "l";
    case PRESTIGE_KIND_U8: return "C";
    case PRESTIGE_KIND_U16: return "S";
    case PRESTIGE_KIND_U32: return "I";
    case PRESTIGE_KIND_U64: return "L";
    case PRESTIGE_KIND_F32: return "f";
    case PRESTIGE_KIND_F64: return "g";
    case PRESTIGE_KIND_STRING: return "u";
    case PRESTIGE_KIND_DATE: return "tdD";
    default: return NULL;
  }
}

int prestige_record_validate(const prestige_record_desc_t *d, prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  if (!d || !d->fields || d->n_fields == 0)
    return prestige_error_set(err, PRESTIGE_EINVAL, "record descriptor %s has no fields", d && d->name ? d->name : "?");
  for (size_t i = 0; i < d->n_fields; i++) {
    const prestige_field_desc_t *f = &d->fields[i];
    const char *rn = d->name ? d->name : "record";
    if (!f->name || !f->name[0]) return prestige_error_set(err, PRESTIGE_EINVAL, "%s: field %zu has no name", rn, i);
    for (size_t j = 0; j < i; j++)
      if (strcmp(d->fields[j].name, f->name) == 0)
        return prestige_error_set(err, PRESTIGE_EINVAL, "%s: duplicate field name \"%s\"", rn, f->name);
    if ((unsigned)f->kind > PRESTIGE_KIND_LIST)
      return prestige_error_set(err, PRESTIGE_EINVAL, "%s.%s: unknown kind %d", rn, f->name, (int)f->kind);
    size_t vs = f->kind == PRESTIGE_KIND_FIXED_BYTES ? (size_t)f->fixed_len : records_kind_size(f->kind);
    size_t want = f->optional ? f->value_offset + vs : vs;
    if (f->kind == PRESTIGE_KIND_FIXED_BYTES && f->fixed_len <= 0)
      return prestige_error_set(err, PRESTIGE_EINVAL, "%s.%s: FIXED_BYTES length must be positive", rn, f->name);
    if (f->size < want || f->offset + f->size > d->size)
      return prestige_error_set(err, PRESTIGE_EINVAL, "%s.%s: member of %zu bytes does not hold a %s%s value", rn,
                                f->name, f->size, f->optional ? "OPTIONAL " : "", kind_name(f->kind));
    if ((f->flags & PRESTIGE_AS_BINARY) && f->kind != PRESTIGE_KIND_BYTES && f->kind != PRESTIGE_KIND_FIXED_BYTES)
      return prestige_error_set(err, PRESTIGE_EINVAL, "%s.%s: as_binary applies only to BYTES and FIXED_BYTES, not %s",
                                rn, f->name, kind_name(f->kind));
    if (f->kind == PRESTIGE_KIND_DECIMAL && (f->precision < 1 || f->precision > 38 || f->scale < 0 || f->scale > f->precision))
      return prestige_error_set(err, PRESTIGE_EINVAL, "%s.%s: decimal(%d,%d) needs 1 <= precision <= 38 and 0 <= scale <= precision",
                                rn, f->name, f->precision, f->scale);
    if (f->kind == PRESTIGE_KIND_TIMESTAMP && (unsigned)f->unit > PRESTIGE_TIME_UNIT_NANO)
      return prestige_error_set(err, PRESTIGE_EINVAL, "%s.%s: bad timestamp unit", rn, f->name);
    if (f->kind == PRESTIGE_KIND_LIST && !kind_is_list_element(f->element_kind))
      return prestige_error_set(err, PRESTIGE_EINVAL, "%s.%s: LIST elements must be a scalar kind, not %s", rn,
                                f->name, kind_name(f->element_kind));
    if ((f->partition == PRESTIGE_PARTITION_BUCKET || f->partition == PRESTIGE_PARTITION_TRUNCATE) &&
        f->partition_param <= 0)
      return prestige_error_set(err, PRESTIGE_EINVAL, "%s.%s: %s partition needs a positive parameter", rn, f->name,
                                f->partition == PRESTIGE_PARTITION_BUCKET ? "bucket" : "truncate");
    if ((unsigned)f->partition > PRESTIGE_PARTITION_TRUNCATE)
      return prestige_error_set(err, PRESTIGE_EINVAL, "%s.%s: unknown partition transform", rn, f->name);
    if (f->sort_order < 0)
      return prestige_error_set(err, PRESTIGE_EINVAL, "%s.%s: sort_order must be positive", rn, f->name);
    for (size_t j = 0; j < i && f->sort_order; j++)
      if (d->fields[j].sort_order == f->sort_order)
        return prestige_error_set(err, PRESTIGE_EINVAL, "%s: fields %s and %s share sort_order %d", rn,
                                  d->fields[j].name, f->name, f->sort_order);
  }
  return 0;
}

/* ---- schema ---------------------------------------------------------------------------- */
static const char *transform_name(prestige_partition_transform_t t) {
  static const char *const n[] = {"", "identity", "year", "month", "day", "hour", "bucket", "truncate"};
  return (unsigned)t <= PRESTIGE_PARTITION_TRUNCATE ? n[t] : "";
}

static int set_field_metadata(struct ArrowSchema *s, int id, const prestige_field_desc_t *f, prestige_error_t *err) {
  char idbuf[16], part[64], sort[32];
  prestige_kv_t kv[4];
  int n = 0;
  snprintf(idbuf, sizeof(idbuf), "%d", id);
  kv[n++] = (prestige_kv_t){"PARQUET:field_id", idbuf, -1};
  if (f && f->partition) {
    if (f->partition == PRESTIGE_PARTITION_BUCKET || f->partition == PRESTIGE_PARTITION_TRUNCATE)
      snprintf(part, sizeof(part), "%s[%d]", transform_name(f->partition), f->partition_param);
    else
      snprintf(part, sizeof(part), "%s", transform_name(f->partition));
    kv[n++] = (prestige_kv_t){"prestige:partition", part, -1};
  }
  if (f && f->sort_order) {
    snprintf(sort, sizeof(sort), "%d %s", f->sort_order, f->sort_desc ? "desc" : "asc");
    kv[n++] = (prestige_kv_t){"prestige:sort", sort, -1};
  }
  if (f && (f->flags & PRESTIGE_IDENTIFIER)) kv[n++] = (prestige_kv_t){"prestige:identifier", "true", -1};
  return prestige_schema_set_metadata(s, kv, n, err);
}

static void timestamp_format(char *out, size_t n, prestige_time_unit_t u, const char *tz) {
  static const char units[] = "smun";
  snprintf(out, n, "ts%c:%s", units[u], tz ? tz : "");
}

/* Initialises one field schema; next_id hands out ids to list elements. */
static int field_schema(struct ArrowSchema *s, const prestige_field_desc_t *f, int id, int *next_id,
                        prestige_error_t *err) {
  int64_t flags = f->optional ? ARROW_FLAG_NULLABLE : 0;
  char fmt[96];
  const char *child_fmt = NULL;
  switch (f->kind) {
    case PRESTIGE_KIND_BYTES:
      if (f->flags & PRESTIGE_AS_BINARY) snprintf(fmt, sizeof(fmt), "z");
      else snprintf(fmt, sizeof(fmt), "+l"), child_fmt = "C";
      break;
    case PRESTIGE_KIND_FIXED_BYTES:
      if (f->flags & PRESTIGE_AS_BINARY) snprintf(fmt, sizeof(fmt), "w:%d", f->fixed_len);
      else snprintf(fmt, sizeof(fmt), "+l"), child_fmt = "C";
      break;
    case PRESTIGE_KIND_TIMESTAMP: timestamp_format(fmt, sizeof(fmt), f->unit, f->timezone); break;
    case PRESTIGE_KIND_DECIMAL: snprintf(fmt, sizeof(fmt), "d:%d,%d", f->precision, f->scale); break;
    case PRESTIGE_KIND_LIST:
      snprintf(fmt, sizeof(fmt), "+l");
      child_fmt = scalar_format(f->element_kind);
      break;
    default: snprintf(fmt, sizeof(fmt), "%s", scalar_format(f->kind)); break;
  }
  PRESTIGE_TRY(prestige_schema_init(s, fmt, f->name, flags, err));
  PRESTIGE_TRY(set_field_metadata(s, id, f, err));
  if (child_fmt) {
    PRESTIGE_TRY(prestige_schema_allocate_children(s, 1, err));
    PRESTIGE_TRY(prestige_schema_init(s->children[0], child_fmt, "item", 0, err));
    PRESTIGE_TRY(set_field_metadata(s->children[0], (*next_id)++, NULL, err));
  }
  return 0;
}

int prestige_record_schema(const prestige_record_desc_t *d, struct ArrowSchema *out, prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  PRESTIGE_TRY(prestige_record_validate(d, err));
  int rc = prestige_schema_init(out, "+s", "", 0, err);
  if (rc) return rc;
  prestige_kv_t kv[2];
  int n = 0;
  kv[n++] = (prestige_kv_t){"prestige:table", d->table ? d->table : d->name, -1};
  if (d->namespace_) kv[n++] = (prestige_kv_t){"prestige:namespace", d->namespace_, -1};
  if ((rc = prestige_schema_set_metadata(out, kv, n, err))) goto fail;
  if ((rc = prestige_schema_allocate_children(out, (int64_t)d->n_fields, err))) goto fail;
  int next_id = (int)d->n_fields + 1;
  for (size_t i = 0; i < d->n_fields; i++)
    if ((rc = field_schema(out->children[i], &d->fields[i], (int)i + 1, &next_id, err))) goto fail;
  return 0;
fail:
  prestige_schema_release(out);
  return rc;
}

/* ---- structs → Arrow --------------------------------------------------------------------- */
typedef struct rec_cursor {
  const uint8_t *base;
  size_t stride;
  bool check_utf8; /* STRING values are validated as they are copied */
} rec_cursor_t;

static inline const uint8_t *member(const rec_cursor_t *c, const prestige_field_desc_t *f, size_t i) {
  return c->base + i * c->stride + f->offset;
}
static inline bool present(const rec_cursor_t *c, const prestige_field_desc_t *f, size_t i) {
  return !f->optional || *(const bool *)member(c, f, i);
}
static inline const uint8_t *value_ptr(const rec_cursor_t *c, const prestige_field_desc_t *f, size_t i) {
  return member(c, f, i) + (f->optional ? f->value_offset : 0);
}

static int oom(prestige_error_t *err, const char *what) {
  return prestige_error_set(err, PRESTIGE_ENOMEM, "converting records to Arrow: out of memory (%s)", what);
}

/* Validity bitmap for optional fields; NULL buffer when every value is present. */
static int build_validity(struct ArrowArray *a, const rec_cursor_t *c, const prestige_field_desc_t *f, size_t n,
                          prestige_error_t *err) {
  a->null_count = 0;
  if (!f->optional) return 0;
  uint8_t *bits = prestige_buffer_alloc((int64_t)((n + 7) / 8));
  if (!bits) return oom(err, "validity");
  memset(bits, 0, (n + 7) / 8);
  int64_t nulls = 0;
  for (size_t i = 0; i < n; i++) {
    if (present(c, f, i)) bits[i >> 3] |= (uint8_t)(1u << (i & 7));
    else nulls++;
  }
  a->null_count = nulls;
  if (nulls) prestige_array_set_buffer(a, 0, bits);
  else free(bits);
  return 0;
}

/* Binary-like payload (string/bytes/fixed bytes) of record i. */
static void payload(const rec_cursor_t *c, const prestige_field_desc_t *f, size_t i, const uint8_t **p, size_t *len) {
  if (!present(c, f, i)) {
    *p = NULL;
    *len = 0;
    return;
  }
  const uint8_t *v = value_ptr(c, f, i);
  if (f->kind == PRESTIGE_KIND_FIXED_BYTES) {
    *p = v;
    *len = (size_t)f->fixed_len;
  } else { /* prestige_str_t and prestige_bytes_t share a layout */
    const prestige_bytes_t *b = (const prestige_bytes_t *)v;
    *p = b->ptr;
    *len = b->ptr ? b->len : 0;
  }
}

/* offsets + data buffers for string/binary arrays, or offsets + uint8 child for list<uint8>. */
static int build_varbinary(struct ArrowArray *a, const rec_cursor_t *c, const prestige_field_desc_t *f, size_t n,
                           bool as_list, prestige_error_t *err) {
  size_t total = 0;
  for (size_t i = 0; i < n; i++) {
    const uint8_t *p;
    size_t len;
    payload(c, f, i, &p, &len);
    total += len;
  }
  if (total > INT32_MAX)
    return prestige_error_set(err, PRESTIGE_EINVAL, "field %s: %zu bytes in one batch exceed 2 GiB; use smaller batches",
                              f->name, total);
  int32_t *offsets = prestige_buffer_alloc((int64_t)(n + 1) * 4);
  uint8_t *data = prestige_buffer_alloc((int64_t)total);
  if (!offsets || !data) {
    free(offsets);
    free(data);
    return oom(err, f->name);
  }
  size_t pos = 0;
  offsets[0] = 0;
  bool check = c->check_utf8 && f->kind == PRESTIGE_KIND_STRING && !as_list;
  for (size_t i = 0; i < n; i++) {
    const uint8_t *p;
    size_t len;
    payload(c, f, i, &p, &len);
    size_t at;
    if (check && (at = utf8_check(p, len)) != len) {
      free(offsets);
      free(data);
      return prestige_error_set(err, PRESTIGE_ECORRUPT, "record %zu, field %s: invalid UTF-8 at byte %zu of the string", i,
                                f->name, at + 1);
    }
    if (len) memcpy(data + pos, p, len);
    pos += len;
    offsets[i + 1] = (int32_t)pos;
  }
  prestige_array_set_buffer(a, 1, offsets);
  if (!as_list) {
    prestige_array_set_buffer(a, 2, data);
    return 0;
  }
  struct ArrowArray *child = a->children[0];
  int rc = prestige_array_init(child, 2, 0, err);
  if (rc) {
    free(data);
    return rc;
  }
  child->length = (int64_t)total;
  prestige_array_set_buffer(child, 1, data);
  return 0;
}

/* Fixed-width values copied out of the structs (absent values are zero). */
static int build_fixed(struct ArrowArray *a, const rec_cursor_t *c, const prestige_field_desc_t *f, size_t n,
                       size_t width, prestige_error_t *err) {
  uint8_t *data = prestige_buffer_alloc((int64_t)(n * width));
  if (!data) return oom(err, f->name);
  if (!f->optional) {
    for (size_t i = 0; i < n; i++) memcpy(data + i * width, value_ptr(c, f, i), width);
  } else {
    for (size_t i = 0; i < n; i++) {
      if (present(c, f, i)) memcpy(data + i * width, value_ptr(c, f, i), width);
      else memset(data + i * width, 0, width);
    }
  }
  prestige_array_set_buffer(a, 1, data);
  return 0;
}

static int build_bool(struct ArrowArray *a, const rec_cursor_t *c, const prestige_field_desc_t *f, size_t n,
                      prestige_error_t *err) {
  uint8_t *bits = prestige_buffer_alloc((int64_t)((n + 7) / 8));
  if (!bits) return oom(err, f->name);
  memset(bits, 0, (n + 7) / 8);
  for (size_t i = 0; i < n; i++)
    if (present(c, f, i) && *(const bool *)value_ptr(c, f, i)) bits[i >> 3] |= (uint8_t)(1u << (i & 7));
  prestige_array_set_buffer(a, 1, bits);
  return 0;
}

/* list<scalar>: offsets, then the child built from the concatenated element arrays. */
static int build_list(struct ArrowArray *a, const rec_cursor_t *c, const prestige_field_desc_t *f, size_t n,
                      prestige_error_t *err) {
  size_t total = 0;
  for (size_t i = 0; i < n; i++)
    if (present(c, f, i)) total += ((const prestige_list_t *)value_ptr(c, f, i))->len;
  if (total > INT32_MAX) return prestige_error_set(err, PRESTIGE_EINVAL, "field %s: too many list elements", f->name);
  int32_t *offsets = prestige_buffer_alloc((int64_t)(n + 1) * 4);
  if (!offsets) return oom(err, f->name);
  offsets[0] = 0;
  size_t pos = 0;
  for (size_t i = 0; i < n; i++) {
    if (present(c, f, i)) pos += ((const prestige_list_t *)value_ptr(c, f, i))->len;
    offsets[i + 1] = (int32_t)pos;
  }
  prestige_array_set_buffer(a, 1, offsets);
  /* Gather the elements into one contiguous array of element structs, then reuse the scalar
   * builders with a synthetic descriptor over it. */
  size_t es = records_kind_size(f->element_kind);
  uint8_t *elems = malloc(total ? total * es : 1);
  if (!elems) return oom(err, f->name);
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    if (!present(c, f, i)) continue;
    const prestige_list_t *l = (const prestige_list_t *)value_ptr(c, f, i);
    if (l->len) memcpy(elems + k * es, l->items, l->len * es);
    k += l->len;
  }
  if (c->check_utf8 && f->element_kind == PRESTIGE_KIND_STRING) {
    for (size_t i = 0; i < n; i++) {
      if (!present(c, f, i)) continue;
      const prestige_list_t *l = (const prestige_list_t *)value_ptr(c, f, i);
      const prestige_str_t *items = l->items;
      for (size_t e = 0; e < l->len; e++) {
        size_t len = items[e].ptr ? items[e].len : 0, at;
        if ((at = utf8_check((const uint8_t *)items[e].ptr, len)) != len) {
          free(elems);
          return prestige_error_set(err, PRESTIGE_ECORRUPT,
                                    "record %zu, field %s, element %zu: invalid UTF-8 at byte %zu of the string", i, f->name, e,
                                    at + 1);
        }
      }
    }
  }
  prestige_field_desc_t ef = {.name = f->name, .kind = f->element_kind, .size = es};
  rec_cursor_t ec = {elems, es, false};
  struct ArrowArray *child = a->children[0];
  int nb = f->element_kind == PRESTIGE_KIND_STRING ? 3 : 2;
  int rc = prestige_array_init(child, nb, 0, err);
  if (!rc) {
    child->length = (int64_t)total;
    if (f->element_kind == PRESTIGE_KIND_STRING) rc = build_varbinary(child, &ec, &ef, total, false, err);
    else if (f->element_kind == PRESTIGE_KIND_BOOL) rc = build_bool(child, &ec, &ef, total, err);
    else rc = build_fixed(child, &ec, &ef, total, es, err);
  }
  free(elems);
  return rc;
}

static int build_column(struct ArrowArray *a, const rec_cursor_t *c, const prestige_field_desc_t *f, size_t n,
                        prestige_error_t *err) {
  bool as_binary = (f->flags & PRESTIGE_AS_BINARY) != 0;
  bool is_list = f->kind == PRESTIGE_KIND_LIST ||
                 ((f->kind == PRESTIGE_KIND_BYTES || f->kind == PRESTIGE_KIND_FIXED_BYTES) && !as_binary);
  int n_buffers = is_list ? 2
                  : (f->kind == PRESTIGE_KIND_STRING || f->kind == PRESTIGE_KIND_BYTES) ? 3
                                                                                         : 2;
  PRESTIGE_TRY(prestige_array_init(a, n_buffers, is_list ? 1 : 0, err));
  a->length = (int64_t)n;
  PRESTIGE_TRY(build_validity(a, c, f, n, err));
  switch (f->kind) {
    case PRESTIGE_KIND_BOOL: return build_bool(a, c, f, n, err);
    case PRESTIGE_KIND_STRING: return build_varbinary(a, c, f, n, false, err);
    case PRESTIGE_KIND_BYTES: return build_varbinary(a, c, f, n, !as_binary, err);
    case PRESTIGE_KIND_FIXED_BYTES:
      return as_binary ? build_fixed(a, c, f, n, (size_t)f->fixed_len, err) : build_varbinary(a, c, f, n, true, err);
    case PRESTIGE_KIND_LIST: return build_list(a, c, f, n, err);
    default: return build_fixed(a, c, f, n, records_kind_size(f->kind), err);
  }
}

static int to_arrow(const prestige_record_desc_t *d, const void *records, size_t n, bool check_utf8, struct ArrowArray *out,
                    prestige_error_t *err) {
  PRESTIGE_TRY(prestige_record_validate(d, err));
  if (n && !records) return prestige_error_set(err, PRESTIGE_EINVAL, "records is NULL with n = %zu", n);
  int rc = prestige_array_init(out, 1, (int64_t)d->n_fields, err);
  if (rc) return rc;
  out->length = (int64_t)n;
  rec_cursor_t c = {records, d->size, check_utf8};
  for (size_t i = 0; i < d->n_fields; i++) {
    if ((rc = build_column(out->children[i], &c, &d->fields[i], n, err))) {
      prestige_error_prefix(err, "record %s, field %s", d->name, d->fields[i].name);
      prestige_array_release(out);
      return rc;
    }
  }
  return 0;
}

int prestige_record_to_arrow(const prestige_record_desc_t *d, const void *records, size_t n, struct ArrowArray *out,
                             prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  return to_arrow(d, records, n, true, out, err);
}

int records_to_arrow_prechecked(const prestige_record_desc_t *d, const void *records, size_t n, struct ArrowArray *out,
                             prestige_error_t *err) {
  return to_arrow(d, records, n, false, out, err);
}
