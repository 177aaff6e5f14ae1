// A scratch directory for one test (configs, certificates, broker and relay logs).
//
// Created under $TMPDIR (else /tmp) as mqrelay-test-XXXXXX, mode 0700. Removed recursively by the
// destructor unless the environment variable MQRELAY_KEEP_TEST_DIRS is set (then its path is
// printed to stderr so the logs can be read after a failure). Not thread-safe; not copyable.
#pragma once
#include <string>

namespace mqrelay::test {

class temp_dir {
 public:
  temp_dir();  // throws std::runtime_error if mkdtemp fails
  ~temp_dir();
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  const std::string& path() const noexcept { return path_; }
  // path() + "/" + name
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Whole file as a string; "" when it cannot be read.
std::string read_text(const std::string& path);
// Writes (truncates) a file; throws std::runtime_error on failure.
void write_text(const std::string& path, const std::string& text);

}  // namespace mqrelay::test
