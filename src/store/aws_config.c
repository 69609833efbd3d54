/* AWS configuration from explicit settings, the environment and the shared files. */
#include "store/aws_config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *env_nonempty(const char *name) {
  const char *v = getenv(name);
  return v && *v ? v : NULL;
}

static char *dup_or_null(const char *s) { return s ? strdup(s) : NULL; }

static void wipe_free(char *s) {
  if (s) explicit_bzero(s, strlen(s));
  free(s);
}

typedef struct profile_vals {
  char *access_key, *secret_key, *session_token, *region, *endpoint;
  const char *unsupported; /* a credential source key we cannot use (static string) */
  bool found;
} profile_vals_t;

static void profile_vals_free(profile_vals_t *p) {
  free(p->access_key);
  wipe_free(p->secret_key);
  wipe_free(p->session_token);
  free(p->region);
  free(p->endpoint);
}

static char *trim(char *s) {
  while (isspace((unsigned char)*s)) s++;
  size_t n = strlen(s);
  while (n && isspace((unsigned char)s[n - 1])) s[--n] = 0;
  return s;
}

/* "[name]" in the credentials file; "[profile name]" in the config file, where the default
 * profile may also be written "[default]". */
static bool section_matches(char *name, const char *profile, bool config_style) {
  bool prefixed = !strncmp(name, "profile", 7) && isspace((unsigned char)name[7]);
  if (!config_style) return !strcmp(name, profile);
  if (prefixed) return !strcmp(trim(name + 8), profile);
  return !strcmp(profile, "default") && !strcmp(name, "default");
}

/* Reads one profile's section of an AWS INI file. A missing file is not an error; values already
 * set are kept (the credentials file is read first and wins). */
static void read_profile(const char *path, const char *profile, bool config_style, profile_vals_t *out) {
  FILE *f = fopen(path, "r");
  if (!f) return;
  char line[4096];
  bool in = false;
  while (fgets(line, sizeof line, f)) {
    char *s = trim(line);
    if (*s == '#' || *s == ';' || !*s) continue;
    if (*s == '[') {
      char *e = strchr(s, ']');
      in = false;
      if (!e) continue;
      *e = 0;
      in = section_matches(trim(s + 1), profile, config_style);
      out->found |= in;
      continue;
    }
    if (!in || isspace((unsigned char)line[0])) continue; /* nested (indented) sub-settings are skipped */
    char *eq = strchr(s, '=');
    if (!eq) continue;
    *eq = 0;
    char *k = trim(s), *v = trim(eq + 1);
    char **slot = !strcmp(k, "aws_access_key_id")       ? &out->access_key
                  : !strcmp(k, "aws_secret_access_key") ? &out->secret_key
                  : !strcmp(k, "aws_session_token")     ? &out->session_token
                  : !strcmp(k, "region")                ? &out->region
                  : !strcmp(k, "endpoint_url")          ? &out->endpoint
                                                        : NULL;
    if (slot && !*slot && *v) *slot = strdup(v);
    if (!slot && !out->unsupported) {
      static const char *const other[] = {"credential_process", "role_arn", "sso_start_url", "sso_session",
                                          "web_identity_token_file"};
      for (size_t i = 0; i < sizeof other / sizeof *other; i++)
        if (!strcmp(k, other[i])) out->unsupported = other[i];
    }
  }
  explicit_bzero(line, sizeof line);
  fclose(f);
}

static void file_path(char *dst, size_t cap, const char *env, const char *home_rel) {
  const char *p = env_nonempty(env);
  const char *home = getenv("HOME");
  if (p) snprintf(dst, cap, "%s", p);
  else if (home) snprintf(dst, cap, "%s/%s", home, home_rel);
  else dst[0] = 0;
}

void aws_config_release(aws_config_t *c) {
  if (!c) return;
  free(c->profile);
  free(c->region);
  free(c->access_key);
  wipe_free(c->secret_key);
  wipe_free(c->session_token);
  free(c->endpoint);
  memset(c, 0, sizeof *c);
}

