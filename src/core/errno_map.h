/*
 * core/errno_map.h — the errno values ArrowArrayStream callbacks return (the C stream interface
 * speaks errno), mapped from and back to PRESTIGE_E* codes, so that a consumer of a prestige
 * stream, and prestige consuming its own streams, keep the real error class across the boundary.
 */
#ifndef PRESTIGE_CORE_ERRNO_MAP_H
#define PRESTIGE_CORE_ERRNO_MAP_H

#include <errno.h>

#include "prestige/error.h"

static inline int code_to_errno(int code) {
  switch (code) {
    case PRESTIGE_OK: return 0;
    case PRESTIGE_EINVAL: return EINVAL;
    case PRESTIGE_ENOMEM: return ENOMEM;
    case PRESTIGE_ENOTFOUND: return ENOENT;
    case PRESTIGE_ECORRUPT: return EBADMSG;
    case PRESTIGE_EUNSUPPORTED: return ENOTSUP;
    case PRESTIGE_ETYPE: return EPROTOTYPE;
    case PRESTIGE_EEXISTS: return EEXIST;
    case PRESTIGE_ENET: return ECONNABORTED;
    case PRESTIGE_EHTTP: return EPROTO;
    case PRESTIGE_EAUTH: return EACCES;
    case PRESTIGE_ESHUTDOWN: return ESHUTDOWN;
    case PRESTIGE_ETIMEOUT: return ETIMEDOUT;
    case PRESTIGE_ENOSPC: return ENOSPC;
    case PRESTIGE_ECANCELED: return ECANCELED;
    case PRESTIGE_ECONFLICT: return EAGAIN;
    case PRESTIGE_EBUSY: return EBUSY;
    default: return EIO; /* EIO, EINTERNAL, EUNKNOWN_STATE */
  }
}

/* The prestige code for an errno a stream callback returned (any producer's). */
static inline int errno_to_code(int e) {
  switch (e) {
    case 0: return PRESTIGE_OK;
    case EINVAL: return PRESTIGE_EINVAL;
    case ENOMEM: return PRESTIGE_ENOMEM;
    case ENOENT: return PRESTIGE_ENOTFOUND;
    case EBADMSG: return PRESTIGE_ECORRUPT;
    case ENOTSUP: return PRESTIGE_EUNSUPPORTED;
    case EPROTOTYPE: return PRESTIGE_ETYPE;
    case EEXIST: return PRESTIGE_EEXISTS;
    case ECONNABORTED: return PRESTIGE_ENET;
    case EPROTO: return PRESTIGE_EHTTP;
    case EACCES: return PRESTIGE_EAUTH;
    case ESHUTDOWN: return PRESTIGE_ESHUTDOWN;
    case ETIMEDOUT: return PRESTIGE_ETIMEOUT;
    case ENOSPC: return PRESTIGE_ENOSPC;
    case ECANCELED: return PRESTIGE_ECANCELED;
    case EAGAIN: return PRESTIGE_ECONFLICT;
    case EBUSY: return PRESTIGE_EBUSY;
    default: return PRESTIGE_EIO;
  }
}

#endif /* PRESTIGE_CORE_ERRNO_MAP_H */
