/* The streaming loop of the sink verbs: see batch_loop.h. */
#include "batch_loop.h"

#include "cli.h"

int cli_batch_loop(prestige_text_reader_t *r, cli_batch_loop_t *l, prestige_error_t *err) {
  int64_t since = 0; /* rows since the last point */
  l->stopped = false;
  for (;;) {
    if (cli_signal_received()) {
      l->stopped = true;
      return 0;
    }
    struct ArrowArray b;
    int64_t want = l->every > 0 ? l->every - since : 0;
    int rc = prestige_text_reader_next_wait(r, &b, want, 200, err);
    if (rc == PRESTIGE_ETIMEOUT) {
      if (l->after && (rc = l->after(l->ctx, err))) return rc;
      continue;
    }
    if (rc || !b.release) return rc;
    int64_t n = b.length;
    if ((rc = l->write(l->ctx, &b, err))) return rc;
    since += n;
    if (l->every > 0 && since >= l->every) {
      since = 0;
      if (l->point && (rc = l->point(l->ctx, err))) return rc;
    } else if (l->after && (rc = l->after(l->ctx, err))) {
      return rc;
    }
  }
}
