#include "cli/usage.h"

#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "util/near_match.h"

namespace lt::cli {
namespace {

// The deepest subcommand the parse reached, and its command path ("lt model").
const CLI::App* Deepest(const CLI::App& root, std::string* path) {
  const CLI::App* failed = &root;
  *path = root.get_name();
  for (const CLI::App* sub = &root; sub != nullptr;) {
    failed = sub;
    if (sub != &root) *path += " " + sub->get_name();
    auto subs = sub->get_subcommands();
    sub = subs.empty() ? nullptr : subs.front();
  }
  return failed;
}

std::vector<std::string> SubcommandNames(const CLI::App* app) {
  std::vector<std::string> names;
  for (const CLI::App* s : app->get_subcommands([](const CLI::App*) { return true; })) {
    if (!s->get_name().empty()) names.push_back(s->get_name());
  }
  return names;
}

std::vector<std::string> FlagNames(const CLI::App* app) {
  std::vector<std::string> names;
  for (const CLI::App* a = app; a != nullptr; a = a->get_parent()) {
    for (const CLI::Option* o : a->get_options()) {
      for (const auto& l : o->get_lnames()) names.push_back("--" + l);
    }
  }
  return names;
}

std::string Join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

}  // namespace

int ReportUsageError(const CLI::App& root, const CLI::ParseError& e, bool json) {
  std::string path;
  const CLI::App* failed = Deepest(root, &path);
  // With fallthrough, arguments a subcommand did not take are kept by its parents: gather all.
  std::vector<std::string> extras = root.remaining(true);
  std::vector<std::string> subs = SubcommandNames(failed);
  std::string flag;
  for (const auto& x : extras) {
    if (flag.empty() && x.size() > 1 && x[0] == '-') flag = x.substr(0, x.find('='));
  }
  std::string message;
  if (!flag.empty()) {
    message = "unknown flag '" + flag + "' for '" + path + "'" + DidYouMean(flag, FlagNames(failed));
  } else if (!extras.empty() && !subs.empty()) {
    message = "unknown subcommand '" + extras.front() + "' of '" + path + "'" + DidYouMean(extras.front(), subs);
    if (message.find("did you mean") == std::string::npos) message += " (one of: " + Join(subs) + ")";
  } else if (dynamic_cast<const CLI::RequiredError*>(&e) != nullptr && !subs.empty() &&
             std::string(e.what()).find("ubcommand") != std::string::npos) {
    message = "'" + path + "' needs a subcommand: " + Join(subs);
  } else {
    message = e.what();
  }
  std::string hint = "run '" + path + " --help' for usage";
  if (json) {
    std::cerr << nlohmann::json{{"error", {{"code", "usage"}, {"message", message}, {"hint", hint}}}}.dump()
              << std::endl;
  } else {
    std::cerr << "lt: usage error: " << message << "\n" << hint << std::endl;
  }
  return 2;
}

}  // namespace lt::cli
