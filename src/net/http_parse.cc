#include "net/http_parse.h"

#include <algorithm>
#include <charconv>
#include <cstdint>

#include "net/ascii.h"
#include "util/bytes.h"

namespace lt::net {

namespace {

bool IContains(std::string_view haystack, std::string_view needle) {
  if (needle.size() > haystack.size()) return false;
  for (size_t i = 0; i + needle.size() <= haystack.size(); ++i) {
    if (IEquals(haystack.substr(i, needle.size()), needle)) return true;
  }
  return false;
}

std::string PercentDecode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && HexValue(s[i + 1]) >= 0 && HexValue(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(HexValue(s[i + 1]) * 16 + HexValue(s[i + 2])));
      i += 2;
    } else if (plus_is_space && s[i] == '+') {
      out.push_back(' ');
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// Reads a chunked body (RFC 9112 §7.1), handing each piece of chunk data to `deliver` as it
// arrives. Returns 0 when the last chunk and the trailer section are read, 1 when `deliver`
// returned false, 2 when a chunk's declared size would take the body past `max_total` (checked
// before that chunk is read), -1 when the stream ended first, -2 when malformed (`problem`).
int ReadChunkedBody(ByteReader& in, size_t max_total, const std::function<bool(std::string_view)>& deliver,
                    std::string& problem) {
  std::string& buf = in.buf();
  size_t total = 0;
  for (;;) {
    size_t e;
    while ((e = buf.find("\r\n")) == std::string::npos) {
      if (buf.size() > 1024) {
        problem = "malformed chunk size";
        return -2;
      }
      if (!in.Fill()) return -1;
    }
    std::string_view sz(buf.data(), e);
    sz = sz.substr(0, sz.find(';'));
    size_t size = 0;
    auto cr = std::from_chars(sz.data(), sz.data() + sz.size(), size, 16);
    if (cr.ec != std::errc() || cr.ptr != sz.data() + sz.size() || sz.empty()) {
      problem = "malformed chunk size";
      return -2;
    }
    if (size > max_total - total) return 2;
    total += size;
    buf.erase(0, e + 2);
    if (size == 0) {
      size_t t;
      while ((t = buf.find("\r\n")) == std::string::npos) {
        if (buf.size() > kMaxHeadBytes) {
          problem = "trailers larger than " + std::to_string(kMaxHeadBytes) + " bytes";
          return -2;
        }
        if (!in.Fill()) return -1;
      }
      buf.erase(0, t + 2);  // trailers are not kept
      return 0;
    }
    for (size_t left = size; left > 0;) {
      if (buf.empty() && !in.Fill()) return -1;
      size_t take = std::min(left, buf.size());
      bool go_on = deliver(std::string_view(buf.data(), take));
      buf.erase(0, take);
      left -= take;
      if (!go_on) return 1;
    }
    if (!in.Need(2)) return -1;
    if (buf.compare(0, 2, "\r\n") != 0) {
      problem = "chunk not followed by CRLF";
      return -2;
    }
    buf.erase(0, 2);
  }
}

}  // namespace

int ReadHttpRequest(ByteReader& in, size_t max_body_bytes, const std::function<bool()>& send_continue, HttpRequest& req,
                    bool& keep_alive, std::string& problem) {
  std::string& buf = in.buf();
  size_t head_end;
  for (;;) {
    head_end = buf.find("\r\n\r\n");
    if (head_end != std::string::npos) break;
    if (buf.size() > kMaxHeadBytes) {
      problem = "request head larger than " + std::to_string(kMaxHeadBytes) + " bytes";
      return 431;
    }
    if (!in.Fill()) return -1;  // closed or timed out, maybe mid-head: nothing to answer
  }
  if (head_end > kMaxHeadBytes) {
    problem = "request head larger than " + std::to_string(kMaxHeadBytes) + " bytes";
    return 431;
  }
  std::string_view head(buf.data(), head_end);
  size_t eol = head.find("\r\n");
  std::string_view line = head.substr(0, eol);
  size_t sp1 = line.find(' ');
  size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp1 == std::string_view::npos || sp2 == std::string_view::npos || sp1 == 0) {
    problem = "malformed request line";
    return 400;
  }
  req.method = std::string(line.substr(0, sp1));
  std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  std::string_view version = line.substr(sp2 + 1);
  if (version != "HTTP/1.1" && version != "HTTP/1.0") {
    problem = "unsupported protocol version";
    return version.rfind("HTTP/", 0) == 0 ? 505 : 400;
  }
  if (target.empty() || target[0] != '/') {
    problem = "request target must start with /";
    return 400;
  }
  keep_alive = version == "HTTP/1.1";
  size_t content_length = 0;
  bool has_length = false, chunked = false, expect_continue = false;
  std::string_view rest = eol == std::string_view::npos ? std::string_view() : head.substr(eol + 2);
  while (!rest.empty()) {
    size_t e = rest.find("\r\n");
    std::string_view h = rest.substr(0, e);
    rest = e == std::string_view::npos ? std::string_view() : rest.substr(e + 2);
    size_t colon = h.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      problem = "malformed header line";
      return 400;
    }
    std::string_view name = h.substr(0, colon), value = Trim(h.substr(colon + 1));
    req.headers.emplace(std::string(name), std::string(value));
    if (IEquals(name, "Content-Length")) {
      size_t v = 0;
      auto r = std::from_chars(value.data(), value.data() + value.size(), v);
      if (r.ec != std::errc() || r.ptr != value.data() + value.size() || (has_length && v != content_length)) {
        problem = "invalid Content-Length";
        return 400;
      }
      content_length = v;
      has_length = true;
    } else if (IEquals(name, "Transfer-Encoding")) {
      if (!IEquals(value, "chunked")) {
        problem = "unsupported Transfer-Encoding (only chunked)";
        return 501;
      }
      chunked = true;
    } else if (IEquals(name, "Connection")) {
      if (IContains(value, "close")) keep_alive = false;
      if (IContains(value, "keep-alive")) keep_alive = true;
    } else if (IEquals(name, "Expect")) {
      expect_continue = IEquals(value, "100-continue");
    }
  }
  if (chunked && has_length) {
    problem = "both Content-Length and Transfer-Encoding";
    return 400;
  }
  size_t q = target.find('?');
  std::string_view raw_path = target.substr(0, q);
  req.path = PercentDecode(raw_path, false);
  if (q != std::string_view::npos) {
    std::string_view qs = target.substr(q + 1);
    while (!qs.empty()) {
      size_t amp = qs.find('&');
      std::string_view kv = qs.substr(0, amp);
      qs = amp == std::string_view::npos ? std::string_view() : qs.substr(amp + 1);
      if (kv.empty()) continue;
      size_t eq = kv.find('=');
      req.query.emplace(PercentDecode(kv.substr(0, eq), true),
                        eq == std::string_view::npos ? std::string() : PercentDecode(kv.substr(eq + 1), true));
    }
  }
  buf.erase(0, head_end + 4);
  if (has_length && content_length > max_body_bytes) {
    keep_alive = false;  // the body is not read
    problem = "request body larger than " + std::to_string(max_body_bytes) + " bytes";
    return 413;
  }
  if (expect_continue && (has_length || chunked) && buf.empty() && !send_continue()) return -1;
  if (has_length) {
    if (!in.Need(content_length)) return -1;
    req.body = buf.substr(0, content_length);
    buf.erase(0, content_length);
  } else if (chunked) {
    int rc = ReadChunkedBody(in, max_body_bytes, [&](std::string_view d) {
      req.body.append(d);
      return true;
    }, problem);
    if (rc == 2) {
      keep_alive = false;
      problem = "request body larger than " + std::to_string(max_body_bytes) + " bytes";
      return 413;
    }
    if (rc == -2) return 400;
    if (rc != 0) return -1;
  }
  return 0;
}

