/*
 * Iceberg partition specs and sort orders (spec "Partitioning", "Sorting", Appendix C).
 *
 *   ice_partition_spec_t *spec;
 *   ice_partition_spec_from_json(j, "metadata.json", &spec, &err);  // {"spec-id":0,"fields":[...]}
 *   ice_partition_spec_bind(spec, schema, &err);                   // sources exist, transforms apply
 *   ice_value_t vals[2] = {...};                                   // transformed values, in field order
 *   buf_t path = BUF_INIT;
 *   ice_partition_path(spec, schema, vals, &path, &err);           // "ts_day=2024-01-02/id_bucket=3"
 *   ice_partition_spec_free(spec);
 *
 * Partition field ids start at 1000 (ICE_PARTITION_DATA_ID_START). The V1 form (fields
 * only, no field-id) gets ids 1000, 1001, ... in order, as Java's reference implementation did.
 */
#ifndef PRESTIGE_ICEBERG_PARTITION_H
#define PRESTIGE_ICEBERG_PARTITION_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "iceberg/transform.h"
#include "iceberg/types.h"
#include "iceberg/value.h"
#include "prestige/error.h"

#define ICE_PARTITION_DATA_ID_START 1000

typedef struct ice_partition_field {
  int32_t source_id;
  int32_t *source_ids;  /* V3 multi-argument transforms: all sources (NULL when single) */
  size_t n_source_ids;
  int32_t field_id;
  char *name;
  ice_transform_t transform;
} ice_partition_field_t;

typedef struct ice_partition_spec {
  int32_t spec_id;
  ice_partition_field_t *fields;
  size_t n_fields;
} ice_partition_spec_t;

int ice_partition_spec_new(int32_t spec_id, ice_partition_spec_t **out, prestige_error_t *err);
/* Appends a field (name copied). field_id < 0: last id + 1 (or 1000 for the first). */
int ice_partition_spec_add(ice_partition_spec_t *spec, int32_t source_id, int32_t field_id, const char *name,
                           const ice_transform_t *t, prestige_error_t *err);
void ice_partition_spec_free(ice_partition_spec_t *spec);
int ice_partition_spec_copy(const ice_partition_spec_t *s, ice_partition_spec_t **out, prestige_error_t *err);
/* Highest field id (999 for an unpartitioned spec, as Java). */
int32_t ice_partition_spec_last_field_id(const ice_partition_spec_t *s);
bool ice_partition_spec_is_unpartitioned(const ice_partition_spec_t *s);
/* Same fields (source ids, transforms, names, in order), field ids ignored (Java compatibleWith). */
bool ice_partition_spec_compatible(const ice_partition_spec_t *a, const ice_partition_spec_t *b);
/* Same spec id and fields including field ids. */
bool ice_partition_spec_equal(const ice_partition_spec_t *a, const ice_partition_spec_t *b);
/* Checks the spec against a schema as Java's bind does: each source exists, is primitive and
 * not inside a list or map, its transform applies to its type (unknown transforms are
 * allowed: readers ignore them); names unique, non-empty, and not a schema column name
 * unless an identity of that column; field ids unique. ETYPE/EINVAL naming the field. */
int ice_partition_spec_bind(const ice_partition_spec_t *spec, const ice_schema_t *schema, prestige_error_t *err);
/* The partition tuple type: a struct of the result types with the partition field ids and
 * names, all optional. */
int ice_partition_spec_type(const ice_partition_spec_t *spec, const ice_schema_t *schema, ice_type_t **out,
                            prestige_error_t *err);
/* Applies each field's transform to source values (one per field, already taken from the
 * row's source column) giving the partition tuple values. */
int ice_partition_apply(const ice_partition_spec_t *spec, const ice_schema_t *schema, const ice_value_t *source_values,
                        ice_value_t *out, prestige_error_t *err);
/* Java's PartitionSpec.partitionToPath: name=value joined by '/', both URL-encoded as
 * java.net.URLEncoder does (space '+', unreserved a-zA-Z0-9 . - * _, others %XX of UTF-8).
 * values are partition tuple values (already transformed). Appended to out. */
int ice_partition_path(const ice_partition_spec_t *spec, const ice_schema_t *schema, const ice_value_t *values,
                       buf_t *out, prestige_error_t *err);
/* java.net.URLEncoder.encode(s, UTF_8), appended to out. */
int ice_url_encode(const char *s, size_t n, buf_t *out);

/* JSON: {"spec-id": N, "fields": [...]}; what names the document for messages. */
int ice_partition_spec_from_json(const json_t *j, const char *what, ice_partition_spec_t **out, prestige_error_t *err);
/* The V1 fields-only form (the deprecated "partition-spec" of V1 metadata). */
int ice_partition_spec_from_json_fields(const json_t *fields, int32_t spec_id, const char *what,
                                        ice_partition_spec_t **out, prestige_error_t *err);
json_t *ice_partition_spec_to_json(const ice_partition_spec_t *s);
json_t *ice_partition_spec_fields_to_json(const ice_partition_spec_t *s);

/* ---- sort orders ------------------------------------------------------------------------- */
typedef enum { ICE_SORT_ASC = 0, ICE_SORT_DESC = 1 } ice_sort_direction_t;
typedef enum { ICE_NULLS_FIRST = 0, ICE_NULLS_LAST = 1 } ice_null_order_t;

typedef struct ice_sort_field {
  ice_transform_t transform;
  int32_t source_id;
  int32_t *source_ids; /* V3 multi-argument transforms (NULL when single) */
  size_t n_source_ids;
  ice_sort_direction_t direction;
  ice_null_order_t null_order;
} ice_sort_field_t;

typedef struct ice_sort_order {
  int32_t order_id; /* 0 is reserved for the unsorted order */
  ice_sort_field_t *fields;
  size_t n_fields;
} ice_sort_order_t;

int ice_sort_order_new(int32_t order_id, ice_sort_order_t **out, prestige_error_t *err);
int ice_sort_order_add(ice_sort_order_t *o, int32_t source_id, const ice_transform_t *t, ice_sort_direction_t dir,
                       ice_null_order_t nulls, prestige_error_t *err);
void ice_sort_order_free(ice_sort_order_t *o);
int ice_sort_order_copy(const ice_sort_order_t *o, ice_sort_order_t **out, prestige_error_t *err);
/* Same fields in the same order (order id ignored; Java sameOrder). */
bool ice_sort_order_same(const ice_sort_order_t *a, const ice_sort_order_t *b);
/* Each source exists and is primitive, transforms apply. */
int ice_sort_order_bind(const ice_sort_order_t *o, const ice_schema_t *schema, prestige_error_t *err);
int ice_sort_order_from_json(const json_t *j, const char *what, ice_sort_order_t **out, prestige_error_t *err);
json_t *ice_sort_order_to_json(const ice_sort_order_t *o);

#endif
