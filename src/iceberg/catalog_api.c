/* The public catalog API (prestige/iceberg_catalog.h) over the catalog interface (catalog.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iceberg/arrow_map.h"
#include "iceberg/catalog.h"
#include "iceberg/spec_text.h"
#include "iceberg/table.h"
#include "prestige/iceberg_catalog.h"

static int oom(prestige_error_t *err) { return prestige_error_set(err, PRESTIGE_ENOMEM, "iceberg catalog: out of memory"); }

static int null_arg(const char *fn, const char *what, prestige_error_t *err) {
  return prestige_error_set(err, PRESTIGE_EINVAL, "%s: %s is NULL", fn, what);
}

/* Keeps the code when err is NULL (prestige_error_prefix would turn it into EINTERNAL). */
#define PREFIX(rc, ...)                                       \
  do {                                                        \
    if ((rc) && err) prestige_error_prefix(err, __VA_ARGS__); \
  } while (0)

/* ---- options ----------------------------------------------------------------------------------------- */

void prestige_iceberg_catalog_options_init(prestige_iceberg_catalog_options_t *o) {
  if (!o) return;
  prestige_iceberg_catalog_options_t d = PRESTIGE_ICEBERG_CATALOG_OPTIONS_INIT;
  *o = d;
}

void prestige_iceberg_create_options_init(prestige_iceberg_create_options_t *o) {
  if (!o) return;
  prestige_iceberg_create_options_t d = PRESTIGE_ICEBERG_CREATE_OPTIONS_INIT;
  *o = d;
}

static int check_kvs(const char *what, const prestige_kv_t *kv, int64_t n, prestige_error_t *err) {
  if (n < 0) return prestige_error_set(err, PRESTIGE_EINVAL, "%s: n_properties is negative (%lld)", what, (long long)n);
  if (n > 0 && !kv) return prestige_error_set(err, PRESTIGE_EINVAL, "%s: properties is NULL but n_properties is %lld", what, (long long)n);
  for (int64_t i = 0; i < n; i++)
    if (!kv[i].key || !*kv[i].key || !kv[i].value)
      return prestige_error_set(err, PRESTIGE_EINVAL, "%s: property %lld has no key or no value", what, (long long)i);
  return 0;
}

static int validate_catalog_options(const prestige_iceberg_catalog_options_t *o, prestige_error_t *err) {
  if (!o) return null_arg("prestige_iceberg_catalog_open", "options", err);
  if (o->version != PRESTIGE_ICEBERG_CATALOG_OPTIONS_VERSION)
    return prestige_error_set(err, PRESTIGE_EINVAL,
                              "iceberg catalog options version %u not supported (this library knows %u); rebuild against this "
                              "header and start from PRESTIGE_ICEBERG_CATALOG_OPTIONS_INIT",
                              o->version, PRESTIGE_ICEBERG_CATALOG_OPTIONS_VERSION);
  if (!o->uri || !*o->uri) return prestige_error_set(err, PRESTIGE_EINVAL, "iceberg catalog options: uri is required");
  if (o->name && (!*o->name || strlen(o->name) > 255))
    return prestige_error_set(err, PRESTIGE_EINVAL, "iceberg catalog options: name must be 1 to 255 characters");
  if (o->busy_timeout_ms < 0)
    return prestige_error_set(err, PRESTIGE_EINVAL, "iceberg catalog options: busy_timeout_ms is negative (%lld)",
                              (long long)o->busy_timeout_ms);
  if (o->request_timeout_ms < 0)
    return prestige_error_set(err, PRESTIGE_EINVAL, "iceberg catalog options: request_timeout_ms is negative (%lld)",
                              (long long)o->request_timeout_ms);
  PRESTIGE_TRY(check_kvs("iceberg catalog options", o->properties, o->n_properties, err));
  if (!ice_catalog_uri_is_rest(o->uri)) {
    const char *rest_only = o->token ? "token" : o->credential ? "credential" : o->scope ? "scope"
                            : o->oauth2_server_uri ? "oauth2_server_uri" : o->sigv4 ? "sigv4"
                            : o->signing_name ? "signing_name" : o->signing_region ? "signing_region"
                            : o->request_timeout_ms ? "request_timeout_ms" : NULL;
    if (rest_only)
      return prestige_error_set(err, PRESTIGE_EINVAL, "iceberg catalog options: %s is for REST catalogs, not %.200s", rest_only,
                                o->uri);
  }
  if (o->credential && !strchr(o->credential, ':'))
    return prestige_error_set(err, PRESTIGE_EINVAL, "iceberg catalog options: credential must be \"id:secret\"");
  return 0;
}

