/* prestige meta FILE [--json]: the footer of a Parquet file, decoded. */
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "core/arena.h"
#include "parquet/metadata.h"
#include "prestige/io.h"
#include "prestige/parquet.h"

static const char USAGE[] =
    "usage: prestige meta FILE [--json]\n"
    "\n"
    "Prints a Parquet file's metadata: version, writer, rows, key-value metadata keys, the schema\n"
    "tree (physical and logical types, repetition, field ids) and, per row group and column chunk,\n"
    "the encodings, codec, compressed and uncompressed sizes, value count, statistics and page\n"
    "index locations.\n"
    "\n"
    "  --json   one JSON object instead of text\n";

/* Reads and decodes the footer of path. */
static int load_footer(const char *path, arena_t *arena, pq_file_metadata_t *m, uint64_t *size, prestige_error_t *err) {
  prestige_input_t in;
  PRESTIGE_TRY(cli_open_input(path, &in, err));
  uint8_t tail[8];
  uint8_t *footer = NULL;
  int rc = in.size(in.ctx, size, err);
  if (!rc && *size < 12) rc = prestige_error_set(err, PRESTIGE_ECORRUPT, "%s: %llu bytes is too small for a Parquet file", path, (unsigned long long)*size);
  if (!rc) rc = in.read_at(in.ctx, *size - 8, tail, 8, err);
  if (!rc && memcmp(tail + 4, "PARE", 4) == 0)
    rc = prestige_error_set(err, PRESTIGE_EUNSUPPORTED, "%s: encrypted files are not supported", path);
  if (!rc && memcmp(tail + 4, "PAR1", 4) != 0)
    rc = prestige_error_set(err, PRESTIGE_ECORRUPT, "%s: not a Parquet file (no PAR1 magic at the end)", path);
  uint32_t flen = rc ? 0 : (uint32_t)tail[0] | (uint32_t)tail[1] << 8 | (uint32_t)tail[2] << 16 | (uint32_t)tail[3] << 24;
  if (!rc && (uint64_t)flen + 12 > *size)
    rc = prestige_error_set(err, PRESTIGE_ECORRUPT, "%s: footer length %u exceeds the file size %llu", path, flen, (unsigned long long)*size);
  if (!rc && !(footer = arena_alloc(arena, flen ? flen : 1))) rc = prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
  if (!rc) rc = in.read_at(in.ctx, *size - 8 - flen, footer, flen, err);
  if (!rc) rc = pq_file_metadata_decode(footer, flen, arena, m, err);
  if (!rc) rc = pq_file_metadata_validate(m, *size, err);
  if (rc && err->message[0] && !strstr(err->message, path)) prestige_error_prefix(err, "%s", path);
  in.close(in.ctx);
  return rc;
}

