// herald sender add|list|remove|password

#include <iostream>
#include <nlohmann/json.hpp>

#include "accounts/accounts.h"
#include "cli/commands.h"

namespace herald::cli {

namespace {

using nlohmann::json;

Result<accounts::Accounts> open_accounts(Context& ctx) {
  auto cfg = ctx.config();
  if (!cfg) return cfg.error();
  auto st = ctx.store();
  if (!st) return st.error();
  return accounts::Accounts(**st, (*cfg)->data_dir);
}

int add(Context& ctx, const std::string& address, const std::string& type_name) {
  auto type = store::sender_type_from_string(type_name);
  if (!type)
    return report(make_error("--type must be 'triggered' or 'batch', not '" + type_name + "'"));
  auto acc = open_accounts(ctx);
  if (!acc) return report(acc.error());
  auto s = acc->add_sender(address, *type);
  if (!s) return report(s.error());
  std::cout << "Added " << store::to_string(s->type) << " sender address " << s->address
            << ".\nSet its SMTP password with: herald sender password " << s->address << "\n";
  return 0;
}

int list(Context& ctx, bool as_json) {
  auto st = ctx.store();
  if (!st) return report(st.error());
  auto senders = (*st)->list_senders();
  if (!senders) return report(senders.error());
  if (as_json) {
    json out = json::array();
    for (const auto& s : *senders)
      out.push_back(
          {{"address", s.address},
           {"domain", s.domain},
           {"type", store::to_string(s.type)},
           {"password_set", !s.password_hash.empty()},
           {"created_at", format_rfc3339(s.created_at)},
           {"password_changed_at",
            s.password_changed_at ? json(format_rfc3339(*s.password_changed_at)) : json(nullptr)}});
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  for (const auto& s : *senders)
    std::cout << s.address << "\t" << store::to_string(s.type) << "\t"
              << (s.password_hash.empty() ? "no password" : "password set") << "\n";
  return 0;
}

int remove(Context& ctx, const std::string& address) {
  auto st = ctx.store();
  if (!st) return report(st.error());
  if (auto r = (*st)->remove_sender(address); !r) return report(r.error());
  std::cout << "Removed sender address " << address << ".\n";
  return 0;
}

int password(Context& ctx, const std::string& address) {
  auto acc = open_accounts(ctx);
  if (!acc) return report(acc.error());
  auto pw = read_secret_line("New SMTP password: ");
  if (!pw) return report(make_error("no password on standard input"));
  if (auto r = acc->set_password(address, *pw); !r) return report(r.error());
  std::cout << "SMTP password set for " << address << ".\n";
  return 0;
}

int bounces(Context& ctx, const std::string& address, const std::string& setting) {
  if (setting != "on" && setting != "off")
    return report(make_error("bounces must be 'on' or 'off', not '" + setting + "'"));
  auto st = ctx.store();
  if (!st) return report(st.error());
  if (auto r = (*st)->set_sender_bounces(address, setting == "on"); !r) return report(r.error());
  std::cout << "Bounce messages (DSNs) for " << address << ": " << setting << ".\n";
  return 0;
}

}  // namespace

void register_sender_commands(CLI::App& app, Context& ctx, int& exit_code) {
  auto* snd = app.add_subcommand("sender", "Manage sender addresses and their SMTP passwords");
  snd->require_subcommand(1);
  static std::string address, type;
  static bool as_json = false;

  auto* a = snd->add_subcommand("add", "Add a sender address on an existing domain");
  a->add_option("ADDRESS", address, "Sender address (also the SMTP user name)")->required();
  a->add_option("--type", type, "triggered (system mail) or batch (bulk mail)")->required();
  a->callback([&] { exit_code = add(ctx, address, type); });

  auto* l = snd->add_subcommand("list", "List sender addresses");
  l->add_flag("--json", as_json, "Print JSON");
  l->callback([&] { exit_code = list(ctx, as_json); });

  auto* r = snd->add_subcommand("remove", "Remove a sender address");
  r->add_option("ADDRESS", address, "Sender address")->required();
  r->callback([&] { exit_code = remove(ctx, address); });

  auto* p =
      snd->add_subcommand("password", "Set the SMTP password (read from standard input, one line)");
  p->add_option("ADDRESS", address, "Sender address")->required();
  p->callback([&] { exit_code = password(ctx, address); });

  static std::string setting;
  auto* b = snd->add_subcommand("bounces", "Send bounce messages (DSNs) to this sender: on|off");
  b->add_option("ADDRESS", address, "Sender address")->required();
  b->add_option("SETTING", setting, "on or off")->required();
  b->callback([&] { exit_code = bounces(ctx, address, setting); });
}

}  // namespace herald::cli
