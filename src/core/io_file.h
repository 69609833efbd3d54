/* Internal extras of the local file output (prestige_output_open_file). */
#ifndef PRESTIGE_CORE_IO_FILE_H
#define PRESTIGE_CORE_IO_FILE_H

#include "prestige/error.h"

/* Writes out what the output buffers and fdatasyncs the file, which stays open: everything
 * written so far is durable. ctx must come from prestige_output_open_file. */
int io_file_output_sync(void *ctx, prestige_error_t *err);

/* Makes abort (and a failed close) leave the file where it is instead of removing it: the sink
 * keeps an unfinished file whose checkpoint a recovery can still restore. */
void io_file_output_keep(void *ctx);

#endif
