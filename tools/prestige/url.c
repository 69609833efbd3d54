/* URL arguments: every verb that takes a file also takes file:// and s3://bucket/key URLs. And
 * the transfers behind cp and convert, which a signal stops cleanly: a download goes to
 * <dest>.prestige-tmp-XXXXXX and is renamed when complete, an upload streams into the store's
 * output (S3: a multipart upload with parts in flight), and an interrupted one is removed or
 * aborted before the verb exits. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "prestige/io.h"
#include "prestige/store.h"

bool cli_is_s3(const char *arg) { return arg && !strncmp(arg, "s3://", 5); }

const char *cli_local_path(const char *arg) {
  if (arg && !strncmp(arg, "file://", 7)) return arg + 7;
  return arg;
}

int cli_split_s3(const char *url, prestige_store_t **st, char **key, prestige_error_t *err) {
  *st = NULL;
  *key = NULL;
  char bucket[128];
  const char *rest;
  PRESTIGE_TRY(prestige_s3_url_split(url, bucket, sizeof bucket, &rest, err));
  PRESTIGE_TRY(prestige_store_open_s3(st, NULL, bucket, "", err));
  *key = strdup(rest);
  if (!*key) {
    prestige_store_free(*st);
    *st = NULL;
    return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
  }
  return 0;
}

int cli_open_input(const char *arg, prestige_input_t *in, prestige_error_t *err) {
  if (!cli_is_s3(arg)) return prestige_input_open_file(in, cli_local_path(arg), err);
  prestige_store_t *st;
  char *key;
  PRESTIGE_TRY(cli_split_s3(arg, &st, &key, err));
  int rc = *key ? prestige_store_open_input(st, key, 0, in, err)
                : prestige_error_set(err, PRESTIGE_EINVAL, "%s names a bucket, not an object", arg);
  free(key);
  prestige_store_free(st); /* the input keeps its own reference to the client */
  return rc;
}

/* A temporary file name in TMPDIR with the extension of name (so formats are still recognised). */
char *cli_temp_name(const char *name, int *fd_out) {
  const char *dir = getenv("TMPDIR");
  if (!dir || !*dir) dir = "/tmp";
  const char *base = strrchr(name, '/');
  base = base ? base + 1 : name;
  const char *dot = strrchr(base, '.');
  const char *ext = dot ? dot : "";
  size_t n = strlen(dir) + strlen(ext) + 32;
  char *p = malloc(n);
  if (!p) return NULL;
  snprintf(p, n, "%s/prestige-XXXXXX%s", dir, ext);
  int fd = mkstemps(p, (int)strlen(ext));
  if (fd < 0) {
    free(p);
    return NULL;
  }
  if (fd_out) *fd_out = fd;
  else close(fd);
  return p;
}

/* ---- transfers that a signal stops -------------------------------------------------------------- */

static int canceled(prestige_error_t *err, const char *what) {
  return prestige_error_set(err, PRESTIGE_ECANCELED, "interrupted: %s", what);
}

static void fsync_parent_dir(const char *path) {
  const char *sl = strrchr(path, '/');
  char *d = sl ? strndup(path, sl == path ? 1 : (size_t)(sl - path)) : strdup(".");
  int fd = d ? open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
  if (fd >= 0) {
    fsync(fd);
    close(fd);
  }
  free(d);
}

/* <path>.prestige-tmp-XXXXXX beside path, so the rename into place stays on one file system. */
static int temp_beside(const char *path, char **tmp, int *fd, prestige_error_t *err) {
  size_t n = strlen(path) + 32;
  if (!(*tmp = malloc(n))) return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
  snprintf(*tmp, n, "%s.prestige-tmp-XXXXXX", path);
  if ((*fd = mkostemp(*tmp, O_CLOEXEC)) < 0) {
    int rc = prestige_error_set(err, errno == ENOSPC ? PRESTIGE_ENOSPC : PRESTIGE_EIO, "creating %s: %s", *tmp, strerror(errno));
    free(*tmp);
    *tmp = NULL;
    return rc;
  }
  fchmod(*fd, 0644);
  return 0;
}

/* fsync, close, rename into place, fsync the directory; on failure the temporary file is gone. */
static int publish_temp(char *tmp, int fd, const char *path, int rc, prestige_error_t *err) {
  if (!rc && fsync(fd) != 0) rc = prestige_error_set(err, errno == ENOSPC ? PRESTIGE_ENOSPC : PRESTIGE_EIO, "fsync %s: %s", tmp, strerror(errno));
  if (close(fd) != 0 && !rc) rc = prestige_error_set(err, PRESTIGE_EIO, "closing %s: %s", tmp, strerror(errno));
  if (!rc && rename(tmp, path) != 0) rc = prestige_error_set(err, PRESTIGE_EIO, "renaming %s to %s: %s", tmp, path, strerror(errno));
  if (rc) unlink(tmp);
  else fsync_parent_dir(path);
  free(tmp);
  return rc;
}

