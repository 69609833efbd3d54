/*
 * The AWS configuration an S3 client (and later a SigV4-signed REST catalog) starts from: the
 * explicit settings, then the environment, then the profile in the shared credentials and config
 * files, as the AWS CLI and SDKs resolve them.
 *
 *   region:      explicit, AWS_REGION, AWS_DEFAULT_REGION, the profile's region, "us-east-1"
 *   credentials: explicit, AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN), the
 *                profile's (credentials file, then config file); none = anonymous
 *   endpoint:    explicit, AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, the profile's endpoint_url
 *   profile:     explicit, AWS_PROFILE, else "default"
 *   files:       AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials, AWS_CONFIG_FILE or ~/.aws/config
 *
 * A profile named explicitly or by AWS_PROFILE must exist in one of the files: a typo is an
 * error naming it, never a silent fall back to anonymous requests. "default" may be absent. Half
 * a key pair (explicit or in the environment) is an error too.
 */
#ifndef PRESTIGE_STORE_AWS_CONFIG_H
#define PRESTIGE_STORE_AWS_CONFIG_H

#include <stdbool.h>

#include "prestige/error.h"

typedef struct aws_config {
  char *profile;       /* the profile consulted */
  bool profile_found;  /* it exists in one of the files */
  char *region;        /* never NULL after a successful resolve */
  char *access_key;    /* NULL = anonymous */
  char *secret_key;
  char *session_token;
  char *endpoint;      /* NULL = AWS's own */
  const char *credentials_from; /* "configuration", "environment", "profile", "none" */
} aws_config_t;

/* What the caller sets explicitly (each may be NULL). */
typedef struct aws_config_explicit {
  const char *profile;
  const char *region;
  const char *endpoint;
  const char *access_key;
  const char *secret_key;
  const char *session_token;
} aws_config_explicit_t;

/* EINVAL naming the profile and the files when an explicit profile is missing; EAUTH when only
 * half a key pair is given (explicitly or in the environment); EUNSUPPORTED when the profile gets its credentials from a source
 * prestige cannot use (credential_process, role_arn, SSO). */
int aws_config_resolve(aws_config_t *out, const aws_config_explicit_t *in, prestige_error_t *err);
/* Frees every string; the secret and the token are wiped first. */
void aws_config_release(aws_config_t *c);

#endif