int ReadHttpAnswer(ByteReader& in, std::string_view method, AnswerHead& head,
                   const std::function<bool(std::string_view)>& deliver, bool& got_any, std::string& problem) {
  std::string& buf = in.buf();
  got_any = !buf.empty();
  size_t head_end;
  for (;;) {  // 1xx answers (100 Continue) are skipped
    while ((head_end = buf.find("\r\n\r\n")) == std::string::npos) {
      if (buf.size() > kMaxHeadBytes) {
        problem = "answer head larger than " + std::to_string(kMaxHeadBytes) + " bytes";
        return -2;
      }
      if (!in.Fill()) return -1;
      got_any = true;
    }
    std::string_view h(buf.data(), head_end);
    std::string_view line = h.substr(0, h.find("\r\n"));
    // HTTP/1.x NNN reason
    if (line.size() < 12 || line.rfind("HTTP/1.", 0) != 0 || line[8] != ' ') {
      problem = "malformed answer status line";
      return -2;
    }
    int status = 0;
    auto sr = std::from_chars(line.data() + 9, line.data() + 12, status);
    if (sr.ec != std::errc() || sr.ptr != line.data() + 12 || status < 100) {
      problem = "malformed answer status";
      return -2;
    }
    head.keep_alive = line[7] == '1';
    head.status = status;
    head.headers.clear();
    std::string_view rest = h.substr(std::min(h.size(), line.size() + 2));
    while (!rest.empty()) {
      size_t e = rest.find("\r\n");
      std::string_view hl = rest.substr(0, e);
      rest = e == std::string_view::npos ? std::string_view() : rest.substr(e + 2);
      size_t colon = hl.find(':');
      if (colon == std::string_view::npos) continue;
      head.headers.emplace(std::string(hl.substr(0, colon)), std::string(Trim(hl.substr(colon + 1))));
    }
    buf.erase(0, head_end + 4);
    if (status >= 200) break;
  }
  auto header = [&](const char* name) -> std::string {
    for (const auto& [k, v] : head.headers) {
      if (IEquals(k, name)) return v;
    }
    return "";
  };
  std::string conn = header("Connection");
  if (IEquals(conn, "close")) head.keep_alive = false;
  if (IEquals(conn, "keep-alive")) head.keep_alive = true;
  std::string te = header("Transfer-Encoding");
  std::string cl = header("Content-Length");
  if (method == "HEAD" || head.status == 204 || head.status == 304) return 0;
  if (IEquals(te, "chunked")) {
    int rc = ReadChunkedBody(in, SIZE_MAX, deliver, problem);
    if (rc == 2) {
      problem = "chunk sizes add up past 2^64";
      return -2;
    }
    return rc;
  }
  if (!cl.empty()) {
    size_t n = 0;
    auto cr = std::from_chars(cl.data(), cl.data() + cl.size(), n);
    if (cr.ec != std::errc() || cr.ptr != cl.data() + cl.size()) {
      problem = "malformed Content-Length";
      return -2;
    }
    while (n > 0) {
      if (buf.empty() && !in.Fill()) return -1;
      size_t take = std::min(n, buf.size());
      bool go_on = deliver(std::string_view(buf.data(), take));
      buf.erase(0, take);
      n -= take;
      if (!go_on) return 1;
    }
    return 0;
  }
  head.keep_alive = false;  // the body ends when the server closes
  for (;;) {
    if (!buf.empty()) {
      bool go_on = deliver(buf);
      buf.clear();
      if (!go_on) return 1;
    }
    if (!in.Fill()) return in.eof() ? 0 : -1;
  }
}

}  // namespace lt::net
