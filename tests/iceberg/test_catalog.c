/* The SQL catalog through the public API, on SQLite and on a real PostgreSQL server started here:
 * multi-level namespaces and their properties, tables created / loaded / listed / renamed across
 * namespaces / dropped and purged / registered, commits with compare-and-set conflicts leaving
 * no stray metadata file, multi-table transactions all-or-nothing, a locked SQLite database,
 * a database made with Java's JDBC catalog DDL (V0, and migrated to V1), V1 tables read but not
 * written, the reference's for_type, snapshot lookups and describe; tables on s3rver; and
 * concurrency: two processes (and four threads) committing at once, every commit landing in one
 * chain of metadata versions. */
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <sys/stat.h>

#include "catalog_util.h"
#include "iceberg/table.h"
#include "prestige/core.h"
#include "s3_test.h"
#include "sql/sql.h"

static prestige_error_t err;

typedef struct backend {
  const char *tag; /* "sqlite" or "pg" */
  char uri[1200];
  char wh[1024];   /* warehouse directory */
} backend_t;

static int seq;

/* A fresh catalog database and warehouse for each scenario. */
static void backend_new(backend_t *b, const char *tag) {
  b->tag = tag;
  seq++;
  if (!strcmp(tag, "pg")) {
    /* one server, a catalog name per scenario keeps them apart */
    snprintf(b->uri, sizeof b->uri, "%s", cu_pg_url);
  } else {
    snprintf(b->uri, sizeof b->uri, "sqlite:%s/cat-%d.db", test_tmpdir(), seq);
  }
  snprintf(b->wh, sizeof b->wh, "%s/wh-%s-%d", test_tmpdir(), tag, seq);
}

static prestige_iceberg_catalog_t *open_cat(const backend_t *b, const char *name) {
  prestige_iceberg_catalog_options_t o = PRESTIGE_ICEBERG_CATALOG_OPTIONS_INIT;
  o.uri = b->uri;
  o.warehouse = b->wh;
  char n[64];
  snprintf(n, sizeof n, "%s%d", name ? name : "c", seq);
  o.name = n;
  prestige_iceberg_catalog_t *c = NULL;
  CHECK_OK(prestige_iceberg_catalog_open(&c, &o, &err));
  return c;
}

static prestige_iceberg_table_t *create(prestige_iceberg_catalog_t *c, const char *ident, const char *schema_text,
                                        const prestige_iceberg_create_options_t *o) {
  struct ArrowSchema s;
  CHECK_OK(cu_schema(schema_text, &s, &err));
  prestige_iceberg_table_t *t = NULL;
  CHECK_OK(prestige_iceberg_table_create(c, ident, &s, o, &t, &err));
  prestige_schema_release(&s);
  return t;
}

static int create_rc(prestige_iceberg_catalog_t *c, const char *ident, const char *schema_text,
                     const prestige_iceberg_create_options_t *o) {
  struct ArrowSchema s;
  CHECK_OK(cu_schema(schema_text, &s, &err));
  prestige_iceberg_table_t *t = NULL;
  int rc = prestige_iceberg_table_create(c, ident, &s, o, &t, &err);
  prestige_iceberg_table_free(t);
  prestige_schema_release(&s);
  return rc;
}

static bool names_equal(char **names, size_t n, const char *joined) {
  char buf[1024] = "";
  for (size_t i = 0; i < n; i++) {
    if (i) strcat(buf, ",");
    strncat(buf, names[i], sizeof buf - strlen(buf) - 2);
  }
  if (strcmp(buf, joined)) fprintf(stderr, "names: \"%s\", wanted \"%s\"\n", buf, joined);
  return !strcmp(buf, joined);
}

static bool list_ns(prestige_iceberg_catalog_t *c, const char *parent, const char *want) {
  char **names = NULL;
  size_t n = 0;
  CHECK_OK(prestige_iceberg_namespace_list(c, parent, &names, &n, &err));
  bool ok = names_equal(names, n, want);
  prestige_iceberg_names_free(names, n);
  return ok;
}

static bool list_tables(prestige_iceberg_catalog_t *c, const char *ns, const char *want) {
  char **names = NULL;
  size_t n = 0;
  CHECK_OK(prestige_iceberg_table_list(c, ns, &names, &n, &err));
  bool ok = names_equal(names, n, want);
  prestige_iceberg_names_free(names, n);
  return ok;
}

static const char *props_get(const prestige_iceberg_props_t *p, const char *k) {
  for (size_t i = 0; i < p->n; i++)
    if (!strcmp(p->keys[i], k)) return p->values[i];
  return NULL;
}

/* ---- namespaces ---------------------------------------------------------------------------------- */

static void namespaces(const char *tag) {
  backend_t b;
  backend_new(&b, tag);
  prestige_iceberg_catalog_t *c = open_cat(&b, "ns");
  if (!c) return;
  prestige_kv_t props[] = {{"owner", "ops", -1}, {"comment", "raw events", -1}};
  CHECK_OK(prestige_iceberg_namespace_create(c, "a", props, 2, &err));
  CHECK_OK(prestige_iceberg_namespace_create(c, "a.b", NULL, 0, &err));
  CHECK_OK(prestige_iceberg_namespace_create(c, "a.b.c", NULL, 0, &err));
  CHECK_OK(prestige_iceberg_namespace_create(c, "x", NULL, 0, &err));
  CHECK_OK(prestige_iceberg_namespace_create(c, "p_q", NULL, 0, &err));
  CHECK_OK(prestige_iceberg_namespace_create(c, "Up", NULL, 0, &err));
  CHECK_ERR(prestige_iceberg_namespace_create(c, "a.b", NULL, 0, &err), PRESTIGE_EEXISTS, "a.b already exists");
  CHECK_ERR(prestige_iceberg_namespace_create(c, "a..b", NULL, 0, &err), PRESTIGE_EINVAL, "empty name segment");
  prestige_kv_t reserved[] = {{"exists", "false", -1}};
  CHECK_ERR(prestige_iceberg_namespace_create(c, "r", reserved, 1, &err), PRESTIGE_EINVAL, "reserved");
  CHECK(list_ns(c, NULL, "Up,a,p_q,x"));
  CHECK(list_ns(c, "a", "a.b"));
  CHECK(list_ns(c, "a.b", "a.b.c"));
  CHECK(list_ns(c, "a.b.c", ""));
  char **names;
  size_t n;
  CHECK_ERR(prestige_iceberg_namespace_list(c, "nope", &names, &n, &err), PRESTIGE_ENOTFOUND, "namespace nope does not exist");
  bool e;
  /* LIKE wildcards and SQLite's case-insensitive LIKE must not blur names */
  CHECK_OK(prestige_iceberg_namespace_exists(c, "pXq", &e, &err));
  CHECK(!e);
  CHECK_OK(prestige_iceberg_namespace_exists(c, "up", &e, &err));
  CHECK(!e);
  CHECK_OK(prestige_iceberg_namespace_exists(c, "a.b", &e, &err));
  CHECK(e);
  CHECK_OK(prestige_iceberg_namespace_exists(c, "a.b.c.d", &e, &err));
  CHECK(!e);
  /* a namespace that only exists through a deeper one (Java derives it the same way) */
  CHECK_OK(prestige_iceberg_namespace_create(c, "deep.er", NULL, 0, &err));
  CHECK_OK(prestige_iceberg_namespace_exists(c, "deep", &e, &err));
  CHECK(e);
  CHECK(list_ns(c, "deep", "deep.er"));

  prestige_iceberg_props_t p;
  CHECK_OK(prestige_iceberg_namespace_properties(c, "a", &p, &err));
  CHECK_EQ_INT(p.n, 3); /* owner, comment, location */
  CHECK_EQ_STR(props_get(&p, "owner"), "ops");
  CHECK_EQ_STR(props_get(&p, "comment"), "raw events");
  char loc[1200];
  snprintf(loc, sizeof loc, "file://%s/a", b.wh);
  CHECK_EQ_STR(props_get(&p, "location"), loc);
  CHECK(!props_get(&p, "exists"));
  prestige_iceberg_props_release(&p);
  prestige_kv_t set[] = {{"owner", "data", -1}, {"tier", "gold", -1}};
  const char *rm[] = {"comment"};
  CHECK_OK(prestige_iceberg_namespace_update_properties(c, "a", set, 2, rm, 1, &err));
  CHECK_OK(prestige_iceberg_namespace_properties(c, "a", &p, &err));
  CHECK_EQ_STR(props_get(&p, "owner"), "data");
  CHECK_EQ_STR(props_get(&p, "tier"), "gold");
  CHECK(!props_get(&p, "comment"));
  prestige_iceberg_props_release(&p);
  const char *rm_exists[] = {"exists"};
  CHECK_ERR(prestige_iceberg_namespace_update_properties(c, "a", NULL, 0, rm_exists, 1, &err), PRESTIGE_EINVAL, "reserved");
  CHECK_ERR(prestige_iceberg_namespace_update_properties(c, "zz", set, 1, NULL, 0, &err), PRESTIGE_ENOTFOUND, "zz");
  CHECK_ERR(prestige_iceberg_namespace_properties(c, "zz", &p, &err), PRESTIGE_ENOTFOUND, "namespace zz does not exist");

  CHECK_ERR(prestige_iceberg_namespace_drop(c, "a", &err), PRESTIGE_EEXISTS, "not empty");
  CHECK_ERR(prestige_iceberg_namespace_drop(c, "nope", &err), PRESTIGE_ENOTFOUND, "nope");
  CHECK_OK(prestige_iceberg_namespace_drop(c, "a.b.c", &err));
  CHECK(list_ns(c, "a.b", ""));
  /* a namespace holding a table is not empty either */
  prestige_iceberg_table_t *t = create(c, "a.b.t", "id:int64", NULL);
  prestige_iceberg_table_free(t);
  CHECK_ERR(prestige_iceberg_namespace_drop(c, "a.b", &err), PRESTIGE_EEXISTS, "1 table");
  CHECK_OK(prestige_iceberg_table_drop(c, "a.b.t", false, &err));
  CHECK_OK(prestige_iceberg_namespace_drop(c, "a.b", &err));
  CHECK_OK(prestige_iceberg_namespace_drop(c, "a", &err));
  CHECK(list_ns(c, NULL, "Up,deep,p_q,x"));

  /* another catalog name in the same database sees none of it */
  prestige_iceberg_catalog_t *other = open_cat(&b, "other");
  if (other) {
    CHECK(list_ns(other, NULL, ""));
    prestige_iceberg_catalog_close(other);
  }
  prestige_iceberg_catalog_close(c);
}

