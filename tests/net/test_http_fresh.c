/*
 * A request that must not be sent twice (an Iceberg commit POST) never rides a reused
 * connection: when a server drops a kept-alive connection just as the next request arrives,
 * curl re-sends that request by itself on a new connection, unseen by our retry policy. A raw
 * server here answers the first request of a connection with keep-alive and drops the connection
 * on every later one; it counts what it receives.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/http_client.h"
#include "test.h"

static prestige_error_t err;
static int lfd;
static atomic_int posts, gets, stop_flag;

/* Reads one request (headers and a Content-Length body); 0 when the peer closed. */
static int read_request(int fd, char *method, size_t cap) {
  char buf[8192];
  size_t n = 0;
  char *end = NULL;
  while (!end) {
    ssize_t r = read(fd, buf + n, sizeof buf - 1 - n);
    if (r <= 0) return 0;
    n += (size_t)r;
    buf[n] = 0;
    end = strstr(buf, "\r\n\r\n");
  }
  size_t want = 0;
  const char *cl = strcasestr(buf, "Content-Length:");
  if (cl) want = (size_t)atol(cl + 15);
  snprintf(method, cap, "%.*s", (int)strcspn(buf, " "), buf); /* before buf is reused for the body */
  size_t have = n - (size_t)(end + 4 - buf);
  while (have < want) {
    ssize_t r = read(fd, buf, sizeof buf);
    if (r <= 0) return 0;
    have += (size_t)r;
  }
  return 1;
}

#define MAX_CONNS 64
static pthread_t conn_threads[MAX_CONNS];
static int conn_fds[MAX_CONNS];
static int n_conns;

static void *conn_main(void *ud) {
  int fd = (int)(intptr_t)ud;
  char m[16];
  for (int k = 0; read_request(fd, m, sizeof m); k++) {
    if (!strcmp(m, "POST")) atomic_fetch_add(&posts, 1);
    else atomic_fetch_add(&gets, 1);
    if (k > 0) break; /* a later request on this connection: dropped unanswered */
    const char *resp = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\n{}";
    if (write(fd, resp, strlen(resp)) < 0) break;
  }
  shutdown(fd, SHUT_RDWR);
  return NULL;
}

/* A thread per connection (curl opens a new one while the pooled one is still open). */
static void *serve(void *ud) {
  (void)ud;
  while (!atomic_load(&stop_flag) && n_conns < MAX_CONNS) {
    int fd = accept(lfd, NULL, NULL);
    if (fd < 0) continue;
    if (atomic_load(&stop_flag)) {
      close(fd);
      break;
    }
    conn_fds[n_conns] = fd;
    pthread_create(&conn_threads[n_conns], NULL, conn_main, (void *)(intptr_t)fd);
    n_conns++;
  }
  return NULL;
}

TEST(post_on_fresh_connection) {
  lfd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  CHECK(bind(lfd, (struct sockaddr *)&a, sizeof a) == 0);
  socklen_t al = sizeof a;
  getsockname(lfd, (struct sockaddr *)&a, &al);
  CHECK(listen(lfd, 8) == 0);
  pthread_t th;
  pthread_create(&th, NULL, serve, NULL);
  char url[64];
  snprintf(url, sizeof url, "http://127.0.0.1:%u/v1/x", (unsigned)ntohs(a.sin_port));
  http_client_t *hc;
  CHECK_OK(http_client_new(&hc, NULL, &err));
  http_retry_policy_t rp;
  http_retry_policy_init(&rp);
  for (int round = 0; round < 3; round++) {
    /* a GET leaves a kept-alive connection in the pool */
    buf_t out = BUF_INIT;
    http_request_t rq;
    http_request_init(&rq, "GET", url);
    rq.out.buf = &out;
    http_response_t rs;
    http_response_init(&rs);
    CHECK_OK(http_execute(hc, &rq, &rs, &rp, &err));
    CHECK_EQ_INT(rs.status, 200);
    http_response_release(&rs);
    /* the POST must not take it: on a new connection it is answered, and received once */
    int before = atomic_load(&posts);
    http_request_init(&rq, "POST", url);
    rq.has_body = true;
    rq.body.data = (const uint8_t *)"{\"a\":1}";
    rq.body.len = 7;
    rq.out.buf = &out;
    http_response_init(&rs);
    CHECK_OK(http_execute(hc, &rq, &rs, &rp, &err));
    CHECK_EQ_INT(rs.status, 200);
    CHECK_EQ_INT(atomic_load(&posts) - before, 1);
    http_response_release(&rs);
    buf_release(&out);
  }
  /* the pooled GET connection, reused, is dropped: a GET may be re-sent (idempotent) and succeeds */
  CHECK(atomic_load(&gets) >= 3);
  http_client_free(hc);
  atomic_store(&stop_flag, 1);
  shutdown(lfd, SHUT_RDWR);
  close(lfd);
  /* wake accept() if it is still blocked */
  int w = socket(AF_INET, SOCK_STREAM, 0);
  connect(w, (struct sockaddr *)&a, sizeof a);
  close(w);
  pthread_join(th, NULL);
  for (int i = 0; i < n_conns; i++) {
    shutdown(conn_fds[i], SHUT_RDWR);
    pthread_join(conn_threads[i], NULL);
    close(conn_fds[i]);
  }
}

TEST_MAIN(RUN(post_on_fresh_connection);)
