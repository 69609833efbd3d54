/* Parquet schema tree -> Arrow-shaped node tree, following the LIST/MAP backward-compatibility
 * rules of parquet-format LogicalTypes.md (2-level lists, repeated fields without annotation). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parquet/reader_internal.h"

typedef struct walk {
  rschema_t *s;
  const pq_file_metadata_t *m;
  int32_t pos;   /* next schema element */
  int32_t leaf;  /* next leaf column index */
  int depth;
  prestige_error_t *err;
} walk_t;

static int bad(walk_t *w, const char *what, const char *name) {
  return prestige_error_set(w->err, PRESTIGE_ECORRUPT, "unsupported or corrupt schema at \"%s\": %s", name ? name : "", what);
}

static rnode_t *new_node(walk_t *w, rn_kind_t kind, const char *name, rnode_t *parent) {
  rnode_t *n = arena_calloc(&w->s->arena, 1, sizeof(*n));
  if (!n) return NULL;
  n->kind = kind;
  n->name = name;
  n->parent = parent;
  n->field_id = -1;
  n->first_leaf = -1;
  return n;
}

static bool is_group(const pq_schema_element_t *e) { return e->has_num_children && e->num_children > 0; }
static int lt_kind(const pq_schema_element_t *e) { return e->logical_type ? e->logical_type->kind : PQ_LT_NONE; }

/* Arrow format of a primitive leaf from its physical and logical/converted type. */
static void leaf_format(const pq_schema_element_t *e, char *f, size_t n) {
  const pq_logical_type_t *lt = e->logical_type;
  int ct = e->has_converted_type ? e->converted_type : -1;
  int k = lt ? lt->kind : PQ_LT_NONE;
  static const char tu[] = "?mun";
  switch (e->type) {
    case PRESTIGE_PHYSICAL_BOOLEAN: snprintf(f, n, "b"); return;
    case PRESTIGE_PHYSICAL_INT32:
      if (k == PQ_LT_INTEGER) {
        int bw = lt->bit_width;
        snprintf(f, n, "%s", bw == 8 ? (lt->is_signed ? "c" : "C") : bw == 16 ? (lt->is_signed ? "s" : "S") : lt->is_signed ? "i" : "I");
      } else if (k == PQ_LT_DATE || ct == PQ_CT_DATE) snprintf(f, n, "tdD");
      else if (k == PQ_LT_TIME || ct == PQ_CT_TIME_MILLIS) snprintf(f, n, "ttm");
      else if (k == PQ_LT_DECIMAL) snprintf(f, n, "d:%d,%d", lt->precision, lt->scale);
      else if (ct == PQ_CT_DECIMAL) snprintf(f, n, "d:%d,%d", e->precision, e->scale);
      else if (ct == PQ_CT_INT_8) snprintf(f, n, "c");
      else if (ct == PQ_CT_INT_16) snprintf(f, n, "s");
      else if (ct == PQ_CT_UINT_8) snprintf(f, n, "C");
      else if (ct == PQ_CT_UINT_16) snprintf(f, n, "S");
      else if (ct == PQ_CT_UINT_32) snprintf(f, n, "I");
      else if (k == PQ_LT_UNKNOWN) snprintf(f, n, "n");
      else snprintf(f, n, "i");
      return;
    case PRESTIGE_PHYSICAL_INT64:
      if (k == PQ_LT_INTEGER) snprintf(f, n, "%s", lt->is_signed ? "l" : "L");
      else if (k == PQ_LT_TIMESTAMP)
        snprintf(f, n, "ts%c:%s", tu[lt->unit >= 1 && lt->unit <= 3 ? lt->unit : 2], lt->is_adjusted_to_utc ? "UTC" : "");
      else if (k == PQ_LT_TIME) snprintf(f, n, "tt%c", lt->unit == PQ_TIME_NANOS ? 'n' : 'u');
      else if (k == PQ_LT_DECIMAL) snprintf(f, n, "d:%d,%d", lt->precision, lt->scale);
      else if (ct == PQ_CT_DECIMAL) snprintf(f, n, "d:%d,%d", e->precision, e->scale);
      else if (ct == PQ_CT_TIMESTAMP_MILLIS) snprintf(f, n, "tsm:UTC");
      else if (ct == PQ_CT_TIMESTAMP_MICROS) snprintf(f, n, "tsu:UTC");
      else if (ct == PQ_CT_TIME_MICROS) snprintf(f, n, "ttu");
      else if (ct == PQ_CT_UINT_64) snprintf(f, n, "L");
      else snprintf(f, n, "l");
      return;
    case PRESTIGE_PHYSICAL_INT96: snprintf(f, n, "tsu:"); return; /* the unit is the reader's option */
    case PRESTIGE_PHYSICAL_FLOAT: snprintf(f, n, "f"); return;
    case PRESTIGE_PHYSICAL_DOUBLE: snprintf(f, n, "g"); return;
    case PRESTIGE_PHYSICAL_BYTE_ARRAY:
      if (k == PQ_LT_DECIMAL) snprintf(f, n, "d:%d,%d", lt->precision, lt->scale);
      else if (ct == PQ_CT_DECIMAL) snprintf(f, n, "d:%d,%d", e->precision, e->scale);
      else if (k == PQ_LT_STRING || k == PQ_LT_ENUM || k == PQ_LT_JSON || ct == PQ_CT_UTF8 || ct == PQ_CT_ENUM || ct == PQ_CT_JSON)
        snprintf(f, n, "u"); /* ENUM values are names: text, as DuckDB and parquet-mr's Avro enums read them */
      else snprintf(f, n, "z");
      return;
    case PRESTIGE_PHYSICAL_FIXED_LEN_BYTE_ARRAY:
      if (k == PQ_LT_DECIMAL) snprintf(f, n, "d:%d,%d", lt->precision, lt->scale);
      else if (ct == PQ_CT_DECIMAL) snprintf(f, n, "d:%d,%d", e->precision, e->scale);
      else if (k == PQ_LT_FLOAT16 && e->type_length == 2) snprintf(f, n, "e");
      /* Parquet INTERVAL: three little-endian uint32 (months, days, milliseconds), read as Arrow's
       * month_day_nano so that it stays an interval (Arrow C++ reads it as fixed_size_binary(12)) */
      else if (ct == PQ_CT_INTERVAL && e->type_length == 12) snprintf(f, n, "tin");
      else snprintf(f, n, "w:%d", e->type_length > 0 ? e->type_length : 1);
      return;
    default: snprintf(f, n, "n"); return;
  }
}

