#include "devnet/supervisor.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <deque>
#include <fstream>
#include <thread>

#include "net/http.h"

namespace lt::devnet {

namespace {

int Decode(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

int OpenLog(const std::string& path) {
  return ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
}

}  // namespace

Supervisor::Supervisor(std::string exe, const std::atomic<bool>* stop) : exe_(std::move(exe)), stop_(stop) {}

Supervisor::~Supervisor() { StopAll(); }

pid_t Supervisor::Spawn(const std::vector<std::string>& args, int out_fd, int err_fd) {
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(exe_.c_str()));
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid != 0) return pid;
  // Child: only async-signal-safe calls until exec.
  ::setpgid(0, 0);  // a terminal's Ctrl-C reaches the devnet only; it stops children in order
  ::prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (::getppid() != parent) _exit(126);  // the devnet died before prctl
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  ::signal(SIGINT, SIG_DFL);
  ::signal(SIGTERM, SIG_DFL);
  ::signal(SIGPIPE, SIG_DFL);
  int in = ::open("/dev/null", O_RDONLY);
  if (in >= 0) ::dup2(in, 0);
  ::dup2(out_fd, 1);
  ::dup2(err_fd, 2);
  ::execv(exe_.c_str(), argv.data());
  _exit(127);
}

Result<pid_t> Supervisor::Start(const std::string& name, const std::vector<std::string>& args,
                                const std::string& log_path) {
  if (Find(name) != nullptr && Find(name)->running)
    return InvalidArgument("child " + name + " already running");
  int fd = OpenLog(log_path);
  if (fd < 0) return IoError("cannot open log " + log_path);
  pid_t pid = Spawn(args, fd, fd);
  ::close(fd);
  if (pid < 0) return IoError("fork failed for " + name);
  if (Child* c = Find(name)) {
    c->pid = pid;
    c->running = true;
    c->log = log_path;
  } else {
    children_.push_back({name, log_path, pid, true, -1});
  }
  return pid;
}

Result<RunOutput> Supervisor::Run(const std::vector<std::string>& args, const std::string& log_path,
                                  int timeout_ms) {
  int pipefd[2];
  if (::pipe2(pipefd, O_CLOEXEC) != 0) return IoError("pipe failed");
  int err = log_path.empty() ? ::open("/dev/null", O_WRONLY | O_CLOEXEC) : OpenLog(log_path);
  if (err < 0) {
    ::close(pipefd[0]);
    ::close(pipefd[1]);
    return IoError("cannot open log " + log_path);
  }
  pid_t pid = Spawn(args, pipefd[1], err);
  ::close(pipefd[1]);
  ::close(err);
  if (pid < 0) {
    ::close(pipefd[0]);
    return IoError("fork failed");
  }
  RunOutput r;
  int64_t deadline = NowMs() + timeout_ms;
  char buf[8192];
  bool timed_out = false;
  while (true) {
    int64_t left = deadline - NowMs();
    if (left <= 0 || (stop_ != nullptr && stop_->load())) {
      timed_out = true;
      break;
    }
    pollfd p{pipefd[0], POLLIN, 0};
    int n = ::poll(&p, 1, static_cast<int>(std::min<int64_t>(left, 200)));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) continue;
    ssize_t got = ::read(pipefd[0], buf, sizeof buf);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    r.out.append(buf, static_cast<size_t>(got));
  }
  ::close(pipefd[0]);
  if (timed_out) ::kill(pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  r.exit_code = Decode(status);
  if (timed_out) {
    if (stop_ != nullptr && stop_->load()) return MakeError(ErrorCode::kUnavailable, "interrupted");
    return MakeError(ErrorCode::kTimeout, "timed out after " + std::to_string(timeout_ms / 1000) + " s");
  }
  return r;
}

Result<std::string> Supervisor::RunOk(const std::string& what, const std::vector<std::string>& args,
                                      const std::string& log_path, int timeout_ms) {
  auto r = Run(args, log_path, timeout_ms);
  if (!r.ok()) return r.error().Wrap(what);
  if (r->exit_code != 0) {
    return MakeError(ErrorCode::kUnavailable, what + " failed (exit " + std::to_string(r->exit_code) +
                                                  "); last lines of " + log_path + ":\n" + Tail(log_path));
  }
  return r->out;
}

