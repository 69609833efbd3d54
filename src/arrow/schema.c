/* ArrowSchema: format parsing, construction, metadata, copy and validation. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arrow/field_id.h"
#include "prestige/arrow.h"

/* ---- format strings ---------------------------------------------------------------------- */
static int parse_unit(char c, prestige_time_unit_t *u) {
  switch (c) {
    case 's': *u = PRESTIGE_TIME_UNIT_SECOND; return 0;
    case 'm': *u = PRESTIGE_TIME_UNIT_MILLI; return 0;
    case 'u': *u = PRESTIGE_TIME_UNIT_MICRO; return 0;
    case 'n': *u = PRESTIGE_TIME_UNIT_NANO; return 0;
    default: return -1;
  }
}

static int parse_int(const char *s, int32_t *out, const char **end) {
  errno = 0;
  char *e;
  long v = strtol(s, &e, 10);
  if (e == s || errno || v < 0 || v > INT32_MAX) return -1;
  *out = (int32_t)v;
  *end = e;
  return 0;
}

int prestige_arrow_type_parse(const char *format, prestige_arrow_type_info_t *t, prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  memset(t, 0, sizeof(*t));
  t->timezone = "";
  if (!format || !format[0]) return prestige_error_set(err, PRESTIGE_EINVAL, "empty Arrow format string");
  const char *f = format;
  const char *end;
  if (f[1] == '\0') {
    static const struct {
      char c;
      prestige_arrow_type_t t;
      int32_t w;
    } simple[] = {{'n', PRESTIGE_ARROW_NA, 0},        {'b', PRESTIGE_ARROW_BOOL, 0},
                  {'c', PRESTIGE_ARROW_INT8, 1},      {'C', PRESTIGE_ARROW_UINT8, 1},
                  {'s', PRESTIGE_ARROW_INT16, 2},     {'S', PRESTIGE_ARROW_UINT16, 2},
                  {'i', PRESTIGE_ARROW_INT32, 4},     {'I', PRESTIGE_ARROW_UINT32, 4},
                  {'l', PRESTIGE_ARROW_INT64, 8},     {'L', PRESTIGE_ARROW_UINT64, 8},
                  {'e', PRESTIGE_ARROW_HALF_FLOAT, 2}, {'f', PRESTIGE_ARROW_FLOAT, 4},
                  {'g', PRESTIGE_ARROW_DOUBLE, 8},    {'u', PRESTIGE_ARROW_STRING, 0},
                  {'U', PRESTIGE_ARROW_LARGE_STRING, 0}, {'z', PRESTIGE_ARROW_BINARY, 0},
                  {'Z', PRESTIGE_ARROW_LARGE_BINARY, 0}};
    for (size_t i = 0; i < sizeof(simple) / sizeof(simple[0]); i++) {
      if (simple[i].c == f[0]) {
        t->type = simple[i].t;
        t->byte_width = simple[i].w;
        return 0;
      }
    }
    goto bad;
  }
  if (f[0] == 'w' && f[1] == ':') {
    if (parse_int(f + 2, &t->fixed_size, &end) || *end || t->fixed_size <= 0) goto bad;
    t->type = PRESTIGE_ARROW_FIXED_SIZE_BINARY;
    t->byte_width = t->fixed_size;
    return 0;
  }
  if (f[0] == 'd' && f[1] == ':') {
    if (parse_int(f + 2, &t->precision, &end) || *end != ',') goto bad;
    const char *s = end + 1;
    errno = 0;
    char *e;
    long scale = strtol(s, &e, 10);
    if (e == s || errno || scale < -1000 || scale > 1000) goto bad;
    t->scale = (int32_t)scale;
    int32_t bits = 128;
    if (*e == ',') {
      if (parse_int(e + 1, &bits, &end) || *end) goto bad;
    } else if (*e) {
      goto bad;
    }
    if (bits == 128) t->type = PRESTIGE_ARROW_DECIMAL128, t->byte_width = 16;
    else if (bits == 256) t->type = PRESTIGE_ARROW_DECIMAL256, t->byte_width = 32;
    else goto unsupported;
    if (t->precision < 1 || t->precision > (bits == 128 ? 38 : 76)) goto bad;
    return 0;
  }
  if (f[0] == 't') {
    switch (f[1]) {
      case 'd':
        if (f[2] == 'D' && !f[3]) return t->type = PRESTIGE_ARROW_DATE32, t->byte_width = 4, 0;
        if (f[2] == 'm' && !f[3]) return t->type = PRESTIGE_ARROW_DATE64, t->byte_width = 8, 0;
        goto bad;
      case 't':
        if (parse_unit(f[2], &t->unit) || f[3]) goto bad;
        t->type = t->unit <= PRESTIGE_TIME_UNIT_MILLI ? PRESTIGE_ARROW_TIME32 : PRESTIGE_ARROW_TIME64;
        t->byte_width = t->type == PRESTIGE_ARROW_TIME32 ? 4 : 8;
        return 0;
      case 's':
        if (parse_unit(f[2], &t->unit) || f[3] != ':') goto bad;
        t->type = PRESTIGE_ARROW_TIMESTAMP;
        t->byte_width = 8;
        t->timezone = f + 4;
        return 0;
      case 'D':
        if (parse_unit(f[2], &t->unit) || f[3]) goto bad;
        t->type = PRESTIGE_ARROW_DURATION;
        t->byte_width = 8;
        return 0;
      case 'i':
        if (f[3]) goto bad;
        if (f[2] == 'M') return t->type = PRESTIGE_ARROW_INTERVAL_MONTHS, t->byte_width = 4, 0;
        if (f[2] == 'D') return t->type = PRESTIGE_ARROW_INTERVAL_DAY_TIME, t->byte_width = 8, 0;
        if (f[2] == 'n') return t->type = PRESTIGE_ARROW_INTERVAL_MONTH_DAY_NANO, t->byte_width = 16, 0;
        goto bad;
      default: goto bad;
    }
  }
  if (f[0] == '+') {
    if (!strcmp(f, "+l")) return t->type = PRESTIGE_ARROW_LIST, 0;
    if (!strcmp(f, "+L")) return t->type = PRESTIGE_ARROW_LARGE_LIST, 0;
    if (!strcmp(f, "+s")) return t->type = PRESTIGE_ARROW_STRUCT, 0;
    if (!strcmp(f, "+m")) return t->type = PRESTIGE_ARROW_MAP, 0;
    if (f[1] == 'w' && f[2] == ':') {
      if (parse_int(f + 3, &t->fixed_size, &end) || *end || t->fixed_size < 0) goto bad;
      t->type = PRESTIGE_ARROW_FIXED_SIZE_LIST;
      return 0;
    }
    goto unsupported;
  }
  if (f[0] == 'v' || (f[0] == '+' && f[1] == 'u')) goto unsupported;
bad:
  return prestige_error_set(err, PRESTIGE_EINVAL, "invalid Arrow format string \"%s\"", format);
unsupported:
  return prestige_error_set(err, PRESTIGE_EUNSUPPORTED, "unsupported Arrow type \"%s\"", format);
}

