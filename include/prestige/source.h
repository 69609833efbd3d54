/*
 * prestige/source.h — file source: the record batches of a list of Parquet files, local or in a
 * bucket, as one ArrowArrayStream.
 *
 *   const char *paths[] = {"data/file1.parquet", "data/file2.parquet"};
 *   struct ArrowArrayStream s;
 *   if (prestige_source(&s, paths, 2, NULL, &err) == 0)             // the reference's source(paths, ..)
 *     s.release(&s);                                                 // after get_next as in parquet_reader.h
 *
 *   prestige_store_t *store;
 *   if (prestige_store_open(&store, "s3://my-bucket/", NULL, &err)) return err.code;
 *   prestige_file_meta_t *metas; size_t n;
 *   if (prestige_list_files(store, "sensor_data/", INT64_MIN, INT64_MAX, &metas, &n, &err) == 0) {
 *     if (prestige_source_s3_files(&s, store, metas, n, NULL, &err) == 0) s.release(&s);  // source_s3_files(..)
 *     prestige_file_metas_free(metas, n);
 *   }
 *   prestige_store_free(store);
 *
 * Ordered sources yield file after file, reading up to read_ahead files concurrently (default 2);
 * unordered sources (options.unordered, the reference's source_s3_files_unordered) yield batches as
 * soon as any of `concurrency` files in flight produces them (at most as many decoding at once as
 * there are cores, the others opened ahead). Objects are read with ranged GETs: the footer with
 * one request, then per row group only the projected column chunks, adjacent ranges coalesced; an
 * object of up to 1 MiB is read whole by the footer request (one GET). Memory is bounded by the
 * files in flight, not by the number of files. Every file must have the schema of the first one.
 * A file that fails (missing, corrupt, permission) gives an error naming it; with skip_errors it
 * is reported to on_file_error and skipped.
 */
#ifndef PRESTIGE_SOURCE_H
#define PRESTIGE_SOURCE_H

#include "prestige/api.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "prestige/arrow.h"
#include "prestige/error.h"
#include "prestige/predicate.h"
#include "prestige/store.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Version 2 added threads; a version 1 struct is still accepted (threads 1). */
#define PRESTIGE_SOURCE_OPTIONS_VERSION 2
typedef struct prestige_source_options {
  unsigned int version;             /* PRESTIGE_SOURCE_OPTIONS_VERSION */
  int64_t batch_rows;               /* rows per batch (0: the reader's default, 65536) */
  const char *const *columns;       /* projection (top-level names or dotted paths); NULL = all */
  int64_t n_columns;
  bool unordered;                   /* yield batches in the order files produce them */
  int read_ahead;                   /* ordered: files read concurrently; default 2 */
  int concurrency;                  /* unordered: files in flight (decoding: at most the cores); default 4 */
  bool skip_errors;                 /* skip a failing file (reported) instead of ending the stream */
  void (*on_file_error)(void *user_data, const char *file, const prestige_error_t *error);
  void *user_data;
  /* Row filter (prestige/predicate.h), NULL for none: each file's reader skips the row groups and
   * pages its statistics rule out and hands out only the matching rows (its columns are read
   * even when columns leaves them out). A column it names that a file lacks, or a literal that
   * column cannot hold, is PRESTIGE_EINVAL. Must outlive the stream. */
  const struct prestige_predicate *filter;
  /* version 2: decoding threads of each file's reader (its pool, core/workers: the columns of a
   * row group decoded in parallel, row groups decoded ahead of the one handed out). 1 (default):
   * each file decodes on the thread that reads it. Memory: the files in flight times threads + 1
   * row groups of the projected columns. Rows, batches and errors come out as with 1. 1..256. */
  int threads;
} prestige_source_options_t;

#define PRESTIGE_SOURCE_OPTIONS_INIT                                                                      \
  {                                                                                                       \
    .version = PRESTIGE_SOURCE_OPTIONS_VERSION, .batch_rows = 0, .columns = NULL, .n_columns = 0,         \
    .unordered = false, .read_ahead = 2, .concurrency = 4, .skip_errors = false, .on_file_error = NULL,   \
    .user_data = NULL, .filter = NULL, .threads = 1                                                       \
  }

/* Same as PRESTIGE_SOURCE_OPTIONS_INIT. */
PRESTIGE_API void prestige_source_options_init(prestige_source_options_t *o);

/* Local files (paths are copied). */
PRESTIGE_API int prestige_source(struct ArrowArrayStream *out, const char *const *paths, size_t n, const prestige_source_options_t *o,
                                 prestige_error_t *err);
/* Objects of a store (S3 or a local-directory bucket), e.g. from prestige_list_files; sizes known
 * from the listing save a HEAD each. The store must outlive the stream. */
PRESTIGE_API int prestige_source_s3_files(struct ArrowArrayStream *out, prestige_store_t *store, const prestige_file_meta_t *files,
                                          size_t n, const prestige_source_options_t *o, prestige_error_t *err);

#ifdef __cplusplus
}
#endif

#endif /* PRESTIGE_SOURCE_H */
