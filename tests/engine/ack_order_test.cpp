// ack_order: PUBACKs to a source leave in the order its QoS 1 PUBLISHes arrived
// ([MQTT-4.6.0-2]), whatever order their targets finish in.
#include "engine/ack_order.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace mqrelay::engine {
namespace {

std::vector<std::uint16_t> released(ack_order& q) {
  std::vector<std::uint16_t> out;
  q.release([&](std::uint16_t pid) { out.push_back(pid); });
  return out;
}

TEST(AckOrder, ALaterFinishWaitsForTheEarlierOnes) {
  ack_order q;
  const auto t1 = q.push(11), t2 = q.push(12), t3 = q.push(13);
  q.done(t3);
  q.done(t2);
  EXPECT_TRUE(released(q).empty()) << "12 and 13 are finished, 11 is not: nothing may leave yet";
  EXPECT_EQ(q.waiting(), 3u);
  q.done(t1);
  EXPECT_EQ(released(q), (std::vector<std::uint16_t>{11, 12, 13}));
  EXPECT_TRUE(q.empty());
}

TEST(AckOrder, ReleaseStopsAtTheFirstUnfinished) {
  ack_order q;
  const auto t1 = q.push(1), t2 = q.push(2);
  q.push(3, /*finished=*/true);  // acknowledged on arrival (no target), behind 1 and 2
  q.done(t1);
  EXPECT_EQ(released(q), (std::vector<std::uint16_t>{1}));
  q.done(t2);
  EXPECT_EQ(released(q), (std::vector<std::uint16_t>{2, 3}));
}

TEST(AckOrder, TheSamePacketIdTwiceKeepsBothPlaces) {
  // A broker may reuse an id once its PUBACK has left; a misbehaving one even before. Tickets,
  // not packet ids, say which message finished.
  ack_order q;
  const auto a = q.push(7), b = q.push(7);
  q.done(b);
  EXPECT_TRUE(released(q).empty());
  q.done(a);
  EXPECT_EQ(released(q), (std::vector<std::uint16_t>{7, 7}));
}

TEST(AckOrder, GrowsKeepingTheOrderAndTheTickets) {
  ack_order q(16);
  std::vector<std::uint32_t> t;
  for (std::uint16_t pid = 1; pid <= 1000; ++pid) t.push_back(q.push(pid));
  EXPECT_EQ(q.waiting(), 1000u);
  for (std::size_t i = 999; i >= 1; --i) q.done(t[i]);  // all but the first, newest first
  EXPECT_TRUE(released(q).empty());
  q.done(t[0]);
  const auto out = released(q);
  ASSERT_EQ(out.size(), 1000u);
  for (std::size_t i = 0; i < out.size(); ++i) ASSERT_EQ(out[i], i + 1) << "at " << i;
}

TEST(AckOrder, TicketsWrapAroundWithoutLosingTheirPlace) {
  // Tickets are a 32-bit counter: start 100 below the wrap, with a ring that has to grow while
  // the tickets waiting straddle it, the first one held back until the end.
  ack_order q(16, /*first_ticket=*/0xFFFFFFFFu - 99);
  std::vector<std::uint32_t> t;
  for (std::uint16_t pid = 1; pid <= 300; ++pid) t.push_back(q.push(pid));
  EXPECT_LT(t.back(), t.front()) << "the counter wrapped";
  for (std::size_t i = 1; i < t.size(); ++i) q.done(t[i]);
  EXPECT_TRUE(released(q).empty());
  q.done(t[0]);
  const auto out = released(q);
  ASSERT_EQ(out.size(), 300u);
  for (std::size_t i = 0; i < out.size(); ++i) ASSERT_EQ(out[i], i + 1) << "at " << i;
  EXPECT_TRUE(q.empty());
}

TEST(AckOrder, ClearForgetsTheOldConnection) {
  ack_order q;
  q.push(1);
  q.push(2, true);
  q.clear();
  EXPECT_TRUE(q.empty());
  const auto t = q.push(5);
  q.done(t);
  EXPECT_EQ(released(q), (std::vector<std::uint16_t>{5}));
}

}  // namespace
}  // namespace mqrelay::engine
