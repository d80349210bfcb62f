#include "ledger/day_label.h"

#include <ctime>

namespace lt::ledger {
namespace {

std::string Format(uint64_t unix_seconds, const char* fmt) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  if (gmtime_r(&t, &tm) == nullptr) return "?";
  char buf[64];
  size_t n = std::strftime(buf, sizeof buf, fmt, &tm);
  return std::string(buf, n);
}

}  // namespace

std::string DayLabel(uint64_t day, uint64_t day_seconds) {
  if (day_seconds == 0) return "day " + std::to_string(day);
  // Far-future days would overflow time_t arithmetic: say the number.
  if (day > (uint64_t{1} << 40) / day_seconds) return "day " + std::to_string(day);
  uint64_t start = day * day_seconds, end = start + day_seconds;
  if (day_seconds == 86400) return Format(start, "%Y-%m-%d");
  std::string a = Format(start, "%Y-%m-%d"), b = Format(end, "%Y-%m-%d");
  if (a == b) return a + " " + Format(start, "%H:%M:%S") + "-" + Format(end, "%H:%M:%S") + " UTC";
  return Format(start, "%Y-%m-%d %H:%M:%S") + "-" + Format(end, "%Y-%m-%d %H:%M:%S") + " UTC";
}

}  // namespace lt::ledger
