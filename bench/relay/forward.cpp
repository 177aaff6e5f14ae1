// mqbench_forward — the raw TCP byte forwarder: the physical limit (issue 4, item 3a).
//
// Connects to the source (--from HOST:PORT, a mqbench_source --raw) and to the sink (--to
// HOST:PORT) and copies bytes both ways without parsing anything: PUBLISHes downstream, PUBACKs
// upstream, so QoS 1 flow control still works end to end. Modes (--mode):
//   rw      two threads, blocking read()/write() with a 1 MiB buffer each
//   splice  two threads, splice() through a pipe (zero copy; plain TCP only)
//   uring   one thread, io_uring recv/send for both directions (liburing 2.3)
//   --tls   (any mode) TLS to the sink with a client certificate: one thread, poll(), plain
//           reads from the source and wolfSSL_write to the sink (wolfSSL 5.5 has no write_dup,
//           so one thread must own the session)
// Exits when either side closes, or on SIGTERM/SIGINT; prints {"bytes_down":..,"bytes_up":..}.
#include "bench/relay/common.hpp"

#include <wolfssl/options.h>
#include <wolfssl/ssl.h>

#include <fcntl.h>
#include <liburing.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <thread>

using namespace mqrelay::bench;

namespace {

volatile std::sig_atomic_t stop_signal = 0;
void on_signal(int) { stop_signal = 1; }
std::atomic<std::uint64_t> bytes_down{0}, bytes_up{0};

bool write_all_fd(int fd, const char* p, std::size_t n) {
  while (n > 0) {
    const ssize_t w = ::send(fd, p, n, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= static_cast<std::size_t>(w);
  }
  return true;
}

void pump_rw(int in, int out, std::atomic<std::uint64_t>& counter) {
  std::vector<char> buf(1 << 20);
  for (;;) {
    const ssize_t r = ::read(in, buf.data(), buf.size());
    if (r < 0 && errno == EINTR) { if (stop_signal) break; continue; }
    if (r <= 0 || !write_all_fd(out, buf.data(), static_cast<std::size_t>(r))) break;
    counter.fetch_add(static_cast<std::uint64_t>(r), std::memory_order_relaxed);
  }
  ::shutdown(in, SHUT_RDWR);
  ::shutdown(out, SHUT_RDWR);
}

void pump_splice(int in, int out, std::atomic<std::uint64_t>& counter) {
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) die("pipe2 failed");
  fcntl(p[1], F_SETPIPE_SZ, 1 << 20);
  for (;;) {
    const ssize_t r = splice(in, nullptr, p[1], nullptr, 1 << 20, SPLICE_F_MOVE | SPLICE_F_MORE);
    if (r < 0 && errno == EINTR) { if (stop_signal) break; continue; }
    if (r <= 0) break;
    ssize_t left = r;
    while (left > 0) {
      const ssize_t w = splice(p[0], nullptr, out, nullptr, static_cast<std::size_t>(left), SPLICE_F_MOVE | SPLICE_F_MORE);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) { left = -1; break; }
      left -= w;
    }
    if (left < 0) break;
    counter.fetch_add(static_cast<std::uint64_t>(r), std::memory_order_relaxed);
  }
  ::shutdown(in, SHUT_RDWR);
  ::shutdown(out, SHUT_RDWR);
}

// io_uring: per direction one buffer, alternating recv -> send (short sends resubmitted).
// user_data = direction * 2 + (0 recv | 1 send).
void pump_uring(int src, int dst) {
  io_uring ring;
  if (io_uring_queue_init(64, &ring, 0) != 0) die("io_uring_queue_init failed");
  struct dir { int in, out; std::vector<char> buf; std::size_t len = 0, sent = 0; std::atomic<std::uint64_t>* counter; };
  dir d[2] = {{src, dst, std::vector<char>(1 << 20), 0, 0, &bytes_down},
              {dst, src, std::vector<char>(1 << 20), 0, 0, &bytes_up}};
  auto get_sqe = [&]() {
    io_uring_sqe* sqe = io_uring_get_sqe(&ring);
    if (sqe == nullptr) { io_uring_submit(&ring); sqe = io_uring_get_sqe(&ring); }
    if (sqe == nullptr) die("io_uring: no SQE");
    return sqe;
  };
  auto arm_recv = [&](int i) {
    io_uring_sqe* sqe = get_sqe();
    io_uring_prep_recv(sqe, d[i].in, d[i].buf.data(), d[i].buf.size(), 0);
    io_uring_sqe_set_data64(sqe, static_cast<std::uint64_t>(i * 2));
  };
  auto arm_send = [&](int i) {
    io_uring_sqe* sqe = get_sqe();
    io_uring_prep_send(sqe, d[i].out, d[i].buf.data() + d[i].sent, d[i].len - d[i].sent, MSG_NOSIGNAL);
    io_uring_sqe_set_data64(sqe, static_cast<std::uint64_t>(i * 2 + 1));
  };
  arm_recv(0);
  arm_recv(1);
  bool done = false;
  while (!done && !stop_signal) {
    io_uring_submit_and_wait(&ring, 1);
    io_uring_cqe* cqe;
    unsigned head, seen = 0;
    io_uring_for_each_cqe(&ring, head, cqe) {
      ++seen;
      const int i = static_cast<int>(cqe->user_data / 2);
      const bool is_send = (cqe->user_data & 1) != 0;
      if (cqe->res == -EINTR || cqe->res == -EAGAIN) { is_send ? arm_send(i) : arm_recv(i); continue; }
      if (cqe->res <= 0) { done = true; continue; }
      if (!is_send) {
        d[i].len = static_cast<std::size_t>(cqe->res);
        d[i].sent = 0;
        arm_send(i);
      } else {
        d[i].sent += static_cast<std::size_t>(cqe->res);
        if (d[i].sent < d[i].len) { arm_send(i); continue; }
        d[i].counter->fetch_add(d[i].len, std::memory_order_relaxed);
        arm_recv(i);
      }
    }
    io_uring_cq_advance(&ring, seen);
  }
  io_uring_queue_exit(&ring);
}

