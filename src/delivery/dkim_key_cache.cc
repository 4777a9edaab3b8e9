#include "delivery/dkim_key_cache.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace herald::delivery {

std::uint64_t DkimKeyCache::loads() const {
  std::lock_guard lock(mutex_);
  return loads_;
}

std::size_t DkimKeyCache::size() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

Result<std::shared_ptr<const DkimKey>> DkimKeyCache::get(const std::string& key_path,
                                                         const std::string& selector) {
  struct stat st {};
  if (::stat(key_path.c_str(), &st) != 0)
    return make_error("cannot read DKIM key " + key_path + ": " + std::strerror(errno));
  FileId id{static_cast<std::uint64_t>(st.st_dev), static_cast<std::uint64_t>(st.st_ino),
            static_cast<std::uint64_t>(st.st_size),
            static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec};
  Key key{key_path, selector};
  {
    std::lock_guard lock(mutex_);
    if (auto it = entries_.find(key); it != entries_.end() && it->second.file == id) {
      lru_.splice(lru_.begin(), lru_, it->second.lru);
      return it->second.key;
    }
  }
  // Load outside the lock: parsing takes a while and other keys must not wait for it. Two
  // threads may load the same key at once; both results are equal, the last one stays.
  std::ifstream in(key_path);
  std::stringstream pem;
  pem << in.rdbuf();
  if (!in) return make_error("cannot read DKIM key " + key_path);
  auto loaded = DkimKey::from_pem(pem.str());
  if (!loaded) return loaded.error();
  auto shared = std::make_shared<const DkimKey>(std::move(*loaded));
  std::lock_guard lock(mutex_);
  ++loads_;
  if (auto it = entries_.find(key); it != entries_.end()) {
    it->second.file = id;
    it->second.key = shared;
    lru_.splice(lru_.begin(), lru_, it->second.lru);
    return shared;
  }
  while (!lru_.empty() && entries_.size() >= max_entries_) {
    entries_.erase(lru_.back());
    lru_.pop_back();
  }
  lru_.push_front(key);
  entries_.emplace(key, Entry{id, shared, lru_.begin()});
  return shared;
}

}  // namespace herald::delivery