/* ---- tables ------------------------------------------------------------------------------------------ */

static void tables(const char *tag) {
  backend_t b;
  backend_new(&b, tag);
  prestige_iceberg_catalog_t *c = open_cat(&b, "tb");
  if (!c) return;
  CHECK_OK(prestige_iceberg_namespace_create(c, "db.raw", NULL, 0, &err));
  CHECK_OK(prestige_iceberg_namespace_create(c, "db.clean", NULL, 0, &err));
  prestige_iceberg_create_options_t o = PRESTIGE_ICEBERG_CREATE_OPTIONS_INIT;
  o.partition = "day(ts), bucket(16,id),truncate(4,name),region";
  o.sort = "ts desc, id asc nulls last";
  const char *idents[] = {"id"};
  o.identifier = idents;
  o.n_identifier = 1;
  prestige_kv_t tprops[] = {{"write.target-file-size-bytes", "1048576", -1}};
  o.properties = tprops;
  o.n_properties = 1;
  const char *schema = "id:int64!,ts:timestamp(us,UTC)!,name:string,region:string,score:double";
  prestige_iceberg_table_t *t = create(c, "db.raw.events", schema, &o);
  if (!t) return;
  char dir[1200], want[1300];
  snprintf(dir, sizeof dir, "%s/db/raw/events/metadata", b.wh);
  snprintf(want, sizeof want, "file://%s/db/raw/events", b.wh);
  CHECK_EQ_STR(prestige_iceberg_table_location(t), want);
  const char *ml = prestige_iceberg_table_metadata_location(t);
  CHECK(ml && strstr(ml, "/db/raw/events/metadata/00000-") && strstr(ml, ".metadata.json"));
  CHECK_EQ_INT(cu_count_files(dir, ".metadata.json"), 1);
  CHECK_EQ_INT(prestige_iceberg_table_format_version(t), 2);
  CHECK_EQ_INT(prestige_iceberg_table_current_snapshot_id(t), -1);
  CHECK_EQ_STR(prestige_iceberg_table_ident(t), "db.raw.events");
  CHECK_EQ_STR(prestige_iceberg_table_property(t, "write.target-file-size-bytes"), "1048576");
  const ice_table_metadata_t *md = t->loaded.metadata;
  const ice_schema_t *s = ice_metadata_current_schema(md);
  CHECK_EQ_INT(ice_schema_find_name(s, "id")->id, 1);
  CHECK(ice_schema_find_name(s, "id")->required);
  CHECK(!ice_schema_find_name(s, "name")->required);
  CHECK(s->n_identifier_ids == 1 && s->identifier_ids[0] == 1);
  const ice_partition_spec_t *spec = ice_metadata_default_spec(md);
  CHECK_EQ_INT(spec->n_fields, 4);
  if (spec->n_fields == 4) {
    CHECK_EQ_STR(spec->fields[0].name, "ts_day");
    CHECK_EQ_STR(spec->fields[1].name, "id_bucket");
    CHECK_EQ_INT(spec->fields[1].transform.param, 16);
    CHECK_EQ_STR(spec->fields[2].name, "name_trunc");
    CHECK_EQ_STR(spec->fields[3].name, "region");
    CHECK_EQ_INT(spec->fields[3].field_id, 1003);
  }
  const ice_sort_order_t *so = ice_metadata_default_sort_order(md);
  CHECK_EQ_INT(so->order_id, 1);
  CHECK_EQ_INT(so->n_fields, 2);
  if (so->n_fields == 2) {
    CHECK(so->fields[0].direction == ICE_SORT_DESC && so->fields[0].null_order == ICE_NULLS_LAST);
    CHECK(so->fields[1].direction == ICE_SORT_ASC && so->fields[1].null_order == ICE_NULLS_LAST);
  }
  /* the file on disk parses to the same metadata */
  ice_table_metadata_t *disk = NULL;
  char *text = cu_read_file(ice_location_local_path(ml));
  CHECK_OK(ice_metadata_read_text(text ? text : "", text ? strlen(text) : 0, ml, &disk, &err));
  if (disk) CHECK_EQ_STR(disk->table_uuid, md->table_uuid);
  ice_metadata_free(disk);
  free(text);
  /* the schema handed out as Arrow carries field ids */
  struct ArrowSchema as;
  CHECK_OK(prestige_iceberg_table_schema(t, &as, &err));
  const char *fid;
  int32_t fl;
  CHECK(as.n_children == 5 && prestige_metadata_get(as.children[1]->metadata, "PARQUET:field_id", &fid, &fl) && fl == 1 &&
        fid[0] == '2');
  CHECK(!(as.children[0]->flags & ARROW_FLAG_NULLABLE));
  prestige_schema_release(&as);
  prestige_iceberg_table_free(t);

  /* duplicates leave no orphan metadata file; missing namespace; bad specs */
  CHECK_ERR(create_rc(c, "db.raw.events", "id:int64", NULL), PRESTIGE_EEXISTS, "db.raw.events already exists");
  CHECK_EQ_INT(cu_count_files(dir, ".metadata.json"), 1);
  CHECK_ERR(create_rc(c, "nope.t", "id:int64", NULL), PRESTIGE_ENOTFOUND, "namespace nope does not exist");
  prestige_iceberg_create_options_t bad = PRESTIGE_ICEBERG_CREATE_OPTIONS_INIT;
  bad.partition = "month(nosuch)";
  CHECK_ERR(create_rc(c, "db.raw.b1", "id:int64", &bad), PRESTIGE_EINVAL, "no column \"nosuch\"");
  bad.partition = "week(id)";
  CHECK_ERR(create_rc(c, "db.raw.b1", "id:int64", &bad), PRESTIGE_EINVAL, "unknown transform \"week\"");
  bad.partition = "bucket(0,id)";
  CHECK_ERR(create_rc(c, "db.raw.b1", "id:int64", &bad), PRESTIGE_EINVAL, "not a positive count");
  bad.partition = "day(name)";
  CHECK_ERR(create_rc(c, "db.raw.b1", "id:int64,name:string", &bad), PRESTIGE_ETYPE, "day");
  bad.partition = NULL;
  bad.sort = "id sideways";
  CHECK_ERR(create_rc(c, "db.raw.b1", "id:int64", &bad), PRESTIGE_EINVAL, "not a column name");
  bad.sort = NULL;
  const char *opt_id[] = {"name"};
  bad.identifier = opt_id;
  bad.n_identifier = 1;
  CHECK_ERR(create_rc(c, "db.raw.b1", "id:int64!,name:string", &bad), PRESTIGE_EINVAL, "identifier column \"name\" is optional");
  const char *dbl_id[] = {"x"};
  bad.identifier = dbl_id;
  CHECK_ERR(create_rc(c, "db.raw.b1", "x:double!", &bad), PRESTIGE_EINVAL, "");
  bad.identifier = NULL;
  bad.n_identifier = 0;
  bad.format_version = 1;
  CHECK_ERR(create_rc(c, "db.raw.b1", "id:int64", &bad), PRESTIGE_EUNSUPPORTED, "format version 1");
  bad.format_version = 2;
  CHECK_ERR(create_rc(c, "db.raw.b1", "ts:timestamp(ns)", &bad), PRESTIGE_EUNSUPPORTED, "");
  bad.format_version = 3;
  CHECK_OK(create_rc(c, "db.raw.v3", "ts:timestamp(ns)", &bad));
  bad.version = 99;
  CHECK_ERR(create_rc(c, "db.raw.b1", "id:int64", &bad), PRESTIGE_EINVAL, "version 99");
  bool e;
  CHECK_OK(prestige_iceberg_table_exists(c, "db.raw.b1", &e, &err));
  CHECK(!e);
  CHECK_OK(prestige_iceberg_table_exists(c, "db.raw.events", &e, &err));
  CHECK(e);
  /* an explicit location */
  prestige_iceberg_create_options_t at = PRESTIGE_ICEBERG_CREATE_OPTIONS_INIT;
  char elsewhere[1200];
  snprintf(elsewhere, sizeof elsewhere, "file://%s/elsewhere/t/", b.wh);
  at.location = elsewhere;
  t = create(c, "db.clean.placed", "id:int64", &at);
  if (t) {
    elsewhere[strlen(elsewhere) - 1] = 0;
    CHECK_EQ_STR(prestige_iceberg_table_location(t), elsewhere);
    prestige_iceberg_table_free(t);
  }
  CHECK(list_tables(c, "db.raw", "db.raw.events,db.raw.v3"));
  CHECK(list_tables(c, "db.clean", "db.clean.placed"));
  CHECK(list_tables(c, "db", ""));
  char **names;
  size_t n;
  CHECK_ERR(prestige_iceberg_table_list(c, "zz", &names, &n, &err), PRESTIGE_ENOTFOUND, "namespace zz");

  /* load, rename across namespaces */
  CHECK_OK(prestige_iceberg_table_load(c, "db.raw.events", &t, &err));
  char *loc_before = t ? strdup(prestige_iceberg_table_metadata_location(t)) : NULL;
  prestige_iceberg_table_free(t);
  CHECK_ERR(prestige_iceberg_table_load(c, "db.raw.nope", &t, &err), PRESTIGE_ENOTFOUND, "db.raw.nope does not exist");
  CHECK_ERR(prestige_iceberg_table_rename(c, "db.raw.events", "zz.events", &err), PRESTIGE_ENOTFOUND, "namespace zz");
  CHECK_ERR(prestige_iceberg_table_rename(c, "db.raw.events", "db.clean.placed", &err), PRESTIGE_EEXISTS, "db.clean.placed");
  CHECK_ERR(prestige_iceberg_table_rename(c, "db.raw.nope", "db.clean.x", &err), PRESTIGE_ENOTFOUND, "db.raw.nope");
  CHECK_OK(prestige_iceberg_table_rename(c, "db.raw.events", "db.clean.events", &err));
  CHECK(list_tables(c, "db.raw", "db.raw.v3"));
  CHECK(list_tables(c, "db.clean", "db.clean.events,db.clean.placed"));
  CHECK_OK(prestige_iceberg_table_load(c, "db.clean.events", &t, &err));
  if (t && loc_before) CHECK_EQ_STR(prestige_iceberg_table_metadata_location(t), loc_before);
  prestige_iceberg_table_free(t);

  /* drop without purge keeps the files; register brings the table back under a new name */
  CHECK_OK(prestige_iceberg_table_drop(c, "db.clean.events", false, &err));
  CHECK_ERR(prestige_iceberg_table_drop(c, "db.clean.events", false, &err), PRESTIGE_ENOTFOUND, "db.clean.events");
  CHECK(loc_before && cu_exists(ice_location_local_path(loc_before)));
  CHECK_OK(prestige_iceberg_table_register(c, "db.raw.again", loc_before, &t, &err));
  if (t) {
    CHECK_EQ_STR(prestige_iceberg_table_metadata_location(t), loc_before);
    prestige_iceberg_table_free(t);
  }
  CHECK_ERR(prestige_iceberg_table_register(c, "db.raw.again", loc_before, NULL, &err), PRESTIGE_EEXISTS, "db.raw.again");
  char missing[1300], corrupt[1300], violating[1300];
  snprintf(missing, sizeof missing, "%s/none/00000-x.metadata.json", b.wh);
  CHECK_ERR(prestige_iceberg_table_register(c, "db.raw.m", missing, NULL, &err), PRESTIGE_ENOTFOUND, missing);
  CHECK(!cu_exists(ice_location_local_path(missing)) && !cu_exists(strstr(missing, "/none")) );
  snprintf(corrupt, sizeof corrupt, "%s/corrupt.metadata.json", b.wh);
  text = cu_read_file(ice_location_local_path(loc_before));
  if (text) {
    text[strlen(text) / 2] = 0; /* truncated */
    cu_write_file(corrupt, text);
    free(text);
  }
  CHECK_ERR(prestige_iceberg_table_register(c, "db.raw.m", corrupt, NULL, &err), PRESTIGE_ECORRUPT, corrupt);
  snprintf(violating, sizeof violating, "%s/violating.metadata.json", b.wh);
  cu_write_file(violating, "{\"format-version\": 2, \"location\": \"/x\"}");
  CHECK_ERR(prestige_iceberg_table_register(c, "db.raw.m", violating, NULL, &err), PRESTIGE_ECORRUPT, violating);
  CHECK_OK(prestige_iceberg_table_exists(c, "db.raw.m", &e, &err));
  CHECK(!e);

  /* purge deletes every file of the table */
  t = create(c, "db.raw.doomed", "id:int64", NULL);
  char doomed[1200];
  snprintf(doomed, sizeof doomed, "%s/db/raw/doomed/metadata", b.wh);
  if (t) {
    prestige_kv_t kv[] = {{"k", "v", -1}};
    CHECK_OK(prestige_iceberg_table_update_properties(t, kv, 1, NULL, 0, &err));
    char data[1300];
    snprintf(data, sizeof data, "%s/db/raw/doomed/data", b.wh);
    mkdir(data, 0755);
    strcat(data, "/00000-0-x.parquet");
    cu_write_file(data, "PAR1");
    prestige_iceberg_table_free(t);
    CHECK_EQ_INT(cu_count_files(doomed, ".metadata.json"), 2);
    CHECK_OK(prestige_iceberg_table_drop(c, "db.raw.doomed", true, &err));
    CHECK_EQ_INT(cu_count_files(doomed, ".metadata.json"), 0);
    CHECK(!cu_exists(data));
  }
  free(loc_before);
  prestige_iceberg_catalog_close(c);
}

