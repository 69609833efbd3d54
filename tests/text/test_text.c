/* The text reader: CSV columns matched by header name, duplicate names and keys, names the schema
 * lacks (reported once, or an error with strict), UTF-8, epoch integers in timestamp columns, and
 * streaming from a pipe (batches as lines arrive, bounded waits). */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include "core/utf8.h"
#include "prestige/core.h"
#include "prestige/text.h"
#include "test.h"

static const char *write_tmp(const char *name, const char *data, size_t len) {
  static char path[1024];
  snprintf(path, sizeof path, "%s/%s", test_tmpdir(), name);
  if (len == (size_t)-1) len = strlen(data);
  FILE *f = fopen(path, "wb");
  fwrite(data, 1, len, f);
  fclose(f);
  return path;
}

/* value of row i of a utf8/binary child as a NUL-terminated string (static buffer) */
static const char *str_at(const struct ArrowArray *a, int64_t i) {
  static char out[256];
  const int32_t *off = a->buffers[1];
  const char *data = a->buffers[2];
  int n = off[a->offset + i + 1] - off[a->offset + i];
  snprintf(out, sizeof out, "%.*s", n, data + off[a->offset + i]);
  return out;
}

static int64_t i64_at(const struct ArrowArray *a, int64_t i) { return ((const int64_t *)a->buffers[1])[a->offset + i]; }

typedef struct seen {
  char names[8][32];
  int64_t lines[8];
  int n;
} seen_t;

static void on_ignored(void *ud, const char *name, int64_t line) {
  seen_t *s = ud;
  if (s->n < 8) {
    snprintf(s->names[s->n], sizeof s->names[0], "%s", name);
    s->lines[s->n++] = line;
  }
}

/* Opens path with the options and reads one batch; returns the reader's error code. */
static int read_one(const char *path, const prestige_text_options_t *o, struct ArrowArray *b, prestige_error_t *err) {
  prestige_text_reader_t *r;
  b->release = NULL;
  int rc = prestige_text_reader_open(&r, path, o, err);
  if (rc) return rc;
  rc = prestige_text_reader_next(r, b, err);
  prestige_text_reader_close(r);
  return rc;
}

TEST(test_csv_header_by_name) {
  prestige_error_t err;
  prestige_text_options_t o;
  prestige_text_options_init(&o);
  const char *p = write_tmp("ab.csv", "a,b\n1,hello\n2,world\n", (size_t)-1);
  o.schema = "b:string,a:string";
  struct ArrowArray b;
  CHECK_OK(read_one(p, &o, &b, &err));
  if (b.release) {
    CHECK_EQ_INT(b.length, 2);
    CHECK_EQ_STR(str_at(b.children[0], 0), "hello"); /* b is the header's second column */
    CHECK_EQ_STR(str_at(b.children[1], 1), "2");
    b.release(&b);
  }
  /* a bad value names the column as the file numbers it */
  o.schema = "b:string,a:bool";
  CHECK_ERR(read_one(p, &o, &b, &err), PRESTIGE_ECORRUPT, "line 2, column 1 (\"a\"): \"1\" is not a boolean");
  /* a schema column the header lacks */
  o.schema = "b:string,c:string";
  CHECK_ERR(read_one(p, &o, &b, &err), PRESTIGE_ECORRUPT, "the header has no column \"c\"");
  /* a header column the schema lacks: reported once, or an error with strict */
  seen_t s = {0};
  o.schema = "a:int32";
  o.on_ignored = on_ignored;
  o.user_data = &s;
  CHECK_OK(read_one(p, &o, &b, &err));
  if (b.release) {
    CHECK_EQ_INT(b.n_children, 1);
    b.release(&b);
  }
  CHECK_EQ_INT(s.n, 1);
  CHECK_EQ_STR(s.names[0], "b");
  CHECK_EQ_INT(s.lines[0], 1);
  o.strict = true;
  CHECK_ERR(read_one(p, &o, &b, &err), PRESTIGE_ECORRUPT, "line 1: column \"b\": the schema does not name it");
  /* without a header the schema goes by position */
  prestige_text_options_init(&o);
  o.header = false;
  o.schema = "x:int64,y:string";
  const char *q = write_tmp("nohdr.csv", "7,seven\n", (size_t)-1);
  CHECK_OK(read_one(q, &o, &b, &err));
  if (b.release) {
    CHECK_EQ_INT(i64_at(b.children[0], 0), 7);
    CHECK_EQ_STR(str_at(b.children[1], 0), "seven");
    b.release(&b);
  }
}

