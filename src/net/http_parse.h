// Reading HTTP/1.1 requests (the server's parser, on its own so tests and the fuzzer reach it
// without sockets; doc/wire.md "HTTP").
#ifndef LT_NET_HTTP_PARSE_H_
#define LT_NET_HTTP_PARSE_H_

#include <sys/types.h>

#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "net/http.h"

namespace lt::net {

// Requests' heads (request line and headers) are at most this long.
inline constexpr size_t kMaxHeadBytes = 64 << 10;

// A buffer in front of a byte source: `source(buf, cap)` returns the bytes read (> 0), or 0 / -1
// at the end of the stream, on a timeout or an error.
class ByteReader {
 public:
  using Source = std::function<ssize_t(char*, size_t)>;
  explicit ByteReader(Source source, std::string buffered = {})
      : source_(std::move(source)), buf_(std::move(buffered)) {}
  std::string& buf() { return buf_; }
  // Reads more bytes; false on EOF, error or timeout (eof() tells the first apart).
  bool Fill() {
    char tmp[16 << 10];
    ssize_t n = source_(tmp, sizeof tmp);
    eof_ = n == 0;
    if (n <= 0) return false;
    buf_.append(tmp, static_cast<size_t>(n));
    return true;
  }
  bool eof() const { return eof_; }
  // Makes at least `n` bytes available.
  bool Need(size_t n) {
    while (buf_.size() < n) {
      if (!Fill()) return false;
    }
    return true;
  }

 private:
  Source source_;
  std::string buf_;
  bool eof_ = false;
};


// Reads the next request from `in` into `req`. Returns 0 when it is complete, -1 when the stream
// ended (or broke) before a whole request, and otherwise the HTTP status to answer a malformed or
// refused request with (400, 413, 431, 501, 505), `problem` saying why; after such an answer the
// connection must be closed. `keep_alive` says whether the client lets the connection stay open.
// `send_continue` is called for `Expect: 100-continue` once the body is known to be acceptable;
// false from it ends the request (-1).
int ReadHttpRequest(ByteReader& in, size_t max_body_bytes, const std::function<bool()>& send_continue, HttpRequest& req,
                    bool& keep_alive, std::string& problem);

// An HTTP/1.1 answer's head: status, headers, and whether the server keeps the connection open.
struct AnswerHead {
  int status = 0;
  std::multimap<std::string, std::string> headers;
  bool keep_alive = true;
};

// Reads one answer to a request with `method` from `in` (the client's side): 1xx answers are
// skipped, the head goes into `head`, and the body (Content-Length, chunked, or until the server
// closes) is handed to `deliver` piece by piece as it arrives; `deliver` returns false to stop.
// Returns 0 when the answer is complete, 1 when `deliver` stopped it, -1 when the stream ended or
// broke first (the source knows why), -2 when the answer is malformed (`problem` says how).
// `got_any` tells whether any byte of an answer arrived (a kept-alive connection the server had
// closed gives none).
int ReadHttpAnswer(ByteReader& in, std::string_view method, AnswerHead& head,
                   const std::function<bool(std::string_view)>& deliver, bool& got_any, std::string& problem);

}  // namespace lt::net

#endif  // LT_NET_HTTP_PARSE_H_
