/* A small catalog backend for the table tests (header-only; include it in one test file):
 * namespaces are directories under a root, a table is a "<name>.table" file holding its current
 * metadata location, and a commit is checked and applied under an exclusive flock of
 * "<name>.lock" (so processes and threads can race), the next metadata file written with
 * put-if-absent and the pointer swapped with rename(2). It implements ice_catalog_ops_t, which
 * also checks the interface from the table side. Fault injection for the retry paths:
 *   conflicts: the next N commits fail with ECONFLICT before doing anything
 *   unknown_after: the next N commits land, then report EUNKNOWN_STATE
 *   unknown_before: the next N commits do nothing and report EUNKNOWN_STATE
 *   unknown_load_fail: after an unknown outcome the next N loads fail too */
#ifndef PRESTIGE_TEST_FILE_CATALOG_H
#define PRESTIGE_TEST_FILE_CATALOG_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "iceberg/catalog.h"
#include "iceberg/io.h"
#include "prestige/core.h"

typedef struct file_catalog {
  ice_catalog_t base;
  char *root;
  ice_io_t *io;
  int conflicts, unknown_after, unknown_before, unknown_load_fail;
  int commits; /* commits that landed */
} file_catalog_t;

static inline int fc_ns_dir(file_catalog_t *c, const ice_ident_t *id, char *out, size_t n) {
  int len = snprintf(out, n, "%s", c->root);
  for (size_t i = 0; i < id->n_levels; i++) len += snprintf(out + len, n - (size_t)len, "/%s", id->levels[i]);
  return len;
}

static inline void fc_paths(file_catalog_t *c, const ice_ident_t *id, char *ptr, char *lock, size_t n) {
  char dir[2048];
  fc_ns_dir(c, id, dir, sizeof dir);
  snprintf(ptr, n, "%s/%s.table", dir, id->name);
  snprintf(lock, n, "%s/%s.lock", dir, id->name);
}

static inline int fc_mkdirs(const char *path) {
  char b[2048];
  snprintf(b, sizeof b, "%s", path);
  for (char *p = b + 1; *p; p++)
    if (*p == '/') {
      *p = 0;
      mkdir(b, 0755);
      *p = '/';
    }
  return mkdir(b, 0755) && errno != EEXIST ? -1 : 0;
}

static inline int fc_read_ptr(const char *ptr, char *out, size_t n) {
  FILE *f = fopen(ptr, "r");
  if (!f) return -1;
  size_t r = fread(out, 1, n - 1, f);
  fclose(f);
  out[r] = 0;
  while (r && (out[r - 1] == '\n')) out[--r] = 0;
  return r ? 0 : -1;
}

static inline int fc_write_ptr(const char *ptr, const char *loc) {
  char tmp[2100];
  snprintf(tmp, sizeof tmp, "%s.tmp.%d", ptr, (int)getpid());
  FILE *f = fopen(tmp, "w");
  if (!f) return -1;
  fprintf(f, "%s\n", loc);
  if (fflush(f) || fsync(fileno(f))) {
    fclose(f);
    return -1;
  }
  fclose(f);
  return rename(tmp, ptr);
}

static inline int fc_load_at(file_catalog_t *c, const char *loc, ice_loaded_table_t *out, prestige_error_t *err) {
  uint8_t *data;
  size_t len;
  PRESTIGE_TRY(ice_io_read(c->io, loc, &data, &len, err));
  ice_table_metadata_t *md;
  int rc = ice_metadata_read_text((const char *)data, len, loc, &md, err);
  free(data);
  if (rc) return rc;
  memset(out, 0, sizeof(*out));
  out->metadata = md;
  out->metadata_location = strdup(loc);
  return 0;
}

static inline int fc_table_load(ice_catalog_t *cat, const ice_ident_t *id, ice_loaded_table_t *out, prestige_error_t *err) {
  file_catalog_t *c = (file_catalog_t *)cat;
  memset(out, 0, sizeof(*out));
  if (c->unknown_load_fail > 0) {
    c->unknown_load_fail--;
    return prestige_error_set(err, PRESTIGE_ENET, "file catalog: injected load failure");
  }
  char ptr[2100], lock[2100], loc[4096];
  fc_paths(c, id, ptr, lock, sizeof ptr);
  if (fc_read_ptr(ptr, loc, sizeof loc)) return prestige_error_set(err, PRESTIGE_ENOTFOUND, "table %s not found", id->name);
  return fc_load_at(c, loc, out, err);
}

static inline int fc_ns_create(ice_catalog_t *cat, const ice_ident_t *ns, const ice_strmap_t *props, prestige_error_t *err) {
  (void)props;
  char dir[2048];
  fc_ns_dir((file_catalog_t *)cat, ns, dir, sizeof dir);
  return fc_mkdirs(dir) ? prestige_error_set(err, PRESTIGE_EIO, "mkdir %s", dir) : 0;
}

