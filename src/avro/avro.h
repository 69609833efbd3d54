/*
 * avro — Apache Avro object container files (OCF), written for Iceberg manifests and manifest
 * lists (internal: no public header; the Iceberg layer is the caller).
 *
 * Three parts:
 *   - Schema: parsed from JSON (jansson) into a tree of avro_node_t. Every attribute is kept:
 *     each node and field keeps the JSON object it came from, so Iceberg's `field-id`,
 *     `element-id`, `key-id`, `value-id`, `logicalType: "map"`, `adjust-to-utc`, `default`,
 *     `doc` ... are all there, and the JSON written into a file's `avro.schema` is the text we
 *     were given, byte for byte (Debian's avro-c drops field ids and defaults; we do not).
 *   - Values: avro_datum_t, a 16-byte generic value. Records hold their fields by index in
 *     schema order; look an index up once per schema (avro_field_index_by_id / _by_name), never
 *     per value. Datums live in an arena: the reader allocates one per block, the writer encodes
 *     a datum as soon as it is appended, so the caller may reuse its arena afterwards.
 *   - Files: avro_writer_t (codecs null, deflate, snappy, zstandard) to a prestige_output_t;
 *     avro_reader_t from a prestige_input_t or memory (same four codecs), with schema resolution
 *     against an optional reader schema: fields bind by field id when both sides carry one, else
 *     by name or alias; reader fields missing from the data take their default (or null when
 *     optional); writer fields unknown to the reader are skipped; int→long/float/double,
 *     long→float/double, float→double and string⇄bytes promote.
 *
 * Bounds (hostile input): every count and length is checked against the bytes left before it
 * is used; varints are at most 10 bytes; a block's size and decompressed size are capped by
 * max_block_bytes, the values decoded from one block by max_memory; nesting is capped by
 * AVRO_MAX_DEPTH in schemas and values. Violations are PRESTIGE_ECORRUPT naming the file, block,
 * byte offset and field path.
 *
 * Writing a manifest-like file:
 *   avro_schema_t *s;
 *   avro_schema_parse(&s, json_text, strlen(json_text), &err);
 *   const avro_node_t *root = avro_schema_root(s);
 *   int32_t i_status = avro_field_index_by_id(root, 0), i_snap = avro_field_index_by_id(root, 1);
 *   avro_writer_options_t o = AVRO_WRITER_OPTIONS_INIT;
 *   o.codec = AVRO_CODEC_DEFLATE;  o.meta = meta;  o.n_meta = 2;   // e.g. "format-version" = "2"
 *   prestige_output_t out;  prestige_output_open_file(&out, "m.avro", &err);
 *   avro_writer_t *w;  avro_writer_open(&w, s, out, &o, &err);     // owns out from here on
 *   arena_t a = ARENA_INIT;  avro_datum_t rec;
 *   avro_datum_record(&a, &rec, root);                             // optional fields start null
 *   rec.v.items[i_status].v.i32 = 1;
 *   avro_set_some(&rec.v.items[i_snap], root->fields[i_snap].type)->v.i64 = 42;
 *   avro_writer_append(w, &rec, &err);   arena_reset(&a);          // encoded: reuse the memory
 *   avro_writer_close(w, &file_size, &err);   arena_release(&a);
 *
 * Reading it back (bind fields once, then index):
 *   avro_reader_t *r;  avro_reader_open_memory(&r, data, len, "m.avro", NULL, &err);
 *   const avro_datum_t *e;
 *   while (avro_reader_next(r, &e, &err) == 0 && e) use(e->v.items[i_status].v.i32);
 *   avro_reader_close(r);
 */
#ifndef PRESTIGE_AVRO_AVRO_H
#define PRESTIGE_AVRO_AVRO_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "prestige/error.h"
#include "prestige/io.h"

/* ---------------------------------------------------------------------------------------------
 * Schema
 * ------------------------------------------------------------------------------------------- */

