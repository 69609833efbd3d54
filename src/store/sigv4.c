/* AWS Signature Version 4 (header signing); see sigv4.h. */
#include "store/sigv4.h"

#include <ctype.h>
#include <stdbool.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char HEX[] = "0123456789abcdef";
static const char HEXU[] = "0123456789ABCDEF";

static void to_hex(const unsigned char *d, size_t n, char *out) {
  for (size_t i = 0; i < n; i++) {
    out[2 * i] = HEX[d[i] >> 4];
    out[2 * i + 1] = HEX[d[i] & 15];
  }
  out[2 * n] = 0;
}

void sigv4_sha256_hex(const void *data, size_t len, char out[65]) {
  unsigned char md[32];
  unsigned int ml = 0;
  EVP_Digest(data, len, md, &ml, EVP_sha256(), NULL);
  to_hex(md, 32, out);
}

static void hmac(const void *key, size_t kl, const void *msg, size_t ml, unsigned char out[32]) {
  unsigned int ol = 32;
  HMAC(EVP_sha256(), key, (int)kl, msg, ml, out, &ol);
}

static int unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
         c == '.' || c == '~';
}

int sigv4_uri_encode(buf_t *out, const char *s, size_t n, int keep_slash) {
  if (buf_reserve(out, n * 3)) return PRESTIGE_ENOMEM;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (unreserved(c) || (keep_slash && c == '/')) {
      out->data[out->len++] = c;
    } else {
      out->data[out->len++] = '%';
      out->data[out->len++] = (uint8_t)HEXU[c >> 4];
      out->data[out->len++] = (uint8_t)HEXU[c & 15];
    }
  }
  return 0;
}

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* Percent-decodes s[0..n) into b (NUL not appended). */
static int uri_decode(buf_t *b, const char *s, size_t n, prestige_error_t *err) {
  for (size_t i = 0; i < n; i++) {
    if (s[i] == '%') {
      int h, l;
      if (i + 2 >= n || (h = hexval(s[i + 1])) < 0 || (l = hexval(s[i + 2])) < 0)
        return prestige_error_set(err, PRESTIGE_EINVAL, "SigV4: malformed %%-escape in the query");
      if (buf_append_u8(b, (uint8_t)(h << 4 | l))) return prestige_error_set(err, PRESTIGE_ENOMEM, "SigV4: out of memory");
      i += 2;
    } else if (buf_append_u8(b, (uint8_t)s[i])) {
      return prestige_error_set(err, PRESTIGE_ENOMEM, "SigV4: out of memory");
    }
  }
  return 0;
}

typedef struct kv {
  char *k, *v;
} kv_t;

static int kv_cmp(const void *a, const void *b) {
  const kv_t *x = a, *y = b;
  int c = strcmp(x->k, y->k);
  return c ? c : strcmp(x->v, y->v);
}

/* Encoded copy of s[0..n) after decoding it. */
static char *reencode(const char *s, size_t n, prestige_error_t *err, int *rc) {
  buf_t d = BUF_INIT, e = BUF_INIT;
  *rc = uri_decode(&d, s, n, err);
  if (!*rc && (sigv4_uri_encode(&e, d.len ? (const char *)d.data : "", d.len, 0) || buf_append_u8(&e, 0)))
    *rc = prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
  buf_release(&d);
  if (*rc) {
    buf_release(&e);
    return NULL;
  }
  return (char *)e.data;
}

static int canonical_query(buf_t *out, const char *q, prestige_error_t *err) {
  if (!q || !*q) return 0;
  size_t cap = 1;
  for (const char *p = q; *p; p++) cap += *p == '&';
  kv_t *kv = calloc(cap, sizeof *kv);
  if (!kv) return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
  size_t n = 0;
  int rc = 0;
  const char *p = q;
  while (!rc) {
    const char *amp = strchr(p, '&');
    size_t len = amp ? (size_t)(amp - p) : strlen(p);
    if (len) {
      const char *eq = memchr(p, '=', len);
      size_t kl = eq ? (size_t)(eq - p) : len;
      kv[n].k = reencode(p, kl, err, &rc);
      if (!rc) kv[n].v = reencode(eq ? eq + 1 : "", eq ? len - kl - 1 : 0, err, &rc);
      n++;
    }
    if (!amp) break;
    p = amp + 1;
  }
  if (!rc) {
    qsort(kv, n, sizeof *kv, kv_cmp);
    for (size_t i = 0; i < n && !rc; i++) {
      if ((i && buf_append_u8(out, '&')) || buf_append(out, kv[i].k, strlen(kv[i].k)) || buf_append_u8(out, '=') ||
          buf_append(out, kv[i].v, strlen(kv[i].v)))
        rc = prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
    }
  }
  for (size_t i = 0; i < n; i++) {
    free(kv[i].k);
    free(kv[i].v);
  }
  free(kv);
  return rc;
}

