// Loaded DKIM signing keys, so that a message costs a stat() instead of a file read and a key
// parse, and OpenSSL's per-key state (Montgomery contexts, RSA blinding) lives on between
// messages. Keyed by (key path, selector) and
// revalidated against the file's identity (device, inode, size, mtime) on every get(): a key
// rotation (`herald domain rotate-dkim` switches the domain's selector and key path in the
// store) or a key file replaced in place is picked up at the next message.
//
// Invariants: at most `max_entries` keys are kept (the least recently used goes first); a key
// that fails to load is not cached (the next message retries). Thread-safe: get() may run
// concurrently on the worker pool; the returned key is immutable and shared.
#pragma once

#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "common/result.h"
#include "delivery/dkim_signer.h"

namespace herald::delivery {

class DkimKeyCache {
 public:
  explicit DkimKeyCache(std::size_t max_entries = 64) : max_entries_(max_entries) {}

  Result<std::shared_ptr<const DkimKey>> get(const std::string& key_path,
                                             const std::string& selector);

  std::uint64_t loads() const;  // file reads + parses so far (tests, diagnostics)
  std::size_t size() const;

 private:
  struct FileId {
    std::uint64_t dev = 0, ino = 0, size = 0;
    std::int64_t mtime_ns = 0;
    bool operator==(const FileId&) const = default;
  };
  struct Entry {
    FileId file;
    std::shared_ptr<const DkimKey> key;
    std::list<std::pair<std::string, std::string>>::iterator lru;
  };
  using Key = std::pair<std::string, std::string>;  // (path, selector)

  mutable std::mutex mutex_;
  std::size_t max_entries_;
  std::map<Key, Entry> entries_;
  std::list<Key> lru_;  // front = most recently used
  std::uint64_t loads_ = 0;
};

}  // namespace herald::delivery
