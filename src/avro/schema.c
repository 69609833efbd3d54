/* Avro schemas: JSON (jansson) to a tree of avro_node_t, every attribute kept. Avro spec
 * "Schema Declaration" and "Names"; Iceberg's extra attributes ride along in each node's JSON. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json_load.h"
#include "avro/avro_internal.h"

typedef struct parse {
  avro_schema_t *s;
  prestige_error_t *err;
  char path[256]; /* where we are, for messages: "field 'a' > field 'b'" */
} parse_t;

static const char *const type_names[] = {"null",   "boolean", "int",   "long",  "float", "double", "bytes",
                                         "string", "record",  "enum",  "array", "map",   "union",  "fixed"};

const char *avro_type_name(avro_type_t t) {
  return (unsigned)t < sizeof(type_names) / sizeof(type_names[0]) ? type_names[t] : "?";
}

static int fail(parse_t *p, const char *fmt, const char *arg) {
  char msg[512];
  snprintf(msg, sizeof msg, fmt, arg);
  if (p->path[0])
    return prestige_error_set(p->err, PRESTIGE_EINVAL, "Avro schema: %s: %s", p->path, msg);
  return prestige_error_set(p->err, PRESTIGE_EINVAL, "Avro schema: %s", msg);
}

static int nomem(parse_t *p) { return prestige_error_set(p->err, PRESTIGE_ENOMEM, "Avro schema: out of memory"); }

/* ---- named types: open addressing on the full name ---- */

static uint64_t hash_str(const char *s) {
  uint64_t h = 1469598103934665603ULL; /* FNV-1a */
  while (*s) h = (h ^ (uint8_t)*s++) * 1099511628211ULL;
  return h;
}

const avro_node_t *avro_schema_named(const avro_schema_t *s, const char *fullname) {
  if (!s->named_cap) return NULL;
  size_t mask = s->named_cap - 1;
  for (size_t i = hash_str(fullname) & mask;; i = (i + 1) & mask) {
    const avro_node_t *n = s->named[i];
    if (!n) return NULL;
    if (strcmp(n->name, fullname) == 0) return n;
  }
}

static int named_put(parse_t *p, const avro_node_t *node) {
  avro_schema_t *s = p->s;
  if (avro_schema_named(s, node->name)) return fail(p, "type '%s' is defined twice", node->name);
  if ((s->n_named + 1) * 2 > s->named_cap) {
    size_t cap = s->named_cap ? s->named_cap * 2 : 16;
    const avro_node_t **t = calloc(cap, sizeof(*t));
    if (!t) return nomem(p);
    for (size_t i = 0; i < s->named_cap; i++) {
      if (!s->named[i]) continue;
      size_t j = hash_str(s->named[i]->name) & (cap - 1);
      while (t[j]) j = (j + 1) & (cap - 1);
      t[j] = s->named[i];
    }
    free(s->named);
    s->named = t;
    s->named_cap = cap;
  }
  size_t j = hash_str(node->name) & (s->named_cap - 1);
  while (s->named[j]) j = (j + 1) & (s->named_cap - 1);
  s->named[j] = node;
  s->n_named++;
  return 0;
}

/* ---- helpers ---- */

static int primitive_type(const char *name, avro_type_t *t) {
  for (int i = AVRO_NULL; i <= AVRO_STRING; i++)
    if (strcmp(name, type_names[i]) == 0) {
      *t = (avro_type_t)i;
      return 1;
    }
  return 0;
}

/* An Iceberg id attribute: an integer in int32 range (a numeric string is accepted too, as
 * some writers quote it). Anything else is no id (the attribute is still kept). */
static int32_t id_attr(json_t *obj, const char *key) {
  json_t *v = json_object_get(obj, key);
  long long x;
  if (json_is_integer(v)) {
    x = json_integer_value(v);
  } else if (json_is_string(v)) {
    char *end;
    const char *str = json_string_value(v);
    x = strtoll(str, &end, 10);
    if (end == str || *end) return AVRO_NO_ID;
  } else {
    return AVRO_NO_ID;
  }
  return x >= INT32_MIN + 1 && x <= INT32_MAX ? (int32_t)x : AVRO_NO_ID;
}

