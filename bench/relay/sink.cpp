// mqbench_sink — the acknowledging sink (issue 4, item 1).
//
// Broker mode (--listen PORT, optional --tls with --cert/--key/--ca: a client certificate signed
// by the CA is required): accepts any number of connections (the relay's cloud connection pool),
// answers CONNECT / SUBSCRIBE / UNSUBSCRIBE / PINGREQ, and PUBACKs every QoS 1 PUBLISH. Client
// mode (--connect HOST:PORT --subscribe FILTER, optional --tls with a client certificate):
// subscribes at QoS 1 at a real broker and measures what it delivers.
//
// Speed: one thread per connection, each with its own io_uring (uring_conn.hpp; the TLS handshake
// is done blocking first): receives of up to 1 MiB, a tight frame loop over the buffer, all
// PUBACKs of one receive sent in one send, submitted with the next receive in one io_uring_enter.
// Per message it does a bitmap test-and-set (loss and duplicates) and a histogram increment
// (latency = the time the receive was reaped - send stamp in the payload).
//
// Ends on SIGTERM/SIGINT, when --expect unique messages arrived, or as many as the source
// reports "sent" in its --out file (--source-result FILE, polled every 50 ms), after --idle-ms without a
// message (once one arrived), or after --max-ms. --stall-at-ms / --stall-ms stop reading for a
// while, counted from the first message (the "cloud stalls" scenario). Writes one JSON line to
// stdout (or --out FILE) and the latency CDF to --cdf FILE.
#include "bench/relay/common.hpp"
#include "bench/relay/uring_conn.hpp"

#include <wolfssl/options.h>
#include <wolfssl/ssl.h>

#include <poll.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>

using namespace mqrelay::bench;