static int validate_create_options(const prestige_iceberg_create_options_t *o, prestige_error_t *err) {
  if (o->version != PRESTIGE_ICEBERG_CREATE_OPTIONS_VERSION)
    return prestige_error_set(err, PRESTIGE_EINVAL,
                              "iceberg create options version %u not supported (this library knows %u); rebuild against this "
                              "header and start from PRESTIGE_ICEBERG_CREATE_OPTIONS_INIT",
                              o->version, PRESTIGE_ICEBERG_CREATE_OPTIONS_VERSION);
  if (o->format_version == 1)
    return prestige_error_set(err, PRESTIGE_EUNSUPPORTED,
                              "format version 1: prestige reads version 1 tables but writes only versions 2 and 3");
  if (o->format_version < 2 || o->format_version > 3)
    return prestige_error_set(err, PRESTIGE_EINVAL, "iceberg create options: format_version %d (2 or 3)", o->format_version);
  if (o->n_identifier < 0 || (o->n_identifier > 0 && !o->identifier))
    return prestige_error_set(err, PRESTIGE_EINVAL, "iceberg create options: identifier / n_identifier disagree");
  for (int64_t i = 0; i < o->n_identifier; i++)
    if (!o->identifier[i] || !*o->identifier[i])
      return prestige_error_set(err, PRESTIGE_EINVAL, "iceberg create options: identifier %lld is empty", (long long)i);
  if (o->location && !*o->location)
    return prestige_error_set(err, PRESTIGE_EINVAL, "iceberg create options: location is empty");
  return check_kvs("iceberg create options", o->properties, o->n_properties, err);
}

static int kvs_to_map(const prestige_kv_t *kv, int64_t n, ice_strmap_t *m, prestige_error_t *err) {
  memset(m, 0, sizeof *m);
  for (int64_t i = 0; i < n; i++) {
    char *v = kv[i].value_len >= 0 ? strndup(kv[i].value, (size_t)kv[i].value_len) : strdup(kv[i].value);
    int rc = !v || ice_strmap_set(m, kv[i].key, v);
    free(v);
    if (rc) {
      ice_strmap_release(m);
      return oom(err);
    }
  }
  return 0;
}

/* ---- catalogs --------------------------------------------------------------------------------------- */

int prestige_iceberg_catalog_open(prestige_iceberg_catalog_t **out, const prestige_iceberg_catalog_options_t *o,
                                  prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  if (!out) return null_arg("prestige_iceberg_catalog_open", "out", err);
  *out = NULL;
  PRESTIGE_TRY(validate_catalog_options(o, err));
  prestige_s3_client_t *s3 = NULL;
  if (o->s3_client) s3 = prestige_s3_client_ref(o->s3_client);
  else if (o->s3) PRESTIGE_TRY(prestige_s3_client_new(&s3, o->s3, err));
  prestige_iceberg_catalog_t *cat = calloc(1, sizeof *cat);
  int rc = cat ? ice_catalog_open(o, s3, &cat->catalog, err) : oom(err);
  prestige_s3_client_free(s3); /* the backend holds its own reference */
  if (rc) {
    free(cat);
    return rc;
  }
  *out = cat;
  return 0;
}

