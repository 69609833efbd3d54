/*
 * prestige/parquet_writer.h — streams Arrow record batches into a Parquet file.
 *
 * Batches of any size go in; pages are encoded and compressed as values arrive and a row
 * group is flushed when it reaches row_group_rows or row_group_bytes, so memory stays bounded
 * by one row group. Closing returns a summary (rows, size, and per column sizes, counts and
 * bounds) from which Iceberg data-file entries are built. The extension types of prestige/arrow.h
 * (arrow.uuid, arrow.json, parquet.bson, parquet.enum) become the UUID, JSON, BSON and ENUM
 * annotations; interval month_day_nano becomes INTERVAL (unsigned months, days, milliseconds:
 * other values are refused, naming the column and row, before the batch is taken).
 *
 *   struct ArrowSchema schema;
 *   prestige_text_parse_schema("id:int64,name:string", &schema, &err);
 *   prestige_parquet_writer_options_t o = PRESTIGE_PARQUET_WRITER_OPTIONS_INIT;
 *   o.compression = PRESTIGE_COMPRESSION_ZSTD;
 *   prestige_parquet_writer_t *w;
 *   if (prestige_parquet_writer_open_file(&w, "out.parquet", &schema, &o, &err)) return err.code;
 *   prestige_array_builder_t *bld;                                  // batches: from a builder, a text reader...
 *   struct ArrowArray batch;
 *   if (prestige_array_builder_new(&bld, &schema, &err)) return err.code;
 *   int rc = prestige_array_builder_finish(bld, &batch, &err);     // (an empty one here)
 *   prestige_array_builder_free(bld);
 *   if (!rc && prestige_parquet_writer_write(w, &batch, &err)) {
 *     prestige_parquet_writer_abort(w);                             // frees w
 *     return err.code;
 *   }
 *   if (batch.release) batch.release(&batch);                       // the writer does not keep it
 *   prestige_parquet_file_summary_t s;
 *   if (prestige_parquet_writer_close(w, &s, &err)) return err.code; // frees w whatever happens
 *   printf("%lld rows, %lld bytes\n", (long long)s.rows, (long long)s.file_size);
 *   prestige_parquet_file_summary_release(&s);
 *   schema.release(&schema);
 *
 * Thread safety: a writer is used by one thread at a time; different writers are independent.
 */
#ifndef PRESTIGE_PARQUET_WRITER_H
#define PRESTIGE_PARQUET_WRITER_H

#include "prestige/api.h"

#include <stdbool.h>
#include <stdint.h>

#include "prestige/arrow.h"
#include "prestige/error.h"
#include "prestige/io.h"
#include "prestige/parquet.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Per-column overrides; -1 (or PRESTIGE_ENCODING_DEFAULT) keeps the file-wide setting. */
#define PRESTIGE_PARQUET_COLUMN_OPTIONS_VERSION 1
typedef struct prestige_parquet_column_options {
  unsigned int version;           /* PRESTIGE_PARQUET_COLUMN_OPTIONS_VERSION */
  const char *path;               /* dotted path of a leaf or of any ancestor ("a", "a.b", "tags") */
  prestige_encoding_t encoding;   /* PLAIN, DELTA_BINARY_PACKED, DELTA_LENGTH_BYTE_ARRAY,
                                     DELTA_BYTE_ARRAY, BYTE_STREAM_SPLIT, or DEFAULT */
  int compression;                /* prestige_compression_t or -1 */
  int compression_level;          /* INT32_MIN: codec default */
  int dictionary;                 /* 1 on, 0 off, -1 default */
  int statistics;                 /* 1 on, 0 off, -1 default */
} prestige_parquet_column_options_t;

#define PRESTIGE_PARQUET_COLUMN_OPTIONS_INIT                                                              \
  {                                                                                                       \
    .version = PRESTIGE_PARQUET_COLUMN_OPTIONS_VERSION, .path = NULL, .encoding = PRESTIGE_ENCODING_DEFAULT, \
    .compression = -1, .compression_level = INT32_MIN, .dictionary = -1, .statistics = -1                 \
  }

