// The signed protocol messages of DESIGN §2 as native EIP-712 structs (doc/wire.md).
//
//   RFC(address user,string model,uint256 maxPricePerSecond,uint32 minTps,uint32 maxLatencyMs,
//       uint32 wantSeconds,uint64 nonce,uint64 expiresAt,address[] excludeProviders)
//   Ticket(bytes32 sessionId,address user,address provider,address router,bytes32 manifest,
//          uint256 pricePerSecond,uint32 minSeconds,uint32 maxSeconds,uint64 issuedAt,uint64 expiresAt)
//   Voucher(bytes32 sessionId,uint32 seconds,uint32 tokensOut,uint32 ttftMs,bool final)
//   Offer(address provider,bytes32 manifest,uint256 pricePerSecond,uint32 minSeconds,uint32 tps,
//         uint32 slots,uint64 nonce)
//   Pong(bytes32 challenge,address provider,uint32 freeSlots,uint64 at)
//
// Units: times are unix seconds, durations seconds (latencies and TTFT milliseconds, as named),
// amounts uint256 base units (1 MOR = 10^18). Each struct is a plain aggregate; LT_WIRE_MESSAGE
// adds TypeString(), TypeHash(), HashStruct(), Digest(domain), Sign(key, domain),
// Recover(domain, sig), ToJson(), FromJson(j), ToTypedDataJson(domain) and ==. The free
// templates of wire/typed.h (wire::HashStruct(m), wire::Digest(m, separator), ...) do the same.
// Thread-safety: plain values.
#ifndef LT_WIRE_MESSAGES_H_
#define LT_WIRE_MESSAGES_H_

#include <cstdint>
#include <string>

#include "wire/typed.h"

namespace lt::wire {

// A Request For Compute, signed by the user (POST /rfc to a router).
struct Rfc {
  static constexpr std::string_view kTypeName = "RFC";
  crypto::Address user;
  std::string model;           // "namespace/name:tag" or "namespace/name@cid"
  U256 max_price_per_second;   // base units per second
  uint32_t min_tps = 0;        // tokens per second
  uint32_t max_latency_ms = 0;
  uint32_t want_seconds = 0;
  uint64_t nonce = 0;
  uint64_t expires_at = 0;     // unix seconds
  AddressList exclude_providers;  // providers the router must not match (the client's failover)
  template <typename S, typename V>
  static void Fields(S& s, V&& v) {
    v("user", s.user);
    v("model", s.model);
    v("maxPricePerSecond", s.max_price_per_second);
    v("minTps", s.min_tps);
    v("maxLatencyMs", s.max_latency_ms);
    v("wantSeconds", s.want_seconds);
    v("nonce", s.nonce);
    v("expiresAt", s.expires_at);
    v("excludeProviders", s.exclude_providers);
  }
  LT_WIRE_MESSAGE(Rfc)
};

// A session ticket, signed by the router that matched the RFC.
struct Ticket {
  static constexpr std::string_view kTypeName = "Ticket";
  Hash32 session_id{};
  crypto::Address user;
  crypto::Address provider;
  crypto::Address router;
  Hash32 manifest{};           // sha2-256 digest inside the model manifest's CID
  U256 price_per_second;       // base units per second
  uint32_t min_seconds = 0;
  uint32_t max_seconds = 0;
  uint64_t issued_at = 0;      // unix seconds
  uint64_t expires_at = 0;     // unix seconds
  template <typename S, typename V>
  static void Fields(S& s, V&& v) {
    v("sessionId", s.session_id);
    v("user", s.user);
    v("provider", s.provider);
    v("router", s.router);
    v("manifest", s.manifest);
    v("pricePerSecond", s.price_per_second);
    v("minSeconds", s.min_seconds);
    v("maxSeconds", s.max_seconds);
    v("issuedAt", s.issued_at);
    v("expiresAt", s.expires_at);
  }
  LT_WIRE_MESSAGE(Ticket)
};

// A cumulative metering voucher, signed by the user.
struct Voucher {
  static constexpr std::string_view kTypeName = "Voucher";
  Hash32 session_id{};
  uint32_t seconds = 0;        // cumulative session seconds the user agrees to pay
  uint32_t tokens_out = 0;     // output tokens the client counted
  uint32_t ttft_ms = 0;        // client-measured time to first token
  bool is_final = false;       // EIP-712 field "final"
  template <typename S, typename V>
  static void Fields(S& s, V&& v) {
    v("sessionId", s.session_id);
    v("seconds", s.seconds);
    v("tokensOut", s.tokens_out);
    v("ttftMs", s.ttft_ms);
    v("final", s.is_final);
  }
  LT_WIRE_MESSAGE(Voucher)
};

// A provider's offer for one model, signed by the provider.
struct Offer {
  static constexpr std::string_view kTypeName = "Offer";
  crypto::Address provider;
  Hash32 manifest{};
  U256 price_per_second;
  uint32_t min_seconds = 0;
  uint32_t tps = 0;            // measured tokens per second
  uint32_t slots = 0;          // concurrent sessions
  uint64_t nonce = 0;
  template <typename S, typename V>
  static void Fields(S& s, V&& v) {
    v("provider", s.provider);
    v("manifest", s.manifest);
    v("pricePerSecond", s.price_per_second);
    v("minSeconds", s.min_seconds);
    v("tps", s.tps);
    v("slots", s.slots);
    v("nonce", s.nonce);
  }
  LT_WIRE_MESSAGE(Offer)
};

// A provider's signed answer to a router's liveness challenge.
struct Pong {
  static constexpr std::string_view kTypeName = "Pong";
  Hash32 challenge{};
  crypto::Address provider;
  uint32_t free_slots = 0;
  uint64_t at = 0;             // unix seconds
  template <typename S, typename V>
  static void Fields(S& s, V&& v) {
    v("challenge", s.challenge);
    v("provider", s.provider);
    v("freeSlots", s.free_slots);
    v("at", s.at);
  }
  LT_WIRE_MESSAGE(Pong)
};

// A batched liveness check carries at most this many challenges: `POST /ping`
// {"challenges":["0x..",...]} is answered {"pongs":[{"pong":{..},"signature":"0x.."},...]}, one
// signed Pong per challenge in the same order (doc/router.md "Liveness").
inline constexpr size_t kMaxPingChallenges = 64;

// Named parsers (the same as T::FromJson).
inline Result<Rfc> RfcFromJson(const nlohmann::json& j) { return FromJson<Rfc>(j); }
inline Result<Ticket> TicketFromJson(const nlohmann::json& j) { return FromJson<Ticket>(j); }
inline Result<Voucher> VoucherFromJson(const nlohmann::json& j) { return FromJson<Voucher>(j); }
inline Result<Offer> OfferFromJson(const nlohmann::json& j) { return FromJson<Offer>(j); }
inline Result<Pong> PongFromJson(const nlohmann::json& j) { return FromJson<Pong>(j); }

}  // namespace lt::wire

#endif  // LT_WIRE_MESSAGES_H_
