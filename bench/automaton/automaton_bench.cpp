// ns/match of the compiled topic automaton against the linear scan of the same filters (SPEC §5),
// at 10, 1,000 and 100,000 filters. Every scenario first checks that both matchers report the
// same ids for every topic of its topic set; a difference aborts the benchmark with an error.
//
// Filters look like a fleet's mappings: mostly exact per-device sensor topics, with some
// per-device '+' and '#', per-site wildcards, IoT Core shadows and (from 1,000 filters up) ten
// fleet-wide wildcards such as "fleet/#" and "clients/+/temp/alarm".
// Topics are drawn from the same space, about one in five matching nothing.
//
//   build-routing/bench/automaton/automaton_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
//
// BM_MinimalCover times engine::minimal_cover (SPEC §4.1, run once per source at start-up) on
// 100,000 requests of four shapes: the fleet mix above, exact filters only, "bench/<i>/+" and
// "fleet/<i>/#" (the last two with a few broad wildcards such as "#" and "bench/#"):
//
//   build-cover/bench/automaton/automaton_bench --benchmark_filter=MinimalCover
#include <benchmark/benchmark.h>

#include <cstdint>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "engine/covering.hpp"
#include "engine/linear_matcher.hpp"
#include "engine/topic_automaton.hpp"

namespace {

using mqrelay::engine::linear_matcher;
using mqrelay::engine::topic_automaton;

const char* const kSensors[] = {"temp", "hum", "co2", "door", "power", "gps", "vib", "light"};
const char* const kRegions[] = {"eu-west-1", "eu-central-1", "us-east-1", "us-west-2", "ap-south-1"};

struct scenario {
  std::vector<std::string> filters;
  std::vector<std::string> topics;
  topic_automaton automaton;
  linear_matcher linear;
  std::string error;  // non-empty when the two matchers disagree
  double matches_per_topic = 0;
};

std::string device(std::uint32_t i) { return "dev" + std::to_string(i); }

std::unique_ptr<scenario> make_scenario(std::size_t n_filters) {
  auto s = std::make_unique<scenario>();
  std::mt19937 rng(static_cast<std::uint32_t>(n_filters));
  const auto devices = static_cast<std::uint32_t>(n_filters / 4 + 1);
  std::uniform_int_distribution<std::uint32_t> dev(0, devices - 1), kind(0, 99);
  std::uniform_int_distribution<std::size_t> sensor(0, std::size(kSensors) - 1), region(0, std::size(kRegions) - 1);
  const auto sites = static_cast<std::uint32_t>(n_filters / 20 + 1);
  std::uniform_int_distribution<std::uint32_t> site(0, sites - 1);
  // A fixed handful of fleet-wide filters, whatever the size (only from 1,000 filters up).
  if (n_filters >= 1000) {
    s->filters = {"fleet/#", "$aws/things/+/shadow/update/accepted"};
    for (const char* sn : kSensors) s->filters.push_back(std::string("clients/+/") + sn + "/alarm");
  }
  while (s->filters.size() < n_filters) {
    const std::uint32_t k = kind(rng);
    const std::string d = device(dev(rng));
    std::string f;
    if (k < 70) {
      f = "clients/" + d + "/" + kSensors[sensor(rng)] + "/data";
    } else if (k < 82) {
      f = "clients/" + d + "/+/data";
    } else if (k < 90) {
      f = "clients/" + d + "/#";
    } else if (k < 97) {
      f = "sites/site" + std::to_string(site(rng)) + "/" + kRegions[region(rng)] + "/+/status";
    } else {
      f = "$aws/things/" + d + "/shadow/update/accepted";
    }
    s->filters.push_back(std::move(f));
  }
  std::vector<topic_automaton::entry> entries;
  for (std::size_t i = 0; i < s->filters.size(); ++i) {
    entries.push_back({s->filters[i], static_cast<std::uint32_t>(i)});
    s->linear.add(s->filters[i], static_cast<std::uint32_t>(i));
  }
  s->automaton = topic_automaton::compile(entries);

  for (int i = 0; i < 1024; ++i) {
    const std::uint32_t k = kind(rng);
    const std::string d = device(dev(rng));
    if (k < 60) {
      s->topics.push_back("clients/" + d + "/" + kSensors[sensor(rng)] + "/data");
    } else if (k < 70) {
      s->topics.push_back("clients/" + d + "/" + kSensors[sensor(rng)] + "/alarm");
    } else if (k < 75) {
      s->topics.push_back("sites/site" + std::to_string(site(rng)) + "/" + kRegions[region(rng)] + "/" + d + "/status");
    } else if (k < 80) {
      s->topics.push_back(std::string("fleet/") + kRegions[region(rng)] + "/" + d + "/status");
    } else if (k < 82) {
      s->topics.push_back("$aws/things/" + d + "/shadow/update/accepted");
    } else {
      s->topics.push_back("unmapped/" + d + "/" + kSensors[sensor(rng)]);
    }
  }

  // Check before timing: identical match sets for every topic (the linear scan at 100k filters
  // is slow, so it checks a quarter of the set there).
  std::vector<std::uint32_t> a(s->automaton.max_matches()), b(s->linear.max_matches());
  const std::size_t checked = n_filters > 10000 ? s->topics.size() / 4 : s->topics.size();
  std::size_t total = 0;
  for (std::size_t i = 0; i < checked; ++i) {
    const auto na = s->automaton.match(s->topics[i], a.data());
    const auto nb = s->linear.match(s->topics[i], b.data());
    if (na != nb || !std::equal(a.begin(), a.begin() + static_cast<std::ptrdiff_t>(na), b.begin())) {
      s->error = "automaton and linear scan disagree on " + s->topics[i];
      break;
    }
    total += na;
  }
  s->matches_per_topic = static_cast<double>(total) / static_cast<double>(checked);
  return s;
}

scenario& get(std::size_t n) {
  static std::map<std::size_t, std::unique_ptr<scenario>> cache;
  auto& p = cache[n];
  if (!p) p = make_scenario(n);
  return *p;
}

template <class Matcher>
void run(benchmark::State& state, const scenario& s, const Matcher& m) {
  if (!s.error.empty()) {
    state.SkipWithError(s.error.c_str());
    return;
  }
  std::vector<std::uint32_t> out(m.max_matches() + 1);
  std::size_t i = 0, found = 0;
  for (auto _ : state) {
    const auto n = m.match(s.topics[i], out.data());
    benchmark::DoNotOptimize(n);
    found += n;
    i = (i + 1) & 1023;
  }
  benchmark::DoNotOptimize(found);
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.counters["filters"] = static_cast<double>(s.filters.size());
  state.counters["matches/topic"] = s.matches_per_topic;
}

void BM_Automaton(benchmark::State& state) {
  const auto& s = get(static_cast<std::size_t>(state.range(0)));
  run(state, s, s.automaton);
}

void BM_LinearScan(benchmark::State& state) {
  const auto& s = get(static_cast<std::size_t>(state.range(0)));
  run(state, s, s.linear);
}

void BM_Compile(benchmark::State& state) {
  const auto& s = get(static_cast<std::size_t>(state.range(0)));
  std::vector<topic_automaton::entry> entries;
  for (std::size_t i = 0; i < s.filters.size(); ++i) entries.push_back({s.filters[i], static_cast<std::uint32_t>(i)});
  std::size_t bytes = 0, nodes = 0;
  for (auto _ : state) {
    auto a = topic_automaton::compile(entries);
    benchmark::DoNotOptimize(a);
    bytes = a.memory_bytes();
    nodes = a.node_count();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * entries.size()));
  // The compiled automaton's size: total heap bytes (reported in binary units) and per filter.
  state.counters["mem_bytes"] = benchmark::Counter(static_cast<double>(bytes), benchmark::Counter::kDefaults,
                                                   benchmark::Counter::kIs1024);
  state.counters["bytes/filter"] = static_cast<double>(bytes) / static_cast<double>(entries.size());
  state.counters["nodes"] = static_cast<double>(nodes);
}

