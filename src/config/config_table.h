// The one table of configuration keys: dotted key, kind and bounds, default, meaning, and where
// the value lives in Config. The loader, to_toml() and the reference in docs/configuration.md
// are all driven by it; nothing else in Herald knows a key's default or bounds.
// Invariants (tested): keys are unique; top-level keys come first and each section's keys are
// contiguous; every default literal loads and is within bounds; integer bounds fit the member.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "config/config.h"

namespace herald::config {

enum class Kind {
  text,            // any string; min..max = length
  choice,          // one of `choices`
  domain_name,     // is_domain_name()
  socket_address,  // "ip:port" / "[ipv6]:port", IP literal required
  integer,         // min..max = value
  address_list,    // array of socket_address; min..max = element count
  listeners,       // array of tables (listener_fields()); min..max = element count
  relay_address,   // "" or "host:port" (host: domain name or IP literal), see split_host_port()
  route_domain,    // is_route_domain(): "name", "*.name" or ".name"
  routes,          // array of tables (route_fields()); min..max = element count
};

// What a value must look like; shared by table entries and listener fields.
struct Spec {
  Kind kind = Kind::text;
  std::int64_t min = 0;
  std::int64_t max = 0;
  std::span<const std::string_view> choices = {};
};

// Where a value lives in Config: one accessor for writing (load) and one for reading (print).
template <class T>
struct Slot {
  T& (*ref)(Config&);
  const T& (*get)(const Config&);
};
using AnySlot = std::variant<Slot<std::string>, Slot<std::uint32_t>, Slot<std::uint64_t>,
                             Slot<std::vector<std::string>>, Slot<std::vector<Listener>>,
                             Slot<std::vector<Route>>>;

struct Entry {
  std::string_view key;  // dotted path, e.g. "smtp.max_recipients"
  AnySlot slot;
  Spec spec;
  std::string_view default_toml;  // TOML literal; empty when computed at run time (note says how)
  std::string_view doc;
  std::string_view default_note = {};
};

// The fields of one [[smtp.listeners]] table.
struct ListenerField {
  std::string_view name;
  Spec spec;
  std::string_view doc;
};

// The fields of one [[delivery.routes]] table; each maps to one std::string member of Route.
struct RouteField {
  std::string_view name;
  Spec spec;
  std::string_view doc;
  std::string Route::*member;
  bool required = false;
  std::string_view default_value = {};  // the value when absent (not a TOML literal)
};

std::span<const Entry> entries();
const Entry* find_entry(std::string_view key);
// True for "smtp", "tls", ...: proper prefixes of some key.
bool is_section(std::string_view path);
std::span<const ListenerField> listener_fields();
std::span<const RouteField> route_fields();
// Indexed by TlsMode.
std::span<const std::string_view> tls_mode_names();

// "an integer in 1..10000": what error messages say was expected.
std::string describe(const Spec& spec);
// Short forms for the reference table.
std::string_view type_name(const Spec& spec);
std::string bounds_text(const Spec& spec);

// The value of `entry` in `config` as a TOML literal (multi-line for listeners).
std::string format_value(const Entry& entry, const Config& config);
// A TOML basic string ("..." with escapes), always on one line.
std::string quote(std::string_view text);

// The Markdown reference table of every key (the generated part of docs/configuration.md).
std::string reference_markdown();

}  // namespace herald::config