// TLS towards the sink: one thread owns the wolfSSL session.
void pump_tls(int src, stream& sink) {
  std::vector<char> buf(1 << 20);
  fcntl(src, F_SETFL, fcntl(src, F_GETFL) | O_NONBLOCK);
  fcntl(sink.fd(), F_SETFL, fcntl(sink.fd(), F_GETFL) | O_NONBLOCK);
  while (!stop_signal) {
    pollfd p[2] = {{src, POLLIN, 0}, {sink.fd(), POLLIN, 0}};
    if (!sink.pending() && ::poll(p, 2, 100) <= 0) continue;
    if (p[0].revents != 0) {
      const ssize_t r = ::read(src, buf.data(), buf.size());
      if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) break;
      if (r > 0) {
        std::size_t off = 0;
        while (off < static_cast<std::size_t>(r)) {
          const int w = wolfSSL_write(sink.ssl(), buf.data() + off, static_cast<int>(r - static_cast<ssize_t>(off)));
          if (w > 0) { off += static_cast<std::size_t>(w); continue; }
          const int e = wolfSSL_get_error(sink.ssl(), w);
          if (e != WOLFSSL_ERROR_WANT_WRITE && e != WOLFSSL_ERROR_WANT_READ) return;
          pollfd q{sink.fd(), POLLOUT, 0};
          ::poll(&q, 1, 100);
        }
        bytes_down.fetch_add(static_cast<std::uint64_t>(r), std::memory_order_relaxed);
      }
    }
    if (p[1].revents != 0 || sink.pending()) {
      for (;;) {
        const int r = wolfSSL_read(sink.ssl(), buf.data(), static_cast<int>(buf.size()));
        if (r <= 0) {
          const int e = wolfSSL_get_error(sink.ssl(), r);
          if (e == WOLFSSL_ERROR_WANT_READ) break;
          return;
        }
        std::size_t off = 0;
        while (off < static_cast<std::size_t>(r)) {  // source socket is non-blocking: wait for room
          const ssize_t w = ::send(src, buf.data() + off, static_cast<std::size_t>(r) - off, MSG_NOSIGNAL);
          if (w > 0) { off += static_cast<std::size_t>(w); continue; }
          if (w < 0 && errno != EAGAIN && errno != EINTR) return;
          pollfd q{src, POLLOUT, 0};
          ::poll(&q, 1, 100);
        }
        bytes_up.fetch_add(static_cast<std::uint64_t>(r), std::memory_order_relaxed);
      }
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  const options opt(argc, argv);
  on_stop_signals(on_signal);
  std::string host; int port = 0;
  split_host_port(opt.need("to"), host, port);
  const int dst = connect_tcp(host, port);
  WOLFSSL_CTX* ctx = nullptr;
  if (opt.has("tls")) ctx = tls_client_ctx(opt.need("ca"), opt.need("cert"), opt.need("key"));
  stream sink = stream::client(dst, ctx, "localhost");
  split_host_port(opt.need("from"), host, port);
  const int src = connect_tcp(host, port);
  const std::string mode = opt.get("mode", "rw");
  if (ctx != nullptr) {
    pump_tls(src, sink);
  } else if (mode == "uring") {
    pump_uring(src, dst);
  } else if (mode == "rw" || mode == "splice") {
    auto fn = mode == "rw" ? pump_rw : pump_splice;
    std::thread up(fn, dst, src, std::ref(bytes_up));
    fn(src, dst, bytes_down);
    up.join();
  } else {
    die("--mode must be rw, splice or uring");
  }
  std::printf("{\"bytes_down\":%llu,\"bytes_up\":%llu}\n",
              static_cast<unsigned long long>(bytes_down.load()),
              static_cast<unsigned long long>(bytes_up.load()));
  return 0;
}
