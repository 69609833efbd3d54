/* Iceberg types and schemas: the model, lookups, fresh ids. JSON lives in schema_json.c. */
#include "iceberg/types.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "iceberg/value.h"

/* ---- types -------------------------------------------------------------------------------- */
bool ice_type_is_primitive(ice_type_id_t id) { return id < ICE_STRUCT; }
bool ice_type_is_nested(ice_type_id_t id) { return id >= ICE_STRUCT; }

static const char *const prim_names[] = {
    "boolean", "int", "long", "float", "double", "decimal", "date", "time", "timestamp", "timestamptz",
    "timestamp_ns", "timestamptz_ns", "string", "uuid", "fixed", "binary", "struct", "list", "map"};

const char *ice_type_to_string(const ice_type_t *t, char *buf, size_t n) {
  if (t->id == ICE_DECIMAL) snprintf(buf, n, "decimal(%d, %d)", t->precision, t->scale);
  else if (t->id == ICE_FIXED) snprintf(buf, n, "fixed[%d]", t->length);
  else snprintf(buf, n, "%s", prim_names[t->id]);
  return buf;
}

ice_type_t ice_type_prim(ice_type_id_t id, int32_t p1, int32_t p2) {
  ice_type_t t = {.id = id};
  if (id == ICE_DECIMAL) t.precision = p1, t.scale = p2;
  if (id == ICE_FIXED) t.length = p1;
  return t;
}

ice_type_t *ice_type_new_prim(ice_type_id_t id, int32_t p1, int32_t p2) {
  ice_type_t *t = calloc(1, sizeof(*t));
  if (t) *t = ice_type_prim(id, p1, p2);
  return t;
}

/* Matches "<word>" followed by optional spaces, returning the rest. */
static const char *skip_ws(const char *s) {
  while (*s == ' ' || *s == '\t') s++;
  return s;
}

static bool parse_uint(const char **s, int64_t *v) {
  const char *p = skip_ws(*s);
  if (!isdigit((unsigned char)*p)) return false;
  int64_t x = 0;
  while (isdigit((unsigned char)*p)) {
    x = x * 10 + (*p++ - '0');
    if (x > 1000000000) return false;
  }
  *v = x;
  *s = skip_ws(p);
  return true;
}

int ice_type_parse_primitive(const char *s, ice_type_t *out, prestige_error_t *err) {
  char low[64];
  size_t n = strlen(s);
  if (n >= sizeof(low)) return prestige_error_set(err, PRESTIGE_ECORRUPT, "unknown type \"%.64s...\"", s);
  for (size_t i = 0; i <= n; i++) low[i] = (char)tolower((unsigned char)s[i]);
  for (int id = ICE_BOOLEAN; id < ICE_STRUCT; id++) {
    if (id == ICE_DECIMAL || id == ICE_FIXED) continue;
    if (!strcmp(low, prim_names[id])) {
      *out = ice_type_prim((ice_type_id_t)id, 0, 0);
      return 0;
    }
  }
  const char *p;
  int64_t a, b;
  if (!strncmp(low, "fixed[", 6)) {
    p = low + 6;
    if (parse_uint(&p, &a) && *p == ']' && p[1] == 0 && a > 0 && a <= INT32_MAX) {
      *out = ice_type_prim(ICE_FIXED, (int32_t)a, 0);
      return 0;
    }
    return prestige_error_set(err, PRESTIGE_ECORRUPT, "bad fixed type \"%s\" (fixed[L], L > 0)", s);
  }
  if (!strncmp(low, "decimal(", 8)) {
    p = low + 8;
    if (parse_uint(&p, &a) && *p == ',' && (p++, parse_uint(&p, &b)) && *p == ')' && p[1] == 0) {
      if (a < 1 || a > 38 || b > a)
        return prestige_error_set(err, PRESTIGE_ECORRUPT,
                                  "decimal type \"%s\": precision must be 1..38 and scale 0..precision", s);
      *out = ice_type_prim(ICE_DECIMAL, (int32_t)a, (int32_t)b);
      return 0;
    }
    return prestige_error_set(err, PRESTIGE_ECORRUPT, "bad decimal type \"%s\" (decimal(P,S))", s);
  }
  static const char *const v3_unsupported[] = {"variant", "unknown", "geometry", "geography"};
  for (size_t i = 0; i < sizeof(v3_unsupported) / sizeof(v3_unsupported[0]); i++) {
    size_t k = strlen(v3_unsupported[i]);
    if (!strncmp(low, v3_unsupported[i], k) && (low[k] == 0 || low[k] == '(' || low[k] == ' '))
      return prestige_error_set(err, PRESTIGE_EUNSUPPORTED, "type \"%s\" (Iceberg V3) is not supported by prestige", s);
  }
  return prestige_error_set(err, PRESTIGE_ECORRUPT, "unknown type \"%s\"", s);
}

