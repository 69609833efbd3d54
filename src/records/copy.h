/* Deep copies of records (strings, bytes and lists into an arena), so a sink can buffer records
 * whose pointers the caller may reuse as soon as write returns. */
#ifndef PRESTIGE_RECORDS_COPY_H
#define PRESTIGE_RECORDS_COPY_H

#include "core/arena.h"
#include "prestige/records.h"

/* Size of one value of a kind in a record struct (0 for FIXED_BYTES: use fixed_len). */
size_t records_kind_size(prestige_field_kind_t k);
/* Copies one record from src to dst (desc->size bytes), then every string, bytes and list payload
 * into arena, pointing dst at the copies. ENOMEM on allocation failure. */
int records_copy(const prestige_record_desc_t *d, const void *src, void *dst, arena_t *arena);

/* Checks every STRING value of one record (list elements too) for UTF-8: 0, or PRESTIGE_ECORRUPT
 * with a message naming the field, element and byte. */
int records_check_utf8(const prestige_record_desc_t *d, const void *record, prestige_error_t *err);
/* prestige_record_to_arrow for records whose strings were checked already (the sink checks each
 * record as it is written, and converts whole batches later). */
int records_to_arrow_prechecked(const prestige_record_desc_t *d, const void *records, size_t n, struct ArrowArray *out,
                             prestige_error_t *err);

#endif
