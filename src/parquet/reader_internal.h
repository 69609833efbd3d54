/* Parquet reader internals: the Arrow-shaped node tree built from the Parquet schema, and the
 * decoded contents of one column chunk. */
#ifndef PRESTIGE_PARQUET_READER_INTERNAL_H
#define PRESTIGE_PARQUET_READER_INTERNAL_H

#include "core/arena.h"
#include "core/buf.h"
#include "parquet/codec.h"
#include "parquet/metadata.h"
#include "arrow/predicate_internal.h"
#include "prestige/parquet_reader.h"

typedef enum { RN_LEAF, RN_STRUCT, RN_LIST, RN_MAP } rn_kind_t;

typedef struct rnode {
  rn_kind_t kind;
  const char *name;
  bool nullable;
  int16_t def;      /* def level at which this node is non-null */
  int16_t elem_def; /* list/map: def level at which an element exists */
  int16_t rep;      /* list/map: repetition level of the elements */
  struct rnode *parent;
  struct rnode **children;
  int32_t n_children;
  int32_t first_leaf; /* file column index of the first leaf below */
  int32_t field_id;   /* -1 when absent */
  /* leaves */
  int32_t leaf;       /* file column index */
  const pq_schema_element_t *el;
  int32_t physical, type_length;
  char format[96];    /* Arrow format of the leaf (or of the node for groups) */
  int32_t div;        /* ARROW:schema restoration: stored value / div (seconds from ms) */
  bool large;         /* large string/binary/list offsets */
  int16_t max_rep;
  const char *extension;      /* Arrow extension name for the Parquet annotation (arrow.uuid, ...) */
  const char *arrow_metadata; /* field metadata restored from ARROW:schema (encoded), or NULL */
} rnode_t;

typedef struct rschema {
  arena_t arena;
  rnode_t **top;      /* top-level fields */
  int32_t n_top;
  rnode_t **leaves;   /* by file column index */
  int32_t n_leaves;
} rschema_t;

int rschema_build(rschema_t *s, const pq_file_metadata_t *m, prestige_error_t *err);
void rschema_release(rschema_t *s);
/* Types the INT96 leaves as timestamps of `unit` (a prestige_int96_unit_t, checked here). */
int rschema_set_int96_unit(rschema_t *s, int unit, prestige_error_t *err);
/* Field metadata of node n's Arrow field: what ARROW:schema stored for it, the Parquet field id
 * (PARQUET:field_id) and the extension type of its annotation. */
int rnode_set_metadata(const rnode_t *n, struct ArrowSchema *s, prestige_error_t *err);

/* Decoded column chunk: levels for every slot and the dense present values. */
typedef struct rcolumn {
  int16_t *def, *rep; /* NULL when the max level is 0 */
  int64_t n_levels;
  int64_t n_values;   /* present values */
  int64_t n_nulls;    /* slots whose level is below the leaf's maximum definition level */
  buf_t values;       /* fixed width: n_values * width bytes (booleans one byte each) */
  int64_t *offsets;   /* byte arrays: n_values + 1 offsets into data */
  buf_t data;
  int32_t width;      /* fixed width in bytes, 0 for byte arrays */
  bool spaced;        /* values/offsets per slot (n_values == n_levels), nulls zero or empty: the
                         layout of a flat optional Arrow column, so it is handed over as is */
} rcolumn_t;

void rcolumn_release(rcolumn_t *c);
/* Page selection from the offset index: only data pages whose rows meet `keep` are decoded. */
typedef struct rpage_sel {
  const pq_page_location_t *loc; /* the chunk's offset index */
  int32_t n_loc;
  int64_t chunk_start;           /* file offset of chunk[0] */
  const row_ranges_t *keep;
  row_ranges_t decoded;       /* out: the rows of the pages decoded, in order */
  int32_t pages_skipped;         /* out */
} rpage_sel_t;

/* Decodes the pages of one column chunk whose bytes are chunk[0..len). `spaced` asks for the
 * per-slot layout (only for leaves without repetition); `page` is scratch reused across calls;
 * `sel` (or NULL for every page) selects pages. */
int rcolumn_decode(rcolumn_t *c, const rnode_t *leaf, const pq_column_meta_t *meta, const uint8_t *chunk, size_t len,
                   int64_t num_rows, bool spaced, buf_t *page, rpage_sel_t *sel, bool verify_crc, pq_codec_ctx_t *codec,
                   const char *where, prestige_error_t *err);
/* Keeps the rows of c that lie in keep; c holds the rows `decoded` (sorted ranges) in order. */
int rcolumn_keep_rows(rcolumn_t *c, const rnode_t *leaf, const row_ranges_t *decoded, const row_ranges_t *keep,
                      const char *where, prestige_error_t *err);

/* ---- filters (reader_filter.c): Parquet statistics as the predicate layer's column statistics --- */
/* The page index of one column chunk (either part may be NULL). */
typedef struct pq_page_index {
  pq_column_index_t *ci;
  pq_offset_index_t *oi;
} pq_page_index_t;

/* A filter's columns found in the file: leaves[i] is column i of the bound predicate when it is a
 * leaf outside any list (its statistics describe it), else NULL. */
typedef struct pq_filter_leaves {
  const rnode_t **leaves;
  int64_t n;
} pq_filter_leaves_t;

int pq_filter_leaves_find(const prestige_bound_predicate_t *b, const rschema_t *rs, pq_filter_leaves_t *out,
                          prestige_error_t *err);
void pq_filter_leaves_release(pq_filter_leaves_t *f);
/* Whether the statistics of row group rg let rows satisfy b. */
bool pq_filter_row_group_may_match(const prestige_bound_predicate_t *b, const pq_filter_leaves_t *f, const pq_row_group_t *rg);
/* The rows of a row group that may satisfy b, page by page from the column indexes (idx by file
 * column index; columns without one select every row). */
int pq_filter_page_ranges(const prestige_bound_predicate_t *b, const pq_filter_leaves_t *f, const pq_page_index_t *idx,
                          int32_t n_leaves, int64_t num_rows, row_ranges_t *out);

#endif
