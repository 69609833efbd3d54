/*
 * S3 operations on top of the executor: objects put whole, from files and as streaming multipart
 * uploads with several parts in flight; ranged and parallel downloads; HEAD, DELETE, batched
 * DeleteObjects and ListObjectsV2 pages.
 */
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"
#include "core/queue.h"
#include "store/s3_internal.h"
#include "store/xml.h"

static int enc_query_value(buf_t *b, const char *name, const char *value, bool first) {
  if (!first && buf_append_u8(b, '&')) return PRESTIGE_ENOMEM;
  if (buf_append(b, name, strlen(name)) || buf_append_u8(b, '=')) return PRESTIGE_ENOMEM;
  if (value && sigv4_uri_encode(b, value, strlen(value), 0)) return PRESTIGE_ENOMEM;
  return 0;
}

static int oom(prestige_error_t *err) { return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory"); }

/* ---- single PUT ------------------------------------------------------------------------------- */

static int put_common(prestige_s3_client_t *c, const char *bucket, const char *key, const void *data, size_t len,
                      int fd, bool if_absent, prestige_error_t *err) {
  s3_request_t rq;
  s3_request_init(&rq, "PutObject", "PUT", bucket, key);
  rq.has_body = true;
  rq.body = data;
  rq.body_len = len;
  rq.body_fd = fd;
  rq.checksum = true;
  sigv4_header_t h[1] = {{"if-none-match", "*"}};
  if (if_absent) {
    rq.headers = h;
    rq.n_headers = 1;
  }
  s3_response_t rs;
  int rc = s3_execute(c, &rq, &rs, err);
  if (rc == PRESTIGE_EEXISTS || (rc == PRESTIGE_ECONFLICT && if_absent)) {
    char u[512];
    return prestige_error_set(err, PRESTIGE_EEXISTS, "S3 PutObject %s: the object already exists (conditional create)",
                              s3_url(u, sizeof u, bucket, key));
  }
  return rc;
}

int s3_put_object(prestige_s3_client_t *c, const char *bucket, const char *key, const void *data, size_t len,
                  bool if_absent, prestige_error_t *err) {
  return put_common(c, bucket, key, data, len, -1, if_absent, err);
}

/* ---- multipart -------------------------------------------------------------------------------- */

typedef struct mpu_job {
  int part;
  uint8_t *data; /* owned, or NULL for a file range */
  size_t len;
  int fd;
  uint64_t off;
  bool digested; /* sha / sum computed by the submitter (hashing overlaps the workers' sending) */
  char sha[65];
  char sum[16];
} mpu_job_t;

typedef struct mpu {
  prestige_s3_client_t *c;
  char *bucket, *key;
  bool if_absent;
  char *upload_id;
  pthread_mutex_t mu;
  char **etags; /* etags[part - 1] */
  char (*sums)[16]; /* sums[part - 1]: the checksum each part was sent with ("" when none) */
  int etags_cap;
  int n_parts;
  queue_t *q;
  pthread_t th[S3_POOL_MAX];
  int nth;
  int failed;
  prestige_error_t first_err;
  /* part buffers of a streamed upload, returned by the workers once sent: reused, so a long
   * upload touches fresh memory (page faults, zeroing) only for its first few parts */
  uint8_t *spare[S3_POOL_MAX + 2];
  int n_spare;
} mpu_t;

static int mpu_init(mpu_t *m, prestige_s3_client_t *c, const char *bucket, const char *key, bool if_absent) {
  memset(m, 0, sizeof *m);
  m->c = c;
  m->bucket = strdup(bucket);
  m->key = strdup(key);
  m->if_absent = if_absent;
  pthread_mutex_init(&m->mu, NULL);
  prestige_error_init(&m->first_err);
  return m->bucket && m->key ? 0 : PRESTIGE_ENOMEM;
}

static void mpu_destroy(mpu_t *m) {
  for (int i = 0; i < m->etags_cap; i++) free(m->etags[i]);
  free(m->etags);
  free(m->sums);
  for (int i = 0; i < m->n_spare; i++) free(m->spare[i]);
  free(m->upload_id);
  free(m->bucket);
  free(m->key);
  if (m->q) queue_free(m->q);
  pthread_mutex_destroy(&m->mu);
}

static int mpu_query(const mpu_t *m, int part, buf_t *q) {
  char pn[16];
  snprintf(pn, sizeof pn, "%d", part);
  if (part > 0 && enc_query_value(q, "partNumber", pn, true)) return PRESTIGE_ENOMEM;
  if (enc_query_value(q, "uploadId", m->upload_id, part <= 0)) return PRESTIGE_ENOMEM;
  return buf_append_u8(q, 0);
}

static int mpu_begin(mpu_t *m, prestige_error_t *err) {
  s3_request_t rq;
  s3_request_init(&rq, "CreateMultipartUpload", "POST", m->bucket, m->key);
  rq.query = "uploads=";
  /* announces the parts' checksum: S3 then requires it on every part and in the completion */
  sigv4_header_t h[1] = {{"x-amz-checksum-algorithm", s3_checksum_algorithm(m->c->checksum)}};
  if (h[0].value) {
    rq.headers = h;
    rq.n_headers = 1;
  }
  buf_t body = BUF_INIT;
  rq.out = &body;
  rq.out_max = 1u << 20;
  s3_response_t rs;
  int rc = s3_execute(m->c, &rq, &rs, err);
  if (!rc) {
    xml_doc_t d;
    char u[512];
    rc = xml_parse(&d, (const char *)body.data, body.len, err);
    if (rc) {
      prestige_error_prefix(err, "S3 CreateMultipartUpload %s", s3_url(u, sizeof u, m->bucket, m->key));
    } else {
      int root = xml_child(&d, -1, "InitiateMultipartUploadResult");
      const char *id = root >= 0 ? xml_child_text(&d, root, "UploadId") : NULL;
      if (!id || !*id)
        rc = prestige_error_set(err, PRESTIGE_ECORRUPT, "S3 CreateMultipartUpload %s: response has no UploadId",
                                s3_url(u, sizeof u, m->bucket, m->key));
      else if (!(m->upload_id = strdup(id)))
        rc = oom(err);
      xml_free(&d);
    }
  }
  buf_release(&body);
  return rc;
}

static void mpu_fail(mpu_t *m, int rc, const prestige_error_t *e) {
  pthread_mutex_lock(&m->mu);
  if (!m->failed) {
    m->failed = rc;
    if (e) m->first_err = *e;
    else prestige_error_set(&m->first_err, rc, "multipart upload failed");
  }
  pthread_mutex_unlock(&m->mu);
}

static int mpu_upload_part(mpu_t *m, mpu_job_t *j, prestige_error_t *err) {
  buf_t q = BUF_INIT;
  if (mpu_query(m, j->part, &q)) return oom(err);
  s3_request_t rq;
  s3_request_init(&rq, "UploadPart", "PUT", m->bucket, m->key);
  rq.query = (const char *)q.data;
  rq.has_body = true;
  rq.body = j->data;
  rq.body_len = j->len;
  rq.body_fd = j->data ? -1 : j->fd;
  rq.body_off = j->off;
  rq.checksum = true;
  if (j->digested) {
    rq.payload_sha256 = j->sha[0] ? j->sha : NULL;
    rq.checksum_value = j->sum[0] ? j->sum : NULL;
  }
  s3_response_t rs;
  int rc = s3_execute(m->c, &rq, &rs, err);
  buf_release(&q);
  if (rc) return rc;
  if (!rs.etag[0]) {
    char u[512];
    return prestige_error_set(err, PRESTIGE_ECORRUPT, "S3 UploadPart %s part %d: response has no ETag",
                              s3_url(u, sizeof u, m->bucket, m->key), j->part);
  }
  pthread_mutex_lock(&m->mu);
  free(m->etags[j->part - 1]);
  m->etags[j->part - 1] = strdup(rs.etag);
  memcpy(m->sums[j->part - 1], rs.checksum, sizeof rs.checksum);
  bool ok = m->etags[j->part - 1] != NULL;
  pthread_mutex_unlock(&m->mu);
  return ok ? 0 : oom(err);
}

static void *mpu_worker(void *arg) {
  mpu_t *m = arg;
  void *item;
  while (queue_pop(m->q, &item, -1) == 0) {
    mpu_job_t *j = item;
    pthread_mutex_lock(&m->mu);
    int failed = m->failed;
    pthread_mutex_unlock(&m->mu);
    if (!failed) {
      prestige_error_t e;
      prestige_error_init(&e);
      int rc = mpu_upload_part(m, j, &e);
      if (rc) mpu_fail(m, rc, &e);
    }
    if (j->data) {
      pthread_mutex_lock(&m->mu);
      if (m->n_spare < (int)(sizeof m->spare / sizeof *m->spare)) {
        m->spare[m->n_spare++] = j->data;
        j->data = NULL;
      }
      pthread_mutex_unlock(&m->mu);
    }
    free(j->data);
    free(j);
  }
  return NULL;
}

/* Hands a part to the workers (blocks while they are all busy: memory stays bounded). Takes
 * ownership of data. */
static int mpu_submit(mpu_t *m, uint8_t *data, size_t len, int fd, uint64_t off, bool digest, prestige_error_t *err) {
  pthread_mutex_lock(&m->mu);
  int failed = m->failed;
  pthread_mutex_unlock(&m->mu);
  if (failed) {
    free(data);
    if (err) *err = m->first_err;
    return failed;
  }
  if (m->n_parts == 10000) {
    free(data);
    return prestige_error_set(err, PRESTIGE_EINVAL, "S3 multipart upload of %s: more than 10000 parts (raise part_size)", m->key);
  }
  if (!m->q) {
    m->q = queue_new(1);
    if (!m->q) {
      free(data);
      return oom(err);
    }
    int n = m->c->concurrency;
    for (int i = 0; i < n; i++) {
      if (pthread_create(&m->th[i], NULL, mpu_worker, m) != 0) break;
      m->nth++;
    }
    if (!m->nth) {
      free(data);
      return prestige_error_set(err, PRESTIGE_EINTERNAL, "cannot start upload threads");
    }
  }
  if (m->n_parts == m->etags_cap) {
    int ncap = m->etags_cap ? m->etags_cap * 2 : 16;
    pthread_mutex_lock(&m->mu);
    char **ne = realloc(m->etags, (size_t)ncap * sizeof *ne);
    if (ne) {
      memset(ne + m->etags_cap, 0, (size_t)(ncap - m->etags_cap) * sizeof *ne);
      m->etags = ne;
    }
    char(*ns)[16] = ne ? realloc(m->sums, (size_t)ncap * sizeof *ns) : NULL;
    if (ns) {
      memset(ns + m->etags_cap, 0, (size_t)(ncap - m->etags_cap) * sizeof *ns);
      m->sums = ns;
      m->etags_cap = ncap;
    }
    pthread_mutex_unlock(&m->mu);
    if (!ne || !ns) {
      free(data);
      return oom(err);
    }
  }
  mpu_job_t *j = calloc(1, sizeof *j);
  if (!j) {
    free(data);
    return oom(err);
  }
  j->data = data;
  j->len = len;
  j->fd = fd;
  j->off = off;
  if (digest) {
    int rc = s3_body_digest(m->c, data, len, data ? -1 : fd, off, m->c->sign_payload ? j->sha : NULL, j->sum, err);
    if (rc) {
      free(j->data);
      free(j);
      return rc;
    }
    j->digested = true;
  }
  j->part = ++m->n_parts;
  if (queue_push(m->q, j, -1) != 0) {
    free(j->data);
    free(j);
    return prestige_error_set(err, PRESTIGE_EINTERNAL, "upload queue closed");
  }
  return 0;
}

static void mpu_join(mpu_t *m) {
  if (!m->q) return;
  queue_close(m->q);
  for (int i = 0; i < m->nth; i++) pthread_join(m->th[i], NULL);
  m->nth = 0;
}

static void mpu_abort_remote(mpu_t *m) {
  if (!m->upload_id) return;
  buf_t q = BUF_INIT;
  if (mpu_query(m, 0, &q)) return;
  s3_request_t rq;
  s3_request_init(&rq, "AbortMultipartUpload", "DELETE", m->bucket, m->key);
  rq.query = (const char *)q.data;
  s3_response_t rs;
  prestige_error_t e;
  prestige_error_init(&e);
  if (s3_execute(m->c, &rq, &rs, &e) != 0) LOG_WARN("aborting multipart upload: %s", e.message);
  buf_release(&q);
}

static int mpu_complete(mpu_t *m, prestige_error_t *err) {
  buf_t body = BUF_INIT, q = BUF_INIT, resp = BUF_INIT;
  int rc = 0;
  char u[512];
  s3_url(u, sizeof u, m->bucket, m->key);
  if (buf_append(&body, "<CompleteMultipartUpload>", 25)) goto nomem;
  for (int i = 0; i < m->n_parts; i++) {
    char t[64];
    if (!m->etags[i]) {
      rc = prestige_error_set(err, PRESTIGE_EINTERNAL, "S3 multipart upload %s: part %d has no ETag", u, i + 1);
      goto out;
    }
    snprintf(t, sizeof t, "<Part><PartNumber>%d</PartNumber><ETag>\"", i + 1);
    if (buf_append(&body, t, strlen(t)) || xml_escape(&body, m->etags[i]) || buf_append(&body, "\"</ETag>", 8)) goto nomem;
    const char *el = s3_checksum_element(m->c->checksum);
    if (el && m->sums[i][0]) {
      snprintf(t, sizeof t, "<%s>%s</%s>", el, m->sums[i], el);
      if (buf_append(&body, t, strlen(t))) goto nomem;
    }
    if (buf_append(&body, "</Part>", 7)) goto nomem;
  }
  if (buf_append(&body, "</CompleteMultipartUpload>", 26) || mpu_query(m, 0, &q)) goto nomem;
  for (int attempt = 0;; attempt++) {
    s3_request_t rq;
    s3_request_init(&rq, "CompleteMultipartUpload", "POST", m->bucket, m->key);
    rq.query = (const char *)q.data;
    rq.has_body = true;
    rq.body = body.data;
    rq.body_len = body.len;
    sigv4_header_t h[1] = {{"if-none-match", "*"}};
    if (m->if_absent) {
      rq.headers = h;
      rq.n_headers = 1;
    }
    buf_clear(&resp);
    rq.out = &resp;
    rq.out_max = 1u << 20;
    s3_response_t rs;
    rc = s3_execute(m->c, &rq, &rs, err);
    if (rc == PRESTIGE_EEXISTS || (rc == PRESTIGE_ECONFLICT && m->if_absent)) {
      rc = prestige_error_set(err, PRESTIGE_EEXISTS, "S3 CompleteMultipartUpload %s: the object already exists (conditional create)", u);
      goto out;
    }
    if (rc) goto out;
    /* S3 may answer 200 and still report an error in the body */
    xml_doc_t d;
    if (xml_parse(&d, (const char *)resp.data, resp.len, err)) {
      rc = prestige_error_prefix(err, "S3 CompleteMultipartUpload %s", u);
      goto out;
    }
    int e = xml_child(&d, -1, "Error");
    if (e < 0) {
      xml_free(&d);
      goto out;
    }
    const char *code = xml_child_text(&d, e, "Code");
    const char *msg = xml_child_text(&d, e, "Message");
    bool retry = code && (!strcmp(code, "InternalError") || !strcmp(code, "SlowDown") || !strcmp(code, "ServiceUnavailable"));
    rc = prestige_error_set(err, PRESTIGE_EHTTP, "S3 CompleteMultipartUpload %s: %s: %s", u, code ? code : "error",
                            msg ? msg : "");
    xml_free(&d);
    if (!retry || attempt + 1 >= m->c->retry.max_attempts) goto out;
    if ((rc = http_backoff_wait(&m->c->retry, attempt + 1, NULL, err))) goto out;
  }
nomem:
  rc = oom(err);
out:
  buf_release(&body);
  buf_release(&q);
  buf_release(&resp);
  return rc;
}

/* Waits for the parts, then completes (or aborts on any failure). */
static int mpu_finish(mpu_t *m, prestige_error_t *err) {
  mpu_join(m);
  int rc = m->failed;
  if (rc) {
    if (err) *err = m->first_err;
  } else {
    rc = mpu_complete(m, err);
  }
  if (rc) mpu_abort_remote(m);
  return rc;
}

int s3_put_file(prestige_s3_client_t *c, const char *bucket, const char *key, const char *path, bool if_absent,
                prestige_error_t *err) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return prestige_error_set(err, errno == ENOENT ? PRESTIGE_ENOTFOUND : PRESTIGE_EIO, "opening %s: %s", path, strerror(errno));
  struct stat sb;
  if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
    close(fd);
    return prestige_error_set(err, PRESTIGE_EINVAL, "%s is not a regular file", path);
  }
  uint64_t size = (uint64_t)sb.st_size;
  int rc;
  if (size <= c->part_size) {
    rc = put_common(c, bucket, key, NULL, (size_t)size, fd, if_absent, err);
  } else {
    mpu_t m;
    if (mpu_init(&m, c, bucket, key, if_absent)) {
      close(fd);
      mpu_destroy(&m);
      return oom(err);
    }
    rc = mpu_begin(&m, err);
    for (uint64_t off = 0; !rc && off < size; off += c->part_size) {
      uint64_t len = size - off < c->part_size ? size - off : c->part_size;
      rc = mpu_submit(&m, NULL, (size_t)len, fd, off, true, err);
    }
    if (rc) {
      mpu_join(&m);
      mpu_abort_remote(&m);
    } else {
      rc = mpu_finish(&m, err);
    }
    mpu_destroy(&m);
  }
  close(fd);
  if (rc) prestige_error_prefix(err, "uploading %s", path);
  return rc;
}

