/*
 * prestige/parquet_reader.h — reads Parquet files as Arrow record batches.
 *
 * The footer is read with one read of the file's tail (footer_prefetch bytes) and a second
 * read only when it is larger. Each selected row group is decoded column by column (only the
 * projected columns are read) and handed out as zero-copy slices of batch_rows rows, so memory
 * is bounded by the projected columns of one row group. A filter (prestige/predicate.h) skips
 * row groups and pages by their statistics and drops the rows that do not match.
 *
 *   prestige_parquet_reader_t *r;
 *   if (prestige_parquet_reader_open_file(&r, "in.parquet", NULL, &err)) return err.code;
 *   struct ArrowArrayStream s;
 *   if (prestige_parquet_reader_stream(r, &s, &err)) return err.code;   // the stream now owns r
 *   struct ArrowSchema schema;
 *   if (s.get_schema(&s, &schema) == 0) schema.release(&schema);
 *   for (;;) {
 *     struct ArrowArray b;
 *     if (s.get_next(&s, &b)) { fprintf(stderr, "%s\n", s.get_last_error(&s)); break; }
 *     if (!b.release) break;                                          // end of the file
 *     printf("%lld rows\n", (long long)b.length);
 *     b.release(&b);
 *   }
 *   s.release(&s);
 *
 * Thread safety: a reader (and its stream) is used by one thread at a time; different readers
 * are independent, even over the same file.
 */
#ifndef PRESTIGE_PARQUET_READER_H
#define PRESTIGE_PARQUET_READER_H

#include "prestige/api.h"

#include <stdbool.h>
#include <stdint.h>

#include "prestige/arrow.h"
#include "prestige/error.h"
#include "prestige/io.h"
#include "prestige/parquet.h"
#include "prestige/predicate.h"