int prestige_arrow_schema_type(const struct ArrowSchema *schema, prestige_arrow_type_info_t *info,
                               prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  if (!schema || !schema->format) return prestige_error_set(err, PRESTIGE_EINVAL, "schema without a format");
  PRESTIGE_TRY(prestige_arrow_type_parse(schema->format, info, err));
  if (schema->dictionary) {
    info->index_type = info->type;
    info->type = PRESTIGE_ARROW_DICTIONARY;
  }
  return 0;
}

const char *prestige_arrow_type_name(prestige_arrow_type_t type) {
  static const char *const names[] = {
      "null", "bool", "int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64", "halffloat", "float",
      "double", "utf8", "large_utf8", "binary", "large_binary", "fixed_size_binary", "decimal128", "decimal256",
      "date32", "date64", "time32", "time64", "timestamp", "duration", "interval_months", "interval_day_time",
      "interval_month_day_nano", "list", "large_list", "fixed_size_list", "struct", "map", "dictionary"};
  return (unsigned)type < sizeof(names) / sizeof(names[0]) ? names[type] : "unknown";
}

int64_t prestige_arrow_type_buffer_count(prestige_arrow_type_t type) {
  switch (type) {
    case PRESTIGE_ARROW_NA: return 0;
    case PRESTIGE_ARROW_STRING: case PRESTIGE_ARROW_LARGE_STRING:
    case PRESTIGE_ARROW_BINARY: case PRESTIGE_ARROW_LARGE_BINARY: return 3;
    case PRESTIGE_ARROW_STRUCT: case PRESTIGE_ARROW_FIXED_SIZE_LIST: return 1;
    default: return 2;
  }
}

