#include "prestige/io.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/io_file.h"

static int io_errno(prestige_error_t *err, int e, const char *what, const char *name) {
  int code = e == ENOSPC || e == EDQUOT ? PRESTIGE_ENOSPC
             : e == ENOENT            ? PRESTIGE_ENOTFOUND
                                      : PRESTIGE_EIO;
  return prestige_error_set(err, code, "%s %s: %s", what, name, strerror(e));
}

/* ---- file output ---- */
typedef struct file_out {
  int fd;
  uint64_t written;
  buf_t pending; /* coalesces small writes into 1 MiB syscalls */
  char *path;
  bool keep; /* abort leaves the file in place */
} file_out_t;

enum { FILE_OUT_FLUSH = 1 << 20 };

static int file_out_flush(file_out_t *f, prestige_error_t *err) {
  size_t off = 0;
  while (off < f->pending.len) {
    ssize_t n = write(f->fd, f->pending.data + off, f->pending.len - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return io_errno(err, errno, "writing", f->path);
    }
    off += (size_t)n;
  }
  buf_clear(&f->pending);
  return 0;
}

static int file_out_write(void *ctx, const void *data, size_t len, prestige_error_t *err) {
  file_out_t *f = ctx;
  if (f->pending.len + len > FILE_OUT_FLUSH) PRESTIGE_TRY(file_out_flush(f, err));
  if (len >= FILE_OUT_FLUSH) {
    const uint8_t *p = data;
    size_t off = 0;
    while (off < len) {
      ssize_t n = write(f->fd, p + off, len - off);
      if (n < 0) {
        if (errno == EINTR) continue;
        return io_errno(err, errno, "writing", f->path);
      }
      off += (size_t)n;
    }
  } else if (buf_append(&f->pending, data, len)) {
    return prestige_error_set(err, PRESTIGE_ENOMEM, "writing %s: out of memory", f->path);
  }
  f->written += len;
  return 0;
}

static void file_out_destroy(file_out_t *f) {
  if (f->fd >= 0) close(f->fd);
  buf_release(&f->pending);
  free(f->path);
  free(f);
}

static int file_out_close(void *ctx, prestige_error_t *err) {
  file_out_t *f = ctx;
  int rc = file_out_flush(f, err);
  if (!rc && fsync(f->fd) != 0) rc = io_errno(err, errno, "fsync", f->path);
  if (close(f->fd) != 0 && !rc) rc = io_errno(err, errno, "closing", f->path);
  f->fd = -1;
  file_out_destroy(f);
  return rc;
}

static void file_out_abort(void *ctx) {
  file_out_t *f = ctx;
  if (!f->keep) unlink(f->path);
  file_out_destroy(f);
}

static uint64_t file_out_tell(void *ctx) { return ((file_out_t *)ctx)->written; }

void io_file_output_keep(void *ctx) { ((file_out_t *)ctx)->keep = true; }

int io_file_output_sync(void *ctx, prestige_error_t *err) {
  file_out_t *f = ctx;
  PRESTIGE_TRY(file_out_flush(f, err));
  if (fdatasync(f->fd) != 0) return io_errno(err, errno, "fdatasync", f->path);
  return 0;
}

int prestige_output_open_file(prestige_output_t *out, const char *path, prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  file_out_t *f = calloc(1, sizeof(*f));
  if (!f || !(f->path = strdup(path))) {
    free(f);
    return prestige_error_set(err, PRESTIGE_ENOMEM, "opening %s: out of memory", path);
  }
  f->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (f->fd < 0) {
    int rc = io_errno(err, errno, "creating", path);
    file_out_destroy(f);
    return rc;
  }
  *out = (prestige_output_t){f, file_out_write, file_out_close, file_out_abort, file_out_tell, f->path};
  return 0;
}

/* ---- memory output ---- */
typedef struct mem_out {
  buf_t b;
  uint8_t **data;
  size_t *len;
} mem_out_t;

static int mem_out_write(void *ctx, const void *data, size_t len, prestige_error_t *err) {
  mem_out_t *m = ctx;
  if (buf_append(&m->b, data, len)) return prestige_error_set(err, PRESTIGE_ENOMEM, "memory output: out of memory");
  return 0;
}
static int mem_out_close(void *ctx, prestige_error_t *err) {
  (void)err;
  mem_out_t *m = ctx;
  *m->data = buf_detach(&m->b, m->len);
  free(m);
  return 0;
}
static void mem_out_abort(void *ctx) {
  mem_out_t *m = ctx;
  buf_release(&m->b);
  free(m);
}
static uint64_t mem_out_tell(void *ctx) { return ((mem_out_t *)ctx)->b.len; }

