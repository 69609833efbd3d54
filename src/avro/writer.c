/* Avro object container writer (spec "Object Container Files"): header = magic "Obj\1", the
 * metadata map (avro.schema, avro.codec, then the caller's keys), a 16-byte sync marker; then
 * blocks of (record count, byte size, records encoded with the binary encoding and compressed,
 * sync marker). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "avro/avro_internal.h"

struct avro_writer {
  const avro_schema_t *schema;
  prestige_output_t out;
  avro_codec_t codec;
  int level;
  size_t block_bytes;
  uint32_t block_records;
  uint8_t sync[16];
  buf_t block;      /* encoded records of the current block */
  buf_t packed;     /* the block as written: header, compressed records, sync */
  uint64_t pending; /* records in block */
  uint64_t records; /* appended in all */
  avro_codec_ctx_t *codec_ctx;
  bool failed; /* the output is unusable after a failed write */
};

static inline int put_long(buf_t *b, int64_t v) { return buf_append_uvarint(b, zigzag_encode64(v)); }

static size_t varint_to(uint8_t *p, int64_t v) {
  uint64_t u = zigzag_encode64(v);
  size_t n = 0;
  while (u >= 0x80) {
    p[n++] = (uint8_t)(u | 0x80);
    u >>= 7;
  }
  p[n++] = (uint8_t)u;
  return n;
}

static int put_bytes(buf_t *b, const void *p, size_t n) {
  if (put_long(b, (int64_t)n) || buf_append(b, p, n)) return PRESTIGE_ENOMEM;
  return 0;
}

/* ---- binary encoding of one datum against its (writer) schema node ---- */

static int encode(buf_t *b, const avro_node_t *t, const avro_datum_t *d, int depth, prestige_error_t *err);

static int encode_record(buf_t *b, const avro_node_t *t, const avro_datum_t *d, int depth, prestige_error_t *err) {
  if (t->n_fields && !d->v.items) return prestige_error_set(err, PRESTIGE_EINVAL, "record %s has no field values", t->name);
  for (uint32_t i = 0; i < t->n_fields; i++) {
    int rc = encode(b, t->fields[i].type, &d->v.items[i], depth + 1, err);
    if (rc) return avro_path_prefix(err, rc, depth, "field '%s'", t->fields[i].name);
  }
  return 0;
}

static int encode(buf_t *b, const avro_node_t *t, const avro_datum_t *d, int depth, prestige_error_t *err) {
  if (depth > AVRO_MAX_DEPTH)
    return prestige_error_set(err, PRESTIGE_EINVAL, "value nested deeper than %d levels", AVRO_MAX_DEPTH);
  int rc = 0;
  switch (t->type) {
    case AVRO_NULL: return 0;
    case AVRO_BOOLEAN: rc = buf_append_u8(b, d->v.boolean ? 1 : 0); break;
    case AVRO_INT: rc = put_long(b, d->v.i32); break;
    case AVRO_LONG: rc = put_long(b, d->v.i64); break;
    case AVRO_FLOAT: rc = buf_append(b, &d->v.f32, 4); break; /* little-endian IEEE 754 */
    case AVRO_DOUBLE: rc = buf_append(b, &d->v.f64, 8); break;
    case AVRO_BYTES:
    case AVRO_STRING:
      if (d->len && !d->v.bytes)
        return prestige_error_set(err, PRESTIGE_EINVAL, "%s of %u bytes has no data", avro_type_name(t->type), d->len);
      rc = put_bytes(b, d->v.bytes, d->len);
      break;
    case AVRO_FIXED:
      if (d->len != t->size)
        return prestige_error_set(err, PRESTIGE_EINVAL, "fixed %s holds %u bytes, not %u", t->name, t->size, d->len);
      if (d->len && !d->v.bytes) return prestige_error_set(err, PRESTIGE_EINVAL, "fixed %s has no data", t->name);
      rc = buf_append(b, d->v.bytes, d->len);
      break;
    case AVRO_ENUM:
      if (d->v.i32 < 0 || (uint32_t)d->v.i32 >= t->n_symbols)
        return prestige_error_set(err, PRESTIGE_EINVAL, "enum %s has no symbol %d", t->name, d->v.i32);
      rc = put_long(b, d->v.i32);
      break;
    case AVRO_RECORD: return encode_record(b, t, d, depth, err);
    case AVRO_ARRAY:
    case AVRO_MAP: {
      /* one block of len items, then the terminating 0 (what Java's GenericDatumWriter does) */
      if (d->len && !d->v.items)
        return prestige_error_set(err, PRESTIGE_EINVAL, "%s of %u items has no items", avro_type_name(t->type), d->len);
      if (d->len && put_long(b, d->len)) return PRESTIGE_ENOMEM;
      for (uint32_t i = 0; i < d->len; i++) {
        if (t->type == AVRO_ARRAY) {
          rc = encode(b, t->items, &d->v.items[i], depth + 1, err);
        } else {
          const avro_datum_t *k = &d->v.items[2 * i];
          if (k->len && !k->v.bytes) return prestige_error_set(err, PRESTIGE_EINVAL, "map key %u has no data", i);
          if (put_bytes(b, k->v.bytes, k->len)) return PRESTIGE_ENOMEM;
          rc = encode(b, t->values, &d->v.items[2 * i + 1], depth + 1, err);
        }
        if (rc) return avro_path_prefix(err, rc, depth, "%s %u", t->type == AVRO_ARRAY ? "item" : "map value", i);
      }
      rc = buf_append_u8(b, 0);
      break;
    }
    case AVRO_UNION: {
      if (d->branch < 0 || (uint32_t)d->branch >= t->n_branches)
        return prestige_error_set(err, PRESTIGE_EINVAL, "union has no branch %d (it has %u)", d->branch, t->n_branches);
      if (put_long(b, d->branch)) return PRESTIGE_ENOMEM;
      return encode(b, t->branches[d->branch], d, depth + 1, err);
    }
  }
  return rc ? prestige_error_set(err, PRESTIGE_ENOMEM, "Avro writer: out of memory") : 0;
}

