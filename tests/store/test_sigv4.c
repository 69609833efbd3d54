/* SigV4: every header-signing case of AWS's test suite, byte for byte, and agreement with
 * botocore's S3 signer on random requests. */
#include <dirent.h>
#include <stdbool.h>
#include <jansson.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/buf.h"
#include "store/sigv4.h"
#include "test.h"

static char *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  buf_t b = BUF_INIT;
  char tmp[4096];
  size_t n;
  while ((n = fread(tmp, 1, sizeof tmp, f)) > 0) buf_append(&b, tmp, n);
  fclose(f);
  buf_append_u8(&b, 0);
  if (len) *len = b.len - 1;
  return (char *)b.data;
}

static int64_t parse_iso(const char *s) {
  struct tm tm;
  memset(&tm, 0, sizeof tm);
  int y, mo, d, H, M, S;
  if (sscanf(s, "%d-%d-%dT%d:%d:%d", &y, &mo, &d, &H, &M, &S) != 6) return -1;
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = H;
  tm.tm_min = M;
  tm.tm_sec = S;
  return (int64_t)timegm(&tm);
}

static int run_case(const char *dir, const char *name) {
  char p[2048];
  snprintf(p, sizeof p, "%s/%s/request.txt", dir, name);
  size_t rlen;
  char *req = slurp(p, &rlen);
  snprintf(p, sizeof p, "%s/%s/context.json", dir, name);
  json_error_t je;
  json_t *ctx = json_load_file(p, 0, &je);
  snprintf(p, sizeof p, "%s/%s/header-canonical-request.txt", dir, name);
  char *want_cr = slurp(p, NULL);
  snprintf(p, sizeof p, "%s/%s/header-string-to-sign.txt", dir, name);
  char *want_sts = slurp(p, NULL);
  snprintf(p, sizeof p, "%s/%s/header-signature.txt", dir, name);
  char *want_sig = slurp(p, NULL);
  CHECK_MSG(req && ctx && want_cr && want_sts && want_sig, "case %s: missing files", name);
  if (!req || !ctx || !want_cr || !want_sts || !want_sig) return 0;
  /* request line */
  char *save = NULL;
  char *body = strstr(req, "\n\n");
  size_t body_len = 0;
  if (body) {
    *body = 0;
    body += 2;
    body_len = rlen - (size_t)(body - req);
  }
  char *line = strtok_r(req, "\n", &save);
  char method[16], target[1024];
  sscanf(line, "%15s %1023s", method, target);
  /* the path may contain a space ("GET /example space/ HTTP/1.1"): take everything up to " HTTP/" */
  char *sp = strchr(line, ' ');
  char *http = strstr(line, " HTTP/");
  size_t tl = (size_t)(http - sp - 1);
  memcpy(target, sp + 1, tl);
  target[tl] = 0;
  char *q = strchr(target, '?');
  if (q) *q++ = 0;
  sigv4_header_t hdrs[32];
  char *names[32], *values[32];
  size_t nh = 0;
  for (line = strtok_r(NULL, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    if ((line[0] == ' ' || line[0] == '\t') && nh) { /* folded continuation */
      size_t ol = strlen(values[nh - 1]);
      values[nh - 1] = realloc(values[nh - 1], ol + strlen(line) + 2);
      sprintf(values[nh - 1] + ol, "\n%s", line);
      continue;
    }
    char *c = strchr(line, ':');
    if (!c || nh == 30) continue;
    names[nh] = strndup(line, (size_t)(c - line));
    values[nh] = strdup(c + 1);
    nh++;
  }
  char body_hash[65];
  sigv4_sha256_hex(body ? body : "", body_len, body_hash);
  if (json_is_true(json_object_get(ctx, "sign_body"))) {
    names[nh] = strdup("X-Amz-Content-Sha256");
    values[nh] = strdup(body_hash);
    nh++;
  }
  for (size_t i = 0; i < nh; i++) hdrs[i] = (sigv4_header_t){names[i], values[i]};
  json_t *cred = json_object_get(ctx, "credentials");
  const char *token = json_string_value(json_object_get(cred, "token"));
  if (json_is_true(json_object_get(ctx, "omit_session_token"))) token = NULL;
  sigv4_input_t in = {.method = method,
                      .path = target,
                      .query = q,
                      .headers = hdrs,
                      .n_headers = nh,
                      .payload_hash = body_hash,
                      .access_key = json_string_value(json_object_get(cred, "access_key_id")),
                      .secret_key = json_string_value(json_object_get(cred, "secret_access_key")),
                      .session_token = token,
                      .region = json_string_value(json_object_get(ctx, "region")),
                      .service = json_string_value(json_object_get(ctx, "service")),
                      .unix_time = parse_iso(json_string_value(json_object_get(ctx, "timestamp"))),
                      .normalize_path = json_is_true(json_object_get(ctx, "normalize")),
                      .double_encode = 1};
  sigv4_output_t out;
  prestige_error_t err;
  CHECK_OK(sigv4_sign(&in, &out, &err));
  int ok = 0;
  if (out.canonical_request) {
    ok = !strcmp(out.canonical_request, want_cr) && !strcmp(out.string_to_sign, want_sts) &&
         !strncmp(out.signature, want_sig, 64);
    CHECK_MSG(ok, "case %s:\n--- got canonical request:\n%s\n--- want:\n%s\n--- sig %s want %s", name,
              out.canonical_request, want_cr, out.signature, want_sig);
  }
  sigv4_output_free(&out);
  for (size_t i = 0; i < nh; i++) {
    free(names[i]);
    free(values[i]);
  }
  json_decref(ctx);
  free(req);
  free(want_cr);
  free(want_sts);
  free(want_sig);
  return ok;
}

TEST(aws_test_suite) {
  char dir[1024];
  snprintf(dir, sizeof dir, "%s/../shared/sigv4-test-suite", test_root());
  DIR *d = opendir(dir);
  CHECK_MSG(d != NULL, "the SigV4 test suite is missing at %s", dir);
  if (!d) return;
  int cases = 0, passed = 0;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    char p[2048];
    snprintf(p, sizeof p, "%s/%s/header-signature.txt", dir, e->d_name);
    struct stat sb;
    if (stat(p, &sb) != 0) continue;
    cases++;
    passed += run_case(dir, e->d_name);
  }
  closedir(d);
  printf("AWS SigV4 suite: %d of %d header-signing cases identical\n", passed, cases);
  CHECK(cases >= 30);
  CHECK_EQ_INT(passed, cases);
}

