/*
 * The REST catalog end to end: our client (catalog_rest.c) against our server (rest_server.c)
 * on a loopback port, over SQLite and PostgreSQL: every catalog operation, page tokens, a
 * prefix, commit conflicts, transactions, OAuth2 tokens that expire, faults injected by
 * tests/common/fault_proxy.mjs (409, 503 after the commit landed, dropped requests and
 * responses, a slow server), the server's own validation (malformed bodies, unknown update and
 * requirement types, body limit, tokens) and two forked processes appending 20 times each.
 */
#include <pthread.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#pragma GCC diagnostic ignored "-Wunused-function" /* catalog_util.h helpers this file does not use */
#include "catalog_util.h"
#include "iceberg/rest_idem.h"
#include "iceberg/table.h"
#include "iceberg/table_ops.h"
#include "net/http_client.h"
#include "net/http_server.h"
#include "store/sigv4.h"
#include "prestige/iceberg_rest.h"
#include "s3_test.h"

static prestige_error_t err;
static int64_t server_idem_s = 1800; /* the servers' Idempotency-Key lifetime (0: off) */
static const char *SCHEMA = "id:int64!,v:string";

/* ---- helpers ------------------------------------------------------------------------------------------ */

typedef struct server {
  prestige_iceberg_rest_server_t *srv;
  char url[128];
} server_t;

static int server_up(server_t *s, const char *sql_uri, const char *token, const char *credential, int64_t lifetime_s,
                     const char *prefix) {
  prestige_iceberg_serve_options_t o = PRESTIGE_ICEBERG_SERVE_OPTIONS_INIT;
  char wh[1100];
  snprintf(wh, sizeof wh, "%s/warehouse", test_tmpdir());
  o.catalog.uri = sql_uri;
  o.catalog.warehouse = wh;
  o.port = 0;
  o.token = token;
  o.credential = credential;
  if (lifetime_s) o.token_lifetime_s = lifetime_s;
  o.prefix = prefix;
  o.max_body_bytes = 256 << 10;
  o.idempotency_lifetime_s = server_idem_s;
  int rc = prestige_iceberg_serve_start(&s->srv, &o, &err);
  if (!rc) snprintf(s->url, sizeof s->url, "http://127.0.0.1:%u", (unsigned)prestige_iceberg_serve_port(s->srv));
  return rc;
}

static void server_down(server_t *s) {
  prestige_iceberg_serve_stop(s->srv);
  s->srv = NULL;
}

typedef struct copts {
  const char *token, *credential;
  int64_t timeout_ms;
  const char *page_size;
} copts_t;

static int cat_open(const char *url, const copts_t *c, prestige_iceberg_catalog_t **out) {
  prestige_iceberg_catalog_options_t o = PRESTIGE_ICEBERG_CATALOG_OPTIONS_INIT;
  o.uri = url;
  prestige_kv_t props[1] = {{"rest-page-size", c && c->page_size ? c->page_size : "0", -1}};
  if (c) {
    o.token = c->token;
    o.credential = c->credential;
    o.request_timeout_ms = c->timeout_ms;
    if (c->page_size) {
      o.properties = props;
      o.n_properties = 1;
    }
  }
  return prestige_iceberg_catalog_open(out, &o, &err);
}

static ice_catalog_t *inner(prestige_iceberg_catalog_t *c) { return c->catalog; }

static int create_table(prestige_iceberg_catalog_t *cat, const char *ident) {
  struct ArrowSchema s;
  PRESTIGE_TRY(cu_schema(SCHEMA, &s, &err));
  prestige_iceberg_create_options_t co = PRESTIGE_ICEBERG_CREATE_OPTIONS_INIT;
  prestige_kv_t props[] = {{"commit.retry.num-retries", "60", -1}, {"commit.retry.min-wait-ms", "5", -1},
                           {"commit.retry.max-wait-ms", "200", -1}};
  co.properties = props;
  co.n_properties = 3;
  prestige_iceberg_table_t *t = NULL;
  int rc = prestige_iceberg_table_create(cat, ident, &s, &co, &t, &err);
  prestige_iceberg_table_free(t);
  s.release(&s);
  return rc;
}

/* Appends n rows (ids first_id...) as one snapshot through the catalog interface. */
static int append_rows(ice_catalog_t *c, const char *ident, int64_t first_id, int n, ice_commit_result_t *res,
                       prestige_error_t *e) {
  ice_ident_t id;
  PRESTIGE_TRY(ice_ident_parse(ident, true, &id, e));
  ice_loaded_table_t t = {0};
  ice_io_t *io = NULL;
  struct ArrowSchema s = {0};
  struct ArrowArray batch = {0};
  prestige_array_builder_t *b = NULL;
  ice_append_t *a = NULL;
  int rc = c->ops->table_load(c, &id, &t, e);
  if (!rc) rc = ice_catalog_table_io_config(c, t.metadata->location, &t.config, &io, e);
  if (!rc) rc = cu_schema(SCHEMA, &s, e);
  if (!rc) rc = prestige_array_builder_new(&b, &s, e);
  for (int r = 0; !rc && r < n; r++) {
    char v[32];
    int len = snprintf(v, sizeof v, "row-%lld", (long long)(first_id + r));
    rc = prestige_array_builder_append_int(prestige_array_builder_child(b, 0), first_id + r, e);
    if (!rc) rc = prestige_array_builder_append_bytes(prestige_array_builder_child(b, 1), v, len, e);
    if (!rc) rc = prestige_array_builder_append_struct(b, e);
  }
  if (!rc) rc = prestige_array_builder_finish(b, &batch, e);
  if (!rc) rc = ice_append_new(&a, c, &id, io, &t, NULL, e);
  if (!rc) rc = ice_append_write(a, &s, &batch, e);
  else if (batch.release) batch.release(&batch);
  if (!rc) rc = ice_append_commit(a, res, NULL, e);
  ice_append_free(a);
  prestige_array_builder_free(b);
  if (s.release) s.release(&s);
  ice_io_free(io);
  ice_loaded_table_release(&t);
  ice_ident_release(&id);
  return rc;
}

static int load(ice_catalog_t *c, const char *ident, ice_loaded_table_t *t) {
  ice_ident_t id;
  PRESTIGE_TRY(ice_ident_parse(ident, true, &id, &err));
  int rc = c->ops->table_load(c, &id, t, &err);
  ice_ident_release(&id);
  return rc;
}

static int64_t total_records(const ice_table_metadata_t *md) {
  const ice_snapshot_t *s = ice_metadata_current_snapshot(md);
  const char *v = s ? ice_strmap_get(&s->summary, "total-records") : NULL;
  return v ? atoll(v) : 0;
}

/* A raw request to the server: status, body (malloc'd) and Content-Type. */
static long raw(const char *method, const char *url, const char *token, const char *body, size_t body_len, char **out,
                char *ctype, size_t ctype_cap) {
  http_client_t *hc;
  if (http_client_new(&hc, NULL, &err)) return -1;
  buf_t rb = BUF_INIT;
  http_request_t rq;
  http_request_init(&rq, method, url);
  char auth[256];
  http_header_t hs[2];
  size_t nh = 0;
  if (token) {
    snprintf(auth, sizeof auth, "Bearer %s", token);
    hs[nh++] = (http_header_t){"Authorization", auth};
  }
  hs[nh++] = (http_header_t){"Content-Type", "application/json"};
  rq.headers = hs;
  rq.n_headers = nh;
  if (body) {
    rq.has_body = true;
    rq.body.data = (const uint8_t *)body;
    rq.body.len = body_len;
  }
  rq.out.buf = &rb;
  http_response_t rs;
  http_response_init(&rs);
  long status = -1;
  if (!http_exchange(hc, &rq, &rs, &err)) {
    status = rs.status;
    buf_t *src = rs.status >= 200 && rs.status < 300 ? &rb : &rs.error_body;
    if (out) {
      *out = calloc(1, src->len + 1);
      if (*out && src->len) memcpy(*out, src->data, src->len);
    }
    const char *ct = http_response_header(&rs, "Content-Type");
    if (ctype) snprintf(ctype, ctype_cap, "%s", ct ? ct : "");
  }
  http_response_release(&rs);
  buf_release(&rb);
  http_client_free(hc);
  return status;
}

/* ---- every verb ------------------------------------------------------------------------------------------ */

