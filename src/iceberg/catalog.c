/* Catalog front end pieces shared by every backend: identifiers and loaded tables. */
#include "iceberg/catalog.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>
#include <errno.h>

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

/* ---- the common part of every backend ------------------------------------------------------------ */

static int dup_opt(const char *s, char **out) {
  *out = NULL;
  if (!s) return 0;
  return (*out = strdup(s)) ? 0 : -1;
}

int ice_catalog_base_init(ice_catalog_t *c, const ice_catalog_ops_t *ops, const char *name, const char *warehouse,
                          const char *uri, prestige_s3_client_t *s3, prestige_error_t *err) {
  c->ops = ops;
  c->name = c->warehouse = c->uri = NULL;
  c->s3 = NULL;
  if (dup_opt(name ? name : "prestige", &c->name) || dup_opt(uri, &c->uri)) {
    ice_catalog_base_release(c);
    return oom(err);
  }
  if (warehouse && *warehouse) {
    int rc = ice_location_normalize(warehouse, &c->warehouse, err);
    if (rc) {
      ice_catalog_base_release(c);
      if (err) prestige_error_prefix(err, "catalog \"%s\": warehouse", name ? name : "prestige");
      return rc;
    }
    size_t n = strlen(c->warehouse);
    while (n > 5 && c->warehouse[n - 1] == '/') c->warehouse[--n] = 0;
  }
  if (s3) c->s3 = prestige_s3_client_ref(s3);
  return 0;
}

void ice_catalog_base_release(ice_catalog_t *c) {
  if (!c) return;
  free(c->name);
  free(c->warehouse);
  free(c->uri);
  prestige_s3_client_free(c->s3);
  c->name = c->warehouse = c->uri = NULL;
  c->s3 = NULL;
}

void ice_catalog_free(ice_catalog_t *c) {
  if (c && c->ops && c->ops->destroy) c->ops->destroy(c);
}

/* Backends by URI scheme. */

static const struct {
  const char *prefix;
  ice_catalog_open_fn open;
} backends[] = {
    {"sqlite:", ice_catalog_sql_open},     {"postgresql://", ice_catalog_sql_open},
    {"postgres://", ice_catalog_sql_open}, {"http://", ice_catalog_rest_open},
    {"https://", ice_catalog_rest_open},
};

bool ice_catalog_uri_is_rest(const char *uri) {
  return uri && (!strncmp(uri, "http://", 7) || !strncmp(uri, "https://", 8));
}

int ice_catalog_open(const prestige_iceberg_catalog_options_t *o, prestige_s3_client_t *s3, ice_catalog_t **out,
                     prestige_error_t *err) {
  *out = NULL;
  for (size_t i = 0; i < sizeof backends / sizeof backends[0]; i++)
    if (!strncmp(o->uri, backends[i].prefix, strlen(backends[i].prefix))) return backends[i].open(o, s3, out, err);
  return prestige_error_set(err, PRESTIGE_EINVAL,
                            "catalog URI \"%.200s\" is not one prestige knows (sqlite:PATH, postgresql://..., http(s)://...)",
                            o->uri);
}

int ice_catalog_default_location(const ice_catalog_t *c, const ice_ident_t *id, char **out, prestige_error_t *err) {
  *out = NULL;
  if (!c->warehouse) {
    char *name = ice_ident_format(id);
    int rc = prestige_error_set(err, PRESTIGE_EINVAL,
                                "table %s: catalog \"%s\" has no warehouse, so the table needs an explicit location",
                                name ? name : "?", c->name);
    free(name);
    return rc;
  }
  buf_t b = BUF_INIT;
  int rc = buf_append(&b, c->warehouse, strlen(c->warehouse));
  for (size_t i = 0; i < id->n_levels && !rc; i++) {
    rc = buf_append_u8(&b, '/');
    if (!rc) rc = buf_append(&b, id->levels[i], strlen(id->levels[i]));
  }
  if (!rc && id->name) {
    rc = buf_append_u8(&b, '/');
    if (!rc) rc = buf_append(&b, id->name, strlen(id->name));
  }
  if (!rc) rc = buf_append_u8(&b, 0);
  if (rc) {
    buf_release(&b);
    return oom(err);
  }
  *out = (char *)buf_detach(&b, NULL);
  return 0;
}

int ice_catalog_namespace_exists(ice_catalog_t *c, const ice_ident_t *ns, bool *exists, prestige_error_t *err) {
  *exists = false;
  if (c->ops->namespace_exists) return c->ops->namespace_exists(c, ns, exists, err);
  ice_strmap_t props = {0};
  int rc = c->ops->namespace_load(c, ns, &props, err);
  ice_strmap_release(&props);
  if (rc == PRESTIGE_ENOTFOUND) return 0;
  if (!rc) *exists = true;
  return rc;
}

int ice_catalog_table_exists(ice_catalog_t *c, const ice_ident_t *id, bool *exists, prestige_error_t *err) {
  *exists = false;
  if (c->ops->table_exists) return c->ops->table_exists(c, id, exists, err);
  ice_loaded_table_t t = {0};
  int rc = c->ops->table_load(c, id, &t, err);
  ice_loaded_table_release(&t);
  if (rc == PRESTIGE_ENOTFOUND) return 0;
  if (!rc) *exists = true;
  return rc;
}

int ice_catalog_table_io(const ice_catalog_t *c, const char *location, ice_io_t **out, prestige_error_t *err) {
  return ice_catalog_table_io_config(c, location, NULL, out, err);
}

