#include "tests/support/mosquitto_broker.hpp"

#include <unistd.h>

#include <csignal>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "tests/support/certs.hpp"
#include "tests/support/net.hpp"

#ifndef MQRELAY_MOSQUITTO
#define MQRELAY_MOSQUITTO "/usr/sbin/mosquitto"
#endif

namespace mqrelay::test {

using namespace std::chrono_literals;

mosquitto_broker::mosquitto_broker(broker_options opt) : opt_(std::move(opt)) {
  if (opt_.tls && opt_.pki == nullptr) opt_.pki = &shared_certs();
}

mosquitto_broker::~mosquitto_broker() {
  if (proc_) proc_->kill();
}

std::string mosquitto_broker::uri() const {
  return std::string(opt_.tls ? "ssl" : "mqtt") + "://127.0.0.1:" + std::to_string(port_);
}

std::string mosquitto_broker::log() const { return read_text(dir_.file("mosquitto.log")); }

void mosquitto_broker::write_conf() {
  std::ostringstream c;
  if (::geteuid() == 0) c << "user root\n";
  c << "per_listener_settings false\n"
    << "allow_anonymous true\n"
    << "listener " << port_ << " 127.0.0.1\n";
  if (opt_.tls) {
    c << "cafile " << opt_.pki->ca() << "\n"
      << "certfile " << (opt_.server_cert.empty() ? opt_.pki->server_cert() : opt_.server_cert) << "\n"
      << "keyfile " << (opt_.server_key.empty() ? opt_.pki->server_key() : opt_.server_key) << "\n"
      << "require_certificate true\n";
  }
  if (opt_.persistence) {
    c << "persistence true\n"
      << "persistence_location " << dir_.path() << "/\n"
      << "autosave_interval 1\n";
  } else {
    c << "persistence false\n";
  }
  c << "max_queued_messages 1000000\n"
    << "max_inflight_messages 100\n"
    << "set_tcp_nodelay true\n"
    << "log_dest file " << dir_.file("mosquitto.log") << "\n"
    << "log_type error\nlog_type warning\nlog_type notice\nlog_type information\n"
    << "connection_messages true\n"
    << "log_timestamp_format %H:%M:%S\n"
    << opt_.extra_conf << "\n";
  write_text(dir_.file("mosquitto.conf"), c.str());
}

bool mosquitto_broker::launch(std::string& why) {
  write_conf();
  proc_ = std::make_unique<process>(std::vector<std::string>{MQRELAY_MOSQUITTO, "-c", dir_.file("mosquitto.conf")},
                                    dir_.file("mosquitto.out"));
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < deadline) {
    if (!proc_->running()) {
      why = "mosquitto exited with " + std::to_string(proc_->exit_code().value_or(-1)) + "; output:\n" +
            proc_->log() + "\nlog:\n" + log();
      return false;
    }
    if (port_open(port_)) return true;
    std::this_thread::sleep_for(20ms);
  }
  why = "mosquitto did not accept on port " + std::to_string(port_) + " within 10 s; log:\n" + log();
  proc_->kill();
  return false;
}

bool mosquitto_broker::start(std::string& why) {
  for (int attempt = 0; attempt < 5; ++attempt) {
    port_ = free_port();
    if (launch(why)) return true;
  }
  return false;
}

bool mosquitto_broker::start_on(std::uint16_t port, std::string& why) {
  port_ = port;
  return launch(why);
}

void mosquitto_broker::start() {
  std::string why;
  if (!start(why)) throw std::runtime_error("mosquitto did not start: " + why);
}

void mosquitto_broker::stop() {
  if (!proc_) return;
  proc_->signal(SIGCONT);
  proc_->signal(SIGTERM);
  if (!proc_->wait_exit(10s)) proc_->kill();
}

void mosquitto_broker::kill() {
  if (proc_) proc_->kill();
}

bool mosquitto_broker::restart(std::string& why) {
  stop();
  // The port was ours a moment ago; mosquitto sets SO_REUSEADDR, but retry a little in case.
  for (int attempt = 0; attempt < 20; ++attempt) {
    if (launch(why)) return true;
    std::this_thread::sleep_for(250ms);
  }
  return false;
}

}  // namespace mqrelay::test