/* ---- streaming output ------------------------------------------------------------------------- */

typedef struct s3_out {
  prestige_s3_client_t *c;
  mpu_t m;
  bool started;
  uint8_t *part;
  size_t part_len;
  uint64_t total;
  char *name;
} s3_out_t;

static void s3_out_destroy(s3_out_t *o) {
  free(o->part);
  mpu_destroy(&o->m);
  free(o->name);
  prestige_s3_client_free(o->c);
  free(o);
}

static int s3_out_flush_part(s3_out_t *o, prestige_error_t *err) {
  if (!o->started) {
    PRESTIGE_TRY(mpu_begin(&o->m, err));
    o->started = true;
  }
  uint8_t *data = o->part;
  size_t len = o->part_len;
  o->part = NULL;
  o->part_len = 0;
  return mpu_submit(&o->m, data, len, -1, 0, false, err); /* the workers hash: this thread is the producer's */
}

static int s3_out_write(void *ctx, const void *data, size_t len, prestige_error_t *err) {
  s3_out_t *o = ctx;
  const uint8_t *p = data;
  size_t ps = o->c->part_size;
  while (len) {
    if (!o->part) {
      pthread_mutex_lock(&o->m.mu);
      if (o->m.n_spare) o->part = o->m.spare[--o->m.n_spare];
      pthread_mutex_unlock(&o->m.mu);
      if (!o->part && !(o->part = malloc(ps))) return oom(err);
    }
    size_t take = ps - o->part_len < len ? ps - o->part_len : len;
    memcpy(o->part + o->part_len, p, take);
    o->part_len += take;
    o->total += take;
    p += take;
    len -= take;
    if (o->part_len == ps) PRESTIGE_TRY(s3_out_flush_part(o, err));
  }
  return 0;
}

