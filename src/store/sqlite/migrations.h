// Versioned schema migrations for the SQLite store. Migration N takes the schema from version
// N-1 to N; they are applied in order, each in its own transaction, at open. A store whose
// version is newer than this binary knows is refused rather than guessed at.
#pragma once

#include <span>

#include "common/result.h"
#include "store/sqlite/sqlite_db.h"

namespace herald::store::sqlite {

struct Migration {
  int version;
  const char* description;
  const char* sql;
};

std::span<const Migration> migrations();
int latest_schema_version();

// Applies every migration newer than the store's `PRAGMA user_version`; returns the version.
Result<int> migrate(Connection& c);

}  // namespace herald::store::sqlite
