// topic_automaton: build (allocating, once per configuration) and match (allocation-free).
#include "engine/topic_automaton.hpp"

#include <algorithm>
#include <cstring>
#include <compare>

#include "codec/topic.hpp"
#include "engine/topic_match.hpp"

namespace mqrelay::engine {
namespace {

// Hash of one level's bytes, 8 at a time. Not cryptographic: the edge table only needs spread,
// and every hit is confirmed by comparing bytes. Bytes come from the broker, so a hostile
// publisher could at worst make its own lookups probe longer, never wrong.
std::uint64_t hash_level(std::string_view s) noexcept {
  constexpr std::uint64_t k = 0x9E3779B97F4A7C15ull;
  std::uint64_t h = 0xCBF29CE484222325ull ^ (s.size() * k);
  const char* p = s.data();
  std::size_t left = s.size();
  while (left >= 8) {
    std::uint64_t w;
    std::memcpy(&w, p, 8);
    h = (h ^ w) * k;
    h ^= h >> 29;
    p += 8;
    left -= 8;
  }
  if (left) {
    std::uint64_t w = 0;
    std::memcpy(&w, p, left);
    h = (h ^ w) * k;
    h ^= h >> 29;
  }
  return h;
}

// Hash of the edge (parent, level); never 0, which marks an empty slot.
std::uint64_t hash_edge(std::uint32_t parent, std::uint64_t level_hash) noexcept {
  std::uint64_t h = level_hash ^ (static_cast<std::uint64_t>(parent) * 0xFF51AFD7ED558CCDull);
  h ^= h >> 33;
  h *= 0xC4CEB9FE1A85EC53ull;
  h ^= h >> 33;
  return h | 1;
}

// Number of levels the trie needs for an (inner) filter: all levels but a trailing '#'.
std::size_t trie_depth(std::string_view filter) noexcept {
  const std::size_t levels = static_cast<std::size_t>(std::count(filter.begin(), filter.end(), '/')) + 1;
  return (filter == "#" || filter.ends_with("/#")) ? levels - 1 : levels;
}

}  // namespace

// Build-time state. Literal edges go straight into the automaton's flat edge table (grown by
// doubling, kept at most half full), so lookups at build time are the same probes as at match
// time and no per-level string is allocated. Id lists are collected as (node, list, id) triples
// and sorted once at the end, instead of one vector per node.
class topic_automaton::builder {
 public:
  explicit builder(topic_automaton& a) : a_(a) {
    a_.nodes_.emplace_back();  // the root
    a_.edges_.assign(64, edge{});
    a_.edge_mask_ = 63;
  }

  void reserve(std::size_t filters) {
    postings_.reserve(filters);
    a_.nodes_.reserve(filters + 1);
  }

  void add(std::string_view filter, std::uint32_t id) {
    std::uint32_t cur = 0;
    std::size_t pos = 0;
    while (true) {
      const auto slash = filter.find('/', pos);
      const auto level = filter.substr(pos, slash == std::string_view::npos ? std::string_view::npos : slash - pos);
      if (level == "#") {  // always the last level
        postings_.push_back({cur, kHashList, id});
        return;
      }
      cur = child(cur, level);
      if (slash == std::string_view::npos) {
        postings_.push_back({cur, kExactList, id});
        return;
      }
      pos = slash + 1;
    }
  }