static void every_verb(const char *sql_uri) {
  server_t s;
  int rc = server_up(&s, sql_uri, "tok", NULL, 0, NULL);
  CHECK_MSG(rc == 0, "server: %s", err.message);
  if (rc) return;
  copts_t co = {.token = "tok", .page_size = "2"}; /* pages of 2: every list takes several requests */
  prestige_iceberg_catalog_t *cat;
  CHECK_OK(cat_open(s.url, &co, &cat));
  if (!cat) {
    server_down(&s);
    return;
  }
  const char *nss[] = {"a", "a.b", "a.c", "a.d", "a.b.deep", "z", "y", "x"};
  for (size_t i = 0; i < 8; i++) CHECK_OK(prestige_iceberg_namespace_create(cat, nss[i], NULL, 0, &err));
  prestige_kv_t p1[] = {{"owner", "alice", -1}, {"k", "v", -1}};
  CHECK_OK(prestige_iceberg_namespace_create(cat, "props", p1, 2, &err));
  CHECK_ERR(prestige_iceberg_namespace_create(cat, "a.b", NULL, 0, &err), PRESTIGE_EEXISTS, "already exists");
  char **names = NULL;
  size_t n = 0;
  CHECK_OK(prestige_iceberg_namespace_list(cat, NULL, &names, &n, &err));
  CHECK_EQ_INT(n, 5);
  if (n == 5) {
    CHECK_EQ_STR(names[0], "a");
    CHECK_EQ_STR(names[1], "props");
    CHECK_EQ_STR(names[4], "z");
  }
  prestige_iceberg_names_free(names, n);
  CHECK_OK(prestige_iceberg_namespace_list(cat, "a", &names, &n, &err));
  CHECK_EQ_INT(n, 3);
  if (n == 3) CHECK_EQ_STR(names[0], "a.b");
  prestige_iceberg_names_free(names, n);
  CHECK_OK(prestige_iceberg_namespace_list(cat, "a.b", &names, &n, &err));
  CHECK_EQ_INT(n, 1);
  if (n == 1) CHECK_EQ_STR(names[0], "a.b.deep");
  prestige_iceberg_names_free(names, n);
  CHECK_ERR(prestige_iceberg_namespace_list(cat, "nope", &names, &n, &err), PRESTIGE_ENOTFOUND, "nope");
  bool ex = false;
  CHECK_OK(prestige_iceberg_namespace_exists(cat, "a.b.deep", &ex, &err));
  CHECK(ex);
  CHECK_OK(prestige_iceberg_namespace_exists(cat, "a.q", &ex, &err));
  CHECK(!ex);
  prestige_iceberg_props_t pr = {0};
  CHECK_OK(prestige_iceberg_namespace_properties(cat, "props", &pr, &err));
  bool owner = false;
  for (size_t i = 0; i < pr.n; i++) owner |= !strcmp(pr.keys[i], "owner") && !strcmp(pr.values[i], "alice");
  CHECK(owner);
  prestige_iceberg_props_release(&pr);
  prestige_kv_t set[] = {{"owner", "bob", -1}};
  const char *rem[] = {"k"};
  CHECK_OK(prestige_iceberg_namespace_update_properties(cat, "props", set, 1, rem, 1, &err));
  CHECK_OK(prestige_iceberg_namespace_properties(cat, "props", &pr, &err));
  bool bob = false, k = false;
  for (size_t i = 0; i < pr.n; i++) {
    bob |= !strcmp(pr.keys[i], "owner") && !strcmp(pr.values[i], "bob");
    k |= !strcmp(pr.keys[i], "k");
  }
  CHECK(bob && !k);
  prestige_iceberg_props_release(&pr);
  /* tables: five in a.b (nested namespace: %1F in the path) */
  const char *ts[] = {"a.b.t1", "a.b.t2", "a.b.t3", "a.b.t4", "a.b.t5"};
  for (size_t i = 0; i < 5; i++) CHECK_OK(create_table(cat, ts[i]));
  CHECK_ERR(create_table(cat, "a.b.t1"), PRESTIGE_EEXISTS, "already exists");
  CHECK_ERR(create_table(cat, "nope.t"), PRESTIGE_ENOTFOUND, "NoSuchNamespaceException");
  CHECK_OK(prestige_iceberg_table_list(cat, "a.b", &names, &n, &err));
  CHECK_EQ_INT(n, 5);
  if (n == 5) {
    CHECK_EQ_STR(names[0], "a.b.t1");
    CHECK_EQ_STR(names[4], "a.b.t5");
  }
  prestige_iceberg_names_free(names, n);
  CHECK_OK(prestige_iceberg_table_exists(cat, "a.b.t3", &ex, &err));
  CHECK(ex);
  CHECK_OK(prestige_iceberg_table_exists(cat, "a.b.t9", &ex, &err));
  CHECK(!ex);
  prestige_iceberg_table_t *t = NULL;
  CHECK_ERR(prestige_iceberg_table_load(cat, "a.b.t9", &t, &err), PRESTIGE_ENOTFOUND, "NoSuchTableException");
  CHECK_OK(prestige_iceberg_table_load(cat, "a.b.t1", &t, &err));
  if (t) {
    char wh[1200];
    snprintf(wh, sizeof wh, "file://%s/warehouse/a/b/t1", test_tmpdir());
    CHECK_EQ_STR(prestige_iceberg_table_location(t), wh); /* the server's warehouse decides */
    prestige_kv_t tp[] = {{"custom", "42", -1}};
    CHECK_OK(prestige_iceberg_table_update_properties(t, tp, 1, NULL, 0, &err));
    CHECK_EQ_STR(prestige_iceberg_table_property(t, "custom"), "42");
    prestige_iceberg_table_free(t);
    t = NULL;
  }
  /* appends land (rows counted by the snapshot summary) */
  ice_commit_result_t res = {0};
  CHECK_OK(append_rows(inner(cat), "a.b.t1", 0, 100, &res, &err));
  ice_commit_result_release(&res);
  CHECK_OK(append_rows(inner(cat), "a.b.t1", 100, 50, &res, &err));
  ice_commit_result_release(&res);
  ice_loaded_table_t lt = {0};
  CHECK_OK(load(inner(cat), "a.b.t1", &lt));
  if (lt.metadata) {
    CHECK_EQ_INT(lt.metadata->n_snapshots, 2);
    CHECK_EQ_INT(total_records(lt.metadata), 150);
  }
  /* rename across namespaces, drop, register */
  CHECK_OK(prestige_iceberg_table_rename(cat, "a.b.t2", "z.moved", &err));
  CHECK_ERR(prestige_iceberg_table_rename(cat, "a.b.t2", "z.again", &err), PRESTIGE_ENOTFOUND, "t2");
  CHECK_ERR(prestige_iceberg_table_rename(cat, "a.b.t3", "z.moved", &err), PRESTIGE_EEXISTS, "already exists");
  CHECK_OK(prestige_iceberg_table_exists(cat, "z.moved", &ex, &err));
  CHECK(ex);
  CHECK_OK(prestige_iceberg_table_drop(cat, "a.b.t1", false, &err));
  CHECK_OK(prestige_iceberg_table_exists(cat, "a.b.t1", &ex, &err));
  CHECK(!ex);
  if (lt.metadata) {
    CHECK_OK(prestige_iceberg_table_register(cat, "z.back", lt.metadata_location, &t, &err));
    if (t) {
      CHECK_EQ_STR(prestige_iceberg_table_uuid(t), lt.metadata->table_uuid);
      CHECK_EQ_INT(prestige_iceberg_table_current_snapshot_id(t), lt.metadata->current_snapshot_id);
      prestige_iceberg_table_free(t);
      t = NULL;
    }
    CHECK_ERR(prestige_iceberg_table_register(cat, "z.back", lt.metadata_location, &t, &err), PRESTIGE_EEXISTS, "exists");
  }
  CHECK_ERR(prestige_iceberg_table_register(cat, "z.bad", "file:///nonexistent/m.metadata.json", &t, &err), PRESTIGE_ENOTFOUND,
            "does not exist");
  /* purge deletes the files */
  char dir[1200];
  snprintf(dir, sizeof dir, "%s/warehouse/a/b/t3/metadata", test_tmpdir());
  CHECK(cu_count_files(dir, ".metadata.json") == 1);
  CHECK_OK(prestige_iceberg_table_drop(cat, "a.b.t3", true, &err));
  CHECK(cu_count_files(dir, ".metadata.json") <= 0);
  CHECK_ERR(prestige_iceberg_table_drop(cat, "a.b.t3", false, &err), PRESTIGE_ENOTFOUND, "t3");
  /* stage-create: metadata back, nothing committed */
  ice_ident_t sid;
  CHECK_OK(ice_ident_parse("a.c.staged", true, &sid, &err));
  ice_schema_t *sch = NULL;
  CHECK_OK(ice_schema_from_json_text("{\"type\":\"struct\",\"schema-id\":0,\"fields\":[{\"id\":1,\"name\":\"x\",\"required\":true,\"type\":\"long\"}]}",
                                     &sch, &err));
  ice_create_request_t req = {.schema = sch, .format_version = 2, .stage_create = true};
  ice_loaded_table_t st = {0};
  CHECK_OK(inner(cat)->ops->table_create(inner(cat), &sid, &req, &st, &err));
  CHECK(st.metadata != NULL);
  CHECK_OK(prestige_iceberg_table_exists(cat, "a.c.staged", &ex, &err));
  CHECK(!ex);
  ice_loaded_table_release(&st);
  ice_schema_free(sch);
  ice_ident_release(&sid);
  /* namespaces: not empty, then empty */
  CHECK_ERR(prestige_iceberg_namespace_drop(cat, "a", &err), PRESTIGE_EEXISTS, "not empty");
  CHECK_OK(prestige_iceberg_namespace_drop(cat, "a.b.deep", &err));
  CHECK_ERR(prestige_iceberg_namespace_drop(cat, "a.b.deep", &err), PRESTIGE_ENOTFOUND, "deep");
  CHECK_OK(prestige_iceberg_namespace_drop(cat, "y", &err));
  ice_loaded_table_release(&lt);
  prestige_iceberg_catalog_close(cat);
  server_down(&s);
}

TEST(verbs_sqlite) {
  char uri[1200];
  snprintf(uri, sizeof uri, "sqlite:%s/verbs.db", test_tmpdir());
  every_verb(uri);
}

TEST(verbs_postgresql) {
  if (!cu_pg_url[0]) {
    fprintf(stderr, "PostgreSQL is not available: every test needs it here\n");
    CHECK(cu_pg_url[0]);
    return;
  }
  every_verb(cu_pg_url);
}

/* ---- conflicts, transactions -------------------------------------------------------------------------------- */

