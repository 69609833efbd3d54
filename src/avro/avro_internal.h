/* Internals shared by the avro/ files: the schema object, block codecs, resolution plans. */
#ifndef PRESTIGE_AVRO_INTERNAL_H
#define PRESTIGE_AVRO_INTERNAL_H

#include "avro/avro.h"
#include "core/buf.h"

struct avro_schema {
  arena_t arena; /* nodes, fields, names */
  json_t *json;  /* the whole schema; nodes and fields borrow from it */
  char *text;    /* the JSON text as given (or the compact dump), NUL-terminated */
  size_t text_len;
  avro_node_t *root;
  /* named types: open-addressing table of full names */
  const avro_node_t **named;
  size_t named_cap, n_named;
};

/* Puts a path element ("field 'x'") in front of err's message for the outer AVRO_PATH_DEPTH
 * levels of a value and "..." for the next; deeper levels add nothing, so the fault itself
 * stays in the message. Returns rc (ENOMEM passes through unprefixed). */
#define AVRO_PATH_DEPTH 12
int avro_path_prefix(prestige_error_t *err, int rc, int depth, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* ---- block codecs (codec.c) ---- */
typedef struct avro_codec_ctx avro_codec_ctx_t;
avro_codec_ctx_t *avro_codec_ctx_new(void);
void avro_codec_ctx_free(avro_codec_ctx_t *c);
/* codec from its avro.codec name; EUNSUPPORTED naming it when unknown */
int avro_codec_parse(const uint8_t *name, size_t len, avro_codec_t *out, prestige_error_t *err);
/* Appends the compressed form of src to out. */
int avro_compress(avro_codec_ctx_t *c, avro_codec_t codec, int level, const uint8_t *src, size_t n, buf_t *out,
                  prestige_error_t *err);
/* Replaces out's contents with the decompressed block; ECORRUPT when the data is bad or would
 * exceed cap bytes. */
int avro_decompress(avro_codec_ctx_t *c, avro_codec_t codec, const uint8_t *src, size_t n, size_t cap, buf_t *out,
                    prestige_error_t *err);

/* ---- resolution plans (resolve.c), run by the decoder (reader.c) ---- */
typedef enum {
  OP_NULL,
  OP_BOOLEAN,
  OP_INT,
  OP_LONG,
  OP_FLOAT,
  OP_DOUBLE,
  OP_BYTES, /* bytes or string (either side) */
  OP_FIXED,
  OP_ENUM,
  OP_RECORD,
  OP_ARRAY,
  OP_MAP,
  OP_UNION, /* writer union: branch index, then that branch's plan */
  OP_INT_LONG,
  OP_INT_FLOAT,
  OP_INT_DOUBLE,
  OP_LONG_FLOAT,
  OP_LONG_DOUBLE,
  OP_FLOAT_DOUBLE
} avro_op_t;

typedef struct avro_plan avro_plan_t;

typedef struct avro_step {
  int32_t target;            /* reader field index, or -1 to skip the writer field */
  const avro_plan_t *plan;   /* when target >= 0 */
  const avro_field_t *field; /* the writer's field (skip type, error messages) */
} avro_step_t;

struct avro_plan {
  avro_op_t op;
  int32_t reader_branch;       /* >= 0: the reader type is a union; select this branch */
  const avro_node_t *writer;   /* the writer's type */
  /* OP_RECORD */
  const avro_step_t *steps; /* one per writer field, writer order */
  uint32_t n_steps;
  uint32_t n_fields;          /* reader fields */
  const avro_datum_t *fill;   /* n_fields values to start from when some reader fields are not
                                 in the data (their defaults / nulls); NULL when all are */
  /* OP_ARRAY / OP_MAP */
  const avro_plan_t *item;
  /* OP_UNION: per writer branch, NULL when the reader cannot take it */
  const avro_plan_t *const *branch_plans;
  /* OP_ENUM: writer symbol -> reader symbol (-1: not in the reader and no default) */
  const int32_t *enum_map;
};

/* Compiles the plan reading writer data as reader values (reader == writer for no reader
 * schema). ETYPE names the first field that cannot be reconciled. */
int avro_resolve(arena_t *arena, const avro_node_t *writer, const avro_node_t *reader, const avro_plan_t **out,
                 prestige_error_t *err);

#endif