/* The Arrow extension type that keeps a leaf's annotation (see prestige/arrow.h), NULL for none. */
static const char *leaf_extension(const pq_schema_element_t *e, const char *format) {
  int k = e->logical_type ? e->logical_type->kind : PQ_LT_NONE;
  int ct = e->has_converted_type ? e->converted_type : -1;
  if (e->type == PRESTIGE_PHYSICAL_FIXED_LEN_BYTE_ARRAY && k == PQ_LT_UUID && !strcmp(format, "w:16"))
    return PRESTIGE_EXTENSION_UUID;
  if (e->type != PRESTIGE_PHYSICAL_BYTE_ARRAY || format[0] == 'd') return NULL;
  if (k == PQ_LT_JSON || (k == PQ_LT_NONE && ct == PQ_CT_JSON)) return PRESTIGE_EXTENSION_JSON;
  if (k == PQ_LT_ENUM || (k == PQ_LT_NONE && ct == PQ_CT_ENUM)) return PRESTIGE_EXTENSION_ENUM;
  if (k == PQ_LT_BSON || (k == PQ_LT_NONE && ct == PQ_CT_BSON)) return PRESTIGE_EXTENSION_BSON;
  return NULL;
}

static int parse(walk_t *w, rnode_t *parent, int16_t def, int16_t rep, bool force_required, rnode_t **out);