TEST(conflicts_and_transactions) {
  server_t s;
  char uri[1200];
  snprintf(uri, sizeof uri, "sqlite:%s/conflicts.db", test_tmpdir());
  if (server_up(&s, uri, NULL, NULL, 0, "pfx")) {
    CHECK_MSG(0, "server: %s", err.message);
    return;
  }
  prestige_iceberg_catalog_t *cat;
  CHECK_OK(cat_open(s.url, NULL, &cat));
  if (!cat) {
    server_down(&s);
    return;
  }
  /* the prefix from the config is used: /v1/pfx/... answers, /v1/namespaces does not */
  CHECK_OK(prestige_iceberg_namespace_create(cat, "db", NULL, 0, &err));
  char url[256], *body = NULL, ct[128];
  snprintf(url, sizeof url, "%s/v1/namespaces", s.url);
  CHECK_EQ_INT(raw("GET", url, NULL, NULL, 0, &body, ct, sizeof ct), 404);
  free(body);
  snprintf(url, sizeof url, "%s/v1/pfx/namespaces", s.url);
  CHECK_EQ_INT(raw("GET", url, NULL, NULL, 0, &body, ct, sizeof ct), 200);
  CHECK(body && strstr(body, "[\"db\"]"));
  free(body);
  CHECK_OK(create_table(cat, "db.t"));
  CHECK_OK(create_table(cat, "db.u"));
  ice_catalog_t *c = inner(cat);
  /* a stale append: its base is one commit behind; the append loop refreshes and retries */
  ice_loaded_table_t base = {0};
  CHECK_OK(load(c, "db.t", &base));
  ice_commit_result_t res = {0};
  CHECK_OK(append_rows(c, "db.t", 0, 10, &res, &err));
  ice_commit_result_release(&res);
  ice_ident_t id;
  ice_ident_parse("db.t", true, &id, &err);
  if (base.metadata) {
    ice_io_t *io = NULL;
    CHECK_OK(ice_catalog_table_io(c, base.metadata->location, &io, &err));
    ice_append_t *a = NULL;
    struct ArrowSchema sc;
    cu_schema(SCHEMA, &sc, &err);
    prestige_array_builder_t *b;
    prestige_array_builder_new(&b, &sc, &err);
    for (int r = 0; r < 5; r++) {
      prestige_array_builder_append_int(prestige_array_builder_child(b, 0), 1000 + r, &err);
      prestige_array_builder_append_bytes(prestige_array_builder_child(b, 1), "x", 1, &err);
      prestige_array_builder_append_struct(b, &err);
    }
    struct ArrowArray batch;
    CHECK_OK(prestige_array_builder_finish(b, &batch, &err));
    prestige_array_builder_free(b);
    CHECK_OK(ice_append_new(&a, c, &id, io, &base, NULL, &err));
    CHECK_OK(ice_append_write(a, &sc, &batch, &err));
    CHECK_OK(ice_append_commit(a, &res, NULL, &err));
    CHECK_EQ_INT(res.attempts, 2);
    ice_commit_result_release(&res);
    ice_append_free(a);
    sc.release(&sc);
    ice_io_free(io);
    /* a raw commit asserting the stale snapshot: 409 CommitFailedException, as ECONFLICT */
    ice_requirement_t rq = {.kind = ICE_REQ_ASSERT_REF_SNAPSHOT_ID, .ref = "main", .has_snapshot_id = false};
    ice_update_t up = {.kind = ICE_UP_SET_PROPERTIES};
    ice_strmap_set(&up.properties, "x", "1");
    ice_table_commit_t tc = {&id, &rq, 1, &up, 1};
    ice_loaded_table_t after = {0};
    CHECK_ERR(c->ops->table_commit(c, &tc, &after, &err), PRESTIGE_ECONFLICT, "CommitFailedException");
    ice_strmap_release(&up.properties);
  }
  ice_loaded_table_t now = {0};
  CHECK_OK(load(c, "db.t", &now));
  if (now.metadata) {
    CHECK_EQ_INT(now.metadata->n_snapshots, 2);
    CHECK_EQ_INT(total_records(now.metadata), 15);
  }
  /* transactions: both tables or neither */
  ice_loaded_table_t u = {0};
  CHECK_OK(load(c, "db.u", &u));
  ice_ident_t uid;
  ice_ident_parse("db.u", true, &uid, &err);
  if (now.metadata && u.metadata) {
    ice_requirement_t r1 = {.kind = ICE_REQ_ASSERT_TABLE_UUID, .uuid = now.metadata->table_uuid};
    ice_requirement_t r2 = {.kind = ICE_REQ_ASSERT_TABLE_UUID, .uuid = u.metadata->table_uuid};
    ice_update_t u1 = {.kind = ICE_UP_SET_PROPERTIES}, u2 = {.kind = ICE_UP_SET_PROPERTIES};
    ice_strmap_set(&u1.properties, "txn", "one");
    ice_strmap_set(&u2.properties, "txn", "one");
    ice_table_commit_t tcs[2] = {{&id, &r1, 1, &u1, 1}, {&uid, &r2, 1, &u2, 1}};
    CHECK_OK(c->ops->transaction_commit(c, tcs, 2, &err));
    /* the second's requirement fails: neither changes */
    ice_strmap_set(&u1.properties, "txn", "two");
    ice_strmap_set(&u2.properties, "txn", "two");
    ice_requirement_t bad = {.kind = ICE_REQ_ASSERT_TABLE_UUID, .uuid = "00000000-0000-4000-8000-000000000000"};
    tcs[1].requirements = &bad;
    CHECK_ERR(c->ops->transaction_commit(c, tcs, 2, &err), PRESTIGE_ECONFLICT, "uuid");
    ice_strmap_release(&u1.properties);
    ice_strmap_release(&u2.properties);
    ice_loaded_table_t a1 = {0}, a2 = {0};
    CHECK_OK(load(c, "db.t", &a1));
    CHECK_OK(load(c, "db.u", &a2));
    if (a1.metadata && a2.metadata) {
      CHECK_EQ_STR(ice_metadata_property(a1.metadata, "txn", NULL), "one");
      CHECK_EQ_STR(ice_metadata_property(a2.metadata, "txn", NULL), "one");
    }
    ice_loaded_table_release(&a1);
    ice_loaded_table_release(&a2);
  }
  ice_ident_release(&uid);
  ice_ident_release(&id);
  ice_loaded_table_release(&u);
  ice_loaded_table_release(&now);
  ice_loaded_table_release(&base);
  prestige_iceberg_catalog_close(cat);
  server_down(&s);
}

/* ---- the server's validation ------------------------------------------------------------------------------ */

TEST(server_validation) {
  server_t s;
  char uri[1200];
  snprintf(uri, sizeof uri, "sqlite:%s/validation.db", test_tmpdir());
  if (server_up(&s, uri, "secret-token", NULL, 0, NULL)) {
    CHECK_MSG(0, "server: %s", err.message);
    return;
  }
  copts_t co = {.token = "secret-token"};
  prestige_iceberg_catalog_t *cat;
  CHECK_OK(cat_open(s.url, &co, &cat));
  if (!cat) {
    server_down(&s);
    return;
  }
  CHECK_OK(prestige_iceberg_namespace_create(cat, "db", NULL, 0, &err));
  CHECK_OK(create_table(cat, "db.t"));
  char url[256], *body = NULL, ct[128];
  /* no token, wrong token: 401 with the error model */
  snprintf(url, sizeof url, "%s/v1/namespaces", s.url);
  CHECK_EQ_INT(raw("GET", url, NULL, NULL, 0, &body, ct, sizeof ct), 401);
  CHECK(body && strstr(body, "\"type\":\"NotAuthorizedException\"") && strstr(body, "\"code\":401"));
  CHECK_EQ_STR(ct, "application/json");
  free(body);
  CHECK_EQ_INT(raw("GET", url, "wrong", NULL, 0, &body, ct, sizeof ct), 401);
  free(body);
  prestige_iceberg_catalog_t *bad = NULL;
  copts_t wrong = {.token = "wrong"};
  CHECK_ERR(cat_open(s.url, &wrong, &bad), PRESTIGE_EAUTH, "not authorized");
  CHECK_EQ_INT(raw("GET", url, "secret-token", NULL, 0, &body, ct, sizeof ct), 200);
  CHECK_EQ_STR(ct, "application/json");
  free(body);
  /* malformed JSON names the problem */
  const char *mal = "{\"namespace\": [\"x\"";
  CHECK_EQ_INT(raw("POST", url, "secret-token", mal, strlen(mal), &body, ct, sizeof ct), 400);
  CHECK_MSG(body && strstr(body, "malformed JSON") && strstr(body, "BadRequestException"), "%s", body ? body : "");
  free(body);
  const char *notns = "{\"namespace\": \"x\"}";
  CHECK_EQ_INT(raw("POST", url, "secret-token", notns, strlen(notns), &body, ct, sizeof ct), 400);
  free(body);
  /* commits: unknown update action, unknown requirement type: 400; the table unchanged */
  snprintf(url, sizeof url, "%s/v1/namespaces/db/tables/t", s.url);
  const char *unk_up = "{\"requirements\":[],\"updates\":[{\"action\":\"frobnicate\"}]}";
  CHECK_EQ_INT(raw("POST", url, "secret-token", unk_up, strlen(unk_up), &body, ct, sizeof ct), 400);
  CHECK_MSG(body && strstr(body, "frobnicate"), "%s", body ? body : "");
  free(body);
  const char *unk_req = "{\"requirements\":[{\"type\":\"assert-moon-phase\"}],\"updates\":[{\"action\":\"set-properties\",\"updates\":{\"a\":\"b\"}}]}";
  CHECK_EQ_INT(raw("POST", url, "secret-token", unk_req, strlen(unk_req), &body, ct, sizeof ct), 400);
  CHECK_MSG(body && strstr(body, "assert-moon-phase"), "%s", body ? body : "");
  free(body);
  /* every requirement type is checked: each failing one is a 409 and changes nothing */
  const char *reqs[] = {
      "{\"type\":\"assert-create\"}",
      "{\"type\":\"assert-table-uuid\",\"uuid\":\"00000000-0000-4000-8000-000000000000\"}",
      "{\"type\":\"assert-ref-snapshot-id\",\"ref\":\"main\",\"snapshot-id\":12345}",
      "{\"type\":\"assert-last-assigned-field-id\",\"last-assigned-field-id\":99}",
      "{\"type\":\"assert-current-schema-id\",\"current-schema-id\":7}",
      "{\"type\":\"assert-last-assigned-partition-id\",\"last-assigned-partition-id\":1234}",
      "{\"type\":\"assert-default-spec-id\",\"default-spec-id\":3}",
      "{\"type\":\"assert-default-sort-order-id\",\"default-sort-order-id\":4}",
  };
  for (size_t i = 0; i < sizeof reqs / sizeof *reqs; i++) {
    char b[600];
    snprintf(b, sizeof b, "{\"requirements\":[%s],\"updates\":[{\"action\":\"set-properties\",\"updates\":{\"r%zu\":\"x\"}}]}",
             reqs[i], i);
    long st = raw("POST", url, "secret-token", b, strlen(b), &body, ct, sizeof ct);
    CHECK_MSG(st == 409, "requirement %s: %ld %s", reqs[i], st, body ? body : "");
    CHECK_MSG(body && strstr(body, "CommitFailedException"), "%s", body ? body : "");
    free(body);
  }
  ice_loaded_table_t t = {0};
  CHECK_OK(load(inner(cat), "db.t", &t));
  if (t.metadata) {
    CHECK(ice_metadata_property(t.metadata, "r0", NULL) == NULL);
    CHECK(ice_metadata_property(t.metadata, "r7", NULL) == NULL);
    CHECK_EQ_INT(t.metadata->n_metadata_log, 0);
    /* the same requirements, all true, land together */
    char b[1200];
    snprintf(b, sizeof b,
             "{\"requirements\":[{\"type\":\"assert-table-uuid\",\"uuid\":\"%s\"},{\"type\":\"assert-ref-snapshot-id\",\"ref\":"
             "\"main\",\"snapshot-id\":null},{\"type\":\"assert-current-schema-id\",\"current-schema-id\":0},{\"type\":\"assert-"
             "default-spec-id\",\"default-spec-id\":0}],\"updates\":[{\"action\":\"set-properties\",\"updates\":{\"ok\":\"yes\"}}]}",
             t.metadata->table_uuid);
    CHECK_EQ_INT(raw("POST", url, "secret-token", b, strlen(b), &body, ct, sizeof ct), 200);
    CHECK(body && strstr(body, "\"metadata-location\"") && strstr(body, "\"ok\":\"yes\""));
    free(body);
  }
  ice_loaded_table_release(&t);
  /* a body beyond the limit: 413 */
  size_t big_n = 400 << 10;
  char *big = malloc(big_n);
  memset(big, ' ', big_n);
  big[0] = '{';
  big[big_n - 1] = '}';
  CHECK_EQ_INT(raw("POST", url, "secret-token", big, big_n, &body, ct, sizeof ct), 413);
  free(body);
  free(big);
  /* unknown paths and methods */
  snprintf(url, sizeof url, "%s/v1/nothing", s.url);
  CHECK_EQ_INT(raw("GET", url, "secret-token", NULL, 0, &body, ct, sizeof ct), 404);
  free(body);
  snprintf(url, sizeof url, "%s/v1/config", s.url);
  CHECK_EQ_INT(raw("GET", url, "secret-token", NULL, 0, &body, ct, sizeof ct), 200);
  CHECK(body && strstr(body, "\"endpoints\"") && strstr(body, "POST /v1/{prefix}/transactions/commit"));
  free(body);
  prestige_iceberg_catalog_close(cat);
  server_down(&s);
}

