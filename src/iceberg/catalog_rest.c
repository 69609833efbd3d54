/*
 * The REST catalog backend (rest-catalog-open-api.yaml; Java's RESTSessionCatalog where the
 * spec is silent): GET /v1/config first (defaults < client properties < overrides, the prefix,
 * the endpoints list), then every catalog operation as one HTTP exchange over the shared client
 * (src/net/http_client.h).
 *
 * Auth: a bearer token; OAuth2 client credentials (token endpoint from the options or the
 * client's properties, else the config's oauth2-server-uri, else <uri>/v1/oauth/tokens; when the
 * default endpoint is not there (404), the config is fetched without a token to learn
 * oauth2-server-uri), refreshed before expiry and once on a 401; or SigV4 (signing name and
 * region) with the store's signer.
 *
 * Retries: idempotent requests (GET, HEAD, DELETE, property updates) are retried on transport
 * errors and 5xx by the HTTP client's policy. A DELETE that was sent, lost its answer and got 404
 * on the retry has done its work (success). When the config advertises idempotency-key-lifetime,
 * every mutation (POST, DELETE) carries a fresh UUIDv7 Idempotency-Key, the same on each retry
 * of that operation, and is retried like an idempotent request: a commit whose answer was lost
 * (5xx, timeout, dropped connection) is sent again and the server replays its answer. Without
 * keys, commits (POST) never are retried: a non-idempotent request
 * gets a fresh connection (curl would otherwise re-send it by itself on a reused connection the
 * server closed), 409 is ECONFLICT (the table operation refreshes, re-checks and rebuilds), and
 * 500/502/503/504 or a failure after the request was sent is EUNKNOWN_STATE (the table
 * operation reloads and looks for its snapshot).
 */
#include <pthread.h>
#include <stdio.h>
#include <sys/random.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/json_load.h"
#include "core/buf.h"
#include "iceberg/catalog.h"
#include "iceberg/rest.h"
#include "net/http_client.h"
#include "prestige/core.h"
#include "store/aws_config.h"
#include "store/sigv4.h"

typedef struct rest_catalog {
  ice_catalog_t base;
  http_client_t *http;
  char *root;           /* the URI without a trailing slash */
  char *prefix;         /* the config's prefix (encoded), or NULL */
  char *warehouse_arg;  /* the warehouse as given (may be a logical name) */
  ice_strmap_t props;   /* defaults < client properties < overrides */
  char **endpoints;     /* "GET /v1/{prefix}/namespaces", ... */
  size_t n_endpoints;
  bool have_endpoints;
  int64_t timeout_ms;
  int page_size;        /* 0: let the server decide */
  char **hdr;           /* extra headers "Name: value" (properties header.X) */
  size_t n_hdr;
  /* auth */
  pthread_mutex_t mu;
  char *token;
  int64_t token_refresh_at_ms; /* 0: never */
  char *client_id, *client_secret, *scope, *oauth_uri;
  bool oauth_uri_given; /* by the caller (else the config's oauth2-server-uri may set it) */
  bool token_missing;   /* the last token request found no endpoint (404, 405) */
  int64_t idem_lifetime_ms; /* the config's idempotency-key-lifetime; 0: no Idempotency-Key */
  bool sigv4;
  char *signing_name, *signing_region;
  aws_config_t aws;
  bool have_aws;
} rest_catalog_t;

static int oom(prestige_error_t *err) { return prestige_error_set(err, PRESTIGE_ENOMEM, "REST catalog: out of memory"); }

/* ---- one exchange --------------------------------------------------------------------------------- */

typedef enum { K_READ = 0, K_WRITE, K_COMMIT } kind_t; /* idempotent; not idempotent; a commit (state may be unknown) */

typedef struct call {
  const char *method;
  const char *path;   /* after /v1[/prefix]; or an absolute URL when absolute */
  bool absolute;
  bool no_prefix;     /* /v1/config, /v1/oauth/tokens */
  const char *query;  /* without '?', may be NULL */
  json_t *body;       /* JSON body (not consumed) */
  const char *form;   /* a form body (the token request) */
  kind_t kind;
  int conflict_code;  /* what a 409 means: EEXISTS or ECONFLICT */
  bool vended;        /* ask for vended credentials */
  bool no_auth;       /* the token request itself */
  /* results */
  long status;
  json_t *out;        /* the parsed 2xx body, when there is one */
} call_t;

static char *url_of(rest_catalog_t *c, const call_t *k) {
  buf_t b = BUF_INIT;
  int rc = 0;
  if (k->absolute) rc = buf_append(&b, k->path, strlen(k->path));
  else {
    rc = buf_append(&b, c->root, strlen(c->root));
    if (!rc) rc = buf_append(&b, "/v1", 3);
    if (!rc && c->prefix && !k->no_prefix) {
      rc = buf_append_u8(&b, '/');
      if (!rc) rc = buf_append(&b, c->prefix, strlen(c->prefix));
    }
    if (!rc) rc = buf_append(&b, k->path, strlen(k->path));
  }
  if (!rc && k->query && *k->query) {
    rc = buf_append_u8(&b, '?');
    if (!rc) rc = buf_append(&b, k->query, strlen(k->query));
  }
  if (!rc) rc = buf_append_u8(&b, 0);
  if (rc) {
    buf_release(&b);
    return NULL;
  }
  return (char *)buf_detach(&b, NULL);
}

static int fetch_token(rest_catalog_t *c, prestige_error_t *err);
static int do_call(rest_catalog_t *c, call_t *k, prestige_error_t *err);

/* The bearer token to send (a copy), refreshing an OAuth2 token that is about to expire. */
static int current_auth(rest_catalog_t *c, bool force_refresh, char **bearer, prestige_error_t *err) {
  *bearer = NULL;
  pthread_mutex_lock(&c->mu);
  int rc = 0;
  if (c->client_id &&
      (force_refresh || !c->token || (c->token_refresh_at_ms && prestige_now_ms() >= c->token_refresh_at_ms)))
    rc = fetch_token(c, err);
  if (!rc && c->token && !(*bearer = strdup(c->token))) rc = oom(err);
  pthread_mutex_unlock(&c->mu);
  return rc;
}

static int form_append(buf_t *b, const char *k, const char *v) {
  char *e = ice_rest_pct_encode(v);
  if (!e) return -1;
  int rc = b->len ? buf_append_u8(b, '&') : 0;
  if (!rc) rc = buf_append(b, k, strlen(k));
  if (!rc) rc = buf_append_u8(b, '=');
  if (!rc) rc = buf_append(b, e, strlen(e));
  explicit_bzero(e, strlen(e));
  free(e);
  return rc;
}

