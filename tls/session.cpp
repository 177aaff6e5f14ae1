// session: one WOLFSSL over two memory buffers (ciphertext in, ciphertext out).
//
// Data path. Ciphertext is received by the owner straight into `in_` (no copy on our side);
// wolfSSL pulls it through on_recv() into its own record buffer and decrypts into the caller's
// buffer. On the way out, write() hands a whole batch of MQTT packets to one wolfSSL_write(),
// which cuts it into ≤16 KiB records and pushes each through on_send() into `out_`. Both buffers
// keep their capacity for the connection's lifetime, so the steady state allocates nothing.
#include <algorithm>
#include <climits>
#include <cstring>
#include <new>

#include "tls/internal.hpp"
#include "tls/tls_session.hpp"

namespace mqrelay::tls {

namespace {

// A growable byte FIFO over one uninitialised allocation: [begin_, end_) holds data,
// [end_, cap_) is free. Space is reclaimed (compacted) only inside writable(), never by
// consume(), so a span from writable() keeps its address while data is consumed.
class byte_buffer {
 public:
  std::size_t size() const noexcept { return end_ - begin_; }
  bool empty() const noexcept { return begin_ == end_; }
  const std::uint8_t* data() const noexcept { return data_.get() + begin_; }

  // At least min_free bytes of writable space; may compact or reallocate. Throws bad_alloc.
  std::span<std::uint8_t> writable(std::size_t min_free) {
    if (begin_ == end_) begin_ = end_ = 0;
    if (cap_ - end_ < min_free && begin_ > 0) {
      std::memmove(data_.get(), data_.get() + begin_, end_ - begin_);
      end_ -= begin_;
      begin_ = 0;
    }
    if (cap_ - end_ < min_free) {
      const std::size_t cap = std::max({cap_ * 2, end_ + min_free, std::size_t{4096}});
      auto grown = std::make_unique_for_overwrite<std::uint8_t[]>(cap);
      if (end_ > 0) std::memcpy(grown.get(), data_.get(), end_);
      data_ = std::move(grown);
      cap_ = cap;
    }
    return {data_.get() + end_, cap_ - end_};
  }
  void commit(std::size_t n) noexcept { end_ = std::min(end_ + n, cap_); }
  void consume(std::size_t n) noexcept { begin_ = std::min(begin_ + n, end_); }
  void append(const void* p, std::size_t n) {
    std::memcpy(writable(n).data(), p, n);
    end_ += n;
  }

 private:
  std::unique_ptr<std::uint8_t[]> data_;
  std::size_t cap_ = 0, begin_ = 0, end_ = 0;
};

}  // namespace

struct session::impl {
  explicit impl(client_context& c) : ctx(&c) {}
  ~impl() {
    if (ssl != nullptr) wolfSSL_free(ssl);
  }
  impl(const impl&) = delete;
  impl& operator=(const impl&) = delete;

  void fail(std::string why) {
    failed = true;
    error = std::move(why);
  }
  // Builds last_error() from wolfSSL's error code and what the verify callback saw.
  void fail_with(int err);

