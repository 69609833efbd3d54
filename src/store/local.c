/*
 * The local-directory implementation of the object store: the directory is the bucket and keys
 * are relative paths. Writes go to <dir>/.prestige-tmp/ first, are fsync'd and then renamed (or
 * linked, for conditional creates) into place, and the parent directory is fsync'd: a reader
 * sees the old object, the whole new one, or nothing.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/buf.h"
#include "store/store_internal.h"

#define TMP_DIR ".prestige-tmp"

typedef struct local_store {
  prestige_store_t base;
  char *dir;  /* absolute, without a trailing '/' */
  int dir_fd; /* O_DIRECTORY fd of dir */
} local_store_t;

#define L(st) ((const local_store_t *)(st))

static const store_ops_t store_local_ops;

static int oom(prestige_error_t *err) { return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory"); }

static int errno_code(int e) {
  return e == ENOSPC || e == EDQUOT ? PRESTIGE_ENOSPC
         : e == ENOENT              ? PRESTIGE_ENOTFOUND
         : e == EEXIST              ? PRESTIGE_EEXISTS
         : e == EACCES || e == EPERM ? PRESTIGE_EAUTH
                                    : PRESTIGE_EIO;
}

static int sys_err(prestige_error_t *err, const char *what, const char *path) {
  int e = errno;
  return prestige_error_set(err, errno_code(e), "%s %s: %s", what, path, strerror(e));
}

static int mkdirs(char *path, size_t from) {
  /* creates every directory of path after byte `from` (path is modified temporarily) */
  for (size_t i = from + 1; path[i]; i++) {
    if (path[i] != '/') continue;
    path[i] = 0;
    int r = mkdir(path, 0755);
    path[i] = '/';
    if (r != 0 && errno != EEXIST) return -1;
  }
  return 0;
}

static void loc_destroy(prestige_store_t *st) {
  local_store_t *ls = (local_store_t *)st;
  if (ls->dir_fd >= 0) close(ls->dir_fd);
  free(ls->dir);
  free(st->url);
  free(ls);
}

static int local_init(local_store_t *ls, const char *dir, prestige_error_t *err) {
  if (!dir || !*dir) return prestige_error_set(err, PRESTIGE_EINVAL, "local store needs a directory");
  size_t dl = strlen(dir);
  char *d = malloc(dl + 2);
  if (!d) return oom(err);
  memcpy(d, dir, dl);
  d[dl] = '/';
  d[dl + 1] = 0;
  if (mkdirs(d, 0) != 0) {
    int rc = sys_err(err, "creating directory", dir);
    free(d);
    return rc;
  }
  free(d);
  char real[PATH_MAX];
  if (!realpath(dir, real)) return sys_err(err, "opening store directory", dir);
  struct stat sb;
  if (stat(real, &sb) != 0 || !S_ISDIR(sb.st_mode))
    return prestige_error_set(err, PRESTIGE_EINVAL, "store directory %s is not a directory", dir);
  ls->dir = strdup(real);
  size_t ul = strlen(real) + 16;
  ls->base.url = malloc(ul);
  if (!ls->dir || !ls->base.url) return oom(err);
  snprintf(ls->base.url, ul, "file://%s/", strcmp(real, "/") ? real : "");
  ls->base.bucket = ls->dir;
  ls->base.local_dir = ls->dir;
  ls->dir_fd = open(real, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (ls->dir_fd < 0) return sys_err(err, "opening store directory", real);
  return 0;
}

int store_local_open(prestige_store_t **out, const char *dir, prestige_error_t *err) {
  *out = NULL;
  local_store_t *ls = calloc(1, sizeof *ls);
  if (!ls) return oom(err);
  ls->base.ops = &store_local_ops;
  ls->dir_fd = -1;
  int rc = local_init(ls, dir, err);
  if (rc) {
    loc_destroy(&ls->base);
    return rc;
  }
  *out = &ls->base;
  return 0;
}

static char *path_of(const prestige_store_t *st, const char *key) {
  size_t dl = strlen(L(st)->dir), kl = strlen(key);
  char *p = malloc(dl + kl + 2);
  if (!p) return NULL;
  memcpy(p, L(st)->dir, dl);
  p[dl] = '/';
  memcpy(p + dl + 1, key, kl + 1);
  return p;
}

static void fsync_parent(const char *path) {
  const char *sl = strrchr(path, '/');
  if (!sl) return;
  char *d = strndup(path, sl == path ? 1 : (size_t)(sl - path));
  if (!d) return;
  int fd = open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    fsync(fd);
    close(fd);
  }
  free(d);
}

/* Creates a temporary file under <dir>/.prestige-tmp; *tmp_path malloc'd. */
static int make_tmp(const prestige_store_t *st, char **tmp_path, int *fd, prestige_error_t *err) {
  size_t n = strlen(L(st)->dir) + sizeof(TMP_DIR) + 32;
  char *t = malloc(n);
  if (!t) return oom(err);
  snprintf(t, n, "%s/" TMP_DIR, L(st)->dir);
  if (mkdir(t, 0755) != 0 && errno != EEXIST) {
    int rc = sys_err(err, "creating", t);
    free(t);
    return rc;
  }
  snprintf(t, n, "%s/" TMP_DIR "/obj-XXXXXX", L(st)->dir);
  *fd = mkostemp(t, O_CLOEXEC);
  if (*fd < 0) {
    int rc = sys_err(err, "creating temporary file in", L(st)->dir);
    free(t);
    return rc;
  }
  fchmod(*fd, 0644);
  *tmp_path = t;
  return 0;
}

static int write_all(int fd, const void *data, size_t len, const char *path, prestige_error_t *err) {
  const uint8_t *p = data;
  while (len) {
    ssize_t n = write(fd, p, len);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return sys_err(err, "writing", path);
    p += n;
    len -= (size_t)n;
  }
  return 0;
}

/* Moves a finished, fsync'd temporary file into place. */
static int publish(const prestige_store_t *st, const char *tmp, const char *key, bool if_absent, prestige_error_t *err) {
  char *dst = path_of(st, key);
  if (!dst) return oom(err);
  int rc = 0;
  if (mkdirs(dst, strlen(L(st)->dir)) != 0) {
    rc = sys_err(err, "creating directories for", dst);
  } else if (if_absent) {
    if (link(tmp, dst) != 0) {
      if (errno == EEXIST)
        rc = prestige_error_set(err, PRESTIGE_EEXISTS, "%s: the object already exists (conditional create)", dst);
      else
        rc = sys_err(err, "linking", dst);
    }
    unlink(tmp);
  } else {
    struct stat sb;
    if (stat(dst, &sb) == 0 && S_ISDIR(sb.st_mode))
      rc = prestige_error_set(err, PRESTIGE_EEXISTS, "%s: a directory of that name exists", dst);
    else if (rename(tmp, dst) != 0)
      rc = sys_err(err, "renaming into", dst);
  }
  if (rc) unlink(tmp);
  else fsync_parent(dst);
  free(dst);
  return rc;
}

static int finish_tmp(int fd, const char *tmp, prestige_error_t *err) {
  int rc = 0;
  if (fsync(fd) != 0) rc = sys_err(err, "fsync", tmp);
  if (close(fd) != 0 && !rc) rc = sys_err(err, "closing", tmp);
  return rc;
}

static int loc_put(prestige_store_t *st, const char *key, const void *data, size_t len, bool if_absent,
                   prestige_error_t *err) {
  char *tmp;
  int fd;
  PRESTIGE_TRY(make_tmp(st, &tmp, &fd, err));
  int rc = write_all(fd, data, len, tmp, err);
  int rc2 = finish_tmp(fd, tmp, rc ? NULL : err);
  if (!rc) rc = rc2;
  if (!rc) rc = publish(st, tmp, key, if_absent, err);
  else unlink(tmp);
  free(tmp);
  return rc;
}

static int copy_fd(int in, int out, const char *src, const char *dst, prestige_error_t *err) {
  for (;;) {
    ssize_t n = copy_file_range(in, NULL, out, NULL, 1 << 30, 0);
    if (n == 0) return 0;
    if (n > 0) continue;
    if (errno == EINTR) continue;
    if (errno != EXDEV && errno != ENOSYS && errno != EINVAL && errno != EOPNOTSUPP) return sys_err(err, "copying to", dst);
    break;
  }
  char *b = malloc(1 << 20);
  if (!b) return oom(err);
  int rc = 0;
  for (;;) {
    ssize_t n = read(in, b, 1 << 20);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      rc = sys_err(err, "reading", src);
      break;
    }
    if (n == 0) break;
    if ((rc = write_all(out, b, (size_t)n, dst, err))) break;
  }
  free(b);
  return rc;
}