/* ---- the container ---- */

static int out_write(avro_writer_t *w, const void *p, size_t n, prestige_error_t *err) {
  int rc = w->out.write(w->out.ctx, p, n, err);
  if (rc) {
    w->failed = true;
    return prestige_error_prefix(err, "%s", w->out.name ? w->out.name : "Avro output");
  }
  return 0;
}

static void random_sync(uint8_t sync[16]) {
  if (getrandom(sync, 16, 0) == 16) return;
  /* no entropy source: mix the clock and an address (the marker only has to be unlikely to
   * occur in the data) */
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  uint64_t x = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 30) ^ (uint64_t)(uintptr_t)sync;
  for (int i = 0; i < 16; i++) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    sync[i] = (uint8_t)(x >> 24);
  }
}

static int check_options(const avro_writer_options_t *o, prestige_error_t *err) {
  if ((unsigned)o->codec > AVRO_CODEC_ZSTANDARD)
    return prestige_error_set(err, PRESTIGE_EINVAL, "Avro writer: codec %d is not a codec", (int)o->codec);
  if (o->level != AVRO_LEVEL_DEFAULT) {
    if (o->codec == AVRO_CODEC_DEFLATE && (o->level < 0 || o->level > 9))
      return prestige_error_set(err, PRESTIGE_EINVAL, "Avro writer: deflate level %d is not in 0..9", o->level);
    if (o->codec == AVRO_CODEC_ZSTANDARD && (o->level < 1 || o->level > 22))
      return prestige_error_set(err, PRESTIGE_EINVAL, "Avro writer: zstandard level %d is not in 1..22", o->level);
  }
  if (o->block_bytes == 0 || o->block_bytes > ((size_t)1 << 30))
    return prestige_error_set(err, PRESTIGE_EINVAL, "Avro writer: block_bytes %zu is not in 1..1 GiB", o->block_bytes);
  if (o->n_meta && !o->meta) return prestige_error_set(err, PRESTIGE_EINVAL, "Avro writer: n_meta is set but meta is NULL");
  for (size_t i = 0; i < o->n_meta; i++) {
    const char *k = o->meta[i].key;
    if (!k || !*k) return prestige_error_set(err, PRESTIGE_EINVAL, "Avro writer: metadata entry %zu has no key", i);
    if (strncmp(k, "avro.", 5) == 0)
      return prestige_error_set(err, PRESTIGE_EINVAL, "Avro writer: metadata key '%s' is reserved (avro.*)", k);
    if (o->meta[i].len && !o->meta[i].value)
      return prestige_error_set(err, PRESTIGE_EINVAL, "Avro writer: metadata '%s' has no value", k);
    for (size_t j = 0; j < i; j++)
      if (strcmp(o->meta[j].key, k) == 0)
        return prestige_error_set(err, PRESTIGE_EINVAL, "Avro writer: metadata key '%s' given twice", k);
  }
  return 0;
}

static int write_header(avro_writer_t *w, const avro_writer_options_t *o, prestige_error_t *err) {
  buf_t *h = &w->packed;
  buf_clear(h);
  size_t schema_len;
  const char *schema = avro_schema_text(w->schema, &schema_len);
  const char *codec = avro_codec_name(w->codec);
  int rc = buf_append(h, "Obj\x01", 4);
  rc = rc || put_long(h, (int64_t)(2 + o->n_meta));
  rc = rc || put_bytes(h, "avro.schema", 11) || put_bytes(h, schema, schema_len);
  rc = rc || put_bytes(h, "avro.codec", 10) || put_bytes(h, codec, strlen(codec));
  for (size_t i = 0; i < o->n_meta && !rc; i++)
    rc = put_bytes(h, o->meta[i].key, strlen(o->meta[i].key)) || put_bytes(h, o->meta[i].value, o->meta[i].len);
  rc = rc || buf_append_u8(h, 0) || buf_append(h, w->sync, 16);
  if (rc) return prestige_error_set(err, PRESTIGE_ENOMEM, "Avro writer: out of memory");
  return out_write(w, h->data, h->len, err);
}

