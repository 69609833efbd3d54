/* Iceberg file IO: absolute locations onto object stores (see io.h). */
#include "iceberg/io.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/buf.h"

typedef struct io_store {
  char *root;              /* "s3://bucket" or an absolute directory path without trailing slash */
  prestige_store_t *store;
} io_store_t;

struct ice_io {
  pthread_mutex_t mu;
  prestige_s3_client_t *s3;
  io_store_t *stores;
  size_t n_stores, cap_stores;
  char **roots;            /* registered local roots (absolute paths, no trailing slash) */
  size_t n_roots, cap_roots;
};

static int oom(prestige_error_t *err) { return prestige_error_set(err, PRESTIGE_ENOMEM, "iceberg io: out of memory"); }

int ice_io_new(prestige_s3_client_t *s3, ice_io_t **out, prestige_error_t *err) {
  *out = NULL;
  ice_io_t *io = calloc(1, sizeof(*io));
  if (!io) return oom(err);
  pthread_mutex_init(&io->mu, NULL);
  if (s3) io->s3 = prestige_s3_client_ref(s3);
  *out = io;
  return 0;
}

void ice_io_free(ice_io_t *io) {
  if (!io) return;
  for (size_t i = 0; i < io->n_stores; i++) {
    prestige_store_free(io->stores[i].store);
    free(io->stores[i].root);
  }
  free(io->stores);
  for (size_t i = 0; i < io->n_roots; i++) free(io->roots[i]);
  free(io->roots);
  prestige_s3_client_free(io->s3);
  pthread_mutex_destroy(&io->mu);
  free(io);
}

/* ---- locations ---------------------------------------------------------------------------- */

const char *ice_location_local_path(const char *location) {
  if (!location) return NULL;
  if (!strncmp(location, "file://", 7)) return location + 7;
  if (!strncmp(location, "file:", 5)) return location + 5;
  if (location[0] == '/') return location;
  return NULL;
}

/* Collapses "//", "." and ".." in an absolute path, in place. */
static void clean_path(char *p) {
  char *w = p;
  const char *r = p;
  while (*r) {
    while (*r == '/') r++;
    if (!*r) break;
    const char *seg = r;
    while (*r && *r != '/') r++;
    size_t n = (size_t)(r - seg);
    if (n == 1 && seg[0] == '.') continue;
    if (n == 2 && seg[0] == '.' && seg[1] == '.') {
      while (w > p && *--w != '/') {
      }
      continue;
    }
    *w++ = '/';
    memmove(w, seg, n);
    w += n;
  }
  if (w == p) *w++ = '/';
  *w = 0;
}

int ice_location_normalize(const char *location, char **out, prestige_error_t *err) {
  *out = NULL;
  if (!location || !*location) return prestige_error_set(err, PRESTIGE_EINVAL, "empty location");
  if (!strncmp(location, "s3://", 5) || !strncmp(location, "s3a://", 6) || !strncmp(location, "s3n://", 6)) {
    const char *rest = strstr(location, "://") + 3;
    if (!*rest || *rest == '/') return prestige_error_set(err, PRESTIGE_EINVAL, "location \"%s\" names no bucket", location);
    size_t n = strlen(rest);
    char *s = malloc(n + 6);
    if (!s) return oom(err);
    memcpy(s, "s3://", 5);
    memcpy(s + 5, rest, n + 1);
    *out = s;
    return 0;
  }
  if (strstr(location, "://") && strncmp(location, "file://", 7))
    return prestige_error_set(err, PRESTIGE_EINVAL, "unsupported location \"%s\" (use s3://, file:// or a path)", location);
  const char *path = ice_location_local_path(location);
  char cwd[PATH_MAX];
  if (!path) {
    if (!strncmp(location, "file:", 5)) path = location + 5;
    else path = location;
    if (!getcwd(cwd, sizeof cwd))
      return prestige_error_set(err, PRESTIGE_EIO, "location \"%s\": cannot resolve the working directory: %s", location,
                                strerror(errno));
  } else {
    cwd[0] = 0;
  }
  size_t n = strlen(cwd) + strlen(path) + 16;
  char *s = malloc(n);
  if (!s) return oom(err);
  char *p = s + 7;
  memcpy(s, "file://", 7);
  if (path[0] == '/') snprintf(p, n - 7, "%s", path);
  else snprintf(p, n - 7, "%s/%s", cwd, path);
  clean_path(p);
  *out = s;
  return 0;
}

int ice_location_join(const char *base, const char *rel, char **out, prestige_error_t *err) {
  size_t bl = strlen(base);
  while (bl > 0 && base[bl - 1] == '/') bl--;
  while (*rel == '/') rel++;
  size_t rl = strlen(rel);
  char *s = malloc(bl + rl + 2);
  if (!s) return oom(err);
  memcpy(s, base, bl);
  s[bl] = '/';
  memcpy(s + bl + 1, rel, rl + 1);
  *out = s;
  return 0;
}