static int write_full(int fd, const uint8_t *p, size_t n, uint64_t off, const char *path, prestige_error_t *err) {
  while (n) {
    ssize_t k = pwrite(fd, p, n, (off_t)off);
    if (k < 0 && errno == EINTR) continue;
    if (k < 0) return prestige_error_set(err, errno == ENOSPC ? PRESTIGE_ENOSPC : PRESTIGE_EIO, "writing %s: %s", path, strerror(errno));
    p += k;
    n -= (size_t)k;
    off += (uint64_t)k;
  }
  return 0;
}

enum { XFER_CHUNK = 8 << 20, XFER_THREADS_MAX = 16 };

typedef struct download {
  prestige_store_t *st;
  const char *key, *tmp;
  int fd;
  uint64_t size, next;
  pthread_mutex_t mu;
  atomic_bool stop;
  _Atomic uint64_t done;
  int rc;
  prestige_error_t err;
} download_t;

static void *download_worker(void *arg) {
  download_t *d = arg;
  uint8_t *buf = malloc(XFER_CHUNK);
  for (;;) {
    pthread_mutex_lock(&d->mu);
    uint64_t off = d->next;
    bool quit = !buf || d->rc || atomic_load(&d->stop) || off >= d->size;
    if (!quit) d->next += XFER_CHUNK;
    if (!buf && !d->rc) d->rc = prestige_error_set(&d->err, PRESTIGE_ENOMEM, "out of memory");
    pthread_mutex_unlock(&d->mu);
    if (quit) break;
    size_t len = d->size - off < XFER_CHUNK ? (size_t)(d->size - off) : XFER_CHUNK;
    prestige_error_t e;
    prestige_error_init(&e);
    int rc = prestige_store_get_range(d->st, d->key, off, len, buf, &e);
    if (!rc) rc = write_full(d->fd, buf, len, off, d->tmp, &e);
    if (rc) {
      pthread_mutex_lock(&d->mu);
      if (!d->rc) d->rc = rc, d->err = e;
      pthread_mutex_unlock(&d->mu);
      break;
    }
    atomic_fetch_add(&d->done, len);
  }
  free(buf);
  return NULL;
}

static int xfer_threads(void) {
  const char *e = getenv("PRESTIGE_S3_CONCURRENCY");
  int n = e ? atoi(e) : 4;
  return n < 1 ? 1 : n > XFER_THREADS_MAX ? XFER_THREADS_MAX : n;
}

int cli_download(prestige_store_t *st, const char *key, const char *path, cli_progress_t *prog, prestige_error_t *err) {
  prestige_object_meta_t meta;
  memset(&meta, 0, sizeof meta);
  PRESTIGE_TRY(prestige_store_head(st, key, &meta, err));
  uint64_t size = meta.size;
  prestige_object_meta_clear(&meta);
  char *tmp;
  int fd;
  PRESTIGE_TRY(temp_beside(path, &tmp, &fd, err));
  download_t d = {.st = st, .key = key, .tmp = tmp, .fd = fd, .size = size};
  pthread_mutex_init(&d.mu, NULL);
  atomic_init(&d.stop, false);
  atomic_init(&d.done, 0);
  prestige_error_init(&d.err);
  pthread_t th[XFER_THREADS_MAX];
  int want = (int)((size + XFER_CHUNK - 1) / XFER_CHUNK), n = 0;
  if (want > xfer_threads()) want = xfer_threads();
  for (int i = 0; i < want; i++)
    if (pthread_create(&th[n], NULL, download_worker, &d) == 0) n++;
  if (n == 0 && size > 0) download_worker(&d);
  /* ranges in flight on the workers; here: progress, and a signal stops them between ranges */
  for (;;) {
    pthread_mutex_lock(&d.mu);
    bool finished = d.rc || d.next >= d.size;
    pthread_mutex_unlock(&d.mu);
    if (cli_signal_received()) atomic_store(&d.stop, true);
    if (prog) cli_progress_update(prog, -1, (int64_t)atomic_load(&d.done));
    if (finished || atomic_load(&d.stop) || n == 0) break;
    usleep(50000);
  }
  for (int i = 0; i < n; i++) pthread_join(th[i], NULL);
  pthread_mutex_destroy(&d.mu);
  int rc = d.rc;
  if (rc) *err = d.err;
  else if (atomic_load(&d.stop) || cli_signal_received()) rc = canceled(err, "download stopped, nothing written");
  else if (atomic_load(&d.done) != size) rc = prestige_error_set(err, PRESTIGE_EIO, "downloading %s: short transfer", key);
  return publish_temp(tmp, fd, path, rc, err);
}