/* ---- faults through the proxy ---------------------------------------------------------------------------- */

static int64_t n_snapshots(ice_catalog_t *c, const char *ident) {
  ice_loaded_table_t t = {0};
  int64_t n = load(c, ident, &t) ? -1 : (int64_t)t.metadata->n_snapshots;
  ice_loaded_table_release(&t);
  return n;
}

TEST(faults) {
  server_t s;
  char uri[1200];
  snprintf(uri, sizeof uri, "sqlite:%s/faults.db", test_tmpdir());
  server_idem_s = 0; /* no Idempotency-Key: the client's reload-and-look fallback */
  int up = server_up(&s, uri, NULL, NULL, 0, NULL);
  server_idem_s = 1800;
  if (up) {
    CHECK_MSG(0, "server: %s", err.message);
    return;
  }
  test_s3_t px;
  if (test_proxy_start(&px, s.url)) {
    CHECK_MSG(0, "fault proxy did not start");
    server_down(&s);
    return;
  }
  copts_t co = {.timeout_ms = 1500};
  prestige_iceberg_catalog_t *cat;
  CHECK_OK(cat_open(px.endpoint, &co, &cat));
  if (!cat) goto out;
  ice_catalog_t *c = inner(cat);
  CHECK_OK(prestige_iceberg_namespace_create(cat, "db", NULL, 0, &err));
  CHECK_OK(create_table(cat, "db.t"));
  const char *commit_rule = "[{\"match\":{\"method\":\"POST\",\"path\":\"^/v1/namespaces/db/tables/t$\"},\"action\":%s}]";
  char rule[512];
  ice_commit_result_t res = {0};
  int64_t rows = 0;
  /* 409 then success: lands once */
  snprintf(rule, sizeof rule, commit_rule, "{\"type\":\"status\",\"status\":409,\"code\":\"CommitFailedException\"}");
  CHECK_EQ_INT(test_proxy_faults(&px, rule), 0);
  CHECK_OK(append_rows(c, "db.t", rows, 10, &res, &err));
  rows += 10;
  CHECK_EQ_INT(res.attempts, 2);
  ice_commit_result_release(&res);
  CHECK_EQ_INT(n_snapshots(c, "db.t"), 1);
  /* 503 after the server committed: found by reloading, no duplicate */
  snprintf(rule, sizeof rule, commit_rule, "{\"type\":\"status_after\",\"status\":503}");
  test_proxy_faults(&px, rule);
  CHECK_OK(append_rows(c, "db.t", rows, 10, &res, &err));
  rows += 10;
  ice_commit_result_release(&res);
  CHECK_EQ_INT(n_snapshots(c, "db.t"), 2);
  /* 502 and 504 too */
  snprintf(rule, sizeof rule, commit_rule, "{\"type\":\"status_after\",\"status\":504}");
  test_proxy_faults(&px, rule);
  CHECK_OK(append_rows(c, "db.t", rows, 10, &res, &err));
  rows += 10;
  ice_commit_result_release(&res);
  CHECK_EQ_INT(n_snapshots(c, "db.t"), 3);
  /* 503 before the server saw it: not there after reloading, so sent again: lands once */
  snprintf(rule, sizeof rule, commit_rule, "{\"type\":\"status\",\"status\":503}");
  test_proxy_faults(&px, rule);
  CHECK_OK(append_rows(c, "db.t", rows, 10, &res, &err));
  rows += 10;
  CHECK_EQ_INT(res.attempts, 2);
  ice_commit_result_release(&res);
  CHECK_EQ_INT(n_snapshots(c, "db.t"), 4);
  /* the response dropped after the commit: no duplicate */
  snprintf(rule, sizeof rule, commit_rule, "{\"type\":\"drop_response\",\"after_bytes\":0}");
  test_proxy_faults(&px, rule);
  CHECK_OK(append_rows(c, "db.t", rows, 10, &res, &err));
  rows += 10;
  ice_commit_result_release(&res);
  CHECK_EQ_INT(n_snapshots(c, "db.t"), 5);
  /* the request dropped before the server saw it: retried after the reload, lands once */
  snprintf(rule, sizeof rule, commit_rule, "{\"type\":\"drop_request\"}");
  test_proxy_faults(&px, rule);
  CHECK_OK(append_rows(c, "db.t", rows, 10, &res, &err));
  rows += 10;
  ice_commit_result_release(&res);
  CHECK_EQ_INT(n_snapshots(c, "db.t"), 6);
  ice_loaded_table_t t = {0};
  CHECK_OK(load(c, "db.t", &t));
  if (t.metadata) CHECK_EQ_INT(total_records(t.metadata), rows);
  ice_loaded_table_release(&t);
  /* idempotent reads are retried through a 503 and a dropped connection */
  test_proxy_faults(&px, "[{\"match\":{\"method\":\"GET\",\"path\":\"^/v1/namespaces/db/tables/t$\"},\"action\":{\"type\":\"status\",\"status\":503}},"
                         "{\"match\":{\"method\":\"GET\",\"path\":\"^/v1/namespaces/db/tables/t$\"},\"action\":{\"type\":\"drop_request\"}}]");
  CHECK_OK(load(c, "db.t", &t));
  ice_loaded_table_release(&t);
  /* a slow server: a clear timeout */
  test_proxy_faults(&px, "[{\"match\":{\"method\":\"GET\",\"path\":\"^/v1/namespaces/db/tables/t$\"},\"times\":5,\"action\":{\"type\":\"delay\",\"ms\":4000}}]");
  CHECK_ERR(load(c, "db.t", &t), PRESTIGE_ETIMEOUT, "request timeout of 1500 ms");
  ice_loaded_table_release(&t);
  test_proxy_reset(&px);
  /* a drop whose answer was lost: the retry's 404 means the first one did it */
  CHECK_OK(create_table(cat, "db.gone"));
  test_proxy_faults(&px, "[{\"match\":{\"method\":\"DELETE\",\"path\":\"^/v1/namespaces/db/tables/gone$\"},\"action\":{\"type\":\"drop_response\",\"after_bytes\":0}}]");
  CHECK_OK(prestige_iceberg_table_drop(cat, "db.gone", false, &err));
  bool there = true;
  CHECK_OK(prestige_iceberg_table_exists(cat, "db.gone", &there, &err));
  CHECK(!there);
  /* a 404 to a DELETE never sent before stays an error */
  CHECK_ERR(prestige_iceberg_table_drop(cat, "db.gone", false, &err), PRESTIGE_ENOTFOUND, "not found");
  CHECK_OK(prestige_iceberg_namespace_create(cat, "empty", NULL, 0, &err));
  test_proxy_faults(&px, "[{\"match\":{\"method\":\"DELETE\",\"path\":\"^/v1/namespaces/empty$\"},\"action\":{\"type\":\"status_after\",\"status\":503}}]");
  CHECK_OK(prestige_iceberg_namespace_drop(cat, "empty", &err));
  CHECK_OK(prestige_iceberg_namespace_exists(cat, "empty", &there, &err));
  CHECK(!there);
  /* no key was sent: the server does not advertise them */
  char *flog = test_proxy_get(&px, "log");
  CHECK(flog && !strstr(flog, "\"idem\":\""));
  free(flog);
  /* a proxy answering 401: the error names it */
  test_proxy_faults(&px, "[{\"match\":{\"method\":\"GET\",\"path\":\"^/v1/namespaces/db$\"},\"action\":{\"type\":\"status\",\"status\":403}}]");
  prestige_iceberg_props_t pr = {0};
  CHECK_ERR(prestige_iceberg_namespace_properties(cat, "db", &pr, &err), PRESTIGE_EAUTH, "not authorized");
  prestige_iceberg_catalog_close(cat);
out:
  test_proxy_stop(&px);
  server_down(&s);
}

/* ---- OAuth2 ------------------------------------------------------------------------------------------- */

static int count_in_log(const char *log, const char *needle) {
  int n = 0;
  for (const char *p = log; p && (p = strstr(p, needle)); p++) n++;
  return n;
}

