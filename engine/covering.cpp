// minimal_cover: drop every request that another kept-able request with the same options covers.
//
// The rule (unchanged from the first, all-pairs version, which tests/engine/covering_test.cpp keeps
// as its reference): i is dropped when some j (same options) covers it strictly, or covers it and
// is equivalent but earlier. Since covering is transitive, whatever drops i is itself either kept
// or dropped by a kept filter that then covers i too: the kept set still receives everything.
//
// How it avoids comparing all pairs (filter_covers depends only on what is named here):
//  * a "partition" is (no_local, retain_as_published, shared or not, $share group): requests of
//    different partitions never cover each other;
//  * requests with the same partition and the same inner filter (the filter without
//    "$share/GROUP/") form one group, all equivalent; its "representative" is its first index.
//    Later members are dropped by it, and the representative is dropped by another group exactly
//    when that group's representative drops it (it is that group's smallest index);
//  * an exact filter (no '+' or '#') covers only its own group, so exact filters are only
//    deduplicated (a hash table on partition + inner filter); the wildcard filters go into a trie
//    per partition, keyed by level and cut at '#' ("a/#" and "a/#/x" end on the same node);
//  * each representative walks its partition's trie with its own levels along only the branches
//    that can cover it (same literal, '+', '#', and "+/#" for a first-level '#').
// The walk yields a superset of the covering groups and every candidate is then checked with
// filter_covers itself, so the result is the all-pairs result whatever the walk lets through.
// Cost: O(total filter length) hashing, plus per representative the trie branches that match its
// levels (forks only at '+' children) and one filter_covers per candidate met before the first
// that drops it. Memory: O(n) indices plus O(wildcard levels) trie nodes.
#include "engine/covering.hpp"

#include <cstdint>
#include <map>
#include <tuple>

#include "codec/topic.hpp"
#include "engine/topic_match.hpp"

namespace mqrelay::engine {
namespace {

constexpr std::uint32_t kNone = UINT32_MAX;

// An open-addressing hash table of ids keyed by (number, text), linear probing, load factor at
// most 1/2 (doubles when reached). It stores only each id and its key's hash: the caller's key_of
// gives an id's key back for comparison, so texts stay views into the caller's filters.
class id_table {
 public:
  // The id whose key is (num, text), or kNone. key_of(id) -> std::pair<uint32_t, string_view>.
  template <class KeyOf>
  std::uint32_t find(std::uint32_t num, std::string_view text, const KeyOf& key_of) const noexcept {
    const auto h = hash(num, text);
    const auto mask = slots_.size() - 1;
    for (auto i = h & mask;; i = (i + 1) & mask) {
      const auto& s = slots_[i];
      if (s.id == kNone) return kNone;
      if (s.hash == h) {
        const auto [n, t] = key_of(s.id);
        if (n == num && t == text) return s.id;
      }
    }
  }

  // Records id under (num, text), a key find() just reported absent.
  void add(std::uint32_t num, std::string_view text, std::uint32_t id) {
    put({hash(num, text), id});
    if (2 * ++size_ > slots_.size()) {
      std::vector<slot> old(slots_.size() * 2);
      old.swap(slots_);
      for (const auto& s : old)
        if (s.id != kNone) put(s);
    }
  }

 private:
  struct slot {
    std::uint32_t hash = 0;
    std::uint32_t id = kNone;  // kNone: empty slot
  };

  static std::uint32_t hash(std::uint32_t num, std::string_view text) noexcept {
    std::uint64_t h = 0xcbf29ce484222325ull ^ num;  // FNV-1a, then a murmur3 finaliser
    for (unsigned char c : text) h = (h ^ c) * 0x100000001b3ull;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    return static_cast<std::uint32_t>(h);
  }

  void put(slot s) noexcept {
    const auto mask = slots_.size() - 1;
    auto i = s.hash & mask;
    while (slots_[i].id != kNone) i = (i + 1) & mask;
    slots_[i] = s;
  }