  client_context* ctx;
  WOLFSSL* ssl = nullptr;
  byte_buffer in, out;
  std::string error;
  std::string verify_detail;  // first failed certificate check, from on_verify()
  bool host_mismatch = false;
  bool failed = false;
};

namespace {

session::impl* owner(WOLFSSL* ssl) noexcept { return static_cast<session::impl*>(wolfSSL_GetIOReadCtx(ssl)); }

// wolfSSL pulls ciphertext. No data yet is not an error: WANT_READ makes wolfSSL_connect /
// wolfSSL_read return and be called again after the next cipher_in_commit().
int on_recv(WOLFSSL*, char* buf, int sz, void* ctx) noexcept {
  auto* s = static_cast<session::impl*>(ctx);
  if (s->in.empty()) return WOLFSSL_CBIO_ERR_WANT_READ;
  const std::size_t n = std::min(s->in.size(), static_cast<std::size_t>(sz));
  std::memcpy(buf, s->in.data(), n);
  s->in.consume(n);
  return static_cast<int>(n);
}

// wolfSSL pushes ciphertext: always accepted whole; the owner sends it when it can.
int on_send(WOLFSSL*, char* buf, int sz, void* ctx) noexcept {
  auto* s = static_cast<session::impl*>(ctx);
  try {
    s->out.append(buf, static_cast<std::size_t>(sz));
  } catch (const std::bad_alloc&) {
    return WOLFSSL_CBIO_ERR_GENERAL;
  }
  return sz;
}

std::string subject_of(WOLFSSL_X509* cert) {
  if (cert == nullptr) return "?";
  char name[256] = {};
  if (wolfSSL_X509_NAME_oneline(wolfSSL_X509_get_subject_name(cert), name, sizeof name) == nullptr) return "?";
  return name;
}

// Called for every certificate of the chain (WOLFSSL_ALWAYS_VERIFY_CB and
// WOLFSSL_VERIFY_CB_ALL_CERTS are on in Debian's build). Records the first failure for
// last_error(); returns wolfSSL's own verdict except for one addition: an IP-literal server name
// is checked against the leaf's SAN IP entries here, because wolfSSL_check_domain_name() matches
// DNS names only.
int on_verify(int preverify, WOLFSSL_X509_STORE_CTX* store) noexcept {
  auto* ssl = static_cast<WOLFSSL*>(
      wolfSSL_X509_STORE_CTX_get_ex_data(store, wolfSSL_get_ex_data_X509_STORE_CTX_idx()));
  session::impl* s = ssl != nullptr ? owner(ssl) : nullptr;
  if (s == nullptr) return preverify;  // cannot happen with our sessions; keep wolfSSL's verdict
  try {
    WOLFSSL_X509* cert = wolfSSL_X509_STORE_CTX_get_current_cert(store);
    const int depth = wolfSSL_X509_STORE_CTX_get_error_depth(store);
    if (!preverify) {
      const int err = wolfSSL_X509_STORE_CTX_get_error(store);
      if (err == DOMAIN_NAME_MISMATCH || err == IPADDR_MISMATCH) s->host_mismatch = true;
      if (s->verify_detail.empty())
        s->verify_detail = std::string(wolfSSL_X509_verify_cert_error_string(err)) + " at depth " +
                           std::to_string(depth) + " (subject " + subject_of(cert) + ")";
      return 0;
    }
    if (depth == 0 && s->ctx->server_name_is_ip() && cert != nullptr &&
        wolfSSL_X509_check_ip_asc(cert, s->ctx->options().server_name.c_str(), 0) != WOLFSSL_SUCCESS) {
      s->host_mismatch = true;
      if (s->verify_detail.empty()) s->verify_detail = "no SAN IP entry matches (subject " + subject_of(cert) + ")";
      return 0;
    }
  } catch (const std::bad_alloc&) {
    return 0;  // cannot record why; fail closed
  }
  return preverify;
}

}  // namespace

void session::impl::fail_with(int err) {
  const std::string& name = ctx->options_.server_name;
  if (host_mismatch || err == DOMAIN_NAME_MISMATCH || err == IPADDR_MISMATCH) {
    fail("host name mismatch: the server certificate is not valid for " + name +
         (verify_detail.empty() ? "" : ": " + verify_detail) + " (" + detail::wolf_error(err) + ")");
    return;
  }
  if (!verify_detail.empty()) {
    fail("certificate verify failed: " + verify_detail + " (checked against CA file " + ctx->options_.ca_file +
         "; " + detail::wolf_error(err) + ")");
    return;
  }
  if (err == WOLFSSL_ERROR_ZERO_RETURN) {
    fail("peer closed the TLS session (close_notify)");
    return;
  }
  WOLFSSL_ALERT_HISTORY h{};
  if (wolfSSL_get_alert_history(ssl, &h) == WOLFSSL_SUCCESS && h.last_rx.level == alert_fatal) {
    // wolfSSL has no text for some alerts (e.g. TLS 1.3's certificate_required, 116).
    const char* desc = wolfSSL_alert_desc_string_long(h.last_rx.code);
    std::string what = desc != nullptr ? desc : h.last_rx.code == 116 ? "certificate required" : "";
    fail("the server sent the fatal alert \"" + (what.empty() ? std::to_string(h.last_rx.code) : what) +
         "\" (" + detail::wolf_error(err) + ")");
    return;
  }
  fail(detail::wolf_error(err));
}

session::session(client_context& context) : impl_(std::make_unique<impl>(context)) {
  detail::register_thread_cleanup();
  impl& s = *impl_;
  const client_options& o = context.options_;
  s.ssl = wolfSSL_new(context.ctx_);
  if (s.ssl == nullptr) {
    s.fail("cannot create a TLS session (out of memory?)");
    return;
  }
  wolfSSL_SSLSetIORecv(s.ssl, on_recv);
  wolfSSL_SSLSetIOSend(s.ssl, on_send);
  wolfSSL_SetIOReadCtx(s.ssl, &s);
  wolfSSL_SetIOWriteCtx(s.ssl, &s);
  wolfSSL_set_verify(s.ssl, WOLFSSL_VERIFY_PEER, on_verify);

  if (!context.server_name_is_ip_) {
    // Host name against SAN DNS / CN, checked by wolfSSL while it verifies the leaf.
    if (wolfSSL_check_domain_name(s.ssl, o.server_name.c_str()) != WOLFSSL_SUCCESS) {
      s.fail("cannot set the host name to verify: " + o.server_name);
      return;
    }
    if (o.send_sni && wolfSSL_UseSNI(s.ssl, WOLFSSL_SNI_HOST_NAME, o.server_name.data(),
                                     static_cast<unsigned short>(o.server_name.size())) != WOLFSSL_SUCCESS) {
      s.fail("cannot set SNI " + o.server_name);
      return;
    }
  }
  if (!o.alpn.empty()) {
    // FAILED_ON_MISMATCH: a server that answers with another protocol is not the one we want.
    // A server that does not answer ALPN at all is accepted; alpn_selected() is then "".
    std::string list = o.alpn;  // wolfSSL takes a mutable comma-separated list
    if (wolfSSL_UseALPN(s.ssl, list.data(), static_cast<unsigned>(list.size()), WOLFSSL_ALPN_FAILED_ON_MISMATCH) !=
        WOLFSSL_SUCCESS) {
      s.fail("cannot offer ALPN " + o.alpn);
      return;
    }
  }
}

session::~session() = default;
session::session(session&&) noexcept = default;
session& session::operator=(session&&) noexcept = default;

std::span<std::uint8_t> session::cipher_in_writable(std::size_t min_free) {
  return impl_->in.writable(std::max<std::size_t>(min_free, 1));
}

void session::cipher_in_commit(std::size_t n) { impl_->in.commit(n); }

session::status session::handshake() {
  impl& s = *impl_;
  if (s.failed) return status::error;
  if (wolfSSL_is_init_finished(s.ssl)) return status::ok;
  detail::register_thread_cleanup();  // the handshake's ECC work fills this thread's cache
  const int rc = wolfSSL_connect(s.ssl);
  if (rc == WOLFSSL_SUCCESS) {
    // Belt and braces for IP literals: on_verify() already checked the leaf's SAN IP entries,
    // but only because this wolfSSL build calls it on success too (WOLFSSL_ALWAYS_VERIFY_CB).
    // Check again on the kept peer certificate so a build without it fails closed.
    if (s.ctx->server_name_is_ip_) {
      WOLFSSL_X509* peer = wolfSSL_get_peer_certificate(s.ssl);
      const bool ok = peer != nullptr &&
                      wolfSSL_X509_check_ip_asc(peer, s.ctx->options_.server_name.c_str(), 0) == WOLFSSL_SUCCESS;
      wolfSSL_X509_free(peer);
      if (!ok) {
        s.fail("host name mismatch: the server certificate is not valid for " + s.ctx->options_.server_name +
               ": no SAN IP entry matches");
        return status::error;
      }
    }
    return status::ok;
  }
  const int err = wolfSSL_get_error(s.ssl, rc);
  if (err == WOLFSSL_ERROR_WANT_READ || err == WOLFSSL_ERROR_WANT_WRITE) return status::want_io;
  s.fail_with(err);
  return status::error;
}

long session::read(std::uint8_t* out, std::size_t len) {
  impl& s = *impl_;
  if (s.failed) return -1;
  if (len == 0) return 0;
  const int n = wolfSSL_read(s.ssl, out, static_cast<int>(std::min<std::size_t>(len, INT_MAX)));
  if (n > 0) return n;
  const int err = wolfSSL_get_error(s.ssl, n);
  if (err == WOLFSSL_ERROR_WANT_READ || err == WOLFSSL_ERROR_WANT_WRITE) return 0;
  s.fail_with(err);
  return -1;
}

bool session::write(std::span<const std::uint8_t> plain) {
  impl& s = *impl_;
  if (s.failed) return false;
  if (!wolfSSL_is_init_finished(s.ssl)) {
    s.fail("write before the TLS handshake is done");
    return false;
  }
  constexpr std::size_t kMaxCall = std::size_t{1} << 30;  // wolfSSL_write takes an int
  while (!plain.empty()) {
    const std::size_t chunk = std::min(plain.size(), kMaxCall);
    const int rc = wolfSSL_write(s.ssl, plain.data(), static_cast<int>(chunk));
    if (rc <= 0) {
      s.fail_with(wolfSSL_get_error(s.ssl, rc));
      return false;
    }
    // on_send() never pushes back, so wolfSSL encrypts the whole chunk in one call.
    plain = plain.subspan(static_cast<std::size_t>(rc));
  }
  return true;
}

std::span<const std::uint8_t> session::cipher_out() const noexcept { return {impl_->out.data(), impl_->out.size()}; }

void session::cipher_out_consume(std::size_t n) noexcept { impl_->out.consume(n); }

void session::shutdown() {
  impl& s = *impl_;
  if (s.ssl != nullptr && !s.failed) (void)wolfSSL_shutdown(s.ssl);
}

bool session::handshake_done() const noexcept {
  return impl_->ssl != nullptr && !impl_->failed && wolfSSL_is_init_finished(impl_->ssl);
}

const std::string& session::last_error() const noexcept { return impl_->error; }

std::string session::alpn_selected() const {
  if (impl_->ssl == nullptr) return {};
  char* name = nullptr;
  unsigned short size = 0;
  if (wolfSSL_ALPN_GetProtocol(impl_->ssl, &name, &size) != WOLFSSL_SUCCESS || name == nullptr) return {};
  return std::string(name, size);
}

}  // namespace mqrelay::tls
