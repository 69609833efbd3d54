/* Iceberg partition specs and sort orders: model, binding to a schema, paths, JSON. */
#include "iceberg/partition.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "iceberg/json_util.h"

/* ---- partition specs -------------------------------------------------------------------------- */
int ice_partition_spec_new(int32_t spec_id, ice_partition_spec_t **out, prestige_error_t *err) {
  ice_partition_spec_t *s = calloc(1, sizeof(*s));
  if (!s) return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
  s->spec_id = spec_id;
  *out = s;
  return 0;
}

static int32_t *dup_ids(const int32_t *ids, size_t n) {
  if (!n) return NULL;
  int32_t *d = malloc(n * sizeof(int32_t));
  if (d) memcpy(d, ids, n * sizeof(int32_t));
  return d;
}

static int spec_add(ice_partition_spec_t *spec, int32_t source_id, const int32_t *source_ids, size_t n_source_ids,
                    int32_t field_id, const char *name, const ice_transform_t *t, prestige_error_t *err) {
  ice_partition_field_t *f = realloc(spec->fields, (spec->n_fields + 1) * sizeof(*f));
  if (!f) return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
  spec->fields = f;
  f = &spec->fields[spec->n_fields];
  memset(f, 0, sizeof(*f));
  if (field_id < 0) field_id = ice_partition_spec_last_field_id(spec) + 1;
  f->source_id = source_id;
  f->field_id = field_id;
  f->transform = *t;
  f->name = strdup(name);
  f->source_ids = dup_ids(source_ids, n_source_ids);
  if (!f->name || (n_source_ids && !f->source_ids)) {
    free(f->name);
    free(f->source_ids);
    return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
  }
  f->n_source_ids = n_source_ids;
  spec->n_fields++;
  return 0;
}

int ice_partition_spec_add(ice_partition_spec_t *spec, int32_t source_id, int32_t field_id, const char *name,
                           const ice_transform_t *t, prestige_error_t *err) {
  return spec_add(spec, source_id, NULL, 0, field_id, name, t, err);
}

void ice_partition_spec_free(ice_partition_spec_t *s) {
  if (!s) return;
  for (size_t i = 0; i < s->n_fields; i++) {
    free(s->fields[i].name);
    free(s->fields[i].source_ids);
  }
  free(s->fields);
  free(s);
}

int ice_partition_spec_copy(const ice_partition_spec_t *s, ice_partition_spec_t **out, prestige_error_t *err) {
  ice_partition_spec_t *c = NULL;
  PRESTIGE_TRY(ice_partition_spec_new(s->spec_id, &c, err));
  for (size_t i = 0; i < s->n_fields; i++) {
    const ice_partition_field_t *f = &s->fields[i];
    int rc = spec_add(c, f->source_id, f->source_ids, f->n_source_ids, f->field_id, f->name, &f->transform, err);
    if (rc) {
      ice_partition_spec_free(c);
      return rc;
    }
  }
  *out = c;
  return 0;
}

int32_t ice_partition_spec_last_field_id(const ice_partition_spec_t *s) {
  int32_t m = ICE_PARTITION_DATA_ID_START - 1;
  for (size_t i = 0; i < s->n_fields; i++)
    if (s->fields[i].field_id > m) m = s->fields[i].field_id;
  return m;
}

bool ice_partition_spec_is_unpartitioned(const ice_partition_spec_t *s) {
  for (size_t i = 0; i < s->n_fields; i++)
    if (s->fields[i].transform.kind != ICE_T_VOID) return false;
  return true;
}

bool ice_partition_spec_compatible(const ice_partition_spec_t *a, const ice_partition_spec_t *b) {
  if (a->n_fields != b->n_fields) return false;
  for (size_t i = 0; i < a->n_fields; i++) {
    const ice_partition_field_t *x = &a->fields[i], *y = &b->fields[i];
    if (x->source_id != y->source_id || strcmp(x->name, y->name) || !ice_transform_equal(&x->transform, &y->transform))
      return false;
  }
  return true;
}

bool ice_partition_spec_equal(const ice_partition_spec_t *a, const ice_partition_spec_t *b) {
  if (a->spec_id != b->spec_id || !ice_partition_spec_compatible(a, b)) return false;
  for (size_t i = 0; i < a->n_fields; i++)
    if (a->fields[i].field_id != b->fields[i].field_id) return false;
  return true;
}

