// Loopback helpers. All functions are thread-safe.
#pragma once
#include <chrono>
#include <cstdint>

namespace mqrelay::test {

// A TCP port on 127.0.0.1 that was free a moment ago (bind to port 0, read it back, close).
// Another process may take it before the caller binds it: callers retry on failure.
std::uint16_t free_port();

// True once a TCP connect to 127.0.0.1:port succeeds (the connection is closed at once),
// false when timeout passes first.
bool wait_port_open(std::uint16_t port, std::chrono::milliseconds timeout);

// True if a TCP connect to 127.0.0.1:port succeeds now.
bool port_open(std::uint16_t port);

}  // namespace mqrelay::test
