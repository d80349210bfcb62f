// lt ledger init/serve/verify/txs/close-day/state, and the user commands against a ledger URL:
// lt balance, transfer, deposit, withdraw, claim (doc/ledger.md).
#include <iostream>
#include <memory>

#include "cli/chain_ledger.h"
#include "cli/commands.h"
#include "ledger/day_label.h"
#include "crypto/keystore.h"
#include "ledger/client.h"
#include "ledger/names.h"
#include "ledger/embedded.h"
#include "ledger/server.h"
#include "util/fs.h"
#include "util/log.h"

namespace lt::cli {

namespace {

using nlohmann::json;

constexpr const char* kDefaultLedgerUrl = "http://127.0.0.1:7545";

std::string DbPath(const CommandContext& ctx) { return ctx.global.Datadir() + "/ledger/ledger.db"; }

struct UserOptions {
  std::string ledger = kDefaultLedgerUrl;
  std::string chain;  // a deployment file or devnet.json: the Compute Contract on a chain instead
  std::string keystore;
  std::string password_file;
  std::string address;
};

void AddUserOptions(CLI::App* cmd, UserOptions& o, bool needs_key) {
  cmd->add_option("--ledger", o.ledger, "Ledger URL")->capture_default_str();
  cmd->add_option("--chain", o.chain,
                  "Deployment file (lt chain deploy) or devnet.json: use the Compute Contract on that chain "
                  "instead of --ledger (the keystore's key pays the gas)");
  cmd->add_option("--keystore", o.keystore,
                  needs_key ? "Keystore file of the sender" : "Keystore file (its address)")
      ->required(needs_key);
  if (needs_key) cmd->add_option("--password-file", o.password_file, "File whose first line is the password");
}

Result<crypto::PrivateKey> LoadKey(const UserOptions& o) {
  LT_TRY(SecretBytes pw, ReadPassword(o.password_file, "Password for " + o.keystore + ": ", false));
  return crypto::LoadKeystoreFile(o.keystore, pw.span());
}

Result<U256> ParseMor(const std::string& s) {
  auto v = U256::FromMor(s);
  if (!v.ok()) return InvalidArgument("--amount: " + v.error().message);
  if (v->IsZero()) return InvalidArgument("--amount must be positive");
  return *v;
}

// Sends one transaction signed with the keystore's key; prints the outcome.
Status SendTx(CommandContext& ctx, const UserOptions& o, ledger::Tx tx, const std::string& human) {
  LT_TRY(auto key, LoadKey(o));
  LT_TRY(auto l, OpenLedger(o.ledger, o.chain, key));
  LT_TRY(auto r, ledger::SignAndSubmit(*l, std::move(tx), key));
  json j = {{"index", r.index}, {"outcome", r.outcome.ToJson()}};
  PrintResult(ctx, j, human + " (tx #" + std::to_string(r.index) + ")");
  return OkStatus();
}


void RegisterLedgerAdmin(CLI::App& app, CommandContext& ctx) {
  auto* ledger = app.add_subcommand("ledger", "The embedded ledger (Compute Contract)");
  ledger->require_subcommand(1);

  auto* init =
      ledger->add_subcommand("init", "Create a ledger database in the data directory from a genesis file");
  static std::string genesis_file;
  init->add_option("--genesis", genesis_file, "Genesis JSON file (see doc/ledger.md)")->required();
  init->callback([&ctx] {
    RunCommand(ctx, [&]() -> Status {
      LT_TRY(std::string text, RealFileSystem::Default()->ReadFile(genesis_file, 16 << 20));
      LT_TRY(ledger::Genesis g, ledger::ParseGenesisText(text, SystemClock::Default()->NowSeconds()));
      LT_TRY_STATUS(RealFileSystem::Default()->CreateDirs(ctx.global.Datadir() + "/ledger", 0700));
      ledger::EmbeddedOptions o;
      o.db_path = DbPath(ctx);
      LT_TRY(auto l, ledger::EmbeddedLedger::Create(o, g));
      LT_TRY(auto st, l->GetStateInfo());
      json j = {
          {"database", o.db_path}, {"chain_id", g.chain_id}, {"state_hash", HexEncode0x(st.state_hash)}};
      PrintResult(ctx, j, "ledger created at " + o.db_path + " (chain " + std::to_string(g.chain_id) + ")");
      return OkStatus();
    });
  });

  auto* serve = ledger->add_subcommand("serve", "Serve the ledger's HTTP JSON API");
  static std::string listen = "127.0.0.1:7545";
  static UserOptions serve_chain;
  serve->add_option("--listen", listen, "host:port")->capture_default_str();
  serve->add_option("--chain", serve_chain.chain,
                    "Serve the Compute Contract on this chain (deployment file or devnet.json) instead of the "
                    "embedded ledger");
  serve->add_option("--keystore", serve_chain.keystore,
                    "With --chain: the relayer's keystore (pays the gas of the transactions it relays); "
                    "without it the API is read-only");
  serve->add_option("--password-file", serve_chain.password_file, "File whose first line is the password");
  serve->callback([&ctx] {
    RunCommand(ctx, [&]() -> Status {
      SetLogTag("ledger");
      LT_TRY(auto hp, net::ParseHostPort(listen));
      sigset_t set = BlockStopSignals();  // before any thread starts
      if (!serve_chain.chain.empty()) {
        std::optional<crypto::PrivateKey> relayer;
        if (!serve_chain.keystore.empty()) {
          LT_TRY(auto key, LoadKey(serve_chain));
          relayer = std::move(key);
        }
        LT_TRY(auto l, OpenLedger("", serve_chain.chain, relayer));
        ledger::LedgerServer server(*l);
        LT_TRY(int port, server.Listen(hp.first, hp.second));
        LT_INFO("ledger serving the chain of " << serve_chain.chain << " on http://" << hp.first << ":" << port);
        std::cout << "listening on " << hp.first << ":" << port << std::endl;
        ServeUntilStopSignal(set, [&] { server.Run(); }, [&] { server.Stop(); });
        return OkStatus();
      }
      ledger::EmbeddedOptions o;
      o.db_path = DbPath(ctx);
      if (!RealFileSystem::Default()->Exists(o.db_path)) {
        return NotFound("no ledger at " + o.db_path + " (run lt ledger init --genesis FILE first)");
      }
      LT_TRY(auto l, ledger::EmbeddedLedger::Open(o));
      ledger::LedgerServer server(*l);
      LT_TRY(int port, server.Listen(hp.first, hp.second));
      LT_INFO("ledger serving on http://" << hp.first << ":" << port << " (" << o.db_path << ")");
      std::cout << "listening on " << hp.first << ":" << port << std::endl;
      ServeUntilStopSignal(set, [&] { server.Run(); }, [&] { server.Stop(); });
      return OkStatus();
    });
  });

  auto* verify =
      ledger->add_subcommand("verify", "Re-execute the tx log from genesis and compare state hashes");
  verify->callback([&ctx] {
    RunCommand(ctx, [&]() -> Status {
      LT_TRY(auto report, ledger::EmbeddedLedger::Verify(DbPath(ctx)));
      json j = {{"ok", report.ok},
                {"entries", report.entries},
                {"replayed_state_hash", HexEncode0x(report.replayed_hash)},
                {"stored_state_hash", HexEncode0x(report.stored_hash)}};
      if (!report.ok) {
        return MakeError(ErrorCode::kCorrupt, report.message + " (replayed " +
                                                  HexEncode0x(report.replayed_hash) + ", stored " +
                                                  HexEncode0x(report.stored_hash) + ")");
      }
      PrintResult(ctx, j,
                  "ok: " + std::to_string(report.entries) + " tx log entries reproduce state " +
                      HexEncode0x(report.stored_hash));
      return OkStatus();
    });
  });

  auto* txs = ledger->add_subcommand("txs", "Print the transaction log from an index (for auditors)");
  static std::string txs_url = kDefaultLedgerUrl;
  static uint64_t txs_from = 0, txs_limit = 100;
  txs->add_option("--ledger", txs_url, "Ledger URL")->capture_default_str();
  static std::string txs_chain;
  txs->add_option("--chain", txs_chain, "Deployment file or devnet.json: the Compute Contract on that chain");
  txs->add_option("--from", txs_from, "First index")->capture_default_str();
  txs->add_option("--limit", txs_limit, "At most this many entries")->capture_default_str();
  txs->callback([&ctx] {
    RunCommand(ctx, [&]() -> Status {
      LT_TRY(auto l, OpenLedger(txs_url, txs_chain));
      LT_TRY(auto entries, l->GetTxs(txs_from, txs_limit));
      json arr = json::array();
      std::string human;
      for (const auto& e : entries) {
        arr.push_back(ledger::TxLogEntryToJson(e));
        std::string sender;
        if (e.tx.is_object() && e.tx.contains("message")) {
          for (const auto& [k, v] : e.tx["message"].items()) {
            if (sender.empty() && v.is_string() && v.get<std::string>().size() == 42)
              sender = v.get<std::string>();
          }
        }
        human += "#" + std::to_string(e.index) + " t=" + std::to_string(e.time) + " " + e.type +
                 (sender.empty() ? "" : " " + sender) + "\n";
      }
      if (!human.empty()) human.pop_back();
      PrintResult(ctx, {{"txs", arr}}, human.empty() ? "(no entries)" : human);
      return OkStatus();
    });
  });

  auto* close = ledger->add_subcommand("close-day", "Close the days that have ended (anyone; idempotent)");
  static std::string close_url = kDefaultLedgerUrl;
  close->add_option("--ledger", close_url, "Ledger URL")->capture_default_str();
  static std::string close_chain;
  close->add_option("--chain", close_chain, "Deployment file or devnet.json: the Compute Contract on that chain");
  close->callback([&ctx] {
    RunCommand(ctx, [&]() -> Status {
      LT_TRY(auto l, OpenLedger(close_url, close_chain));
      LT_TRY(uint64_t n, l->CloseDays());
      LT_TRY(auto day, l->GetDay());
      PrintResult(ctx, {{"closed", n}, {"day", day.day}, {"day_label", ledger::DayLabel(day.day, day.day_seconds)}},
                  "closed " + std::to_string(n) + " day(s); the open day is " +
                      ledger::DayLabel(day.day, day.day_seconds) + " (day " + std::to_string(day.day) + ")");
      return OkStatus();
    });
  });

  auto* state =
      ledger->add_subcommand("state", "Print the state hash and check the invariant of a served ledger");
  static std::string state_url = kDefaultLedgerUrl;
  state->add_option("--ledger", state_url, "Ledger URL")->capture_default_str();
  static std::string state_chain;
  state->add_option("--chain", state_chain, "Deployment file or devnet.json: the Compute Contract on that chain");
  state->callback([&ctx] {
    RunCommand(ctx, [&]() -> Status {
      LT_TRY(auto l, OpenLedger(state_url, state_chain));
      LT_TRY(auto s, l->GetStateInfo());
      if (!s.invariant_ok) return MakeError(ErrorCode::kCorrupt, s.invariant_error);
      PrintResult(
          ctx,
          {{"state_hash", HexEncode0x(s.state_hash)}, {"invariant_ok", true}, {"tx_log_size", s.tx_log_size}},
          "state " + HexEncode0x(s.state_hash) + ", invariant holds, " + std::to_string(s.tx_log_size) +
              " tx log entries");
      return OkStatus();
    });
  });
}

void RegisterUserCommands(CLI::App& app, CommandContext& ctx) {
  static UserOptions bal;
  auto* balance = app.add_subcommand("balance", "Wallet, vault, allowance left today, claimable, nonce");
  AddUserOptions(balance, bal, false);
  balance->add_option("--address", bal.address, "Address to look up (or the keystore's)");
  balance->callback([&ctx] {
    RunCommand(ctx, [&]() -> Status {
      crypto::Address addr;
      if (!bal.address.empty()) {
        LT_TRY(addr, crypto::ParseAddress(bal.address));
      } else if (!bal.keystore.empty()) {
        LT_TRY(std::string text, RealFileSystem::Default()->ReadFile(bal.keystore, 1 << 20));
        LT_TRY(addr, crypto::KeystoreAddress(text));
      } else {
        return InvalidArgument("give --address or --keystore");
      }
      LT_TRY(auto l, OpenLedger(bal.ledger, bal.chain));
      LT_TRY(auto a, l->GetAccount(addr));
      std::string human = "address      " + a.address.ToChecksumHex() + "\nwallet       " + a.wallet.ToMor() +
                          " MOR\nvault        " + a.vault.ToMor() + " MOR\nallowance    " +
                          a.allowance_left.ToMor() + " of " + a.allowance_total.ToMor() +
                          " MOR left today\nclaimable    " + a.claimable.ToMor() + " MOR";
      if (!a.pending_withdrawal.IsZero()) {
        human += "\npending      " + a.pending_withdrawal.ToMor() + " MOR (reaches the wallet on day " +
                 std::to_string(a.pending_available_day) + ")";
      }
      if (!a.router_stake.IsZero()) human += "\nrouter stake " + a.router_stake.ToMor() + " MOR";
      if (!a.provider_stake.IsZero()) human += "\nprov. stake  " + a.provider_stake.ToMor() + " MOR";
      human += "\nnonce        " + std::to_string(a.nonce);
      PrintResult(ctx, ledger::AccountInfoToJson(a), human);
      return OkStatus();
    });
  });

  static UserOptions tr;
  static std::string tr_to, tr_amount;
  auto* transfer = app.add_subcommand("transfer", "Send MOR from your wallet");
  AddUserOptions(transfer, tr, true);
  transfer->add_option("--to", tr_to, "Recipient address")->required();
  transfer->add_option("--amount", tr_amount, "Amount in MOR (e.g. 1.5)")->required();
  transfer->callback([&ctx] {
    RunCommand(ctx, [&]() -> Status {
      ledger::Tx tx;
      tx.type = ledger::TxType::kTransfer;
      LT_TRY(tx.to, crypto::ParseAddress(tr_to));
      LT_TRY(tx.amount, ParseMor(tr_amount));
      return SendTx(ctx, tr, tx, "sent " + tx.amount.ToMor() + " MOR to " + tx.to.ToChecksumHex());
    });
  });

  struct AmountCmd {
    const char* name;
    const char* help;
    ledger::TxType type;
    const char* verb;
  };
  static const AmountCmd kAmountCmds[] = {
      {"deposit", "Move MOR from your wallet into your vault (earns a daily compute allowance)",
       ledger::TxType::kDeposit, "deposited"},
      {"withdraw", "Move MOR from your vault to your wallet (at the next day boundary)",
       ledger::TxType::kWithdraw, "withdrawal requested of"},
  };
  static UserOptions amount_opts[2];
  static std::string amounts[2];
  for (int i = 0; i < 2; ++i) {
    auto* cmd = app.add_subcommand(kAmountCmds[i].name, kAmountCmds[i].help);
    AddUserOptions(cmd, amount_opts[i], true);
    cmd->add_option("--amount", amounts[i], "Amount in MOR")->required();
    cmd->callback([&ctx, i] {
      RunCommand(ctx, [&]() -> Status {
        ledger::Tx tx;
        tx.type = kAmountCmds[i].type;
        LT_TRY(tx.amount, ParseMor(amounts[i]));
        return SendTx(ctx, amount_opts[i], tx,
                      std::string(kAmountCmds[i].verb) + " " + tx.amount.ToMor() + " MOR");
      });
    });
  }

  static UserOptions cl;
  auto* claim = app.add_subcommand(
      "claim", "Move your claimable credits (provider and builder earnings) to your wallet");
  AddUserOptions(claim, cl, true);
  claim->callback([&ctx] {
    RunCommand(ctx, [&]() -> Status {
      LT_TRY(auto key, LoadKey(cl));
      LT_TRY(auto l, OpenLedger(cl.ledger, cl.chain, key));
      ledger::Tx tx;
      tx.type = ledger::TxType::kClaim;
      LT_TRY(auto r, ledger::SignAndSubmit(*l, tx, key));
      PrintResult(ctx, {{"index", r.index}, {"outcome", r.outcome.ToJson()}},
                  "claimed " + r.outcome.claimed.value_or(U256()).ToMor() + " MOR (tx #" +
                      std::to_string(r.index) + ")");
      return OkStatus();
    });
  });
}

}  // namespace

// lt ledger register-model / set-tag: the builder's two ledger transactions (DESIGN §4). The
// names are checked here too, so a typo is reported before anything is signed.
void RegisterBuilderCommands(CLI::App& app, CommandContext& ctx) {
  CLI::App* ledger = app.get_subcommand("ledger");
  static UserOptions rm;
  static std::string rm_name, rm_kind = "model";
  static uint32_t rm_fee = 0;
  auto* reg = ledger->add_subcommand("register-model", "Register a model or agent name (namespace/name) as its owner");
  AddUserOptions(reg, rm, true);
  reg->add_option("name", rm_name, "namespace/name")->required();
  reg->add_option("--kind", rm_kind, "model or agent")->capture_default_str();
  reg->add_option("--builder-fee-bps", rm_fee, "Builder's share of each session's cost, in basis points")
      ->capture_default_str();
  reg->callback([&ctx] {
    RunCommand(ctx, [&]() -> Status {
      LT_TRY_STATUS(ledger::ValidateModelName(rm_name));
      if (rm_kind != "model" && rm_kind != "agent") return InvalidArgument("--kind must be model or agent");
      ledger::Tx tx;
      tx.type = ledger::TxType::kRegisterModel;
      tx.name = rm_name;
      tx.kind = rm_kind;
      tx.builder_fee_bps = rm_fee;
      return SendTx(ctx, rm, tx, "registered " + rm_kind + " " + rm_name);
    });
  });

  static UserOptions st;
  static std::string st_ref, st_manifest;
  auto* tag = ledger->add_subcommand("set-tag", "Point namespace/name:tag at a manifest (owner only)");
  AddUserOptions(tag, st, true);
  tag->add_option("ref", st_ref, "namespace/name:tag")->required();
  tag->add_option("--manifest", st_manifest, "Manifest digest (0x + 64 hex)")->required();
  tag->callback([&ctx] {
    RunCommand(ctx, [&]() -> Status {
      auto colon = st_ref.rfind(':');
      if (colon == std::string::npos) return InvalidArgument("expected namespace/name:tag, got '" + st_ref + "'");
      ledger::Tx tx;
      tx.type = ledger::TxType::kSetTag;
      tx.name = st_ref.substr(0, colon);
      tx.tag = st_ref.substr(colon + 1);
      LT_TRY_STATUS(ledger::ValidateModelName(tx.name));
      LT_TRY_STATUS(ledger::ValidateTag(tx.tag));
      LT_TRY(tx.manifest, HexDecodeFixed<32>(st_manifest));
      return SendTx(ctx, st, tx, "tagged " + st_ref + " -> " + st_manifest);
    });
  });
}

void RegisterLedgerCommands(CLI::App& app, CommandContext& ctx) {
  RegisterLedgerAdmin(app, ctx);
  RegisterUserCommands(app, ctx);
  RegisterBuilderCommands(app, ctx);
}

}  // namespace lt::cli
