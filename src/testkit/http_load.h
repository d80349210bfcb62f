// A lean HTTP/1.1 load generator for the benchmarks (`lt bench router`, doc/router.md
// "Benchmark"): one thread and epoll drive C keep-alive TCP connections to 127.0.0.1:port, each
// sending one pre-built request at a time and reading its response, so the client side costs
// little CPU next to the server it measures.
//
// Responses are parsed just enough: the status line, Content-Length, `Connection: close` (the
// connection is reopened for the next request) and `Transfer-Encoding: chunked` (not supported:
// reported as a failure, never misparsed). A header block over `max_header_bytes` is a failure.
// Failures are counted by kind: "transport: <what>", "protocol: <what>", or "HTTP <status>
// <code>" with the JSON error code of a {"error":{"code":..}} body. A request is never retried,
// except once when a reused keep-alive connection turns out closed before any response byte (the
// server dropped an idle connection). Thread-safety: none; RunHttpLoad blocks its caller.
#ifndef LT_TESTKIT_HTTP_LOAD_H_
#define LT_TESTKIT_HTTP_LOAD_H_

#include <cstddef>
#include <map>
#include <string>
#include <vector>

namespace lt::testkit {

struct HttpLoadOptions {
  int port = 0;          // on 127.0.0.1
  int connections = 16;  // concurrent keep-alive connections
  size_t max_header_bytes = 64 << 10;
  int timeout_ms = 30000;  // per request
};

struct HttpLoadResult {
  size_t ok = 0;                        // 200 answers
  std::vector<double> latencies_ms;     // every finished request, ok or not
  std::map<std::string, int> failures;  // kind -> count
  double seconds = 0;                   // wall time of the whole run
  double cpu_seconds = 0;               // CPU time of the load generator's thread
};

// "POST path HTTP/1.1" with Host 127.0.0.1:port, Content-Type application/json, Content-Length.
std::string BuildPostRequest(int port, const std::string& path, const std::string& body);

// Sends requests[from..to) once each (in order, over opts.connections connections) and waits
// for every answer.
HttpLoadResult RunHttpLoad(const HttpLoadOptions& opts, const std::vector<std::string>& requests, size_t from,
                           size_t to);

}  // namespace lt::testkit

#endif  // LT_TESTKIT_HTTP_LOAD_H_
