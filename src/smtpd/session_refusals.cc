#include "smtpd/session_refusals.h"

namespace herald::smtpd {

std::uint64_t RefusalSampler::on_refusal(Clock::time_point now) {
  if (!started_ || now - window_start_ >= window_ || now < window_start_) {
    started_ = true;
    window_start_ = now;
    recorded_in_window_ = 0;
  }
  if (recorded_in_window_ >= per_window_) {
    ++held_back_;
    return 0;
  }
  ++recorded_in_window_;
  std::uint64_t stands_for = held_back_ + 1;
  held_back_ = 0;
  return stands_for;
}

}  // namespace herald::smtpd
