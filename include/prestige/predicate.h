/*
 * prestige/predicate.h — row filters, shared by every reader of the library: parsed once, bound
 * to an Arrow schema, then evaluated on record batches (which rows match) and on column
 * statistics (whether a row group, a page, a file or a manifest entry can hold a matching row).
 *
 *   struct ArrowSchema schema;
 *   prestige_text_parse_schema("ts:timestamp(us,UTC),level:string", &schema, &err);
 *   prestige_predicate_t *p;
 *   if (prestige_predicate_parse("ts >= '2024-01-02' AND NOT level IN ('debug', 'trace')", &p, &err)) return err.code;
 *   prestige_bound_predicate_t *b;
 *   if (prestige_predicate_bind(p, &schema, &b, &err)) return err.code;   // EINVAL: unknown column, bad literal
 *   prestige_array_builder_t *bld;                                       // batch: rows of that schema
 *   struct ArrowArray batch, kept;
 *   if (prestige_array_builder_new(&bld, &schema, &err)) return err.code;
 *   int rc = prestige_array_builder_finish(bld, &batch, &err);
 *   prestige_array_builder_free(bld);
 *   if (!rc && prestige_bound_predicate_filter(b, &batch, &kept, &err) == 0)  // batch moved in, matching rows out
 *     kept.release(&kept);
 *   prestige_bound_predicate_free(b);
 *   prestige_predicate_free(p);
 *   schema.release(&schema);
 *
 * Grammar (keywords in any case):
 *   expr   := term { OR term } ;  term := factor { AND factor } ;  factor := NOT factor | ( expr ) | test
 *   test   := column op literal | column [NOT] IN ( literal, ... ) | column [NOT] BETWEEN literal AND literal
 *           | column IS [NOT] NULL
 *   op     := = | == | != | <> | < | <= | > | >=
 *   column := a name or a dotted path into structs (point.x); "double quotes" for other names
 *   literal:= 12 | -3.5 | 1e-3 | 'text' ('' for a quote) | true | false
 * Values compare as SQL (and DuckDB) compares them, with the literal converted once, at bind
 * time, to the column's type:
 *   - NULL: a comparison with a null value is unknown; NOT unknown is unknown, false AND unknown
 *     is false, true OR unknown is true; only rows where the filter is true are kept. A null
 *     struct makes its fields null.
 *   - integers of every width, signed and unsigned, and decimals compare exactly with the literal
 *     (int64 > 9.5, uint64 <= 18446744073709551615, decimal(9,2) > 1.005); a literal outside the
 *     column's range simply decides the comparison.
 *   - float and double: NaN equals NaN and is greater than every other value (so f != 1 keeps
 *     NaN rows and f > 1e308 includes them), -0 equals 0. A literal written without an exponent
 *     is rounded to the column's type (float: 0.1 means 0.1f, as DuckDB casts it); with an
 *     exponent it is a double. 'NaN', 'inf' and '-inf' are accepted as quoted literals.
 *   - strings and binary compare by bytes (UTF-8 binary order); binary literals may hold \xHH.
 *   - booleans: false < true; literals true/false (or 'true'/'false', 0/1).
 *   - dates, times, timestamps (every unit, with or without time zone): the literal is a quoted
 *     ISO 8601 text, 'YYYY-MM-DD', 'YYYY-MM-DD HH:MM[:SS[.fraction]]' (T or a space) and an
 *     optional zone (Z, UTC, +HH, +HHMM, +HH:MM). It is truncated to the column's precision as
 *     DuckDB does (days for dates, nanoseconds for ns timestamps and times, microseconds for the
 *     others) and compared exactly. A literal without zone is read as UTC (a column's values are
 *     UTC instants with a zone, UTC wall-clock times without). A literal with an offset is an
 *     instant, converted to UTC, whether the column has a zone or not: DuckDB converts it for
 *     TIMESTAMP_NS columns but drops the offset for TIMESTAMP ones, which prestige does not
 *     follow (it would shift the filter by the offset without a word). A bare integer is a raw
 *     value in the column's unit (ts < 1700000100000 on a millisecond column).
 *   - Comparisons need a primitive column (IS [NOT] NULL takes any); dictionary-encoded columns
 *     compare their values.
 * Binding fails with PRESTIGE_EINVAL, naming the column and the literal, for an unknown column,
 * a column that is not comparable (a list, a struct) and a literal the column's type cannot hold
 * ('x' for an integer column, 5 for a string column, '2024-13-01' for a date).
 *
 * A bound predicate is immutable: one may be used from several threads at once.
 */
#ifndef PRESTIGE_PREDICATE_H
#define PRESTIGE_PREDICATE_H

#include "prestige/api.h"

#include <stdbool.h>
#include <stdint.h>

#include "prestige/arrow.h"
#include "prestige/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- parsing ------------------------------------------------------------------------------ */
typedef struct prestige_predicate prestige_predicate_t;

