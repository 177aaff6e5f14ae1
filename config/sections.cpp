// The keys of SPEC §3.1 and §3.2: type, range, default, and the rules that tie keys together.
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <unordered_map>

#include "codec/topic.hpp"
#include "config/internal.hpp"
#include "config/uri.hpp"

namespace mqrelay::config::detail {
namespace {

constexpr std::uint64_t u32_max = 4294967295u;
// Seconds the engine multiplies by 1000 into a 32-bit millisecond count.
constexpr std::uint64_t max_seconds = u32_max / 1000;

std::string lower(std::string_view s) {
  std::string r(s);
  for (char& c : r)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return r;
}

bool ends_with_ci(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && lower(s.substr(s.size() - suffix.size())) == suffix;
}

// "mqtt3" | "mqtt5", any case (SPEC §3.1 mqtt.version, §3.2 iotCore.version).
void read_version(const object& o, std::string_view key, codec::protocol_version& out) {
  std::string v;
  if (!o.str(key, v)) return;
  const std::string l = lower(v);
  if (l == "mqtt3") out = codec::protocol_version::v311;
  else if (l == "mqtt5") out = codec::protocol_version::v5;
  else o.diag().error(o.child(key), "must be \"mqtt3\" or \"mqtt5\", not " + quote_value(v));
}

// LocalMqtt | IotCore | Pubsub, exact spelling (as Greengrass's enum).
bool read_endpoint(const object& o, std::string_view key, endpoint& out) {
  std::string v;
  if (!o.str(key, v)) return false;
  if (v == "LocalMqtt") out = endpoint::local_mqtt;
  else if (v == "IotCore") out = endpoint::iot_core;
  else if (v == "Pubsub") {
    o.diag().error(o.child(key),
                   "Pubsub (Greengrass local publish/subscribe) is not supported yet: use LocalMqtt or IotCore");
    return false;
  } else {
    std::string msg = "must be LocalMqtt or IotCore, not " + quote_value(v);
    auto guess = closest(v, {"LocalMqtt", "IotCore"});
    if (!guess.empty()) msg += " (did you mean " + std::string(guess) + "?)";
    o.diag().error(o.child(key), msg);
    return false;
  }
  return true;
}

void read_mappings(const object& root, const loader& ld) {
  auto maps = root.sub("mqttTopicMapping", {});
  if (!maps) return;
  for (const auto& mem : maps->members()) {
    const std::string ptr = maps->child(mem.key);
    if (mem.key.empty()) {
      ld.d->error(ptr, "a mapping name must not be empty");
      continue;
    }
    auto o = object::open(mem.value, ptr, *ld.d, {"topic", "source", "target", "targetTopicPrefix"});
    if (!o) continue;
    mapping m;
    m.name = std::string(mem.key);
    bool ok = true;
    for (const char* k : {"topic", "source", "target"})
      if (!o->has(k)) {
        ld.d->error(ptr, std::string("missing required key \"") + k + "\"");
        ok = false;
      }
    if (o->str("topic", m.topic)) {
      if (auto e = codec::validate_topic_filter(m.topic); e != codec::topic_error::ok) {
        ld.d->error(o->child("topic"), "invalid topic filter " + quote_value(m.topic) + ": " + codec::describe(e));
        ok = false;
      }
    } else {
      ok = false;
    }
    ok = read_endpoint(*o, "source", m.source) && ok;
    ok = read_endpoint(*o, "target", m.target) && ok;
    if (o->str("targetTopicPrefix", m.target_topic_prefix)) {
      const auto& p = m.target_topic_prefix;
      if (auto e = codec::validate_mqtt_utf8(p); e != codec::topic_error::ok) {
        ld.d->error(o->child("targetTopicPrefix"), std::string("invalid prefix: ") + codec::describe(e));
        ok = false;
      } else if (p.find_first_of("+#") != std::string::npos) {
        ld.d->error(o->child("targetTopicPrefix"), "must not contain '+' or '#': it is part of a topic name");
        ok = false;
      }
    } else if (o->has("targetTopicPrefix")) {
      ok = false;
    }
    if (ok && m.source == m.target && m.target_topic_prefix.empty())
      ld.d->error(o->child("target"), std::string("equal to source (") + endpoint_name(m.source) +
                                          ") without a targetTopicPrefix: every message would come straight back");
    if (ok && m.source == endpoint::iot_core) {
      // IoT Core refuses such subscriptions (PEERS.md quotas): say so now rather than at SUBACK.
      auto f = codec::split_shared(m.topic).filter;
      std::size_t slashes = 0;
      for (char c : f) slashes += c == '/' ? 1 : 0;
      if (slashes > 7 || f.size() > 256)
        ld.d->warn(o->child("topic"), "IoT Core refuses filters over 256 bytes or with more than 7 '/'");
    }
    if (ok) ld.cfg->mappings.push_back(std::move(m));
  }
  if (maps->members().empty()) ld.d->warn(maps->pointer(), "no mappings: nothing will be relayed");
}

bool speaks_mqtt5(const config& c, endpoint e) {
  if (e == endpoint::local_mqtt) return c.local.version == codec::protocol_version::v5;
  if (e == endpoint::iot_core) return c.iot_core.version == codec::protocol_version::v5;
  return false;
}

void read_route_options(const object& root, const loader& ld) {
  auto opts = root.sub("mqtt5RouteOptions", {});
  if (!opts) return;
  std::unordered_map<std::string_view, mapping*> by_name;
  for (auto& m : ld.cfg->mappings) by_name.emplace(m.name, &m);
  for (const auto& mem : opts->members()) {
    const std::string ptr = opts->child(mem.key);
    auto o = object::open(mem.value, ptr, *ld.d, {"noLocal", "retainAsPublished"});
    if (!o) continue;
    bool no_local = false, rap = false;
    o->boolean("noLocal", no_local);
    o->boolean("retainAsPublished", rap);
    auto found = by_name.find(mem.key);
    mapping* target = found == by_name.end() ? nullptr : found->second;
    if (!target) {
      ld.d->warn(ptr, "no mapping named " + quote_value(mem.key) + " in mqttTopicMapping: ignored");
      continue;
    }
    target->no_local = no_local;
    target->retain_as_published = rap;
    if ((no_local || rap) && !speaks_mqtt5(*ld.cfg, target->source))
      ld.d->warn(ptr, std::string("has no effect: the mapping's source ") + endpoint_name(target->source) +
                          " is not connected with MQTT 5 (" +
                          (target->source == endpoint::local_mqtt ? "mqtt.version" : "iotCore.version") + ")");
  }
}

void read_broker(const object& root, const loader& ld) {
  auto& l = ld.cfg->local;
  std::string uri = "ssl://localhost:8883", ptr;
  l.uri = uri;
  if (root.has("brokerUri")) {
    ptr = root.child("brokerUri");
    if (!root.str("brokerUri", uri)) return;
    if (root.has("brokerServerUri"))
      ld.d->warn(root.child("brokerServerUri"), "ignored: brokerUri is set (brokerServerUri is its deprecated alias)");
  } else if (root.has("brokerServerUri")) {
    ptr = root.child("brokerServerUri");
    if (!root.str("brokerServerUri", uri)) return;
    ld.d->warn(ptr, "deprecated: use brokerUri");
  }
  auto u = parse_broker_uri(uri);
  if (!u.ok) {
    ld.d->error(ptr, "invalid broker URI " + quote_value(uri) + ": " + u.error);
    l.tls = false;  // the configuration is rejected anyway: no second message about a CA for it
    return;
  }
  l.uri = uri;
  l.tls = u.tls;
  l.host = u.host;
  l.port = u.port;
}

void read_mqtt(const object& root, const loader& ld) {
  auto& l = ld.cfg->local;
  auto o = root.sub("mqtt", {"version", "ackTimeoutSeconds", "connAckTimeoutMs", "pingTimeoutMs",
                             "keepAliveTimeoutSeconds", "minReconnectDelayMs", "maxReconnectDelayMs", "receiveMaximum",
                             "maximumPacketSize", "sessionExpiryInterval"});
  if (!o) return;
  read_version(*o, "version", l.version);
  o->uint("ackTimeoutSeconds", 1, max_seconds, l.ack_timeout_s);
  o->uint("connAckTimeoutMs", 1, u32_max, l.conn_ack_timeout_ms);
  const bool ping = o->uint("pingTimeoutMs", 1, u32_max, l.ping_timeout_ms);
  const bool ka = o->uint("keepAliveTimeoutSeconds", 0, 65535, l.keep_alive_s);  // MQTT keep alive is 16 bits
  if ((ping || ka) && l.keep_alive_s != 0 && std::uint64_t{l.ping_timeout_ms} >= std::uint64_t{l.keep_alive_s} * 1000)
    ld.d->error(o->child(ping ? "pingTimeoutMs" : "keepAliveTimeoutSeconds"),
                "pingTimeoutMs (" + std::to_string(l.ping_timeout_ms) + ") must be below keepAliveTimeoutSeconds x 1000 (" +
                    std::to_string(std::uint64_t{l.keep_alive_s} * 1000) + ")");
  const bool mn = o->uint("minReconnectDelayMs", 0, u32_max, l.min_reconnect_delay_ms);
  const bool mx = o->uint("maxReconnectDelayMs", 0, u32_max, l.max_reconnect_delay_ms);
  if ((mn || mx) && l.max_reconnect_delay_ms < l.min_reconnect_delay_ms)
    ld.d->error(o->child(mx ? "maxReconnectDelayMs" : "minReconnectDelayMs"),
                "maxReconnectDelayMs (" + std::to_string(l.max_reconnect_delay_ms) + ") must not be below minReconnectDelayMs (" +
                    std::to_string(l.min_reconnect_delay_ms) + ")");
  o->uint("receiveMaximum", 1, 65535, l.receive_maximum);
  o->uint("maximumPacketSize", 1, u32_max, l.maximum_packet_size);
  o->uint("sessionExpiryInterval", 0, u32_max, l.session_expiry);
}

bool host_name_ok(std::string_view h) {
  if (h.empty() || h.size() > 253) return false;
  for (char c : h)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_'))
      return false;
  return true;
}

void read_iot_core(const object& root, const loader& ld) {
  auto& ic = ld.cfg->iot_core;
  const bool used = [&] {
    for (const auto& m : ld.cfg->mappings)
      if (m.source == endpoint::iot_core || m.target == endpoint::iot_core) return true;
    return false;
  }();
  if (!root.has("iotCore")) {
    if (used) ld.missing(root.child("iotCore"), "missing: a mapping uses IotCore, so the iotCore section (iotDataEndpoint, thingName, certificates) is required");
    return;
  }
  auto o = root.sub("iotCore", {"iotDataEndpoint", "port", "thingName", "certificateFilePath", "privateKeyPath", "rootCaPath",
                                "version", "keepAliveTimeoutMs", "minimumReconnectDelaySeconds", "maximumReconnectDelaySeconds",
                                "maxInFlightPublishes", "maxMessageSizeInBytes", "connections", "maxPublishesPerSecond",
                                "maxBytesPerSecond"});
  if (!o) return;
  ic.present = true;
  // An iotCore section no mapping uses is not needed to run: what it lacks is only a warning.
  auto need = [&](const std::string& ptr, const std::string& msg) {
    if (used) ld.missing(ptr, msg);
    else ld.d->warn(ptr, msg + " (the section is unused: no mapping names IotCore)");
  };
  for (const char* k : {"iotDataEndpoint", "thingName", "certificateFilePath", "privateKeyPath", "rootCaPath"})
    if (!o->has(k)) need(o->child(k), "missing required key");
  if (o->str("iotDataEndpoint", ic.endpoint)) {
    if (ic.endpoint.find("://") != std::string::npos || ic.endpoint.find(':') != std::string::npos ||
        !host_name_ok(ic.endpoint))
      ld.d->error(o->child("iotDataEndpoint"), "must be a host name such as abc123-ats.iot.eu-west-1.amazonaws.com "
                                               "(no scheme, no port: see iotCore.port), not " + quote_value(ic.endpoint));
  }
  const bool aws = ends_with_ci(ic.endpoint, ".amazonaws.com") || ends_with_ci(ic.endpoint, ".amazonaws.com.cn");
  o->uint("port", 1, 65535, ic.port);
  o->uint("connections", 1, 100, ic.connections);
  if (o->str("thingName", ic.thing_name)) {
    const std::size_t suffix = ic.connections > 1 ? 1 + std::to_string(ic.connections).size() : 0;  // "#N"
    if (ic.thing_name.empty()) ld.d->error(o->child("thingName"), "must not be empty");
    else if (ic.thing_name[0] == '$') ld.d->error(o->child("thingName"), "must not start with '$' (reserved by IoT Core)");
    else if (codec::validate_mqtt_utf8(ic.thing_name) != codec::topic_error::ok)
      ld.d->error(o->child("thingName"), "is not a valid MQTT UTF-8 string");
    else if (ic.thing_name.size() + suffix > 128)
      ld.d->error(o->child("thingName"), suffix ? "with the \"#N\" suffix of iotCore.connections, the client ID exceeds IoT Core's 128 bytes"
                                                : "longer than IoT Core's 128-byte client ID limit");
  }
  for (auto [key, out] : {std::pair<const char*, std::string*>{"certificateFilePath", &ic.certificate_file_path},
                          {"privateKeyPath", &ic.private_key_path},
                          {"rootCaPath", &ic.root_ca_path}}) {
    if (!o->str(key, *out)) continue;
    if (out->empty()) need(o->child(key), "must not be empty");
    *out = ld.resolve(*out);
  }
  read_version(*o, "version", ic.version);
  std::uint64_t ka_ms = 0;
  if (o->u64("keepAliveTimeoutMs", 0, u32_max, ka_ms)) {
    // IoT Core: keep alive 0 or over 1200 s becomes 1200, under 30 becomes 30 (PEERS.md).
    std::uint64_t s = (ka_ms + 999) / 1000;
    std::uint64_t clamped = s == 0 ? 1200 : s < 30 ? 30 : s > 1200 ? 1200 : s;
    if (clamped != s || ka_ms % 1000 != 0)
      ld.d->warn(o->child("keepAliveTimeoutMs"), std::to_string(ka_ms) + " ms: IoT Core takes whole seconds within 30..1200, using " +
                                                 std::to_string(clamped) + " s");
    ic.keep_alive_s = static_cast<std::uint32_t>(clamped);
  }
  const bool mn = o->uint("minimumReconnectDelaySeconds", 0, max_seconds, ic.min_reconnect_delay_s);
  const bool mx = o->uint("maximumReconnectDelaySeconds", 0, max_seconds, ic.max_reconnect_delay_s);
  if ((mn || mx) && ic.max_reconnect_delay_s < ic.min_reconnect_delay_s)
    ld.d->error(o->child(mx ? "maximumReconnectDelaySeconds" : "minimumReconnectDelaySeconds"),
                "maximumReconnectDelaySeconds (" + std::to_string(ic.max_reconnect_delay_s) +
                    ") must not be below minimumReconnectDelaySeconds (" + std::to_string(ic.min_reconnect_delay_s) + ")");
  o->uint("maxInFlightPublishes", 1, 65535, ic.max_in_flight);
  if (aws && ic.max_in_flight > 100)
    ld.d->warn(o->child("maxInFlightPublishes"), "IoT Core allows at most 100 unacknowledged publishes per connection");
  o->uint("maxMessageSizeInBytes", 1, 268435455, ic.max_message_size);
  if (aws && ic.max_message_size > 131072)
    ld.d->warn(o->child("maxMessageSizeInBytes"), "IoT Core rejects messages over 128 KiB (131072 bytes)");
  ic.max_publishes_per_second = aws ? 100 : 0;
  ic.max_bytes_per_second = aws ? 524288 : 0;
  o->uint("maxPublishesPerSecond", 0, u32_max, ic.max_publishes_per_second);
  o->uint("maxBytesPerSecond", 0, u32_max, ic.max_bytes_per_second);
  if (aws && (ic.max_publishes_per_second == 0 || ic.max_publishes_per_second > 100))
    ld.d->warn(o->child("maxPublishesPerSecond"), "IoT Core discards publishes over 100 per second on a connection");
}

void read_local_broker(const object& root, const loader& ld) {
  auto& l = ld.cfg->local;
  auto o = root.sub("localBroker", {"rootCaPath", "certificateFilePath", "privateKeyPath", "username", "password"});
  if (o) {
    for (auto [key, out] : {std::pair<const char*, std::string*>{"rootCaPath", &l.root_ca_path},
                            {"certificateFilePath", &l.certificate_file_path},
                            {"privateKeyPath", &l.private_key_path}}) {
      if (!o->str(key, *out)) continue;
      if (out->empty()) ld.d->error(o->child(key), "must not be empty (leave the key out instead)");
      *out = ld.resolve(*out);
    }
    if (l.certificate_file_path.empty() != l.private_key_path.empty())
      ld.d->error(o->child(l.certificate_file_path.empty() ? "certificateFilePath" : "privateKeyPath"),
                  "a client certificate needs both certificateFilePath and privateKeyPath");
    if (!l.tls && (!l.root_ca_path.empty() || !l.certificate_file_path.empty()))
      ld.d->warn(o->pointer(), "certificates are ignored: brokerUri " + quote_value(l.uri) + " is plain TCP (use ssl:// for TLS)");
    std::string s;
    if (o->str("username", s)) {
      if (codec::validate_mqtt_utf8(s) != codec::topic_error::ok) ld.d->error(o->child("username"), "is not a valid MQTT UTF-8 string");
      l.username = s;
    }
    if (o->str("password", s)) {
      if (s.size() > 65535) ld.d->error(o->child("password"), "longer than MQTT's 65535 bytes");
      l.password = s;
      if (!l.username && l.version == codec::protocol_version::v311)
        ld.d->error(o->child("password"), "MQTT 3.1.1 sends a password only with a username (§3.1.2.9): set username too");
    }
  }
  if (l.tls && l.root_ca_path.empty())
    ld.missing(root.child("localBroker") + "/rootCaPath",
               "missing: brokerUri " + quote_value(l.uri) + " is TLS, so the broker's CA certificate is needed "
               "(or use mqtt://host:1883 for plain TCP)");
}

void read_misc(const object& root, const loader& ld) {
  auto& c = *ld.cfg;
  std::string id;
  if (root.str("clientId", id)) {
    if (id.empty()) ld.d->error(root.child("clientId"), "must not be empty (a persistent session needs a client ID)");
    else if (codec::validate_mqtt_utf8(id) != codec::topic_error::ok) ld.d->error(root.child("clientId"), "is not a valid MQTT UTF-8 string");
    else c.local.client_id = id;
  }
  root.uint("startupTimeoutSeconds", 0, u32_max, c.startup_timeout_s);
  if (auto o = root.sub("spooler", {"maxSizeInBytes", "keepQos0WhenOffline"})) {
    o->u64("maxSizeInBytes", 1024, std::uint64_t{1} << 48, c.spooler_max_bytes);
    o->boolean("keepQos0WhenOffline", c.keep_qos0_when_offline);
  }
  if (auto o = root.sub("metrics", {"listen"})) {
    std::string listen;
    if (o->str("listen", listen)) {
      const auto colon = listen.rfind(':');
      std::string_view host = colon == std::string::npos ? std::string_view{} : std::string_view(listen).substr(0, colon);
      std::string port = colon == std::string::npos ? std::string{} : listen.substr(colon + 1);
      bool ok = !host.empty() && !port.empty() && port.size() <= 5 && port.find_first_not_of("0123456789") == std::string::npos;
      if (ok) {
        const unsigned long p = std::stoul(port);
        ok = p >= 1 && p <= 65535;
      }
      if (ok && host.front() == '[') ok = host.size() > 2 && host.back() == ']';
      else if (ok) ok = host_name_ok(host);
      if (ok) c.metrics_listen = listen;
      else ld.d->error(o->child("listen"), "must be host:port, e.g. 127.0.0.1:9100 or [::1]:9100, not " + quote_value(listen));
    }
  }
  if (auto o = root.sub("log", {"level"})) {
    std::string lv;
    if (o->str("level", lv)) {
      const std::string l = lower(lv);
      if (l == "error") c.log = log_level::error;
      else if (l == "warn" || l == "warning") c.log = log_level::warn;
      else if (l == "info") c.log = log_level::info;
      else if (l == "debug") c.log = log_level::debug;
      else ld.d->error(o->child("level"), "must be error, warn, info or debug, not " + quote_value(lv));
    }
  }
}

// SPEC §4.12: a private key readable by group or others is warned about. In check mode, files
// that cannot be read are warned about too (in run mode that is the engine's fatal error, exit 1).
void check_files(const loader& ld, const std::string& section, const std::string& ca, const std::string& cert,
                 const std::string& key) {
  for (auto [name, path] : {std::pair<const char*, const std::string*>{"rootCaPath", &ca},
                            {"certificateFilePath", &cert},
                            {"privateKeyPath", &key}}) {
    if (path->empty()) continue;
    const std::string ptr = section + "/" + name;
    struct stat st {};
    if (::stat(path->c_str(), &st) != 0 || ::access(path->c_str(), R_OK) != 0) {
      if (ld.m == mode::check) ld.d->warn(ptr, "cannot read " + quote_value(*path) + ": " + std::strerror(errno));
      continue;
    }
    if (path == &key && (st.st_mode & (S_IRGRP | S_IROTH))) {
      char mode_text[8];
      std::snprintf(mode_text, sizeof mode_text, "%04o", static_cast<unsigned>(st.st_mode & 07777));
      ld.d->warn(ptr, "the private key " + quote_value(*path) + " is readable by group/others (mode " + mode_text +
                          "): chmod 600 it");
    }
  }
}

}  // namespace

std::string loader::resolve(const std::string& path) const {
  if (path.empty() || path[0] == '/') return path;
  std::string s = base_dir;
  if (s.empty() || s.back() != '/') s += '/';
  s += path;
  return s;
}

void read_component(const object& root, const loader& ld) {
  // Order matters: protocol versions before route options, mappings before iotCore.
  read_broker(root, ld);
  read_mqtt(root, ld);
  read_mappings(root, ld);
  read_misc(root, ld);
  read_iot_core(root, ld);
  read_route_options(root, ld);
  read_local_broker(root, ld);
  const auto& c = *ld.cfg;
  if (c.local.tls) check_files(ld, root.pointer() + "/localBroker", c.local.root_ca_path, c.local.certificate_file_path, c.local.private_key_path);
  if (c.iot_core.present)
    check_files(ld, root.pointer() + "/iotCore", c.iot_core.root_ca_path, c.iot_core.certificate_file_path, c.iot_core.private_key_path);
}

}  // namespace mqrelay::config::detail
