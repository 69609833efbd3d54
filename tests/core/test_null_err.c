/* The error contract: every public opener and constructor accepts err = NULL, does not crash, and
 * returns the same (real) code as with an error to fill, never PRESTIGE_EINTERNAL; options structs
 * with an unknown version are refused with a message naming the struct; options out of range
 * with a message naming the field (never clamped). */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "prestige/prestige.h"
#include "test.h"

#define REC(F) F(id, I64)
PRESTIGE_RECORD(rec, REC)

static char path_missing[1024], path_garbage[1024], path_csv[1024], dir_ok[1024];

static struct ArrowSchema schema_ok;

/* Every case runs twice: err and NULL. */
typedef int (*case_fn)(prestige_error_t *err);

/* ---- the cases ---------------------------------------------------------------------------------- */
static int c_reader_missing(prestige_error_t *err) {
  prestige_parquet_reader_t *r = NULL;
  int rc = prestige_parquet_reader_open_file(&r, path_missing, NULL, err);
  if (r) prestige_parquet_reader_close(r);
  return rc;
}
static int c_reader_garbage(prestige_error_t *err) {
  prestige_parquet_reader_t *r = NULL;
  int rc = prestige_parquet_reader_open_file(&r, path_garbage, NULL, err);
  if (r) prestige_parquet_reader_close(r);
  return rc;
}
static int c_reader_version(prestige_error_t *err) {
  prestige_parquet_reader_options_t o = PRESTIGE_PARQUET_READER_OPTIONS_INIT;
  o.version = 0;
  prestige_parquet_reader_t *r = NULL;
  int rc = prestige_parquet_reader_open_file(&r, path_garbage, &o, err);
  if (r) prestige_parquet_reader_close(r);
  return rc;
}
static int c_reader_batch_rows(prestige_error_t *err) {
  prestige_parquet_reader_options_t o = PRESTIGE_PARQUET_READER_OPTIONS_INIT;
  o.batch_rows = 0;
  prestige_parquet_reader_t *r = NULL;
  int rc = prestige_parquet_reader_open_file(&r, path_garbage, &o, err);
  if (r) prestige_parquet_reader_close(r);
  return rc;
}
static int c_reader_open_memory(prestige_error_t *err) {
  static const char junk[] = "PAR1 not really PAR1";
  prestige_input_t in;
  int rc = prestige_input_open_memory(&in, junk, sizeof junk - 1, "junk", err);
  if (rc) return rc;
  prestige_parquet_reader_t *r = NULL;
  rc = prestige_parquet_reader_open(&r, &in, NULL, err); /* closes in on failure */
  if (r) prestige_parquet_reader_close(r);
  return rc;
}
static int c_writer_dir(prestige_error_t *err) {
  prestige_parquet_writer_t *w = NULL;
  char p[1100];
  snprintf(p, sizeof p, "%s/no/such/dir/x.parquet", dir_ok);
  int rc = prestige_parquet_writer_open_file(&w, p, &schema_ok, NULL, err);
  if (w) prestige_parquet_writer_abort(w);
  return rc;
}
static int c_writer_version(prestige_error_t *err) {
  prestige_parquet_writer_options_t o = PRESTIGE_PARQUET_WRITER_OPTIONS_INIT;
  o.version = 99;
  prestige_parquet_writer_t *w = NULL;
  char p[1100];
  snprintf(p, sizeof p, "%s/v.parquet", dir_ok);
  int rc = prestige_parquet_writer_open_file(&w, p, &schema_ok, &o, err);
  if (w) prestige_parquet_writer_abort(w);
  return rc;
}
static int c_writer_column_version(prestige_error_t *err) {
  prestige_parquet_column_options_t co = PRESTIGE_PARQUET_COLUMN_OPTIONS_INIT;
  co.path = "id";
  co.version = 7;
  prestige_parquet_writer_options_t o = PRESTIGE_PARQUET_WRITER_OPTIONS_INIT;
  o.columns = &co;
  o.n_columns = 1;
  prestige_parquet_writer_t *w = NULL;
  char p[1100];
  snprintf(p, sizeof p, "%s/c.parquet", dir_ok);
  int rc = prestige_parquet_writer_open_file(&w, p, &schema_ok, &o, err);
  if (w) prestige_parquet_writer_abort(w);
  return rc;
}
static int c_writer_bad_schema(prestige_error_t *err) {
  struct ArrowSchema s = {0};
  prestige_parquet_writer_t *w = NULL;
  char p[1100];
  snprintf(p, sizeof p, "%s/s.parquet", dir_ok);
  int rc = prestige_parquet_writer_open_file(&w, p, &s, NULL, err);
  if (w) prestige_parquet_writer_abort(w);
  return rc;
}
static int c_text_missing(prestige_error_t *err) {
  prestige_text_reader_t *r = NULL;
  int rc = prestige_text_reader_open(&r, path_missing, NULL, err);
  if (r) prestige_text_reader_close(r);
  return rc;
}
static int c_text_version(prestige_error_t *err) {
  prestige_text_options_t o = PRESTIGE_TEXT_OPTIONS_INIT;
  o.version = 0;
  prestige_text_reader_t *r = NULL;
  int rc = prestige_text_reader_open(&r, path_csv, &o, err);
  if (r) prestige_text_reader_close(r);
  return rc;
}
static int c_text_batch_rows(prestige_error_t *err) {
  prestige_text_options_t o = PRESTIGE_TEXT_OPTIONS_INIT;
  o.batch_rows = -3;
  prestige_text_reader_t *r = NULL;
  int rc = prestige_text_reader_open(&r, path_csv, &o, err);
  if (r) prestige_text_reader_close(r);
  return rc;
}
static int c_text_bad_schema_row(prestige_error_t *err) {
  prestige_text_options_t o = PRESTIGE_TEXT_OPTIONS_INIT;
  o.schema = "a:int64,b:int64"; /* the file's second row has text in b */
  prestige_text_reader_t *r = NULL;
  int rc = prestige_text_reader_open(&r, path_csv, &o, err);
  while (!rc) {
    struct ArrowArray b;
    rc = prestige_text_reader_next(r, &b, err);
    if (rc || !b.release) break;
    b.release(&b);
  }
  if (r) prestige_text_reader_close(r);
  return rc;
}
static int c_text_parse_schema(prestige_error_t *err) {
  struct ArrowSchema s;
  int rc = prestige_text_parse_schema("a:nonsense", &s, err);
  if (!rc) s.release(&s);
  return rc;
}
static int c_source_version(prestige_error_t *err) {
  prestige_source_options_t o = PRESTIGE_SOURCE_OPTIONS_INIT;
  o.version = 3;
  const char *paths[] = {path_garbage};
  struct ArrowArrayStream s;
  int rc = prestige_source(&s, paths, 1, &o, err);
  if (!rc) s.release(&s);
  return rc;
}
static int c_source_read_ahead(prestige_error_t *err) {
  prestige_source_options_t o = PRESTIGE_SOURCE_OPTIONS_INIT;
  o.read_ahead = 0;
  const char *paths[] = {path_garbage};
  struct ArrowArrayStream s;
  int rc = prestige_source(&s, paths, 1, &o, err);
  if (!rc) s.release(&s);
  return rc;
}
static int c_store_local_missing(prestige_error_t *err) {
  prestige_store_t *st = NULL;
  int rc = prestige_store_open_local(&st, path_garbage, err); /* a file, not a directory */
  if (st) prestige_store_free(st);
  return rc;
}
static int c_store_url(prestige_error_t *err) {
  prestige_store_t *st = NULL;
  int rc = prestige_store_open(&st, "ftp://nowhere/x", NULL, err);
  if (st) prestige_store_free(st);
  return rc;
}
static int c_s3_bad_endpoint(prestige_error_t *err) {
  prestige_s3_config_t cfg = PRESTIGE_S3_CONFIG_INIT;
  cfg.endpoint = "not a url";
  cfg.access_key = "a";
  cfg.secret_key = "b";
  cfg.region = "us-east-1";
  prestige_s3_client_t *c = NULL;
  int rc = prestige_s3_client_new(&c, &cfg, err);
  if (c) prestige_s3_client_free(c);
  return rc;
}
static int c_s3_version(prestige_error_t *err) {
  prestige_s3_config_t cfg = PRESTIGE_S3_CONFIG_INIT;
  cfg.version = 0;
  prestige_s3_client_t *c = NULL;
  int rc = prestige_s3_client_new(&c, &cfg, err);
  if (c) prestige_s3_client_free(c);
  return rc;
}
static int c_s3_retries(prestige_error_t *err) {
  prestige_s3_config_t cfg = PRESTIGE_S3_CONFIG_INIT;
  cfg.max_retries = -1;
  prestige_s3_client_t *c = NULL;
  int rc = prestige_s3_client_new(&c, &cfg, err);
  if (c) prestige_s3_client_free(c);
  return rc;
}
static int c_s3_url_split(prestige_error_t *err) {
  char bucket[8];
  const char *rest;
  return prestige_s3_url_split("s3:/x", bucket, sizeof bucket, &rest, err);
}
static prestige_store_t *local_store(void) {
  prestige_store_t *st = NULL;
  prestige_error_t e;
  CHECK_MSG(prestige_store_open_local(&st, dir_ok, &e) == 0, "local store: %s", e.message);
  return st;
}
static int upload_with(prestige_upload_options_t *o, prestige_error_t *err) {
  prestige_store_t *st = local_store();
  prestige_file_upload_t *up = NULL;
  int rc = prestige_file_upload_new(&up, st, o, err);
  if (up) {
    prestige_file_upload_shutdown(up, -1, NULL, NULL, NULL);
    prestige_file_upload_free(up);
  }
  prestige_store_free(st);
  return rc;
}
static int c_upload_version(prestige_error_t *err) {
  prestige_upload_options_t o = PRESTIGE_UPLOAD_OPTIONS_INIT;
  o.version = 2;
  return upload_with(&o, err);
}
static int c_upload_workers(prestige_error_t *err) {
  prestige_upload_options_t o = PRESTIGE_UPLOAD_OPTIONS_INIT;
  o.workers = 65;
  return upload_with(&o, err);
}
static int c_upload_queue(prestige_error_t *err) {
  prestige_upload_options_t o = PRESTIGE_UPLOAD_OPTIONS_INIT;
  o.queue_capacity = 0;
  return upload_with(&o, err);
}
static int c_upload_attempts(prestige_error_t *err) {
  prestige_upload_options_t o = PRESTIGE_UPLOAD_OPTIONS_INIT;
  o.max_attempts = 0;
  return upload_with(&o, err);
}
static int sink_with(prestige_sink_options_t *o, prestige_error_t *err) {
  o->name = "s";
  o->dir = dir_ok;
  prestige_sink_t *s = NULL;
  int rc = prestige_sink_open(&s, o, rec_record(), NULL, err);
  if (s) prestige_sink_close(s, NULL, NULL);
  return rc;
}
static int c_sink_version(prestige_error_t *err) {
  prestige_sink_options_t o = PRESTIGE_SINK_OPTIONS_INIT;
  o.version = 0;
  return sink_with(&o, err);
}
static int c_sink_batch_size(prestige_error_t *err) {
  prestige_sink_options_t o = PRESTIGE_SINK_OPTIONS_INIT;
  o.batch_size = 0;
  return sink_with(&o, err);
}
static int c_sink_queue(prestige_error_t *err) {
  prestige_sink_options_t o = PRESTIGE_SINK_OPTIONS_INIT;
  o.queue_capacity = 0;
  return sink_with(&o, err);
}
static int c_sink_writer_option(prestige_error_t *err) {
  prestige_sink_options_t o = PRESTIGE_SINK_OPTIONS_INIT;
  o.writer.row_group_rows = 0;
  return sink_with(&o, err);
}
static int c_sink_writer_version(prestige_error_t *err) {
  prestige_sink_options_t o = PRESTIGE_SINK_OPTIONS_INIT;
  o.writer.version = 0;
  return sink_with(&o, err);
}
static int c_sink_no_dir(prestige_error_t *err) {
  prestige_sink_options_t o = PRESTIGE_SINK_OPTIONS_INIT;
  o.name = "s";
  prestige_sink_t *s = NULL;
  int rc = prestige_sink_open(&s, &o, rec_record(), NULL, err);
  if (s) prestige_sink_close(s, NULL, NULL);
  return rc;
}
static int c_poller_version(prestige_error_t *err) {
  prestige_store_t *st = local_store();
  prestige_poller_config_t c = PRESTIGE_POLLER_CONFIG_INIT;
  c.version = 0;
  c.store = st;
  c.file_type = "x/";
  prestige_poller_t *p = NULL;
  int rc = prestige_poller_start(&p, &c, NULL, err);
  if (p) prestige_poller_free(p);
  prestige_store_free(st);
  return rc;
}
static int c_poller_queue(prestige_error_t *err) {
  prestige_store_t *st = local_store();
  prestige_poller_config_t c = PRESTIGE_POLLER_CONFIG_INIT;
  c.store = st;
  c.file_type = "x/";
  c.queue_capacity = 0;
  prestige_poller_t *p = NULL;
  int rc = prestige_poller_start(&p, &c, NULL, err);
  if (p) prestige_poller_free(p);
  prestige_store_free(st);
  return rc;
}
static int c_state_store(prestige_error_t *err) {
  prestige_state_store_t *s = NULL;
  char spec[1200];
  snprintf(spec, sizeof spec, "sqlite:%s/no/such/dir/state.db", dir_ok);
  int rc = prestige_state_store_open(&s, spec, err);
  if (s) prestige_state_store_free(s);
  return rc;
}
static int c_record_read_missing(prestige_error_t *err) {
  prestige_records_t out = {0};
  int rc = prestige_record_read_file(rec_record(), path_missing, NULL, &out, err);
  prestige_records_release(&out);
  return rc;
}
static int c_record_read_version(prestige_error_t *err) {
  prestige_record_read_options_t o = PRESTIGE_RECORD_READ_OPTIONS_INIT;
  o.version = 5;
  prestige_records_t out = {0};
  int rc = prestige_record_read_file(rec_record(), path_missing, &o, &out, err);
  prestige_records_release(&out);
  return rc;
}
static int c_record_write_dir(prestige_error_t *err) {
  rec_t r = {.id = 1};
  char p[1100];
  snprintf(p, sizeof p, "%s/no/such/dir/r.parquet", dir_ok);
  return prestige_record_write_file(rec_record(), p, &r, 1, NULL, err);
}
static int c_predicate_parse(prestige_error_t *err) {
  prestige_predicate_t *p = NULL;
  int rc = prestige_predicate_parse("a >", &p, err);
  if (p) prestige_predicate_free(p);
  return rc;
}
static int c_predicate_bind(prestige_error_t *err) {
  prestige_predicate_t *p = NULL;
  prestige_error_t e;
  CHECK_MSG(prestige_predicate_parse("nope = 1", &p, &e) == 0, "parse: %s", e.message);
  prestige_bound_predicate_t *b = NULL;
  int rc = prestige_predicate_bind(p, &schema_ok, &b, err);
  if (b) prestige_bound_predicate_free(b);
  prestige_predicate_free(p);
  return rc;
}
static int c_input_missing(prestige_error_t *err) {
  prestige_input_t in;
  int rc = prestige_input_open_file(&in, path_missing, err);
  if (!rc) in.close(in.ctx);
  return rc;
}
static int c_output_dir(prestige_error_t *err) {
  prestige_output_t out;
  char p[1100];
  snprintf(p, sizeof p, "%s/no/such/dir/o", dir_ok);
  int rc = prestige_output_open_file(&out, p, err);
  if (!rc) out.abort(out.ctx);
  return rc;
}
static int c_compression_parse(prestige_error_t *err) {
  prestige_compression_t c;
  return prestige_compression_parse("zstd:99", &c, err);
}
static int c_builder_bad_schema(prestige_error_t *err) {
  struct ArrowSchema s = {0};
  prestige_array_builder_t *b = NULL;
  int rc = prestige_array_builder_new(&b, &s, err);
  if (b) prestige_array_builder_free(b);
  return rc;
}
static int c_metrics_bad_address(prestige_error_t *err) {
  int rc = prestige_metrics_serve_at("not-an-address", 0, NULL, err);
  if (!rc) prestige_metrics_serve_stop();
  return rc;
}
static int c_catalog_bad_uri(prestige_error_t *err) {
  prestige_iceberg_catalog_options_t o = PRESTIGE_ICEBERG_CATALOG_OPTIONS_INIT;
  o.uri = "nonsense://x";
  prestige_iceberg_catalog_t *c = NULL;
  int rc = prestige_iceberg_catalog_open(&c, &o, err);
  if (c) prestige_iceberg_catalog_close(c);
  return rc;
}
static int c_catalog_version(prestige_error_t *err) {
  prestige_iceberg_catalog_options_t o = PRESTIGE_ICEBERG_CATALOG_OPTIONS_INIT;
  o.version = 0;
  o.uri = "sqlite::memory:";
  prestige_iceberg_catalog_t *c = NULL;
  int rc = prestige_iceberg_catalog_open(&c, &o, err);
  if (c) prestige_iceberg_catalog_close(c);
  return rc;
}