static char *dup_str(parse_t *p, const char *str) { return arena_strndup(&p->s->arena, str, strlen(str)); }

/* Full name per the spec: a name with a dot is already full; else namespace.name. */
static char *full_name(parse_t *p, const char *name, const char *ns) {
  if (strchr(name, '.') || !ns || !*ns) return dup_str(p, name);
  size_t a = strlen(ns), b = strlen(name);
  char *f = arena_alloc(&p->s->arena, a + b + 2);
  if (!f) return NULL;
  memcpy(f, ns, a);
  f[a] = '.';
  memcpy(f + a + 1, name, b + 1);
  return f;
}

static const avro_node_t *lookup_ref(parse_t *p, const char *name, const char *ns) {
  const avro_node_t *n = NULL;
  if (!strchr(name, '.') && ns && *ns) {
    char buf[512];
    if ((size_t)snprintf(buf, sizeof buf, "%s.%s", ns, name) < sizeof buf) n = avro_schema_named(p->s, buf);
  }
  return n ? n : avro_schema_named(p->s, name);
}

static avro_node_t *new_node(parse_t *p, avro_type_t t, json_t *json) {
  avro_node_t *n = arena_calloc(&p->s->arena, 1, sizeof(*n));
  if (!n) return NULL;
  n->type = t;
  n->json = json;
  n->element_id = n->key_id = n->value_id = AVRO_NO_ID;
  n->enum_default = -1;
  n->null_branch = n->some_branch = -1;
  return n;
}

/* Pushes "label 'name'" onto the path for messages; returns the old length to restore. */
static size_t path_push(parse_t *p, const char *label, const char *name) {
  size_t old = strlen(p->path);
  snprintf(p->path + old, sizeof(p->path) - old, "%s%s '%s'", old ? " > " : "", label, name);
  return old;
}

static int parse_node(parse_t *p, json_t *j, const char *ns, int depth, const avro_node_t **out);

