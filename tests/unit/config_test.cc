// Loading, validation and printing of the configuration (src/config/).
#include "config/config.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

namespace herald::config {
namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// The error message of a load that must fail.
std::string error_of(std::string_view toml) {
  auto result = load_string(toml);
  if (result) {
    ADD_FAILURE() << "loaded, but should not have:\n" << toml;
    return {};
  }
  return result.error().message;
}

std::string machine_hostname() {
  char name[256] = {};
  gethostname(name, sizeof name - 1);
  return name;
}

TEST(ConfigDefaults, AreTheDocumentedValues) {
  Config c = defaults();
  EXPECT_EQ(c.data_dir, "./var");
  EXPECT_EQ(c.hostname, machine_hostname());
  EXPECT_EQ(c.log_level, "info");
  EXPECT_EQ(c.user, "");
  EXPECT_EQ(c.threads, 0u);
  std::vector<Listener> listeners = {{"127.0.0.1:2525", TlsMode::starttls},
                                     {"127.0.0.1:2465", TlsMode::implicit},
                                     {"127.0.0.1:2587", TlsMode::starttls}};
  EXPECT_EQ(c.smtp.listeners, listeners);
  EXPECT_EQ(c.smtp.max_message_size, 15728640u);
  EXPECT_EQ(c.smtp.max_recipients, 100u);
  EXPECT_EQ(c.smtp.max_sessions, 1000u);
  EXPECT_EQ(c.smtp.max_sessions_per_ip, 100u);
  EXPECT_EQ(c.smtp.idle_timeout, 300u);
  EXPECT_EQ(c.smtp.session_timeout, 1800u);
  EXPECT_EQ(c.smtp.max_commands, 1000u);
  EXPECT_EQ(c.smtp.max_errors, 10u);
  EXPECT_EQ(c.smtp.min_free_space, 104857600u);
  EXPECT_EQ(c.smtp.auth_max_failures, 5u);
  EXPECT_EQ(c.smtp.auth_lockout, 300u);
  EXPECT_EQ(c.smtp.auth_cache_ttl, 300u);
  EXPECT_EQ(c.tls, (TlsConfig{"", "", "1.2"}));
  EXPECT_EQ(c.http.address, "127.0.0.1:8025");
  EXPECT_TRUE(c.dns.servers.empty());
  EXPECT_EQ(c.dns.timeout_ms, 5000u);
  EXPECT_EQ(c.store.busy_timeout_ms, 5000u);
}

TEST(ConfigDefaults, EmptyOrCommentOnlyFileGivesDefaults) {
  for (std::string_view text : {"", "# nothing\n", "\n\n[smtp]\n[tls]\n"}) {
    auto c = load_string(text);
    ASSERT_TRUE(c) << c.error().message;
    EXPECT_EQ(*c, defaults()) << text;
  }
}

constexpr std::string_view kFullFile = R"(
data_dir = "/srv/herald"
hostname = "mx1.example.org"
log_level = "debug"
user = "mail"
threads = 8

[smtp]
max_message_size = 1048576
max_recipients = 50
max_sessions = 200
max_sessions_per_ip = 20
idle_timeout = 60
session_timeout = 600
max_commands = 500
max_errors = 5
min_free_space = 0
auth_max_failures = 3
auth_lockout = 900
auth_cache_ttl = 0

[[smtp.listeners]]
address = "[::]:25"
tls = "starttls"

[[smtp.listeners]]
address = "192.0.2.1:465"
tls = "implicit"

[[smtp.listeners]]
address = "[2001:db8::1]:2500"
tls = "none"

[tls]
cert = "/etc/ssl/herald.crt"
key = "/etc/ssl/herald.key"
min_version = "1.3"

[http]
address = "[::1]:8080"

[dns]
servers = ["192.0.2.53:53", "[2001:db8::53]:5353"]
timeout_ms = 250

[store]
busy_timeout_ms = 100
)";

