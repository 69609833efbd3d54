/* Schema resolution (Avro spec "Schema Resolution"), compiled once per file into a plan the
 * decoder follows without looking at names: record fields bind by Iceberg field id when both
 * sides carry one (a rename keeps the binding, an id that differs is a different column), else
 * by name or alias; reader fields absent from the data take their default, or null when the
 * type is optional; writer fields the reader lacks are skipped. Named types are not required
 * to share names (Iceberg renames its records freely); fixed sizes must agree. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "avro/avro_internal.h"

typedef struct memo {
  const avro_node_t *w, *r;
  int32_t branch;
  avro_plan_t *plan;
} memo_t;

typedef struct resolver {
  arena_t *arena;
  prestige_error_t *err;
  memo_t *memo; /* (writer record, reader record, branch) -> plan: open addressing */
  size_t n_memo, cap_memo;
} resolver_t;

static size_t memo_hash(const avro_node_t *w, const avro_node_t *r, int32_t branch, size_t mask) {
  uint64_t h = (uint64_t)(uintptr_t)w * 0x9E3779B97F4A7C15ULL ^ (uint64_t)(uintptr_t)r * 0xC2B2AE3D27D4EB4FULL ^
               (uint64_t)(uint32_t)branch;
  return (size_t)(h ^ (h >> 29)) & mask;
}

static memo_t *memo_find(resolver_t *rs, const avro_node_t *w, const avro_node_t *r, int32_t branch) {
  if (!rs->cap_memo) return NULL;
  size_t mask = rs->cap_memo - 1;
  for (size_t i = memo_hash(w, r, branch, mask);; i = (i + 1) & mask) {
    memo_t *m = &rs->memo[i];
    if (!m->plan) return NULL;
    if (m->w == w && m->r == r && m->branch == branch) return m;
  }
}

static int memo_put(resolver_t *rs, const avro_node_t *w, const avro_node_t *r, int32_t branch, avro_plan_t *p) {
  if ((rs->n_memo + 1) * 2 > rs->cap_memo) {
    size_t cap = rs->cap_memo ? rs->cap_memo * 2 : 64;
    memo_t *t = calloc(cap, sizeof(*t));
    if (!t) return PRESTIGE_ENOMEM;
    for (size_t i = 0; i < rs->cap_memo; i++) {
      memo_t *m = &rs->memo[i];
      if (!m->plan) continue;
      size_t j = memo_hash(m->w, m->r, m->branch, cap - 1);
      while (t[j].plan) j = (j + 1) & (cap - 1);
      t[j] = *m;
    }
    free(rs->memo);
    rs->memo = t;
    rs->cap_memo = cap;
  }
  size_t j = memo_hash(w, r, branch, rs->cap_memo - 1);
  while (rs->memo[j].plan) j = (j + 1) & (rs->cap_memo - 1);
  rs->memo[j] = (memo_t){w, r, branch, p};
  rs->n_memo++;
  return 0;
}

static int nomem(resolver_t *rs) { return prestige_error_set(rs->err, PRESTIGE_ENOMEM, "Avro: out of memory resolving schemas"); }

static const char *tname(const avro_node_t *n) { return n->name ? n->name : avro_type_name(n->type); }

/* Whether a writer (non-union) value can be read as the reader (non-union) type. exact: the
 * same type, without promotion. */
static bool matches(const avro_node_t *w, const avro_node_t *r, bool exact) {
  if (w->type == r->type) {
    if (w->type == AVRO_FIXED) return w->size == r->size;
    return true;
  }
  if (exact) return false;
  switch (w->type) {
    case AVRO_INT: return r->type == AVRO_LONG || r->type == AVRO_FLOAT || r->type == AVRO_DOUBLE;
    case AVRO_LONG: return r->type == AVRO_FLOAT || r->type == AVRO_DOUBLE;
    case AVRO_FLOAT: return r->type == AVRO_DOUBLE;
    case AVRO_STRING: return r->type == AVRO_BYTES;
    case AVRO_BYTES: return r->type == AVRO_STRING;
    default: return false;
  }
}

static const char *short_name(const char *full) {
  const char *dot = full ? strrchr(full, '.') : NULL;
  return dot ? dot + 1 : full;
}

/* The reader union's branch for a writer type: an exact match (a named type of the same
 * name first), else the first promotable one; -1 if none. */
static int32_t pick_branch(const avro_node_t *w, const avro_node_t *ru) {
  if (w->name)
    for (uint32_t b = 0; b < ru->n_branches; b++) {
      const avro_node_t *r = ru->branches[b];
      if (r->name && matches(w, r, true) && strcmp(short_name(w->name), short_name(r->name)) == 0) return (int32_t)b;
    }
  for (uint32_t b = 0; b < ru->n_branches; b++)
    if (matches(w, ru->branches[b], true)) return (int32_t)b;
  for (uint32_t b = 0; b < ru->n_branches; b++)
    if (matches(w, ru->branches[b], false)) return (int32_t)b;
  return -1;
}

