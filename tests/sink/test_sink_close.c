/* The sink's close order (issue 13 item 15): close refuses (PRESTIGE_EBUSY) while clients are
 * alive and leaves the sink open and usable, so no client call can reach a freed sink; once every
 * client is freed, close commits everything they wrote. And the ownership of a batch handed to
 * prestige_sink_write_batch: moved, also when the call fails. Run under ASan/LSan: a
 * use-after-free or a leaked batch fails the test. */
#include <dirent.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "prestige/parquet_reader.h"
#include "prestige/sink.h"
#include "prestige/text.h"
#include "test.h"

#define EV(F) \
  F(id, I64)  \
  F(name, STRING)
PRESTIGE_RECORD(ev, EV)

static int64_t rows_in(const char *dir) {
  DIR *d = opendir(dir);
  struct dirent *e;
  int64_t total = 0;
  while (d && (e = readdir(d))) {
    size_t l = strlen(e->d_name);
    if (l < 8 || strcmp(e->d_name + l - 8, ".parquet")) continue;
    char p[2048];
    snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
    prestige_parquet_reader_t *r;
    prestige_error_t err;
    CHECK_OK(prestige_parquet_reader_open_file(&r, p, NULL, &err));
    if (r) {
      total += prestige_parquet_reader_num_rows(r);
      prestige_parquet_reader_close(r);
    }
  }
  if (d) closedir(d);
  return total;
}

TEST(close_refuses_while_clients_live) {
  char dir[1100];
  snprintf(dir, sizeof dir, "%s/busy", test_tmpdir());
  prestige_error_t err;
  prestige_sink_options_t o = PRESTIGE_SINK_OPTIONS_INIT;
  o.name = "ev";
  o.dir = dir;
  prestige_sink_t *s;
  CHECK_OK(prestige_sink_open(&s, &o, ev_record(), NULL, &err));
  CHECK_OK(prestige_sink_start(s, &err));
  prestige_sink_client_t *a = prestige_sink_client_new(s), *b = prestige_sink_client_new(s);
  CHECK(a && b);
  ev_t e = {.id = 1, .name = {"x", 1}};
  CHECK_OK(prestige_sink_write(a, &e, &err));
  CHECK_ERR(prestige_sink_close(s, NULL, &err), PRESTIGE_EBUSY, "2 clients are alive");
  CHECK(strstr(err.message, "prestige_sink_client_free") != NULL);
  /* still open: both clients work */
  e.id = 2;
  CHECK_OK(prestige_sink_write(b, &e, &err));
  CHECK_OK(prestige_sink_client_free(b, &err));
  CHECK_ERR(prestige_sink_close(s, NULL, NULL), PRESTIGE_EBUSY, ""); /* NULL err: the real code */
  CHECK_ERR(prestige_sink_close(s, NULL, &err), PRESTIGE_EBUSY, "1 client is alive");
  prestige_sink_manifest_t m;
  e.id = 3;
  CHECK_OK(prestige_sink_write(a, &e, &err));
  CHECK_OK(prestige_sink_commit(a, &m, &err));
  CHECK_EQ_INT(m.rows, 3);
  prestige_sink_manifest_release(&m);
  e.id = 4;
  CHECK_OK(prestige_sink_write(a, &e, &err)); /* buffered in the client: free hands it over */
  CHECK_OK(prestige_sink_client_free(a, &err));
  CHECK_OK(prestige_sink_close(s, NULL, &err));
  CHECK_EQ_INT(rows_in(dir), 4);
}

/* A sink that never started (close commits inline) refuses the same way. */
TEST(close_refuses_unstarted) {
  char dir[1100];
  snprintf(dir, sizeof dir, "%s/unstarted", test_tmpdir());
  prestige_error_t err;
  prestige_sink_options_t o = PRESTIGE_SINK_OPTIONS_INIT;
  o.name = "ev";
  o.dir = dir;
  prestige_sink_t *s;
  CHECK_OK(prestige_sink_open(&s, &o, ev_record(), NULL, &err));
  prestige_sink_client_t *a = prestige_sink_client_new(s);
  ev_t e = {.id = 1, .name = {"y", 1}};
  CHECK_OK(prestige_sink_write(a, &e, &err));
  CHECK_ERR(prestige_sink_close(s, NULL, &err), PRESTIGE_EBUSY, "1 client is alive");
  CHECK_OK(prestige_sink_client_free(a, &err));
  CHECK_OK(prestige_sink_close(s, NULL, &err));
  CHECK_EQ_INT(rows_in(dir), 1);
}

