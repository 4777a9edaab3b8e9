// herald queue list|retry|hold|release|delete|show, herald suppression list|add|remove
// Queue commands change the store and bump the queue generation; a running server notices
// within a second and reloads its delivery index.
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/commands.h"

namespace herald::cli {

namespace {

using nlohmann::json;

struct QueueOptions {
  std::string status, domain, queue_id, entry, reason;
  bool all = false, as_json = false, permanent = false;
  std::uint32_t limit = 1000, days = 30;
};

int list(Context& ctx, const QueueOptions& o) {
  store::QueueFilter f;
  if (!o.status.empty()) f.status = o.status;
  if (!o.domain.empty()) f.domain = o.domain;
  f.limit = o.limit;
  auto st = ctx.store();
  if (!st) return report(st.error());
  auto rows = (*st)->queue_list(f);
  if (!rows) return report(rows.error());
  if (o.as_json) {
    json out = json::array();
    for (const auto& r : *rows)
      out.push_back({{"queue_id", r.queue_id},
                     {"sender", r.sender},
                     {"recipient", r.recipient},
                     {"domain", r.domain},
                     {"status", r.status},
                     {"attempts", r.attempts},
                     {"accepted_at", format_rfc3339(r.accepted_at)},
                     {"next_attempt_at", format_rfc3339(r.next_attempt_at)},
                     {"last_response", r.last_response}});
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  for (const auto& r : *rows)
    std::cout << r.queue_id << "  " << r.status << "  " << r.recipient
              << "  attempts=" << r.attempts << "  next=" << format_rfc3339(r.next_attempt_at)
              << (r.last_response.empty() ? "" : "  " + r.last_response) << "\n";
  return 0;
}

int control(Context& ctx, store::QueueAction action, const QueueOptions& o, const char* verb) {
  store::QueueSelector sel;
  sel.all = o.all;
  if (!o.domain.empty()) sel.domain = o.domain;
  if (!o.queue_id.empty()) sel.queue_id = o.queue_id;
  int chosen = (sel.all ? 1 : 0) + (sel.domain ? 1 : 0) + (sel.queue_id ? 1 : 0);
  if (chosen != 1)
    return report(make_error(std::string("queue ") + verb +
                             " needs exactly one of QUEUE_ID, --domain D or --all"));
  auto st = ctx.store();
  if (!st) return report(st.error());
  auto n = (*st)->queue_control(action, sel);
  if (!n) return report(n.error());
  std::cout << verb << ": " << *n << " recipient(s)\n";
  return *n == 0 && sel.queue_id ? 1 : 0;
}

int show(Context& ctx, const QueueOptions& o) {
  auto st = ctx.store();
  if (!st) return report(st.error());
  store::LogFilter f;
  f.queue_id = o.queue_id;
  auto rows = (*st)->query_log(f);
  if (!rows) return report(rows.error());
  if (rows->empty()) return report(make_error("no such queue id: " + o.queue_id));
  auto attempts = (*st)->query_attempts(o.queue_id);
  if (!attempts) return report(attempts.error());
  const auto& m = rows->front();
  std::cout << "queue id:   " << m.queue_id << "\nmessage id: " << m.message_id
            << "\nsender:     " << m.sender << "\nsubject:    " << m.subject
            << "\naccepted:   " << format_rfc3339(m.accepted_at) << "\n\nrecipients:\n";
  for (const auto& r : *rows)
    std::cout << "  " << r.recipient << "  " << r.status << "  " << r.last_response << "\n";
  std::cout << "\nattempts:\n";
  for (const auto& a : *attempts)
    std::cout << "  " << format_rfc3339(a.at) << "  " << a.recipient << "  " << a.outcome << "  "
              << (a.mx_host.empty() ? "-" : a.mx_host) << " [" << a.ip << "]  tls=" << a.tls << "  "
              << a.duration_ms << " ms  " << a.response << "\n";
  return 0;
}

int suppression_list(Context& ctx, const QueueOptions& o) {
  auto st = ctx.store();
  if (!st) return report(st.error());
  auto rows = (*st)->list_suppressions(now_millis());
  if (!rows) return report(rows.error());
  if (o.as_json) {
    json out = json::array();
    for (const auto& s : *rows)
      out.push_back({{"entry", s.entry},
                     {"type", s.is_domain ? "domain" : "address"},
                     {"reason", s.reason},
                     {"source", s.source},
                     {"created_at", format_rfc3339(s.created_at)},
                     {"expires_at", s.expires_at ? json(format_rfc3339(*s.expires_at)) : json()}});
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  for (const auto& s : *rows)
    std::cout << s.entry << "  " << (s.is_domain ? "domain" : "address") << "  " << s.source << "  "
              << (s.expires_at ? "until " + format_rfc3339(*s.expires_at) : "permanent") << "  "
              << s.reason << "\n";
  return 0;
}

int suppression_add(Context& ctx, const QueueOptions& o) {
  bool is_domain = o.entry.find('@') == std::string::npos;
  store::Suppression s{o.entry,  is_domain,    o.reason.empty() ? "added by operator" : o.reason,
                       "manual", now_millis(), std::nullopt};
  if (!o.permanent && o.days > 0) s.expires_at = s.created_at + o.days * 86'400'000LL;
  if (o.permanent || o.days == 0) s.expires_at.reset();
  auto st = ctx.store();
  if (!st) return report(st.error());
  if (auto r = (*st)->add_suppression(s); !r) return report(r.error());
  std::cout << "Suppressed " << (is_domain ? "domain " : "address ") << o.entry << ".\n";
  return 0;
}

int suppression_remove(Context& ctx, const QueueOptions& o) {
  auto st = ctx.store();
  if (!st) return report(st.error());
  if (auto r = (*st)->remove_suppression(o.entry); !r) return report(r.error());
  std::cout << "Removed " << o.entry << " from the suppression list.\n";
  return 0;
}

}  // namespace

void register_queue_commands(CLI::App& app, Context& ctx, int& exit_code) {
  static QueueOptions o;
  auto* q = app.add_subcommand("queue", "Inspect and control the delivery queue");
  q->require_subcommand(1);
  auto* l = q->add_subcommand("list", "What waits for delivery, why, and the next attempt");
  l->add_option("--status", o.status, "queued, deferred or held (default: all three)");
  l->add_option("--domain", o.domain, "Recipient domain");
  l->add_option("--limit", o.limit, "At most this many rows")->check(CLI::Range(1, 1000000));
  l->add_flag("--json", o.as_json, "Print JSON");
  l->callback([&] { exit_code = list(ctx, o); });

  struct Verb {
    const char* name;
    const char* help;
    store::QueueAction action;
  };
  static const Verb verbs[] = {
      {"retry", "Attempt delivery now", store::QueueAction::retry},
      {"hold", "Stop delivery attempts until released", store::QueueAction::hold},
      {"release", "Release held recipients for delivery now", store::QueueAction::release},
      {"delete", "Remove recipients from the queue (recorded as deleted)",
       store::QueueAction::remove},
  };
  for (const auto& v : verbs) {
    auto* c = q->add_subcommand(v.name, v.help);
    c->add_option("QUEUE_ID", o.queue_id, "One message");
    c->add_option("--domain", o.domain, "Every recipient at this domain");
    c->add_flag("--all", o.all, "Everything in the queue");
    c->callback([&ctx, &exit_code, &v] { exit_code = control(ctx, v.action, o, v.name); });
  }
  auto* sh = q->add_subcommand("show", "A message's recipients and every delivery attempt");
  sh->add_option("QUEUE_ID", o.queue_id, "Queue id")->required();
  sh->callback([&] { exit_code = show(ctx, o); });

  auto* s = app.add_subcommand("suppression", "The suppression list (addresses not attempted)");
  s->require_subcommand(1);
  auto* sl = s->add_subcommand("list", "Current entries");
  sl->add_flag("--json", o.as_json, "Print JSON");
  sl->callback([&] { exit_code = suppression_list(ctx, o); });
  auto* sa = s->add_subcommand("add", "Suppress an address or a whole domain");
  sa->add_option("ENTRY", o.entry, "user@example.com or example.com")->required();
  sa->add_option("--reason", o.reason, "Why");
  sa->add_option("--days", o.days, "Expire after this many days (default: permanent)");
  sa->add_flag("--permanent", o.permanent, "Never expire (the default for manual entries)");
  sa->callback([&ctx, &exit_code, sa] {
    if (sa->count("--days") == 0) o.permanent = true;
    exit_code = suppression_add(ctx, o);
  });
  auto* sr = s->add_subcommand("remove", "Remove an entry");
  sr->add_option("ENTRY", o.entry, "Address or domain")->required();
  sr->callback([&] { exit_code = suppression_remove(ctx, o); });
}

}  // namespace herald::cli
