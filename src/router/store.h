// RouterStore: the router's durable state in SQLite (WAL mode), doc/router.md "Storage".
//
// Tables: used_nonces (keccak(salt || user || nonce) of each used RFC nonce until the RFC
// expires: never the address), meta (that salt), tickets (each ticket issued, for the user's
// exposure after a restart and the model name of records, deleted once its receipt is settled or
// refused, or once it expired unused), receipts (every receipt acknowledged, with its status
// pending | settled | refused and the ledger's reason; the signed receipt, which names the user,
// is scrubbed once settled or refused), records (the public record of each settled session:
// never a user address, prompt or output). secure_delete is on (deleted bytes are zeroed) and
// CheckpointIfScrubbed truncates the WAL after a scrub, so no user address outlives its need.
// Announces: table announcers (provider, http, expires_at) and announce_roots (provider, cid,
// expires_at).
// Two connections to one database: receipts and records are written through one with
// synchronous=FULL (a receipt is on disk, WAL fsynced, before POST /receipts answers 200);
// nonces and tickets through one with synchronous=NORMAL (durable across a process crash,
// kill -9 included; only an OS crash or power loss may drop the last ones, see the doc).
// PutNonceAndTicket goes through the intake journal (intake_journal.h): each caller appends its
// row with one write() and returns once it is in the file, and a background applier moves the
// rows into the tables in large transactions (every kApplyIntervalMs). Every method that reads
// or changes nonces or tickets applies the journal first, so it sees them all.
// Errors: kIo / kCorrupt naming the statement. Thread-safety: all methods are thread-safe.
#ifndef LT_ROUTER_STORE_H_
#define LT_ROUTER_STORE_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ledger/tx.h"
#include "router/intake_journal.h"
#include "util/result.h"

namespace lt::router {

struct TicketRow {
  wire::Ticket ticket;
  std::string model;  // what the user asked for, resolved ("ns/name:tag" or the manifest hex)
  std::string json;   // wire::ToJson(ticket).dump() when the caller has it already, else empty
};

enum class ReceiptStatus { kPending, kSettled, kRefused };
std::string_view ReceiptStatusName(ReceiptStatus s);

struct ReceiptRow {
  wire::Receipt receipt;
  ReceiptStatus status = ReceiptStatus::kPending;
  std::string reason;       // why the ledger refused it
  uint64_t received_at = 0;
  uint64_t updated_at = 0;
  U256 cost;
  bool scrubbed = false;  // settled or refused: `receipt` holds only the session id
};

struct SessionRecord {
  uint64_t seq = 0;
  Hash32 session_id{};
  std::string model;
  Hash32 manifest{};
  crypto::Address provider;
  uint64_t started = 0;     // the ticket's issuedAt
  uint32_t seconds = 0;     // voucher seconds, capped by maxSeconds
  uint32_t tokens_out = 0;
  uint32_t ttft_ms = 0;
  uint64_t settled_at = 0;
  // False when the ledger had settled the session already, from another party's receipt (the
  // provider's direct settlement): it is marked settled, but no public record is made from this
  // router's copy, whose seconds the ledger did not bill (issue 15, L2).
  bool publish = true;
};
nlohmann::json SessionRecordToJson(const SessionRecord& r);

class RouterStore {
 public:
  static Result<std::unique_ptr<RouterStore>> Open(const std::string& path);
  ~RouterStore();

  // How often the applier moves journal rows into SQLite, and the backlog that wakes it sooner.
  static constexpr int kApplyIntervalMs = 1000;
  static constexpr size_t kApplyEarlyRows = 16384;
  // Rows that could not be applied (a broken database) before new RFCs are refused.
  static constexpr size_t kMaxUnapplied = 1 << 20;

  // Nonces and tickets (the NORMAL connection). `ticket` may be null (an RFC that got none).
  Status PutNonceAndTicket(const crypto::Address& user, uint64_t nonce, uint64_t nonce_expires,
                           const TicketRow* ticket);
  Status PutTicket(const TicketRow& t);  // insert or replace (renewal)
  struct NonceRow {
    std::string key;  // NonceKey(user, nonce)
    uint64_t expires_at;
  };
  // hex(keccak256(salt || user || nonce as 8 big-endian bytes)), salt: 32 random bytes kept in
  // the database. What used_nonces holds instead of the address.
  std::string NonceKey(const crypto::Address& user, uint64_t nonce) const;
  Result<std::vector<NonceRow>> LoadNonces(uint64_t now);
  Status PruneNonces(uint64_t now);
  Result<std::optional<TicketRow>> GetTicket(const Hash32& session_id);
  // Tickets expiring after `after` with no settled or refused receipt.
  Result<std::vector<TicketRow>> OpenTickets(uint64_t after);
  // Deletes tickets that expired before `before` and have no pending receipt (unused ones).
  Status PruneTickets(uint64_t before);
  // After rows naming a user were deleted or scrubbed: PRAGMA wal_checkpoint(TRUNCATE), at most
  // once per `min_interval_ms` (the WAL would otherwise keep the old pages). Returns whether it
  // ran and succeeded.
  bool CheckpointIfScrubbed(uint64_t now_ms, uint64_t min_interval_ms);
  // Moves the intake journal's rows into the tables now (the applier does it on its own).
  Status ApplyJournal();

  // Announces (the NORMAL connection): who holds which root, until when (doc/router.md
  // "POST /announce"). PutAnnounce upserts the announcer's http (kept when `http` is empty) and
  // each root with its expiry, then keeps at most `max_roots` roots of that announcer (those
  // that expire last).
  struct AnnounceRow {
    crypto::Address provider;
    std::string http;
    uint64_t http_expires_at;  // the announcer's latest announce + ttl
    std::string cid;
    uint64_t expires_at;       // this root's
  };
  Status PutAnnounce(const crypto::Address& provider, const std::string& http, const std::vector<std::string>& roots,
                     uint64_t expires_at, size_t max_roots);
  // Unexpired (expires_at >= now) roots; an announcer with no root left has cid "".
  Result<std::vector<AnnounceRow>> LoadAnnounces(uint64_t now);
  Status PruneAnnounces(uint64_t now);

  // Session ids (doc/wire.md "Session ids"): reserves the next `count` sequences and returns the
  // first. The end of the reservation is stored (meta session_seq_limit, the FULL connection)
  // before any of them is used, so after a restart the router resumes past every id it issued.
  Result<uint64_t> ReserveSessionSequences(uint64_t count);

  // Receipts (the FULL connection). Returns false when the session already has a receipt.
  Result<bool> PutReceipt(const wire::Receipt& r, const U256& cost, uint64_t now);
  Result<std::optional<ReceiptRow>> GetReceipt(const Hash32& session_id);
  Result<std::vector<ReceiptRow>> Receipts(ReceiptStatus status, size_t limit);
  // Marks settled and appends the public records, in one transaction; scrubs the receipts and
  // deletes their tickets (MarkRefused too).
  Status MarkSettled(const std::vector<SessionRecord>& records, uint64_t now);
  Status MarkRefused(const Hash32& session_id, const std::string& reason, uint64_t now);
  Result<uint64_t> CountReceipts(ReceiptStatus status);
  Result<std::vector<SessionRecord>> Records(uint64_t since_seq, size_t limit);

 private:
  struct Impl;
  explicit RouterStore(std::unique_ptr<Impl> impl);
  Status MigrateNonces();
  std::unique_ptr<Impl> impl_;
};

}  // namespace lt::router

#endif  // LT_ROUTER_STORE_H_
