/*
 * V3 row lineage (the spec's "Row Lineage"): every row of a V3 table has a _row_id (field id
 * 2147483540) and a _last_updated_sequence_number (2147483539). A data file may hold them as
 * columns; a null (or absent) _row_id is inherited as the file's first_row_id + the row's position
 * in the file, a null (or absent) _last_updated_sequence_number as the file's data sequence number.
 *
 * Reading: ice_scan_read_task_lineage is ice_scan_read_task (deletes applied, positions exact)
 * with the two columns appended to each batch, non-null (NULL row ids when the file has neither
 * explicit values nor a first_row_id, as a file added before the table was upgraded to V3).
 *
 * Writing (rewrites: compaction): ice_append_keep_lineage makes an append write the two columns
 * too (field ids on them), so rewritten rows keep the values they were read with; its input
 * batches then carry them as the last two columns (ice_lineage_schema).
 */
#ifndef PRESTIGE_ICEBERG_LINEAGE_H
#define PRESTIGE_ICEBERG_LINEAGE_H

#include "iceberg/scan.h"
#include "iceberg/table_ops.h"

#define ICE_ROW_ID_FIELD_ID 2147483540
#define ICE_LAST_UPDATED_SEQ_FIELD_ID 2147483539
#define ICE_ROW_ID_NAME "_row_id"
#define ICE_LAST_UPDATED_SEQ_NAME "_last_updated_sequence_number"

/* base's columns followed by _row_id and _last_updated_sequence_number (optional longs with
 * their field ids). */
int ice_lineage_schema(const struct ArrowSchema *base, struct ArrowSchema *out, prestige_error_t *err);

/* As ice_scan_read_task; each batch (fn's) is plan->out's columns plus the two lineage columns. */
int ice_scan_read_task_lineage(ice_io_t *io, ice_scan_plan_t *plan, size_t task, int64_t batch_rows, ice_task_batch_fn fn,
                               void *user, prestige_error_t *err);

/* Whether a column name is one of the two row lineage columns. */
bool ice_is_lineage_column(const char *name);

/* A scan whose output columns may include the row lineage columns (V3 tables; Java's
 * MetadataColumns.ROW_ID / LAST_UPDATED_SEQUENCE_NUMBER): names (n) are the output columns in
 * order, each a column of plan->out (plan it without a column list) or one of the two. The tasks
 * are read one after another on a thread with their deletes applied (ice_scan_read_task_lineage:
 * positions exact, no filter pushed into the reader), then the plan's filter is applied and the
 * columns picked. Takes plan (also on error); io and stats (may be NULL) must outlive the stream;
 * filter need not. */
/* filter: applied to plan->out's columns and the lineage columns (NULL: plan->filter). */
int ice_scan_stream_lineage(ice_io_t *io, ice_scan_plan_t *plan, const char *const *names, size_t n,
                            const prestige_predicate_t *filter, int64_t batch_rows, ice_scan_read_stats_t *stats,
                            struct ArrowArrayStream *out, prestige_error_t *err);

/* Before the first write: the append writes the lineage columns as well. */
int ice_append_keep_lineage(ice_append_t *a, prestige_error_t *err);

#endif
