// Herald's typed configuration: one TOML file, loaded into one Config value.
//
// Every key, its type, default, bounds and meaning lives in one table (config_table.cc); the
// loader, the validator, to_toml() and docs/configuration.md are all driven by that table.
// Invariants:
//  - load_string()/load_file() either return a Config in which every value is within its bounds
//    and every cross-key rule holds, or an Error whose message has one line per problem, each
//    line naming the dotted key (e.g. `smtp.listeners[1].foo: unknown key`). All problems are
//    reported at once; unknown keys are problems.
//  - load_string(to_toml(c)) == c for every Config c that loads.
//  - load_string("") == defaults(): no file means the defaults.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"

namespace herald::config {

enum class TlsMode { none, starttls, implicit };

struct Listener {
  std::string address;  // "ip:port" or "[v6]:port"; see split_host_port()
  TlsMode tls = TlsMode::starttls;
  bool operator==(const Listener&) const = default;
};

struct SmtpConfig {
  std::vector<Listener> listeners;
  std::uint64_t max_message_size = 0;  // bytes
  std::uint32_t max_recipients = 0;
  std::uint32_t max_sessions = 0;
  std::uint32_t max_sessions_per_ip = 0;
  std::uint32_t idle_timeout = 0;     // seconds
  std::uint32_t session_timeout = 0;  // seconds
  std::uint32_t max_commands = 0;
  std::uint32_t max_errors = 0;
  std::uint64_t min_free_space = 0;  // bytes
  std::uint32_t auth_max_failures = 0;
  std::uint32_t auth_lockout = 0;    // seconds
  std::uint32_t auth_cache_ttl = 0;  // seconds; 0 disables the cache
  bool operator==(const SmtpConfig&) const = default;
};

struct TlsConfig {
  std::string cert;  // both cert and key empty: generate a self-signed certificate
  std::string key;
  std::string min_version;  // "1.2" or "1.3"
  bool operator==(const TlsConfig&) const = default;
};

struct HttpConfig {
  std::string address;
  bool operator==(const HttpConfig&) const = default;
};

struct DnsConfig {
  std::vector<std::string> servers;  // "ip:port"; empty = the system resolver
  std::uint32_t timeout_ms = 0;
  bool operator==(const DnsConfig&) const = default;
};

// One [[delivery.routes]] table: where mail for a recipient domain goes, overriding the
// global relay / MX delivery. Secrets are never in Config: only the path of a file holding one.
struct Route {
  std::string domain;     // "example.com" exact; "*.example.com" or ".example.com": subdomains
  std::string relay;      // "host:port"; "" = MX delivery (DNS)
  std::string tls;        // opportunistic | required (STARTTLS, for relay and MX routes alike)
  std::string auth_user;  // SMTP AUTH at the relay; "" = none
  std::string auth_password_file;  // file holding the password (read at start)
  bool operator==(const Route&) const = default;
};

// Outbound delivery (issue "Delivery engine").
struct DeliveryConfig {
  std::string relay;                      // "host:port" smart host for all mail; "" = MX lookup
  std::string relay_tls;                  // opportunistic | required (STARTTLS to the relay)
  std::string relay_auth_user;            // SMTP AUTH at the relay; "" = none
  std::string relay_auth_password_file;   // file holding its password (read at start)
  std::vector<Route> routes;              // per-domain overrides; most specific match wins
  std::uint32_t mx_port = 0;              // port of MX hosts (25; other values for test networks)
  std::uint32_t max_lifetime = 0;         // seconds a recipient may stay queued
  std::uint32_t initial_concurrency = 0;  // per destination, slow start
  std::uint32_t max_concurrency = 0;      // per destination
  std::uint32_t connect_timeout = 0;      // seconds
  std::uint32_t suppression_days = 0;     // automatic suppression entries expire after this
  bool operator==(const DeliveryConfig&) const = default;
};

struct StoreConfig {
  std::uint32_t busy_timeout_ms = 0;
  bool operator==(const StoreConfig&) const = default;
};

struct Config {
  std::string data_dir;
  std::string hostname;
  std::string log_level;      // trace | debug | info | warn | error
  std::string user;           // "" = do not switch user after binding ports
  std::uint32_t threads = 0;  // 0 = one per CPU core
  SmtpConfig smtp;
  TlsConfig tls;
  HttpConfig http;
  DnsConfig dns;
  StoreConfig store;
  DeliveryConfig delivery;
  bool operator==(const Config&) const = default;
};

// Every key at its default; hostname is the machine's (gethostname), unvalidated here: load_*
// reports it if it is not a valid domain name and the file does not set one.
Config defaults();

// Error.message: one line per problem. A missing or unreadable file is an error; callers that
// run without a file use defaults().
Result<Config> load_file(const std::filesystem::path& path);
Result<Config> load_string(std::string_view toml_text);

// The configuration as TOML, one commented key per line, in table order (`herald config show`).
std::string to_toml(const Config& config);

std::string_view to_string(TlsMode mode);

// "127.0.0.1:25" -> {"127.0.0.1", 25}; "[::1]:25" -> {"::1", 25}; "mx.example.com:25" too.
// The host is an IPv4 literal, a bracketed IPv6 literal or a domain name; the port is 1..65535.
Result<std::pair<std::string, std::uint16_t>> split_host_port(std::string_view text);

// A route's domain pattern: a domain name, or "*.name" / ".name" for the subdomains of name.
bool is_route_domain(std::string_view pattern);

// Reads a secret (a relay password) from `path`: the whole file without one trailing line
// end. Fails, never naming the content, when the file is unreadable, empty or holds a NUL,
// CR or LF inside the secret.
Result<std::string> read_secret_file(const std::string& path);

// IPv4 dotted quad or IPv6 literal (without brackets).
bool is_ip_literal(std::string_view host);

// LDH labels of 1..63 characters (no leading or trailing hyphen), 1..253 characters in all,
// no trailing dot (RFC 1035 section 2.3.1, relaxed by RFC 1123 section 2.1 for leading digits).
bool is_domain_name(std::string_view name);

}  // namespace herald::config
