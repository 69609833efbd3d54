/* Shared argument handling of the maintenance verbs (delete, compact, maintain, expire,
 * remove-orphans, rewrite-manifests): the table, the compaction options. */
#ifndef PRESTIGE_ICEBERG_MAINT_CLI_H
#define PRESTIGE_ICEBERG_MAINT_CLI_H

#include "iceberg_cli.h"
#include "prestige/iceberg_maintenance.h"

#define CLI_ICE_COMPACT_USAGE                                                                            \
  "  --target-file-size BYTES  output file size (default: write.target-file-size-bytes, 512 MiB)\n"      \
  "  --min-files N             small files a partition needs before it is compacted (default 5)\n"      \
  "  --dedup                   keep one row per identifier key: the latest write\n"                      \
  "  --compression C           output codec (default: write.parquet.compression-codec, zstd)\n"

/* The verb as a cli_verb_t, for the option parsers of options.c. */
static inline cli_verb_t cli_ice_as_verb(const cli_ice_verb_t *v) {
  cli_verb_t cv = {v->full, v->summary, v->usage, v->run, false};
  return cv;
}

/* Takes a compaction option at argv[*i] into o; 1 when taken, 0 when not one, or -1 after a usage error. */
int cli_ice_compact_option(const cli_ice_verb_t *v, int argc, char **argv, int *i, prestige_iceberg_compact_options_t *o);

#endif