  void finish() {
    // Lists: sorted and unique per (node, list); ids in more than one list are flagged, since
    // match() must then check for them before appending.
    std::sort(postings_.begin(), postings_.end());
    postings_.erase(std::unique(postings_.begin(), postings_.end()), postings_.end());
    // Every id once per list it is in, sorted: an id is "repeated" when it appears twice.
    std::vector<std::uint32_t> all;
    all.reserve(postings_.size());
    for (const auto& p : postings_) all.push_back(p.id);
    std::sort(all.begin(), all.end());
    auto repeated = [&](std::uint32_t id) {
      const auto [lo, hi] = std::equal_range(all.begin(), all.end(), id);
      return hi - lo > 1;
    };
    std::size_t distinct = 0;
    for (std::size_t i = 0; i < all.size(); ++i) distinct += (i == 0 || all[i] != all[i - 1]);
    a_.distinct_ids_ = distinct;
    a_.ids_.reserve(postings_.size());
    a_.id_repeats_.reserve(postings_.size());
    for (std::size_t i = 0; i < postings_.size();) {
      const std::uint32_t n = postings_[i].node;
      const std::uint8_t list = postings_[i].list;
      auto& nd = a_.nodes_[n];
      const auto begin = static_cast<std::uint32_t>(a_.ids_.size());
      for (; i < postings_.size() && postings_[i].node == n && postings_[i].list == list; ++i) {
        a_.ids_.push_back(postings_[i].id);
        a_.id_repeats_.push_back(repeated(postings_[i].id) ? 1 : 0);
      }
      const auto end = static_cast<std::uint32_t>(a_.ids_.size());
      if (list == kExactList) {
        nd.exact_begin = begin;
        nd.exact_end = end;
      } else {
        nd.hash_begin = begin;
        nd.hash_end = end;
      }
    }
    a_.nodes_.shrink_to_fit();
    a_.pool_.shrink_to_fit();
  }

 private:
  static constexpr std::uint8_t kExactList = 0, kHashList = 1;
  struct posting {
    std::uint32_t node;
    std::uint8_t list;
    std::uint32_t id;
    auto operator<=>(const posting&) const = default;
  };

  std::uint32_t new_node() {
    const auto n = static_cast<std::uint32_t>(a_.nodes_.size());
    a_.nodes_.emplace_back();
    return n;
  }

  std::uint32_t child(std::uint32_t parent, std::string_view level) {
    if (level == "+") {
      if (a_.nodes_[parent].plus_child == 0) {
        const auto c = new_node();
        a_.nodes_[parent].plus_child = c;
      }
      return a_.nodes_[parent].plus_child;
    }
    const std::uint64_t h = hash_edge(parent, hash_level(level));
    std::size_t slot = h & a_.edge_mask_;
    for (;; slot = (slot + 1) & a_.edge_mask_) {
      const edge& e = a_.edges_[slot];
      if (e.hash == 0) break;
      if (e.hash == h && e.parent == parent && e.text_size == level.size() &&
          std::memcmp(a_.pool_.data() + e.text_offset, level.data(), level.size()) == 0)
        return e.child;
    }
    const auto c = new_node();
    a_.edges_[slot] = edge{h, parent, c, static_cast<std::uint32_t>(a_.pool_.size()),
                           static_cast<std::uint32_t>(level.size())};
    a_.pool_.append(level);
    if (++edge_count_ * 2 > a_.edges_.size()) grow();
    return c;
  }

  // Doubles the edge table; the stored hashes make re-inserting cheap.
  void grow() {
    std::vector<edge> old(a_.edges_.size() * 2, edge{});
    old.swap(a_.edges_);
    a_.edge_mask_ = a_.edges_.size() - 1;
    for (const edge& e : old) {
      if (e.hash == 0) continue;
      std::size_t slot = e.hash & a_.edge_mask_;
      while (a_.edges_[slot].hash != 0) slot = (slot + 1) & a_.edge_mask_;
      a_.edges_[slot] = e;
    }
  }

