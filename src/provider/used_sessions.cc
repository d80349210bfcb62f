#include "provider/used_sessions.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <sstream>

#include "util/fs.h"

namespace lt::provider {

namespace {

std::string Line(const Hash32& id, uint64_t expires_at) { return HexEncode0x(id) + " " + std::to_string(expires_at) + "\n"; }

}  // namespace

UsedSessions::~UsedSessions() {
  if (fd_ >= 0) ::close(fd_);
}

Status UsedSessions::Open(const std::string& path, uint64_t now) {
  std::lock_guard<std::mutex> l(mu_);
  auto text = RealFileSystem::Default()->ReadFile(path, 256u << 20);
  if (text.ok()) {
    std::istringstream in(*text);
    std::string line;
    while (std::getline(in, line)) {
      size_t sp = line.find(' ');
      if (sp == std::string::npos) continue;
      auto id = HexDecodeFixed<32>(line.substr(0, sp));
      uint64_t exp = 0;
      std::string_view e = std::string_view(line).substr(sp + 1);
      auto r = std::from_chars(e.data(), e.data() + e.size(), exp);
      if (!id.ok() || r.ec != std::errc() || r.ptr != e.data() + e.size()) continue;
      if (exp > now) ids_[*id] = std::max(ids_[*id], exp);
    }
  } else if (text.error().code != ErrorCode::kNotFound) {
    return text.error().Wrap("used session ids " + path);
  }
  path_ = path;
  return RewriteLocked(now);
}

Status UsedSessions::RewriteLocked(uint64_t now) {
  DropExpiredLocked(now);
  std::string all;
  for (const auto& [id, exp] : ids_) all += Line(id, exp);
  LT_TRY_STATUS(RealFileSystem::Default()->WriteFileAtomic(path_, all, 0600));
  if (fd_ >= 0) ::close(fd_);
  fd_ = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (fd_ < 0) return MakeError(ErrorCode::kIo, "cannot open " + path_ + ": " + std::strerror(errno));
  lines_ = ids_.size();
  return OkStatus();
}

void UsedSessions::DropExpiredLocked(uint64_t now) { std::erase_if(ids_, [now](const auto& e) { return e.second <= now; }); }

Result<bool> UsedSessions::Claim(const Hash32& id, uint64_t expires_at, uint64_t now) {
  std::lock_guard<std::mutex> l(mu_);
  if (ids_.count(id) != 0) return false;
  if (fd_ >= 0) {
    std::string line = Line(id, expires_at);
    ssize_t n = ::write(fd_, line.data(), line.size());
    if (n != static_cast<ssize_t>(line.size()) || ::fdatasync(fd_) != 0) {
      return MakeError(ErrorCode::kIo, "cannot record the session id in " + path_ + ": " + std::strerror(errno));
    }
    ++lines_;
  }
  ids_[id] = expires_at;
  if (ids_.size() > 1024 && lines_ > 2 * ids_.size()) {
    DropExpiredLocked(now);
    if (fd_ >= 0 && lines_ > 2 * ids_.size()) LT_TRY_STATUS(RewriteLocked(now));
  } else if (ids_.size() > 4096) {
    DropExpiredLocked(now);
  }
  return true;
}

size_t UsedSessions::size() const {
  std::lock_guard<std::mutex> l(mu_);
  return ids_.size();
}

}  // namespace lt::provider