/* Parses text; a syntax error is PRESTIGE_EINVAL naming the character where it was found. */
PRESTIGE_API int prestige_predicate_parse(const char *text, prestige_predicate_t **out, prestige_error_t *err);
PRESTIGE_API void prestige_predicate_free(prestige_predicate_t *p);
/* The column paths p names, each once, in order of first appearance. */
PRESTIGE_API int64_t prestige_predicate_column_count(const prestige_predicate_t *p);
PRESTIGE_API const char *prestige_predicate_column(const prestige_predicate_t *p, int64_t i);

/* ---- binding ------------------------------------------------------------------------------ */
typedef struct prestige_bound_predicate prestige_bound_predicate_t;

/* Binds p to a record-batch schema (a struct schema, "+s", whose children are the columns):
 * resolves every column path and converts every literal to its column's type. The schema is
 * copied; p may be freed afterwards. */
PRESTIGE_API int prestige_predicate_bind(const prestige_predicate_t *p, const struct ArrowSchema *schema,
                                         prestige_bound_predicate_t **out, prestige_error_t *err);
PRESTIGE_API void prestige_bound_predicate_free(prestige_bound_predicate_t *b);
/* The columns of the bound predicate, in the order of prestige_predicate_column: their path and
 * their schema (the value type for a dictionary-encoded column), valid as long as b. */
PRESTIGE_API int64_t prestige_bound_predicate_column_count(const prestige_bound_predicate_t *b);
PRESTIGE_API const char *prestige_bound_predicate_column(const prestige_bound_predicate_t *b, int64_t i);
PRESTIGE_API const struct ArrowSchema *prestige_bound_predicate_column_schema(const prestige_bound_predicate_t *b,
                                                                              int64_t i);

/* ---- record batches ----------------------------------------------------------------------- */
/* Which rows of batch (a struct array of the bound schema) satisfy b: bit i of selection (LSB
 * first, as Arrow validity bitmaps; the caller provides (batch->length + 7) / 8 bytes) is set
 * when row i does, and *n_selected counts them. One pass over each column a term names. A batch
 * that does not fit the schema (a missing buffer, an out-of-range dictionary index) is
 * PRESTIGE_EINVAL. */
PRESTIGE_API int prestige_bound_predicate_select(const prestige_bound_predicate_t *b, const struct ArrowArray *batch,
                                                 uint8_t *selection, int64_t *n_selected, prestige_error_t *err);
/* The rows of *batch that satisfy b, as a new batch *out. Takes ownership of *batch: on success it
 * has been moved into *out (every row matches: no copy) or released; on error it is left as it
 * was. *out may have no rows. */
PRESTIGE_API int prestige_bound_predicate_filter(const prestige_bound_predicate_t *b, struct ArrowArray *batch,
                                                 struct ArrowArray *out, prestige_error_t *err);
/* The rows of array whose bit is set in selection (n_selected of them, bits relative to
 * array->offset), copied into a new array with the same schema: any type, nested to any depth
 * (struct fields, list and map elements, dictionary values are carried along). */
PRESTIGE_API int prestige_array_filter(const struct ArrowArray *array, const struct ArrowSchema *schema,
                                       const uint8_t *selection, int64_t n_selected, struct ArrowArray *out,
                                       prestige_error_t *err);

/* ---- statistics --------------------------------------------------------------------------- */
/* A value in the representation of its column's Arrow type; only the member for that type is
 * read. */
typedef struct prestige_scalar {
  int64_t i64;          /* bool (0/1), signed integers, date32/64, time32/64, timestamp, duration:
                           in the column's unit */
  uint64_t u64;         /* unsigned integers */
  double f64;           /* half float, float, double */
  const uint8_t *bytes; /* string, binary (large too), fixed-size binary */
  int64_t len;
  uint8_t decimal[16];  /* decimal128: unscaled, little-endian two's complement */
} prestige_scalar_t;

/* What is known about one column over a set of rows (a row group, a page, a data file). min and
 * max bound the non-null values other than NaN (min <= every value <= max); they need not be
 * values that occur (truncated bounds are fine as long as they remain bounds). */
typedef struct prestige_column_stats {
  int64_t value_count; /* rows described, nulls included; -1 when unknown */
  int64_t null_count;  /* -1 when unknown */
  int64_t nan_count;   /* float columns: -1 when unknown, which means NaN may be present */
  bool has_min, has_max;
  prestige_scalar_t min, max;
} prestige_column_stats_t;

/* Everything unknown. */
PRESTIGE_API void prestige_column_stats_init(prestige_column_stats_t *s);

typedef enum prestige_stats_match {
  PRESTIGE_STATS_NONE = 0, /* no row described can satisfy the predicate */
  PRESTIGE_STATS_SOME = 1, /* some rows may */
  PRESTIGE_STATS_ALL = 2   /* every row does */
} prestige_stats_match_t;

/* Evaluates b on statistics: stats[i] describes column i of b (prestige_bound_predicate_column)
 * over the same rows. The answer is conservative: NONE and ALL only when the statistics prove it. */
PRESTIGE_API prestige_stats_match_t prestige_bound_predicate_eval_stats(const prestige_bound_predicate_t *b,
                                                                        const prestige_column_stats_t *stats);

#ifdef __cplusplus
}
#endif

#endif /* PRESTIGE_PREDICATE_H */
