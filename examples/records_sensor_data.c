/*
 * The reference's SensorData record, described once, written to Parquet and read back.
 *
 *   #[prestige::prestige_schema]
 *   struct SensorData { timestamp: u64, sensor_id: String, temperature: f32 }
 *
 * usage: records_sensor_data [OUT.parquet]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <prestige/prestige.h>

#define SENSOR_DATA(F)   \
  F(timestamp, U64)      \
  F(sensor_id, STRING)   \
  F(temperature, F32)
PRESTIGE_RECORD(sensor_data, SENSOR_DATA)

int main(int argc, char **argv) {
  const char *path = argc > 1 ? argv[1] : "sensor_data.parquet";
  enum { N = 100000 };
  static char ids[1000][16];
  for (int i = 0; i < 1000; i++) snprintf(ids[i], sizeof(ids[i]), "sensor-%03d", i);
  sensor_data_t *rows = calloc(N, sizeof(*rows));
  if (!rows) return 1;
  for (int i = 0; i < N; i++) {
    const char *id = ids[(i * 7919) % 1000];
    rows[i] = (sensor_data_t){.timestamp = 1700000000000ULL + (uint64_t)i * 10,
                              .sensor_id = {id, strlen(id)},
                              .temperature = 15.0f + (float)(i % 200) / 10.0f};
  }
  prestige_error_t err;
  prestige_parquet_writer_options_t o = PRESTIGE_PARQUET_WRITER_OPTIONS_INIT;
  o.compression = PRESTIGE_COMPRESSION_ZSTD;
  if (prestige_record_write_file(sensor_data_record(), path, rows, N, &o, &err)) {
    fprintf(stderr, "write: %s\n", err.message);
    return 1;
  }
  prestige_records_t back = {0};
  if (prestige_record_read_file(sensor_data_record(), path, NULL, &back, &err)) {
    fprintf(stderr, "read: %s\n", err.message);
    return 1;
  }
  const sensor_data_t *r = back.items;
  size_t diff = back.n == N ? 0 : 1;
  for (size_t i = 0; i < back.n && i < N; i++)
    diff += r[i].timestamp != rows[i].timestamp || r[i].temperature != rows[i].temperature ||
            r[i].sensor_id.len != rows[i].sensor_id.len || memcmp(r[i].sensor_id.ptr, rows[i].sensor_id.ptr, r[i].sensor_id.len);
  printf("wrote and read back %zu SensorData records from %s; first: {timestamp: %llu, sensor_id: \"%s\", temperature: %.1f}; %zu differences\n",
         back.n, path, (unsigned long long)r[0].timestamp, r[0].sensor_id.ptr, r[0].temperature, diff);
  prestige_records_release(&back);
  free(rows);
  return diff ? 1 : 0;
}
