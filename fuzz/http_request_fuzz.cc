// Fuzz target: the HTTP/1.1 request reader of net::HttpServer (net/http_parse.h RequestReader,
// over Boost.Beast's parser) on arbitrary bytes, delivered in pieces of arbitrary sizes (the first
// byte seeds the split), as a client on the other end of a socket could send them; several
// requests in a row, as on a kept-alive connection. The server keeps unconsumed bytes and feeds
// them again with the next piece; so does this target.
//
// Invariants beyond "no crash, no hang": an accepted request has a method, a path that starts
// with '/', a target within the limit and a body no larger than the limit (nor than the input);
// a refusal is one of the statuses doc/wire.md "HTTP" lists, with a reason.
#include <cstddef>
#include <cstdint>
#include <string>

#include "net/http_parse.h"
#include "piecewise_source.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  size_t step = 1 + data[0] % 97;  // how the bytes are cut into reads
  PiecewiseSource source(data + 1, size - 1, step);
  constexpr size_t kMaxBody = 4096;
  lt::net::RequestReader reader(kMaxBody);
  std::string buffered;
  int requests = 0;
  for (;;) {
    size_t used = 0;
    auto s = reader.Put(buffered, &used);
    if (used > buffered.size()) __builtin_trap();
    buffered.erase(0, used);
    using Step = lt::net::RequestReader::Step;
    if (s == Step::kRefused) {
      int st = reader.status();
      if (st != 400 && st != 413 && st != 414 && st != 431 && st != 501 && st != 505) __builtin_trap();
      if (reader.problem().empty()) __builtin_trap();
      break;  // the server answers and closes
    }
    if (s == Step::kComplete) {
      bool keep_alive = false;
      lt::net::HttpRequest req = reader.Take(&keep_alive);
      if (req.method.empty() || req.path.empty() || req.path[0] != '/') __builtin_trap();
      if (req.body.size() > kMaxBody || req.body.size() > size) __builtin_trap();
      if (!keep_alive || ++requests == 64) break;
      continue;
    }
    std::string_view piece = source.Next();
    if (piece.empty()) break;  // the stream ended
    buffered.append(piece);
  }
  return 0;
}
