/*
 * Scan predicates evaluated against what manifests know, so planning can skip what cannot match:
 *   - a manifest list entry's partition field summaries (contains_null / contains_nan / lower /
 *     upper bound of each partition field), as Java's ManifestEvaluator;
 *   - a data file's partition tuple and column metrics (value / null / NaN counts, lower and
 *     upper bounds), as Java's inclusive projection (Projections.inclusive) and
 *     InclusiveMetricsEvaluator.
 * The predicate is the reader's (prestige/predicate.h, bound to the scan schema's Arrow form);
 * each comparison is projected through the partition transforms of its column: identity passes
 * through; truncate, year, month, day and hour turn a partition value into the range of source
 * values it covers (a string truncated to W code points covers the strings starting with it);
 * bucket decides = and IN by hashing the literals; void and unknown transforms say nothing. The
 * evaluation is three-valued and conservative: "none" only when no row can match. NaN and nulls
 * follow the predicate layer's rules (NaN is greater than every number; bounds exclude NaN).
 */
#ifndef PRESTIGE_ICEBERG_SCAN_EVAL_H
#define PRESTIGE_ICEBERG_SCAN_EVAL_H

#include <stdbool.h>

#include "iceberg/manifest.h"
#include "prestige/predicate.h"

typedef struct ice_scan_eval ice_scan_eval_t;

/* schema: the scan schema the predicate was bound to (its Arrow form carries field ids). */
int ice_scan_eval_new(const prestige_bound_predicate_t *b, const ice_schema_t *schema, ice_scan_eval_t **out,
                      prestige_error_t *err);
void ice_scan_eval_free(ice_scan_eval_t *e);

/* False when no file of the manifest can hold a matching row (spec: the manifest's spec). */
bool ice_scan_eval_manifest(const ice_scan_eval_t *e, const ice_partition_spec_t *spec, const ice_manifest_file_t *m);
/* 0: no row can match (by the partition tuple), 1: by the metrics, 2: may match. */
int ice_scan_eval_file(const ice_scan_eval_t *e, const ice_partition_spec_t *spec, const ice_data_file_t *f);

#endif
