#include "net/http_parse.h"

#include <algorithm>
#include <limits>

#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/asio/buffer.hpp>

#include "net/ascii.h"
#include "util/bytes.h"

namespace lt::net {

namespace http = boost::beast::http;

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

void SplitTarget(std::string_view target, std::string* path, std::multimap<std::string, std::string>* query) {
  size_t q = target.find('?');
  *path = PercentDecode(target.substr(0, q), false);
  if (q == std::string_view::npos) return;
  std::string_view qs = target.substr(q + 1);
  while (!qs.empty()) {
    size_t amp = qs.find('&');
    std::string_view kv = qs.substr(0, amp);
    qs = amp == std::string_view::npos ? std::string_view() : qs.substr(amp + 1);
    if (kv.empty()) continue;
    size_t eq = kv.find('=');
    query->emplace(PercentDecode(kv.substr(0, eq), true),
                   eq == std::string_view::npos ? std::string() : PercentDecode(kv.substr(eq + 1), true));
  }
}

namespace {

std::string_view View(boost::beast::string_view s) { return {s.data(), s.size()}; }

// Beast's string_body, except that a Content-Length reserves at most kMaxReserve up front: the
// length is the peer's claim, and a claim of 4 EB (or 10 GB on each of many connections) must not
// become an allocation before a byte of it has come.
struct ClaimSafeStringBody {
  using value_type = std::string;
  static constexpr std::uint64_t kMaxReserve = 64 * 1024;

  class reader {
   public:
    template <bool isRequest, class Fields>
    reader(http::header<isRequest, Fields>&, value_type& body) : body_(body) {}

    void init(const boost::optional<std::uint64_t>& length, boost::beast::error_code& ec) {
      ec = {};
      if (length) body_.reserve(static_cast<size_t>(std::min(*length, kMaxReserve)));
    }

    template <class ConstBufferSequence>
    size_t put(const ConstBufferSequence& buffers, boost::beast::error_code& ec) {
      ec = {};
      size_t extra = boost::asio::buffer_size(buffers);
      if (extra > body_.max_size() - body_.size()) {
        ec = http::error::buffer_overflow;
        return 0;
      }
      for (auto it = boost::asio::buffer_sequence_begin(buffers); it != boost::asio::buffer_sequence_end(buffers);
           ++it) {
        boost::asio::const_buffer b = *it;
        body_.append(static_cast<const char*>(b.data()), b.size());
      }
      return extra;
    }

    void finish(boost::beast::error_code& ec) { ec = {}; }

