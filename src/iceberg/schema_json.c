/* Iceberg schemas and types as JSON (spec Appendix C), read and written as Java's SchemaParser. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json_load.h"
#include "iceberg/json_util.h"
#include "iceberg/types.h"
#include "iceberg/value.h"

#define MAX_TYPE_DEPTH 64

static int type_from_json(const ju_t *j, const json_t *v, const char *path, int depth, ice_type_t **out);

static int field_from_json(const ju_t *j, const json_t *o, const char *parent, int depth, ice_field_t *f) {
  char ctx[512];
  snprintf(ctx, sizeof ctx, "field in %s", parent && *parent ? parent : "schema");
  if (!json_is_object(o)) return ju_fail(j, ctx, "a field must be an object");
  const char *name, *doc;
  PRESTIGE_TRY(ju_i32(j, o, "id", ctx, &f->id));
  PRESTIGE_TRY(ju_str(j, o, "name", ctx, &name));
  char path[512];
  snprintf(path, sizeof path, "%s%s%s", parent && *parent ? parent : "", parent && *parent ? "." : "", name);
  snprintf(ctx, sizeof ctx, "column \"%s\"", path);
  PRESTIGE_TRY(ju_bool(j, o, "required", ctx, &f->required));
  PRESTIGE_TRY(ju_opt_str(j, o, "doc", ctx, &doc));
  const json_t *tj = json_object_get(o, "type");
  if (!tj) return ju_fail(j, ctx, "required field \"type\" is missing");
  if (!(f->name = strdup(name)) || (doc && !(f->doc = strdup(doc))))
    return prestige_error_set(j->err, PRESTIGE_ENOMEM, "out of memory parsing a schema");
  PRESTIGE_TRY(type_from_json(j, tj, path, depth + 1, &f->type));
  static const char *const dkeys[] = {"initial-default", "write-default"};
  for (int k = 0; k < 2; k++) {
    json_t *d = json_object_get(o, dkeys[k]);
    if (!d) continue;
    int rc = ice_value_check_json(f->type, d, path, j->err);
    if (rc) {
      if (rc == PRESTIGE_ECORRUPT || rc == PRESTIGE_EINVAL) return ju_fail(j, ctx, "%s: %s", dkeys[k], j->err->message);
      return rc;
    }
    *(k ? &f->write_default : &f->initial_default) = json_incref(d);
  }
  return 0;
}

static int nested_fields(const ju_t *j, ice_type_t *t, size_t n) {
  t->fields = calloc(n ? n : 1, sizeof(ice_field_t));
  if (!t->fields) return prestige_error_set(j->err, PRESTIGE_ENOMEM, "out of memory parsing a schema");
  return 0;
}

static int type_from_json(const ju_t *j, const json_t *v, const char *path, int depth, ice_type_t **out) {
  char ctx[600];
  snprintf(ctx, sizeof ctx, "column \"%s\"", path && *path ? path : "(schema)");
  if (depth > MAX_TYPE_DEPTH) return ju_fail(j, ctx, "types nested deeper than %d levels", MAX_TYPE_DEPTH);
  ice_type_t *t = calloc(1, sizeof(*t));
  if (!t) return prestige_error_set(j->err, PRESTIGE_ENOMEM, "out of memory parsing a schema");
  int rc = 0;
  if (json_is_string(v)) {
    rc = ice_type_parse_primitive(json_string_value(v), t, j->err);
    if (rc) {
      char msg[PRESTIGE_ERROR_MESSAGE_SIZE];
      snprintf(msg, sizeof msg, "%s", j->err->message);
      rc = rc == PRESTIGE_ECORRUPT ? ju_fail(j, ctx, "%s", msg)
                                   : prestige_error_set(j->err, rc, "%s: %s: %s", j->what, ctx, msg);
    }
    goto done;
  }
  const char *kind = json_is_object(v) ? json_string_value(json_object_get(v, "type")) : NULL;
  if (!kind) {
    rc = ju_fail(j, ctx, "a type must be a string or an object with \"type\"");
    goto done;
  }
  if (!strcmp(kind, "struct")) {
    t->id = ICE_STRUCT;
    const json_t *fields = json_object_get(v, "fields");
    if (!json_is_array(fields)) {
      rc = ju_fail(j, ctx, "struct \"fields\" must be an array");
      goto done;
    }
    size_t n = json_array_size(fields);
    if ((rc = nested_fields(j, t, n))) goto done;
    for (size_t i = 0; i < n && !rc; i++) {
      rc = field_from_json(j, json_array_get(fields, i), path, depth, &t->fields[i]);
      t->n_fields = i + 1;
    }
  } else if (!strcmp(kind, "list")) {
    t->id = ICE_LIST;
    if ((rc = nested_fields(j, t, 1))) goto done;
    ice_field_t *e = &t->fields[0];
    t->n_fields = 1;
    char p[560];
    snprintf(p, sizeof p, "%s.element", path);
    const json_t *ej = json_object_get(v, "element");
    if (!(rc = ju_i32(j, v, "element-id", ctx, &e->id)) && !(rc = ju_bool(j, v, "element-required", ctx, &e->required))) {
      if (!ej) rc = ju_fail(j, ctx, "required field \"element\" is missing");
      else if (!(e->name = strdup("element"))) rc = prestige_error_set(j->err, PRESTIGE_ENOMEM, "out of memory");
      else rc = type_from_json(j, ej, p, depth + 1, &e->type);
    }
  } else if (!strcmp(kind, "map")) {
    t->id = ICE_MAP;
    if ((rc = nested_fields(j, t, 2))) goto done;
    t->n_fields = 2;
    ice_field_t *k = &t->fields[0], *val = &t->fields[1];
    k->required = true;
    char pk[560], pv[560];
    snprintf(pk, sizeof pk, "%s.key", path);
    snprintf(pv, sizeof pv, "%s.value", path);
    const json_t *kj = json_object_get(v, "key"), *vj = json_object_get(v, "value");
    if ((rc = ju_i32(j, v, "key-id", ctx, &k->id)) || (rc = ju_i32(j, v, "value-id", ctx, &val->id)) ||
        (rc = ju_bool(j, v, "value-required", ctx, &val->required)))
      goto done;
    if (!kj || !vj) {
      rc = ju_fail(j, ctx, "required field \"%s\" is missing", kj ? "value" : "key");
      goto done;
    }
    if (!(k->name = strdup("key")) || !(val->name = strdup("value"))) {
      rc = prestige_error_set(j->err, PRESTIGE_ENOMEM, "out of memory");
      goto done;
    }
    if (!(rc = type_from_json(j, kj, pk, depth + 1, &k->type))) rc = type_from_json(j, vj, pv, depth + 1, &val->type);
  } else {
    rc = ju_fail(j, ctx, "unknown nested type \"%s\"", kind);
  }
done:
  if (rc) {
    ice_type_free(t);
    return rc;
  }
  *out = t;
  return 0;
}

int ice_type_from_json(const json_t *v, const char *path, ice_type_t **out, prestige_error_t *err) {
  ju_t j = {"type", PRESTIGE_ECORRUPT, err};
  return type_from_json(&j, v, path ? path : "", 0, out);
}

int ice_schema_from_json(const json_t *v, const char *what, ice_schema_t **out, prestige_error_t *err) {
  ju_t j = {what ? what : "schema", PRESTIGE_ECORRUPT, err};
  if (!json_is_object(v)) return ju_fail(&j, "schema", "a schema must be a JSON object");
  bool has_id;
  int32_t schema_id = 0;
  PRESTIGE_TRY(ju_opt_i32(&j, v, "schema-id", "schema", &has_id, &schema_id));
  char ctx[64];
  snprintf(ctx, sizeof ctx, "schema %d", schema_id);
  const char *kind = json_string_value(json_object_get(v, "type"));
  if (kind && strcmp(kind, "struct")) return ju_fail(&j, ctx, "a schema must be a struct, not %s", kind);
  if (!json_is_array(json_object_get(v, "fields"))) return ju_fail(&j, ctx, "\"fields\" must be an array");
  const json_t *idj;
  PRESTIGE_TRY(ju_opt_array(&j, v, "identifier-field-ids", ctx, &idj));
  ice_type_t *t = NULL;
  /* a schema's "type" may be omitted by old writers; parse the struct body directly */
  json_t *body = json_pack("{s:s, s:O}", "type", "struct", "fields", json_object_get(v, "fields"));
  if (!body) return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory parsing a schema");
  int rc = type_from_json(&j, body, "", 0, &t);
  json_decref(body);
  if (rc) return rc;
  int32_t *ids = NULL;
  size_t n_ids = idj ? json_array_size(idj) : 0;
  if (n_ids) {
    if (!(ids = malloc(n_ids * sizeof(int32_t)))) {
      ice_type_free(t);
      return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory parsing a schema");
    }
    for (size_t i = 0; i < n_ids; i++) {
      const json_t *x = json_array_get(idj, i);
      if (!json_is_integer(x) || json_integer_value(x) < INT32_MIN || json_integer_value(x) > INT32_MAX) {
        free(ids);
        ice_type_free(t);
        return ju_fail(&j, ctx, "\"identifier-field-ids\" must hold integers");
      }
      ids[i] = (int32_t)json_integer_value(x);
    }
  }
  ice_schema_t *s = NULL;
  rc = ice_schema_new(schema_id, t, ids, n_ids, &s, err);
  if (rc) return rc == PRESTIGE_ECORRUPT ? prestige_error_prefix(err, "%s", j.what) : rc;
  if ((rc = ice_schema_check_identifiers(s, err))) {
    ice_schema_free(s);
    return prestige_error_prefix(err, "%s", j.what);
  }
  *out = s;
  return 0;
}