/* A commit by another connection (interloper) on interloper_table, run by the SQL backend's
 * test hook between a commit's load and its swap (once). */
static prestige_iceberg_catalog_t *interloper;
static char interloper_table[64];
static void commit_meanwhile(void *user) {
  (void)user;
  ice_catalog_sql_before_swap = NULL;
  prestige_iceberg_table_t *t = NULL;
  prestige_error_t e;
  CHECK(prestige_iceberg_table_load(interloper, interloper_table, &t, &e) == 0);
  prestige_kv_t kv[] = {{"interloper", "yes", -1}};
  if (t) CHECK(prestige_iceberg_table_update_properties(t, kv, 1, NULL, 0, &e) == 0);
  prestige_iceberg_table_free(t);
}

/* ---- commits ----------------------------------------------------------------------------------------- */

static void commits(const char *tag) {
  backend_t b;
  backend_new(&b, tag);
  prestige_iceberg_catalog_t *c = open_cat(&b, "cm");
  if (!c) return;
  CHECK_OK(prestige_iceberg_namespace_create(c, "ns", NULL, 0, &err));
  prestige_iceberg_table_t *t1 = create(c, "ns.t", "id:int64!,v:string", NULL), *t2 = NULL;
  if (!t1) return;
  CHECK_OK(prestige_iceberg_table_load(c, "ns.t", &t2, &err));
  if (!t2) return;
  char dir[1200];
  snprintf(dir, sizeof dir, "%s/ns/t/metadata", b.wh);
  char *base = strdup(prestige_iceberg_table_metadata_location(t1));
  /* both handles hold the same base; both append a snapshot asserting main is still where they
   * saw it (absent): the first wins, the second fails its requirement and writes nothing */
  ice_update_t s1[2], s2[2];
  cu_snapshot_updates(t1->loaded.metadata, 11, 1000, "append", s1);
  cu_snapshot_updates(t2->loaded.metadata, 22, 1001, "append", s2);
  ice_requirement_t main_absent = {.kind = ICE_REQ_ASSERT_REF_SNAPSHOT_ID, .ref = "main", .has_snapshot_id = false};
  CHECK_OK(ice_table_commit(t1, &main_absent, 1, s1, 2, &err));
  CHECK(strstr(prestige_iceberg_table_metadata_location(t1), "/00001-") != NULL);
  CHECK_ERR(ice_table_commit(t2, &main_absent, 1, s2, 2, &err), PRESTIGE_ECONFLICT, "main");
  CHECK_EQ_STR(prestige_iceberg_table_metadata_location(t2), base); /* the handle is unchanged */
  CHECK_EQ_INT(cu_count_files(dir, ".metadata.json"), 2);          /* no stray file from the loser */
  /* the compare-and-set itself lost: another connection committed between our load and swap */
  interloper = open_cat(&b, "cm");
  snprintf(interloper_table, sizeof interloper_table, "ns.t");
  ice_update_t up = {.kind = ICE_UP_SET_PROPERTIES};
  ice_strmap_set(&up.properties, "who", "t2");
  ice_catalog_sql_before_swap = commit_meanwhile;
  CHECK_ERR(ice_table_commit(t2, NULL, 0, &up, 1, &err), PRESTIGE_ECONFLICT, "another commit won");
  ice_catalog_sql_before_swap = NULL;
  prestige_iceberg_catalog_close(interloper);
  interloper = NULL;
  CHECK_EQ_INT(cu_count_files(dir, ".metadata.json"), 3); /* the interloper's, not ours */
  /* refreshed, the second writer rebuilds on top of main and lands; the chain records every file */
  CHECK_OK(prestige_iceberg_table_refresh(t2, &err));
  CHECK_EQ_STR(prestige_iceberg_table_property(t2, "interloper"), "yes");
  ice_update_release(&s2[0]);
  ice_update_release(&s2[1]);
  cu_snapshot_updates(t2->loaded.metadata, 22, 1001, "append", s2);
  ice_requirement_t main_at_11 = {.kind = ICE_REQ_ASSERT_REF_SNAPSHOT_ID, .ref = "main", .has_snapshot_id = true, .snapshot_id = 11};
  CHECK_OK(ice_table_commit(t2, &main_at_11, 1, s2, 2, &err));
  CHECK_OK(ice_table_commit(t2, NULL, 0, &up, 1, &err));
  ice_update_release(&up);
  for (int i = 0; i < 2; i++) {
    ice_update_release(&s1[i]);
    ice_update_release(&s2[i]);
  }
  const ice_table_metadata_t *md = t2->loaded.metadata;
  CHECK_EQ_STR(ice_metadata_property(md, "who", NULL), "t2");
  CHECK_EQ_INT(md->current_snapshot_id, 22);
  CHECK(ice_metadata_snapshot(md, 22) && ice_metadata_snapshot(md, 22)->parent_id == 11);
  CHECK(strstr(t2->loaded.metadata_location, "/00004-") != NULL);
  CHECK_EQ_INT(md->n_metadata_log, 4);
  if (md->n_metadata_log == 4) {
    CHECK_EQ_STR(md->metadata_log[0].file, base);
    CHECK_EQ_STR(md->metadata_log[1].file, t1->loaded.metadata_location);
    for (int i = 0; i < 4; i++) CHECK_EQ_INT(ice_metadata_file_version(md->metadata_log[i].file), i);
  }
  CHECK_EQ_INT(cu_count_files(dir, ".metadata.json"), 5);
  /* a failed requirement: nothing written */
  ice_requirement_t wrong = {.kind = ICE_REQ_ASSERT_TABLE_UUID, .uuid = "00000000-0000-4000-8000-000000000000"};
  ice_update_t up2 = {.kind = ICE_UP_SET_PROPERTIES};
  ice_strmap_set(&up2.properties, "x", "y");
  CHECK_ERR(ice_table_commit(t2, &wrong, 1, &up2, 1, &err), PRESTIGE_ECONFLICT, "uuid");
  ice_update_release(&up2);
  CHECK_EQ_INT(cu_count_files(dir, ".metadata.json"), 5);
  /* the row as Java keeps it: previous_metadata_location is the file replaced */
  sql_db_t *db = NULL;
  CHECK_OK(sql_open(&db, b.uri, NULL, &err));
  if (db) {
    const char *prev = md->metadata_log[md->n_metadata_log - 1].file;
    sql_stmt_t *st;
    CHECK_OK(sql_prepare(db, "SELECT metadata_location, previous_metadata_location, iceberg_type FROM iceberg_tables WHERE "
                             "catalog_name = ? AND table_name = 't'", &st, &err));
    CHECK_OK(sql_bind_text(st, 1, prestige_iceberg_catalog_name(c), &err));
    bool row = false;
    CHECK_OK(sql_step(st, &row, &err));
    CHECK(row);
    if (row) {
      CHECK_EQ_STR(sql_column_text(st, 0), t2->loaded.metadata_location);
      CHECK_EQ_STR(sql_column_text(st, 1), prev);
      CHECK_EQ_STR(sql_column_text(st, 2), "TABLE");
    }
    sql_finalize(st);
    sql_close(db);
  }
  /* the public update retries a lost compare-and-set by itself (t1 is four versions behind) */
  prestige_kv_t again[] = {{"who", "t1-again", -1}};
  interloper = open_cat(&b, "cm");
  ice_catalog_sql_before_swap = commit_meanwhile;
  CHECK_OK(prestige_iceberg_table_update_properties(t1, again, 1, NULL, 0, &err));
  CHECK(ice_catalog_sql_before_swap == NULL); /* the interloper did commit in between */
  prestige_iceberg_catalog_close(interloper);
  interloper = NULL;
  CHECK(strstr(prestige_iceberg_table_metadata_location(t1), "/00006-") != NULL);
  CHECK_EQ_STR(prestige_iceberg_table_property(t1, "who"), "t1-again");
  CHECK_EQ_STR(prestige_iceberg_table_property(t1, "interloper"), "yes");
  const char *rm[] = {"who"};
  CHECK_OK(prestige_iceberg_table_update_properties(t1, NULL, 0, rm, 1, &err));
  CHECK(!prestige_iceberg_table_property(t1, "who"));
  CHECK_EQ_INT(cu_count_files(dir, ".metadata.json"), 8);
  /* a table dropped by another writer */
  CHECK_OK(prestige_iceberg_table_drop(c, "ns.t", false, &err));
  CHECK_ERR(prestige_iceberg_table_update_properties(t1, again, 1, NULL, 0, &err), PRESTIGE_ENOTFOUND, "ns.t does not exist");
  CHECK_ERR(prestige_iceberg_table_refresh(t1, &err), PRESTIGE_ENOTFOUND, "ns.t");
  free(base);
  prestige_iceberg_table_free(t1);
  prestige_iceberg_table_free(t2);
  prestige_iceberg_catalog_close(c);
}