TEST(test_duplicates) {
  prestige_error_t err;
  prestige_text_options_t o;
  prestige_text_options_init(&o);
  struct ArrowArray b;
  const char *p = write_tmp("dup.csv", "a,b,a\n1,2,3\n", (size_t)-1);
  CHECK_ERR(read_one(p, &o, &b, &err), PRESTIGE_ECORRUPT, "columns 1 and 3 are both named \"a\"");
  o.schema = "a:int64,b:int64";
  CHECK_ERR(read_one(p, &o, &b, &err), PRESTIGE_ECORRUPT, "both named \"a\"");
  prestige_text_options_init(&o);
  o.format = PRESTIGE_TEXT_JSONL;
  const char *j = write_tmp("dup.jsonl", "{\"a\":1}\n{\"a\":1,\"b\":{\"c\":1},\"a\":2}\n", (size_t)-1);
  CHECK_ERR(read_one(j, &o, &b, &err), PRESTIGE_ECORRUPT, "line 2, character");
  CHECK(strstr(err.message, "duplicate key \"a\"") != NULL);
  o.schema = "a:int64";
  CHECK_ERR(read_one(j, &o, &b, &err), PRESTIGE_ECORRUPT, "duplicate key \"a\"");
}

TEST(test_json_keys_not_in_schema) {
  prestige_error_t err;
  prestige_text_options_t o;
  prestige_text_options_init(&o);
  o.format = PRESTIGE_TEXT_JSONL;
  o.schema = "a:int64";
  seen_t s = {0};
  o.on_ignored = on_ignored;
  o.user_data = &s;
  const char *data = "{\"a\":1,\"b\":2}\n{\"a\":2,\"b\":3,\"c\":4}\n{\"c\":5}\n";
  const char *p = write_tmp("keys.jsonl", data, strlen(data));
  struct ArrowArray b;
  CHECK_OK(read_one(p, &o, &b, &err));
  if (b.release) {
    CHECK_EQ_INT(b.length, 3);
    b.release(&b);
  }
  CHECK_EQ_INT(s.n, 2); /* each name once, where it first appeared */
  CHECK_EQ_STR(s.names[0], "b");
  CHECK_EQ_INT(s.lines[0], 1);
  CHECK_EQ_STR(s.names[1], "c");
  CHECK_EQ_INT(s.lines[1], 2);
  o.strict = true;
  CHECK_ERR(read_one(p, &o, &b, &err), PRESTIGE_ECORRUPT, "line 1: key \"b\": the schema does not name it");
  /* inferred columns: a key that first appears after the inference rows is reported too */
  prestige_text_options_init(&o);
  o.format = PRESTIGE_TEXT_JSONL;
  o.infer_rows = 1;
  memset(&s, 0, sizeof s);
  o.on_ignored = on_ignored;
  o.user_data = &s;
  CHECK_OK(read_one(p, &o, &b, &err));
  if (b.release) b.release(&b);
  CHECK_EQ_INT(s.n, 1);
  CHECK_EQ_STR(s.names[0], "c");
}

TEST(test_utf8) {
  prestige_error_t err;
  prestige_text_options_t o;
  prestige_text_options_init(&o);
  struct ArrowArray b;
  const char data[] = "id,name\n1,caf\xc3\xa9\n2,ab\xff\xfe\n";
  const char *p = write_tmp("utf8.csv", data, sizeof data - 1);
  CHECK_ERR(read_one(p, &o, &b, &err), PRESTIGE_ECORRUPT, "line 3, column 2 (\"name\"): invalid UTF-8 at byte 3");
  o.schema = "id:int64,name:string";
  CHECK_ERR(read_one(p, &o, &b, &err), PRESTIGE_ECORRUPT, "line 3, column 2");
  o.schema = "id:int64,name:binary"; /* asked for: the bytes as they are */
  CHECK_OK(read_one(p, &o, &b, &err));
  if (b.release) {
    CHECK_EQ_STR(str_at(b.children[1], 1), "ab\xff\xfe");
    b.release(&b);
  }
  const char hdr[] = "id,n\xc3\n1,2\n";
  prestige_text_options_init(&o);
  p = write_tmp("utf8h.csv", hdr, sizeof hdr - 1);
  CHECK_ERR(read_one(p, &o, &b, &err), PRESTIGE_ECORRUPT, "line 1, column 2: the header name is not UTF-8");
}

