/* prestige iceberg describe / snapshots */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iceberg_cli.h"

/* Loads the one table argv names (after the shared options); returns 0 or the exit code. */
static int load_one(const cli_ice_verb_t *v, int argc, char **argv, prestige_iceberg_catalog_t **cat,
                    prestige_iceberg_table_t **t) {
  *cat = NULL;
  *t = NULL;
  cli_ice_opts_t o;
  if ((argc = cli_ice_common(v, argc, argv, &o)) < 0) return CLI_USAGE_ERROR;
  if (argc != 2 || argv[1][0] == '-') return cli_ice_usage(v, argc < 2 ? "which table? (NS.TABLE)" : "expected one table");
  return cli_ice_open_table(v, &o, argv[1], cat, t);
}

#define DESCRIBE_USAGE                                                                                     \
  "usage: prestige iceberg describe NS.TABLE [catalog options]\n"                                        \
  "\n"                                                                                                    \
  "Prints the table as one JSON object: table, format_version, table_uuid, location, metadata_location,\n" \
  "current_snapshot_id (null when none), last_updated_ms, last_sequence_number, schema (Iceberg JSON),\n" \
  "partition_spec, sort_order, identifier_fields, properties, refs, snapshot_count.\n\n"                  \
  CLI_ICEBERG_COMMON_USAGE

static int run_describe(int argc, char **argv);
CLI_ICEBERG_VERB(describe, "describe", "a table's metadata as one JSON object", DESCRIBE_USAGE, run_describe)

static int run_describe(int argc, char **argv) {
  const cli_ice_verb_t *v = &cli_ice_verb_describe;
  prestige_iceberg_catalog_t *cat;
  prestige_iceberg_table_t *t;
  int rc = load_one(v, argc, argv, &cat, &t);
  if (rc) return rc;
  char *json = NULL;
  prestige_error_t err;
  prestige_error_init(&err);
  if (prestige_iceberg_table_describe(t, &json, &err)) rc = cli_ice_fail(v, &err);
  else if (puts(json) < 0 || fflush(stdout)) rc = CLI_USER_ERROR;
  free(json);
  prestige_iceberg_table_free(t);
  prestige_iceberg_catalog_close(cat);
  return rc;
}

#define SNAPSHOTS_USAGE                                                                                     \
  "usage: prestige iceberg snapshots NS.TABLE [catalog options]\n"                                        \
  "\n"                                                                                                     \
  "Prints every snapshot, oldest first, one JSON line each: snapshot_id, parent_id (null for the first),\n" \
  "sequence_number, timestamp_ms, operation, summary (the summary map as stored, operation included).\n\n" \
  CLI_ICEBERG_COMMON_USAGE

static int run_snapshots(int argc, char **argv);
CLI_ICEBERG_VERB(snapshots, "snapshots", "a table's snapshots, oldest first (a JSON line each)", SNAPSHOTS_USAGE, run_snapshots)

static int run_snapshots(int argc, char **argv) {
  const cli_ice_verb_t *v = &cli_ice_verb_snapshots;
  prestige_iceberg_catalog_t *cat;
  prestige_iceberg_table_t *t;
  int rc = load_one(v, argc, argv, &cat, &t);
  if (rc) return rc;
  const prestige_iceberg_snapshot_t *s;
  int64_t n = prestige_iceberg_table_snapshots(t, &s);
  if (n < 0) {
    fprintf(stderr, "prestige %s: out of memory\n", v->full);
    rc = CLI_USER_ERROR;
  }
  for (int64_t i = 0; i < n && !rc; i++) {
    json_t *summary = json_object();
    if (summary && s[i].operation) json_object_set_new(summary, "operation", json_string(s[i].operation));
    for (int64_t k = 0; summary && k < s[i].n_summary; k++)
      json_object_set_new(summary, s[i].summary[k].key, json_string(s[i].summary[k].value));
    rc = cli_ice_print_json(json_pack("{s:I,s:o,s:I,s:I,s:o,s:o}", "snapshot_id", (json_int_t)s[i].snapshot_id, "parent_id",
                                      s[i].parent_id < 0 ? json_null() : json_integer(s[i].parent_id), "sequence_number",
                                      (json_int_t)s[i].sequence_number, "timestamp_ms", (json_int_t)s[i].timestamp_ms,
                                      "operation", s[i].operation ? json_string(s[i].operation) : json_null(), "summary",
                                      summary));
  }
  prestige_iceberg_table_free(t);
  prestige_iceberg_catalog_close(cat);
  return rc;
}
