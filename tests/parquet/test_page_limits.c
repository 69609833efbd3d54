/* Page size limits: a page header that claims more than its compressed bytes can hold under its
 * codec, or more than the reader's max_page_bytes, is refused before the page is allocated or
 * decoded, with a message naming the page, the sizes and the bound. Files are written by prestige,
 * then one page header is rewritten (the bytes after it and the footer's offsets shift with it). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/buf.h"
#include "parquet/metadata.h"
#include "prestige/parquet_reader.h"
#include "prestige/parquet_writer.h"
#include "test.h"

#define ROWS 20000

static uint8_t *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  uint8_t *d = malloc((size_t)n + 1);
  if (d && fread(d, 1, (size_t)n, f) != (size_t)n) {
    free(d);
    d = NULL;
  }
  fclose(f);
  *len = (size_t)n;
  return d;
}

/* One column "v" (int64 with a few distinct values, or strings when `strings`), one row group,
 * one data page (plus a dictionary page when `dict`), no page index. */
static void write_file(const char *path, prestige_compression_t codec, int page_version, bool dict, bool strings) {
  prestige_error_t err;
  struct ArrowSchema s;
  prestige_schema_init(&s, "+s", "", 0, &err);
  prestige_schema_allocate_children(&s, 1, &err);
  prestige_schema_init(s.children[0], strings ? "u" : "l", "v", 0, &err);
  prestige_array_builder_t *b;
  CHECK_OK(prestige_array_builder_new(&b, &s, &err));
  int rc = 0;
  for (int64_t i = 0; i < ROWS && !rc; i++) {
    if (strings) {
      char t[32];
      int n = snprintf(t, sizeof t, "value-%lld", (long long)(i % 10));
      rc = prestige_array_builder_append_bytes(prestige_array_builder_child(b, 0), t, n, &err);
    } else {
      rc = prestige_array_builder_append_int(prestige_array_builder_child(b, 0), i % 10, &err);
    }
    if (!rc) rc = prestige_array_builder_append_struct(b, &err);
  }
  CHECK_OK(rc);
  struct ArrowArray a;
  CHECK_OK(prestige_array_builder_finish(b, &a, &err));
  prestige_array_builder_free(b);
  prestige_parquet_writer_options_t o;
  prestige_parquet_writer_options_init(&o);
  o.compression = codec;
  o.data_page_version = page_version;
  o.dictionary = dict;
  o.page_index = false;
  o.data_page_bytes = 16 << 20;
  prestige_parquet_writer_t *w;
  CHECK_OK(prestige_parquet_writer_open_file(&w, path, &s, &o, &err));
  CHECK_OK(prestige_parquet_writer_write(w, &a, &err));
  CHECK_OK(prestige_parquet_writer_close(w, NULL, &err));
  a.release(&a);
  prestige_schema_release(&s);
}

/* The uncompressed and compressed sizes page `which` of row group 0, column 0 declares; -1 if none. */
static int64_t page_sizes(const char *path, int which, int64_t *compressed) {
  prestige_error_t err;
  size_t len;
  uint8_t *d = slurp(path, &len);
  if (!d || len < 12) return -1;
  uint32_t flen = (uint32_t)d[len - 8] | (uint32_t)d[len - 7] << 8 | (uint32_t)d[len - 6] << 16 | (uint32_t)d[len - 5] << 24;
  arena_t a = ARENA_INIT;
  pq_file_metadata_t m;
  int64_t out = -1;
  if (pq_file_metadata_decode(d + len - 8 - flen, flen, &a, &m, &err) == 0) {
    pq_column_meta_t *cm = m.row_groups[0].columns[0].meta_data;
    size_t at = (size_t)(cm->has_dictionary_page_offset ? cm->dictionary_page_offset : cm->data_page_offset), hl;
    pq_page_header_t h;
    for (int k = 0; pq_page_header_decode(d + at, len - 8 - flen - at, &a, &h, &hl, &err) == 0; k++) {
      if (k == which) {
        out = h.uncompressed_page_size;
        *compressed = h.compressed_page_size;
        break;
      }
      at += hl + (size_t)h.compressed_page_size;
    }
  }
  arena_release(&a);
  free(d);
  return out;
}

/* Rewrites the header of page `which` (0 = the first in the chunk) of row group 0, column 0:
 * its uncompressed_page_size becomes `claimed` (for a v2 page: the levels' bytes plus `claimed`).
 * Returns the page's previous uncompressed size (values part for v2), or -1. */