/* ---- construction ------------------------------------------------------------------------- */
/* Schemas made here own format, name, metadata and children through these fields directly;
 * private_data is unused (non-NULL marks "made by prestige"). */
static char owned_marker;

static void schema_release(struct ArrowSchema *s) {
  if (!s || !s->release) return;
  free((char *)s->format);
  free((char *)s->name);
  free((char *)s->metadata);
  for (int64_t i = 0; i < s->n_children; i++) {
    if (s->children[i]) {
      if (s->children[i]->release) s->children[i]->release(s->children[i]);
      free(s->children[i]);
    }
  }
  free(s->children);
  if (s->dictionary) {
    if (s->dictionary->release) s->dictionary->release(s->dictionary);
    free(s->dictionary);
  }
  s->release = NULL;
}

int prestige_schema_init(struct ArrowSchema *s, const char *format, const char *name, int64_t flags,
                         prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  memset(s, 0, sizeof(*s));
  s->format = strdup(format ? format : "n");
  s->name = name ? strdup(name) : NULL;
  s->flags = flags;
  s->release = schema_release;
  s->private_data = &owned_marker;
  if (!s->format || (name && !s->name)) {
    schema_release(s);
    return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory creating schema %s", name ? name : "");
  }
  return 0;
}

int prestige_schema_allocate_children(struct ArrowSchema *s, int64_t n, prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  if (s->private_data != &owned_marker || s->children)
    return prestige_error_set(err, PRESTIGE_EINVAL, "allocate_children: schema not made by prestige_schema_init or already has children");
  if (n < 0) return prestige_error_set(err, PRESTIGE_EINVAL, "allocate_children: negative count");
  s->children = calloc((size_t)(n ? n : 1), sizeof(struct ArrowSchema *));
  if (!s->children) return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory for %lld schema children", (long long)n);
  for (int64_t i = 0; i < n; i++) {
    s->children[i] = calloc(1, sizeof(struct ArrowSchema));
    if (!s->children[i]) {
      s->n_children = i;
      return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory for schema children");
    }
  }
  s->n_children = n;
  return 0;
}

int prestige_schema_allocate_dictionary(struct ArrowSchema *s, prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  if (s->private_data != &owned_marker || s->dictionary)
    return prestige_error_set(err, PRESTIGE_EINVAL, "allocate_dictionary: schema not made by prestige_schema_init");
  s->dictionary = calloc(1, sizeof(struct ArrowSchema));
  if (!s->dictionary) return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory for dictionary schema");
  return 0;
}

/* ---- metadata ------------------------------------------------------------------------------ */
static int32_t rd32(const char *p) {
  int32_t v;
  memcpy(&v, p, 4);
  return v;
}

