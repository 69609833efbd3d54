/*
 * Deletion vectors (spec "Deletion Vectors") in Puffin files (Puffin spec): a blob of type
 * deletion-vector-v1 is a big-endian uint32 length of what follows up to the CRC, the magic
 * D1 D3 39 64, a portable 64-bit Roaring bitmap of the deleted positions (roaring.h), and the
 * big-endian CRC-32 of magic + bitmap. A Puffin file is "PFA1", the blobs, then the footer:
 * "PFA1", the footer JSON (blobs with type, fields [2147483545], snapshot-id -1, sequence-number
 * -1, offset, length, properties referenced-data-file and cardinality), its length (int32 LE),
 * flags (4 bytes, 0: uncompressed) and "PFA1".
 *
 *   int64_t *pos; size_t n;
 *   ice_dv_read(io, &delete_file, &pos, &n, &err);   // the blob at content_offset, checked
 */
#ifndef PRESTIGE_ICEBERG_PUFFIN_H
#define PRESTIGE_ICEBERG_PUFFIN_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "iceberg/io.h"
#include "iceberg/manifest.h"

/* A deletion-vector-v1 blob's positions (sorted, unique; *pos malloc'd). what names it. */
int ice_dv_decode(const uint8_t *blob, size_t len, const char *what, int64_t **pos, size_t *n, prestige_error_t *err);
int ice_dv_encode(const int64_t *pos, size_t n, buf_t *out, prestige_error_t *err);
/* The DV a delete file entry points at (file_format puffin, content_offset/size set). */
int ice_dv_read(ice_io_t *io, const ice_data_file_t *df, int64_t **pos, size_t *n, prestige_error_t *err);

typedef struct ice_dv_blob {
  const char *referenced_data_file;
  const int64_t *pos; /* sorted, unique */
  size_t n;
  int64_t offset, length; /* filled by ice_puffin_write_dvs */
} ice_dv_blob_t;

/* Writes one Puffin file holding one DV per blob; *file_size gets its size. */
int ice_puffin_write_dvs(ice_io_t *io, const char *loc, ice_dv_blob_t *blobs, size_t n, int64_t *file_size, prestige_error_t *err);

#endif
