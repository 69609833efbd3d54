/*
 * The Iceberg REST catalog server (prestige/iceberg_rest.h): the REST OpenAPI's routes on the
 * shared HTTP server (src/net/http_server.h), each a thin layer over a catalog backend (the SQL
 * catalog), which checks requirements and applies updates atomically.
 */
#include <ctype.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/buf.h"
#include "iceberg/catalog.h"
#include "iceberg/rest.h"
#include "iceberg/rest_idem.h"
#include "net/http_server.h"
#include "prestige/core.h"
#include "prestige/iceberg_rest.h"

#define MAX_TOKENS 4096

typedef struct srv srv_t;
typedef int (*handler_t)(srv_t *s, http_req_t *rq, prestige_error_t *err);

typedef struct route_ctx {
  srv_t *s;
  handler_t fn;
  bool public_; /* no token needed (the token endpoint) */
  bool table;   /* ENOTFOUND defaults to NoSuchTableException */
  bool mutation; /* honours an Idempotency-Key */
  int result;    /* answers a table: 1 a load result (with config), 2 a commit result */
} route_ctx_t;

typedef struct issued {
  char token[65];
  int64_t expires_ms;
} issued_t;

struct srv {
  http_server_t *http;
  ice_catalog_t *cat;
  char *token;
  char *client_id, *client_secret;
  int64_t token_lifetime_s;
  char *prefix;
  ice_strmap_t table_config;
  pthread_mutex_t mu;
  issued_t *issued;
  size_t n_issued;
  ice_idem_t *idem; /* NULL: no Idempotency-Key support */
  int64_t idem_lifetime_s;
  route_ctx_t routes[32];
  size_t n_routes;
};

struct prestige_iceberg_rest_server {
  srv_t s;
};

static int oom(prestige_error_t *err) { return prestige_error_set(err, PRESTIGE_ENOMEM, "REST server: out of memory"); }

/* ---- replies ---------------------------------------------------------------------------------------- */

static int reply_json(http_req_t *rq, int status, json_t *j, prestige_error_t *err) {
  char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
  json_decref(j);
  if (!text) return oom(err);
  int rc = http_reply(rq, status, "application/json", text, strlen(text));
  free(text);
  return rc;
}

static int reply_empty(http_req_t *rq, int status) { return http_reply(rq, status, "application/json", "", 0); }

static void reply_err(http_req_t *rq, int code, const char *msg, bool table) {
  int status;
  const char *type;
  switch (code) {
    case PRESTIGE_EINVAL:
      status = 400, type = "BadRequestException";
      break;
    case PRESTIGE_EAUTH:
      status = 401, type = "NotAuthorizedException";
      break;
    case PRESTIGE_ENOTFOUND:
      status = 404;
      type = !strncmp(msg, "namespace", 9) || strstr(msg, "no such namespace") ? "NoSuchNamespaceException"
             : table || !strncmp(msg, "table", 5)                               ? "NoSuchTableException"
                                                                                : "NoSuchNamespaceException";
      break;
    case PRESTIGE_EEXISTS:
      status = 409, type = strstr(msg, "not empty") ? "NamespaceNotEmptyException" : "AlreadyExistsException";
      break;
    case PRESTIGE_ECONFLICT:
      status = 409, type = "CommitFailedException";
      break;
    case PRESTIGE_EUNSUPPORTED:
      status = 406, type = "UnsupportedOperationException";
      break;
    case PRESTIGE_EUNKNOWN_STATE:
      status = 500, type = "CommitStateUnknownException";
      break;
    default:
      status = 500, type = "ServerErrorException";
  }
  http_reply_error(rq, status, type, "%s", msg);
}

/* ---- request helpers ------------------------------------------------------------------------------- */

static int body_json(http_req_t *rq, json_t **out, prestige_error_t *err) {
  size_t len = 0;
  const uint8_t *b = http_req_body(rq, &len);
  if (!len) return prestige_error_set(err, PRESTIGE_EINVAL, "the request has no JSON body");
  json_error_t je;
  *out = json_loadb((const char *)b, len, JSON_REJECT_DUPLICATES, &je);
  if (!*out)
    return prestige_error_set(err, PRESTIGE_EINVAL, "malformed JSON body: %s (line %d, column %d)", je.text, je.line, je.column);
  if (!json_is_object(*out)) {
    json_decref(*out);
    *out = NULL;
    return prestige_error_set(err, PRESTIGE_EINVAL, "the JSON body must be an object");
  }
  return 0;
}

static int path_ns(http_req_t *rq, ice_ident_t *ns, prestige_error_t *err) {
  return ice_rest_ns_parse_segment(http_req_param(rq, "namespace"), ns, err);
}

static int path_table(http_req_t *rq, ice_ident_t *id, prestige_error_t *err) {
  PRESTIGE_TRY(path_ns(rq, id, err));
  const char *t = http_req_param(rq, "table");
  if (!t || !*t || !(id->name = strdup(t))) {
    ice_ident_release(id);
    return t && *t ? oom(err) : prestige_error_set(err, PRESTIGE_EINVAL, "empty table name in the path");
  }
  return 0;
}

/* Page window from pageToken (an offset we handed out) and pageSize. */
static int page_window(http_req_t *rq, size_t n, size_t *from, size_t *to, prestige_error_t *err) {
  *from = 0;
  *to = n;
  const char *tok = http_req_query(rq, "pageToken");
  const char *size = http_req_query(rq, "pageSize");
  if (tok && *tok) {
    char *end;
    unsigned long long v = strtoull(tok, &end, 10);
    if (*end || !isdigit((unsigned char)*tok)) return prestige_error_set(err, PRESTIGE_EINVAL, "invalid pageToken \"%.64s\"", tok);
    *from = v > n ? n : (size_t)v;
  }
  if (size && *size) {
    char *end;
    long long v = strtoll(size, &end, 10);
    if (*end || v < 1) return prestige_error_set(err, PRESTIGE_EINVAL, "invalid pageSize \"%.64s\": a positive integer", size);
    if ((unsigned long long)v < n - *from) *to = *from + (size_t)v;
  }
  return 0;
}

