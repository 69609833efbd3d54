/* Maintenance through the catalog interface: expiring snapshots (time travel to kept snapshots
 * still works, files only expired snapshots reached are gone, nothing reachable is deleted:
 * checked by listing the store), orphan removal, manifest rewrites, and the compaction
 * scheduler stopping on the shutdown token. */
#include <pthread.h>
#include <sys/stat.h>
#include <utime.h>

#include "iceberg/maintenance.h"
#include "iceberg/rewrite.h"
#include "table_util.h"

static prestige_error_t err;

static const char *KEYED =
    "{\"type\":\"struct\",\"schema-id\":0,\"identifier-field-ids\":[1],\"fields\":["
    "{\"id\":1,\"name\":\"id\",\"required\":true,\"type\":\"long\"},"
    "{\"id\":3,\"name\":\"name\",\"required\":false,\"type\":\"string\"},"
    "{\"id\":5,\"name\":\"i\",\"required\":false,\"type\":\"int\"}]}";

static int64_t scan_count(tt_table_t *x, int64_t snapshot_id, const char *out, int *rc_out) {
  ice_scan_options_t o = ICE_SCAN_OPTIONS_INIT;
  o.snapshot_id = snapshot_id;
  int64_t rows = -1;
  *rc_out = tt_scan(x, &o, tt_path(out), &rows, NULL, &err);
  return rows;
}

typedef struct listing {
  ice_pathset_t files;
} listing_t;

static int on_file(void *user, const char *loc, uint64_t size, int64_t mtime) {
  (void)size, (void)mtime;
  char *n = NULL;
  ice_location_normalize(loc, &n, NULL);
  ice_pathset_add(&((listing_t *)user)->files, n ? n : loc, 0);
  free(n);
  return 0;
}

/* Every file a snapshot of the table reads (manifest list, manifests, data and delete files) exists. */
static int64_t missing_files(tt_table_t *x) {
  listing_t l = {{0}};
  ice_io_list(x->io, x->t.metadata->location, on_file, &l, NULL);
  int64_t missing = 0;
  const ice_table_metadata_t *md = x->t.metadata;
  for (size_t i = 0; i < md->n_snapshots; i++) {
    char *n = NULL;
    ice_location_normalize(md->snapshots[i]->manifest_list, &n, NULL);
    if (!ice_pathset_get(&l.files, n, NULL)) missing++, fprintf(stderr, "missing list %s\n", n);
    free(n);
    ice_manifest_file_t *mfs = NULL;
    size_t nm = 0;
    if (ice_snapshot_manifests(x->io, md->snapshots[i], &mfs, &nm, NULL)) {
      missing++;
      continue;
    }
    for (size_t k = 0; k < nm; k++) {
      ice_location_normalize(mfs[k].path, &n, NULL);
      bool have = ice_pathset_get(&l.files, n, NULL);
      free(n);
      if (!have) {
        missing++;
        continue;
      }
      ice_manifest_t m;
      if (ice_manifest_read(x->io, &mfs[k], md, NULL, NULL, &m, NULL)) {
        missing++;
        continue;
      }
      for (size_t e = 0; e < m.n_entries; e++) {
        if (m.entries[e].status == ICE_ENTRY_DELETED) continue;
        ice_location_normalize(m.entries[e].file.file_path, &n, NULL);
        if (!ice_pathset_get(&l.files, n, NULL)) missing++, fprintf(stderr, "missing %s\n", n);
        free(n);
      }
      ice_manifest_release(&m);
    }
    ice_manifest_files_free(mfs, nm);
  }
  ice_pathset_release(&l.files);
  return missing;
}

static bool exists(const char *loc) {
  struct stat st;
  const char *p = ice_location_local_path(loc);
  return p && stat(p, &st) == 0;
}

