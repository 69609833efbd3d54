/* File sink: files pending for a commit, their uploads, and the commit's manifest. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/tsname.h"
#include "prestige/upload.h"
#include "sink/sink_internal.h"

void prestige_sink_manifest_release(prestige_sink_manifest_t *m) {
  if (!m) return;
  for (size_t i = 0; i < m->n_files; i++) {
    free(m->files[i].path);
    free(m->files[i].key);
  }
  free(m->files);
  memset(m, 0, sizeof *m);
}

char *prestige_sink_manifest_json(const prestige_sink_manifest_t *m) {
  json_t *root = json_object(), *files = json_array();
  for (size_t i = 0; i < m->n_files; i++) {
    const prestige_sink_file_t *f = &m->files[i];
    json_t *j = json_object();
    json_object_set_new(j, "path", json_string(f->path));
    json_object_set_new(j, "key", f->key ? json_string(f->key) : json_null());
    json_object_set_new(j, "rows", json_integer(f->rows));
    json_object_set_new(j, "bytes", json_integer(f->bytes));
    json_object_set_new(j, "min_timestamp_ms", f->has_timestamps ? json_integer(f->min_timestamp_ms) : json_null());
    json_object_set_new(j, "max_timestamp_ms", f->has_timestamps ? json_integer(f->max_timestamp_ms) : json_null());
    if (f->recovered) json_object_set_new(j, "recovered", json_true());
    json_array_append_new(files, j);
  }
  json_object_set_new(root, "files", files);
  json_object_set_new(root, "rows", json_integer(m->rows));
  if (m->open_rows) json_object_set_new(root, "open_rows", json_integer(m->open_rows));
  char *s = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
  json_decref(root);
  return s;
}

int sink_add_pending(prestige_sink_t *s, const prestige_sink_file_t *f, prestige_error_t *err) {
  if (s->n_pend == s->cap_pend) {
    size_t nc = s->cap_pend ? s->cap_pend * 2 : 16;
    pending_t *np = realloc(s->pend, nc * sizeof *np);
    if (!np) return sink_oom(err);
    s->pend = np;
    s->cap_pend = nc;
  }
  memset(&s->pend[s->n_pend], 0, sizeof s->pend[s->n_pend]);
  s->pend[s->n_pend].f = *f;
  s->n_pend++;
  return 0;
}

char *sink_key_for(const prestige_sink_t *s, const char *path) {
  return tsname_key_for_path(prestige_file_upload_key_prefix(s->o.upload), path);
}

int sink_submit_upload(prestige_sink_t *s, pending_t *p, prestige_error_t *err) {
  if (!s->o.upload || p->uploaded) return 0;
  if (!p->f.key && !(p->f.key = sink_key_for(s, p->f.path))) return sink_oom(err);
  return prestige_file_upload_submit(s->o.upload, p->f.path, p->f.key, &p->ticket, err);
}

/* Finishes the file (commit) or checkpoints it (checkpoint), uploads what is pending and waits
 * for it; fills the manifest. */
int sink_do_commit(prestige_sink_t *s, prestige_sink_manifest_t *m, bool finish, prestige_error_t *err) {
  memset(m, 0, sizeof *m);
  int rc = 0;
  sink_take_finished(s); /* rotated files first: a failure among them fails this commit */
  if (s->fail_rc) {
    rc = s->fail_rc;
    if (err) *err = s->fail_err;
    prestige_error_prefix(err, "records written since the last commit were not saved");
    s->fail_rc = 0;
    sink_drop_file(s);
    return rc;
  }
  if (finish && (rc = sink_finish_file(s, err))) return rc;
  if (!finish && (rc = sink_checkpoint_current(s, err))) return rc;
  if (s->o.upload) {
    for (size_t i = 0; i < s->n_pend && !rc; i++)
      if (!s->pend[i].ticket) rc = sink_submit_upload(s, &s->pend[i], err);
    for (size_t i = 0; i < s->n_pend; i++) {
      pending_t *p = &s->pend[i];
      if (p->uploaded || !p->ticket) continue;
      prestige_error_t e;
      prestige_error_init(&e);
      int urc = prestige_file_upload_wait(s->o.upload, p->ticket, -1, &e);
      if (urc) {
        p->ticket = 0; /* submitted again by the next commit */
        if (!rc) {
          rc = urc;
          if (err) *err = e;
          prestige_error_prefix(err, "sink %s: commit", s->name);
        }
      } else {
        p->uploaded = true;
        if (!s->o.keep_local) unlink(p->f.path); /* confirmed: the bucket has it */
      }
    }
    if (rc) return rc;
  }
  m->files = calloc(s->n_pend ? s->n_pend : 1, sizeof *m->files);
  if (!m->files) return sink_oom(err);
  for (size_t i = 0; i < s->n_pend; i++) {
    m->files[i] = s->pend[i].f;
    m->rows += s->pend[i].f.rows;
  }
  m->n_files = s->n_pend;
  m->open_rows = s->w ? s->cur_durable_rows : 0;
  s->n_pend = 0;
  return 0;
}