int ice_partition_spec_bind(const ice_partition_spec_t *spec, const ice_schema_t *schema, prestige_error_t *err) {
  char tb[64], sb[64];
  for (size_t i = 0; i < spec->n_fields; i++) {
    const ice_partition_field_t *f = &spec->fields[i];
    if (!f->name[0]) return prestige_error_set(err, PRESTIGE_EINVAL, "partition spec %d: field %zu has an empty name", spec->spec_id, i);
    for (size_t j = 0; j < i; j++) {
      if (!strcmp(spec->fields[j].name, f->name))
        return prestige_error_set(err, PRESTIGE_EINVAL, "partition spec %d: two fields are named \"%s\"", spec->spec_id, f->name);
      if (spec->fields[j].field_id == f->field_id)
        return prestige_error_set(err, PRESTIGE_EINVAL, "partition spec %d: fields \"%s\" and \"%s\" share field id %d",
                                  spec->spec_id, spec->fields[j].name, f->name, f->field_id);
    }
    if (f->transform.kind == ICE_T_UNKNOWN || f->n_source_ids > 1) continue; /* readers ignore these */
    const ice_field_t *src = ice_schema_find_id(schema, f->source_id);
    if (!src)
      return prestige_error_set(err, PRESTIGE_EINVAL, "partition spec %d field \"%s\": source column id %d is not in schema %d",
                                spec->spec_id, f->name, f->source_id, schema->schema_id);
    const char *col = ice_schema_field_name(schema, f->source_id);
    if (!ice_type_is_primitive(src->type->id) || !ice_schema_id_outside_collections(schema, f->source_id))
      return prestige_error_set(err, PRESTIGE_ETYPE,
                                "partition spec %d field \"%s\": source column \"%s\" must be a primitive outside lists and maps",
                                spec->spec_id, f->name, col);
    if (!ice_transform_can_apply(&f->transform, src->type))
      return prestige_error_set(err, PRESTIGE_ETYPE, "partition spec %d field \"%s\": transform %s cannot apply to column \"%s\" of type %s",
                                spec->spec_id, f->name, ice_transform_to_string(&f->transform, tb, sizeof tb), col,
                                ice_type_to_string(src->type, sb, sizeof sb));
    /* Java: a partition name may equal a column name only for identity of that column */
    const ice_field_t *same = ice_schema_find_name(schema, f->name);
    if (same && !(f->transform.kind == ICE_T_IDENTITY && same->id == f->source_id) && f->transform.kind != ICE_T_VOID)
      return prestige_error_set(err, PRESTIGE_EINVAL,
                                "partition spec %d field \"%s\": the name is a column name and the field is not its identity",
                                spec->spec_id, f->name);
  }
  return 0;
}

int ice_partition_spec_type(const ice_partition_spec_t *spec, const ice_schema_t *schema, ice_type_t **out,
                            prestige_error_t *err) {
  ice_type_t *t = calloc(1, sizeof(*t));
  if (!t || !(t->fields = calloc(spec->n_fields ? spec->n_fields : 1, sizeof(ice_field_t)))) {
    free(t);
    return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
  }
  t->id = ICE_STRUCT;
  for (size_t i = 0; i < spec->n_fields; i++) {
    const ice_partition_field_t *f = &spec->fields[i];
    const ice_field_t *src = ice_schema_find_id(schema, f->source_id);
    ice_type_t rt;
    int rc;
    if (!src) rc = prestige_error_set(err, PRESTIGE_EINVAL, "partition field \"%s\": source column id %d is not in the schema", f->name, f->source_id);
    else rc = ice_transform_result_type(&f->transform, src->type, &rt, err);
    ice_field_t *d = &t->fields[i];
    t->n_fields = i + 1;
    if (!rc) {
      d->id = f->field_id;
      d->name = strdup(f->name);
      d->type = ice_type_new_prim(rt.id, rt.id == ICE_DECIMAL ? rt.precision : rt.length, rt.scale);
      if (!d->name || !d->type) rc = prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
    }
    if (rc) {
      ice_type_free(t);
      return rc;
    }
  }
  *out = t;
  return 0;
}

