/* Arrow schema -> Parquet schema elements and leaf column descriptors (as Arrow C++ maps them). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arrow/field_id.h"
#include "parquet/writer_internal.h"

typedef struct builder {
  pqw_schema_t *s;
  int32_t cap_elements, cap_leaves;
  const prestige_parquet_writer_options_t *o;
  prestige_error_t *err;
} builder_t;

static int oom(builder_t *b) { return prestige_error_set(b->err, PRESTIGE_ENOMEM, "parquet writer: out of memory building the schema"); }

static pq_schema_element_t *new_element(builder_t *b, const char *name) {
  pqw_schema_t *s = b->s;
  if (s->n_elements == b->cap_elements) {
    int32_t cap = b->cap_elements ? b->cap_elements * 2 : 16;
    pq_schema_element_t *e = realloc(s->elements, (size_t)cap * sizeof(*e));
    if (!e) return NULL;
    s->elements = e;
    b->cap_elements = cap;
  }
  pq_schema_element_t *e = &s->elements[s->n_elements++];
  memset(e, 0, sizeof(*e));
  e->name = arena_strndup(&s->arena, name, strlen(name));
  return e->name ? e : NULL;
}

static pq_logical_type_t *new_logical(builder_t *b, int kind) {
  pq_logical_type_t *lt = arena_calloc(&b->s->arena, 1, sizeof(*lt));
  if (lt) lt->kind = kind;
  return lt;
}

static int32_t decimal_bytes(int32_t precision) {
  int32_t n = 1;
  /* smallest n with 8n - 1 >= precision * log2(10) */
  while ((double)(8 * n - 1) < (double)precision * 3.321928094887362) n++;
  return n;
}

/* Sets physical/logical/converted type of a leaf element and the leaf's conversion. */
/* The annotation an Arrow extension type asks for (see prestige/arrow.h); the storage type has
 * set the physical type already. */
static int extension_type(builder_t *b, const struct ArrowSchema *f, pq_schema_element_t *e, pq_logical_type_t **lt) {
  prestige_arrow_extension_t ext;
  PRESTIGE_TRY(prestige_schema_extension(f, &ext, b->err));
  int kind = PQ_LT_NONE, ct = -1;
  switch (ext) {
    case PRESTIGE_ARROW_EXT_UUID: kind = PQ_LT_UUID; break; /* UUID has no converted type */
    case PRESTIGE_ARROW_EXT_JSON: kind = PQ_LT_JSON, ct = PQ_CT_JSON; break;
    /* BSON without its converted type: DuckDB refuses a whole file whose schema holds converted
     * type BSON (20) but reads the logical type alone (as BLOB), and readers that know BSON know
     * the logical type */
    case PRESTIGE_ARROW_EXT_BSON: kind = PQ_LT_BSON; break;
    case PRESTIGE_ARROW_EXT_ENUM: kind = PQ_LT_ENUM, ct = PQ_CT_ENUM; break;
    default: return 0; /* unknown extensions are written as their storage type */
  }
  if (!(*lt = new_logical(b, kind))) return oom(b);
  e->has_converted_type = ct >= 0;
  e->converted_type = ct >= 0 ? ct : 0;
  return 0;
}

