/*
 * Data-file entries from the Parquet writer's file summary (spec "Data File Fields", "Field-level
 * Metrics and Statistics"), with the metrics modes of Java's MetricsConfig:
 * write.metadata.metrics.default (none, counts, full, truncate(N); default truncate(16)),
 * write.metadata.metrics.column.<name> per column, write.metadata.metrics.max-inferred-column-defaults
 * (100: in wider tables only the first 100 columns get the default, the others none), and
 * columns of the sort order at least truncate(16).
 *
 *   ice_metrics_config_t *mc;
 *   ice_metrics_config_new(&md->properties, schema, sort_order, &mc, &err);
 *   ice_data_file_t f;
 *   ice_data_file_from_parquet(&arena, &summary, schema, mc, "s3://b/t/data/x.parquet", &f, &err);
 *   f.spec_id = spec->spec_id; f.partition = values; f.n_partition = n;
 *
 * As Java's ParquetMetrics: column sizes for every leaf with an id (not in mode none); value,
 * null and (float/double) NaN counts and bounds only for leaves outside lists and maps; bounds
 * in the single-value binary form, strings and binary truncated to N code points / bytes in
 * truncate(N) mode (the upper bound incremented, or left out when it cannot be).
 */
#ifndef PRESTIGE_ICEBERG_DATAFILE_H
#define PRESTIGE_ICEBERG_DATAFILE_H

#include "core/arena.h"
#include "iceberg/manifest.h"
#include "prestige/parquet_writer.h"

typedef enum ice_metrics_kind {
  ICE_METRICS_NONE = 0,
  ICE_METRICS_COUNTS,
  ICE_METRICS_TRUNCATE,
  ICE_METRICS_FULL
} ice_metrics_kind_t;

typedef struct ice_metrics_mode {
  ice_metrics_kind_t kind;
  int32_t length; /* TRUNCATE */
} ice_metrics_mode_t;

/* "none", "counts", "full", "truncate(N)" (any case, N > 0); false when it is none of them. */
bool ice_metrics_mode_parse(const char *s, ice_metrics_mode_t *out);

typedef struct ice_metrics_config ice_metrics_config_t;

/* From table properties (may be NULL), the schema the files are written with, and the sort order
 * (NULL: unsorted). A mode that does not parse falls back to the default, as Java does; a
 * per-column property naming no column is ignored. */
int ice_metrics_config_new(const ice_strmap_t *props, const ice_schema_t *schema, const ice_sort_order_t *order,
                           ice_metrics_config_t **out, prestige_error_t *err);
void ice_metrics_config_free(ice_metrics_config_t *c);
ice_metrics_mode_t ice_metrics_config_mode(const ice_metrics_config_t *c, int32_t field_id);
/* True when a column is in full mode (the writer should keep long statistics). */
bool ice_metrics_config_any_full(const ice_metrics_config_t *c);

/* Fills content (data), path, format (parquet), record count, size, split offsets and the metrics
 * of out from a Parquet file summary; partition, spec id and sort order id are the caller's.
 * Every pointer in out points into a. */
int ice_data_file_from_parquet(arena_t *a, const prestige_parquet_file_summary_t *s, const ice_schema_t *schema,
                               const ice_metrics_config_t *mc, const char *path, ice_data_file_t *out,
                               prestige_error_t *err);

/* A Parquet statistics value (PLAIN encoding, as in the summary) as an Iceberg value of type t;
 * false when the physical type cannot hold t. Views point into p. */
bool ice_value_from_parquet_plain(const ice_type_t *t, prestige_physical_type_t physical, const uint8_t *p,
                                  int32_t len, ice_value_t *out);

#endif