static int make_leaf(walk_t *w, const pq_schema_element_t *e, rnode_t *parent, int16_t def, int16_t rep, bool nullable,
                     rnode_t **out) {
  rnode_t *n = new_node(w, RN_LEAF, e->name, parent);
  if (!n) return prestige_error_set(w->err, PRESTIGE_ENOMEM, "out of memory");
  n->nullable = nullable;
  n->def = def;
  n->max_rep = rep;
  n->leaf = w->leaf++;
  n->first_leaf = n->leaf;
  n->el = e;
  n->physical = e->type;
  n->type_length = e->type_length;
  if (e->has_field_id) n->field_id = e->field_id;
  if (e->type == PRESTIGE_PHYSICAL_FIXED_LEN_BYTE_ARRAY && (!e->has_type_length || e->type_length <= 0))
    return bad(w, "FIXED_LEN_BYTE_ARRAY without a positive type_length", e->name);
  leaf_format(e, n->format, sizeof(n->format));
  n->extension = leaf_extension(e, n->format);
  if (n->leaf >= w->s->n_leaves) return bad(w, "more leaves than expected", e->name);
  w->s->leaves[n->leaf] = n;
  *out = n;
  return 0;
}

/* A list node over an element parsed from element index `elem` (or the repeated field itself). */
static int make_list(walk_t *w, const pq_schema_element_t *e, rnode_t *parent, int16_t def, int16_t rep, bool nullable,
                     rnode_t **out) {
  rnode_t *n = new_node(w, RN_LIST, e->name, parent);
  if (!n) return prestige_error_set(w->err, PRESTIGE_ENOMEM, "out of memory");
  n->nullable = nullable;
  n->def = def;
  n->elem_def = (int16_t)(def + 1);
  n->rep = (int16_t)(rep + 1);
  if (e->has_field_id) n->field_id = e->field_id;
  n->children = arena_calloc(&w->s->arena, 1, sizeof(rnode_t *));
  if (!n->children) return prestige_error_set(w->err, PRESTIGE_ENOMEM, "out of memory");
  n->n_children = 1;
  snprintf(n->format, sizeof(n->format), "+l");
  *out = n;
  return 0;
}

static int parse_children(walk_t *w, rnode_t *n, const pq_schema_element_t *e, int16_t def, int16_t rep) {
  n->children = arena_calloc(&w->s->arena, (size_t)e->num_children, sizeof(rnode_t *));
  if (!n->children) return prestige_error_set(w->err, PRESTIGE_ENOMEM, "out of memory");
  n->n_children = e->num_children;
  for (int32_t i = 0; i < e->num_children; i++) PRESTIGE_TRY(parse(w, n, def, rep, false, &n->children[i]));
  return 0;
}

