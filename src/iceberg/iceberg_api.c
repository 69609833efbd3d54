/* The public table API (prestige/iceberg.h): appends and scans on a catalog's table handle, thin
 * wrappers over table_ops.h and scan.h. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arrow/predicate_internal.h"
#include "arrow/stream.h"
#include "core/buf.h"
#include "iceberg/partition.h"
#include "iceberg/lineage.h"
#include "iceberg/scan.h"
#include "iceberg/table.h"
#include "iceberg/table_ops.h"
#include "prestige/iceberg.h"
#include "prestige/parquet.h"

static int oom(prestige_error_t *err) { return prestige_error_set(err, PRESTIGE_ENOMEM, "iceberg: out of memory"); }

static int null_arg(const char *fn, const char *what, prestige_error_t *err) {
  return prestige_error_set(err, PRESTIGE_EINVAL, "%s: %s is NULL", fn, what);
}

/* ---- appends -------------------------------------------------------------------------------------- */

struct prestige_iceberg_append {
  prestige_iceberg_table_t *table;
  ice_io_t *io;
  ice_append_t *a;
  bool committed;
  bool failed; /* a write failed: only free is left */
};

void prestige_iceberg_append_options_init(prestige_iceberg_append_options_t *o) {
  if (!o) return;
  prestige_iceberg_append_options_t d = PRESTIGE_ICEBERG_APPEND_OPTIONS_INIT;
  *o = d;
}

void prestige_iceberg_append_result_release(prestige_iceberg_append_result_t *r) {
  if (!r) return;
  if (r->data_files)
    for (int64_t i = 0; i < r->added_files; i++) free(r->data_files[i]);
  free(r->data_files);
  memset(r, 0, sizeof *r);
}

static int validate_append_options(const prestige_iceberg_append_options_t *o, prestige_error_t *err) {
  if (o->version < 1 || o->version > PRESTIGE_ICEBERG_APPEND_OPTIONS_VERSION)
    return prestige_error_set(err, PRESTIGE_EINVAL,
                              "iceberg append options version %u not supported (this library knows 1 to %u); rebuild against this "
                              "header and start from PRESTIGE_ICEBERG_APPEND_OPTIONS_INIT",
                              o->version, PRESTIGE_ICEBERG_APPEND_OPTIONS_VERSION);
  if (o->version >= 2 && (o->threads < 1 || o->threads > PRESTIGE_PARQUET_WRITER_MAX_THREADS))
    return prestige_error_set(err, PRESTIGE_EINVAL, "iceberg append options: threads is %d (1 to %d)", o->threads,
                              PRESTIGE_PARQUET_WRITER_MAX_THREADS);
  if (o->branch && !*o->branch) return prestige_error_set(err, PRESTIGE_EINVAL, "iceberg append options: branch is empty");
  if (o->target_file_size_bytes < 0)
    return prestige_error_set(err, PRESTIGE_EINVAL, "iceberg append options: target_file_size_bytes is negative (%lld)",
                              (long long)o->target_file_size_bytes);
  if (o->compression != -1 && (o->compression < 0 || !prestige_compression_name((prestige_compression_t)o->compression)))
    return prestige_error_set(err, PRESTIGE_EINVAL, "iceberg append options: compression %d is not a prestige_compression_t",
                              o->compression);
  if (o->compression == -1 && o->compression_level != INT32_MIN)
    return prestige_error_set(err, PRESTIGE_EINVAL, "iceberg append options: compression_level needs a compression");
  if (o->n_summary < 0 || (o->n_summary > 0 && !o->summary))
    return prestige_error_set(err, PRESTIGE_EINVAL, "iceberg append options: summary / n_summary disagree");
  for (int64_t i = 0; i < o->n_summary; i++)
    if (!o->summary[i].key || !*o->summary[i].key || !o->summary[i].value)
      return prestige_error_set(err, PRESTIGE_EINVAL, "iceberg append options: summary entry %lld has no key or no value",
                                (long long)i);
  return 0;
}

