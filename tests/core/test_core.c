#include <pthread.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/json_text.h"
#include "core/queue.h"
#include "prestige/core.h"
#include "prestige/io.h"
#include "test.h"

TEST(test_error) {
  prestige_error_t err;
  prestige_error_init(&err);
  CHECK_EQ_INT(prestige_error_set(&err, PRESTIGE_ECORRUPT, "page at offset %d", 42), PRESTIGE_ECORRUPT);
  prestige_error_prefix(&err, "column %s", "a.b");
  CHECK_EQ_STR(err.message, "column a.b: page at offset 42");
  CHECK_EQ_STR(prestige_code_name(PRESTIGE_ENOSPC), "ENOSPC");
  CHECK_EQ_STR(prestige_code_name(999), "EUNKNOWN");
  CHECK_EQ_INT(prestige_error_set(NULL, PRESTIGE_EIO, "x"), PRESTIGE_EIO);
}

TEST(test_buf) {
  buf_t b = BUF_INIT;
  int rc = 0;
  for (int i = 0; i < 100000; i++) rc |= buf_append_uvarint(&b, (uint64_t)i * 977);
  CHECK_EQ_INT(rc, 0);
  buf_clear(&b);
  CHECK_EQ_INT(buf_append_uvarint(&b, 300), 0);
  CHECK_EQ_INT(b.len, 2);
  CHECK_EQ_INT(b.data[0], 0xAC);
  CHECK_EQ_INT(b.data[1], 0x02);
  CHECK_EQ_INT(zigzag_decode64(zigzag_encode64(-123456789)), -123456789);
  CHECK_EQ_INT(zigzag_encode64(-1), 1);
  buf_release(&b);
}

TEST(test_arena) {
  arena_t a = ARENA_INIT;
  for (int i = 0; i < 1000; i++) {
    char *s = arena_strndup(&a, "hello world", 5);
    CHECK(s && strcmp(s, "hello") == 0 && ((uintptr_t)s % 16) == 0);
  }
  CHECK(arena_alloc(&a, 1 << 20) != NULL);
  CHECK(arena_calloc(&a, SIZE_MAX / 2, 4) == NULL);
  /* reset keeps the chunks: the same allocations come from the same memory, total restarts */
  arena_reset(&a);
  CHECK_EQ_INT(a.total, 0);
  CHECK(a.head == NULL && a.spare != NULL);
  void *first = arena_alloc(&a, 100);
  CHECK(first != NULL);
  arena_reset(&a);
  CHECK(arena_alloc(&a, 100) == first);
  for (int i = 0; i < 100; i++) memset(arena_alloc(&a, 4000), i, 4000); /* more than the spares hold */
  CHECK(a.total >= 400000);
  arena_release(&a);
  CHECK(a.head == NULL && a.spare == NULL && a.total == 0);
}

static void *producer(void *arg) {
  queue_t *q = arg;
  for (intptr_t i = 1; i <= 1000; i++) queue_push(q, (void *)i, -1);
  return NULL;
}

TEST(test_queue) {
  queue_t *q = queue_new(4);
  pthread_t t[3];
  for (int i = 0; i < 3; i++) pthread_create(&t[i], NULL, producer, q);
  long long sum = 0;
  for (int i = 0; i < 3000; i++) {
    void *item;
    CHECK(queue_pop(q, &item, -1) == 0 || !"pop");
    sum += (intptr_t)item;
  }
  for (int i = 0; i < 3; i++) pthread_join(t[i], NULL);
  CHECK_EQ_INT(sum, 3 * 500500LL);
  void *item;
  CHECK_EQ_INT(queue_pop(q, &item, 10), PRESTIGE_ETIMEOUT);
  queue_push(q, (void *)7, -1);
  queue_close(q);
  CHECK_EQ_INT(queue_push(q, (void *)8, -1), PRESTIGE_ESHUTDOWN);
  CHECK_EQ_INT(queue_pop(q, &item, -1), 0);
  CHECK_EQ_INT((intptr_t)item, 7);
  CHECK_EQ_INT(queue_pop(q, &item, -1), PRESTIGE_ESHUTDOWN);
  queue_free(q);
}

TEST(test_shutdown) {
  prestige_shutdown_t *s = prestige_shutdown_new();
  CHECK(!prestige_shutdown_triggered(s));
  int64_t t0 = prestige_monotonic_ns();
  CHECK(!prestige_shutdown_wait(s, 20));
  CHECK(prestige_monotonic_ns() - t0 >= 19 * 1000000LL);
  prestige_shutdown_trigger(s);
  CHECK(prestige_shutdown_wait(s, 10000));
  prestige_shutdown_free(s);
}

TEST(test_io) {
  prestige_error_t err;
  char path[512];
  snprintf(path, sizeof(path), "%s/io.bin", test_tmpdir());
  prestige_output_t out;
  CHECK_OK(prestige_output_open_file(&out, path, &err));
  for (int i = 0; i < 1000; i++) CHECK_OK(out.write(out.ctx, "0123456789", 10, &err));
  CHECK_EQ_INT(out.tell(out.ctx), 10000);
  CHECK_OK(out.close(out.ctx, &err));
  prestige_input_t in;
  CHECK_OK(prestige_input_open_file(&in, path, &err));
  uint64_t size = 0;
  CHECK_OK(in.size(in.ctx, &size, &err));
  CHECK_EQ_INT(size, 10000);
  char tail[5] = {0};
  CHECK_OK(in.read_at(in.ctx, 9996, tail, 4, &err));
  CHECK_EQ_STR(tail, "6789");
  CHECK_ERR(in.read_at(in.ctx, 9998, tail, 4, &err), PRESTIGE_ECORRUPT, "past the end");
  in.close(in.ctx);
  CHECK_ERR(prestige_input_open_file(&in, "/nonexistent/x", &err), PRESTIGE_ENOTFOUND, "/nonexistent/x");
}

