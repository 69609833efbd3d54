#include "records/copy.h"

#include <stdbool.h>
#include <string.h>

#include "core/utf8.h"

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

static int check_str(const prestige_str_t *v, const char *field, size_t elem, bool is_elem, prestige_error_t *err) {
  size_t len = v->ptr ? v->len : 0;
  size_t at = utf8_check((const uint8_t *)v->ptr, len);
  if (at == len) return 0;
  if (is_elem)
    return prestige_error_set(err, PRESTIGE_ECORRUPT, "field %s, element %zu: invalid UTF-8 at byte %zu of the string", field,
                              elem, at + 1);
  return prestige_error_set(err, PRESTIGE_ECORRUPT, "field %s: invalid UTF-8 at byte %zu of the string", field, at + 1);
}

int records_check_utf8(const prestige_record_desc_t *d, const void *record, prestige_error_t *err) {
  for (size_t i = 0; i < d->n_fields; i++) {
    const prestige_field_desc_t *f = &d->fields[i];
    const uint8_t *m = (const uint8_t *)record + f->offset;
    if (f->optional && !*(const bool *)m) continue;
    const uint8_t *v = m + (f->optional ? f->value_offset : 0);
    if (f->kind == PRESTIGE_KIND_STRING) {
      PRESTIGE_TRY(check_str((const prestige_str_t *)v, f->name, 0, false, err));
    } else if (f->kind == PRESTIGE_KIND_LIST && f->element_kind == PRESTIGE_KIND_STRING) {
      const prestige_list_t *l = (const prestige_list_t *)v;
      const prestige_str_t *items = l->items;
      for (size_t k = 0; items && k < l->len; k++) PRESTIGE_TRY(check_str(&items[k], f->name, k, true, err));
    }
  }
  return 0;
}