static int leaf_type(builder_t *b, const struct ArrowSchema *f, pq_schema_element_t *e, pqw_leaf_t *leaf) {
  prestige_arrow_type_info_t t;
  PRESTIGE_TRY(prestige_arrow_schema_type(f, &t, b->err));
  e->has_type = true;
  leaf->sort = SORT_SIGNED;
  pq_logical_type_t *lt = NULL;
#define INTEGER(bits, sgn)                           \
  do {                                               \
    if (!(lt = new_logical(b, PQ_LT_INTEGER))) return oom(b); \
    lt->bit_width = bits;                            \
    lt->is_signed = sgn;                             \
    e->has_converted_type = true;                    \
  } while (0)
  switch (t.type) {
    case PRESTIGE_ARROW_NA:
      e->type = PRESTIGE_PHYSICAL_INT32;
      leaf->conv = CONV_NULL;
      if (!(lt = new_logical(b, PQ_LT_UNKNOWN))) return oom(b);
      break;
    case PRESTIGE_ARROW_BOOL: e->type = PRESTIGE_PHYSICAL_BOOLEAN; leaf->conv = CONV_BOOL; leaf->sort = SORT_BOOL; break;
    case PRESTIGE_ARROW_INT8: e->type = PRESTIGE_PHYSICAL_INT32; leaf->conv = CONV_I8; INTEGER(8, true); e->converted_type = PQ_CT_INT_8; break;
    case PRESTIGE_ARROW_INT16: e->type = PRESTIGE_PHYSICAL_INT32; leaf->conv = CONV_I16; INTEGER(16, true); e->converted_type = PQ_CT_INT_16; break;
    case PRESTIGE_ARROW_INT32: e->type = PRESTIGE_PHYSICAL_INT32; leaf->conv = CONV_I32; break;
    case PRESTIGE_ARROW_INT64: e->type = PRESTIGE_PHYSICAL_INT64; leaf->conv = CONV_I64; break;
    case PRESTIGE_ARROW_UINT8: e->type = PRESTIGE_PHYSICAL_INT32; leaf->conv = CONV_U8; leaf->sort = SORT_UNSIGNED; INTEGER(8, false); e->converted_type = PQ_CT_UINT_8; break;
    case PRESTIGE_ARROW_UINT16: e->type = PRESTIGE_PHYSICAL_INT32; leaf->conv = CONV_U16; leaf->sort = SORT_UNSIGNED; INTEGER(16, false); e->converted_type = PQ_CT_UINT_16; break;
    case PRESTIGE_ARROW_UINT32: e->type = PRESTIGE_PHYSICAL_INT32; leaf->conv = CONV_U32; leaf->sort = SORT_UNSIGNED; INTEGER(32, false); e->converted_type = PQ_CT_UINT_32; break;
    case PRESTIGE_ARROW_UINT64: e->type = PRESTIGE_PHYSICAL_INT64; leaf->conv = CONV_U64; leaf->sort = SORT_UNSIGNED; INTEGER(64, false); e->converted_type = PQ_CT_UINT_64; break;
    case PRESTIGE_ARROW_HALF_FLOAT:
      e->type = PRESTIGE_PHYSICAL_FIXED_LEN_BYTE_ARRAY;
      e->has_type_length = true;
      e->type_length = 2;
      leaf->conv = CONV_FIXED;
      leaf->sort = SORT_FLOAT16;
      if (!(lt = new_logical(b, PQ_LT_FLOAT16))) return oom(b);
      break;
    case PRESTIGE_ARROW_FLOAT: e->type = PRESTIGE_PHYSICAL_FLOAT; leaf->conv = CONV_FLOAT; leaf->sort = SORT_FLOAT; break;
    case PRESTIGE_ARROW_DOUBLE: e->type = PRESTIGE_PHYSICAL_DOUBLE; leaf->conv = CONV_DOUBLE; leaf->sort = SORT_FLOAT; break;
    case PRESTIGE_ARROW_STRING:
    case PRESTIGE_ARROW_LARGE_STRING:
      e->type = PRESTIGE_PHYSICAL_BYTE_ARRAY;
      leaf->conv = t.type == PRESTIGE_ARROW_STRING ? CONV_BYTES32 : CONV_BYTES64;
      leaf->sort = SORT_BYTES;
      if (!(lt = new_logical(b, PQ_LT_STRING))) return oom(b);
      e->has_converted_type = true;
      e->converted_type = PQ_CT_UTF8;
      break;
    case PRESTIGE_ARROW_BINARY:
    case PRESTIGE_ARROW_LARGE_BINARY:
      e->type = PRESTIGE_PHYSICAL_BYTE_ARRAY;
      leaf->conv = t.type == PRESTIGE_ARROW_BINARY ? CONV_BYTES32 : CONV_BYTES64;
      leaf->sort = SORT_BYTES;
      break;
    case PRESTIGE_ARROW_FIXED_SIZE_BINARY:
      e->type = PRESTIGE_PHYSICAL_FIXED_LEN_BYTE_ARRAY;
      e->has_type_length = true;
      e->type_length = t.fixed_size;
      leaf->conv = CONV_FIXED;
      leaf->sort = SORT_BYTES;
      break;
    case PRESTIGE_ARROW_DECIMAL128:
      if (!(lt = new_logical(b, PQ_LT_DECIMAL))) return oom(b);
      lt->precision = t.precision;
      lt->scale = t.scale;
      e->has_converted_type = e->has_scale = e->has_precision = true;
      e->converted_type = PQ_CT_DECIMAL;
      e->scale = t.scale;
      e->precision = t.precision;
      if (t.scale < 0 || t.scale > t.precision)
        return prestige_error_set(b->err, PRESTIGE_EUNSUPPORTED, "field \"%s\": decimal(%d,%d) has a scale Parquet cannot store",
                                  f->name, t.precision, t.scale);
      if (t.precision <= 9) e->type = PRESTIGE_PHYSICAL_INT32, leaf->conv = CONV_DEC_I32;
      else if (t.precision <= 18) e->type = PRESTIGE_PHYSICAL_INT64, leaf->conv = CONV_DEC_I64;
      else {
        e->type = PRESTIGE_PHYSICAL_FIXED_LEN_BYTE_ARRAY;
        e->has_type_length = true;
        e->type_length = decimal_bytes(t.precision);
        leaf->conv = CONV_DEC_FLBA;
        leaf->sort = SORT_DECIMAL_BE;
      }
      break;
    case PRESTIGE_ARROW_DATE32:
    case PRESTIGE_ARROW_DATE64:
      e->type = PRESTIGE_PHYSICAL_INT32;
      leaf->conv = t.type == PRESTIGE_ARROW_DATE32 ? CONV_I32 : CONV_DATE64;
      if (!(lt = new_logical(b, PQ_LT_DATE))) return oom(b);
      e->has_converted_type = true;
      e->converted_type = PQ_CT_DATE;
      break;
    case PRESTIGE_ARROW_TIME32:
    case PRESTIGE_ARROW_TIME64:
      if (!(lt = new_logical(b, PQ_LT_TIME))) return oom(b);
      lt->is_adjusted_to_utc = false; /* Arrow times are wall-clock times of day */
      if (t.type == PRESTIGE_ARROW_TIME32) {
        e->type = PRESTIGE_PHYSICAL_INT32;
        leaf->conv = t.unit == PRESTIGE_TIME_UNIT_SECOND ? CONV_I32_MUL1000 : CONV_I32;
        lt->unit = PQ_TIME_MILLIS;
      } else {
        e->type = PRESTIGE_PHYSICAL_INT64;
        leaf->conv = CONV_I64;
        lt->unit = t.unit == PRESTIGE_TIME_UNIT_MICRO ? PQ_TIME_MICROS : PQ_TIME_NANOS;
      }
      break;
    case PRESTIGE_ARROW_TIMESTAMP:
      e->type = PRESTIGE_PHYSICAL_INT64;
      if (!(lt = new_logical(b, PQ_LT_TIMESTAMP))) return oom(b);
      lt->is_adjusted_to_utc = t.timezone && t.timezone[0];
      /* Parquet has no seconds unit: seconds are stored as milliseconds, as Arrow C++ does. */
      leaf->conv = t.unit == PRESTIGE_TIME_UNIT_SECOND ? CONV_I64_MUL1000 : CONV_I64;
      lt->unit = t.unit <= PRESTIGE_TIME_UNIT_MILLI ? PQ_TIME_MILLIS : t.unit == PRESTIGE_TIME_UNIT_MICRO ? PQ_TIME_MICROS : PQ_TIME_NANOS;
      if (lt->is_adjusted_to_utc && lt->unit != PQ_TIME_NANOS) {
        e->has_converted_type = true;
        e->converted_type = lt->unit == PQ_TIME_MILLIS ? PQ_CT_TIMESTAMP_MILLIS : PQ_CT_TIMESTAMP_MICROS;
      }
      break;
    case PRESTIGE_ARROW_DURATION: e->type = PRESTIGE_PHYSICAL_INT64; leaf->conv = CONV_I64; break;
    case PRESTIGE_ARROW_INTERVAL_MONTH_DAY_NANO:
      /* Parquet INTERVAL: FIXED_LEN_BYTE_ARRAY(12) with the converted type only (LogicalType has
       * none); its sort order is undefined, so no statistics (parquet-format LogicalTypes.md) */
      e->type = PRESTIGE_PHYSICAL_FIXED_LEN_BYTE_ARRAY;
      e->has_type_length = true;
      e->type_length = 12;
      e->has_converted_type = true;
      e->converted_type = PQ_CT_INTERVAL;
      leaf->conv = CONV_INTERVAL;
      leaf->sort = SORT_BYTES;
      break;
    default:
      return prestige_error_set(b->err, PRESTIGE_EUNSUPPORTED, "field \"%s\": Arrow type %s cannot be written to Parquet",
                                f->name ? f->name : "", prestige_arrow_type_name(t.type));
  }
#undef INTEGER
  pq_logical_type_t *ext_lt = NULL;
  PRESTIGE_TRY(extension_type(b, f, e, &ext_lt));
  if (ext_lt) lt = ext_lt; /* arrow.json on utf8 is JSON, not STRING */
  if (lt && lt->kind == PQ_LT_INTEGER && lt->bit_width == 32 && lt->is_signed) lt = NULL;
  e->logical_type = lt;
  leaf->physical = e->type;
  leaf->type_length = e->has_type_length ? e->type_length : 0;
  return 0;
}

