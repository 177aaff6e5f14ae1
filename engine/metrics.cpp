// The metrics.listen endpoint: see metrics.hpp.
#include "engine/metrics.hpp"

#include <dlfcn.h>
#include <microhttpd.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cinttypes>
#include <cstdarg>
#include <cstdio>
#include <cstring>

#include "config/config.hpp"
#include "engine/context.hpp"
#include "engine/link.hpp"
#include "engine/log.hpp"

namespace mqrelay::engine {

// libmicrohttpd, loaded on first use: a relay without metrics.listen maps neither it nor GnuTLS,
// which it pulls in (2.8 MiB of RSS in every process when linked). Loaded once, never unloaded.
struct mhd_api {
  decltype(&MHD_start_daemon) start_daemon = nullptr;
  decltype(&MHD_stop_daemon) stop_daemon = nullptr;
  decltype(&MHD_create_response_from_buffer) create_response_from_buffer = nullptr;
  decltype(&MHD_add_response_header) add_response_header = nullptr;
  decltype(&MHD_queue_response) queue_response = nullptr;
  decltype(&MHD_destroy_response) destroy_response = nullptr;
};

namespace {

template <typename F>
bool bind_symbol(void* lib, const char* name, F& f) {
  f = reinterpret_cast<F>(::dlsym(lib, name));
  return f != nullptr;
}

// nullptr and `why` if the library cannot be loaded (package libmicrohttpd12 not installed).
const mhd_api* load_mhd(std::string& why) {
  static mhd_api api;
  static std::string error;
  static const bool loaded = [] {
    void* lib = ::dlopen(MQRELAY_MHD_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
      const char* e = ::dlerror();
      error = std::string("cannot load " MQRELAY_MHD_SONAME " (Debian package libmicrohttpd12): ") + (e ? e : "?");
      return false;
    }
    if (bind_symbol(lib, "MHD_start_daemon", api.start_daemon) && bind_symbol(lib, "MHD_stop_daemon", api.stop_daemon) &&
        bind_symbol(lib, "MHD_create_response_from_buffer", api.create_response_from_buffer) &&
        bind_symbol(lib, "MHD_add_response_header", api.add_response_header) &&
        bind_symbol(lib, "MHD_queue_response", api.queue_response) &&
        bind_symbol(lib, "MHD_destroy_response", api.destroy_response))
      return true;
    error = MQRELAY_MHD_SONAME " lacks a function the relay uses";
    return false;
  }();
  if (!loaded) {
    why = error;
    return nullptr;
  }
  return &api;
}

constexpr unsigned kMaxConnections = 8;
constexpr unsigned kConnectionTimeoutS = 5;

void append(std::string& out, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
void append(std::string& out, const char* fmt, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  const int n = std::vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (n > 0) out.append(buf, std::min<std::size_t>(static_cast<std::size_t>(n), sizeof buf - 1));
}

void family(std::string& out, const char* name, const char* type, const char* help) {
  append(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

void counter(std::string& out, const char* name, const char* help, const std::atomic<std::uint64_t>& v) {
  family(out, name, "counter", help);
  append(out, "%s %" PRIu64 "\n", name, v.load(std::memory_order_relaxed));
}

// Link names are ours ("local", "iotcore", "iotcore#2"): nothing to escape in a label value.
void link_label(std::string& out, const link* l) {
  append(out, "{link=\"%s\",endpoint=\"%s\"}", l->settings().name.c_str(), config::endpoint_name(l->settings().endpoint));
}

void log_from_mhd(void*, const char* fmt, va_list ap) {
  char buf[256];
  std::vsnprintf(buf, sizeof buf, fmt, ap);
  const std::size_t n = std::strlen(buf);
  if (n > 0 && buf[n - 1] == '\n') buf[n - 1] = '\0';
  LOG_DEBUG("metrics: %s", buf);
}

MHD_Result answer(void* cls, MHD_Connection* c, const char* url, const char* method, const char*, const char*,
                  size_t* upload_size, void**) {
  const auto* s = static_cast<const metrics_server*>(cls);
  unsigned status = MHD_HTTP_OK;
  std::string body;
  const char* type = "text/plain; charset=utf-8";
  const bool get = std::strcmp(method, MHD_HTTP_METHOD_GET) == 0, head = std::strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
  if (!get && !head) {
    status = MHD_HTTP_METHOD_NOT_ALLOWED;
    body = "only GET and HEAD\n";
  } else if (std::strcmp(url, "/metrics") == 0) {
    body = metrics_server::render_metrics(s->context(), s->links());
    type = "text/plain; version=0.0.4; charset=utf-8";
  } else if (std::strcmp(url, "/healthz") == 0) {
    body = metrics_server::render_health(s->links(), status);
  } else {
    status = MHD_HTTP_NOT_FOUND;
    body = "not found: GET /metrics or /healthz\n";
  }
  *upload_size = 0;  // a body sent with the request is ignored
  const mhd_api& mhd = s->mhd();
  MHD_Response* r = mhd.create_response_from_buffer(body.size(), body.data(), MHD_RESPMEM_MUST_COPY);
  if (!r) return MHD_NO;
  mhd.add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
  if (status == MHD_HTTP_METHOD_NOT_ALLOWED) mhd.add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
  const MHD_Result ret = mhd.queue_response(c, status, r);
  mhd.destroy_response(r);
  return ret;
}

// A listening socket on host:port ("[v6]:port" too), or -1 and why.
int listen_on(const std::string& listen, std::string& why) {
  const auto colon = listen.rfind(':');
  std::string host = listen.substr(0, colon), port = listen.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* res = nullptr;
  if (const int rc = getaddrinfo(host.c_str(), port.c_str(), &hints, &res); rc != 0) {
    why = "metrics.listen " + listen + ": " + gai_strerror(rc);
    return -1;
  }
  int fd = -1;
  int err = 0;
  for (addrinfo* a = res; a && fd < 0; a = a->ai_next) {
    fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, a->ai_protocol);
    if (fd < 0) {
      err = errno;
      continue;
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(fd, a->ai_addr, a->ai_addrlen) != 0 || ::listen(fd, 16) != 0) {
      err = errno;
      ::close(fd);
      fd = -1;
    }
  }
  freeaddrinfo(res);
  if (fd < 0) why = "metrics.listen " + listen + ": " + std::strerror(err);
  return fd;
}

}  // namespace

std::string metrics_server::render_metrics(const relay_context& ctx, const std::vector<const link*>& links) {
  std::string out;
  out.reserve(4096);
  const counters& c = ctx.ctr;
  counter(out, "mqrelay_messages_received_total", "Publishes taken from the sources.", c.received);
  counter(out, "mqrelay_messages_delivered_total", "Publishes acknowledged by a target.", c.delivered);
  family(out, "mqrelay_messages_not_relayed_total", "counter",
         "Publishes not relayed to a target (acknowledged to their source; SPEC 4.6, 4.8), by reason.");
  const struct {
    const char* reason;
    const std::atomic<std::uint64_t>* v;
  } reasons[] = {{"qos0_target_offline", &c.dropped_qos0}, {"too_large", &c.skipped_too_large},
                 {"bad_topic", &c.skipped_bad_topic},     {"refused_by_target", &c.refused_by_target},
                 {"no_mapping", &c.unrouted}};
  for (const auto& r : reasons)
    append(out, "mqrelay_messages_not_relayed_total{reason=\"%s\"} %" PRIu64 "\n", r.reason, r.v->load(std::memory_order_relaxed));
  family(out, "mqrelay_messages_in_relay", "gauge", "Messages taken from a source and not yet acknowledged by all their targets.");
  append(out, "mqrelay_messages_in_relay %lld\n", static_cast<long long>(ctx.live_messages.load(std::memory_order_relaxed)));
  family(out, "mqrelay_spooler_bytes", "gauge", "Memory held for messages not yet acknowledged by their targets.");
  append(out, "mqrelay_spooler_bytes %lld\n", static_cast<long long>(ctx.spool_bytes.load(std::memory_order_relaxed)));
  family(out, "mqrelay_spooler_limit_bytes", "gauge", "spooler.maxSizeInBytes.");
  append(out, "mqrelay_spooler_limit_bytes %lld\n", static_cast<long long>(ctx.spool_max));
  family(out, "mqrelay_link_connected", "gauge", "1 while the link to the broker is connected (CONNACK accepted).");
  for (const link* l : links) {
    out += "mqrelay_link_connected";
    link_label(out, l);
    append(out, " %d\n", l->connected_now() ? 1 : 0);
  }
  return out;
}

std::string metrics_server::render_health(const std::vector<const link*>& links, unsigned& status) {
  std::string down;
  for (const link* l : links)
    if (!l->connected_now()) down += (down.empty() ? "" : ", ") + l->settings().name;
  status = down.empty() ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE;
  return down.empty() ? "ok\n" : "not connected: " + down + "\n";
}

std::unique_ptr<metrics_server> metrics_server::start(const std::string& listen, const relay_context& ctx,
                                                      std::vector<const link*> links, std::string& why) {
  const mhd_api* mhd = load_mhd(why);
  if (!mhd) {
    why = "metrics.listen " + listen + ": " + why;
    return nullptr;
  }
  std::unique_ptr<metrics_server> s(new metrics_server(ctx, std::move(links)));
  s->mhd_ = mhd;
  const int fd = listen_on(listen, why);
  if (fd < 0) return nullptr;
  // The logger first: MHD logs through it from then on. MHD owns the socket once it started.
  s->daemon_ = mhd->start_daemon(MHD_USE_POLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG, 0, nullptr, nullptr, &answer, s.get(),
                                MHD_OPTION_EXTERNAL_LOGGER, &log_from_mhd, nullptr,
                                MHD_OPTION_LISTEN_SOCKET, fd,
                                MHD_OPTION_CONNECTION_LIMIT, kMaxConnections,
                                MHD_OPTION_CONNECTION_TIMEOUT, kConnectionTimeoutS,
                                MHD_OPTION_END);
  if (!s->daemon_) {
    ::close(fd);
    why = "metrics.listen " + listen + ": the HTTP server did not start";
    return nullptr;
  }
  LOG_INFO("metrics: serving GET /metrics and /healthz on %s", listen.c_str());
  return s;
}

metrics_server::~metrics_server() {
  if (daemon_) mhd_->stop_daemon(daemon_);  // closes the listening socket too
}

}  // namespace mqrelay::engine
