/*
 * IcebergSink crash recovery: the writer id kept in <manifest_dir>/writer-id, one durable
 * manifest per sealed commit (<manifest_dir>/commit-<seq>.avro, an Iceberg data manifest written
 * through the local store: temporary file, fsync, rename, directory fsync), and on open the
 * leftovers resolved against the table's snapshots (prestige.writer-id + prestige.commit-seq).
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"
#include "iceberg/sink_internal.h"

static int oom(prestige_error_t *err) { return prestige_error_set(err, PRESTIGE_ENOMEM, "iceberg sink: out of memory"); }

static int mkdir_p(const char *path, prestige_error_t *err) {
  char buf[4096];
  if (strlen(path) >= sizeof buf) return prestige_error_set(err, PRESTIGE_EINVAL, "manifest_dir %s: path too long", path);
  strcpy(buf, path);
  for (char *p = buf + 1; *p; p++) {
    if (*p != '/') continue;
    *p = 0;
    if (mkdir(buf, 0755) && errno != EEXIST)
      return prestige_error_set(err, PRESTIGE_EIO, "manifest_dir: cannot create %s: %s", buf, strerror(errno));
    *p = '/';
  }
  if (mkdir(buf, 0755) && errno != EEXIST)
    return prestige_error_set(err, PRESTIGE_EIO, "manifest_dir: cannot create %s: %s", buf, strerror(errno));
  struct stat st;
  if (stat(buf, &st) || !S_ISDIR(st.st_mode))
    return prestige_error_set(err, PRESTIGE_EINVAL, "manifest_dir %s is not a directory", path);
  return 0;
}

static char *join(const char *dir, const char *name) {
  size_t n = strlen(dir) + strlen(name) + 2;
  char *p = malloc(n);
  if (p) snprintf(p, n, "%s/%s", dir, name);
  return p;
}

int isink_recovery_open(prestige_iceberg_sink_t *s, prestige_error_t *err) {
  if (s->o.writer_id && !*s->o.writer_id) return prestige_error_set(err, PRESTIGE_EINVAL, "iceberg sink: writer_id is empty");
  if (!s->o.manifest_dir) {
    char u[40];
    if (s->o.writer_id) s->writer_id = strdup(s->o.writer_id);
    else if (!ice_uuid_v4(u, err)) s->writer_id = strdup(u);
    else return err ? err->code : PRESTIGE_EINTERNAL;
    return s->writer_id ? 0 : oom(err);
  }
  char *loc = NULL;
  PRESTIGE_TRY(ice_location_normalize(s->o.manifest_dir, &loc, err));
  const char *path = ice_location_local_path(loc);
  if (!path) {
    free(loc);
    return prestige_error_set(err, PRESTIGE_EINVAL, "iceberg sink: manifest_dir %s must be a local directory", s->o.manifest_dir);
  }
  int rc = mkdir_p(path, err);
  if (!rc && !(s->manifest_dir = strdup(path))) rc = oom(err);
  if (!rc) rc = ice_io_new(NULL, &s->mio, err);
  if (!rc) rc = ice_io_add_root(s->mio, loc, err);
  free(loc);
  if (rc) return rc;
  if (s->o.writer_id) {
    s->writer_id = strdup(s->o.writer_id);
    return s->writer_id ? 0 : oom(err);
  }
  char *idpath = join(s->manifest_dir, "writer-id");
  if (!idpath) return oom(err);
  uint8_t *data = NULL;
  size_t len = 0;
  prestige_error_t rerr;
  rc = ice_io_read(s->mio, idpath, &data, &len, &rerr);
  if (rc == PRESTIGE_ENOTFOUND) {
    char u[40];
    rc = ice_uuid_v4(u, err);
    if (!rc) rc = ice_io_write(s->mio, idpath, u, strlen(u), true, err);
    if (!rc) rc = ice_io_read(s->mio, idpath, &data, &len, err); /* another sink may have raced us: take what is there */
  } else if (rc && err) {
    *err = rerr;
  }
  free(idpath);
  if (rc) return rc;
  while (len && (data[len - 1] == '\n' || data[len - 1] == ' ')) len--;
  if (!len || len > 200) {
    free(data);
    return prestige_error_set(err, PRESTIGE_ECORRUPT, "iceberg sink: %s/writer-id is empty or too long", s->manifest_dir);
  }
  s->writer_id = strndup((const char *)data, len);
  free(data);
  return s->writer_id ? 0 : oom(err);
}

static void manifest_name(char *out, size_t n, const char *dir, int64_t seq) {
  snprintf(out, n, "%s/commit-%020" PRId64 ".avro", dir, seq);
}

int isink_write_manifest(prestige_iceberg_sink_t *s, int64_t seq, ice_append_t *w, char **path, prestige_error_t *err) {
  char loc[4200];
  manifest_name(loc, sizeof loc, s->manifest_dir, seq);
  ice_manifest_writer_t *mw = NULL;
  int rc = ice_manifest_writer_open(&mw, s->mio, loc, w->base.metadata->format_version, w->schema, w->spec, ICE_MANIFEST_DATA,
                                    seq, err);
  for (size_t i = 0; !rc && i < w->n_files; i++) rc = ice_manifest_writer_add(mw, &w->files[i], err);
  ice_manifest_file_t mf;
  if (!rc) {
    rc = ice_manifest_writer_close(mw, &mf, err);
    if (!rc) ice_manifest_file_release(&mf);
  } else if (mw) {
    ice_manifest_writer_abort(mw);
  }
  if (rc) return prestige_error_prefix(err, "iceberg sink %s: writing the recovery manifest %s", s->label, loc);
  *path = strdup(loc);
  return *path ? 0 : oom(err);
}

