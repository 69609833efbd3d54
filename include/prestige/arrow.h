/*
 * prestige/arrow.h — the Arrow C Data Interface, exactly as the Arrow specification defines
 * it, plus the helpers prestige uses to build, inspect and move Arrow data. Every public
 * boundary of prestige passes data as these structs, so batches go to DuckDB, pyarrow, polars
 * or nanoarrow with no copy. A record batch is a struct-typed ArrowArray ("+s") whose
 * children are the columns, together with its ArrowSchema.
 *
 *   struct ArrowSchema schema;                       // { id: int64, name: utf8 }
 *   prestige_schema_init(&schema, "+s", "", 0, &err);
 *   prestige_schema_allocate_children(&schema, 2, &err);
 *   prestige_schema_init(schema.children[0], "l", "id", 0, &err);
 *   prestige_schema_init(schema.children[1], "u", "name", ARROW_FLAG_NULLABLE, &err);
 *
 *   prestige_array_builder_t *b;
 *   if (prestige_array_builder_new(&b, &schema, &err)) return err.code;
 *   prestige_array_builder_append_int(prestige_array_builder_child(b, 0), 7, &err);
 *   prestige_array_builder_append_null(prestige_array_builder_child(b, 1), &err);
 *   prestige_array_builder_append_struct(b, &err);   // closes row 0
 *   struct ArrowArray batch;
 *   if (prestige_array_builder_finish(b, &batch, &err) == 0)  // batch.release frees everything
 *     batch.release(&batch);
 *   prestige_array_builder_free(b);
 *   schema.release(&schema);
 */
#ifndef PRESTIGE_ARROW_H
#define PRESTIGE_ARROW_H

#include "prestige/api.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "prestige/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Arrow C Data Interface (verbatim from the Arrow specification) ------------------- */
#ifndef ARROW_C_DATA_INTERFACE
#define ARROW_C_DATA_INTERFACE

#define ARROW_FLAG_DICTIONARY_ORDERED 1
#define ARROW_FLAG_NULLABLE 2
#define ARROW_FLAG_MAP_KEYS_SORTED 4

struct ArrowSchema {
  // Array type description
  const char* format;
  const char* name;
  const char* metadata;
  int64_t flags;
  int64_t n_children;
  struct ArrowSchema** children;
  struct ArrowSchema* dictionary;

  // Release callback
  void (*release)(struct ArrowSchema*);
  // Opaque producer-specific data
  void* private_data;
};

struct ArrowArray {
  // Array data description
  int64_t length;
  int64_t null_count;
  int64_t offset;
  int64_t n_buffers;
  int64_t n_children;
  const void** buffers;
  struct ArrowArray** children;
  struct ArrowArray* dictionary;

  // Release callback
  void (*release)(struct ArrowArray*);
  // Opaque producer-specific data
  void* private_data;
};

#endif  // ARROW_C_DATA_INTERFACE

#ifndef ARROW_C_STREAM_INTERFACE
#define ARROW_C_STREAM_INTERFACE

struct ArrowArrayStream {
  // Callback to get the stream type
  // (will be the same for all arrays in the stream).
  //
  // Return value: 0 if successful, an `errno`-compatible error code otherwise.
  //
  // If successful, the ArrowSchema must be released independently from the stream.
  int (*get_schema)(struct ArrowArrayStream*, struct ArrowSchema* out);

  // Callback to get the next array
  // (if no error and the array is released, the stream has ended)
  //
  // Return value: 0 if successful, an `errno`-compatible error code otherwise.
  //
  // If successful, the ArrowArray must be released independently from the stream.
  int (*get_next)(struct ArrowArrayStream*, struct ArrowArray* out);

  // Callback to get optional detailed error information.
  // This must only be called if the last stream operation failed
  // with a non-0 return code.
  //
  // Return value: pointer to a null-terminated character array describing
  // the last error, or NULL if no description is available.
  //
  // The returned pointer is only valid until the next operation on this stream
  // (including release).
  const char* (*get_last_error)(struct ArrowArrayStream*);

