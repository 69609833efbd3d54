/* Internal logging: formats only when a callback wants the level. */
#ifndef PRESTIGE_CORE_LOG_H
#define PRESTIGE_CORE_LOG_H

#include <stdbool.h>

#include "prestige/core.h"

bool core_log_enabled(prestige_log_level_t level);
void core_log(prestige_log_level_t level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define LOG_DEBUG(...) core_log(PRESTIGE_LOG_DEBUG, __VA_ARGS__)
#define LOG_INFO(...) core_log(PRESTIGE_LOG_INFO, __VA_ARGS__)
#define LOG_WARN(...) core_log(PRESTIGE_LOG_WARN, __VA_ARGS__)
#define LOG_ERROR(...) core_log(PRESTIGE_LOG_ERROR, __VA_ARGS__)

#endif