static int s3_out_close(void *ctx, prestige_error_t *err) {
  s3_out_t *o = ctx;
  int rc;
  if (!o->started) {
    rc = s3_put_object(o->c, o->m.bucket, o->m.key, o->part ? o->part : (const uint8_t *)"", o->part_len, o->m.if_absent, err);
  } else {
    rc = o->part_len ? s3_out_flush_part(o, err) : 0;
    if (rc) {
      mpu_join(&o->m);
      mpu_abort_remote(&o->m);
    } else {
      rc = mpu_finish(&o->m, err);
    }
  }
  s3_out_destroy(o);
  return rc;
}

static void s3_out_abort(void *ctx) {
  s3_out_t *o = ctx;
  if (o->started) {
    mpu_fail(&o->m, PRESTIGE_ECANCELED, NULL);
    mpu_join(&o->m);
    mpu_abort_remote(&o->m);
  }
  s3_out_destroy(o);
}

static uint64_t s3_out_tell(void *ctx) { return ((s3_out_t *)ctx)->total; }

int s3_open_output(prestige_s3_client_t *c, const char *bucket, const char *key, bool if_absent,
                   prestige_output_t *out, prestige_error_t *err) {
  s3_out_t *o = calloc(1, sizeof *o);
  if (!o) return oom(err);
  o->c = prestige_s3_client_ref(c);
  char u[1200];
  o->name = strdup(s3_url(u, sizeof u, bucket, key));
  if (mpu_init(&o->m, c, bucket, key, if_absent) || !o->name) {
    s3_out_destroy(o);
    return oom(err);
  }
  memset(out, 0, sizeof *out);
  out->ctx = o;
  out->write = s3_out_write;
  out->close = s3_out_close;
  out->abort = s3_out_abort;
  out->tell = s3_out_tell;
  out->name = o->name;
  return 0;
}

