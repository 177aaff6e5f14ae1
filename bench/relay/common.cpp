#include "bench/relay/common.hpp"

#include <wolfssl/options.h>
#include <wolfssl/ssl.h>
#include <wolfssl/wolfcrypt/ecc.h>

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <thread>

namespace mqrelay::bench {

std::uint64_t now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1000000000ULL + static_cast<std::uint64_t>(ts.tv_nsec);
}

void die(const std::string& what) {
  std::fprintf(stderr, "%s\n", what.c_str());
  std::exit(2);
}

void on_stop_signals(void (*handler)(int)) {
  struct sigaction sa {};
  sa.sa_handler = handler;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
}

options::options(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg.size() < 3 || arg.substr(0, 2) != "--") die("unexpected argument '" + std::string(arg) + "'");
    const std::string a(arg.substr(2));
    const auto eq = a.find('=');
    if (eq != std::string::npos) {
      values_[a.substr(0, eq)] = a.substr(eq + 1);
    } else if (i + 1 < argc && std::string_view(argv[i + 1]).rfind("--", 0) != 0) {
      values_[a] = std::string(argv[++i]);
    } else {
      values_[a] = std::string(1, '1');
    }
  }
}

std::string options::get(const std::string& key, const std::string& def) const {
  const auto it = values_.find(key);
  return it == values_.end() ? def : it->second;
}

std::int64_t options::num(const std::string& key, std::int64_t def) const {
  const auto it = values_.find(key);
  if (it == values_.end()) return def;
  char* end = nullptr;
  const long long v = std::strtoll(it->second.c_str(), &end, 10);
  if (end == it->second.c_str() || *end != '\0') die("--" + key + " needs a number");
  return v;
}

std::string options::need(const std::string& key) const {
  if (!has(key)) die("missing --" + key);
  return get(key);
}

void split_host_port(const std::string& hp, std::string& host, int& port) {
  const auto colon = hp.rfind(':');
  if (colon == std::string::npos) die("expected HOST:PORT, got '" + hp + "'");
  host = hp.substr(0, colon);
  port = std::atoi(hp.c_str() + colon + 1);
}

void tune_socket(int fd) {
  int one = 1, big = 4 << 20;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
}

static sockaddr_in make_addr(const std::string& host, int port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  const std::string h = (host == "localhost" || host.empty()) ? "127.0.0.1" : host;
  if (inet_pton(AF_INET, h.c_str(), &a.sin_addr) != 1) die("bad IPv4 address '" + host + "'");
  return a;
}

