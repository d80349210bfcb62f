#include "evm/anvil.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <thread>
#include <vector>

#ifndef LT_ANVIL_PATH
#define LT_ANVIL_PATH ""
#endif

namespace lt::evm {

const char* AnvilNode::kDevKeyHex = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

namespace {

Result<int> FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return IoError("socket failed");
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof(a);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    ::close(fd);
    return IoError("could not find a free port");
  }
  int port = ntohs(a.sin_port);
  ::close(fd);
  return port;
}

bool Executable(const std::string& p) { return !p.empty() && ::access(p.c_str(), X_OK) == 0; }

}  // namespace

std::string DefaultAnvilPath() {
  if (const char* env = std::getenv("LT_ANVIL"); env != nullptr && Executable(env)) return env;
  if (Executable(LT_ANVIL_PATH)) return LT_ANVIL_PATH;
  return "";
}

Result<std::unique_ptr<AnvilNode>> AnvilNode::Start(const AnvilOptions& o) {
  std::string bin = o.binary.empty() ? DefaultAnvilPath() : o.binary;
  if (!Executable(bin)) {
    return NotFound("anvil is not installed (run `make deps`: it comes from the npm package "
                    "@foundry-rs/anvil-linux-amd64), or set LT_ANVIL to its path");
  }
  std::unique_ptr<AnvilNode> node(new AnvilNode());
  for (int attempt = 0; attempt < 3; ++attempt) {
    LT_TRY(int port, FreePort());
    std::vector<std::string> args = {bin,         "--host",     "127.0.0.1", "--port", std::to_string(port),
                                     "--chain-id", std::to_string(o.chain_id), "--hardfork", o.hardfork,
                                     "--no-request-size-limit", "--silent"};
    if (o.genesis_timestamp != 0) {
      args.push_back("--timestamp");
      args.push_back(std::to_string(o.genesis_timestamp));
    }
    if (o.steps_tracing) args.push_back("--steps-tracing");
    if (o.gas_limit != 0) {
      args.push_back("--gas-limit");
      args.push_back(std::to_string(o.gas_limit));
    }
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::string log = o.log_file.empty() ? "/dev/null" : o.log_file;
    pid_t parent = ::getpid();
    pid_t pid = ::fork();
    if (pid < 0) return IoError("fork failed");
    if (pid == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) ::_exit(127);
      int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (fd >= 0) {
        ::dup2(fd, 1);
        ::dup2(fd, 2);
        ::close(fd);
      }
      int nul = ::open("/dev/null", O_RDONLY);
      if (nul >= 0) ::dup2(nul, 0);
      ::execv(bin.c_str(), argv.data());
      ::_exit(127);
    }
    node->pid_ = pid;
    node->port_ = port;
    node->url_ = "http://127.0.0.1:" + std::to_string(port);
    RpcOptions ro;
    ro.connect_timeout_ms = 500;
    LT_TRY(node->rpc_, EthRpc::Connect(node->url_, ro));
    auto start = std::chrono::steady_clock::now();
    bool exited = false;
    while (true) {
      auto id = node->rpc_->ChainId();
      if (id.ok()) {
        if (*id != o.chain_id) return Corrupt("anvil answered chain id " + std::to_string(*id));
        return node;
      }
      int status = 0;
      if (::waitpid(pid, &status, WNOHANG) == pid) {
        exited = true;
        node->pid_ = -1;
        break;
      }
      if (std::chrono::steady_clock::now() - start > std::chrono::milliseconds(o.start_timeout_ms)) {
        return MakeError(ErrorCode::kTimeout, "anvil did not answer on " + node->url_ + " within " +
                                                  std::to_string(o.start_timeout_ms) + " ms");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (!exited) break;
    // It exited (most likely the port was taken in the meantime): try another port.
  }
  return MakeError(ErrorCode::kUnavailable, "anvil exited at start (" + bin + "); see its log " + o.log_file);
}

void AnvilNode::Stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  for (int i = 0; i < 200; ++i) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

AnvilNode::~AnvilNode() { Stop(); }

Status AnvilNode::SetNextBlockTimestamp(uint64_t unix_seconds) {
  LT_TRY(auto r, rpc_->Request("evm_setNextBlockTimestamp", nlohmann::json::array({unix_seconds})));
  (void)r;
  return OkStatus();
}

Status AnvilNode::Mine() {
  LT_TRY(auto r, rpc_->Request("evm_mine", nlohmann::json::array()));
  (void)r;
  return OkStatus();
}

Status AnvilNode::SetBalance(const crypto::Address& a, const U256& wei) {
  LT_TRY(auto r, rpc_->Request("anvil_setBalance", nlohmann::json::array({a.ToLowerHex(), wei.ToHex()})));
  (void)r;
  return OkStatus();
}

Result<std::string> AnvilNode::Snapshot() {
  LT_TRY(auto r, rpc_->Request("evm_snapshot", nlohmann::json::array()));
  if (!r.is_string()) return InvalidArgument("evm_snapshot: expected an id");
  return r.get<std::string>();
}

Status AnvilNode::Revert(const std::string& snapshot_id) {
  LT_TRY(auto r, rpc_->Request("evm_revert", nlohmann::json::array({snapshot_id})));
  if (r != true) return MakeError(ErrorCode::kFailedPrecondition, "evm_revert refused snapshot " + snapshot_id);
  return OkStatus();
}

}  // namespace lt::evm
