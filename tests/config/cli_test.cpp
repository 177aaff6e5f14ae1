// The mqrelay command line, black box (SPEC §2): the examples as written, bad configurations
// (exit 2, JSON path on stderr), --version, --help, usage errors. Never starts the relay itself:
// every run-mode case here fails validation first. Each child is killed after 20 s.
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

struct outcome {
  int status = -1;  // exit status, or -1 if killed
  std::string out, err;
};

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

outcome run(std::vector<std::string> args) {
  char dir_tmpl[] = "/tmp/mqrelay-cli-XXXXXX";
  if (!::mkdtemp(dir_tmpl)) return {};
  const std::string dir = dir_tmpl, out_path = dir + "/out", err_path = dir + "/err";
  args.insert(args.begin(), MQRELAY_BIN);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&fa, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  pid_t pid = 0;
  outcome o;
  if (posix_spawn(&pid, MQRELAY_BIN, &fa, nullptr, argv.data(), environ) == 0) {
    int st = 0;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    for (;;) {
      pid_t w = ::waitpid(pid, &st, WNOHANG);
      if (w == pid) break;
      if (std::chrono::steady_clock::now() > deadline) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, &st, 0);
        st = -1;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    o.status = (st != -1 && WIFEXITED(st)) ? WEXITSTATUS(st) : -1;
  }
  posix_spawn_file_actions_destroy(&fa);
  o.out = slurp(out_path);
  o.err = slurp(err_path);
  ::unlink(out_path.c_str());
  ::unlink(err_path.c_str());
  ::rmdir(dir.c_str());
  return o;
}

std::string example(const char* name) { return std::string(MQRELAY_SOURCE_DIR) + "/examples/" + name; }