int aws_config_resolve(aws_config_t *out, const aws_config_explicit_t *in, prestige_error_t *err) {
  memset(out, 0, sizeof *out);
  aws_config_explicit_t none = {0};
  if (!in) in = &none;
  const char *profile = in->profile;
  const char *named_by = "the configuration";
  if (!profile && (profile = env_nonempty("AWS_PROFILE"))) named_by = "AWS_PROFILE";
  bool explicit_profile = profile != NULL;
  if (!profile) profile = "default";

  char creds_path[4096], conf_path[4096];
  file_path(creds_path, sizeof creds_path, "AWS_SHARED_CREDENTIALS_FILE", ".aws/credentials");
  file_path(conf_path, sizeof conf_path, "AWS_CONFIG_FILE", ".aws/config");
  profile_vals_t pv = {0};
  if (creds_path[0]) read_profile(creds_path, profile, false, &pv);
  if (conf_path[0]) read_profile(conf_path, profile, true, &pv);
  int rc = 0;
  if (explicit_profile && !pv.found) {
    rc = prestige_error_set(err, PRESTIGE_EINVAL, "AWS profile \"%s\" (from %s) not found in %s or %s", profile, named_by,
                            creds_path[0] ? creds_path : "the credentials file", conf_path[0] ? conf_path : "the config file");
    goto fail;
  }

  const char *region = in->region ? in->region : env_nonempty("AWS_REGION");
  if (!region) region = env_nonempty("AWS_DEFAULT_REGION");
  if (!region) region = pv.region;
  if (!region) region = "us-east-1";

  const char *ak = in->access_key, *sk = in->secret_key, *tok = in->session_token;
  out->credentials_from = "configuration";
  if (!ak && !sk) {
    ak = env_nonempty("AWS_ACCESS_KEY_ID");
    sk = env_nonempty("AWS_SECRET_ACCESS_KEY");
    tok = env_nonempty("AWS_SESSION_TOKEN");
    out->credentials_from = "environment";
    if ((ak && !sk) || (!ak && sk)) { /* as botocore: half a pair in the environment is a mistake, not "no keys" */
      rc = prestige_error_set(err, PRESTIGE_EAUTH, "S3 credentials incomplete: %s is set without %s",
                              ak ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY", ak ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID");
      goto fail;
    }
    if (!ak) {
      ak = pv.access_key;
      sk = pv.secret_key;
      tok = pv.session_token;
      out->credentials_from = ak || sk ? "profile" : "none";
    }
  }
  if ((ak && !sk) || (!ak && sk)) {
    rc = prestige_error_set(err, PRESTIGE_EAUTH, "S3 credentials incomplete: %s given without %s (from %s%s%s)",
                            ak ? "an access key id" : "a secret access key", ak ? "a secret access key" : "an access key id",
                            out->credentials_from, !strcmp(out->credentials_from, "profile") ? " " : "",
                            !strcmp(out->credentials_from, "profile") ? profile : "");
    goto fail;
  }
  if (!ak && pv.unsupported) {
    rc = prestige_error_set(err, PRESTIGE_EUNSUPPORTED,
                            "AWS profile \"%s\" gets its credentials through %s, which prestige does not support; "
                            "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (e.g. from `aws configure export-credentials`)",
                            profile, pv.unsupported);
    goto fail;
  }
  const char *ep = in->endpoint ? in->endpoint : env_nonempty("AWS_ENDPOINT_URL_S3");
  if (!ep) ep = env_nonempty("AWS_ENDPOINT_URL");
  if (!ep) ep = pv.endpoint;

  out->profile = strdup(profile);
  out->profile_found = pv.found;
  out->region = strdup(region);
  out->access_key = dup_or_null(ak);
  out->secret_key = dup_or_null(sk);
  out->session_token = dup_or_null(tok);
  out->endpoint = dup_or_null(ep);
  if (!out->profile || !out->region || (ak && !out->access_key) || (sk && !out->secret_key) ||
      (tok && !out->session_token) || (ep && !out->endpoint)) {
    rc = prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
    goto fail;
  }
  profile_vals_free(&pv);
  return 0;
fail:
  profile_vals_free(&pv);
  aws_config_release(out);
  return rc;
}
