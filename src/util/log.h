// Log: leveled, line-oriented logging to stderr. Never log keys, passwords, prompts or outputs.
// Thread-safety: lines from several threads do not interleave.
#ifndef LT_UTIL_LOG_H_
#define LT_UTIL_LOG_H_

#include <sstream>
#include <string>
#include <string_view>

#include "util/result.h"

namespace lt {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3, kOff = 4 };

Result<LogLevel> ParseLogLevel(std::string_view s);
void SetLogLevel(LogLevel level);
LogLevel GetLogLevel();
// Component name shown in each line, e.g. "router".
void SetLogTag(std::string tag);
void LogLine(LogLevel level, std::string_view msg);

}  // namespace lt

#define LT_LOG(level, expr)                                              \
  do {                                                                   \
    if (static_cast<int>(level) >= static_cast<int>(::lt::GetLogLevel())) { \
      std::ostringstream lt_log_os_;                                     \
      lt_log_os_ << expr;                                                \
      ::lt::LogLine(level, lt_log_os_.str());                            \
    }                                                                    \
  } while (0)
#define LT_DEBUG(expr) LT_LOG(::lt::LogLevel::kDebug, expr)
#define LT_INFO(expr) LT_LOG(::lt::LogLevel::kInfo, expr)
#define LT_WARN(expr) LT_LOG(::lt::LogLevel::kWarn, expr)
#define LT_ERROR(expr) LT_LOG(::lt::LogLevel::kError, expr)

#endif  // LT_UTIL_LOG_H_