TEST(test_epoch_timestamps) {
  prestige_error_t err;
  prestige_text_options_t o;
  prestige_text_options_init(&o);
  o.format = PRESTIGE_TEXT_JSONL;
  o.schema = "ts:timestamp(ms,UTC),s:timestamp(s),us:timestamp(us,UTC)";
  const char *data = "{\"ts\":1700000000000,\"s\":1700000000,\"us\":-5}\n{\"ts\":\"2024-01-01T00:00:00Z\",\"s\":\"1700000001\"}\n";
  const char *p = write_tmp("ts.jsonl", data, strlen(data));
  struct ArrowArray b;
  CHECK_OK(read_one(p, &o, &b, &err));
  if (b.release) {
    CHECK_EQ_INT(i64_at(b.children[0], 0), 1700000000000LL);
    CHECK_EQ_INT(i64_at(b.children[0], 1), 1704067200000LL);
    CHECK_EQ_INT(i64_at(b.children[1], 0), 1700000000LL);
    CHECK_EQ_INT(i64_at(b.children[1], 1), 1700000001LL);
    CHECK_EQ_INT(i64_at(b.children[2], 0), -5);
    b.release(&b);
  }
  prestige_text_options_init(&o);
  o.schema = "ts:timestamp(ms,UTC)";
  const char *c = write_tmp("ts.csv", "ts\n1700000000123\n2023-11-14T22:13:20.123Z\n", (size_t)-1);
  CHECK_OK(read_one(c, &o, &b, &err));
  if (b.release) {
    CHECK_EQ_INT(i64_at(b.children[0], 0), 1700000000123LL);
    CHECK_EQ_INT(i64_at(b.children[0], 1), 1700000000123LL);
    b.release(&b);
  }
  c = write_tmp("ts2.csv", "ts\n17000000001.5\n", (size_t)-1);
  CHECK_ERR(read_one(c, &o, &b, &err), PRESTIGE_ECORRUPT, "is not a timestamp (ISO 8601, or an integer in the column's unit)");
}

static void write_all(int fd, const char *s) {
  size_t n = strlen(s);
  while (n) {
    ssize_t k = write(fd, s, n);
    if (k <= 0) return;
    s += k;
    n -= (size_t)k;
  }
}

/* A pipe kept open: each batch comes as soon as its lines are complete, waits are bounded, a
 * partial line is kept until its end arrives. */
