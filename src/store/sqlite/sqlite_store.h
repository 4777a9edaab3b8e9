// The embedded Store backend. Three connections, each behind its own mutex: writes (serialized,
// synchronous=FULL), reads (WAL lets them run while a write commits), and credential lookups
// (find_sender, on the AUTH path of the I/O threads, so it never queues behind a long log
// query). With background checkpoints, a Checkpointer with a fourth connection owns the WAL
// checkpoints and the writer never runs one. Private to store/.
#pragma once

#include <memory>
#include <mutex>

#include "store/sqlite/sqlite_checkpointer.h"
#include "store/sqlite/sqlite_db.h"
#include "store/store.h"

namespace herald::store::sqlite {

class SqliteStore final : public Store {
 public:
  struct Connections {
    Connection writer;
    Connection reader;
    Connection credentials;
    std::optional<Connection> checkpointer;  // set: background checkpoints
  };
  SqliteStore(Connections connections, int version, const std::filesystem::path& file,
              const SqliteOptions& options);
  ~SqliteStore() override;

  int schema_version() override { return version_; }

  Result<void> add_domain(const Domain&) override;
  Result<std::optional<Domain>> find_domain(std::string_view name) override;
  Result<std::vector<Domain>> list_domains() override;
  Result<void> set_domain_verified(std::string_view name, std::optional<UnixMillis>) override;
  Result<void> update_domain_dkim(const Domain& current, const Domain& next) override;
  Result<void> remove_domain(std::string_view name, bool with_senders) override;

  Result<void> add_sender(const Sender&) override;
  Result<std::optional<Sender>> find_sender(std::string_view address) override;
  Result<std::vector<Sender>> list_senders() override;
  Result<void> remove_sender(std::string_view address) override;
  Result<void> set_sender_password(std::string_view address, const std::string& hash,
                                   UnixMillis at) override;

  Result<void> accept_messages(std::span<const NewMessage> batch) override;
  Result<void> record_events(std::span<const Event> events) override;
  Result<std::vector<LogRow>> query_log(const LogFilter&) override;
  Result<std::vector<Event>> query_events(const EventFilter&) override;
  Result<std::optional<std::string>> message_body(std::string_view queue_id) override;

  Result<void> set_sender_bounces(std::string_view address, bool enabled) override;
  Result<std::vector<PendingRecipient>> load_pending() override;
  Result<std::vector<PendingRecipient>> load_queued_after(std::int64_t after,
                                                          std::uint32_t limit) override;
  Result<std::optional<PendingRecipient>> find_recipient(std::int64_t id) override;
  Result<void> record_attempts(std::span<const AttemptRecord> attempts) override;
  Result<void> record_outcomes(std::span<const AttemptRecord> attempts,
                               std::span<const Suppression> suppressions) override;
  Result<std::vector<AttemptRow>> query_attempts(std::string_view queue_id) override;
  Result<std::vector<PendingRecipient>> queue_list(const QueueFilter&) override;
  Result<std::uint64_t> queue_control(QueueAction, const QueueSelector&) override;
  Result<std::int64_t> queue_generation() override;
  Result<void> add_suppression(const Suppression&) override;
  Result<void> remove_suppression(std::string_view entry) override;
  Result<std::vector<Suppression>> list_suppressions(UnixMillis now) override;
  Result<std::optional<Suppression>> find_suppression(std::string_view address,
                                                      UnixMillis now) override;

 private:
  std::uint64_t writer_page_size();
  Result<std::vector<Domain>> select_domains(std::string_view where, std::string_view arg);
  Result<std::vector<Sender>> select_senders(std::string_view where, std::string_view arg);
  Result<std::vector<PendingRecipient>> select_pending(std::string_view where,
                                                       const QueueFilter* filter,
                                                       std::optional<std::int64_t> id);

  std::mutex write_mutex_;
  Connection writer_;
  std::mutex read_mutex_;
  Connection reader_;
  std::mutex credentials_mutex_;
  Connection credentials_;
  int version_;
  std::unique_ptr<Checkpointer> checkpointer_;  // null: SQLite's automatic checkpoints
};

}  // namespace herald::store::sqlite