TEST(ConfigLoad, FullFileSetsEveryKey) {
  auto loaded = load_string(kFullFile);
  ASSERT_TRUE(loaded) << loaded.error().message;
  const Config& c = *loaded;
  EXPECT_EQ(c.data_dir, "/srv/herald");
  EXPECT_EQ(c.hostname, "mx1.example.org");
  EXPECT_EQ(c.log_level, "debug");
  EXPECT_EQ(c.user, "mail");
  EXPECT_EQ(c.threads, 8u);
  std::vector<Listener> listeners = {{"[::]:25", TlsMode::starttls},
                                     {"192.0.2.1:465", TlsMode::implicit},
                                     {"[2001:db8::1]:2500", TlsMode::none}};
  EXPECT_EQ(c.smtp.listeners, listeners);
  SmtpConfig smtp = c.smtp;
  smtp.listeners.clear();
  EXPECT_EQ(smtp, (SmtpConfig{{}, 1048576, 50, 200, 20, 60, 600, 500, 5, 0, 3, 900, 0}));
  EXPECT_EQ(c.tls, (TlsConfig{"/etc/ssl/herald.crt", "/etc/ssl/herald.key", "1.3"}));
  EXPECT_EQ(c.http.address, "[::1]:8080");
  EXPECT_EQ(c.dns.servers, (std::vector<std::string>{"192.0.2.53:53", "[2001:db8::53]:5353"}));
  EXPECT_EQ(c.dns.timeout_ms, 250u);
  EXPECT_EQ(c.store.busy_timeout_ms, 100u);
}

TEST(ConfigLoad, InlineListenersAndDottedKeysAreTheSameAsTables) {
  auto inline_form = load_string(
      "smtp.max_errors = 7\n"
      "smtp.listeners = [{ address = \"127.0.0.1:25\", tls = \"none\" }]\n");
  ASSERT_TRUE(inline_form) << inline_form.error().message;
  auto table_form = load_string(
      "[smtp]\nmax_errors = 7\n[[smtp.listeners]]\naddress = \"127.0.0.1:25\"\ntls = \"none\"\n");
  ASSERT_TRUE(table_form) << table_form.error().message;
  EXPECT_EQ(*inline_form, *table_form);
  EXPECT_EQ(inline_form->smtp.max_errors, 7u);
}

struct ErrorCase {
  const char* name;
  std::string_view toml;
  std::string_view message;  // the whole error: exactly one problem each
};