/* A statistic value rendered for people, by physical and logical type. */
static void format_stat(char *out, size_t n, const pq_bytes_t *v, int32_t physical, const pq_schema_element_t *e) {
  const pq_logical_type_t *lt = e ? e->logical_type : NULL;
  bool is_unsigned = lt && lt->kind == PQ_LT_INTEGER && !lt->is_signed;
  bool is_string = (lt && (lt->kind == PQ_LT_STRING || lt->kind == PQ_LT_JSON || lt->kind == PQ_LT_ENUM)) ||
                   (e && e->has_converted_type && e->converted_type == PQ_CT_UTF8);
  int scale = lt && lt->kind == PQ_LT_DECIMAL ? lt->scale : 0;
  if ((physical == PRESTIGE_PHYSICAL_INT32 && v->len == 4) || (physical == PRESTIGE_PHYSICAL_INT64 && v->len == 8)) {
    int64_t s = 0;
    uint64_t u = 0;
    if (v->len == 4) {
      int32_t x;
      memcpy(&x, v->ptr, 4);
      s = x;
      u = (uint32_t)x;
    } else {
      memcpy(&s, v->ptr, 8);
      u = (uint64_t)s;
    }
    if (is_unsigned) snprintf(out, n, "%" PRIu64, u);
    else if (scale > 0) {
      uint64_t mag = s < 0 ? (uint64_t)0 - (uint64_t)s : (uint64_t)s;
      uint64_t p = 1;
      for (int i = 0; i < scale; i++) p *= 10;
      snprintf(out, n, "%s%" PRIu64 ".%0*" PRIu64, s < 0 ? "-" : "", mag / p, scale, mag % p);
    } else snprintf(out, n, "%" PRId64, s);
    return;
  }
  if (physical == PRESTIGE_PHYSICAL_FLOAT && v->len == 4) {
    float f;
    memcpy(&f, v->ptr, 4);
    snprintf(out, n, "%.9g", (double)f);
    return;
  }
  if (physical == PRESTIGE_PHYSICAL_DOUBLE && v->len == 8) {
    double d;
    memcpy(&d, v->ptr, 8);
    snprintf(out, n, "%.17g", d);
    return;
  }
  if (physical == PRESTIGE_PHYSICAL_BOOLEAN && v->len == 1) {
    snprintf(out, n, "%s", v->ptr[0] ? "true" : "false");
    return;
  }
  size_t o = 0;
  bool printable = is_string;
  for (uint32_t i = 0; i < v->len && printable; i++) printable = v->ptr[i] >= 0x20 && v->ptr[i] != 0x7f;
  if (printable) {
    for (uint32_t i = 0; i < v->len && o + 2 < n; i++) out[o++] = (char)v->ptr[i];
  } else {
    o += (size_t)snprintf(out, n, "0x");
    for (uint32_t i = 0; i < v->len && o + 3 < n; i++) o += (size_t)snprintf(out + o, n - o, "%02x", v->ptr[i]);
  }
  out[o < n ? o : n - 1] = 0;
}

/* Leaf schema elements in column order. */
static int collect_leaves(const pq_file_metadata_t *m, const pq_schema_element_t **leaves, int32_t max) {
  int32_t n = 0;
  for (int32_t i = 1; i < m->n_schema; i++)
    if (!(m->schema[i].has_num_children && m->schema[i].num_children > 0) && n < max) leaves[n++] = &m->schema[i];
  return n;
}

static const char *type_desc(const pq_schema_element_t *e, char *buf, size_t n) {
  char lt[64] = "";
  if (e->logical_type) pq_logical_type_format(e->logical_type, lt, sizeof(lt));
  else if (e->has_converted_type) snprintf(lt, sizeof(lt), "%s", pq_converted_type_name(e->converted_type));
  const char *phys = e->has_type ? prestige_physical_type_name((prestige_physical_type_t)e->type) : "group";
  if (e->has_type && e->type == PRESTIGE_PHYSICAL_FIXED_LEN_BYTE_ARRAY)
    snprintf(buf, n, "%s(%d)%s%s", phys, e->type_length, lt[0] ? " " : "", lt);
  else snprintf(buf, n, "%s%s%s", phys, lt[0] ? " " : "", lt);
  return buf;
}

static int32_t print_schema(const pq_file_metadata_t *m, int32_t i, int depth) {
  const pq_schema_element_t *e = &m->schema[i];
  char t[160];
  printf("%*s%s %s %s", depth * 2, "", e->has_repetition ? pq_repetition_name(e->repetition) : "", e->name,
         type_desc(e, t, sizeof(t)));
  if (e->has_field_id) printf(" [id %d]", e->field_id);
  printf("\n");
  int32_t next = i + 1;
  if (e->has_num_children)
    for (int32_t c = 0; c < e->num_children; c++) next = print_schema(m, next, depth + 1);
  return next;
}