void isink_remove_manifest(prestige_iceberg_sink_t *s, const char *path) {
  if (unlink(path) && errno != ENOENT) LOG_WARN("iceberg sink %s: cannot remove %s: %s", s->label, path, strerror(errno));
}

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return x < y ? -1 : x > y;
}

static void report_recovered(prestige_iceberg_sink_t *s, int64_t seq, int64_t sid, const ice_manifest_t *m, int attempts) {
  int64_t rows = 0;
  const char **paths = calloc(m->n_entries ? m->n_entries : 1, sizeof(char *));
  for (size_t i = 0; i < m->n_entries; i++) {
    rows += m->entries[i].file.record_count;
    if (paths) paths[i] = m->entries[i].file.file_path;
  }
  s->recovered++;
  s->recovered_rows += rows;
  if (s->o.on_commit && paths) {
    prestige_iceberg_sink_commit_info_t info = {sid, seq, paths, m->n_entries, rows, true, attempts, 0};
    s->o.on_commit(s->o.user_data, &info);
  }
  free(paths);
}

/* One leftover manifest: committed already, committed now, or dropped (files gone). */
static int recover_one(prestige_iceberg_sink_t *s, int64_t seq, const char *path, prestige_error_t *err) {
  uint8_t *data = NULL;
  size_t len = 0;
  PRESTIGE_TRY(ice_io_read(s->mio, path, &data, &len, err));
  ice_manifest_t m;
  memset(&m, 0, sizeof m);
  int rc = ice_manifest_read_memory(data, len, path, NULL, s->latest.metadata, NULL, NULL, &m, err);
  free(data);
  if (rc) return prestige_error_prefix(err, "iceberg sink %s: recovery manifest", s->label);
  int64_t sid = isink_find_committed(s->latest.metadata, s->writer_id, seq);
  if (sid >= 0) {
    LOG_INFO("iceberg sink %s: commit %" PRId64 " had landed as snapshot %" PRId64, s->label, seq, sid);
    report_recovered(s, seq, sid, &m, 0);
    isink_remove_manifest(s, path);
    ice_manifest_release(&m);
    return 0;
  }
  size_t missing = 0;
  const char *first_missing = NULL;
  ice_data_file_t *files = calloc(m.n_entries ? m.n_entries : 1, sizeof *files);
  if (!files) {
    ice_manifest_release(&m);
    return oom(err);
  }
  for (size_t i = 0; i < m.n_entries; i++) {
    files[i] = m.entries[i].file;
    files[i].spec_id = m.spec_id;
    uint64_t size = 0;
    prestige_error_t herr;
    int hrc = ice_io_head(s->table->io, files[i].file_path, &size, NULL, &herr);
    if (hrc == PRESTIGE_ENOTFOUND || (!hrc && (int64_t)size != files[i].file_size_in_bytes)) {
      if (!missing++) first_missing = files[i].file_path;
    } else if (hrc) {
      free(files);
      ice_manifest_release(&m);
      if (err) *err = herr;
      return prestige_error_prefix(err, "iceberg sink %s: recovery of commit %" PRId64, s->label, seq);
    }
  }
  if (missing) {
    LOG_WARN("iceberg sink %s: recovery manifest %s names %zu missing files (%s): its rows were never acknowledged; dropped",
             s->label, path, missing, first_missing);
    isink_remove_manifest(s, path);
  } else {
    int attempts = 0;
    rc = isink_commit_files(s, seq, NULL, files, m.n_entries, &sid, &attempts, err);
    if (!rc) {
      LOG_INFO("iceberg sink %s: recovered commit %" PRId64 " as snapshot %" PRId64, s->label, seq, sid);
      report_recovered(s, seq, sid, &m, attempts);
      isink_remove_manifest(s, path);
    }
  }
  free(files);
  ice_manifest_release(&m);
  return rc;
}

int isink_recover(prestige_iceberg_sink_t *s, prestige_error_t *err) {
  int64_t max = isink_max_seq(s->latest.metadata, s->writer_id);
  if (!s->manifest_dir) {
    s->next_seq = max + 1;
    return 0;
  }
  DIR *d = opendir(s->manifest_dir);
  if (!d) return prestige_error_set(err, PRESTIGE_EIO, "manifest_dir %s: %s", s->manifest_dir, strerror(errno));
  int64_t *seqs = NULL;
  size_t n = 0, cap = 0;
  struct dirent *de;
  while ((de = readdir(d))) {
    long long v;
    char tail[8];
    if (sscanf(de->d_name, "commit-%lld.%7s", &v, tail) != 2 || strcmp(tail, "avro") || v <= 0) continue;
    if (n == cap) {
      cap = cap ? cap * 2 : 16;
      int64_t *g = realloc(seqs, cap * sizeof *g);
      if (!g) {
        closedir(d);
        free(seqs);
        return oom(err);
      }
      seqs = g;
    }
    seqs[n++] = v;
  }
  closedir(d);
  if (n) qsort(seqs, n, sizeof *seqs, cmp_i64);
  if (n && seqs[n - 1] > max) max = seqs[n - 1];
  s->next_seq = max + 1;
  int rc = 0;
  for (size_t i = 0; i < n && !rc; i++) {
    char path[4200];
    manifest_name(path, sizeof path, s->manifest_dir, seqs[i]);
    rc = recover_one(s, seqs[i], path, err);
  }
  free(seqs);
  return rc;
}