typedef enum avro_type {
  AVRO_NULL,
  AVRO_BOOLEAN,
  AVRO_INT,
  AVRO_LONG,
  AVRO_FLOAT,
  AVRO_DOUBLE,
  AVRO_BYTES,
  AVRO_STRING,
  AVRO_RECORD,
  AVRO_ENUM,
  AVRO_ARRAY,
  AVRO_MAP,
  AVRO_UNION,
  AVRO_FIXED
} avro_type_t;

/* A logical type, recognised only on the type the Avro spec allows it on (anything else is kept
 * as an attribute and reads as AVRO_LOGICAL_NONE, as the spec says). */
typedef enum avro_logical {
  AVRO_LOGICAL_NONE,
  AVRO_LOGICAL_DATE,                   /* int: days since 1970-01-01 */
  AVRO_LOGICAL_TIME_MILLIS,            /* int */
  AVRO_LOGICAL_TIME_MICROS,            /* long */
  AVRO_LOGICAL_TIMESTAMP_MILLIS,       /* long */
  AVRO_LOGICAL_TIMESTAMP_MICROS,       /* long (Iceberg adds adjust-to-utc) */
  AVRO_LOGICAL_TIMESTAMP_NANOS,        /* long */
  AVRO_LOGICAL_LOCAL_TIMESTAMP_MILLIS, /* long */
  AVRO_LOGICAL_LOCAL_TIMESTAMP_MICROS, /* long */
  AVRO_LOGICAL_LOCAL_TIMESTAMP_NANOS,  /* long */
  AVRO_LOGICAL_DECIMAL,                /* bytes or fixed: big-endian two's complement unscaled */
  AVRO_LOGICAL_UUID,                   /* string or fixed(16) */
  AVRO_LOGICAL_DURATION,               /* fixed(12) */
  AVRO_LOGICAL_MAP,                    /* Iceberg: array of {key, value} records */
  AVRO_LOGICAL_OTHER                   /* a logicalType we do not know */
} avro_logical_t;

#define AVRO_NO_ID INT32_MIN /* no field-id / element-id / key-id / value-id attribute */
#define AVRO_MAX_DEPTH 128   /* nesting cap for schemas and values */

typedef struct avro_node avro_node_t;

typedef struct avro_field {
  const char *name;
  const avro_node_t *type;
  int32_t field_id;           /* Iceberg "field-id", or AVRO_NO_ID */
  uint32_t index;             /* position in the record */
  const char *const *aliases; /* n_aliases names from "aliases" */
  uint32_t n_aliases;
  json_t *json;          /* the field's JSON object: every attribute (doc, default, order, ...) */
  json_t *default_value; /* "default", borrowed from json; NULL when absent */
} avro_field_t;

struct avro_node {
  avro_type_t type;
  avro_logical_t logical;
  const char *name; /* record, enum, fixed: the full name (namespace.name); NULL otherwise */
  json_t *json;     /* the JSON that defined this node (a string for plain primitives) */
  /* AVRO_RECORD */
  const avro_field_t *fields;
  uint32_t n_fields;
  /* AVRO_ENUM; enum_default is the index of "default" or -1 */
  uint32_t n_symbols;
  const char *const *symbols;
  int32_t enum_default;
  /* AVRO_ARRAY: items; AVRO_MAP: values. Iceberg ids from "element-id", "key-id", "value-id". */
  const avro_node_t *items;
  const avro_node_t *values;
  int32_t element_id, key_id, value_id;
  /* AVRO_UNION: null_branch is the index of "null" (-1 if none), some_branch the first other */
  const avro_node_t *const *branches;
  uint32_t n_branches;
  int32_t null_branch, some_branch;
  /* AVRO_FIXED */
  uint32_t size;
  /* AVRO_LOGICAL_DECIMAL */
  int32_t precision, scale;
  /* fewest bytes a value of this type encodes to (count checks before allocation) */
  uint64_t min_bytes;
};

typedef struct avro_schema avro_schema_t;

/* Parses a schema from JSON text (a primitive name, an object or a union array). The text is
 * kept as given and is what a writer stores in `avro.schema`. EINVAL names the fault and where
 * ("field 'data_file' > field 'partition': unknown type 'r102x'"). */
