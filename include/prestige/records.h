/*
 * prestige/records.h — typed records: a C struct described once, read and written as Arrow
 * and Parquet. The C analog of the reference's #[prestige_schema] macro.
 *
 * One X-macro names each field once; PRESTIGE_RECORD generates the struct type and its
 * descriptor (an offsetof table) from it:
 *
 *   #define SENSOR_DATA(F)                                 \
 *     F(timestamp, U64)                                    \
 *     F(sensor_id, STRING)                                 \
 *     F(temperature, F32)                                  \
 *     F(humidity, OPTIONAL(F64))                           \
 *     F(ts, TIMESTAMP(MICRO, "UTC"), .partition = PRESTIGE_PARTITION_DAY, .sort_order = 1)
 *   PRESTIGE_RECORD(sensor_data, SENSOR_DATA, .table = "sensor_readings", .namespace_ = "telemetry")
 *
 *   sensor_data_t rows[2] = {{.timestamp = 1, .sensor_id = PRESTIGE_STR("a"), .temperature = 20.5f},
 *                            {.timestamp = 2, .sensor_id = PRESTIGE_STR("b"), .humidity = {true, 0.4}}};
 *   const prestige_record_desc_t *desc = sensor_data_record();
 *   struct ArrowSchema schema;
 *   struct ArrowArray batch;
 *   if (prestige_record_schema(desc, &schema, &err)) return err.code;
 *   if (prestige_record_to_arrow(desc, rows, 2, &batch, &err)) return err.code;
 *   batch.release(&batch);
 *   schema.release(&schema);
 *   if (prestige_record_write_file(desc, "s.parquet", rows, 2, NULL, &err)) return err.code;
 *   prestige_records_t back = {0};                   // items + the memory their strings live in
 *   if (prestige_record_read_file(desc, "s.parquet", NULL, &back, &err)) return err.code;
 *   const sensor_data_t *r = back.items;
 *   printf("%zu rows, first %.*s\n", back.n, (int)r[0].sensor_id.len, r[0].sensor_id.ptr);
 *   prestige_records_release(&back);
 *
 * Field kinds (the second X-macro argument) and their Arrow types:
 *   BOOL bool | I8 I16 I32 I64 int8..int64 | U8 U16 U32 U64 uint8..uint64 | F32 float | F64 double
 *   STRING             prestige_str_t          → utf8
 *   BYTES              prestige_bytes_t        → list<uint8>    (binary with PRESTIGE_AS_BINARY)
 *   FIXED_BYTES(N)     uint8_t[N]              → list<uint8>    (fixed_size_binary(N) with PRESTIGE_AS_BINARY)
 *   TIMESTAMP(UNIT,TZ) int64_t                 → timestamp[UNIT, TZ] (UNIT: SECOND MILLI MICRO NANO; TZ NULL or "UTC"...)
 *   DATE               int32_t days since 1970 → date32
 *   DECIMAL(P,S)       prestige_decimal_t      → decimal128(P,S); P checked 1..38 at compile time
 *   LIST(KIND)         prestige_list_t of KIND's C type (scalar kinds) → list<KIND>
 *   OPTIONAL(KIND)     struct { bool present; <C type> value; } → nullable KIND
 * Attributes are designated initializers of prestige_field_desc_t after the kind:
 *   .flags = PRESTIGE_AS_BINARY | PRESTIGE_IDENTIFIER, .partition = PRESTIGE_PARTITION_BUCKET,
 *   .partition_param = 16, .sort_order = 2, .sort_desc = true.
 * An unknown kind does not compile; DECIMAL precision over 38 does not compile. Other mistakes
 * (duplicate names, AS_BINARY on a non-byte field, bad partition parameters) are reported by
 * prestige_record_validate, which every function below runs before first use.
 */
#ifndef PRESTIGE_RECORDS_H
#define PRESTIGE_RECORDS_H

#include "prestige/api.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "prestige/arrow.h"
#include "prestige/error.h"
#include "prestige/parquet_reader.h"
#include "prestige/parquet_writer.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct prestige_str {
  const char *ptr;
  size_t len;
} prestige_str_t;
#define PRESTIGE_STR(literal) ((prestige_str_t){(literal), sizeof(literal) - 1})

