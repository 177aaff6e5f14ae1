#include "config/uri.hpp"

namespace mqrelay::config {
namespace {

broker_uri fail(std::string msg) {
  broker_uri u;
  u.error = std::move(msg);
  return u;
}

std::string lower(std::string_view s) {
  std::string r(s);
  for (char& c : r)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return r;
}

bool host_char(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
         c == '_';
}

}  // namespace

broker_uri parse_broker_uri(std::string_view uri) {
  const auto sep = uri.find("://");
  if (sep == std::string_view::npos || sep == 0)
    return fail("not a URI: expected scheme://host[:port], e.g. mqtt://localhost:1883 or ssl://localhost:8883");
  const std::string scheme = lower(uri.substr(0, sep));
  broker_uri u;
  if (scheme == "ssl" || scheme == "mqtts" || scheme == "tls") {
    u.tls = true;
    u.port = 8883;
  } else if (scheme == "mqtt" || scheme == "tcp") {
    u.tls = false;
    u.port = 1883;
  } else {
    return fail("unsupported scheme \"" + std::string(uri.substr(0, sep)) + "\": use ssl:// (TLS), mqtt:// or tcp:// (plain)");
  }
  std::string_view rest = uri.substr(sep + 3);
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);  // "mqtt://host:1883/" is common
  if (rest.find_first_of("/?#") != std::string_view::npos)
    return fail("a broker URI has no path, query or fragment");
  if (rest.find('@') != std::string_view::npos)
    return fail("credentials do not go in the URI: use localBroker.username and localBroker.password");

  std::string_view host, port;
  if (!rest.empty() && rest.front() == '[') {
    const auto close = rest.find(']');
    if (close == std::string_view::npos) return fail("unterminated '[' in an IPv6 address");
    host = rest.substr(1, close - 1);
    std::string_view after = rest.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return fail("unexpected text after the IPv6 address");
      port = after.substr(1);
      if (port.empty()) return fail("empty port after ':'");
    }
    if (host.empty()) return fail("empty IPv6 address");
    for (char c : host)
      if (!(host_char(c) || c == ':' || c == '%')) return fail("invalid character in the IPv6 address");
  } else {
    const auto colon = rest.find(':');
    host = rest.substr(0, colon);
    if (colon != std::string_view::npos) {
      port = rest.substr(colon + 1);
      if (port.empty()) return fail("empty port after ':'");
    }
    if (host.empty()) return fail("the URI has no host");
    for (char c : host)
      if (!host_char(c)) return fail("invalid character in the host name");
  }
  if (!port.empty()) {
    std::uint32_t p = 0;
    for (char c : port) {
      if (c < '0' || c > '9') return fail("the port must be a number");
      p = p * 10 + static_cast<std::uint32_t>(c - '0');
      if (p > 65535) return fail("the port must be between 1 and 65535");
    }
    if (p == 0) return fail("the port must be between 1 and 65535");
    u.port = static_cast<std::uint16_t>(p);
  }
  u.host = std::string(host);
  u.ok = true;
  return u;
}

}  // namespace mqrelay::config
