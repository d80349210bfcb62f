#include "router/intake_journal.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <nlohmann/json.hpp>

#include "wire/json_text.h"
#include "util/json.h"

namespace lt::router {

using nlohmann::json;

std::string IntakeRow::ToLine() const {
  // Written by hand (no JSON tree): one line per RFC on the hot path. The ticket is JSON already
  // (wire/json_text.h) and is spliced in, not parsed again.
  std::string line;
  line.reserve(128 + (has_ticket ? ticket_json.size() + model.size() : 0));
  line += "{\"n\":";
  wire::json_text::AppendString(nonce_key, &line);
  line += ",\"e\":";
  line += std::to_string(nonce_expires);
  if (has_ticket) {
    line += ",\"s\":";
    wire::json_text::AppendString(session_id, &line);
    line += ",\"u\":";
    wire::json_text::AppendString(user, &line);
    line += ",\"x\":";
    line += std::to_string(ticket_expires);
    line += ",\"m\":";
    wire::json_text::AppendString(model, &line);
    line += ",\"t\":";
    line += ticket_json;
  }
  line += "}\n";
  return line;
}

Result<IntakeRow> IntakeRow::FromLine(std::string_view line) {
  json j = ParseJson(line);
  if (j.is_discarded() || !j.is_object()) return InvalidArgument("not a JSON object");
  IntakeRow r;
  auto str = [&](const char* k, std::string* out) {
    if (!j.contains(k) || !j[k].is_string()) return false;
    *out = j[k].get<std::string>();
    return true;
  };
  auto num = [&](const char* k, uint64_t* out) {
    if (!j.contains(k) || !j[k].is_number_unsigned()) return false;
    *out = j[k].get<uint64_t>();
    return true;
  };
  if (!str("n", &r.nonce_key) || !num("e", &r.nonce_expires)) return InvalidArgument("lacks the nonce (n, e)");
  if (!j.contains("t")) return r;
  r.has_ticket = true;
  if (!str("s", &r.session_id) || !str("u", &r.user) || !num("x", &r.ticket_expires) || !str("m", &r.model) ||
      !j["t"].is_object()) {
    return InvalidArgument("has a ticket without s, u, x, m or t");
  }
  r.ticket_json = j["t"].dump();
  return r;
}

Result<std::unique_ptr<IntakeJournal>> IntakeJournal::Open(const std::string& path, std::vector<IntakeRow>* replay) {
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) return IoError("router intake journal " + path + ": " + std::strerror(errno));
  std::unique_ptr<IntakeJournal> j(new IntakeJournal(path, fd));
  std::string data;
  char buf[1 << 16];
  for (off_t at = 0;;) {
    ssize_t n = ::pread(fd, buf, sizeof buf, at);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return IoError("router intake journal " + path + ": read: " + std::strerror(errno));
    if (n == 0) break;
    data.append(buf, static_cast<size_t>(n));
    at += n;
  }
  size_t line_no = 0;
  for (size_t pos = 0; pos < data.size();) {
    size_t end = data.find('\n', pos);
    if (end == std::string::npos) break;  // cut short by a crash mid-write: never answered
    ++line_no;
    auto row = IntakeRow::FromLine(std::string_view(data).substr(pos, end - pos));
    if (!row.ok()) {
      return Corrupt("router intake journal " + path + " line " + std::to_string(line_no) + ": " +
                     row.error().message + " (move the file away to start without it)");
    }
    replay->push_back(std::move(*row));
    pos = end + 1;
  }
  return j;
}

IntakeJournal::~IntakeJournal() { ::close(fd_); }

Status IntakeJournal::Append(const std::vector<IntakeRow>& rows) {
  std::string out;
  for (const auto& r : rows) out += r.ToLine();
  const char* p = out.data();
  size_t left = out.size();
  while (left > 0) {
    ssize_t n = ::write(fd_, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return IoError("router intake journal " + path_ + ": write: " + std::strerror(errno));
    p += n;
    left -= static_cast<size_t>(n);
  }
  return OkStatus();
}

Status IntakeJournal::Truncate() {
  if (::ftruncate(fd_, 0) != 0) return IoError("router intake journal " + path_ + ": truncate: " + std::strerror(errno));
  return OkStatus();
}

}  // namespace lt::router
