/*
 * The S3 implementation of the object store: keys under the store's root prefix, and a random
 * access input that reads explicit byte ranges (never suffix ranges) and coalesces the ranges a
 * reader announces with will_need into few requests.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/s3_internal.h"
#include "store/store_internal.h"

typedef struct s3_store {
  prestige_store_t base;
  prestige_s3_client_t *s3;
  char *bucket;
  char *root; /* key prefix: "" or ending in '/' */
} s3_store_t;

#define S(st) ((const s3_store_t *)(st))

static const store_ops_t store_s3_ops;

static int oom(prestige_error_t *err) { return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory"); }

/* Full key = root + key, in a caller buffer or malloc'd when long. */
static char *full_key(const prestige_store_t *st, const char *key) {
  size_t rl = strlen(S(st)->root), kl = strlen(key);
  char *f = malloc(rl + kl + 1);
  if (!f) return NULL;
  memcpy(f, S(st)->root, rl);
  memcpy(f + rl, key, kl + 1);
  return f;
}

#define WITH_KEY(st, key, fk, err)     \
  char *fk = full_key(st, key);        \
  if (!fk) return oom(err)

static int s3s_put(prestige_store_t *st, const char *key, const void *data, size_t len, bool if_absent,
                   prestige_error_t *err) {
  WITH_KEY(st, key, fk, err);
  int rc = s3_put_object(S(st)->s3, S(st)->bucket, fk, data, len, if_absent, err);
  free(fk);
  return rc;
}
static int s3s_put_file(prestige_store_t *st, const char *key, const char *path, prestige_error_t *err) {
  WITH_KEY(st, key, fk, err);
  int rc = s3_put_file(S(st)->s3, S(st)->bucket, fk, path, false, NULL, err);
  free(fk);
  return rc;
}
static int s3s_put_file_ctl(prestige_store_t *st, const char *key, const char *path, prestige_progress_fn progress,
                            prestige_stop_fn stop, void *user_data, prestige_error_t *err) {
  WITH_KEY(st, key, fk, err);
  s3_xfer_ctl_t ctl = {progress, stop, user_data};
  int rc = s3_put_file(S(st)->s3, S(st)->bucket, fk, path, false, &ctl, err);
  free(fk);
  return rc;
}
static int s3s_open_output(prestige_store_t *st, const char *key, prestige_output_t *out, prestige_error_t *err) {
  WITH_KEY(st, key, fk, err);
  int rc = s3_open_output(S(st)->s3, S(st)->bucket, fk, false, out, err);
  free(fk);
  return rc;
}
static int s3s_get(prestige_store_t *st, const char *key, uint8_t **data, size_t *len, prestige_error_t *err) {
  WITH_KEY(st, key, fk, err);
  int rc = s3_get_object(S(st)->s3, S(st)->bucket, fk, data, len, err);
  free(fk);
  return rc;
}
static int s3s_get_range(prestige_store_t *st, const char *key, uint64_t off, size_t len, void *dst,
                         prestige_error_t *err) {
  WITH_KEY(st, key, fk, err);
  int rc = s3_get_range(S(st)->s3, S(st)->bucket, fk, off, len, dst, NULL, err);
  free(fk);
  return rc;
}
static int s3s_get_file(prestige_store_t *st, const char *key, const char *path, prestige_progress_fn progress,
                        void *user_data, prestige_error_t *err) {
  WITH_KEY(st, key, fk, err);
  int rc = s3_get_file(S(st)->s3, S(st)->bucket, fk, path, progress, user_data, err);
  free(fk);
  return rc;
}
static int s3s_head(prestige_store_t *st, const char *key, prestige_object_meta_t *meta, prestige_error_t *err) {
  WITH_KEY(st, key, fk, err);
  int rc = s3_head_object(S(st)->s3, S(st)->bucket, fk, meta, err);
  free(fk);
  if (!rc) {
    free(meta->key);
    meta->key = strdup(key);
    if (!meta->key) {
      prestige_object_meta_clear(meta);
      return oom(err);
    }
  }
  return rc;
}
static int s3s_del(prestige_store_t *st, const char *key, prestige_error_t *err) {
  WITH_KEY(st, key, fk, err);
  int rc = s3_delete_object(S(st)->s3, S(st)->bucket, fk, err);
  free(fk);
  return rc;
}
static int s3s_del_many(prestige_store_t *st, const char *const *keys, size_t n, prestige_error_t *err) {
  char **fks = calloc(n, sizeof *fks);
  if (!fks) return oom(err);
  int rc = 0;
  for (size_t i = 0; i < n && !rc; i++)
    if (!(fks[i] = full_key(st, keys[i]))) rc = oom(err);
  if (!rc) rc = s3_delete_objects(S(st)->s3, S(st)->bucket, (const char *const *)fks, n, err);
  for (size_t i = 0; i < n; i++) free(fks[i]);
  free(fks);
  return rc;
}

static int s3s_list_page(prestige_store_t *st, const char *prefix, const char *start_after, char **token,
                         prestige_object_meta_t **items, size_t *n, prestige_error_t *err) {
  char *fp = full_key(st, prefix ? prefix : "");
  char *fsa = start_after ? full_key(st, start_after) : NULL;
  if (!fp || (start_after && !fsa)) {
    free(fp);
    free(fsa);
    return oom(err);
  }
  char *next = NULL;
  int rc = s3_list_page(S(st)->s3, S(st)->bucket, fp, fsa, *token, items, n, &next, err);
  free(fp);
  free(fsa);
  if (rc) return rc;
  free(*token);
  *token = next;
  size_t rl = strlen(S(st)->root);
  for (size_t i = 0; i < *n; i++) {
    prestige_object_meta_t *m = &(*items)[i];
    if (strncmp(m->key, S(st)->root, rl) != 0) continue; /* cannot happen with a correct server */
    memmove(m->key, m->key + rl, strlen(m->key) - rl + 1);
  }
  return 0;
}

/* ---- input -------------------------------------------------------------------------------------- */

typedef struct s3_range_cache {
  uint64_t off;
  size_t len;
  uint8_t *data;
} s3_range_cache_t;

typedef struct s3_in {
  prestige_s3_client_t *c;
  char *bucket, *key, *name;
  uint64_t size;
  bool have_size;
  char etag[160];
  pthread_mutex_t mu;
  s3_range_cache_t *cache;
  size_t n_cache;
  /* The object's last bytes as the footer read fetched them (a Parquet reader's tail read of
   * footer_prefetch bytes): kept, so that ranges it already holds are not fetched again (a
   * small object is then one GET). */
  s3_range_cache_t tail;
} s3_in_t;

/* Tail reads up to this size are kept for the input's lifetime. */
#define S3_IN_TAIL_KEEP ((size_t)1 << 20)

static void s3_in_drop_cache(s3_in_t *in) {
  for (size_t i = 0; i < in->n_cache; i++) free(in->cache[i].data);
  free(in->cache);
  in->cache = NULL;
  in->n_cache = 0;
}

static int s3_in_read_at(void *ctx, uint64_t off, void *dst, size_t len, prestige_error_t *err) {
  s3_in_t *in = ctx;
  if (len == 0) return 0;
  if (in->have_size && (off > in->size || len > in->size - off))
    return prestige_error_set(err, PRESTIGE_ECORRUPT, "%s: read of %zu bytes at offset %llu is past the end (%llu bytes)",
                              in->name, len, (unsigned long long)off, (unsigned long long)in->size);
  pthread_mutex_lock(&in->mu);
  for (size_t i = 0; i <= in->n_cache; i++) {
    s3_range_cache_t *r = i < in->n_cache ? &in->cache[i] : &in->tail;
    if (r->data && off >= r->off && off + len <= r->off + r->len) {
      memcpy(dst, r->data + (off - r->off), len);
      pthread_mutex_unlock(&in->mu);
      return 0;
    }
  }
  bool keep = in->have_size && off + len == in->size && len <= S3_IN_TAIL_KEEP && !in->tail.data;
  pthread_mutex_unlock(&in->mu);
  PRESTIGE_TRY(s3_get_range(in->c, in->bucket, in->key, off, len, dst, in->etag[0] ? in->etag : NULL, err));
  uint8_t *copy = keep ? malloc(len) : NULL; /* no copy kept without memory: only a later GET lost */
  if (copy) {
    memcpy(copy, dst, len);
    pthread_mutex_lock(&in->mu);
    if (!in->tail.data) {
      in->tail = (s3_range_cache_t){off, len, copy};
      copy = NULL;
    }
    pthread_mutex_unlock(&in->mu);
    free(copy);
  }
  return 0;
}

static int s3_in_size(void *ctx, uint64_t *size, prestige_error_t *err) {
  s3_in_t *in = ctx;
  if (!in->have_size) {
    prestige_object_meta_t m;
    PRESTIGE_TRY(s3_head_object(in->c, in->bucket, in->key, &m, err));
    in->size = m.size;
    snprintf(in->etag, sizeof in->etag, "%s", m.etag);
    in->have_size = true;
    prestige_object_meta_clear(&m);
  }
  *size = in->size;
  return 0;
}

typedef struct range_ix {
  uint64_t off, len;
} range_ix_t;

static int range_cmp(const void *a, const void *b) {
  const range_ix_t *x = a, *y = b;
  return x->off < y->off ? -1 : x->off > y->off;
}

/* Coalesces ranges separated by small holes (as Arrow C++ does: holes up to 1 MiB, merged
 * requests up to 64 MiB) and fetches each merged range with one GET. */
static int s3_in_will_need(void *ctx, const uint64_t *offsets, const uint64_t *lengths, size_t n, prestige_error_t *err) {
  s3_in_t *in = ctx;
  if (n == 0) return 0;
  range_ix_t *r = malloc(n * sizeof *r);
  if (!r) return oom(err);
  size_t kept = 0;
  pthread_mutex_lock(&in->mu);
  for (size_t i = 0; i < n; i++) {
    const s3_range_cache_t *t = &in->tail;
    if (t->data && offsets[i] >= t->off && lengths[i] <= t->len && offsets[i] - t->off <= t->len - lengths[i])
      continue; /* the footer read already holds it */
    r[kept++] = (range_ix_t){offsets[i], lengths[i]};
  }
  pthread_mutex_unlock(&in->mu);
  n = kept;
  qsort(r, n, sizeof *r, range_cmp);
  const uint64_t hole = 1u << 20, max_req = 64u << 20;
  range_ix_t *merged = malloc((n ? n : 1) * sizeof *merged);
  if (!merged) {
    free(r);
    return oom(err);
  }
  size_t m = 0;
  for (size_t i = 0; i < n; i++) {
    if (!r[i].len) continue;
    if (m && r[i].off <= merged[m - 1].off + merged[m - 1].len + hole &&
        r[i].off + r[i].len - merged[m - 1].off <= max_req) {
      uint64_t end = r[i].off + r[i].len;
      if (end > merged[m - 1].off + merged[m - 1].len) merged[m - 1].len = end - merged[m - 1].off;
    } else {
      merged[m++] = r[i];
    }
  }
  free(r);
  s3_range_cache_t *cache = calloc(m ? m : 1, sizeof *cache);
  int rc = cache ? 0 : oom(err);
  size_t got = 0;
  for (size_t i = 0; i < m && !rc; i++) {
    if (in->have_size && (merged[i].off > in->size || merged[i].len > in->size - merged[i].off)) {
      rc = prestige_error_set(err, PRESTIGE_ECORRUPT, "%s: range at offset %llu is past the end", in->name,
                              (unsigned long long)merged[i].off);
      break;
    }
    uint8_t *d = malloc(merged[i].len);
    if (!d) {
      rc = oom(err);
      break;
    }
    rc = s3_get_range(in->c, in->bucket, in->key, merged[i].off, (size_t)merged[i].len, d, in->etag[0] ? in->etag : NULL, err);
    if (rc) {
      free(d);
      break;
    }
    cache[got++] = (s3_range_cache_t){merged[i].off, (size_t)merged[i].len, d};
  }
  free(merged);
  if (rc) {
    for (size_t i = 0; i < got; i++) free(cache[i].data);
    free(cache);
    return rc;
  }
  pthread_mutex_lock(&in->mu);
  s3_in_drop_cache(in);
  in->cache = cache;
  in->n_cache = got;
  pthread_mutex_unlock(&in->mu);
  return 0;
}

static void s3_in_close(void *ctx) {
  s3_in_t *in = ctx;
  s3_in_drop_cache(in);
  free(in->tail.data);
  pthread_mutex_destroy(&in->mu);
  prestige_s3_client_free(in->c);
  free(in->bucket);
  free(in->key);
  free(in->name);
  free(in);
}

static int s3s_open_input(prestige_store_t *st, const char *key, uint64_t known_size, prestige_input_t *out,
                          prestige_error_t *err) {
  s3_in_t *in = calloc(1, sizeof *in);
  if (!in) return oom(err);
  pthread_mutex_init(&in->mu, NULL);
  in->c = prestige_s3_client_ref(S(st)->s3);
  in->bucket = strdup(S(st)->bucket);
  in->key = full_key(st, key);
  size_t nl = strlen(S(st)->bucket) + (in->key ? strlen(in->key) : 0) + 8;
  in->name = malloc(nl);
  if (!in->bucket || !in->key || !in->name) {
    s3_in_close(in);
    return oom(err);
  }
  snprintf(in->name, nl, "s3://%s/%s", S(st)->bucket, in->key);
  if (known_size > 0) {
    in->size = known_size;
    in->have_size = true;
  } else {
    uint64_t sz;
    int rc = s3_in_size(in, &sz, err);
    if (rc) {
      s3_in_close(in);
      return rc;
    }
  }
  memset(out, 0, sizeof *out);
  out->ctx = in;
  out->read_at = s3_in_read_at;
  out->size = s3_in_size;
  out->will_need = s3_in_will_need;
  out->close = s3_in_close;
  out->name = in->name;
  return 0;
}

static void s3s_destroy(prestige_store_t *st) {
  s3_store_t *ss = (s3_store_t *)st;
  prestige_s3_client_free(ss->s3);
  free(ss->bucket);
  free(ss->root);
  free(st->url);
  free(ss);
}

int store_s3_open(prestige_store_t **out, prestige_s3_client_t *client, const char *bucket, const char *prefix,
                  prestige_error_t *err) {
  *out = NULL;
  s3_store_t *ss = calloc(1, sizeof *ss);
  if (!ss) return oom(err);
  ss->base.ops = &store_s3_ops;
  int rc = 0;
  if (client) {
    ss->s3 = prestige_s3_client_ref(client);
  } else if ((rc = prestige_s3_client_new(&ss->s3, NULL, err))) {
    s3s_destroy(&ss->base);
    return rc;
  }
  const char *pf = prefix ? prefix : "";
  while (*pf == '/') pf++;
  size_t pl = strlen(pf), bl = strlen(bucket);
  ss->bucket = strdup(bucket);
  ss->root = malloc(pl + 2);
  if (ss->root) {
    memcpy(ss->root, pf, pl);
    if (pl && pf[pl - 1] != '/') ss->root[pl++] = '/';
    ss->root[pl] = 0;
  }
  size_t ul = bl + pl + 8;
  ss->base.url = malloc(ul);
  if (!ss->bucket || !ss->root || !ss->base.url) {
    s3s_destroy(&ss->base);
    return oom(err);
  }
  snprintf(ss->base.url, ul, "s3://%s/%s", bucket, ss->root);
  ss->base.bucket = ss->bucket;
  ss->base.key_root_len = strlen(ss->root);
  *out = &ss->base;
  return 0;
}

static const store_ops_t store_s3_ops = {
    .put = s3s_put,
    .put_file = s3s_put_file,
    .put_file_ctl = s3s_put_file_ctl,
    .open_output = s3s_open_output,
    .get = s3s_get,
    .get_range = s3s_get_range,
    .get_file = s3s_get_file,
    .open_input = s3s_open_input,
    .head = s3s_head,
    .del = s3s_del,
    .del_many = s3s_del_many,
    .list_page = s3s_list_page,
    .destroy = s3s_destroy,
};
