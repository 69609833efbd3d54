/*
 * Sharing one decoded-buffer pool (core/bufpool.h) between Parquet readers: a reader recycles the
 * buffers of the row groups its consumer released into its own pool, so a file of one or two row
 * groups (the usual Iceberg data file) gets nothing back. A scan reading many files hands all
 * its readers one pool instead, so each file's row groups reuse the blocks of the files before
 * it rather than faulting fresh pages in (see src/iceberg/scan_read.c).
 */
#ifndef PRESTIGE_PARQUET_READER_BUFPOOL_H
#define PRESTIGE_PARQUET_READER_BUFPOOL_H

#include "core/bufpool.h"
#include "prestige/parquet_reader.h"

/* Makes r decode into (and recycle into) pool p, which it references (the reader's own pool is
 * dropped). Call after opening and before reading anything; p NULL leaves r as it is. */
void pq_reader_share_bufpool(prestige_parquet_reader_t *r, bufpool_t *p);

#endif
