/* Parquet reader internals: the Arrow-shaped node tree built from the Parquet schema, and the
 * decoded contents of one column chunk. */
#ifndef PRESTIGE_PARQUET_READER_INTERNAL_H
#define PRESTIGE_PARQUET_READER_INTERNAL_H

#include <pthread.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/bufpool.h"
#include "core/workers.h"
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
  int32_t *offsets32; /* instead of offsets while `narrow` holds */
  bool narrow;        /* set by the caller for spaced string columns whose Arrow offsets are 32-bit:
                         offsets are written as int32 (offsets32) while the bytes fit, widened to
                         offsets (and narrow cleared) if they outgrow int32 */
  buf_t data;
  int32_t width;      /* fixed width in bytes, 0 for byte arrays */
  bool spaced;        /* values/offsets per slot (n_values == n_levels), nulls zero or empty: the
                         layout of a flat optional Arrow column, so it is handed over as is */
  bufpool_t *pool;    /* set by the caller (may be NULL): where the buffers come from and go back
                         to (rcolumn_decode keeps it) */
  size_t data_hint;   /* set by the caller: the byte-array bytes expected (the last row group's) */
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
 * `sel` (or NULL for every page) selects pages; a page larger than max_page_bytes uncompressed is
 * refused (ENOMEM) before it is allocated. */
int rcolumn_decode(rcolumn_t *c, const rnode_t *leaf, const pq_column_meta_t *meta, const uint8_t *chunk, size_t len,
                   int64_t num_rows, bool spaced, buf_t *page, rpage_sel_t *sel, bool verify_crc, int64_t max_page_bytes,
                   pq_codec_ctx_t *codec, const char *where, prestige_error_t *err);
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

/* ---- the reader object (reader.c opens it; the files below read it) ----------------------- */
/* Scratch of one decoding thread (one per pool slot, slot 0 the reader's caller): the column
 * chunk's bytes, one decompressed page and a decompression context, reused across chunks and
 * row groups (beyond 64 MiB they are given back after each column). */
typedef struct rscratch {
  buf_t page;
  uint8_t *chunk;
  size_t chunk_cap;
  pq_codec_ctx_t *codec;
} rscratch_t;

struct prestige_parquet_reader {
  prestige_parquet_reader_options_t opts;
  prestige_input_t in;
  uint64_t size;
  arena_t arena; /* footer */
  uint8_t *footer;
  pq_file_metadata_t meta;
  rschema_t rs;
  rnode_t **proj; /* projected top-level nodes */
  int32_t n_proj;
  int32_t *rgs;   /* selected row groups */
  int32_t n_rgs;
  int32_t n_pruned; /* row groups skipped by the filter */
  struct ArrowSchema schema;
  prestige_bound_predicate_t *fbound; /* the filter bound to the file's columns: pruning */
  pq_filter_leaves_t fleaves;          /* its columns' leaves */
  prestige_bound_predicate_t *rbound; /* bound to the columns read: row filtering (NULL: prune only) */
  rnode_t **rproj;  /* columns read: the projection plus what the row filter needs (== proj when same) */
  int32_t n_rproj;
  int64_t rows_filtered; /* rows the row filter dropped */
  int64_t pages_pruned, rows_pruned; /* by the column indexes */
  workers_t *pool;       /* threads > 1: the decode pool (NULL: everything on the caller) */
  rscratch_t *scratch;   /* one per pool slot */
  int32_t n_scratch;
  pthread_mutex_t io_mu; /* the input is read by one thread at a time */
  bufpool_t *bufs;       /* decoded buffers recycled between row groups (streams) */
  _Atomic size_t *data_hint; /* by leaf: byte-array bytes of its last chunk decoded */
};

/* ---- assembly (reader_assemble.c): decoded levels and values -> Arrow arrays ----------------- */
/* Builds the Arrow array of node n from the decoded columns of its leaves (cols by file column
 * index); the buffers of flat leaves move into the array. */
int rassemble_build(const rnode_t *n, rcolumn_t *cols, struct ArrowArray *a, const char *where, prestige_error_t *err);
/* Nonzero when top-level leaf n maps onto Arrow as its decoded buffers (decode it spaced then). */
int rassemble_flat_class(const rnode_t *n);

/* ---- page selection (reader_pages.c): page indexes and the rows a filter may match ----------- */
int rpages_read_index(prestige_parquet_reader_t *r, int64_t off, int32_t len, bool column_index, arena_t *a, void *out,
                      const char *where, prestige_error_t *err);
bool rpages_offset_index_fits(const pq_offset_index_t *oi, int64_t start, int64_t len, int64_t num_rows);
int rpages_ranges(prestige_parquet_reader_t *r, const pq_row_group_t *rg, int32_t g, arena_t *a, row_ranges_t *keep,
                  bool *all, pq_page_index_t **idx_out, prestige_error_t *err);

/* ---- row groups (reader_rowgroup.c) ------------------------------------------------------ */
/* One row group being read: its columns are decoded and assembled as tasks, one per top-level
 * column read, on the reader's pool (or at once on the caller without one). start never fails
 * but for ENOMEM: what goes wrong is reported by finish, in the order the row groups are finished. */
typedef struct rgjob rgjob_t;
int rgjob_start(prestige_parquet_reader_t *r, int32_t i, rgjob_t **out, prestige_error_t *err);
/* Waits for the job's tasks, then hands out its batch (filtered and projected) and frees it. */
int rgjob_finish(rgjob_t *j, struct ArrowArray *out, prestige_error_t *err);
/* Waits for the job's tasks and frees it, its batch unread. */
void rgjob_discard(rgjob_t *j);
/* Locked read of the reader's input (the pool's threads share it). */
int rreader_read_at(prestige_parquet_reader_t *r, uint64_t off, void *dst, size_t len, prestige_error_t *err);

#endif