void prestige_iceberg_catalog_close(prestige_iceberg_catalog_t *cat) {
  if (!cat) return;
  ice_catalog_free(cat->catalog);
  free(cat);
}

const char *prestige_iceberg_catalog_name(const prestige_iceberg_catalog_t *cat) { return cat ? cat->catalog->name : NULL; }

void prestige_iceberg_names_free(char **names, size_t n) {
  if (!names) return;
  for (size_t i = 0; i < n; i++) free(names[i]);
  free(names);
}

void prestige_iceberg_props_release(prestige_iceberg_props_t *p) {
  if (!p) return;
  for (size_t i = 0; i < p->n; i++) {
    free(p->keys[i]);
    free(p->values[i]);
  }
  free(p->keys);
  free(p->values);
  memset(p, 0, sizeof *p);
}

static int idents_to_names(ice_ident_t *ids, size_t n, char ***names, prestige_error_t *err) {
  char **a = calloc(n ? n : 1, sizeof *a);
  if (!a) return oom(err);
  for (size_t i = 0; i < n; i++) {
    if (!(a[i] = ice_ident_format(&ids[i]))) {
      prestige_iceberg_names_free(a, i);
      return oom(err);
    }
  }
  *names = a;
  return 0;
}

/* ---- namespaces ---------------------------------------------------------------------------------- */

#define CHECK_CAT(fn)                                      \
  do {                                                     \
    if (!cat) return null_arg(fn, "catalog", err);         \
  } while (0)

int prestige_iceberg_namespace_create(prestige_iceberg_catalog_t *cat, const char *ns, const prestige_kv_t *props,
                                      int64_t n_props, prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  CHECK_CAT("prestige_iceberg_namespace_create");
  PRESTIGE_TRY(check_kvs("namespace properties", props, n_props, err));
  ice_ident_t id;
  PRESTIGE_TRY(ice_ident_parse(ns, false, &id, err));
  ice_strmap_t m;
  int rc = kvs_to_map(props, n_props, &m, err);
  if (!rc) rc = cat->catalog->ops->namespace_create(cat->catalog, &id, &m, err);
  ice_strmap_release(&m);
  ice_ident_release(&id);
  return rc;
}

int prestige_iceberg_namespace_list(prestige_iceberg_catalog_t *cat, const char *parent, char ***names, size_t *n,
                                    prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  CHECK_CAT("prestige_iceberg_namespace_list");
  if (!names || !n) return null_arg("prestige_iceberg_namespace_list", "names or n", err);
  *names = NULL;
  *n = 0;
  ice_ident_t pid = {0};
  if (parent && *parent) PRESTIGE_TRY(ice_ident_parse(parent, false, &pid, err));
  ice_ident_t *ids = NULL;
  size_t count = 0;
  int rc = cat->catalog->ops->namespace_list(cat->catalog, parent && *parent ? &pid : NULL, &ids, &count, err);
  if (!rc) rc = idents_to_names(ids, count, names, err);
  if (!rc) *n = count;
  ice_idents_free(ids, count);
  ice_ident_release(&pid);
  return rc;
}

int prestige_iceberg_namespace_exists(prestige_iceberg_catalog_t *cat, const char *ns, bool *exists, prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  CHECK_CAT("prestige_iceberg_namespace_exists");
  if (!exists) return null_arg("prestige_iceberg_namespace_exists", "exists", err);
  *exists = false;
  ice_ident_t id;
  PRESTIGE_TRY(ice_ident_parse(ns, false, &id, err));
  int rc = ice_catalog_namespace_exists(cat->catalog, &id, exists, err);
  ice_ident_release(&id);
  return rc;
}

