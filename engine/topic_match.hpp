// MQTT topic-filter semantics as plain functions (MQTT 3.1.1 §4.7, MQTT 5 §4.7 and §4.8.2).
//
// These are the reference semantics of the relay: the compiled automaton (topic_automaton.hpp)
// must agree with topic_matches(), the covering set (covering.hpp) is built on filter_covers(),
// and the configuration's loop warnings (SPEC §4.9) use filters_intersect().
//
// Rules applied:
//  * levels are separated by '/'; empty levels are levels ("a//b" has three, "/a" and "a/" two);
//  * '+' matches exactly one level (an empty one too); '#' matches the rest of the topic, its
//    parent level included: "a/#" matches "a", "a/" and "a/b/c" (§4.7.1.2);
//  * a topic whose first character is '$' is not matched by a filter whose first level is a
//    wildcard: "#" and "+/x" do not match "$SYS/x" (§4.7.2);
//  * "$share/GROUP/" is stripped from a filter before matching (MQTT 5 §4.8.2).
//
// Inputs are assumed valid (codec::validate_topic_filter / validate_topic_name); an invalid input
// gives an unspecified boolean but never undefined behaviour.
// All functions are pure: no allocation, no exceptions, thread-safe.
#pragma once
#include <string_view>

namespace mqrelay::engine {

// True when `topic` (a PUBLISH topic name) matches `filter` (a subscription filter, possibly shared).
bool topic_matches(std::string_view filter, std::string_view topic) noexcept;

// True when every topic that `narrow` matches is also matched by `wide` (so subscribing to `wide`
// alone receives everything `narrow` would). A shared and a non-shared filter, or two shared
// filters of different groups, never cover each other: they are different subscriptions at the
// broker. Reflexive ("a/#" covers "a/#") and transitive.
bool filter_covers(std::string_view wide, std::string_view narrow) noexcept;

// True when at least one topic matches both filters. Shared filters are compared by their inner
// filter, whatever their groups: the question is whether one message can match both.
bool filters_intersect(std::string_view a, std::string_view b) noexcept;

}  // namespace mqrelay::engine
