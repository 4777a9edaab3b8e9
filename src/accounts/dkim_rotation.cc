// DKIM key rotation: the pure transitions and the Accounts operations built on them.
#include "accounts/dkim_rotation.h"

#include <filesystem>

#include "accounts/accounts.h"
#include "accounts/dkim_key.h"

namespace herald::accounts {

namespace {

void remove_files(const std::vector<std::string>& files) {
  for (const auto& f : files) {
    std::error_code ec;  // a file already gone is fine: nothing refers to it any more
    std::filesystem::remove(f, ec);
  }
}

}  // namespace

std::string next_dkim_selector(std::string_view active) {
  return std::string(active == kDkimSelectors[0] ? kDkimSelectors[1] : kDkimSelectors[0]);
}

DkimChange with_pending_key(const store::Domain& current, store::DkimKey key) {
  DkimChange change{current, {}};
  auto& next = change.next;
  if (next.dkim_pending && next.dkim_pending->key_path != key.key_path)
    change.dropped_key_files.push_back(next.dkim_pending->key_path);
  if (next.dkim_previous && next.dkim_previous->selector == key.selector) {
    change.dropped_key_files.push_back(next.dkim_previous->key_path);
    next.dkim_previous.reset();
  }
  next.dkim_pending = std::move(key);
  return change;
}

Result<DkimChange> activate_pending_key(const store::Domain& current, UnixMillis now) {
  if (!current.dkim_pending)
    return make_error("no DKIM key is pending for " + current.name +
                      "; start a rotation with 'herald domain rotate-dkim " + current.name + "'");
  DkimChange change{current, {}};
  auto& next = change.next;
  if (next.dkim_previous) change.dropped_key_files.push_back(next.dkim_previous->key_path);
  next.dkim_previous = current.dkim_active();
  const auto& pending = *current.dkim_pending;
  next.dkim_selector = pending.selector;
  next.dkim_key_path = pending.key_path;
  next.dkim_public_key = pending.public_key;
  next.dkim_activated_at = now;
  next.dkim_pending.reset();
  return change;
}

std::filesystem::path Accounts::rotated_key_path(std::string_view domain, std::string_view selector,
                                                 UnixMillis created) const {
  return data_dir_ / "dkim" / std::string(domain) /
         (std::string(selector) + "-" + std::to_string(created) + ".key");
}

Result<RotationStart> Accounts::start_dkim_rotation(std::string_view raw_name, bool new_key) {
  std::string name = normalize_domain(raw_name);
  auto found = store_.find_domain(name);
  if (!found) return found.error();
  if (!found->has_value()) return make_error("no such domain: " + name);
  const store::Domain& current = **found;
  if (current.dkim_pending && !new_key) return RotationStart{current, false, std::nullopt};

  auto key = generate_dkim_key(2048);
  if (!key) return key.error();
  UnixMillis now = now_millis();
  std::string selector = next_dkim_selector(current.dkim_selector);
  auto path = rotated_key_path(name, selector, now);
  if (auto r = write_private_key(path, key->private_pem); !r) return r.error();
  auto change = with_pending_key(current, {selector, path.string(), key->public_b64, now});
  if (auto r = store_.update_domain_dkim(current, change.next); !r) {
    std::error_code ec;
    std::filesystem::remove(path, ec);
    return r.error();
  }
  remove_files(change.dropped_key_files);
  std::optional<store::DkimKey> discarded;
  if (current.dkim_previous && !change.next.dkim_previous) discarded = current.dkim_previous;
  return RotationStart{std::move(change.next), true, std::move(discarded)};
}

Result<store::Domain> Accounts::activate_dkim_key(const store::Domain& checked) {
  auto change = activate_pending_key(checked, now_millis());
  if (!change) return change.error();
  if (auto r = store_.update_domain_dkim(checked, change->next); !r) return r.error();
  remove_files(change->dropped_key_files);
  return std::move(change->next);
}

}  // namespace herald::accounts