/* ---- reads -------------------------------------------------------------------------------------- */

int s3_get_object(prestige_s3_client_t *c, const char *bucket, const char *key, uint8_t **data, size_t *len,
                  prestige_error_t *err) {
  *data = NULL;
  *len = 0;
  s3_request_t rq;
  s3_request_init(&rq, "GetObject", "GET", bucket, key);
  buf_t b = BUF_INIT;
  rq.out = &b;
  rq.out_max = SIZE_MAX / 2;
  s3_response_t rs;
  int rc = s3_execute(c, &rq, &rs, err);
  if (rc) {
    buf_release(&b);
    return rc;
  }
  uint64_t expect = rs.status == 206 ? rs.total_size : rs.content_length;
  if ((rs.status == 206 || rs.has_content_length) && expect != b.len) {
    size_t got = b.len;
    buf_release(&b);
    char u[512];
    return prestige_error_set(err, PRESTIGE_ECORRUPT, "S3 GetObject %s: got %zu bytes, the object has %llu",
                              s3_url(u, sizeof u, bucket, key), got, (unsigned long long)expect);
  }
  if (!b.data) b.data = malloc(1);
  if (!b.data) return oom(err);
  *len = b.len;
  *data = b.data;
  return 0;
}

int s3_get_range(prestige_s3_client_t *c, const char *bucket, const char *key, uint64_t off, size_t len, void *dst,
                 const char *if_match, prestige_error_t *err) {
  if (len == 0) return 0;
  s3_request_t rq;
  s3_request_init(&rq, "GetObject", "GET", bucket, key);
  rq.dst = dst;
  rq.dst_len = len;
  rq.has_range = true;
  rq.range_off = off;
  rq.range_len = len;
  rq.if_match = if_match;
  s3_response_t rs;
  return s3_execute(c, &rq, &rs, err);
}

