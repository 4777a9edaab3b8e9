#include "api/api_routes.h"

#include <boost/url/parse.hpp>
#include <nlohmann/json.hpp>

#include "accounts/domain_records.h"

namespace herald::api {

namespace {

using nlohmann::json;

ApiResponse error(unsigned status, std::string message) {
  return {status, "application/json", json{{"error", std::move(message)}}.dump() + "\n"};
}

struct Query {
  std::map<std::string, std::string> params;
  std::optional<std::string> get(const std::string& k) const {
    auto it = params.find(k);
    if (it == params.end() || it->second.empty()) return std::nullopt;
    return it->second;
  }
};

Result<std::optional<UnixMillis>> time_param(const Query& q, const std::string& key) {
  auto v = q.get(key);
  if (!v) return std::optional<UnixMillis>();
  UnixMillis t = 0;
  if (!parse_time(*v, now_millis(), t)) return make_error(key + " is not a valid time: " + *v);
  return std::optional<UnixMillis>(t);
}

Result<std::uint32_t> limit_param(const Query& q) {
  auto v = q.get("limit");
  if (!v) return 100u;
  try {
    long n = std::stol(*v);
    if (n >= 1 && n <= 10000) return static_cast<std::uint32_t>(n);
  } catch (...) {
  }
  return make_error("limit must be a number from 1 to 10000");
}

ApiResponse log(const Query& q, store::Store& store) {
  store::LogFilter f;
  f.status = q.get("status");
  f.sender = q.get("sender");
  f.recipient = q.get("recipient");
  f.queue_id = q.get("queue_id");
  auto since = time_param(q, "since");
  auto until = time_param(q, "until");
  auto limit = limit_param(q);
  if (!since) return error(400, since.error().message);
  if (!until) return error(400, until.error().message);
  if (!limit) return error(400, limit.error().message);
  f.since = *since;
  f.until = *until;
  f.limit = *limit;
  auto rows = store.query_log(f);
  if (!rows) return error(503, rows.error().message);
  json out = json::array();
  for (const auto& r : *rows)
    out.push_back({{"message_id", r.message_id},
                   {"queue_id", r.queue_id},
                   {"sender", r.sender},
                   {"recipient", r.recipient},
                   {"subject", r.subject},
                   {"status", r.status},
                   {"accepted_at", format_rfc3339(r.accepted_at)},
                   {"updated_at", format_rfc3339(r.updated_at)},
                   {"attempts", r.attempts},
                   {"last_response", r.last_response}});
  return {200, "application/json", out.dump() + "\n"};
}

ApiResponse events(const Query& q, store::Store& store) {
  store::EventFilter f;
  f.kind = q.get("kind");
  auto since = time_param(q, "since");
  auto limit = limit_param(q);
  if (!since) return error(400, since.error().message);
  if (!limit) return error(400, limit.error().message);
  f.since = *since;
  f.limit = *limit;
  auto rows = store.query_events(f);
  if (!rows) return error(503, rows.error().message);
  json out = json::array();
  for (const auto& e : *rows)
    out.push_back({{"at", format_rfc3339(e.at)},
                   {"kind", e.kind},
                   {"queue_id", e.queue_id},
                   {"recipient", e.recipient},
                   {"client_ip", e.client_ip},
                   {"user", e.user},
                   {"detail", e.detail}});
  return {200, "application/json", out.dump() + "\n"};
}

ApiResponse domains(store::Store& store) {
  auto rows = store.list_domains();
  if (!rows) return error(503, rows.error().message);
  json out = json::array();
  for (const auto& d : *rows) {
    // The same DKIM records (active, pending, previous) as `herald domain show --json`.
    json dkim = json::array();
    for (const auto& r : accounts::dkim_records(d)) {
      json rec = {{"purpose", r.purpose}, {"selector", r.name.substr(0, r.name.find('.'))},
                  {"name", r.name},       {"type", r.type},
                  {"value", r.value},     {"required", r.required}};
      if (!r.hint.empty()) rec["hint"] = r.hint;
      dkim.push_back(std::move(rec));
    }
    out.push_back({{"name", d.name},
                   {"dkim_selector", d.dkim_selector},
                   {"dkim_records", std::move(dkim)},
                   {"verified", d.verified_at.has_value()}});
  }
  return {200, "application/json", out.dump() + "\n"};
}

ApiResponse senders(store::Store& store) {
  auto rows = store.list_senders();
  if (!rows) return error(503, rows.error().message);
  json out = json::array();
  for (const auto& s : *rows)
    out.push_back({{"address", s.address},
                   {"domain", s.domain},
                   {"type", store::to_string(s.type)},
                   {"password_set", !s.password_hash.empty()}});
  return {200, "application/json", out.dump() + "\n"};
}

}  // namespace

ApiResponse handle_request(std::string_view method, std::string_view target, store::Store& store) {
  auto url = boost::urls::parse_origin_form(target);
  if (!url) return error(400, "malformed request target");
  if (method != "GET") return error(405, "only GET is supported");
  Query q;
  for (auto p : url->params()) q.params[p.key] = p.value;
  std::string path = url->path();
  if (path == "/healthz") return {200, "text/plain", "ok\n"};
  if (path == "/api/v1/log") return log(q, store);
  if (path == "/api/v1/events") return events(q, store);
  if (path == "/api/v1/domains") return domains(store);
  if (path == "/api/v1/senders") return senders(store);
  return error(404, "no such endpoint: " + path);
}

}  // namespace herald::api
