/* File sink: checkpoint slots of the current file, and the recovery at open of what an earlier run
 * left in the directory (unfinished files restored from their checkpoint or set aside, finished
 * files uploaded again). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "core/io_file.h"
#include "core/log.h"
#include "core/tsname.h"
#include "prestige/parquet_reader.h"
#include "prestige/store.h"
#include "prestige/upload.h"
#include "sink/sink_internal.h"

/* "<tmp>.ckpt0" / "<tmp>.ckpt1" */
void sink_slot_path(char *out, size_t n, const char *tmp, int k) { snprintf(out, n, "%s.ckpt%d", tmp, k); }

void sink_close_slots(int fd[2], const char *tmp) {
  for (int k = 0; k < 2; k++) {
    if (fd[k] >= 0) close(fd[k]);
    fd[k] = -1;
    if (tmp) {
      char p[4200];
      sink_slot_path(p, sizeof p, tmp, k);
      unlink(p);
    }
  }
}

/* Closes and removes the current file's checkpoint slots. */
void sink_drop_slots(prestige_sink_t *s, const char *tmp) {
  sink_close_slots(s->ckpt_fd, tmp);
  s->ckpt_seq = 0;
  s->cur_durable_rows = 0;
}

/* ---- checkpoints of the current file ------------------------------------------------------------ */

/* A slot holds: "PSCKPT01", seq, data_len, rows (u64 LE each), tail_len, crc32 (u32 LE) of the
 * 36 bytes before it and of the tail, then the tail: the footer that makes the file's first
 * data_len bytes a complete Parquet file of `rows` rows. Two slots are written in turn, so a
 * crash while one is written leaves the other, older one whole. */
enum { SLOT_HEADER = 40 };
static const char SLOT_MAGIC[8] = {'P', 'S', 'C', 'K', 'P', 'T', '0', '1'};

/* A checkpoint's footer larger than this, and than an eighth of the file's data, ends the file
 * instead: every checkpoint rewrites the whole footer, which grows with the row groups. */
enum { SLOT_FOOTER_SOFT_MAX = 64 << 10 };

static void put_u64(uint8_t *p, uint64_t v) {
  for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static uint64_t get_u64(const uint8_t *p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--) v = v << 8 | p[i];
  return v;
}

static int write_slot(prestige_sink_t *s, const uint8_t *tail, size_t tail_len, int64_t data_len, prestige_error_t *err) {
  int k = (int)(s->ckpt_seq & 1);
  char path[4200];
  sink_slot_path(path, sizeof path, s->cur_tmp, k);
  bool created = false;
  if (s->ckpt_fd[k] < 0) {
    s->ckpt_fd[k] = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (s->ckpt_fd[k] < 0)
      return prestige_error_set(err, errno == ENOSPC ? PRESTIGE_ENOSPC : PRESTIGE_EIO, "sink %s: creating %s: %s", s->name,
                                path, strerror(errno));
    created = true;
  }
  size_t n = SLOT_HEADER + tail_len;
  uint8_t *rec = malloc(n);
  if (!rec) return sink_oom(err);
  memcpy(rec, SLOT_MAGIC, 8);
  put_u64(rec + 8, s->ckpt_seq);
  put_u64(rec + 16, (uint64_t)data_len);
  put_u64(rec + 24, (uint64_t)s->cur_rows);
  uint32_t tl = (uint32_t)tail_len;
  for (int i = 0; i < 4; i++) rec[32 + i] = (uint8_t)(tl >> (8 * i));
  memcpy(rec + SLOT_HEADER, tail, tail_len);
  uLong crc = crc32(crc32(0L, Z_NULL, 0), rec, 36);
  crc = crc32(crc, rec + SLOT_HEADER, (uInt)tail_len);
  for (int i = 0; i < 4; i++) rec[36 + i] = (uint8_t)(crc >> (8 * i));
  int rc = 0;
  for (size_t off = 0; off < n && !rc;) {
    ssize_t w = pwrite(s->ckpt_fd[k], rec + off, n - off, (off_t)off);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) rc = prestige_error_set(err, errno == ENOSPC ? PRESTIGE_ENOSPC : PRESTIGE_EIO, "sink %s: writing %s: %s", s->name, path, strerror(errno));
    else off += (size_t)w;
  }
  free(rec);
  if (!rc && (ftruncate(s->ckpt_fd[k], (off_t)n) != 0 || fdatasync(s->ckpt_fd[k]) != 0))
    rc = prestige_error_set(err, errno == ENOSPC ? PRESTIGE_ENOSPC : PRESTIGE_EIO, "sink %s: syncing %s: %s", s->name, path,
                            strerror(errno));
  if (!rc && created) sink_fsync_dir(s->dir); /* the slot's and the data file's names are durable too */
  if (!rc) s->ckpt_seq++;
  return rc;
}