bool ice_type_same_prim(const ice_type_t *a, const ice_type_t *b) {
  if (a->id != b->id) return false;
  if (a->id == ICE_DECIMAL) return a->precision == b->precision && a->scale == b->scale;
  if (a->id == ICE_FIXED) return a->length == b->length;
  if (ice_type_is_nested(a->id)) return ice_type_equal(a, b);
  return true;
}

static bool str_eq(const char *a, const char *b) { return (!a && !b) || (a && b && !strcmp(a, b)); }
static bool json_eq(const json_t *a, const json_t *b) { return (!a && !b) || (a && b && json_equal(a, b)); }

bool ice_type_equal(const ice_type_t *a, const ice_type_t *b) {
  if (a->id != b->id || a->n_fields != b->n_fields) return false;
  if (!ice_type_is_nested(a->id)) return ice_type_same_prim(a, b);
  for (size_t i = 0; i < a->n_fields; i++) {
    const ice_field_t *x = &a->fields[i], *y = &b->fields[i];
    if (x->id != y->id || x->required != y->required || !str_eq(x->name, y->name) || !str_eq(x->doc, y->doc) ||
        !json_eq(x->initial_default, y->initial_default) || !json_eq(x->write_default, y->write_default) ||
        !ice_type_equal(x->type, y->type))
      return false;
  }
  return true;
}

void ice_field_release(ice_field_t *f) {
  free(f->name);
  free(f->doc);
  ice_type_free(f->type);
  if (f->initial_default) json_decref(f->initial_default);
  if (f->write_default) json_decref(f->write_default);
  memset(f, 0, sizeof(*f));
}

void ice_type_free(ice_type_t *t) {
  if (!t) return;
  for (size_t i = 0; i < t->n_fields; i++) ice_field_release(&t->fields[i]);
  free(t->fields);
  free(t);
}

static char *dup_or_null(const char *s, bool *oom) {
  if (!s) return NULL;
  char *d = strdup(s);
  if (!d) *oom = true;
  return d;
}

int ice_type_copy(const ice_type_t *src, ice_type_t **out, prestige_error_t *err) {
  ice_type_t *t = calloc(1, sizeof(*t));
  if (!t) return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory copying a type");
  *t = *src;
  t->fields = NULL;
  t->n_fields = 0;
  if (src->n_fields) {
    t->fields = calloc(src->n_fields, sizeof(ice_field_t));
    if (!t->fields) {
      free(t);
      return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory copying a type");
    }
    t->n_fields = src->n_fields;
    for (size_t i = 0; i < src->n_fields; i++) {
      const ice_field_t *s = &src->fields[i];
      ice_field_t *d = &t->fields[i];
      bool oom = false;
      d->id = s->id;
      d->required = s->required;
      d->name = dup_or_null(s->name, &oom);
      d->doc = dup_or_null(s->doc, &oom);
      if (s->initial_default) d->initial_default = json_deep_copy(s->initial_default), oom |= !d->initial_default;
      if (s->write_default) d->write_default = json_deep_copy(s->write_default), oom |= !d->write_default;
      if (oom || ice_type_copy(s->type, &d->type, err)) {
        ice_type_free(t);
        return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory copying a type");
      }
    }
  }
  *out = t;
  return 0;
}

bool ice_type_needs_v3(const ice_type_t *t) {
  if (t->id == ICE_TIMESTAMP_NS || t->id == ICE_TIMESTAMPTZ_NS) return true;
  for (size_t i = 0; i < t->n_fields; i++)
    if (ice_type_needs_v3(t->fields[i].type)) return true;
  return false;
}