Status Supervisor::WaitReady(const std::string& name, const std::string& url, const std::string& path,
                             int timeout_ms, bool any_status) {
  Child* c = Find(name);
  if (c == nullptr) return NotFound("no child " + name);
  net::HttpClientOptions o;
  o.connect_timeout_ms = 500;
  o.read_timeout_ms = 3000;
  auto client = net::HttpClient::Create(url, o);
  if (!client.ok()) return client.error().Wrap(name);
  int64_t deadline = NowMs() + timeout_ms;
  std::string last;
  while (NowMs() < deadline) {
    if (stop_ != nullptr && stop_->load()) return MakeError(ErrorCode::kUnavailable, "interrupted");
    int status = 0;
    pid_t w = ::waitpid(c->pid, &status, WNOHANG);
    if (w == c->pid) {
      c->running = false;
      c->code = Decode(status);
      return MakeError(ErrorCode::kUnavailable, name + " exited with code " + std::to_string(c->code) +
                                                    " while starting; last lines of " + c->log + ":\n" +
                                                    Tail(c->log));
    }
    auto r = client->Get(path);
    if (r.ok() && (any_status || (r->status >= 200 && r->status < 300))) return OkStatus();
    last = r.ok() ? "HTTP " + std::to_string(r->status) : r.error().message;
    std::this_thread::sleep_for(std::chrono::milliseconds(150));
  }
  return MakeError(ErrorCode::kTimeout, name + " did not answer GET " + url + path + " within " +
                                            std::to_string(timeout_ms / 1000) + " s (" + last +
                                            "); last lines of " + c->log + ":\n" + Tail(c->log));
}

int Supervisor::Stop(const std::string& name, int timeout_ms) {
  Child* c = Find(name);
  if (c == nullptr || !c->running) return c == nullptr ? -1 : c->code;
  ::kill(c->pid, SIGTERM);
  int64_t deadline = NowMs() + timeout_ms;
  int status = 0;
  while (true) {
    pid_t w = ::waitpid(c->pid, &status, WNOHANG);
    if (w == c->pid) break;
    if (w < 0 && errno != EINTR) break;
    if (NowMs() >= deadline) {
      ::kill(c->pid, SIGKILL);
      while (::waitpid(c->pid, &status, 0) < 0 && errno == EINTR) {
      }
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  c->running = false;
  c->code = Decode(status);
  return c->code;
}

void Supervisor::StopAll(int timeout_ms) {
  for (auto it = children_.rbegin(); it != children_.rend(); ++it) {
    if (it->running) Stop(it->name, timeout_ms);
  }
}

std::vector<std::pair<std::string, int>> Supervisor::Exited() {
  std::vector<std::pair<std::string, int>> out;
  for (auto& c : children_) {
    if (!c.running) continue;
    int status = 0;
    if (::waitpid(c.pid, &status, WNOHANG) == c.pid) {
      c.running = false;
      c.code = Decode(status);
      out.emplace_back(c.name, c.code);
    }
  }
  return out;
}

pid_t Supervisor::Pid(const std::string& name) const {
  for (const auto& c : children_) {
    if (c.name == name) return c.pid;
  }
  return -1;
}

std::string Supervisor::LogPath(const std::string& name) const {
  for (const auto& c : children_) {
    if (c.name == name) return c.log;
  }
  return "";
}

Supervisor::Child* Supervisor::Find(const std::string& name) {
  for (auto& c : children_) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

std::string Supervisor::Tail(const std::string& path, int lines) {
  std::ifstream f(path);
  std::deque<std::string> last;
  std::string line;
  while (std::getline(f, line)) {
    last.push_back(line);
    if (static_cast<int>(last.size()) > lines) last.pop_front();
  }
  std::string out;
  for (const auto& l : last) out += "  | " + l + "\n";
  return out.empty() ? "  | (empty)\n" : out;
}

}  // namespace lt::devnet
