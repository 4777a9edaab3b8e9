// DKIM key rotation without downtime, with two selectors per domain (herald1 and herald2).
//
//   rotate-dkim             a new key under the selector that is not active becomes *pending*;
//                           mail is still signed with the active key. Its TXT record must be
//                           published before activation.
//   rotate-dkim --activate  (after the caller has seen the pending record in DNS) the pending
//                           key becomes active, the active one becomes *previous*, whose record
//                           stays published for a while so that mail already signed with it
//                           still verifies. Signing switches at once: the delivery engine reads
//                           the active key from the store for every message.
//
// Invariants: the active key is never touched by a rotation start; a key file is deleted only
// after the store no longer refers to it; every key file name is unique (a new key never
// overwrites a file that a concurrent signer might still read); a store update only applies
// to the keys it was computed from (Store::update_domain_dkim), so racing rotations cannot
// lose a key. The transitions themselves are pure functions, unit-tested on their own.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "store/store.h"

namespace herald::accounts {

inline constexpr std::string_view kDkimSelectors[] = {"herald1", "herald2"};

// The selector for a new key: whichever of herald1/herald2 is not `active`.
std::string next_dkim_selector(std::string_view active);

// A domain's DKIM state after one rotation step, and the key files nothing refers to any more
// once that state is stored (to be deleted then, not before).
struct DkimChange {
  store::Domain next;
  std::vector<std::string> dropped_key_files;
};

// Rotation start: `key` becomes the pending key, replacing an earlier pending key, and a
// previous key under the same selector (its DNS record is about to be replaced by `key`'s).
DkimChange with_pending_key(const store::Domain& current, store::DkimKey key);

// Activation: the pending key becomes active (since `now`), the active key becomes the
// previous one (replacing any previous key), no key is pending. Fails without a pending key.
Result<DkimChange> activate_pending_key(const store::Domain& current, UnixMillis now);

// What `herald domain rotate-dkim DOMAIN` did.
struct RotationStart {
  store::Domain domain;                              // with its pending key
  bool generated = false;                            // false: the existing pending key, shown again
  std::optional<store::DkimKey> discarded_previous;  // the previous key this rotation replaced
};

}  // namespace herald::accounts