int prestige_iceberg_namespace_properties(prestige_iceberg_catalog_t *cat, const char *ns, prestige_iceberg_props_t *out,
                                          prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  CHECK_CAT("prestige_iceberg_namespace_properties");
  if (!out) return null_arg("prestige_iceberg_namespace_properties", "out", err);
  memset(out, 0, sizeof *out);
  ice_ident_t id;
  PRESTIGE_TRY(ice_ident_parse(ns, false, &id, err));
  ice_strmap_t m = {0};
  int rc = cat->catalog->ops->namespace_load(cat->catalog, &id, &m, err);
  if (!rc) {
    out->keys = calloc(m.n ? m.n : 1, sizeof(char *));
    out->values = calloc(m.n ? m.n : 1, sizeof(char *));
    if (!out->keys || !out->values) rc = oom(err);
    for (size_t i = 0; !rc && i < m.n; i++) {
      out->keys[i] = strdup(m.items[i].key);
      out->values[i] = strdup(m.items[i].value);
      out->n = i + 1;
      if (!out->keys[i] || !out->values[i]) rc = oom(err);
    }
    if (rc) prestige_iceberg_props_release(out);
  }
  ice_strmap_release(&m);
  ice_ident_release(&id);
  return rc;
}

int prestige_iceberg_namespace_update_properties(prestige_iceberg_catalog_t *cat, const char *ns, const prestige_kv_t *set,
                                                 int64_t n_set, const char *const *remove, int64_t n_remove,
                                                 prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  CHECK_CAT("prestige_iceberg_namespace_update_properties");
  PRESTIGE_TRY(check_kvs("namespace properties", set, n_set, err));
  if (n_remove < 0 || (n_remove > 0 && !remove))
    return prestige_error_set(err, PRESTIGE_EINVAL, "namespace properties: remove / n_remove disagree");
  for (int64_t i = 0; i < n_remove; i++)
    if (!remove[i]) return prestige_error_set(err, PRESTIGE_EINVAL, "namespace properties: remove[%lld] is NULL", (long long)i);
  ice_ident_t id;
  PRESTIGE_TRY(ice_ident_parse(ns, false, &id, err));
  ice_strmap_t m;
  int rc = kvs_to_map(set, n_set, &m, err);
  if (!rc) rc = cat->catalog->ops->namespace_update(cat->catalog, &id, &m, (char *const *)remove, (size_t)n_remove, err);
  ice_strmap_release(&m);
  ice_ident_release(&id);
  return rc;
}

int prestige_iceberg_namespace_drop(prestige_iceberg_catalog_t *cat, const char *ns, prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  CHECK_CAT("prestige_iceberg_namespace_drop");
  ice_ident_t id;
  PRESTIGE_TRY(ice_ident_parse(ns, false, &id, err));
  int rc = cat->catalog->ops->namespace_drop(cat->catalog, &id, err);
  ice_ident_release(&id);
  return rc;
}

/* ---- creating tables --------------------------------------------------------------------------------- */

/* The schema with the identifier columns named (each must be a required column). Takes s. */
static int with_identifiers(ice_schema_t *s, const char *const *names, int64_t n, ice_schema_t **out, prestige_error_t *err) {
  *out = NULL;
  if (!n) {
    *out = s;
    return 0;
  }
  int32_t *ids = calloc((size_t)n, sizeof *ids);
  if (!ids) {
    ice_schema_free(s);
    return oom(err);
  }
  int rc = 0;
  for (int64_t i = 0; i < n && !rc; i++) {
    const ice_field_t *f = ice_schema_find_name(s, names[i]);
    if (!f) rc = prestige_error_set(err, PRESTIGE_EINVAL, "identifier column \"%s\" is not in the schema", names[i]);
    else if (!f->required)
      rc = prestige_error_set(err, PRESTIGE_EINVAL,
                              "identifier column \"%s\" is optional: identifier columns must be required (in a schema text, "
                              "give its type a trailing '!': %s:int64!)",
                              names[i], names[i]);
    else
      ids[i] = f->id;
  }
  ice_type_t *root = NULL;
  if (!rc) rc = ice_type_copy(s->type, &root, err);
  ice_schema_free(s);
  if (rc) {
    free(ids);
    return rc;
  }
  ice_schema_t *r;
  PRESTIGE_TRY(ice_schema_new(0, root, ids, (size_t)n, &r, err));
  rc = ice_schema_check_identifiers(r, err);
  if (rc) {
    if (err) err->code = PRESTIGE_EINVAL;
    ice_schema_free(r);
    return PRESTIGE_EINVAL;
  }
  *out = r;
  return 0;
}

