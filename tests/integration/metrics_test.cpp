// metrics.listen (SPEC §3.2): GET /metrics in Prometheus text format and GET /healthz, served by
// the real binary while it relays between real brokers. What a user's monitoring relies on: the
// counters move with the traffic (relayed, and not relayed with the reason), /healthz follows the
// links, an address that cannot be served stops the start with exit 1, and bad HTTP requests do
// not disturb the relay.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <sstream>

#include "tests/integration/fixture.hpp"
#include "tests/support/net.hpp"

namespace mqrelay::test {
namespace {

constexpr const char* kHello = "clients/dev1/hello/world";
const std::string kLocalUp = R"(mqrelay_link_connected{link="local",endpoint="LocalMqtt"})";
const std::string kCloudUp = R"(mqrelay_link_connected{link="iotcore",endpoint="IotCore"})";
const std::string kTooLarge = R"(mqrelay_messages_not_relayed_total{reason="too_large"})";

std::string metrics_json(std::uint16_t port) {
  return "\"metrics\": {\"listen\": \"127.0.0.1:" + std::to_string(port) + "\"}";
}

// "name{labels}" -> value, for every sample line of a scrape; empty when the scrape failed.
using samples = std::map<std::string, double>;
samples scrape(std::uint16_t port) {
  samples out;
  const auto r = http_request(port, "GET", "/metrics");
  if (!r || r->status != 200) return out;
  std::istringstream in(r->body);
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    const auto sp = line.rfind(' ');
    if (sp == std::string::npos) continue;
    out[line.substr(0, sp)] = std::stod(line.substr(sp + 1));
  }
  return out;
}

double value(const samples& s, const std::string& key) {
  const auto it = s.find(key);
  return it == s.end() ? -1 : it->second;
}

// Polls a scrape until pred holds; the last scrape.
samples scrape_until(std::uint16_t port, const std::function<bool(const samples&)>& pred, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  samples s = scrape(port);
  while (!pred(s) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(100ms);
    s = scrape(port);
  }
  return s;
}

class Metrics : public RelayTest {
 protected:
  // Brokers, the relay with metrics on a free port, and a device and a cloud app that see the
  // relay carry the seed's routes both ways. Call as ASSERT_NO_FATAL_FAILURE(start_relaying()).
  void start_relaying() {
    start_brokers();
    port_ = free_port();
    auto cfg = base_config();
    cfg.extra_top_level = metrics_json(port_);
    start_relay(cfg);
    dev_ = device();
    app_ = cloud_app();
    subscribe_all_and_expect_routes_up(*dev_, *app_);
  }
  std::uint16_t port_ = 0;
  std::unique_ptr<mqtt_client> dev_, app_;
};

TEST_F(Metrics, CountersFollowTheTrafficAndHealthFollowsTheLinks) {
  ASSERT_NO_FATAL_FAILURE(start_relaying());

  const auto health = http_request(port_, "GET", "/healthz");
  ASSERT_TRUE(health) << "no HTTP answer on 127.0.0.1:" << port_;
  EXPECT_EQ(health->status, 200);
  EXPECT_EQ(health->body, "ok\n");
  const samples before = scrape(port_);
  ASSERT_FALSE(before.empty()) << "GET /metrics failed";
  EXPECT_EQ(value(before, kLocalUp), 1);
  EXPECT_EQ(value(before, kCloudUp), 1);
  EXPECT_EQ(value(before, kTooLarge), 0);

  constexpr int kN = 50;
  for (int i = 0; i < kN; ++i) ASSERT_TRUE(dev_->publish(kHello, std::to_string(i), 1));
  const auto missing = wait_numbers(*app_, kHello, kN, 20s);
  ASSERT_TRUE(missing.empty()) << "not relayed: " << first_few(missing);
  // Over iotCore.maxMessageSizeInBytes (131072): not relayed, counted with its reason (SPEC §4.8).
  ASSERT_TRUE(dev_->publish(kHello, std::string(140000, 'x'), 1));
  const samples after = scrape_until(
      port_, [&](const samples& s) { return value(s, kTooLarge) >= 1 && value(s, "mqrelay_messages_in_relay") == 0; }, 10s);
  EXPECT_EQ(value(after, kTooLarge), 1) << "the oversize message, counted once";
  EXPECT_GE(value(after, "mqrelay_messages_received_total") - value(before, "mqrelay_messages_received_total"), kN + 1);
  EXPECT_GE(value(after, "mqrelay_messages_delivered_total") - value(before, "mqrelay_messages_delivered_total"), kN);
  EXPECT_EQ(value(after, "mqrelay_messages_in_relay"), 0) << "every message acknowledged by now";
  EXPECT_EQ(value(after, "mqrelay_spooler_bytes"), 0);
  EXPECT_EQ(value(after, "mqrelay_spooler_limit_bytes"), 67108864) << "spooler.maxSizeInBytes' default";

  // HEAD answers like GET, without a body (Prometheus and load balancers use either).
  const auto head = http_request(port_, "HEAD", "/metrics");
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  EXPECT_TRUE(head->body.empty());

  cloud_->stop();
  std::optional<http_reply> down;
  for (int i = 0; i < 150; ++i) {
    down = http_request(port_, "GET", "/healthz");
    if (down && down->status == 503) break;
    std::this_thread::sleep_for(100ms);
  }
  ASSERT_TRUE(down);
  EXPECT_EQ(down->status, 503) << "/healthz while the cloud is down";
  EXPECT_EQ(down->body, "not connected: iotcore\n");
  const samples s = scrape(port_);
  EXPECT_EQ(value(s, kCloudUp), 0);
  EXPECT_EQ(value(s, kLocalUp), 1);
  expect_clean_stop();
}

TEST_F(Metrics, AnAddressThatCannotBeServedStopsTheStartWithExit1) {
  start_brokers();
  // Hold a listening socket on a port, then ask the relay for the same one.
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(::listen(fd, 1), 0);
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len), 0);
  const std::uint16_t taken = ntohs(a.sin_port);
  auto cfg = base_config();
  cfg.extra_top_level = metrics_json(taken);
  start_relay(cfg);
  const auto rc = relay_->proc()->wait_exit(10s);
  ::close(fd);
  ASSERT_TRUE(rc.has_value()) << "the relay kept running without its metrics address";
  EXPECT_EQ(*rc, 1) << "a fatal runtime error (SPEC §2)";
  EXPECT_NE(relay_->log().find("metrics.listen 127.0.0.1:" + std::to_string(taken) + ": Address already in use"),
            std::string::npos)
      << relay_->log();
}

