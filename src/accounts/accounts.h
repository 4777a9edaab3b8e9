// The account operations behind `herald domain ...` and `herald sender ...`: input validation
// (RFC 5321 syntax), DKIM key generation and storage, the SMTP password policy and argon2id
// hashing. Each operation either completes or leaves the store unchanged.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "common/result.h"
#include "store/store.h"

namespace herald::accounts {

class Accounts {
 public:
  Accounts(store::Store& store, std::filesystem::path data_dir)
      : store_(store), data_dir_(std::move(data_dir)) {}

  // Validates the name, generates the DKIM key pair (file written before the row, removed if
  // the row cannot be stored) and stores the domain.
  Result<store::Domain> add_domain(std::string_view name);
  Result<void> remove_domain(std::string_view name, bool with_senders);

  // The address must be syntactically valid and its domain already added.
  Result<store::Sender> add_sender(std::string_view address, store::SenderType type);

  // Applies the SMTP password policy (every broken rule listed in the error, one per line),
  // then stores the argon2id hash. The password is never logged or stored in clear.
  Result<void> set_password(std::string_view address, std::string_view password);

  std::filesystem::path dkim_key_path(std::string_view domain, std::string_view selector) const;

 private:
  store::Store& store_;
  std::filesystem::path data_dir_;
};

// Lower-cases a domain name (DNS is case-insensitive; we store one spelling).
std::string normalize_domain(std::string_view name);

}  // namespace herald::accounts
