/*
 * The SQL catalog: Java's JDBC catalog schema (org.apache.iceberg.jdbc.JdbcCatalog / JdbcUtil)
 * on SQLite and PostgreSQL through src/sql, so Java, pyiceberg's SqlCatalog and prestige can
 * share one catalog database.
 *
 *   iceberg_tables (catalog_name, table_namespace, table_name, metadata_location,
 *                   previous_metadata_location, iceberg_type)        key: the first three
 *   iceberg_namespace_properties (catalog_name, namespace, property_key, property_value)
 *
 * Namespaces are their levels joined with '.'; a namespace exists when a table row or a
 * property row names it or a namespace below it (Java: created namespaces carry the reserved
 * property exists=true). iceberg_type ('TABLE' / 'VIEW', NULL read as TABLE) is Java's schema V1;
 * a database made by an older Java lacks it (V0) and is used as it is, or migrated with
 * ALTER TABLE ... ADD COLUMN when the catalog property jdbc.schema-version is V1, as Java does.
 * New databases get the V1 schema.
 *
 * A commit loads the current metadata, checks the requirements, applies the updates, writes the
 * next metadata file with put-if-absent (version = previous + 1, Java's names) and swaps the
 * pointer with UPDATE ... WHERE metadata_location = <the one loaded>: no row changed means
 * another commit won (ECONFLICT, the new file is deleted). Multi-table commits do every swap in
 * one SQL transaction. The connection is used under a mutex, so one catalog serves many threads;
 * processes coordinate through the database.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/buf.h"
#include "iceberg/catalog.h"
#include "prestige/core.h"
#include "sql/sql.h"

typedef struct sql_catalog {
  ice_catalog_t base;
  pthread_mutex_t mu;
  sql_db_t *db;
  bool v1;      /* iceberg_tables has iceberg_type */
  ice_io_t *io; /* reads metadata files (no roots: writes go through a table's own IO) */
} sql_catalog_t;

void (*ice_catalog_sql_before_swap)(void *user);
void *ice_catalog_sql_before_swap_user;

#define TABLE_FILTER " AND (iceberg_type = 'TABLE' OR iceberg_type IS NULL)"
#define EXISTS_PROPERTY "exists"

static int oom(prestige_error_t *err) { return prestige_error_set(err, PRESTIGE_ENOMEM, "SQL catalog: out of memory"); }

/* Every database failure names the catalog (the SQL layer's message names the database). */
static int db_fail(sql_catalog_t *c, int rc, prestige_error_t *err) {
  if (rc && err) prestige_error_prefix(err, "catalog \"%s\"", c->base.name);
  return rc;
}

/* ---- names ----------------------------------------------------------------------------------------- */

/* "a.b": the levels joined with '.' as Java stores them. A level holding '.' could not be read
 * back (EINVAL). */
static int ns_text(const ice_ident_t *id, char **out, prestige_error_t *err) {
  *out = NULL;
  buf_t b = BUF_INIT;
  for (size_t i = 0; i < id->n_levels; i++) {
    if (!*id->levels[i] || strchr(id->levels[i], '.')) {
      buf_release(&b);
      return prestige_error_set(err, PRESTIGE_EINVAL, "namespace level \"%s\" is empty or holds '.', which the SQL catalog joins levels with",
                                id->levels[i]);
    }
    if ((i && buf_append_u8(&b, '.')) || buf_append(&b, id->levels[i], strlen(id->levels[i]))) {
      buf_release(&b);
      return oom(err);
    }
  }
  if (buf_append_u8(&b, 0)) {
    buf_release(&b);
    return oom(err);
  }
  *out = (char *)buf_detach(&b, NULL);
  return 0;
}

/* LIKE pattern for the namespaces below ns: ns escaped with '!' (Java's ESCAPE '!') + ".%". */
static char *below_pattern(const char *ns) {
  size_t n = strlen(ns);
  char *p = malloc(2 * n + 3);
  if (!p) return NULL;
  size_t w = 0;
  for (size_t i = 0; i < n; i++) {
    if (ns[i] == '!' || ns[i] == '_' || ns[i] == '%') p[w++] = '!';
    p[w++] = ns[i];
  }
  memcpy(p + w, ".%", 3);
  return p;
}

/* ns itself or below it, compared exactly (LIKE is case-insensitive in SQLite). */
static bool ns_at_or_below(const char *stored, const char *ns) {
  size_t n = strlen(ns);
  return !strncmp(stored, ns, n) && (stored[n] == 0 || stored[n] == '.');
}

static int ident_text(const ice_ident_t *id, char **ns, prestige_error_t *err) {
  if (!id->name || !*id->name) return prestige_error_set(err, PRESTIGE_EINVAL, "table identifier without a name");
  if (!id->n_levels) return prestige_error_set(err, PRESTIGE_EINVAL, "table \"%s\" has no namespace", id->name);
  return ns_text(id, ns, err);
}

/* ---- statements --------------------------------------------------------------------------------- */

typedef int (*row_fn)(void *user, sql_stmt_t *st, prestige_error_t *err);

/* Runs sql with text parameters (NULL binds SQL NULL); rows go to fn (may be NULL); *changes
 * (may be NULL) gets the affected-row count. Called with c->mu held. */
static int run(sql_catalog_t *c, const char *sql, const char *const *args, int n_args, row_fn fn, void *user,
               int64_t *changes, prestige_error_t *err) {
  sql_stmt_t *st;
  PRESTIGE_TRY(sql_prepare(c->db, sql, &st, err));
  int rc = 0;
  for (int i = 0; i < n_args && !rc; i++) rc = sql_bind_text(st, i + 1, args[i], err);
  bool row = true;
  while (!rc) {
    rc = sql_step(st, &row, err);
    if (rc || !row) break;
    if (fn) rc = fn(user, st, err);
  }
  if (!rc && changes) *changes = sql_changes(st);
  sql_finalize(st);
  return rc;
}

/* Stops at the first row (a positive return ends run() early without an error). */
#define STOP 1

static int found_row(void *user, sql_stmt_t *st, prestige_error_t *err) {
  (void)st;
  (void)err;
  *(bool *)user = true;
  return STOP;
}

static int run_one(sql_catalog_t *c, const char *sql, const char *const *args, int n_args, row_fn fn, void *user,
                   prestige_error_t *err) {
  int rc = run(c, sql, args, n_args, fn, user, NULL, err);
  return rc == STOP ? 0 : rc;
}

/* ---- schema ------------------------------------------------------------------------------------- */

static int table_present(sql_catalog_t *c, const char *table, bool *present, prestige_error_t *err) {
  *present = false;
  const char *q = sql_dialect(c->db) == SQL_SQLITE
                      ? "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?"
                      : "SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = ?";
  const char *args[] = {table};
  return run_one(c, q, args, 1, found_row, present, err);
}