/* ---- schema index --------------------------------------------------------------------------- */
typedef struct index_entry {
  int32_t id;
  const ice_field_t *field;
  char *name;       /* canonical: l.element.x */
  char *short_name; /* Java's short name: l.x (NULL when equal to name) */
  bool in_collection;
  bool via_optional_struct; /* some enclosing struct field is optional */
} index_entry_t;

struct ice_schema_index {
  index_entry_t *e; /* sorted by id */
  size_t n, cap;
};

static void index_free(struct ice_schema_index *ix) {
  if (!ix) return;
  for (size_t i = 0; i < ix->n; i++) {
    free(ix->e[i].name);
    free(ix->e[i].short_name);
  }
  free(ix->e);
  free(ix);
}

static char *join(const char *prefix, const char *name) {
  size_t a = prefix ? strlen(prefix) : 0, b = strlen(name);
  char *s = malloc(a + b + 2);
  if (!s) return NULL;
  if (a) {
    memcpy(s, prefix, a);
    s[a++] = '.';
  }
  memcpy(s + a, name, b + 1);
  return s;
}

/* Walks t's fields; prefix/short_prefix are the enclosing names (NULL at the root). */
static int index_walk(struct ice_schema_index *ix, const ice_type_t *t, const char *prefix, const char *short_prefix,
                      bool in_collection, bool via_optional, prestige_error_t *err) {
  for (size_t i = 0; i < t->n_fields; i++) {
    const ice_field_t *f = &t->fields[i];
    if (!f->name || !f->type)
      return prestige_error_set(err, PRESTIGE_ECORRUPT, "field %d has no name or type", f->id);
    if (ix->n == ix->cap) {
      size_t cap = ix->cap ? ix->cap * 2 : 16;
      index_entry_t *e = realloc(ix->e, cap * sizeof(*e));
      if (!e) return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory indexing a schema");
      ix->e = e;
      ix->cap = cap;
    }
    /* Java IndexByName: the short name skips "element"/"value" when it holds a struct */
    bool skip_short = t->id != ICE_STRUCT && f->type->id == ICE_STRUCT && strcmp(f->name, "key") != 0;
    char *name = join(prefix, f->name);
    char *short_name = skip_short ? (short_prefix ? strdup(short_prefix) : NULL) : join(short_prefix, f->name);
    index_entry_t *e = &ix->e[ix->n];
    *e = (index_entry_t){.id = f->id, .field = f, .name = name, .short_name = short_name,
                         .in_collection = in_collection, .via_optional_struct = via_optional};
    if (!name || (!short_name && !(skip_short && !short_prefix))) {
      free(name);
      free(short_name);
      return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory indexing a schema");
    }
    ix->n++;
    if (f->type->n_fields) {
      bool coll = in_collection || f->type->id != ICE_STRUCT;
      bool opt = via_optional || (f->type->id == ICE_STRUCT && !f->required);
      const char *sp = skip_short ? short_prefix : short_name;
      PRESTIGE_TRY(index_walk(ix, f->type, name, sp, coll, opt, err));
    }
  }
  return 0;
}

static int cmp_entry(const void *a, const void *b) {
  int32_t x = ((const index_entry_t *)a)->id, y = ((const index_entry_t *)b)->id;
  return (x > y) - (x < y);
}

static int cmp_name(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }

static int schema_index(ice_schema_t *s, prestige_error_t *err) {
  struct ice_schema_index *ix = calloc(1, sizeof(*ix));
  if (!ix) return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory indexing a schema");
  int rc = index_walk(ix, s->type, NULL, NULL, false, false, err);
  if (rc) {
    index_free(ix);
    return rc;
  }
  if (ix->n) qsort(ix->e, ix->n, sizeof(index_entry_t), cmp_entry);
  for (size_t i = 1; i < ix->n; i++)
    if (ix->e[i].id == ix->e[i - 1].id) {
      rc = prestige_error_set(err, PRESTIGE_ECORRUPT, "schema %d: field id %d is used by both \"%s\" and \"%s\"",
                              s->schema_id, ix->e[i].id, ix->e[i - 1].name, ix->e[i].name);
      index_free(ix);
      return rc;
    }
  if (ix->n > 1) {
    const char **names = malloc(ix->n * sizeof(char *));
    if (!names) {
      index_free(ix);
      return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory indexing a schema");
    }
    for (size_t i = 0; i < ix->n; i++) names[i] = ix->e[i].name;
    qsort(names, ix->n, sizeof(char *), cmp_name);
    for (size_t i = 1; i < ix->n && !rc; i++)
      if (!strcmp(names[i], names[i - 1]))
        rc = prestige_error_set(err, PRESTIGE_ECORRUPT, "schema %d: two fields are named \"%s\"", s->schema_id,
                                names[i]);
    free(names);
    if (rc) {
      index_free(ix);
      return rc;
    }
  }
  s->index = ix;
  return 0;
}

