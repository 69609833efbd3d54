#include "parquet/thrift.h"

#include <string.h>

/* ---- writer -------------------------------------------------------------------------------- */
void tw_init(thrift_writer_t *w, buf_t *out) {
  memset(w, 0, sizeof(*w));
  w->out = out;
}

static inline void put_u8(thrift_writer_t *w, uint8_t v) {
  if (buf_append_u8(w->out, v)) w->rc = PRESTIGE_ENOMEM;
}
static inline void put_varint(thrift_writer_t *w, uint64_t v) {
  if (buf_append_uvarint(w->out, v)) w->rc = PRESTIGE_ENOMEM;
}

void tw_struct_begin(thrift_writer_t *w) {
  if (w->depth + 1 >= THRIFT_MAX_DEPTH) {
    w->rc = PRESTIGE_EINTERNAL;
    return;
  }
  w->last_fid[++w->depth] = 0;
}

void tw_struct_end(thrift_writer_t *w) {
  put_u8(w, TC_STOP);
  if (w->depth > 0) w->depth--;
}

void tw_field(thrift_writer_t *w, int16_t fid, uint8_t type) {
  int16_t delta = (int16_t)(fid - w->last_fid[w->depth]);
  if (delta > 0 && delta <= 15) {
    put_u8(w, (uint8_t)(delta << 4 | type));
  } else {
    put_u8(w, type);
    put_varint(w, zigzag_encode64(fid));
  }
  w->last_fid[w->depth] = fid;
}

void tw_field_bool(thrift_writer_t *w, int16_t fid, bool v) { tw_field(w, fid, v ? TC_TRUE : TC_FALSE); }
void tw_field_i32(thrift_writer_t *w, int16_t fid, int32_t v) {
  tw_field(w, fid, TC_I32);
  put_varint(w, zigzag_encode64(v));
}
void tw_field_i64(thrift_writer_t *w, int16_t fid, int64_t v) {
  tw_field(w, fid, TC_I64);
  put_varint(w, zigzag_encode64(v));
}
void tw_field_binary(thrift_writer_t *w, int16_t fid, const void *p, size_t n) {
  tw_field(w, fid, TC_BINARY);
  tw_binary(w, p, n);
}
void tw_field_string(thrift_writer_t *w, int16_t fid, const char *s) { tw_field_binary(w, fid, s, strlen(s)); }
void tw_field_struct_begin(thrift_writer_t *w, int16_t fid) {
  tw_field(w, fid, TC_STRUCT);
  tw_struct_begin(w);
}
void tw_field_list_begin(thrift_writer_t *w, int16_t fid, uint8_t elem_type, int64_t n) {
  tw_field(w, fid, TC_LIST);
  if (n < 15) {
    put_u8(w, (uint8_t)(n << 4 | elem_type));
  } else {
    put_u8(w, (uint8_t)(0xF0 | elem_type));
    put_varint(w, (uint64_t)n);
  }
}
void tw_i32(thrift_writer_t *w, int32_t v) { put_varint(w, zigzag_encode64(v)); }
void tw_i64(thrift_writer_t *w, int64_t v) { put_varint(w, zigzag_encode64(v)); }
void tw_bool(thrift_writer_t *w, bool v) { put_u8(w, v ? TC_TRUE : TC_FALSE); }
void tw_binary(thrift_writer_t *w, const void *p, size_t n) {
  put_varint(w, n);
  if (buf_append(w->out, p, n)) w->rc = PRESTIGE_ENOMEM;
}

/* ---- reader -------------------------------------------------------------------------------- */
void tr_init(thrift_reader_t *r, const uint8_t *data, size_t len, const char *what, prestige_error_t *err) {
  memset(r, 0, sizeof(*r));
  r->base = r->p = data;
  r->end = data + len;
  r->what = what;
  r->err = err;
}

size_t tr_offset(const thrift_reader_t *r) { return (size_t)(r->p - r->base); }

static int tr_fail(thrift_reader_t *r, const char *msg) {
  return prestige_error_set(r->err, PRESTIGE_ECORRUPT, "corrupt %s: %s at byte %zu", r->what, msg, tr_offset(r));
}

static int tr_varint(thrift_reader_t *r, uint64_t *v) {
  uint64_t x = 0;
  for (int shift = 0; shift < 70; shift += 7) {
    if (r->p >= r->end) return tr_fail(r, "truncated varint");
    uint8_t b = *r->p++;
    x |= (uint64_t)(b & 0x7f) << shift;
    if (!(b & 0x80)) {
      *v = x;
      return 0;
    }
  }
  return tr_fail(r, "varint longer than 10 bytes");
}

int tr_struct_begin(thrift_reader_t *r) {
  if (r->depth + 1 >= THRIFT_MAX_DEPTH) return tr_fail(r, "structs nested too deeply");
  r->last_fid[++r->depth] = 0;
  return 0;
}

int tr_struct_end(thrift_reader_t *r) {
  if (r->depth > 0) r->depth--;
  return 0;
}

int tr_field(thrift_reader_t *r, int16_t *fid, uint8_t *type) {
  if (r->p >= r->end) return tr_fail(r, "truncated struct (no STOP)");
  uint8_t b = *r->p++;
  *type = b & 0x0f;
  if (*type == TC_STOP) return 0;
  uint8_t delta = b >> 4;
  if (delta) {
    *fid = (int16_t)(r->last_fid[r->depth] + delta);
  } else {
    uint64_t v;
    PRESTIGE_TRY(tr_varint(r, &v));
    int64_t id = zigzag_decode64(v);
    if (id < INT16_MIN || id > INT16_MAX) return tr_fail(r, "field id out of range");
    *fid = (int16_t)id;
  }
  if (*type > TC_STRUCT) return tr_fail(r, "unknown field type");
  r->last_fid[r->depth] = *fid;
  return 0;
}

