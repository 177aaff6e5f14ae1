// session against a real mosquitto 2.0 on 127.0.0.1 with require_certificate: TLS handshake,
// then an MQTT 3.1.1 CONNECT as raw bytes and its CONNACK (MQTT 3.1.1 §3.1, §3.2).
// The broker is started per test on a free port and killed at the end; everything is bounded
// by timeouts (and CTest's TIMEOUT).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <netinet/in.h>
#include <sstream>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include "tests/tls/certs.hpp"
#include "tls/tls_session.hpp"

namespace mqrelay::tls {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

std::uint16_t free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    if (fd >= 0) ::close(fd);
    return 0;
  }
  ::close(fd);
  return ntohs(a.sin_port);
}

// Blocking TCP connection to 127.0.0.1:port with 5 s send/receive timeouts; -1 on failure.
int connect_loopback(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// A mosquitto child process; killed (and reaped) by the destructor. The child also dies with
// the test process (PR_SET_PDEATHSIG), so a crashed test leaves no broker behind.
class broker {
 public:
  broker() = default;
  broker(const broker&) = delete;
  broker& operator=(const broker&) = delete;
  ~broker() { stop(); }

  // Starts mosquitto with a TLS listener requiring client certificates. false + reason on failure.
  bool start(std::string& why) {
    dir_ = testing::temp_dir();
    // Running as root, mosquitto drops to user "mosquitto" before it loads the TLS files, so the
    // 0600 root-owned keys of make_certs.sh would be unreadable: give the broker its own copies,
    // readable, in a traversable directory.
    ::chmod(dir_.c_str(), 0755);
    for (const char* f : {"ca.pem", "server.pem", "server.key"}) {
      std::filesystem::copy_file(testing::cert(f), dir_ + "/" + f);
      ::chmod((dir_ + "/" + f).c_str(), 0644);
    }
    for (int attempt = 0; attempt < 5; ++attempt) {
      port_ = free_port();
      const std::string conf = dir_ + "/mosquitto.conf";
      std::ofstream(conf) << "per_listener_settings false\n"
                          << "listener " << port_ << " 127.0.0.1\n"
                          << "cafile " << dir_ << "/ca.pem\n"
                          << "certfile " << dir_ << "/server.pem\n"
                          << "keyfile " << dir_ << "/server.key\n"
                          << "require_certificate true\n"
                          << "allow_anonymous true\n"
                          << "persistence false\n"
                          << "log_dest stderr\n";
      pid_ = ::fork();
      if (pid_ < 0) {
        why = "fork failed";
        return false;
      }
      if (pid_ == 0) {
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        const int log = ::open((dir_ + "/mosquitto.log").c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (log >= 0) {
          ::dup2(log, 1);
          ::dup2(log, 2);
        }
        ::execl(MQRELAY_MOSQUITTO, "mosquitto", "-c", conf.c_str(), static_cast<char*>(nullptr));
        ::_exit(127);
      }
      // Ready when it accepts a TCP connection; gone if it exited (e.g. the port was taken).
      const auto deadline = std::chrono::steady_clock::now() + 5s;
      while (std::chrono::steady_clock::now() < deadline) {
        int status = 0;
        if (::waitpid(pid_, &status, WNOHANG) == pid_) {
          pid_ = -1;
          break;
        }
        if (const int fd = connect_loopback(port_); fd >= 0) {
          ::close(fd);
          return true;
        }
        std::this_thread::sleep_for(20ms);
      }
      stop();
    }
    why = "mosquitto did not start; its log:\n" + log();
    return false;
  }

  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    for (int i = 0; i < 100; ++i) {
      if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = -1;
        return;
      }
      std::this_thread::sleep_for(20ms);
    }
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

  std::string log() const {
    std::ifstream f(dir_ + "/mosquitto.log");
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
  }
  std::uint16_t port() const { return port_; }

 private:
  std::string dir_;
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
};

bool send_all(int fd, session& s) {
  while (!s.cipher_out().empty()) {
    auto c = s.cipher_out();
    const ssize_t n = ::send(fd, c.data(), c.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    s.cipher_out_consume(static_cast<std::size_t>(n));  // short sends are fine
  }
  return true;
}

// One blocking receive into the session; false on EOF, error or timeout.
bool recv_some(int fd, session& s) {
  auto w = s.cipher_in_writable();
  const ssize_t n = ::recv(fd, w.data(), w.size(), 0);
  if (n <= 0) return false;
  s.cipher_in_commit(static_cast<std::size_t>(n));
  return true;
}

// Drives the handshake over a blocking socket. Returns the final status.
session::status handshake(int fd, session& s) {
  for (int i = 0; i < 50; ++i) {
    const auto st = s.handshake();
    if (!send_all(fd, s)) return session::status::error;
    if (st != session::status::want_io) return st;
    if (!recv_some(fd, s)) return session::status::error;
  }
  return session::status::error;
}

// Reads plaintext until `want` bytes or an error; returns what arrived.
std::vector<std::uint8_t> read_plain(int fd, session& s, std::size_t want) {
  std::vector<std::uint8_t> got;
  std::uint8_t buf[256];
  for (int i = 0; i < 50 && got.size() < want; ++i) {
    const long n = s.read(buf, sizeof buf);
    if (n < 0) break;
    if (n > 0) {
      got.insert(got.end(), buf, buf + n);
      continue;
    }
    if (!send_all(fd, s) || !recv_some(fd, s)) break;
  }
  return got;
}

// MQTT 3.1.1 CONNECT, clean session, keep alive 60 s, client ID "mqrelay-tls-test".
const std::vector<std::uint8_t> kConnect = {
    0x10, 28,                            // CONNECT, remaining length
    0, 4, 'M', 'Q', 'T', 'T', 4,         // protocol name, level 4 (3.1.1)
    0x02, 0, 60,                         // flags: clean session; keep alive
    0, 16, 'm', 'q', 'r', 'e', 'l', 'a', 'y', '-', 't', 'l', 's', '-', 't', 'e', 's', 't'};
const std::vector<std::uint8_t> kConnackAccepted = {0x20, 0x02, 0x00, 0x00};

class Mosquitto : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    if (std::string(MQRELAY_MOSQUITTO).empty()) GTEST_SKIP() << "mosquitto is not installed";
    std::string why;
    ASSERT_TRUE(broker_.start(why)) << why;
  }
  client_options opts() const {
    client_options o;
    o.ca_file = testing::cert("ca.pem");
    o.cert_file = testing::cert("client.pem");
    o.key_file = testing::cert("client.key");
    o.server_name = GetParam();
    return o;
  }
  broker broker_;
};