typedef struct {
  const char *name;
  case_fn fn;
  int want;           /* expected code; -1: any failure */
  const char *substr; /* in the message (NULL: anything) */
} case_t;

static const case_t cases[] = {
    {"reader: missing file", c_reader_missing, PRESTIGE_ENOTFOUND, NULL},
    {"reader: not Parquet", c_reader_garbage, PRESTIGE_ECORRUPT, NULL},
    {"reader: options version", c_reader_version, PRESTIGE_EINVAL, "prestige_parquet_reader_options_t"},
    {"reader: batch_rows 0", c_reader_batch_rows, PRESTIGE_EINVAL, "batch_rows"},
    {"reader: memory input", c_reader_open_memory, PRESTIGE_ECORRUPT, NULL},
    {"writer: missing directory", c_writer_dir, -1, NULL},
    {"writer: options version", c_writer_version, PRESTIGE_EINVAL, "prestige_parquet_writer_options_t"},
    {"writer: column options version", c_writer_column_version, PRESTIGE_EINVAL, "columns[0]"},
    {"writer: bad schema", c_writer_bad_schema, -1, NULL},
    {"text: missing file", c_text_missing, PRESTIGE_ENOTFOUND, NULL},
    {"text: options version", c_text_version, PRESTIGE_EINVAL, "prestige_text_options_t"},
    {"text: batch_rows", c_text_batch_rows, PRESTIGE_EINVAL, "batch_rows"},
    {"text: bad value", c_text_bad_schema_row, -1, "line"},
    {"text: schema text", c_text_parse_schema, PRESTIGE_EINVAL, NULL},
    {"source: options version", c_source_version, PRESTIGE_EINVAL, "prestige_source_options_t"},
    {"source: read_ahead", c_source_read_ahead, PRESTIGE_EINVAL, "read_ahead"},
    {"store: missing directory", c_store_local_missing, -1, NULL},
    {"store: bad URL", c_store_url, PRESTIGE_EINVAL, NULL},
    {"s3: bad endpoint", c_s3_bad_endpoint, PRESTIGE_EINVAL, "endpoint"},
    {"s3: config version", c_s3_version, PRESTIGE_EINVAL, "prestige_s3_config_t"},
    {"s3: max_retries", c_s3_retries, PRESTIGE_EINVAL, "max_retries"},
    {"s3: URL split", c_s3_url_split, PRESTIGE_EINVAL, NULL},
    {"upload: options version", c_upload_version, PRESTIGE_EINVAL, "prestige_upload_options_t"},
    {"upload: workers", c_upload_workers, PRESTIGE_EINVAL, "workers"},
    {"upload: queue_capacity", c_upload_queue, PRESTIGE_EINVAL, "queue_capacity"},
    {"upload: max_attempts", c_upload_attempts, PRESTIGE_EINVAL, "max_attempts"},
    {"sink: options version", c_sink_version, PRESTIGE_EINVAL, "prestige_sink_options_t"},
    {"sink: batch_size", c_sink_batch_size, PRESTIGE_EINVAL, "batch_size"},
    {"sink: queue_capacity", c_sink_queue, PRESTIGE_EINVAL, "queue_capacity"},
    {"sink: writer option", c_sink_writer_option, PRESTIGE_EINVAL, "row_group_rows"},
    {"sink: writer options version", c_sink_writer_version, PRESTIGE_EINVAL, "prestige_parquet_writer_options_t"},
    {"sink: no dir", c_sink_no_dir, PRESTIGE_EINVAL, "dir"},
    {"poller: config version", c_poller_version, PRESTIGE_EINVAL, "prestige_poller_config_t"},
    {"poller: queue_capacity", c_poller_queue, PRESTIGE_EINVAL, "queue_capacity"},
    {"state store: bad path", c_state_store, -1, NULL},
    {"records: missing file", c_record_read_missing, PRESTIGE_ENOTFOUND, NULL},
    {"records: read options version", c_record_read_version, PRESTIGE_EINVAL, "prestige_record_read_options_t"},
    {"records: write to a missing directory", c_record_write_dir, -1, NULL},
    {"predicate: parse", c_predicate_parse, PRESTIGE_EINVAL, NULL},
    {"predicate: bind unknown column", c_predicate_bind, PRESTIGE_EINVAL, "nope"},
    {"input: missing file", c_input_missing, PRESTIGE_ENOTFOUND, NULL},
    {"output: missing directory", c_output_dir, -1, NULL},
    {"compression: bad level", c_compression_parse, PRESTIGE_EINVAL, NULL},
    {"builder: bad schema", c_builder_bad_schema, -1, NULL},
    {"metrics: bad address", c_metrics_bad_address, -1, NULL},
    {"iceberg catalog: bad URI", c_catalog_bad_uri, -1, NULL},
    {"iceberg catalog: options version", c_catalog_version, PRESTIGE_EINVAL, "version"},
};