int tr_i64(thrift_reader_t *r, int64_t *v) {
  uint64_t u = 0;
  PRESTIGE_TRY(tr_varint(r, &u));
  *v = zigzag_decode64(u);
  return 0;
}

int tr_i32(thrift_reader_t *r, int32_t *v) {
  int64_t x;
  PRESTIGE_TRY(tr_i64(r, &x));
  if (x < INT32_MIN || x > INT32_MAX) return tr_fail(r, "i32 out of range");
  *v = (int32_t)x;
  return 0;
}

int tr_i16(thrift_reader_t *r, int16_t *v) {
  int64_t x;
  PRESTIGE_TRY(tr_i64(r, &x));
  if (x < INT16_MIN || x > INT16_MAX) return tr_fail(r, "i16 out of range");
  *v = (int16_t)x;
  return 0;
}

int tr_byte(thrift_reader_t *r, int8_t *v) {
  if (r->p >= r->end) return tr_fail(r, "truncated byte");
  *v = (int8_t)*r->p++;
  return 0;
}

int tr_double(thrift_reader_t *r, double *v) {
  if (r->end - r->p < 8) return tr_fail(r, "truncated double");
  memcpy(v, r->p, 8);
  r->p += 8;
  return 0;
}

int tr_bool_elem(thrift_reader_t *r, bool *v) {
  if (r->p >= r->end) return tr_fail(r, "truncated bool");
  *v = *r->p++ == TC_TRUE;
  return 0;
}

int tr_binary(thrift_reader_t *r, const uint8_t **p, uint32_t *len) {
  uint64_t n = 0;
  PRESTIGE_TRY(tr_varint(r, &n));
  if (n > (uint64_t)(r->end - r->p)) return tr_fail(r, "binary length past the end of the data");
  *p = r->p;
  *len = (uint32_t)n;
  r->p += n;
  return 0;
}

int tr_list_begin(thrift_reader_t *r, uint8_t *elem_type, int32_t *n) {
  if (r->p >= r->end) return tr_fail(r, "truncated list header");
  uint8_t b = *r->p++;
  *elem_type = b & 0x0f;
  uint64_t size = b >> 4;
  if (size == 15) PRESTIGE_TRY(tr_varint(r, &size));
  if (size > (uint64_t)(r->end - r->p) || size > INT32_MAX) return tr_fail(r, "list longer than the data left");
  *n = (int32_t)size;
  return 0;
}

int tr_skip(thrift_reader_t *r, uint8_t type) {
  uint64_t u;
  switch (type) {
    case TC_TRUE: case TC_FALSE: return 0;
    case TC_BYTE:
      if (r->p >= r->end) return tr_fail(r, "truncated byte");
      r->p++;
      return 0;
    case TC_I16: case TC_I32: case TC_I64: return tr_varint(r, &u);
    case TC_DOUBLE:
      if (r->end - r->p < 8) return tr_fail(r, "truncated double");
      r->p += 8;
      return 0;
    case TC_BINARY: {
      const uint8_t *p;
      uint32_t n;
      return tr_binary(r, &p, &n);
    }
    case TC_LIST: case TC_SET: {
      uint8_t et;
      int32_t n;
      PRESTIGE_TRY(tr_list_begin(r, &et, &n));
      if (r->depth + 1 >= THRIFT_MAX_DEPTH) return tr_fail(r, "nested too deeply");
      r->depth++;
      r->last_fid[r->depth] = 0;
      for (int32_t i = 0; i < n; i++) {
        int rc = (et == TC_TRUE || et == TC_FALSE) ? (r->p < r->end ? (r->p++, 0) : tr_fail(r, "truncated bool"))
                                                   : tr_skip(r, et);
        if (rc) return rc;
      }
      r->depth--;
      return 0;
    }
    case TC_MAP: {
      PRESTIGE_TRY(tr_varint(r, &u));
      if (u == 0) return 0;
      if (u > (uint64_t)(r->end - r->p)) return tr_fail(r, "map longer than the data left");
      if (r->p >= r->end) return tr_fail(r, "truncated map");
      uint8_t kv = *r->p++;
      r->depth++;
      for (uint64_t i = 0; i < u; i++) {
        PRESTIGE_TRY(tr_skip(r, kv >> 4));
        PRESTIGE_TRY(tr_skip(r, kv & 0xf));
      }
      r->depth--;
      return 0;
    }
    case TC_STRUCT: {
      PRESTIGE_TRY(tr_struct_begin(r));
      for (;;) {
        int16_t fid;
        uint8_t t;
        PRESTIGE_TRY(tr_field(r, &fid, &t));
        if (t == TC_STOP) break;
        PRESTIGE_TRY(tr_skip(r, t));
      }
      return tr_struct_end(r);
    }
    default: return tr_fail(r, "unknown type to skip");
  }
}

int tr_bad_type(thrift_reader_t *r, const char *sname, int16_t fid, uint8_t type) {
  return prestige_error_set(r->err, PRESTIGE_ECORRUPT, "corrupt %s: %s field %d has wire type %d at byte %zu", r->what,
                            sname, fid, type, tr_offset(r));
}
