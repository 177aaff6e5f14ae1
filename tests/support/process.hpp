// A child process for tests (mosquitto, the relay, mosquitto_pub …).
//
// Started with fork + execve rather than posix_spawn so that the child can ask the kernel for
// SIGKILL when the test dies (prctl PR_SET_PDEATHSIG): a test killed by its CTest TIMEOUT must not
// leave brokers or relays behind. Caveat of PDEATHSIG: it fires when the *thread* that started the
// child exits, so start processes from the test's main thread (or from a thread that outlives them).
// stdout and stderr go (appended) to one log file. The destructor sends SIGKILL (after SIGCONT,
// in case it was stopped) and reaps the child. Not thread-safe: one owner thread.
#pragma once
#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace mqrelay::test {

struct thread_info {
  pid_t tid = -1;
  std::string name;  // /proc/PID/task/TID/comm ("mqrelay-local", ...)
};

struct memory_kib {
  long rss = -1;   // VmRSS: resident now
  long peak = -1;  // VmHWM: peak resident
};

class process {
 public:
  // argv[0] is the program path (executed as is, no PATH search). extra_env entries ("K=V") are
  // added to (and override) the test's environment. Throws std::runtime_error if fork fails; an
  // exec failure shows as exit status 127 with the reason in the log.
  process(std::vector<std::string> argv, std::string log_path, std::vector<std::string> extra_env = {});
  ~process();
  process(const process&) = delete;
  process& operator=(const process&) = delete;

  pid_t pid() const noexcept { return pid_; }
  const std::string& log_path() const noexcept { return log_path_; }
  std::string log() const;  // the log so far

  // True while the child has not exited (a SIGSTOPped child is running).
  bool running();
  // Sends sig (SIGTERM, SIGKILL, SIGSTOP, SIGCONT, SIGHUP …); false if the child is gone.
  bool signal(int sig);
  // Waits for the exit; the exit code (128 + signal for a signal death), nullopt on timeout.
  std::optional<int> wait_exit(std::chrono::milliseconds timeout);
  // The exit code once known (after running() == false or wait_exit).
  std::optional<int> exit_code() const noexcept { return exit_code_; }
  // SIGKILL + reap (no-op when already reaped).
  void kill();
  // From /proc/PID/status; -1 fields when unreadable (the child is gone).
  memory_kib memory() const;
  long rss_kib() const { return memory().rss; }
  long peak_rss_kib() const { return memory().peak; }
  // The child's threads now, from /proc/PID/task (empty when the child is gone).
  std::vector<thread_info> threads() const;

 private:
  void reap(int status);

  pid_t pid_ = -1;
  std::string log_path_;
  std::optional<int> exit_code_;
};

}  // namespace mqrelay::test