int ice_schema_from_json_text(const char *text, ice_schema_t **out, prestige_error_t *err) {
  json_error_t je;
  bool oom;
  json_t *v = json_loadb_checked(text, strlen(text), 0, &je, &oom);
  if (!v && oom) return prestige_error_set(err, PRESTIGE_ENOMEM, "schema: out of memory parsing the JSON");
  if (!v) return prestige_error_set(err, PRESTIGE_ECORRUPT, "schema: bad JSON at line %d column %d: %s", je.line, je.column, je.text);
  int rc = ice_schema_from_json(v, "schema", out, err);
  json_decref(v);
  return rc;
}

/* ---- writing ------------------------------------------------------------------------------ */
static json_t *fields_to_json(const ice_type_t *t);

json_t *ice_type_to_json(const ice_type_t *t) {
  char buf[64];
  switch (t->id) {
    case ICE_STRUCT: {
      json_t *o = json_object(), *f = fields_to_json(t);
      if (!o || ju_set(o, "type", json_string("struct")) || ju_set(o, "fields", f)) {
        json_decref(o);
        return NULL;
      }
      return o;
    }
    case ICE_LIST: {
      const ice_field_t *e = &t->fields[0];
      json_t *o = json_object();
      if (!o || ju_set(o, "type", json_string("list")) || ju_set(o, "element-id", json_integer(e->id)) ||
          ju_set(o, "element", ice_type_to_json(e->type)) || ju_set(o, "element-required", json_boolean(e->required))) {
        json_decref(o);
        return NULL;
      }
      return o;
    }
    case ICE_MAP: {
      const ice_field_t *k = &t->fields[0], *v = &t->fields[1];
      json_t *o = json_object();
      if (!o || ju_set(o, "type", json_string("map")) || ju_set(o, "key-id", json_integer(k->id)) ||
          ju_set(o, "key", ice_type_to_json(k->type)) || ju_set(o, "value-id", json_integer(v->id)) ||
          ju_set(o, "value", ice_type_to_json(v->type)) || ju_set(o, "value-required", json_boolean(v->required))) {
        json_decref(o);
        return NULL;
      }
      return o;
    }
    case ICE_DECIMAL:
      snprintf(buf, sizeof buf, "decimal(%d, %d)", t->precision, t->scale); /* Java DecimalType.toString */
      return json_string(buf);
    default:
      return json_string(ice_type_to_string(t, buf, sizeof buf));
  }
}