  std::vector<slot> slots_ = std::vector<slot>(64);
  std::size_t size_ = 0;
};

// The current level of s at pos (levels as in topic_match.cpp: "" has none, "a/" has two),
// whether another follows, and where.
struct level_at {
  std::string_view level;
  bool more;
  std::size_t next;
};
level_at level_of(std::string_view s, std::size_t pos) noexcept {
  const auto slash = s.find('/', pos);
  if (slash == std::string_view::npos) return {s.substr(pos), false, s.size()};
  return {s.substr(pos, slash - pos), true, slash + 1};
}

// The wildcard filters of all partitions: one root per partition, literal children in one id_table
// keyed by (parent node, level), '+' and '#' children on the node.
class wildcard_trie {
 public:
  // One group of wildcard requests: their full filter (for filter_covers), inner filter, and
  // representative (smallest index).
  struct group {
    std::string_view filter, inner;
    std::uint32_t rep;
    std::uint32_t next;  // next group ending on the same node, or kNone
  };

  std::uint32_t new_root() { return add_node(); }

  // Adds request i (filter, with this inner filter, in the partition of root) and returns the
  // representative index of its group: i itself when its inner filter is new to the partition.
  std::uint32_t insert(std::uint32_t root, std::string_view filter, std::string_view inner, std::uint32_t i) {
    std::uint32_t n = root;
    for (std::size_t pos = 0, more = !inner.empty(); more;) {
      const auto l = level_of(inner, pos);
      if (l.level == "#") {  // '#' covers everything below it: the rest of the filter is moot
        n = child(n, &node::hash);
        break;
      }
      n = l.level == "+" ? child(n, &node::plus) : literal_child(n, l.level);
      pos = l.next;
      more = l.more;
    }
    for (auto g = nodes_[n].groups; g != kNone; g = groups_[g].next)
      if (groups_[g].inner == inner) return groups_[g].rep;
    groups_.push_back({filter, inner, i, nodes_[n].groups});
    nodes_[n].groups = static_cast<std::uint32_t>(groups_.size() - 1);
    return i;
  }

  // True when pred(group) holds for some group of root's partition whose filter might cover
  // `inner` (a superset of the groups that do). Iterative: filters may have thousands of levels.
  template <class Pred>
  bool any_candidate(std::uint32_t root, std::string_view inner, const Pred& pred) {
    stack_.clear();
    stack_.push_back({root, 0, !inner.empty(), true});
    while (!stack_.empty()) {
      const auto [n, pos, more, first] = stack_.back();
      stack_.pop_back();
      const auto nd = nodes_[n];
      if (any_on(nd.hash, pred)) return true;  // "x/#" covers whatever follows "x", "x" included
      if (!more) {
        if (any_on(n, pred)) return true;
        continue;
      }
      const auto l = level_of(inner, pos);
      if (l.level == "#") {
        // Only '#' (seen above) covers a '#', or "+/#" when it is the first level.
        if (first && nd.plus != kNone && any_on(nodes_[nd.plus].hash, pred)) return true;
        continue;
      }
      if (nd.plus != kNone) stack_.push_back({nd.plus, l.next, l.more, false});
      if (l.level != "+") {  // a literal covers only the same literal
        const auto c = literal_.find(n, l.level, key_of());
        if (c != kNone) stack_.push_back({c, l.next, l.more, false});
      }
    }
    return false;
  }

 private:
  struct node {
    std::uint32_t plus = kNone;    // '+' child
    std::uint32_t hash = kNone;    // '#' child: groups ending in '#' (or cut at it) right below
    std::uint32_t groups = kNone;  // first group whose levels end exactly here
    std::uint32_t parent = kNone;  // literal children: their key in literal_
    std::string_view level;
  };
  // A pending branch of any_candidate's walk: trie node and the narrow filter's next level.
  struct state {
    std::uint32_t node;
    std::size_t pos;
    bool more, first;
  };

