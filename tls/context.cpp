// client_context: one WOLFSSL_CTX per endpoint, loaded and checked once at start-up.
#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <mutex>
#include <sys/stat.h>
#include <unistd.h>

#include "tls/internal.hpp"  // <wolfssl/options.h> first, then the other wolfSSL headers
#include "tls/tls_session.hpp"

namespace mqrelay::tls {

namespace detail {

std::string wolf_error(int code) {
  char text[WOLFSSL_MAX_ERROR_SZ] = {};
  // wolfSSL_ERR_error_string_n takes the (negative) wolfSSL code through an unsigned long.
  wolfSSL_ERR_error_string_n(static_cast<unsigned long>(static_cast<long>(code)), text, sizeof text);
  std::string s = "wolfSSL error " + std::to_string(code);
  if (text[0] != '\0') {
    s += ": ";
    s += text;
  }
  return s;
}

bool is_ip_literal(const std::string& host) noexcept {
  unsigned char addr[sizeof(in6_addr)];
  return inet_pton(AF_INET, host.c_str(), addr) == 1 || inet_pton(AF_INET6, host.c_str(), addr) == 1;
}

namespace {
struct fp_cache_guard {
  fp_cache_guard() = default;
  fp_cache_guard(const fp_cache_guard&) = delete;
  fp_cache_guard& operator=(const fp_cache_guard&) = delete;
  ~fp_cache_guard() { wc_ecc_fp_free(); }
};
}  // namespace

void register_thread_cleanup() noexcept {
  // The constructor does nothing; odr-using the object is what registers its destructor.
  thread_local fp_cache_guard guard;
  (void)guard;
}

}  // namespace detail

namespace {

std::once_flag g_init_once;

// Checks that path can be opened for reading, so that the error names the file and the errno
// reason instead of wolfSSL's generic "bad file". Returns "" when it can.
std::string unreadable(const char* what, const std::string& path) {
  if (path.empty()) return std::string("no ") + what + " given";
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::string("cannot read ") + what + " " + path + ": " + std::strerror(errno);
  struct stat st {};
  const bool is_dir = ::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode);
  ::close(fd);
  if (is_dir) return std::string("cannot read ") + what + " " + path + ": Is a directory";
  return {};
}

// wolfSSL_CTX_check_private_key() in 5.5.4 accepts any EC P-256 key with any P-256 certificate
// (seen with make_certs.sh's keys), so prove possession instead: sign with the key, verify with
// the certificate's public key. 1 = they match, 0 = they do not, -1 = cannot tell (key type the
// EVP layer cannot sign with); -1 leaves the verdict to wolfSSL's own check.
int key_matches_certificate(const std::string& cert_file, const std::string& key_file) {
  WOLFSSL_X509* cert = wolfSSL_X509_load_certificate_file(cert_file.c_str(), WOLFSSL_FILETYPE_PEM);
  WOLFSSL_BIO* bio = wolfSSL_BIO_new_file(key_file.c_str(), "r");
  WOLFSSL_EVP_PKEY* key = bio != nullptr ? wolfSSL_PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr) : nullptr;
  WOLFSSL_EVP_PKEY* pub = cert != nullptr ? wolfSSL_X509_get_pubkey(cert) : nullptr;
  int result = -1;
  if (key != nullptr && pub != nullptr) {
    static const unsigned char msg[] = "mqrelay: does this key belong to this certificate?";
    unsigned char sig[1024];
    size_t sig_len = sizeof sig;
    WOLFSSL_EVP_MD_CTX* md = wolfSSL_EVP_MD_CTX_new();
    const bool signed_ok = md != nullptr &&
                           wolfSSL_EVP_DigestSignInit(md, nullptr, wolfSSL_EVP_sha256(), nullptr, key) == 1 &&
                           wolfSSL_EVP_DigestSignUpdate(md, msg, sizeof msg) == 1 &&
                           wolfSSL_EVP_DigestSignFinal(md, sig, &sig_len) == 1;
    wolfSSL_EVP_MD_CTX_free(md);
    if (signed_ok) {
      md = wolfSSL_EVP_MD_CTX_new();
      result = md != nullptr &&
                       wolfSSL_EVP_DigestVerifyInit(md, nullptr, wolfSSL_EVP_sha256(), nullptr, pub) == 1 &&
                       wolfSSL_EVP_DigestVerifyUpdate(md, msg, sizeof msg) == 1 &&
                       wolfSSL_EVP_DigestVerifyFinal(md, sig, sig_len) == 1
                   ? 1
                   : 0;
      wolfSSL_EVP_MD_CTX_free(md);
    }
  }
  wolfSSL_EVP_PKEY_free(pub);
  wolfSSL_EVP_PKEY_free(key);
  if (bio != nullptr) wolfSSL_BIO_free(bio);
  wolfSSL_X509_free(cert);
  return result;
}

struct ctx_deleter {
  void operator()(WOLFSSL_CTX* c) const noexcept { wolfSSL_CTX_free(c); }
};

}  // namespace

void global_init() {
  std::call_once(g_init_once, [] { wolfSSL_Init(); });
}

