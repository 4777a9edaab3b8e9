// herald domain add|list|show|verify|rotate-dkim|remove
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

// Why a record that is not required for verification is listed: DMARC is recommended, the
// records of a key rotation are shown with their purpose (their hint says more).
std::string optional_label(const accounts::DnsRecordSpec& r) {
  if (r.required) return "";
  if (r.purpose == "dkim-next") return " (pending rotation)";
  if (r.purpose == "dkim-previous") return " (retired key)";
  return " (recommended)";
}

void print_record(const accounts::DnsRecordSpec& r) {
  std::cout << "\n  " << r.purpose << optional_label(r) << "\n"
            << "    name:  " << r.name << "\n"
            << "    type:  " << r.type << "\n"
            << "    value: " << r.value << "\n";
  if (!r.hint.empty()) std::cout << "    note:  " << r.hint << "\n";
}

void print_records(const store::Domain& d, const std::string& hostname) {
  std::cout << "Publish these DNS records for " << d.name << ":\n";
  for (const auto& r : accounts::records_to_publish(d, hostname)) print_record(r);
}

json record_json(const accounts::DnsRecordSpec& r) {
  json out = {{"purpose", r.purpose},
              {"name", r.name},
              {"type", r.type},
              {"value", r.value},
              {"required", r.required}};
  if (!r.hint.empty()) out["hint"] = r.hint;
  return out;
}

json key_json(const std::optional<store::DkimKey>& k) {
  if (!k) return nullptr;
  return {{"selector", k->selector},
          {"key_path", k->key_path},
          {"created_at", format_rfc3339(k->created_at)}};
}

