/* Writing delete files (shared by deletes and compaction): where they go, how they are written. */
#ifndef PRESTIGE_ICEBERG_DELETE_WRITE_H
#define PRESTIGE_ICEBERG_DELETE_WRITE_H

#include "core/arena.h"
#include "iceberg/io.h"
#include "iceberg/manifest.h"
#include "prestige/arrow.h"
#include "prestige/parquet_writer.h"

/* write.delete.parquet.compression-codec, else write.parquet.compression-codec (zstd). */
int ice_delete_writer_options(const ice_table_metadata_t *md, prestige_parquet_writer_options_t *o, prestige_error_t *err);
/* "<data dir>/<partition path of like>/<uuid>-deletes-NNNNN.<ext>" (like NULL: no partition path). Caller frees. */
int ice_delete_location(const ice_table_metadata_t *md, const ice_data_file_t *like, const char *uuid, int n, const char *ext,
                        char **out, prestige_error_t *err);
/* Writes batches (not consumed) as one Parquet file and describes it (content data: the caller
 * sets content, spec, partition, equality ids / referenced file). Pointers into arena. */
int ice_write_delete_parquet(ice_io_t *io, const ice_table_metadata_t *md, const char *loc, const ice_schema_t *schema,
                             const struct ArrowSchema *arrow, struct ArrowArray *batches, size_t n, arena_t *arena,
                             ice_data_file_t *out, prestige_error_t *err);
/* The position delete file schema (file_path 2147483546, pos 2147483545). */
int ice_position_delete_schema(ice_schema_t **schema, struct ArrowSchema *arrow, prestige_error_t *err);

#endif
