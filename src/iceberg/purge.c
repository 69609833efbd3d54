/*
 * Purging a dropped table's files (Java's CatalogUtil.dropTableData): every metadata file
 * (current and the metadata-log), every snapshot's manifest list (V1: its manifests),
 * statistics and partition-statistics files; then the manifests and the data and delete files
 * they name.
 *
 * The manifest reader belongs to the table-contents floor (src/iceberg/manifest.h), which has
 * not landed next to this code yet: until it does, the manifests and data files are found by
 * listing the table's data and metadata directories (<location>/data and <location>/metadata,
 * or write.data.path and write.metadata.path) and everything found there is deleted. That
 * reaches every file prestige and Java write by default; files a foreign writer put elsewhere
 * are left. Nothing else under the location is touched: a table registered with a location
 * that holds other things cannot take them with it.
 */
#include <ftw.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "iceberg/catalog.h"

typedef struct loc_list {
  char **items;
  size_t n, cap;
} loc_list_t;

static int add(loc_list_t *l, const char *loc) {
  if (!loc || !*loc) return 0;
  if (l->n == l->cap) {
    size_t cap = l->cap ? 2 * l->cap : 64;
    char **p = realloc(l->items, cap * sizeof *p);
    if (!p) return -1;
    l->items = p;
    l->cap = cap;
  }
  if (!(l->items[l->n] = strdup(loc))) return -1;
  l->n++;
  return 0;
}

static void release(loc_list_t *l) {
  for (size_t i = 0; i < l->n; i++) free(l->items[i]);
  free(l->items);
  memset(l, 0, sizeof *l);
}

static int add_listed(void *user, const char *location, uint64_t size, int64_t mtime_ms) {
  (void)size;
  (void)mtime_ms;
  return add(user, location) ? PRESTIGE_ENOMEM : 0;
}

/* Deletes in batches; remembers the first failure and carries on. */
static int delete_all(ice_io_t *io, const loc_list_t *l, int rc, prestige_error_t *err) {
  for (size_t i = 0; i < l->n; i += 1000) {
    size_t m = l->n - i < 1000 ? l->n - i : 1000;
    prestige_error_t e;
    prestige_error_init(&e);
    int r = ice_io_delete_many(io, l->items + i, m, &e);
    if (r && !rc) {
      rc = r;
      if (err) *err = e;
    }
  }
  return rc;
}

static const char *stats_path(const json_t *j) {
  const json_t *p = json_object_get(j, "statistics-path");
  return json_is_string(p) ? json_string_value(p) : NULL;
}

static int rmdir_empty(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
  (void)sb;
  (void)ftw;
  if (flag == FTW_DP) rmdir(path); /* fails, harmlessly, on a directory something else still uses */
  return 0;
}

/* A local table leaves no empty directories behind (its own, data/, metadata/, temporaries). */
static void remove_empty_dirs(const char *location) {
  const char *path = ice_location_local_path(location);
  if (path && *path && strcmp(path, "/")) nftw(path, rmdir_empty, 16, FTW_DEPTH | FTW_PHYS);
}

static void remove_empty_dirs_at(const char *location, const char *child) {
  char *p = NULL;
  if (ice_location_local_path(location) && !ice_location_join(location, child, &p, NULL)) remove_empty_dirs(p);
  free(p);
}

int ice_table_purge_files(ice_io_t *io, const ice_table_metadata_t *md, const char *metadata_location,
                          prestige_error_t *err) {
  loc_list_t reached = {0}, listed = {0};
  int rc = 0;
  bool nomem = add(&reached, metadata_location) != 0;
  for (size_t i = 0; i < md->n_metadata_log && !nomem; i++) nomem = add(&reached, md->metadata_log[i].file) != 0;
  for (size_t i = 0; i < md->n_snapshots && !nomem; i++) {
    const ice_snapshot_t *s = md->snapshots[i];
    nomem = add(&reached, s->manifest_list) != 0;
    for (size_t k = 0; k < s->n_manifests && !nomem; k++) nomem = add(&reached, s->manifests[k]) != 0;
  }
  for (size_t i = 0; i < md->n_statistics && !nomem; i++) nomem = add(&reached, stats_path(md->statistics[i].json)) != 0;
  for (size_t i = 0; i < md->n_partition_statistics && !nomem; i++)
    nomem = add(&reached, stats_path(md->partition_statistics[i].json)) != 0;
  if (nomem) {
    release(&reached);
    return prestige_error_set(err, PRESTIGE_ENOMEM, "purge: out of memory");
  }
  /* The directories a listing sweeps (see the top of this file). */
  char *dirs[2] = {NULL, NULL};
  const char *data = ice_metadata_property(md, "write.data.path", ice_metadata_property(md, "write.folder-storage.path", NULL));
  const char *meta = ice_metadata_property(md, "write.metadata.path", NULL);
  if ((data ? !(dirs[0] = strdup(data)) : ice_location_join(md->location, "data", &dirs[0], NULL)) ||
      (meta ? !(dirs[1] = strdup(meta)) : ice_location_join(md->location, "metadata", &dirs[1], NULL)))
    rc = prestige_error_set(err, PRESTIGE_ENOMEM, "purge: out of memory");
  for (size_t i = 0; i < 2 && !rc; i++) {
    prestige_error_t e;
    prestige_error_init(&e);
    int r = ice_io_list(io, dirs[i], add_listed, &listed, &e);
    if (r == PRESTIGE_ENOMEM) rc = prestige_error_set(err, PRESTIGE_ENOMEM, "purge: out of memory listing %s", dirs[i]);
    else if (r && r != PRESTIGE_ENOTFOUND) {
      if (err) *err = e;
      rc = r;
    }
  }
  rc = delete_all(io, &reached, rc, err);
  rc = delete_all(io, &listed, rc, err);
  if (!rc) {
    for (size_t i = 0; i < 2; i++) remove_empty_dirs(dirs[i]);
    remove_empty_dirs_at(md->location, ".prestige-tmp");
    const char *loc = ice_location_local_path(md->location);
    if (loc) rmdir(loc);
  }
  free(dirs[0]);
  free(dirs[1]);
  release(&reached);
  release(&listed);
  return rc;
}
