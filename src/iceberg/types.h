/*
 * Iceberg spec model, floor 1: data types and schemas (Iceberg table spec, "Schemas and Data
 * Types" and Appendix C). Internal to the library; the iceberg layer builds manifests,
 * catalogs and scans on it.
 *
 * A type is a tree of ice_type_t. Nested types carry their children as fields: a struct's
 * fields in order; a list has one field (named "element"); a map two ("key", "value"). Every
 * field has an id, a name, required/optional, an optional doc and, from V3, optional
 * initial-default / write-default values kept as their JSON single-value form (validated
 * against the type when parsed, Appendix D).
 *
 *   ice_schema_t *s;
 *   ice_schema_from_json_text("{\"type\":\"struct\",\"schema-id\":0,\"fields\":[...]}", &s, &err);
 *   const ice_field_t *f = ice_schema_find_name(s, "location.lat");   // dotted, as Java names
 *   const ice_field_t *g = ice_schema_find_id(s, 7);
 *   char name[256]; ice_schema_field_name(s, 7, name, sizeof name);     // "points.element.x"
 *   json_t *j = ice_schema_to_json(s);                                  // Java's field order
 *   ice_schema_t *fresh; int32_t last = 0;
 *   ice_schema_assign_fresh_ids(s, 0, &last, &fresh, &err);             // TypeUtil.assignFreshIds
 *   ice_schema_free(s);
 *
 * Unsupported V3 types (variant, geometry, geography, unknown) are refused when parsed with
 * PRESTIGE_EUNSUPPORTED naming the column.
 */
#ifndef PRESTIGE_ICEBERG_TYPES_H
#define PRESTIGE_ICEBERG_TYPES_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "prestige/error.h"

typedef enum ice_type_id {
  ICE_BOOLEAN = 0,
  ICE_INT,
  ICE_LONG,
  ICE_FLOAT,
  ICE_DOUBLE,
  ICE_DECIMAL,        /* precision 1..38, scale 0..precision */
  ICE_DATE,           /* days since 1970-01-01 */
  ICE_TIME,           /* microseconds since midnight */
  ICE_TIMESTAMP,      /* microseconds since epoch, no zone */
  ICE_TIMESTAMPTZ,    /* microseconds since epoch, UTC */
  ICE_TIMESTAMP_NS,   /* V3: nanoseconds since epoch, no zone */
  ICE_TIMESTAMPTZ_NS, /* V3: nanoseconds since epoch, UTC */
  ICE_STRING,
  ICE_UUID,
  ICE_FIXED,          /* length bytes */
  ICE_BINARY,
  ICE_STRUCT,
  ICE_LIST,
  ICE_MAP
} ice_type_id_t;

typedef struct ice_type ice_type_t;

typedef struct ice_field {
  int32_t id;
  char *name;
  bool required;
  ice_type_t *type;
  char *doc;               /* NULL: none */
  json_t *initial_default; /* NULL: none (null); JSON single-value form */
  json_t *write_default;   /* NULL: none */
} ice_field_t;

struct ice_type {
  ice_type_id_t id;
  int32_t precision, scale; /* DECIMAL */
  int32_t length;           /* FIXED */
  ice_field_t *fields;      /* STRUCT: its fields; LIST: [element]; MAP: [key, value] */
  size_t n_fields;
};

typedef struct ice_schema {
  int32_t schema_id;
  ice_type_t *type; /* always ICE_STRUCT */
  int32_t *identifier_ids;
  size_t n_identifier_ids;
  struct ice_schema_index *index; /* private: id and name lookup, built by ice_schema_new */
} ice_schema_t;

/* ---- types --------------------------------------------------------------------------- */
bool ice_type_is_primitive(ice_type_id_t id);
bool ice_type_is_nested(ice_type_id_t id);
/* "int", "decimal(9,2)", "fixed[16]", "struct", ... into buf; returns buf. */
const char *ice_type_to_string(const ice_type_t *t, char *buf, size_t n);
/* A primitive type from its Appendix C string (case-insensitive, whitespace around
 * parameters allowed). Variant/geometry/geography/unknown: EUNSUPPORTED. */
