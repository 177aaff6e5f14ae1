// The reactor's wake-up rules: work handed over from another thread (a message routed from the
// other side, a stop request) is picked up promptly whether the loop is idle or has been busy
// enough to batch its waits (wake coalescing under load), and quit() stops it.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>

#include "engine/reactor.hpp"

namespace mqrelay::engine {
namespace {

// A handler that floods its own ring with no-op completions while `busy` is set (so the loop sees
// tens of thousands of completions a second and starts coalescing), and records when it first
// polls after another thread posted work.
struct load_handler final : poll_handler, op {
  reactor& r;
  std::atomic<bool> busy{true};
  std::atomic<std::uint64_t> completions{0};
  std::atomic<std::uint64_t> posted_at{0};
  std::atomic<std::uint64_t> seen_at{0};
  explicit load_handler(reactor& rr) : r(rr) {}

  void poll(std::uint64_t now) override {
    if (busy.load())
      for (int i = 0; i < 64; ++i) {
        io_uring_sqe* s = r.sqe();
        io_uring_prep_nop(s);
        io_uring_sqe_set_data(s, static_cast<op*>(this));
      }
    if (posted_at.load() != 0 && seen_at.load() == 0) seen_at.store(now);
  }
  std::uint64_t next_deadline() const override { return UINT64_MAX; }  // no timers: only I/O or notify() wakes it
  void complete(int, std::uint32_t) override { completions.fetch_add(1, std::memory_order_relaxed); }
};

std::uint64_t wait_for(const std::atomic<std::uint64_t>& v, std::chrono::milliseconds limit) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (v.load() == 0 && std::chrono::steady_clock::now() < end) std::this_thread::sleep_for(std::chrono::microseconds(200));
  return v.load();
}

TEST(Reactor, WorkPostedAfterABusySpellIsPickedUpWithinMilliseconds) {
  reactor r("test");
  load_handler h(r);
  r.add_handler(&h);
  std::thread t([&] { r.run(); });
  // Busy for 50 ms: well over the coalescing threshold (30 completions per ms).
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_GT(h.completions.load(), 50u * 30u);
  // Then quiet: the loop is waiting for a batch of completions that will not come. A post from
  // another thread must still be seen within the coalescing window, not at the 1 s idle timeout.
  h.busy.store(false);
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  const std::uint64_t posted = now_ns();
  h.posted_at.store(posted);
  r.notify();
  const std::uint64_t seen = wait_for(h.seen_at, std::chrono::milliseconds(2000));
  ASSERT_NE(seen, 0u) << "the post was never picked up";
  EXPECT_LT(seen - posted, 100'000'000u) << "picked up after " << (seen - posted) / 1000 << " us";
  const std::uint64_t q = now_ns();
  r.quit();
  t.join();
  EXPECT_LT(now_ns() - q, 500'000'000u) << "quit() took more than 0.5 s";
}

TEST(Reactor, QuitStopsTheLoopWhileItIsBusy) {
  reactor r("test");
  load_handler h(r);
  r.add_handler(&h);
  std::thread t([&] { r.run(); });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const std::uint64_t q = now_ns();
  r.quit();
  t.join();
  EXPECT_LT(now_ns() - q, 500'000'000u);
  EXPECT_GT(h.completions.load(), 0u);
}

TEST(Reactor, WorkPostedToAnIdleLoopIsPickedUp) {
  reactor r("test");
  load_handler h(r);
  h.busy.store(false);
  r.add_handler(&h);
  std::thread t([&] { r.run(); });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));  // asleep now, up to the 1 s idle timeout
  const std::uint64_t posted = now_ns();
  h.posted_at.store(posted);
  r.notify();
  const std::uint64_t seen = wait_for(h.seen_at, std::chrono::milliseconds(2000));
  ASSERT_NE(seen, 0u);
  EXPECT_LT(seen - posted, 100'000'000u);
  r.quit();
  t.join();
}

}  // namespace
}  // namespace mqrelay::engine
