#include "engine/colocation.hpp"

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "engine/log.hpp"

namespace mqrelay::engine {

colocation_policy::action colocation_policy::step(std::uint64_t now_ns, unsigned run_pct, unsigned demand_pct,
                                                  bool gathered) noexcept {
  if (gathered) {
    quiet_since_ = 0;
    if (demand_pct < kSaturatedPct) {
      saturated_ = 0;
      return action::none;
    }
    if (++saturated_ < kSaturatedWindows) return action::none;
    saturated_ = 0;
    spread_at_ = now_ns;
    ever_spread_ = true;
    return action::spread;
  }
  saturated_ = 0;
  if (run_pct >= kGatherPct) {
    quiet_since_ = 0;
    return action::none;
  }
  if (quiet_since_ == 0) quiet_since_ = now_ns;
  if (now_ns - quiet_since_ < kQuietNs) return action::none;
  if (ever_spread_ && now_ns - spread_at_ < kHoldNs) return action::none;
  return action::gather;
}

namespace {
constexpr std::uint64_t kWindowNs = 10000000;  // 10 ms

// "run_ns wait_ns timeslices\n" (Documentation/scheduler/sched-stats.rst, per-task schedstat).
bool read_schedstat(int fd, std::uint64_t& run, std::uint64_t& wait) {
  char buf[96];
  const ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
  if (n <= 0) return false;
  buf[n] = '\0';
  char* end = nullptr;
  run = std::strtoull(buf, &end, 10);
  if (end == buf) return false;
  char* end2 = nullptr;
  wait = std::strtoull(end, &end2, 10);
  return end2 != end;
}
}  // namespace

static_assert(sizeof(cpu_set_t) == 128, "cpu_set_t is 1,024 bits");

colocation::colocation(reactor& a, reactor& b) : a_(a), b_(b) {
  cpu_set_t s;
  CPU_ZERO(&s);
  if (sched_getaffinity(0, sizeof s, &s) == 0) enabled_ = CPU_COUNT(&s) > 1;
  std::memcpy(allowed_.data(), &s, sizeof s);
  if (const char* e = std::getenv("MQRELAY_COLOCATION"); e && std::string_view(e) == "off") enabled_ = false;
}

colocation::~colocation() {
  for (int fd : stat_fd_)
    if (fd >= 0) ::close(fd);
}

bool colocation::apply(const mask& m) {
  cpu_set_t set;
  std::memcpy(&set, m.data(), sizeof set);
  for (reactor* r : {&a_, &b_}) {
    if (sched_setaffinity(r->thread_id(), sizeof set, &set) != 0) {
      LOG_DEBUG("colocation: sched_setaffinity failed (%s); leaving thread placement to the scheduler", std::strerror(errno));
      enabled_ = false;
      return false;
    }
  }
  return true;
}

bool colocation::sample(std::uint64_t& run, std::uint64_t& demand) {
  run = demand = 0;
  const int tids[2] = {a_.thread_id(), b_.thread_id()};
  for (int i = 0; i < 2; ++i) {
    if (stat_fd_[i] < 0) {
      char path[64];
      std::snprintf(path, sizeof path, "/proc/self/task/%d/schedstat", tids[i]);
      stat_fd_[i] = ::open(path, O_RDONLY | O_CLOEXEC);
      if (stat_fd_[i] < 0) {
        LOG_DEBUG("colocation: cannot read %s (%s); leaving thread placement to the scheduler", path, std::strerror(errno));
        enabled_ = false;
        return false;
      }
    }
    std::uint64_t r = 0, w = 0;
    if (!read_schedstat(stat_fd_[i], r, w)) {
      enabled_ = false;
      return false;
    }
    run += r;
    demand += r + w;
  }
  return true;
}

void colocation::poll(std::uint64_t now_ns) {
  if (!enabled_ || now_ns - last_ < kWindowNs) return;
  if (a_.thread_id() == 0 || b_.thread_id() == 0) return;
  std::uint64_t run = 0, demand = 0;
  if (!sample(run, demand)) {
    if (gathered_.load(std::memory_order_relaxed)) apply(allowed_);
    gathered_.store(false, std::memory_order_relaxed);
    return;
  }
  const bool first = last_ == 0;
  const std::uint64_t wall = now_ns - last_;
  const std::uint64_t ran = run > run_last_ ? run - run_last_ : 0;
  const std::uint64_t wanted = demand > demand_last_ ? demand - demand_last_ : 0;
  last_ = now_ns;
  run_last_ = run;
  demand_last_ = demand;
  if (first) return;
  const auto run_pct = static_cast<unsigned>(std::min<std::uint64_t>(ran * 100 / wall, 1000));
  const auto demand_pct = static_cast<unsigned>(std::min<std::uint64_t>(wanted * 100 / wall, 1000));
  switch (policy_.step(now_ns, run_pct, demand_pct, gathered_.load(std::memory_order_relaxed))) {
    case colocation_policy::action::none:
      return;
    case colocation_policy::action::spread:
      apply(allowed_);
      gathered_.store(false, std::memory_order_relaxed);
      LOG_DEBUG("colocation: reactor threads spread (ran %u %%, ran or waited %u %% of one CPU)", run_pct, demand_pct);
      return;
    case colocation_policy::action::gather: {
      const int c = sched_getcpu();  // this loop's CPU: in the process mask by construction
      if (c < 0 || c >= 1024 || (allowed_[static_cast<unsigned>(c) / 64] >> (c % 64) & 1) == 0) return;
      mask one{};
      one[static_cast<unsigned>(c) / 64] = std::uint64_t{1} << (c % 64);
      if (!apply(one)) {
        apply(allowed_);  // one thread may already be narrowed: undo
        return;
      }
      gathered_.store(true, std::memory_order_relaxed);
      LOG_DEBUG("colocation: reactor threads gathered on CPU %d (ran %u %% of one CPU)", c, run_pct);
      return;
    }
  }
}

}  // namespace mqrelay::engine
