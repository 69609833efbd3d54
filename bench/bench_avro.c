/* Avro manifest benchmark: N Iceberg manifest entries (tests/avro/schemas/manifest_entry.avsc:
 * 5 top-level fields, a 16-field data_file with a 6-field partition and six maps-as-arrays of
 * 10 columns each, then with only the three count maps filled) written and read back, for
 * each write codec. Reading decodes every value
 * (next_block); a second read goes through a reader schema that drops the bounds maps (the
 * resolution path a scan planner uses). Prints one JSON line per codec.
 * Rates are per CPU second of the benchmark thread.
 * usage: bench_avro [N]   (run from the project root) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "avro/avro.h"

static char *slurp(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *t = malloc((size_t)n + 1);
  if (fread(t, 1, (size_t)n, f) != (size_t)n) n = 0;
  t[n] = '\0';
  fclose(f);
  return t;
}

#define NCOLS 10

/* A data-file entry as an Iceberg append writes it. */
static void build_entry(arena_t *a, const avro_node_t *root, avro_datum_t *e, size_t i, const char *paths, int maps) {
  avro_datum_record(a, e, root);
  avro_datum_t *f = e->v.items;
  f[0].v.i32 = 1;                                         /* status ADDED */
  avro_set_some(&f[1], root->fields[1].type)->v.i64 = 4893485729384752LL; /* snapshot_id */
  const avro_node_t *df_t = root->fields[4].type;
  avro_datum_t *df = &f[4];
  avro_datum_record(a, df, df_t);
  avro_datum_t *d = df->v.items;
  d[0].v.i32 = 0;
  avro_set_bytes(&d[1], paths + (i % 1000) * 128, 120);
  avro_set_string(&d[2], "PARQUET");
  const avro_node_t *part_t = df_t->fields[3].type;
  avro_datum_record(a, &d[3], part_t);
  avro_set_some(&d[3].v.items[0], part_t->fields[0].type)->v.i32 = 19700 + (int32_t)(i % 365);
  avro_set_some(&d[3].v.items[1], part_t->fields[1].type)->v.i32 = (int32_t)(i % 16);
  d[4].v.i64 = 100000 + (int64_t)i;
  d[5].v.i64 = 5000000 + (int64_t)i * 3;
  for (int m = 6; m < 6 + maps; m++) { /* column_sizes .. upper_bounds */
    const avro_node_t *arr_t = avro_node_nonnull(df_t->fields[m].type);
    avro_datum_t *items;
    avro_datum_array(a, avro_set_some(&d[m], df_t->fields[m].type), NCOLS, &items);
    for (int c = 0; c < NCOLS; c++) {
      avro_datum_record(a, &items[c], arr_t->items);
      items[c].v.items[0].v.i32 = c + 1;
      if (m < 10) {
        items[c].v.items[1].v.i64 = (int64_t)(i * 31 + (size_t)c * 1000);
      } else {
        uint64_t *bound = arena_alloc(a, 8);
        *bound = i * 7 + (size_t)c;
        avro_set_bytes(&items[c].v.items[1], bound, 8);
      }
    }
  }
  avro_datum_t *splits;
  avro_datum_array(a, avro_set_some(&d[13], df_t->fields[13].type), 1, &splits);
  splits[0].v.i64 = 4;
  avro_set_some(&d[15], df_t->fields[15].type)->v.i32 = 0;
}

static double per_s(size_t n, int64_t ns) { return (double)n / ((double)ns / 1e9); }

/* CPU time of this thread: these machines are shared, so wall time says more about the
 * neighbours than about the codec */
static int64_t cpu_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