static inline int fc_table_create(ice_catalog_t *cat, const ice_ident_t *id, const ice_create_request_t *req, ice_loaded_table_t *out,
                           prestige_error_t *err) {
  file_catalog_t *c = (file_catalog_t *)cat;
  char ptr[2100], lock[2100], dir[2048], loc[4096], mloc[4200];
  fc_paths(c, id, ptr, lock, sizeof ptr);
  fc_ns_dir(c, id, dir, sizeof dir);
  if (access(ptr, F_OK) == 0) return prestige_error_set(err, PRESTIGE_EEXISTS, "table %s exists", id->name);
  fc_mkdirs(dir);
  if (req->location) {
    snprintf(loc, sizeof loc, "%s", req->location);
  } else {
    int len = snprintf(loc, sizeof loc, "%s", cat->warehouse);
    for (size_t i = 0; i < id->n_levels; i++) len += snprintf(loc + len, sizeof loc - (size_t)len, "/%s", id->levels[i]);
    snprintf(loc + len, sizeof loc - (size_t)len, "/%s", id->name);
  }
  ice_table_metadata_t *md;
  PRESTIGE_TRY(ice_metadata_new_table(req->schema, req->spec, req->order, loc, req->properties, req->format_version,
                                      prestige_now_ms(), &md, err));
  int rc = ice_io_add_root(c->io, md->location, err);
  if (!rc) rc = ice_metadata_next_file_name(md, NULL, mloc, sizeof mloc, err);
  char *text = rc ? NULL : ice_metadata_write_text(md, err);
  if (!rc && !text) rc = err ? err->code : PRESTIGE_ENOMEM;
  if (!rc) rc = ice_io_write(c->io, mloc, text, strlen(text), true, err);
  free(text);
  if (!rc && fc_write_ptr(ptr, mloc)) rc = prestige_error_set(err, PRESTIGE_EIO, "write %s", ptr);
  if (rc) {
    ice_metadata_free(md);
    return rc;
  }
  memset(out, 0, sizeof(*out));
  out->metadata = md;
  out->metadata_location = strdup(mloc);
  return 0;
}

static inline int fc_table_commit(ice_catalog_t *cat, const ice_table_commit_t *cm, ice_loaded_table_t *out, prestige_error_t *err) {
  file_catalog_t *c = (file_catalog_t *)cat;
  memset(out, 0, sizeof(*out));
  if (c->conflicts > 0) {
    c->conflicts--;
    return prestige_error_set(err, PRESTIGE_ECONFLICT, "file catalog: injected conflict");
  }
  if (c->unknown_before > 0) {
    c->unknown_before--;
    return prestige_error_set(err, PRESTIGE_EUNKNOWN_STATE, "file catalog: injected unknown outcome (not committed)");
  }
  char ptr[2100], lock[2100], loc[4096], next_loc[4200];
  fc_paths(c, cm->ident, ptr, lock, sizeof ptr);
  int fd = open(lock, O_CREAT | O_RDWR | O_CLOEXEC, 0644);
  if (fd < 0 || flock(fd, LOCK_EX)) {
    if (fd >= 0) close(fd);
    return prestige_error_set(err, PRESTIGE_EIO, "lock %s", lock);
  }
  ice_loaded_table_t cur = {0};
  ice_table_metadata_t *next = NULL;
  char *text = NULL;
  int rc = fc_read_ptr(ptr, loc, sizeof loc) ? prestige_error_set(err, PRESTIGE_ENOTFOUND, "table %s", cm->ident->name) : 0;
  if (!rc) rc = fc_load_at(c, loc, &cur, err);
  if (!rc) rc = ice_requirements_check(cur.metadata, cm->requirements, cm->n_requirements, err);
  if (!rc) rc = ice_metadata_apply(cur.metadata, loc, cm->updates, cm->n_updates, prestige_now_ms(), &next, err);
  if (!rc) rc = ice_metadata_next_file_name(next, loc, next_loc, sizeof next_loc, err);
  if (!rc && !(text = ice_metadata_write_text(next, err))) rc = err ? err->code : PRESTIGE_ENOMEM;
  if (!rc) rc = ice_io_write(c->io, next_loc, text, strlen(text), true, err);
  if (!rc && fc_write_ptr(ptr, next_loc)) rc = prestige_error_set(err, PRESTIGE_EIO, "write %s", ptr);
  free(text);
  flock(fd, LOCK_UN);
  close(fd);
  ice_loaded_table_release(&cur);
  if (rc) {
    ice_metadata_free(next);
    return rc;
  }
  c->commits++;
  out->metadata = next;
  out->metadata_location = strdup(next_loc);
  if (c->unknown_after > 0) {
    c->unknown_after--;
    ice_loaded_table_release(out);
    return prestige_error_set(err, PRESTIGE_EUNKNOWN_STATE, "file catalog: injected unknown outcome (committed)");
  }
  return 0;
}