int ice_schema_new(int32_t schema_id, ice_type_t *root, int32_t *ids, size_t n_ids, ice_schema_t **out,
                   prestige_error_t *err) {
  ice_schema_t *s = calloc(1, sizeof(*s));
  if (!s) {
    ice_type_free(root);
    free(ids);
    return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory building a schema");
  }
  s->schema_id = schema_id;
  s->type = root;
  s->identifier_ids = ids;
  s->n_identifier_ids = n_ids;
  if (!root || root->id != ICE_STRUCT) {
    ice_schema_free(s);
    return prestige_error_set(err, PRESTIGE_ECORRUPT, "schema %d is not a struct", schema_id);
  }
  int rc = schema_index(s, err);
  if (rc) {
    ice_schema_free(s);
    return rc;
  }
  *out = s;
  return 0;
}

void ice_schema_free(ice_schema_t *s) {
  if (!s) return;
  ice_type_free(s->type);
  free(s->identifier_ids);
  index_free(s->index);
  free(s);
}

int ice_schema_copy(const ice_schema_t *s, ice_schema_t **out, prestige_error_t *err) {
  ice_type_t *t = NULL;
  PRESTIGE_TRY(ice_type_copy(s->type, &t, err));
  int32_t *ids = NULL;
  if (s->n_identifier_ids) {
    ids = malloc(s->n_identifier_ids * sizeof(int32_t));
    if (!ids) {
      ice_type_free(t);
      return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory copying a schema");
    }
    memcpy(ids, s->identifier_ids, s->n_identifier_ids * sizeof(int32_t));
  }
  return ice_schema_new(s->schema_id, t, ids, s->n_identifier_ids, out, err);
}

static const index_entry_t *entry_by_id(const ice_schema_t *s, int32_t id) {
  const struct ice_schema_index *ix = s->index;
  size_t lo = 0, hi = ix->n;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (ix->e[mid].id < id) lo = mid + 1;
    else hi = mid;
  }
  return lo < ix->n && ix->e[lo].id == id ? &ix->e[lo] : NULL;
}

const ice_field_t *ice_schema_find_id(const ice_schema_t *s, int32_t id) {
  const index_entry_t *e = entry_by_id(s, id);
  return e ? e->field : NULL;
}

const ice_field_t *ice_schema_find_name(const ice_schema_t *s, const char *name) {
  const struct ice_schema_index *ix = s->index;
  for (size_t i = 0; i < ix->n; i++)
    if (!strcmp(ix->e[i].name, name)) return ix->e[i].field;
  /* short names only where they do not collide with a canonical name (checked above) */
  for (size_t i = 0; i < ix->n; i++)
    if (ix->e[i].short_name && !strcmp(ix->e[i].short_name, name)) return ix->e[i].field;
  return NULL;
}

const char *ice_schema_field_name(const ice_schema_t *s, int32_t id) {
  const index_entry_t *e = entry_by_id(s, id);
  return e ? e->name : NULL;
}

int32_t ice_schema_highest_field_id(const ice_schema_t *s) {
  const struct ice_schema_index *ix = s->index;
  return ix->n ? ix->e[ix->n - 1].id : 0;
}

bool ice_schema_id_outside_collections(const ice_schema_t *s, int32_t id) {
  const index_entry_t *e = entry_by_id(s, id);
  return e && !e->in_collection;
}

bool ice_schema_same(const ice_schema_t *a, const ice_schema_t *b) {
  if (!ice_type_equal(a->type, b->type) || a->n_identifier_ids != b->n_identifier_ids) return false;
  for (size_t i = 0; i < a->n_identifier_ids; i++) {
    bool found = false;
    for (size_t j = 0; j < b->n_identifier_ids && !found; j++) found = a->identifier_ids[i] == b->identifier_ids[j];
    if (!found) return false;
  }
  return true;
}

