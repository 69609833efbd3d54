#include "core/arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct arena_chunk {
  arena_chunk_t *next;
  size_t used, cap;
  _Alignas(16) unsigned char data[];
};

void *arena_alloc(arena_t *a, size_t n) {
  n = (n + 15) & ~(size_t)15;
  if (n == 0) n = 16;
  arena_chunk_t *c = a->head;
  if (!c || c->cap - c->used < n) {
    if (a->spare && a->spare->cap >= n) {
      c = a->spare;
      a->spare = c->next;
    } else {
      size_t cap = n > 32768 ? n : 32768;
      if (cap > SIZE_MAX - sizeof(arena_chunk_t)) return NULL;
      c = malloc(sizeof(arena_chunk_t) + cap);
      if (!c) return NULL;
      c->cap = cap;
    }
    c->used = 0;
    c->next = a->head;
    a->head = c;
  }
  void *p = c->data + c->used;
  c->used += n;
  a->total += n;
  return p;
}

void *arena_calloc(arena_t *a, size_t count, size_t size) {
  if (size && count > SIZE_MAX / size) return NULL;
  void *p = arena_alloc(a, count * size);
  if (p) memset(p, 0, count * size);
  return p;
}

char *arena_strndup(arena_t *a, const char *s, size_t n) {
  char *p = arena_alloc(a, n + 1);
  if (!p) return NULL;
  memcpy(p, s, n);
  p[n] = '\0';
  return p;
}

void arena_reset(arena_t *a) {
  while (a->head) {
    arena_chunk_t *c = a->head;
    a->head = c->next;
    c->next = a->spare;
    a->spare = c;
  }
  a->total = 0;
}

static void free_chunks(arena_chunk_t *c) {
  while (c) {
    arena_chunk_t *n = c->next;
    free(c);
    c = n;
  }
}

void arena_release(arena_t *a) {
  free_chunks(a->head);
  free_chunks(a->spare);
  a->head = a->spare = NULL;
  a->total = 0;
}
