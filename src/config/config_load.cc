// Loading: TOML text -> Config, driven by the key table. Every problem is collected (never just
// the first) and reported one per line, sorted by the line of the file it comes from.
#include <toml++/toml.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "config/config_suggest.h"
#include "config/config_table.h"

namespace herald::config {
namespace {

struct Problem {
  std::size_t line;  // 0: not tied to one place in the file
  std::string text;  // "key: what is wrong"
};

class Problems {
 public:
  void add(std::size_t line, std::string_view key, std::string_view what) {
    list_.push_back({line, std::string(key) + ": " + std::string(what)});
    keys_.emplace(key);
  }
  void add(const toml::node& node, std::string_view key, std::string_view what) {
    add(node.source().begin.line, key, what);
  }
  bool empty() const { return list_.empty(); }
  std::size_t size() const { return list_.size(); }
  bool about(std::string_view key) const { return keys_.contains(key); }
  std::string message() {
    std::stable_sort(list_.begin(), list_.end(), [](const Problem& a, const Problem& b) {
      return (a.line == 0 ? SIZE_MAX : a.line) < (b.line == 0 ? SIZE_MAX : b.line);
    });
    std::string out;
    for (const Problem& p : list_) {
      if (!out.empty()) out += '\n';
      out += p.text;
      if (p.line != 0) out += " (line " + std::to_string(p.line) + ")";
    }
    return out;
  }

