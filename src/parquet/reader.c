/* Parquet reader: footer, schema, row groups assembled into Arrow arrays, zero-copy batches. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/errno_map.h"
#include "arrow/ipc_schema.h"
#include "core/options.h"
#include "parquet/reader_internal.h"

struct prestige_parquet_reader {
  prestige_parquet_reader_options_t opts;
  prestige_input_t in;
  uint64_t size;
  arena_t arena; /* footer */
  uint8_t *footer;
  pq_file_metadata_t meta;
  rschema_t rs;
  rnode_t **proj; /* projected top-level nodes */
  int32_t n_proj;
  int32_t *rgs;   /* selected row groups */
  int32_t n_rgs;
  int32_t n_pruned; /* row groups skipped by the filter */
  pq_codec_ctx_t *codec;
  struct ArrowSchema schema;
  prestige_bound_predicate_t *fbound; /* the filter bound to the file's columns: pruning */
  pq_filter_leaves_t fleaves;          /* its columns' leaves */
  prestige_bound_predicate_t *rbound; /* bound to the columns read: row filtering (NULL: prune only) */
  rnode_t **rproj;  /* columns read: the projection plus what the row filter needs (== proj when same) */
  int32_t n_rproj;
  int64_t rows_filtered; /* rows the row filter dropped */
  int64_t pages_pruned, rows_pruned; /* by the column indexes */
  buf_t page;      /* scratch: one decompressed page, reused */
  uint8_t *chunk;  /* scratch: one column chunk's bytes, reused */
  size_t chunk_cap;
};

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
  if (rc && !strstr(err->message, name)) prestige_error_prefix(err, "%s", name);
  return rc;
}

