// The relay: compiles the routes, builds the links, runs one reactor thread per side (the local
// broker on one, the IoT Core pool on the other) and stops cleanly on SIGTERM/SIGINT (SPEC §4.11).
#include "engine/relay.hpp"

#include <malloc.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <map>
#include <set>
#include <memory>
#include <thread>

#include "codec/topic.hpp"
#include "config/config.hpp"
#include "engine/context.hpp"
#include "engine/covering.hpp"
#include "engine/link.hpp"
#include "engine/log.hpp"
#include "engine/metrics.hpp"
// after context.hpp: liburing (through reactor.hpp) defines BLOCK_SIZE, a name concurrentqueue.h uses
#include "engine/colocation.hpp"
#include "engine/reactor.hpp"
#include "tls/tls_session.hpp"

namespace mqrelay::engine {

// ---------------------------------------------------------------- context helpers

link* relay_context::target_link(config::endpoint target, std::string_view prefix, std::string_view topic) const noexcept {
  if (target == config::endpoint::local_mqtt) return local;
  if (target != config::endpoint::iot_core || iot.empty()) return nullptr;
  if (iot.size() == 1) return iot[0];
  // FNV-1a over the target topic: one topic always takes the same connection (order kept).
  std::uint64_t h = 1469598103934665603ull;
  for (char c : prefix) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
  for (char c : topic) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
  return iot[h % iot.size()];
}

const char* iot_core_topic_problem(std::string_view prefix, std::string_view topic) noexcept {
  // Look at the whole target topic as two pieces without concatenating.
  const std::size_t total = prefix.size() + topic.size();
  auto at = [&](std::size_t i) { return i < prefix.size() ? prefix[i] : topic[i - prefix.size()]; };
  std::size_t start = 0;
  auto starts_with = [&](std::string_view s) {
    if (total < s.size()) return false;
    for (std::size_t i = 0; i < s.size(); ++i)
      if (at(i) != s[i]) return false;
    return true;
  };
  if (total > 0 && at(0) == '$') {
    if (!starts_with("$aws/")) return "topics starting with '$' are reserved at IoT Core (only $aws/... topics exist)";
    if (starts_with("$aws/rules/")) {  // Basic Ingest: "$aws/rules/RULE/" is not counted
      std::size_t i = 11;
      while (i < total && at(i) != '/') ++i;
      start = i < total ? i + 1 : total;
    }
  }
  if (total - start > 256) return "the topic is longer than IoT Core's 256 bytes";
  int slashes = 0;
  for (std::size_t i = start; i < total; ++i)
    if (at(i) == '/') ++slashes;
  if (slashes > 7) return "the topic has more than IoT Core's 7 '/' (8 levels)";
  return nullptr;
}

namespace {

// ---------------------------------------------------------------- routes

constexpr std::size_t kMaxRoutes = 65535;  // distinct (target, prefix) pairs per source

// nullptr when the source has no mapping, or (too_many set) when it would need more than
// kMaxRoutes routes: a delivery names its route in 16 bits.
// `previous`: the table a reload replaces. The new one starts with all of its routes, at the same
// indexes: deliveries in flight name their route by index (SPEC §4.10: nothing in flight changes).
std::unique_ptr<source_routes> compile_routes(const config::config& cfg, config::endpoint source,
                                              const source_routes* previous, bool& too_many) {
  too_many = false;
  auto rt = std::make_unique<source_routes>();
  if (previous) rt->routes = previous->routes;
  std::vector<topic_automaton::entry> entries;
  for (const auto& m : cfg.mappings) {
    if (m.source != source) continue;
    const auto id = static_cast<std::uint32_t>(rt->mapping_route.size());
    std::size_t r = 0;
    while (r < rt->routes.size() && !(rt->routes[r].target == m.target && rt->routes[r].prefix == m.target_topic_prefix)) ++r;
    if (r == rt->routes.size()) {
      if (r == kMaxRoutes) {
        too_many = true;
        return nullptr;
      }
      rt->routes.push_back(route{m.target, m.target_topic_prefix});
    }
    rt->mapping_route.push_back(static_cast<std::uint16_t>(r));
    rt->mapping_rap.push_back(m.retain_as_published ? 1 : 0);
    rt->mapping_names.push_back(m.name);
    entries.push_back({m.topic, id});
  }
  if (entries.empty() && !previous) return nullptr;
  rt->automaton = topic_automaton::compile(entries);
  return rt;
}

// The endpoints the mappings need a connection to; with no mapping at all, the local broker (its
// session is kept alive).
struct endpoints_used {
  bool local = false, iot = false;
};
endpoints_used endpoints_of(const config::config& cfg) {
  endpoints_used u{cfg.mappings.empty(), false};
  for (const auto& m : cfg.mappings)
    for (auto e : {m.source, m.target}) {
      if (e == config::endpoint::local_mqtt) u.local = true;
      if (e == config::endpoint::iot_core) u.iot = true;
    }
  return u;
}

std::vector<link_settings::subscription> covering_subscriptions(const config::config& cfg, config::endpoint source) {
  std::vector<subscription_request> reqs;
  for (const auto& m : cfg.mappings)
    if (m.source == source) reqs.push_back({m.topic, m.no_local, m.retain_as_published});
  std::vector<link_settings::subscription> out;
  for (std::size_t i : minimal_cover(reqs))
    out.push_back({std::string(reqs[i].filter), reqs[i].no_local, reqs[i].retain_as_published});
  return out;
}

// Largest packet a source link must take in: what its targets can carry (SPEC §4.8: an oversize
// PUBLISH is discarded as it streams past, never buffered whole).
std::uint32_t inbound_limit(const config::config& cfg, config::endpoint source, std::uint32_t advertised) {
  if (advertised) return advertised;
  bool to_local = false, to_iot = false;
  for (const auto& m : cfg.mappings) {
    if (m.source != source) continue;
    if (m.target == config::endpoint::local_mqtt) to_local = true;
    if (m.target == config::endpoint::iot_core) to_iot = true;
  }
  if (to_local || !to_iot) return 268435460u;  // the MQTT maximum
  // payload limit + the largest topic + properties + headers
  return cfg.iot_core.max_message_size + 65535u + 8192u;
}

// $NOTIFY_SOCKET: set when systemd runs the relay as Type=notify; nullptr otherwise.
const char* notify_socket_path() {
  const char* path = std::getenv("NOTIFY_SOCKET");
  return path && *path ? path : nullptr;
}

// systemd Type=notify readiness, without libsystemd: one datagram to $NOTIFY_SOCKET.
void sd_notify(const char* msg) {
  const char* path = notify_socket_path();
  if (!path) return;
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  std::size_t len = std::strlen(path);
  if (len >= sizeof sa.sun_path) return;
  std::memcpy(sa.sun_path, path, len);
  if (sa.sun_path[0] == '@') sa.sun_path[0] = '\0';
  int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return;
  ssize_t w = ::sendto(fd, msg, std::strlen(msg), MSG_NOSIGNAL, reinterpret_cast<sockaddr*>(&sa),
                       static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + len));
  (void)w;
  ::close(fd);
}

level to_level(config::log_level l) {
  switch (l) {
    case config::log_level::error: return level::error;
    case config::log_level::warn: return level::warn;
    case config::log_level::info: return level::info;
    case config::log_level::debug: return level::debug;
  }
  return level::info;
}

// ---------------------------------------------------------------- links' settings

std::unique_ptr<tls::client_context> make_tls_context(const std::string& ca, const std::string& cert, const std::string& key,
                                                     const std::string& server_name, const char* alpn, std::string& err) {
  tls::client_options o;
  o.ca_file = ca;
  o.cert_file = cert;
  o.key_file = key;
  o.server_name = server_name;
  if (alpn) o.alpn = alpn;
  auto c = tls::client_context::create(o, err);
  if (c && !key.empty() && tls::key_file_too_open(key))
    LOG_WARN("the private key %s is readable by group or others; chmod 600 it", key.c_str());
  return c;
}

std::unique_ptr<tls::client_context> iot_tls_context(const config::config& cfg, std::string& err) {
  const auto& ic = cfg.iot_core;
  return make_tls_context(ic.root_ca_path, ic.certificate_file_path, ic.private_key_path, ic.endpoint,
                          ic.port == 443 ? "x-amzn-mqtt-ca" : nullptr, err);
}

std::unique_ptr<tls::client_context> local_tls_context(const config::config& cfg, std::string& err) {
  const auto& l = cfg.local;
  return make_tls_context(l.root_ca_path, l.certificate_file_path, l.private_key_path, l.host, nullptr, err);
}

// Everything but the subscriptions and the routes.
link_settings local_link_settings(const config::config& cfg, tls::client_context* tls) {
  link_settings s;
  s.name = "local";
  s.endpoint = config::endpoint::local_mqtt;
  s.host = cfg.local.host;
  s.port = cfg.local.port;
  s.tls = tls;
  s.version = cfg.local.version;
  s.client_id = cfg.local.client_id;
  s.username = cfg.local.username;
  s.password = cfg.local.password;
  s.keep_alive_s = static_cast<std::uint16_t>(std::min<std::uint32_t>(cfg.local.keep_alive_s, 65535));
  s.session_expiry = cfg.local.session_expiry;
  s.receive_maximum = cfg.local.receive_maximum;
  s.maximum_packet_size = cfg.local.maximum_packet_size;
  s.connect_timeout_ms = cfg.local.conn_ack_timeout_ms;
  s.ping_timeout_ms = cfg.local.ping_timeout_ms;
  s.ack_timeout_ms = cfg.local.ack_timeout_s * 1000;
  s.min_backoff_ms = cfg.local.min_reconnect_delay_ms;
  s.max_backoff_ms = cfg.local.max_reconnect_delay_ms;
  s.max_in_flight = cfg.local.version == codec::protocol_version::v5 ? 65535 : 1000;
  s.max_packet_in = inbound_limit(cfg, config::endpoint::local_mqtt, cfg.local.maximum_packet_size);
  s.keep_qos0_when_offline = cfg.keep_qos0_when_offline;
  s.max_filters_per_subscribe = 64;
  return s;
}

// Connection i (0-based) of the IoT Core pool; everything but the subscriptions and the routes.
link_settings iot_link_settings(const config::config& cfg, tls::client_context* tls, std::uint32_t i) {
  const auto& ic = cfg.iot_core;
  link_settings s;
  s.name = i == 0 ? "iotcore" : "iotcore#" + std::to_string(i + 1);
  s.endpoint = config::endpoint::iot_core;
  s.host = ic.endpoint;
  s.port = ic.port;
  s.tls = tls;
  s.version = ic.version;
  s.client_id = i == 0 ? ic.thing_name : ic.thing_name + "#" + std::to_string(i + 1);
  s.keep_alive_s = static_cast<std::uint16_t>(ic.keep_alive_s);
  s.session_expiry = 3600;  // IoT Core's default persistent-session expiry
  s.receive_maximum = 100;
  s.connect_timeout_ms = cfg.local.conn_ack_timeout_ms;
  s.ping_timeout_ms = cfg.local.ping_timeout_ms;
  s.ack_timeout_ms = cfg.local.ack_timeout_s * 1000;
  s.min_backoff_ms = ic.min_reconnect_delay_s * 1000;
  s.max_backoff_ms = ic.max_reconnect_delay_s * 1000;
  s.max_in_flight = ic.max_in_flight;
  s.max_packet_in = inbound_limit(cfg, config::endpoint::iot_core, 0);
  s.max_pub_per_s = ic.max_publishes_per_second;
  s.max_bytes_per_s = ic.max_bytes_per_second;
  s.keep_qos0_when_offline = cfg.keep_qos0_when_offline;
  s.max_filters_per_subscribe = 8;  // IoT Core: 8 per SUBSCRIBE
  return s;
}

// ---------------------------------------------------------------- reload (SPEC §4.10)

// What a TLS context was made from: the files' paths, sizes and modification times. A certificate
// rotated under the same name (a new file, or the same one rewritten) changes it.
std::string tls_files_stamp(std::initializer_list<const std::string*> paths) {
  std::string out;
  for (const std::string* p : paths) {
    struct stat st {};
    out += *p;
    if (!p->empty() && ::stat(p->c_str(), &st) == 0)
      out += ":" + std::to_string(st.st_size) + ":" + std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec);
    out += ";";
  }
  return out;
}
std::string local_tls_stamp(const config::config& c) {
  return c.local.tls ? c.local.host + "|" + tls_files_stamp({&c.local.root_ca_path, &c.local.certificate_file_path, &c.local.private_key_path})
                     : std::string();
}
std::string iot_tls_stamp(const config::config& c) {
  return c.iot_core.endpoint + (c.iot_core.port == 443 ? "|alpn|" : "|") +
         tls_files_stamp({&c.iot_core.root_ca_path, &c.iot_core.certificate_file_path, &c.iot_core.private_key_path});
}


