/*
 * Iceberg REST catalog pieces the client (catalog_rest.c) and the server (rest_server*.c) share:
 * the JSON of namespaces, table identifiers, load results and commits (rest-catalog-open-api.yaml).
 */
#ifndef PRESTIGE_ICEBERG_REST_INTERNAL_H
#define PRESTIGE_ICEBERG_REST_INTERNAL_H

#include <jansson.h>

#include "iceberg/catalog.h"

/* ["a","b"] for namespace a.b (the levels of id; a table's name is ignored). NULL on ENOMEM. */
json_t *ice_rest_ns_json(const ice_ident_t *id);
/* A namespace from ["a","b"]; EINVAL naming `what` when malformed (empty array or levels). */
int ice_rest_ns_from_json(const json_t *j, const char *what, ice_ident_t *out, prestige_error_t *err);
/* {"namespace":[...],"name":"t"} */
json_t *ice_rest_ident_json(const ice_ident_t *id);
int ice_rest_ident_from_json(const json_t *j, const char *what, ice_ident_t *out, prestige_error_t *err);
/* A namespace in a URL path: levels percent-encoded and joined with %1F (into a malloc'd string). */
char *ice_rest_ns_path(const ice_ident_t *id);
/* Percent-encodes s (unreserved characters kept). malloc'd. */
char *ice_rest_pct_encode(const char *s);
/* The namespace of a decoded path segment ("a\x1f" "b"). */
int ice_rest_ns_parse_segment(const char *seg, ice_ident_t *out, prestige_error_t *err);

/* LoadTableResult / CommitTableResponse: {"metadata-location","metadata","config"}. */
json_t *ice_rest_load_result_json(const ice_loaded_table_t *t, const ice_strmap_t *config);
int ice_rest_load_result_from_json(const json_t *j, const char *what, ice_loaded_table_t *out, prestige_error_t *err);

/* CommitTableRequest: {"identifier"?,"requirements":[...],"updates":[...]}. NULL on ENOMEM. */
json_t *ice_rest_commit_json(const ice_table_commit_t *tc, bool with_identifier);

/* A parsed commit (server side): owns its identifier, requirements and updates. */
typedef struct ice_rest_commit {
  ice_ident_t ident;
  ice_requirement_t *reqs;
  size_t n_reqs;
  ice_update_t *ups;
  size_t n_ups;
} ice_rest_commit_t;
/* ident_required: a transactions/commit entry must name its table. */
int ice_rest_commit_from_json(const json_t *j, bool ident_required, ice_rest_commit_t *out, prestige_error_t *err);
void ice_rest_commit_release(ice_rest_commit_t *c);

/* The error model {"error":{"message","type","code"}}: message and type of a body (either may be
 * NULL when absent; pointers into j). */
void ice_rest_error_fields(const json_t *j, const char **message, const char **type);

#endif