int ice_partition_apply(const ice_partition_spec_t *spec, const ice_schema_t *schema, const ice_value_t *src_values,
                        ice_value_t *out, prestige_error_t *err) {
  for (size_t i = 0; i < spec->n_fields; i++) {
    const ice_partition_field_t *f = &spec->fields[i];
    const ice_field_t *src = ice_schema_find_id(schema, f->source_id);
    if (!src)
      return prestige_error_set(err, PRESTIGE_EINVAL, "partition field \"%s\": source column id %d is not in the schema", f->name, f->source_id);
    int rc = ice_transform_apply(&f->transform, src->type, &src_values[i], &out[i], err);
    if (rc) return prestige_error_prefix(err, "partition field \"%s\"", f->name);
  }
  return 0;
}

int ice_url_encode(const char *s, size_t n, buf_t *out) {
  static const char hex[] = "0123456789ABCDEF";
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    int rc;
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '*' || c == '_')
      rc = buf_append_u8(out, c);
    else if (c == ' ')
      rc = buf_append_u8(out, '+');
    else {
      char e[3] = {'%', hex[c >> 4], hex[c & 15]};
      rc = buf_append(out, e, 3);
    }
    if (rc) return PRESTIGE_ENOMEM;
  }
  return 0;
}

int ice_partition_path(const ice_partition_spec_t *spec, const ice_schema_t *schema, const ice_value_t *values,
                       buf_t *out, prestige_error_t *err) {
  buf_t human = BUF_INIT;
  int rc = 0;
  for (size_t i = 0; i < spec->n_fields && !rc; i++) {
    const ice_partition_field_t *f = &spec->fields[i];
    const ice_field_t *src = ice_schema_find_id(schema, f->source_id);
    ice_type_t rt;
    if (!src) {
      rc = prestige_error_set(err, PRESTIGE_EINVAL, "partition field \"%s\": source column id %d is not in the schema", f->name, f->source_id);
      break;
    }
    if ((rc = ice_transform_result_type(&f->transform, src->type, &rt, err))) break;
    buf_clear(&human);
    if ((rc = ice_transform_human(&f->transform, &rt, &values[i], &human, err))) break;
    if ((i && buf_append_u8(out, '/')) || ice_url_encode(f->name, strlen(f->name), out) || buf_append_u8(out, '=') ||
        ice_url_encode((const char *)human.data, human.len, out))
      rc = prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
  }
  buf_release(&human);
  return rc;
}

/* ---- spec JSON ------------------------------------------------------------------------------------ */
/* Reads "source-id" or the V3 "source-ids" of a partition or sort field. */
static int read_sources(const ju_t *j, const json_t *o, const char *ctx, int32_t *source_id, int32_t **ids, size_t *n) {
  bool has;
  *ids = NULL;
  *n = 0;
  PRESTIGE_TRY(ju_opt_i32(j, o, "source-id", ctx, &has, source_id));
  if (has) return 0;
  const json_t *a;
  PRESTIGE_TRY(ju_opt_array(j, o, "source-ids", ctx, &a));
  if (!a || !json_array_size(a)) return ju_fail(j, ctx, "required field \"source-id\" is missing");
  size_t m = json_array_size(a);
  int32_t *d = malloc(m * sizeof(int32_t));
  if (!d) return prestige_error_set(j->err, PRESTIGE_ENOMEM, "out of memory");
  for (size_t i = 0; i < m; i++) {
    const json_t *x = json_array_get(a, i);
    if (!json_is_integer(x) || json_integer_value(x) < INT32_MIN || json_integer_value(x) > INT32_MAX) {
      free(d);
      return ju_fail(j, ctx, "\"source-ids\" must hold integers");
    }
    d[i] = (int32_t)json_integer_value(x);
  }
  *source_id = d[0];
  if (m == 1) {
    free(d);
    return 0;
  }
  *ids = d;
  *n = m;
  return 0;
}