static void commit_b_meanwhile(void *user) {
  snprintf(interloper_table, sizeof interloper_table, "tx.b");
  commit_meanwhile(user);
}

static void transactions(const char *tag) {
  backend_t b;
  backend_new(&b, tag);
  prestige_iceberg_catalog_t *c = open_cat(&b, "tx");
  if (!c) return;
  interloper = open_cat(&b, "tx"); /* same catalog name and database, its own connection */
  CHECK_OK(prestige_iceberg_namespace_create(c, "tx", NULL, 0, &err));
  prestige_iceberg_table_t *ta = create(c, "tx.a", "id:int64", NULL), *tb = create(c, "tx.b", "id:int64", NULL);
  if (!ta || !tb || !interloper) return;
  char da[1200], dbb[1200];
  snprintf(da, sizeof da, "%s/tx/a/metadata", b.wh);
  snprintf(dbb, sizeof dbb, "%s/tx/b/metadata", b.wh);
  ice_update_t ua = {.kind = ICE_UP_SET_PROPERTIES}, ub = {.kind = ICE_UP_SET_PROPERTIES};
  ice_strmap_set(&ua.properties, "step", "1");
  ice_strmap_set(&ub.properties, "step", "1");
  char uuid_a[40], uuid_b[40];
  snprintf(uuid_a, sizeof uuid_a, "%s", ta->loaded.metadata->table_uuid);
  snprintf(uuid_b, sizeof uuid_b, "%s", tb->loaded.metadata->table_uuid);
  ice_requirement_t ra = {.kind = ICE_REQ_ASSERT_TABLE_UUID, .uuid = uuid_a};
  ice_requirement_t rb = {.kind = ICE_REQ_ASSERT_TABLE_UUID, .uuid = uuid_b};
  ice_requirement_t rb_bad = {.kind = ICE_REQ_ASSERT_TABLE_UUID, .uuid = uuid_a};
  ice_table_commit_t cs[2] = {{&ta->ident, &ra, 1, &ua, 1}, {&tb->ident, &rb, 1, &ub, 1}};
  ice_catalog_t *ic = ta->catalog;
  /* both land */
  CHECK_OK(ic->ops->transaction_commit(ic, cs, 2, &err));
  CHECK_OK(prestige_iceberg_table_refresh(ta, &err));
  CHECK_OK(prestige_iceberg_table_refresh(tb, &err));
  CHECK_EQ_STR(prestige_iceberg_table_property(ta, "step"), "1");
  CHECK_EQ_STR(prestige_iceberg_table_property(tb, "step"), "1");
  /* a failing requirement on b: a is untouched too, nothing written */
  ice_strmap_set(&ua.properties, "step", "2");
  ice_strmap_set(&ub.properties, "step", "2");
  cs[1].requirements = &rb_bad;
  CHECK_ERR(ic->ops->transaction_commit(ic, cs, 2, &err), PRESTIGE_ECONFLICT, "tx.b");
  CHECK_EQ_INT(cu_count_files(da, ".metadata.json"), 2);
  CHECK_EQ_INT(cu_count_files(dbb, ".metadata.json"), 2);
  /* b's compare-and-set lost to another writer between the check and the swap: all rolled back */
  cs[1].requirements = &rb;
  ice_catalog_sql_before_swap = commit_b_meanwhile;
  CHECK_ERR(ic->ops->transaction_commit(ic, cs, 2, &err), PRESTIGE_ECONFLICT, "another commit won");
  ice_catalog_sql_before_swap = NULL;
  CHECK_OK(prestige_iceberg_table_refresh(ta, &err));
  CHECK_OK(prestige_iceberg_table_refresh(tb, &err));
  CHECK_EQ_STR(prestige_iceberg_table_property(ta, "step"), "1");
  CHECK_EQ_STR(prestige_iceberg_table_property(tb, "interloper"), "yes");
  CHECK_EQ_STR(prestige_iceberg_table_property(tb, "step"), "1");
  CHECK_EQ_INT(cu_count_files(da, ".metadata.json"), 2);  /* the transaction's files were removed */
  CHECK_EQ_INT(cu_count_files(dbb, ".metadata.json"), 3); /* + the interloper's */
  /* the same table twice is refused */
  ice_table_commit_t twice[2] = {cs[0], cs[0]};
  CHECK_ERR(ic->ops->transaction_commit(ic, twice, 2, &err), PRESTIGE_EINVAL, "twice");
  ice_update_release(&ua);
  ice_update_release(&ub);
  prestige_iceberg_table_free(ta);
  prestige_iceberg_table_free(tb);
  prestige_iceberg_catalog_close(interloper);
  prestige_iceberg_catalog_close(c);
}

/* ---- snapshots, describe, V1, for_type ------------------------------------------------------------------ */

