// lt sim market: the synthetic market of doc/analytics.md "Simulation", run through the same
// analytics code as the routers' daily reports; prints precision, recall and false-positive rate.
#include <cstdio>
#include <iostream>

#include "analytics/sim.h"
#include "cli/commands.h"

namespace lt::cli {
namespace {

std::string Pct(double x) {
  char b[32];
  std::snprintf(b, sizeof b, "%.2f%%", 100 * x);
  return b;
}

Status Market(CommandContext& ctx, const analytics::SimOptions& o) {
  LT_TRY(auto r, analytics::RunMarketSim(o));
  nlohmann::json j = r.ToJson();
  j["options"] = {{"providers", o.providers}, {"users", o.users}, {"days", o.days}, {"bad", o.bad}, {"seed", o.seed}};
  std::string human = "market: " + std::to_string(o.providers) + " providers, " + std::to_string(o.users) + " users, " +
                      std::to_string(o.days) + " days, bad " + o.bad + ", seed " + std::to_string(o.seed) + "\n" +
                      "sessions " + std::to_string(r.sessions) + "; units (provider x model x day): " +
                      std::to_string(r.tp + r.fp + r.fn + r.tn) + "\n" +
                      "precision " + Pct(r.precision) + "  recall " + Pct(r.recall) + "  false-positive rate " +
                      Pct(r.fpr) + "  (tp " + std::to_string(r.tp) + ", fp " + std::to_string(r.fp) + ", fn " +
                      std::to_string(r.fn) + ", tn " + std::to_string(r.tn) + ")\n";
  for (const auto& [kind, v] : r.by_kind) {
    human += "  " + kind + ": " + std::to_string(v.first) + " of " + std::to_string(v.second) + " units failed\n";
  }
  human += "honest provider failed: " + std::string(r.honest_failed > 0 ? "YES (" + std::to_string(r.honest_failed) + " units)" : "no") +
           "\nyellowstone victims: " + std::to_string(r.victim_units) + " units attacked, " + std::to_string(r.victim_failed) +
           " failed (" + std::to_string(r.victim_failed_unweighted) + " would fail without per-user weighting)";
  PrintResult(ctx, j, human);
  return OkStatus();
}

}  // namespace

void RegisterSimCommands(CLI::App& app, CommandContext& ctx) {
  auto* sim = app.add_subcommand("sim", "Simulations of the analytics (doc/analytics.md)");
  sim->require_subcommand(1);
  static analytics::SimOptions o;
  auto* market = sim->add_subcommand("market", "A synthetic market with misbehaving providers, judged by the daily reports");
  market->add_option("--providers", o.providers, "Providers")->capture_default_str();
  market->add_option("--users", o.users, "Users")->capture_default_str();
  market->add_option("--days", o.days, "Days")->capture_default_str();
  market->add_option("--bad", o.bad, "Misbehaving providers: kind:count,... (abandon, overstate, wash, yellowstone)")
      ->capture_default_str();
  market->add_option("--seed", o.seed, "Random seed")->capture_default_str();
  market->callback([&ctx] { RunCommand(ctx, [&] { return Market(ctx, o); }); });
}

}  // namespace lt::cli