int avro_writer_open(avro_writer_t **out, const avro_schema_t *schema, prestige_output_t output,
                     const avro_writer_options_t *opts, prestige_error_t *err) {
  prestige_error_t local_err;
  if (!err) err = &local_err;
  *out = NULL;
  avro_writer_options_t defaults = AVRO_WRITER_OPTIONS_INIT;
  const avro_writer_options_t *o = opts ? opts : &defaults;
  int rc = check_options(o, err);
  avro_writer_t *w = rc ? NULL : calloc(1, sizeof(*w));
  if (!rc && !w) rc = prestige_error_set(err, PRESTIGE_ENOMEM, "Avro writer: out of memory");
  if (rc) {
    output.abort(output.ctx);
    return rc;
  }
  w->schema = schema;
  w->out = output;
  w->codec = o->codec;
  w->level = o->level;
  w->block_bytes = o->block_bytes;
  w->block_records = o->block_records;
  if (o->sync)
    memcpy(w->sync, o->sync, 16);
  else
    random_sync(w->sync);
  if (!(w->codec_ctx = avro_codec_ctx_new())) {
    avro_writer_abort(w);
    return prestige_error_set(err, PRESTIGE_ENOMEM, "Avro writer: out of memory");
  }
  if ((rc = write_header(w, o, err)) != 0) {
    avro_writer_abort(w);
    return rc;
  }
  *out = w;
  return 0;
}

int avro_writer_flush(avro_writer_t *w, prestige_error_t *err) {
  prestige_error_t local_err;
  if (!err) err = &local_err;
  if (w->failed) return prestige_error_set(err, PRESTIGE_EIO, "%s: an earlier write failed", w->out.name ? w->out.name : "Avro output");
  if (w->pending == 0) return 0;
  buf_t *p = &w->packed;
  buf_clear(p);
  /* the byte size precedes the data, so compress into the tail and put the header in front */
  uint8_t head[20];
  size_t hl = varint_to(head, (int64_t)w->pending);
  PRESTIGE_TRY(avro_compress(w->codec_ctx, w->codec, w->level, w->block.data, w->block.len, p, err));
  hl += varint_to(head + hl, (int64_t)p->len);
  PRESTIGE_TRY(out_write(w, head, hl, err));
  PRESTIGE_TRY(out_write(w, p->data, p->len, err));
  PRESTIGE_TRY(out_write(w, w->sync, 16, err));
  buf_clear(&w->block);
  w->pending = 0;
  return 0;
}

int avro_writer_append(avro_writer_t *w, const avro_datum_t *record, prestige_error_t *err) {
  prestige_error_t local_err;
  if (!err) err = &local_err;
  if (w->failed) return prestige_error_set(err, PRESTIGE_EIO, "%s: an earlier write failed", w->out.name ? w->out.name : "Avro output");
  size_t mark = w->block.len;
  int rc = encode(&w->block, avro_schema_root(w->schema), record, 0, err);
  if (rc) {
    w->block.len = mark; /* the record is not written; the writer stays usable */
    if (rc == PRESTIGE_ENOMEM) return prestige_error_set(err, rc, "Avro writer: out of memory encoding record %llu",
                                                         (unsigned long long)w->records);
    return prestige_error_prefix(err, "Avro writer: record %llu", (unsigned long long)w->records);
  }
  w->pending++;
  w->records++;
  if (w->block.len >= w->block_bytes || (w->block_records && w->pending >= w->block_records))
    return avro_writer_flush(w, err);
  return 0;
}

uint64_t avro_writer_records(const avro_writer_t *w) { return w->records; }

static void writer_free(avro_writer_t *w) {
  buf_release(&w->block);
  buf_release(&w->packed);
  avro_codec_ctx_free(w->codec_ctx);
  free(w);
}

int avro_writer_close(avro_writer_t *w, uint64_t *size, prestige_error_t *err) {
  prestige_error_t local_err;
  if (!err) err = &local_err;
  int rc = avro_writer_flush(w, err);
  if (rc) {
    avro_writer_abort(w);
    return rc;
  }
  uint64_t n = w->out.tell(w->out.ctx);
  rc = w->out.close(w->out.ctx, err);
  writer_free(w);
  if (rc) return rc;
  if (size) *size = n;
  return 0;
}

void avro_writer_abort(avro_writer_t *w) {
  if (!w) return;
  w->out.abort(w->out.ctx);
  writer_free(w);
}