static int spec_fields_from_json(const ju_t *j, const json_t *fields, ice_partition_spec_t *spec) {
  char ctx[96];
  snprintf(ctx, sizeof ctx, "partition spec %d", spec->spec_id);
  if (!json_is_array(fields)) return ju_fail(j, ctx, "\"fields\" must be an array");
  size_t with_ids = 0;
  for (size_t i = 0; i < json_array_size(fields); i++) {
    const json_t *o = json_array_get(fields, i);
    snprintf(ctx, sizeof ctx, "partition spec %d field %zu", spec->spec_id, i);
    if (!json_is_object(o)) return ju_fail(j, ctx, "a partition field must be an object");
    const char *name, *tr;
    int32_t source_id = 0, field_id = -1, *ids;
    size_t n_ids;
    bool has_id;
    PRESTIGE_TRY(ju_str(j, o, "name", ctx, &name));
    PRESTIGE_TRY(ju_str(j, o, "transform", ctx, &tr));
    PRESTIGE_TRY(ju_opt_i32(j, o, "field-id", ctx, &has_id, &field_id));
    ice_transform_t t;
    int rc = ice_transform_parse(tr, &t, j->err);
    if (rc) return ju_fail(j, ctx, "%s", j->err->message);
    PRESTIGE_TRY(read_sources(j, o, ctx, &source_id, &ids, &n_ids));
    if (has_id) with_ids++;
    /* V1: ids were not stored; Java assigns 1000, 1001, ... in order */
    rc = spec_add(spec, source_id, ids, n_ids, has_id ? field_id : ICE_PARTITION_DATA_ID_START + (int32_t)i, name, &t, j->err);
    free(ids);
    if (rc) return rc;
  }
  if (with_ids && with_ids != spec->n_fields)
    return ju_fail(j, ctx, "%zu of %zu partition fields lack \"field-id\"", spec->n_fields - with_ids, spec->n_fields);
  return 0;
}

static int spec_from(const ju_t *j, const json_t *fields, int32_t spec_id, ice_partition_spec_t **out) {
  ice_partition_spec_t *s = NULL;
  PRESTIGE_TRY(ice_partition_spec_new(spec_id, &s, j->err));
  int rc = spec_fields_from_json(j, fields, s);
  if (rc) {
    ice_partition_spec_free(s);
    return rc;
  }
  *out = s;
  return 0;
}

int ice_partition_spec_from_json(const json_t *v, const char *what, ice_partition_spec_t **out, prestige_error_t *err) {
  ju_t j = {what ? what : "partition spec", PRESTIGE_ECORRUPT, err};
  if (!json_is_object(v)) return ju_fail(&j, "partition spec", "a partition spec must be an object");
  int32_t spec_id;
  PRESTIGE_TRY(ju_i32(&j, v, "spec-id", "partition spec", &spec_id));
  const json_t *fields = json_object_get(v, "fields");
  if (!fields) {
    char ctx[64];
    snprintf(ctx, sizeof ctx, "partition spec %d", spec_id);
    return ju_fail(&j, ctx, "required field \"fields\" is missing");
  }
  return spec_from(&j, fields, spec_id, out);
}

int ice_partition_spec_from_json_fields(const json_t *fields, int32_t spec_id, const char *what,
                                        ice_partition_spec_t **out, prestige_error_t *err) {
  ju_t j = {what ? what : "partition spec", PRESTIGE_ECORRUPT, err};
  return spec_from(&j, fields, spec_id, out);
}

static int write_sources(json_t *o, int32_t source_id, const int32_t *ids, size_t n) {
  if (n <= 1) return ju_set(o, "source-id", json_integer(source_id));
  json_t *a = json_array();
  if (ju_set(o, "source-ids", a)) return -1;
  for (size_t i = 0; i < n; i++)
    if (ju_append(a, json_integer(ids[i]))) return -1;
  return 0;
}

json_t *ice_partition_spec_fields_to_json(const ice_partition_spec_t *s) {
  json_t *a = json_array();
  char tb[80];
  if (!a) return NULL;
  for (size_t i = 0; i < s->n_fields; i++) {
    const ice_partition_field_t *f = &s->fields[i];
    json_t *o = json_object();
    /* Java PartitionSpecParser field order */
    if (ju_append(a, o) || ju_set(o, "name", json_string(f->name)) ||
        ju_set(o, "transform", json_string(ice_transform_to_string(&f->transform, tb, sizeof tb))) ||
        write_sources(o, f->source_id, f->source_ids, f->n_source_ids) || ju_set(o, "field-id", json_integer(f->field_id))) {
      json_decref(a);
      return NULL;
    }
  }
  return a;
}

