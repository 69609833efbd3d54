/* Parquet writer dictionary: the hash table of a chunk's distinct values, and the decision whether
 * the dictionary pays. */
#include "parquet/writer_column_internal.h"

int pqw_dict_grow(pqw_column_t *c) {
  uint32_t n = c->n_slots ? c->n_slots * 2 : 1024;
  uint32_t *slots = calloc(n, sizeof(uint32_t));
  if (!slots) return PRESTIGE_ENOMEM;
  bool var = c->leaf->physical == PRESTIGE_PHYSICAL_BYTE_ARRAY;
  for (uint32_t e = 0; e < c->dict_n; e++) {
    const uint8_t *p = c->dict.data + c->dict_offsets[e];
    size_t len;
    if (var) {
      len = load_le32(p);
      p += 4;
    } else {
      len = c->leaf->physical == PRESTIGE_PHYSICAL_FIXED_LEN_BYTE_ARRAY ? (size_t)c->leaf->type_length
            : c->leaf->physical == PRESTIGE_PHYSICAL_INT32 || c->leaf->physical == PRESTIGE_PHYSICAL_FLOAT ? 4 : 8;
    }
    uint32_t h = (uint32_t)hash_bytes(p, len) & (n - 1);
    while (slots[h]) h = (h + 1) & (n - 1);
    slots[h] = e + 1;
  }
  free(c->slots);
  c->slots = slots;
  c->n_slots = n;
  return 0;
}

int pqw_page_seen_grow(pqw_column_t *c, uint32_t bits) {
  uint32_t cap = c->page_seen_cap ? c->page_seen_cap : 1024;
  while (cap < bits) cap *= 2;
  uint64_t *p = realloc(c->page_seen, cap / 8);
  if (!p) return PRESTIGE_ENOMEM;
  memset((uint8_t *)p + c->page_seen_cap / 8, 0, (cap - c->page_seen_cap) / 8);
  c->page_seen = p;
  c->page_seen_cap = cap;
  return 0;
}

void pqw_page_seen_reset(pqw_column_t *c) {
  if (c->page_seen) memset(c->page_seen, 0, ((size_t)(c->dict_n < c->page_seen_cap ? c->dict_n : c->page_seen_cap) + 63) / 64 * 8);
}

void pqw_dict_reset(pqw_column_t *c) {
  pqw_page_seen_reset(c);
  buf_clear(&c->dict);
  c->dict_n = 0;
  if (c->slots) memset(c->slots, 0, c->n_slots * sizeof(uint32_t));
}

/* The first page of a chunk decides whether the dictionary pays (as parquet-mr does): when the
 * dictionary plus its indices are not clearly smaller than the plain values, the page's indices
 * are turned back into values and the chunk continues without a dictionary. */
int pqw_check_dictionary(pqw_column_t *c, prestige_error_t *err) {
  const pqw_leaf_t *l = c->leaf;
  if (!c->dict_on || c->used_dict || c->n_pages > 0) return 0;
  size_t n = c->indices.len / 4;
  if (n == 0) return 0;
  bool var = l->physical == PRESTIGE_PHYSICAL_BYTE_ARRAY;
  size_t width = l->physical == PRESTIGE_PHYSICAL_FIXED_LEN_BYTE_ARRAY ? (size_t)l->type_length
                 : l->physical == PRESTIGE_PHYSICAL_INT32 || l->physical == PRESTIGE_PHYSICAL_FLOAT ? 4
                                                                                                    : 8;
  const uint32_t *idx = (const uint32_t *)c->indices.data;
  size_t plain = 0;
  if (var) {
    for (size_t i = 0; i < n; i++) plain += 4 + load_le32(c->dict.data + c->dict_offsets[idx[i]]);
  } else {
    plain = n * width;
  }
  size_t encoded = c->dict.len + (n * (size_t)pq_bit_width(c->dict_n) + 7) / 8;
  if (encoded * 10 < plain * 9) return 0; /* at least 10% smaller: keep it */
  buf_clear(&c->values);
  if (buf_reserve(&c->values, plain)) return pqw_oom(err, c);
  for (size_t i = 0; i < n; i++) {
    const uint8_t *p = c->dict.data + c->dict_offsets[idx[i]];
    size_t len = var ? 4 + load_le32(p) : width;
    memcpy(c->values.data + c->values.len, p, len);
    c->values.len += len;
  }
  buf_clear(&c->indices);
  c->dict_on = false;
  pqw_dict_reset(c);
  return 0;
}
