/*
 * Minimal unit-test harness. Each test binary is a list of TEST functions run by
 * TEST_MAIN; every CHECK counts. The binary prints one line per failed check and ends with
 * "RESULT <passed> <failed>" (read by tests/run.sh) and exits non-zero if anything failed.
 */
#ifndef PRESTIGE_TEST_H
#define PRESTIGE_TEST_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prestige/error.h"

extern int test_passed, test_failed;
extern const char *test_current;

#define CHECK(cond)                                                                        \
  do {                                                                                     \
    if (cond) {                                                                            \
      test_passed++;                                                                       \
    } else {                                                                               \
      test_failed++;                                                                       \
      fprintf(stderr, "FAIL %s:%d in %s: %s\n", __FILE__, __LINE__, test_current, #cond); \
    }                                                                                      \
  } while (0)

#define CHECK_MSG(cond, ...)                                                        \
  do {                                                                              \
    if (cond) {                                                                     \
      test_passed++;                                                                \
    } else {                                                                        \
      test_failed++;                                                                \
      fprintf(stderr, "FAIL %s:%d in %s: %s: ", __FILE__, __LINE__, test_current, #cond); \
      fprintf(stderr, __VA_ARGS__);                                                 \
      fputc('\n', stderr);                                                          \
    }                                                                               \
  } while (0)

#define CHECK_EQ_INT(a, b)                                                                       \
  do {                                                                                           \
    long long check_a_ = (long long)(a), check_b_ = (long long)(b);                              \
    CHECK_MSG(check_a_ == check_b_, "%lld != %lld", check_a_, check_b_);                         \
  } while (0)

#define CHECK_EQ_STR(a, b)                                                                       \
  do {                                                                                           \
    const char *check_a_ = (a), *check_b_ = (b);                                                 \
    CHECK_MSG(check_a_ && check_b_ && strcmp(check_a_, check_b_) == 0, "\"%s\" != \"%s\"",      \
              check_a_ ? check_a_ : "(null)", check_b_ ? check_b_ : "(null)");                   \
  } while (0)

/* Runs expr (which takes &err); fails the check and prints err on a non-zero return. */
#define CHECK_OK(expr)                                                                       \
  do {                                                                                       \
    int check_rc_ = (expr);                                                                  \
    CHECK_MSG(check_rc_ == 0, "returned %s: %s", prestige_code_name(check_rc_), err.message); \
  } while (0)

/* Expects a specific error code and a message containing substr. */
#define CHECK_ERR(expr, code, substr)                                                         \
  do {                                                                                        \
    int check_rc_ = (expr);                                                                   \
    CHECK_MSG(check_rc_ == (code), "returned %s, wanted %s (%s)", prestige_code_name(check_rc_), \
              prestige_code_name(code), err.message);                                         \
    CHECK_MSG(strstr(err.message, (substr)) != NULL, "message \"%s\" lacks \"%s\"", err.message, \
              (substr));                                                                      \
  } while (0)

/* How long a test waits for something that must happen (a file delivered, a server ready, a
 * thread done): a backstop against hangs, not a performance bound. A wait ends as soon as the
 * thing happens, so a loaded machine makes a test slower, never failing. Waits for something that
 * must NOT happen stay short: a slow machine only makes them weaker. */
#define TEST_WAIT_MS 180000

#define TEST(name) static void name(void)
/* TEST_ONLY=part runs only the tests whose name contains it (all of them when unset). */
#define RUN(name)                                                     \
  do {                                                                \
    const char *only_ = getenv("TEST_ONLY");                          \
    if (!only_ || strstr(#name, only_)) {                             \
      test_current = #name;                                           \
      name();                                                         \
    }                                                                 \
  } while (0)

#define TEST_MAIN(...)                                                        \
  int test_passed, test_failed;                                               \
  const char *test_current = "";                                              \
  int main(int argc, char **argv) {                                           \
    (void)argc;                                                               \
    (void)argv;                                                               \
    __VA_ARGS__                                                               \
    printf("RESULT %d %d\n", test_passed, test_failed);                       \
    return test_failed ? 1 : 0;                                               \
  }

/* Scratch directory for this test binary (created fresh under build/test-tmp). */
const char *test_tmpdir(void);
/* Runs SQL in an in-memory DuckDB (through node and @duckdb/node-api) and returns the
 * result rows as a JSON array text (caller frees), or NULL on failure (printed). */
char *test_duckdb_json(const char *sql);
/* Project root (where Makefile is), found from the working directory. */
const char *test_root(void);

#endif
