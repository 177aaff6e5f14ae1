// Nothing lost and bounded memory (SPEC §4.5–4.7, §4.11): broker restarts, relay crash, a stalled
// target, a relay started before its brokers, clean stop.
#include <atomic>

#include "tests/integration/fixture.hpp"

#ifndef MQRELAY_SANITIZED
#define MQRELAY_SANITIZED 0
#endif

namespace mqrelay::test {
namespace {

constexpr const char* kEvent = "clients/dev1/hello/world/event";

// Publishes payloads "0".."n-1" (QoS 1) from a helper thread, paced so that a stream is still
// flowing while the test breaks something. Processes are started only from the main thread.
class publisher {
 public:
  publisher(mqtt_client& c, std::string topic, int n, std::size_t pad = 0)
      : thread_([&c, topic = std::move(topic), n, pad, this] {
          const std::string padding(pad, 'x');
          for (int i = 0; i < n && !stop_; ++i) {
            while (!c.publish(topic, std::to_string(i) + (pad ? " " + padding : std::string()), 1) && !stop_)
              std::this_thread::sleep_for(10ms);
            if (i % 20 == 19) std::this_thread::sleep_for(2ms);
          }
        }) {}
  ~publisher() {
    stop_ = true;
    join();
  }
  void join() {
    if (thread_.joinable()) thread_.join();
  }