static int type_column_present(sql_catalog_t *c, bool *present, prestige_error_t *err) {
  *present = false;
  const char *q = sql_dialect(c->db) == SQL_SQLITE
                      ? "SELECT 1 FROM pragma_table_info('iceberg_tables') WHERE name = 'iceberg_type'"
                      : "SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema() AND "
                        "table_name = 'iceberg_tables' AND column_name = 'iceberg_type'";
  return run_one(c, q, NULL, 0, found_row, present, err);
}

/* Java's DDL (JdbcUtil V0_CREATE_CATALOG_SQL + V1_UPDATE_CATALOG_SQL's column,
 * CREATE_NAMESPACE_PROPERTIES_TABLE_SQL). */
static const char *const CREATE_TABLES_SQL =
    "CREATE TABLE IF NOT EXISTS iceberg_tables(catalog_name VARCHAR(255) NOT NULL,table_namespace VARCHAR(255) NOT NULL,"
    "table_name VARCHAR(255) NOT NULL,metadata_location VARCHAR(1000),previous_metadata_location VARCHAR(1000),"
    "iceberg_type VARCHAR(5),PRIMARY KEY (catalog_name, table_namespace, table_name))";
static const char *const CREATE_PROPS_SQL =
    "CREATE TABLE IF NOT EXISTS iceberg_namespace_properties(catalog_name VARCHAR(255) NOT NULL,namespace VARCHAR(255) NOT NULL,"
    "property_key VARCHAR(255),property_value VARCHAR(1000),PRIMARY KEY (catalog_name, namespace, property_key))";

static const char *prop(const prestige_iceberg_catalog_options_t *o, const char *key) {
  for (int64_t i = 0; i < o->n_properties; i++)
    if (o->properties[i].key && !strcmp(o->properties[i].key, key)) return o->properties[i].value;
  return NULL;
}

/* Creates what is missing (another process may be doing the same: a failed CREATE is checked
 * again), then detects the schema version and migrates V0 when asked. */
static int init_schema(sql_catalog_t *c, const prestige_iceberg_catalog_options_t *o, prestige_error_t *err) {
  const char *init = prop(o, "jdbc.init-catalog-tables");
  bool create = !init || strcasecmp(init, "false") != 0;
  const char *names[] = {"iceberg_tables", "iceberg_namespace_properties"};
  const char *ddl[] = {CREATE_TABLES_SQL, CREATE_PROPS_SQL};
  for (int i = 0; i < 2; i++) {
    bool present;
    PRESTIGE_TRY(table_present(c, names[i], &present, err));
    if (present) continue;
    if (!create)
      return prestige_error_set(err, PRESTIGE_ENOTFOUND,
                                "catalog database %s has no table %s (and jdbc.init-catalog-tables is false)",
                                sql_where(c->db), names[i]);
    int rc = sql_exec(c->db, ddl[i], err);
    if (rc) {
      int rc2 = table_present(c, names[i], &present, NULL);
      if (rc2 || !present) return rc;
    }
  }
  bool v1;
  PRESTIGE_TRY(type_column_present(c, &v1, err));
  const char *want = prop(o, "jdbc.schema-version");
  if (want && strcasecmp(want, "V0") && strcasecmp(want, "V1"))
    return prestige_error_set(err, PRESTIGE_EINVAL, "catalog property jdbc.schema-version is \"%s\": V0 or V1", want);
  if (!v1 && want && !strcasecmp(want, "V1")) {
    int rc = sql_exec(c->db, "ALTER TABLE iceberg_tables ADD COLUMN iceberg_type VARCHAR(5)", err);
    if (rc) { /* a concurrent migration? */
      int rc2 = type_column_present(c, &v1, NULL);
      if (rc2 || !v1) return rc;
    }
    v1 = true;
  }
  c->v1 = v1;
  return 0;
}

/* ---- namespaces ------------------------------------------------------------------------------- */

typedef struct ns_match {
  const char *ns;
  bool found;
} ns_match_t;

static int ns_match_row(void *user, sql_stmt_t *st, prestige_error_t *err) {
  (void)err;
  ns_match_t *m = user;
  const char *v = sql_column_text(st, 0);
  if (v && ns_at_or_below(v, m->ns)) {
    m->found = true;
    return STOP;
  }
  return 0;
}

/* JdbcUtil.namespaceExists: a table or property row names ns or a namespace below it. */
static int ns_exists_locked(sql_catalog_t *c, const char *ns, bool *exists, prestige_error_t *err) {
  *exists = false;
  char *pat = below_pattern(ns);
  if (!pat) return oom(err);
  const char *args[] = {c->base.name, ns, pat};
  ns_match_t m = {ns, false};
  int rc = run_one(c,
                   "SELECT table_namespace FROM iceberg_tables WHERE catalog_name = ? AND "
                   "(table_namespace = ? OR table_namespace LIKE ? ESCAPE '!')",
                   args, 3, ns_match_row, &m, err);
  if (!rc && !m.found)
    rc = run_one(c,
                 "SELECT namespace FROM iceberg_namespace_properties WHERE catalog_name = ? AND "
                 "(namespace = ? OR namespace LIKE ? ESCAPE '!')",
                 args, 3, ns_match_row, &m, err);
  free(pat);
  *exists = m.found;
  return rc;
}

static int ns_require(sql_catalog_t *c, const char *ns, prestige_error_t *err) {
  bool exists;
  PRESTIGE_TRY(ns_exists_locked(c, ns, &exists, err));
  if (!exists)
    return prestige_error_set(err, PRESTIGE_ENOTFOUND, "namespace %s does not exist in catalog \"%s\"", ns, c->base.name);
  return 0;
}

static int sql_namespace_exists(ice_catalog_t *base, const ice_ident_t *id, bool *exists, prestige_error_t *err) {
  sql_catalog_t *c = (sql_catalog_t *)base;
  *exists = false;
  char *ns;
  PRESTIGE_TRY(ns_text(id, &ns, err));
  pthread_mutex_lock(&c->mu);
  int rc = db_fail(c, ns_exists_locked(c, ns, exists, err), err);
  pthread_mutex_unlock(&c->mu);
  free(ns);
  return rc;
}

static int insert_prop(sql_catalog_t *c, const char *ns, const char *key, const char *value, prestige_error_t *err) {
  const char *args[] = {c->base.name, ns, key, value};
  return run(c, "INSERT INTO iceberg_namespace_properties (catalog_name, namespace, property_key, property_value) VALUES (?, ?, ?, ?)",
             args, 4, NULL, NULL, NULL, err);
}

