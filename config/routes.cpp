// Route lines, relay-loop detection (SPEC §4.9) and the default client ID.
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <unordered_map>
#include <unordered_set>
#include <string>
#include <vector>

#include "codec/topic.hpp"
#include "config/config.hpp"
#include "config/internal.hpp"
#include "config/reader.hpp"
#include "engine/topic_match.hpp"

namespace mqrelay::config {

const char* endpoint_name(endpoint e) noexcept {
  switch (e) {
    case endpoint::local_mqtt: return "LocalMqtt";
    case endpoint::iot_core: return "IotCore";
    case endpoint::pubsub: return "Pubsub";
  }
  return "?";
}

std::string route_line(const mapping& m) {
  std::string s = m.name;
  s += ": ";
  s += endpoint_name(m.source);
  s += ' ';
  s += m.topic;
  s += " -> ";
  s += endpoint_name(m.target);
  if (!m.target_topic_prefix.empty()) {
    s += " prefix=";
    s += m.target_topic_prefix;
  }
  return s;
}

namespace {

std::vector<std::string_view> split_levels(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  for (;;) {
    auto slash = s.find('/', start);
    out.push_back(s.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start));
    if (slash == std::string_view::npos) return out;
    start = slash + 1;
  }
}

// The topics a mapping publishes at its target, as a filter: prefix + (filter without $share).
// A prefix that glues onto a wildcard level ("pre" + "+/x" = "pre+/x") widens that level to a
// plain wildcard: an over-approximation, so loop warnings may be spurious but never missed.
std::string output_pattern(const mapping& m) {
  const std::string_view filter = codec::split_shared(m.topic).filter;
  std::string joined = m.target_topic_prefix;
  joined += filter;
  std::string out;
  for (auto l : split_levels(joined)) {
    std::string_view level = l;
    if (l.size() > 1 && l.back() == '#') level = "#";
    else if (l.size() > 1 && l.find('+') != std::string_view::npos) level = "+";
    out += level;
    out += '/';
  }
  out.pop_back();  // split_levels gives at least one level
  return out;
}

std::string_view first_level(std::string_view filter) { return filter.substr(0, filter.find('/')); }

bool wildcard(std::string_view l) { return l == "+" || l == "#"; }

}  // namespace