int avro_schema_parse(avro_schema_t **out, const char *json, size_t len, prestige_error_t *err);
/* Same from a jansson value (takes its own reference); the text becomes its compact dump. */
int avro_schema_from_json(avro_schema_t **out, json_t *json, prestige_error_t *err);
void avro_schema_free(avro_schema_t *s);

const avro_node_t *avro_schema_root(const avro_schema_t *s);
/* The JSON text as given (NUL-terminated; owned by the schema). */
const char *avro_schema_text(const avro_schema_t *s, size_t *len);
/* The schema's JSON, serialised compactly from the kept tree with every attribute in its
 * original order (equal to the input for compact input). Caller frees with free(). */
char *avro_schema_to_json(const avro_schema_t *s, size_t *len);
/* A named type (record, enum, fixed) by full name, or NULL. */
const avro_node_t *avro_schema_named(const avro_schema_t *s, const char *fullname);

/* Field index in a record by name (aliases not consulted) or by Iceberg field id; -1 if none.
 * Call once per schema and keep the index: record datums hold fields by index. */
int32_t avro_field_index(const avro_node_t *record, const char *name);
int32_t avro_field_index_by_id(const avro_node_t *record, int32_t field_id);
/* The type under an optional: X for a union of null and one X; n itself otherwise. */
const avro_node_t *avro_node_nonnull(const avro_node_t *n);
/* An attribute of the node's or the field's JSON object (e.g. "adjust-to-utc", "doc"), or NULL. */
json_t *avro_node_attr(const avro_node_t *n, const char *key);
json_t *avro_field_attr(const avro_field_t *f, const char *key);
const char *avro_type_name(avro_type_t t);

/* ---------------------------------------------------------------------------------------------
 * Values
 * ------------------------------------------------------------------------------------------- */

/* One value, read against its schema node (a datum does not carry its type):
 *   null            nothing
 *   boolean         v.boolean
 *   int, enum       v.i32 (enum: the symbol's index)
 *   long            v.i64
 *   float, double   v.f32, v.f64
 *   string, bytes   v.bytes with len bytes (strings are NOT NUL-terminated: they point into the
 *   fixed           decoded block; use avro_datum_strdup for a C string)
 *   record          v.items: the record's n_fields values in schema order
 *   array           v.items: len items
 *   map             v.items: len pairs, key (a string datum) at 2i, value at 2i + 1
 *   union           branch: the branch's index; the value is stored in place as for that
 *                   branch's type (a union never directly holds a union)
 */
typedef struct avro_datum {
  union {
    bool boolean;
    int32_t i32;
    int64_t i64;
    float f32;
    double f64;
    const uint8_t *bytes;
    struct avro_datum *items;
  } v;
  uint32_t len;
  int32_t branch;
} avro_datum_t;

/* The type a datum holds: the selected branch for a union, else t itself. */
static inline const avro_node_t *avro_datum_type(const avro_node_t *t, const avro_datum_t *d) {
  return t->type == AVRO_UNION && d->branch >= 0 && (uint32_t)d->branch < t->n_branches ? t->branches[d->branch] : t;
}
static inline bool avro_datum_is_null(const avro_node_t *t, const avro_datum_t *d) {
  return t->type == AVRO_NULL || (t->type == AVRO_UNION && d->branch == t->null_branch);
}
/* Field idx of record datum d (record type rec) as a long, from an int or long (optional or not):
 * false when idx < 0, the value is null, or it is of another type. */
