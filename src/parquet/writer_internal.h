/* Parquet writer internals: leaf column descriptors and the column chunk writer. */
#ifndef PRESTIGE_PARQUET_WRITER_INTERNAL_H
#define PRESTIGE_PARQUET_WRITER_INTERNAL_H

#include "core/arena.h"
#include "core/buf.h"
#include "parquet/codec.h"
#include "parquet/encoding.h"
#include "parquet/metadata.h"
#include "prestige/parquet_writer.h"

#define PQW_MAX_DEPTH 32

typedef enum { NODE_LEAF, NODE_STRUCT, NODE_LIST, NODE_FIXED_LIST, NODE_MAP } pqw_node_kind_t;

/* One step on the way from a top-level field to a leaf. */
typedef struct pqw_node {
  pqw_node_kind_t kind;
  bool nullable;
  bool large;          /* list with int64 offsets */
  int32_t child;       /* struct: child index that continues the path */
  int32_t fixed_size;  /* fixed-size list */
  int16_t rep;         /* list/map: repetition level of its elements */
} pqw_node_t;

/* How an Arrow value becomes a Parquet physical value. */
typedef enum {
  CONV_BOOL, CONV_I8, CONV_I16, CONV_I32, CONV_U8, CONV_U16, CONV_U32, CONV_I64, CONV_U64, CONV_I32_MUL1000,
  CONV_I64_MUL1000, CONV_DATE64, CONV_FLOAT, CONV_DOUBLE, CONV_BYTES32, CONV_BYTES64, CONV_FIXED, CONV_DEC_I32,
  CONV_DEC_I64, CONV_DEC_FLBA, CONV_NULL, CONV_INTERVAL
} pqw_conv_t;

typedef enum { SORT_SIGNED, SORT_UNSIGNED, SORT_FLOAT, SORT_BYTES, SORT_DECIMAL_BE, SORT_FLOAT16, SORT_BOOL } pqw_sort_t;

typedef struct pqw_leaf {
  char *path; /* dotted */
  const char **parts;
  int32_t n_parts;
  int32_t top;                    /* top-level field index */
  pqw_node_t nodes[PQW_MAX_DEPTH];
  int32_t depth;
  int16_t max_def, max_rep;
  int32_t physical, type_length;
  pqw_conv_t conv;
  pqw_sort_t sort;
  int32_t field_id;
  /* effective options */
  int encoding; /* prestige_encoding_t, DEFAULT resolved */
  bool dictionary, statistics;
  pq_codec_t codec;
  int level;
} pqw_leaf_t;

typedef struct pqw_schema {
  arena_t arena;
  pq_schema_element_t *elements;
  int32_t n_elements;
  pqw_leaf_t *leaves;
  int32_t n_leaves;
} pqw_schema_t;

int pqw_schema_build(pqw_schema_t *s, const struct ArrowSchema *schema, const prestige_parquet_writer_options_t *o,
                     prestige_error_t *err);
void pqw_schema_release(pqw_schema_t *s);
/* The writer's option checks (EINVAL naming the field), for callers that take writer options
 * inside their own (the sink) and must refuse them at their own open. */
int pqw_options_validate(const prestige_parquet_writer_options_t *o, prestige_error_t *err);

/* Page index entry kept until the end of the file. */
typedef struct pqw_page_entry {
  int64_t offset; /* relative to the chunk's data pages until the chunk is placed */
  int32_t size;
  int64_t first_row;
  int64_t null_count, nan_count;
  bool null_page;
  uint32_t min_off, min_len, max_off, max_len; /* into the column's page-stat buffer */
} pqw_page_entry_t;

typedef struct pqw_stats {
  bool has;               /* at least one non-null, non-NaN value */
  buf_t min, max;         /* PLAIN encoding of the physical value */
  int64_t null_count, nan_count;
} pqw_stats_t;