static json_t *fields_to_json(const ice_type_t *t) {
  json_t *a = json_array();
  if (!a) return NULL;
  for (size_t i = 0; i < t->n_fields; i++) {
    const ice_field_t *f = &t->fields[i];
    json_t *o = json_object();
    if (ju_append(a, o) || ju_set(o, "id", json_integer(f->id)) || ju_set(o, "name", json_string(f->name)) ||
        ju_set(o, "required", json_boolean(f->required)) || ju_set(o, "type", ice_type_to_json(f->type)) ||
        (f->doc && ju_set(o, "doc", json_string(f->doc))) ||
        (f->initial_default && ju_set(o, "initial-default", json_deep_copy(f->initial_default))) ||
        (f->write_default && ju_set(o, "write-default", json_deep_copy(f->write_default)))) {
      json_decref(a);
      return NULL;
    }
  }
  return a;
}

json_t *ice_schema_to_json(const ice_schema_t *s) {
  json_t *o = json_object();
  if (!o || ju_set(o, "type", json_string("struct")) || ju_set(o, "schema-id", json_integer(s->schema_id)))
    goto fail;
  if (s->n_identifier_ids) {
    json_t *ids = json_array();
    if (ju_set(o, "identifier-field-ids", ids)) goto fail;
    for (size_t i = 0; i < s->n_identifier_ids; i++)
      if (ju_append(ids, json_integer(s->identifier_ids[i]))) goto fail;
  }
  if (ju_set(o, "fields", fields_to_json(s->type))) goto fail;
  return o;
fail:
  json_decref(o);
  return NULL;
}
