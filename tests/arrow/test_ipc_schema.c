#include <dirent.h>
#include <jansson.h>
#include <unistd.h>

#include "arrow/ipc_schema.h"
#include "test.h"

static bool same_schema(const struct ArrowSchema *a, const struct ArrowSchema *b) {
  if (strcmp(a->format, b->format) || strcmp(a->name ? a->name : "", b->name ? b->name : "")) return false;
  if ((a->flags & ARROW_FLAG_NULLABLE) != (b->flags & ARROW_FLAG_NULLABLE) || a->n_children != b->n_children) return false;
  int64_t ma = prestige_metadata_size(a->metadata), mb = prestige_metadata_size(b->metadata);
  if (ma != mb || (ma && memcmp(a->metadata, b->metadata, (size_t)ma))) return false;
  for (int64_t i = 0; i < a->n_children; i++)
    if (!same_schema(a->children[i], b->children[i])) return false;
  return true;
}

static void add(struct ArrowSchema *s, int i, const char *fmt, const char *name, bool nullable) {
  prestige_error_t err;
  prestige_schema_init(s->children[i], fmt, name, nullable ? ARROW_FLAG_NULLABLE : 0, &err);
}

static void make_schema(struct ArrowSchema *s) {
  prestige_error_t err;
  const char *fmts[] = {"b", "c", "C", "s", "S", "i", "I", "l", "L", "e", "f", "g", "u", "U", "z", "Z", "w:16",
                        "d:38,10", "d:9,2", "tdD", "tdm", "tts", "ttm", "ttu", "ttn", "tss:", "tsm:UTC",
                        "tsu:America/New_York", "tsn:", "tDs", "tDn", "tiM", "n"};
  int n = sizeof(fmts) / sizeof(fmts[0]);
  prestige_schema_init(s, "+s", "", 0, &err);
  prestige_schema_allocate_children(s, n + 4, &err);
  for (int i = 0; i < n; i++) {
    char name[16];
    snprintf(name, sizeof(name), "f%d", i);
    add(s, i, fmts[i], name, i % 2);
  }
  prestige_kv_t kv[] = {{"PARQUET:field_id", "7", -1}, {"comment", "ünïcode", -1}};
  prestige_schema_set_metadata(s->children[0], kv, 2, &err);
  add(s, n, "+l", "list", true);
  prestige_schema_allocate_children(s->children[n], 1, &err);
  add(s->children[n], 0, "i", "element", true);
  add(s, n + 1, "+s", "point", true);
  prestige_schema_allocate_children(s->children[n + 1], 2, &err);
  add(s->children[n + 1], 0, "g", "x", false);
  add(s->children[n + 1], 1, "+L", "tags", true);
  prestige_schema_allocate_children(s->children[n + 1]->children[1], 1, &err);
  add(s->children[n + 1]->children[1], 0, "u", "item", true);
  add(s, n + 2, "+m", "map", true);
  prestige_schema_allocate_children(s->children[n + 2], 1, &err);
  add(s->children[n + 2], 0, "+s", "entries", false);
  prestige_schema_allocate_children(s->children[n + 2]->children[0], 2, &err);
  add(s->children[n + 2]->children[0], 0, "u", "key", false);
  add(s->children[n + 2]->children[0], 1, "l", "value", true);
  add(s, n + 3, "+w:3", "triple", false);
  prestige_schema_allocate_children(s->children[n + 3], 1, &err);
  add(s->children[n + 3], 0, "f", "item", true);
  prestige_kv_t top[] = {{"origin", "prestige test", -1}};
  prestige_schema_set_metadata(s, top, 1, &err);
}

