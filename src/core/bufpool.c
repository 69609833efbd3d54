/* Block cache for decoded buffers; see core/bufpool.h. */
#include "core/bufpool.h"

#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#define BUFPOOL_MAX_BLOCKS 256
#define BUFPOOL_POPULATE_MIN ((size_t)1 << 20) /* blocks this big are prefaulted */

struct bufpool {
  pthread_mutex_t mu;
  atomic_int refs;
  size_t max_bytes, bytes;
  int n;
  atomic_size_t reused;
  struct block {
    void *p;
    size_t size;
  } b[BUFPOOL_MAX_BLOCKS];
};

bufpool_t *bufpool_new(size_t max_bytes) {
  bufpool_t *p = calloc(1, sizeof(*p));
  if (!p) return NULL;
  pthread_mutex_init(&p->mu, NULL);
  atomic_init(&p->refs, 1);
  p->max_bytes = max_bytes;
  return p;
}

void bufpool_ref(bufpool_t *p) {
  if (p) atomic_fetch_add(&p->refs, 1);
}

void bufpool_unref(bufpool_t *p) {
  if (!p || atomic_fetch_sub(&p->refs, 1) != 1) return;
  for (int i = 0; i < p->n; i++) free(p->b[i].p);
  pthread_mutex_destroy(&p->mu);
  free(p);
}

/* A fresh block of a pool is about to be written whole (decoded values): its pages are faulted
 * in with one madvise rather than one trap per 4 KiB page, which costs several times more (and
 * far more on virtual machines). Best effort: kernels before 5.14 refuse it, nothing changes. */
static void populate(void *b, size_t n) {
#ifdef MADV_POPULATE_WRITE
  if (n < BUFPOOL_POPULATE_MIN) return;
  static long page;
  if (!page) page = sysconf(_SC_PAGESIZE) > 0 ? sysconf(_SC_PAGESIZE) : 4096;
  uintptr_t lo = ((uintptr_t)b + (uintptr_t)page - 1) & ~((uintptr_t)page - 1);
  uintptr_t hi = ((uintptr_t)b + n) & ~((uintptr_t)page - 1);
  if (hi > lo) (void)madvise((void *)lo, hi - lo, MADV_POPULATE_WRITE);
#else
  (void)b;
  (void)n;
#endif
}

void *bufpool_get(bufpool_t *p, size_t n, size_t *cap) {
  if (p && n >= BUFPOOL_MIN_BLOCK) {
    pthread_mutex_lock(&p->mu);
    int best = -1;
    for (int i = 0; i < p->n; i++) /* the smallest block that holds n, wasting at most n */
      if (p->b[i].size >= n && p->b[i].size / 2 <= n && (best < 0 || p->b[i].size < p->b[best].size)) best = i;
    if (best >= 0) {
      void *b = p->b[best].p;
      *cap = p->b[best].size;
      p->bytes -= p->b[best].size;
      p->b[best] = p->b[--p->n];
      pthread_mutex_unlock(&p->mu);
      atomic_fetch_add_explicit(&p->reused, 1, memory_order_relaxed);
      return b;
    }
    pthread_mutex_unlock(&p->mu);
  }
  size_t m = (n + 63) & ~(size_t)63;
  void *b = NULL;
  if (posix_memalign(&b, 64, m ? m : 64)) return NULL;
  *cap = malloc_usable_size(b);
  populate(b, *cap);
  return b;
}

size_t bufpool_reused(bufpool_t *p) { return p ? atomic_load_explicit(&p->reused, memory_order_relaxed) : 0; }

void bufpool_put(bufpool_t *p, void *b) {
  if (!b) return;
  size_t size = p ? malloc_usable_size(b) : 0;
  if (p && size >= BUFPOOL_MIN_BLOCK) {
    pthread_mutex_lock(&p->mu);
    if (p->n < BUFPOOL_MAX_BLOCKS && p->bytes + size <= p->max_bytes) {
      p->b[p->n++] = (struct block){b, size};
      p->bytes += size;
      b = NULL;
    }
    pthread_mutex_unlock(&p->mu);
  }
  free(b);
}