static int64_t rewrite_page(const char *in, const char *out, int which, int64_t claimed) {
  prestige_error_t err;
  size_t len;
  uint8_t *d = slurp(in, &len);
  if (!d || len < 12) return -1;
  uint32_t flen = (uint32_t)d[len - 8] | (uint32_t)d[len - 7] << 8 | (uint32_t)d[len - 6] << 16 | (uint32_t)d[len - 5] << 24;
  size_t fstart = len - 8 - flen;
  arena_t a = ARENA_INIT;
  pq_file_metadata_t m;
  int64_t old = -1;
  buf_t hdr = BUF_INIT, foot = BUF_INIT;
  if (pq_file_metadata_decode(d + fstart, flen, &a, &m, &err)) goto done;
  pq_column_meta_t *cm = m.row_groups[0].columns[0].meta_data;
  size_t at = (size_t)(cm->has_dictionary_page_offset ? cm->dictionary_page_offset : cm->data_page_offset);
  pq_page_header_t h;
  size_t hl = 0;
  for (int k = 0;; k++) {
    if (pq_page_header_decode(d + at, fstart - at, &a, &h, &hl, &err)) goto done;
    if (k == which) break;
    at += hl + (size_t)h.compressed_page_size;
  }
  int64_t levels = 0;
  if (h.type == PQ_PAGE_DATA_V2)
    levels = h.data_page_header_v2->definition_levels_byte_length + h.data_page_header_v2->repetition_levels_byte_length;
  old = h.uncompressed_page_size - levels;
  h.uncompressed_page_size = (int32_t)(claimed + levels);
  if (pq_page_header_encode(&h, &hdr, &err)) {
    old = -1;
    goto done;
  }
  int64_t delta = (int64_t)hdr.len - (int64_t)hl;
  for (int32_t g = 0; g < m.n_row_groups; g++) {
    pq_row_group_t *rg = &m.row_groups[g];
    for (int32_t c = 0; c < rg->n_columns; c++) {
      pq_column_chunk_t *cc = &rg->columns[c];
      pq_column_meta_t *x = cc->meta_data;
      if (x->data_page_offset > (int64_t)at) x->data_page_offset += delta;
      if (x->has_dictionary_page_offset && x->dictionary_page_offset > (int64_t)at) x->dictionary_page_offset += delta;
      if (cc->file_offset > (int64_t)at) cc->file_offset += delta;
    }
    if (g == 0 && rg->has_total_compressed_size) rg->total_compressed_size += delta;
  }
  cm->total_compressed_size += delta;
  if (pq_file_metadata_encode(&m, &foot, &err)) {
    old = -1;
    goto done;
  }
  FILE *f = fopen(out, "wb");
  uint8_t tail[8] = {(uint8_t)foot.len, (uint8_t)(foot.len >> 8), (uint8_t)(foot.len >> 16), (uint8_t)(foot.len >> 24),
                     'P', 'A', 'R', '1'};
  if (!f || fwrite(d, 1, at, f) != at || fwrite(hdr.data, 1, hdr.len, f) != hdr.len ||
      fwrite(d + at + hl, 1, fstart - at - hl, f) != fstart - at - hl || fwrite(foot.data, 1, foot.len, f) != foot.len ||
      fwrite(tail, 1, 8, f) != 8)
    old = -1;
  if (f) fclose(f);
done:
  if (old < 0) fprintf(stderr, "rewrite_page %s: %s\n", in, err.message);
  buf_release(&hdr);
  buf_release(&foot);
  arena_release(&a);
  free(d);
  return old;
}

/* Reads every row group of path; returns the reader's code, and the sum of column v (ints) or of
 * the string lengths in *sum. */
static int read_all(const char *path, int64_t max_page_bytes, int64_t *sum, prestige_error_t *err) {
  prestige_parquet_reader_options_t ro;
  prestige_parquet_reader_options_init(&ro);
  if (max_page_bytes) ro.max_page_bytes = max_page_bytes;
  prestige_parquet_reader_t *r;
  int rc = prestige_parquet_reader_open_file(&r, path, &ro, err);
  if (rc) return rc;
  *sum = 0;
  struct ArrowSchema sc;
  rc = prestige_parquet_reader_schema(r, &sc, err);
  if (rc) {
    prestige_parquet_reader_close(r);
    return rc;
  }
  bool str = !strcmp(sc.children[0]->format, "u") || !strcmp(sc.children[0]->format, "U");
  bool large = !strcmp(sc.children[0]->format, "U");
  sc.release(&sc);
  for (int32_t g = 0; !rc && g < prestige_parquet_reader_num_row_groups(r); g++) {
    struct ArrowArray b;
    rc = prestige_parquet_reader_read_row_group(r, g, &b, err);
    if (rc) break;
    const struct ArrowArray *col = b.children[0];
    for (int64_t i = 0; i < col->length; i++) {
      int64_t j = col->offset + i;
      if (!str) *sum += ((const int64_t *)col->buffers[1])[j];
      else if (large) *sum += ((const int64_t *)col->buffers[1])[j + 1] - ((const int64_t *)col->buffers[1])[j];
      else *sum += ((const int32_t *)col->buffers[1])[j + 1] - ((const int32_t *)col->buffers[1])[j];
    }
    b.release(&b);
  }
  prestige_parquet_reader_close(r);
  return rc;
}

