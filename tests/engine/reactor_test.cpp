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

// A reactor with one load_handler, running on its own thread until stop().
struct running_reactor {
  reactor r{"test"};
  load_handler h{r};
  std::thread t;
  explicit running_reactor(bool busy) {
    h.busy.store(busy);
    r.add_handler(&h);
    t = std::thread([this] { r.run(); });
  }
  ~running_reactor() { stop(); }
  // quit() and join; returns how long that took (ns).
  std::uint64_t stop() {
    if (!t.joinable()) return 0;
    const std::uint64_t q = now_ns();
    r.quit();
    t.join();
    return now_ns() - q;
  }
  // Posts work from this thread and waits (up to 2 s) until the loop polls; returns the delay in
  // ns, or 0 if it never polled.
  std::uint64_t post_and_wait() {
    h.posted_at.store(now_ns());
    r.notify();
    return wait_seen();
  }
  // Waits (up to 2 s) until work was posted (from any thread) and the loop polled after it;
  // returns the delay in ns, or 0 if that did not happen.
  std::uint64_t wait_seen() {
    const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    while ((h.posted_at.load() == 0 || h.seen_at.load() == 0) && std::chrono::steady_clock::now() < end)
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    const std::uint64_t posted = h.posted_at.load(), seen = h.seen_at.load();
    return posted == 0 || seen == 0 ? 0 : seen - posted;
  }
};

TEST(Reactor, WorkPostedAfterABusySpellIsPickedUpWithinMilliseconds) {
  running_reactor rr(true);
  // Busy for 50 ms: well over the coalescing threshold (30 completions per ms).
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_GT(rr.h.completions.load(), 50u * 30u);
  // Then quiet: the loop is waiting for a batch of completions that will not come. A post from
  // another thread must still be seen within the coalescing window, not at the 1 s idle timeout.
  rr.h.busy.store(false);
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  const std::uint64_t delay = rr.post_and_wait();
  ASSERT_NE(delay, 0u) << "the post was never picked up";
  EXPECT_LT(delay, 100'000'000u) << "picked up after " << delay / 1000 << " us";
  EXPECT_LT(rr.stop(), 500'000'000u) << "quit() took more than 0.5 s";
}

TEST(Reactor, QuitStopsTheLoopWhileItIsBusy) {
  running_reactor rr(true);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_LT(rr.stop(), 500'000'000u);
  EXPECT_GT(rr.h.completions.load(), 0u);
}

TEST(Reactor, WorkPostedToAnIdleLoopIsPickedUp) {
  running_reactor rr(false);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));  // asleep now, up to the 1 s idle timeout
  const std::uint64_t delay = rr.post_and_wait();
  ASSERT_NE(delay, 0u);
  EXPECT_LT(delay, 100'000'000u);
}

// A handler that, when asked, posts work to another reactor from this reactor's own thread, the
// way a link hands a message (or its PUBACK) to the other side's thread.
struct forwarding_handler final : poll_handler {
  running_reactor& target;
  std::atomic<bool> post{false};
  explicit forwarding_handler(running_reactor& t) : target(t) {}
  void poll(std::uint64_t now) override {
    if (!post.exchange(false)) return;
    target.h.posted_at.store(now);
    target.r.notify();
  }
  std::uint64_t next_deadline() const override { return UINT64_MAX; }
};

TEST(Reactor, WorkPostedFromAnotherReactorsThreadWakesAnIdleLoopEachTime) {
  running_reactor target(false);
  reactor from{"from"};
  forwarding_handler fh{target};
  from.add_handler(&fh);
  std::thread t([&] { from.run(); });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  // Many times in a row: each wake-up must leave the target ready for the next one, and each must
  // come well before the target's 1 s idle timeout.
  std::uint64_t worst = 0;
  int missed = 0;
  for (int i = 0; i < 50; ++i) {
    target.h.seen_at.store(0);
    target.h.posted_at.store(0);
    std::this_thread::sleep_for(std::chrono::milliseconds(3));  // both loops asleep again
    fh.post.store(true);
    from.notify();
    const std::uint64_t delay = target.wait_seen();
    if (delay == 0)
      ++missed;
    else if (delay > worst)
      worst = delay;
  }
  from.quit();
  t.join();
  EXPECT_EQ(missed, 0);
  EXPECT_LT(worst, 100'000'000u) << "the slowest hand-over took " << worst / 1000 << " us";
  EXPECT_LT(target.stop(), 500'000'000u);
}

}  // namespace
}  // namespace mqrelay::engine
