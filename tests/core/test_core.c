#include <pthread.h>

#include "core/arena.h"
#include "core/buf.h"
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

TEST_MAIN(RUN(time_parse); RUN(test_error); RUN(test_buf); RUN(test_arena); RUN(test_queue); RUN(test_shutdown); RUN(test_io);)
