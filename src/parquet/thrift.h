/*
 * Thrift compact protocol, just what Parquet metadata needs.
 * Writer: appends to a buf_t, tracking the last field id per nesting level (field-id deltas).
 * Reader: a bounds-checked cursor; every length is checked against the bytes left, nesting is
 * limited, unknown fields are skipped.
 */
#ifndef PRESTIGE_PARQUET_THRIFT_H
#define PRESTIGE_PARQUET_THRIFT_H

#include <stdbool.h>
#include <stdint.h>

#include "core/buf.h"
#include "prestige/error.h"

enum {
  TC_STOP = 0,
  TC_TRUE = 1,
  TC_FALSE = 2,
  TC_BYTE = 3,
  TC_I16 = 4,
  TC_I32 = 5,
  TC_I64 = 6,
  TC_DOUBLE = 7,
  TC_BINARY = 8,
  TC_LIST = 9,
  TC_SET = 10,
  TC_MAP = 11,
  TC_STRUCT = 12
};

#define THRIFT_MAX_DEPTH 64

typedef struct thrift_writer {
  buf_t *out;
  int depth;
  int16_t last_fid[THRIFT_MAX_DEPTH];
  int rc; /* sticky: first error (ENOMEM), checked once at the end */
} thrift_writer_t;

void tw_init(thrift_writer_t *w, buf_t *out);
void tw_struct_begin(thrift_writer_t *w);
void tw_struct_end(thrift_writer_t *w); /* writes STOP */
void tw_field(thrift_writer_t *w, int16_t fid, uint8_t type);
void tw_field_bool(thrift_writer_t *w, int16_t fid, bool v);
void tw_field_i32(thrift_writer_t *w, int16_t fid, int32_t v);
void tw_field_i64(thrift_writer_t *w, int16_t fid, int64_t v);
void tw_field_binary(thrift_writer_t *w, int16_t fid, const void *p, size_t n);
void tw_field_string(thrift_writer_t *w, int16_t fid, const char *s);
void tw_field_struct_begin(thrift_writer_t *w, int16_t fid); /* field header + struct_begin */
void tw_field_list_begin(thrift_writer_t *w, int16_t fid, uint8_t elem_type, int64_t n);
/* list elements */
void tw_i32(thrift_writer_t *w, int32_t v);
void tw_i64(thrift_writer_t *w, int64_t v);
void tw_bool(thrift_writer_t *w, bool v);
void tw_binary(thrift_writer_t *w, const void *p, size_t n);

typedef struct thrift_reader {
  const uint8_t *base, *p, *end;
  int depth;
  int16_t last_fid[THRIFT_MAX_DEPTH];
  const char *what; /* what is being decoded, for messages */
  prestige_error_t *err;
} thrift_reader_t;

void tr_init(thrift_reader_t *r, const uint8_t *data, size_t len, const char *what, prestige_error_t *err);
int tr_struct_begin(thrift_reader_t *r);
int tr_struct_end(thrift_reader_t *r);
/* Next field: *type TC_STOP at the end of the struct. Bool fields carry their value in the type
 * (TC_TRUE / TC_FALSE); read it with tr_field_bool_value. */
int tr_field(thrift_reader_t *r, int16_t *fid, uint8_t *type);
int tr_i32(thrift_reader_t *r, int32_t *v);
int tr_i64(thrift_reader_t *r, int64_t *v);
int tr_i16(thrift_reader_t *r, int16_t *v);
int tr_byte(thrift_reader_t *r, int8_t *v);
int tr_double(thrift_reader_t *r, double *v);
int tr_bool_elem(thrift_reader_t *r, bool *v); /* list element */
/* Binary: *p points into the input buffer. */
int tr_binary(thrift_reader_t *r, const uint8_t **p, uint32_t *len);
/* List header; *n is checked against the bytes left (each element takes at least one byte). */
int tr_list_begin(thrift_reader_t *r, uint8_t *elem_type, int32_t *n);
int tr_skip(thrift_reader_t *r, uint8_t type);
/* Reports a type mismatch for field fid of struct sname. */
int tr_bad_type(thrift_reader_t *r, const char *sname, int16_t fid, uint8_t type);
size_t tr_offset(const thrift_reader_t *r);

#endif