/* Vended credentials (a REST load-table response's config) make a client of the table's own. */
static int vended_client(const ice_catalog_t *c, const ice_strmap_t *cfg, prestige_s3_client_t **out, prestige_error_t *err) {
  *out = NULL;
  const char *ak = ice_strmap_get(cfg, "s3.access-key-id"), *sk = ice_strmap_get(cfg, "s3.secret-access-key");
  const char *endpoint = ice_strmap_get(cfg, "s3.endpoint"), *region = ice_strmap_get(cfg, "s3.region");
  const char *path_style = ice_strmap_get(cfg, "s3.path-style-access");
  if (!ak && !endpoint && !region) return 0;
  if ((ak == NULL) != (sk == NULL))
    return prestige_error_set(err, PRESTIGE_EAUTH, "vended credentials: s3.access-key-id and s3.secret-access-key come in pairs");
  prestige_s3_config_t sc;
  prestige_s3_config_init(&sc);
  sc.region = region ? region : c->s3 ? prestige_s3_client_region(c->s3) : NULL;
  sc.endpoint = endpoint ? endpoint : c->s3 ? prestige_s3_client_endpoint(c->s3) : NULL;
  sc.access_key = ak;
  sc.secret_key = sk;
  sc.session_token = ice_strmap_get(cfg, "s3.session-token");
  if (path_style) sc.force_path_style = !strcmp(path_style, "true");
  int rc = prestige_s3_client_new(out, &sc, err);
  if (rc && err) prestige_error_prefix(err, "vended credentials");
  return rc;
}

int ice_catalog_table_io_config(const ice_catalog_t *c, const char *location, const ice_strmap_t *config, ice_io_t **out,
                                prestige_error_t *err) {
  prestige_s3_client_t *own = NULL;
  if (config && config->n) PRESTIGE_TRY(vended_client(c, config, &own, err));
  int vrc = ice_io_new(own ? own : c->s3, out, err);
  prestige_s3_client_free(own); /* the IO holds its own reference */
  PRESTIGE_TRY(vrc);
  int rc = location ? ice_io_add_root(*out, location, err) : 0;
  if (rc) {
    ice_io_free(*out);
    *out = NULL;
  }
  return rc;
}

/* Metadata JSON is small; a "compressed" file that inflates beyond this is hostile. */
#define METADATA_MAX_BYTES ((size_t)256 << 20)

static int gunzip_capped(const uint8_t *in, size_t n, const char *what, uint8_t **out, size_t *out_len,
                         prestige_error_t *err) {
  *out = NULL;
  *out_len = 0;
  z_stream z;
  memset(&z, 0, sizeof z);
  if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) return oom(err);
  buf_t b = BUF_INIT;
  uint8_t chunk[65536];
  z.next_in = (Bytef *)in;
  z.avail_in = (uInt)(n > UINT32_MAX ? UINT32_MAX : n);
  int zr = Z_OK, rc = 0;
  while (zr != Z_STREAM_END) {
    z.next_out = chunk;
    z.avail_out = sizeof chunk;
    zr = inflate(&z, Z_NO_FLUSH);
    if (zr != Z_OK && zr != Z_STREAM_END) {
      rc = prestige_error_set(err, PRESTIGE_ECORRUPT, "%s: corrupt gzip data (%s)", what, z.msg ? z.msg : "truncated");
      break;
    }
    size_t got = sizeof chunk - z.avail_out;
    if (b.len + got > METADATA_MAX_BYTES) {
      rc = prestige_error_set(err, PRESTIGE_ECORRUPT, "%s: inflates beyond %zu bytes", what, METADATA_MAX_BYTES);
      break;
    }
    if (buf_append(&b, chunk, got)) {
      rc = oom(err);
      break;
    }
    if (zr == Z_OK && got == 0 && z.avail_in == 0) {
      rc = prestige_error_set(err, PRESTIGE_ECORRUPT, "%s: truncated gzip data", what);
      break;
    }
  }
  inflateEnd(&z);
  if (rc) {
    buf_release(&b);
    return rc;
  }
  *out = buf_detach(&b, out_len);
  return 0;
}

int ice_catalog_read_metadata(ice_io_t *io, const char *location, ice_table_metadata_t **out, prestige_error_t *err) {
  *out = NULL;
  char *norm = NULL;
  PRESTIGE_TRY(ice_location_normalize(location, &norm, err));
  const char *path = ice_location_local_path(norm);
  struct stat sb;
  if (path && stat(path, &sb) != 0) {
    int e = errno;
    int rc = e == ENOENT || e == ENOTDIR
                 ? prestige_error_set(err, PRESTIGE_ENOTFOUND, "metadata file %s does not exist", location)
                 : prestige_error_set(err, PRESTIGE_EIO, "metadata file %s: %s", location, strerror(e));
    free(norm);
    return rc;
  }
  if (path && !S_ISREG(sb.st_mode)) {
    free(norm);
    return prestige_error_set(err, PRESTIGE_EINVAL, "metadata file %s is not a regular file", location);
  }
  free(norm);
  uint8_t *data = NULL;
  size_t len = 0;
  int rc = ice_io_read(io, location, &data, &len, err);
  if (rc == PRESTIGE_ENOTFOUND) rc = prestige_error_set(err, PRESTIGE_ENOTFOUND, "metadata file %s does not exist", location);
  if (!rc && len >= 2 && data[0] == 0x1f && data[1] == 0x8b) { /* Java's write.metadata.compression-codec=gzip */
    uint8_t *plain = NULL;
    size_t plain_len = 0;
    rc = gunzip_capped(data, len, location, &plain, &plain_len, err);
    free(data);
    data = plain;
    len = plain_len;
  }
  if (!rc) rc = ice_metadata_read_text((const char *)data, len, location, out, err);
  free(data);
  return rc;
}