int s3_head_object(prestige_s3_client_t *c, const char *bucket, const char *key, prestige_object_meta_t *meta,
                   prestige_error_t *err) {
  memset(meta, 0, sizeof *meta);
  s3_request_t rq;
  s3_request_init(&rq, "HeadObject", "HEAD", bucket, key);
  s3_response_t rs;
  PRESTIGE_TRY(s3_execute(c, &rq, &rs, err));
  meta->key = strdup(key);
  meta->etag = strdup(rs.etag);
  meta->size = rs.content_length;
  meta->last_modified_ms = rs.last_modified_ms;
  if (!meta->key || !meta->etag) {
    prestige_object_meta_clear(meta);
    return oom(err);
  }
  return 0;
}

typedef struct pget {
  prestige_s3_client_t *c;
  const char *bucket, *key, *etag;
  int fd;
  uint64_t size, chunk;
  pthread_mutex_t mu;
  uint64_t next;
  int rc;
  int running;
  prestige_error_t err;
  _Atomic uint64_t progress;
} pget_t;

static void *pget_worker(void *arg) {
  pget_t *g = arg;
  for (;;) {
    pthread_mutex_lock(&g->mu);
    uint64_t off = g->next;
    bool stop = g->rc || off >= g->size;
    if (!stop) g->next += g->chunk;
    pthread_mutex_unlock(&g->mu);
    if (stop) break;
    uint64_t len = g->size - off < g->chunk ? g->size - off : g->chunk;
    s3_request_t rq;
    s3_request_init(&rq, "GetObject", "GET", g->bucket, g->key);
    rq.out_fd = g->fd;
    rq.out_off = off;
    /* the whole object in one request needs no Range (servers answer plain GETs fastest) */
    rq.has_range = !(off == 0 && len == g->size);
    rq.range_off = off;
    rq.range_len = len;
    rq.if_match = g->etag[0] ? g->etag : NULL;
    rq.progress = &g->progress;
    s3_response_t rs;
    prestige_error_t e;
    prestige_error_init(&e);
    int rc = s3_execute(g->c, &rq, &rs, &e);
    pthread_mutex_lock(&g->mu);
    if (rc && !g->rc) {
      g->rc = rc;
      g->err = e;
    }
    pthread_mutex_unlock(&g->mu);
  }
  pthread_mutex_lock(&g->mu);
  g->running--;
  pthread_mutex_unlock(&g->mu);
  return NULL;
}

