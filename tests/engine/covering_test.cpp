// minimal_cover (SPEC §4.1): the relay subscribes to fewer filters but must still receive every
// message a mapping wants, with the subscription options that mapping asked for.
#include "engine/covering.hpp"

#include <gtest/gtest.h>

#include <random>
#include <span>
#include <string>
#include <vector>

#include "codec/topic.hpp"
#include "engine/topic_match.hpp"
#include "tests/engine/routing_random.hpp"

namespace mqrelay::engine {
namespace {

using idx = std::vector<std::size_t>;

subscription_request plain(std::string_view f) { return {f, false, false}; }

// The first, all-pairs minimal_cover, kept as the reference the trie-based one must agree with:
// i is dropped when some j with the same options covers it and is earlier or not covered back.
idx reference_cover(std::span<const subscription_request> reqs) {
  idx kept;
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

TEST(MinimalCover, EmptyInput) { EXPECT_TRUE(minimal_cover({}).empty()); }

TEST(MinimalCover, WiderFilterDropsNarrowerOnes) {
  const std::vector<subscription_request> r = {plain("a/b"), plain("a/#"), plain("a/+"), plain("b"), plain("a")};
  EXPECT_EQ(minimal_cover(r), (idx{1, 3}));  // "a/#" takes "a" too; result in input order
}

TEST(MinimalCover, HashCoversEverythingButDollarTopics) {
  const std::vector<subscription_request> r = {plain("x/y"), plain("$aws/things/t/shadow/#"), plain("#"), plain("+/z")};
  EXPECT_EQ(minimal_cover(r), (idx{1, 2}));
}

TEST(MinimalCover, DuplicatesAndEquivalentsKeepTheFirst) {
  const std::vector<subscription_request> r = {plain("a/+"), plain("a/+"), plain("+/#"), plain("#"), plain("a/+")};
  EXPECT_EQ(minimal_cover(r), (idx{2}));  // "+/#" and "#" are the same set of topics
  const std::vector<subscription_request> dup = {plain("a/+"), plain("b"), plain("a/+")};
  EXPECT_EQ(minimal_cover(dup), (idx{0, 1}));
}

TEST(MinimalCover, DifferentOptionsAreDifferentSubscriptions) {
  const std::vector<subscription_request> r = {
      {"a/#", true, false}, {"a/b", false, false}, {"a/c", true, false}, {"a/d", false, true}, {"a/#", false, true},
  };
  EXPECT_EQ(minimal_cover(r), (idx{0, 1, 4}));
}

TEST(MinimalCover, SharedSubscriptionsOnlyCoverTheirOwnGroup) {
  const std::vector<subscription_request> r = {
      plain("$share/g/a/#"), plain("$share/g/a/b"), plain("$share/h/a/b"), plain("a/b"), plain("#"),
  };
  EXPECT_EQ(minimal_cover(r), (idx{0, 2, 4}));
}

TEST(MinimalCover, IsDeterministic) {
  const std::vector<subscription_request> r = {plain("+/#"), plain("#"), plain("a"), plain("#"), plain("+/#")};
  const auto first = minimal_cover(r);
  EXPECT_EQ(first, (idx{0}));
  EXPECT_EQ(minimal_cover(r), first);
}

// Random requests: the chosen set still receives every topic of up to 5 levels that an input
// filter receives, through a filter with the same options and subscription kind; and no chosen
// filter is covered by another chosen one with the same options.
TEST(MinimalCover, RandomRequestsKeepEveryTopicAndStayMinimal) {
  const auto topics = testing::all_topics(5);
  for (std::uint32_t seed = 1; seed <= 12; ++seed) {
    std::mt19937 rng(seed);
    std::uniform_int_distribution<int> n_req(1, 25), bit(0, 3);
    std::vector<std::string> filters;
    const int n = n_req(rng);
    for (int i = 0; i < n; ++i) filters.push_back(testing::random_filter(rng, 4, /*allow_share=*/true));
    std::vector<subscription_request> reqs;
    for (const auto& f : filters) reqs.push_back({f, bit(rng) == 0, bit(rng) == 0});
    // Force some exact duplicates.
    if (n > 2) reqs.push_back(reqs[static_cast<std::size_t>(n) / 2]);

    const auto chosen = minimal_cover(reqs);
    ASSERT_FALSE(chosen.empty());
    for (std::size_t k = 1; k < chosen.size(); ++k) ASSERT_LT(chosen[k - 1], chosen[k]) << "input order";
    ASSERT_LT(chosen.back(), reqs.size());

    auto same_kind = [&](const subscription_request& x, const subscription_request& y) {
      return x.no_local == y.no_local && x.retain_as_published == y.retain_as_published &&
             x.filter.starts_with("$share/") == y.filter.starts_with("$share/") &&
             codec::split_shared(x.filter).group == codec::split_shared(y.filter).group;
    };
    for (const auto& r : reqs) {
      for (const auto& t : topics) {
        if (!topic_matches(r.filter, t)) continue;
        bool received = false;
        for (auto c : chosen) received = received || (same_kind(reqs[c], r) && topic_matches(reqs[c].filter, t));
        ASSERT_TRUE(received) << "seed " << seed << ": " << r.filter << " loses " << t;
      }
    }
    for (auto a : chosen) {
      for (auto b : chosen) {
        if (a == b || !same_kind(reqs[a], reqs[b])) continue;
        EXPECT_FALSE(filter_covers(reqs[a].filter, reqs[b].filter))
            << "seed " << seed << ": chose both " << reqs[a].filter << " and " << reqs[b].filter;
      }
    }
  }
}

// The fast minimal_cover returns exactly what the all-pairs reference returns: random filters over
// a small alphabet (so covers, equivalents and duplicates are frequent), random options, shared
// groups, plus hand-picked corner cases ('$' levels, empty levels, "#" vs "+/#", and a few
// invalid filters, for which both must still agree).
TEST(MinimalCover, AgreesWithTheAllPairsReference) {
  const std::vector<std::string> corners = {
      "#", "+/#", "+", "/", "//", "+/+", "$s/#", "+/$s", "$s", "$share/g/#", "$share/g/+/#", "$share/h/a",
      "a/#", "a", "a/", "/#", "+/+/#", "$share/g", "a/#/b", "", "$share/", "a/+/#",
  };
  for (std::uint32_t seed = 1; seed <= 400; ++seed) {
    std::mt19937 rng(seed);
    std::uniform_int_distribution<int> n_req(0, seed % 4 == 0 ? 300 : 40), bit(0, 3), pick(0, 9), levels(1, 6);
    std::uniform_int_distribution<std::size_t> corner(0, corners.size() - 1);
    std::vector<std::string> filters;
    const int n = n_req(rng);
    for (int i = 0; i < n; ++i) {
      filters.push_back(pick(rng) == 0 ? corners[corner(rng)] : testing::random_filter(rng, levels(rng), true));
    }
    std::vector<subscription_request> reqs;
    for (const auto& f : filters) reqs.push_back({f, bit(rng) == 0, bit(rng) == 0});
    for (int d = 0; d < n / 8; ++d) {  // exact duplicates, options included, anywhere later
      std::uniform_int_distribution<std::size_t> at(0, reqs.size() - 1);
      reqs.push_back(reqs[at(rng)]);
    }
    ASSERT_EQ(minimal_cover(reqs), reference_cover(reqs)) << "seed " << seed;
  }
}

// Many requests sharing long prefixes (the shapes the trie exists for), with wildcards at every
// depth and a few broad ones: still exactly the reference's answer.
TEST(MinimalCover, AgreesWithTheReferenceOnFleetShapes) {
  std::vector<std::string> filters = {"fleet/3/#", "fleet/+/x", "bench/#", "+/7/+", "fleet/+/+/#", "#"};
  for (int i = 0; i < 300; ++i) {
    const auto num = std::to_string(i % 97);
    filters.push_back("bench/" + num + "/+");
    filters.push_back("fleet/" + num + "/#");
    filters.push_back("fleet/" + num + "/x");
    filters.push_back("clients/" + num + "/temp/data");
  }
  std::vector<subscription_request> reqs;
  for (std::size_t i = 0; i < filters.size(); ++i) reqs.push_back({filters[i], i % 5 == 0, i % 11 == 0});
  EXPECT_EQ(minimal_cover(reqs), reference_cover(reqs));
  reqs.erase(reqs.begin() + 5);  // without "#": the others are no longer all covered
  EXPECT_EQ(minimal_cover(reqs), reference_cover(reqs));
}

}  // namespace
}  // namespace mqrelay::engine
