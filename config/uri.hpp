// brokerUri parsing (SPEC §3.1): scheme://host[:port][/]
//   ssl:// (also mqtts://, tls://)  → TLS, default port 8883
//   mqtt:// tcp://                  → plain TCP, default port 1883
// Schemes are case-insensitive; host is a name, an IPv4 address or a bracketed IPv6 literal.
// User info, paths other than "/", queries and fragments are refused: they would be silently
// meaningless to an MQTT connection.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace mqrelay::config {

struct broker_uri {
  bool ok = false;
  std::string error;  // when !ok: what is wrong, e.g. "unsupported scheme \"http\" ..."
  bool tls = true;
  std::string host;  // IPv6 without brackets
  std::uint16_t port = 0;
};

// Pure function; never throws (bad_alloc aside).
broker_uri parse_broker_uri(std::string_view uri);

}  // namespace mqrelay::config