int s3_get_file(prestige_s3_client_t *c, const char *bucket, const char *key, const char *path,
                prestige_progress_fn progress, void *user_data, prestige_error_t *err) {
  prestige_object_meta_t meta;
  PRESTIGE_TRY(s3_head_object(c, bucket, key, &meta, err));
  size_t pl = strlen(path);
  char *tmp = malloc(pl + 32);
  if (!tmp) {
    prestige_object_meta_clear(&meta);
    return oom(err);
  }
  snprintf(tmp, pl + 32, "%s.prestige-tmp-XXXXXX", path);
  int fd = mkstemp(tmp);
  int rc = 0;
  if (fd < 0) {
    rc = prestige_error_set(err, errno == ENOSPC ? PRESTIGE_ENOSPC : PRESTIGE_EIO, "creating %s: %s", tmp, strerror(errno));
    goto out;
  }
  fchmod(fd, 0644);
  pget_t g;
  memset(&g, 0, sizeof g);
  g.c = c;
  g.bucket = bucket;
  g.key = key;
  g.etag = meta.etag;
  g.fd = fd;
  g.size = meta.size;
  /* one range per worker (at least a part each): few requests, each streamed into place */
  int workers = meta.size > 2 * (uint64_t)c->part_size ? c->concurrency : 1;
  uint64_t per = (meta.size + (uint64_t)workers - 1) / (uint64_t)workers;
  g.chunk = per > c->part_size ? per : c->part_size;
  if (g.chunk == 0) g.chunk = 1;
  pthread_mutex_init(&g.mu, NULL);
  pthread_t th[S3_POOL_MAX];
  int n = 0;
  for (int i = 0; i < workers && meta.size > 0; i++) {
    pthread_mutex_lock(&g.mu);
    g.running++;
    pthread_mutex_unlock(&g.mu);
    if (pthread_create(&th[n], NULL, pget_worker, &g) == 0) {
      n++;
    } else {
      pthread_mutex_lock(&g.mu);
      g.running--;
      pthread_mutex_unlock(&g.mu);
    }
  }
  if (n == 0 && meta.size > 0) {
    g.running = 1;
    pget_worker(&g);
  }
  if (progress) {
    for (;;) {
      pthread_mutex_lock(&g.mu);
      int running = g.running;
      pthread_mutex_unlock(&g.mu);
      progress(user_data, atomic_load(&g.progress), meta.size);
      if (!running) break;
      usleep(100000);
    }
  }
  for (int i = 0; i < n; i++) pthread_join(th[i], NULL);
  pthread_mutex_destroy(&g.mu);
  rc = g.rc;
  if (rc && err) *err = g.err;
  if (!rc && fsync(fd) != 0) rc = prestige_error_set(err, errno == ENOSPC ? PRESTIGE_ENOSPC : PRESTIGE_EIO, "fsync %s: %s", tmp, strerror(errno));
  if (close(fd) != 0 && !rc) rc = prestige_error_set(err, PRESTIGE_EIO, "closing %s: %s", tmp, strerror(errno));
  if (!rc && rename(tmp, path) != 0) rc = prestige_error_set(err, PRESTIGE_EIO, "renaming %s to %s: %s", tmp, path, strerror(errno));
  if (rc) unlink(tmp);
out:
  free(tmp);
  prestige_object_meta_clear(&meta);
  return rc;
}