static inline bool avro_record_long(const avro_node_t *rec, const avro_datum_t *d, int32_t idx, int64_t *out) {
  if (idx < 0) return false;
  const avro_node_t *t = rec->fields[idx].type;
  const avro_datum_t *v = &d->v.items[idx];
  if (avro_datum_is_null(t, v)) return false;
  const avro_node_t *n = avro_datum_type(t, v);
  if (n->type == AVRO_LONG) *out = v->v.i64;
  else if (n->type == AVRO_INT) *out = v->v.i32;
  else return false;
  return true;
}
/* The same as an int: false also when the value does not fit. */
static inline bool avro_record_int(const avro_node_t *rec, const avro_datum_t *d, int32_t idx, int32_t *out) {
  int64_t v;
  if (!avro_record_long(rec, d, idx, &v) || v < INT32_MIN || v > INT32_MAX) return false;
  *out = (int32_t)v;
  return true;
}
/* For an optional (union) value: select the null branch / the first non-null branch. */
static inline void avro_set_null(avro_datum_t *d, const avro_node_t *t) {
  d->branch = t->type == AVRO_UNION ? t->null_branch : 0;
}
static inline avro_datum_t *avro_set_some(avro_datum_t *d, const avro_node_t *t) {
  d->branch = t->type == AVRO_UNION ? t->some_branch : 0;
  return d;
}
/* Points a string/bytes/fixed datum at caller memory (not copied; must outlive the append). */
static inline void avro_set_bytes(avro_datum_t *d, const void *p, size_t len) {
  d->v.bytes = (const uint8_t *)p;
  d->len = (uint32_t)len;
}
void avro_set_string(avro_datum_t *d, const char *s); /* strlen(s) bytes, not copied */

/* Builders (allocate from arena a; return ENOMEM when it fails):
 * avro_datum_record gives d n_fields zeroed values, a union field starting on its null branch
 * (else branch 0); avro_datum_array / avro_datum_map give d n zeroed items / 2n key-value slots
 * and return them through *items. */
int avro_datum_record(arena_t *a, avro_datum_t *d, const avro_node_t *record);
int avro_datum_array(arena_t *a, avro_datum_t *d, uint32_t n, avro_datum_t **items);
int avro_datum_map(arena_t *a, avro_datum_t *d, uint32_t n, avro_datum_t **items);
/* Copies len bytes into the arena and points d at them. */
int avro_datum_copy_bytes(arena_t *a, avro_datum_t *d, const void *p, size_t len);
/* A NUL-terminated copy of a string/bytes datum in the arena, or NULL (ENOMEM). */
char *avro_datum_strdup(arena_t *a, const avro_datum_t *d);
/* A value from JSON in the Avro spec's default-value form (unions: the value of the first
 * branch that fits; bytes/fixed: a string of code points 0-255; NaN/Infinity as strings). */
int avro_datum_from_json(arena_t *a, const avro_node_t *t, json_t *j, avro_datum_t *d, prestige_error_t *err);

/* ---------------------------------------------------------------------------------------------
 * Container files
 * ------------------------------------------------------------------------------------------- */

typedef enum avro_codec {
  AVRO_CODEC_NULL,
  AVRO_CODEC_DEFLATE,   /* raw RFC 1951, no zlib header (as Java writes it) */
  AVRO_CODEC_SNAPPY,    /* snappy block + 4-byte big-endian CRC32 of the uncompressed data */
  AVRO_CODEC_ZSTANDARD  /* one zstd frame per block */
} avro_codec_t;

const char *avro_codec_name(avro_codec_t c); /* the avro.codec value: "null", "deflate", ... */

/* A header metadata entry (the value is bytes; Iceberg's are JSON or decimal text). */
typedef struct avro_meta {
  const char *key;
  const void *value;
  size_t len;
} avro_meta_t;

#define AVRO_LEVEL_DEFAULT INT32_MIN

typedef struct avro_writer_options {
  avro_codec_t codec;     /* default AVRO_CODEC_NULL */
  int level;              /* deflate 0-9 (default 6), zstandard 1-22 (default 3); ignored otherwise */
  size_t block_bytes;     /* a block ends once its encoded records reach this (default 64000,
                             Java's sync interval); 1 .. 1 GiB */
  uint32_t block_records; /* ... or once it holds this many records (0: no limit) */
  const avro_meta_t *meta; /* caller keys after avro.schema and avro.codec, in this order; keys
                              starting with "avro." are refused */
  size_t n_meta;
  const uint8_t *sync; /* 16 bytes, or NULL for a random marker */
} avro_writer_options_t;

