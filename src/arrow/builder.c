/* Schema-driven array builder: values appended one at a time, buffers grown geometrically. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "prestige/arrow.h"

struct prestige_array_builder {
  struct ArrowSchema owned_schema; /* root only: the copy every node points into */
  const struct ArrowSchema *schema;
  prestige_arrow_type_info_t t;
  buf_t validity; /* one bit per slot */
  buf_t values;   /* fixed-width values, bool bits, decimal bytes */
  buf_t offsets;  /* int32 or int64 */
  buf_t data;     /* string/binary bytes */
  int64_t length, null_count;
  int64_t n_children;
  prestige_array_builder_t **children;
};

static bool large_offsets(prestige_arrow_type_t t) {
  return t == PRESTIGE_ARROW_LARGE_STRING || t == PRESTIGE_ARROW_LARGE_BINARY || t == PRESTIGE_ARROW_LARGE_LIST;
}
static bool has_offsets(prestige_arrow_type_t t) {
  switch (t) {
    case PRESTIGE_ARROW_STRING: case PRESTIGE_ARROW_LARGE_STRING: case PRESTIGE_ARROW_BINARY:
    case PRESTIGE_ARROW_LARGE_BINARY: case PRESTIGE_ARROW_LIST: case PRESTIGE_ARROW_LARGE_LIST:
    case PRESTIGE_ARROW_MAP: return true;
    default: return false;
  }
}

static int push_offset(prestige_array_builder_t *b, int64_t v) {
  if (large_offsets(b->t.type)) return buf_append(&b->offsets, &v, 8);
  if (v > INT32_MAX) return PRESTIGE_EINVAL;
  int32_t o = (int32_t)v;
  return buf_append(&b->offsets, &o, 4);
}

static int64_t last_offset(const prestige_array_builder_t *b) {
  if (large_offsets(b->t.type)) {
    int64_t v;
    memcpy(&v, b->offsets.data + b->offsets.len - 8, 8);
    return v;
  }
  int32_t v;
  memcpy(&v, b->offsets.data + b->offsets.len - 4, 4);
  return v;
}

static void builder_free_node(prestige_array_builder_t *b) {
  if (!b) return;
  for (int64_t i = 0; i < b->n_children; i++) builder_free_node(b->children[i]);
  free(b->children);
  buf_release(&b->validity);
  buf_release(&b->values);
  buf_release(&b->offsets);
  buf_release(&b->data);
  prestige_schema_release(&b->owned_schema);
  free(b);
}

static int reset_node(prestige_array_builder_t *b) {
  buf_clear(&b->validity);
  buf_clear(&b->values);
  buf_clear(&b->offsets);
  buf_clear(&b->data);
  b->length = b->null_count = 0;
  if (has_offsets(b->t.type)) return push_offset(b, 0);
  return 0;
}

static int node_new(prestige_array_builder_t **out, const struct ArrowSchema *s, prestige_error_t *err) {
  prestige_array_builder_t *b = calloc(1, sizeof(*b));
  if (!b) return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory creating a builder");
  b->schema = s;
  int rc = prestige_arrow_schema_type(s, &b->t, err);
  if (!rc && b->t.type == PRESTIGE_ARROW_DICTIONARY)
    rc = prestige_error_set(err, PRESTIGE_EUNSUPPORTED, "array builder: dictionary field \"%s\" not supported",
                            s->name ? s->name : "");
  if (!rc && s->n_children > 0) {
    b->children = calloc((size_t)s->n_children, sizeof(*b->children));
    if (!b->children) rc = prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory creating a builder");
    for (int64_t i = 0; !rc && i < s->n_children; i++) {
      rc = node_new(&b->children[i], s->children[i], err);
      if (!rc) b->n_children = i + 1;
    }
  }
  if (!rc && reset_node(b)) rc = prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory creating a builder");
  if (rc) {
    builder_free_node(b);
    return rc;
  }
  *out = b;
  return 0;
}

int prestige_array_builder_new(prestige_array_builder_t **out, const struct ArrowSchema *schema, prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  PRESTIGE_TRY(prestige_schema_validate(schema, err));
  struct ArrowSchema copy;
  PRESTIGE_TRY(prestige_schema_copy(&copy, schema, err));
  prestige_array_builder_t *b;
  int rc = node_new(&b, &copy, err);
  if (rc) {
    prestige_schema_release(&copy);
    return rc;
  }
  prestige_schema_move(&copy, &b->owned_schema);
  /* children point into the moved copy's child pointers, which did not move */
  b->schema = &b->owned_schema;
  *out = b;
  return 0;
}

void prestige_array_builder_free(prestige_array_builder_t *b) { builder_free_node(b); }

