// topic_matches / filter_covers / filters_intersect: MQTT §4.7 semantics on mosquitto's and
// paho's catalogue of edge cases, then filter_covers and filters_intersect checked exhaustively
// against their definition (over every topic of up to 5 levels) on random filters.
#include "engine/topic_match.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "codec/topic.hpp"
#include "tests/engine/routing_random.hpp"

namespace mqrelay::engine {
namespace {

struct match_case {
  const char* filter;
  const char* topic;
  bool expected;
};

const match_case kMatchCases[] = {
    // mosquitto test/lib "09-util-topic-matching" and paho's topic_matches_sub catalogue
    {"foo/bar", "foo/bar", true},
    {"foo/+", "foo/bar", true},
    {"foo/+/baz", "foo/bar/baz", true},
    {"foo/+/#", "foo/bar/baz", true},
    {"A/B/+/#", "A/B/B/C", true},
    {"#", "foo/bar/baz", true},
    {"#", "/foo/bar", true},
    {"/#", "/foo/bar", true},
    {"$SYS/bar", "$SYS/bar", true},
    {"test/6/#", "test/3", false},
    {"foo/bar", "foo", false},
    {"foo/+", "foo/bar/baz", false},
    {"foo/+/baz", "foo/bar/bar", false},
    {"foo/+/#", "fo2/bar/baz", false},
    {"/#", "foo/bar", false},
    {"$BOB/bar", "$SYS/bar", false},
    // '#' takes its parent level (§4.7.1.2)
    {"foo/#", "foo", true},
    {"foo/#", "foo/", true},
    {"foo/#", "fooo", false},
    {"foo/+/#", "foo/bar", true},
    {"foo/+/#", "foo", false},
    {"sport/tennis/player1/#", "sport/tennis/player1", true},
    {"sport/tennis/player1/#", "sport/tennis/player1/ranking", true},
    {"sport/tennis/player1/#", "sport/tennis/player1/score/wimbledon", true},
    // '+' is exactly one level, an empty one too (§4.7.1.3)
    {"sport/+", "sport", false},
    {"sport/+", "sport/", true},
    {"+", "foo", true},
    {"+", "/foo", false},
    {"+/+", "/foo", true},
    {"/+", "/foo", true},
    {"+/+", "/", true},
    {"+", "/", false},
    {"foo/+", "foo", false},
    // empty levels are levels
    {"foo//bar", "foo//bar", true},
    {"foo/+/bar", "foo//bar", true},
    {"foo//bar", "foo/bar", false},
    {"foo/bar", "foo//bar", false},
    {"foo", "foo/", false},
    {"foo/", "foo", false},
    {"foo/", "foo/", true},
    {"/foo", "foo", false},
    {"#", "/", true},
    // '$' topics and first-level wildcards (§4.7.2)
    {"#", "$SYS/bar", false},
    {"#", "$SYS", false},
    {"+", "$SYS", false},
    {"+/x", "$SYS/x", false},
    {"+/monitor/Clients", "$SYS/monitor/Clients", false},
    {"+/#", "$SYS/x", false},
    {"$SYS/#", "$SYS", true},
    {"$SYS/#", "$SYS/monitor/Clients", true},
    {"$SYS/+", "$SYS/x", true},
    {"$aws/things/+/shadow/update", "$aws/things/t1/shadow/update", true},
    {"+/+", "a/$x", true},  // only the first character of the topic counts
    {"a/#", "a/$x", true},
    // "$share/GROUP/" is stripped (MQTT 5 §4.8.2)
    {"$share/g/foo/#", "foo/bar", true},
    {"$share/g/foo/bar", "foo/bar", true},
    {"$share/g/foo/bar", "$share/g/foo/bar", false},
    {"$share/g/#", "$SYS/x", false},
    {"$share/g/+/x", "a/x", true},
    {"$share/g/+/x", "g/y", false},
};

TEST(TopicMatches, Catalogue) {
  for (const auto& c : kMatchCases) {
    ASSERT_EQ(codec::validate_topic_filter(c.filter), codec::topic_error::ok) << c.filter;
    ASSERT_EQ(codec::validate_topic_name(c.topic), codec::topic_error::ok) << c.topic;
    EXPECT_EQ(topic_matches(c.filter, c.topic), c.expected) << c.filter << " vs topic " << c.topic;
  }
}

struct pair_case {
  const char* a;
  const char* b;
  bool expected;
};

// filter_covers(wide=a, narrow=b)
const pair_case kCoverCases[] = {
    {"a/#", "a", true},
    {"a/#", "a/", true},
    {"a/#", "a/b/c", true},
    {"a/#", "a/+", true},
    {"a/#", "a/#", true},
    {"a/+", "a/#", false},
    {"a", "a/#", false},
    {"#", "a/#", true},
    {"#", "+", true},
    {"#", "/", true},
    {"#", "$SYS/#", false},
    {"#", "$SYS", false},
    {"+", "$SYS", false},
    {"+/#", "$SYS/x", false},
    {"+/#", "#", true},  // both match every non-'$' topic (no topic has zero levels)
    {"#", "+/#", true},
    {"+/+/#", "#", false},
    {"a/+/#", "a/#", false},
    {"a/+/#", "a/b/#", true},
    {"a/+", "a/b", true},
    {"a/b", "a/+", false},
    {"a/+", "a/b/c", false},
    {"a/b", "a/b", true},
    {"+/b", "a/b", true},
    {"a//b", "a/+/b", false},
    {"a/+/b", "a//b", true},
    {"$SYS/#", "$SYS/+", true},
    {"$SYS/+", "$SYS/#", false},
    {"$share/g/a/#", "$share/g/a/b", true},
    {"$share/g/a/#", "a/b", false},  // a different subscription at the broker
    {"a/#", "$share/g/a/b", false},
    {"$share/g/#", "$share/h/a", false},
    {"$share/g/a", "$share/g/a", true},
};

TEST(FilterCovers, Catalogue) {
  for (const auto& c : kCoverCases) EXPECT_EQ(filter_covers(c.a, c.b), c.expected) << c.a << " covers " << c.b;
}

const pair_case kIntersectCases[] = {
    {"a/+", "+/b", true},
    {"a/b", "a/c", false},
    {"#", "$SYS/x", false},
    {"+/x", "$SYS/x", false},
    {"+/#", "$SYS/#", false},
    {"$SYS/#", "$SYS/x", true},
    {"$SYS/+", "$SYS", false},
    {"a/#", "a", true},
    {"a", "a/#", true},
    {"a/+", "a", false},
    {"a/+/#", "a", false},
    {"a/+/#", "a/b", true},
    {"a//b", "a/+/b", true},
    {"+", "+/+", false},
    {"#", "+/+", true},
    {"/+", "+/", true},  // the topic "/"
    {"$share/g/a/#", "$share/h/a/b", true},
    {"$share/g/a/#", "b", false},
    {"a/#", "$share/g/a/x", true},
};

TEST(FiltersIntersect, Catalogue) {
  for (const auto& c : kIntersectCases) {
    EXPECT_EQ(filters_intersect(c.a, c.b), c.expected) << c.a << " and " << c.b;
    EXPECT_EQ(filters_intersect(c.b, c.a), c.expected) << c.b << " and " << c.a;
  }
}

// The definitions, checked by brute force: every topic of up to 5 levels over an alphabet that
// contains each filter level plus one no filter names. Filters have at most 4 levels, so any
// counterexample or common topic has a representative in that set.
TEST(FilterRelations, AgreeWithTheirDefinitionOnRandomFilters) {
  const auto topics = testing::all_topics(5);
  std::size_t covers = 0, intersects = 0, pairs = 0;
  for (std::uint32_t seed : {1u, 2u, 3u}) {
    std::mt19937 rng(seed);
    std::vector<std::string> filters;
    for (int i = 0; i < 40; ++i) filters.push_back(testing::random_filter(rng, 4, /*allow_share=*/true));
    for (const auto& f : filters) ASSERT_EQ(codec::validate_topic_filter(f), codec::topic_error::ok) << f;
    // Precompute each filter's match set.
    std::vector<std::vector<bool>> matched(filters.size(), std::vector<bool>(topics.size()));
    for (std::size_t i = 0; i < filters.size(); ++i)
      for (std::size_t t = 0; t < topics.size(); ++t) matched[i][t] = topic_matches(filters[i], topics[t]);
    for (std::size_t i = 0; i < filters.size(); ++i) {
      for (std::size_t j = 0; j < filters.size(); ++j) {
        bool subset = true, common = false;
        for (std::size_t t = 0; t < topics.size(); ++t) {
          if (matched[j][t] && !matched[i][t]) subset = false;
          if (matched[j][t] && matched[i][t]) common = true;
        }
        const auto gi = codec::split_shared(filters[i]), gj = codec::split_shared(filters[j]);
        const bool same_subscription_kind =
            filters[i].starts_with("$share/") == filters[j].starts_with("$share/") && gi.group == gj.group;
        EXPECT_EQ(filter_covers(filters[i], filters[j]), subset && same_subscription_kind)
            << "seed " << seed << ": " << filters[i] << " covers " << filters[j];
        EXPECT_EQ(filters_intersect(filters[i], filters[j]), common)
            << "seed " << seed << ": " << filters[i] << " and " << filters[j];
        covers += subset && same_subscription_kind;
        intersects += common;
        ++pairs;
      }
    }
  }
  // Both answers must have been exercised, beyond the reflexive pairs.
  EXPECT_GT(covers, pairs / 20 + 120);
  EXPECT_LT(covers, pairs / 2);
  EXPECT_GT(intersects, pairs / 10);
  EXPECT_LT(intersects, pairs - pairs / 10);
}

}  // namespace
}  // namespace mqrelay::engine
