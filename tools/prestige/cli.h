/*
 * The prestige command-line tool. Each verb lives in its own cmd_<verb>.c and registers
 * itself with CLI_VERB, so verbs are added without touching main.c.
 *
 * Exit status: 0 success, 1 user error (bad input, missing file), 2 usage error.
 * Nothing but results goes to standard output; progress and errors go to standard error.
 */
#ifndef PRESTIGE_CLI_H
#define PRESTIGE_CLI_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "prestige/core.h"
#include "prestige/error.h"

enum { CLI_OK = 0, CLI_USER_ERROR = 1, CLI_USAGE_ERROR = 2 };

typedef struct cli_verb {
  const char *name;
  const char *summary; /* one line for `prestige --help` */
  const char *usage;   /* full text for `prestige VERB --help` */
  int (*run)(int argc, char **argv); /* argv[0] is the verb */
  bool own_help;                     /* a verb group (iceberg): its sub-verbs answer --help themselves */
} cli_verb_t;

void cli_register(const cli_verb_t *verb);

/* A verb with sub-verbs that print their own --help. */
#define CLI_VERB_GROUP(ident, name_, summary_, usage_, fn_)                           \
  static const cli_verb_t cli_verb_##ident = {name_, summary_, usage_, fn_, true};   \
  __attribute__((constructor)) static void cli_register_##ident(void) { cli_register(&cli_verb_##ident); }

#define CLI_VERB(ident, name_, summary_, usage_, fn_)                                 \
  static const cli_verb_t cli_verb_##ident = {name_, summary_, usage_, fn_, false};  \
  __attribute__((constructor)) static void cli_register_##ident(void) { cli_register(&cli_verb_##ident); }

