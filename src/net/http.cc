#include "net/http.h"

#include <charconv>

#include "net/ascii.h"
#include "util/log.h"
#include "util/json.h"

namespace lt::net {

namespace {

template <typename Map>
std::string FindHeader(const Map& headers, const std::string& name) {
  for (const auto& [k, v] : headers) {
    if (IEquals(k, name)) return v;
  }
  return "";
}

}  // namespace

std::string HttpRequest::Header(const std::string& name) const { return FindHeader(headers, name); }
std::string HttpRequest::Query(const std::string& name) const {
  auto it = query.find(name);
  return it == query.end() ? "" : it->second;
}
bool HttpRequest::HasQuery(const std::string& name) const { return query.count(name) > 0; }
std::string HttpClientResponse::Header(const std::string& name) const { return FindHeader(headers, name); }

Result<nlohmann::json> HttpClientResponse::Json() const {
  auto j = ParseJson(body);
  if (j.is_discarded()) {
    return InvalidArgument("response (HTTP " + std::to_string(status) + ") is not valid JSON");
  }
  return j;
}

int HttpStatusFor(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument: return 400;
    case ErrorCode::kUnauthenticated: return 401;
    case ErrorCode::kPermissionDenied: return 403;
    case ErrorCode::kNotFound: return 404;
    case ErrorCode::kAlreadyExists: return 409;
    case ErrorCode::kFailedPrecondition: return 409;
    case ErrorCode::kResourceExhausted: return 429;
    case ErrorCode::kUnavailable: return 503;
    case ErrorCode::kTimeout: return 504;
    case ErrorCode::kCorrupt:
    case ErrorCode::kIo:
    case ErrorCode::kInternal: return 500;
  }
  return 500;
}

HttpResponse HttpResponse::Json(int status, const nlohmann::json& j) {
  HttpResponse r;
  r.status = status;
  // Replace, not throw: an answer often quotes the request (a path, a key cut at N bytes), and
  // invalid UTF-8 there made dump() throw, which on the event loop (a 404 for GET /x%ff) ended the
  // process.
  r.body = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

HttpResponse HttpResponse::ErrorJson(int status, std::string_view code, std::string_view message) {
  nlohmann::json j = {{"error", {{"code", std::string(code)}, {"message", std::string(message)}}}};
  return Json(status, j);
}

HttpResponse HttpResponse::FromError(const Error& e) {
  return ErrorJson(HttpStatusFor(e.code), ErrorCodeName(e.code), e.message);
}

Error ErrorFromResponse(const HttpClientResponse& r) {
  ErrorCode code = r.status == 404   ? ErrorCode::kNotFound
                   : r.status == 401 ? ErrorCode::kUnauthenticated
                   : r.status == 403 ? ErrorCode::kPermissionDenied
                   : r.status == 409 ? ErrorCode::kFailedPrecondition
                   : r.status == 429 ? ErrorCode::kResourceExhausted
                   : r.status == 503 ? ErrorCode::kUnavailable
                   : r.status >= 500 ? ErrorCode::kInternal
                                     : ErrorCode::kInvalidArgument;
  auto j = r.Json();
  if (j.ok() && j->is_object() && j->contains("error") && (*j)["error"].is_object()) {
    const auto& e = (*j)["error"];
    // A peer's error body is input: a message or code of another type is ignored (json::value
    // would throw, and a hostile server's answer would end the caller's thread).
    std::string msg = e.contains("message") && e["message"].is_string() ? e["message"].get<std::string>() : "error";
    std::string name = e.contains("code") && e["code"].is_string() ? e["code"].get<std::string>() : "";
    code = ErrorCodeFromName(name).value_or(code);
    return MakeError(code, msg);
  }
  return MakeError(code, "HTTP " + std::to_string(r.status));
}

Result<std::pair<std::string, int>> ParseHostPort(std::string_view s) {
  auto colon = s.rfind(':');
  if (colon == std::string_view::npos || colon == 0) {
    return InvalidArgument("expected HOST:PORT, got '" + std::string(s) + "'");
  }
  std::string host(s.substr(0, colon));
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  std::string_view p = s.substr(colon + 1);
  int port = -1;
  auto [ptr, ec] = std::from_chars(p.data(), p.data() + p.size(), port);
  if (ec != std::errc() || ptr != p.data() + p.size() || port < 0 || port > 65535) {
    return InvalidArgument("invalid port in '" + std::string(s) + "' (0..65535)");
  }
  return std::make_pair(host, port);
}

Result<BaseUrl> ParseBaseUrl(std::string_view base_url) {
  BaseUrl b;
  b.url = std::string(base_url);
  while (!b.url.empty() && b.url.back() == '/') b.url.pop_back();
  if (b.url.rfind("http://", 0) != 0) {
    return InvalidArgument("URL must start with http:// (got '" + std::string(base_url) + "')");
  }
  std::string hostport = b.url.substr(7);
  if (hostport.find('/') != std::string::npos) return InvalidArgument("URL " + b.url + ": a base URL has no path");
  auto hp = ParseHostPort(hostport);
  if (!hp.ok()) return hp.error().Wrap("URL " + b.url);
  b.host = hp->first;
  b.port = hp->second;
  return b;
}

}  // namespace lt::net
