/* prestige cat / prestige schema: a Parquet file's rows as JSON lines or CSV, and its Arrow schema. */
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "format.h"
#include <sys/stat.h>

#include "prestige/io.h"
#include "prestige/parquet_reader.h"
#include "prestige/source.h"
#include "prestige/store.h"
#include "prestige/upload.h"

static const char CAT_USAGE[] =
    "usage: prestige cat FILE... [--columns a,b] [--where FILTER] [--limit N] [--format jsonl|csv]\n"
    "                   [--unordered] [--read-ahead N] [--threads N]\n"
    "\n"
    "Prints the rows of Parquet files, one JSON object per line (default) or as CSV with a header.\n"
    "FILE may be a local file, a directory or s3://bucket/prefix/ (every .parquet under it, in key\n"
    "order), or an s3://bucket/key object. Several files go through the file source: in order,\n"
    "reading --read-ahead files at once (default 2), or with --unordered as soon as any file yields\n"
    "rows (files in flight: --read-ahead, default 4).\n"
    "Dates, times and timestamps print as ISO 8601 (timestamps with a time zone end in Z), decimals\n"
    "exactly, binary as hexadecimal, lists as JSON arrays, structs and maps as JSON objects (in CSV,\n"
    "nested values are their JSON text). --where prints only the rows matching FILTER, which may\n"
    "name columns --columns leaves out (see `prestige scan --help`); row groups and pages whose\n"
    "statistics rule it out are not read. --threads N decodes the columns of a file's row groups on\n"
    "N threads (default: the number of cores); the rows come out in the same order.\n";

static const char SCHEMA_USAGE[] =
    "usage: prestige schema FILE\n"
    "\n"
    "Prints the Arrow schema a Parquet file is read as: one line per field with its Arrow type,\n"
    "nullability and field id, nested fields indented.\n";

/* Expands the FILE arguments: directories and s3://bucket/prefix/ become their .parquet files.
 * S3 arguments must share one bucket (*st is its store); local ones stay paths. */
static int expand_files(char **args, int n, prestige_store_t **st, char ***out, size_t *nout, prestige_error_t *err) {
  size_t cap = 16, k = 0;
  char **f = malloc(cap * sizeof *f);
  int rc = 0;
  char *bucket_url = NULL;
  for (int i = 0; i < n && !rc; i++) {
    char **add = NULL;
    size_t nadd = 0;
    if (cli_is_s3(args[i])) {
      prestige_store_t *s;
      char *key;
      if ((rc = cli_split_s3(args[i], &s, &key, err))) break;
      if (!*st) {
        *st = s;
        bucket_url = strdup(prestige_store_url(s));
      } else {
        if (strcmp(bucket_url, prestige_store_url(s)) != 0)
          rc = prestige_error_set(err, PRESTIGE_EINVAL, "all s3:// files must be in one bucket (%s and %s)", bucket_url,
                                  prestige_store_url(s));
        prestige_store_free(s);
      }
      size_t kl = strlen(key);
      if (!rc && (kl == 0 || key[kl - 1] == '/')) {
        prestige_store_list_t *it;
        rc = prestige_store_list_open(*st, key, NULL, &it, err);
        const prestige_object_meta_t *m;
        while (!rc && (rc = prestige_store_list_next(it, &m, err)) == 0 && m) {
          size_t ml = strlen(m->key);
          if (ml < 8 || strcmp(m->key + ml - 8, ".parquet")) continue;
          add = realloc(add, (nadd + 1) * sizeof *add);
          add[nadd++] = strdup(m->key);
        }
        if (it) prestige_store_list_free(it);
        free(key);
      } else if (!rc) {
        add = malloc(sizeof *add);
        add[nadd++] = key;
      } else {
        free(key);
      }
    } else {
      const char *path = cli_local_path(args[i]);
      prestige_store_t *dir;
      struct stat sb;
      if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode) && !(rc = prestige_store_open_local(&dir, path, err))) {
        prestige_store_list_t *it;
        rc = prestige_store_list_open(dir, NULL, NULL, &it, err);
        const prestige_object_meta_t *m;
        while (!rc && (rc = prestige_store_list_next(it, &m, err)) == 0 && m) {
          size_t ml = strlen(m->key);
          if (ml < 8 || strcmp(m->key + ml - 8, ".parquet")) continue;
          add = realloc(add, (nadd + 1) * sizeof *add);
          add[nadd] = malloc(strlen(path) + ml + 2);
          sprintf(add[nadd++], "%s/%s", path, m->key);
        }
        if (it) prestige_store_list_free(it);
        prestige_store_free(dir);
      } else if (!rc) {
        add = malloc(sizeof *add);
        add[nadd++] = strdup(path);
      }
    }
    for (size_t j = 0; j < nadd; j++) {
      if (k == cap) f = realloc(f, (cap *= 2) * sizeof *f);
      f[k++] = add[j];
    }
    free(add);
  }
  if (!rc && *st && k && !cli_is_s3(args[0])) rc = prestige_error_set(err, PRESTIGE_EINVAL, "mix of local and s3:// files");
  free(bucket_url);
  if (rc) {
    prestige_strings_free(f, k);
    return rc;
  }
  *out = f;
  *nout = k;
  return 0;
}