static int create_with(prestige_iceberg_catalog_t *cat, const ice_ident_t *id, const ice_schema_t *schema,
                       const ice_partition_spec_t *spec, const ice_sort_order_t *order, const prestige_iceberg_create_options_t *o,
                       prestige_iceberg_table_t **out, prestige_error_t *err) {
  ice_strmap_t props;
  PRESTIGE_TRY(kvs_to_map(o->properties, o->n_properties, &props, err));
  ice_create_request_t req = {schema, spec, order, o->location, &props, o->format_version, false};
  ice_loaded_table_t loaded = {0};
  int rc = cat->catalog->ops->table_create(cat->catalog, id, &req, &loaded, err);
  ice_strmap_release(&props);
  if (!rc) rc = ice_table_new(cat, id, &loaded, out, err);
  ice_loaded_table_release(&loaded);
  return rc;
}

int prestige_iceberg_table_create(prestige_iceberg_catalog_t *cat, const char *ident, const struct ArrowSchema *schema,
                                  const prestige_iceberg_create_options_t *o, prestige_iceberg_table_t **out,
                                  prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  CHECK_CAT("prestige_iceberg_table_create");
  if (!out || !schema) return null_arg("prestige_iceberg_table_create", "out or schema", err);
  *out = NULL;
  prestige_iceberg_create_options_t dflt = PRESTIGE_ICEBERG_CREATE_OPTIONS_INIT;
  if (!o) o = &dflt;
  PRESTIGE_TRY(validate_create_options(o, err));
  ice_ident_t id;
  PRESTIGE_TRY(ice_ident_parse(ident, true, &id, err));
  ice_arrow_options_t ao = ICE_ARROW_OPTIONS_INIT;
  ao.format_version = o->format_version;
  ice_schema_t *s = NULL, *plain = NULL;
  ice_partition_spec_t *spec = NULL;
  ice_sort_order_t *order = NULL;
  int rc = ice_schema_from_arrow(schema, &ao, &plain, err);
  if (!rc) rc = with_identifiers(plain, o->identifier, o->n_identifier, &s, err);
  if (!rc) rc = ice_schema_check_version(s, o->format_version, err);
  if (!rc) rc = ice_partition_spec_parse(o->partition, s, &spec, err);
  if (!rc) rc = ice_sort_order_parse(o->sort, s, &order, err);
  PREFIX(rc, "table %s", ident);
  if (!rc) rc = create_with(cat, &id, s, spec, order, o, out, err);
  ice_schema_free(s);
  ice_partition_spec_free(spec);
  ice_sort_order_free(order);
  ice_ident_release(&id);
  return rc;
}

/* Whether values of type rec (a record's column) can be written to a column of type tab. */
static bool type_accepts(const ice_type_t *tab, const ice_type_t *rec) {
  if (tab->id != rec->id) return false;
  if (ice_type_is_primitive(tab->id)) return ice_type_same_prim(tab, rec);
  if (tab->n_fields != rec->n_fields) return false;
  for (size_t i = 0; i < tab->n_fields; i++) {
    const ice_field_t *a = &tab->fields[i], *b = &rec->fields[i];
    if (tab->id == ICE_STRUCT && strcmp(a->name, b->name)) return false;
    if (a->required && !b->required) return false;
    if (!type_accepts(a->type, b->type)) return false;
  }
  return true;
}