TEST_F(Metrics, BadRequestsAreAnsweredAndTheRelayRelaysOn) {
  ASSERT_NO_FATAL_FAILURE(start_relaying());

  const auto post = http_request(port_, "POST", "/metrics");
  ASSERT_TRUE(post);
  EXPECT_EQ(post->status, 405);
  const auto unknown = http_request(port_, "GET", "/metrics/../../etc/passwd");
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 404);
  // Not HTTP at all, a request line of 100 kB, headers that never end: each gets an error or
  // a closed connection, never a crash.
  for (const std::string& junk : {std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11) + std::string(300, '\0'),
                                  "GET /" + std::string(100000, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n",
                                  "GET /metrics HTTP/1.1\r\n" + std::string(200000, 'h')}) {
    const auto r = tcp_exchange(port_, junk, /*half_close=*/true);
    if (r && !r->empty()) {
      EXPECT_EQ(r->compare(0, 10, "HTTP/1.1 4"), 0) << r->substr(0, 80);
    }
  }
  // A client that sends half a request and waits does not hold up the others.
  const int slow = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(slow, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port_);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(slow, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(::send(slow, "GET /metr", 9, MSG_NOSIGNAL), 9);
  for (int i = 0; i < 5; ++i) {
    const auto r = http_request(port_, "GET", "/healthz");
    ASSERT_TRUE(r) << "request " << i << " with a slow client connected";
    EXPECT_EQ(r->status, 200);
  }
  ::close(slow);
  EXPECT_TRUE(relay_->running());
  EXPECT_TRUE(probe(*dev_, kHello, *app_)) << "the relay stopped relaying";
  EXPECT_FALSE(scrape(port_).empty());
  expect_clean_stop();
}

// The HTTP library (and GnuTLS, which it links) costs every process that maps it 2.8 MiB of RSS:
// a relay without metrics.listen does not load it; one with it does, and serves.
TEST_F(Metrics, TheHttpLibraryIsLoadedOnlyWithMetricsListen) {
  auto mapped = [](pid_t pid, const std::string& name) {
    std::ifstream maps("/proc/" + std::to_string(pid) + "/maps");
    for (std::string line; std::getline(maps, line);)
      if (line.find(name) != std::string::npos) return true;
    return false;
  };
  start_brokers();
  start_relay(base_config());
  ASSERT_TRUE(relay_->wait_log({"local: connected to"}, 15s));
  EXPECT_FALSE(mapped(relay_->proc()->pid(), "libmicrohttpd")) << "libmicrohttpd loaded without metrics.listen";
  EXPECT_FALSE(mapped(relay_->proc()->pid(), "libgnutls")) << "GnuTLS loaded without metrics.listen";
  ASSERT_NO_FATAL_FAILURE(expect_clean_stop());

  const std::uint16_t port = free_port();
  auto cfg = base_config();
  cfg.extra_top_level = metrics_json(port);
  start_relay(cfg);
  ASSERT_TRUE(relay_->wait_log({"metrics: serving"}, 15s)) << "the metrics server did not start";
  EXPECT_TRUE(mapped(relay_->proc()->pid(), "libmicrohttpd"));
  const auto r = http_request(port, "GET", "/healthz");
  ASSERT_TRUE(r.has_value()) << "no answer from /healthz";
  EXPECT_TRUE(r->status == 200 || r->status == 503) << r->status;
  ASSERT_NO_FATAL_FAILURE(expect_clean_stop());
}

}  // namespace
}  // namespace mqrelay::test