 private:
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

std::size_t real_count(mqtt_client& c, const std::string& topic) { return real(c.messages(), topic).size(); }

TEST_F(RelayTest, CloudBrokerRestartedMidStreamNoQos1Loss) {
  start_brokers(/*local_persistence=*/false, /*cloud_persistence=*/true);
  start_relay(base_config());
  auto dev = device();
  auto app = cloud_app("cloud-app-persistent", 4, /*persistent=*/true);
  ASSERT_EQ(app->subscribe(kEvent, 1), 1);
  ASSERT_TRUE(probe(*dev, kEvent, *app)) << "nothing relayed LocalMqtt -> IotCore within 30 s";
  constexpr int n = 2000;
  publisher pub(*dev, kEvent, n);
  ASSERT_TRUE(app->wait_for([](auto& in) { return real(in, kEvent).size() >= 400; }, 30s))
      << "the stream did not start: " << real_count(*app, kEvent);
  std::string why;
  ASSERT_TRUE(cloud_->restart(why)) << why;
  pub.join();
  ASSERT_TRUE(dev->wait_all_published(30s));
  const auto missing = wait_numbers(*app, kEvent, n, 60s);
  EXPECT_TRUE(missing.empty()) << missing.size() << " of " << n << " QoS 1 messages lost across the cloud broker "
                               << "restart, e.g. " << first_few(missing);
  EXPECT_TRUE(relay_->running()) << "the relay died";
  expect_clean_stop();
}

TEST_F(RelayTest, RelayKilledMidStreamAndRestartedNoQos1Loss) {
  start_brokers();
  start_relay(base_config());  // fixed local client ID: the local broker keeps its session
  auto dev = device();
  auto app = cloud_app();
  ASSERT_EQ(app->subscribe(kEvent, 1), 1);
  ASSERT_TRUE(probe(*dev, kEvent, *app)) << "nothing relayed LocalMqtt -> IotCore within 30 s";
  constexpr int n = 2000;
  publisher pub(*dev, kEvent, n);
  ASSERT_TRUE(app->wait_for([](auto& in) { return real(in, kEvent).size() >= 400; }, 30s))
      << "the stream did not start: " << real_count(*app, kEvent);
  relay_->kill();
  std::this_thread::sleep_for(300ms);
  relay_->start();
  pub.join();
  ASSERT_TRUE(dev->wait_all_published(30s));
  const auto missing = wait_numbers(*app, kEvent, n, 60s);
  EXPECT_TRUE(missing.empty()) << missing.size() << " of " << n << " QoS 1 messages lost across a relay SIGKILL + "
                               << "restart (the local broker should redeliver to the persistent session), e.g. "
                               << first_few(missing);
  expect_clean_stop();
}

TEST_F(RelayTest, LocalBrokerRestartedRelayingResumes) {
  start_brokers(/*local_persistence=*/true, false);
  start_relay(base_config());
  auto dev = device("device-persistent", 4, /*persistent=*/true);
  auto app = cloud_app();
  ASSERT_NO_FATAL_FAILURE(subscribe_all_and_expect_routes_up(*dev, *app));
  std::string why;
  ASSERT_TRUE(local_->restart(why)) << why;
  ASSERT_TRUE(dev->wait_connected(15s));
  dev->clear();
  app->clear();
  expect_seed_routes_up(*dev, *app);
  ASSERT_TRUE(dev->publish(kEvent, "after local restart", 1));
  EXPECT_TRUE(app->wait_for([](auto& in) { return !real(in, kEvent).empty(); }, 10s));
  EXPECT_TRUE(relay_->running());
  expect_clean_stop();
}

TEST_F(RelayTest, StartedBeforeTheBrokers) {
  const auto local_port = free_port();
  auto cloud_port = free_port();
  while (cloud_port == local_port) cloud_port = free_port();
  relay_config cfg;
  cfg.local_uri = "mqtt://127.0.0.1:" + std::to_string(local_port);
  cfg.cloud_port = cloud_port;
  start_relay(cfg);
  std::this_thread::sleep_for(2s);
  ASSERT_TRUE(relay_->running()) << "the relay must wait for its brokers, not exit";
  local_ = std::make_unique<mosquitto_broker>();
  cloud_ = std::make_unique<mosquitto_broker>(broker_options{.tls = true});
  std::string why;
  ASSERT_TRUE(local_->start_on(local_port, why)) << why;
  ASSERT_TRUE(cloud_->start_on(cloud_port, why)) << why;
  auto dev = device();
  auto app = cloud_app();
  ASSERT_NO_FATAL_FAILURE(subscribe_all_and_expect_routes_up(*dev, *app));
  expect_clean_stop();
}

TEST_F(RelayTest, SigtermWhileRelayingExitsZero) {
  start_brokers();
  start_relay(base_config());
  auto dev = device();
  auto app = cloud_app();
  ASSERT_EQ(app->subscribe(kEvent, 1), 1);
  ASSERT_TRUE(probe(*dev, kEvent, *app));
  publisher pub(*dev, kEvent, 3000);
  ASSERT_TRUE(app->wait_for([](auto& in) { return real(in, kEvent).size() >= 100; }, 30s));
  expect_clean_stop();
}

TEST_F(RelayTest, SigintExitsZero) {
  start_brokers();
  start_relay(base_config());
  auto dev = device();
  auto app = cloud_app();
  ASSERT_EQ(app->subscribe(kEvent, 1), 1);
  ASSERT_TRUE(probe(*dev, kEvent, *app));
  ASSERT_TRUE(relay_->proc()->signal(SIGINT));
  const auto rc = relay_->proc()->wait_exit(10s);
  ASSERT_TRUE(rc.has_value()) << "no exit within 10 s of SIGINT";
  EXPECT_EQ(*rc, 0);
}

// SPEC §4.6: a stalled target makes the relay stop reading its sources instead of growing, and
// nothing is lost once the target comes back.
TEST_F(RelayTest, StalledTargetMemoryBoundedNothingLost) {
  constexpr std::uint64_t spooler = 8u << 20;
  start_brokers();
  auto cfg = base_config();
  cfg.spooler_bytes = spooler;
  cfg.log_level = "info";
  start_relay(cfg);
  auto dev = device();
  auto app = cloud_app();
  ASSERT_EQ(app->subscribe(kEvent, 1), 1);
  ASSERT_TRUE(probe(*dev, kEvent, *app));
  const long before_kib = relay_->proc()->memory().rss;

  ASSERT_TRUE(cloud_->proc()->signal(SIGSTOP));
  constexpr int n = 8000;  // 8000 x 4 KiB = 32 MiB, four times the spooler
  long peak_kib = 0;
  {
    publisher pub(*dev, kEvent, n, 4090);
    const auto until = std::chrono::steady_clock::now() + 12s;
    while (std::chrono::steady_clock::now() < until) {
      const auto m = relay_->proc()->memory();
      peak_kib = std::max({peak_kib, m.rss, m.peak});
      std::this_thread::sleep_for(100ms);
    }
    ASSERT_TRUE(relay_->running()) << "the relay died while its target was stalled";
    ASSERT_TRUE(cloud_->proc()->signal(SIGCONT));
    pub.join();
  }
  const auto m = relay_->proc()->memory();
  peak_kib = std::max({peak_kib, m.rss, m.peak});
  const long limit_kib = static_cast<long>(spooler / 1024) + 16 * 1024;
  if (!MQRELAY_SANITIZED) {
    EXPECT_LE(peak_kib, limit_kib) << "relay peak RSS " << peak_kib << " KiB (" << before_kib
                                   << " KiB before the flood) exceeds spooler.maxSizeInBytes + 16 MiB";
  }
  ASSERT_TRUE(dev->wait_all_published(60s));
  const auto missing = wait_numbers(*app, kEvent, n, 90s);
  EXPECT_TRUE(missing.empty()) << missing.size() << " of " << n << " messages lost after the stall, e.g. "
                               << first_few(missing);
  std::cerr << "[ info ] relay RSS before flood " << before_kib << " KiB, peak " << peak_kib << " KiB, limit "
            << limit_kib << " KiB\n";
  expect_clean_stop();
}

}  // namespace
}  // namespace mqrelay::test
