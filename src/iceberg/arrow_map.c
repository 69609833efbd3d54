/* Arrow ⇄ Iceberg type mapping and record descriptors as Iceberg tables: see arrow_map.h. */
#include "arrow/field_id.h"
#include "iceberg/arrow_map.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- Iceberg → Arrow ----------------------------------------------------------------------------- */
static int set_id(struct ArrowSchema *a, int32_t id, bool uuid, prestige_error_t *err) {
  char buf[16];
  snprintf(buf, sizeof buf, "%d", id);
  prestige_kv_t kv[3] = {{"PARQUET:field_id", buf, -1}, {"ARROW:extension:name", "arrow.uuid", -1},
                         {"ARROW:extension:metadata", "", 0}};
  return prestige_schema_set_metadata(a, kv, uuid ? 3 : 1, err);
}

static int type_to_arrow(const ice_type_t *t, const char *name, int32_t id, bool nullable, struct ArrowSchema *a,
                         prestige_error_t *err) {
  char fmt[32];
  int64_t flags = nullable ? ARROW_FLAG_NULLABLE : 0;
  switch (t->id) {
    case ICE_BOOLEAN: strcpy(fmt, "b"); break;
    case ICE_INT: strcpy(fmt, "i"); break;
    case ICE_LONG: strcpy(fmt, "l"); break;
    case ICE_FLOAT: strcpy(fmt, "f"); break;
    case ICE_DOUBLE: strcpy(fmt, "g"); break;
    case ICE_DECIMAL: snprintf(fmt, sizeof fmt, "d:%d,%d", t->precision, t->scale); break;
    case ICE_DATE: strcpy(fmt, "tdD"); break;
    case ICE_TIME: strcpy(fmt, "ttu"); break;
    case ICE_TIMESTAMP: strcpy(fmt, "tsu:"); break;
    case ICE_TIMESTAMPTZ: strcpy(fmt, "tsu:UTC"); break;
    case ICE_TIMESTAMP_NS: strcpy(fmt, "tsn:"); break;
    case ICE_TIMESTAMPTZ_NS: strcpy(fmt, "tsn:UTC"); break;
    case ICE_STRING: strcpy(fmt, "u"); break;
    case ICE_UUID: strcpy(fmt, "w:16"); break;
    case ICE_FIXED: snprintf(fmt, sizeof fmt, "w:%d", t->length); break;
    case ICE_BINARY: strcpy(fmt, "z"); break;
    case ICE_STRUCT: strcpy(fmt, "+s"); break;
    case ICE_LIST: strcpy(fmt, "+l"); break;
    case ICE_MAP: strcpy(fmt, "+m"); break;
  }
  PRESTIGE_TRY(prestige_schema_init(a, fmt, name, flags, err));
  if (id >= 0) PRESTIGE_TRY(set_id(a, id, t->id == ICE_UUID, err));
  if (t->id == ICE_STRUCT || t->id == ICE_LIST) {
    PRESTIGE_TRY(prestige_schema_allocate_children(a, (int64_t)t->n_fields, err));
    for (size_t i = 0; i < t->n_fields; i++) {
      const ice_field_t *f = &t->fields[i];
      PRESTIGE_TRY(type_to_arrow(f->type, f->name, f->id, !f->required, a->children[i], err));
    }
  } else if (t->id == ICE_MAP) {
    PRESTIGE_TRY(prestige_schema_allocate_children(a, 1, err));
    struct ArrowSchema *e = a->children[0];
    PRESTIGE_TRY(prestige_schema_init(e, "+s", "entries", 0, err));
    PRESTIGE_TRY(prestige_schema_allocate_children(e, 2, err));
    for (int i = 0; i < 2; i++) {
      const ice_field_t *f = &t->fields[i];
      PRESTIGE_TRY(type_to_arrow(f->type, f->name, f->id, i == 1 && !f->required, e->children[i], err));
    }
  }
  return 0;
}

int ice_type_to_arrow(const ice_field_t *f, struct ArrowSchema *out, prestige_error_t *err) {
  memset(out, 0, sizeof(*out));
  int rc = type_to_arrow(f->type, f->name, f->id, !f->required, out, err);
  if (rc) prestige_schema_release(out);
  return rc;
}

int ice_schema_to_arrow(const ice_schema_t *s, struct ArrowSchema *out, prestige_error_t *err) {
  memset(out, 0, sizeof(*out));
  int rc = type_to_arrow(s->type, "", -1, false, out, err);
  if (rc) prestige_schema_release(out);
  return rc;
}