TEST(oauth2_tokens) {
  server_t s;
  char uri[1200];
  snprintf(uri, sizeof uri, "sqlite:%s/oauth.db", test_tmpdir());
  if (server_up(&s, uri, NULL, "client-1:s3cr3t", 3, NULL)) {
    CHECK_MSG(0, "server: %s", err.message);
    return;
  }
  test_s3_t px;
  if (test_proxy_start(&px, s.url)) {
    CHECK_MSG(0, "fault proxy did not start");
    server_down(&s);
    return;
  }
  prestige_iceberg_catalog_t *cat = NULL;
  copts_t wrong = {.credential = "client-1:nope"};
  CHECK_ERR(cat_open(px.endpoint, &wrong, &cat), PRESTIGE_EAUTH, "invalid_client");
  copts_t none = {0};
  CHECK_ERR(cat_open(px.endpoint, &none, &cat), PRESTIGE_EAUTH, "requires a bearer token");
  copts_t co = {.credential = "client-1:s3cr3t"};
  CHECK_OK(cat_open(px.endpoint, &co, &cat));
  if (!cat) goto out;
  CHECK_OK(prestige_iceberg_namespace_create(cat, "db", NULL, 0, &err));
  /* the token lives 3 s; the client refreshes it before it expires, so no request is refused */
  struct timespec ts = {3, 200 * 1000 * 1000};
  nanosleep(&ts, NULL);
  bool ex = false;
  CHECK_OK(prestige_iceberg_namespace_exists(cat, "db", &ex, &err));
  CHECK(ex);
  char *log = test_proxy_get(&px, "log");
  CHECK_EQ_INT(count_in_log(log, "\"path\":\"/v1/oauth/tokens\""), 3); /* wrong, right, the refresh */
  CHECK_EQ_INT(count_in_log(log, "\"status\":401"), 2);                /* only the two refused opens */
  free(log);
  /* a 401 on a request: one new token, then the request again */
  test_proxy_reset(&px);
  test_proxy_faults(&px, "[{\"match\":{\"method\":\"HEAD\",\"path\":\"^/v1/namespaces/db$\"},\"action\":{\"type\":\"status\",\"status\":401}}]");
  CHECK_OK(prestige_iceberg_namespace_exists(cat, "db", &ex, &err));
  CHECK(ex);
  log = test_proxy_get(&px, "log");
  CHECK_EQ_INT(count_in_log(log, "\"path\":\"/v1/oauth/tokens\""), 1);
  free(log);
  /* a 401 twice: the error, not a loop */
  test_proxy_faults(&px, "[{\"match\":{\"method\":\"HEAD\",\"path\":\"^/v1/namespaces/db$\"},\"times\":2,\"action\":{\"type\":\"status\",\"status\":401}}]");
  CHECK_ERR(prestige_iceberg_namespace_exists(cat, "db", &ex, &err), PRESTIGE_EAUTH, "401");
  prestige_iceberg_catalog_close(cat);
out:
  test_proxy_stop(&px);
  server_down(&s);
}

/* ---- two processes, one server ------------------------------------------------------------------------ */

TEST(two_processes) {
  server_t s;
  char uri[1200];
  snprintf(uri, sizeof uri, "sqlite:%s/procs.db", test_tmpdir());
  if (server_up(&s, uri, "t0k", NULL, 0, NULL)) {
    CHECK_MSG(0, "server: %s", err.message);
    return;
  }
  copts_t co = {.token = "t0k"};
  prestige_iceberg_catalog_t *cat;
  CHECK_OK(cat_open(s.url, &co, &cat));
  if (!cat) {
    server_down(&s);
    return;
  }
  CHECK_OK(prestige_iceberg_namespace_create(cat, "db", NULL, 0, &err));
  CHECK_OK(create_table(cat, "db.race"));
  fflush(NULL);
  pid_t kids[2];
  for (int k = 0; k < 2; k++) {
    kids[k] = fork();
    if (kids[k] == 0) {
      prestige_iceberg_catalog_t *cc;
      prestige_error_t e;
      prestige_iceberg_catalog_options_t o = PRESTIGE_ICEBERG_CATALOG_OPTIONS_INIT;
      o.uri = s.url;
      o.token = "t0k";
      if (prestige_iceberg_catalog_open(&cc, &o, &e)) {
        fprintf(stderr, "child %d: %s\n", k, e.message);
        _exit(2);
      }
      int bad = 0;
      for (int i = 0; i < 20; i++) {
        ice_commit_result_t r = {0};
        if (append_rows(cc->catalog, "db.race", (int64_t)k * 100000 + i * 100, 25, &r, &e)) {
          fprintf(stderr, "child %d append %d: %s\n", k, i, e.message);
          bad++;
        }
        ice_commit_result_release(&r);
      }
      prestige_iceberg_catalog_close(cc);
      _exit(bad ? 1 : 0);
    }
  }
  for (int k = 0; k < 2; k++) {
    int st = 0;
    waitpid(kids[k], &st, 0);
    CHECK_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child %d", k);
  }
  ice_loaded_table_t t = {0};
  CHECK_OK(load(inner(cat), "db.race", &t));
  if (t.metadata) {
    CHECK_EQ_INT(t.metadata->n_snapshots, 40);
    CHECK_EQ_INT(t.metadata->last_sequence_number, 40);
    CHECK_EQ_INT(total_records(t.metadata), 1000);
    const ice_snapshot_t *sn = ice_metadata_current_snapshot(t.metadata);
    int chain = 0;
    for (; sn; sn = sn->has_parent ? ice_metadata_snapshot(t.metadata, sn->parent_id) : NULL) chain++;
    CHECK_EQ_INT(chain, 40);
    /* the rows themselves: every id once, read back by DuckDB from the data files */
    char sql[4096];
    snprintf(sql, sizeof sql,
             "SELECT count(*) AS n, count(DISTINCT id) AS d FROM read_parquet('%s/warehouse/db/race/data/*.parquet')",
             test_tmpdir());
    char *out = test_duckdb_json(sql);
    CHECK_MSG(out && strstr(out, "\"n\":\"1000\"") && strstr(out, "\"d\":\"1000\""), "%s", out ? out : "(null)");
    free(out);
  }
  ice_loaded_table_release(&t);
  prestige_iceberg_catalog_close(cat);
  server_down(&s);
}

/* ---- options ------------------------------------------------------------------------------------------- */

TEST(options) {
  prestige_iceberg_serve_options_t o = PRESTIGE_ICEBERG_SERVE_OPTIONS_INIT;
  prestige_iceberg_rest_server_t *srv = NULL;
  CHECK_ERR(prestige_iceberg_serve_start(&srv, &o, &err), PRESTIGE_EINVAL, "catalog.uri");
  o.catalog.uri = "http://127.0.0.1:1";
  CHECK_ERR(prestige_iceberg_serve_start(&srv, &o, &err), PRESTIGE_EINVAL, "SQL catalog");
  char uri[1200];
  snprintf(uri, sizeof uri, "sqlite:%s/opts.db", test_tmpdir());
  o.catalog.uri = uri;
  o.credential = "nocolon";
  CHECK_ERR(prestige_iceberg_serve_start(&srv, &o, &err), PRESTIGE_EINVAL, "credential");
  o.credential = NULL;
  o.bind_address = "localhost";
  o.port = 0;
  CHECK_ERR(prestige_iceberg_serve_start(&srv, &o, &err), PRESTIGE_EINVAL, "localhost");
  o.version = 99;
  CHECK_ERR(prestige_iceberg_serve_start(&srv, &o, &err), PRESTIGE_EINVAL, "version");
  /* the client: nothing listening is a transport error naming the URL */
  prestige_iceberg_catalog_t *cat = NULL;
  copts_t co = {.timeout_ms = 2000};
  int rc = cat_open("http://127.0.0.1:9", &co, &cat);
  CHECK_MSG(rc == PRESTIGE_ENET || rc == PRESTIGE_ETIMEOUT, "%s: %s", prestige_code_name(rc), err.message);
  CHECK(strstr(err.message, "127.0.0.1:9") != NULL);
  prestige_iceberg_catalog_options_t c = PRESTIGE_ICEBERG_CATALOG_OPTIONS_INIT;
  c.uri = "http://127.0.0.1:9";
  c.credential = "nocolon";
  CHECK_ERR(prestige_iceberg_catalog_open(&cat, &c, &err), PRESTIGE_EINVAL, "id:secret");
}

/* ---- a scripted server: SigV4, the endpoints list, a server that repeats its page token ------------------ */

typedef struct script {
  pthread_mutex_t mu;
  char log[8192];      /* "METHOD path?query\n" per request */
  char authz[1024];    /* the last Authorization header */
  char amz_date[32], sha[80], host[128];
  int pages;
} script_t;

static void script_note(script_t *sc, http_req_t *rq) {
  pthread_mutex_lock(&sc->mu);
  size_t n = strlen(sc->log);
  const char *pt = http_req_query(rq, "pageToken");
  snprintf(sc->log + n, sizeof sc->log - n, "%s %s%s%s\n", http_req_method(rq), http_req_path(rq), pt ? "?pageToken=" : "",
           pt ? pt : "");
  const char *a = http_req_header(rq, "Authorization"), *d = http_req_header(rq, "X-Amz-Date"),
             *h = http_req_header(rq, "X-Amz-Content-Sha256"), *host = http_req_header(rq, "Host");
  snprintf(sc->authz, sizeof sc->authz, "%s", a ? a : "");
  snprintf(sc->amz_date, sizeof sc->amz_date, "%s", d ? d : "");
  snprintf(sc->sha, sizeof sc->sha, "%s", h ? h : "");
  snprintf(sc->host, sizeof sc->host, "%s", host ? host : "");
  pthread_mutex_unlock(&sc->mu);
}

static int sc_config(void *ud, http_req_t *rq, prestige_error_t *e) {
  script_note(ud, rq);
  const char *b = "{\"defaults\":{},\"overrides\":{},\"endpoints\":[\"GET /v1/{prefix}/namespaces\","
                  "\"GET /v1/{prefix}/namespaces/{namespace}/tables/{table}\"]}";
  return http_reply(rq, 200, "application/json", b, strlen(b));
}

