// SPEC §4.12: the IoT Core link is always verified (chain and host name). A wrong CA or a server
// certificate for another host is refused: the relay stays up, keeps retrying, relays nothing to
// that broker, and its log says why.
#include <algorithm>
#include <cctype>

#include "tests/integration/fixture.hpp"

namespace mqrelay::test {
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::size_t occurrences(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + 1)) ++n;
  return n;
}

bool mentions_any(const std::string& log, std::initializer_list<const char*> words) {
  const std::string l = lower(log);
  return std::any_of(words.begin(), words.end(), [&](const char* w) { return l.find(w) != std::string::npos; });
}

class TlsRefusal : public RelayTest {
 protected:
  // Runs the relay against the refusing cloud for a few seconds with the device publishing.
  void expect_refused_and_retrying(std::initializer_list<const char*> reason_words, bool skip_host_check = false) {
    auto dev = device();
    auto app = cloud_app("cloud-app", 4, false, skip_host_check);
    ASSERT_EQ(app->subscribe("#", 1), 1);
    for (int i = 0; i < 25; ++i) {
      dev->publish("clients/dev1/hello/world/event", "must not arrive " + std::to_string(i), 1);
      std::this_thread::sleep_for(200ms);
    }
    EXPECT_TRUE(relay_->running()) << "a refused TLS handshake must not stop the relay";
    EXPECT_EQ(app->count(), 0u) << "a message reached a broker whose certificate should have been refused";
    // mosquitto logs "New connection from" once the TCP connection is accepted; one is the app's.
    const auto attempts = occurrences(cloud_->log(), "New connection from 127.0.0.1") - 1;
    EXPECT_GE(attempts, 2u) << "the relay should keep retrying (1-2 s backoff configured), saw " << attempts
                            << " attempt(s) at the cloud broker in 5 s";
    EXPECT_TRUE(mentions_any(relay_->log(), reason_words)) << "the relay's log should say why the link failed";
    expect_clean_stop();
  }
};

TEST_F(TlsRefusal, WrongCaIsRefused) {
  start_brokers();
  auto cfg = base_config();
  cfg.root_ca = pki_->other_ca();
  start_relay(cfg);
  expect_refused_and_retrying({"certificate", "verif", "issuer", "signer", "ca "});
}

TEST_F(TlsRefusal, WrongHostNameIsRefused) {
  local_ = std::make_unique<mosquitto_broker>();
  local_->start();
  cloud_ = std::make_unique<mosquitto_broker>(
      broker_options{.tls = true, .server_cert = pki_->wronghost_cert(), .server_key = pki_->wronghost_key()});
  cloud_->start();
  start_relay(base_config());  // iotDataEndpoint "localhost", the certificate says wrong.example.com
  // (the test's own cloud app skips the host name check to watch that broker)
  expect_refused_and_retrying({"host", "name", "domain", "match", "verif"}, true);
}

}  // namespace
}  // namespace mqrelay::test
