/* Snapshot ids, ancestry and time travel lookups (Java's SnapshotUtil). */
#include <string.h>

#include "iceberg/table_ops.h"

int ice_new_snapshot_id(const ice_table_metadata_t *md, int64_t *out, prestige_error_t *err) {
  for (int tries = 0; tries < 100; tries++) {
    char text[37];
    uint8_t u[16];
    PRESTIGE_TRY(ice_uuid_v4(text, err));
    if (!ice_uuid_parse(text, u)) return prestige_error_set(err, PRESTIGE_EINTERNAL, "snapshot id: bad uuid");
    uint64_t hi = 0, lo = 0;
    for (int i = 0; i < 8; i++) hi = (hi << 8) | u[i], lo = (lo << 8) | u[8 + i];
    int64_t id = (int64_t)((hi ^ lo) & (uint64_t)INT64_MAX);
    if (id > 0 && !ice_metadata_snapshot(md, id)) {
      *out = id;
      return 0;
    }
  }
  return prestige_error_set(err, PRESTIGE_EINTERNAL, "could not draw an unused snapshot id");
}

bool ice_snapshot_is_ancestor(const ice_table_metadata_t *md, int64_t snapshot_id, int64_t ancestor) {
  const ice_snapshot_t *s = ice_metadata_snapshot(md, snapshot_id);
  for (size_t guard = 0; s && guard <= md->n_snapshots; guard++) {
    if (s->snapshot_id == ancestor) return true;
    s = s->has_parent ? ice_metadata_snapshot(md, s->parent_id) : NULL;
  }
  return false;
}

int ice_snapshot_as_of(const ice_table_metadata_t *md, int64_t ts_ms, int64_t *snapshot_id, prestige_error_t *err) {
  bool found = false;
  int64_t id = 0;
  if (md->n_snapshot_log) {
    /* the history of current snapshots (spec "Point in Time Reads"; Java SnapshotUtil.snapshotIdAsOfTime) */
    for (size_t i = 0; i < md->n_snapshot_log; i++)
      if (md->snapshot_log[i].timestamp_ms <= ts_ms) found = true, id = md->snapshot_log[i].snapshot_id;
  } else {
    const ice_snapshot_t *s = ice_metadata_current_snapshot(md);
    for (size_t guard = 0; s && guard <= md->n_snapshots && !found; guard++) {
      if (s->timestamp_ms <= ts_ms) found = true, id = s->snapshot_id;
      s = s->has_parent ? ice_metadata_snapshot(md, s->parent_id) : NULL;
    }
  }
  if (!found)
    return prestige_error_set(err, PRESTIGE_ENOTFOUND, "no snapshot at or before %lld ms (the table's history starts later)",
                              (long long)ts_ms);
  *snapshot_id = id;
  return 0;
}