static void snapshots_and_describe(const char *tag) {
  backend_t b;
  backend_new(&b, tag);
  prestige_iceberg_catalog_t *c = open_cat(&b, "sn");
  if (!c) return;
  CHECK_OK(prestige_iceberg_namespace_create(c, "s", NULL, 0, &err));
  prestige_iceberg_create_options_t o = PRESTIGE_ICEBERG_CREATE_OPTIONS_INIT;
  const char *ids[] = {"id"};
  o.identifier = ids;
  o.n_identifier = 1;
  o.partition = "id";
  prestige_iceberg_table_t *t = create(c, "s.t", "id:int32!,ts:timestamp(ms,UTC)", &o);
  if (!t) return;
  int64_t sid;
  CHECK_ERR(prestige_iceberg_earliest_snapshot(t, &sid, &err), PRESTIGE_ENOTFOUND, "no snapshot");
  CHECK_ERR(prestige_iceberg_snapshot_at_timestamp(t, 5000, &sid, &err), PRESTIGE_ENOTFOUND, "5000");
  int64_t ts[] = {1000, 2000, 3000};
  for (int i = 0; i < 3; i++) {
    ice_update_t ups[2];
    cu_snapshot_updates(t->loaded.metadata, 100 + i, ts[i], i == 1 ? "replace" : "append", ups);
    CHECK_OK(ice_table_commit(t, NULL, 0, ups, 2, &err));
    ice_update_release(&ups[0]);
    ice_update_release(&ups[1]);
  }
  const prestige_iceberg_snapshot_t *snaps;
  int64_t n = prestige_iceberg_table_snapshots(t, &snaps);
  CHECK_EQ_INT(n, 3);
  for (int64_t i = 0; i < n && n == 3; i++) {
    CHECK_EQ_INT(snaps[i].snapshot_id, 100 + i);
    CHECK_EQ_INT(snaps[i].parent_id, i ? 99 + i : -1);
    CHECK_EQ_INT(snaps[i].sequence_number, i + 1);
    CHECK_EQ_INT(snaps[i].timestamp_ms, ts[i]);
    CHECK_EQ_STR(snaps[i].operation, i == 1 ? "replace" : "append");
    CHECK(snaps[i].n_summary == 2 && !strcmp(snaps[i].summary[0].key, "added-records"));
  }
  CHECK_EQ_INT(prestige_iceberg_table_current_snapshot_id(t), 102);
  CHECK_OK(prestige_iceberg_snapshot_at_timestamp(t, 2500, &sid, &err));
  CHECK_EQ_INT(sid, 101);
  CHECK_OK(prestige_iceberg_snapshot_at_timestamp(t, 2000, &sid, &err));
  CHECK_EQ_INT(sid, 101);
  CHECK_OK(prestige_iceberg_snapshot_at_timestamp(t, 99999, &sid, &err));
  CHECK_EQ_INT(sid, 102);
  CHECK_ERR(prestige_iceberg_snapshot_at_timestamp(t, 999, &sid, &err), PRESTIGE_ENOTFOUND, "999");
  CHECK_OK(prestige_iceberg_earliest_snapshot(t, &sid, &err));
  CHECK_EQ_INT(sid, 100);
  CHECK_OK(prestige_iceberg_ref_snapshot(t, "main", &sid, &err));
  CHECK_EQ_INT(sid, 102);
  CHECK_ERR(prestige_iceberg_ref_snapshot(t, "dev", &sid, &err), PRESTIGE_ENOTFOUND, "\"dev\"");
  char *json = NULL;
  CHECK_OK(prestige_iceberg_table_describe(t, &json, &err));
  json_error_t je;
  json_t *d = json ? json_loads(json, 0, &je) : NULL;
  CHECK(d != NULL);
  if (d) {
    CHECK_EQ_INT(json_integer_value(json_object_get(d, "format_version")), 2);
    CHECK_EQ_INT(json_integer_value(json_object_get(d, "current_snapshot_id")), 102);
    CHECK_EQ_STR(json_string_value(json_object_get(d, "metadata_location")), prestige_iceberg_table_metadata_location(t));
    CHECK_EQ_STR(json_string_value(json_object_get(d, "location")), prestige_iceberg_table_location(t));
    CHECK_EQ_STR(json_string_value(json_array_get(json_object_get(d, "identifier_fields"), 0)), "id");
    CHECK_EQ_INT(json_array_size(json_object_get(json_object_get(d, "schema"), "fields")), 2);
    CHECK_EQ_STR(json_string_value(json_object_get(json_array_get(json_object_get(json_object_get(d, "partition_spec"), "fields"), 0),
                                                   "transform")),
                 "identity");
    CHECK_EQ_INT(json_integer_value(json_object_get(json_object_get(d, "sort_order"), "order-id")), 0);
    CHECK_EQ_INT(json_integer_value(json_object_get(json_object_get(json_object_get(d, "refs"), "main"), "snapshot-id")), 102);
    CHECK(json_is_object(json_object_get(d, "properties")));
    json_decref(d);
  }
  free(json);
  prestige_iceberg_table_free(t);

  /* a V1 table is read, never written */
  char v1[1300];
  snprintf(v1, sizeof v1, "%s/v1/metadata/v1.metadata.json", b.wh);
  char mk[1400];
  snprintf(mk, sizeof mk, "mkdir -p %s/v1/metadata && cp %s/tests/iceberg/data/TableMetadataV1Valid.json %s", b.wh, test_root(), v1);
  CHECK(system(mk) == 0);
  CHECK_OK(prestige_iceberg_table_register(c, "s.old", v1, &t, &err));
  if (t) {
    CHECK_EQ_INT(prestige_iceberg_table_format_version(t), 1);
    prestige_kv_t kv[] = {{"k", "v", -1}};
    CHECK_ERR(prestige_iceberg_table_update_properties(t, kv, 1, NULL, 0, &err), PRESTIGE_EUNSUPPORTED, "format version 1");
    char v1dir[1300];
    snprintf(v1dir, sizeof v1dir, "%s/v1/metadata", b.wh);
    CHECK_EQ_INT(cu_count_files(v1dir, ".metadata.json"), 1); /* nothing written next to it */
    prestige_iceberg_table_free(t);
  }
  prestige_iceberg_catalog_close(c);
}

#define READING(F)                                                                                 \
  F(sensor_id, STRING, .flags = PRESTIGE_IDENTIFIER)                                               \
  F(ts, TIMESTAMP(MILLI, "UTC"), .partition = PRESTIGE_PARTITION_DAY, .sort_order = 1)             \
  F(temperature, F64, .sort_order = 2, .sort_desc = true)                                          \
  F(humidity, OPTIONAL(F64))                                                                       \
  F(location, STRING, .partition = PRESTIGE_PARTITION_IDENTITY)
PRESTIGE_RECORD(reading, READING, .table = "sensor_readings", .namespace_ = "telemetry.iot")
#define READING_V2(F) F(sensor_id, STRING) F(ts, TIMESTAMP(MILLI, "UTC")) F(temperature, F32)
PRESTIGE_RECORD(reading_v2, READING_V2, .table = "sensor_readings", .namespace_ = "telemetry.iot")
#define NO_NS(F) F(x, I64)
PRESTIGE_RECORD(no_ns, NO_NS)

static void for_record(const char *tag) {
  backend_t b;
  backend_new(&b, tag);
  prestige_iceberg_catalog_t *c = open_cat(&b, "fr");
  if (!c) return;
  prestige_iceberg_table_t *t = NULL;
  CHECK_OK(prestige_iceberg_table_create_for_record(c, reading_record(), NULL, &t, &err)); /* namespace made too */
  if (!t) return;
  char *first = strdup(prestige_iceberg_table_metadata_location(t));
  const ice_table_metadata_t *md = t->loaded.metadata;
  CHECK_EQ_STR(prestige_iceberg_table_ident(t), "telemetry.iot.sensor_readings");
  CHECK_EQ_INT(ice_metadata_default_spec(md)->n_fields, 2);
  CHECK_EQ_STR(ice_metadata_default_spec(md)->fields[0].name, "ts_day");
  CHECK_EQ_INT(ice_metadata_default_sort_order(md)->n_fields, 2);
  CHECK_EQ_INT(ice_metadata_current_schema(md)->n_identifier_ids, 1);
  prestige_iceberg_table_free(t);
  /* the second time the table is loaded, not created */
  CHECK_OK(prestige_iceberg_table_create_for_record(c, reading_record(), NULL, &t, &err));
  if (t) CHECK_EQ_STR(prestige_iceberg_table_metadata_location(t), first);
  prestige_iceberg_table_free(t);
  CHECK_ERR(prestige_iceberg_table_create_for_record(c, reading_v2_record(), NULL, &t, &err), PRESTIGE_ETYPE, "temperature");
  CHECK_ERR(prestige_iceberg_table_create_for_record(c, no_ns_record(), NULL, &t, &err), PRESTIGE_EINVAL, "no Iceberg namespace");
  prestige_iceberg_create_options_t o = PRESTIGE_ICEBERG_CREATE_OPTIONS_INIT;
  o.sort = "x";
  CHECK_ERR(prestige_iceberg_table_create_for_record(c, reading_record(), &o, &t, &err), PRESTIGE_EINVAL, "annotations");
  free(first);
  prestige_iceberg_catalog_close(c);
}

/* ---- Java's schema ----------------------------------------------------------------------------------- */

static const char *JAVA_V0_TABLES =
    "CREATE TABLE iceberg_tables(catalog_name VARCHAR(255) NOT NULL,table_namespace VARCHAR(255) NOT NULL,table_name "
    "VARCHAR(255) NOT NULL,metadata_location VARCHAR(1000),previous_metadata_location VARCHAR(1000),PRIMARY KEY (catalog_name, "
    "table_namespace, table_name))";
static const char *JAVA_PROPS =
    "CREATE TABLE iceberg_namespace_properties(catalog_name VARCHAR(255) NOT NULL,namespace VARCHAR(255) NOT NULL,property_key "
    "VARCHAR(255),property_value VARCHAR(1000),PRIMARY KEY (catalog_name, namespace, property_key))";

static bool has_type_column(sql_db_t *db) {
  sql_stmt_t *st;
  bool row = false;
  if (sql_prepare(db,
                  sql_dialect(db) == SQL_SQLITE
                      ? "SELECT 1 FROM pragma_table_info('iceberg_tables') WHERE name = 'iceberg_type'"
                      : "SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = "
                        "'iceberg_tables' AND column_name = 'iceberg_type'",
                  &st, &err))
    return false;
  sql_step(st, &row, &err);
  sql_finalize(st);
  return row;
}

static void exec_args(sql_db_t *db, const char *sql, const char *const *args, int n) {
  sql_stmt_t *st;
  CHECK_OK(sql_prepare(db, sql, &st, &err));
  for (int i = 0; i < n; i++) CHECK_OK(sql_bind_text(st, i + 1, args[i], &err));
  bool row;
  CHECK_OK(sql_step(st, &row, &err));
  sql_finalize(st);
}