  topic_automaton& a_;
  std::vector<posting> postings_;
  std::size_t edge_count_ = 0;
};

topic_automaton topic_automaton::compile(std::span<const entry> entries) {
  topic_automaton a;
  if (entries.empty()) return a;
  bool too_deep = false;
  for (const auto& e : entries) too_deep = too_deep || trie_depth(codec::split_shared(e.filter).filter) > kMaxDepth;
  if (too_deep) {
    std::vector<std::uint32_t> ids;
    for (const auto& e : entries) {
      a.fallback_filters_.emplace_back(e.filter);
      a.fallback_ids_.push_back(e.id);
      ids.push_back(e.id);
    }
    std::sort(ids.begin(), ids.end());
    a.distinct_ids_ = static_cast<std::size_t>(std::unique(ids.begin(), ids.end()) - ids.begin());
    return a;
  }
  builder b(a);
  b.reserve(entries.size());
  for (const auto& e : entries) b.add(codec::split_shared(e.filter).filter, e.id);
  b.finish();
  return a;
}

std::uint32_t topic_automaton::find_child(std::uint32_t parent, std::string_view level,
                                          std::uint64_t level_hash) const noexcept {
  const std::uint64_t h = hash_edge(parent, level_hash);
  for (std::size_t slot = h & edge_mask_;; slot = (slot + 1) & edge_mask_) {
    const edge& e = edges_[slot];
    if (e.hash == 0) return 0;
    if (e.hash == h && e.parent == parent && e.text_size == level.size() &&
        std::memcmp(pool_.data() + e.text_offset, level.data(), level.size()) == 0)
      return e.child;
  }
}

std::size_t topic_automaton::add_ids(std::uint32_t begin, std::uint32_t end, std::uint32_t* out,
                                     std::size_t n) const noexcept {
  for (std::uint32_t i = begin; i < end; ++i) {
    const std::uint32_t id = ids_[i];
    if (id_repeats_[i] && std::find(out, out + n, id) != out + n) continue;
    out[n++] = id;
  }
  return n;
}

std::size_t topic_automaton::match(std::string_view topic, std::uint32_t* out) const noexcept {
  if (!fallback_filters_.empty()) return match_linear(topic, out);
  if (nodes_.empty()) return 0;

  // Depth-first walk. A frame is a trie node reached with the topic consumed up to `pos`
  // (pos > topic.size(): every level consumed). Each pop pushes at most two frames one level
  // deeper, so the stack never holds more than (trie depth + 1) frames.
  struct frame {
    std::uint32_t node;
    std::size_t pos;
  };
  frame stack[kMaxDepth + 2];
  std::size_t sp = 0;
  stack[sp++] = {0, 0};
  const bool dollar = !topic.empty() && topic.front() == '$';  // §4.7.2: no first-level wildcard
  const std::size_t consumed = topic.size() + 1;
  std::size_t n = 0;

  // The level at `pos` is hashed once even when several frames (through '+') look it up.
  std::size_t hashed_pos = consumed;
  std::uint64_t level_hash = 0;

  while (sp) {
    const frame f = stack[--sp];
    const node& nd = nodes_[f.node];
    const bool root_of_dollar = dollar && f.node == 0;
    if (!root_of_dollar) n = add_ids(nd.hash_begin, nd.hash_end, out, n);  // "x/#" matches "x" too
    if (f.pos >= consumed) {
      n = add_ids(nd.exact_begin, nd.exact_end, out, n);
      continue;
    }
    auto end = topic.find('/', f.pos);
    if (end == std::string_view::npos) end = topic.size();
    const std::size_t next = end + 1;  // == consumed after the last level
    const std::string_view level = topic.substr(f.pos, end - f.pos);
    if (nd.plus_child && !root_of_dollar) stack[sp++] = {nd.plus_child, next};
    if (hashed_pos != f.pos) {
      level_hash = hash_level(level);
      hashed_pos = f.pos;
    }
    if (const std::uint32_t c = find_child(f.node, level, level_hash)) stack[sp++] = {c, next};
  }
  if (n > 1) std::sort(out, out + n);
  return n;
}

std::size_t topic_automaton::memory_bytes() const noexcept {
  std::size_t bytes = nodes_.capacity() * sizeof(node) + edges_.capacity() * sizeof(edge) + pool_.capacity() +
                      ids_.capacity() * sizeof(std::uint32_t) + id_repeats_.capacity() +
                      fallback_filters_.capacity() * sizeof(std::string) + fallback_ids_.capacity() * sizeof(std::uint32_t);
  for (const auto& f : fallback_filters_) bytes += f.capacity();  // approximate: ignores SSO
  return bytes;
}

std::size_t topic_automaton::match_linear(std::string_view topic, std::uint32_t* out) const noexcept {
  std::size_t n = 0;
  for (std::size_t i = 0; i < fallback_filters_.size(); ++i) {
    const std::uint32_t id = fallback_ids_[i];
    if (topic_matches(fallback_filters_[i], topic) && std::find(out, out + n, id) == out + n) out[n++] = id;
  }
  std::sort(out, out + n);
  return n;
}

}  // namespace mqrelay::engine