  // Release callback: release the stream's own resources.
  // Note that arrays returned by `get_next` must be individually released.
  void (*release)(struct ArrowArrayStream*);

  // Opaque producer-specific data
  void* private_data;
};

#endif  // ARROW_C_STREAM_INTERFACE

/* ---- parsed type descriptions -------------------------------------------------------- */
typedef enum prestige_arrow_type {
  PRESTIGE_ARROW_NA = 0,
  PRESTIGE_ARROW_BOOL,
  PRESTIGE_ARROW_INT8,
  PRESTIGE_ARROW_UINT8,
  PRESTIGE_ARROW_INT16,
  PRESTIGE_ARROW_UINT16,
  PRESTIGE_ARROW_INT32,
  PRESTIGE_ARROW_UINT32,
  PRESTIGE_ARROW_INT64,
  PRESTIGE_ARROW_UINT64,
  PRESTIGE_ARROW_HALF_FLOAT,
  PRESTIGE_ARROW_FLOAT,
  PRESTIGE_ARROW_DOUBLE,
  PRESTIGE_ARROW_STRING,          /* "u"  int32 offsets */
  PRESTIGE_ARROW_LARGE_STRING,    /* "U"  int64 offsets */
  PRESTIGE_ARROW_BINARY,          /* "z" */
  PRESTIGE_ARROW_LARGE_BINARY,    /* "Z" */
  PRESTIGE_ARROW_FIXED_SIZE_BINARY, /* "w:N" */
  PRESTIGE_ARROW_DECIMAL128,      /* "d:P,S" or "d:P,S,128" */
  PRESTIGE_ARROW_DECIMAL256,      /* "d:P,S,256" */
  PRESTIGE_ARROW_DATE32,          /* "tdD" days */
  PRESTIGE_ARROW_DATE64,          /* "tdm" milliseconds */
  PRESTIGE_ARROW_TIME32,          /* "tts" / "ttm" */
  PRESTIGE_ARROW_TIME64,          /* "ttu" / "ttn" */
  PRESTIGE_ARROW_TIMESTAMP,       /* "tss:TZ" ... "tsn:TZ" (TZ may be empty) */
  PRESTIGE_ARROW_DURATION,        /* "tDs" ... "tDn" */
  PRESTIGE_ARROW_INTERVAL_MONTHS, /* "tiM" */
  PRESTIGE_ARROW_INTERVAL_DAY_TIME, /* "tiD" */
  PRESTIGE_ARROW_INTERVAL_MONTH_DAY_NANO, /* "tin" */
  PRESTIGE_ARROW_LIST,            /* "+l" */
  PRESTIGE_ARROW_LARGE_LIST,      /* "+L" */
  PRESTIGE_ARROW_FIXED_SIZE_LIST, /* "+w:N" */
  PRESTIGE_ARROW_STRUCT,          /* "+s" */
  PRESTIGE_ARROW_MAP,             /* "+m" */
  PRESTIGE_ARROW_DICTIONARY       /* index type format with schema->dictionary set */
} prestige_arrow_type_t;

typedef enum prestige_time_unit {
  PRESTIGE_TIME_UNIT_SECOND = 0,
  PRESTIGE_TIME_UNIT_MILLI = 1,
  PRESTIGE_TIME_UNIT_MICRO = 2,
  PRESTIGE_TIME_UNIT_NANO = 3
} prestige_time_unit_t;

typedef struct prestige_arrow_type_info {
  prestige_arrow_type_t type;
  prestige_arrow_type_t index_type; /* for DICTIONARY: the integer type of the indices */
  int32_t byte_width;   /* fixed-width types: bytes per value (0 for bool and variable width) */
  int32_t fixed_size;   /* FIXED_SIZE_BINARY bytes, FIXED_SIZE_LIST elements */
  int32_t precision, scale; /* decimals */
  prestige_time_unit_t unit; /* time32/64, timestamp, duration */
  const char *timezone; /* timestamp: points into the format string; "" when none */
} prestige_arrow_type_info_t;

