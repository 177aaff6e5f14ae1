// Unit tests of engine pieces that need no network: the IoT Core topic rules (SPEC §4.8) and the
// message pool's copy-once layout.
#include <cstring>

#include <gtest/gtest.h>

#include <string>

#include "engine/context.hpp"
#include "engine/message.hpp"

namespace mqrelay::engine {
namespace {

TEST(IotCoreTopic, AcceptsOrdinaryTopicsUpToTheLimits) {
  EXPECT_EQ(iot_core_topic_problem("", "clients/dev1/hello/world"), nullptr);
  EXPECT_EQ(iot_core_topic_problem("", "a/b/c/d/e/f/g/h"), nullptr);  // 7 '/', 8 levels
  EXPECT_EQ(iot_core_topic_problem("", std::string(256, 'x')), nullptr);
  EXPECT_EQ(iot_core_topic_problem("$aws/things/t1/shadow/", "update"), nullptr);
}

TEST(IotCoreTopic, RefusesTooManyLevelsOrBytes) {
  EXPECT_NE(iot_core_topic_problem("", "a/b/c/d/e/f/g/h/i"), nullptr);  // 8 '/'
  EXPECT_NE(iot_core_topic_problem("", std::string(257, 'x')), nullptr);
  // The prefix counts: it is part of the target topic.
  EXPECT_NE(iot_core_topic_problem("p/q/", "a/b/c/d/e/f/g"), nullptr);  // 8 '/' with the prefix
  EXPECT_EQ(iot_core_topic_problem("p/q/", "a/b/c/d/e/f"), nullptr);    // 7
  EXPECT_NE(iot_core_topic_problem(std::string(200, 'p'), std::string(57, 'x')), nullptr);
}

TEST(IotCoreTopic, BasicIngestPrefixIsNotCounted) {
  EXPECT_EQ(iot_core_topic_problem("$aws/rules/MyRule/", "a/b/c/d/e/f/g/h"), nullptr);
  EXPECT_EQ(iot_core_topic_problem("$aws/rules/MyRule/", std::string(256, 'x')), nullptr);
  EXPECT_NE(iot_core_topic_problem("$aws/rules/MyRule/", "a/b/c/d/e/f/g/h/i"), nullptr);
}

TEST(IotCoreTopic, ReservedDollarTopicsAreRefused) {
  EXPECT_NE(iot_core_topic_problem("", "$SYS/broker/load"), nullptr);
  EXPECT_NE(iot_core_topic_problem("$foo/", "bar"), nullptr);
  EXPECT_EQ(iot_core_topic_problem("", "a/$b"), nullptr);
}

TEST(MessagePool, CopiesTopicPropertiesAndPayloadIntoOneBlock) {
  message_pool pool;
  message* m = pool.make(5, 3, 10);
  ASSERT_NE(m, nullptr);
  std::memcpy(m->bytes(), "a/b/c", 5);
  std::memcpy(m->bytes() + 5, "\x01\x02\x03", 3);
  std::memcpy(m->bytes() + 8, "0123456789", 10);
  EXPECT_EQ(m->topic(), "a/b/c");
  EXPECT_EQ(m->properties().size(), 3u);
  EXPECT_EQ(m->properties()[2], 3);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(m->payload().data()), m->payload().size()), "0123456789");
  EXPECT_GE(m->alloc_bytes, sizeof(message) + 18);
  pool.recycle(m);
}

// The spooler is charged per block: a 64 B telemetry message with a 20 B topic must take the
// smallest block (128 B) so that spooler.maxSizeInBytes holds as many of them as it can.
TEST(MessagePool, SmallTelemetryTakesTheSmallestBlock) {
  static_assert(sizeof(message) <= 40, "the header grew: small messages no longer fit 128 B");
  message_pool pool;
  message* small = pool.make(20, 0, 64);
  message* larger = pool.make(20, 0, 100);
  EXPECT_LT(small->alloc_bytes, larger->alloc_bytes);
  EXPECT_LE(small->alloc_bytes, 128u + 96u);  // block + the accounting overhead
  pool.recycle(small);
  pool.recycle(larger);
}

TEST(MessagePool, ReusesFreedBlocksOfTheSameClass) {
  message_pool pool;
  message* a = pool.make(10, 0, 64);
  void* first = a;
  pool.recycle(a);
  message* b = pool.make(12, 0, 60);  // same size class
  EXPECT_EQ(static_cast<void*>(b), first);
  pool.recycle(b);
  message* big = pool.make(10, 0, 4u << 20);  // above the largest class: straight from malloc
  EXPECT_GE(big->alloc_bytes, (4u << 20) + 10);
  pool.recycle(big);
}

}  // namespace
}  // namespace mqrelay::engine