TEST(time_parse) {
  CHECK_EQ_INT(prestige_time_parse_ms("2024-11-20"), 1732060800000LL);
  CHECK_EQ_INT(prestige_time_parse_ms("2024-11-20T10:00:00Z"), 1732096800000LL);
  CHECK_EQ_INT(prestige_time_parse_ms("2024-11-20T10:00:00.123Z"), 1732096800123LL);
  CHECK_EQ_INT(prestige_time_parse_ms("Wed, 20 Nov 2024 10:00:00 GMT"), 1732096800000LL);
  CHECK_EQ_INT(prestige_time_parse_ms("2024-11-2"), -1);
  CHECK_EQ_INT(prestige_time_parse_ms("yesterday"), -1);
  CHECK_EQ_INT(prestige_time_parse_ms("Wed, 20 Foo 2024 10:00:00 GMT"), -1);
}

/* json_text_shortest: byte for byte what jansson writes for everything but reals (random trees of
 * objects, arrays, strings with every control character, quotes, backslashes and UTF-8, integers
 * at the extremes), and reals as the shortest text that reads back. */
static uint64_t jt_seed = 88172645463325252ULL;
static uint64_t jt_rand(void) {
  jt_seed ^= jt_seed << 13, jt_seed ^= jt_seed >> 7, jt_seed ^= jt_seed << 17;
  return jt_seed;
}
static json_t *jt_tree(int depth, bool reals) {
  int k = (int)(jt_rand() % (depth > 0 ? 8 : 6));
  switch (k) {
    case 0: return json_null();
    case 1: return json_boolean(jt_rand() & 1);
    case 2: {
      static const json_int_t ends[] = {0, -1, 1, INT64_MIN, INT64_MAX, 9007199254740993LL};
      return json_integer(jt_rand() % 2 ? ends[jt_rand() % 6] : (json_int_t)jt_rand());
    }
    case 3: case 4: {
      char s[24];
      size_t n = jt_rand() % 12;
      static const char *pieces[] = {"\"", "\\", "/", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "a", "\x7f"};
      size_t len = 0;
      for (size_t i = 0; i < n && len < 16; i++) {
        if (jt_rand() % 2) s[len++] = (char)(1 + jt_rand() % 31); /* control characters */
        else {
          const char *p = pieces[jt_rand() % 8];
          memcpy(s + len, p, strlen(p)), len += strlen(p);
        }
      }
      return json_stringn(s, len);
    }
    case 5: return reals ? json_real((double)(int64_t)jt_rand() / (double)(1 + jt_rand() % 1000)) : json_string("");
    case 6: {
      json_t *a = json_array();
      for (int i = (int)(jt_rand() % 4); i > 0; i--) json_array_append_new(a, jt_tree(depth - 1, reals));
      return a;
    }
    default: {
      json_t *o = json_object();
      for (int i = (int)(jt_rand() % 4); i > 0; i--) {
        char key[8];
        snprintf(key, sizeof key, "%c\n\"%d", 'a' + (int)(jt_rand() % 26), i);
        json_object_set_new(o, key, jt_tree(depth - 1, reals));
      }
      return o;
    }
  }
}
TEST(test_json_text) {
  for (int round = 0; round < 3000; round++) {
    json_t *v = jt_tree(4, false);
    char *ours = json_text_shortest(v), *theirs = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    CHECK(ours && theirs);
    if (ours && theirs && strcmp(ours, theirs)) CHECK_MSG(0, "round %d: %s, jansson %s", round, ours, theirs);
    free(ours), free(theirs);
    json_decref(v);
    /* with reals: the text parses back to an equal tree */
    v = jt_tree(4, true);
    ours = json_text_shortest(v);
    json_t *back = ours ? json_loads(ours, JSON_DECODE_ANY, NULL) : NULL;
    CHECK(back && json_equal(v, back));
    free(ours);
    json_decref(back);
    json_decref(v);
  }
  char t[40];
  json_real_text(28.81, t, sizeof t);
  CHECK_EQ_STR(t, "28.81");
  json_real_text(20, t, sizeof t);
  CHECK_EQ_STR(t, "20.0");
  json_real_text(-0.0, t, sizeof t);
  CHECK_EQ_STR(t, "-0.0");
  json_real_text(5e-324, t, sizeof t);
  CHECK_EQ_STR(t, "5e-324");
  json_real_text(0.1 + 0.2, t, sizeof t);
  CHECK_EQ_STR(t, "0.30000000000000004");
  json_real_text(1e21, t, sizeof t);
  CHECK_EQ_STR(t, "1e+21");
}

TEST_MAIN(RUN(time_parse); RUN(test_json_text); RUN(test_error); RUN(test_buf); RUN(test_arena); RUN(test_queue); RUN(test_shutdown); RUN(test_io);)
