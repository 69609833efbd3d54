/* Runs of rows sharing a partition tuple (src/iceberg/partition_runs.c), checked against the
 * transforms applied row by row: no row inside a run has another tuple than its anchor, and where
 * the run is computed from the transform's exact preimage it ends exactly where the tuple
 * changes. Random run-shaped columns (random walks crossing hour, day, month and year
 * boundaries, backward jumps, nulls, values before 1970 and near the int64 extremes). */
#include <math.h>

#include "core/buf.h"
#include "iceberg/arrow_map.h"
#include "iceberg/arrow_value.h"
#include "iceberg/partition.h"
#include "iceberg/partition_runs.h"
#include "iceberg/spec_text.h"
#include "iceberg/types.h"
#include "prestige/arrow.h"
#include "test.h"

static uint64_t rng = 0x9E3779B97F4A7C15ULL;
static uint64_t rnd(void) {
  rng ^= rng >> 12;
  rng ^= rng << 25;
  rng ^= rng >> 27;
  return rng * 0x2545F4914F6CDD1DULL;
}
static int64_t range(int64_t lo, int64_t hi) {
  uint64_t span = (uint64_t)hi - (uint64_t)lo + 1; /* 0: the whole int64 range */
  return (int64_t)((uint64_t)lo + (span ? rnd() % span : rnd()));
}

static const char *SCHEMA =
    "{\"type\":\"struct\",\"schema-id\":0,\"fields\":["
    "{\"id\":1,\"name\":\"i\",\"required\":false,\"type\":\"int\"},"
    "{\"id\":2,\"name\":\"l\",\"required\":false,\"type\":\"long\"},"
    "{\"id\":3,\"name\":\"d\",\"required\":false,\"type\":\"date\"},"
    "{\"id\":4,\"name\":\"ts\",\"required\":false,\"type\":\"timestamptz\"},"
    "{\"id\":5,\"name\":\"tsn\",\"required\":false,\"type\":\"timestamp_ns\"},"
    "{\"id\":6,\"name\":\"s\",\"required\":false,\"type\":\"string\"},"
    "{\"id\":7,\"name\":\"x\",\"required\":false,\"type\":\"double\"},"
    "{\"id\":8,\"name\":\"st\",\"required\":false,\"type\":{\"type\":\"struct\",\"fields\":["
    "{\"id\":9,\"name\":\"t\",\"required\":false,\"type\":\"timestamp\"}]}}]}";

/* run-shaped values: mostly small steps, sometimes a jump (either way) or a null */
typedef struct walk {
  int64_t v, step, lo, hi, snap; /* snap: sometimes land on a multiple of it, or one below */
} walk_t;

static int64_t walk_next(walk_t *w, bool extremes) {
  uint64_t k = rnd() % 100;
  if (k < 3) w->v = range(w->lo, w->hi);
  else if (k < 4 && extremes) w->v = (rnd() & 1) ? w->hi - range(0, 3 * w->step) : w->lo + range(0, 3 * w->step);
  else if (k < 8 && w->snap && w->v > w->lo + w->snap && w->v < w->hi - w->snap)
    w->v = w->v - (int64_t)(((uint64_t)w->v % (uint64_t)w->snap + (uint64_t)w->snap) % (uint64_t)w->snap) + w->snap - (int64_t)(rnd() & 1);
  else w->v = (uint64_t)w->hi - (uint64_t)w->v < (uint64_t)w->step ? w->lo : w->v + range(0, w->step);
  return w->v;
}