int prestige_schema_set_metadata(struct ArrowSchema *s, const prestige_kv_t *pairs, int64_t n, prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  if (s->private_data != &owned_marker)
    return prestige_error_set(err, PRESTIGE_EINVAL, "set_metadata: schema not made by prestige_schema_init");
  free((char *)s->metadata);
  s->metadata = NULL;
  if (n <= 0) return 0;
  size_t size = 4;
  for (int64_t i = 0; i < n; i++) {
    size_t vl = pairs[i].value_len < 0 ? strlen(pairs[i].value) : (size_t)pairs[i].value_len;
    size += 8 + strlen(pairs[i].key) + vl;
  }
  char *m = malloc(size);
  if (!m) return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory for schema metadata");
  char *p = m;
  int32_t cnt = (int32_t)n;
  memcpy(p, &cnt, 4);
  p += 4;
  for (int64_t i = 0; i < n; i++) {
    int32_t kl = (int32_t)strlen(pairs[i].key);
    int32_t vl = pairs[i].value_len < 0 ? (int32_t)strlen(pairs[i].value) : pairs[i].value_len;
    memcpy(p, &kl, 4);
    memcpy(p + 4, pairs[i].key, (size_t)kl);
    p += 4 + kl;
    memcpy(p, &vl, 4);
    if (vl) memcpy(p + 4, pairs[i].value, (size_t)vl);
    p += 4 + vl;
  }
  s->metadata = m;
  return 0;
}

int prestige_schema_metadata_put(struct ArrowSchema *s, const char *key, const char *value, int32_t value_len,
                                 prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  if (s->private_data != &owned_marker)
    return prestige_error_set(err, PRESTIGE_EINVAL, "metadata_put: schema not made by prestige_schema_init");
  int32_t n = prestige_metadata_count(s->metadata);
  prestige_kv_t *kv = calloc((size_t)n + 1, sizeof(*kv));
  char **keys = calloc((size_t)n + 1, sizeof(char *)); /* pairs[].key must be NUL-terminated */
  int rc = kv && keys ? 0 : prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory for schema metadata");
  int64_t m = 0;
  bool placed = false;
  for (int32_t i = 0; !rc && i < n; i++) {
    const char *k, *v;
    int32_t kl, vl;
    prestige_metadata_pair(s->metadata, i, &k, &kl, &v, &vl);
    if ((size_t)kl == strlen(key) && !memcmp(k, key, (size_t)kl)) {
      if (!value || placed) continue;
      kv[m++] = (prestige_kv_t){key, value, value_len};
      placed = true;
      continue;
    }
    if (!(keys[i] = strndup(k, (size_t)kl))) rc = prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory for schema metadata");
    else kv[m++] = (prestige_kv_t){keys[i], v, vl};
  }
  if (!rc && value && !placed) kv[m++] = (prestige_kv_t){key, value, value_len};
  /* the new encoding is built before the old one (which the pairs point into) is freed */
  char *old = (char *)s->metadata;
  s->metadata = NULL;
  if (!rc) rc = prestige_schema_set_metadata(s, kv, m, err);
  if (rc) s->metadata = old;
  else free(old);
  for (int32_t i = 0; keys && i < n; i++) free(keys[i]);
  free(keys);
  free(kv);
  return rc;
}

int32_t prestige_metadata_count(const char *metadata) { return metadata ? rd32(metadata) : 0; }

bool prestige_metadata_pair(const char *metadata, int32_t i, const char **key, int32_t *key_len, const char **value,
                            int32_t *value_len) {
  if (!metadata || i < 0 || i >= rd32(metadata)) return false;
  const char *p = metadata + 4;
  for (int32_t k = 0;; k++) {
    int32_t kl = rd32(p);
    const char *kp = p + 4;
    int32_t vl = rd32(kp + kl);
    const char *vp = kp + kl + 4;
    if (k == i) {
      *key = kp;
      *key_len = kl;
      *value = vp;
      *value_len = vl;
      return true;
    }
    p = vp + vl;
  }
}

bool prestige_metadata_get(const char *metadata, const char *key, const char **value, int32_t *value_len) {
  int32_t n = prestige_metadata_count(metadata);
  size_t klen = strlen(key);
  for (int32_t i = 0; i < n; i++) {
    const char *k;
    int32_t kl;
    if (prestige_metadata_pair(metadata, i, &k, &kl, value, value_len) && (size_t)kl == klen && !memcmp(k, key, klen))
      return true;
  }
  return false;
}

int64_t prestige_metadata_size(const char *metadata) {
  if (!metadata) return 0;
  int32_t n = rd32(metadata);
  const char *p = metadata + 4;
  for (int32_t i = 0; i < n; i++) {
    int32_t kl = rd32(p);
    p += 4 + kl;
    int32_t vl = rd32(p);
    p += 4 + vl;
  }
  return p - metadata;
}