static int print_text(const char *path, const pq_file_metadata_t *m, uint64_t size) {
  printf("file:        %s\n", path);
  printf("size:        %llu bytes\n", (unsigned long long)size);
  printf("version:     %d\n", m->version);
  printf("created_by:  %s\n", m->created_by ? m->created_by : "");
  printf("rows:        %lld\n", (long long)m->num_rows);
  printf("row groups:  %d\n", m->n_row_groups);
  for (int32_t i = 0; i < m->n_key_value_metadata; i++)
    printf("metadata:    %s (%u bytes)\n", m->key_value_metadata[i].key, m->key_value_metadata[i].value.len);
  printf("schema:\n");
  print_schema(m, 0, 1);
  const pq_schema_element_t *leaves[4096];
  int32_t nl = collect_leaves(m, leaves, 4096);
  for (int32_t g = 0; g < m->n_row_groups; g++) {
    const pq_row_group_t *rg = &m->row_groups[g];
    printf("row group %d: %lld rows, %lld bytes uncompressed, %lld compressed\n", g, (long long)rg->num_rows,
           (long long)rg->total_byte_size, (long long)(rg->has_total_compressed_size ? rg->total_compressed_size : 0));
    for (int32_t c = 0; c < rg->n_columns; c++) {
      const pq_column_meta_t *md = rg->columns[c].meta_data;
      const pq_schema_element_t *e = c < nl ? leaves[c] : NULL;
      char path_buf[512] = "";
      size_t o = 0;
      for (int32_t k = 0; k < md->n_path_in_schema && o < sizeof(path_buf) - 1; k++)
        o += (size_t)snprintf(path_buf + o, sizeof(path_buf) - o, "%s%s", k ? "." : "", md->path_in_schema[k]);
      char t[160];
      printf("  %s: %s, %s, ", path_buf, e ? type_desc(e, t, sizeof(t)) : "?",
             prestige_compression_name((prestige_compression_t)md->codec) ? prestige_compression_name((prestige_compression_t)md->codec) : "?");
      for (int32_t k = 0; k < md->n_encodings; k++)
        printf("%s%s", k ? "/" : "", prestige_encoding_name((prestige_encoding_t)md->encodings[k]));
      printf(", %lld values, %lld -> %lld bytes", (long long)md->num_values, (long long)md->total_uncompressed_size,
             (long long)md->total_compressed_size);
      const pq_statistics_t *st = md->statistics;
      if (st) {
        char mn[128], mx[128];
        const pq_bytes_t *vmin = st->has_min_value ? &st->min_value : st->has_min ? &st->min : NULL;
        const pq_bytes_t *vmax = st->has_max_value ? &st->max_value : st->has_max ? &st->max : NULL;
        if (vmin && vmax) {
          format_stat(mn, sizeof(mn), vmin, md->type, e);
          format_stat(mx, sizeof(mx), vmax, md->type, e);
          printf(", min %s, max %s", mn, mx);
        }
        if (st->has_null_count) printf(", %lld nulls", (long long)st->null_count);
      }
      if (rg->columns[c].has_column_index || rg->columns[c].has_offset_index) printf(", page index");
      printf("\n");
    }
  }
  return 0;
}