/* ---- delete ------------------------------------------------------------------------------------- */

int s3_delete_object(prestige_s3_client_t *c, const char *bucket, const char *key, prestige_error_t *err) {
  s3_request_t rq;
  s3_request_init(&rq, "DeleteObject", "DELETE", bucket, key);
  s3_response_t rs;
  int rc = s3_execute(c, &rq, &rs, err);
  if (rc == PRESTIGE_ENOTFOUND && strcmp(rs.code, "NoSuchBucket") != 0) rc = 0;
  return rc;
}

static void md5_base64(const void *data, size_t len, char out[32]) {
  unsigned char md[16];
  unsigned int ml = 0;
  EVP_Digest(data, len, md, &ml, EVP_md5(), NULL);
  EVP_EncodeBlock((unsigned char *)out, md, 16);
}

int s3_delete_objects(prestige_s3_client_t *c, const char *bucket, const char *const *keys, size_t n,
                      prestige_error_t *err) {
  int rc = 0;
  for (size_t base = 0; base < n && !rc; base += 1000) {
    size_t cnt = n - base < 1000 ? n - base : 1000;
    buf_t body = BUF_INIT, resp = BUF_INIT;
    if (buf_append(&body, "<Delete><Quiet>true</Quiet>", 27)) rc = oom(err);
    for (size_t i = 0; i < cnt && !rc; i++)
      if (buf_append(&body, "<Object><Key>", 13) || xml_escape(&body, keys[base + i]) || buf_append(&body, "</Key></Object>", 15))
        rc = oom(err);
    if (!rc && buf_append(&body, "</Delete>", 9)) rc = oom(err);
    if (!rc) {
      char md5[32];
      md5_base64(body.data, body.len, md5);
      sigv4_header_t h[2] = {{"content-md5", md5}, {"content-type", "application/xml"}};
      s3_request_t rq;
      s3_request_init(&rq, "DeleteObjects", "POST", bucket, NULL);
      rq.query = "delete=";
      rq.headers = h;
      rq.n_headers = 2;
      rq.has_body = true;
      rq.body = body.data;
      rq.body_len = body.len;
      rq.out = &resp;
      rq.out_max = 8u << 20;
      s3_response_t rs;
      rc = s3_execute(c, &rq, &rs, err);
      if (!rc) {
        xml_doc_t d;
        rc = xml_parse(&d, (const char *)resp.data, resp.len, err);
        if (rc) {
          prestige_error_prefix(err, "S3 DeleteObjects s3://%s", bucket);
        } else {
          int root = xml_child(&d, -1, "DeleteResult");
          int e = root >= 0 ? xml_child(&d, root, "Error") : -1;
          if (root < 0) {
            rc = prestige_error_set(err, PRESTIGE_ECORRUPT, "S3 DeleteObjects s3://%s: unexpected response <%s>", bucket,
                                    d.n ? d.nodes[0].name : "");
          } else if (e >= 0) {
            const char *k = xml_child_text(&d, e, "Key");
            const char *code = xml_child_text(&d, e, "Code");
            const char *msg = xml_child_text(&d, e, "Message");
            rc = prestige_error_set(err, code && !strcmp(code, "AccessDenied") ? PRESTIGE_EAUTH : PRESTIGE_EHTTP,
                                    "S3 DeleteObjects s3://%s/%s: %s: %s", bucket, k ? k : "?", code ? code : "error",
                                    msg ? msg : "");
          }
          xml_free(&d);
        }
      }
    }
    buf_release(&body);
    buf_release(&resp);
  }
  return rc;
}