TEST(expire_keeps_what_is_reachable) {
  tt_table_t x;
  int crc = tt_create(&x, "exp", KEYED, NULL, NULL, 2, NULL, &err);
  CHECK_MSG(crc == 0, "create: %s", err.message);
  if (crc) return;
  tt_seed(3);
  struct ArrowArray b;
  CHECK_OK(tt_batch(&x.arrow, 100, 0.1, &b, &err));
  ice_commit_result_t first;
  CHECK_OK(tt_append(&x, &x.arrow, &b, 1, NULL, &first, &err));
  char *first_file = strdup(first.paths[0]);
  int64_t s1 = first.snapshot_id;
  ice_commit_result_release(&first);
  for (int k = 0; k < 5; k++) CHECK_OK(tt_append(&x, &x.arrow, &b, 1, NULL, NULL, &err));
  ice_compact_options_t co = ICE_COMPACT_OPTIONS_INIT;
  ice_compact_result_t cr;
  CHECK_OK(ice_compact(&x.cat->base, &x.ident, x.io, &x.t, &co, &cr, &err));
  CHECK_EQ_INT(cr.files_read, 6);
  int64_t compacted = cr.snapshot_id;
  CHECK_OK(tt_append(&x, &x.arrow, &b, 1, NULL, NULL, &err));
  int64_t head = ice_metadata_current_snapshot(x.t.metadata)->snapshot_id;
  /* a tag keeps the second snapshot (and its files) */
  int64_t s2 = ice_metadata_snapshot(x.t.metadata, s1) ? 0 : 0;
  for (size_t i = 0; i < x.t.metadata->n_snapshots; i++)
    if (x.t.metadata->snapshots[i]->has_parent && x.t.metadata->snapshots[i]->parent_id == s1) s2 = x.t.metadata->snapshots[i]->snapshot_id;
  ice_update_t up;
  memset(&up, 0, sizeof up);
  up.kind = ICE_UP_SET_SNAPSHOT_REF;
  up.ref.name = (char *)"keep";
  up.ref.snapshot_id = s2;
  up.ref.type = ICE_REF_TAG;
  ice_table_commit_t c = {&x.ident, NULL, 0, &up, 1};
  ice_loaded_table_t next;
  CHECK_OK(x.cat->base.ops->table_commit(&x.cat->base, &c, &next, &err));
  ice_loaded_table_release(&x.t);
  x.t = next;
  int rc;
  int64_t rows_head = scan_count(&x, ICE_SCAN_NONE, "exp-head.parquet", &rc);
  CHECK_EQ_INT(rows_head, 700);
  ice_expire_options_t eo = ICE_EXPIRE_OPTIONS_INIT;
  eo.older_than_ms = prestige_now_ms() + 1000;
  eo.retain_last = 2;
  ice_expire_result_t er;
  CHECK_OK(ice_expire_snapshots(&x.cat->base, &x.ident, x.io, &x.t, &eo, &er, &err));
  /* 8 snapshots: head and compaction kept (retain 2), the tagged one kept: 5 expire */
  CHECK_EQ_INT(er.snapshots_expired, 5);
  CHECK_EQ_INT((int64_t)x.t.metadata->n_snapshots, 3);
  CHECK(ice_metadata_snapshot(x.t.metadata, head) && ice_metadata_snapshot(x.t.metadata, compacted) &&
        ice_metadata_snapshot(x.t.metadata, s2) && !ice_metadata_snapshot(x.t.metadata, s1));
  CHECK_EQ_INT(er.manifest_lists_deleted, 5);
  CHECK(er.manifests_deleted > 0);
  /* the first data file is in the tagged snapshot: kept; the other 4 small files only expired snapshots reached */
  CHECK_EQ_INT(er.data_files_deleted, 4);
  CHECK(exists(first_file));
  CHECK_EQ_INT(missing_files(&x), 0);
  /* time travel to the kept snapshots */
  CHECK_EQ_INT(scan_count(&x, compacted, "exp-c.parquet", &rc), 600);
  CHECK_EQ_INT(rc, 0);
  CHECK_EQ_INT(scan_count(&x, s2, "exp-s2.parquet", &rc), 200);
  CHECK_EQ_INT(scan_count(&x, ICE_SCAN_NONE, "exp-head2.parquet", &rc), 700);
  tt_duck_expect_same(tt_path("exp-head.parquet"), tt_path("exp-head2.parquet"), "*", NULL, "expire keeps the current rows");
  scan_count(&x, s1, "exp-s1.parquet", &rc);
  CHECK(rc != 0);
  /* nothing more to expire */
  CHECK_OK(ice_expire_snapshots(&x.cat->base, &x.ident, x.io, &x.t, &eo, &er, &err));
  CHECK_EQ_INT(er.snapshots_expired, 0);
  eo.retain_last = -1;
  CHECK_EQ_INT(ice_expire_snapshots(&x.cat->base, &x.ident, x.io, &x.t, &eo, &er, NULL), PRESTIGE_EINVAL);
  free(first_file);
  b.release(&b);
  tt_close(&x);
  tt_duck_check();
}

