// Result<T> and Error: errors as values (see STYLE.md, practice 4).
//
// An Error carries a stable code (for programs and HTTP mapping) and a message a person can act
// on ("keystore /x/y.json: wrong password (MAC mismatch)"). Result<T> holds either a T or an
// Error. Functions that only succeed or fail return Status (= Result<void>).
//
// Thread-safety: plain values; copy freely.
#ifndef LT_UTIL_RESULT_H_
#define LT_UTIL_RESULT_H_

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace lt {

// Never renumber: codes reach the wire in JSON error bodies.
enum class ErrorCode {
  kInvalidArgument = 1,   // malformed input: bad hex, bad JSON, out of range, bad name
  kNotFound = 2,          // a file, account, model or route that does not exist
  kAlreadyExists = 3,     // a name taken, a session already settled
  kPermissionDenied = 4,  // signer is not allowed to do this (not the owner, wrong provider)
  kUnauthenticated = 5,   // bad signature, wrong password, MAC mismatch
  kFailedPrecondition = 6,// insufficient funds, wrong nonce, expired
  kResourceExhausted = 7, // overload, oversized body, too many connections
  kUnavailable = 8,       // a peer or service is down; retry may help
  kCorrupt = 9,           // stored data failed a check
  kIo = 10,               // the operating system said no (disk full, permission)
  kInternal = 11,         // a bug: should not happen
  kTimeout = 12,          // a deadline passed
};

// Short stable name of a code, e.g. "invalid_argument" (on the wire: never rename).
std::string_view ErrorCodeName(ErrorCode code);
// The code a name stands for, if any (the inverse of ErrorCodeName, from the same table).
std::optional<ErrorCode> ErrorCodeFromName(std::string_view name);

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;

  // "message" prefixed with context: Wrap("keystore k.json") -> "keystore k.json: message".
  Error Wrap(std::string_view context) const {
    return Error{code, std::string(context) + ": " + message};
  }
};

inline Error MakeError(ErrorCode code, std::string message) { return Error{code, std::move(message)}; }
inline Error InvalidArgument(std::string m) { return {ErrorCode::kInvalidArgument, std::move(m)}; }
inline Error NotFound(std::string m) { return {ErrorCode::kNotFound, std::move(m)}; }
inline Error Corrupt(std::string m) { return {ErrorCode::kCorrupt, std::move(m)}; }
inline Error IoError(std::string m) { return {ErrorCode::kIo, std::move(m)}; }
inline Error Unauthenticated(std::string m) { return {ErrorCode::kUnauthenticated, std::move(m)}; }
inline Error InternalError(std::string m) { return {ErrorCode::kInternal, std::move(m)}; }

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}        // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) {}    // NOLINT(google-explicit-constructor)

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  const T& value() const& { return std::get<0>(v_); }
  T& value() & { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }

  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT(google-explicit-constructor)
  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const { return error_; }

 private:
  Error error_;
  bool ok_ = true;
};

using Status = Result<void>;
inline Status OkStatus() { return Status(); }

}  // namespace lt

// Propagate an error: LT_TRY(auto x, ParseThing(s)); or LT_TRY_STATUS(DoThing());
#define LT_CONCAT_INNER(a, b) a##b
#define LT_CONCAT(a, b) LT_CONCAT_INNER(a, b)
#define LT_TRY_IMPL(tmp, decl, expr) \
  auto tmp = (expr);                 \
  if (!tmp.ok()) return tmp.error(); \
  decl = std::move(tmp).value()
#define LT_TRY(decl, expr) LT_TRY_IMPL(LT_CONCAT(lt_try_, __LINE__), decl, expr)
#define LT_TRY_STATUS(expr)                       \
  do {                                            \
    auto lt_status_ = (expr);                     \
    if (!lt_status_.ok()) return lt_status_.error(); \
  } while (0)

#endif  // LT_UTIL_RESULT_H_