namespace {

volatile std::sig_atomic_t stop_signal = 0;
void on_signal(int) { stop_signal = 1; }

std::atomic<bool> stop{false};
std::atomic<std::uint64_t> received{0}, unique_count{0}, payload_bytes{0};
std::atomic<std::uint64_t> first_ns{0}, last_ns{0}, max_seq{0};
std::atomic<std::uint64_t> stall_until{0};
std::atomic<bool> stalled{false};
std::atomic<int> live{0}, connections{0};
std::uint64_t stall_at_ns = 0, stall_ns = 0;

// Seen-bitmap: 2^31 sequence numbers in 256 MiB of lazily mapped (untouched = free) memory.
constexpr std::uint64_t seen_bits = 1ULL << 31;
std::atomic<std::uint64_t>* seen = nullptr;

std::mutex merge_mutex;
histogram latency_all;

void connection(stream s, int version, const std::string& subscribe_filter) {
  ++connections;
  histogram lat;
  uring_conn conn(std::move(s));
  if (!subscribe_filter.empty()) {
    const auto c = encode_connect("mqbench-sink", true, version);
    const auto sub = encode_subscribe(1, subscribe_filter, 1, version);
    if (!conn.write(c.data(), c.size()) || !conn.write(sub.data(), sub.size())) return;
  }
  std::vector<std::uint8_t> acks;
  acks.reserve(1 << 20);
  while (!stop.load(std::memory_order_relaxed)) {
    const std::uint64_t su = stall_until.load(std::memory_order_relaxed);
    if (su != 0 && now_ns() < su) {  // stalled: no recv armed, TCP pushes back on the relay
      if (conn.queued() > 0) conn.wait(0);  // the acks of what arrived before the stall go out
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      continue;
    }
    if (conn.wait(100000000ULL) == 0 && !conn.closed()) continue;  // timeout: look at stop
    const std::uint64_t now = now_ns();
    const std::uint8_t* buf = conn.data();
    const std::size_t len = conn.size();
    std::size_t at = 0, pubs = 0, uniq = 0, bytes = 0;
    std::uint64_t top = 0;
    bool quit = false;
    for (;;) {
      std::size_t hl = 0;
      std::uint32_t rem = 0;
      const int f = frame(buf + at, len - at, hl, rem);
      if (f < 0) { std::fprintf(stderr, "sink: malformed packet\n"); quit = true; break; }
      if (f == 0 || at + hl + rem > len) break;
      const std::uint8_t b0 = buf[at];
      const std::uint8_t* body = buf + at + hl;
      switch (b0 >> 4) {
        case PUBLISH: {
          const int qos = (b0 >> 1) & 3;
          std::size_t i = 2 + get_u16(body);
          std::uint16_t pid = 0;
          if (qos > 0) { pid = get_u16(body + i); i += 2; }
          if (version == 5) { std::uint32_t pl = 0; i += get_varint(body + i, rem - i, pl) + pl; }
          if (i + stamp_size <= rem) {
            const std::uint64_t seq = get_u64(body + i), ts = get_u64(body + i + 8);
            lat.add(now > ts ? now - ts : 0);
            if (seq < seen_bits) {
              const std::uint64_t bit = 1ULL << (seq & 63);
              if ((seen[seq >> 6].fetch_or(bit, std::memory_order_relaxed) & bit) == 0) ++uniq;
            }
            if (seq > top) top = seq;
          }
          bytes += rem - i;
          ++pubs;
          if (qos > 0) {
            const std::uint8_t a[4] = {PUBACK << 4, 2, static_cast<std::uint8_t>(pid >> 8),
                                       static_cast<std::uint8_t>(pid & 0xff)};
            acks.insert(acks.end(), a, a + 4);
          }
          break;
        }
        case CONNECT: {
          int rm = 0;
          if (!parse_connect(body, rem, version, rm)) {
            std::fprintf(stderr, "sink: malformed CONNECT\n");
            quit = true;
            break;
          }
          const auto a = encode_ack(CONNACK, 0, version);
          acks.insert(acks.end(), a.begin(), a.end());
          break;
        }
        case SUBSCRIBE: case UNSUBSCRIBE: {
          const bool sub = (b0 >> 4) == SUBSCRIBE;
          std::uint16_t pid = 0;
          const std::size_t n = count_filters(body, rem, version, sub, pid);
          const auto a = encode_ack(sub ? SUBACK : UNSUBACK, pid, version, version == 5 || sub ? n : 0,
                                    sub ? 1 : 0);
          acks.insert(acks.end(), a.begin(), a.end());
          break;
        }
        case PINGREQ: {
          const auto a = encode_ack(PINGRESP, 0, version);
          acks.insert(acks.end(), a.begin(), a.end());
          break;
        }
        case DISCONNECT: std::fprintf(stderr, "sink: DISCONNECT\n"); quit = true; break;
        default: break;  // CONNACK, SUBACK in client mode
      }
      if (quit) break;
      at += hl + rem;
    }
    conn.consume(at);
    if (!acks.empty()) {
      if (!conn.write(acks.data(), acks.size())) { std::fprintf(stderr, "sink: write failed\n"); break; }
      acks.clear();
    }
    if (conn.closed() && !quit) { std::fprintf(stderr, "sink: connection closed by the peer\n"); quit = true; }
    if (pubs > 0) {
      std::uint64_t expected = 0;
      first_ns.compare_exchange_strong(expected, now);
      last_ns.store(now, std::memory_order_relaxed);
      received.fetch_add(pubs, std::memory_order_relaxed);
      unique_count.fetch_add(uniq, std::memory_order_relaxed);
      payload_bytes.fetch_add(bytes, std::memory_order_relaxed);
      std::uint64_t m = max_seq.load(std::memory_order_relaxed);
      while (top > m && !max_seq.compare_exchange_weak(m, top)) {}
      if (stall_at_ns != 0 && !stalled.load(std::memory_order_relaxed) &&
          now - first_ns.load(std::memory_order_relaxed) >= stall_at_ns) {
        bool no = false;
        if (stalled.compare_exchange_strong(no, true)) stall_until.store(now + stall_ns);
      }
    }
    if (quit) break;
  }
  conn.flush(200000000ULL);  // the last acks
  std::lock_guard<std::mutex> lock(merge_mutex);
  latency_all.merge(lat);
}

}  // namespace