#ifdef __cplusplus
extern "C" {
#endif

/* How INT96 timestamps (the deprecated Impala/Spark type: nanoseconds of the day and a Julian
 * day) are read. Microseconds, the default, cover years -290308..294247 as DuckDB and Spark read
 * them; nanoseconds, as Arrow C++ reads them, cover only 1677-09-21..2262-04-11, and a value
 * outside is an error naming the column, row group, row and value (never a wrapped timestamp). */
typedef enum prestige_int96_unit {
  PRESTIGE_INT96_MICROS = 0, /* timestamp[us] (default); nanoseconds below a microsecond are dropped */
  PRESTIGE_INT96_NANOS = 1,  /* timestamp[ns] */
  PRESTIGE_INT96_MILLIS = 2, /* timestamp[ms] */
  PRESTIGE_INT96_SECONDS = 3 /* timestamp[s] */
} prestige_int96_unit_t;

typedef struct prestige_parquet_reader_options {
  unsigned int version;        /* PRESTIGE_PARQUET_READER_OPTIONS_VERSION (set by the init) */
  int64_t batch_rows;          /* default 8192 */
  int64_t footer_prefetch;     /* default 64 KiB */
  bool verify_checksums;       /* default true: a page CRC mismatch is ECORRUPT */
  bool use_arrow_schema;       /* default true: restore exact Arrow types from ARROW:schema */
  const char *const *columns;  /* columns to read (NULL: all): top-level names or dotted paths
                                  into structs ("point.x"); batches keep the file's column order */
  int64_t n_columns;
  const int32_t *row_groups;   /* row groups to read, in this order (NULL: all) */
  int64_t n_row_groups;
  /* A row filter (prestige/predicate.h), bound to the file's columns when the reader opens: a
   * column it names that the file lacks, or a literal that column's type cannot hold, fails the
   * open with PRESTIGE_EINVAL. Row groups whose statistics prove that no row satisfies it are
   * skipped, and so are the rows of pages whose column index (the page index) proves the same:
   * only the pages that may match are decompressed. Then, with filter_rows, the remaining rows
   * are tested and only those satisfying it are handed out. The filter's columns are read even
   * when columns leaves them out, and are not handed out then. The predicate must outlive the
   * reader. */
  const prestige_predicate_t *filter;
  bool use_page_index;         /* default true: prune pages with the column index when present */
  bool filter_rows;            /* default true: hand out only the rows satisfying filter; false:
                                  prune only (the rows of the pages that may match, unfiltered) */
  prestige_int96_unit_t int96_unit; /* default PRESTIGE_INT96_MICROS */
  /* The largest page (uncompressed) the reader accepts; a bigger one fails with ENOMEM before
   * anything is allocated for it. Default PRESTIGE_PARQUET_MAX_PAGE_BYTES: 1 GiB of values plus
   * 1 MiB for the lengths and levels around them (parquet-testing's large_string_map holds one
   * string of 1 GiB in a page of 1 GiB + 16 bytes). At most 2^31 - 1, the format's own limit.
   * Independently of it, a page whose header claims more than its compressed bytes can hold under
   * its codec (SNAPPY 21:1, LZ4 255:1, GZIP 1032:1, ZSTD its frames' sizes) is ECORRUPT. */
  int64_t max_page_bytes;
  /* Decoding threads (version 2; default 1: everything on the caller's thread). With n > 1 the
   * columns of a row group are decoded and assembled in parallel on a pool of n - 1 threads plus
   * the caller, and a stream decodes up to n row groups ahead of the batch it hands out (memory:
   * at most n + 1 row groups of the projected columns). Batches, rows and errors come out in the
   * same order as with 1 thread. 1..PRESTIGE_PARQUET_READER_MAX_THREADS, else EINVAL. */
  int threads;
} prestige_parquet_reader_options_t;

#define PRESTIGE_PARQUET_READER_OPTIONS_VERSION 2u
#define PRESTIGE_PARQUET_READER_MAX_THREADS 256
/* The defaults, as prestige_parquet_reader_options_init sets them. */
#define PRESTIGE_PARQUET_READER_OPTIONS_INIT                                                              \
  {.version = PRESTIGE_PARQUET_READER_OPTIONS_VERSION, .batch_rows = 8192, .footer_prefetch = 64 * 1024, \
   .verify_checksums = true, .use_arrow_schema = true, .columns = NULL, .n_columns = 0, .row_groups = NULL, \
   .n_row_groups = 0, .filter = NULL, .use_page_index = true, .filter_rows = true,                        \
   .int96_unit = PRESTIGE_INT96_MICROS, .max_page_bytes = PRESTIGE_PARQUET_MAX_PAGE_BYTES, .threads = 1}

#define PRESTIGE_PARQUET_MAX_PAGE_BYTES (((int64_t)1 << 30) + ((int64_t)1 << 20))

/* Sets every option to its default (and the version); call it before setting any. */
PRESTIGE_API void prestige_parquet_reader_options_init(prestige_parquet_reader_options_t *o);

typedef struct prestige_parquet_reader prestige_parquet_reader_t;

/* Takes ownership of *in from the call on: on success the reader closes it; on any failure
 * (bad options included) open has closed it already, so the caller never closes *in itself.
 * Options are validated (EINVAL naming the field, or the struct for an unknown version); NULL
 * means defaults. */
PRESTIGE_API int prestige_parquet_reader_open(prestige_parquet_reader_t **r, prestige_input_t *in,
                                              const prestige_parquet_reader_options_t *opts, prestige_error_t *err);
PRESTIGE_API int prestige_parquet_reader_open_file(prestige_parquet_reader_t **r, const char *path,
                                                   const prestige_parquet_reader_options_t *opts, prestige_error_t *err);
/* The (projected) Arrow schema of the batches. */
PRESTIGE_API int prestige_parquet_reader_schema(const prestige_parquet_reader_t *r, struct ArrowSchema *out, prestige_error_t *err);
PRESTIGE_API int64_t prestige_parquet_reader_num_rows(const prestige_parquet_reader_t *r);
PRESTIGE_API int32_t prestige_parquet_reader_num_row_groups(const prestige_parquet_reader_t *r); /* after pruning */
PRESTIGE_API int32_t prestige_parquet_reader_pruned_row_groups(const prestige_parquet_reader_t *r);
/* Pages (of every projected column) and rows skipped by page pruning so far. */
PRESTIGE_API int64_t prestige_parquet_reader_pruned_pages(const prestige_parquet_reader_t *r);
PRESTIGE_API int64_t prestige_parquet_reader_pruned_rows(const prestige_parquet_reader_t *r);
/* Rows read (after pruning) that the row filter dropped so far. */
PRESTIGE_API int64_t prestige_parquet_reader_filtered_rows(const prestige_parquet_reader_t *r);
/* Key-value metadata value of the footer (not NUL-terminated); false when absent. */
PRESTIGE_API bool prestige_parquet_reader_metadata(const prestige_parquet_reader_t *r, const char *key, const uint8_t **value,
                                                   int32_t *len);
/* Reads row group i (an index into the selected row groups) as one record batch: with a row
 * filter, only its matching rows (possibly none). */
PRESTIGE_API int prestige_parquet_reader_read_row_group(prestige_parquet_reader_t *r, int32_t i, struct ArrowArray *out,
                                                        prestige_error_t *err);
/* A stream of record batches over the selected row groups. The stream takes ownership of r
 * (also on failure: r is closed then). */
PRESTIGE_API int prestige_parquet_reader_stream(prestige_parquet_reader_t *r, struct ArrowArrayStream *out, prestige_error_t *err);
PRESTIGE_API void prestige_parquet_reader_close(prestige_parquet_reader_t *r);

#ifdef __cplusplus
}
#endif

#endif /* PRESTIGE_PARQUET_READER_H */
