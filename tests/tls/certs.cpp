#include "tests/tls/certs.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <mutex>
#include <vector>

namespace mqrelay::tls::testing {

namespace {

std::mutex g_mu;
std::vector<std::string>* g_dirs = nullptr;

void remove_dirs() {
  std::error_code ec;
  if (g_dirs != nullptr)
    for (const auto& d : *g_dirs) std::filesystem::remove_all(d, ec);
}

}  // namespace

std::string temp_dir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "mqrelay-tls-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) {
    ADD_FAILURE() << "mkdtemp failed";
    std::abort();
  }
  std::lock_guard lock(g_mu);
  if (g_dirs == nullptr) {
    g_dirs = new std::vector<std::string>();
    std::atexit(remove_dirs);
  }
  g_dirs->push_back(tmpl);
  return tmpl;
}

const std::string& cert_dir() {
  // Retried in a fresh directory: under a loaded machine (parallel ctest, sanitizer builds) the
  // script has been seen to fail once in a while; its output goes into the failure message.
  static const std::string dir = [] {
    std::string log;
    for (int attempt = 0; attempt < 3; ++attempt) {
      std::string d = temp_dir();
      const std::string log_file = d + ".log";
      const std::string cmd = std::string("bash ") + MQRELAY_MAKE_CERTS + " " + d + " >" + log_file + " 2>&1";
      const int rc = std::system(cmd.c_str());
      std::ifstream f(log_file);
      std::stringstream ss;
      ss << f.rdbuf();
      log = cmd + " -> " + std::to_string(rc) + "\n" + ss.str();
      std::remove(log_file.c_str());
      if (rc == 0) return d;
    }
    ADD_FAILURE() << "make_certs.sh failed 3 times; last run:\n" << log;
    std::abort();
  }();
  return dir;
}

}  // namespace mqrelay::tls::testing
