/* Values of table columns out of record batches (see arrow_value.h). */
#include "iceberg/arrow_value.h"

#include <string.h>

static bool find(const ice_type_t *t, int32_t id, ice_col_path_t *p, int32_t depth) {
  for (size_t i = 0; i < t->n_fields; i++) {
    const ice_field_t *f = &t->fields[i];
    p->idx[depth] = (int32_t)i;
    if (f->id == id) {
      p->depth = depth + 1;
      p->type = f->type;
      return true;
    }
    if (f->type->id == ICE_STRUCT && depth + 1 < ICE_COL_PATH_MAX && find(f->type, id, p, depth + 1)) return true;
  }
  return false;
}

int ice_col_path_find(const ice_schema_t *s, int32_t field_id, ice_col_path_t *out, prestige_error_t *err) {
  memset(out, 0, sizeof(*out));
  out->field_id = field_id;
  if (!find(s->type, field_id, out, 0))
    return prestige_error_set(err, PRESTIGE_EINVAL, "column id %d is not in the schema outside lists and maps", field_id);
  return 0;
}

static inline bool valid(const struct ArrowArray *a, int64_t phys) {
  const uint8_t *v = a->n_buffers > 0 ? a->buffers[0] : NULL;
  return !v || ((v[phys >> 3] >> (phys & 7)) & 1);
}

void ice_col_value(const ice_col_path_t *p, const struct ArrowArray *batch, int64_t row, ice_value_t *out) {
  memset(out, 0, sizeof(*out));
  const struct ArrowArray *a = batch;
  int64_t phys = batch->offset + row;
  for (int32_t d = 0; d < p->depth; d++) {
    if (d > 0 && !valid(a, phys)) { /* a null struct makes its fields null */
      out->is_null = true;
      return;
    }
    a = a->children[p->idx[d]];
    phys += a->offset;
  }
  if (!valid(a, phys)) {
    out->is_null = true;
    return;
  }
  const void *d = a->n_buffers > 1 ? a->buffers[1] : NULL;
  switch (p->type->id) {
    case ICE_BOOLEAN: out->v.b = (((const uint8_t *)d)[phys >> 3] >> (phys & 7)) & 1; break;
    case ICE_INT:
    case ICE_DATE: out->v.i32 = ((const int32_t *)d)[phys]; break;
    case ICE_LONG:
    case ICE_TIME:
    case ICE_TIMESTAMP:
    case ICE_TIMESTAMPTZ:
    case ICE_TIMESTAMP_NS:
    case ICE_TIMESTAMPTZ_NS: out->v.i64 = ((const int64_t *)d)[phys]; break;
    case ICE_FLOAT: out->v.f32 = ((const float *)d)[phys]; break;
    case ICE_DOUBLE: out->v.f64 = ((const double *)d)[phys]; break;
    case ICE_DECIMAL: memcpy(&out->dec, (const uint8_t *)d + phys * 16, 16); break;
    case ICE_UUID: memcpy(out->v.uuid, (const uint8_t *)d + phys * 16, 16); break;
    case ICE_FIXED:
      out->ptr = (const uint8_t *)d + phys * p->type->length;
      out->len = (size_t)p->type->length;
      break;
    case ICE_STRING:
    case ICE_BINARY: {
      const int32_t *o = d;
      out->ptr = (const uint8_t *)a->buffers[2] + o[phys];
      out->len = (size_t)(o[phys + 1] - o[phys]);
      break;
    }
    default: out->is_null = true; break;
  }
}
