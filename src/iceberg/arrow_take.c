/* Row gathering across batches (see arrow_take.h). */
#include "iceberg/arrow_take.h"

#include <stdlib.h>
#include <string.h>

typedef struct pref {
  uint32_t chunk;
  int64_t phys; /* physical index into that chunk's array (its offset included) */
} pref_t;

static int oom(prestige_error_t *err) { return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory gathering rows"); }

static inline bool bit(const void *b, int64_t i) { return !b || ((((const uint8_t *)b)[i >> 3] >> (i & 7)) & 1); }

static int take(const struct ArrowSchema *s, const struct ArrowArray *const *arrs, const pref_t *refs, int64_t n,
                struct ArrowArray *out, prestige_error_t *err);

static int take_children_struct(const struct ArrowSchema *s, const struct ArrowArray *const *arrs, size_t n_chunks,
                                const pref_t *refs, int64_t n, struct ArrowArray *out, prestige_error_t *err) {
  const struct ArrowArray **sub = calloc(n_chunks ? n_chunks : 1, sizeof(*sub));
  pref_t *cr = malloc((size_t)(n ? n : 1) * sizeof(*cr));
  if (!sub || !cr) {
    free(sub);
    free(cr);
    return oom(err);
  }
  int rc = 0;
  for (int64_t c = 0; c < s->n_children && !rc; c++) {
    for (size_t k = 0; k < n_chunks; k++) sub[k] = arrs[k] ? arrs[k]->children[c] : NULL;
    for (int64_t i = 0; i < n; i++) cr[i] = (pref_t){refs[i].chunk, sub[refs[i].chunk]->offset + refs[i].phys};
    rc = take(s->children[c], sub, cr, n, out->children[c], err);
  }
  free(sub);
  free(cr);
  return rc;
}

static int take(const struct ArrowSchema *s, const struct ArrowArray *const *arrs, const pref_t *refs, int64_t n,
                struct ArrowArray *out, prestige_error_t *err) {
  prestige_arrow_type_info_t info;
  PRESTIGE_TRY(prestige_arrow_schema_type(s, &info, err));
  if (info.type == PRESTIGE_ARROW_DICTIONARY)
    return prestige_error_set(err, PRESTIGE_EUNSUPPORTED, "gathering rows of dictionary column \"%s\"", s->name ? s->name : "");
  int64_t nb = prestige_arrow_type_buffer_count(info.type);
  PRESTIGE_TRY(prestige_array_init(out, nb, s->n_children, err));
  out->length = n;
  int64_t nulls = 0;
  /* the chunks referenced (for child recursion); no validity bitmap when none can hold a null */
  size_t n_chunks = 0;
  for (int64_t i = 0; i < n; i++)
    if (refs[i].chunk + 1 > n_chunks) n_chunks = refs[i].chunk + 1;
  bool maybe_nulls = false;
  for (size_t k = 0; k < n_chunks && !maybe_nulls; k++) {
    const struct ArrowArray *a = arrs[k];
    maybe_nulls = a && a->n_buffers && a->buffers[0] && a->null_count != 0;
  }
  if (nb > 0 && maybe_nulls) {
    uint8_t *v = prestige_buffer_alloc((n + 7) / 8);
    if (!v) goto nomem;
    memset(v, 0, (size_t)((n + 7) / 8));
    for (int64_t i = 0; i < n; i++) {
      const struct ArrowArray *a = arrs[refs[i].chunk];
      if (bit(a->n_buffers ? a->buffers[0] : NULL, refs[i].phys)) v[i >> 3] |= (uint8_t)(1u << (i & 7));
      else nulls++;
    }
    prestige_array_set_buffer(out, 0, v);
  }
  out->null_count = nulls;
  int rc = 0;
  switch (info.type) {
    case PRESTIGE_ARROW_NA: break;
    case PRESTIGE_ARROW_BOOL: {
      uint8_t *d = prestige_buffer_alloc((n + 7) / 8);
      if (!d) goto nomem;
      memset(d, 0, (size_t)((n + 7) / 8));
      for (int64_t i = 0; i < n; i++)
        if (bit(arrs[refs[i].chunk]->buffers[1], refs[i].phys)) d[i >> 3] |= (uint8_t)(1u << (i & 7));
      prestige_array_set_buffer(out, 1, d);
      break;
    }
    case PRESTIGE_ARROW_STRING: case PRESTIGE_ARROW_BINARY: case PRESTIGE_ARROW_LARGE_STRING: case PRESTIGE_ARROW_LARGE_BINARY: {
      bool large = info.type == PRESTIGE_ARROW_LARGE_STRING || info.type == PRESTIGE_ARROW_LARGE_BINARY;
      int64_t total = 0;
      for (int64_t i = 0; i < n; i++) {
        const struct ArrowArray *a = arrs[refs[i].chunk];
        int64_t p = refs[i].phys;
        total += large ? ((const int64_t *)a->buffers[1])[p + 1] - ((const int64_t *)a->buffers[1])[p]
                       : ((const int32_t *)a->buffers[1])[p + 1] - ((const int32_t *)a->buffers[1])[p];
      }
      if (!large && total > INT32_MAX)
        return out->release(out), prestige_error_set(err, PRESTIGE_ENOMEM, "column \"%s\": more than 2 GiB in one batch",
                                                     s->name ? s->name : "");
      void *off = prestige_buffer_alloc((n + 1) * (large ? 8 : 4));
      uint8_t *data = prestige_buffer_alloc(total);
      if (!off || !data) {
        free(off);
        free(data);
        goto nomem;
      }
      int64_t at = 0;
      for (int64_t i = 0; i < n; i++) {
        const struct ArrowArray *a = arrs[refs[i].chunk];
        int64_t p = refs[i].phys, b, e;
        if (large) b = ((const int64_t *)a->buffers[1])[p], e = ((const int64_t *)a->buffers[1])[p + 1];
        else b = ((const int32_t *)a->buffers[1])[p], e = ((const int32_t *)a->buffers[1])[p + 1];
        if (large) ((int64_t *)off)[i] = at;
        else ((int32_t *)off)[i] = (int32_t)at;
        if (e > b) memcpy(data + at, (const uint8_t *)a->buffers[2] + b, (size_t)(e - b));
        at += e - b;
      }
      if (large) ((int64_t *)off)[n] = at;
      else ((int32_t *)off)[n] = (int32_t)at;
      prestige_array_set_buffer(out, 1, off);
      prestige_array_set_buffer(out, 2, data);
      break;
    }
    case PRESTIGE_ARROW_STRUCT:
      rc = take_children_struct(s, arrs, n_chunks, refs, n, out, err);
      break;
    case PRESTIGE_ARROW_LIST: case PRESTIGE_ARROW_LARGE_LIST: case PRESTIGE_ARROW_MAP: {
      bool large = info.type == PRESTIGE_ARROW_LARGE_LIST;
      int64_t total = 0;
      for (int64_t i = 0; i < n; i++) {
        const struct ArrowArray *a = arrs[refs[i].chunk];
        int64_t p = refs[i].phys;
        total += large ? ((const int64_t *)a->buffers[1])[p + 1] - ((const int64_t *)a->buffers[1])[p]
                       : ((const int32_t *)a->buffers[1])[p + 1] - ((const int32_t *)a->buffers[1])[p];
      }
      void *off = prestige_buffer_alloc((n + 1) * (large ? 8 : 4));
      pref_t *cr = malloc((size_t)(total ? total : 1) * sizeof(*cr));
      const struct ArrowArray **sub = calloc(n_chunks ? n_chunks : 1, sizeof(*sub));
      if (!off || !cr || !sub) {
        free(off);
        free(cr);
        free(sub);
        goto nomem;
      }
      for (size_t k = 0; k < n_chunks; k++) sub[k] = arrs[k] ? arrs[k]->children[0] : NULL;
      int64_t at = 0;
      for (int64_t i = 0; i < n; i++) {
        const struct ArrowArray *a = arrs[refs[i].chunk];
        int64_t p = refs[i].phys, b, e;
        if (large) b = ((const int64_t *)a->buffers[1])[p], e = ((const int64_t *)a->buffers[1])[p + 1];
        else b = ((const int32_t *)a->buffers[1])[p], e = ((const int32_t *)a->buffers[1])[p + 1];
        if (large) ((int64_t *)off)[i] = at;
        else ((int32_t *)off)[i] = (int32_t)at;
        for (int64_t k = b; k < e; k++) cr[at++] = (pref_t){refs[i].chunk, sub[refs[i].chunk]->offset + k};
      }
      if (large) ((int64_t *)off)[n] = at;
      else ((int32_t *)off)[n] = (int32_t)at;
      prestige_array_set_buffer(out, 1, off);
      rc = take(s->children[0], sub, cr, total, out->children[0], err);
      free(cr);
      free(sub);
      break;
    }
    case PRESTIGE_ARROW_FIXED_SIZE_LIST: {
      int64_t fs = info.fixed_size, total = n * fs;
      pref_t *cr = malloc((size_t)(total ? total : 1) * sizeof(*cr));
      const struct ArrowArray **sub = calloc(n_chunks ? n_chunks : 1, sizeof(*sub));
      if (!cr || !sub) {
        free(cr);
        free(sub);
        goto nomem;
      }
      for (size_t k = 0; k < n_chunks; k++) sub[k] = arrs[k] ? arrs[k]->children[0] : NULL;
      for (int64_t i = 0; i < n; i++)
        for (int64_t k = 0; k < fs; k++)
          cr[i * fs + k] = (pref_t){refs[i].chunk, sub[refs[i].chunk]->offset + refs[i].phys * fs + k};
      rc = take(s->children[0], sub, cr, total, out->children[0], err);
      free(cr);
      free(sub);
      break;
    }
    default: {
      int64_t w = info.type == PRESTIGE_ARROW_FIXED_SIZE_BINARY ? info.fixed_size : info.byte_width;
      if (w <= 0) {
        out->release(out);
        return prestige_error_set(err, PRESTIGE_EUNSUPPORTED, "gathering rows of %s", prestige_arrow_type_name(info.type));
      }
      uint8_t *d = prestige_buffer_alloc(n * w);
      if (!d) goto nomem;
      switch (w) {
        case 4:
          for (int64_t i = 0; i < n; i++)
            memcpy(d + i * 4, (const uint8_t *)arrs[refs[i].chunk]->buffers[1] + refs[i].phys * 4, 4);
          break;
        case 8:
          for (int64_t i = 0; i < n; i++)
            memcpy(d + i * 8, (const uint8_t *)arrs[refs[i].chunk]->buffers[1] + refs[i].phys * 8, 8);
          break;
        default:
          for (int64_t i = 0; i < n; i++)
            memcpy(d + i * w, (const uint8_t *)arrs[refs[i].chunk]->buffers[1] + refs[i].phys * w, (size_t)w);
      }
      prestige_array_set_buffer(out, 1, d);
      break;
    }
  }
  if (rc) out->release(out);
  return rc;
nomem:
  out->release(out);
  return oom(err);
}

int ice_arrow_take(const struct ArrowSchema *schema, const struct ArrowArray *const *chunks, size_t n_chunks,
                   const ice_row_ref_t *rows, int64_t n, struct ArrowArray *out, prestige_error_t *err) {
  memset(out, 0, sizeof(*out));
  pref_t *refs = malloc((size_t)(n ? n : 1) * sizeof(*refs));
  if (!refs) return oom(err);
  for (int64_t i = 0; i < n; i++) {
    if (rows[i].chunk >= n_chunks || rows[i].row < 0 || rows[i].row >= chunks[rows[i].chunk]->length) {
      free(refs);
      return prestige_error_set(err, PRESTIGE_EINVAL, "take: row %lld of chunk %u out of range", (long long)rows[i].row,
                                rows[i].chunk);
    }
    refs[i] = (pref_t){rows[i].chunk, chunks[rows[i].chunk]->offset + rows[i].row};
  }
  int rc = take(schema, chunks, refs, n, out, err);
  free(refs);
  return rc;
}