/* OAuth2 client credentials (RFC 6749 4.4), as Java's OAuth2Util.fetchToken. Called with c->mu held. */
static int fetch_token(rest_catalog_t *c, prestige_error_t *err) {
  buf_t form = BUF_INIT;
  int rc = form_append(&form, "grant_type", "client_credentials");
  if (!rc) rc = form_append(&form, "client_id", c->client_id);
  if (!rc) rc = form_append(&form, "client_secret", c->client_secret);
  if (!rc) rc = form_append(&form, "scope", c->scope ? c->scope : "catalog");
  if (!rc) rc = buf_append_u8(&form, 0);
  if (rc) {
    buf_release(&form);
    return oom(err);
  }
  call_t k = {.method = "POST", .kind = K_WRITE, .no_auth = true, .form = (const char *)form.data, .conflict_code = PRESTIGE_EAUTH};
  if (c->oauth_uri) {
    k.path = c->oauth_uri;
    k.absolute = true;
  } else {
    k.path = "/oauth/tokens";
    k.no_prefix = true;
  }
  rc = do_call(c, &k, err);
  explicit_bzero(form.data, form.cap);
  buf_release(&form);
  c->token_missing = rc && (k.status == 404 || k.status == 405);
  if (rc) {
    if (err) prestige_error_prefix(err, "OAuth2 token request");
    return rc == PRESTIGE_EINVAL || rc == PRESTIGE_ENOTFOUND ? PRESTIGE_EAUTH : rc;
  }
  const char *tok = json_string_value(json_object_get(k.out, "access_token"));
  json_t *exp = json_object_get(k.out, "expires_in");
  if (!tok || !*tok) {
    json_decref(k.out);
    return prestige_error_set(err, PRESTIGE_EAUTH, "OAuth2 token request: the response has no access_token");
  }
  char *t = strdup(tok);
  if (!t) {
    json_decref(k.out);
    return oom(err);
  }
  if (c->token) explicit_bzero(c->token, strlen(c->token));
  free(c->token);
  c->token = t;
  c->token_refresh_at_ms = 0;
  if (json_is_integer(exp) && json_integer_value(exp) > 0) {
    int64_t life = json_integer_value(exp) * 1000;
    int64_t margin = life / 5 < 60000 ? life / 5 : 60000; /* refresh before it expires */
    c->token_refresh_at_ms = prestige_now_ms() + life - margin;
  }
  json_decref(k.out);
  return 0;
}

static int add_hdr(char ***v, size_t *n, const char *name, const char *value) {
  size_t len = strlen(name) + strlen(value) + 3;
  char *h = malloc(len);
  if (!h) return -1;
  snprintf(h, len, "%s: %s", name, value);
  char **nv = realloc(*v, (*n + 1) * sizeof(char *));
  if (!nv) {
    free(h);
    return -1;
  }
  *v = nv;
  nv[(*n)++] = h;
  return 0;
}

static void free_strs(char **v, size_t n) {
  for (size_t i = 0; i < n; i++) {
    explicit_bzero(v[i], strlen(v[i]));
    free(v[i]);
  }
  free(v);
}

/* SigV4 headers for the request (Authorization, X-Amz-Date, X-Amz-Security-Token, X-Amz-Content-Sha256). */
static int sign_request(rest_catalog_t *c, const char *method, const char *url, const void *body, size_t body_len,
                        http_header_t *hs, size_t *nh, char **owned, size_t *n_owned, prestige_error_t *err) {
  const char *p = strstr(url, "://");
  const char *host = p ? p + 3 : url;
  const char *slash = strchr(host, '/');
  char hostbuf[512];
  size_t hl = slash ? (size_t)(slash - host) : strlen(host);
  if (hl >= sizeof hostbuf) return prestige_error_set(err, PRESTIGE_EINVAL, "REST catalog: host name too long to sign");
  memcpy(hostbuf, host, hl);
  hostbuf[hl] = 0;
  char path[8192];
  const char *q = slash ? strchr(slash, '?') : NULL;
  size_t pl = slash ? (q ? (size_t)(q - slash) : strlen(slash)) : 0;
  if (pl >= sizeof path) return prestige_error_set(err, PRESTIGE_EINVAL, "REST catalog: path too long to sign");
  if (pl) memcpy(path, slash, pl);
  else path[pl++] = '/';
  path[pl] = 0;
  char hash[65];
  sigv4_sha256_hex(body ? body : "", body_len, hash);
  sigv4_header_t sh[3] = {{"host", hostbuf}, {"x-amz-content-sha256", hash}, {"content-type", "application/json"}};
  sigv4_input_t in = {.method = method, .path = path, .query = q ? q + 1 : NULL, .headers = sh, .n_headers = body ? 3 : 2,
                      .payload_hash = hash, .access_key = c->aws.access_key, .secret_key = c->aws.secret_key,
                      .session_token = c->aws.session_token, .region = c->signing_region ? c->signing_region : c->aws.region,
                      .service = c->signing_name ? c->signing_name : "execute-api", .unix_time = (int64_t)time(NULL),
                      .normalize_path = 1, .double_encode = 1};
  sigv4_output_t so;
  PRESTIGE_TRY(sigv4_sign(&in, &so, err));
  char *v[4] = {strdup(so.authorization), strdup(so.amz_date), strdup(hash),
                c->aws.session_token ? strdup(c->aws.session_token) : NULL};
  sigv4_output_free(&so);
  static const char *const names[] = {"Authorization", "X-Amz-Date", "X-Amz-Content-Sha256", "X-Amz-Security-Token"};
  int rc = 0;
  for (int i = 0; i < 4; i++) {
    if (i == 3 && !c->aws.session_token) break;
    if (!v[i]) {
      rc = -1;
      continue;
    }
    owned[(*n_owned)++] = v[i];
    hs[(*nh)++] = (http_header_t){names[i], v[i]};
  }
  return rc ? oom(err) : 0;
}

static int status_error(rest_catalog_t *c, const call_t *k, const http_response_t *rs, prestige_error_t *err) {
  json_error_t je;
  json_t *j = rs->error_body.len ? json_loadb((const char *)rs->error_body.data, rs->error_body.len, 0, &je) : NULL;
  const char *msg = NULL, *type = NULL;
  if (j) ice_rest_error_fields(j, &msg, &type);
  char raw[256] = "";
  if (!msg && rs->error_body.len) {
    size_t n = rs->error_body.len < sizeof raw - 1 ? rs->error_body.len : sizeof raw - 1;
    memcpy(raw, rs->error_body.data, n);
    raw[n] = 0;
    for (size_t i = 0; i < n; i++)
      if ((unsigned char)raw[i] < 0x20) raw[i] = ' ';
    msg = raw;
  }
  long st = rs->status;
  int code;
  const char *what;
  if (st == 400 || st == 422) code = PRESTIGE_EINVAL, what = "bad request";
  else if (st == 401 || st == 403 || st == 419) code = PRESTIGE_EAUTH, what = "not authorized";
  else if (st == 404) code = PRESTIGE_ENOTFOUND, what = "not found";
  else if (st == 406) code = PRESTIGE_EUNSUPPORTED, what = "not supported by the server";
  else if (st == 409) code = k->conflict_code ? k->conflict_code : PRESTIGE_EEXISTS,
       what = code == PRESTIGE_ECONFLICT ? "commit conflict" : "conflict";
  else if (k->kind == K_COMMIT && (st == 500 || st == 502 || st == 503 || st == 504))
    code = PRESTIGE_EUNKNOWN_STATE, what = "commit state unknown";
  else code = PRESTIGE_EHTTP, what = "server error";
  int rc = prestige_error_set(err, code, "REST catalog %s: %s %s: %s (HTTP %ld%s%s)%s%s", c->root, k->method, k->path, what, st,
                              type ? " " : "", type ? type : "", msg ? ": " : "", msg ? msg : "");
  json_decref(j);
  return rc;
}