prestige_array_builder_t *prestige_array_builder_child(prestige_array_builder_t *b, int64_t i) {
  return b && i >= 0 && i < b->n_children ? b->children[i] : NULL;
}
int64_t prestige_array_builder_length(const prestige_array_builder_t *b) { return b->length; }
const struct ArrowSchema *prestige_array_builder_schema(const prestige_array_builder_t *b) { return b->schema; }

/* ---- bits ----------------------------------------------------------------------------------- */
static int append_bit(buf_t *bits, int64_t index, bool v) {
  if ((index & 7) == 0 && buf_append_u8(bits, 0)) return PRESTIGE_ENOMEM;
  if (v) bits->data[index >> 3] |= (uint8_t)(1u << (index & 7));
  return 0;
}

static int oom(prestige_error_t *err, const prestige_array_builder_t *b) {
  return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory building field \"%s\"", b->schema->name ? b->schema->name : "");
}

static int type_err(prestige_error_t *err, const prestige_array_builder_t *b, const char *what) {
  return prestige_error_set(err, PRESTIGE_ETYPE, "cannot append %s to field \"%s\" of type %s", what,
                            b->schema->name ? b->schema->name : "", prestige_arrow_type_name(b->t.type));
}

/* Marks one slot valid and advances length. */
static int commit_valid(prestige_array_builder_t *b, prestige_error_t *err) {
  if (append_bit(&b->validity, b->length, true)) return oom(err, b);
  b->length++;
  return 0;
}

int prestige_array_builder_append_null(prestige_array_builder_t *b, prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  int rc = 0;
  switch (b->t.type) {
    case PRESTIGE_ARROW_NA: break;
    case PRESTIGE_ARROW_BOOL: rc = append_bit(&b->values, b->length, false); break;
    case PRESTIGE_ARROW_STRING: case PRESTIGE_ARROW_LARGE_STRING: case PRESTIGE_ARROW_BINARY:
    case PRESTIGE_ARROW_LARGE_BINARY: rc = push_offset(b, last_offset(b)); break;
    case PRESTIGE_ARROW_LIST: case PRESTIGE_ARROW_LARGE_LIST: case PRESTIGE_ARROW_MAP:
      rc = push_offset(b, last_offset(b));
      break;
    case PRESTIGE_ARROW_STRUCT:
      for (int64_t i = 0; i < b->n_children; i++) PRESTIGE_TRY(prestige_array_builder_append_null(b->children[i], err));
      break;
    case PRESTIGE_ARROW_FIXED_SIZE_LIST:
      for (int32_t i = 0; i < b->t.fixed_size; i++) PRESTIGE_TRY(prestige_array_builder_append_null(b->children[0], err));
      break;
    default: rc = buf_resize(&b->values, b->values.len + (size_t)b->t.byte_width); break;
  }
  if (rc || append_bit(&b->validity, b->length, false)) return oom(err, b);
  b->length++;
  b->null_count++;
  return 0;
}

static int put_fixed(prestige_array_builder_t *b, const void *v, size_t n, prestige_error_t *err) {
  if (buf_append(&b->values, v, n)) return oom(err, b);
  return commit_valid(b, err);
}

static int range_err(prestige_error_t *err, const prestige_array_builder_t *b, long long v) {
  return prestige_error_set(err, PRESTIGE_EINVAL, "value %lld is out of range for field \"%s\" of type %s", v,
                            b->schema->name ? b->schema->name : "", prestige_arrow_type_name(b->t.type));
}

int prestige_array_builder_append_int(prestige_array_builder_t *b, int64_t v, prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  switch (b->t.type) {
    case PRESTIGE_ARROW_INT8: if (v < INT8_MIN || v > INT8_MAX) return range_err(err, b, v); return put_fixed(b, &(int8_t){(int8_t)v}, 1, err);
    case PRESTIGE_ARROW_INT16: if (v < INT16_MIN || v > INT16_MAX) return range_err(err, b, v); return put_fixed(b, &(int16_t){(int16_t)v}, 2, err);
    case PRESTIGE_ARROW_INT32: case PRESTIGE_ARROW_DATE32: case PRESTIGE_ARROW_TIME32: case PRESTIGE_ARROW_INTERVAL_MONTHS:
      if (v < INT32_MIN || v > INT32_MAX) return range_err(err, b, v);
      return put_fixed(b, &(int32_t){(int32_t)v}, 4, err);
    case PRESTIGE_ARROW_INT64: case PRESTIGE_ARROW_DATE64: case PRESTIGE_ARROW_TIME64: case PRESTIGE_ARROW_TIMESTAMP:
    case PRESTIGE_ARROW_DURATION: return put_fixed(b, &v, 8, err);
    case PRESTIGE_ARROW_UINT8: case PRESTIGE_ARROW_UINT16: case PRESTIGE_ARROW_UINT32: case PRESTIGE_ARROW_UINT64:
      if (v < 0) return range_err(err, b, v);
      return prestige_array_builder_append_uint(b, (uint64_t)v, err);
    case PRESTIGE_ARROW_FLOAT: case PRESTIGE_ARROW_DOUBLE: case PRESTIGE_ARROW_HALF_FLOAT:
      return prestige_array_builder_append_double(b, (double)v, err);
    default: return type_err(err, b, "an integer");
  }
}

