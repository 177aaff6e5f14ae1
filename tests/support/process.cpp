#include "tests/support/process.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstring>
#include <fstream>
#include <map>
#include <stdexcept>
#include <thread>

#include "tests/support/temp_dir.hpp"

extern char** environ;

namespace mqrelay::test {

process::process(std::vector<std::string> argv, std::string log_path, std::vector<std::string> extra_env)
    : log_path_(std::move(log_path)) {
  if (argv.empty()) throw std::runtime_error("process: empty argv");
  // Everything the child needs is built before fork: after fork only async-signal-safe calls.
  std::map<std::string, std::string> env;
  for (char** e = environ; e && *e; ++e) {
    const std::string kv = *e;
    env[kv.substr(0, kv.find('='))] = kv;
  }
  for (const auto& kv : extra_env) env[kv.substr(0, kv.find('='))] = kv;
  std::vector<std::string> env_strings;
  for (auto& [k, kv] : env) env_strings.push_back(kv);
  std::vector<char*> cargv, cenv;
  for (auto& a : argv) cargv.push_back(a.data());
  cargv.push_back(nullptr);
  for (auto& e : env_strings) cenv.push_back(e.data());
  cenv.push_back(nullptr);
  const pid_t parent = ::getpid();

  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(126);  // the parent died before prctl
    const int fd = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
    }
    const int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, 0);
    // Undo signal state the test runner may have set.
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::signal(SIGPIPE, SIG_DFL);
    ::execve(cargv[0], cargv.data(), cenv.data());
    const char* why = std::strerror(errno);
    (void)!::write(2, "exec failed: ", 13);
    (void)!::write(2, cargv[0], std::strlen(cargv[0]));
    (void)!::write(2, ": ", 2);
    (void)!::write(2, why, std::strlen(why));
    (void)!::write(2, "\n", 1);
    ::_exit(127);
  }
}

process::~process() { kill(); }

std::string process::log() const { return read_text(log_path_); }

void process::reap(int status) {
  exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  pid_ = -1;
}

bool process::running() {
  if (pid_ < 0) return false;
  int status = 0;
  const pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    reap(status);
    return false;
  }
  return true;
}

bool process::signal(int sig) {
  if (!running()) return false;
  return ::kill(pid_, sig) == 0;
}

std::optional<int> process::wait_exit(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (running()) {
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return exit_code_;
}

void process::kill() {
  if (pid_ < 0) return;
  ::kill(pid_, SIGCONT);
  ::kill(pid_, SIGKILL);
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  reap(status);
}

memory_kib process::memory() const {
  memory_kib m;
  if (pid_ < 0) return m;
  std::ifstream f("/proc/" + std::to_string(pid_) + "/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("VmRSS:", 0) == 0) m.rss = std::stol(line.substr(6));
    if (line.rfind("VmHWM:", 0) == 0) m.peak = std::stol(line.substr(6));
  }
  return m;
}

std::vector<thread_info> process::threads() const {
  std::vector<thread_info> out;
  if (pid_ < 0) return out;
  const std::string dir = "/proc/" + std::to_string(pid_) + "/task";
  DIR* d = opendir(dir.c_str());
  if (!d) return out;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] == '.') continue;
    thread_info t;
    t.tid = static_cast<pid_t>(std::atoi(e->d_name));
    std::ifstream comm(dir + "/" + e->d_name + "/comm");
    std::getline(comm, t.name);
    out.push_back(std::move(t));
  }
  closedir(d);
  return out;
}

}  // namespace mqrelay::test
