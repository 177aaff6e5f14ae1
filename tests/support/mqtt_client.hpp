// A test MQTT client (the "device" or the "cloud app") over libmosquitto's threaded loop.
//
// Connects plain or TLS (server verified against ca, client certificate) with MQTT 3.1.1 or 5,
// subscribes, publishes (with MQTT 5 user properties), and collects every received message in a
// thread-safe inbox. The client reconnects by itself (1–2 s delay) after a broker restart; a
// persistent session (clean_session = false) then keeps subscriptions and queued QoS 1 messages.
// The network loop is our own thread around mosquitto_loop_forever(), not mosquitto_loop_start():
// libmosquitto 2.0's loop_forever() RETURNS (ending a loop_start() thread for good, so the client
// silently never reconnects) when the connection ends with a TLS error or errno == EPROTO, which
// is what a TLS broker's restart (close_notify / unexpected EOF) often looks like. Our thread
// reconnects after that too, until disconnect() or the destructor.
// Every waiting call is bounded by its timeout. All members are thread-safe; callbacks run on
// libmosquitto's thread and only touch the inbox under its mutex.
#pragma once
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

struct mosquitto;
struct mosquitto_message;
struct mqtt5__property;

namespace mqrelay::test {

using user_properties = std::vector<std::pair<std::string, std::string>>;

struct received_message {
  std::string topic;
  std::string payload;
  int qos = 0;
  bool retain = false;
  user_properties props;  // MQTT 5 only
};

struct client_options {
  std::string client_id{};        // "" = random (libmosquitto chooses)
  bool clean_session = true;      // false: persistent session (MQTT 5: session expiry = max)
  int version = 4;                // 4 = MQTT 3.1.1, 5 = MQTT 5
  bool tls = false;
  std::string ca{}, cert{}, key{};  // TLS files (cert/key may be empty for no client certificate)
  int keepalive_s = 30;
  bool tls_insecure = false;      // skip the server host name check (chain still verified)
};

class mqtt_client {
 public:
  explicit mqtt_client(client_options opt);
  ~mqtt_client();
  mqtt_client(const mqtt_client&) = delete;
  mqtt_client& operator=(const mqtt_client&) = delete;

  // Connects to 127.0.0.1:port and waits for a successful CONNACK. false + why on failure.
  bool connect(std::uint16_t port, std::string& why, std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // Throws std::runtime_error on failure.
  void connect(std::uint16_t port);
  void disconnect();
  bool connected() const;
  // Waits until connected (e.g. after a broker restart).
  bool wait_connected(std::chrono::milliseconds timeout);
  // Number of successful CONNACKs so far (reconnects included).
  int connect_count() const;

  // Subscribes and waits for the SUBACK; returns the granted QoS (0x80 = refused), nullopt on timeout.
  std::optional<int> subscribe(const std::string& filter, int qos,
                               std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // Queues a publish; true when libmosquitto accepted it (it delivers asynchronously).
  bool publish(const std::string& topic, const std::string& payload, int qos = 1, bool retain = false,
               const user_properties& props = {});
  // Waits until every publish so far has completed (QoS 0 sent, QoS 1 PUBACKed).
  bool wait_all_published(std::chrono::milliseconds timeout);

  // Inbox.
  std::vector<received_message> messages() const;
  std::size_t count() const;
  void clear();
  bool wait_for(std::size_t n, std::chrono::milliseconds timeout);
  // Waits until pred(inbox) holds; pred runs under the inbox lock, keep it short.
  bool wait_for(const std::function<bool(const std::vector<received_message>&)>& pred,
                std::chrono::milliseconds timeout);

 private:
  static void on_connect(mosquitto*, void*, int, int, const mqtt5__property*);
  static void on_disconnect(mosquitto*, void*, int, const mqtt5__property*);
  static void on_subscribe(mosquitto*, void*, int, int, const int*, const mqtt5__property*);
  static void on_publish(mosquitto*, void*, int, int, const mqtt5__property*);
  static void on_message(mosquitto*, void*, const mosquitto_message*, const mqtt5__property*);
  void run_loop();  // the network thread

  client_options opt_;
  mosquitto* mosq_ = nullptr;
  std::thread loop_;
  // control_mu_ guards stopping_ and orders our mosquitto_reconnect() against disconnect() (a
  // reconnect must not undo a DISCONNECT). Never held while taking mu_ or in a callback.
  std::mutex control_mu_;
  std::condition_variable control_cv_;
  bool stopping_ = false;  // disconnect() called: the loop thread ends instead of reconnecting
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool connected_ = false;
  int connect_count_ = 0;
  int last_connack_rc_ = -1;
  std::vector<std::pair<int, int>> subacks_;  // (mid, granted qos)
  std::uint64_t published_ = 0, completed_ = 0;
  std::vector<received_message> inbox_;
};

}  // namespace mqrelay::test