static int check_record_fits(const ice_schema_t *table, const ice_schema_t *rec, const char *ident, prestige_error_t *err) {
  for (size_t i = 0; i < rec->type->n_fields; i++) {
    const ice_field_t *f = &rec->type->fields[i];
    const ice_field_t *g = ice_schema_find_name(table, f->name);
    char a[64], b[64];
    if (!g) return prestige_error_set(err, PRESTIGE_ETYPE, "table %s has no column \"%s\" for the record's field", ident, f->name);
    if (!type_accepts(g->type, f->type))
      return prestige_error_set(err, PRESTIGE_ETYPE, "table %s: column \"%s\" is %s, the record's field is %s", ident, f->name,
                                ice_type_to_string(g->type, a, sizeof a), ice_type_to_string(f->type, b, sizeof b));
    if (g->required && !f->required)
      return prestige_error_set(err, PRESTIGE_ETYPE, "table %s: column \"%s\" is required, the record's field is optional", ident,
                                f->name);
  }
  for (size_t i = 0; i < table->type->n_fields; i++) {
    const ice_field_t *g = &table->type->fields[i];
    if (g->required && !ice_schema_find_name(rec, g->name))
      return prestige_error_set(err, PRESTIGE_ETYPE, "table %s: required column \"%s\" has no field in the record", ident, g->name);
  }
  return 0;
}

int prestige_iceberg_table_create_for_record(prestige_iceberg_catalog_t *cat, const prestige_record_desc_t *desc,
                                             const prestige_iceberg_create_options_t *o, prestige_iceberg_table_t **out,
                                             prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  CHECK_CAT("prestige_iceberg_table_create_for_record");
  if (!out || !desc) return null_arg("prestige_iceberg_table_create_for_record", "out or desc", err);
  *out = NULL;
  prestige_iceberg_create_options_t dflt = PRESTIGE_ICEBERG_CREATE_OPTIONS_INIT;
  if (!o) o = &dflt;
  PRESTIGE_TRY(validate_create_options(o, err));
  if (o->partition || o->sort || o->n_identifier)
    return prestige_error_set(err, PRESTIGE_EINVAL,
                              "record %s: partition, sort and identifier come from the record's annotations, not the options",
                              desc->name);
  if (!desc->namespace_ || !*desc->namespace_)
    return prestige_error_set(err, PRESTIGE_EINVAL, "record %s has no Iceberg namespace annotation", desc->name);
  const char *tname = desc->table && *desc->table ? desc->table : desc->name;
  size_t n = strlen(desc->namespace_) + strlen(tname) + 2;
  char *ident = malloc(n);
  if (!ident) return oom(err);
  snprintf(ident, n, "%s.%s", desc->namespace_, tname);
  ice_ident_t id, nsid = {0};
  int rc = ice_ident_parse(ident, true, &id, err);
  if (rc) {
    free(ident);
    return rc;
  }
  ice_schema_t *s = NULL;
  ice_partition_spec_t *spec = NULL;
  ice_sort_order_t *order = NULL;
  rc = ice_schema_from_record(desc, o->format_version, &s, &spec, &order, err);
  bool exists = false;
  if (!rc) rc = ice_catalog_table_exists(cat->catalog, &id, &exists, err);
  if (!rc && !exists) {
    nsid = id;
    nsid.name = NULL;
    bool ns_exists = false;
    rc = ice_catalog_namespace_exists(cat->catalog, &nsid, &ns_exists, err);
    if (!rc && !ns_exists) {
      rc = cat->catalog->ops->namespace_create(cat->catalog, &nsid, NULL, err);
      if (rc == PRESTIGE_EEXISTS) rc = 0; /* another writer was first */
    }
    if (!rc) rc = create_with(cat, &id, s, spec, order, o, out, err);
    if (rc == PRESTIGE_EEXISTS) { /* created concurrently: load it below */
      rc = 0;
      exists = true;
    }
  }
  if (!rc && exists) {
    rc = prestige_iceberg_table_load(cat, ident, out, err);
    if (!rc) rc = check_record_fits(ice_metadata_current_schema((*out)->loaded.metadata), s, ident, err);
    if (rc) {
      prestige_iceberg_table_free(*out);
      *out = NULL;
    }
  }
  ice_schema_free(s);
  ice_partition_spec_free(spec);
  ice_sort_order_free(order);
  ice_ident_release(&id);
  free(ident);
  return rc;
}

