/* A decoded-buffer pool shared between readers; see reader_bufpool.h. */
#include "parquet/reader_bufpool.h"

#include "parquet/reader_internal.h"

void pq_reader_share_bufpool(prestige_parquet_reader_t *r, bufpool_t *p) {
  if (!r || !p || r->bufs == p) return;
  bufpool_ref(p);
  bufpool_unref(r->bufs);
  r->bufs = p;
}
