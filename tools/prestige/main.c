#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "prestige/core.h"

enum { CLI_MAX_VERBS = 64 };
static const cli_verb_t *verbs[CLI_MAX_VERBS];
static int n_verbs;

void cli_register(const cli_verb_t *verb) {
  if (n_verbs < CLI_MAX_VERBS) verbs[n_verbs++] = verb;
}

const cli_verb_t *cli_find(const char *name) {
  for (int i = 0; i < n_verbs; i++)
    if (strcmp(verbs[i]->name, name) == 0) return verbs[i];
  return NULL;
}

bool cli_wants_help(int argc, char **argv) {
  for (int i = 1; i < argc; i++)
    if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) return true;
  return false;
}

int cli_fail(const char *verb, const prestige_error_t *err) {
  fprintf(stderr, "prestige %s: %s\n", verb, err->message[0] ? err->message : prestige_code_name(err->code));
  return CLI_USER_ERROR;
}

int cli_usage_error(const cli_verb_t *verb, const char *fmt, ...) {
  fprintf(stderr, "prestige %s: ", verb->name);
  va_list ap;
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fprintf(stderr, "\n\n%s", verb->usage);
  return CLI_USAGE_ERROR;
}

static int cmp_verbs(const void *a, const void *b) {
  return strcmp((*(const cli_verb_t *const *)a)->name, (*(const cli_verb_t *const *)b)->name);
}

static void print_help(FILE *out) {
  qsort(verbs, (size_t)n_verbs, sizeof(verbs[0]), cmp_verbs);
  fprintf(out,
          "prestige %s — streaming Parquet, S3 and Iceberg\n\n"
          "usage: prestige VERB [options] ...\n       prestige VERB --help\n\nverbs:\n",
          prestige_version());
  for (int i = 0; i < n_verbs; i++) fprintf(out, "  %-10s %s\n", verbs[i]->name, verbs[i]->summary);
  fprintf(out, "\nFiles may be local paths, file:// or s3://bucket/key URLs (credentials and region from the\n"
               "standard AWS environment variables and profiles; --endpoint URL for S3-compatible stores).\n");
  fprintf(out, "\nexit status: 0 success, 1 user error (bad input, missing file), 2 usage error\n");
}

/* --endpoint URL (or --endpoint=URL), accepted by every verb: the S3 endpoint for s3:// URLs.
 * Removed from argv and passed on as AWS_ENDPOINT_URL, which the S3 client reads. */
static int take_endpoint(int argc, char **argv) {
  int w = 1;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--endpoint") && i + 1 < argc) {
      setenv("AWS_ENDPOINT_URL", argv[++i], 1);
      continue;
    }
    if (!strncmp(argv[i], "--endpoint=", 11)) {
      setenv("AWS_ENDPOINT_URL", argv[i] + 11, 1);
      continue;
    }
    argv[w++] = argv[i];
  }
  argv[w] = NULL;
  return w;
}

int main(int argc, char **argv) {
  argc = take_endpoint(argc, argv);
  if (argc < 2) {
    print_help(stderr);
    return CLI_USAGE_ERROR;
  }
  if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0) {
    print_help(stdout);
    return CLI_OK;
  }
  if (strcmp(argv[1], "--version") == 0) {
    printf("prestige %s\n", prestige_version());
    return CLI_OK;
  }
  const cli_verb_t *v = cli_find(argv[1]);
  if (!v) {
    fprintf(stderr, "prestige: unknown verb \"%s\"\n\n", argv[1]);
    print_help(stderr);
    return CLI_USAGE_ERROR;
  }
  if (!v->own_help && cli_wants_help(argc - 1, argv + 1)) {
    fputs(v->usage, stdout);
    return CLI_OK;
  }
  return v->run(argc - 1, argv + 1);
}