static void java_schema(const char *tag) {
  backend_t b;
  backend_new(&b, tag);
  sql_db_t *db = NULL;
  if (!strcmp(tag, "pg")) { /* a database of its own: drop what earlier scenarios made */
    CHECK_OK(sql_open(&db, b.uri, NULL, &err));
    if (!db) return;
    CHECK_OK(sql_exec(db, "CREATE SCHEMA javadb", &err));
    sql_close(db);
    snprintf(b.uri + strlen(b.uri), sizeof b.uri - strlen(b.uri), "?options=-csearch_path%%3Djavadb");
  }
  CHECK_OK(sql_open(&db, b.uri, NULL, &err));
  if (!db) return;
  CHECK_OK(sql_exec(db, JAVA_V0_TABLES, &err));
  CHECK_OK(sql_exec(db, JAVA_PROPS, &err));
  /* what Java wrote: a namespace with its reserved property and a table pointing at metadata */
  char cname[32];
  snprintf(cname, sizeof cname, "java%d", seq);
  char meta[1300];
  snprintf(meta, sizeof meta, "%s/legacy/t/metadata/00000-abc.metadata.json", b.wh);
  char mk[2048];
  snprintf(mk, sizeof mk, "mkdir -p %s/legacy/t/metadata && sed 's#s3://bucket/test/location#%s/legacy/t#' %s/tests/iceberg/data/TableMetadataV2ValidMinimal.json > %s",
           b.wh, b.wh, test_root(), meta);
  CHECK(system(mk) == 0);
  const char *ns_row[] = {cname, "legacy", "exists", "true"};
  exec_args(db, "INSERT INTO iceberg_namespace_properties (catalog_name, namespace, property_key, property_value) VALUES (?,?,?,?)",
            ns_row, 4);
  const char *t_row[] = {cname, "legacy", "t", meta};
  exec_args(db, "INSERT INTO iceberg_tables (catalog_name, table_namespace, table_name, metadata_location, previous_metadata_location) VALUES (?,?,?,?,null)",
            t_row, 4);

  prestige_iceberg_catalog_options_t o = PRESTIGE_ICEBERG_CATALOG_OPTIONS_INIT;
  o.uri = b.uri;
  o.warehouse = b.wh;
  o.name = cname;
  prestige_iceberg_catalog_t *c = NULL;
  CHECK_OK(prestige_iceberg_catalog_open(&c, &o, &err));
  if (!c) return;
  CHECK(!has_type_column(db)); /* used as it is (V0), as Java does without jdbc.schema-version */
  CHECK(list_ns(c, NULL, "legacy"));
  CHECK(list_tables(c, "legacy", "legacy.t"));
  prestige_iceberg_table_t *t = NULL;
  CHECK_OK(prestige_iceberg_table_load(c, "legacy.t", &t, &err));
  if (t) {
    prestige_kv_t kv[] = {{"touched", "by prestige", -1}};
    CHECK_OK(prestige_iceberg_table_update_properties(t, kv, 1, NULL, 0, &err));
    CHECK(strstr(prestige_iceberg_table_metadata_location(t), "/legacy/t/metadata/00001-") != NULL);
    prestige_iceberg_table_free(t);
  }
  t = create(c, "legacy.fresh", "id:int64", NULL);
  prestige_iceberg_table_free(t);
  prestige_iceberg_catalog_close(c);

  /* jdbc.schema-version=V1 migrates as Java does; old rows (NULL type) stay tables; views are not tables */
  prestige_kv_t v1[] = {{"jdbc.schema-version", "V1", -1}};
  o.properties = v1;
  o.n_properties = 1;
  CHECK_OK(prestige_iceberg_catalog_open(&c, &o, &err));
  if (!c) return;
  CHECK(has_type_column(db));
  const char *view_row[] = {cname, "legacy", "v", meta, "VIEW"};
  exec_args(db, "INSERT INTO iceberg_tables (catalog_name, table_namespace, table_name, metadata_location, previous_metadata_location, iceberg_type) VALUES (?,?,?,?,null,?)",
            view_row, 5);
  CHECK(list_tables(c, "legacy", "legacy.fresh,legacy.t"));
  CHECK_ERR(prestige_iceberg_table_load(c, "legacy.v", &t, &err), PRESTIGE_ENOTFOUND, "legacy.v");
  CHECK_ERR(create_rc(c, "legacy.v", "id:int64", NULL), PRESTIGE_EEXISTS, "view");
  CHECK_ERR(prestige_iceberg_table_rename(c, "legacy.t", "legacy.v", &err), PRESTIGE_EEXISTS, "view");
  CHECK_OK(prestige_iceberg_table_load(c, "legacy.t", &t, &err));
  if (t) {
    CHECK_EQ_STR(prestige_iceberg_table_property(t, "touched"), "by prestige");
    prestige_iceberg_table_free(t);
  }
  CHECK_OK(prestige_iceberg_table_drop(c, "legacy.t", false, &err));
  CHECK_OK(prestige_iceberg_table_drop(c, "legacy.fresh", false, &err));
  CHECK_ERR(prestige_iceberg_namespace_drop(c, "legacy", &err), PRESTIGE_EEXISTS, "not empty"); /* the view */
  prestige_iceberg_catalog_close(c);
  /* jdbc.init-catalog-tables=false on an empty database */
  prestige_kv_t noinit[] = {{"jdbc.init-catalog-tables", "false", -1}};
  backend_t e;
  backend_new(&e, "sqlite");
  o.uri = e.uri;
  o.properties = noinit;
  CHECK_ERR(prestige_iceberg_catalog_open(&c, &o, &err), PRESTIGE_ENOTFOUND, "iceberg_tables");
  sql_close(db);
}

/* ---- a locked SQLite database --------------------------------------------------------------------- */

static void locked_sqlite(void) {
  backend_t b;
  backend_new(&b, "sqlite");
  prestige_iceberg_catalog_options_t o = PRESTIGE_ICEBERG_CATALOG_OPTIONS_INIT;
  o.uri = b.uri;
  o.warehouse = b.wh;
  o.busy_timeout_ms = 300;
  o.name = "locked";
  prestige_iceberg_catalog_t *c = NULL;
  CHECK_OK(prestige_iceberg_catalog_open(&c, &o, &err));
  if (!c) return;
  CHECK_OK(prestige_iceberg_namespace_create(c, "n", NULL, 0, &err));
  prestige_iceberg_table_t *t = create(c, "n.t", "id:int64", NULL);
  if (!t) return;
  /* another process takes the write lock (BEGIN IMMEDIATE) and holds it until told to stop */
  char ready[1200];
  snprintf(ready, sizeof ready, "%s/locked-%d", test_tmpdir(), seq);
  int go[2];
  CHECK(pipe(go) == 0);
  pid_t holder = fork();
  if (holder == 0) {
    close(go[1]);
    sql_db_t *db = NULL;
    prestige_error_t e;
    if (sql_open(&db, b.uri, NULL, &e) || sql_begin(db, &e)) _exit(1);
    cu_write_file(ready, "locked");
    char byte;
    if (read(go[0], &byte, 1) < 0) _exit(2); /* until the parent closes its end */
    sql_rollback(db, &e);
    sql_close(db);
    _exit(0);
  }
  close(go[0]);
  for (int i = 0; i < TEST_WAIT_MS / 10 && !cu_exists(ready); i++) usleep(10000);
  CHECK(cu_exists(ready));
  CHECK_ERR(prestige_iceberg_namespace_create(c, "m", NULL, 0, &err), PRESTIGE_ECONFLICT, "catalog \"locked\"");
  CHECK(strstr(err.message, "locked") && strstr(err.message, b.uri + 7));
  prestige_kv_t kv[] = {{"k", "v", -1}};
  ice_update_t up = {.kind = ICE_UP_SET_PROPERTIES};
  ice_strmap_set(&up.properties, "k", "v");
  CHECK_ERR(ice_table_commit(t, NULL, 0, &up, 1, &err), PRESTIGE_ECONFLICT, "locked");
  char dir[1200];
  snprintf(dir, sizeof dir, "%s/n/t/metadata", b.wh);
  CHECK_EQ_INT(cu_count_files(dir, ".metadata.json"), 1); /* nothing left behind */
  close(go[1]);
  int st = 0;
  waitpid(holder, &st, 0);
  CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
  CHECK_OK(ice_table_commit(t, NULL, 0, &up, 1, &err));
  CHECK_OK(prestige_iceberg_table_update_properties(t, kv, 1, NULL, 0, &err));
  ice_update_release(&up);
  prestige_iceberg_table_free(t);
  prestige_iceberg_catalog_close(c);
}

/* ---- options ---------------------------------------------------------------------------------------- */

TEST(options) {
  prestige_iceberg_catalog_options_t o;
  memset(&o, 0xff, sizeof o);
  prestige_iceberg_catalog_options_init(&o);
  CHECK(o.version == PRESTIGE_ICEBERG_CATALOG_OPTIONS_VERSION && !o.uri && !o.name && !o.warehouse && !o.s3 && !o.s3_client &&
        o.busy_timeout_ms == 10000 && !o.token && !o.credential && !o.scope && !o.oauth2_server_uri && !o.sigv4 &&
        !o.signing_name && !o.signing_region && o.request_timeout_ms == 0 && !o.properties && !o.n_properties);
  prestige_iceberg_catalog_t *c = NULL;
  CHECK_ERR(prestige_iceberg_catalog_open(&c, &o, &err), PRESTIGE_EINVAL, "uri is required");
  o.uri = "mysql://x";
  CHECK_ERR(prestige_iceberg_catalog_open(&c, &o, &err), PRESTIGE_EINVAL, "mysql://x");
  o.uri = "http://127.0.0.1:1/cat";
  CHECK_ERR(prestige_iceberg_catalog_open(&c, &o, &err), PRESTIGE_ENET, "http://127.0.0.1:1/cat/v1/config"); /* the REST client: nothing listens */
  char uri[1200];
  snprintf(uri, sizeof uri, "sqlite:%s/opts.db", test_tmpdir());
  o.uri = uri;
  o.token = "secret";
  CHECK_ERR(prestige_iceberg_catalog_open(&c, &o, &err), PRESTIGE_EINVAL, "token is for REST catalogs");
  o.token = NULL;
  o.busy_timeout_ms = -1;
  CHECK_ERR(prestige_iceberg_catalog_open(&c, &o, &err), PRESTIGE_EINVAL, "busy_timeout_ms");
  o.busy_timeout_ms = 10;
  o.name = "";
  CHECK_ERR(prestige_iceberg_catalog_open(&c, &o, &err), PRESTIGE_EINVAL, "name");
  o.name = NULL;
  o.n_properties = 2;
  CHECK_ERR(prestige_iceberg_catalog_open(&c, &o, &err), PRESTIGE_EINVAL, "properties");
  o.n_properties = 0;
  prestige_kv_t sv[] = {{"jdbc.schema-version", "V7", -1}};
  o.properties = sv;
  o.n_properties = 1;
  CHECK_ERR(prestige_iceberg_catalog_open(&c, &o, &err), PRESTIGE_EINVAL, "V7");
  o.n_properties = 0;
  o.version = 0;
  CHECK_ERR(prestige_iceberg_catalog_open(&c, &o, &err), PRESTIGE_EINVAL, "version 0");
  o.version = PRESTIGE_ICEBERG_CATALOG_OPTIONS_VERSION;
  CHECK_OK(prestige_iceberg_catalog_open(&c, &o, &err));
  CHECK_EQ_STR(prestige_iceberg_catalog_name(c), "prestige");
  /* no warehouse: tables need a location */
  CHECK_OK(prestige_iceberg_namespace_create(c, "n", NULL, 0, &err));
  CHECK_ERR(create_rc(c, "n.t", "id:int64", NULL), PRESTIGE_EINVAL, "no warehouse");
  prestige_iceberg_catalog_close(c);
  CHECK(prestige_iceberg_catalog_open(NULL, &o, NULL) == PRESTIGE_EINVAL); /* NULL err is fine */
  prestige_iceberg_create_options_t co;
  memset(&co, 0xff, sizeof co);
  prestige_iceberg_create_options_init(&co);
  CHECK(co.version == PRESTIGE_ICEBERG_CREATE_OPTIONS_VERSION && co.format_version == 2 && !co.partition && !co.sort &&
        !co.identifier && !co.n_identifier && !co.location && !co.properties && !co.n_properties);
}