static int run_cat(int argc, char **argv) {
  const cli_verb_t *v = cli_find("cat");
  const char *format = "jsonl", *where = NULL;
  char *cols = NULL;
  int64_t limit = -1, read_ahead = 0;
  bool unordered = false;
  char **args = calloc((size_t)argc, sizeof *args);
  int nargs = 0;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--columns") && i + 1 < argc) cols = argv[++i];
    else if (!strcmp(argv[i], "--limit") && i + 1 < argc) {
      if (cli_opt_int(v, argv[i], argv[i + 1], 0, INT64_MAX, &limit)) return free(args), CLI_USAGE_ERROR;
      i++;
    }
    else if (!strcmp(argv[i], "--format") && i + 1 < argc) format = argv[++i];
    else if (!strcmp(argv[i], "--where") && i + 1 < argc) where = argv[++i];
    else if (!strcmp(argv[i], "--threads") && i + 1 < argc) {
      int64_t th;
      if (cli_opt_int(v, argv[i], argv[i + 1], 1, 256, &th)) return free(args), CLI_USAGE_ERROR;
      cli_reader_threads = (int)th;
      i++;
    }
    else if (!strcmp(argv[i], "--unordered")) unordered = true;
    else if (!strcmp(argv[i], "--read-ahead") && i + 1 < argc) {
      if (cli_opt_int(v, argv[i], argv[i + 1], 1, 256, &read_ahead)) return free(args), CLI_USAGE_ERROR;
      i++;
    }
    else if (argv[i][0] == '-') {
      free(args);
      return cli_usage_error(v, "unknown option or missing value: %s", argv[i]);
    } else args[nargs++] = argv[i];
  }
  if (!nargs) {
    free(args);
    return cli_usage_error(v, "FILE is required");
  }
  bool csv = !strcmp(format, "csv");
  if (!csv && strcmp(format, "jsonl")) {
    free(args);
    return cli_usage_error(v, "--format takes jsonl or csv");
  }
  prestige_predicate_t *filter = NULL;
  prestige_error_t perr;
  if (where && prestige_predicate_parse(where, &filter, &perr)) {
    free(args);
    return cli_usage_error(v, "%s", perr.message);
  }
  struct ArrowArrayStream st;
  struct ArrowSchema schema;
  prestige_store_t *store = NULL;
  bool single = nargs == 1 && !unordered && read_ahead == 0 && args[0][strlen(args[0]) - 1] != '/';
  struct stat sb;
  if (single && !cli_is_s3(args[0]) && stat(cli_local_path(args[0]), &sb) == 0 && S_ISDIR(sb.st_mode)) single = false;
  if (single) {
    int orc = cli_open_parquet_stream("cat", args[0], cols, 0, filter, NULL, &st, &schema);
    free(args);
    if (orc) {
      prestige_predicate_free(filter);
      return orc;
    }
  } else {
    prestige_error_t err;
    prestige_error_init(&err);
    char **files = NULL;
    size_t nfiles = 0;
    int erc = expand_files(args, nargs, &store, &files, &nfiles, &err);
    free(args);
    const char *names[256];
    int n_names = 0;
    if (cols) {
      char *save = NULL;
      for (char *t = strtok_r(cols, ",", &save); t && n_names < 256; t = strtok_r(NULL, ",", &save)) names[n_names++] = t;
    }
    prestige_source_options_t so;
    prestige_source_options_init(&so);
    so.unordered = unordered;
    if (read_ahead > 0) so.read_ahead = so.concurrency = (int)read_ahead;
    so.columns = n_names ? names : NULL;
    so.n_columns = n_names;
    so.filter = filter;
    if (!erc) {
      if (store) {
        prestige_file_meta_t *metas = calloc(nfiles ? nfiles : 1, sizeof *metas);
        for (size_t i = 0; i < nfiles; i++) metas[i].key = files[i];
        erc = prestige_source_s3_files(&st, store, metas, nfiles, &so, &err);
        free(metas);
      } else {
        erc = prestige_source(&st, (const char *const *)files, nfiles, &so, &err);
      }
    }
    prestige_strings_free(files, nfiles);
    if (!erc && st.get_schema(&st, &schema)) {
      erc = prestige_error_set(&err, PRESTIGE_EIO, "%s", st.get_last_error(&st));
      st.release(&st);
    }
    if (erc) {
      prestige_predicate_free(filter);
      prestige_store_free(store);
      /* EINVAL: the filter does not fit the files' columns */
      return erc == PRESTIGE_EINVAL ? cli_usage_error(v, "%s", err.message) : cli_fail("cat", &err);
    }
  }
  int rc = cli_print_rows(stdout, "cat", &st, &schema, csv, limit, NULL);
  prestige_predicate_free(filter);
  prestige_schema_release(&schema);
  st.release(&st);
  prestige_store_free(store);
  return rc;
}

