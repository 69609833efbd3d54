/* Object store dispatch: each store kind implements these operations on root-relative keys. */
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
  void (*destroy)(prestige_store_t *st);
} store_ops_t;

struct prestige_store {
  const store_ops_t *ops;
  char *url;
  bool local;
  char *dir;     /* local: absolute directory without trailing '/' */
  int dir_fd;    /* local: O_PATH|O_DIRECTORY fd of dir */
  prestige_s3_client_t *s3;
  char *bucket;  /* s3 */
  char *root;    /* s3: key prefix ("" or ending in '/') */
};

extern const store_ops_t store_local_ops;
extern const store_ops_t store_s3_ops;
int store_local_init(prestige_store_t *st, const char *dir, prestige_error_t *err);

#endif