// A configuration written to a temporary file for one test.
class temp_config {
 public:
  explicit temp_config(const std::string& text) {
    char tmpl[] = "/tmp/mqrelay-cli-cfg-XXXXXX";
    int fd = ::mkstemp(tmpl);
    path_ = tmpl;
    if (fd >= 0) {
      ssize_t n = ::write(fd, text.data(), text.size());
      (void)n;
      ::close(fd);
    }
  }
  ~temp_config() { ::unlink(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(Cli, ConsoleExampleAsInTheGreengrassDocs) {
  auto o = run({"--config", example("hello-world-console.json"), "--check"});
  EXPECT_EQ(o.status, 0) << o.err;
  EXPECT_EQ(o.out, "HelloWorldIotCore: LocalMqtt clients/+/hello/world -> IotCore\n");
  // Only warnings on stderr: what Greengrass's nucleus would provide is missing here.
  EXPECT_THAT(o.err, StartsWith("warning: "));
  EXPECT_THAT(o.err, ::testing::Not(HasSubstr("error:")));
}

TEST(Cli, DeploymentExample) {
  auto o = run({"--config", example("hello-world-deployment.json"), "--check"});
  EXPECT_EQ(o.status, 0) << o.err;
  EXPECT_EQ(o.out,
            "HelloWorldIotCore: LocalMqtt clients/+/hello/world -> IotCore\n"
            "HelloWorldEvent: LocalMqtt clients/+/hello/world/event -> IotCore\n"
            "HelloWorldEventConfirmation: IotCore clients/+/hello/world/event/response -> LocalMqtt\n");
}

TEST(Cli, StandaloneExample) {
  auto o = run({"--check", "--config=" + example("hello-world-standalone.json")});
  EXPECT_EQ(o.status, 0) << o.err;
  EXPECT_EQ(o.out,
            "HelloWorldIotCore: LocalMqtt clients/+/hello/world -> IotCore\n"
            "HelloWorldEvent: LocalMqtt clients/+/hello/world/event -> IotCore\n"
            "HelloWorldEventConfirmation: IotCore clients/+/hello/world/event/response -> LocalMqtt\n");
  EXPECT_THAT(o.err, ::testing::Not(HasSubstr("error:")));
  EXPECT_THAT(o.err, ::testing::Not(HasSubstr("loop")));
}

TEST(Cli, ConsoleExampleCannotRunWithoutIotCore) {
  auto o = run({"--config", example("hello-world-console.json")});
  EXPECT_EQ(o.status, 2);
  EXPECT_THAT(o.err, HasSubstr("error: " + example("hello-world-console.json") + ": /iotCore: missing"));
  EXPECT_EQ(o.out, "");
}

TEST(Cli, BadConfigurationExitsTwoWithThePath) {
  temp_config c(R"({"brokerUri": "mqtt://h", "mqttTopicMapping": {"Up": {"topic": "a", "source": "LocalMqtt", "target": "Cloud"}}})");
  for (bool check : {true, false}) {
    std::vector<std::string> args = {"--config", c.path()};
    if (check) args.push_back("--check");
    auto o = run(args);
    EXPECT_EQ(o.status, 2);
    EXPECT_THAT(o.err, HasSubstr("error: " + c.path() + ": /mqttTopicMapping/Up/target: must be LocalMqtt or IotCore"));
    EXPECT_EQ(o.out, "");
  }
}

TEST(Cli, SyntaxErrorNamesLineAndColumn) {
  temp_config c("{\n  \"mqttTopicMapping\": {\n    \"Up\": {\"topic\": \"a\",}\n  }\n}\n");
  auto o = run({"--config", c.path(), "--check"});
  EXPECT_EQ(o.status, 2);
  EXPECT_THAT(o.err, HasSubstr("error: " + c.path() + ": line 3, column 25: invalid JSON: trailing comma"));
}

TEST(Cli, WarningsGoToStderrWithTheirPrefix) {
  temp_config c(R"({"brokerUri": "mqtt://h", "mqtt": {"versoin": "mqtt5"}, "mqttTopicMapping": {
      "Up": {"topic": "a/#", "source": "LocalMqtt", "target": "IotCore"},
      "Down": {"topic": "a/#", "source": "IotCore", "target": "LocalMqtt"}}})");
  auto o = run({"--config", c.path(), "--check"});
  EXPECT_EQ(o.status, 0) << o.err;
  EXPECT_EQ(o.out, "Up: LocalMqtt a/# -> IotCore\nDown: IotCore a/# -> LocalMqtt\n");
  EXPECT_THAT(o.err, HasSubstr("warning: " + c.path() + ": /mqtt/versoin: unknown key, ignored (did you mean \"version\"?)"));
  EXPECT_THAT(o.err, HasSubstr("warning: " + c.path() + ": possible relay loop"));
}

TEST(Cli, MissingFile) {
  auto o = run({"--config", "/nonexistent/mqrelay.json", "--check"});
  EXPECT_EQ(o.status, 2);
  EXPECT_THAT(o.err, HasSubstr("error: /nonexistent/mqrelay.json: cannot open"));
}

TEST(Cli, VersionAndHelp) {
  auto v = run({"--version"});
  EXPECT_EQ(v.status, 0);
  EXPECT_EQ(v.out, std::string("mqrelay ") + MQRELAY_VERSION + "\n");
  auto h = run({"--help"});
  EXPECT_EQ(h.status, 0);
  EXPECT_THAT(h.out, HasSubstr("usage: mqrelay --config FILE [--check]"));
  EXPECT_THAT(h.out, HasSubstr("--version"));
  EXPECT_EQ(h.err, "");
}

TEST(Cli, UsageErrorsExitTwo) {
  const std::vector<std::vector<std::string>> cases = {
      {}, {"--check"}, {"--config"}, {"--config="}, {"--bogus"}, {"file.json"}, {"--config", "a", "--config", "b"}};
  for (const auto& args : cases) {
    auto o = run(args);
    EXPECT_EQ(o.status, 2) << ::testing::PrintToString(args);
    EXPECT_THAT(o.err, StartsWith("error: ")) << ::testing::PrintToString(args);
    EXPECT_THAT(o.err, HasSubstr("usage: mqrelay")) << ::testing::PrintToString(args);
    EXPECT_EQ(o.out, "");
  }
}

}  // namespace