int main(int argc, char** argv) {
  const options opt(argc, argv);
  on_stop_signals(on_signal);
  std::uint64_t expect = static_cast<std::uint64_t>(opt.num("expect", 0));
  const std::string source_result = opt.get("source-result");
  std::uint64_t next_check = 0;
  const std::uint64_t idle_ns = static_cast<std::uint64_t>(opt.num("idle-ms", 2000)) * 1000000ULL;
  const std::uint64_t max_ns = static_cast<std::uint64_t>(opt.num("max-ms", 600000)) * 1000000ULL;
  stall_at_ns = static_cast<std::uint64_t>(opt.num("stall-at-ms", 0)) * 1000000ULL;
  stall_ns = static_cast<std::uint64_t>(opt.num("stall-ms", 0)) * 1000000ULL;
  void* m = mmap(nullptr, seen_bits / 8, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (m == MAP_FAILED) die("sink: cannot map the seen-bitmap");
  seen = static_cast<std::atomic<std::uint64_t>*>(m);
  const bool tls = opt.has("tls");
  const std::uint64_t t_start = now_ns();
  std::vector<std::thread> threads;
  WOLFSSL_CTX* ctx = nullptr;
  const int version = static_cast<int>(opt.num("mqtt-version", 4));
  int lfd = -1;
  if (opt.has("connect")) {
    std::string host; int port = 0;
    split_host_port(opt.get("connect"), host, port);
    if (tls) ctx = tls_client_ctx(opt.need("ca"), opt.get("cert"), opt.get("key"));
    stream s = stream::client(connect_tcp(host, port), ctx, "localhost");
    ++live;
    threads.emplace_back([s = std::move(s), version, f = opt.get("subscribe", "#")]() mutable {
      connection(std::move(s), version, f);
      tls_thread_done();
      --live;
    });
  } else {
    if (tls) ctx = tls_server_ctx(opt.need("cert"), opt.need("key"), opt.need("ca"));
    lfd = listen_tcp("127.0.0.1", static_cast<int>(opt.num("listen", 8883)));
  }
  if (opt.has("ready-file")) std::ofstream(opt.get("ready-file")) << "ready\n";
  while (!stop_signal) {
    if (lfd >= 0) {
      pollfd p{lfd, POLLIN, 0};
      if (::poll(&p, 1, 20) > 0) {
        const int fd = accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd >= 0) {
          tune_socket(fd);  // TCP_NODELAY is not inherited from the listening socket everywhere
          ++live;
          threads.emplace_back([fd, ctx] {
            stream s = stream::server(fd, ctx);
            if (s.fd() >= 0) connection(std::move(s), 4, "");
            tls_thread_done();
            --live;
          });
        }
      }
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      if (live.load() == 0) break;
    }
    const std::uint64_t now = now_ns();
    if (expect == 0 && !source_result.empty() && now >= next_check) {  // the source has finished?
      next_check = now + 50000000ULL;
      std::ifstream in(source_result);
      std::string line;
      const std::string key = "\"sent\":";
      if (std::getline(in, line) && line.find(key) != std::string::npos)
        expect = std::strtoull(line.c_str() + line.find(key) + key.size(), nullptr, 10);
    }
    if (expect != 0 && unique_count.load() >= expect) break;
    const std::uint64_t last = std::max(last_ns.load(), stall_until.load());
    if (received.load() > 0 && now > last && now - last > idle_ns) break;
    if (now - t_start > max_ns) break;
  }
  stop = true;
  for (auto& t : threads) t.join();
  const std::uint64_t f = first_ns.load(), l = last_ns.load();
  const double secs = l > f ? static_cast<double>(l - f) / 1e9 : 0.0;
  const std::uint64_t u = unique_count.load();
  char line[768];
  std::snprintf(line, sizeof line,
                "{\"received\":%llu,\"unique\":%llu,\"dups\":%llu,\"max_seq\":%llu,\"connections\":%d,"
                "\"secs\":%.3f,\"rate\":%.0f,\"mbps\":%.2f,\"p50_us\":%.1f,\"p99_us\":%.1f,"
                "\"p999_us\":%.1f,\"max_us\":%.1f}\n",
                static_cast<unsigned long long>(received.load()), static_cast<unsigned long long>(u),
                static_cast<unsigned long long>(received.load() - u),
                static_cast<unsigned long long>(max_seq.load()), connections.load(), secs,
                secs > 0 ? static_cast<double>(u) / secs : 0.0,
                secs > 0 ? static_cast<double>(payload_bytes.load()) / secs / 1e6 : 0.0,
                static_cast<double>(latency_all.percentile(50)) / 1e3,
                static_cast<double>(latency_all.percentile(99)) / 1e3,
                static_cast<double>(latency_all.percentile(99.9)) / 1e3,
                static_cast<double>(latency_all.percentile(100)) / 1e3);
  if (opt.has("out")) std::ofstream(opt.get("out")) << line; else std::fputs(line, stdout);
  if (opt.has("cdf")) latency_all.write_cdf(opt.get("cdf"));
  tls_thread_done();
  if (ctx != nullptr) wolfSSL_CTX_free(ctx);
  return 0;
}
