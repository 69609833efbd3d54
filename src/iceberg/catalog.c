/* Catalog front end pieces shared by every backend: identifiers and loaded tables. */
#include "iceberg/catalog.h"

#include <stdlib.h>
#include <string.h>

#include "core/buf.h"

static int oom(prestige_error_t *err) { return prestige_error_set(err, PRESTIGE_ENOMEM, "catalog: out of memory"); }

void ice_ident_release(ice_ident_t *id) {
  if (!id) return;
  for (size_t i = 0; i < id->n_levels; i++) free(id->levels[i]);
  free(id->levels);
  free(id->name);
  memset(id, 0, sizeof(*id));
}

void ice_idents_free(ice_ident_t *ids, size_t n) {
  if (!ids) return;
  for (size_t i = 0; i < n; i++) ice_ident_release(&ids[i]);
  free(ids);
}

int ice_ident_parse(const char *text, bool is_table, ice_ident_t *out, prestige_error_t *err) {
  memset(out, 0, sizeof(*out));
  if (!text || !*text)
    return prestige_error_set(err, PRESTIGE_EINVAL, "empty %s name", is_table ? "table" : "namespace");
  size_t n = 1;
  for (const char *p = text; *p; p++) n += *p == '.';
  if (is_table && n < 2)
    return prestige_error_set(err, PRESTIGE_EINVAL, "table \"%s\": expected NAMESPACE.TABLE", text);
  size_t n_levels = is_table ? n - 1 : n;
  out->levels = calloc(n_levels ? n_levels : 1, sizeof(char *));
  if (!out->levels) return oom(err);
  const char *p = text;
  for (size_t i = 0; i < n; i++) {
    const char *dot = strchr(p, '.');
    size_t len = dot ? (size_t)(dot - p) : strlen(p);
    if (len == 0) {
      ice_ident_release(out);
      return prestige_error_set(err, PRESTIGE_EINVAL, "%s \"%s\": empty name segment", is_table ? "table" : "namespace",
                                text);
    }
    char *seg = strndup(p, len);
    if (!seg) {
      ice_ident_release(out);
      return oom(err);
    }
    if (i < n_levels) out->levels[out->n_levels++] = seg;
    else out->name = seg;
    p += len + 1;
  }
  return 0;
}

int ice_ident_copy(const ice_ident_t *src, ice_ident_t *dst, prestige_error_t *err) {
  memset(dst, 0, sizeof(*dst));
  dst->levels = calloc(src->n_levels ? src->n_levels : 1, sizeof(char *));
  if (!dst->levels) return oom(err);
  for (size_t i = 0; i < src->n_levels; i++) {
    if (!(dst->levels[i] = strdup(src->levels[i]))) {
      ice_ident_release(dst);
      return oom(err);
    }
    dst->n_levels++;
  }
  if (src->name && !(dst->name = strdup(src->name))) {
    ice_ident_release(dst);
    return oom(err);
  }
  return 0;
}

char *ice_ident_format(const ice_ident_t *id) {
  buf_t b = BUF_INIT;
  int rc = 0;
  for (size_t i = 0; i < id->n_levels && !rc; i++) {
    if (i) rc = buf_append_u8(&b, '.');
    if (!rc) rc = buf_append(&b, id->levels[i], strlen(id->levels[i]));
  }
  if (!rc && id->name) {
    if (id->n_levels) rc = buf_append_u8(&b, '.');
    if (!rc) rc = buf_append(&b, id->name, strlen(id->name));
  }
  if (!rc) rc = buf_append_u8(&b, 0);
  if (rc) {
    buf_release(&b);
    return NULL;
  }
  return (char *)buf_detach(&b, NULL);
}

bool ice_ident_equal(const ice_ident_t *a, const ice_ident_t *b) {
  if (a->n_levels != b->n_levels) return false;
  for (size_t i = 0; i < a->n_levels; i++)
    if (strcmp(a->levels[i], b->levels[i])) return false;
  if (!a->name || !b->name) return a->name == b->name;
  return !strcmp(a->name, b->name);
}

void ice_loaded_table_release(ice_loaded_table_t *t) {
  if (!t) return;
  free(t->metadata_location);
  ice_metadata_free(t->metadata);
  ice_strmap_release(&t->config);
  memset(t, 0, sizeof(*t));
}
