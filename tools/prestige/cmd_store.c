/* prestige ls and prestige cp: object listing and copies between local files and S3. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "prestige/core.h"
#include "prestige/store.h"

int cli_parse_time_ms(const char *s, int64_t *out) {
  char *end;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (!errno && *s && !*end) {
    *out = v;
    return 0;
  }
  int64_t t = prestige_time_parse_ms(s);
  if (t < 0) return -1;
  *out = t;
  return 0;
}

static void iso_time(char *b, size_t n, int64_t ms) {
  if (ms < 0) {
    snprintf(b, n, "-");
    return;
  }
  time_t t = (time_t)(ms / 1000);
  struct tm tm;
  gmtime_r(&t, &tm);
  size_t k = strftime(b, n, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(b + k, n - k, ".%03dZ", (int)(ms % 1000));
}

/* Opens the store for a listing argument; *prefix is malloc'd. */
static int open_listing(const char *arg, prestige_store_t **st, char **prefix, prestige_error_t *err) {
  if (cli_is_s3(arg)) return cli_split_s3(arg, st, prefix, err);
  const char *path = cli_local_path(arg);
  struct stat sb;
  if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
    *prefix = strdup("");
    return prestige_store_open_local(st, path, err);
  }
  const char *sl = strrchr(path, '/');
  char *dir = sl ? strndup(path, sl == path ? 1 : (size_t)(sl - path)) : strdup(".");
  *prefix = strdup(sl ? sl + 1 : path);
  if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
    int rc = prestige_error_set(err, PRESTIGE_ENOTFOUND, "%s: no such directory", dir);
    free(dir);
    return rc;
  }
  int rc = prestige_store_open_local(st, dir, err);
  free(dir);
  return rc;
}

#define LS_USAGE_TEXT \
    "usage: prestige ls URL [--after TS] [--before TS]\n" \
    "\n" \
    "Lists objects under URL (s3://bucket/prefix, file:///dir/prefix or a local path), one a line:\n" \
    "key, size in bytes and last-modified time (UTC), separated by tabs, in key order.\n" \
    "With --after/--before only files named <prefix>.<timestamp_ms>.<ext> (the sink's naming) whose\n" \
    "timestamp lies in [after, before) are listed, in timestamp order. TS is epoch milliseconds or\n" \
    "an ISO 8601 time (2024-11-20T10:00:00Z or 2024-11-20).\n"

static int run_ls(int argc, char **argv) {
  const cli_verb_t *v = cli_find("ls");
  const char *url = NULL;
  int64_t after = INT64_MIN, before = INT64_MAX;
  bool windowed = false;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--after") || !strcmp(argv[i], "--before")) {
      if (i + 1 >= argc) return cli_usage_error(v, "%s needs a value", argv[i]);
      int64_t t;
      if (cli_parse_time_ms(argv[i + 1], &t)) return cli_usage_error(v, "bad time \"%s\"", argv[i + 1]);
      if (argv[i][2] == 'a') after = t;
      else before = t;
      windowed = true;
      i++;
    } else if (argv[i][0] == '-' && argv[i][1] == '-') {
      return cli_usage_error(v, "unknown option %s", argv[i]);
    } else if (!url) {
      url = argv[i];
    } else {
      return cli_usage_error(v, "too many arguments");
    }
  }
  if (!url) return cli_usage_error(v, "URL is required");
  prestige_error_t err;
  prestige_error_init(&err);
  prestige_store_t *st;
  char *prefix = NULL;
  if (open_listing(url, &st, &prefix, &err)) {
    free(prefix);
    return cli_fail("ls", &err);
  }
  int rc = 0;
  char when[40];
  if (windowed) {
    prestige_file_meta_t *f;
    size_t n;
    rc = prestige_list_files(st, prefix, after, before, &f, &n, &err);
    for (size_t i = 0; !rc && i < n; i++) {
      iso_time(when, sizeof when, f[i].last_modified_ms);
      printf("%s\t%llu\t%s\n", f[i].key, (unsigned long long)f[i].size, when);
    }
    if (!rc) prestige_file_metas_free(f, n);
  } else {
    prestige_store_list_t *it;
    rc = prestige_store_list_open(st, prefix, NULL, &it, &err);
    while (!rc) {
      const prestige_object_meta_t *m;
      if ((rc = prestige_store_list_next(it, &m, &err)) || !m) break;
      iso_time(when, sizeof when, m->last_modified_ms);
      printf("%s\t%llu\t%s\n", m->key, (unsigned long long)m->size, when);
    }
    if (it) prestige_store_list_free(it);
  }
  free(prefix);
  prestige_store_free(st);
  if (fflush(stdout) != 0 && !rc) rc = prestige_error_set(&err, PRESTIGE_EIO, "writing to standard output failed");
  return rc ? cli_fail("ls", &err) : CLI_OK;
}

