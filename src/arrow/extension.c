/* Arrow extension types carried as field metadata (Arrow columnar format, "Extension Types"), and
 * the ones prestige maps Parquet annotations onto. */
#include <stdio.h>
#include <string.h>

#include "prestige/arrow.h"

static const struct {
  prestige_arrow_extension_t kind;
  const char *name;
  const char *storage[4]; /* formats the storage type may have */
} known[] = {
    {PRESTIGE_ARROW_EXT_UUID, PRESTIGE_EXTENSION_UUID, {"w:16"}},
    {PRESTIGE_ARROW_EXT_JSON, PRESTIGE_EXTENSION_JSON, {"u", "U"}},
    {PRESTIGE_ARROW_EXT_BSON, PRESTIGE_EXTENSION_BSON, {"z", "Z"}},
    {PRESTIGE_ARROW_EXT_ENUM, PRESTIGE_EXTENSION_ENUM, {"u", "U", "z", "Z"}},
};

bool prestige_schema_extension_name(const struct ArrowSchema *s, const char **name, int32_t *len) {
  return s && prestige_metadata_get(s->metadata, PRESTIGE_EXTENSION_NAME_KEY, name, len);
}

const char *prestige_arrow_extension_name(prestige_arrow_extension_t kind) {
  for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
    if (known[i].kind == kind) return known[i].name;
  return NULL;
}

int prestige_schema_extension(const struct ArrowSchema *s, prestige_arrow_extension_t *kind, prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  *kind = PRESTIGE_ARROW_EXT_NONE;
  const char *name;
  int32_t len;
  if (!prestige_schema_extension_name(s, &name, &len)) return 0;
  *kind = PRESTIGE_ARROW_EXT_OTHER;
  for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
    if (strlen(known[i].name) != (size_t)len || memcmp(known[i].name, name, (size_t)len)) continue;
    for (int k = 0; k < 4 && known[i].storage[k]; k++)
      if (s->format && !strcmp(s->format, known[i].storage[k])) {
        *kind = known[i].kind;
        return 0;
      }
    prestige_arrow_type_info_t t;
    const char *storage = s->format && !prestige_arrow_type_parse(s->format, &t, NULL) ? prestige_arrow_type_name(t.type) : "?";
    return prestige_error_set(err, PRESTIGE_EINVAL, "field \"%s\": extension type %s cannot have storage type %s (format \"%s\")",
                              s->name ? s->name : "", known[i].name, storage, s->format ? s->format : "");
  }
  return 0;
}

int prestige_schema_set_extension(struct ArrowSchema *s, const char *name, const char *ext_metadata,
                                  prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  if (!name) {
    PRESTIGE_TRY(prestige_schema_metadata_put(s, PRESTIGE_EXTENSION_NAME_KEY, NULL, 0, err));
    return prestige_schema_metadata_put(s, PRESTIGE_EXTENSION_METADATA_KEY, NULL, 0, err);
  }
  /* Arrow C++ always exports both keys, the parameters as "" when the type has none */
  PRESTIGE_TRY(prestige_schema_metadata_put(s, PRESTIGE_EXTENSION_NAME_KEY, name, -1, err));
  return prestige_schema_metadata_put(s, PRESTIGE_EXTENSION_METADATA_KEY, ext_metadata ? ext_metadata : "", -1, err);
}
