// MQTT 5 properties: the reader walks every type, validation by context, and the copy of the
// forwardable PUBLISH properties (Topic Alias and Subscription Identifier dropped, 5.0 §3.3.4).
#include <gtest/gtest.h>

#include "codec/properties.hpp"
#include "codec/wire.hpp"
#include "tests/codec/vectors.hpp"

namespace mqrelay::codec::test {
namespace {

TEST(Properties, ReaderDecodesEveryType) {
  const bytes block = cat({{0x01, 0x01},                       // byte
                           {0x23, 0x01, 0x02},                 // u16
                           {0x02, 0x00, 0x01, 0x00, 0x00},     // u32
                           {0x0B, 0x80, 0x01},                 // varint 128
                           {0x03}, lstr("ct"),                 // utf8
                           {0x09}, lstr("\x01\x02"),           // binary
                           {0x26}, lstr("k"), lstr("v")});     // utf8 pair
  property_reader pr(block);
  std::vector<property> got;
  for (;;) {
    property p;
    bool done = false;
    ASSERT_EQ(pr.next(p, done), error::none);
    if (done) break;
    got.push_back(p);
  }
  ASSERT_EQ(got.size(), 7u);
  EXPECT_EQ(got[0].type, property_type::byte);
  EXPECT_EQ(got[0].number, 1u);
  EXPECT_EQ(got[1].number, 0x0102u);
  EXPECT_EQ(got[2].number, 65536u);
  EXPECT_EQ(got[3].type, property_type::varint);
  EXPECT_EQ(got[3].number, 128u);
  EXPECT_EQ(got[4].text, "ct");
  EXPECT_EQ(copy(got[5].data), (bytes{1, 2}));
  EXPECT_EQ(got[6].text, "k");
  EXPECT_EQ(got[6].value, "v");
  EXPECT_EQ(validate_properties(block, property_context::publish), error::none);  // all are PUBLISH properties
  EXPECT_EQ(validate_properties(block, property_context::puback), error::property_not_allowed);
}

TEST(Properties, ValidationByContext) {
  const bytes session_expiry{0x11, 0x00, 0x00, 0x00, 0x05};
  EXPECT_EQ(validate_properties(session_expiry, property_context::connect), error::none);
  EXPECT_EQ(validate_properties(session_expiry, property_context::connack), error::none);
  EXPECT_EQ(validate_properties(session_expiry, property_context::disconnect), error::none);
  EXPECT_EQ(validate_properties(session_expiry, property_context::publish), error::property_not_allowed);
  EXPECT_EQ(validate_properties(session_expiry, property_context::will), error::property_not_allowed);
  const bytes will_delay{0x18, 0x00, 0x00, 0x00, 0x05};
  EXPECT_EQ(validate_properties(will_delay, property_context::will), error::none);
  EXPECT_EQ(validate_properties(will_delay, property_context::connect), error::property_not_allowed);
  const bytes two_user = cat({{0x26}, lstr("a"), lstr("1"), {0x26}, lstr("a"), lstr("2")});
  for (int c = 0; c <= static_cast<int>(property_context::auth); ++c)
    EXPECT_EQ(validate_properties(two_user, static_cast<property_context>(c)), error::none) << c;
  const bytes two_subids{0x0B, 0x01, 0x0B, 0x02};  // repeatable in PUBLISH only (5.0 §3.3.2.3.8)
  EXPECT_EQ(validate_properties(two_subids, property_context::publish), error::none);
  EXPECT_EQ(validate_properties(two_subids, property_context::subscribe), error::duplicate_property);
  EXPECT_EQ(validate_properties({}, property_context::connack), error::none);
}

TEST(Properties, CopyForwardableDropsAliasAndSubscriptionIds) {
  const bytes in = vec::publish_v5_props_block();
  bytes out(in.size(), 0);
  const std::size_t n = copy_forwardable_properties(in, out.data());
  out.resize(n);
  EXPECT_EQ(out, cat({{0x01, 0x01}, {0x02, 0x00, 0x00, 0x00, 0x3C}, {0x03}, lstr("text"), {0x26}, lstr("k"), lstr("v")}));
  EXPECT_EQ(validate_properties(out, property_context::publish), error::none);
  EXPECT_EQ(copy_forwardable_properties({}, out.data()), 0u);
  const bytes only_dropped{0x23, 0x00, 0x01, 0x0B, 0x05, 0x0B, 0x06};
  EXPECT_EQ(copy_forwardable_properties(only_dropped, out.data()), 0u);
}

TEST(Properties, ReadPropertyBlock) {
  const bytes b{0x02, 0x01, 0x00, 0xAA};
  reader r(b);
  std::span<const std::uint8_t> block;
  ASSERT_EQ(read_property_block(r, block), error::none);
  EXPECT_EQ(copy(block), (bytes{0x01, 0x00}));
  EXPECT_EQ(r.left(), 1u);
  const bytes past{0x05, 0x01};
  reader r2(past);
  EXPECT_EQ(read_property_block(r2, block), error::truncated);
}

}  // namespace
}  // namespace mqrelay::codec::test