static void set_logical(avro_node_t *n, json_t *obj) {
  const char *lt = json_string_value(json_object_get(obj, "logicalType"));
  if (!lt) return;
  avro_type_t t = n->type;
  avro_logical_t l = AVRO_LOGICAL_OTHER;
  if (strcmp(lt, "date") == 0) {
    l = t == AVRO_INT ? AVRO_LOGICAL_DATE : AVRO_LOGICAL_NONE;
  } else if (strcmp(lt, "time-millis") == 0) {
    l = t == AVRO_INT ? AVRO_LOGICAL_TIME_MILLIS : AVRO_LOGICAL_NONE;
  } else if (strcmp(lt, "time-micros") == 0) {
    l = t == AVRO_LONG ? AVRO_LOGICAL_TIME_MICROS : AVRO_LOGICAL_NONE;
  } else if (strcmp(lt, "timestamp-millis") == 0) {
    l = t == AVRO_LONG ? AVRO_LOGICAL_TIMESTAMP_MILLIS : AVRO_LOGICAL_NONE;
  } else if (strcmp(lt, "timestamp-micros") == 0) {
    l = t == AVRO_LONG ? AVRO_LOGICAL_TIMESTAMP_MICROS : AVRO_LOGICAL_NONE;
  } else if (strcmp(lt, "timestamp-nanos") == 0) {
    l = t == AVRO_LONG ? AVRO_LOGICAL_TIMESTAMP_NANOS : AVRO_LOGICAL_NONE;
  } else if (strcmp(lt, "local-timestamp-millis") == 0) {
    l = t == AVRO_LONG ? AVRO_LOGICAL_LOCAL_TIMESTAMP_MILLIS : AVRO_LOGICAL_NONE;
  } else if (strcmp(lt, "local-timestamp-micros") == 0) {
    l = t == AVRO_LONG ? AVRO_LOGICAL_LOCAL_TIMESTAMP_MICROS : AVRO_LOGICAL_NONE;
  } else if (strcmp(lt, "local-timestamp-nanos") == 0) {
    l = t == AVRO_LONG ? AVRO_LOGICAL_LOCAL_TIMESTAMP_NANOS : AVRO_LOGICAL_NONE;
  } else if (strcmp(lt, "uuid") == 0) {
    l = t == AVRO_STRING || (t == AVRO_FIXED && n->size == 16) ? AVRO_LOGICAL_UUID : AVRO_LOGICAL_NONE;
  } else if (strcmp(lt, "duration") == 0) {
    l = t == AVRO_FIXED && n->size == 12 ? AVRO_LOGICAL_DURATION : AVRO_LOGICAL_NONE;
  } else if (strcmp(lt, "map") == 0) {
    /* Iceberg: a map with non-string keys is an array of records {key, value} */
    l = t == AVRO_ARRAY && n->items && n->items->type == AVRO_RECORD && n->items->n_fields == 2 ? AVRO_LOGICAL_MAP
                                                                                                  : AVRO_LOGICAL_NONE;
  } else if (strcmp(lt, "decimal") == 0) {
    /* invalid precision/scale make the logical type ignored (spec: "Decimal") */
    json_t *jp = json_object_get(obj, "precision"), *js = json_object_get(obj, "scale");
    long long prec = json_is_integer(jp) ? json_integer_value(jp) : 0;
    long long scale = js ? (json_is_integer(js) ? json_integer_value(js) : -1) : 0;
    l = AVRO_LOGICAL_NONE;
    if ((t == AVRO_BYTES || t == AVRO_FIXED) && prec > 0 && prec <= INT32_MAX && scale >= 0 && scale <= prec) {
      /* a fixed(n) holds at most floor(log10(2^(8n-1) - 1)) digits */
      int ok = 1;
      if (t == AVRO_FIXED) {
        double digits = n->size ? (8.0 * n->size - 1) * 0.30102999566398120 : 0;
        ok = (double)prec <= digits + 1e-9;
      }
      if (ok) {
        l = AVRO_LOGICAL_DECIMAL;
        n->precision = (int32_t)prec;
        n->scale = (int32_t)scale;
      }
    }
  }
  n->logical = l;
}

static int parse_fields(parse_t *p, avro_node_t *n, json_t *obj, const char *ns, int depth) {
  json_t *fields = json_object_get(obj, "fields");
  if (!json_is_array(fields)) return fail(p, "record '%s' has no \"fields\" array", n->name);
  size_t nf = json_array_size(fields);
  if (nf > UINT32_MAX) return fail(p, "record '%s' has too many fields", n->name);
  avro_field_t *fs = arena_calloc(&p->s->arena, nf ? nf : 1, sizeof(*fs));
  if (!fs) return nomem(p);
  n->fields = fs;
  for (size_t i = 0; i < nf; i++) {
    json_t *jf = json_array_get(fields, i);
    avro_field_t *f = &fs[i];
    if (!json_is_object(jf)) return fail(p, "record '%s': a field is not a JSON object", n->name);
    const char *name = json_string_value(json_object_get(jf, "name"));
    if (!name) return fail(p, "record '%s': a field has no \"name\"", n->name);
    for (size_t k = 0; k < i; k++)
      if (strcmp(fs[k].name, name) == 0) return fail(p, "duplicate field name '%s'", name);
    if (!(f->name = dup_str(p, name))) return nomem(p);
    f->index = (uint32_t)i;
    f->json = jf;
    f->default_value = json_object_get(jf, "default");
    f->field_id = id_attr(jf, "field-id");
    json_t *al = json_object_get(jf, "aliases");
    if (json_is_array(al) && json_array_size(al) > 0) {
      size_t na = json_array_size(al);
      const char **a = arena_calloc(&p->s->arena, na, sizeof(*a));
      if (!a) return nomem(p);
      for (size_t k = 0; k < na; k++) {
        const char *s = json_string_value(json_array_get(al, k));
        if (!s) return fail(p, "field '%s': an alias is not a string", name);
        if (!(a[k] = dup_str(p, s))) return nomem(p);
      }
      f->aliases = a;
      f->n_aliases = (uint32_t)na;
    }
    json_t *jt = json_object_get(jf, "type");
    if (!jt) return fail(p, "field '%s' has no \"type\"", name);
    size_t old = path_push(p, "field", name);
    int rc = parse_node(p, jt, ns, depth + 1, &f->type);
    if (rc) return rc;
    p->path[old] = '\0';
    n->n_fields = (uint32_t)(i + 1); /* visible to recursive references as fields complete */
  }
  n->n_fields = (uint32_t)nf;
  return 0;
}