/* Makes the current file's rows durable without finishing it: the writer ends its row group and
 * hands out the footer those row groups need; the data is fdatasync'd, then the footer goes into
 * a slot and is fdatasync'd. A crash recovery cuts the file back to the data the footer describes
 * and finishes it with that footer, so every row covered by a checkpoint survives. */
int sink_checkpoint_current(prestige_sink_t *s, prestige_error_t *err) {
  if (!s->w || s->cur_rows == s->cur_durable_rows) return 0;
  uint8_t *tail;
  size_t tail_len;
  int64_t data_len;
  int rc = prestige_parquet_writer_checkpoint(s->w, &tail, &tail_len, &data_len, err);
  if (rc) {
    sink_drop_file(s);
    return prestige_error_prefix(err, "sink %s: checkpoint", s->name);
  }
  if (tail_len > SLOT_FOOTER_SOFT_MAX && (int64_t)tail_len > data_len / 8) {
    free(tail);
    return sink_finish_file(s, err);
  }
  rc = io_file_output_sync(s->cur_out, err);
  if (!rc) rc = write_slot(s, tail, tail_len, data_len, err);
  free(tail);
  if (rc) {
    sink_drop_file(s);
    return prestige_error_prefix(err, "sink %s: checkpoint", s->name);
  }
  s->cur_durable_rows = s->cur_rows;
  return 0;
}

/* ---- recovery ------------------------------------------------------------------------------------------ */

/* Reads a checkpoint slot: 1 with its fields when it is whole (magic, length, CRC), else 0. */
static int read_slot(const char *path, uint64_t *seq, int64_t *data_len, int64_t *rows, uint8_t **tail, size_t *tail_len) {
  *tail = NULL;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  struct stat sb;
  uint8_t *buf = NULL;
  int ok = 0;
  if (fstat(fd, &sb) == 0 && sb.st_size >= SLOT_HEADER && sb.st_size <= (SLOT_HEADER + (64 << 20)) &&
      (buf = malloc((size_t)sb.st_size))) {
    size_t n = (size_t)sb.st_size, got = 0;
    while (got < n) {
      ssize_t k = pread(fd, buf + got, n - got, (off_t)got);
      if (k <= 0 && !(k < 0 && errno == EINTR)) break;
      if (k > 0) got += (size_t)k;
    }
    uint32_t tl = (uint32_t)buf[32] | (uint32_t)buf[33] << 8 | (uint32_t)buf[34] << 16 | (uint32_t)buf[35] << 24;
    uint32_t want = (uint32_t)buf[36] | (uint32_t)buf[37] << 8 | (uint32_t)buf[38] << 16 | (uint32_t)buf[39] << 24;
    if (got == n && !memcmp(buf, SLOT_MAGIC, 8) && tl <= n - SLOT_HEADER) {
      uLong crc = crc32(crc32(0L, Z_NULL, 0), buf, 36);
      crc = crc32(crc, buf + SLOT_HEADER, tl);
      if ((uint32_t)crc == want && (*tail = malloc(tl ? tl : 1))) {
        memcpy(*tail, buf + SLOT_HEADER, tl);
        *tail_len = tl;
        *seq = get_u64(buf + 8);
        *data_len = (int64_t)get_u64(buf + 16);
        *rows = (int64_t)get_u64(buf + 24);
        ok = 1;
      }
    }
  }
  free(buf);
  close(fd);
  return ok;
}