int ice_schema_check_identifiers(const ice_schema_t *s, prestige_error_t *err) {
  for (size_t i = 0; i < s->n_identifier_ids; i++) {
    int32_t id = s->identifier_ids[i];
    const index_entry_t *e = entry_by_id(s, id);
    if (!e)
      return prestige_error_set(err, PRESTIGE_ECORRUPT, "schema %d: identifier field id %d is not a column",
                                s->schema_id, id);
    const ice_field_t *f = e->field;
    char tb[64];
    if (!ice_type_is_primitive(f->type->id) || f->type->id == ICE_FLOAT || f->type->id == ICE_DOUBLE)
      return prestige_error_set(err, PRESTIGE_ECORRUPT,
                                "schema %d: identifier field \"%s\" must be a primitive other than float/double, not %s",
                                s->schema_id, e->name, ice_type_to_string(f->type, tb, sizeof tb));
    if (!f->required)
      return prestige_error_set(err, PRESTIGE_ECORRUPT, "schema %d: identifier field \"%s\" must be required",
                                s->schema_id, e->name);
    if (e->in_collection || e->via_optional_struct)
      return prestige_error_set(err, PRESTIGE_ECORRUPT,
                                "schema %d: identifier field \"%s\" must not be nested in a list, map or optional struct",
                                s->schema_id, e->name);
  }
  return 0;
}

int ice_schema_check_version(const ice_schema_t *s, int format_version, prestige_error_t *err) {
  if (format_version >= 3) return 0;
  const struct ice_schema_index *ix = s->index;
  for (size_t i = 0; i < ix->n; i++) {
    const ice_field_t *f = ix->e[i].field;
    if (f->type->id == ICE_TIMESTAMP_NS || f->type->id == ICE_TIMESTAMPTZ_NS)
      return prestige_error_set(err, PRESTIGE_EINVAL, "column \"%s\": type %s needs format version 3 (table is v%d)",
                                ix->e[i].name, prim_names[f->type->id], format_version);
    if ((f->initial_default && !json_is_null(f->initial_default)) ||
        (f->write_default && !json_is_null(f->write_default)))
      return prestige_error_set(err, PRESTIGE_EINVAL, "column \"%s\": default values need format version 3 (table is v%d)",
                                ix->e[i].name, format_version);
  }
  return 0;
}

/* ---- fresh ids (Java TypeUtil.assignFreshIds: this struct's ids first, then depth first) --- */
static void assign_ids(ice_type_t *t, int32_t *last) {
  for (size_t i = 0; i < t->n_fields; i++) t->fields[i].id = ++*last;
  for (size_t i = 0; i < t->n_fields; i++) assign_ids(t->fields[i].type, last);
}

int ice_schema_assign_fresh_ids(const ice_schema_t *s, int32_t schema_id, int32_t *last_id, ice_schema_t **out,
                                prestige_error_t *err) {
  ice_type_t *t = NULL;
  PRESTIGE_TRY(ice_type_copy(s->type, &t, err));
  int32_t last = *last_id;
  assign_ids(t, &last);
  int32_t *ids = NULL;
  if (s->n_identifier_ids) {
    ids = malloc(s->n_identifier_ids * sizeof(int32_t));
    if (!ids) {
      ice_type_free(t);
      return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory assigning ids");
    }
  }
  ice_schema_t *fresh = NULL;
  int rc = ice_schema_new(schema_id, t, ids, s->n_identifier_ids, &fresh, err);
  if (rc) return rc;
  /* identifier fields follow their columns by name */
  for (size_t i = 0; i < s->n_identifier_ids; i++) {
    const char *name = ice_schema_field_name(s, s->identifier_ids[i]);
    const ice_field_t *f = name ? ice_schema_find_name(fresh, name) : NULL;
    if (!f) {
      ice_schema_free(fresh);
      return prestige_error_set(err, PRESTIGE_EINVAL, "identifier field id %d is not a column",
                                s->identifier_ids[i]);
    }
    fresh->identifier_ids[i] = f->id;
  }
  *last_id = last;
  *out = fresh;
  return 0;
}