typedef struct walk {
  const char *parts[PQW_MAX_DEPTH * 3];
  int32_t n_parts;
  pqw_node_t nodes[PQW_MAX_DEPTH];
  int32_t depth;
  int16_t def, rep;
  int32_t top;
} walk_t;

static int resolve_options(builder_t *b, pqw_leaf_t *leaf) {
  const prestige_parquet_writer_options_t *o = b->o;
  leaf->encoding = PRESTIGE_ENCODING_DEFAULT;
  leaf->dictionary = o->dictionary;
  leaf->statistics = o->statistics;
  leaf->codec = (pq_codec_t)o->compression;
  leaf->level = o->compression_level;
  for (int64_t i = 0; i < o->n_columns; i++) {
    const prestige_parquet_column_options_t *c = &o->columns[i];
    size_t n = strlen(c->path);
    /* a column option applies to its path and everything below it */
    if (strncmp(leaf->path, c->path, n) != 0 || (leaf->path[n] != '\0' && leaf->path[n] != '.')) continue;
    if (c->encoding != PRESTIGE_ENCODING_DEFAULT) leaf->encoding = c->encoding;
    if (c->compression >= 0) leaf->codec = (pq_codec_t)c->compression;
    if (c->compression_level != INT32_MIN) leaf->level = c->compression_level;
    if (c->dictionary >= 0) leaf->dictionary = c->dictionary;
    if (c->statistics >= 0) leaf->statistics = c->statistics;
  }
  if (leaf->physical == PRESTIGE_PHYSICAL_BOOLEAN) leaf->dictionary = false;
  if (leaf->conv == CONV_INTERVAL) leaf->statistics = false; /* INTERVAL has no defined order */
  int e = leaf->encoding;
  bool ok = true;
  switch (e) {
    case PRESTIGE_ENCODING_DEFAULT:
    case PRESTIGE_ENCODING_PLAIN: break;
    case PRESTIGE_ENCODING_DELTA_BINARY_PACKED:
      ok = leaf->physical == PRESTIGE_PHYSICAL_INT32 || leaf->physical == PRESTIGE_PHYSICAL_INT64;
      break;
    case PRESTIGE_ENCODING_DELTA_LENGTH_BYTE_ARRAY: ok = leaf->physical == PRESTIGE_PHYSICAL_BYTE_ARRAY; break;
    case PRESTIGE_ENCODING_DELTA_BYTE_ARRAY:
      ok = leaf->physical == PRESTIGE_PHYSICAL_BYTE_ARRAY || leaf->physical == PRESTIGE_PHYSICAL_FIXED_LEN_BYTE_ARRAY;
      break;
    case PRESTIGE_ENCODING_BYTE_STREAM_SPLIT:
      ok = leaf->physical == PRESTIGE_PHYSICAL_FLOAT || leaf->physical == PRESTIGE_PHYSICAL_DOUBLE ||
           leaf->physical == PRESTIGE_PHYSICAL_INT32 || leaf->physical == PRESTIGE_PHYSICAL_INT64 ||
           leaf->physical == PRESTIGE_PHYSICAL_FIXED_LEN_BYTE_ARRAY;
      break;
    default: ok = false;
  }
  if (!ok)
    return prestige_error_set(b->err, PRESTIGE_EINVAL, "column \"%s\": encoding %s does not apply to %s", leaf->path,
                              prestige_encoding_name((prestige_encoding_t)e),
                              prestige_physical_type_name((prestige_physical_type_t)leaf->physical));
  /* an explicit encoding other than the default turns the dictionary off, as in Arrow C++ */
  if (e != PRESTIGE_ENCODING_DEFAULT) leaf->dictionary = false;
  /* Without a dictionary, integers default to DELTA_BINARY_PACKED (as parquet-mr's v2 writer
   * falls back): timestamps, ids and counters shrink to a few bits per value. */
  if (e == PRESTIGE_ENCODING_DEFAULT)
    leaf->encoding = leaf->physical == PRESTIGE_PHYSICAL_INT32 || leaf->physical == PRESTIGE_PHYSICAL_INT64
                         ? PRESTIGE_ENCODING_DELTA_BINARY_PACKED
                         : PRESTIGE_ENCODING_PLAIN;
  if (!pq_codec_supported(leaf->codec) || leaf->codec == PQ_CODEC_LZ4 || leaf->codec == PQ_CODEC_LZO)
    return prestige_error_set(b->err, PRESTIGE_EINVAL, "column \"%s\": compression %d cannot be written", leaf->path,
                              (int)leaf->codec);
  return 0;
}

