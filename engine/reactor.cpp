#include "engine/reactor.hpp"

#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <stdexcept>

#include "engine/log.hpp"

namespace mqrelay::engine {

std::uint64_t now_ns() noexcept {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<std::uint64_t>(ts.tv_nsec);
}

namespace {
// The reactor whose loop runs on this thread (null on other threads), for notify().
thread_local reactor* t_current = nullptr;

// With SINGLE_ISSUER the ring belongs to the thread that enables it: a reactor's ring is created
// disabled (R_DISABLED) on the constructing thread and enabled by run() on its own thread.
int init_ring(io_uring* ring, unsigned entries, bool disabled = false) {
  io_uring_params p{};
  p.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_CQSIZE;
  if (disabled) p.flags |= IORING_SETUP_R_DISABLED;
  p.cq_entries = entries * 4;
  int ret = io_uring_queue_init_params(entries, ring, &p);
  if (ret == -EINVAL) {  // kernels before 6.1: no DEFER_TASKRUN / SINGLE_ISSUER
    io_uring_params q{};
    q.flags = IORING_SETUP_CQSIZE;
    q.cq_entries = entries * 4;
    ret = io_uring_queue_init_params(entries, ring, &q);
  }
  return ret;
}
}  // namespace

std::string reactor::probe() {
  io_uring ring{};
  int ret = init_ring(&ring, 8);
  if (ret < 0) {
    return std::string("io_uring is not available here (") + std::strerror(-ret) +
           "): the kernel is too old, io_uring is disabled (sysctl kernel.io_uring_disabled), or a "
           "container/seccomp profile forbids it; mqrelay needs Linux 5.19 or later with io_uring allowed";
  }
  std::string missing;
  if (io_uring_probe* p = io_uring_get_probe_ring(&ring)) {
    const struct { int op; const char* name; } need[] = {
        {IORING_OP_RECV, "recv"}, {IORING_OP_SEND, "send"}, {IORING_OP_CONNECT, "connect"},
        {IORING_OP_READ, "read"}, {IORING_OP_ASYNC_CANCEL, "async cancel"}};
    for (auto& n : need)
      if (!io_uring_opcode_supported(p, n.op)) missing += std::string(missing.empty() ? "" : ", ") + n.name;
    io_uring_free_probe(p);
  }
  if (!(ring.features & IORING_FEAT_EXT_ARG)) missing += std::string(missing.empty() ? "" : ", ") + "timed waits (EXT_ARG)";
  io_uring_queue_exit(&ring);
  if (!missing.empty()) return "this kernel's io_uring lacks what mqrelay needs: " + missing + " (Linux 5.19 or later)";
  return {};
}

reactor::reactor(std::string name, unsigned entries) : name_(std::move(name)) {
  int ret = init_ring(&ring_, entries, true);
  if (ret < 0) throw std::runtime_error(std::string("io_uring setup failed: ") + std::strerror(-ret));
  event_fd_ = eventfd(0, EFD_CLOEXEC);
  if (event_fd_ < 0) {
    io_uring_queue_exit(&ring_);
    throw std::runtime_error(std::string("eventfd failed: ") + std::strerror(errno));
  }
  if (io_uring_probe* p = io_uring_get_probe_ring(&ring_)) {
    msg_ring_ = io_uring_opcode_supported(p, IORING_OP_MSG_RING);
    io_uring_free_probe(p);
  }
}

reactor::~reactor() {
  io_uring_queue_exit(&ring_);
  if (event_fd_ >= 0) ::close(event_fd_);
}

io_uring_sqe* reactor::sqe() {
  io_uring_sqe* s = io_uring_get_sqe(&ring_);
  while (!s) {
    io_uring_submit(&ring_);
    s = io_uring_get_sqe(&ring_);
  }
  return s;
}

void reactor::arm_wake() {
  io_uring_sqe* s = sqe();
  io_uring_prep_read(s, event_fd_, &wake_value_, sizeof wake_value_, 0);
  io_uring_sqe_set_data(s, static_cast<op*>(&wake_op_));
}

void reactor::member_op::complete(int res, std::uint32_t) { (r->*fn)(res); }

void reactor::on_wake_read(int res) {
  if (res < 0 && res != -EINTR && res != -ECANCELED) LOG_WARN("%s: eventfd read failed: %s", name_.c_str(), std::strerror(-res));
  wake_sent_.store(false, std::memory_order_seq_cst);
  if (!quit_.load(std::memory_order_relaxed)) arm_wake();
}

void reactor::on_wake_message(int) { wake_sent_.store(false, std::memory_order_seq_cst); }

void reactor::on_wake_message_failed(int) { write_wake(); }

void reactor::write_wake() noexcept {
  std::uint64_t one = 1;
  ssize_t w = ::write(event_fd_, &one, sizeof one);
  (void)w;
}

// From another reactor's thread the wake-up is a message from that thread's ring to this one
// (IORING_OP_MSG_RING): it leaves with the sender's next submission, which its loop makes before
// it sleeps, a few microseconds later at most, so it costs no syscall of its own. At 20,000
// msgs/s each relayed QoS 1 message crosses threads twice (the message, then its PUBACK back).
// From any other thread (the main thread's stop and reload) it is an eventfd write.
void reactor::notify() noexcept {
  posted_.store(true, std::memory_order_seq_cst);
  if (sleeping_.load(std::memory_order_seq_cst) && !wake_sent_.exchange(true, std::memory_order_seq_cst)) {
    reactor* from = t_current;
    if (from && from != this && from->msg_ring_) {
      io_uring_sqe* s = from->sqe();
      io_uring_prep_msg_ring(s, ring_.ring_fd, 0, reinterpret_cast<std::uint64_t>(static_cast<op*>(&msg_wake_op_)), 0);
      io_uring_sqe_set_data(s, static_cast<op*>(&msg_failed_op_));  // completes only on failure:
      s->flags |= IOSQE_CQE_SKIP_SUCCESS;
    } else {
      write_wake();
    }
  }
}

// Always through the eventfd: a wake-up message another reactor queued but did not submit before
// its own loop ended would leave wake_sent_ set and a notify() would then write nothing.
void reactor::quit() noexcept {
  quit_.store(true);
  posted_.store(true, std::memory_order_seq_cst);
  write_wake();
}

void reactor::run() {
  if (ring_.flags & IORING_SETUP_R_DISABLED) {
    // liburing 2.3 declares io_uring_enable_rings() but does not export it: register directly.
    if (::syscall(__NR_io_uring_register, ring_.ring_fd, IORING_REGISTER_ENABLE_RINGS, nullptr, 0) < 0)
      throw std::runtime_error(std::string("io_uring enable failed: ") + std::strerror(errno));
  }
  // Timers of this thread fire on time: the default slack of 50 us would double the coalescing
  // window (and every keep-alive or retry deadline is late by up to that much).
  prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);
  // "mqrelay-local", "mqrelay-iotcore" in top -H, ps -L and /proc/PID/task/TID/comm (15 bytes max).
  const std::string thread_name = ("mqrelay-" + name_).substr(0, 15);
  prctl(PR_SET_NAME, thread_name.c_str(), 0, 0, 0);
  tid_.store(static_cast<int>(::syscall(SYS_gettid)), std::memory_order_relaxed);
  t_current = this;
  arm_wake();
  std::uint64_t last_warn = 0;
  while (!quit_.load(std::memory_order_relaxed)) {
    std::uint64_t now = now_ns();
    for (poll_handler* h : handlers_) h->poll(now);

    std::uint64_t deadline = UINT64_MAX;
    for (poll_handler* h : handlers_) {
      std::uint64_t d = h->next_deadline();
      if (d < deadline) deadline = d;
    }
    now = now_ns();
    std::uint64_t wait_ns = deadline <= now ? 0 : deadline - now;
    if (wait_ns > 1000000000ull) wait_ns = 1000000000ull;

    // Adaptive wake coalescing. With DEFER_TASKRUN the kernel wakes a waiting thread once
    // `wait_nr` completions are pending. Waiting for 1 (eager) costs a wake-up, a context switch
    // and a syscall per message when messages arrive one at a time at tens of thousands a second;
    // on a paravirtualised guest that was 20 CPU s per million messages, CPU the local broker
    // needs. So when the last epoch (>= 1 ms) ran at kCoalesceMinPerMs completions per ms or more,
    // wait for kCoalesceBatch completions but at most kCoalesceWindowNs: a message then waits
    // at most that window on this thread. Below the rate the loop stays eager (no added latency).
    if (now - epoch_start_ >= kEpochNs) {
      coalesce_ = epoch_completions_ * kEpochNs >= kCoalesceMinPerMs * (now - epoch_start_);
      epoch_start_ = now;
      epoch_completions_ = 0;
    }
    unsigned wait_nr = 1;
    if (coalesce_ && wait_ns > 0) {
      wait_nr = kCoalesceBatch;
      if (wait_ns > kCoalesceWindowNs) wait_ns = kCoalesceWindowNs;
    }

    io_uring_cqe* cqe = nullptr;
    sleeping_.store(true, std::memory_order_seq_cst);
    if (posted_.exchange(false, std::memory_order_seq_cst) || wait_ns == 0) {
      sleeping_.store(false, std::memory_order_relaxed);
      io_uring_submit_and_get_events(&ring_);  // flush what poll() queued, reap what is done; don't wait
    } else {
      __kernel_timespec ts{};
      ts.tv_sec = static_cast<long long>(wait_ns / 1000000000ull);
      ts.tv_nsec = static_cast<long long>(wait_ns % 1000000000ull);
      int ret = io_uring_submit_and_wait_timeout(&ring_, &cqe, wait_nr, &ts, nullptr);
      sleeping_.store(false, std::memory_order_relaxed);
      if (ret < 0 && ret != -ETIME && ret != -EINTR && ret != -EBUSY && ret != -EAGAIN) {
        const std::uint64_t t = now_ns();
        if (t - last_warn > 1000000000ull) {  // at most once a second
          LOG_WARN("%s: io_uring wait failed: %s", name_.c_str(), std::strerror(-ret));
          last_warn = t;
        }
      }
    }
    unsigned head;
    unsigned count = 0;
    io_uring_for_each_cqe(&ring_, head, cqe) {
      ++count;
      auto* o = static_cast<op*>(io_uring_cqe_get_data(cqe));
      if (o) o->complete(cqe->res, cqe->flags);
    }
    if (count) io_uring_cq_advance(&ring_, count);
    epoch_completions_ += count;
  }
  t_current = nullptr;
}

}  // namespace mqrelay::engine
