#include "prestige/error.h"

#include <stdio.h>
#include <string.h>

void prestige_error_init(prestige_error_t *err) {
  if (!err) return;
  err->code = PRESTIGE_OK;
  err->message[0] = '\0';
}

const char *prestige_code_name(int code) {
  static const char *const names[] = {
      "OK",     "EINVAL",    "ENOMEM",     "EIO",      "ENOTFOUND", "ECORRUPT",
      "EUNSUPPORTED", "ETYPE", "EEXISTS",  "ENET",     "EHTTP",     "EAUTH",
      "ESHUTDOWN", "ETIMEOUT", "ENOSPC",   "ECANCELED", "ECONFLICT", "EINTERNAL", "EUNKNOWN_STATE", "EBUSY"};
  if (code < 0 || (size_t)code >= sizeof(names) / sizeof(names[0])) return "EUNKNOWN";
  return names[code];
}

/* The code of the last error set on this thread, for prestige_error_prefix(NULL, ...): a caller
 * that passed no error still gets the real code back. */
static _Thread_local int last_code;

int prestige_error_setv(prestige_error_t *err, int code, const char *fmt, va_list ap) {
  last_code = code;
  if (err) {
    err->code = code;
    vsnprintf(err->message, sizeof(err->message), fmt, ap);
  }
  return code;
}

int prestige_error_set(prestige_error_t *err, int code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  prestige_error_setv(err, code, fmt, ap);
  va_end(ap);
  return code;
}

int prestige_error_prefix(prestige_error_t *err, const char *fmt, ...) {
  if (!err) return last_code != PRESTIGE_OK ? last_code : PRESTIGE_EINTERNAL;
  char ctx[PRESTIGE_ERROR_MESSAGE_SIZE];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(ctx, sizeof(ctx), fmt, ap);
  va_end(ap);
  if (n < 0) return err->code;
  /* Build "<ctx>: <old>" in place: shift the old message right, then copy ctx in front. */
  size_t clen = strlen(ctx), olen = strlen(err->message), cap = sizeof(err->message) - 1;
  if (clen + 2 > cap) clen = cap - 2;
  size_t keep = olen < cap - clen - 2 ? olen : cap - clen - 2;
  memmove(err->message + clen + 2, err->message, keep);
  memcpy(err->message, ctx, clen);
  err->message[clen] = ':';
  err->message[clen + 1] = ' ';
  err->message[clen + 2 + keep] = '\0';
  if (err->code == PRESTIGE_OK) err->code = PRESTIGE_EINTERNAL;
  return err->code;
}