const ErrorCase kErrorCases[] = {
    {"string for integer", R"(threads = "4")",
     R"(threads: expected an integer in 0..64, got string "4" (line 1))"},
    {"negative integer", "smtp.max_recipients = -1",
     "smtp.max_recipients: expected an integer in 1..10000, got -1 (line 1)"},
    {"beyond uint32", "smtp.max_sessions = 4294967296",
     "smtp.max_sessions: expected an integer in 1..100000, got 4294967296 (line 1)"},
    {"float for integer", "dns.timeout_ms = 1500.0",
     "dns.timeout_ms: expected an integer in 100..60000, got floating-point 1500.0 (line 1)"},
    {"boolean for string", "data_dir = true",
     "data_dir: expected a non-empty string of at most 4096 characters, got boolean true (line 1)"},
    {"table for integer", "[threads]",
     "threads: expected an integer in 0..64, got a table (line 1)"},
    {"empty data_dir", R"(data_dir = "")",
     R"(data_dir: expected a non-empty string of at most 4096 characters, got string "" (line 1))"},
    {"control character", R"(data_dir = "/var/\nlib")",
     "data_dir: must not contain control characters (line 1)"},
    {"user name too long", R"(user = "abcdefghijklmnopqrstuvwxyz0123456")",
     "user: expected a string of at most 32 characters, got string "
     R"("abcdefghijklmnopqrstuvwxyz0123456" (line 1))"},
    {"log level", "\nlog_level = \"verbose\"",
     R"(log_level: expected one of "trace", "debug", "info", "warn", "error", got string )"
     R"("verbose" (line 2))"},
    {"hostname", R"(hostname = "mail_1.example.com")",
     "hostname: expected a domain name (dot-separated labels of letters, digits and hyphens, "
     R"(at most 253 characters), got string "mail_1.example.com" (line 1))"},
    {"tls version as float", "[tls]\nmin_version = 1.3",
     R"(tls.min_version: expected one of "1.2", "1.3", got floating-point 1.3 (line 2))"},
    {"tls version", "[tls]\nmin_version = \"1.1\"",
     R"(tls.min_version: expected one of "1.2", "1.3", got string "1.1" (line 2))"},
    {"cert without key", "[tls]\ncert = \"/c.pem\"",
     "tls.key: must be set when tls.cert is (leave both empty for a generated self-signed "
     "certificate) (line 2)"},
    {"key without cert", "[tls]\n\nkey = \"/k.pem\"",
     "tls.cert: must be set when tls.key is (leave both empty for a generated self-signed "
     "certificate) (line 3)"},
    {"bad cert is not also reported as missing", "tls.cert = 5\ntls.key = \"/k.pem\"",
     "tls.cert: expected a string of at most 4096 characters, got 5 (line 1)"},
    {"section is not a table", "smtp = 5", "smtp: expected a table [smtp], got 5 (line 1)"},
    {"http address with a name", R"(http.address = "localhost:8025")",
     R"(http.address: expected "ip:port" or "[ipv6]:port" with port 1..65535, got string )"
     R"("localhost:8025" (the host must be an IP address) (line 1))"},
    {"http address on a listener", R"(http.address = "127.0.0.1:2465")",
     "http.address: same address as smtp.listeners[1] (127.0.0.1:2465) (line 1)"},
    {"dns servers not an array", R"(dns.servers = "192.0.2.1:53")",
     R"(dns.servers: expected an array of 0..16 "ip:port" or "[ipv6]:port" strings, got string )"
     R"("192.0.2.1:53" (line 1))"},
    {"dns server without port", R"(dns.servers = ["192.0.2.1:53", "192.0.2.2"])",
     R"(dns.servers[1]: expected "ip:port" or "[ipv6]:port" with port 1..65535, got string )"
     R"("192.0.2.2" (missing ":port") (line 1))"},
    {"dns server by name", R"(dns.servers = ["dns.google:53"])",
     R"(dns.servers[0]: expected "ip:port" or "[ipv6]:port" with port 1..65535, got string )"
     R"("dns.google:53" (the host must be an IP address) (line 1))"},
    {"listeners not an array", R"(smtp.listeners = "0.0.0.0:25")",
     "smtp.listeners: expected an array of 1..16 tables {address, tls}, got string "
     R"("0.0.0.0:25" (line 1))"},
    {"no listeners", "smtp.listeners = []",
     "smtp.listeners: expected an array of 1..16 tables {address, tls}, got 0 (line 1)"},
    {"listener not a table", R"(smtp.listeners = ["0.0.0.0:25"])",
     R"(smtp.listeners[0]: expected a table {address, tls}, got string "0.0.0.0:25" (line 1))"},
    {"listener port 0", "[[smtp.listeners]]\naddress = \"0.0.0.0:0\"\ntls = \"none\"",
     R"(smtp.listeners[0].address: expected "ip:port" or "[ipv6]:port" with port 1..65535, )"
     R"(got string "0.0.0.0:0" (port 0 is not in 1..65535) (line 2))"},
    {"listener IPv6 without brackets", "[[smtp.listeners]]\naddress = \"::1:25\"\ntls = \"none\"",
     R"(smtp.listeners[0].address: expected "ip:port" or "[ipv6]:port" with port 1..65535, )"
     R"(got string "::1:25" (an IPv6 address needs brackets, e.g. [::1]:25) (line 2))"},
    {"listener without tls", "[[smtp.listeners]]\naddress = \"0.0.0.0:25\"",
     "smtp.listeners[0].tls: missing; expected one of \"none\", \"starttls\", \"implicit\" "
     "(line 1)"},
    {"listener tls mode", "[[smtp.listeners]]\naddress = \"0.0.0.0:25\"\ntls = \"ssl\"",
     R"(smtp.listeners[0].tls: expected one of "none", "starttls", "implicit", got string )"
     R"("ssl" (line 3))"},
    {"duplicate listener", R"(smtp.listeners = [
  { address = "0.0.0.0:25", tls = "starttls" },
  { address = "0.0.0.0:587", tls = "starttls" },
  { address = "0.0.0.0:025", tls = "none" },
])",
     "smtp.listeners[2].address: same address as smtp.listeners[0] (0.0.0.0:025) (line 4)"},
    {"duplicate IPv6 listener in other case",
     R"(smtp.listeners = [{ address = "[2001:DB8::1]:25", tls = "none" },
                  { address = "[2001:db8::1]:25", tls = "none" }])",
     "smtp.listeners[1].address: same address as smtp.listeners[0] ([2001:db8::1]:25) (line 2)"},
    {"unknown top-level key", "threads = 2\nthread = 4",
     "thread: unknown key (did you mean threads?) (line 2)"},
    {"unknown key in a section", "[smtp]\nmax_recipent = 10",
     "smtp.max_recipent: unknown key (did you mean smtp.max_recipients?) (line 2)"},
    {"key in the wrong section", "[tls]\nmax_errors = 3",
     "tls.max_errors: unknown key (did you mean smtp.max_errors?) (line 2)"},
    {"unknown section", "[smpt]\nmax_errors = 3",
     "smpt: unknown key (did you mean smtp?) (line 1)"},
    {"unknown key, nothing close", "[dns]\nrecursion = true",
     "dns.recursion: unknown key (line 2)"},
    {"quoted unknown key", "[smtp]\n\"max.errors\" = 3",
     R"(smtp."max.errors": unknown key (line 2))"},
    {"unknown key in a listener", R"([[smtp.listeners]]
address = "0.0.0.0:25"
tls = "none"
[[smtp.listeners]]
address = "0.0.0.0:587"
tls = "none"
foo = 1)",
     "smtp.listeners[1].foo: unknown key (line 7)"},
    {"misspelt key in a listener", "[[smtp.listeners]]\nadress = \"0.0.0.0:25\"\ntls = \"none\"",
     "smtp.listeners[0].address: missing; expected \"ip:port\" or \"[ipv6]:port\" with port "
     "1..65535 (line 1)\n"
     "smtp.listeners[0].adress: unknown key (did you mean smtp.listeners[0].address?) (line 2)"},
    {"section key after a listener",
     "[[smtp.listeners]]\naddress = \"0.0.0.0:25\"\n"
     "tls = \"none\"\nmax_errors = 3",
     "smtp.listeners[0].max_errors: unknown key (did you mean smtp.max_errors?) (line 4)"},
};

