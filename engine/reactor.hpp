// reactor: one io_uring event loop on one thread (STYLE lesson 9).
//
// Every submitted operation carries a pointer to a completion object (`op`) in user_data; the
// loop reaps completions in batches, advances the CQ once per batch, then lets every registered
// handler do its work (drain inbound queues, encode, flush sends) before it submits everything in
// one io_uring_submit_and_wait_timeout call. Other threads hand work over through lock-free
// queues and call notify(), which costs something only when the loop is asleep: from another
// reactor's thread a message between the rings that leaves with that thread's next submission,
// from any other thread an eventfd write.
#pragma once
#include <liburing.h>

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

namespace mqrelay::engine {

// A completion target. complete() runs on the reactor's thread.
struct op {
  virtual void complete(int res, std::uint32_t cqe_flags) = 0;

 protected:
  ~op() = default;
};

// Something the loop polls once per iteration (a link).
struct poll_handler {
  // Do pending work. `now_ns` is CLOCK_MONOTONIC.
  virtual void poll(std::uint64_t now_ns) = 0;
  // The next time (CLOCK_MONOTONIC ns) poll() must run even without I/O; UINT64_MAX if none.
  virtual std::uint64_t next_deadline() const = 0;

 protected:
  ~poll_handler() = default;
};

std::uint64_t now_ns() noexcept;

class reactor {
 public:
  // Throws std::runtime_error with a sentence when io_uring cannot be set up.
  explicit reactor(std::string name, unsigned entries = 512);
  ~reactor();
  reactor(const reactor&) = delete;
  reactor& operator=(const reactor&) = delete;

  // Checks once at start-up that io_uring works here and has what mqrelay uses. Returns an
  // empty string when it does, else a sentence for the user.
  static std::string probe();

  void add_handler(poll_handler* h) { handlers_.push_back(h); }

  // An SQE, flushing the SQ first when it is full. Reactor thread only.
  io_uring_sqe* sqe();

  // Runs until quit() (from any thread). Reactor thread.
  void run();
  void quit() noexcept;

  // Wakes the loop from another thread. Thread-safe; cheap when the loop is awake.
  void notify() noexcept;

  const std::string& name() const noexcept { return name_; }

  // The kernel thread id of the loop's thread (0 before run()), for engine/colocation.hpp.
  int thread_id() const noexcept { return tid_.load(std::memory_order_relaxed); }

 private:
  // A completion of this reactor's own machinery: calls one of the members below with its result.
  struct member_op final : op {
    reactor* r;
    void (reactor::*fn)(int res);
    member_op(reactor* rr, void (reactor::*f)(int)) : r(rr), fn(f) {}
    void complete(int res, std::uint32_t flags) override;
  };
  void on_wake_read(int res);     // the eventfd read completed: re-arm it
  void on_wake_message(int res);  // a wake-up message from another reactor's ring landed here
  // A wake-up message to this reactor failed on the sender's ring (say the thread behind this
  // ring has exited): runs on the sender's thread and wakes this reactor through its eventfd, so
  // that wake_sent_ is not left set.
  void on_wake_message_failed(int res);
  void arm_wake();
  void write_wake() noexcept;

  // Wake coalescing under load (see run()): the rate that turns it on, the batch it waits for,
  // and the longest a completion may wait for company. Measured on a 2-core paravirtualised guest
  // with bench/run.sh: at 50 us the local-broker row rose from 31-37k to 46-50k msgs/s and mqrelay's
  // CPU per message fell 2x; windows of 25 and 100 us did worse; always on (no threshold) added
  // ~110 us at p50 at 20k msgs/s, which the threshold avoids.
  static constexpr std::uint64_t kEpochNs = 1000000;        // 1 ms
  static constexpr std::uint64_t kCoalesceMinPerMs = 30;    // 30,000 completions/s
  static constexpr unsigned kCoalesceBatch = 64;
  static constexpr std::uint64_t kCoalesceWindowNs = 50000;  // 50 us

  std::string name_;
  io_uring ring_{};
  std::uint64_t epoch_start_ = 0;
  std::uint64_t epoch_completions_ = 0;
  bool coalesce_ = false;
  int event_fd_ = -1;
  std::uint64_t wake_value_ = 0;
  member_op wake_op_{this, &reactor::on_wake_read};
  member_op msg_wake_op_{this, &reactor::on_wake_message};
  member_op msg_failed_op_{this, &reactor::on_wake_message_failed};
  bool msg_ring_ = false;  // this kernel's io_uring has IORING_OP_MSG_RING
  std::vector<poll_handler*> handlers_;
  std::atomic<bool> sleeping_{false};
  std::atomic<bool> posted_{false};
  std::atomic<bool> wake_sent_{false};
  std::atomic<bool> quit_{false};
  std::atomic<int> tid_{0};
};

}  // namespace mqrelay::engine