/* ---- Arrow → Iceberg ----------------------------------------------------------------------------- */
typedef struct from_ctx {
  const ice_arrow_options_t *opts;
  bool all_ids; /* every field carried PARQUET:field_id */
  int32_t tmp_id; /* provisional ids (negative, unique) until fresh ones are assigned */
  prestige_error_t *err;
} from_ctx_t;

static bool is_uuid_ext(const struct ArrowSchema *a) {
  const char *v;
  int32_t n;
  return prestige_metadata_get(a->metadata, "ARROW:extension:name", &v, &n) && n == 10 && !memcmp(v, "arrow.uuid", 10);
}

static int from_arrow(from_ctx_t *c, const struct ArrowSchema *a, const char *path, int depth, ice_type_t **out);

static int fill_field(from_ctx_t *c, ice_field_t *f, const struct ArrowSchema *a, const char *name, bool required,
                      const char *parent, int depth) {
  char path[512];
  snprintf(path, sizeof path, "%s%s%s", parent && *parent ? parent : "", parent && *parent ? "." : "", name);
  f->id = arrow_field_id(a);
  if (f->id < 0) {
    c->all_ids = false;
    f->id = --c->tmp_id;
  }
  f->required = required;
  if (!(f->name = strdup(name))) return prestige_error_set(c->err, PRESTIGE_ENOMEM, "out of memory");
  return from_arrow(c, a, path, depth + 1, &f->type);
}