/* RFC 3986 dot-segment removal plus empty-segment removal; keeps a trailing slash. */
static int normalize(buf_t *out, const char *path) {
  size_t n = strlen(path);
  const char **seg = calloc(n + 1, sizeof *seg);
  size_t *sl = calloc(n + 1, sizeof *sl);
  if (!seg || !sl) {
    free(seg);
    free(sl);
    return PRESTIGE_ENOMEM;
  }
  size_t ns = 0;
  const char *p = path;
  while (*p) {
    while (*p == '/') p++;
    if (!*p) break;
    const char *e = strchr(p, '/');
    size_t len = e ? (size_t)(e - p) : strlen(p);
    if (len == 1 && p[0] == '.') {
    } else if (len == 2 && p[0] == '.' && p[1] == '.') {
      if (ns) ns--;
    } else {
      seg[ns] = p;
      sl[ns++] = len;
    }
    p += len;
  }
  int rc = buf_append_u8(out, '/');
  for (size_t i = 0; i < ns && !rc; i++) {
    if (i) rc = buf_append_u8(out, '/');
    if (!rc) rc = buf_append(out, seg[i], sl[i]);
  }
  if (!rc && ns && n && path[n - 1] == '/') rc = buf_append_u8(out, '/');
  free(seg);
  free(sl);
  return rc;
}

typedef struct hdr {
  char *name;  /* lower-case */
  buf_t value; /* joined, trimmed */
  size_t order;
} hdr_t;

static int hdr_cmp(const void *a, const void *b) {
  const hdr_t *x = a, *y = b;
  return strcmp(x->name, y->name);
}

/* Appends v trimmed, with runs of whitespace (including folded line breaks) collapsed. */
static int append_trimmed(buf_t *b, const char *v) {
  while (*v && isspace((unsigned char)*v)) v++;
  int pending_space = 0;
  for (; *v; v++) {
    if (isspace((unsigned char)*v)) {
      pending_space = 1;
      continue;
    }
    if (pending_space && buf_append_u8(b, ' ')) return PRESTIGE_ENOMEM;
    pending_space = 0;
    if (buf_append_u8(b, (uint8_t)*v)) return PRESTIGE_ENOMEM;
  }
  return 0;
}

void sigv4_output_free(sigv4_output_t *out) {
  if (!out) return;
  free(out->authorization);
  free(out->canonical_request);
  free(out->string_to_sign);
  out->authorization = out->canonical_request = out->string_to_sign = NULL;
}

