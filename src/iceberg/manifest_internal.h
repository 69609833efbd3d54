/* Helpers shared by the manifest and manifest list readers and writers. */
#ifndef PRESTIGE_ICEBERG_MANIFEST_INTERNAL_H
#define PRESTIGE_ICEBERG_MANIFEST_INTERNAL_H

#include "avro/avro.h"
#include "iceberg/manifest.h"

/* An Iceberg primitive value as an Avro datum of node t (a union: its non-null branch, or null
 * for a null value). Bytes are copied into a. */
int ice_value_to_datum(arena_t *a, const avro_node_t *t, const ice_type_t *type, const ice_value_t *v, avro_datum_t *d,
                       prestige_error_t *err);
/* An Avro datum of node t as a value of Iceberg type `type` (int read as long, float as double
 * where the type was promoted); bytes copied into a. ECORRUPT naming `what` on a mismatch. */
int ice_value_from_datum(arena_t *a, const avro_node_t *t, const avro_datum_t *d, const ice_type_t *type,
                         ice_value_t *out, const char *what, prestige_error_t *err);

/* The partition tuple type of a spec, its sources resolved in the table's current schema and,
 * for sources it no longer has, in the other schemas (newest first). */
int ice_spec_partition_type(const ice_table_metadata_t *md, const ice_partition_spec_t *spec, ice_type_t **out,
                            prestige_error_t *err);

/* Field of a record by id, or -1 (records may come from any writer). */
static inline int32_t mf_field(const avro_node_t *rec, int32_t id) {
  return rec && rec->type == AVRO_RECORD ? avro_field_index_by_id(rec, id) : -1;
}

#endif