/* A UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, version 7, 74 random bits, variant 10. */
static void uuid7(char out[37]) {
  uint8_t b[16];
  if (getrandom(b, sizeof b, 0) != (ssize_t)sizeof b) { /* never in practice; still unique enough */
    uint64_t x = (uint64_t)prestige_monotonic_ns() ^ (uint64_t)(uintptr_t)out;
    for (int i = 0; i < 16; i++, x = x * 6364136223846793005ull + 1442695040888963407ull) b[i] = (uint8_t)(x >> 56);
  }
  uint64_t ms = (uint64_t)prestige_now_ms();
  for (int i = 0; i < 6; i++) b[i] = (uint8_t)(ms >> (40 - 8 * i));
  b[6] = (uint8_t)(0x70 | (b[6] & 0x0f));
  b[8] = (uint8_t)(0x80 | (b[8] & 0x3f));
  static const char hex[] = "0123456789abcdef";
  char *w = out;
  for (int i = 0; i < 16; i++) {
    if (i == 4 || i == 6 || i == 8 || i == 10) *w++ = '-';
    *w++ = hex[b[i] >> 4];
    *w++ = hex[b[i] & 15];
  }
  *w = 0;
}

/* Which attempts of an exchange reached the server (bit i: attempt i + 1 was sent). */
typedef struct sent_log {
  unsigned n;
  uint32_t mask;
  bool retry_as_idempotent; /* sent on a fresh connection (so curl cannot re-send it unseen), retried as idempotent */
  const http_retry_policy_t *policy;
} sent_log_t;

static http_verdict_t note_sent(void *ud, const http_request_t *rq, const http_response_t *rs, int rc) {
  sent_log_t *l = ud;
  if (l->n < 32 && (rs->sent || rs->status > 0)) l->mask |= 1u << l->n;
  l->n++;
  if (!l->retry_as_idempotent) return HTTP_VERDICT_DEFAULT;
  http_request_t r2 = *rq;
  r2.idempotent = HTTP_IDEMPOTENT_YES;
  http_retry_policy_t p2 = *l->policy;
  p2.classify = NULL;
  return http_retryable(&p2, &r2, rs, rc) ? HTTP_VERDICT_RETRY : HTTP_VERDICT_STOP;
}

static int do_call(rest_catalog_t *c, call_t *k, prestige_error_t *err) {
  k->status = 0;
  k->out = NULL;
  char *url = url_of(c, k);
  char *text = NULL;
  if (!url) return oom(err);
  size_t text_len = 0;
  if (k->body) {
    text = json_dumps(k->body, JSON_COMPACT);
    if (!text) {
      free(url);
      return oom(err);
    }
    text_len = strlen(text);
  } else if (k->form) {
    text_len = strlen(k->form);
  }
  int rc = 0;
  /* a mutation carries one Idempotency-Key for all its attempts when the server keeps them */
  bool mutation = !k->no_auth && !k->no_prefix && (!strcmp(k->method, "POST") || !strcmp(k->method, "DELETE"));
  char idem_key[37] = "";
  if (mutation && c->idem_lifetime_ms > 0) uuid7(idem_key);
  for (int auth_try = 0;; auth_try++) {
    http_header_t hs[40];
    size_t nh = 0;
    char *owned[8];
    size_t n_owned = 0;
    char *bearer = NULL;
    if (!k->no_auth && !c->sigv4) {
      rc = current_auth(c, auth_try > 0, &bearer, err);
      if (rc) break;
    }
    char *authz = NULL;
    if (bearer) {
      size_t n = strlen(bearer) + 8;
      authz = malloc(n);
      if (!authz) {
        free(bearer);
        rc = oom(err);
        break;
      }
      snprintf(authz, n, "Bearer %s", bearer);
      explicit_bzero(bearer, strlen(bearer));
      free(bearer);
      hs[nh++] = (http_header_t){"Authorization", authz};
    }
    hs[nh++] = (http_header_t){"Accept", "application/json"};
    if (k->body) hs[nh++] = (http_header_t){"Content-Type", "application/json"};
    if (k->form) hs[nh++] = (http_header_t){"Content-Type", "application/x-www-form-urlencoded"};
    if (k->vended) hs[nh++] = (http_header_t){"X-Iceberg-Access-Delegation", "vended-credentials"};
    hs[nh++] = (http_header_t){"X-Client-Version", "prestige"};
    if (*idem_key) hs[nh++] = (http_header_t){"Idempotency-Key", idem_key};
    /* extra headers from the properties: "Name: value" split at the colon */
    char *hsplit[16];
    size_t n_split = 0;
    for (size_t i = 0; i < c->n_hdr && nh < 30 && n_split < 16; i++) {
      char *d = strdup(c->hdr[i]);
      if (!d) continue;
      char *colon = strchr(d, ':');
      *colon = 0;
      hsplit[n_split++] = d;
      hs[nh++] = (http_header_t){d, colon + 2};
    }
    if (c->sigv4 && !k->no_auth && !rc)
      rc = sign_request(c, k->method, url, text ? text : k->form, text_len, hs, &nh, owned, &n_owned, err);
    http_response_t rs;
    http_response_init(&rs);
    buf_t out = BUF_INIT;
    if (!rc) {
      http_request_t rq;
      http_request_init(&rq, k->method, url);
      rq.headers = hs;
      rq.n_headers = nh;
      if (text || k->form) {
        rq.has_body = true;
        rq.body.data = (const uint8_t *)(text ? text : k->form);
        rq.body.len = text_len;
      }
      rq.out.buf = &out;
      rq.out.buf_max = 256u << 20;
      /* a DELETE without a key goes on a fresh connection, so that every re-send is ours and
       * seen: a 404 after one that reached the server means that one did the work */
      bool del_unkeyed = !strcmp(k->method, "DELETE") && mutation && !*idem_key;
      rq.idempotent = (k->kind == K_READ || *idem_key) && !del_unkeyed ? HTTP_IDEMPOTENT_YES : HTTP_IDEMPOTENT_NO;
      rq.timeout_ms = c->timeout_ms;
      http_retry_policy_t rp;
      http_retry_policy_init(&rp);
      rp.retry_429 = k->kind == K_READ || *idem_key;
      sent_log_t sl = {.retry_as_idempotent = del_unkeyed, .policy = &rp};
      rp.classify = note_sent;
      rp.classify_ud = &sl;
      prestige_error_t xerr;
      prestige_error_init(&xerr);
      rc = http_execute(c->http, &rq, &rs, &rp, &xerr);
      /* a DELETE sent before, whose answer was lost: its 404 now means the first one did it */
      uint32_t earlier = rs.attempts > 1 ? ((rs.attempts - 1 >= 32 ? ~0u : (1u << (rs.attempts - 1)) - 1) & sl.mask) : 0;
      if (!rc && rs.status == 404 && !strcmp(k->method, "DELETE") && earlier && !*idem_key) rs.status = 204;
      if (rc) {
        if (k->kind == K_COMMIT && rs.sent && (rc == PRESTIGE_ENET || rc == PRESTIGE_ETIMEOUT))
          rc = prestige_error_set(err, PRESTIGE_EUNKNOWN_STATE, "REST catalog %s: %s %s: commit state unknown: %s", c->root,
                                  k->method, k->path, xerr.message);
        else if (rc == PRESTIGE_ETIMEOUT)
          rc = prestige_error_set(err, rc, "REST catalog %s: %s %s: no answer within the request timeout of %lld ms (%s)",
                                  c->root, k->method, k->path, (long long)c->timeout_ms, xerr.message);
        else if (err)
          *err = xerr;
      }
    }
    for (size_t i = 0; i < n_owned; i++) free(owned[i]);
    for (size_t i = 0; i < n_split; i++) free(hsplit[i]);
    if (authz) {
      explicit_bzero(authz, strlen(authz));
      free(authz);
    }
    if (!rc) {
      k->status = rs.status;
      if (rs.status == 401 && c->client_id && !k->no_auth && auth_try == 0) {
        http_response_release(&rs);
        buf_release(&out);
        continue; /* the token may have been revoked or expired early: fetch a new one, once */
      }
      if (rs.status >= 200 && rs.status < 300) {
        if (out.len && strcmp(k->method, "HEAD")) {
          json_error_t je;
          bool oom;
          k->out = json_loadb_checked((const char *)out.data, out.len, 0, &je, &oom);
          if (!k->out && oom)
            rc = prestige_error_set(err, PRESTIGE_ENOMEM, "REST catalog %s: %s %s: out of memory parsing the response",
                                    c->root, k->method, k->path);
          else if (!k->out)
            rc = prestige_error_set(err, PRESTIGE_EHTTP, "REST catalog %s: %s %s: the response is not JSON (%s at line %d)",
                                    c->root, k->method, k->path, je.text, je.line);
        }
      } else if (!(rs.status == 404 && !strcmp(k->method, "HEAD"))) {
        rc = status_error(c, k, &rs, err);
      }
    }
    http_response_release(&rs);
    buf_release(&out);
    break;
  }
  free(url);
  free(text);
  return rc;
}

