// Loopback helpers. All functions are thread-safe.
#pragma once
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mqrelay::test {

// A TCP port on 127.0.0.1 that was free a moment ago (bind to port 0, read it back, close).
// Another process may take it before the caller binds it: callers retry on failure.
std::uint16_t free_port();

// True once a TCP connect to 127.0.0.1:port succeeds (the connection is closed at once),
// false when timeout passes first.
bool wait_port_open(std::uint16_t port, std::chrono::milliseconds timeout);

// True if a TCP connect to 127.0.0.1:port succeeds now.
bool port_open(std::uint16_t port);

// Sends `request` as is to 127.0.0.1:port (then half-closes when asked) and reads until the peer
// closes (at most 1 MiB, 5 s). nullopt when the connection fails or times out.
std::optional<std::string> tcp_exchange(std::uint16_t port, std::string_view request, bool half_close = false);

// An HTTP/1.1 request ("GET /path") by hand: the status code and the body, nullopt on failure.
struct http_reply {
  int status = 0;
  std::string body;
};
std::optional<http_reply> http_request(std::uint16_t port, std::string_view method, std::string_view path);

}  // namespace mqrelay::test