static int add_leaf(builder_t *b, walk_t *w, const struct ArrowSchema *f, pq_schema_element_t *e) {
  pqw_schema_t *s = b->s;
  if (s->n_leaves == b->cap_leaves) {
    int32_t cap = b->cap_leaves ? b->cap_leaves * 2 : 16;
    pqw_leaf_t *l = realloc(s->leaves, (size_t)cap * sizeof(*l));
    if (!l) return oom(b);
    s->leaves = l;
    b->cap_leaves = cap;
  }
  pqw_leaf_t *leaf = &s->leaves[s->n_leaves];
  memset(leaf, 0, sizeof(*leaf));
  PRESTIGE_TRY(leaf_type(b, f, e, leaf));
  size_t len = 0;
  for (int32_t i = 0; i < w->n_parts; i++) len += strlen(w->parts[i]) + 1;
  leaf->path = arena_alloc(&s->arena, len + 1);
  leaf->parts = arena_calloc(&s->arena, (size_t)w->n_parts, sizeof(char *));
  if (!leaf->path || !leaf->parts) return oom(b);
  leaf->path[0] = 0;
  for (int32_t i = 0; i < w->n_parts; i++) {
    if (i) strcat(leaf->path, ".");
    strcat(leaf->path, w->parts[i]);
    leaf->parts[i] = w->parts[i];
  }
  leaf->n_parts = w->n_parts;
  memcpy(leaf->nodes, w->nodes, sizeof(w->nodes));
  leaf->depth = w->depth;
  leaf->max_def = w->def;
  leaf->max_rep = w->rep;
  leaf->top = w->top;
  leaf->field_id = e->has_field_id ? e->field_id : -1;
  PRESTIGE_TRY(resolve_options(b, leaf));
  s->n_leaves++;
  return 0;
}

