// relay_context: what all links share — the compiled routes per source, the spooler budget,
// counters and the stop state. Read-mostly; the atomics are the only fields written after
// start-up.
#pragma once
#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "engine/log.hpp"
#include "engine/message.hpp"
#include "engine/topic_automaton.hpp"

namespace mqrelay::engine {

class link;

// One (target endpoint, prefix) pair: mappings that give the same target topic share a route,
// so a message matched by several of them is published once (SPEC §4.2).
struct route {
  config::endpoint target;
  std::string prefix;
};

// Everything one source endpoint needs to route a message.
struct source_routes {
  topic_automaton automaton;              // ids: index into mapping_route / mapping_rap
  std::vector<std::uint16_t> mapping_route;
  std::vector<std::uint8_t> mapping_rap;  // retainAsPublished (only honoured on MQTT 5 sources)
  std::vector<route> routes;
  std::vector<std::string> mapping_names;
};

// A message on its way to one target (what target inboxes carry). 16 bytes.
struct delivery {
  message* m = nullptr;
  std::uint16_t route = 0;
  bool retain = false;
};

struct counters {
  std::atomic<std::uint64_t> received{0};          // publishes taken from sources
  std::atomic<std::uint64_t> delivered{0};         // acknowledged by a target
  std::atomic<std::uint64_t> dropped_qos0{0};      // QoS 0 dropped while the target was down
  std::atomic<std::uint64_t> skipped_too_large{0}; // over a size limit (SPEC §4.8)
  std::atomic<std::uint64_t> skipped_bad_topic{0}; // target topic IoT Core would refuse
  std::atomic<std::uint64_t> refused_by_target{0}; // PUBACK with a failure reason code
  std::atomic<std::uint64_t> unrouted{0};          // matched no mapping
};

struct relay_context {
  explicit relay_context(const config::config& c) : cfg(c) {}
  const config::config& cfg;

  std::atomic<std::int64_t> spool_bytes{0};  // bytes of messages not yet acknowledged by all targets
  std::int64_t spool_max = 0;
  std::atomic<std::int64_t> live_messages{0};
  std::atomic<bool> stopping{false};          // SIGTERM: take no new messages from sources
  std::atomic<bool> disconnect_now{false};    // drain over: send DISCONNECT and close
  counters ctr;
  log_once once;

  link* local = nullptr;
  std::vector<link*> iot;  // the IoT Core connection pool

  // The link that carries `topic` (already prefixed) to `target`: IoT Core topics are
  // hash-sharded over the pool so each topic keeps its order on one connection.
  link* target_link(config::endpoint target, std::string_view prefix, std::string_view topic) const noexcept;
};

// Why IoT Core would refuse this topic, or nullptr when it would take it (SPEC §4.8: over 256
// bytes or 7 '/', not counting a "$aws/rules/RULE/" prefix; '$' topics other than "$aws/...").
const char* iot_core_topic_problem(std::string_view prefix, std::string_view topic) noexcept;

}  // namespace mqrelay::engine