// What SIGHUP changes while the relay runs: the mappings (routes and subscription deltas, applied
// by each link on its own thread, connections kept) and log.level. Owned by run()'s thread.
class reloader {
 public:
  reloader(const config::config& cfg, link* local, std::vector<link*> iot, std::vector<reactor*> reactors)
      : running_(cfg), local_(local), iot_(std::move(iot)), reactors_(std::move(reactors)) {
    for (link* l : all()) {
      subs_[l] = l->settings().subscriptions;
      conn_[l] = l->settings();
    }
    local_stamp_ = local_tls_stamp(cfg);
    iot_stamp_ = iot_tls_stamp(cfg);
  }
  // Tables in use or retired: kept until the relay exits (a target may be reading a retired one).
  void keep(std::unique_ptr<source_routes> t) {
    if (t) tables_.push_back(std::move(t));
  }
  void reload();

 private:
  std::vector<link*> links_of(config::endpoint source) const {
    if (source == config::endpoint::iot_core) return iot_;
    return local_ ? std::vector<link*>{local_} : std::vector<link*>{};
  }
  std::vector<link*> all() const {
    std::vector<link*> v;
    if (local_) v.push_back(local_);
    v.insert(v.end(), iot_.begin(), iot_.end());
    return v;
  }
  // The new covering filters of one source spread over its links: each filter stays where it is
  // subscribed; a new one goes to the link with the fewest (IoT Core allows 50 per connection).
  void plan(const std::vector<link*>& links, const std::vector<link_settings::subscription>& cover,
            const source_routes* table, std::uint32_t max_packet_in,
            std::vector<std::pair<link*, std::unique_ptr<link::reroute>>>& out);

