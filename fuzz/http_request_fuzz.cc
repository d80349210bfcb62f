// Fuzz target: the HTTP/1.1 request reader of net::HttpServer (net/http_parse.h) on arbitrary
// bytes, delivered in pieces of arbitrary sizes (the first byte seeds the split), as a client on
// the other end of a socket could send them; several requests in a row, as on a kept-alive
// connection.
//
// Invariants beyond "no crash, no hang": an accepted request has a method, a path that starts
// with '/' and a body no larger than the limit (nor than the input); a refusal is one of the
// statuses doc/wire.md "HTTP" lists, with a reason.
#include <cstddef>
#include <cstdint>
#include <string>

#include "net/http_parse.h"
#include "piecewise_source.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  size_t step = 1 + data[0] % 97;  // how the bytes are cut into reads
  lt::net::ByteReader in(PiecewiseSource(data + 1, size - 1, step));
  constexpr size_t kMaxBody = 4096;
  for (int requests = 0; requests < 64; ++requests) {
    lt::net::HttpRequest req;
    bool keep_alive = false;
    std::string problem;
    int continues = 0;
    int rc = lt::net::ReadHttpRequest(in, kMaxBody, [&] { return ++continues < 2; }, req, keep_alive, problem);
    if (rc < 0) break;
    if (rc > 0) {
      if (rc != 400 && rc != 413 && rc != 431 && rc != 501 && rc != 505) __builtin_trap();
      if (problem.empty()) __builtin_trap();
      break;  // the server answers and closes
    }
    if (req.method.empty() || req.path.empty() || req.path[0] != '/') __builtin_trap();
    if (req.body.size() > kMaxBody || req.body.size() > size) __builtin_trap();
    if (!keep_alive) break;
  }
  return 0;
}
