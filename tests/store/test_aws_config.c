/* AWS configuration: explicit settings, environment, AWS_PROFILE with the credentials and config
 * files, endpoints; a named profile that does not exist is an error naming it (never anonymous
 * requests), as is one whose credentials come from a source prestige cannot follow. */
#include <stdio.h>
#include <stdlib.h>

#include "prestige/s3.h"
#include "store/aws_config.h"
#include "test.h"

static char creds[1100], conf[1100];

static void clear_env(void) {
  const char *vars[] = {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_REGION", "AWS_DEFAULT_REGION",
                        "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_PROFILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE"};
  for (size_t i = 0; i < sizeof vars / sizeof *vars; i++) unsetenv(vars[i]);
}

static void write_file(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  fputs(text, f);
  fclose(f);
}

TEST(sources_in_order) {
  prestige_error_t err;
  aws_config_t c;
  clear_env();
  setenv("HOME", test_tmpdir(), 1); /* no ~/.aws here */
  CHECK_OK(aws_config_resolve(&c, NULL, &err));
  CHECK_EQ_STR(c.region, "us-east-1");
  CHECK(c.access_key == NULL && c.endpoint == NULL && !c.profile_found);
  CHECK_EQ_STR(c.credentials_from, "none");
  aws_config_release(&c);

  write_file(creds, "# comment\n[default]\naws_access_key_id = DEFAULTKEY\naws_secret_access_key = defaultsecret\n\n"
                    "[ci]\naws_access_key_id=CIKEY\naws_secret_access_key=cisecret\naws_session_token = citoken\n"
                    "[roles]\nrole_arn = arn:aws:iam::123456789012:role/x\nsource_profile = default\n");
  write_file(conf, "[default]\nregion = eu-west-1\n[profile ci]\nregion = ap-south-1\nendpoint_url = http://127.0.0.1:9000\n"
                   "s3 =\n  addressing_style = path\n[profile only-config]\nregion = sa-east-1\n"
                   "aws_access_key_id = CFGKEY\naws_secret_access_key = cfgsecret\n");
  setenv("AWS_SHARED_CREDENTIALS_FILE", creds, 1);
  setenv("AWS_CONFIG_FILE", conf, 1);
  CHECK_OK(aws_config_resolve(&c, NULL, &err)); /* the default profile */
  CHECK_EQ_STR(c.access_key, "DEFAULTKEY");
  CHECK_EQ_STR(c.region, "eu-west-1");
  CHECK_EQ_STR(c.credentials_from, "profile");
  aws_config_release(&c);
  setenv("AWS_PROFILE", "ci", 1);
  CHECK_OK(aws_config_resolve(&c, NULL, &err));
  CHECK_EQ_STR(c.profile, "ci");
  CHECK_EQ_STR(c.access_key, "CIKEY");
  CHECK_EQ_STR(c.secret_key, "cisecret");
  CHECK_EQ_STR(c.session_token, "citoken");
  CHECK_EQ_STR(c.region, "ap-south-1");
  CHECK_EQ_STR(c.endpoint, "http://127.0.0.1:9000");
  aws_config_release(&c);
  /* the environment beats the profile, explicit settings beat both */
  setenv("AWS_ACCESS_KEY_ID", "ENVKEY", 1);
  setenv("AWS_SECRET_ACCESS_KEY", "envsecret", 1);
  setenv("AWS_REGION", "us-west-2", 1);
  setenv("AWS_ENDPOINT_URL", "http://env:1", 1);
  CHECK_OK(aws_config_resolve(&c, NULL, &err));
  CHECK_EQ_STR(c.access_key, "ENVKEY");
  CHECK(c.session_token == NULL); /* not the profile's token with the environment's key */
  CHECK_EQ_STR(c.region, "us-west-2");
  CHECK_EQ_STR(c.endpoint, "http://env:1");
  CHECK_EQ_STR(c.credentials_from, "environment");
  aws_config_release(&c);
  setenv("AWS_ENDPOINT_URL_S3", "http://s3-specific:2", 1);
  aws_config_explicit_t ex = {.region = "eu-central-1", .access_key = "AK", .secret_key = "SK"};
  CHECK_OK(aws_config_resolve(&c, &ex, &err));
  CHECK_EQ_STR(c.access_key, "AK");
  CHECK_EQ_STR(c.region, "eu-central-1");
  CHECK_EQ_STR(c.endpoint, "http://s3-specific:2");
  CHECK_EQ_STR(c.credentials_from, "configuration");
  aws_config_release(&c);
  clear_env();
  setenv("AWS_SHARED_CREDENTIALS_FILE", creds, 1);
  setenv("AWS_CONFIG_FILE", conf, 1);
  /* a profile only in the config file */
  ex = (aws_config_explicit_t){.profile = "only-config"};
  CHECK_OK(aws_config_resolve(&c, &ex, &err));
  CHECK_EQ_STR(c.access_key, "CFGKEY");
  CHECK_EQ_STR(c.region, "sa-east-1");
  aws_config_release(&c);
}