typedef struct prestige_bytes {
  const uint8_t *ptr;
  size_t len;
} prestige_bytes_t;

typedef struct prestige_list {
  const void *items; /* array of the element kind's C type */
  size_t len;
} prestige_list_t;

/* 128-bit two's complement unscaled decimal value. */
typedef struct prestige_decimal {
  uint64_t lo;
  int64_t hi;
} prestige_decimal_t;
static inline prestige_decimal_t prestige_decimal_from_i64(int64_t v) {
  prestige_decimal_t d = {(uint64_t)v, v < 0 ? -1 : 0};
  return d;
}

typedef enum prestige_field_kind {
  PRESTIGE_KIND_BOOL, PRESTIGE_KIND_I8, PRESTIGE_KIND_I16, PRESTIGE_KIND_I32, PRESTIGE_KIND_I64,
  PRESTIGE_KIND_U8, PRESTIGE_KIND_U16, PRESTIGE_KIND_U32, PRESTIGE_KIND_U64, PRESTIGE_KIND_F32,
  PRESTIGE_KIND_F64, PRESTIGE_KIND_STRING, PRESTIGE_KIND_BYTES, PRESTIGE_KIND_FIXED_BYTES,
  PRESTIGE_KIND_TIMESTAMP, PRESTIGE_KIND_DATE, PRESTIGE_KIND_DECIMAL, PRESTIGE_KIND_LIST
} prestige_field_kind_t;

typedef enum prestige_partition_transform {
  PRESTIGE_PARTITION_NONE = 0,
  PRESTIGE_PARTITION_IDENTITY,
  PRESTIGE_PARTITION_YEAR,
  PRESTIGE_PARTITION_MONTH,
  PRESTIGE_PARTITION_DAY,
  PRESTIGE_PARTITION_HOUR,
  PRESTIGE_PARTITION_BUCKET,   /* partition_param = number of buckets */
  PRESTIGE_PARTITION_TRUNCATE  /* partition_param = width */
} prestige_partition_transform_t;

enum {
  PRESTIGE_AS_BINARY = 1u << 0,  /* bytes as binary / fixed_size_binary instead of list<uint8> */
  PRESTIGE_IDENTIFIER = 1u << 1  /* Iceberg identifier field (deduplication key) */
};

typedef struct prestige_field_desc {
  const char *name;
  prestige_field_kind_t kind;
  size_t offset;        /* offsetof the member in the record struct */
  size_t size;          /* sizeof the member */
  bool optional;        /* OPTIONAL(kind): member is { bool present; T value; } */
  size_t value_offset;  /* for optional: offset of value inside the member */
  prestige_field_kind_t element_kind; /* LIST */
  int32_t fixed_len;    /* FIXED_BYTES */
  prestige_time_unit_t unit;          /* TIMESTAMP */
  const char *timezone; /* TIMESTAMP: NULL for none */
  int32_t precision, scale; /* DECIMAL */
  uint32_t flags;
  prestige_partition_transform_t partition;
  int32_t partition_param;
  int32_t sort_order;   /* 0: not a sort key; 1, 2, ...: position in the sort order */
  bool sort_desc;
} prestige_field_desc_t;

typedef struct prestige_record_desc {
  const char *name;       /* C type name */
  size_t size;            /* sizeof the struct */
  const prestige_field_desc_t *fields;
  size_t n_fields;
  const char *table;      /* Iceberg table name (NULL: the type name) */
  const char *namespace_; /* Iceberg namespace (NULL: none) */
} prestige_record_desc_t;