static const int64_t INT_SUM = (ROWS / 10) * 45; /* 0..9 repeated */
static const int64_t STR_SUM = ROWS * 7;         /* "value-N" */

TEST(codec_bounds) {
  static const struct {
    prestige_compression_t codec;
    int page_version;
    const char *want; /* in the message when the claim is far beyond the codec's bound */
  } cases[] = {
      {PRESTIGE_COMPRESSION_SNAPPY, 1, "SNAPPY data declares"},
      {PRESTIGE_COMPRESSION_SNAPPY, 2, "SNAPPY data declares"},
      {PRESTIGE_COMPRESSION_GZIP, 1, "deflate's ratio is at most 1032:1"},
      {PRESTIGE_COMPRESSION_LZ4_RAW, 1, "LZ4's ratio is at most 255:1"},
      {PRESTIGE_COMPRESSION_LZ4_RAW, 2, "LZ4's ratio is at most 255:1"},
      {PRESTIGE_COMPRESSION_ZSTD, 1, "ZSTD frames declare"},
      {PRESTIGE_COMPRESSION_ZSTD, 2, "ZSTD frames declare"},
      {PRESTIGE_COMPRESSION_UNCOMPRESSED, 1, "uncompressed page of"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    prestige_error_t err;
    char good[1100], bad[1100];
    snprintf(good, sizeof good, "%s/bounds-%zu.parquet", test_tmpdir(), i);
    snprintf(bad, sizeof bad, "%s/bounds-%zu-bad.parquet", test_tmpdir(), i);
    write_file(good, cases[i].codec, cases[i].page_version, false, false);
    int64_t sum = -1;
    CHECK_OK(read_all(good, 0, &sum, &err));
    CHECK_EQ_INT(sum, INT_SUM);
    /* 1 GiB claimed: within max_page_bytes, far beyond what a few KB of any of these codecs hold */
    int64_t was = rewrite_page(good, bad, 0, (int64_t)1 << 30);
    CHECK_MSG(was > 0, "case %zu: rewrite failed", i);
    CHECK_ERR(read_all(bad, 0, &sum, &err), PRESTIGE_ECORRUPT, cases[i].want);
    /* the message names the file, the row group, the column and the page */
    CHECK_MSG(strstr(err.message, cases[i].page_version == 2 ? "row group 0, column v: data page v2: "
                                                             : "row group 0, column v: data page: ") != NULL &&
                  strstr(err.message, bad) != NULL,
              "%s", err.message);
    /* the same page, the truth restored: reads again (the rewrite itself is sound) */
    CHECK_EQ_INT(rewrite_page(bad, good, 0, was), (int64_t)1 << 30);
    CHECK_OK(read_all(good, 0, &sum, &err));
    CHECK_EQ_INT(sum, INT_SUM);
  }
}

/* The ratio bound itself, where no declared size catches the lie first (GZIP, LZ4_RAW): a claim
 * just past n * ratio is refused, one just below it is left to the decoder, which finds the page
 * shorter than claimed. */
TEST(ratio_edge) {
  static const struct {
    prestige_compression_t codec;
    int64_t ratio;
    const char *decoder_says;
  } cases[] = {
      {PRESTIGE_COMPRESSION_GZIP, 1032, "GZIP data"},
      {PRESTIGE_COMPRESSION_LZ4_RAW, 255, "LZ4_RAW data is corrupt"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    prestige_error_t err;
    char good[1100], bad[1100];
    snprintf(good, sizeof good, "%s/edge-%zu.parquet", test_tmpdir(), i);
    snprintf(bad, sizeof bad, "%s/edge-%zu-bad.parquet", test_tmpdir(), i);
    write_file(good, cases[i].codec, 1, false, false);
    int64_t compressed = 0;
    CHECK(page_sizes(good, 0, &compressed) > 0);
    int64_t most = compressed * cases[i].ratio;
    int64_t sum;
    CHECK(rewrite_page(good, bad, 0, most + 1) > 0);
    CHECK_ERR(read_all(bad, 0, &sum, &err), PRESTIGE_ECORRUPT, "can hold");
    char want[128];
    snprintf(want, sizeof want, "at most %lld", (long long)most);
    CHECK_MSG(strstr(err.message, want) != NULL, "\"%s\" lacks \"%s\"", err.message, want);
    CHECK(rewrite_page(good, bad, 0, most) > 0);
    CHECK_ERR(read_all(bad, 0, &sum, &err), PRESTIGE_ECORRUPT, cases[i].decoder_says);
  }
}

TEST(dictionary_page) {
  prestige_error_t err;
  char good[1100], bad[1100];
  snprintf(good, sizeof good, "%s/dict.parquet", test_tmpdir());
  snprintf(bad, sizeof bad, "%s/dict-bad.parquet", test_tmpdir());
  write_file(good, PRESTIGE_COMPRESSION_SNAPPY, 1, true, true);
  int64_t sum;
  CHECK_OK(read_all(good, 0, &sum, &err));
  CHECK_EQ_INT(sum, STR_SUM);
  CHECK(rewrite_page(good, bad, 0, 100000000) > 0);
  CHECK_ERR(read_all(bad, 0, &sum, &err), PRESTIGE_ECORRUPT, "dictionary page: SNAPPY data declares");
  CHECK_MSG(strstr(err.message, "100000000") != NULL, "%s", err.message);
}

/* BROTLI has no useful ratio bound: max_page_bytes is what refuses a page, before allocating it. */
TEST(max_page_bytes) {
  prestige_error_t err;
  char good[1100], bad[1100];
  snprintf(good, sizeof good, "%s/brotli.parquet", test_tmpdir());
  snprintf(bad, sizeof bad, "%s/brotli-bad.parquet", test_tmpdir());
  write_file(good, PRESTIGE_COMPRESSION_BROTLI, 1, false, false);
  int64_t sum;
  CHECK_OK(read_all(good, 0, &sum, &err));
  CHECK_EQ_INT(sum, INT_SUM);
  /* 2^31 - 1, the largest size the format can state: beyond the default limit */
  CHECK(rewrite_page(good, bad, 0, INT32_MAX) > 0);
  CHECK_ERR(read_all(bad, 0, &sum, &err), PRESTIGE_ENOMEM, "larger than max_page_bytes");
  CHECK_MSG(strstr(err.message, "data page of 2147483647 uncompressed bytes") != NULL, "%s", err.message);
  /* a claim within the limit, beyond what the data decodes to: the decoder's error */
  CHECK(rewrite_page(good, bad, 0, 1 << 20) > 0);
  CHECK_ERR(read_all(bad, 0, &sum, &err), PRESTIGE_ECORRUPT, "BROTLI data is corrupt or not 1048576 bytes long");
  /* the limit is the caller's: the page of this file against limits around its size */
  int64_t compressed, page = page_sizes(good, 0, &compressed);
  CHECK(page > 1000);
  char want[64];
  snprintf(want, sizeof want, "larger than max_page_bytes (%lld)", (long long)(page - 1));
  CHECK_ERR(read_all(good, page - 1, &sum, &err), PRESTIGE_ENOMEM, want);
  CHECK_OK(read_all(good, page, &sum, &err));
  CHECK_EQ_INT(sum, INT_SUM);
  /* nonsense is refused at open, naming the option */
  prestige_parquet_reader_options_t ro;
  prestige_parquet_reader_options_init(&ro);
  CHECK_EQ_INT(ro.max_page_bytes, PRESTIGE_PARQUET_MAX_PAGE_BYTES);
  ro.max_page_bytes = 0;
  prestige_parquet_reader_t *r;
  CHECK_ERR(prestige_parquet_reader_open_file(&r, good, &ro, &err), PRESTIGE_EINVAL, "max_page_bytes must be positive");
  ro.max_page_bytes = -5;
  CHECK_ERR(prestige_parquet_reader_open_file(&r, good, &ro, &err), PRESTIGE_EINVAL, "(got -5)");
}

TEST_MAIN(RUN(codec_bounds); RUN(ratio_edge); RUN(dictionary_page); RUN(max_page_bytes);)
