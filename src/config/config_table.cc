#include "config/config_table.h"

#include <algorithm>
#include <type_traits>
#include <utility>

namespace herald::config {
namespace {

template <class F>
AnySlot slot_of(F f) {
  using T = std::remove_cvref_t<decltype(f(std::declval<Config&>()))>;
  return Slot<T>{f, f};
}

// The dotted key and the member path are spelled once, so they cannot drift apart.
#define HERALD_KEY(path) #path, slot_of([](auto& c) -> auto& { return c.path; })

constexpr std::string_view kLogLevels[] = {"trace", "debug", "info", "warn", "error"};
constexpr std::string_view kTlsVersions[] = {"1.2", "1.3"};
constexpr std::string_view kRelayTls[] = {"opportunistic", "required"};
constexpr std::string_view kTlsModes[] = {"none", "starttls", "implicit"};  // TlsMode order

constexpr std::int64_t kMaxPath = 4096;
constexpr std::int64_t kMaxUserName = 32;   // useradd's limit on Linux
constexpr std::int64_t kMaxAuthUser = 255;  // an SMTP AUTH identity (often an address)

const Entry kEntries[] = {
    {HERALD_KEY(data_dir),
     {Kind::text, 1, kMaxPath},
     R"("./var")",
     "Directory of the database (herald.db), DKIM keys and generated TLS material."},
    {HERALD_KEY(hostname),
     {Kind::domain_name},
     "",
     "Name Herald announces in its SMTP greeting and EHLO reply.",
     "the machine's hostname"},
    {HERALD_KEY(log_level),
     {Kind::choice, 0, 0, kLogLevels},
     R"("info")",
     "Least severe level that is logged."},
    {HERALD_KEY(user),
     {Kind::text, 0, kMaxUserName},
     R"("")",
     "Unprivileged user to switch to after binding ports when started as root; \"\" = don't."},
    {HERALD_KEY(threads), {Kind::integer, 0, 64}, "0", "Worker threads; 0 = one per CPU core."},

    {HERALD_KEY(smtp.listeners),
     {Kind::listeners, 1, 16},
     R"([{ address = "127.0.0.1:2525", tls = "starttls" }, )"
     R"({ address = "127.0.0.1:2465", tls = "implicit" }, )"
     R"({ address = "127.0.0.1:2587", tls = "starttls" }])",
     "SMTP sockets, one `[[smtp.listeners]]` table each; addresses must differ."},
    {HERALD_KEY(smtp.max_message_size),
     {Kind::integer, 1024, 536870912},
     "15728640",
     "Largest message accepted, in bytes (15 MiB); advertised with SIZE (RFC 1870)."},
    {HERALD_KEY(smtp.max_recipients),
     {Kind::integer, 1, 10000},
     "100",
     "Recipients accepted per message (RFC 5321 section 4.5.3.1.8 asks for at least 100)."},
    {HERALD_KEY(smtp.max_sessions),
     {Kind::integer, 1, 100000},
     "1000",
     "Concurrent SMTP sessions on all listeners; further connections get 421."},
    {HERALD_KEY(smtp.max_sessions_per_ip),
     {Kind::integer, 1, 100000},
     "100",
     "Concurrent SMTP sessions from one client IP address."},
    {HERALD_KEY(smtp.idle_timeout),
     {Kind::integer, 1, 3600},
     "300",
     "Seconds a session may wait for the client's next command or data line."},
    {HERALD_KEY(smtp.session_timeout),
     {Kind::integer, 10, 86400},
     "1800",
     "Seconds a session may last in all."},
    {HERALD_KEY(smtp.max_commands),
     {Kind::integer, 10, 1000000},
     "1000",
     "Commands a session may send without getting a message accepted before it is closed."},
    {HERALD_KEY(smtp.max_errors),
     {Kind::integer, 1, 1000},
     "10",
     "Error replies sent in one session before it is closed."},
    {HERALD_KEY(smtp.min_free_space),
     {Kind::integer, 0, std::int64_t{1} << 50},
     "104857600",
     "Bytes that must stay free on the data_dir file system (100 MiB); below, mail gets 452."},
    {HERALD_KEY(smtp.auth_max_failures),
     {Kind::integer, 1, 1000},
     "5",
     "Failed AUTH attempts from one client IP address before it is locked out."},
    {HERALD_KEY(smtp.auth_lockout),
     {Kind::integer, 1, 86400},
     "300",
     "Seconds a client IP address stays locked out after too many AUTH failures."},
    {HERALD_KEY(smtp.auth_cache_ttl),
     {Kind::integer, 0, 86400},
     "300",
     "Seconds a verified SMTP password stays cached (skipping argon2id); 0 disables the cache."},

    {HERALD_KEY(tls.cert),
     {Kind::text, 0, kMaxPath},
     R"("")",
     "PEM certificate chain file; with tls.key also \"\", a self-signed one is generated."},
    {HERALD_KEY(tls.key),
     {Kind::text, 0, kMaxPath},
     R"("")",
     "PEM private key file of tls.cert; set both or neither."},
    {HERALD_KEY(tls.min_version),
     {Kind::choice, 0, 0, kTlsVersions},
     R"("1.2")",
     "Oldest TLS version accepted."},

    {HERALD_KEY(http.address),
     {Kind::socket_address},
     R"("127.0.0.1:8025")",
     "Address of the HTTP API and console."},

    {HERALD_KEY(dns.servers),
     {Kind::address_list, 0, 16},
     "[]",
     "DNS servers as \"ip:port\"; empty = the system resolver (/etc/resolv.conf)."},
    {HERALD_KEY(dns.timeout_ms),
     {Kind::integer, 100, 60000},
     "5000",
     "Milliseconds to wait for a DNS answer."},

    {HERALD_KEY(delivery.relay),
     {Kind::relay_address},
     R"("")",
     "Smart host \"host:port\" that receives all outgoing mail; \"\" = deliver to MX hosts."},
    {HERALD_KEY(delivery.relay_tls),
     {Kind::choice, 0, 0, kRelayTls},
     R"("opportunistic")",
     "STARTTLS to the smart host: opportunistic, or required (defer when not offered)."},
    {HERALD_KEY(delivery.relay_auth_user),
     {Kind::text, 0, kMaxAuthUser},
     R"("")",
     "SMTP AUTH user at the smart host (PLAIN, else LOGIN; only over TLS); \"\" = no AUTH."},
    {HERALD_KEY(delivery.relay_auth_password_file),
     {Kind::text, 0, kMaxPath},
     R"("")",
     "File holding the smart host's AUTH password (one line, read at start; keep it mode 0600)."},
    {HERALD_KEY(delivery.routes),
     {Kind::routes, 0, 1000},
     "[]",
     "Per-domain routes, one `[[delivery.routes]]` table each, overriding relay / MX delivery; "
     "an exact domain beats a wildcard, a longer wildcard a shorter one."},
    {HERALD_KEY(delivery.mx_port),
     {Kind::integer, 1, 65535},
     "25",
     "TCP port of MX hosts (25 on the Internet; another port only for test networks)."},
    {HERALD_KEY(delivery.max_lifetime),
     {Kind::integer, 60, 2592000},
     "259200",
     "Seconds a recipient may stay queued before it expires and bounces (default 3 days)."},
    {HERALD_KEY(delivery.initial_concurrency),
     {Kind::integer, 1, 1000},
     "5",
     "Concurrent deliveries a destination domain starts with (slow start)."},
    {HERALD_KEY(delivery.max_concurrency),
     {Kind::integer, 1, 1000},
     "20",
     "Most concurrent deliveries to one destination domain."},
    {HERALD_KEY(delivery.connect_timeout),
     {Kind::integer, 1, 600},
     "30",
     "Seconds to wait for a TCP connection to a receiving server."},
    {HERALD_KEY(delivery.suppression_days),
     {Kind::integer, 1, 3650},
     "30",
     "Days an address stays on the suppression list after a hard bounce."},

    {HERALD_KEY(store.busy_timeout_ms),
     {Kind::integer, 100, 600000},
     "5000",
     "Milliseconds SQLite waits for a lock held by another process (e.g. the CLI)."},
};

#undef HERALD_KEY

const ListenerField kListenerFields[] = {
    {"address", {Kind::socket_address}, "Local address to listen on."},
    {"tls",
     {Kind::choice, 0, 0, kTlsModes},
     "starttls: STARTTLS offered (RFC 3207); implicit: TLS from the first byte (RFC 8314); "
     "none: no TLS."},
};

const RouteField kRouteFields[] = {
    {"domain",
     {Kind::route_domain},
     "Recipient domain: \"example.com\" exactly, or \"*.example.com\" (same as "
     "\".example.com\") for its subdomains; each domain once.",
     &Route::domain,
     true},
    {"relay",
     {Kind::relay_address},
     "Relay \"host:port\" for this domain; \"\" = its MX hosts (DNS).",
     &Route::relay,
     false,
     ""},
    {"tls",
     {Kind::choice, 0, 0, kRelayTls},
     "STARTTLS: opportunistic, or required (defer when the relay or MX does not offer it).",
     &Route::tls,
     false,
     "opportunistic"},
    {"auth_user",
     {Kind::text, 0, kMaxAuthUser},
     "SMTP AUTH user at the relay (needs relay and auth_password_file; only over TLS).",
     &Route::auth_user,
     false,
     ""},
    {"auth_password_file",
     {Kind::text, 0, kMaxPath},
     "File holding the AUTH password (one line, read at start).",
     &Route::auth_password_file,
     false,
     ""},
};

std::string join_choices(std::span<const std::string_view> choices) {
  std::string out;
  for (std::string_view c : choices) {
    if (!out.empty()) out += ", ";
    out += quote(c);
  }
  return out;
}

std::string range(const Spec& spec) {
  return std::to_string(spec.min) + ".." + std::to_string(spec.max);
}

}  // namespace

std::span<const Entry> entries() {
  return kEntries;
}

const Entry* find_entry(std::string_view key) {
  for (const Entry& e : kEntries)
    if (e.key == key) return &e;
  return nullptr;
}

bool is_section(std::string_view path) {
  return std::any_of(std::begin(kEntries), std::end(kEntries), [&](const Entry& e) {
    return e.key.size() > path.size() && e.key.starts_with(path) && e.key[path.size()] == '.';
  });
}

std::span<const ListenerField> listener_fields() {
  return kListenerFields;
}

std::span<const RouteField> route_fields() {
  return kRouteFields;
}

std::span<const std::string_view> tls_mode_names() {
  return kTlsModes;
}

std::string describe(const Spec& spec) {
  switch (spec.kind) {
    case Kind::text:
      return (spec.min > 0 ? "a non-empty string of at most " : "a string of at most ") +
             std::to_string(spec.max) + " characters";
    case Kind::choice:
      return "one of " + join_choices(spec.choices);
    case Kind::domain_name:
      return "a domain name (dot-separated labels of letters, digits and hyphens, "
             "at most 253 characters)";
    case Kind::socket_address:
      return R"("ip:port" or "[ipv6]:port" with port 1..65535)";
    case Kind::integer:
      return "an integer in " + range(spec);
    case Kind::address_list:
      return "an array of " + range(spec) + R"( "ip:port" or "[ipv6]:port" strings)";
    case Kind::listeners:
      return "an array of " + range(spec) + " tables {address, tls}";
    case Kind::relay_address:
      return R"("" or "host:port" (host a domain name or IP address, port 1..65535))";
    case Kind::route_domain:
      return R"(a domain name, or "*.name" / ".name" for its subdomains)";
    case Kind::routes:
      return "an array of " + range(spec) +
             " tables {domain, relay, tls, auth_user, auth_password_file}";
  }
  return {};
}

std::string_view type_name(const Spec& spec) {
  switch (spec.kind) {
    case Kind::integer:
      return "integer";
    case Kind::address_list:
      return "array of strings";
    case Kind::listeners:
    case Kind::routes:
      return "array of tables";
    default:
      return "string";
  }
}

std::string bounds_text(const Spec& spec) {
  switch (spec.kind) {
    case Kind::text:
      return (spec.min > 0 ? "non-empty, " : "") + std::string("at most ") +
             std::to_string(spec.max) + " characters";
    case Kind::choice:
      return join_choices(spec.choices);
    case Kind::domain_name:
      return "domain name (LDH labels), at most 253 characters";
    case Kind::socket_address:
      return "`ip:port` or `[ipv6]:port`, port 1..65535";
    case Kind::integer:
      return range(spec);
    case Kind::address_list:
      return range(spec) + " entries, each `ip:port` or `[ipv6]:port`";
    case Kind::listeners:
    case Kind::routes:
      return range(spec) + " entries";
    case Kind::relay_address:
      return "empty, or `host:port` (domain name or IP), port 1..65535";
    case Kind::route_domain:
      return "domain name, `*.name` or `.name`";
  }
  return {};
}

}  // namespace herald::config
