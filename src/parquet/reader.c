/* Parquet reader: footer, schema, row groups assembled into Arrow arrays, zero-copy batches. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arrow/ipc_schema.h"
#include "core/options.h"
#include "parquet/reader_internal.h"


void prestige_parquet_reader_options_init(prestige_parquet_reader_options_t *o) {
  if (o) *o = (prestige_parquet_reader_options_t)PRESTIGE_PARQUET_READER_OPTIONS_INIT;
}

static int validate_reader_options(const prestige_parquet_reader_options_t *o, prestige_error_t *err) {
#define BAD(field, why, v) \
  return prestige_error_set(err, PRESTIGE_EINVAL, "parquet reader option %s %s (got %lld)", field, why, (long long)(v))
  PRESTIGE_TRY(OPTIONS_CHECK_VERSION(o, PRESTIGE_PARQUET_READER_OPTIONS, "prestige_parquet_reader_options_t", err));
  if (o->batch_rows < 1) BAD("batch_rows", "must be at least 1", o->batch_rows);
  if (o->footer_prefetch < 0) BAD("footer_prefetch", "must not be negative", o->footer_prefetch);
  if (o->n_columns < 0 || (o->n_columns && !o->columns)) BAD("columns", "count and pointer disagree", o->n_columns);
  for (int64_t i = 0; i < o->n_columns; i++)
    if (!o->columns[i]) BAD("columns[]", "holds a NULL name at index", i);
  if (o->n_row_groups < 0 || (o->n_row_groups && !o->row_groups)) BAD("row_groups", "count and pointer disagree", o->n_row_groups);
  if ((int)o->int96_unit < PRESTIGE_INT96_MICROS || (int)o->int96_unit > PRESTIGE_INT96_SECONDS)
    BAD("int96_unit", "is not a prestige_int96_unit_t", (int)o->int96_unit);
  if (o->max_page_bytes < 1) BAD("max_page_bytes", "must be positive", o->max_page_bytes);
  if (o->max_page_bytes > INT32_MAX) BAD("max_page_bytes", "must be at most 2^31 - 1", o->max_page_bytes);
  if (o->threads < 1 || o->threads > PRESTIGE_PARQUET_READER_MAX_THREADS)
    BAD("threads", "must be 1..PRESTIGE_PARQUET_READER_MAX_THREADS (256)", o->threads);
  return 0;
#undef BAD
}

/* ---- schema ------------------------------------------------------------------------------- */
static int node_schema(const rnode_t *n, struct ArrowSchema *s, prestige_error_t *err) {
  PRESTIGE_TRY(prestige_schema_init(s, n->format, n->name, n->nullable ? ARROW_FLAG_NULLABLE : 0, err));
  PRESTIGE_TRY(rnode_set_metadata(n, s, err));
  if (n->kind == RN_LEAF) return 0;
  PRESTIGE_TRY(prestige_schema_allocate_children(s, n->n_children, err));
  for (int32_t i = 0; i < n->n_children; i++) PRESTIGE_TRY(node_schema(n->children[i], s->children[i], err));
  return 0;
}

/* ---- ARROW:schema restoration ---------------------------------------------------------------- */
/* Takes the Arrow type of field f for node n when prestige can produce it from the stored
 * values; anything else keeps the type derived from the Parquet schema. */
static void restore(arena_t *arena, rnode_t *n, const struct ArrowSchema *f);