TEST(botocore_agreement) {
  char cmd[2048];
  /* Debian's python3-botocore lives with /usr/bin/python3 (another python3 may come first in PATH) */
  const char *py = access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3";
  snprintf(cmd, sizeof cmd, "%s '%s/tests/store/botocore_sign.py' --count 400 --seed 7", py, test_root());
  FILE *f = popen(cmd, "r");
  CHECK(f != NULL);
  if (!f) return;
  char *line = NULL;
  size_t cap = 0;
  int n = 0, same = 0;
  while (getline(&line, &cap, f) > 0) {
    json_error_t je;
    json_t *j = json_loads(line, 0, &je);
    CHECK(j != NULL);
    if (!j) continue;
    json_t *hs = json_object_get(j, "headers");
    size_t nh = json_array_size(hs);
    sigv4_header_t hdrs[32];
    for (size_t i = 0; i < nh && i < 32; i++)
      hdrs[i] = (sigv4_header_t){json_string_value(json_array_get(json_array_get(hs, i), 0)),
                                 json_string_value(json_array_get(json_array_get(hs, i), 1))};
    sigv4_input_t in = {.method = json_string_value(json_object_get(j, "method")),
                        .path = json_string_value(json_object_get(j, "path")),
                        .query = json_string_value(json_object_get(j, "query")),
                        .headers = hdrs,
                        .n_headers = nh,
                        .payload_hash = json_string_value(json_object_get(j, "payload_hash")),
                        .access_key = json_string_value(json_object_get(j, "access_key")),
                        .secret_key = json_string_value(json_object_get(j, "secret_key")),
                        .session_token = json_string_value(json_object_get(j, "session_token")),
                        .region = json_string_value(json_object_get(j, "region")),
                        .service = "s3",
                        .unix_time = json_integer_value(json_object_get(j, "unix_time")),
                        .normalize_path = 0,
                        .double_encode = 0};
    sigv4_output_t out;
    prestige_error_t err;
    CHECK_OK(sigv4_sign(&in, &out, &err));
    const char *want = json_string_value(json_object_get(j, "signature"));
    bool ok = out.authorization && !strcmp(out.signature, want) &&
              !strcmp(out.authorization, json_string_value(json_object_get(j, "authorization")));
    CHECK_MSG(ok, "request %d differs from botocore:\n--- prestige:\n%s\n--- botocore:\n%s", n,
              out.canonical_request ? out.canonical_request : "(none)",
              json_string_value(json_object_get(j, "canonical_request")));
    same += ok;
    n++;
    sigv4_output_free(&out);
    json_decref(j);
  }
  free(line);
  CHECK_EQ_INT(pclose(f), 0);
  printf("botocore S3SigV4Auth: %d of %d random requests signed identically\n", same, n);
  CHECK_EQ_INT(n, 400);
  CHECK_EQ_INT(same, n);
}