/* Cuts tmp back to data_len bytes and appends tail; 1 when the result reads as `rows` rows. */
static int apply_slot(const char *tmp, int64_t data_len, int64_t rows, const uint8_t *tail, size_t tail_len) {
  struct stat sb;
  if (stat(tmp, &sb) != 0 || sb.st_size < data_len || data_len < 4) return 0;
  int fd = open(tmp, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  bool ok = ftruncate(fd, (off_t)data_len) == 0;
  for (size_t off = 0; ok && off < tail_len;) {
    ssize_t k = pwrite(fd, tail + off, tail_len - off, (off_t)(data_len + (int64_t)off));
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) ok = false;
    else off += (size_t)k;
  }
  if (ok && fsync(fd) != 0) ok = false;
  close(fd);
  if (!ok) return 0;
  prestige_parquet_reader_t *r;
  prestige_error_t e;
  prestige_error_init(&e);
  if (prestige_parquet_reader_open_file(&r, tmp, NULL, &e) != 0) return 0;
  bool same = prestige_parquet_reader_num_rows(r) == rows;
  prestige_parquet_reader_close(r);
  return same;
}

/* An unfinished file with a checkpoint is cut back to the data its newest whole checkpoint
 * describes, finished with that footer and given its final name (*final, malloc'd): the rows
 * acknowledged by the checkpoint survive the crash. 1 when restored, 0 when there is no usable
 * checkpoint. The slots are removed either way once the file is dealt with. */
static int restore_file(prestige_sink_t *s, const char *tmp, char **final) {
  *final = NULL;
  char slot[2][4200];
  uint64_t seq[2] = {0, 0};
  int64_t dl[2], rows[2];
  uint8_t *tail[2] = {NULL, NULL};
  size_t tl[2] = {0, 0};
  int ok[2];
  for (int k = 0; k < 2; k++) {
    sink_slot_path(slot[k], sizeof slot[k], tmp, k);
    ok[k] = read_slot(slot[k], &seq[k], &dl[k], &rows[k], &tail[k], &tl[k]);
  }
  int order[2] = {0, 1};
  if (ok[1] && (!ok[0] || seq[1] > seq[0])) order[0] = 1, order[1] = 0;
  int restored = 0;
  for (int i = 0; i < 2 && !restored; i++) {
    int k = order[i];
    if (!ok[k] || !apply_slot(tmp, dl[k], rows[k], tail[k], tl[k])) continue;
    size_t n = strlen(tmp);
    char *fin = strndup(tmp, n - 4); /* drop ".tmp" */
    if (fin && rename(tmp, fin) == 0) {
      sink_fsync_dir(s->dir);
      LOG_WARN("sink %s: restored %lld rows of the unfinished %s from its checkpoint", s->name, (long long)rows[k], tmp);
      s->restored++;
      s->restored_rows += rows[k];
      *final = fin;
      restored = 1;
    } else {
      free(fin);
    }
  }
  free(tail[0]);
  free(tail[1]);
  unlink(slot[0]);
  unlink(slot[1]);
  return restored;
}

static int push_path(char ***list, size_t *n, size_t *cap, char *path) {
  if (*n == *cap) {
    size_t c = *cap ? *cap * 2 : 16;
    char **l = realloc(*list, c * sizeof *l);
    if (!l) return PRESTIGE_ENOMEM;
    *list = l;
    *cap = c;
  }
  (*list)[(*n)++] = path;
  return 0;
}

/* An unfinished file without a usable checkpoint: moved to .incomplete/ (auto_commit) or deleted. */
static int set_aside(prestige_sink_t *s, const char *path, prestige_error_t *err) {
  const char *base = strrchr(path, '/') + 1;
  int rc = 0;
  if (s->o.auto_commit) {
    size_t il = strlen(s->dir) + 16;
    char *inc = malloc(il);
    if (!inc) return sink_oom(err);
    snprintf(inc, il, "%s/.incomplete", s->dir);
    rc = sink_mkdir_p(inc, err);
    size_t ql = il + strlen(base) + 2;
    char *dst = malloc(ql);
    if (!rc && !dst) rc = sink_oom(err);
    if (!rc) snprintf(dst, ql, "%s/%s", inc, base);
    if (!rc && rename(path, dst) != 0)
      rc = prestige_error_set(err, PRESTIGE_EIO, "sink %s: moving %s to %s: %s", s->name, path, inc, strerror(errno));
    if (!rc) {
      s->moved++;
      LOG_WARN("sink %s: moved the unfinished %s to %s", s->name, base, inc);
    }
    free(dst);
    free(inc);
  } else {
    if (unlink(path) == 0) s->deleted++;
    LOG_WARN("sink %s: deleted the unfinished %s", s->name, base);
  }
  return rc;
}