/* Column chunk writer for one leaf; lives for the whole file, reset per row group. */
typedef struct pqw_column {
  const pqw_leaf_t *leaf;
  const prestige_parquet_writer_options_t *opts;
  pq_codec_ctx_t *codec;
  /* current page */
  buf_t def, rep;          /* int16 levels */
  buf_t values;            /* raw physical values (PLAIN layout; booleans one byte each) */
  buf_t indices;           /* uint32 dictionary indices */
  int64_t page_levels, page_rows, page_nulls, page_first_row;
  pqw_stats_t page_stats;
  /* dictionary */
  bool dict_on;            /* dictionary encoding in use for this chunk */
  bool dict_fell_back;     /* switched to plain within this chunk */
  buf_t dict;              /* PLAIN-encoded dictionary values */
  uint32_t *dict_offsets;  /* entry -> offset in dict (byte arrays: of the 4-byte length) */
  uint32_t dict_n, dict_cap;
  uint32_t *slots;         /* open addressing: entry index + 1, 0 empty */
  uint64_t *page_seen;     /* bit per dictionary entry: already in the current page's statistics */
  uint32_t page_seen_cap;  /* bits */
  uint32_t n_slots;
  /* chunk */
  buf_t pages;             /* encoded data pages of this chunk */
  buf_t scratch, scratch2; /* page assembly */
  pq_rle_encoder_t *rle;
  int64_t chunk_values, chunk_uncompressed, chunk_rows;
  pqw_stats_t chunk_stats;
  pqw_page_entry_t *page_index;
  int32_t n_pages, cap_pages;
  buf_t page_stat_bytes;
  bool used_plain, used_dict;
  /* file-wide summary */
  pqw_stats_t file_stats;
  int64_t file_values, file_compressed, file_uncompressed;
  bool file_stats_exact_min, file_stats_exact_max;
  bool prepared;           /* pqw_column_prepare_chunk ran for the current row group */
  /* parallel writer: the window task's outcome and its cost (for the order of submission) */
  int task_rc;
  prestige_error_t task_err;
  double task_cost;
} pqw_column_t;

int pqw_column_init(pqw_column_t *c, const pqw_leaf_t *leaf, const prestige_parquet_writer_options_t *opts,
                    prestige_error_t *err);
void pqw_column_release(pqw_column_t *c);
/* Appends the leaf's levels and values for top-level rows [row0, row0 + n) of batch. */
int pqw_column_append(pqw_column_t *c, const struct ArrowArray *batch, int64_t row0, int64_t n, prestige_error_t *err);
/* Checks the values of top-level rows [row0, row0 + n) that Parquet cannot store as they are
 * (month_day_nano intervals that are negative or finer than a millisecond) before any column
 * takes the rows, so a refused batch leaves the writer usable. */
int pqw_column_check(pqw_column_t *c, const struct ArrowArray *batch, int64_t row0, int64_t n, prestige_error_t *err);
/* Cuts the current page if it has reached the page size. */
int pqw_column_maybe_flush_page(pqw_column_t *c, prestige_error_t *err);
/* Bytes buffered for the current row group (encoded pages plus the open page). */
int64_t pqw_column_buffered(const pqw_column_t *c);
typedef struct pqw_chunk_out {
  pq_column_meta_t meta;
  pq_statistics_t stats;
  int32_t encodings[6];
  pq_column_index_t column_index;
  pq_offset_index_t offset_index;
} pqw_chunk_out_t;
/* The encoding part of finishing a chunk (the last page, the dictionary page compressed), which
 * touches only the column: the parallel writer runs it on the pool; finish_chunk calls it when
 * it has not run. */
int pqw_column_prepare_chunk(pqw_column_t *c, prestige_error_t *err);
/* Finishes the chunk: writes [dictionary page] + data pages to out (at file offset `offset`),
 * fills *meta (pointers valid until the next row group) and the page index. */
int pqw_column_finish_chunk(pqw_column_t *c, prestige_output_t *out, int64_t offset, arena_t *arena,
                            pqw_chunk_out_t *chunk, prestige_error_t *err);

/* prestige_parquet_writer_write_slice for a batch its caller has already checked with
 * prestige_array_validate against the writer's schema (the sink validates a batch once, then
 * writes it in slices). */
int pqw_write_validated(prestige_parquet_writer_t *w, const struct ArrowArray *batch, int64_t row0, int64_t n_rows,
                        prestige_error_t *err);

/* Statistics helpers shared with the summary. */
int pqw_compare(pqw_sort_t sort, int32_t physical, const uint8_t *a, size_t alen, const uint8_t *b, size_t blen);
/* A statistics bound of the len-byte value v cut to limit bytes (core/truncate.h): a minimum to
 * its prefix, a maximum to a prefix with its last byte below 0xFF incremented; a maximum with no
 * such byte is kept whole (Parquet has no "no bound"). *out is v or tmp (room for limit bytes);
 * *exact is false when the bound was cut. */
void pqw_stat_bound(const uint8_t *v, size_t len, size_t limit, bool is_max, uint8_t *tmp, const uint8_t **out,
                    size_t *out_len, bool *exact);

#endif
