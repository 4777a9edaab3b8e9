// store-bench: operations per second and CPU per operation of the store calls on the SMTP commit
// path (the spool's group commit, its events, AUTH's sender lookup), through the public Store
// interface only, so the same file builds against older trees for before/after comparisons.
//
//   ninja -C build store-bench && build/store-bench [--dir D] [--secs S] [--body BYTES]
//                                                   [--only WORKLOAD] [--autocheckpoint]
//
// --dir defaults to /dev/shm when it exists: on tmpfs fsync costs nothing, so the numbers show
// the CPU work of a commit (statement preparation included) rather than the disk. Give a disk
// directory to see durable commits. Each workload runs --secs seconds on a fresh store; output
// is one line per workload: ops/s, messages/s, CPU µs per call (the whole process, so the
// checkpointer thread counts) and the calls' p50/p99/max wall time (on a disk: the commit's
// latency, checkpoints included). --only runs one workload; --autocheckpoint uses SQLite's own
// checkpoints instead of the background thread (where the tree has the option).
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "store/store.h"

namespace {

using namespace herald;
namespace fs = std::filesystem;

double cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

struct Options {
  fs::path dir = fs::exists("/dev/shm") ? fs::path("/dev/shm") : fs::temp_directory_path();
  double secs = 2;
  std::size_t body = 4096;
  bool background_checkpoints = true;  // the server's setting, where this tree has it
  std::string only;                    // run just this workload
};

// The server's store settings, as far as this tree knows them: older trees lack the field, so
// the check has to be in a template for the requires-expression to be a soft test.
template <class SqliteOptions>
SqliteOptions server_options(const Options& o) {
  SqliteOptions so;
  if constexpr (requires { so.background_checkpoints; })
    so.background_checkpoints = o.background_checkpoints;
  return so;
}

std::vector<store::NewMessage> batch(std::size_t n, std::size_t body, std::uint64_t& seq) {
  std::vector<store::NewMessage> out(n);
  for (auto& m : out) {
    m.queue_id = "B" + std::to_string(seq++);
    m.message_id = m.queue_id + "@bench.test";
    m.sender = "app@bench.test";
    m.auth_user = m.sender;
    m.subject = "bench";
    m.client_ip = "127.0.0.1";
    m.helo = "bench";
    m.recipients = {"rcpt@example.net"};
    m.body = std::string(body, 'x');
    m.accepted_at = 1'700'000'000'000 + static_cast<std::int64_t>(seq);
  }
  return out;
}

// Runs `op` (returning how many messages it handled) on a fresh store for o.secs seconds.
void run(const Options& o, const char* name,
         const std::function<std::size_t(store::Store&, std::uint64_t&)>& op) {
  if (!o.only.empty() && o.only != name) return;
  fs::path dir = o.dir / ("herald-store-bench-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  {
    auto st = store::open_sqlite(dir / "herald.db", server_options<store::SqliteOptions>(o));
    if (!st) {
      std::fprintf(stderr, "store-bench: %s\n", st.error().message.c_str());
      std::exit(1);
    }
    store::Store& s = **st;
    (void)s.add_domain({"bench.test", "t", "s", "/k", "p", 1, std::nullopt});
    (void)s.add_sender({"app@bench.test", "bench.test", store::SenderType::triggered,
                        "$argon2id$v=19$m=65536,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g", 1, std::nullopt});
    std::uint64_t seq = 0, ops = 0, msgs = 0;
    for (int i = 0; i < 50; ++i) op(s, seq);  // warm-up (page cache, statement cache)
    const auto t0 = std::chrono::steady_clock::now();
    const double c0 = cpu_seconds();
    auto elapsed = [&] {
      return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    };
    std::vector<double> us;  // each call's wall time: the commit's latency, checkpoints included
    while (elapsed() < o.secs) {
      for (int i = 0; i < 20; ++i, ++ops) {
        const auto a = std::chrono::steady_clock::now();
        msgs += op(s, seq);
        us.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - a)
                         .count());
      }
    }
    const double wall = elapsed(), cpu = cpu_seconds() - c0;
    std::sort(us.begin(), us.end());
    auto pct = [&](double q) { return us[static_cast<std::size_t>(q * (us.size() - 1))]; };
    std::printf(
        "store-bench %-12s ops_per_s=%.0f msgs_per_s=%.0f cpu_us_per_op=%.1f p50_us=%.0f "
        "p99_us=%.0f max_us=%.0f ops=%llu\n",
        name, static_cast<double>(ops) / wall, static_cast<double>(msgs) / wall,
        cpu * 1e6 / static_cast<double>(ops), pct(0.5), pct(0.99), us.back(),
        static_cast<unsigned long long>(ops));
    std::fflush(stdout);
  }
  fs::remove_all(dir);
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "store-bench: %s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--dir") {
      o.dir = value();
    } else if (a == "--secs") {
      o.secs = std::stod(value());
    } else if (a == "--body") {
      o.body = std::stoul(value());
    } else if (a == "--only") {
      o.only = value();
    } else if (a == "--autocheckpoint") {
      o.background_checkpoints = false;
    } else {
      std::fprintf(stderr,
                   "usage: store-bench [--dir D] [--secs S] [--body BYTES] [--only WORKLOAD] "
                   "[--autocheckpoint]\n");
      return 2;
    }
  }
  // One message per transaction: what a single busy session costs the writer.
  run(o, "accept1", [&](store::Store& s, std::uint64_t& seq) {
    auto b = batch(1, o.body, seq);
    if (!s.accept_messages(b)) std::abort();
    return std::size_t{1};
  });
  // The group commit measured at 100 sessions: ~12 messages per transaction.
  run(o, "accept12", [&](store::Store& s, std::uint64_t& seq) {
    auto b = batch(12, o.body, seq);
    if (!s.accept_messages(b)) std::abort();
    return std::size_t{12};
  });
  run(o, "events12", [&](store::Store& s, std::uint64_t& seq) {
    std::vector<store::Event> ev(12);
    for (auto& e : ev)
      e = {static_cast<UnixMillis>(seq++),
           "message_accepted",
           "Q",
           "r@x",
           "ip",
           "app@bench.test",
           ""};
    if (!s.record_events(ev)) std::abort();
    return std::size_t{0};
  });
  // AUTH's lookup of the stored hash.
  run(o, "find_sender", [&](store::Store& s, std::uint64_t&) {
    auto f = s.find_sender("app@bench.test");
    if (!f || !*f) std::abort();
    return std::size_t{0};
  });
  return 0;
}