TEST(test_streaming_pipe) {
  prestige_error_t err;
  int fds[2];
  CHECK(pipe(fds) == 0);
  int saved = dup(STDIN_FILENO);
  dup2(fds[0], STDIN_FILENO);
  close(fds[0]);
  prestige_text_options_t o;
  prestige_text_options_init(&o);
  o.format = PRESTIGE_TEXT_JSONL;
  o.schema = "n:int64,msg:string";
  o.streaming = true;
  o.batch_rows = 1000;
  prestige_text_reader_t *r = NULL;
  CHECK_OK(prestige_text_reader_open(&r, "-", &o, &err));
  struct ArrowArray b;
  /* nothing written yet: a bounded wait ends with ETIMEOUT, not a batch, not the end */
  int64_t t0 = prestige_monotonic_ns();
  CHECK_ERR(prestige_text_reader_next_wait(r, &b, 0, 150, &err), PRESTIGE_ETIMEOUT, "no input");
  int64_t waited_ms = (prestige_monotonic_ns() - t0) / 1000000;
  CHECK_MSG(waited_ms >= 140, "waited %lld ms", (long long)waited_ms);
  CHECK(b.release == NULL);
  /* two lines and half of a third: a batch of two, at once */
  write_all(fds[1], "{\"n\":1,\"msg\":\"a\"}\n{\"n\":2,\"msg\":\"b\"}\n{\"n\":3,");
  CHECK_OK(prestige_text_reader_next_wait(r, &b, 0, 5000, &err));
  CHECK(b.release != NULL);
  if (b.release) {
    CHECK_EQ_INT(b.length, 2);
    CHECK_EQ_INT(i64_at(b.children[0], 1), 2);
    b.release(&b);
  }
  /* the partial line alone is not a record */
  CHECK_ERR(prestige_text_reader_next_wait(r, &b, 0, 100, &err), PRESTIGE_ETIMEOUT, "no input");
  write_all(fds[1], "\"msg\":\"c\"}\n");
  CHECK_OK(prestige_text_reader_next_wait(r, &b, 0, 5000, &err));
  if (b.release) {
    CHECK_EQ_INT(b.length, 1);
    CHECK_EQ_INT(i64_at(b.children[0], 0), 3);
    CHECK_EQ_STR(str_at(b.children[1], 0), "c");
    b.release(&b);
  }
  /* the writer goes away: the end of the input */
  close(fds[1]);
  CHECK_OK(prestige_text_reader_next_wait(r, &b, 0, 5000, &err));
  CHECK(b.release == NULL);
  CHECK_EQ_INT(prestige_text_reader_rows(r), 3);
  prestige_text_reader_close(r);
  dup2(saved, STDIN_FILENO);
  close(saved);
}

/* CSV over a pipe in small writes, records split anywhere (inside quotes too), read without a
 * batch size in the way; non-streaming next still fills whole batches. */
TEST(test_streaming_csv_split_writes) {
  prestige_error_t err;
  int fds[2];
  CHECK(pipe(fds) == 0);
  int saved = dup(STDIN_FILENO);
  dup2(fds[0], STDIN_FILENO);
  close(fds[0]);
  prestige_text_options_t o;
  prestige_text_options_init(&o);
  o.schema = "k:int64,v:string";
  o.streaming = true;
  write_all(fds[1], "k,v\n");
  prestige_text_reader_t *r = NULL;
  CHECK_OK(prestige_text_reader_open(&r, "-", &o, &err));
  const char *pieces[] = {"1,\"x,", "y\"\n2", ",z\r", "\n"};
  int64_t total = 0;
  struct ArrowArray b;
  for (int i = 0; i < 4; i++) {
    write_all(fds[1], pieces[i]);
    int rc = prestige_text_reader_next_wait(r, &b, 0, 100, &err);
    if (rc == 0 && b.release) {
      total += b.length;
      if (total == 1) CHECK_EQ_STR(str_at(b.children[1], 0), "x,y");
      b.release(&b);
    } else {
      CHECK_EQ_INT(rc, PRESTIGE_ETIMEOUT);
    }
  }
  CHECK_EQ_INT(total, 2);
  close(fds[1]);
  CHECK_OK(prestige_text_reader_next_wait(r, &b, 0, 5000, &err));
  CHECK(b.release == NULL);
  prestige_text_reader_close(r);
  dup2(saved, STDIN_FILENO);
  close(saved);
}

/* Writes that end exactly at a line's end, read one at a time (as `awk | prestige sink` delivers
 * them): no record may be lost when the reader moves its unread bytes to the front. */
