// A real mosquitto 2.0 (/usr/sbin/mosquitto, or MQRELAY_MOSQUITTO) on 127.0.0.1 for tests.
//
// start() writes DIR/mosquitto.conf (one listener on 127.0.0.1:a free port; allow_anonymous;
// plain, or TLS with cafile/certfile/keyfile + require_certificate true; persistence off unless
// asked; max_queued_messages large; log to DIR/mosquitto.log) and runs mosquitto -c, returning once
// the port accepts TCP. When the test runs as root the conf says `user root`: otherwise mosquitto
// drops to user "mosquitto" before loading the 0600 root-owned keys of make_certs.sh and the
// private temp dir, and fails. restart() stops (SIGTERM, so a persistent broker writes its
// database) and starts again on the same port. Not thread-safe: one owner thread.
#pragma once
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace mqrelay::test {

class certs;

struct broker_options {
  bool tls = false;                // TLS listener requiring client certificates from ca.pem
  const certs* pki = nullptr;      // required with tls (defaults to shared_certs())
  bool persistence = false;        // keep sessions and queued messages across restart()
  std::string server_cert{}, server_key{};  // override pki's server.pem/.key (e.g. wronghost)
  std::string extra_conf{};        // appended to mosquitto.conf as is
};

class mosquitto_broker {
 public:
  explicit mosquitto_broker(broker_options opt = {});
  ~mosquitto_broker();
  mosquitto_broker(const mosquitto_broker&) = delete;
  mosquitto_broker& operator=(const mosquitto_broker&) = delete;

  // Picks a free port (retrying a few ports if taken) and starts. false + why on failure
  // (why includes the broker's log).
  bool start(std::string& why);
  // Starts and throws std::runtime_error on failure.
  void start();
  // Starts on a given port (e.g. one a relay was configured with before the broker existed).
  bool start_on(std::uint16_t port, std::string& why);
  void stop();  // SIGTERM, wait up to 10 s, else SIGKILL
  bool restart(std::string& why);  // same port
  void kill();  // SIGKILL, no clean shutdown
  bool running() { return proc_ && proc_->running(); }
  process* proc() { return proc_.get(); }

  std::uint16_t port() const noexcept { return port_; }
  bool tls() const noexcept { return opt_.tls; }
  // "mqtt://127.0.0.1:PORT" or "ssl://127.0.0.1:PORT"
  std::string uri() const;
  std::string log() const;
  const std::string& dir() const { return dir_.path(); }

 private:
  bool launch(std::string& why);
  void write_conf();

  broker_options opt_;
  temp_dir dir_;
  std::uint16_t port_ = 0;
  std::unique_ptr<process> proc_;
};

}  // namespace mqrelay::test