static int sc_namespaces(void *ud, http_req_t *rq, prestige_error_t *e) {
  script_t *sc = ud;
  script_note(sc, rq);
  const char *pt = http_req_query(rq, "pageToken");
  const char *b = !pt ? "{\"namespaces\":[[\"b\"]],\"next-page-token\":\"p1\"}"
                  : !strcmp(pt, "p1") ? "{\"namespaces\":[[\"a\"]],\"next-page-token\":\"p2\"}"
                  : sc->pages ? "{\"namespaces\":[[\"c\"]],\"next-page-token\":\"p2\"}"  /* repeats its token */
                              : "{\"namespaces\":[[\"c\"]],\"next-page-token\":null}";
  return http_reply(rq, 200, "application/json", b, strlen(b));
}

static int sc_table(void *ud, http_req_t *rq, prestige_error_t *e) {
  script_note(ud, rq);
  return http_reply_error(rq, 404, "NoSuchTableException", "Table does not exist: %s", http_req_param(rq, "table"));
}

TEST(scripted_server) {
  script_t sc;
  memset(&sc, 0, sizeof sc);
  pthread_mutex_init(&sc.mu, NULL);
  http_server_options_t ho;
  http_server_options_init(&ho);
  http_server_t *hs = NULL;
  CHECK_OK(http_server_new(&hs, &ho, &err));
  if (!hs) return;
  CHECK_OK(http_server_route(hs, "GET", "/v1/config", sc_config, &sc, &err));
  CHECK_OK(http_server_route(hs, "GET", "/v1/namespaces", sc_namespaces, &sc, &err));
  CHECK_OK(http_server_route(hs, "GET", "/v1/namespaces/{namespace}/tables/{table}", sc_table, &sc, &err));
  CHECK_OK(http_server_start(hs, &err));
  char url[128];
  snprintf(url, sizeof url, "http://127.0.0.1:%u", (unsigned)http_server_port(hs));
  prestige_s3_config_t s3c;
  prestige_s3_config_init(&s3c);
  s3c.access_key = "AKIDEXAMPLE";
  s3c.secret_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
  s3c.region = "us-east-1";
  prestige_iceberg_catalog_options_t o = PRESTIGE_ICEBERG_CATALOG_OPTIONS_INIT;
  o.uri = url;
  o.sigv4 = true;
  o.signing_region = "us-west-2";
  o.signing_name = "glue";
  o.s3 = &s3c;
  prestige_iceberg_catalog_t *cat = NULL;
  CHECK_OK(prestige_iceberg_catalog_open(&cat, &o, &err));
  if (cat) {
    char **names = NULL;
    size_t n = 0;
    /* three pages, sorted */
    CHECK_OK(prestige_iceberg_namespace_list(cat, NULL, &names, &n, &err));
    CHECK_EQ_INT(n, 3);
    if (n == 3) CHECK(!strcmp(names[0], "a") && !strcmp(names[1], "b") && !strcmp(names[2], "c"));
    prestige_iceberg_names_free(names, n);
    CHECK(strstr(sc.log, "GET /v1/namespaces?pageToken=p2\n") != NULL);
    /* the last request was signed: recompute the signature from what the server received */
    CHECK_MSG(!strncmp(sc.authz, "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/", 40) && strstr(sc.authz, "/us-west-2/glue/aws4_request"),
              "%s", sc.authz);
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    CHECK(strptime(sc.amz_date, "%Y%m%dT%H%M%SZ", &tm) != NULL);
    sigv4_header_t h[2] = {{"host", sc.host}, {"x-amz-content-sha256", sc.sha}};
    sigv4_input_t in = {.method = "GET", .path = "/v1/namespaces", .query = "pageToken=p2", .headers = h, .n_headers = 2,
                        .payload_hash = sc.sha, .access_key = s3c.access_key, .secret_key = s3c.secret_key,
                        .region = "us-west-2", .service = "glue", .unix_time = (int64_t)timegm(&tm), .normalize_path = 1,
                        .double_encode = 1};
    sigv4_output_t so;
    CHECK_OK(sigv4_sign(&in, &so, &err));
    CHECK_EQ_STR(so.authorization, sc.authz);
    sigv4_output_free(&so);
    /* HEAD is not in the endpoints list: exists is answered by a load (404: false) */
    bool ex = true;
    CHECK_OK(prestige_iceberg_table_exists(cat, "db.t", &ex, &err));
    CHECK(!ex);
    CHECK(strstr(sc.log, "GET /v1/namespaces/db/tables/t\n") != NULL);
    CHECK(strstr(sc.log, "HEAD ") == NULL);
    /* transactions/commit is not offered: EUNSUPPORTED naming it */
    ice_ident_t id;
    ice_ident_parse("db.t", true, &id, &err);
    ice_table_commit_t tc = {&id, NULL, 0, NULL, 0};
    CHECK_ERR(cat->catalog->ops->transaction_commit(cat->catalog, &tc, 1, &err), PRESTIGE_EUNSUPPORTED, "transactions/commit");
    ice_ident_release(&id);
    /* a server that repeats its page token: an error, not a loop */
    sc.pages = 1;
    CHECK_ERR(prestige_iceberg_namespace_list(cat, NULL, &names, &n, &err), PRESTIGE_EHTTP, "repeats page token");
    prestige_iceberg_catalog_close(cat);
  }
  http_server_free(hs);
  pthread_mutex_destroy(&sc.mu);
}

/* ---- vended credentials: the load response's config gives the table its S3 client --------------------------- */

TEST(vended_credentials) {
  test_s3_t s3;
  if (test_s3rver_start(&s3, "lake")) {
    CHECK_MSG(0, "s3rver did not start");
    return;
  }
  prestige_s3_config_t good;
  prestige_s3_config_init(&good);
  good.endpoint = s3.endpoint;
  good.access_key = "S3RVER";
  good.secret_key = "S3RVER";
  good.region = "us-east-1";
  good.max_retries = 1;
  char uri[1200];
  snprintf(uri, sizeof uri, "sqlite:%s/vended.db", test_tmpdir());
  prestige_kv_t vend[] = {{"s3.endpoint", s3.endpoint, -1}, {"s3.access-key-id", "S3RVER", -1},
                          {"s3.secret-access-key", "S3RVER", -1}, {"s3.region", "us-east-1", -1},
                          {"s3.path-style-access", "true", -1}};
  /* the client's own S3 settings are wrong: only vended credentials can write */
  prestige_s3_config_t wrong = good;
  wrong.access_key = "NOPE";
  wrong.secret_key = "NOPE";
  for (int with_config = 0; with_config < 2; with_config++) {
    prestige_iceberg_serve_options_t so = PRESTIGE_ICEBERG_SERVE_OPTIONS_INIT;
    so.catalog.uri = uri;
    so.catalog.warehouse = "s3://lake/wh";
    so.catalog.s3 = &good;
    so.port = 0;
    so.table_config = with_config ? vend : NULL;
    so.n_table_config = with_config ? 5 : 0;
    prestige_iceberg_rest_server_t *srv = NULL;
    CHECK_OK(prestige_iceberg_serve_start(&srv, &so, &err));
    if (!srv) break;
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%u", (unsigned)prestige_iceberg_serve_port(srv));
    prestige_iceberg_catalog_options_t o = PRESTIGE_ICEBERG_CATALOG_OPTIONS_INIT;
    o.uri = url;
    o.s3 = &wrong;
    prestige_iceberg_catalog_t *cat = NULL;
    CHECK_OK(prestige_iceberg_catalog_open(&cat, &o, &err));
    if (cat) {
      if (!with_config) {
        CHECK_OK(prestige_iceberg_namespace_create(cat, "db", NULL, 0, &err));
        CHECK_OK(create_table(cat, "db.v")); /* the server writes the first metadata file itself */
      }
      ice_commit_result_t res = {0};
      prestige_error_t e;
      prestige_error_init(&e);
      int rc = append_rows(cat->catalog, "db.v", 0, 20, &res, &e);
      ice_commit_result_release(&res);
      if (with_config) {
        CHECK_MSG(rc == 0, "%s", e.message);
        ice_loaded_table_t t = {0};
        CHECK_OK(load(cat->catalog, "db.v", &t));
        if (t.metadata) {
          CHECK_EQ_INT(total_records(t.metadata), 20);
          CHECK_EQ_STR(ice_strmap_get(&t.config, "s3.access-key-id"), "S3RVER");
        }
        ice_loaded_table_release(&t);
      } else {
        CHECK_MSG(rc != 0, "the append wrote with the client's wrong credentials");
      }
      prestige_iceberg_catalog_close(cat);
    }
    prestige_iceberg_serve_stop(srv);
  }
  test_s3rver_stop(&s3);
}

/* ---- Idempotency-Key ------------------------------------------------------------------------------- */

/* A raw request with an Idempotency-Key (key NULL: none): the status; *replayed from the
 * Idempotent-Replayed header. */
static long raw_key_body(const char *method, const char *url, const char *key, const char *body, bool *replayed, char **out) {
  http_client_t *hc;
  if (http_client_new(&hc, NULL, &err)) return -1;
  buf_t rb = BUF_INIT;
  http_request_t rq;
  http_request_init(&rq, method, url);
  http_header_t hs[2] = {{"Content-Type", "application/json"}, {"Idempotency-Key", key}};
  rq.headers = hs;
  rq.n_headers = key ? 2 : 1;
  if (body) {
    rq.has_body = true;
    rq.body.data = (const uint8_t *)body;
    rq.body.len = strlen(body);
  }
  rq.out.buf = &rb;
  http_response_t rs;
  http_response_init(&rs);
  long status = -1;
  if (!http_exchange(hc, &rq, &rs, &err)) {
    status = rs.status;
    if (replayed) *replayed = http_response_header(&rs, "Idempotent-Replayed") != NULL;
    buf_t *src = rs.status >= 200 && rs.status < 300 ? &rb : &rs.error_body;
    if (out && (*out = calloc(1, src->len + 1)) && src->len) memcpy(*out, src->data, src->len);
  }
  http_response_release(&rs);
  buf_release(&rb);
  http_client_free(hc);
  return status;
}

static long raw_key(const char *method, const char *url, const char *key, const char *body, bool *replayed) {
  return raw_key_body(method, url, key, body, replayed, NULL);
}

