// lt session rfc | ticket | chat: drive the session protocol by hand (doc/session-protocol.md).
// `rfc` asks routers for a ticket with a user-signed RFC (doc/router.md POST /rfc) and writes
// the grant (ticket, router signature, provider endpoint) to a file `chat` reads;
// `ticket` signs a Ticket with a router key (a devnet stand-in for a router);
// `chat` opens a session to a provider with a ticket, streams one chat completion, optionally
// holds the session open (metering continues), then closes with the final voucher.
#include <algorithm>
#include <iostream>
#include <thread>

#include "cli/commands.h"
#include "client/session.h"
#include "crypto/keystore.h"
#include "net/http.h"
#include "util/fs.h"
#include "wire/messages.h"
#include "rpc/router_client.h"
#include "util/json.h"

namespace lt::cli {
namespace {

using nlohmann::json;

struct SessionFlags {
  std::string keystore, password_file;
  uint64_t chain_id = 0;
  std::string verifying_contract;
  // ticket
  std::string user, provider, manifest, price = "0", out;
  uint32_t min_seconds = 0, max_seconds = 600, ttl = 600;
  // rfc
  std::vector<std::string> routers;
  std::string model, max_price = "1";
  uint32_t want_seconds = 300, min_tps = 0, max_latency_ms = 0;
  // chat
  std::string provider_addr, ticket_file, prompt, request_file;
  int max_tokens = 64;
  int hold_seconds = 0;
  uint64_t seed = 0;
};

Result<wire::Domain> DomainFrom(const SessionFlags& f) {
  LT_TRY(auto vc, crypto::ParseAddress(f.verifying_contract));
  return wire::Domain(U256(f.chain_id), vc);
}

Result<crypto::PrivateKey> LoadKey(const SessionFlags& f, const char* prompt) {
  LT_TRY(SecretBytes pw, ReadPassword(f.password_file, prompt, false));
  return crypto::LoadKeystoreFile(f.keystore, pw.span());
}

Status Ticket(CommandContext& ctx, const SessionFlags& f) {
  LT_TRY(wire::Domain domain, DomainFrom(f));
  LT_TRY(crypto::PrivateKey router, LoadKey(f, "Router keystore password: "));
  wire::Ticket t;
  // The router's address, then a random 12-byte sequence (doc/wire.md "Session ids"; a hand-made
  // ticket keeps no counter, and 96 random bits do not repeat).
  SecureRandom::Default()->Fill(t.session_id);
  const crypto::Address router_address = router.GetAddress();
  std::copy(router_address.bytes.begin(), router_address.bytes.end(), t.session_id.begin());
  LT_TRY(t.user, crypto::ParseAddress(f.user));
  LT_TRY(t.provider, crypto::ParseAddress(f.provider));
  t.router = router.GetAddress();
  LT_TRY(t.manifest, HexDecodeFixed<32>(f.manifest));
  LT_TRY(t.price_per_second, U256::FromMor(f.price));
  t.min_seconds = f.min_seconds;
  t.max_seconds = f.max_seconds;
  t.issued_at = SystemClock::Default()->NowSeconds();
  t.expires_at = t.issued_at + f.ttl;
  json j = {{"ticket", t.ToJson()}, {"signature", HexEncode0x(t.Sign(router, domain))}};
  if (!f.out.empty()) {
    LT_TRY_STATUS(RealFileSystem::Default()->WriteFileAtomic(f.out, j.dump(2) + "\n"));
  }
  PrintResult(ctx, j, f.out.empty() ? j.dump(2) : "ticket " + HexEncode0x(t.session_id) + " written to " + f.out);
  return OkStatus();
}

Status Rfc(CommandContext& ctx, const SessionFlags& f) {
  LT_TRY(wire::Domain domain, DomainFrom(f));
  LT_TRY(crypto::PrivateKey user, LoadKey(f, "User keystore password: "));
  wire::Rfc rfc;
  rfc.user = user.GetAddress();
  rfc.model = f.model;
  LT_TRY(rfc.max_price_per_second, U256::FromMor(f.max_price));
  rfc.min_tps = f.min_tps;
  rfc.max_latency_ms = f.max_latency_ms;
  rfc.want_seconds = f.want_seconds;
  Bytes nonce(8);
  SecureRandom::Default()->Fill(nonce);
  for (uint8_t b : nonce) rfc.nonce = (rfc.nonce << 8) | b;
  rfc.nonce >>= 1;
  rfc.expires_at = SystemClock::Default()->NowSeconds() + 60;
  rpc::RouterClient routers(f.routers);
  LT_TRY(wire::TicketGrant grant, routers.RequestTicket(wire::RfcRequest::Make(rfc, user, domain)));
  json j = grant.ToJson();
  if (!f.out.empty()) {
    LT_TRY_STATUS(RealFileSystem::Default()->WriteFileAtomic(f.out, j.dump(2) + "\n"));
  }
  PrintResult(ctx, j,
              "ticket " + HexEncode0x(grant.ticket.ticket.session_id) + " for " + grant.model + " at " + grant.endpoint +
                  " (" + grant.ticket.ticket.price_per_second.ToMor() + " MOR/s, up to " +
                  std::to_string(grant.ticket.ticket.max_seconds) + " s)" + (f.out.empty() ? "" : ", written to " + f.out));
  return OkStatus();
}

Result<wire::SignedTicket> ReadTicket(const std::string& path) {
  LT_TRY(std::string text, RealFileSystem::Default()->ReadFile(path, 1 << 20));
  json j = ParseJson(text);
  if (j.is_discarded() || !j.is_object() || !j.contains("ticket") || !j.contains("signature") ||
      !j["signature"].is_string()) {
    return InvalidArgument("ticket file " + path + ": expected {\"ticket\":{...},\"signature\":\"0x...\"}");
  }
  wire::SignedTicket st;
  LT_TRY(st.ticket, wire::TicketFromJson(j["ticket"]));
  LT_TRY(st.router_sig, crypto::ParseSignature(j["signature"].get<std::string>()));
  return st;
}

Status Chat(CommandContext& ctx, const SessionFlags& f) {
  LT_TRY(wire::Domain domain, DomainFrom(f));
  LT_TRY(wire::SignedTicket ticket, ReadTicket(f.ticket_file));
  LT_TRY(crypto::PrivateKey user, LoadKey(f, "User keystore password: "));
  std::string provider_addr = f.provider_addr;
  if (provider_addr.empty()) {  // a grant from `lt session rfc` names the provider's endpoint
    auto text = RealFileSystem::Default()->ReadFile(f.ticket_file, 1 << 20);
    json g = text.ok() ? ParseJson(*text) : json();
    if (g.is_object() && g.contains("endpoint") && g["endpoint"].is_string()) provider_addr = g["endpoint"];
    if (provider_addr.empty()) return InvalidArgument("--provider HOST:PORT is needed (the ticket file names no endpoint)");
  }
  LT_TRY(auto hp, net::ParseHostPort(provider_addr));
  LT_TRY(auto session, client::SessionClient::Connect(hp.first, hp.second, domain, ticket, user));
  json req = {{"model", "session"},
              {"messages", {{{"role", "user"}, {"content", f.prompt}}}},
              {"max_tokens", f.max_tokens},
              {"stream", true}};
  if (f.seed != 0) req["seed"] = f.seed;
  if (!f.request_file.empty()) {  // sent exactly as written: what any peer could send a provider
    LT_TRY(std::string text, RealFileSystem::Default()->ReadFile(f.request_file, 16 << 20));
    LT_TRY(req, ParseJsonChecked(text, "--request " + f.request_file));
  }
  bool stream = !ctx.global.json;
  auto r = session->Chat(req, [&](std::string_view d) {
    if (stream) std::cout << d << std::flush;
    return true;
  });
  if (stream) std::cout << std::endl;
  Status chat_status = r.ok() ? OkStatus() : Status(r.error());
  for (int i = 0; chat_status.ok() && i < f.hold_seconds * 10 && session->open(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  auto final_v = session->Close();
  json vouchers = json::array();
  for (const auto& v : session->SignedVouchers()) vouchers.push_back(v.voucher.ToJson());
  json out = {{"text", r.ok() ? r->text : ""},
              {"finish_reason", r.ok() ? r->finish_reason : ""},
              {"error", r.ok() ? "" : r.error().message},
              {"end_reason", session->EndReason()},
              {"vouchers", vouchers}};
  if (final_v.ok()) out["final_voucher"] = final_v->voucher.ToJson();
  if (ctx.global.json) std::cout << out.dump() << std::endl;
  return chat_status;
}

}  // namespace

void RegisterSessionCommands(CLI::App& app, CommandContext& ctx) {
  auto f = std::make_shared<SessionFlags>();
  auto* s = app.add_subcommand("session", "Sessions by hand: sign a ticket, chat with a provider");
  s->require_subcommand(1);
  auto common = [f](CLI::App* c, const char* key_help) {
    c->add_option("--keystore", f->keystore, key_help)->required();
    c->add_option("--password-file", f->password_file, "File whose first line is the keystore password");
    c->add_option("--chain-id", f->chain_id, "EIP-712 domain chain id")->required();
    c->add_option("--verifying-contract", f->verifying_contract, "EIP-712 domain contract address")->required();
  };
  auto* rf = s->add_subcommand("rfc", "Ask routers for a session ticket with a signed RFC");
  common(rf, "The user's keystore");
  rf->add_option("--router", f->routers, "Router URL (repeat for failover)")->required();
  rf->add_option("--model", f->model, "Model NAMESPACE/NAME[:TAG], NAME@CID or 0x manifest")->required();
  rf->add_option("--max-price", f->max_price, "Highest price per second in MOR")->capture_default_str();
  rf->add_option("--want-seconds", f->want_seconds, "Session seconds wanted")->capture_default_str();
  rf->add_option("--min-tps", f->min_tps, "Lowest tokens per second accepted")->capture_default_str();
  rf->add_option("--max-latency-ms", f->max_latency_ms, "Latency target (0: none)")->capture_default_str();
  rf->add_option("--out", f->out, "Write the granted ticket JSON here (for `lt session chat --ticket`)");
  rf->callback([&ctx, f] { RunCommand(ctx, [&] { return Rfc(ctx, *f); }); });
  auto* t = s->add_subcommand("ticket", "Sign a session ticket with a router key (devnet stand-in for a router)");
  common(t, "The router's keystore");
  t->add_option("--user", f->user, "User address")->required();
  t->add_option("--provider", f->provider, "Provider address")->required();
  t->add_option("--manifest", f->manifest, "Model manifest digest (0x + 64 hex)")->required();
  t->add_option("--price", f->price, "Price per second in MOR")->capture_default_str();
  t->add_option("--min-seconds", f->min_seconds, "Minimum billed seconds")->capture_default_str();
  t->add_option("--max-seconds", f->max_seconds, "Maximum session seconds")->capture_default_str();
  t->add_option("--ttl", f->ttl, "Seconds until the ticket expires")->capture_default_str();
  t->add_option("--out", f->out, "Write the signed ticket JSON here");
  t->callback([&ctx, f] { RunCommand(ctx, [&] { return Ticket(ctx, *f); }); });
  auto* c = s->add_subcommand("chat", "Open a session with a ticket, stream one chat completion, close");
  common(c, "The user's keystore");
  c->add_option("--provider", f->provider_addr, "Provider session address HOST:PORT (default: the ticket file's endpoint)");
  c->add_option("--ticket", f->ticket_file, "Signed ticket JSON file")->required();
  auto* prompt = c->add_option("--prompt", f->prompt, "The user message");
  c->add_option("--request", f->request_file,
                "A chat completion body (JSON file) sent as it is, instead of --prompt (protocol tests)")
      ->excludes(prompt);
  c->add_option("--max-tokens", f->max_tokens, "Maximum tokens to generate")->capture_default_str();
  c->add_option("--seed", f->seed, "Sampling seed (0: provider's choice)");
  c->add_option("--hold-seconds", f->hold_seconds, "Keep the session open this long after the answer");
  c->callback([&ctx, f] {
    if (f->prompt.empty() && f->request_file.empty()) throw CLI::RequiredError("--prompt or --request");
    RunCommand(ctx, [&] { return Chat(ctx, *f); });
  });
}

}  // namespace lt::cli