static int make_batch(const struct ArrowSchema *s, int64_t n, bool extremes, struct ArrowArray *out, prestige_error_t *err) {
  prestige_array_builder_t *b;
  PRESTIGE_TRY(prestige_array_builder_new(&b, s, err));
  const int64_t US_H = 3600000000LL, NS_H = US_H * 1000;
  walk_t wi = {range(-100, 100), 2, INT32_MIN, INT32_MAX, 10},
         wl = {range(-1000, 1000), 3, INT64_MIN / 2, INT64_MAX / 2, 1000000},
         wd = {range(-800, 800), 3, -2000000, 2000000, 0},
         wt = {range(-50, 50) * 24 * US_H, US_H / 2, INT64_MIN, INT64_MAX, 24 * US_H},
         wn = {range(-50, 50) * 24 * NS_H, NS_H / 2, INT64_MIN, INT64_MAX, 24 * NS_H}, ws = {0, 1, 0, 5, 0},
         wx = {0, 1, 0, 3, 0}, wst = {0, 2 * US_H, -100 * 24 * US_H, 100 * 24 * US_H, US_H};
  if (!extremes) wi.lo = -100000, wi.hi = 100000, wt.lo = wn.lo = -4000000000000000LL, wt.hi = wn.hi = 4000000000000000LL;
  int rc = 0;
  for (int64_t r = 0; r < n && !rc; r++) {
    walk_t *ws_[] = {&wi, &wl, &wd, &wt, &wn};
    for (int c = 0; c < 5 && !rc; c++) {
      int64_t v = walk_next(ws_[c], extremes);
      if (c == 0) v = (int32_t)v;
      rc = rnd() % 40 == 0 ? prestige_array_builder_append_null(prestige_array_builder_child(b, c), err)
                           : prestige_array_builder_append_int(prestige_array_builder_child(b, c), v, err);
    }
    if (!rc) {
      static const char *words[] = {"alpha", "alphabet", "beta", "", "日本語", "日本"};
      const char *w = words[walk_next(&ws, false) % 6];
      rc = rnd() % 40 == 0 ? prestige_array_builder_append_null(prestige_array_builder_child(b, 5), err)
                           : prestige_array_builder_append_bytes(prestige_array_builder_child(b, 5), w, (int64_t)strlen(w), err);
    }
    if (!rc) {
      static const double xs[] = {1.5, -0.0, 0.0, NAN};
      rc = prestige_array_builder_append_double(prestige_array_builder_child(b, 6), xs[walk_next(&wx, false) % 4], err);
    }
    if (!rc) {
      prestige_array_builder_t *st = prestige_array_builder_child(b, 7);
      if (rnd() % 50 == 0) rc = prestige_array_builder_append_null(st, err);
      else {
        rc = rnd() % 40 == 0 ? prestige_array_builder_append_null(prestige_array_builder_child(st, 0), err)
                             : prestige_array_builder_append_int(prestige_array_builder_child(st, 0), walk_next(&wst, false), err);
        if (!rc) rc = prestige_array_builder_append_struct(st, err);
      }
    }
    if (!rc) rc = prestige_array_builder_append_struct(b, err);
  }
  if (!rc) rc = prestige_array_builder_finish(b, out, err);
  prestige_array_builder_free(b);
  return rc;
}

/* A row's partition tuple as bytes (null flags and the single-value forms). */
static void tuple(const ice_partition_spec_t *spec, const ice_schema_t *schema, const ice_type_t *ptype,
                  const ice_col_path_t *cols, const struct ArrowArray *batch, int64_t row, buf_t *out) {
  prestige_error_t err;
  ice_value_t src[8], res[8];
  buf_t tmp = BUF_INIT;
  buf_clear(out);
  for (size_t i = 0; i < spec->n_fields; i++) ice_col_value(&cols[i], batch, row, &src[i]);
  CHECK_OK(ice_partition_apply(spec, schema, src, res, &err));
  for (size_t i = 0; i < spec->n_fields; i++) {
    buf_append_u8(out, res[i].is_null);
    if (res[i].is_null) continue;
    buf_clear(&tmp);
    CHECK_OK(ice_value_to_bytes(ptype->fields[i].type, &res[i], &tmp, &err));
    uint32_t len = (uint32_t)tmp.len;
    buf_append(out, &len, 4);
    buf_append(out, tmp.data, tmp.len);
  }
  buf_release(&tmp);
}

static bool same_bytes(const buf_t *a, const buf_t *b) { return a->len == b->len && !memcmp(a->data, b->data, a->len); }

/* Checks every anchor of the batch; exact: runs must end where the tuple changes. Returns the
 * number of runs. */
