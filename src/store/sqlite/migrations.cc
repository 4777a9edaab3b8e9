#include "store/sqlite/migrations.h"

#include <string>

namespace herald::store::sqlite {

namespace {

constexpr Migration kMigrations[] = {
    {1, "domains and sender addresses", R"sql(
CREATE TABLE domains (
  name TEXT PRIMARY KEY COLLATE NOCASE,
  verify_token TEXT NOT NULL,
  dkim_selector TEXT NOT NULL,
  dkim_key_path TEXT NOT NULL,
  dkim_public_key TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  verified_at INTEGER
);
CREATE TABLE senders (
  address TEXT PRIMARY KEY COLLATE NOCASE,
  domain TEXT NOT NULL REFERENCES domains(name),
  type TEXT NOT NULL CHECK (type IN ('triggered', 'batch')),
  password_hash TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  password_changed_at INTEGER
);
CREATE INDEX senders_domain ON senders(domain);
)sql"},
    {2, "accepted messages, per-recipient delivery rows, events", R"sql(
CREATE TABLE messages (
  id INTEGER PRIMARY KEY,
  queue_id TEXT NOT NULL UNIQUE,
  message_id TEXT NOT NULL,
  sender TEXT NOT NULL,
  auth_user TEXT NOT NULL,
  subject TEXT NOT NULL,
  client_ip TEXT NOT NULL,
  helo TEXT NOT NULL,
  size INTEGER NOT NULL,
  body BLOB NOT NULL,
  accepted_at INTEGER NOT NULL
);
CREATE INDEX messages_accepted_at ON messages(accepted_at);
CREATE INDEX messages_sender ON messages(sender COLLATE NOCASE);
CREATE TABLE recipients (
  id INTEGER PRIMARY KEY,
  message INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
  recipient TEXT NOT NULL,
  status TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER,
  last_response TEXT NOT NULL DEFAULT '',
  updated_at INTEGER NOT NULL
);
CREATE INDEX recipients_message ON recipients(message);
CREATE INDEX recipients_recipient ON recipients(recipient COLLATE NOCASE);
CREATE INDEX recipients_status ON recipients(status, next_attempt_at);
CREATE TABLE events (
  id INTEGER PRIMARY KEY,
  at INTEGER NOT NULL,
  kind TEXT NOT NULL,
  queue_id TEXT NOT NULL DEFAULT '',
  recipient TEXT NOT NULL DEFAULT '',
  client_ip TEXT NOT NULL DEFAULT '',
  user TEXT NOT NULL DEFAULT '',
  detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX events_at ON events(at);
CREATE INDEX events_kind ON events(kind, at);
)sql"},
    {3, "delivery: attempts, suppression list, queue control, per-sender bounces", R"sql(
ALTER TABLE recipients ADD COLUMN domain TEXT NOT NULL DEFAULT '';
UPDATE recipients SET domain = lower(substr(recipient, instr(recipient, '@') + 1));
CREATE INDEX recipients_domain ON recipients(domain, status);
ALTER TABLE senders ADD COLUMN bounces INTEGER NOT NULL DEFAULT 1;
CREATE TABLE attempts (
  id INTEGER PRIMARY KEY,
  recipient INTEGER NOT NULL REFERENCES recipients(id) ON DELETE CASCADE,
  at INTEGER NOT NULL,
  outcome TEXT NOT NULL,
  status TEXT NOT NULL,
  mx_host TEXT NOT NULL DEFAULT '',
  ip TEXT NOT NULL DEFAULT '',
  tls TEXT NOT NULL DEFAULT '',
  response TEXT NOT NULL DEFAULT '',
  duration_ms INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX attempts_recipient ON attempts(recipient);
CREATE TABLE suppressions (
  entry TEXT PRIMARY KEY COLLATE NOCASE,
  is_domain INTEGER NOT NULL,
  reason TEXT NOT NULL,
  source TEXT NOT NULL CHECK (source IN ('bounce', 'manual')),
  created_at INTEGER NOT NULL,
  expires_at INTEGER
);
CREATE TABLE queue_control (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  generation INTEGER NOT NULL
);
INSERT INTO queue_control(id, generation) VALUES (1, 0);
)sql"},
    {4, "DKIM key rotation: a pending and a previous key per domain", R"sql(
ALTER TABLE domains ADD COLUMN dkim_activated_at INTEGER;
ALTER TABLE domains ADD COLUMN pending_selector TEXT;
ALTER TABLE domains ADD COLUMN pending_key_path TEXT;
ALTER TABLE domains ADD COLUMN pending_public_key TEXT;
ALTER TABLE domains ADD COLUMN pending_created_at INTEGER;
ALTER TABLE domains ADD COLUMN previous_selector TEXT;
ALTER TABLE domains ADD COLUMN previous_key_path TEXT;
ALTER TABLE domains ADD COLUMN previous_public_key TEXT;
ALTER TABLE domains ADD COLUMN previous_created_at INTEGER;
)sql"},
};

Result<int> current_version(Connection& c) {
  auto st = c.prepare("PRAGMA user_version");
  if (!st) return st.error();
  auto row = st->step();
  if (!row) return row.error();
  return static_cast<int>(st->integer(0));
}

Result<void> apply(Connection& c, const Migration& m) {
  auto tx = Transaction::begin(c);
  if (!tx) return tx.error();
  // Another process may have migrated while we waited for the write lock.
  auto v = current_version(c);
  if (!v) return v.error();
  if (*v >= m.version) return {};
  if (auto r = c.exec(m.sql); !r)
    return make_error("migration " + std::to_string(m.version) + " failed: " + r.error().message);
  std::string set = "PRAGMA user_version=" + std::to_string(m.version);
  if (auto r = c.exec(set.c_str()); !r) return r;
  return tx->commit();
}

}  // namespace

std::span<const Migration> migrations() {
  return kMigrations;
}

int latest_schema_version() {
  return kMigrations[std::size(kMigrations) - 1].version;
}

Result<int> migrate(Connection& c) {
  auto v = current_version(c);
  if (!v) return v.error();
  if (*v > latest_schema_version())
    return make_error("store schema version " + std::to_string(*v) +
                      " is newer than this herald supports (" +
                      std::to_string(latest_schema_version()) + ")");
  for (const auto& m : kMigrations) {
    if (m.version <= *v) continue;
    if (auto r = apply(c, m); !r) return r.error();
  }
  return latest_schema_version();
}

}  // namespace herald::store::sqlite
