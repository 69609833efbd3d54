/*
 * The reference's MyData record: optional fields and the three byte representations.
 *
 *   struct MyData {
 *     id: u64, name: String, value: f64, optional_field: Option<i32>,
 *     raw_bytes: [u8; 16],                       // List(UInt8)
 *     #[prestige(as_binary)] binary_data: [u8; 16], // FixedSizeBinary(16)
 *     #[prestige(as_binary)] payload: Vec<u8>,   // Binary
 *   }
 *
 * usage: records_my_data [OUT.parquet]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <prestige/prestige.h>

#define MY_DATA(F)                                                  \
  F(id, U64)                                                        \
  F(name, STRING)                                                   \
  F(value, F64)                                                     \
  F(optional_field, OPTIONAL(I32))                                  \
  F(raw_bytes, FIXED_BYTES(16))                                     \
  F(binary_data, FIXED_BYTES(16), .flags = PRESTIGE_AS_BINARY)      \
  F(payload, BYTES, .flags = PRESTIGE_AS_BINARY)
PRESTIGE_RECORD(my_data, MY_DATA)

int main(int argc, char **argv) {
  const char *path = argc > 1 ? argv[1] : "my_data.parquet";
  enum { N = 1000 };
  my_data_t rows[N];
  static uint8_t payload[64];
  for (int i = 0; i < 64; i++) payload[i] = (uint8_t)(i * 3);
  static char names[N][16];
  for (int i = 0; i < N; i++) {
    snprintf(names[i], sizeof(names[i]), "item-%d", i);
    memset(&rows[i], 0, sizeof(rows[i]));
    rows[i].id = (uint64_t)i;
    rows[i].name = (prestige_str_t){names[i], strlen(names[i])};
    rows[i].value = i * 1.25;
    rows[i].optional_field.present = i % 3 != 0;
    rows[i].optional_field.value = -i;
    for (int k = 0; k < 16; k++) rows[i].raw_bytes[k] = (uint8_t)(i + k), rows[i].binary_data[k] = (uint8_t)(255 - k);
    rows[i].payload = (prestige_bytes_t){payload, (size_t)(i % 65)};
  }
  prestige_error_t err;
  if (prestige_record_write_file(my_data_record(), path, rows, N, NULL, &err)) {
    fprintf(stderr, "write: %s\n", err.message);
    return 1;
  }
  struct ArrowSchema schema;
  prestige_record_schema(my_data_record(), &schema, &err);
  printf("Arrow schema:");
  for (int64_t i = 0; i < schema.n_children; i++)
    printf(" %s:%s%s", schema.children[i]->name, schema.children[i]->format,
           schema.children[i]->n_children ? "<C>" : "");
  printf("\n");
  prestige_schema_release(&schema);
  prestige_records_t back = {0};
  if (prestige_record_read_file(my_data_record(), path, NULL, &back, &err)) {
    fprintf(stderr, "read: %s\n", err.message);
    return 1;
  }
  const my_data_t *r = back.items;
  size_t diff = back.n == N ? 0 : 1, nulls = 0;
  for (size_t i = 0; i < back.n && i < N; i++) {
    diff += r[i].id != rows[i].id || r[i].value != rows[i].value || strcmp(r[i].name.ptr, rows[i].name.ptr) ||
            r[i].optional_field.present != rows[i].optional_field.present ||
            (r[i].optional_field.present && r[i].optional_field.value != rows[i].optional_field.value) ||
            memcmp(r[i].raw_bytes, rows[i].raw_bytes, 16) || memcmp(r[i].binary_data, rows[i].binary_data, 16) ||
            r[i].payload.len != rows[i].payload.len || memcmp(r[i].payload.ptr, rows[i].payload.ptr, r[i].payload.len);
    nulls += !r[i].optional_field.present;
  }
  printf("wrote and read back %zu MyData records from %s (%zu without optional_field); %zu differences\n", back.n, path,
         nulls, diff);
  prestige_records_release(&back);
  return diff ? 1 : 0;
}
