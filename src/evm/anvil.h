// AnvilNode: a local EVM chain (Foundry's anvil, installed by `make deps` from the npm package
// @foundry-rs/anvil-linux-amd64 into contracts/node_modules) started as a child process on a free
// port of 127.0.0.1, for tests, `lt bench chain` and the devnet. It answers JSON-RPC within a
// fraction of a second; Start() waits until it does. The child is killed (SIGTERM, then SIGKILL)
// when the AnvilNode is destroyed, and by the kernel if this process dies first.
// Blocks are mined as transactions arrive (automine). The test methods anvil adds (time travel,
// balances, snapshots) are wrapped here.
// Binary: AnvilOptions::binary, else $LT_ANVIL, else the path the build recorded.
// Thread-safety: rpc() is thread-safe (EthRpc); Start/destroy from one thread.
#ifndef LT_EVM_ANVIL_H_
#define LT_EVM_ANVIL_H_

#include <sys/types.h>

#include <memory>
#include <string>

#include "evm/rpc.h"

namespace lt::evm {

struct AnvilOptions {
  std::string binary;
  uint64_t chain_id = 31337;
  uint64_t genesis_timestamp = 0;  // 0: now
  std::string hardfork = "prague";
  uint64_t gas_limit = 0;          // per block; 0: anvil's default (30,000,000)
  std::string log_file;            // anvil's output; empty: discarded
  bool steps_tracing = false;      // record opcode steps (debug_traceTransaction structLogs)
  int start_timeout_ms = 15000;
};

// The anvil binary that would be used ("" when none is installed).
std::string DefaultAnvilPath();

class AnvilNode {
 public:
  static Result<std::unique_ptr<AnvilNode>> Start(const AnvilOptions& options = {});
  ~AnvilNode();
  AnvilNode(const AnvilNode&) = delete;
  AnvilNode& operator=(const AnvilNode&) = delete;

  const std::string& url() const { return url_; }
  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  EthRpc& rpc() { return *rpc_; }
  // anvil's well-known first development account (funded with 10,000 ETH): for tests only.
  static const char* kDevKeyHex;

  Status SetNextBlockTimestamp(uint64_t unix_seconds);
  Status Mine();
  Status SetBalance(const crypto::Address& a, const U256& wei);
  Result<std::string> Snapshot();
  Status Revert(const std::string& snapshot_id);
  void Stop();

 private:
  AnvilNode() = default;
  pid_t pid_ = -1;
  int port_ = 0;
  std::string url_;
  std::unique_ptr<EthRpc> rpc_;
};

}  // namespace lt::evm

#endif  // LT_EVM_ANVIL_H_