static int set_page_token(json_t *o, size_t to, size_t n) {
  if (to >= n) return json_object_set_new(o, "next-page-token", json_null());
  char t[32];
  snprintf(t, sizeof t, "%zu", to);
  return json_object_set_new(o, "next-page-token", json_string(t));
}

static json_t *props_json(const ice_strmap_t *m) {
  json_t *o = json_object();
  for (size_t i = 0; o && i < m->n; i++)
    if (json_object_set_new(o, m->items[i].key, json_string(m->items[i].value))) {
      json_decref(o);
      return NULL;
    }
  return o;
}

static int props_from_json(const json_t *j, const char *what, ice_strmap_t *m, prestige_error_t *err) {
  memset(m, 0, sizeof *m);
  if (!j || json_is_null(j)) return 0;
  if (!json_is_object(j)) return prestige_error_set(err, PRESTIGE_EINVAL, "\"%s\" must be an object of strings", what);
  const char *k;
  json_t *v;
  json_object_foreach((json_t *)j, k, v) {
    if (!json_is_string(v)) {
      ice_strmap_release(m);
      return prestige_error_set(err, PRESTIGE_EINVAL, "\"%s\": the value of \"%s\" is not a string", what, k);
    }
    if (ice_strmap_set(m, k, json_string_value(v))) {
      ice_strmap_release(m);
      return oom(err);
    }
  }
  return 0;
}

/* ---- config and tokens ------------------------------------------------------------------------------ */

static const char *const ENDPOINTS[] = {
    "GET /v1/{prefix}/namespaces",
    "POST /v1/{prefix}/namespaces",
    "GET /v1/{prefix}/namespaces/{namespace}",
    "HEAD /v1/{prefix}/namespaces/{namespace}",
    "DELETE /v1/{prefix}/namespaces/{namespace}",
    "POST /v1/{prefix}/namespaces/{namespace}/properties",
    "GET /v1/{prefix}/namespaces/{namespace}/tables",
    "POST /v1/{prefix}/namespaces/{namespace}/tables",
    "GET /v1/{prefix}/namespaces/{namespace}/tables/{table}",
    "HEAD /v1/{prefix}/namespaces/{namespace}/tables/{table}",
    "POST /v1/{prefix}/namespaces/{namespace}/tables/{table}",
    "DELETE /v1/{prefix}/namespaces/{namespace}/tables/{table}",
    "POST /v1/{prefix}/namespaces/{namespace}/register",
    "POST /v1/{prefix}/tables/rename",
    "POST /v1/{prefix}/transactions/commit",
};

static int h_config(srv_t *s, http_req_t *rq, prestige_error_t *err) {
  json_t *o = json_object(), *d = json_object(), *ov = json_object(), *eps = json_array();
  int bad = !o || !d || !ov || !eps;
  for (size_t i = 0; !bad && i < sizeof ENDPOINTS / sizeof *ENDPOINTS; i++) bad = json_array_append_new(eps, json_string(ENDPOINTS[i]));
  if (!bad && s->prefix) bad = json_object_set_new(ov, "prefix", json_string(s->prefix));
  if (!bad && s->idem) {
    char life[48];
    if (s->idem_lifetime_s % 60) snprintf(life, sizeof life, "PT%" PRId64 "S", s->idem_lifetime_s);
    else snprintf(life, sizeof life, "PT%" PRId64 "M", s->idem_lifetime_s / 60);
    bad = json_object_set_new(o, "idempotency-key-lifetime", json_string(life));
  }
  if (!bad) {
    bad = json_object_set_new(o, "defaults", d) | json_object_set_new(o, "overrides", ov) | json_object_set_new(o, "endpoints", eps);
    d = ov = eps = NULL;
  }
  json_decref(d);
  json_decref(ov);
  json_decref(eps);
  if (bad) {
    json_decref(o);
    return oom(err);
  }
  return reply_json(rq, 200, o, err);
}

static int hexval(int c) { return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1; }

/* The value of a form field (decoded, malloc'd), or NULL. */
static char *form_value(const char *body, size_t len, const char *name) {
  size_t nl = strlen(name);
  const char *p = body, *end = body + len;
  while (p < end) {
    const char *amp = memchr(p, '&', (size_t)(end - p));
    const char *e = amp ? amp : end;
    if ((size_t)(e - p) > nl && !memcmp(p, name, nl) && p[nl] == '=') {
      const char *v = p + nl + 1;
      char *out = malloc((size_t)(e - v) + 1), *w = out;
      if (!out) return NULL;
      for (const char *q = v; q < e; q++) {
        if (*q == '+') *w++ = ' ';
        else if (*q == '%' && q + 2 < e && hexval(q[1]) >= 0 && hexval(q[2]) >= 0) {
          *w++ = (char)(hexval(q[1]) * 16 + hexval(q[2]));
          q += 2;
        } else *w++ = *q;
      }
      *w = 0;
      return out;
    }
    p = e + 1;
  }
  return NULL;
}

static int oauth_error(http_req_t *rq, int status, const char *error, const char *desc, prestige_error_t *err) {
  json_t *o = json_pack("{s:s,s:s}", "error", error, "error_description", desc);
  return reply_json(rq, status, o, err);
}