static const char *prop_of(ice_catalog_t *c, const char *ident, const char *key, char *buf, size_t cap, size_t *n_versions) {
  ice_loaded_table_t t = {0};
  *buf = 0;
  if (!load(c, ident, &t)) {
    const char *v = ice_strmap_get(&t.metadata->properties, key);
    snprintf(buf, cap, "%s", v ? v : "");
    if (n_versions) *n_versions = t.metadata->n_metadata_log;
  }
  ice_loaded_table_release(&t);
  return buf;
}

typedef struct same_key {
  const char *url, *key, *body;
  long status;
} same_key_t;

static void *same_key_thread(void *p) {
  same_key_t *a = p;
  a->status = raw_key("POST", a->url, a->key, a->body, NULL);
  return NULL;
}

TEST(idempotency_keys) {
  server_t s;
  char uri[1200];
  snprintf(uri, sizeof uri, "sqlite:%s/idem.db", test_tmpdir());
  if (server_up(&s, uri, NULL, NULL, 0, NULL)) {
    CHECK_MSG(0, "server: %s", err.message);
    return;
  }
  test_s3_t px;
  if (test_proxy_start(&px, s.url)) {
    CHECK_MSG(0, "fault proxy did not start");
    server_down(&s);
    return;
  }
  char url[512], *body = NULL;
  /* the config advertises the lifetime */
  snprintf(url, sizeof url, "%s/v1/config", s.url);
  CHECK_EQ_INT(raw("GET", url, NULL, NULL, 0, &body, NULL, 0), 200);
  CHECK_MSG(body && strstr(body, "\"idempotency-key-lifetime\":\"PT30M\""), "%s", body ? body : "");
  free(body);
  copts_t co = {.timeout_ms = 3000};
  prestige_iceberg_catalog_t *cat;
  CHECK_OK(cat_open(px.endpoint, &co, &cat));
  if (!cat) goto out;
  ice_catalog_t *c = inner(cat);
  CHECK_OK(prestige_iceberg_namespace_create(cat, "db", NULL, 0, &err));
  CHECK_OK(create_table(cat, "db.t"));
  const char *commit_rule = "[{\"match\":{\"method\":\"POST\",\"path\":\"^/v1/namespaces/db/tables/t$\"},\"action\":%s}]";
  char rule[512];
  ice_commit_result_t res = {0};
  int64_t rows = 0;
  /* 503 after the server committed: the HTTP layer sends it again with the same key, the server
   * replays its answer, the client gets success at once (no reload, no second commit) */
  test_proxy_reset(&px);
  snprintf(rule, sizeof rule, commit_rule, "{\"type\":\"status_after\",\"status\":503}");
  CHECK_EQ_INT(test_proxy_faults(&px, rule), 0);
  CHECK_OK(append_rows(c, "db.t", rows, 10, &res, &err));
  rows += 10;
  CHECK_EQ_INT(res.attempts, 1);
  ice_commit_result_release(&res);
  CHECK_EQ_INT(n_snapshots(c, "db.t"), 1);
  char *log = test_proxy_get(&px, "log");
  /* two POSTs of the commit, one key */
  const char *p1 = log ? strstr(log, "\"method\":\"POST\",\"path\":\"/v1/namespaces/db/tables/t\"") : NULL;
  const char *p2 = p1 ? strstr(p1 + 1, "\"method\":\"POST\",\"path\":\"/v1/namespaces/db/tables/t\"") : NULL;
  CHECK_MSG(p1 && p2 && !strstr(p2 + 1, "\"method\":\"POST\",\"path\":\"/v1/namespaces/db/tables/t\""), "%s", log ? log : "");
  if (p1 && p2) {
    const char *k1 = strstr(p1, "\"idem\":\""), *k2 = strstr(p2, "\"idem\":\"");
    CHECK(k1 && k2 && !strncmp(k1, k2, 8 + 36));
    if (k1) CHECK_MSG(k1[8 + 14] == '7', "not a UUIDv7: %.44s", k1); /* the version nibble */
  }
  free(log);
  /* the answer dropped after the commit: the same */
  snprintf(rule, sizeof rule, commit_rule, "{\"type\":\"drop_response\",\"after_bytes\":0}");
  test_proxy_faults(&px, rule);
  CHECK_OK(append_rows(c, "db.t", rows, 10, &res, &err));
  rows += 10;
  CHECK_EQ_INT(res.attempts, 1);
  ice_commit_result_release(&res);
  CHECK_EQ_INT(n_snapshots(c, "db.t"), 2);
  /* the request dropped before the server saw it: sent again, lands once */
  snprintf(rule, sizeof rule, commit_rule, "{\"type\":\"drop_request\"}");
  test_proxy_faults(&px, rule);
  CHECK_OK(append_rows(c, "db.t", rows, 10, &res, &err));
  rows += 10;
  ice_commit_result_release(&res);
  CHECK_EQ_INT(n_snapshots(c, "db.t"), 3);
  ice_loaded_table_t t = {0};
  CHECK_OK(load(c, "db.t", &t));
  if (t.metadata) CHECK_EQ_INT(total_records(t.metadata), rows);
  char uuid[64] = "";
  if (t.metadata) snprintf(uuid, sizeof uuid, "%s", t.metadata->table_uuid);
  ice_loaded_table_release(&t);
  /* a drop whose answer was lost: the replay answers 204, the client reports success */
  CHECK_OK(create_table(cat, "db.gone"));
  test_proxy_faults(&px, "[{\"match\":{\"method\":\"DELETE\",\"path\":\"^/v1/namespaces/db/tables/gone$\"},\"action\":{\"type\":\"drop_response\",\"after_bytes\":0}}]");
  CHECK_OK(prestige_iceberg_table_drop(cat, "db.gone", false, &err));
  bool there = true;
  CHECK_OK(prestige_iceberg_table_exists(cat, "db.gone", &there, &err));
  CHECK(!there);
  CHECK_ERR(prestige_iceberg_table_drop(cat, "db.gone", false, &err), PRESTIGE_ENOTFOUND, "not found");

  /* the server side, raw: a commit with key K runs once; its retry is replayed, not re-run */
  snprintf(url, sizeof url, "%s/v1/namespaces/db/tables/t", s.url);
  char cb[512], cb2[512];
  snprintf(cb, sizeof cb, "{\"requirements\":[{\"type\":\"assert-table-uuid\",\"uuid\":\"%s\"}],"
                          "\"updates\":[{\"action\":\"set-properties\",\"updates\":{\"k\":\"one\"}}]}", uuid);
  snprintf(cb2, sizeof cb2, "{\"requirements\":[{\"type\":\"assert-table-uuid\",\"uuid\":\"%s\"}],"
                           "\"updates\":[{\"action\":\"set-properties\",\"updates\":{\"k\":\"two\"}}]}", uuid);
  const char *K = "01890a5d-ac96-774b-bcce-b302099a8057", *K2 = "01890a5d-ac96-774b-bcce-b302099a8058";
  bool rp = true;
  char pv[64];
  size_t v0 = 0, v1 = 0, v2 = 0;
  prop_of(c, "db.t", "k", pv, sizeof pv, &v0);
  CHECK_EQ_INT(raw_key("POST", url, K, cb, &rp), 200);
  CHECK(!rp);
  CHECK_EQ_STR(prop_of(c, "db.t", "k", pv, sizeof pv, &v1), "one");
  CHECK_EQ_INT(v1, v0 + 1);
  CHECK_EQ_INT(raw_key("POST", url, NULL, cb2, NULL), 200); /* k=two, no key */
  CHECK_EQ_INT(raw_key("POST", url, K, cb, &rp), 200);      /* K again: replayed */
  CHECK(rp);
  CHECK_EQ_STR(prop_of(c, "db.t", "k", pv, sizeof pv, &v2), "two"); /* not re-run */
  CHECK_EQ_INT(v2, v1 + 1);
  CHECK_EQ_INT(raw_key("POST", url, K2, cb, &rp), 200); /* another key: runs */
  CHECK(!rp);
  CHECK_EQ_STR(prop_of(c, "db.t", "k", pv, sizeof pv, NULL), "one");
  /* K with another body: refused, naming the key */
  CHECK_EQ_INT(raw_key("POST", url, K, cb2, NULL), 422);
  CHECK_EQ_STR(prop_of(c, "db.t", "k", pv, sizeof pv, NULL), "one");
  /* a large answer (over ICE_IDEM_BODY_MAX) is not kept: its replay is the table's current state */
  {
    buf_t big = BUF_INIT;
    char head[256];
    snprintf(head, sizeof head, "{\"requirements\":[{\"type\":\"assert-table-uuid\",\"uuid\":\"%s\"}],"
                                "\"updates\":[{\"action\":\"set-properties\",\"updates\":{", uuid);
    buf_append(&big, head, strlen(head));
    for (int i = 0; i < 200; i++) {
      char kv[160];
      int n = snprintf(kv, sizeof kv, "%s\"big.%03d\":\"%064d\"", i ? "," : "", i, i);
      buf_append(&big, kv, (size_t)n);
    }
    buf_append(&big, "}}]}", 5);
    const char *K5 = "01890a5d-ac96-774b-bcce-b302099a805b";
    char *first = NULL, *again = NULL;
    CHECK_EQ_INT(raw_key_body("POST", url, K5, (const char *)big.data, &rp, &first), 200);
    CHECK(!rp && first && strlen(first) > ICE_IDEM_BODY_MAX);
    prop_of(c, "db.t", "k", pv, sizeof pv, &v1);
    CHECK_EQ_INT(raw_key_body("POST", url, K5, (const char *)big.data, &rp, &again), 200);
    CHECK(rp);
    CHECK(again && strstr(again, "\"metadata-location\"") && strstr(again, "\"big.199\"") && !strstr(again, "\"config\""));
    prop_of(c, "db.t", "k", pv, sizeof pv, &v2);
    CHECK_EQ_INT(v2, v1); /* not re-run */
    free(first);
    free(again);
    buf_release(&big);
  }
  /* a malformed key: 400 */
  CHECK_EQ_INT(raw_key("POST", url, "not-a-uuid", cb, NULL), 400);
  /* a final 4xx is replayed too (409 namespace exists), even after the cause went away */
  snprintf(url, sizeof url, "%s/v1/namespaces", s.url);
  const char *K3 = "01890a5d-ac96-774b-bcce-b302099a8059", *K4 = "01890a5d-ac96-774b-bcce-b302099a805a";
  CHECK_EQ_INT(raw_key("POST", url, K3, "{\"namespace\":[\"n1\"]}", &rp), 200);
  CHECK_EQ_INT(raw_key("POST", url, K4, "{\"namespace\":[\"n1\"]}", &rp), 409);
  snprintf(url, sizeof url, "%s/v1/namespaces/n1", s.url);
  CHECK_EQ_INT(raw_key("DELETE", url, NULL, NULL, NULL), 204);
  snprintf(url, sizeof url, "%s/v1/namespaces", s.url);
  CHECK_EQ_INT(raw_key("POST", url, K4, "{\"namespace\":[\"n1\"]}", &rp), 409);
  CHECK(rp);
  CHECK_EQ_INT(raw_key("POST", url, K3, "{\"namespace\":[\"n1\"]}", &rp), 200);
  CHECK(rp);
  CHECK_OK(prestige_iceberg_namespace_exists(cat, "n1", &there, &err));
  CHECK(!there); /* replayed, not re-run */
  /* eight requests with one key at once: one runs, the others wait for its answer */
  snprintf(url, sizeof url, "%s/v1/namespaces/db/tables/t", s.url);
  snprintf(cb, sizeof cb, "{\"requirements\":[{\"type\":\"assert-table-uuid\",\"uuid\":\"%s\"}],"
                          "\"updates\":[{\"action\":\"set-properties\",\"updates\":{\"k\":\"par\"}}]}", uuid);
  prop_of(c, "db.t", "k", pv, sizeof pv, &v0);
  pthread_t th[8];
  same_key_t a[8];
  for (int i = 0; i < 8; i++) {
    a[i] = (same_key_t){url, "01890a5d-ac96-774b-bcce-b302099a8060", cb, 0};
    pthread_create(&th[i], NULL, same_key_thread, &a[i]);
  }
  for (int i = 0; i < 8; i++) {
    pthread_join(th[i], NULL);
    CHECK_EQ_INT(a[i].status, 200);
  }
  CHECK_EQ_STR(prop_of(c, "db.t", "k", pv, sizeof pv, &v1), "par");
  CHECK_EQ_INT(v1, v0 + 1); /* one new metadata version, not eight */
  prestige_iceberg_catalog_close(cat);
out:
  test_proxy_stop(&px);
  server_down(&s);
}