TEST_P(Mosquitto, MutualTlsConnectGetsConnack) {
  std::string err;
  auto ctx = client_context::create(opts(), err);
  ASSERT_NE(ctx, nullptr) << err;
  const int fd = connect_loopback(broker_.port());
  ASSERT_GE(fd, 0);
  session s(*ctx);
  ASSERT_EQ(handshake(fd, s), session::status::ok) << s.last_error() << "\n" << broker_.log();
  ASSERT_TRUE(s.write(kConnect)) << s.last_error();
  ASSERT_TRUE(send_all(fd, s));
  EXPECT_EQ(read_plain(fd, s, 4), kConnackAccepted) << s.last_error() << "\n" << broker_.log();
  // A clean goodbye: MQTT DISCONNECT, then close_notify.
  ASSERT_TRUE(s.write(std::vector<std::uint8_t>{0xE0, 0x00}));
  s.shutdown();
  EXPECT_TRUE(send_all(fd, s));
  ::close(fd);
}

TEST_P(Mosquitto, RefusesClientWithoutCertificate) {
  client_options o = opts();
  o.cert_file.clear();
  o.key_file.clear();
  std::string err;
  auto ctx = client_context::create(o, err);
  ASSERT_NE(ctx, nullptr) << err;
  const int fd = connect_loopback(broker_.port());
  ASSERT_GE(fd, 0);
  session s(*ctx);
  const auto st = handshake(fd, s);
  bool refused = st != session::status::ok;
  if (!refused) {  // TLS 1.3: the refusal arrives after the client finished
    s.write(kConnect);
    send_all(fd, s);
    refused = read_plain(fd, s, 4) != kConnackAccepted;
  }
  EXPECT_TRUE(refused);
  ::close(fd);
}

TEST_P(Mosquitto, WrongCaIsRefused) {
  client_options o = opts();
  o.ca_file = testing::cert("other-ca.pem");
  std::string err;
  auto ctx = client_context::create(o, err);
  ASSERT_NE(ctx, nullptr) << err;
  const int fd = connect_loopback(broker_.port());
  ASSERT_GE(fd, 0);
  session s(*ctx);
  EXPECT_EQ(handshake(fd, s), session::status::error);
  EXPECT_THAT(s.last_error(), HasSubstr("certificate verify failed"));
  ::close(fd);
}

TEST_P(Mosquitto, WrongHostNameIsRefused) {
  client_options o = opts();
  // The broker's certificate is for localhost and 127.0.0.1 only.
  o.server_name = std::string(GetParam()) == "127.0.0.1" ? "127.0.0.2" : "broker.example.com";
  std::string err;
  auto ctx = client_context::create(o, err);
  ASSERT_NE(ctx, nullptr) << err;
  const int fd = connect_loopback(broker_.port());
  ASSERT_GE(fd, 0);
  session s(*ctx);
  EXPECT_EQ(handshake(fd, s), session::status::error);
  EXPECT_THAT(s.last_error(), HasSubstr("host name mismatch: the server certificate is not valid for " + o.server_name));
  ::close(fd);
}

// The integration tests reach the broker both by IP address (SAN IP) and by name (SAN DNS).
INSTANTIATE_TEST_SUITE_P(Tls, Mosquitto, ::testing::Values("127.0.0.1", "localhost"),
                         [](const ::testing::TestParamInfo<const char*>& p) {
                           return std::string(p.param)[0] == '1' ? "ByIp" : "ByName";
                         });

}  // namespace
}  // namespace mqrelay::tls
