// Test support: start real `lt` processes, capture their output, stop them.
//
// LtProcess starts build/lt with arguments in the background (stdout/stderr to files in a temp
// dir), and kills the whole process on destruction. RunLt runs one command to completion.
// Thread-safety: none; one test thread.
#ifndef LT_TESTS_SUPPORT_PROCESS_H_
#define LT_TESTS_SUPPORT_PROCESS_H_

#include <sys/types.h>

#include <string>
#include <vector>

namespace lt::test {

struct RunResult {
  int exit_code = -1;  // -1 when killed by a timeout or a signal
  std::string out;
  std::string err;
};

// Runs `program args...` with `stdin_data` on its standard input; kills it after timeout.
RunResult Run(const std::string& program, const std::vector<std::string>& args,
              const std::string& stdin_data = "", int timeout_ms = 60000);
// Runs build/lt.
RunResult RunLt(const std::vector<std::string>& args, const std::string& stdin_data = "",
                int timeout_ms = 60000);

class LtProcess {
 public:
  // Starts build/lt with args; output goes to files under a fresh temp directory.
  explicit LtProcess(const std::vector<std::string>& args, const std::string& program = "");
  ~LtProcess();
  LtProcess(const LtProcess&) = delete;
  LtProcess& operator=(const LtProcess&) = delete;

  pid_t pid() const { return pid_; }
  bool Running();
  // Sends `sig` (SIGTERM by default) and waits up to timeout_ms; then SIGKILL. Returns the
  // exit code (or 128+signal).
  int Stop(int sig = 15, int timeout_ms = 10000);
  void Kill9();
  // SIGSTOP, then waits (up to timeout_ms) until every thread of the process is stopped: kill()
  // returns before a busy multi-threaded process has stopped, and on a loaded machine its other
  // threads may still answer a request meanwhile. True when all threads are stopped.
  bool Freeze(int timeout_ms = 5000);
  void Thaw();  // SIGCONT
  std::string Stdout() const;
  std::string Stderr() const;

 private:
  pid_t pid_ = -1;
  int status_ = -1;
  std::string out_path_, err_path_;
};

// A fresh temp directory, removed at process exit unless LT_KEEP_TMP is set.
std::string TempDir(const std::string& prefix = "lt-test");
// Waits until GET url answers (any HTTP status) or timeout; true when it did.
// True once `path` exists; false when `p` exits first or after `timeout_s` seconds.
bool WaitForFile(const std::string& path, LtProcess& p, int timeout_s);
bool WaitForHttp(const std::string& host, int port, const std::string& path, int timeout_ms = 15000);
std::string ReadFileOrEmpty(const std::string& path);
void WriteFile(const std::string& path, const std::string& data);
// Absolute path of an executable found on $PATH (Run does not search PATH); "" when missing.
std::string FindProgram(const std::string& name);
// Absolute paths of the build's lt binary and of the shipped model files.
std::string LtBinary();
std::string ModelsDir();

}  // namespace lt::test

#endif  // LT_TESTS_SUPPORT_PROCESS_H_