/* Producers on their threads, close from the main thread once they are done. */
typedef struct {
  prestige_sink_client_t *c;
  int fails;
} prod_t;
static void *produce(void *arg) {
  prod_t *p = arg;
  prestige_error_t err;
  for (int i = 0; i < 5000; i++) {
    ev_t e = {.id = i, .name = {"p", 1}};
    if (prestige_sink_write(p->c, &e, &err)) p->fails++;
  }
  if (prestige_sink_client_free(p->c, &err)) p->fails++;
  return NULL;
}
TEST(close_after_producers_free) {
  char dir[1100];
  snprintf(dir, sizeof dir, "%s/threads", test_tmpdir());
  prestige_error_t err;
  prestige_sink_options_t o = PRESTIGE_SINK_OPTIONS_INIT;
  o.name = "ev";
  o.dir = dir;
  o.batch_size = 100;
  prestige_sink_t *s;
  CHECK_OK(prestige_sink_open(&s, &o, ev_record(), NULL, &err));
  CHECK_OK(prestige_sink_start(s, &err));
  prod_t p[4];
  pthread_t th[4];
  for (int i = 0; i < 4; i++) {
    p[i] = (prod_t){prestige_sink_client_new(s), 0};
    CHECK(p[i].c != NULL);
    pthread_create(&th[i], NULL, produce, &p[i]);
  }
  /* close while producers run: refused until the last one has freed its client */
  int busy = 0, rc;
  while ((rc = prestige_sink_close(s, NULL, &err)) == PRESTIGE_EBUSY) {
    busy++;
    usleep(1000);
  }
  CHECK_OK(rc);
  for (int i = 0; i < 4; i++) {
    pthread_join(th[i], NULL);
    CHECK_EQ_INT(p[i].fails, 0);
  }
  CHECK(busy > 0);
  CHECK_EQ_INT(rows_in(dir), 20000);
}

/* write_batch moves the batch: released (release == NULL) after success and after every failure;
 * a failed batch adds no row. LSan reports a batch that was neither taken nor released. */
TEST(write_batch_moves_on_error) {
  char dir[1100];
  snprintf(dir, sizeof dir, "%s/batches", test_tmpdir());
  prestige_error_t err;
  struct ArrowSchema schema, other;
  CHECK_OK(prestige_text_parse_schema("id:int64,name:string", &schema, &err));
  CHECK_OK(prestige_text_parse_schema("id:string", &other, &err));
  prestige_sink_options_t o = PRESTIGE_SINK_OPTIONS_INIT;
  o.name = "b";
  o.dir = dir;
  prestige_sink_t *s;
  CHECK_OK(prestige_sink_open(&s, &o, NULL, &schema, &err));
  CHECK_OK(prestige_sink_start(s, &err));
  prestige_sink_client_t *c = prestige_sink_client_new(s);
  char csv[1100];
  snprintf(csv, sizeof csv, "%s/in.csv", test_tmpdir());
  FILE *f = fopen(csv, "w");
  fputs("id,name\n1,a\n2,b\n3,c\n", f);
  fclose(f);
  /* a good batch, and a batch of another schema */
  for (int k = 0; k < 2; k++) {
    prestige_text_options_t to = PRESTIGE_TEXT_OPTIONS_INIT;
    to.schema = k == 0 ? "id:int64,name:string" : "id:string,name:string";
    prestige_text_reader_t *r;
    CHECK_OK(prestige_text_reader_open(&r, csv, &to, &err));
    struct ArrowArray b;
    CHECK_OK(prestige_text_reader_next(r, &b, &err));
    CHECK(b.release != NULL);
    if (k == 0) CHECK_OK(prestige_sink_write_batch(c, &b, &err));
    else CHECK_ERR(prestige_sink_write_batch(c, &b, &err), PRESTIGE_EINVAL, "does not match the schema");
    CHECK(b.release == NULL);
    prestige_text_reader_close(r);
  }
  /* a released batch and a NULL one are refused */
  struct ArrowArray gone = {0};
  CHECK_ERR(prestige_sink_write_batch(c, &gone, &err), PRESTIGE_EINVAL, "already released");
  CHECK_ERR(prestige_sink_write_batch(c, NULL, &err), PRESTIGE_EINVAL, "batch is NULL");
  CHECK_OK(prestige_sink_client_free(c, &err));
  CHECK_OK(prestige_sink_close(s, NULL, &err));
  CHECK_EQ_INT(rows_in(dir), 3);
  schema.release(&schema);
  other.release(&other);
}

TEST_MAIN(RUN(close_refuses_while_clients_live); RUN(close_refuses_unstarted); RUN(close_after_producers_free);
          RUN(write_batch_moves_on_error);)