int prestige_array_builder_append_uint(prestige_array_builder_t *b, uint64_t v, prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  switch (b->t.type) {
    case PRESTIGE_ARROW_UINT8: if (v > UINT8_MAX) return range_err(err, b, (long long)v); return put_fixed(b, &(uint8_t){(uint8_t)v}, 1, err);
    case PRESTIGE_ARROW_UINT16: if (v > UINT16_MAX) return range_err(err, b, (long long)v); return put_fixed(b, &(uint16_t){(uint16_t)v}, 2, err);
    case PRESTIGE_ARROW_UINT32: if (v > UINT32_MAX) return range_err(err, b, (long long)v); return put_fixed(b, &(uint32_t){(uint32_t)v}, 4, err);
    case PRESTIGE_ARROW_UINT64: return put_fixed(b, &v, 8, err);
    default:
      if (v > INT64_MAX) return range_err(err, b, -1);
      return prestige_array_builder_append_int(b, (int64_t)v, err);
  }
}

static uint16_t float_to_half(float f) {
  uint32_t x;
  memcpy(&x, &f, 4);
  uint32_t sign = (x >> 16) & 0x8000, exp = (x >> 23) & 0xff, mant = x & 0x7fffff;
  if (exp == 0xff) return (uint16_t)(sign | 0x7c00 | (mant ? 0x200 : 0));
  int e = (int)exp - 127 + 15;
  if (e >= 31) return (uint16_t)(sign | 0x7c00);
  if (e <= 0) {
    if (e < -10) return (uint16_t)sign;
    mant |= 0x800000;
    uint32_t shift = (uint32_t)(14 - e);
    uint32_t h = mant >> shift;
    if ((mant >> (shift - 1)) & 1) h++;
    return (uint16_t)(sign | h);
  }
  uint32_t h = sign | ((uint32_t)e << 10) | (mant >> 13);
  if (mant & 0x1000) h++; /* round half up; carries into the exponent correctly */
  return (uint16_t)h;
}

int prestige_array_builder_append_double(prestige_array_builder_t *b, double v, prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  switch (b->t.type) {
    case PRESTIGE_ARROW_FLOAT: return put_fixed(b, &(float){(float)v}, 4, err);
    case PRESTIGE_ARROW_DOUBLE: return put_fixed(b, &v, 8, err);
    case PRESTIGE_ARROW_HALF_FLOAT: return put_fixed(b, &(uint16_t){float_to_half((float)v)}, 2, err);
    default: return type_err(err, b, "a floating-point number");
  }
}

int prestige_array_builder_append_bool(prestige_array_builder_t *b, bool v, prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  if (b->t.type != PRESTIGE_ARROW_BOOL) return type_err(err, b, "a boolean");
  if (append_bit(&b->values, b->length, v)) return oom(err, b);
  return commit_valid(b, err);
}

int prestige_array_builder_append_bytes(prestige_array_builder_t *b, const void *data, int64_t len, prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  if (len < 0) return prestige_error_set(err, PRESTIGE_EINVAL, "negative length");
  switch (b->t.type) {
    case PRESTIGE_ARROW_STRING: case PRESTIGE_ARROW_LARGE_STRING: case PRESTIGE_ARROW_BINARY:
    case PRESTIGE_ARROW_LARGE_BINARY:
      if (buf_append(&b->data, data, (size_t)len)) return oom(err, b);
      if (push_offset(b, (int64_t)b->data.len))
        return prestige_error_set(err, PRESTIGE_EINVAL, "field \"%s\": more than 2 GiB of data in one array; use a large type or smaller batches",
                                  b->schema->name ? b->schema->name : "");
      return commit_valid(b, err);
    case PRESTIGE_ARROW_FIXED_SIZE_BINARY:
      if (len != b->t.fixed_size)
        return prestige_error_set(err, PRESTIGE_EINVAL, "field \"%s\": %lld bytes given, fixed_size_binary(%d) needs exactly that many",
                                  b->schema->name ? b->schema->name : "", (long long)len, b->t.fixed_size);
      return put_fixed(b, data, (size_t)len, err);
    default: return type_err(err, b, "bytes");
  }
}