static int from_arrow(from_ctx_t *c, const struct ArrowSchema *a, const char *path, int depth, ice_type_t **out) {
  prestige_arrow_type_info_t ti;
  const ice_arrow_options_t *o = c->opts;
  if (depth > 64) return prestige_error_set(c->err, PRESTIGE_EUNSUPPORTED, "column \"%s\": nested too deeply", path);
  PRESTIGE_TRY(prestige_arrow_schema_type(a, &ti, c->err));
  if (ti.type == PRESTIGE_ARROW_DICTIONARY) return from_arrow(c, a->dictionary, path, depth + 1, out);
  ice_type_t *t = calloc(1, sizeof(*t));
  if (!t) return prestige_error_set(c->err, PRESTIGE_ENOMEM, "out of memory");
  int rc = 0;
  const char *why = NULL;
  switch (ti.type) {
    case PRESTIGE_ARROW_BOOL: t->id = ICE_BOOLEAN; break;
    case PRESTIGE_ARROW_INT8: case PRESTIGE_ARROW_INT16: case PRESTIGE_ARROW_INT32:
    case PRESTIGE_ARROW_UINT8: case PRESTIGE_ARROW_UINT16: t->id = ICE_INT; break;
    case PRESTIGE_ARROW_INT64: case PRESTIGE_ARROW_UINT32: t->id = ICE_LONG; break;
    case PRESTIGE_ARROW_UINT64:
      if (o->uint64 == ICE_UINT64_AS_LONG) t->id = ICE_LONG;
      else if (o->uint64 == ICE_UINT64_AS_DECIMAL) *t = ice_type_prim(ICE_DECIMAL, 20, 0);
      else why = "uint64 has no Iceberg type (cast to int64, or map it to long or decimal(20, 0))";
      break;
    case PRESTIGE_ARROW_HALF_FLOAT: case PRESTIGE_ARROW_FLOAT: t->id = ICE_FLOAT; break;
    case PRESTIGE_ARROW_DOUBLE: t->id = ICE_DOUBLE; break;
    case PRESTIGE_ARROW_STRING: case PRESTIGE_ARROW_LARGE_STRING: t->id = ICE_STRING; break;
    case PRESTIGE_ARROW_BINARY: case PRESTIGE_ARROW_LARGE_BINARY: t->id = ICE_BINARY; break;
    case PRESTIGE_ARROW_FIXED_SIZE_BINARY:
      if (ti.fixed_size == 16 && is_uuid_ext(a)) t->id = ICE_UUID;
      else *t = ice_type_prim(ICE_FIXED, ti.fixed_size, 0);
      break;
    case PRESTIGE_ARROW_DECIMAL128: case PRESTIGE_ARROW_DECIMAL256:
      if (ti.precision < 1 || ti.precision > 38 || ti.scale < 0 || ti.scale > ti.precision)
        why = "decimal precision must be 1..38 with scale 0..precision";
      else *t = ice_type_prim(ICE_DECIMAL, ti.precision, ti.scale);
      break;
    case PRESTIGE_ARROW_DATE32: case PRESTIGE_ARROW_DATE64: t->id = ICE_DATE; break;
    case PRESTIGE_ARROW_TIME32: t->id = ICE_TIME; break;
    case PRESTIGE_ARROW_TIME64:
      if (ti.unit == PRESTIGE_TIME_UNIT_NANO) why = "time64(ns): Iceberg time has microsecond precision";
      else t->id = ICE_TIME;
      break;
    case PRESTIGE_ARROW_TIMESTAMP: {
      bool tz = ti.timezone && *ti.timezone;
      if (ti.unit == PRESTIGE_TIME_UNIT_NANO) {
        if (o->format_version < 3) why = "nanosecond timestamps need Iceberg format version 3";
        else t->id = tz ? ICE_TIMESTAMPTZ_NS : ICE_TIMESTAMP_NS;
      } else {
        t->id = tz ? ICE_TIMESTAMPTZ : ICE_TIMESTAMP; /* s and ms widen to µs */
      }
      break;
    }
    case PRESTIGE_ARROW_STRUCT: {
      t->id = ICE_STRUCT;
      if (a->n_children && !(t->fields = calloc((size_t)a->n_children, sizeof(ice_field_t)))) goto oom;
      for (int64_t i = 0; i < a->n_children && !rc; i++) {
        const struct ArrowSchema *ch = a->children[i];
        t->n_fields = (size_t)i + 1;
        rc = fill_field(c, &t->fields[i], ch, ch->name ? ch->name : "", !(ch->flags & ARROW_FLAG_NULLABLE), path, depth);
      }
      break;
    }
    case PRESTIGE_ARROW_LIST: case PRESTIGE_ARROW_LARGE_LIST: case PRESTIGE_ARROW_FIXED_SIZE_LIST: {
      t->id = ICE_LIST;
      if (!(t->fields = calloc(1, sizeof(ice_field_t)))) goto oom;
      t->n_fields = 1;
      const struct ArrowSchema *ch = a->children[0];
      rc = fill_field(c, &t->fields[0], ch, "element", !(ch->flags & ARROW_FLAG_NULLABLE), path, depth);
      break;
    }
    case PRESTIGE_ARROW_MAP: {
      t->id = ICE_MAP;
      const struct ArrowSchema *e = a->children[0];
      if (e->n_children != 2) {
        why = "a map needs key and value";
        break;
      }
      if (!(t->fields = calloc(2, sizeof(ice_field_t)))) goto oom;
      t->n_fields = 2;
      rc = fill_field(c, &t->fields[0], e->children[0], "key", true, path, depth);
      if (!rc)
        rc = fill_field(c, &t->fields[1], e->children[1], "value", !(e->children[1]->flags & ARROW_FLAG_NULLABLE), path, depth);
      break;
    }
    default: why = NULL; rc = -1;
  }
  if (rc == -1)
    rc = prestige_error_set(c->err, PRESTIGE_EUNSUPPORTED, "column \"%s\": Arrow type %s has no Iceberg type", path,
                            prestige_arrow_type_name(ti.type));
  else if (!rc && why)
    rc = prestige_error_set(c->err, PRESTIGE_EUNSUPPORTED, "column \"%s\": %s", path, why);
  if (rc) {
    ice_type_free(t);
    return rc;
  }
  *out = t;
  return 0;
oom:
  ice_type_free(t);
  return prestige_error_set(c->err, PRESTIGE_ENOMEM, "out of memory");
}

int ice_schema_from_arrow(const struct ArrowSchema *schema, const ice_arrow_options_t *opts, ice_schema_t **out,
                          prestige_error_t *err) {
  ice_arrow_options_t dflt = ICE_ARROW_OPTIONS_INIT;
  from_ctx_t c = {opts ? opts : &dflt, true, 0, err};
  if (!schema || !schema->format || strcmp(schema->format, "+s"))
    return prestige_error_set(err, PRESTIGE_EINVAL, "an Iceberg schema comes from an Arrow struct schema (a record batch schema)");
  ice_type_t *t = NULL;
  PRESTIGE_TRY(from_arrow(&c, schema, "", 0, &t));
  ice_schema_t *s = NULL;
  int rc0 = ice_schema_new(0, t, NULL, 0, &s, err);
  if (rc0) return rc0 == PRESTIGE_ECORRUPT ? (err ? (err->code = PRESTIGE_EINVAL) : PRESTIGE_EINVAL) : rc0;
  if (c.all_ids) {
    *out = s;
    return 0;
  }
  int32_t last = 0;
  ice_schema_t *fresh = NULL;
  int rc = ice_schema_assign_fresh_ids(s, 0, &last, &fresh, err);
  ice_schema_free(s);
  if (rc) return rc;
  *out = fresh;
  return 0;
}

