#include "cli/llama_peer.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

extern char** environ;

namespace lt::cli {

namespace {

std::string FindOnPath(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::stringstream ss(path != nullptr ? path : "/usr/bin:/bin");
  std::string dir;
  while (std::getline(ss, dir, ':')) {
    std::string p = dir + "/" + name;
    if (::access(p.c_str(), X_OK) == 0) return p;
  }
  return "";
}

}  // namespace

Result<std::string> LlamaPeerDir() {
  const char* env = std::getenv("LT_LLAMA_DIR");
  std::string dir = env != nullptr && *env != 0 ? env : std::string(LT_SOURCE_DIR) + "/tests/llama";
  if (FindOnPath("node").empty()) return MakeError(ErrorCode::kUnavailable, "node is not installed (make deps)");
  if (::access((dir + "/node_modules/node-llama-cpp").c_str(), F_OK) != 0) {
    return MakeError(ErrorCode::kUnavailable, "node-llama-cpp is not installed in " + dir + "/node_modules (make deps)");
  }
  return dir;
}

Result<nlohmann::json> RunLlamaPeer(const std::string& dir, const nlohmann::json& jobs) {
  std::string node = FindOnPath("node");
  if (node.empty()) return MakeError(ErrorCode::kUnavailable, "node is not installed (make deps)");
  auto tmp = std::filesystem::temp_directory_path() / ("lt-llama-peer-" + std::to_string(::getpid()));
  std::filesystem::create_directories(tmp);
  const std::string in = (tmp / "jobs.json").string(), out = (tmp / "out.json").string(),
                    err = (tmp / "err.txt").string();
  {
    std::ofstream f(in);
    f << nlohmann::json{{"jobs", jobs}}.dump();
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, in.c_str(), O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&fa, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addchdir_np(&fa, dir.c_str());
  std::string script = dir + "/peer.mjs";
  char* argv[] = {node.data(), script.data(), nullptr};
  pid_t pid = 0;
  int rc = posix_spawn(&pid, node.c_str(), &fa, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  auto slurp = [](const std::string& p) {
    std::ifstream f(p);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
  };
  if (rc != 0) {
    std::filesystem::remove_all(tmp);
    return MakeError(ErrorCode::kUnavailable, "could not start node: " + std::string(std::strerror(rc)));
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  std::string text = slurp(out), errors = slurp(err);
  std::filesystem::remove_all(tmp);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return MakeError(ErrorCode::kInternal, "llama.cpp peer failed: " + errors.substr(0, 2000));
  }
  try {
    return nlohmann::json::parse(text).at("results");
  } catch (const std::exception& e) {
    return MakeError(ErrorCode::kInternal, std::string("llama.cpp peer printed no results: ") + e.what());
  }
}

}  // namespace lt::cli