/* ---- paths ---------------------------------------------------------------------------------------- */

static char *ns_path(const ice_ident_t *ns, const char *suffix) {
  char *e = ice_rest_ns_path(ns);
  if (!e) return NULL;
  size_t n = strlen(e) + strlen(suffix) + 16;
  char *p = malloc(n);
  if (p) snprintf(p, n, "/namespaces/%s%s", e, suffix);
  free(e);
  return p;
}

static char *table_path(const ice_ident_t *id, const char *suffix) {
  char *e = ice_rest_ns_path(id), *t = ice_rest_pct_encode(id->name);
  char *p = NULL;
  if (e && t) {
    size_t n = strlen(e) + strlen(t) + strlen(suffix) + 32;
    if ((p = malloc(n))) snprintf(p, n, "/namespaces/%s/tables/%s%s", e, t, suffix);
  }
  free(e);
  free(t);
  return p;
}

static bool supports(rest_catalog_t *c, const char *method, const char *path) {
  if (!c->have_endpoints) return true;
  char want[256];
  snprintf(want, sizeof want, "%s %s", method, path);
  for (size_t i = 0; i < c->n_endpoints; i++)
    if (!strcmp(c->endpoints[i], want)) return true;
  return false;
}

static int unsupported(rest_catalog_t *c, const char *ep, prestige_error_t *err) {
  return prestige_error_set(err, PRESTIGE_EUNSUPPORTED, "REST catalog %s does not offer %s (not in its config's endpoints)",
                            c->root, ep);
}

/* ---- namespaces ------------------------------------------------------------------------------------ */

static int r_ns_create(ice_catalog_t *b, const ice_ident_t *ns, const ice_strmap_t *props, prestige_error_t *err) {
  rest_catalog_t *c = (rest_catalog_t *)b;
  json_t *body = json_object(), *p = json_object(), *n = ice_rest_ns_json(ns);
  int bad = !body || !p || !n;
  for (size_t i = 0; !bad && props && i < props->n; i++)
    bad = json_object_set_new(p, props->items[i].key, json_string(props->items[i].value));
  if (!bad) {
    bad = json_object_set_new(body, "namespace", n) | json_object_set_new(body, "properties", p);
    n = p = NULL;
  }
  json_decref(n);
  json_decref(p);
  if (bad) {
    json_decref(body);
    return oom(err);
  }
  call_t k = {.method = "POST", .path = "/namespaces", .body = body, .kind = K_WRITE, .conflict_code = PRESTIGE_EEXISTS};
  int rc = do_call(c, &k, err);
  json_decref(body);
  json_decref(k.out);
  return rc;
}

/* GETs every page of a list; fn takes each page's array. */
static int list_pages(rest_catalog_t *c, const char *path, const char *base_query, const char *key,
                      int (*fn)(void *ud, const json_t *arr, prestige_error_t *err), void *ud, prestige_error_t *err) {
  char *token = NULL;
  int rc = 0;
  for (int page = 0;; page++) {
    buf_t q = BUF_INIT;
    if (base_query) rc = buf_append(&q, base_query, strlen(base_query));
    char num[32];
    if (!rc && c->page_size > 0) {
      snprintf(num, sizeof num, "%d", c->page_size);
      rc = form_append(&q, "pageSize", num);
    }
    if (!rc && token) rc = form_append(&q, "pageToken", token);
    if (!rc) rc = buf_append_u8(&q, 0);
    if (rc) {
      buf_release(&q);
      rc = oom(err);
      break;
    }
    call_t k = {.method = "GET", .path = path, .query = (const char *)q.data, .kind = K_READ};
    rc = do_call(c, &k, err);
    buf_release(&q);
    if (rc) break;
    const json_t *arr = json_object_get(k.out, key);
    if (!json_is_array(arr)) {
      rc = prestige_error_set(err, PRESTIGE_EHTTP, "REST catalog %s: GET %s: the response has no \"%s\" array", c->root, path, key);
      json_decref(k.out);
      break;
    }
    rc = fn(ud, arr, err);
    const char *next = json_string_value(json_object_get(k.out, "next-page-token"));
    char *nt = next && *next ? strdup(next) : NULL;
    bool same = nt && token && !strcmp(nt, token);
    json_decref(k.out);
    free(token);
    token = nt;
    if (rc || !token) break;
    if (same || page > 100000) {
      rc = prestige_error_set(err, PRESTIGE_EHTTP, "REST catalog %s: GET %s: the server repeats page token \"%s\"", c->root,
                              path, token);
      break;
    }
  }
  free(token);
  return rc;
}

