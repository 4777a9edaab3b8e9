#include "accounts/accounts.h"

#include <openssl/rand.h>

#include <cctype>

#include "accounts/dkim_key.h"
#include "policy/password_policy.h"
#include "sasl/password_hash.h"
#include "smtp/address.h"

namespace herald::accounts {

namespace {

std::string random_token() {
  unsigned char raw[16];
  RAND_bytes(raw, sizeof raw);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char b : raw) {
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out;
}

}  // namespace

std::string normalize_domain(std::string_view name) {
  std::string out(name);
  if (!out.empty() && out.back() == '.') out.pop_back();
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::filesystem::path Accounts::dkim_key_path(std::string_view domain,
                                              std::string_view selector) const {
  return data_dir_ / "dkim" / std::string(domain) / (std::string(selector) + ".key");
}

Result<store::Domain> Accounts::add_domain(std::string_view raw_name) {
  std::string name = normalize_domain(raw_name);
  if (!smtp::is_valid_domain(name))
    return make_error("'" + std::string(raw_name) + "' is not a valid domain name");
  auto existing = store_.find_domain(name);
  if (!existing) return existing.error();
  if (existing->has_value()) return make_error("domain " + name + " already exists");
  auto key = generate_dkim_key(2048);
  if (!key) return key.error();
  auto path = dkim_key_path(name, kDkimSelectors[0]);
  std::error_code ec;
  std::filesystem::remove(path, ec);  // a leftover from a domain removed earlier
  if (auto r = write_private_key(path, key->private_pem); !r) return r.error();
  store::Domain d;
  d.name = name;
  d.verify_token = random_token();
  d.dkim_selector = kDkimSelectors[0];
  d.dkim_key_path = path.string();
  d.dkim_public_key = key->public_b64;
  d.created_at = now_millis();
  if (auto r = store_.add_domain(d); !r) {
    std::filesystem::remove(path, ec);
    return r.error();
  }
  return d;
}

Result<void> Accounts::remove_domain(std::string_view raw_name, bool with_senders) {
  std::string name = normalize_domain(raw_name);
  auto d = store_.find_domain(name);
  if (!d) return d.error();
  if (!d->has_value()) return make_error("no such domain: " + name);
  if (auto r = store_.remove_domain(name, with_senders); !r) return r;
  std::error_code ec;
  std::filesystem::remove_all(data_dir_ / "dkim" / name, ec);
  return {};
}

Result<store::Sender> Accounts::add_sender(std::string_view address, store::SenderType type) {
  auto mailbox = smtp::parse_mailbox(address, /*allow_utf8=*/false);
  if (!mailbox) return make_error("'" + std::string(address) + "' is not a valid email address");
  std::string domain = normalize_domain(mailbox->domain);
  auto d = store_.find_domain(domain);
  if (!d) return d.error();
  if (!d->has_value())
    return make_error("domain " + domain +
                      " does not exist; add it first with 'herald domain add " + domain + "'");
  store::Sender s{mailbox->local + "@" + domain, domain, type, "", now_millis(), std::nullopt};
  if (auto r = store_.add_sender(s); !r) return r.error();
  return s;
}

Result<void> Accounts::set_password(std::string_view address, std::string_view password) {
  auto sender = store_.find_sender(address);
  if (!sender) return sender.error();
  if (!sender->has_value()) return make_error("no such sender address: " + std::string(address));
  const auto& s = **sender;
  bool same = !s.password_hash.empty() && sasl::verify_password(s.password_hash, password);
  auto verdict = policy::check_smtp_password(password, same);
  if (!verdict.ok()) return make_error("password rejected:\n" + policy::explain(verdict));
  auto hash = sasl::hash_password(password);
  if (!hash) return hash.error();
  return store_.set_sender_password(s.address, *hash, now_millis());
}

}  // namespace herald::accounts
