// Which session-limit refusals (SmtpServer's "421 4.7.0 Too many connections") become events.
//
// A refusal costs the server almost nothing, so a flood of connections can refuse thousands a
// second; one events row each would turn the flood into a flood of writes (the spool batches
// them, but every row is still written, kept and shown). Instead the first `per_window`
// refusals of each window are recorded one by one (what an operator needs to see who hit the
// limit and when), and the rest are only counted: the next recorded event carries that count.
// So the number of rows is bounded by per_window per window whatever the connection rate, and
// no refusal goes uncounted. No timer: a count held back is reported by the next refusal, the
// first one of a later window at the latest.
// Invariants: pure (the caller passes the time and serializes calls); the sum of the counts
// returned equals the number of refusals, except those held back since the last recorded one.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>

namespace herald::smtpd {

class RefusalSampler {
 public:
  using Clock = std::chrono::steady_clock;

  RefusalSampler(std::chrono::milliseconds window, std::size_t per_window)
      : window_(window), per_window_(per_window) {}

  // One refusal at `now`: 0 when it is only counted, otherwise the refusals the event recorded
  // now stands for (itself, plus those counted since the last recorded one).
  std::uint64_t on_refusal(Clock::time_point now);

 private:
  const std::chrono::milliseconds window_;
  const std::size_t per_window_;
  bool started_ = false;
  Clock::time_point window_start_{};
  std::size_t recorded_in_window_ = 0;
  std::uint64_t held_back_ = 0;
};

}  // namespace herald::smtpd
