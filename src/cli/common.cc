#include "cli/common.h"

#include <pthread.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <thread>

#include "util/fs.h"

namespace lt::cli {

std::string GlobalOptions::Datadir() const { return ExpandHome(datadir); }

namespace {
bool g_json_errors = false;  // set once by main before any thread starts
}  // namespace

void SetJsonErrors(bool on) { g_json_errors = on; }

int Fail(const Error& e) {
  if (g_json_errors) {
    std::cerr << nlohmann::json{{"error", {{"code", std::string(ErrorCodeName(e.code))}, {"message", e.message}}}}.dump()
              << std::endl;
  } else {
    std::cerr << "lt: error: " << e.message << std::endl;
  }
  return 1;
}

int Fail(const std::string& message) { return Fail(Error{ErrorCode::kInternal, message}); }

namespace {

Result<SecretBytes> AskOnTerminal(const std::string& prompt) {
  FILE* tty = std::fopen("/dev/tty", "r+");
  if (tty == nullptr) {
    return InvalidArgument("no --password-file given and no terminal to ask for the password on");
  }
  int fd = fileno(tty);
  termios old_t;
  bool have_t = tcgetattr(fd, &old_t) == 0;
  if (have_t) {
    termios t = old_t;
    t.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(fd, TCSAFLUSH, &t);
  }
  std::fprintf(tty, "%s", prompt.c_str());
  std::fflush(tty);
  std::string line;
  int c;
  while ((c = std::fgetc(tty)) != EOF && c != '\n') line.push_back(static_cast<char>(c));
  if (have_t) tcsetattr(fd, TCSAFLUSH, &old_t);
  std::fprintf(tty, "\n");
  std::fclose(tty);
  SecretBytes out(AsBytes(line));
  SecureWipe(line.data(), line.size());
  return out;
}

}  // namespace

Result<SecretBytes> ReadPassword(const std::string& password_file, const std::string& prompt, bool confirm) {
  if (!password_file.empty()) {
    auto content = RealFileSystem::Default()->ReadFile(password_file, 1 << 16);
    if (!content.ok()) return content.error().Wrap("password file");
    std::string& s = *content;
    auto nl = s.find('\n');
    size_t len = nl == std::string::npos ? s.size() : nl;
    if (len > 0 && s[len - 1] == '\r') --len;
    SecretBytes out(AsBytes(std::string_view(s.data(), len)));
    SecureWipe(s.data(), s.size());
    return out;
  }
  LT_TRY(SecretBytes first, AskOnTerminal(prompt));
  if (confirm) {
    LT_TRY(SecretBytes second, AskOnTerminal("Repeat the password: "));
    if (!ConstantTimeEqual(first.span(), second.span())) {
      return InvalidArgument("the two passwords differ");
    }
  }
  return first;
}

CLI::App* ModelGroup(CLI::App& app) {
  for (CLI::App* sub : app.get_subcommands([](CLI::App* a) { return a->get_name() == "model"; })) return sub;
  auto* model = app.add_subcommand("model", "Publish, pull, inspect and move models and agents");
  model->require_subcommand(1);
  return model;
}

CLI::App* BenchGroup(CLI::App& app) {
  for (CLI::App* sub : app.get_subcommands([](CLI::App* a) { return a->get_name() == "bench"; })) return sub;
  auto* bench = app.add_subcommand("bench", "Benchmarks of this machine");
  bench->require_subcommand(1);
  return bench;
}

sigset_t BlockStopSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

void ServeUntilStopSignal(const sigset_t& stop_signals, const std::function<void()>& run,
                          const std::function<void()>& stop) {
  std::thread waiter([&] {
    int sig = 0;
    sigwait(&stop_signals, &sig);
    stop();
  });
  run();
  // `run` returned (after `stop`, or on its own): wake the waiter if it is still waiting.
  pthread_kill(waiter.native_handle(), SIGTERM);
  waiter.join();
}

void PrintResult(const CommandContext& ctx, const nlohmann::json& j, const std::string& human) {
  if (ctx.global.json) {
    std::cout << j.dump(2) << std::endl;
  } else {
    std::cout << human << std::endl;
  }
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5));
  return v[i];
}

std::string DefaultModelsDir() {
  const char* env = std::getenv("LT_MODELS_DIR");
  if (env != nullptr && *env != '\0') return env;
#ifdef LT_MODELS_DIR
  return LT_MODELS_DIR;
#else
  return "models";
#endif
}

}  // namespace lt::cli
