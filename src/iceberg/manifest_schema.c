/* The Avro schemas of manifests and manifest lists, as Java's V2Metadata/V3Metadata and
 * TypeToSchema produce them: record names manifest_entry / r2 / r102 / manifest_file / r508,
 * maps with int keys as arrays of k<key-id>_v<value-id> records with logicalType map, optional
 * fields as ["null", T] with default null, docs and field ids (spec Appendix A, "Avro"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json_load.h"
#include "iceberg/manifest.h"

static int oom(prestige_error_t *err) { return prestige_error_set(err, PRESTIGE_ENOMEM, "manifest schema: out of memory"); }

/* Avro names are [A-Za-z_][A-Za-z0-9_]*; Java's AvroSchemaUtil.sanitize replaces a leading digit
 * with "_<digit>" and any other character with "_x<HEX code>". */
static bool valid_avro_name(const char *s) {
  if (!*s) return false;
  for (const char *p = s; *p; p++) {
    char c = *p;
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' || (p != s && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

static char *sanitize_name(const char *s) {
  buf_t b = BUF_INIT;
  int rc = 0;
  for (const unsigned char *p = (const unsigned char *)s; *p && !rc; p++) {
    unsigned c = *p;
    bool alpha = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
    bool digit = c >= '0' && c <= '9';
    if (alpha || (digit && p != (const unsigned char *)s)) {
      rc = buf_append_u8(&b, (uint8_t)c);
    } else if (digit) {
      char t[3] = {'_', (char)c, 0};
      rc = buf_append(&b, t, 2);
    } else {
      /* Java works on UTF-16 chars; decode one UTF-8 code point */
      uint32_t cp = c;
      int extra = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC0 ? 1 : 0;
      if (extra) cp = c & (0x3F >> extra);
      for (int k = 0; k < extra && p[1]; k++) cp = (cp << 6) | (*++p & 0x3F);
      char t[24];
      if (cp > 0xFFFF) { /* surrogate pair, each char encoded */
        uint32_t v = cp - 0x10000;
        snprintf(t, sizeof t, "_x%X_x%X", 0xD800 + (v >> 10), 0xDC00 + (v & 0x3FF));
      } else {
        snprintf(t, sizeof t, "_x%X", cp);
      }
      rc = buf_append(&b, t, strlen(t));
    }
  }
  if (!rc) rc = buf_append_u8(&b, 0);
  if (rc) {
    buf_release(&b);
    return NULL;
  }
  return (char *)buf_detach(&b, NULL);
}

static json_t *optional_of(json_t *t) {
  if (!t) return NULL;
  json_t *u = json_array();
  if (!u || json_array_append_new(u, json_string("null"))) { /* t is owned here: freed on every failure */
    json_decref(u);
    json_decref(t);
    return NULL;
  }
  if (json_array_append_new(u, t)) { /* jansson released t */
    json_decref(u);
    return NULL;
  }
  return u;
}

/* {"name", "type", ["doc"], ["default": null], "field-id"} in Avro's attribute order. */
static json_t *field_json(const char *name, json_t *type, const char *doc, bool optional, int32_t id) {
  if (!type) return NULL;
  json_t *f = json_object();
  if (!f) {
    json_decref(type);
    return NULL;
  }
  bool ok = true;
  if (valid_avro_name(name)) {
    ok = !json_object_set_new(f, "name", json_string(name));
  } else {
    char *s = sanitize_name(name);
    ok = s && !json_object_set_new(f, "name", json_string(s));
    free(s);
  }
  if (!ok) { /* type is owned here */
    json_decref(type);
    json_decref(f);
    return NULL;
  }
  ok = !json_object_set_new(f, "type", optional ? optional_of(type) : type);
  if (ok && doc) ok = !json_object_set_new(f, "doc", json_string(doc));
  if (ok && optional) ok = !json_object_set_new(f, "default", json_null());
  if (ok && !valid_avro_name(name)) ok = !json_object_set_new(f, "iceberg-field-name", json_string(name));
  if (ok) ok = !json_object_set_new(f, "field-id", json_integer(id));
  if (!ok) {
    json_decref(f);
    return NULL;
  }
  return f;
}

static json_t *record_json(const char *name, json_t *fields) {
  if (!fields) return NULL;
  json_t *r = json_object();
  if (!r || json_object_set_new(r, "type", json_string("record")) || json_object_set_new(r, "name", json_string(name))) {
    json_decref(r);
    json_decref(fields);
    return NULL;
  }
  if (json_object_set_new(r, "fields", fields)) { /* jansson released fields */
    json_decref(r);
    return NULL;
  }
  return r;
}

static json_t *array_json(json_t *items, int32_t element_id) {
  if (!items) return NULL;
  json_t *a = json_object();
  if (!a || json_object_set_new(a, "type", json_string("array"))) {
    json_decref(a);
    json_decref(items);
    return NULL;
  }
  if (json_object_set_new(a, "items", items) || json_object_set_new(a, "element-id", json_integer(element_id))) {
    json_decref(a);
    return NULL;
  }
  return a;
}

/* A map with non-string keys: an array of 2-field records with logicalType map. */
static json_t *kv_array_json(int32_t key_id, json_t *key, int32_t value_id, json_t *value, bool value_optional) {
  char name[40];
  snprintf(name, sizeof name, "k%d_v%d", key_id, value_id);
  /* key and value are owned here: freed on every failure (field_json frees its type) */
  json_t *fields = json_array();
  if (!fields) {
    json_decref(key);
    json_decref(value);
    return NULL;
  }
  if (json_array_append_new(fields, field_json("key", key, NULL, false, key_id))) {
    json_decref(fields);
    json_decref(value);
    return NULL;
  }
  if (json_array_append_new(fields, field_json("value", value, NULL, value_optional, value_id))) {
    json_decref(fields);
    return NULL;
  }
  json_t *a = json_object();
  if (!a || json_object_set_new(a, "type", json_string("array"))) {
    json_decref(a);
    json_decref(fields);
    return NULL;
  }
  if (json_object_set_new(a, "items", record_json(name, fields)) || json_object_set_new(a, "logicalType", json_string("map"))) {
    json_decref(a);
    return NULL;
  }
  return a;
}

/* A named type: its full definition the first time, its name afterwards. */
static json_t *named(json_t *names, const char *name, json_t *(*make)(const ice_type_t *, const char *),
                     const ice_type_t *t) {
  if (json_object_get(names, name)) return json_string(name);
  if (json_object_set_new(names, name, json_true())) return NULL;
  return make(t, name);
}

static json_t *make_fixed(const ice_type_t *t, const char *name) {
  json_t *o = json_object();
  int32_t size = t->id == ICE_UUID ? 16 : t->length;
  if (t->id == ICE_DECIMAL) {
    /* TypeUtil.decimalRequiredBytes: the fewest bytes holding 10^P - 1 with a sign bit */
    size = 1;
    for (int b = 1; b <= 16; b++) {
      double max = 1;
      for (int k = 0; k < 8 * b - 1; k++) max *= 2;
      double need = 1;
      for (int k = 0; k < t->precision; k++) need *= 10;
      if (max >= need) {
        size = b;
        break;
      }
    }
  }
  if (!o || json_object_set_new(o, "type", json_string("fixed")) || json_object_set_new(o, "name", json_string(name)) ||
      json_object_set_new(o, "size", json_integer(size))) {
    json_decref(o);
    return NULL;
  }
  bool ok = true;
  if (t->id == ICE_DECIMAL)
    ok = !json_object_set_new(o, "logicalType", json_string("decimal")) &&
         !json_object_set_new(o, "precision", json_integer(t->precision)) &&
         !json_object_set_new(o, "scale", json_integer(t->scale));
  if (t->id == ICE_UUID) ok = !json_object_set_new(o, "logicalType", json_string("uuid"));
  if (!ok) {
    json_decref(o);
    return NULL;
  }
  return o;
}

static json_t *logical(const char *base, const char *logical_type, int adjust) {
  json_t *o = json_object();
  if (!o || json_object_set_new(o, "type", json_string(base)) ||
      json_object_set_new(o, "logicalType", json_string(logical_type)) ||
      (adjust >= 0 && json_object_set_new(o, "adjust-to-utc", adjust ? json_true() : json_false()))) {
    json_decref(o);
    return NULL;
  }
  return o;
}

json_t *ice_type_to_avro(const ice_type_t *t, int32_t field_id, json_t *names) {
  char name[48];
  switch (t->id) {
    case ICE_BOOLEAN: return json_string("boolean");
    case ICE_INT: return json_string("int");
    case ICE_LONG: return json_string("long");
    case ICE_FLOAT: return json_string("float");
    case ICE_DOUBLE: return json_string("double");
    case ICE_DATE: return logical("int", "date", -1);
    case ICE_TIME: return logical("long", "time-micros", -1);
    case ICE_TIMESTAMP: return logical("long", "timestamp-micros", 0);
    case ICE_TIMESTAMPTZ: return logical("long", "timestamp-micros", 1);
    case ICE_TIMESTAMP_NS: return logical("long", "timestamp-nanos", 0);
    case ICE_TIMESTAMPTZ_NS: return logical("long", "timestamp-nanos", 1);
    case ICE_STRING: return json_string("string");
    case ICE_BINARY: return json_string("bytes");
    case ICE_UUID: return named(names, "uuid_fixed", make_fixed, t);
    case ICE_FIXED:
      snprintf(name, sizeof name, "fixed_%d", t->length);
      return named(names, name, make_fixed, t);
    case ICE_DECIMAL:
      snprintf(name, sizeof name, "decimal_%d_%d", t->precision, t->scale);
      return named(names, name, make_fixed, t);
    case ICE_STRUCT: {
      snprintf(name, sizeof name, "r%d", field_id);
      if (json_object_get(names, name)) return json_string(name);
      if (json_object_set_new(names, name, json_true())) return NULL;
      json_t *fields = json_array();
      if (!fields) return NULL;
      for (size_t i = 0; i < t->n_fields; i++) {
        const ice_field_t *f = &t->fields[i];
        if (json_array_append_new(fields, field_json(f->name, ice_type_to_avro(f->type, f->id, names), f->doc,
                                                     !f->required, f->id))) {
          json_decref(fields);
          return NULL;
        }
      }
      return record_json(name, fields);
    }
    case ICE_LIST: {
      const ice_field_t *e = &t->fields[0];
      json_t *items = ice_type_to_avro(e->type, e->id, names);
      return array_json(e->required ? items : optional_of(items), e->id);
    }
    case ICE_MAP: {
      const ice_field_t *k = &t->fields[0], *v = &t->fields[1];
      json_t *kj = ice_type_to_avro(k->type, k->id, names), *vj = ice_type_to_avro(v->type, v->id, names);
      if (!kj || !vj) {
        json_decref(kj);
        json_decref(vj);
        return NULL;
      }
      if (k->type->id == ICE_STRING) {
        json_decref(kj);
        json_t *m = json_object();
        if (!m || json_object_set_new(m, "type", json_string("map"))) {
          json_decref(m);
          json_decref(vj);
          return NULL;
        }
        if (json_object_set_new(m, "values", v->required ? vj : optional_of(vj)) ||
            json_object_set_new(m, "key-id", json_integer(k->id)) || json_object_set_new(m, "value-id", json_integer(v->id))) {
          json_decref(m);
          return NULL;
        }
        return m;
      }
      return kv_array_json(k->id, kj, v->id, v->required ? vj : optional_of(vj), !v->required);
    }
  }
  return NULL;
}

static json_t *id_map(int32_t key_id, int32_t value_id, const char *value_type) {
  return kv_array_json(key_id, json_string("int"), value_id, json_string(value_type), false);
}

static int finish(json_t *root, char **out, prestige_error_t *err) {
  if (!root) return oom(err);
  *out = json_dumps_checked(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
  json_decref(root);
  return *out ? 0 : oom(err);
}

#define ADD(arr, f)                           \
  do {                                        \
    if (json_array_append_new((arr), (f))) ok = false; \
  } while (0)

int ice_manifest_entry_avro_schema(int format_version, const ice_type_t *partition_type, char **out,
                                   prestige_error_t *err) {
  *out = NULL;
  if (format_version < 2 || format_version > 3)
    return prestige_error_set(err, PRESTIGE_EUNSUPPORTED, "manifests are written in format versions 2 and 3, not %d",
                              format_version);
  json_t *names = json_object();
  json_t *df = json_array();
  bool ok = names && df;
  if (ok) {
    ADD(df, field_json("content", json_string("int"), "Contents of the file: 0=data, 1=position deletes, 2=equality deletes",
                       false, 134));
    ADD(df, field_json("file_path", json_string("string"), "Location URI with FS scheme", false, 100));
    ADD(df, field_json("file_format", json_string("string"), "File format name: avro, orc, or parquet", false, 101));
    /* the partition tuple: record r102 of the spec's fields */
    json_t *pfields = json_array();
    for (size_t i = 0; pfields && i < partition_type->n_fields; i++) {
      const ice_field_t *f = &partition_type->fields[i];
      if (json_array_append_new(pfields, field_json(f->name, ice_type_to_avro(f->type, f->id, names), f->doc,
                                                    !f->required, f->id)))
        ok = false;
    }
    if (!pfields) ok = false;
    ADD(df, field_json("partition", record_json("r102", pfields), "Partition data tuple, schema based on the partition spec",
                       false, 102));
    ADD(df, field_json("record_count", json_string("long"), "Number of records in the file", false, 103));
    ADD(df, field_json("file_size_in_bytes", json_string("long"), "Total file size in bytes", false, 104));
    ADD(df, field_json("column_sizes", id_map(117, 118, "long"), "Map of column id to total size on disk", true, 108));
    ADD(df, field_json("value_counts", id_map(119, 120, "long"), "Map of column id to total count, including null and NaN",
                       true, 109));
    ADD(df, field_json("null_value_counts", id_map(121, 122, "long"), "Map of column id to null value count", true, 110));
    ADD(df, field_json("nan_value_counts", id_map(138, 139, "long"), "Map of column id to number of NaN values in the column",
                       true, 137));
    ADD(df, field_json("lower_bounds", id_map(126, 127, "bytes"), "Map of column id to lower bound", true, 125));
    ADD(df, field_json("upper_bounds", id_map(129, 130, "bytes"), "Map of column id to upper bound", true, 128));
    ADD(df, field_json("key_metadata", json_string("bytes"), "Encryption key metadata blob", true, 131));
    ADD(df, field_json("split_offsets", array_json(json_string("long"), 133), "Splittable offsets", true, 132));
    ADD(df, field_json("equality_ids", array_json(json_string("int"), 136), "Equality comparison field IDs", true, 135));
    ADD(df, field_json("sort_order_id", json_string("int"), "Sort order ID", true, 140));
    if (format_version >= 3)
      ADD(df, field_json("first_row_id", json_string("long"), "The first row ID assigned to the first row in the data file",
                         true, 142));
    ADD(df, field_json("referenced_data_file", json_string("string"),
                       "Fully qualified location (URI with FS scheme) of a data file that all deletes reference", true, 143));
    if (format_version >= 3) {
      ADD(df, field_json("content_offset", json_string("long"), "The offset in the file where the content starts", true,
                         144));
      ADD(df, field_json("content_size_in_bytes", json_string("long"), "The length of referenced content stored in the file",
                         true, 145));
    }
  }
  json_t *fields = json_array();
  if (!fields) ok = false;
  if (ok) {
    ADD(fields, field_json("status", json_string("int"), NULL, false, 0));
    ADD(fields, field_json("snapshot_id", json_string("long"), NULL, true, 1));
    ADD(fields, field_json("sequence_number", json_string("long"), NULL, true, 3));
    ADD(fields, field_json("file_sequence_number", json_string("long"), NULL, true, 4));
    json_incref(df);
    ADD(fields, field_json("data_file", record_json("r2", df), NULL, false, 2));
  }
  json_decref(df);
  json_decref(names);
  if (!ok) {
    json_decref(fields);
    return oom(err);
  }
  return finish(record_json("manifest_entry", fields), out, err);
}

int ice_manifest_list_avro_schema(int format_version, char **out, prestige_error_t *err) {
  *out = NULL;
  if (format_version < 2 || format_version > 3)
    return prestige_error_set(err, PRESTIGE_EUNSUPPORTED, "manifest lists are written in format versions 2 and 3, not %d",
                              format_version);
  bool ok = true;
  json_t *summary = json_array();
  if (!summary) return oom(err);
  ADD(summary, field_json("contains_null", json_string("boolean"), "True if any file has a null partition value", false, 509));
  ADD(summary, field_json("contains_nan", json_string("boolean"), "True if any file has a nan partition value", true, 518));
  ADD(summary, field_json("lower_bound", json_string("bytes"), "Partition lower bound for all files", true, 510));
  ADD(summary, field_json("upper_bound", json_string("bytes"), "Partition upper bound for all files", true, 511));
  json_t *f = json_array();
  if (!f) {
    json_decref(summary);
    return oom(err);
  }
  ADD(f, field_json("manifest_path", json_string("string"), "Location URI with FS scheme", false, 500));
  ADD(f, field_json("manifest_length", json_string("long"), "Total file size in bytes", false, 501));
  ADD(f, field_json("partition_spec_id", json_string("int"), "Spec ID used to write", false, 502));
  ADD(f, field_json("content", json_string("int"), "Contents of the manifest: 0=data, 1=deletes", false, 517));
  ADD(f, field_json("sequence_number", json_string("long"), "Sequence number when the manifest was added", false, 515));
  ADD(f, field_json("min_sequence_number", json_string("long"), "Lowest sequence number in the manifest", false, 516));
  ADD(f, field_json("added_snapshot_id", json_string("long"), "Snapshot ID that added the manifest", false, 503));
  ADD(f, field_json("added_files_count", json_string("int"), "Added entry count", false, 504));
  ADD(f, field_json("existing_files_count", json_string("int"), "Existing entry count", false, 505));
  ADD(f, field_json("deleted_files_count", json_string("int"), "Deleted entry count", false, 506));
  ADD(f, field_json("added_rows_count", json_string("long"), "Added rows count", false, 512));
  ADD(f, field_json("existing_rows_count", json_string("long"), "Existing rows count", false, 513));
  ADD(f, field_json("deleted_rows_count", json_string("long"), "Deleted rows count", false, 514));
  ADD(f, field_json("partitions", array_json(record_json("r508", summary), 508), "Summary for each partition", true, 507));
  ADD(f, field_json("key_metadata", json_string("bytes"), "Encryption key metadata blob", true, 519));
  if (format_version >= 3)
    ADD(f, field_json("first_row_id", json_string("long"), "Starting row ID to assign to new rows in ADDED data files", true,
                      520));
  if (!ok) {
    json_decref(f);
    return oom(err);
  }
  return finish(record_json("manifest_file", f), out, err);
}