TEST(test_streaming_aligned_writes) {
  prestige_error_t err;
  for (int fmt = 0; fmt < 2; fmt++) {
    int fds[2];
    CHECK(pipe(fds) == 0);
    int saved = dup(STDIN_FILENO);
    dup2(fds[0], STDIN_FILENO);
    close(fds[0]);
    prestige_text_options_t o;
    prestige_text_options_init(&o);
    o.format = fmt ? PRESTIGE_TEXT_JSONL : PRESTIGE_TEXT_CSV;
    o.schema = "n:int64";
    o.streaming = true;
    if (!fmt) write_all(fds[1], "n\n");
    prestige_text_reader_t *r = NULL;
    CHECK_OK(prestige_text_reader_open(&r, "-", &o, &err));
    int64_t next = 0, bad = 0;
    for (int chunk = 0; chunk < 60; chunk++) {
      char buf[1024];
      size_t k = 0;
      for (int i = 0; i < 10; i++)
        k += (size_t)snprintf(buf + k, sizeof buf - k, fmt ? "{\"n\":%d}\n" : "%d\n", chunk * 10 + i);
      write_all(fds[1], buf);
      for (int got = 0; got < 10;) {
        struct ArrowArray b;
        int rc = prestige_text_reader_next_wait(r, &b, 0, 2000, &err);
        if (rc || !b.release) {
          bad++;
          break;
        }
        for (int64_t i = 0; i < b.length; i++) bad += i64_at(b.children[0], i) != next++;
        got += (int)b.length;
        b.release(&b);
      }
    }
    close(fds[1]);
    CHECK_EQ_INT(bad, 0);
    CHECK_EQ_INT(next, 600);
    prestige_text_reader_close(r);
    dup2(saved, STDIN_FILENO);
    close(saved);
  }
}

/* The validator against a reference decoder written here from RFC 3629's definition. */
static size_t ref_check(const uint8_t *s, size_t n) {
  size_t i = 0;
  while (i < n) {
    uint32_t c = s[i];
    size_t len = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
    if (!len || i + len > n) return i;
    uint32_t cp = len == 1 ? c : len == 2 ? c & 0x1F : len == 3 ? c & 0x0F : c & 0x07;
    for (size_t k = 1; k < len; k++) {
      if ((s[i + k] & 0xC0) != 0x80) return i;
      cp = cp << 6 | (s[i + k] & 0x3F);
    }
    static const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return i;
    i += len;
  }
  return n;
}