static int check_reserved(const char *key, prestige_error_t *err) {
  if (!key || !*key) return prestige_error_set(err, PRESTIGE_EINVAL, "empty namespace property name");
  if (!strcmp(key, EXISTS_PROPERTY))
    return prestige_error_set(err, PRESTIGE_EINVAL, "namespace property \"%s\" is reserved by the catalog", key);
  return 0;
}

/* Rolls back after a failure inside a transaction (the failure's message is kept). */
static int rollback(sql_catalog_t *c, int rc) {
  if (sql_in_transaction(c->db)) sql_rollback(c->db, NULL);
  return rc;
}

static int sql_namespace_create(ice_catalog_t *base, const ice_ident_t *id, const ice_strmap_t *props, prestige_error_t *err) {
  sql_catalog_t *c = (sql_catalog_t *)base;
  if (!id->n_levels) return prestige_error_set(err, PRESTIGE_EINVAL, "cannot create the root namespace");
  for (size_t i = 0; props && i < props->n; i++) PRESTIGE_TRY(check_reserved(props->items[i].key, err));
  char *ns;
  PRESTIGE_TRY(ns_text(id, &ns, err));
  pthread_mutex_lock(&c->mu);
  bool exists;
  int rc = ns_exists_locked(c, ns, &exists, err);
  if (!rc && exists)
    rc = prestige_error_set(err, PRESTIGE_EEXISTS, "namespace %s already exists in catalog \"%s\"", ns, c->base.name);
  else if (!rc) {
    rc = sql_begin(c->db, err);
    for (size_t i = 0; props && i < props->n && !rc; i++) rc = insert_prop(c, ns, props->items[i].key, props->items[i].value, err);
    if (!rc) rc = insert_prop(c, ns, EXISTS_PROPERTY, "true", err);
    if (!rc) rc = sql_commit(c->db, err);
    rc = rollback(c, rc);
    if (rc == PRESTIGE_EEXISTS) /* created by another writer since we looked */
      rc = prestige_error_set(err, PRESTIGE_EEXISTS, "namespace %s already exists in catalog \"%s\"", ns, c->base.name);
    else
      rc = db_fail(c, rc, err);
  } else {
    rc = db_fail(c, rc, err);
  }
  pthread_mutex_unlock(&c->mu);
  free(ns);
  return rc;
}

typedef struct ns_list {
  const char *parent; /* NULL: top level */
  size_t depth;       /* levels of the children */
  ice_ident_t *items;
  size_t n, cap;
} ns_list_t;

static int ns_list_row(void *user, sql_stmt_t *st, prestige_error_t *err) {
  ns_list_t *l = user;
  const char *v = sql_column_text(st, 0);
  if (!v || !*v) return 0;
  if (l->parent && (!ns_at_or_below(v, l->parent) || !strcmp(v, l->parent))) return 0;
  ice_ident_t id;
  if (ice_ident_parse(v, false, &id, NULL)) return 0; /* a malformed row (empty level) names nothing */
  if (id.n_levels < l->depth) {
    ice_ident_release(&id);
    return 0;
  }
  for (size_t i = l->depth; i < id.n_levels; i++) free(id.levels[i]);
  id.n_levels = l->depth;
  for (size_t i = 0; i < l->n; i++) {
    if (ice_ident_equal(&l->items[i], &id)) {
      ice_ident_release(&id);
      return 0;
    }
  }
  if (l->n == l->cap) {
    size_t cap = l->cap ? 2 * l->cap : 8;
    ice_ident_t *p = realloc(l->items, cap * sizeof *p);
    if (!p) {
      ice_ident_release(&id);
      return oom(err);
    }
    l->items = p;
    l->cap = cap;
  }
  l->items[l->n++] = id;
  return 0;
}

static int cmp_ident(const void *a, const void *b) {
  char *x = ice_ident_format(a), *y = ice_ident_format(b);
  int r = x && y ? strcmp(x, y) : 0;
  free(x);
  free(y);
  return r;
}

static int sql_namespace_list(ice_catalog_t *base, const ice_ident_t *parent, ice_ident_t **out, size_t *n,
                              prestige_error_t *err) {
  sql_catalog_t *c = (sql_catalog_t *)base;
  *out = NULL;
  *n = 0;
  char *ns = NULL, *pat = NULL;
  if (parent && parent->n_levels) {
    PRESTIGE_TRY(ns_text(parent, &ns, err));
    if (!(pat = below_pattern(ns))) {
      free(ns);
      return oom(err);
    }
  }
  ns_list_t l = {ns, ns ? parent->n_levels + 1 : 1, NULL, 0, 0};
  pthread_mutex_lock(&c->mu);
  int rc = ns ? ns_require(c, ns, err) : 0;
  const char *args[] = {c->base.name, pat};
  if (!rc)
    rc = run(c,
             ns ? "SELECT DISTINCT table_namespace FROM iceberg_tables WHERE catalog_name = ? AND table_namespace LIKE ? ESCAPE '!'"
                : "SELECT DISTINCT table_namespace FROM iceberg_tables WHERE catalog_name = ?",
             args, ns ? 2 : 1, ns_list_row, &l, NULL, err);
  if (!rc)
    rc = run(c,
             ns ? "SELECT DISTINCT namespace FROM iceberg_namespace_properties WHERE catalog_name = ? AND namespace LIKE ? ESCAPE '!'"
                : "SELECT DISTINCT namespace FROM iceberg_namespace_properties WHERE catalog_name = ?",
             args, ns ? 2 : 1, ns_list_row, &l, NULL, err);
  rc = db_fail(c, rc, err);
  pthread_mutex_unlock(&c->mu);
  free(ns);
  free(pat);
  if (rc) {
    ice_idents_free(l.items, l.n);
    return rc;
  }
  if (l.n) qsort(l.items, l.n, sizeof *l.items, cmp_ident);
  *out = l.items;
  *n = l.n;
  return 0;
}

static int props_row(void *user, sql_stmt_t *st, prestige_error_t *err) {
  const char *k = sql_column_text(st, 0), *v = sql_column_text(st, 1);
  if (!k || !strcmp(k, EXISTS_PROPERTY)) return 0;
  return ice_strmap_set(user, k, v ? v : "") ? oom(err) : 0;
}

