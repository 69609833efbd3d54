/* URL arguments: every verb that takes a file also takes file:// and s3://bucket/key URLs. And
 * the transfers behind cp and convert, which a signal stops cleanly: a download goes to
 * <dest>.prestige-tmp-XXXXXX and is renamed when complete (removed when stopped), an upload streams
 * into the store's output (S3: a multipart upload with parts in flight, aborted when stopped). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
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

enum { XFER_CHUNK = 8 << 20 };

static void on_get_progress(void *ud, uint64_t done, uint64_t total) {
  cli_progress_t *p = ud;
  if (p->total_bytes == 0) p->total_bytes = (int64_t)total;
  cli_progress_update(p, -1, (int64_t)done);
}

/* Removes <path>.prestige-tmp-XXXXXX files (the store's temporary names for a download to path). */
static void remove_download_temps(const char *path) {
  const char *sl = strrchr(path, '/');
  char *dir = sl ? strndup(path, sl == path ? 1 : (size_t)(sl - path)) : strdup(".");
  const char *base = sl ? sl + 1 : path;
  size_t bl = strlen(base);
  DIR *d = dir ? opendir(dir) : NULL;
  struct dirent *e;
  while (d && (e = readdir(d))) {
    if (strncmp(e->d_name, base, bl) || strncmp(e->d_name + bl, ".prestige-tmp-", 14) || strlen(e->d_name) != bl + 20) continue;
    size_t n = strlen(dir) + strlen(e->d_name) + 2;
    char *p = malloc(n);
    if (p) {
      snprintf(p, n, "%s/%s", dir, e->d_name);
      unlink(p);
      free(p);
    }
  }
  if (d) closedir(d);
  free(dir);
}

/* The store's parallel ranged download (written in place, renamed when complete) runs in a child
 * process, so that a signal can stop it at once: the child is killed, then its temporary file is
 * removed. Nothing is left on the server by a download. */
int cli_download_url(const char *url, const char *path, bool progress, prestige_error_t *err) {
  int fds[2];
  if (pipe(fds) != 0) return prestige_error_set(err, PRESTIGE_EIO, "pipe: %s", strerror(errno));
  fflush(NULL);
  pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    return prestige_error_set(err, PRESTIGE_EIO, "fork: %s", strerror(errno));
  }
  if (pid == 0) {
    close(fds[0]);
    prestige_error_t e;
    prestige_error_init(&e);
    prestige_store_t *st;
    char *key;
    int rc = cli_split_s3(url, &st, &key, &e);
    if (!rc) {
      cli_progress_t prog;
      cli_progress_init(&prog, !progress, 0);
      rc = *key ? prestige_store_get_file_progress(st, key, path, prog.enabled ? on_get_progress : NULL, &prog, &e)
                : prestige_error_set(&e, PRESTIGE_EINVAL, "%s names a bucket, not an object", url);
      cli_progress_done(&prog);
      free(key);
      prestige_store_free(st);
    }
    if (rc && write(fds[1], &e, sizeof e) != (ssize_t)sizeof e) rc = 1;
    _exit(rc ? 1 : 0);
  }
  close(fds[1]);
  int status = 0;
  bool stopped = false;
  for (;;) {
    pid_t w = waitpid(pid, &status, WNOHANG);
    if (w == pid) break;
    if (w < 0 && errno != EINTR) break;
    if (!stopped && cli_signal_received()) {
      kill(pid, SIGKILL);
      stopped = true;
    }
    usleep(20000);
  }
  int rc = 0;
  if (stopped) {
    remove_download_temps(path);
    rc = canceled(err, "download stopped, nothing written");
  } else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    prestige_error_t e;
    if (read(fds[0], &e, sizeof e) == (ssize_t)sizeof e && e.code) {
      e.message[sizeof e.message - 1] = 0;
      if (err) *err = e;
      rc = e.code;
    } else {
      remove_download_temps(path);
      rc = prestige_error_set(err, PRESTIGE_EIO, "downloading %s: the download process ended (status %d)", url, status);
    }
  }
  close(fds[0]);
  return rc;
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

static int stop_on_signal(void *ud) {
  (void)ud;
  return cli_signal_received() != 0;
}

static void on_put_progress(void *ud, uint64_t done, uint64_t total) {
  (void)total;
  if (ud) cli_progress_update(ud, -1, (int64_t)done);
}

int cli_upload_regular(prestige_store_t *st, const char *key, const char *path, cli_progress_t *prog, prestige_error_t *err) {
  int rc = prestige_store_put_file_progress(st, key, path, on_put_progress, stop_on_signal, prog, err);
  if (rc == PRESTIGE_ECANCELED || (rc && cli_signal_received())) rc = canceled(err, "upload stopped and aborted");
  return rc;
}

int cli_copy_local(const char *src, const char *dst, cli_progress_t *prog, prestige_error_t *err) {
  int in = open(src, O_RDONLY | O_CLOEXEC);
  if (in < 0) return prestige_error_set(err, errno == ENOENT ? PRESTIGE_ENOTFOUND : PRESTIGE_EIO, "opening %s: %s", src, strerror(errno));
  char *tmp;
  int fd = -1;
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
  char bucket[128];
  const char *key;
  PRESTIGE_TRY(prestige_s3_url_split(url, bucket, sizeof bucket, &key, err));
  char *tmp = cli_temp_name(key, NULL);
  int rc = tmp ? cli_download_url(url, tmp, false, err)
               : prestige_error_set(err, PRESTIGE_EIO, "cannot create a temporary file: %s", strerror(errno));
  if (rc && tmp) {
    unlink(tmp);
    free(tmp);
  } else {
    *tmp_path = tmp;
  }
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
