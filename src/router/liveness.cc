#include "router/liveness.h"

namespace lt::router {

using nlohmann::json;

Result<PongReply> ParsePongReply(const std::string& body) {
  json j = json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("pong") || !j.contains("signature") ||
      !j["signature"].is_string()) {
    return InvalidArgument("liveness answer is not {\"pong\":{...},\"signature\":\"0x..\"}");
  }
  PongReply r;
  LT_TRY(r.pong, wire::FromJson<wire::Pong>(j["pong"], "pong"));
  LT_TRY(r.signature, crypto::ParseSignature(j["signature"].get<std::string>()));
  return r;
}

Result<PongReply> HttpProber::Ping(const std::string& base_url, const Hash32& challenge) {
  std::unique_ptr<net::HttpClient> client;
  {
    std::lock_guard<std::mutex> l(mu_);
    auto& pool = idle_[base_url];
    if (!pool.empty()) {
      client = std::move(pool.back());
      pool.pop_back();
    }
  }
  if (!client) {
    net::HttpClientOptions o;
    o.connect_timeout_ms = timeout_ms_;
    o.read_timeout_ms = timeout_ms_;
    o.write_timeout_ms = timeout_ms_;
    LT_TRY(auto c, net::HttpClient::Create(base_url, o));
    client = std::make_unique<net::HttpClient>(std::move(c));
  }
  auto r = client->Get("/ping?challenge=" + HexEncode0x(challenge));
  if (!r.ok()) return r.error();  // the client is dropped: its connection may be broken
  {
    std::lock_guard<std::mutex> l(mu_);
    auto& pool = idle_[base_url];
    if (pool.size() < kMaxIdlePerUrl) pool.push_back(std::move(client));
  }
  if (r->status != 200) {
    return MakeError(ErrorCode::kUnavailable, "liveness " + base_url + " answered HTTP " + std::to_string(r->status));
  }
  return ParsePongReply(r->body);
}

}  // namespace lt::router