/* Parses a C Data Interface format string ("tsu:UTC", "d:10,2", "+w:4", ...). For a schema
 * with a dictionary, pass the whole schema to prestige_arrow_schema_type instead. */
PRESTIGE_API int prestige_arrow_type_parse(const char *format, prestige_arrow_type_info_t *info, prestige_error_t *err);
PRESTIGE_API int prestige_arrow_schema_type(const struct ArrowSchema *schema, prestige_arrow_type_info_t *info,
                                            prestige_error_t *err);
PRESTIGE_API const char *prestige_arrow_type_name(prestige_arrow_type_t type); /* "int32", "timestamp", ... */

/* ---- schemas ------------------------------------------------------------------------- */
/* Initialises *schema (whose previous contents are ignored) with owned copies of format and
 * name, no children, no metadata, and a release callback that frees it recursively. */
PRESTIGE_API int prestige_schema_init(struct ArrowSchema *schema, const char *format, const char *name, int64_t flags,
                                      prestige_error_t *err);
/* Allocates n children, each a zeroed ArrowSchema with release == NULL, to be initialised by
 * the caller with prestige_schema_init. Only for schemas made by prestige_schema_init. */
PRESTIGE_API int prestige_schema_allocate_children(struct ArrowSchema *schema, int64_t n, prestige_error_t *err);
/* Allocates the dictionary schema (zeroed, release == NULL). */
PRESTIGE_API int prestige_schema_allocate_dictionary(struct ArrowSchema *schema, prestige_error_t *err);

typedef struct prestige_kv {
  const char *key;
  const char *value;
  int32_t value_len; /* -1: value is NUL-terminated */
} prestige_kv_t;

/* Replaces the metadata with the given pairs encoded as the C Data Interface specifies. */
PRESTIGE_API int prestige_schema_set_metadata(struct ArrowSchema *schema, const prestige_kv_t *pairs, int64_t n,
                                              prestige_error_t *err);
/* Number of pairs in encoded metadata (0 for NULL). */
PRESTIGE_API int32_t prestige_metadata_count(const char *metadata);
/* Pair i of encoded metadata; key/value are not NUL-terminated. Returns false if out of range. */
PRESTIGE_API bool prestige_metadata_pair(const char *metadata, int32_t i, const char **key, int32_t *key_len,
                                         const char **value, int32_t *value_len);
/* Looks a key up; false when absent. */
PRESTIGE_API bool prestige_metadata_get(const char *metadata, const char *key, const char **value, int32_t *value_len);
/* Size in bytes of encoded metadata (0 for NULL). */
PRESTIGE_API int64_t prestige_metadata_size(const char *metadata);
/* Sets one key of the schema's metadata, keeping the other pairs (a key already present is
 * replaced in place); value NULL removes the key. Only for schemas made by prestige_schema_init. */
PRESTIGE_API int prestige_schema_metadata_put(struct ArrowSchema *schema, const char *key, const char *value,
                                              int32_t value_len, prestige_error_t *err);

