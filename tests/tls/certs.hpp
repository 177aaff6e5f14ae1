// Throw-away PKI for the TLS tests, made once per test process by tests/support/make_certs.sh.
#pragma once

#include <string>

namespace mqrelay::tls::testing {

// Directory holding ca.pem, server.pem/.key, client.pem/.key, other-ca.pem, wronghost.pem/.key.
// Created on first use in a fresh temporary directory, removed when the process exits.
// Aborts the test (FAIL) when the script fails.
const std::string& cert_dir();
inline std::string cert(const char* name) { return cert_dir() + "/" + name; }

// A fresh empty temporary directory, removed when the process exits.
std::string temp_dir();

}  // namespace mqrelay::tls::testing