/* ---- generation macros ----------------------------------------------------------------- */
#define PRESTIGE__CT_BOOL bool
#define PRESTIGE__CT_I8 int8_t
#define PRESTIGE__CT_I16 int16_t
#define PRESTIGE__CT_I32 int32_t
#define PRESTIGE__CT_I64 int64_t
#define PRESTIGE__CT_U8 uint8_t
#define PRESTIGE__CT_U16 uint16_t
#define PRESTIGE__CT_U32 uint32_t
#define PRESTIGE__CT_U64 uint64_t
#define PRESTIGE__CT_F32 float
#define PRESTIGE__CT_F64 double
#define PRESTIGE__CT_STRING prestige_str_t
#define PRESTIGE__CT_BYTES prestige_bytes_t
#define PRESTIGE__CT_FIXED_BYTES(n) uint8_t
#define PRESTIGE__CT_TIMESTAMP(unit, tz) int64_t
#define PRESTIGE__CT_DATE int32_t
#define PRESTIGE__CT_DECIMAL(p, s) prestige_decimal_t
#define PRESTIGE__CT_LIST(k) prestige_list_t
#define PRESTIGE__CT_OPTIONAL(k) \
  struct {                       \
    bool present;                \
    PRESTIGE__CT_##k value PRESTIGE__SX_##k; \
  }
/* Array suffix of the member declaration (only FIXED_BYTES has one). */
#define PRESTIGE__SX_BOOL
#define PRESTIGE__SX_I8
#define PRESTIGE__SX_I16
#define PRESTIGE__SX_I32
#define PRESTIGE__SX_I64
#define PRESTIGE__SX_U8
#define PRESTIGE__SX_U16
#define PRESTIGE__SX_U32
#define PRESTIGE__SX_U64
#define PRESTIGE__SX_F32
#define PRESTIGE__SX_F64
#define PRESTIGE__SX_STRING
#define PRESTIGE__SX_BYTES
#define PRESTIGE__SX_FIXED_BYTES(n) [n]
#define PRESTIGE__SX_TIMESTAMP(unit, tz)
#define PRESTIGE__SX_DATE
#define PRESTIGE__SX_DECIMAL(p, s)
#define PRESTIGE__SX_LIST(k)
#define PRESTIGE__SX_OPTIONAL(k)
/* Descriptor initialisers per kind. */
#define PRESTIGE__D_BOOL .kind = PRESTIGE_KIND_BOOL
#define PRESTIGE__D_I8 .kind = PRESTIGE_KIND_I8
#define PRESTIGE__D_I16 .kind = PRESTIGE_KIND_I16
#define PRESTIGE__D_I32 .kind = PRESTIGE_KIND_I32
#define PRESTIGE__D_I64 .kind = PRESTIGE_KIND_I64
#define PRESTIGE__D_U8 .kind = PRESTIGE_KIND_U8
#define PRESTIGE__D_U16 .kind = PRESTIGE_KIND_U16
#define PRESTIGE__D_U32 .kind = PRESTIGE_KIND_U32
#define PRESTIGE__D_U64 .kind = PRESTIGE_KIND_U64
#define PRESTIGE__D_F32 .kind = PRESTIGE_KIND_F32
#define PRESTIGE__D_F64 .kind = PRESTIGE_KIND_F64
#define PRESTIGE__D_STRING .kind = PRESTIGE_KIND_STRING
#define PRESTIGE__D_BYTES .kind = PRESTIGE_KIND_BYTES
#define PRESTIGE__D_FIXED_BYTES(n) \
  .kind = PRESTIGE_KIND_FIXED_BYTES, .fixed_len = (n) + 0 * (int)sizeof(struct { int fixed_len_must_be_positive : ((n) > 0) ? 1 : -1; })
#define PRESTIGE__D_TIMESTAMP(u, tz) .kind = PRESTIGE_KIND_TIMESTAMP, .unit = PRESTIGE_TIME_UNIT_##u, .timezone = (tz)
#define PRESTIGE__D_DATE .kind = PRESTIGE_KIND_DATE
#define PRESTIGE__D_DECIMAL(p, s)                                                                          \
  .kind = PRESTIGE_KIND_DECIMAL,                                                                           \
  .precision = (p) + 0 * (int)sizeof(struct { int decimal_precision_must_be_1_to_38 : ((p) >= 1 && (p) <= 38) ? 1 : -1; }), \
  .scale = (s) + 0 * (int)sizeof(struct { int decimal_scale_must_be_0_to_precision : ((s) >= 0 && (s) <= (p)) ? 1 : -1; })
