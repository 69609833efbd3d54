/* Internal hooks of the file source (for tests). */
#ifndef PRESTIGE_SOURCE_SOURCE_INTERNAL_H
#define PRESTIGE_SOURCE_SOURCE_INTERNAL_H

#include <stddef.h>

#include "prestige/arrow.h"

/* How many decoded buffers the source's readers took from its shared pool rather than from
 * malloc (a file reusing an earlier file's blocks); 0 for a stream that is not a live source. */
size_t source_bufpool_reused(struct ArrowArrayStream *st);
/* The source's decoding threads (unordered: at most the cores); 0 for a stream that is not a
 * live source. */
int source_decoding_threads(struct ArrowArrayStream *st);

#endif
