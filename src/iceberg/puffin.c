/* Deletion vectors in Puffin files (see puffin.h). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "iceberg/puffin.h"
#include "iceberg/roaring.h"

static const uint8_t DV_MAGIC[4] = {0xD1, 0xD3, 0x39, 0x64};
static const uint8_t PUFFIN_MAGIC[4] = {'P', 'F', 'A', '1'};

static uint32_t be32(const uint8_t *p) { return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3]; }
static void put_be32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v;
}

int ice_dv_decode(const uint8_t *blob, size_t len, const char *what, int64_t **pos, size_t *n, prestige_error_t *err) {
  *pos = NULL;
  *n = 0;
  if (len < 12) return prestige_error_set(err, PRESTIGE_ECORRUPT, "deletion vector %s: %zu bytes, too short", what, len);
  uint32_t l = be32(blob);
  if ((size_t)l != len - 8)
    return prestige_error_set(err, PRESTIGE_ECORRUPT, "deletion vector %s: length field %u, but the blob holds %zu", what, l, len - 8);
  if (memcmp(blob + 4, DV_MAGIC, 4)) return prestige_error_set(err, PRESTIGE_ECORRUPT, "deletion vector %s: bad magic", what);
  uint32_t want = be32(blob + len - 4);
  uint32_t got = (uint32_t)crc32(0L, blob + 4, (uInt)(len - 8));
  if (want != got)
    return prestige_error_set(err, PRESTIGE_ECORRUPT, "deletion vector %s: CRC 0x%08x, expected 0x%08x", what, got, want);
  return ice_roaring64_decode(blob + 8, len - 12, what, pos, n, err);
}

int ice_dv_encode(const int64_t *pos, size_t n, buf_t *out, prestige_error_t *err) {
  size_t start = out->len;
  uint8_t hdr[8] = {0, 0, 0, 0, 0xD1, 0xD3, 0x39, 0x64};
  if (buf_append(out, hdr, 8)) return prestige_error_set(err, PRESTIGE_ENOMEM, "deletion vector: out of memory");
  PRESTIGE_TRY(ice_roaring64_encode(pos, n, out, err));
  size_t body = out->len - start - 4; /* magic + bitmap */
  put_be32(out->data + start, (uint32_t)body);
  uint8_t crc[4];
  put_be32(crc, (uint32_t)crc32(0L, out->data + start + 4, (uInt)body));
  if (buf_append(out, crc, 4)) return prestige_error_set(err, PRESTIGE_ENOMEM, "deletion vector: out of memory");
  return 0;
}

int ice_dv_read(ice_io_t *io, const ice_data_file_t *df, int64_t **pos, size_t *n, prestige_error_t *err) {
  *pos = NULL;
  *n = 0;
  if (!df->has_content_offset || !df->has_content_size || df->content_offset < 0 || df->content_size_in_bytes < 12 ||
      df->content_size_in_bytes > (1LL << 31))
    return prestige_error_set(err, PRESTIGE_ECORRUPT, "deletion vector in %s: content_offset/content_size_in_bytes missing or out of range",
                              df->file_path);
  prestige_input_t in;
  PRESTIGE_TRY(ice_io_open_input(io, df->file_path, (uint64_t)df->file_size_in_bytes, &in, err));
  uint8_t *blob = malloc((size_t)df->content_size_in_bytes);
  int rc = blob ? in.read_at(in.ctx, (uint64_t)df->content_offset, blob, (size_t)df->content_size_in_bytes, err)
                : prestige_error_set(err, PRESTIGE_ENOMEM, "deletion vector: out of memory");
  in.close(in.ctx);
  char what[4200];
  snprintf(what, sizeof what, "%s@%lld", df->file_path, (long long)df->content_offset);
  if (!rc) rc = ice_dv_decode(blob, (size_t)df->content_size_in_bytes, what, pos, n, err);
  free(blob);
  if (!rc && df->record_count >= 0 && (int64_t)*n != df->record_count) {
    rc = prestige_error_set(err, PRESTIGE_ECORRUPT, "deletion vector %s: %lld positions, the manifest says %lld", what,
                            (long long)*n, (long long)df->record_count);
    free(*pos);
    *pos = NULL;
    *n = 0;
  }
  return rc;
}

int ice_puffin_write_dvs(ice_io_t *io, const char *loc, ice_dv_blob_t *blobs, size_t n, int64_t *file_size, prestige_error_t *err) {
  buf_t b = BUF_INIT;
  int rc = buf_append(&b, PUFFIN_MAGIC, 4) ? PRESTIGE_ENOMEM : 0;
  json_t *list = json_array();
  for (size_t i = 0; i < n && !rc; i++) {
    size_t at = b.len;
    if ((rc = ice_dv_encode(blobs[i].pos, blobs[i].n, &b, err))) break;
    blobs[i].offset = (int64_t)at;
    blobs[i].length = (int64_t)(b.len - at);
    char card[32];
    snprintf(card, sizeof card, "%zu", blobs[i].n);
    json_array_append_new(list, json_pack("{s:s,s:[i],s:i,s:i,s:I,s:I,s:{s:s,s:s}}", "type", "deletion-vector-v1", "fields", 2147483545,
                                          "snapshot-id", -1, "sequence-number", -1, "offset", (json_int_t)at, "length",
                                          (json_int_t)(b.len - at), "properties", "referenced-data-file",
                                          blobs[i].referenced_data_file, "cardinality", card));
  }
  json_t *footer = json_pack("{s:o,s:{s:s}}", "blobs", list, "properties", "created-by", "prestige");
  char *text = footer ? json_dumps(footer, JSON_COMPACT) : NULL;
  json_decref(footer);
  if (!rc && !text) rc = PRESTIGE_ENOMEM;
  if (!rc) {
    uint32_t tl = (uint32_t)strlen(text);
    uint8_t flags[4] = {0, 0, 0, 0};
    if (buf_append(&b, PUFFIN_MAGIC, 4) || buf_append(&b, text, tl) || buf_append_le32(&b, tl) || buf_append(&b, flags, 4) ||
        buf_append(&b, PUFFIN_MAGIC, 4))
      rc = PRESTIGE_ENOMEM;
  }
  free(text);
  if (rc == PRESTIGE_ENOMEM) rc = prestige_error_set(err, PRESTIGE_ENOMEM, "puffin %s: out of memory", loc);
  if (!rc) rc = ice_io_write(io, loc, b.data, b.len, true, err);
  if (!rc) *file_size = (int64_t)b.len;
  buf_release(&b);
  return rc;
}
