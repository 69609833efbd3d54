#include "records/copy.h"

#include <stdbool.h>
#include <string.h>

static int copy_payload(const void **ptr, size_t len, arena_t *a) {
  if (!*ptr || !len) return 0;
  void *c = arena_alloc(a, len);
  if (!c) return PRESTIGE_ENOMEM;
  memcpy(c, *ptr, len);
  *ptr = c;
  return 0;
}

int records_copy(const prestige_record_desc_t *d, const void *src, void *dst, arena_t *a) {
  memcpy(dst, src, d->size);
  for (size_t i = 0; i < d->n_fields; i++) {
    const prestige_field_desc_t *f = &d->fields[i];
    uint8_t *m = (uint8_t *)dst + f->offset;
    if (f->optional && !*(const bool *)m) continue;
    uint8_t *v = m + (f->optional ? f->value_offset : 0);
    if (f->kind == PRESTIGE_KIND_STRING || f->kind == PRESTIGE_KIND_BYTES) {
      prestige_bytes_t *b = (prestige_bytes_t *)v; /* prestige_str_t has the same layout */
      if (copy_payload((const void **)&b->ptr, b->len, a)) return PRESTIGE_ENOMEM;
    } else if (f->kind == PRESTIGE_KIND_LIST) {
      prestige_list_t *l = (prestige_list_t *)v;
      size_t es = records_kind_size(f->element_kind);
      if (!l->items || !l->len) continue;
      if (copy_payload(&l->items, l->len * es, a)) return PRESTIGE_ENOMEM;
      if (f->element_kind == PRESTIGE_KIND_STRING) {
        prestige_str_t *items = (prestige_str_t *)l->items;
        for (size_t k = 0; k < l->len; k++)
          if (copy_payload((const void **)&items[k].ptr, items[k].len, a)) return PRESTIGE_ENOMEM;
      }
    }
  }
  return 0;
}
