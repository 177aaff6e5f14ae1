// topic_automaton: all mappings' topic filters of one source compiled into one matcher (SPEC §4.2).
//
// Design (cf. async_mqtt's broker subscription_map): a trie keyed by level. Node 0 is the root;
// each node may have
//   * literal children, found in ONE open-addressing hash table keyed by (parent node, level
//     bytes), so a node with 100,000 children costs the same lookup as a node with one;
//   * one '+' child, stored on the node;
//   * "hash ids": the ids of filters ending in '#' right below the node ("a/#" puts its ids on
//     node "a"), matched whenever the walk reaches the node — that is the parent-level rule;
//   * "exact ids": the ids of filters ending at the node, matched when the topic ends there.
// Matching walks the trie depth-first with the topic's levels; the walk forks only at '+', so
// the cost grows with the topic's levels and the number of '+' branches that actually apply,
// not with the number of filters. The state lives in a small fixed array on the caller's stack.
//
// Filters with more than kMaxDepth levels (never seen in practice: IoT Core allows 8) make the
// whole automaton fall back to a linear scan with topic_matches(): still correct, allocation-free
// and thread-safe, only slower.
//
// Semantics are exactly topic_matches() (topic_match.hpp): '$' topics are not matched by a
// first-level wildcard, "$share/GROUP/" is stripped, empty levels are levels.
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace mqrelay::engine {

class topic_automaton {
 public:
  // One filter and the id to report when it matches. Several entries may share a filter or an id.
  struct entry {
    std::string_view filter;  // a valid topic filter (codec::validate_topic_filter)
    std::uint32_t id;
  };

  // The trie depth up to which match() walks the trie; deeper filters use the linear fallback.
  static constexpr std::size_t kMaxDepth = 120;

  // An empty automaton: matches nothing, max_matches() == 0.
  topic_automaton() = default;

  // Builds the automaton. Copies what it needs: the entries' strings may die afterwards.
  // Allocates; throws std::bad_alloc only. O(total filter bytes + n log n) for n entries.
  static topic_automaton compile(std::span<const entry> entries);

  // Writes the ids of every entry whose filter matches `topic` to out[0..n), ascending and each
  // once, and returns n. `out` must have room for max_matches() ids.
  // No allocation, no locks, no exceptions: const and safe to call from many threads at once.
  std::size_t match(std::string_view topic, std::uint32_t* out) const noexcept;

  // The number of distinct ids: the most match() can ever return.
  std::size_t max_matches() const noexcept { return distinct_ids_; }

  // Introspection for tests and `--check`-style reports.
  std::size_t node_count() const noexcept { return nodes_.size(); }
  // Heap bytes held by the automaton (capacities of its arrays), for capacity planning.
  std::size_t memory_bytes() const noexcept;
  bool uses_linear_fallback() const noexcept { return !fallback_filters_.empty(); }

 private:
  struct node {
    std::uint32_t plus_child = 0;   // 0: none (the root is never a child)
    std::uint32_t exact_begin = 0;  // [exact_begin, exact_end) in ids_
    std::uint32_t exact_end = 0;
    std::uint32_t hash_begin = 0;   // [hash_begin, hash_end) in ids_
    std::uint32_t hash_end = 0;
  };
  // A literal edge: (parent, level) -> child. The level's bytes are in pool_.
  struct edge {
    std::uint64_t hash = 0;  // 0 marks an empty slot (real hashes are forced non-zero)
    std::uint32_t parent = 0;
    std::uint32_t child = 0;
    std::uint32_t text_offset = 0;
    std::uint32_t text_size = 0;
  };
  class builder;

  std::uint32_t find_child(std::uint32_t parent, std::string_view level, std::uint64_t level_hash) const noexcept;
  std::size_t match_linear(std::string_view topic, std::uint32_t* out) const noexcept;
  // Appends ids_[begin, end) to out[0..n), skipping ids already present when they may be.
  std::size_t add_ids(std::uint32_t begin, std::uint32_t end, std::uint32_t* out, std::size_t n) const noexcept;

  std::vector<node> nodes_;            // nodes_[0] is the root (empty when default-constructed)
  std::vector<edge> edges_;            // open addressing, size a power of two
  std::uint64_t edge_mask_ = 0;
  std::string pool_;                   // bytes of the literal levels
  std::vector<std::uint32_t> ids_;     // id lists of the nodes, each sorted and unique
  std::vector<std::uint8_t> id_repeats_;  // parallel to ids_: 1 when that id is in more than one list
  std::size_t distinct_ids_ = 0;

  // Linear fallback (only when some filter is deeper than kMaxDepth).
  std::vector<std::string> fallback_filters_;
  std::vector<std::uint32_t> fallback_ids_;
};

}  // namespace mqrelay::engine