typedef struct idents {
  ice_ident_t *v;
  size_t n, cap;
  bool tables;
} idents_t;

static int idents_push(idents_t *s, prestige_error_t *err) {
  if (s->n == s->cap) {
    size_t cap = s->cap ? s->cap * 2 : 16;
    ice_ident_t *nv = realloc(s->v, cap * sizeof *nv);
    if (!nv) return oom(err);
    s->v = nv;
    s->cap = cap;
  }
  return 0;
}

static int take_idents(void *ud, const json_t *arr, prestige_error_t *err) {
  idents_t *s = ud;
  size_t i;
  const json_t *e;
  json_array_foreach(arr, i, e) {
    PRESTIGE_TRY(idents_push(s, err));
    int rc = s->tables ? ice_rest_ident_from_json(e, "list tables response", &s->v[s->n], err)
                       : ice_rest_ns_from_json(e, "list namespaces response", &s->v[s->n], err);
    if (rc) return rc == PRESTIGE_EINVAL ? PRESTIGE_EHTTP : rc;
    s->n++;
  }
  return 0;
}

static int cmp_ident(const void *a, const void *b) {
  char *x = ice_ident_format(a), *y = ice_ident_format(b);
  int r = x && y ? strcmp(x, y) : 0;
  free(x);
  free(y);
  return r;
}

static int r_ns_list(ice_catalog_t *b, const ice_ident_t *parent, ice_ident_t **out, size_t *n, prestige_error_t *err) {
  rest_catalog_t *c = (rest_catalog_t *)b;
  *out = NULL;
  *n = 0;
  char *q = NULL;
  if (parent && parent->n_levels) {
    char *pp = ice_rest_ns_path(parent);
    if (!pp) return oom(err);
    size_t len = strlen(pp) + 8;
    q = malloc(len);
    if (q) snprintf(q, len, "parent=%s", pp);
    free(pp);
    if (!q) return oom(err);
  }
  idents_t s = {0};
  int rc = list_pages(c, "/namespaces", q, "namespaces", take_idents, &s, err);
  free(q);
  if (rc) {
    ice_idents_free(s.v, s.n);
    return rc;
  }
  if (s.n) qsort(s.v, s.n, sizeof *s.v, cmp_ident);
  *out = s.v;
  *n = s.n;
  return 0;
}

static int r_ns_load(ice_catalog_t *b, const ice_ident_t *ns, ice_strmap_t *props, prestige_error_t *err) {
  rest_catalog_t *c = (rest_catalog_t *)b;
  char *path = ns_path(ns, "");
  if (!path) return oom(err);
  call_t k = {.method = "GET", .path = path, .kind = K_READ};
  int rc = do_call(c, &k, err);
  const json_t *p = json_object_get(k.out, "properties");
  const char *key;
  json_t *v;
  if (!rc && json_is_object(p))
    json_object_foreach((json_t *)p, key, v) {
      if (json_is_string(v) && ice_strmap_set(props, key, json_string_value(v))) {
        rc = oom(err);
        break;
      }
    }
  json_decref(k.out);
  free(path);
  return rc;
}

static int head_exists(rest_catalog_t *c, char *path, bool *exists, prestige_error_t *err) {
  if (!path) return oom(err);
  call_t k = {.method = "HEAD", .path = path, .kind = K_READ};
  int rc = do_call(c, &k, err);
  free(path);
  if (!rc) *exists = k.status >= 200 && k.status < 300;
  return rc;
}

static int r_ns_exists(ice_catalog_t *b, const ice_ident_t *ns, bool *exists, prestige_error_t *err) {
  rest_catalog_t *c = (rest_catalog_t *)b;
  *exists = false;
  if (!supports(c, "HEAD", "/v1/{prefix}/namespaces/{namespace}")) {
    ice_strmap_t p = {0};
    int rc = r_ns_load(b, ns, &p, err);
    ice_strmap_release(&p);
    if (rc == PRESTIGE_ENOTFOUND) return 0;
    *exists = !rc;
    return rc;
  }
  return head_exists(c, ns_path(ns, ""), exists, err);
}

static int r_ns_update(ice_catalog_t *b, const ice_ident_t *ns, const ice_strmap_t *set, char *const *remove, size_t n_remove,
                       prestige_error_t *err) {
  rest_catalog_t *c = (rest_catalog_t *)b;
  json_t *body = json_object(), *u = json_object(), *r = json_array();
  int bad = !body || !u || !r;
  for (size_t i = 0; !bad && set && i < set->n; i++) bad = json_object_set_new(u, set->items[i].key, json_string(set->items[i].value));
  for (size_t i = 0; !bad && i < n_remove; i++) bad = json_array_append_new(r, json_string(remove[i]));
  if (!bad) {
    bad = json_object_set_new(body, "updates", u) | json_object_set_new(body, "removals", r);
    u = r = NULL;
  }
  json_decref(u);
  json_decref(r);
  char *path = ns_path(ns, "/properties");
  if (bad || !path) {
    json_decref(body);
    free(path);
    return oom(err);
  }
  call_t k = {.method = "POST", .path = path, .body = body, .kind = K_READ, .conflict_code = PRESTIGE_EINVAL};
  int rc = do_call(c, &k, err);
  json_decref(k.out);
  json_decref(body);
  free(path);
  return rc;
}

static int r_ns_drop(ice_catalog_t *b, const ice_ident_t *ns, prestige_error_t *err) {
  rest_catalog_t *c = (rest_catalog_t *)b;
  char *path = ns_path(ns, "");
  if (!path) return oom(err);
  call_t k = {.method = "DELETE", .path = path, .kind = K_READ, .conflict_code = PRESTIGE_EEXISTS};
  int rc = do_call(c, &k, err);
  json_decref(k.out);
  free(path);
  return rc;
}

/* ---- tables ---------------------------------------------------------------------------------------- */