static int sql_namespace_load(ice_catalog_t *base, const ice_ident_t *id, ice_strmap_t *props, prestige_error_t *err) {
  sql_catalog_t *c = (sql_catalog_t *)base;
  memset(props, 0, sizeof *props);
  char *ns;
  PRESTIGE_TRY(ns_text(id, &ns, err));
  pthread_mutex_lock(&c->mu);
  int rc = ns_require(c, ns, err);
  const char *args[] = {c->base.name, ns};
  if (!rc)
    rc = run(c,
             "SELECT property_key, property_value FROM iceberg_namespace_properties WHERE catalog_name = ? AND namespace = ? "
             "ORDER BY property_key",
             args, 2, props_row, props, NULL, err);
  rc = db_fail(c, rc, err);
  pthread_mutex_unlock(&c->mu);
  free(ns);
  /* Java's loadNamespaceMetadata: the default location when none is set */
  if (!rc && !ice_strmap_get(props, "location") && c->base.warehouse) {
    ice_ident_t nsid = *id;
    nsid.name = NULL;
    char *loc;
    rc = ice_catalog_default_location(&c->base, &nsid, &loc, err);
    if (!rc) {
      if (ice_strmap_set(props, "location", loc)) rc = oom(err);
      free(loc);
    }
  }
  if (rc) ice_strmap_release(props);
  return rc;
}

static int sql_namespace_update(ice_catalog_t *base, const ice_ident_t *id, const ice_strmap_t *set, char *const *remove,
                                size_t n_remove, prestige_error_t *err) {
  sql_catalog_t *c = (sql_catalog_t *)base;
  for (size_t i = 0; set && i < set->n; i++) {
    PRESTIGE_TRY(check_reserved(set->items[i].key, err));
    for (size_t j = 0; j < n_remove; j++)
      if (!strcmp(set->items[i].key, remove[j]))
        return prestige_error_set(err, PRESTIGE_EINVAL, "namespace property \"%s\" is both set and removed", remove[j]);
  }
  for (size_t j = 0; j < n_remove; j++) PRESTIGE_TRY(check_reserved(remove[j], err));
  char *ns;
  PRESTIGE_TRY(ns_text(id, &ns, err));
  pthread_mutex_lock(&c->mu);
  int rc = ns_require(c, ns, err);
  if (!rc) rc = sql_begin(c->db, err);
  for (size_t i = 0; set && i < set->n && !rc; i++) {
    const char *args[] = {set->items[i].value, c->base.name, ns, set->items[i].key};
    int64_t changed = 0;
    rc = run(c,
             "UPDATE iceberg_namespace_properties SET property_value = ? WHERE catalog_name = ? AND namespace = ? AND "
             "property_key = ?",
             args, 4, NULL, NULL, &changed, err);
    if (!rc && changed == 0) rc = insert_prop(c, ns, set->items[i].key, set->items[i].value, err);
  }
  for (size_t j = 0; j < n_remove && !rc; j++) {
    const char *args[] = {c->base.name, ns, remove[j]};
    rc = run(c, "DELETE FROM iceberg_namespace_properties WHERE catalog_name = ? AND namespace = ? AND property_key = ?", args,
             3, NULL, NULL, NULL, err);
  }
  if (!rc) rc = sql_commit(c->db, err);
  rc = db_fail(c, rollback(c, rc), err);
  pthread_mutex_unlock(&c->mu);
  free(ns);
  return rc;
}

static int count_row(void *user, sql_stmt_t *st, prestige_error_t *err) {
  (void)err;
  *(int64_t *)user = sql_column_int64(st, 0);
  return STOP;
}

static int sql_namespace_drop(ice_catalog_t *base, const ice_ident_t *id, prestige_error_t *err) {
  sql_catalog_t *c = (sql_catalog_t *)base;
  if (!id->n_levels) return prestige_error_set(err, PRESTIGE_EINVAL, "cannot drop the root namespace");
  ice_ident_t *children = NULL;
  size_t n_children = 0;
  PRESTIGE_TRY(sql_namespace_list(base, id, &children, &n_children, err));
  char *ns;
  int rc = ns_text(id, &ns, err);
  if (rc) {
    ice_idents_free(children, n_children);
    return rc;
  }
  if (n_children) {
    char *first = ice_ident_format(&children[0]);
    rc = prestige_error_set(err, PRESTIGE_EEXISTS, "namespace %s is not empty: it holds %zu namespace(s) (%s%s)", ns, n_children,
                            first ? first : "?", n_children > 1 ? ", ..." : "");
    free(first);
  }
  ice_idents_free(children, n_children);
  pthread_mutex_lock(&c->mu);
  int64_t tables = 0;
  const char *args[] = {c->base.name, ns};
  /* views count too: Java refuses to drop a namespace holding views */
  if (!rc) rc = run_one(c, "SELECT COUNT(*) FROM iceberg_tables WHERE catalog_name = ? AND table_namespace = ?", args, 2, count_row,
                        &tables, err);
  if (!rc && tables)
    rc = prestige_error_set(err, PRESTIGE_EEXISTS, "namespace %s is not empty: it holds %lld table(s)", ns, (long long)tables);
  else if (!rc)
    rc = run(c, "DELETE FROM iceberg_namespace_properties WHERE catalog_name = ? AND namespace = ?", args, 2, NULL, NULL, NULL,
             err);
  if (rc && rc != PRESTIGE_EEXISTS) rc = db_fail(c, rc, err);
  pthread_mutex_unlock(&c->mu);
  free(ns);
  return rc;
}

/* ---- table rows ---------------------------------------------------------------------------------- */

/* The table's current metadata location (NULL when the row holds none); *found false when
 * there is no such table. Called with c->mu held. */
static int row_load(sql_catalog_t *c, const char *ns, const char *name, bool *found, char **location, prestige_error_t *err) {
  *found = false;
  *location = NULL;
  char q[256];
  snprintf(q, sizeof q,
           "SELECT metadata_location FROM iceberg_tables WHERE catalog_name = ? AND table_namespace = ? AND table_name = ?%s",
           c->v1 ? TABLE_FILTER : "");
  const char *args[] = {c->base.name, ns, name};
  sql_stmt_t *st;
  PRESTIGE_TRY(sql_prepare(c->db, q, &st, err));
  int rc = 0;
  for (int i = 0; i < 3 && !rc; i++) rc = sql_bind_text(st, i + 1, args[i], err);
  bool row = false;
  if (!rc) rc = sql_step(st, &row, err);
  if (!rc && row) {
    *found = true;
    const char *v = sql_column_text(st, 0);
    if (v && !(*location = strdup(v))) rc = oom(err);
  }
  sql_finalize(st);
  return rc;
}

static int view_exists(sql_catalog_t *c, const char *ns, const char *name, bool *exists, prestige_error_t *err) {
  *exists = false;
  if (!c->v1) return 0;
  const char *args[] = {c->base.name, ns, name};
  return run_one(c,
                 "SELECT 1 FROM iceberg_tables WHERE catalog_name = ? AND table_namespace = ? AND table_name = ? AND iceberg_type = 'VIEW'",
                 args, 3, found_row, exists, err);
}