/* ---- extension types ------------------------------------------------------------------ */
/* An Arrow extension type travels as field metadata (the C Data Interface and the IPC format
 * agree): ARROW:extension:name names it, ARROW:extension:metadata holds its parameters, and the
 * field's format is its storage type. A consumer that does not know the name sees the storage
 * type. The Parquet reader and writer map these annotations (Iceberg's uuid uses arrow.uuid too):
 *
 *   arrow.uuid    fixed_size_binary(16)                 <-> FIXED_LEN_BYTE_ARRAY(16), UUID
 *   arrow.json    utf8, large_utf8                      <-> BYTE_ARRAY, JSON
 *   parquet.bson  binary, large_binary                  <-> BYTE_ARRAY, BSON
 *   parquet.enum  utf8, large_utf8, binary, large_binary <-> BYTE_ARRAY, ENUM
 *
 * arrow.uuid and arrow.json are Arrow's canonical extension types (pyarrow and Arrow C++ know
 * them). BSON and ENUM have none: Arrow C++ reads both as plain binary and drops the annotation;
 * prestige keeps it under the parquet.* names above so that it survives a Parquet -> Parquet copy.
 * Extension types prestige does not know are written as their storage type; their metadata still
 * reaches Arrow readers through the ARROW:schema footer.
 *
 *   prestige_schema_init(schema.children[0], "w:16", "id", ARROW_FLAG_NULLABLE, &err);
 *   prestige_schema_set_extension(schema.children[0], PRESTIGE_EXTENSION_UUID, NULL, &err);
 */
#define PRESTIGE_EXTENSION_NAME_KEY "ARROW:extension:name"
#define PRESTIGE_EXTENSION_METADATA_KEY "ARROW:extension:metadata"
#define PRESTIGE_EXTENSION_UUID "arrow.uuid"
#define PRESTIGE_EXTENSION_JSON "arrow.json"
#define PRESTIGE_EXTENSION_BSON "parquet.bson"
#define PRESTIGE_EXTENSION_ENUM "parquet.enum"

typedef enum prestige_arrow_extension {
  PRESTIGE_ARROW_EXT_NONE = 0, /* no ARROW:extension:name */
  PRESTIGE_ARROW_EXT_UUID,
  PRESTIGE_ARROW_EXT_JSON,
  PRESTIGE_ARROW_EXT_BSON,
  PRESTIGE_ARROW_EXT_ENUM,
  PRESTIGE_ARROW_EXT_OTHER     /* a name prestige does not interpret: the storage type applies */
} prestige_arrow_extension_t;

/* The extension name of a field (not NUL-terminated); false when it has none. */
PRESTIGE_API bool prestige_schema_extension_name(const struct ArrowSchema *schema, const char **name, int32_t *len);
/* Which of the extension types above a field carries. A known name on a storage type it does not
 * allow (arrow.uuid on utf8, ...) is PRESTIGE_EINVAL naming the field and both types. */
PRESTIGE_API int prestige_schema_extension(const struct ArrowSchema *schema, prestige_arrow_extension_t *kind,
                                           prestige_error_t *err);
/* Attaches extension name (with its serialised parameters, NULL for none: stored as "") to a
 * field, keeping its other metadata; name NULL removes the extension. */
PRESTIGE_API int prestige_schema_set_extension(struct ArrowSchema *schema, const char *name, const char *ext_metadata,
                                               prestige_error_t *err);
/* "arrow.uuid", ... for a kind; NULL for NONE and OTHER. */
PRESTIGE_API const char *prestige_arrow_extension_name(prestige_arrow_extension_t kind);

/* Deep copy of any valid schema (from prestige or another producer). */
PRESTIGE_API int prestige_schema_copy(struct ArrowSchema *dst, const struct ArrowSchema *src, prestige_error_t *err);
/* Checks a schema: formats parse, children counts match their types, names present. */
PRESTIGE_API int prestige_schema_validate(const struct ArrowSchema *schema, prestige_error_t *err);

/* Moves src into dst (struct copy, then src->release = NULL), as the spec describes. */
static inline void prestige_schema_move(struct ArrowSchema *src, struct ArrowSchema *dst) {
  *dst = *src;
  src->release = 0;
}
static inline void prestige_array_move(struct ArrowArray *src, struct ArrowArray *dst) {
  *dst = *src;
  src->release = 0;
}
static inline void prestige_schema_release(struct ArrowSchema *s) {
  if (s && s->release) s->release(s);
}
static inline void prestige_array_release(struct ArrowArray *a) {
  if (a && a->release) a->release(a);
}

