/*
 * ARROW:schema — the Arrow schema as Arrow C++ stores it in Parquet key-value metadata: an
 * Arrow IPC Schema message (flatbuffer, format/Schema.fbs and Message.fbs) framed with the
 * 0xFFFFFFFF continuation marker and an int32 length, then base64-encoded.
 */
#ifndef PRESTIGE_ARROW_IPC_SCHEMA_H
#define PRESTIGE_ARROW_IPC_SCHEMA_H

#include "core/buf.h"
#include "prestige/arrow.h"

/* Appends the base64 text (no NUL) for schema (a struct schema) to out. */
int arrow_ipc_schema_encode(const struct ArrowSchema *schema, buf_t *out, prestige_error_t *err);
/* Parses such a value (also the legacy framing without the continuation marker). */
int arrow_ipc_schema_decode(const char *base64, size_t len, struct ArrowSchema *out, prestige_error_t *err);

/* Raw message (framed flatbuffer) <-> schema, for tests and IPC streams. */
int arrow_ipc_schema_message(const struct ArrowSchema *schema, buf_t *out, prestige_error_t *err);
int arrow_ipc_schema_parse_message(const uint8_t *data, size_t len, struct ArrowSchema *out, prestige_error_t *err);

#endif