static int no_table(const ice_catalog_t *c, const char *ns, const char *name, prestige_error_t *err) {
  return prestige_error_set(err, PRESTIGE_ENOTFOUND, "table %s.%s does not exist in catalog \"%s\"", ns, name, c->name);
}

/* Current location of a table that must exist (ENOTFOUND). Takes c->mu. */
static int current_location(sql_catalog_t *c, const ice_ident_t *id, char **ns_out, char **location, prestige_error_t *err) {
  *location = NULL;
  PRESTIGE_TRY(ident_text(id, ns_out, err));
  bool found;
  pthread_mutex_lock(&c->mu);
  int rc = db_fail(c, row_load(c, *ns_out, id->name, &found, location, err), err);
  pthread_mutex_unlock(&c->mu);
  if (!rc && !found) rc = no_table(&c->base, *ns_out, id->name, err);
  if (!rc && !*location)
    rc = prestige_error_set(err, PRESTIGE_ECORRUPT, "table %s.%s: its catalog row holds no metadata location", *ns_out, id->name);
  if (rc) {
    free(*ns_out);
    *ns_out = NULL;
    free(*location);
    *location = NULL;
  }
  return rc;
}

static int sql_table_exists(ice_catalog_t *base, const ice_ident_t *id, bool *exists, prestige_error_t *err) {
  sql_catalog_t *c = (sql_catalog_t *)base;
  *exists = false;
  char *ns, *loc = NULL;
  PRESTIGE_TRY(ident_text(id, &ns, err));
  pthread_mutex_lock(&c->mu);
  int rc = db_fail(c, row_load(c, ns, id->name, exists, &loc, err), err);
  pthread_mutex_unlock(&c->mu);
  free(loc);
  free(ns);
  return rc;
}

static int load_at(sql_catalog_t *c, const char *ns, const char *name, char *location, ice_loaded_table_t *out,
                   prestige_error_t *err) {
  int rc = ice_catalog_read_metadata(c->io, location, &out->metadata, err);
  if (rc) {
    if (err) prestige_error_prefix(err, "table %s.%s", ns, name);
    free(location);
    return rc;
  }
  out->metadata_location = location;
  return 0;
}

static int sql_table_load(ice_catalog_t *base, const ice_ident_t *id, ice_loaded_table_t *out, prestige_error_t *err) {
  sql_catalog_t *c = (sql_catalog_t *)base;
  memset(out, 0, sizeof *out);
  char *ns, *loc;
  PRESTIGE_TRY(current_location(c, id, &ns, &loc, err));
  int rc = load_at(c, ns, id->name, loc, out, err);
  free(ns);
  return rc;
}

typedef struct names {
  const char *ns;
  ice_ident_t *items;
  size_t n, cap;
} names_t;

static int names_row(void *user, sql_stmt_t *st, prestige_error_t *err) {
  names_t *l = user;
  const char *name = sql_column_text(st, 0);
  if (!name) return 0;
  if (l->n == l->cap) {
    size_t cap = l->cap ? 2 * l->cap : 8;
    ice_ident_t *p = realloc(l->items, cap * sizeof *p);
    if (!p) return oom(err);
    l->items = p;
    l->cap = cap;
  }
  ice_ident_t *id = &l->items[l->n];
  if (ice_ident_parse(l->ns, false, id, NULL)) return 0;
  if (!(id->name = strdup(name))) {
    ice_ident_release(id);
    return oom(err);
  }
  l->n++;
  return 0;
}

static int sql_table_list(ice_catalog_t *base, const ice_ident_t *nsid, ice_ident_t **out, size_t *n, prestige_error_t *err) {
  sql_catalog_t *c = (sql_catalog_t *)base;
  *out = NULL;
  *n = 0;
  char *ns;
  PRESTIGE_TRY(ns_text(nsid, &ns, err));
  names_t l = {ns, NULL, 0, 0};
  char q[256];
  snprintf(q, sizeof q, "SELECT table_name FROM iceberg_tables WHERE catalog_name = ? AND table_namespace = ?%s ORDER BY table_name",
           c->v1 ? TABLE_FILTER : "");
  const char *args[] = {c->base.name, ns};
  pthread_mutex_lock(&c->mu);
  int rc = ns_require(c, ns, err);
  if (!rc) rc = run(c, q, args, 2, names_row, &l, NULL, err);
  rc = db_fail(c, rc, err);
  pthread_mutex_unlock(&c->mu);
  free(ns);
  if (rc) {
    ice_idents_free(l.items, l.n);
    return rc;
  }
  *out = l.items;
  *n = l.n;
  return 0;
}

/* Inserts the row of a new table (Java's doCommitCreateTable). EEXISTS when taken. */
static int insert_table(sql_catalog_t *c, const char *ns, const char *name, const char *location, prestige_error_t *err) {
  const char *args[] = {c->base.name, ns, name, location, "TABLE"};
  int rc = run(c,
               c->v1 ? "INSERT INTO iceberg_tables (catalog_name, table_namespace, table_name, metadata_location, "
                       "previous_metadata_location, iceberg_type) VALUES (?, ?, ?, ?, NULL, ?)"
                     : "INSERT INTO iceberg_tables (catalog_name, table_namespace, table_name, metadata_location, "
                       "previous_metadata_location) VALUES (?, ?, ?, ?, NULL)",
               args, c->v1 ? 5 : 4, NULL, NULL, NULL, err);
  if (rc == PRESTIGE_EEXISTS)
    return prestige_error_set(err, PRESTIGE_EEXISTS, "table %s.%s already exists in catalog \"%s\"", ns, name, c->base.name);
  return db_fail(c, rc, err);
}

/* Checks, before any file is written, that a new table can be registered under id. */
static int check_free(sql_catalog_t *c, const char *ns, const char *name, prestige_error_t *err) {
  pthread_mutex_lock(&c->mu);
  int rc = ns_require(c, ns, err);
  bool taken = false;
  char *loc = NULL;
  if (!rc) rc = view_exists(c, ns, name, &taken, err);
  if (!rc && taken)
    rc = prestige_error_set(err, PRESTIGE_EEXISTS, "a view named %s.%s already exists in catalog \"%s\"", ns, name, c->base.name);
  if (!rc) rc = row_load(c, ns, name, &taken, &loc, err);
  if (!rc && taken)
    rc = prestige_error_set(err, PRESTIGE_EEXISTS, "table %s.%s already exists in catalog \"%s\"", ns, name, c->base.name);
  if (rc && rc != PRESTIGE_EEXISTS && rc != PRESTIGE_ENOTFOUND) rc = db_fail(c, rc, err);
  pthread_mutex_unlock(&c->mu);
  free(loc);
  return rc;
}

