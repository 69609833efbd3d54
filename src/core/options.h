/*
 * core/options.h — checks shared by the entry points that take a public options struct: the
 * struct's leading version field (one this library knows), and messages that name the field.
 */
#ifndef PRESTIGE_CORE_OPTIONS_H
#define PRESTIGE_CORE_OPTIONS_H

#include "prestige/error.h"

/* EINVAL naming the struct when version is not the one this library was built with (0 means the
 * struct was not initialised from its INIT macro or _init function). */
static inline int options_check_version(unsigned int version, unsigned int known, const char *type_name,
                                        const char *init_macro, prestige_error_t *err) {
  if (version == known) return 0;
  return prestige_error_set(err, PRESTIGE_EINVAL,
                            "%s: version %u not supported (this library knows %u); start from %s or the matching "
                            "_init function and rebuild against this header",
                            type_name, version, known, init_macro);
}

#define OPTIONS_CHECK_VERSION(o, NAME, type_name, err) \
  options_check_version((o)->version, NAME##_VERSION, type_name, #NAME "_INIT", err)

#endif /* PRESTIGE_CORE_OPTIONS_H */