TEST(every_opener_with_null_err) {
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const case_t *c = &cases[i];
    prestige_error_t err;
    prestige_error_init(&err);
    int with = c->fn(&err);
    int without = c->fn(NULL);
    CHECK_MSG(with != 0, "%s: succeeded", c->name);
    CHECK_MSG(with != PRESTIGE_EINTERNAL, "%s: EINTERNAL (%s)", c->name, err.message);
    CHECK_MSG(err.code == with, "%s: returned %s but err.code is %s", c->name, prestige_code_name(with),
              prestige_code_name(err.code));
    CHECK_MSG(err.message[0] != 0, "%s: empty message", c->name);
    if (c->want >= 0)
      CHECK_MSG(with == c->want, "%s: returned %s, wanted %s (%s)", c->name, prestige_code_name(with),
                prestige_code_name(c->want), err.message);
    if (c->substr) CHECK_MSG(strstr(err.message, c->substr) != NULL, "%s: message \"%s\" lacks \"%s\"", c->name, err.message, c->substr);
    CHECK_MSG(without == with, "%s: with err = NULL returned %s, with an error %s", c->name, prestige_code_name(without),
              prestige_code_name(with));
  }
}

/* Every _init function equals its INIT macro, byte for byte in the fields (a default changed in
 * one place only would make the two ways of starting disagree). */