static int visit(builder_t *b, walk_t *w, const struct ArrowSchema *f, const char *name, bool force_required);

static int push(builder_t *b, walk_t *w, const char *part, pqw_node_t node) {
  if (w->depth >= PQW_MAX_DEPTH || w->n_parts >= PQW_MAX_DEPTH * 3)
    return prestige_error_set(b->err, PRESTIGE_EUNSUPPORTED, "schema nested deeper than %d levels", PQW_MAX_DEPTH);
  w->nodes[w->depth++] = node;
  w->parts[w->n_parts++] = part;
  return 0;
}

static int visit(builder_t *b, walk_t *w, const struct ArrowSchema *f, const char *name, bool force_required) {
  prestige_arrow_type_info_t t;
  PRESTIGE_TRY(prestige_arrow_schema_type(f, &t, b->err));
  if (t.type == PRESTIGE_ARROW_DICTIONARY)
    return prestige_error_set(b->err, PRESTIGE_EUNSUPPORTED, "field \"%s\": dictionary-encoded Arrow input is not supported yet; decode it first", name);
  bool nullable = !force_required && (f->flags & ARROW_FLAG_NULLABLE);
  pq_schema_element_t *e = new_element(b, name);
  if (!e) return oom(b);
  int32_t eidx = b->s->n_elements - 1;
  e->has_repetition = true;
  e->repetition = nullable ? PQ_OPTIONAL : PQ_REQUIRED;
  int32_t fid = arrow_field_id(f);
  if (fid >= 0) {
    e->has_field_id = true;
    e->field_id = fid;
  }
  walk_t saved = *w;
  const char *part = b->s->elements[eidx].name;
  int16_t def0 = w->def;
  if (nullable) w->def++;
  switch (t.type) {
    case PRESTIGE_ARROW_STRUCT: {
      if (f->n_children == 0)
        return prestige_error_set(b->err, PRESTIGE_EUNSUPPORTED, "field \"%s\": Parquet cannot store a struct with no fields", name);
      b->s->elements[eidx].has_num_children = true;
      b->s->elements[eidx].num_children = (int32_t)f->n_children;
      for (int64_t i = 0; i < f->n_children; i++) {
        walk_t inner = *w;
        PRESTIGE_TRY(push(b, &inner, part, (pqw_node_t){.kind = NODE_STRUCT, .nullable = nullable, .child = (int32_t)i}));
        PRESTIGE_TRY(visit(b, &inner, f->children[i], f->children[i]->name ? f->children[i]->name : "", false));
      }
      break;
    }
    case PRESTIGE_ARROW_LIST:
    case PRESTIGE_ARROW_LARGE_LIST:
    case PRESTIGE_ARROW_FIXED_SIZE_LIST:
    case PRESTIGE_ARROW_MAP: {
      bool map = t.type == PRESTIGE_ARROW_MAP;
      b->s->elements[eidx].has_num_children = true;
      b->s->elements[eidx].num_children = 1;
      b->s->elements[eidx].has_converted_type = true;
      b->s->elements[eidx].converted_type = map ? PQ_CT_MAP : PQ_CT_LIST;
      if (!(b->s->elements[eidx].logical_type = new_logical(b, map ? PQ_LT_MAP : PQ_LT_LIST))) return oom(b);
      pq_schema_element_t *rep = new_element(b, map ? "key_value" : "list");
      if (!rep) return oom(b);
      int32_t ridx = b->s->n_elements - 1;
      rep->has_repetition = true;
      rep->repetition = PQ_REPEATED;
      w->def++;
      w->rep++;
      pqw_node_t node = {.kind = t.type == PRESTIGE_ARROW_FIXED_SIZE_LIST ? NODE_FIXED_LIST : map ? NODE_MAP : NODE_LIST,
                         .nullable = nullable, .large = t.type == PRESTIGE_ARROW_LARGE_LIST,
                         .fixed_size = t.fixed_size, .rep = w->rep};
      PRESTIGE_TRY(push(b, w, part, node));
      const struct ArrowSchema *child = f->children[0];
      if (map) {
        if (child->n_children != 2)
          return prestige_error_set(b->err, PRESTIGE_EINVAL, "map field \"%s\" needs key and value", name);
        b->s->elements[ridx].has_num_children = true;
        b->s->elements[ridx].num_children = 2;
        w->parts[w->n_parts++] = "key_value";
        for (int i = 0; i < 2; i++) {
          walk_t inner = *w;
          /* the entries struct itself is never null: its fields hang directly off key_value */
          inner.nodes[inner.depth++] = (pqw_node_t){.kind = NODE_STRUCT, .nullable = false, .child = i};
          PRESTIGE_TRY(visit(b, &inner, child->children[i], i == 0 ? "key" : "value", i == 0));
        }
      } else {
        b->s->elements[ridx].has_num_children = true;
        b->s->elements[ridx].num_children = 1;
        w->parts[w->n_parts++] = "list";
        PRESTIGE_TRY(visit(b, w, child, "element", false));
      }
      break;
    }
    default: {
      walk_t leafw = *w;
      leafw.parts[leafw.n_parts++] = part;
      leafw.nodes[leafw.depth++] = (pqw_node_t){.kind = NODE_LEAF, .nullable = nullable};
      PRESTIGE_TRY(add_leaf(b, &leafw, f, &b->s->elements[eidx]));
    }
  }
  (void)def0;
  *w = saved;
  return 0;
}