  config::config running_;
  link* local_;
  std::vector<link*> iot_;
  std::vector<reactor*> reactors_;
  std::map<link*, std::vector<link_settings::subscription>> subs_;
  std::map<link*, link_settings> conn_;  // the settings each link connects with
  std::vector<std::unique_ptr<source_routes>> tables_;
  std::vector<std::unique_ptr<tls::client_context>> contexts_;  // made by reloads; kept until exit
  std::string local_stamp_, iot_stamp_;  // what the TLS contexts in use were made from
};

void reloader::plan(const std::vector<link*>& links, const std::vector<link_settings::subscription>& cover,
                    const source_routes* table, std::uint32_t max_packet_in,
                    std::vector<std::pair<link*, std::unique_ptr<link::reroute>>>& out) {
  if (links.empty()) return;
  std::set<std::string_view> old;  // filters subscribed on any of the links
  for (link* l : links)
    for (const auto& s : subs_[l]) old.insert(s.filter);
  std::map<std::string, const link_settings::subscription*> wanted;
  for (const auto& s : cover) wanted[s.filter] = &s;
  std::map<link*, std::unique_ptr<link::reroute>> rr;
  std::map<link*, std::vector<link_settings::subscription>> added;
  for (link* l : links) {
    auto r = std::make_unique<link::reroute>();
    r->routes = table;
    r->max_packet_in = max_packet_in;
    for (const auto& s : subs_[l]) {
      const auto w = wanted.find(s.filter);
      if (w == wanted.end()) r->unsubscribe.push_back(s.filter);
      else if (w->second->no_local == s.no_local && w->second->retain_as_published == s.retain_as_published)
        r->subscriptions.push_back(s);
      else added[l].push_back(*w->second);  // new options: SUBSCRIBE again replaces the subscription
    }
    rr[l] = std::move(r);
  }
  for (const auto& s : cover) {
    if (old.count(s.filter)) continue;
    link* best = links[0];
    for (link* l : links)
      if (rr[l]->subscriptions.size() + added[l].size() < rr[best]->subscriptions.size() + added[best].size()) best = l;
    added[best].push_back(s);
  }
  for (link* l : links) {
    auto& r = rr[l];
    r->added = added[l].size();
    r->subscriptions.insert(r->subscriptions.end(), added[l].begin(), added[l].end());
    subs_[l] = r->subscriptions;
    out.emplace_back(l, std::move(r));
  }
}