TEST(ConfigLoad, EachKindOfErrorNamesTheKey) {
  for (const ErrorCase& c : kErrorCases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(error_of(c.toml), c.message);
  }
}

// toml++ stops at the first syntax error; its wording is toml++'s, the position is ours.
TEST(ConfigLoad, SyntaxErrorsGiveLineAndColumn) {
  const std::pair<std::string_view, std::string_view> cases[] = {
      {"threads = 2\nlog_level = \"info\nuser = \"x\"", "at line 2, column 18: "},
      {"threads = 2\nthreads = 3", "at line 2, column 11: "},
      {"[smtp\nmax_errors = 1", "at line 1, column 6: "},
  };
  for (const auto& [text, position] : cases) {
    std::string message = error_of(text);
    EXPECT_TRUE(message.starts_with("TOML syntax error " + std::string(position))) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  }
}

TEST(ConfigLoad, ReportsAllProblemsAtOnceInFileOrder) {
  constexpr std::string_view kBroken = R"(threads = 65
log_level = "loud"
colour = "blue"

[smtp]
max_recipients = 0
idle_timeout = "5m"

[[smtp.listeners]]
address = "0.0.0.0:25"
tls = "starttls"

[[smtp.listeners]]
address = "0.0.0.0:25"
tls = "bogus"

[tls]
cert = "/etc/herald/cert.pem"

[dns]
servers = ["8.8.8.8"]
)";
  EXPECT_EQ(lines_of(error_of(kBroken)),
            (std::vector<std::string>{
                "threads: expected an integer in 0..64, got 65 (line 1)",
                R"(log_level: expected one of "trace", "debug", "info", "warn", "error", got )"
                R"(string "loud" (line 2))",
                "colour: unknown key (line 3)",
                "smtp.max_recipients: expected an integer in 1..10000, got 0 (line 6)",
                R"(smtp.idle_timeout: expected an integer in 1..3600, got string "5m" (line 7))",
                "smtp.listeners[1].address: same address as smtp.listeners[0] (0.0.0.0:25) "
                "(line 13)",
                R"(smtp.listeners[1].tls: expected one of "none", "starttls", "implicit", got )"
                R"(string "bogus" (line 15))",
                "tls.key: must be set when tls.cert is (leave both empty for a generated "
                "self-signed certificate) (line 18)",
                R"(dns.servers[0]: expected "ip:port" or "[ipv6]:port" with port 1..65535, got )"
                R"(string "8.8.8.8" (missing ":port") (line 21))",
            }));
}

