/* Predicate internals: the parsed (unbound) tree, the bound tree with typed literals, three-valued
 * logic masks, and row ranges for evaluating statistics that cover parts of a row group (pages). */
#ifndef PRESTIGE_ARROW_PREDICATE_INTERNAL_H
#define PRESTIGE_ARROW_PREDICATE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "prestige/predicate.h"

typedef enum { PN_AND, PN_OR, PN_NOT, PN_CMP, PN_IN, PN_IS_NULL, PN_NOT_NULL, PN_CONST } pn_kind_t;
/* OP_ISNAN / OP_NOTNAN come from comparisons with a NaN literal (v = 'NaN', v != 'NaN'); OP_IN
 * stands for the membership test of PN_IN in the evaluation loops */
typedef enum { OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE, OP_ISNAN, OP_NOTNAN, OP_IN } cmp_op_t;

/* ---- parsed ---------------------------------------------------------------------------------- */
typedef enum { LIT_NUMBER, LIT_STRING, LIT_BOOL } lit_kind_t;
typedef struct plit {
  lit_kind_t kind;
  char *text; /* the number as written, or the string's contents (quotes undone) */
  bool b;
} plit_t;

typedef struct pnode {
  pn_kind_t kind;
  cmp_op_t op;
  int32_t col;  /* index into the predicate's columns */
  plit_t *lits; /* PN_CMP: one, PN_IN: n_lits */
  int32_t n_lits;
  struct pnode *l, *r; /* AND / OR: both, NOT: l */
} pnode_t;

struct prestige_predicate {
  char *text;
  pnode_t *root;
  char **columns;
  int64_t n_columns;
};

/* ---- bound ----------------------------------------------------------------------------------- */
/* How values of a column are compared. */
typedef enum { VC_NONE, VC_I64, VC_U64, VC_F64, VC_BYTES, VC_DEC, VC_BOOL } vclass_t;

typedef struct bcol {
  char *path;
  int32_t *idx; /* child index at each level, from the batch down */
  int32_t depth;
  const struct ArrowSchema *schema;     /* in the bound predicate's copy; the value type for dictionaries */
  const struct ArrowSchema *dict_owner; /* the dictionary-encoded field, or NULL */
  prestige_arrow_type_info_t type;      /* of schema */
  prestige_arrow_type_info_t index_type; /* dictionaries: the indices' integer type */
  vclass_t vc;
} bcol_t;

/* A literal converted to its column's comparison class. */
typedef struct bval {
  int64_t i;
  uint64_t u;
  double d;
  __int128 dec;
  uint8_t *bytes; /* owned */
  int64_t len;
} bval_t;

typedef struct bnode {
  pn_kind_t kind;
  cmp_op_t op;
  int32_t col;
  bval_t *vals; /* CMP: one; IN: n_vals (NaN literals among them set has_nan instead) */
  int32_t n_vals;
  bool has_nan;     /* IN: a NaN literal */
  bool const_value; /* CONST: what every non-null value gives (null stays unknown) */
  struct bnode *l, *r;
} bnode_t;

struct prestige_bound_predicate {
  struct ArrowSchema schema; /* copy of the bound schema */
  bcol_t *cols;
  int64_t n_cols;
  bnode_t *root;
};

/* Three-valued results a set of rows may take: a mask of these bits. */
enum { TV_TRUE = 1, TV_FALSE = 2, TV_NULL = 4 };
/* The truth values AND, OR and NOT of two such sets can take (SQL three-valued logic), shared
 * by every evaluation over statistics (Parquet row groups and pages, Iceberg manifests). */
static inline unsigned and3(unsigned a, unsigned b) {
  unsigned r = 0;
  if ((a & TV_FALSE) || (b & TV_FALSE)) r |= a && b ? TV_FALSE : 0;
  if ((a & TV_TRUE) && (b & TV_TRUE)) r |= TV_TRUE;
  if (((a & TV_NULL) && (b & (TV_TRUE | TV_NULL))) || ((b & TV_NULL) && (a & (TV_TRUE | TV_NULL)))) r |= TV_NULL;
  return r;
}

static inline unsigned or3(unsigned a, unsigned b) {
  unsigned r = 0;
  if ((a & TV_TRUE) || (b & TV_TRUE)) r |= a && b ? TV_TRUE : 0;
  if ((a & TV_FALSE) && (b & TV_FALSE)) r |= TV_FALSE;
  if (((a & TV_NULL) && (b & (TV_FALSE | TV_NULL))) || ((b & TV_NULL) && (a & (TV_FALSE | TV_NULL)))) r |= TV_NULL;
  return r;
}

static inline unsigned not3(unsigned a) {
  return (a & TV_NULL) | ((a & TV_TRUE) ? TV_FALSE : 0) | ((a & TV_FALSE) ? TV_TRUE : 0);
}

/* The truth values the rows described by stats (for column n->col) may take for the leaf n. */
unsigned pred_leaf_possible(const prestige_bound_predicate_t *b, const bnode_t *n, const prestige_column_stats_t *s);

/* ---- row ranges ------------------------------------------------------------------------------ */
/* Sorted, disjoint, non-adjacent [start, end) row ranges. */
typedef struct row_range {
  int64_t start, end;
} row_range_t;
typedef struct row_ranges {
  row_range_t *v;
  size_t n, cap;
} row_ranges_t;

int row_ranges_push(row_ranges_t *r, int64_t start, int64_t end); /* appends in order; PRESTIGE_ENOMEM */
void row_ranges_free(row_ranges_t *r);
int64_t row_ranges_count(const row_ranges_t *r);
int row_ranges_and(const row_ranges_t *a, const row_ranges_t *b, row_ranges_t *out);
int row_ranges_or(const row_ranges_t *a, const row_ranges_t *b, row_ranges_t *out);

/* Statistics of one column over consecutive rows [start, end) (a page). */
typedef struct stats_segment {
  int64_t start, end;
  prestige_column_stats_t stats;
} stats_segment_t;

/* The rows of [0, num_rows) that may satisfy b, from per-column segments: segs[i] (n_segs[i] of
 * them, sorted, disjoint) describe column i of b; rows a column's segments do not cover, or a
 * column without segments (n_segs[i] == 0), may hold anything. */
int pred_eval_segments(const prestige_bound_predicate_t *b, const stats_segment_t *const *segs, const int64_t *n_segs,
                       int64_t num_rows, row_ranges_t *out);

#endif