int pqw_schema_build(pqw_schema_t *s, const struct ArrowSchema *schema, const prestige_parquet_writer_options_t *o,
                     prestige_error_t *err) {
  memset(s, 0, sizeof(*s));
  builder_t b = {.s = s, .o = o, .err = err};
  if (strcmp(schema->format, "+s") != 0)
    return prestige_error_set(err, PRESTIGE_EINVAL, "the writer needs a struct schema (a record batch), got \"%s\"", schema->format);
  if (schema->n_children == 0) return prestige_error_set(err, PRESTIGE_EINVAL, "the schema has no columns");
  pq_schema_element_t *root = new_element(&b, "schema");
  if (!root) return oom(&b);
  root->has_num_children = true;
  root->num_children = (int32_t)schema->n_children;
  for (int64_t i = 0; i < schema->n_children; i++) {
    walk_t w = {.top = (int32_t)i};
    int rc = visit(&b, &w, schema->children[i], schema->children[i]->name ? schema->children[i]->name : "", false);
    if (rc) {
      pqw_schema_release(s);
      return rc;
    }
  }
  return 0;
}

void pqw_schema_release(pqw_schema_t *s) {
  free(s->elements);
  free(s->leaves);
  arena_release(&s->arena);
  memset(s, 0, sizeof(*s));
}
