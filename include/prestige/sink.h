/*
 * prestige/sink.h — ParquetSink: takes records from many threads and lands them as Parquet files,
 * rotating by rows, bytes and time, uploading finished files, and recovering after a crash without
 * losing or duplicating acknowledged data.
 *
 *   #define SENSOR_DATA(F) F(timestamp, U64) F(sensor_id, STRING) F(temperature, F32)
 *   PRESTIGE_RECORD(sensor_data, SENSOR_DATA)          // see prestige/records.h
 *
 *   prestige_file_upload_t *uploader = NULL;           // or prestige_file_upload_new(...): NULL keeps files local
 *   prestige_sink_options_t o = PRESTIGE_SINK_OPTIONS_INIT;   // o.writer starts from the writer's INIT
 *   o.name = "sensor_data";  o.dir = "/data/out";  o.upload = uploader;  o.auto_commit = true;
 *   o.max_rows = 100000;  o.writer.compression = PRESTIGE_COMPRESSION_ZSTD;
 *   prestige_sink_t *sink;
 *   if (prestige_sink_open(&sink, &o, sensor_data_record(), NULL, &err)) return err.code; // crash recovery here
 *   prestige_sink_start(sink, &err);                                  // the sink's own thread
 *   prestige_sink_client_t *c = prestige_sink_client_new(sink);      // one per producer thread
 *   sensor_data_t reading = {.timestamp = 1, .sensor_id = PRESTIGE_STR("t-1"), .temperature = 21.5f};
 *   prestige_sink_write(c, &reading, &err);
 *   prestige_sink_manifest_t m;
 *   if (prestige_sink_commit(c, &m, &err) == 0)   // durable: every record written before is in m's files
 *     prestige_sink_manifest_release(&m);
 *   prestige_sink_client_free(c, &err);            // flushes what c buffered; every client before close
 *   prestige_sink_close(sink, NULL, &err);         // final commit, stops the thread, frees
 *
 * Files are named <name>.<timestamp_ms>.parquet. A file being written is <name>.<ts>.parquet.tmp;
 * it gets its final name only after its footer is written and fsync'd. On open, leftovers of a
 * crash are handled as the reference does: with auto_commit, in-progress files are moved to
 * <dir>/.incomplete/; without, they are deleted; completed files still in the directory are
 * uploaded again (skipped when the bucket already holds them at the same size).
 *
 * A record counts as acknowledged once a commit or checkpoint that followed its write returned
 * successfully. When the shutdown token stops the sink, it makes a final commit; close returns
 * that commit's manifest.
 * Thread safety and order: the sink's functions and each client's functions may be called from
 * any thread; a client is meant for one producer thread (its calls are serialised by a lock, so
 * sharing one is safe but slow). Free every client before closing the sink: close fails with
 * PRESTIGE_EBUSY, naming how many clients are alive, and leaves the sink open and usable, while
 * any is alive (calling a client after a successful close is a use-after-free, as with any freed
 * object). Open, start or run, recovered_files/restored_files, and close are for one thread.
 *
 * Threads: besides its own (start) the sink owns a finisher thread, started by open and joined by
 * close: a file rotated by rows, bytes or time is finished there (last row group, footer, fsync,
 * rename) while the sink thread goes on with the next one, at most two at a time. A commit or
 * checkpoint waits for them; on_file and uploads still happen on the sink thread, in rotation order.
 *
 * Metrics (label sink = metrics_label): prestige.file_sink.records_written (counter),
 * prestige.file_sink.files_created (counter), prestige.file_sink.write_duration_ms (histogram).
 */
#ifndef PRESTIGE_SINK_H
#define PRESTIGE_SINK_H

#include "prestige/api.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "prestige/arrow.h"
#include "prestige/core.h"
#include "prestige/error.h"
#include "prestige/parquet_writer.h"
#include "prestige/records.h"
#include "prestige/upload.h"