/* ---- arrays, low level (for producers that fill buffers themselves) -------------------- */
/* Initialises *array with n_buffers NULL buffer slots and n_children zeroed child arrays
 * (release == NULL, to be initialised by the caller), length 0. Its release callback frees,
 * with free(), every non-NULL buffer pointer (so buffers must come from malloc/
 * prestige_aligned_alloc-compatible allocation: use prestige_buffer_alloc), then the children
 * and dictionary, recursively. */
PRESTIGE_API int prestige_array_init(struct ArrowArray *array, int64_t n_buffers, int64_t n_children, prestige_error_t *err);
PRESTIGE_API int prestige_array_allocate_dictionary(struct ArrowArray *array, prestige_error_t *err);
/* 64-byte aligned allocation, freeable with free(). Zero bytes gives a valid non-NULL pointer.
 * Returns NULL on ENOMEM. */
PRESTIGE_API void *prestige_buffer_alloc(int64_t size);
/* Hands ownership of buffer (from prestige_buffer_alloc or malloc) to array slot i; frees a
 * buffer previously in that slot. Only for arrays made by prestige_array_init. */
PRESTIGE_API void prestige_array_set_buffer(struct ArrowArray *array, int64_t i, void *buffer);

/* Number of buffers the spec requires for a type (validity included): bool/primitive 2,
 * string/binary 3, struct 1, list 2, fixed size list 1, map 2, NA 0. */
PRESTIGE_API int64_t prestige_arrow_type_buffer_count(prestige_arrow_type_t type);

/* Validates an array against its schema: buffer counts, lengths, offsets monotonic and in
 * bounds, children lengths, null_count consistent (when not -1). Producers' arrays handed to
 * the writer are validated with this before a byte of them is read. */
PRESTIGE_API int prestige_array_validate(const struct ArrowArray *array, const struct ArrowSchema *schema,
                                         prestige_error_t *err);

/* Validity bit of element i (i is relative to array->offset, which is added here). */
static inline bool prestige_array_is_valid(const struct ArrowArray *a, int64_t i) {
  const uint8_t *v = a->n_buffers > 0 ? (const uint8_t *)a->buffers[0] : 0;
  if (!v) return true; /* no validity buffer: all valid */
  int64_t j = a->offset + i;
  return (v[j >> 3] >> (j & 7)) & 1;
}

/* ---- array builder (schema driven, value at a time) ------------------------------------ */
typedef struct prestige_array_builder prestige_array_builder_t;

/* Builder for any type the schema describes (nested to any depth). Schema is copied. */
PRESTIGE_API int prestige_array_builder_new(prestige_array_builder_t **out, const struct ArrowSchema *schema,
                                            prestige_error_t *err);
PRESTIGE_API void prestige_array_builder_free(prestige_array_builder_t *b);
/* Child builder: struct field i, list/fixed-size-list/map element (i = 0; for map the child is
 * the "entries" struct with key child 0 and value child 1). NULL if out of range. */
PRESTIGE_API prestige_array_builder_t *prestige_array_builder_child(prestige_array_builder_t *b, int64_t i);
PRESTIGE_API int64_t prestige_array_builder_length(const prestige_array_builder_t *b);
PRESTIGE_API const struct ArrowSchema *prestige_array_builder_schema(const prestige_array_builder_t *b);

/* Appends a null. For struct builders this also appends a null to every child (Arrow keeps
 * child slots for null struct entries); for fixed-size lists, fixed_size null children. */