static int h_token(srv_t *s, http_req_t *rq, prestige_error_t *err) {
  if (!s->client_id) return oauth_error(rq, 400, "unsupported_grant_type", "this server issues no tokens (no credential set)", err);
  size_t len;
  const char *body = (const char *)http_req_body(rq, &len);
  char *grant = form_value(body, len, "grant_type"), *id = form_value(body, len, "client_id"),
       *secret = form_value(body, len, "client_secret");
  int rc;
  if (!grant || strcmp(grant, "client_credentials"))
    rc = oauth_error(rq, 400, "unsupported_grant_type", "grant_type must be client_credentials", err);
  else if (!id || !secret || strcmp(id, s->client_id) || strcmp(secret, s->client_secret))
    rc = oauth_error(rq, 401, "invalid_client", "unknown client or wrong secret", err);
  else {
    char tok[65];
    char u1[37], u2[37];
    rc = ice_uuid_v4(u1, err);
    if (!rc) rc = ice_uuid_v4(u2, err);
    if (!rc) {
      snprintf(tok, sizeof tok, "%.32s%.32s", u1, u2);
      int64_t now = prestige_now_ms();
      pthread_mutex_lock(&s->mu);
      size_t w = 0; /* forget expired tokens */
      for (size_t i = 0; i < s->n_issued; i++)
        if (s->issued[i].expires_ms > now) s->issued[w++] = s->issued[i];
      s->n_issued = w;
      if (s->n_issued == MAX_TOKENS) memmove(s->issued, s->issued + 1, (--s->n_issued) * sizeof *s->issued);
      snprintf(s->issued[s->n_issued].token, sizeof s->issued[0].token, "%s", tok);
      s->issued[s->n_issued++].expires_ms = now + s->token_lifetime_s * 1000;
      pthread_mutex_unlock(&s->mu);
      json_t *o = json_pack("{s:s,s:s,s:I,s:s}", "access_token", tok, "token_type", "bearer", "expires_in",
                            (json_int_t)s->token_lifetime_s, "issued_token_type", "urn:ietf:params:oauth:token-type:access_token");
      rc = reply_json(rq, 200, o, err);
    }
  }
  if (secret) explicit_bzero(secret, strlen(secret));
  free(grant);
  free(id);
  free(secret);
  return rc;
}

static bool authorized(srv_t *s, http_req_t *rq) {
  if (!s->token && !s->client_id) return true;
  const char *h = http_req_header(rq, "Authorization");
  if (!h || strncasecmp(h, "Bearer ", 7)) return false;
  const char *t = h + 7;
  if (s->token && !strcmp(t, s->token)) return true;
  bool ok = false;
  int64_t now = prestige_now_ms();
  pthread_mutex_lock(&s->mu);
  for (size_t i = 0; i < s->n_issued && !ok; i++) ok = !strcmp(s->issued[i].token, t) && s->issued[i].expires_ms > now;
  pthread_mutex_unlock(&s->mu);
  return ok;
}

/* ---- namespaces --------------------------------------------------------------------------------------- */

static int h_ns_list(srv_t *s, http_req_t *rq, prestige_error_t *err) {
  ice_ident_t parent = {0};
  const char *p = http_req_query(rq, "parent");
  if (p && *p) PRESTIGE_TRY(ice_rest_ns_parse_segment(p, &parent, err));
  ice_ident_t *ids = NULL;
  size_t n = 0, from, to;
  int rc = s->cat->ops->namespace_list(s->cat, p && *p ? &parent : NULL, &ids, &n, err);
  if (!rc) rc = page_window(rq, n, &from, &to, err);
  if (!rc) {
    json_t *o = json_object(), *arr = json_array();
    int bad = !o || !arr;
    for (size_t i = from; !bad && i < to; i++) {
      json_t *ns = ice_rest_ns_json(&ids[i]);
      bad = !ns || json_array_append_new(arr, ns);
    }
    if (!bad) {
      bad = json_object_set_new(o, "namespaces", arr);
      arr = NULL;
    }
    if (!bad) bad = set_page_token(o, to, n);
    json_decref(arr);
    if (bad) {
      json_decref(o);
      rc = oom(err);
    } else rc = reply_json(rq, 200, o, err);
  }
  ice_idents_free(ids, n);
  ice_ident_release(&parent);
  return rc;
}

static int h_ns_create(srv_t *s, http_req_t *rq, prestige_error_t *err) {
  json_t *b;
  PRESTIGE_TRY(body_json(rq, &b, err));
  ice_ident_t ns = {0};
  ice_strmap_t props = {0};
  int rc = ice_rest_ns_from_json(json_object_get(b, "namespace"), "create namespace request", &ns, err);
  if (!rc) rc = props_from_json(json_object_get(b, "properties"), "properties", &props, err);
  if (!rc) rc = s->cat->ops->namespace_create(s->cat, &ns, &props, err);
  if (!rc) {
    json_t *o = json_object();
    json_t *n = ice_rest_ns_json(&ns), *pj = props_json(&props);
    if (!o || !n || !pj || json_object_set_new(o, "namespace", n) | json_object_set_new(o, "properties", pj)) {
      json_decref(o);
      rc = oom(err);
    } else rc = reply_json(rq, 200, o, err);
  }
  ice_strmap_release(&props);
  ice_ident_release(&ns);
  json_decref(b);
  return rc;
}

static int h_ns_load(srv_t *s, http_req_t *rq, prestige_error_t *err) {
  ice_ident_t ns;
  PRESTIGE_TRY(path_ns(rq, &ns, err));
  ice_strmap_t props = {0};
  int rc = s->cat->ops->namespace_load(s->cat, &ns, &props, err);
  if (!rc) {
    json_t *o = json_object(), *n = ice_rest_ns_json(&ns), *pj = props_json(&props);
    if (!o || !n || !pj || json_object_set_new(o, "namespace", n) | json_object_set_new(o, "properties", pj)) {
      json_decref(o);
      rc = oom(err);
    } else rc = reply_json(rq, 200, o, err);
  }
  ice_strmap_release(&props);
  ice_ident_release(&ns);
  return rc;
}