int sink_recover(prestige_sink_t *s, prestige_error_t *err) {
  DIR *d = opendir(s->dir);
  if (!d) return prestige_error_set(err, PRESTIGE_EIO, "sink %s: listing %s: %s", s->name, s->dir, strerror(errno));
  struct dirent *e;
  int rc = 0;
  char **done = NULL, **tmps = NULL, **slots = NULL;
  size_t n_done = 0, cap_done = 0, n_tmps = 0, cap_tmps = 0, n_slots = 0, cap_slots = 0;
  /* names first, changes after: renaming entries while readdir walks the directory may show
   * them twice or not at all */
  while ((e = readdir(d)) && !rc) {
    int64_t ts = -1;
    int kind = (ts = sink_parse_name(e->d_name, s->name, true)) >= 0                                ? 1
               : (ts = sink_parse_name(e->d_name, s->name, false)) >= 0                             ? 2
               : (ts = tsname_parse(e->d_name, s->name, ".parquet.tmp.ckpt0")) >= 0 ||
                       (ts = tsname_parse(e->d_name, s->name, ".parquet.tmp.ckpt1")) >= 0 ? 3
                                                                                                : 0;
    if (!kind) continue;
    if (ts > s->last_ts) s->last_ts = ts;
    size_t pl = strlen(s->dir) + strlen(e->d_name) + 2;
    char *path = malloc(pl);
    if (!path) {
      rc = sink_oom(err);
      break;
    }
    snprintf(path, pl, "%s/%s", s->dir, e->d_name);
    if (push_path(kind == 1 ? &tmps : kind == 2 ? &done : &slots, kind == 1 ? &n_tmps : kind == 2 ? &n_done : &n_slots,
                  kind == 1 ? &cap_tmps : kind == 2 ? &cap_done : &cap_slots, path)) {
      free(path);
      rc = sink_oom(err);
    }
  }
  closedir(d);
  for (size_t i = 0; i < n_tmps; i++) {
    char *fin = NULL;
    if (!rc && restore_file(s, tmps[i], &fin)) {
      if (push_path(&done, &n_done, &cap_done, fin)) {
        free(fin);
        rc = sink_oom(err);
      }
    } else if (!rc) {
      rc = set_aside(s, tmps[i], err);
    }
    free(tmps[i]);
  }
  free(tmps);
  for (size_t i = 0; i < n_slots; i++) { /* slots whose file was finished (or dealt with above) */
    unlink(slots[i]);
    free(slots[i]);
  }
  free(slots);
  if (!rc) sink_fsync_dir(s->dir);
  /* completed files: uploaded again unless the bucket already holds them */
  for (size_t i = 0; i < n_done; i++) {
    if (rc || !s->o.upload) {
      free(done[i]);
      continue;
    }
    prestige_sink_file_t f = {.path = done[i], .recovered = true};
    prestige_parquet_reader_t *r;
    prestige_error_t e2;
    prestige_error_init(&e2);
    if (prestige_parquet_reader_open_file(&r, f.path, NULL, &e2) == 0) {
      f.rows = prestige_parquet_reader_num_rows(r);
      prestige_parquet_reader_close(r);
    } else {
      LOG_WARN("sink %s: completed file %s cannot be read (%s); uploading it as it is", s->name, f.path, e2.message);
    }
    struct stat sb;
    if (stat(f.path, &sb) == 0) f.bytes = sb.st_size;
    if ((rc = sink_add_pending(s, &f, err))) {
      free(done[i]);
      continue;
    }
    pending_t *p = &s->pend[s->n_pend - 1];
    if (!(p->f.key = sink_key_for(s, p->f.path))) {
      rc = sink_oom(err);
      continue;
    }
    prestige_object_meta_t meta;
    if (prestige_store_head(prestige_file_upload_store(s->o.upload), p->f.key, &meta, &e2) == 0 &&
        meta.size == (uint64_t)f.bytes) {
      p->uploaded = true;
      if (!s->o.keep_local) unlink(p->f.path);
    } else {
      rc = sink_submit_upload(s, p, err);
    }
    if (meta.key || meta.etag) prestige_object_meta_clear(&meta);
    s->recovered++;
  }
  free(done);
  return rc;
}