TEST(init_functions_match_macros) {
  {
    prestige_parquet_writer_options_t a = PRESTIGE_PARQUET_WRITER_OPTIONS_INIT, b;
    prestige_parquet_writer_options_init(&b);
    CHECK(a.version == b.version && a.row_group_rows == b.row_group_rows && a.row_group_bytes == b.row_group_bytes &&
          a.data_page_bytes == b.data_page_bytes && a.dictionary_page_bytes == b.dictionary_page_bytes &&
          a.compression == b.compression && a.compression_level == b.compression_level && a.dictionary == b.dictionary &&
          a.statistics == b.statistics && a.page_index == b.page_index && a.page_checksums == b.page_checksums &&
          a.data_page_version == b.data_page_version && a.max_statistics_bytes == b.max_statistics_bytes &&
          a.store_arrow_schema == b.store_arrow_schema);
  }
  {
    prestige_parquet_column_options_t a = PRESTIGE_PARQUET_COLUMN_OPTIONS_INIT, b;
    prestige_parquet_column_options_init(&b, "x");
    CHECK(a.version == b.version && a.encoding == b.encoding && a.compression == b.compression &&
          a.compression_level == b.compression_level && a.dictionary == b.dictionary && a.statistics == b.statistics &&
          !strcmp(b.path, "x"));
  }
  {
    prestige_sink_options_t a = PRESTIGE_SINK_OPTIONS_INIT, b;
    prestige_sink_options_init(&b);
    CHECK(a.version == b.version && a.batch_size == b.batch_size && a.max_rows == b.max_rows &&
          a.auto_commit == b.auto_commit && a.queue_capacity == b.queue_capacity &&
          a.writer.version == PRESTIGE_PARQUET_WRITER_OPTIONS_VERSION && b.writer.version == a.writer.version &&
          a.writer.row_group_rows == b.writer.row_group_rows && a.writer.compression == b.writer.compression);
  }
  {
    prestige_upload_options_t a = PRESTIGE_UPLOAD_OPTIONS_INIT, b;
    prestige_upload_options_init(&b);
    CHECK(a.version == b.version && a.workers == b.workers && a.queue_capacity == b.queue_capacity &&
          !strcmp(a.key_prefix, b.key_prefix) && a.max_attempts == b.max_attempts && a.retry_delay_ms == b.retry_delay_ms);
  }
  {
    prestige_s3_config_t a = PRESTIGE_S3_CONFIG_INIT, b;
    prestige_s3_config_init(&b);
    CHECK(a.version == b.version && a.force_path_style == b.force_path_style && a.part_size == b.part_size &&
          a.concurrency == b.concurrency && a.max_retries == b.max_retries && a.retry_base_ms == b.retry_base_ms &&
          a.retry_max_ms == b.retry_max_ms && a.connect_timeout_ms == b.connect_timeout_ms &&
          a.stall_timeout_ms == b.stall_timeout_ms);
  }
  {
    prestige_poller_config_t a = PRESTIGE_POLLER_CONFIG_INIT, b;
    prestige_poller_config_init(&b);
    CHECK(a.version == b.version && a.poll_interval_ms == b.poll_interval_ms && a.queue_capacity == b.queue_capacity &&
          a.lookback == b.lookback);
  }
  {
    prestige_source_options_t a = PRESTIGE_SOURCE_OPTIONS_INIT, b;
    prestige_source_options_init(&b);
    CHECK(a.version == b.version && a.read_ahead == b.read_ahead && a.concurrency == b.concurrency &&
          a.batch_rows == b.batch_rows);
  }
  {
    prestige_text_options_t a = PRESTIGE_TEXT_OPTIONS_INIT, b;
    prestige_text_options_init(&b);
    CHECK(a.version == b.version && a.format == b.format && a.delimiter == b.delimiter && a.header == b.header &&
          a.batch_rows == b.batch_rows && a.infer_rows == b.infer_rows);
  }
  {
    prestige_parquet_reader_options_t a = PRESTIGE_PARQUET_READER_OPTIONS_INIT, b;
    prestige_parquet_reader_options_init(&b);
    CHECK(a.version == b.version && a.batch_rows == b.batch_rows && a.footer_prefetch == b.footer_prefetch &&
          a.verify_checksums == b.verify_checksums && a.use_arrow_schema == b.use_arrow_schema &&
          a.use_page_index == b.use_page_index && a.filter_rows == b.filter_rows && a.max_page_bytes == b.max_page_bytes);
  }
  {
    prestige_record_read_options_t a = PRESTIGE_RECORD_READ_OPTIONS_INIT, b;
    prestige_record_read_options_init(&b);
    CHECK(a.version == b.version && a.allow_nullable == b.allow_nullable);
  }
}