int main(int argc, char **argv) {
  size_t n = argc > 1 ? (size_t)atoll(argv[1]) : 100000;
  char *text = slurp("tests/avro/schemas/manifest_entry.avsc");
  if (!text) return fprintf(stderr, "run from the project root\n"), 1;
  prestige_error_t err;
  avro_schema_t *s, *rs;
  if (avro_schema_parse(&s, text, strlen(text), &err)) return fprintf(stderr, "%s\n", err.message), 1;
  /* the reader schema: the same without lower/upper bounds (a planner that reads counts only) */
  json_t *j = json_loads(text, 0, NULL);
  json_t *dff = json_object_get(json_object_get(json_array_get(json_object_get(j, "fields"), 4), "type"), "fields");
  json_array_remove(dff, 11);
  json_array_remove(dff, 10);
  if (avro_schema_from_json(&rs, j, &err)) return fprintf(stderr, "%s\n", err.message), 1;
  json_decref(j);
  const avro_node_t *root = avro_schema_root(s);
  char *paths = malloc(1000 * 128);
  for (int i = 0; i < 1000; i++)
    snprintf(paths + i * 128, 128, "s3://bucket/warehouse/db/events/data/day=2024-01-%02d/00000-%d-7d2a1b3c-9f4e-4d21-a8b6-%012d.parquet",
             i % 28 + 1, i, i * 7919);
  int rc = 0;
  for (int run = 0; run < 4; run++) {
    /* every map filled (what Iceberg writes with default metrics), then counts only */
    int maps = run < 2 ? 6 : 3, c = run % 2 ? AVRO_CODEC_DEFLATE : AVRO_CODEC_NULL;
    uint8_t *data;
    size_t len;
    prestige_output_t out;
    avro_writer_options_t o = AVRO_WRITER_OPTIONS_INIT;
    o.codec = (avro_codec_t)c;
    avro_writer_t *w;
    arena_t a = ARENA_INIT;
    int64_t t0 = cpu_ns();
    if (prestige_output_open_memory(&out, &data, &len, &err) || avro_writer_open(&w, s, out, &o, &err))
      return fprintf(stderr, "%s\n", err.message), 1;
    for (size_t i = 0; i < n; i++) {
      avro_datum_t e;
      build_entry(&a, root, &e, i, paths, maps);
      if (avro_writer_append(w, &e, &err)) return fprintf(stderr, "%s\n", err.message), 1;
      if (i % 1024 == 1023) arena_reset(&a);
    }
    if (avro_writer_close(w, NULL, &err)) return fprintf(stderr, "%s\n", err.message), 1;
    arena_release(&a);
    int64_t t1 = cpu_ns();

    /* full decode; sum record_count to use the values */
    int64_t sum = 0;
    size_t seen = 0;
    avro_reader_t *r;
    if (avro_reader_open_memory(&r, data, len, "bench.avro", NULL, &err)) return fprintf(stderr, "%s\n", err.message), 1;
    for (;;) {
      const avro_datum_t *b;
      size_t k;
      if (avro_reader_next_block(r, &b, &k, &err)) return fprintf(stderr, "%s\n", err.message), 1;
      if (!k) break;
      for (size_t i = 0; i < k; i++) sum += b[i].v.items[4].v.items[4].v.i64;
      seen += k;
    }
    avro_reader_close(r);
    int64_t t2 = cpu_ns();

    /* through a reader schema: the bounds are skipped, not decoded */
    avro_reader_options_t ro = AVRO_READER_OPTIONS_INIT;
    ro.reader_schema = rs;
    size_t seen2 = 0;
    if (avro_reader_open_memory(&r, data, len, "bench.avro", &ro, &err)) return fprintf(stderr, "%s\n", err.message), 1;
    for (;;) {
      const avro_datum_t *b;
      size_t k;
      if (avro_reader_next_block(r, &b, &k, &err)) return fprintf(stderr, "%s\n", err.message), 1;
      if (!k) break;
      seen2 += k;
    }
    avro_reader_close(r);
    int64_t t3 = cpu_ns();
    int64_t want = 0;
    for (size_t i = 0; i < n; i++) want += 100000 + (int64_t)i;
    bool ok = seen == n && seen2 == n && sum == want;
    rc |= !ok;
    printf("{\"codec\": \"%s\", \"maps\": \"%d x %d columns\", \"entries\": %zu, \"bytes\": %zu, \"write_per_s\": %.0f, \"read_per_s\": %.0f, "
           "\"read_projected_per_s\": %.0f, \"ok\": %s}\n",
           avro_codec_name((avro_codec_t)c), maps, NCOLS, n, len, per_s(n, t1 - t0), per_s(n, t2 - t1), per_s(n, t3 - t2),
           ok ? "true" : "false");
    free(data);
  }
  free(paths);
  free(text);
  avro_schema_free(s);
  avro_schema_free(rs);
  return rc;
}