TEST(units) {
  char h[65];
  sigv4_sha256_hex("", 0, h);
  CHECK_EQ_STR(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  buf_t b = BUF_INIT;
  sigv4_uri_encode(&b, "a b/c~d+e=f%é", strlen("a b/c~d+e=f%é"), 1);
  buf_append_u8(&b, 0);
  CHECK_EQ_STR((char *)b.data, "a%20b/c~d%2Be%3Df%25%C3%A9");
  b.len = 0;
  sigv4_uri_encode(&b, "a/b", 3, 0);
  buf_append_u8(&b, 0);
  CHECK_EQ_STR((char *)b.data, "a%2Fb");
  buf_release(&b);
  prestige_error_t err;
  sigv4_output_t out;
  sigv4_header_t hh[1] = {{"host", "x"}};
  sigv4_input_t in = {.method = "GET", .path = "/", .headers = hh, .n_headers = 1, .payload_hash = "UNSIGNED-PAYLOAD",
                      .access_key = "AKID", .secret_key = "SUPERSECRETVALUE", .region = "us-east-1", .service = "s3"};
  in.secret_key = NULL;
  CHECK_ERR(sigv4_sign(&in, &out, &err), PRESTIGE_EAUTH, "secret access key");
  in.secret_key = "SUPERSECRETVALUE";
  in.query = "a=%zz";
  CHECK_ERR(sigv4_sign(&in, &out, &err), PRESTIGE_EINVAL, "escape");
  CHECK(strstr(err.message, "SUPERSECRET") == NULL);
  in.query = "b=2&a=1&a=0&c";
  in.session_token = "TOKENVALUE";
  CHECK_OK(sigv4_sign(&in, &out, &err));
  CHECK(strstr(out.canonical_request, "\na=0&a=1&b=2&c=\n") != NULL);
  CHECK(strstr(out.canonical_request, "x-amz-security-token:TOKENVALUE\n") != NULL);
  CHECK(strstr(out.authorization, "SUPERSECRET") == NULL);
  CHECK(strstr(out.authorization, "SignedHeaders=host;x-amz-date;x-amz-security-token,") != NULL);
  sigv4_output_free(&out);
}

TEST_MAIN(RUN(units); RUN(aws_test_suite); RUN(botocore_agreement);)
