/*
 * The object store's backends. Each backend is its own struct embedding prestige_store_t as its
 * first member (libgit2's ODB backends): the front end (store.c) knows only the parent and the
 * operations, the backends (local.c, s3_store.c) never include each other.
 */
#ifndef PRESTIGE_STORE_STORE_INTERNAL_H
#define PRESTIGE_STORE_STORE_INTERNAL_H

#include "prestige/store.h"

typedef struct store_ops {
  int (*put)(prestige_store_t *st, const char *key, const void *data, size_t len, bool if_absent, prestige_error_t *err);
  int (*put_file)(prestige_store_t *st, const char *key, const char *path, prestige_error_t *err);
  int (*open_output)(prestige_store_t *st, const char *key, prestige_output_t *out, prestige_error_t *err);
  int (*get)(prestige_store_t *st, const char *key, uint8_t **data, size_t *len, prestige_error_t *err);
  int (*get_range)(prestige_store_t *st, const char *key, uint64_t off, size_t len, void *dst, prestige_error_t *err);
  int (*get_file)(prestige_store_t *st, const char *key, const char *path, prestige_progress_fn progress,
                  void *user_data, prestige_error_t *err);
  int (*open_input)(prestige_store_t *st, const char *key, uint64_t known_size, prestige_input_t *in, prestige_error_t *err);
  int (*head)(prestige_store_t *st, const char *key, prestige_object_meta_t *meta, prestige_error_t *err);
  int (*del)(prestige_store_t *st, const char *key, prestige_error_t *err);
  int (*del_many)(prestige_store_t *st, const char *const *keys, size_t n, prestige_error_t *err);
  /* One page of the listing, keys root-relative, in order. *token is the continuation (NULL at
   * the start, set to NULL when there are no more pages). */
  int (*list_page)(prestige_store_t *st, const char *prefix, const char *start_after, char **token,
                   prestige_object_meta_t **items, size_t *n, prestige_error_t *err);
  /* Frees the backend and its parent's fields. */
  void (*destroy)(prestige_store_t *st);
  /* put_file with progress and stop (see prestige_store_put_file_progress); NULL: put_file, with
   * stop polled once before and progress reported once after */
  int (*put_file_ctl)(prestige_store_t *st, const char *key, const char *path, prestige_progress_fn progress,
                      prestige_stop_fn stop, void *user_data, prestige_error_t *err);
} store_ops_t;

/* The parent every backend embeds first. */
struct prestige_store {
  const store_ops_t *ops;
  char *url;            /* "file:///dir/" or "s3://bucket/prefix/" */
  char *bucket;         /* the bucket's name: S3's bucket, or a local store's directory */
  const char *local_dir; /* local stores: the absolute directory; NULL otherwise */
  size_t key_root_len;  /* bytes the backend puts before every key (S3's prefix), for the 1024-byte limit */
};

/* Backends' constructors (the front end validates the arguments it can). */
int store_local_open(prestige_store_t **out, const char *dir, prestige_error_t *err);
int store_s3_open(prestige_store_t **out, prestige_s3_client_t *client, const char *bucket, const char *prefix,
                  prestige_error_t *err);

#endif
