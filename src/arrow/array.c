/* ArrowArray ownership, validation, and streams over in-memory batches. */
#include <stdlib.h>
#include <string.h>

#include "arrow/stream.h"
#include "prestige/arrow.h"

static char owned_marker;

static void array_release(struct ArrowArray *a) {
  if (!a || !a->release) return;
  if (a->buffers)
    for (int64_t i = 0; i < a->n_buffers; i++) free((void *)a->buffers[i]);
  free(a->buffers);
  for (int64_t i = 0; i < a->n_children; i++) {
    if (a->children[i]) {
      if (a->children[i]->release) a->children[i]->release(a->children[i]);
      free(a->children[i]);
    }
  }
  free(a->children);
  if (a->dictionary) {
    if (a->dictionary->release) a->dictionary->release(a->dictionary);
    free(a->dictionary);
  }
  a->release = NULL;
}

int prestige_array_init(struct ArrowArray *a, int64_t n_buffers, int64_t n_children, prestige_error_t *err) {
  memset(a, 0, sizeof(*a));
  if (n_buffers < 0 || n_children < 0) return prestige_error_set(err, PRESTIGE_EINVAL, "array_init: negative count");
  a->buffers = calloc((size_t)(n_buffers ? n_buffers : 1), sizeof(void *));
  a->children = calloc((size_t)(n_children ? n_children : 1), sizeof(struct ArrowArray *));
  a->release = array_release;
  a->private_data = &owned_marker;
  if (!a->buffers || !a->children) goto oom;
  a->n_buffers = n_buffers;
  for (int64_t i = 0; i < n_children; i++) {
    a->children[i] = calloc(1, sizeof(struct ArrowArray));
    if (!a->children[i]) goto oom;
    a->n_children = i + 1;
  }
  return 0;
oom:
  array_release(a);
  return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory initialising an array");
}

int prestige_array_allocate_dictionary(struct ArrowArray *a, prestige_error_t *err) {
  if (a->private_data != &owned_marker || a->dictionary)
    return prestige_error_set(err, PRESTIGE_EINVAL, "allocate_dictionary: array not made by prestige_array_init");
  a->dictionary = calloc(1, sizeof(struct ArrowArray));
  if (!a->dictionary) return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory for dictionary array");
  return 0;
}

void *prestige_buffer_alloc(int64_t size) {
  if (size < 0) return NULL;
  size_t n = ((size_t)size + 63) & ~(size_t)63;
  if (n == 0) n = 64;
  void *p = NULL;
  if (posix_memalign(&p, 64, n) != 0) return NULL;
  return p;
}

void prestige_array_set_buffer(struct ArrowArray *a, int64_t i, void *buffer) {
  if (i < 0 || i >= a->n_buffers) {
    free(buffer);
    return;
  }
  free((void *)a->buffers[i]);
  a->buffers[i] = buffer;
}

/* ---- validation --------------------------------------------------------------------------- */
static int verr(prestige_error_t *err, const struct ArrowSchema *s, const char *what) {
  return prestige_error_set(err, PRESTIGE_EINVAL, "invalid array for field \"%s\" (%s): %s", s->name ? s->name : "",
                            s->format, what);
}

/* Checks offsets [offset, offset+length] are monotonic; returns the last offset in *end. */
static int check_offsets(const struct ArrowArray *a, const struct ArrowSchema *s, bool large, int64_t *start,
                         int64_t *end, prestige_error_t *err) {
  if (!a->buffers[1]) {
    if (a->length == 0) return *start = *end = 0, 0;
    return verr(err, s, "offsets buffer is NULL");
  }
  int64_t prev = 0;
  for (int64_t i = 0; i <= a->length; i++) {
    int64_t o = large ? ((const int64_t *)a->buffers[1])[a->offset + i] : ((const int32_t *)a->buffers[1])[a->offset + i];
    if (o < 0 || (i > 0 && o < prev)) return verr(err, s, "offsets are negative or decreasing");
    if (i == 0) *start = o;
    prev = o;
  }
  *end = prev;
  return 0;
}