static int r_table_list(ice_catalog_t *b, const ice_ident_t *ns, ice_ident_t **out, size_t *n, prestige_error_t *err) {
  rest_catalog_t *c = (rest_catalog_t *)b;
  *out = NULL;
  *n = 0;
  char *path = ns_path(ns, "/tables");
  if (!path) return oom(err);
  idents_t s = {.tables = true};
  int rc = list_pages(c, path, NULL, "identifiers", take_idents, &s, err);
  free(path);
  if (rc) {
    ice_idents_free(s.v, s.n);
    return rc;
  }
  if (s.n) qsort(s.v, s.n, sizeof *s.v, cmp_ident);
  *out = s.v;
  *n = s.n;
  return 0;
}

static int load_result(rest_catalog_t *c, call_t *k, ice_loaded_table_t *out, prestige_error_t *err) {
  char what[600];
  snprintf(what, sizeof what, "REST catalog %s: %s %s", c->root, k->method, k->path);
  int rc = ice_rest_load_result_from_json(k->out, what, out, err);
  json_decref(k->out);
  k->out = NULL;
  return rc;
}

static int r_table_load(ice_catalog_t *b, const ice_ident_t *id, ice_loaded_table_t *out, prestige_error_t *err) {
  rest_catalog_t *c = (rest_catalog_t *)b;
  memset(out, 0, sizeof *out);
  char *path = table_path(id, "");
  if (!path) return oom(err);
  call_t k = {.method = "GET", .path = path, .kind = K_READ, .vended = true};
  int rc = do_call(c, &k, err);
  if (!rc) rc = load_result(c, &k, out, err);
  free(path);
  return rc;
}

static int r_table_exists(ice_catalog_t *b, const ice_ident_t *id, bool *exists, prestige_error_t *err) {
  rest_catalog_t *c = (rest_catalog_t *)b;
  *exists = false;
  if (!supports(c, "HEAD", "/v1/{prefix}/namespaces/{namespace}/tables/{table}")) {
    ice_loaded_table_t t = {0};
    int rc = r_table_load(b, id, &t, err);
    ice_loaded_table_release(&t);
    if (rc == PRESTIGE_ENOTFOUND) return 0;
    *exists = !rc;
    return rc;
  }
  return head_exists(c, table_path(id, ""), exists, err);
}

static int r_table_create(ice_catalog_t *b, const ice_ident_t *id, const ice_create_request_t *req, ice_loaded_table_t *out,
                          prestige_error_t *err) {
  rest_catalog_t *c = (rest_catalog_t *)b;
  memset(out, 0, sizeof *out);
  json_t *body = json_object();
  int bad = !body || json_object_set_new(body, "name", json_string(id->name));
  if (!bad && req->location) bad = json_object_set_new(body, "location", json_string(req->location));
  if (!bad) bad = json_object_set_new(body, "schema", ice_schema_to_json(req->schema));
  if (!bad && req->spec) bad = json_object_set_new(body, "partition-spec", ice_partition_spec_to_json(req->spec));
  if (!bad && req->order) bad = json_object_set_new(body, "write-order", ice_sort_order_to_json(req->order));
  if (!bad) bad = json_object_set_new(body, "stage-create", json_boolean(req->stage_create));
  json_t *p = json_object();
  bad = bad || !p;
  for (size_t i = 0; !bad && req->properties && i < req->properties->n; i++)
    bad = json_object_set_new(p, req->properties->items[i].key, json_string(req->properties->items[i].value));
  if (!bad && req->format_version)
    bad = json_object_set_new(p, "format-version", json_sprintf("%d", req->format_version));
  if (!bad) {
    bad = json_object_set_new(body, "properties", p);
    p = NULL;
  }
  json_decref(p);
  char *path = ns_path(id, "/tables");
  if (bad || !path) {
    json_decref(body);
    free(path);
    return oom(err);
  }
  call_t k = {.method = "POST", .path = path, .body = body, .kind = K_WRITE, .conflict_code = PRESTIGE_EEXISTS, .vended = true};
  int rc = do_call(c, &k, err);
  if (!rc) rc = load_result(c, &k, out, err);
  json_decref(body);
  free(path);
  return rc;
}

static int r_table_commit(ice_catalog_t *b, const ice_table_commit_t *tc, ice_loaded_table_t *out, prestige_error_t *err) {
  rest_catalog_t *c = (rest_catalog_t *)b;
  if (out) memset(out, 0, sizeof *out);
  json_t *body = ice_rest_commit_json(tc, true);
  char *path = table_path(tc->ident, "");
  if (!body || !path) {
    json_decref(body);
    free(path);
    return oom(err);
  }
  call_t k = {.method = "POST", .path = path, .body = body, .kind = K_COMMIT, .conflict_code = PRESTIGE_ECONFLICT};
  int rc = do_call(c, &k, err);
  if (!rc && out) rc = load_result(c, &k, out, err);
  json_decref(k.out);
  json_decref(body);
  free(path);
  return rc;
}

static int r_transaction_commit(ice_catalog_t *b, const ice_table_commit_t *commits, size_t n, prestige_error_t *err) {
  rest_catalog_t *c = (rest_catalog_t *)b;
  if (!supports(c, "POST", "/v1/{prefix}/transactions/commit")) return unsupported(c, "POST /v1/{prefix}/transactions/commit", err);
  json_t *body = json_object(), *arr = json_array();
  int bad = !body || !arr;
  for (size_t i = 0; !bad && i < n; i++) {
    json_t *one = ice_rest_commit_json(&commits[i], true);
    bad = !one || json_array_append_new(arr, one);
  }
  if (!bad) {
    bad = json_object_set_new(body, "table-changes", arr);
    arr = NULL;
  }
  json_decref(arr);
  if (bad) {
    json_decref(body);
    return oom(err);
  }
  call_t k = {.method = "POST", .path = "/transactions/commit", .body = body, .kind = K_COMMIT, .conflict_code = PRESTIGE_ECONFLICT};
  int rc = do_call(c, &k, err);
  json_decref(k.out);
  json_decref(body);
  return rc;
}

static int r_table_rename(ice_catalog_t *b, const ice_ident_t *from, const ice_ident_t *to, prestige_error_t *err) {
  rest_catalog_t *c = (rest_catalog_t *)b;
  json_t *body = json_object();
  json_t *s = ice_rest_ident_json(from), *d = ice_rest_ident_json(to);
  int bad = !body || !s || !d;
  if (!bad) {
    bad = json_object_set_new(body, "source", s) | json_object_set_new(body, "destination", d);
    s = d = NULL;
  }
  json_decref(s);
  json_decref(d);
  if (bad) {
    json_decref(body);
    return oom(err);
  }
  call_t k = {.method = "POST", .path = "/tables/rename", .body = body, .kind = K_WRITE, .conflict_code = PRESTIGE_EEXISTS};
  int rc = do_call(c, &k, err);
  json_decref(k.out);
  json_decref(body);
  return rc;
}

