/*
 * The file sink's parts (private to src/sink): sink.c (the sink thread, the current file, open,
 * close and clients), sink_manifest.c (files pending for a commit, their uploads and the commit's
 * manifest), sink_recovery.c (checkpoint slots of the current file and the recovery at open).
 */
#ifndef PRESTIGE_SINK_INTERNAL_H
#define PRESTIGE_SINK_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "core/arena.h"
#include "records/stage.h"
#include "core/queue.h"
#include "prestige/sink.h"

enum { MSG_BATCH, MSG_COMMIT, MSG_CLOSE, MSG_CHECKPOINT };

typedef struct reply {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  bool done;
  int rc;
  prestige_error_t err;
  prestige_sink_manifest_t m;
} reply_t;

typedef struct msg {
  int kind;
  struct ArrowArray batch;
  reply_t *reply;
} msg_t;

/* A rotated file handed to the finisher thread: its writer is closed (last row group, footer,
 * fsync), renamed and its directory fsync'd there, off the sink thread's path; the sink thread
 * then takes the result (pending list, on_file, upload) in rotation order. */
typedef struct sink_finishing {
  struct sink_finishing *next;
  prestige_parquet_writer_t *w;
  void *out;
  char *tmp;
  int ckpt_fd[2];
  uint64_t ckpt_seq;
  int64_t durable_rows;
  prestige_sink_file_t f; /* path: the final name; bytes set by the finisher */
  int rc;
  prestige_error_t err;
} sink_finishing_t;

/* Rotated files being finished at once (bounds the memory of writers in flight). */
enum { SINK_FINISH_MAX = 2 };

typedef struct pending {
  prestige_sink_file_t f;
  uint64_t ticket; /* 0: not submitted (or to be resubmitted) */
  bool uploaded;   /* confirmed (recovered files already in the bucket) */
} pending_t;

struct prestige_sink {
  prestige_sink_options_t o;
  char *name, *dir, *label, *ts_name;
  const prestige_record_desc_t *desc;
  struct ArrowSchema schema;
  int ts_col;
  int64_t ts_div, ts_mul; /* value * mul / div = ms */
  queue_t *q;
  pthread_t th;
  bool started;
  pthread_mutex_t run_mu;
  pthread_cond_t run_cv;
  bool running, stopped;
  size_t n_clients; /* alive clients (under run_mu): close refuses while any is */
  bool closing;     /* close has begun (under run_mu): no new clients */
  atomic_bool closed;
  int run_rc;
  prestige_error_t run_err;
  /* sink-thread state */
  prestige_parquet_writer_t *w;
  void *cur_out; /* the current file's output (owned by w), synced by checkpoints */
  char *cur_tmp, *cur_final;
  int64_t cur_opened_ms, cur_rows;
  /* checkpoints of the current file: two slot files written in turn, each holding the footer
   * that completes the file's first data_len bytes (see checkpoint_current) */
  int ckpt_fd[2];
  uint64_t ckpt_seq;
  int64_t cur_durable_rows;
  bool has_final; /* stopped by the shutdown token: its final commit's manifest, for close */
  prestige_sink_manifest_t final_man;
  bool cur_has_ts;
  int64_t cur_min_ts, cur_max_ts;
  int64_t last_ts;
  pending_t *pend;
  size_t n_pend, cap_pend;
  int fail_rc;
  prestige_error_t fail_err;
  size_t recovered, moved, deleted;
  size_t restored;        /* unfinished files finished at their checkpoint by recovery */
  /* the finisher thread (started at open, joined at free; absent when it could not start) */
  pthread_t fin_th;
  bool fin_started;
  pthread_mutex_t fin_mu;
  pthread_cond_t fin_cv;      /* work or stop, for the finisher */
  pthread_cond_t fin_done_cv; /* a file finished, for the sink thread */
  sink_finishing_t *fin_todo, *fin_todo_tail, *fin_done, *fin_done_tail;
  size_t fin_inflight; /* handed over, not yet taken back (sink thread's, read under fin_mu) */
  bool fin_stop;
  int64_t restored_rows;
};

struct prestige_sink_client {
  prestige_sink_t *sink;
  pthread_mutex_t mu;
  records_stage_t stage;
};

int sink_oom(prestige_error_t *err);
/* fsync of a directory (best effort). */
void sink_fsync_dir(const char *dir);
/* mkdir -p. */
int sink_mkdir_p(const char *path, prestige_error_t *err);
/* The timestamp of "<name>.<ts>.parquet" (tmp: ".parquet.tmp") of this sink, or -1. */
int64_t sink_parse_name(const char *fname, const char *name, bool tmp);

/* ---- the current file (sink.c) ------------------------------------------------------------------ */
/* Abandons the current file (a checkpointed one is kept for the next recovery). */
void sink_drop_file(prestige_sink_t *s);
/* Footer, fsync, rename, directory fsync; then the file is pending for the next commit. Takes
 * back every rotated file first, so pending files stay in rotation order. */
int sink_finish_file(prestige_sink_t *s, prestige_error_t *err);
/* Waits for every rotated file on the finisher and takes the results (pending list, on_file,
 * uploads; a failure becomes the sink's fail_rc). */
void sink_take_finished(prestige_sink_t *s);

/* ---- pending files, uploads and manifests (sink_manifest.c) ---------------------------------------- */
int sink_add_pending(prestige_sink_t *s, const prestige_sink_file_t *f, prestige_error_t *err);
char *sink_key_for(const prestige_sink_t *s, const char *path);
int sink_submit_upload(prestige_sink_t *s, pending_t *p, prestige_error_t *err);
/* Finishes the file (commit) or checkpoints it (checkpoint), uploads what is pending and waits
 * for it; fills the manifest. */
int sink_do_commit(prestige_sink_t *s, prestige_sink_manifest_t *m, bool finish, prestige_error_t *err);

/* ---- checkpoints and recovery (sink_recovery.c) ----------------------------------------------------- */
/* "<tmp>.ckpt0" / "<tmp>.ckpt1" */
void sink_slot_path(char *out, size_t n, const char *tmp, int k);
/* Closes the current file's checkpoint slots and removes them (tmp not NULL). */
void sink_drop_slots(prestige_sink_t *s, const char *tmp);
/* Closes two slot descriptors (set to -1) and, with tmp, removes "<tmp>.ckpt0/1". */
void sink_close_slots(int fd[2], const char *tmp);
/* Makes the current file's rows durable without finishing it. */
int sink_checkpoint_current(prestige_sink_t *s, prestige_error_t *err);
/* At open: restores, sets aside or re-uploads what an earlier run left in the directory. */
int sink_recover(prestige_sink_t *s, prestige_error_t *err);

#endif