#define PRESTIGE__D_LIST(k) .kind = PRESTIGE_KIND_LIST, .element_kind = PRESTIGE_KIND_##k
#define PRESTIGE__D_OPTIONAL(k) PRESTIGE__D_##k, .optional = true, .value_offset = _Alignof(PRESTIGE__CT_##k)

/* Every variadic macro here takes its arguments through (...) and hands them on with an empty
 * argument appended, so that F(name, KIND) without attributes, PRESTIGE_RECORD(NAME, FIELDS) and
 * PRESTIGE_FIELD(T, member, KIND) compile without warnings under -std=c11 -pedantic (ISO C wants
 * at least one argument for a "..." parameter). */
#define PRESTIGE__MEMBER(...) PRESTIGE__MEMBER_(__VA_ARGS__, )
#define PRESTIGE__MEMBER_(fname_, kind, ...) PRESTIGE__CT_##kind fname_ PRESTIGE__SX_##kind;
/* Used inside the generated NAME_record() function, where prestige__record_t names the type. */
#define PRESTIGE__FIELD(...) PRESTIGE__FIELD_(__VA_ARGS__, )
#define PRESTIGE__FIELD_(fname_, kind, ...)                                                       \
  {.name = #fname_, PRESTIGE__D_##kind, .offset = offsetof(prestige__record_t, fname_),           \
   .size = sizeof(((prestige__record_t *)0)->fname_), __VA_ARGS__},

/* Defines `typedef struct NAME {...} NAME_t;` and `const prestige_record_desc_t *NAME_record(void)`
 * returning its descriptor (static storage). Trailing arguments are designated initializers of
 * the record descriptor (.table, .namespace_). */
#define PRESTIGE_RECORD(...) PRESTIGE__RECORD_(__VA_ARGS__, )
#define PRESTIGE__RECORD_(NAME, FIELDS, ...)                                                      \
  typedef struct NAME { FIELDS(PRESTIGE__MEMBER) } NAME##_t;                                      \
  __attribute__((unused)) static const prestige_record_desc_t *NAME##_record(void) {             \
    typedef NAME##_t prestige__record_t;                                                          \
    _Pragma("GCC diagnostic push") _Pragma("GCC diagnostic ignored \"-Wmissing-field-initializers\"") \
    static const prestige_field_desc_t fields[] = {FIELDS(PRESTIGE__FIELD)};                     \
    static const prestige_record_desc_t desc = {.name = #NAME, .size = sizeof(NAME##_t),         \
                                                .fields = fields,                                 \
                                                .n_fields = sizeof(fields) / sizeof(fields[0]),   \
                                                __VA_ARGS__};                                     \
    _Pragma("GCC diagnostic pop")                                                                 \
    return &desc;                                                                                 \
  }

/* For binding an existing struct instead: one entry per member, checked against the kind's
 * C type size at compile time.
 *   static const prestige_field_desc_t my_fields[] = {
 *     PRESTIGE_FIELD(my_t, id, U64), PRESTIGE_FIELD(my_t, name, STRING, .flags = PRESTIGE_IDENTIFIER)};
 *   static const prestige_record_desc_t my_record = PRESTIGE_RECORD_DESC(my_t, my_fields);
 */