/* ---- list ----------------------------------------------------------------------------------------- */

int s3_list_page(prestige_s3_client_t *c, const char *bucket, const char *prefix, const char *start_after,
                 const char *token, prestige_object_meta_t **items, size_t *n, char **next_token,
                 prestige_error_t *err) {
  *items = NULL;
  *n = 0;
  *next_token = NULL;
  buf_t q = BUF_INIT, resp = BUF_INIT;
  int rc = 0;
  if (enc_query_value(&q, "list-type", "2", true)) goto nomem;
  if (token && enc_query_value(&q, "continuation-token", token, false)) goto nomem;
  if (prefix && *prefix && enc_query_value(&q, "prefix", prefix, false)) goto nomem;
  if (start_after && *start_after && enc_query_value(&q, "start-after", start_after, false)) goto nomem;
  if (buf_append_u8(&q, 0)) goto nomem;
  s3_request_t rq;
  s3_request_init(&rq, "ListObjectsV2", "GET", bucket, NULL);
  rq.query = (const char *)q.data;
  rq.out = &resp;
  rq.out_max = 64u << 20;
  s3_response_t rs;
  if ((rc = s3_execute(c, &rq, &rs, err))) goto out;
  xml_doc_t d;
  if ((rc = xml_parse(&d, (const char *)resp.data, resp.len, err))) {
    prestige_error_prefix(err, "S3 ListObjectsV2 s3://%s/%s", bucket, prefix ? prefix : "");
    goto out;
  }
  int root = xml_child(&d, -1, "ListBucketResult");
  if (root < 0) {
    rc = prestige_error_set(err, PRESTIGE_ECORRUPT, "S3 ListObjectsV2 s3://%s: unexpected response <%s>", bucket, d.n ? d.nodes[0].name : "");
    xml_free(&d);
    goto out;
  }
  size_t cnt = 0;
  for (int e = xml_child(&d, root, "Contents"); e >= 0; e = xml_next(&d, e)) cnt++;
  prestige_object_meta_t *arr = calloc(cnt ? cnt : 1, sizeof *arr);
  if (!arr) {
    xml_free(&d);
    goto nomem;
  }
  size_t k = 0;
  for (int e = xml_child(&d, root, "Contents"); e >= 0 && !rc; e = xml_next(&d, e)) {
    const char *key = xml_child_text(&d, e, "Key");
    const char *size = xml_child_text(&d, e, "Size");
    const char *lm = xml_child_text(&d, e, "LastModified");
    const char *etag = xml_child_text(&d, e, "ETag");
    char *end = NULL;
    unsigned long long sz = size ? strtoull(size, &end, 10) : 0;
    if (!key || !*key || !size || end == size || *end) {
      rc = prestige_error_set(err, PRESTIGE_ECORRUPT, "S3 ListObjectsV2 s3://%s: an entry lacks a valid Key or Size", bucket);
      break;
    }
    arr[k].key = strdup(key);
    arr[k].size = sz;
    arr[k].last_modified_ms = s3_parse_time_ms(lm);
    const char *et = etag ? etag : "";
    size_t el = strlen(et);
    if (el >= 2 && et[0] == '"' && et[el - 1] == '"') arr[k].etag = strndup(et + 1, el - 2);
    else arr[k].etag = strdup(et);
    if (!arr[k].key || !arr[k].etag) rc = oom(err);
    k++;
  }
  const char *trunc = xml_child_text(&d, root, "IsTruncated");
  const char *next = xml_child_text(&d, root, "NextContinuationToken");
  if (!rc && trunc && !strcmp(trunc, "true")) {
    if (!next || !*next)
      rc = prestige_error_set(err, PRESTIGE_ECORRUPT, "S3 ListObjectsV2 s3://%s: truncated listing without a continuation token", bucket);
    else if (!(*next_token = strdup(next)))
      rc = oom(err);
  }
  xml_free(&d);
  if (rc) {
    for (size_t i = 0; i < k; i++) prestige_object_meta_clear(&arr[i]);
    free(arr);
    free(*next_token);
    *next_token = NULL;
    goto out;
  }
  *items = arr;
  *n = k;
  goto out;
nomem:
  rc = oom(err);
out:
  buf_release(&q);
  buf_release(&resp);
  return rc;
}
