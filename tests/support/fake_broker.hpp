// A scripted raw-TCP MQTT "broker" on 127.0.0.1 for what mosquitto never does: malformed packets,
// a connection cut mid-packet, PUBACKs that never come, refused CONNACKs (SPEC §4.7, §4.8).
//
// One thread accepts connections one after another and runs the test's script on each
// (fake_connection::index() counts them from 0). When the script returns, the connection keeps
// being served with defaults (SUBACK granting QoS 1, PINGRESP, PUBACK for QoS 1 PUBLISH) until
// the peer closes it or the broker stops, unless the script closed it. Every packet the relay sends
// is recorded (received()). The packet bytes are hand-coded here (MQTT 3.1.1 §2–3, MQTT 5 §3) so
// the tests do not depend on the codec under test. fake_broker's public members are thread-safe;
// a fake_connection is used only by the broker thread (inside the script).
#pragma once
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace mqrelay::test {

namespace mqtt_type {
inline constexpr std::uint8_t connect = 1, connack = 2, publish = 3, puback = 4, subscribe = 8, suback = 9,
                              unsubscribe = 10, unsuback = 11, pingreq = 12, pingresp = 13, disconnect = 14;
}

struct fake_packet {
  int conn = 0;           // connection index
  std::uint8_t type = 0;  // control packet type (high nibble of byte 1)
  std::uint8_t flags = 0; // low nibble (PUBLISH: DUP 8, QoS 6, RETAIN 1)
  std::string body;       // variable header + payload
  bool v5 = false;        // the connection's CONNECT said protocol level 5

  // PUBLISH accessors (empty / 0 when not a well-formed PUBLISH).
  std::string topic() const;
  std::uint16_t packet_id() const;  // QoS > 0 only
  std::string payload() const;
  int qos() const { return (flags >> 1) & 3; }
  bool dup() const { return (flags & 8) != 0; }
  // PUBACK: the packet identifier it acknowledges (-1 when not a PUBACK).
  int puback_id() const;
  // CONNECT: the client identifier; SUBSCRIBE: the topic filters.
  std::string client_id() const;
  std::vector<std::string> filters() const;
};

// Hand-coded packets.
namespace fake_wire {
std::string varint(std::uint32_t n);
std::string utf8(std::string_view s);  // 2-byte length + bytes
std::string connack(std::uint8_t rc, bool session_present, bool v5);
std::string suback(std::uint16_t pid, std::size_t n_filters, bool v5, std::uint8_t code = 1);
std::string publish(std::string_view topic, std::string_view payload, int qos, std::uint16_t pid, bool v5,
                    bool dup = false, bool retain = false);
std::string puback(std::uint16_t pid);
std::string pingresp();
}  // namespace fake_wire

class fake_connection {
 public:
  fake_connection(int fd, int index, const std::atomic<bool>& stop, std::function<void(const fake_packet&)> record)
      : fd_(fd), index_(index), stop_(stop), record_(std::move(record)) {}
  int index() const { return index_; }
  bool v5() const { return v5_; }
  bool closed() const { return fd_ < 0; }

  // Reads one whole packet (recorded); nullopt on timeout, close, error or broker stop.
  std::optional<fake_packet> read(std::chrono::milliseconds timeout);
  bool send(std::string_view bytes);
  void close();
  // Reads until a CONNECT (sets v5()).
  std::optional<fake_packet> expect_connect(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // Serves with the defaults (SUBACK, PINGRESP, and PUBACK when puback) until pred(packet) holds
  // for a packet read, which is returned; nullopt on timeout/close.
  std::optional<fake_packet> serve_until(const std::function<bool(const fake_packet&)>& pred,
                                         std::chrono::milliseconds timeout, bool puback = true);
  // serve_until the first SUBSCRIBE has been answered.
  std::optional<fake_packet> serve_until_subscribed(std::chrono::milliseconds timeout = std::chrono::seconds(10));

 private:
  bool read_exact(char* p, std::size_t n, std::chrono::steady_clock::time_point deadline);
  void answer(const fake_packet& p, bool puback);

  int fd_;
  int index_;
  bool v5_ = false;
  const std::atomic<bool>& stop_;
  std::function<void(const fake_packet&)> record_;
};

class fake_broker {
 public:
  using script = std::function<void(fake_connection&)>;
  explicit fake_broker(script s);  // listens on a free port at once; throws on failure
  ~fake_broker();                  // stops and joins
  fake_broker(const fake_broker&) = delete;
  fake_broker& operator=(const fake_broker&) = delete;

  std::uint16_t port() const { return port_; }
  std::string uri() const { return "mqtt://127.0.0.1:" + std::to_string(port_); }
  int connections() const;
  std::vector<fake_packet> received() const;
  bool wait_for(const std::function<bool(const std::vector<fake_packet>&)>& pred, std::chrono::milliseconds timeout);
  void stop();

 private:
  void run();

  script script_;
  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  mutable std::mutex mu_;
  std::condition_variable cv_;
  int connections_ = 0;
  std::vector<fake_packet> received_;
  std::thread thread_;
};

}  // namespace mqrelay::test
