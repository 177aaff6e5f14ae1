// metrics: the HTTP endpoint of `metrics.listen` (SPEC §3.2).
//
//   GET /metrics   the relay's counters and gauges, Prometheus text format 0.0.4
//   GET /healthz   200 "ok" while every link is connected, else 503 naming the links that are not
//
// Served by libmicrohttpd (loaded with dlopen when the first server starts: a relay without
// metrics does not map it) on a thread of its own that sleeps in poll(): it reads the relay's
// atomic counters and the links' connected flags (relaxed loads) and touches nothing else, so the
// message path gains no lock, allocation or syscall. A scrape allocates its reply; that is all.
// Requests are bounded: 8 connections at a time, 5 s each, only GET and HEAD.
#pragma once
#include <memory>
#include <string>
#include <vector>

struct MHD_Daemon;

namespace mqrelay::engine {

struct mhd_api;  // libmicrohttpd's functions (metrics.cpp)

struct relay_context;
class link;

class metrics_server {
 public:
  // Binds `listen` ("host:port", "[v6]:port"; as checked by the configuration) and serves.
  // nullptr and `why` when it cannot (the address does not resolve, the port is taken, ...).
  static std::unique_ptr<metrics_server> start(const std::string& listen, const relay_context& ctx,
                                               std::vector<const link*> links, std::string& why);
  ~metrics_server();  // stops serving and joins the thread
  metrics_server(const metrics_server&) = delete;
  metrics_server& operator=(const metrics_server&) = delete;

  // The body of GET /metrics and of GET /healthz (its status: 200 or 503).
  static std::string render_metrics(const relay_context& ctx, const std::vector<const link*>& links);
  static std::string render_health(const std::vector<const link*>& links, unsigned& status);

  const relay_context& context() const noexcept { return ctx_; }
  const std::vector<const link*>& links() const noexcept { return links_; }
  const mhd_api& mhd() const noexcept { return *mhd_; }

 private:
  metrics_server(const relay_context& ctx, std::vector<const link*> links) : ctx_(ctx), links_(std::move(links)) {}

  const relay_context& ctx_;
  std::vector<const link*> links_;
  const mhd_api* mhd_ = nullptr;
  MHD_Daemon* daemon_ = nullptr;
};

}  // namespace mqrelay::engine
