#include "delivery/route_table.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <filesystem>

namespace herald::delivery {

namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  return out;
}

std::string normalized_pattern(std::string_view pattern) {
  if (pattern.starts_with(".")) return "*" + lower(pattern);
  return lower(pattern);
}

// A relay password that other local users can read is theirs too. Only a warning: the file may
// be shared on purpose (a group the operator controls), and refusing to start over it would be
// harsher than Herald's other checks. Names the file and the key, never the content.
void warn_if_readable_by_others(const std::string& file, const std::string& key) {
  using std::filesystem::perms;
  std::error_code ec;
  auto mode = std::filesystem::status(file, ec).permissions();
  if (ec) return;  // read by a reader that is not the file system (tests), or just gone
  const bool group = (mode & perms::group_read) != perms::none;
  const bool others = (mode & perms::others_read) != perms::none;
  if (!group && !others) return;
  const char* who = group && others ? "group and others" : group ? "group" : "others";
  spdlog::warn(
      "{}: {} is readable by {}; it holds a password: make it readable by Herald only "
      "(chmod 600)",
      key, file, who);
}

}  // namespace

RouteTable::RouteTable(EffectiveRoute default_route, std::vector<RouteRule> rules)
    : default_(std::move(default_route)), rules_(std::move(rules)) {
  for (RouteRule& r : rules_) r.pattern = normalized_pattern(r.pattern);
}

const EffectiveRoute& RouteTable::lookup(std::string_view domain) const {
  if (domain.ends_with('.')) domain.remove_suffix(1);
  std::string d = lower(domain);
  const RouteRule* best = nullptr;
  std::size_t best_suffix = 0;
  for (const RouteRule& r : rules_) {
    if (r.pattern == d) return r.route;  // exact beats every wildcard
    if (!r.pattern.starts_with("*.")) continue;
    std::string_view suffix = std::string_view(r.pattern).substr(1);  // ".example.com"
    if (d.size() > suffix.size() && d.ends_with(suffix) && suffix.size() > best_suffix) {
      best = &r;
      best_suffix = suffix.size();
    }
  }
  return best ? best->route : default_;
}

Result<RouteTable> route_table_from_config(const config::DeliveryConfig& d,
                                           const SecretReader& read) {
  std::string problems;
  auto credentials = [&](const std::string& user, const std::string& file,
                         const std::string& key) -> std::optional<smtp::ClientAuth> {
    if (user.empty()) return std::nullopt;
    auto secret = read(file);
    if (!secret) {
      problems += (problems.empty() ? "" : "\n") + key + ": " + secret.error().message;
      return std::nullopt;
    }
    warn_if_readable_by_others(file, key);
    return smtp::ClientAuth{user, std::move(*secret)};
  };
  EffectiveRoute def;
  def.name = "default";
  def.relay = d.relay;
  def.require_tls = !d.relay.empty() && d.relay_tls == "required";
  def.auth = credentials(d.relay_auth_user, d.relay_auth_password_file,
                         "delivery.relay_auth_password_file");
  def.pool_key = "default";
  std::vector<RouteRule> rules;
  for (std::size_t i = 0; i < d.routes.size(); ++i) {
    const config::Route& r = d.routes[i];
    std::string key = "delivery.routes[" + std::to_string(i) + "]";
    EffectiveRoute e;
    e.name = key + " (" + r.domain + ")";
    e.relay = r.relay;
    e.require_tls = r.tls == "required";
    e.auth = credentials(r.auth_user, r.auth_password_file, key + ".auth_password_file");
    e.pool_key = key;
    rules.push_back(RouteRule{r.domain, std::move(e)});
  }
  if (!problems.empty()) return make_error(problems);
  return RouteTable(std::move(def), std::move(rules));
}

}  // namespace herald::delivery
