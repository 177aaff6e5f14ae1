// systemd Type=notify (SPEC §4.11): with NOTIFY_SOCKET set, the relay sends READY=1 once both
// endpoints are connected (not before: a unit that orders itself After= mqrelay relies on it), and
// STOPPING=1 when SIGTERM starts the drain. And an idle relay sleeps: once ready, none of its
// threads wakes more than its keep-alive and housekeeping need (a gateway's relay idles most of
// the day).
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <fstream>

#include "tests/integration/fixture.hpp"
#include "tests/support/temp_dir.hpp"

namespace mqrelay::test {
namespace {

// A datagram socket standing in for systemd's notification socket.
class notify_socket {
 public:
  notify_socket() : path_(dir_.file("notify.sock")) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    std::snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path_.c_str());
    ok_ = fd_ >= 0 && path_.size() < sizeof sa.sun_path && ::bind(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0;
  }
  ~notify_socket() {
    if (fd_ >= 0) ::close(fd_);
  }
  bool ok() const { return ok_; }
  std::string env() const { return "NOTIFY_SOCKET=" + path_; }
  // The next datagram within timeout, "" if none came.
  std::string next(std::chrono::milliseconds timeout) {
    timeval tv{static_cast<time_t>(timeout.count() / 1000), static_cast<suseconds_t>((timeout.count() % 1000) * 1000)};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char buf[512];
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
  }

 private:
  temp_dir dir_;
  std::string path_;
  int fd_ = -1;
  bool ok_ = false;
};

// Context switches (voluntary + involuntary) of one thread so far; -1 if it cannot be read.
long long switches(pid_t pid, pid_t tid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/task/" + std::to_string(tid) + "/status");
  long long total = -1;
  for (std::string line; std::getline(in, line);) {
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    const std::string key = line.substr(0, colon);
    if (key == "voluntary_ctxt_switches" || key == "nonvoluntary_ctxt_switches")
      total = (total < 0 ? 0 : total) + std::atoll(line.c_str() + colon + 1);
  }
  return total;
}

// The relay's own threads: the main thread (tid = pid) and the threads it names "mqrelay-*" (a
// sanitizer's helper threads are left out).
std::vector<pid_t> relay_threads(const process& relay) {
  std::vector<pid_t> out{relay.pid()};
  for (const thread_info& t : relay.threads())
    if (t.tid != relay.pid() && t.name.rfind("mqrelay-", 0) == 0) out.push_back(t.tid);
  return out;
}

class Systemd : public RelayTest {};

TEST_F(Systemd, ReadyOnlyOnceBothEndpointsAreConnectedStoppingOnSigterm) {
  notify_socket sd;
  ASSERT_TRUE(sd.ok()) << "cannot bind a datagram socket for NOTIFY_SOCKET";
  // The cloud broker's port is known but nothing listens there yet: the IoT Core link cannot connect.
  local_ = std::make_unique<mosquitto_broker>(broker_options{});
  local_->start();
  cloud_ = std::make_unique<mosquitto_broker>(broker_options{.tls = true});
  const std::uint16_t cloud_port = free_port();
  auto cfg = base_config();
  cfg.cloud_port = cloud_port;
  cfg.extra_iot_core = R"("minimumReconnectDelaySeconds": 1, "maximumReconnectDelaySeconds": 1)";
  cfg.env.push_back(sd.env());
  start_relay(cfg);
  ASSERT_TRUE(relay_->wait_log({"local: connected to"}, 15s)) << "the local link did not connect";
  EXPECT_EQ(sd.next(1500ms), "") << "READY=1 before the IoT Core link was connected";

  std::string why;
  ASSERT_TRUE(cloud_->start_on(cloud_port, why)) << why;
  EXPECT_EQ(sd.next(20s), "READY=1") << "no READY=1 within 20 s of the cloud broker coming up";
  // Ready means relaying: both routes carry a message now.
  auto dev = device();
  auto app = cloud_app();
  ASSERT_NO_FATAL_FAILURE(subscribe_all_and_expect_routes_up(*dev, *app));
  EXPECT_EQ(sd.next(200ms), "") << "a second notification while running";

  ASSERT_TRUE(relay_->proc()->signal(SIGTERM));
  EXPECT_EQ(sd.next(5s), "STOPPING=1");
  const auto rc = relay_->proc()->wait_exit(10s);
  ASSERT_TRUE(rc.has_value()) << "no exit within 10 s of SIGTERM";
  EXPECT_EQ(*rc, 0);
}

// Connected, nothing to relay: over 3 s the relay's threads wake a handful of times (each event
// loop's housekeeping, about once a second), not ten times a second. Both with and without
// NOTIFY_SOCKET (readiness is checked only until it is sent).
TEST_F(Systemd, AnIdleRelaySleeps) {
  for (const bool under_systemd : {false, true}) {
    SCOPED_TRACE(under_systemd ? "NOTIFY_SOCKET set" : "no NOTIFY_SOCKET");
    notify_socket sd;
    ASSERT_TRUE(sd.ok());
    if (!local_) start_brokers();
    auto cfg = base_config();
    cfg.log_level = "info";
    if (under_systemd) cfg.env.push_back(sd.env());
    start_relay(cfg);
    auto dev = device();
    auto app = cloud_app();
    ASSERT_NO_FATAL_FAILURE(subscribe_all_and_expect_routes_up(*dev, *app));
    if (under_systemd) {
      EXPECT_EQ(sd.next(5s), "READY=1");
    }
    std::this_thread::sleep_for(500ms);  // the probes' PUBACKs and the placement settle
    const pid_t pid = relay_->proc()->pid();
    const auto threads = relay_threads(*relay_->proc());
    ASSERT_EQ(threads.size(), 3u) << "expected the main thread, mqrelay-local and mqrelay-iotcore";
    std::vector<long long> before;
    for (pid_t t : threads) before.push_back(switches(pid, t));
    std::this_thread::sleep_for(3s);
    long long total = 0;
    std::string each;
    for (std::size_t i = 0; i < threads.size(); ++i) {
      const long long d = switches(pid, threads[i]) - before[i];
      total += d;
      each += ' ';
      each += std::to_string(d);
    }
    EXPECT_LE(total, 12) << "context switches of the relay's threads over 3 s idle (main, local, iotcore):" << each;
    ASSERT_NO_FATAL_FAILURE(expect_clean_stop());
    relay_.reset();
  }
}

}  // namespace
}  // namespace mqrelay::test