#define AVRO_WRITER_OPTIONS_INIT {AVRO_CODEC_NULL, AVRO_LEVEL_DEFAULT, 64000, 0, NULL, 0, NULL}

typedef struct avro_writer avro_writer_t;

/* Writes the header at once. Takes ownership of out (aborted on failure here or in
 * avro_writer_abort, closed by avro_writer_close); prestige_output_open_memory gives a memory
 * buffer, prestige_output_open_file a file, the store layer an object. The schema must outlive
 * the writer. */
int avro_writer_open(avro_writer_t **w, const avro_schema_t *schema, prestige_output_t out,
                     const avro_writer_options_t *opts, prestige_error_t *err);
/* Encodes one record (a datum of the schema's root type) into the current block, flushing the
 * block when full. A datum that does not fit the schema is EINVAL naming the field path; the
 * writer is then unchanged and still usable. The datum may be freed once this returns. */
int avro_writer_append(avro_writer_t *w, const avro_datum_t *record, prestige_error_t *err);
/* Ends the current block (if any records are pending). */
int avro_writer_flush(avro_writer_t *w, prestige_error_t *err);
uint64_t avro_writer_records(const avro_writer_t *w);
/* Flushes, closes the output and frees w (whatever the outcome); *size gets the file's length. */
int avro_writer_close(avro_writer_t *w, uint64_t *size, prestige_error_t *err);
void avro_writer_abort(avro_writer_t *w);

typedef struct avro_reader_options {
  const avro_schema_t *reader_schema; /* NULL: values have the writer's schema */
  size_t max_block_bytes; /* cap on a block's stored and decompressed size (default 256 MiB) */
  size_t max_memory;      /* cap on the decoded values held at once (default 1 GiB) */
  bool retain;            /* keep every block's values until close (default: only the current) */
} avro_reader_options_t;

#define AVRO_READER_OPTIONS_INIT {NULL, (size_t)256 << 20, (size_t)1 << 30, false}

typedef struct avro_reader avro_reader_t;

/* Reads and checks the header and resolves the reader schema against the writer's (ETYPE when
 * they cannot be reconciled, naming the field). Takes ownership of in (closed on failure too).
 * opts may be NULL. The reader schema must outlive the reader. */
int avro_reader_open(avro_reader_t **r, prestige_input_t in, const avro_reader_options_t *opts,
                     prestige_error_t *err);
/* Over caller memory (not copied; must outlive the reader and every value read from it). */
int avro_reader_open_memory(avro_reader_t **r, const void *data, size_t len, const char *name,
                            const avro_reader_options_t *opts, prestige_error_t *err);
void avro_reader_close(avro_reader_t *r);

const avro_schema_t *avro_reader_writer_schema(const avro_reader_t *r);
/* The node values are shaped by: the reader schema's root, else the writer's. */
const avro_node_t *avro_reader_root(const avro_reader_t *r);
avro_codec_t avro_reader_codec(const avro_reader_t *r);
/* Header metadata by key (NUL-terminated after len bytes; owned by the reader), or NULL. */
const uint8_t *avro_reader_meta(const avro_reader_t *r, const char *key, size_t *len);
size_t avro_reader_meta_count(const avro_reader_t *r);
void avro_reader_meta_at(const avro_reader_t *r, size_t i, const char **key, const uint8_t **value, size_t *len);

/* The next record; *record is NULL at the end of the file. Values stay valid until the reader
 * moves to the next block, so only until the next call (or until close with opts.retain). */
int avro_reader_next(avro_reader_t *r, const avro_datum_t **record, prestige_error_t *err);
/* The rest of the current block (or the whole next block) at once; *n is 0 at the end. Same
 * lifetime as avro_reader_next. */
int avro_reader_next_block(avro_reader_t *r, const avro_datum_t **records, size_t *n, prestige_error_t *err);
uint64_t avro_reader_records(const avro_reader_t *r); /* records returned so far */

#endif