/* Same as PRESTIGE_PARQUET_COLUMN_OPTIONS_INIT with path set. */
PRESTIGE_API void prestige_parquet_column_options_init(prestige_parquet_column_options_t *c, const char *path);

#define PRESTIGE_PARQUET_WRITER_OPTIONS_VERSION 2 /* 2 added threads; a version 1 struct still reads (threads 1) */
#define PRESTIGE_PARQUET_WRITER_MAX_THREADS 256
typedef struct prestige_parquet_writer_options {
  unsigned int version;           /* PRESTIGE_PARQUET_WRITER_OPTIONS_VERSION */
  int64_t row_group_rows;         /* default 1,048,576 rows */
  int64_t row_group_bytes;        /* default 128 MiB of encoded data */
  int64_t data_page_bytes;        /* default 1 MiB (uncompressed, before the page is cut) */
  int64_t dictionary_page_bytes;  /* default 1 MiB: a bigger dictionary falls back to PLAIN */
  prestige_compression_t compression; /* default SNAPPY */
  int compression_level;          /* default INT32_MIN: the codec's default (zstd 3, gzip 6, brotli 1) */
  bool dictionary;                /* default true (never for booleans) */
  bool statistics;                /* default true */
  bool page_index;                /* default true: ColumnIndex + OffsetIndex after the row groups */
  bool page_checksums;            /* default false: CRC32 in every page header */
  int data_page_version;          /* 1 (default) or 2 */
  int32_t max_statistics_bytes;   /* default 64: longer binary min/max are truncated (inexact) */
  bool store_arrow_schema;        /* default true: ARROW:schema key-value metadata */
  const char *created_by;         /* default "prestige version <version>" */
  const prestige_kv_t *metadata;  /* extra key-value metadata for the footer */
  int64_t n_metadata;
  const prestige_parquet_column_options_t *columns; /* overrides; later entries win */
  int64_t n_columns;
  /* Encoding threads (version 2; default 1: everything on the caller's thread). With n > 1 the
   * column chunks of a row group are encoded and compressed in parallel on a pool of n - 1
   * threads plus the caller (in windows of up to 128K rows, each column on one thread); the file
   * is byte for byte the one threads = 1 writes, and memory stays one row group.
   * 1..PRESTIGE_PARQUET_WRITER_MAX_THREADS, else EINVAL. */
  int threads;
} prestige_parquet_writer_options_t;

#define PRESTIGE_PARQUET_WRITER_OPTIONS_INIT                                                              \
  {                                                                                                       \
    .version = PRESTIGE_PARQUET_WRITER_OPTIONS_VERSION, .row_group_rows = 1024 * 1024,                    \
    .row_group_bytes = (int64_t)128 << 20, .data_page_bytes = 1 << 20, .dictionary_page_bytes = 1 << 20,  \
    .compression = PRESTIGE_COMPRESSION_SNAPPY, .compression_level = INT32_MIN, .dictionary = true,       \
    .statistics = true, .page_index = true, .page_checksums = false, .data_page_version = 1,              \
    .max_statistics_bytes = 64, .store_arrow_schema = true, .created_by = NULL, .metadata = NULL,         \
    .n_metadata = 0, .columns = NULL, .n_columns = 0, .threads = 1                                         \
  }

/* Same as PRESTIGE_PARQUET_WRITER_OPTIONS_INIT. */
PRESTIGE_API void prestige_parquet_writer_options_init(prestige_parquet_writer_options_t *o);

typedef struct prestige_parquet_column_summary {
  char *path;                     /* dotted leaf path as in the file ("tags.list.element") */
  int32_t field_id;               /* -1 when the Arrow field had no PARQUET:field_id */
  prestige_physical_type_t physical_type;
  int64_t compressed_size, uncompressed_size;
  int64_t value_count;            /* leaf slots including nulls */
  int64_t null_count, nan_count;
  bool has_bounds;                /* false when statistics are off or every value is null */
  uint8_t *lower, *upper;         /* Parquet PLAIN encoding of min and max (binary without length) */
  int32_t lower_len, upper_len;
  bool lower_exact, upper_exact;  /* false when truncated */
} prestige_parquet_column_summary_t;