TEST(test_round_trip) {
  prestige_error_t err;
  struct ArrowSchema s, back;
  make_schema(&s);
  buf_t b64 = BUF_INIT;
  CHECK_OK(arrow_ipc_schema_encode(&s, &b64, &err));
  CHECK_OK(arrow_ipc_schema_decode((const char *)b64.data, b64.len, &back, &err));
  CHECK(back.release && same_schema(&s, &back));
  /* Arrow's JavaScript implementation reads the same bytes */
  char path[1024], cmd[3000];
  snprintf(path, sizeof(path), "%s/schema.b64", test_tmpdir());
  FILE *f = fopen(path, "w");
  fwrite(b64.data, 1, b64.len, f);
  fclose(f);
  snprintf(cmd, sizeof(cmd), "node %s/tests/arrow/arrow_js_schema.mjs %s", test_root(), path);
  FILE *p = popen(cmd, "r");
  char out[65536];
  size_t n = fread(out, 1, sizeof(out) - 1, p);
  out[n] = 0;
  CHECK_EQ_INT(pclose(p), 0);
  json_t *js = json_loads(out, 0, NULL);
  CHECK(js != NULL);
  json_t *fields = json_object_get(js, "fields");
  CHECK_EQ_INT(json_array_size(fields), s.n_children);
  const char *want[][2] = {{"f0", "Bool"}, {"f2", "Uint8"}, {"f8", "Uint64"}, {"f9", "Float16"}, {"f13", "LargeUtf8"},
                           {"f16", "FixedSizeBinary[16]"}, {"f17", "Decimal[38e+10]"}, {"f19", "Date32<DAY>"},
                           {"f26", "Timestamp<MILLISECOND, UTC>"}, {"f27", "Timestamp<MICROSECOND, America/New_York>"},
                           {"f29", "Duration<SECOND>"}, {"list", "List<Int32>"}, {"triple", "FixedSizeList[3]<Float32>"}};
  for (size_t k = 0; k < sizeof(want) / sizeof(want[0]); k++) {
    bool found = false;
    size_t i;
    json_t *fl;
    json_array_foreach(fields, i, fl) {
      if (strcmp(json_string_value(json_object_get(fl, "name")), want[k][0])) continue;
      found = true;
      const char *t = json_string_value(json_object_get(fl, "type"));
      CHECK_MSG(t && !strcmp(t, want[k][1]), "%s: Arrow JS says %s, expected %s", want[k][0], t, want[k][1]);
    }
    CHECK_MSG(found, "field %s missing", want[k][0]);
  }
  json_t *f0 = json_array_get(fields, 0), *f1 = json_array_get(fields, 1);
  CHECK(json_is_false(json_object_get(f0, "nullable")) && json_is_true(json_object_get(f1, "nullable")));
  CHECK_EQ_STR(json_string_value(json_object_get(json_object_get(f0, "metadata"), "PARQUET:field_id")), "7");
  CHECK_EQ_STR(json_string_value(json_object_get(json_object_get(js, "metadata"), "origin")), "prestige test");
  if (json_array_size(fields) > 34) {
    const char *pt = json_string_value(json_object_get(json_array_get(fields, 34), "type"));
    CHECK_MSG(pt && strstr(pt, "Struct<{x:Float64, tags:LargeList<Utf8>}>"), "point: %s", pt);
  }
  json_decref(js);
  /* truncations and bit flips fail cleanly */
  buf_t msg = BUF_INIT;
  CHECK_OK(arrow_ipc_schema_message(&s, &msg, &err));
  for (size_t cut = 0; cut < msg.len; cut += 7) {
    struct ArrowSchema t;
    if (arrow_ipc_schema_parse_message(msg.data, cut, &t, &err) == 0) prestige_schema_release(&t);
  }
  for (size_t i = 8; i < msg.len; i += 3) {
    msg.data[i] ^= 0xA5;
    struct ArrowSchema t;
    if (arrow_ipc_schema_parse_message(msg.data, msg.len, &t, &err) == 0) prestige_schema_release(&t);
    msg.data[i] ^= 0xA5;
  }
  prestige_schema_release(&back);
  CHECK_ERR(arrow_ipc_schema_decode("!!!!", 4, &back, &err), PRESTIGE_ECORRUPT, "base64");
  buf_release(&msg);
  buf_release(&b64);
  prestige_schema_release(&back);
  prestige_schema_release(&s);
}

/* ARROW:schema values written by Arrow C++ (pyarrow) in the parquet-testing corpus decode, and
 * their field names match the Parquet schema's top level as DuckDB reports it. */
TEST(test_corpus_values) {
  prestige_error_t err;
  /* one query per file, so a file DuckDB rejects does not hide the others */
  buf_t sql = BUF_INIT;
  buf_append(&sql, "-- each\n", 8);
  char dir[1024];
  snprintf(dir, sizeof(dir), "%s/../shared/parquet-testing/data", test_root());
  DIR *d = opendir(dir);
  struct dirent *e;
  while (d && (e = readdir(d))) {
    size_t n = strlen(e->d_name);
    if (n < 8 || strcmp(e->d_name + n - 8, ".parquet")) continue;
    char q[2048];
    int qn = snprintf(q, sizeof(q),
                      "SELECT '%s' f, decode(value) v FROM parquet_kv_metadata('%s/%s') WHERE decode(key) = 'ARROW:schema'\n",
                      e->d_name, dir, e->d_name);
    buf_append(&sql, q, (size_t)qn);
  }
  if (d) closedir(d);
  buf_append_u8(&sql, 0);
  char *js = test_duckdb_json((const char *)sql.data);
  buf_release(&sql);
  json_t *per_file = js ? json_loads(js, 0, NULL) : NULL, *rows = json_array();
  free(js);
  size_t k;
  json_t *res;
  json_array_foreach(per_file, k, res) {
    if (json_is_array(res) && json_array_size(res) == 1) json_array_append(rows, json_array_get(res, 0));
  }
  json_decref(per_file);
  size_t i;
  json_t *r;
  int decoded = 0, total = 0;
  json_array_foreach(rows, i, r) {
    const char *f = json_string_value(json_object_get(r, "f"));
    const char *v = json_string_value(json_object_get(r, "v"));
    if (!f || !v) continue;
    total++;
    struct ArrowSchema s;
    int rc = arrow_ipc_schema_decode(v, strlen(v), &s, &err);
    CHECK_MSG(rc == 0 || rc == PRESTIGE_EUNSUPPORTED, "%s: %s", f, err.message);
    if (rc == 0) {
      decoded++;
      /* re-encoding and decoding again gives the same schema */
      buf_t b = BUF_INIT;
      struct ArrowSchema again;
      CHECK_OK(arrow_ipc_schema_encode(&s, &b, &err));
      CHECK_OK(arrow_ipc_schema_decode((const char *)b.data, b.len, &again, &err));
      CHECK_MSG(again.release && same_schema(&s, &again), "%s: re-encoded schema differs", f);
      prestige_schema_release(&again);
      buf_release(&b);
      prestige_schema_release(&s);
    }
  }
  json_decref(rows);
  printf("decoded %d of %d ARROW:schema values from the corpus\n", decoded, total);
  CHECK_MSG(total >= 10 && decoded >= total - 3, "decoded %d of %d", decoded, total);
}

TEST_MAIN(RUN(test_round_trip); RUN(test_corpus_values);)