static int loc_put_file(prestige_store_t *st, const char *key, const char *path, prestige_error_t *err) {
  int in = open(path, O_RDONLY | O_CLOEXEC);
  if (in < 0) return sys_err(err, "opening", path);
  char *tmp;
  int fd;
  int rc = make_tmp(st, &tmp, &fd, err);
  if (rc) {
    close(in);
    return rc;
  }
  rc = copy_fd(in, fd, path, tmp, err);
  close(in);
  int rc2 = finish_tmp(fd, tmp, rc ? NULL : err);
  if (!rc) rc = rc2;
  if (!rc) rc = publish(st, tmp, key, false, err);
  else unlink(tmp);
  free(tmp);
  return rc;
}

/* ---- streaming output -------------------------------------------------------------------------- */

typedef struct loc_out {
  prestige_output_t inner;
  prestige_store_t *st;
  char *tmp, *key, *name;
} loc_out_t;

static void loc_out_free(loc_out_t *o) {
  free(o->tmp);
  free(o->key);
  free(o->name);
  free(o);
}
static int loc_out_write(void *ctx, const void *data, size_t len, prestige_error_t *err) {
  loc_out_t *o = ctx;
  int rc = o->inner.write(o->inner.ctx, data, len, err);
  if (rc) prestige_error_prefix(err, "%s", o->name);
  return rc;
}
static int loc_out_close(void *ctx, prestige_error_t *err) {
  loc_out_t *o = ctx;
  int rc = o->inner.close(o->inner.ctx, err); /* flushes and fsyncs */
  if (!rc) rc = publish(o->st, o->tmp, o->key, false, err);
  else unlink(o->tmp);
  loc_out_free(o);
  return rc;
}
static void loc_out_abort(void *ctx) {
  loc_out_t *o = ctx;
  o->inner.abort(o->inner.ctx); /* unlinks the temporary file */
  loc_out_free(o);
}
static uint64_t loc_out_tell(void *ctx) {
  loc_out_t *o = ctx;
  return o->inner.tell(o->inner.ctx);
}