json domain_json(const store::Domain& d, const std::string& hostname) {
  json records = json::array();
  for (const auto& r : accounts::records_to_publish(d, hostname)) records.push_back(record_json(r));
  return {{"name", d.name},
          {"dkim_selector", d.dkim_selector},
          {"dkim_keys",
           {{"active", key_json(d.dkim_active())},
            {"pending", key_json(d.dkim_pending)},
            {"previous", key_json(d.dkim_previous)}}},
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
              << "selector=" << d.dkim_selector
              << (d.dkim_pending ? " pending=" + d.dkim_pending->selector : "") << "\n";
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
            << "dkim key: " << d->dkim_key_path << " (selector " << d->dkim_selector
            << ", signing)\n";
  if (d->dkim_pending)
    std::cout << "pending:  " << d->dkim_pending->key_path << " (selector "
              << d->dkim_pending->selector << ", generated "
              << format_rfc3339(d->dkim_pending->created_at) << "; not signing yet)\n";
  if (d->dkim_previous)
    std::cout << "previous: " << d->dkim_previous->key_path << " (selector "
              << d->dkim_previous->selector << ", retired "
              << format_rfc3339(d->dkim_active().created_at) << ")\n";
  std::cout << "\n";
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

// The blocking resolver on the configured [dns] servers.
Result<dns::Resolver> make_resolver(const config::Config& cfg) {
  dns::ResolverConfig rc;
  rc.servers = cfg.dns.servers;
  rc.timeout = std::chrono::milliseconds(cfg.dns.timeout_ms);
  return dns::Resolver::create(rc);
}

void print_check(const accounts::RecordCheck& c) {
  std::cout << (c.pass ? "PASS " : "FAIL ") << c.spec.purpose << optional_label(c.spec) << "  "
            << c.spec.name << "\n"
            << "     expected: " << c.spec.value << "\n"
            << "     seen:     " << (c.seen.empty() ? "(nothing)" : c.seen) << "\n";
  if (!c.pass) std::cout << "     problem:  " << c.reason << "\n";
}

int verify(Context& ctx, const std::string& name) {
  auto d = load(ctx, name);
  if (!d) return report(d.error());
  const auto& cfg = **ctx.config();
  auto resolver = make_resolver(cfg);
  if (!resolver) return report(resolver.error());
  std::vector<accounts::RecordCheck> checks;
  for (const auto& spec : accounts::records_to_publish(*d, cfg.hostname))
    checks.push_back(accounts::check_record(spec, lookup(*resolver, spec.name), cfg.hostname));
  for (const auto& c : checks) print_check(c);
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

// rotate-dkim: start (or show) a rotation, printing the record to publish.
int rotate_start(accounts::Accounts& acc, const std::string& name, bool new_key) {
  auto started = acc.start_dkim_rotation(name, new_key);
  if (!started) return report(started.error());
  const auto& d = started->domain;
  const auto& pending = *d.dkim_pending;
  if (started->generated)
    std::cout << "Generated a new DKIM key for " << d.name << " under selector " << pending.selector
              << " (pending).\n";
  else
    std::cout << "A DKIM key rotation is already pending for " << d.name << ": selector "
              << pending.selector << ", key generated " << format_rfc3339(pending.created_at)
              << " (--new-key replaces it with a new key).\n";
  if (const auto& old = started->discarded_previous)
    std::cout << "The previous key (selector " << old->selector << ", retired "
              << format_rfc3339(d.dkim_active().created_at)
              << ") is discarded: once the record below replaces its record, mail signed with "
                 "it no longer verifies.\n";
  std::cout << "\nPublish this DNS record:\n";
  for (const auto& r : accounts::dkim_records(d))
    if (r.purpose == "dkim-next") print_record(r);
  std::cout << "\nSigning continues with the current key (selector " << d.dkim_selector
            << ") until this record is published and the rotation is activated:\n"
            << "  herald domain rotate-dkim " << d.name << " --activate\n";
  return 0;
}

// rotate-dkim --activate: switch signing to the pending key once DNS publishes it.
int rotate_activate(Context& ctx, accounts::Accounts& acc, const std::string& name, bool force) {
  auto d = load(ctx, name);
  if (!d) return report(d.error());
  if (!d->dkim_pending)
    return report(make_error("no DKIM key rotation is pending for " + d->name +
                             "; start one with 'herald domain rotate-dkim " + d->name + "'"));
  if (!force) {
    const auto& cfg = **ctx.config();
    auto resolver = make_resolver(cfg);
    if (!resolver) return report(resolver.error());
    auto specs = accounts::dkim_records(*d);
    auto spec = std::find_if(specs.begin(), specs.end(), [](const accounts::DnsRecordSpec& r) {
      return r.purpose == "dkim-next";
    });
    auto check = accounts::check_record(*spec, lookup(*resolver, spec->name), cfg.hostname);
    print_check(check);
    if (!check.pass)
      return report(
          make_error("not activated: DNS does not show the new key's record " + spec->name +
                     " (seen: " + (check.seen.empty() ? "nothing" : check.seen) + "; " +
                     check.reason + ").\nSigning continues with selector " + d->dkim_selector +
                     ". Publish the record and try again (--force activates without this check)."));
  }
  auto done = acc.activate_dkim_key(*d);
  if (!done) return report(done.error());
  std::cout << "Activated: " << done->name << " now signs with selector " << done->dkim_selector
            << ".\n";
  if (force)
    std::cout << "DNS was not checked (--force): until " << done->dkim_selector << "._domainkey."
              << done->name << " publishes the new key, receivers cannot verify its signatures.\n";
  if (done->dkim_previous)
    std::cout << "Keep the " << done->dkim_previous->selector << "._domainkey." << done->name
              << " record published for a few days so that mail signed with the previous key "
                 "still verifies.\n";
  return 0;
}

int rotate(Context& ctx, const std::string& name, bool activate, bool new_key, bool force) {
  auto cfg = ctx.config();
  if (!cfg) return report(cfg.error());
  auto st = ctx.store();
  if (!st) return report(st.error());
  accounts::Accounts acc(**st, (*cfg)->data_dir);
  return activate ? rotate_activate(ctx, acc, name, force) : rotate_start(acc, name, new_key);
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
  static bool as_json = false, with_senders = false, activate = false, new_key = false,
              force = false;

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

  auto* k = dom->add_subcommand(
      "rotate-dkim",
      "Rotate the DKIM key without downtime: a new key under the other selector is pending "
      "until its DNS record is published and --activate switches signing to it");
  k->add_option("DOMAIN", name, "Domain name")->required();
  auto* act = k->add_flag("--activate", activate,
                          "Sign with the pending key from now on (checks its DNS record first)");
  k->add_flag("--new-key", new_key, "Replace a pending key with a newly generated one")
      ->excludes(act);
  k->add_flag("--force", force, "With --activate: skip the DNS check")->needs(act);
  k->callback([&] { exit_code = rotate(ctx, name, activate, new_key, force); });

  auto* r = dom->add_subcommand("remove", "Remove a domain and its DKIM keys");
  r->add_option("DOMAIN", name, "Domain name")->required();
  r->add_flag("--with-senders", with_senders, "Also remove its sender addresses");
  r->callback([&] { exit_code = remove(ctx, name, with_senders); });
}

}  // namespace herald::cli