static int parse_named(parse_t *p, avro_node_t *n, json_t *obj, const char *ns, const char **inner_ns) {
  const char *name = json_string_value(json_object_get(obj, "name"));
  if (!name || !*name) return fail(p, "a %s has no \"name\"", avro_type_name(n->type));
  const char *nsa = json_string_value(json_object_get(obj, "namespace"));
  if (json_object_get(obj, "namespace") && !nsa && !json_is_null(json_object_get(obj, "namespace")))
    return fail(p, "type '%s': \"namespace\" is not a string", name);
  if (nsa) ns = nsa;
  if (!(n->name = (char *)full_name(p, name, ns))) return nomem(p);
  const char *dot = strrchr(n->name, '.');
  *inner_ns = dot ? arena_strndup(&p->s->arena, n->name, (size_t)(dot - n->name)) : "";
  if (!*inner_ns) return nomem(p);
  return named_put(p, n);
}

static int parse_enum(parse_t *p, avro_node_t *n, json_t *obj) {
  json_t *syms = json_object_get(obj, "symbols");
  if (!json_is_array(syms)) return fail(p, "enum '%s' has no \"symbols\" array", n->name);
  size_t ns = json_array_size(syms);
  if (ns > INT32_MAX) return fail(p, "enum '%s' has too many symbols", n->name);
  const char **s = arena_calloc(&p->s->arena, ns ? ns : 1, sizeof(*s));
  if (!s) return nomem(p);
  for (size_t i = 0; i < ns; i++) {
    const char *sym = json_string_value(json_array_get(syms, i));
    if (!sym) return fail(p, "enum '%s': a symbol is not a string", n->name);
    for (size_t k = 0; k < i; k++)
      if (strcmp(s[k], sym) == 0) return fail(p, "enum symbol '%s' appears twice", sym);
    if (!(s[i] = dup_str(p, sym))) return nomem(p);
  }
  n->symbols = s;
  n->n_symbols = (uint32_t)ns;
  json_t *def = json_object_get(obj, "default");
  if (def) {
    const char *d = json_string_value(def);
    for (size_t i = 0; d && i < ns; i++)
      if (strcmp(s[i], d) == 0) n->enum_default = (int32_t)i;
    if (n->enum_default < 0) return fail(p, "enum '%s': \"default\" is not one of its symbols", n->name);
  }
  return 0;
}

