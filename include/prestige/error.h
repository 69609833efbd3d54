/*
 * prestige/error.h — error values shared by every prestige component.
 *
 * Every fallible function returns an int: 0 (PRESTIGE_OK) on success, a PRESTIGE_E* code
 * otherwise, and takes a prestige_error_t * as its last argument (which may be NULL). The
 * error holds the code and a message naming what failed and where (file or key, row group,
 * column path, byte offset, HTTP status and request id).
 *
 *   prestige_error_t err;
 *   prestige_error_init(&err);
 *   prestige_parquet_reader_t *r;
 *   if (prestige_parquet_reader_open_file(&r, "in.parquet", NULL, &err) != PRESTIGE_OK) {
 *     fprintf(stderr, "%s: %s\n", prestige_code_name(err.code), err.message);
 *     return 1;
 *   }
 *   prestige_parquet_reader_close(r);
 */
#ifndef PRESTIGE_ERROR_H
#define PRESTIGE_ERROR_H

#include "prestige/api.h"

#include <stdarg.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum prestige_code {
  PRESTIGE_OK = 0,
  PRESTIGE_EINVAL = 1,       /* invalid argument or option */
  PRESTIGE_ENOMEM = 2,       /* allocation failed or an input-driven size exceeded a cap */
  PRESTIGE_EIO = 3,          /* operating-system I/O error */
  PRESTIGE_ENOTFOUND = 4,    /* file, object, column or key not found */
  PRESTIGE_ECORRUPT = 5,     /* malformed input: Parquet, Thrift, Avro, JSON, XML, CSV */
  PRESTIGE_EUNSUPPORTED = 6, /* valid input using a feature prestige does not support */
  PRESTIGE_ETYPE = 7,        /* schema or type mismatch */
  PRESTIGE_EEXISTS = 8,      /* object or file already exists (conditional create) */
  PRESTIGE_ENET = 9,         /* network transport failure (connect, reset, TLS) */
  PRESTIGE_EHTTP = 10,       /* server answered with an error status */
  PRESTIGE_EAUTH = 11,       /* credentials missing or rejected */
  PRESTIGE_ESHUTDOWN = 12,   /* component has been shut down */
  PRESTIGE_ETIMEOUT = 13,    /* operation timed out */
  PRESTIGE_ENOSPC = 14,      /* no space left on device */
  PRESTIGE_ECANCELED = 15,   /* operation canceled by the caller */
  PRESTIGE_ECONFLICT = 16,   /* concurrent modification (optimistic commit lost) */
  PRESTIGE_EINTERNAL = 17,   /* a bug in prestige: an invariant did not hold */
  PRESTIGE_EUNKNOWN_STATE = 18, /* a commit's outcome is unknown (the server failed or the connection dropped after
                                  the request was sent); Java's CommitStateUnknownException. Iceberg operations
                                  resolve it themselves by reloading the table; it reaches the caller only when
                                  that resolution also fails. */
  PRESTIGE_EBUSY = 19          /* the object is still in use (a sink closed while clients are alive) */
} prestige_code_t;

#define PRESTIGE_ERROR_MESSAGE_SIZE 1024

typedef struct prestige_error {
  int code;
  char message[PRESTIGE_ERROR_MESSAGE_SIZE];
} prestige_error_t;

/* Sets code to PRESTIGE_OK and the message to "". */
PRESTIGE_API void prestige_error_init(prestige_error_t *err);

/* Stable upper-case name of a code, e.g. "ECORRUPT"; "EUNKNOWN" for unknown codes. */
PRESTIGE_API const char *prestige_code_name(int code);

/* Records code and a printf-style message in err (if non-NULL). Returns code, so that
 * `return prestige_error_set(err, PRESTIGE_EINVAL, "...")` reads naturally. */
PRESTIGE_API int prestige_error_set(prestige_error_t *err, int code, const char *fmt, ...)
                 __attribute__((format(printf, 3, 4)));
PRESTIGE_API int prestige_error_setv(prestige_error_t *err, int code, const char *fmt, va_list ap);

/* Prepends context to an existing message: "<context>: <old message>". Returns err->code (when
 * err is NULL: the code of the last error set on this thread). Use when propagating outward. */
PRESTIGE_API int prestige_error_prefix(prestige_error_t *err, const char *fmt, ...)
                 __attribute__((format(printf, 2, 3)));

/* Propagate a non-zero return code. */
#define PRESTIGE_TRY(expr)        \
  do {                            \
    int prestige_try_rc_ = (expr); \
    if (prestige_try_rc_ != 0)     \
      return prestige_try_rc_;     \
  } while (0)

/* For the library's own entry points: when err is NULL, points it at a local error (code and
 * message set to OK and ""), so that everything below may read err->code and err->message and
 * the function still returns the real code. */
#define PRESTIGE_ERR_LOCAL(err)                        \
  prestige_error_t prestige_err_local_##err##_;        \
  if (!(err)) {                                        \
    prestige_err_local_##err##_.code = PRESTIGE_OK;    \
    prestige_err_local_##err##_.message[0] = '\0';     \
    (err) = &prestige_err_local_##err##_;              \
  }

#ifdef __cplusplus
}
#endif

#endif /* PRESTIGE_ERROR_H */