static int loc_open_output(prestige_store_t *st, const char *key, prestige_output_t *out, prestige_error_t *err) {
  loc_out_t *o = calloc(1, sizeof *o);
  if (!o) return oom(err);
  int fd;
  int rc = make_tmp(st, &o->tmp, &fd, err);
  if (rc) {
    loc_out_free(o);
    return rc;
  }
  close(fd);
  o->st = st;
  o->key = strdup(key);
  o->name = path_of(st, key);
  if (!o->key || !o->name) {
    unlink(o->tmp);
    loc_out_free(o);
    return oom(err);
  }
  if ((rc = prestige_output_open_file(&o->inner, o->tmp, err))) {
    unlink(o->tmp);
    loc_out_free(o);
    return rc;
  }
  memset(out, 0, sizeof *out);
  out->ctx = o;
  out->write = loc_out_write;
  out->close = loc_out_close;
  out->abort = loc_out_abort;
  out->tell = loc_out_tell;
  out->name = o->name;
  return 0;
}

/* ---- reads ---------------------------------------------------------------------------------------- */

static int open_key(prestige_store_t *st, const char *key, char **path, prestige_error_t *err) {
  *path = path_of(st, key);
  if (!*path) return -oom(err);
  int fd = open(*path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int rc = sys_err(err, "opening", *path);
    free(*path);
    *path = NULL;
    return -rc;
  }
  struct stat sb;
  if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
    close(fd);
    int rc = prestige_error_set(err, PRESTIGE_ENOTFOUND, "%s: not an object (a directory?)", *path);
    free(*path);
    *path = NULL;
    return -rc;
  }
  return fd;
}

static int loc_get(prestige_store_t *st, const char *key, uint8_t **data, size_t *len, prestige_error_t *err) {
  *data = NULL;
  *len = 0;
  char *path;
  int fd = open_key(st, key, &path, err);
  if (fd < 0) return -fd;
  buf_t b = BUF_INIT;
  int rc = 0;
  for (;;) {
    if (buf_reserve(&b, 1 << 16)) {
      rc = oom(err);
      break;
    }
    ssize_t n = read(fd, b.data + b.len, b.cap - b.len);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      rc = sys_err(err, "reading", path);
      break;
    }
    if (n == 0) break;
    b.len += (size_t)n;
  }
  close(fd);
  free(path);
  if (rc) {
    buf_release(&b);
    return rc;
  }
  if (!b.data && !(b.data = malloc(1))) return oom(err);
  *data = b.data;
  *len = b.len;
  return 0;
}

static int loc_get_range(prestige_store_t *st, const char *key, uint64_t off, size_t len, void *dst,
                         prestige_error_t *err) {
  char *path;
  int fd = open_key(st, key, &path, err);
  if (fd < 0) return -fd;
  size_t got = 0;
  int rc = 0;
  while (got < len) {
    ssize_t n = pread(fd, (uint8_t *)dst + got, len - got, (off_t)(off + got));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      rc = sys_err(err, "reading", path);
      break;
    }
    if (n == 0) {
      rc = prestige_error_set(err, PRESTIGE_ECORRUPT, "%s: range of %zu bytes at offset %llu is past the end", path, len,
                              (unsigned long long)off);
      break;
    }
    got += (size_t)n;
  }
  close(fd);
  free(path);
  return rc;
}