static int h_ns_head(srv_t *s, http_req_t *rq, prestige_error_t *err) {
  ice_ident_t ns;
  PRESTIGE_TRY(path_ns(rq, &ns, err));
  bool exists = false;
  int rc = ice_catalog_namespace_exists(s->cat, &ns, &exists, err);
  ice_ident_release(&ns);
  if (rc) return rc;
  return reply_empty(rq, exists ? 204 : 404);
}

static int h_ns_drop(srv_t *s, http_req_t *rq, prestige_error_t *err) {
  ice_ident_t ns;
  PRESTIGE_TRY(path_ns(rq, &ns, err));
  int rc = s->cat->ops->namespace_drop(s->cat, &ns, err);
  ice_ident_release(&ns);
  return rc ? rc : reply_empty(rq, 204);
}

static int h_ns_props(srv_t *s, http_req_t *rq, prestige_error_t *err) {
  ice_ident_t ns;
  PRESTIGE_TRY(path_ns(rq, &ns, err));
  json_t *b = NULL;
  ice_strmap_t set = {0}, cur = {0};
  char **rem = NULL;
  size_t n_rem = 0;
  int rc = body_json(rq, &b, err);
  if (!rc) rc = props_from_json(json_object_get(b, "updates"), "updates", &set, err);
  const json_t *r = b ? json_object_get(b, "removals") : NULL;
  if (!rc && r && !json_is_null(r) && !json_is_array(r))
    rc = prestige_error_set(err, PRESTIGE_EINVAL, "\"removals\" must be an array of strings");
  if (!rc && json_is_array(r)) {
    rem = calloc(json_array_size(r) + 1, sizeof(char *));
    if (!rem) rc = oom(err);
    for (size_t i = 0; !rc && i < json_array_size(r); i++) {
      const char *k = json_string_value(json_array_get(r, i));
      if (!k) rc = prestige_error_set(err, PRESTIGE_EINVAL, "\"removals\" must be an array of strings");
      else if (ice_strmap_get(&set, k))
        rc = prestige_error_set(err, PRESTIGE_EINVAL, "property \"%s\" is both updated and removed", k);
      else if (!(rem[n_rem++] = strdup(k))) rc = oom(err);
    }
  }
  if (!rc) rc = s->cat->ops->namespace_load(s->cat, &ns, &cur, err);
  if (!rc) rc = s->cat->ops->namespace_update(s->cat, &ns, &set, rem, n_rem, err);
  if (!rc) {
    json_t *o = json_object(), *up = json_array(), *rm = json_array(), *miss = json_array();
    int bad = !o || !up || !rm || !miss;
    for (size_t i = 0; !bad && i < set.n; i++) bad = json_array_append_new(up, json_string(set.items[i].key));
    for (size_t i = 0; !bad && i < n_rem; i++)
      bad = json_array_append_new(ice_strmap_get(&cur, rem[i]) ? rm : miss, json_string(rem[i]));
    if (!bad) {
      bad = json_object_set_new(o, "updated", up) | json_object_set_new(o, "removed", rm) | json_object_set_new(o, "missing", miss);
      up = rm = miss = NULL;
    }
    json_decref(up);
    json_decref(rm);
    json_decref(miss);
    if (bad) {
      json_decref(o);
      rc = oom(err);
    } else rc = reply_json(rq, 200, o, err);
  }
  for (size_t i = 0; i < n_rem; i++) free(rem[i]);
  free(rem);
  ice_strmap_release(&set);
  ice_strmap_release(&cur);
  json_decref(b);
  ice_ident_release(&ns);
  return rc;
}

/* ---- tables ------------------------------------------------------------------------------------------- */

static int reply_table(srv_t *s, http_req_t *rq, const ice_loaded_table_t *t, prestige_error_t *err) {
  json_t *o = ice_rest_load_result_json(t, &s->table_config);
  if (!o) return oom(err);
  return reply_json(rq, 200, o, err);
}

static int h_tables(srv_t *s, http_req_t *rq, prestige_error_t *err) {
  ice_ident_t ns;
  PRESTIGE_TRY(path_ns(rq, &ns, err));
  ice_ident_t *ids = NULL;
  size_t n = 0, from, to;
  int rc = s->cat->ops->table_list(s->cat, &ns, &ids, &n, err);
  if (!rc) rc = page_window(rq, n, &from, &to, err);
  if (!rc) {
    json_t *o = json_object(), *arr = json_array();
    int bad = !o || !arr;
    for (size_t i = from; !bad && i < to; i++) {
      json_t *id = ice_rest_ident_json(&ids[i]);
      bad = !id || json_array_append_new(arr, id);
    }
    if (!bad) {
      bad = json_object_set_new(o, "identifiers", arr);
      arr = NULL;
    }
    if (!bad) bad = set_page_token(o, to, n);
    json_decref(arr);
    if (bad) {
      json_decref(o);
      rc = oom(err);
    } else rc = reply_json(rq, 200, o, err);
  }
  ice_idents_free(ids, n);
  ice_ident_release(&ns);
  return rc;
}

static int as_bad_request(int rc, prestige_error_t *err) {
  if (rc == PRESTIGE_ECORRUPT) {
    if (err) err->code = PRESTIGE_EINVAL;
    return PRESTIGE_EINVAL;
  }
  return rc;
}

