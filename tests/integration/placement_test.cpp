// Thread placement (engine/colocation.hpp, README "Thread placement"): while its traffic is light
// the relay keeps its two reactor threads ("mqrelay-local", "mqrelay-iotcore") on one CPU, within
// the CPUs it was allowed, and relays as before. (Spreading under load is driven through real
// reactors in tests/engine/colocation_test.cpp: a flood through mosquitto here would saturate the
// broker long before a CPU of the relay.)
#include <sched.h>

#include <map>

#include "tests/integration/fixture.hpp"
#include "tests/support/process.hpp"

namespace mqrelay::test {
namespace {

constexpr const char* kEvent = "clients/dev1/hello/world/event";

// name -> the CPUs the thread may run on, for every thread of the relay.
std::map<std::string, cpu_set_t> thread_masks(const process& p) {
  std::map<std::string, cpu_set_t> out;
  for (const thread_info& t : p.threads()) {
    cpu_set_t s;
    CPU_ZERO(&s);
    if (sched_getaffinity(t.tid, sizeof s, &s) == 0) out[t.name] = s;
  }
  return out;
}

// Both reactor threads are on the same single CPU.
bool gathered(const process& relay, std::string& seen) {
  auto m = thread_masks(relay);
  seen.clear();
  for (auto& [name, s] : m) seen += name + ":" + std::to_string(CPU_COUNT(&s)) + " CPU(s) ";
  auto l = m.find("mqrelay-local"), i = m.find("mqrelay-iotcore");
  if (l == m.end() || i == m.end()) return false;
  return CPU_COUNT(&l->second) == 1 && CPU_EQUAL(&l->second, &i->second);
}

TEST_F(RelayTest, LightTrafficKeepsBothReactorThreadsOnOneAllowedCpu) {
  cpu_set_t mine;
  CPU_ZERO(&mine);
  ASSERT_EQ(sched_getaffinity(0, sizeof mine, &mine), 0);
  if (CPU_COUNT(&mine) < 2) GTEST_SKIP() << "one CPU allowed: nothing to gather";

  start_brokers();
  start_relay(base_config());
  auto dev = device();
  auto app = cloud_app();
  ASSERT_NO_FATAL_FAILURE(subscribe_all_and_expect_routes_up(*dev, *app));
  const process& proc = *relay_->proc();

  std::string seen;
  const auto until = std::chrono::steady_clock::now() + 10s;
  while (!gathered(proc, seen) && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(20ms);
  ASSERT_TRUE(gathered(proc, seen)) << "the idle relay's reactor threads are not on one CPU within 10 s: " << seen;
  // The CPU is one of those the relay was allowed (it inherits this test's mask).
  const auto masks = thread_masks(proc);
  cpu_set_t both;
  CPU_AND(&both, &masks.at("mqrelay-local"), &mine);
  EXPECT_EQ(CPU_COUNT(&both), 1) << "gathered on a CPU outside the allowed set";

  // Light traffic still flows both ways, and nothing is lost.
  constexpr int n = 500;
  for (int k = 0; k < n; ++k) ASSERT_TRUE(dev->publish(kEvent, std::to_string(k), 1));
  const auto missing = wait_numbers(*app, kEvent, n, 30s);
  EXPECT_TRUE(missing.empty()) << missing.size() << " of " << n << " lost, e.g. " << first_few(missing);
  ASSERT_TRUE(app->publish("clients/dev1/hello/world/event/response", "down", 1));
  EXPECT_TRUE(dev->wait_for([](auto& in) { return real(in, "clients/dev1/hello/world/event/response").size() == 1; }, 10s));
  EXPECT_TRUE(relay_->log().find("reactor threads gathered on CPU") != std::string::npos) << "no debug line for the gathering";
  expect_clean_stop();
}

}  // namespace
}  // namespace mqrelay::test