/* ---- tables ----------------------------------------------------------------------------------------- */

int prestige_iceberg_table_load(prestige_iceberg_catalog_t *cat, const char *ident, prestige_iceberg_table_t **out,
                                prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  CHECK_CAT("prestige_iceberg_table_load");
  if (!out) return null_arg("prestige_iceberg_table_load", "out", err);
  *out = NULL;
  ice_ident_t id;
  PRESTIGE_TRY(ice_ident_parse(ident, true, &id, err));
  ice_loaded_table_t loaded = {0};
  int rc = cat->catalog->ops->table_load(cat->catalog, &id, &loaded, err);
  if (!rc) rc = ice_table_new(cat, &id, &loaded, out, err);
  ice_loaded_table_release(&loaded);
  ice_ident_release(&id);
  return rc;
}

int prestige_iceberg_table_exists(prestige_iceberg_catalog_t *cat, const char *ident, bool *exists, prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  CHECK_CAT("prestige_iceberg_table_exists");
  if (!exists) return null_arg("prestige_iceberg_table_exists", "exists", err);
  *exists = false;
  ice_ident_t id;
  PRESTIGE_TRY(ice_ident_parse(ident, true, &id, err));
  int rc = ice_catalog_table_exists(cat->catalog, &id, exists, err);
  ice_ident_release(&id);
  return rc;
}

int prestige_iceberg_table_list(prestige_iceberg_catalog_t *cat, const char *ns, char ***names, size_t *n, prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  CHECK_CAT("prestige_iceberg_table_list");
  if (!names || !n) return null_arg("prestige_iceberg_table_list", "names or n", err);
  *names = NULL;
  *n = 0;
  ice_ident_t id;
  PRESTIGE_TRY(ice_ident_parse(ns, false, &id, err));
  ice_ident_t *ids = NULL;
  size_t count = 0;
  int rc = cat->catalog->ops->table_list(cat->catalog, &id, &ids, &count, err);
  if (!rc) rc = idents_to_names(ids, count, names, err);
  if (!rc) *n = count;
  ice_idents_free(ids, count);
  ice_ident_release(&id);
  return rc;
}

int prestige_iceberg_table_rename(prestige_iceberg_catalog_t *cat, const char *from, const char *to, prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  CHECK_CAT("prestige_iceberg_table_rename");
  ice_ident_t a, b;
  PRESTIGE_TRY(ice_ident_parse(from, true, &a, err));
  int rc = ice_ident_parse(to, true, &b, err);
  if (!rc) {
    rc = cat->catalog->ops->table_rename(cat->catalog, &a, &b, err);
    ice_ident_release(&b);
  }
  ice_ident_release(&a);
  return rc;
}

int prestige_iceberg_table_drop(prestige_iceberg_catalog_t *cat, const char *ident, bool purge, prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  CHECK_CAT("prestige_iceberg_table_drop");
  ice_ident_t id;
  PRESTIGE_TRY(ice_ident_parse(ident, true, &id, err));
  int rc = cat->catalog->ops->table_drop(cat->catalog, &id, purge, err);
  ice_ident_release(&id);
  return rc;
}