static int h_table_create(srv_t *s, http_req_t *rq, prestige_error_t *err) {
  ice_ident_t id;
  PRESTIGE_TRY(path_ns(rq, &id, err));
  json_t *b = NULL;
  ice_schema_t *schema = NULL;
  ice_partition_spec_t *spec = NULL;
  ice_sort_order_t *order = NULL;
  ice_strmap_t props = {0};
  ice_loaded_table_t t = {0};
  int rc = body_json(rq, &b, err);
  const char *name = b ? json_string_value(json_object_get(b, "name")) : NULL;
  if (!rc && (!name || !*name)) rc = prestige_error_set(err, PRESTIGE_EINVAL, "create table request: \"name\" must be a non-empty string");
  if (!rc && !(id.name = strdup(name))) rc = oom(err);
  const json_t *sj = b ? json_object_get(b, "schema") : NULL;
  if (!rc && !json_is_object(sj)) rc = prestige_error_set(err, PRESTIGE_EINVAL, "create table request: \"schema\" is required");
  if (!rc) rc = as_bad_request(ice_schema_from_json(sj, "create table request schema", &schema, err), err);
  const json_t *pj = b ? json_object_get(b, "partition-spec") : NULL;
  if (!rc && pj && !json_is_null(pj)) {
    if (!json_is_object(pj)) rc = prestige_error_set(err, PRESTIGE_EINVAL, "create table request: \"partition-spec\" must be an object");
    else if (json_object_get(pj, "spec-id")) rc = ice_partition_spec_from_json(pj, "create table request partition-spec", &spec, err);
    else rc = ice_partition_spec_from_json_fields(json_object_get(pj, "fields"), 0, "create table request partition-spec", &spec, err);
    rc = as_bad_request(rc, err);
  }
  const json_t *oj = b ? json_object_get(b, "write-order") : NULL;
  if (!rc && oj && !json_is_null(oj)) rc = as_bad_request(ice_sort_order_from_json(oj, "create table request write-order", &order, err), err);
  if (!rc) rc = props_from_json(json_object_get(b, "properties"), "properties", &props, err);
  const json_t *loc = b ? json_object_get(b, "location") : NULL;
  if (!rc && loc && !json_is_null(loc) && !json_is_string(loc))
    rc = prestige_error_set(err, PRESTIGE_EINVAL, "create table request: \"location\" must be a string");
  int fv = 2;
  const char *fvs = ice_strmap_get(&props, "format-version");
  if (!rc && fvs) {
    fv = atoi(fvs);
    if (fv < 1 || fv > 3) rc = prestige_error_set(err, PRESTIGE_EINVAL, "create table request: format-version \"%.20s\"", fvs);
    else if (fv == 1) rc = prestige_error_set(err, PRESTIGE_EUNSUPPORTED, "format version 1: this server writes versions 2 and 3");
    ice_strmap_remove(&props, "format-version");
  }
  const json_t *stage = b ? json_object_get(b, "stage-create") : NULL;
  if (!rc) {
    ice_create_request_t req = {.schema = schema, .spec = spec, .order = order,
                                .location = json_string_value(loc), .properties = &props,
                                .format_version = fv, .stage_create = json_is_true(stage)};
    rc = s->cat->ops->table_create(s->cat, &id, &req, &t, err);
  }
  if (!rc) rc = reply_table(s, rq, &t, err);
  ice_loaded_table_release(&t);
  ice_strmap_release(&props);
  ice_schema_free(schema);
  ice_partition_spec_free(spec);
  ice_sort_order_free(order);
  json_decref(b);
  ice_ident_release(&id);
  return rc;
}

static int h_table_load(srv_t *s, http_req_t *rq, prestige_error_t *err) {
  ice_ident_t id;
  PRESTIGE_TRY(path_table(rq, &id, err));
  ice_loaded_table_t t = {0};
  int rc = s->cat->ops->table_load(s->cat, &id, &t, err);
  if (!rc) rc = reply_table(s, rq, &t, err);
  ice_loaded_table_release(&t);
  ice_ident_release(&id);
  return rc;
}

static int h_table_head(srv_t *s, http_req_t *rq, prestige_error_t *err) {
  ice_ident_t id;
  PRESTIGE_TRY(path_table(rq, &id, err));
  bool exists = false;
  int rc = ice_catalog_table_exists(s->cat, &id, &exists, err);
  ice_ident_release(&id);
  if (rc) return rc;
  return reply_empty(rq, exists ? 204 : 404);
}

static int h_table_commit(srv_t *s, http_req_t *rq, prestige_error_t *err) {
  ice_ident_t id;
  PRESTIGE_TRY(path_table(rq, &id, err));
  json_t *b = NULL;
  ice_rest_commit_t c = {0};
  ice_loaded_table_t t = {0};
  int rc = body_json(rq, &b, err);
  if (!rc) rc = ice_rest_commit_from_json(b, false, &c, err);
  if (!rc && c.ident.name && !ice_ident_equal(&c.ident, &id))
    rc = prestige_error_set(err, PRESTIGE_EINVAL, "commit request: the identifier in the body is not the table in the path");
  if (!rc) {
    ice_table_commit_t tc = {&id, c.reqs, c.n_reqs, c.ups, c.n_ups};
    rc = s->cat->ops->table_commit(s->cat, &tc, &t, err);
  }
  if (!rc) {
    json_t *o = ice_rest_load_result_json(&t, NULL);
    if (!o) rc = oom(err);
    else {
      json_object_del(o, "config");
      rc = reply_json(rq, 200, o, err);
    }
  }
  ice_loaded_table_release(&t);
  ice_rest_commit_release(&c);
  json_decref(b);
  ice_ident_release(&id);
  return rc;
}

static int h_table_drop(srv_t *s, http_req_t *rq, prestige_error_t *err) {
  ice_ident_t id;
  PRESTIGE_TRY(path_table(rq, &id, err));
  const char *p = http_req_query(rq, "purgeRequested");
  int rc = s->cat->ops->table_drop(s->cat, &id, p && !strcasecmp(p, "true"), err);
  ice_ident_release(&id);
  return rc ? rc : reply_empty(rq, 204);
}

