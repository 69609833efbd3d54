/* Snapshot ids, ancestry and time travel lookups (Java's SnapshotUtil). */
#include <string.h>

#include "iceberg/table_ops.h"
#include "prestige/core.h"

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

size_t ice_branch_requirements(const ice_table_metadata_t *md, const char *branch, const int64_t *head,
                               ice_requirement_t reqs[2]) {
  memset(reqs, 0, 2 * sizeof reqs[0]);
  size_t n = 0;
  if (md->table_uuid) {
    reqs[n].kind = ICE_REQ_ASSERT_TABLE_UUID;
    reqs[n++].uuid = md->table_uuid;
  }
  reqs[n].kind = ICE_REQ_ASSERT_REF_SNAPSHOT_ID;
  reqs[n].ref = (char *)branch;
  reqs[n].has_snapshot_id = head != NULL;
  reqs[n++].snapshot_id = head ? *head : 0;
  return n;
}

int ice_commit_snapshot(ice_catalog_t *catalog, const ice_ident_t *ident, const ice_table_metadata_t *md, ice_snapshot_t *snap,
                        const char *branch, const int64_t *head, int64_t first_row_id, int64_t next_row_id,
                        ice_loaded_table_t *out, prestige_error_t *err) {
  snap->timestamp_ms = prestige_now_ms();
  if (md->last_updated_ms > snap->timestamp_ms) snap->timestamp_ms = md->last_updated_ms;
  snap->has_schema_id = true;
  snap->schema_id = md->current_schema_id;
  if (md->format_version >= 3) { /* spec: row lineage */
    snap->has_first_row_id = snap->has_added_rows = true;
    snap->first_row_id = first_row_id;
    snap->added_rows = next_row_id - first_row_id;
  }
  ice_update_t ups[2];
  memset(ups, 0, sizeof ups);
  ups[0].kind = ICE_UP_ADD_SNAPSHOT;
  ups[0].snapshot = snap;
  ups[1].kind = ICE_UP_SET_SNAPSHOT_REF;
  ups[1].ref.name = (char *)branch;
  ups[1].ref.snapshot_id = snap->snapshot_id;
  ups[1].ref.type = ICE_REF_BRANCH;
  ice_requirement_t reqs[2];
  size_t n_reqs = ice_branch_requirements(md, branch, head, reqs);
  ice_table_commit_t commit = {ident, reqs, n_reqs, ups, 2};
  return catalog->ops->table_commit(catalog, &commit, out, err);
}