/* ---- stores --------------------------------------------------------------------------------- */

static bool path_under(const char *path, const char *root) {
  size_t n = strlen(root);
  if (n == 1 && root[0] == '/') return true;
  return !strncmp(path, root, n) && (path[n] == '/' || path[n] == 0);
}

int ice_io_add_root(ice_io_t *io, const char *location, prestige_error_t *err) {
  const char *path = ice_location_local_path(location);
  if (!path) return 0;
  char *norm;
  PRESTIGE_TRY(ice_location_normalize(location, &norm, err));
  char *root = strdup(norm + 7);
  free(norm);
  if (!root) return oom(err);
  pthread_mutex_lock(&io->mu);
  for (size_t i = 0; i < io->n_roots; i++) {
    if (!strcmp(io->roots[i], root)) {
      pthread_mutex_unlock(&io->mu);
      free(root);
      return 0;
    }
  }
  if (io->n_roots == io->cap_roots) {
    size_t cap = io->cap_roots ? io->cap_roots * 2 : 4;
    char **r = realloc(io->roots, cap * sizeof(*r));
    if (!r) {
      pthread_mutex_unlock(&io->mu);
      free(root);
      return oom(err);
    }
    io->roots = r;
    io->cap_roots = cap;
  }
  io->roots[io->n_roots++] = root;
  pthread_mutex_unlock(&io->mu);
  return 0;
}

/* The store for root (opened on first use); called with io->mu held. */
static int store_for(ice_io_t *io, const char *root, bool s3, prestige_store_t **out, prestige_error_t *err) {
  for (size_t i = 0; i < io->n_stores; i++) {
    if (!strcmp(io->stores[i].root, root)) {
      *out = io->stores[i].store;
      return 0;
    }
  }
  if (io->n_stores == io->cap_stores) {
    size_t cap = io->cap_stores ? io->cap_stores * 2 : 4;
    io_store_t *r = realloc(io->stores, cap * sizeof(*r));
    if (!r) return oom(err);
    io->stores = r;
    io->cap_stores = cap;
  }
  char *copy = strdup(root);
  if (!copy) return oom(err);
  prestige_store_t *st = NULL;
  int rc;
  if (s3) {
    if (!io->s3) {
      rc = prestige_s3_client_new(&io->s3, NULL, err);
      if (rc) {
        free(copy);
        return rc;
      }
    }
    rc = prestige_store_open_s3(&st, io->s3, root + 5, "", err);
  } else {
    rc = prestige_store_open_local(&st, root, err);
  }
  if (rc) {
    free(copy);
    return rc;
  }
  io->stores[io->n_stores].root = copy;
  io->stores[io->n_stores].store = st;
  io->n_stores++;
  *out = st;
  return 0;
}

int ice_io_resolve(ice_io_t *io, const char *location, prestige_store_t **store, const char **key, char **key_buf,
                   prestige_error_t *err) {
  *store = NULL;
  *key = NULL;
  *key_buf = NULL;
  char *norm;
  PRESTIGE_TRY(ice_location_normalize(location, &norm, err));
  int rc = 0;
  pthread_mutex_lock(&io->mu);
  if (!strncmp(norm, "s3://", 5)) {
    char *slash = strchr(norm + 5, '/');
    if (!slash || !slash[1]) {
      rc = prestige_error_set(err, PRESTIGE_EINVAL, "location \"%s\" names a bucket but no object", location);
      goto done;
    }
    *slash = 0;
    rc = store_for(io, norm, true, store, err);
    if (!rc) {
      memmove(norm, slash + 1, strlen(slash + 1) + 1);
      *key = *key_buf = norm;
      norm = NULL;
    }
    goto done;
  }
  const char *path = norm + 7;
  const char *best = NULL;
  for (size_t i = 0; i < io->n_roots; i++) {
    if (path_under(path, io->roots[i]) && strcmp(path, io->roots[i]) &&
        (!best || strlen(io->roots[i]) > strlen(best)))
      best = io->roots[i];
  }
  char *dir;
  if (best) {
    dir = strdup(best);
  } else {
    const char *last = strrchr(path, '/');
    dir = last == path ? strdup("/") : strndup(path, (size_t)(last - path));
  }
  if (!dir) {
    rc = oom(err);
    goto done;
  }
  rc = store_for(io, dir, false, store, err);
  if (!rc) {
    size_t dl = strlen(dir);
    const char *k = path + (dl == 1 ? 1 : dl + 1);
    memmove(norm, k, strlen(k) + 1);
    *key = *key_buf = norm;
    norm = NULL;
  }
  free(dir);
done:
  pthread_mutex_unlock(&io->mu);
  free(norm);
  return rc;
}

#define RESOLVE(io, location)                                                   \
  prestige_store_t *st;                                                         \
  const char *key;                                                              \
  char *key_buf;                                                                \
  PRESTIGE_TRY(ice_io_resolve(io, location, &st, &key, &key_buf, err))

