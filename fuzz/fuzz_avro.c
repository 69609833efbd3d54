/* libFuzzer target: any bytes as an Avro object container file, every record decoded (block by
 * block); inputs whose size is odd are read again record by record with retain and through a
 * reader schema (Iceberg manifest entries, evolved: fields renamed, dropped, added, promoted),
 * which exercises resolution plans, skipping and defaults. Seeds: tests/avro/seeds/. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "avro/avro.h"

static const char *READER_SCHEMA =
    "{\"type\":\"record\",\"name\":\"manifest_entry\",\"fields\":["
    "{\"name\":\"state\",\"type\":\"long\",\"field-id\":0},"
    "{\"name\":\"snapshot_id\",\"type\":[\"null\",\"long\"],\"default\":null,\"field-id\":1},"
    "{\"name\":\"added_later\",\"type\":[\"null\",\"string\"],\"default\":null,\"field-id\":77},"
    "{\"name\":\"data_file\",\"type\":{\"type\":\"record\",\"name\":\"r2\",\"fields\":["
    "{\"name\":\"path\",\"type\":\"bytes\",\"field-id\":100},"
    "{\"name\":\"record_count\",\"type\":\"double\",\"field-id\":103},"
    "{\"name\":\"value_counts\",\"type\":[\"null\",{\"type\":\"array\",\"items\":{\"type\":\"record\",\"name\":\"k119_v120\","
    "\"fields\":[{\"name\":\"key\",\"type\":\"long\",\"field-id\":119},{\"name\":\"value\",\"type\":\"long\",\"field-id\":120}]},"
    "\"logicalType\":\"map\"}],\"default\":null,\"field-id\":109},"
    "{\"name\":\"sort_order_id\",\"type\":[\"null\",\"long\"],\"default\":null,\"field-id\":140},"
    "{\"name\":\"spec_id\",\"type\":\"int\",\"default\":0,\"field-id\":141}]},\"field-id\":2}]}";

static void drain_blocks(avro_reader_t *r) {
  prestige_error_t err;
  for (int i = 0; i < 100000; i++) {
    const avro_datum_t *recs;
    size_t n;
    if (avro_reader_next_block(r, &recs, &n, &err) || n == 0) break;
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  prestige_error_t err;
  avro_reader_options_t o = AVRO_READER_OPTIONS_INIT;
  o.max_block_bytes = 8 << 20; /* within the fuzzer's memory limit */
  o.max_memory = 64 << 20;
  avro_reader_t *r;
  if (avro_reader_open_memory(&r, data, size, "fuzz", &o, &err) == 0) {
    drain_blocks(r);
    avro_reader_close(r);
  }
  if (!(size & 1)) return 0;
  static avro_schema_t *reader_schema;
  if (!reader_schema && avro_schema_parse(&reader_schema, READER_SCHEMA, strlen(READER_SCHEMA), &err)) return 0;
  o.reader_schema = reader_schema;
  o.retain = true;
  if (avro_reader_open_memory(&r, data, size, "fuzz", &o, &err) == 0) {
    for (int i = 0; i < 100000; i++) {
      const avro_datum_t *rec;
      if (avro_reader_next(r, &rec, &err) || !rec) break;
    }
    avro_reader_close(r);
  }
  return 0;
}