/* ---- S3 ------------------------------------------------------------------------------------------ */

static int count_listed(void *user, const char *location, uint64_t size, int64_t mtime_ms) {
  (void)location;
  (void)size;
  (void)mtime_ms;
  (*(int *)user)++;
  return 0;
}

TEST(tables_on_s3) {
  test_s3_t s3;
  if (test_s3rver_start(&s3, "lake")) {
    CHECK_MSG(0, "s3rver did not start");
    return;
  }
  setenv("AWS_ENDPOINT_URL", s3.endpoint, 1);
  setenv("AWS_ACCESS_KEY_ID", "S3RVER", 1);
  setenv("AWS_SECRET_ACCESS_KEY", "S3RVER", 1);
  setenv("AWS_REGION", "us-east-1", 1);
  unsetenv("AWS_PROFILE");
  backend_t b;
  backend_new(&b, "sqlite");
  prestige_iceberg_catalog_options_t o = PRESTIGE_ICEBERG_CATALOG_OPTIONS_INIT;
  o.uri = b.uri;
  o.warehouse = "s3://lake/wh/";
  prestige_iceberg_catalog_t *c = NULL;
  CHECK_OK(prestige_iceberg_catalog_open(&c, &o, &err));
  if (c) {
    CHECK_OK(prestige_iceberg_namespace_create(c, "db", NULL, 0, &err));
    prestige_iceberg_create_options_t co = PRESTIGE_ICEBERG_CREATE_OPTIONS_INIT;
    co.partition = "hour(ts)";
    prestige_iceberg_table_t *t = create(c, "db.events", "id:int64!,ts:timestamp(us,UTC)", &co);
    if (t) {
      CHECK_EQ_STR(prestige_iceberg_table_location(t), "s3://lake/wh/db/events");
      CHECK(!strncmp(prestige_iceberg_table_metadata_location(t), "s3://lake/wh/db/events/metadata/00000-", 38));
      prestige_kv_t kv[] = {{"k", "v", -1}};
      CHECK_OK(prestige_iceberg_table_update_properties(t, kv, 1, NULL, 0, &err));
      /* a second handle through another catalog connection sees the commit */
      prestige_iceberg_table_t *t2 = NULL;
      CHECK_OK(prestige_iceberg_table_load(c, "db.events", &t2, &err));
      if (t2) {
        CHECK_EQ_STR(prestige_iceberg_table_property(t2, "k"), "v");
        CHECK_EQ_STR(prestige_iceberg_table_metadata_location(t2), prestige_iceberg_table_metadata_location(t));
        prestige_iceberg_table_free(t2);
      }
      /* purge removes the objects */
      ice_io_t *io = t->io;
      uint64_t size;
      char *ml = strdup(prestige_iceberg_table_metadata_location(t));
      CHECK_OK(ice_io_head(io, ml, &size, NULL, &err));
      CHECK_ERR(create_rc(c, "db.events", "id:int64", NULL), PRESTIGE_EEXISTS, "db.events");
      CHECK_OK(prestige_iceberg_table_drop(c, "db.events", true, &err));
      CHECK_ERR(ice_io_head(io, ml, &size, NULL, &err), PRESTIGE_ENOTFOUND, "");
      int listed = 0;
      CHECK_OK(ice_io_list(io, "s3://lake/wh/db/events", count_listed, &listed, &err));
      CHECK_EQ_INT(listed, 0);
      free(ml);
      prestige_iceberg_table_free(t);
    }
    prestige_iceberg_catalog_close(c);
  }
  test_s3rver_stop(&s3);
}

/* ---- concurrency ------------------------------------------------------------------------------------- */

/* n commits of one property each through its own catalog connection, retried on conflicts. */
static int committer(const backend_t *b, const char *cname, const char *who, int n, const char *start_file) {
  prestige_iceberg_catalog_options_t o = PRESTIGE_ICEBERG_CATALOG_OPTIONS_INIT;
  o.uri = b->uri;
  o.warehouse = b->wh;
  o.name = cname;
  prestige_error_t e;
  prestige_iceberg_catalog_t *c = NULL;
  if (prestige_iceberg_catalog_open(&c, &o, &e)) {
    fprintf(stderr, "%s: %s\n", who, e.message);
    return 1;
  }
  /* all start at the same moment */
  for (int i = 0; start_file && i < TEST_WAIT_MS && access(start_file, F_OK) != 0; i++) usleep(1000);
  int failed = 0;
  prestige_iceberg_table_t *t = NULL;
  if (prestige_iceberg_table_load(c, "con.t", &t, &e)) failed = 1;
  for (int i = 0; i < n && !failed; i++) {
    char k[64];
    snprintf(k, sizeof k, "%s-%02d", who, i);
    prestige_kv_t kv[] = {{k, who, -1}};
    if (prestige_iceberg_table_update_properties(t, kv, 1, NULL, 0, &e)) {
      fprintf(stderr, "%s commit %d: %s\n", who, i, e.message);
      failed = 1;
    }
  }
  prestige_iceberg_table_free(t);
  prestige_iceberg_catalog_close(c);
  return failed;
}

/* Every metadata file is one version of one chain: 0..n, each once, and the last one's
 * metadata-log names all the others in order. */
static void check_chain(const backend_t *b, prestige_iceberg_catalog_t *c, int commits, const char *const *whos, int n_whos,
                        int per_who) {
  prestige_iceberg_table_t *t = NULL;
  CHECK_OK(prestige_iceberg_table_load(c, "con.t", &t, &err));
  if (!t) return;
  const ice_table_metadata_t *md = t->loaded.metadata;
  CHECK_EQ_INT(ice_metadata_file_version(t->loaded.metadata_location), commits);
  CHECK_EQ_INT(md->n_metadata_log, commits);
  for (size_t i = 0; i < md->n_metadata_log; i++) CHECK_EQ_INT(ice_metadata_file_version(md->metadata_log[i].file), (int)i);
  char dir[1200];
  snprintf(dir, sizeof dir, "%s/con/t/metadata", b->wh);
  CHECK_EQ_INT(cu_count_files(dir, ".metadata.json"), commits + 1); /* no file from a lost commit */
  int found = 0;
  for (int w = 0; w < n_whos; w++)
    for (int i = 0; i < per_who; i++) {
      char k[64];
      snprintf(k, sizeof k, "%s-%02d", whos[w], i);
      found += prestige_iceberg_table_property(t, k) != NULL;
    }
  CHECK_EQ_INT(found, n_whos * per_who);
  prestige_iceberg_table_free(t);
}

static void concurrent_processes(const char *tag) {
  backend_t b;
  backend_new(&b, tag);
  prestige_iceberg_catalog_t *c = open_cat(&b, "con");
  if (!c) return;
  char cname[64];
  snprintf(cname, sizeof cname, "con%d", seq);
  CHECK_OK(prestige_iceberg_namespace_create(c, "con", NULL, 0, &err));
  prestige_iceberg_create_options_t o = PRESTIGE_ICEBERG_CREATE_OPTIONS_INIT;
  prestige_kv_t props[] = {{"commit.retry.num-retries", "40", -1}, {"commit.retry.min-wait-ms", "5", -1},
                           {"commit.retry.max-wait-ms", "200", -1}};
  o.properties = props;
  o.n_properties = 3;
  prestige_iceberg_table_t *t = create(c, "con.t", "id:int64", &o);
  prestige_iceberg_table_free(t);
  char start[1200];
  snprintf(start, sizeof start, "%s/start-%d", test_tmpdir(), seq);
  const char *whos[] = {"p1", "p2"};
  pid_t pids[2];
  for (int i = 0; i < 2; i++) {
    pids[i] = fork();
    if (pids[i] == 0) _exit(committer(&b, cname, whos[i], 20, start));
  }
  usleep(200000);
  cu_write_file(start, "go");
  for (int i = 0; i < 2; i++) {
    int st = 0;
    waitpid(pids[i], &st, 0);
    CHECK_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s process failed (status %d)", whos[i], st);
  }
  check_chain(&b, c, 40, whos, 2, 20);
  prestige_iceberg_catalog_close(c);
}

typedef struct thread_arg {
  prestige_iceberg_catalog_t *cat;
  const char *who;
  int failed;
} thread_arg_t;