static void restore_type(arena_t *arena, rnode_t *n, const struct ArrowSchema *f) {
  const char *a = f->format, *p = n->format;
  if (n->kind == RN_LEAF) {
    if (!strcmp(p, "u") && !strcmp(a, "U")) goto take_large;
    if (!strcmp(p, "z") && !strcmp(a, "Z")) goto take_large;
    if (!strncmp(p, "tsm:", 4) && !strncmp(a, "tss:", 4)) {
      n->div = 1000;
      goto take;
    }
    if (!strncmp(p, "ts", 2) && !strncmp(a, "ts", 2) && p[2] == a[2] && p[3] == ':' && a[3] == ':') goto take; /* time zone */
    if (!strcmp(p, "ttm") && !strcmp(a, "tts")) {
      n->div = 1000;
      goto take;
    }
    if (!strcmp(p, "l") && !strncmp(a, "tD", 2)) goto take;
    if (!strcmp(p, "tdD") && !strcmp(a, "tdm")) goto take;
    return;
  take_large:
    n->large = true;
  take:
    snprintf(n->format, sizeof(n->format), "%s", a);
    return;
  }
  if (n->kind == RN_STRUCT && !strcmp(a, "+s") && f->n_children == n->n_children) {
    for (int32_t i = 0; i < n->n_children; i++) restore(arena, n->children[i], f->children[i]);
  } else if (n->kind == RN_LIST && (!strcmp(a, "+l") || !strcmp(a, "+L")) && f->n_children == 1) {
    if (!strcmp(a, "+L")) {
      n->large = true;
      snprintf(n->format, sizeof(n->format), "+L");
    }
    restore(arena, n->children[0], f->children[0]);
  } else if (n->kind == RN_MAP && !strcmp(a, "+m") && f->n_children == 1) {
    restore(arena, n->children[0], f->children[0]);
  }
}

/* The field's type, and its metadata (extension types, comments) where the types agree. */
static void restore(arena_t *arena, rnode_t *n, const struct ArrowSchema *f) {
  if (!f || !f->format || f->dictionary) return;
  restore_type(arena, n, f);
  int64_t size = prestige_metadata_size(f->metadata);
  if (size <= 4 || strcmp(n->format, f->format) != 0) return;
  char *m = arena_alloc(arena, (size_t)size);
  if (m) memcpy(m, f->metadata, (size_t)size), n->arrow_metadata = m;
}

static void restore_arrow_schema(prestige_parquet_reader_t *r) {
  const uint8_t *v;
  int32_t len;
  if (!r->opts.use_arrow_schema || !prestige_parquet_reader_metadata(r, "ARROW:schema", &v, &len)) return;
  struct ArrowSchema a;
  prestige_error_t ignored;
  if (arrow_ipc_schema_decode((const char *)v, (size_t)len, &a, &ignored)) return; /* unusable: Parquet types stand */
  for (int32_t t = 0; t < r->rs.n_top; t++)
    for (int64_t i = 0; i < a.n_children; i++)
      if (a.children[i]->name && !strcmp(a.children[i]->name, r->rs.top[t]->name)) restore(&r->rs.arena, r->rs.top[t], a.children[i]);
  prestige_schema_release(&a);
}

/* A string/binary column with a chunk too big for 32-bit offsets is read as large_string /
 * large_binary (64-bit offsets) instead of failing. Arrow C++ splits such a row group into
 * several chunks; one Arrow array per row group is what this reader hands out, so it widens the
 * type, which holds the same values. The test is on the chunk's uncompressed size, which bounds
 * its string bytes from above. */
static void widen_large_strings(prestige_parquet_reader_t *r) {
  for (int32_t l = 0; l < r->rs.n_leaves; l++) {
    rnode_t *n = r->rs.leaves[l];
    if (n->physical != PRESTIGE_PHYSICAL_BYTE_ARRAY || n->large || (strcmp(n->format, "u") && strcmp(n->format, "z"))) continue;
    for (int32_t g = 0; g < r->meta.n_row_groups; g++) {
      const pq_row_group_t *rg = &r->meta.row_groups[g];
      if (l >= rg->n_columns || !rg->columns[l].meta_data) continue;
      if (rg->columns[l].meta_data->total_uncompressed_size > INT32_MAX) {
        n->large = true;
        n->format[0] = n->format[0] == 'u' ? 'U' : 'Z';
        break;
      }
    }
  }
}

/* ---- projection --------------------------------------------------------------------------- */
/* Whether a requested column names node path `path` itself or something below it. */
static bool requested(const char *const *names, int64_t n_names, const char *path, bool *whole) {
  size_t n = strlen(path);
  bool any = false;
  *whole = false;
  for (int64_t i = 0; i < n_names; i++) {
    const char *c = names[i];
    if (!strcmp(c, path)) *whole = any = true;
    else if (!strncmp(c, path, n) && c[n] == '.') any = true;
  }
  return any;
}