TEST(ConfigLoad, LongValuesAreShortenedInMessages) {
  std::string message = error_of("log_level = \"" + std::string(500, 'x') + "\"");
  EXPECT_NE(message.find(std::string(80, 'x') + "\"..."), std::string::npos) << message;
  EXPECT_EQ(message.find(std::string(81, 'x')), std::string::npos) << message;
  // Never cut inside a UTF-8 sequence: "\xC3\xA9" straddles byte 80, so the cut moves before it.
  message = error_of("log_level = \"" + std::string(79, 'x') + "\xC3\xA9" + "yyyy\"");
  EXPECT_NE(message.find("\"" + std::string(79, 'x') + "\"..."), std::string::npos) << message;
}

TEST(ConfigPrint, RoundTripsDefaults) {
  Config c = defaults();
  auto back = load_string(to_toml(c));
  ASSERT_TRUE(back) << back.error().message << "\n" << to_toml(c);
  EXPECT_EQ(*back, c);
}

TEST(ConfigPrint, RoundTripsEveryKeyAndAwkwardStrings) {
  auto loaded = load_string(kFullFile);
  ASSERT_TRUE(loaded) << loaded.error().message;
  Config c = *loaded;
  c.data_dir = "/srv/\"quoted\" \\back\\slash/'single'/caf\xC3\xA9/\xE2\x9C\x89";
  c.tls.cert = "C:\\certs\\a b.pem";
  c.tls.key = "#not-a-comment";
  std::string text = to_toml(c);
  auto back = load_string(text);
  ASSERT_TRUE(back) << back.error().message << "\n" << text;
  EXPECT_EQ(*back, c) << text;
}

TEST(ConfigPrint, ListsEveryKeyInItsSection) {
  std::string text = to_toml(defaults());
  for (std::string_view expected :
       {"\ndata_dir = \"./var\"\n", "\n[smtp]\n", "\nmax_recipients = 100\n",
        "\n  { address = \"127.0.0.1:2465\", tls = \"implicit\" },\n", "\n[tls]\n",
        "\nmin_version = \"1.2\"\n", "\n[dns]\n", "\nservers = []\n", "\n[store]\n",
        "\nbusy_timeout_ms = 5000\n"})
    EXPECT_NE(text.find(expected), std::string::npos) << expected;
}

TEST(ConfigPrint, TlsModeNames) {
  EXPECT_EQ(to_string(TlsMode::none), "none");
  EXPECT_EQ(to_string(TlsMode::starttls), "starttls");
  EXPECT_EQ(to_string(TlsMode::implicit), "implicit");
}

TEST(ConfigFile, ProductionExampleLoads) {
  auto c = load_file(std::string(HERALD_SOURCE_DIR) + "/examples/herald.production.toml");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->data_dir, "/var/lib/herald");
  EXPECT_EQ(c->user, "herald");
  EXPECT_EQ(c->http.address, "127.0.0.1:8025");
  EXPECT_EQ(c->tls.cert, "/etc/herald/tls/fullchain.pem");
  EXPECT_EQ(c->tls.key, "/etc/herald/tls/privkey.pem");
  std::vector<Listener> listeners = {{"0.0.0.0:25", TlsMode::starttls},
                                     {"0.0.0.0:80", TlsMode::starttls},
                                     {"0.0.0.0:465", TlsMode::implicit},
                                     {"0.0.0.0:587", TlsMode::starttls}};
  EXPECT_EQ(c->smtp.listeners, listeners);
}

class ConfigFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* tmp = std::getenv("HERALD_TEST_TMP");
    dir_ = std::filesystem::path(tmp ? tmp : "/tmp") / ("config_test." + std::to_string(getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path write(const std::string& name, std::string_view text) {
    std::ofstream(dir_ / name) << text;
    return dir_ / name;
  }
  std::filesystem::path dir_;
};

TEST_F(ConfigFileTest, LoadsAFileLikeAString) {
  auto c = load_file(write("ok.toml", kFullFile));
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(*c, *load_string(kFullFile));
  auto bad = load_file(write("bad.toml", "threads = 100\n"));
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message, "threads: expected an integer in 0..64, got 100 (line 1)");
}

TEST_F(ConfigFileTest, MissingFileOrDirectoryIsAnError) {
  auto missing = load_file(dir_ / "nope.toml");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().message,
            "cannot read " + (dir_ / "nope.toml").string() + ": No such file or directory");
  auto directory = load_file(dir_);
  ASSERT_FALSE(directory);
  EXPECT_EQ(directory.error().message, "cannot read " + dir_.string() + ": is a directory");
}

}  // namespace
}  // namespace herald::config