/* Writes md as the next metadata file after previous (NULL: version 0), put-if-absent, with an
 * IO rooted at the table. *location malloc'd. */
static int write_metadata(sql_catalog_t *c, const ice_table_metadata_t *md, const char *previous, char **location,
                          prestige_error_t *err) {
  *location = NULL;
  char name[4096];
  PRESTIGE_TRY(ice_metadata_next_file_name(md, previous, name, sizeof name, err));
  char *text = ice_metadata_write_text(md, err);
  if (!text) return err && err->code ? err->code : PRESTIGE_ENOMEM;
  ice_io_t *io;
  int rc = ice_catalog_table_io(&c->base, md->location, &io, err);
  if (!rc) {
    rc = ice_io_write(io, name, text, strlen(text), true, err);
    ice_io_free(io);
  }
  free(text);
  if (!rc && !(*location = strdup(name))) {
    ice_io_delete(c->io, name, NULL);
    rc = oom(err);
  }
  return rc;
}

static int sql_table_create(ice_catalog_t *base, const ice_ident_t *id, const ice_create_request_t *req, ice_loaded_table_t *out,
                            prestige_error_t *err) {
  sql_catalog_t *c = (sql_catalog_t *)base;
  memset(out, 0, sizeof *out);
  char *ns, *location = NULL, *meta_loc = NULL;
  ice_table_metadata_t *md = NULL;
  PRESTIGE_TRY(ident_text(id, &ns, err));
  int rc = 0;
  if (req->format_version < 2 || req->format_version > ICE_FORMAT_VERSION_MAX) {
    rc = prestige_error_set(err, req->format_version == 1 ? PRESTIGE_EUNSUPPORTED : PRESTIGE_EINVAL,
                            "table %s.%s: format version %d: prestige writes format versions 2 and 3%s", ns, id->name,
                            req->format_version, req->format_version == 1 ? " (it reads version 1 tables only)" : "");
    goto out;
  }
  if (!req->stage_create && (rc = check_free(c, ns, id->name, err))) goto out;
  if (req->location) rc = ice_location_normalize(req->location, &location, err);
  else rc = ice_catalog_default_location(base, id, &location, err);
  if (rc) goto out;
  size_t ll = strlen(location);
  while (ll > 5 && location[ll - 1] == '/') location[--ll] = 0;
  if ((rc = ice_metadata_new_table(req->schema, req->spec, req->order, location, req->properties, req->format_version,
                                   prestige_now_ms(), &md, err))) {
    if (err) prestige_error_prefix(err, "table %s.%s", ns, id->name);
    goto out;
  }
  if (req->stage_create) {
    out->metadata = md;
    md = NULL;
    goto out;
  }
  if ((rc = write_metadata(c, md, NULL, &meta_loc, err))) goto out;
  pthread_mutex_lock(&c->mu);
  rc = insert_table(c, ns, id->name, meta_loc, err);
  pthread_mutex_unlock(&c->mu);
  if (rc) { /* the table was taken meanwhile (or the insert failed): no orphan metadata file */
    ice_io_delete(c->io, meta_loc, NULL);
    goto out;
  }
  out->metadata_location = meta_loc;
  out->metadata = md;
  meta_loc = NULL;
  md = NULL;
out:
  free(ns);
  free(location);
  free(meta_loc);
  ice_metadata_free(md);
  return rc;
}

/* ---- commits ---------------------------------------------------------------------------------------- */

/* One table's part of a commit, prepared outside any lock: the base it was computed from and
 * the next metadata, already written. */
typedef struct prepared {
  char *ns;
  const char *name;
  char *base_location; /* NULL: a new table (assert-create) */
  char *new_location;
  ice_table_metadata_t *next;
} prepared_t;

static void prepared_release(prepared_t *p) {
  free(p->ns);
  free(p->base_location);
  free(p->new_location);
  ice_metadata_free(p->next);
  memset(p, 0, sizeof *p);
}

static bool asserts_create(const ice_table_commit_t *tc) {
  for (size_t i = 0; i < tc->n_requirements; i++)
    if (tc->requirements[i].kind == ICE_REQ_ASSERT_CREATE) return true;
  return false;
}

static int prepare(sql_catalog_t *c, const ice_table_commit_t *tc, prepared_t *p, prestige_error_t *err) {
  memset(p, 0, sizeof *p);
  p->name = tc->ident->name;
  PRESTIGE_TRY(ident_text(tc->ident, &p->ns, err));
  bool found;
  pthread_mutex_lock(&c->mu);
  int rc = db_fail(c, row_load(c, p->ns, p->name, &found, &p->base_location, err), err);
  pthread_mutex_unlock(&c->mu);
  if (rc) return rc;
  ice_table_metadata_t *base_md = NULL;
  if (!found && !asserts_create(tc)) return no_table(&c->base, p->ns, p->name, err);
  if (found && !p->base_location)
    return prestige_error_set(err, PRESTIGE_ECORRUPT, "table %s.%s: its catalog row holds no metadata location", p->ns, p->name);
  if (found && (rc = ice_catalog_read_metadata(c->io, p->base_location, &base_md, err))) {
    if (err) prestige_error_prefix(err, "table %s.%s", p->ns, p->name);
    return rc;
  }
  if (!found && (rc = check_free(c, p->ns, p->name, err))) return rc;
  if (base_md && base_md->format_version < 2) {
    bool upgrades = false;
    for (size_t i = 0; i < tc->n_updates; i++)
      upgrades |= tc->updates[i].kind == ICE_UP_UPGRADE_FORMAT_VERSION && tc->updates[i].format_version >= 2;
    if (!upgrades) {
      rc = prestige_error_set(err, PRESTIGE_EUNSUPPORTED,
                              "table %s.%s is format version %d: prestige reads it but does not write it (upgrade it to "
                              "version 2 first)",
                              p->ns, p->name, base_md->format_version);
      goto out;
    }
  }
  if ((rc = ice_requirements_check(base_md, tc->requirements, tc->n_requirements, err))) {
    if (err) prestige_error_prefix(err, "table %s.%s", p->ns, p->name);
    goto out;
  }
  if ((rc = ice_metadata_apply(base_md, p->base_location, tc->updates, tc->n_updates, prestige_now_ms(), &p->next, err))) {
    if (err) prestige_error_prefix(err, "table %s.%s", p->ns, p->name);
    goto out;
  }
  rc = write_metadata(c, p->next, p->base_location, &p->new_location, err);
  if (rc && err) prestige_error_prefix(err, "table %s.%s", p->ns, p->name);
out:
  ice_metadata_free(base_md);
  return rc;
}

