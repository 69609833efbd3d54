/* URL arguments: every verb that takes a file also takes file:// and s3://bucket/key URLs. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

int cli_fetch_to_temp(const char *url, char **tmp_path, prestige_error_t *err) {
  *tmp_path = NULL;
  prestige_store_t *st;
  char *key;
  PRESTIGE_TRY(cli_split_s3(url, &st, &key, err));
  char *tmp = cli_temp_name(key, NULL);
  int rc = tmp ? prestige_store_get_file(st, key, tmp, err)
               : prestige_error_set(err, PRESTIGE_EIO, "cannot create a temporary file: %s", strerror(errno));
  if (rc && tmp) {
    unlink(tmp);
    free(tmp);
  } else {
    *tmp_path = tmp;
  }
  free(key);
  prestige_store_free(st);
  return rc;
}

int cli_upload_file(const char *path, const char *url, prestige_error_t *err) {
  prestige_store_t *st;
  char *key;
  PRESTIGE_TRY(cli_split_s3(url, &st, &key, err));
  int rc = *key ? prestige_store_put_file(st, key, path, err)
                : prestige_error_set(err, PRESTIGE_EINVAL, "%s names a bucket, not an object", url);
  free(key);
  prestige_store_free(st);
  return rc;
}
