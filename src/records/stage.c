#include "records/stage.h"

#include <stdlib.h>
#include <string.h>

#include "records/copy.h"

int records_stage_init(records_stage_t *st, const prestige_record_desc_t *desc, size_t cap, const char *kind,
                       const char *name) {
  memset(st, 0, sizeof *st);
  st->desc = desc;
  st->kind = kind;
  st->name = name;
  st->cap = cap ? cap : 1;
  if (!desc) return 0;
  st->rows = malloc(st->cap * desc->size);
  return st->rows ? 0 : PRESTIGE_ENOMEM;
}

void records_stage_release(records_stage_t *st) {
  arena_release(&st->arena);
  free(st->rows);
  st->rows = NULL;
  st->n = 0;
}

int records_stage_flush(records_stage_t *st, records_stage_push_fn push, void *user, prestige_error_t *err) {
  if (!st->n) return 0;
  struct ArrowArray b;
  int rc = records_to_arrow_prechecked(st->desc, st->rows, st->n, &b, err); /* strings checked when added */
  size_t n = st->n;
  st->n = 0;
  arena_release(&st->arena);
  if (rc) return prestige_error_prefix(err, "%s %s: %zu buffered records", st->kind, st->name, n);
  return push(user, &b, err);
}

int records_stage_add(records_stage_t *st, const void *records, size_t n, records_stage_push_fn push, void *user,
                      prestige_error_t *err) {
  if (!st->desc)
    return prestige_error_set(err, PRESTIGE_EINVAL, "%s %s takes Arrow batches (it has no record type)", st->kind, st->name);
  int rc = 0;
  for (size_t i = 0; i < n && !rc; i++) {
    const uint8_t *rec = (const uint8_t *)records + i * st->desc->size;
    if ((rc = records_check_utf8(st->desc, rec, err)))
      return prestige_error_prefix(err, "%s %s: record %zu of this write (the %zu before it were taken)", st->kind, st->name, i, i);
    if (records_copy(st->desc, rec, st->rows + st->n * st->desc->size, &st->arena))
      return prestige_error_set(err, PRESTIGE_ENOMEM, "%s %s: out of memory", st->kind, st->name);
    if (++st->n == st->cap) rc = records_stage_flush(st, push, user, err);
  }
  return rc;
}

int records_stage_write_batch(records_stage_t *st, const struct ArrowSchema *schema, struct ArrowArray *batch,
                              records_stage_push_fn push, void *user, prestige_error_t *err) {
  int rc = prestige_array_validate(batch, schema, err);
  if (rc) rc = prestige_error_prefix(err, "%s %s: batch does not match the schema", st->kind, st->name);
  if (!rc) rc = records_stage_flush(st, push, user, err);
  if (!rc) rc = push(user, batch, err); /* moves the batch, also on failure */
  if (batch->release) batch->release(batch);
  return rc;
}