  // The literal_ key of node c (a named type, so that it can be used above its definition).
  struct node_key {
    const std::vector<node>* nodes;
    std::pair<std::uint32_t, std::string_view> operator()(std::uint32_t c) const {
      return {(*nodes)[c].parent, (*nodes)[c].level};
    }
  };
  node_key key_of() const { return node_key{&nodes_}; }
  std::uint32_t add_node() {
    nodes_.emplace_back();
    return static_cast<std::uint32_t>(nodes_.size() - 1);
  }
  // The '+' or '#' child of parent (slot = &node::plus or &node::hash), created if missing.
  std::uint32_t child(std::uint32_t parent, std::uint32_t node::*slot) {
    if (nodes_[parent].*slot == kNone) {
      const auto c = add_node();  // may reallocate nodes_: index parent only afterwards
      nodes_[parent].*slot = c;
    }
    return nodes_[parent].*slot;
  }
  std::uint32_t literal_child(std::uint32_t parent, std::string_view level) {
    if (const auto c = literal_.find(parent, level, key_of()); c != kNone) return c;
    const auto c = add_node();
    nodes_[c].parent = parent;
    nodes_[c].level = level;
    literal_.add(parent, level, c);
    return c;
  }
  // True when pred holds for a group ending on node n (kNone: no node, false).
  template <class Pred>
  bool any_on(std::uint32_t n, const Pred& pred) const {
    if (n == kNone) return false;
    for (auto g = nodes_[n].groups; g != kNone; g = groups_[g].next)
      if (pred(groups_[g])) return true;
    return false;
  }

  std::vector<node> nodes_;
  std::vector<group> groups_;
  id_table literal_;
  std::vector<state> stack_;
};

}  // namespace

std::vector<std::size_t> minimal_cover(std::span<const subscription_request> reqs) {
  const std::size_t n = reqs.size();
  // Partition -> id, which is also its root in the trie.
  std::map<std::tuple<bool, bool, bool, std::string_view>, std::uint32_t> partitions;
  wildcard_trie trie;
  id_table exact;  // (partition, inner filter) -> representative, for exact filters
  std::vector<std::uint32_t> part_of(n), rep_of(n);
  std::vector<std::string_view> inner_of(n);
  const auto key_of = [&](std::uint32_t i) { return std::make_pair(part_of[i], inner_of[i]); };
  for (std::size_t i = 0; i < n; ++i) {
    const auto& r = reqs[i];
    const auto s = codec::split_shared(r.filter);
    const auto key = std::make_tuple(r.no_local, r.retain_as_published, r.filter.starts_with("$share/"), s.group);
    auto it = partitions.find(key);
    if (it == partitions.end()) it = partitions.emplace(key, trie.new_root()).first;
    const auto part = it->second, idx = static_cast<std::uint32_t>(i);
    part_of[i] = part;
    inner_of[i] = s.filter;
    if (s.filter.find_first_of("+#") != std::string_view::npos) {
      rep_of[i] = trie.insert(part, r.filter, s.filter, idx);
    } else if (const auto rep = exact.find(part, s.filter, key_of); rep != kNone) {
      rep_of[i] = rep;
    } else {
      exact.add(part, s.filter, idx);
      rep_of[i] = idx;
    }
  }

  // A representative is dropped by a group that covers it and is earlier or not covered back.
  // Exact filters cover only their own group, so the candidates are all in the wildcard trie.
  std::vector<std::size_t> kept;
  for (std::size_t i = 0; i < n; ++i) {
    if (rep_of[i] != i) continue;  // an earlier request of its group covers it
    const auto filter = reqs[i].filter;
    const bool dropped = trie.any_candidate(part_of[i], inner_of[i], [&](const wildcard_trie::group& g) {
      if (g.rep == i || !filter_covers(g.filter, filter)) return false;
      return g.rep < i || !filter_covers(filter, g.filter);
    });
    if (!dropped) kept.push_back(i);
  }
  return kept;
}

}  // namespace mqrelay::engine
