/* IcebergSink internals shared by sink.c (clients, writer thread), sink_commit.c (commit thread,
 * catalog commits with writer-id / commit-seq) and sink_recovery.c (manifest_dir). */
#ifndef PRESTIGE_ICEBERG_SINK_INTERNAL_H
#define PRESTIGE_ICEBERG_SINK_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/queue.h"
#include "iceberg/append_internal.h"
#include "iceberg/table.h"
#include "iceberg/table_ops.h"
#include "prestige/iceberg_sink.h"

#define ISINK_WRITER_ID_KEY "prestige.writer-id"
#define ISINK_COMMIT_SEQ_KEY "prestige.commit-seq"

typedef struct isink_reply {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  bool done;
  int rc;
  prestige_error_t err;
  prestige_iceberg_sink_commit_result_t res;
  int64_t snapshot_id; /* publish */
} isink_reply_t;

enum { ISINK_JOB_DATA, ISINK_JOB_BARRIER, ISINK_JOB_PUBLISH, ISINK_JOB_END };

typedef struct isink_job {
  int kind;
  int64_t seq;
  ice_append_t *w;        /* DATA: the writer-side append, files closed (kept on disk when freed) */
  int64_t rows;
  int64_t sealed_ms;
  char *manifest_path;    /* the durable manifest (NULL without manifest_dir) */
  isink_reply_t *reply;   /* BARRIER / PUBLISH (NULL: the final commit of a shutdown) */
} isink_job_t;

struct prestige_iceberg_sink {
  prestige_iceberg_sink_options_t o;
  prestige_iceberg_table_t *table; /* catalog, ident, io; its loaded table is the writer's base */
  char *label, *branch, *manifest_dir, *writer_id;
  const prestige_record_desc_t *desc;
  struct ArrowSchema schema;
  ice_io_t *mio; /* manifest_dir (NULL without) */
  /* commit thread state */
  ice_loaded_table_t latest; /* the table after the last commit (base of the next) */
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int inflight;
  int64_t next_seq;
  queue_t *q;  /* clients -> writer thread */
  queue_t *cq; /* writer -> commit thread */
  pthread_t wth, cth;
  bool threads;
  atomic_bool closed;
  /* writer-thread state */
  ice_append_t *cur;
  int64_t cur_rows, cur_bytes, cur_opened_ms;
  int wfail_rc;
  prestige_error_t wfail_err;
  /* commit-thread state */
  int cfail_rc;
  prestige_error_t cfail_err;
  prestige_iceberg_sink_commit_result_t acc; /* acknowledged since the last barrier */
  bool has_final;
  int final_rc;
  prestige_error_t final_err;
  prestige_iceberg_sink_commit_result_t final_res;
  /* recovery */
  size_t recovered;
  int64_t recovered_rows;
};

/* The snapshot (any branch) whose summary has this writer id and commit seq, or -1. */
int64_t isink_find_committed(const ice_table_metadata_t *md, const char *writer_id, int64_t seq);
/* Highest commit seq of writer_id in md (0 when none). */
int64_t isink_max_seq(const ice_table_metadata_t *md, const char *writer_id);

/* Commits files as seq (summary writer-id / commit-seq, wap.id), on s->latest; an unknown
 * outcome is resolved by looking for the seq, a conflict retried. s->latest is current after.
 * files NULL: the writer append w's files. */
int isink_commit_files(prestige_iceberg_sink_t *s, int64_t seq, ice_append_t *w, const ice_data_file_t *files, size_t n_files,
                       int64_t *snapshot_id, int *attempts, prestige_error_t *err);
void *isink_commit_thread(void *arg);
void isink_answer(isink_reply_t *r, int rc, const prestige_error_t *e);
void isink_metric_inflight(prestige_iceberg_sink_t *s);

/* manifest_dir: writer id, durable manifests, recovery. */
int isink_recovery_open(prestige_iceberg_sink_t *s, prestige_error_t *err);
int isink_write_manifest(prestige_iceberg_sink_t *s, int64_t seq, ice_append_t *w, char **path, prestige_error_t *err);
void isink_remove_manifest(prestige_iceberg_sink_t *s, const char *path);
int isink_recover(prestige_iceberg_sink_t *s, prestige_error_t *err);

/* A copy of a loaded table (location and metadata). */
int isink_loaded_copy(const ice_loaded_table_t *src, ice_loaded_table_t *dst, prestige_error_t *err);

extern isink_job_t isink_end_job; /* ISINK_JOB_END: static, pushed without allocating */

/* Publish on the internal handle (publish.c). */
int ice_publish_branch(prestige_iceberg_table_t *t, const char *branch, int64_t *snapshot_id, prestige_error_t *err);

#endif