static int r_table_drop(ice_catalog_t *b, const ice_ident_t *id, bool purge, prestige_error_t *err) {
  rest_catalog_t *c = (rest_catalog_t *)b;
  char *path = table_path(id, "");
  if (!path) return oom(err);
  call_t k = {.method = "DELETE", .path = path, .query = purge ? "purgeRequested=true" : NULL, .kind = K_READ};
  int rc = do_call(c, &k, err);
  json_decref(k.out);
  free(path);
  return rc;
}

static int r_table_register(ice_catalog_t *b, const ice_ident_t *id, const char *metadata_location, ice_loaded_table_t *out,
                            prestige_error_t *err) {
  rest_catalog_t *c = (rest_catalog_t *)b;
  memset(out, 0, sizeof *out);
  json_t *body = json_object();
  int bad = !body || json_object_set_new(body, "name", json_string(id->name)) ||
            json_object_set_new(body, "metadata-location", json_string(metadata_location));
  char *path = ns_path(id, "/register");
  if (bad || !path) {
    json_decref(body);
    free(path);
    return oom(err);
  }
  call_t k = {.method = "POST", .path = path, .body = body, .kind = K_WRITE, .conflict_code = PRESTIGE_EEXISTS, .vended = true};
  int rc = do_call(c, &k, err);
  if (!rc) rc = load_result(c, &k, out, err);
  json_decref(body);
  free(path);
  return rc;
}

static void r_destroy(ice_catalog_t *b) {
  rest_catalog_t *c = (rest_catalog_t *)b;
  http_client_free(c->http);
  free(c->root);
  free(c->prefix);
  free(c->warehouse_arg);
  ice_strmap_release(&c->props);
  for (size_t i = 0; i < c->n_endpoints; i++) free(c->endpoints[i]);
  free(c->endpoints);
  free_strs(c->hdr, c->n_hdr);
  if (c->token) explicit_bzero(c->token, strlen(c->token));
  free(c->token);
  free(c->client_id);
  if (c->client_secret) explicit_bzero(c->client_secret, strlen(c->client_secret));
  free(c->client_secret);
  free(c->scope);
  free(c->oauth_uri);
  free(c->signing_name);
  free(c->signing_region);
  if (c->have_aws) aws_config_release(&c->aws);
  pthread_mutex_destroy(&c->mu);
  ice_catalog_base_release(&c->base);
  free(c);
}

static const ice_catalog_ops_t rest_ops = {
    .kind = "rest",
    .namespace_exists = r_ns_exists,
    .table_exists = r_table_exists,
    .namespace_create = r_ns_create,
    .namespace_list = r_ns_list,
    .namespace_load = r_ns_load,
    .namespace_update = r_ns_update,
    .namespace_drop = r_ns_drop,
    .table_list = r_table_list,
    .table_load = r_table_load,
    .table_create = r_table_create,
    .table_commit = r_table_commit,
    .transaction_commit = r_transaction_commit,
    .table_rename = r_table_rename,
    .table_drop = r_table_drop,
    .table_register = r_table_register,
    .destroy = r_destroy,
};

/* ---- config ---------------------------------------------------------------------------------------- */

static int merge_obj(ice_strmap_t *m, const json_t *o) {
  const char *k;
  json_t *v;
  if (!json_is_object(o)) return 0;
  json_object_foreach((json_t *)o, k, v) {
    if (json_is_string(v) && ice_strmap_set(m, k, json_string_value(v))) return -1;
  }
  return 0;
}

/* An ISO-8601 duration (PnDTnHnMnS, fractions of seconds allowed; weeks PnW) in ms; -1 if malformed. */
static int64_t iso_duration_ms(const char *s) {
  if (*s != 'P' || !s[1]) return -1;
  const char *p = s + 1;
  bool in_time = false, any = false;
  double ms = 0;
  while (*p) {
    if (*p == 'T') {
      if (in_time || !p[1]) return -1;
      in_time = true;
      p++;
      continue;
    }
    char *end;
    double v = strtod(p, &end);
    if (end == p || v < 0 || !*end) return -1;
    double unit;
    switch (*end) {
      case 'W': unit = in_time ? -1 : 7 * 86400e3; break;
      case 'D': unit = in_time ? -1 : 86400e3; break;
      case 'H': unit = in_time ? 3600e3 : -1; break;
      case 'M': unit = in_time ? 60e3 : -1; break; /* months are not a fixed length */
      case 'S': unit = in_time ? 1e3 : -1; break;
      default: unit = -1;
    }
    if (unit < 0) return -1;
    ms += v * unit;
    any = true;
    p = end + 1;
  }
  if (!any || ms > 9e15) return -1;
  return (int64_t)ms;
}

/* An endpoint the config names: absolute as is, else relative to the catalog URI. malloc'd. */
static char *resolve_uri(rest_catalog_t *c, const char *u) {
  if (strstr(u, "://")) return strdup(u);
  while (*u == '/') u++;
  size_t n = strlen(c->root) + strlen(u) + 2;
  char *r = malloc(n);
  if (r) snprintf(r, n, "%s/%s", c->root, u);
  return r;
}

