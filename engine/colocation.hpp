// colocation: keeps the relay's two reactor threads on one CPU while one CPU is enough for them,
// and lets the scheduler spread them over the CPUs again once that CPU is saturated.
//
// Why: on a paravirtualised guest a wake-up that lands on another, idle vCPU waits for the
// hypervisor to run that vCPU, and a thread the scheduler moves between vCPUs pays it again; those
// waits are the p99 tail of a relayed message, which crosses three wake-ups (source -> local
// reactor -> IoT Core reactor -> sink). Measured with bench/run.sh on a 2-vCPU guest, mqrelay
// pinned with taskset (CPU 0 or CPU 1 alike) vs free, interleaved rounds: p99 at 20,000 msgs/s
// 271-616 vs 368-1,110 us and 20-30 % less CPU per message; but a flood 12-28 % slower with both
// threads on one core.
//
// The signal is what the scheduler itself accounts per thread (/proc/self/task/TID/schedstat, read
// every 10 ms with pread on a file opened once): the time each thread ran and the time it waited
// runnable for a CPU.
//  * Gathered: when the two threads' running + waiting time reaches kSaturatedPct of the window
//    in kSaturatedWindows windows in a row (on average one of them was always running or waiting
//    to run), the CPU is not enough (for them, or for them and whatever shares it): spread at once.
//    At 20,000 msgs/s gathered they run 45-65 % of the CPU and a 10 ms window now and then reaches
//    90 % with the waits; a flood reaches ~200 % at once.
//  * Spread: once the two threads' running time stays below kGatherPct of one CPU for kQuietNs,
//    and at least kHoldNs after the last spread, gather them on the CPU of the loop that runs
//    this handler. kGatherPct is above what they use at 20,000 msgs/s spread (~50-70 %: spread,
//    each hand-off costs more), and the hold bounds a gather/spread cycle to one per kHoldNs.
// (Earlier versions, branch exp/colocation: "a reactor is coalescing wake-ups" spread the threads
// most of the time at 20,000 msgs/s; CPU time alone with thresholds of 50/70 % flipped at that
// rate, whose 10 ms windows swing across both.)
//
// sched_setaffinity runs only on a change of placement. Never narrows below the process's own
// mask (taskset, systemd CPUAffinity=, cgroup cpusets): it gathers on a CPU of that mask and
// spreads back to exactly that mask. With a mask of one CPU, or MQRELAY_COLOCATION=off in the
// environment, it does nothing.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

#include "engine/reactor.hpp"

namespace mqrelay::engine {

// The decision alone (no syscalls), for tests.
class colocation_policy {
 public:
  enum class action { none, gather, spread };
  static constexpr std::uint64_t kQuietNs = 100000000;  // 100 ms light before gathering
  static constexpr std::uint64_t kHoldNs = 1000000000;  // at least 1 s spread before gathering again
  static constexpr unsigned kGatherPct = 75, kSaturatedPct = 100, kSaturatedWindows = 3;
  // One window's figures, in % of one CPU over the window: run_pct = time the two threads ran,
  // demand_pct = time they ran or waited runnable. gathered: the threads are on one CPU now.
  action step(std::uint64_t now_ns, unsigned run_pct, unsigned demand_pct, bool gathered) noexcept;

 private:
  std::uint64_t quiet_since_ = 0;
  std::uint64_t spread_at_ = 0;
  bool ever_spread_ = false;
  unsigned saturated_ = 0;
};

class colocation final : public poll_handler {
 public:
  // Both reactors must outlive it; register it on one of them (add_handler) before run().
  colocation(reactor& a, reactor& b);
  ~colocation();
  colocation(const colocation&) = delete;
  colocation& operator=(const colocation&) = delete;
  void poll(std::uint64_t now_ns) override;
  std::uint64_t next_deadline() const override { return UINT64_MAX; }
  bool gathered() const noexcept { return gathered_.load(std::memory_order_relaxed); }  // any thread
  bool enabled() const noexcept { return enabled_; }

 private:
  // <sched.h> stays out of this header (system headers define BLOCK_SIZE, a name that
  // concurrentqueue.h uses); masks are kept as plain words and converted in the .cpp.
  using mask = std::array<std::uint64_t, 16>;  // 1,024 CPUs
  bool apply(const mask& m);
  bool sample(std::uint64_t& run, std::uint64_t& demand);
  reactor& a_;
  reactor& b_;
  colocation_policy policy_;
  mask allowed_{};
  bool enabled_ = false;
  std::atomic<bool> gathered_{false};
  int stat_fd_[2] = {-1, -1};  // schedstat of a's and b's threads
  std::uint64_t last_ = 0, run_last_ = 0, demand_last_ = 0;
};

}  // namespace mqrelay::engine