int sigv4_sign(const sigv4_input_t *in, sigv4_output_t *out, prestige_error_t *err) {
  memset(out, 0, sizeof *out);
  if (!in->method || !*in->method) return prestige_error_set(err, PRESTIGE_EINVAL, "SigV4: missing method");
  if (!in->path || in->path[0] != '/') return prestige_error_set(err, PRESTIGE_EINVAL, "SigV4: the path must start with '/'");
  if (!in->region || !*in->region || !in->service || !*in->service)
    return prestige_error_set(err, PRESTIGE_EINVAL, "SigV4: missing region or service");
  if (!in->access_key || !*in->access_key || !in->secret_key || !*in->secret_key)
    return prestige_error_set(err, PRESTIGE_EAUTH, "SigV4: missing access key id or secret access key");
  if (!in->payload_hash || !*in->payload_hash) return prestige_error_set(err, PRESTIGE_EINVAL, "SigV4: missing payload hash");
  time_t t = (time_t)in->unix_time;
  struct tm tm;
  gmtime_r(&t, &tm);
  strftime(out->amz_date, sizeof out->amz_date, "%Y%m%dT%H%M%SZ", &tm);
  char date[9];
  memcpy(date, out->amz_date, 8);
  date[8] = 0;

  /* headers: lower-case, merge duplicates in order, add x-amz-date / token */
  size_t nh = in->n_headers + 2;
  hdr_t *h = calloc(nh, sizeof *h);
  if (!h) return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
  size_t n = 0;
  int rc = 0;
  bool have_date = false, have_token = false;
  for (size_t i = 0; i < in->n_headers + 2 && !rc; i++) {
    const char *name, *value;
    if (i < in->n_headers) {
      name = in->headers[i].name;
      value = in->headers[i].value ? in->headers[i].value : "";
      if (!name || !*name) {
        rc = prestige_error_set(err, PRESTIGE_EINVAL, "SigV4: a header has no name");
        break;
      }
    } else if (i == in->n_headers) {
      if (have_date) continue;
      name = "x-amz-date";
      value = out->amz_date;
    } else {
      if (have_token || !in->session_token || !*in->session_token) continue;
      name = "x-amz-security-token";
      value = in->session_token;
    }
    char lname[256];
    size_t ln = strlen(name);
    if (ln >= sizeof lname) {
      rc = prestige_error_set(err, PRESTIGE_EINVAL, "SigV4: header name too long");
      break;
    }
    for (size_t k = 0; k <= ln; k++) lname[k] = (char)tolower((unsigned char)name[k]);
    if (!strcmp(lname, "x-amz-date")) have_date = true;
    if (!strcmp(lname, "x-amz-security-token")) have_token = true;
    size_t j;
    for (j = 0; j < n; j++)
      if (!strcmp(h[j].name, lname)) break;
    if (j == n) {
      h[n].name = strdup(lname);
      h[n].order = n;
      if (!h[n].name) rc = prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
      n++;
    } else if (buf_append_u8(&h[j].value, ',')) {
      rc = prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
    }
    if (!rc && append_trimmed(&h[j].value, value)) rc = prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
  }
  buf_t cr = BUF_INIT, sh = BUF_INIT, sts = BUF_INIT, auth = BUF_INIT;
  if (rc) goto out;
  qsort(h, n, sizeof *h, hdr_cmp);

#define APP(b, s, l)                                                     \
  do {                                                                   \
    if (buf_append(b, s, l)) {                                           \
      rc = prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");    \
      goto out;                                                          \
    }                                                                    \
  } while (0)
#define APPS(b, s) APP(b, s, strlen(s))

  APPS(&cr, in->method);
  APP(&cr, "\n", 1);
  if (in->double_encode) {
    buf_t np = BUF_INIT;
    int r2 = in->normalize_path ? normalize(&np, in->path) : buf_append(&np, in->path, strlen(in->path));
    if (!r2) r2 = sigv4_uri_encode(&cr, (const char *)np.data, np.len, 1);
    buf_release(&np);
    if (r2) {
      rc = prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
      goto out;
    }
  } else if (in->normalize_path) {
    if (normalize(&cr, in->path)) {
      rc = prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
      goto out;
    }
  } else {
    APPS(&cr, in->path);
  }
  APP(&cr, "\n", 1);
  if ((rc = canonical_query(&cr, in->query, err))) goto out;
  APP(&cr, "\n", 1);
  for (size_t i = 0; i < n; i++) {
    APPS(&cr, h[i].name);
    APP(&cr, ":", 1);
    if (h[i].value.len) APP(&cr, h[i].value.data, h[i].value.len);
    APP(&cr, "\n", 1);
    if (i) APP(&sh, ";", 1);
    APPS(&sh, h[i].name);
  }
  APP(&cr, "\n", 1);
  APP(&cr, sh.data, sh.len);
  APP(&cr, "\n", 1);
  APPS(&cr, in->payload_hash);

  char cr_hash[65];
  sigv4_sha256_hex(cr.data, cr.len, cr_hash);
  char scope[256];
  snprintf(scope, sizeof scope, "%s/%s/%s/aws4_request", date, in->region, in->service);
  APPS(&sts, "AWS4-HMAC-SHA256\n");
  APPS(&sts, out->amz_date);
  APP(&sts, "\n", 1);
  APPS(&sts, scope);
  APP(&sts, "\n", 1);
  APPS(&sts, cr_hash);

  {
    size_t skl = strlen(in->secret_key) + 4;
    char *k0 = malloc(skl + 1);
    if (!k0) {
      rc = prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
      goto out;
    }
    snprintf(k0, skl + 1, "AWS4%s", in->secret_key);
    unsigned char k1[32], k2[32], k3[32], k4[32], sig[32];
    hmac(k0, skl, date, 8, k1);
    explicit_bzero(k0, skl);
    free(k0);
    hmac(k1, 32, in->region, strlen(in->region), k2);
    hmac(k2, 32, in->service, strlen(in->service), k3);
    hmac(k3, 32, "aws4_request", 12, k4);
    hmac(k4, 32, sts.data, sts.len, sig);
    to_hex(sig, 32, out->signature);
    explicit_bzero(k1, 32);
    explicit_bzero(k2, 32);
    explicit_bzero(k3, 32);
    explicit_bzero(k4, 32);
  }
  APPS(&auth, "AWS4-HMAC-SHA256 Credential=");
  APPS(&auth, in->access_key);
  APP(&auth, "/", 1);
  APPS(&auth, scope);
  APPS(&auth, ", SignedHeaders=");
  APP(&auth, sh.data, sh.len);
  APPS(&auth, ", Signature=");
  APPS(&auth, out->signature);
  if (buf_append_u8(&auth, 0) || buf_append_u8(&cr, 0) || buf_append_u8(&sts, 0)) {
    rc = prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
    goto out;
  }
  out->authorization = (char *)buf_detach(&auth, NULL);
  out->canonical_request = (char *)buf_detach(&cr, NULL);
  out->string_to_sign = (char *)buf_detach(&sts, NULL);
out:
  for (size_t i = 0; i < n; i++) {
    free(h[i].name);
    buf_release(&h[i].value);
  }
  free(h);
  buf_release(&cr);
  buf_release(&sh);
  buf_release(&sts);
  buf_release(&auth);
  if (rc) sigv4_output_free(out);
  return rc;
#undef APP
#undef APPS
}