TEST(missing_or_unusable_profiles) {
  prestige_error_t err;
  aws_config_t c;
  clear_env();
  setenv("AWS_SHARED_CREDENTIALS_FILE", creds, 1);
  setenv("AWS_CONFIG_FILE", conf, 1);
  setenv("AWS_PROFILE", "nope", 1);
  CHECK_ERR(aws_config_resolve(&c, NULL, &err), PRESTIGE_EINVAL, "AWS profile \"nope\" (from AWS_PROFILE) not found in");
  CHECK(strstr(err.message, creds) != NULL && strstr(err.message, conf) != NULL);
  /* even with credentials in the environment: a typo in the profile is not ignored */
  setenv("AWS_ACCESS_KEY_ID", "ENVKEY", 1);
  setenv("AWS_SECRET_ACCESS_KEY", "envsecret", 1);
  CHECK_ERR(aws_config_resolve(&c, NULL, &err), PRESTIGE_EINVAL, "\"nope\"");
  unsetenv("AWS_ACCESS_KEY_ID");
  unsetenv("AWS_SECRET_ACCESS_KEY");
  /* through the public API too, with no request made */
  prestige_s3_client_t *cl = NULL;
  CHECK_ERR(prestige_s3_new_client(&cl, NULL, NULL, NULL, NULL, &err), PRESTIGE_EINVAL, "AWS profile \"nope\"");
  CHECK(cl == NULL);
  unsetenv("AWS_PROFILE");
  prestige_s3_config_t cfg;
  prestige_s3_config_init(&cfg);
  cfg.profile = "typo";
  CHECK_ERR(prestige_s3_client_new(&cl, &cfg, &err), PRESTIGE_EINVAL, "AWS profile \"typo\" (from the configuration)");
  /* no files at all: the default profile may be absent, a named one may not */
  setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials", 1);
  setenv("AWS_CONFIG_FILE", "/nonexistent/config", 1);
  CHECK_OK(aws_config_resolve(&c, NULL, &err));
  aws_config_release(&c);
  setenv("AWS_PROFILE", "default", 1);
  CHECK_ERR(aws_config_resolve(&c, NULL, &err), PRESTIGE_EINVAL, "/nonexistent/credentials or /nonexistent/config");
  /* credentials from a role or a process: said, not silently anonymous */
  setenv("AWS_SHARED_CREDENTIALS_FILE", creds, 1);
  setenv("AWS_PROFILE", "roles", 1);
  CHECK_ERR(aws_config_resolve(&c, NULL, &err), PRESTIGE_EUNSUPPORTED, "role_arn");
  /* half a key pair */
  clear_env();
  setenv("HOME", test_tmpdir(), 1);
  setenv("AWS_ACCESS_KEY_ID", "ONLYKEY", 1);
  aws_config_explicit_t ex = {0};
  CHECK_ERR(aws_config_resolve(&c, &ex, &err), PRESTIGE_EAUTH, "AWS_ACCESS_KEY_ID is set without AWS_SECRET_ACCESS_KEY");
  CHECK(strstr(err.message, "ONLYKEY") == NULL);
  clear_env();
}

TEST_MAIN(
  snprintf(creds, sizeof creds, "%s/credentials", test_tmpdir());
  snprintf(conf, sizeof conf, "%s/config", test_tmpdir());
  RUN(sources_in_order);
  RUN(missing_or_unusable_profiles);
)