int ice_type_parse_primitive(const char *s, ice_type_t *out, prestige_error_t *err);
/* Primitive type value (no children): ice_type_prim(ICE_DECIMAL, 9, 2), (ICE_FIXED, 16, 0). */
ice_type_t ice_type_prim(ice_type_id_t id, int32_t p1, int32_t p2);
/* Heap copy of a primitive description (for building types). NULL on ENOMEM. */
ice_type_t *ice_type_new_prim(ice_type_id_t id, int32_t p1, int32_t p2);
/* Equal structure, ids, names, requiredness, docs and defaults. */
bool ice_type_equal(const ice_type_t *a, const ice_type_t *b);
/* Same primitive type (ids and params; for nested types: ice_type_equal). */
bool ice_type_same_prim(const ice_type_t *a, const ice_type_t *b);
int ice_type_copy(const ice_type_t *src, ice_type_t **out, prestige_error_t *err);
void ice_type_free(ice_type_t *t);
void ice_field_release(ice_field_t *f);
/* True when t is a V3-only type (timestamp_ns, timestamptz_ns) anywhere in the tree. */
bool ice_type_needs_v3(const ice_type_t *t);

/* ---- schemas ------------------------------------------------------------------------- */
/* Takes ownership of root (a STRUCT) and ids (malloc'd, may be NULL). Builds the index;
 * duplicate field ids or names give ECORRUPT. On failure root and ids are freed. */
int ice_schema_new(int32_t schema_id, ice_type_t *root, int32_t *ids, size_t n_ids, ice_schema_t **out,
                   prestige_error_t *err);
void ice_schema_free(ice_schema_t *s);
int ice_schema_copy(const ice_schema_t *s, ice_schema_t **out, prestige_error_t *err);
const ice_field_t *ice_schema_find_id(const ice_schema_t *s, int32_t id);
/* By canonical dotted name ("a.b", "l.element.x", "m.key") or Java's short names for
 * lists/maps of structs ("l.x", "m.value" → "m.x"). NULL when absent. */
const ice_field_t *ice_schema_find_name(const ice_schema_t *s, const char *name);
/* Canonical name of a field id; NULL when absent. Points into the schema. */
const char *ice_schema_field_name(const ice_schema_t *s, int32_t id);
/* Highest field id anywhere in the schema (0 when empty). */
int32_t ice_schema_highest_field_id(const ice_schema_t *s);
/* True when the field with this id is reachable from the root through structs only (the
 * rule for partition sources and identifier fields). */
bool ice_schema_id_outside_collections(const ice_schema_t *s, int32_t id);
/* Same columns (types, names, ids, requiredness, docs, defaults) and identifier fields;
 * schema ids are ignored (Java Schema.sameSchema). */
bool ice_schema_same(const ice_schema_t *a, const ice_schema_t *b);
/* Checks the identifier fields: each exists, is a required primitive (not float/double),
 * nested only in required structs. ECORRUPT (or EINVAL when !from_file) naming the id. */
int ice_schema_check_identifiers(const ice_schema_t *s, prestige_error_t *err);
/* Checks types allowed in format version v (timestamp_ns needs 3, defaults need 3). */
int ice_schema_check_version(const ice_schema_t *s, int format_version, prestige_error_t *err);

/* A copy with every id renumbered as Java's TypeUtil.assignFreshIds does: a struct's own
 * fields first, in order, then each field's nested type depth-first; a list's element id,
 * a map's key then value id before their types. *last_id is the last id handed out and is
 * advanced (start it at 0 for a new table). Identifier fields follow their columns. */
int ice_schema_assign_fresh_ids(const ice_schema_t *s, int32_t schema_id, int32_t *last_id, ice_schema_t **out,
                                prestige_error_t *err);

/* ---- JSON (Appendix C) ----------------------------------------------------------------- */
/* Parses a schema object. "what" names the document for messages (a file path, "update"). */
int ice_schema_from_json(const json_t *j, const char *what, ice_schema_t **out, prestige_error_t *err);
int ice_schema_from_json_text(const char *text, ice_schema_t **out, prestige_error_t *err);
/* The schema as Java's SchemaParser writes it (NULL on ENOMEM). */
json_t *ice_schema_to_json(const ice_schema_t *s);
json_t *ice_type_to_json(const ice_type_t *t);
/* Parses a type (a string or a struct/list/map object); path names the column. */
int ice_type_from_json(const json_t *j, const char *path, ice_type_t **out, prestige_error_t *err);

#endif