bool same_connection(const link_settings& a, const link_settings& b) {
  bool same = true;
  for_each_connection_setting(a, b, [&](const auto& x, const auto& y) { same = same && x == y; });
  return same;
}

void reloader::reload() {
  LOG_INFO("SIGHUP: reading %s", running_.path.c_str());
  auto r = config::load_file(running_.path, config::mode::run);
  for (const auto& w : r.warnings) LOG_WARN("%s", w.c_str());
  for (const auto& e : r.errors) LOG_ERROR("%s", e.c_str());
  if (!r.cfg) {
    LOG_ERROR("SIGHUP: the file has errors; keeping the running configuration");
    return;
  }
  const config::config& n = *r.cfg;
  const endpoints_used wants = endpoints_of(n);
  if ((wants.iot && iot_.empty()) || (wants.local && !local_)) {
    LOG_ERROR("SIGHUP: the new mappings use %s, which this run has no connection to; restart mqrelay to apply them. "
              "Keeping the running configuration",
              wants.iot && iot_.empty() ? "IotCore" : "LocalMqtt");
    return;
  }
  for (link* l : all())
    if (!l->reroute_applied()) {
      LOG_ERROR("SIGHUP: the previous reload is still being applied; try again");
      return;
    }
  std::string later;
  const auto note = [&](bool changed, const char* what) {
    if (changed) later += (later.empty() ? "" : ", ") + std::string(what);
  };
  note(!iot_.empty() && n.iot_core.connections != running_.iot_core.connections, "iotCore.connections");
  note(n.iot_core.max_message_size != running_.iot_core.max_message_size, "iotCore.maxMessageSizeInBytes");
  note(n.spooler_max_bytes != running_.spooler_max_bytes || n.keep_qos0_when_offline != running_.keep_qos0_when_offline,
       "spooler");
  note(n.metrics_listen != running_.metrics_listen, "metrics");
  if (!later.empty())
    LOG_WARN("SIGHUP: changes to %s take effect when mqrelay restarts; the running relay keeps the old values", later.c_str());

  // Connection settings: a link whose settings changed reconnects with them. A TLS context is made
  // anew when what it is made of changed (a file that cannot be read keeps everything as it was).
  std::string err;
  std::vector<std::unique_ptr<tls::client_context>> made;
  std::map<link*, link_settings> reconnect;
  const std::string local_stamp = local_tls_stamp(n), iot_stamp = iot_tls_stamp(n);
  // A new context from `make` into ctx; false (logged) when it cannot be built.
  const auto renew = [&](auto make, const char* what, tls::client_context*& ctx) {
    auto c = make(n, err);
    if (!c) {
      LOG_ERROR("SIGHUP: %s TLS: %s; keeping the running configuration", what, err.c_str());
      return false;
    }
    ctx = c.get();
    made.push_back(std::move(c));
    return true;
  };
  if (local_) {
    tls::client_context* ctx = n.local.tls ? conn_[local_].tls : nullptr;
    if (n.local.tls && (!ctx || local_stamp != local_stamp_) && !renew(local_tls_context, "local broker", ctx)) return;
    link_settings s = local_link_settings(n, ctx);
    if (!same_connection(s, conn_[local_])) reconnect[local_] = std::move(s);
  }
  if (!iot_.empty() && n.iot_core.present) {  // (without the section, no mapping uses these links now)
    tls::client_context* ctx = conn_[iot_[0]].tls;
    if (iot_stamp != iot_stamp_ && !renew(iot_tls_context, "IotCore", ctx)) return;
    for (std::size_t i = 0; i < iot_.size(); ++i) {
      link_settings s = iot_link_settings(n, ctx, static_cast<std::uint32_t>(i));
      if (!same_connection(s, conn_[iot_[i]])) reconnect[iot_[i]] = std::move(s);
    }
  }

  // Mappings: new route tables and subscription deltas.
  const bool new_mappings = !(n.mappings == running_.mappings);
  std::vector<std::pair<link*, std::unique_ptr<link::reroute>>> changes;
  if (new_mappings) {
    // Both tables before any plan: plan() records what each link will have.
    std::unique_ptr<source_routes> tables[2];
    const config::endpoint sources[2] = {config::endpoint::local_mqtt, config::endpoint::iot_core};
    for (int i = 0; i < 2; ++i) {
      const std::vector<link*> links = links_of(sources[i]);
      if (links.empty()) continue;
      bool too_many = false;
      tables[i] = compile_routes(n, sources[i], links[0]->routes(), too_many);
      if (too_many) {
        LOG_ERROR("SIGHUP: with the routes of this run, %s would feed more than %zu (target, prefix) pairs; restart "
                  "mqrelay to apply the new mappings. Keeping the running configuration",
                  config::endpoint_name(sources[i]), kMaxRoutes);
        return;
      }
    }
    for (int i = 0; i < 2; ++i) {
      const std::uint32_t advertised = sources[i] == config::endpoint::local_mqtt ? n.local.maximum_packet_size : 0;
      plan(links_of(sources[i]), covering_subscriptions(n, sources[i]), tables[i].get(),
           inbound_limit(n, sources[i], advertised), changes);
      keep(std::move(tables[i]));
    }
  }
  for (auto& [l, s] : reconnect) {
    auto it = std::find_if(changes.begin(), changes.end(), [&](const auto& c) { return c.first == l; });
    if (it == changes.end()) {
      auto rr = std::make_unique<link::reroute>();
      rr->new_routes = false;
      changes.emplace_back(l, std::move(rr));
      it = changes.end() - 1;
    }
    it->second->connection = s;
    conn_[l] = s;
  }
  // Nothing can fail from here on.
  if (n.log != running_.log) {
    set_log_level(to_level(n.log));
    running_.log = n.log;
    LOG_INFO("SIGHUP: log.level changed");
  }
  if (changes.empty()) {
    LOG_INFO("SIGHUP: mappings and connections unchanged");
    return;
  }
  for (auto& c : made) contexts_.push_back(std::move(c));
  local_stamp_ = local_stamp;
  iot_stamp_ = iot_stamp;
  for (auto& [l, rr] : changes) {
    if (!l->reroute_later(rr)) LOG_ERROR("SIGHUP: %s did not take the change", l->settings().name.c_str());  // checked above
  }
  for (reactor* rc : reactors_) rc->notify();
  running_.mappings = n.mappings;
  running_.local = n.local;
  const auto keep_connections = running_.iot_core.connections, keep_max_size = running_.iot_core.max_message_size;
  running_.iot_core = n.iot_core;
  running_.iot_core.connections = keep_connections;
  running_.iot_core.max_message_size = keep_max_size;
  if (new_mappings) {
    for (const auto& m : n.mappings)
      LOG_INFO("route %s: %s %s -> %s%s%s", m.name.c_str(), config::endpoint_name(m.source), m.topic.c_str(),
               config::endpoint_name(m.target), m.target_topic_prefix.empty() ? "" : " prefix=", m.target_topic_prefix.c_str());
    LOG_INFO("SIGHUP: %zu mappings now", n.mappings.size());
  }
  if (!reconnect.empty()) LOG_INFO("SIGHUP: %zu connection(s) reconnect with new settings", reconnect.size());
}

}  // namespace