static int loc_get_file(prestige_store_t *st, const char *key, const char *dest, prestige_progress_fn progress,
                        void *user_data, prestige_error_t *err) {
  (void)progress;
  (void)user_data;
  char *path;
  int in = open_key(st, key, &path, err);
  if (in < 0) return -in;
  size_t dl = strlen(dest);
  char *tmp = malloc(dl + 32);
  int rc = 0;
  if (!tmp) {
    rc = oom(err);
    goto out;
  }
  snprintf(tmp, dl + 32, "%s.prestige-tmp-XXXXXX", dest);
  int fd = mkostemp(tmp, O_CLOEXEC);
  if (fd < 0) {
    rc = sys_err(err, "creating", tmp);
    goto out;
  }
  fchmod(fd, 0644);
  rc = copy_fd(in, fd, path, tmp, err);
  int rc2 = finish_tmp(fd, tmp, rc ? NULL : err);
  if (!rc) rc = rc2;
  if (!rc && rename(tmp, dest) != 0) rc = sys_err(err, "renaming to", dest);
  if (rc) unlink(tmp);
out:
  close(in);
  free(tmp);
  free(path);
  return rc;
}

static int loc_open_input(prestige_store_t *st, const char *key, uint64_t known_size, prestige_input_t *in,
                          prestige_error_t *err) {
  (void)known_size;
  char *path = path_of(st, key);
  if (!path) return oom(err);
  int rc = prestige_input_open_file(in, path, err);
  free(path);
  return rc;
}

static void fill_meta(prestige_object_meta_t *m, const struct stat *sb) {
  m->size = (uint64_t)sb->st_size;
  m->last_modified_ms = (int64_t)sb->st_mtim.tv_sec * 1000 + sb->st_mtim.tv_nsec / 1000000;
  char e[64];
  snprintf(e, sizeof e, "%llx-%llx", (unsigned long long)sb->st_size,
           (unsigned long long)sb->st_mtim.tv_sec * 1000000000ull + (unsigned long long)sb->st_mtim.tv_nsec);
  m->etag = strdup(e);
}

static int loc_head(prestige_store_t *st, const char *key, prestige_object_meta_t *meta, prestige_error_t *err) {
  char *path = path_of(st, key);
  if (!path) return oom(err);
  struct stat sb;
  int rc = 0;
  if (stat(path, &sb) != 0) rc = sys_err(err, "head", path);
  else if (!S_ISREG(sb.st_mode)) rc = prestige_error_set(err, PRESTIGE_ENOTFOUND, "%s: not an object", path);
  free(path);
  if (rc) return rc;
  meta->key = strdup(key);
  fill_meta(meta, &sb);
  if (!meta->key || !meta->etag) {
    prestige_object_meta_clear(meta);
    return oom(err);
  }
  return 0;
}

static int loc_del(prestige_store_t *st, const char *key, prestige_error_t *err) {
  char *path = path_of(st, key);
  if (!path) return oom(err);
  int rc = 0;
  if (unlink(path) != 0) {
    if (errno == EISDIR || errno == EPERM) {
      struct stat sb;
      if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) goto out; /* no such object */
    }
    if (errno != ENOENT && errno != ENOTDIR) rc = sys_err(err, "deleting", path);
    goto out;
  }
  fsync_parent(path);
  /* S3 has no directories: remove parents left empty, up to the store root */
  size_t root = strlen(L(st)->dir);
  for (char *sl = strrchr(path, '/'); sl && (size_t)(sl - path) > root; sl = strrchr(path, '/')) {
    *sl = 0;
    if (rmdir(path) != 0) break;
  }
out:
  free(path);
  return rc;
}

static int loc_del_many(prestige_store_t *st, const char *const *keys, size_t n, prestige_error_t *err) {
  for (size_t i = 0; i < n; i++) PRESTIGE_TRY(loc_del(st, keys[i], err));
  return 0;
}

/* ---- listing ---------------------------------------------------------------------------------------- */

typedef struct walk {
  const char *prefix;
  const char *start_after;
  prestige_object_meta_t *items;
  size_t n, cap;
  int rc;
  prestige_error_t *err;
} walk_t;

static int meta_cmp(const void *a, const void *b) {
  return strcmp(((const prestige_object_meta_t *)a)->key, ((const prestige_object_meta_t *)b)->key);
}