/* The node pruned to the requested paths below it (NULL when none); structs may be cut down to
 * some of their fields; anything else is taken whole. */
static int project(prestige_parquet_reader_t *r, rnode_t *n, const char *path, const char *const *names, int64_t n_names,
                   rnode_t **out, prestige_error_t *err) {
  bool whole;
  *out = NULL;
  if (!requested(names, n_names, path, &whole)) return 0;
  if (whole || n->kind != RN_STRUCT) {
    *out = n;
    return 0;
  }
  rnode_t *copy = arena_alloc(&r->rs.arena, sizeof(*copy));
  rnode_t **kids = arena_calloc(&r->rs.arena, (size_t)n->n_children, sizeof(rnode_t *));
  if (!copy || !kids) return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
  *copy = *n;
  copy->children = kids;
  copy->n_children = 0;
  copy->first_leaf = -1;
  for (int32_t i = 0; i < n->n_children; i++) {
    char sub[1024];
    snprintf(sub, sizeof(sub), "%s.%s", path, n->children[i]->name);
    rnode_t *c = NULL;
    PRESTIGE_TRY(project(r, n->children[i], sub, names, n_names, &c, err));
    if (!c) continue;
    kids[copy->n_children++] = c;
    if (copy->first_leaf < 0) copy->first_leaf = c->first_leaf;
  }
  *out = copy->n_children ? copy : NULL;
  return 0;
}

/* Whether a requested path names a node (through struct fields). */
static bool path_exists(const prestige_parquet_reader_t *r, const char *col) {
  for (int32_t t = 0; t < r->rs.n_top; t++) {
    const rnode_t *n = r->rs.top[t];
    size_t len = strlen(n->name);
    if (strncmp(col, n->name, len) || (col[len] && col[len] != '.')) continue;
    const char *rest = col + len;
    while (*rest == '.') {
      rest++;
      const rnode_t *next = NULL;
      for (int32_t i = 0; n->kind == RN_STRUCT && i < n->n_children; i++) {
        size_t cl = strlen(n->children[i]->name);
        if (!strncmp(rest, n->children[i]->name, cl) && (rest[cl] == 0 || rest[cl] == '.')) {
          next = n->children[i];
          rest += cl;
          break;
        }
      }
      if (!next) break;
      n = next;
    }
    if (*rest == 0) return true;
  }
  return false;
}

/* ---- filter ------------------------------------------------------------------------------- */
/* A record-batch schema of the given top-level nodes. */
static int nodes_schema(rnode_t *const *nodes, int32_t n, struct ArrowSchema *out, prestige_error_t *err) {
  PRESTIGE_TRY(prestige_schema_init(out, "+s", "", 0, err));
  int rc = prestige_schema_allocate_children(out, n, err);
  for (int32_t i = 0; !rc && i < n; i++) rc = node_schema(nodes[i], out->children[i], err);
  if (rc) prestige_schema_release(out);
  return rc;
}

/* Whether two projections of one node keep the same fields. */
static bool same_shape(const rnode_t *a, const rnode_t *b) {
  if (a == b) return true;
  if (a->kind != RN_STRUCT || b->kind != RN_STRUCT || a->n_children != b->n_children) return false;
  for (int32_t i = 0; i < a->n_children; i++)
    if (!same_shape(a->children[i], b->children[i])) return false;
  return true;
}

/* Binds the filter to the file's columns (an unknown column, or a literal its column cannot hold,
 * is EINVAL), skips the row groups whose statistics rule it out and, for row filtering, reads the
 * filter's columns along with the projected ones. */
