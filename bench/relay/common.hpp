// Shared pieces of the end-to-end relay benchmark tools (bench/relay/): command-line options,
// sockets, a wolfSSL stream wrapper, the few MQTT 3.1.1 / 5.0 packets the synthetic brokers
// speak, the payload stamp and a latency histogram.
//
// These are measuring instruments, not product code: they are written to be fast enough that the
// relay under test is always the bottleneck (big buffers, batched writes, no per-message
// allocation) and simple enough to trust. They deliberately do not use mqrelay's own codec, so a
// codec bug cannot hide itself by being on both ends.
//
// Threads: everything here is used by one thread per connection, except tls_ctx (read-only once
// made) and the histogram merge, which the caller serialises.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

struct WOLFSSL_CTX;
struct WOLFSSL;

namespace mqrelay::bench {

// CLOCK_MONOTONIC in nanoseconds; the same clock in every process on the host, so a timestamp
// written by the source can be subtracted at the sink.
std::uint64_t now_ns();

// "--key value" and "--flag" options. get() returns def when absent; need() exits with status 2
// and a message naming the option when absent.
class options {
 public:
  options(int argc, char** argv);
  bool has(const std::string& key) const { return values_.count(key) != 0; }
  std::string get(const std::string& key, const std::string& def = "") const;
  std::int64_t num(const std::string& key, std::int64_t def) const;
  std::string need(const std::string& key) const;

 private:
  std::map<std::string, std::string> values_;
};

[[noreturn]] void die(const std::string& what);

// Installs handler for SIGTERM and SIGINT without SA_RESTART (so a blocked recv() returns EINTR
// and the loop sees the flag) and ignores SIGPIPE.
void on_stop_signals(void (*handler)(int));

// Sockets (IPv4, blocking). listen_tcp exits the process on failure; connect_tcp retries for up
// to retry_ms (the peer may still be starting) and exits on failure.
int listen_tcp(const std::string& host, int port);
int connect_tcp(const std::string& host, int port, int retry_ms = 5000);
void split_host_port(const std::string& hp, std::string& host, int& port);
void tune_socket(int fd);  // TCP_NODELAY, 4 MiB socket buffers

// A TLS context. Server: requires a client certificate signed by ca. Client: verifies the server
// against ca and sends SNI/checks the name. Exits on failure (a benchmark cannot go on).
WOLFSSL_CTX* tls_server_ctx(const std::string& cert, const std::string& key, const std::string& ca);
WOLFSSL_CTX* tls_client_ctx(const std::string& ca, const std::string& cert, const std::string& key);

// Frees wolfSSL's per-thread ECC cache (Debian builds it with FP_ECC: a few MiB per thread that did
// a handshake, freed only by the thread itself). Call at the end of every such thread.
void tls_thread_done();

// A connection, plain or TLS, on a blocking socket: the set-up phase of the source and the sink
// (they then hand it to a uring_conn), and the TLS forwarder. read() returns >0 bytes, 0 on
// orderly close, -1 on error or timeout (with SO_RCVTIMEO set, errno EAGAIN). write_all()
// returns false on error.
class stream {
 public:
  stream() = default;
  stream(int fd, WOLFSSL* ssl) : fd_(fd), ssl_(ssl) {}
  stream(const stream&) = delete;
  stream& operator=(const stream&) = delete;
  stream(stream&& o) noexcept : fd_(o.fd_), ssl_(o.ssl_) { o.fd_ = -1; o.ssl_ = nullptr; }
  stream& operator=(stream&& o) noexcept {
    std::swap(fd_, o.fd_);
    std::swap(ssl_, o.ssl_);
    return *this;
  }
  ~stream();
  // TLS handshake as server (accept) or client (connect, sni = name to verify and send).
  static stream server(int fd, WOLFSSL_CTX* ctx);
  static stream client(int fd, WOLFSSL_CTX* ctx, const std::string& sni);
  long read(void* buf, std::size_t n);
  bool write_all(const void* buf, std::size_t n);
  bool pending() const;  // decrypted bytes buffered inside wolfSSL
  int fd() const { return fd_; }
  WOLFSSL* ssl() const { return ssl_; }
  void shutdown_rd();  // wakes a blocked reader on another thread

 private:
  int fd_ = -1;
  WOLFSSL* ssl_ = nullptr;
};

// --- MQTT (3.1.1 §2, 5.0 §2): just what the synthetic endpoints exchange. ---
enum : std::uint8_t {
  CONNECT = 1, CONNACK = 2, PUBLISH = 3, PUBACK = 4, SUBSCRIBE = 8, SUBACK = 9,
  UNSUBSCRIBE = 10, UNSUBACK = 11, PINGREQ = 12, PINGRESP = 13, DISCONNECT = 14
};

// Frames one packet at p[0..n). Returns 1 with header_len and remaining set, 0 when more bytes
// are needed, -1 when the remaining length is malformed (> 4 bytes).
int frame(const std::uint8_t* p, std::size_t n, std::size_t& header_len, std::uint32_t& remaining);
std::size_t put_varint(std::uint8_t* out, std::uint32_t v);  // returns bytes written (1..4)
std::size_t get_varint(const std::uint8_t* p, std::size_t n, std::uint32_t& v);  // 0 = bad

void put_u16(std::uint8_t* p, std::uint16_t v);
std::uint16_t get_u16(const std::uint8_t* p);
void put_u64(std::uint8_t* p, std::uint64_t v);
std::uint64_t get_u64(const std::uint8_t* p);

// Packets that carry no payload to speak of, ready to send.
std::vector<std::uint8_t> encode_connect(const std::string& client_id, bool clean, int version);
std::vector<std::uint8_t> encode_subscribe(std::uint16_t pid, const std::string& filter, int qos,
                                           int version);
std::vector<std::uint8_t> encode_ack(std::uint8_t type, std::uint16_t pid, int version,
                                     std::size_t codes = 0, std::uint8_t code = 0);

// Parsed CONNECT: protocol level (4 = 3.1.1, 5 = 5.0) and the MQTT 5 Receive Maximum (§3.1.2.11.3;
// 65535 when absent). Returns false when malformed.
bool parse_connect(const std::uint8_t* body, std::size_t n, int& version, int& receive_maximum);
// Number of topic filters in a SUBSCRIBE / UNSUBSCRIBE body (after the packet identifier).
std::size_t count_filters(const std::uint8_t* body, std::size_t n, int version, bool subscribe,
                          std::uint16_t& pid);

// Payload stamp: the first 16 bytes of every benchmark payload are the sequence number and the
// CLOCK_MONOTONIC send time, little endian. Payloads are at least 16 bytes.
constexpr std::size_t stamp_size = 16;

// Latency histogram: log-linear buckets, 128 per power of two (< 0.8 % error), 0 ns .. ~2^40 ns.
// Fixed size, no allocation after construction.
class histogram {
 public:
  histogram() : counts_(buckets, 0) {}
  void add(std::uint64_t ns) { ++counts_[index(ns)]; ++total_; }
  void merge(const histogram& o);
  std::uint64_t total() const { return total_; }
  std::uint64_t percentile(double p) const;  // ns; 0 when empty
  // Writes "latency_us fraction" lines (the CDF) for gnuplot, about 200 points.
  bool write_cdf(const std::string& path) const;

 private:
  static constexpr int sub_bits = 7;
  static constexpr std::size_t buckets = (41 - sub_bits + 1) << sub_bits;
  static std::size_t index(std::uint64_t v);
  static std::uint64_t value(std::size_t idx);
  std::vector<std::uint64_t> counts_;
  std::uint64_t total_ = 0;
};

}  // namespace mqrelay::bench
