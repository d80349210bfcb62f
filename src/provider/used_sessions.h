// UsedSessions: the session ids this provider has opened, kept until their tickets expire, on
// disk so that a restart does not let a used ticket open a second session (issue 15, M3; format in
// doc/provider.md "Used session ids").
//
// The file is text, one line per claimed id: "0x<64 hex> <ticket expiresAt, unix seconds>\n",
// appended and fdatasync'ed before the session is accepted. Open() reads it (lines that do not
// parse, a torn last line included, are skipped), keeps the ids whose tickets have not expired and
// rewrites the file with just those (atomically). Expired ids are also dropped from memory and the
// file compacted again when it holds more than twice the live ids.
// Thread-safety: all methods are thread-safe.
#ifndef LT_PROVIDER_USED_SESSIONS_H_
#define LT_PROVIDER_USED_SESSIONS_H_

#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include "util/bytes.h"
#include "util/result.h"

namespace lt::provider {

class UsedSessions {
 public:
  UsedSessions() = default;  // in memory only until Open
  ~UsedSessions();
  UsedSessions(const UsedSessions&) = delete;
  UsedSessions& operator=(const UsedSessions&) = delete;

  // Loads `path` (created when missing) and keeps appending to it.
  Status Open(const std::string& path, uint64_t now);
  // True when `id` was not used before: it is then recorded (on disk first, when open). False when
  // it was used; an error when it could not be recorded (the session must then be refused).
  Result<bool> Claim(const Hash32& id, uint64_t expires_at, uint64_t now);
  size_t size() const;

 private:
  Status RewriteLocked(uint64_t now);
  void DropExpiredLocked(uint64_t now);
  mutable std::mutex mu_;
  std::map<Hash32, uint64_t> ids_;  // id -> ticket expiresAt
  std::string path_;
  int fd_ = -1;
  size_t lines_ = 0;  // lines in the file
};

}  // namespace lt::provider

#endif  // LT_PROVIDER_USED_SESSIONS_H_