int prestige_iceberg_table_register(prestige_iceberg_catalog_t *cat, const char *ident, const char *metadata_location,
                                    prestige_iceberg_table_t **out, prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  CHECK_CAT("prestige_iceberg_table_register");
  if (!metadata_location || !*metadata_location) return null_arg("prestige_iceberg_table_register", "metadata_location", err);
  if (out) *out = NULL;
  ice_ident_t id;
  PRESTIGE_TRY(ice_ident_parse(ident, true, &id, err));
  ice_loaded_table_t loaded = {0};
  int rc = cat->catalog->ops->table_register(cat->catalog, &id, metadata_location, &loaded, err);
  if (!rc && out) rc = ice_table_new(cat, &id, &loaded, out, err);
  ice_loaded_table_release(&loaded);
  ice_ident_release(&id);
  return rc;
}

int prestige_iceberg_table_refresh(prestige_iceberg_table_t *t, prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  if (!t) return null_arg("prestige_iceberg_table_refresh", "table", err);
  ice_loaded_table_t loaded = {0};
  PRESTIGE_TRY(t->catalog->ops->table_load(t->catalog, &t->ident, &loaded, err));
  int rc = ice_table_replace(t, &loaded, err);
  ice_loaded_table_release(&loaded);
  return rc;
}

void prestige_iceberg_table_free(prestige_iceberg_table_t *t) {
  if (!t) return;
  bufpool_unref(t->scan_bufs);
  ice_ident_release(&t->ident);
  free(t->ident_text);
  ice_loaded_table_release(&t->loaded);
  ice_io_free(t->io);
  free(t->snap_views);
  free(t->snap_kvs);
  free(t);
}

int prestige_iceberg_table_update_properties(prestige_iceberg_table_t *t, const prestige_kv_t *set, int64_t n_set,
                                             const char *const *remove, int64_t n_remove, prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  if (!t) return null_arg("prestige_iceberg_table_update_properties", "table", err);
  PRESTIGE_TRY(check_kvs("table properties", set, n_set, err));
  if (n_remove < 0 || (n_remove > 0 && !remove))
    return prestige_error_set(err, PRESTIGE_EINVAL, "table properties: remove / n_remove disagree");
  ice_update_t ups[2];
  memset(ups, 0, sizeof ups);
  size_t n_ups = 0;
  int rc = 0;
  if (n_set) {
    ups[n_ups].kind = ICE_UP_SET_PROPERTIES;
    rc = kvs_to_map(set, n_set, &ups[n_ups].properties, err);
    n_ups++;
  }
  if (!rc && n_remove) {
    ice_update_t *u = &ups[n_ups++];
    u->kind = ICE_UP_REMOVE_PROPERTIES;
    if (!(u->removals = calloc((size_t)n_remove, sizeof(char *)))) rc = oom(err);
    for (int64_t i = 0; !rc && i < n_remove; i++) {
      if (!remove[i]) rc = prestige_error_set(err, PRESTIGE_EINVAL, "table properties: remove[%lld] is NULL", (long long)i);
      else if (!(u->removals[i] = strdup(remove[i]))) rc = oom(err);
      else u->n_removals++;
    }
  }
  ice_retry_policy_t policy;
  ice_retry_policy_from_table(t->loaded.metadata, &policy);
  for (int attempt = 0; !rc && n_ups; attempt++) {
    ice_requirement_t req = {.kind = ICE_REQ_ASSERT_TABLE_UUID, .uuid = t->loaded.metadata->table_uuid};
    rc = ice_table_commit(t, req.uuid ? &req : NULL, req.uuid ? 1 : 0, ups, n_ups, err);
    if (rc != PRESTIGE_ECONFLICT || attempt >= policy.num_retries) break;
    ice_retry_sleep(&policy, attempt + 1);
    rc = prestige_iceberg_table_refresh(t, err);
  }
  for (size_t i = 0; i < n_ups; i++) ice_update_release(&ups[i]);
  PREFIX(rc, "table %s", t->ident_text);
  return rc;
}
