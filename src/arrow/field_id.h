/*
 * arrow/field_id.h — the Parquet/Iceberg field id an Arrow field carries in its metadata
 * ("PARQUET:field_id", as Arrow C++ and pyarrow write it).
 */
#ifndef PRESTIGE_ARROW_FIELD_ID_H
#define PRESTIGE_ARROW_FIELD_ID_H

#include <stdint.h>

#include "prestige/arrow.h"

/* The field's id: decimal digits only, 0..INT32_MAX; -1 when absent or not such a number (and
 * for a NULL schema). */
int32_t arrow_field_id(const struct ArrowSchema *s);

#endif
