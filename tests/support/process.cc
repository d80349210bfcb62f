#include "support/process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

namespace lt::test {

namespace {

std::vector<std::string>& TempDirs() {
  static std::vector<std::string> dirs;
  return dirs;
}

void CleanupTempDirs() {
  if (std::getenv("LT_KEEP_TMP") != nullptr) return;
  for (const auto& d : TempDirs()) {
    std::error_code ec;
    std::filesystem::remove_all(d, ec);
  }
}

std::vector<char*> Argv(const std::string& program, const std::vector<std::string>& args) {
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(program.c_str()));
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  return argv;
}

int DecodeStatus(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace

std::string LtBinary() {
  const char* env = std::getenv("LT_BINARY");
  return env != nullptr ? env : LT_BINARY;
}

std::string FindProgram(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::stringstream ss(path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin");
  std::string dir;
  while (std::getline(ss, dir, ':')) {
    std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

std::string ModelsDir() {
  const char* env = std::getenv("LT_MODELS_DIR");
  return env != nullptr ? env : LT_MODELS_DIR;
}

std::string TempDir(const std::string& prefix) {
  std::string tmpl = (std::filesystem::temp_directory_path() / (prefix + "-XXXXXX")).string();
  char* d = ::mkdtemp(tmpl.data());
  if (d == nullptr) return "";
  if (TempDirs().empty()) std::atexit(CleanupTempDirs);
  TempDirs().push_back(d);
  return d;
}

std::string ReadFileOrEmpty(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

void WriteFile(const std::string& path, const std::string& data) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << data;
}

RunResult Run(const std::string& program, const std::vector<std::string>& args, const std::string& stdin_data,
              int timeout_ms) {
  RunResult result;
  int in_pipe[2], out_pipe[2], err_pipe[2];
  if (::pipe2(in_pipe, O_CLOEXEC) != 0 || ::pipe2(out_pipe, O_CLOEXEC) != 0 || ::pipe2(err_pipe, O_CLOEXEC) != 0) {
    result.err = "pipe failed";
    return result;
  }
  auto argv = Argv(program, args);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::setsid();  // no controlling terminal: password prompts must use --password-file
    ::dup2(in_pipe[0], 0);
    ::dup2(out_pipe[1], 1);
    ::dup2(err_pipe[1], 2);
    ::execv(program.c_str(), argv.data());
    _exit(127);
  }
  ::close(in_pipe[0]);
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  std::thread writer([fd = in_pipe[1], &stdin_data] {
    signal(SIGPIPE, SIG_IGN);
    size_t off = 0;
    while (off < stdin_data.size()) {
      ssize_t n = ::write(fd, stdin_data.data() + off, stdin_data.size() - off);
      if (n <= 0) break;
      off += static_cast<size_t>(n);
    }
    ::close(fd);
  });
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  int open_fds = 2;
  bool timed_out = false;
  char buf[65536];
  while (open_fds > 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
    if (left <= 0) {
      timed_out = true;
      break;
    }
    int r = ::poll(fds, 2, static_cast<int>(left));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) continue;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n > 0) {
        (i == 0 ? result.out : result.err).append(buf, static_cast<size_t>(n));
      } else {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  if (timed_out) ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  writer.join();
  for (auto& f : fds) if (f.fd >= 0) ::close(f.fd);
  result.exit_code = timed_out ? -1 : DecodeStatus(status);
  return result;
}

RunResult RunLt(const std::vector<std::string>& args, const std::string& stdin_data, int timeout_ms) {
  return Run(LtBinary(), args, stdin_data, timeout_ms);
}

LtProcess::LtProcess(const std::vector<std::string>& args, const std::string& program) {
  std::string dir = TempDir("lt-proc");
  out_path_ = dir + "/stdout";
  err_path_ = dir + "/stderr";
  std::string prog = program.empty() ? LtBinary() : program;
  auto argv = Argv(prog, args);
  pid_ = ::fork();
  if (pid_ == 0) {
    ::setsid();
    int devnull = ::open("/dev/null", O_RDONLY);
    int out = ::open(out_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int err = ::open(err_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(devnull, 0);
    ::dup2(out, 1);
    ::dup2(err, 2);
    ::execv(prog.c_str(), argv.data());
    _exit(127);
  }
}

LtProcess::~LtProcess() {
  if (pid_ > 0 && status_ < 0) Stop(SIGTERM, 5000);
}

bool LtProcess::Running() {
  if (pid_ <= 0 || status_ >= 0) return false;
  int st;
  pid_t r = ::waitpid(pid_, &st, WNOHANG);
  if (r == pid_) {
    status_ = DecodeStatus(st);
    return false;
  }
  return true;
}

int LtProcess::Stop(int sig, int timeout_ms) {
  if (pid_ <= 0) return -1;
  if (status_ >= 0) return status_;
  ::kill(pid_, sig);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    int st;
    if (::waitpid(pid_, &st, WNOHANG) == pid_) {
      status_ = DecodeStatus(st);
      return status_;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ::kill(-pid_, SIGKILL);
  ::kill(pid_, SIGKILL);
  int st;
  ::waitpid(pid_, &st, 0);
  status_ = DecodeStatus(st);
  return status_;
}

bool LtProcess::Freeze(int timeout_ms) {
  if (pid_ <= 0 || ::kill(pid_, SIGSTOP) != 0) return false;
  const std::string tasks = "/proc/" + std::to_string(pid_) + "/task";
  for (int waited = 0; waited <= timeout_ms; waited += 2) {
    bool all = true;
    std::error_code ec;
    for (const auto& t : std::filesystem::directory_iterator(tasks, ec)) {
      std::string stat = ReadFileOrEmpty(t.path().string() + "/stat");
      auto close = stat.rfind(')');  // "pid (comm) S ...": the state follows the command name
      if (close == std::string::npos || close + 2 >= stat.size() || stat[close + 2] != 'T') all = false;
    }
    if (all && !ec) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return false;
}

void LtProcess::Thaw() {
  if (pid_ > 0) ::kill(pid_, SIGCONT);
}

void LtProcess::Kill9() { Stop(SIGKILL, 5000); }

std::string LtProcess::Stdout() const { return ReadFileOrEmpty(out_path_); }
std::string LtProcess::Stderr() const { return ReadFileOrEmpty(err_path_); }

bool WaitForFile(const std::string& path, LtProcess& p, int timeout_s) {
  for (int i = 0; i < timeout_s * 10; ++i) {
    if (std::filesystem::exists(path)) return true;
    if (!p.Running()) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

bool WaitForHttp(const std::string& host, int port, const std::string& path, int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    ::inet_pton(AF_INET, host.c_str(), &a.sin_addr);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
      std::string req = "GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n";
      (void)::write(fd, req.data(), req.size());
      char buf[16];
      ssize_t n = ::read(fd, buf, sizeof buf);
      ::close(fd);
      if (n > 0 && std::strncmp(buf, "HTTP/", 5) == 0) return true;
    } else {
      ::close(fd);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

}  // namespace lt::test
