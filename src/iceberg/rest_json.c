/* The JSON the REST catalog client and server share (rest.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "iceberg/rest.h"

static int oom(prestige_error_t *err) { return prestige_error_set(err, PRESTIGE_ENOMEM, "REST catalog: out of memory"); }

json_t *ice_rest_ns_json(const ice_ident_t *id) {
  json_t *a = json_array();
  for (size_t i = 0; a && i < id->n_levels; i++)
    if (json_array_append_new(a, json_string(id->levels[i]))) {
      json_decref(a);
      return NULL;
    }
  return a;
}

int ice_rest_ns_from_json(const json_t *j, const char *what, ice_ident_t *out, prestige_error_t *err) {
  memset(out, 0, sizeof *out);
  if (!json_is_array(j) || json_array_size(j) == 0)
    return prestige_error_set(err, PRESTIGE_EINVAL, "%s: namespace must be a non-empty array of strings", what);
  size_t n = json_array_size(j);
  out->levels = calloc(n, sizeof(char *));
  if (!out->levels) return oom(err);
  for (size_t i = 0; i < n; i++) {
    const char *s = json_string_value(json_array_get(j, i));
    if (!s || !*s) {
      ice_ident_release(out);
      return prestige_error_set(err, PRESTIGE_EINVAL, "%s: namespace level %zu is not a non-empty string", what, i);
    }
    if (!(out->levels[i] = strdup(s))) {
      ice_ident_release(out);
      return oom(err);
    }
    out->n_levels++;
  }
  return 0;
}

json_t *ice_rest_ident_json(const ice_ident_t *id) {
  json_t *o = json_object();
  json_t *ns = ice_rest_ns_json(id);
  if (!o || !ns || json_object_set_new(o, "namespace", ns) || json_object_set_new(o, "name", json_string(id->name ? id->name : ""))) {
    json_decref(o);
    return NULL;
  }
  return o;
}

int ice_rest_ident_from_json(const json_t *j, const char *what, ice_ident_t *out, prestige_error_t *err) {
  memset(out, 0, sizeof *out);
  if (!json_is_object(j)) return prestige_error_set(err, PRESTIGE_EINVAL, "%s: table identifier must be an object", what);
  const char *name = json_string_value(json_object_get(j, "name"));
  if (!name || !*name) return prestige_error_set(err, PRESTIGE_EINVAL, "%s: table identifier has no \"name\" string", what);
  PRESTIGE_TRY(ice_rest_ns_from_json(json_object_get(j, "namespace"), what, out, err));
  if (!(out->name = strdup(name))) {
    ice_ident_release(out);
    return oom(err);
  }
  return 0;
}

char *ice_rest_pct_encode(const char *s) {
  buf_t b = BUF_INIT;
  static const char hex[] = "0123456789ABCDEF";
  int rc = 0;
  for (const unsigned char *p = (const unsigned char *)s; *p && !rc; p++) {
    if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' ||
        *p == '_' || *p == '~') {
      rc = buf_append_u8(&b, *p);
    } else {
      char e[3] = {'%', hex[*p >> 4], hex[*p & 15]};
      rc = buf_append(&b, e, 3);
    }
  }
  if (!rc) rc = buf_append_u8(&b, 0);
  if (rc) {
    buf_release(&b);
    return NULL;
  }
  return (char *)buf_detach(&b, NULL);
}

char *ice_rest_ns_path(const ice_ident_t *id) {
  buf_t b = BUF_INIT;
  int rc = 0;
  for (size_t i = 0; i < id->n_levels && !rc; i++) {
    if (i) rc = buf_append(&b, "%1F", 3);
    char *e = ice_rest_pct_encode(id->levels[i]);
    if (!e) rc = -1;
    else rc = buf_append(&b, e, strlen(e));
    free(e);
  }
  if (!rc) rc = buf_append_u8(&b, 0);
  if (rc) {
    buf_release(&b);
    return NULL;
  }
  return (char *)buf_detach(&b, NULL);
}

int ice_rest_ns_parse_segment(const char *seg, ice_ident_t *out, prestige_error_t *err) {
  memset(out, 0, sizeof *out);
  if (!seg || !*seg) return prestige_error_set(err, PRESTIGE_EINVAL, "empty namespace in the path");
  size_t n = 1;
  for (const char *p = seg; *p; p++) n += *p == 0x1f;
  out->levels = calloc(n, sizeof(char *));
  if (!out->levels) return oom(err);
  const char *p = seg;
  for (size_t i = 0; i < n; i++) {
    const char *e = strchr(p, 0x1f);
    size_t len = e ? (size_t)(e - p) : strlen(p);
    if (!len) {
      ice_ident_release(out);
      return prestige_error_set(err, PRESTIGE_EINVAL, "namespace in the path has an empty level");
    }
    if (!(out->levels[i] = strndup(p, len))) {
      ice_ident_release(out);
      return oom(err);
    }
    out->n_levels++;
    p += len + 1;
  }
  return 0;
}

json_t *ice_rest_load_result_json(const ice_loaded_table_t *t, const ice_strmap_t *config) {
  json_t *md = NULL;
  if (ice_metadata_to_json(t->metadata, &md, NULL)) return NULL;
  json_t *o = json_object();
  json_t *cfg = json_object();
  int bad = !o || !cfg;
  for (size_t i = 0; !bad && config && i < config->n; i++)
    bad = json_object_set_new(cfg, config->items[i].key, json_string(config->items[i].value));
  if (!bad && t->metadata_location) /* none for a staged table */
    bad = json_object_set_new(o, "metadata-location", json_string(t->metadata_location));
  if (!bad) {
    bad = json_object_set_new(o, "metadata", md);
    md = NULL;
  }
  if (!bad) {
    bad = json_object_set_new(o, "config", cfg);
    cfg = NULL;
  }
  json_decref(md);
  json_decref(cfg);
  if (bad) {
    json_decref(o);
    return NULL;
  }
  return o;
}

