// Helpers shared by tls/context.cpp and tls/session.cpp; not part of the public API.
#pragma once

// wolfSSL requires its configuration header before any other of its headers.
#include <wolfssl/options.h>
#include <wolfssl/ssl.h>
#include <wolfssl/openssl/evp.h>
#include <wolfssl/openssl/pem.h>
#include <wolfssl/wolfcrypt/ecc.h>

#include <string>

namespace mqrelay::tls::detail {

// "wolfSSL error -188: ASN no signer error to confirm failure". Allocates; cold paths only.
std::string wolf_error(int code);

// True for an IPv4 or IPv6 address literal ("127.0.0.1", "::1"): those are checked against the
// certificate's SAN IP entries and never sent as SNI.
bool is_ip_literal(const std::string& host) noexcept;

// Debian's wolfSSL is built with FP_ECC and HAVE_THREAD_LS: every thread that does an ECC
// operation (handshake, signature) gets its own fixed-point cache (a few MiB), which wolfSSL
// frees only when that thread calls wc_ecc_fp_free(). Calling this on a thread registers a
// thread_local guard that does so at thread exit, so reactor threads (and test threads) do not
// leak it. Cheap after the first call on a thread; never fails.
void register_thread_cleanup() noexcept;

}  // namespace mqrelay::tls::detail
