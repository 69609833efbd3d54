/*
 * Moving a struct batch's child into another batch (column projection without copying): the
 * child's buffers change owner, the parent's offset is folded into the child's (its null count
 * then unknown), and the parent keeps a released slot, so releasing it later frees the rest.
 *
 *   prestige_array_init(&out, 1, n, &err);
 *   for (i...) arrow_child_move(out.children[i], &batch, pick[i]);
 *   batch.release(&batch);
 */
#ifndef PRESTIGE_ARROW_CHILD_MOVE_H
#define PRESTIGE_ARROW_CHILD_MOVE_H

#include <stdint.h>

#include "prestige/arrow.h"

static inline void arrow_child_move(struct ArrowArray *dst, struct ArrowArray *parent, int64_t i) {
  struct ArrowArray *c = parent->children[i];
  *dst = *c;
  c->release = NULL;
  if (parent->offset) {
    dst->offset += parent->offset;
    dst->null_count = -1;
  }
}

#endif