// Requests for minimal_cover: shape 0 = the fleet mix of make_scenario, 1 = exact filters,
// 2 = "bench/<i>/+", 3 = "fleet/<i>/#"; shapes 2 and 3 start with a few broad wildcards, some
// with subscription options, so that part of the input is covered and part is not.
std::vector<std::string> cover_filters(std::size_t n, int shape) {
  if (shape == 0) return get(n).filters;
  std::vector<std::string> f;
  if (shape >= 2) f = {"other/#", "+/x/+", "$share/g/#", "bench/7/#", "fleet/7/#"};
  for (std::size_t i = 0; f.size() < n; ++i) {
    const std::string num = std::to_string(i);
    if (shape == 1) f.push_back("clients/dev" + num + "/temp/data");
    if (shape == 2) f.push_back("bench/" + num + "/+");
    if (shape == 3) f.push_back("fleet/" + num + "/#");
  }
  return f;
}

void BM_MinimalCover(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const auto filters = cover_filters(n, static_cast<int>(state.range(1)));
  std::vector<mqrelay::engine::subscription_request> reqs;
  for (std::size_t i = 0; i < filters.size(); ++i) reqs.push_back({filters[i], i % 7 == 0, false});
  std::size_t kept = 0;
  for (auto _ : state) {
    auto k = mqrelay::engine::minimal_cover(reqs);
    kept = k.size();
    benchmark::DoNotOptimize(k);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * reqs.size()));
  state.counters["requests"] = static_cast<double>(reqs.size());
  state.counters["kept"] = static_cast<double>(kept);
}

BENCHMARK(BM_Automaton)->Arg(10)->Arg(1000)->Arg(100000);
BENCHMARK(BM_LinearScan)->Arg(10)->Arg(1000)->Arg(100000);
BENCHMARK(BM_Compile)->Arg(10)->Arg(1000)->Arg(100000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_MinimalCover)
    ->ArgsProduct({{1000, 10000, 100000}, {0, 1, 2, 3}})
    ->ArgNames({"n", "shape"})
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
