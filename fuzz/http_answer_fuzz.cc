// Fuzz target: the HTTP/1.1 answer reader of net::HttpClient (net/http_parse.h AnswerReader,
// over Boost.Beast's parser) on arbitrary bytes in pieces of arbitrary sizes, as a server (a
// registry peer, a provider, any URL a user configures) could send them; the first bytes choose
// the request's method and when the caller stops a streamed body.
//
// Invariants beyond "no crash, no hang": a complete answer has a status of at least 200 (1xx are
// skipped); the body handed over is never larger than the input; a malformed answer says why.
#include <cstddef>
#include <cstdint>
#include <string>

#include "net/http_parse.h"
#include "piecewise_source.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 3) return 0;
  size_t step = 1 + data[0] % 97;
  const char* method = data[1] % 3 == 0 ? "HEAD" : data[1] % 3 == 1 ? "GET" : "POST";
  size_t stop_after = data[2] < 128 ? SIZE_MAX : static_cast<size_t>(data[2]) * 8;  // the caller stops
  PiecewiseSource source(data + 3, size - 3, step);
  std::string buffered;
  for (int answers = 0; answers < 16; ++answers) {
    size_t body = 0;
    lt::net::AnswerReader reader(method, [&](std::string_view d) {
      body += d.size();
      return body < stop_after;
    });
    using Step = lt::net::AnswerReader::Step;
    Step s = Step::kNeedMore;
    for (;;) {
      size_t used = 0;
      s = reader.Put(buffered, &used);
      if (used > buffered.size()) __builtin_trap();
      buffered.erase(0, used);
      if (s != Step::kNeedMore) break;
      std::string_view piece = source.Next();
      if (piece.empty()) {
        s = reader.PutEof();
        break;
      }
      buffered.append(piece);
    }
    if (body > size) __builtin_trap();
    if (s == Step::kMalformed && reader.problem().empty()) __builtin_trap();
    if (s == Step::kComplete && reader.head().status < 200) __builtin_trap();
    if (s != Step::kComplete || !reader.head().keep_alive) break;
  }
  return 0;
}