/* ---- copy and validate ----------------------------------------------------------------------- */
int prestige_schema_copy(struct ArrowSchema *dst, const struct ArrowSchema *src, prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  PRESTIGE_TRY(prestige_schema_init(dst, src->format, src->name, src->flags, err));
  int rc = 0;
  if (src->metadata) {
    int64_t size = prestige_metadata_size(src->metadata);
    char *m = malloc((size_t)size);
    if (!m) {
      rc = prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory copying schema metadata");
      goto fail;
    }
    memcpy(m, src->metadata, (size_t)size);
    dst->metadata = m;
  }
  if (src->n_children > 0) {
    if ((rc = prestige_schema_allocate_children(dst, src->n_children, err))) goto fail;
    for (int64_t i = 0; i < src->n_children; i++)
      if ((rc = prestige_schema_copy(dst->children[i], src->children[i], err))) goto fail;
  }
  if (src->dictionary) {
    if ((rc = prestige_schema_allocate_dictionary(dst, err))) goto fail;
    if ((rc = prestige_schema_copy(dst->dictionary, src->dictionary, err))) goto fail;
  }
  return 0;
fail:
  dst->release(dst);
  return rc;
}

static int expected_children(const prestige_arrow_type_info_t *t, int64_t n, const char *name, prestige_error_t *err) {
  int64_t want = -1;
  switch (t->type) {
    case PRESTIGE_ARROW_LIST: case PRESTIGE_ARROW_LARGE_LIST: case PRESTIGE_ARROW_FIXED_SIZE_LIST:
    case PRESTIGE_ARROW_MAP: want = 1; break;
    case PRESTIGE_ARROW_STRUCT: return 0;
    default: want = 0;
  }
  if (n != want)
    return prestige_error_set(err, PRESTIGE_EINVAL, "schema field \"%s\" of type %s has %lld children, expected %lld",
                              name ? name : "", prestige_arrow_type_name(t->type), (long long)n, (long long)want);
  return 0;
}

int prestige_schema_validate(const struct ArrowSchema *s, prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  if (!s || !s->release) return prestige_error_set(err, PRESTIGE_EINVAL, "schema is released or NULL");
  prestige_arrow_type_info_t t;
  int rc = prestige_arrow_type_parse(s->format, &t, err);
  if (rc) return prestige_error_prefix(err, "field \"%s\"", s->name ? s->name : "");
  PRESTIGE_TRY(expected_children(&t, s->n_children, s->name, err));
  if (s->n_children && !s->children) return prestige_error_set(err, PRESTIGE_EINVAL, "schema children array is NULL");
  for (int64_t i = 0; i < s->n_children; i++) {
    if (!s->children[i]) return prestige_error_set(err, PRESTIGE_EINVAL, "schema child %lld is NULL", (long long)i);
    PRESTIGE_TRY(prestige_schema_validate(s->children[i], err));
  }
  if (t.type == PRESTIGE_ARROW_MAP) {
    const struct ArrowSchema *e = s->children[0];
    if (strcmp(e->format, "+s") != 0 || e->n_children != 2)
      return prestige_error_set(err, PRESTIGE_EINVAL, "map field \"%s\": entries must be a struct of key and value",
                                s->name ? s->name : "");
  }
  if (s->dictionary) PRESTIGE_TRY(prestige_schema_validate(s->dictionary, err));
  return 0;
}

int32_t arrow_field_id(const struct ArrowSchema *s) {
  const char *v;
  int32_t len;
  if (!s || !prestige_metadata_get(s->metadata, "PARQUET:field_id", &v, &len) || len <= 0 || len > 10) return -1;
  int64_t x = 0;
  for (int32_t i = 0; i < len; i++) {
    if (v[i] < '0' || v[i] > '9') return -1;
    x = x * 10 + (v[i] - '0');
  }
  return x > INT32_MAX ? -1 : (int32_t)x;
}
