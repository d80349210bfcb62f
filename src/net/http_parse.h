// Reading HTTP/1.1 messages without I/O (doc/wire.md "HTTP"): the server's RequestReader and the
// client's AnswerReader, both over Boost.Beast's parser, on their own so tests and the fuzzers
// reach them without sockets. The socket code around them (http_server.cc, http_client.cc) only
// moves bytes.
//
// Limits: a head (request or status line and headers) of at most kMaxHeadBytes; a request target
// of at most kMaxTargetBytes (414 beyond); a request body of at most the server's max_body_bytes
// (413, refused from its Content-Length before it is read). Nothing here recurses on input.
// Thread-safety: one reader per connection, used by one thread at a time.
#ifndef LT_NET_HTTP_PARSE_H_
#define LT_NET_HTTP_PARSE_H_

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "net/http.h"

namespace lt::net {

inline constexpr size_t kMaxHeadBytes = 64 << 10;
inline constexpr size_t kMaxTargetBytes = 8 << 10;

// Percent-decodes `s`; '+' becomes ' ' when `plus_is_space` (query strings). Malformed escapes
// are kept as they are.
std::string PercentDecode(std::string_view s, bool plus_is_space);

// Splits a request target ("/path?query") into the decoded path and query parameters.
void SplitTarget(std::string_view target, std::string* path, std::multimap<std::string, std::string>* query);

// Finds the end of a message head ("\r\n\r\n") in a buffer that grows between calls, looking
// at each byte once. Returns the head's length with its terminator, or npos.
class HeadScanner {
 public:
  size_t Find(std::string_view bytes);

 private:
  size_t scanned_ = 0;
};

// One request at a time, fed the bytes a connection delivers.
class RequestReader {
 public:
  enum class Step {
    kNeedMore,         // feed more bytes
    kExpectsContinue,  // the head is in and acceptable; the client waits for "100 Continue"
    kComplete,         // Take() the request
    kRefused,          // answer status() with problem(), then close the connection
  };

  explicit RequestReader(size_t max_body_bytes);
  ~RequestReader();
  RequestReader(const RequestReader&) = delete;
  RequestReader& operator=(const RequestReader&) = delete;

  // Consumes what it can of `bytes` (the caller keeps the rest for the next call, or for the
  // next request once this one is complete) and says where the request stands.
  Step Put(std::string_view bytes, size_t* consumed);
  // True once any byte of this request was consumed.
  bool started() const { return started_; }
  // After kRefused: the HTTP status to answer (400, 413, 414, 431, 501, 505) and why.
  int status() const { return status_; }
  const std::string& problem() const { return problem_; }
  // After kComplete: the request (method, decoded path and query, headers, body) and whether the
  // client lets the connection stay open. Starts the next request.
  HttpRequest Take(bool* keep_alive);

 private:
  struct Parser;
  Step Refuse(int status, std::string problem);
  size_t max_body_bytes_;
  std::unique_ptr<Parser> parser_;
  HeadScanner head_;
  bool started_ = false;
  bool checked_head_ = false;
  bool continue_sent_ = false;
  int status_ = 0;
  std::string problem_;
};

// An HTTP/1.1 answer's head: status, headers, and whether the server keeps the connection open.
struct AnswerHead {
  int status = 0;
  std::multimap<std::string, std::string> headers;
  bool keep_alive = true;
};

// One answer to a request with `method`, fed the bytes a connection delivers (the client's side):
// 1xx answers are skipped, the head goes into head(), and the body (Content-Length, chunked, or
// until the server closes) is handed to `deliver` piece by piece as it is decoded.
class AnswerReader {
 public:
  enum class Step {
    kNeedMore,   // feed more bytes (or PutEof when the connection ended)
    kComplete,   // the answer is whole
    kStopped,    // `deliver` returned false
    kMalformed,  // problem() says how
  };
  using Deliver = std::function<bool(std::string_view)>;

  AnswerReader(std::string_view method, Deliver deliver);
  ~AnswerReader();
  AnswerReader(const AnswerReader&) = delete;
  AnswerReader& operator=(const AnswerReader&) = delete;

  Step Put(std::string_view bytes, size_t* consumed);
  // The connection ended: completes an answer whose body runs until the close, else kNeedMore
  // (cut short) or kMalformed.
  Step PutEof();
  bool head_done() const { return head_done_; }
  const AnswerHead& head() const { return head_; }
  const std::string& problem() const { return problem_; }

 private:
  struct Parser;
  Step Drain(Step step);
  void Reset();
  bool is_head_;
  Deliver deliver_;
  std::unique_ptr<Parser> parser_;
  HeadScanner scanner_;
  AnswerHead head_;
  bool head_done_ = false;
  std::string problem_;
};

}  // namespace lt::net

#endif  // LT_NET_HTTP_PARSE_H_