#define PRESTIGE_FIELD(...) PRESTIGE__FIELD_OF_(__VA_ARGS__, )
#define PRESTIGE__FIELD_OF_(T, member, kind, ...)                                                   \
  {.name = #member, PRESTIGE__D_##kind, .offset = offsetof(T, member),                               \
   .size = sizeof(((T *)0)->member) +                                                                \
           0 * sizeof(struct { int member_size_must_match_kind : (sizeof(((T *)0)->member) ==        \
                                                                  sizeof(PRESTIGE__CT_##kind PRESTIGE__SX_##kind)) ? 1 : -1; }), \
   __VA_ARGS__}
#define PRESTIGE_RECORD_DESC(T, fields_array) \
  {.name = #T, .size = sizeof(T), .fields = (fields_array), .n_fields = sizeof(fields_array) / sizeof((fields_array)[0])}

/* ---- operations ------------------------------------------------------------------------ */
/* Checks a descriptor: unique non-empty names, attributes valid for their kinds, member sizes
 * consistent with kinds, partition parameters positive. */
PRESTIGE_API int prestige_record_validate(const prestige_record_desc_t *desc, prestige_error_t *err);

/* The Arrow schema (struct of the fields, in order). Non-optional fields are non-nullable.
 * Each field carries PARQUET:field_id = its 1-based position; record and field attributes are
 * kept in metadata (prestige:table, prestige:namespace, prestige:partition, prestige:sort,
 * prestige:identifier) for the Iceberg layer. */
PRESTIGE_API int prestige_record_schema(const prestige_record_desc_t *desc, struct ArrowSchema *out, prestige_error_t *err);

/* n structs → one record batch. Strings and bytes are copied into the batch. A STRING value that
 * is not UTF-8 (Parquet's STRING promises it) is PRESTIGE_ECORRUPT naming the record index, the
 * field (and list element) and the byte; use BYTES for arbitrary bytes. */
PRESTIGE_API int prestige_record_to_arrow(const prestige_record_desc_t *desc, const void *records, size_t n,
                                          struct ArrowArray *out, prestige_error_t *err);

/* Records converted from Arrow: items is an array of n structs; every string, bytes and list
 * pointer inside them points into memory owned by this container (copied out of the batch, so
 * the batch may be released at once). */
typedef struct prestige_records {
  void *items;
  size_t n;
  void *private_data;
} prestige_records_t;
PRESTIGE_API void prestige_records_release(prestige_records_t *records);

/* A batch (with its schema) → structs, appended to *out (initialise it to {0} first).
 * Columns are matched by name, in any order; extra columns are ignored. A missing column, a
 * type that does not match the field kind, or a nullable column for a non-optional field gives
 * ETYPE naming the column (set allow_nullable to accept nullable columns that hold no nulls). */
#define PRESTIGE_RECORD_READ_OPTIONS_VERSION 1
typedef struct prestige_record_read_options {
  unsigned int version; /* PRESTIGE_RECORD_READ_OPTIONS_VERSION */
  bool allow_nullable;  /* default false */
} prestige_record_read_options_t;
#define PRESTIGE_RECORD_READ_OPTIONS_INIT { .version = PRESTIGE_RECORD_READ_OPTIONS_VERSION, .allow_nullable = false }
/* Same as PRESTIGE_RECORD_READ_OPTIONS_INIT. */
PRESTIGE_API void prestige_record_read_options_init(prestige_record_read_options_t *opts);
PRESTIGE_API int prestige_record_from_arrow(const prestige_record_desc_t *desc, const struct ArrowSchema *schema,
                                            const struct ArrowArray *batch, const prestige_record_read_options_t *opts,
                                            prestige_records_t *out, prestige_error_t *err);

/* An ArrowArrayStream over n structs in batches of batch_rows (0: 8192). The records must
 * outlive the stream. */
PRESTIGE_API int prestige_record_stream(const prestige_record_desc_t *desc, const void *records, size_t n, size_t batch_rows,
                                        struct ArrowArrayStream *out, prestige_error_t *err);

/* Writes n structs to a Parquet file (opts NULL: defaults), through a temporary name renamed
 * into place once the file is complete. */
PRESTIGE_API int prestige_record_write_file(const prestige_record_desc_t *desc, const char *path, const void *records, size_t n,
                                            const prestige_parquet_writer_options_t *opts, prestige_error_t *err);
/* Reads a Parquet file into structs, appended to *out (initialise it to {0}). Only the
 * record's columns are read; see prestige_record_from_arrow for the matching rules. */
PRESTIGE_API int prestige_record_read_file(const prestige_record_desc_t *desc, const char *path,
                                           const prestige_record_read_options_t *opts, prestige_records_t *out, prestige_error_t *err);

#ifdef __cplusplus
}
#endif

#endif /* PRESTIGE_RECORDS_H */
