#include "util/result.h"

#include <utility>

namespace lt {

namespace {

// Every code with its name: the one table both directions read.
constexpr std::pair<ErrorCode, std::string_view> kCodeNames[] = {
    {ErrorCode::kInvalidArgument, "invalid_argument"},
    {ErrorCode::kNotFound, "not_found"},
    {ErrorCode::kAlreadyExists, "already_exists"},
    {ErrorCode::kPermissionDenied, "permission_denied"},
    {ErrorCode::kUnauthenticated, "unauthenticated"},
    {ErrorCode::kFailedPrecondition, "failed_precondition"},
    {ErrorCode::kResourceExhausted, "resource_exhausted"},
    {ErrorCode::kUnavailable, "unavailable"},
    {ErrorCode::kCorrupt, "corrupt"},
    {ErrorCode::kIo, "io"},
    {ErrorCode::kInternal, "internal"},
    {ErrorCode::kTimeout, "timeout"},
};

}  // namespace

std::string_view ErrorCodeName(ErrorCode code) {
  for (const auto& [c, name] : kCodeNames) {
    if (c == code) return name;
  }
  return "unknown";
}

std::optional<ErrorCode> ErrorCodeFromName(std::string_view name) {
  for (const auto& [c, n] : kCodeNames) {
    if (n == name) return c;
  }
  return std::nullopt;
}

}  // namespace lt