static int resolve(resolver_t *rs, const avro_node_t *w, const avro_node_t *r, int32_t branch, int depth,
                   const avro_plan_t **out);

static int mismatch(resolver_t *rs, const avro_node_t *w, const avro_node_t *r) {
  return prestige_error_set(rs->err, PRESTIGE_ETYPE, "written type %s cannot be read as %s", tname(w), tname(r));
}

/* The writer field a reader field binds to, or -1. */
static int32_t bind_field(const avro_node_t *wrec, const avro_field_t *rf, const bool *taken) {
  if (rf->field_id != AVRO_NO_ID)
    for (uint32_t i = 0; i < wrec->n_fields; i++)
      if (wrec->fields[i].field_id == rf->field_id) return taken[i] ? -1 : (int32_t)i;
  for (uint32_t i = 0; i < wrec->n_fields; i++) {
    const avro_field_t *wf = &wrec->fields[i];
    /* with ids on both sides a different id is a different column, whatever its name */
    if (taken[i] || (rf->field_id != AVRO_NO_ID && wf->field_id != AVRO_NO_ID)) continue;
    if (strcmp(wf->name, rf->name) == 0) return (int32_t)i;
    for (uint32_t a = 0; a < rf->n_aliases; a++)
      if (strcmp(wf->name, rf->aliases[a]) == 0) return (int32_t)i;
  }
  return -1;
}

static int resolve_record(resolver_t *rs, const avro_node_t *w, const avro_node_t *r, avro_plan_t *p, int depth) {
  uint32_t nw = w->n_fields, nr = r->n_fields;
  avro_step_t *steps = arena_calloc(rs->arena, nw ? nw : 1, sizeof(*steps));
  bool *taken = arena_calloc(rs->arena, nw ? nw : 1, sizeof(*taken));
  int32_t *bound = arena_calloc(rs->arena, nr ? nr : 1, sizeof(*bound));
  if (!steps || !taken || !bound) return nomem(rs);
  for (uint32_t i = 0; i < nw; i++) {
    steps[i].target = -1;
    steps[i].field = &w->fields[i];
  }
  bool missing = false;
  for (uint32_t i = 0; i < nr; i++) {
    bound[i] = bind_field(w, &r->fields[i], taken);
    if (bound[i] >= 0) taken[bound[i]] = true;
    else missing = true;
  }
  avro_datum_t *fill = NULL;
  if (missing) {
    fill = arena_calloc(rs->arena, nr, sizeof(*fill));
    if (!fill) return nomem(rs);
  }
  for (uint32_t i = 0; i < nr; i++) {
    const avro_field_t *rf = &r->fields[i];
    if (bound[i] >= 0) {
      avro_step_t *s = &steps[bound[i]];
      s->target = (int32_t)i;
      int rc = resolve(rs, s->field->type, rf->type, -1, depth + 1, &s->plan);
      if (rc) return avro_path_prefix(rs->err, rc, depth, "field '%s'", rf->name);
      continue;
    }
    /* not in the data: its default, else null when it may be null */
    if (rf->default_value) {
      int rc = avro_datum_from_json(rs->arena, rf->type, rf->default_value, &fill[i], rs->err);
      if (rc) return avro_path_prefix(rs->err, rc, depth, "reader field '%s'", rf->name);
    } else if (rf->type->type == AVRO_UNION && rf->type->null_branch >= 0) {
      fill[i].branch = rf->type->null_branch;
    } else if (rf->type->type != AVRO_NULL) {
      char id[32] = "";
      if (rf->field_id != AVRO_NO_ID) snprintf(id, sizeof id, " (field-id %d)", rf->field_id);
      return prestige_error_set(rs->err, PRESTIGE_ETYPE,
                                "reader field '%s'%s is not in the written data and has no default", rf->name, id);
    }
  }
  p->steps = steps;
  p->n_steps = nw;
  p->n_fields = nr;
  p->fill = fill;
  return 0;
}

static int resolve_union(resolver_t *rs, const avro_node_t *w, const avro_node_t *r, avro_plan_t *p, int depth) {
  const avro_plan_t **bp = arena_calloc(rs->arena, w->n_branches, sizeof(*bp));
  if (!bp) return nomem(rs);
  uint32_t ok = 0;
  for (uint32_t b = 0; b < w->n_branches; b++) {
    const avro_node_t *wb = w->branches[b];
    int rc = 0;
    if (r->type == AVRO_UNION) {
      int32_t rb = pick_branch(wb, r);
      if (rb >= 0) rc = resolve(rs, wb, r->branches[rb], rb, depth + 1, &bp[b]);
    } else if (matches(wb, r, false)) {
      rc = resolve(rs, wb, r, -1, depth + 1, &bp[b]);
    }
    if (rc) return rc;
    ok += bp[b] != NULL;
  }
  /* a branch the reader cannot take fails only if a value uses it (spec); none at all is a
   * schema mismatch */
  if (ok == 0) return mismatch(rs, w, r);
  p->branch_plans = bp;
  return 0;
}