static int load_config(rest_catalog_t *c, const prestige_iceberg_catalog_options_t *o, prestige_error_t *err) {
  char *q = NULL;
  if (c->warehouse_arg) {
    char *e = ice_rest_pct_encode(c->warehouse_arg);
    if (!e) return oom(err);
    size_t n = strlen(e) + 16;
    if ((q = malloc(n))) snprintf(q, n, "warehouse=%s", e);
    free(e);
    if (!q) return oom(err);
  }
  call_t k = {.method = "GET", .path = "/config", .no_prefix = true, .query = q, .kind = K_READ};
  int rc = do_call(c, &k, err);
  if (rc && c->client_id && !c->oauth_uri && c->token_missing) {
    /* the default token endpoint refused: the config may name another (oauth2-server-uri) */
    prestige_error_t e2;
    prestige_error_init(&e2);
    call_t k2 = {.method = "GET", .path = "/config", .no_prefix = true, .query = q, .kind = K_READ, .no_auth = true};
    if (!do_call(c, &k2, &e2)) {
      json_t *d = json_object_get(k2.out, "defaults"), *ov = json_object_get(k2.out, "overrides");
      if (json_string_value(json_object_get(ov, "oauth2-server-uri")) || json_string_value(json_object_get(d, "oauth2-server-uri"))) {
        k = k2;
        rc = 0;
      } else json_decref(k2.out);
    }
  }
  free(q);
  if (rc) {
    if (err) prestige_error_prefix(err, "connecting to the REST catalog");
    return rc;
  }
  if (!json_is_object(k.out)) {
    json_decref(k.out);
    return prestige_error_set(err, PRESTIGE_EHTTP, "REST catalog %s: GET /v1/config: the response is not a JSON object", c->root);
  }
  ice_strmap_t m = {0};
  int bad = merge_obj(&m, json_object_get(k.out, "defaults"));
  for (int64_t i = 0; !bad && i < o->n_properties; i++) bad = ice_strmap_set(&m, o->properties[i].key, o->properties[i].value);
  if (!bad) bad = merge_obj(&m, json_object_get(k.out, "overrides"));
  const json_t *eps = json_object_get(k.out, "endpoints");
  if (!bad && json_is_array(eps)) {
    c->have_endpoints = true;
    size_t i;
    const json_t *e;
    c->endpoints = calloc(json_array_size(eps) + 1, sizeof(char *));
    bad = !c->endpoints;
    json_array_foreach(eps, i, e) {
      if (bad) break;
      const char *s = json_string_value(e);
      if (s && !(c->endpoints[c->n_endpoints++] = strdup(s))) bad = 1;
    }
  }
  const char *life = json_string_value(json_object_get(k.out, "idempotency-key-lifetime"));
  if (!bad && life) {
    c->idem_lifetime_ms = iso_duration_ms(life);
    if (c->idem_lifetime_ms < 0) {
      int r = prestige_error_set(err, PRESTIGE_EHTTP, "REST catalog %s: GET /v1/config: idempotency-key-lifetime \"%.64s\" is not an ISO-8601 duration",
                                 c->root, life);
      json_decref(k.out);
      ice_strmap_release(&m);
      return r;
    }
  }
  json_decref(k.out);
  if (bad) {
    ice_strmap_release(&m);
    return oom(err);
  }
  c->props = m;
  const char *prefix = ice_strmap_get(&m, "prefix");
  if (prefix && *prefix) {
    /* the prefix may hold slashes (Java keeps them); encode each segment */
    buf_t b = BUF_INIT;
    const char *p = prefix;
    int r = 0;
    while (!r && *p) {
      const char *s = strchr(p, '/');
      size_t len = s ? (size_t)(s - p) : strlen(p);
      char *seg = strndup(p, len), *e = seg ? ice_rest_pct_encode(seg) : NULL;
      if (!e) r = -1;
      else {
        if (b.len) r = buf_append_u8(&b, '/');
        if (!r) r = buf_append(&b, e, strlen(e));
      }
      free(seg);
      free(e);
      p += len;
      if (*p == '/') p++;
    }
    if (!r) r = buf_append_u8(&b, 0);
    if (r) {
      buf_release(&b);
      return oom(err);
    }
    c->prefix = (char *)buf_detach(&b, NULL);
  }
  const char *ps = ice_strmap_get(&m, "rest-page-size");
  if (ps) c->page_size = atoi(ps);
  const char *ou = c->oauth_uri_given ? NULL : ice_strmap_get(&m, "oauth2-server-uri");
  if (ou && *ou) {
    char *abs = resolve_uri(c, ou);
    if (!abs) return oom(err);
    free(c->oauth_uri);
    c->oauth_uri = abs;
  }
  return 0;
}

int ice_catalog_rest_open(const prestige_iceberg_catalog_options_t *o, prestige_s3_client_t *s3, ice_catalog_t **out,
                          prestige_error_t *err);

int ice_catalog_rest_open(const prestige_iceberg_catalog_options_t *o, prestige_s3_client_t *s3, ice_catalog_t **out,
                          prestige_error_t *err) {
  *out = NULL;
  rest_catalog_t *c = calloc(1, sizeof *c);
  if (!c) return oom(err);
  pthread_mutex_init(&c->mu, NULL);
  int rc = ice_catalog_base_init(&c->base, &rest_ops, o->name, NULL, o->uri, s3, err);
  if (rc) {
    pthread_mutex_destroy(&c->mu);
    free(c);
    return rc;
  }
  c->timeout_ms = o->request_timeout_ms > 0 ? o->request_timeout_ms : 30000;
  size_t n = strlen(o->uri);
  while (n > 8 && o->uri[n - 1] == '/') n--;
  if (!(c->root = strndup(o->uri, n))) rc = oom(err);
  if (!rc && o->warehouse && !(c->warehouse_arg = strdup(o->warehouse))) rc = oom(err);
  if (!rc && o->token && !(c->token = strdup(o->token))) rc = oom(err);
  if (!rc && o->credential) {
    const char *colon = strchr(o->credential, ':');
    if (!(c->client_id = strndup(o->credential, (size_t)(colon - o->credential))) || !(c->client_secret = strdup(colon + 1)))
      rc = oom(err);
  }
  if (!rc && o->scope && !(c->scope = strdup(o->scope))) rc = oom(err);
  const char *ouri = o->oauth2_server_uri;
  for (int64_t i = 0; !ouri && i < o->n_properties; i++)
    if (!strcmp(o->properties[i].key, "oauth2-server-uri")) ouri = o->properties[i].value;
  if (!rc && ouri && !(c->oauth_uri = strdup(ouri))) rc = oom(err);
  c->oauth_uri_given = ouri != NULL;
  for (int64_t i = 0; !rc && i < o->n_properties; i++)
    if (!strncmp(o->properties[i].key, "header.", 7) && o->properties[i].key[7] &&
        add_hdr(&c->hdr, &c->n_hdr, o->properties[i].key + 7, o->properties[i].value))
      rc = oom(err);
  c->sigv4 = o->sigv4;
  if (!rc && o->signing_name && !(c->signing_name = strdup(o->signing_name))) rc = oom(err);
  if (!rc && o->signing_region && !(c->signing_region = strdup(o->signing_region))) rc = oom(err);
  if (!rc && c->sigv4) {
    aws_config_explicit_t ex = {0};
    if (o->s3) {
      ex.profile = o->s3->profile;
      ex.region = o->s3->region;
      ex.access_key = o->s3->access_key;
      ex.secret_key = o->s3->secret_key;
      ex.session_token = o->s3->session_token;
    }
    rc = aws_config_resolve(&c->aws, &ex, err);
    if (!rc) {
      c->have_aws = true;
      if (!c->aws.access_key)
        rc = prestige_error_set(err, PRESTIGE_EAUTH, "REST catalog %s: sigv4 needs AWS credentials and none were found", c->root);
    }
  }
  if (!rc) {
    http_client_options_t ho;
    http_client_options_init(&ho);
    ho.total_timeout_ms = c->timeout_ms;
    ho.stall_timeout_ms = c->timeout_ms;
    if (ho.connect_timeout_ms > c->timeout_ms) ho.connect_timeout_ms = c->timeout_ms;
    rc = http_client_new(&c->http, &ho, err);
  }
  if (!rc) rc = load_config(c, o, err);
  if (rc) {
    r_destroy(&c->base);
    return rc;
  }
  *out = &c->base;
  return 0;
}
