#include "bench/relay/uring_conn.hpp"

#include <wolfssl/options.h>
#include <wolfssl/ssl.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <utility>

namespace mqrelay::bench {

namespace {
constexpr std::uint64_t kRecv = 1, kSend = 2;  // user_data
constexpr std::size_t kBuffer = 1 << 20;       // initial receive buffer
constexpr std::size_t kMinFree = 64 << 10;     // free space a recv gets at least
}  // namespace

uring_conn::uring_conn(stream s) : s_(std::move(s)) {
  io_uring_params p{};
  p.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
  if (io_uring_queue_init_params(8, &ring_, &p) != 0) {
    io_uring_params q{};
    if (const int r = io_uring_queue_init_params(8, &ring_, &q); r != 0)
      die(std::string("io_uring setup failed: ") + std::strerror(-r));
  }
  in_.b.resize(kBuffer);
  tls_ = s_.ssl() != nullptr;
  if (tls_) {
    cin_.b.resize(kBuffer);
    WOLFSSL* ssl = s_.ssl();
    wolfSSL_SSLSetIORecv(ssl, on_tls_recv);
    wolfSSL_SSLSetIOSend(ssl, on_tls_send);
    wolfSSL_SetIOReadCtx(ssl, this);
    wolfSSL_SetIOWriteCtx(ssl, this);
    decrypt();  // records wolfSSL read from the socket during the handshake, if any
  }
}

uring_conn::~uring_conn() { io_uring_queue_exit(&ring_); }

void uring_conn::rx_buffer::make_room(std::size_t min_free) {
  if (off == len) off = len = 0;  // all read: start over at the front, nothing to move
  if (b.size() - len >= min_free) return;
  if (off > 0) {
    std::memmove(b.data(), b.data() + off, len - off);
    len -= off;
    off = 0;
  }
  if (b.size() - len < min_free) b.resize(std::max(b.size() * 2, len + min_free));
}

int uring_conn::on_tls_recv(WOLFSSL*, char* buf, int sz, void* ctx) {
  auto* c = static_cast<uring_conn*>(ctx);
  const std::size_t avail = c->cin_.len - c->cin_.off;
  if (avail == 0) return c->peer_eof_ ? WOLFSSL_CBIO_ERR_CONN_CLOSE : WOLFSSL_CBIO_ERR_WANT_READ;
  const std::size_t n = std::min(avail, static_cast<std::size_t>(sz));
  std::memcpy(buf, c->cin_.b.data() + c->cin_.off, n);
  c->cin_.off += n;
  return static_cast<int>(n);
}

int uring_conn::on_tls_send(WOLFSSL*, char* buf, int sz, void* ctx) {
  auto* c = static_cast<uring_conn*>(ctx);
  c->out_.insert(c->out_.end(), buf, buf + sz);
  return sz;
}

io_uring_sqe* uring_conn::sqe() {
  io_uring_sqe* s = io_uring_get_sqe(&ring_);
  if (s == nullptr) {
    io_uring_submit(&ring_);
    s = io_uring_get_sqe(&ring_);
  }
  if (s == nullptr) die("io_uring: no SQE");
  return s;
}

bool uring_conn::write(const void* p, std::size_t n) {
  if (closed_) return false;
  const auto* b = static_cast<const std::uint8_t*>(p);
  if (!tls_) {
    out_.insert(out_.end(), b, b + n);
    return true;
  }
  while (n > 0) {  // wolfSSL_write cuts records itself; on_tls_send appends them to out_
    const int chunk = static_cast<int>(std::min<std::size_t>(n, 1u << 30));
    const int w = wolfSSL_write(s_.ssl(), b, chunk);
    if (w <= 0) {
      char msg[WOLFSSL_MAX_ERROR_SZ];
      std::fprintf(stderr, "TLS write failed: %s\n",
                   wolfSSL_ERR_error_string(static_cast<unsigned long>(wolfSSL_get_error(s_.ssl(), w)), msg));
      closed_ = true;
      return false;
    }
    b += w;
    n -= static_cast<std::size_t>(w);
  }
  return true;
}

void uring_conn::arm() {
  if (!recv_busy_ && !closed_ && !peer_eof_) {
    rx_buffer& r = tls_ ? cin_ : in_;
    r.make_room(kMinFree);  // no recv in flight: the buffer may move
    io_uring_sqe* s = sqe();
    io_uring_prep_recv(s, s_.fd(), r.free_data(), r.free_size(), 0);
    io_uring_sqe_set_data64(s, kRecv);
    recv_busy_ = true;
  }
  if (!send_busy_ && !out_.empty() && !closed_) {
    sending_.clear();
    std::swap(sending_, out_);  // out_ keeps the old buffer's capacity
    sent_ = 0;
    io_uring_sqe* s = sqe();
    io_uring_prep_send(s, s_.fd(), sending_.data(), sending_.size(), MSG_NOSIGNAL);
    io_uring_sqe_set_data64(s, kSend);
    send_busy_ = true;
  }
}

void uring_conn::decrypt() {
  for (;;) {
    in_.make_room(kMinFree);  // with TLS the kernel never writes into in_
    const int r = wolfSSL_read(s_.ssl(), in_.free_data(), static_cast<int>(in_.free_size()));
    if (r > 0) {
      in_.len += static_cast<std::size_t>(r);
      continue;
    }
    const int err = wolfSSL_get_error(s_.ssl(), r);
    if (err == WOLFSSL_ERROR_WANT_READ) return;
    if (err != WOLFSSL_ERROR_ZERO_RETURN && !peer_eof_) {
      char msg[WOLFSSL_MAX_ERROR_SZ];
      std::fprintf(stderr, "TLS read failed: %s\n", wolfSSL_ERR_error_string(static_cast<unsigned long>(err), msg));
    }
    closed_ = true;
    return;
  }
}

void uring_conn::on_recv(int res) {
  recv_busy_ = false;
  if (res > 0) {
    (tls_ ? cin_ : in_).len += static_cast<std::size_t>(res);
    if (tls_) decrypt();
    return;
  }
  if (res == -EINTR || res == -EAGAIN) return;  // re-armed by the next wait()
  if (res == 0) {
    peer_eof_ = true;
    if (tls_) decrypt();  // wolfSSL sees the end of the stream
  } else {
    std::fprintf(stderr, "recv failed: %s\n", std::strerror(-res));
  }
  closed_ = true;
}

void uring_conn::on_send(int res) {
  if (res == -EINTR || res == -EAGAIN) res = 0;
  if (res < 0) {
    if (res != -EPIPE && res != -ECONNRESET) std::fprintf(stderr, "send failed: %s\n", std::strerror(-res));
    send_busy_ = false;
    closed_ = true;
    return;
  }
  sent_ += static_cast<std::size_t>(res);
  if (sent_ < sending_.size()) {  // short send: the rest goes next, before anything queued since
    io_uring_sqe* s = sqe();
    io_uring_prep_send(s, s_.fd(), sending_.data() + sent_, sending_.size() - sent_, MSG_NOSIGNAL);
    io_uring_sqe_set_data64(s, kSend);
    return;
  }
  send_busy_ = false;
}

unsigned uring_conn::wait(std::uint64_t timeout_ns) {
  arm();
  io_uring_cqe* cqe = nullptr;
  if (timeout_ns == 0) {
    io_uring_submit_and_get_events(&ring_);
  } else {
    __kernel_timespec ts{};
    ts.tv_sec = static_cast<long long>(timeout_ns / 1000000000ULL);
    ts.tv_nsec = static_cast<long long>(timeout_ns % 1000000000ULL);
    io_uring_submit_and_wait_timeout(&ring_, &cqe, 1, &ts, nullptr);
  }
  unsigned head, count = 0;
  io_uring_for_each_cqe(&ring_, head, cqe) {
    ++count;
    if (cqe->user_data == kRecv) on_recv(cqe->res); else on_send(cqe->res);
  }
  io_uring_cq_advance(&ring_, count);
  return count;
}

void uring_conn::flush(std::uint64_t timeout_ns) {
  const std::uint64_t deadline = now_ns() + timeout_ns;
  while (unsent() > 0 && !closed_) {
    const std::uint64_t now = now_ns();
    if (now >= deadline) break;
    wait(std::min<std::uint64_t>(deadline - now, 100000000ULL));
  }
}

}  // namespace mqrelay::bench