/* Prints "prestige VERB: message" to stderr. Returns CLI_USER_ERROR. */
int cli_fail(const char *verb, const prestige_error_t *err);
/* Prints a usage complaint and the verb's usage to stderr. Returns CLI_USAGE_ERROR. */
int cli_usage_error(const cli_verb_t *verb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
const cli_verb_t *cli_find(const char *name);
/* True when argv contains -h or --help. */
bool cli_wants_help(int argc, char **argv);

/* Opens a Parquet file as a stream of record batches with its schema. cols is a comma-separated
 * list of top-level columns (modified in place) or NULL; batch_rows 0 keeps the default. On
 * failure prints "prestige VERB: ..." and returns CLI_USER_ERROR. */
struct ArrowArrayStream;
struct ArrowSchema;
struct prestige_predicate;
/* filter (may be NULL): only the rows matching it come out (row groups and pages its statistics
 * rule out are not read); a filter that does not fit the file's columns is a usage error
 * (CLI_USAGE_ERROR). *reader (may be NULL) gets the reader, owned by the stream and valid until
 * it is released, for its pruning counters. */
struct prestige_parquet_reader;
/* The number of online cores, at least 1 and at most max: the default thread count of every verb
 * that encodes or decodes on threads (convert, sink, cat, scan, iceberg append/scan/sink). */
int cli_core_count(int max);
/* Decoding threads of the Parquet readers cli_open_parquet_stream opens: --threads of cat and
 * scan; 0 (the default) is the number of online cores. */
extern int cli_reader_threads;
int cli_open_parquet_stream(const char *verb, const char *file, char *cols, int64_t batch_rows,
                            const struct prestige_predicate *filter, struct prestige_parquet_reader **reader, struct ArrowArrayStream *st,
                            struct ArrowSchema *schema);

/* Progress bar on stderr, only when stderr is a terminal and not quiet. */
typedef struct cli_progress {
  bool enabled;
  int64_t start_ns, last_ns;
  int64_t total_bytes; /* 0 when unknown */
} cli_progress_t;
void cli_progress_init(cli_progress_t *p, bool quiet, int64_t total_bytes);
void cli_progress_update(cli_progress_t *p, int64_t rows, int64_t bytes);
void cli_progress_done(cli_progress_t *p);

/* URL arguments (url.c). */
struct prestige_input;
struct prestige_store;
bool cli_is_s3(const char *arg);
const char *cli_local_path(const char *arg); /* strips file:// */
int cli_split_s3(const char *url, struct prestige_store **st, char **key, prestige_error_t *err);
int cli_open_input(const char *arg, struct prestige_input *in, prestige_error_t *err);
char *cli_temp_name(const char *name, int *fd_out);
int cli_fetch_to_temp(const char *url, char **tmp_path, prestige_error_t *err);
int cli_upload_file(const char *path, const char *url, prestige_error_t *err);
/* --metrics ADDR:PORT on long-running verbs (metrics_opt.c): "127.0.0.1:9464", "[::1]:9464",
 * "0.0.0.0:9464", ":9464" (every interface) or "9464" (loopback); port 0 picks a free one. */
#define CLI_METRICS_USAGE                                                                                 \
  "--metrics ADDR:PORT serves Prometheus metrics at http://ADDR:PORT/metrics while it runs (ADDR:PORT,\n" \
  "[IPv6]:PORT, :PORT for every interface, PORT alone for loopback; port 0 picks a free one, printed on\n" \
  "standard error).\n"
/* 0 and the address and port, or -1 when spec is malformed (a usage error). */
int cli_metrics_parse(const char *spec, char *addr, size_t cap, uint16_t *port);
/* Switches to the registry backend and serves it; prints the URL on stderr. */
int cli_metrics_start(const char *verb, const char *spec, prestige_error_t *err);
void cli_metrics_stop(void);

/* Transfers a signal stops (PRESTIGE_ECANCELED, nothing left behind). prog may be NULL.
 * Download of an s3:// URL: the store's parallel ranged download into <path>.prestige-tmp-XXXXXX,
 * renamed when complete, run in a child process that a signal kills (its temporary file removed);
 * progress draws a bar on a terminal. */
int cli_download_url(const char *url, const char *path, bool progress, prestige_error_t *err);
/* Streams a local file into out (closed when complete, aborted on failure or a signal). */
struct prestige_output;
int cli_upload_output(const char *path, struct prestige_output *out, cli_progress_t *prog, prestige_error_t *err);
/* Uploads a regular file to key of st straight from the file (parts read where they lie), a
 * signal stopping it between parts (a multipart upload is aborted). */
int cli_upload_regular(struct prestige_store *st, const char *key, const char *path, cli_progress_t *prog, prestige_error_t *err);
/* Local file to local file through <dst>.prestige-tmp-XXXXXX. */
int cli_copy_local(const char *src, const char *dst, cli_progress_t *prog, prestige_error_t *err);
/* Parses a time argument: epoch milliseconds, or ISO 8601 (2024-11-20T10:00:00Z, 2024-11-20). */
int cli_parse_time_ms(const char *s, int64_t *out);

/* Signals (signals.c): SIGINT/SIGTERM are recorded for the verb's loop to see; a second one ends
 * the process at once. Install before starting any thread. */
void cli_signals_install(void);
int cli_signal_received(void); /* the signal number, or 0 */
/* Prints "prestige VERB: stopped by SIGTERM; WHAT" and returns 128 + the signal. */
int cli_interrupted(const char *verb, const char *what);
/* For a verb that blocks in one library call: a thread that triggers stop when a signal is
 * recorded (a handler must not lock), until cli_signal_watch_end. */
typedef struct cli_signal_watch {
  prestige_shutdown_t *stop;
  _Atomic int done;
  pthread_t th;
  bool running;
} cli_signal_watch_t;
void cli_signal_watch_begin(cli_signal_watch_t *w, prestige_shutdown_t *stop);
void cli_signal_watch_end(cli_signal_watch_t *w);

/* The text reader's on_ignored callback: one line on stderr per skipped JSON key or CSV column
 * (user_data: the verb's name). */
void cli_text_ignored(void *verb, const char *name, int64_t line);

/* Option values (options.c): every numeric option of every verb goes through these, so "abc",
 * "-1" where only positive values make sense, a 20-digit number or "zstd:99" are usage errors
 * naming the option, never a silent default. Each returns 0, or prints the complaint with the
 * verb's usage and returns CLI_USAGE_ERROR. */
/* The whole of val as a base-10 integer in [min, max]. */
int cli_opt_int(const cli_verb_t *v, const char *opt, const char *val, int64_t min, int64_t max, int64_t *out);
/* A duration: a number with a unit ms, s (the default), m, h or d, in [min_ms, max_ms]. */
int cli_opt_duration_ms(const cli_verb_t *v, const char *opt, const char *val, int64_t min_ms, int64_t max_ms, int64_t *out);
/* "codec" or "codec:level" (levels: zstd 1..22, gzip 0..9, brotli 0..11; other codecs have none).
 * *level is INT32_MIN when none is given. */
int cli_opt_compression(const cli_verb_t *v, const char *opt, const char *val, int *codec, int *level);

#endif
