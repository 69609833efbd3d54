#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "prestige/io.h"
#include "prestige/parquet_reader.h"

int cli_reader_threads = 0;

static int reader_threads(void) {
  if (cli_reader_threads > 0) return cli_reader_threads;
  return cli_core_count(64);
}

int cli_open_parquet_stream(const char *verb, const char *file, char *cols, int64_t batch_rows,
                            const struct prestige_predicate *filter, struct prestige_parquet_reader **reader, struct ArrowArrayStream *st,
                            struct ArrowSchema *schema) {
  prestige_parquet_reader_options_t o;
  prestige_parquet_reader_options_init(&o);
  o.filter = filter;
  o.threads = reader_threads();
  if (batch_rows > 0) o.batch_rows = batch_rows;
  const char *names[256];
  int n_names = 0;
  if (cols) {
    char *save = NULL;
    for (char *t = strtok_r(cols, ",", &save); t && n_names < 256; t = strtok_r(NULL, ",", &save)) names[n_names++] = t;
    o.columns = names;
    o.n_columns = n_names;
  }
  prestige_error_t err;
  prestige_error_init(&err);
  prestige_parquet_reader_t *r;
  prestige_input_t in;
  if (cli_open_input(file, &in, &err)) return cli_fail(verb, &err);
  if (prestige_parquet_reader_open(&r, &in, &o, &err)) /* EINVAL: the filter does not fit the file's columns */
    return err.code == PRESTIGE_EINVAL ? cli_usage_error(cli_find(verb), "%s", err.message) : cli_fail(verb, &err);
  if (reader) *reader = r;
  if (prestige_parquet_reader_stream(r, st, &err)) return cli_fail(verb, &err);
  if (st->get_schema(st, schema)) {
    fprintf(stderr, "prestige %s: %s\n", verb, st->get_last_error(st));
    st->release(st);
    return CLI_USER_ERROR;
  }
  return CLI_OK;
}