typedef struct prestige_parquet_file_summary {
  int64_t rows;
  int64_t file_size;
  int64_t row_groups;
  int64_t n_columns;
  prestige_parquet_column_summary_t *columns;
  int64_t *row_group_offsets;     /* row_groups entries: where each row group starts (Iceberg split offsets) */
} prestige_parquet_file_summary_t;

PRESTIGE_API void prestige_parquet_file_summary_release(prestige_parquet_file_summary_t *s);

typedef struct prestige_parquet_writer prestige_parquet_writer_t;

/* Takes ownership of *out (closed or aborted by the writer). The schema must be a struct
 * ("+s"); it is copied. Options are validated (EINVAL naming the field, or naming the struct for
 * a version this library does not know); NULL means defaults. On failure *out is closed (aborted):
 * the writer owns it from the call on. */
PRESTIGE_API int prestige_parquet_writer_open(prestige_parquet_writer_t **w, const struct ArrowSchema *schema, prestige_output_t *out,
                                              const prestige_parquet_writer_options_t *opts, prestige_error_t *err);
PRESTIGE_API int prestige_parquet_writer_open_file(prestige_parquet_writer_t **w, const char *path, const struct ArrowSchema *schema,
                                                   const prestige_parquet_writer_options_t *opts, prestige_error_t *err);
/* Appends a record batch (a struct array matching the schema); validated before use. The
 * batch is not retained. After an error the writer can only be aborted. */
PRESTIGE_API int prestige_parquet_writer_write(prestige_parquet_writer_t *w, const struct ArrowArray *batch, prestige_error_t *err);
/* Appends rows [row0, row0 + n_rows) of a batch (for callers that split batches across files). */
PRESTIGE_API int prestige_parquet_writer_write_slice(prestige_parquet_writer_t *w, const struct ArrowArray *batch, int64_t row0,
                                                     int64_t n_rows, prestige_error_t *err);
/* Writes every ArrowArrayStream batch (the stream's schema must equal the writer's). */
PRESTIGE_API int prestige_parquet_writer_write_stream(prestige_parquet_writer_t *w, struct ArrowArrayStream *stream, prestige_error_t *err);
/* Rows written so far, and bytes written to the output plus buffered row-group data. */
PRESTIGE_API int64_t prestige_parquet_writer_rows(const prestige_parquet_writer_t *w);
PRESTIGE_API int64_t prestige_parquet_writer_bytes(const prestige_parquet_writer_t *w);
/* Flushes the current row group now (for callers that rotate on their own schedule). */
PRESTIGE_API int prestige_parquet_writer_flush_row_group(prestige_parquet_writer_t *w, prestige_error_t *err);
/* A checkpoint without finishing the file: flushes the current row group, then returns in *tail
 * (malloc'd, *tail_len bytes) what close would append now (page indexes, footer, length and
 * magic). The first *data_len bytes written to the output followed by *tail form a complete
 * Parquet file of every row written so far; the tail is not written, and the writer goes on
 * appending row groups after *data_len. The sink keeps the tail beside its unfinished file, so
 * a crash recovery can cut the file back to *data_len and finish it. Each checkpoint ends a row
 * group, so frequent checkpoints make small row groups. */
PRESTIGE_API int prestige_parquet_writer_checkpoint(prestige_parquet_writer_t *w, uint8_t **tail, size_t *tail_len,
                                                    int64_t *data_len, prestige_error_t *err);
/* Finishes the file (footer, fsync via the output's close) and frees w. summary may be NULL. */
PRESTIGE_API int prestige_parquet_writer_close(prestige_parquet_writer_t *w, prestige_parquet_file_summary_t *summary,
                                               prestige_error_t *err);
/* Discards the output (file removed / upload aborted) and frees w. */
PRESTIGE_API void prestige_parquet_writer_abort(prestige_parquet_writer_t *w);

#ifdef __cplusplus
}
#endif

#endif /* PRESTIGE_PARQUET_WRITER_H */
