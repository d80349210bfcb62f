#include "net/http.h"

#include <httplib.h>

#include <charconv>

#include "net/ascii.h"
#include "util/log.h"

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
  auto j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
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
  r.body = j.dump();
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
    std::string msg = e.value("message", std::string("error"));
    std::string name = e.contains("code") && e["code"].is_string() ? e["code"].get<std::string>() : "";
    for (int c = 1; c <= 12; ++c) {
      if (ErrorCodeName(static_cast<ErrorCode>(c)) == name) code = static_cast<ErrorCode>(c);
    }
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

// ---------------------------------------------------------------- client

struct HttpClient::Impl {
  std::unique_ptr<httplib::Client> client;
};

HttpClient::HttpClient(std::string base_url, std::unique_ptr<Impl> impl)
    : base_url_(std::move(base_url)), impl_(std::move(impl)) {}
HttpClient::HttpClient(HttpClient&&) noexcept = default;
HttpClient& HttpClient::operator=(HttpClient&&) noexcept = default;
HttpClient::~HttpClient() = default;

Result<HttpClient> HttpClient::Create(std::string_view base_url, HttpClientOptions options) {
  std::string url(base_url);
  while (!url.empty() && url.back() == '/') url.pop_back();
  if (url.rfind("http://", 0) != 0) {
    return InvalidArgument("URL must start with http:// (got '" + std::string(base_url) + "')");
  }
  auto hp = ParseHostPort(url.substr(7));
  if (!hp.ok()) return hp.error().Wrap("URL " + url);
  auto impl = std::make_unique<Impl>();
  impl->client = std::make_unique<httplib::Client>(url);
  auto& c = *impl->client;
  c.set_connection_timeout(options.connect_timeout_ms / 1000, (options.connect_timeout_ms % 1000) * 1000);
  c.set_read_timeout(options.read_timeout_ms / 1000, (options.read_timeout_ms % 1000) * 1000);
  c.set_write_timeout(options.write_timeout_ms / 1000, (options.write_timeout_ms % 1000) * 1000);
  c.set_keep_alive(true);
  c.set_tcp_nodelay(true);
  return HttpClient(url, std::move(impl));
}

namespace {

httplib::Headers ToHeaders(const std::multimap<std::string, std::string>& h) {
  httplib::Headers out;
  for (const auto& [k, v] : h) out.emplace(k, v);
  return out;
}

Result<HttpClientResponse> FromResult(const std::string& base, const std::string& path, httplib::Result& r) {
  if (!r) {
    auto err = r.error();
    ErrorCode code = err == httplib::Error::Read || err == httplib::Error::Write ||
                             err == httplib::Error::ConnectionTimeout
                         ? ErrorCode::kTimeout
                         : ErrorCode::kUnavailable;
    if (err == httplib::Error::Canceled) code = ErrorCode::kUnavailable;
    return MakeError(code, base + path + ": " + httplib::to_string(err));
  }
  HttpClientResponse out;
  out.status = r->status;
  out.body = r->body;
  for (const auto& [k, v] : r->headers) out.headers.emplace(k, v);
  return out;
}

}  // namespace

Result<HttpClientResponse> HttpClient::Get(const std::string& path,
                                           const std::multimap<std::string, std::string>& headers) {
  auto r = impl_->client->Get(path, ToHeaders(headers));
  return FromResult(base_url_, path, r);
}

Result<HttpClientResponse> HttpClient::Post(const std::string& path, const std::string& body,
                                            const std::string& content_type,
                                            const std::multimap<std::string, std::string>& headers) {
  auto r = impl_->client->Post(path, ToHeaders(headers), body, content_type);
  return FromResult(base_url_, path, r);
}

Result<HttpClientResponse> HttpClient::PostStream(const std::string& path, const std::string& body,
                                                  const std::function<bool(std::string_view)>& on_data,
                                                  const std::string& content_type,
                                                  const std::multimap<std::string, std::string>& headers) {
  httplib::Request req;
  req.method = "POST";
  req.path = path;
  req.headers = ToHeaders(headers);
  req.set_header("Content-Type", content_type);
  req.body = body;
  std::string error_body;
  int status = 0;
  req.response_handler = [&status](const httplib::Response& res) {
    status = res.status;
    return true;
  };
  req.content_receiver = [&](const char* data, size_t len, uint64_t, uint64_t) {
    if (status >= 400) {  // keep error bodies for the caller instead of streaming them
      error_body.append(data, len);
      return error_body.size() < (1 << 20);
    }
    return on_data(std::string_view(data, len));
  };
  auto r = impl_->client->send(req);
  auto out = FromResult(base_url_, path, r);
  if (out.ok() && out->body.empty()) out->body = std::move(error_body);
  return out;
}

Result<HttpClientResponse> HttpClient::GetStream(const std::string& path,
                                                 const std::function<bool(std::string_view)>& on_data,
                                                 const std::multimap<std::string, std::string>& headers) {
  std::string error_body;
  int status = 0;
  auto r = impl_->client->Get(
      path, ToHeaders(headers),
      [&status](const httplib::Response& res) {
        status = res.status;
        return true;
      },
      [&](const char* data, size_t len) {
        if (status >= 400) {
          error_body.append(data, len);
          return error_body.size() < (1 << 20);
        }
        return on_data(std::string_view(data, len));
      });
  auto out = FromResult(base_url_, path, r);
  if (out.ok() && out->body.empty()) out->body = std::move(error_body);
  return out;
}

}  // namespace lt::net
