// herald domain add|list|show|verify|remove
#include <algorithm>
#include <iostream>
#include <nlohmann/json.hpp>

#include "accounts/accounts.h"
#include "accounts/domain_records.h"
#include "cli/commands.h"
#include "dns/resolver.h"

namespace herald::cli {

namespace {

using nlohmann::json;

void print_records(const store::Domain& d, const std::string& hostname) {
  std::cout << "Publish these DNS records for " << d.name << ":\n";
  for (const auto& r : accounts::records_to_publish(d, hostname)) {
    std::cout << "\n  " << r.purpose << (r.required ? "" : " (recommended)") << "\n"
              << "    name:  " << r.name << "\n"
              << "    type:  " << r.type << "\n"
              << "    value: " << r.value << "\n";
  }
}

json domain_json(const store::Domain& d, const std::string& hostname) {
  json records = json::array();
  for (const auto& r : accounts::records_to_publish(d, hostname))
    records.push_back({{"purpose", r.purpose},
                       {"name", r.name},
                       {"type", r.type},
                       {"value", r.value},
                       {"required", r.required}});
  return {{"name", d.name},
          {"dkim_selector", d.dkim_selector},
          {"created_at", format_rfc3339(d.created_at)},
          {"verified", d.verified_at.has_value()},
          {"verified_at", d.verified_at ? json(format_rfc3339(*d.verified_at)) : json(nullptr)},
          {"dns_records", records}};
}

int add(Context& ctx, const std::string& name) {
  auto cfg = ctx.config();
  if (!cfg) return report(cfg.error());
  auto st = ctx.store();
  if (!st) return report(st.error());
  accounts::Accounts acc(**st, (*cfg)->data_dir);
  auto d = acc.add_domain(name);
  if (!d) return report(d.error());
  std::cout << "Added domain " << d->name << " (DKIM selector " << d->dkim_selector << ").\n\n";
  print_records(*d, (*cfg)->hostname);
  std::cout << "\nThen run: herald domain verify " << d->name << "\n";
  return 0;
}

int list(Context& ctx, bool as_json) {
  auto st = ctx.store();
  if (!st) return report(st.error());
  auto domains = (*st)->list_domains();
  if (!domains) return report(domains.error());
  const auto& hostname = (*ctx.config())->hostname;
  if (as_json) {
    json out = json::array();
    for (const auto& d : *domains) out.push_back(domain_json(d, hostname));
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  for (const auto& d : *domains)
    std::cout << d.name << "\t" << (d.verified_at ? "verified" : "unverified") << "\t"
              << "selector=" << d.dkim_selector << "\n";
  return 0;
}

Result<store::Domain> load(Context& ctx, const std::string& name) {
  auto st = ctx.store();
  if (!st) return st.error();
  auto d = (*st)->find_domain(accounts::normalize_domain(name));
  if (!d) return d.error();
  if (!d->has_value()) return make_error("no such domain: " + name);
  return **d;
}

int show(Context& ctx, const std::string& name, bool as_json) {
  auto d = load(ctx, name);
  if (!d) return report(d.error());
  const auto& hostname = (*ctx.config())->hostname;
  if (as_json) {
    std::cout << domain_json(*d, hostname).dump(2) << "\n";
    return 0;
  }
  std::cout << "domain:   " << d->name << "\n"
            << "status:   " << (d->verified_at ? "verified" : "unverified") << "\n"
            << "created:  " << format_rfc3339(d->created_at) << "\n"
            << "dkim key: " << d->dkim_key_path << "\n\n";
  print_records(*d, hostname);
  return 0;
}

accounts::TxtLookup lookup(dns::Resolver& resolver, const std::string& name) {
  auto answer = resolver.txt(name);
  accounts::TxtLookup out;
  out.failed = answer.status == dns::LookupStatus::failure;
  out.error = answer.error;
  out.values = answer.records;
  return out;
}

int verify(Context& ctx, const std::string& name) {
  auto d = load(ctx, name);
  if (!d) return report(d.error());
  const auto& cfg = **ctx.config();
  dns::ResolverConfig rc;
  rc.servers = cfg.dns.servers;
  rc.timeout = std::chrono::milliseconds(cfg.dns.timeout_ms);
  auto resolver = dns::Resolver::create(rc);
  if (!resolver) return report(resolver.error());
  std::vector<accounts::RecordCheck> checks;
  for (const auto& spec : accounts::records_to_publish(*d, cfg.hostname))
    checks.push_back(accounts::check_record(spec, lookup(*resolver, spec.name), cfg.hostname));
  for (const auto& c : checks) {
    std::cout << (c.pass ? "PASS " : "FAIL ") << c.spec.purpose
              << (c.spec.required ? "" : " (recommended)") << "  " << c.spec.name << "\n"
              << "     expected: " << c.spec.value << "\n"
              << "     seen:     " << (c.seen.empty() ? "(nothing)" : c.seen) << "\n";
    if (!c.pass) std::cout << "     problem:  " << c.reason << "\n";
  }
  bool ok = accounts::all_required_pass(checks);
  bool undecided = std::any_of(checks.begin(), checks.end(), [](const accounts::RecordCheck& c) {
    return !c.pass && c.reason.rfind("lookup failed", 0) == 0;
  });
  if (undecided && !ok) {
    // A DNS outage must not un-verify a domain: keep the state we had.
    std::cout << "\n"
              << d->name << ": DNS lookups failed; verification state unchanged ("
              << (d->verified_at ? "verified" : "unverified") << ").\n";
    return 1;
  }
  auto r =
      (*ctx.store())->set_domain_verified(d->name, ok ? std::optional(now_millis()) : std::nullopt);
  if (!r) return report(r.error());
  std::cout << "\n" << d->name << (ok ? " is verified.\n" : " is NOT verified.\n");
  return ok ? 0 : 1;
}

int remove(Context& ctx, const std::string& name, bool with_senders) {
  auto cfg = ctx.config();
  if (!cfg) return report(cfg.error());
  auto st = ctx.store();
  if (!st) return report(st.error());
  accounts::Accounts acc(**st, (*cfg)->data_dir);
  if (auto r = acc.remove_domain(name, with_senders); !r) return report(r.error());
  std::cout << "Removed domain " << accounts::normalize_domain(name) << ".\n";
  return 0;
}

}  // namespace

void register_domain_commands(CLI::App& app, Context& ctx, int& exit_code) {
  auto* dom = app.add_subcommand("domain", "Manage sending domains");
  dom->require_subcommand(1);
  static std::string name;
  static bool as_json = false, with_senders = false;

  auto* a = dom->add_subcommand("add", "Add a domain, generate its DKIM key, print DNS records");
  a->add_option("DOMAIN", name, "Domain name")->required();
  a->callback([&] { exit_code = add(ctx, name); });

  auto* l = dom->add_subcommand("list", "List domains");
  l->add_flag("--json", as_json, "Print JSON");
  l->callback([&] { exit_code = list(ctx, as_json); });

  auto* s = dom->add_subcommand("show", "Show a domain and the DNS records it needs");
  s->add_option("DOMAIN", name, "Domain name")->required();
  s->add_flag("--json", as_json, "Print JSON");
  s->callback([&] { exit_code = show(ctx, name, as_json); });

  auto* v = dom->add_subcommand("verify", "Look the domain's DNS records up and check them");
  v->add_option("DOMAIN", name, "Domain name")->required();
  v->callback([&] { exit_code = verify(ctx, name); });

  auto* r = dom->add_subcommand("remove", "Remove a domain and its DKIM keys");
  r->add_option("DOMAIN", name, "Domain name")->required();
  r->add_flag("--with-senders", with_senders, "Also remove its sender addresses");
  r->callback([&] { exit_code = remove(ctx, name, with_senders); });
}

}  // namespace herald::cli