/* The compare-and-set (JdbcUtil V1_DO_COMMIT_TABLE_SQL / V0_DO_COMMIT_SQL), or the insert of a
 * table created by the commit. Called with c->mu held. *swapped false: another commit won. */
static int swap(sql_catalog_t *c, const prepared_t *p, bool *swapped, prestige_error_t *err) {
  *swapped = false;
  if (!p->base_location) {
    int rc = insert_table(c, p->ns, p->name, p->new_location, err);
    if (rc == PRESTIGE_EEXISTS) return 0;
    *swapped = !rc;
    return rc;
  }
  char q[512];
  snprintf(q, sizeof q,
           "UPDATE iceberg_tables SET metadata_location = ?, previous_metadata_location = ? WHERE catalog_name = ? AND "
           "table_namespace = ? AND table_name = ? AND metadata_location = ?%s",
           c->v1 ? TABLE_FILTER : "");
  const char *args[] = {p->new_location, p->base_location, c->base.name, p->ns, p->name, p->base_location};
  int64_t changed = 0;
  int rc = run(c, q, args, 6, NULL, NULL, &changed, err);
  if (!rc) *swapped = changed == 1;
  return db_fail(c, rc, err);
}

static int lost(sql_catalog_t *c, const prepared_t *p, prestige_error_t *err) {
  if (!p->base_location)
    return prestige_error_set(err, PRESTIGE_ECONFLICT, "table %s.%s was created by another writer (catalog \"%s\")", p->ns, p->name,
                              c->base.name);
  return prestige_error_set(err, PRESTIGE_ECONFLICT,
                            "table %s.%s: another commit won (its metadata is no longer %s in catalog \"%s\"); refresh and retry",
                            p->ns, p->name, p->base_location, c->base.name);
}

/* After a failed swap whose outcome the database did not tell (the connection broke): the row
 * says what happened. 0: it landed; the original code: it did not; EUNKNOWN_STATE: cannot tell. */
static int resolve(sql_catalog_t *c, const prepared_t *p, int rc, prestige_error_t *err) {
  if (rc != PRESTIGE_ENET && rc != PRESTIGE_EIO && rc != PRESTIGE_ETIMEOUT) return rc;
  bool found;
  char *now = NULL;
  if (row_load(c, p->ns, p->name, &found, &now, NULL)) {
    if (err) {
      prestige_error_prefix(err, "table %s.%s: the commit's outcome is unknown", p->ns, p->name);
      err->code = PRESTIGE_EUNKNOWN_STATE;
    }
    return PRESTIGE_EUNKNOWN_STATE;
  }
  if (found && now && !strcmp(now, p->new_location)) rc = 0;
  free(now);
  return rc;
}

static int sql_table_commit(ice_catalog_t *base, const ice_table_commit_t *tc, ice_loaded_table_t *out, prestige_error_t *err) {
  sql_catalog_t *c = (sql_catalog_t *)base;
  memset(out, 0, sizeof *out);
  prepared_t p;
  int rc = prepare(c, tc, &p, err);
  if (rc) {
    if (p.new_location) ice_io_delete(c->io, p.new_location, NULL);
    prepared_release(&p);
    return rc;
  }
  bool swapped = false;
  if (ice_catalog_sql_before_swap) ice_catalog_sql_before_swap(ice_catalog_sql_before_swap_user);
  pthread_mutex_lock(&c->mu);
  rc = swap(c, &p, &swapped, err);
  if (rc) rc = resolve(c, &p, rc, err);
  else if (!swapped) rc = lost(c, &p, err);
  pthread_mutex_unlock(&c->mu);
  if (rc && rc != PRESTIGE_EUNKNOWN_STATE) ice_io_delete(c->io, p.new_location, NULL);
  if (!rc) {
    out->metadata_location = p.new_location;
    out->metadata = p.next;
    p.new_location = NULL;
    p.next = NULL;
  }
  prepared_release(&p);
  return rc;
}

static int sql_transaction_commit(ice_catalog_t *base, const ice_table_commit_t *commits, size_t n, prestige_error_t *err) {
  sql_catalog_t *c = (sql_catalog_t *)base;
  if (!n) return 0;
  for (size_t i = 0; i < n; i++)
    for (size_t j = 0; j < i; j++)
      if (ice_ident_equal(commits[i].ident, commits[j].ident)) {
        char *name = ice_ident_format(commits[i].ident);
        int rc = prestige_error_set(err, PRESTIGE_EINVAL, "transaction names table %s twice", name ? name : "?");
        free(name);
        return rc;
      }
  prepared_t *ps = calloc(n, sizeof *ps);
  if (!ps) return oom(err);
  int rc = 0;
  for (size_t i = 0; i < n && !rc; i++) rc = prepare(c, &commits[i], &ps[i], err);
  bool unknown = false;
  if (!rc && ice_catalog_sql_before_swap) ice_catalog_sql_before_swap(ice_catalog_sql_before_swap_user);
  if (!rc) {
    pthread_mutex_lock(&c->mu);
    rc = db_fail(c, sql_begin(c->db, err), err);
    for (size_t i = 0; i < n && !rc; i++) {
      bool swapped;
      rc = swap(c, &ps[i], &swapped, err);
      if (!rc && !swapped) rc = lost(c, &ps[i], err);
    }
    if (!rc) {
      rc = db_fail(c, sql_commit(c->db, err), err);
      /* a COMMIT that broke off may have landed: the first table's row tells */
      if (rc) {
        rc = resolve(c, &ps[0], rc, err);
        unknown = rc == PRESTIGE_EUNKNOWN_STATE;
      }
    } else {
      rollback(c, rc);
    }
    pthread_mutex_unlock(&c->mu);
  }
  for (size_t i = 0; i < n; i++) {
    if (rc && !unknown && ps[i].new_location) ice_io_delete(c->io, ps[i].new_location, NULL);
    prepared_release(&ps[i]);
  }
  free(ps);
  return rc;
}

/* ---- rename, drop, register ------------------------------------------------------------------- */