TEST(error_prefix_without_err_keeps_the_code) {
  prestige_error_set(NULL, PRESTIGE_ENOTFOUND, "x");
  CHECK_EQ_INT(prestige_error_prefix(NULL, "ctx"), PRESTIGE_ENOTFOUND);
  CHECK_EQ_STR(prestige_code_name(PRESTIGE_EBUSY), "EBUSY");
}

static void setup(void) {
  snprintf(dir_ok, sizeof dir_ok, "%s", test_tmpdir());
  snprintf(path_missing, sizeof path_missing, "%s/missing.parquet", dir_ok);
  snprintf(path_garbage, sizeof path_garbage, "%s/garbage.parquet", dir_ok);
  snprintf(path_csv, sizeof path_csv, "%s/t.csv", dir_ok);
  FILE *f = fopen(path_garbage, "w");
  if (f) {
    fputs("this is not a parquet file, not even close to one, but long enough", f);
    fclose(f);
  }
  f = fopen(path_csv, "w");
  if (f) {
    fputs("a,b\n1,2\n3,x\n", f);
    fclose(f);
  }
  prestige_error_t err;
  CHECK_OK(prestige_text_parse_schema("id:int64", &schema_ok, &err));
}

TEST_MAIN(setup(); RUN(every_opener_with_null_err); RUN(init_functions_match_macros); RUN(error_prefix_without_err_keeps_the_code);
          schema_ok.release(&schema_ok);)