/* ---- record descriptors ---------------------------------------------------------------------------- */
static const char *part_suffix(prestige_partition_transform_t p) {
  switch (p) {
    case PRESTIGE_PARTITION_YEAR: return "_year";
    case PRESTIGE_PARTITION_MONTH: return "_month";
    case PRESTIGE_PARTITION_DAY: return "_day";
    case PRESTIGE_PARTITION_HOUR: return "_hour";
    case PRESTIGE_PARTITION_BUCKET: return "_bucket";
    case PRESTIGE_PARTITION_TRUNCATE: return "_trunc";
    default: return "";
  }
}

int ice_schema_from_record(const prestige_record_desc_t *desc, int format_version, ice_schema_t **schema,
                           ice_partition_spec_t **spec, ice_sort_order_t **order, prestige_error_t *err) {
  *schema = NULL;
  *spec = NULL;
  *order = NULL;
  struct ArrowSchema a;
  PRESTIGE_TRY(prestige_record_schema(desc, &a, err));
  ice_arrow_options_t o = {format_version, ICE_UINT64_AS_LONG};
  ice_schema_t *s = NULL;
  ice_partition_spec_t *sp = NULL;
  ice_sort_order_t *so = NULL;
  int rc = ice_schema_from_arrow(&a, &o, &s, err);
  prestige_schema_release(&a);
  if (rc) return prestige_error_prefix(err, "record %s", desc->name);
  /* identifier fields */
  size_t n_ids = 0;
  for (size_t i = 0; i < desc->n_fields; i++) n_ids += (desc->fields[i].flags & PRESTIGE_IDENTIFIER) != 0;
  if (n_ids) {
    if (!(s->identifier_ids = malloc(n_ids * sizeof(int32_t)))) goto oom;
    for (size_t i = 0; i < desc->n_fields; i++)
      if (desc->fields[i].flags & PRESTIGE_IDENTIFIER)
        s->identifier_ids[s->n_identifier_ids++] = ice_schema_find_name(s, desc->fields[i].name)->id;
    if ((rc = ice_schema_check_identifiers(s, err))) {
      rc = prestige_error_set(err, PRESTIGE_EINVAL, "record %s: %s", desc->name, err ? err->message : "bad identifier fields");
      goto fail;
    }
  }
  if ((rc = ice_partition_spec_new(0, &sp, err))) goto fail;
  for (size_t i = 0; i < desc->n_fields; i++) {
    const prestige_field_desc_t *f = &desc->fields[i];
    if (f->partition == PRESTIGE_PARTITION_NONE) continue;
    ice_transform_t t;
    char name[256];
    snprintf(name, sizeof name, "%s%s", f->name, part_suffix(f->partition));
    if ((rc = ice_transform_from_record(f->partition, f->partition_param, &t, err)) ||
        (rc = ice_partition_spec_add(sp, ice_schema_find_name(s, f->name)->id, -1, name, &t, err)))
      goto fail;
  }
  if ((rc = ice_partition_spec_bind(sp, s, err))) {
    prestige_error_prefix(err, "record %s", desc->name);
    goto fail;
  }
  int32_t max_sort = 0;
  for (size_t i = 0; i < desc->n_fields; i++)
    if (desc->fields[i].sort_order > max_sort) max_sort = desc->fields[i].sort_order;
  if ((rc = ice_sort_order_new(max_sort ? 1 : 0, &so, err))) goto fail;
  for (int32_t k = 1; k <= max_sort; k++)
    for (size_t i = 0; i < desc->n_fields; i++) {
      const prestige_field_desc_t *f = &desc->fields[i];
      if (f->sort_order != k) continue;
      ice_transform_t ident = {.kind = ICE_T_IDENTITY};
      if ((rc = ice_sort_order_add(so, ice_schema_find_name(s, f->name)->id, &ident, f->sort_desc ? ICE_SORT_DESC : ICE_SORT_ASC,
                                   f->sort_desc ? ICE_NULLS_LAST : ICE_NULLS_FIRST, err)))
        goto fail;
    }
  if ((rc = ice_sort_order_bind(so, s, err))) goto fail;
  *schema = s;
  *spec = sp;
  *order = so;
  return 0;
oom:
  rc = prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
fail:
  ice_schema_free(s);
  ice_partition_spec_free(sp);
  ice_sort_order_free(so);
  return rc;
}
