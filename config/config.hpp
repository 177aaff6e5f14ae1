// mqrelay configuration: the validated, defaulted form of the JSON file of SPEC §3.
//
// load_file()/load_string() read either form of SPEC §3 (the component configuration object, or a
// Greengrass deployment document whose bridge component carries it as a serialized "merge"
// string), check every key (type, range, cross-key rules) and fill in the defaults. They never
// throw and never crash on any input: every problem becomes one formatted line in
// load_result::errors or ::warnings, of the form
//     FILE: /json/pointer: what is wrong
// (RFC 6901 pointers; inside a deployment document's merge string:
//     FILE: /components/aws.greengrass.clientdevices.mqtt.Bridge/configurationUpdate/merge: /inner/pointer: ...)
// and a JSON syntax error names line and column ("FILE: line 3, column 7: invalid JSON: ...").
//
// Thread-safety: the functions are reentrant (no shared state); a config is a plain value.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "codec/protocol.hpp"

namespace mqrelay::config {

enum class endpoint : std::uint8_t { local_mqtt, iot_core, pubsub };
// "LocalMqtt", "IotCore", "Pubsub": the names used in the file and in route lines.
const char* endpoint_name(endpoint e) noexcept;

enum class log_level : std::uint8_t { error, warn, info, debug };

// One entry of mqttTopicMapping, with its mqtt5RouteOptions folded in.
struct mapping {
  std::string name;
  std::string topic;  // a valid topic filter (codec::validate_topic_filter), "$share/G/…" allowed
  endpoint source = endpoint::local_mqtt;
  endpoint target = endpoint::iot_core;
  std::string target_topic_prefix;  // no '+'/'#'; non-empty whenever source == target
  bool no_local = false;
  bool retain_as_published = false;
  bool operator==(const mapping&) const = default;
};

struct local_broker_config {
  std::string uri;  // as written (brokerUri, else brokerServerUri, else the default)
  bool tls = true;  // ssl:// (also mqtts://, tls://) vs mqtt:// tcp://
  std::string host = "localhost";  // IPv6 literals without brackets
  std::uint16_t port = 8883;
  std::string client_id;  // never empty: the derived default when the file has none
  codec::protocol_version version = codec::protocol_version::v311;
  std::uint32_t ack_timeout_s = 60, conn_ack_timeout_ms = 20000, ping_timeout_ms = 30000, keep_alive_s = 60,
                min_reconnect_delay_ms = 1000, max_reconnect_delay_ms = 30000;
  std::uint16_t receive_maximum = 100;
  std::uint32_t maximum_packet_size = 0;  // 0 = not sent
  std::uint32_t session_expiry = 4294967295u;
  // Absolute paths (a relative path in the file is taken relative to the file's directory).
  std::string root_ca_path, certificate_file_path, private_key_path;
  std::optional<std::string> username, password;
  bool operator==(const local_broker_config&) const = default;
};

struct iot_core_config {
  bool present = false;  // the file has an iotCore section
  std::string endpoint;  // iotDataEndpoint: a host name
  std::uint16_t port = 8883;  // 443 = ALPN x-amzn-mqtt-ca (the engine's business)
  std::string thing_name, certificate_file_path, private_key_path, root_ca_path;  // paths absolute
  codec::protocol_version version = codec::protocol_version::v311;
  std::uint32_t keep_alive_s = 60;  // from keepAliveTimeoutMs, rounded up, clamped to 30..1200 s (0 → 1200)
  std::uint32_t min_reconnect_delay_s = 1, max_reconnect_delay_s = 120;
  std::uint32_t max_in_flight = 100;
  std::uint32_t max_message_size = 131072;
  std::uint32_t connections = 1;
  // Per-connection token buckets, 0 = off. Default 100 / 524288 when the endpoint ends in
  // ".amazonaws.com" (or ".amazonaws.com.cn"), else 0.
  std::uint32_t max_publishes_per_second = 0, max_bytes_per_second = 0;
  bool operator==(const iot_core_config&) const = default;
};

struct config {
  std::string path;  // absolute, lexically normalised (symlinks not resolved)
  std::vector<mapping> mappings;  // file order
  local_broker_config local;
  iot_core_config iot_core;
  std::uint64_t spooler_max_bytes = 67108864;
  bool keep_qos0_when_offline = false;
  std::string metrics_listen;  // "host:port", empty = off
  log_level log = log_level::info;
  std::uint32_t startup_timeout_s = 120;
};

// One problem as its parts (the API the engine was written against). load_result carries the
// formatted lines "FILE: PATH: MESSAGE", which is what users see; this is for callers that
// build their own messages in that shape.
struct diagnostic {
  std::string path;     // JSON pointer, e.g. /mqttTopicMapping/Up/target ("" = the whole file)
  std::string message;  // what is wrong, e.g. "must be LocalMqtt or IotCore, not \"Cloud\""
};

// check: validate a Greengrass bridge configuration as it is; what is missing only to run
// (the iotCore section or its keys, localBroker.rootCaPath for ssl://) is a warning.
// run: the same things are errors.
enum class mode { check, run };

struct load_result {
  std::optional<config> cfg;  // set exactly when errors is empty
  std::vector<std::string> errors;  // fully formatted lines, without "error: "
  std::vector<std::string> warnings;  // fully formatted lines, without "warning: "
};

// Reads and validates the file. Never throws (std::bad_alloc aside).
load_result load_file(const std::string& path, mode m);

// Same on a JSON text; display_path names it in messages and is the config path (made absolute
// against the working directory) for the default client ID and relative certificate paths.
load_result load_string(std::string_view json, const std::string& display_path, mode m);

// SPEC §4.9: one line per pair of mappings that can relay a message back to the endpoint it came
// from (and per mapping that feeds itself). Conservative: a prefix that glues onto a wildcard level
// ("pre" + "+/x") is treated as if the whole level were a wildcard, so a warning may be spurious,
// never missing. Pure function.
std::vector<std::string> loop_warnings(const config& cfg);

// "NAME: SOURCE FILTER -> TARGET" followed by " prefix=P" only when the prefix is non-empty,
// e.g. "HelloWorldIotCore: LocalMqtt clients/+/hello/world -> IotCore". Pure function.
std::string route_line(const mapping& m);

// The default local client ID: "mqtt-bridge-" + 11 characters of [0-9a-z], a function of the
// machine ID and the configuration file's absolute path only, so a restart (or another relay on
// the same host with another file) finds its own persistent session again. The digest is FNV-1a
// 64 over machine_id, a NUL byte and abs_path, finished with the splitmix64 mixer, written in
// base 36 (11 digits, most significant first). This must never change between versions.
std::string default_client_id(std::string_view machine_id, std::string_view abs_path);

// The contents of /etc/machine-id (else /var/lib/dbus/machine-id, else the host name), trimmed.
std::string read_machine_id();

}  // namespace mqrelay::config