static inline int fc_table_list(ice_catalog_t *cat, const ice_ident_t *ns, ice_ident_t **out, size_t *n, prestige_error_t *err) {
  char dir[2048];
  fc_ns_dir((file_catalog_t *)cat, ns, dir, sizeof dir);
  *out = NULL;
  *n = 0;
  DIR *d = opendir(dir);
  if (!d) return prestige_error_set(err, PRESTIGE_ENOTFOUND, "namespace %s", dir);
  struct dirent *e;
  while ((e = readdir(d))) {
    size_t l = strlen(e->d_name);
    if (l < 7 || strcmp(e->d_name + l - 6, ".table")) continue;
    ice_ident_t *g = realloc(*out, (*n + 1) * sizeof(*g));
    if (!g) break;
    *out = g;
    ice_ident_copy(ns, &g[*n], NULL);
    g[*n].name = strndup(e->d_name, l - 6);
    (*n)++;
  }
  closedir(d);
  return 0;
}

static inline int fc_table_drop(ice_catalog_t *cat, const ice_ident_t *id, bool purge, prestige_error_t *err) {
  (void)purge;
  char ptr[2100], lock[2100];
  fc_paths((file_catalog_t *)cat, id, ptr, lock, sizeof ptr);
  if (unlink(ptr)) return prestige_error_set(err, PRESTIGE_ENOTFOUND, "table %s", id->name);
  unlink(lock);
  return 0;
}

static inline int fc_unsupported(prestige_error_t *err) {
  return prestige_error_set(err, PRESTIGE_EUNSUPPORTED, "file catalog: not implemented");
}
static inline int fc_ns_list(ice_catalog_t *c, const ice_ident_t *p, ice_ident_t **o, size_t *n, prestige_error_t *err) {
  (void)c, (void)p, (void)o, (void)n;
  return fc_unsupported(err);
}
static inline int fc_ns_load(ice_catalog_t *c, const ice_ident_t *ns, ice_strmap_t *props, prestige_error_t *err) {
  (void)c, (void)ns, (void)props, (void)err;
  return 0;
}
static inline int fc_ns_update(ice_catalog_t *c, const ice_ident_t *ns, const ice_strmap_t *s, char *const *r, size_t n,
                        prestige_error_t *err) {
  (void)c, (void)ns, (void)s, (void)r, (void)n;
  return fc_unsupported(err);
}
static inline int fc_ns_drop(ice_catalog_t *c, const ice_ident_t *ns, prestige_error_t *err) {
  (void)c, (void)ns;
  return fc_unsupported(err);
}
static inline int fc_tx(ice_catalog_t *c, const ice_table_commit_t *cm, size_t n, prestige_error_t *err) {
  (void)c, (void)cm, (void)n;
  return fc_unsupported(err);
}
static inline int fc_rename(ice_catalog_t *c, const ice_ident_t *a, const ice_ident_t *b, prestige_error_t *err) {
  (void)c, (void)a, (void)b;
  return fc_unsupported(err);
}
static inline int fc_register(ice_catalog_t *cat, const ice_ident_t *id, const char *loc, ice_loaded_table_t *out,
                       prestige_error_t *err) {
  file_catalog_t *c = (file_catalog_t *)cat;
  char ptr[2100], lock[2100], dir[2048];
  fc_paths(c, id, ptr, lock, sizeof ptr);
  fc_ns_dir(c, id, dir, sizeof dir);
  fc_mkdirs(dir);
  PRESTIGE_TRY(fc_load_at(c, loc, out, err));
  return fc_write_ptr(ptr, loc) ? prestige_error_set(err, PRESTIGE_EIO, "write %s", ptr) : 0;
}
static inline void fc_destroy(ice_catalog_t *cat) {
  file_catalog_t *c = (file_catalog_t *)cat;
  free(c->root);
  free(c->base.name);
  free(c->base.warehouse);
  free(c);
}

static const ice_catalog_ops_t file_catalog_ops = {
    .kind = "file",
    .namespace_create = fc_ns_create,
    .namespace_list = fc_ns_list,
    .namespace_load = fc_ns_load,
    .namespace_update = fc_ns_update,
    .namespace_drop = fc_ns_drop,
    .table_list = fc_table_list,
    .table_load = fc_table_load,
    .table_create = fc_table_create,
    .table_commit = fc_table_commit,
    .transaction_commit = fc_tx,
    .table_rename = fc_rename,
    .table_drop = fc_table_drop,
    .table_register = fc_register,
    .destroy = fc_destroy,
};

/* root: a directory for the pointers; warehouse: where new tables live (a file:// location). */
static file_catalog_t *file_catalog_new(const char *root, const char *warehouse, ice_io_t *io) {
  file_catalog_t *c = calloc(1, sizeof(*c));
  c->base.ops = &file_catalog_ops;
  c->base.name = strdup("test");
  c->base.warehouse = strdup(warehouse);
  c->root = strdup(root);
  c->io = io;
  fc_mkdirs(root);
  return c;
}

#endif
