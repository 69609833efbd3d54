/* ArrowArrayStream wiring: see stream.h. */
#include "arrow/stream.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

typedef struct wired {
  const arrow_stream_ops_t *ops;
  void *state;
  prestige_error_t err;
} wired_t;

static const struct {
  int code, errnum;
} errno_map[] = {
    {PRESTIGE_EINVAL, EINVAL},       {PRESTIGE_ENOMEM, ENOMEM},       {PRESTIGE_EIO, EIO},
    {PRESTIGE_ENOTFOUND, ENOENT},    {PRESTIGE_ECORRUPT, EBADMSG},    {PRESTIGE_EUNSUPPORTED, ENOTSUP},
    {PRESTIGE_ETYPE, EDOM},          {PRESTIGE_EEXISTS, EEXIST},      {PRESTIGE_ENET, ENETDOWN},
    {PRESTIGE_EHTTP, EPROTO},        {PRESTIGE_EAUTH, EACCES},        {PRESTIGE_ESHUTDOWN, ESHUTDOWN},
    {PRESTIGE_ETIMEOUT, ETIMEDOUT},  {PRESTIGE_ENOSPC, ENOSPC},       {PRESTIGE_ECANCELED, ECANCELED},
    {PRESTIGE_ECONFLICT, EAGAIN},    {PRESTIGE_EINTERNAL, ENOTRECOVERABLE},
    {PRESTIGE_EUNKNOWN_STATE, EINPROGRESS},  {PRESTIGE_EBUSY, EBUSY},
};
#define N_MAP (sizeof(errno_map) / sizeof(errno_map[0]))

int arrow_stream_errno(int code) {
  if (!code) return 0;
  for (size_t i = 0; i < N_MAP; i++)
    if (errno_map[i].code == code) return errno_map[i].errnum;
  return EIO;
}

int arrow_stream_code(int errnum) {
  if (!errnum) return 0;
  for (size_t i = 0; i < N_MAP; i++)
    if (errno_map[i].errnum == errnum) return errno_map[i].code;
  return PRESTIGE_EIO;
}

int arrow_stream_fail(struct ArrowArrayStream *st, int errnum, const char *what, prestige_error_t *err) {
  const char *m = st && st->get_last_error ? st->get_last_error(st) : NULL;
  if (!m || !*m) m = "stream read failed";
  int code = arrow_stream_code(errnum);
  return what ? prestige_error_set(err, code, "%s: %s", what, m) : prestige_error_set(err, code, "%s", m);
}

static int w_get_schema(struct ArrowArrayStream *st, struct ArrowSchema *out) {
  wired_t *w = st->private_data;
  prestige_error_init(&w->err);
  return arrow_stream_errno(w->ops->get_schema(w->state, out, &w->err));
}

static int w_get_next(struct ArrowArrayStream *st, struct ArrowArray *out) {
  wired_t *w = st->private_data;
  memset(out, 0, sizeof(*out));
  prestige_error_init(&w->err);
  return arrow_stream_errno(w->ops->get_next(w->state, out, &w->err));
}

static const char *w_last_error(struct ArrowArrayStream *st) {
  wired_t *w = st->private_data;
  return w->err.message;
}

static void w_release(struct ArrowArrayStream *st) {
  if (!st->release) return;
  wired_t *w = st->private_data;
  w->ops->free(w->state);
  free(w);
  st->release = NULL;
  st->private_data = NULL;
}

int arrow_stream_make(struct ArrowArrayStream *out, const arrow_stream_ops_t *ops, void *state, prestige_error_t *err) {
  memset(out, 0, sizeof(*out));
  wired_t *w = calloc(1, sizeof(*w));
  if (!w) {
    ops->free(state);
    return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory creating a stream");
  }
  w->ops = ops;
  w->state = state;
  out->get_schema = w_get_schema;
  out->get_next = w_get_next;
  out->get_last_error = w_last_error;
  out->release = w_release;
  out->private_data = w;
  return 0;
}

void *arrow_stream_state(struct ArrowArrayStream *st, const arrow_stream_ops_t *ops) {
  if (!st || !st->release || st->release != w_release) return NULL;
  wired_t *w = st->private_data;
  return w && w->ops == ops ? w->state : NULL;
}
