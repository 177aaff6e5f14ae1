#include "tests/support/fake_broker.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>

namespace mqrelay::test {

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

namespace {
std::uint16_t be16(const std::string& s, std::size_t at) {
  return static_cast<std::uint16_t>((static_cast<unsigned char>(s[at]) << 8) | static_cast<unsigned char>(s[at + 1]));
}
// Reads a varint at s[at]; advances at; false if malformed/truncated.
bool read_varint(const std::string& s, std::size_t& at, std::uint32_t& out) {
  out = 0;
  for (int i = 0; i < 4; ++i) {
    if (at >= s.size()) return false;
    const auto b = static_cast<unsigned char>(s[at++]);
    out |= static_cast<std::uint32_t>(b & 0x7F) << (7 * i);
    if ((b & 0x80) == 0) return true;
  }
  return false;
}
}  // namespace

// ---- fake_packet accessors ----
std::string fake_packet::topic() const {
  if (type != mqtt_type::publish || body.size() < 2) return {};
  const std::size_t n = be16(body, 0);
  return body.size() >= 2 + n ? body.substr(2, n) : std::string();
}

std::uint16_t fake_packet::packet_id() const {
  if (type != mqtt_type::publish || qos() == 0 || body.size() < 2) return 0;
  const std::size_t at = 2 + be16(body, 0);
  return body.size() >= at + 2 ? be16(body, at) : 0;
}

int fake_packet::puback_id() const {
  if (type != mqtt_type::puback || body.size() < 2) return -1;
  return be16(body, 0);
}

std::string fake_packet::payload() const {
  if (type != mqtt_type::publish || body.size() < 2) return {};
  std::size_t at = 2 + be16(body, 0) + (qos() > 0 ? 2 : 0);
  if (v5) {
    std::uint32_t plen = 0;
    if (!read_varint(body, at, plen)) return {};
    at += plen;
  }
  return at <= body.size() ? body.substr(at) : std::string();
}

std::string fake_packet::client_id() const {
  // CONNECT: protocol name (2+4), level (1), flags (1), keep alive (2) [, v5 properties], client id
  if (type != mqtt_type::connect || body.size() < 10) return {};
  std::size_t at = 10;
  if (v5) {
    std::uint32_t plen = 0;
    if (!read_varint(body, at, plen)) return {};
    at += plen;
  }
  if (body.size() < at + 2) return {};
  const std::size_t n = be16(body, at);
  return body.size() >= at + 2 + n ? body.substr(at + 2, n) : std::string();
}

std::vector<std::string> fake_packet::filters() const {
  std::vector<std::string> out;
  if (type != mqtt_type::subscribe || body.size() < 2) return out;
  std::size_t at = 2;
  if (v5) {
    std::uint32_t plen = 0;
    if (!read_varint(body, at, plen)) return out;
    at += plen;
  }
  while (at + 2 <= body.size()) {
    const std::size_t n = be16(body, at);
    if (at + 2 + n + 1 > body.size()) break;
    out.push_back(body.substr(at + 2, n));
    at += 2 + n + 1;  // + options byte
  }
  return out;
}

// ---- wire ----
namespace fake_wire {
std::string varint(std::uint32_t n) {
  std::string o;
  do {
    auto b = static_cast<char>(n & 0x7F);
    n >>= 7;
    if (n) b = static_cast<char>(b | 0x80);
    o += b;
  } while (n);
  return o;
}
// Fixed header + body. (Built by appending: `std::string(1, h) + ...` trips GCC 12's -Wrestrict
// false positive at -O3.)
std::string frame(char header, const std::string& body) {
  const std::string len = varint(static_cast<std::uint32_t>(body.size()));
  std::string o;
  o.reserve(1 + len.size() + body.size());
  o.push_back(header);
  o.append(len);
  o.append(body);
  return o;
}
std::string utf8(std::string_view s) {
  std::string o;
  o += static_cast<char>(s.size() >> 8);
  o += static_cast<char>(s.size() & 0xFF);
  o += s;
  return o;
}
std::string connack(std::uint8_t rc, bool session_present, bool v5) {
  std::string body;
  body += static_cast<char>(session_present ? 1 : 0);
  body += static_cast<char>(rc);
  if (v5) body += '\0';  // no properties
  return frame('\x20', body);
}
std::string suback(std::uint16_t pid, std::size_t n_filters, bool v5, std::uint8_t code) {
  std::string body;
  body += static_cast<char>(pid >> 8);
  body += static_cast<char>(pid & 0xFF);
  if (v5) body += '\0';
  body.append(n_filters, static_cast<char>(code));
  return frame('\x90', body);
}
std::string publish(std::string_view topic, std::string_view payload, int qos, std::uint16_t pid, bool v5, bool dup,
                    bool retain) {
  std::string body = utf8(topic);
  if (qos > 0) {
    body += static_cast<char>(pid >> 8);
    body += static_cast<char>(pid & 0xFF);
  }
  if (v5) body += '\0';
  body += payload;
  const auto h = static_cast<char>(0x30 | (dup ? 8 : 0) | (qos << 1) | (retain ? 1 : 0));
  return frame(h, body);
}
std::string puback(std::uint16_t pid) {
  return std::string{'\x40', '\x02', static_cast<char>(pid >> 8), static_cast<char>(pid & 0xFF)};
}
std::string pingresp() { return std::string{'\xD0', '\x00'}; }
}  // namespace fake_wire

// ---- fake_connection ----
bool fake_connection::read_exact(char* p, std::size_t n, clock_type::time_point deadline) {
  while (n > 0) {
    if (fd_ < 0 || stop_) return false;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock_type::now()).count();
    if (left <= 0) return false;
    pollfd pfd{fd_, POLLIN, 0};
    const int r = ::poll(&pfd, 1, static_cast<int>(std::min<long>(left, 100)));
    if (r <= 0) continue;
    const ssize_t got = ::recv(fd_, p, n, 0);
    if (got <= 0) {
      close();
      return false;
    }
    p += got;
    n -= static_cast<std::size_t>(got);
  }
  return true;
}