static void print_field(const struct ArrowSchema *s, int depth) {
  prestige_arrow_type_info_t t;
  const char *tn = prestige_arrow_type_parse(s->format, &t, NULL) ? "?" : prestige_arrow_type_name(t.type);
  printf("%*s%s: %s (%s)%s", depth * 2, "", s->name ? s->name : "", tn, s->format,
         (s->flags & ARROW_FLAG_NULLABLE) ? "" : " not null");
  const char *id;
  int32_t len;
  if (prestige_metadata_get(s->metadata, "PARQUET:field_id", &id, &len)) printf(" [id %.*s]", (int)len, id);
  if (prestige_schema_extension_name(s, &id, &len)) printf(" [%.*s]", (int)len, id);
  printf("\n");
  for (int64_t i = 0; i < s->n_children; i++) print_field(s->children[i], depth + 1);
}

static int run_schema(int argc, char **argv) {
  const cli_verb_t *v = cli_find("schema");
  if (argc != 2 || argv[1][0] == '-') return cli_usage_error(v, "FILE is required");
  prestige_error_t err;
  prestige_error_init(&err);
  prestige_parquet_reader_t *r;
  prestige_input_t in;
  if (cli_open_input(argv[1], &in, &err) || prestige_parquet_reader_open(&r, &in, NULL, &err)) return cli_fail("schema", &err);
  struct ArrowSchema s;
  int rc = prestige_parquet_reader_schema(r, &s, &err);
  prestige_parquet_reader_close(r);
  if (rc) return cli_fail("schema", &err);
  for (int64_t i = 0; i < s.n_children; i++) print_field(s.children[i], 0);
  prestige_schema_release(&s);
  return CLI_OK;
}

CLI_VERB(cat, "cat", "print a Parquet file's rows as JSON lines or CSV", CAT_USAGE, run_cat)
CLI_VERB(schema, "schema", "print the Arrow schema a Parquet file is read as", SCHEMA_USAGE, run_schema)