static int validate(const struct ArrowArray *a, const struct ArrowSchema *s, prestige_error_t *err) {
  if (!a || !a->release) return prestige_error_set(err, PRESTIGE_EINVAL, "array is released or NULL");
  prestige_arrow_type_info_t t;
  PRESTIGE_TRY(prestige_arrow_schema_type(s, &t, err));
  if (a->length < 0 || a->offset < 0) return verr(err, s, "negative length or offset");
  prestige_arrow_type_t storage = t.type == PRESTIGE_ARROW_DICTIONARY ? t.index_type : t.type;
  int64_t want_buffers = prestige_arrow_type_buffer_count(storage);
  if (a->n_buffers != want_buffers) return verr(err, s, "wrong number of buffers");
  if (a->n_children != s->n_children) return verr(err, s, "child count differs from the schema");
  if (a->null_count > a->length) return verr(err, s, "null_count exceeds length");
  if (a->null_count != 0 && a->n_buffers > 0 && !a->buffers[0] && storage != PRESTIGE_ARROW_NA)
    if (a->null_count > 0) return verr(err, s, "null_count > 0 without a validity buffer");
  int64_t end = a->offset + a->length;
  switch (storage) {
    case PRESTIGE_ARROW_STRING: case PRESTIGE_ARROW_BINARY:
    case PRESTIGE_ARROW_LARGE_STRING: case PRESTIGE_ARROW_LARGE_BINARY: {
      int64_t st, en;
      PRESTIGE_TRY(check_offsets(a, s, storage == PRESTIGE_ARROW_LARGE_STRING || storage == PRESTIGE_ARROW_LARGE_BINARY,
                                 &st, &en, err));
      if (en > st && !a->buffers[2]) return verr(err, s, "data buffer is NULL");
      break;
    }
    case PRESTIGE_ARROW_LIST: case PRESTIGE_ARROW_LARGE_LIST: case PRESTIGE_ARROW_MAP: {
      int64_t st, en;
      PRESTIGE_TRY(check_offsets(a, s, storage == PRESTIGE_ARROW_LARGE_LIST, &st, &en, err));
      if (en > a->children[0]->length) return verr(err, s, "list offsets point past the child array");
      break;
    }
    case PRESTIGE_ARROW_FIXED_SIZE_LIST:
      if (a->children[0]->length < end * t.fixed_size) return verr(err, s, "child array is shorter than length * list size");
      break;
    case PRESTIGE_ARROW_STRUCT:
      for (int64_t i = 0; i < a->n_children; i++)
        if (a->children[i]->length < end) return verr(err, s, "a struct child is shorter than the struct");
      break;
    case PRESTIGE_ARROW_NA: break;
    default:
      if (a->length > 0 && !a->buffers[1]) return verr(err, s, "values buffer is NULL");
  }
  for (int64_t i = 0; i < a->n_children; i++) PRESTIGE_TRY(validate(a->children[i], s->children[i], err));
  if (t.type == PRESTIGE_ARROW_DICTIONARY) {
    if (!a->dictionary) return verr(err, s, "dictionary array missing");
    PRESTIGE_TRY(validate(a->dictionary, s->dictionary, err));
  }
  return 0;
}

int prestige_array_validate(const struct ArrowArray *a, const struct ArrowSchema *s, prestige_error_t *err) {
  if (!s) return prestige_error_set(err, PRESTIGE_EINVAL, "schema is NULL");
  return validate(a, s, err);
}

/* ---- stream over batches --------------------------------------------------------------------- */
typedef struct batch_stream {
  struct ArrowSchema schema;
  struct ArrowArray *batches;
  int64_t n, next;
} batch_stream_t;

static int bs_get_schema(void *state, struct ArrowSchema *out, prestige_error_t *err) {
  batch_stream_t *b = state;
  return prestige_schema_copy(out, &b->schema, err);
}

static int bs_get_next(void *state, struct ArrowArray *out, prestige_error_t *err) {
  batch_stream_t *b = state;
  if (b->next < b->n) prestige_array_move(&b->batches[b->next++], out);
  return 0;
}

static void bs_free(void *state) {
  batch_stream_t *b = state;
  for (int64_t i = b->next; i < b->n; i++) prestige_array_release(&b->batches[i]);
  free(b->batches);
  prestige_schema_release(&b->schema);
  free(b);
}

static const arrow_stream_ops_t batch_stream_ops = {bs_get_schema, bs_get_next, bs_free};

int prestige_array_stream_from_batches(struct ArrowArrayStream *out, struct ArrowSchema *schema,
                                       struct ArrowArray *batches, int64_t n, prestige_error_t *err) {
  batch_stream_t *b = calloc(1, sizeof(*b));
  if (!b || !(b->batches = calloc((size_t)(n > 0 ? n : 1), sizeof(struct ArrowArray)))) {
    free(b);
    return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory creating a stream");
  }
  prestige_schema_move(schema, &b->schema);
  for (int64_t i = 0; i < n; i++) prestige_array_move(&batches[i], &b->batches[i]);
  b->n = n;
  return arrow_stream_make(out, &batch_stream_ops, b, err);
}