#ifdef __cplusplus
extern "C" {
#endif

struct prestige_sink_file;

#define PRESTIGE_SINK_OPTIONS_VERSION 1
typedef struct prestige_sink_options {
  unsigned int version;               /* PRESTIGE_SINK_OPTIONS_VERSION */
  const char *name;                   /* file prefix (required) */
  const char *dir;                    /* output directory, created if missing (required) */
  prestige_file_upload_t *upload;     /* uploader for finished files; NULL keeps them local */
  const char *metrics_label;          /* value of the "sink" label; default: name */
  int64_t batch_size;                 /* records a client buffers before handing a batch over, >= 1; default 8192 */
  int64_t max_rows;                   /* rotate after this many rows; 0 = no limit (>= 0); default 1,000,000 */
  int64_t max_size_bytes;             /* rotate once a file reaches this size; 0 = no limit (>= 0); default 0 */
  int64_t rotation_interval_ms;       /* rotate a file this old; 0 = never (>= 0); default 0 */
  bool auto_commit;                   /* upload files as they are finished (else at commit); default true */
  bool keep_local;                    /* keep local files after a confirmed upload; default false */
  size_t queue_capacity;              /* batches waiting for the sink thread (backpressure), >= 1; default 16 */
  const char *timestamp_column;       /* column for the manifest's min/max; default: first timestamp */
  prestige_shutdown_t *shutdown;      /* optional shared token: when triggered the sink commits and stops */
  /* Called on the sink thread each time a file is finished (before its upload completes). */
  void (*on_file)(void *user_data, const struct prestige_sink_file *file);
  void *user_data;
  prestige_parquet_writer_options_t writer; /* codec, row groups, ... (validated at open, like the writer's) */
} prestige_sink_options_t;

#define PRESTIGE_SINK_OPTIONS_INIT                                                                        \
  {                                                                                                       \
    .version = PRESTIGE_SINK_OPTIONS_VERSION, .name = NULL, .dir = NULL, .upload = NULL,                  \
    .metrics_label = NULL, .batch_size = 8192, .max_rows = 1000000, .max_size_bytes = 0,                  \
    .rotation_interval_ms = 0, .auto_commit = true, .keep_local = false, .queue_capacity = 16,            \
    .timestamp_column = NULL, .shutdown = NULL, .on_file = NULL, .user_data = NULL,                       \
    .writer = PRESTIGE_PARQUET_WRITER_OPTIONS_INIT                                                        \
  }

/* Same as PRESTIGE_SINK_OPTIONS_INIT. */
PRESTIGE_API void prestige_sink_options_init(prestige_sink_options_t *o);

typedef struct prestige_sink_file {
  char *path;          /* local path of the finished file (may be gone when uploaded without keep_local) */
  char *key;           /* object key in the upload store, or NULL when not uploaded */
  int64_t rows;
  int64_t bytes;
  bool has_timestamps; /* min/max valid */
  int64_t min_timestamp_ms, max_timestamp_ms;
  bool recovered;      /* finished before a crash and uploaded again by this sink's recovery */
} prestige_sink_file_t;

typedef struct prestige_sink_manifest {
  prestige_sink_file_t *files;
  size_t n_files;
  int64_t rows;        /* sum over files */
  int64_t open_rows;   /* checkpoint: rows of the unfinished current file that are durable (0 after a commit) */
} prestige_sink_manifest_t;

PRESTIGE_API void prestige_sink_manifest_release(prestige_sink_manifest_t *m);
/* One JSON object: {"files":[{"path","key","rows","bytes","min_timestamp_ms","max_timestamp_ms"}...],"rows":N}
 * with "open_rows":N when not 0. malloc'd. */
PRESTIGE_API char *prestige_sink_manifest_json(const prestige_sink_manifest_t *m);

typedef struct prestige_sink prestige_sink_t;
typedef struct prestige_sink_client prestige_sink_client_t;

/* desc: the record type (typed writes); or schema (Arrow batches only) when desc is NULL.
 * Options are validated first, the writer's included (EINVAL naming the field, or the struct for
 * an unknown version). Performs crash recovery before returning. */
PRESTIGE_API int prestige_sink_open(prestige_sink_t **out, const prestige_sink_options_t *o, const prestige_record_desc_t *desc,
                                    const struct ArrowSchema *schema, prestige_error_t *err);
/* Runs the sink on a new thread. */
PRESTIGE_API int prestige_sink_start(prestige_sink_t *sink, prestige_error_t *err);
/* Or runs it on the calling thread until closed or shut down (returns the last error, if any). */
PRESTIGE_API int prestige_sink_run(prestige_sink_t *sink, prestige_error_t *err);
/* Files recovered on open (re-uploaded completed files), reported in the first commit too. */
PRESTIGE_API size_t prestige_sink_recovered_files(const prestige_sink_t *sink, size_t *moved_incomplete, size_t *deleted);
/* Unfinished files open's recovery finished at their last checkpoint, and their rows (these files
 * are among the recovered ones when the sink uploads). */
PRESTIGE_API size_t prestige_sink_restored_files(const prestige_sink_t *sink, int64_t *rows);

/* A producer's handle. NULL on ENOMEM, or when the sink is closing or has stopped. */
PRESTIGE_API prestige_sink_client_t *prestige_sink_client_new(prestige_sink_t *sink);
/* Flushes records the client buffered (they are written, not committed) and frees it, also when
 * the flush fails (its error is returned). Must come before prestige_sink_close. */
PRESTIGE_API int prestige_sink_client_free(prestige_sink_client_t *c, prestige_error_t *err);
/* Typed records (the sink must have a record type): copied, so the caller may reuse the memory.
 * A STRING value that is not UTF-8 is refused (PRESTIGE_ECORRUPT naming the record of the call,
 * the field and the byte); the records of the call before it are taken, the rest are not. */
PRESTIGE_API int prestige_sink_write(prestige_sink_client_t *c, const void *record, prestige_error_t *err);
PRESTIGE_API int prestige_sink_write_many(prestige_sink_client_t *c, const void *records, size_t n, prestige_error_t *err);
/* An Arrow batch matching the sink's schema; moved: batch->release is NULL afterwards, whether
 * the call succeeds or fails (on failure the batch has been released, never half-written, and
 * none of its rows is in the sink). A NULL batch or one already released is EINVAL. */
PRESTIGE_API int prestige_sink_write_batch(prestige_sink_client_t *c, struct ArrowArray *batch, prestige_error_t *err);
/* Finishes the current file and makes every record written before durable (and uploaded when the
 * sink has an uploader); returns the files finished since the previous commit. manifest may be NULL. */
PRESTIGE_API int prestige_sink_commit(prestige_sink_client_t *c, prestige_sink_manifest_t *manifest, prestige_error_t *err);
/* Like commit, but without cutting the current file: makes every record written before durable.
 * Files finished so far (by rotation) are made durable and uploaded, and returned; the current
 * file's rows are made durable in place: its row group ends, the data is fdatasync'd and the
 * footer those row groups need is kept (fdatasync'd) beside it in <file>.tmp.ckpt0/1, so the file
 * keeps growing to max_rows across checkpoints. manifest->open_rows gives its durable rows. After
 * a crash, open's recovery cuts such a file back to its last checkpoint, finishes it with that
 * footer and uploads it like any finished file: every record a checkpoint covered survives, once.
 * Cost: two fdatasyncs, a row group cut, and a footer write that grows with the file's row
 * groups; when that footer passes 64 KiB and an eighth of the file's data, the checkpoint
 * finishes the file instead (as a commit does). Readers and uploads only ever see finished files. */
PRESTIGE_API int prestige_sink_checkpoint(prestige_sink_client_t *c, prestige_sink_manifest_t *manifest, prestige_error_t *err);
/* Final commit, stops the sink thread, waits for uploads, frees. final may be NULL; when the
 * shutdown token stopped the sink, final gets the manifest of the commit it made then.
 * PRESTIGE_EBUSY, with nothing done, while clients made by prestige_sink_client_new are alive:
 * free them first (then call close again). Every other outcome frees the sink. */
PRESTIGE_API int prestige_sink_close(prestige_sink_t *sink, prestige_sink_manifest_t *final, prestige_error_t *err);

#ifdef __cplusplus
}
#endif

#endif /* PRESTIGE_SINK_H */