static int setup_filter(prestige_parquet_reader_t *r, prestige_error_t *err) {
  struct ArrowSchema s;
  PRESTIGE_TRY(nodes_schema(r->rs.top, r->rs.n_top, &s, err));
  int rc = prestige_predicate_bind(r->opts.filter, &s, &r->fbound, err);
  prestige_schema_release(&s);
  if (rc) return rc == PRESTIGE_ENOMEM ? rc : prestige_error_prefix(err, "%s", r->in.name);
  PRESTIGE_TRY(pq_filter_leaves_find(r->fbound, &r->rs, &r->fleaves, err));
  int32_t kept = 0;
  for (int32_t i = 0; i < r->n_rgs; i++) {
    if (pq_filter_row_group_may_match(r->fbound, &r->fleaves, &r->meta.row_groups[r->rgs[i]])) r->rgs[kept++] = r->rgs[i];
    else r->n_pruned++;
  }
  r->n_rgs = kept;
  r->rproj = r->proj;
  r->n_rproj = r->n_proj;
  if (!r->opts.filter_rows) return 0;
  if (r->opts.columns) {
    int64_t nf = prestige_bound_predicate_column_count(r->fbound), nn = r->opts.n_columns + nf;
    const char **names = malloc((size_t)(nn ? nn : 1) * sizeof(char *));
    rnode_t **rp = calloc((size_t)(r->rs.n_top ? r->rs.n_top : 1), sizeof(rnode_t *));
    int32_t n = 0;
    if (!names || !rp) rc = prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
    for (int64_t i = 0; !rc && i < nn; i++)
      names[i] = i < r->opts.n_columns ? r->opts.columns[i] : prestige_bound_predicate_column(r->fbound, i - r->opts.n_columns);
    for (int32_t t = 0; !rc && t < r->rs.n_top; t++) {
      rnode_t *p = NULL;
      rc = project(r, r->rs.top[t], r->rs.top[t]->name, names, nn, &p, err);
      if (!rc && p) rp[n++] = p;
    }
    free(names);
    bool same = !rc && n == r->n_proj;
    for (int32_t k = 0; same && k < n; k++) same = same_shape(rp[k], r->proj[k]);
    if (rc || same) {
      free(rp);
      if (rc) return rc;
    } else {
      r->rproj = rp;
      r->n_rproj = n;
    }
  }
  PRESTIGE_TRY(nodes_schema(r->rproj, r->n_rproj, &s, err));
  rc = prestige_predicate_bind(r->opts.filter, &s, &r->rbound, err);
  prestige_schema_release(&s);
  return rc;
}

/* ---- opening ------------------------------------------------------------------------------ */
static int read_footer(prestige_parquet_reader_t *r, prestige_error_t *err) {
  const char *name = r->in.name;
  PRESTIGE_TRY(r->in.size(r->in.ctx, &r->size, err));
  if (r->size < 12)
    return prestige_error_set(err, PRESTIGE_ECORRUPT, "%s: %llu bytes is too small for a Parquet file", name,
                              (unsigned long long)r->size);
  uint64_t pre = (uint64_t)(r->opts.footer_prefetch > 8 ? r->opts.footer_prefetch : 8);
  if (pre > r->size) pre = r->size;
  uint8_t *tail = malloc((size_t)pre);
  if (!tail) return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
  int rc = r->in.read_at(r->in.ctx, r->size - pre, tail, (size_t)pre, err);
  const uint8_t *end = tail + pre - 8;
  if (!rc && !memcmp(end + 4, "PARE", 4))
    rc = prestige_error_set(err, PRESTIGE_EUNSUPPORTED, "%s: encrypted files are not supported", name);
  if (!rc && memcmp(end + 4, "PAR1", 4))
    rc = prestige_error_set(err, PRESTIGE_ECORRUPT, "%s: not a Parquet file (no PAR1 magic at the end)", name);
  uint32_t flen = rc ? 0 : load_le32(end);
  if (!rc && (uint64_t)flen + 12 > r->size)
    rc = prestige_error_set(err, PRESTIGE_ECORRUPT, "%s: footer length %u exceeds the file size %llu", name, flen,
                            (unsigned long long)r->size);
  if (!rc && !(r->footer = malloc(flen ? flen : 1))) rc = prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
  if (!rc) {
    if ((uint64_t)flen + 8 <= pre) memcpy(r->footer, end - flen, flen); /* one read was enough */
    else rc = r->in.read_at(r->in.ctx, r->size - 8 - flen, r->footer, flen, err);
  }
  free(tail);
  if (!rc) rc = pq_file_metadata_decode(r->footer, flen, &r->arena, &r->meta, err);
  if (!rc && (r->meta.has_encryption_algorithm))
    rc = prestige_error_set(err, PRESTIGE_EUNSUPPORTED, "%s: encrypted files are not supported", name);
  if (!rc) rc = pq_file_metadata_validate(&r->meta, r->size, err);
  if (rc && err && !strstr(err->message, name)) prestige_error_prefix(err, "%s", name);
  return rc;
}