int prestige_output_open_memory(prestige_output_t *out, uint8_t **data, size_t *len, prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  mem_out_t *m = calloc(1, sizeof(*m));
  if (!m) return prestige_error_set(err, PRESTIGE_ENOMEM, "memory output: out of memory");
  m->data = data;
  m->len = len;
  *data = NULL;
  *len = 0;
  *out = (prestige_output_t){m, mem_out_write, mem_out_close, mem_out_abort, mem_out_tell, "<memory>"};
  return 0;
}

/* ---- file input ---- */
typedef struct file_in {
  int fd;
  uint64_t size;
  char *path;
} file_in_t;

static int file_in_read_at(void *ctx, uint64_t offset, void *dst, size_t len, prestige_error_t *err) {
  file_in_t *f = ctx;
  if (offset > f->size || len > f->size - offset)
    return prestige_error_set(err, PRESTIGE_ECORRUPT,
                              "%s: read of %zu bytes at offset %llu is past the end of the file (%llu bytes)",
                              f->path, len, (unsigned long long)offset, (unsigned long long)f->size);
  uint8_t *p = dst;
  size_t done = 0;
  while (done < len) {
    ssize_t n = pread(f->fd, p + done, len - done, (off_t)(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return io_errno(err, errno, "reading", f->path);
    }
    if (n == 0)
      return prestige_error_set(err, PRESTIGE_ECORRUPT, "%s: file shrank while reading at offset %llu", f->path,
                                (unsigned long long)(offset + done));
    done += (size_t)n;
  }
  return 0;
}

static int file_in_size(void *ctx, uint64_t *size, prestige_error_t *err) {
  (void)err;
  *size = ((file_in_t *)ctx)->size;
  return 0;
}

static void file_in_close(void *ctx) {
  file_in_t *f = ctx;
  if (f->fd >= 0) close(f->fd);
  free(f->path);
  free(f);
}

int prestige_input_open_file(prestige_input_t *in, const char *path, prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  file_in_t *f = calloc(1, sizeof(*f));
  if (!f || !(f->path = strdup(path))) {
    free(f);
    return prestige_error_set(err, PRESTIGE_ENOMEM, "opening %s: out of memory", path);
  }
  f->fd = open(path, O_RDONLY | O_CLOEXEC);
  struct stat st;
  if (f->fd < 0 || fstat(f->fd, &st) != 0) {
    int rc = io_errno(err, errno, "opening", path);
    file_in_close(f);
    return rc;
  }
  if (S_ISDIR(st.st_mode)) {
    file_in_close(f);
    return prestige_error_set(err, PRESTIGE_EINVAL, "opening %s: is a directory", path);
  }
  f->size = (uint64_t)st.st_size;
  *in = (prestige_input_t){f, file_in_read_at, file_in_size, NULL, file_in_close, f->path};
  return 0;
}

/* ---- memory input ---- */
typedef struct mem_in {
  const uint8_t *data;
  size_t len;
  char *name;
} mem_in_t;

static int mem_in_read_at(void *ctx, uint64_t offset, void *dst, size_t len, prestige_error_t *err) {
  mem_in_t *m = ctx;
  if (offset > m->len || len > m->len - offset)
    return prestige_error_set(err, PRESTIGE_ECORRUPT, "%s: read of %zu bytes at offset %llu is past the end (%zu bytes)",
                              m->name, len, (unsigned long long)offset, m->len);
  memcpy(dst, m->data + offset, len);
  return 0;
}
static int mem_in_size(void *ctx, uint64_t *size, prestige_error_t *err) {
  (void)err;
  *size = ((mem_in_t *)ctx)->len;
  return 0;
}
static void mem_in_close(void *ctx) {
  mem_in_t *m = ctx;
  free(m->name);
  free(m);
}

int prestige_input_open_memory(prestige_input_t *in, const void *data, size_t len, const char *name,
                               prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  mem_in_t *m = calloc(1, sizeof(*m));
  if (!m || !(m->name = strdup(name ? name : "<memory>"))) {
    free(m);
    return prestige_error_set(err, PRESTIGE_ENOMEM, "memory input: out of memory");
  }
  m->data = data;
  m->len = len;
  *in = (prestige_input_t){m, mem_in_read_at, mem_in_size, NULL, mem_in_close, m->name};
  return 0;
}