TEST(test_utf8_validator) {
  static const struct {
    const char *s;
    size_t n, want;
  } cases[] = {{"", 0, 0},
               {"plain ascii, longer than eight bytes", 36, 36},
               {"\xc3\xa9", 2, 2},
               {"\xf0\x9f\x98\x80", 4, 4},
               {"\xf4\x8f\xbf\xbf", 4, 4},     /* U+10FFFF */
               {"\xf4\x90\x80\x80", 4, 0},     /* above */
               {"\xed\x9f\xbf", 3, 3},         /* U+D7FF */
               {"\xed\xa0\x80", 3, 0},         /* surrogate */
               {"\xc0\xaf", 2, 0},             /* overlong */
               {"\xe0\x80\xaf", 3, 0},         /* overlong */
               {"\xf0\x80\x80\xaf", 4, 0},     /* overlong */
               {"abcdefgh\xc3", 9, 8},         /* truncated at the end, after a fast-path word */
               {"abcdefghijklmno\x80xyz", 19, 15},
               {"\xff", 1, 0}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    CHECK_MSG(utf8_check((const uint8_t *)cases[i].s, cases[i].n) == cases[i].want, "case %zu", i);
  /* random byte strings biased toward valid text, against the reference */
  uint64_t x = 42;
  int mismatches = 0;
  uint8_t buf[64];
  static const uint8_t alphabet[] = {'a', ' ', 0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80, 0xed, 0xa0, 0xc0, 0xf4, 0x90, 0xbf, 0xff};
  for (int t = 0; t < 200000; t++) {
    size_t n = (size_t)(t % 64);
    for (size_t k = 0; k < n; k++) {
      x = x * 6364136223846793005ull + 1442695040888963407ull;
      buf[k] = (x >> 60) < 6 ? (uint8_t)'a' + (uint8_t)(x >> 58 & 7) : alphabet[(x >> 33) % sizeof alphabet];
    }
    if (utf8_check(buf, n) != ref_check(buf, n)) mismatches++;
  }
  CHECK_EQ_INT(mismatches, 0);
}

/* A type ending in '!' is a required column: not nullable, and a row without it names its line. */
TEST(test_required_columns) {
  prestige_error_t err;
  prestige_text_options_t o;
  prestige_text_options_init(&o);
  struct ArrowArray b;
  const char *p = write_tmp("req.csv", "id,name\n1,a\n2,\"\"\n3,\n", (size_t)-1);
  o.schema = "id:int64!, name:string ! ";
  CHECK_ERR(read_one(p, &o, &b, &err), PRESTIGE_ECORRUPT, "line 4: column \"name\" is required (not null) but has no value");
  o.schema = "id:int64 !,name:string";
  CHECK_OK(read_one(p, &o, &b, &err));
  if (b.release) {
    CHECK_EQ_INT(b.length, 3);
    b.release(&b);
  }
  prestige_text_reader_t *r = NULL;
  CHECK_OK(prestige_text_reader_open(&r, p, &o, &err));
  if (r) {
    const struct ArrowSchema *sc = prestige_text_reader_schema(r);
    CHECK(!(sc->children[0]->flags & ARROW_FLAG_NULLABLE));
    CHECK(sc->children[1]->flags & ARROW_FLAG_NULLABLE);
    prestige_text_reader_close(r);
  }
  const char *q = write_tmp("req.jsonl", "{\"id\":1}\n{\"id\":null}\n", (size_t)-1);
  o.schema = "id:int64!";
  o.format = PRESTIGE_TEXT_JSONL;
  CHECK_ERR(read_one(q, &o, &b, &err), PRESTIGE_ECORRUPT, "line 2: column \"id\" is required");
  const char *m = write_tmp("req2.jsonl", "{\"id\":1}\n{\"x\":2}\n", (size_t)-1);
  CHECK_ERR(read_one(m, &o, &b, &err), PRESTIGE_ECORRUPT, "line 2: column \"id\" is required");
  o.format = PRESTIGE_TEXT_CSV;
  o.schema = "id:!";
  CHECK_ERR(read_one(p, &o, &b, &err), PRESTIGE_EINVAL, "unknown type");
}

/* Inference keeps texts a number would lose as strings, as DuckDB's sniffer does: leading zeros
 * (zip codes), a leading '+', inf/nan spellings ("Nan" is a name); an explicit numeric column
 * still reads them. A quoted empty field is NULL in a typed column, "" in a string column. No leap
 * second in timestamps. A JSON number in a string column keeps its shortest text. */
static const char *format_of(const char *path, const prestige_text_options_t *o, int col) {
  static char fmt[32];
  prestige_text_reader_t *r = NULL;
  prestige_error_t err;
  snprintf(fmt, sizeof fmt, "(error)");
  if (prestige_text_reader_open(&r, path, o, &err)) return fmt;
  snprintf(fmt, sizeof fmt, "%s", prestige_text_reader_schema(r)->children[col]->format);
  prestige_text_reader_close(r);
  return fmt;
}

TEST(test_inference_like_duckdb) {
  prestige_error_t err;
  prestige_text_options_t o;
  prestige_text_options_init(&o);
  struct ArrowArray b;
  const char *p = write_tmp("inf.csv",
                            "zip,neg,plus,fl,spec,name,ok,okd,q,ts\n"
                            "007,-007,+5,00.5,inf,Nan,-0,.5,\"\",2024-01-02 23:59:60\n"
                            "02134,-1,6,1.5,nan,Inf,12,5.,\"3\",2024-01-02 23:59:59\n"
                            "123,2,7,0.5,-Infinity,x,0,1e3,4,2024-01-02 00:00:00\n",
                            (size_t)-1);
  const char *want[] = {"u", "u", "u", "u", "u", "u", "l", "g", "l", "u"};
  for (int c = 0; c < 10; c++) CHECK_EQ_STR(format_of(p, &o, c), want[c]);
  CHECK_OK(read_one(p, &o, &b, &err));
  if (b.release) {
    CHECK_EQ_STR(str_at(b.children[0], 0), "007");
    CHECK_EQ_STR(str_at(b.children[2], 0), "+5");
    CHECK_EQ_STR(str_at(b.children[5], 0), "Nan");
    CHECK_EQ_INT(b.children[8]->null_count, 1); /* "" in an int64 column */
    CHECK_EQ_INT(i64_at(b.children[8], 1), 3);
    CHECK_EQ_STR(str_at(b.children[9], 0), "2024-01-02 23:59:60");
    b.release(&b);
  }
  /* explicit types still read what inference keeps as text */
  o.schema = "zip:int64,plus:int64,spec:double,q:int64,name:string";
  CHECK_OK(read_one(p, &o, &b, &err));
  if (b.release) {
    CHECK_EQ_INT(i64_at(b.children[0], 0), 7);
    CHECK_EQ_INT(i64_at(b.children[1], 0), 5);
    CHECK(isinf(((const double *)b.children[2]->buffers[1])[0]));
    CHECK(isnan(((const double *)b.children[2]->buffers[1])[1]));
    CHECK_EQ_INT(b.children[3]->null_count, 1);
    b.release(&b);
  }
  o.schema = "name:string,q:string";
  CHECK_OK(read_one(p, &o, &b, &err));
  if (b.release) {
    CHECK_EQ_INT(b.children[1]->null_count, 0); /* "" stays the empty string */
    CHECK_EQ_STR(str_at(b.children[1], 0), "");
    b.release(&b);
  }
  o.schema = "ts:timestamp(us,UTC)";
  CHECK_ERR(read_one(p, &o, &b, &err), PRESTIGE_ECORRUPT, "line 2, column 10 (\"ts\")");
  o.schema = "q:int64!";
  CHECK_ERR(read_one(p, &o, &b, &err), PRESTIGE_ECORRUPT, "line 2: column \"q\" is required");
  /* a date among timestamps is its midnight, UTC, inferred or declared */
  const char *d = write_tmp("inf_ts.csv", "t\n2024-01-02T03:04:05Z\n2024-01-03\n", (size_t)-1);
  prestige_text_options_init(&o);
  CHECK_EQ_STR(format_of(d, &o, 0), "tsu:UTC");
  o.schema = "t:timestamp(ms,UTC)";
  CHECK_OK(read_one(d, &o, &b, &err));
  if (b.release) {
    CHECK_EQ_INT(i64_at(b.children[0], 1), 1704240000000LL);
    b.release(&b);
  }
  /* years 1..9999 in microseconds (nanoseconds since the epoch wrapped outside 1677..2262) */
  const char *y = write_tmp("inf_years.csv", "t\n9999-12-31T00:00:00\n1500-01-01 00:00:00.5\n", (size_t)-1);
  prestige_text_options_init(&o);
  CHECK_OK(read_one(y, &o, &b, &err));
  if (b.release) {
    CHECK_EQ_INT(i64_at(b.children[0], 0), 253402214400000000LL);
    CHECK_EQ_INT(i64_at(b.children[0], 1), -14831769600000000LL + 500000);
    b.release(&b);
  }
  o.schema = "t:timestamp(ns)";
  CHECK_ERR(read_one(y, &o, &b, &err), PRESTIGE_ECORRUPT, "line 2, column 1 (\"t\"): \"9999-12-31T00:00:00\" is not in the range");
  /* JSON: numbers mixed with strings keep their shortest text */
  prestige_text_options_init(&o);
  o.format = PRESTIGE_TEXT_JSONL;
  const char *j = write_tmp("inf.jsonl", "{\"v\":0.1}\n{\"v\":\"x\"}\n{\"v\":1e300}\n{\"v\":-2.5}\n", (size_t)-1);
  CHECK_OK(read_one(j, &o, &b, &err));
  if (b.release) {
    CHECK_EQ_STR(str_at(b.children[0], 0), "0.1");
    CHECK_EQ_STR(str_at(b.children[0], 2), "1e+300");
    CHECK_EQ_STR(str_at(b.children[0], 3), "-2.5");
    b.release(&b);
  }
}

/* A UTF-8 byte order mark starting the input is skipped (DuckDB, Python's utf-8-sig): it is not
 * part of the first column's name, also when it arrives split across reads of a pipe. */
TEST(test_byte_order_mark) {
  prestige_error_t err;
  prestige_text_options_t o;
  prestige_text_options_init(&o);
  struct ArrowArray b;
  const char *p = write_tmp("bom.csv", "\xEF\xBB\xBFid,name\r\n1,a\r\n", (size_t)-1);
  prestige_text_reader_t *r = NULL;
  CHECK_OK(prestige_text_reader_open(&r, p, &o, &err));
  if (r) {
    CHECK_EQ_STR(prestige_text_reader_schema(r)->children[0]->name, "id");
    CHECK_OK(prestige_text_reader_next(r, &b, &err));
    if (b.release) {
      CHECK_EQ_INT(b.length, 1);
      CHECK_EQ_INT(((const int64_t *)b.children[0]->buffers[1])[0], 1);
      b.release(&b);
    }
    CHECK_EQ_INT(prestige_text_reader_bytes(r), 17); /* the BOM counted: the whole file */
    prestige_text_reader_close(r);
  }
  o.schema = "id:int64,name:string"; /* matched by header name */
  CHECK_OK(read_one(p, &o, &b, &err));
  if (b.release) b.release(&b);
  /* only the first bytes of the input: a BOM-like sequence later is data */
  const char *q = write_tmp("bom2.csv", "s\n\xEF\xBB\xBFx\n", (size_t)-1);
  o.schema = "s:string";
  CHECK_OK(read_one(q, &o, &b, &err));
  if (b.release) {
    CHECK_EQ_STR(str_at(b.children[0], 0), "\xEF\xBB\xBFx");
    b.release(&b);
  }
  prestige_text_options_init(&o);
  o.format = PRESTIGE_TEXT_JSONL;
  const char *j = write_tmp("bom.jsonl", "\xEF\xBB\xBF{\"a\":1}\n{\"a\":2}\n", (size_t)-1);
  CHECK_OK(read_one(j, &o, &b, &err));
  if (b.release) {
    CHECK_EQ_INT(b.length, 2);
    b.release(&b);
  }
  /* inputs shorter than a BOM */
  prestige_text_options_init(&o);
  const char *t = write_tmp("two.csv", "a\n", (size_t)-1);
  CHECK_OK(read_one(t, &o, &b, &err));
  if (b.release) b.release(&b);
  /* split across reads: one byte, a pause, the rest */
  FILE *f = popen("{ printf '\\357'; sleep 0.2; printf '\\273\\277k\\n7\\n'; }", "r");
  CHECK(f != NULL);
  if (!f) return;
  int saved = dup(STDIN_FILENO);
  dup2(fileno(f), STDIN_FILENO);
  r = NULL;
  CHECK_OK(prestige_text_reader_open(&r, "-", &o, &err));
  if (r) {
    CHECK_EQ_STR(prestige_text_reader_schema(r)->children[0]->name, "k");
    CHECK_OK(prestige_text_reader_next(r, &b, &err));
    if (b.release) {
      CHECK_EQ_INT(((const int64_t *)b.children[0]->buffers[1])[0], 7);
      b.release(&b);
    }
    prestige_text_reader_close(r);
  }
  dup2(saved, STDIN_FILENO);
  close(saved);
  pclose(f);
}

/* JSON numbers kept as text (a string column, an object's JSON text) are the shortest text of
 * the value: 0.1, not jansson's 0.10000000000000001. */
TEST(test_json_numbers_as_text) {
  prestige_error_t err;
  prestige_text_options_t o;
  prestige_text_options_init(&o);
  o.format = PRESTIGE_TEXT_JSONL;
  struct ArrowArray b;
  const char *p = write_tmp("nums.jsonl", "{\"a\":0.1,\"b\":{\"x\":0.1,\"y\":[28.81,2]}}\n{\"a\":\"s\",\"b\":null}\n", (size_t)-1);
  CHECK_OK(read_one(p, &o, &b, &err));
  if (b.release) {
    CHECK_EQ_STR(str_at(b.children[0], 0), "0.1");
    CHECK_EQ_STR(str_at(b.children[1], 0), "{\"x\":0.1,\"y\":[28.81,2]}");
    b.release(&b);
  }
}

TEST_MAIN(RUN(test_csv_header_by_name); RUN(test_json_numbers_as_text); RUN(test_inference_like_duckdb); RUN(test_byte_order_mark); RUN(test_required_columns); RUN(test_duplicates); RUN(test_json_keys_not_in_schema); RUN(test_utf8);
          RUN(test_epoch_timestamps); RUN(test_streaming_pipe); RUN(test_streaming_csv_split_writes); RUN(test_streaming_aligned_writes);
          RUN(test_utf8_validator);)
