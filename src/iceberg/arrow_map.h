/*
 * Arrow ⇄ Iceberg type mapping, and record descriptors (records.h) as Iceberg tables.
 *
 *   struct ArrowSchema a;
 *   ice_schema_to_arrow(schema, &a, &err);            // fields carry PARQUET:field_id
 *   ice_arrow_options_t o = ICE_ARROW_OPTIONS_INIT;     // format v2, uint64 refused
 *   ice_schema_t *s;
 *   ice_schema_from_arrow(&a, &o, &s, &err);
 *   ice_schema_t *rs; ice_partition_spec_t *spec; ice_sort_order_t *order;
 *   ice_schema_from_record(sensor_data_record(), 2, &rs, &spec, &order, &err);
 *
 * Iceberg → Arrow: boolean b, int i, long l, float f, double g, decimal(P,S) d:P,S, date tdD,
 * time ttu, timestamp tsu:, timestamptz tsu:UTC, timestamp_ns tsn:, timestamptz_ns tsn:UTC,
 * string u, uuid w:16 with the arrow.uuid extension, fixed[L] w:L, binary z, list +l (child
 * "element"), map +m (child "entries" with "key" and "value"), struct +s. Optional fields are
 * nullable. Every field, list element and map key/value carries PARQUET:field_id, which the
 * Parquet writer stores as the column's field_id.
 *
 * Arrow → Iceberg: int8/16/32 and uint8/16 → int; int64 and uint32 → long; uint64 → refused
 * (EUNSUPPORTED naming the column) unless options.uint64 says long (values must fit; checked
 * by whoever writes them) or decimal(20,0) (exact); float16/float → float; double; utf8 /
 * large_utf8 → string; binary / large_binary → binary; fixed_size_binary(16) with the
 * arrow.uuid extension → uuid, other fixed_size_binary(L) → fixed[L]; decimal128/256 with
 * P <= 38 → decimal; date32/date64 → date; time32(s/ms)/time64(us) → time (time64(ns)
 * refused: Iceberg time is microseconds); timestamp s/ms/us → timestamp (µs, widened; with a
 * time zone → timestamptz); timestamp ns → timestamp_ns/timestamptz_ns in format v3, refused
 * in v2; list/large_list/fixed_size_list → list; struct → struct; map → map; dictionary →
 * its value type. Field ids: kept when every field carries PARQUET:field_id, otherwise all
 * assigned fresh in Java's order (1, 2, ...).
 */
#ifndef PRESTIGE_ICEBERG_ARROW_MAP_H
#define PRESTIGE_ICEBERG_ARROW_MAP_H

#include "iceberg/partition.h"
#include "iceberg/types.h"
#include "prestige/arrow.h"
#include "prestige/error.h"
#include "prestige/records.h"

typedef enum ice_uint64_mode {
  ICE_UINT64_REFUSE = 0, /* default */
  ICE_UINT64_AS_LONG,    /* values above INT64_MAX cannot be stored */
  ICE_UINT64_AS_DECIMAL  /* decimal(20, 0): exact */
} ice_uint64_mode_t;

typedef struct ice_arrow_options {
  int format_version;       /* 2 or 3: decides what nanosecond timestamps become */
  ice_uint64_mode_t uint64;
} ice_arrow_options_t;
#define ICE_ARROW_OPTIONS_INIT {2, ICE_UINT64_REFUSE}

int ice_schema_to_arrow(const ice_schema_t *s, struct ArrowSchema *out, prestige_error_t *err);
int ice_type_to_arrow(const ice_field_t *f, struct ArrowSchema *out, prestige_error_t *err);
/* An Arrow struct schema (a record batch schema) → Iceberg schema (schema id 0). opts NULL:
 * defaults. Unsupported types: EUNSUPPORTED naming the column. */
int ice_schema_from_arrow(const struct ArrowSchema *schema, const ice_arrow_options_t *opts, ice_schema_t **out,
                          prestige_error_t *err);

/* A record descriptor with its Iceberg annotations → schema (ids 1..n in field order, list
 * elements after, as prestige_record_schema numbers them), partition spec (names as Java
 * names them: col, col_year, col_month, col_day, col_hour, col_bucket, col_trunc), sort order
 * (sort_order 1, 2, ...; asc nulls-first, desc nulls-last; order id 1, or 0 when unsorted)
 * and identifier fields (PRESTIGE_IDENTIFIER; they must be non-optional). U64 fields map to
 * long. Table and namespace are in desc->table / desc->namespace_. */
int ice_schema_from_record(const prestige_record_desc_t *desc, int format_version, ice_schema_t **schema,
                           ice_partition_spec_t **spec, ice_sort_order_t **order, prestige_error_t *err);

#endif
