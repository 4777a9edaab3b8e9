// The account operations behind `herald domain ...` and `herald sender ...`: input validation
// (RFC 5321 syntax), DKIM key generation and storage, the SMTP password policy and argon2id
// hashing. Each operation either completes or leaves the store unchanged.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "accounts/dkim_rotation.h"
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

  // Rotation start (dkim_rotation.h): generates a key under the other selector and stores it
  // as the domain's pending key. When a key is already pending it is returned as it is,
  // unless `new_key` asks for a fresh one (which replaces it).
  Result<RotationStart> start_dkim_rotation(std::string_view name, bool new_key);
  // Activation: `checked` is the domain as read before the caller checked that DNS publishes
  // its pending key; fails when there is no pending key or the keys changed since. Returns the
  // domain as now stored. The replaced key files are deleted after the store update.
  Result<store::Domain> activate_dkim_key(const store::Domain& checked);

  // The first key of a domain: <data_dir>/dkim/<domain>/<selector>.key.
  std::filesystem::path dkim_key_path(std::string_view domain, std::string_view selector) const;
  // A rotated key: <data_dir>/dkim/<domain>/<selector>-<created millis>.key, a name no earlier
  // key of the domain had, so that a signer reading the old file never sees it change.
  std::filesystem::path rotated_key_path(std::string_view domain, std::string_view selector,
                                         UnixMillis created) const;

 private:
  store::Store& store_;
  std::filesystem::path data_dir_;
};

// Lower-cases a domain name (DNS is case-insensitive; we store one spelling).
std::string normalize_domain(std::string_view name);

}  // namespace herald::accounts