void prestige_parquet_reader_close(prestige_parquet_reader_t *r) {
  if (!r) return;
  if (r->in.ctx) r->in.close(r->in.ctx);
  free(r->footer);
  free(r->rgs);
  rschema_release(&r->rs);
  arena_release(&r->arena);
  prestige_schema_release(&r->schema);
  workers_free(r->pool); /* no task is in flight: jobs are finished or discarded before this */
  for (int32_t i = 0; r->scratch && i < r->n_scratch; i++) {
    pq_codec_ctx_free(r->scratch[i].codec);
    buf_release(&r->scratch[i].page);
    free(r->scratch[i].chunk);
  }
  free(r->scratch);
  bufpool_unref(r->bufs);
  free((void *)r->data_hint);
  pthread_mutex_destroy(&r->io_mu);
  prestige_bound_predicate_free(r->fbound);
  prestige_bound_predicate_free(r->rbound);
  pq_filter_leaves_release(&r->fleaves);
  if (r->rproj != r->proj) free(r->rproj);
  free(r->proj);
  free(r);
}

int prestige_parquet_reader_open(prestige_parquet_reader_t **out, prestige_input_t *in,
                                 const prestige_parquet_reader_options_t *opts, prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  if (out) *out = NULL;
  if (!out || !in) {
    if (in && in->close) in->close(in->ctx);
    return prestige_error_set(err, PRESTIGE_EINVAL, "prestige_parquet_reader_open: %s is NULL", out ? "in" : "out");
  }
  int rc = opts ? validate_reader_options(opts, err) : 0;
  prestige_parquet_reader_t *r = rc ? NULL : calloc(1, sizeof(*r));
  if (!r) {
    in->close(in->ctx);
    return rc ? rc : prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
  }
  prestige_parquet_reader_options_init(&r->opts);
  if (opts) r->opts = *opts;
  r->in = *in;
  pthread_mutex_init(&r->io_mu, NULL);
  if (!rc) rc = read_footer(r, err);
  if (!rc) rc = rschema_build(&r->rs, &r->meta, err);
  if (!rc) rc = rschema_set_int96_unit(&r->rs, r->opts.int96_unit, err);
  if (!rc) restore_arrow_schema(r);
  if (!rc) widen_large_strings(r);
  if (rc && rc != PRESTIGE_ENOMEM && err && !strstr(err->message, r->in.name)) prestige_error_prefix(err, "%s", r->in.name);
  if (!rc) {
    r->n_scratch = r->opts.threads;
    r->scratch = calloc((size_t)r->n_scratch, sizeof(rscratch_t));
    for (int32_t i = 0; r->scratch && i < r->n_scratch; i++)
      if (!(r->scratch[i].codec = pq_codec_ctx_new())) rc = PRESTIGE_ENOMEM;
    if (!rc && r->opts.threads > 1 && !(r->pool = workers_new(r->opts.threads))) rc = PRESTIGE_ENOMEM;
    if (!rc && !(r->bufs = bufpool_new((size_t)256 << 20))) rc = PRESTIGE_ENOMEM;
    if (!rc && !(r->data_hint = calloc((size_t)(r->rs.n_leaves ? r->rs.n_leaves : 1), sizeof(*r->data_hint)))) rc = PRESTIGE_ENOMEM;
    r->proj = calloc((size_t)(r->rs.n_top ? r->rs.n_top : 1), sizeof(rnode_t *));
    r->rgs = calloc((size_t)(r->meta.n_row_groups ? r->meta.n_row_groups : 1) + (size_t)r->opts.n_row_groups, sizeof(int32_t));
    if (rc || !r->scratch || !r->proj || !r->rgs) rc = prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
  }
  if (!rc) {
    if (r->opts.columns) {
      /* top-level fields in file order, each pruned to the requested nested paths */
      for (int32_t t = 0; t < r->rs.n_top && !rc; t++) {
        rnode_t *p = NULL;
        rc = project(r, r->rs.top[t], r->rs.top[t]->name, r->opts.columns, r->opts.n_columns, &p, err);
        if (!rc && p) r->proj[r->n_proj++] = p;
      }
      for (int64_t i = 0; i < r->opts.n_columns && !rc; i++)
        if (!path_exists(r, r->opts.columns[i]))
          rc = prestige_error_set(err, PRESTIGE_ENOTFOUND, "%s: no column \"%s\"", r->in.name, r->opts.columns[i]);
    } else {
      for (int32_t t = 0; t < r->rs.n_top; t++) r->proj[r->n_proj++] = r->rs.top[t];
    }
  }
  if (!rc) {
    if (r->opts.row_groups) {
      for (int64_t i = 0; i < r->opts.n_row_groups && !rc; i++) {
        if (r->opts.row_groups[i] < 0 || r->opts.row_groups[i] >= r->meta.n_row_groups)
          rc = prestige_error_set(err, PRESTIGE_EINVAL, "%s: no row group %d (the file has %d)", r->in.name,
                                  r->opts.row_groups[i], r->meta.n_row_groups);
        else r->rgs[r->n_rgs++] = r->opts.row_groups[i];
      }
    } else {
      for (int32_t g = 0; g < r->meta.n_row_groups; g++) r->rgs[r->n_rgs++] = g;
    }
  }
  if (!rc && r->opts.filter) rc = setup_filter(r, err);
  if (!rc) rc = prestige_schema_init(&r->schema, "+s", "", 0, err);
  if (!rc) rc = prestige_schema_allocate_children(&r->schema, r->n_proj, err);
  for (int32_t i = 0; !rc && i < r->n_proj; i++) rc = node_schema(r->proj[i], r->schema.children[i], err);
  if (rc) {
    prestige_parquet_reader_close(r);
    return rc;
  }
  *out = r;
  return 0;
}