json_t *ice_partition_spec_to_json(const ice_partition_spec_t *s) {
  json_t *o = json_object();
  if (!o || ju_set(o, "spec-id", json_integer(s->spec_id)) || ju_set(o, "fields", ice_partition_spec_fields_to_json(s))) {
    json_decref(o);
    return NULL;
  }
  return o;
}

/* ---- sort orders ---------------------------------------------------------------------------------- */
int ice_sort_order_new(int32_t order_id, ice_sort_order_t **out, prestige_error_t *err) {
  ice_sort_order_t *o = calloc(1, sizeof(*o));
  if (!o) return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
  o->order_id = order_id;
  *out = o;
  return 0;
}

static int order_add(ice_sort_order_t *o, int32_t source_id, const int32_t *ids, size_t n_ids, const ice_transform_t *t,
                     ice_sort_direction_t dir, ice_null_order_t nulls, prestige_error_t *err) {
  ice_sort_field_t *f = realloc(o->fields, (o->n_fields + 1) * sizeof(*f));
  if (!f) return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
  o->fields = f;
  f = &o->fields[o->n_fields];
  *f = (ice_sort_field_t){.transform = *t, .source_id = source_id, .direction = dir, .null_order = nulls};
  if (n_ids > 1) {
    if (!(f->source_ids = dup_ids(ids, n_ids))) return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
    f->n_source_ids = n_ids;
  }
  o->n_fields++;
  return 0;
}

int ice_sort_order_add(ice_sort_order_t *o, int32_t source_id, const ice_transform_t *t, ice_sort_direction_t dir,
                       ice_null_order_t nulls, prestige_error_t *err) {
  return order_add(o, source_id, NULL, 0, t, dir, nulls, err);
}

void ice_sort_order_free(ice_sort_order_t *o) {
  if (!o) return;
  for (size_t i = 0; i < o->n_fields; i++) free(o->fields[i].source_ids);
  free(o->fields);
  free(o);
}

int ice_sort_order_copy(const ice_sort_order_t *o, ice_sort_order_t **out, prestige_error_t *err) {
  ice_sort_order_t *c = NULL;
  PRESTIGE_TRY(ice_sort_order_new(o->order_id, &c, err));
  for (size_t i = 0; i < o->n_fields; i++) {
    const ice_sort_field_t *f = &o->fields[i];
    int rc = order_add(c, f->source_id, f->source_ids, f->n_source_ids, &f->transform, f->direction, f->null_order, err);
    if (rc) {
      ice_sort_order_free(c);
      return rc;
    }
  }
  *out = c;
  return 0;
}

bool ice_sort_order_same(const ice_sort_order_t *a, const ice_sort_order_t *b) {
  if (a->n_fields != b->n_fields) return false;
  for (size_t i = 0; i < a->n_fields; i++) {
    const ice_sort_field_t *x = &a->fields[i], *y = &b->fields[i];
    if (x->source_id != y->source_id || x->direction != y->direction || x->null_order != y->null_order ||
        !ice_transform_equal(&x->transform, &y->transform))
      return false;
  }
  return true;
}

int ice_sort_order_bind(const ice_sort_order_t *o, const ice_schema_t *schema, prestige_error_t *err) {
  char tb[64], sb[64];
  if (o->order_id == 0 && o->n_fields)
    return prestige_error_set(err, PRESTIGE_EINVAL, "sort order 0 is reserved for the unsorted order");
  for (size_t i = 0; i < o->n_fields; i++) {
    const ice_sort_field_t *f = &o->fields[i];
    if (f->transform.kind == ICE_T_UNKNOWN || f->n_source_ids > 1) continue;
    const ice_field_t *src = ice_schema_find_id(schema, f->source_id);
    if (!src)
      return prestige_error_set(err, PRESTIGE_EINVAL, "sort order %d: source column id %d is not in schema %d", o->order_id,
                                f->source_id, schema->schema_id);
    if (!ice_type_is_primitive(src->type->id))
      return prestige_error_set(err, PRESTIGE_ETYPE, "sort order %d: cannot sort by column \"%s\", not a primitive",
                                o->order_id, ice_schema_field_name(schema, f->source_id));
    if (!ice_transform_can_apply(&f->transform, src->type))
      return prestige_error_set(err, PRESTIGE_ETYPE, "sort order %d: transform %s cannot apply to column \"%s\" of type %s",
                                o->order_id, ice_transform_to_string(&f->transform, tb, sizeof tb),
                                ice_schema_field_name(schema, f->source_id), ice_type_to_string(src->type, sb, sizeof sb));
  }
  return 0;
}