static int h_register(srv_t *s, http_req_t *rq, prestige_error_t *err) {
  ice_ident_t id;
  PRESTIGE_TRY(path_ns(rq, &id, err));
  json_t *b = NULL;
  ice_loaded_table_t t = {0};
  int rc = body_json(rq, &b, err);
  const char *name = b ? json_string_value(json_object_get(b, "name")) : NULL;
  const char *loc = b ? json_string_value(json_object_get(b, "metadata-location")) : NULL;
  if (!rc && (!name || !*name)) rc = prestige_error_set(err, PRESTIGE_EINVAL, "register request: \"name\" must be a non-empty string");
  if (!rc && (!loc || !*loc))
    rc = prestige_error_set(err, PRESTIGE_EINVAL, "register request: \"metadata-location\" must be a non-empty string");
  if (!rc && !(id.name = strdup(name))) rc = oom(err);
  if (!rc) rc = as_bad_request(s->cat->ops->table_register(s->cat, &id, loc, &t, err), err);
  if (!rc) rc = reply_table(s, rq, &t, err);
  ice_loaded_table_release(&t);
  json_decref(b);
  ice_ident_release(&id);
  return rc;
}

static int h_rename(srv_t *s, http_req_t *rq, prestige_error_t *err) {
  json_t *b;
  PRESTIGE_TRY(body_json(rq, &b, err));
  ice_ident_t from = {0}, to = {0};
  int rc = ice_rest_ident_from_json(json_object_get(b, "source"), "rename request source", &from, err);
  if (!rc) rc = ice_rest_ident_from_json(json_object_get(b, "destination"), "rename request destination", &to, err);
  if (!rc) rc = s->cat->ops->table_rename(s->cat, &from, &to, err);
  ice_ident_release(&from);
  ice_ident_release(&to);
  json_decref(b);
  return rc ? rc : reply_empty(rq, 204);
}

static int h_transaction(srv_t *s, http_req_t *rq, prestige_error_t *err) {
  json_t *b;
  PRESTIGE_TRY(body_json(rq, &b, err));
  const json_t *arr = json_object_get(b, "table-changes");
  int rc = 0;
  if (!json_is_array(arr) || !json_array_size(arr))
    rc = prestige_error_set(err, PRESTIGE_EINVAL, "transaction request: \"table-changes\" must be a non-empty array");
  size_t n = rc ? 0 : json_array_size(arr);
  ice_rest_commit_t *cs = calloc(n ? n : 1, sizeof *cs);
  ice_table_commit_t *tcs = calloc(n ? n : 1, sizeof *tcs);
  if (!rc && (!cs || !tcs)) rc = oom(err);
  size_t done = 0;
  for (size_t i = 0; !rc && i < n; i++, done++) {
    rc = ice_rest_commit_from_json(json_array_get(arr, i), true, &cs[i], err);
    if (rc) {
      if (err) prestige_error_prefix(err, "table change %zu", i);
      break;
    }
    for (size_t k = 0; k < i && !rc; k++)
      if (ice_ident_equal(&cs[k].ident, &cs[i].ident))
        rc = prestige_error_set(err, PRESTIGE_EINVAL, "transaction request: table %s.%s changed twice", cs[i].ident.levels[0],
                                cs[i].ident.name);
    tcs[i] = (ice_table_commit_t){&cs[i].ident, cs[i].reqs, cs[i].n_reqs, cs[i].ups, cs[i].n_ups};
  }
  if (!rc) rc = s->cat->ops->transaction_commit(s->cat, tcs, n, err);
  for (size_t i = 0; i < n && cs; i++) ice_rest_commit_release(&cs[i]);
  (void)done;
  free(cs);
  free(tcs);
  json_decref(b);
  return rc ? rc : reply_empty(rq, 204);
}

/* ---- dispatch ------------------------------------------------------------------------------------------- */

static void run_route(route_ctx_t *r, http_req_t *rq) {
  prestige_error_t e;
  prestige_error_init(&e);
  int rc = r->fn(r->s, rq, &e);
  if (rc) reply_err(rq, rc, e.message[0] ? e.message : prestige_code_name(rc), r->table);
}

/* The table a table answer is about, as {"namespace":[...],"name":...} text (malloc'd), or NULL:
 * from the path, or the body's "name" for create and register. */
static char *result_table(route_ctx_t *r, http_req_t *rq) {
  ice_ident_t id = {0};
  prestige_error_t e;
  prestige_error_init(&e);
  if (path_ns(rq, &id, &e)) return NULL;
  const char *t = http_req_param(rq, "table");
  json_t *b = NULL;
  if (!t && r->result == 1) {
    size_t len = 0;
    const uint8_t *body = http_req_body(rq, &len);
    json_error_t je;
    b = len ? json_loadb((const char *)body, len, 0, &je) : NULL;
    t = json_string_value(json_object_get(b, "name"));
  }
  char *text = NULL;
  if (t && (id.name = strdup(t))) {
    json_t *j = ice_rest_ident_json(&id);
    text = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
  }
  json_decref(b);
  ice_ident_release(&id);
  return text;
}

/* A final answer again: as kept, or rebuilt from the table's current state (the spec allows a
 * replay to show a newer state). */
static void replay(route_ctx_t *r, http_req_t *rq, const ice_idem_entry_t *e) {
  http_reply_header(rq, "Idempotent-Replayed", "true");
  if (!e->reload) {
    http_reply(rq, e->status, "application/json", e->body ? e->body : "", e->body ? e->len : 0);
    return;
  }
  prestige_error_t err;
  prestige_error_init(&err);
  json_error_t je;
  json_t *j = json_loads(e->reload, 0, &je);
  ice_ident_t id = {0};
  ice_loaded_table_t t = {0};
  int rc = ice_rest_ident_from_json(j, "kept answer", &id, &err);
  if (!rc) rc = r->s->cat->ops->table_load(r->s->cat, &id, &t, &err);
  if (!rc && r->result == 1) rc = reply_table(r->s, rq, &t, &err);
  else if (!rc) {
    json_t *o = ice_rest_load_result_json(&t, NULL);
    if (!o) rc = oom(&err);
    else {
      json_object_del(o, "config");
      rc = reply_json(rq, 200, o, &err);
    }
  }
  if (rc) reply_err(rq, rc, err.message[0] ? err.message : prestige_code_name(rc), r->table);
  ice_loaded_table_release(&t);
  ice_ident_release(&id);
  json_decref(j);
}

