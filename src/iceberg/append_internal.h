/* The append's state, shared by its writing half (append.c) and its commit (append_commit.c). */
#ifndef PRESTIGE_ICEBERG_APPEND_INTERNAL_H
#define PRESTIGE_ICEBERG_APPEND_INTERNAL_H

#include "core/arena.h"
#include "core/buf.h"
#include "iceberg/arrow_conform.h"
#include "iceberg/arrow_value.h"
#include "iceberg/datafile.h"
#include "iceberg/table_ops.h"

/* One partition seen by the append: its tuple, its open file, its rows waiting to be sorted. */
typedef struct part_state {
  uint8_t *key; /* partition_key bytes (in the append's arena) */
  size_t key_len;
  uint64_t hash;
  ice_value_t *values; /* the tuple (in the arena) */
  char *path;          /* "ts_day=2024-01-02/id_bucket=3" ("" unpartitioned) */
  prestige_parquet_writer_t *w;
  char *file;          /* location of the open file */
  uint64_t opened;     /* when the open file was opened (eviction order) */
  struct ArrowArray *buf; /* sorted tables: batches waiting */
  size_t n_buf, cap_buf;
  int64_t buf_rows, buf_bytes;
} part_state_t;

struct ice_append {
  ice_catalog_t *catalog;
  ice_ident_t ident;
  char *ident_text;
  ice_io_t *io;
  ice_loaded_table_t base;
  const ice_schema_t *schema;       /* in base.metadata */
  const ice_partition_spec_t *spec;
  const ice_sort_order_t *order;    /* NULL: unsorted */
  ice_type_t *ptype;                /* partition tuple type */
  struct ArrowSchema arrow;         /* the table's Arrow schema, field ids on every field */
  char *schema_json;
  ice_metrics_config_t *mc;
  prestige_parquet_writer_options_t wopts;
  prestige_kv_t *footer;
  int64_t target;
  int max_open;
  int64_t sort_budget;
  char *branch;
  char *data_dir;
  char op_uuid[40];
  int file_count;
  uint64_t open_seq;
  int open_files;
  int64_t evictions;
  bool sorted;
  /* partitions */
  part_state_t **parts;
  size_t n_parts, cap_parts;
  int32_t *slots; /* open addressing over parts by hash */
  size_t n_slots;
  ice_col_path_t *part_cols;
  ice_value_t *part_src, *part_vals;
  struct ice_part_runs *runs; /* rows sharing a tuple, found without transforming each */
  ice_col_path_t *sort_cols;
  const ice_type_t **sort_types; /* result types of the sort transforms (NULL: unknown transform) */
  ice_type_t *sort_type_store;
  int64_t buffered;
  buf_t key, scratch;
  /* input conversion, planned once per input schema */
  ice_conform_t *conform;
  struct ArrowSchema conform_src;
  /* files written */
  arena_t arena;
  ice_data_file_t *files;
  size_t n_files, cap_files;
  int64_t rows_written;
  char **written; /* every data file location created (for cleanup) */
  size_t n_written, cap_written;
  ice_strmap_t extra_summary;
  bool failed, committed, outcome_unknown;
};

int ice_append_finish_files(ice_append_t *a, prestige_error_t *err);
void ice_append_delete_written(ice_append_t *a);
/* Same formats, names, flags and children, recursively. */
bool ice_arrow_schema_equal(const struct ArrowSchema *a, const struct ArrowSchema *b);

#endif
