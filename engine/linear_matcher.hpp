// linear_matcher: the plain reference matcher — every filter tried in turn with topic_matches().
// It is the oracle of the automaton tests and the baseline of the automaton benchmark; the relay
// itself uses topic_automaton. Same contract as topic_automaton::match().
#pragma once
#include <algorithm>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include "engine/topic_match.hpp"

namespace mqrelay::engine {

class linear_matcher {
 public:
  linear_matcher() = default;

  // Copies the filters. Allocates.
  void add(std::string_view filter, std::uint32_t id) {
    filters_.emplace_back(std::string(filter), id);
    ids_.insert(id);
  }

  // Writes the matching ids to out (ascending, each once) and returns how many; out needs room for
  // max_matches(). O(number of filters × topic length). No allocation; const, thread-safe.
  std::size_t match(std::string_view topic, std::uint32_t* out) const noexcept {
    std::size_t n = 0;
    for (const auto& [filter, id] : filters_)
      if (topic_matches(filter, topic) && std::find(out, out + n, id) == out + n) out[n++] = id;
    std::sort(out, out + n);
    return n;
  }

  std::size_t max_matches() const noexcept { return ids_.size(); }
  std::size_t size() const noexcept { return filters_.size(); }

 private:
  std::vector<std::pair<std::string, std::uint32_t>> filters_;
  std::unordered_set<std::uint32_t> ids_;  // distinct ids
};

}  // namespace mqrelay::engine