static int sql_table_rename(ice_catalog_t *base, const ice_ident_t *from, const ice_ident_t *to, prestige_error_t *err) {
  sql_catalog_t *c = (sql_catalog_t *)base;
  if (ice_ident_equal(from, to)) return 0;
  char *fns = NULL, *tns = NULL, *loc = NULL;
  int rc = ident_text(from, &fns, err);
  if (!rc) rc = ident_text(to, &tns, err);
  if (rc) {
    free(fns);
    return rc;
  }
  bool found = false;
  pthread_mutex_lock(&c->mu);
  rc = row_load(c, fns, from->name, &found, &loc, err);
  if (!rc && !found) rc = no_table(&c->base, fns, from->name, err);
  if (!rc) rc = ns_require(c, tns, err);
  if (!rc) {
    bool view;
    rc = view_exists(c, tns, to->name, &view, err);
    if (!rc && view)
      rc = prestige_error_set(err, PRESTIGE_EEXISTS, "cannot rename %s.%s to %s.%s: a view of that name exists", fns, from->name,
                              tns, to->name);
  }
  if (!rc) {
    free(loc);
    loc = NULL;
    rc = row_load(c, tns, to->name, &found, &loc, err);
    if (!rc && found) rc = prestige_error_set(err, PRESTIGE_EEXISTS, "table %s.%s already exists in catalog \"%s\"", tns, to->name, c->base.name);
  }
  if (!rc) {
    char q[256];
    snprintf(q, sizeof q,
             "UPDATE iceberg_tables SET table_namespace = ?, table_name = ? WHERE catalog_name = ? AND table_namespace = ? AND "
             "table_name = ?%s",
             c->v1 ? TABLE_FILTER : "");
    const char *args[] = {tns, to->name, c->base.name, fns, from->name};
    int64_t changed = 0;
    rc = run(c, q, args, 5, NULL, NULL, &changed, err);
    if (rc == PRESTIGE_EEXISTS)
      rc = prestige_error_set(err, PRESTIGE_EEXISTS, "table %s.%s already exists in catalog \"%s\"", tns, to->name, c->base.name);
    else if (!rc && changed == 0)
      rc = no_table(&c->base, fns, from->name, err);
  }
  if (rc && rc != PRESTIGE_EEXISTS && rc != PRESTIGE_ENOTFOUND) rc = db_fail(c, rc, err);
  pthread_mutex_unlock(&c->mu);
  free(loc);
  free(fns);
  free(tns);
  return rc;
}

static int sql_table_drop(ice_catalog_t *base, const ice_ident_t *id, bool purge, prestige_error_t *err) {
  sql_catalog_t *c = (sql_catalog_t *)base;
  char *ns;
  PRESTIGE_TRY(ident_text(id, &ns, err));
  ice_loaded_table_t last = {0};
  if (purge) { /* Java: a table whose metadata cannot be read is still dropped, without purging */
    prestige_error_t ignored;
    prestige_error_init(&ignored);
    sql_table_load(base, id, &last, &ignored);
  }
  char q[256];
  snprintf(q, sizeof q, "DELETE FROM iceberg_tables WHERE catalog_name = ? AND table_namespace = ? AND table_name = ?%s",
           c->v1 ? TABLE_FILTER : "");
  const char *args[] = {c->base.name, ns, id->name};
  int64_t changed = 0;
  pthread_mutex_lock(&c->mu);
  int rc = db_fail(c, run(c, q, args, 3, NULL, NULL, &changed, err), err);
  pthread_mutex_unlock(&c->mu);
  if (!rc && changed == 0) rc = no_table(&c->base, ns, id->name, err);
  if (!rc && purge && last.metadata) {
    ice_io_t *io;
    rc = ice_catalog_table_io(base, last.metadata->location, &io, err);
    if (!rc) {
      rc = ice_table_purge_files(io, last.metadata, last.metadata_location, err);
      ice_io_free(io);
    }
    if (rc && err) prestige_error_prefix(err, "table %s.%s dropped, but purging its files failed", ns, id->name);
  }
  ice_loaded_table_release(&last);
  free(ns);
  return rc;
}

static int sql_table_register(ice_catalog_t *base, const ice_ident_t *id, const char *metadata_location, ice_loaded_table_t *out,
                              prestige_error_t *err) {
  sql_catalog_t *c = (sql_catalog_t *)base;
  memset(out, 0, sizeof *out);
  char *ns, *loc = NULL;
  ice_table_metadata_t *md = NULL;
  PRESTIGE_TRY(ident_text(id, &ns, err));
  int rc = check_free(c, ns, id->name, err);
  if (!rc) rc = ice_location_normalize(metadata_location, &loc, err);
  if (!rc) rc = ice_catalog_read_metadata(c->io, loc, &md, err);
  if (!rc) {
    pthread_mutex_lock(&c->mu);
    rc = insert_table(c, ns, id->name, loc, err);
    pthread_mutex_unlock(&c->mu);
  }
  if (!rc) {
    out->metadata_location = loc;
    out->metadata = md;
    loc = NULL;
    md = NULL;
  } else if (err && rc != PRESTIGE_EEXISTS && rc != PRESTIGE_ENOTFOUND) {
    prestige_error_prefix(err, "registering table %s.%s", ns, id->name);
  }
  free(loc);
  ice_metadata_free(md);
  free(ns);
  return rc;
}

/* ---- lifecycle ------------------------------------------------------------------------------------- */

static void sql_destroy(ice_catalog_t *base) {
  sql_catalog_t *c = (sql_catalog_t *)base;
  sql_close(c->db);
  ice_io_free(c->io);
  pthread_mutex_destroy(&c->mu);
  ice_catalog_base_release(&c->base);
  free(c);
}

static const ice_catalog_ops_t sql_ops = {
    .kind = "sql",
    .namespace_exists = sql_namespace_exists,
    .table_exists = sql_table_exists,
    .namespace_create = sql_namespace_create,
    .namespace_list = sql_namespace_list,
    .namespace_load = sql_namespace_load,
    .namespace_update = sql_namespace_update,
    .namespace_drop = sql_namespace_drop,
    .table_list = sql_table_list,
    .table_load = sql_table_load,
    .table_create = sql_table_create,
    .table_commit = sql_table_commit,
    .transaction_commit = sql_transaction_commit,
    .table_rename = sql_table_rename,
    .table_drop = sql_table_drop,
    .table_register = sql_table_register,
    .destroy = sql_destroy,
};

int ice_catalog_sql_open(const prestige_iceberg_catalog_options_t *o, prestige_s3_client_t *s3, ice_catalog_t **out,
                         prestige_error_t *err) {
  *out = NULL;
  sql_catalog_t *c = calloc(1, sizeof *c);
  if (!c) return oom(err);
  pthread_mutex_init(&c->mu, NULL);
  sql_options_t so;
  sql_options_init(&so);
  so.busy_timeout_ms = o->busy_timeout_ms;
  int rc = sql_open(&c->db, o->uri, &so, err);
  if (!rc) rc = ice_catalog_base_init(&c->base, &sql_ops, o->name, o->warehouse, sql_where(c->db), s3, err);
  if (!rc) rc = ice_io_new(s3, &c->io, err);
  if (!rc) rc = init_schema(c, o, err);
  if (rc) {
    if (err) prestige_error_prefix(err, "catalog \"%s\"", o->name ? o->name : "prestige");
    sql_destroy(&c->base);
    return rc;
  }
  *out = &c->base;
  return 0;
}