int prestige_iceberg_append_new(prestige_iceberg_append_t **out, prestige_iceberg_table_t *table,
                                const prestige_iceberg_append_options_t *o, prestige_error_t *err) {
  static const char fn[] = "prestige_iceberg_append_new";
  if (!out) return null_arg(fn, "out", err);
  *out = NULL;
  if (!table) return null_arg(fn, "table", err);
  prestige_iceberg_append_options_t dflt = PRESTIGE_ICEBERG_APPEND_OPTIONS_INIT;
  if (!o) o = &dflt;
  PRESTIGE_TRY(validate_append_options(o, err));
  prestige_iceberg_append_t *a = calloc(1, sizeof *a);
  if (!a) return oom(err);
  a->table = table;
  ice_append_options_t io = ICE_APPEND_OPTIONS_INIT;
  io.branch = o->branch;
  io.target_file_size_bytes = o->target_file_size_bytes;
  io.summary = o->summary;
  io.n_summary = (size_t)o->n_summary;
  io.writer_threads = o->version >= 2 ? o->threads : 1; /* not in a version 1 struct */
  if (o->compression != -1) {
    io.set_compression = true;
    io.compression = o->compression;
    io.compression_level = o->compression_level;
  }
  int rc = ice_catalog_table_io(table->catalog, table->loaded.metadata->location, &a->io, err);
  if (!rc) rc = ice_append_new(&a->a, table->catalog, &table->ident, a->io, &table->loaded, &io, err);
  if (rc) {
    prestige_iceberg_append_free(a);
    return rc;
  }
  *out = a;
  return 0;
}

int prestige_iceberg_append_write(prestige_iceberg_append_t *a, struct ArrowArray *batch, const struct ArrowSchema *schema,
                                  prestige_error_t *err) {
  static const char fn[] = "prestige_iceberg_append_write";
  if (!a || !schema || !batch) {
    if (batch && batch->release) batch->release(batch);
    return null_arg(fn, !a ? "append" : !schema ? "schema" : "batch", err);
  }
  if (!batch->release) return prestige_error_set(err, PRESTIGE_EINVAL, "%s: the batch is released", fn);
  if (a->failed) {
    batch->release(batch);
    return prestige_error_set(err, PRESTIGE_EINVAL, "append to %s: an earlier error left it unusable (free it)",
                              a->table->ident_text);
  }
  int rc = ice_append_write(a->a, schema, batch, err);
  if (rc) a->failed = true;
  return rc;
}

int prestige_iceberg_append_write_stream(prestige_iceberg_append_t *a, struct ArrowArrayStream *stream, prestige_error_t *err) {
  static const char fn[] = "prestige_iceberg_append_write_stream";
  if (!stream || !stream->release) return null_arg(fn, "stream", err);
  if (!a) {
    stream->release(stream);
    return null_arg(fn, "append", err);
  }
  if (a->failed) {
    stream->release(stream);
    return prestige_error_set(err, PRESTIGE_EINVAL, "append to %s: an earlier error left it unusable (free it)",
                              a->table->ident_text);
  }
  int rc = ice_append_write_stream(a->a, stream, err);
  if (rc) a->failed = true;
  return rc;
}

