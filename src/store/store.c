/*
 * The object store front end: URL parsing, key validation, dispatch to the local or S3
 * implementation, the listing iterator and list_files over timestamped names.
 */
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/tsname.h"
#include "store/store_internal.h"

void prestige_object_meta_clear(prestige_object_meta_t *m) {
  if (!m) return;
  free(m->key);
  free(m->etag);
  m->key = NULL;
  m->etag = NULL;
}

static int oom(prestige_error_t *err) { return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory"); }

/* UTF-8 validity (no overlongs, no surrogates). */
static bool utf8_valid(const unsigned char *s, size_t n) {
  size_t i = 0;
  while (i < n) {
    unsigned char c = s[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    int len = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
    if (!len || i + (size_t)len > n) return false;
    uint32_t cp = c & (0x7F >> len);
    for (int k = 1; k < len; k++) {
      if ((s[i + k] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (s[i + k] & 0x3F);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF))
      return false;
    i += (size_t)len;
  }
  return true;
}

static int validate_key(bool local, size_t root_len, const char *key, prestige_error_t *err) {
  if (!key || !*key) return prestige_error_set(err, PRESTIGE_EINVAL, "invalid key: empty");
  size_t n = strlen(key);
  if (n + root_len > 1024)
    return prestige_error_set(err, PRESTIGE_EINVAL, "invalid key \"%.64s...\": longer than S3's 1024 bytes", key);
  if (!utf8_valid((const unsigned char *)key, n)) return prestige_error_set(err, PRESTIGE_EINVAL, "invalid key: not UTF-8");
  for (size_t i = 0; i < n; i++)
    if ((unsigned char)key[i] < 0x20 || key[i] == 0x7F)
      return prestige_error_set(err, PRESTIGE_EINVAL, "invalid key \"%s\": control character at byte %zu", key, i);
  if (!local) return 0;
  if (key[0] == '/') return prestige_error_set(err, PRESTIGE_EINVAL, "invalid key \"%s\": starts with '/'", key);
  const char *p = key;
  for (;;) {
    const char *e = strchr(p, '/');
    size_t sl = e ? (size_t)(e - p) : strlen(p);
    if (sl == 0) return prestige_error_set(err, PRESTIGE_EINVAL, "invalid key \"%s\": empty path segment", key);
    if ((sl == 1 && p[0] == '.') || (sl == 2 && p[0] == '.' && p[1] == '.'))
      return prestige_error_set(err, PRESTIGE_EINVAL, "invalid key \"%s\": \"%.*s\" path segment", key, (int)sl, p);
    if (p == key && sl == 13 && !strncmp(p, ".prestige-tmp", 13))
      return prestige_error_set(err, PRESTIGE_EINVAL, "invalid key \"%s\": .prestige-tmp is reserved", key);
    if (!e) break;
    p = e + 1;
  }
  return 0;
}

int prestige_store_validate_key(const prestige_store_t *st, const char *key, prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  return validate_key(st->local_dir != NULL, st->key_root_len, key, err);
}

/* ---- opening ------------------------------------------------------------------------------------ */

int prestige_store_open_local(prestige_store_t **out, const char *dir, prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  return store_local_open(out, dir, err);
}

int prestige_store_open_s3(prestige_store_t **out, prestige_s3_client_t *client, const char *bucket, const char *prefix,
                           prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  *out = NULL;
  if (!bucket || !*bucket) return prestige_error_set(err, PRESTIGE_EINVAL, "S3 store needs a bucket name");
  size_t bl = strlen(bucket);
  if (bl < 3 || bl > 63 || strchr(bucket, '/'))
    return prestige_error_set(err, PRESTIGE_EINVAL, "invalid S3 bucket name \"%s\"", bucket);
  return store_s3_open(out, client, bucket, prefix, err);
}

int prestige_s3_url_split(const char *url, char *bucket, size_t cap, const char **rest, prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  if (!url || strncmp(url, "s3://", 5)) return prestige_error_set(err, PRESTIGE_EINVAL, "\"%s\" is not an s3:// URL", url ? url : "");
  const char *b = url + 5, *sl = strchr(b, '/');
  size_t bl = sl ? (size_t)(sl - b) : strlen(b);
  if (bl == 0 || bl >= cap) return prestige_error_set(err, PRESTIGE_EINVAL, "invalid S3 URL \"%s\": bad bucket", url);
  memcpy(bucket, b, bl);
  bucket[bl] = 0;
  *rest = sl ? sl + 1 : "";
  return 0;
}

int prestige_store_open(prestige_store_t **out, const char *url, prestige_s3_client_t *s3, prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  *out = NULL;
  if (!url || !*url) return prestige_error_set(err, PRESTIGE_EINVAL, "empty store URL");
  if (!strncmp(url, "s3://", 5)) {
    char bucket[128];
    const char *prefix;
    PRESTIGE_TRY(prestige_s3_url_split(url, bucket, sizeof bucket, &prefix, err));
    return prestige_store_open_s3(out, s3, bucket, prefix, err);
  }
  if (!strncmp(url, "file://", 7)) {
    const char *p = url + 7;
    if (*p != '/') return prestige_error_set(err, PRESTIGE_EINVAL, "invalid file URL \"%s\": expected file:///absolute/path", url);
    return prestige_store_open_local(out, p, err);
  }
  if (strstr(url, "://")) return prestige_error_set(err, PRESTIGE_EINVAL, "unsupported store URL \"%s\" (use s3:// or file://)", url);
  return prestige_store_open_local(out, url, err);
}

void prestige_store_free(prestige_store_t *st) {
  if (st) st->ops->destroy(st);
}

const char *prestige_store_url(const prestige_store_t *st) { return st->url; }
const char *prestige_store_bucket(const prestige_store_t *st) { return st->bucket; }
bool prestige_store_is_local(const prestige_store_t *st) { return st->local_dir != NULL; }
const char *prestige_store_local_dir(const prestige_store_t *st) { return st->local_dir; }

/* ---- dispatch ----------------------------------------------------------------------------------- */

#define CHECK_KEY(st, key) PRESTIGE_TRY(prestige_store_validate_key(st, key, err))

int prestige_store_put(prestige_store_t *st, const char *key, const void *data, size_t len, prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  CHECK_KEY(st, key);
  return st->ops->put(st, key, data, len, false, err);
}
int prestige_store_put_if_absent(prestige_store_t *st, const char *key, const void *data, size_t len,
                                 prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  CHECK_KEY(st, key);
  return st->ops->put(st, key, data, len, true, err);
}
int prestige_store_put_file(prestige_store_t *st, const char *key, const char *path, prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  CHECK_KEY(st, key);
  return st->ops->put_file(st, key, path, err);
}
int prestige_store_put_file_progress(prestige_store_t *st, const char *key, const char *path, prestige_progress_fn progress,
                                     prestige_stop_fn stop, void *user_data, prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  CHECK_KEY(st, key);
  if (st->ops->put_file_ctl) return st->ops->put_file_ctl(st, key, path, progress, stop, user_data, err);
  if (stop && stop(user_data)) return prestige_error_set(err, PRESTIGE_ECANCELED, "upload of %s stopped before it began", path);
  int rc = st->ops->put_file(st, key, path, err);
  if (!rc && progress) {
    struct stat sb;
    if (stat(path, &sb) == 0) progress(user_data, (uint64_t)sb.st_size, (uint64_t)sb.st_size);
  }
  return rc;
}
int prestige_store_open_output(prestige_store_t *st, const char *key, prestige_output_t *out, prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  CHECK_KEY(st, key);
  return st->ops->open_output(st, key, out, err);
}
int prestige_store_get(prestige_store_t *st, const char *key, uint8_t **data, size_t *len, prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  CHECK_KEY(st, key);
  return st->ops->get(st, key, data, len, err);
}
int prestige_store_get_range(prestige_store_t *st, const char *key, uint64_t offset, size_t len, void *dst,
                             prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  CHECK_KEY(st, key);
  if (len == 0) return 0;
  return st->ops->get_range(st, key, offset, len, dst, err);
}
int prestige_store_get_file(prestige_store_t *st, const char *key, const char *path, prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  CHECK_KEY(st, key);
  return st->ops->get_file(st, key, path, NULL, NULL, err);
}
int prestige_store_get_file_progress(prestige_store_t *st, const char *key, const char *path,
                                     prestige_progress_fn progress, void *user_data, prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  CHECK_KEY(st, key);
  return st->ops->get_file(st, key, path, progress, user_data, err);
}
int prestige_store_open_input(prestige_store_t *st, const char *key, uint64_t known_size, prestige_input_t *in,
                              prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  CHECK_KEY(st, key);
  return st->ops->open_input(st, key, known_size, in, err);
}
int prestige_store_head(prestige_store_t *st, const char *key, prestige_object_meta_t *meta, prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  memset(meta, 0, sizeof *meta);
  CHECK_KEY(st, key);
  return st->ops->head(st, key, meta, err);
}
int prestige_store_delete(prestige_store_t *st, const char *key, prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  CHECK_KEY(st, key);
  return st->ops->del(st, key, err);
}
int prestige_store_delete_many(prestige_store_t *st, const char *const *keys, size_t n, prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  for (size_t i = 0; i < n; i++) CHECK_KEY(st, keys[i]);
  if (n == 0) return 0;
  return st->ops->del_many(st, keys, n, err);
}

/* ---- listing -------------------------------------------------------------------------------------- */

struct prestige_store_list {
  prestige_store_t *st;
  char *prefix, *start_after;
  char *token;
  bool started, done;
  prestige_object_meta_t *items;
  size_t n, pos;
  /* a listing must advance: hashes of the continuation tokens seen (open addressing), the
   * previous page's first and last key, and the run of empty truncated pages */
  uint64_t *tokens;
  size_t n_tokens, cap_tokens;
  char *prev_first, *prev_last;
  size_t prev_n, empty_run;
};

enum { LIST_MAX_EMPTY_PAGES = 1000 };

static uint64_t token_hash(const char *s) {
  uint64_t h = 1469598103934665603ull; /* FNV-1a; 0 marks a free slot */
  for (; *s; s++) h = (h ^ (uint8_t)*s) * 1099511628211ull;
  return h ? h : 1;
}

/* Adds the token's hash; 1 when it was there already, -1 when out of memory. */
static int token_seen(prestige_store_list_t *it, const char *token) {
  if (2 * (it->n_tokens + 1) > it->cap_tokens) {
    size_t cap = it->cap_tokens ? it->cap_tokens * 2 : 64;
    uint64_t *t = calloc(cap, sizeof *t);
    if (!t) return -1;
    for (size_t i = 0; i < it->cap_tokens; i++) {
      if (!it->tokens[i]) continue;
      size_t j = it->tokens[i] & (cap - 1);
      while (t[j]) j = (j + 1) & (cap - 1);
      t[j] = it->tokens[i];
    }
    free(it->tokens);
    it->tokens = t;
    it->cap_tokens = cap;
  }
  uint64_t h = token_hash(token);
  size_t j = h & (it->cap_tokens - 1);
  for (; it->tokens[j]; j = (j + 1) & (it->cap_tokens - 1))
    if (it->tokens[j] == h) return 1;
  it->tokens[j] = h;
  it->n_tokens++;
  return 0;
}

/* A server that hands out a continuation token twice, or the same page again and again, would
 * keep a listing going forever: stop it with an error naming the listing. */
static int list_check_progress(prestige_store_list_t *it, prestige_error_t *err) {
  const char *url = prestige_store_url(it->st);
  if (it->token) {
    int seen = token_seen(it, it->token);
    if (seen < 0) return oom(err);
    if (seen)
      return prestige_error_set(err, PRESTIGE_ECORRUPT,
                                "listing %s%s: the server returned the continuation token \"%.64s\" twice; the listing "
                                "does not advance",
                                url, it->prefix, it->token);
  }
  if (it->n == 0) {
    if (it->token && ++it->empty_run > LIST_MAX_EMPTY_PAGES)
      return prestige_error_set(err, PRESTIGE_ECORRUPT,
                                "listing %s%s: %d empty pages in a row, each claiming more to come; the listing does not "
                                "advance",
                                url, it->prefix, LIST_MAX_EMPTY_PAGES);
    return 0;
  }
  it->empty_run = 0;
  const char *first = it->items[0].key, *last = it->items[it->n - 1].key;
  if (it->token && it->prev_first && it->prev_n == it->n && !strcmp(it->prev_first, first) && !strcmp(it->prev_last, last))
    return prestige_error_set(err, PRESTIGE_ECORRUPT,
                              "listing %s%s: the server returned the same page (%s .. %s) again; the listing does not "
                              "advance",
                              url, it->prefix, first, last);
  free(it->prev_first);
  free(it->prev_last);
  it->prev_first = strdup(first);
  it->prev_last = strdup(last);
  it->prev_n = it->n;
  if (!it->prev_first || !it->prev_last) return oom(err);
  return 0;
}

static void list_clear_page(prestige_store_list_t *it) {
  for (size_t i = 0; i < it->n; i++) prestige_object_meta_clear(&it->items[i]);
  free(it->items);
  it->items = NULL;
  it->n = it->pos = 0;
}

int prestige_store_list_open(prestige_store_t *st, const char *prefix, const char *start_after,
                             prestige_store_list_t **out, prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  *out = NULL;
  prestige_store_list_t *it = calloc(1, sizeof *it);
  if (!it) return oom(err);
  it->st = st;
  it->prefix = strdup(prefix ? prefix : "");
  it->start_after = start_after ? strdup(start_after) : NULL;
  if (!it->prefix || (start_after && !it->start_after)) {
    prestige_store_list_free(it);
    return oom(err);
  }
  *out = it;
  return 0;
}

int prestige_store_list_next(prestige_store_list_t *it, const prestige_object_meta_t **meta, prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  *meta = NULL;
  while (it->pos == it->n) {
    if (it->done) return 0;
    list_clear_page(it);
    int rc = it->st->ops->list_page(it->st, it->prefix, it->start_after, &it->token, &it->items, &it->n, err);
    if (!rc) rc = list_check_progress(it, err);
    if (rc) return rc;
    it->started = true;
    if (!it->token) it->done = true;
  }
  *meta = &it->items[it->pos++];
  return 0;
}

void prestige_store_list_free(prestige_store_list_t *it) {
  if (!it) return;
  list_clear_page(it);
  free(it->prefix);
  free(it->start_after);
  free(it->token);
  free(it->tokens);
  free(it->prev_first);
  free(it->prev_last);
  free(it);
}

/* ---- timestamped names -------------------------------------------------------------------------- */

int64_t prestige_key_timestamp_ms(const char *key) { return key ? tsname_key_timestamp(key) : -1; }

static int file_meta_cmp(const void *a, const void *b) {
  const prestige_file_meta_t *x = a, *y = b;
  if (x->timestamp_ms != y->timestamp_ms) return x->timestamp_ms < y->timestamp_ms ? -1 : 1;
  return strcmp(x->key, y->key);
}

void prestige_file_metas_free(prestige_file_meta_t *files, size_t n) {
  for (size_t i = 0; i < n; i++) free(files[i].key);
  free(files);
}

int prestige_list_files(prestige_store_t *st, const char *prefix, int64_t after_ms, int64_t before_ms,
                        prestige_file_meta_t **files, size_t *n, prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  *files = NULL;
  *n = 0;
  prestige_store_list_t *it;
  PRESTIGE_TRY(prestige_store_list_open(st, prefix, NULL, &it, err));
  prestige_file_meta_t *arr = NULL;
  size_t cnt = 0, cap = 0;
  int rc;
  for (;;) {
    const prestige_object_meta_t *m;
    if ((rc = prestige_store_list_next(it, &m, err)) || !m) break;
    int64_t ts = prestige_key_timestamp_ms(m->key);
    if (ts < 0 || ts < after_ms || ts >= before_ms) continue;
    if (cnt == cap) {
      size_t nc = cap ? cap * 2 : 64;
      prestige_file_meta_t *na = realloc(arr, nc * sizeof *na);
      if (!na) {
        rc = oom(err);
        break;
      }
      arr = na;
      cap = nc;
    }
    arr[cnt].key = strdup(m->key);
    arr[cnt].size = m->size;
    arr[cnt].timestamp_ms = ts;
    arr[cnt].last_modified_ms = m->last_modified_ms;
    if (!arr[cnt].key) {
      rc = oom(err);
      break;
    }
    cnt++;
  }
  prestige_store_list_free(it);
  if (rc) {
    prestige_file_metas_free(arr, cnt);
    return rc;
  }
  if (cnt) qsort(arr, cnt, sizeof *arr, file_meta_cmp);
  *files = arr;
  *n = cnt;
  return 0;
}
