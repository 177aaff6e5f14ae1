// uring_conn: one benchmark connection driven by its own io_uring (issue 4, item 1).
//
// The synthetic source and sink do their connection set-up (TCP connect/accept, the TLS
// handshake, the MQTT CONNECT/SUBSCRIBE exchange) on a blocking `stream`; then they hand the
// stream to a uring_conn and from there on every byte goes through io_uring: one recv in flight
// into a large buffer, one send in flight of everything queued since the last one, and a single
// io_uring_enter per wait() that submits both and waits for either (or a timeout). With TLS,
// wolfSSL is switched to memory I/O callbacks after the handshake: it decrypts from the received
// ciphertext and encrypts into the send queue, never touching the socket itself.
//
// Buffers are reused for the whole connection (no allocation per message once they have grown to
// the working size). A buffer the kernel is reading or writing is never resized or moved: the
// receive buffer is compacted and the recv re-armed only at the start of wait(), and writes go to
// a second buffer while a send is in flight.
//
// One thread per uring_conn (the ring is created SINGLE_ISSUER on the constructing thread).
#pragma once

#include <liburing.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "bench/relay/common.hpp"

namespace mqrelay::bench {

class uring_conn {
 public:
  // Takes the connection over. Exits the process when io_uring cannot be set up.
  explicit uring_conn(stream s);
  ~uring_conn();
  uring_conn(const uring_conn&) = delete;
  uring_conn& operator=(const uring_conn&) = delete;

  // Received bytes not yet consumed (decrypted with TLS). consume() drops n from the front.
  std::uint8_t* data() { return in_.b.data() + in_.off; }
  std::size_t size() const { return in_.len - in_.off; }
  void consume(std::size_t n) { in_.off += n; }

  // Queues bytes to be sent by the next wait() (encrypts them right away with TLS).
  // False when the connection has failed.
  bool write(const void* p, std::size_t n);
  // Bytes queued and not yet handed to the kernel (a send in flight is not counted).
  std::size_t queued() const { return out_.size(); }
  // Bytes queued or in flight.
  std::size_t unsent() const { return out_.size() + (sending_.size() - sent_); }

  // Submits what is queued (and a recv, unless one is in flight or the connection is closed),
  // then waits for a completion, at most timeout_ns (0: do not wait, just reap what is done),
  // and handles every completion that is there. Returns the number of completions.
  unsigned wait(std::uint64_t timeout_ns);
  // Sends everything queued; gives up after timeout_ns or when the connection fails.
  void flush(std::uint64_t timeout_ns);

  // The peer closed (orderly) or an error happened; data() may still hold the last input.
  bool closed() const { return closed_; }
  int fd() const { return s_.fd(); }

 private:
  static int on_tls_recv(WOLFSSL*, char* buf, int sz, void* ctx);
  static int on_tls_send(WOLFSSL*, char* buf, int sz, void* ctx);
  void arm();
  void on_recv(int res);
  void on_send(int res);
  void decrypt();
  io_uring_sqe* sqe();

  stream s_;
  io_uring ring_{};
  bool tls_ = false;
  // A receive buffer: [off, len) unread, [len, size) free.
  struct rx_buffer {
    std::vector<std::uint8_t> b;
    std::size_t off = 0, len = 0;
    // At least min_free bytes free behind len: drops what was read, compacts, then grows, only
    // as far as needed. Moves the buffer: never while the kernel writes into it.
    void make_room(std::size_t min_free);
    std::uint8_t* free_data() { return b.data() + len; }
    std::size_t free_size() const { return b.size() - len; }
  };
  rx_buffer in_;   // plain input (decrypted with TLS)
  rx_buffer cin_;  // TLS only: the ciphertext the kernel receives, which wolfSSL reads
  bool recv_busy_ = false, closed_ = false, peer_eof_ = false;
  // Output: out_ collects, sending_ is in flight (sent_ bytes of it done).
  std::vector<std::uint8_t> out_, sending_;
  std::size_t sent_ = 0;
  bool send_busy_ = false;
};

}  // namespace mqrelay::bench