int prestige_array_builder_append_interval(prestige_array_builder_t *b, int32_t months, int32_t days, int64_t nanos,
                                           prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  const char *name = b->schema->name ? b->schema->name : "";
  switch (b->t.type) {
    case PRESTIGE_ARROW_INTERVAL_MONTHS:
      if (days || nanos) return prestige_error_set(err, PRESTIGE_EINVAL, "field \"%s\": interval_months holds months only", name);
      return put_fixed(b, &months, 4, err);
    case PRESTIGE_ARROW_INTERVAL_DAY_TIME: {
      if (months || nanos % 1000000 || nanos / 1000000 < INT32_MIN || nanos / 1000000 > INT32_MAX)
        return prestige_error_set(err, PRESTIGE_EINVAL, "field \"%s\": interval_day_time holds days and 32-bit milliseconds "
                                  "(got %d months, %lld ns)", name, months, (long long)nanos);
      int32_t dt[2] = {days, (int32_t)(nanos / 1000000)};
      return put_fixed(b, dt, 8, err);
    }
    case PRESTIGE_ARROW_INTERVAL_MONTH_DAY_NANO: {
      uint8_t v[16];
      memcpy(v, &months, 4);
      memcpy(v + 4, &days, 4);
      memcpy(v + 8, &nanos, 8);
      return put_fixed(b, v, 16, err);
    }
    default: return type_err(err, b, "an interval");
  }
}

int prestige_array_builder_append_decimal(prestige_array_builder_t *b, const uint8_t *le, prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  if (b->t.type != PRESTIGE_ARROW_DECIMAL128 && b->t.type != PRESTIGE_ARROW_DECIMAL256) return type_err(err, b, "a decimal");
  return put_fixed(b, le, (size_t)b->t.byte_width, err);
}

int prestige_array_builder_append_struct(prestige_array_builder_t *b, prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  if (b->t.type != PRESTIGE_ARROW_STRUCT) return type_err(err, b, "a struct row");
  for (int64_t i = 0; i < b->n_children; i++)
    if (b->children[i]->length != b->length + 1)
      return prestige_error_set(err, PRESTIGE_EINVAL, "struct \"%s\": child \"%s\" has %lld values, expected %lld",
                                b->schema->name ? b->schema->name : "", b->children[i]->schema->name,
                                (long long)b->children[i]->length, (long long)(b->length + 1));
  return commit_valid(b, err);
}

int prestige_array_builder_append_list(prestige_array_builder_t *b, prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  switch (b->t.type) {
    case PRESTIGE_ARROW_LIST: case PRESTIGE_ARROW_LARGE_LIST: case PRESTIGE_ARROW_MAP:
      if (push_offset(b, b->children[0]->length)) return prestige_error_set(err, PRESTIGE_EINVAL, "list offsets overflow int32");
      return commit_valid(b, err);
    case PRESTIGE_ARROW_FIXED_SIZE_LIST:
      if (b->children[0]->length != (b->length + 1) * b->t.fixed_size)
        return prestige_error_set(err, PRESTIGE_EINVAL, "fixed_size_list \"%s\" needs %d values per entry",
                                  b->schema->name ? b->schema->name : "", b->t.fixed_size);
      return commit_valid(b, err);
    default: return type_err(err, b, "a list entry");
  }
}

/* ---- finish ---------------------------------------------------------------------------------- */
static void *take(buf_t *b) {
  /* Copy into a 64-byte aligned allocation as the C Data Interface recommends. */
  void *p = prestige_buffer_alloc((int64_t)b->len);
  if (p && b->len) memcpy(p, b->data, b->len);
  return p;
}

static int finish_node(prestige_array_builder_t *b, struct ArrowArray *out, prestige_error_t *err) {
  prestige_arrow_type_t t = b->t.type;
  int64_t nb = prestige_arrow_type_buffer_count(t);
  PRESTIGE_TRY(prestige_array_init(out, nb, b->n_children, err));
  out->length = b->length;
  out->null_count = b->null_count;
  bool fail = false;
  if (nb > 0 && b->null_count > 0) fail |= !(out->buffers[0] = take(&b->validity));
  if (has_offsets(t)) {
    fail |= !(out->buffers[1] = take(&b->offsets));
    if (nb == 3) fail |= !(out->buffers[2] = take(&b->data));
  } else if (nb == 2) {
    fail |= !(out->buffers[1] = take(&b->values));
  }
  if (fail) {
    out->release(out);
    return oom(err, b);
  }
  for (int64_t i = 0; i < b->n_children; i++) {
    int rc = finish_node(b->children[i], out->children[i], err);
    if (rc) {
      out->release(out);
      return rc;
    }
  }
  if (reset_node(b)) {
    out->release(out);
    return oom(err, b);
  }
  return 0;
}

int prestige_array_builder_finish(prestige_array_builder_t *b, struct ArrowArray *out, prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  return finish_node(b, out, err);
}