int prestige_iceberg_append_commit(prestige_iceberg_append_t *a, prestige_iceberg_append_result_t *result,
                                   prestige_error_t *err) {
  if (result) memset(result, 0, sizeof *result);
  if (!a) return null_arg("prestige_iceberg_append_commit", "append", err);
  if (a->failed)
    return prestige_error_set(err, PRESTIGE_EINVAL, "append to %s: an earlier error left it unusable (free it)",
                              a->table->ident_text);
  ice_commit_result_t res;
  memset(&res, 0, sizeof res);
  ice_loaded_table_t current = {0};
  PRESTIGE_TRY(ice_append_commit(a->a, &res, &current, err));
  a->committed = true;
  /* the handle follows the commit; failing to swap it (out of memory) leaves it stale, not wrong */
  if (current.metadata && ice_table_replace(a->table, &current, NULL)) { /* kept as it was */
  }
  ice_loaded_table_release(&current);
  if (result) {
    result->snapshot_id = res.snapshot_id;
    result->added_files = (int64_t)res.n_paths;
    result->added_records = res.rows;
    result->attempts = res.attempts;
    result->data_files = res.paths; /* moved */
    res.paths = NULL;
    res.n_paths = 0;
  }
  ice_commit_result_release(&res);
  return 0;
}

int64_t prestige_iceberg_append_rows(const prestige_iceberg_append_t *a) { return a ? ice_append_rows(a->a) : 0; }

void prestige_iceberg_append_free(prestige_iceberg_append_t *a) {
  if (!a) return;
  ice_append_free(a->a);
  ice_io_free(a->io);
  free(a);
}

/* ---- scans ---------------------------------------------------------------------------------------- */

void prestige_iceberg_scan_options_init(prestige_iceberg_scan_options_t *o) {
  if (!o) return;
  prestige_iceberg_scan_options_t d = PRESTIGE_ICEBERG_SCAN_OPTIONS_INIT;
  *o = d;
}

/* The internal options; *filter_text (malloc'd or NULL) backs io->filter. */
static int scan_options(const prestige_iceberg_scan_options_t *o, ice_scan_options_t *io, char **filter_text,
                        prestige_error_t *err) {
  *filter_text = NULL;
  ice_scan_options_t d = ICE_SCAN_OPTIONS_INIT;
  *io = d;
  if (!o) return 0;
  if (o->version != PRESTIGE_ICEBERG_SCAN_OPTIONS_VERSION && o->version != 1)
    return prestige_error_set(err, PRESTIGE_EINVAL,
                              "iceberg scan options version %u not supported (this library knows %u); rebuild against this "
                              "header and start from PRESTIGE_ICEBERG_SCAN_OPTIONS_INIT",
                              o->version, PRESTIGE_ICEBERG_SCAN_OPTIONS_VERSION);
  if (o->n_columns < 0 || (o->n_columns > 0 && !o->columns))
    return prestige_error_set(err, PRESTIGE_EINVAL, "iceberg scan options: columns / n_columns disagree");
  for (int64_t i = 0; i < o->n_columns; i++)
    if (!o->columns[i] || !*o->columns[i])
      return prestige_error_set(err, PRESTIGE_EINVAL, "iceberg scan options: column %lld is empty", (long long)i);
  if (o->batch_rows < 0)
    return prestige_error_set(err, PRESTIGE_EINVAL, "iceberg scan options: batch_rows is negative (%lld)", (long long)o->batch_rows);
  if (o->files_in_flight < 0 || o->files_in_flight > 64)
    return prestige_error_set(err, PRESTIGE_EINVAL, "iceberg scan options: files_in_flight %d (0 to 64)", o->files_in_flight);
  int threads = o->version >= 2 ? o->threads : 1; /* a version 1 struct ends before threads */
  if (threads < 1 || threads > PRESTIGE_PARQUET_READER_MAX_THREADS)
    return prestige_error_set(err, PRESTIGE_EINVAL, "iceberg scan options: threads %d (1 to %d)", threads,
                              PRESTIGE_PARQUET_READER_MAX_THREADS);
  if (o->ref && !*o->ref) return prestige_error_set(err, PRESTIGE_EINVAL, "iceberg scan options: ref is empty");
  if (o->until_snapshot_id != PRESTIGE_ICEBERG_NONE && o->since_snapshot_id == PRESTIGE_ICEBERG_NONE)
    return prestige_error_set(err, PRESTIGE_EINVAL, "iceberg scan options: until_snapshot_id needs since_snapshot_id");
  io->snapshot_id = o->snapshot_id;
  io->as_of_ms = o->as_of_ms;
  io->ref = o->ref;
  io->since_snapshot_id = o->since_snapshot_id;
  io->until_snapshot_id = o->until_snapshot_id;
  io->columns = o->columns;
  io->n_columns = (size_t)o->n_columns;
  io->batch_rows = o->batch_rows;
  io->files_in_flight = o->files_in_flight;
  io->reader_threads = threads;
  const char *ptext = o->filter ? o->filter->text : NULL;
  if (o->where && !*o->where) return prestige_error_set(err, PRESTIGE_EINVAL, "iceberg scan options: where is empty");
  if (o->where && ptext) {
    size_t n = strlen(o->where) + strlen(ptext) + 16;
    if (!(*filter_text = malloc(n))) return oom(err);
    snprintf(*filter_text, n, "(%s) AND (%s)", o->where, ptext);
  } else if (o->where || ptext) {
    if (!(*filter_text = strdup(o->where ? o->where : ptext))) return oom(err);
  }
  io->filter = *filter_text;
  return 0;
}