static int idem_dispatch(route_ctx_t *r, http_req_t *rq, const char *key) {
  if (!ice_idem_key_valid(key)) {
    http_reply_error(rq, 400, "BadRequestException", "Idempotency-Key \"%.64s\" is not a UUID (36 characters, UUIDv7 expected)", key);
    return 0;
  }
  char op[1200];
  snprintf(op, sizeof op, "%s %s", http_req_method(rq), http_req_path(rq));
  size_t len = 0;
  const uint8_t *body = http_req_body(rq, &len);
  ice_idem_entry_t e;
  switch (ice_idem_begin(r->s->idem, key, op, ice_idem_hash(body, len), 30000, &e)) {
    case ICE_IDEM_REPLAY:
      replay(r, rq, &e);
      ice_idem_entry_release(&e);
      return 0;
    case ICE_IDEM_MISMATCH:
      http_reply_error(rq, 422, "UnprocessableEntityException",
                       "Idempotency-Key %s was already used for another request (%.600s); a new operation needs a new key", key, e.op);
      ice_idem_entry_release(&e);
      return 0;
    case ICE_IDEM_BUSY:
      http_reply_header(rq, "Retry-After", "1");
      http_reply_error(rq, 503, "ServiceUnavailableException", "a request with Idempotency-Key %s is still running", key);
      return 0;
    case ICE_IDEM_NOMEM:
      http_reply_error(rq, 503, "ServiceUnavailableException", "out of memory for Idempotency-Key %s", key);
      return 0;
    case ICE_IDEM_RUN:
      break;
  }
  http_req_keep_reply(rq);
  run_route(r, rq);
  const uint8_t *out = NULL;
  size_t out_len = 0;
  int status = http_req_kept_reply(rq, &out, &out_len);
  char *reload = r->result && status == 200 && out_len > ICE_IDEM_BODY_MAX ? result_table(r, rq) : NULL;
  ice_idem_finish(r->s->idem, key, status, out, out_len, reload);
  free(reload);
  return 0;
}

static int dispatch(void *ud, http_req_t *rq, prestige_error_t *err) {
  route_ctx_t *r = ud;
  (void)err;
  if (!r->public_ && !authorized(r->s, rq)) {
    http_reply_header(rq, "WWW-Authenticate", "Bearer");
    http_reply_error(rq, 401, "NotAuthorizedException", "%s",
                     http_req_header(rq, "Authorization") ? "the bearer token is not valid (wrong or expired)"
                                                          : "this catalog requires a bearer token (Authorization header)");
    return 0;
  }
  const char *key = r->mutation && r->s->idem ? http_req_header(rq, "Idempotency-Key") : NULL;
  if (key) return idem_dispatch(r, rq, key);
  run_route(r, rq);
  return 0;
}

static int add_route(srv_t *s, const char *method, const char *path, handler_t fn, bool public_, bool table, int result,
                     prestige_error_t *err) {
  if (s->n_routes == sizeof s->routes / sizeof *s->routes) return prestige_error_set(err, PRESTIGE_EINTERNAL, "too many routes");
  route_ctx_t *r = &s->routes[s->n_routes++];
  *r = (route_ctx_t){s, fn, public_, table, !public_ && (!strcmp(method, "POST") || !strcmp(method, "DELETE")), result};
  char pat[512];
  if (s->prefix && strncmp(path, "/v1/config", 10) && strncmp(path, "/v1/oauth", 9))
    snprintf(pat, sizeof pat, "/v1/%s%s", s->prefix, path + 3);
  else snprintf(pat, sizeof pat, "%s", path);
  return http_server_route(s->http, method, pat, dispatch, r, err);
}

void prestige_iceberg_serve_options_init(prestige_iceberg_serve_options_t *o) {
  if (!o) return;
  prestige_iceberg_serve_options_t d = PRESTIGE_ICEBERG_SERVE_OPTIONS_INIT;
  *o = d;
}

uint16_t prestige_iceberg_serve_port(const prestige_iceberg_rest_server_t *s) { return s ? http_server_port(s->s.http) : 0; }

void prestige_iceberg_serve_stop(prestige_iceberg_rest_server_t *srv) {
  if (!srv) return;
  srv_t *s = &srv->s;
  http_server_free(s->http);
  ice_catalog_free(s->cat);
  if (s->token) explicit_bzero(s->token, strlen(s->token));
  free(s->token);
  free(s->client_id);
  if (s->client_secret) explicit_bzero(s->client_secret, strlen(s->client_secret));
  free(s->client_secret);
  free(s->prefix);
  ice_strmap_release(&s->table_config);
  free(s->issued);
  ice_idem_free(s->idem);
  pthread_mutex_destroy(&s->mu);
  free(srv);
}

