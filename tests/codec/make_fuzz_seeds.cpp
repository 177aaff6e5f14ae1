// Writes the seed corpora of tests/fuzz (fuzz_decode, fuzz_roundtrip) from the codec test vectors:
//   codec_fuzz_seeds OUT_DIR   → OUT_DIR/fuzz_decode/*, OUT_DIR/fuzz_roundtrip/*
// Byte 0 of each seed is the harness configuration (see the harnesses), the rest the stream.
// Run by hand when the vectors change; the output is committed under tests/fuzz/corpus/.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "codec/wire.hpp"
#include "tests/codec/malformed_rows.hpp"

using namespace mqrelay::codec;
using namespace mqrelay::codec::test;

namespace {
void write(const std::filesystem::path& dir, const std::string& name, std::uint8_t cfg, const bytes& stream) {
  std::ofstream out(dir / name, std::ios::binary);
  out.put(static_cast<char>(cfg));
  out.write(reinterpret_cast<const char*>(stream.data()), static_cast<std::streamsize>(stream.size()));
}
}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUT_DIR\n", argv[0]);
    return 2;
  }
  const std::filesystem::path root = argv[1];
  const auto dec = root / "fuzz_decode", rt = root / "fuzz_roundtrip";
  std::filesystem::create_directories(dec);
  std::filesystem::create_directories(rt);
  bytes all311, all5;
  for (const auto& n : vec::all()) {
    const std::uint8_t vbit = n.v == protocol_version::v5 ? 1 : 0;
    write(dec, std::string("valid_") + n.name, vbit, n.wire);
    write(rt, std::string("valid_") + n.name, vbit, n.wire);
    (vbit ? all5 : all311).insert((vbit ? all5 : all311).end(), n.wire.begin(), n.wire.end());
  }
  // Whole streams, chunked (decode: seed bits 3-7; roundtrip: bits 1-7), and with a 64-byte limit.
  write(dec, "stream_v311_chunked", 0x00 | (5 << 3), all311);
  write(dec, "stream_v5_chunked", 0x01 | (9 << 3), all5);
  write(dec, "stream_v5_limit64", 0x01 | (2 << 1) | (3 << 3), all5);
  write(dec, "stream_v311_limit16", 0x00 | (1 << 1), all311);
  write(rt, "stream_v311", 0x00 | (7 << 1), all311);
  write(rt, "stream_v5", 0x01 | (11 << 1), all5);
  // An oversize QoS 1 PUBLISH (300 bytes, over the 64-byte limit) followed by a PINGRESP.
  bytes big(310, 0x61);
  std::uint8_t* o = put_header(big.data(), packet_type::publish, 0x02, 300);
  o = put_string(o, "big/t");
  o = put_u16(o, 77);
  big.resize(1 + 2 + 300);
  big.insert(big.end(), {0xD0, 0x00});
  write(dec, "oversize_publish_v311", 0x00 | (2 << 1) | (4 << 3), big);
  write(rt, "oversize_publish_v311", 0x00 | (6 << 1), big);
  // Every malformed row (each ends the stream with an error).
  int i = 0;
  for (const auto& r : malformed::rows()) {
    const std::uint8_t vbit = r.v == protocol_version::v5 ? 1 : 0;
    char name[32];
    std::snprintf(name, sizeof name, "malformed_%03d", i++);
    write(dec, name, vbit, r.wire);
    if (i % 3 == 0) write(rt, name, vbit, r.wire);
  }
  std::printf("seeds written to %s\n", root.c_str());
  return 0;
}
