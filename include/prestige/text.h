/*
 * prestige/text.h — CSV and JSON-lines input as Arrow record batches, with schema inference.
 * Behind `prestige convert` and the sink's stdin mode.
 *
 *   prestige_text_options_t o = PRESTIGE_TEXT_OPTIONS_INIT;   // CSV with a header row, types inferred
 *   prestige_text_reader_t *r;
 *   if (prestige_text_reader_open(&r, "in.csv", &o, &err)) return err.code;
 *   const struct ArrowSchema *schema = prestige_text_reader_schema(r);
 *   printf("%lld columns\n", (long long)schema->n_children);
 *   for (;;) {
 *     struct ArrowArray batch;
 *     if (prestige_text_reader_next(r, &batch, &err)) break;   // err names file, line and column
 *     if (!batch.release) break;                               // end of input
 *     batch.release(&batch);
 *   }
 *   prestige_text_reader_close(r);
 *
 * Input is read as it arrives: a read takes what the file, pipe or FIFO has, never waiting for a
 * full block. With streaming set, next hands a batch out as soon as no complete record is
 * waiting (instead of after batch_rows records), and next_wait bounds the wait for input, so a
 * caller behind `tail -F` can commit and rotate while the input is idle. A blocking read that a
 * signal interrupts (a handler installed without SA_RESTART) ends with PRESTIGE_ECANCELED.
 *
 * CSV columns are matched with an explicit schema by their header names (in any order); a
 * schema column missing from the header, or a header name given twice, is an error. JSON keys
 * and CSV columns the schema does not name are skipped and reported once each through
 * on_ignored, or are an error with strict. A duplicate key in one JSON object is an error. Text
 * for a string column must be UTF-8 (an error names the line, column and byte); declare the
 * column binary to take arbitrary bytes. Timestamp columns take ISO 8601 text or an integer
 * counted in the column's unit (epoch milliseconds for timestamp(ms)).
 *
 * Inference looks at the first infer_rows rows of each column and picks the narrowest of
 * bool, int64, double, date, timestamp (microseconds, UTC) and string; an empty CSV field, a
 * quoted empty one ("") or a JSON null makes the column nullable. A number is inferred only from
 * its plain decimal spelling: a leading zero before another digit ("007", "00.5", "-01"), a
 * leading '+', and inf/nan spellings keep the column a string, so zip codes and codes keep their
 * text (an explicit int or double column takes them all). A quoted empty CSV field is NULL in a
 * typed column and the empty string in a string column. A date in a timestamp column, inferred or
 * declared, is its midnight, UTC. A later value that does not fit the inferred type is an
 * error naming the line and column (give an explicit schema to avoid it): prestige never
 * rewrites batches already written. JSON objects and arrays become their JSON text in a string
 * column. Explicit schemas are "name:type,...", with types bool, int8..int64, uint8..uint64,
 * float, double, string, binary, date, time (microseconds), timestamp, timestamp(s|ms|us|ns),
 * timestamp(us,UTC), decimal(P,S). A type ending in '!' (id:int64!) is a required column: not
 * nullable in the schema, written as a required Parquet field, and a row without a value for it
 * is an error naming the line.
 *
 * Differences from DuckDB's read_csv / read_json (checked by tests/text/it_text_differential.sh);
 * each keeps the text, none changes a value:
 *   - "" in a string column is the empty string (DuckDB: NULL);
 *   - spaces around a value are kept: " 1" is a string, and an error in an int column (DuckDB trims);
 *   - booleans are true/false in any case; t/f, yes/no, y/n are strings (an error in a bool column);
 *   - "-007" stays a string (DuckDB infers -7); inf/nan spellings stay strings in inference;
 *   - a time of day (12:30:00) is inferred as a string (DuckDB: TIME); "2024-1-2", "24:00:00",
 *     " UTC" suffixes are not dates or timestamps;
 *   - timestamps are inferred as UTC instants, with or without a zone in the text (DuckDB: TIMESTAMP
 *     without one); a column mixing dates and ISO 8601 spellings is always a timestamp column (a date
 *     is its midnight, UTC), where DuckDB keeps some mixes VARCHAR (JSON strings; CSV dates first);
 *   - a JSON string in a numeric column is an error naming the line and column (DuckDB casts it);
 *   - like DuckDB, an integer beyond int64 makes the column double, and its digits past 2^53 are lost.
 */
