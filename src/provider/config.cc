#include "provider/config.h"

#include <openssl/evp.h>

#include <cstdio>
#include <filesystem>

#include "provider/toml.h"
#include "registry/multiaddr.h"
#include "util/fs.h"

namespace lt::provider {
namespace {

using nlohmann::json;

std::string Resolve(const std::string& base, const std::string& p) {
  if (p.empty()) return p;
  std::string e = ExpandHome(p);
  if (e[0] == '/' || base.empty()) return e;
  return (std::filesystem::path(base) / e).lexically_normal().string();
}

class Reader {
 public:
  Reader(const json& j, std::string path) : j_(j), path_(std::move(path)) {}
  Error Err(const std::string& key, const std::string& what) const {
    return InvalidArgument(path_ + key + ": " + what);
  }
  bool Has(const std::string& k) const { return j_.contains(k); }
  Status Str(const std::string& k, std::string* out) const {
    if (!Has(k)) return OkStatus();
    if (!j_[k].is_string()) return Err(k, "expected a string");
    *out = j_[k].get<std::string>();
    return OkStatus();
  }
  Status U32(const std::string& k, uint32_t* out, uint32_t min = 0) const {
    if (!Has(k)) return OkStatus();
    if (!j_[k].is_number_integer() || j_[k].get<int64_t>() < min || j_[k].get<int64_t>() > UINT32_MAX) {
      return Err(k, "expected an integer >= " + std::to_string(min));
    }
    *out = static_cast<uint32_t>(j_[k].get<int64_t>());
    return OkStatus();
  }
  Status Bool(const std::string& k, bool* out) const {
    if (!Has(k)) return OkStatus();
    if (!j_[k].is_boolean()) return Err(k, "expected true or false");
    *out = j_[k].get<bool>();
    return OkStatus();
  }
  Status Mor(const std::string& k, U256* out) const {
    if (!Has(k)) return OkStatus();
    if (!j_[k].is_string()) return Err(k, "expected a MOR amount as a string, e.g. \"0.0001\"");
    auto v = U256::FromMor(j_[k].get<std::string>());
    if (!v.ok()) return Err(k, v.error().message);
    *out = *v;
    return OkStatus();
  }
  Status StrList(const std::string& k, std::vector<std::string>* out) const {
    if (!Has(k)) return OkStatus();
    if (!j_[k].is_array()) return Err(k, "expected an array of strings");
    for (const auto& v : j_[k]) {
      if (!v.is_string()) return Err(k, "expected an array of strings");
      out->push_back(v.get<std::string>());
    }
    return OkStatus();
  }
  Status Known(const std::vector<std::string>& keys) const {
    for (auto it = j_.begin(); it != j_.end(); ++it) {
      if (std::find(keys.begin(), keys.end(), it.key()) == keys.end()) return Err(it.key(), "unknown key");
    }
    return OkStatus();
  }

 private:
  const json& j_;
  std::string path_;
};

}  // namespace

Result<Hash32> Sha256File(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return ErrnoError(path, errno);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  std::vector<uint8_t> buf(1 << 20);
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), f)) > 0) EVP_DigestUpdate(ctx, buf.data(), n);
  bool err = std::ferror(f) != 0;
  std::fclose(f);
  Hash32 h;
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx, h.data(), &len);
  EVP_MD_CTX_free(ctx);
  if (err) return IoError(path + ": read error");
  return h;
}

