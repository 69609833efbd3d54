/*
 * prestige/prestige.h — everything public in one include.
 *
 *   #include <prestige/prestige.h>
 *   cc app.c $(pkg-config --cflags --libs prestige)
 */
#ifndef PRESTIGE_PRESTIGE_H
#define PRESTIGE_PRESTIGE_H

#include "prestige/error.h"
#include "prestige/core.h"
#include "prestige/io.h"
#include "prestige/metrics.h"
#include "prestige/arrow.h"
#include "prestige/predicate.h"
#include "prestige/parquet.h"
#include "prestige/records.h"
#include "prestige/parquet_writer.h"
#include "prestige/parquet_reader.h"
#include "prestige/text.h"
#include "prestige/s3.h"
#include "prestige/store.h"
#include "prestige/upload.h"
#include "prestige/sink.h"
#include "prestige/source.h"
#include "prestige/poller.h"
#include "prestige/iceberg_catalog.h"
#include "prestige/iceberg.h"
#include "prestige/iceberg_rest.h"
#include "prestige/iceberg_maintenance.h"
#include "prestige/iceberg_sink.h"
#include "prestige/iceberg_poller.h"

#endif /* PRESTIGE_PRESTIGE_H */
