/* SIGINT and SIGTERM for the verbs that stop cleanly (sink, poll, convert, cp). The handler only
 * records the signal: the verb's loop, which never waits more than a fraction of a second, sees it
 * and stops through its own path (a final commit, a temporary file removed, an upload aborted). A
 * second signal ends the process at once, as a user pressing Ctrl-C twice expects. */
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

static volatile sig_atomic_t received;

static void on_signal(int sig) {
  if (received) _exit(128 + sig);
  received = sig;
}

void cli_signals_install(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0; /* no SA_RESTART: a blocking read returns EINTR and the loop looks at the flag */
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);
}

int cli_signal_received(void) { return received; }

static void *watch(void *arg) {
  cli_signal_watch_t *w = arg;
  while (!atomic_load(&w->done) && !prestige_shutdown_triggered(w->stop)) {
    if (cli_signal_received()) {
      prestige_shutdown_trigger(w->stop);
      break;
    }
    struct timespec ts = {0, 50 * 1000000L};
    nanosleep(&ts, NULL);
  }
  return NULL;
}

void cli_signal_watch_begin(cli_signal_watch_t *w, prestige_shutdown_t *stop) {
  w->stop = stop;
  atomic_store(&w->done, 0);
  w->running = stop && pthread_create(&w->th, NULL, watch, w) == 0;
}

void cli_signal_watch_end(cli_signal_watch_t *w) {
  atomic_store(&w->done, 1);
  if (w->running) pthread_join(w->th, NULL);
  w->running = false;
}

int cli_interrupted(const char *verb, const char *what) {
  int sig = received;
  fprintf(stderr, "prestige %s: stopped by %s; %s\n", verb, sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : "a signal",
          what);
  return 128 + sig;
}