int listen_tcp(const std::string& host, int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  tune_socket(fd);  // inherited by accepted sockets
  const sockaddr_in a = make_addr(host, port);
  if (bind(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0 || listen(fd, 64) != 0)
    die("cannot listen on " + host + ":" + std::to_string(port) + ": " + std::strerror(errno));
  return fd;
}

int connect_tcp(const std::string& host, int port, int retry_ms) {
  const sockaddr_in a = make_addr(host, port);
  const std::uint64_t deadline = now_ns() + static_cast<std::uint64_t>(retry_ms) * 1000000ULL;
  for (;;) {
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    tune_socket(fd);
    if (connect(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a) == 0) return fd;
    const int err = errno;
    close(fd);
    if (now_ns() > deadline)
      die("cannot connect to " + host + ":" + std::to_string(port) + ": " + std::strerror(err));
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

static void tls_init() {
  static const bool done = [] { wolfSSL_Init(); return true; }();
  (void)done;
}

// MQBENCH_CIPHERS (an OpenSSL-style list) restricts the cipher suites: to compare them.
static void set_ciphers(WOLFSSL_CTX* ctx) {
  const char* list = std::getenv("MQBENCH_CIPHERS");
  if (list != nullptr && *list != 0 && wolfSSL_CTX_set_cipher_list(ctx, list) != WOLFSSL_SUCCESS)
    die(std::string("bad MQBENCH_CIPHERS: ") + list);
}

WOLFSSL_CTX* tls_server_ctx(const std::string& cert, const std::string& key, const std::string& ca) {
  tls_init();
  WOLFSSL_CTX* ctx = wolfSSL_CTX_new(wolfTLS_server_method());
  if (ctx == nullptr) die("wolfSSL_CTX_new failed");
  wolfSSL_CTX_SetMinVersion(ctx, WOLFSSL_TLSV1_2);
  if (wolfSSL_CTX_use_certificate_chain_file(ctx, cert.c_str()) != WOLFSSL_SUCCESS)
    die("cannot load certificate " + cert);
  if (wolfSSL_CTX_use_PrivateKey_file(ctx, key.c_str(), WOLFSSL_FILETYPE_PEM) != WOLFSSL_SUCCESS)
    die("cannot load key " + key);
  if (wolfSSL_CTX_load_verify_locations(ctx, ca.c_str(), nullptr) != WOLFSSL_SUCCESS)
    die("cannot load CA " + ca);
  wolfSSL_CTX_set_verify(ctx, WOLFSSL_VERIFY_PEER | WOLFSSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  set_ciphers(ctx);
  return ctx;
}

WOLFSSL_CTX* tls_client_ctx(const std::string& ca, const std::string& cert, const std::string& key) {
  tls_init();
  WOLFSSL_CTX* ctx = wolfSSL_CTX_new(wolfTLS_client_method());
  if (ctx == nullptr) die("wolfSSL_CTX_new failed");
  wolfSSL_CTX_SetMinVersion(ctx, WOLFSSL_TLSV1_2);
  if (wolfSSL_CTX_load_verify_locations(ctx, ca.c_str(), nullptr) != WOLFSSL_SUCCESS)
    die("cannot load CA " + ca);
  if (!cert.empty() && wolfSSL_CTX_use_certificate_chain_file(ctx, cert.c_str()) != WOLFSSL_SUCCESS)
    die("cannot load certificate " + cert);
  if (!key.empty() &&
      wolfSSL_CTX_use_PrivateKey_file(ctx, key.c_str(), WOLFSSL_FILETYPE_PEM) != WOLFSSL_SUCCESS)
    die("cannot load key " + key);
  wolfSSL_CTX_set_verify(ctx, WOLFSSL_VERIFY_PEER, nullptr);
  set_ciphers(ctx);
  return ctx;
}

void tls_thread_done() { wc_ecc_fp_free(); }

stream::~stream() {
  if (ssl_ != nullptr) wolfSSL_free(ssl_);
  if (fd_ >= 0) close(fd_);
}

stream stream::server(int fd, WOLFSSL_CTX* ctx) {
  if (ctx == nullptr) return stream(fd, nullptr);
  WOLFSSL* ssl = wolfSSL_new(ctx);
  wolfSSL_set_fd(ssl, fd);
  if (wolfSSL_accept(ssl) != WOLFSSL_SUCCESS) {
    char msg[WOLFSSL_MAX_ERROR_SZ];
    std::fprintf(stderr, "TLS accept failed: %s\n",
                 wolfSSL_ERR_error_string(static_cast<unsigned long>(wolfSSL_get_error(ssl, 0)), msg));
    wolfSSL_free(ssl);
    close(fd);
    return stream();
  }
  std::fprintf(stderr, "TLS: %s %s\n", wolfSSL_get_version(ssl), wolfSSL_get_cipher_name(ssl));
  return stream(fd, ssl);
}

stream stream::client(int fd, WOLFSSL_CTX* ctx, const std::string& sni) {
  if (ctx == nullptr) return stream(fd, nullptr);
  WOLFSSL* ssl = wolfSSL_new(ctx);
  wolfSSL_set_fd(ssl, fd);
  wolfSSL_UseSNI(ssl, WOLFSSL_SNI_HOST_NAME, sni.data(), static_cast<unsigned short>(sni.size()));
  wolfSSL_check_domain_name(ssl, sni.c_str());
  if (wolfSSL_connect(ssl) != WOLFSSL_SUCCESS) {
    char msg[WOLFSSL_MAX_ERROR_SZ];
    die(std::string("TLS connect failed: ") +
        wolfSSL_ERR_error_string(static_cast<unsigned long>(wolfSSL_get_error(ssl, 0)), msg));
  }
  return stream(fd, ssl);
}

long stream::read(void* buf, std::size_t n) {
  if (ssl_ == nullptr) {
    const ssize_t r = ::recv(fd_, buf, n, 0);
    return r;
  }
  const int r = wolfSSL_read(ssl_, buf, static_cast<int>(n));
  if (r > 0) return r;
  const int err = wolfSSL_get_error(ssl_, r);
  if (err == WOLFSSL_ERROR_ZERO_RETURN) return 0;
  if (err == WOLFSSL_ERROR_WANT_READ) {
    errno = EAGAIN;
    return -1;
  }
  char msg[WOLFSSL_MAX_ERROR_SZ];
  std::fprintf(stderr, "TLS read failed: %s\n", wolfSSL_ERR_error_string(static_cast<unsigned long>(err), msg));
  errno = EPROTO;
  return -1;
}

bool stream::write_all(const void* buf, std::size_t n) {
  const auto* p = static_cast<const std::uint8_t*>(buf);
  while (n > 0) {
    long w;
    if (ssl_ == nullptr) {
      w = ::send(fd_, p, n, MSG_NOSIGNAL);
      if (w < 0 && errno == EINTR) continue;
    } else {
      w = wolfSSL_write(ssl_, p, static_cast<int>(n > (1u << 30) ? (1u << 30) : n));
    }
    if (w <= 0) return false;
    p += w;
    n -= static_cast<std::size_t>(w);
  }
  return true;
}

bool stream::pending() const { return ssl_ != nullptr && wolfSSL_pending(ssl_) > 0; }

void stream::shutdown_rd() {
  if (fd_ >= 0) ::shutdown(fd_, SHUT_RDWR);
}

int frame(const std::uint8_t* p, std::size_t n, std::size_t& header_len, std::uint32_t& remaining) {
  std::uint32_t v = 0;
  for (std::size_t i = 1; i < 5; ++i) {
    if (i >= n) return 0;
    v |= static_cast<std::uint32_t>(p[i] & 0x7f) << (7 * (i - 1));
    if ((p[i] & 0x80) == 0) {
      header_len = i + 1;
      remaining = v;
      return 1;
    }
  }
  return -1;
}

std::size_t put_varint(std::uint8_t* out, std::uint32_t v) {
  std::size_t i = 0;
  do {
    std::uint8_t b = v & 0x7f;
    v >>= 7;
    if (v != 0) b |= 0x80;
    out[i++] = b;
  } while (v != 0);
  return i;
}

std::size_t get_varint(const std::uint8_t* p, std::size_t n, std::uint32_t& v) {
  v = 0;
  for (std::size_t i = 0; i < 4 && i < n; ++i) {
    v |= static_cast<std::uint32_t>(p[i] & 0x7f) << (7 * i);
    if ((p[i] & 0x80) == 0) return i + 1;
  }
  return 0;
}

void put_u16(std::uint8_t* p, std::uint16_t v) { p[0] = static_cast<std::uint8_t>(v >> 8); p[1] = v & 0xff; }
std::uint16_t get_u16(const std::uint8_t* p) { return static_cast<std::uint16_t>(p[0] << 8 | p[1]); }
void put_u64(std::uint8_t* p, std::uint64_t v) { std::memcpy(p, &v, 8); }
std::uint64_t get_u64(const std::uint8_t* p) { std::uint64_t v; std::memcpy(&v, p, 8); return v; }

static std::vector<std::uint8_t> finish(std::uint8_t first, const std::vector<std::uint8_t>& body) {
  std::uint8_t head[5] = {first, 0, 0, 0, 0};
  const std::size_t h = 1 + put_varint(head + 1, static_cast<std::uint32_t>(body.size()));
  std::vector<std::uint8_t> out(head, head + h);
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

static void put_str(std::vector<std::uint8_t>& b, const std::string& s) {
  b.push_back(static_cast<std::uint8_t>(s.size() >> 8));
  b.push_back(static_cast<std::uint8_t>(s.size() & 0xff));
  for (const char c : s) b.push_back(static_cast<std::uint8_t>(c));
}

std::vector<std::uint8_t> encode_connect(const std::string& client_id, bool clean, int version) {
  std::vector<std::uint8_t> b;
  put_str(b, "MQTT");
  b.push_back(static_cast<std::uint8_t>(version));
  b.push_back(clean ? 0x02 : 0x00);
  b.push_back(0);
  b.push_back(60);  // keep alive 60 s
  if (version == 5) b.push_back(0);
  put_str(b, client_id);
  return finish(CONNECT << 4, b);
}

std::vector<std::uint8_t> encode_subscribe(std::uint16_t pid, const std::string& filter, int qos,
                                           int version) {
  std::vector<std::uint8_t> b{static_cast<std::uint8_t>(pid >> 8), static_cast<std::uint8_t>(pid & 0xff)};
  if (version == 5) b.push_back(0);
  put_str(b, filter);
  b.push_back(static_cast<std::uint8_t>(qos));
  return finish(SUBSCRIBE << 4 | 2, b);
}

std::vector<std::uint8_t> encode_ack(std::uint8_t type, std::uint16_t pid, int version,
                                     std::size_t codes, std::uint8_t code) {
  std::vector<std::uint8_t> b;
  if (type == CONNACK) {
    b = {0, 0};
    if (version == 5) b.push_back(0);
  } else if (type == PINGRESP) {
  } else {
    b = {static_cast<std::uint8_t>(pid >> 8), static_cast<std::uint8_t>(pid & 0xff)};
    if (version == 5 && (type == SUBACK || type == UNSUBACK)) b.push_back(0);
    b.insert(b.end(), codes, code);
  }
  return finish(static_cast<std::uint8_t>(type << 4), b);
}

bool parse_connect(const std::uint8_t* body, std::size_t n, int& version, int& receive_maximum) {
  receive_maximum = 65535;
  if (n < 10) return false;
  const std::size_t name_len = get_u16(body);
  std::size_t i = 2 + name_len;
  if (i + 4 > n) return false;
  version = body[i];
  i += 4;  // level, flags, keep alive
  if (version != 5) return true;
  std::uint32_t plen = 0;
  const std::size_t vl = get_varint(body + i, n - i, plen);
  if (vl == 0 || i + vl + plen > n) return false;
  i += vl;
  const std::size_t end = i + plen;
  while (i < end) {  // MQTT 5 §3.1.2.11: walk the CONNECT properties for Receive Maximum (0x21)
    const std::uint8_t id = body[i++];
    switch (id) {
      case 0x21: if (i + 2 > end) return false; receive_maximum = get_u16(body + i); i += 2; break;
      case 0x11: case 0x27: i += 4; break;                  // session expiry, max packet size
      case 0x22: i += 2; break;                             // topic alias maximum
      case 0x19: case 0x17: i += 1; break;                  // request response / problem info
      case 0x15: case 0x16: i += 2 + get_u16(body + i); break;  // auth method / data
      case 0x26: i += 2 + get_u16(body + i); i += 2 + get_u16(body + i); break;  // user property
      default: return false;
    }
  }
  return true;
}

std::size_t count_filters(const std::uint8_t* body, std::size_t n, int version, bool subscribe,
                          std::uint16_t& pid) {
  if (n < 2) return 0;
  pid = get_u16(body);
  std::size_t i = 2;
  if (version == 5) {
    std::uint32_t plen = 0;
    const std::size_t vl = get_varint(body + i, n - i, plen);
    if (vl == 0) return 0;
    i += vl + plen;
  }
  std::size_t count = 0;
  while (i + 2 <= n) {
    i += 2 + get_u16(body + i) + (subscribe ? 1 : 0);
    ++count;
  }
  return count;
}

std::size_t histogram::index(std::uint64_t v) {
  if (v < (1u << sub_bits)) return static_cast<std::size_t>(v);
  const int e = 63 - __builtin_clzll(v);
  if (e > 40) return buckets - 1;
  const std::size_t sub = static_cast<std::size_t>(v >> (e - sub_bits)) & ((1u << sub_bits) - 1);
  return (static_cast<std::size_t>(e - sub_bits + 1) << sub_bits) + sub;
}

std::uint64_t histogram::value(std::size_t idx) {
  if (idx < (1u << sub_bits)) return idx;
  const int e = static_cast<int>(idx >> sub_bits) + sub_bits - 1;
  const std::uint64_t sub = idx & ((1u << sub_bits) - 1);
  // midpoint of the bucket
  return ((1ULL << sub_bits) + sub) << (e - sub_bits) | (1ULL << (e - sub_bits)) >> 1;
}

void histogram::merge(const histogram& o) {
  for (std::size_t i = 0; i < buckets; ++i) counts_[i] += o.counts_[i];
  total_ += o.total_;
}

std::uint64_t histogram::percentile(double p) const {
  if (total_ == 0) return 0;
  const double want = p / 100.0 * static_cast<double>(total_);
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < buckets; ++i) {
    seen += counts_[i];
    if (static_cast<double>(seen) >= want && counts_[i] != 0) return value(i);
  }
  return value(buckets - 1);
}

bool histogram::write_cdf(const std::string& path) const {
  std::ofstream f(path);
  if (!f) return false;
  f << "# latency_us cumulative_fraction\n";
  std::uint64_t seen = 0;
  double last_frac = -1;
  for (std::size_t i = 0; i < buckets; ++i) {
    if (counts_[i] == 0) continue;
    seen += counts_[i];
    const double frac = static_cast<double>(seen) / static_cast<double>(total_);
    if (frac - last_frac >= 0.002 || seen == total_ || frac > 0.99) {
      f << static_cast<double>(value(i)) / 1000.0 << ' ' << frac << '\n';
      last_frac = frac;
    }
  }
  return true;
}

}  // namespace mqrelay::bench
