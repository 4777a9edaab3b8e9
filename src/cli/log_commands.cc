// herald log (the delivery log, one row per recipient) and herald events (rejections etc.)
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/commands.h"

namespace herald::cli {

namespace {

using nlohmann::json;

struct LogOptions {
  std::string status, sender, recipient, since, until, kind;
  std::uint32_t limit = 100;
  bool as_json = false;
};

Result<std::optional<UnixMillis>> parse_optional_time(const std::string& text, const char* flag) {
  if (text.empty()) return std::optional<UnixMillis>();
  UnixMillis t = 0;
  if (!parse_time(text, now_millis(), t))
    return make_error(std::string(flag) + " '" + text +
                      "' is not a time: use 2026-12-04T10:00:00Z, 2026-12-04 or an age like 2h");
  return std::optional<UnixMillis>(t);
}

std::optional<std::string> opt(const std::string& s) {
  return s.empty() ? std::nullopt : std::optional(s);
}

json row_json(const store::LogRow& r) {
  return {{"message_id", r.message_id},
          {"queue_id", r.queue_id},
          {"sender", r.sender},
          {"recipient", r.recipient},
          {"subject", r.subject},
          {"status", r.status},
          {"accepted_at", format_rfc3339(r.accepted_at)},
          {"updated_at", format_rfc3339(r.updated_at)},
          {"attempts", r.attempts},
          {"last_response", r.last_response}};
}

int show_log(Context& ctx, const LogOptions& o) {
  store::LogFilter f;
  f.status = opt(o.status);
  f.sender = opt(o.sender);
  f.recipient = opt(o.recipient);
  f.limit = o.limit;
  auto since = parse_optional_time(o.since, "--since");
  if (!since) return report(since.error());
  auto until = parse_optional_time(o.until, "--until");
  if (!until) return report(until.error());
  f.since = *since;
  f.until = *until;
  auto st = ctx.store();
  if (!st) return report(st.error());
  auto rows = (*st)->query_log(f);
  if (!rows) return report(rows.error());
  if (o.as_json) {
    json out = json::array();
    for (const auto& r : *rows) out.push_back(row_json(r));
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  for (const auto& r : *rows)
    std::cout << format_rfc3339(r.accepted_at) << "  " << r.queue_id << "  " << r.status << "  "
              << r.sender << " -> " << r.recipient << "  \"" << r.subject << "\""
              << (r.last_response.empty() ? "" : "  " + r.last_response) << "\n";
  return 0;
}

int show_events(Context& ctx, const LogOptions& o) {
  store::EventFilter f;
  f.kind = opt(o.kind);
  f.limit = o.limit;
  auto since = parse_optional_time(o.since, "--since");
  if (!since) return report(since.error());
  f.since = *since;
  auto st = ctx.store();
  if (!st) return report(st.error());
  auto rows = (*st)->query_events(f);
  if (!rows) return report(rows.error());
  if (o.as_json) {
    json out = json::array();
    for (const auto& e : *rows)
      out.push_back({{"at", format_rfc3339(e.at)},
                     {"kind", e.kind},
                     {"queue_id", e.queue_id},
                     {"recipient", e.recipient},
                     {"client_ip", e.client_ip},
                     {"user", e.user},
                     {"detail", e.detail}});
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  for (const auto& e : *rows)
    std::cout << format_rfc3339(e.at) << "  " << e.kind << "  " << e.client_ip << "  "
              << (e.user.empty() ? "-" : e.user) << "  " << e.detail << "\n";
  return 0;
}

}  // namespace

void register_log_commands(CLI::App& app, Context& ctx, int& exit_code) {
  static LogOptions o;
  auto* log = app.add_subcommand("log", "Query the delivery log (one row per recipient)");
  log->add_option("--status", o.status, "queued, delivered, deferred, bounced, ...");
  log->add_option("--sender", o.sender, "Envelope sender address");
  log->add_option("--recipient", o.recipient, "Recipient address");
  log->add_option("--since", o.since, "Accepted at or after: RFC 3339 time, date, or age (2h)");
  log->add_option("--until", o.until, "Accepted before: RFC 3339 time, date, or age");
  log->add_option("--limit", o.limit, "At most this many rows")->check(CLI::Range(1, 100000));
  log->add_flag("--json", o.as_json, "Print JSON");
  log->callback([&] { exit_code = show_log(ctx, o); });

  auto* ev = app.add_subcommand("events", "Show recorded events (rejected attempts, ...)");
  ev->add_option("--kind", o.kind, "Only this kind, e.g. auth_failed");
  ev->add_option("--since", o.since, "At or after: RFC 3339 time, date, or age (2h)");
  ev->add_option("--limit", o.limit, "At most this many rows")->check(CLI::Range(1, 100000));
  ev->add_flag("--json", o.as_json, "Print JSON");
  ev->callback([&] { exit_code = show_events(ctx, o); });
}

}  // namespace herald::cli