static void *thread_committer(void *p) {
  thread_arg_t *a = p;
  prestige_error_t e;
  prestige_iceberg_table_t *t = NULL;
  if (prestige_iceberg_table_load(a->cat, "con.t", &t, &e)) {
    a->failed = 1;
    return NULL;
  }
  for (int i = 0; i < 10 && !a->failed; i++) {
    char k[64];
    snprintf(k, sizeof k, "%s-%02d", a->who, i);
    prestige_kv_t kv[] = {{k, a->who, -1}};
    if (prestige_iceberg_table_update_properties(t, kv, 1, NULL, 0, &e)) {
      fprintf(stderr, "%s: %s\n", a->who, e.message);
      a->failed = 1;
    }
  }
  prestige_iceberg_table_free(t);
  return NULL;
}

static void concurrent_threads(const char *tag) {
  backend_t b;
  backend_new(&b, tag);
  prestige_iceberg_catalog_t *c = open_cat(&b, "con");
  if (!c) return;
  CHECK_OK(prestige_iceberg_namespace_create(c, "con", NULL, 0, &err));
  prestige_iceberg_create_options_t o = PRESTIGE_ICEBERG_CREATE_OPTIONS_INIT;
  prestige_kv_t props[] = {{"commit.retry.num-retries", "60", -1}, {"commit.retry.min-wait-ms", "2", -1},
                           {"commit.retry.max-wait-ms", "100", -1}};
  o.properties = props;
  o.n_properties = 3;
  prestige_iceberg_table_t *t = create(c, "con.t", "id:int64", &o);
  prestige_iceberg_table_free(t);
  const char *whos[] = {"t1", "t2", "t3", "t4"};
  pthread_t th[4];
  thread_arg_t args[4];
  for (int i = 0; i < 4; i++) {
    args[i] = (thread_arg_t){c, whos[i], 0};
    pthread_create(&th[i], NULL, thread_committer, &args[i]);
  }
  for (int i = 0; i < 4; i++) {
    pthread_join(th[i], NULL);
    CHECK_MSG(!args[i].failed, "thread %s failed", whos[i]);
  }
  check_chain(&b, c, 40, whos, 4, 10);
  prestige_iceberg_catalog_close(c);
}

/* REST's create through a commit (stage-create, then a commit asserting the table does not exist). */
static void create_by_commit(const char *tag) {
  backend_t b;
  backend_new(&b, tag);
  prestige_iceberg_catalog_t *c = open_cat(&b, "cc");
  if (!c) return;
  CHECK_OK(prestige_iceberg_namespace_create(c, "st", NULL, 0, &err));
  char text[4096];
  snprintf(text, sizeof text,
           "[{\"action\":\"assign-uuid\",\"uuid\":\"9c12d441-03fe-4693-9a96-a0705ddf69c1\"},"
           "{\"action\":\"upgrade-format-version\",\"format-version\":2},"
           "{\"action\":\"add-schema\",\"schema\":{\"type\":\"struct\",\"schema-id\":0,\"fields\":[{\"id\":1,\"name\":\"id\","
           "\"required\":true,\"type\":\"long\"}]},\"last-column-id\":1},"
           "{\"action\":\"set-current-schema\",\"schema-id\":-1},"
           "{\"action\":\"add-spec\",\"spec\":{\"spec-id\":0,\"fields\":[]}},{\"action\":\"set-default-spec\",\"spec-id\":-1},"
           "{\"action\":\"add-sort-order\",\"sort-order\":{\"order-id\":0,\"fields\":[]}},"
           "{\"action\":\"set-default-sort-order\",\"sort-order-id\":-1},"
           "{\"action\":\"set-location\",\"location\":\"file://%s/st/staged\"},"
           "{\"action\":\"set-properties\",\"updates\":{\"created\":\"by-commit\"}}]",
           b.wh);
  json_error_t je;
  json_t *ja = json_loads(text, 0, &je), *jr = json_loads("[{\"type\":\"assert-create\"}]", 0, &je);
  ice_update_t *ups = NULL;
  ice_requirement_t *reqs = NULL;
  size_t n_ups = 0, n_reqs = 0;
  CHECK_OK(ice_updates_from_json(ja, &ups, &n_ups, &err));
  CHECK_OK(ice_requirements_from_json(jr, &reqs, &n_reqs, &err));
  json_decref(ja);
  json_decref(jr);
  ice_ident_t id;
  CHECK_OK(ice_ident_parse("st.staged", true, &id, &err));
  ice_table_commit_t tc = {&id, reqs, n_reqs, ups, n_ups};
  ice_catalog_t *ic = NULL;
  prestige_iceberg_table_t *probe = create(c, "st.probe", "x:int32", NULL);
  if (probe) ic = probe->catalog;
  prestige_iceberg_table_free(probe);
  ice_loaded_table_t out = {0};
  if (ic) {
    CHECK_OK(ic->ops->table_commit(ic, &tc, &out, &err));
    CHECK(out.metadata_location && strstr(out.metadata_location, "/st/staged/metadata/00000-"));
    ice_loaded_table_release(&out);
    prestige_iceberg_table_t *t = NULL;
    CHECK_OK(prestige_iceberg_table_load(c, "st.staged", &t, &err));
    if (t) {
      CHECK_EQ_STR(prestige_iceberg_table_uuid(t), "9c12d441-03fe-4693-9a96-a0705ddf69c1");
      CHECK_EQ_STR(prestige_iceberg_table_property(t, "created"), "by-commit");
      prestige_iceberg_table_free(t);
    }
    CHECK_ERR(ic->ops->table_commit(ic, &tc, &out, &err), PRESTIGE_ECONFLICT, "");
    char dir[1200];
    snprintf(dir, sizeof dir, "%s/st/staged/metadata", b.wh);
    CHECK_EQ_INT(cu_count_files(dir, ".metadata.json"), 1);
    /* stage-create itself writes nothing and registers nothing */
    ice_ident_t sid;
    CHECK_OK(ice_ident_parse("st.staged2", true, &sid, &err));
    ice_schema_t *sch = NULL;
    CHECK_OK(ice_schema_from_json_text("{\"type\":\"struct\",\"schema-id\":0,\"fields\":[{\"id\":1,\"name\":\"a\",\"required\":false,\"type\":\"string\"}]}",
                                       &sch, &err));
    ice_create_request_t req = {sch, NULL, NULL, NULL, NULL, 2, true};
    CHECK_OK(ic->ops->table_create(ic, &sid, &req, &out, &err));
    CHECK(out.metadata && !out.metadata_location);
    if (out.metadata) {
      char want[1300];
      snprintf(want, sizeof want, "file://%s/st/staged2", b.wh);
      CHECK_EQ_STR(out.metadata->location, want);
    }
    ice_loaded_table_release(&out);
    bool e = true;
    CHECK_OK(prestige_iceberg_table_exists(c, "st.staged2", &e, &err));
    CHECK(!e);
    ice_schema_free(sch);
    ice_ident_release(&sid);
  }
  ice_ident_release(&id);
  ice_updates_free(ups, n_ups);
  ice_requirements_free(reqs, n_reqs);
  prestige_iceberg_catalog_close(c);
}

/* Threads creating the same table at once: one wins, the others get EEXISTS, and the losers'
 * metadata files (written before their insert failed) are gone. */
typedef struct create_arg {
  prestige_iceberg_catalog_t *cat;
  pthread_barrier_t *barrier;
  int rc;
} create_arg_t;

static void *thread_create(void *p) {
  create_arg_t *a = p;
  struct ArrowSchema s;
  prestige_error_t e;
  if (cu_schema("id:int64", &s, &e)) {
    a->rc = -1;
    return NULL;
  }
  pthread_barrier_wait(a->barrier);
  prestige_iceberg_table_t *t = NULL;
  a->rc = prestige_iceberg_table_create(a->cat, "race.t", &s, NULL, &t, &e);
  prestige_iceberg_table_free(t);
  prestige_schema_release(&s);
  return NULL;
}

static void concurrent_creates(const char *tag) {
  backend_t b;
  backend_new(&b, tag);
  prestige_iceberg_catalog_t *cats[4] = {0};
  for (int i = 0; i < 4; i++) cats[i] = open_cat(&b, "race"); /* a connection each, one catalog */
  if (!cats[3]) return;
  CHECK_OK(prestige_iceberg_namespace_create(cats[0], "race", NULL, 0, &err));
  pthread_barrier_t barrier;
  pthread_barrier_init(&barrier, NULL, 4);
  pthread_t th[4];
  create_arg_t args[4];
  for (int i = 0; i < 4; i++) {
    args[i] = (create_arg_t){cats[i], &barrier, 0};
    pthread_create(&th[i], NULL, thread_create, &args[i]);
  }
  int won = 0, exists = 0;
  for (int i = 0; i < 4; i++) {
    pthread_join(th[i], NULL);
    won += args[i].rc == 0;
    exists += args[i].rc == PRESTIGE_EEXISTS;
  }
  pthread_barrier_destroy(&barrier);
  CHECK_EQ_INT(won, 1);
  CHECK_EQ_INT(exists, 3);
  char dir[1200];
  snprintf(dir, sizeof dir, "%s/race/t/metadata", b.wh);
  CHECK_EQ_INT(cu_count_files(dir, ".metadata.json"), 1);
  for (int i = 0; i < 4; i++) prestige_iceberg_catalog_close(cats[i]);
}

/* ---- per backend --------------------------------------------------------------------------------------- */

static void on_backend(const char *tag) {
  test_current = tag;
  namespaces(tag);
  tables(tag);
  commits(tag);
  transactions(tag);
  snapshots_and_describe(tag);
  for_record(tag);
  java_schema(tag);
  create_by_commit(tag);
  concurrent_creates(tag);
  concurrent_processes(tag);
  concurrent_threads(tag);
}

TEST(sqlite) { on_backend("sqlite"); }

TEST(postgresql) {
  cu_pg_up();
  if (!cu_pg_url[0]) {
    CHECK_MSG(0, "PostgreSQL did not start");
    return;
  }
  on_backend("pg");
  cu_pg_down();
}

TEST_MAIN(RUN(options); RUN(sqlite); RUN(locked_sqlite); RUN(tables_on_s3); RUN(postgresql);)