static int print_json(const char *path, const pq_file_metadata_t *m, uint64_t size) {
  json_t *root = json_object();
  json_object_set_new(root, "file", json_string(path));
  json_object_set_new(root, "size", json_integer((json_int_t)size));
  json_object_set_new(root, "version", json_integer(m->version));
  json_object_set_new(root, "created_by", json_string(m->created_by ? m->created_by : ""));
  json_object_set_new(root, "rows", json_integer(m->num_rows));
  json_t *kv = json_array();
  for (int32_t i = 0; i < m->n_key_value_metadata; i++) json_array_append_new(kv, json_string(m->key_value_metadata[i].key));
  json_object_set_new(root, "metadata_keys", kv);
  json_t *schema = json_array();
  for (int32_t i = 0; i < m->n_schema; i++) {
    const pq_schema_element_t *e = &m->schema[i];
    json_t *o = json_object();
    char t[160];
    json_object_set_new(o, "name", json_string(e->name));
    json_object_set_new(o, "type", json_string(type_desc(e, t, sizeof(t))));
    if (e->has_repetition) json_object_set_new(o, "repetition", json_string(pq_repetition_name(e->repetition)));
    if (e->has_num_children) json_object_set_new(o, "num_children", json_integer(e->num_children));
    if (e->has_field_id) json_object_set_new(o, "field_id", json_integer(e->field_id));
    json_array_append_new(schema, o);
  }
  json_object_set_new(root, "schema", schema);
  const pq_schema_element_t *leaves[4096];
  int32_t nl = collect_leaves(m, leaves, 4096);
  json_t *rgs = json_array();
  for (int32_t g = 0; g < m->n_row_groups; g++) {
    const pq_row_group_t *rg = &m->row_groups[g];
    json_t *jg = json_object();
    json_object_set_new(jg, "rows", json_integer(rg->num_rows));
    json_object_set_new(jg, "total_byte_size", json_integer(rg->total_byte_size));
    json_t *cols = json_array();
    for (int32_t c = 0; c < rg->n_columns; c++) {
      const pq_column_meta_t *md = rg->columns[c].meta_data;
      json_t *jc = json_object();
      char p[512] = "";
      size_t o = 0;
      for (int32_t k = 0; k < md->n_path_in_schema && o < sizeof(p) - 1; k++)
        o += (size_t)snprintf(p + o, sizeof(p) - o, "%s%s", k ? "." : "", md->path_in_schema[k]);
      json_object_set_new(jc, "path", json_string(p));
      json_object_set_new(jc, "physical_type", json_string(prestige_physical_type_name((prestige_physical_type_t)md->type)));
      const char *cn = prestige_compression_name((prestige_compression_t)md->codec);
      json_object_set_new(jc, "codec", json_string(cn ? cn : "unknown"));
      json_t *enc = json_array();
      for (int32_t k = 0; k < md->n_encodings; k++)
        json_array_append_new(enc, json_string(prestige_encoding_name((prestige_encoding_t)md->encodings[k])));
      json_object_set_new(jc, "encodings", enc);
      json_object_set_new(jc, "num_values", json_integer(md->num_values));
      json_object_set_new(jc, "compressed_size", json_integer(md->total_compressed_size));
      json_object_set_new(jc, "uncompressed_size", json_integer(md->total_uncompressed_size));
      const pq_statistics_t *st = md->statistics;
      if (st) {
        const pq_bytes_t *vmin = st->has_min_value ? &st->min_value : st->has_min ? &st->min : NULL;
        const pq_bytes_t *vmax = st->has_max_value ? &st->max_value : st->has_max ? &st->max : NULL;
        char s[256];
        if (vmin) format_stat(s, sizeof(s), vmin, md->type, c < nl ? leaves[c] : NULL), json_object_set_new(jc, "min", json_string(s));
        if (vmax) format_stat(s, sizeof(s), vmax, md->type, c < nl ? leaves[c] : NULL), json_object_set_new(jc, "max", json_string(s));
        if (st->has_null_count) json_object_set_new(jc, "null_count", json_integer(st->null_count));
      }
      json_object_set_new(jc, "page_index", json_boolean(rg->columns[c].has_column_index || rg->columns[c].has_offset_index));
      json_array_append_new(cols, jc);
    }
    json_object_set_new(jg, "columns", cols);
    json_array_append_new(rgs, jg);
  }
  json_object_set_new(root, "row_groups", rgs);
  char *s = json_dumps(root, JSON_COMPACT | JSON_ENSURE_ASCII);
  puts(s ? s : "{}");
  free(s);
  json_decref(root);
  return 0;
}

static int run_meta(int argc, char **argv) {
  const cli_verb_t *v = cli_find("meta");
  const char *file = NULL;
  bool json = false;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--json")) json = true;
    else if (argv[i][0] == '-' && argv[i][1]) return cli_usage_error(v, "unknown option %s", argv[i]);
    else if (file) return cli_usage_error(v, "one FILE only");
    else file = argv[i];
  }
  if (!file) return cli_usage_error(v, "FILE is required");
  prestige_error_t err;
  prestige_error_init(&err);
  arena_t arena = ARENA_INIT;
  pq_file_metadata_t m;
  uint64_t size;
  int rc = load_footer(file, &arena, &m, &size, &err);
  if (rc) {
    arena_release(&arena);
    return cli_fail("meta", &err);
  }
  json ? print_json(file, &m, size) : print_text(file, &m, size);
  arena_release(&arena);
  return CLI_OK;
}

CLI_VERB(meta, "meta", "print a Parquet file's metadata (schema, row groups, column chunks, statistics)", USAGE, run_meta)
