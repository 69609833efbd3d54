/* Typed records to and from Parquet files. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arrow/stream.h"
#include "prestige/records.h"

enum { RECORD_BATCH = 65536 };

int prestige_record_write_file(const prestige_record_desc_t *d, const char *path, const void *records, size_t n,
                               const prestige_parquet_writer_options_t *opts, prestige_error_t *err) {
  struct ArrowSchema schema;
  PRESTIGE_TRY(prestige_record_schema(d, &schema, err));
  char tmp[4096];
  snprintf(tmp, sizeof(tmp), "%s.tmp-%d", path, (int)getpid());
  prestige_parquet_writer_t *w;
  int rc = prestige_parquet_writer_open_file(&w, tmp, &schema, opts, err);
  for (size_t i = 0; !rc && i < n; i += RECORD_BATCH) {
    size_t k = n - i < RECORD_BATCH ? n - i : RECORD_BATCH;
    struct ArrowArray batch;
    rc = prestige_record_to_arrow(d, (const uint8_t *)records + i * d->size, k, &batch, err);
    if (!rc) {
      rc = prestige_parquet_writer_write(w, &batch, err);
      batch.release(&batch);
    }
  }
  if (rc) {
    if (w) prestige_parquet_writer_abort(w);
  } else {
    rc = prestige_parquet_writer_close(w, NULL, err);
    if (!rc && rename(tmp, path) != 0) {
      rc = prestige_error_set(err, PRESTIGE_EIO, "renaming %s to %s: %s", tmp, path, strerror(errno));
      unlink(tmp);
    }
  }
  prestige_schema_release(&schema);
  return rc;
}

int prestige_record_read_file(const prestige_record_desc_t *d, const char *path, const prestige_record_read_options_t *opts,
                              prestige_records_t *out, prestige_error_t *err) {
  PRESTIGE_TRY(prestige_record_validate(d, err));
  prestige_parquet_reader_t *r;
  PRESTIGE_TRY(prestige_parquet_reader_open_file(&r, path, NULL, err));
  /* read only the record's columns: those missing from the file are reported by from_arrow */
  struct ArrowSchema full;
  int rc = prestige_parquet_reader_schema(r, &full, err);
  const char **names = rc ? NULL : calloc(d->n_fields + 1, sizeof(char *));
  size_t nn = 0;
  for (size_t i = 0; names && i < d->n_fields; i++)
    for (int64_t c = 0; c < full.n_children; c++)
      if (full.children[c]->name && !strcmp(full.children[c]->name, d->fields[i].name)) names[nn++] = d->fields[i].name;
  prestige_schema_release(&full);
  prestige_parquet_reader_close(r);
  if (!rc && !names) rc = prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
  prestige_parquet_reader_options_t ro;
  prestige_parquet_reader_options_init(&ro);
  ro.columns = names;
  ro.n_columns = (int64_t)nn;
  ro.batch_rows = RECORD_BATCH;
  if (!rc) rc = prestige_parquet_reader_open_file(&r, path, &ro, err);
  struct ArrowArrayStream st = {0};
  if (!rc) rc = prestige_parquet_reader_stream(r, &st, err);
  struct ArrowSchema schema = {0};
  int src = rc ? 0 : st.get_schema(&st, &schema);
  if (src) rc = arrow_stream_fail(&st, src, NULL, err);
  while (!rc) {
    struct ArrowArray b;
    if ((src = st.get_next(&st, &b))) {
      rc = arrow_stream_fail(&st, src, NULL, err);
      break;
    }
    if (!b.release) break;
    rc = prestige_record_from_arrow(d, &schema, &b, opts, out, err);
    b.release(&b);
  }
  if (rc && !strstr(err->message, path)) prestige_error_prefix(err, "%s", path);
  prestige_schema_release(&schema);
  if (st.release) st.release(&st);
  free(names);
  return rc;
}