static void touch_old(const char *path, int64_t age_s) {
  FILE *f = fopen(path, "w");
  fputs("stray", f);
  fclose(f);
  struct utimbuf t = {time(NULL) - age_s, time(NULL) - age_s};
  utime(path, &t);
}

TEST(orphans_and_manifest_rewrites) {
  tt_table_t x;
  int crc = tt_create(&x, "orph", KEYED, NULL, NULL, 2, NULL, &err);
  CHECK_MSG(crc == 0, "create: %s", err.message);
  if (crc) return;
  tt_seed(4);
  struct ArrowArray b;
  CHECK_OK(tt_batch(&x.arrow, 50, 0.1, &b, &err));
  for (int k = 0; k < 6; k++) CHECK_OK(tt_append(&x, &x.arrow, &b, 1, NULL, NULL, &err));
  const char *loc = ice_location_local_path(x.t.metadata->location);
  char old1[1024], old2[1024], fresh[1024];
  snprintf(old1, sizeof old1, "%s/data/stray-old.parquet", loc);
  snprintf(old2, sizeof old2, "%s/metadata/stray-old-m0.avro", loc);
  snprintf(fresh, sizeof fresh, "%s/data/stray-fresh.parquet", loc);
  touch_old(old1, 4 * 86400);
  touch_old(old2, 10 * 86400);
  touch_old(fresh, 3600);
  ice_orphans_options_t oo = ICE_ORPHANS_OPTIONS_INIT;
  oo.dry_run = true;
  ice_orphans_result_t orr;
  CHECK_OK(ice_remove_orphans(x.io, &x.t, &oo, &orr, &err));
  CHECK_EQ_INT(orr.orphans, 2);
  CHECK_EQ_INT(orr.deleted, 0);
  CHECK(exists(old1));
  oo.dry_run = false;
  CHECK_OK(ice_remove_orphans(x.io, &x.t, &oo, &orr, &err));
  CHECK_EQ_INT(orr.deleted, 2);
  CHECK(!exists(old1) && !exists(old2) && exists(fresh));
  CHECK_EQ_INT(missing_files(&x), 0);
  /* a cutoff in the future: the fresh one goes too, still nothing reachable */
  oo.older_than_ms = prestige_now_ms() + 1000;
  CHECK_OK(ice_remove_orphans(x.io, &x.t, &oo, &orr, &err));
  CHECK_EQ_INT(orr.deleted, 1);
  CHECK_EQ_INT(missing_files(&x), 0);
  int rc;
  CHECK_EQ_INT(scan_count(&x, ICE_SCAN_NONE, "orph-a.parquet", &rc), 300);
  /* rewrite manifests: 6 small data manifests become 1 */
  ice_manifest_file_t *mfs;
  size_t n;
  CHECK_OK(ice_snapshot_manifests(x.io, ice_metadata_current_snapshot(x.t.metadata), &mfs, &n, &err));
  CHECK_EQ_INT(n, 6);
  ice_manifest_files_free(mfs, n);
  ice_rewrite_manifests_result_t rr;
  CHECK_OK(ice_rewrite_manifests(&x.cat->base, &x.ident, x.io, &x.t, NULL, &rr, &err));
  CHECK_EQ_INT(rr.manifests_replaced, 6);
  CHECK_EQ_INT(rr.manifests_written, 1);
  CHECK_OK(ice_snapshot_manifests(x.io, ice_metadata_current_snapshot(x.t.metadata), &mfs, &n, &err));
  CHECK_EQ_INT(n, 1);
  ice_manifest_files_free(mfs, n);
  CHECK(!strcmp(ice_metadata_current_snapshot(x.t.metadata)->operation, "replace"));
  CHECK_EQ_INT(scan_count(&x, ICE_SCAN_NONE, "orph-b.parquet", &rc), 300);
  tt_duck_expect_same(tt_path("orph-a.parquet"), tt_path("orph-b.parquet"), "*", NULL, "rewrite manifests keeps the rows");
  CHECK_OK(ice_rewrite_manifests(&x.cat->base, &x.ident, x.io, &x.t, NULL, &rr, &err));
  CHECK_EQ_INT(rr.snapshot_id, 0); /* nothing to merge */
  b.release(&b);
  tt_close(&x);
  tt_duck_check();
}

typedef struct stopper {
  prestige_shutdown_t *stop;
  int64_t after_ms;
} stopper_t;