CLI_VERB(ls, "ls", "list objects in a bucket or directory", LS_USAGE_TEXT, run_ls)

/* ---- cp ------------------------------------------------------------------------------------------ */

#define CP_USAGE_TEXT \
    "usage: prestige cp SRC DST [--quiet]\n" \
    "\n" \
    "Copies one object or file. Either side may be a local path, a file:// URL or an s3://bucket/key\n" \
    "URL; a DST ending in '/' (or an existing directory) receives SRC's file name. Uploads of large\n" \
    "files go multipart with several parts in flight; downloads fetch several ranges at once. The\n" \
    "destination appears only when complete. A progress bar is drawn when stderr is a terminal.\n"

static char *dest_name(const char *dst, const char *src) {
  const char *base = strrchr(src, '/');
  base = base ? base + 1 : src;
  size_t dl = strlen(dst);
  bool dir = dl && dst[dl - 1] == '/';
  struct stat sb;
  if (!dir && !cli_is_s3(dst) && stat(cli_local_path(dst), &sb) == 0 && S_ISDIR(sb.st_mode)) dir = true;
  if (!dir) return strdup(dst);
  char *r = malloc(dl + strlen(base) + 2);
  if (r) sprintf(r, "%s%s%s", dst, dst[dl - 1] == '/' ? "" : "/", base);
  return r;
}

/* The source, local or s3://, as a local file: an S3 source is downloaded to a temporary file. */
static int cp_local_source(const char *src, char **tmp, prestige_error_t *err) {
  *tmp = NULL;
  if (!cli_is_s3(src)) return 0;
  if (!(*tmp = cli_temp_name(src, NULL))) return prestige_error_set(err, PRESTIGE_EIO, "cannot create a temporary file");
  return cli_download_url(src, *tmp, false, err);
}

static int run_cp(int argc, char **argv) {
  const cli_verb_t *v = cli_find("cp");
  const char *src = NULL, *dst0 = NULL;
  bool quiet = false;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--quiet")) quiet = true;
    else if (argv[i][0] == '-' && argv[i][1] == '-') return cli_usage_error(v, "unknown option %s", argv[i]);
    else if (!src) src = argv[i];
    else if (!dst0) dst0 = argv[i];
    else return cli_usage_error(v, "too many arguments");
  }
  if (!src || !dst0) return cli_usage_error(v, "SRC and DST are required");
  cli_signals_install();
  prestige_error_t err;
  prestige_error_init(&err);
  char *dst = dest_name(dst0, src);
  char *tmp = NULL;
  int rc = 0;
  cli_progress_t prog;
  cli_progress_init(&prog, quiet, 0);
  if (!dst) {
    rc = prestige_error_set(&err, PRESTIGE_ENOMEM, "out of memory");
  } else if (cli_is_s3(src) && !cli_is_s3(dst)) { /* download: ranges in parallel, renamed when complete */
    rc = cli_download_url(src, cli_local_path(dst), !quiet, &err);
  } else if (!(rc = cp_local_source(src, &tmp, &err))) {
    const char *local_src = tmp ? tmp : cli_local_path(src);
    struct stat sb;
    bool regular = false;
    if (stat(local_src, &sb) == 0) {
      prog.total_bytes = sb.st_size;
      regular = S_ISREG(sb.st_mode);
    }
    if (cli_is_s3(dst)) { /* upload: a multipart upload with parts in flight, aborted if stopped */
      prestige_store_t *st;
      char *key;
      if (!(rc = cli_split_s3(dst, &st, &key, &err))) {
        prestige_output_t out;
        if (!*key) {
          rc = prestige_error_set(&err, PRESTIGE_EINVAL, "%s names a bucket, not an object", dst);
        } else if (regular) { /* parts sent from the file itself, hashed as they go */
          rc = cli_upload_regular(st, key, local_src, &prog, &err);
        } else if (!(rc = prestige_store_open_output(st, key, &out, &err))) {
          rc = cli_upload_output(local_src, &out, &prog, &err);
        }
        free(key);
        prestige_store_free(st);
      }
    } else {
      rc = cli_copy_local(local_src, cli_local_path(dst), &prog, &err);
    }
  }
  cli_progress_done(&prog);
  if (tmp) {
    unlink(tmp);
    free(tmp);
  }
  if (!rc && !quiet) fprintf(stderr, "copied %s to %s\n", src, dst);
  free(dst);
  if (rc == PRESTIGE_ECANCELED) return cli_interrupted("cp", "nothing was written and no upload is left behind");
  return rc ? cli_fail("cp", &err) : CLI_OK;
}

CLI_VERB(cp, "cp", "copy a file or object (local and S3 either way)", CP_USAGE_TEXT, run_cp)
