// topic_automaton: what the relay's routing relies on (SPEC §4.2) — every matching mapping id,
// each once, ascending, for any topic; checked on tables and against linear_matcher (the plain
// loop over topic_matches) on thousands of random filters and topics.
#include "engine/topic_automaton.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <thread>
#include <vector>

#include "engine/linear_matcher.hpp"
#include "tests/engine/routing_random.hpp"

namespace mqrelay::engine {
namespace {

using ids = std::vector<std::uint32_t>;

ids match_all(const topic_automaton& a, std::string_view topic) {
  ids out(a.max_matches() + 1, 0xDEADBEEF);  // one guard slot past the documented room
  const auto n = a.match(topic, out.data());
  EXPECT_EQ(out[a.max_matches()], 0xDEADBEEFu) << "wrote past max_matches() for " << topic;
  out.resize(n);
  return out;
}

ids match_all(const linear_matcher& m, std::string_view topic) {
  ids out(m.max_matches());
  out.resize(m.match(topic, out.data()));
  return out;
}

TEST(TopicAutomaton, EmptyMatchesNothing) {
  const topic_automaton def;
  EXPECT_EQ(def.max_matches(), 0u);
  EXPECT_TRUE(match_all(def, "a/b").empty());
  const auto compiled = topic_automaton::compile({});
  EXPECT_EQ(compiled.max_matches(), 0u);
  EXPECT_TRUE(match_all(compiled, "a").empty());
}

TEST(TopicAutomaton, MatchesEveryKindOfFilter) {
  const std::vector<topic_automaton::entry> entries = {
      {"a/b", 1}, {"a/+", 2}, {"a/#", 3}, {"#", 4}, {"+/b", 5}, {"$SYS/#", 6},
      {"$share/g/a/b", 7}, {"a//b", 8}, {"+/+/#", 9}, {"+", 10}, {"a/", 11},
  };
  const auto a = topic_automaton::compile(entries);
  EXPECT_EQ(a.max_matches(), 11u);
  EXPECT_EQ(match_all(a, "a/b"), (ids{1, 2, 3, 4, 5, 7, 9}));
  EXPECT_EQ(match_all(a, "a"), (ids{3, 4, 10}));  // "a/#" takes its parent level
  EXPECT_EQ(match_all(a, "a/"), (ids{2, 3, 4, 9, 11}));
  EXPECT_EQ(match_all(a, "a//b"), (ids{3, 4, 8, 9}));
  EXPECT_EQ(match_all(a, "x/b"), (ids{4, 5, 9}));
  EXPECT_EQ(match_all(a, "x/y/z"), (ids{4, 9}));
  EXPECT_EQ(match_all(a, "$SYS/b"), (ids{6}));  // no first-level wildcard matches '$' topics
  EXPECT_EQ(match_all(a, "$SYS"), (ids{6}));
  EXPECT_EQ(match_all(a, "$other"), (ids{}));
  EXPECT_EQ(match_all(a, "b/a/b"), (ids{4, 9}));
}

TEST(TopicAutomaton, SharedIdsAndFiltersAreReportedOnce) {
  const std::vector<topic_automaton::entry> entries = {
      {"a", 1}, {"a/#", 1}, {"+", 1},           // three filters, one id, all matching "a"
      {"a/b", 2}, {"a/b", 2}, {"a/b", 3},       // one filter three times, two ids
      {"$share/g/a/b", 3}, {"$share/h/a/b", 4}, // same inner filter, other groups
  };
  const auto a = topic_automaton::compile(entries);
  EXPECT_EQ(a.max_matches(), 4u);
  EXPECT_EQ(match_all(a, "a"), (ids{1}));
  EXPECT_EQ(match_all(a, "a/b"), (ids{1, 2, 3, 4}));
  EXPECT_EQ(match_all(a, "b"), (ids{1}));
}

TEST(TopicAutomaton, OwnsItsStrings) {
  topic_automaton a;
  {
    std::vector<std::string> filters = {"dev/+/temp", "dev/#"};
    const std::vector<topic_automaton::entry> entries = {{filters[0], 7}, {filters[1], 9}};
    a = topic_automaton::compile(entries);
    for (auto& f : filters) f.assign(f.size(), 'x');  // scribble, then let them die
  }
  EXPECT_EQ(match_all(a, "dev/1/temp"), (ids{7, 9}));
  const topic_automaton copy = a;
  EXPECT_EQ(match_all(copy, "dev/1/hum"), (ids{9}));
}

TEST(TopicAutomaton, LongTopicsAndDeepFilters) {
  std::string deep_topic = "a";
  for (int i = 0; i < 5000; ++i) deep_topic += "/a";
  const auto shallow = topic_automaton::compile(std::vector<topic_automaton::entry>{{"a/#", 1}, {"+/+", 2}, {"#", 3}});
  EXPECT_FALSE(shallow.uses_linear_fallback());
  EXPECT_EQ(match_all(shallow, deep_topic), (ids{1, 3}));

  // A filter deeper than the walk's fixed stack: still exact, through the linear fallback.
  std::string deep_filter = "+";
  for (std::size_t i = 0; i < topic_automaton::kMaxDepth + 10; ++i) deep_filter += "/+";
  std::string deep_match = "x";
  for (std::size_t i = 0; i < topic_automaton::kMaxDepth + 10; ++i) deep_match += "/x";
  const auto fallback = topic_automaton::compile(std::vector<topic_automaton::entry>{{deep_filter, 5}, {"x/#", 6}, {"x/#", 6}});
  EXPECT_TRUE(fallback.uses_linear_fallback());
  EXPECT_EQ(fallback.max_matches(), 2u);
  EXPECT_EQ(match_all(fallback, deep_match), (ids{5, 6}));
  EXPECT_EQ(match_all(fallback, "x"), (ids{6}));

  // Exactly kMaxDepth levels stays in the trie. The worst case for the walk's stack: a '+' branch
  // pending at every level of a literal chain ("x/+", "x/x/+", ...).
  std::string edge_filter = "+";
  for (std::size_t i = 1; i < topic_automaton::kMaxDepth; ++i) edge_filter += "/+";
  std::vector<topic_automaton::entry> edge_entries = {{edge_filter, 1}};
  std::vector<std::string> literal_filters;
  std::string lit = "x";
  for (std::size_t i = 1; i < topic_automaton::kMaxDepth; ++i) {
    literal_filters.push_back(lit + "/#");
    literal_filters.push_back(lit + "/+");
    lit += "/x";
  }
  for (std::size_t i = 0; i < literal_filters.size(); ++i)
    edge_entries.push_back({literal_filters[i], i % 2 ? 3u : 2u});
  const auto edge = topic_automaton::compile(edge_entries);
  EXPECT_FALSE(edge.uses_linear_fallback());
  std::string edge_topic = "x";
  for (std::size_t i = 1; i < topic_automaton::kMaxDepth; ++i) edge_topic += "/x";
  EXPECT_EQ(match_all(edge, edge_topic), (ids{1, 2, 3}));
  EXPECT_EQ(match_all(edge, edge_topic + "/x"), (ids{2}));
}

// The core property: the automaton reports exactly what the linear scan reports.
// Returns how many topics matched something, so callers can check the case was not vacuous.
std::size_t check_against_linear(std::uint32_t seed, int filters, int id_space, int topics) {
  std::mt19937 rng(seed);
  std::vector<std::string> strings;
  for (int i = 0; i < filters; ++i) strings.push_back(testing::random_filter(rng, 5, /*allow_share=*/true));
  std::uniform_int_distribution<std::uint32_t> id(0, static_cast<std::uint32_t>(id_space - 1));
  std::vector<topic_automaton::entry> entries;
  linear_matcher lin;
  for (const auto& s : strings) {
    const auto i = id(rng) * 7919u;  // sparse ids, not indices
    entries.push_back({s, i});
    lin.add(s, i);
  }
  const auto a = topic_automaton::compile(entries);
  EXPECT_EQ(a.max_matches(), lin.max_matches());
  std::size_t nonempty = 0;
  for (int t = 0; t < topics; ++t) {
    const auto topic = testing::random_topic(rng, 7);
    const auto expected = match_all(lin, topic);
    EXPECT_EQ(match_all(a, topic), expected) << "seed " << seed << " topic " << topic;
    nonempty += !expected.empty();
  }
  return nonempty;
}

// The generator must exercise matches, not only misses: at least 1 topic in 10 matches something.
TEST(TopicAutomaton, AgreesWithLinearScanDistinctIds) {
  for (std::uint32_t seed = 1; seed <= 4; ++seed) EXPECT_GT(check_against_linear(seed, 300, 1 << 20, 1500), 150u);
}

TEST(TopicAutomaton, AgreesWithLinearScanSharedIds) {
  for (std::uint32_t seed = 11; seed <= 14; ++seed) EXPECT_GT(check_against_linear(seed, 300, 20, 1500), 150u);
}

TEST(TopicAutomaton, AgreesWithLinearScanFewFilters) {
  std::size_t nonempty = 0;
  for (std::uint32_t seed = 21; seed <= 60; ++seed) nonempty += check_against_linear(seed, 1 + static_cast<int>(seed % 7), 4, 100);
  EXPECT_GT(nonempty, 400u);
}

// Concurrent readers of one automaton (run under TSan by scripts/test.sh's sanitizer builds).
TEST(TopicAutomaton, ConcurrentMatchesAgree) {
  std::mt19937 rng(99);
  std::vector<std::string> strings;
  for (int i = 0; i < 200; ++i) strings.push_back(testing::random_filter(rng, 4, true));
  std::vector<topic_automaton::entry> entries;
  for (std::size_t i = 0; i < strings.size(); ++i) entries.push_back({strings[i], static_cast<std::uint32_t>(i % 50)});
  const auto a = topic_automaton::compile(entries);
  std::vector<std::string> topics;
  std::vector<ids> expected;
  for (int i = 0; i < 300; ++i) {
    topics.push_back(testing::random_topic(rng, 5));
    expected.push_back(match_all(a, topics.back()));
  }
  std::vector<int> mismatches(4, 0);
  std::vector<std::thread> threads;
  for (int th = 0; th < 4; ++th) {
    threads.emplace_back([&, th] {
      std::vector<std::uint32_t> out(a.max_matches());
      for (int round = 0; round < 20; ++round)
        for (std::size_t i = 0; i < topics.size(); ++i) {
          const auto n = a.match(topics[i], out.data());
          if (ids(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(n)) != expected[i]) ++mismatches[static_cast<std::size_t>(th)];
        }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(mismatches, (std::vector<int>{0, 0, 0, 0}));
}

}  // namespace
}  // namespace mqrelay::engine