/* Walks dir (absolute path buffer `abs`, relative key prefix `rel`). */
static void walk_dir(walk_t *w, buf_t *abs, buf_t *rel, int depth) {
  if (w->rc || depth > 128) return;
  DIR *d = opendir((const char *)abs->data);
  if (!d) {
    if (errno != ENOENT && errno != ENOTDIR) w->rc = sys_err(w->err, "listing", (const char *)abs->data);
    return;
  }
  size_t abs_len = abs->len, rel_len = rel->len; /* lengths include the NUL */
  struct dirent *e;
  while (!w->rc && (e = readdir(d))) {
    const char *nm = e->d_name;
    if (!strcmp(nm, ".") || !strcmp(nm, "..")) continue;
    if (depth == 0 && !strcmp(nm, TMP_DIR)) continue;
    size_t nl = strlen(nm);
    abs->len = abs_len - 1;
    rel->len = rel_len - 1;
    if (buf_append_u8(abs, '/') || buf_append(abs, nm, nl) || buf_append_u8(abs, 0) ||
        (rel->len && buf_append_u8(rel, '/')) || buf_append(rel, nm, nl) || buf_append_u8(rel, 0)) {
      w->rc = oom(w->err);
      break;
    }
    const char *key = (const char *)rel->data;
    size_t kl = rel->len - 1, pl = strlen(w->prefix);
    struct stat sb;
    if (stat((const char *)abs->data, &sb) != 0) continue; /* vanished meanwhile */
    if (S_ISDIR(sb.st_mode)) {
      /* descend only if keys below could match the prefix */
      size_t cmp = kl < pl ? kl : pl;
      if (strncmp(key, w->prefix, cmp) != 0) continue;
      walk_dir(w, abs, rel, depth + 1);
      continue;
    }
    if (!S_ISREG(sb.st_mode)) continue;
    if (strncmp(key, w->prefix, pl) != 0) continue;
    if (w->start_after && strcmp(key, w->start_after) <= 0) continue;
    if (w->n == w->cap) {
      size_t nc = w->cap ? w->cap * 2 : 256;
      prestige_object_meta_t *ni = realloc(w->items, nc * sizeof *ni);
      if (!ni) {
        w->rc = oom(w->err);
        break;
      }
      w->items = ni;
      w->cap = nc;
    }
    prestige_object_meta_t *m = &w->items[w->n];
    memset(m, 0, sizeof *m);
    m->key = strndup(key, kl);
    fill_meta(m, &sb);
    w->n++;
    if (!m->key || !m->etag) w->rc = oom(w->err);
  }
  closedir(d);
  abs->len = abs_len;
  rel->len = rel_len;
  abs->data[abs_len - 1] = 0;
  rel->data[rel_len - 1] = 0;
}

static int loc_list_page(prestige_store_t *st, const char *prefix, const char *start_after, char **token,
                         prestige_object_meta_t **items, size_t *n, prestige_error_t *err) {
  (void)token; /* one page: the whole listing */
  walk_t w = {.prefix = prefix ? prefix : "", .start_after = start_after, .err = err};
  buf_t abs = BUF_INIT, rel = BUF_INIT;
  /* start at the deepest directory the prefix names */
  const char *sl = strrchr(w.prefix, '/');
  size_t dir_part = sl ? (size_t)(sl - w.prefix) : 0;
  if (buf_append(&abs, L(st)->dir, strlen(L(st)->dir)) || (dir_part && (buf_append_u8(&abs, '/') || buf_append(&abs, w.prefix, dir_part))) ||
      buf_append_u8(&abs, 0) || buf_append(&rel, w.prefix, dir_part) || buf_append_u8(&rel, 0)) {
    buf_release(&abs);
    buf_release(&rel);
    return oom(err);
  }
  walk_dir(&w, &abs, &rel, dir_part ? 1 : 0);
  buf_release(&abs);
  buf_release(&rel);
  if (w.rc) {
    for (size_t i = 0; i < w.n; i++) prestige_object_meta_clear(&w.items[i]);
    free(w.items);
    return w.rc;
  }
  if (w.n) qsort(w.items, w.n, sizeof *w.items, meta_cmp);
  *items = w.items;
  *n = w.n;
  return 0;
}

static const store_ops_t store_local_ops = {
    .put = loc_put,
    .put_file = loc_put_file,
    .open_output = loc_open_output,
    .get = loc_get,
    .get_range = loc_get_range,
    .get_file = loc_get_file,
    .open_input = loc_open_input,
    .head = loc_head,
    .del = loc_del,
    .del_many = loc_del_many,
    .list_page = loc_list_page,
    .destroy = loc_destroy,
};