void prestige_parquet_reader_close(prestige_parquet_reader_t *r) {
  if (!r) return;
  if (r->in.ctx) r->in.close(r->in.ctx);
  free(r->footer);
  free(r->rgs);
  rschema_release(&r->rs);
  arena_release(&r->arena);
  pq_codec_ctx_free(r->codec);
  prestige_schema_release(&r->schema);
  buf_release(&r->page);
  free(r->chunk);
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
  if (!rc) rc = read_footer(r, err);
  if (!rc) rc = rschema_build(&r->rs, &r->meta, err);
  if (!rc) rc = rschema_set_int96_unit(&r->rs, r->opts.int96_unit, err);
  if (!rc) restore_arrow_schema(r);
  if (!rc) widen_large_strings(r);
  if (rc && rc != PRESTIGE_ENOMEM && !strstr(err->message, r->in.name)) prestige_error_prefix(err, "%s", r->in.name);
  if (!rc) {
    r->codec = pq_codec_ctx_new();
    r->proj = calloc((size_t)(r->rs.n_top ? r->rs.n_top : 1), sizeof(rnode_t *));
    r->rgs = calloc((size_t)(r->meta.n_row_groups ? r->meta.n_row_groups : 1) + (size_t)r->opts.n_row_groups, sizeof(int32_t));
    if (!r->codec || !r->proj || !r->rgs) rc = prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
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

/* ---- assembly: levels -> Arrow ---------------------------------------------------------- */
typedef struct slots {
  int64_t *pos;
  int64_t n;
} slots_t;

static inline int16_t def_at(const rcolumn_t *c, int64_t p) { return c->def ? c->def[p] : 0; }
static inline int16_t rep_at(const rcolumn_t *c, int64_t p) { return c->rep ? c->rep[p] : 0; }

/* Slots of node target in the level sequence of column c (a leaf below target). */
static int compute_slots(const rnode_t *target, const rcolumn_t *c, slots_t *out) {
  const rnode_t *chain[128];
  int depth = 0;
  for (const rnode_t *n = target; n && depth < 128; n = n->parent) chain[depth++] = n;
  int64_t *pos = malloc((size_t)(c->n_levels ? c->n_levels : 1) * sizeof(int64_t));
  if (!pos) return PRESTIGE_ENOMEM;
  int64_t n = 0;
  for (int64_t p = 0; p < c->n_levels; p++)
    if (rep_at(c, p) == 0) pos[n++] = p;
  for (int i = depth - 1; i > 0; i--) { /* from the top-level field down to target's parent */
    const rnode_t *L = chain[i];
    if (L->kind != RN_LIST && L->kind != RN_MAP) continue;
    int64_t *next = malloc((size_t)(c->n_levels ? c->n_levels : 1) * sizeof(int64_t));
    if (!next) {
      free(pos);
      return PRESTIGE_ENOMEM;
    }
    int64_t m = 0;
    for (int64_t k = 0; k < n; k++) {
      int64_t p = pos[k];
      if (def_at(c, p) < L->elem_def) continue;
      next[m++] = p;
      for (int64_t q = p + 1; q < c->n_levels && rep_at(c, q) >= L->rep; q++)
        if (rep_at(c, q) == L->rep) next[m++] = q;
    }
    free(pos);
    pos = next;
    n = m;
  }
  out->pos = pos;
  out->n = n;
  return 0;
}

static int bad_shape(prestige_error_t *err, const char *where, const rnode_t *n) {
  return prestige_error_set(err, PRESTIGE_ECORRUPT, "%s: column \"%s\": repetition/definition levels of its columns disagree",
                            where, n->name);
}

static int validity(const rnode_t *n, const rcolumn_t *c, const slots_t *s, struct ArrowArray *a, prestige_error_t *err) {
  a->null_count = 0;
  if (!n->nullable) return 0;
  uint8_t *bits = prestige_buffer_alloc((s->n + 7) / 8);
  if (!bits) return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
  memset(bits, 0, (size_t)(s->n + 7) / 8);
  int64_t nulls = 0;
  for (int64_t i = 0; i < s->n; i++) {
    if (def_at(c, s->pos[i]) >= n->def) bits[i >> 3] |= (uint8_t)(1u << (i & 7));
    else nulls++;
  }
  a->null_count = nulls;
  prestige_array_set_buffer(a, 0, bits);
  return 0;
}

static int leaf_array(const rnode_t *n, const rcolumn_t *c, const slots_t *s, struct ArrowArray *a, const char *where,
                      prestige_error_t *err) {
  prestige_arrow_type_info_t t;
  PRESTIGE_TRY(prestige_arrow_type_parse(n->format, &t, err));
  if (t.type == PRESTIGE_ARROW_NA) {
    PRESTIGE_TRY(prestige_array_init(a, 0, 0, err));
    a->length = s->n;
    a->null_count = s->n;
    return 0;
  }
  bool var = t.type == PRESTIGE_ARROW_STRING || t.type == PRESTIGE_ARROW_BINARY || t.type == PRESTIGE_ARROW_LARGE_STRING ||
             t.type == PRESTIGE_ARROW_LARGE_BINARY;
  bool large = t.type == PRESTIGE_ARROW_LARGE_STRING || t.type == PRESTIGE_ARROW_LARGE_BINARY;
  PRESTIGE_TRY(prestige_array_init(a, var ? 3 : 2, 0, err));
  a->length = s->n;
  PRESTIGE_TRY(validity(n, c, s, a, err));
  /* value index of each slot: count present values while walking the levels in order */
  int64_t vi = 0, p = 0;
  int16_t maxd = n->def;
  int64_t *vidx = malloc((size_t)(s->n ? s->n : 1) * sizeof(int64_t));
  if (!vidx) return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
  for (int64_t i = 0; i < s->n; i++) {
    for (; p < s->pos[i]; p++) vi += def_at(c, p) >= maxd;
    vidx[i] = def_at(c, s->pos[i]) >= maxd ? vi : -1;
  }
  for (; p < c->n_levels; p++) vi += def_at(c, p) >= maxd;
  int rc = 0;
  if (vi != c->n_values) rc = prestige_error_set(err, PRESTIGE_ECORRUPT, "%s: %lld values decoded, levels need %lld", where,
                                                 (long long)c->n_values, (long long)vi);
  const uint8_t *v = c->values.data;
  int64_t n_slots = s->n;
  if (!rc && var) {
    int64_t total = 0;
    for (int64_t i = 0; i < n_slots; i++)
      if (vidx[i] >= 0) total += c->offsets[vidx[i] + 1] - c->offsets[vidx[i]];
    if (total > INT32_MAX && !large)
      rc = prestige_error_set(err, PRESTIGE_EUNSUPPORTED, "%s: more than 2 GiB of strings in one row group (large_string output needed)", where);
    void *off = rc ? NULL : prestige_buffer_alloc((n_slots + 1) * (large ? 8 : 4));
    uint8_t *data = rc ? NULL : prestige_buffer_alloc(total);
    if (!rc && (!off || !data)) rc = prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
    if (!rc) {
      int64_t o = 0;
      if (large) ((int64_t *)off)[0] = 0;
      else ((int32_t *)off)[0] = 0;
      for (int64_t i = 0; i < n_slots; i++) {
        if (vidx[i] >= 0) {
          int64_t st = c->offsets[vidx[i]], len = c->offsets[vidx[i] + 1] - st;
          if (len) memcpy(data + o, c->data.data + st, (size_t)len);
          o += len;
        }
        if (large) ((int64_t *)off)[i + 1] = o;
        else ((int32_t *)off)[i + 1] = (int32_t)o;
      }
    }
    prestige_array_set_buffer(a, 1, off);
    prestige_array_set_buffer(a, 2, data);
  } else if (!rc) {
    int w = t.type == PRESTIGE_ARROW_BOOL ? 1 : t.byte_width;
    uint8_t *out = prestige_buffer_alloc(t.type == PRESTIGE_ARROW_BOOL ? (n_slots + 7) / 8 : n_slots * w);
    if (!out) rc = prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
    else memset(out, 0, t.type == PRESTIGE_ARROW_BOOL ? (size_t)(n_slots + 7) / 8 : (size_t)(n_slots * w));
    int sw = c->width;
    for (int64_t i = 0; !rc && i < n_slots; i++) {
      if (vidx[i] < 0) continue;
      const uint8_t *src = c->width ? v + vidx[i] * sw : NULL;
      uint8_t *dst = out + i * w;
      switch (t.type) {
        case PRESTIGE_ARROW_BOOL: if (src[0]) out[i >> 3] |= (uint8_t)(1u << (i & 7)); break;
        case PRESTIGE_ARROW_INT8: case PRESTIGE_ARROW_UINT8: case PRESTIGE_ARROW_INT16: case PRESTIGE_ARROW_UINT16:
          memcpy(dst, src, (size_t)w); /* low bytes of the little-endian INT32 */
          break;
        case PRESTIGE_ARROW_DECIMAL128: {
          uint8_t le[16];
          if (n->physical == PRESTIGE_PHYSICAL_INT32) {
            int32_t x;
            memcpy(&x, src, 4);
            __int128 y = x;
            memcpy(le, &y, 16);
          } else if (n->physical == PRESTIGE_PHYSICAL_INT64) {
            int64_t x;
            memcpy(&x, src, 8);
            __int128 y = x;
            memcpy(le, &y, 16);
          } else {
            const uint8_t *be = src;
            int64_t len = sw;
            if (!src) {
              len = c->offsets[vidx[i] + 1] - c->offsets[vidx[i]];
              be = len > 0 ? c->data.data + c->offsets[vidx[i]] : NULL;
            }
            if (len > 16 || len < 1) {
              rc = prestige_error_set(err, PRESTIGE_ECORRUPT, "%s: decimal of %lld bytes", where, (long long)len);
              break;
            }
            memset(le, (be[0] & 0x80) ? 0xff : 0, 16);
            for (int64_t k = 0; k < len; k++) le[k] = be[len - 1 - k];
          }
          memcpy(dst, le, 16);
          break;
        }
        case PRESTIGE_ARROW_DATE64: { /* days -> milliseconds */
          int32_t days;
          memcpy(&days, src, 4);
          int64_t ms = (int64_t)days * 86400000LL;
          memcpy(dst, &ms, 8);
          break;
        }
        default:
          if (sw != w) {
            rc = prestige_error_set(err, PRESTIGE_EUNSUPPORTED, "%s: cannot read %s as %s", where,
                                    prestige_physical_type_name((prestige_physical_type_t)n->physical), n->format);
            break;
          }
          memcpy(dst, src, (size_t)w);
      }
    }
    if (!rc && n->div > 1) { /* restored seconds units: the file holds milliseconds */
      for (int64_t i = 0; i < n_slots; i++) {
        if (w == 8) {
          int64_t x;
          memcpy(&x, out + i * 8, 8);
          x /= n->div;
          memcpy(out + i * 8, &x, 8);
        } else {
          int32_t x;
          memcpy(&x, out + i * 4, 4);
          x /= n->div;
          memcpy(out + i * 4, &x, 4);
        }
      }
    }
    prestige_array_set_buffer(a, 1, out);
  }
  free(vidx);
  return rc;
}

static int build(const rnode_t *n, rcolumn_t *cols, struct ArrowArray *a, const char *where, prestige_error_t *err);

static int build_with_slots(const rnode_t *n, rcolumn_t *cols, const slots_t *s, struct ArrowArray *a, const char *where,
                            prestige_error_t *err) {
  const rcolumn_t *c = &cols[n->first_leaf];
  if (n->kind == RN_LEAF) return leaf_array(n, c, s, a, where, err);
  PRESTIGE_TRY(prestige_array_init(a, n->kind == RN_STRUCT ? 1 : 2, n->n_children, err));
  a->length = s->n;
  PRESTIGE_TRY(validity(n, c, s, a, err));
  if (n->kind == RN_STRUCT) {
    for (int32_t i = 0; i < n->n_children; i++) {
      PRESTIGE_TRY(build(n->children[i], cols, a->children[i], where, err));
      if (a->children[i]->length != s->n) return bad_shape(err, where, n);
    }
    return 0;
  }
  /* list / map: offsets from the element counts of each slot */
  void *off = prestige_buffer_alloc((s->n + 1) * (n->large ? 8 : 4));
  if (!off) return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
  prestige_array_set_buffer(a, 1, off);
  int64_t total = 0;
  if (n->large) ((int64_t *)off)[0] = 0;
  else ((int32_t *)off)[0] = 0;
  for (int64_t i = 0; i < s->n; i++) {
    int64_t p = s->pos[i];
    if (def_at(c, p) >= n->elem_def) {
      total++;
      for (int64_t q = p + 1; q < c->n_levels && rep_at(c, q) >= n->rep; q++) total += rep_at(c, q) == n->rep;
    }
    if (total > INT32_MAX && !n->large) return prestige_error_set(err, PRESTIGE_EUNSUPPORTED, "%s: list too long", where);
    if (n->large) ((int64_t *)off)[i + 1] = total;
    else ((int32_t *)off)[i + 1] = (int32_t)total;
  }
  PRESTIGE_TRY(build(n->children[0], cols, a->children[0], where, err));
  if (a->children[0]->length != total) return bad_shape(err, where, n);
  return 0;
}

/* How a top-level leaf without repetition maps onto Arrow: 1 when its decoded fixed-width values
 * are the Arrow values buffer as they are, 2 for strings/binary with 32-bit offsets, 0 otherwise
 * (the generic assembly). */
static int flat_class(const rnode_t *n) {
  if (n->kind != RN_LEAF || n->parent || n->max_rep > 0 || n->div > 1) return 0;
  prestige_arrow_type_info_t t;
  if (prestige_arrow_type_parse(n->format, &t, NULL)) return 0;
  bool direct = (t.type == PRESTIGE_ARROW_INT32 && n->physical == PRESTIGE_PHYSICAL_INT32) ||
                (t.type == PRESTIGE_ARROW_UINT32 && n->physical == PRESTIGE_PHYSICAL_INT32) ||
                (t.type == PRESTIGE_ARROW_DATE32 && n->physical == PRESTIGE_PHYSICAL_INT32) ||
                (t.type == PRESTIGE_ARROW_TIME32 && n->physical == PRESTIGE_PHYSICAL_INT32) ||
                ((t.type == PRESTIGE_ARROW_INT64 || t.type == PRESTIGE_ARROW_UINT64 || t.type == PRESTIGE_ARROW_TIME64 ||
                  t.type == PRESTIGE_ARROW_DURATION || t.type == PRESTIGE_ARROW_TIMESTAMP) &&
                 n->physical == PRESTIGE_PHYSICAL_INT64) ||
                (t.type == PRESTIGE_ARROW_FLOAT && n->physical == PRESTIGE_PHYSICAL_FLOAT) ||
                (t.type == PRESTIGE_ARROW_DOUBLE && n->physical == PRESTIGE_PHYSICAL_DOUBLE) ||
                (t.type == PRESTIGE_ARROW_FIXED_SIZE_BINARY && n->physical == PRESTIGE_PHYSICAL_FIXED_LEN_BYTE_ARRAY);
  if (direct) return 1;
  if ((t.type == PRESTIGE_ARROW_STRING || t.type == PRESTIGE_ARROW_BINARY) && n->physical == PRESTIGE_PHYSICAL_BYTE_ARRAY)
    return 2;
  if (t.type == PRESTIGE_ARROW_BOOL && n->physical == PRESTIGE_PHYSICAL_BOOLEAN) return 3;
  return 0;
}

/* Validity bitmap from definition levels; returns the null count. */
static int64_t def_bitmap(const int16_t *def, int64_t n, int16_t max, uint8_t *bits) {
  int64_t valid = 0, i = 0;
  for (int64_t k = 0; k < n; k++) valid += def[k] >= max;
  for (; i + 8 <= n; i += 8) {
    unsigned b = 0;
    for (int k = 0; k < 8; k++) b |= (unsigned)(def[i + k] >= max) << k;
    bits[i >> 3] = (uint8_t)b;
  }
  if (i < n) {
    unsigned b = 0;
    for (int k = 0; i + k < n; k++) b |= (unsigned)(def[i + k] >= max) << k;
    bits[i >> 3] = (uint8_t)b;
  }
  return n - valid;
}

static void *detach_or_empty(buf_t *b) { return b->len ? buf_detach(b, NULL) : prestige_buffer_alloc(0); }

/* 32-bit Arrow offsets from the decoded 64-bit ones. */
static int32_t *narrow_offsets(const int64_t *o, int64_t n) {
  int32_t *off = prestige_buffer_alloc((n + 1) * 4);
  if (!off) return NULL;
  for (int64_t i = 0; i <= n; i++) off[i] = o ? (int32_t)o[i] : 0;
  return off;
}

/* Top-level leaf without repetition: the decoded buffers become the Arrow buffers (booleans are
 * packed into a bitmap). Returns -1 when the fast path does not apply. */
static int flat_leaf(const rnode_t *n, rcolumn_t *c, struct ArrowArray *a, const char *where, prestige_error_t *err) {
  int cls = flat_class(n);
  if (!cls) return -1;
  bool strings = cls == 2;
  if (strings && c->data.len > INT32_MAX) {
    return prestige_error_set(err, PRESTIGE_EUNSUPPORTED,
                              "%s, column \"%s\": %lld bytes of strings in one row group exceed the 2 GiB of one Arrow "
                              "string array", where, n->name, (long long)c->data.len);
  }
  int64_t n_slots = c->n_levels;
  uint8_t *bits = NULL;
  int64_t nulls = 0;
  if (c->def && c->n_nulls > 0) {
    bits = prestige_buffer_alloc((n_slots + 7) / 8);
    if (!bits) return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
    nulls = def_bitmap(c->def, n_slots, n->def, bits);
    if (nulls == 0) {
      free(bits);
      bits = NULL;
    }
  }
  /* booleans are dense (one value per present slot), the other classes spaced (one per slot) */
  bool per_slot = cls != 3 || nulls == 0;
  if ((cls != 3 && !c->spaced && nulls > 0) || (per_slot ? c->n_values != n_slots : c->n_values + nulls != n_slots)) {
    free(bits);
    return bad_shape(err, where, n);
  }
  PRESTIGE_TRY(prestige_array_init(a, strings ? 3 : 2, 0, err));
  a->length = n_slots;
  a->null_count = nulls;
  prestige_array_set_buffer(a, 0, bits);
  void *v1 = NULL, *v2 = NULL;
  if (cls == 3) { /* booleans: one decoded byte per present value, packed into the values bitmap */
    uint8_t *vb = prestige_buffer_alloc((n_slots + 7) / 8);
    if (!vb) return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
    memset(vb, 0, (size_t)(n_slots + 7) / 8);
    const uint8_t *v = c->values.data;
    if (nulls == 0) {
      for (int64_t i = 0; i < n_slots; i++) vb[i >> 3] |= (uint8_t)((v[i] & 1) << (i & 7));
    } else {
      int64_t k = 0, last = c->n_values > 0 ? c->n_values - 1 : 0;
      for (int64_t i = 0; i < n_slots; i++) {
        bool ok = c->def[i] >= n->def;
        uint8_t b = c->n_values ? v[k < last ? k : last] & ok : 0;
        vb[i >> 3] |= (uint8_t)(b << (i & 7));
        k += ok;
      }
    }
    prestige_array_set_buffer(a, 1, vb);
    return 0;
  }
  /* strings and fixed widths were decoded spaced (read_row_group asks for it for every flat
   * class): their buffers are the Arrow buffers */
  v1 = strings ? (void *)narrow_offsets(c->offsets, n_slots) : detach_or_empty(&c->values);
  if (strings) v2 = detach_or_empty(&c->data);
  if (v1) prestige_array_set_buffer(a, 1, v1);
  if (v2) prestige_array_set_buffer(a, 2, v2);
  if (!v1 || (strings && !v2)) return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
  return 0;
}

static int build(const rnode_t *n, rcolumn_t *cols, struct ArrowArray *a, const char *where, prestige_error_t *err) {
  if (n->kind == RN_LEAF) {
    int fr = flat_leaf(n, &cols[n->first_leaf], a, where, err);
    if (fr >= 0) return fr;
  }
  slots_t s;
  if (compute_slots(n, &cols[n->first_leaf], &s)) return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
  int rc = build_with_slots(n, cols, &s, a, where, err);
  free(s.pos);
  return rc;
}

static void mark_leaves(const rnode_t *n, bool *need) {
  if (n->kind == RN_LEAF) need[n->leaf] = true;
  for (int32_t i = 0; i < n->n_children; i++) mark_leaves(n->children[i], need);
}

/* Reads and decodes one page-index structure (column index or offset index) of a chunk. */
static int read_index(prestige_parquet_reader_t *r, int64_t off, int32_t len, bool column_index, arena_t *a, void *out,
                      const char *where, prestige_error_t *err) {
  if (off < 4 || len <= 0 || (uint64_t)off + (uint64_t)len > r->size)
    return prestige_error_set(err, PRESTIGE_ECORRUPT, "%s: %s at %lld+%d lies outside the file", where,
                              column_index ? "column index" : "offset index", (long long)off, len);
  uint8_t *b = arena_alloc(a, (size_t)len);
  if (!b) return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
  PRESTIGE_TRY(r->in.read_at(r->in.ctx, (uint64_t)off, b, (size_t)len, err));
  int rc = column_index ? pq_column_index_decode(b, (size_t)len, a, out, err) : pq_offset_index_decode(b, (size_t)len, a, out, err);
  if (rc) return prestige_error_prefix(err, "%s: %s", where, column_index ? "column index" : "offset index");
  return 0;
}

/* An offset index usable for page selection: pages in file order inside the chunk, rows from 0
 * upwards inside the row group. */
static bool offset_index_fits(const pq_offset_index_t *oi, int64_t start, int64_t len, int64_t num_rows) {
  if (oi->n_page_locations <= 0 || oi->page_locations[0].first_row_index != 0) return false;
  for (int32_t i = 0; i < oi->n_page_locations; i++) {
    const pq_page_location_t *l = &oi->page_locations[i];
    if (l->offset < start || l->offset >= start + len || l->first_row_index >= (num_rows > 0 ? num_rows : 1)) return false;
    if (i > 0 && (l->offset <= l[-1].offset || l->first_row_index <= l[-1].first_row_index)) return false;
  }
  return true;
}

/* The rows of row group g the filter may match, from the column indexes of the filter's columns;
 * *all when every row may (no index, or nothing pruned). */
static int page_ranges(prestige_parquet_reader_t *r, const pq_row_group_t *rg, int32_t g, arena_t *a,
                       row_ranges_t *keep, bool *all, pq_page_index_t **idx_out, prestige_error_t *err) {
  *all = true;
  *idx_out = NULL;
  memset(keep, 0, sizeof(*keep));
  if (!r->fbound || !r->opts.use_page_index) return 0;
  int32_t nl = r->rs.n_leaves;
  pq_page_index_t *idx = arena_alloc(a, sizeof(*idx) * (size_t)(nl ? nl : 1));
  *idx_out = idx; /* the offset indexes read here serve page selection too */
  bool *use = arena_alloc(a, (size_t)(nl ? nl : 1));
  if (!idx || !use) return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
  memset(idx, 0, sizeof(*idx) * (size_t)(nl ? nl : 1));
  memset(use, 0, (size_t)(nl ? nl : 1));
  for (int64_t c = 0; c < r->fleaves.n; c++)
    if (r->fleaves.leaves[c]) use[r->fleaves.leaves[c]->leaf] = true;
  bool any = false;
  for (int32_t l = 0; l < nl && l < rg->n_columns; l++) {
    const pq_column_chunk_t *cc = &rg->columns[l];
    if (!use[l] || !cc->has_column_index || !cc->has_offset_index || !cc->meta_data) continue;
    char where[512];
    snprintf(where, sizeof(where), "%s: row group %d, column %s", r->in.name, g, r->rs.leaves[l]->name);
    pq_column_index_t *ci = arena_alloc(a, sizeof(*ci));
    pq_offset_index_t *oi = arena_alloc(a, sizeof(*oi));
    if (!ci || !oi) return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
    PRESTIGE_TRY(read_index(r, cc->column_index_offset, cc->column_index_length, true, a, ci, where, err));
    PRESTIGE_TRY(read_index(r, cc->offset_index_offset, cc->offset_index_length, false, a, oi, where, err));
    if (!offset_index_fits(oi, 0, INT64_MAX, rg->num_rows) || ci->n_pages != oi->n_page_locations) continue;
    idx[l].ci = ci;
    idx[l].oi = oi;
    any = true;
  }
  if (!any) return 0;
  if (pq_filter_page_ranges(r->fbound, &r->fleaves, idx, rg->n_columns < nl ? rg->n_columns : nl, rg->num_rows, keep))
    return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
  *all = row_ranges_count(keep) >= rg->num_rows;
  if (*all) row_ranges_free(keep);
  return 0;
}

/* Moves array a, built for node u, into out shaped as node o: u itself, or a struct that keeps
 * some of u's fields (o's fields are found in u by name). Buffers move, nothing is copied. */
static int reshape(const rnode_t *o, const rnode_t *u, struct ArrowArray *a, struct ArrowArray *out, prestige_error_t *err) {
  if (o == u || o->kind != RN_STRUCT) {
    prestige_array_move(a, out);
    return 0;
  }
  PRESTIGE_TRY(prestige_array_init(out, 1, o->n_children, err));
  out->length = a->length;
  out->offset = a->offset;
  out->null_count = a->null_count;
  if (a->n_buffers > 0) {
    out->buffers[0] = a->buffers[0];
    a->buffers[0] = NULL;
  }
  for (int32_t i = 0; i < o->n_children; i++) {
    int32_t j = 0;
    while (j < u->n_children && strcmp(u->children[j]->name, o->children[i]->name)) j++;
    if (j == u->n_children || j >= a->n_children)
      return prestige_error_set(err, PRESTIGE_EINTERNAL, "reader: field \"%s\" missing from the columns read", o->children[i]->name);
    PRESTIGE_TRY(reshape(o->children[i], u->children[j], a->children[j], out->children[i], err));
  }
  return 0;
}

/* The projected batch from the batch of the columns read (projection plus filter columns). */
static int reshape_batch(prestige_parquet_reader_t *r, struct ArrowArray *read, struct ArrowArray *out, prestige_error_t *err) {
  PRESTIGE_TRY(prestige_array_init(out, 1, r->n_proj, err));
  out->length = read->length;
  out->offset = read->offset;
  int rc = 0;
  for (int32_t k = 0, j = 0; !rc && k < r->n_proj; k++) {
    while (j < r->n_rproj && strcmp(r->rproj[j]->name, r->proj[k]->name)) j++; /* both in file order */
    if (j == r->n_rproj) rc = prestige_error_set(err, PRESTIGE_EINTERNAL, "reader: column \"%s\" not read", r->proj[k]->name);
    else rc = reshape(r->proj[k], r->rproj[j], read->children[j], out->children[k], err);
  }
  return rc;
}

int prestige_parquet_reader_read_row_group(prestige_parquet_reader_t *r, int32_t i, struct ArrowArray *out,
                                           prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  memset(out, 0, sizeof(*out));
  if (i < 0 || i >= r->n_rgs) return prestige_error_set(err, PRESTIGE_EINVAL, "no row group %d", i);
  int32_t g = r->rgs[i];
  const pq_row_group_t *rg = &r->meta.row_groups[g];
  int32_t nl = r->rs.n_leaves;
  bool *need = calloc((size_t)(nl ? nl : 1), 1);
  rcolumn_t *cols = calloc((size_t)(nl ? nl : 1), sizeof(rcolumn_t));
  int8_t *spaced = calloc((size_t)(nl ? nl : 1), 1);
  int rc = need && cols && spaced ? 0 : prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
  rnode_t **rp = r->rproj ? r->rproj : r->proj; /* the columns read */
  int32_t n_rp = r->rproj ? r->n_rproj : r->n_proj;
  for (int32_t k = 0; !rc && k < n_rp; k++) {
    mark_leaves(rp[k], need);
    if (rp[k]->kind == RN_LEAF && flat_class(rp[k])) spaced[rp[k]->leaf] = 1;
  }
  arena_t ia = ARENA_INIT; /* page indexes of this row group */
  row_ranges_t keep = {0};
  bool all_rows = true;
  pq_page_index_t *idx = NULL; /* by leaf: the page indexes page_ranges read */
  if (!rc) rc = page_ranges(r, rg, g, &ia, &keep, &all_rows, &idx, err);
  int64_t out_rows = all_rows ? rg->num_rows : row_ranges_count(&keep);
  if (!rc && r->in.will_need) {
    /* announce the projected chunks so an object store fetches them in few, coalesced requests */
    uint64_t *offs = calloc((size_t)(nl ? nl : 1), sizeof *offs), *lens = calloc((size_t)(nl ? nl : 1), sizeof *lens);
    size_t n = 0;
    for (int32_t l = 0; offs && lens && l < nl; l++) {
      if (!need[l] || rg->columns[l].file_path || !rg->columns[l].meta_data) continue;
      const pq_column_meta_t *md = rg->columns[l].meta_data;
      int64_t start = md->data_page_offset;
      if (md->has_dictionary_page_offset && md->dictionary_page_offset >= 4 && (md->dictionary_page_offset < start || start < 4))
        start = md->dictionary_page_offset;
      int64_t len = md->total_compressed_size;
      if (start < 4 || len <= 0 || (uint64_t)start + (uint64_t)len > r->size) continue; /* reported below */
      offs[n] = (uint64_t)start;
      lens[n++] = (uint64_t)len;
    }
    if (n) rc = r->in.will_need(r->in.ctx, offs, lens, n, err);
    free(offs);
    free(lens);
  }
  for (int32_t l = 0; !rc && l < nl; l++) {
    if (!need[l]) continue;
    const pq_column_chunk_t *cc = &rg->columns[l];
    const pq_column_meta_t *md = cc->meta_data;
    char where[512];
    snprintf(where, sizeof(where), "%s: row group %d, column %s", r->in.name, g, r->rs.leaves[l]->name);
    if (cc->file_path) {
      rc = prestige_error_set(err, PRESTIGE_EUNSUPPORTED, "%s: column data in another file (%s) is not supported", where,
                              cc->file_path);
      break;
    }
    int64_t start = md->data_page_offset;
    if (md->has_dictionary_page_offset && md->dictionary_page_offset >= 4 &&
        (md->dictionary_page_offset < start || start < 4))
      start = md->dictionary_page_offset;
    int64_t len = md->total_compressed_size;
    if (md->num_values == 0 && rg->num_rows == 0) continue; /* nothing to read (some writers leave offsets at 0) */
    if (start < 4 || len < 0 || (uint64_t)start + (uint64_t)len > r->size) {
      rc = prestige_error_set(err, PRESTIGE_ECORRUPT, "%s: chunk range %lld+%lld lies outside the file", where,
                              (long long)start, (long long)len);
      break;
    }
    if ((size_t)len > r->chunk_cap || !r->chunk) {
      uint8_t *grown = realloc(r->chunk, (size_t)(len ? len : 1));
      if (!grown) {
        rc = prestige_error_set(err, PRESTIGE_ENOMEM, "%s: out of memory for %lld bytes", where, (long long)len);
        break;
      }
      r->chunk = grown;
      r->chunk_cap = (size_t)(len ? len : 1);
    }
    rc = r->in.read_at(r->in.ctx, (uint64_t)start, r->chunk, (size_t)len, err);
    if (rc) break;
    if (all_rows) {
      rc = rcolumn_decode(&cols[l], r->rs.leaves[l], md, r->chunk, (size_t)len, rg->num_rows, spaced[l] > 0, &r->page,
                          NULL, r->opts.verify_checksums, r->opts.max_page_bytes, r->codec, where, err);
      continue;
    }
    /* some pages ruled out: decode the pages meeting the kept rows (all of them without an
     * offset index), then keep exactly those rows so every column agrees */
    rpage_sel_t sel = {.chunk_start = start, .keep = &keep};
    pq_offset_index_t read_oi, *oi = idx ? idx[l].oi : NULL;
    if (!oi && cc->has_offset_index) {
      rc = read_index(r, cc->offset_index_offset, cc->offset_index_length, false, &ia, &read_oi, where, err);
      if (rc) break;
      oi = &read_oi;
    }
    if (oi && offset_index_fits(oi, start, len, rg->num_rows)) {
      sel.loc = oi->page_locations;
      sel.n_loc = oi->n_page_locations;
    }
    row_ranges_t everything = {&(row_range_t){0, rg->num_rows}, 1, 1};
    rc = rcolumn_decode(&cols[l], r->rs.leaves[l], md, r->chunk, (size_t)len, rg->num_rows, spaced[l] > 0, &r->page,
                        sel.loc ? &sel : NULL, r->opts.verify_checksums, r->opts.max_page_bytes, r->codec, where, err);
    if (!rc) rc = rcolumn_keep_rows(&cols[l], r->rs.leaves[l], sel.loc ? &sel.decoded : &everything, &keep, where, err);
    r->pages_pruned += sel.pages_skipped;
    row_ranges_free(&sel.decoded);
  }
  if (!rc && !all_rows) r->rows_pruned += rg->num_rows - out_rows;
  row_ranges_free(&keep);
  arena_release(&ia);
  /* a big chunk or page is not kept between row groups beyond 64 MiB */
  if (r->chunk_cap > ((size_t)64 << 20)) {
    free(r->chunk);
    r->chunk = NULL;
    r->chunk_cap = 0;
  }
  if (r->page.cap > ((size_t)64 << 20)) buf_release(&r->page);
  struct ArrowArray read;
  memset(&read, 0, sizeof(read));
  if (!rc) rc = prestige_array_init(&read, 1, n_rp, err);
  if (!rc) read.length = out_rows;
  for (int32_t k = 0; !rc && k < n_rp; k++) {
    char where[512];
    snprintf(where, sizeof(where), "%s: row group %d", r->in.name, g);
    rc = build(rp[k], cols, read.children[k], where, err);
    if (!rc && read.children[k]->length != out_rows)
      rc = prestige_error_set(err, PRESTIGE_ECORRUPT, "%s: row group %d: column \"%s\" has %lld rows, the row group %lld",
                              r->in.name, g, rp[k]->name, (long long)read.children[k]->length, (long long)out_rows);
  }
  for (int32_t l = 0; cols && l < nl; l++) rcolumn_release(&cols[l]);
  free(cols);
  free(need);
  free(spaced);
  if (!rc && r->rbound) { /* the rows that satisfy the filter */
    struct ArrowArray kept;
    rc = prestige_bound_predicate_filter(r->rbound, &read, &kept, err);
    if (rc) prestige_error_prefix(err, "%s: row group %d", r->in.name, g);
    else {
      r->rows_filtered += out_rows - kept.length;
      read = kept;
    }
  }
  if (!rc && rp == r->proj) prestige_array_move(&read, out);
  else if (!rc) rc = reshape_batch(r, &read, out, err); /* drop what only the filter needed */
  prestige_array_release(&read);
  if (rc && out->release) out->release(out);
  return rc;
}

/* ---- stream: zero-copy slices of each row group ----------------------------------------- */
typedef struct holder {
  struct ArrowArray rg;
  atomic_int refs;
} holder_t;

static void holder_unref(holder_t *h) {
  if (atomic_fetch_sub(&h->refs, 1) == 1) {
    if (h->rg.release) h->rg.release(&h->rg);
    free(h);
  }
}

static void child_release(struct ArrowArray *a) {
  holder_unref(a->private_data);
  a->release = NULL;
}

static void slice_release(struct ArrowArray *a) {
  for (int64_t i = 0; i < a->n_children; i++) {
    if (a->children[i]->release) a->children[i]->release(a->children[i]);
    free(a->children[i]);
  }
  free(a->children);
  free(a->buffers);
  holder_unref(a->private_data);
  a->release = NULL;
}

static int make_slice(holder_t *h, int64_t start, int64_t len, struct ArrowArray *out) {
  memset(out, 0, sizeof(*out));
  int64_t n = h->rg.n_children;
  out->buffers = calloc(1, sizeof(void *));
  out->children = calloc((size_t)(n ? n : 1), sizeof(struct ArrowArray *));
  if (!out->buffers || !out->children) goto oom;
  for (int64_t i = 0; i < n; i++) {
    out->children[i] = malloc(sizeof(struct ArrowArray));
    if (!out->children[i]) goto oom;
    *out->children[i] = *h->rg.children[i];
    out->children[i]->release = child_release;
    out->children[i]->private_data = h;
    atomic_fetch_add(&h->refs, 1);
    out->n_children = i + 1;
  }
  out->n_children = n;
  out->length = len;
  out->offset = start;
  out->n_buffers = 1;
  out->private_data = h;
  atomic_fetch_add(&h->refs, 1);
  out->release = slice_release;
  return 0;
oom:
  for (int64_t i = 0; out->children && i < out->n_children; i++) {
    holder_unref(h);
    free(out->children[i]);
  }
  free(out->children);
  free(out->buffers);
  return PRESTIGE_ENOMEM;
}

typedef struct rstream {
  prestige_parquet_reader_t *r;
  holder_t *cur;
  int64_t next_row;
  int32_t next_rg;
  prestige_error_t err;
} rstream_t;

static int rs_get_schema(struct ArrowArrayStream *s, struct ArrowSchema *out) {
  rstream_t *st = s->private_data;
  return code_to_errno(prestige_parquet_reader_schema(st->r, out, &st->err));
}

static int rs_get_next(struct ArrowArrayStream *s, struct ArrowArray *out) {
  rstream_t *st = s->private_data;
  memset(out, 0, sizeof(*out));
  while (!st->cur || st->next_row >= st->cur->rg.length) {
    if (st->cur) holder_unref(st->cur);
    st->cur = NULL;
    if (st->next_rg >= st->r->n_rgs) return 0;
    holder_t *h = calloc(1, sizeof(*h));
    if (!h) {
      return code_to_errno(prestige_error_set(&st->err, PRESTIGE_ENOMEM, "out of memory"));
    }
    atomic_init(&h->refs, 1);
    int rc = prestige_parquet_reader_read_row_group(st->r, st->next_rg++, &h->rg, &st->err);
    if (rc) {
      free(h);
      return code_to_errno(rc);
    }
    st->cur = h;
    st->next_row = 0;
  }
  int64_t len = st->cur->rg.length - st->next_row;
  if (len > st->r->opts.batch_rows) len = st->r->opts.batch_rows;
  if (make_slice(st->cur, st->next_row, len, out)) {
    return code_to_errno(prestige_error_set(&st->err, PRESTIGE_ENOMEM, "out of memory"));
  }
  st->next_row += len;
  return 0;
}

static const char *rs_last_error(struct ArrowArrayStream *s) { return ((rstream_t *)s->private_data)->err.message; }

static void rs_release(struct ArrowArrayStream *s) {
  rstream_t *st = s->private_data;
  if (st->cur) holder_unref(st->cur);
  prestige_parquet_reader_close(st->r);
  free(st);
  s->release = NULL;
}

int prestige_parquet_reader_stream(prestige_parquet_reader_t *r, struct ArrowArrayStream *out, prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  rstream_t *st = calloc(1, sizeof(*st));
  if (!st) {
    prestige_parquet_reader_close(r);
    return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
  }
  st->r = r;
  out->get_schema = rs_get_schema;
  out->get_next = rs_get_next;
  out->get_last_error = rs_last_error;
  out->release = rs_release;
  out->private_data = st;
  return 0;
}
