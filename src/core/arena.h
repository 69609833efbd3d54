/*
 * Bump allocator: many small allocations freed together (decoded Thrift metadata, strings of
 * records converted from Arrow). Allocations are 16-byte aligned.
 */
#ifndef PRESTIGE_CORE_ARENA_H
#define PRESTIGE_CORE_ARENA_H

#include <stddef.h>

typedef struct arena_chunk arena_chunk_t;
typedef struct arena {
  arena_chunk_t *head;
  size_t total;         /* bytes handed out, for caps on input-driven growth */
  arena_chunk_t *spare; /* chunks kept by arena_reset, reused before allocating new ones */
} arena_t;

#define ARENA_INIT {NULL, 0, NULL}

void *arena_alloc(arena_t *a, size_t n);                 /* NULL on ENOMEM; never zeroed */
void *arena_calloc(arena_t *a, size_t count, size_t size); /* zeroed; checks overflow */
char *arena_strndup(arena_t *a, const char *s, size_t n); /* NUL-terminated copy */
/* Forgets every allocation but keeps the chunks for the next ones: a decoder that resets per
 * block does not return memory to malloc (and the kernel) and ask for it again each time. */
void arena_reset(arena_t *a);
void arena_release(arena_t *a);

#endif
