/* Scans every file under a store prefix through the file source, touching every value of the
 * SensorData columns. usage: bench_source STORE_URL PREFIX ordered|unordered [THREADS]
 *   -> "rows seconds ..." (THREADS: each file reader's decoding threads, default 1) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <prestige/prestige.h>

int main(int argc, char **argv) {
  if (argc < 4) return 2;
  prestige_error_t err;
  prestige_store_t *st;
  if (prestige_store_open(&st, argv[1], NULL, &err)) {
    fprintf(stderr, "%s\n", err.message);
    return 1;
  }
  int64_t t0 = prestige_monotonic_ns();
  prestige_file_meta_t *files;
  size_t n;
  if (prestige_list_files(st, argv[2], INT64_MIN, INT64_MAX, &files, &n, &err)) {
    fprintf(stderr, "%s\n", err.message);
    return 1;
  }
  prestige_source_options_t o = PRESTIGE_SOURCE_OPTIONS_INIT;
  o.unordered = !strcmp(argv[3], "unordered");
  if (argc > 4) o.threads = atoi(argv[4]);
  struct ArrowArrayStream s;
  if (prestige_source_s3_files(&s, st, files, n, &o, &err)) {
    fprintf(stderr, "%s\n", err.message);
    return 1;
  }
  int64_t rows = 0;
  uint64_t tsum = 0, lsum = 0;
  double fsum = 0;
  struct ArrowArray b;
  while (s.get_next(&s, &b) == 0 && b.release) {
    const struct ArrowArray *ts = b.children[0], *id = b.children[1], *t = b.children[2];
    const uint64_t *tv = (const uint64_t *)ts->buffers[1] + b.offset + ts->offset;
    const int32_t *off = (const int32_t *)id->buffers[1] + b.offset + id->offset;
    const float *fv = (const float *)t->buffers[1] + b.offset + t->offset;
    for (int64_t i = 0; i < b.length; i++) {
      tsum += tv[i];
      lsum += (uint64_t)(off[i + 1] - off[i]);
      fsum += fv[i];
    }
    rows += b.length;
    b.release(&b);
  }
  if (*s.get_last_error(&s)) fprintf(stderr, "%s\n", s.get_last_error(&s));
  s.release(&s);
  double secs = (double)(prestige_monotonic_ns() - t0) / 1e9;
  printf("%lld %.3f %llu %llu %.1f\n", (long long)rows, secs, (unsigned long long)tsum, (unsigned long long)lsum, fsum);
  prestige_file_metas_free(files, n);
  prestige_store_free(st);
  return 0;
}