/* The store alone: keys expire after their lifetime; a 5xx gives the key back. */
TEST(idempotency_store) {
  ice_idem_t *st = NULL;
  CHECK_OK(ice_idem_new(&st, 100, &err));
  if (!st) return;
  const char *k = "01890A5D-AC96-774B-BCCE-B302099A8057";
  CHECK(ice_idem_key_valid(k));
  CHECK(!ice_idem_key_valid("01890a5d-ac96-774b-bcce-b302099a805"));
  CHECK(!ice_idem_key_valid("01890a5d+ac96-774b-bcce-b302099a8057"));
  ice_idem_entry_t e;
  CHECK_EQ_INT(ice_idem_begin(st, k, "POST /x", 1, 0, &e), ICE_IDEM_RUN);
  CHECK_EQ_INT(ice_idem_begin(st, k, "POST /x", 1, 50, &e), ICE_IDEM_BUSY); /* still running */
  ice_idem_finish(st, k, 503, "{}", 2, NULL);                                /* not final: given back */
  CHECK_EQ_INT(ice_idem_count(st), 0);
  CHECK_EQ_INT(ice_idem_begin(st, k, "POST /x", 1, 0, &e), ICE_IDEM_RUN);
  ice_idem_finish(st, k, 204, NULL, 0, NULL);
  /* the key in lower case is the same key */
  CHECK_EQ_INT(ice_idem_begin(st, "01890a5d-ac96-774b-bcce-b302099a8057", "POST /x", 1, 0, &e), ICE_IDEM_REPLAY);
  CHECK_EQ_INT(e.status, 204);
  ice_idem_entry_release(&e);
  CHECK_EQ_INT(ice_idem_begin(st, k, "POST /y", 1, 0, &e), ICE_IDEM_MISMATCH);
  CHECK_EQ_STR(e.op, "POST /x");
  ice_idem_entry_release(&e);
  struct timespec ts = {0, 150 * 1000 * 1000}; /* past 100 ms + a tenth */
  nanosleep(&ts, NULL);
  CHECK_EQ_INT(ice_idem_begin(st, k, "POST /y", 1, 0, &e), ICE_IDEM_RUN); /* expired: a new operation */
  ice_idem_finish(st, k, 200, "{\"a\":1}", 7, NULL);
  CHECK_EQ_INT(ice_idem_count(st), 1);
  ice_idem_free(st);
}

/* ---- the config's oauth2-server-uri: a token endpoint at another path --------------------------------------- */

typedef struct oauth_script {
  pthread_mutex_t mu;
  char base[128];
  char log[4096];
  bool config_needs_token;
} oauth_script_t;

static void os_note(oauth_script_t *o, http_req_t *rq) {
  pthread_mutex_lock(&o->mu);
  size_t n = strlen(o->log);
  const char *a = http_req_header(rq, "Authorization");
  snprintf(o->log + n, sizeof o->log - n, "%s %s%s\n", http_req_method(rq), http_req_path(rq), a ? " (token)" : "");
  pthread_mutex_unlock(&o->mu);
}

static bool os_authorized(http_req_t *rq) {
  const char *a = http_req_header(rq, "Authorization");
  return a && !strcmp(a, "Bearer tok-from-elsewhere");
}

static int os_config(void *ud, http_req_t *rq, prestige_error_t *e) {
  oauth_script_t *o = ud;
  os_note(o, rq);
  if (o->config_needs_token && !os_authorized(rq)) return http_reply_error(rq, 401, "NotAuthorizedException", "token needed");
  char b[512];
  snprintf(b, sizeof b, "{\"defaults\":{\"oauth2-server-uri\":\"%s/auth/token\"},\"overrides\":{}}", o->base);
  return http_reply(rq, 200, "application/json", b, strlen(b));
}

static int os_token(void *ud, http_req_t *rq, prestige_error_t *e) {
  os_note(ud, rq);
  const char *b = "{\"access_token\":\"tok-from-elsewhere\",\"token_type\":\"bearer\",\"expires_in\":3600}";
  return http_reply(rq, 200, "application/json", b, strlen(b));
}

static int os_namespaces(void *ud, http_req_t *rq, prestige_error_t *e) {
  os_note(ud, rq);
  if (!os_authorized(rq)) return http_reply_error(rq, 401, "NotAuthorizedException", "token needed");
  const char *b = "{\"namespaces\":[[\"x\"]],\"next-page-token\":null}";
  return http_reply(rq, 200, "application/json", b, strlen(b));
}

TEST(config_oauth2_server_uri) {
  oauth_script_t o;
  memset(&o, 0, sizeof o);
  pthread_mutex_init(&o.mu, NULL);
  http_server_options_t ho;
  http_server_options_init(&ho);
  http_server_t *hs = NULL;
  CHECK_OK(http_server_new(&hs, &ho, &err));
  if (!hs) return;
  CHECK_OK(http_server_route(hs, "GET", "/v1/config", os_config, &o, &err));
  CHECK_OK(http_server_route(hs, "POST", "/auth/token", os_token, &o, &err));
  CHECK_OK(http_server_route(hs, "GET", "/v1/namespaces", os_namespaces, &o, &err));
  CHECK_OK(http_server_start(hs, &err));
  snprintf(o.base, sizeof o.base, "http://127.0.0.1:%u", (unsigned)http_server_port(hs));
  /* no token endpoint given: /v1/oauth/tokens is not there (404), the config (fetched without a
   * token) names /auth/token, which every later request's token comes from */
  copts_t co = {.credential = "me:secret"};
  prestige_iceberg_catalog_t *cat = NULL;
  CHECK_OK(cat_open(o.base, &co, &cat));
  if (cat) {
    char **names = NULL;
    size_t n = 0;
    CHECK_OK(prestige_iceberg_namespace_list(cat, NULL, &names, &n, &err));
    CHECK_EQ_INT(n, 1);
    prestige_iceberg_names_free(names, n);
    prestige_iceberg_catalog_close(cat);
  }
  CHECK_MSG(strstr(o.log, "POST /auth/token\nGET /v1/namespaces (token)\n") != NULL, "%s", o.log);
  CHECK_MSG(strstr(o.log, "GET /v1/config\n") != NULL, "%s", o.log);
  /* a config that needs a token itself: nothing to learn the endpoint from, the token error */
  o.config_needs_token = true;
  o.log[0] = 0;
  cat = NULL;
  CHECK_ERR(cat_open(o.base, &co, &cat), PRESTIGE_EAUTH, "OAuth2 token request");
  CHECK(strstr(o.log, "/auth/token") == NULL);
  /* a caller's own token endpoint wins over the config's: here the wrong one, so it fails */
  o.config_needs_token = false;
  prestige_iceberg_catalog_options_t c2 = PRESTIGE_ICEBERG_CATALOG_OPTIONS_INIT;
  char own[256];
  snprintf(own, sizeof own, "%s/nowhere", o.base);
  c2.uri = o.base;
  c2.credential = "me:secret";
  c2.oauth2_server_uri = own;
  CHECK_ERR(prestige_iceberg_catalog_open(&cat, &c2, &err), PRESTIGE_EAUTH, "OAuth2 token request");
  http_server_free(hs);
  pthread_mutex_destroy(&o.mu);
}

TEST_MAIN(cu_pg_up(); RUN(options); RUN(verbs_sqlite); RUN(verbs_postgresql); RUN(conflicts_and_transactions);
          RUN(server_validation); RUN(faults); RUN(oauth2_tokens); RUN(two_processes); RUN(scripted_server);
          RUN(vended_credentials); RUN(idempotency_keys); RUN(idempotency_store); RUN(config_oauth2_server_uri); cu_pg_down();)
