// lt models: the network's catalog (doc/client.md "lt models"): every NAME:TAG on the ledger with
// its kind, format and size (from the manifest, fetched from a holder the routers know), the
// providers offering it (the ledger's offers; banned ones as the first router that answers sees
// them) and their price range. Settings as `lt chat` (--ledger, --router, --config, --devnet,
// <datadir>/config.toml).
#include <algorithm>
#include <cstdio>
#include <map>
#include <optional>

#include "cli/commands.h"
#include "cli/user_config.h"
#include "ledger/client.h"
#include "rpc/router_client.h"
#include "registry/holders.h"
#include "registry/manifest.h"
#include "registry/resolve.h"

namespace lt::cli {
namespace {

using nlohmann::json;

struct ModelsFlags {
  std::string ledger, config, devnet;
  std::vector<std::string> routers;
  bool no_sizes = false;
};

// "1.2 MB", "980 KB", "512 B".
std::string HumanBytes(uint64_t n) {
  const char* units[] = {"B", "KB", "MB", "GB", "TB"};
  double v = static_cast<double>(n);
  int u = 0;
  while (v >= 1000 && u < 4) {
    v /= 1000;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", v, units[u]);
  return buf;
}

// Providers banned as the first router that answers GET /providers sees them.
std::optional<std::map<std::string, bool>> RouterBans(const std::vector<std::string>& routers, json* errors) {
  rpc::RouterClient client(routers, {{2000, 5000, 5000}});
  for (const auto& per : client.Providers()) {
    if (!per.answer.ok()) {
      errors->push_back(per.router + ": " + per.answer.error().message);
      continue;
    }
    std::map<std::string, bool> banned;
    for (const auto& p : *per.answer) banned[p.address.ToChecksumHex()] = p.banned_ms > 0;
    return banned;
  }
  return std::nullopt;
}

Status Models(const CommandContext& ctx, const ModelsFlags& f) {
  if (f.ledger.empty()) return InvalidArgument(NoNetworkHint(ctx.global.Datadir()));
  auto l = ledger::RemoteLedger::Connect(f.ledger);
  if (!l.ok()) {
    return MakeError(l.error().code, "ledger " + f.ledger + " unreachable (" + l.error().message +
                                         "); is it running? ('lt devnet' starts one; fix the URL with --ledger)");
  }
  LT_TRY(auto models, (*l)->GetModels());
  LT_TRY(auto providers, (*l)->GetProviders());
  json router_errors = json::array();
  auto bans = RouterBans(f.routers, &router_errors);
  registry::RouterHolders holders(f.routers, {});
  json out = json::array();
  std::string human = "MODEL\tKIND\tFORMAT\tSIZE\tPROVIDERS\tPRICE MOR/s";
  for (const auto& m : models) {
    for (const auto& [tag, manifest] : m.tags) {
      const Hash32 digest = manifest;
      json row = {{"model", m.name + ":" + tag},   {"name", m.name},
                  {"tag", tag},                    {"kind", m.kind},
                  {"owner", m.owner.ToChecksumHex()}, {"builder_fee_bps", m.builder_fee_bps},
                  {"manifest", HexEncode0x(digest)}};
      std::optional<U256> lo, hi;
      int offering = 0, banned = 0;
      for (const auto& p : providers) {
        for (const auto& o : p.offers) {
          if (o.manifest != digest || o.slots == 0) continue;
          ++offering;
          if (bans && (*bans)[p.address.ToChecksumHex()]) ++banned;
          if (!lo || o.price_per_second < *lo) lo = o.price_per_second;
          if (!hi || *hi < o.price_per_second) hi = o.price_per_second;
        }
      }
      row["providers"] = offering;
      row["providers_banned"] = bans ? json(banned) : json(nullptr);
      row["price_min_mor"] = lo ? json(lo->ToMor()) : json(nullptr);
      row["price_max_mor"] = hi ? json(hi->ToMor()) : json(nullptr);
      std::string size_text = "?", format = "?";
      if (!f.no_sizes && !f.routers.empty()) {
        auto block = registry::FetchBlock(holders, registry::ManifestCid(digest));
        auto man = block.ok() ? registry::Manifest::Decode(std::string_view(
                                    reinterpret_cast<const char*>(block->data()), block->size()))
                              : Result<registry::Manifest>(block.error());
        if (man.ok()) {
          row["format"] = man->format;
          row["architecture"] = man->architecture;
          row["size_bytes"] = man->requirements.ram_bytes;
          size_text = HumanBytes(man->requirements.ram_bytes);
          format = man->format;
        } else {
          row["manifest_error"] = man.error().message;
        }
      }
      std::string price = !lo ? "-" : (*lo == *hi ? lo->ToMor() : lo->ToMor() + "-" + hi->ToMor());
      std::string prov = std::to_string(offering) + (banned ? " (" + std::to_string(banned) + " banned)" : "");
      human += "\n" + m.name + ":" + tag + "\t" + m.kind + "\t" + format + "\t" + size_text + "\t" + prov + "\t" + price;
      out.push_back(std::move(row));
    }
  }
  if (out.empty()) human += "\n(no models registered yet: 'lt model push' publishes one)";
  for (const auto& e : router_errors) human += "\nrouter " + e.get<std::string>();
  PrintResult(ctx, {{"models", out}, {"router_errors", router_errors}}, human);
  return OkStatus();
}

}  // namespace

void RegisterModelsCommand(CLI::App& app, CommandContext& ctx) {
  auto f = std::make_shared<ModelsFlags>();
  auto* cmd = app.add_subcommand("models", "The network's models: tags, sizes, providers and prices");
  cmd->add_option("--ledger", f->ledger, "Ledger URL (default: from --config, --devnet or <datadir>/config.toml)");
  cmd->add_option("--router", f->routers, "Router URL (bans, and holders of the manifests for sizes)");
  cmd->add_flag("--no-sizes", f->no_sizes, "Do not fetch manifests (no sizes or formats)");
  AddConfigFlags(cmd, &f->config, &f->devnet);
  cmd->callback([&ctx, f, cmd] {
    RunCommand(ctx, [&]() -> Status {
      LT_TRY_STATUS(ApplyUserConfig(cmd, ctx.global.Datadir(), f->config, f->devnet));
      return Models(ctx, *f);
    });
  });
}

}  // namespace lt::cli
