// minimal_cover: drop every request that another kept-able request with the same options covers.
#include "engine/covering.hpp"

#include "engine/topic_match.hpp"

namespace mqrelay::engine {

std::vector<std::size_t> minimal_cover(std::span<const subscription_request> reqs) {
  // i is dropped when some j (same options) covers it strictly, or covers it and is equivalent but
  // earlier. Since covering is transitive, whatever drops i is itself either kept or dropped by a
  // kept filter that then covers i too: the kept set still receives everything.
  std::vector<std::size_t> kept;
  for (std::size_t i = 0; i < reqs.size(); ++i) {
    const auto& r = reqs[i];
    bool dropped = false;
    for (std::size_t j = 0; j < reqs.size() && !dropped; ++j) {
      const auto& o = reqs[j];
      if (j == i || o.no_local != r.no_local || o.retain_as_published != r.retain_as_published) continue;
      if (!filter_covers(o.filter, r.filter)) continue;
      dropped = j < i || !filter_covers(r.filter, o.filter);
    }
    if (!dropped) kept.push_back(i);
  }
  return kept;
}

}  // namespace mqrelay::engine