static void stats_from_plan(const ice_scan_plan_t *p, prestige_iceberg_scan_stats_t *s) {
  memset(s, 0, sizeof *s);
  s->snapshot_id = p->snapshot_id == ICE_SCAN_NONE ? PRESTIGE_ICEBERG_NONE : p->snapshot_id;
  s->manifests = p->metrics.manifests;
  s->manifests_pruned = p->metrics.manifests_skipped;
  s->files = p->metrics.files;
  s->files_pruned_partition = p->metrics.files_skipped_partition;
  s->files_pruned_stats = p->metrics.files_skipped_metrics;
  s->files_planned = p->metrics.files_planned;
  s->delete_files = p->metrics.delete_files;
  s->planning_ns = p->metrics.planning_ns;
}

/* Plans on a fresh IO of the table (so the plan and its stream do not depend on the handle). */
static int plan_on(prestige_iceberg_table_t *t, const prestige_iceberg_scan_options_t *o, ice_scan_options_t *so,
                   ice_io_t **io, ice_scan_plan_t **plan, prestige_error_t *err) {
  char *filter = NULL;
  *io = NULL;
  *plan = NULL;
  int rc = scan_options(o, so, &filter, err);
  if (!rc) rc = ice_catalog_table_io(t->catalog, t->loaded.metadata->location, io, err);
  if (!rc) rc = ice_scan_plan(*io, t->loaded.metadata, t->ident_text, so, plan, err);
  so->filter = NULL; /* the plan holds its parsed copy */
  free(filter);
  if (rc) {
    ice_io_free(*io);
    *io = NULL;
  }
  return rc;
}

typedef struct api_stream {
  struct ArrowArrayStream inner;
  ice_io_t *io;
  ice_scan_read_stats_t rs;
  prestige_iceberg_scan_stats_t *stats;
} api_stream_t;

static void copy_read_stats(api_stream_t *s) {
  if (!s->stats) return;
  s->stats->files_read = atomic_load(&s->rs.files_read);
  s->stats->row_groups = atomic_load(&s->rs.row_groups);
  s->stats->row_groups_pruned = atomic_load(&s->rs.row_groups_pruned);
}

/* The scan's stream wired by arrow_stream_make over the internal one; the read counters go to the
 * caller's stats after every batch and at release (not after the end: the struct is final then). */
static int as_get_schema(void *state, struct ArrowSchema *out, prestige_error_t *err) {
  api_stream_t *s = state;
  int e = s->inner.get_schema(&s->inner, out);
  return e ? arrow_stream_fail(&s->inner, e, NULL, err) : 0;
}

static int as_get_next(void *state, struct ArrowArray *out, prestige_error_t *err) {
  api_stream_t *s = state;
  int e = s->inner.get_next(&s->inner, out);
  copy_read_stats(s);
  if (e || !out->release) s->stats = NULL; /* the end: the caller's struct is final */
  return e ? arrow_stream_fail(&s->inner, e, NULL, err) : 0;
}

