#include "core/buf.h"

#include <stdlib.h>

void buf_init(buf_t *b) {
  b->data = NULL;
  b->len = 0;
  b->cap = 0;
}

void buf_release(buf_t *b) {
  free(b->data);
  buf_init(b);
}

int buf_grow(buf_t *b, size_t additional) {
  if (additional > SIZE_MAX - b->len) return PRESTIGE_ENOMEM;
  size_t need = b->len + additional;
  if (need <= b->cap) return 0;
  size_t cap = b->cap ? b->cap : 64;
  while (cap < need) cap = cap > SIZE_MAX / 2 ? need : cap * 2;
  uint8_t *p = realloc(b->data, cap);
  if (!p) return PRESTIGE_ENOMEM;
  b->data = p;
  b->cap = cap;
  return 0;
}

int buf_resize(buf_t *b, size_t new_len) {
  if (new_len > b->len) {
    if (buf_reserve(b, new_len - b->len)) return PRESTIGE_ENOMEM;
    memset(b->data + b->len, 0, new_len - b->len);
  }
  b->len = new_len;
  return 0;
}

uint8_t *buf_detach(buf_t *b, size_t *len_out) {
  uint8_t *p = b->data;
  if (len_out) *len_out = b->len;
  buf_init(b);
  return p;
}