std::optional<fake_packet> fake_connection::read(std::chrono::milliseconds timeout) {
  const auto deadline = clock_type::now() + timeout;
  char h = 0;
  if (!read_exact(&h, 1, deadline)) return std::nullopt;
  std::uint32_t len = 0;
  for (int i = 0;; ++i) {
    char b = 0;
    // Once a packet has started, give it the time it needs (the relay writes whole packets).
    if (i == 4 || !read_exact(&b, 1, clock_type::now() + 5s)) return std::nullopt;
    len |= static_cast<std::uint32_t>(static_cast<unsigned char>(b) & 0x7F) << (7 * i);
    if ((static_cast<unsigned char>(b) & 0x80) == 0) break;
  }
  fake_packet p;
  p.conn = index_;
  p.type = static_cast<std::uint8_t>(static_cast<unsigned char>(h) >> 4);
  p.flags = static_cast<std::uint8_t>(h & 0x0F);
  p.body.resize(len);
  if (len > 0 && !read_exact(p.body.data(), len, clock_type::now() + 5s)) return std::nullopt;
  if (p.type == mqtt_type::connect && p.body.size() > 6) v5_ = static_cast<unsigned char>(p.body[6]) == 5;
  p.v5 = v5_;
  record_(p);
  return p;
}

bool fake_connection::send(std::string_view bytes) {
  while (!bytes.empty()) {
    if (fd_ < 0) return false;
    const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n <= 0) {
      close();
      return false;
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

void fake_connection::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

std::optional<fake_packet> fake_connection::expect_connect(std::chrono::milliseconds timeout) {
  const auto deadline = clock_type::now() + timeout;
  while (clock_type::now() < deadline && fd_ >= 0) {
    auto p = read(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock_type::now()));
    if (!p) return std::nullopt;
    if (p->type == mqtt_type::connect) return p;
  }
  return std::nullopt;
}

void fake_connection::answer(const fake_packet& p, bool puback) {
  switch (p.type) {
    case mqtt_type::subscribe:
      send(fake_wire::suback(be16(p.body, 0), std::max<std::size_t>(1, p.filters().size()), v5_));
      break;
    case mqtt_type::pingreq:
      send(fake_wire::pingresp());
      break;
    case mqtt_type::publish:
      if (puback && p.qos() == 1) send(fake_wire::puback(p.packet_id()));
      break;
    case mqtt_type::disconnect:
      close();
      break;
    default:
      break;
  }
}

std::optional<fake_packet> fake_connection::serve_until(const std::function<bool(const fake_packet&)>& pred,
                                                        std::chrono::milliseconds timeout, bool puback) {
  const auto deadline = clock_type::now() + timeout;
  while (fd_ >= 0 && !stop_ && clock_type::now() < deadline) {
    auto p = read(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock_type::now()));
    if (!p) continue;
    answer(*p, puback);
    if (pred(*p)) return p;
  }
  return std::nullopt;
}

std::optional<fake_packet> fake_connection::serve_until_subscribed(std::chrono::milliseconds timeout) {
  return serve_until([](const fake_packet& p) { return p.type == mqtt_type::subscribe; }, timeout);
}

// ---- fake_broker ----
fake_broker::fake_broker(script s) : script_(std::move(s)) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) throw std::runtime_error("fake_broker: socket failed");
  const int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(listen_fd_, 8) != 0 ||
      ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    ::close(listen_fd_);
    throw std::runtime_error("fake_broker: cannot listen on 127.0.0.1");
  }
  port_ = ntohs(a.sin_port);
  thread_ = std::thread([this] { run(); });
}

fake_broker::~fake_broker() { stop(); }

void fake_broker::stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  if (listen_fd_ >= 0) ::close(listen_fd_);
  listen_fd_ = -1;
}

void fake_broker::run() {
  while (!stop_) {
    pollfd pfd{listen_fd_, POLLIN, 0};
    if (::poll(&pfd, 1, 100) <= 0) continue;
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    int index = 0;
    {
      std::lock_guard lk(mu_);
      index = connections_++;
      cv_.notify_all();
    }
    fake_connection c(fd, index, stop_, [this](const fake_packet& p) {
      std::lock_guard lk(mu_);
      received_.push_back(p);
      cv_.notify_all();
    });
    script_(c);
    // Default service until the peer goes away. A new connection attempt means the relay gave up
    // on this one (it reconnects only after closing), so also stop when one is pending.
    while (!c.closed() && !stop_) {
      c.serve_until([](const fake_packet&) { return false; }, 200ms);
      pollfd lp{listen_fd_, POLLIN, 0};
      if (::poll(&lp, 1, 0) > 0) break;
    }
    c.close();
  }
}

int fake_broker::connections() const {
  std::lock_guard lk(mu_);
  return connections_;
}

std::vector<fake_packet> fake_broker::received() const {
  std::lock_guard lk(mu_);
  return received_;
}

bool fake_broker::wait_for(const std::function<bool(const std::vector<fake_packet>&)>& pred,
                           std::chrono::milliseconds timeout) {
  std::unique_lock lk(mu_);
  return cv_.wait_for(lk, timeout, [&] { return pred(received_); });
}

}  // namespace mqrelay::test
