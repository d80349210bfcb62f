// Supervisor: starts `lt` child processes (the same binary, /proc/self/exe), waits for their
// readiness, and stops them. Each child runs in its own process group with stdin from
// /dev/null and stdout+stderr appended to its log file; it gets SIGTERM if the devnet dies
// (prctl PR_SET_PDEATHSIG), so no child outlives the devnet even when it is killed -9.
// Thread-safety: none; use from the thread that created it (PDEATHSIG follows the forking thread).
// Errors name the child and quote the tail of its log.
#ifndef LT_DEVNET_SUPERVISOR_H_
#define LT_DEVNET_SUPERVISOR_H_

#include <sys/types.h>

#include <atomic>
#include <string>
#include <vector>

#include "util/result.h"

namespace lt::devnet {

struct RunOutput {
  int exit_code = -1;  // 128+signal when killed
  std::string out;     // standard output (standard error goes to the log)
};

class Supervisor {
 public:
  // exe: the lt binary; stop: set by the signal handler (Ctrl-C) to abort waits early.
  Supervisor(std::string exe, const std::atomic<bool>* stop);
  ~Supervisor();  // StopAll()
  Supervisor(const Supervisor&) = delete;
  Supervisor& operator=(const Supervisor&) = delete;

  // Starts a long-running child `name` (unique) with args; output appended to log_path.
  Result<pid_t> Start(const std::string& name, const std::vector<std::string>& args,
                      const std::string& log_path);
  // Runs a one-shot command to completion (stdout captured, stderr appended to log_path).
  Result<RunOutput> Run(const std::vector<std::string>& args, const std::string& log_path,
                        int timeout_ms = 120000);
  // Like Run, but a non-zero exit is an error quoting the log's tail; returns stdout.
  Result<std::string> RunOk(const std::string& what, const std::vector<std::string>& args,
                            const std::string& log_path, int timeout_ms = 120000);

  // Waits until GET url+path answers 2xx (any HTTP status when any_status), while the child
  // `name` is alive.
  Status WaitReady(const std::string& name, const std::string& url, const std::string& path, int timeout_ms,
                   bool any_status = false);
  // Stops one child: SIGTERM, wait up to timeout_ms, then SIGKILL. Returns its exit code.
  int Stop(const std::string& name, int timeout_ms = 10000);
  // Stops every child, the most recently started first.
  void StopAll(int timeout_ms = 10000);
  // Children that exited on their own since the last call (reaped), with their codes.
  std::vector<std::pair<std::string, int>> Exited();

  pid_t Pid(const std::string& name) const;
  std::string LogPath(const std::string& name) const;
  // The last `lines` lines of a file.
  static std::string Tail(const std::string& path, int lines = 15);

 private:
  struct Child {
    std::string name, log;
    pid_t pid = -1;
    bool running = false;
    int code = -1;
  };
  Child* Find(const std::string& name);
  pid_t Spawn(const std::vector<std::string>& args, int out_fd, int err_fd);
  std::string exe_;
  const std::atomic<bool>* stop_;
  std::vector<Child> children_;
};

}  // namespace lt::devnet

#endif  // LT_DEVNET_SUPERVISOR_H_