int prestige_parquet_reader_open_file(prestige_parquet_reader_t **r, const char *path,
                                      const prestige_parquet_reader_options_t *opts, prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  if (r) *r = NULL;
  prestige_input_t in;
  PRESTIGE_TRY(prestige_input_open_file(&in, path, err));
  return prestige_parquet_reader_open(r, &in, opts, err);
}

int prestige_parquet_reader_schema(const prestige_parquet_reader_t *r, struct ArrowSchema *out, prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  return prestige_schema_copy(out, &r->schema, err);
}
int64_t prestige_parquet_reader_num_rows(const prestige_parquet_reader_t *r) { return r->meta.num_rows; }
int32_t prestige_parquet_reader_num_row_groups(const prestige_parquet_reader_t *r) { return r->n_rgs; }
int32_t prestige_parquet_reader_pruned_row_groups(const prestige_parquet_reader_t *r) { return r->n_pruned; }
int64_t prestige_parquet_reader_pruned_pages(const prestige_parquet_reader_t *r) { return r->pages_pruned; }
int64_t prestige_parquet_reader_filtered_rows(const prestige_parquet_reader_t *r) { return r->rows_filtered; }
int64_t prestige_parquet_reader_pruned_rows(const prestige_parquet_reader_t *r) { return r->rows_pruned; }

bool prestige_parquet_reader_metadata(const prestige_parquet_reader_t *r, const char *key, const uint8_t **value,
                                      int32_t *len) {
  for (int32_t i = 0; i < r->meta.n_key_value_metadata; i++) {
    const pq_key_value_t *kv = &r->meta.key_value_metadata[i];
    if (kv->key && !strcmp(kv->key, key)) {
      *value = kv->value.ptr;
      *len = (int32_t)kv->value.len;
      return true;
    }
  }
  return false;
}
