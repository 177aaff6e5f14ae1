// Thread placement of the relay's two reactors (engine/colocation.hpp): gathered on one CPU while
// it is enough for them, spread over every allowed CPU once it is saturated.
#include <gtest/gtest.h>
#include <sched.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <thread>

#include "engine/colocation.hpp"
#include "engine/reactor.hpp"

namespace mqrelay::engine {
namespace {

using P = colocation_policy;
using action = P::action;
constexpr std::uint64_t ms = 1000000;

TEST(ColocationPolicy, GathersOnlyAfterALightSpell) {
  P p;
  EXPECT_EQ(p.step(1 * ms, 10, 10, false), action::none);
  EXPECT_EQ(p.step(50 * ms, 10, 10, false), action::none);
  EXPECT_EQ(p.step(1 * ms + P::kQuietNs, 10, 10, false), action::gather);
  EXPECT_EQ(p.step(2 * ms + P::kQuietNs, 10, 10, true), action::none);  // stays gathered
}

TEST(ColocationPolicy, ABusySpellWhileSpreadRestartsTheLightSpell) {
  P p;
  EXPECT_EQ(p.step(1 * ms, 5, 5, false), action::none);
  EXPECT_EQ(p.step(90 * ms, P::kGatherPct, P::kGatherPct, false), action::none);  // not light
  EXPECT_EQ(p.step(91 * ms, 5, 5, false), action::none);
  EXPECT_EQ(p.step(91 * ms + P::kQuietNs - 1, 5, 5, false), action::none);
  EXPECT_EQ(p.step(91 * ms + P::kQuietNs, 5, 5, false), action::gather);
}

TEST(ColocationPolicy, GatheredStaysGatheredUntilTheCpuIsSaturatedInConsecutiveWindows) {
  P p;
  // Busy but not saturated (what 20,000 msgs/s looks like gathered): stays.
  EXPECT_EQ(p.step(10 * ms, 60, 70, true), action::none);
  // One saturated window alone (a hiccup) does not spread; an unsaturated one resets the count.
  EXPECT_EQ(p.step(20 * ms, 80, P::kSaturatedPct, true), action::none);
  EXPECT_EQ(p.step(30 * ms, 60, 70, true), action::none);
  for (unsigned i = 1; i < P::kSaturatedWindows; ++i) EXPECT_EQ(p.step((30 + 10 * i) * ms, 80, 150, true), action::none);
  EXPECT_EQ(p.step(100 * ms, 80, 150, true), action::spread);
}

TEST(ColocationPolicy, AfterASpreadGathersAgainOnlyOnceTheHoldIsOver) {
  P p;
  for (unsigned i = 1; i <= P::kSaturatedWindows; ++i) p.step(i * ms, 100, 190, true);
  const std::uint64_t spread_at = P::kSaturatedWindows * ms;
  // Quiet right after the spread: the light spell runs but the hold keeps the threads spread.
  EXPECT_EQ(p.step(spread_at + 10 * ms, 1, 1, false), action::none);
  EXPECT_EQ(p.step(spread_at + 10 * ms + P::kQuietNs, 1, 1, false), action::none);
  EXPECT_EQ(p.step(spread_at + P::kHoldNs - 1, 1, 1, false), action::none);
  EXPECT_EQ(p.step(spread_at + P::kHoldNs, 1, 1, false), action::gather);
}

// Floods its reactor with no-op completions while `busy` (a whole CPU's worth of work).
struct nop_load final : poll_handler, op {
  reactor& r;
  std::atomic<bool> busy{false};
  explicit nop_load(reactor& rr) : r(rr) {}
  void poll(std::uint64_t) override {
    if (!busy.load()) return;
    for (int i = 0; i < 64; ++i) {
      io_uring_sqe* s = r.sqe();
      io_uring_prep_nop(s);
      io_uring_sqe_set_data(s, static_cast<op*>(this));
    }
  }
  std::uint64_t next_deadline() const override { return UINT64_MAX; }
  void complete(int, std::uint32_t) override {}
};

int cpus_of(int tid) {
  cpu_set_t s;
  CPU_ZERO(&s);
  if (sched_getaffinity(tid, sizeof s, &s) != 0) return -1;
  return CPU_COUNT(&s);
}

// Waits up to 5 s (waking both loops now and then) until both threads have `want` CPUs.
bool wait_for_cpus(reactor& a, reactor& b, int want) {
  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (std::chrono::steady_clock::now() < end) {
    if (cpus_of(a.thread_id()) == want && cpus_of(b.thread_id()) == want) return true;
    a.notify();
    b.notify();
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

TEST(Colocation, OffInTheEnvironmentLeavesPlacementToTheScheduler) {
  ASSERT_EQ(setenv("MQRELAY_COLOCATION", "off", 1), 0);
  reactor a("a"), b("b");
  colocation c(a, b);
  EXPECT_FALSE(c.enabled());
  unsetenv("MQRELAY_COLOCATION");
}

TEST(Colocation, GathersTheIdleReactorsOnOneCpuAndSpreadsThemUnderLoad) {
  cpu_set_t mine;
  CPU_ZERO(&mine);
  ASSERT_EQ(sched_getaffinity(0, sizeof mine, &mine), 0);
  const int all = CPU_COUNT(&mine);
  if (all < 2) GTEST_SKIP() << "one CPU: nothing to gather";

  reactor a("a"), b("b");
  nop_load load(b);
  b.add_handler(&load);
  colocation c(a, b);
  a.add_handler(&c);
  std::thread ta([&] { a.run(); }), tb([&] { b.run(); });
  while (a.thread_id() == 0 || b.thread_id() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));

  EXPECT_TRUE(wait_for_cpus(a, b, 1)) << "idle reactors were not gathered on one CPU";
  EXPECT_TRUE(c.gathered());

  load.busy.store(true);  // b uses the whole CPU: saturated within a few 10 ms windows
  EXPECT_TRUE(wait_for_cpus(a, b, all)) << "busy reactors were not spread over the " << all << " CPUs";
  EXPECT_FALSE(c.gathered());

  load.busy.store(false);  // quiet: gathered again once the hold after the spread is over
  EXPECT_TRUE(wait_for_cpus(a, b, 1)) << "reactors were not gathered again once quiet";

  a.quit();
  b.quit();
  ta.join();
  tb.join();
}

}  // namespace
}  // namespace mqrelay::engine
