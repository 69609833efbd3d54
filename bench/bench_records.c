/* Typed records benchmark: N SensorData structs -> Parquet file -> structs.
 * usage: bench_records N OUT.parquet   (prints one JSON line) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "prestige/core.h"
#include "prestige/records.h"

#define SENSOR_DATA(F) F(timestamp, U64) F(sensor_id, STRING) F(temperature, F32)
PRESTIGE_RECORD(sensor_data, SENSOR_DATA)

int main(int argc, char **argv) {
  size_t n = argc > 1 ? (size_t)atoll(argv[1]) : 10000000;
  const char *path = argc > 2 ? argv[2] : "bench_records.parquet";
  static char ids[1000][16];
  for (int i = 0; i < 1000; i++) snprintf(ids[i], sizeof(ids[i]), "sensor-%04d", i);
  sensor_data_t *rows = malloc(n * sizeof(*rows));
  if (!rows) return 1;
  for (size_t i = 0; i < n; i++)
    rows[i] = (sensor_data_t){1700000000000ULL + i * 10, {ids[(i * 7919) % 1000], 11}, (float)((i * 37) % 4000) / 100.0f};
  prestige_error_t err;
  prestige_parquet_writer_options_t o = PRESTIGE_PARQUET_WRITER_OPTIONS_INIT;
  o.compression = PRESTIGE_COMPRESSION_ZSTD;
  int64_t t0 = prestige_monotonic_ns();
  if (prestige_record_write_file(sensor_data_record(), path, rows, n, &o, &err)) return fprintf(stderr, "%s\n", err.message), 1;
  int64_t t1 = prestige_monotonic_ns();
  prestige_records_t back = {0};
  if (prestige_record_read_file(sensor_data_record(), path, NULL, &back, &err)) return fprintf(stderr, "%s\n", err.message), 1;
  int64_t t2 = prestige_monotonic_ns();
  size_t bad = back.n != n;
  const sensor_data_t *r = back.items;
  for (size_t i = 0; !bad && i < n; i += 9973) bad += r[i].timestamp != rows[i].timestamp;
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  printf("{\"structs\": %zu, \"write_structs_per_s\": %.0f, \"read_structs_per_s\": %.0f, \"peak_rss_mb\": %.0f, \"ok\": %s}\n", n,
         (double)n / ((double)(t1 - t0) / 1e9), (double)n / ((double)(t2 - t1) / 1e9), (double)ru.ru_maxrss / 1024.0,
         bad ? "false" : "true");
  prestige_records_release(&back);
  free(rows);
  return bad ? 1 : 0;
}