PRESTIGE_API int prestige_array_builder_append_null(prestige_array_builder_t *b, prestige_error_t *err);
/* Integers of any width (range-checked), date32/64, time32/64, timestamp, duration. */
PRESTIGE_API int prestige_array_builder_append_int(prestige_array_builder_t *b, int64_t v, prestige_error_t *err);
PRESTIGE_API int prestige_array_builder_append_uint(prestige_array_builder_t *b, uint64_t v, prestige_error_t *err);
/* float, double, half_float (converted) */
PRESTIGE_API int prestige_array_builder_append_double(prestige_array_builder_t *b, double v, prestige_error_t *err);
PRESTIGE_API int prestige_array_builder_append_bool(prestige_array_builder_t *b, bool v, prestige_error_t *err);
/* string, large_string, binary, large_binary, fixed_size_binary (len must equal the width). */
PRESTIGE_API int prestige_array_builder_append_bytes(prestige_array_builder_t *b, const void *data, int64_t len,
                                                     prestige_error_t *err);
/* interval_month_day_nano: all three; interval_day_time: days and whole milliseconds (months 0);
 * interval_months: months only. Anything a type cannot hold is PRESTIGE_EINVAL. */
PRESTIGE_API int prestige_array_builder_append_interval(prestige_array_builder_t *b, int32_t months, int32_t days,
                                                        int64_t nanos, prestige_error_t *err);
/* decimal128: 16 bytes, little-endian two's complement. decimal256: 32 bytes. */
PRESTIGE_API int prestige_array_builder_append_decimal(prestige_array_builder_t *b, const uint8_t *le_bytes,
                                                       prestige_error_t *err);
/* Struct: closes one valid row whose children were appended by the caller (each child must
 * have exactly one more value than before). */
PRESTIGE_API int prestige_array_builder_append_struct(prestige_array_builder_t *b, prestige_error_t *err);
/* List/large list/map: closes one valid entry holding every child value appended since the
 * previous entry. Fixed-size list: checks that fixed_size values were appended. */
PRESTIGE_API int prestige_array_builder_append_list(prestige_array_builder_t *b, prestige_error_t *err);

/* Moves the built array out and resets the builder (keeping its schema) for the next batch. */
PRESTIGE_API int prestige_array_builder_finish(prestige_array_builder_t *b, struct ArrowArray *out, prestige_error_t *err);

/* ---- values --------------------------------------------------------------------------------- */
/* Formats a decimal128 value (16 bytes, little-endian two's complement) with scale digits after
 * the point ("-12.50" for -1250 at scale 2). Returns the length written (out is NUL-terminated;
 * 48 bytes always suffice). */
PRESTIGE_API int prestige_decimal128_format(const uint8_t *le16, int32_t scale, char *out, size_t n);
/* A UUID's 16 bytes (network order, as arrow.uuid and Parquet store them) in the canonical
 * 8-4-4-4-12 form, lower case: "f81d4fae-7dec-11d0-a765-00a0c91e6bf6" (out holds 37 bytes). */
PRESTIGE_API void prestige_uuid_format(const uint8_t bytes[16], char out[37]);
/* Parses the canonical form (either case), also as 32 hex digits without hyphens or inside
 * braces; anything else is PRESTIGE_EINVAL quoting the text. */
PRESTIGE_API int prestige_uuid_parse(const char *text, size_t len, uint8_t out[16], prestige_error_t *err);
/* A month_day_nano interval as DuckDB prints an INTERVAL: "1 year 2 months 3 days 04:05:06.789",
 * "-00:00:01.5", "00:00:00" when zero. Returns the length written (out is NUL-terminated; 96 bytes
 * always suffice). */
PRESTIGE_API int prestige_interval_format(int32_t months, int32_t days, int64_t nanos, char *out, size_t n);

/* ---- streams ----------------------------------------------------------------------------- */
/* A stream over batches already in memory. Takes ownership of schema and of the n arrays
 * (moved; the caller's structs are marked released). */
PRESTIGE_API int prestige_array_stream_from_batches(struct ArrowArrayStream *out, struct ArrowSchema *schema,
                                                    struct ArrowArray *batches, int64_t n, prestige_error_t *err);

#ifdef __cplusplus
}
#endif

#endif /* PRESTIGE_ARROW_H */