static int parse_union(parse_t *p, json_t *j, const char *ns, int depth, const avro_node_t **out) {
  size_t nb = json_array_size(j);
  if (nb == 0) return fail(p, "%s", "empty union");
  if (nb > INT32_MAX) return fail(p, "%s", "union has too many branches");
  avro_node_t *n = new_node(p, AVRO_UNION, j);
  const avro_node_t **b = n ? arena_calloc(&p->s->arena, nb, sizeof(*b)) : NULL;
  if (!b) return nomem(p);
  for (size_t i = 0; i < nb; i++) {
    PRESTIGE_TRY(parse_node(p, json_array_get(j, i), ns, depth + 1, &b[i]));
    if (b[i]->type == AVRO_UNION) return fail(p, "%s", "a union directly inside a union");
    for (size_t k = 0; k < i; k++) {
      int same = b[k]->type == b[i]->type;
      if (same && b[i]->name) same = strcmp(b[k]->name, b[i]->name) == 0;
      if (same) return fail(p, "union has two branches of type %s", b[i]->name ? b[i]->name : avro_type_name(b[i]->type));
    }
    if (b[i]->type == AVRO_NULL)
      n->null_branch = (int32_t)i;
    else if (n->some_branch < 0)
      n->some_branch = (int32_t)i;
  }
  n->branches = b;
  n->n_branches = (uint32_t)nb;
  *out = n;
  return 0;
}

static int parse_object(parse_t *p, json_t *obj, const char *ns, int depth, const avro_node_t **out) {
  json_t *jt = json_object_get(obj, "type");
  const char *tn = json_string_value(jt);
  if (!tn) {
    if (json_is_object(jt) || json_is_array(jt)) return parse_node(p, jt, ns, depth + 1, out); /* {"type": {...}} */
    return fail(p, "%s", "a schema object has no string \"type\"");
  }
  avro_type_t t;
  avro_node_t *n;
  if (primitive_type(tn, &t)) {
    if (!(n = new_node(p, t, obj))) return nomem(p);
    set_logical(n, obj);
    *out = n;
    return 0;
  }
  const char *inner_ns = ns;
  if (strcmp(tn, "record") == 0 || strcmp(tn, "error") == 0) {
    if (!(n = new_node(p, AVRO_RECORD, obj))) return nomem(p);
    PRESTIGE_TRY(parse_named(p, n, obj, ns, &inner_ns));
    PRESTIGE_TRY(parse_fields(p, n, obj, inner_ns, depth));
  } else if (strcmp(tn, "enum") == 0) {
    if (!(n = new_node(p, AVRO_ENUM, obj))) return nomem(p);
    PRESTIGE_TRY(parse_named(p, n, obj, ns, &inner_ns));
    PRESTIGE_TRY(parse_enum(p, n, obj));
  } else if (strcmp(tn, "fixed") == 0) {
    if (!(n = new_node(p, AVRO_FIXED, obj))) return nomem(p);
    json_t *sz = json_object_get(obj, "size");
    if (!json_is_integer(sz) || json_integer_value(sz) < 0 || json_integer_value(sz) > INT32_MAX)
      return fail(p, "fixed '%s' needs a \"size\" between 0 and 2^31-1",
                  json_string_value(json_object_get(obj, "name")) ? json_string_value(json_object_get(obj, "name")) : "?");
    n->size = (uint32_t)json_integer_value(sz);
    PRESTIGE_TRY(parse_named(p, n, obj, ns, &inner_ns));
    set_logical(n, obj);
  } else if (strcmp(tn, "array") == 0) {
    if (!(n = new_node(p, AVRO_ARRAY, obj))) return nomem(p);
    json_t *items = json_object_get(obj, "items");
    if (!items) return fail(p, "%s", "an array has no \"items\"");
    PRESTIGE_TRY(parse_node(p, items, ns, depth + 1, &n->items));
    n->element_id = id_attr(obj, "element-id");
    set_logical(n, obj);
  } else if (strcmp(tn, "map") == 0) {
    if (!(n = new_node(p, AVRO_MAP, obj))) return nomem(p);
    json_t *values = json_object_get(obj, "values");
    if (!values) return fail(p, "%s", "a map has no \"values\"");
    PRESTIGE_TRY(parse_node(p, values, ns, depth + 1, &n->values));
    n->key_id = id_attr(obj, "key-id");
    n->value_id = id_attr(obj, "value-id");
    set_logical(n, obj);
  } else {
    const avro_node_t *ref = lookup_ref(p, tn, ns);
    if (!ref) return fail(p, "unknown type '%s'", tn);
    *out = ref;
    return 0;
  }
  *out = n;
  return 0;
}

