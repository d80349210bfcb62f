// lt report verify FILE: checks a router's signed daily report (doc/analytics.md "Signature").
// `lt sim market` is in cmd_sim.cc.
#include <iostream>

#include "analytics/signing.h"
#include "cli/commands.h"
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
  std::string human = "valid report signed by " + signer->ToChecksumHex() + "\nday " + r.value("day", json()).dump() +
                      ": " + std::to_string(verdicts.value("pass", 0)) + " pass, " + std::to_string(verdicts.value("watch", 0)) +
                      " watch, " + std::to_string(verdicts.value("fail", 0)) + " fail";
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
