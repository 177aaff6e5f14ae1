// Annotated wire vectors, one per packet shape, for MQTT 3.1.1 and 5.0. Written by hand from the
// specs (3.1.1 §3, 5.0 §3), never produced by the encoder under test.
#pragma once
#include <string>
#include <vector>

#include "tests/codec/codec_support.hpp"

namespace mqrelay::codec::test::vec {

// ---------------------------------------------------------------- MQTT 3.1.1
inline bytes connect_v311() {
  return cat({{0x10, 26},                 // CONNECT, remaining length 26
              lstr("MQTT"),               // protocol name
              {0x04},                     // protocol level 4 = 3.1.1
              {0xC2},                     // flags: user name, password, clean session
              {0x00, 0x1E},               // keep alive 30 s
              lstr("relay-1"),            // client identifier
              lstr("u"),                  // user name
              lstr("pw")});               // password
}
inline bytes connack_v311() { return {0x20, 0x02, 0x01, 0x00}; }  // session present, accepted
inline bytes connack_v311_refused() { return {0x20, 0x02, 0x00, 0x05}; }  // not authorized
inline bytes publish_qos0_v311() {
  return cat({{0x30, 7},                  // PUBLISH QoS 0, remaining length 7
              lstr("a/b"),                // topic name
              str("hi")});                // payload
}
inline bytes publish_qos1_v311() {
  return cat({{0x3B, 10},                 // PUBLISH DUP=1 QoS 1 RETAIN=1, remaining length 10
              lstr("s/é"),                // topic name with a 2-byte UTF-8 character (4 bytes)
              {0x12, 0x34},               // packet id 0x1234
              str("xy")});                // payload
}
inline bytes publish_qos2_empty_v311() {
  return cat({{0x34, 5},                  // PUBLISH QoS 2, remaining length 5
              lstr("t"),                  // topic
              {0xFF, 0xFF}});             // packet id 65535, empty payload
}
inline bytes puback_v311() { return {0x40, 0x02, 0x00, 0x01}; }
inline bytes pubrec_v311() { return {0x50, 0x02, 0x00, 0x02}; }
inline bytes pubrel_v311() { return {0x62, 0x02, 0x00, 0x03}; }  // flags 0b0010
inline bytes pubcomp_v311() { return {0x70, 0x02, 0x00, 0x04}; }
inline bytes subscribe_v311() {
  return cat({{0x82, 16},                 // SUBSCRIBE (flags 0b0010), remaining length 16
              {0x00, 0x0A},               // packet id 10
              lstr("a/#"), {0x01},        // filter, QoS 1
              lstr("x/+/y"), {0x02}});    // filter, QoS 2
}
inline bytes suback_v311() { return {0x90, 0x04, 0x00, 0x0A, 0x01, 0x80}; }  // granted 1, failure
inline bytes unsubscribe_v311() {
  return cat({{0xA2, 7},                  // UNSUBSCRIBE (flags 0b0010), remaining length 7
              {0x00, 0x0B},               // packet id 11
              lstr("a/#")});
}
inline bytes unsuback_v311() { return {0xB0, 0x02, 0x00, 0x0B}; }
inline bytes pingreq() { return {0xC0, 0x00}; }
inline bytes pingresp() { return {0xD0, 0x00}; }
inline bytes disconnect_v311() { return {0xE0, 0x00}; }

// ---------------------------------------------------------------- MQTT 5.0
inline bytes connect_v5() {
  return cat({{0x10, 27},                 // CONNECT, remaining length 27
              lstr("MQTT"), {0x05},       // protocol name, level 5
              {0x02},                     // flags: clean start
              {0x00, 0x3C},               // keep alive 60 s
              {13},                       // property length
              {0x11, 0x00, 0x00, 0x0E, 0x10},  // session expiry interval 3600
              {0x21, 0x00, 0x64},         // receive maximum 100
              {0x27, 0x00, 0x01, 0x00, 0x00},  // maximum packet size 65536
              lstr("c")});                // client identifier
}
inline bytes connect_v5_will() {
  return cat({{0x10, 40},                 // CONNECT, remaining length 40
              lstr("MQTT"), {0x05},
              {0xEE},                     // user name, password, will retain, will QoS 1, will, clean
              {0x00, 0x00},               // keep alive 0
              {0x00},                     // no properties
              lstr("id"),                 // client identifier
              {0x05, 0x18, 0x00, 0x00, 0x00, 0x0A},  // will properties: will delay 10
              lstr("w/t"),                // will topic
              lstr("bye"),                // will payload
              lstr("user"),               // user name
              {0x00, 0x01, 0x00}});       // password: 1 byte 0x00
}
inline bytes connack_v5() {
  return cat({{0x20, 11},                 // CONNACK, remaining length 11
              {0x00, 0x00},               // no session, success
              {8},                        // property length
              {0x21, 0x00, 0x0A},         // receive maximum 10
              {0x27, 0x00, 0x00, 0x04, 0x00}});  // maximum packet size 1024
}
inline bytes connack_v5_rich() {
  return cat({{0x20, 45},                 // CONNACK, remaining length 45
              {0x01, 0x00},               // session present, success
              {42},                       // property length
              {0x24, 0x01},               // maximum QoS 1
              {0x25, 0x00},               // retain not available
              {0x22, 0x00, 0x05},         // topic alias maximum 5
              {0x13, 0x00, 0x14},         // server keep alive 20
              {0x11, 0x00, 0x00, 0x00, 0x3C},  // session expiry 60
              {0x12}, lstr("abc"),        // assigned client identifier
              {0x1F}, lstr("ok"),         // reason string
              {0x28, 0x00},               // wildcard subscriptions not available
              {0x29, 0x00},               // subscription identifiers not available
              {0x2A, 0x00},               // shared subscriptions not available
              {0x26}, lstr("k"), lstr("v"),  // user property k=v
              {0x21, 0x00, 0x20}});       // receive maximum 32
}
inline bytes connack_v5_refused() { return {0x20, 0x03, 0x00, 0x87, 0x00}; }  // not authorized
inline std::vector<std::uint8_t> publish_v5_props_block() {
  return cat({{0x01, 0x01},               // payload format indicator: UTF-8
              {0x02, 0x00, 0x00, 0x00, 0x3C},  // message expiry 60
              {0x23, 0x00, 0x05},         // topic alias 5
              {0x03}, lstr("text"),       // content type
              {0x0B, 0x07},               // subscription identifier 7
              {0x26}, lstr("k"), lstr("v")});  // user property
}
inline bytes publish_qos1_v5() {
  return cat({{0x32, 36},                 // PUBLISH QoS 1, remaining length 36
              lstr("a/b"),                // topic
              {0x00, 0x07},               // packet id 7
              {26},                       // property length
              publish_v5_props_block(),
              str("hi")});                // payload
}
inline bytes publish_qos0_v5() {
  return cat({{0x31, 8},                  // PUBLISH QoS 0 RETAIN, remaining length 8
              lstr("a/b"), {0x00},        // topic, no properties
              str("hi")});
}
inline bytes publish_alias_only_v5() {
  return cat({{0x30, 7},                  // PUBLISH QoS 0, remaining length 7
              {0x00, 0x00},               // empty topic: allowed with a topic alias
              {0x03, 0x23, 0x00, 0x02},   // properties: topic alias 2
              str("z")});
}
inline bytes puback_v5() { return {0x40, 0x02, 0x00, 0x01}; }            // reason 0 omitted
inline bytes puback_v5_reason() { return {0x40, 0x03, 0x00, 0x01, 0x10}; }  // no matching subscribers
inline bytes pubrec_v5_props() {
  return cat({{0x50, 10},                 // PUBREC, remaining length 10
              {0x00, 0x02},               // packet id 2
              {0x80},                     // unspecified error
              {6}, {0x1F}, lstr("bad")}); // reason string "bad"
}
inline bytes pubrel_v5() { return {0x62, 0x03, 0x00, 0x03, 0x92}; }  // packet id not found
inline bytes pubcomp_v5() { return {0x70, 0x04, 0x00, 0x04, 0x00, 0x00}; }  // reason 0, no props
inline bytes subscribe_v5() {
  return cat({{0x82, 24},                 // SUBSCRIBE, remaining length 24
              {0x00, 0x0A},               // packet id 10
              {0x02, 0x0B, 0x01},         // properties: subscription identifier 1
              lstr("a/#"),
              {0x2D},                     // QoS 1, no local, retain as published, retain handling 2
              lstr("$share/g/x"), {0x00}});  // shared subscription, QoS 0
}
inline bytes suback_v5() { return {0x90, 0x05, 0x00, 0x0A, 0x00, 0x01, 0xA2}; }  // granted 1, no wildcards
inline bytes unsubscribe_v5() {
  return cat({{0xA2, 8},                  // UNSUBSCRIBE, remaining length 8
              {0x00, 0x0B}, {0x00},       // packet id 11, no properties
              lstr("a/#")});
}
inline bytes unsuback_v5() { return {0xB0, 0x05, 0x00, 0x0B, 0x00, 0x00, 0x11}; }  // success, no subscription
inline bytes disconnect_v5() { return {0xE0, 0x01, 0x8E}; }  // session taken over
inline bytes disconnect_v5_props() {
  return cat({{0xE0, 8},                  // DISCONNECT, remaining length 8
              {0x8B},                     // server shutting down
              {6}, {0x1F}, lstr("bye")}); // reason string
}
inline bytes auth_v5() { return {0xF0, 0x02, 0x18, 0x00}; }  // continue authentication

struct named {
  const char* name;
  protocol_version v;
  bytes wire;
};
// Every valid vector above, for the framer and fuzz-seed tests.
inline std::vector<named> all() {
  using enum protocol_version;
  // clang-format off
  std::vector<named> out = {
    {"connect_v311", v311, connect_v311()}, {"connack_v311", v311, connack_v311()},
    {"connack_v311_refused", v311, connack_v311_refused()},
    {"publish_qos0_v311", v311, publish_qos0_v311()}, {"publish_qos1_v311", v311, publish_qos1_v311()},
    {"publish_qos2_empty_v311", v311, publish_qos2_empty_v311()},
    {"puback_v311", v311, puback_v311()}, {"pubrec_v311", v311, pubrec_v311()},
    {"pubrel_v311", v311, pubrel_v311()}, {"pubcomp_v311", v311, pubcomp_v311()},
    {"subscribe_v311", v311, subscribe_v311()}, {"suback_v311", v311, suback_v311()},
    {"unsubscribe_v311", v311, unsubscribe_v311()}, {"unsuback_v311", v311, unsuback_v311()},
    {"pingreq_v311", v311, pingreq()}, {"pingresp_v311", v311, pingresp()},
    {"disconnect_v311", v311, disconnect_v311()},
    {"connect_v5", v5, connect_v5()}, {"connect_v5_will", v5, connect_v5_will()},
    {"connack_v5", v5, connack_v5()}, {"connack_v5_rich", v5, connack_v5_rich()},
    {"connack_v5_refused", v5, connack_v5_refused()},
    {"publish_qos1_v5", v5, publish_qos1_v5()}, {"publish_qos0_v5", v5, publish_qos0_v5()},
    {"publish_alias_only_v5", v5, publish_alias_only_v5()},
    {"puback_v5", v5, puback_v5()}, {"puback_v5_reason", v5, puback_v5_reason()},
    {"pubrec_v5_props", v5, pubrec_v5_props()}, {"pubrel_v5", v5, pubrel_v5()},
    {"pubcomp_v5", v5, pubcomp_v5()}, {"subscribe_v5", v5, subscribe_v5()},
    {"suback_v5", v5, suback_v5()}, {"unsubscribe_v5", v5, unsubscribe_v5()},
    {"unsuback_v5", v5, unsuback_v5()}, {"pingreq_v5", v5, pingreq()}, {"pingresp_v5", v5, pingresp()},
    {"disconnect_v5", v5, disconnect_v5()}, {"disconnect_v5_props", v5, disconnect_v5_props()},
    {"auth_v5", v5, auth_v5()},
  };
  // clang-format on
  return out;
}

}  // namespace mqrelay::codec::test::vec