static int parse(walk_t *w, rnode_t *parent, int16_t def, int16_t rep, bool force_required, rnode_t **out) {
  if (w->pos >= w->m->n_schema) return bad(w, "schema ends early", parent ? parent->name : "");
  if (++w->depth > 100) return bad(w, "nested too deeply", parent ? parent->name : "");
  const pq_schema_element_t *e = &w->m->schema[w->pos++];
  int r = force_required ? PQ_REQUIRED : e->has_repetition ? e->repetition : PQ_OPTIONAL;
  bool opt = r == PQ_OPTIONAL;
  int16_t d = (int16_t)(def + (opt ? 1 : 0));
  int rc = 0;
  if (!is_group(e)) {
    if (r == PQ_REPEATED) { /* repeated primitive: a list of required values */
      rc = make_list(w, e, parent, def, rep, false, out);
      if (!rc) rc = make_leaf(w, e, *out, (int16_t)(def + 1), (int16_t)(rep + 1), false, &(*out)->children[0]);
    } else {
      rc = make_leaf(w, e, parent, d, rep, opt, out);
    }
    w->depth--;
    return rc;
  }
  int lk = lt_kind(e);
  bool is_list = lk == PQ_LT_LIST || (e->has_converted_type && e->converted_type == PQ_CT_LIST);
  bool is_map = lk == PQ_LT_MAP || (e->has_converted_type && (e->converted_type == PQ_CT_MAP || e->converted_type == PQ_CT_MAP_KEY_VALUE));
  if (r == PQ_REPEATED && !is_list && !is_map) {
    /* repeated group without annotation: a list of required structs */
    rc = make_list(w, e, parent, def, rep, false, out);
    if (rc) return rc;
    rnode_t *st = new_node(w, RN_STRUCT, e->name, *out);
    if (!st) return prestige_error_set(w->err, PRESTIGE_ENOMEM, "out of memory");
    st->def = (int16_t)(def + 1);
    snprintf(st->format, sizeof(st->format), "+s");
    (*out)->children[0] = st;
    rc = parse_children(w, st, e, (int16_t)(def + 1), (int16_t)(rep + 1));
    w->depth--;
    return rc;
  }
  if (is_list && e->num_children == 1) {
    rc = make_list(w, e, parent, d, rep, opt, out);
    if (rc) return rc;
    rnode_t *L = *out;
    const pq_schema_element_t *r2 = &w->m->schema[w->pos];
    if (w->pos >= w->m->n_schema || !r2->has_repetition || r2->repetition != PQ_REPEATED)
      return bad(w, "LIST whose child is not repeated", e->name);
    bool two_level = !is_group(r2) || r2->num_children > 1 || !strcmp(r2->name, "array") ||
                     (strlen(r2->name) == strlen(e->name) + 6 && !strncmp(r2->name, e->name, strlen(e->name)) &&
                      !strcmp(r2->name + strlen(e->name), "_tuple"));
    if (two_level) {
      /* the repeated field itself is the element (required) */
      rc = parse(w, L, L->elem_def, L->rep, true, &L->children[0]);
      /* parse() added no def level for it (forced required), which is right: the repeated
       * level is L->elem_def itself */
    } else {
      w->pos++; /* the repeated group "list" */
      rc = parse(w, L, L->elem_def, L->rep, false, &L->children[0]);
    }
    w->depth--;
    return rc;
  }
  if (is_map && e->num_children == 1) {
    rnode_t *M = new_node(w, RN_MAP, e->name, parent);
    if (!M) return prestige_error_set(w->err, PRESTIGE_ENOMEM, "out of memory");
    M->nullable = opt;
    M->def = d;
    M->elem_def = (int16_t)(d + 1);
    M->rep = (int16_t)(rep + 1);
    if (e->has_field_id) M->field_id = e->field_id;
    snprintf(M->format, sizeof(M->format), "+m");
    const pq_schema_element_t *kv = &w->m->schema[w->pos];
    if (w->pos < w->m->n_schema && is_group(kv) && kv->num_children == 1 && kv->repetition == PQ_REPEATED) {
      /* a MAP without values: read as a list of its keys, as Arrow C++ does */
      M->kind = RN_LIST;
      snprintf(M->format, sizeof(M->format), "+l");
      M->children = arena_calloc(&w->s->arena, 1, sizeof(rnode_t *));
      if (!M->children) return prestige_error_set(w->err, PRESTIGE_ENOMEM, "out of memory");
      M->n_children = 1;
      w->pos++;
      rc = parse(w, M, M->elem_def, M->rep, false, &M->children[0]);
      *out = M;
      w->depth--;
      return rc;
    }
    if (w->pos >= w->m->n_schema || !is_group(kv) || kv->num_children != 2 || kv->repetition != PQ_REPEATED)
      return bad(w, "MAP without a repeated key_value group of two fields", e->name);
    w->pos++;
    rnode_t *entries = new_node(w, RN_STRUCT, "entries", M);
    M->children = arena_calloc(&w->s->arena, 1, sizeof(rnode_t *));
    if (!entries || !M->children) return prestige_error_set(w->err, PRESTIGE_ENOMEM, "out of memory");
    M->n_children = 1;
    M->children[0] = entries;
    entries->def = M->elem_def;
    snprintf(entries->format, sizeof(entries->format), "+s");
    rc = parse_children(w, entries, kv, M->elem_def, M->rep);
    if (!rc && entries->children[0]->nullable) entries->children[0]->nullable = false; /* Arrow map keys are non-null */
    *out = M;
    w->depth--;
    return rc;
  }
  rnode_t *st = new_node(w, RN_STRUCT, e->name, parent);
  if (!st) return prestige_error_set(w->err, PRESTIGE_ENOMEM, "out of memory");
  st->nullable = opt;
  st->def = d;
  if (e->has_field_id) st->field_id = e->field_id;
  snprintf(st->format, sizeof(st->format), "+s");
  rc = parse_children(w, st, e, d, rep);
  *out = st;
  w->depth--;
  return rc;
}