static void as_free(void *state) {
  api_stream_t *s = state;
  if (!s) return;
  if (s->inner.release) s->inner.release(&s->inner);
  copy_read_stats(s);
  ice_io_free(s->io);
  free(s);
}

#define TABLE_SCAN_POOL_BYTES ((size_t)256 << 20)

static const arrow_stream_ops_t api_stream_ops = {as_get_schema, as_get_next, as_free};

int prestige_iceberg_scan(prestige_iceberg_table_t *table, const prestige_iceberg_scan_options_t *o,
                          struct ArrowArrayStream *out, prestige_iceberg_scan_stats_t *stats, prestige_error_t *err) {
  static const char fn[] = "prestige_iceberg_scan";
  if (!out) return null_arg(fn, "out", err);
  memset(out, 0, sizeof *out);
  if (!table) return null_arg(fn, "table", err);
  /* row lineage columns asked for, or filtered on (V3): every column planned, the lineage stream
   * filters and picks */
  bool lineage = false;
  for (int64_t i = 0; o && i < o->n_columns && o->columns; i++) lineage |= ice_is_lineage_column(o->columns[i]);
  prestige_predicate_t *lfilter = NULL; /* a filter naming a lineage column: applied by the lineage stream only */
  if (o) {
    ice_scan_options_t tmp;
    char *text = NULL;
    PRESTIGE_TRY(scan_options(o, &tmp, &text, err));
    /* parsed here only when it may name one (the plan parses it again otherwise) */
    bool maybe = text && (strstr(text, ICE_ROW_ID_NAME) || strstr(text, ICE_LAST_UPDATED_SEQ_NAME));
    int prc = maybe ? prestige_predicate_parse(text, &lfilter, err) : 0;
    free(text);
    if (prc) return prc;
    bool named = false;
    for (int64_t i = 0; lfilter && i < lfilter->n_columns; i++) named |= ice_is_lineage_column(lfilter->columns[i]);
    if (!named) {
      prestige_predicate_free(lfilter);
      lfilter = NULL;
    }
    lineage |= named;
  }
  if (lineage && table->loaded.metadata->format_version < 3) {
    prestige_predicate_free(lfilter);
    return prestige_error_set(err, PRESTIGE_EINVAL,
                              "scan of %s: %s and %s are the row lineage of format version 3 tables; this table is version %d",
                              table->ident_text, ICE_ROW_ID_NAME, ICE_LAST_UPDATED_SEQ_NAME, table->loaded.metadata->format_version);
  }
  prestige_iceberg_scan_options_t all;
  if (lineage) {
    all = *o;
    all.columns = NULL;
    all.n_columns = 0;
    if (lfilter) all.where = NULL, all.filter = NULL; /* planning cannot bind it: no pruning */
  }
  api_stream_t *s = calloc(1, sizeof *s);
  if (!s) {
    prestige_predicate_free(lfilter);
    return oom(err);
  }
  ice_scan_options_t so;
  ice_scan_plan_t *plan;
  int rc = plan_on(table, lineage ? &all : o, &so, &s->io, &plan, err);
  if (rc) {
    prestige_predicate_free(lfilter);
    free(s);
    return rc;
  }
  if (stats) stats_from_plan(plan, stats);
  if (lineage) {
    /* no column list: every column of the table, without the lineage columns */
    const char **names = NULL;
    size_t n = o->columns ? (size_t)o->n_columns : (size_t)plan->out.n_children;
    if (!o->columns && !(names = calloc(n ? n : 1, sizeof(char *)))) rc = oom(err);
    for (size_t i = 0; names && i < n; i++) names[i] = plan->out.children[i]->name;
    if (rc) ice_scan_plan_free(plan);
    else
      rc = ice_scan_stream_lineage(s->io, plan, o->columns ? o->columns : names, n, lfilter, so.batch_rows, &s->rs,
                                   &s->inner, err);
    free(names); /* the stream copied what it needs */
    prestige_predicate_free(lfilter);
    if (rc) {
      ice_io_free(s->io);
      free(s);
      return rc;
    }
    s->stats = stats;
    return arrow_stream_make(out, &api_stream_ops, s, err);
  }
  /* the handle's buffer pool: a later scan decodes into the blocks this one released (NULL on
   * ENOMEM: the stream makes its own) */
  if (!table->scan_bufs) table->scan_bufs = bufpool_new(TABLE_SCAN_POOL_BYTES);
  so.bufs = table->scan_bufs;
  rc = ice_scan_stream_counted(s->io, plan, &so, &s->rs, &s->inner, err); /* takes plan */
  if (rc) {
    ice_io_free(s->io);
    free(s);
    return rc;
  }
  s->stats = stats;
  return arrow_stream_make(out, &api_stream_ops, s, err); /* frees s on failure */
}

