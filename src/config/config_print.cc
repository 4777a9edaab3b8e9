// Printing from the key table: to_toml() for `herald config show`, and the Markdown reference.
#include <toml++/toml.h>

#include <sstream>
#include <type_traits>

#include "config/config_table.h"

namespace herald::config {
namespace {

std::string format(const std::string& text) {
  return quote(text);
}

template <class Int>
requires std::is_integral_v<Int> std::string format(Int value) {
  return std::to_string(value);
}

std::string format(const std::vector<std::string>& values) {
  std::string out = "[";
  for (const std::string& v : values) out += (out.size() > 1 ? ", " : "") + quote(v);
  return out + "]";
}

std::string format(const std::vector<Listener>& listeners) {
  std::string out = "[\n";
  for (const Listener& l : listeners)
    out += "  { address = " + quote(l.address) + ", tls = " + quote(to_string(l.tls)) + " },\n";
  return out + "]";
}

std::string format(const std::vector<Route>& routes) {
  if (routes.empty()) return "[]";
  std::string out = "[\n";
  for (const Route& r : routes) {
    std::string fields;
    for (const RouteField& f : route_fields())
      fields += (fields.empty() ? "" : ", ") + std::string(f.name) + " = " + quote(r.*f.member);
    out += "  { " + fields + " },\n";
  }
  return out + "]";
}

std::string_view section_of(std::string_view key) {
  std::size_t dot = key.rfind('.');
  return dot == std::string_view::npos ? std::string_view{} : key.substr(0, dot);
}

std::string_view leaf_of(std::string_view key) {
  std::size_t dot = key.rfind('.');
  return dot == std::string_view::npos ? key : key.substr(dot + 1);
}

// Markdown table cell: code spans keep literals readable; pipes would end the cell.
std::string cell(std::string_view text) {
  std::string out;
  for (char ch : text) {
    if (ch == '|') out += '\\';
    out += ch;
  }
  return out;
}

std::string row(std::string_view key, std::string_view type, std::string_view def,
                std::string_view bounds, std::string_view doc) {
  return "| `" + cell(key) + "` | " + cell(type) + " | " + cell(def) + " | " + cell(bounds) +
         " | " + cell(doc) + " |\n";
}

}  // namespace

std::string_view to_string(TlsMode mode) {
  return tls_mode_names()[static_cast<std::size_t>(mode)];
}

std::string quote(std::string_view text) {
  // Without allow_multi_line_strings and allow_literal_strings toml++ always writes a one-line
  // basic string, escaping quotes, backslashes and control characters.
  std::ostringstream out;
  out << toml::toml_formatter{toml::value<std::string>(std::string(text)),
                              toml::format_flags::allow_unicode_strings};
  return out.str();
}

std::string format_value(const Entry& entry, const Config& config) {
  return std::visit([&](const auto& slot) { return format(slot.get(config)); }, entry.slot);
}

std::string to_toml(const Config& config) {
  std::string out =
      "# Herald configuration: every key with its effective value.\n"
      "# Reference: docs/configuration.md\n";
  std::string_view section;
  for (const Entry& e : entries()) {
    if (section_of(e.key) != section) {
      section = section_of(e.key);
      out += "\n[" + std::string(section) + "]\n";
    }
    out += "\n# " + std::string(e.doc) + "\n";
    out += std::string(leaf_of(e.key)) + " = " + format_value(e, config) + "\n";
  }
  return out;
}

std::string reference_markdown() {
  std::string out =
      "| key | type | default | bounds | meaning |\n"
      "|---|---|---|---|---|\n";
  for (const Entry& e : entries()) {
    std::string def = e.default_note.empty() ? "`" + std::string(e.default_toml) + "`"
                                             : "(" + std::string(e.default_note) + ")";
    out += row(e.key, type_name(e.spec), def, bounds_text(e.spec), e.doc);
    if (e.spec.kind == Kind::listeners)
      for (const ListenerField& f : listener_fields())
        out += row(std::string(e.key) + "[]." + std::string(f.name), type_name(f.spec),
                   "(required)", bounds_text(f.spec), f.doc);
    if (e.spec.kind == Kind::routes)
      for (const RouteField& f : route_fields())
        out += row(std::string(e.key) + "[]." + std::string(f.name), type_name(f.spec),
                   f.required ? "(required)" : "`" + quote(f.default_value) + "`",
                   bounds_text(f.spec), f.doc);
  }
  return out;
}

}  // namespace herald::config