Result<ProviderConfig> ParseProviderConfig(std::string_view toml, const std::string& base) {
  LT_TRY(json root, ParseToml(toml));
  ProviderConfig c;
  Reader r(root, "");
  LT_TRY_STATUS(r.Known({"keystore", "password_file", "listen", "http_listen", "endpoint", "stake", "ledger", "routers",
                         "accepted_routers", "accept_any_router", "chain_id", "verifying_contract", "meter_interval_seconds",
                         "voucher_window_seconds", "handshake_timeout_ms", "max_connections", "upstream_check_seconds", "receipts_spool", "model",
                         "accept_staked_routers", "direct_settle_after_seconds", "peers"}));
  LT_TRY_STATUS(r.Str("keystore", &c.keystore));
  LT_TRY_STATUS(r.Str("password_file", &c.password_file));
  LT_TRY_STATUS(r.Str("listen", &c.listen));
  LT_TRY_STATUS(r.Str("http_listen", &c.http_listen));
  LT_TRY_STATUS(r.Str("endpoint", &c.endpoint));
  LT_TRY_STATUS(r.Mor("stake", &c.stake));
  LT_TRY_STATUS(r.Str("ledger", &c.ledger));
  LT_TRY_STATUS(r.StrList("routers", &c.routers));
  LT_TRY_STATUS(r.StrList("peers", &c.peers));  // gateways to pull models from (model_source.h)
  for (std::string& p : c.peers) {  // any trustless gateway: a Lake Travis peer, kubo's, ...
    p = registry::NormalizeGatewayUrl(p);
    if (p.rfind("http://", 0) != 0) return r.Err("peers", "'" + p + "' is not an http:// trustless-gateway URL");
  }
  std::vector<std::string> accepted;
  LT_TRY_STATUS(r.StrList("accepted_routers", &accepted));
  for (const auto& a : accepted) {
    auto addr = crypto::ParseAddress(a);
    if (!addr.ok()) return r.Err("accepted_routers", addr.error().message);
    c.accepted_routers.push_back(*addr);
  }
  LT_TRY_STATUS(r.Bool("accept_any_router", &c.accept_any_router));
  c.accept_staked_routers = !c.ledger.empty();
  LT_TRY_STATUS(r.Bool("accept_staked_routers", &c.accept_staked_routers));
  if (c.accept_staked_routers && c.ledger.empty()) {
    return r.Err("accept_staked_routers", "needs a ledger URL to read router stakes from");
  }
  LT_TRY_STATUS(r.U32("direct_settle_after_seconds", &c.direct_settle_after_seconds));
  if (root.contains("chain_id")) {
    if (!root["chain_id"].is_number_integer() || root["chain_id"].get<int64_t>() <= 0) {
      return r.Err("chain_id", "expected a positive integer");
    }
    c.chain_id = root["chain_id"].get<uint64_t>();
    std::string vc;
    LT_TRY_STATUS(r.Str("verifying_contract", &vc));
    auto addr = crypto::ParseAddress(vc);
    if (!addr.ok()) return r.Err("verifying_contract", addr.error().message);
    c.verifying_contract = *addr;
    c.has_domain = true;
  }
  LT_TRY_STATUS(r.U32("meter_interval_seconds", &c.meter_interval_seconds, 1));
  LT_TRY_STATUS(r.U32("voucher_window_seconds", &c.voucher_window_seconds, 1));
  LT_TRY_STATUS(r.U32("handshake_timeout_ms", &c.handshake_timeout_ms, 100));
  LT_TRY_STATUS(r.U32("max_connections", &c.max_connections, 1));
  LT_TRY_STATUS(r.U32("upstream_check_seconds", &c.upstream_check_seconds, 1));
  LT_TRY_STATUS(r.Str("receipts_spool", &c.receipts_spool));
  c.keystore = Resolve(base, c.keystore);
  c.password_file = Resolve(base, c.password_file);
  c.receipts_spool = Resolve(base, c.receipts_spool);
  if (c.keystore.empty()) return r.Err("keystore", "required (the provider's V3 keystore file)");
  if (!c.has_domain && c.ledger.empty()) {
    return r.Err("chain_id", "set chain_id and verifying_contract, or a ledger URL to read them from");
  }
  if (c.accepted_routers.empty() && !c.accept_any_router && !c.accept_staked_routers) {
    return r.Err("accepted_routers",
                 "list the routers whose tickets you accept (or set a ledger to accept staked routers, or "
                 "accept_any_router = true on a devnet)");
  }
  if (!root.contains("model") || !root["model"].is_array() || root["model"].empty()) {
    return InvalidArgument("no [[model]] tables: a provider serves at least one model");
  }
  for (size_t i = 0; i < root["model"].size(); ++i) {
    const json& mj = root["model"][i];
    Reader m(mj, "model[" + std::to_string(i) + "].");
    LT_TRY_STATUS(m.Known({"name", "path", "tokenizer", "manifest", "backend", "upstream", "upstream_model", "api_key_file",
                           "price", "min_seconds", "slots", "threads", "tps"}));
    ModelConfig mc;
    LT_TRY_STATUS(m.Str("name", &mc.name));
    LT_TRY_STATUS(m.Str("path", &mc.path));
    LT_TRY_STATUS(m.Str("tokenizer", &mc.tokenizer));
    std::string manifest;
    LT_TRY_STATUS(m.Str("manifest", &manifest));
    if (!manifest.empty()) {
      auto h = HexDecodeFixed<32>(manifest);
      if (!h.ok()) return m.Err("manifest", "expected 0x + 64 hex digits: " + h.error().message);
      mc.manifest = *h;
      mc.has_manifest = true;
    }
    LT_TRY_STATUS(m.Str("backend", &mc.backend));
    LT_TRY_STATUS(m.Str("upstream", &mc.upstream));
    LT_TRY_STATUS(m.Str("upstream_model", &mc.upstream_model));
    LT_TRY_STATUS(m.Str("api_key_file", &mc.api_key_file));
    if (!m.Has("price")) return m.Err("price", "required (MOR per second, e.g. \"0.0001\")");
    LT_TRY_STATUS(m.Mor("price", &mc.price_per_second));
    LT_TRY_STATUS(m.U32("min_seconds", &mc.min_seconds));
    LT_TRY_STATUS(m.U32("slots", &mc.slots, 1));
    uint32_t threads = 0;
    LT_TRY_STATUS(m.U32("threads", &threads));
    mc.threads = static_cast<int>(threads);
    LT_TRY_STATUS(m.U32("tps", &mc.tps, 1));
    if (mc.name.empty()) return m.Err("name", "required");
    mc.path = Resolve(base, mc.path);
    mc.tokenizer = Resolve(base, mc.tokenizer);
    mc.api_key_file = Resolve(base, mc.api_key_file);
    if (mc.backend == "builtin") {
      if (mc.path.empty() && c.ledger.empty()) return m.Err("path", "required for the builtin backend (or set ledger to pull it by name)");
      mc.pull = mc.path.empty();  // resolved on the ledger and pulled into <datadir>/store
    } else if (mc.backend == "openai") {
      if (mc.upstream.empty()) return m.Err("upstream", "required for the openai backend (e.g. \"http://127.0.0.1:8080\")");
      // Without `manifest` the ledger's tag for `name` (NAME:TAG) is the offer's manifest (node.cc).
      if (!mc.has_manifest && mc.path.empty() && c.ledger.empty())
        return m.Err("manifest", "required for the openai backend without a ledger (with `ledger` set, the ledger's tag for name is used)");
    } else {
      return m.Err("backend", "must be \"builtin\" or \"openai\", got \"" + mc.backend + "\"");
    }
    c.models.push_back(std::move(mc));
  }
  return c;
}

Result<ProviderConfig> LoadProviderConfig(const std::string& path) {
  auto text = RealFileSystem::Default()->ReadFile(path, 1 << 20);
  if (!text.ok()) return text.error().Wrap("provider config");
  std::string base = std::filesystem::path(path).parent_path().string();
  auto c = ParseProviderConfig(*text, base.empty() ? "." : base);
  if (!c.ok()) return c.error().Wrap(path);
  return c;
}

}  // namespace lt::provider