   private:
    value_type& body_;
  };
};

// Feeds `bytes` to a Beast parser until it stops making progress: Beast may stop at the end of
// the head although body bytes follow.
template <typename P>
size_t Feed(P& parser, std::string_view bytes, boost::beast::error_code& ec) {
  size_t used = 0;
  for (;;) {
    size_t n = parser.put(boost::asio::const_buffer(bytes.data() + used, bytes.size() - used), ec);
    used += n;
    if (ec || parser.is_done() || n == 0 || used == bytes.size()) break;
  }
  if (!ec && !parser.is_done() && used == bytes.size()) ec = http::error::need_more;
  return used;
}

}  // namespace

// Beast 1.74 consumes a head field by field and applies its header limit only to what it has not
// consumed yet, so a head of many lines has no bound there. The readers therefore hand Beast a
// head only once it is whole, after finding its end here (searching each byte once however the
// head is cut into reads).
size_t HeadScanner::Find(std::string_view bytes) {
  size_t from = scanned_ >= 3 ? scanned_ - 3 : 0;
  size_t end = bytes.find("\r\n\r\n", from);
  if (end == std::string_view::npos) {
    scanned_ = bytes.size();
    return std::string_view::npos;
  }
  scanned_ = 0;
  return end + 4;
}

// ------------------------------------------------------------------------------ requests

struct RequestReader::Parser {
  explicit Parser(size_t max_body) {
    p.header_limit(static_cast<std::uint32_t>(kMaxHeadBytes));
    p.body_limit(static_cast<std::uint64_t>(max_body));
    p.eager(true);
  }
  http::request_parser<ClaimSafeStringBody> p;
};

RequestReader::RequestReader(size_t max_body_bytes)
    : max_body_bytes_(max_body_bytes), parser_(std::make_unique<Parser>(max_body_bytes)) {}
RequestReader::~RequestReader() = default;

RequestReader::Step RequestReader::Refuse(int status, std::string problem) {
  status_ = status;
  problem_ = std::move(problem);
  return Step::kRefused;
}

RequestReader::Step RequestReader::Put(std::string_view bytes, size_t* consumed) {
  *consumed = 0;
  if (status_ != 0) return Step::kRefused;
  if (bytes.empty()) return Step::kNeedMore;
  started_ = true;
  auto& p = parser_->p;
  if (!p.is_header_done()) {
    size_t head_end = head_.Find(bytes);
    if (head_end == std::string_view::npos ? bytes.size() > kMaxHeadBytes : head_end > kMaxHeadBytes) {
      // A request line that alone passes the target limit is a URL too long, not a head too large.
      size_t eol = bytes.find("\r\n");
      if (eol == std::string_view::npos || eol > kMaxTargetBytes + 16) {
        return Refuse(414, "request target longer than " + std::to_string(kMaxTargetBytes) + " bytes");
      }
      return Refuse(431, "request head larger than " + std::to_string(kMaxHeadBytes) + " bytes");
    }
    if (head_end == std::string_view::npos) return Step::kNeedMore;
  }
  boost::beast::error_code ec;
  *consumed = Feed(p, bytes, ec);
  if (ec == http::error::body_limit) {
    return Refuse(413, "request body larger than " + std::to_string(max_body_bytes_) + " bytes");
  }
  if (ec && ec != http::error::need_more) return Refuse(400, "malformed request: " + ec.message());
  if (p.is_header_done() && !checked_head_) {
    checked_head_ = true;
    const auto& m = p.get();
    if (m.version() != 10 && m.version() != 11) return Refuse(505, "unsupported protocol version");
    std::string_view target = View(m.target());
    if (target.size() > kMaxTargetBytes) {
      return Refuse(414, "request target longer than " + std::to_string(kMaxTargetBytes) + " bytes");
    }
    if (target.empty() || target[0] != '/') return Refuse(400, "request target must start with /");
    auto te = m.find(http::field::transfer_encoding);
    if (te != m.end() && !IEquals(View(te->value()), "chunked")) {
      return Refuse(501, "unsupported Transfer-Encoding (only chunked)");
    }
    auto expect = m.find(http::field::expect);
    if (expect != m.end() && IEquals(View(expect->value()), "100-continue") && !p.is_done() &&
        *consumed == bytes.size() && !continue_sent_) {
      continue_sent_ = true;
      return Step::kExpectsContinue;
    }
  }
  return p.is_done() ? Step::kComplete : Step::kNeedMore;
}

HttpRequest RequestReader::Take(bool* keep_alive) {
  auto& m = parser_->p.get();
  HttpRequest req;
  req.method = std::string(View(m.method_string()));
  SplitTarget(View(m.target()), &req.path, &req.query);
  for (const auto& f : m) req.headers.emplace(std::string(View(f.name_string())), std::string(View(f.value())));
  req.body = std::move(m.body());
  *keep_alive = m.keep_alive();
  parser_ = std::make_unique<Parser>(max_body_bytes_);
  head_ = HeadScanner();
  started_ = checked_head_ = continue_sent_ = false;
  return req;
}

// ------------------------------------------------------------------------------- answers

struct AnswerReader::Parser {
  explicit Parser(bool head) {
    p.header_limit(static_cast<std::uint32_t>(kMaxHeadBytes));
    // The caller bounds what it keeps. Not boost::none: Beast 1.74 compares the Content-Length
    // with the optional limit, and any number is greater than an empty optional.
    p.body_limit(std::numeric_limits<std::uint64_t>::max());
    p.eager(true);
    if (head) p.skip(true);
  }
  http::response_parser<ClaimSafeStringBody> p;
};

AnswerReader::AnswerReader(std::string_view method, Deliver deliver)
    : is_head_(method == "HEAD"), deliver_(std::move(deliver)), parser_(std::make_unique<Parser>(is_head_)) {}
AnswerReader::~AnswerReader() = default;

void AnswerReader::Reset() {
  parser_ = std::make_unique<Parser>(is_head_);
  scanner_ = HeadScanner();
  head_done_ = false;
  head_ = AnswerHead();
}

// Hands decoded body bytes to deliver_ and fills the head once it is in.
AnswerReader::Step AnswerReader::Drain(Step step) {
  auto& p = parser_->p;
  if (p.is_header_done() && !head_done_) {
    head_done_ = true;
    const auto& m = p.get();
    head_.status = static_cast<int>(m.result_int());
    for (const auto& f : m) head_.headers.emplace(std::string(View(f.name_string())), std::string(View(f.value())));
    head_.keep_alive = m.keep_alive();
  }
  std::string& body = p.get().body();
  if (!body.empty()) {
    bool go_on = deliver_(body);
    body.clear();
    if (!go_on) return Step::kStopped;
  }
  if (p.is_done()) {
    if (p.need_eof()) head_.keep_alive = false;
    return Step::kComplete;
  }
  return step;
}

AnswerReader::Step AnswerReader::Put(std::string_view bytes, size_t* consumed) {
  *consumed = 0;
  for (;;) {
    std::string_view rest = bytes.substr(*consumed);
    if (!parser_->p.is_header_done()) {
      size_t head_end = scanner_.Find(rest);
      if (head_end == std::string_view::npos ? rest.size() > kMaxHeadBytes : head_end > kMaxHeadBytes) {
        problem_ = "answer head larger than " + std::to_string(kMaxHeadBytes) + " bytes";
        return Step::kMalformed;
      }
      if (head_end == std::string_view::npos) return Step::kNeedMore;
    }
    boost::beast::error_code ec;
    size_t n = rest.empty() ? 0 : Feed(parser_->p, rest, ec);
    if (rest.empty()) ec = http::error::need_more;
    *consumed += n;
    if (ec && ec != http::error::need_more) {
      problem_ = "malformed answer: " + ec.message();
      return Step::kMalformed;
    }
    Step s = Drain(Step::kNeedMore);
    if (head_done_ && head_.status < 100) {  // Beast takes any three digits; "050" is no status
      problem_ = "malformed answer: status " + std::to_string(head_.status) + " is below 100";
      return Step::kMalformed;
    }
    // An interim answer (100 Continue) has no body: skip it and read the real one.
    if (s == Step::kComplete && head_.status >= 100 && head_.status < 200) {
      Reset();
      if (*consumed < bytes.size()) continue;
      return Step::kNeedMore;
    }
    return s;
  }
}

AnswerReader::Step AnswerReader::PutEof() {
  auto& p = parser_->p;
  if (!p.got_some()) return Step::kNeedMore;  // nothing of an answer came
  boost::beast::error_code ec;
  p.put_eof(ec);
  if (ec == http::error::partial_message) return Step::kNeedMore;
  if (ec) {
    problem_ = "malformed answer: " + ec.message();
    return Step::kMalformed;
  }
  return Drain(Step::kNeedMore);
}

}  // namespace lt::net