static int32_t set_first_leaf(rnode_t *n) {
  if (n->kind == RN_LEAF) return n->first_leaf;
  n->first_leaf = -1;
  for (int32_t i = 0; i < n->n_children; i++) {
    int32_t f = set_first_leaf(n->children[i]);
    if (n->first_leaf < 0) n->first_leaf = f;
  }
  return n->first_leaf;
}

int rschema_build(rschema_t *s, const pq_file_metadata_t *m, prestige_error_t *err) {
  memset(s, 0, sizeof(*s));
  walk_t w = {.s = s, .m = m, .pos = 1, .err = err};
  const pq_schema_element_t *root = &m->schema[0];
  for (int32_t i = 1; i < m->n_schema; i++)
    if (!is_group(&m->schema[i])) s->n_leaves++;
  s->leaves = arena_calloc(&s->arena, (size_t)(s->n_leaves ? s->n_leaves : 1), sizeof(rnode_t *));
  int32_t nt = root->has_num_children ? root->num_children : 0;
  s->top = arena_calloc(&s->arena, (size_t)(nt ? nt : 1), sizeof(rnode_t *));
  if (!s->leaves || !s->top) return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
  s->n_top = nt;
  for (int32_t i = 0; i < nt; i++) {
    int rc = parse(&w, NULL, 0, 0, false, &s->top[i]);
    if (rc) return rc;
    if (set_first_leaf(s->top[i]) < 0) return bad(&w, "a group with no leaf columns", s->top[i]->name);
  }
  if (w.leaf != s->n_leaves) return bad(&w, "leaf count mismatch", root->name);
  return 0;
}

int rschema_set_int96_unit(rschema_t *s, int unit, prestige_error_t *err) {
  static const char letter[] = {'u', 'n', 'm', 's'}; /* by prestige_int96_unit_t */
  if (unit < PRESTIGE_INT96_MICROS || unit > PRESTIGE_INT96_SECONDS)
    return prestige_error_set(err, PRESTIGE_EINVAL, "reader option int96_unit: %d is not a prestige_int96_unit_t", unit);
  for (int32_t l = 0; l < s->n_leaves; l++)
    if (s->leaves[l]->physical == PRESTIGE_PHYSICAL_INT96) snprintf(s->leaves[l]->format, sizeof(s->leaves[l]->format), "ts%c:", letter[unit]);
  return 0;
}

int rnode_set_metadata(const rnode_t *n, struct ArrowSchema *s, prestige_error_t *err) {
  int32_t np = prestige_metadata_count(n->arrow_metadata);
  for (int32_t i = 0; i < np; i++) {
    const char *k, *v;
    int32_t kl, vl;
    if (!prestige_metadata_pair(n->arrow_metadata, i, &k, &kl, &v, &vl)) continue;
    char *key = strndup(k, (size_t)kl);
    if (!key) return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
    int rc = 0;
    if (strcmp(key, "PARQUET:field_id") != 0) /* the Parquet schema's id is the one that holds */
      rc = prestige_schema_metadata_put(s, key, v, vl, err);
    free(key);
    if (rc) return rc;
  }
  if (n->field_id >= 0) {
    char id[16];
    snprintf(id, sizeof(id), "%d", n->field_id);
    PRESTIGE_TRY(prestige_schema_metadata_put(s, "PARQUET:field_id", id, -1, err));
  }
  const char *cur;
  int32_t cl;
  /* the annotation decides; parameters ARROW:schema stored for the same extension are kept */
  if (n->extension && (!prestige_schema_extension_name(s, &cur, &cl) || (size_t)cl != strlen(n->extension) ||
                       memcmp(cur, n->extension, (size_t)cl)))
    PRESTIGE_TRY(prestige_schema_set_extension(s, n->extension, NULL, err));
  return 0;
}

void rschema_release(rschema_t *s) {
  arena_release(&s->arena);
  memset(s, 0, sizeof(*s));
}
