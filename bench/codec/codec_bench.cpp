// PUBLISH hot path: framing + decode_publish (topic name validation included) and
// publish_size + encode_publish, for 64 B and 1 KiB payloads, MQTT 3.1.1 and 5.0.
//
//   build-codec/bench/codec/codec_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
//
// Each benchmark checks its answer before timing (and its count after), so a fast wrong codec
// fails instead of reporting a number. Decode offers a batch of packets already in the framer's
// receive buffer (where recv() puts them) and takes them out one by one: the time per item is the
// framer's next() + decode_publish, with no copy (the kernel's, not ours).
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "codec/framer.hpp"
#include "codec/publish.hpp"

namespace {

using namespace mqrelay::codec;

constexpr std::string_view topic = "dt/fleet/vehicle-0042/telemetry";  // 31 bytes, typical IoT Core topic
constexpr std::size_t batch = 512;

void fail(const char* what) {
  std::fprintf(stderr, "codec_bench: wrong answer: %s\n", what);
  std::abort();
}

std::vector<std::uint8_t> make_payload(std::size_t n) {
  std::vector<std::uint8_t> p(n);
  for (std::size_t i = 0; i < n; ++i) p[i] = static_cast<std::uint8_t>('a' + i % 26);
  return p;
}

publish_out make_out(const std::vector<std::uint8_t>& payload) {
  publish_out o;
  o.topic_prefix = "dt/fleet/";
  o.topic = topic.substr(9);
  o.payload = payload;
  o.qos = 1;
  o.packet_id = 42;
  return o;
}

void check_view(const publish_view& v, const std::vector<std::uint8_t>& payload) {
  if (v.topic != topic) fail("topic");
  if (v.qos != 1 || v.packet_id != 42) fail("qos/packet id");
  if (v.payload.size() != payload.size() || std::memcmp(v.payload.data(), payload.data(), payload.size()) != 0)
    fail("payload");
}

void BM_decode_publish(benchmark::State& state) {
  const auto v = static_cast<protocol_version>(state.range(1));
  const auto payload = make_payload(static_cast<std::size_t>(state.range(0)));
  const publish_out o = make_out(payload);
  std::vector<std::uint8_t> one(publish_size(o, v));
  encode_publish(one.data(), o, v);
  std::vector<std::uint8_t> stream;
  for (std::size_t i = 0; i < batch; ++i) stream.insert(stream.end(), one.begin(), one.end());

  framer fr(v, 1u << 20, stream.size() + 16 * 1024);
  {  // check the answer
    fr.feed(stream);
    for (std::size_t i = 0; i < batch; ++i) {
      const frame_event ev = fr.next();
      if (ev.status != frame_status::frame) fail("frame");
      publish_view pv;
      if (decode_publish(ev.f, v, pv) != error::none) fail("decode");
      check_view(pv, payload);
    }
    if (fr.next().status != frame_status::need_more) fail("end of batch");
  }
  // The batch stays in the framer's buffer: once all is consumed, writable() restarts at offset 0
  // where the same bytes still are, so commit() re-offers them without a copy (as when the kernel
  // has just written them there with recv).
  if (fr.writable(16 * 1024).data() != fr.writable(16 * 1024).data()) fail("buffer moved");
  std::size_t decoded = 0, batches = 0;
  for (auto _ : state) {
    fr.writable(16 * 1024);
    fr.commit(stream.size());
    for (std::size_t i = 0; i < batch; ++i) {
      const frame_event ev = fr.next();
      publish_view pv;
      const error e = ev.status == frame_status::frame ? decode_publish(ev.f, v, pv) : error::truncated;
      decoded += e == error::none;
      benchmark::DoNotOptimize(pv);
    }
    ++batches;
  }
  if (decoded != batches * batch) fail("count");
  {  // the bytes decoded in the loop were the batch's
    fr.writable(16 * 1024);
    fr.commit(stream.size());
    const frame_event ev = fr.next();
    publish_view pv;
    if (ev.status != frame_status::frame || decode_publish(ev.f, v, pv) != error::none) fail("after loop");
    check_view(pv, payload);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(decoded));
  state.SetBytesProcessed(static_cast<std::int64_t>(batches * stream.size()));
  // Seconds per PUBLISH (printed with an SI prefix: "15n" = 15 ns).
  state.counters["per_publish"] =
      benchmark::Counter(static_cast<double>(decoded), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void BM_encode_publish(benchmark::State& state) {
  const auto v = static_cast<protocol_version>(state.range(1));
  const auto payload = make_payload(static_cast<std::size_t>(state.range(0)));
  const publish_out o = make_out(payload);
  std::vector<std::uint8_t> buf(publish_size(o, v) * batch);
  {  // check the answer: the bytes decode back to the same PUBLISH
    const std::size_t n = encode_publish(buf.data(), o, v);
    if (n != publish_size(o, v)) fail("encode size");
    framer fr(v);
    fr.feed({buf.data(), n});
    const frame_event ev = fr.next();
    publish_view pv;
    if (ev.status != frame_status::frame || decode_publish(ev.f, v, pv) != error::none) fail("encoded bytes");
    check_view(pv, payload);
  }
  std::size_t bytes = 0, items = 0;
  for (auto _ : state) {
    std::uint8_t* out = buf.data();
    for (std::size_t i = 0; i < batch; ++i) {
      const std::size_t need = publish_size(o, v);  // what a writer does: size, reserve, encode
      const std::size_t n = encode_publish(out, o, v);
      if (n != need) fail("size");
      out += n;
      bytes += n;
    }
    items += batch;
    benchmark::DoNotOptimize(buf.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(items));
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
  state.counters["per_publish"] =
      benchmark::Counter(static_cast<double>(items), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void args(benchmark::internal::Benchmark* b) {
  for (int v : {4, 5})
    for (int n : {64, 1024}) b->Args({n, v});
  b->ArgNames({"payload", "version"});
}

}  // namespace

BENCHMARK(BM_decode_publish)->Apply(args);
BENCHMARK(BM_encode_publish)->Apply(args);
BENCHMARK_MAIN();