int prestige_iceberg_serve_start(prestige_iceberg_rest_server_t **out, const prestige_iceberg_serve_options_t *o,
                                 prestige_error_t *err) {
  if (!out) return prestige_error_set(err, PRESTIGE_EINVAL, "prestige_iceberg_serve_start: out is NULL");
  *out = NULL;
  if (!o) return prestige_error_set(err, PRESTIGE_EINVAL, "prestige_iceberg_serve_start: options is NULL");
  if (o->version != PRESTIGE_ICEBERG_SERVE_OPTIONS_VERSION && o->version != 1)
    return prestige_error_set(err, PRESTIGE_EINVAL,
                              "iceberg serve options version %u not supported (this library knows %u); start from "
                              "PRESTIGE_ICEBERG_SERVE_OPTIONS_INIT",
                              o->version, PRESTIGE_ICEBERG_SERVE_OPTIONS_VERSION);
  if (!o->catalog.uri || ice_catalog_uri_is_rest(o->catalog.uri))
    return prestige_error_set(err, PRESTIGE_EINVAL, "iceberg serve options: catalog.uri must name an SQL catalog (sqlite:PATH or postgresql://...)");
  if (o->credential && !strchr(o->credential, ':'))
    return prestige_error_set(err, PRESTIGE_EINVAL, "iceberg serve options: credential must be \"id:secret\"");
  if (o->token && !*o->token) return prestige_error_set(err, PRESTIGE_EINVAL, "iceberg serve options: token is empty");
  if (o->token_lifetime_s <= 0)
    return prestige_error_set(err, PRESTIGE_EINVAL, "iceberg serve options: token_lifetime_s must be positive");
  if (o->prefix && (!*o->prefix || strchr(o->prefix, '/') || strchr(o->prefix, '{')))
    return prestige_error_set(err, PRESTIGE_EINVAL, "iceberg serve options: prefix must be one non-empty path segment");
  int64_t idem_life = o->version >= 2 ? o->idempotency_lifetime_s : 1800;
  if (idem_life < 0)
    return prestige_error_set(err, PRESTIGE_EINVAL, "iceberg serve options: idempotency_lifetime_s must be 0 (off) or positive");
  if (o->n_table_config < 0 || (o->n_table_config && !o->table_config))
    return prestige_error_set(err, PRESTIGE_EINVAL, "iceberg serve options: table_config / n_table_config disagree");
  prestige_iceberg_rest_server_t *srv = calloc(1, sizeof *srv);
  if (!srv) return oom(err);
  srv_t *s = &srv->s;
  pthread_mutex_init(&s->mu, NULL);
  int rc = 0;
  s->token_lifetime_s = o->token_lifetime_s;
  if (o->token && !(s->token = strdup(o->token))) rc = oom(err);
  if (!rc && o->credential) {
    const char *colon = strchr(o->credential, ':');
    if (!(s->client_id = strndup(o->credential, (size_t)(colon - o->credential))) || !(s->client_secret = strdup(colon + 1)))
      rc = oom(err);
    else if (!(s->issued = calloc(MAX_TOKENS, sizeof *s->issued))) rc = oom(err);
  }
  if (!rc && o->prefix && !(s->prefix = strdup(o->prefix))) rc = oom(err);
  s->idem_lifetime_s = idem_life;
  if (!rc && idem_life) rc = ice_idem_new(&s->idem, idem_life * 1000, err);
  for (int64_t i = 0; !rc && i < o->n_table_config; i++)
    if (!o->table_config[i].key || !o->table_config[i].value || ice_strmap_set(&s->table_config, o->table_config[i].key, o->table_config[i].value))
      rc = o->table_config[i].key && o->table_config[i].value ? oom(err)
                                                             : prestige_error_set(err, PRESTIGE_EINVAL, "iceberg serve options: table_config %lld has no key or value", (long long)i);
  if (!rc) {
    prestige_s3_client_t *s3 = NULL;
    if (o->catalog.s3_client) s3 = prestige_s3_client_ref(o->catalog.s3_client);
    else if (o->catalog.s3) rc = prestige_s3_client_new(&s3, o->catalog.s3, err);
    if (!rc) {
      prestige_iceberg_catalog_options_t co = o->catalog;
      rc = ice_catalog_open(&co, s3, &s->cat, err);
    }
    prestige_s3_client_free(s3);
  }
  if (!rc) {
    http_server_options_t ho;
    http_server_options_init(&ho);
    if (o->bind_address) ho.bind_address = o->bind_address;
    ho.port = o->port;
    if (o->max_body_bytes) ho.max_body_bytes = o->max_body_bytes;
    if (o->max_connections) ho.max_connections = o->max_connections;
    if (o->idle_timeout_s) ho.idle_timeout_s = o->idle_timeout_s;
    rc = http_server_new(&s->http, &ho, err);
  }
  static const struct {
    const char *m, *p;
    handler_t fn;
    bool pub, table;
    int result;
  } R[] = {
      {"GET", "/v1/config", h_config, false, false, 0},
      {"POST", "/v1/oauth/tokens", h_token, true, false, 0},
      {"GET", "/v1/namespaces", h_ns_list, false, false, 0},
      {"POST", "/v1/namespaces", h_ns_create, false, false, 0},
      {"GET", "/v1/namespaces/{namespace}", h_ns_load, false, false, 0},
      {"HEAD", "/v1/namespaces/{namespace}", h_ns_head, false, false, 0},
      {"DELETE", "/v1/namespaces/{namespace}", h_ns_drop, false, false, 0},
      {"POST", "/v1/namespaces/{namespace}/properties", h_ns_props, false, false, 0},
      {"GET", "/v1/namespaces/{namespace}/tables", h_tables, false, false, 0},
      {"POST", "/v1/namespaces/{namespace}/tables", h_table_create, false, false, 1},
      {"GET", "/v1/namespaces/{namespace}/tables/{table}", h_table_load, false, true, 0},
      {"HEAD", "/v1/namespaces/{namespace}/tables/{table}", h_table_head, false, true, 0},
      {"POST", "/v1/namespaces/{namespace}/tables/{table}", h_table_commit, false, true, 2},
      {"DELETE", "/v1/namespaces/{namespace}/tables/{table}", h_table_drop, false, true, 0},
      {"POST", "/v1/namespaces/{namespace}/register", h_register, false, false, 1},
      {"POST", "/v1/tables/rename", h_rename, false, true, 0},
      {"POST", "/v1/transactions/commit", h_transaction, false, true, 0},
  };
  for (size_t i = 0; !rc && i < sizeof R / sizeof *R; i++) rc = add_route(s, R[i].m, R[i].p, R[i].fn, R[i].pub, R[i].table, R[i].result, err);
  if (!rc) rc = http_server_start(s->http, err);
  if (rc) {
    prestige_iceberg_serve_stop(srv);
    return rc;
  }
  *out = srv;
  return 0;
}