 private:
  std::vector<Problem> list_;
  std::set<std::string, std::less<>> keys_;
};

// How the offending value reads in a message: `"ten"`, `-1`, `boolean true`, `a table`.
std::string got(const toml::node& node) {
  if (node.is_table()) return "a table";
  if (node.is_array()) return "an array";
  if (node.is_integer()) return std::to_string(node.as_integer()->get());
  if (const auto* s = node.as_string()) {
    const std::string& v = s->get();
    std::size_t cut = 80;
    if (v.size() <= cut) return "string " + quote(v);
    while (cut > 0 && (static_cast<unsigned char>(v[cut]) & 0xC0) == 0x80) --cut;  // UTF-8
    return "string " + quote(v.substr(0, cut)) + "...";
  }
  std::ostringstream out;
  out << toml::toml_formatter{node};
  const char* type = node.is_floating_point() ? "floating-point "
                     : node.is_boolean()      ? "boolean "
                                              : "date/time ";
  return type + out.str();
}

std::string expected(const Spec& spec, const toml::node& node) {
  return "expected " + describe(spec) + ", got " + got(node);
}

bool has_control_char(std::string_view text) {
  return std::any_of(text.begin(), text.end(),
                     [](char ch) { return static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f; });
}

// Checks a string value against `spec` (any kind but integer and the arrays).
std::optional<std::string> read_string(const Spec& spec, const toml::node& node, std::string& out) {
  const auto* s = node.as_string();
  if (!s) return expected(spec, node);
  const std::string& v = s->get();
  switch (spec.kind) {
    case Kind::text:
      if (static_cast<std::int64_t>(v.size()) < spec.min ||
          static_cast<std::int64_t>(v.size()) > spec.max)
        return expected(spec, node);
      if (has_control_char(v)) return "must not contain control characters";
      break;
    case Kind::choice:
      if (std::find(spec.choices.begin(), spec.choices.end(), v) == spec.choices.end())
        return expected(spec, node);
      break;
    case Kind::domain_name:
      if (!is_domain_name(v)) return expected(spec, node);
      break;
    case Kind::relay_address: {
      if (v.empty()) break;
      auto split = split_host_port(v);
      if (!split) return expected(spec, node) + " (" + split.error().message + ")";
      break;
    }
    case Kind::route_domain:
      if (!is_route_domain(v)) return expected(spec, node);
      break;
    case Kind::socket_address: {
      auto split = split_host_port(v);
      if (!split) return expected(spec, node) + " (" + split.error().message + ")";
      if (!is_ip_literal(split->first))
        return expected(spec, node) + " (the host must be an IP address)";
      break;
    }
    default:
      return expected(spec, node);
  }
  out = v;
  return std::nullopt;
}

std::optional<std::string> read_integer(const Spec& spec, const toml::node& node,
                                        std::int64_t& out) {
  const auto* i = node.as_integer();
  if (!i || i->get() < spec.min || i->get() > spec.max) return expected(spec, node);
  out = i->get();
  return std::nullopt;
}

// Listener addresses compare equal when they name the same host and port ("[::1]:25" and
// "[::1]:025"); hosts are IP literals, so lowercase is the only spelling freedom left besides
// IPv6 zero compression, which is rare enough in hand-written files to leave to bind().
std::optional<std::pair<std::string, std::uint16_t>> address_key(std::string_view address) {
  auto split = split_host_port(address);
  if (!split) return std::nullopt;
  std::transform(split->first.begin(), split->first.end(), split->first.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  return *split;
}

// A key as it appears in a dotted path: bare when it can be, quoted otherwise.
std::string key_text(const toml::key& key) {
  std::string_view k = key.str();
  bool bare = !k.empty() && std::all_of(k.begin(), k.end(), [](char ch) {
    return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '-';
  });
  return bare ? std::string(k) : quote(k);
}

// Secrets never go into the configuration file; say where they go instead.
std::string unknown_key(const std::string& path) {
  if (path.ends_with("auth_password"))
    return "unknown key; passwords are not accepted inline: put it in a file readable only by "
           "Herald and set " +
           path + "_file";
  return "unknown key" + suggestion(path);
}

// Route domains compare case-insensitively, and ".name" is "*.name".
std::string route_domain_key(std::string_view domain) {
  std::string key(domain.starts_with(".") ? "*" : "");
  for (char ch : domain) key += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return key;
}

std::string join(std::string_view prefix, const toml::key& key) {
  return prefix.empty() ? key_text(key) : std::string(prefix) + "." + key_text(key);
}

std::string index_path(std::string_view key, std::size_t i) {
  return std::string(key) + "[" + std::to_string(i) + "]";
}

class Loader {
 public:
  explicit Loader(Config& config) : config_(config) {}

  void walk(const toml::table& table, std::string_view prefix);
  void check_consistency();
  Problems& problems() { return problems_; }

 private:
  void apply(const Entry& entry, const toml::node& node);
  void read_into(const Entry& e, const toml::node& node, std::string& out);
  template <class Int>
  requires std::is_integral_v<Int>
  void read_into(const Entry& e, const toml::node& node, Int& out);
  void read_into(const Entry& e, const toml::node& node, std::vector<std::string>& out);
  void read_into(const Entry& e, const toml::node& node, std::vector<Listener>& out);
  void read_into(const Entry& e, const toml::node& node, std::vector<Route>& out);
  // Reports every problem of one route; false when there was one.
  bool read_route(const toml::node& node, const std::string& path, Route& route);
  // Rules between the fields of one (well-formed) route, or of the global relay keys.
  void check_auth(std::size_t line, const std::string& prefix, const std::string& relay,
                  const std::string& user, const std::string& password_file);
  // Reports every problem of one listener; fields that are wrong stay empty in the result.
  std::optional<Listener> read_listener(const toml::node& node, const std::string& path, bool& ok);
  const toml::array* array_of(const Entry& e, const toml::node& node);
  std::size_t line_of(std::string_view key) const {
    auto it = seen_.find(key);
    return it == seen_.end() ? 0 : it->second;
  }

  Config& config_;
  Problems problems_;
  std::map<std::string, std::size_t, std::less<>> seen_;  // key set by the file -> its line
};

void Loader::walk(const toml::table& table, std::string_view prefix) {
  for (auto&& [key, node] : table) {
    std::string path = join(prefix, key);
    if (const Entry* entry = find_entry(path)) {
      apply(*entry, node);
    } else if (is_section(path)) {
      if (const auto* sub = node.as_table())
        walk(*sub, path);
      else
        problems_.add(node, path, "expected a table [" + path + "], got " + got(node));
    } else {
      problems_.add(node, path, unknown_key(path));
    }
  }
}

void Loader::apply(const Entry& entry, const toml::node& node) {
  seen_[std::string(entry.key)] = node.source().begin.line;
  std::visit([&](const auto& slot) { read_into(entry, node, slot.ref(config_)); }, entry.slot);
}

void Loader::read_into(const Entry& e, const toml::node& node, std::string& out) {
  if (auto problem = read_string(e.spec, node, out)) problems_.add(node, e.key, *problem);
}

template <class Int>
requires std::is_integral_v<Int>
void Loader::read_into(const Entry& e, const toml::node& node, Int& out) {
  std::int64_t value = 0;
  if (auto problem = read_integer(e.spec, node, value))
    problems_.add(node, e.key, *problem);
  else
    out = static_cast<Int>(value);  // the table's bounds fit Int (tested)
}

const toml::array* Loader::array_of(const Entry& e, const toml::node& node) {
  const auto* array = node.as_array();
  if (!array) {
    problems_.add(node, e.key, expected(e.spec, node));
  } else if (static_cast<std::int64_t>(array->size()) < e.spec.min ||
             static_cast<std::int64_t>(array->size()) > e.spec.max) {
    problems_.add(node, e.key,
                  "expected " + describe(e.spec) + ", got " + std::to_string(array->size()));
  }
  return array;
}

void Loader::read_into(const Entry& e, const toml::node& node, std::vector<std::string>& out) {
  const auto* array = array_of(e, node);
  if (!array) return;
  const Spec element{Kind::socket_address};
  std::vector<std::string> values;
  for (std::size_t i = 0; i < array->size(); ++i) {
    const toml::node& item = *array->get(i);
    std::string value;
    if (auto problem = read_string(element, item, value))
      problems_.add(item, index_path(e.key, i), *problem);
    else
      values.push_back(std::move(value));
  }
  out = std::move(values);
}

void Loader::read_into(const Entry& e, const toml::node& node, std::vector<Listener>& out) {
  const auto* array = array_of(e, node);
  if (!array) return;
  std::vector<Listener> listeners;
  std::map<std::pair<std::string, std::uint16_t>, std::size_t> first_use;
  for (std::size_t i = 0; i < array->size(); ++i) {
    const toml::node& item = *array->get(i);
    std::string path = index_path(e.key, i);
    bool ok = true;
    auto listener = read_listener(item, path, ok);
    if (!listener) continue;
    // Checked even when other fields are wrong, so that every problem shows at once.
    if (auto key = address_key(listener->address)) {
      auto [it, fresh] = first_use.emplace(*key, i);
      if (!fresh)
        problems_.add(
            item, path + ".address",
            "same address as " + index_path(e.key, it->second) + " (" + listener->address + ")");
    }
    if (ok) listeners.push_back(std::move(*listener));
  }
  out = std::move(listeners);
}

std::optional<Listener> Loader::read_listener(const toml::node& node, const std::string& path,
                                              bool& ok) {
  const auto* table = node.as_table();
  if (!table) {
    problems_.add(node, path, "expected a table {address, tls}, got " + got(node));
    return std::nullopt;
  }
  Listener listener;
  for (const ListenerField& field : listener_fields()) {
    std::string field_path = path + "." + std::string(field.name);
    const toml::node* value = table->get(field.name);
    std::string text;
    std::optional<std::string> problem =
        value ? read_string(field.spec, *value, text)
              : std::optional<std::string>("missing; expected " + describe(field.spec));
    if (problem) {
      problems_.add(value ? *value : node, field_path, *problem);
      ok = false;
    } else if (field.name == "address") {
      listener.address = text;
    } else {
      auto names = tls_mode_names();
      listener.tls =
          static_cast<TlsMode>(std::find(names.begin(), names.end(), text) - names.begin());
    }
  }
  for (auto&& [key, value] : *table) {
    auto known = listener_fields();
    if (std::none_of(known.begin(), known.end(),
                     [&](const ListenerField& f) { return f.name == key.str(); })) {
      std::string field_path = path + "." + key_text(key);
      problems_.add(value, field_path, "unknown key" + suggestion(field_path));
      ok = false;
    }
  }
  return listener;
}

void Loader::read_into(const Entry& e, const toml::node& node, std::vector<Route>& out) {
  const auto* array = array_of(e, node);
  if (!array) return;
  std::vector<Route> routes;
  std::map<std::string, std::size_t> first_use;
  for (std::size_t i = 0; i < array->size(); ++i) {
    const toml::node& item = *array->get(i);
    std::string path = index_path(e.key, i);
    Route route;
    bool ok = read_route(item, path, route);
    if (!route.domain.empty()) {
      auto [it, fresh] = first_use.emplace(route_domain_key(route.domain), i);
      if (!fresh) {
        problems_.add(
            item, path + ".domain",
            "same domain as " + index_path(e.key, it->second) + " (" + route.domain + ")");
        ok = false;
      }
    }
    if (ok) routes.push_back(std::move(route));
  }
  out = std::move(routes);
}

bool Loader::read_route(const toml::node& node, const std::string& path, Route& route) {
  const auto* table = node.as_table();
  if (!table) {
    problems_.add(
        node, path,
        "expected a table {domain, relay, tls, auth_user, auth_password_file}, got " + got(node));
    return false;
  }
  bool ok = true;
  for (const RouteField& field : route_fields()) {
    std::string field_path = path + "." + std::string(field.name);
    const toml::node* value = table->get(field.name);
    std::string text(field.default_value);
    std::optional<std::string> problem;
    if (value)
      problem = read_string(field.spec, *value, text);
    else if (field.required)
      problem = "missing; expected " + describe(field.spec);
    if (problem) {
      problems_.add(value ? *value : node, field_path, *problem);
      ok = false;
    } else {
      route.*field.member = std::move(text);
    }
  }
  for (auto&& [key, value] : *table) {
    auto known = route_fields();
    if (std::none_of(known.begin(), known.end(),
                     [&](const RouteField& f) { return f.name == key.str(); })) {
      problems_.add(value, path + "." + key_text(key), unknown_key(path + "." + key_text(key)));
      ok = false;
    }
  }
  std::size_t before = problems_.size();
  if (ok)
    check_auth(node.source().begin.line, path + ".", route.relay, route.auth_user,
               route.auth_password_file);
  return ok && problems_.size() == before;
}

// Credentials go to a relay only, and come as a pair.
void Loader::check_auth(std::size_t line, const std::string& prefix, const std::string& relay,
                        const std::string& user, const std::string& password_file) {
  bool relay_key_is_global = prefix == "delivery.relay_";
  std::string relay_key = relay_key_is_global ? "delivery.relay" : prefix + "relay";
  std::string user_key = prefix + "auth_user";
  std::string file_key = prefix + "auth_password_file";
  if ((!user.empty() || !password_file.empty()) && relay.empty())
    problems_.add(line, user.empty() ? file_key : user_key,
                  "set, but " + relay_key +
                      " is not (credentials are only ever sent to a relay, not to MX hosts)");
  if (!user.empty() && password_file.empty())
    problems_.add(line, file_key, "must be set when " + user_key + " is");
  if (user.empty() && !password_file.empty())
    problems_.add(line, user_key, "must be set when " + file_key + " is");
}

void Loader::check_consistency() {
  // Rules between keys only speak when the keys themselves are fine, to avoid a second,
  // misleading line about a value that was already reported.
  const TlsConfig& tls = config_.tls;
  bool tls_ok = !problems_.about("tls.cert") && !problems_.about("tls.key");
  if (tls_ok && tls.cert.empty() != tls.key.empty()) {
    std::string_view set = tls.cert.empty() ? "tls.key" : "tls.cert";
    std::string_view unset = tls.cert.empty() ? "tls.cert" : "tls.key";
    problems_.add(line_of(set), unset,
                  "must be set when " + std::string(set) +
                      " is (leave both empty for a generated self-signed certificate)");
  }
  if (!seen_.contains("hostname") && !is_domain_name(config_.hostname))
    problems_.add(0, "hostname",
                  "the machine's hostname " + quote(config_.hostname) +
                      " is not a valid domain name; set hostname in the configuration");
  const DeliveryConfig& d = config_.delivery;
  if (!problems_.about("delivery.relay") && !problems_.about("delivery.relay_auth_user") &&
      !problems_.about("delivery.relay_auth_password_file")) {
    std::size_t line =
        std::max(line_of("delivery.relay_auth_user"), line_of("delivery.relay_auth_password_file"));
    check_auth(line, "delivery.relay_", d.relay, d.relay_auth_user, d.relay_auth_password_file);
  }
  auto http = address_key(config_.http.address);
  const auto& listeners = config_.smtp.listeners;
  for (std::size_t i = 0; http && i < listeners.size(); ++i)
    if (address_key(listeners[i].address) == http)
      problems_.add(line_of("http.address"), "http.address",
                    "same address as smtp.listeners[" + std::to_string(i) + "] (" +
                        config_.http.address + ")");
}

std::string machine_hostname() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0) return "localhost";
  return name;
}

// The table's default literals, loaded through the same reader as a file; cached.
const Config& table_defaults() {
  static const Config config = [] {
    std::string text;
    for (const Entry& e : entries())
      if (!e.default_toml.empty())
        text += std::string(e.key) + " = " + std::string(e.default_toml) + "\n";
    Config c;
    Loader loader(c);
    try {
      loader.walk(toml::parse(text), "");
    } catch (const toml::parse_error& err) {
      loader.problems().add(err.source().begin.line, "defaults", err.description());
    }
    if (!loader.problems().empty()) {
      // A broken table is a programming error, not a configuration problem.
      std::fprintf(stderr, "herald: bad default in the config table:\n%s\n",
                   loader.problems().message().c_str());
      std::abort();
    }
    return c;
  }();
  return config;
}

}  // namespace

Config defaults() {
  Config config = table_defaults();
  config.hostname = machine_hostname();
  return config;
}

Result<Config> load_string(std::string_view toml_text) {
  toml::table document;
  try {
    document = toml::parse(toml_text);
  } catch (const toml::parse_error& err) {
    const auto& at = err.source().begin;
    return make_error("TOML syntax error at line " + std::to_string(at.line) + ", column " +
                      std::to_string(at.column) + ": " + std::string(err.description()));
  }
  Config config = defaults();
  Loader loader(config);
  loader.walk(document, "");
  loader.check_consistency();
  if (!loader.problems().empty()) return make_error(loader.problems().message());
  return config;
}

Result<Config> load_file(const std::filesystem::path& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    return make_error("cannot read " + path.string() + ": is a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error("cannot read " + path.string() + ": " + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return make_error("cannot read " + path.string() + ": read error");
  return load_string(text.str());
}

}  // namespace herald::config