int ice_rest_load_result_from_json(const json_t *j, const char *what, ice_loaded_table_t *out, prestige_error_t *err) {
  memset(out, 0, sizeof *out);
  if (!json_is_object(j)) return prestige_error_set(err, PRESTIGE_EHTTP, "%s: the response is not a JSON object", what);
  const json_t *md = json_object_get(j, "metadata");
  if (!json_is_object(md)) return prestige_error_set(err, PRESTIGE_EHTTP, "%s: the response has no \"metadata\" object", what);
  const char *loc = json_string_value(json_object_get(j, "metadata-location"));
  if (loc && !(out->metadata_location = strdup(loc))) return oom(err);
  int rc = ice_metadata_from_json(md, what, &out->metadata, err);
  const json_t *cfg = json_object_get(j, "config");
  const char *k;
  json_t *v;
  if (!rc && json_is_object(cfg))
    json_object_foreach((json_t *)cfg, k, v) {
      if (json_is_string(v) && ice_strmap_set(&out->config, k, json_string_value(v))) {
        rc = oom(err);
        break;
      }
    }
  if (rc) ice_loaded_table_release(out);
  return rc;
}

json_t *ice_rest_commit_json(const ice_table_commit_t *tc, bool with_identifier) {
  json_t *o = json_object(), *reqs = json_array(), *ups = json_array();
  int bad = !o || !reqs || !ups;
  for (size_t i = 0; !bad && i < tc->n_requirements; i++) {
    json_t *r = ice_requirement_to_json(&tc->requirements[i]);
    bad = !r || json_array_append_new(reqs, r);
  }
  for (size_t i = 0; !bad && i < tc->n_updates; i++) {
    json_t *u = ice_update_to_json(&tc->updates[i]);
    bad = !u || json_array_append_new(ups, u);
  }
  if (!bad && with_identifier) {
    json_t *id = ice_rest_ident_json(tc->ident);
    bad = !id || json_object_set_new(o, "identifier", id);
  }
  if (!bad) {
    bad = json_object_set_new(o, "requirements", reqs) | json_object_set_new(o, "updates", ups);
    reqs = ups = NULL;
  }
  json_decref(reqs);
  json_decref(ups);
  if (bad) {
    json_decref(o);
    return NULL;
  }
  return o;
}

void ice_rest_commit_release(ice_rest_commit_t *c) {
  if (!c) return;
  ice_ident_release(&c->ident);
  ice_requirements_free(c->reqs, c->n_reqs);
  ice_updates_free(c->ups, c->n_ups);
  memset(c, 0, sizeof *c);
}

int ice_rest_commit_from_json(const json_t *j, bool ident_required, ice_rest_commit_t *out, prestige_error_t *err) {
  memset(out, 0, sizeof *out);
  if (!json_is_object(j)) return prestige_error_set(err, PRESTIGE_EINVAL, "commit request must be a JSON object");
  const json_t *id = json_object_get(j, "identifier");
  if (id && !json_is_null(id)) PRESTIGE_TRY(ice_rest_ident_from_json(id, "commit request identifier", &out->ident, err));
  else if (ident_required) return prestige_error_set(err, PRESTIGE_EINVAL, "table change has no \"identifier\"");
  const json_t *reqs = json_object_get(j, "requirements");
  const json_t *ups = json_object_get(j, "updates");
  int rc = 0;
  if (!json_is_array(reqs)) rc = prestige_error_set(err, PRESTIGE_EINVAL, "commit request: \"requirements\" must be an array");
  else if (!json_is_array(ups)) rc = prestige_error_set(err, PRESTIGE_EINVAL, "commit request: \"updates\" must be an array");
  if (!rc) rc = ice_requirements_from_json(reqs, &out->reqs, &out->n_reqs, err);
  if (!rc) rc = ice_updates_from_json(ups, &out->ups, &out->n_ups, err);
  if (rc) ice_rest_commit_release(out);
  return rc;
}

void ice_rest_error_fields(const json_t *j, const char **message, const char **type) {
  *message = *type = NULL;
  const json_t *e = json_object_get(j, "error");
  if (!json_is_object(e)) return;
  *message = json_string_value(json_object_get(e, "message"));
  *type = json_string_value(json_object_get(e, "type"));
}