client_context::client_context(WOLFSSL_CTX* ctx, client_options options, bool server_name_is_ip)
    : ctx_(ctx), options_(std::move(options)), server_name_is_ip_(server_name_is_ip) {}

client_context::~client_context() { wolfSSL_CTX_free(ctx_); }

std::unique_ptr<client_context> client_context::create(const client_options& o, std::string& error) {
  global_init();
  detail::register_thread_cleanup();  // key_matches_certificate() signs with the key here
  error.clear();
  if (o.server_name.empty()) {
    error = "no server name given: it is needed to verify the server certificate";
    return nullptr;
  }
  if (o.cert_file.empty() != o.key_file.empty()) {
    error = o.cert_file.empty() ? "private key " + o.key_file + " given without a certificate file"
                                : "certificate " + o.cert_file + " given without a private key file";
    return nullptr;
  }
  if (o.alpn.size() > 255) {
    error = "ALPN protocol name longer than 255 bytes";
    return nullptr;
  }

  // Version-flexible client method, then TLS 1.2 as the floor (SPEC §1: TLS 1.2+).
  std::unique_ptr<WOLFSSL_CTX, ctx_deleter> ctx(wolfSSL_CTX_new(wolfSSLv23_client_method()));
  if (!ctx) {
    error = "cannot create a TLS context (out of memory?)";
    return nullptr;
  }
  if (int rc = wolfSSL_CTX_SetMinVersion(ctx.get(), WOLFSSL_TLSV1_2); rc != WOLFSSL_SUCCESS) {
    error = "cannot set TLS 1.2 as minimum version: " + detail::wolf_error(rc);
    return nullptr;
  }

  // Cipher preference. Debian's wolfSSL is built without AES-NI: its AES-GCM runs at about
  // 95 MB/s per core here, ChaCha20-Poly1305 about twice that (bench/, issue 4 notes). Where AES
  // has no hardware path we offer ChaCha20-Poly1305 first; the server still chooses, and every
  // suite offered is an AEAD with forward secrecy.
#if !defined(WOLFSSL_AESNI) && !defined(WOLFSSL_ARMASM) && defined(HAVE_CHACHA) && defined(HAVE_POLY1305)
  static constexpr const char* kCiphers =
      "TLS13-CHACHA20-POLY1305-SHA256:TLS13-AES128-GCM-SHA256:TLS13-AES256-GCM-SHA384:"
      "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
      "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
      "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384";
  if (wolfSSL_CTX_set_cipher_list(ctx.get(), kCiphers) != WOLFSSL_SUCCESS) {
    // Keep wolfSSL's defaults if this build lacks one of them.
  }
#endif

  // Trust anchors.
  if (error = unreadable("CA file", o.ca_file); !error.empty()) return nullptr;
  if (int rc = wolfSSL_CTX_load_verify_locations(ctx.get(), o.ca_file.c_str(), nullptr);
      rc != WOLFSSL_SUCCESS) {
    error = "CA file " + o.ca_file + " holds no usable PEM certificate (" + detail::wolf_error(rc) + ")";
    return nullptr;
  }

  // Client certificate (with its chain, if the file has one) and key.
  if (!o.cert_file.empty()) {
    if (error = unreadable("certificate file", o.cert_file); !error.empty()) return nullptr;
    if (error = unreadable("private key file", o.key_file); !error.empty()) return nullptr;
    if (int rc = wolfSSL_CTX_use_certificate_chain_file(ctx.get(), o.cert_file.c_str());
        rc != WOLFSSL_SUCCESS) {
      error = "certificate file " + o.cert_file + " holds no usable PEM certificate (" +
              detail::wolf_error(rc) + ")";
      return nullptr;
    }
    if (int rc = wolfSSL_CTX_use_PrivateKey_file(ctx.get(), o.key_file.c_str(), WOLFSSL_FILETYPE_PEM);
        rc != WOLFSSL_SUCCESS) {
      error = "private key file " + o.key_file + " holds no usable unencrypted PEM key (" +
              detail::wolf_error(rc) + ")";
      return nullptr;
    }
    if (wolfSSL_CTX_check_private_key(ctx.get()) != WOLFSSL_SUCCESS ||
        key_matches_certificate(o.cert_file, o.key_file) == 0) {
      error = "private key " + o.key_file + " does not match certificate " + o.cert_file;
      return nullptr;
    }
  }

  // Always verify the peer. The per-session verify callback only records why a check failed;
  // it never overrides wolfSSL's verdict.
  wolfSSL_CTX_set_verify(ctx.get(), WOLFSSL_VERIFY_PEER, nullptr);

  const bool ip = detail::is_ip_literal(o.server_name);
  return std::unique_ptr<client_context>(new client_context(ctx.release(), o, ip));
}

bool key_file_too_open(const std::string& path) noexcept {
  struct stat st {};
  if (path.empty() || ::stat(path.c_str(), &st) != 0) return false;
  return (st.st_mode & (S_IRGRP | S_IROTH)) != 0;
}

}  // namespace mqrelay::tls