static int64_t check_spec(const char *text, const ice_schema_t *schema, const struct ArrowArray *batch, bool exact) {
  prestige_error_t err;
  ice_partition_spec_t *spec = NULL;
  ice_type_t *ptype = NULL;
  ice_col_path_t cols[8];
  ice_part_runs_t *runs = NULL;
  CHECK_OK(ice_partition_spec_parse(text, schema, &spec, &err));
  if (!spec) return 0;
  CHECK_OK(ice_partition_spec_type(spec, schema, &ptype, &err));
  for (size_t i = 0; i < spec->n_fields; i++) CHECK_OK(ice_col_path_find(schema, spec->fields[i].source_id, &cols[i], &err));
  CHECK_OK(ice_part_runs_new(spec, cols, &runs, &err));
  int64_t n = batch->length, n_runs = 0, wrong = 0, late = 0;
  buf_t *t = calloc((size_t)n, sizeof(buf_t));
  for (int64_t r = 0; r < n; r++) tuple(spec, schema, ptype, cols, batch, r, &t[r]);
  for (int64_t a = 0; a < n; a++) {
    int64_t e = ice_part_runs_extent(runs, batch, a, n);
    if (e <= a || e > n) {
      wrong++;
      continue;
    }
    for (int64_t k = a + 1; k < e; k++)
      if (!same_bytes(&t[a], &t[k])) {
        if (!wrong) fprintf(stderr, "  %s: anchor %lld, run to %lld, row %lld has another tuple\n", text, (long long)a, (long long)e, (long long)k);
        wrong++;
        break;
      }
    if (exact && e < n && same_bytes(&t[a], &t[e])) late++;
  }
  for (int64_t a = 0; a < n; a = ice_part_runs_extent(runs, batch, a, n)) n_runs++;
  CHECK_MSG(wrong == 0, "%s: %lld anchors with a run holding another tuple", text, (long long)wrong);
  CHECK_MSG(late == 0, "%s: %lld runs ended before the tuple changed", text, (long long)late);
  for (int64_t r = 0; r < n; r++) buf_release(&t[r]);
  free(t);
  ice_part_runs_free(runs);
  ice_type_free(ptype);
  ice_partition_spec_free(spec);
  return n_runs;
}

TEST(runs_match_the_transforms) {
  prestige_error_t err;
  ice_schema_t *schema = NULL;
  struct ArrowSchema as;
  CHECK_OK(ice_schema_from_json_text(SCHEMA, &schema, &err));
  CHECK_OK(ice_schema_to_arrow(schema, &as, &err));
  /* exact: integer, date and timestamp sources under transforms with a contiguous preimage */
  static const char *exact[] = {"i", "truncate(10,i)", "l", "truncate(7,l)", "truncate(1000000,l)", "d", "day(d)",
                                "month(d)", "year(d)", "day(ts)", "hour(ts)", "month(ts)", "year(ts)", "day(tsn)",
                                "hour(tsn)", "month(tsn)", "year(tsn)", "day(st.t)", "hour(st.t)",
                                "day(ts),truncate(10,i)", "void(l),month(d)", "void(ts)"};
  /* equal values only: a run may end early */
  static const char *loose[] = {"bucket(4,l)", "bucket(3,ts)", "bucket(5,tsn)", "s", "truncate(2,s)", "bucket(4,s)",
                                "x", "day(ts),s", "st.t,bucket(2,i)"};
  for (int round = 0; round < 6; round++) {
    bool extremes = round >= 4;
    struct ArrowArray b;
    CHECK_OK(make_batch(&as, 3000, extremes, &b, &err));
    for (size_t i = 0; i < sizeof exact / sizeof exact[0]; i++) {
      /* near the int64 extremes hour counts wrap in int32 (as Java's casts do), so a run may end
       * before the wrapped value repeats: only no-wrong-row is checked there */
      int64_t runs = check_spec(exact[i], schema, &b, !extremes || !strstr(exact[i], "hour"));
      static const char *long_runs = "|month(d)|year(d)|day(ts)|month(ts)|year(ts)|day(tsn)|month(tsn)|year(tsn)|truncate(1000000,l)|day(st.t)|";
      char key[64];
      snprintf(key, sizeof key, "|%s|", exact[i]);
      if (!extremes && strstr(long_runs, key))
        CHECK_MSG(runs > 1 && runs < 3000 / 4, "%s: %lld runs in 3000 rows (the walk must make runs)", exact[i], (long long)runs);
    }
    for (size_t i = 0; i < sizeof loose / sizeof loose[0]; i++) check_spec(loose[i], schema, &b, false);
    b.release(&b);
  }
  prestige_schema_release(&as);
  ice_schema_free(schema);
}

TEST(batch_offsets) {
  /* a sliced batch (offset > 0): runs read from the slice, not from the start of the buffers */
  prestige_error_t err;
  ice_schema_t *schema = NULL;
  struct ArrowSchema as;
  CHECK_OK(ice_schema_from_json_text(SCHEMA, &schema, &err));
  CHECK_OK(ice_schema_to_arrow(schema, &as, &err));
  struct ArrowArray b;
  CHECK_OK(make_batch(&as, 2000, false, &b, &err));
  int64_t len = b.length;
  b.offset += 777;
  b.length -= 777 + 100;
  check_spec("day(ts)", schema, &b, true);
  check_spec("truncate(10,i),month(d)", schema, &b, true);
  check_spec("s", schema, &b, false);
  b.offset -= 777;
  b.length = len;
  b.release(&b);
  prestige_schema_release(&as);
  ice_schema_free(schema);
}

TEST_MAIN(RUN(runs_match_the_transforms); RUN(batch_offsets);)
