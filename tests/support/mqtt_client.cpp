#include "tests/support/mqtt_client.hpp"

#include <mosquitto.h>
#include <mqtt_protocol.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <stdexcept>

namespace mqrelay::test {

namespace {
std::once_flag lib_once;
using clock = std::chrono::steady_clock;
}  // namespace

mqtt_client::mqtt_client(client_options opt) : opt_(std::move(opt)) {
  std::call_once(lib_once, [] { mosquitto_lib_init(); });
  mosq_ = mosquitto_new(opt_.client_id.empty() ? nullptr : opt_.client_id.c_str(),
                        opt_.client_id.empty() ? true : opt_.clean_session, this);
  if (mosq_ == nullptr) throw std::runtime_error("mosquitto_new failed");
  mosquitto_int_option(mosq_, MOSQ_OPT_PROTOCOL_VERSION, opt_.version == 5 ? MQTT_PROTOCOL_V5 : MQTT_PROTOCOL_V311);
  mosquitto_max_inflight_messages_set(mosq_, 100);
  mosquitto_reconnect_delay_set(mosq_, 1, 2, false);
  mosquitto_threaded_set(mosq_, true);  // our own loop thread (run_loop), see the header
  mosquitto_connect_v5_callback_set(mosq_, &on_connect);
  mosquitto_disconnect_v5_callback_set(mosq_, &on_disconnect);
  mosquitto_subscribe_v5_callback_set(mosq_, &on_subscribe);
  mosquitto_publish_v5_callback_set(mosq_, &on_publish);
  mosquitto_message_v5_callback_set(mosq_, &on_message);
  if (opt_.tls) {
    const int rc = mosquitto_tls_set(mosq_, opt_.ca.c_str(), nullptr, opt_.cert.empty() ? nullptr : opt_.cert.c_str(),
                                     opt_.key.empty() ? nullptr : opt_.key.c_str(), nullptr);
    if (rc != MOSQ_ERR_SUCCESS) throw std::runtime_error(std::string("mosquitto_tls_set: ") + mosquitto_strerror(rc));
    if (opt_.tls_insecure) mosquitto_tls_insecure_set(mosq_, true);
  }
}

mqtt_client::~mqtt_client() {
  // DISCONNECT makes the loop thread return (also while it waits to reconnect); joining it rather
  // than cancelling it (force) never leaves a libmosquitto mutex locked.
  disconnect();
  if (loop_.joinable()) loop_.join();
  mosquitto_destroy(mosq_);
}

bool mqtt_client::connect(std::uint16_t port, std::string& why, std::chrono::milliseconds timeout) {
  // A persistent MQTT 5 session needs a session expiry; libmosquitto keeps the CONNECT
  // properties for its own reconnects. The connect itself is blocking (TCP + TLS handshake +
  // CONNECT sent), the CONNACK arrives on the loop thread.
  if (loop_.joinable()) {  // a connect() after disconnect(): the old loop thread is ending
    bool again;
    {
      std::lock_guard lk(control_mu_);
      again = stopping_;
    }
    if (again) loop_.join();
  }
  {
    std::lock_guard lk(control_mu_);
    stopping_ = false;
  }
  mosquitto_property* props = nullptr;
  if (opt_.version == 5 && !opt_.clean_session)
    mosquitto_property_add_int32(&props, MQTT_PROP_SESSION_EXPIRY_INTERVAL, 0xFFFFFFFFu);
  int rc = mosquitto_connect_bind_v5(mosq_, "127.0.0.1", port, opt_.keepalive_s, nullptr, props);
  mosquitto_property_free_all(&props);
  if (rc != MOSQ_ERR_SUCCESS) {
    why = std::string("connect to 127.0.0.1:") + std::to_string(port) + ": " + mosquitto_strerror(rc);
    return false;
  }
  if (!loop_.joinable()) loop_ = std::thread([this] { run_loop(); });
  std::unique_lock lk(mu_);
  if (!cv_.wait_for(lk, timeout, [&] { return connected_ || last_connack_rc_ > 0; })) {
    why = "no CONNACK from 127.0.0.1:" + std::to_string(port) + " within " + std::to_string(timeout.count()) + " ms";
    return false;
  }
  if (!connected_) {
    why = "connection refused: " + std::string(mosquitto_connack_string(last_connack_rc_));
    return false;
  }
  return true;
}

void mqtt_client::connect(std::uint16_t port) {
  std::string why;
  if (!connect(port, why)) throw std::runtime_error("test client: " + why);
}

void mqtt_client::disconnect() {
  std::lock_guard lk(control_mu_);
  stopping_ = true;
  control_cv_.notify_all();
  if (mosq_ != nullptr) mosquitto_disconnect(mosq_);
}

void mqtt_client::run_loop() {
  for (;;) {
    // Reconnects by itself after ordinary connection losses; returns after DISCONNECT, and (the
    // reason for this thread) after TLS errors / errno == EPROTO, where it gives up for good.
    const int rc = mosquitto_loop_forever(mosq_, 1000, 1);
    const int err = errno;
    std::unique_lock lk(control_mu_);
    if (stopping_) return;
    std::fprintf(stderr, "[mqtt_client %s] libmosquitto's loop gave up (%s; errno %d %s): reconnecting\n",
                 opt_.client_id.c_str(), mosquitto_strerror(rc), err, std::strerror(err));
    for (;;) {
      if (control_cv_.wait_for(lk, std::chrono::seconds(1), [&] { return stopping_; })) return;
      if (mosquitto_reconnect(mosq_) == MOSQ_ERR_SUCCESS) break;
    }
  }
}

bool mqtt_client::connected() const {
  std::lock_guard lk(mu_);
  return connected_;
}

bool mqtt_client::wait_connected(std::chrono::milliseconds timeout) {
  std::unique_lock lk(mu_);
  return cv_.wait_for(lk, timeout, [&] { return connected_; });
}

int mqtt_client::connect_count() const {
  std::lock_guard lk(mu_);
  return connect_count_;
}

std::optional<int> mqtt_client::subscribe(const std::string& filter, int qos, std::chrono::milliseconds timeout) {
  int mid = 0;
  if (mosquitto_subscribe(mosq_, &mid, filter.c_str(), qos) != MOSQ_ERR_SUCCESS) return std::nullopt;
  std::unique_lock lk(mu_);
  std::optional<int> granted;
  cv_.wait_for(lk, timeout, [&] {
    for (auto& [m, g] : subacks_)
      if (m == mid) granted = g;
    return granted.has_value();
  });
  return granted;
}

bool mqtt_client::publish(const std::string& topic, const std::string& payload, int qos, bool retain,
                          const user_properties& props) {
  mosquitto_property* p = nullptr;
  for (auto& [k, v] : props) mosquitto_property_add_string_pair(&p, MQTT_PROP_USER_PROPERTY, k.c_str(), v.c_str());
  {
    std::lock_guard lk(mu_);
    ++published_;
  }
  const int rc = mosquitto_publish_v5(mosq_, nullptr, topic.c_str(), static_cast<int>(payload.size()),
                                      payload.data(), qos, retain, p);
  mosquitto_property_free_all(&p);
  if (rc != MOSQ_ERR_SUCCESS) {
    std::lock_guard lk(mu_);
    --published_;
    return false;
  }
  return true;
}

bool mqtt_client::wait_all_published(std::chrono::milliseconds timeout) {
  std::unique_lock lk(mu_);
  return cv_.wait_for(lk, timeout, [&] { return completed_ >= published_; });
}

std::vector<received_message> mqtt_client::messages() const {
  std::lock_guard lk(mu_);
  return inbox_;
}

std::size_t mqtt_client::count() const {
  std::lock_guard lk(mu_);
  return inbox_.size();
}

void mqtt_client::clear() {
  std::lock_guard lk(mu_);
  inbox_.clear();
}

bool mqtt_client::wait_for(std::size_t n, std::chrono::milliseconds timeout) {
  std::unique_lock lk(mu_);
  return cv_.wait_for(lk, timeout, [&] { return inbox_.size() >= n; });
}

bool mqtt_client::wait_for(const std::function<bool(const std::vector<received_message>&)>& pred,
                           std::chrono::milliseconds timeout) {
  std::unique_lock lk(mu_);
  return cv_.wait_for(lk, timeout, [&] { return pred(inbox_); });
}

void mqtt_client::on_connect(mosquitto*, void* self, int rc, int, const mqtt5__property*) {
  auto* c = static_cast<mqtt_client*>(self);
  std::lock_guard lk(c->mu_);
  c->last_connack_rc_ = rc;
  if (rc == 0) {
    c->connected_ = true;
    ++c->connect_count_;
  }
  c->cv_.notify_all();
}

void mqtt_client::on_disconnect(mosquitto*, void* self, int, const mqtt5__property*) {
  auto* c = static_cast<mqtt_client*>(self);
  std::lock_guard lk(c->mu_);
  c->connected_ = false;
  c->cv_.notify_all();
}

void mqtt_client::on_subscribe(mosquitto*, void* self, int mid, int count, const int* granted,
                               const mqtt5__property*) {
  auto* c = static_cast<mqtt_client*>(self);
  std::lock_guard lk(c->mu_);
  c->subacks_.emplace_back(mid, count > 0 ? granted[0] : 0x80);
  c->cv_.notify_all();
}

void mqtt_client::on_publish(mosquitto*, void* self, int, int, const mqtt5__property*) {
  auto* c = static_cast<mqtt_client*>(self);
  std::lock_guard lk(c->mu_);
  ++c->completed_;
  c->cv_.notify_all();
}

void mqtt_client::on_message(mosquitto*, void* self, const mosquitto_message* m, const mqtt5__property* props) {
  auto* c = static_cast<mqtt_client*>(self);
  received_message r;
  r.topic = m->topic;
  if (m->payload != nullptr) r.payload.assign(static_cast<const char*>(m->payload), static_cast<std::size_t>(m->payloadlen));
  r.qos = m->qos;
  r.retain = m->retain;
  for (const mosquitto_property* p = props; p != nullptr; p = mosquitto_property_next(p)) {
    if (mosquitto_property_identifier(p) != MQTT_PROP_USER_PROPERTY) continue;
    char* k = nullptr;
    char* v = nullptr;
    if (mosquitto_property_read_string_pair(p, MQTT_PROP_USER_PROPERTY, &k, &v, false) != nullptr) {
      r.props.emplace_back(k ? k : "", v ? v : "");
    }
    std::free(k);
    std::free(v);
  }
  std::lock_guard lk(c->mu_);
  c->inbox_.push_back(std::move(r));
  c->cv_.notify_all();
}

}  // namespace mqrelay::test