#ifndef PRESTIGE_TEXT_H
#define PRESTIGE_TEXT_H

#include "prestige/api.h"

#include <stdbool.h>
#include <stdint.h>

#include "prestige/arrow.h"
#include "prestige/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum prestige_text_format { PRESTIGE_TEXT_CSV = 0, PRESTIGE_TEXT_JSONL = 1 } prestige_text_format_t;

#define PRESTIGE_TEXT_OPTIONS_VERSION 1
typedef struct prestige_text_options {
  unsigned int version;          /* PRESTIGE_TEXT_OPTIONS_VERSION */
  prestige_text_format_t format; /* default CSV */
  char delimiter;                /* CSV: default ',' */
  bool header;                   /* CSV: first row names the columns (default true) */
  int64_t batch_rows;            /* default 65536 */
  int64_t infer_rows;            /* default 10000 */
  const char *schema;            /* explicit "name:type,..." or NULL to infer */
  /* Hand a batch out as soon as no complete record is waiting (pipes, FIFOs, tail -F), instead of
   * after batch_rows records; default false. */
  bool streaming;
  /* A JSON key or CSV header column the schema (explicit, or inferred from the first infer_rows
   * rows) lacks is an error naming it and the line; default false: skipped and reported. */
  bool strict;
  /* Called once for each distinct skipped name (at most 1024 are tracked), with the line where it
   * first appeared; may be NULL. */
  void (*on_ignored)(void *user_data, const char *name, int64_t line);
  void *user_data;
} prestige_text_options_t;

#define PRESTIGE_TEXT_OPTIONS_INIT                                                                        \
  {                                                                                                       \
    .version = PRESTIGE_TEXT_OPTIONS_VERSION, .format = PRESTIGE_TEXT_CSV, .delimiter = ',', .header = true, \
    .batch_rows = 65536, .infer_rows = 10000, .schema = NULL, .streaming = false, .strict = false,       \
    .on_ignored = NULL, .user_data = NULL                                                                 \
  }

/* Same as PRESTIGE_TEXT_OPTIONS_INIT. */
PRESTIGE_API void prestige_text_options_init(prestige_text_options_t *o);
/* Guesses the format from a file name (.csv/.tsv → CSV, .jsonl/.ndjson/.json → JSONL). */
PRESTIGE_API int prestige_text_format_from_path(const char *path, prestige_text_format_t *f, char *delimiter);

typedef struct prestige_text_reader prestige_text_reader_t;
/* path "-" reads standard input. */
PRESTIGE_API int prestige_text_reader_open(prestige_text_reader_t **r, const char *path, const prestige_text_options_t *o,
                                           prestige_error_t *err);
PRESTIGE_API const struct ArrowSchema *prestige_text_reader_schema(const prestige_text_reader_t *r);
/* Next batch; out->release == NULL at the end of the input. */
PRESTIGE_API int prestige_text_reader_next(prestige_text_reader_t *r, struct ArrowArray *out, prestige_error_t *err);
/* Like next, with at most max_rows rows (0: batch_rows), waiting at most timeout_ms (-1: no
 * limit) for input: PRESTIGE_ETIMEOUT (and out->release == NULL) when no complete record arrived
 * in time, or when a signal interrupted the wait; a partial record is kept for the next call. */
PRESTIGE_API int prestige_text_reader_next_wait(prestige_text_reader_t *r, struct ArrowArray *out, int64_t max_rows,
                                                int64_t timeout_ms, prestige_error_t *err);
PRESTIGE_API int64_t prestige_text_reader_bytes(const prestige_text_reader_t *r); /* bytes consumed so far */
PRESTIGE_API int64_t prestige_text_reader_rows(const prestige_text_reader_t *r);
PRESTIGE_API void prestige_text_reader_close(prestige_text_reader_t *r);

/* Parses an explicit schema string into a struct schema (all fields nullable). */
PRESTIGE_API int prestige_text_parse_schema(const char *spec, struct ArrowSchema *out, prestige_error_t *err);

#ifdef __cplusplus
}
#endif

#endif /* PRESTIGE_TEXT_H */
