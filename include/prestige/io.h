/*
 * prestige/io.h — the two small byte interfaces every format component is written against:
 * a sequential output (Parquet writer → local file, S3 multipart upload, memory) and a
 * random-access input (Parquet reader ← local file, S3 ranged GET, memory).
 *
 *   prestige_output_t out;
 *   if (prestige_output_open_file(&out, "x.bin.tmp", &err)) return err.code;
 *   if (out.write(out.ctx, "PAR1", 4, &err)) { out.abort(out.ctx); return err.code; }
 *   int rc = out.close(out.ctx, &err);           // flushes and fsyncs; frees ctx
 *   if (rc) return rc;
 *
 *   prestige_input_t in;
 *   if (prestige_input_open_file(&in, "x.bin.tmp", &err)) return err.code;
 *   uint64_t size = 0;
 *   uint8_t tail[4];
 *   if (!in.size(in.ctx, &size, &err) && size >= 4) in.read_at(in.ctx, size - 4, tail, 4, &err);
 *   in.close(in.ctx);
 */
#ifndef PRESTIGE_IO_H
#define PRESTIGE_IO_H

#include "prestige/api.h"

#include <stddef.h>
#include <stdint.h>

#include "prestige/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct prestige_output {
  void *ctx;
  /* Appends len bytes. On failure the output is unusable; call abort. */
  int (*write)(void *ctx, const void *data, size_t len, prestige_error_t *err);
  /* Makes everything written durable (fsync for files, CompleteMultipartUpload for S3) and
   * frees ctx, whether it succeeds or not. */
  int (*close)(void *ctx, prestige_error_t *err);
  /* Discards what was written (removes the file, aborts the upload) and frees ctx. */
  void (*abort)(void *ctx);
  /* Bytes written so far. */
  uint64_t (*tell)(void *ctx);
  const char *name; /* for error messages: path or URL; owned by ctx */
} prestige_output_t;

typedef struct prestige_input {
  void *ctx;
  /* Reads exactly len bytes at offset into dst; a short read is an error (ECORRUPT when the
   * range lies past the end of the object, EIO/ENET otherwise). Thread-safe. */
  int (*read_at)(void *ctx, uint64_t offset, void *dst, size_t len, prestige_error_t *err);
  int (*size)(void *ctx, uint64_t *size, prestige_error_t *err);
  /* Optional (may be NULL): a hint that these ranges will be read soon, so an object store can
   * coalesce them into fewer requests. */
  int (*will_need)(void *ctx, const uint64_t *offsets, const uint64_t *lengths, size_t n,
                   prestige_error_t *err);
  void (*close)(void *ctx); /* frees ctx */
  const char *name;         /* for error messages; owned by ctx */
} prestige_input_t;

/* Local file output: created with O_CREAT|O_TRUNC, buffered, fsync'd on close. abort unlinks it. */
PRESTIGE_API int prestige_output_open_file(prestige_output_t *out, const char *path, prestige_error_t *err);
/* Growable in-memory output; *data and *len are set (caller frees *data with free) when closed. */
PRESTIGE_API int prestige_output_open_memory(prestige_output_t *out, uint8_t **data, size_t *len, prestige_error_t *err);

/* Local file input using pread. */
PRESTIGE_API int prestige_input_open_file(prestige_input_t *in, const char *path, prestige_error_t *err);
/* Input over caller-owned memory (not copied; must outlive the input). */
PRESTIGE_API int prestige_input_open_memory(prestige_input_t *in, const void *data, size_t len, const char *name,
                                            prestige_error_t *err);

#ifdef __cplusplus
}
#endif

#endif /* PRESTIGE_IO_H */