int ice_sort_order_from_json(const json_t *v, const char *what, ice_sort_order_t **out, prestige_error_t *err) {
  ju_t j = {what ? what : "sort order", PRESTIGE_ECORRUPT, err};
  if (!json_is_object(v)) return ju_fail(&j, "sort order", "a sort order must be an object");
  int32_t order_id;
  PRESTIGE_TRY(ju_i32(&j, v, "order-id", "sort order", &order_id));
  char ctx[96];
  snprintf(ctx, sizeof ctx, "sort order %d", order_id);
  const json_t *fields = json_object_get(v, "fields");
  if (!json_is_array(fields)) return ju_fail(&j, ctx, "\"fields\" must be an array");
  ice_sort_order_t *o = NULL;
  PRESTIGE_TRY(ice_sort_order_new(order_id, &o, err));
  int rc = 0;
  for (size_t i = 0; i < json_array_size(fields) && !rc; i++) {
    const json_t *f = json_array_get(fields, i);
    snprintf(ctx, sizeof ctx, "sort order %d field %zu", order_id, i);
    const char *tr, *dir, *nulls;
    int32_t source_id = 0, *ids = NULL;
    size_t n_ids = 0;
    ice_transform_t t;
    if (!json_is_object(f)) rc = ju_fail(&j, ctx, "a sort field must be an object");
    else if (!(rc = ju_str(&j, f, "transform", ctx, &tr)) && !(rc = ju_str(&j, f, "direction", ctx, &dir)) &&
             !(rc = ju_str(&j, f, "null-order", ctx, &nulls))) {
      if (ice_transform_parse(tr, &t, err)) rc = ju_fail(&j, ctx, "%s", err->message);
      else if (strcasecmp(dir, "asc") && strcasecmp(dir, "desc"))
        rc = ju_fail(&j, ctx, "\"direction\" must be \"asc\" or \"desc\", not \"%s\"", dir);
      else if (strcasecmp(nulls, "nulls-first") && strcasecmp(nulls, "nulls-last"))
        rc = ju_fail(&j, ctx, "\"null-order\" must be \"nulls-first\" or \"nulls-last\", not \"%s\"", nulls);
      else if (!(rc = read_sources(&j, f, ctx, &source_id, &ids, &n_ids)))
        rc = order_add(o, source_id, ids, n_ids, &t, strcasecmp(dir, "asc") ? ICE_SORT_DESC : ICE_SORT_ASC,
                       strcasecmp(nulls, "nulls-first") ? ICE_NULLS_LAST : ICE_NULLS_FIRST, err);
      free(ids);
    }
  }
  if (rc) {
    ice_sort_order_free(o);
    return rc;
  }
  *out = o;
  return 0;
}

json_t *ice_sort_order_to_json(const ice_sort_order_t *o) {
  json_t *obj = json_object(), *a = json_array();
  char tb[80];
  if (!obj || !a || ju_set(obj, "order-id", json_integer(o->order_id))) {
    json_decref(a); /* not yet in obj */
    goto fail;
  }
  if (ju_set(obj, "fields", a)) goto fail; /* jansson released a */
  for (size_t i = 0; i < o->n_fields; i++) {
    const ice_sort_field_t *f = &o->fields[i];
    json_t *x = json_object();
    if (ju_append(a, x) || ju_set(x, "transform", json_string(ice_transform_to_string(&f->transform, tb, sizeof tb))) ||
        write_sources(x, f->source_id, f->source_ids, f->n_source_ids) ||
        ju_set(x, "direction", json_string(f->direction == ICE_SORT_ASC ? "asc" : "desc")) ||
        ju_set(x, "null-order", json_string(f->null_order == ICE_NULLS_FIRST ? "nulls-first" : "nulls-last")))
      goto fail;
  }
  return obj;
fail:
  json_decref(obj);
  return NULL;
}
