// lt report verify FILE: checks a router's signed daily report (doc/analytics.md "Signature").
// `lt sim market` is in cmd_sim.cc.
#include <iostream>

#include "analytics/signing.h"
#include "cli/commands.h"
#include "ledger/day_label.h"
#include "util/fs.h"
#include "util/json.h"

namespace lt::cli {
namespace {

using nlohmann::json;

Status Verify(CommandContext& ctx, const std::string& file) {
  LT_TRY(std::string text, RealFileSystem::Default()->ReadFile(file));
  auto signer = analytics::VerifyReportText(text);
  if (!signer.ok()) return signer.error().Wrap(file);
  json doc = ParseJson(text);
  const json& r = doc["report"];
  json verdicts = r.value("verdicts", json::object());
  json out = {{"file", file}, {"valid", true}, {"signer", signer->ToChecksumHex()}, {"day", r.value("day", json())},
              {"verdicts", verdicts}};
  // A valid signature says who wrote the report, not that its fields are well formed.
  auto count = [&](const char* k) {
    auto v = verdicts.is_object() && verdicts.contains(k) ? JsonUint(verdicts[k]) : std::nullopt;
    return v ? std::to_string(*v) : std::string("?");
  };
  auto day = r.contains("day") ? JsonUint(r["day"]) : std::nullopt;
  auto day_seconds = r.contains("daySeconds") ? JsonUint(r["daySeconds"]) : std::nullopt;
  std::string when = day && day_seconds && *day_seconds > 0 ? ledger::DayLabel(*day, *day_seconds)
                     : day                                  ? "day " + std::to_string(*day)
                                                            : std::string("day ?");
  std::string human = "valid report signed by " + signer->ToChecksumHex() + "\n" + when + ": " + count("pass") +
                      " pass, " + count("watch") + " watch, " + count("fail") + " fail, " + count("unjudged") +
                      " unjudged (too few sessions)";
  PrintResult(ctx, out, human);
  return OkStatus();
}

}  // namespace

void RegisterSimCommands(CLI::App& app, CommandContext& ctx);  // cmd_sim.cc

void RegisterAnalyticsCommands(CLI::App& app, CommandContext& ctx) {
  auto* report = app.add_subcommand("report", "Router analytics reports (doc/analytics.md)");
  report->require_subcommand(1);
  static std::string file;
  auto* verify = report->add_subcommand("verify", "Check a signed daily report: prints the signer and the verdict counts");
  verify->add_option("FILE", file, "A report as served by GET /reports/<day>")->required();
  verify->callback([&ctx] { RunCommand(ctx, [&] { return Verify(ctx, file); }); });
  RegisterSimCommands(app, ctx);
}

}  // namespace lt::cli
