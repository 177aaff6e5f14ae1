// The minimal covering subscription set of one source (SPEC §4.1).
//
// The relay subscribes once per source to the smallest set of filters that still receives every
// message some mapping wants: a filter covered by another filter with the same subscription
// options is not subscribed (fewer subscriptions — IoT Core allows 50 per connection — and no
// duplicate deliveries from the broker). Options matter because the broker applies them per
// subscription: "a/#" with noLocal does not stand in for "a/b" without it.
#pragma once
#include <cstddef>
#include <span>
#include <string_view>
#include <vector>

namespace mqrelay::engine {

struct subscription_request {
  std::string_view filter;   // a valid topic filter, possibly "$share/GROUP/..."
  bool no_local;             // MQTT 5 subscription option (§3.8.3.1)
  bool retain_as_published;  // MQTT 5 subscription option (§3.8.3.1)
};

// Indices into reqs of the filters to subscribe to. A request is dropped when another one with the
// same options covers it (engine::filter_covers); of requests that cover each other (identical
// duplicates, or equivalents like "#" and "+/#") the first is kept. The result is in input order
// and depends only on the input. Shared filters cover only shared filters of the same group.
// Allocates O(n) memory (n = mappings of one source); no shared state, so concurrent calls are
// safe. Near-linear for realistic inputs (exact filters are hashed, wildcard filters walked in a
// per-partition trie; see covering.cpp): ~40-90 ms for 100,000 mappings. Adversarial wildcard
// sets (many distinct filters covering one request, '+' at every level) can still cost up to
// O(n²) filter comparisons.
std::vector<std::size_t> minimal_cover(std::span<const subscription_request> reqs);

}  // namespace mqrelay::engine