int ice_io_read(ice_io_t *io, const char *location, uint8_t **data, size_t *len, prestige_error_t *err) {
  *data = NULL;
  *len = 0;
  RESOLVE(io, location);
  int rc = prestige_store_get(st, key, data, len, err);
  free(key_buf);
  return rc;
}

int ice_io_write(ice_io_t *io, const char *location, const void *data, size_t len, bool if_absent,
                 prestige_error_t *err) {
  RESOLVE(io, location);
  int rc = if_absent ? prestige_store_put_if_absent(st, key, data, len, err) : prestige_store_put(st, key, data, len, err);
  free(key_buf);
  return rc;
}

int ice_io_open_input(ice_io_t *io, const char *location, uint64_t known_size, prestige_input_t *in,
                      prestige_error_t *err) {
  RESOLVE(io, location);
  int rc = prestige_store_open_input(st, key, known_size, in, err);
  free(key_buf);
  return rc;
}

int ice_io_open_output(ice_io_t *io, const char *location, prestige_output_t *out, prestige_error_t *err) {
  RESOLVE(io, location);
  int rc = prestige_store_open_output(st, key, out, err);
  free(key_buf);
  return rc;
}

int ice_io_head(ice_io_t *io, const char *location, uint64_t *size, int64_t *mtime_ms, prestige_error_t *err) {
  RESOLVE(io, location);
  prestige_object_meta_t m = {0};
  int rc = prestige_store_head(st, key, &m, err);
  if (!rc) {
    if (size) *size = m.size;
    if (mtime_ms) *mtime_ms = m.last_modified_ms;
  }
  prestige_object_meta_clear(&m);
  free(key_buf);
  return rc;
}

int ice_io_delete(ice_io_t *io, const char *location, prestige_error_t *err) {
  RESOLVE(io, location);
  int rc = prestige_store_delete(st, key, err);
  free(key_buf);
  return rc;
}

int ice_io_delete_many(ice_io_t *io, char *const *locations, size_t n, prestige_error_t *err) {
  /* Grouped per store so S3 gets batched DeleteObjects. */
  prestige_store_t **stores = calloc(n ? n : 1, sizeof(*stores));
  char **keys = calloc(n ? n : 1, sizeof(*keys));
  const char **batch = calloc(n ? n : 1, sizeof(*batch));
  bool *done = calloc(n ? n : 1, sizeof(*done));
  int rc = 0;
  if (!stores || !keys || !batch || !done) {
    rc = oom(err);
    goto out;
  }
  for (size_t i = 0; i < n && !rc; i++) {
    const char *key;
    rc = ice_io_resolve(io, locations[i], &stores[i], &key, &keys[i], err);
  }
  for (size_t i = 0; i < n && !rc; i++) {
    if (done[i]) continue;
    size_t m = 0;
    for (size_t j = i; j < n; j++) {
      if (!done[j] && stores[j] == stores[i]) {
        batch[m++] = keys[j];
        done[j] = true;
      }
    }
    rc = prestige_store_delete_many(stores[i], batch, m, err);
  }
out:
  if (keys)
    for (size_t i = 0; i < n; i++) free(keys[i]);
  free(keys);
  free(stores);
  free(batch);
  free(done);
  return rc;
}

int ice_io_list(ice_io_t *io, const char *prefix, ice_io_list_fn fn, void *user, prestige_error_t *err) {
  /* List below a directory location: resolve a child name so local roots are the directory or
   * a registered root above it, then list the key prefix. */
  char *probe;
  PRESTIGE_TRY(ice_location_join(prefix, "x", &probe, err));
  prestige_store_t *st;
  const char *key;
  char *key_buf;
  int rc = ice_io_resolve(io, probe, &st, &key, &key_buf, err);
  free(probe);
  if (rc) return rc;
  size_t kl = strlen(key_buf);
  key_buf[kl - 1] = 0; /* drop the "x": the key prefix ends with '/' (or is "" at the root) */
  const char *root_url = prestige_store_url(st);
  size_t rl = strlen(root_url);
  prestige_store_list_t *it = NULL;
  rc = prestige_store_list_open(st, key_buf[0] ? key_buf : NULL, NULL, &it, err);
  buf_t loc = BUF_INIT;
  while (!rc) {
    const prestige_object_meta_t *m;
    rc = prestige_store_list_next(it, &m, err);
    if (rc || !m) break;
    buf_clear(&loc);
    if (buf_append(&loc, root_url, rl) || (rl && root_url[rl - 1] != '/' && buf_append_u8(&loc, '/')) ||
        buf_append(&loc, m->key, strlen(m->key)) || buf_append_u8(&loc, 0)) {
      rc = oom(err);
      break;
    }
    rc = fn(user, (const char *)loc.data, m->size, m->last_modified_ms);
  }
  buf_release(&loc);
  prestige_store_list_free(it);
  free(key_buf);
  return rc;
}
