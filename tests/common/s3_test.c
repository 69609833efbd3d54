#include "s3_test.h"

#include <curl/curl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test.h"

/* Spawns node SCRIPT ARGS... with stdout on a pipe; waits for "READY <port>". */
static int spawn_ready(test_s3_t *s, char *const argv[]) {
  int fds[2];
  if (pipe(fds) != 0) return -1;
  pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    dup2(fds[1], 1);
    close(fds[0]);
    close(fds[1]);
    execvp(argv[0], argv);
    _exit(127);
  }
  close(fds[1]);
  FILE *f = fdopen(fds[0], "r");
  char line[256];
  int port = -1;
  alarm(TEST_WAIT_MS / 1000); /* node starts slowly on a loaded machine */
  while (f && fgets(line, sizeof line, f)) {
    if (sscanf(line, "READY %d", &port) == 1) break;
  }
  alarm(0);
  if (f) fclose(f); /* the child's later writes go nowhere; it writes nothing else */
  if (port <= 0) {
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    fprintf(stderr, "%s did not start\n", argv[1]);
    return -1;
  }
  s->pid = pid;
  s->port = port;
  snprintf(s->endpoint, sizeof s->endpoint, "http://127.0.0.1:%d", port);
  return 0;
}

int test_s3rver_start(test_s3_t *s, const char *buckets_csv) {
  memset(s, 0, sizeof *s);
  static int seq;
  snprintf(s->dir, sizeof s->dir, "%s/s3rver-%d", test_tmpdir(), seq++);
  char script[1024];
  snprintf(script, sizeof script, "%s/tests/common/s3rver.mjs", test_root());
  /* s3rver encrypts continuation tokens with DES, which Node 20's OpenSSL 3 keeps in its legacy provider */
  char *argv[] = {"node", "--openssl-legacy-provider", script, "--dir", s->dir, "--buckets",
                  (char *)(buckets_csv ? buckets_csv : ""), NULL};
  return spawn_ready(s, argv);
}

static void stop(test_s3_t *s) {
  if (s->pid > 0) {
    kill(s->pid, SIGTERM);
    int st;
    for (int i = 0; i < 50; i++) {
      if (waitpid(s->pid, &st, WNOHANG) == s->pid) {
        s->pid = 0;
        return;
      }
      usleep(20000);
    }
    kill(s->pid, SIGKILL);
    waitpid(s->pid, &st, 0);
    s->pid = 0;
  }
}

void test_s3rver_stop(test_s3_t *s) {
  stop(s);
  if (s->dir[0]) {
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", s->dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", s->dir);
  }
}

int test_proxy_start(test_s3_t *p, const char *upstream) {
  memset(p, 0, sizeof *p);
  char script[1024];
  snprintf(script, sizeof script, "%s/tests/common/fault_proxy.mjs", test_root());
  char *argv[] = {"node", script, "--upstream", (char *)upstream, NULL};
  return spawn_ready(p, argv);
}

void test_proxy_stop(test_s3_t *p) { stop(p); }

typedef struct { char *d; size_t n; } acc_t;
static size_t acc_write(char *p, size_t s, size_t n, void *ud) {
  acc_t *a = ud;
  char *nd = realloc(a->d, a->n + s * n + 1);
  if (!nd) return 0;
  a->d = nd;
  memcpy(a->d + a->n, p, s * n);
  a->n += s * n;
  a->d[a->n] = 0;
  return s * n;
}

static char *control(const test_s3_t *p, const char *method, const char *what, const char *body) {
  CURL *h = curl_easy_init();
  if (!h) return NULL;
  char url[256];
  snprintf(url, sizeof url, "%s/__proxy/%s", p->endpoint, what);
  acc_t a = {NULL, 0};
  curl_easy_setopt(h, CURLOPT_URL, url);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, acc_write);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &a);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  if (!strcmp(method, "POST")) curl_easy_setopt(h, CURLOPT_POSTFIELDS, body ? body : "");
  CURLcode rc = curl_easy_perform(h);
  long st = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &st);
  curl_easy_cleanup(h);
  if (rc != CURLE_OK || st != 200) {
    free(a.d);
    return NULL;
  }
  if (!a.d) a.d = strdup("");
  return a.d;
}

int test_proxy_faults(const test_s3_t *p, const char *json_rules) {
  char *r = control(p, "POST", "faults", json_rules);
  free(r);
  return r ? 0 : -1;
}

int test_proxy_reset(const test_s3_t *p) {
  char *r = control(p, "POST", "reset", "");
  free(r);
  return r ? 0 : -1;
}

char *test_proxy_get(const test_s3_t *p, const char *what) { return control(p, "GET", what, NULL); }

char *test_proxy_post(const test_s3_t *p, const char *what, const char *json_body) { return control(p, "POST", what, json_body); }