/* Streams a local file into an output: a signal between chunks aborts it (a multipart upload is
 * aborted, a temporary file removed). */
int cli_upload_output(const char *path, prestige_output_t *out, cli_progress_t *prog, prestige_error_t *err) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    out->abort(out->ctx);
    return prestige_error_set(err, errno == ENOENT ? PRESTIGE_ENOTFOUND : PRESTIGE_EIO, "opening %s: %s", path, strerror(errno));
  }
  uint8_t *buf = malloc(XFER_CHUNK);
  int rc = buf ? 0 : prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
  uint64_t total = 0;
  while (!rc) {
    if (cli_signal_received()) {
      rc = canceled(err, "upload stopped and aborted");
      break;
    }
    ssize_t k = read(fd, buf, XFER_CHUNK);
    if (k < 0 && errno == EINTR) continue;
    if (k < 0) {
      rc = prestige_error_set(err, PRESTIGE_EIO, "reading %s: %s", path, strerror(errno));
      break;
    }
    if (k == 0) break;
    rc = out->write(out->ctx, buf, (size_t)k, err);
    total += (uint64_t)k;
    if (prog) cli_progress_update(prog, -1, (int64_t)total);
  }
  free(buf);
  close(fd);
  if (!rc && cli_signal_received()) rc = canceled(err, "upload stopped and aborted");
  if (rc) out->abort(out->ctx);
  else rc = out->close(out->ctx, err);
  return rc;
}

int cli_copy_local(const char *src, const char *dst, cli_progress_t *prog, prestige_error_t *err) {
  int in = open(src, O_RDONLY | O_CLOEXEC);
  if (in < 0) return prestige_error_set(err, errno == ENOENT ? PRESTIGE_ENOTFOUND : PRESTIGE_EIO, "opening %s: %s", src, strerror(errno));
  char *tmp;
  int fd;
  int rc = temp_beside(dst, &tmp, &fd, err);
  if (rc) {
    close(in);
    return rc;
  }
  uint8_t *buf = malloc(XFER_CHUNK);
  if (!buf) rc = prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
  uint64_t total = 0;
  while (!rc) {
    if (cli_signal_received()) {
      rc = canceled(err, "copy stopped, nothing written");
      break;
    }
    ssize_t k = read(in, buf, XFER_CHUNK);
    if (k < 0 && errno == EINTR) continue;
    if (k < 0) rc = prestige_error_set(err, PRESTIGE_EIO, "reading %s: %s", src, strerror(errno));
    if (k <= 0) break;
    rc = write_full(fd, buf, (size_t)k, total, tmp, err);
    total += (uint64_t)k;
    if (prog) cli_progress_update(prog, -1, (int64_t)total);
  }
  free(buf);
  close(in);
  return publish_temp(tmp, fd, dst, rc, err);
}

int cli_fetch_to_temp(const char *url, char **tmp_path, prestige_error_t *err) {
  *tmp_path = NULL;
  prestige_store_t *st;
  char *key;
  PRESTIGE_TRY(cli_split_s3(url, &st, &key, err));
  char *tmp = cli_temp_name(key, NULL);
  int rc = tmp ? cli_download(st, key, tmp, NULL, err)
               : prestige_error_set(err, PRESTIGE_EIO, "cannot create a temporary file: %s", strerror(errno));
  if (rc && tmp) {
    unlink(tmp);
    free(tmp);
  } else {
    *tmp_path = tmp;
  }
  free(key);
  prestige_store_free(st);
  return rc;
}

int cli_upload_file(const char *path, const char *url, prestige_error_t *err) {
  prestige_store_t *st;
  char *key;
  PRESTIGE_TRY(cli_split_s3(url, &st, &key, err));
  prestige_output_t out;
  int rc = *key ? prestige_store_open_output(st, key, &out, err)
                : prestige_error_set(err, PRESTIGE_EINVAL, "%s names a bucket, not an object", url);
  if (!rc) rc = cli_upload_output(path, &out, NULL, err);
  free(key);
  prestige_store_free(st);
  return rc;
}