int run(const config::config& cfg) {
  set_log_level(to_level(cfg.log));
  // One malloc arena for the whole process. Messages come from the source link's pool and its
  // thread; with glibc's default a second arena grows for the other reactor thread's buffers and
  // queue blocks and keeps what it freed. Measured, QoS 0 flood into the TLS sink with a 64 MiB
  // spooler (bench/run.sh relay-q0, 3 runs each, side by side): peak RSS 75.5-91.5 MiB with
  // per-thread arenas, 75.8-78.3 MiB with one (the benchmark's bound: spooler + 16 MiB = 80 MiB);
  // msgs/s within the runs' spread. Small allocations stay lock-free in glibc's per-thread cache.
  mallopt(M_ARENA_MAX, 1);
  if (std::string why = reactor::probe(); !why.empty()) {
    LOG_ERROR("%s", why.c_str());
    return 1;
  }
  // Signals go to the main thread only, which waits for them below.
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGTERM);
  sigaddset(&sigs, SIGINT);
  sigaddset(&sigs, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &sigs, nullptr);
  signal(SIGPIPE, SIG_IGN);

  relay_context ctx(cfg);
  ctx.spool_max = static_cast<std::int64_t>(cfg.spooler_max_bytes);

  const endpoints_used uses = endpoints_of(cfg);
  const bool uses_iot = uses.iot, uses_local = uses.local;

  tls::global_init();
  std::unique_ptr<tls::client_context> iot_tls, local_tls;
  std::string err;
  if (uses_iot) {
    if (!cfg.iot_core.present) {
      LOG_ERROR("a mapping uses IotCore but the configuration has no iotCore section");
      return 2;
    }
    iot_tls = iot_tls_context(cfg, err);
    if (!iot_tls) {
      LOG_ERROR("IotCore TLS: %s", err.c_str());
      return 1;
    }
  }
  if (uses_local && cfg.local.tls) {
    local_tls = local_tls_context(cfg, err);
    if (!local_tls) {
      LOG_ERROR("local broker TLS: %s", err.c_str());
      return 1;
    }
  }

  std::unique_ptr<source_routes> local_routes, iot_routes;
  for (auto source : {config::endpoint::local_mqtt, config::endpoint::iot_core}) {
    bool too_many = false;
    auto& table = source == config::endpoint::local_mqtt ? local_routes : iot_routes;
    table = compile_routes(cfg, source, nullptr, too_many);
    if (too_many) {
      LOG_ERROR("the mappings from %s have more than %zu distinct (target, targetTopicPrefix) pairs", config::endpoint_name(source),
                kMaxRoutes);
      return 2;
    }
  }

  std::unique_ptr<reactor> local_reactor, iot_reactor;
  try {
    local_reactor = std::make_unique<reactor>("local");
    iot_reactor = std::make_unique<reactor>("iotcore");
  } catch (const std::exception& e) {
    LOG_ERROR("%s", e.what());
    return 1;
  }

  std::vector<std::unique_ptr<link>> links;
  if (uses_local) {
    link_settings s = local_link_settings(cfg, local_tls.get());
    s.subscriptions = covering_subscriptions(cfg, config::endpoint::local_mqtt);
    s.routes = local_routes.get();
    links.push_back(std::make_unique<link>(*local_reactor, ctx, std::move(s), links.size()));
    ctx.local = links.back().get();
  }
  if (uses_iot) {
    const auto& ic = cfg.iot_core;
    auto subs = covering_subscriptions(cfg, config::endpoint::iot_core);
    const std::uint32_t n = std::max<std::uint32_t>(1, ic.connections);
    for (std::uint32_t i = 0; i < n; ++i) {
      link_settings s = iot_link_settings(cfg, iot_tls.get(), i);
      for (std::size_t j = i; j < subs.size(); j += n) s.subscriptions.push_back(subs[j]);  // IoT Core: 50 per connection
      s.routes = iot_routes.get();
      links.push_back(std::make_unique<link>(*iot_reactor, ctx, std::move(s), links.size()));
      ctx.iot.push_back(links.back().get());
    }
  }
  std::vector<link*> all;
  for (auto& l : links) all.push_back(l.get());
  // Before any link starts: a metrics address that cannot be served is a fatal error at start-up.
  std::unique_ptr<metrics_server> metrics;
  if (!cfg.metrics_listen.empty()) {
    metrics = metrics_server::start(cfg.metrics_listen, ctx, std::vector<const link*>(all.begin(), all.end()), err);
    if (!metrics) {
      LOG_ERROR("%s", err.c_str());
      return 1;
    }
  }
  for (auto& l : links) {
    l->set_targets(all);
    l->start();
    l->owner().add_handler(l.get());
  }
  for (const auto& m : cfg.mappings)
    LOG_INFO("route %s: %s %s -> %s%s%s", m.name.c_str(), config::endpoint_name(m.source), m.topic.c_str(),
             config::endpoint_name(m.target), m.target_topic_prefix.empty() ? "" : " prefix=", m.target_topic_prefix.c_str());

  reloader reloads(cfg, ctx.local, ctx.iot, {local_reactor.get(), iot_reactor.get()});

  colocation placement(*local_reactor, *iot_reactor);
  if (placement.enabled()) local_reactor->add_handler(&placement);

  std::thread t_local([&] { local_reactor->run(); });
  std::thread t_iot([&] { iot_reactor->run(); });

  // Readiness for systemd (Type=notify) once every link is connected: checked every 100 ms while
  // waiting for signals, and only until then. Without NOTIFY_SOCKET, and once ready, this thread
  // sleeps until a signal comes: an idle relay does not wake it.
  bool ready = notify_socket_path() == nullptr;
  int sig = 0;
  for (;;) {
    if (ready) {
      sig = sigwaitinfo(&sigs, nullptr);
    } else {
      timespec ts{0, 100 * 1000 * 1000};
      sig = sigtimedwait(&sigs, nullptr, &ts);
    }
    if (sig == SIGTERM || sig == SIGINT) break;
    if (sig == SIGHUP) reloads.reload();
    if (!ready) {
      bool all_up = true;
      for (link* l : all) all_up = all_up && l->connected_now();
      if (all_up) {
        ready = true;
        sd_notify("READY=1");
      }
    }
  }
  LOG_INFO("%s: stopping; draining in-flight messages for up to 5 s", sig == SIGTERM ? "SIGTERM" : "SIGINT");
  sd_notify("STOPPING=1");
  ctx.stopping.store(true);
  for (auto* r : {local_reactor.get(), iot_reactor.get()}) r->notify();
  const std::uint64_t drain_until = now_ns() + 5000000000ull;
  while (ctx.live_messages.load(std::memory_order_acquire) > 0 && now_ns() < drain_until) {
    timespec ts{0, 10 * 1000 * 1000};
    nanosleep(&ts, nullptr);
  }
  const auto left = ctx.live_messages.load();
  if (left > 0) LOG_WARN("stopping with %lld messages not yet acknowledged by their targets; their sources will redeliver them", static_cast<long long>(left));
  ctx.disconnect_now.store(true);
  for (auto* r : {local_reactor.get(), iot_reactor.get()}) r->notify();
  const std::uint64_t close_until = now_ns() + 1000000000ull;
  for (;;) {
    bool done = true;
    for (link* l : all) done = done && l->closed_for_stop();
    if (done || now_ns() > close_until) break;
    for (auto* r : {local_reactor.get(), iot_reactor.get()}) r->notify();
    timespec ts{0, 5 * 1000 * 1000};
    nanosleep(&ts, nullptr);
  }
  local_reactor->quit();
  iot_reactor->quit();
  t_local.join();
  t_iot.join();
  metrics.reset();
  for (link* l : all) l->release_for_exit();
  for (link* l : all) l->free_for_exit();
  links.clear();  // before `reloads` frees the route tables and TLS contexts its reloads made
  LOG_INFO("stopped: %llu received, %llu delivered, %llu QoS 0 dropped, %llu too large, %llu bad topics",
           static_cast<unsigned long long>(ctx.ctr.received.load()), static_cast<unsigned long long>(ctx.ctr.delivered.load()),
           static_cast<unsigned long long>(ctx.ctr.dropped_qos0.load()),
           static_cast<unsigned long long>(ctx.ctr.skipped_too_large.load()),
           static_cast<unsigned long long>(ctx.ctr.skipped_bad_topic.load()));
  return 0;
}

}  // namespace mqrelay::engine