static int resolve_enum(resolver_t *rs, const avro_node_t *w, const avro_node_t *r, avro_plan_t *p) {
  int32_t *map = arena_calloc(rs->arena, w->n_symbols ? w->n_symbols : 1, sizeof(*map));
  if (!map) return nomem(rs);
  for (uint32_t i = 0; i < w->n_symbols; i++) {
    map[i] = r->enum_default;
    for (uint32_t k = 0; k < r->n_symbols; k++)
      if (strcmp(w->symbols[i], r->symbols[k]) == 0) {
        map[i] = (int32_t)k;
        break;
      }
  }
  p->enum_map = map;
  return 0;
}

static avro_op_t op_for(const avro_node_t *w, const avro_node_t *r) {
  if (w->type == AVRO_INT && r->type == AVRO_LONG) return OP_INT_LONG;
  if (w->type == AVRO_INT && r->type == AVRO_FLOAT) return OP_INT_FLOAT;
  if (w->type == AVRO_INT && r->type == AVRO_DOUBLE) return OP_INT_DOUBLE;
  if (w->type == AVRO_LONG && r->type == AVRO_FLOAT) return OP_LONG_FLOAT;
  if (w->type == AVRO_LONG && r->type == AVRO_DOUBLE) return OP_LONG_DOUBLE;
  if (w->type == AVRO_FLOAT && r->type == AVRO_DOUBLE) return OP_FLOAT_DOUBLE;
  switch (w->type) {
    case AVRO_NULL: return OP_NULL;
    case AVRO_BOOLEAN: return OP_BOOLEAN;
    case AVRO_INT: return OP_INT;
    case AVRO_LONG: return OP_LONG;
    case AVRO_FLOAT: return OP_FLOAT;
    case AVRO_DOUBLE: return OP_DOUBLE;
    case AVRO_BYTES:
    case AVRO_STRING: return OP_BYTES;
    case AVRO_FIXED: return OP_FIXED;
    case AVRO_ENUM: return OP_ENUM;
    case AVRO_RECORD: return OP_RECORD;
    case AVRO_ARRAY: return OP_ARRAY;
    case AVRO_MAP: return OP_MAP;
    case AVRO_UNION: return OP_UNION;
  }
  return OP_NULL;
}

static int resolve(resolver_t *rs, const avro_node_t *w, const avro_node_t *r, int32_t branch, int depth,
                   const avro_plan_t **out) {
  if (depth > AVRO_MAX_DEPTH)
    return prestige_error_set(rs->err, PRESTIGE_ETYPE, "schemas nest deeper than %d levels", AVRO_MAX_DEPTH);
  if (w->type == AVRO_RECORD) {
    memo_t *m = memo_find(rs, w, r, branch);
    if (m) {
      *out = m->plan;
      return 0;
    }
  }
  if (w->type != AVRO_UNION && r->type == AVRO_UNION) {
    int32_t rb = pick_branch(w, r);
    if (rb < 0) return mismatch(rs, w, r);
    return resolve(rs, w, r->branches[rb], rb, depth, out);
  }
  if (w->type != AVRO_UNION && !matches(w, r, false)) return mismatch(rs, w, r);
  avro_plan_t *p = arena_calloc(rs->arena, 1, sizeof(*p));
  if (!p) return nomem(rs);
  p->op = op_for(w, r);
  p->reader_branch = branch;
  p->writer = w;
  /* records are the only shared nodes (named, possibly recursive): remember them before
   * their children so a cycle finds the plan */
  if (w->type == AVRO_RECORD && memo_put(rs, w, r, branch, p)) return nomem(rs);
  *out = p;
  switch (p->op) {
    case OP_RECORD: return resolve_record(rs, w, r, p, depth);
    case OP_UNION: return resolve_union(rs, w, r, p, depth);
    case OP_ENUM: return resolve_enum(rs, w, r, p);
    case OP_ARRAY: {
      int rc = resolve(rs, w->items, r->items, -1, depth + 1, &p->item);
      return rc ? avro_path_prefix(rs->err, rc, depth, "array items") : 0;
    }
    case OP_MAP: {
      int rc = resolve(rs, w->values, r->values, -1, depth + 1, &p->item);
      return rc ? avro_path_prefix(rs->err, rc, depth, "map values") : 0;
    }
    default: return 0;
  }
}

int avro_resolve(arena_t *arena, const avro_node_t *writer, const avro_node_t *reader, const avro_plan_t **out,
                 prestige_error_t *err) {
  resolver_t rs = {.arena = arena, .err = err};
  int rc = resolve(&rs, writer, reader, -1, 0, out);
  free(rs.memo);
  return rc;
}
