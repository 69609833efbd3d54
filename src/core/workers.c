/* Worker pool: a FIFO of tasks, n - 1 threads and the waiting caller; see core/workers.h. */
#include "core/workers.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#include "prestige/error.h"

typedef struct task {
  struct task *next;
  workers_fn fn;
  void *arg;
  workers_group_t *g;
} task_t;

struct workers {
  pthread_mutex_t mu;
  pthread_cond_t work; /* a task was queued, or stop */
  pthread_cond_t done; /* a task finished */
  task_t *head, *tail;
  bool stop;
  int slots, n_threads;
  pthread_t *th;
  struct start {
    workers_t *w;
    int slot;
  } *starts;
};

static task_t *take(workers_t *w) {
  task_t *t = w->head;
  if (t) {
    w->head = t->next;
    if (!w->head) w->tail = NULL;
  }
  return t;
}

/* Runs t outside the lock, then marks it done (called with the lock held, returns with it held). */
static void run(workers_t *w, task_t *t, int slot) {
  pthread_mutex_unlock(&w->mu);
  t->fn(t->arg, slot);
  pthread_mutex_lock(&w->mu);
  t->g->pending--;
  free(t);
  pthread_cond_broadcast(&w->done);
}

static void *thread_main(void *p) {
  struct start *s = p;
  workers_t *w = s->w;
  pthread_mutex_lock(&w->mu);
  for (;;) {
    task_t *t = take(w);
    if (t) {
      run(w, t, s->slot);
      continue;
    }
    if (w->stop) break;
    pthread_cond_wait(&w->work, &w->mu);
  }
  pthread_mutex_unlock(&w->mu);
  return NULL;
}

workers_t *workers_new(int slots) {
  if (slots < 1) slots = 1;
  workers_t *w = calloc(1, sizeof(*w));
  if (!w) return NULL;
  w->slots = slots;
  pthread_mutex_init(&w->mu, NULL);
  pthread_cond_init(&w->work, NULL);
  pthread_cond_init(&w->done, NULL);
  int n = slots - 1;
  w->th = calloc((size_t)(n ? n : 1), sizeof(pthread_t));
  w->starts = calloc((size_t)(n ? n : 1), sizeof(*w->starts));
  if (!w->th || !w->starts) {
    workers_free(w);
    return NULL;
  }
  for (int i = 0; i < n; i++) {
    w->starts[i] = (struct start){w, i + 1};
    if (pthread_create(&w->th[i], NULL, thread_main, &w->starts[i])) {
      workers_free(w);
      return NULL;
    }
    w->n_threads++;
  }
  return w;
}

void workers_free(workers_t *w) {
  if (!w) return;
  pthread_mutex_lock(&w->mu);
  w->stop = true;
  pthread_cond_broadcast(&w->work);
  pthread_mutex_unlock(&w->mu);
  for (int i = 0; i < w->n_threads; i++) pthread_join(w->th[i], NULL);
  /* without threads (slots == 1, or a failed start) whatever is queued runs here */
  pthread_mutex_lock(&w->mu);
  for (task_t *t; (t = take(w));) run(w, t, 0);
  pthread_mutex_unlock(&w->mu);
  pthread_mutex_destroy(&w->mu);
  pthread_cond_destroy(&w->work);
  pthread_cond_destroy(&w->done);
  free(w->th);
  free(w->starts);
  free(w);
}

int workers_slots(const workers_t *w) { return w ? w->slots : 1; }

int workers_submit(workers_t *w, workers_group_t *g, workers_fn fn, void *arg) {
  task_t *t = malloc(sizeof(*t));
  if (!t) return PRESTIGE_ENOMEM;
  *t = (task_t){NULL, fn, arg, g};
  pthread_mutex_lock(&w->mu);
  g->pending++;
  if (w->tail) w->tail->next = t;
  else w->head = t;
  w->tail = t;
  pthread_cond_signal(&w->work);
  pthread_mutex_unlock(&w->mu);
  return 0;
}

void workers_wait(workers_t *w, workers_group_t *g) {
  pthread_mutex_lock(&w->mu);
  while (g->pending > 0) {
    task_t *t = take(w);
    if (t) run(w, t, 0);
    else pthread_cond_wait(&w->done, &w->mu);
  }
  pthread_mutex_unlock(&w->mu);
}