namespace detail {

std::vector<std::string> loop_lines(const config& cfg, const std::string& file) {
  auto mqtt5 = [&](endpoint e) {
    if (e == endpoint::local_mqtt) return cfg.local.version == codec::protocol_version::v5;
    // With several IoT Core connections a publish can leave on another client than the one that
    // subscribed, and No Local only filters a client's own messages.
    if (e == endpoint::iot_core) return cfg.iot_core.version == codec::protocol_version::v5 && cfg.iot_core.connections == 1;
    return false;
  };
  auto describe = [](const mapping& m) {
    return quote_value(m.name) + " (" + endpoint_name(m.source) + " " + m.topic + " -> " + endpoint_name(m.target) +
           (m.target_topic_prefix.empty() ? "" : " prefix=" + m.target_topic_prefix) + ")";
  };
  std::vector<std::string> out;
  const auto& ms = cfg.mappings;
  std::vector<std::string> produced;
  std::vector<std::string_view> consumed;  // views into cfg
  for (const auto& m : ms) {
    produced.push_back(output_pattern(m));
    consumed.push_back(codec::split_shared(m.topic).filter);
  }
  // Does mapping `from` publish something at its target that mapping `back` picks up there?
  auto feeds = [&](std::size_t from, std::size_t back) {
    const mapping& f = ms[from];
    const mapping& b = ms[back];
    if (b.source != f.target || b.target != f.source) return false;
    if (b.no_local && mqtt5(b.source)) return false;
    return engine::filters_intersect(produced[from], consumed[back]);
  };
  // Candidates for `back`: only mappings in the opposite direction whose filter's first level is
  // the same literal as, or a wildcard against, the first level of what `from` publishes. Indexed
  // so that large generated files (100k mappings) stay fast.
  struct bucket {
    std::unordered_map<std::string_view, std::vector<std::size_t>> by_first;
    std::vector<std::size_t> wild_first, all;
  };
  bucket by_dir[3][3];
  for (std::size_t j = 0; j < ms.size(); ++j) {
    bucket& bk = by_dir[static_cast<int>(ms[j].source)][static_cast<int>(ms[j].target)];
    bk.all.push_back(j);
    if (wildcard(first_level(consumed[j]))) bk.wild_first.push_back(j);
    else bk.by_first[first_level(consumed[j])].push_back(j);
  }
  constexpr std::size_t max_pairs = std::size_t{1} << 24, max_lines = 100;
  std::size_t pairs = 0, found = 0;
  std::unordered_set<std::uint64_t> reported;  // unordered pairs already warned about
  for (std::size_t i = 0; i < ms.size(); ++i) {
    const mapping& a = ms[i];
    const bucket& bk = by_dir[static_cast<int>(a.target)][static_cast<int>(a.source)];
    auto visit = [&](const std::vector<std::size_t>& js) {
      for (std::size_t j : js) {
        if (++pairs > max_pairs) return false;
        if (!feeds(i, j)) continue;
        const std::uint64_t key = (std::uint64_t{std::min(i, j)} << 32) | std::max(i, j);
        if (!reported.insert(key).second || ++found > max_lines) continue;
        const mapping& b = ms[j];
        std::string line = file + ": possible relay loop: ";
        if (i == j) line += "mapping " + describe(a) + " receives what it publishes itself";
        else line += "mapping " + describe(b) + " sends back to " + endpoint_name(a.source) + " what mapping " + describe(a) + " publishes";
        line += " (use a targetTopicPrefix and narrower topics, or noLocal on an MQTT 5 source)";
        out.push_back(std::move(line));
      }
      return true;
    };
    bool go = true;
    if (wildcard(first_level(produced[i]))) {
      go = visit(bk.all);
    } else {
      auto it = bk.by_first.find(first_level(produced[i]));
      if (it != bk.by_first.end()) go = visit(it->second);
      go = go && visit(bk.wild_first);
    }
    if (!go) {
      out.push_back(file + ": relay loop check stopped after " + std::to_string(max_pairs) +
                    " pairs of mappings: too many mappings to check them all");
      return out;
    }
  }
  if (found > max_lines)
    out.push_back(file + ": " + std::to_string(found - max_lines) + " more possible relay loops not listed");
  return out;
}

}  // namespace detail

std::vector<std::string> loop_warnings(const config& cfg) { return detail::loop_lines(cfg, cfg.path); }

std::string default_client_id(std::string_view machine_id, std::string_view abs_path) {
  std::uint64_t h = 14695981039346656037ull;  // FNV-1a 64
  auto feed = [&](unsigned char c) {
    h ^= c;
    h *= 1099511628211ull;
  };
  for (char c : machine_id) feed(static_cast<unsigned char>(c));
  feed(0);
  for (char c : abs_path) feed(static_cast<unsigned char>(c));
  // splitmix64 finaliser: spreads FNV's weak high bits over the whole word.
  h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ull;
  h = (h ^ (h >> 27)) * 0x94d049bb133111ebull;
  h ^= h >> 31;
  static constexpr char digits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
  char id[11];
  for (int k = 10; k >= 0; --k) {
    id[k] = digits[h % 36];
    h /= 36;
  }
  return "mqtt-bridge-" + std::string(id, sizeof id);
}

std::string read_machine_id() {
  for (const char* p : {"/etc/machine-id", "/var/lib/dbus/machine-id"}) {
    std::ifstream in(p);
    std::string line;
    if (in && std::getline(in, line)) {
      while (!line.empty() && (line.back() == ' ' || line.back() == '\r' || line.back() == '\t')) line.pop_back();
      if (!line.empty()) return line;
    }
  }
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) == 0 && host[0]) return host;
  return "unknown";
}

}  // namespace mqrelay::config