typedef struct api_plan {
  ice_scan_plan_t *plan;
  char **partitions;
} api_plan_t;

int prestige_iceberg_scan_plan(prestige_iceberg_table_t *table, const prestige_iceberg_scan_options_t *o,
                               prestige_iceberg_scan_plan_t *out, prestige_error_t *err) {
  static const char fn[] = "prestige_iceberg_scan_plan";
  if (!out) return null_arg(fn, "out", err);
  memset(out, 0, sizeof *out);
  if (!table) return null_arg(fn, "table", err);
  ice_scan_options_t so;
  ice_io_t *io;
  ice_scan_plan_t *plan;
  PRESTIGE_TRY(plan_on(table, o, &so, &io, &plan, err));
  ice_io_free(io);
  api_plan_t *ap = calloc(1, sizeof *ap);
  size_t n = plan->n_tasks;
  prestige_iceberg_scan_file_t *files = calloc(n ? n : 1, sizeof *files);
  char **parts = calloc(n ? n : 1, sizeof *parts);
  if (!ap || !files || !parts) {
    free(ap);
    free(files);
    free(parts);
    ice_scan_plan_free(plan);
    return oom(err);
  }
  ap->plan = plan;
  ap->partitions = parts;
  const ice_table_metadata_t *md = table->loaded.metadata;
  buf_t path;
  buf_init(&path);
  for (size_t i = 0; i < n; i++) {
    const ice_scan_task_t *t = &plan->tasks[i];
    const ice_partition_spec_t *spec = ice_metadata_spec(md, t->file.spec_id);
    buf_clear(&path);
    if (spec && ice_partition_path(spec, plan->schema, t->file.partition, &path, NULL) == 0) {
      parts[i] = strndup(path.len ? (const char *)path.data : "", path.len);
    } else {
      parts[i] = strdup("");
    }
    files[i].path = t->file.file_path;
    files[i].record_count = t->file.record_count;
    files[i].file_size_bytes = t->file.file_size_in_bytes;
    files[i].spec_id = t->file.spec_id;
    files[i].partition = parts[i] ? parts[i] : "";
    files[i].data_sequence_number = t->data_sequence_number;
    files[i].delete_files = t->n_deletes;
  }
  buf_release(&path);
  stats_from_plan(plan, &out->stats);
  out->files = files;
  out->n_files = (int64_t)n;
  out->internal = ap;
  return 0;
}

void prestige_iceberg_scan_plan_release(prestige_iceberg_scan_plan_t *p) {
  if (!p) return;
  api_plan_t *ap = p->internal;
  if (ap) {
    for (int64_t i = 0; i < p->n_files; i++) free(ap->partitions[i]);
    free(ap->partitions);
    ice_scan_plan_free(ap->plan);
    free(ap);
  }
  free(p->files);
  memset(p, 0, sizeof *p);
}