static int parse_node(parse_t *p, json_t *j, const char *ns, int depth, const avro_node_t **out) {
  if (depth > AVRO_MAX_DEPTH) return fail(p, "nesting deeper than %s levels", "128");
  if (json_is_string(j)) {
    const char *tn = json_string_value(j);
    avro_type_t t;
    if (primitive_type(tn, &t)) {
      avro_node_t *n = new_node(p, t, j);
      if (!n) return nomem(p);
      *out = n;
      return 0;
    }
    const avro_node_t *ref = lookup_ref(p, tn, ns);
    if (!ref) return fail(p, "unknown type '%s'", tn);
    *out = ref;
    return 0;
  }
  if (json_is_array(j)) return parse_union(p, j, ns, depth, out);
  if (json_is_object(j)) return parse_object(p, j, ns, depth, out);
  return fail(p, "%s", "a schema must be a type name, an object or a union array");
}

/* Fewest bytes a value encodes to, for count checks before allocation. A record on a cycle
 * counts 0 where the cycle closes, so the result is a lower bound; a type whose bound is 0
 * either always encodes to no bytes or has no finite value at all (decoding it hits the depth
 * cap). Records are shared (named), other nodes hang under one parent, so one pass with a
 * state per record visits every node once. */
#define MIN_UNSET UINT64_MAX
#define MIN_BUSY (UINT64_MAX - 1)
#define MIN_CAP (UINT64_MAX - 2)

static uint64_t sat_add(uint64_t a, uint64_t b) { return a > MIN_CAP - b ? MIN_CAP : a + b; }

static uint64_t compute_min(avro_node_t *n, int depth, bool *too_deep) {
  if (depth > AVRO_MAX_DEPTH) {
    *too_deep = true; /* through named references: each definition alone was within the cap */
    return 0;
  }
  switch (n->type) {
    case AVRO_NULL: n->min_bytes = 0; break;
    case AVRO_FLOAT: n->min_bytes = 4; break;
    case AVRO_DOUBLE: n->min_bytes = 8; break;
    case AVRO_FIXED: n->min_bytes = n->size; break;
    case AVRO_RECORD: {
      if (n->min_bytes == MIN_BUSY) return 0;
      if (n->min_bytes != MIN_UNSET) return n->min_bytes;
      n->min_bytes = MIN_BUSY;
      uint64_t sum = 0;
      for (uint32_t i = 0; i < n->n_fields; i++) sum = sat_add(sum, compute_min((avro_node_t *)n->fields[i].type, depth + 1, too_deep));
      n->min_bytes = sum;
      break;
    }
    case AVRO_UNION:
      for (uint32_t i = 0; i < n->n_branches; i++) compute_min((avro_node_t *)n->branches[i], depth + 1, too_deep);
      n->min_bytes = 1;
      break;
    case AVRO_ARRAY:
      compute_min((avro_node_t *)n->items, depth + 1, too_deep);
      n->min_bytes = 1;
      break;
    case AVRO_MAP:
      compute_min((avro_node_t *)n->values, depth + 1, too_deep);
      n->min_bytes = 1;
      break;
    default: n->min_bytes = 1; break; /* boolean, varints, length-prefixed */
  }
  return n->min_bytes;
}

/* every record starts unset */
static void mark_records(avro_schema_t *s) {
  for (size_t i = 0; i < s->named_cap; i++)
    if (s->named[i] && s->named[i]->type == AVRO_RECORD) ((avro_node_t *)s->named[i])->min_bytes = MIN_UNSET;
}

