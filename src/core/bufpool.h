/*
 * A cache of large heap blocks for a reader's decoded buffers: the blocks of a row group the
 * consumer released are handed to the next row group instead of going back to malloc, which
 * would give them back to the kernel (munmap, heap trim) and fault fresh pages in again, on
 * every row group and worse with several threads (each with its own malloc arena). Blocks are
 * malloc'd (fresh ones 64-byte aligned; free() frees them) so whoever ends up with one may free
 * it, grow it with realloc or give it back.
 * Fresh blocks of 1 MiB and more are prefaulted (MADV_POPULATE_WRITE, one call instead of a trap
 * per page; ignored by kernels before 5.14): they are about to be written whole.
 * Thread-safe; reference counted (the reader and each batch it handed out hold a reference).
 */
#ifndef PRESTIGE_CORE_BUFPOOL_H
#define PRESTIGE_CORE_BUFPOOL_H

#include <stddef.h>

typedef struct bufpool bufpool_t;

#define BUFPOOL_MIN_BLOCK ((size_t)64 << 10) /* smaller blocks are malloc's business */

/* A pool keeping at most max_bytes of blocks; NULL on ENOMEM. One reference. */
bufpool_t *bufpool_new(size_t max_bytes);
void bufpool_ref(bufpool_t *p);
void bufpool_unref(bufpool_t *p); /* the last reference frees the kept blocks */
/* A block of at least n bytes (a kept one when one fits, at most twice n), its usable size in
 * *cap; NULL on ENOMEM. p may be NULL (then it is a plain allocation). */
void *bufpool_get(bufpool_t *p, size_t n, size_t *cap);
/* Gives block b (malloc'd, may be NULL) back: kept for reuse, or freed when small or the pool
 * is full. p may be NULL (then b is freed). */
void bufpool_put(bufpool_t *p, void *b);
/* How many bufpool_get calls were served with a kept block (0 for NULL). */
size_t bufpool_reused(bufpool_t *p);

#endif