static void *stop_later(void *arg) {
  stopper_t *s = arg;
  struct timespec ts = {s->after_ms / 1000, (long)(s->after_ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
  prestige_shutdown_trigger(s->stop);
  return NULL;
}

static void stop_after_two(void *user, const ice_maintain_metrics_t *m) {
  if (m->runs >= 2) prestige_shutdown_trigger(user);
}

TEST(scheduler_compacts_past_threshold_and_stops) {
  tt_table_t x;
  const char *spec = "{\"spec-id\":0,\"fields\":[{\"source-id\":5,\"field-id\":1000,\"name\":\"i_neg\",\"transform\":\"truncate[1000]\"}]}";
  int crc = tt_create(&x, "sched", KEYED, spec, NULL, 2, NULL, &err);
  CHECK_MSG(crc == 0, "create: %s", err.message);
  if (crc) return;
  tt_seed(6);
  struct ArrowArray b;
  CHECK_OK(tt_batch(&x.arrow, 40, 0.0, &b, &err)); /* i in [-50, 50]: partitions -1000 and 0 */
  for (int k = 0; k < 4; k++) CHECK_OK(tt_append(&x, &x.arrow, &b, 1, NULL, NULL, &err));
  ice_partition_count_t *pc;
  size_t n;
  CHECK_OK(ice_count_partition_files(x.io, x.t.metadata, &pc, &n, &err));
  CHECK_EQ_INT(n, 2);
  for (size_t i = 0; i < n; i++) CHECK_EQ_INT(pc[i].files, 4);
  ice_partition_counts_free(pc, n);
  ice_maintain_options_t mo;
  memset(&mo, 0, sizeof mo);
  mo.interval_ms = 20;
  mo.compact.min_files = 5;
  mo.max_runs = 1;
  ice_maintain_metrics_t m;
  CHECK_OK(ice_maintain(&x.cat->base, &x.ident, x.io, &x.t, &mo, NULL, &m, &err));
  CHECK_EQ_INT(m.runs, 1);
  CHECK_EQ_INT(m.compactions, 0); /* 4 < 5 */
  CHECK_OK(tt_append(&x, &x.arrow, &b, 1, NULL, NULL, &err));
  prestige_shutdown_t *stop = prestige_shutdown_new();
  mo.max_runs = 0;
  mo.on_run = stop_after_two;
  mo.user = stop;
  CHECK_OK(ice_maintain(&x.cat->base, &x.ident, x.io, &x.t, &mo, stop, &m, &err));
  CHECK_EQ_INT(m.runs, 2);
  CHECK_EQ_INT(m.compactions, 1);
  CHECK_EQ_INT(m.files_read, 10);
  CHECK_EQ_INT(m.files_written, 2);
  CHECK_EQ_INT(m.errors, 0);
  int rc;
  CHECK_EQ_INT(scan_count(&x, ICE_SCAN_NONE, "sched.parquet", &rc), 200);
  /* a long interval ends when another thread fires the token */
  prestige_shutdown_t *stop2 = prestige_shutdown_new();
  stopper_t st = {stop2, 200};
  pthread_t th;
  pthread_create(&th, NULL, stop_later, &st);
  mo.on_run = NULL;
  mo.interval_ms = 600000;
  int64_t t0 = prestige_now_ms();
  CHECK_OK(ice_maintain(&x.cat->base, &x.ident, x.io, &x.t, &mo, stop2, &m, &err));
  pthread_join(th, NULL);
  CHECK_EQ_INT(m.runs, 1);
  CHECK(prestige_now_ms() - t0 < 60000);
  prestige_shutdown_free(stop2);
  /* a token already fired: no run */
  CHECK_OK(ice_maintain(&x.cat->base, &x.ident, x.io, &x.t, &mo, stop, &m, &err));
  CHECK_EQ_INT(m.runs, 0);
  mo.interval_ms = 0;
  CHECK_EQ_INT(ice_maintain(&x.cat->base, &x.ident, x.io, &x.t, &mo, stop, &m, NULL), PRESTIGE_EINVAL);
  prestige_shutdown_free(stop);
  b.release(&b);
  tt_close(&x);
}

TEST_MAIN(RUN(expire_keeps_what_is_reachable); RUN(orphans_and_manifest_rewrites); RUN(scheduler_compacts_past_threshold_and_stops);
          tt_duck_check();)