static int build(avro_schema_t **out, json_t *json, char *text, size_t text_len, prestige_error_t *err) {
  avro_schema_t *s = calloc(1, sizeof(*s));
  if (!s) {
    json_decref(json);
    free(text);
    return prestige_error_set(err, PRESTIGE_ENOMEM, "Avro schema: out of memory");
  }
  s->json = json;
  s->text = text;
  s->text_len = text_len;
  parse_t p = {.s = s, .err = err};
  const avro_node_t *root;
  int rc = parse_node(&p, json, "", 0, &root);
  if (rc) {
    avro_schema_free(s);
    return rc;
  }
  s->root = (avro_node_t *)root;
  mark_records(s);
  bool too_deep = false;
  compute_min(s->root, 0, &too_deep);
  if (too_deep) {
    avro_schema_free(s);
    return prestige_error_set(err, PRESTIGE_EINVAL, "Avro schema: nesting deeper than %d levels", AVRO_MAX_DEPTH);
  }
  *out = s;
  return 0;
}

int avro_schema_parse(avro_schema_t **out, const char *text, size_t len, prestige_error_t *err) {
  prestige_error_t local_err;
  if (!err) err = &local_err;
  *out = NULL;
  json_error_t je;
  bool oom;
  json_t *j = json_loadb_checked(text, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &je, &oom);
  if (!j && oom)
    return prestige_error_set(err, PRESTIGE_ENOMEM, "Avro schema: out of memory parsing the JSON");
  if (!j)
    return prestige_error_set(err, PRESTIGE_EINVAL, "Avro schema: invalid JSON at line %d column %d: %s", je.line,
                              je.column, je.text);
  char *copy = malloc(len + 1);
  if (!copy) {
    json_decref(j);
    return prestige_error_set(err, PRESTIGE_ENOMEM, "Avro schema: out of memory");
  }
  memcpy(copy, text, len);
  copy[len] = '\0';
  return build(out, j, copy, len, err);
}

int avro_schema_from_json(avro_schema_t **out, json_t *json, prestige_error_t *err) {
  prestige_error_t local_err;
  if (!err) err = &local_err;
  *out = NULL;
  char *text = json_dumps(json, JSON_COMPACT | JSON_ENCODE_ANY);
  if (!text) return prestige_error_set(err, PRESTIGE_ENOMEM, "Avro schema: cannot serialise the JSON");
  return build(out, json_incref(json), text, strlen(text), err);
}

void avro_schema_free(avro_schema_t *s) {
  if (!s) return;
  arena_release(&s->arena);
  json_decref(s->json);
  free(s->text);
  free(s->named);
  free(s);
}

const avro_node_t *avro_schema_root(const avro_schema_t *s) { return s->root; }

const char *avro_schema_text(const avro_schema_t *s, size_t *len) {
  if (len) *len = s->text_len;
  return s->text;
}

char *avro_schema_to_json(const avro_schema_t *s, size_t *len) {
  char *t = json_dumps(s->json, JSON_COMPACT | JSON_ENCODE_ANY);
  if (t && len) *len = strlen(t);
  return t;
}

int32_t avro_field_index(const avro_node_t *record, const char *name) {
  if (!record || record->type != AVRO_RECORD) return -1;
  for (uint32_t i = 0; i < record->n_fields; i++)
    if (strcmp(record->fields[i].name, name) == 0) return (int32_t)i;
  return -1;
}

int32_t avro_field_index_by_id(const avro_node_t *record, int32_t field_id) {
  if (!record || record->type != AVRO_RECORD || field_id == AVRO_NO_ID) return -1;
  for (uint32_t i = 0; i < record->n_fields; i++)
    if (record->fields[i].field_id == field_id) return (int32_t)i;
  return -1;
}

const avro_node_t *avro_node_nonnull(const avro_node_t *n) {
  if (n && n->type == AVRO_UNION && n->n_branches == 2 && n->null_branch >= 0) return n->branches[n->some_branch];
  return n;
}

json_t *avro_node_attr(const avro_node_t *n, const char *key) {
  return json_is_object(n->json) ? json_object_get(n->json, key) : NULL;
}

json_t *avro_field_attr(const avro_field_t *f, const char *key) { return json_object_get(f->json, key); }
